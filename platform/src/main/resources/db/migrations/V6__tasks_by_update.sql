-- After a whole-cluster restart the new leader asks each mirror for the tasks that ended shortly before its
-- newest change: their ends may not have reached the ledger before the nodes died.
CREATE INDEX tasks_by_updated ON tasks (updated_at);
