-- Typed tables a clinician's query needs, beside the ledger (records) that deduplicates by key.
-- Rows stored before this version get their typed rows from records.body (SqliteStore._backfill).
ALTER TABLE rejected ADD COLUMN payload BLOB;
ALTER TABLE rejected ADD COLUMN consumer TEXT;
CREATE TABLE devices (
    site TEXT NOT NULL, device TEXT NOT NULL, first_seen REAL NOT NULL,
    agent_version TEXT, health_t REAL, sessions_per_week INTEGER, minutes_per_session REAL,
    PRIMARY KEY (site, device)
);
CREATE TABLE sessions (
    key TEXT PRIMARY KEY REFERENCES records (key), site TEXT NOT NULL, device TEXT NOT NULL,
    session_id TEXT NOT NULL, started REAL NOT NULL, ended REAL NOT NULL, duration_s REAL NOT NULL,
    scene TEXT, completed INTEGER NOT NULL, end_reason TEXT, pain_before REAL, pain_after REAL,
    calm_s REAL NOT NULL, elevated_s REAL NOT NULL, distressed_s REAL NOT NULL, hold_s REAL NOT NULL,
    adaptations INTEGER NOT NULL, level_changes INTEGER NOT NULL, calibrated INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX sessions_by_device ON sessions (site, device, started);
CREATE TABLE minutes (
    key TEXT PRIMARY KEY REFERENCES records (key), site TEXT NOT NULL, device TEXT NOT NULL,
    session_id TEXT, started REAL NOT NULL, ended REAL NOT NULL,
    hr_bpm REAL, scl_us REAL, distress_mean REAL, distress_p90 REAL,
    calm_s REAL NOT NULL, elevated_s REAL NOT NULL, distressed_s REAL NOT NULL, hold_s REAL NOT NULL,
    adaptations INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX minutes_by_session ON minutes (site, device, session_id, started);
CREATE TABLE health (
    key TEXT PRIMARY KEY REFERENCES records (key), site TEXT NOT NULL, device TEXT NOT NULL,
    t REAL NOT NULL, uptime_s REAL NOT NULL, agent_version TEXT NOT NULL, disk_free_bytes INTEGER NOT NULL,
    sessions_per_week INTEGER, minutes_per_session REAL, body TEXT NOT NULL
);
CREATE INDEX health_by_device ON health (site, device, t);
