-- Small ads on the message ledger (rule 4): the expiry notice and the closing line of a forum post are
-- rows of `outbox`, written with the change that causes them. What was pending moves there, and the
-- columns that claimed and marked them go.

-- An expiry notice not yet sent: due three days before the ad's expiry, in its author's language.

-- A closed ad whose forum post is still open: its closing line, due at once.

ALTER TABLE ads DROP COLUMN notice_claimed_at;
ALTER TABLE ads DROP COLUMN notice_sent_at;
ALTER TABLE ads DROP COLUMN close_claimed_at;
ALTER TABLE ads DROP COLUMN post_closed;
