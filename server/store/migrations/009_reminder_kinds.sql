-- Reminder kinds of the leaders' rhythm and of rectification orders:
-- review_due (a week without the weekly review of a led project),
-- visit_due (a month without a site visit by the 20th), rectification_due
-- and rectification_overdue (to the owner unit, like nodes).
--
-- SQLite cannot change a CHECK in place: the table is built again with the
-- same columns and constraints, every row copied with its id and seq (the
-- inboxes and the read cursors keep their numbers), and renamed. Nothing
-- references reminders, and it has no index or trigger besides those of
-- its UNIQUE constraints, which come back with the new table.
CREATE TABLE reminders_new (
    id              INTEGER PRIMARY KEY,
    recipient_kind  TEXT NOT NULL CHECK (recipient_kind IN ('unit', 'person')),
    recipient_id    INTEGER NOT NULL,   -- units.id or people.id, after the kind
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    kind            TEXT NOT NULL CHECK (kind IN ('update_due', 'update_overdue', 'node_due',
                                                  'node_overdue', 'problem_due',
                                                  'problem_overdue', 'reconcile_due',
                                                  'notice', 'review_due', 'visit_due',
                                                  'rectification_due',
                                                  'rectification_overdue')),
    subject_key     TEXT NOT NULL,      -- node:12, leader:3, rectification:5, notice:40
    window_key      TEXT NOT NULL,      -- 2026-W48, d7, o2, 2026-10, n40
    text            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      INTEGER REFERENCES accounts(id),   -- a notice's sender; NULL: scheduler
    UNIQUE (recipient_kind, recipient_id, seq),
    UNIQUE (kind, subject_key, recipient_kind, recipient_id, window_key)
);

INSERT INTO reminders_new(id, recipient_kind, recipient_id, seq, kind, subject_key, window_key,
                          text, created_at, created_by)
    SELECT id, recipient_kind, recipient_id, seq, kind, subject_key, window_key, text,
           created_at, created_by
    FROM reminders ORDER BY id;

DROP TABLE reminders;
ALTER TABLE reminders_new RENAME TO reminders;
