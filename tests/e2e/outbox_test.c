/* End to end: the offline outbox of `luoshi update submit`. Updates made
 * while luoshid is stopped are queued (exit 0), and sent once each when it
 * is back: by `luoshi outbox flush`, or by any command that reaches the
 * server. A flush cut short (a rate limit, a killed server, an OK that
 * never reached the outbox) loses and doubles nothing; an update the
 * server refuses stays with its answer until retried, superseded or
 * dropped.
 *
 * The client talks to the server's ipc address, which stays the same
 * across restarts on the same database. Its outbox lives in DIR/data
 * (XDG_DATA_HOME). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"

#define TOKEN_MAX 128
#define CLI_WAIT_MS 60000

static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', 1, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " created_at) VALUES"
    " (1, 'P1', '中车产业基地', 'district', 'industrial', 'continuing', 1, 4, 2, 218900,"
    "  'weekly', '2025-01-01', '2027-12-31', '2026-01-01'),"
    " (2, 'P2', '美康智能健康产业中心', 'district', 'livelihood', 'new', 1, 4, 3, 50000,"
    "  'weekly', '2026-01-05', '2027-06-30', '2026-01-01'),"
    " (3, 'P3', '鄞城大道', 'district', 'infrastructure', 'new', 1, 4, 2, 80000,"
    "  'monthly', '2025-06-01', '2026-12-31', '2026-01-01');";

typedef struct fx {
	e2e_server s;
	char wx[TOKEN_MAX];
	char data[E2E_DIR_MAX + 8];    /* XDG_DATA_HOME */
	char outbox[E2E_DIR_MAX + 64]; /* the outbox file */
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		goto fail;
	snprintf(f->data, sizeof f->data, "%s/data", f->s.dir);
	snprintf(f->outbox, sizeof f->outbox, "%s/luoshi/outbox.db", f->data);
	e2e_db *db = e2e_db_connect(&f->s);
	e2e_db_exec(db, FIXTURE);
	e2e_db_ids_given(db);
	e2e_db_close(db);
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(&f->s, extra) != 0)
		goto fail;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->s.admin_token, 10000);
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = LUOSHI__V1__ROLE__ROLE_TOWN;
	req.name = (char *)"五乡镇 clerk";
	req.unit = (char *)"WX";
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, "/luoshi.v1.AccountService/CreateAccount", &req.base, NULL, &m, &st);
	luoshi_client_close(c);
	if (rc != LS_OK)
		goto fail;
	snprintf(f->wx, sizeof f->wx, "%s", ((Luoshi__V1__CreateAccountResponse *)m)->token);
	protobuf_c_message_free_unpacked(m, NULL);
	*state = f;
	return 0;
fail:
	if (f != NULL)
		e2e_server_cleanup(&f->s);
	free(f);
	return -1;
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = 0;
	if (f != NULL) {
		if (f->s.pid > 0 && e2e_server_stop(&f->s) != 0)
			rc = -1;
		e2e_server_cleanup(&f->s);
		free(f);
	}
	return rc;
}

/* Starts the server again on its database; its ipc address is the same. */
static void restart(fx *f, const char *rate)
{
	const char *const extra[] = {"--rate-limit", rate, NULL};
	assert_int_equal(e2e_server_start(&f->s, extra), 0);
}

static void stop(fx *f)
{
	assert_int_equal(e2e_server_stop(&f->s), 0);
}

/* Runs luoshi with args against server (the ipc address when NULL), as the
 * 五乡镇 clerk, with the outbox in f->data; zone: LUOSHI_TIME_ZONE or NULL. */
