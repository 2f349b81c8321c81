#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>
#include <sqlite3.h>

#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/rpc.pb-c.h"
#include "luoshi_client.h"
#include "pg_database.h"
#include "period.h"
#include "rpc.h"

#define HEALTH_METHOD "/luoshi.v1.HealthService/Check"
#define READY_TIMEOUT_MS 60000 /* luoshid checks the database's integrity at start */
#define STOP_TIMEOUT_MS 20000
#define CAPTURE_URL "inproc://bench-envelope-size"

/* ---- time, statistics, options ------------------------------------------ */

uint64_t bu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bu_sleep_until(uint64_t t_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(t_ns / 1000000000u),
	                      .tv_nsec = (long)(t_ns % 1000000000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void bu_sleep_ms(unsigned ms)
{
	bu_sleep_until(bu_now_ns() + (uint64_t)ms * 1000000u);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bu_median(const double *v, int n)
{
	double s[BU_MAX_RUNS];
	if (n <= 0)
		return 0;
	memcpy(s, v, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Nearest-rank percentile of sorted v[0..n) (tenths of a µs, as the load
 * records them), in µs. */
static double percentile_us(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(p * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 10.0;
}

bool bu_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

bool bu_parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

bool bu_parse_int_list(const char *s, int lo, int hi, int *out, int max, int *n)
{
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return false;
	strcpy(buf, s);
	*n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (*n == max || !bu_parse_int(tok, lo, hi, &out[*n]))
			return false;
		(*n)++;
	}
	return *n > 0;
}

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

/* The value of "key" in a "key: value" file such as /proc/cpuinfo. */
static bool proc_field(const char *path, const char *key, char *out, size_t n)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	char line[512];
	bool found = false;
	size_t klen = strlen(key);
	while (!found && fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, klen) != 0 || strchr(" \t:", line[klen]) == NULL)
			continue;
		const char *v = strchr(line, ':');
		if (v == NULL)
			continue;
		v += strspn(v + 1, " \t") + 1;
		snprintf(out, n, "%.*s", (int)strcspn(v, "\n"), v);
		found = true;
	}
	fclose(f);
	return found;
}

void bu_print_machine(FILE *f, const char *dir)
{
	char model[256] = "?", mem[64] = "?", load[128] = "?";
	struct utsname u;
	proc_field("/proc/cpuinfo", "model name", model, sizeof model);
	proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
	if (read_small("/proc/loadavg", load, sizeof load))
		load[strcspn(load, "\n")] = '\0';
	if (uname(&u) != 0)
		snprintf(u.release, sizeof u.release, "?");
	cpu_set_t set;
	int usable = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
	fprintf(f, "machine: %ld cores online (%d usable), %s; memory %s; Linux %s\n",
	        sysconf(_SC_NPROCESSORS_ONLN), usable, model, mem, u.release);
	fprintf(f, "load average at start: %s\n", load);

	/* The mount that holds dir: the longest mount point that prefixes it. */
	char real[PATH_MAX];
	if (dir == NULL || realpath(dir, real) == NULL)
		return;
	FILE *m = fopen("/proc/self/mounts", "r");
	if (m == NULL)
		return;
	char line[1024], best_dev[256] = "?", best_type[64] = "?", best_mp[512] = "";
	size_t best = 0;
	while (fgets(line, sizeof line, m) != NULL) {
		char dev[256], mp[512], type[64];
		if (sscanf(line, "%255s %511s %63s", dev, mp, type) != 3)
			continue;
		size_t n = strlen(mp);
		bool under =
		    strncmp(real, mp, n) == 0 && (n == 1 || real[n] == '/' || real[n] == '\0');
		if (under && n >= best) {
			best = n;
			snprintf(best_dev, sizeof best_dev, "%s", dev);
			snprintf(best_type, sizeof best_type, "%s", type);
			snprintf(best_mp, sizeof best_mp, "%s", mp);
		}
	}
	fclose(m);
	fprintf(f, "database directory: %s on %s (%s, mounted at %s)\n", real, best_dev, best_type,
	        best_mp);
}

/* ---- CPU time per thread, and memory ------------------------------------- */

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
	const char *p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	                        &utime, &stime) != 2)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return (utime + stime) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
}

static int cmp_tid(const void *a, const void *b)
{
	return ((const bu_task_cpu *)a)->tid - ((const bu_task_cpu *)b)->tid;
}

bu_cpu_snap bu_cpu_snapshot(pid_t pid)
{
	bu_cpu_snap s = {0};
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
		comm[strcspn(comm, "\n")] = '\0';
		if (s.n == cap) {
			cap = cap ? cap * 2 : 64;
			bu_task_cpu *t = realloc(s.t, cap * sizeof *t);
			if (t == NULL)
				break;
			s.t = t;
		}
		bu_task_cpu *t = &s.t[s.n++];
		t->tid = atoi(e->d_name);
		snprintf(t->comm, sizeof t->comm, "%.15s",
		         strncmp(comm, "nng:", 4) == 0 ? "nng:*" : comm);
		t->ns = thread_cpu_ns(task);
	}
	closedir(d);
	if (s.n > 0)
		qsort(s.t, s.n, sizeof *s.t, cmp_tid);
	return s;
}

void bu_cpu_delta(bu_cpu_snap *a, bu_cpu_snap *b, bu_cpu_groups *out)
{
	memset(out, 0, sizeof *out);
	out->known = a->n > 0 && b->n > 0;
	for (size_t i = 0; i < b->n; i++) {
		bu_task_cpu *t = &b->t[i];
		bu_task_cpu *before = a->n ? bsearch(t, a->t, a->n, sizeof *t, cmp_tid) : NULL;
		uint64_t base = before != NULL && before->ns <= t->ns ? before->ns : 0;
		int g = 0;
		while (g < out->n && strcmp(out->name[g], t->comm) != 0)
			g++;
		if (g == out->n) {
			if (out->n == BU_MAX_GROUPS)
				g = BU_MAX_GROUPS - 1; /* the last group takes the rest */
			else
				snprintf(out->name[out->n++], sizeof out->name[0], "%s", t->comm);
		}
		out->ns[g] += t->ns - base;
	}
	free(a->t);
	free(b->t);
	a->t = b->t = NULL;
	a->n = b->n = 0;
}

