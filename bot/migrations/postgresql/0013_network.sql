-- One network, many servers: a server follows another one's agenda (all of it, or only some
-- régions); the followed server's new events are then posted in the follower's announcement channel.
-- Follows are the servers' data: `created_by` says which administrator set it up.
CREATE TABLE guild_follows (
    follower_id   BIGINT NOT NULL,
    followed_id   BIGINT NOT NULL,
    followed_name TEXT NOT NULL,              -- the followed server's name when followed, for the posts
    locale        TEXT NOT NULL DEFAULT 'fr', -- the follower server's language, for the posts
    created_by    BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (follower_id, followed_id),
    CHECK (follower_id <> followed_id)
);
CREATE INDEX guild_follows_followed ON guild_follows (followed_id);

-- Only the events of these régions (their names as bot/geo.py gives them); none: every event.
CREATE TABLE guild_follow_regions (
    follower_id BIGINT NOT NULL,
    followed_id BIGINT NOT NULL,
    region      TEXT NOT NULL,
    PRIMARY KEY (follower_id, followed_id, region),
    FOREIGN KEY (follower_id, followed_id) REFERENCES guild_follows (follower_id, followed_id) ON DELETE CASCADE
);

-- The copies of an event's card posted on the servers that follow its server, to rewrite them when
-- the event changes or is cancelled.
CREATE TABLE event_relays (
    event_id   BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    guild_id   BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    source     TEXT NOT NULL,              -- the event's server, as the copy names it
    locale     TEXT,                       -- the follower server's language
    PRIMARY KEY (event_id, guild_id)
);

-- Projects and their open days: an event may belong to a project.
ALTER TABLE events ADD COLUMN project_id BIGINT REFERENCES projects (id) ON DELETE SET NULL;
CREATE INDEX events_project ON events (project_id, starts_at);
