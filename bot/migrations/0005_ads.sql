-- Small-ad limits per server: live ads per member, ads published per day.
ALTER TABLE guild_settings ADD COLUMN max_live_ads INTEGER NOT NULL DEFAULT 5 CHECK (max_live_ads BETWEEN 1 AND 100);
ALTER TABLE guild_settings ADD COLUMN max_ads_per_day INTEGER NOT NULL DEFAULT 3 CHECK (max_ads_per_day BETWEEN 1 AND 100);

-- Small ads ("petites annonces"). Text is kept as written; it is never allowed to ping anyone.
CREATE TABLE ads (
    id                INTEGER PRIMARY KEY,
    author_id         INTEGER NOT NULL,
    guild_id          INTEGER NOT NULL,
    category          TEXT NOT NULL CHECK (category IN ('cherche_groupe', 'cherche_foyers', 'logement', 'foncier',
                                                        'entraide', 'autre')),
    departement       TEXT NOT NULL,
    region            TEXT NOT NULL,
    code_insee        TEXT,
    commune           TEXT,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    body_key          TEXT NOT NULL,
    price             INTEGER CHECK (price IS NULL OR price >= 0),
    status            TEXT NOT NULL DEFAULT 'publiee'
                      CHECK (status IN ('publiee', 'en_moderation', 'retiree', 'pourvue', 'expiree', 'supprimee')),
    closed_reason     TEXT,
    created_at        TEXT NOT NULL,
    expires_at        TEXT NOT NULL,
    renewed_count     INTEGER NOT NULL DEFAULT 0,
    forum_channel_id  INTEGER,
    thread_id         INTEGER,
    notice_claimed_at TEXT,
    notice_sent_at    TEXT,
    close_claimed_at  TEXT,
    post_closed       INTEGER NOT NULL DEFAULT 0 CHECK (post_closed IN (0, 1))
);
CREATE INDEX ads_live ON ads (status, departement, created_at);
CREATE INDEX ads_author ON ads (author_id, status);
CREATE INDEX ads_expiry ON ads (status, expires_at);

CREATE TABLE ad_reports (
    id          INTEGER PRIMARY KEY,
    ad_id       INTEGER NOT NULL REFERENCES ads (id) ON DELETE CASCADE,
    reporter_id INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'ouvert' CHECK (status IN ('ouvert', 'garde', 'supprime')),
    created_at  TEXT NOT NULL
);
CREATE INDEX ad_reports_ad ON ad_reports (ad_id);

CREATE VIRTUAL TABLE ad_fts USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER ads_fts_insert AFTER INSERT ON ads BEGIN
    INSERT INTO ad_fts (rowid, body) VALUES (new.id, fts_fr(new.title, new.commune, new.body));
END;
CREATE TRIGGER ads_fts_update AFTER UPDATE OF title, commune, body ON ads BEGIN
    DELETE FROM ad_fts WHERE rowid = old.id;
    INSERT INTO ad_fts (rowid, body) VALUES (new.id, fts_fr(new.title, new.commune, new.body));
END;
CREATE TRIGGER ads_fts_delete AFTER DELETE ON ads BEGIN
    DELETE FROM ad_fts WHERE rowid = old.id;
END;
