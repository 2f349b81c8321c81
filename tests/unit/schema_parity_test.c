/* SQLite's schema against PostgreSQL's: the migrations of server/store/
 * migrations and of migrations_pg, applied each to a fresh database (SQLite
 * in memory, with foreign keys on as luoshid has them; PostgreSQL a database
 * of its own on the server tests/pg_server.sh starts), must give the same
 * tables and views with the same columns (names, order, types, NOT NULL,
 * defaults, primary keys, identity for SQLite's INTEGER PRIMARY KEY), the
 * same unique and foreign keys, indexes, number of checks and triggers
 * (timing, event, columns, WHEN); and, after the fixture schema_parity.sql
 * has run on both, the same rows in every table and view, value for value
 * and type for type. The fixture runs twice: on a database of every
 * migration, and stage by stage between the migrations, comparing after
 * each stage, so that 005's and 011's triggers (dropped by 013) and the rows
 * the migrations build from what is already there are compared too. Some
 * figures are worked out by hand, so that both sides wrong alike fail; the
 * statements the schema refuses (append-only tables, checks, keys) must be
 * refused by both, as constraints; and PostgreSQL's stand-ins for SQLite's
 * date functions (005) must give what SQLite gives, for odd texts too.
 *
 * No view or trigger reads the clock (none uses 'now'), so what is
 * compared does not depend on when the test runs. */
#define _GNU_SOURCE
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "status.h"
#include "store/store_int.h"

/* Types as pg_type numbers them. */
#define BYTEA_OID 17
#define INT8_OID 20
#define TEXT_OID 25
#define FLOAT4_OID 700
#define FLOAT8_OID 701
#define VARCHAR_OID 1043

/* The two databases, migrated alike. */
typedef struct pair {
	sqlite3 *lite;
	struct srv_pg *pg; /* writes, through the store's layer, as luoshid */
	PGconn *conn;      /* reads, which need the columns' types */
	char dbname[64];
	int version; /* the last migration applied to both */
} pair;

static int n_databases; /* numbers the next database */

static const char *server_url(void)
{
	const char *u = getenv("LUOSHI_TEST_PG");
	if (u == NULL)
		fail_msg("LUOSHI_TEST_PG is not set: run under tests/pg_server.sh");
	return u;
}

static void lite_exec(sqlite3 *db, const char *text)
{
	char *err = NULL;
	if (sqlite3_exec(db, text, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("SQLite: %s\n%.400s", err ? err : "?", text);
}

static void pg_exec(struct srv_pg *pg, const char *text)
{
	ls_status st = {0};
	if (srv_pg_exec(pg, text, &st) != LS_OK)
		fail_msg("PostgreSQL: %s\n%.400s", st.message, text);
}

static struct srv_pg *pg_open(const char *dbname)
{
	char url[1024];
	if (dbname == NULL)
		snprintf(url, sizeof url, "%s", server_url());
	else
		snprintf(url, sizeof url, "%s&dbname=%s", server_url(), dbname);
	struct srv_pg *pg;
	ls_status st = {0};
	if (srv_pg_open(&pg, url, &st) != LS_OK)
		fail_msg("cannot connect to PostgreSQL: %s", st.message);
	return pg;
}

static int setup(void **state)
{
	pair *p = calloc(1, sizeof *p);
	assert_non_null(p);
	assert_int_equal(sqlite3_open(":memory:", &p->lite), SQLITE_OK);
	lite_exec(p->lite, "PRAGMA foreign_keys = ON");

	snprintf(p->dbname, sizeof p->dbname, "parity_%ld_%d", (long)getpid(), ++n_databases);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' "
	         "LC_CTYPE 'C'",
	         p->dbname);
	struct srv_pg *admin = pg_open(NULL);
	pg_exec(admin, sql);
	srv_pg_close(admin);
	p->pg = pg_open(p->dbname);
	char url[1024];
	snprintf(url, sizeof url, "%s&dbname=%s", server_url(), p->dbname);
	p->conn = PQconnectdb(url);
	if (PQstatus(p->conn) != CONNECTION_OK)
		fail_msg("cannot connect to PostgreSQL: %s", PQerrorMessage(p->conn));
	PQclear(PQexec(p->conn, "SET bytea_output = hex"));
	/* PostgreSQL has no type blob: the fixture's CAST('...' AS BLOB) reads
	 * as bytea through a domain of that name, which is not in the schema. */
	pg_exec(p->pg, "CREATE DOMAIN blob AS bytea");
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	pair *p = *state;
	sqlite3_close(p->lite);
	srv_pg_close(p->pg);
	PQfinish(p->conn);
	char sql[128];
	snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", p->dbname);
	struct srv_pg *admin = pg_open(NULL);
	pg_exec(admin, sql);
	srv_pg_close(admin);
	free(p);
	return 0;
}

/* Applies the migrations after p->version up to to, each in a transaction
 * of its own on both sides, as luoshid does. */
static void migrate(pair *p, int to)
{
	for (int i = 0; i < srv_n_migrations && i < srv_pg_n_migrations; i++) {
		const srv_migration *m = &srv_migrations[i], *pm = &srv_pg_migrations[i];
		if (m->version <= p->version || m->version > to)
			continue;
		lite_exec(p->lite, "BEGIN");
		lite_exec(p->lite, m->sql);
		lite_exec(p->lite, "COMMIT");
		ls_status st = {0};
		if (srv_pg_exec(p->pg, "BEGIN", &st) != LS_OK ||
		    srv_pg_exec(p->pg, pm->sql, &st) != LS_OK ||
		    srv_pg_exec(p->pg, "COMMIT", &st) != LS_OK)
			fail_msg("PostgreSQL's migration %s: %s", pm->name, st.message);
	}
	p->version = to;
}

/* ---- rows as text ------------------------------------------------------------ */

/* Values are written one after the other, " | " between them, a row a line.
 * Typed, each says its type: i: an integer (SQLite's INTEGER, PostgreSQL's
 * bigint), t: text, b: a blob in hex, r: a real (%.17g), and for any other
 * PostgreSQL type its number (oidN:), which no SQLite value matches. */
static void put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s, f);
	}
}

static void lite_value(FILE *f, sqlite3_stmt *q, int i, bool typed)
{
	switch (sqlite3_column_type(q, i)) {
	case SQLITE_NULL:
		fputs("NULL", f);
		break;
	case SQLITE_INTEGER:
		fprintf(f, "%s%lld", typed ? "i:" : "", (long long)sqlite3_column_int64(q, i));
		break;
	case SQLITE_FLOAT:
		fprintf(f, "%s%.17g", typed ? "r:" : "", sqlite3_column_double(q, i));
		break;
	case SQLITE_BLOB: {
		const unsigned char *b = sqlite3_column_blob(q, i);
		int n = sqlite3_column_bytes(q, i);
		fputs(typed ? "b:\\x" : "\\x", f);
		for (int k = 0; k < n; k++)
			fprintf(f, "%02x", b[k]);
		break;
	}
	default:
		fputs(typed ? "t:" : "", f);
		put_text(f, (const char *)sqlite3_column_text(q, i));
	}
}