static void cli_at(const fx *f, const char *server, const char *zone, const char *const *args,
                   e2e_run *r)
{
	const char *luoshi = getenv("LUOSHI");
	assert_non_null(luoshi);
	char home[E2E_PATH_MAX + 8], cfg[E2E_PATH_MAX + 24], data[E2E_PATH_MAX + 24],
	    srv[E2E_PATH_MAX + 24], tok[TOKEN_MAX + 24], tz[128], ld[E2E_PATH_MAX + 24];
	char kept[3][512];
	char *env[16];
	int ne = 0;
	env[ne++] = (char *)"PATH=/usr/local/bin:/usr/bin:/bin";
	env[ne++] = (char *)"LANG=C";
	snprintf(home, sizeof home, "HOME=%s", f->s.dir);
	env[ne++] = home;
	snprintf(cfg, sizeof cfg, "XDG_CONFIG_HOME=%s", f->s.dir);
	env[ne++] = cfg;
	snprintf(data, sizeof data, "XDG_DATA_HOME=%s", f->data);
	env[ne++] = data;
	snprintf(srv, sizeof srv, "LUOSHI_SERVER=%s", server ? server : f->s.ipc_url);
	env[ne++] = srv;
	snprintf(tok, sizeof tok, "LUOSHI_TOKEN=%s", f->wx);
	env[ne++] = tok;
	if (zone != NULL) {
		snprintf(tz, sizeof tz, "LUOSHI_TIME_ZONE=%s", zone);
		env[ne++] = tz;
	}
	const char *dir = getenv("LUOSHI_LOCALEDIR");
	if (dir != NULL) {
		snprintf(ld, sizeof ld, "LUOSHI_LOCALEDIR=%s", dir);
		env[ne++] = ld;
	}
	static const char *const keep[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
	for (int i = 0; i < 3; i++) {
		const char *v = getenv(keep[i]);
		if (v != NULL) {
			snprintf(kept[i], sizeof kept[i], "%s=%s", keep[i], v);
			env[ne++] = kept[i];
		}
	}
	env[ne] = NULL;
	char *argv[32];
	int na = 0;
	argv[na++] = (char *)luoshi;
	for (int i = 0; args[i] != NULL && na < 31; i++)
		argv[na++] = (char *)args[i];
	argv[na] = NULL;
	assert_int_equal(e2e_run_program(argv, env, CLI_WAIT_MS, r), 0);
}

static void cli(const fx *f, const char *const *args, e2e_run *r)
{
	cli_at(f, NULL, NULL, args, r);
}

/* Runs and expects exit status code. */
static void cli_expect(const fx *f, const char *const *args, int code, e2e_run *r)
{
	cli(f, args, r);
	if (r->status != code)
		fail_msg("luoshi %s %s: exit %d, expected %d\nout: %s\nerr: %s", args[0], args[1],
		         r->status, code, r->out, r->err);
}

/* A week or month update of P1 (weekly) or P3 (monthly) through the CLI. */
static void submit_cli(const fx *f, const char *project, const char *flag, const char *period,
                       const char *invested, int code, e2e_run *r)
{
	const char *args[] = {"update",     "submit",     "--project", project,     flag,
	                      period,       "--invested", invested,    "--percent", "20",
	                      "--progress", "基础施工",   NULL};
	cli_expect(f, args, code, r);
}

static int64_t server_count(const fx *f, const char *sql)
{
	e2e_db *db = e2e_db_connect(&f->s);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return n;
}

static int64_t outbox_count(const fx *f, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(f->outbox, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	sqlite3_close(db);
	return n;
}

static int copy_file(const char *from, const char *to)
{
	size_t n;
	char *data = e2e_read_file(from, &n);
	if (data == NULL)
		return -1;
	FILE *f = fopen(to, "wb");
	int rc = f != NULL && fwrite(data, 1, n, f) == n ? 0 : -1;
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	free(data);
	return rc;
}

/* ---- the test: fifty while the server is down ------------------------- */

static void test_fifty_offline(void **state)
{
	fx *f = *state;
	stop(f);
	e2e_run r;
	for (int i = 0; i < 50; i++) {
		char period[16], invested[16];
		snprintf(invested, sizeof invested, "%d", 100 + i);
		if (i < 40) {
			snprintf(period, sizeof period, "2026-W%02d", i + 1);
			submit_cli(f, "P1", "--week", period, invested, 0, &r);
		} else {
			snprintf(period, sizeof period, "2026-%02d", i - 39);
			submit_cli(f, "鄞城大道", "--month", period, invested, 0, &r);
		}
		assert_non_null(strstr(r.out, "queued in the outbox"));
		e2e_run_free(&r);
	}
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox WHERE state = 'queued'"), 50);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 0);

	restart(f, "0");
	const char *flush[] = {"outbox", "flush", NULL};
	cli_expect(f, flush, 0, &r);
	assert_non_null(strstr(r.out, "50 sent, 0 refused."));
	e2e_run_free(&r);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 50);
	assert_int_equal(
	    server_count(f, "SELECT count(DISTINCT project_id || period) FROM updates"), 50);
	assert_int_equal(server_count(f, "SELECT max(revision) FROM updates"), 1);
	assert_int_equal(server_count(f, "SELECT sum(invested) FROM updates"),
	                 50 * 100 + 49 * 50 / 2);
	assert_int_equal(server_count(f, "SELECT count(*) FROM audit_log WHERE entity = 'update'"),
	                 50);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 0);

	/* Nothing left to send, nothing sent twice. */
	cli_expect(f, flush, 0, &r);
	assert_non_null(strstr(r.out, "0 sent"));
	e2e_run_free(&r);
	const char *list[] = {"outbox", "list", NULL};
	cli_expect(f, list, 0, &r);
	assert_non_null(strstr(r.out, "The outbox is empty."));
	e2e_run_free(&r);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 50);
}

