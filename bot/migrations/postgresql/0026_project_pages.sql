-- A page of search results is written from the projects' index (bot/projects/index.py), which now also keeps
-- what the page shows of each project: its name, commune, homes, the start of its description and when it was
-- last confirmed. A change to any of them is logged, as a change to what the search reads is.
DROP TRIGGER project_changed ON projects;
CREATE TRIGGER project_changed AFTER UPDATE OF statut, nom, nom_cle, commune, lat, lon, departement, etape,
    initiative, forme_juridique, recrute, logements, description, confirmed_at, stems, public_mask, space_mask
    ON projects FOR EACH ROW EXECUTE FUNCTION project_changed();

-- A process reads a change log only once it has heard that the log moved (bot/postgres.py): other processes'
-- transactions tell it by a notification once they commit, and its own statements by a notice sent back with
-- them, at once. Both once a transaction for each log, however many rows it changes.
CREATE FUNCTION change_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('habitat.told_' || TG_TABLE_NAME, true) IS DISTINCT FROM 'y' THEN
        PERFORM set_config('habitat.told_' || TG_TABLE_NAME, 'y', true);
        PERFORM pg_notify('habitat_changes', TG_TABLE_NAME);
        RAISE NOTICE USING MESSAGE = 'habitat_changes', DETAIL = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER project_changes_told AFTER INSERT OR UPDATE ON project_changes
    FOR EACH STATEMENT EXECUTE FUNCTION change_logged();
CREATE TRIGGER household_changes_told AFTER INSERT OR UPDATE ON household_changes
    FOR EACH STATEMENT EXECUTE FUNCTION change_logged();
