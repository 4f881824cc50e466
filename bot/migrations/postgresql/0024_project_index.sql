-- Published projects are searched and ranked in memory (bot/projects/index.py), on both engines alike: the
-- store writes each record's folded French stems (bot/text.py, as the SQLite full-text index held them) and
-- its publics and shared spaces as bitmasks (bit i: the vocabulary's i-th member) with the row, so that the
-- index starts from the projects' rows alone. The stems of the records already written are left NULL: the bot
-- works them out once, in Python, and writes them (ProjectStore.fill_stems). The full-text index of projects and the covering index of
-- recruiting projects (0023) had no other reader.
ALTER TABLE projects ADD COLUMN stems TEXT;
ALTER TABLE projects ADD COLUMN public_mask BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN space_mask BIGINT NOT NULL DEFAULT 0;
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
    END), 0) FROM project_spaces t WHERE t.project_id = projects.id);
DROP INDEX projects_recruiting;
DROP TRIGGER projects_fts_insert ON projects;
DROP TRIGGER projects_fts_update ON projects;
DROP FUNCTION projects_fts_inserted();
DROP FUNCTION projects_fts();
DROP TABLE project_fts;

-- What changed, for every process's index, as household_changes (0022): one row a project, renumbered each
-- time a column the index reads changes. New rows are logged once per statement (an import's batch). A deleted
-- project keeps its row, so that every index drops it.
CREATE SEQUENCE project_changes_seq;
CREATE TABLE project_changes (
    seq        BIGINT NOT NULL DEFAULT nextval('project_changes_seq') PRIMARY KEY,
    project_id BIGINT NOT NULL UNIQUE
);
INSERT INTO project_changes (project_id) SELECT id FROM projects ORDER BY id;
CREATE FUNCTION project_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_changes (project_id) SELECT id FROM inserted ORDER BY id
    ON CONFLICT (project_id) DO UPDATE SET seq = nextval('project_changes_seq');
    RETURN NULL;
END
$$;
CREATE TRIGGER project_created AFTER INSERT ON projects REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION project_created();
CREATE FUNCTION project_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_changes (project_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)
    ON CONFLICT (project_id) DO UPDATE SET seq = nextval('project_changes_seq');
    RETURN NULL;
END
$$;
CREATE TRIGGER project_changed AFTER UPDATE OF statut, nom_cle, lat, lon, departement, etape, initiative,
    forme_juridique, recrute, stems, public_mask, space_mask ON projects
    FOR EACH ROW EXECUTE FUNCTION project_changed();
CREATE TRIGGER project_deleted AFTER DELETE ON projects FOR EACH ROW EXECUTE FUNCTION project_changed();
