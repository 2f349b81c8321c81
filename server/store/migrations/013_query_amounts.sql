-- Performance (issue 9): the money of the queries kept so that a write
-- changes two rows, and a query over every project still reads one row per
-- project and year.
--
-- query_months (005, 011) held per project, year and month the year to date
-- up to each of the month's Sundays, for this year and the year before: a
-- weekly update rewrote every later month of its year and of the next, up
-- to 24 rows of 33 columns, through six statements. That was three quarters
-- of a SubmitUpdate's insert (185 of 245 µs, statements cached, on 20,000
-- projects). Two tables take its place:
--
--   query_years  per year and project, the year to date at the end of each
--                month: planK, invK, outK hold the plan, investment and
--                output (latest revisions) of months 1..K;
--   query_slots  per year, month and project, the investment and output of
--                the month's periods that ended on or before each of its
--                Sundays: invK, outK (K = 1..5) those whose slot w <= K,
--                inv6, out6 all of the month's.
--
-- A period counts for the year its updates row names (a week: its
-- Thursday's) and the month of its last day; one of year Y ending in
-- January of Y+1 counts on no day of Y. Its slot w is the first of the
-- month's Sundays on or after its last day, 1..5 (005's w). The year to date
-- on a day D of month m is invm of query_years on the month's last day,
-- else inv(m-1) plus invK of the month's query_slots row, where K is the
-- number of the month's Sundays up to D (server/store/query.c). A write
-- changes one row of each, where query_months changed up to 24; a query
-- over every project reads the year's rows of one and the month's of the
-- other. Rebuilt from plans and updates, both tables give the same rows.

CREATE TABLE query_years (
    year        INTEGER NOT NULL,
    project_id  INTEGER NOT NULL,
    plan1 INTEGER NOT NULL DEFAULT 0, plan2 INTEGER NOT NULL DEFAULT 0,
    plan3 INTEGER NOT NULL DEFAULT 0, plan4 INTEGER NOT NULL DEFAULT 0,
    plan5 INTEGER NOT NULL DEFAULT 0, plan6 INTEGER NOT NULL DEFAULT 0,
    plan7 INTEGER NOT NULL DEFAULT 0, plan8 INTEGER NOT NULL DEFAULT 0,
    plan9 INTEGER NOT NULL DEFAULT 0, plan10 INTEGER NOT NULL DEFAULT 0,
    plan11 INTEGER NOT NULL DEFAULT 0, plan12 INTEGER NOT NULL DEFAULT 0,
    inv1 INTEGER NOT NULL DEFAULT 0, inv2 INTEGER NOT NULL DEFAULT 0,
    inv3 INTEGER NOT NULL DEFAULT 0, inv4 INTEGER NOT NULL DEFAULT 0,
    inv5 INTEGER NOT NULL DEFAULT 0, inv6 INTEGER NOT NULL DEFAULT 0,
    inv7 INTEGER NOT NULL DEFAULT 0, inv8 INTEGER NOT NULL DEFAULT 0,
    inv9 INTEGER NOT NULL DEFAULT 0, inv10 INTEGER NOT NULL DEFAULT 0,
    inv11 INTEGER NOT NULL DEFAULT 0, inv12 INTEGER NOT NULL DEFAULT 0,
    out1 INTEGER NOT NULL DEFAULT 0, out2 INTEGER NOT NULL DEFAULT 0,
    out3 INTEGER NOT NULL DEFAULT 0, out4 INTEGER NOT NULL DEFAULT 0,
    out5 INTEGER NOT NULL DEFAULT 0, out6 INTEGER NOT NULL DEFAULT 0,
    out7 INTEGER NOT NULL DEFAULT 0, out8 INTEGER NOT NULL DEFAULT 0,
    out9 INTEGER NOT NULL DEFAULT 0, out10 INTEGER NOT NULL DEFAULT 0,
    out11 INTEGER NOT NULL DEFAULT 0, out12 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (year, project_id)
) WITHOUT ROWID;

