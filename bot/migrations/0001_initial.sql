-- Per-server settings: each server that invites the bot keeps its own channels, roles and zone.
CREATE TABLE guild_settings (
    guild_id            INTEGER PRIMARY KEY,
    announce_channel_id INTEGER,
    ads_forum_id        INTEGER,
    modqueue_channel_id INTEGER,
    organiser_role_id   INTEGER,
    moderator_role_id   INTEGER,
    timezone            TEXT NOT NULL DEFAULT 'Europe/Paris',
    updated_at          TEXT NOT NULL
);

-- Reminder offsets before an event, in minutes; a server without rows uses the defaults.
CREATE TABLE guild_reminder_offsets (
    guild_id INTEGER NOT NULL REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    minutes  INTEGER NOT NULL CHECK (minutes > 0),
    PRIMARY KEY (guild_id, minutes)
) WITHOUT ROWID;
