"""What every stage stands on: the data that crosses stages (chunks, device and session events,
adaptations), the driver contract and registry, the clock, bounded queues and backoff."""
