-- The resource centre: what the network has produced (guides, model documents, studies, experience
-- reports…), proposed by members and published by moderators, found by full text and the framework.
ALTER TABLE guild_settings ADD COLUMN resources_forum_id INTEGER;

CREATE TABLE resources (
    id          INTEGER PRIMARY KEY,
    titre       TEXT NOT NULL,
    titre_cle   TEXT NOT NULL UNIQUE,  -- folded title: a resource's key in CSV files
    resume      TEXT NOT NULL,
    lien        TEXT,
    theme       TEXT NOT NULL,
    etape       TEXT CHECK (etape IS NULL OR etape IN ('emergence', 'realisation', 'vivre_ensemble')),
    volet       TEXT CHECK (volet IS NULL OR volet IN ('immobilier', 'participatif', 'collectif')),
    pas         TEXT,
    type        TEXT NOT NULL,
    auteur      TEXT NOT NULL,
    date        TEXT,  -- the document's date as given: YYYY, YYYY-MM or YYYY-MM-DD
    licence     TEXT NOT NULL,
    exemple     INTEGER NOT NULL DEFAULT 0 CHECK (exemple IN (0, 1)),  -- « exemple, pas un modèle »
    statut      TEXT NOT NULL DEFAULT 'en_attente' CHECK (statut IN ('en_attente', 'publie', 'refuse')),
    guild_id    INTEGER,
    proposed_by INTEGER,
    locale      TEXT NOT NULL DEFAULT 'fr',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX resources_statut ON resources (statut, theme);
CREATE INDEX resources_step ON resources (statut, volet, pas);
CREATE INDEX resources_proposer ON resources (proposed_by);

CREATE TABLE resource_audiences (
    resource_id  INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    destinataire TEXT NOT NULL,
    PRIMARY KEY (resource_id, destinataire)
) WITHOUT ROWID;
CREATE INDEX resource_audiences_destinataire ON resource_audiences (destinataire);

-- A file is kept by the bot itself: Discord's attachment addresses expire.
CREATE TABLE resource_files (
    resource_id  INTEGER PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL CHECK (size > 0),
    data         BLOB NOT NULL
);

-- A published resource's post in a server's resources forum.
CREATE TABLE resource_posts (
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    forum_id    INTEGER NOT NULL,
    thread_id   INTEGER NOT NULL,
    PRIMARY KEY (resource_id, guild_id)
) WITHOUT ROWID;

-- Full text on title, summary and author, as folded French stems (bot/text.py, fts_fr of bot/db.py).
CREATE VIRTUAL TABLE resource_fts USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER resources_fts_insert AFTER INSERT ON resources BEGIN
    INSERT INTO resource_fts (rowid, body) VALUES (new.id, fts_fr(new.titre, new.resume, new.auteur));
END;
CREATE TRIGGER resources_fts_update AFTER UPDATE OF titre, resume, auteur ON resources BEGIN
    DELETE FROM resource_fts WHERE rowid = old.id;
    INSERT INTO resource_fts (rowid, body) VALUES (new.id, fts_fr(new.titre, new.resume, new.auteur));
END;
CREATE TRIGGER resources_fts_delete AFTER DELETE ON resources BEGIN
    DELETE FROM resource_fts WHERE rowid = old.id;
END;
