-- Performance (issue 9): the money of the queries kept so that a write
-- changes two rows, and a query over every project still reads one row per
-- project and year.
--
-- Two tables take the place of query_months (005, 011):
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
-- number of the month's Sundays up to D (server/store/query.c). Rebuilt from
-- plans and updates, both tables give the same rows.

CREATE TABLE query_years (
    year        bigint NOT NULL,
    project_id  bigint NOT NULL,
    plan1 bigint NOT NULL DEFAULT 0, plan2 bigint NOT NULL DEFAULT 0,
    plan3 bigint NOT NULL DEFAULT 0, plan4 bigint NOT NULL DEFAULT 0,
    plan5 bigint NOT NULL DEFAULT 0, plan6 bigint NOT NULL DEFAULT 0,
    plan7 bigint NOT NULL DEFAULT 0, plan8 bigint NOT NULL DEFAULT 0,
    plan9 bigint NOT NULL DEFAULT 0, plan10 bigint NOT NULL DEFAULT 0,
    plan11 bigint NOT NULL DEFAULT 0, plan12 bigint NOT NULL DEFAULT 0,
    inv1 bigint NOT NULL DEFAULT 0, inv2 bigint NOT NULL DEFAULT 0,
    inv3 bigint NOT NULL DEFAULT 0, inv4 bigint NOT NULL DEFAULT 0,
    inv5 bigint NOT NULL DEFAULT 0, inv6 bigint NOT NULL DEFAULT 0,
    inv7 bigint NOT NULL DEFAULT 0, inv8 bigint NOT NULL DEFAULT 0,
    inv9 bigint NOT NULL DEFAULT 0, inv10 bigint NOT NULL DEFAULT 0,
    inv11 bigint NOT NULL DEFAULT 0, inv12 bigint NOT NULL DEFAULT 0,
    out1 bigint NOT NULL DEFAULT 0, out2 bigint NOT NULL DEFAULT 0,
    out3 bigint NOT NULL DEFAULT 0, out4 bigint NOT NULL DEFAULT 0,
    out5 bigint NOT NULL DEFAULT 0, out6 bigint NOT NULL DEFAULT 0,
    out7 bigint NOT NULL DEFAULT 0, out8 bigint NOT NULL DEFAULT 0,
    out9 bigint NOT NULL DEFAULT 0, out10 bigint NOT NULL DEFAULT 0,
    out11 bigint NOT NULL DEFAULT 0, out12 bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (year, project_id)
);

CREATE TABLE query_slots (
    year        bigint NOT NULL,
    month       bigint NOT NULL CHECK (month BETWEEN 1 AND 12),
    project_id  bigint NOT NULL,
    inv1 bigint NOT NULL DEFAULT 0, inv2 bigint NOT NULL DEFAULT 0,
    inv3 bigint NOT NULL DEFAULT 0, inv4 bigint NOT NULL DEFAULT 0,
    inv5 bigint NOT NULL DEFAULT 0, inv6 bigint NOT NULL DEFAULT 0,
    out1 bigint NOT NULL DEFAULT 0, out2 bigint NOT NULL DEFAULT 0,
    out3 bigint NOT NULL DEFAULT 0, out4 bigint NOT NULL DEFAULT 0,
    out5 bigint NOT NULL DEFAULT 0, out6 bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (year, month, project_id)
);

-- The triggers add to both by inserting into this view: amounts (negative
-- to take them away) of a project for the year, on the day (YYYY-MM-DD)
-- whose month and slot they fall in. The rule is written once, here.
CREATE VIEW query_amount(year, project_id, day, plan, invested, output) AS
SELECT year, project_id, NULL::text, plan12, inv12, out12 FROM query_years;

CREATE FUNCTION query_amount_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    m constant bigint := ls_int(substr(NEW.day, 6, 2));
    w constant bigint := ls_slot(NEW.day);
