"""onnxruntime's telemetry to Microsoft, switched off before anything imports onnxruntime.

onnxruntime's native library uploads usage events (1DS, to
``mobile.events.data.microsoft.com:443``) from every process that runs a
session, a few seconds after it starts and again as it runs. Its Python switch
``disable_telemetry_events()`` does not stop the upload; the environment
variable ``ORT_DISABLE_TELEMETRY=1`` does, but only when it is set before
onnxruntime is imported (both measured in a network namespace with a DNS
sinkhole: ``tests/system/test_egress.py``). Every Enclave process imports
``retrieval`` first (the settings object imports its config), so importing
this package sets the variable, for this process and the ones it starts.
"""

from __future__ import annotations

import os
import sys

__all__ = ["ORT_TELEMETRY_VARIABLE", "onnxruntime_is_quiet"]

ORT_TELEMETRY_VARIABLE = "ORT_DISABLE_TELEMETRY"

# Imported before the variable was set: its telemetry is on for the process's lifetime.
_IMPORTED_TOO_EARLY = "onnxruntime" in sys.modules and os.environ.get(ORT_TELEMETRY_VARIABLE) != "1"
os.environ[ORT_TELEMETRY_VARIABLE] = "1"


def onnxruntime_is_quiet() -> bool:
    """Whether onnxruntime was, or will be, imported with its telemetry off in this process."""
    return not _IMPORTED_TOO_EARLY
