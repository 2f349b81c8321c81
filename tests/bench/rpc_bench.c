/* rpc_bench: how much of a bare nng REQ/REP echo's throughput luoshid keeps.
 *
 * For each number of clients N, N threads each call
 * /luoshi.v1.HealthService/Check through their own luoshi_client in a closed
 * loop against a luoshid this program starts (or --url), and, in the same
 * run, N threads each with their own nng REQ socket send a message of the
 * same size as that call's request envelope to a bare REP echo served from
 * this process (64 contexts, aio callbacks that send back what came in; with
 * --echo-process, from a child process). Every point is run --runs times,
 * alternating luoshid and echo, and the medians are printed, with the CPU
 * time per call of each side read from /proc. A benchmark, not a test: it
 * checks only that the calls succeed, and counts and prints the ones that
 * did not.
 *
 *   rpc_bench [--luoshid PATH | --url URL] [--clients 1,8,32] [--seconds S]
 *             [--warmup S] [--runs R] [--echo-process]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "bench_util.h"
#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/rpc.pb-c.h"
#include "luoshi_client.h"
#include "rpc.h"

#ifndef LUOSHID_PATH
#define LUOSHID_PATH "luoshid"
#endif

#define HEALTH_METHOD "/luoshi.v1.HealthService/Check"
#define CALL_TIMEOUT_MS 10000u /* the deadline every call carries */
#define READY_TIMEOUT_MS 10000 /* how long luoshid may take to answer Health */
#define STOP_TIMEOUT_MS 10000  /* how long luoshid may take to stop on SIGTERM */
#define MAX_POINTS 16
#define MAX_RUNS 99
#define MAX_CLIENTS 1024
#define SIZE_URL "inproc://rpc_bench-envelope-size"

enum target { T_LUOSHID, T_ECHO, N_TARGETS };
static const char *const target_name[N_TARGETS] = {"luoshid", "echo"};

enum phase { PH_WARMUP, PH_MEASURE, PH_STOP };

/* ---- small helpers ---------------------------------------------------------- */

/* CPU time of a process's threads, in ns, split between nng's own threads
 * ("nng:task", "nng:poll:epoll", ...) and the others (luoshid's loop thread;
 * this program's client threads). */
typedef struct cpu_split {
	uint64_t nng, other;
	bool known;
} cpu_split;

static bool read_small(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	size_t got = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[got] = '\0';
	return got > 0;
}

/* One thread's CPU time: from schedstat (ns) when the kernel has it, else
 * from stat (clock ticks). */
static uint64_t thread_cpu_ns(const char *task_dir)
{
	char path[PATH_MAX + 16], buf[1024];
	unsigned long long ns, utime, stime;
	snprintf(path, sizeof path, "%s/schedstat", task_dir);
	if (read_small(path, buf, sizeof buf) && sscanf(buf, "%llu", &ns) == 1)
		return ns;
	snprintf(path, sizeof path, "%s/stat", task_dir);
	if (!read_small(path, buf, sizeof buf))
		return 0;
	/* After the command's closing parenthesis: utime is field 14, stime 15. */
	const char *p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	                        &utime, &stime) != 2)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return (utime + stime) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
}

/* The CPU time of each thread of a process at one moment. */
typedef struct task_cpu {
	int tid;
	bool nng;
	uint64_t ns;
} task_cpu;

typedef struct cpu_snap {
	task_cpu *t;
	size_t n;
} cpu_snap;

static int cmp_tid(const void *a, const void *b)
{
	return ((const task_cpu *)a)->tid - ((const task_cpu *)b)->tid;
}

static cpu_snap cpu_snapshot(pid_t pid)
{
	cpu_snap s = {0};
	size_t cap = 0;
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (d == NULL)
		return s;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char task[PATH_MAX], path[PATH_MAX + 16], comm[64];
		snprintf(task, sizeof task, "%s/%s", dir, e->d_name);
		snprintf(path, sizeof path, "%s/comm", task);
		if (!read_small(path, comm, sizeof comm))
			continue;
		if (s.n == cap) {
			cap = cap ? cap * 2 : 64;
			task_cpu *t = realloc(s.t, cap * sizeof *t);
			if (t == NULL)
				break;
			s.t = t;
		}
		s.t[s.n++] = (task_cpu){.tid = atoi(e->d_name),
		                        .nng = strncmp(comm, "nng:", 4) == 0,
		                        .ns = thread_cpu_ns(task)};
	}
	closedir(d);
	qsort(s.t, s.n, sizeof *s.t, cmp_tid);
	return s;
}

/* What the threads of a process used between two snapshots. Threads that
 * ended in between are left out (a thread just joined may still be listed
 * in the first one); threads that started count whole. Frees both. */
