-- Webhooks: group robots (DingTalk, WeCom, or any HTTP receiver) that the
-- reminders of a unit or a person are posted to, and the deliveries to
-- them with every attempt.
--
-- A delivery row is written by a trigger in the same transaction as the
-- reminder it carries: nothing is lost between the commit and the post,
-- and a server that restarts finds what is still pending.

CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    recipient_kind  TEXT NOT NULL CHECK (recipient_kind IN ('unit', 'person')),
    recipient_id    INTEGER NOT NULL,   -- units.id or people.id, after the kind
    kind            TEXT NOT NULL CHECK (kind IN ('dingtalk', 'wecom', 'generic')),
    url             TEXT NOT NULL,
    -- The signing secret. No RPC returns it: only the delivery engine
    -- reads it, to sign.
    secret          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    created_by      INTEGER REFERENCES accounts(id),
    removed_at      TEXT                -- NULL while in use
);
CREATE INDEX webhooks_recipient ON webhooks(recipient_kind, recipient_id)
    WHERE removed_at IS NULL;

-- One reminder (or test message: reminder_id NULL) to one webhook. Its
-- idempotency key, sent with every attempt, is derived from the ids:
-- luoshi-r<reminder>-w<webhook>, or luoshi-t<delivery> for a test.
-- reminder_id is not a foreign key: reminders is rebuilt by migrations
-- that add kinds (009), which a reference would get in the way of.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id),
    reminder_id     INTEGER,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_at         INTEGER NOT NULL DEFAULT 0,   -- unix ms of the next attempt
    created_at      TEXT NOT NULL,
    done_at         TEXT,                         -- delivered, failed or cancelled
    UNIQUE (webhook_id, reminder_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries(id)
    WHERE status = 'failed';

CREATE TABLE webhook_attempts (
    id              INTEGER PRIMARY KEY,
    delivery_id     INTEGER NOT NULL REFERENCES webhook_deliveries(id),
    at              TEXT NOT NULL,
    http_status     INTEGER,            -- NULL: no answer (error says why)
    error           TEXT,               -- NULL: delivered
    elapsed_ms      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id);

CREATE TRIGGER reminders_to_webhooks AFTER INSERT ON reminders
BEGIN
    INSERT INTO webhook_deliveries(webhook_id, reminder_id, created_at)
        SELECT w.id, NEW.id, NEW.created_at FROM webhooks w
        WHERE w.recipient_kind = NEW.recipient_kind AND w.recipient_id = NEW.recipient_id
          AND w.removed_at IS NULL;
END;