uint64_t bu_cpu_total(const bu_cpu_groups *g)
{
	uint64_t sum = 0;
	for (int i = 0; i < g->n; i++)
		sum += g->ns[i];
	return sum;
}

uint64_t bu_cpu_group(const bu_cpu_groups *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (strcmp(g->name[i], name) == 0)
			return g->ns[i];
	return 0;
}

long bu_vmrss_kb(pid_t pid)
{
	char path[64], v[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!proc_field(path, "VmRSS", v, sizeof v))
		return -1;
	return strtol(v, NULL, 10);
}

/* ---- luoshid ------------------------------------------------------------- */

/* Forks and execs argv with standard output and error on the descriptors
 * given. The child dies with us. */
static pid_t spawn(const char *prog, char *const argv[], int out_fd, int err_fd)
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
	static const char msg[] = ": cannot execute the server\n";
	ssize_t ignored = write(2, prog, strlen(prog));
	ignored = write(2, msg, sizeof msg - 1);
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

void bu_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) != 0 &&
		    unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0)
			fprintf(stderr, "cannot remove %s/%s: %s\n", dir, e->d_name,
			        strerror(errno));
	}
	closedir(d);
	if (rmdir(dir) != 0)
		fprintf(stderr, "cannot remove %s: %s\n", dir, strerror(errno));
}

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

int bu_server_create(bu_server *s, const char *prog, const char *luoshid)
{
	memset(s, 0, sizeof *s);
	s->prog = prog;
	s->luoshid = luoshid;
	const char *tmp = getenv("TMPDIR");
	snprintf(s->dir, sizeof s->dir, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", prog);
	if (mkdtemp(s->dir) == NULL) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, s->dir, strerror(errno));
		return -1;
	}
	snprintf(s->db, sizeof s->db, "%s/b.db", s->dir);
	snprintf(s->log, sizeof s->log, "%s/log", s->dir);
	snprintf(s->out, sizeof s->out, "%s/stderr", s->dir);
	if (access(luoshid, X_OK) != 0) {
		fprintf(stderr, "%s: cannot execute %s: %s (use --luoshid PATH)\n", prog, luoshid,
		        strerror(errno));
		goto fail;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		fprintf(stderr, "%s: pipe: %s\n", prog, strerror(errno));
		goto fail;
	}
	char *argv[] = {(char *)luoshid, "--db", s->db, "init", NULL};
	pid_t pid = spawn(prog, argv, fds[1], fds[1]);
	close(fds[1]);
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		close(fds[0]);
		goto fail;
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
	size_t len = t ? strcspn(t + strlen("admin token: "), "\r\n") : 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len == 0 ||
	    len >= sizeof s->admin_token) {
		char why[64];
		describe_exit(status, why, sizeof why);
		fprintf(stderr, "%s: %s --db %s init failed (%s)%s\n%s", prog, luoshid, s->db, why,
		        len == 0 ? ", printed no \"admin token:\" line" : "", out);
		goto fail;
	}
	memcpy(s->admin_token, t + strlen("admin token: "), len);
	s->admin_token[len] = '\0';
	return 0;
fail:
	bu_remove_dir(s->dir);
	s->dir[0] = '\0';
	return -1;
}

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
			rc = ls_status_set(st, LS_UNAVAILABLE, "Health answered status %d",
			                   (int)h->status);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	luoshi_client_close(c);
	return rc;
}

/* Polls Health until it answers; stops early when pid exits. */
static int wait_ready(const bu_server *s, bool *exited, int *exit_status)
{
	uint64_t deadline = bu_now_ns() + (uint64_t)READY_TIMEOUT_MS * 1000000u;
	ls_status st;
	ls_status_clear(&st);
	*exited = false;
	do {
		if (waitpid(s->pid, exit_status, WNOHANG) == s->pid) {
			*exited = true;
			return -1;
		}
		if (health_once(s->url, 1000, &st) == LS_OK)
			return 0;
		bu_sleep_ms(20);
	} while (bu_now_ns() < deadline);
	fprintf(stderr, "%s: %s did not answer Health within %d ms: %s\n", s->prog, s->url,
	        READY_TIMEOUT_MS, st.message);
	return -1;
}

int bu_server_start(bu_server *s, const char *const *args)
{
	int out = open(s->out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (out < 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", s->prog, s->out, strerror(errno));
		return -1;
	}
	/* The port is free when looked at and may be taken before luoshid
	 * listens: then it exits, and another one is tried. */
	for (int attempt = 0; attempt < 5; attempt++) {
		int port = free_port();
		if (port < 0)
			break;
		snprintf(s->url, sizeof s->url, "tcp://127.0.0.1:%d", port);
		char *argv[48] = {(char *)s->luoshid, "--db", s->db,   "--listen", s->url,
		                  "--publish",        "none", "--log", s->log};
		int n = 9;
		for (int i = 0; args != NULL && args[i] != NULL && n < 47; i++)
			argv[n++] = (char *)args[i];
		argv[n] = NULL;
		s->pid = spawn(s->prog, argv, out, out);
		if (s->pid < 0) {
			fprintf(stderr, "%s: fork: %s\n", s->prog, strerror(errno));
			s->pid = 0;
			break;
		}
		bool exited;
		int status;
		if (wait_ready(s, &exited, &status) == 0) {
			close(out);
			return 0;
		}
		if (!exited) {
			bu_server_stop(s);
			break;
		}
		char why[64];
		describe_exit(status, why, sizeof why);
		fprintf(stderr, "%s: luoshid on %s ended at start with %s\n", s->prog, s->url, why);
		print_tail("its log", s->log);
		print_tail("its standard error", s->out);
		s->pid = 0;
	}
	close(out);
	return -1;
}

void bu_server_stop(bu_server *s)
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
		fprintf(stderr, "%s: luoshid did not stop within %d ms of SIGTERM; killing it\n",
		        s->prog, STOP_TIMEOUT_MS);
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (r < 0) {
		fprintf(stderr, "%s: waitpid: %s\n", s->prog, strerror(errno));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char why[64];
		describe_exit(status, why, sizeof why);
		fprintf(stderr, "%s: luoshid ended with %s after SIGTERM\n", s->prog, why);
		print_tail("its log", s->log);
		print_tail("its standard error", s->out);
	}
	s->pid = 0;
}

