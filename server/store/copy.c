/* SQLite to PostgreSQL, with COPY (see copy.h). */
#include "copy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

#define TABLES_MAX 128
#define BUF_SIZE (256 * 1024)

typedef struct table {
	char name[64];
	bool has_rowid;
	bool has_id; /* a column named id */
	bool done;
} table;

typedef struct out {
	struct srv_pg *pg;
	char *buf;
	size_t used;
	ls_status *st;
	int rc;
} out;

static void put(out *o, const char *p, size_t n)
{
	while (o->rc == LS_OK && n > 0) {
		if (o->used == BUF_SIZE) {
			o->rc = srv_pg_copy_put(o->pg, o->buf, o->used, o->st);
			o->used = 0;
		}
		size_t k = BUF_SIZE - o->used < n ? BUF_SIZE - o->used : n;
		memcpy(o->buf + o->used, p, k);
		o->used += k;
		p += k;
		n -= k;
	}
}

static void puts_(out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A text value in COPY's text format: backslash, tab, newline and return
 * escaped. */
static void put_text(out *o, const unsigned char *t, size_t n)
{
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		const char *esc = t[i] == '\\'   ? "\\\\"
		                  : t[i] == '\t' ? "\\t"
		                  : t[i] == '\n' ? "\\n"
		                  : t[i] == '\r' ? "\\r"
		                                 : NULL;
		if (esc == NULL)
			continue;
		put(o, (const char *)t + from, i - from);
		puts_(o, esc);
		from = i + 1;
	}
	put(o, (const char *)t + from, n - from);
}

/* A blob as bytea's hex input, its backslash escaped for COPY. */
static void put_blob(out *o, const unsigned char *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	puts_(o, "\\\\x");
	for (size_t i = 0; i < n; i++) {
		char two[2] = {hex[b[i] >> 4], hex[b[i] & 15]};
		put(o, two, 2);
	}
}

/* True for the names luoshi's schema uses, letters, digits and _: the
 * only ones put into SQL here, so that a file made to do so cannot. */
static bool plain_name(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) >= 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int lite_fail(sqlite3 *db, const char *what, ls_status *st)
{
	return ls_status_set(st, LS_INTERNAL, "%s: %s", what, sqlite3_errmsg(db));
}

/* The tables of db, but SQLite's own. */
static int list_tables(sqlite3 *db, table *t, int *n, ls_status *st)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db,
	                       "SELECT name, sql LIKE '%WITHOUT ROWID%' FROM sqlite_schema "
	                       "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
	                       -1, &q, NULL) != SQLITE_OK)
		return lite_fail(db, "list tables", st);
	*n = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < TABLES_MAX) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		if (!plain_name(name)) {
			ls_status_set(st, LS_FAILED_PRECONDITION,
			              "the file has a table luoshi does not make: \"%s\"",
			              name ? name : "");
			sqlite3_finalize(q);
			return st->code;
		}
		table *x = &t[(*n)++];
		memset(x, 0, sizeof *x);
		snprintf(x->name, sizeof x->name, "%s", name);
		x->has_rowid = sqlite3_column_int(q, 1) == 0;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return ls_status_set(st, LS_INTERNAL, "more than %d tables", TABLES_MAX);
	return rc == SQLITE_DONE ? LS_OK : lite_fail(db, "list tables", st);
}

/* True when every table t's foreign keys name (but itself) is copied. */
static bool ready(sqlite3 *db, const table *t, const table *all, int n)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT \"table\" FROM pragma_foreign_key_list('%s')", t->name);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return true;
	bool ok = true;
	while (ok && sqlite3_step(q) == SQLITE_ROW) {
		const char *to = (const char *)sqlite3_column_text(q, 0);
		for (int i = 0; i < n; i++)
			if (strcmp(all[i].name, to) == 0 && &all[i] != t && !all[i].done)
				ok = false;
	}
	sqlite3_finalize(q);
	return ok;
}

/* COPY of one table: its columns in SQLite's order, its rows in rowid
 * order (a unit's parent comes before it), or key order. */
