-- A household's profile is read from its row alone, in one query (every suggestion reads the asker's and its
-- shortlist's): the last of its sets kept only as tags, the milieux, gets its bitmask as the others (0022).
ALTER TABLE household_profiles ADD COLUMN milieu_mask INTEGER NOT NULL DEFAULT 0;
UPDATE household_profiles SET milieu_mask = (SELECT COALESCE(SUM(CASE t.value
        WHEN 'urbain' THEN 1
        WHEN 'periurbain' THEN 2
        WHEN 'rural' THEN 4
    END), 0) FROM household_tags t WHERE t.user_id = household_profiles.user_id AND t.kind = 'milieu');
