-- The backbone: the unit tree's root, accounts, idempotency keys, audit log.

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('city', 'district', 'town', 'department',
                                              'support_group', 'inspection_group',
                                              'discipline')),
    parent_id   INTEGER REFERENCES units(id),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'leader', 'town', 'department',
                                              'inspector', 'discipline', 'viewer')),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    token_hash  BLOB NOT NULL UNIQUE,       -- BLAKE2b-256 of the token; never the token
    created_at  TEXT NOT NULL,
    created_by  INTEGER REFERENCES accounts(id),
    revoked_at  TEXT
);

-- A retried call with the same key gets the stored response (proto/README.md).
-- The response is sealed with a secret derived from the key, which only the
-- client holds: a new account's token never lies here in clear.
CREATE TABLE idempotency_keys (
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    key_hash      BLOB NOT NULL,            -- keyed hash of the key; never the key
    request_hash  BLOB NOT NULL,            -- BLAKE2b-256 of method and body
    response      BLOB NOT NULL,            -- the response body, sealed with the key
    created_at    INTEGER NOT NULL,         -- unix seconds, for expiry
    PRIMARY KEY (account_id, key_hash)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- Every write: who, when, which RPC, which row, before and after (JSON).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    account_id  INTEGER REFERENCES accounts(id),
    method      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   INTEGER,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
