/* ingest_bench: weekly updates at full speed, against the transport and
 * the disk.
 *
 * Builds, in a temporary directory, a database holding the demo district
 * scaled up (--towns towns, --projects weekly projects, a town account
 * each, a plan, nodes, a task and --history weeks of updates per project),
 * starts luoshid on it (durable as always: WAL, synchronous=FULL; no rate
 * limit), and for each number of clients N runs N threads, each with its own
 * luoshi_client and a town's token, that call
 * /luoshi.v1.ProgressService/SubmitUpdate in a closed loop for projects of
 * their town, each call with a fresh idempotency key and a (project, week)
 * no call has used, so that every call writes a new row. In the same run it
 * measures four references:
 *   echo       N threads with bare nng REQ sockets sending a message of the
 *              size of the packed SubmitUpdate envelope to a REP echo in a
 *              child process (64 contexts answering from nng's callbacks);
 *   sqlite     one thread inserting the same rows into a table like updates
 *              (its DDL and indexes copied, no triggers) in a database
 *              beside luoshid's, each row its own transaction, WAL,
 *              synchronous=FULL;
 *   sqlite-db  one thread writing what a SubmitUpdate writes (the update,
 *              its audit row, an idempotency record) into a copy of
 *              luoshid's database, with its rows, indexes, triggers and
 *              foreign keys, each call its own transaction;
 *   floor      the same, FLOOR_PER_COMMIT calls per transaction: the most
 *              one writer can do for SubmitUpdate on this schema.
 * With --pg URL (a PostgreSQL server on which it may make a database),
 * the district is also copied there (luoshid --copy-from) and two more
 * targets run beside luoshid on SQLite:
 *   pg-1       luoshid on that PostgreSQL database;
 *   pg-2       two luoshid on it, each client dialing both.
 * Every point runs --runs times, the targets one after the other, and the
 * medians are printed with the ratios of luoshid to each. A benchmark, not
 * a test: it counts and prints failed calls.
 *
 *   ingest_bench [--luoshid PATH] [--clients 1,8,32,128] [--seconds S]
 *                [--warmup S] [--runs R] [--towns N] [--projects N]
 *                [--history W] [--server-arg ARG]... [--pg URL]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>
#include <sqlite3.h>

#include "bench_util.h"
#include "luoshi/v1/progress.pb-c.h"
#include "luoshi_client.h"
#include "period.h"

#ifndef LUOSHID_PATH
#define LUOSHID_PATH "luoshid"
#endif

#define SUBMIT_METHOD "/luoshi.v1.ProgressService/SubmitUpdate"
#define MAX_POINTS 16
#define MAX_CLIENTS 1024
#define MAX_SERVER_ARGS 16
#define PROGRESS_TEXT "主体结构施工至第十二层，二次结构砌筑同步推进，完成年度计划的八成"

/* The references (from T_SQLITE on) do not depend on the clients. */
enum target { T_LUOSHID, T_PG1, T_PG2, T_ECHO, T_SQLITE, T_COPY, T_FLOOR, N_TARGETS };
static const char *const target_name[N_TARGETS] = {"luoshid", "pg-1",      "pg-2", "echo",
                                                   "sqlite",  "sqlite-db", "floor"};

typedef struct options {
	const char *luoshid;
	int clients[MAX_POINTS];
	int n_points;
	double seconds, warmup;
	int runs;
	int towns, projects, history;
	const char *server_args[MAX_SERVER_ARGS + 1];
	int n_server_args;
	const char *pg; /* a PostgreSQL server's URL, or NULL */
} options;

static const char usage[] =
    "usage: ingest_bench [options]\n"
    "  --luoshid PATH     the server to start (default " LUOSHID_PATH ")\n"
    "  --clients LIST     numbers of client threads, comma-separated (default 1,8,32,128)\n"
    "  --seconds S        measured time per run (default 3)\n"
    "  --warmup S         unmeasured time before each run (default 0.5)\n"
    "  --runs R           runs per point and target; medians are reported (default 3)\n"
    "  --towns N          towns of the district (default 200)\n"
    "  --projects N       projects, spread evenly over the towns (default 20000)\n"
    "  --history W        weeks of updates every project has already (default 2)\n"
    "  --server-arg ARG   one more argument for luoshid (may repeat), e.g.\n"
    "                     --server-arg=--contexts --server-arg=256\n"
    "  --pg URL           also luoshid on PostgreSQL, one and two of them, on a database\n"
    "                     made on the server URL (postgresql://...?host=...)\n"
    "  --help\n";

