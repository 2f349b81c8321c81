#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store_int.h"

/* Statements are prepared once, on first use, and kept for the life of the
 * connection: preparing per call costs more than running most of them. */
enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_UNIT_INSERT,
	S_ACCOUNT_BY_TOKEN,
	S_ACCOUNT_GET,
	S_ACCOUNT_INSERT,
	S_ACCOUNT_REVOKE,
	S_ACCOUNT_LIST,
	S_ACCOUNT_LIST_LIVE,
	S_ACCOUNT_COUNT,
	S_IDEM_GET,
	S_IDEM_PUT,
	S_IDEM_PURGE,
	S_AUDIT,
	S_COUNT
};

#define ACCOUNT_COLS                                                                      \
	"a.id, a.name, a.role, a.unit_id, u.code, u.name, a.created_at, "                   \
	"coalesce(a.revoked_at, ''), coalesce(a.person_id, 0), coalesce(p.code, ''), "       \
	"coalesce(p.name, ''), coalesce(a.expires_at, ''), "                                 \
	"CASE WHEN unixepoch(a.expires_at) <= unixepoch('now') THEN 1 ELSE 0 END "           \
	"FROM accounts a JOIN units u ON u.id = a.unit_id "                                  \
	"LEFT JOIN people p ON p.id = a.person_id "

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT req",
    [S_RELEASE] = "RELEASE req",
    [S_ROLLBACK_TO] = "ROLLBACK TO req",
    [S_UNIT_INSERT] = "INSERT INTO units(code, name, kind, parent_id, created_at) "
                      "VALUES (?1, ?2, ?3, NULL, ?4)",
    [S_ACCOUNT_BY_TOKEN] =
        "SELECT " ACCOUNT_COLS "WHERE a.token_hash = ?1 AND a.revoked_at IS NULL",
    [S_ACCOUNT_GET] = "SELECT " ACCOUNT_COLS "WHERE a.id = ?1",
    [S_ACCOUNT_INSERT] = "INSERT INTO accounts(name, role, unit_id, token_hash, created_at, "
                         "created_by, person_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_ACCOUNT_REVOKE] = "UPDATE accounts SET revoked_at = ?2 "
                         "WHERE id = ?1 AND revoked_at IS NULL",
    [S_ACCOUNT_LIST] = "SELECT " ACCOUNT_COLS "WHERE a.id > ?1 ORDER BY a.id LIMIT ?2",
    [S_ACCOUNT_LIST_LIVE] = "SELECT " ACCOUNT_COLS
                            "WHERE a.id > ?1 AND a.revoked_at IS NULL ORDER BY a.id LIMIT ?2",
    [S_ACCOUNT_COUNT] = "SELECT count(*) FROM accounts",
    [S_IDEM_GET] = "SELECT request_hash, response FROM idempotency_keys "
                   "WHERE account_id = ?1 AND key_hash = ?2",
    [S_IDEM_PUT] = "INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, "
                   "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_IDEM_PURGE] = "DELETE FROM idempotency_keys WHERE created_at < ?1",
    [S_AUDIT] = "INSERT INTO audit_log(at, account_id, method, entity, entity_id, before, "
                "after, project_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};


static const char *const role_names[] = {
    [SRV_ROLE_ADMIN] = "admin",           [SRV_ROLE_LEADER] = "leader",
    [SRV_ROLE_TOWN] = "town",             [SRV_ROLE_DEPARTMENT] = "department",
    [SRV_ROLE_INSPECTOR] = "inspector",   [SRV_ROLE_DISCIPLINE] = "discipline",
    [SRV_ROLE_VIEWER] = "viewer",
};

const char *srv_role_name(srv_role r)
{
	if (r <= SRV_ROLE_NONE || r > SRV_ROLE_VIEWER)
		return NULL;
	return role_names[r];
}

srv_role srv_role_from_name(const char *name)
{
	for (int r = SRV_ROLE_ADMIN; r <= SRV_ROLE_VIEWER; r++)
		if (strcmp(role_names[r], name) == 0)
			return (srv_role)r;
	return SRV_ROLE_NONE;
}

/* The statement cache: open addressing on the address of the SQL text,
 * which is always a string constant, so a lookup hashes no text. */
srv_q *srv_stmt(srv_store *s, const char *sql)
{
	if (2 * (s->n_slots + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		srv_stmt_slot *slots = calloc(cap, sizeof *slots);
		if (slots == NULL)
			return NULL;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slots[i].sql == NULL)
				continue;
			size_t h = ((uintptr_t)s->slots[i].sql >> 3) & (cap - 1);
			while (slots[h].sql != NULL)
				h = (h + 1) & (cap - 1);
			slots[h] = s->slots[i];
		}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	size_t h = ((uintptr_t)sql >> 3) & (s->cap - 1);
	while (s->slots[h].sql != NULL && s->slots[h].sql != sql)
		h = (h + 1) & (s->cap - 1);
	if (s->slots[h].sql == sql)
		return s->slots[h].q;
	srv_q *q = calloc(1, sizeof *q);
	if (q == NULL)
		return NULL;
	if (s->pg != NULL)
		q->pg = srv_pgq_prepare(s->pg, sql);
	else if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->lite, NULL) !=
	         SQLITE_OK)
		ls_error("store: prepare \"%s\": %s", sql, sqlite3_errmsg(s->db));
	if (q->lite == NULL && q->pg == NULL) {
		free(q);
		return NULL;
	}
	s->slots[h].sql = sql;
	s->slots[h].q = q;
	s->n_slots++;
	return q;
}

