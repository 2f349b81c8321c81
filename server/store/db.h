/* The store's statements, over either database: SQLite, in the server's
 * own process, or PostgreSQL through libpq (db_pg.c).
 *
 * The calls follow SQLite's statement interface, which the store was
 * written against: bind by index (from 1), step to each row (SRV_ROW) until
 * SRV_DONE, read columns (from 0), reset with srv_stmt_done. Parameters
 * are written as SQLite writes them, ?1 or :name, on both backends.
 * Bound text and blobs are not copied: they must stay valid until the
 * statement is reset. Errors come back as SQLite's result codes, which the
 * PostgreSQL side maps its SQLSTATEs to (db_pg.c), so srv_store_error reads
 * them alike. */
#ifndef SRV_STORE_DB_H
#define SRV_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define SRV_ROW SQLITE_ROW
#define SRV_DONE SQLITE_DONE

#include "status.h"

struct srv_pg;
struct srv_pgq;

/* A prepared statement: exactly one of the two is set. */
typedef struct srv_q {
	sqlite3_stmt *lite;
	struct srv_pgq *pg;
} srv_q;

/* ---- the PostgreSQL side (db_pg.c) ---------------------------------------- */

/* The advisory locks of the servers that share a PostgreSQL database
 * (store.c): migrating, writing (a transaction's), running the scheduler
 * (a session's). Numbers of the project's own. */
#define SRV_PG_MIGRATE_LOCK "7135220001"
#define SRV_PG_WRITER_LOCK "7135220002"
#define SRV_PG_SCHED_LOCK "7135220003"

/* Connects to url ("postgresql://..." or "postgres://..."). */
int srv_pg_open(struct srv_pg **out, const char *url, ls_status *st);
void srv_pg_close(struct srv_pg *pg);
/* Runs sql, which may hold several statements and no parameters. */
int srv_pg_exec(struct srv_pg *pg, const char *sql, ls_status *st);
/* The message of the last failure on pg. */
const char *srv_pg_errmsg(struct srv_pg *pg);
/* The id of the last row an INSERT on pg made in a table whose id is an
 * identity (the INSERT gets RETURNING id, unseen by the caller); 0 if
 * none yet. A trigger's own inserts do not change it. */
int64_t srv_pg_last_id(struct srv_pg *pg);
/* The rows the last statement changed, and all statements since connecting. */
int64_t srv_pg_changes(struct srv_pg *pg);
int64_t srv_pg_total_changes(struct srv_pg *pg);
bool srv_pg_in_transaction(struct srv_pg *pg);
/* Counts the connections made, from 1: a new one has lost the session's
 * advisory locks. */
unsigned srv_pg_generation(struct srv_pg *pg);
/* The connection's socket, -1 when there is none. */
int srv_pg_socket(struct srv_pg *pg);
/* LISTENs to channel, now and on every connection made again. */
int srv_pg_listen(struct srv_pg *pg, const char *channel, ls_status *st);
int srv_pg_notify(struct srv_pg *pg, const char *channel, const char *payload, ls_status *st);
/* Calls fn for each notification arrived, without waiting; the count, or
 * -1 when the connection is down. */
int srv_pg_notifications(struct srv_pg *pg,
                         void (*fn)(void *arg, const char *channel, const char *payload),
                         void *arg);

/* COPY ... FROM STDIN: begins it with sql, sends data in COPY's text
 * format, ends it (the rows are written, or st says why not). */
int srv_pg_copy_begin(struct srv_pg *pg, const char *sql, ls_status *st);
int srv_pg_copy_put(struct srv_pg *pg, const char *buf, size_t len, ls_status *st);
int srv_pg_copy_end(struct srv_pg *pg, ls_status *st);

