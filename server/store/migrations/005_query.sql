-- QueryService. The monthly reconciliation (月度对账): a snapshot of every
-- project in an office's scope, plan against actual as of the month's end,
-- kept as it was written; the month itself is locked in period_locks (003).
-- Then the two tables the aggregates read, kept by triggers.

CREATE TABLE snapshots (
    id            INTEGER PRIMARY KEY,
    month         TEXT NOT NULL,                           -- YYYY-MM
    root_unit_id  INTEGER NOT NULL REFERENCES units(id),   -- the office whose scope it covers
    as_of         TEXT NOT NULL,                           -- the month's last day
    created_at    TEXT NOT NULL,
    created_by    INTEGER REFERENCES accounts(id),
    UNIQUE (root_unit_id, month)
);

-- One project as it stood: names are copied, so that a later rename or a
-- new lead leader does not change what was reconciled. Money in 万元.
CREATE TABLE snapshot_rows (
    snapshot_id        INTEGER NOT NULL REFERENCES snapshots(id),
    project_id         INTEGER NOT NULL REFERENCES projects(id),
    code               TEXT NOT NULL,
    name               TEXT NOT NULL,
    level              TEXT NOT NULL,
    category           TEXT NOT NULL,
    stage              TEXT NOT NULL,
    town_code          TEXT,
    town_name          TEXT,
    leader_name        TEXT NOT NULL,
    lead_unit_name     TEXT NOT NULL,
    annual_plan        INTEGER NOT NULL,   -- the year's plan months
    planned_month      INTEGER NOT NULL,   -- the month's plan
    planned_ytd        INTEGER NOT NULL,   -- plan months 1..month
    completed_month    INTEGER NOT NULL,   -- latest revisions of the month's periods
    completed_ytd      INTEGER NOT NULL,   -- ... of the periods of months 1..month
    output_month       INTEGER NOT NULL,
    output_ytd         INTEGER NOT NULL,
    percent            INTEGER,            -- latest reported by the month's end; NULL: none
    expected_percent   INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('on_track', 'lagging',
                                                        'seriously_lagging')),
    reasons            TEXT NOT NULL DEFAULT '',   -- the rules that fired, one a line
    last_period        TEXT,
    progress           TEXT,               -- the visible progress (形象进度) last reported
    nodes_due          INTEGER NOT NULL,   -- nodes due on or before the month's end
    nodes_done         INTEGER NOT NULL,   -- ... of them done by then
    problems_raised    INTEGER NOT NULL,   -- by the month's end
    problems_resolved  INTEGER NOT NULL,
    problems_open      INTEGER NOT NULL,
    problems_overdue   INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, project_id)
) WITHOUT ROWID;
CREATE INDEX snapshot_rows_project ON snapshot_rows(project_id);

CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots
BEGIN SELECT RAISE(ABORT, 'snapshots are never changed'); END;
CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots
BEGIN SELECT RAISE(ABORT, 'snapshots are never changed'); END;
CREATE TRIGGER snapshot_rows_no_update BEFORE UPDATE ON snapshot_rows
BEGIN SELECT RAISE(ABORT, 'snapshots are never changed'); END;
CREATE TRIGGER snapshot_rows_no_delete BEFORE DELETE ON snapshot_rows
BEGIN SELECT RAISE(ABORT, 'snapshots are never changed'); END;

-- ---- what the queries read ------------------------------------------------
--
-- Two tables kept by the triggers below from projects, updates and plans,
-- so that a query over every project reads one short row per project and
-- month instead of a year of updates (server/store/query.c). They hold
-- nothing of their own: rebuilt from those tables they give the same rows.