static void stmt_free(srv_q *q)
{
	if (q == NULL)
		return;
	sqlite3_finalize(q->lite);
	srv_pgq_free(q->pg);
	free(q);
}

static srv_q *stmt(srv_store *s, enum stmt_id id) { return srv_stmt(s, stmt_sql[id]); }

void srv_stmt_done(srv_q *q)
{
	if (q->lite != NULL) {
		sqlite3_reset(q->lite);
		sqlite3_clear_bindings(q->lite);
	} else {
		srv_pgq_reset(q->pg, true);
	}
}

void srv_reset(srv_q *q)
{
	if (q->lite != NULL)
		sqlite3_reset(q->lite);
	else
		srv_pgq_reset(q->pg, false);
}

static const char *errmsg(srv_store *s)
{
	return s->pg != NULL ? srv_pg_errmsg(s->pg) : sqlite3_errmsg(s->db);
}

int64_t srv_last_id(srv_store *s)
{
	return s->pg != NULL ? srv_pg_last_id(s->pg) : sqlite3_last_insert_rowid(s->db);
}

int64_t srv_changes(srv_store *s)
{
	return s->pg != NULL ? srv_pg_changes(s->pg) : sqlite3_changes64(s->db);
}

int64_t srv_total_changes(srv_store *s)
{
	return s->pg != NULL ? srv_pg_total_changes(s->pg) : sqlite3_total_changes64(s->db);
}

bool srv_in_transaction(srv_store *s)
{
	return s->pg != NULL ? srv_pg_in_transaction(s->pg) : !sqlite3_get_autocommit(s->db);
}

/* Maps a SQLite failure to a status: locked or busy is UNAVAILABLE (the
 * caller may retry), a full disk RESOURCE_EXHAUSTED, the rest INTERNAL. */
int srv_store_error(srv_store *s, int rc, const char *what, ls_status *st)
{
	int code = LS_INTERNAL;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = LS_UNAVAILABLE;
		break;
	case SQLITE_FULL:
		code = LS_RESOURCE_EXHAUSTED;
		break;
	}
	ls_error("store: %s: %s", what, errmsg(s));
	/* SQLite's short words for its codes; PostgreSQL's own message, the
	 * codes being only the store's vocabulary there. */
	if (st != NULL)
		ls_status_set(st, code, "database: %s: %s", what,
		              s->pg != NULL ? errmsg(s) : sqlite3_errstr(rc));
	return code;
}

/* Runs a statement that returns no rows. */
static int run(srv_store *s, enum stmt_id id, ls_status *st)
{
	srv_q *q = stmt(s, id);
	if (q == NULL)
		return st ? ls_status_set(st, LS_INTERNAL, "database: cannot prepare") : LS_INTERNAL;
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, stmt_sql[id], st);
	return LS_OK;
}

