"""Identities: a document's (the sha256 of its bytes: the same file under any name is one
document), and a project's code derived from its printed names where a sheet prints no code."""

from __future__ import annotations

import hashlib
import re
import unicodedata


def sha256_hex(data: bytes) -> str:
    """The document id: the sha256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()


DERIVED_CODE_DIGITS = 12  # 10^12 codes: two names of one city colliding is not a practical risk


def derived_code(*names: str) -> str:
    """A project code from the names that identify it (所属名, 事務事業名): digits, the same for the same names.

    For a sheet that prints no project code (神戸's 事務事業評価シート). The names are
    compared width-folded (NFKC) and without spaces, so a reflowed line or a full-width
    digit gives the same code; the code is digits like every other (projects.project_code).
    (hyoka.normalize is this module's sibling, not below it: NFKC is its width fold.)
    """
    key = "\x1f".join(re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)) for name in names)
    number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return str(number % 10**DERIVED_CODE_DIGITS).zfill(DERIVED_CODE_DIGITS)