/* ---- a flush cut short ----------------------------------------------------------- */

static void test_flush_interrupted(void **state)
{
	fx *f = *state;
	stop(f);
	e2e_run r;
	for (int i = 1; i <= 10; i++) {
		char week[16];
		snprintf(week, sizeof week, "2026-W%02d", i);
		submit_cli(f, "P1", "--week", week, "10", 0, &r);
		e2e_run_free(&r);
	}
	/* One request a second: the flush is cut short by the rate limit
	 * after the first, and keeps the rest queued. */
	restart(f, "1");
	const char *flush[] = {"outbox", "flush", NULL};
	cli_expect(f, flush, LS_RESOURCE_EXHAUSTED, &r);
	assert_non_null(strstr(r.out, "left queued"));
	e2e_run_free(&r);
	int64_t sent = server_count(f, "SELECT count(*) FROM updates");
	int64_t left = outbox_count(f, "SELECT count(*) FROM outbox WHERE state = 'queued'");
	assert_true(sent >= 1 && sent < 10);
	assert_int_equal(sent + left, 10);
	/* Oldest first: what was sent is the first weeks. */
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates WHERE period = '2026-W01'"),
	                 1);

	/* The server killed outright: the flush cannot connect and changes
	 * nothing. */
	pid_t pid = f->s.pid;
	assert_true(pid > 0);
	kill(pid, SIGKILL);
	assert_int_equal(e2e_server_wait(&f->s, 15000), 128 + SIGKILL);
	cli_expect(f, flush, LS_UNAVAILABLE, &r);
	e2e_run_free(&r);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), left);

	/* Keep a copy of the outbox as it is now: restoring it after the flush
	 * below is a client that lost every OK before it could delete a row. */
	char copy[E2E_PATH_MAX + 8];
	snprintf(copy, sizeof copy, "%s.copy", f->outbox);
	assert_int_equal(copy_file(f->outbox, copy), 0);
	restart(f, "0");
	cli_expect(f, flush, 0, &r);
	e2e_run_free(&r);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 10);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 0);

	assert_int_equal(copy_file(copy, f->outbox), 0);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), left);
	cli_expect(f, flush, 0, &r);
	e2e_run_free(&r);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 10);
	assert_int_equal(server_count(f, "SELECT max(revision) FROM updates"), 1);
	assert_int_equal(server_count(f, "SELECT count(*) FROM audit_log WHERE entity = 'update'"),
	                 10);
}

/* ---- refusals ------------------------------------------------------------------------ */

