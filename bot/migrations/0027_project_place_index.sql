-- No query reads projects by place any more: a radius search and the recruiting projects are worked out in the
-- projects' index in memory (bot/projects/index.py, migration 0024). The index of 0020 only slowed every write.
DROP INDEX projects_place;
