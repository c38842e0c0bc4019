"""pylsl, loaded only after the network scope is fixed.

Every module of this package gets pylsl from here, so liblsl can never read
its configuration before :func:`~drivers.lsl.netconfig.apply_network_scope`
has chosen it (liblsl reads it once, on first use, for the whole process).
"""

from __future__ import annotations

from drivers.lsl.netconfig import apply_network_scope

SCOPE = apply_network_scope()

# These imports must come after the scope is applied.
import pylsl  # noqa: E402
from pylsl.util import LostError  # noqa: E402
from pylsl.util import TimeoutError as LslTimeout  # noqa: E402 (not the builtin: a RuntimeError)

__all__ = ["SCOPE", "LostError", "LslTimeout", "pylsl"]
