-- Performance (issue 9): the money of the queries kept month by month, not
-- year to date, so that a write changes one row.
--
-- query_months (005, 011) held each month's totals of the year to date, for
-- this year and the year before: a weekly update rewrote every later month
-- of its year and of the next, up to 24 rows of 33 columns, through six
-- statements. That was three quarters of a SubmitUpdate's insert (245 of
-- 320 µs with the statements cached, on 20,000 projects).
--
-- query_amounts holds, per year, project and month, the month's plan and
-- the investment and output (latest revisions) of the periods of the year
-- whose last day is in that month, in six slots by that day: slot w is the
-- first of the month's Sundays on or after it (w = 1..5), or 6 after the
-- last one (005's w). A period counts for the year its updates row names
-- (a week: its Thursday's); one of year Y ending in January of Y+1 counts
-- for no month of Y, as before. The year to date on a day D of month m is
-- the sum of months 1..m-1 and of month m's slots 1..K, where K is the
-- number of the month's Sundays up to D, or 6 on its last day
-- (server/store/query.c adds them up). Rebuilt from plans and updates, the
-- table gives the same rows.

CREATE TABLE query_amounts (
    year        INTEGER NOT NULL,
    project_id  INTEGER NOT NULL,
    month       INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    plan        INTEGER NOT NULL DEFAULT 0,
    inv1 INTEGER NOT NULL DEFAULT 0, inv2 INTEGER NOT NULL DEFAULT 0,
    inv3 INTEGER NOT NULL DEFAULT 0, inv4 INTEGER NOT NULL DEFAULT 0,
    inv5 INTEGER NOT NULL DEFAULT 0, inv6 INTEGER NOT NULL DEFAULT 0,
    out1 INTEGER NOT NULL DEFAULT 0, out2 INTEGER NOT NULL DEFAULT 0,
    out3 INTEGER NOT NULL DEFAULT 0, out4 INTEGER NOT NULL DEFAULT 0,
    out5 INTEGER NOT NULL DEFAULT 0, out6 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (year, project_id, month)
) WITHOUT ROWID;

-- The triggers add to the table by inserting into this view: amounts
-- (negative to take them away) of a project for the year, on the day
-- (YYYY-MM-DD) whose month and slot they fall in. The rule is written once,
-- here.
CREATE VIEW query_amount(year, project_id, day, plan, invested, output) AS
SELECT year, project_id, NULL, plan, inv6, out6 FROM query_amounts;

CREATE TRIGGER query_amount_insert INSTEAD OF INSERT ON query_amount
BEGIN
    INSERT INTO query_amounts(year, project_id, month, plan,
        inv1, inv2, inv3, inv4, inv5, inv6, out1, out2, out3, out4, out5, out6)
    SELECT NEW.year, NEW.project_id, m, NEW.plan,
        NEW.invested * (w <= 1), NEW.invested * (w = 2), NEW.invested * (w = 3),
        NEW.invested * (w = 4), NEW.invested * (w = 5), NEW.invested * (w >= 6),
        NEW.output * (w <= 1), NEW.output * (w = 2), NEW.output * (w = 3),
        NEW.output * (w = 4), NEW.output * (w = 5), NEW.output * (w >= 6)
    FROM (SELECT CAST(substr(NEW.day, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(NEW.day, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(NEW.day, 1, 8) || '01') AS INTEGER)) % 7)
                 / 7 AS w)
    WHERE true
    ON CONFLICT DO UPDATE SET plan = plan + excluded.plan,
        inv1 = inv1 + excluded.inv1, inv2 = inv2 + excluded.inv2,
        inv3 = inv3 + excluded.inv3, inv4 = inv4 + excluded.inv4,
        inv5 = inv5 + excluded.inv5, inv6 = inv6 + excluded.inv6,
        out1 = out1 + excluded.out1, out2 = out2 + excluded.out2,
        out3 = out3 + excluded.out3, out4 = out4 + excluded.out4,
        out5 = out5 + excluded.out5, out6 = out6 + excluded.out6;
END;

-- ---- plans ------------------------------------------------------------------
-- (A plan is set with INSERT ... ON CONFLICT DO UPDATE, which fires the
-- update trigger.)

DROP TRIGGER query_months_plans_insert;
DROP TRIGGER query_months_plans_update;
DROP TRIGGER query_months_plans_delete;

CREATE TRIGGER query_amounts_plans_insert AFTER INSERT ON plans
BEGIN
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, printf('%04d-%02d-01', NEW.year, NEW.month),
            NEW.invested, 0, 0);
END;

CREATE TRIGGER query_amounts_plans_update AFTER UPDATE ON plans
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id, printf('%04d-%02d-01', OLD.year, OLD.month),
            -OLD.invested, 0, 0);
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, printf('%04d-%02d-01', NEW.year, NEW.month),
            NEW.invested, 0, 0);
END;

CREATE TRIGGER query_amounts_plans_delete AFTER DELETE ON plans
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id, printf('%04d-%02d-01', OLD.year, OLD.month),
            -OLD.invested, 0, 0);
END;

-- ---- updates ----------------------------------------------------------------
-- progress.c clears the previous revision's latest flag (the first update
-- trigger takes it away) and inserts the new one (the insert trigger adds
-- it). A row counts when it is the latest and its period ends in its year.

DROP TRIGGER query_months_updates_insert;
DROP TRIGGER query_months_updates_update_old;
DROP TRIGGER query_months_updates_update_new;
DROP TRIGGER query_months_updates_delete;

CREATE TRIGGER query_amounts_updates_insert AFTER INSERT ON updates
WHEN NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
BEGIN
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, NEW.period_last, 0, NEW.invested,
            coalesce(NEW.output, 0));
END;

CREATE TRIGGER query_amounts_updates_update_old
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
WHEN OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = printf('%04d', OLD.year)
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id, OLD.period_last, 0, -OLD.invested,
            -coalesce(OLD.output, 0));
END;

CREATE TRIGGER query_amounts_updates_update_new
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
WHEN NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
BEGIN
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, NEW.period_last, 0, NEW.invested,
            coalesce(NEW.output, 0));
END;

CREATE TRIGGER query_amounts_updates_delete AFTER DELETE ON updates
WHEN OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = printf('%04d', OLD.year)
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id, OLD.period_last, 0, -OLD.invested,
            -coalesce(OLD.output, 0));
END;

-- ---- what is already there ----------------------------------------------------

INSERT INTO query_amount
SELECT year, project_id, printf('%04d-%02d-01', year, month), invested, 0, 0 FROM plans;
INSERT INTO query_amount
SELECT year, project_id, period_last, 0, invested, coalesce(output, 0) FROM updates
WHERE latest = 1 AND substr(period_last, 1, 4) = printf('%04d', year);

DROP TABLE query_months;
