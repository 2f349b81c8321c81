/* What ingest_bench and mixed_bench share: clocks and medians, per-thread
 * CPU from /proc, a luoshid started on a database of its own, the demo
 * district scaled up and written with SQL, a bare nng REQ/REP echo, and a
 * closed-loop load of N threads that records every call's latency by kind.
 * rpc_bench keeps its own copies of the first ones. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

#define BU_CALL_TIMEOUT_MS 10000u /* the deadline every call carries */
#define BU_MAX_RUNS 99
#define BU_MAX_KINDS 8
#define BU_MAX_GROUPS 12
#define BU_MAX_SHOWN 8 /* distinct error messages kept per run */
#define BU_ECHO_CONTEXTS 64
#define BU_TOKEN_SIZE 80

/* ---- time, statistics, options ------------------------------------------ */

uint64_t bu_now_ns(void);
void bu_sleep_until(uint64_t t_ns);
void bu_sleep_ms(unsigned ms);

/* The median of v[0..n), n <= BU_MAX_RUNS. */
double bu_median(const double *v, int n);

bool bu_parse_double(const char *s, double lo, double hi, double *out);
bool bu_parse_int(const char *s, long lo, long hi, int *out);
/* "1,8,32": at most max numbers within lo..hi. */
bool bu_parse_int_list(const char *s, int lo, int hi, int *out, int max, int *n);

/* Prints what the figures were measured on: CPU model and cores, memory,
 * kernel, load average, and the file system of dir. */
void bu_print_machine(FILE *f, const char *dir);

/* ---- CPU time per thread, and memory ------------------------------------- */

typedef struct bu_task_cpu {
	int tid;
	char comm[16];
	uint64_t ns;
} bu_task_cpu;

typedef struct bu_cpu_snap {
	bu_task_cpu *t; /* malloc'd, sorted by tid */
	size_t n;
} bu_cpu_snap;

/* CPU time between two snapshots, summed by thread name ("nng:task",
 * "nng:poll:epoll" ... count as one group "nng:*"). */
typedef struct bu_cpu_groups {
	bool known;
	int n;
	char name[BU_MAX_GROUPS][16];
	uint64_t ns[BU_MAX_GROUPS];
} bu_cpu_groups;

bu_cpu_snap bu_cpu_snapshot(pid_t pid);
/* Fills out from what happened between a and b; frees both. Threads that
 * ended in between are left out; threads that started count whole. */
void bu_cpu_delta(bu_cpu_snap *a, bu_cpu_snap *b, bu_cpu_groups *out);
uint64_t bu_cpu_total(const bu_cpu_groups *g);
/* The ns of the group named name, 0 when absent. */
uint64_t bu_cpu_group(const bu_cpu_groups *g, const char *name);

/* VmRSS of a process in KiB, or -1. */
long bu_vmrss_kb(pid_t pid);

/* ---- luoshid ------------------------------------------------------------- */

typedef struct bu_server {
	const char *prog;    /* the benchmark's name, for messages */
	const char *luoshid; /* the binary */
	pid_t pid;
	char dir[PATH_MAX];
	char db[PATH_MAX + 16];
	char log[PATH_MAX + 16];
	char out[PATH_MAX + 16];
	char url[64];
	char admin_token[BU_TOKEN_SIZE];
} bu_server;

/* Makes a temporary directory ($TMPDIR or /tmp) and runs `luoshid --db
 * DIR/b.db init` in it, keeping the admin token. Returns 0, or -1 with the
 * directory removed. */
int bu_server_create(bu_server *s, const char *prog, const char *luoshid);
/* Starts luoshid on the database on a free loopback port, with args (NULL
 * terminated, may be NULL) added, and waits until Health answers. Returns
 * 0 or -1. */
int bu_server_start(bu_server *s, const char *const *args);
/* SIGTERM, and waits (SIGKILL after 20 s). Says how it ended when not
 * cleanly. */
void bu_server_stop(bu_server *s);
/* Stops the server if it runs and removes the directory. */
void bu_server_destroy(bu_server *s);
/* Moves first's database, a SQLite file no server has open, to a new
 * database on the PostgreSQL server pg_url (a libpq URL with a
 * ?query part), with `luoshid --copy-from`, and makes each of the n
 * servers out[] a server of it (a directory of its own, first's admin
 * token), not started. Returns 0, or -1 after saying why. */
int bu_server_to_pg(const bu_server *first, const char *pg_url, bu_server *out, int n);
/* Removes dir and the files in it. */
void bu_remove_dir(const char *dir);

/* ---- the demo district, scaled up ------------------------------------------ */

