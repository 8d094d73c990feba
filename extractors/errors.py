"""Why a file cannot be read, as one line a person can act on (no reader imported here: the CLI imports it at start)."""

from __future__ import annotations


class DocumentError(Exception):
    """A file that cannot be read as a document; the message says why, in one line."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.reason} — {self.hint}" if self.hint else self.reason
