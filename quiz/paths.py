"""Where the bundled bank and the default database live. Cheap to import (no heavy modules)."""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "QUIZ_DB"


def bundled_data_dir() -> Path:
    """The data shipped with quiz: inside the wheel (`quiz/_bundled`) or, for a source checkout
    and editable installs, the repository's `data/` folder."""
    packaged = Path(__file__).resolve().parent / "_bundled"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data"


def bundled_bank_dir() -> Path:
    return bundled_data_dir() / "questions"


def bundled_nets_dir() -> Path:
    return bundled_data_dir() / "nets"


def default_db_url() -> str:
    """`QUIZ_DB` if set, else an SQLite file in the user's data directory."""
    from_env = os.environ.get(DB_ENV, "").strip()
    if from_env:
        return from_env
    from platformdirs import user_data_dir

    directory = Path(user_data_dir("quiz", appauthor=False))
    return f"sqlite:///{directory / 'quiz.db'}"
