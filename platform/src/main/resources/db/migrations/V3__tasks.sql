-- The durable mirror of the cluster's task table. The leader writes every change in group-committed
-- batches; a row is only replaced by a write with a higher (term, version), so a deposed leader cannot
-- overwrite a newer record.
CREATE TABLE tasks (
  id              TEXT    PRIMARY KEY,
  seq             INTEGER NOT NULL,
  state           TEXT    NOT NULL,
  type            TEXT    NOT NULL,
  node_id         TEXT,
  priority        INTEGER NOT NULL,
  idempotency_key TEXT,
  submitted_at    INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  term            INTEGER NOT NULL,
  version         INTEGER NOT NULL,
  json            TEXT    NOT NULL
);
CREATE INDEX tasks_by_state ON tasks (state, seq);
CREATE INDEX tasks_by_seq ON tasks (seq);
CREATE INDEX tasks_by_key ON tasks (idempotency_key);