static void pg_value(FILE *f, const PGresult *r, int row, int i, bool typed)
{
	if (PQgetisnull(r, row, i)) {
		fputs("NULL", f);
		return;
	}
	const char *v = PQgetvalue(r, row, i);
	Oid type = PQftype(r, i);
	if (!typed) {
		if (type == FLOAT8_OID || type == FLOAT4_OID)
			fprintf(f, "%.17g", strtod(v, NULL));
		else
			put_text(f, v);
		return;
	}
	switch (type) {
	case INT8_OID:
		fprintf(f, "i:%s", v);
		break;
	case TEXT_OID:
	case VARCHAR_OID:
		fputs("t:", f);
		put_text(f, v);
		break;
	case BYTEA_OID:
		fprintf(f, "b:%s", v);
		break;
	case FLOAT8_OID:
	case FLOAT4_OID:
		fprintf(f, "r:%.17g", strtod(v, NULL));
		break;
	default:
		fprintf(f, "oid%u:", (unsigned)type);
		put_text(f, v);
	}
}

/* The rows of sql on SQLite, ?1 bound to arg (if not NULL), as text;
 * malloc'd. */
static char *lite_rows(sqlite3 *db, const char *sql, const char *arg, bool typed)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("SQLite: %s\n%s", sqlite3_errmsg(db), sql);
	if (arg != NULL)
		sqlite3_bind_text(q, 1, arg, -1, SQLITE_STATIC);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(q); i++) {
			if (i > 0)
				fputs(" | ", f);
			lite_value(f, q, i, typed);
		}
		fputc('\n', f);
	}
	fclose(f);
	if (rc != SQLITE_DONE) {
		free(text);
		fail_msg("SQLite: %s\n%s", sqlite3_errmsg(db), sql);
	}
	sqlite3_finalize(q);
	return text;
}

/* The same on PostgreSQL, $1 bound to arg. */
static char *pg_rows(PGconn *conn, const char *sql, const char *arg, bool typed)
{
	const char *params[1] = {arg};
	PGresult *r = PQexecParams(conn, sql, arg ? 1 : 0, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
		PQclear(r);
		fail_msg("PostgreSQL: %s\n%s", msg, sql);
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	for (int row = 0; row < PQntuples(r); row++) {
		for (int i = 0; i < PQnfields(r); i++) {
			if (i > 0)
				fputs(" | ", f);
			pg_value(f, r, row, i, typed);
		}
		fputc('\n', f);
	}
	fclose(f);
	PQclear(r);
	return text;
}

/* The nth value (from 0) of a line of values, into out. */
static void nth_value(const char *line, size_t len, int nth, char *out, size_t size)
{
	const char *end = line + len;
	for (; nth > 0 && line < end; nth--) {
		const char *sep = strstr(line, " | ");
		line = sep != NULL && sep < end ? sep + 3 : end;
	}
	const char *sep = strstr(line, " | ");
	size_t n = sep != NULL && sep < end ? (size_t)(sep - line) : (size_t)(end - line);
	snprintf(out, size, "%.*s", (int)n, line);
}

/* Fails on the first line where lite and pg differ, naming what, the line
 * and, with columns (the names of the values of a line, NULL-terminated),
 * the first column whose values differ. Frees both. */
static void same_rows(const char *what, char *lite, char *pg, char **columns)
{
	const char *a = lite, *b = pg;
	for (int line = 1; *a || *b; line++) {
		size_t na = strcspn(a, "\n"), nb = strcspn(b, "\n");
		if (*a != '\0' && *b != '\0' && na == nb && memcmp(a, b, na) == 0) {
			a += na + (a[na] == '\n');
			b += nb + (b[nb] == '\n');
			continue;
		}
		char la[1024], lb[1024], column[768] = "";
		snprintf(la, sizeof la, "%.*s", (int)na, *a ? a : "(no such row)");
		snprintf(lb, sizeof lb, "%.*s", (int)nb, *b ? b : "(no such row)");
		for (int i = 0; columns != NULL && *a && *b && columns[i] != NULL; i++) {
			char va[256], vb[256];
			nth_value(a, na, i, va, sizeof va);
			nth_value(b, nb, i, vb, sizeof vb);
			if (strcmp(va, vb) != 0) {
				snprintf(column, sizeof column,
				         ", column %s: SQLite %s, PostgreSQL %s", columns[i], va,
				         vb);
				break;
			}
		}
		free(lite);
		free(pg);
		fail_msg("%s differ at row %d%s\n  SQLite:     %s\n  PostgreSQL: %s", what, line,
		         column, la, lb);
	}
	free(lite);
	free(pg);
}

static void same_lines(const char *what, char *lite, char *pg)
{
	same_rows(what, lite, pg, NULL);
}

/* ---- the schema -------------------------------------------------------------- */

static const char lite_objects[] =
    "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'view') "
    "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name";
static const char pg_objects[] =
    "SELECT CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END, table_name::text "
    "FROM information_schema.tables WHERE table_schema = 'public' "
    "ORDER BY table_name::text COLLATE \"C\"";

/* A column as both describe it: name, type, NOT NULL, default, place in the
 * primary key, identity. SQLite's INTEGER, TEXT, BLOB and REAL are bigint,
 * text, bytea and double precision; a column of a view that SQLite gives no
 * type (an expression) may be any of those. A default is compared without
 * PostgreSQL's cast (''::text). A column of a primary key is NOT NULL. The
 * sole INTEGER column of the primary key of a table with rowids (its rowid)
 * is an identity. */
static const char lite_columns[] =
    "SELECT c.name, CASE upper(c.type) WHEN 'INTEGER' THEN 'bigint' WHEN 'TEXT' THEN 'text' "
    "WHEN 'BLOB' THEN 'bytea' WHEN 'REAL' THEN 'double precision' WHEN '' THEN '*' "
    "ELSE c.type END, "
    "CASE WHEN c.\"notnull\" OR c.pk > 0 THEN 'NOT NULL' ELSE 'NULL' END, "
    "coalesce(c.dflt_value, '-'), c.pk, "
    "CASE WHEN c.pk = 1 AND upper(c.type) = 'INTEGER' "
    "AND (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1 "
    "AND (SELECT sql NOT LIKE '%WITHOUT ROWID%' FROM sqlite_schema WHERE name = ?1) "
    "THEN 'identity' ELSE '-' END "
    "FROM pragma_table_info(?1) c ORDER BY c.cid";
static const char pg_columns[] =
    "SELECT c.column_name::text, c.data_type::text, "
    "CASE c.is_nullable WHEN 'NO' THEN 'NOT NULL' ELSE 'NULL' END, "
    "coalesce(regexp_replace(c.column_default::text, '::(text|bigint)$', ''), '-'), "
    "coalesce((SELECT k.ordinal_position FROM information_schema.table_constraints t "
    "JOIN information_schema.key_column_usage k ON k.constraint_schema = t.constraint_schema "
    "AND k.constraint_name = t.constraint_name AND k.table_name = t.table_name "
    "WHERE t.table_schema = 'public' AND t.table_name = c.table_name "
    "AND t.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name), 0), "
    "CASE c.is_identity WHEN 'YES' THEN 'identity' ELSE '-' END "
    "FROM information_schema.columns c "
    "WHERE c.table_schema = 'public' AND c.table_name = $1 ORDER BY c.ordinal_position";

static const char lite_uniques[] =
    "SELECT m.name || '(' || (SELECT group_concat(name, ',') FROM (SELECT name FROM "
    "pragma_index_info(l.name) ORDER BY seqno)) || ')' "
    "FROM sqlite_schema m, pragma_index_list(m.name) l "
    "WHERE m.type = 'table' AND l.origin = 'u' ORDER BY 1";
static const char pg_uniques[] =
    "SELECT x FROM (SELECT c.relname || '(' || (SELECT string_agg(a.attname::text, ',' "
    "ORDER BY k.n) FROM unnest(co.conkey) WITH ORDINALITY AS k(attnum, n) "
    "JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum) || ')' "
    "FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND co.contype = 'u') AS s(x) ORDER BY x COLLATE \"C\"";

static const char lite_foreign_keys[] =
    "SELECT m.name || '.' || f.\"from\" || ' -> ' || f.\"table\" || '(' || f.\"to\" || ')' "
    "FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' "
    "ORDER BY 1";
static const char pg_foreign_keys[] =
    "SELECT x FROM (SELECT c.relname || '.' || a.attname || ' -> ' || rc.relname || '(' || "
    "ra.attname || ')' FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid "
    "JOIN pg_class rc ON rc.oid = co.confrelid "
    "JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1] "
    "JOIN pg_attribute ra ON ra.attrelid = co.confrelid AND ra.attnum = co.confkey[1] "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND co.contype = 'f') AS s(x) ORDER BY x COLLATE \"C\"";

