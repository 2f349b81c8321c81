/* query_bench: how long the district office waits for its figures on a
 * province-sized database.
 *
 * Makes a database in a temporary directory (`luoshid init`), fills it
 * directly with SQL (by default 20,000 projects under 200 towns, 60
 * departments and 500 leaders, a year of monthly plans each, 52 weekly
 * updates each, about 1,040,000 rows, 5 nodes each and 5,000 problems),
 * starts luoshid on it, and times QueryService/Summary, Grouped(by town),
 * Lagging and the Summary of one town through the real RPC: one call to
 * warm up, then --runs calls each; prints the median, the fastest and the
 * slowest, the median time the client took to decode the answer (part of
 * the call's), the CPU time luoshid's threads spent per call, and the size
 * of the answer. Each query is timed four times: on the unchanged
 * database, where luoshid answers the office's queries from the figures it
 * keeps in memory; "after a refusal", each call after a call luoshid
 * refuses, which must not cost the figures kept; "one changed", each call
 * after another connection changes one project, which luoshid gathers
 * again before answering; and "fresh", each call after a unit changes, so
 * that luoshid reads everything from the database again. A benchmark, not a test: it checks
 * only that the calls succeed.
 *
 *   query_bench [--luoshid PATH] [--projects N] [--runs R] [--keep DIR]
 *
 * --keep DIR makes (or, when DIR/bench.db exists, reuses) the database in
 * DIR and leaves it there, so that runs after the first skip the filling.
 * The data is dated from today, as a live district's would be: the weeks
 * are the 52 before this one. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/query.pb-c.h"
#include "luoshi_client.h"
#include "rpc.h"
#include "period.h"

#ifndef LUOSHID_PATH
#define LUOSHID_PATH "luoshid"
#endif

#define CALL_TIMEOUT_MS 600000u
#define READY_TIMEOUT_MS 30000
#define MAX_RUNS 1000

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("query_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- luoshid ------------------------------------------------------------------ */

/* Runs argv with standard output into out (of n bytes, NUL-terminated) and
 * standard error to /dev/null; returns its exit status. */
static int run_capture(char *const argv[], char *out, size_t n)
{
	int fds[2];
	if (pipe(fds) != 0)
		die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	size_t got = 0;
	ssize_t r;
	while ((r = read(fds[0], out + got, n - 1 - got)) > 0 && got + (size_t)r < n - 1)
		got += (size_t)r;
	if (r > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		die("cannot find a free port: %s", strerror(errno));
	close(fd);
	return ntohs(a.sin_port);
}

static pid_t start_server(const char *luoshid, const char *db, const char *log, const char *url)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(luoshid, luoshid, "--db", db, "--listen", url, "--publish", "none",
		      "--rate-limit", "0", "--log", log, (char *)NULL);
		_exit(127);
	}
	uint64_t until = now_ns() + (uint64_t)READY_TIMEOUT_MS * 1000000u;
	while (now_ns() < until) {
		luoshi_client *c;
		ls_status st;
		luoshi_client_opts o = {.url = url, .timeout_ms = 1000};
		if (luoshi_client_open(&c, &o, &st) == LS_OK) {
			Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
			ProtobufCMessage *resp;
			int rc = luoshi_client_call(c, "/luoshi.v1.HealthService/Check", &req.base,
			                            NULL, &resp, &st);
			luoshi_client_close(c);
			if (rc == LS_OK) {
				protobuf_c_message_free_unpacked(resp, NULL);
				return pid;
			}
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid)
			die("luoshid exited at start; see %s", log);
		usleep(20000);
	}
	kill(pid, SIGKILL);
	die("luoshid did not answer within %d ms", READY_TIMEOUT_MS);
}

