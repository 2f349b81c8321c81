/* The store's statements on PostgreSQL, through libpq (see db.h).
 *
 * Each statement is prepared on the server once, under a name of its own,
 * with its parameters rewritten from SQLite's ?N and :name to $N. A step
 * runs it (the first) or moves to the next row of the answer, which libpq
 * holds whole. Values go and come back as text, but for blobs, which are
 * sent as bytes; a bytea column is read back from its hex form.
 *
 * A connection that breaks (the server restarted, or failed over to its
 * standby) is made again on next use, through the same URL, which may name
 * several hosts (libpq tries each; target_session_attrs=read-write finds
 * the primary). Each new connection is a new generation: statements are
 * prepared again on it, and LISTEN is said again. A transaction open when
 * the connection broke is gone with it: until the store rolls it back,
 * every statement fails with SQLITE_BUSY, so that no statement of it runs
 * on the new connection outside its transaction. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "store_int.h"

#define PARAMS_MAX 255 /* as many as a statement may have here */
#define BYTEA_OID 17   /* the type bytea, as pg_type numbers it */

struct srv_pg {
	PGconn *conn;
	char err[512];
	int64_t changes, total_changes;
	unsigned n_prepared; /* names the next statement */
	unsigned generation; /* counts the connections made, from 1 */
	bool in_tx;          /* a transaction was open when last seen */
	char listen[64];     /* the channel LISTENed to, or "" */
	int64_t last_id;     /* of the last row an INSERT ... RETURNING id gave */
};

struct srv_pgq {
	struct srv_pg *pg;
	char name[16];
	char *text;          /* the SQL with $N, to prepare again */
	unsigned generation; /* of the connection it is prepared on */
	bool rollback;       /* ROLLBACK (not ROLLBACK TO) */
	char table[64];      /* the table an INSERT writes, else "" */
	bool id_known;       /* whether table has an identity id is known */
	bool returns_id;     /* RETURNING id added: the rows are the ids, not shown */
	int n_params;
	char **param_names; /* [i] the name of $i+1 (":x"), or NULL */
	const char **values;
	int *lengths, *formats;
	char (*numbers)[32]; /* the text of bound numbers */
	PGresult *res;
	int code; /* the step's SQLite code when res failed */
	int row;  /* the row stepped to; -1 before the first */
	bool ran;
	unsigned char **blobs; /* bytea columns of the current row, unescaped */
	size_t *blob_lens;
	int n_blobs;
};

static void set_err(struct srv_pg *pg, const char *msg)
{
	snprintf(pg->err, sizeof pg->err, "%s", msg ? msg : "unknown error");
	size_t n = strlen(pg->err);
	while (n > 0 && (pg->err[n - 1] == '\n' || pg->err[n - 1] == ' '))
		pg->err[--n] = '\0';
}

/* Before the URL, so that one of its own overrides it: a host that does
 * not answer holds the server's loop for this long, not for TCP's minutes. */
#define CONNECT_TIMEOUT_S "5"

static bool is_rollback(const char *sql)
{
	while (isspace((unsigned char)*sql))
		sql++;
	if (strncasecmp(sql, "ROLLBACK", 8) != 0)
		return false;
	sql += 8;
	while (isspace((unsigned char)*sql))
		sql++;
	return strncasecmp(sql, "TO", 2) != 0;
}

/* Notes whether a transaction is open, after a command on a live
 * connection. */
static void track(struct srv_pg *pg)
{
	PGTransactionStatusType t = PQtransactionStatus(pg->conn);
	if (t != PQTRANS_UNKNOWN)
		pg->in_tx = t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

static bool setup(struct srv_pg *pg)
{
	/* Notices (such as "relation already exists, skipping") stay out of
	 * the log; warnings and errors come back as results. */
	PGresult *r = PQexec(pg->conn, "SET client_min_messages = warning");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok && pg->listen[0] != '\0') {
		char sql[96];
		snprintf(sql, sizeof sql, "LISTEN %s", pg->listen);
		r = PQexec(pg->conn, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok)
		set_err(pg, PQerrorMessage(pg->conn));
	return ok;
}

/* True when pg has a live connection, made again if it broke and no
 * transaction was open on it. */
static bool connected(struct srv_pg *pg)
{
	if (PQstatus(pg->conn) == CONNECTION_OK)
		return true;
	if (pg->in_tx) {
		set_err(pg, "the connection to PostgreSQL broke inside a transaction");
		return false;
	}
	PQreset(pg->conn);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_err(pg, PQerrorMessage(pg->conn));
		return false;
	}
	pg->generation++;
	ls_warn("store: connected to PostgreSQL again (connection %u)", pg->generation);
	if (!setup(pg))
		ls_warn("store: PostgreSQL: %s", pg->err);
	return true;
}

