"""Which files a bank folder holds: the one listing that parsing, syncing and the start-up
fingerprint share (here, apart from the parser, so the fingerprint loads no parser)."""

from __future__ import annotations

import os
from pathlib import Path


def bank_files(directory: Path) -> list[Path]:
    """The bank's question files: every .md entry except README.md, in a stable order.

    Directories are walked without following links (no cycles); a directory named `x.md` is
    walked like any other, not read. Other non-regular entries are listed so that reading them
    reports what they are."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(directory):
        subfolders.sort()
        for name in names:
            if name.endswith(".md") and name.lower() != "readme.md":
                found.append(Path(folder) / name)
    return sorted(found)
