#include "outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli.h"
#include "output.h"
#include "period.h"

#define OUTBOX_VERSION 1
#define BUSY_MS 10000

struct cli_outbox {
	sqlite3 *db;
};

static bool auto_flush = true;

/* IDs are never reused (AUTOINCREMENT): `outbox drop 3` must not drop a
 * later row that happens to get the number of one dropped before. */
static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " queued_at TEXT NOT NULL,"
    " method TEXT NOT NULL,"
    " idem_key TEXT NOT NULL UNIQUE,"
    " body BLOB NOT NULL,"
    " project TEXT NOT NULL,"
    " period TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'refused')),"
    " code INTEGER NOT NULL DEFAULT 0,"
    " answer TEXT NOT NULL DEFAULT '',"
    " tries INTEGER NOT NULL DEFAULT 0,"
    " tried_at TEXT);"
    "PRAGMA user_version = 1;";

#define ROW_COLS                                                                              \
	"id, queued_at, method, idem_key, body, project, period, state, code, answer, tries " \
	"FROM outbox "

static int db_error(sqlite3 *db, const char *what, ls_status *st)
{
	return ls_status_set(st, LS_INTERNAL, _("outbox: %s: %s"), what, sqlite3_errmsg(db));
}

char *cli_outbox_path(void)
{
	const char *base = getenv("XDG_DATA_HOME");
	const char *suffix = "/luoshi/outbox.db";
	/* The XDG spec says to ignore a relative XDG_DATA_HOME. */
	if (base == NULL || base[0] != '/') {
		base = getenv("HOME");
		suffix = "/.local/share/luoshi/outbox.db";
		if (base == NULL || base[0] == '\0')
			return NULL;
	}
	size_t n = strlen(base) + strlen(suffix) + 1;
	char *p = cli_xmalloc(n);
	snprintf(p, n, "%s%s", base, suffix);
	return p;
}

