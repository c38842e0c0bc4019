"""The ``edge-agent`` commands (:mod:`agent.commands.cli`) and what only they use: provisioning,
the self-test and the data-protection warnings."""
