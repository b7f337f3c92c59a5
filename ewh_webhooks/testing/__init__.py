"""Testing tools: `EWHEmulator`, a faithful in-process emulator of the API; `FakeClock`,
time that moves only when someone sleeps; and the pytest fixtures `ewh_emulator`,
`ewh_emulator_factory` and `ewh_client` (installed as a pytest plugin).

Names load on first use (PEP 562): the pytest plugin lives in this package, and a
pytest run that never asks for the emulator must not pay for importing it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "FakeClock": "clock",
    "DEFAULT_RETRY_DELAYS": "deliveries",
    "EWHEmulator": "emulator",
    "FAULT_KINDS": "faults",
    "FaultPlan": "faults",
    "ScriptedFault": "faults",
    "DeliveryAttempt": "state",
    "EmulatorState": "state",
    "RecordedRequest": "state",
    "StoredWebhook": "state",
    "WebhookTable": "table",
}

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "FAULT_KINDS",
    "DeliveryAttempt",
    "EWHEmulator",
    "EmulatorState",
    "FakeClock",
    "FaultPlan",
    "RecordedRequest",
    "ScriptedFault",
    "StoredWebhook",
    "WebhookTable",
]

if TYPE_CHECKING:
    from .clock import FakeClock
    from .deliveries import DEFAULT_RETRY_DELAYS
    from .emulator import EWHEmulator
    from .faults import FAULT_KINDS, FaultPlan, ScriptedFault
    from .state import DeliveryAttempt, EmulatorState, RecordedRequest, StoredWebhook
    from .table import WebhookTable


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ewh_webhooks.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
