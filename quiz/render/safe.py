"""Bank and user text made safe to print on a terminal.

A question bank is data, not a program: an answer that contains `ESC ]52;…` could write the user's
clipboard, `ESC [2J` could clear the screen, and a bare `\\r` could overwrite what was printed
before it. Every string that comes from outside — bank text and tags, file names, sheet answers,
history files, roster and learner names, error messages quoting any of them — goes through
`safe_text` before it reaches a terminal, a TUI title or dialog, or a text/CSV file; JSON output
goes through `safe_json`, which escapes the same characters instead of dropping them (the data
stays whole, no raw control character is written).
"""

from __future__ import annotations

import json
import re
from typing import Any

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
# Lone surrogates: a file name that is not UTF-8 (byte 0x9b, an 8-bit CSI) is read by Python as
# U+DC9B, which a stream in the POSIX locale writes back as the raw byte (and a UTF-8 one refuses
# with a traceback). They become U+FFFD.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def safe_text(text: str) -> str:
    """`text` without terminal control sequences or control characters (tab and newline kept;
    `\\r\\n` becomes `\\n`, a lone surrogate U+FFFD). The result is still plain text: callers
    must not parse it as Rich or Textual markup (build a `rich.text.Text` from it, or escape it)."""
    text = text.replace("\r\n", "\n")
    text = _SURROGATE.sub("\ufffd", text)
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub("", text)


# What JSON itself leaves raw (it escapes only U+0000–U+001F): DEL, C1, the bidi controls and
# lone surrogates.
_JSON_RAW_CONTROL = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def safe_json(value: Any, *, indent: int | None = 1, compact: bool = False) -> str:
    """`value` as JSON (non-ASCII text kept readable) in which no control character is written
    raw: JSON escapes C0 itself; DEL, C1 (`\\x9b` is an 8-bit CSI), the bidi overrides and
    isolates, and lone surrogates (which UTF-8 cannot write) are written as `\\uXXXX` too. They
    occur only inside strings, so the escape is lossless: `json.loads` gives back `value`."""
    separators = (",", ":") if compact else None
    text = json.dumps(value, ensure_ascii=False, indent=None if compact else indent,
                      separators=separators)
    return _JSON_RAW_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
