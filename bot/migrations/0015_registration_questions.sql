-- Questions an organiser asks at registration (five at most per event): a short text, yes or no, or
-- one choice among a few (`choices`: a JSON list of 2 to 10 texts).
CREATE TABLE event_questions (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('texte', 'oui_non', 'choix')),
    choices  TEXT NOT NULL DEFAULT '[]',
    required INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1))
);
CREATE INDEX event_questions_event ON event_questions (event_id, position);

-- A registration's answers, kept with it: they leave with the registration or the question, and
-- with the member's data (/mes-donnees supprimer).
CREATE TABLE registration_answers (
    registration_id INTEGER NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    question_id     INTEGER NOT NULL REFERENCES event_questions (id) ON DELETE CASCADE,
    answer          TEXT NOT NULL,
    PRIMARY KEY (registration_id, question_id)
) WITHOUT ROWID;
CREATE INDEX registration_answers_question ON registration_answers (question_id);

-- When the member was marked present at the venue (check-in); NULL: not (yet) present.
ALTER TABLE registrations ADD COLUMN checked_in_at TEXT;