static void stop_server(pid_t pid)
{
	kill(pid, SIGTERM);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* The CPU time of all threads of pid, in ns (schedstat). */
static uint64_t process_cpu_ns(pid_t pid)
{
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	uint64_t sum = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s/schedstat", dir, e->d_name);
		FILE *f = fopen(path, "r");
		unsigned long long ns;
		if (f != NULL && fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		if (f != NULL)
			fclose(f);
	}
	closedir(d);
	return sum;
}

/* ---- the data -------------------------------------------------------------------- */

/* Each statement fills one table. The parameters: :n projects, :today,
 * :monday (the Monday of the first of the 52 weeks), :year (this year).
 * Nothing here knows the derived tables of the queries: the triggers of
 * the schema keep them as they would for any other write. */
static const char *const FILL[] = {
    /* 200 towns and 60 departments under the office init made (id 1). */
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) "
    "SELECT 1 + i, 'T' || i, '镇街' || i, 'town', 1, :today FROM n",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) "
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) "
    "SELECT 300 + i, 'D' || i, '部门' || i, 'department', 1, :today FROM n",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
    "INSERT INTO people(id, code, name, unit_id, created_at) "
    "SELECT i, 'L' || i, '领导' || i, 1, :today FROM n",
    /* Projects started 12 to 22 months ago, finishing 2 to 3 years after
     * their start; one in 50 stands in no town. */
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id, "
    "lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish, "
    "created_at) SELECT i, 'P' || i, '重点项目' || i, "
    "CASE i % 10 WHEN 0 THEN 'city' WHEN 1 THEN 'city' WHEN 2 THEN 'district' "
    "WHEN 3 THEN 'district' WHEN 4 THEN 'district' ELSE 'town' END, "
    "CASE i % 5 WHEN 0 THEN 'industrial' WHEN 1 THEN 'platform' WHEN 2 THEN "
    "'infrastructure' WHEN 3 THEN 'livelihood' ELSE 'special_task' END, "
    "CASE WHEN i % 3 = 0 THEN 'new' ELSE 'continuing' END, 1 + i % 500, 301 + i % 60, "
    "CASE WHEN i % 50 = 0 THEN NULL ELSE 2 + i % 200 END, 5000 + i % 5000, 'weekly', "
    "date(:today, '-' || (365 + i % 300) || ' days'), "
    "date(:today, '-' || (365 + i % 300) || ' days', '+' || (730 + i % 365) || ' days'), "
    ":today FROM n",
    /* This year's plan, month by month. */
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n), "
    "m(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM m WHERE m < 12) "
    "INSERT INTO plans(project_id, year, month, invested) "
    "SELECT i, :year, m, 100 + (i * 7 + m * 13) % 200 FROM n, m",
    /* 52 weekly updates each, the last for the week before this one. The
     * percent follows the time elapsed at the week's end, 3 points ahead
     * for most projects, 12 behind for one in 10, 25 behind for one in 33;
     * one in 25 stopped reporting 3 weeks ago. */
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n), "
    "w(k, mon) AS (SELECT 0, :monday UNION ALL SELECT k + 1, date(mon, '+7 days') FROM w "
    "WHERE k < 51), "
    "wk(k, mon, sun, thu) AS (SELECT k, mon, date(mon, '+6 days'), date(mon, '+3 days') "
    "FROM w), "
    "pr(i, start, finish) AS (SELECT id, julianday(planned_start), julianday(planned_finish) "
    "FROM projects) "
    "INSERT INTO updates(project_id, period, period_kind, period_first, period_last, month, "
    "year, revision, latest, unit_id, invested, output, percent, progress, submitted_at) "
    "SELECT pr.i, strftime('%Y', thu) || '-W' || printf('%02d', (strftime('%j', thu) - 1) / 7 "
    "+ 1), 'week', mon, sun, strftime('%Y-%m', thu), CAST(strftime('%Y', thu) AS INTEGER), "
    "1, 1, 1, 20 + (pr.i + k * 7) % 60, 40 + (pr.i * 3 + k) % 120, "
    "max(0, min(100, CAST((julianday(sun) - start) * 100 / (finish - start) AS INTEGER) "
    "+ CASE WHEN pr.i % 33 = 0 THEN -25 WHEN pr.i % 10 = 0 THEN -12 ELSE 3 END)), "
    "'按计划推进，完成当周形象进度', date(sun, '+1 days') || 'T09:00:00+08:00' "
    "FROM pr JOIN wk ON pr.i % 25 <> 0 OR wk.k < 49 ORDER BY pr.i, wk.k",
    /* Five nodes each, counted back from the finish; those due before today
     * are done, but for one project in 25 whose last one is still open. */
    "WITH RECURSIVE j(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM j WHERE j < 5) "
    "INSERT INTO nodes(project_id, name, due_date, owner_unit_id, done_date, created_at) "
    "SELECT p.id, '节点' || j, date(p.planned_finish, '-' || ((5 - j) * 150) || ' days'), "
    "p.lead_unit_id, CASE WHEN date(p.planned_finish, '-' || ((5 - j) * 150) || ' days') "
    ">= :today THEN NULL WHEN p.id % 25 = 7 AND date(p.planned_finish, '-' || ((4 - j) * "
    "150) || ' days') >= :today THEN NULL ELSE date(p.planned_finish, '-' || ((5 - j) * 150 + "
    "3) || ' days') END, :today FROM projects p, j",
    /* 5,000 problems raised in the last 300 days; four in five resolved. */
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
    "INSERT INTO problems(project_id, title, grp, routed_unit_id, due_date, status, "
    "raised_at, raised_on, resolved_at, resolved_on) "
    "SELECT 1 + (i * 37) % :n, '问题' || i, 'coordination', 1, "
    "date(:today, '-' || (i % 300) || ' days', '+30 days'), "
    "CASE WHEN i % 5 = 0 THEN 'open' ELSE 'resolved' END, "
    "date(:today, '-' || (i % 300) || ' days'), date(:today, '-' || (i % 300) || ' days'), "
    "CASE WHEN i % 5 = 0 THEN NULL ELSE date(:today, '-' || (i % 300) || ' days', '+' || "
    "(i % 25) || ' days') END, "
    "CASE WHEN i % 5 = 0 THEN NULL ELSE date(:today, '-' || (i % 300) || ' days', '+' || "
    "(i % 25) || ' days') END FROM n",
};