/* mkdir -p of the folders above path, private to the user. */
static int make_parents(char *path)
{
	for (char *s = path + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int rc = mkdir(path, 0700);
		*s = '/';
		if (rc != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

int cli_outbox_open(cli_outbox **out, bool create, ls_status *st)
{
	*out = NULL;
	ls_status_clear(st);
	char *path = cli_outbox_path();
	if (path == NULL)
		return ls_status_set(st, LS_FAILED_PRECONDITION,
		                     _("neither XDG_DATA_HOME nor HOME is set: there is no place "
		                       "for the outbox"));
	if (access(path, F_OK) != 0) {
		if (!create) {
			free(path);
			return LS_NOT_FOUND;
		}
		int fd = -1;
		if (make_parents(path) != 0 ||
		    (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			ls_status_set(st, LS_INTERNAL, _("cannot create the outbox %s: %s"), path,
			              strerror(errno));
			free(path);
			return st->code;
		}
		close(fd);
	}
	cli_outbox *o = cli_xmalloc(sizeof *o);
	int rc = sqlite3_open_v2(path, &o->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		ls_status_set(st, LS_INTERNAL, _("cannot open the outbox %s: %s"), path,
		              o->db ? sqlite3_errmsg(o->db) : sqlite3_errstr(rc));
		sqlite3_close(o->db);
		free(o);
		free(path);
		return st->code;
	}
	free(path);
	/* Another luoshi may be flushing at the same moment; the keys make a
	 * double send harmless, the timeout makes it wait its turn. */
	sqlite3_busy_timeout(o->db, BUSY_MS);
	char *err = NULL;
	if (sqlite3_exec(o->db, SCHEMA, NULL, NULL, &err) != SQLITE_OK) {
		ls_status_set(st, LS_INTERNAL, _("cannot set up the outbox: %s"),
		              err ? err : sqlite3_errmsg(o->db));
		sqlite3_free(err);
		sqlite3_close(o->db);
		free(o);
		return st->code;
	}
	*out = o;
	return LS_OK;
}

void cli_outbox_close(cli_outbox *o)
{
	if (o == NULL)
		return;
	sqlite3_close(o->db);
	free(o);
}

static void now_iso(char buf[40])
{
	time_t t = time(NULL);
	struct tm tm;
	char zone[8];
	localtime_r(&t, &tm);
	size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	snprintf(buf + n, 40 - n, "%.3s:%.2s", zone, zone + 3);
}

int cli_outbox_add(cli_outbox *o, const char *method, const char *key, const uint8_t *body,
                   size_t len, const char *project, const char *period, int64_t *id, ls_status *st)
{
	/* A key already queued is the same request made again (submit --key):
	 * it keeps its place. */
	static const char sql[] = "INSERT INTO outbox(queued_at, method, idem_key, body, project, "
	                          "period) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	                          "ON CONFLICT(idem_key) DO NOTHING";
	static const char find[] = "SELECT id FROM outbox WHERE idem_key = ?1";
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(o->db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_error(o->db, "add", st);
	char now[40];
	now_iso(now);
	sqlite3_bind_text(q, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, method, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(q, 4, body ? (const void *)body : "", len, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, period, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return db_error(o->db, "add", st);
	if (sqlite3_prepare_v2(o->db, find, -1, &q, NULL) != SQLITE_OK)
		return db_error(o->db, "add", st);
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return db_error(o->db, "add", st);
	return LS_OK;
}

static void text_col(char *dst, size_t n, sqlite3_stmt *q, int col)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static void read_row(sqlite3_stmt *q, cli_outbox_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(q, 0);
	text_col(r->queued_at, sizeof r->queued_at, q, 1);
	text_col(r->method, sizeof r->method, q, 2);
	text_col(r->key, sizeof r->key, q, 3);
	const void *b = sqlite3_column_blob(q, 4);
	r->body_len = (size_t)sqlite3_column_bytes(q, 4);
	r->body = cli_xmalloc(r->body_len ? r->body_len : 1);
	if (r->body_len)
		memcpy(r->body, b, r->body_len);
	text_col(r->project, sizeof r->project, q, 5);
	text_col(r->period, sizeof r->period, q, 6);
	const unsigned char *state = sqlite3_column_text(q, 7);
	r->state = state && strcmp((const char *)state, "refused") == 0 ? CLI_OUTBOX_REFUSED
	                                                                : CLI_OUTBOX_QUEUED;
	r->code = sqlite3_column_int(q, 8);
	text_col(r->answer, sizeof r->answer, q, 9);
	r->tries = sqlite3_column_int(q, 10);
}

int cli_outbox_rows(cli_outbox *o, bool queued_only, cli_outbox_row **rows, size_t *n,
                    ls_status *st)
{
	static const char all[] = "SELECT " ROW_COLS "ORDER BY id";
	static const char queued[] = "SELECT " ROW_COLS "WHERE state = 'queued' ORDER BY id";
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(o->db, queued_only ? queued : all, -1, &q, NULL) != SQLITE_OK)
		return db_error(o->db, "list", st);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			cli_outbox_row *more = realloc(*rows, cap * sizeof *more);
			if (more == NULL)
				cli_out_of_memory();
			*rows = more;
		}
		read_row(q, &(*rows)[(*n)++]);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		cli_outbox_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return db_error(o->db, "list", st);
	}
	return LS_OK;
}

int cli_outbox_get(cli_outbox *o, int64_t id, cli_outbox_row *r, ls_status *st)
{
	static const char sql[] = "SELECT " ROW_COLS "WHERE id = ?1";
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(o->db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_error(o->db, "read", st);
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		read_row(q, r);
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return LS_OK;
	if (rc != SQLITE_DONE)
		return db_error(o->db, "read", st);
	return LS_NOT_FOUND;
}

void cli_outbox_rows_free(cli_outbox_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].body);
	free(rows);
}

int cli_outbox_delete(cli_outbox *o, int64_t id, ls_status *st)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(o->db, "DELETE FROM outbox WHERE id = ?1", -1, &q, NULL) !=
	    SQLITE_OK)
		return db_error(o->db, "delete", st);
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return db_error(o->db, "delete", st);
	return sqlite3_changes(o->db) > 0 ? LS_OK : LS_NOT_FOUND;
}

int cli_outbox_drop_superseded(cli_outbox *o, const char *code, const char *name,
                               const char *period)
{
	/* A row whose frequency was left to the server names both candidate
	 * periods, "2026-W48/2026-11". */
	static const char sql[] = "DELETE FROM outbox WHERE state = 'refused' "
	                          "AND project IN (?1, ?2) "
	                          "AND instr('/' || period || '/', '/' || ?3 || '/') > 0";
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(o->db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, code ? code : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, name ? name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, period ? period : "", -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? sqlite3_changes(o->db) : -1;
}

bool cli_outbox_transient(int code)
{
	switch (code) {
	case LS_INVALID_ARGUMENT:
	case LS_NOT_FOUND:
	case LS_ALREADY_EXISTS:
	case LS_PERMISSION_DENIED:
	case LS_FAILED_PRECONDITION:
	case LS_OUT_OF_RANGE:
	case LS_UNIMPLEMENTED:
		return false;
	default:
		return true;
	}
}

/* Records the answer to a send of row id. */
static void note_answer(cli_outbox *o, int64_t id, bool refused, int code, const ls_status *st)
{
	static const char sql[] = "UPDATE outbox SET state = ?2, code = ?3, answer = ?4, "
	                          "tries = tries + 1, tried_at = ?5 WHERE id = ?1";
	char answer[sizeof st->message + sizeof st->field + 64], now[40];
	snprintf(answer, sizeof answer, "%s: %s%s%s", ls_code_name(code), st->field,
	         st->field[0] ? ": " : "", st->message);
	now_iso(now);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(o->db, sql, -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, refused ? "refused" : "queued", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, code);
	sqlite3_bind_text(q, 4, answer, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, now, -1, SQLITE_STATIC);
	sqlite3_step(q);
	sqlite3_finalize(q);
}

int cli_outbox_send(cli_outbox *o, luoshi_client *c, const cli_outbox_row *r, uint8_t **resp,
                    size_t *resp_len, ls_status *st)
{
	uint8_t *body = NULL;
	size_t len = 0;
	int rc =
	    luoshi_client_call_raw(c, r->method, r->body, r->body_len, r->key, &body, &len, st);
	if (rc == LS_OK) {
		/* Only now: until the server has said OK, the row is the only
		 * copy of the update. */
		ls_status del;
		cli_outbox_delete(o, r->id, &del);
	} else {
		note_answer(o, r->id, !cli_outbox_transient(rc), rc, st);
	}
	if (resp != NULL) {
		*resp = body;
		*resp_len = len;
	} else {
		free(body);
	}
	return rc;
}

int cli_outbox_flush(cli_outbox *o, luoshi_client *c,
                     void (*each)(void *arg, const cli_outbox_row *r, int code, const ls_status *st,
                                  const uint8_t *resp, size_t resp_len),
                     void *arg, cli_outbox_flushed *res, ls_status *st)
{
	memset(res, 0, sizeof *res);
	cli_outbox_row *rows;
	size_t n;
	int rc = cli_outbox_rows(o, true, &rows, &n, st);
	if (rc != LS_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		ls_status answer;
		uint8_t *body;
		size_t len;
		int code = cli_outbox_send(o, c, &rows[i], &body, &len, &answer);
		if (each != NULL)
			each(arg, &rows[i], code, &answer, body, len);
		free(body);
		if (code == LS_OK) {
			res->sent++;
		} else if (!cli_outbox_transient(code)) {
			res->refused++;
		} else {
			/* No answer, or one about the connection, the token or the
			 * server: the next rows would fare no better. */
			res->stop_code = code;
			res->stop = answer;
			res->left = (int)(n - i);
			break;
		}
	}
	cli_outbox_rows_free(rows, n);
	return LS_OK;
}

void cli_outbox_set_auto(bool on)
{
	auto_flush = on;
}

static void tell(void *arg, const cli_outbox_row *r, int code, const ls_status *st,
                 const uint8_t *resp, size_t resp_len)
{
	(void)arg;
	(void)resp;
	(void)resp_len;
	if (code == LS_OK || cli_outbox_transient(code))
		return;
	fflush(stdout);
	fprintf(stderr,
	        _("luoshi: outbox: the server refused #%lld (%s %s): %s: %s%s%s; it stays in the "
	          "outbox (see 'luoshi outbox list')\n"),
	        (long long)r->id, r->project, r->period, cli_code_display(code), st->field,
	        st->field[0] ? ": " : "", st->message);
}

void cli_outbox_auto_flush(luoshi_client *c)
{
	if (!auto_flush || c == NULL)
		return;
	/* Once per run: a command that connects twice flushes once. */
	auto_flush = false;
	cli_outbox *o;
	ls_status st;
	if (cli_outbox_open(&o, false, &st) != LS_OK)
		return;
	cli_outbox_flushed res;
	if (cli_outbox_flush(o, c, tell, NULL, &res, &st) == LS_OK && res.sent > 0) {
		fflush(stdout);
		fprintf(stderr, _("luoshi: outbox: %d queued update(s) sent\n"), res.sent);
	}
	cli_outbox_close(o);
}

bool cli_outbox_today(int32_t *day, const char **zone)
{
	const char *z = getenv("LUOSHI_TIME_ZONE");
	if (z == NULL || z[0] == '\0')
		z = "Asia/Shanghai";
	*zone = z;
	char path[512];
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", z);
	if (strstr(z, "..") != NULL || access(path, R_OK) != 0)
		return false;
	const char *old = getenv("TZ");
	char *saved = old != NULL ? cli_xstrdup(old) : NULL;
	setenv("TZ", z, 1);
	tzset();
	*day = ls_today();
	if (saved != NULL) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	return true;
}