static cpu_split cpu_delta(cpu_snap *a, cpu_snap *b)
{
	cpu_split c = {.known = a->n > 0 && b->n > 0};
	for (size_t i = 0; i < b->n; i++) {
		task_cpu *t = &b->t[i],
		         *before = a->n ? bsearch(t, a->t, a->n, sizeof *t, cmp_tid) : NULL;
		uint64_t base = before != NULL && before->ns <= t->ns ? before->ns : 0;
		if (t->nng)
			c.nng += t->ns - base;
		else
			c.other += t->ns - base;
	}
	free(a->t);
	free(b->t);
	return c;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n), in microseconds. */
static double percentile_us(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(p * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

/* ---- options ---------------------------------------------------------------- */

typedef struct options {
	const char *luoshid;
	const char *url; /* an already running server; NULL: start one */
	int clients[MAX_POINTS];
	int n_points;
	double seconds;
	double warmup;
	int runs;
	bool echo_process; /* serve the echo from a child process */
} options;

static const char usage[] =
    "usage: rpc_bench [options]\n"
    "  --luoshid PATH   the server to start (default " LUOSHID_PATH ")\n"
    "  --url URL        benchmark an already running luoshid instead of starting one\n"
    "  --clients LIST   numbers of client threads, comma-separated (default 1,8,32)\n"
    "  --seconds S      measured time per run (default 3)\n"
    "  --warmup S       unmeasured time before each run (default 0.5)\n"
    "  --runs R         runs per point and target; medians are reported (default 3)\n"
    "  --echo-process   serve the echo from a child process instead of this one, so\n"
    "                   that it crosses processes as the calls to luoshid do\n"
    "  --help\n";

static bool parse_clients(const char *s, options *o)
{
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return false;
	strcpy(buf, s);
	o->n_points = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_points == MAX_POINTS ||
		    !bu_parse_int(tok, 1, MAX_CLIENTS, &o->clients[o->n_points]))
			return false;
		o->n_points++;
	}
	return o->n_points > 0;
}

