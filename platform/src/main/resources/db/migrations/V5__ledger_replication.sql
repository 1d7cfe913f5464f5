-- The ledger becomes the cluster's: the leader sequences every node's events and every node keeps a replica.
-- A node whose entries the cluster's chain does not contain (a deposed leader's last writes) moves them here,
-- so nothing is silently deleted.
CREATE TABLE ledger_orphans (
  seq         INTEGER NOT NULL,
  time        INTEGER NOT NULL,
  type        TEXT    NOT NULL,
  node_id     TEXT    NOT NULL,
  subject     TEXT,
  term        INTEGER NOT NULL,
  data        TEXT    NOT NULL,
  prev_hash   TEXT,
  hash        TEXT,
  orphaned_at INTEGER NOT NULL
);
-- Retention: entries up to and including seq were pruned; hash is that entry's hash, so the chain after it still
-- verifies; the signature (Ed25519, by the node that pruned) covers seq, hash, time and pruned.
CREATE TABLE ledger_checkpoints (
  seq        INTEGER PRIMARY KEY,
  hash       TEXT    NOT NULL,
  time       INTEGER NOT NULL,
  pruned     INTEGER NOT NULL,
  node_id    TEXT    NOT NULL,
  public_key TEXT    NOT NULL,
  signature  TEXT    NOT NULL
);
