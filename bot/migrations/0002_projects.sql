-- The national project database. A project is keyed by its folded name and its commune.
CREATE TABLE projects (
    id                   INTEGER PRIMARY KEY,
    nom                  TEXT NOT NULL,
    nom_cle              TEXT NOT NULL,
    code_insee           TEXT NOT NULL,
    commune              TEXT NOT NULL,
    departement          TEXT NOT NULL,
    region               TEXT NOT NULL,
    lat                  REAL,
    lon                  REAL,
    etape                TEXT NOT NULL CHECK (etape IN ('emergence', 'realisation', 'vivre_ensemble')),
    initiative           TEXT NOT NULL CHECK (initiative IN ('citoyenne', 'institutionnelle', 'professionnelle')),
    forme_juridique      TEXT NOT NULL,
    logements            INTEGER CHECK (logements IS NULL OR logements > 0),
    recrute              INTEGER NOT NULL DEFAULT 0 CHECK (recrute IN (0, 1)),
    description          TEXT NOT NULL DEFAULT '',
    site                 TEXT,
    contact              TEXT,
    statut               TEXT NOT NULL DEFAULT 'en_attente' CHECK (statut IN ('en_attente', 'publie', 'refuse')),
    guild_id             INTEGER,
    proposed_by          INTEGER,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    confirmed_at         TEXT NOT NULL,
    recrute_confirmed_at TEXT,
    UNIQUE (nom_cle, code_insee)
);
CREATE INDEX projects_departement ON projects (statut, departement);
CREATE INDEX projects_region ON projects (statut, region);
CREATE INDEX projects_lat ON projects (lat);

CREATE TABLE project_publics (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    public     TEXT NOT NULL,
    PRIMARY KEY (project_id, public)
) WITHOUT ROWID;
CREATE INDEX project_publics_public ON project_publics (public);

CREATE TABLE project_spaces (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    espace     TEXT NOT NULL,
    PRIMARY KEY (project_id, espace)
) WITHOUT ROWID;

-- The members who keep a project's record up to date (and receive contact requests).
CREATE TABLE project_referents (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX project_referents_user ON project_referents (user_id);

-- A change of name, commune or stage of a published project waits here for a moderator.
CREATE TABLE project_revisions (
    project_id  INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    nom         TEXT NOT NULL,
    code_insee  TEXT NOT NULL,
    etape       TEXT NOT NULL CHECK (etape IN ('emergence', 'realisation', 'vivre_ensemble')),
    proposed_by INTEGER NOT NULL,
    guild_id    INTEGER,
    proposed_at TEXT NOT NULL
);

-- "Is this still true?" messages to référents: one per project, kind and confirmation, claimed
-- before sending and marked after (rule 4), so a restart neither repeats nor forgets one.
CREATE TABLE project_nudges (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('fiche', 'recrute')),
    since        TEXT NOT NULL,
    claimed_at   TEXT,
    sent_at      TEXT,
    UNIQUE (project_id, kind, since)
);

-- Full text on name, commune and description, as folded French stems (see bot/text.py);
-- the triggers keep it in step with the table, through the fts_fr() function of bot/db.py.
CREATE VIRTUAL TABLE project_fts USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER projects_fts_insert AFTER INSERT ON projects BEGIN
    INSERT INTO project_fts (rowid, body) VALUES (new.id, fts_fr(new.nom, new.commune, new.description));
END;
CREATE TRIGGER projects_fts_update AFTER UPDATE OF nom, commune, description ON projects BEGIN
    DELETE FROM project_fts WHERE rowid = old.id;
    INSERT INTO project_fts (rowid, body) VALUES (new.id, fts_fr(new.nom, new.commune, new.description));
END;
CREATE TRIGGER projects_fts_delete AFTER DELETE ON projects BEGIN
    DELETE FROM project_fts WHERE rowid = old.id;
END;
