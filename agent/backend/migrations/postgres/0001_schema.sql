-- Times are Unix seconds (UTC), as in the MQTT schema; to_timestamp(started) gives a timestamptz.
CREATE TABLE records (
    arrival  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key      TEXT NOT NULL UNIQUE,  -- the idempotency key: INSERT ... ON CONFLICT (key) DO NOTHING
    kind     TEXT NOT NULL,
    site     TEXT NOT NULL,
    device   TEXT NOT NULL,
    created  DOUBLE PRECISION NOT NULL,
    received DOUBLE PRECISION NOT NULL
);
CREATE TABLE devices (
    site TEXT NOT NULL, device TEXT NOT NULL, first_seen DOUBLE PRECISION NOT NULL,
    agent_version TEXT, health_t DOUBLE PRECISION, sessions_per_week INTEGER, minutes_per_session DOUBLE PRECISION,
    PRIMARY KEY (site, device)
);
CREATE TABLE sessions (
    key TEXT PRIMARY KEY REFERENCES records (key), site TEXT NOT NULL, device TEXT NOT NULL,
    session_id TEXT NOT NULL, started DOUBLE PRECISION NOT NULL, ended DOUBLE PRECISION NOT NULL,
    duration_s DOUBLE PRECISION NOT NULL, scene TEXT, completed BOOLEAN NOT NULL, end_reason TEXT,
    pain_before DOUBLE PRECISION, pain_after DOUBLE PRECISION,
    calm_s DOUBLE PRECISION NOT NULL, elevated_s DOUBLE PRECISION NOT NULL,
    distressed_s DOUBLE PRECISION NOT NULL, hold_s DOUBLE PRECISION NOT NULL,
    adaptations INTEGER NOT NULL, level_changes INTEGER NOT NULL, calibrated BOOLEAN NOT NULL,
    body JSONB NOT NULL
);
CREATE INDEX sessions_by_device ON sessions (site, device, started);
CREATE TABLE minutes (
    key TEXT PRIMARY KEY REFERENCES records (key), site TEXT NOT NULL, device TEXT NOT NULL,
    session_id TEXT, started DOUBLE PRECISION NOT NULL, ended DOUBLE PRECISION NOT NULL,
    hr_bpm DOUBLE PRECISION, scl_us DOUBLE PRECISION, distress_mean DOUBLE PRECISION, distress_p90 DOUBLE PRECISION,
    calm_s DOUBLE PRECISION NOT NULL, elevated_s DOUBLE PRECISION NOT NULL,
    distressed_s DOUBLE PRECISION NOT NULL, hold_s DOUBLE PRECISION NOT NULL,
    adaptations INTEGER NOT NULL, body JSONB NOT NULL
);
CREATE INDEX minutes_by_session ON minutes (site, device, session_id, started);
CREATE TABLE health (
    key TEXT PRIMARY KEY REFERENCES records (key), site TEXT NOT NULL, device TEXT NOT NULL,
    t DOUBLE PRECISION NOT NULL, uptime_s DOUBLE PRECISION NOT NULL, agent_version TEXT NOT NULL,
    disk_free_bytes BIGINT NOT NULL, sessions_per_week INTEGER, minutes_per_session DOUBLE PRECISION,
    body JSONB NOT NULL
);
CREATE INDEX health_by_device ON health (site, device, t);
CREATE TABLE presence (
    site TEXT NOT NULL, device TEXT NOT NULL, state TEXT NOT NULL,
    t DOUBLE PRECISION NOT NULL, received DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (site, device)
);
CREATE TABLE rejected (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, received DOUBLE PRECISION NOT NULL,
    topic TEXT NOT NULL, reason TEXT NOT NULL, payload BYTEA, consumer TEXT
);
-- One row per consumer and outcome, so consumers in one group never wait on each other's counter rows.
CREATE TABLE counters (
    consumer TEXT NOT NULL, name TEXT NOT NULL, value BIGINT NOT NULL, PRIMARY KEY (consumer, name)
);
