-- New projects' full-text entries are written once per INSERT statement, from all the rows it added: a
-- whole import batch in one statement instead of one per row (to_tsvector and the GIN index take the same
-- words). A change of name, commune or description still rewrites its one entry, as before. The entries
-- already written stay as they are.
DROP TRIGGER projects_fts ON projects;

CREATE FUNCTION projects_fts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_fts (id, body)
    SELECT id, to_tsvector('fr_unaccent', concat_ws(' ', nom, commune, description)) FROM inserted;
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_fts_insert AFTER INSERT ON projects REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION projects_fts_inserted();
CREATE TRIGGER projects_fts_update AFTER UPDATE OF nom, commune, description ON projects
    FOR EACH ROW EXECUTE FUNCTION projects_fts();
