-- The node's ledger: an append-only log of significant events, newest last.
-- (The ledger issue adds the hash chain and cluster-wide replication in a later migration.)
CREATE TABLE ledger (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  time     INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  node_id  TEXT    NOT NULL,
  subject  TEXT,
  term     INTEGER NOT NULL DEFAULT 0,
  data     TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX ledger_by_type ON ledger (type, seq);
CREATE INDEX ledger_by_subject ON ledger (subject, seq);
