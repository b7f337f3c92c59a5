"""Argument checks shared by the inbox, the worker and the receiver: numbers that
must be finite and positive (NaN or infinity as a time setting would mean "never")."""

from __future__ import annotations

import math

from ..errors import InvalidArgumentError

__all__ = ["check_count", "check_seconds"]


def check_seconds(name: str, value: object, *, zero: bool = False) -> float:
    """A finite number of seconds, > 0 (or >= 0 with `zero=True`)."""
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > 0 or (zero and value == 0))
    ):
        return float(value)
    kind = ">= 0" if zero else "> 0"
    raise InvalidArgumentError(f"{name} must be a finite number of seconds {kind}, got {value!r}")


def check_count(name: str, value: object, *, minimum: int = 1) -> int:
    """An int >= `minimum` (not a bool, not a float)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    raise InvalidArgumentError(f"{name} must be an integer >= {minimum}, got {value!r}")
