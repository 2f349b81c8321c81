/* Inside the store: what the store files share. Only the store includes
 * this; SQL lives nowhere else. */
#ifndef SRV_STORE_INT_H
#define SRV_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db.h"
#include "status.h"
#include "store.h"

typedef struct srv_migration {
	int version;      /* the NNN of NNN_name.sql; PRAGMA user_version after it */
	const char *name; /* the file name, for the log */
	const char *sql;
} srv_migration;

/* Generated from migrations/ and migrations_pg/ by embed.cmake: the same
 * schema, numbered alike, for SQLite and for PostgreSQL. */
extern const srv_migration srv_migrations[];
extern const int srv_n_migrations;
extern const srv_migration srv_pg_migrations[];
extern const int srv_pg_n_migrations;

typedef struct srv_stmt_slot {
	const char *sql;
	srv_q *q;
} srv_stmt_slot;

struct srv_qcache;

struct srv_store {
	/* The database: exactly one of the two is open. */
	sqlite3 *db;
	struct srv_pg *pg;
	srv_stmt_slot *slots; /* the statement cache */
	size_t cap, n_slots;
	/* What the queries keep between calls (query.c), and the count of
	 * rollbacks (of transactions, and of savepoints that undid rows) that
	 * tells it that what it keeps may be out of date. */
	struct srv_qcache *qcache;
	uint64_t rollbacks;
	int64_t savepoint_changes; /* the rows changed when the savepoint began */
	/* PostgreSQL: the connection on which this server holds the
	 * scheduler's lock, 0 when it does not (srv_store_sched_turn). */
	unsigned sched_generation;
	bool sched_other; /* said that another server holds it */
	/* PostgreSQL: called after a commit that changed rows, and the
	 * count of changes when the transaction began. */
	void (*on_commit_changes)(void *arg);
	void *on_commit_arg;
	int64_t begin_changes;
	/* The checkpointer (store.c): a thread with a connection of its own
	 * that copies the WAL into the database, started on the first WAL
	 * large enough to want it; the flags are guarded by ckpt_mtx. */
	char *path;
	pthread_t ckpt_thread;
	pthread_mutex_t ckpt_mtx;
	pthread_cond_t ckpt_cond;
	bool ckpt_started, ckpt_failed, ckpt_wanted, ckpt_stop;
};

/* The prepared statement for sql, which must be a string constant: the
 * cache is keyed by its address. Prepared on first use and kept until the
 * store closes. Returns NULL (logged) if it does not prepare. Call
 * srv_stmt_done when finished with it. */
srv_q *srv_stmt(srv_store *s, const char *sql);

/* Frees what query.c keeps between calls (NULL: nothing). */
void srv_qcache_free(struct srv_qcache *c);

/* Resets q and clears its bindings for the next use. */
void srv_stmt_done(srv_q *q);

/* Resets q to run again with the same bindings. */
void srv_reset(srv_q *q);

/* The rowid (SQLite) or sequence value (PostgreSQL) of the last insert. */
int64_t srv_last_id(srv_store *s);

/* The rows the last statement changed; all statements since opening. */
int64_t srv_changes(srv_store *s);
int64_t srv_total_changes(srv_store *s);

bool srv_in_transaction(srv_store *s);

/* Logs a SQLite failure and maps it to a status in st (may be NULL):
 * busy or locked is UNAVAILABLE, a full disk RESOURCE_EXHAUSTED, anything
 * else INTERNAL (constraints are the handlers' to check before writing, so
 * a violated one is a bug). Returns the code. */
int srv_store_error(srv_store *s, int rc, const char *what, ls_status *st);

/* Copies column col of the current row into dst ("" for NULL). */
void srv_column_text(char *dst, size_t n, srv_q *q, int col);

/* The ids of unit `param` (an SQL parameter such as ":scope_unit") and of
 * every unit below it, as a subquery: "x IN " SRV_SUBTREE(":u"). */
#define SRV_SUBTREE(param) SRV_SUBTREE_HEAD param SRV_SUBTREE_TAIL
/* On PostgreSQL the two halves become a call of ls_subtree (db_pg.c). */
#define SRV_SUBTREE_HEAD "(WITH RECURSIVE sub(id) AS (SELECT CAST("
#define SRV_SUBTREE_TAIL                                                                    \
	" AS BIGINT) UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id) " \
	"SELECT id FROM sub)"

/* True for the projects (alias p) the scope bound by srv_scope_bind may
 * read. See srv_scope in store.h. */
/* clang-format off */
#define SRV_PROJECT_VISIBLE                                                              \
	"((:scope_mode = 1 AND (p.lead_unit_id IN " SRV_SUBTREE(":scope_root")              \
	" OR p.town_id IN " SRV_SUBTREE(":scope_root") "))"                                 \
	" OR (:scope_mode = 2 AND p.town_id IN " SRV_SUBTREE(":scope_unit") ")"             \
	" OR (:scope_mode = 3 AND (p.lead_unit_id IN " SRV_SUBTREE(":scope_unit")           \
	" OR p.id IN (SELECT project_id FROM project_units WHERE unit_id IN "               \
	SRV_SUBTREE(":scope_unit") ")"                                                      \
	" OR p.id IN (SELECT project_id FROM nodes WHERE owner_unit_id IN "                 \
	SRV_SUBTREE(":scope_unit") ")"                                                      \
	" OR p.id IN (SELECT project_id FROM tasks WHERE unit_id IN "                       \
	SRV_SUBTREE(":scope_unit") ")))"                                                    \
	" OR (:scope_mode = 4 AND p.lead_leader_id = :scope_person))"
/* clang-format on */

/* Binds :scope_mode, :scope_root, :scope_unit and :scope_person of q, where
 * q has them. */
void srv_scope_bind(srv_q *q, const srv_scope *sc);

#endif
