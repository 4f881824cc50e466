-- Published projects are searched and ranked in memory (bot/projects/index.py), on both engines alike: the
-- store writes each record's folded French stems (bot/text.py, as the SQLite full-text index held them) and
-- its publics and shared spaces as bitmasks (bit i: the vocabulary's i-th member) with the row, so that the
-- index starts from the projects' rows alone. The full-text index of projects and the covering index of
-- recruiting projects (0023) had no other reader.
ALTER TABLE projects ADD COLUMN stems TEXT;
ALTER TABLE projects ADD COLUMN public_mask INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN space_mask INTEGER NOT NULL DEFAULT 0;
UPDATE projects SET
    public_mask = (SELECT COALESCE(SUM(CASE t.public
        WHEN 'tous' THEN 1
        WHEN 'seniors' THEN 2
        WHEN 'familles' THEN 4
        WHEN 'intergenerationnel' THEN 8
        WHEN 'handicap' THEN 16
        WHEN 'jeunes' THEN 32
    END), 0) FROM project_publics t WHERE t.project_id = projects.id),
    space_mask = (SELECT COALESCE(SUM(CASE t.espace
        WHEN 'salle_commune' THEN 1
        WHEN 'jardin' THEN 2
        WHEN 'potager' THEN 4
        WHEN 'atelier' THEN 8
        WHEN 'buanderie' THEN 16
        WHEN 'chambre_amis' THEN 32
        WHEN 'bureau_partage' THEN 64
        WHEN 'local_velos' THEN 128
        WHEN 'autre' THEN 256
    END), 0) FROM project_spaces t WHERE t.project_id = projects.id),
    stems = (SELECT body FROM project_fts WHERE project_fts.rowid = projects.id);
DROP INDEX projects_recruiting;
DROP TRIGGER projects_fts_delete;
DROP TABLE project_fts;

-- What changed, for every process's index, as household_changes (0022): one row a project, renumbered each
-- time a column the index reads changes. A deleted project keeps its row, so that every index drops it.
CREATE TABLE project_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL UNIQUE
);
INSERT INTO project_changes (project_id) SELECT id FROM projects ORDER BY id;
-- A new row takes the next number, even for an id a deleted project had (SQLite may give it again).
CREATE TRIGGER project_created AFTER INSERT ON projects BEGIN
    INSERT OR REPLACE INTO project_changes (project_id) VALUES (NEW.id);
END;
CREATE TRIGGER project_changed AFTER UPDATE OF statut, nom_cle, lat, lon, departement, etape, initiative,
    forme_juridique, recrute, stems, public_mask, space_mask ON projects BEGIN
    INSERT OR REPLACE INTO project_changes (project_id) VALUES (NEW.id);
END;
CREATE TRIGGER project_deleted AFTER DELETE ON projects BEGIN
    INSERT OR REPLACE INTO project_changes (project_id) VALUES (OLD.id);
END;