static void test_refused(void **state)
{
	fx *f = *state;
	stop(f);
	e2e_run r;
	/* W44 belongs to October (Thursday 10-29); W45 and W46 to November. */
	submit_cli(f, "P1", "--week", "2026-W45", "45", 0, &r);
	e2e_run_free(&r);
	submit_cli(f, "P1", "--week", "2026-W44", "44", 0, &r);
	e2e_run_free(&r);
	submit_cli(f, "P1", "--week", "2026-W46", "46", 0, &r);
	e2e_run_free(&r);
	/* November is reconciled while the clerk is offline. */
	e2e_db *db = e2e_db_connect(&f->s);
	e2e_db_exec(db, "INSERT INTO period_locks(month, locked_at) VALUES "
	                "('2026-11', '2026-11-20T10:00:00+08:00')");
	e2e_db_close(db);
	restart(f, "0");

	const char *flush[] = {"outbox", "flush", NULL};
	cli_expect(f, flush, LS_FAILED_PRECONDITION, &r);
	assert_non_null(strstr(r.out, "1 sent, 2 refused."));
	e2e_run_free(&r);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 1);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates WHERE period = '2026-W44'"),
	                 1);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox WHERE state = 'refused' AND "
	                                 "code = 9 AND answer LIKE '%2026-11 is reconciled%' AND "
	                                 "tries = 1"),
	                 2);
	const char *list[] = {"outbox", "list", NULL};
	cli_expect(f, list, 0, &r);
	assert_non_null(strstr(r.out, "refused"));
	assert_non_null(strstr(r.out, "FAILED_PRECONDITION"));
	assert_non_null(strstr(r.out, "2026-W45"));
	assert_int_equal(e2e_count_lines(r.out), 3);
	e2e_run_free(&r);
	const char *list_json[] = {"outbox", "list", "--json", NULL};
	cli_expect(f, list_json, 0, &r);
	assert_non_null(strstr(r.out, "\"state\": \"refused\""));
	e2e_run_free(&r);

	/* The lock lifted: refused ones are not sent again on their own. */
	db = e2e_db_connect(&f->s);
	e2e_db_exec(db, "DELETE FROM period_locks");
	e2e_db_close(db);
	cli_expect(f, flush, 0, &r);
	e2e_run_free(&r);
	const char *whoami[] = {"whoami", NULL};
	cli_expect(f, whoami, 0, &r);
	e2e_run_free(&r);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 1);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox WHERE tries = 1"), 2);

	/* Retried by hand: sent, and gone from the outbox. */
	char id[24];
	snprintf(id, sizeof id, "%lld",
	         (long long)outbox_count(f, "SELECT id FROM outbox WHERE period = '2026-W45'"));
	const char *retry[] = {"outbox", "retry", id, NULL};
	cli_expect(f, retry, 0, &r);
	assert_non_null(strstr(r.out, "sent"));
	e2e_run_free(&r);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates WHERE period = '2026-W45' "
	                                 "AND invested = 45"),
	                 1);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 1);

	/* Submitted again by hand: the refused one is superseded. */
	submit_cli(f, "中车产业基地", "--week", "2026-W46", "47", 0, &r);
	assert_non_null(strstr(r.err, "superseded"));
	e2e_run_free(&r);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates WHERE period = '2026-W46'"),
	                 1);
	assert_int_equal(server_count(f, "SELECT invested FROM updates WHERE period = '2026-W46'"),
	                 47);

	/* Dropped: never sent. */
	stop(f);
	submit_cli(f, "P1", "--week", "2026-W43", "43", 0, &r);
	e2e_run_free(&r);
	snprintf(id, sizeof id, "%lld", (long long)outbox_count(f, "SELECT id FROM outbox"));
	const char *drop[] = {"outbox", "drop", id, NULL};
	cli_expect(f, drop, 0, &r);
	e2e_run_free(&r);
	cli_expect(f, drop, LS_NOT_FOUND, &r);
	e2e_run_free(&r);
	restart(f, "0");
	cli_expect(f, flush, 0, &r);
	e2e_run_free(&r);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates WHERE period = '2026-W43'"),
	                 0);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 3);
}

/* ---- the connect hook, --no-outbox, the period fixed when queued ------------------ */

/* The current ISO week and month in Asia/Shanghai, by the C library's own
 * calendar: "2026-W48/2026-11". */
static void shanghai_now(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	localtime_r(&t, &tm);
	strftime(buf, 32, "%G-W%V/%Y-%m", &tm);
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

static void test_any_command_flushes(void **state)
{
	fx *f = *state;
	char tcp[64];
	snprintf(tcp, sizeof tcp, "%s", f->s.tcp_url);
	stop(f);
	e2e_run r;

	/* --no-outbox fails instead, and keeps nothing. */
	const char *strict[] = {"update",     "submit",     "--project",   "P1",        "--week",
	                        "2026-W40",   "--invested", "1",           "--percent", "1",
	                        "--progress", "x",          "--no-outbox", NULL};
	cli_expect(f, strict, LS_UNAVAILABLE, &r);
	assert_non_null(strstr(r.err, "UNAVAILABLE"));
	e2e_run_free(&r);

	/* Over TCP too: a refused connection queues. */
	const char *tcp_args[] = {"update",     "submit",     "--project", "P1",        "--week",
	                          "2026-W41",   "--invested", "41",        "--percent", "1",
	                          "--progress", "x",          NULL};
	cli_at(f, tcp, NULL, tcp_args, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "#1"));
	e2e_run_free(&r);
	submit_cli(f, "P1", "--week", "2026-W42", "42", 0, &r);
	e2e_run_free(&r);

	/* No period given: the one of this moment, fixed now. */
	char before[32], after[32];
	shanghai_now(before);
	const char *now_args[] = {"update",    "submit", "--project",  "P1",   "--invested", "7",
	                          "--percent", "1",      "--progress", "本周", NULL};
	cli_at(f, NULL, "Asia/Shanghai", now_args, &r);
	shanghai_now(after);
	assert_int_equal(r.status, 0);
	e2e_run_free(&r);
	cli_at(f, NULL, "Not/AZone", now_args, &r);
	assert_int_equal(r.status, LS_INVALID_ARGUMENT);
	e2e_run_free(&r);
	const char *list[] = {"outbox", "list", NULL};
	cli_expect(f, list, 0, &r);
	if (strstr(r.out, before) == NULL && strstr(r.out, after) == NULL)
		fail_msg("expected period %s in:\n%s", before, r.out);
	e2e_run_free(&r);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 3);

	/* whoami reaches the server, and the outbox goes first. */
	restart(f, "0");
	const char *whoami[] = {"whoami", NULL};
	cli_expect(f, whoami, 0, &r);
	assert_non_null(strstr(r.out, "五乡镇 clerk"));
	assert_non_null(strstr(r.err, "3 queued update(s) sent"));
	e2e_run_free(&r);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 3);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates WHERE period = '2026-W40'"),
	                 0);
	/* The undated one landed in this week. */
	char week_b[16], week_a[16];
	snprintf(week_b, sizeof week_b, "%.8s", before);
	snprintf(week_a, sizeof week_a, "%.8s", after);
	e2e_db *db = e2e_db_connect(&f->s);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM updates WHERE invested = 7 AND period "
	                            "IN (?1, ?2)",
	                            week_b, week_a),
	                 1);
	e2e_db_close(db);

	/* With the server up, a submit is sent at once and the outbox stays
	 * empty. */
	submit_cli(f, "P1", "--week", "2026-W39", "39", 0, &r);
	assert_null(strstr(r.out, "queued"));
	e2e_run_free(&r);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 4);
}

