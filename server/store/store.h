/* The store: every SQL statement of the server lives behind this header.
 *
 * One srv_store is one SQLite connection, used from one thread. The server's
 * loop thread owns the writer; the handlers call these functions with plain
 * C values, inside the transaction the dispatcher opened for their batch. */
#ifndef SRV_STORE_H
#define SRV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct srv_store srv_store;

/* Roles, numbered as luoshi.v1.Role. */
typedef enum srv_role {
	SRV_ROLE_NONE = 0,
	SRV_ROLE_ADMIN = 1,
	SRV_ROLE_LEADER = 2,
	SRV_ROLE_TOWN = 3,
	SRV_ROLE_DEPARTMENT = 4,
	SRV_ROLE_INSPECTOR = 5,
	SRV_ROLE_DISCIPLINE = 6,
	SRV_ROLE_VIEWER = 7,
} srv_role;

#define SRV_HASH_SIZE 32

typedef struct srv_account {
	int64_t id;
	char name[256];
	srv_role role;
	int64_t unit_id;
	char unit_code[64];
	char unit_name[256];
	char created_at[40];
	char revoked_at[40]; /* "" while live */
	int64_t person_id;   /* 0: not bound to a person */
	char person_code[64];
	char person_name[256];
	char expires_at[40]; /* "" when the token lives until revoked */
	bool expired;        /* expires_at has passed: the token no longer works */
} srv_account;

/* Opens (creating when create is set) the SQLite database at path: WAL,
 * synchronous=FULL, foreign keys, a busy timeout, the migrations not yet
 * applied, and an integrity check. A PostgreSQL URL (srv_store_is_url)
 * connects to that database instead and applies its migrations. On success
 * *out is owned by the caller (srv_store_close). Failures: LS_NOT_FOUND (no
 * such file and !create), LS_DATA_LOSS (integrity check failed),
 * LS_FAILED_PRECONDITION (the database is newer than this server),
 * LS_UNAVAILABLE (PostgreSQL does not answer), LS_INTERNAL. */
int srv_store_open(srv_store **out, const char *path, bool create, ls_status *st);

/* True when path is a PostgreSQL URL, postgresql:// or postgres://. */
bool srv_store_is_url(const char *path);

/* ---- several servers on one database ----------------------------------------
 * On PostgreSQL several luoshid may serve one database. They take turns
 * to write (srv_store_begin), one of them runs the reminder scheduler, and
 * each tells the others what it announced, through LISTEN and NOTIFY. On
 * SQLite there is one server: it always has the turn, and the rest are
 * no-ops. */

/* True when other servers may share the database (PostgreSQL). */
bool srv_store_shared(srv_store *s);

/* Whether this server runs the reminder scheduler now: on PostgreSQL,
 * while it holds the scheduler's advisory lock, which this tries to take.
 * A server that dies, or loses its connection, lets it go; another takes
 * it at its next try. */
bool srv_store_sched_turn(srv_store *s);

/* Listens on channel; srv_store_notifications then calls fn for what has
 * arrived, without waiting (the count, -1 when the connection is down).
 * srv_store_socket gives the connection's socket to wait on, with the
 * number of the connection (a new number: a new socket); -1 on SQLite. */
int srv_store_listen(srv_store *s, const char *channel, ls_status *st);
int srv_store_notify(srv_store *s, const char *channel, const char *payload, ls_status *st);
int srv_store_notifications(srv_store *s,
                            void (*fn)(void *arg, const char *channel, const char *payload),
                            void *arg);
int srv_store_socket(srv_store *s, unsigned *generation);

/* Finalizes every statement, checkpoints and closes. NULL is a no-op. */
void srv_store_close(srv_store *s);

/* The schema version (PRAGMA user_version). */
int srv_store_version(srv_store *s);

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE);
 * commit makes everything durable (one fsync). A savepoint lets one request
 * in a batch fail without undoing the others. All return 0 or a status:
 * LS_UNAVAILABLE when the database stays locked past the busy timeout. */
int srv_store_begin(srv_store *s, ls_status *st);

int srv_store_commit(srv_store *s, ls_status *st);
void srv_store_rollback(srv_store *s);
int srv_store_savepoint(srv_store *s, ls_status *st);
void srv_store_savepoint_release(srv_store *s);
void srv_store_savepoint_rollback(srv_store *s);

/* Rows changed since the connection opened; a handler that changed none
 * wrote nothing. */
int64_t srv_store_changes(srv_store *s);

/* --- units ----------------------------------------------------------- */

/* Creates the root unit (the district office) for init. */
int srv_store_unit_create_root(srv_store *s, const char *code, const char *name,
                               const char *kind, const char *now, int64_t *id,
                               ls_status *st);

