"""vr-edge-agent core: contracts, clock, supervisor and pipeline stages.

The core never imports ``drivers``: drivers register themselves through the
``edge_agent.drivers`` entry-point group, exactly as third-party plugins do.
"""

import os

__version__ = "0.1.0"

# onnxruntime >= 1.29 starts its own telemetry on Linux when a model loads: a session file in /tmp
# and uploads with a device id. Nothing about a patient's device may leave it that way; this must
# be set before onnxruntime is first imported, which is why it is here.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
