"""Errors raised while reading the bank; each names the file and line."""

from __future__ import annotations


class BankError(ValueError):
    def __init__(self, file: str, line: int, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        # Line 0 means the error is about the file or folder as a whole.
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")

    def __reduce__(self) -> tuple[type[BankError], tuple[str, int, str]]:
        # Pickled whole (the default would pass the one formatted message to three arguments).
        return (BankError, (self.file, self.line, self.message))