/* What srv_store_resolve looks up. */
typedef enum srv_entity { SRV_UNIT, SRV_PERSON, SRV_PROJECT } srv_entity;

/* Finds an active unit, person or unarchived project by its code, or by its
 * exact name when that name is unique. LS_INVALID_ARGUMENT naming field,
 * and the candidates' codes when the name is ambiguous, otherwise. */
int srv_store_resolve(srv_store *s, srv_entity what, const char *code_or_name,
                      const char *field, int64_t *id, ls_status *st);

#define srv_store_unit_resolve(s, code_or_name, field, id, st)                           \
	srv_store_resolve(s, SRV_UNIT, code_or_name, field, id, st)

/* --- scope: what an account may see ------------------------------------ */

typedef enum srv_scope_mode {
	SRV_SCOPE_NONE = 0,   /* viewer: aggregates only, no project rows */
	SRV_SCOPE_ALL = 1,    /* admin, leader, inspector, discipline: all under root */
	SRV_SCOPE_TOWN = 2,   /* town: the projects standing in its unit's subtree */
	SRV_SCOPE_UNIT = 3,   /* department: projects it leads, contributes to, or
	                       * owns a node or task of */
	SRV_SCOPE_LEADER = 4, /* the projects the person leads */
} srv_scope_mode;

typedef struct srv_scope {
	srv_scope_mode mode;
	int64_t root;   /* the nearest district or city office at or above the unit */
	int64_t unit;   /* the account's unit */
	int64_t person; /* the account's person, 0 if none */
} srv_scope;

/* The scope of an account, from its role and unit. */
int srv_store_scope(srv_store *s, const srv_account *a, srv_scope *out, ls_status *st);

/* True if the project may be read in scope sc. */
bool srv_store_project_visible(srv_store *s, const srv_scope *sc, int64_t project);

/* True if unit is root or lies below it. */
bool srv_store_unit_within(srv_store *s, int64_t unit, int64_t root);

/* --- accounts -------------------------------------------------------- */

/* The unrevoked account whose token hashes to hash: LS_OK, or LS_NOT_FOUND.
 * An expired one is found, with expired set: the caller refuses it. */
int srv_store_account_by_token(srv_store *s, const uint8_t hash[SRV_HASH_SIZE],
                               srv_account *out);

/* Any account by id, revoked or not: LS_OK or LS_NOT_FOUND. */
int srv_store_account_get(srv_store *s, int64_t id, srv_account *out);

/* person_id 0: none. */
int srv_store_account_insert(srv_store *s, const char *name, srv_role role, int64_t unit_id,
                             int64_t person_id, const uint8_t hash[SRV_HASH_SIZE],
                             int64_t created_by, const char *now, int64_t *id, ls_status *st);

/* Sets the time at which the account's token stops working (ISO 8601). */
int srv_store_account_set_expiry(srv_store *s, int64_t id, const char *expires_at,
                                 ls_status *st);

/* Sets revoked_at on a live account; LS_NOT_FOUND if none, or already revoked
 * (then *already is set). */
int srv_store_account_revoke(srv_store *s, int64_t id, const char *now, ls_status *st);

/* Accounts with id > after_id in id order, at most limit, through fn. Returns
 * the number given to fn, or -1 on error. */
int srv_store_account_list(srv_store *s, int64_t after_id, int limit, bool include_revoked,
                           void (*fn)(void *arg, const srv_account *a), void *arg);

int64_t srv_store_account_count(srv_store *s);

/* The text name of a role ("admin"), or NULL; and back (SRV_ROLE_NONE). */
const char *srv_role_name(srv_role r);
srv_role srv_role_from_name(const char *name);

/* --- idempotency keys ------------------------------------------------- */

/* Looks up (account, key_hash). LS_OK fills hash and *resp (malloc'd,
 * owned by the caller); LS_NOT_FOUND when the key is new. */
int srv_store_idem_get(srv_store *s, int64_t account, const uint8_t key_hash[SRV_HASH_SIZE],
                       uint8_t hash[SRV_HASH_SIZE], uint8_t **resp, size_t *resp_len);

int srv_store_idem_put(srv_store *s, int64_t account, const uint8_t key_hash[SRV_HASH_SIZE],
                       const uint8_t hash[SRV_HASH_SIZE], const uint8_t *resp,
                       size_t resp_len, int64_t now, ls_status *st);

/* Deletes keys created before the unix time before. Returns rows deleted. */
int srv_store_idem_purge(srv_store *s, int64_t before);

/* --- audit log -------------------------------------------------------- */

/* Appends one audit row; before and after are JSON text or NULL; project
 * is the project the row concerns, 0 for none. */
int srv_store_audit(srv_store *s, const char *at, int64_t account, const char *method,
                    const char *entity, int64_t entity_id, int64_t project,
                    const char *before, const char *after, ls_status *st);

#endif