void bu_server_destroy(bu_server *s)
{
	bu_server_stop(s);
	if (s->dir[0] != '\0')
		bu_remove_dir(s->dir);
	s->dir[0] = '\0';
}

int bu_server_to_pg(const bu_server *first, const char *pg_url, bu_server *out, int n)
{
	char prefix[64], tag[16], name[64], url[PATH_MAX + 16];
	snprintf(prefix, sizeof prefix, "%s_", first->prog);
	snprintf(tag, sizeof tag, "%d", (int)getpid());
	if (test_pg_database(pg_url, prefix, tag, name, url, sizeof url) != 0)
		return -1;

	char *argv[] = {(char *)first->luoshid, "--db", url, "--copy-from",
	                (char *)first->db,      NULL};
	int fd = open(first->out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid_t pid = fd >= 0 ? spawn(first->prog, argv, fd, fd) : -1;
	if (fd >= 0)
		close(fd);
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: luoshid --copy-from failed\n", first->prog);
		print_tail("its output", first->out);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		bu_server *s = &out[i];
		memset(s, 0, sizeof *s);
		s->prog = first->prog;
		s->luoshid = first->luoshid;
		int w = snprintf(s->dir, sizeof s->dir, "%s-pg%d", first->dir, i + 1);
		if (w < 0 || (size_t)w >= sizeof s->dir || mkdir(s->dir, 0700) != 0) {
			fprintf(stderr, "%s: cannot create %s: %s\n", s->prog, s->dir,
			        strerror(errno));
			s->dir[0] = '\0';
			return -1;
		}
		snprintf(s->db, sizeof s->db, "%s", url);
		snprintf(s->log, sizeof s->log, "%s/log", s->dir);
		snprintf(s->out, sizeof s->out, "%s/stderr", s->dir);
		memcpy(s->admin_token, first->admin_token, sizeof s->admin_token);
	}
	return 0;
}

/* ---- the demo district, scaled up ------------------------------------------ */

/* The demo district's offices beside its towns: code, name, kind, and the
 * support group's task. */
static const struct {
	const char *code, *name, *kind, *group;
} offices[] = {
    {"fgj", "区发改局", "department", NULL},
    {"jxj", "区经信局", "department", NULL},
    {"zjj", "区住建局", "department", NULL},
    {"zrgh", "区自然资源和规划分局", "department", NULL},
    {"czj", "区财政局", "department", NULL},
    {"jtj", "区交通局", "department", NULL},
    {"slj", "区水利局", "department", NULL},
    {"swj", "区商务局", "department", NULL},
    {"sthj", "区生态环境分局", "department", NULL},
    {"spj", "区行政审批服务局", "department", NULL},
    {"gdgs", "国网鄞州供电公司", "department", NULL},
    {"nyj", "区农业农村局", "department", NULL},
    {"jyj", "区教育局", "department", NULL},
    {"wjj", "区卫生健康局", "department", NULL},
    {"zsb", "区征收办", "department", NULL},
    {"wgj", "区文广旅体局", "department", NULL},
    {"jrb", "区金融办", "department", NULL},
    {"zfj", "区综合行政执法局", "department", NULL},
    {"zhxt", "综合协调组", "support_group", "coordination"},
    {"spfw", "审批服务组", "support_group", "approval"},
    {"zjbz", "资金保障组", "support_group", "funding"},
    {"zqql", "征迁清零组", "support_group", "clearance"},
    {"dc1", "第一督查组", "inspection_group", NULL},
    {"dc2", "第二督查组", "inspection_group", NULL},
    {"dc3", "第三督查组", "inspection_group", NULL},
    {"dc4", "第四督查组", "inspection_group", NULL},
    {"jw", "区纪委", "discipline", NULL},
};
#define N_DEPARTMENTS 18 /* the first offices */
#define N_OFFICES (sizeof offices / sizeof offices[0])
#define N_LEADERS 11

static const char *const town_names[] = {"五乡", "下应", "姜山", "邱隘", "云龙", "横溪",
                                         "塘溪", "咸祥", "瞻岐", "东吴", "首南", "中河"};
static const char *const surnames[] = {"沈", "林", "王", "徐", "陈", "张",
                                       "李", "郑", "胡", "俞", "孙"};
static const char *const levels[] = {"city", "district", "town"};
static const char *const categories[] = {"industrial", "platform", "infrastructure", "livelihood",
                                         "special_task"};
static const char *const category_words[] = {"产业园", "创新平台", "道路", "安置房", "专项攻坚"};
static const char *const progress_texts[] = {
    "主体结构施工至第十二层，完成年度计划的八成",
    "桩基施工完成，正在进行承台浇筑",
    "设备进场安装，配套管网同步推进",
    "征迁已签约九成，剩余户正在协调",
};

typedef struct builder {
	sqlite3 *db;
	const char *now;
} builder;

static int sql_fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "district: %s: %s\n", what, sqlite3_errmsg(db));
	return -1;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		sql_fail(db, sql);
	return q;
}

/* Steps an insert and resets it; returns the new row id, or -1. */
static int64_t step_insert(sqlite3 *db, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE) {
		sql_fail(db, what);
		return -1;
	}
	return sqlite3_last_insert_rowid(db);
}

static int64_t insert_unit(builder *b, sqlite3_stmt *q, int64_t parent, const char *code,
                           const char *name, const char *kind, const char *group)
{
	sqlite3_bind_text(q, 1, code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, parent);
	sqlite3_bind_text(q, 5, b->now, -1, SQLITE_STATIC);
	if (group != NULL)
		sqlite3_bind_text(q, 6, group, -1, SQLITE_STATIC);
	return step_insert(b->db, q, "insert unit");
}

static int64_t insert_person(builder *b, sqlite3_stmt *q, const char *code, const char *name,
                             const char *title, int64_t unit)
{
	sqlite3_bind_text(q, 1, code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, unit);
	sqlite3_bind_text(q, 5, b->now, -1, SQLITE_STATIC);
	return step_insert(b->db, q, "insert person");
}