/* Indexes made by CREATE INDEX (not those of keys): table, columns,
 * partial, unique. */
static const char lite_indexes[] =
    "SELECT s.name || ' ON ' || s.tbl_name || '(' || (SELECT group_concat(name, ',') FROM "
    "(SELECT name FROM pragma_index_info(s.name) ORDER BY seqno)) || ')' || "
    "(SELECT CASE WHEN l.partial THEN ' partial' ELSE '' END || "
    "CASE WHEN l.\"unique\" THEN ' unique' ELSE '' END "
    "FROM pragma_index_list(s.tbl_name) l WHERE l.name = s.name) "
    "FROM sqlite_schema s WHERE s.type = 'index' AND s.sql IS NOT NULL ORDER BY s.name";
static const char pg_indexes[] =
    "SELECT ic.relname || ' ON ' || tc.relname || '(' || (SELECT string_agg(a.attname::text, "
    "',' ORDER BY k.n) FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) || ')' || "
    "CASE WHEN i.indpred IS NOT NULL THEN ' partial' ELSE '' END || "
    "CASE WHEN i.indisunique THEN ' unique' ELSE '' END "
    "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
    "JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace "
    "WHERE n.nspname = 'public' "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
    "ORDER BY ic.relname::text COLLATE \"C\"";

/* How many CHECKs each table has (SQLite: in its CREATE TABLE). */
static const char lite_checks[] =
    "SELECT name, (length(sql) - length(replace(sql, 'CHECK', ''))) / 5 FROM sqlite_schema "
    "WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name";
static const char pg_checks[] =
    "SELECT c.relname::text, (SELECT count(*) FROM pg_constraint co "
    "WHERE co.conrelid = c.oid AND co.contype = 'c') "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname::text COLLATE \"C\"";

/* A trigger: "name ON table: TIMING EVENT[ OF columns][ WHEN]", the columns
 * in order of their names; STATEMENT after the event for a trigger that is
 * not per row (SQLite's are all per row). */
static const char lite_triggers[] =
    "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name";
static const char pg_triggers[] =
    "SELECT t.tgname || ' ON ' || c.relname || ': ' || "
    "CASE WHEN t.tgtype & 2 <> 0 THEN 'BEFORE' WHEN t.tgtype & 64 <> 0 THEN 'INSTEAD OF' "
    "ELSE 'AFTER' END || ' ' || "
    "CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' WHEN t.tgtype & 8 <> 0 THEN 'DELETE' "
    "WHEN t.tgtype & 16 <> 0 THEN 'UPDATE' ELSE '?' END || "
    "coalesce(' OF ' || (SELECT string_agg(a.attname::text, ',' ORDER BY a.attname::text "
    "COLLATE \"C\") FROM unnest(t.tgattr::int2[]) AS k(attnum) JOIN pg_attribute a "
    "ON a.attrelid = t.tgrelid AND a.attnum = k.attnum), '') || "
    "CASE WHEN t.tgtype & 1 = 0 THEN ' STATEMENT' ELSE '' END || "
    "CASE WHEN t.tgqual IS NOT NULL THEN ' WHEN' ELSE '' END "
    "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE NOT t.tgisinternal AND n.nspname = 'public' ORDER BY t.tgname::text COLLATE \"C\"";

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes the line of pg_triggers for SQLite's CREATE TRIGGER sql. */
static void trigger_line(FILE *f, const char *name, const char *table, const char *sql)
{
	char head[1024];
	size_t n = 0;
	bool space = false;
	for (const char *s = sql; *s && n + 2 < sizeof head; s++) {
		if (isspace((unsigned char)*s)) {
			space = true;
			continue;
		}
		if (space && n > 0)
			head[n++] = ' ';
		space = false;
		head[n++] = *s;
	}
	head[n] = '\0';
	char *end = strstr(head, " BEGIN ");
	if (end != NULL)
		*end = '\0';
	const char *timing = strstr(head, " INSTEAD OF ") ? "INSTEAD OF"
	                     : strstr(head, " BEFORE ")   ? "BEFORE"
	                                                  : "AFTER";
	const char *event = strstr(head, " INSERT ")   ? "INSERT"
	                    : strstr(head, " DELETE ") ? "DELETE"
	                                               : "UPDATE";
	bool when = strstr(head, " WHEN ") != NULL;
	fprintf(f, "%s ON %s: %s %s", name, table, timing, event);
	char *of = strstr(head, " UPDATE OF ");
	if (of != NULL) {
		of += strlen(" UPDATE OF ");
		char *on = strstr(of, " ON ");
		assert_non_null(on);
		*on = '\0';
		char *cols[32];
		int k = 0;
		for (char *c = strtok(of, ", "); c != NULL && k < 32; c = strtok(NULL, ", "))
			cols[k++] = c;
		qsort(cols, (size_t)k, sizeof cols[0], compare_names);
		for (int i = 0; i < k; i++)
			fprintf(f, "%s%s", i ? "," : " OF ", cols[i]);
	}
	if (when)
		fputs(" WHEN", f);
	fputc('\n', f);
}

