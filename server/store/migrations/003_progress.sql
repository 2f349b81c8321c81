-- Progress updates (the weekly report), their photos, period locks, and
-- problems with their history.

-- Which of the four support groups a unit of kind support_group is, so that
-- a raised problem can be routed to it.
ALTER TABLE units ADD COLUMN support_group TEXT
    CHECK (support_group IN ('coordination', 'approval', 'funding', 'clearance'));

CREATE TABLE updates (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    period          TEXT NOT NULL,      -- 2026-W48 or 2026-11
    period_kind     TEXT NOT NULL CHECK (period_kind IN ('week', 'month')),
    period_first    TEXT NOT NULL,      -- YYYY-MM-DD, the period's first day
    period_last     TEXT NOT NULL,      -- YYYY-MM-DD, its last day
    month           TEXT NOT NULL,      -- YYYY-MM it belongs to (a week: its Thursday's)
    year            INTEGER NOT NULL,   -- the year of that month
    revision        INTEGER NOT NULL CHECK (revision >= 1),
    latest          INTEGER NOT NULL DEFAULT 1 CHECK (latest IN (0, 1)),
    unit_id         INTEGER NOT NULL REFERENCES units(id),     -- the reporting unit
    account_id      INTEGER REFERENCES accounts(id),
    invested        INTEGER NOT NULL CHECK (invested >= 0),    -- 万元, in the period
    output          INTEGER CHECK (output >= 0),               -- 万元, in the period
    percent         INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    progress        TEXT NOT NULL,
    next_plan       TEXT,
    support_needed  TEXT,
    submitted_at    TEXT NOT NULL,
    UNIQUE (project_id, period, revision)
);
CREATE INDEX updates_latest ON updates(project_id, year, month) WHERE latest = 1;
CREATE INDEX updates_period ON updates(period, project_id) WHERE latest = 1;

CREATE TABLE update_nodes (
    update_id  INTEGER NOT NULL REFERENCES updates(id),
    node_id    INTEGER NOT NULL REFERENCES nodes(id),
    PRIMARY KEY (update_id, node_id)
) WITHOUT ROWID;

CREATE TABLE photos (
    id            INTEGER PRIMARY KEY,
    update_id     INTEGER NOT NULL REFERENCES updates(id),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size          INTEGER NOT NULL,
    data          BLOB NOT NULL
);
CREATE INDEX photos_update ON photos(update_id);

-- A reconciled month: its updates take no more revisions.
CREATE TABLE period_locks (
    month      TEXT PRIMARY KEY,            -- YYYY-MM
    locked_at  TEXT NOT NULL,
    locked_by  INTEGER REFERENCES accounts(id)
) WITHOUT ROWID;

CREATE TABLE problems (
    id                  INTEGER PRIMARY KEY,
    project_id          INTEGER NOT NULL REFERENCES projects(id),
    title               TEXT NOT NULL,
    detail              TEXT NOT NULL DEFAULT '',
    grp                 TEXT NOT NULL CHECK (grp IN ('coordination', 'approval', 'funding',
                                                     'clearance', 'other')),
    routed_unit_id      INTEGER NOT NULL REFERENCES units(id),
    assignee_unit_id    INTEGER REFERENCES units(id),
    assignee_person_id  INTEGER REFERENCES people(id),
    due_date            TEXT,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    escalated           INTEGER NOT NULL DEFAULT 0 CHECK (escalated IN (0, 1)),
    resolution          TEXT,
    raised_by           INTEGER REFERENCES accounts(id),
    raised_at           TEXT NOT NULL,      -- ISO 8601 time
    raised_on           TEXT NOT NULL,      -- YYYY-MM-DD in the server's zone, for as-of
    resolved_at         TEXT,
    resolved_on         TEXT                -- YYYY-MM-DD
);
CREATE INDEX problems_project ON problems(project_id);
CREATE INDEX problems_routed ON problems(routed_unit_id, status);
CREATE INDEX problems_assignee_unit ON problems(assignee_unit_id, status);
CREATE INDEX problems_assignee_person ON problems(assignee_person_id, status);

CREATE TABLE problem_events (
    id          INTEGER PRIMARY KEY,
    problem_id  INTEGER NOT NULL REFERENCES problems(id),
    at          TEXT NOT NULL,
    account_id  INTEGER REFERENCES accounts(id),
    kind        TEXT NOT NULL CHECK (kind IN ('raised', 'assigned', 'note', 'escalated',
                                              'resolved', 'reopened')),
    text        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX problem_events_problem ON problem_events(problem_id);
