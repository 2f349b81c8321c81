-- Performance (issue 9): the query_months rows (005) kept by triggers of
-- updates that cost about half of 005's (an update's insert with them: 235
-- to 128 µs in sqlite3 on the demo district).
--
-- The triggers of 005 on updates spent most of a write's time in three
-- things: the constant list month IN (1, ..., 12), which SQLite builds into
-- a temporary index on every run; UPDATE ... FROM, which collects the rows
-- into a temporary table before changing them; and the week number w of
-- the period's last day, a strftime() evaluated for each column of each
-- row. Here the rows of a project and year are reached through an index of
-- their own, the months after the period's month (which take the whole
-- amount) are one UPDATE, the period's own month (which takes it in the
-- columns of the Sundays on or after its last day) another, and w is a
-- subquery of constants, evaluated once per statement. What the rows hold
-- is unchanged: each trigger adds or takes away exactly what 005's did
-- (m, w and the conditions are 005's expressions), so no row is rebuilt.
-- The triggers of 005 on plans and projects, and query_projects_newest,
-- stay as they are.

CREATE INDEX query_months_project ON query_months(project_id, year, month);

DROP TRIGGER query_months_updates_insert;
DROP TRIGGER query_months_updates_update;
DROP TRIGGER query_months_updates_delete;

CREATE TRIGGER query_months_updates_insert AFTER INSERT ON updates
WHEN NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
BEGIN
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NOT EXISTS (SELECT 1 FROM query_months
                      WHERE year = NEW.year AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET
        inv0 = inv0 + NEW.invested,
        inv1 = inv1 + NEW.invested,
        inv2 = inv2 + NEW.invested,
        inv3 = inv3 + NEW.invested,
        inv4 = inv4 + NEW.invested,
        inv5 = inv5 + NEW.invested,
        inv6 = inv6 + NEW.invested,
        out0 = out0 + coalesce(NEW.output, 0),
        out1 = out1 + coalesce(NEW.output, 0),
        out2 = out2 + coalesce(NEW.output, 0),
        out3 = out3 + coalesce(NEW.output, 0),
        out4 = out4 + coalesce(NEW.output, 0),
        out5 = out5 + coalesce(NEW.output, 0),
        out6 = out6 + coalesce(NEW.output, 0)
    WHERE project_id = NEW.project_id AND year = NEW.year
      AND month > CAST(substr(NEW.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        inv1 = inv1 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        inv2 = inv2 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        inv3 = inv3 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        inv4 = inv4 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        inv5 = inv5 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        inv6 = inv6 + NEW.invested,
        out1 = out1 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        out2 = out2 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        out3 = out3 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        out4 = out4 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        out5 = out5 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        out6 = out6 + coalesce(NEW.output, 0)
    WHERE project_id = NEW.project_id AND year = NEW.year
      AND month = CAST(substr(NEW.period_last, 6, 2) AS INTEGER);
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year + 1, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NOT EXISTS (SELECT 1 FROM query_months
                      WHERE year = NEW.year + 1 AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET
        pinv0 = pinv0 + NEW.invested,
        pinv1 = pinv1 + NEW.invested,
        pinv2 = pinv2 + NEW.invested,
        pinv3 = pinv3 + NEW.invested,
        pinv4 = pinv4 + NEW.invested,
        pinv5 = pinv5 + NEW.invested,
        pinv6 = pinv6 + NEW.invested,
        pout0 = pout0 + coalesce(NEW.output, 0),
        pout1 = pout1 + coalesce(NEW.output, 0),
        pout2 = pout2 + coalesce(NEW.output, 0),
        pout3 = pout3 + coalesce(NEW.output, 0),
        pout4 = pout4 + coalesce(NEW.output, 0),
        pout5 = pout5 + coalesce(NEW.output, 0),
        pout6 = pout6 + coalesce(NEW.output, 0)
    WHERE project_id = NEW.project_id AND year = NEW.year + 1
      AND month > CAST(substr(NEW.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        pinv1 = pinv1 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        pinv2 = pinv2 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        pinv3 = pinv3 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        pinv4 = pinv4 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        pinv5 = pinv5 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        pinv6 = pinv6 + NEW.invested,
        pout1 = pout1 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        pout2 = pout2 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        pout3 = pout3 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        pout4 = pout4 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        pout5 = pout5 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        pout6 = pout6 + coalesce(NEW.output, 0)
    WHERE project_id = NEW.project_id AND year = NEW.year + 1
      AND month = CAST(substr(NEW.period_last, 6, 2) AS INTEGER);
END;

-- 005's update trigger in two: what the row counted for before is taken
-- away, what it counts for now is added (in either order: they are sums).
-- Clearing the latest flag of a revision fires only the first.
CREATE TRIGGER query_months_updates_update_old
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
WHEN OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = printf('%04d', OLD.year)
BEGIN
    UPDATE query_months SET
        inv0 = inv0 + -OLD.invested,
        inv1 = inv1 + -OLD.invested,
        inv2 = inv2 + -OLD.invested,
        inv3 = inv3 + -OLD.invested,
        inv4 = inv4 + -OLD.invested,
        inv5 = inv5 + -OLD.invested,
        inv6 = inv6 + -OLD.invested,
        out0 = out0 + -coalesce(OLD.output, 0),
        out1 = out1 + -coalesce(OLD.output, 0),
        out2 = out2 + -coalesce(OLD.output, 0),
        out3 = out3 + -coalesce(OLD.output, 0),
        out4 = out4 + -coalesce(OLD.output, 0),
        out5 = out5 + -coalesce(OLD.output, 0),
        out6 = out6 + -coalesce(OLD.output, 0)
    WHERE project_id = OLD.project_id AND year = OLD.year
      AND month > CAST(substr(OLD.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        inv1 = inv1 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        inv2 = inv2 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        inv3 = inv3 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        inv4 = inv4 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        inv5 = inv5 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        inv6 = inv6 + -OLD.invested,
        out1 = out1 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        out2 = out2 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        out3 = out3 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        out4 = out4 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        out5 = out5 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        out6 = out6 + -coalesce(OLD.output, 0)
    WHERE project_id = OLD.project_id AND year = OLD.year
      AND month = CAST(substr(OLD.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        pinv0 = pinv0 + -OLD.invested,
        pinv1 = pinv1 + -OLD.invested,
        pinv2 = pinv2 + -OLD.invested,
        pinv3 = pinv3 + -OLD.invested,
        pinv4 = pinv4 + -OLD.invested,
        pinv5 = pinv5 + -OLD.invested,
        pinv6 = pinv6 + -OLD.invested,
        pout0 = pout0 + -coalesce(OLD.output, 0),
        pout1 = pout1 + -coalesce(OLD.output, 0),
        pout2 = pout2 + -coalesce(OLD.output, 0),
        pout3 = pout3 + -coalesce(OLD.output, 0),
        pout4 = pout4 + -coalesce(OLD.output, 0),
        pout5 = pout5 + -coalesce(OLD.output, 0),
        pout6 = pout6 + -coalesce(OLD.output, 0)
    WHERE project_id = OLD.project_id AND year = OLD.year + 1
      AND month > CAST(substr(OLD.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        pinv1 = pinv1 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        pinv2 = pinv2 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        pinv3 = pinv3 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        pinv4 = pinv4 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        pinv5 = pinv5 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        pinv6 = pinv6 + -OLD.invested,
        pout1 = pout1 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        pout2 = pout2 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        pout3 = pout3 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        pout4 = pout4 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        pout5 = pout5 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        pout6 = pout6 + -coalesce(OLD.output, 0)
    WHERE project_id = OLD.project_id AND year = OLD.year + 1
      AND month = CAST(substr(OLD.period_last, 6, 2) AS INTEGER);
END;

CREATE TRIGGER query_months_updates_update_new
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
WHEN NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
BEGIN
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NOT EXISTS (SELECT 1 FROM query_months
                      WHERE year = NEW.year AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET
        inv0 = inv0 + NEW.invested,
        inv1 = inv1 + NEW.invested,
        inv2 = inv2 + NEW.invested,
        inv3 = inv3 + NEW.invested,
        inv4 = inv4 + NEW.invested,
        inv5 = inv5 + NEW.invested,
        inv6 = inv6 + NEW.invested,
        out0 = out0 + coalesce(NEW.output, 0),
        out1 = out1 + coalesce(NEW.output, 0),
        out2 = out2 + coalesce(NEW.output, 0),
        out3 = out3 + coalesce(NEW.output, 0),
        out4 = out4 + coalesce(NEW.output, 0),
        out5 = out5 + coalesce(NEW.output, 0),
        out6 = out6 + coalesce(NEW.output, 0)
    WHERE project_id = NEW.project_id AND year = NEW.year
      AND month > CAST(substr(NEW.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        inv1 = inv1 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        inv2 = inv2 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        inv3 = inv3 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        inv4 = inv4 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        inv5 = inv5 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        inv6 = inv6 + NEW.invested,
        out1 = out1 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        out2 = out2 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        out3 = out3 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        out4 = out4 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        out5 = out5 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        out6 = out6 + coalesce(NEW.output, 0)
    WHERE project_id = NEW.project_id AND year = NEW.year
      AND month = CAST(substr(NEW.period_last, 6, 2) AS INTEGER);
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year + 1, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NOT EXISTS (SELECT 1 FROM query_months
                      WHERE year = NEW.year + 1 AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET
        pinv0 = pinv0 + NEW.invested,
        pinv1 = pinv1 + NEW.invested,
        pinv2 = pinv2 + NEW.invested,
        pinv3 = pinv3 + NEW.invested,
        pinv4 = pinv4 + NEW.invested,
        pinv5 = pinv5 + NEW.invested,
        pinv6 = pinv6 + NEW.invested,
        pout0 = pout0 + coalesce(NEW.output, 0),
        pout1 = pout1 + coalesce(NEW.output, 0),
        pout2 = pout2 + coalesce(NEW.output, 0),
        pout3 = pout3 + coalesce(NEW.output, 0),
        pout4 = pout4 + coalesce(NEW.output, 0),
        pout5 = pout5 + coalesce(NEW.output, 0),
        pout6 = pout6 + coalesce(NEW.output, 0)
    WHERE project_id = NEW.project_id AND year = NEW.year + 1
      AND month > CAST(substr(NEW.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        pinv1 = pinv1 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        pinv2 = pinv2 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        pinv3 = pinv3 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        pinv4 = pinv4 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        pinv5 = pinv5 + NEW.invested
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        pinv6 = pinv6 + NEW.invested,
        pout1 = pout1 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        pout2 = pout2 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        pout3 = pout3 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        pout4 = pout4 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        pout5 = pout5 + coalesce(NEW.output, 0)
            * ((SELECT (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        pout6 = pout6 + coalesce(NEW.output, 0)
    WHERE project_id = NEW.project_id AND year = NEW.year + 1
      AND month = CAST(substr(NEW.period_last, 6, 2) AS INTEGER);
END;

CREATE TRIGGER query_months_updates_delete AFTER DELETE ON updates
WHEN OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = printf('%04d', OLD.year)
BEGIN
    UPDATE query_months SET
        inv0 = inv0 + -OLD.invested,
        inv1 = inv1 + -OLD.invested,
        inv2 = inv2 + -OLD.invested,
        inv3 = inv3 + -OLD.invested,
        inv4 = inv4 + -OLD.invested,
        inv5 = inv5 + -OLD.invested,
        inv6 = inv6 + -OLD.invested,
        out0 = out0 + -coalesce(OLD.output, 0),
        out1 = out1 + -coalesce(OLD.output, 0),
        out2 = out2 + -coalesce(OLD.output, 0),
        out3 = out3 + -coalesce(OLD.output, 0),
        out4 = out4 + -coalesce(OLD.output, 0),
        out5 = out5 + -coalesce(OLD.output, 0),
        out6 = out6 + -coalesce(OLD.output, 0)
    WHERE project_id = OLD.project_id AND year = OLD.year
      AND month > CAST(substr(OLD.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        inv1 = inv1 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        inv2 = inv2 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        inv3 = inv3 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        inv4 = inv4 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        inv5 = inv5 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        inv6 = inv6 + -OLD.invested,
        out1 = out1 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        out2 = out2 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        out3 = out3 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        out4 = out4 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        out5 = out5 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        out6 = out6 + -coalesce(OLD.output, 0)
    WHERE project_id = OLD.project_id AND year = OLD.year
      AND month = CAST(substr(OLD.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        pinv0 = pinv0 + -OLD.invested,
        pinv1 = pinv1 + -OLD.invested,
        pinv2 = pinv2 + -OLD.invested,
        pinv3 = pinv3 + -OLD.invested,
        pinv4 = pinv4 + -OLD.invested,
        pinv5 = pinv5 + -OLD.invested,
        pinv6 = pinv6 + -OLD.invested,
        pout0 = pout0 + -coalesce(OLD.output, 0),
        pout1 = pout1 + -coalesce(OLD.output, 0),
        pout2 = pout2 + -coalesce(OLD.output, 0),
        pout3 = pout3 + -coalesce(OLD.output, 0),
        pout4 = pout4 + -coalesce(OLD.output, 0),
        pout5 = pout5 + -coalesce(OLD.output, 0),
        pout6 = pout6 + -coalesce(OLD.output, 0)
    WHERE project_id = OLD.project_id AND year = OLD.year + 1
      AND month > CAST(substr(OLD.period_last, 6, 2) AS INTEGER);
    UPDATE query_months SET
        pinv1 = pinv1 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        pinv2 = pinv2 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        pinv3 = pinv3 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        pinv4 = pinv4 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        pinv5 = pinv5 + -OLD.invested
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        pinv6 = pinv6 + -OLD.invested,
        pout1 = pout1 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 1),
        pout2 = pout2 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 2),
        pout3 = pout3 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 3),
        pout4 = pout4 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 4),
        pout5 = pout5 + -coalesce(OLD.output, 0)
            * ((SELECT (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
              - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                % 7) / 7) <= 5),
        pout6 = pout6 + -coalesce(OLD.output, 0)
    WHERE project_id = OLD.project_id AND year = OLD.year + 1
      AND month = CAST(substr(OLD.period_last, 6, 2) AS INTEGER);
END;