static char *lite_trigger_lines(sqlite3 *db)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, lite_triggers, -1, &q, NULL), SQLITE_OK);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	while (sqlite3_step(q) == SQLITE_ROW)
		trigger_line(f, (const char *)sqlite3_column_text(q, 0),
		             (const char *)sqlite3_column_text(q, 1),
		             (const char *)sqlite3_column_text(q, 2));
	fclose(f);
	sqlite3_finalize(q);
	return text;
}

/* The names of SQLite's tables and views, NULL-terminated; malloc'd. */
static char **object_names(sqlite3 *db)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, lite_objects, -1, &q, NULL), SQLITE_OK);
	size_t n = 0;
	char **names = calloc(1, sizeof *names);
	assert_non_null(names);
	while (sqlite3_step(q) == SQLITE_ROW) {
		names = realloc(names, (n + 2) * sizeof *names);
		assert_non_null(names);
		names[n] = strdup((const char *)sqlite3_column_text(q, 1));
		assert_non_null(names[n]);
		names[++n] = NULL;
	}
	sqlite3_finalize(q);
	return names;
}

static void free_names(char **names)
{
	for (char **s = names; *s; s++)
		free(*s);
	free(names);
}

/* The names of the columns of table or view name, NULL-terminated;
 * malloc'd. */
static char **column_names(sqlite3 *db, const char *name)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
	                                    -1, &q, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	size_t n = 0;
	char **names = calloc(1, sizeof *names);
	assert_non_null(names);
	while (sqlite3_step(q) == SQLITE_ROW) {
		names = realloc(names, (n + 2) * sizeof *names);
		assert_non_null(names);
		names[n] = strdup((const char *)sqlite3_column_text(q, 0));
		assert_non_null(names[n]);
		names[++n] = NULL;
	}
	sqlite3_finalize(q);
	return names;
}

/* The columns of table or view name. */
static void compare_columns(pair *p, const char *name)
{
	char *lite = lite_rows(p->lite, lite_columns, name, false);
	const char *params[1] = {name};
	PGresult *r = PQexecParams(p->conn, pg_columns, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("PostgreSQL: %s", PQresultErrorMessage(r));
	char *pg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&pg, &len);
	assert_non_null(f);
	const char *l = lite;
	for (int row = 0; row < PQntuples(r); row++) {
		/* SQLite's type of the column on the same line: '*', none. */
		const char *type = strstr(l, " | ");
		bool untyped = type != NULL && strncmp(type, " | * | ", 7) == 0;
		const char *pg_type = PQgetvalue(r, row, 1);
		for (int i = 0; i < PQnfields(r); i++) {
			if (i > 0)
				fputs(" | ", f);
			if (i == 1 && untyped &&
			    (strcmp(pg_type, "bigint") == 0 || strcmp(pg_type, "text") == 0 ||
			     strcmp(pg_type, "bytea") == 0 ||
			     strcmp(pg_type, "double precision") == 0))
				fputc('*', f);
			else
				pg_value(f, r, row, i, false);
		}
		fputc('\n', f);
		l += strcspn(l, "\n");
		if (*l == '\n')
			l++;
	}
	fclose(f);
	PQclear(r);
	char what[128];
	snprintf(what, sizeof what, "the columns of %s", name);
	same_lines(what, lite, pg);
}

static void compare_schema(pair *p)
{
	same_lines("the tables and views", lite_rows(p->lite, lite_objects, NULL, false),
	           pg_rows(p->conn, pg_objects, NULL, false));
	char **names = object_names(p->lite);
	for (char **s = names; *s; s++)
		compare_columns(p, *s);
	free_names(names);
	same_lines("the unique keys", lite_rows(p->lite, lite_uniques, NULL, false),
	           pg_rows(p->conn, pg_uniques, NULL, false));
	same_lines("the foreign keys", lite_rows(p->lite, lite_foreign_keys, NULL, false),
	           pg_rows(p->conn, pg_foreign_keys, NULL, false));
	same_lines("the indexes", lite_rows(p->lite, lite_indexes, NULL, false),
	           pg_rows(p->conn, pg_indexes, NULL, false));
	same_lines("the checks", lite_rows(p->lite, lite_checks, NULL, false),
	           pg_rows(p->conn, pg_checks, NULL, false));
	same_lines("the triggers", lite_trigger_lines(p->lite),
	           pg_rows(p->conn, pg_triggers, NULL, false));
}

/* ---- the rows ------------------------------------------------------------------ */

/* Every row of every table and view, in the order of all its columns
 * (NULL first on both), typed; with nonempty, each must have rows. */