static int parse_options(int argc, char **argv, options *o)
{
	static const struct option longs[] = {
	    {"luoshid", required_argument, NULL, 'l'},
	    {"url", required_argument, NULL, 'u'},
	    {"clients", required_argument, NULL, 'c'},
	    {"seconds", required_argument, NULL, 's'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"runs", required_argument, NULL, 'r'},
	    {"echo-process", no_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	*o = (options){.luoshid = LUOSHID_PATH,
	               .clients = {1, 8, 32},
	               .n_points = 3,
	               .seconds = 3,
	               .warmup = 0.5,
	               .runs = 3};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (opt) {
		case 'l':
			o->luoshid = optarg;
			break;
		case 'u':
			o->url = optarg;
			break;
		case 'c':
			if (!parse_clients(optarg, o)) {
				fprintf(stderr,
				        "rpc_bench: --clients takes up to %d numbers from 1 to %d, "
				        "comma-separated, not \"%s\"\n",
				        MAX_POINTS, MAX_CLIENTS, optarg);
				return 2;
			}
			break;
		case 's':
			if (!bu_parse_double(optarg, 0.1, 3600, &o->seconds)) {
				fprintf(stderr,
				        "rpc_bench: --seconds takes 0.1 to 3600, not \"%s\"\n",
				        optarg);
				return 2;
			}
			break;
		case 'w':
			if (!bu_parse_double(optarg, 0, 600, &o->warmup)) {
				fprintf(stderr, "rpc_bench: --warmup takes 0 to 600, not \"%s\"\n",
				        optarg);
				return 2;
			}
			break;
		case 'r':
			if (!bu_parse_int(optarg, 1, MAX_RUNS, &o->runs)) {
				fprintf(stderr, "rpc_bench: --runs takes 1 to %d, not \"%s\"\n",
				        MAX_RUNS, optarg);
				return 2;
			}
			break;
		case 'e':
			o->echo_process = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rpc_bench: unexpected argument \"%s\"\n%s", argv[optind], usage);
		return 2;
	}
	return 0;
}

/* ---- the request envelope: its size, as the client library sends it -------- */

/* The envelope luoshi_client builds for Health/Check, packed here the same
 * way: protocol version, a 64-bit id (random, so 9 or 10 bytes of varint;
 * 10 is taken), the method, a request-id of 32 hex digits, the deadline and
 * the empty body. */
static size_t computed_envelope_size(void)
{
	char request_id[LUOSHI_KEY_SIZE];
	memset(request_id, 'f', sizeof request_id - 1);
	request_id[sizeof request_id - 1] = '\0';
	Luoshi__V1__Request__MetadataEntry md = LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT;
	Luoshi__V1__Request__MetadataEntry *mdp[1] = {&md};
	md.key = (char *)LS_MD_REQUEST_ID;
	md.value = request_id;

	Luoshi__V1__HealthCheckRequest body = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	uint8_t packed_body[16];
	size_t body_len = luoshi__v1__health_check_request__pack(&body, packed_body);

	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	req.has_protocol_version = true;
	req.protocol_version = LS_PROTOCOL_VERSION;
	req.has_id = true;
	req.id = UINT64_MAX - 12345;
	req.method = (char *)HEALTH_METHOD;
	req.n_metadata = 1;
	req.metadata = mdp;
	req.has_timeout_ms = true;
	req.timeout_ms = CALL_TIMEOUT_MS;
	req.has_body = true;
	req.body.data = packed_body;
	req.body.len = body_len;
	return luoshi__v1__request__get_packed_size(&req);
}

typedef struct capture_call {
	int rc;
	ls_status st;
} capture_call;

static void *capture_client(void *arg)
{
	capture_call *cc = arg;
	luoshi_client *c;
	luoshi_client_opts o = {.url = SIZE_URL, .timeout_ms = CALL_TIMEOUT_MS};
	cc->rc = luoshi_client_open(&c, &o, &cc->st);
	if (cc->rc != LS_OK)
		return NULL;
	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp;
	cc->rc = luoshi_client_call(c, HEALTH_METHOD, &req.base, NULL, &resp, &cc->st);
	if (cc->rc == LS_OK)
		protobuf_c_message_free_unpacked(resp, NULL);
	luoshi_client_close(c);
	return NULL;
}

/* Measures the envelope: makes one real Health call through the library to
 * an inproc REP socket here, keeps the bytes it sent (*msg, malloc'd) and
 * answers as luoshid would (*answer_len bytes). Returns 0, or -1 when the
 * library did not get through. */
static int capture_envelope(uint8_t **msg, size_t *len, size_t *answer_len)
{
	nng_socket rep;
	int rv;
	*msg = NULL;
	*len = *answer_len = 0;
	if ((rv = nng_rep0_open(&rep)) != 0) {
		fprintf(stderr, "rpc_bench: nng rep socket: %s\n", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(rep, NNG_OPT_SENDTIMEO, 5000);
	if ((rv = nng_listen(rep, SIZE_URL, NULL, 0)) != 0) {
		fprintf(stderr, "rpc_bench: listen %s: %s\n", SIZE_URL, nng_strerror(rv));
		nng_close(rep);
		return -1;
	}
	capture_call cc = {0};
	pthread_t th;
	if (pthread_create(&th, NULL, capture_client, &cc) != 0) {
		nng_close(rep);
		return -1;
	}
	void *buf = NULL;
	size_t n = 0;
	int result = -1;
	if ((rv = nng_recv(rep, &buf, &n, NNG_FLAG_ALLOC)) != 0) {
		fprintf(stderr, "rpc_bench: no request from the client library: %s\n",
		        nng_strerror(rv));
		goto out;
	}
	Luoshi__V1__Request *env = luoshi__v1__request__unpack(NULL, n, buf);
	if (env == NULL) {
		fprintf(stderr,
		        "rpc_bench: the client library sent %zu bytes that are no envelope\n", n);
		nng_free(buf, n);
		goto out;
	}
	*msg = malloc(n);
	if (*msg == NULL) {
		luoshi__v1__request__free_unpacked(env, NULL);
		nng_free(buf, n);
		goto out;
	}
	memcpy(*msg, buf, n);
	*len = n;
	nng_free(buf, n);

	/* luoshid's answer: the id, status OK, the body SERVING. */
	Luoshi__V1__HealthCheckResponse hr = LUOSHI__V1__HEALTH_CHECK_RESPONSE__INIT;
	hr.has_status = true;
	hr.status = LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	uint8_t hr_packed[16];
	Luoshi__V1__Status status = LUOSHI__V1__STATUS__INIT;
	status.has_code = true;
	status.code = 0;
	Luoshi__V1__Response resp = LUOSHI__V1__RESPONSE__INIT;
	resp.has_id = env->has_id;
	resp.id = env->id;
	resp.status = &status;
	resp.has_body = true;
	resp.body.data = hr_packed;
	resp.body.len = luoshi__v1__health_check_response__pack(&hr, hr_packed);
	luoshi__v1__request__free_unpacked(env, NULL);
	uint8_t out[256];
	*answer_len = luoshi__v1__response__pack(&resp, out);
	if ((rv = nng_send(rep, out, *answer_len, 0)) != 0) {
		fprintf(stderr, "rpc_bench: cannot answer the client library: %s\n",
		        nng_strerror(rv));
		goto out;
	}
	result = 0;
out:
	pthread_join(th, NULL);
	if (result == 0 && cc.rc != LS_OK) {
		fprintf(stderr, "rpc_bench: the client library's Health call failed: %s\n",
		        cc.st.message);
		result = -1;
	}
	nng_close(rep);
	if (result != 0) {
		free(*msg);
		*msg = NULL;
	}
	return result;
}

/* ---- the bare echo server --------------------------------------------------- */

/* ---- luoshid, started and stopped --------------------------------------------- */

typedef struct server_proc {
	pid_t pid;
	char dir[PATH_MAX];
	char db[PATH_MAX + 16];
	char log[PATH_MAX + 16];
	char out[PATH_MAX + 16];
	char url[64];
} server_proc;

/* Forks and execs argv with standard output and error on the descriptors
 * given. The child dies with us (PR_SET_PDEATHSIG). */
static pid_t spawn(char *const argv[], int out_fd, int err_fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* Only async-signal-safe calls from here to exec. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (out_fd != 1)
		dup2(out_fd, 1);
	if (err_fd != 2)
		dup2(err_fd, 2);
	execv(argv[0], argv);
	static const char msg[] = "rpc_bench: cannot execute the server\n";
	ssize_t ignored = write(2, msg, sizeof msg - 1);
	(void)ignored;
	_exit(127);
}

static void describe_exit(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "status %#x", (unsigned)status);
}

/* Prints the last lines of a file to stderr, indented. */
static void print_tail(const char *what, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	char lines[8][512];
	int n = 0;
	while (fgets(lines[n % 8], sizeof lines[0], f) != NULL)
		n++;
	fclose(f);
	if (n == 0)
		return;
	fprintf(stderr, "  last lines of %s (%s):\n", what, path);
	for (int i = n > 8 ? n - 8 : 0; i < n; i++)
		fprintf(stderr, "    %s", lines[i % 8]);
}

/* A loopback TCP port nobody listens on right now. */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int port = -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* `luoshid --db DIR/b.db init`: creates the database and its admin. Returns 0
 * or -1. The token is read to check that init worked; Health needs none. */
static int server_init(server_proc *s, const char *luoshid)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		fprintf(stderr, "rpc_bench: pipe: %s\n", strerror(errno));
		return -1;
	}
	char *argv[] = {(char *)luoshid, "--db", s->db, "init", NULL};
	pid_t pid = spawn(argv, fds[1], fds[1]);
	close(fds[1]);
	if (pid < 0) {
		fprintf(stderr, "rpc_bench: fork: %s\n", strerror(errno));
		close(fds[0]);
		return -1;
	}
	char out[4096];
	size_t n = 0;
	ssize_t r;
	while ((r = read(fds[0], out + n, sizeof out - 1 - n)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	const char *t = strstr(out, "admin token: ");
	size_t token_len = t ? strcspn(t + strlen("admin token: "), "\r\n") : 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || token_len == 0) {
		char why[64];
		describe_exit(status, why, sizeof why);
		fprintf(stderr, "rpc_bench: %s --db %s init failed (%s)%s\n%s", luoshid, s->db, why,
		        token_len == 0 ? ", printed no \"admin token:\" line" : "", out);
		return -1;
	}
	memset(out, 0, sizeof out);
	return 0;
}

/* Calls Health once. Returns LS_OK when it answered SERVING. */
static int health_once(const char *url, uint32_t timeout_ms, ls_status *st)
{
	luoshi_client *c;
	luoshi_client_opts o = {.url = url, .timeout_ms = timeout_ms};
	if (luoshi_client_open(&c, &o, st) != LS_OK)
		return st->code;
	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp;
	int rc = luoshi_client_call(c, HEALTH_METHOD, &req.base, NULL, &resp, st);
	if (rc == LS_OK) {
		Luoshi__V1__HealthCheckResponse *h = (Luoshi__V1__HealthCheckResponse *)resp;
		if (h->status != LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
			rc =
			    ls_status_set(st, LS_UNAVAILABLE,
			                  "Health answered status %d, not SERVING", (int)h->status);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	luoshi_client_close(c);
	return rc;
}

/* Polls Health until it answers, for at most READY_TIMEOUT_MS. When pid is
 * not 0, stops early if that process exits (*exited is then set). */
static int wait_ready(const char *url, pid_t pid, bool *exited, int *exit_status)
{
	uint64_t deadline = bu_now_ns() + (uint64_t)READY_TIMEOUT_MS * 1000000u;
	ls_status st;
	ls_status_clear(&st);
	*exited = false;
	do {
		if (pid > 0 && waitpid(pid, exit_status, WNOHANG) == pid) {
			*exited = true;
			return -1;
		}
		if (health_once(url, 1000, &st) == LS_OK)
			return 0;
		bu_sleep_ms(20);
	} while (bu_now_ns() < deadline);
	fprintf(stderr, "rpc_bench: %s did not answer Health within %d ms: %s\n", url,
	        READY_TIMEOUT_MS, st.message);
	return -1;
}

/* Signals the server to stop and waits for it; SIGKILL after
 * STOP_TIMEOUT_MS. Prints how it ended when that was not cleanly. */
static void server_stop(server_proc *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	uint64_t deadline = bu_now_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u;
	int status = 0;
	pid_t r;
	while ((r = waitpid(s->pid, &status, WNOHANG)) == 0 && bu_now_ns() < deadline)
		bu_sleep_ms(10);
	if (r == 0) {
		fprintf(stderr,
		        "rpc_bench: luoshid did not stop within %d ms of SIGTERM; killing it\n",
		        STOP_TIMEOUT_MS);
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (r < 0)
		fprintf(stderr, "rpc_bench: waitpid: %s\n", strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char why[64];
		describe_exit(status, why, sizeof why);
		fprintf(stderr, "rpc_bench: luoshid ended with %s after SIGTERM\n", why);
		print_tail("its log", s->log);
		print_tail("its standard error", s->out);
	} else {
		printf("luoshid stopped cleanly on SIGTERM\n");
	}
	s->pid = 0;
}

/* Creates the temporary directory and database, starts luoshid on a free
 * loopback port and waits until Health answers. Returns 0 or -1 (with the
 * directory removed). */
static int server_start(server_proc *s, const char *luoshid)
{
	memset(s, 0, sizeof *s);
	const char *tmp = getenv("TMPDIR");
	snprintf(s->dir, sizeof s->dir, "%s/rpc_bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL) {
		fprintf(stderr, "rpc_bench: cannot create %s: %s\n", s->dir, strerror(errno));
		return -1;
	}
	snprintf(s->db, sizeof s->db, "%s/b.db", s->dir);
	snprintf(s->log, sizeof s->log, "%s/log", s->dir);
	snprintf(s->out, sizeof s->out, "%s/stderr", s->dir);
	if (access(luoshid, X_OK) != 0) {
		fprintf(stderr, "rpc_bench: cannot execute %s: %s (use --luoshid PATH)\n", luoshid,
		        strerror(errno));
		goto fail;
	}
	if (server_init(s, luoshid) != 0)
		goto fail;

	int out = open(s->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		fprintf(stderr, "rpc_bench: cannot create %s: %s\n", s->out, strerror(errno));
		goto fail;
	}
	/* The port is free when looked at, and may be taken before luoshid
	 * listens: then it exits, and another port is tried. */
	for (int attempt = 0; attempt < 5; attempt++) {
		int port = free_port();
		if (port < 0) {
			fprintf(stderr, "rpc_bench: no free loopback port: %s\n", strerror(errno));
			break;
		}
		snprintf(s->url, sizeof s->url, "tcp://127.0.0.1:%d", port);
		char *argv[] = {(char *)luoshid, "--db", s->db,   "--listen", s->url,
		                "--publish",     "none", "--log", s->log,     NULL};
		s->pid = spawn(argv, out, out);
		if (s->pid < 0) {
			fprintf(stderr, "rpc_bench: fork: %s\n", strerror(errno));
			s->pid = 0;
			break;
		}
		bool exited;
		int status;
		if (wait_ready(s->url, s->pid, &exited, &status) == 0) {
			close(out);
			return 0;
		}
		if (!exited) {
			server_stop(s);
			break;
		}
		char why[64];
		describe_exit(status, why, sizeof why);
		fprintf(stderr, "rpc_bench: luoshid on %s ended at start with %s\n", s->url, why);
		print_tail("its log", s->log);
		print_tail("its standard error", s->out);
		s->pid = 0;
	}
	close(out);
fail:
	bu_remove_dir(s->dir);
	return -1;
}

/* ---- one run: N client threads against one target ------------------------- */

typedef struct run_ctl run_ctl;

typedef struct worker {
	pthread_t th;
	run_ctl *ctl;
	uint32_t *lat; /* latency of each measured call, ns */
	size_t n, cap;
	uint64_t errors;
	char first_error[200];
} worker;

struct run_ctl {
	enum target target;
	const char *url;
	const uint8_t *msg; /* the echo's message */
	size_t msg_len;
	atomic_int phase;
	pthread_barrier_t ready;
	worker *w;
	int n;
};

typedef struct run_result {
	double rps, p50_us, p99_us;
	/* CPU per measured call, µs: of this process's client threads and nng
	 * threads (for an echo served here, those serve it too), and of the
	 * server process's other threads (luoshid's loop thread) and nng
	 * threads (<0: unknown, as for a server not started here). */
	double cli_cpu_us, cli_nng_us, srv_loop_us, srv_nng_us;
	uint64_t calls, errors;
	char first_error[200];
} run_result;

static void note_error(worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_error(worker *w, const char *fmt, ...)
{
	if (w->errors++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->first_error, sizeof w->first_error, fmt, ap);
		va_end(ap);
	}
}

static void record(worker *w, uint64_t ns)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 65536;
		uint32_t *p = realloc(w->lat, cap * sizeof *p);
		if (p == NULL) {
			note_error(w, "out of memory for latencies");
			return;
		}
		w->lat = p;
		w->cap = cap;
	}
	w->lat[w->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static void *luoshid_worker(void *arg)
{
	worker *w = arg;
	run_ctl *ctl = w->ctl;
	luoshi_client *c = NULL;
	ls_status st;
	luoshi_client_opts o = {.url = ctl->url, .timeout_ms = CALL_TIMEOUT_MS};
	if (luoshi_client_open(&c, &o, &st) != LS_OK) {
		note_error(w, "luoshi_client_open: %s", st.message);
		c = NULL;
	}
	pthread_barrier_wait(&ctl->ready);
	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	int ph;
	while (c != NULL && (ph = atomic_load(&ctl->phase)) != PH_STOP) {
		ProtobufCMessage *resp = NULL;
		uint64_t t0 = bu_now_ns();
		int rc = luoshi_client_call(c, HEALTH_METHOD, &req.base, NULL, &resp, &st);
		uint64_t t1 = bu_now_ns();
		if (rc != LS_OK) {
			note_error(w, "%s: %s", ls_code_name(rc), st.message);
			continue;
		}
		int status = ((Luoshi__V1__HealthCheckResponse *)resp)->status;
		protobuf_c_message_free_unpacked(resp, NULL);
		if (status != LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
			note_error(w, "Health answered status %d, not SERVING", status);
		else if (ph == PH_MEASURE)
			record(w, t1 - t0);
	}
	luoshi_client_close(c);
	return NULL;
}

static void *echo_worker(void *arg)
{
	worker *w = arg;
	run_ctl *ctl = w->ctl;
	nng_socket s;
	bool open = false;
	int rv = nng_req0_open(&s);
	if (rv == 0) {
		open = true;
		/* As luoshi_client sets them for a call with a deadline. */
		nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, CALL_TIMEOUT_MS + 1000);
		nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, CALL_TIMEOUT_MS + 1000);
		rv = nng_dial(s, ctl->url, NULL, 0);
	}
	if (rv != 0)
		note_error(w, "echo client %s: %s", ctl->url, nng_strerror(rv));
	pthread_barrier_wait(&ctl->ready);
	int ph;
	while (rv == 0 && (ph = atomic_load(&ctl->phase)) != PH_STOP) {
		void *buf;
		size_t n;
		uint64_t t0 = bu_now_ns();
		/* The same calls the client library makes: a copying send and an
		 * allocating receive. */
		int r = nng_send(s, (void *)ctl->msg, ctl->msg_len, 0);
		if (r == 0)
			r = nng_recv(s, &buf, &n, NNG_FLAG_ALLOC);
		uint64_t t1 = bu_now_ns();
		if (r != 0) {
			note_error(w, "echo: %s", nng_strerror(r));
			continue;
		}
		bool same = n == ctl->msg_len && memcmp(buf, ctl->msg, n) == 0;
		nng_free(buf, n);
		if (!same)
			note_error(w, "echo: %zu bytes came back, not the %zu sent", n,
			           ctl->msg_len);
		else if (ph == PH_MEASURE)
			record(w, t1 - t0);
	}
	if (open)
		nng_close(s);
	return NULL;
}

/* Runs n clients against one target: opens them all, warms up, measures,
 * stops them, and reduces what they recorded. Returns 0 or -1. */
static int run_once(enum target target, const char *url, const uint8_t *msg, size_t msg_len, int n,
                    pid_t server, const options *o, run_result *res)
{
	memset(res, 0, sizeof *res);
	run_ctl ctl = {.target = target, .url = url, .msg = msg, .msg_len = msg_len, .n = n};
	atomic_init(&ctl.phase, PH_WARMUP);
	ctl.w = calloc((size_t)n, sizeof *ctl.w);
	if (ctl.w == NULL || pthread_barrier_init(&ctl.ready, NULL, (unsigned)n + 1) != 0) {
		free(ctl.w);
		fprintf(stderr, "rpc_bench: out of memory\n");
		return -1;
	}
	int started = 0;
	for (; started < n; started++) {
		worker *w = &ctl.w[started];
		w->ctl = &ctl;
		/* Room for the whole run at a generous rate, so that the measured
		 * loop rarely reallocates. */
		w->cap = (size_t)(o->seconds * 200000.0 / n) + 1024;
		w->lat = malloc(w->cap * sizeof *w->lat);
		if (w->lat == NULL)
			w->cap = 0;
		if (pthread_create(&w->th, NULL, target == T_LUOSHID ? luoshid_worker : echo_worker,
		                   w) != 0) {
			free(w->lat);
			break;
		}
	}
	if (started < n) {
		/* The barrier can never fill: stop here (nothing to clean up nicely). */
		fprintf(stderr, "rpc_bench: cannot start thread %d of %d\n", started + 1, n);
		exit(1);
	}
	pthread_barrier_wait(&ctl.ready);
	bu_sleep_until(bu_now_ns() + (uint64_t)(o->warmup * 1e9));
	cpu_snap self0 = cpu_snapshot(getpid()), srv0 = {0};
	if (server > 0)
		srv0 = cpu_snapshot(server);
	uint64_t t_start = bu_now_ns();
	atomic_store(&ctl.phase, PH_MEASURE);
	bu_sleep_until(t_start + (uint64_t)(o->seconds * 1e9));
	/* Before the threads start to end: a thread that ends while /proc is
	 * read can make the listing skip others. */
	cpu_snap self1 = cpu_snapshot(getpid()), srv1 = {0};
	if (server > 0)
		srv1 = cpu_snapshot(server);
	uint64_t t_end = bu_now_ns();
	atomic_store(&ctl.phase, PH_STOP);
	cpu_split self = cpu_delta(&self0, &self1), srv_cpu = cpu_delta(&srv0, &srv1);

	size_t total = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(ctl.w[i].th, NULL);
		total += ctl.w[i].n;
	}
	uint32_t *all = malloc((total ? total : 1) * sizeof *all);
	if (all == NULL) {
		fprintf(stderr, "rpc_bench: out of memory\n");
		exit(1);
	}
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		worker *w = &ctl.w[i];
		memcpy(all + k, w->lat, w->n * sizeof *all);
		k += w->n;
		if (w->errors > 0 && res->errors == 0)
			snprintf(res->first_error, sizeof res->first_error, "%s", w->first_error);
		res->errors += w->errors;
		free(w->lat);
	}
	qsort(all, total, sizeof *all, cmp_u32);
	res->calls = total;
	res->rps = (double)total / ((double)(t_end - t_start) / 1e9);
	res->p50_us = percentile_us(all, total, 0.50);
	res->p99_us = percentile_us(all, total, 0.99);
	double calls = total ? (double)total : 1.0;
	res->cli_cpu_us = res->cli_nng_us = res->srv_loop_us = res->srv_nng_us = -1;
	if (self.known) {
		res->cli_cpu_us = (double)self.other / 1000.0 / calls;
		res->cli_nng_us = (double)self.nng / 1000.0 / calls;
	}
	if (srv_cpu.known) {
		res->srv_loop_us = (double)srv_cpu.other / 1000.0 / calls;
		res->srv_nng_us = (double)srv_cpu.nng / 1000.0 / calls;
	}
	free(all);
	pthread_barrier_destroy(&ctl.ready);
	free(ctl.w);
	return 0;
}

/* ---- main ------------------------------------------------------------------- */

/* The median over runs of one field of run_result. */
static double median_at(const run_result *runs, int n, size_t offset)
{
	double v[MAX_RUNS];
	for (int r = 0; r < n; r++)
		memcpy(&v[r], (const char *)&runs[r] + offset, sizeof v[r]);
	return bu_median(v, n);
}

#define MEDIAN(runs, n, field) median_at((runs), (n), offsetof(run_result, field))

/* The CPU per call of every part that was measured. */
static double cpu_sum(const run_result *x)
{
	double parts[] = {x->cli_cpu_us, x->cli_nng_us, x->srv_loop_us, x->srv_nng_us}, sum = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		sum += parts[i] > 0 ? parts[i] : 0;
	return sum;
}

static const char *fmt_cpu(double us, char buf[16])
{
	if (us < 0)
		return "-";
	snprintf(buf, 16, "%.1f", us);
	return buf;
}

static int usable_cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return -1;
	return CPU_COUNT(&set);
}

