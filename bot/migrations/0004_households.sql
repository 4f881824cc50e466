-- Where the bot greets newcomers, and the channel where accepted introductions open a private thread.
ALTER TABLE guild_settings ADD COLUMN welcome_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN matching_channel_id INTEGER;

-- A household's introduction, filled in three steps (`step` is the next one to fill; 4 = complete).
-- Consent is explicit and separate: visible to other households, visible to projects; neither by default.
CREATE TABLE household_profiles (
    user_id             INTEGER PRIMARY KEY,
    guild_id            INTEGER,
    step                INTEGER NOT NULL DEFAULT 1 CHECK (step BETWEEN 1 AND 4),
    code_insee          TEXT,
    lat                 REAL,
    lon                 REAL,
    radius_km           INTEGER CHECK (radius_km IS NULL OR radius_km BETWEEN 1 AND 300),
    horizon             TEXT CHECK (horizon IS NULL OR horizon IN ('maintenant', 'moins_1_an', 'un_trois_ans', 'plus_tard')),
    adults              INTEGER CHECK (adults IS NULL OR adults BETWEEN 1 AND 12),
    children            INTEGER CHECK (children IS NULL OR children BETWEEN 0 AND 12),
    seniors             INTEGER CHECK (seniors IS NULL OR seniors BETWEEN 0 AND 12),
    accessibility       INTEGER NOT NULL DEFAULT 0 CHECK (accessibility IN (0, 1)),
    budget_min          INTEGER CHECK (budget_min IS NULL OR budget_min >= 0),
    budget_max          INTEGER CHECK (budget_max IS NULL OR budget_max >= 0),
    intro               TEXT NOT NULL DEFAULT '',
    visible_households  INTEGER NOT NULL DEFAULT 0 CHECK (visible_households IN (0, 1)),
    visible_projects    INTEGER NOT NULL DEFAULT 0 CHECK (visible_projects IN (0, 1)),
    paused              INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    digest              INTEGER NOT NULL DEFAULT 1 CHECK (digest IN (0, 1)),
    locale              TEXT NOT NULL DEFAULT 'fr',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    nudged_at           TEXT,
    last_digest_at      TEXT
);
CREATE INDEX household_profiles_visible ON household_profiles (step, paused, lat);

-- The profile's sets: départements, milieu, tenure, stage, values, skills (one row per choice).
CREATE TABLE household_tags (
    user_id INTEGER NOT NULL REFERENCES household_profiles (user_id) ON DELETE CASCADE,
    kind    TEXT NOT NULL CHECK (kind IN ('departement', 'milieu', 'statut', 'etape', 'valeur', 'apport')),
    value   TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX household_tags_value ON household_tags (kind, value);

-- Introductions with consent (double opt-in): a request to a household or to a project's référents.
CREATE TABLE introductions (
    id              INTEGER PRIMARY KEY,
    requester_id    INTEGER NOT NULL,
    target_user_id  INTEGER,
    project_id      INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    guild_id        INTEGER,
    status          TEXT NOT NULL DEFAULT 'attente' CHECK (status IN ('attente', 'acceptee', 'declinee', 'expiree')),
    answered_by     INTEGER,
    thread_id       INTEGER,
    created_at      TEXT NOT NULL,
    answered_at     TEXT,
    CHECK ((target_user_id IS NULL) != (project_id IS NULL))
);
CREATE INDEX introductions_requester ON introductions (requester_id, status);
CREATE INDEX introductions_target ON introductions (target_user_id, status);
CREATE INDEX introductions_project ON introductions (project_id, status);

-- What each member has already been suggested, so that the weekly digest only brings news.
CREATE TABLE suggestions_seen (
    user_id        INTEGER NOT NULL,
    target_user_id INTEGER NOT NULL DEFAULT 0,
    project_id     INTEGER NOT NULL DEFAULT 0,
    seen_at        TEXT NOT NULL,
    PRIMARY KEY (user_id, target_user_id, project_id)
) WITHOUT ROWID;
