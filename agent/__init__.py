"""vr-edge-agent core: contracts, clock, supervisor and pipeline stages.

The core never imports ``drivers``: drivers register themselves through the
``edge_agent.drivers`` entry-point group, exactly as third-party plugins do.
"""

__version__ = "0.1.0"
