"""How a quiz database identifies itself, in a module that imports nothing (no SQLAlchemy): the
TUI's preloading child checks a file with a bare sqlite3 connection."""

# Written into the SQLite header (PRAGMA application_id): this file is a quiz database.
APPLICATION_ID = 0x5155495A  # "QUIZ"
# The schema this quiz reads and writes (schema_info and PRAGMA user_version).
SCHEMA_VERSION = 2