/* The demo district's structure (its departments, support, inspection and
 * discipline units, its leaders) with n_towns towns, n_projects weekly
 * projects spread evenly over the towns (project i stands in town i %
 * n_towns), each with a plan for the quarters' last months of this year
 * (and of last year for continuing projects), contributing units, three
 * nodes, a task and history_weeks weeks of updates (the weeks
 * 1..history_weeks before this one), one town account per town and one
 * leader account. */
typedef struct bu_district {
	int n_towns, n_projects;
	int history_weeks;
	char (*town_token)[BU_TOKEN_SIZE]; /* by town index */
	char (*town_code)[16];
	char leader_token[BU_TOKEN_SIZE]; /* an account of role leader */
} bu_district;

/* Writes the district into the database luoshid init made (luoshid not
 * running). Returns 0 or -1 (with a message on stderr). */
int bu_district_build(const char *db, int n_towns, int n_projects, int history_weeks,
                      bu_district *d);
void bu_district_free(bu_district *d);
/* The code of the k-th project of a town (k < projects per town). */
void bu_project_code(const bu_district *d, int town, int k, char buf[16]);
int bu_projects_per_town(const bu_district *d);
/* Today, as it was at the first call: a run that passes midnight goes on
 * counting its weeks from the day it began. */
int32_t bu_today(void);
/* The ISO week weeks_ago weeks before bu_today's ("2026-W40"). */
void bu_week_back(int weeks_ago, char buf[16]);

/* Hands out (project, week) pairs of a town that no call has used: each
 * town walks its projects, then goes one week further back. Thread-safe. */
typedef struct bu_fresh bu_fresh;
bu_fresh *bu_fresh_alloc(const bu_district *d, int first_week_back);
void bu_fresh_free(bu_fresh *f);
void bu_fresh_next(bu_fresh *f, int town, char project[16], char week[16]);

/* ---- the bare echo --------------------------------------------------------- */

typedef struct bu_echo_ctx {
	nng_ctx ctx;
	nng_aio *aio;
	bool sending;
} bu_echo_ctx;

typedef struct bu_echo_server {
	nng_socket sock;
	bu_echo_ctx ctxs[BU_ECHO_CONTEXTS];
	char url[64];
} bu_echo_server;

/* A REP socket on a free loopback port whose contexts send back what came
 * in, from nng's callbacks. Returns 0 or -1. */
int bu_echo_open(bu_echo_server *es);
void bu_echo_close(bu_echo_server *es);
/* The same in a child process, forked before this process touches nng:
 * writes its URL and returns its pid, or -1. It dies with us. */
pid_t bu_echo_fork(char *url, size_t url_size);
void bu_echo_unfork(pid_t pid);

/* Makes one real call of method with req through luoshi_client (token and
 * key as given, either may be NULL) to an inproc REP socket here and keeps
 * the bytes it sent: *msg (malloc'd), *len. Returns 0 or -1. Call it from a
 * process that may use nng. */
int bu_capture_envelope(const char *method, const ProtobufCMessage *req, const char *token,
                        const char *key, uint8_t **msg, size_t *len);

/* ---- a closed-loop load -------------------------------------------------- */

typedef struct bu_load {
	int threads;
	double warmup_s, seconds;
	int n_kinds;
	/* Per thread, before the barrier: its state, or NULL with err filled
	 * (the thread then counts one error and idles). */
	void *(*open)(void *ctx, int thread, char *err, size_t err_size);
	/* One call: sets *kind (< n_kinds); true when it succeeded, else err
	 * is filled. */
	bool (*call)(void *ctx, void *state, int *kind, char *err, size_t err_size);
	void (*close)(void *ctx, void *state);
	void *ctx;
	pid_t server; /* its CPU is measured when not 0 */
	/* Called from the measuring thread every tick_s during the measured
	 * time (not at all when 0). */
	double tick_s;
	void (*tick)(void *ctx, double elapsed_s);
} bu_load;

typedef struct bu_kind_result {
	uint64_t calls;  /* measured and successful */
	uint64_t errors; /* failed, warm-up included */
	double rps, p50_us, p99_us;
} bu_kind_result;

typedef struct bu_load_result {
	bu_kind_result kind[BU_MAX_KINDS];
	bu_kind_result all;
	double seconds;
	bu_cpu_groups srv_cpu, self_cpu;
	int n_shown;
	char shown[BU_MAX_SHOWN][200]; /* distinct error messages */
} bu_load_result;

/* Runs the load: starts the threads, warms up, measures, stops them and
 * reduces what they recorded. Returns 0, or -1 when it could not run. */
int bu_load_run(const bu_load *l, bu_load_result *r);

#endif
