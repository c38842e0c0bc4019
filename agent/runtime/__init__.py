"""What feeds the core live and keeps the agent running: device supervision, the readings pipeline,
analysis and the summary recorder, model updates, sd_notify and the status file, logging."""