CREATE TABLE query_slots (
    year        INTEGER NOT NULL,
    month       INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    project_id  INTEGER NOT NULL,
    inv1 INTEGER NOT NULL DEFAULT 0, inv2 INTEGER NOT NULL DEFAULT 0,
    inv3 INTEGER NOT NULL DEFAULT 0, inv4 INTEGER NOT NULL DEFAULT 0,
    inv5 INTEGER NOT NULL DEFAULT 0, inv6 INTEGER NOT NULL DEFAULT 0,
    out1 INTEGER NOT NULL DEFAULT 0, out2 INTEGER NOT NULL DEFAULT 0,
    out3 INTEGER NOT NULL DEFAULT 0, out4 INTEGER NOT NULL DEFAULT 0,
    out5 INTEGER NOT NULL DEFAULT 0, out6 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (year, month, project_id)
) WITHOUT ROWID;

-- The triggers add to both by inserting into this view: amounts (negative
-- to take them away) of a project for the year, on the day (YYYY-MM-DD)
-- whose month and slot they fall in. The rule is written once, here.
CREATE VIEW query_amount(year, project_id, day, plan, invested, output) AS
SELECT year, project_id, NULL, plan12, inv12, out12 FROM query_years;

CREATE TRIGGER query_amount_insert INSTEAD OF INSERT ON query_amount
BEGIN
    INSERT INTO query_years(year, project_id,
        plan1, plan2, plan3, plan4, plan5, plan6, plan7, plan8, plan9, plan10, plan11, plan12,
        inv1, inv2, inv3, inv4, inv5, inv6, inv7, inv8, inv9, inv10, inv11, inv12, out1, out2,
        out3, out4, out5, out6, out7, out8, out9, out10, out11, out12)
    SELECT NEW.year, NEW.project_id,
        NEW.plan * (m <= 1), NEW.plan * (m <= 2), NEW.plan * (m <= 3), NEW.plan * (m <= 4),
        NEW.plan * (m <= 5), NEW.plan * (m <= 6), NEW.plan * (m <= 7), NEW.plan * (m <= 8),
        NEW.plan * (m <= 9), NEW.plan * (m <= 10), NEW.plan * (m <= 11), NEW.plan * (m <= 12),
        NEW.invested * (m <= 1), NEW.invested * (m <= 2), NEW.invested * (m <= 3),
        NEW.invested * (m <= 4), NEW.invested * (m <= 5), NEW.invested * (m <= 6),
        NEW.invested * (m <= 7), NEW.invested * (m <= 8), NEW.invested * (m <= 9),
        NEW.invested * (m <= 10), NEW.invested * (m <= 11), NEW.invested * (m <= 12),
        NEW.output * (m <= 1), NEW.output * (m <= 2), NEW.output * (m <= 3),
        NEW.output * (m <= 4), NEW.output * (m <= 5), NEW.output * (m <= 6),
        NEW.output * (m <= 7), NEW.output * (m <= 8), NEW.output * (m <= 9),
        NEW.output * (m <= 10), NEW.output * (m <= 11), NEW.output * (m <= 12)
    FROM (SELECT CAST(substr(NEW.day, 6, 2) AS INTEGER) AS m)
    WHERE true
    ON CONFLICT DO UPDATE SET
        plan1 = plan1 + excluded.plan1, plan2 = plan2 + excluded.plan2,
        plan3 = plan3 + excluded.plan3, plan4 = plan4 + excluded.plan4,
        plan5 = plan5 + excluded.plan5, plan6 = plan6 + excluded.plan6,
        plan7 = plan7 + excluded.plan7, plan8 = plan8 + excluded.plan8,
        plan9 = plan9 + excluded.plan9, plan10 = plan10 + excluded.plan10,
        plan11 = plan11 + excluded.plan11, plan12 = plan12 + excluded.plan12,
        inv1 = inv1 + excluded.inv1, inv2 = inv2 + excluded.inv2, inv3 = inv3 + excluded.inv3,
        inv4 = inv4 + excluded.inv4, inv5 = inv5 + excluded.inv5, inv6 = inv6 + excluded.inv6,
        inv7 = inv7 + excluded.inv7, inv8 = inv8 + excluded.inv8, inv9 = inv9 + excluded.inv9,
        inv10 = inv10 + excluded.inv10, inv11 = inv11 + excluded.inv11,
        inv12 = inv12 + excluded.inv12, out1 = out1 + excluded.out1,
        out2 = out2 + excluded.out2, out3 = out3 + excluded.out3, out4 = out4 + excluded.out4,
        out5 = out5 + excluded.out5, out6 = out6 + excluded.out6, out7 = out7 + excluded.out7,
        out8 = out8 + excluded.out8, out9 = out9 + excluded.out9,
        out10 = out10 + excluded.out10, out11 = out11 + excluded.out11,
        out12 = out12 + excluded.out12;
    INSERT INTO query_slots(year, month, project_id,
        inv1, inv2, inv3, inv4, inv5, inv6, out1, out2, out3, out4, out5, out6)
    SELECT NEW.year, m, NEW.project_id,
        NEW.invested * (w <= 1), NEW.invested * (w <= 2), NEW.invested * (w <= 3),
        NEW.invested * (w <= 4), NEW.invested * (w <= 5), NEW.invested, NEW.output * (w <= 1),
        NEW.output * (w <= 2), NEW.output * (w <= 3), NEW.output * (w <= 4),
        NEW.output * (w <= 5), NEW.output
    FROM (SELECT CAST(substr(NEW.day, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(NEW.day, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(NEW.day, 1, 8) || '01') AS INTEGER)) % 7)
                 / 7 AS w)
    WHERE NEW.invested != 0 OR NEW.output != 0
    ON CONFLICT DO UPDATE SET
        inv1 = inv1 + excluded.inv1, inv2 = inv2 + excluded.inv2, inv3 = inv3 + excluded.inv3,
        inv4 = inv4 + excluded.inv4, inv5 = inv5 + excluded.inv5, inv6 = inv6 + excluded.inv6,
        out1 = out1 + excluded.out1, out2 = out2 + excluded.out2, out3 = out3 + excluded.out3,
        out4 = out4 + excluded.out4, out5 = out5 + excluded.out5, out6 = out6 + excluded.out6;
