"""Each part's own benchmark, run by ``scripts/bench`` (``python -m tools.bench.NAME``); never imported by the agent."""
