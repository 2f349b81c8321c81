-- Supervision beyond the weekly update: the leaders' rhythm (weekly
-- review, monthly site visit, coordination), inspections with their
-- rectification orders, accountability records, and the support groups'
-- figures: approvals, land clearance (征迁清零) and funding. Money in 万元,
-- areas in m², dates YYYY-MM-DD.

-- 每周专题了解, 每月现场调研指导, 协调会: what a lead leader did for a project.
CREATE TABLE leader_activities (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    kind        TEXT NOT NULL CHECK (kind IN ('weekly_review', 'site_visit', 'coordination')),
    date        TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    account_id  INTEGER REFERENCES accounts(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX leader_activities_person ON leader_activities(person_id, date);
CREATE INDEX leader_activities_project ON leader_activities(project_id, date);

-- The problems an activity took up (问题包案).
CREATE TABLE activity_problems (
    activity_id  INTEGER NOT NULL REFERENCES leader_activities(id),
    problem_id   INTEGER NOT NULL REFERENCES problems(id),
    PRIMARY KEY (activity_id, problem_id)
) WITHOUT ROWID;

-- 督查: one inspection of one project by an inspection group, on one of the
-- four layers of supervision.
CREATE TABLE inspections (
    id             INTEGER PRIMARY KEY,
    group_unit_id  INTEGER NOT NULL REFERENCES units(id),
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    date           TEXT NOT NULL,
    layer          TEXT NOT NULL CHECK (layer IN ('lead_leader', 'leading_group',
                                                  'congress_consultative', 'unit_itself')),
    findings       TEXT NOT NULL DEFAULT '',
    slow           INTEGER NOT NULL DEFAULT 0 CHECK (slow IN (0, 1)),  -- 推进较慢
    account_id     INTEGER REFERENCES accounts(id),
    created_at     TEXT NOT NULL
);
CREATE INDEX inspections_project ON inspections(project_id, date);
CREATE INDEX inspections_group ON inspections(group_unit_id, date);

-- 整改: what an inspection ordered a unit to put right, by when.
CREATE TABLE rectifications (
    id             INTEGER PRIMARY KEY,
    inspection_id  INTEGER NOT NULL REFERENCES inspections(id),
    owner_unit_id  INTEGER NOT NULL REFERENCES units(id),
    due_date       TEXT NOT NULL,
    text           TEXT NOT NULL,
    ordered_on     TEXT NOT NULL,      -- the inspection's date: open from then
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    done_date      TEXT,               -- NULL while open
    account_id     INTEGER REFERENCES accounts(id),
    created_at     TEXT NOT NULL,
    CHECK ((status = 'done') = (done_date IS NOT NULL))
);
CREATE INDEX rectifications_inspection ON rectifications(inspection_id);
CREATE INDEX rectifications_owner ON rectifications(owner_unit_id, status);

-- 约谈提醒, 批评教育, 问责: against a person or a unit, never both.
CREATE TABLE accountability (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('warning_talk', 'criticism', 'accountability')),
    person_id      INTEGER REFERENCES people(id),
    unit_id        INTEGER REFERENCES units(id),
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    inspection_id  INTEGER REFERENCES inspections(id),
    date           TEXT NOT NULL,
    text           TEXT NOT NULL,
    account_id     INTEGER REFERENCES accounts(id),
    created_at     TEXT NOT NULL,
    CHECK ((person_id IS NULL) <> (unit_id IS NULL))
);
CREATE INDEX accountability_project ON accountability(project_id, date);

-- 审批服务: one approval item of a project, with the department that handles
-- it and how many times the applicant had to come (最多跑一次).
CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    item        TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    submitted   TEXT NOT NULL,
    approved    TEXT,                  -- NULL while pending
    visits      INTEGER NOT NULL CHECK (visits >= 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (approved IS NULL OR approved >= submitted),
    UNIQUE (project_id, item)
);
CREATE INDEX approvals_unit ON approvals(unit_id);

-- 征迁清零: a project's clearance in one month.
CREATE TABLE clearance (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id),
    month        TEXT NOT NULL,        -- YYYY-MM
    target_m2    INTEGER NOT NULL CHECK (target_m2 >= 0),
    cleared_m2   INTEGER NOT NULL CHECK (cleared_m2 >= 0),
    demolished_m2 INTEGER NOT NULL CHECK (demolished_m2 >= 0),  -- illegal building
    households   INTEGER NOT NULL CHECK (households >= 0),
    updated_at   TEXT NOT NULL,
    UNIQUE (project_id, month)
);
CREATE INDEX clearance_month ON clearance(month);

-- 资金保障: financing agreements and loans, for a project or for a unit.
CREATE TABLE funding (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,         -- 国家开发银行 …
    kind        TEXT NOT NULL CHECK (kind IN ('agreement', 'loan')),
    project_id  INTEGER REFERENCES projects(id),
    unit_id     INTEGER REFERENCES units(id),
    amount      INTEGER NOT NULL CHECK (amount > 0),   -- 万元
    signed      TEXT NOT NULL,
    term_years  INTEGER CHECK (term_years BETWEEN 1 AND 50),
    text        TEXT NOT NULL DEFAULT '',
    account_id  INTEGER REFERENCES accounts(id),
    created_at  TEXT NOT NULL,
    CHECK ((project_id IS NULL) <> (unit_id IS NULL))
);
CREATE INDEX funding_project ON funding(project_id);
CREATE INDEX funding_unit ON funding(unit_id);
