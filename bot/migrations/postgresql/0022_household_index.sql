-- What the in-memory index of matchable households (bot/households/index.py) reads, so that it starts
-- without the millions of tag rows: the profile's départements (space-separated codes) and its tenures,
-- stages, values and skills as bitmasks (bit i: the vocabulary's i-th member), written with the tags.
ALTER TABLE household_profiles ADD COLUMN departements TEXT NOT NULL DEFAULT '';
ALTER TABLE household_profiles ADD COLUMN statut_mask BIGINT NOT NULL DEFAULT 0;
ALTER TABLE household_profiles ADD COLUMN etape_mask BIGINT NOT NULL DEFAULT 0;
ALTER TABLE household_profiles ADD COLUMN valeur_mask BIGINT NOT NULL DEFAULT 0;
ALTER TABLE household_profiles ADD COLUMN apport_mask BIGINT NOT NULL DEFAULT 0;
UPDATE household_profiles SET
    departements = COALESCE((SELECT string_agg(t.value, ' ') FROM household_tags t
        WHERE t.user_id = household_profiles.user_id AND t.kind = 'departement'), ''),
    statut_mask = (SELECT COALESCE(SUM(CASE t.value
        WHEN 'locatif_social' THEN 1
        WHEN 'accession_sociale' THEN 2
        WHEN 'achat' THEN 4
        WHEN 'cooperative' THEN 8
        WHEN 'brs' THEN 16
    END), 0) FROM household_tags t WHERE t.user_id = household_profiles.user_id AND t.kind = 'statut'),
    etape_mask = (SELECT COALESCE(SUM(CASE t.value
        WHEN 'groupe_en_formation' THEN 1
        WHEN 'projet_en_cours' THEN 2
        WHEN 'lieu_existant' THEN 4
    END), 0) FROM household_tags t WHERE t.user_id = household_profiles.user_id AND t.kind = 'etape'),
    valeur_mask = (SELECT COALESCE(SUM(CASE t.value
        WHEN 'ecologie' THEN 1
        WHEN 'intergenerationnel' THEN 2
        WHEN 'mixite_sociale' THEN 4
        WHEN 'espaces_partages' THEN 8
        WHEN 'gouvernance_partagee' THEN 16
        WHEN 'vieillir_chez_soi' THEN 32
        WHEN 'accessibilite' THEN 64
        WHEN 'sobriete' THEN 128
        WHEN 'entraide' THEN 256
        WHEN 'culture' THEN 512
    END), 0) FROM household_tags t WHERE t.user_id = household_profiles.user_id AND t.kind = 'valeur'),
    apport_mask = (SELECT COALESCE(SUM(CASE t.value
        WHEN 'menuiserie' THEN 1
        WHEN 'maconnerie' THEN 2
        WHEN 'jardinage' THEN 4
        WHEN 'electricite' THEN 8
        WHEN 'architecture' THEN 16
        WHEN 'comptabilite' THEN 32
        WHEN 'juridique' THEN 64
        WHEN 'animation' THEN 128
        WHEN 'communication' THEN 256
        WHEN 'informatique' THEN 512
        WHEN 'cuisine' THEN 1024
        WHEN 'soin' THEN 2048
    END), 0) FROM household_tags t WHERE t.user_id = household_profiles.user_id AND t.kind = 'apport');

-- What changed, for every process's index: one row a household, renumbered each time a column the matching
-- reads changes. Numbers are taken when written and seen when committed, possibly out of order: the index
-- looks again at the numbers it found missing (bot/households/index.py). An erased household's row goes with
-- it: the erasing process drops it from its own index, the others find it gone when they confirm a suggestion.
CREATE SEQUENCE household_changes_seq;
CREATE TABLE household_changes (
    seq     BIGINT NOT NULL DEFAULT nextval('household_changes_seq') PRIMARY KEY,
    user_id BIGINT NOT NULL UNIQUE REFERENCES household_profiles (user_id) ON DELETE CASCADE
);
INSERT INTO household_changes (user_id) SELECT user_id FROM household_profiles ORDER BY user_id;
CREATE FUNCTION household_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO household_changes (user_id) VALUES (NEW.user_id)
    ON CONFLICT (user_id) DO UPDATE SET seq = nextval('household_changes_seq');
    RETURN NULL;
END
$$;
CREATE TRIGGER household_changed AFTER INSERT OR UPDATE OF step, lat, lon, radius_km, horizon, visible_households,
    paused, dm_closed, departements, statut_mask, etape_mask, valeur_mask, apport_mask ON household_profiles
    FOR EACH ROW EXECUTE FUNCTION household_changed();
