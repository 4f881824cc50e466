-- A page of search results is written from the projects' index (bot/projects/index.py), which now also keeps
-- what the page shows of each project: its name, commune, homes, the start of its description and when it was
-- last confirmed. A change to any of them is logged, as a change to what the search reads is.
DROP TRIGGER project_changed;
CREATE TRIGGER project_changed AFTER UPDATE OF statut, nom, nom_cle, commune, lat, lon, departement, etape,
    initiative, forme_juridique, recrute, logements, description, confirmed_at, stems, public_mask, space_mask
    ON projects BEGIN
    INSERT OR REPLACE INTO project_changes (project_id) VALUES (NEW.id);
END;
