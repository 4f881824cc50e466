-- Projects on the ledger (rule 4): verdicts, moderation cards and the référents' questions become
-- rows of `outbox`, written with the change that causes them and rendered at send time in the
-- recipient's language. So that language is kept: the proposer's on the project, the editor's on a
-- pending change, each référent's beside them.
ALTER TABLE projects ADD COLUMN locale TEXT NOT NULL DEFAULT 'fr';
ALTER TABLE project_revisions ADD COLUMN locale TEXT NOT NULL DEFAULT 'fr';
ALTER TABLE project_referents ADD COLUMN locale TEXT NOT NULL DEFAULT 'fr';

-- A question not yet sent becomes one ledger row per référent, due at once.

-- A row of project_nudges now only records that a question was asked (once per confirmation); the
-- ledger delivers it, so the claim and the mark go.
ALTER TABLE project_nudges DROP COLUMN claimed_at;
ALTER TABLE project_nudges DROP COLUMN sent_at;

-- The round looks for records confirmed long ago.
CREATE INDEX projects_confirmed ON projects (statut, confirmed_at);
CREATE INDEX projects_recrute_confirmed ON projects (statut, recrute, recrute_confirmed_at);