static void compare_contents(pair *p, bool nonempty)
{
	char **names = object_names(p->lite);
	for (char **s = names; *s; s++) {
		char sql[2048];
		int n = snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY ", *s);
		sqlite3_stmt *q;
		char info[256];
		snprintf(info, sizeof info, "SELECT count(*) FROM pragma_table_info('%s')", *s);
		assert_int_equal(sqlite3_prepare_v2(p->lite, info, -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		int columns = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
		for (int i = 1; i <= columns; i++)
			n += snprintf(sql + n, sizeof sql - (size_t)n, "%s%d NULLS FIRST",
			              i > 1 ? ", " : "", i);
		char *lite = lite_rows(p->lite, sql, NULL, true);
		char *pg = pg_rows(p->conn, sql, NULL, true);
		if (nonempty && lite[0] == '\0') {
			free(lite);
			free(pg);
			fail_msg("the fixture leaves %s empty", *s);
		}
		char what[128];
		snprintf(what, sizeof what, "the rows of %s", *s);
		char **cols = column_names(p->lite, *s);
		same_rows(what, lite, pg, cols);
		free_names(cols);
	}
	free_names(names);
}

/* sql's rows on both databases, as text: values " " between them, rows
 * "; " between them, "none" for no row; each must be want. */
static void expect(pair *p, const char *sql, const char *want)
{
	char *sides[2] = {lite_rows(p->lite, sql, NULL, false), pg_rows(p->conn, sql, NULL, false)};
	static const char *side_names[2] = {"SQLite", "PostgreSQL"};
	for (int k = 0; k < 2; k++) {
		char got[2048] = "";
		size_t n = 0;
		for (const char *s = sides[k]; *s && n + 4 < sizeof got; s++) {
			if (s[0] == ' ' && s[1] == '|' && s[2] == ' ') {
				got[n++] = ' ';
				s += 2;
			} else if (*s == '\n') {
				if (s[1] != '\0') {
					got[n++] = ';';
					got[n++] = ' ';
				}
			} else {
				got[n++] = *s;
			}
		}
		got[n] = '\0';
		if (n == 0)
			snprintf(got, sizeof got, "none");
		if (strcmp(got, want) != 0) {
			free(sides[0]);
			free(sides[1]);
			fail_msg("%s: %s\n  got  %s\n  want %s", side_names[k], sql, got, want);
		}
	}
	free(sides[0]);
	free(sides[1]);
}

/* ---- the fixture ------------------------------------------------------------ */

typedef struct stage {
	int version; /* the schema its statements need */
	char *sql;
} stage;

/* schema_parity.sql cut at its "-- @stage N" lines; *n of them. */
static stage *load_stages(int *n)
{
	FILE *f = fopen(PARITY_FIXTURE, "r");
	if (f == NULL)
		fail_msg("cannot read %s", PARITY_FIXTURE);
	stage *stages = NULL;
	*n = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *out = NULL;
	size_t len;
	while (getline(&line, &cap, f) != -1) {
		int version;
		if (sscanf(line, "-- @stage %d", &version) == 1) {
			if (out != NULL)
				fclose(out);
			stages = realloc(stages, (size_t)(*n + 1) * sizeof *stages);
			assert_non_null(stages);
			stages[*n].version = version;
			stages[*n].sql = NULL;
			out = open_memstream(&stages[*n].sql, &len);
			assert_non_null(out);
			(*n)++;
		} else if (out != NULL) {
			fputs(line, out);
		}
	}
	if (out != NULL)
		fclose(out);
	free(line);
	fclose(f);
	assert_true(*n > 0);
	return stages;
}

static void free_stages(stage *stages, int n)
{
	for (int i = 0; i < n; i++)
		free(stages[i].sql);
	free(stages);
}

/* Runs each statement of sql on SQLite, then the same text on PostgreSQL. */
static void run(pair *p, const char *sql)
{
	const char *s = sql;
	for (;;) {
		sqlite3_stmt *q = NULL;
		const char *tail = NULL;
		if (sqlite3_prepare_v2(p->lite, s, -1, &q, &tail) != SQLITE_OK)
			fail_msg("SQLite: %s\n%.600s", sqlite3_errmsg(p->lite), s);
		if (q == NULL)
			break; /* nothing but spaces and comments left */
		char *text = strndup(s, (size_t)(tail - s));
		assert_non_null(text);
		int rc;
		while ((rc = sqlite3_step(q)) == SQLITE_ROW)
			;
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE) {
			char msg[512];
			snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(p->lite));
			char copy[2048];
			snprintf(copy, sizeof copy, "%s", text);
			free(text);
			fail_msg("SQLite: %s\n%s", msg, copy);
		}
		ls_status st = {0};
		if (srv_pg_exec(p->pg, text, &st) != LS_OK) {
			char copy[2048];
			snprintf(copy, sizeof copy, "%s", text);
			free(text);
			fail_msg("PostgreSQL: %s\n%s", st.message, copy);
		}
		free(text);
		s = tail;
	}
}

/* A photo of every byte, bound as a blob on both sides (the fixture's
 * blobs are text). */
static void insert_binary_photo(pair *p)
{
	static const char sql[] =
	    "INSERT INTO photos(id, update_id, name, content_type, size, data) "
	    "VALUES (2, 1, ?1, 'image/png', 256, ?2)";
	unsigned char bytes[256];
	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)(255 - i);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(p->lite, sql, -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, "every byte.png", -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, bytes, sizeof bytes, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	struct srv_pgq *pq = srv_pgq_prepare(p->pg, sql);
	if (pq == NULL)
		fail_msg("PostgreSQL: %s", srv_pg_errmsg(p->pg));
	srv_pgq_bind_text(pq, 1, "every byte.png");
	srv_pgq_bind_blob(pq, 2, bytes, sizeof bytes);
	int rc = srv_pgq_step(pq);
	srv_pgq_free(pq);
	if (rc != SRV_DONE)
		fail_msg("PostgreSQL: %s", srv_pg_errmsg(p->pg));
}

/* sql must fail on both as a constraint (SQLite: SQLITE_CONSTRAINT;
 * PostgreSQL: a SQLSTATE of class 23, which the store reads as that), with
 * message in both messages if not NULL. */
static void refused(pair *p, const char *sql, const char *message)
{
	char *err = NULL;
	int rc = sqlite3_exec(p->lite, sql, NULL, NULL, &err);
	char lite_msg[512];
	snprintf(lite_msg, sizeof lite_msg, "%s", err ? err : "");
	sqlite3_free(err);
	if ((rc & 0xff) != SQLITE_CONSTRAINT)
		fail_msg("SQLite did not refuse as a constraint (%d: %s): %s", rc, lite_msg, sql);
	PGresult *r = PQexec(p->conn, sql);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	char pg_msg[512], pg_state[8];
	snprintf(pg_msg, sizeof pg_msg, "%s", PQresultErrorMessage(r));
	snprintf(pg_state, sizeof pg_state, "%s", state ? state : "none");
	ExecStatusType t = PQresultStatus(r);
	PQclear(r);
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || strncmp(pg_state, "23", 2) != 0)
		fail_msg("PostgreSQL did not refuse as a constraint (%s: %s): %s", pg_state, pg_msg,
		         sql);
	if (message != NULL &&
	    (strstr(lite_msg, message) == NULL || strstr(pg_msg, message) == NULL))
		fail_msg("%s\n  SQLite:     %s\n  PostgreSQL: %s\n  want: %s", sql, lite_msg,
		         pg_msg, message);
}

