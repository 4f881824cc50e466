-- Facilitators: structures that support groups, registered by their members (moderated like
-- projects) or imported. A facilitator is keyed by its folded name.
CREATE TABLE facilitators (
    id           INTEGER PRIMARY KEY,
    nom          TEXT NOT NULL,
    nom_cle      TEXT NOT NULL UNIQUE,
    structure    TEXT NOT NULL CHECK (structure IN ('cooperative', 'association', 'independant', 'autre')),
    code_insee   TEXT NOT NULL,
    commune      TEXT NOT NULL,
    departement  TEXT NOT NULL,
    region       TEXT NOT NULL,
    lat          REAL,
    lon          REAL,
    site         TEXT,
    contact      TEXT,
    description  TEXT NOT NULL DEFAULT '',
    statut       TEXT NOT NULL DEFAULT 'en_attente' CHECK (statut IN ('en_attente', 'publie', 'refuse')),
    guild_id     INTEGER,
    proposed_by  INTEGER,
    locale       TEXT NOT NULL DEFAULT 'fr',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    confirmed_at TEXT NOT NULL
);
CREATE INDEX facilitators_confirmed ON facilitators (statut, confirmed_at);

-- The area it covers: communes (INSEE), départements and current régions (codes).
CREATE TABLE facilitator_areas (
    facilitator_id INTEGER NOT NULL REFERENCES facilitators (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('commune', 'departement', 'region')),
    code           TEXT NOT NULL,
    PRIMARY KEY (facilitator_id, kind, code)
) WITHOUT ROWID;

-- Its expertises, phases, stances and kinds of support (one-off, continuous).
CREATE TABLE facilitator_tags (
    facilitator_id INTEGER NOT NULL REFERENCES facilitators (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('expertise', 'etape', 'posture', 'suivi')),
    value          TEXT NOT NULL,
    PRIMARY KEY (facilitator_id, kind, value)
) WITHOUT ROWID;

-- Its Discord members, who keep the record and receive contact requests; in the order they joined.
CREATE TABLE facilitator_members (
    id             INTEGER PRIMARY KEY,
    facilitator_id INTEGER NOT NULL REFERENCES facilitators (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL,
    locale         TEXT NOT NULL DEFAULT 'fr',
    UNIQUE (facilitator_id, user_id)
);
CREATE INDEX facilitator_members_user ON facilitator_members (user_id);

-- "Still accurate?" asked once per confirmation.
CREATE TABLE facilitator_nudges (
    facilitator_id INTEGER NOT NULL REFERENCES facilitators (id) ON DELETE CASCADE,
    since          TEXT NOT NULL,
    PRIMARY KEY (facilitator_id, since)
) WITHOUT ROWID;

-- Where an imported record comes from (the national site's form of actors).
CREATE TABLE facilitator_sources (
    facilitator_id INTEGER PRIMARY KEY REFERENCES facilitators (id) ON DELETE CASCADE,
    site           TEXT NOT NULL,
    entry_id       TEXT NOT NULL,
    page_url       TEXT,
    UNIQUE (site, entry_id)
);

-- A member asks a facilitator to be put in touch: nothing is revealed until one of its members accepts.
CREATE TABLE facilitator_requests (
    id             INTEGER PRIMARY KEY,
    facilitator_id INTEGER NOT NULL REFERENCES facilitators (id) ON DELETE CASCADE,
    requester_id   INTEGER NOT NULL,
    guild_id       INTEGER,
    locale         TEXT NOT NULL DEFAULT 'fr',
    message        TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'attente' CHECK (status IN ('attente', 'acceptee', 'declinee', 'close')),
    answered_by    INTEGER,
    created_at     TEXT NOT NULL,
    answered_at    TEXT
);
CREATE INDEX facilitator_requests_requester ON facilitator_requests (requester_id);
CREATE INDEX facilitator_requests_open ON facilitator_requests (status, created_at);
