"""Harnesses that drive the product from outside: fuzzing and soak. Not installed with the agent."""
