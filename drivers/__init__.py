"""Built-in driver families. Each registers through the ``edge_agent.drivers``
entry-point group exactly as a third-party plugin would; ``agent`` never
imports this package."""
