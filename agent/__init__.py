"""vr-edge-agent: sensors in through driver plugins, adaptation signals out, summaries to the cloud.

The packages follow the data (docs/architecture.md): ``base`` (what every stage stands on),
``core`` (signals → features → baseline → model → policy, deterministic), ``outputs`` (VR link,
summaries, outbox, sync), ``runtime`` (what feeds the core live), ``backend`` (the consumer, never
on a headset) and ``commands`` (``edge-agent``). Here at the root: what a driver author imports
(``plugin``, ``testing``), ``errors``, ``config``, and what an embedder runs (``app``, ``replay``).

The agent never imports ``drivers``: drivers register themselves through the
``edge_agent.drivers`` entry-point group, exactly as third-party plugins do.
"""

import os

__version__ = "0.1.0"

# onnxruntime >= 1.29 starts its own telemetry on Linux when a model loads: a session file in /tmp
# and uploads with a device id. Nothing about a patient's device may leave it that way; this must
# be set before onnxruntime is first imported, which is why it is here.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
