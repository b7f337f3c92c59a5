"""The CLI's own errors; `main` prints each as one line."""

from __future__ import annotations

from ..errors import EWHError, InvalidArgumentError

__all__ = ["CommandError", "UsageError"]


class UsageError(InvalidArgumentError):
    """A command line that cannot mean anything (exit status 2)."""


class CommandError(EWHError):
    """A command that could not do its job for a reason outside the API (exit status 1),
    e.g. a port already in use, or a host that cannot be reached."""