int srv_pg_open(struct srv_pg **out, const char *url, ls_status *st)
{
	*out = NULL;
	struct srv_pg *pg = calloc(1, sizeof *pg);
	if (pg == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	const char *const keys[] = {"connect_timeout", "dbname", NULL};
	const char *const values[] = {CONNECT_TIMEOUT_S, url, NULL};
	pg->conn = PQconnectdbParams(keys, values, 1);
	if (pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s",
		         pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		PQfinish(pg->conn);
		free(pg);
		return ls_status_field(st, LS_UNAVAILABLE, "db", "cannot connect to PostgreSQL: %s",
		                       msg);
	}
	if (!setup(pg)) {
		ls_status_set(st, LS_UNAVAILABLE, "PostgreSQL: %s", pg->err);
		srv_pg_close(pg);
		return st->code;
	}
	pg->generation = 1;
	*out = pg;
	return LS_OK;
}

void srv_pg_close(struct srv_pg *pg)
{
	if (pg == NULL)
		return;
	PQfinish(pg->conn);
	free(pg);
}

const char *srv_pg_errmsg(struct srv_pg *pg)
{
	return pg->err;
}

/* SQLite's code for a failed result: what srv_store_error maps to a status.
 * A lost connection, a conflict that a retry may clear, or a server going
 * down are SQLITE_BUSY: the caller may try again (UNAVAILABLE). */
static int failure_code(struct srv_pg *pg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL || PQstatus(pg->conn) != CONNECTION_OK)
		return SQLITE_BUSY;
	if (strncmp(state, "08", 2) == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
	    strncmp(state, "57P", 3) == 0 || strcmp(state, "57014") == 0 ||
	    strcmp(state, "25006") == 0) /* read-only: a standby, until promoted */
		return SQLITE_BUSY;
	if (strcmp(state, "53100") == 0)
		return SQLITE_FULL;
	if (strcmp(state, "53200") == 0)
		return SQLITE_NOMEM;
	if (strncmp(state, "23", 2) == 0)
		return SQLITE_CONSTRAINT;
	return SQLITE_ERROR;
}

int srv_pg_exec(struct srv_pg *pg, const char *sql, ls_status *st)
{
	if (!connected(pg)) {
		/* Its transaction died with the connection: rolled back already. */
		if (pg->in_tx && is_rollback(sql)) {
			pg->in_tx = false;
			return LS_OK;
		}
		return ls_status_set(st, LS_UNAVAILABLE, "database: %s", pg->err);
	}
	PGresult *res = PQexec(pg->conn, sql);
	ExecStatusType t = PQresultStatus(res);
	track(pg);
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
		PQclear(res);
		return LS_OK;
	}
	set_err(pg, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
	int code = failure_code(pg, res) == SQLITE_BUSY ? LS_UNAVAILABLE : LS_INTERNAL;
	PQclear(res);
	return ls_status_set(st, code, "database: %s", pg->err);
}

int64_t srv_pg_last_id(struct srv_pg *pg)
{
	return pg->last_id;
}

int64_t srv_pg_changes(struct srv_pg *pg)
{
	return pg->changes;
}

int64_t srv_pg_total_changes(struct srv_pg *pg)
{
	return pg->total_changes;
}

bool srv_pg_in_transaction(struct srv_pg *pg)
{
	if (PQstatus(pg->conn) == CONNECTION_OK)
		track(pg);
	return pg->in_tx;
}

unsigned srv_pg_generation(struct srv_pg *pg)
{
	return pg->generation;
}

int srv_pg_socket(struct srv_pg *pg)
{
	return PQsocket(pg->conn);
}

int srv_pg_listen(struct srv_pg *pg, const char *channel, ls_status *st)
{
	snprintf(pg->listen, sizeof pg->listen, "%s", channel);
	char sql[96];
	snprintf(sql, sizeof sql, "LISTEN %s", pg->listen);
	return srv_pg_exec(pg, sql, st);
}

