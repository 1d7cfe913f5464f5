-- After a whole-cluster restart the new leader asks each mirror for the tasks that ended shortly before its
-- newest end: their ends may not have reached the ledger before the nodes died. Partial, so a task costs one
-- entry here (when it ends) rather than one per change.
CREATE INDEX tasks_ended_by_update ON tasks (updated_at) WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED');
