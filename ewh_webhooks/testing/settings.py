"""The emulator's settings: what its handlers read (`ServerSettings`) and which values
it can honour (`check_settings`, `check_seconds`).

Settings are plain attributes, read on every request, so a test may change one
mid-run. `EWHEmulator` is the one implementation of the protocol; the handlers depend
on the protocol, not on the emulator's module, so the emulator builds them without
an import cycle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from .faults import FaultPlan, ServerRateLimit
from .responses import ERROR_STYLES
from .state import EmulatorState
from .vendor import TOPIC_STYLES

__all__ = ["CHOICES", "ServerSettings", "check_seconds", "check_settings", "is_seconds"]


class ServerSettings(Protocol):
    # login
    username: str
    password: str
    wms_code: str
    token_lifetime: float
    # timing and faults
    latency: float
    faults: FaultPlan | None
    rate_limiter: ServerRateLimit | None
    # what the document leaves open (see EWHEmulator's docstring)
    default_limit: int
    max_limit: int | None
    next_style: str
    topic_style: str
    list_items: str
    count_shortfall: int
    past_last_page: str
    error_style: str
    strict_query: bool
    reject_unknown_topics: bool
    patch_hash_secret: str
    timestamps: bool

    @property
    def state(self) -> EmulatorState: ...

    def clock(self) -> float:
        """Unix seconds as the emulator sees them (`advance()` moves it)."""
        ...


# Settings with a fixed set of values: name -> the values allowed.
CHOICES: dict[str, tuple[str, ...]] = {
    "next_style": ("absolute", "relative", "none"),
    "topic_style": tuple(TOPIC_STYLES),
    "list_items": ("full", "topic_only", "topic_null"),
    "past_last_page": ("404", "empty"),
    "error_style": ERROR_STYLES,
    "patch_hash_secret": ("apply", "ignore", "reject"),
}


def check_settings(
    choices: Mapping[str, str], *, default_limit: int, max_limit: int | None, count_shortfall: int
) -> None:
    """Raise `ValueError` naming the first setting the emulator cannot honour."""
    for name, value in choices.items():
        allowed = CHOICES[name]
        if value not in allowed:
            names = ", ".join(map(repr, allowed))
            raise ValueError(f"{name} must be one of {names}, got {value!r}")
    items = choices.get("list_items")
    if items in ("topic_only", "topic_null") and choices.get("topic_style") == "none":
        raise ValueError(f"list_items={items!r} needs a topic_style other than 'none'")
    for name, number, floor in (
        ("default_limit", default_limit, 1),
        ("max_limit", max_limit, 1),
        ("count_shortfall", count_shortfall, 0),
    ):
        if number is None and name == "max_limit":
            continue
        if isinstance(number, bool) or not isinstance(number, int) or number < floor:
            raise ValueError(f"{name} must be an integer >= {floor}, got {number!r}")


def is_seconds(value: object, *, zero_ok: bool) -> bool:
    """A finite number of seconds, > 0 (or >= 0 with `zero_ok`): NaN would never time
    out, infinity would never answer."""
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and (value >= 0 if zero_ok else value > 0)
    )


def check_seconds(name: str, value: object, *, zero_ok: bool) -> None:
    """Raise `ValueError` naming the setting unless `is_seconds(value)`."""
    if not is_seconds(value, zero_ok=zero_ok):
        bound = ">= 0" if zero_ok else "> 0"
        raise ValueError(f"{name} must be a finite number of seconds {bound}, got {value!r}")
