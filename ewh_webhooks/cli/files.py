"""Reading the files a command is given: size-capped, every failure one clear error.

The cap matters for paths like `/dev/zero` or a log file given by mistake, which
would otherwise be read until memory runs out.
"""

from __future__ import annotations

import os
import sys

from .errors import UsageError

__all__ = ["read_bytes", "read_text"]


def _size(limit: int) -> str:
    return f"{limit // 1024 // 1024} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"


def read_bytes(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """At most `limit` bytes of a file (`-` for stdin); more is an error, not a truncation."""
    try:
        if os.fspath(path) == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:  # missing, a directory, no permission...
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UsageError(f"{path} is larger than {_size(limit)}")
    return data


def read_text(path: str | os.PathLike[str], *, limit: int) -> str:
    """A UTF-8 text file (a leading byte-order mark is allowed), at most `limit` bytes."""
    data = read_bytes(path, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
