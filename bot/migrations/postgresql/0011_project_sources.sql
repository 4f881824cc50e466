-- Projects that come from the national database (a YesWiki "Bazar" site) keep their source: the
-- site, the entry's id there, its public page and its last update at the source. A re-import is a
-- sync keyed by (site, entry id), never by name.
CREATE TABLE project_sources (
    project_id  BIGINT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    site        TEXT NOT NULL,
    entry_id    TEXT NOT NULL,
    page_url    TEXT,
    updated_at  TEXT,          -- date_maj_fiche, as the source gives it
    -- What the source said when last imported (a hash of the fields it owns): a record whose fields
    -- differ from it was edited on Discord; a source that differs from it was changed there.
    fingerprint TEXT NOT NULL,
    -- The source's version, when both changed: it waits for the moderators' choice (JSON draft).
    conflict    TEXT,
    retired_at  TEXT,          -- gone from the source, or stopped there (`arrete`): hidden
    UNIQUE (site, entry_id)
);

-- Where the scheduled sync stands with each site: its validators for a conditional read, and when
-- it last ran.
CREATE TABLE source_sites (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    last_run_at   TEXT
);

-- Servers whose administrators want each sync's summary in their moderation channel.
ALTER TABLE guild_settings ADD COLUMN national_db_reports BIGINT NOT NULL DEFAULT 0;