/* A token as luoshid makes them, its hash as server/auth.c computes it. */
static void new_token(char token[BU_TOKEN_SIZE], uint8_t hash[32])
{
	uint8_t raw[32];
	randombytes_buf(raw, sizeof raw);
	memcpy(token, "ls_", 3);
	sodium_bin2base64(token + 3, BU_TOKEN_SIZE - 3, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_generichash(hash, 32, (const uint8_t *)token, strlen(token), NULL, 0);
}

static int64_t insert_account(builder *b, sqlite3_stmt *q, const char *name, const char *role,
                              int64_t unit, int64_t person, char token[BU_TOKEN_SIZE])
{
	uint8_t hash[32];
	new_token(token, hash);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, unit);
	sqlite3_bind_blob(q, 4, hash, sizeof hash, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, b->now, -1, SQLITE_STATIC);
	if (person > 0)
		sqlite3_bind_int64(q, 6, person);
	return step_insert(b->db, q, "insert account");
}

static void day_text(int32_t day, char buf[11])
{
	ls_date_format(day, buf);
}

int bu_projects_per_town(const bu_district *d)
{
	return d->n_projects / d->n_towns;
}

void bu_project_code(const bu_district *d, int town, int k, char buf[16])
{
	snprintf(buf, 16, "P%05d", k * d->n_towns + town + 1);
}

static int32_t first_today;

static void today_once(void)
{
	first_today = ls_today();
}

int32_t bu_today(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, today_once);
	return first_today;
}

void bu_week_back(int weeks_ago, char buf[16])
{
	ls_period p;
	ls_period_of(LS_PERIOD_WEEK, bu_today() - 7 * weeks_ago, &p);
	ls_period_format(&p, buf);
}

/* The columns of an update row for a week weeks_ago back. */
typedef struct week_cols {
	char period[16], first[11], last[11], month[8];
	int year;
} week_cols;

static void week_cols_of(int weeks_ago, week_cols *w)
{
	ls_period p;
	ls_period_of(LS_PERIOD_WEEK, bu_today() - 7 * weeks_ago, &p);
	ls_period_format(&p, w->period);
	day_text(p.first, w->first);
	day_text(p.last, w->last);
	int y, m;
	ls_week_month(p.year, p.number, &y, &m);
	snprintf(w->month, sizeof w->month, "%04d-%02d", y, m);
	w->year = y;
}

