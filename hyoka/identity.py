"""A document's identity: the sha256 of its bytes (the same file under any name is one document)."""

from __future__ import annotations

import hashlib


def sha256_hex(data: bytes) -> str:
    """The document id: the sha256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()
