"""One reader for files a user names (bank files, sheets, nets, history files).

Only regular files are read, and at most a size cap: the file is opened non-blocking and checked
on the open descriptor, so a FIFO (which would block `open` until a writer comes), a device such
as /dev/zero (endless) or a link to either is refused with one line, not read — even if it
replaced a regular file after a folder was listed. The cap is enforced while reading, so a file
that grows (or lies about its size) is never read past it."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

MB = 2 ** 20


class FileRefused(OSError):
    """A named file that is not read: ``reason`` says why (without the file's name)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason
        super().__init__(f"{name}: {reason}")

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


def file_kind(mode: int) -> str:
    """What a non-regular file is, for a refusal: "a FIFO", "a directory", …"""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_user_file(path: str | Path, *, name: str | None = None,
                   only: str = "regular files") -> BinaryIO:
    """The regular file `path` opened for reading (unbuffered), or a FileRefused: opened
    non-blocking and checked on the descriptor, so a FIFO never blocks the open and a device
    or a directory is refused before a byte is read. For a file read as a stream (a history
    file); `read_user_bytes` reads one whole, under a cap."""
    path = Path(path)
    shown = str(path) if name is None else name
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        reason = "a broken link" if error.errno == errno.ENOENT and path.is_symlink() \
            else error.strerror
        raise FileRefused(shown, f"cannot read: {reason}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefused(shown, f"is {file_kind(mode)}; only {only} are read")
        return os.fdopen(descriptor, "rb", buffering=0)
    except BaseException:
        os.close(descriptor)
        raise


def read_user_bytes(path: str | Path, limit: int, *, name: str | None = None,
                    only: str = "regular files", what: str = "this file") -> bytes:
    """The bytes of the regular file `path`, of at most `limit` bytes, or a FileRefused.

    `name` is how the file is named in the refusal (default: the path as given); `only` and
    `what` word the refusals ("is a FIFO; only {only} are read", "is larger than the limit of
    N MB for {what}")."""
    shown = str(path) if name is None else name
    with open_user_file(path, name=shown, only=only) as file:
        chunks, size = [], 0
        try:
            while size <= limit:
                chunk = file.read(limit + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as error:
            raise FileRefused(shown, f"cannot read: {error.strerror}") from None
    if size > limit:
        raise FileRefused(shown, f"is larger than the limit of {_size(limit)} for {what}")
    return b"".join(chunks)


def read_user_text(path: str | Path, limit: int, *, name: str | None = None,
                   only: str = "regular files", what: str = "this file",
                   encoding: str = "utf-8") -> str:
    """`read_user_bytes` decoded; text that is not `encoding` is a FileRefused too."""
    shown = str(path) if name is None else name
    data = read_user_bytes(path, limit, name=shown, only=only, what=what)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise FileRefused(shown, f"line {line}: not UTF-8 text ({error.reason})") from None


def _size(limit: int) -> str:
    if limit >= MB and limit % MB == 0:
        return f"{limit // MB} MB"
    return f"{limit} bytes"
