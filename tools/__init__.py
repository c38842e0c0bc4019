"""Harnesses that drive the product from outside: fuzzing, soak, crash runs and benchmarks. Not installed with the agent."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # the working directory ``python -m tools.…`` subprocesses need