/* Prepares sql on the server; NULL (logged) if it does not prepare. */
struct srv_pgq *srv_pgq_prepare(struct srv_pg *pg, const char *sql);
void srv_pgq_free(struct srv_pgq *q);
int srv_pgq_step(struct srv_pgq *q);
/* Ends the current run of q; with clear, its bindings too. */
void srv_pgq_reset(struct srv_pgq *q, bool clear);
int srv_pgq_param_index(struct srv_pgq *q, const char *name);
void srv_pgq_bind_int64(struct srv_pgq *q, int i, int64_t v);
void srv_pgq_bind_double(struct srv_pgq *q, int i, double v);
void srv_pgq_bind_text(struct srv_pgq *q, int i, const char *v);
void srv_pgq_bind_blob(struct srv_pgq *q, int i, const void *v, size_t n);
void srv_pgq_bind_null(struct srv_pgq *q, int i);
int64_t srv_pgq_int64(struct srv_pgq *q, int col);
double srv_pgq_double(struct srv_pgq *q, int col);
const char *srv_pgq_text(struct srv_pgq *q, int col);
bool srv_pgq_null(struct srv_pgq *q, int col);
const void *srv_pgq_blob(struct srv_pgq *q, int col, size_t *n);

static inline int srv_step(srv_q *q)
{
	return q->lite ? sqlite3_step(q->lite) : srv_pgq_step(q->pg);
}

/* The index of parameter name (":name"), or 0 if q has none such. */
static inline int srv_bind_index(srv_q *q, const char *name)
{
	return q->lite ? sqlite3_bind_parameter_index(q->lite, name)
	               : srv_pgq_param_index(q->pg, name);
}

static inline void srv_bind_int64(srv_q *q, int i, int64_t v)
{
	if (q->lite)
		sqlite3_bind_int64(q->lite, i, v);
	else
		srv_pgq_bind_int64(q->pg, i, v);
}

static inline void srv_bind_double(srv_q *q, int i, double v)
{
	if (q->lite)
		sqlite3_bind_double(q->lite, i, v);
	else
		srv_pgq_bind_double(q->pg, i, v);
}

/* v NULL binds SQL NULL. */
static inline void srv_bind_text(srv_q *q, int i, const char *v)
{
	if (q->lite)
		sqlite3_bind_text(q->lite, i, v, -1, SQLITE_STATIC);
	else
		srv_pgq_bind_text(q->pg, i, v);
}

static inline void srv_bind_blob(srv_q *q, int i, const void *v, size_t n)
{
	if (q->lite)
		sqlite3_bind_blob64(q->lite, i, v, n, SQLITE_STATIC);
	else
		srv_pgq_bind_blob(q->pg, i, v, n);
}

static inline void srv_bind_null(srv_q *q, int i)
{
	if (q->lite)
		sqlite3_bind_null(q->lite, i);
	else
		srv_pgq_bind_null(q->pg, i);
}

static inline int64_t srv_col_int64(srv_q *q, int col)
{
	return q->lite ? sqlite3_column_int64(q->lite, col) : srv_pgq_int64(q->pg, col);
}

static inline int srv_col_int(srv_q *q, int col)
{
	return (int)srv_col_int64(q, col);
}

static inline double srv_col_double(srv_q *q, int col)
{
	return q->lite ? sqlite3_column_double(q->lite, col) : srv_pgq_double(q->pg, col);
}

/* The column as text, NULL for SQL NULL; valid until the next step. */
static inline const char *srv_col_text(srv_q *q, int col)
{
	return q->lite ? (const char *)sqlite3_column_text(q->lite, col) : srv_pgq_text(q->pg, col);
}

static inline bool srv_col_null(srv_q *q, int col)
{
	return q->lite ? sqlite3_column_type(q->lite, col) == SQLITE_NULL
	               : srv_pgq_null(q->pg, col);
}

/* The column's bytes and their count in *n; valid until the next step. */
static inline const void *srv_col_blob(srv_q *q, int col, size_t *n)
{
	if (q->lite == NULL)
		return srv_pgq_blob(q->pg, col, n);
	const void *b = sqlite3_column_blob(q->lite, col);
	*n = (size_t)sqlite3_column_bytes(q->lite, col);
	return b;
}

#endif
