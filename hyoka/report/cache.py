"""What a report rendered slowly (crops, the font subset), kept in its folder for the next report.

A later report of the same warehouse renders only what changed: each rendering is filed
under a hash of everything it was drawn from, in `<report folder>/.cache/<kind>/`. Every
report removes the entries it did not use, so the cache holds one report's worth.

Entries are written atomically (a reader never sees half of one); an entry that cannot
be read is rendered again, so two reports writing into one folder only cost time.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from collections.abc import Iterable

CACHE_DIR = ".cache"


def digest(*parts: object) -> str:
    """A stable hex key of some values (their `repr`s, separated)."""
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part if isinstance(part, bytes) else repr(part).encode("utf-8"))
        sha.update(b"\x1f")
    return sha.hexdigest()[:32]


class DiskCache:
    """Files of one kind (`crops`, `fonts`) under a report folder, by key."""

    def __init__(self, out_dir: Path, kind: str, suffix: str) -> None:
        """The cache of `kind` under `out_dir`, its files ending in `suffix`; nothing is read yet."""
        self.folder = out_dir / CACHE_DIR / kind
        self.suffix = suffix
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0

    def path(self, key: str) -> Path:
        """Where the entry of `key` is kept."""
        return self.folder / f"{key}{self.suffix}"

    def get(self, key: str) -> bytes | None:
        """The entry of `key`, or None when there is none (or it cannot be read)."""
        self.used.add(key)
        try:
            data = self.path(key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, data: bytes) -> None:
        """Keep `data` under `key` (a cache that cannot be written is only slower)."""
        self.used.add(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.path(key))
        except OSError:
            pass

    def prune(self) -> int:
        """Remove the entries this report did not use; how many were removed."""
        return remove_except(self.folder, {self.path(key).name for key in self.used})


def remove_except(folder: Path, keep: Iterable[str]) -> int:
    """Delete the files of `folder` not named in `keep` (leftover temporary files too)."""
    kept = set(keep)
    removed = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if entry.name in kept or not entry.is_file():
            continue
        try:
            entry.unlink()
            removed += 1
        except OSError:
            pass
    return removed
