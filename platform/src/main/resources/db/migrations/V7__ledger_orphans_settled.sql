-- When a node that set entries aside has checked them against the cluster's chain (and recorded again the task
-- events the chain lacks). NULL: not yet; a node checks those once it has caught up, also after a restart.
ALTER TABLE ledger_orphans ADD COLUMN settled_at INTEGER;
-- Entries set aside before this column existed were reported then.
UPDATE ledger_orphans SET settled_at = orphaned_at;
