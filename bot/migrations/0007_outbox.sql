-- The message ledger (rule 4): every message the bot sends on its own is a row, written with the
-- change that causes it, rendered at send time in the recipient's language and the server's zone.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    target          TEXT NOT NULL CHECK (target IN ('dm', 'channel', 'thread_close')),
    recipient_id    INTEGER NOT NULL,
    guild_id        INTEGER,
    locale          TEXT,
    subject         TEXT,
    payload         TEXT NOT NULL DEFAULT '{}',
    mention_role_id INTEGER,
    due_at          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'undeliverable', 'cancelled', 'missed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    claimed_at      TEXT,
    sent_at         TEXT,
    reason          TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, due_at);
CREATE INDEX outbox_subject ON outbox (subject, status);
CREATE INDEX outbox_recipient ON outbox (recipient_id);

-- Reminders before an event become rows of the ledger, about their registration.
INSERT INTO outbox (kind, target, recipient_id, guild_id, locale, subject, payload, due_at, attempts, created_at)
SELECT 'event.reminder', 'dm', g.user_id, e.guild_id, g.locale, 'registration:' || g.id,
       json_object('offset', r.offset_minutes), r.due_at, r.attempts, r.due_at
FROM reminders r JOIN registrations g ON g.id = r.registration_id JOIN events e ON e.id = g.event_id
WHERE r.status = 'attente' AND g.user_id IS NOT NULL;
DROP TABLE reminders;

-- Scheduled announcements keep their rule; each next occurrence is a row of the ledger.
INSERT INTO outbox (kind, target, recipient_id, guild_id, subject, mention_role_id, due_at, attempts, created_at)
SELECT 'announcement', 'channel', channel_id, guild_id, 'announcement:' || id, role_id, next_at, attempts, created_at
FROM announcements WHERE active = 1 AND next_at IS NOT NULL;
DROP INDEX announcements_due;
ALTER TABLE announcements DROP COLUMN next_at;
ALTER TABLE announcements DROP COLUMN claimed_at;
ALTER TABLE announcements DROP COLUMN attempts;
