-- The PostgreSQL twin of ../0001_initial.sql. A PostgreSQL database is created empty by these twins, at a
-- time when the SQLite migrations' data rewrites have nothing to carry: the twins keep their schema changes.

-- French full text as SQLite's index holds it: accents folded (unaccent), then the French Snowball stemmer.
-- Creating the extension needs a privilege the role may lack: bot/postgres.py then says what to ask for.
CREATE EXTENSION IF NOT EXISTS unaccent;
-- No stop words here: the bot drops its own from the searched words (bot/text.py), as on SQLite.
CREATE TEXT SEARCH DICTIONARY fr_stem (TEMPLATE = snowball, Language = french);
CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
ALTER TEXT SEARCH CONFIGURATION fr_unaccent ALTER MAPPING FOR asciiword, asciihword, hword_asciipart WITH fr_stem;
ALTER TEXT SEARCH CONFIGURATION fr_unaccent ALTER MAPPING FOR hword, hword_part, word WITH unaccent, fr_stem;

-- Per-server settings: each server that invites the bot keeps its own channels, roles and zone.
CREATE TABLE guild_settings (
    guild_id            BIGINT PRIMARY KEY,
    announce_channel_id BIGINT,
    ads_forum_id        BIGINT,
    modqueue_channel_id BIGINT,
    organiser_role_id   BIGINT,
    moderator_role_id   BIGINT,
    timezone            TEXT NOT NULL DEFAULT 'Europe/Paris',
    updated_at          TEXT NOT NULL
);

-- Reminder offsets before an event, in minutes; a server without rows uses the defaults.
CREATE TABLE guild_reminder_offsets (
    guild_id BIGINT NOT NULL REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    minutes  BIGINT NOT NULL CHECK (minutes > 0),
    PRIMARY KEY (guild_id, minutes)
);