END;

-- ---- plans ------------------------------------------------------------------
-- (A plan is set with INSERT ... ON CONFLICT DO UPDATE, which fires the
-- update trigger.)

DROP TRIGGER query_months_plans_insert;
DROP TRIGGER query_months_plans_update;
DROP TRIGGER query_months_plans_delete;

CREATE TRIGGER query_amount_plans_insert AFTER INSERT ON plans
BEGIN
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, printf('%04d-%02d-01', NEW.year, NEW.month),
            NEW.invested, 0, 0);
END;

CREATE TRIGGER query_amount_plans_update AFTER UPDATE ON plans
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id, printf('%04d-%02d-01', OLD.year, OLD.month),
            -OLD.invested, 0, 0);
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, printf('%04d-%02d-01', NEW.year, NEW.month),
            NEW.invested, 0, 0);
END;

CREATE TRIGGER query_amount_plans_delete AFTER DELETE ON plans
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

CREATE TRIGGER query_amount_updates_insert AFTER INSERT ON updates
WHEN NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
BEGIN
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, NEW.period_last, 0, NEW.invested,
            coalesce(NEW.output, 0));
END;

CREATE TRIGGER query_amount_updates_update_old
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
WHEN OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = printf('%04d', OLD.year)
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id, OLD.period_last, 0, -OLD.invested,
            -coalesce(OLD.output, 0));
END;

CREATE TRIGGER query_amount_updates_update_new
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
WHEN NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
BEGIN
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, NEW.period_last, 0, NEW.invested,
            coalesce(NEW.output, 0));
END;

CREATE TRIGGER query_amount_updates_delete AFTER DELETE ON updates
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
