-- The projects' full-text entries are written by the store (bot/projects/store.py), with stems worked out
-- once per record in Python and a whole import batch in one statement: the triggers called fts_fr() for
-- each row, from SQLite's thread, which made most of an import's time. The entries already written stay
-- as they are: the store writes the same text. A deleted record still takes its entry along.
DROP TRIGGER projects_fts_insert;
DROP TRIGGER projects_fts_update;