void srv_column_text(char *dst, size_t n, srv_q *q, int col)
{
	const char *t = srv_col_text(q, col);
	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* ---- opening, migrations ----------------------------------------------- */

static int exec(srv_store *s, const char *sql, ls_status *st)
{
	char *err = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		ls_status_set(st, LS_INTERNAL, "database: %s", err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return LS_INTERNAL;
	}
	return LS_OK;
}

/* PostgreSQL keeps the schema's version in a table of one row, and takes
 * SRV_PG_MIGRATE_LOCK while it migrates, so that servers starting together
 * migrate one after the other. */
#define PG_VERSION_TABLE "luoshi_schema"

static int pg_version(srv_store *s)
{
	srv_q *q = srv_stmt(s, "SELECT max(version) FROM " PG_VERSION_TABLE);
	int v = -1;
	if (q != NULL) {
		if (srv_step(q) == SRV_ROW)
			v = srv_col_int(q, 0);
		srv_stmt_done(q);
	}
	return v;
}

int srv_store_version(srv_store *s)
{
	if (s->pg != NULL)
		return pg_version(s);
	sqlite3_stmt *q;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			v = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	return v;
}

static int migrate(srv_store *s, ls_status *st)
{
	int have = srv_store_version(s);
	int newest = srv_n_migrations ? srv_migrations[srv_n_migrations - 1].version : 0;
	if (have > newest)
		return ls_status_set(st, LS_FAILED_PRECONDITION,
		                     "the database has schema version %d; this server knows up to %d",
		                     have, newest);
	for (int i = 0; i < srv_n_migrations; i++) {
		const srv_migration *m = &srv_migrations[i];
		if (m->version <= have)
			continue;
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
		/* Each migration and its version number commit together or not at all. */
		if (exec(s, "BEGIN IMMEDIATE", st) != LS_OK)
			return st->code;
		if (exec(s, m->sql, st) != LS_OK || exec(s, pragma, st) != LS_OK) {
			exec(s, "ROLLBACK", &(ls_status){0});
			ls_error("store: migration %s failed: %s", m->name, st->message);
			return st->code;
		}
		if (exec(s, "COMMIT", st) != LS_OK)
			return st->code;
		ls_info("store: applied migration %s", m->name);
	}
	return LS_OK;
}

static int migrate_pg(srv_store *s, ls_status *st)
{
	if (srv_pg_exec(s->pg, "SELECT pg_advisory_lock(" SRV_PG_MIGRATE_LOCK ")", st) != LS_OK)
		return st->code;
	int rc = srv_pg_exec(s->pg,
	                     "CREATE TABLE IF NOT EXISTS " PG_VERSION_TABLE
	                     " (version integer NOT NULL); "
	                     "INSERT INTO " PG_VERSION_TABLE " SELECT 0 WHERE NOT EXISTS "
	                     "(SELECT 1 FROM " PG_VERSION_TABLE ")",
	                     st);
	int have = rc == LS_OK ? pg_version(s) : 0;
	int n = srv_pg_n_migrations;
	int newest = n ? srv_pg_migrations[n - 1].version : 0;
	if (rc == LS_OK && have > newest)
		rc = ls_status_set(st, LS_FAILED_PRECONDITION,
		                   "the database has schema version %d; this server knows up to %d",
		                   have, newest);
	for (int i = 0; rc == LS_OK && i < n; i++) {
		const srv_migration *m = &srv_pg_migrations[i];
		if (m->version <= have)
			continue;
		char set[96];
		snprintf(set, sizeof set, "UPDATE " PG_VERSION_TABLE " SET version = %d", m->version);
		/* Each migration and its version number commit together or not at all. */
		rc = srv_pg_exec(s->pg, "BEGIN", st);
		if (rc == LS_OK && (rc = srv_pg_exec(s->pg, m->sql, st)) == LS_OK &&
		    (rc = srv_pg_exec(s->pg, set, st)) == LS_OK)
			rc = srv_pg_exec(s->pg, "COMMIT", st);
		if (rc != LS_OK) {
			srv_pg_exec(s->pg, "ROLLBACK", &(ls_status){0});
			ls_error("store: migration %s failed: %s", m->name, st->message);
		} else {
			ls_info("store: applied migration %s", m->name);
		}
	}
	ls_status ignored = {0};
	srv_pg_exec(s->pg, "SELECT pg_advisory_unlock(" SRV_PG_MIGRATE_LOCK ")", &ignored);
	return rc;
}

static int integrity_check(srv_store *s, ls_status *st)
{
	sqlite3_stmt *q;
	int rc = LS_OK;
	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &q, NULL) != SQLITE_OK)
		return srv_store_error(s, sqlite3_errcode(s->db), "integrity_check", st);
	if (sqlite3_step(q) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0) {
		const unsigned char *t = sqlite3_column_text(q, 0);
		rc = ls_status_set(st, LS_DATA_LOSS, "database integrity check failed: %s",
		                   t ? (const char *)t : sqlite3_errmsg(s->db));
	}
	sqlite3_finalize(q);
	return rc;
}

/* ---- checkpoints ------------------------------------------------------------ */

/* SQLite's own automatic checkpoint runs inside the COMMIT that grows the
 * WAL past 1000 pages: that request, and the whole batch with it, waits
 * for the pages to be copied and the database file to be fsync'd. Here a
 * thread does it instead, with a connection of its own, in PASSIVE mode
 * (it never waits for nor blocks the writer), at most one pass every
 * CKPT_PAUSE_MS. A commit is durable once the
 * WAL is fsync'd (synchronous=FULL), so nothing acknowledged depends on
 * the checkpoint. Should the thread fall far behind, the writer copies
 * what it can itself, so the WAL stays bounded. */
#define CKPT_FRAMES 1000
#define CKPT_FRAMES_INLINE (4 * CKPT_FRAMES)
/* Between two passes: under a trickle of commits, each would otherwise
 * start one, with its two fsyncs, for the few pages it added. */
#define CKPT_PAUSE_MS 50

