"""Saves of marks.json from worker threads, in order.

Each mark starts a save in a worker; two can run at once. The lock makes them write one at a
time and `saved_version` makes a late, older snapshot a no-op, so the file always ends with the
newest marks. `save_marks` itself writes through a temporary file and os.replace: a crash leaves
the previous file or the new one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from quiz.sheets.marks import Marks, save_marks


class MarksWriter:
    def __init__(self, folder: Path, saved_version: int = 0) -> None:
        self.folder = folder
        self.saved_version = saved_version
        self._lock = threading.Lock()

    def write(self, marks: Marks, version: int) -> bool:
        """Save `marks` (the journal's `version`); False when a newer version is already saved.
        Raises OSError when the file cannot be written."""
        with self._lock:
            if version <= self.saved_version:
                return False
            save_marks(self.folder, marks)
            self.saved_version = version
            return True