/* What both schemas refuse, after the fixture. */
static void check_refusals(pair *p)
{
	refused(p, "UPDATE audit_log SET method = 'x' WHERE id = 1", "audit_log is append-only");
	refused(p, "DELETE FROM audit_log WHERE id = 2", "audit_log is append-only");
	refused(p, "UPDATE snapshots SET month = '2026-02' WHERE id = 1",
	        "snapshots are never changed");
	refused(p, "DELETE FROM snapshots WHERE id = 1", "snapshots are never changed");
	refused(p, "UPDATE snapshot_rows SET percent = 0 WHERE project_id = 1",
	        "snapshots are never changed");
	refused(p, "DELETE FROM snapshot_rows WHERE project_id = 2", "snapshots are never changed");
	/* Row triggers: a statement that changes no row is let through. */
	run(p, "UPDATE audit_log SET method = 'x' WHERE id = 999; "
	       "DELETE FROM snapshots WHERE id = 999;");

	refused(p,
	        "INSERT INTO units(id, code, name, kind, created_at) "
	        "VALUES (99, 'V', 'v', 'village', 't')",
	        NULL);
	refused(p, "UPDATE units SET active = 2 WHERE id = 1", NULL);
	refused(p, "UPDATE units SET support_group = 'other' WHERE id = 6", NULL);
	refused(p,
	        "INSERT INTO units(id, code, name, kind, created_at) "
	        "VALUES (99, 'C', 'x', 'city', 't')",
	        NULL);
	refused(p, "INSERT INTO people(id, code, unit_id, created_at) VALUES (99, 'Z', 1, 't')",
	        NULL);
	refused(p, "INSERT INTO plans(project_id, year, month, invested) VALUES (1, 1999, 1, 1)",
	        NULL);
	refused(p, "INSERT INTO plans(project_id, year, month, invested) VALUES (1, 2026, 1, 5)",
	        NULL);
	refused(p, "UPDATE projects SET planned_finish = '2025-01-01' WHERE id = 1", NULL);
	refused(p, "UPDATE projects SET frequency = 'daily' WHERE id = 1", NULL);
	refused(p, "DELETE FROM projects WHERE id = 4", NULL);
	refused(p,
	        "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) "
	        "VALUES (99, 42, 'x', '2026-01-01', 1, 't')",
	        NULL);
	refused(p, "INSERT INTO project_units(project_id, unit_id) VALUES (1, 5)", NULL);
	refused(p, "UPDATE updates SET percent = 101 WHERE id = 1", NULL);
	refused(p, "UPDATE updates SET period = '2026-W02' WHERE id = 5", NULL);
	refused(p,
	        "INSERT INTO reminders(id, recipient_kind, recipient_id, seq, kind, "
	        "subject_key, window_key, text, created_at) "
	        "VALUES (99, 'unit', 3, 9, 'bogus', 'x', 'y', 'z', 't')",
	        NULL);
	refused(p,
	        "INSERT INTO reminders(id, recipient_kind, recipient_id, seq, kind, "
	        "subject_key, window_key, text, created_at) "
	        "VALUES (99, 'unit', 3, 1, 'notice', 'x', 'y', 'z', 't')",
	        NULL);
	refused(p, "UPDATE rectifications SET status = 'done' WHERE id = 1", NULL);
	refused(p, "UPDATE accountability SET person_id = NULL WHERE id = 1", NULL);
	refused(p, "UPDATE funding SET unit_id = 3 WHERE id = 1", NULL);
	refused(p, "UPDATE approvals SET approved = '2025-12-31' WHERE id = 1", NULL);
	refused(p, "UPDATE webhook_deliveries SET status = 'lost' WHERE id = 1", NULL);
	refused(p,
	        "INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, "
	        "created_at) VALUES (1, CAST('key-a' AS BLOB), CAST('r' AS BLOB), "
	        "CAST('s' AS BLOB), 1)",
	        NULL);
	refused(p, "INSERT INTO query_slots(year, month, project_id) VALUES (2026, 13, 1)", NULL);
}

/* ---- the tests ------------------------------------------------------------------ */

/* Both sets hold the same migrations, numbered and named alike. */
static void test_numbered_alike(void **state)
{
	(void)state;
	assert_int_equal(srv_pg_n_migrations, srv_n_migrations);
	for (int i = 0; i < srv_n_migrations; i++) {
		assert_int_equal(srv_pg_migrations[i].version, srv_migrations[i].version);
		assert_string_equal(srv_pg_migrations[i].name, srv_migrations[i].name);
	}
}

/* Figures of the end of both runs, worked out by hand from the fixture.
 *
 * P1's year 2026 (query_years). Its plans: January 100, March 220 (200,
 * then set to 220), June 350 (300, set to 350), December 50 (November's,
 * moved), so plan1..plan12 = 100 100 320 320 320 670 670 670 670 670 670
 * 720. Its updates that count (latest, ending in 2026), by the month of
 * their last day: January, week 2 (10, set to 12; output 2); February,
 * week 5 ending Sunday 02-01 (7; output 1, set to 3); March, week 10 (its
 * revision 2: 25, output 5; revision 1 superseded and removed); April, week
 * 14 ending 04-05 (30, no output); November, week 48 (50, output 10);
 * December, week 49 (0, 0). Week 53 ends in 2027 and counts nowhere. So
 * inv1..12 = 12, 12+7 = 19, 19+25 = 44, 44+30 = 74 (May..October the
 * same), 74+50 = 124, 124; out1..12 = 2, 2+3 = 5, 5+5 = 10 (April..October
 * the same), 10+10 = 20, 20.
 *
 * Its slots (query_slots): January's week ends on the month's 2nd Sunday
 * (the 11th): inv2..inv6 = 12, out2..out6 = 2. February's on its 1st (the
 * 1st): 7 and 3 in every slot. November's on its 5th (the 29th): inv5 =
 * inv6 = 50, out5 = out6 = 10. December's has no money: no row.
 *
 * query_projects: P1 is city (1), industrial (1), new (1), in town 3, led
 * by person 2 (changed from 1) and unit 5, weekly (0); 2026-01-01 is day
 * 20454 since 1970-01-01 (56 × 365 + 14 leap days), 2027-12-31 day 20454 +
 * 365 + 364 = 21183; not archived. Its newest update is week 53 (ending
 * 2027-01-03, day 20819 + 2 = 20821; revision 1; 30%), settled on the
 * later of 2026-12-28 and its sending, 2027-01-04: day 20822. P3 is town
 * (3), infrastructure (3), new (1), town 3, person 1, unit 3; it starts
 * '2026-02-30', which SQLite reads as 2026-03-02 (20454 + 59 + 1 = 20514),
 * and finishes '2026-12-31 18:00', day 20818.75, cut to 20818. Its newest
 * is its May (ending 2026-05-31, day 20454 + 120 + 30 = 20604; revision
 * 1; 24%): it ends on the day week 22 ends, with the same revision, and
 * was added after it, so that it was the newest found when week 22 was
 * changed, and alone after week 22 was removed; sent 2026-06-02 (20606).
 * P4 (district 2, livelihood 4, continuing 2, no town, person 2, unit 5)
 * has dates SQLite cannot read ('TBD': no day), is archived, and has no
 * update left (P2's February was moved to it and back). */
static void check_final_figures(pair *p)
{
	expect(p,
	       "SELECT plan1, plan2, plan3, plan4, plan5, plan6, plan7, plan8, plan9, plan10, "
	       "plan11, plan12, inv1, inv2, inv3, inv4, inv5, inv6, inv7, inv8, inv9, inv10, "
	       "inv11, inv12, out1, out2, out3, out4, out5, out6, out7, out8, out9, out10, out11, "
	       "out12 FROM query_years WHERE year = 2026 AND project_id = 1",
	       "100 100 320 320 320 670 670 670 670 670 670 720 "
	       "12 19 44 74 74 74 74 74 74 74 124 124 2 5 10 10 10 10 10 10 10 10 20 20");
	expect(p,
	       "SELECT month, inv1, inv2, inv3, inv4, inv5, inv6, out1, out2, out3, out4, out5, "
	       "out6 FROM query_slots WHERE year = 2026 AND project_id = 1 "
	       "AND month IN (1, 2, 11, 12) ORDER BY month",
	       "1 0 12 12 12 12 12 0 2 2 2 2 2; 2 7 7 7 7 7 7 3 3 3 3 3 3; "
	       "11 0 0 0 0 50 50 0 0 0 0 10 10");
	/* The view reads query_years. */
	expect(p,
	       "SELECT day, plan, invested, output FROM query_amount "
	       "WHERE year = 2026 AND project_id = 1",
	       "NULL 720 124 20");
	expect(p,
	       "SELECT id, level, category, stage, town_id, lead_leader_id, lead_unit_id, monthly, "
	       "start_day, finish_day, archived, period, period_last, revision, percent, "
	       "settled_on FROM query_projects WHERE id IN (1, 3, 4) ORDER BY id",
	       "1 1 1 1 3 2 5 0 20454 21183 0 2026-W53 20821 1 30 20822; "
	       "3 3 3 1 3 1 3 0 20514 20818 0 2026-05 20604 1 24 20606; "
	       "4 2 4 2 NULL 2 5 0 NULL NULL 1 NULL NULL NULL NULL NULL");
	/* Deliveries, numbered as the reminders and their webhooks came: the
	 * three of stage 10 (reminder 4 to T1's webhooks 1 and 2, webhook 3
	 * removed; reminder 5 to person 1's webhook 4; none for DEV's reminder
	 * 6), the test message, then reminder 7 to webhooks 1 and 2, and
	 * reminder 8 to webhook 2 only (1 removed in between). */
	expect(p,
	       "SELECT id, webhook_id, reminder_id, status, attempts FROM webhook_deliveries "
	       "ORDER BY id",
	       "1 1 4 delivered 1; 2 2 4 failed 2; 3 4 5 pending 0; 4 2 NULL pending 0; "
	       "5 1 7 pending 0; 6 2 7 pending 0; 7 2 8 pending 0");
}

