"""Bank and user text made safe to print on a terminal.

A question bank is data, not a program: an answer that contains `ESC ]52;…` could write the user's
clipboard, `ESC [2J` could clear the screen, and a bare `\\r` could overwrite what was printed
before it. Everything that prints bank text (TUI, CLI, sheets) goes through `safe_text`.
"""

from __future__ import annotations

import re

# ESC-introduced sequences are removed whole, so no half of one reaches the terminal:
# CSI (ESC [ … final byte), OSC / DCS / SOS / PM / APC strings (ended by BEL or ESC \), and the
# two-byte ESC + one character forms. The 8-bit C1 introducers (CSI = \x9b, OSC = \x9d, …) get
# the same treatment.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?           # CSI … final
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])     # OSC, DCS, SOS, PM, APC …
    [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?       #   … up to their terminator (or the end)
  | \x1b[ -~]?                                  # ESC + one character (or a lone ESC)
    """,
    re.VERBOSE,
)
# What remains: C0 controls except tab and newline, DEL, C1, and the bidirectional overrides
# that make a line display in a different order than it is stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str) -> str:
    """`text` without terminal control sequences or control characters (tab and newline kept;
    `\\r\\n` becomes `\\n`). The result is still plain text: callers must not parse it as Rich or
    Textual markup (build a `rich.text.Text` from it, or escape it)."""
    text = text.replace("\r\n", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub("", text)