BEGIN
    INSERT INTO query_years AS q(year, project_id,
        plan1, plan2, plan3, plan4, plan5, plan6, plan7, plan8, plan9, plan10, plan11, plan12,
        inv1, inv2, inv3, inv4, inv5, inv6, inv7, inv8, inv9, inv10, inv11, inv12, out1, out2,
        out3, out4, out5, out6, out7, out8, out9, out10, out11, out12)
    VALUES (NEW.year, NEW.project_id,
        NEW.plan * (m <= 1)::int, NEW.plan * (m <= 2)::int, NEW.plan * (m <= 3)::int,
        NEW.plan * (m <= 4)::int, NEW.plan * (m <= 5)::int, NEW.plan * (m <= 6)::int,
        NEW.plan * (m <= 7)::int, NEW.plan * (m <= 8)::int, NEW.plan * (m <= 9)::int,
        NEW.plan * (m <= 10)::int, NEW.plan * (m <= 11)::int, NEW.plan * (m <= 12)::int,
        NEW.invested * (m <= 1)::int, NEW.invested * (m <= 2)::int,
        NEW.invested * (m <= 3)::int, NEW.invested * (m <= 4)::int,
        NEW.invested * (m <= 5)::int, NEW.invested * (m <= 6)::int,
        NEW.invested * (m <= 7)::int, NEW.invested * (m <= 8)::int,
        NEW.invested * (m <= 9)::int, NEW.invested * (m <= 10)::int,
        NEW.invested * (m <= 11)::int, NEW.invested * (m <= 12)::int,
        NEW.output * (m <= 1)::int, NEW.output * (m <= 2)::int, NEW.output * (m <= 3)::int,
        NEW.output * (m <= 4)::int, NEW.output * (m <= 5)::int, NEW.output * (m <= 6)::int,
        NEW.output * (m <= 7)::int, NEW.output * (m <= 8)::int, NEW.output * (m <= 9)::int,
        NEW.output * (m <= 10)::int, NEW.output * (m <= 11)::int,
        NEW.output * (m <= 12)::int)
    ON CONFLICT (year, project_id) DO UPDATE SET
        plan1 = q.plan1 + excluded.plan1, plan2 = q.plan2 + excluded.plan2,
        plan3 = q.plan3 + excluded.plan3, plan4 = q.plan4 + excluded.plan4,
        plan5 = q.plan5 + excluded.plan5, plan6 = q.plan6 + excluded.plan6,
        plan7 = q.plan7 + excluded.plan7, plan8 = q.plan8 + excluded.plan8,
        plan9 = q.plan9 + excluded.plan9, plan10 = q.plan10 + excluded.plan10,
        plan11 = q.plan11 + excluded.plan11, plan12 = q.plan12 + excluded.plan12,
        inv1 = q.inv1 + excluded.inv1, inv2 = q.inv2 + excluded.inv2,
        inv3 = q.inv3 + excluded.inv3, inv4 = q.inv4 + excluded.inv4,
        inv5 = q.inv5 + excluded.inv5, inv6 = q.inv6 + excluded.inv6,
        inv7 = q.inv7 + excluded.inv7, inv8 = q.inv8 + excluded.inv8,
        inv9 = q.inv9 + excluded.inv9, inv10 = q.inv10 + excluded.inv10,
        inv11 = q.inv11 + excluded.inv11, inv12 = q.inv12 + excluded.inv12,
        out1 = q.out1 + excluded.out1, out2 = q.out2 + excluded.out2,
        out3 = q.out3 + excluded.out3, out4 = q.out4 + excluded.out4,
        out5 = q.out5 + excluded.out5, out6 = q.out6 + excluded.out6,
        out7 = q.out7 + excluded.out7, out8 = q.out8 + excluded.out8,
        out9 = q.out9 + excluded.out9, out10 = q.out10 + excluded.out10,
        out11 = q.out11 + excluded.out11, out12 = q.out12 + excluded.out12;
    INSERT INTO query_slots AS q(year, month, project_id,
        inv1, inv2, inv3, inv4, inv5, inv6, out1, out2, out3, out4, out5, out6)
    SELECT NEW.year, m, NEW.project_id,
        NEW.invested * (w <= 1)::int, NEW.invested * (w <= 2)::int,
        NEW.invested * (w <= 3)::int, NEW.invested * (w <= 4)::int,
        NEW.invested * (w <= 5)::int, NEW.invested,
        NEW.output * (w <= 1)::int, NEW.output * (w <= 2)::int, NEW.output * (w <= 3)::int,
        NEW.output * (w <= 4)::int, NEW.output * (w <= 5)::int, NEW.output
    WHERE NEW.invested <> 0 OR NEW.output <> 0
    ON CONFLICT (year, month, project_id) DO UPDATE SET
        inv1 = q.inv1 + excluded.inv1, inv2 = q.inv2 + excluded.inv2,
        inv3 = q.inv3 + excluded.inv3, inv4 = q.inv4 + excluded.inv4,
        inv5 = q.inv5 + excluded.inv5, inv6 = q.inv6 + excluded.inv6,
        out1 = q.out1 + excluded.out1, out2 = q.out2 + excluded.out2,
        out3 = q.out3 + excluded.out3, out4 = q.out4 + excluded.out4,
        out5 = q.out5 + excluded.out5, out6 = q.out6 + excluded.out6;
    RETURN NEW;
END
$$;
CREATE TRIGGER query_amount_insert INSTEAD OF INSERT ON query_amount
FOR EACH ROW EXECUTE FUNCTION query_amount_insert();

