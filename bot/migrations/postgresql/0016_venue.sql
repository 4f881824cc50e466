-- A member's personal calendar feed (/evenement mon-agenda): its address carries a random token, of
-- which only a SHA-256 fingerprint is kept, so a copy of the database opens nobody's feed. One a member.
CREATE TABLE calendar_tokens (
    user_id    BIGINT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- Check-in on the day (/evenement accueil): open while `closed_at` is NULL; members type `code`, shown
-- at the venue. Reopening keeps the row (and who already arrived) with a fresh code.
CREATE TABLE event_checkin (
    event_id  BIGINT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    code      TEXT NOT NULL,
    opened_by BIGINT,
    opened_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX event_checkin_code ON event_checkin (code, closed_at);

-- Who arrived is `registrations.checked_in_at` (0015); who marked it: the member themself or an organiser.
ALTER TABLE registrations ADD COLUMN checked_in_by BIGINT;
