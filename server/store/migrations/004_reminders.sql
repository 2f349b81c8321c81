-- Reminders: inbox rows numbered per recipient, each account's read cursor,
-- and when each scheduler rule last ran.

-- One row per reminder and recipient. seq counts 1, 2, 3 ... per recipient
-- without gaps; the announcement on the PUB socket carries only the topic
-- of the recipient and this number. The second unique key makes a rule
-- that runs again (after a restart, or twice in one window) write nothing.
CREATE TABLE reminders (
    id              INTEGER PRIMARY KEY,
    recipient_kind  TEXT NOT NULL CHECK (recipient_kind IN ('unit', 'person')),
    recipient_id    INTEGER NOT NULL,   -- units.id or people.id, after the kind
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    kind            TEXT NOT NULL CHECK (kind IN ('update_due', 'update_overdue', 'node_due',
                                                  'node_overdue', 'problem_due',
                                                  'problem_overdue', 'reconcile_due',
                                                  'notice')),
    subject_key     TEXT NOT NULL,      -- node:12, problem:7, town:5, month:2026-10, notice:40
    window_key      TEXT NOT NULL,      -- 2026-W48, d7, o2, 2026-10, n40
    text            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      INTEGER REFERENCES accounts(id),   -- a notice's sender; NULL: scheduler
    UNIQUE (recipient_kind, recipient_id, seq),
    UNIQUE (kind, subject_key, recipient_kind, recipient_id, window_key)
);

-- How far each account has read each of its inboxes (its unit's, and its
-- person's when it is bound to one). Moves only forward.
CREATE TABLE reminder_cursors (
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    recipient_kind  TEXT NOT NULL CHECK (recipient_kind IN ('unit', 'person')),
    recipient_id    INTEGER NOT NULL,
    acked_seq       INTEGER NOT NULL CHECK (acked_seq >= 0),
    PRIMARY KEY (account_id, recipient_kind, recipient_id)
) WITHOUT ROWID;

-- The last time each scheduler rule ran, so that a server that was down at
-- the scheduled time fires once when it is back, not once per missed tick,
-- and never again for a time already handled.
CREATE TABLE scheduler_state (
    rule         TEXT PRIMARY KEY,
    last_run     INTEGER NOT NULL,      -- unix seconds
    last_run_at  TEXT NOT NULL          -- the same, ISO 8601, for people
) WITHOUT ROWID;