/* The fixture on the schema of every migration. */
static void test_fresh(void **state)
{
	pair *p = *state;
	migrate(p, srv_n_migrations ? srv_migrations[srv_n_migrations - 1].version : 0);
	compare_schema(p);
	int n;
	stage *stages = load_stages(&n);
	for (int i = 0; i < n; i++) {
		run(p, stages[i].sql);
		if (i == 0)
			insert_binary_photo(p);
	}
	free_stages(stages, n);
	check_refusals(p);
	compare_contents(p, true);
	check_final_figures(p);
	/* The stamps of query_dirty, counted by hand along the fixture: 37 in
	 * stage 4 (14 of units and people, 5 of projects, 5 of plans, 4 of
	 * nodes, 5 of updates, 4 of problems, one of them resolved), 26 in
	 * stage 10 (up to 63), 52 in stage 12 (up to 115: first P7's fourteen;
	 * the last of project 4 its archiving, 91; P5's renumbering 92 and 93
	 * and removal 94; then nodes, problems, and units and people, the last,
	 * 115, for project 0), 19 in stage 13 (116 to 134: P7's eight first,
	 * the last 123; P3's last the removal of its week 22, 130, P1's that of
	 * its revision 1, 131, P2's the three changes of its December, the last
	 * 134), none in stage 14. */
	expect(p, "SELECT project_id, seq FROM query_dirty ORDER BY project_id",
	       "0 115; 1 131; 2 134; 3 130; 4 91; 5 92; 6 94; 7 123");
	expect(p, "SELECT project_id FROM query_stamp ORDER BY project_id",
	       "0; 1; 2; 3; 4; 5; 6; 7");
	/* Idempotency records: key-c (1) written first and taken out, key-b
	 * (2), key-a (3), key-c again (4), key-d (5); key-b's account's taken
	 * out. */
	expect(p, "SELECT id, account_id, created_at FROM idempotency_keys ORDER BY id",
	       "3 1 1767920500; 4 1 1767920400; 5 3 1767920600");
}

/* The fixture stage by stage, each on the schema of its migration, the
 * next migrations applied to the rows already there. */
static void test_staged(void **state)
{
	pair *p = *state;
	int n;
	stage *stages = load_stages(&n);
	for (int i = 0; i < n; i++) {
		migrate(p, stages[i].version);
		compare_schema(p);
		run(p, stages[i].sql);
		if (i == 0)
			insert_binary_photo(p);
		compare_contents(p, false);
		if (stages[i].version == 10) {
			/* 005's backfill and triggers. P1's March of 2026: plans
			 * January 100 and March 200 (300 to date), June 350 and
			 * November 50 (700 in the year); before March, weeks 2 (10,
			 * output 2) and 5 (7, output 1): 17 and 3 in inv0, and inv1
			 * (March 1st, its 1st Sunday, ends no period); week 10
			 * (revision 2: 25, output 5) ends on its 2nd Sunday: 42 and 8
			 * from inv2 on. No 2025 rows: no pinv. P2's December of 2026
			 * carries its December of 2025 (90, output 30, ending 12-31,
			 * after the 4th and last Sunday: slot 5) in pinv5 and pinv6,
			 * and its January of 2026 (200 set to 210, output 55) in every
			 * inv; its plan (January 500). */
			expect(
			    p,
			    "SELECT plan_ytd, plan_year, inv0, inv1, inv2, inv3, inv4, inv5, inv6, "
			    "out0, out1, out2, out3, out4, out5, out6, pinv0, pinv1, pinv2, pinv3, "
			    "pinv4, pinv5, pinv6, pout0, pout1, pout2, pout3, pout4, pout5, pout6 "
			    "FROM query_months WHERE (year, month, project_id) IN "
			    "((2026, 3, 1), (2026, 12, 2)) ORDER BY project_id",
			    "300 700 17 17 42 42 42 42 42 3 3 8 8 8 8 8 0 0 0 0 0 0 0 0 0 0 0 0 0 0; "
			    "500 500 210 210 210 210 210 210 210 55 55 55 55 55 55 55 "
			    "0 0 0 0 0 90 90 0 0 0 0 0 30 30");
		}
		if (stages[i].version == 12) {
			/* 011's triggers. P3's May: weeks 20 (100, output 20) and 22
			 * (60, output 4) end on its 3rd and 5th Sundays, its month
			 * (no money) on the 5th; plans May 120 and January 500 (moved
			 * from P2). */
			expect(
			    p,
			    "SELECT plan_ytd, plan_year, inv0, inv1, inv2, inv3, inv4, inv5, inv6, "
			    "out0, out1, out2, out3, out4, out5, out6 FROM query_months "
			    "WHERE year = 2026 AND month = 5 AND project_id = 3",
			    "620 620 0 0 0 100 100 160 160 0 0 0 20 20 24 24");
		}
	}
	free_stages(stages, n);
	check_refusals(p);
	compare_contents(p, true);
	check_final_figures(p);
	/* query_dirty begins with 012: stage 12's 52 stamps and stage 13's 19,
	 * 63 fewer than in test_fresh. */
	expect(p, "SELECT project_id, seq FROM query_dirty ORDER BY project_id",
	       "0 52; 1 68; 2 71; 3 67; 4 28; 5 29; 6 31; 7 60");
	/* 014 numbered the three records there by time, then account: key-c
	 * again (1), key-a (2, account 1), key-b (3, account 2); key-d (4);
	 * key-b's account's taken out. */
	expect(p, "SELECT id, account_id, created_at FROM idempotency_keys ORDER BY id",
	       "1 1 1767920400; 2 1 1767920500; 4 3 1767920600");
}