static void *checkpointer(void *arg)
{
	srv_store *s = arg;
	sqlite3 *db = NULL;
	/* Its own name, so that its CPU time shows apart from the loop's. */
	prctl(PR_SET_NAME, "luoshid-ckpt", 0, 0, 0);
	int rc = sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	/* The syncs of a checkpoint follow the connection's setting: FULL, so
	 * the database file is fsync'd before the WAL may be reused. A first
	 * read opens the WAL. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA synchronous = FULL; SELECT count(*) FROM sqlite_schema",
		                  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ls_warn("store: checkpointer: %s; the writer checkpoints instead",
		        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		db = NULL;
	}
	pthread_mutex_lock(&s->ckpt_mtx);
	if (db == NULL)
		s->ckpt_failed = true;
	while (db != NULL) {
		while (!s->ckpt_wanted && !s->ckpt_stop)
			pthread_cond_wait(&s->ckpt_cond, &s->ckpt_mtx);
		if (s->ckpt_stop)
			break;
		s->ckpt_wanted = false;
		pthread_mutex_unlock(&s->ckpt_mtx);
		rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
			ls_warn("store: checkpoint: %s", sqlite3_errmsg(db));
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += CKPT_PAUSE_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&s->ckpt_mtx);
		while (!s->ckpt_stop &&
		       pthread_cond_timedwait(&s->ckpt_cond, &s->ckpt_mtx, &until) == 0)
			;
	}
	pthread_mutex_unlock(&s->ckpt_mtx);
	sqlite3_close(db);
	return NULL;
}

/* Called by SQLite after each commit with the pages now in the WAL. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	srv_store *s = arg;
	if (frames < CKPT_FRAMES)
		return SQLITE_OK;
	bool inline_ckpt = frames >= CKPT_FRAMES_INLINE;
	pthread_mutex_lock(&s->ckpt_mtx);
	if (!s->ckpt_started && !s->ckpt_failed) {
		if (pthread_create(&s->ckpt_thread, NULL, checkpointer, s) == 0)
			s->ckpt_started = true;
		else
			s->ckpt_failed = true;
	}
	if (s->ckpt_failed)
		inline_ckpt = true;
	else {
		s->ckpt_wanted = true;
		pthread_cond_signal(&s->ckpt_cond);
	}
	pthread_mutex_unlock(&s->ckpt_mtx);
	if (inline_ckpt)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

static void checkpointer_stop(srv_store *s)
{
	pthread_mutex_lock(&s->ckpt_mtx);
	bool started = s->ckpt_started;
	s->ckpt_stop = true;
	pthread_cond_signal(&s->ckpt_cond);
	pthread_mutex_unlock(&s->ckpt_mtx);
	if (started)
		pthread_join(s->ckpt_thread, NULL);
}

/* Every rollback, whether asked for or made by SQLite on an error. */
static void on_rollback(void *arg)
{
	srv_store *s = arg;
	s->rollbacks++;
}

/* Every call runs in a savepoint (dispatch.c), so SQLite keeps the pages
 * it changes in a statement journal until the savepoint ends: in memory up
 * to this many bytes, in one allocation, and in a temporary file beyond.
 * SQLite's default of 64 KiB sent most SubmitUpdates' journals to the
 * file, a write system call per page. */
#define STMT_JOURNAL_SPILL (1 << 20)

static void sqlite_setup(void)
{
	/* Refused, harmlessly, when SQLite was set up before. */
	sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STMT_JOURNAL_SPILL);
}

bool srv_store_is_url(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0;
}

/* A PostgreSQL database: its URL, and no checkpointer, integrity check or
 * hooks, which are SQLite's. */