int main(int argc, char **argv)
{
	options o;
	int rc = parse_options(argc, argv, &o);
	if (rc != 0)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Before anything touches nng in this process. */
	char echo_url[64] = "";
	pid_t echo_pid = 0;
	if (o.echo_process && (echo_pid = bu_echo_fork(echo_url, sizeof echo_url)) < 0)
		return 1;

	/* The envelope, measured through the library, and as computed here. */
	uint8_t *msg;
	size_t msg_len, answer_len;
	size_t computed = computed_envelope_size();
	if (capture_envelope(&msg, &msg_len, &answer_len) != 0)
		return 1;

	server_proc srv = {0};
	const char *url = o.url;
	if (url == NULL) {
		if (server_start(&srv, o.luoshid) != 0) {
			if (echo_pid > 0)
				bu_echo_unfork(echo_pid);
			return 1;
		}
		url = srv.url;
	} else {
		bool exited;
		int status;
		if (wait_ready(url, 0, &exited, &status) != 0) {
			if (echo_pid > 0)
				bu_echo_unfork(echo_pid);
			return 1;
		}
	}
	static bu_echo_server es;
	if (echo_pid == 0) {
		if (bu_echo_open(&es) != 0) {
			server_stop(&srv);
			if (srv.dir[0] != '\0')
				bu_remove_dir(srv.dir);
			return 1;
		}
		snprintf(echo_url, sizeof echo_url, "%s", es.url);
	}

	printf("rpc_bench: luoshid %s at %s  vs  bare nng REQ/REP echo at %s (%d contexts, in "
	       "%s)\n",
	       o.url ? "(already running)" : o.luoshid, url, echo_url, BU_ECHO_CONTEXTS,
	       echo_pid > 0 ? "a child process" : "this process");
	printf("cores: %ld online, %d usable by this process\n", sysconf(_SC_NPROCESSORS_ONLN),
	       usable_cores());
	printf("message: request envelope %zu bytes, as luoshi_client sends Health/Check "
	       "(computed %zu; the random id's varint makes it vary by a byte); answers: luoshid "
	       "%zu bytes, echo %zu bytes\n",
	       msg_len, computed, answer_len, msg_len);
	printf("%d run%s per point and target, %.1f s measured after %.1f s warm-up, luoshid and "
	       "echo alternating; figures are medians over the runs\n",
	       o.runs, o.runs == 1 ? "" : "s", o.seconds, o.warmup);
#ifndef __OPTIMIZE__
	printf("warning: rpc_bench itself was built without optimization\n");
#endif
	printf("\nper run; the last columns are CPU time per call, µs: cli = the client threads, "
	       "nng = this process's nng threads%s,\ns-main = the server process's other threads "
	       "(luoshid: the loop thread), s-nng = the server process's nng threads\n",
	       echo_pid > 0 ? "" : " (for the echo they also serve it)");
	printf("%4s %4s %-8s %9s %8s %8s %7s %7s %7s %7s %8s %6s\n", "N", "run", "target", "req/s",
	       "p50 µs", "p99 µs", "cli", "nng", "s-main", "s-nng", "calls", "errors");

	static run_result res[MAX_POINTS][N_TARGETS][MAX_RUNS];
	uint64_t total_errors = 0;
	for (int p = 0; p < o.n_points; p++) {
		int n = o.clients[p];
		for (int r = 0; r < o.runs; r++) {
			for (int t = 0; t < N_TARGETS; t++) {
				run_result *x = &res[p][t][r];
				if (run_once((enum target)t, t == T_LUOSHID ? url : echo_url, msg,
				             msg_len, n, t == T_LUOSHID ? srv.pid : echo_pid, &o,
				             x) != 0)
					goto done;
				char c[4][16];
				printf(
				    "%4d %4d %-8s %9.0f %8.1f %8.1f %7s %7s %7s %7s %8llu %6llu%s%s\n",
				    n, r + 1, target_name[t], x->rps, x->p50_us, x->p99_us,
				    fmt_cpu(x->cli_cpu_us, c[0]), fmt_cpu(x->cli_nng_us, c[1]),
				    fmt_cpu(x->srv_loop_us, c[2]), fmt_cpu(x->srv_nng_us, c[3]),
				    (unsigned long long)x->calls, (unsigned long long)x->errors,
				    x->errors ? "  first: " : "", x->errors ? x->first_error : "");
				total_errors += x->errors;
			}
		}
	}

	printf("\nmedians over %d run%s (luoshid/echo: ratio of the median throughputs; in "
	       "brackets the range of the per-run ratios)\n",
	       o.runs, o.runs == 1 ? "" : "s");
	printf("%7s | %10s %8s %8s | %10s %8s %8s | %s\n", "clients", "luoshid/s", "p50 µs",
	       "p99 µs", "echo/s", "p50 µs", "p99 µs", "luoshid/echo");
	for (int p = 0; p < o.n_points; p++) {
		const run_result *L = res[p][T_LUOSHID], *E = res[p][T_ECHO];
		double ratio[MAX_RUNS], lo = 1e300, hi = 0;
		for (int r = 0; r < o.runs; r++) {
			ratio[r] = E[r].rps > 0 ? L[r].rps / E[r].rps : 0;
			lo = ratio[r] < lo ? ratio[r] : lo;
			hi = ratio[r] > hi ? ratio[r] : hi;
		}
		double lr = MEDIAN(L, o.runs, rps), er = MEDIAN(E, o.runs, rps);
		printf("%7d | %10.0f %8.1f %8.1f | %10.0f %8.1f %8.1f | %5.1f%% [%.1f%%–%.1f%%]\n",
		       o.clients[p], lr, MEDIAN(L, o.runs, p50_us), MEDIAN(L, o.runs, p99_us), er,
		       MEDIAN(E, o.runs, p50_us), MEDIAN(E, o.runs, p99_us),
		       er > 0 ? 100.0 * lr / er : 0.0, 100.0 * lo, 100.0 * hi);
	}

	printf("\nCPU time per call, µs, medians over the runs (columns as above; sum: all that "
	       "is known)\n");
	printf("%7s %-8s | %7s %7s %7s %7s | %7s\n", "clients", "target", "cli", "nng", "s-main",
	       "s-nng", "sum");
	for (int p = 0; p < o.n_points; p++) {
		for (int t = 0; t < N_TARGETS; t++) {
			const run_result *X = res[p][t];
			double v[MAX_RUNS];
			for (int r = 0; r < o.runs; r++)
				v[r] = cpu_sum(&X[r]);
			char c[5][16];
			printf("%7d %-8s | %7s %7s %7s %7s | %7s\n", o.clients[p], target_name[t],
			       fmt_cpu(MEDIAN(X, o.runs, cli_cpu_us), c[0]),
			       fmt_cpu(MEDIAN(X, o.runs, cli_nng_us), c[1]),
			       fmt_cpu(MEDIAN(X, o.runs, srv_loop_us), c[2]),
			       fmt_cpu(MEDIAN(X, o.runs, srv_nng_us), c[3]),
			       fmt_cpu(bu_median(v, o.runs), c[4]));
		}
	}
	if (total_errors > 0)
		printf("\n%llu calls failed (see the per-run lines)\n",
		       (unsigned long long)total_errors);
	else
		printf("\nall calls succeeded\n");

done:
	if (echo_pid > 0)
		bu_echo_unfork(echo_pid);
	else
		bu_echo_close(&es);
	if (o.url == NULL) {
		server_stop(&srv);
		bu_remove_dir(srv.dir);
	}
	free(msg);
	return 0;
}
