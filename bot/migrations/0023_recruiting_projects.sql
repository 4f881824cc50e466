-- The projects a household's suggestions rank (published, recruiting, in its départements, at a stage and
-- under a legal form it accepts, in its circle's box) read from this index alone, never the projects' rows
-- with their descriptions: without it, SQLite walked every recruiting project of the country.
CREATE INDEX projects_recruiting ON projects (statut, recrute, departement, etape, forme_juridique, lat, lon, commune);