static int open_pg(srv_store *s, const char *url, ls_status *st)
{
	pthread_mutex_init(&s->ckpt_mtx, NULL);
	pthread_cond_init(&s->ckpt_cond, NULL);
	if (srv_pg_open(&s->pg, url, st) != LS_OK || migrate_pg(s, st) != LS_OK)
		return st->code;
	if ((s->path = strdup(url)) == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	return LS_OK;
}

int srv_store_open(srv_store **out, const char *path, bool create, ls_status *st)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	srv_store *s = calloc(1, sizeof *s);
	if (s == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	if (srv_store_is_url(path)) {
		if (open_pg(s, path, st) != LS_OK) {
			srv_store_close(s);
			*out = NULL;
			return st->code;
		}
		*out = s;
		return LS_OK;
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		ls_status_field(st, rc == SQLITE_CANTOPEN ? LS_NOT_FOUND : LS_INTERNAL, "db",
		                "cannot open database %s: %s", path,
		                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	if (exec(s, "PRAGMA journal_mode = WAL", st) != LS_OK ||
	    exec(s, "PRAGMA synchronous = FULL", st) != LS_OK ||
	    exec(s, "PRAGMA foreign_keys = ON", st) != LS_OK)
		goto fail;
	if (integrity_check(s, st) != LS_OK || migrate(s, st) != LS_OK)
		goto fail;
	if ((s->path = strdup(path)) == NULL) {
		ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&s->ckpt_mtx, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->ckpt_cond, &ca);
	pthread_condattr_destroy(&ca);
	/* Replaces SQLite's automatic checkpoint. */
	sqlite3_wal_hook(s->db, wal_hook, s);
	sqlite3_rollback_hook(s->db, on_rollback, s);
	*out = s;
	return LS_OK;
fail:
	sqlite3_close(s->db);
	free(s->path);
	free(s);
	*out = NULL;
	return st->code;
}

void srv_store_close(srv_store *s)
{
	if (s == NULL)
		return;
	checkpointer_stop(s);
	srv_qcache_free(s->qcache);
	for (size_t i = 0; i < s->cap; i++)
		stmt_free(s->slots[i].q);
	free(s->slots);
	if (s->pg != NULL) {
		srv_pg_close(s->pg);
	} else if (s->db != NULL) {
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		if (sqlite3_close(s->db) != SQLITE_OK)
			ls_error("store: close: %s", sqlite3_errmsg(s->db));
	}
	pthread_cond_destroy(&s->ckpt_cond);
	pthread_mutex_destroy(&s->ckpt_mtx);
	free(s->path);
	free(s);
}

/* ---- transactions -------------------------------------------------------- */

/* On PostgreSQL, every writer takes one transaction-level advisory lock,
 * SRV_PG_WRITER_LOCK, first: the servers sharing a database write one at a time, as SQLite's
 * BEGIN IMMEDIATE makes them, so that what a call reads stays true until
 * its transaction commits. */

int srv_store_begin(srv_store *s, ls_status *st)
{
	if (s->pg == NULL)
		return run(s, S_BEGIN, st);
	s->begin_changes = srv_total_changes(s);
	if (srv_pg_exec(s->pg, "BEGIN; SELECT pg_advisory_xact_lock(" SRV_PG_WRITER_LOCK ")", st) !=
	    LS_OK) {
		srv_store_rollback(s);
		return st->code;
	}
	return LS_OK;
}

int srv_store_commit(srv_store *s, ls_status *st)
{
	int rc = run(s, S_COMMIT, st);
	if (rc != LS_OK && srv_in_transaction(s))
		srv_store_rollback(s);
	else if (rc == LS_OK && s->on_commit_changes != NULL &&
	         srv_total_changes(s) != s->begin_changes)
		s->on_commit_changes(s->on_commit_arg);
	return rc;
}

void srv_store_rollback(srv_store *s)
{
	if (!srv_in_transaction(s))
		return;
	if (s->pg != NULL) /* SQLite counts them in on_rollback */
		s->rollbacks++;
	run(s, S_ROLLBACK, NULL);
}

int srv_store_savepoint(srv_store *s, ls_status *st)
{
	s->savepoint_changes = srv_total_changes(s);
	return run(s, S_SAVEPOINT, st);
}

void srv_store_savepoint_release(srv_store *s) { run(s, S_RELEASE, NULL); }

void srv_store_savepoint_rollback(srv_store *s)
{
	/* Only a rollback that undoes rows can leave what query.c keeps out
	 * of date; a refused call that wrote nothing leaves it be. */
	if (srv_total_changes(s) != s->savepoint_changes)
		s->rollbacks++;
	run(s, S_ROLLBACK_TO, NULL);
	run(s, S_RELEASE, NULL);
}

int64_t srv_store_changes(srv_store *s) { return srv_total_changes(s); }

/* ---- units ---------------------------------------------------------------- */

int srv_store_unit_create_root(srv_store *s, const char *code, const char *name,
                               const char *kind, const char *now, int64_t *id,
                               ls_status *st)
{
	srv_q *q = stmt(s, S_UNIT_INSERT);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_bind_text(q, 1, code);
	srv_bind_text(q, 2, name);
	srv_bind_text(q, 3, kind);
	srv_bind_text(q, 4, now);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "insert unit", st);
	*id = srv_last_id(s);
	return LS_OK;
}

/* Per entity: find by code, then by exact name (a few, to name them). */
static const struct {
	const char *by_code;
	const char *by_name;
	const char *noun;
} resolvers[] = {
    [SRV_UNIT] = {"SELECT id FROM units WHERE code = ?1 AND active = 1",
                  "SELECT id, code FROM units WHERE name = ?1 AND active = 1 "
                  "ORDER BY code LIMIT 6",
                  "active unit"},
    [SRV_PERSON] = {"SELECT id FROM people WHERE code = ?1 AND active = 1",
                    "SELECT id, code FROM people WHERE name = ?1 AND active = 1 "
                    "ORDER BY code LIMIT 6",
                    "active person"},
    [SRV_PROJECT] = {"SELECT id FROM projects WHERE code = ?1 AND archived = 0",
                     "SELECT id, code FROM projects WHERE name = ?1 AND archived = 0 "
                     "ORDER BY code LIMIT 6",
                     "project"},
};

int srv_store_resolve(srv_store *s, srv_entity what, const char *code_or_name,
                      const char *field, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, resolvers[what].by_code);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_bind_text(q, 1, code_or_name);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*id = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "resolve", st);

	q = srv_stmt(s, resolvers[what].by_name);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_bind_text(q, 1, code_or_name);
	char codes[256] = "";
	int n = 0;
	size_t used = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (n++ == 0)
			*id = srv_col_int64(q, 0);
		int w = snprintf(codes + used, sizeof codes - used, "%s%s", used ? ", " : "",
		                 srv_col_text(q, 1));
		if (w > 0 && (size_t)w < sizeof codes - used)
			used += (size_t)w;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "resolve", st);
	if (n == 1)
		return LS_OK;
	if (n == 0)
		return ls_status_field(st, LS_INVALID_ARGUMENT, field,
		                       "%s: no %s has the code or name \"%s\"", field,
		                       resolvers[what].noun, code_or_name);
	return ls_status_field(st, LS_INVALID_ARGUMENT, field,
	                       "%s: \"%s\" names several; give one of the codes: %s", field,
	                       code_or_name, codes);
}

/* ---- scope ---------------------------------------------------------------- */

/* Units are walked upwards, one cached point lookup a level, where the
 * recursive subqueries (SRV_SUBTREE, a CTE for the root) build temporary
 * tables on every call: the scope and the visibility of a project are
 * worked out for most requests. A tree deeper than this is taken as broken
 * (a cycle) and answers "not within". */
#define UNIT_DEPTH_MAX 64

static const char SQL_UNIT_UP[] = "SELECT parent_id, kind IN ('district', 'city') FROM units "
                                  "WHERE id = ?1";

/* One step up: *parent (0 for none) and whether unit is an office. 0, or
 * LS_NOT_FOUND when there is no such unit, or another code on failure. */
