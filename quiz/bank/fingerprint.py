"""A cheap fingerprint of a bank folder (names, sizes and modification times of its files), so
that starting the TUI can skip parsing and syncing a bank that has not changed since last time."""

from __future__ import annotations

import hashlib
from pathlib import Path

from quiz import __version__
from quiz.bank.files import bank_files


def bank_fingerprint(directory: Path) -> str:
    digest = hashlib.sha256(__version__.encode())  # a new quiz may parse the same files anew
    for path in bank_files(directory):
        stat = path.stat()
        digest.update(f"{path.relative_to(directory)}\0{stat.st_size}\0{stat.st_mtime_ns}\n"
                      .encode())
    return digest.hexdigest()
