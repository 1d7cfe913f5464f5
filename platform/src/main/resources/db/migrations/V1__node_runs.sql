-- One row per start of this node: when it ran, which version, and how it stopped.
-- A row whose stopped_at is NULL at the next start marks a run that ended without a clean shutdown.
CREATE TABLE node_runs (
  run         INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id     TEXT    NOT NULL,
  version     TEXT    NOT NULL,
  started_at  INTEGER NOT NULL,
  stopped_at  INTEGER,
  stop_reason TEXT
);