static int unit_up(srv_store *s, int64_t unit, int64_t *parent, bool *office)
{
	srv_q *q = srv_stmt(s, SQL_UNIT_UP);
	if (q == NULL)
		return LS_INTERNAL;
	srv_bind_int64(q, 1, unit);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		*parent = srv_col_null(q, 0) ? 0 : srv_col_int64(q, 0);
		*office = srv_col_int(q, 1) != 0;
	}
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read unit", NULL);
	return LS_NOT_FOUND;
}

/* unit IN SRV_SUBTREE(root): root is unit or one of its ancestors. */
static bool unit_under(srv_store *s, int64_t unit, int64_t root)
{
	for (int depth = 0; depth < UNIT_DEPTH_MAX; depth++) {
		if (unit == root)
			return true;
		int64_t parent;
		bool office;
		if (unit_up(s, unit, &parent, &office) != LS_OK || parent == 0)
			return false;
		unit = parent;
	}
	return false;
}

int srv_store_scope(srv_store *s, const srv_account *a, srv_scope *out, ls_status *st)
{
	static const srv_scope_mode modes[] = {
	    [SRV_ROLE_ADMIN] = SRV_SCOPE_ALL,     [SRV_ROLE_LEADER] = SRV_SCOPE_ALL,
	    [SRV_ROLE_TOWN] = SRV_SCOPE_TOWN,     [SRV_ROLE_DEPARTMENT] = SRV_SCOPE_UNIT,
	    [SRV_ROLE_INSPECTOR] = SRV_SCOPE_ALL, [SRV_ROLE_DISCIPLINE] = SRV_SCOPE_ALL,
	    [SRV_ROLE_VIEWER] = SRV_SCOPE_NONE,
	};
	out->mode = a->role > SRV_ROLE_NONE && a->role <= SRV_ROLE_VIEWER ? modes[a->role]
	                                                                 : SRV_SCOPE_NONE;
	out->unit = a->unit_id;
	out->person = a->person_id;
	out->root = a->unit_id;
	/* The root: the nearest district or city office at or above the unit;
	 * without one, the topmost unit above it. */
	int64_t unit = a->unit_id;
	for (int depth = 0; depth < UNIT_DEPTH_MAX; depth++) {
		int64_t parent;
		bool office;
		int rc = unit_up(s, unit, &parent, &office);
		if (rc == LS_NOT_FOUND)
			break;
		if (rc != LS_OK)
			return ls_status_set(st, rc, "database: cannot read the units");
		out->root = unit;
		if (office || parent == 0)
			break;
		unit = parent;
	}
	return LS_OK;
}

void srv_scope_bind(srv_q *q, const srv_scope *sc)
{
	int i;
	if ((i = srv_bind_index(q, ":scope_mode")) > 0)
		srv_bind_int64(q, i, (int)sc->mode);
	if ((i = srv_bind_index(q, ":scope_root")) > 0)
		srv_bind_int64(q, i, sc->root);
	if ((i = srv_bind_index(q, ":scope_unit")) > 0)
		srv_bind_int64(q, i, sc->unit);
	if ((i = srv_bind_index(q, ":scope_person")) > 0)
		srv_bind_int64(q, i, sc->person);
}

static const char SQL_VISIBLE[] =
    "SELECT 1 FROM projects p WHERE p.id = :project AND " SRV_PROJECT_VISIBLE;
static const char SQL_PROJECT_UNITS[] =
    "SELECT lead_unit_id, town_id, lead_leader_id FROM projects WHERE id = ?1";

/* SRV_PROJECT_VISIBLE for one project. The scopes that look only at the
 * project's own row are decided in C; a department's, which looks at the
 * units of its nodes, tasks and contributors, by the SQL. */
bool srv_store_project_visible(srv_store *s, const srv_scope *sc, int64_t project)
{
	if (sc->mode == SRV_SCOPE_ALL || sc->mode == SRV_SCOPE_TOWN ||
	    sc->mode == SRV_SCOPE_LEADER || sc->mode == SRV_SCOPE_NONE) {
		srv_q *q = srv_stmt(s, SQL_PROJECT_UNITS);
		if (q == NULL)
			return false;
		srv_bind_int64(q, 1, project);
		if (srv_step(q) != SRV_ROW) {
			srv_stmt_done(q);
			return false;
		}
		/* NULL IN (...) and NULL = x are not true. */
		bool has_lead = !srv_col_null(q, 0);
		bool has_town = !srv_col_null(q, 1);
		bool has_leader = !srv_col_null(q, 2);
		int64_t lead = srv_col_int64(q, 0), town = srv_col_int64(q, 1);
		int64_t leader = srv_col_int64(q, 2);
		srv_stmt_done(q);
		switch (sc->mode) {
		case SRV_SCOPE_ALL:
			return (has_lead && unit_under(s, lead, sc->root)) ||
			       (has_town && unit_under(s, town, sc->root));
		case SRV_SCOPE_TOWN:
			return has_town && unit_under(s, town, sc->unit);
		case SRV_SCOPE_LEADER:
			return has_leader && leader == sc->person;
		default:
			return false;
		}
	}
	srv_q *q = srv_stmt(s, SQL_VISIBLE);
	if (q == NULL)
		return false;
	srv_scope_bind(q, sc);
	srv_bind_int64(q, srv_bind_index(q, ":project"), project);
	bool yes = srv_step(q) == SRV_ROW;
	srv_stmt_done(q);
	return yes;
}

