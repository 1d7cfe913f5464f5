-- The ledger becomes a hash chain: each entry stores the SHA-256 of the entry before it and its own, so an
-- altered, removed or inserted row is detected by GET /api/v1/ledger/verify. Rows written before this
-- migration are chained by the ledger at its next start.
ALTER TABLE ledger ADD COLUMN prev_hash TEXT;
ALTER TABLE ledger ADD COLUMN hash TEXT;
