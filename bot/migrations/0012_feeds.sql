-- The associations' agendas: calendar feeds (.ics) a server subscribes to; their events become
-- events of that server's agenda, each keeping its source.
CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    url             TEXT NOT NULL,
    name            TEXT NOT NULL,          -- the association's name, shown on each event's card
    region          TEXT NOT NULL,          -- its région's code: the région of events whose place is not a commune
    announce        INTEGER NOT NULL DEFAULT 0 CHECK (announce IN (0, 1)),
    signup          INTEGER NOT NULL DEFAULT 0 CHECK (signup IN (0, 1)),   -- registration in the bot too
    subscriber_id   INTEGER NOT NULL,
    subscriber_locale TEXT,
    etag            TEXT,
    last_modified   TEXT,
    last_read_at    TEXT,                   -- the last attempt, read or not: the next is 30 minutes later
    last_ok_at      TEXT,
    events_found    INTEGER NOT NULL DEFAULT 0,
    problem         TEXT,                   -- the last problem, NULL once read again
    created_at      TEXT NOT NULL,
    UNIQUE (guild_id, url)
);

-- The events table again, its place rule relaxed: an event of a feed may have a free-text place
-- (`place_text`) or none. SQLite cannot change a CHECK in place; bot/db.py runs migrations with foreign
-- keys off and checks them afterwards, so registrations and workshops keep their event.
CREATE TABLE events_new (
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
    feed_id             INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
    source_uid          TEXT,               -- UID, and the occurrence's RECURRENCE-ID for a repeated one
    source_name         TEXT,               -- the association, as the card names it
    source_fingerprint  TEXT,               -- what the feed said last: an unchanged event is not written
    place_text          TEXT,               -- the feed's LOCATION when it is not a commune
    registration_url    TEXT,               -- the feed's own registration link (URL)
    signup              INTEGER NOT NULL DEFAULT 1 CHECK (signup IN (0, 1)),
    CHECK (ends_at > starts_at),
    CHECK (source_uid IS NOT NULL OR code_insee IS NOT NULL OR online_url IS NOT NULL)
);
INSERT INTO events_new (id, guild_id, kind, title, description, starts_at, ends_at, code_insee, commune, departement,
    region, lat, lon, online_url, capacity, organiser_id, series_id, status, cancel_reason, discord_event_id,
    announce_channel_id, announce_message_id, created_at, updated_at)
SELECT id, guild_id, kind, title, description, starts_at, ends_at, code_insee, commune, departement, region, lat, lon,
    online_url, capacity, organiser_id, series_id, status, cancel_reason, discord_event_id, announce_channel_id,
    announce_message_id, created_at, updated_at
FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_upcoming ON events (status, starts_at);
CREATE INDEX events_series ON events (series_id);
CREATE INDEX events_region ON events (region);
-- One event per UID (and occurrence) in the whole agenda: two feeds carrying the same UID make one event.
CREATE UNIQUE INDEX events_source ON events (source_uid) WHERE source_uid IS NOT NULL;
CREATE INDEX events_feed ON events (feed_id);