static int copy_table(sqlite3 *db, struct srv_pg *pg, table *t, out *o, int64_t *rows)
{
	char cols[2048] = "", sql[2300];
	size_t used = 0;
	sqlite3_stmt *q;
	snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", t->name);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return lite_fail(db, t->name, o->st);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(q, 0);
		if (!plain_name(c)) {
			ls_status_set(o->st, LS_FAILED_PRECONDITION,
			              "%s has a column luoshi does not make: \"%s\"", t->name,
			              c ? c : "");
			sqlite3_finalize(q);
			return o->st->code;
		}
		t->has_id |= strcmp(c, "id") == 0;
		int w = snprintf(cols + used, sizeof cols - used, "%s\"%s\"", used ? ", " : "", c);
		if (w < 0 || (size_t)w >= sizeof cols - used) {
			sqlite3_finalize(q);
			return ls_status_set(o->st, LS_INTERNAL, "%s: too many columns", t->name);
		}
		used += (size_t)w;
	}
	sqlite3_finalize(q);

	snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\"%s", cols, t->name,
	         t->has_rowid ? " ORDER BY rowid" : "");
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return lite_fail(db, t->name, o->st);
	snprintf(sql, sizeof sql, "COPY \"%s\" (%s) FROM STDIN", t->name, cols);
	if (srv_pg_copy_begin(pg, sql, o->st) != LS_OK) {
		sqlite3_finalize(q);
		return o->st->code;
	}
	int n = sqlite3_column_count(q), rc;
	char num[32];
	while (o->rc == LS_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		for (int c = 0; c < n; c++) {
			if (c > 0)
				puts_(o, "\t");
			switch (sqlite3_column_type(q, c)) {
			case SQLITE_NULL:
				puts_(o, "\\N");
				break;
			case SQLITE_INTEGER:
				snprintf(num, sizeof num, "%lld",
				         (long long)sqlite3_column_int64(q, c));
				puts_(o, num);
				break;
			case SQLITE_FLOAT:
				snprintf(num, sizeof num, "%.17g", sqlite3_column_double(q, c));
				puts_(o, num);
				break;
			case SQLITE_BLOB: {
				const void *b = sqlite3_column_blob(q, c);
				put_blob(o, b, (size_t)sqlite3_column_bytes(q, c));
				break;
			}
			default: {
				const unsigned char *x = sqlite3_column_text(q, c);
				put_text(o, x, (size_t)sqlite3_column_bytes(q, c));
			}
			}
		}
		puts_(o, "\n");
		(*rows)++;
	}
	if (o->rc == LS_OK && rc != SQLITE_DONE)
		o->rc = lite_fail(db, t->name, o->st);
	sqlite3_finalize(q);
	if (o->rc == LS_OK && o->used > 0)
		o->rc = srv_pg_copy_put(pg, o->buf, o->used, o->st);
	o->used = 0;
	/* Ended either way: a failed COPY fails the transaction. */
	int end = srv_pg_copy_end(pg, o->rc == LS_OK ? o->st : &(ls_status){0});
	return o->rc != LS_OK ? o->rc : end;
}

static int exec_pg(struct srv_pg *pg, ls_status *st, const char *fmt, const char *name)
{
	char sql[512];
	snprintf(sql, sizeof sql, fmt, name, name, name);
	return srv_pg_exec(pg, sql, st);
}

int srv_store_copy_from_sqlite(srv_store *s, const char *file, srv_copy_info *info, ls_status *st)
{
	memset(info, 0, sizeof *info);
	if (s->pg == NULL)
		return ls_status_set(
		    st, LS_FAILED_PRECONDITION,
		    "--copy-from fills a PostgreSQL database: give --db as its URL");
	if (srv_store_account_count(s) != 0)
		return ls_status_set(
		    st, LS_FAILED_PRECONDITION,
		    "the PostgreSQL database has accounts already; copy into a new "
		    "database");
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		ls_status_field(st, LS_NOT_FOUND, "copy-from", "cannot open %s: %s", file,
		                db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return st->code;
	}
	int have = -1;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			have = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	int want = srv_store_version(s);
	table *t = calloc(TABLES_MAX, sizeof *t);
	out o = {.pg = s->pg, .buf = malloc(BUF_SIZE), .st = st, .rc = LS_OK};
	int n = 0, rc = LS_OK;
	if (t == NULL || o.buf == NULL) {
		rc = ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if (have != want) {
		rc = ls_status_set(st, LS_FAILED_PRECONDITION,
		                   "%s has schema version %d and the PostgreSQL database %d: start "
		                   "this luoshid once on %s to bring it up to date",
		                   file, have, want, file);
		goto out;
	}
	if ((rc = list_tables(db, t, &n, st)) != LS_OK ||
	    (rc = srv_pg_exec(s->pg, "BEGIN", st)) != LS_OK)
		goto out;
	/* Each round copies the tables whose references are all copied. */
	for (int copied = 0; rc == LS_OK && copied < n;) {
		int before = copied;
		for (int i = 0; rc == LS_OK && i < n; i++) {
			if (t[i].done || !ready(db, &t[i], t, n))
				continue;
			rc = exec_pg(s->pg, st, "ALTER TABLE \"%s\" DISABLE TRIGGER USER",
			             t[i].name);
			if (rc == LS_OK)
				rc = copy_table(db, s->pg, &t[i], &o, &info->rows);
			if (rc == LS_OK)
				rc = exec_pg(s->pg, st, "ALTER TABLE \"%s\" ENABLE TRIGGER USER",
				             t[i].name);
			if (rc == LS_OK && t[i].has_id)
				rc = exec_pg(
				    s->pg, st,
				    "SELECT setval(seq, (SELECT coalesce(max(id), 0) + 1 FROM "
				    "\"%s\"), false) FROM (SELECT pg_get_serial_sequence('\"%s\"', "
				    "'id') AS seq) AS s WHERE seq IS NOT NULL",
				    t[i].name);
			t[i].done = true;
			copied++;
			info->tables++;
		}
		if (rc == LS_OK && copied == before)
			rc =
			    ls_status_set(st, LS_INTERNAL, "the tables' foreign keys form a cycle");
	}
	if (rc == LS_OK)
		rc = srv_pg_exec(s->pg, "COMMIT", st);
	if (rc != LS_OK)
		srv_pg_exec(s->pg, "ROLLBACK", &(ls_status){0});
	/* COPY leaves the planner no statistics until autovacuum comes by, and
	 * it plans the first calls on a database of empty tables: scans of
	 * every project for each town. What is copied stays copied if this
	 * fails. */
	ls_status ast;
	if (rc == LS_OK && srv_pg_exec(s->pg, "ANALYZE", &ast) != LS_OK)
		ls_warn("copy: the tables were copied, but ANALYZE failed: %s", ast.message);
out:
	free(o.buf);
	free(t);
	sqlite3_close(db);
	return rc;
}
