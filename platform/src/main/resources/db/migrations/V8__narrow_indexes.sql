-- Two indexes that every write paid for, narrowed to the rows their queries look up (ADR 24).
-- The five events every task records make up nearly all of a busy ledger: a query for one of them finds its
-- page by walking back from the newest entry, and only the other types (node, leader, plugin, retry, failure
-- and cancel events) keep an index. LedgerVerticle.FREQUENT_TYPES lists the same five.
DROP INDEX ledger_by_type;
CREATE INDEX ledger_by_rare_type ON ledger (type, seq)
  WHERE type NOT IN ('TASK_SUBMITTED', 'TASK_ASSIGNED', 'TASK_ACKNOWLEDGED', 'TASK_STARTED', 'TASK_COMPLETED');
-- Most tasks have no idempotency key; a lookup by key never looks for NULL.
DROP INDEX tasks_by_key;
CREATE INDEX tasks_by_key ON tasks (idempotency_key) WHERE idempotency_key IS NOT NULL;
