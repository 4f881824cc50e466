-- A radius search reads the box around its commune from this index alone (latitude range, longitude
-- within it) and never the projects' rows it leaves out; it replaces the latitude-only index.
DROP INDEX projects_lat;
CREATE INDEX projects_place ON projects (lat, lon);
