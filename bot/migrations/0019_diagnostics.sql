-- Needs diagnostics the member chose to keep (« Garder ce diagnostic »): one a member, the latest
-- replacing the one before; a référent's is also on their project's record (`project_id`). A diagnostic
-- under way is never written here. It leaves with the member's data (/mes-donnees supprimer).
CREATE TABLE diagnostics (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL UNIQUE,
    project_id         INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    initiative         TEXT NOT NULL CHECK (initiative IN ('citoyenne', 'institutionnelle', 'professionnelle')),
    etape              TEXT NOT NULL CHECK (etape IN ('emergence', 'realisation', 'vivre_ensemble')),
    code_insee         TEXT NOT NULL,
    -- Each strand's step; NULL: not begun yet.
    step_immobilier    TEXT,
    step_participatif  TEXT,
    step_collectif     TEXT,
    kept_at            TEXT NOT NULL
);
CREATE INDEX diagnostics_project ON diagnostics (project_id);

-- What felt blocked, one row a blocker.
CREATE TABLE diagnostic_blockers (
    diagnostic_id INTEGER NOT NULL REFERENCES diagnostics (id) ON DELETE CASCADE,
    blocker       TEXT NOT NULL,
    PRIMARY KEY (diagnostic_id, blocker)
) WITHOUT ROWID;
