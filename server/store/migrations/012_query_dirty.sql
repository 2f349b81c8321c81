-- What changed since: the queries over every project of an office answer
-- from a copy of the figures kept in luoshid's memory (query.c), which must
-- learn which projects changed, whoever changed them (a call, the
-- scheduler, another connection). Every change to a row the figures are
-- made of stamps its project here with the next number; the copy, current
-- up to some number, reads the projects stamped after it and gathers just
-- those again. Project 0 stands for every project: a unit or a person
-- changed (the tree the scopes walk, the names Lagging gives).
--
-- One row per project, so the table never grows past the registry. The
-- numbers rise in the order of the commits, as writers take turns.

CREATE TABLE query_dirty (
    project_id  INTEGER PRIMARY KEY,
    seq         INTEGER NOT NULL
);
CREATE INDEX query_dirty_seq ON query_dirty(seq);

-- The triggers below stamp a project by inserting it into this view; the
-- rule of the stamp is written once, here.
CREATE VIEW query_stamp(project_id) AS SELECT project_id FROM query_dirty;

CREATE TRIGGER query_stamp_insert INSTEAD OF INSERT ON query_stamp
BEGIN
    INSERT INTO query_dirty(project_id, seq)
    VALUES (NEW.project_id, (SELECT coalesce(max(seq), 0) + 1 FROM query_dirty))
    ON CONFLICT(project_id) DO UPDATE SET seq = excluded.seq;
END;

-- ---- projects -------------------------------------------------------------------

CREATE TRIGGER query_dirty_projects_insert AFTER INSERT ON projects
BEGIN
    INSERT INTO query_stamp VALUES (NEW.id);
END;

CREATE TRIGGER query_dirty_projects_update AFTER UPDATE ON projects
BEGIN
    INSERT INTO query_stamp VALUES (OLD.id);
    INSERT INTO query_stamp SELECT NEW.id WHERE NEW.id IS NOT OLD.id;
END;

CREATE TRIGGER query_dirty_projects_delete AFTER DELETE ON projects
BEGIN
    INSERT INTO query_stamp VALUES (OLD.id);
END;

-- ---- updates --------------------------------------------------------------------

CREATE TRIGGER query_dirty_updates_insert AFTER INSERT ON updates
BEGIN
    INSERT INTO query_stamp VALUES (NEW.project_id);
END;

CREATE TRIGGER query_dirty_updates_update AFTER UPDATE ON updates
BEGIN
    INSERT INTO query_stamp VALUES (OLD.project_id);
    INSERT INTO query_stamp SELECT NEW.project_id WHERE NEW.project_id IS NOT OLD.project_id;
END;

CREATE TRIGGER query_dirty_updates_delete AFTER DELETE ON updates
BEGIN
    INSERT INTO query_stamp VALUES (OLD.project_id);
END;

-- ---- plans ----------------------------------------------------------------------

CREATE TRIGGER query_dirty_plans_insert AFTER INSERT ON plans
BEGIN
    INSERT INTO query_stamp VALUES (NEW.project_id);
END;

CREATE TRIGGER query_dirty_plans_update AFTER UPDATE ON plans
BEGIN
    INSERT INTO query_stamp VALUES (OLD.project_id);
    INSERT INTO query_stamp SELECT NEW.project_id WHERE NEW.project_id IS NOT OLD.project_id;
END;

CREATE TRIGGER query_dirty_plans_delete AFTER DELETE ON plans
BEGIN
    INSERT INTO query_stamp VALUES (OLD.project_id);
END;

-- ---- nodes ----------------------------------------------------------------------

CREATE TRIGGER query_dirty_nodes_insert AFTER INSERT ON nodes
BEGIN
    INSERT INTO query_stamp VALUES (NEW.project_id);
END;

CREATE TRIGGER query_dirty_nodes_update AFTER UPDATE OF project_id, name, due_date, done_date ON nodes
BEGIN
    INSERT INTO query_stamp VALUES (OLD.project_id);
    INSERT INTO query_stamp SELECT NEW.project_id WHERE NEW.project_id IS NOT OLD.project_id;
END;

CREATE TRIGGER query_dirty_nodes_delete AFTER DELETE ON nodes
BEGIN
    INSERT INTO query_stamp VALUES (OLD.project_id);
END;

-- ---- problems -------------------------------------------------------------------

CREATE TRIGGER query_dirty_problems_insert AFTER INSERT ON problems
BEGIN
    INSERT INTO query_stamp VALUES (NEW.project_id);
END;

CREATE TRIGGER query_dirty_problems_update AFTER UPDATE OF project_id, due_date, raised_on, resolved_on ON problems
BEGIN
    INSERT INTO query_stamp VALUES (OLD.project_id);
    INSERT INTO query_stamp SELECT NEW.project_id WHERE NEW.project_id IS NOT OLD.project_id;
END;

CREATE TRIGGER query_dirty_problems_delete AFTER DELETE ON problems
BEGIN
    INSERT INTO query_stamp VALUES (OLD.project_id);
END;

-- ---- units and people: every project ---------------------------------------

CREATE TRIGGER query_dirty_units_insert AFTER INSERT ON units
BEGIN
    INSERT INTO query_stamp VALUES (0);
END;

CREATE TRIGGER query_dirty_units_update AFTER UPDATE ON units
BEGIN
    INSERT INTO query_stamp VALUES (0);
END;

CREATE TRIGGER query_dirty_units_delete AFTER DELETE ON units
BEGIN
    INSERT INTO query_stamp VALUES (0);
END;

CREATE TRIGGER query_dirty_people_insert AFTER INSERT ON people
BEGIN
    INSERT INTO query_stamp VALUES (0);
END;

CREATE TRIGGER query_dirty_people_update AFTER UPDATE ON people
BEGIN
    INSERT INTO query_stamp VALUES (0);
END;

CREATE TRIGGER query_dirty_people_delete AFTER DELETE ON people
BEGIN
    INSERT INTO query_stamp VALUES (0);
END;
