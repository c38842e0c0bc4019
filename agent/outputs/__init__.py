"""What leaves the core: the VR link (which also carries the app's events in), summaries, the
durable outbox and the MQTT sync worker."""