bool srv_store_unit_within(srv_store *s, int64_t unit, int64_t root)
{
	return unit_under(s, unit, root);
}

/* ---- accounts ------------------------------------------------------------- */

static void read_account(srv_q *q, srv_account *a)
{
	a->id = srv_col_int64(q, 0);
	srv_column_text(a->name, sizeof a->name, q, 1);
	a->role = srv_role_from_name(srv_col_text(q, 2));
	a->unit_id = srv_col_int64(q, 3);
	srv_column_text(a->unit_code, sizeof a->unit_code, q, 4);
	srv_column_text(a->unit_name, sizeof a->unit_name, q, 5);
	srv_column_text(a->created_at, sizeof a->created_at, q, 6);
	srv_column_text(a->revoked_at, sizeof a->revoked_at, q, 7);
	a->person_id = srv_col_int64(q, 8);
	srv_column_text(a->person_code, sizeof a->person_code, q, 9);
	srv_column_text(a->person_name, sizeof a->person_name, q, 10);
	srv_column_text(a->expires_at, sizeof a->expires_at, q, 11);
	a->expired = srv_col_int(q, 12) != 0;
}

static int account_one(srv_store *s, enum stmt_id id, srv_q *q, srv_account *out)
{
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_account(q, out);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, stmt_sql[id], NULL);
	return LS_NOT_FOUND;
}

int srv_store_account_by_token(srv_store *s, const uint8_t hash[SRV_HASH_SIZE],
                               srv_account *out)
{
	srv_q *q = stmt(s, S_ACCOUNT_BY_TOKEN);
	if (q == NULL)
		return LS_INTERNAL;
	srv_bind_blob(q, 1, hash, SRV_HASH_SIZE);
	return account_one(s, S_ACCOUNT_BY_TOKEN, q, out);
}

int srv_store_account_get(srv_store *s, int64_t id, srv_account *out)
{
	srv_q *q = stmt(s, S_ACCOUNT_GET);
	if (q == NULL)
		return LS_INTERNAL;
	srv_bind_int64(q, 1, id);
	return account_one(s, S_ACCOUNT_GET, q, out);
}

int srv_store_account_insert(srv_store *s, const char *name, srv_role role, int64_t unit_id,
                             int64_t person_id, const uint8_t hash[SRV_HASH_SIZE],
                             int64_t created_by, const char *now, int64_t *id, ls_status *st)
{
	srv_q *q = stmt(s, S_ACCOUNT_INSERT);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_bind_text(q, 1, name);
	srv_bind_text(q, 2, srv_role_name(role));
	srv_bind_int64(q, 3, unit_id);
	srv_bind_blob(q, 4, hash, SRV_HASH_SIZE);
	srv_bind_text(q, 5, now);
	if (created_by > 0)
		srv_bind_int64(q, 6, created_by);
	if (person_id > 0)
		srv_bind_int64(q, 7, person_id);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "insert account", st);
	*id = srv_last_id(s);
	return LS_OK;
}

int srv_store_account_set_expiry(srv_store *s, int64_t id, const char *expires_at,
                                 ls_status *st)
{
	static const char SQL_EXPIRY[] = "UPDATE accounts SET expires_at = ?2 WHERE id = ?1";
	srv_q *q = srv_stmt(s, SQL_EXPIRY);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_bind_int64(q, 1, id);
	srv_bind_text(q, 2, expires_at);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "set account expiry", st);
	return LS_OK;
}

int srv_store_account_revoke(srv_store *s, int64_t id, const char *now, ls_status *st)
{
	srv_q *q = stmt(s, S_ACCOUNT_REVOKE);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_bind_int64(q, 1, id);
	srv_bind_text(q, 2, now);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "revoke account", st);
	if (srv_changes(s) == 0)
		return ls_status_field(st, LS_NOT_FOUND, "id", "no live account has id %lld",
		                       (long long)id);
	return LS_OK;
}

int srv_store_account_list(srv_store *s, int64_t after_id, int limit, bool include_revoked,
                           void (*fn)(void *arg, const srv_account *a), void *arg)
{
	enum stmt_id id = include_revoked ? S_ACCOUNT_LIST : S_ACCOUNT_LIST_LIVE;
	srv_q *q = stmt(s, id);
	if (q == NULL)
		return -1;
	srv_bind_int64(q, 1, after_id);
	srv_bind_int64(q, 2, limit);
	int rc, n = 0;
	srv_account a;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_account(q, &a);
		fn(arg, &a);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, stmt_sql[id], NULL);
		return -1;
	}
	return n;
}

int64_t srv_store_account_count(srv_store *s)
{
	srv_q *q = stmt(s, S_ACCOUNT_COUNT);
	int64_t n = -1;
	if (q != NULL) {
		if (srv_step(q) == SRV_ROW)
			n = srv_col_int64(q, 0);
		srv_stmt_done(q);
	}
	return n;
}

/* ---- idempotency keys ------------------------------------------------------ */

