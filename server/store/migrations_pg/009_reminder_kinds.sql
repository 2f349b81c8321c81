-- Reminder kinds of the leaders' rhythm and of rectification orders:
-- review_due (a week without the weekly review of a led project),
-- visit_due (a month without a site visit by the 20th), rectification_due
-- and rectification_overdue (to the owner unit, like nodes).
--
-- SQLite builds the table again to change its CHECK; here the check is
-- changed in place: the rows, their ids and seqs, and the table's other
-- constraints stay as they are.
ALTER TABLE reminders DROP CONSTRAINT reminders_kind_check,
    ADD CONSTRAINT reminders_kind_check
    CHECK (kind IN ('update_due', 'update_overdue', 'node_due', 'node_overdue',
                    'problem_due', 'problem_overdue', 'reconcile_due', 'notice',
                    'review_due', 'visit_due', 'rectification_due',
                    'rectification_overdue'));
