"""What the emulator's handlers read from it: its settings (plain attributes, read on
every request, so a test may change one mid-run), its state and its clock.

`EWHEmulator` is the one implementation; the handlers depend on this protocol, not on
the emulator's module, so the emulator can build them without an import cycle.
"""

from __future__ import annotations

from typing import Protocol

from .faults import FaultPlan, TokenBucket
from .state import EmulatorState

__all__ = ["ServerSettings"]


class ServerSettings(Protocol):
    # login
    username: str
    password: str
    wms_code: str
    token_lifetime: float
    # timing and faults
    latency: float
    faults: FaultPlan | None
    bucket: TokenBucket | None
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
