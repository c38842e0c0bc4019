"""Real services and processes the tests and benchmarks drive: a local mosquitto and PostgreSQL, crash and soak runs."""