/* PostgreSQL's stand-ins for SQLite's functions (005) on texts of every
 * shape: the day of julianday(), its exact value, the weekday of
 * strftime('%w'), the slot of a day (005's w), CAST(... AS INTEGER),
 * printf('%04d') and max() of two texts. */
static void test_sqlite_functions(void **state)
{
	pair *p = *state;
	migrate(p, 5);
	static const char *const texts[] = {
	    /* dates, with times and zones, past the month's end */
	    "2026-01-01", "2026-02-30", "2026-01-01T12:00", "2026-01-01 T 12:00:30.25 +08:00",
	    "2026-01-01 12:00Z", "2026-01-01 24:00", "2026-01-01 12:00 -03:30",
	    "2026-01-01 12:00 +14:59", "2026-01-01 12:00:00.5 Z", "2026-01-0112:00", "2026-01-01T",
	    "2026-01-01  ", "2026-01-01TT12:00", "2026-01-01\t12:00", "2000-01-01 00:00:00.0005",
	    "2000-01-01 00:00:00.0004", "2026-01-01 12:00:00.123456789", "9999-12-31 23:59:59.999",
	    "0000-01-01", "-0001-01-01", "-4713-11-25", "1969-12-31 12:00", "1969-12-31",
	    "2024-02-29", "2026-02-29", "2026-11-29", "2026-05-31", "2026-08-31", "2026-12-31",
	    "2026-06-15",
	    /* times alone, Julian day numbers, 'now' aside */
	    "12:00", "24:00", "12:30:15.5Z", "2026", " 2026.5 ", "1e3", ".5", "5.", "5373484.4",
	    /* what SQLite reads as no date */
	    "-1", "5373484.5", "2026-1-01", "2026-01-01x", "soon", "", "2026-13-01", "2026-00-10",
	    "2026-01-32", "-4713-01-01", "-4714-01-01", "2026-01-01 12:00:60", "2026-01-01 12:60",
	    "2026-01-01 25:00", "2026-01-01 12:00 +15:00", "2026-01-01 12:00:00.", "+2026-01-01",
	    "2026-11-", "2026-06-15b",
	    /* integers and not */
	    "  42abc", "+7", "-", "99999999999999999999", "-99999999999999999999", "0x10"};
	static const char lite_sql[] =
	    "SELECT CAST(julianday(?1) - 2440587.5 AS INTEGER), julianday(?1), "
	    "CAST(strftime('%w', ?1) AS INTEGER), "
	    "(CAST(substr(?1, 9, 2) AS INTEGER) + 12 "
	    "- (7 - CAST(strftime('%w', substr(?1, 1, 8) || '01') AS INTEGER)) % 7) / 7, "
	    "CAST(?1 AS INTEGER), printf('%04d', CAST(?1 AS INTEGER)), "
	    "printf('%02d', CAST(substr(?1, 6, 2) AS INTEGER)), max(?1, '2026-06-15'), "
	    "max(?1, NULL)";
	static const char pg_sql[] =
	    "SELECT ls_days($1), ls_ijd($1) / 86400000.0::double precision, ls_weekday($1), "
	    "ls_slot($1), ls_int($1), ls_pad(ls_int($1), 4), ls_pad(ls_int(substr($1, 6, 2)), 2), "
	    "ls_max($1, '2026-06-15'), ls_max($1, NULL)";
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char what[96];
		snprintf(what, sizeof what, "the functions of '%s'", texts[i]);
		same_lines(what, lite_rows(p->lite, lite_sql, texts[i], true),
		           pg_rows(p->conn, pg_sql, texts[i], true));
	}
}

/* The ids of SRV_SUBTREE(root) as q gives them, "3,4", ascending. */
static void subtree_ids(srv_q *q, int64_t root, char *out, size_t n)
{
	out[0] = '\0';
	srv_bind_int64(q, 1, root);
	int rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		size_t len = strlen(out);
		snprintf(out + len, n - len, "%s%lld", len ? "," : "",
		         (long long)srv_col_int64(q, 0));
	}
	assert_int_equal(rc, SRV_DONE);
	srv_reset(q);
}

/* A unit's subtree: SQLite runs the recursive CTE as written, PostgreSQL
 * the ls_subtree function the statement layer puts in its place; both
 * give the unit and every unit below it, and nothing for no unit. */
static void test_subtree(void **state)
{
	pair *p = *state;
	migrate(p, srv_n_migrations ? srv_migrations[srv_n_migrations - 1].version : 0);
	/* 1 city > 2 district > 3 town, 4 department > 6 support group,
	 * 5 inspection group; 7 a second city alone. */
	static const char units[] =
	    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES "
	    "(1, 'C', 'c', 'city', NULL, 't'), (2, 'D', 'd', 'district', 1, 't'), "
	    "(3, 'T', 't', 'town', 2, 't'), (4, 'DEP', 'dep', 'department', 2, 't'), "
	    "(5, 'IG', 'ig', 'inspection_group', 2, 't'), "
	    "(6, 'SG', 'sg', 'support_group', 4, 't'), (7, 'C2', 'c2', 'city', NULL, 't')";
	lite_exec(p->lite, units);
	pg_exec(p->pg, units);
	static const char sql[] =
	    "SELECT id FROM units WHERE id IN " SRV_SUBTREE("?1") " ORDER BY id";
	srv_q lq = {0}, pq = {0};
	assert_int_equal(sqlite3_prepare_v2(p->lite, sql, -1, &lq.lite, NULL), SQLITE_OK);
	pq.pg = srv_pgq_prepare(p->pg, sql);
	if (pq.pg == NULL)
		fail_msg("PostgreSQL: %s", srv_pg_errmsg(p->pg));
	static const struct {
		int64_t root;
		const char *ids;
	} cases[] = {{1, "1,2,3,4,5,6"}, {2, "2,3,4,5,6"}, {4, "4,6"},
	             {3, "3"},           {7, "7"},         {99, ""}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char lite[64], pg[64];
		subtree_ids(&lq, cases[i].root, lite, sizeof lite);
		subtree_ids(&pq, cases[i].root, pg, sizeof pg);
		assert_string_equal(lite, cases[i].ids);
		assert_string_equal(pg, cases[i].ids);
	}
	sqlite3_finalize(lq.lite);
	/* What PostgreSQL prepared calls the function, not the CTE. */
	srv_q seen = {.pg = srv_pgq_prepare(p->pg, "SELECT count(*) FROM pg_prepared_statements"
	                                           " WHERE statement LIKE '%FROM ls_subtree($1)%'"
	                                           " AND statement NOT LIKE '%RECURSIVE%'")};
	assert_non_null(seen.pg);
	assert_int_equal(srv_step(&seen), SRV_ROW);
	assert_int_equal(srv_col_int64(&seen, 0), 1);
	srv_pgq_free(seen.pg);
	srv_pgq_free(pq.pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbered_alike),
	    cmocka_unit_test_setup_teardown(test_sqlite_functions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_staged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_subtree, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
