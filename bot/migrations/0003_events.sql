-- Quiet hours per server: no reminder DM between these local hours (22:00–08:00 by default).
ALTER TABLE guild_settings ADD COLUMN quiet_start INTEGER NOT NULL DEFAULT 22 CHECK (quiet_start BETWEEN 0 AND 23);
ALTER TABLE guild_settings ADD COLUMN quiet_end INTEGER NOT NULL DEFAULT 8 CHECK (quiet_end BETWEEN 0 AND 23);

-- The one agenda: an event belongs to the server that created it and is listed everywhere.
CREATE TABLE events (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('pleniere', 'jpo', 'rnhp', 'atelier', 'visite',
                                                      'reunion_publique', 'webinaire', 'autre')),
    title               TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    starts_at           TEXT NOT NULL,
    ends_at             TEXT NOT NULL,
    code_insee          TEXT,
    commune             TEXT,
    departement         TEXT,
    region              TEXT,
    lat                 REAL,
    lon                 REAL,
    online_url          TEXT,
    capacity            INTEGER CHECK (capacity IS NULL OR capacity > 0),
    organiser_id        INTEGER NOT NULL,
    series_id           INTEGER,
    status              TEXT NOT NULL DEFAULT 'prevu' CHECK (status IN ('prevu', 'annule')),
    cancel_reason       TEXT,
    discord_event_id    INTEGER,
    announce_channel_id INTEGER,
    announce_message_id INTEGER,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (code_insee IS NOT NULL OR online_url IS NOT NULL)
);
CREATE INDEX events_upcoming ON events (status, starts_at);
CREATE INDEX events_series ON events (series_id);

-- Workshops inside an event (the national meetings run dozens), each with its own time and seats.
CREATE TABLE event_sessions (
    id        INTEGER PRIMARY KEY,
    event_id  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    title     TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at   TEXT NOT NULL,
    place     TEXT,
    capacity  INTEGER CHECK (capacity IS NULL OR capacity > 0),
    CHECK (ends_at > starts_at)
);
CREATE INDEX event_sessions_event ON event_sessions (event_id);

-- A household's registration: `seats` places, confirmed or waiting (in order of `created_at`, `id`).
-- A guest without Discord has a name and no user; an erased member's row keeps only its seats.
CREATE TABLE registrations (
    id            INTEGER PRIMARY KEY,
    event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    session_id    INTEGER REFERENCES event_sessions (id) ON DELETE CASCADE,
    user_id       INTEGER,
    guest_name    TEXT,
    seats         INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 20),
    status        TEXT NOT NULL CHECK (status IN ('inscrit', 'attente')),
    remind        INTEGER NOT NULL DEFAULT 1 CHECK (remind IN (0, 1)),
    locale        TEXT NOT NULL DEFAULT 'fr',
    registered_by INTEGER,
    dm_closed     INTEGER NOT NULL DEFAULT 0 CHECK (dm_closed IN (0, 1)),
    created_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX registrations_member ON registrations (event_id, COALESCE(session_id, 0), user_id)
    WHERE user_id IS NOT NULL;
CREATE INDEX registrations_user ON registrations (user_id);
CREATE INDEX registrations_event ON registrations (event_id, session_id, status, created_at);

-- A member's own reminder offsets (minutes before); none means the server's.
CREATE TABLE member_reminder_offsets (
    user_id INTEGER NOT NULL,
    minutes INTEGER NOT NULL CHECK (minutes >= 0),
    PRIMARY KEY (user_id, minutes)
) WITHOUT ROWID;

-- Reminder DMs are rows (rule 4): claimed, sent with a nonce from their id, then marked.
CREATE TABLE reminders (
    id              INTEGER PRIMARY KEY,
    registration_id INTEGER NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    offset_minutes  INTEGER NOT NULL,
    due_at          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'attente'
                    CHECK (status IN ('attente', 'envoye', 'manque', 'echec', 'annule')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    claimed_at      TEXT,
    sent_at         TEXT,
    UNIQUE (registration_id, offset_minutes)
);
CREATE INDEX reminders_due ON reminders (status, due_at);

-- Organisers' scheduled announcements, once or recurring; `next_at` is the next occurrence (UTC).
CREATE TABLE announcements (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    author_id     INTEGER NOT NULL,
    content       TEXT NOT NULL,
    role_id       INTEGER,
    rule          TEXT NOT NULL CHECK (rule IN ('once', 'daily', 'weekly', 'monthly_day', 'monthly_nth')),
    weekdays      INTEGER NOT NULL DEFAULT 0,
    monthday      INTEGER,
    nth           INTEGER,
    at_hour       INTEGER NOT NULL,
    at_minute     INTEGER NOT NULL,
    timezone      TEXT NOT NULL,
    next_at       TEXT,
    claimed_at    TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    sent_count    INTEGER NOT NULL DEFAULT 0,
    last_sent_at  TEXT,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL
);
CREATE INDEX announcements_due ON announcements (active, next_at);