-- ---- plans ------------------------------------------------------------------
-- (A plan is set with INSERT ... ON CONFLICT DO UPDATE, which fires the
-- update trigger.) The day of a plan is the first of its month:
-- printf('%04d-%02d-01', year, month).

DROP TRIGGER query_months_plans_insert ON plans;
DROP TRIGGER query_months_plans_update ON plans;
DROP TRIGGER query_months_plans_delete ON plans;
DROP FUNCTION query_months_plans_insert();
DROP FUNCTION query_months_plans_update();
DROP FUNCTION query_months_plans_delete();

CREATE FUNCTION query_amount_plans_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id,
            ls_pad(NEW.year, 4) || '-' || ls_pad(NEW.month, 2) || '-01', NEW.invested, 0, 0);
    RETURN NULL;
END
$$;
CREATE TRIGGER query_amount_plans_insert AFTER INSERT ON plans
FOR EACH ROW EXECUTE FUNCTION query_amount_plans_insert();

CREATE FUNCTION query_amount_plans_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id,
            ls_pad(OLD.year, 4) || '-' || ls_pad(OLD.month, 2) || '-01', -OLD.invested, 0, 0);
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id,
            ls_pad(NEW.year, 4) || '-' || ls_pad(NEW.month, 2) || '-01', NEW.invested, 0, 0);
    RETURN NULL;
END
$$;
CREATE TRIGGER query_amount_plans_update AFTER UPDATE ON plans
FOR EACH ROW EXECUTE FUNCTION query_amount_plans_update();

CREATE FUNCTION query_amount_plans_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id,
            ls_pad(OLD.year, 4) || '-' || ls_pad(OLD.month, 2) || '-01', -OLD.invested, 0, 0);
    RETURN NULL;
END
$$;
CREATE TRIGGER query_amount_plans_delete AFTER DELETE ON plans
FOR EACH ROW EXECUTE FUNCTION query_amount_plans_delete();

-- ---- updates ----------------------------------------------------------------
-- progress.c clears the previous revision's latest flag (the first update
-- trigger takes it away) and inserts the new one (the insert trigger adds
-- it). A row counts when it is the latest and its period ends in its year.

DROP TRIGGER query_months_updates_insert ON updates;
DROP TRIGGER query_months_updates_update_old ON updates;
DROP TRIGGER query_months_updates_update_new ON updates;
DROP TRIGGER query_months_updates_delete ON updates;
DROP FUNCTION query_months_updates_insert();
DROP FUNCTION query_months_updates_update_old();
DROP FUNCTION query_months_updates_update_new();
DROP FUNCTION query_months_updates_delete();
DROP FUNCTION query_months_add(bigint, bigint, bigint, bigint, text, boolean);
DROP FUNCTION query_months_rows(bigint, bigint);

CREATE FUNCTION query_amount_updates_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO query_amount
    VALUES (NEW.year, NEW.project_id, NEW.period_last, 0, NEW.invested,
            coalesce(NEW.output, 0));
    RETURN NULL;
END
$$;
CREATE FUNCTION query_amount_updates_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO query_amount
    VALUES (OLD.year, OLD.project_id, OLD.period_last, 0, -OLD.invested,
            -coalesce(OLD.output, 0));
    RETURN NULL;
END
$$;

CREATE TRIGGER query_amount_updates_insert AFTER INSERT ON updates
FOR EACH ROW
WHEN (NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = ls_pad(NEW.year, 4))
EXECUTE FUNCTION query_amount_updates_new();

CREATE TRIGGER query_amount_updates_update_old
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
FOR EACH ROW
WHEN (OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = ls_pad(OLD.year, 4))
EXECUTE FUNCTION query_amount_updates_old();

CREATE TRIGGER query_amount_updates_update_new
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
FOR EACH ROW
WHEN (NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = ls_pad(NEW.year, 4))
EXECUTE FUNCTION query_amount_updates_new();

CREATE TRIGGER query_amount_updates_delete AFTER DELETE ON updates
FOR EACH ROW
WHEN (OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = ls_pad(OLD.year, 4))
EXECUTE FUNCTION query_amount_updates_old();

-- ---- what is already there ----------------------------------------------------

INSERT INTO query_amount
SELECT year, project_id, ls_pad(year, 4) || '-' || ls_pad(month, 2) || '-01', invested, 0, 0
FROM plans;
INSERT INTO query_amount
SELECT year, project_id, period_last, 0, invested, coalesce(output, 0) FROM updates
WHERE latest = 1 AND substr(period_last, 1, 4) = ls_pad(year, 4);

DROP TABLE query_months;
