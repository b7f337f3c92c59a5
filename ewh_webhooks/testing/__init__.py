"""Testing tools: `EWHEmulator`, a faithful in-process emulator of the API, and
the pytest fixtures `ewh_emulator` and `ewh_client` (installed as a pytest plugin)."""

from .emulator import EWHEmulator
from .faults import FAULT_KINDS, FaultPlan, ScriptedFault
from .state import DeliveryAttempt, EmulatorState, RecordedRequest, StoredWebhook

__all__ = [
    "FAULT_KINDS",
    "DeliveryAttempt",
    "EWHEmulator",
    "EmulatorState",
    "FaultPlan",
    "RecordedRequest",
    "ScriptedFault",
    "StoredWebhook",
]
