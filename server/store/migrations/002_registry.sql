-- The registry: people, projects with their leaders and units, monthly
-- plans, nodes (milestones) and tasks. Nothing other rows point to is ever
-- deleted: units and people are deactivated, projects archived.

CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    phone       TEXT NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL
);
CREATE INDEX people_unit ON people(unit_id);
CREATE INDEX people_name ON people(name);
CREATE INDEX units_name ON units(name);

ALTER TABLE accounts ADD COLUMN person_id INTEGER REFERENCES people(id);

CREATE TABLE projects (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    level             TEXT NOT NULL CHECK (level IN ('city', 'district', 'town')),
    category          TEXT NOT NULL CHECK (category IN ('industrial', 'platform',
                                                        'infrastructure', 'livelihood',
                                                        'special_task')),
    stage             TEXT NOT NULL CHECK (stage IN ('new', 'continuing')),
    lead_leader_id    INTEGER NOT NULL REFERENCES people(id),   -- exactly one
    lead_unit_id      INTEGER NOT NULL REFERENCES units(id),
    town_id           INTEGER REFERENCES units(id),
    total_investment  INTEGER NOT NULL CHECK (total_investment >= 0),  -- 万元
    frequency         TEXT NOT NULL DEFAULT 'weekly' CHECK (frequency IN ('weekly', 'monthly')),
    planned_start     TEXT NOT NULL,                             -- YYYY-MM-DD
    planned_finish    TEXT NOT NULL CHECK (planned_finish >= planned_start),
    land_clearance    INTEGER NOT NULL DEFAULT 0 CHECK (land_clearance IN (0, 1)),
    fast_track        INTEGER NOT NULL DEFAULT 0 CHECK (fast_track IN (0, 1)),
    fast_track_set    INTEGER NOT NULL DEFAULT 0 CHECK (fast_track_set IN (0, 1)),
    archived          INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at        TEXT NOT NULL
);
CREATE INDEX projects_leader ON projects(lead_leader_id);
CREATE INDEX projects_unit ON projects(lead_unit_id);
CREATE INDEX projects_town ON projects(town_id);
CREATE INDEX projects_name ON projects(name);

-- Contributing units (the lead unit is in projects.lead_unit_id).
CREATE TABLE project_units (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (project_id, unit_id)
) WITHOUT ROWID;
CREATE INDEX project_units_unit ON project_units(unit_id);

-- Every lead leader a project has had, the current one last.
CREATE TABLE project_leaders (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    since       TEXT NOT NULL,
    changed_by  INTEGER REFERENCES accounts(id)
);
CREATE INDEX project_leaders_project ON project_leaders(project_id);

-- Planned investment by month: the annual plan is the sum of its months.
CREATE TABLE plans (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    year        INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    month       INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    invested    INTEGER NOT NULL CHECK (invested >= 0),          -- 万元
    PRIMARY KEY (project_id, year, month)
) WITHOUT ROWID;

CREATE TABLE nodes (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    name           TEXT NOT NULL,
    due_date       TEXT NOT NULL,                                -- YYYY-MM-DD
    owner_unit_id  INTEGER NOT NULL REFERENCES units(id),
    done_date      TEXT,                                         -- NULL: not done
    created_at     TEXT NOT NULL
);
CREATE INDEX nodes_project ON nodes(project_id);
CREATE INDEX nodes_owner_due ON nodes(owner_unit_id, due_date);
CREATE INDEX nodes_due ON nodes(due_date) WHERE done_date IS NULL;

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id),
    description  TEXT NOT NULL,
    unit_id      INTEGER NOT NULL REFERENCES units(id),          -- 分工
    person_id    INTEGER REFERENCES people(id),                  -- 责任
    due_date     TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    done_date    TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX tasks_project ON tasks(project_id);
CREATE INDEX tasks_unit ON tasks(unit_id, status);
CREATE INDEX tasks_person ON tasks(person_id);

-- Which project an audit row concerns, so `luoshi audit --project P` finds
-- the project's own rows and those of its plans, nodes and tasks.
ALTER TABLE audit_log ADD COLUMN project_id INTEGER REFERENCES projects(id);
CREATE INDEX audit_log_project ON audit_log(project_id);
