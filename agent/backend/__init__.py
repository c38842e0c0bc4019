"""The backend: where summaries are stored (SQLite or PostgreSQL) and what clinicians read from them.

Headset code never imports this package: its PostgreSQL driver and charting
libraries come with the ``backend`` extra only. ``agent.backend.ingest`` (the
consumer loop) stores through :func:`agent.backend.stores.open_store`.
"""