static int parse_options(int argc, char **argv, options *o)
{
	static const struct option longs[] = {
	    {"luoshid", required_argument, NULL, 'l'},
	    {"clients", required_argument, NULL, 'c'},
	    {"seconds", required_argument, NULL, 's'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"runs", required_argument, NULL, 'r'},
	    {"towns", required_argument, NULL, 't'},
	    {"projects", required_argument, NULL, 'p'},
	    {"history", required_argument, NULL, 'y'},
	    {"server-arg", required_argument, NULL, 'a'},
	    {"pg", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	*o = (options){.luoshid = LUOSHID_PATH,
	               .clients = {1, 8, 32, 128},
	               .n_points = 4,
	               .seconds = 3,
	               .warmup = 0.5,
	               .runs = 3,
	               .towns = 200,
	               .projects = 20000,
	               .history = 2};
	int opt;
	bool ok = true;
	while (ok && (opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (opt) {
		case 'l':
			o->luoshid = optarg;
			break;
		case 'c':
			ok = bu_parse_int_list(optarg, 1, MAX_CLIENTS, o->clients, MAX_POINTS,
			                       &o->n_points);
			break;
		case 's':
			ok = bu_parse_double(optarg, 0.1, 3600, &o->seconds);
			break;
		case 'w':
			ok = bu_parse_double(optarg, 0, 600, &o->warmup);
			break;
		case 'r':
			ok = bu_parse_int(optarg, 1, BU_MAX_RUNS, &o->runs);
			break;
		case 't':
			ok = bu_parse_int(optarg, 1, 5000, &o->towns);
			break;
		case 'p':
			ok = bu_parse_int(optarg, 1, 1000000, &o->projects);
			break;
		case 'y':
			ok = bu_parse_int(optarg, 0, 200, &o->history);
			break;
		case 'a':
			ok = o->n_server_args < MAX_SERVER_ARGS;
			if (ok)
				o->server_args[o->n_server_args++] = optarg;
			break;
		case 'g':
			o->pg = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return 2;
		}
		if (!ok) {
			fprintf(stderr, "ingest_bench: bad value \"%s\"\n%s", optarg, usage);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ingest_bench: unexpected argument \"%s\"\n%s", argv[optind],
		        usage);
		return 2;
	}
	if (o->projects < o->towns) {
		fprintf(stderr, "ingest_bench: --projects must be at least --towns\n");
		return 2;
	}
	return 0;
}

/* ---- what every target shares --------------------------------------------- */

typedef struct bench {
	const options *o;
	bu_district d;
	bu_fresh *fresh;
	const char *url; /* luoshid */
	char echo_url[64];
	const uint8_t *msg; /* the echo's message: a SubmitUpdate envelope */
	size_t msg_len;
	char ref_db[PATH_MAX + 16];
	char copy_db[PATH_MAX + 16]; /* a copy of luoshid's database */
	atomic_int town_base;        /* the first town of the next luoshid run */
	int run_base;
	atomic_uint_fast64_t ref_next; /* the next row of the sqlite reference */
} bench;

/* The body every SubmitUpdate carries, but for the project and week. */
static void submit_request(Luoshi__V1__SubmitUpdateRequest *req, char *project, char *week,
                           uint64_t k)
{
	luoshi__v1__submit_update_request__init(req);
	req->project = project;
	req->week = week;
	req->has_invested = true;
	req->invested = 120 + (int64_t)(k % 400);
	req->has_output = true;
	req->output = 80 + (int64_t)(k % 300);
	req->has_percent = true;
	req->percent = (uint32_t)(k % 101);
	req->progress = (char *)PROGRESS_TEXT;
}

/* ---- luoshid ---------------------------------------------------------------- */

typedef struct luoshid_client {
	luoshi_client *c;
	int town;
	uint64_t calls;
} luoshid_client;

static void *luoshid_open(void *ctx, int thread, char *err, size_t n)
{
	bench *b = ctx;
	luoshid_client *s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	s->town = (b->run_base + thread) % b->d.n_towns;
	ls_status st;
	luoshi_client_opts o = {
	    .url = b->url, .token = b->d.town_token[s->town], .timeout_ms = BU_CALL_TIMEOUT_MS};
	if (luoshi_client_open(&s->c, &o, &st) != LS_OK) {
		snprintf(err, n, "luoshi_client_open: %s", st.message);
		free(s);
		return NULL;
	}
	return s;
}

static bool luoshid_call(void *ctx, void *state, int *kind, char *err, size_t n)
{
	bench *b = ctx;
	luoshid_client *s = state;
	char project[16], week[16], key[LUOSHI_KEY_SIZE];
	*kind = 0;
	bu_fresh_next(b->fresh, s->town, project, week);
	Luoshi__V1__SubmitUpdateRequest req;
	submit_request(&req, project, week, s->calls++);
	luoshi_new_key(key);
	ProtobufCMessage *resp;
	ls_status st;
	int rc = luoshi_client_call(s->c, SUBMIT_METHOD, &req.base, key, &resp, &st);
	if (rc != LS_OK) {
		snprintf(err, n, "%s: %s", ls_code_name(rc), st.message);
		return false;
	}
	const Luoshi__V1__Update *u = ((Luoshi__V1__SubmitUpdateResponse *)resp)->update;
	bool fresh =
	    u != NULL && u->revision == 1 && u->period != NULL && strcmp(u->period, week) == 0;
	if (!fresh)
		snprintf(err, n, "SubmitUpdate %s %s answered no new row (revision %u)", project,
		         week, u ? u->revision : 0);
	protobuf_c_message_free_unpacked(resp, NULL);
	return fresh;
}

static void luoshid_close(void *ctx, void *state)
{
	(void)ctx;
	luoshid_client *s = state;
	luoshi_client_close(s->c);
	free(s);
}

/* ---- the bare echo ---------------------------------------------------------- */

static void *echo_open(void *ctx, int thread, char *err, size_t n)
{
	(void)thread;
	bench *b = ctx;
	nng_socket *s = malloc(sizeof *s);
	int rv = s ? nng_req0_open(s) : NNG_ENOMEM;
	if (rv == 0) {
		/* As luoshi_client sets them for a call with a deadline. */
		nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, BU_CALL_TIMEOUT_MS + 1000);
		nng_socket_set_ms(*s, NNG_OPT_SENDTIMEO, BU_CALL_TIMEOUT_MS + 1000);
		if ((rv = nng_dial(*s, b->echo_url, NULL, 0)) != 0)
			nng_close(*s);
	}
	if (rv != 0) {
		snprintf(err, n, "echo client %s: %s", b->echo_url, nng_strerror(rv));
		free(s);
		return NULL;
	}
	return s;
}

static bool echo_call(void *ctx, void *state, int *kind, char *err, size_t n)
{
	bench *b = ctx;
	nng_socket *s = state;
	*kind = 0;
	void *buf;
	size_t len;
	/* The calls the client library makes: a copying send, an allocating
	 * receive. */
	int rv = nng_send(*s, (void *)b->msg, b->msg_len, 0);
	if (rv == 0)
		rv = nng_recv(*s, &buf, &len, NNG_FLAG_ALLOC);
	if (rv != 0) {
		snprintf(err, n, "echo: %s", nng_strerror(rv));
		return false;
	}
	bool same = len == b->msg_len && memcmp(buf, b->msg, len) == 0;
	nng_free(buf, len);
	if (!same)
		snprintf(err, n, "echo: %zu bytes came back, not the %zu sent", len, b->msg_len);
	return same;
}

static void echo_close_client(void *ctx, void *state)
{
	(void)ctx;
	nng_close(*(nng_socket *)state);
	free(state);
}

/* ---- SQLite, one transaction per row ------------------------------------- */

static const char REF_INSERT[] =
    "INSERT INTO updates(project_id, period, period_kind, period_first, period_last, month, "
    "year, revision, latest, unit_id, account_id, invested, output, percent, progress, "
    "next_plan, support_needed, submitted_at) VALUES (?1, ?2, 'week', ?3, ?4, ?5, ?6, 1, 1, "
    "?7, ?8, ?9, ?10, ?11, ?12, NULL, NULL, ?13)";

typedef struct ref_client {
	sqlite3 *db;
	sqlite3_stmt *ins;
} ref_client;

/* Makes the reference database: the updates table and its indexes as
 * luoshid's database has them. */
static int ref_create(const char *main_db, const char *ref_db)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1;
	if (sqlite3_open_v2(main_db, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open(ref_db, &dst) != SQLITE_OK ||
	    sqlite3_exec(dst, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src,
	                       "SELECT sql FROM sqlite_master WHERE tbl_name = 'updates' AND "
	                       "type IN ('table', 'index') AND sql IS NOT NULL "
	                       "ORDER BY type = 'index'",
	                       -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "ingest_bench: reference database: %s\n",
		        sqlite3_errmsg(dst ? dst : src));
		goto out;
	}
	int n = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (sqlite3_exec(dst, (const char *)sqlite3_column_text(q, 0), NULL, NULL, NULL) !=
		    SQLITE_OK) {
			fprintf(stderr, "ingest_bench: reference database: %s\n",
			        sqlite3_errmsg(dst));
			goto out;
		}
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "ingest_bench: luoshid's database has no updates table\n");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc;
}

static void *ref_open(void *ctx, int thread, char *err, size_t n)
{
	(void)thread;
	bench *b = ctx;
	ref_client *s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	/* As luoshid opens its database (server/store/store.c). */
	if (sqlite3_open_v2(b->ref_db, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(s->db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
	                 "PRAGMA foreign_keys = OFF",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, REF_INSERT, -1, &s->ins, NULL) != SQLITE_OK) {
		snprintf(err, n, "sqlite %s: %s", b->ref_db, sqlite3_errmsg(s->db));
		sqlite3_close(s->db);
		free(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 5000);
	return s;
}

/* The k-th row of the references, as luoshid writes a (project, week): a
 * week further back after each pass over the projects. */
typedef struct ref_row {
	uint64_t project; /* 0-based */
	int year;
	char period[16], first[11], last[11], month[8], now[40];
} ref_row;

static void ref_row_make(const bench *b, uint64_t k, ref_row *r)
{
	uint64_t projects = (uint64_t)b->d.n_projects;
	ls_period p;
	ls_period_of(LS_PERIOD_WEEK,
	             bu_today() - 7 * (1 + b->d.history_weeks + (int)(k / projects)), &p);
	int m;
	r->project = k % projects;
	ls_period_format(&p, r->period);
	ls_date_format(p.first, r->first);
	ls_date_format(p.last, r->last);
	ls_week_month(p.year, p.number, &r->year, &m);
	snprintf(r->month, sizeof r->month, "%04d-%02d", r->year, m);
	char zone[8];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	size_t len = strftime(r->now, sizeof r->now, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	snprintf(r->now + len, sizeof r->now - len, "%.3s:%.2s", zone, zone + 3);
}

/* Binds REF_INSERT's parameters but the project (1), unit (7) and account
 * (8). */
static void ref_bind(sqlite3_stmt *q, const ref_row *r, uint64_t k)
{
	sqlite3_bind_text(q, 2, r->period, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->first, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->last, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, r->month, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 6, r->year);
	sqlite3_bind_int64(q, 9, 120 + (int64_t)(k % 400));
	sqlite3_bind_int64(q, 10, 80 + (int64_t)(k % 300));
	sqlite3_bind_int(q, 11, (int)(k % 101));
	sqlite3_bind_text(q, 12, PROGRESS_TEXT, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 13, r->now, -1, SQLITE_STATIC);
}

/* Runs q, a statement that returns no row (what names it in err). */
static bool ref_step(sqlite3 *db, sqlite3_stmt *q, const char *what, char *err, size_t n)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		snprintf(err, n, "sqlite %s: %s", what, sqlite3_errmsg(db));
		return false;
	}
	return true;
}

static bool ref_call(void *ctx, void *state, int *kind, char *err, size_t n)
{
	bench *b = ctx;
	ref_client *s = state;
	*kind = 0;
	uint64_t k = atomic_fetch_add(&b->ref_next, 1);
	ref_row r;
	ref_row_make(b, k, &r);
	sqlite3_stmt *q = s->ins;
	sqlite3_bind_int64(q, 1, (int64_t)r.project + 1);
	sqlite3_bind_int64(q, 7, 1 + (int64_t)(k % (uint64_t)b->d.n_towns));
	sqlite3_bind_int64(q, 8, 2 + (int64_t)(k % (uint64_t)b->d.n_towns));
	ref_bind(q, &r, k);
	/* Outside an explicit transaction: the INSERT commits by itself. */
	return ref_step(s->db, q, "insert", err, n);
}

static void ref_close(void *ctx, void *state)
{
	(void)ctx;
	ref_client *s = state;
	sqlite3_finalize(s->ins);
	sqlite3_close(s->db);
	free(s);
}

/* ---- SQLite, in a copy of luoshid's database ---------------------------- */

/* The rows a transaction of the floor holds: a group commit's at 32
 * clients. */
#define FLOOR_PER_COMMIT 32

/* Copies luoshid's database, as bu_district_build left it, page by page:
 * its schema, triggers and rows. */
static int copy_create(const char *main_db, const char *copy_db)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc = -1;
	if (sqlite3_open_v2(main_db, &src, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_open(copy_db, &dst) == SQLITE_OK) {
		sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
		if (bk != NULL && sqlite3_backup_step(bk, -1) == SQLITE_DONE &&
		    sqlite3_backup_finish(bk) == SQLITE_OK &&
		    sqlite3_exec(dst, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) == SQLITE_OK)
			rc = 0;
		else if (bk != NULL)
			sqlite3_backup_finish(bk);
	}
	if (rc != 0)
		fprintf(stderr, "ingest_bench: copy of the database: %s\n",
		        sqlite3_errmsg(dst ? dst : src));
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc;
}

/* What luoshid writes beside an update: its audit row and the call's
 * idempotency record (server/store/store.c), with a sealed answer of the
 * size SubmitUpdate's takes. */
static const char COPY_AUDIT[] =
    "INSERT INTO audit_log(at, account_id, method, entity, entity_id, before, after, "
    "project_id) VALUES (?1, ?2, '" SUBMIT_METHOD "', 'update', ?3, NULL, ?4, ?5)";
static const char COPY_IDEM[] =
    "INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, created_at) "
    "VALUES (?1, ?2, ?3, zeroblob(273), ?4)";

typedef struct copy_client {
	sqlite3 *db;
	sqlite3_stmt *ins, *audit, *idem, *begin, *commit;
	int64_t *project, *unit; /* by the row's 0-based project */
	uint64_t n_projects;
	int64_t account; /* of the audit rows and idempotency records */
	int per_commit, in_tx;
} copy_client;

static void copy_close(void *ctx, void *state)
{
	(void)ctx;
	copy_client *s = state;
	if (s->in_tx > 0 && sqlite3_step(s->commit) != SQLITE_DONE)
		fprintf(stderr, "ingest_bench: copy: commit: %s\n", sqlite3_errmsg(s->db));
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->audit);
	sqlite3_finalize(s->idem);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_close(s->db);
	free(s->project);
	free(s->unit);
	free(s);
}

static void *copy_open(bench *b, int per_commit, char *err, size_t n)
{
	copy_client *s = calloc(1, sizeof *s);
	uint64_t cap = (uint64_t)b->d.n_projects;
	sqlite3_stmt *q = NULL;
	if (s == NULL || (s->project = calloc(cap, sizeof *s->project)) == NULL ||
	    (s->unit = calloc(cap, sizeof *s->unit)) == NULL) {
		snprintf(err, n, "out of memory");
		goto fail;
	}
	s->per_commit = per_commit;
	/* As luoshid opens its database (server/store/store.c). */
	if (sqlite3_open_v2(b->copy_db, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
	                 "PRAGMA foreign_keys = ON",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, REF_INSERT, -1, &s->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, COPY_AUDIT, -1, &s->audit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, COPY_IDEM, -1, &s->idem, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "BEGIN IMMEDIATE", -1, &s->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "COMMIT", -1, &s->commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT id, lead_unit_id FROM projects ORDER BY id", -1, &q,
	                       NULL) != SQLITE_OK)
		goto fail_db;
	sqlite3_busy_timeout(s->db, 5000);
	while (s->n_projects < cap && sqlite3_step(q) == SQLITE_ROW) {
		s->project[s->n_projects] = sqlite3_column_int64(q, 0);
		s->unit[s->n_projects++] = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT min(id) FROM accounts", -1, &q, NULL) != SQLITE_OK)
		goto fail_db;
	if (sqlite3_step(q) == SQLITE_ROW)
		s->account = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (s->n_projects < cap || s->account <= 0) {
		snprintf(err, n, "copy %s: %" PRIu64 " projects, not %" PRIu64, b->copy_db,
		         s->n_projects, cap);
		copy_close(b, s);
		return NULL;
	}
	return s;
fail_db:
	snprintf(err, n, "copy %s: %s", b->copy_db, sqlite3_errmsg(s->db));
	sqlite3_finalize(q);
	copy_close(b, s);
	return NULL;
fail:
	if (s != NULL)
		copy_close(b, s);
	return NULL;
}

static void *copy_open_row(void *ctx, int thread, char *err, size_t n)
{
	(void)thread;
	return copy_open(ctx, 1, err, n);
}

static void *copy_open_floor(void *ctx, int thread, char *err, size_t n)
{
	(void)thread;
	return copy_open(ctx, FLOOR_PER_COMMIT, err, n);
}

/* What luoshid writes for one SubmitUpdate: the update (with no account),
 * its audit row and an idempotency record; in a transaction of its own
 * or in the current one of per_commit calls. */
static bool copy_call(void *ctx, void *state, int *kind, char *err, size_t n)
{
	bench *b = ctx;
	copy_client *s = state;
	*kind = 0;
	uint64_t k = atomic_fetch_add(&b->ref_next, 1);
	ref_row r;
	ref_row_make(b, k, &r);
	int64_t project = s->project[r.project];
	if (s->in_tx == 0 && !ref_step(s->db, s->begin, "begin", err, n))
		return false;
	s->in_tx++;

	sqlite3_stmt *q = s->ins;
	sqlite3_bind_int64(q, 1, project);
	sqlite3_bind_int64(q, 7, s->unit[r.project]);
	sqlite3_bind_null(q, 8);
	ref_bind(q, &r, k);
	bool ok = ref_step(s->db, q, "insert", err, n);
	if (ok) {
		/* An audit row of the size and shape of luoshid's. */
		char after[640];
		snprintf(after, sizeof after,
		         "{\"id\":\"%lld\",\"projectCode\":\"P%05" PRIu64 "\",\"period\":\"%s\","
		         "\"revision\":1,\"invested\":\"%" PRIu64 "\",\"progress\":\"%s\","
		         "\"submittedAt\":\"%s\",\"latest\":true}",
		         (long long)sqlite3_last_insert_rowid(s->db), r.project + 1, r.period,
		         120 + k % 400, PROGRESS_TEXT, r.now);
		q = s->audit;
		sqlite3_bind_text(q, 1, r.now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, s->account);
		sqlite3_bind_int64(q, 3, sqlite3_last_insert_rowid(s->db));
		sqlite3_bind_text(q, 4, after, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, project);
		ok = ref_step(s->db, q, "insert", err, n);
	}
	if (ok) {
		/* Keys as the server keeps them: hashes, spread at random. */
		uint8_t key[32], request[32];
		randombytes_buf(key, sizeof key);
		randombytes_buf(request, sizeof request);
		q = s->idem;
		sqlite3_bind_int64(q, 1, s->account);
		sqlite3_bind_blob(q, 2, key, sizeof key, SQLITE_STATIC);
		sqlite3_bind_blob(q, 3, request, sizeof request, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, (int64_t)time(NULL));
		ok = ref_step(s->db, q, "insert", err, n);
	}
	if (!ok) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = 0;
		return false;
	}
	if (s->in_tx < s->per_commit)
		return true;
	s->in_tx = 0;
	return ref_step(s->db, s->commit, "commit", err, n);
}

/* ---- main ------------------------------------------------------------------- */

static double us_per_call(uint64_t ns, uint64_t calls)
{
	return calls ? ns / 1000.0 / calls : 0;
}

/* The measured CPU of a run as µs per call: the server's by thread group,
 * and this process's. */
static void print_cpu(const bu_load_result *x, FILE *f)
{
	uint64_t calls = x->all.calls;
	if (x->srv_cpu.known) {
		fprintf(f, "  server µs/call:");
		for (int g = 0; g < x->srv_cpu.n; g++)
			fprintf(f, " %s %.1f", x->srv_cpu.name[g],
			        us_per_call(x->srv_cpu.ns[g], calls));
		fprintf(f, " | total %.1f", us_per_call(bu_cpu_total(&x->srv_cpu), calls));
	}
	if (x->self_cpu.known)
		fprintf(f, "%s this process (clients) %.1f µs/call", x->srv_cpu.known ? ";" : "  ",
		        us_per_call(bu_cpu_total(&x->self_cpu), calls));
	fputc('\n', f);
}

int main(int argc, char **argv)
{
	options o;
	int rc = parse_options(argc, argv, &o);
	if (rc != 0)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	static bench b;
	uint8_t *msg = NULL;
	b.o = &o;
	atomic_init(&b.ref_next, 0);

	/* Before anything touches nng in this process. */
	pid_t echo_pid = bu_echo_fork(b.echo_url, sizeof b.echo_url);
	if (echo_pid < 0)
		return 1;

	bu_server srv, pgs[2];
	char pg2_url[2 * sizeof srv.url + 2] = "";
	memset(pgs, 0, sizeof pgs);
	rc = 1;
	if (bu_server_create(&srv, "ingest_bench", o.luoshid) != 0)
		goto out_echo;
	uint64_t t0 = bu_now_ns();
	if (bu_district_build(srv.db, o.towns, o.projects, o.history, &b.d) != 0)
		goto out_srv;
	double build_s = (double)(bu_now_ns() - t0) / 1e9;
	snprintf(b.ref_db, sizeof b.ref_db, "%s/reference.db", srv.dir);
	snprintf(b.copy_db, sizeof b.copy_db, "%s/copy.db", srv.dir);
	if (ref_create(srv.db, b.ref_db) != 0 || copy_create(srv.db, b.copy_db) != 0)
		goto out_district;
	const char *args[MAX_SERVER_ARGS + 3] = {"--rate-limit", "0"};
	for (int i = 0; i < o.n_server_args; i++)
		args[2 + i] = o.server_args[i];
	double copy_s = 0;
	if (o.pg != NULL) {
		uint64_t c0 = bu_now_ns();
		if (bu_server_to_pg(&srv, o.pg, pgs, 2) != 0 ||
		    bu_server_start(&pgs[0], args) != 0 || bu_server_start(&pgs[1], args) != 0)
			goto out_district;
		copy_s = (double)(bu_now_ns() - c0) / 1e9;
		snprintf(pg2_url, sizeof pg2_url, "%s,%s", pgs[0].url, pgs[1].url);
	}
	if (bu_server_start(&srv, args) != 0)
		goto out_district;
	b.url = srv.url;
	b.fresh = bu_fresh_alloc(&b.d, 1 + o.history);
	if (b.fresh == NULL)
		goto out_district;

	/* The echo's message: a SubmitUpdate envelope as the clients send it. */
	{
		char project[16], week[16], key[LUOSHI_KEY_SIZE];
		bu_project_code(&b.d, 0, 0, project);
		bu_week_back(1 + o.history, week);
		Luoshi__V1__SubmitUpdateRequest req;
		submit_request(&req, project, week, 0);
		luoshi_new_key(key);
		if (bu_capture_envelope(SUBMIT_METHOD, &req.base, b.d.town_token[0], key, &msg,
		                        &b.msg_len) != 0)
			goto out_fresh;
		b.msg = msg;
	}

	printf("ingest_bench: SubmitUpdate through luoshid %s at %s, durable (WAL, "
	       "synchronous=FULL), --rate-limit 0",
	       o.luoshid, srv.url);
	for (int i = 0; i < o.n_server_args; i++)
		printf(" %s", o.server_args[i]);
	printf("\n");
	bu_print_machine(stdout, srv.dir);
	printf("database: %d towns, %d weekly projects (%d a town), a town account each; plans, "
	       "3 nodes, a task and %d weeks of updates per project; built in %.1f s\n",
	       o.towns, o.projects, bu_projects_per_town(&b.d), o.history, build_s);
	if (o.pg != NULL)
		printf(
		    "PostgreSQL: the district copied to %s (luoshid --copy-from, with the start of "
		    "two luoshid: %.1f s); pg-1 = luoshid at %s, pg-2 = that one and another at %s, "
		    "each client dialing both\n",
		    pgs[0].db, copy_s, pgs[0].url, pgs[1].url);
	printf("references: echo = bare nng REQ/REP echo at %s (child process, %d contexts) of "
	       "the %zu-byte SubmitUpdate envelope;\n            sqlite = one thread inserting "
	       "the same rows into a copy of the updates table, one transaction per row, WAL, "
	       "synchronous=FULL, in %s;\n            sqlite-db = the same rows into a copy of "
	       "luoshid's database (its rows, indexes and triggers), one transaction per row;\n"
	       "            floor = the same as sqlite-db, %d rows per transaction: what one "
	       "writer can do on this schema with no RPC, no audit row and no idempotency "
	       "record\n",
	       b.echo_url, BU_ECHO_CONTEXTS, b.msg_len, srv.dir, FLOOR_PER_COMMIT);
	printf("%d run%s per point and target, %.1f s measured after %.1f s warm-up, targets "
	       "in turn; figures are medians over the runs\n",
	       o.runs, o.runs == 1 ? "" : "s", o.seconds, o.warmup);
#ifndef __OPTIMIZE__
	printf("warning: ingest_bench itself was built without optimization\n");
#endif
	printf("\n%4s %4s %-8s %9s %9s %9s %8s %6s\n", "N", "run", "target", "req/s", "p50 µs",
	       "p99 µs", "calls", "errors");

	static bu_load_result res[MAX_POINTS][N_TARGETS][BU_MAX_RUNS];
	uint64_t total_errors = 0;
	int town_base = 0;
	for (int p = 0; p < o.n_points; p++) {
		int n = o.clients[p];
		for (int r = 0; r < o.runs; r++) {
			for (int t = 0; t < N_TARGETS; t++) {
				bool rpc = t == T_LUOSHID || t == T_PG1 || t == T_PG2;
				if ((t == T_PG1 || t == T_PG2) && o.pg == NULL)
					continue;
				bu_load l = {.threads = rpc || t == T_ECHO ? n : 1,
				             .warmup_s = o.warmup,
				             .seconds = o.seconds,
				             .n_kinds = 1,
				             .ctx = &b};
				if (rpc) {
					/* Each run starts at other towns, so that they all
					 * get their share of the rows. */
					b.run_base = town_base;
					town_base = (town_base + n) % o.towns;
					l.open = luoshid_open;
					l.call = luoshid_call;
					l.close = luoshid_close;
					/* pg-2: the CPU of the first of the two. */
					l.server = t == T_LUOSHID ? srv.pid : pgs[0].pid;
					b.url = t == T_LUOSHID ? srv.url
					        : t == T_PG1   ? pgs[0].url
					                       : pg2_url;
				} else if (t == T_ECHO) {
					l.open = echo_open;
					l.call = echo_call;
					l.close = echo_close_client;
					l.server = echo_pid;
				} else if (t == T_SQLITE) {
					l.open = ref_open;
					l.call = ref_call;
					l.close = ref_close;
				} else {
					l.open = t == T_COPY ? copy_open_row : copy_open_floor;
					l.call = copy_call;
					l.close = copy_close;
				}
				bu_load_result *x = &res[p][t][r];
				if (bu_load_run(&l, x) != 0)
					goto out_msg;
				printf("%4d %4d %-8s %9.0f %9.1f %9.1f %8" PRIu64 " %6" PRIu64 "\n",
				       l.threads, r + 1, target_name[t], x->all.rps, x->all.p50_us,
				       x->all.p99_us, x->all.calls, x->all.errors);
				for (int e = 0; e < x->n_shown; e++)
					printf("           error: %s\n", x->shown[e]);
				if (rpc || t == T_ECHO)
					print_cpu(x, stdout);
				total_errors += x->all.errors;
			}
		}
	}

	/* The sqlite references do not depend on N: their medians over every
	 * run are the bases of the other ratios. */
	int n_ref = o.n_points * o.runs;
	int n_med = n_ref < BU_MAX_RUNS ? n_ref : BU_MAX_RUNS;
	double ref_med[N_TARGETS][3] = {{0}}; /* req/s, p50, p99 */
	for (int t = T_SQLITE; t < N_TARGETS; t++) {
		double v[3][MAX_POINTS * BU_MAX_RUNS];
		for (int i = 0, p = 0; p < o.n_points; p++)
			for (int r = 0; r < o.runs; r++, i++) {
				v[0][i] = res[p][t][r].all.rps;
				v[1][i] = res[p][t][r].all.p50_us;
				v[2][i] = res[p][t][r].all.p99_us;
			}
		for (int j = 0; j < 3; j++)
			ref_med[t][j] = bu_median(v[j], n_med);
	}
	double ref_rps = ref_med[T_SQLITE][0];

	printf("\nmedians over %d run%s (luoshid/echo: ratio of the median throughputs, in "
	       "brackets the range of the per-run ratios;\nluoshid/sqlite: luoshid's median "
	       "over sqlite's median of all %d runs: %.0f rows/s, p50 %.1f µs, p99 %.1f µs)\n",
	       o.runs, o.runs == 1 ? "" : "s", n_ref, ref_rps, ref_med[T_SQLITE][1],
	       ref_med[T_SQLITE][2]);
	printf("%7s | %10s %8s %8s | %10s %8s %8s | %-22s | %s\n", "clients", "luoshid/s", "p50 µs",
	       "p99 µs", "echo/s", "p50 µs", "p99 µs", "luoshid/echo", "luoshid/sqlite");
	double ratio_echo[MAX_POINTS], ratio_ref[MAX_POINTS], lrps[MAX_POINTS], lp50[MAX_POINTS],
	    lp99[MAX_POINTS];
	for (int p = 0; p < o.n_points; p++) {
		double v[BU_MAX_RUNS], e[BU_MAX_RUNS], v50[BU_MAX_RUNS], v99[BU_MAX_RUNS],
		    e50[BU_MAX_RUNS], e99[BU_MAX_RUNS], lo = 1e300, hi = 0;
		for (int r = 0; r < o.runs; r++) {
			const bu_load_result *L = &res[p][T_LUOSHID][r], *E = &res[p][T_ECHO][r];
			v[r] = L->all.rps;
			v50[r] = L->all.p50_us;
			v99[r] = L->all.p99_us;
			e[r] = E->all.rps;
			e50[r] = E->all.p50_us;
			e99[r] = E->all.p99_us;
			double q = e[r] > 0 ? v[r] / e[r] : 0;
			lo = q < lo ? q : lo;
			hi = q > hi ? q : hi;
		}
		lrps[p] = bu_median(v, o.runs);
		lp50[p] = bu_median(v50, o.runs);
		lp99[p] = bu_median(v99, o.runs);
		double er = bu_median(e, o.runs);
		ratio_echo[p] = er > 0 ? lrps[p] / er : 0;
		ratio_ref[p] = ref_rps > 0 ? lrps[p] / ref_rps : 0;
		char range[64];
		snprintf(range, sizeof range, "%5.1f%% [%.1f–%.1f%%]", 100 * ratio_echo[p],
		         100 * lo, 100 * hi);
		printf("%7d | %10.0f %8.1f %8.1f | %10.0f %8.1f %8.1f | %-24s | %.2f×\n",
		       o.clients[p], lrps[p], lp50[p], lp99[p], er, bu_median(e50, o.runs),
		       bu_median(e99, o.runs), range, ratio_ref[p]);
	}
	printf("aims (issue 9): luoshid/echo ≥ 60%% at 32 clients; luoshid/sqlite ≥ 2×\n");

	printf("\nagainst luoshid's own schema (medians of all %d runs): sqlite-db %.0f rows/s "
	       "(p50 %.1f µs), floor %.0f rows/s\n",
	       n_ref, ref_med[T_COPY][0], ref_med[T_COPY][1], ref_med[T_FLOOR][0]);
	printf("%7s | %10s | %14s | %14s\n", "clients", "luoshid/s", "luoshid/sqlite-db",
	       "luoshid/floor");
	for (int p = 0; p < o.n_points; p++)
		printf("%7d | %10.0f | %16.2f× | %12.1f%%\n", o.clients[p], lrps[p],
		       ref_med[T_COPY][0] > 0 ? lrps[p] / ref_med[T_COPY][0] : 0,
		       ref_med[T_FLOOR][0] > 0 ? 100 * lrps[p] / ref_med[T_FLOOR][0] : 0);

	printf("\nluoshid's CPU per SubmitUpdate, µs, median over the runs, by thread "
	       "(luoshid = the loop thread; nng:* = nng's I/O and task threads)\n");
	for (int p = 0; p < o.n_points; p++) {
		const bu_load_result *x0 = &res[p][T_LUOSHID][0];
		printf("%7d clients:", o.clients[p]);
		for (int g = 0; g < x0->srv_cpu.n; g++) {
			double v[BU_MAX_RUNS];
			for (int r = 0; r < o.runs; r++) {
				const bu_load_result *x = &res[p][T_LUOSHID][r];
				v[r] = us_per_call(bu_cpu_group(&x->srv_cpu, x0->srv_cpu.name[g]),
				                   x->all.calls);
			}
			printf(" %s %.1f", x0->srv_cpu.name[g], bu_median(v, o.runs));
		}
		double v[BU_MAX_RUNS], c[BU_MAX_RUNS];
		for (int r = 0; r < o.runs; r++) {
			const bu_load_result *x = &res[p][T_LUOSHID][r];
			v[r] = us_per_call(bu_cpu_total(&x->srv_cpu), x->all.calls);
			c[r] = us_per_call(bu_cpu_total(&x->self_cpu), x->all.calls);
		}
		printf(" | total %.1f; the clients %.1f\n", bu_median(v, o.runs),
		       bu_median(c, o.runs));
	}

	double pg_rps[2][MAX_POINTS] = {{0}};
	if (o.pg != NULL) {
		printf("\nluoshid on SQLite and on PostgreSQL, medians over %d run%s (pg-2: two "
		       "luoshid on one database, each client dialing both)\n",
		       o.runs, o.runs == 1 ? "" : "s");
		printf("%7s | %10s %10s %10s | %11s %11s %9s\n", "clients", "sqlite/s", "pg-1/s",
		       "pg-2/s", "pg-1/sqlite", "pg-2/sqlite", "pg-2/pg-1");
		for (int p = 0; p < o.n_points; p++) {
			for (int k = 0; k < 2; k++) {
				double v[BU_MAX_RUNS];
				for (int r = 0; r < o.runs; r++)
					v[r] = res[p][T_PG1 + k][r].all.rps;
				pg_rps[k][p] = bu_median(v, o.runs);
			}
			printf("%7d | %10.0f %10.0f %10.0f | %10.2f× %10.2f× %8.2f×\n",
			       o.clients[p], lrps[p], pg_rps[0][p], pg_rps[1][p],
			       lrps[p] > 0 ? pg_rps[0][p] / lrps[p] : 0,
			       lrps[p] > 0 ? pg_rps[1][p] / lrps[p] : 0,
			       pg_rps[0][p] > 0 ? pg_rps[1][p] / pg_rps[0][p] : 0);
		}
	}

	printf("\n%s\n",
	       total_errors ? "some calls failed (see the per-run lines)" : "all calls succeeded");
	printf("\nsummary (name | figure | value):\n");
	for (int p = 0; p < o.n_points; p++) {
		printf("figure: ingest_bench | SubmitUpdate req/s, %d clients | %.0f\n",
		       o.clients[p], lrps[p]);
		printf("figure: ingest_bench | SubmitUpdate p50/p99 µs, %d clients | %.0f / %.0f\n",
		       o.clients[p], lp50[p], lp99[p]);
		printf("figure: ingest_bench | luoshid/echo, %d clients | %.1f%%\n", o.clients[p],
		       100 * ratio_echo[p]);
		printf("figure: ingest_bench | luoshid/sqlite-row-per-commit, %d clients | %.2fx\n",
		       o.clients[p], ratio_ref[p]);
	}
	printf("figure: ingest_bench | sqlite one commit per row, rows/s | %.0f\n", ref_rps);
	printf("figure: ingest_bench | sqlite-db one commit per row, rows/s | %.0f\n",
	       ref_med[T_COPY][0]);
	printf("figure: ingest_bench | floor, %d rows per commit, rows/s | %.0f\n",
	       FLOOR_PER_COMMIT, ref_med[T_FLOOR][0]);
	for (int p = 0; o.pg != NULL && p < o.n_points; p++)
		printf(
		    "figure: ingest_bench | SubmitUpdate req/s on PostgreSQL, one / two luoshid, "
		    "%d clients | %.0f / %.0f\n",
		    o.clients[p], pg_rps[0][p], pg_rps[1][p]);
	printf("figure: ingest_bench | errors | %" PRIu64 "\n", total_errors);
	rc = total_errors ? 3 : 0;

out_msg:
	free(msg);
out_fresh:
	bu_fresh_free(b.fresh);
out_district:
	bu_server_destroy(&pgs[1]);
	bu_server_destroy(&pgs[0]);
	bu_district_free(&b.d);
out_srv:
	bu_server_destroy(&srv);
out_echo:
	bu_echo_unfork(echo_pid);
	return rc;
}
