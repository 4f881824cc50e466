-- Where an event is held, to the street: shown with a map link built from it and its commune.
ALTER TABLE events ADD COLUMN address TEXT;

-- When a change of date or place is notified, « Je viens toujours » records the registrant's answer.
ALTER TABLE registrations ADD COLUMN confirmed_at TEXT;

-- « Intéressé·e »: a member follows an event without taking a seat (as Discord's own events do);
-- no reminders unless asked (`remind`), told of changes and of a cancellation. Gone on registering.
CREATE TABLE event_interests (
    event_id     BIGINT REFERENCES events (id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL,
    remind       BIGINT NOT NULL DEFAULT 0 CHECK (remind IN (0, 1)),
    locale       TEXT,
    created_at   TEXT NOT NULL,
    confirmed_at TEXT,  -- « Je viens toujours » after a change
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_interests_user ON event_interests (user_id);
