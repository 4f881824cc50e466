-- Small ads on the message ledger (rule 4): the expiry notice and the closing line of a forum post are
-- rows of `outbox`, written with the change that causes them. What was pending moves there, and the
-- columns that claimed and marked them go.

-- An expiry notice not yet sent: due three days before the ad's expiry, in its author's language.
INSERT INTO outbox (kind, target, recipient_id, guild_id, locale, subject, payload, due_at, created_at)
SELECT 'ad.expiry_notice', 'dm', author_id, guild_id, locale, 'ad:' || id, '{}',
       strftime('%Y-%m-%dT%H:%M:%S+00:00', expires_at, '-3 days'), created_at
FROM ads WHERE status IN ('publiee', 'en_moderation') AND notice_sent_at IS NULL;

-- A closed ad whose forum post is still open: its closing line, due at once.
INSERT INTO outbox (kind, target, recipient_id, guild_id, subject, payload, due_at, created_at)
SELECT 'ad.post_close', 'thread_close', thread_id, guild_id, 'ad:' || id, json_object('why', status),
       created_at, created_at
FROM ads WHERE status IN ('retiree', 'pourvue', 'expiree', 'supprimee') AND thread_id IS NOT NULL AND post_closed = 0;

ALTER TABLE ads DROP COLUMN notice_claimed_at;
ALTER TABLE ads DROP COLUMN notice_sent_at;
ALTER TABLE ads DROP COLUMN close_claimed_at;
ALTER TABLE ads DROP COLUMN post_closed;
