-- Performance (issue 9): the query_months rows (005) kept by triggers of
-- updates that cost about half of 005's.
--
-- As in SQLite's 011: the rows of a project and year are reached through
-- an index of their own, the months after the period's month (which take
-- the whole amount) are one UPDATE, the period's own month (which takes it
-- in the columns of the Sundays on or after its last day) another, and the
-- slot w is worked out once per statement. What the rows hold is unchanged:
-- each trigger adds or takes away exactly what 005's did, so no row is
-- rebuilt. 005's update trigger becomes two, one taking away what the row
-- counted for before, one adding what it counts for now. The triggers of
-- 005 on plans and projects, and query_projects_newest, stay as they are.

CREATE INDEX query_months_project ON query_months(project_id, year, month);

DROP TRIGGER query_months_updates_insert ON updates;
DROP TRIGGER query_months_updates_update ON updates;
DROP TRIGGER query_months_updates_delete ON updates;
DROP FUNCTION query_months_updates_update();

-- Investment i and output o of a period ending on day, added to the rows of
-- year y of project (or, with prior, to the pinv and pout of those of year
-- y + 1).
CREATE OR REPLACE FUNCTION query_months_add(y bigint, project bigint, i bigint, o bigint,
                                            day text, prior boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m constant bigint := ls_int(substr(day, 6, 2));
    w constant bigint := ls_slot(day);
BEGIN
    IF NOT prior THEN
        UPDATE query_months SET
            inv0 = inv0 + i, inv1 = inv1 + i, inv2 = inv2 + i, inv3 = inv3 + i,
            inv4 = inv4 + i, inv5 = inv5 + i, inv6 = inv6 + i,
            out0 = out0 + o, out1 = out1 + o, out2 = out2 + o, out3 = out3 + o,
            out4 = out4 + o, out5 = out5 + o, out6 = out6 + o
        WHERE project_id = project AND year = y AND month > m;
        UPDATE query_months SET
            inv1 = inv1 + i * (w <= 1)::int,
            inv2 = inv2 + i * (w <= 2)::int,
            inv3 = inv3 + i * (w <= 3)::int,
            inv4 = inv4 + i * (w <= 4)::int,
            inv5 = inv5 + i * (w <= 5)::int,
            inv6 = inv6 + i,
            out1 = out1 + o * (w <= 1)::int,
            out2 = out2 + o * (w <= 2)::int,
            out3 = out3 + o * (w <= 3)::int,
            out4 = out4 + o * (w <= 4)::int,
            out5 = out5 + o * (w <= 5)::int,
            out6 = out6 + o
        WHERE project_id = project AND year = y AND month = m;
    ELSE
        UPDATE query_months SET
            pinv0 = pinv0 + i, pinv1 = pinv1 + i, pinv2 = pinv2 + i, pinv3 = pinv3 + i,
            pinv4 = pinv4 + i, pinv5 = pinv5 + i, pinv6 = pinv6 + i,
            pout0 = pout0 + o, pout1 = pout1 + o, pout2 = pout2 + o, pout3 = pout3 + o,
            pout4 = pout4 + o, pout5 = pout5 + o, pout6 = pout6 + o
        WHERE project_id = project AND year = y + 1 AND month > m;
        UPDATE query_months SET
            pinv1 = pinv1 + i * (w <= 1)::int,
            pinv2 = pinv2 + i * (w <= 2)::int,
            pinv3 = pinv3 + i * (w <= 3)::int,
            pinv4 = pinv4 + i * (w <= 4)::int,
            pinv5 = pinv5 + i * (w <= 5)::int,
            pinv6 = pinv6 + i,
            pout1 = pout1 + o * (w <= 1)::int,
            pout2 = pout2 + o * (w <= 2)::int,
            pout3 = pout3 + o * (w <= 3)::int,
            pout4 = pout4 + o * (w <= 4)::int,
            pout5 = pout5 + o * (w <= 5)::int,
            pout6 = pout6 + o
        WHERE project_id = project AND year = y + 1 AND month = m;
    END IF;
END
$$;

-- query_months_updates_insert() and query_months_updates_delete() (005)
-- go through query_months_add as they did.
CREATE TRIGGER query_months_updates_insert AFTER INSERT ON updates
FOR EACH ROW
WHEN (NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = ls_pad(NEW.year, 4))
EXECUTE FUNCTION query_months_updates_insert();

-- Clearing the latest flag of a revision fires only the first.
CREATE FUNCTION query_months_updates_update_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM query_months_add(OLD.year, OLD.project_id, -OLD.invested,
                             -coalesce(OLD.output, 0), OLD.period_last, false);
    PERFORM query_months_add(OLD.year, OLD.project_id, -OLD.invested,
                             -coalesce(OLD.output, 0), OLD.period_last, true);
    RETURN NULL;
END
$$;
CREATE TRIGGER query_months_updates_update_old
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
FOR EACH ROW
WHEN (OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = ls_pad(OLD.year, 4))
EXECUTE FUNCTION query_months_updates_update_old();

CREATE FUNCTION query_months_updates_update_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM query_months_rows(NEW.year, NEW.project_id);
    PERFORM query_months_add(NEW.year, NEW.project_id, NEW.invested,
                             coalesce(NEW.output, 0), NEW.period_last, false);
    PERFORM query_months_rows(NEW.year + 1, NEW.project_id);
    PERFORM query_months_add(NEW.year, NEW.project_id, NEW.invested,
                             coalesce(NEW.output, 0), NEW.period_last, true);
    RETURN NULL;
END
$$;
CREATE TRIGGER query_months_updates_update_new
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
FOR EACH ROW
WHEN (NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = ls_pad(NEW.year, 4))
EXECUTE FUNCTION query_months_updates_update_new();

CREATE TRIGGER query_months_updates_delete AFTER DELETE ON updates
FOR EACH ROW
WHEN (OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = ls_pad(OLD.year, 4))
EXECUTE FUNCTION query_months_updates_delete();