static int build(builder *b, int n_towns, int n_projects, int history_weeks, bu_district *d)
{
	sqlite3 *db = b->db;
	int rc = -1;
	int64_t root = 0;
	sqlite3_stmt *q_unit = NULL, *q_person = NULL, *q_account = NULL, *q_project = NULL,
	             *q_punit = NULL, *q_leader = NULL, *q_plan = NULL, *q_node = NULL,
	             *q_task = NULL, *q_update = NULL, *q_root = NULL;
	int64_t *town_id = calloc((size_t)n_towns, sizeof *town_id);
	int64_t *town_account = calloc((size_t)n_towns, sizeof *town_account);
	int64_t office_id[N_OFFICES], leader_id[N_LEADERS], dept_person[N_DEPARTMENTS];
	if (town_id == NULL || town_account == NULL)
		goto out;

	q_root = prep(db, "SELECT id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1");
	q_unit = prep(db, "INSERT INTO units(code, name, kind, parent_id, created_at, "
	                  "support_group) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	q_person = prep(db, "INSERT INTO people(code, name, title, unit_id, phone, created_at) "
	                    "VALUES (?1, ?2, ?3, ?4, '0574-87180000', ?5)");
	q_account = prep(db, "INSERT INTO accounts(name, role, unit_id, token_hash, created_at, "
	                     "person_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	q_project =
	    prep(db, "INSERT INTO projects(code, name, level, category, stage, "
	             "lead_leader_id, lead_unit_id, town_id, total_investment, frequency, "
	             "planned_start, planned_finish, land_clearance, fast_track, created_at) "
	             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'weekly', ?10, ?11, ?12, "
	             "?13, ?14)");
	q_punit = prep(db, "INSERT INTO project_units(project_id, unit_id) VALUES (?1, ?2)");
	q_leader = prep(db, "INSERT INTO project_leaders(project_id, person_id, since) "
	                    "VALUES (?1, ?2, ?3)");
	q_plan = prep(db, "INSERT INTO plans(project_id, year, month, invested) "
	                  "VALUES (?1, ?2, ?3, ?4)");
	q_node = prep(db, "INSERT INTO nodes(project_id, name, due_date, owner_unit_id, done_date, "
	                  "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	q_task = prep(db, "INSERT INTO tasks(project_id, description, unit_id, person_id, "
	                  "due_date, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	q_update = prep(db, "INSERT INTO updates(project_id, period, period_kind, period_first, "
	                    "period_last, month, year, revision, latest, unit_id, account_id, "
	                    "invested, output, percent, progress, submitted_at) VALUES (?1, ?2, "
	                    "'week', ?3, ?4, ?5, ?6, 1, 1, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	if (!q_root || !q_unit || !q_person || !q_account || !q_project || !q_punit || !q_leader ||
	    !q_plan || !q_node || !q_task || !q_update)
		goto out;
	if (sqlite3_step(q_root) != SQLITE_ROW) {
		sql_fail(db, "the root unit luoshid init made");
		goto out;
	}
	root = sqlite3_column_int64(q_root, 0);

	char code[32], name[256];
	for (size_t i = 0; i < N_OFFICES; i++)
		if ((office_id[i] = insert_unit(b, q_unit, root, offices[i].code, offices[i].name,
		                                offices[i].kind, offices[i].group)) < 0)
			goto out;
	for (int t = 0; t < n_towns; t++) {
		snprintf(code, sizeof code, "t%03d", t + 1);
		snprintf(name, sizeof name, "%s%03d%s", town_names[t % 12], t + 1,
		         t % 3 == 0 ? "街道" : "镇");
		snprintf(d->town_code[t], sizeof d->town_code[t], "%.15s", code);
		if ((town_id[t] = insert_unit(b, q_unit, root, code, name, "town", NULL)) < 0)
			goto out;
	}
	for (int i = 0; i < N_LEADERS; i++) {
		snprintf(code, sizeof code, "ld%02d", i + 1);
		snprintf(name, sizeof name, "%s%s", surnames[i], i % 2 ? "卫东" : "海涛");
		if ((leader_id[i] = insert_person(b, q_person, code, name,
		                                  i == 0 ? "区委书记" : "副区长", root)) < 0)
			goto out;
	}
	for (int i = 0; i < N_DEPARTMENTS; i++) {
		snprintf(code, sizeof code, "%s01", offices[i].code);
		snprintf(name, sizeof name, "%s明%s", surnames[(i + 3) % N_LEADERS],
		         i % 2 ? "华" : "军");
		if ((dept_person[i] =
		         insert_person(b, q_person, code, name, "科长", office_id[i])) < 0)
			goto out;
	}
	for (int t = 0; t < n_towns; t++) {
		snprintf(name, sizeof name, "%s%03d", town_names[t % 12], t + 1);
		if ((town_account[t] = insert_account(b, q_account, name, "town", town_id[t], 0,
		                                      d->town_token[t])) < 0)
			goto out;
	}
	if (insert_account(b, q_account, "区领导（压测）", "leader", root, leader_id[0],
	                   d->leader_token) < 0)
		goto out;

	int32_t today = bu_today();
	int cy, cm, cd;
	ls_civil_from_days(today, &cy, &cm, &cd);
	week_cols *weeks = calloc((size_t)history_weeks + 1, sizeof *weeks);
	if (weeks == NULL)
		goto out;
	for (int w = 1; w <= history_weeks; w++)
		week_cols_of(w, &weeks[w]);
	for (int i = 0; i < n_projects; i++) {
		int t = i % n_towns, dept = i % N_DEPARTMENTS;
		int64_t total = 800 + (int64_t)(i * 7919 % 200000);
		int32_t start = ls_days_from_civil(2025, 1, 1) + i % 300;
		int32_t finish = ls_days_from_civil(2027, 6, 30) + i % 500;
		char s_start[11], s_finish[11], due[11], done[11];
		day_text(start, s_start);
		day_text(finish, s_finish);
		bool continuing = i % 2 == 0;
		snprintf(code, sizeof code, "P%05d", i + 1);
		snprintf(name, sizeof name, "%s%03d%s%05d号项目", town_names[t % 12], t + 1,
		         category_words[i % 5], i + 1);
		sqlite3_bind_text(q_project, 1, code, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q_project, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q_project, 3,
		                  levels[i % 10 == 0  ? 0
		                         : i % 3 == 0 ? 1
		                                      : 2],
		                  -1, SQLITE_STATIC);
		sqlite3_bind_text(q_project, 4, categories[i % 5], -1, SQLITE_STATIC);
		sqlite3_bind_text(q_project, 5, continuing ? "continuing" : "new", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(q_project, 6, leader_id[i % N_LEADERS]);
		sqlite3_bind_int64(q_project, 7, office_id[dept]);
		sqlite3_bind_int64(q_project, 8, town_id[t]);
		sqlite3_bind_int64(q_project, 9, total);
		sqlite3_bind_text(q_project, 10, s_start, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q_project, 11, s_finish, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(q_project, 12, i % 7 == 0);
		sqlite3_bind_int(q_project, 13, total >= 1000);
		sqlite3_bind_text(q_project, 14, b->now, -1, SQLITE_STATIC);
		int64_t pid = step_insert(db, q_project, "insert project");
		if (pid < 0)
			goto out_weeks;

		int64_t contributing[2] = {town_id[t], office_id[(dept + 5) % N_DEPARTMENTS]};
		for (int k = 0; k < 2; k++) {
			sqlite3_bind_int64(q_punit, 1, pid);
			sqlite3_bind_int64(q_punit, 2, contributing[k]);
			if (step_insert(db, q_punit, "insert project unit") < 0)
				goto out_weeks;
		}
		sqlite3_bind_int64(q_leader, 1, pid);
		sqlite3_bind_int64(q_leader, 2, leader_id[i % N_LEADERS]);
		sqlite3_bind_text(q_leader, 3, s_start, -1, SQLITE_TRANSIENT);
		if (step_insert(db, q_leader, "insert project leader") < 0)
			goto out_weeks;

		/* A plan for the last month of each quarter: fewer rows than
		 * twelve, as many projects plan, and each plan row costs the
		 * triggers of 005_query.sql twelve row updates. */
		for (int y = continuing ? cy - 1 : cy; y <= cy; y++) {
			for (int m = 3; m <= 12; m += 3) {
				sqlite3_bind_int64(q_plan, 1, pid);
				sqlite3_bind_int(q_plan, 2, y);
				sqlite3_bind_int(q_plan, 3, m);
				sqlite3_bind_int64(q_plan, 4, total / 12 + m % 5);
				if (step_insert(db, q_plan, "insert plan") < 0)
					goto out_weeks;
			}
		}

		/* A milestone past (done, or overdue for one project in six),
		 * one in the next four months (about one in nine due within two
		 * weeks), and completion. */
		static const char *const node_names[] = {"完成施工许可", "主体结构封顶",
		                                         "竣工验收"};
		int32_t node_due[3] = {today - 30 - i % 60, today + i % 120, finish};
		for (int k = 0; k < 3; k++) {
			day_text(node_due[k], due);
			sqlite3_bind_int64(q_node, 1, pid);
			sqlite3_bind_text(q_node, 2, node_names[k], -1, SQLITE_STATIC);
			sqlite3_bind_text(q_node, 3, due, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(q_node, 4, office_id[dept]);
			if (k == 0 && i % 6 != 0) {
				day_text(node_due[k], done);
				sqlite3_bind_text(q_node, 5, done, -1, SQLITE_TRANSIENT);
			}
			sqlite3_bind_text(q_node, 6, b->now, -1, SQLITE_STATIC);
			if (step_insert(db, q_node, "insert node") < 0)
				goto out_weeks;
		}
		day_text(today - 10 + i % 30, due);
		sqlite3_bind_int64(q_task, 1, pid);
		sqlite3_bind_text(q_task, 2, "落实年度建设资金", -1, SQLITE_STATIC);
		sqlite3_bind_int64(q_task, 3, office_id[dept]);
		sqlite3_bind_int64(q_task, 4, dept_person[dept]);
		sqlite3_bind_text(q_task, 5, due, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q_task, 6, b->now, -1, SQLITE_STATIC);
		if (step_insert(db, q_task, "insert task") < 0)
			goto out_weeks;

		/* Oldest first, as they would have come in. */
		for (int w = history_weeks; w >= 1; w--) {
			const week_cols *wc = &weeks[w];
			sqlite3_bind_int64(q_update, 1, pid);
			sqlite3_bind_text(q_update, 2, wc->period, -1, SQLITE_STATIC);
			sqlite3_bind_text(q_update, 3, wc->first, -1, SQLITE_STATIC);
			sqlite3_bind_text(q_update, 4, wc->last, -1, SQLITE_STATIC);
			sqlite3_bind_text(q_update, 5, wc->month, -1, SQLITE_STATIC);
			sqlite3_bind_int(q_update, 6, wc->year);
			sqlite3_bind_int64(q_update, 7, town_id[t]);
			sqlite3_bind_int64(q_update, 8, town_account[t]);
			sqlite3_bind_int64(q_update, 9, total / 150 + w);
			sqlite3_bind_int64(q_update, 10, total / 120);
			sqlite3_bind_int(q_update, 11, 60 - w + i % 30);
			sqlite3_bind_text(q_update, 12, progress_texts[(i + w) % 4], -1,
			                  SQLITE_STATIC);
			sqlite3_bind_text(q_update, 13, b->now, -1, SQLITE_STATIC);
			if (step_insert(db, q_update, "insert update") < 0)
				goto out_weeks;
		}
	}
	rc = 0;
out_weeks:
	free(weeks);
out:
	sqlite3_finalize(q_root);
	sqlite3_finalize(q_unit);
	sqlite3_finalize(q_person);
	sqlite3_finalize(q_account);
	sqlite3_finalize(q_project);
	sqlite3_finalize(q_punit);
	sqlite3_finalize(q_leader);
	sqlite3_finalize(q_plan);
	sqlite3_finalize(q_node);
	sqlite3_finalize(q_task);
	sqlite3_finalize(q_update);
	free(town_id);
	free(town_account);
	return rc;
}

int bu_district_build(const char *path, int n_towns, int n_projects, int history_weeks,
                      bu_district *d)
{
	memset(d, 0, sizeof *d);
	if (sodium_init() < 0) {
		fprintf(stderr, "district: libsodium does not start\n");
		return -1;
	}
	d->n_towns = n_towns;
	d->n_projects = n_projects;
	d->history_weeks = history_weeks;
	d->town_token = calloc((size_t)n_towns, sizeof *d->town_token);
	d->town_code = calloc((size_t)n_towns, sizeof *d->town_code);
	if (d->town_token == NULL || d->town_code == NULL) {
		bu_district_free(d);
		return -1;
	}
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "district: cannot open %s: %s\n", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		bu_district_free(d);
		return -1;
	}
	/* The whole district is one transaction; it need not survive a crash
	 * of this program. The rows are made consistent by construction, so
	 * foreign keys stay off; a large cache keeps the many indexes (and the
	 * tables the triggers of 005_query.sql keep) from going to disk before
	 * the commit. */
	char now[40], zone[8];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	size_t len = strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	snprintf(now + len, sizeof now - len, "%.3s:%.2s", zone, zone + 3);
	builder b = {.db = db, .now = now};
	int rc = -1;
	if (sqlite3_exec(db,
	                 "PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; "
	                 "PRAGMA journal_mode = MEMORY; PRAGMA cache_size = -262144; "
	                 "BEGIN IMMEDIATE",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		sql_fail(db, "begin");
	} else if (build(&b, n_towns, n_projects, history_weeks, d) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	} else if (sqlite3_exec(db, "COMMIT; PRAGMA journal_mode = WAL", NULL, NULL, NULL) !=
	           SQLITE_OK) {
		sql_fail(db, "commit");
	} else {
		rc = 0;
	}
	sqlite3_close(db);
	if (rc != 0)
		bu_district_free(d);
	return rc;
}

void bu_district_free(bu_district *d)
{
	if (d->town_token != NULL)
		sodium_memzero(d->town_token, (size_t)d->n_towns * sizeof *d->town_token);
	free(d->town_token);
	free(d->town_code);
	d->town_token = NULL;
	d->town_code = NULL;
}

struct bu_fresh {
	const bu_district *d;
	int first;
	atomic_uint_fast64_t next[];
};

bu_fresh *bu_fresh_alloc(const bu_district *d, int first_week_back)
{
	bu_fresh *f = malloc(sizeof *f + (size_t)d->n_towns * sizeof f->next[0]);
	if (f == NULL)
		return NULL;
	f->d = d;
	f->first = first_week_back;
	for (int i = 0; i < d->n_towns; i++)
		atomic_init(&f->next[i], 0);
	return f;
}

void bu_fresh_free(bu_fresh *f)
{
	free(f);
}

void bu_fresh_next(bu_fresh *f, int town, char project[16], char week[16])
{
	uint64_t k = atomic_fetch_add(&f->next[town], 1);
	uint64_t per = (uint64_t)bu_projects_per_town(f->d);
	bu_project_code(f->d, town, (int)(k % per), project);
	bu_week_back(f->first + (int)(k / per), week);
}

/* ---- the bare echo --------------------------------------------------------- */

static void echo_cb(void *arg)
{
	bu_echo_ctx *e = arg;
	int rv = nng_aio_result(e->aio);
	if (e->sending) {
		e->sending = false;
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(e->aio));
			if (rv == NNG_ECLOSED)
				return;
		}
		nng_ctx_recv(e->ctx, e->aio);
		return;
	}
	if (rv != 0) {
		if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
			nng_ctx_recv(e->ctx, e->aio);
		return;
	}
	/* What came in goes straight back: no decoding, no copy. */
	nng_msg *m = nng_aio_get_msg(e->aio);
	e->sending = true;
	nng_aio_set_msg(e->aio, m);
	nng_ctx_send(e->ctx, e->aio);
}

int bu_echo_open(bu_echo_server *es)
{
	int rv;
	memset(es, 0, sizeof *es);
	if ((rv = nng_rep0_open(&es->sock)) != 0) {
		fprintf(stderr, "echo: rep socket: %s\n", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_size(es->sock, NNG_OPT_RECVMAXSZ, LS_MAX_MESSAGE_DEFAULT);
	int n = 0;
	for (; n < BU_ECHO_CONTEXTS; n++) {
		bu_echo_ctx *e = &es->ctxs[n];
		if ((rv = nng_aio_alloc(&e->aio, echo_cb, e)) != 0)
			break;
		if ((rv = nng_ctx_open(&e->ctx, es->sock)) != 0) {
			nng_aio_free(e->aio);
			break;
		}
	}
	nng_listener l;
	nng_sockaddr sa;
	if (rv == 0 && (rv = nng_listen(es->sock, "tcp://127.0.0.1:0", &l, 0)) == 0)
		rv = nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa);
	if (rv != 0) {
		fprintf(stderr, "echo: %s\n", nng_strerror(rv));
		nng_close(es->sock);
		for (int i = 0; i < n; i++)
			nng_aio_free(es->ctxs[i].aio);
		return -1;
	}
	snprintf(es->url, sizeof es->url, "tcp://127.0.0.1:%u", (unsigned)ntohs(sa.s_in.sa_port));
	for (int i = 0; i < BU_ECHO_CONTEXTS; i++)
		nng_ctx_recv(es->ctxs[i].ctx, es->ctxs[i].aio);
	return 0;
}

void bu_echo_close(bu_echo_server *es)
{
	nng_close(es->sock);
	for (int i = 0; i < BU_ECHO_CONTEXTS; i++)
		nng_aio_free(es->ctxs[i].aio);
}

pid_t bu_echo_fork(char *url, size_t url_size)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		fprintf(stderr, "echo: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "echo: fork: %s\n", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		prctl(PR_SET_NAME, "bench-echo");
		static bu_echo_server es;
		if (bu_echo_open(&es) != 0)
			_exit(1);
		size_t n = strlen(es.url) + 1;
		if (write(fds[1], es.url, n) != (ssize_t)n)
			_exit(1);
		close(fds[1]);
		for (;;)
			pause();
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t r;
	while (n < url_size - 1 &&
	       ((r = read(fds[0], url + n, url_size - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	url[n] = '\0';
	close(fds[0]);
	if (n == 0 || strncmp(url, "tcp://", 6) != 0) {
		fprintf(stderr, "echo: the echo process did not start\n");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

void bu_echo_unfork(pid_t pid)
{
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

typedef struct capture_call {
	const char *method, *token, *key;
	const ProtobufCMessage *req;
	int rc;
	ls_status st;
} capture_call;

static void *capture_client(void *arg)
{
	capture_call *cc = arg;
	luoshi_client *c;
	luoshi_client_opts o = {
	    .url = CAPTURE_URL, .token = cc->token, .timeout_ms = BU_CALL_TIMEOUT_MS};
	cc->rc = luoshi_client_open(&c, &o, &cc->st);
	if (cc->rc != LS_OK)
		return NULL;
	ProtobufCMessage *resp;
	cc->rc = luoshi_client_call(c, cc->method, cc->req, cc->key, &resp, &cc->st);
	if (cc->rc == LS_OK)
		protobuf_c_message_free_unpacked(resp, NULL);
	luoshi_client_close(c);
	return NULL;
}

int bu_capture_envelope(const char *method, const ProtobufCMessage *req, const char *token,
                        const char *key, uint8_t **msg, size_t *len)
{
	nng_socket rep;
	int rv;
	*msg = NULL;
	*len = 0;
	if ((rv = nng_rep0_open(&rep)) != 0) {
		fprintf(stderr, "capture: rep socket: %s\n", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(rep, NNG_OPT_SENDTIMEO, 5000);
	if ((rv = nng_listen(rep, CAPTURE_URL, NULL, 0)) != 0) {
		fprintf(stderr, "capture: listen: %s\n", nng_strerror(rv));
		nng_close(rep);
		return -1;
	}
	capture_call cc = {.method = method, .token = token, .key = key, .req = req};
	pthread_t th;
	if (pthread_create(&th, NULL, capture_client, &cc) != 0) {
		nng_close(rep);
		return -1;
	}
	void *buf = NULL;
	size_t n = 0;
	int result = -1;
	if ((rv = nng_recv(rep, &buf, &n, NNG_FLAG_ALLOC)) != 0) {
		fprintf(stderr, "capture: no request from the client library: %s\n",
		        nng_strerror(rv));
		goto out;
	}
	Luoshi__V1__Request *env = luoshi__v1__request__unpack(NULL, n, buf);
	if (env == NULL || (*msg = malloc(n)) == NULL) {
		fprintf(stderr, "capture: the client library sent %zu bytes that are no envelope\n",
		        n);
		if (env != NULL)
			luoshi__v1__request__free_unpacked(env, NULL);
		nng_free(buf, n);
		goto out;
	}
	memcpy(*msg, buf, n);
	*len = n;
	nng_free(buf, n);
	/* An OK with an empty body: every response message unpacks from it. */
	Luoshi__V1__Status status = LUOSHI__V1__STATUS__INIT;
	status.has_code = true;
	Luoshi__V1__Response resp = LUOSHI__V1__RESPONSE__INIT;
	resp.has_id = env->has_id;
	resp.id = env->id;
	resp.status = &status;
	luoshi__v1__request__free_unpacked(env, NULL);
	uint8_t out[64];
	size_t out_len = luoshi__v1__response__pack(&resp, out);
	if ((rv = nng_send(rep, out, out_len, 0)) != 0) {
		fprintf(stderr, "capture: cannot answer the client library: %s\n",
		        nng_strerror(rv));
		goto out;
	}
	result = 0;
out:
	pthread_join(th, NULL);
	if (result == 0 && cc.rc != LS_OK) {
		fprintf(stderr, "capture: the client library's call failed: %s\n", cc.st.message);
		result = -1;
	}
	nng_close(rep);
	if (result != 0) {
		free(*msg);
		*msg = NULL;
	}
	return result;
}

/* ---- a closed-loop load -------------------------------------------------- */

enum phase { PH_WARMUP, PH_MEASURE, PH_STOP };

typedef struct lat_vec {
	uint32_t *v;
	size_t n, cap;
} lat_vec;

typedef struct worker {
	pthread_t th;
	const bu_load *l;
	atomic_int *phase;
	pthread_barrier_t *ready;
	int index;
	lat_vec lat[BU_MAX_KINDS];
	uint64_t errors[BU_MAX_KINDS];
	int n_shown;
	char shown[BU_MAX_SHOWN][200];
} worker;

static void note_error(worker *w, int kind, const char *msg)
{
	w->errors[kind]++;
	for (int i = 0; i < w->n_shown; i++)
		if (strcmp(w->shown[i], msg) == 0)
			return;
	if (w->n_shown < BU_MAX_SHOWN)
		snprintf(w->shown[w->n_shown++], sizeof w->shown[0], "%s", msg);
}

static void record(lat_vec *v, uint64_t ns)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16384;
		uint32_t *p = realloc(v->v, cap * sizeof *p);
		if (p == NULL)
			return;
		v->v = p;
		v->cap = cap;
	}
	/* In tenths of a µs: up to 429 s fit. */
	uint64_t t = ns / 100;
	v->v[v->n++] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	const bu_load *l = w->l;
	char err[200] = "";
	void *state = l->open(l->ctx, w->index, err, sizeof err);
	if (state == NULL)
		note_error(w, 0, err);
	pthread_barrier_wait(w->ready);
	int ph;
	while (state != NULL && (ph = atomic_load(w->phase)) != PH_STOP) {
		int kind = 0;
		uint64_t t0 = bu_now_ns();
		bool ok = l->call(l->ctx, state, &kind, err, sizeof err);
		uint64_t t1 = bu_now_ns();
		if (kind < 0 || kind >= l->n_kinds)
			kind = 0;
		if (!ok)
			note_error(w, kind, err);
		else if (ph == PH_MEASURE)
			record(&w->lat[kind], t1 - t0);
	}
	if (state != NULL)
		l->close(l->ctx, state);
	return NULL;
}

static void reduce(lat_vec *vs, size_t n_vs, double seconds, bu_kind_result *k)
{
	size_t total = 0;
	for (size_t i = 0; i < n_vs; i++)
		total += vs[i].n;
	uint32_t *all = malloc((total ? total : 1) * sizeof *all);
	if (all == NULL)
		return;
	size_t at = 0;
	for (size_t i = 0; i < n_vs; i++) {
		if (vs[i].n > 0)
			memcpy(all + at, vs[i].v, vs[i].n * sizeof *all);
		at += vs[i].n;
	}
	qsort(all, total, sizeof *all, cmp_u32);
	k->calls = total;
	k->rps = seconds > 0 ? (double)total / seconds : 0;
	k->p50_us = percentile_us(all, total, 0.50);
	k->p99_us = percentile_us(all, total, 0.99);
	free(all);
}

int bu_load_run(const bu_load *l, bu_load_result *r)
{
	memset(r, 0, sizeof *r);
	int n = l->threads;
	atomic_int phase;
	atomic_init(&phase, PH_WARMUP);
	pthread_barrier_t ready;
	worker *w = calloc((size_t)n, sizeof *w);
	if (w == NULL || pthread_barrier_init(&ready, NULL, (unsigned)n + 1) != 0) {
		free(w);
		fprintf(stderr, "load: out of memory\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		w[i].l = l;
		w[i].phase = &phase;
		w[i].ready = &ready;
		w[i].index = i;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		int rv = pthread_create(&w[i].th, &attr, worker_main, &w[i]);
		pthread_attr_destroy(&attr);
		if (rv != 0) {
			/* The barrier can never fill. */
			fprintf(stderr, "load: cannot start thread %d of %d\n", i + 1, n);
			exit(1);
		}
	}
	pthread_barrier_wait(&ready);
	bu_sleep_until(bu_now_ns() + (uint64_t)(l->warmup_s * 1e9));
	bu_cpu_snap self0 = bu_cpu_snapshot(getpid()), srv0 = {0};
	if (l->server > 0)
		srv0 = bu_cpu_snapshot(l->server);
	uint64_t t_start = bu_now_ns();
	uint64_t t_stop = t_start + (uint64_t)(l->seconds * 1e9);
	atomic_store(&phase, PH_MEASURE);
	if (l->tick_s > 0 && l->tick != NULL) {
		uint64_t step = (uint64_t)(l->tick_s * 1e9);
		for (uint64_t t = t_start + step; t < t_stop; t += step) {
			bu_sleep_until(t);
			l->tick(l->ctx, (double)(t - t_start) / 1e9);
		}
	}
	bu_sleep_until(t_stop);
	/* Before the threads start to end: a thread that ends while /proc is
	 * read can make the listing skip others. */
	bu_cpu_snap self1 = bu_cpu_snapshot(getpid()), srv1 = {0};
	if (l->server > 0)
		srv1 = bu_cpu_snapshot(l->server);
	uint64_t t_end = bu_now_ns();
	atomic_store(&phase, PH_STOP);
	bu_cpu_delta(&self0, &self1, &r->self_cpu);
	bu_cpu_delta(&srv0, &srv1, &r->srv_cpu);
	for (int i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);

	r->seconds = (double)(t_end - t_start) / 1e9;
	lat_vec *vs = malloc((size_t)n * BU_MAX_KINDS * sizeof *vs);
	if (vs == NULL) {
		fprintf(stderr, "load: out of memory\n");
		exit(1);
	}
	for (int k = 0; k < l->n_kinds; k++) {
		for (int i = 0; i < n; i++) {
			vs[i] = w[i].lat[k];
			r->kind[k].errors += w[i].errors[k];
		}
		reduce(vs, (size_t)n, r->seconds, &r->kind[k]);
		r->all.errors += r->kind[k].errors;
	}
	size_t m = 0;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < l->n_kinds; k++)
			vs[m++] = w[i].lat[k];
	reduce(vs, m, r->seconds, &r->all);
	free(vs);
	for (int i = 0; i < n; i++) {
		for (int s = 0; s < w[i].n_shown; s++) {
			bool dup = false;
			for (int j = 0; j < r->n_shown && !dup; j++)
				dup = strcmp(r->shown[j], w[i].shown[s]) == 0;
			if (!dup && r->n_shown < BU_MAX_SHOWN)
				snprintf(r->shown[r->n_shown++], sizeof r->shown[0], "%s",
				         w[i].shown[s]);
		}
		for (int k = 0; k < BU_MAX_KINDS; k++)
			free(w[i].lat[k].v);
	}
	pthread_barrier_destroy(&ready);
	free(w);
	return 0;
}