int srv_pg_notify(struct srv_pg *pg, const char *channel, const char *payload, ls_status *st)
{
	if (!connected(pg))
		return ls_status_set(st, LS_UNAVAILABLE, "database: %s", pg->err);
	const char *v[2] = {channel, payload};
	PGresult *res =
	    PQexecParams(pg->conn, "SELECT pg_notify($1, $2)", 2, NULL, v, NULL, NULL, 0);
	int rc = LS_OK;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_err(pg, PQresultErrorMessage(res));
		rc = ls_status_set(st, LS_UNAVAILABLE, "database: %s", pg->err);
	}
	PQclear(res);
	track(pg);
	return rc;
}

int srv_pg_notifications(struct srv_pg *pg,
                         void (*fn)(void *arg, const char *channel, const char *payload), void *arg)
{
	if (!connected(pg))
		return -1;
	if (!PQconsumeInput(pg->conn)) {
		set_err(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	int n = 0;
	for (PGnotify *m; (m = PQnotifies(pg->conn)) != NULL; n++) {
		fn(arg, m->relname, m->extra);
		PQfreemem(m);
	}
	return n;
}

/* ---- statements ---------------------------------------------------------------- */

static int find_name(struct srv_pgq *q, const char *name, size_t len)
{
	for (int i = 0; i < q->n_params; i++)
		if (q->param_names[i] != NULL && strlen(q->param_names[i]) == len &&
		    memcmp(q->param_names[i], name, len) == 0)
			return i + 1;
	return 0;
}

/* Makes room for parameter index i (from 1). */
static bool grow_params(struct srv_pgq *q, int i)
{
	if (i <= q->n_params)
		return true;
	char **names = realloc(q->param_names, (size_t)i * sizeof *names);
	if (names == NULL)
		return false;
	for (int k = q->n_params; k < i; k++)
		names[k] = NULL;
	q->param_names = names;
	q->n_params = i;
	return true;
}

/* Copies sql into out (room for 4 × its length), with SQLite's ?N, ? and
 * :name written as $N, and notes the names. Quoted text, quoted names and
 * comments pass untouched; so does PostgreSQL's cast, ::type. A unit's
 * subtree, SRV_SUBTREE(param), becomes a call of ls_subtree(param), whose
 * size the planner is told (migrations_pg/001). */
static bool rewrite(struct srv_pgq *q, const char *sql, char *out)
{
	static const char head[] = SRV_SUBTREE_HEAD, tail[] = SRV_SUBTREE_TAIL;
	const char *p = sql;
	char *o = out;
	int highest = 0;
	bool in_subtree = false;
	while (*p) {
		char c = *p;
		if (!in_subtree && strncmp(p, head, sizeof head - 1) == 0) {
			o += sprintf(o, "(SELECT id FROM ls_subtree(");
			p += sizeof head - 1;
			in_subtree = true;
		} else if (in_subtree && strncmp(p, tail, sizeof tail - 1) == 0) {
			o += sprintf(o, ") AS t(id))");
			p += sizeof tail - 1;
			in_subtree = false;
		} else if (c == '\'' || c == '"') {
			*o++ = *p++;
			while (*p && *p != c)
				*o++ = *p++;
			if (*p)
				*o++ = *p++;
		} else if (c == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				*o++ = *p++;
		} else if (c == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			size_t n = end ? (size_t)(end + 2 - p) : strlen(p);
			memcpy(o, p, n);
			o += n;
			p += n;
		} else if (c == ':' && p[1] == ':') {
			*o++ = *p++;
			*o++ = *p++;
		} else if (c == '?' ||
		           (c == ':' && (isalpha((unsigned char)p[1]) || p[1] == '_'))) {
			int index;
			if (c == '?' && isdigit((unsigned char)p[1])) {
				char *end;
				long n = strtol(p + 1, &end, 10);
				if (n < 1 || n > PARAMS_MAX)
					return false;
				index = (int)n;
				p = end;
			} else if (c == '?') {
				index = highest + 1;
				p++;
			} else {
				const char *name = p;
				p++;
				while (isalnum((unsigned char)*p) || *p == '_')
					p++;
				index = find_name(q, name, (size_t)(p - name));
				if (index == 0) {
					index = highest + 1;
					if (index > PARAMS_MAX || !grow_params(q, index))
						return false;
					q->param_names[index - 1] =
					    strndup(name, (size_t)(p - name));
					if (q->param_names[index - 1] == NULL)
						return false;
				}
			}
			if (index > highest)
				highest = index;
			if (!grow_params(q, index))
				return false;
			o += sprintf(o, "$%d", index);
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return true;
}

/* The table of an INSERT INTO table, for add_returning. */
static void insert_table(const char *sql, char *table, size_t n)
{
	table[0] = '\0';
	while (isspace((unsigned char)*sql))
		sql++;
	if (strncasecmp(sql, "INSERT", 6) != 0)
		return;
	const char *into = sql + 6;
	while (*into && strncasecmp(into, "INTO", 4) != 0)
		into++;
	if (*into == '\0')
		return;
	into += 4;
	while (isspace((unsigned char)*into))
		into++;
	size_t len = 0;
	while ((isalnum((unsigned char)into[len]) || into[len] == '_') && len + 1 < n)
		len++;
	memcpy(table, into, len);
	table[len] = '\0';
}

/* True when the SQL text has RETURNING (outside nothing: the store's
 * INSERTs have no such word in their strings). */
static bool has_returning(const char *text)
{
	for (; *text; text++)
		if (strncasecmp(text, "RETURNING", 9) == 0)
			return true;
	return false;
}

/* An INSERT into a table whose id is an identity gets RETURNING id, so
 * that the id it drew is known without another round trip, and right
 * even when its triggers insert rows elsewhere (srv_pg_last_id). */
static bool add_returning(struct srv_pgq *q)
{
	struct srv_pg *pg = q->pg;
	if (q->id_known || q->table[0] == '\0')
		return true;
	const char *v[1] = {q->table};
	PGresult *res = PQexecParams(
	    pg->conn,
	    "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
	    "AND table_name = $1 AND column_name = 'id' AND is_identity = 'YES'",
	    1, NULL, v, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok) {
		set_err(pg, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
	} else if (PQntuples(res) == 1 && !has_returning(q->text)) {
		strcat(q->text, " RETURNING id");
		q->returns_id = true;
	}
	PQclear(res);
	q->id_known = ok;
	return ok;
}

/* Prepares q on the connection it has now. */
static bool server_prepare(struct srv_pgq *q)
{
	struct srv_pg *pg = q->pg;
	if (!add_returning(q))
		return false;
	PGresult *res = PQprepare(pg->conn, q->name, q->text, q->n_params, NULL);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (ok)
		q->generation = pg->generation;
	else
		set_err(pg, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
	PQclear(res);
	return ok;
}

struct srv_pgq *srv_pgq_prepare(struct srv_pg *pg, const char *sql)
{
	struct srv_pgq *q = calloc(1, sizeof *q);
	if (q == NULL)
		return NULL;
	q->pg = pg;
	q->row = -1;
	q->rollback = is_rollback(sql);
	char *text = q->text = malloc(4 * strlen(sql) + sizeof " RETURNING id");
	if (text == NULL)
		goto fail;
	if (!rewrite(q, sql, text)) {
		ls_error("store: prepare \"%s\": bad or too many parameters", sql);
		goto fail;
	}
	int n = q->n_params ? q->n_params : 1;
	q->values = calloc((size_t)n, sizeof *q->values);
	q->lengths = calloc((size_t)n, sizeof *q->lengths);
	q->formats = calloc((size_t)n, sizeof *q->formats);
	q->numbers = calloc((size_t)n, sizeof *q->numbers);
	if (!q->values || !q->lengths || !q->formats || !q->numbers)
		goto fail;
	insert_table(sql, q->table, sizeof q->table);
	snprintf(q->name, sizeof q->name, "q%u", ++pg->n_prepared);
	/* With the connection down, it is prepared when it first runs on a
	 * live one (srv_pgq_step): meanwhile a ROLLBACK must still end the
	 * transaction the break ended, and the rest fail as UNAVAILABLE. */
	if (!connected(pg))
		return q;
	if (!server_prepare(q)) {
		ls_error("store: prepare \"%s\": %s", sql, pg->err);
		goto fail;
	}
	return q;
fail:
	srv_pgq_free(q);
	return NULL;
}

static void drop_blobs(struct srv_pgq *q)
{
	for (int i = 0; i < q->n_blobs; i++) {
		PQfreemem(q->blobs[i]);
		q->blobs[i] = NULL;
	}
}

static void drop_result(struct srv_pgq *q)
{
	drop_blobs(q);
	PQclear(q->res);
	q->res = NULL;
	q->ran = false;
	q->row = -1;
}

void srv_pgq_free(struct srv_pgq *q)
{
	if (q == NULL)
		return;
	drop_result(q);
	if (q->generation == q->pg->generation && PQstatus(q->pg->conn) == CONNECTION_OK) {
		char sql[40];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", q->name);
		PQclear(PQexec(q->pg->conn, sql));
	}
	for (int i = 0; i < q->n_params; i++)
		free(q->param_names[i]);
	free(q->param_names);
	free(q->text);
	free(q->values);
	free(q->lengths);
	free(q->formats);
	free(q->numbers);
	free(q->blobs);
	free(q->blob_lens);
	free(q);
}

void srv_pgq_reset(struct srv_pgq *q, bool clear)
{
	drop_result(q);
	if (clear)
		for (int i = 0; i < q->n_params; i++) {
			q->values[i] = NULL;
			q->lengths[i] = 0;
			q->formats[i] = 0;
		}
}

static bool is_change(const char *status)
{
	return strncmp(status, "INSERT", 6) == 0 || strncmp(status, "UPDATE", 6) == 0 ||
	       strncmp(status, "DELETE", 6) == 0 || strncmp(status, "MERGE", 5) == 0;
}

int srv_pgq_step(struct srv_pgq *q)
{
	struct srv_pg *pg = q->pg;
	if (!q->ran) {
		q->ran = true;
		q->row = -1;
		if (!connected(pg)) {
			/* Its transaction died with the connection: rolled back. */
			if (pg->in_tx && q->rollback) {
				pg->in_tx = false;
				q->code = SQLITE_OK;
				return SQLITE_DONE;
			}
			q->code = SQLITE_BUSY;
			return q->code;
		}
		if (q->generation != pg->generation && !server_prepare(q)) {
			ls_error("store: prepare \"%s\": %s", q->text, pg->err);
			q->code = PQstatus(pg->conn) == CONNECTION_OK ? SQLITE_ERROR : SQLITE_BUSY;
			return q->code;
		}
		q->res = PQexecPrepared(pg->conn, q->name, q->n_params, q->values, q->lengths,
		                        q->formats, 0);
		track(pg);
		ExecStatusType t = PQresultStatus(q->res);
		if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
			set_err(pg,
			        q->res ? PQresultErrorMessage(q->res) : PQerrorMessage(pg->conn));
			q->code = failure_code(pg, q->res);
			return q->code;
		}
		q->code = SQLITE_OK;
		if (is_change(PQcmdStatus(q->res))) {
			pg->changes = strtoll(PQcmdTuples(q->res), NULL, 10);
			pg->total_changes += pg->changes;
		}
		if (q->returns_id) {
			/* The ids are the store's to ask for, not rows of the INSERT. */
			int n = PQntuples(q->res);
			if (n > 0)
				pg->last_id = strtoll(PQgetvalue(q->res, n - 1, 0), NULL, 10);
			q->row = n - 1;
		}
	}
	if (q->code != SQLITE_OK)
		return q->code;
	drop_blobs(q);
	if (q->row + 1 < PQntuples(q->res)) {
		q->row++;
		return SQLITE_ROW;
	}
	q->row = PQntuples(q->res);
	return SQLITE_DONE;
}

int srv_pgq_param_index(struct srv_pgq *q, const char *name)
{
	return find_name(q, name, strlen(name));
}

static bool param_ok(struct srv_pgq *q, int i)
{
	return i >= 1 && i <= q->n_params;
}

void srv_pgq_bind_int64(struct srv_pgq *q, int i, int64_t v)
{
	if (!param_ok(q, i))
		return;
	snprintf(q->numbers[i - 1], sizeof q->numbers[i - 1], "%" PRId64, v);
	q->values[i - 1] = q->numbers[i - 1];
	q->formats[i - 1] = 0;
}

void srv_pgq_bind_double(struct srv_pgq *q, int i, double v)
{
	if (!param_ok(q, i))
		return;
	snprintf(q->numbers[i - 1], sizeof q->numbers[i - 1], "%.17g", v);
	q->values[i - 1] = q->numbers[i - 1];
	q->formats[i - 1] = 0;
}

void srv_pgq_bind_text(struct srv_pgq *q, int i, const char *v)
{
	if (!param_ok(q, i))
		return;
	q->values[i - 1] = v;
	q->formats[i - 1] = 0;
}

void srv_pgq_bind_blob(struct srv_pgq *q, int i, const void *v, size_t n)
{
	if (!param_ok(q, i) || n > INT32_MAX)
		return;
	q->values[i - 1] = v;
	q->lengths[i - 1] = (int)n;
	q->formats[i - 1] = 1;
}

void srv_pgq_bind_null(struct srv_pgq *q, int i)
{
	if (param_ok(q, i))
		q->values[i - 1] = NULL;
}

static bool on_row(struct srv_pgq *q, int col)
{
	return q->res != NULL && q->row >= 0 && q->row < PQntuples(q->res) && col >= 0 &&
	       col < PQnfields(q->res);
}

bool srv_pgq_null(struct srv_pgq *q, int col)
{
	return !on_row(q, col) || PQgetisnull(q->res, q->row, col);
}

const char *srv_pgq_text(struct srv_pgq *q, int col)
{
	if (srv_pgq_null(q, col))
		return NULL;
	return PQgetvalue(q->res, q->row, col);
}

/* As SQLite reads a number from text: its leading digits, 0 for none. A
 * PostgreSQL boolean, t or f, reads as 1 or 0. */
int64_t srv_pgq_int64(struct srv_pgq *q, int col)
{
	const char *t = srv_pgq_text(q, col);
	if (t == NULL)
		return 0;
	if (t[0] == 't' && t[1] == '\0')
		return 1;
	if (strchr(t, '.') != NULL || strchr(t, 'e') != NULL)
		return (int64_t)strtod(t, NULL);
	return strtoll(t, NULL, 10);
}

double srv_pgq_double(struct srv_pgq *q, int col)
{
	const char *t = srv_pgq_text(q, col);
	return t ? strtod(t, NULL) : 0.0;
}

const void *srv_pgq_blob(struct srv_pgq *q, int col, size_t *n)
{
	*n = 0;
	if (srv_pgq_null(q, col))
		return NULL;
	int fields = PQnfields(q->res);
	if (q->n_blobs < fields) {
		unsigned char **b = realloc(q->blobs, (size_t)fields * sizeof *b);
		if (b == NULL)
			return NULL;
		q->blobs = b;
		size_t *l = realloc(q->blob_lens, (size_t)fields * sizeof *l);
		if (l == NULL)
			return NULL;
		q->blob_lens = l;
		for (int i = q->n_blobs; i < fields; i++)
			q->blobs[i] = NULL;
		q->n_blobs = fields;
	}
	if (q->blobs[col] == NULL) {
		const char *t = PQgetvalue(q->res, q->row, col);
		if (PQftype(q->res, col) != BYTEA_OID) { /* text: its own bytes */
			*n = strlen(t);
			return t;
		}
		q->blobs[col] = PQunescapeBytea((const unsigned char *)t, &q->blob_lens[col]);
		if (q->blobs[col] == NULL)
			return NULL;
	}
	*n = q->blob_lens[col];
	return q->blobs[col];
}

/* ---- COPY ---------------------------------------------------------------------- */

int srv_pg_copy_begin(struct srv_pg *pg, const char *sql, ls_status *st)
{
	if (!connected(pg))
		return ls_status_set(st, LS_UNAVAILABLE, "database: %s", pg->err);
	PGresult *res = PQexec(pg->conn, sql);
	int rc = LS_OK;
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		set_err(pg, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
		rc = ls_status_set(st, LS_INTERNAL, "database: %s", pg->err);
	}
	PQclear(res);
	return rc;
}

int srv_pg_copy_put(struct srv_pg *pg, const char *buf, size_t len, ls_status *st)
{
	if (len > INT32_MAX || PQputCopyData(pg->conn, buf, (int)len) != 1) {
		set_err(pg, PQerrorMessage(pg->conn));
		return ls_status_set(st, LS_UNAVAILABLE, "database: %s", pg->err);
	}
	return LS_OK;
}

int srv_pg_copy_end(struct srv_pg *pg, ls_status *st)
{
	int rc = LS_OK;
	if (PQputCopyEnd(pg->conn, NULL) != 1) {
		set_err(pg, PQerrorMessage(pg->conn));
		rc = ls_status_set(st, LS_UNAVAILABLE, "database: %s", pg->err);
	}
	/* The COPY's own result, then the end of the results. */
	for (PGresult *res; (res = PQgetResult(pg->conn)) != NULL; PQclear(res))
		if (rc == LS_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
			set_err(pg, PQresultErrorMessage(res));
			rc = ls_status_set(st, LS_INTERNAL, "database: %s", pg->err);
		}
	track(pg);
	return rc;
}
