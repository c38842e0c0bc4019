"""The deterministic core: signals → features → baseline → model → policy, one decision per tick.

Synchronous, no clock, no event loop, no I/O; see :mod:`agent.core.engine`.
"""