/* ---- an answer lost on the way back ----------------------------------------------- */

/* A relay between the client and the server that passes one request on
 * and swallows the answer: the server has written the update, the client
 * hears nothing. */
typedef struct relay {
	nng_socket front; /* REP, where the client connects */
	const char *server;
	int forwarded; /* 1 when the server answered the request */
} relay;

static void *relay_one(void *arg)
{
	relay *r = arg;
	void *msg = NULL;
	size_t len = 0;
	if (nng_recv(r->front, &msg, &len, NNG_FLAG_ALLOC) != 0)
		return NULL;
	nng_socket back;
	if (nng_req0_open(&back) == 0) {
		void *answer = NULL;
		size_t alen = 0;
		nng_socket_set_ms(back, NNG_OPT_RECVTIMEO, 10000 * e2e_timeout_scale());
		if (nng_dial(back, r->server, NULL, 0) == 0 && nng_send(back, msg, len, 0) == 0 &&
		    nng_recv(back, &answer, &alen, NNG_FLAG_ALLOC) == 0) {
			r->forwarded = 1;
			nng_free(answer, alen);
		}
		nng_close(back);
	}
	nng_free(msg, len);
	return NULL;
}

static void test_answer_lost(void **state)
{
	fx *f = *state;
	char url[E2E_PATH_MAX + 16];
	snprintf(url, sizeof url, "ipc://%s/relay.sock", f->s.dir);
	relay r = {.server = f->s.ipc_url};
	assert_int_equal(nng_rep0_open(&r.front), 0);
	assert_int_equal(nng_listen(r.front, url, NULL, 0), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, relay_one, &r), 0);

	/* No answer within the deadline: the request may have arrived, so it
	 * is queued under the key it was sent with. The deadline is long
	 * enough for the server to write the update before it passes (scaled
	 * where the server runs slowly, under valgrind). */
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%d", 300 * e2e_timeout_scale());
	const char *args[] = {"--timeout", timeout,  "update",     "submit",     "--project",
	                      "P1",        "--week", "2026-W20",   "--invested", "20",
	                      "--percent", "5",      "--progress", "桩基施工",   NULL};
	e2e_run run;
	cli_at(f, url, NULL, args, &run);
	pthread_join(th, NULL);
	nng_close(r.front);
	if (run.status != 0)
		fail_msg("exit %d: %s", run.status, run.err);
	assert_non_null(strstr(run.out, "queued in the outbox"));
	e2e_run_free(&run);
	assert_int_equal(r.forwarded, 1);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 1);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 1);

	/* Sent again with that key: the server answers from its record and
	 * writes nothing. */
	const char *flush[] = {"outbox", "flush", NULL};
	cli_expect(f, flush, 0, &run);
	assert_non_null(strstr(run.out, "revision 1"));
	e2e_run_free(&run);
	assert_int_equal(outbox_count(f, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(server_count(f, "SELECT count(*) FROM updates"), 1);
	assert_int_equal(server_count(f, "SELECT count(*) FROM audit_log WHERE entity = 'update'"),
	                 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fifty_offline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flush_interrupted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_any_command_flushes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_answer_lost, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
