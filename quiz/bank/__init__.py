"""The Markdown question bank: `model` (the questions), `parser` (Markdown → questions, with
validation), `errors`, `fingerprint` (has a bank folder changed), `claims`, `pool`. Imports
neither Textual nor SQLAlchemy; the package itself imports none of its modules, so a caller that
needs one (the TUI's start: the fingerprint) loads no parser."""