static const char *const FILL_WHAT[] = {"towns", "departments", "leaders", "projects",
                                        "plans", "updates",     "nodes",   "problems"};

static void fill(const char *path, int projects)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	/* A cache that holds the whole database: filling is a one-off. */
	sqlite3_exec(db, "PRAGMA cache_size = -2000000; PRAGMA foreign_keys = ON", NULL, NULL,
	             NULL);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		die("begin: %s", sqlite3_errmsg(db));
	int32_t today = ls_today();
	int32_t monday = today - (ls_weekday(today) - 1) - 7 * 52;
	char t[11], m[11];
	ls_date_format(today, t);
	ls_date_format(monday, m);
	int y, mo, d;
	ls_civil_from_days(today, &y, &mo, &d);
	for (size_t i = 0; i < sizeof FILL / sizeof FILL[0]; i++) {
		uint64_t t0 = now_ns();
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(db, FILL[i], -1, &q, NULL) != SQLITE_OK)
			die("prepare %s: %s", FILL_WHAT[i], sqlite3_errmsg(db));
		int k;
		if ((k = sqlite3_bind_parameter_index(q, ":n")) > 0)
			sqlite3_bind_int(q, k, projects);
		if ((k = sqlite3_bind_parameter_index(q, ":today")) > 0)
			sqlite3_bind_text(q, k, t, -1, SQLITE_STATIC);
		if ((k = sqlite3_bind_parameter_index(q, ":monday")) > 0)
			sqlite3_bind_text(q, k, m, -1, SQLITE_STATIC);
		if ((k = sqlite3_bind_parameter_index(q, ":year")) > 0)
			sqlite3_bind_int(q, k, y);
		if (sqlite3_step(q) != SQLITE_DONE)
			die("fill %s: %s", FILL_WHAT[i], sqlite3_errmsg(db));
		sqlite3_finalize(q);
		printf("  %-12s %9d rows  %7.1f s\n", FILL_WHAT[i], sqlite3_changes(db),
		       (double)(now_ns() - t0) / 1e9);
		fflush(stdout);
	}
	if (sqlite3_exec(db, "COMMIT; ANALYZE", NULL, NULL, NULL) != SQLITE_OK)
		die("commit: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* ---- timing ------------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

typedef struct query {
	const char *name;
	const char *method;
	const ProtobufCMessage *req;
} query;

/* What happens before each run: nothing; a call luoshid refuses (which
 * must not make it read everything again); one project changes (another
 * connection rewrites a project's row, and luoshid gathers that project
 * again); a unit changes (everything is read again). */
enum { KEPT, REFUSED, ONE_CHANGED, FRESH };

/* A Summary with a level no project has: INVALID_ARGUMENT. */
static void refused_call(luoshi_client *c)
{
	Luoshi__V1__QueryFilter f = LUOSHI__V1__QUERY_FILTER__INIT;
	f.has_level = true;
	f.level = 99;
	Luoshi__V1__SummaryRequest req = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	req.filter = &f;
	ProtobufCMessage *resp = NULL;
	ls_status st;
	int rc =
	    luoshi_client_call(c, "/luoshi.v1.QueryService/Summary", &req.base, NULL, &resp, &st);
	if (rc != LS_INVALID_ARGUMENT)
		die("a Summary of level 99 answered %s, not INVALID_ARGUMENT", ls_code_name(rc));
}

static void touch(sqlite3 *db, int how)
{
	static const char *const sql[] = {
	    [ONE_CHANGED] = "UPDATE projects SET name = name WHERE id = "
	                    "(SELECT id FROM projects ORDER BY random() LIMIT 1)",
	    [FRESH] = "UPDATE units SET name = name WHERE id = (SELECT min(id) FROM units)",
	};
	char *err = NULL;
	if ((how == ONE_CHANGED || how == FRESH) &&
	    sqlite3_exec(db, sql[how], NULL, NULL, &err) != SQLITE_OK)
		die("touch the database: %s", err ? err : "?");
}

/* Times q: the call until its answer's bytes are in, and the decoding of
 * them, each run after db changes what how says. */
static void time_query(luoshi_client *c, pid_t server, const query *q, int runs, sqlite3 *db,
                       int how)
{
	uint64_t t[MAX_RUNS], dec[MAX_RUNS];
	size_t bytes = 0;
	uint64_t cpu0 = 0;
	ls_method m;
	uint8_t *body;
	size_t len;
	if (ls_method_find(q->method, &m) != LS_OK || ls_message_pack(q->req, &body, &len) != LS_OK)
		die("%s: no such method, or out of memory", q->name);
	for (int r = -1; r < runs; r++) {
		if (r == 0)
			cpu0 = process_cpu_ns(server);
		touch(db, how);
		if (how == REFUSED)
			refused_call(c);
		ls_status st;
		uint8_t *out;
		size_t out_len;
		ProtobufCMessage *resp;
		uint64_t t0 = now_ns();
		int rc = luoshi_client_call_raw(c, q->method, body, len, NULL, &out, &out_len, &st);
		uint64_t t1 = now_ns();
		if (rc == LS_OK)
			rc = ls_message_unpack(m.method->output, out ? out : body, out_len,
			                       "answer", &resp, &st);
		uint64_t t2 = now_ns();
		if (rc != LS_OK)
			die("%s: %s: %s", q->name, ls_code_name(rc), st.message);
		bytes = out_len;
		free(out);
		protobuf_c_message_free_unpacked(resp, NULL);
		if (r >= 0) {
			t[r] = t2 - t0;
			dec[r] = t2 - t1;
		}
	}
	uint64_t cpu = process_cpu_ns(server) - cpu0;
	free(body);
	qsort(t, (size_t)runs, sizeof t[0], cmp_u64);
	qsort(dec, (size_t)runs, sizeof dec[0], cmp_u64);
	char name[64];
	static const char *const suffix[] = {[KEPT] = "",
	                                     [REFUSED] = " (after a refusal)",
	                                     [ONE_CHANGED] = " (one changed)",
	                                     [FRESH] = " (fresh)"};
	snprintf(name, sizeof name, "%s%s", q->name, suffix[how]);
	printf("%-32s median %7.2f ms   min %7.2f   max %7.2f   of which decoding %6.2f   "
	       "luoshid CPU %7.2f ms/call   answer %zu bytes\n",
	       name, (double)t[runs / 2] / 1e6, (double)t[0] / 1e6, (double)t[runs - 1] / 1e6,
	       (double)dec[runs / 2] / 1e6, (double)cpu / 1e6 / runs, bytes);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *luoshid = LUOSHID_PATH, *keep = NULL;
	int projects = 20000, runs = 15;
	static const struct option opts[] = {
	    {"luoshid", required_argument, NULL, 'l'}, {"projects", required_argument, NULL, 'n'},
	    {"runs", required_argument, NULL, 'r'},    {"keep", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			luoshid = optarg;
			break;
		case 'n':
			projects = atoi(optarg);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'k':
			keep = optarg;
			break;
		case 'h':
			printf("usage: query_bench [--luoshid PATH] [--projects N] [--runs R] "
			       "[--keep DIR]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (projects < 1 || projects > 1000000 || runs < 1 || runs > MAX_RUNS)
		die("--projects takes 1..1000000 and --runs 1..%d", MAX_RUNS);

	char dir[PATH_MAX], db[PATH_MAX + 16], log[PATH_MAX + 16], tokfile[PATH_MAX + 16];
	if (keep != NULL) {
		snprintf(dir, sizeof dir, "%s", keep);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			die("mkdir %s: %s", dir, strerror(errno));
	} else {
		snprintf(dir, sizeof dir, "/tmp/luoshi-qbench-XXXXXX");
		if (mkdtemp(dir) == NULL)
			die("mkdtemp: %s", strerror(errno));
	}
	snprintf(db, sizeof db, "%s/bench.db", dir);
	snprintf(log, sizeof log, "%s/luoshid.log", dir);
	snprintf(tokfile, sizeof tokfile, "%s/token", dir);

	char token[256] = "";
	struct stat sb;
	if (keep != NULL && stat(db, &sb) == 0) {
		FILE *f = fopen(tokfile, "r");
		if (f == NULL || fgets(token, sizeof token, f) == NULL)
			die("%s holds a database but no token file", dir);
		fclose(f);
		token[strcspn(token, "\n")] = '\0';
		printf("reusing %s\n", db);
	} else {
		char out[4096];
		char *init[] = {(char *)luoshid, (char *)"--db", db, (char *)"init", NULL};
		if (run_capture(init, out, sizeof out) != 0)
			die("%s --db %s init failed", luoshid, db);
		const char *p = strstr(out, "admin token: ");
		if (p == NULL || sscanf(p + 13, "%255s", token) != 1)
			die("no admin token in the output of init");
		FILE *f = fopen(tokfile, "w");
		if (f != NULL) {
			fprintf(f, "%s\n", token);
			fclose(f);
		}
		printf("filling %s with %d projects:\n", db, projects);
		uint64_t t0 = now_ns();
		fill(db, projects);
		printf("  filled in %.1f s\n", (double)(now_ns() - t0) / 1e9);
	}

	char url[64];
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", free_port());
	pid_t server = start_server(luoshid, db, log, url);
	luoshi_client *client;
	ls_status st;
	luoshi_client_opts o = {
	    .url = url, .token = token, .timeout_ms = CALL_TIMEOUT_MS, .max_message = 64u << 20};
	if (luoshi_client_open(&client, &o, &st) != LS_OK) {
		stop_server(server);
		die("connect: %s", st.message);
	}

	Luoshi__V1__SummaryRequest summary = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	Luoshi__V1__GroupedRequest grouped = LUOSHI__V1__GROUPED_REQUEST__INIT;
	grouped.has_by = true;
	grouped.by = LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN;
	Luoshi__V1__LaggingRequest lagging = LUOSHI__V1__LAGGING_REQUEST__INIT;
	/* And the summary of one town (about 100 projects): the office asks
	 * for the whole, a town for its own. */
	Luoshi__V1__QueryFilter town = LUOSHI__V1__QUERY_FILTER__INIT;
	town.town = (char *)"T1";
	Luoshi__V1__SummaryRequest town_summary = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	town_summary.filter = &town;
	const query queries[] = {
	    {"Summary", "/luoshi.v1.QueryService/Summary", &summary.base},
	    {"Grouped(town)", "/luoshi.v1.QueryService/Grouped", &grouped.base},
	    {"Lagging", "/luoshi.v1.QueryService/Lagging", &lagging.base},
	    {"Summary(one town)", "/luoshi.v1.QueryService/Summary", &town_summary.base},
	};
	printf("%d runs each after one to warm up, as of today, the admin's whole scope; the\n"
	       "median is of the whole call, the answer decoded by the client included.\n"
	       "(after a refusal): each run after a Summary luoshid refuses (a bad level);\n"
	       "(one changed): each run after another connection changes one project, which\n"
	       "luoshid gathers again; (fresh): after it changes a unit, so that luoshid reads\n"
	       "everything again instead of answering from the figures it keeps:\n",
	       runs);
	sqlite3 *db_touch;
	if (sqlite3_open(db, &db_touch) != SQLITE_OK)
		die("open %s: %s", db, sqlite3_errmsg(db_touch));
	sqlite3_busy_timeout(db_touch, 10000);
	for (int how = KEPT; how <= FRESH; how++)
		for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
			time_query(client, server, &queries[i], runs, db_touch, how);
	sqlite3_close(db_touch);
	luoshi_client_close(client);
	stop_server(server);
	if (keep == NULL) {
		static const char *const files[] = {"bench.db", "bench.db-wal", "bench.db-shm",
		                                    "luoshid.log", "token"};
		for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
			char path[PATH_MAX + 32];
			snprintf(path, sizeof path, "%s/%s", dir, files[i]);
			unlink(path);
		}
		rmdir(dir);
	} else {
		printf("the database stays in %s\n", dir);
	}
	return 0;
}
