-- The reference consumer's tables as they were before schema versions: existing databases already have them.
CREATE TABLE IF NOT EXISTS records (
    arrival  INTEGER PRIMARY KEY AUTOINCREMENT,
    key      TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL,
    site     TEXT NOT NULL,
    device   TEXT NOT NULL,
    created  REAL NOT NULL,
    received REAL NOT NULL,
    body     BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS presence (
    site TEXT NOT NULL, device TEXT NOT NULL, state TEXT NOT NULL, t REAL NOT NULL, received REAL NOT NULL,
    PRIMARY KEY (site, device)
);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
