-- Households on the ledger (rule 4): requests, answers, lapses, the weekly digest and the yearly
-- "does your introduction still hold?" are rows of `outbox`, written with the change that causes them.

-- Introductions say which way they go (a project's référent may ask a household, and the project is
-- kept), and a request that reached nobody is withdrawn rather than deleted: its requester is told.
ALTER TABLE introductions ADD COLUMN kind TEXT NOT NULL CHECK (kind IN ('foyer', 'projet', 'proposition'));
ALTER TABLE introductions DROP CONSTRAINT introductions_status;
ALTER TABLE introductions ADD CONSTRAINT introductions_status
    CHECK (status IN ('attente', 'acceptee', 'declinee', 'expiree', 'retiree'));
ALTER TABLE introductions DROP CONSTRAINT introductions_who;
ALTER TABLE introductions ADD CONSTRAINT introductions_who
    CHECK ((kind = 'foyer' AND target_user_id IS NOT NULL AND project_id IS NULL)
        OR (kind = 'projet' AND target_user_id IS NULL AND project_id IS NOT NULL)
        OR (kind = 'proposition' AND target_user_id IS NOT NULL AND project_id IS NOT NULL));
CREATE INDEX introductions_pending ON introductions (status, created_at);

-- The yearly question: written to the ledger (asked_at), delivered (asked_delivered_at, from the
-- ledger's marking transaction); the pause counts from the delivery, so nobody is paused unasked.
ALTER TABLE household_profiles ADD COLUMN asked_at TEXT;
ALTER TABLE household_profiles ADD COLUMN asked_delivered_at TEXT;
-- The weekly digest composed (its row written when there was news): a schedule, no longer a claim.
ALTER TABLE household_profiles ADD COLUMN digest_done_at TEXT;
-- A DM to the member came back refused: not suggested to others until one goes through.
ALTER TABLE household_profiles ADD COLUMN dm_closed BIGINT NOT NULL DEFAULT 0 CHECK (dm_closed IN (0, 1));
UPDATE household_profiles SET digest_done_at = last_digest_at;

-- A question the old code claimed may never have reached the member (it was marked before it was
-- sent): it is asked again through the ledger, and the month before a pause starts at its delivery.
UPDATE household_profiles SET asked_at = nudged_at WHERE nudged_at IS NOT NULL AND paused = 0;
ALTER TABLE household_profiles DROP COLUMN nudged_at;
ALTER TABLE household_profiles DROP COLUMN last_digest_at;