int srv_store_idem_get(srv_store *s, int64_t account, const uint8_t key_hash[SRV_HASH_SIZE],
                       uint8_t hash[SRV_HASH_SIZE], uint8_t **resp, size_t *resp_len)
{
	srv_q *q = stmt(s, S_IDEM_GET);
	if (q == NULL)
		return LS_INTERNAL;
	srv_bind_int64(q, 1, account);
	srv_bind_blob(q, 2, key_hash, SRV_HASH_SIZE);
	int rc = srv_step(q), code = LS_NOT_FOUND;
	if (rc == SRV_ROW) {
		size_t hn, rn;
		const void *h = srv_col_blob(q, 0, &hn);
		memset(hash, 0, SRV_HASH_SIZE);
		if (h != NULL && hn == SRV_HASH_SIZE)
			memcpy(hash, h, SRV_HASH_SIZE);
		const void *r = srv_col_blob(q, 1, &rn);
		*resp = malloc(rn ? rn : 1);
		if (*resp == NULL) {
			code = LS_RESOURCE_EXHAUSTED;
		} else {
			if (rn)
				memcpy(*resp, r, rn);
			*resp_len = rn;
			code = LS_OK;
		}
	} else if (rc != SRV_DONE) {
		code = srv_store_error(s, rc, "find idempotency key", NULL);
	}
	srv_stmt_done(q);
	return code;
}

int srv_store_idem_put(srv_store *s, int64_t account, const uint8_t key_hash[SRV_HASH_SIZE],
                       const uint8_t hash[SRV_HASH_SIZE], const uint8_t *resp,
                       size_t resp_len, int64_t now, ls_status *st)
{
	srv_q *q = stmt(s, S_IDEM_PUT);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_bind_int64(q, 1, account);
	srv_bind_blob(q, 2, key_hash, SRV_HASH_SIZE);
	srv_bind_blob(q, 3, hash, SRV_HASH_SIZE);
	srv_bind_blob(q, 4, resp ? (const void *)resp : "", resp_len);
	srv_bind_int64(q, 5, now);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "store idempotency key", st);
	return LS_OK;
}

int srv_store_idem_purge(srv_store *s, int64_t before)
{
	srv_q *q = stmt(s, S_IDEM_PURGE);
	if (q == NULL)
		return -1;
	srv_bind_int64(q, 1, before);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "purge idempotency keys", NULL);
		return -1;
	}
	return (int)srv_changes(s);
}

/* ---- audit log ---------------------------------------------------------------- */

int srv_store_audit(srv_store *s, const char *at, int64_t account, const char *method,
                    const char *entity, int64_t entity_id, int64_t project,
                    const char *before, const char *after, ls_status *st)
{
	srv_q *q = stmt(s, S_AUDIT);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_bind_text(q, 1, at);
	if (account > 0)
		srv_bind_int64(q, 2, account);
	srv_bind_text(q, 3, method);
	srv_bind_text(q, 4, entity);
	if (entity_id > 0)
		srv_bind_int64(q, 5, entity_id);
	if (before != NULL)
		srv_bind_text(q, 6, before);
	if (after != NULL)
		srv_bind_text(q, 7, after);
	if (project > 0)
		srv_bind_int64(q, 8, project);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "append audit log", st);
	return LS_OK;
}

/* ---- several servers on one database (PostgreSQL) ------------------------- */

bool srv_store_shared(srv_store *s) { return s->pg != NULL; }

bool srv_store_sched_turn(srv_store *s)
{
	if (s->pg == NULL)
		return true;
	/* A session's lock goes with its connection: a new one must take it
	 * again, and may find another server holding it. */
	if (s->sched_generation != 0 && s->sched_generation == srv_pg_generation(s->pg))
		return true;
	s->sched_generation = 0;
	srv_q *q = srv_stmt(s, "SELECT pg_try_advisory_lock(" SRV_PG_SCHED_LOCK ")");
	if (q == NULL)
		return false;
	bool held = srv_step(q) == SRV_ROW && srv_col_int64(q, 0) == 1;
	srv_stmt_done(q);
	if (held) {
		s->sched_generation = srv_pg_generation(s->pg);
		s->sched_other = false;
		ls_info("store: this server runs the reminder scheduler");
	} else if (!s->sched_other) {
		s->sched_other = true;
		ls_info("store: another server runs the reminder scheduler");
	}
	return held;
}

int srv_store_listen(srv_store *s, const char *channel, ls_status *st)
{
	return s->pg != NULL ? srv_pg_listen(s->pg, channel, st) : LS_OK;
}

int srv_store_notify(srv_store *s, const char *channel, const char *payload, ls_status *st)
{
	return s->pg != NULL ? srv_pg_notify(s->pg, channel, payload, st) : LS_OK;
}

int srv_store_notifications(srv_store *s,
                            void (*fn)(void *arg, const char *channel, const char *payload),
                            void *arg)
{
	return s->pg != NULL ? srv_pg_notifications(s->pg, fn, arg) : 0;
}

int srv_store_socket(srv_store *s, unsigned *generation)
{
	if (s->pg == NULL)
		return -1;
	*generation = srv_pg_generation(s->pg);
	return srv_pg_socket(s->pg);
}
