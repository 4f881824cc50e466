-- The language of an ad's author, so that what the bot later tells them (replies, expiry, moderation)
-- comes in their language.
ALTER TABLE ads ADD COLUMN locale TEXT NOT NULL DEFAULT 'fr';