-- Each project as the queries filter and group it, with its newest update
-- (the latest period by its last day, then the highest revision): the
-- status as of a day on or after settled_on (both that period's first day
-- and the update's submission day) reads the update from here. Dates are
-- days since 1970-01-01; level, category and stage are numbered as in
-- project.proto. The column names are those of projects, so that the scope
-- of an account (SRV_PROJECT_VISIBLE) reads this table as it reads projects.
CREATE TABLE query_projects (
    id              INTEGER PRIMARY KEY REFERENCES projects(id),
    level           INTEGER NOT NULL,
    category        INTEGER NOT NULL,
    stage           INTEGER NOT NULL,
    town_id         INTEGER,
    lead_leader_id  INTEGER NOT NULL,
    lead_unit_id    INTEGER NOT NULL,
    monthly         INTEGER NOT NULL,
    start_day       INTEGER,
    finish_day      INTEGER,
    archived        INTEGER NOT NULL,
    period          TEXT,       -- the newest update; NULL: none
    period_last     INTEGER,
    revision        INTEGER,
    percent         INTEGER,
    settled_on      INTEGER     -- the later of its period's first day and its sending
);

-- A project's year, month by month: the plan up to the month, and the
-- investment and output (latest revisions) of the periods of the year that
-- ended by given days of the month. A period counts for the year its
-- updates row names (a week: its Thursday's) and ends on period_last; one
-- of year Y ending in January of Y+1 counts on no day of Y. For month m:
--   inv0  periods ended before the month's first day
--   inv1..inv5  ended on or before the month's 1st..5th Sunday
--   inv6  ended on or before the month's last day
-- and out0..out6 the same for output; pinv0..pinv6 and pout0..pout6 are
-- those of the same month of the year before (the row of year - 1), so
-- that one row holds both years of a comparison. The year to date on a day
-- D of month m is inv6 when D is the month's last day, else invK where K
-- is the number of Sundays of the month up to D.
CREATE TABLE query_months (
    year        INTEGER NOT NULL,
    month       INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    project_id  INTEGER NOT NULL,
    plan_ytd    INTEGER NOT NULL DEFAULT 0,   -- plan months 1..month
    plan_year   INTEGER NOT NULL DEFAULT 0,   -- plan months 1..12
    inv0 INTEGER NOT NULL DEFAULT 0, inv1 INTEGER NOT NULL DEFAULT 0,
    inv2 INTEGER NOT NULL DEFAULT 0, inv3 INTEGER NOT NULL DEFAULT 0,
    inv4 INTEGER NOT NULL DEFAULT 0, inv5 INTEGER NOT NULL DEFAULT 0,
    inv6 INTEGER NOT NULL DEFAULT 0,
    out0 INTEGER NOT NULL DEFAULT 0, out1 INTEGER NOT NULL DEFAULT 0,
    out2 INTEGER NOT NULL DEFAULT 0, out3 INTEGER NOT NULL DEFAULT 0,
    out4 INTEGER NOT NULL DEFAULT 0, out5 INTEGER NOT NULL DEFAULT 0,
    out6 INTEGER NOT NULL DEFAULT 0,
    pinv0 INTEGER NOT NULL DEFAULT 0, pinv1 INTEGER NOT NULL DEFAULT 0,
    pinv2 INTEGER NOT NULL DEFAULT 0, pinv3 INTEGER NOT NULL DEFAULT 0,
    pinv4 INTEGER NOT NULL DEFAULT 0, pinv5 INTEGER NOT NULL DEFAULT 0,
    pinv6 INTEGER NOT NULL DEFAULT 0,
    pout0 INTEGER NOT NULL DEFAULT 0, pout1 INTEGER NOT NULL DEFAULT 0,
    pout2 INTEGER NOT NULL DEFAULT 0, pout3 INTEGER NOT NULL DEFAULT 0,
    pout4 INTEGER NOT NULL DEFAULT 0, pout5 INTEGER NOT NULL DEFAULT 0,
    pout6 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (year, month, project_id)
) WITHOUT ROWID;

-- The status of a past day looks for the last update before it.
CREATE INDEX updates_project_last ON updates(project_id, period_last, revision);
-- Nodes done after a past day were still open on it.
CREATE INDEX nodes_done ON nodes(done_date) WHERE done_date IS NOT NULL;

-- ---- query_projects -------------------------------------------------------
-- Days are CAST(julianday(date) - 2440587.5 AS INTEGER): days since
-- 1970-01-01, as common/period.h counts them.

CREATE TRIGGER query_projects_insert AFTER INSERT ON projects
BEGIN
    INSERT INTO query_projects(id, level, category, stage, town_id, lead_leader_id,
        lead_unit_id, monthly, start_day, finish_day, archived)
    VALUES (NEW.id,
        CASE NEW.level WHEN 'city' THEN 1 WHEN 'district' THEN 2 WHEN 'town' THEN 3
            ELSE 0 END,
        CASE NEW.category WHEN 'industrial' THEN 1 WHEN 'platform' THEN 2
            WHEN 'infrastructure' THEN 3 WHEN 'livelihood' THEN 4 WHEN 'special_task' THEN 5
            ELSE 0 END,
        CASE NEW.stage WHEN 'new' THEN 1 WHEN 'continuing' THEN 2 ELSE 0 END,
        NEW.town_id, NEW.lead_leader_id, NEW.lead_unit_id, NEW.frequency = 'monthly',
        CAST(julianday(NEW.planned_start) - 2440587.5 AS INTEGER),
        CAST(julianday(NEW.planned_finish) - 2440587.5 AS INTEGER), NEW.archived);
END;

CREATE TRIGGER query_projects_update AFTER UPDATE ON projects
BEGIN
    UPDATE query_projects SET (level, category, stage, town_id, lead_leader_id, lead_unit_id,
        monthly, start_day, finish_day, archived) = (
        CASE NEW.level WHEN 'city' THEN 1 WHEN 'district' THEN 2 WHEN 'town' THEN 3
            ELSE 0 END,
        CASE NEW.category WHEN 'industrial' THEN 1 WHEN 'platform' THEN 2
            WHEN 'infrastructure' THEN 3 WHEN 'livelihood' THEN 4 WHEN 'special_task' THEN 5
            ELSE 0 END,
        CASE NEW.stage WHEN 'new' THEN 1 WHEN 'continuing' THEN 2 ELSE 0 END,
        NEW.town_id, NEW.lead_leader_id, NEW.lead_unit_id, NEW.frequency = 'monthly',
        CAST(julianday(NEW.planned_start) - 2440587.5 AS INTEGER),
        CAST(julianday(NEW.planned_finish) - 2440587.5 AS INTEGER), NEW.archived)
    WHERE id = NEW.id;
END;

CREATE TRIGGER query_projects_newest AFTER INSERT ON updates
BEGIN
    UPDATE query_projects SET period = NEW.period,
        period_last = CAST(julianday(NEW.period_last) - 2440587.5 AS INTEGER),
        revision = NEW.revision, percent = NEW.percent,
        settled_on = CAST(julianday(max(NEW.period_first, substr(NEW.submitted_at, 1, 10)))
                          - 2440587.5 AS INTEGER)
    WHERE id = NEW.project_id
      AND (period_last IS NULL
           OR period_last < CAST(julianday(NEW.period_last) - 2440587.5 AS INTEGER)
           OR (period_last = CAST(julianday(NEW.period_last) - 2440587.5 AS INTEGER)
               AND revision < NEW.revision));
END;

-- Updates are only ever added (a revision is a new row), but should one be
-- changed or removed by hand, the newest of its project is found again.
CREATE TRIGGER query_projects_updates_update
AFTER UPDATE OF project_id, period, period_first, period_last, revision, percent, submitted_at
ON updates
BEGIN
    UPDATE query_projects SET (period, period_last, revision, percent, settled_on) = (
        SELECT period, CAST(julianday(period_last) - 2440587.5 AS INTEGER), revision, percent,
            CAST(julianday(max(period_first, substr(submitted_at, 1, 10))) - 2440587.5
                 AS INTEGER)
        FROM updates WHERE project_id = query_projects.id
        ORDER BY period_last DESC, revision DESC LIMIT 1)
    WHERE id IN (OLD.project_id, NEW.project_id);
END;

CREATE TRIGGER query_projects_updates_delete AFTER DELETE ON updates
BEGIN
    UPDATE query_projects SET (period, period_last, revision, percent, settled_on) = (
        SELECT period, CAST(julianday(period_last) - 2440587.5 AS INTEGER), revision, percent,
            CAST(julianday(max(period_first, substr(submitted_at, 1, 10))) - 2440587.5
                 AS INTEGER)
        FROM updates WHERE project_id = OLD.project_id
        ORDER BY period_last DESC, revision DESC LIMIT 1)
    WHERE id = OLD.project_id;
END;

-- ---- query_months from plans ----------------------------------------------
-- (A plan is set with INSERT ... ON CONFLICT DO UPDATE, which fires the
-- update trigger; INSERT OR REPLACE would not fire the delete trigger.)

CREATE TRIGGER query_months_plans_insert AFTER INSERT ON plans
BEGIN
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NOT EXISTS (SELECT 1 FROM query_months
                      WHERE year = NEW.year AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET plan_ytd = plan_ytd + NEW.invested * (month >= NEW.month),
                            plan_year = plan_year + NEW.invested
    WHERE year = NEW.year AND project_id = NEW.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
END;

CREATE TRIGGER query_months_plans_update AFTER UPDATE ON plans
BEGIN
    UPDATE query_months SET plan_ytd = plan_ytd - OLD.invested * (month >= OLD.month),
                            plan_year = plan_year - OLD.invested
    WHERE year = OLD.year AND project_id = OLD.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NOT EXISTS (SELECT 1 FROM query_months
                      WHERE year = NEW.year AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET plan_ytd = plan_ytd + NEW.invested * (month >= NEW.month),
                            plan_year = plan_year + NEW.invested
    WHERE year = NEW.year AND project_id = NEW.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
END;

CREATE TRIGGER query_months_plans_delete AFTER DELETE ON plans
BEGIN
    UPDATE query_months SET plan_ytd = plan_ytd - OLD.invested * (month >= OLD.month),
                            plan_year = plan_year - OLD.invested
    WHERE year = OLD.year AND project_id = OLD.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
END;

-- ---- query_months from updates ----------------------------------------------
-- For the period an update row is for: m is the month of its last day and
-- w the first K of inv1..inv5 whose Sunday is on or after that day (6: none,
-- for a last day after the month's last Sunday). A period adds to the rows
-- of its year (inv, out) and to those of the next (pinv, pout). progress.c
-- clears the previous revision's latest flag (the update trigger takes it
-- out) and inserts the new one (the insert trigger adds it).

CREATE TRIGGER query_months_updates_insert AFTER INSERT ON updates
WHEN NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
BEGIN
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NOT EXISTS (SELECT 1 FROM query_months
                       WHERE year = NEW.year AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET
        inv0 = inv0 + x.i * (month > x.m),
        inv1 = inv1 + x.i * (month > x.m OR x.w <= 1),
        inv2 = inv2 + x.i * (month > x.m OR x.w <= 2),
        inv3 = inv3 + x.i * (month > x.m OR x.w <= 3),
        inv4 = inv4 + x.i * (month > x.m OR x.w <= 4),
        inv5 = inv5 + x.i * (month > x.m OR x.w <= 5),
        inv6 = inv6 + x.i,
        out0 = out0 + x.o * (month > x.m),
        out1 = out1 + x.o * (month > x.m OR x.w <= 1),
        out2 = out2 + x.o * (month > x.m OR x.w <= 2),
        out3 = out3 + x.o * (month > x.m OR x.w <= 3),
        out4 = out4 + x.o * (month > x.m OR x.w <= 4),
        out5 = out5 + x.o * (month > x.m OR x.w <= 5),
        out6 = out6 + x.o
    FROM (SELECT NEW.invested AS i, coalesce(NEW.output, 0) AS o,
                 CAST(substr(NEW.period_last, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                    % 7) / 7 AS w) AS x
    WHERE year = NEW.year AND project_id = NEW.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) AND +month >= x.m;
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year + 1, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NOT EXISTS (SELECT 1 FROM query_months
                       WHERE year = NEW.year + 1 AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET
        pinv0 = pinv0 + x.i * (month > x.m),
        pinv1 = pinv1 + x.i * (month > x.m OR x.w <= 1),
        pinv2 = pinv2 + x.i * (month > x.m OR x.w <= 2),
        pinv3 = pinv3 + x.i * (month > x.m OR x.w <= 3),
        pinv4 = pinv4 + x.i * (month > x.m OR x.w <= 4),
        pinv5 = pinv5 + x.i * (month > x.m OR x.w <= 5),
        pinv6 = pinv6 + x.i,
        pout0 = pout0 + x.o * (month > x.m),
        pout1 = pout1 + x.o * (month > x.m OR x.w <= 1),
        pout2 = pout2 + x.o * (month > x.m OR x.w <= 2),
        pout3 = pout3 + x.o * (month > x.m OR x.w <= 3),
        pout4 = pout4 + x.o * (month > x.m OR x.w <= 4),
        pout5 = pout5 + x.o * (month > x.m OR x.w <= 5),
        pout6 = pout6 + x.o
    FROM (SELECT NEW.invested AS i, coalesce(NEW.output, 0) AS o,
                 CAST(substr(NEW.period_last, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                    % 7) / 7 AS w) AS x
    WHERE year = NEW.year + 1 AND project_id = NEW.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) AND +month >= x.m;
END;

CREATE TRIGGER query_months_updates_update
AFTER UPDATE OF project_id, period_last, year, latest, invested, output ON updates
BEGIN
    UPDATE query_months SET
        inv0 = inv0 + x.i * (month > x.m),
        inv1 = inv1 + x.i * (month > x.m OR x.w <= 1),
        inv2 = inv2 + x.i * (month > x.m OR x.w <= 2),
        inv3 = inv3 + x.i * (month > x.m OR x.w <= 3),
        inv4 = inv4 + x.i * (month > x.m OR x.w <= 4),
        inv5 = inv5 + x.i * (month > x.m OR x.w <= 5),
        inv6 = inv6 + x.i,
        out0 = out0 + x.o * (month > x.m),
        out1 = out1 + x.o * (month > x.m OR x.w <= 1),
        out2 = out2 + x.o * (month > x.m OR x.w <= 2),
        out3 = out3 + x.o * (month > x.m OR x.w <= 3),
        out4 = out4 + x.o * (month > x.m OR x.w <= 4),
        out5 = out5 + x.o * (month > x.m OR x.w <= 5),
        out6 = out6 + x.o
    FROM (SELECT -OLD.invested AS i, -coalesce(OLD.output, 0) AS o,
                 CAST(substr(OLD.period_last, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                    % 7) / 7 AS w) AS x
    WHERE OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = printf('%04d', OLD.year)
      AND year = OLD.year AND project_id = OLD.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) AND +month >= x.m;
    UPDATE query_months SET
        pinv0 = pinv0 + x.i * (month > x.m),
        pinv1 = pinv1 + x.i * (month > x.m OR x.w <= 1),
        pinv2 = pinv2 + x.i * (month > x.m OR x.w <= 2),
        pinv3 = pinv3 + x.i * (month > x.m OR x.w <= 3),
        pinv4 = pinv4 + x.i * (month > x.m OR x.w <= 4),
        pinv5 = pinv5 + x.i * (month > x.m OR x.w <= 5),
        pinv6 = pinv6 + x.i,
        pout0 = pout0 + x.o * (month > x.m),
        pout1 = pout1 + x.o * (month > x.m OR x.w <= 1),
        pout2 = pout2 + x.o * (month > x.m OR x.w <= 2),
        pout3 = pout3 + x.o * (month > x.m OR x.w <= 3),
        pout4 = pout4 + x.o * (month > x.m OR x.w <= 4),
        pout5 = pout5 + x.o * (month > x.m OR x.w <= 5),
        pout6 = pout6 + x.o
    FROM (SELECT -OLD.invested AS i, -coalesce(OLD.output, 0) AS o,
                 CAST(substr(OLD.period_last, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                    % 7) / 7 AS w) AS x
    WHERE OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = printf('%04d', OLD.year)
      AND year = OLD.year + 1 AND project_id = OLD.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) AND +month >= x.m;
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
      AND NOT EXISTS (SELECT 1 FROM query_months
                       WHERE year = NEW.year AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET
        inv0 = inv0 + x.i * (month > x.m),
        inv1 = inv1 + x.i * (month > x.m OR x.w <= 1),
        inv2 = inv2 + x.i * (month > x.m OR x.w <= 2),
        inv3 = inv3 + x.i * (month > x.m OR x.w <= 3),
        inv4 = inv4 + x.i * (month > x.m OR x.w <= 4),
        inv5 = inv5 + x.i * (month > x.m OR x.w <= 5),
        inv6 = inv6 + x.i,
        out0 = out0 + x.o * (month > x.m),
        out1 = out1 + x.o * (month > x.m OR x.w <= 1),
        out2 = out2 + x.o * (month > x.m OR x.w <= 2),
        out3 = out3 + x.o * (month > x.m OR x.w <= 3),
        out4 = out4 + x.o * (month > x.m OR x.w <= 4),
        out5 = out5 + x.o * (month > x.m OR x.w <= 5),
        out6 = out6 + x.o
    FROM (SELECT NEW.invested AS i, coalesce(NEW.output, 0) AS o,
                 CAST(substr(NEW.period_last, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                    % 7) / 7 AS w) AS x
    WHERE NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
      AND year = NEW.year AND project_id = NEW.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) AND +month >= x.m;
    INSERT INTO query_months(year, month, project_id)
    SELECT NEW.year + 1, column1, NEW.project_id
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12))
    WHERE NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
      AND NOT EXISTS (SELECT 1 FROM query_months
                       WHERE year = NEW.year + 1 AND month = 12 AND project_id = NEW.project_id);
    UPDATE query_months SET
        pinv0 = pinv0 + x.i * (month > x.m),
        pinv1 = pinv1 + x.i * (month > x.m OR x.w <= 1),
        pinv2 = pinv2 + x.i * (month > x.m OR x.w <= 2),
        pinv3 = pinv3 + x.i * (month > x.m OR x.w <= 3),
        pinv4 = pinv4 + x.i * (month > x.m OR x.w <= 4),
        pinv5 = pinv5 + x.i * (month > x.m OR x.w <= 5),
        pinv6 = pinv6 + x.i,
        pout0 = pout0 + x.o * (month > x.m),
        pout1 = pout1 + x.o * (month > x.m OR x.w <= 1),
        pout2 = pout2 + x.o * (month > x.m OR x.w <= 2),
        pout3 = pout3 + x.o * (month > x.m OR x.w <= 3),
        pout4 = pout4 + x.o * (month > x.m OR x.w <= 4),
        pout5 = pout5 + x.o * (month > x.m OR x.w <= 5),
        pout6 = pout6 + x.o
    FROM (SELECT NEW.invested AS i, coalesce(NEW.output, 0) AS o,
                 CAST(substr(NEW.period_last, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(NEW.period_last, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(NEW.period_last, 1, 8) || '01') AS INTEGER))
                    % 7) / 7 AS w) AS x
    WHERE NEW.latest = 1 AND substr(NEW.period_last, 1, 4) = printf('%04d', NEW.year)
      AND year = NEW.year + 1 AND project_id = NEW.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) AND +month >= x.m;
END;

CREATE TRIGGER query_months_updates_delete AFTER DELETE ON updates
WHEN OLD.latest = 1 AND substr(OLD.period_last, 1, 4) = printf('%04d', OLD.year)
BEGIN
    UPDATE query_months SET
        inv0 = inv0 + x.i * (month > x.m),
        inv1 = inv1 + x.i * (month > x.m OR x.w <= 1),
        inv2 = inv2 + x.i * (month > x.m OR x.w <= 2),
        inv3 = inv3 + x.i * (month > x.m OR x.w <= 3),
        inv4 = inv4 + x.i * (month > x.m OR x.w <= 4),
        inv5 = inv5 + x.i * (month > x.m OR x.w <= 5),
        inv6 = inv6 + x.i,
        out0 = out0 + x.o * (month > x.m),
        out1 = out1 + x.o * (month > x.m OR x.w <= 1),
        out2 = out2 + x.o * (month > x.m OR x.w <= 2),
        out3 = out3 + x.o * (month > x.m OR x.w <= 3),
        out4 = out4 + x.o * (month > x.m OR x.w <= 4),
        out5 = out5 + x.o * (month > x.m OR x.w <= 5),
        out6 = out6 + x.o
    FROM (SELECT -OLD.invested AS i, -coalesce(OLD.output, 0) AS o,
                 CAST(substr(OLD.period_last, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                    % 7) / 7 AS w) AS x
    WHERE year = OLD.year AND project_id = OLD.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) AND +month >= x.m;
    UPDATE query_months SET
        pinv0 = pinv0 + x.i * (month > x.m),
        pinv1 = pinv1 + x.i * (month > x.m OR x.w <= 1),
        pinv2 = pinv2 + x.i * (month > x.m OR x.w <= 2),
        pinv3 = pinv3 + x.i * (month > x.m OR x.w <= 3),
        pinv4 = pinv4 + x.i * (month > x.m OR x.w <= 4),
        pinv5 = pinv5 + x.i * (month > x.m OR x.w <= 5),
        pinv6 = pinv6 + x.i,
        pout0 = pout0 + x.o * (month > x.m),
        pout1 = pout1 + x.o * (month > x.m OR x.w <= 1),
        pout2 = pout2 + x.o * (month > x.m OR x.w <= 2),
        pout3 = pout3 + x.o * (month > x.m OR x.w <= 3),
        pout4 = pout4 + x.o * (month > x.m OR x.w <= 4),
        pout5 = pout5 + x.o * (month > x.m OR x.w <= 5),
        pout6 = pout6 + x.o
    FROM (SELECT -OLD.invested AS i, -coalesce(OLD.output, 0) AS o,
                 CAST(substr(OLD.period_last, 6, 2) AS INTEGER) AS m,
                 (CAST(substr(OLD.period_last, 9, 2) AS INTEGER) + 12
                  - (7 - CAST(strftime('%w', substr(OLD.period_last, 1, 8) || '01') AS INTEGER))
                    % 7) / 7 AS w) AS x
    WHERE year = OLD.year + 1 AND project_id = OLD.project_id
      AND month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) AND +month >= x.m;
END;

-- ---- the rows of what was there before this migration ---------------------

INSERT INTO query_projects(id, level, category, stage, town_id, lead_leader_id,
    lead_unit_id, monthly, start_day, finish_day, archived)
SELECT p.id,
    CASE p.level WHEN 'city' THEN 1 WHEN 'district' THEN 2 WHEN 'town' THEN 3 ELSE 0 END,
    CASE p.category WHEN 'industrial' THEN 1 WHEN 'platform' THEN 2
        WHEN 'infrastructure' THEN 3 WHEN 'livelihood' THEN 4 WHEN 'special_task' THEN 5
        ELSE 0 END,
    CASE p.stage WHEN 'new' THEN 1 WHEN 'continuing' THEN 2 ELSE 0 END,
    p.town_id, p.lead_leader_id, p.lead_unit_id, p.frequency = 'monthly',
    CAST(julianday(p.planned_start) - 2440587.5 AS INTEGER),
    CAST(julianday(p.planned_finish) - 2440587.5 AS INTEGER), p.archived
FROM projects p;
UPDATE query_projects SET (period, period_last, revision, percent, settled_on) = (
    SELECT period, CAST(julianday(period_last) - 2440587.5 AS INTEGER), revision, percent,
        CAST(julianday(max(period_first, substr(submitted_at, 1, 10))) - 2440587.5 AS INTEGER)
    FROM updates WHERE project_id = query_projects.id
    ORDER BY period_last DESC, revision DESC LIMIT 1);

INSERT INTO query_months(year, month, project_id, plan_ytd, plan_year)
SELECT k.year, r.column1, k.project_id,
       (SELECT coalesce(sum(p.invested), 0) FROM plans p
        WHERE p.project_id = k.project_id AND p.year = k.year AND p.month <= r.column1),
       (SELECT coalesce(sum(p.invested), 0) FROM plans p
        WHERE p.project_id = k.project_id AND p.year = k.year)
FROM (SELECT project_id, year FROM plans
      UNION SELECT project_id, year FROM updates
      WHERE latest = 1 AND substr(period_last, 1, 4) = printf('%04d', year)
      UNION SELECT project_id, year + 1 FROM updates
      WHERE latest = 1 AND substr(period_last, 1, 4) = printf('%04d', year)) k,
     (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) r;

UPDATE query_months SET
    inv0 = a.inv0,
    inv1 = a.inv1,
    inv2 = a.inv2,
    inv3 = a.inv3,
    inv4 = a.inv4,
    inv5 = a.inv5,
    inv6 = a.inv6,
    out0 = a.out0,
    out1 = a.out1,
    out2 = a.out2,
    out3 = a.out3,
    out4 = a.out4,
    out5 = a.out5,
    out6 = a.out6
FROM (SELECT u.project_id, u.year, r.column1 AS month,
             sum(u.invested * (r.column1 > u.m)) AS inv0,
             sum(u.invested * ((r.column1 > u.m OR u.w <= 1))) AS inv1,
             sum(u.invested * ((r.column1 > u.m OR u.w <= 2))) AS inv2,
             sum(u.invested * ((r.column1 > u.m OR u.w <= 3))) AS inv3,
             sum(u.invested * ((r.column1 > u.m OR u.w <= 4))) AS inv4,
             sum(u.invested * ((r.column1 > u.m OR u.w <= 5))) AS inv5,
             sum(u.invested * (r.column1 >= u.m)) AS inv6,
             sum(u.output * (r.column1 > u.m)) AS out0,
             sum(u.output * ((r.column1 > u.m OR u.w <= 1))) AS out1,
             sum(u.output * ((r.column1 > u.m OR u.w <= 2))) AS out2,
             sum(u.output * ((r.column1 > u.m OR u.w <= 3))) AS out3,
             sum(u.output * ((r.column1 > u.m OR u.w <= 4))) AS out4,
             sum(u.output * ((r.column1 > u.m OR u.w <= 5))) AS out5,
             sum(u.output * (r.column1 >= u.m)) AS out6
      FROM (SELECT project_id, year, invested, coalesce(output, 0) AS output,
                   CAST(substr(period_last, 6, 2) AS INTEGER) AS m,
                   (CAST(substr(period_last, 9, 2) AS INTEGER) + 12
                    - (7 - CAST(strftime('%w', substr(period_last, 1, 8) || '01') AS INTEGER))
                      % 7) / 7 AS w
            FROM updates
            WHERE latest = 1 AND substr(period_last, 1, 4) = printf('%04d', year)) u,
           (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) r
      WHERE r.column1 >= u.m
      GROUP BY u.project_id, u.year, r.column1) a
WHERE query_months.year = a.year AND query_months.month = a.month
  AND query_months.project_id = a.project_id;

UPDATE query_months SET (pinv0, pinv1, pinv2, pinv3, pinv4, pinv5, pinv6,
                         pout0, pout1, pout2, pout3, pout4, pout5, pout6) =
    (SELECT q.inv0, q.inv1, q.inv2, q.inv3, q.inv4, q.inv5, q.inv6,
            q.out0, q.out1, q.out2, q.out3, q.out4, q.out5, q.out6
     FROM query_months q WHERE q.year = query_months.year - 1
     AND q.month = query_months.month AND q.project_id = query_months.project_id)
WHERE EXISTS (SELECT 1 FROM query_months q WHERE q.year = query_months.year - 1
              AND q.month = query_months.month AND q.project_id = query_months.project_id);
