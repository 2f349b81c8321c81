/* The end-to-end harness; see harness.h. */
#define _GNU_SOURCE
#include "harness.h"
#include "pg_database.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/health.pb-c.h"

extern char **environ;

#define START_ATTEMPTS 5
/* Waits that only bound how long the harness gives a process before
 * declaring it stuck; each is multiplied by e2e_timeout_scale(). */
#define HEALTH_WAIT_MS scaled(10000)
#define STOP_WAIT_MS scaled(15000)
#define CLI_WAIT_MS scaled(30000)
#define INIT_WAIT_MS scaled(30000)
#define PROBE_WAIT_MS scaled(1000)

/* ---- sanitizers ---------------------------------------------------------- */

/* LeakSanitizer asks the test program for suppressions. nng 1.5.2 leaks the
 * message a synchronous nng_send handed to a REQ socket when the socket is
 * closed while the request is still pending (the server stopped under the
 * client; a leak of the kind of nng issue #1713, fixed after 1.5.2). The message
 * belongs to nng from the moment nng_send returns 0, so only allocations
 * made inside nng_send are suppressed; leaks of the client library, and
 * anything in luoshid or luoshi, are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:nng_send\n";
}

/* ---- the processes we spawned ------------------------------------------- */

#define MAX_CHILDREN 64
static pid_t children[MAX_CHILDREN];
static bool atexit_set;

/* Kills what is still running when the test program ends for any reason
 * that runs atexit handlers (a failed group setup, an early return). Only
 * our own children are touched. */
static void kill_children(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
}

static void child_add(pid_t pid)
{
	if (!atexit_set) {
		atexit(kill_children);
		atexit_set = true;
	}
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] == 0) {
			children[i] = pid;
			return;
		}
	}
}

static void child_remove(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

/* ---- time ------------------------------------------------------------------ */

int e2e_timeout_scale(void)
{
	static int scale;
	if (scale == 0) {
		const char *v = getenv("LUOSHI_TEST_TIMEOUT_SCALE");
		char *end = NULL;
		long n = v != NULL ? strtol(v, &end, 10) : 0;
		scale = end != NULL && end != v && *end == '\0' && n >= 1 && n <= 1000 ? (int)n : 1;
	}
	return scale;
}

static int scaled(int ms)
{
	long long n = (long long)ms * e2e_timeout_scale();
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

uint64_t e2e_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void e2e_poll_pause(void)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

/* ---- files ----------------------------------------------------------------- */

char *e2e_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			char *bigger = realloc(buf, cap * 2 + 1);
			if (bigger == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

bool e2e_file_contains(const char *path, const char *needle)
{
	size_t n;
	char *data = e2e_read_file(path, &n);
	if (data == NULL)
		return false;
	bool found = memmem(data, n, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

bool e2e_wait_file_contains(const char *path, const char *needle, int timeout_ms)
{
	uint64_t end = e2e_now_ms() + (uint64_t)scaled(timeout_ms);
	for (;;) {
		if (e2e_file_contains(path, needle))
			return true;
		if (e2e_now_ms() >= end)
			return false;
		e2e_poll_pause();
	}
}

int e2e_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	size_t n = strlen(text);
	int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	if (dir[0] != '\0')
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Prints a file to standard error, for the reader of a failed run. */
static void show_file(const char *what, const char *path)
{
	char *data = e2e_read_file(path, NULL);
	if (data != NULL && data[0] != '\0')
		fprintf(stderr, "---- %s (%s) ----\n%s---- end of %s ----\n", what, path, data,
		        what);
	free(data);
}

/* ---- running programs -------------------------------------------------------- */

static int exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}

/* Closes every descriptor above 2 in the child, so that no pipe end, socket
 * or database of the test leaks into what it starts. */
static void close_others(posix_spawn_file_actions_t *fa)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
#else
	(void)fa;
#endif
}

typedef struct buf {
	char *data;
	size_t len, cap;
} buf;

static int buf_add(buf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (p == NULL)
			return -1;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int e2e_run_program(char *const *argv, char *const *envp, int timeout_ms, e2e_run *r)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};
	buf bo = {0}, be = {0};
	r->out = r->err = NULL;
	r->status = -1;
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		perror("e2e: pipe");
		goto fail;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	close_others(&fa);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (rc != 0) {
		fprintf(stderr, "e2e: cannot run %s: %s\n", argv[0], strerror(rc));
		goto fail;
	}
	child_add(pid);

	timeout_ms = scaled(timeout_ms);
	uint64_t end = e2e_now_ms() + (uint64_t)timeout_ms;
	bool timed_out = false;
	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd p[2];
		int np = 0;
		if (out[0] >= 0)
			p[np++] = (struct pollfd){.fd = out[0], .events = POLLIN};
		if (err[0] >= 0)
			p[np++] = (struct pollfd){.fd = err[0], .events = POLLIN};
		uint64_t now = e2e_now_ms();
		if (now >= end) {
			timed_out = true;
			break;
		}
		int n = poll(p, (nfds_t)np, (int)(end - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			char chunk[4096];
			ssize_t got = read(p[i].fd, chunk, sizeof chunk);
			if (got < 0 && errno == EINTR)
				continue;
			bool is_out = p[i].fd == out[0];
			if (got <= 0) {
				close(p[i].fd);
				if (is_out)
					out[0] = -1;
				else
					err[0] = -1;
				continue;
			}
			buf_add(is_out ? &bo : &be, chunk, (size_t)got);
		}
	}
	if (timed_out) {
		fprintf(stderr, "e2e: %s did not finish in %d ms; killing it\n", argv[0],
		        timeout_ms);
		kill(pid, SIGKILL);
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	child_remove(pid);
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	buf_add(&bo, "", 0);
	buf_add(&be, "", 0);
	r->out = bo.data;
	r->err = be.data;
	r->status = timed_out ? -1 : exit_code(ws);
	return 0;

fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(bo.data);
	free(be.data);
	return -1;
}

void e2e_run_free(e2e_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int e2e_count_lines(const char *s)
{
	int n = 0;
	const char *p = s;
	for (; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	if (p != s && p[-1] != '\n')
		n++;
	return n;
}

static const char *binary(const char *var)
{
	const char *v = getenv(var);
	if (v == NULL || v[0] == '\0') {
		fprintf(stderr, "e2e: %s is not set; run the tests through ctest\n", var);
		return NULL;
	}
	return v;
}

void e2e_cli(const char *dir, const char *server, const char *token, const char *lang,
             const char *const *args, e2e_run *r)
{
	const char *luoshi = binary("LUOSHI");
	assert_non_null(luoshi);
	char *env[16];
	char home[E2E_PATH_MAX + 8], xdg[E2E_PATH_MAX + 24], srv[512], tok[256], lng[64];
	char localedir[E2E_PATH_MAX + 24];
	int ne = 0;
	env[ne++] = (char *)"PATH=/usr/local/bin:/usr/bin:/bin";
	snprintf(home, sizeof home, "HOME=%s", dir ? dir : "/nonexistent");
	env[ne++] = home;
	snprintf(xdg, sizeof xdg, "XDG_CONFIG_HOME=%s", dir ? dir : "/nonexistent");
	env[ne++] = xdg;
	const char *ld = getenv("LUOSHI_LOCALEDIR");
	if (ld != NULL) {
		snprintf(localedir, sizeof localedir, "LUOSHI_LOCALEDIR=%s", ld);
		env[ne++] = localedir;
	}
	/* The sanitizers' settings of the run go to the client too. */
	static const char *const keep[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
	char kept[3][512];
	for (int i = 0; i < 3; i++) {
		const char *v = getenv(keep[i]);
		if (v != NULL) {
			snprintf(kept[i], sizeof kept[i], "%s=%s", keep[i], v);
			env[ne++] = kept[i];
		}
	}
	if (server != NULL) {
		snprintf(srv, sizeof srv, "LUOSHI_SERVER=%s", server);
		env[ne++] = srv;
	}
	if (token != NULL) {
		snprintf(tok, sizeof tok, "LUOSHI_TOKEN=%s", token);
		env[ne++] = tok;
	}
	snprintf(lng, sizeof lng, "LANG=%s", lang ? lang : "C");
	env[ne++] = lng;
	env[ne] = NULL;

	char *argv[32];
	int na = 0;
	argv[na++] = (char *)luoshi;
	for (int i = 0; args[i] != NULL && na < 31; i++)
		argv[na++] = (char *)args[i];
	argv[na] = NULL;
	assert_int_equal(e2e_run_program(argv, env, CLI_WAIT_MS, r), 0);
}

/* ---- the server -------------------------------------------------------------- */

int e2e_free_port(void)
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

int e2e_closed_port(int *fd)
{
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(*fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&a, &len) != 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return ntohs(a.sin_port);
}

/* With LUOSHI_TEST_PG set (tests/pg_server.sh gives a server's URL), the
 * server's database is a new PostgreSQL database there, named after the
 * directory, instead of DIR/luoshi.db; its URL goes in s->db. */
static int pg_database(e2e_server *s)
{
	const char *base = getenv("LUOSHI_TEST_PG");
	char name[64];
	if (base == NULL)
		return 0;
	return test_pg_database(base, "e2e_", strrchr(s->dir, '-') + 1, name, s->db, sizeof s->db);
}

bool e2e_on_pg(void)
{
	return getenv("LUOSHI_TEST_PG") != NULL;
}

static int run_init(e2e_server *s, const char *luoshid);

/* The directory and the paths in it; s->db names the SQLite file. */
static int make_dir(e2e_server *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "/tmp/luoshi-e2e-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		perror("e2e: mkdtemp");
		s->dir[0] = '\0';
		return -1;
	}
	snprintf(s->db, sizeof s->db, "%s/luoshi.db", s->dir);
	snprintf(s->log, sizeof s->log, "%s/luoshid.log", s->dir);
	snprintf(s->out, sizeof s->out, "%s/luoshid.out", s->dir);
	snprintf(s->ipc_url, sizeof s->ipc_url, "ipc://%s/rpc.sock", s->dir);
	snprintf(s->pub_url, sizeof s->pub_url, "ipc://%s/pub.sock", s->dir);
	return 0;
}

int e2e_server_init(e2e_server *s)
{
	const char *luoshid = binary("LUOSHID");
	if (luoshid == NULL || make_dir(s) != 0 || pg_database(s) != 0)
		return -1;
	return run_init(s, luoshid);
}

int e2e_server_init_beside(e2e_server *s, const e2e_server *other)
{
	if (make_dir(s) != 0)
		return -1;
	memcpy(s->db, other->db, sizeof s->db);
	memcpy(s->admin_token, other->admin_token, sizeof s->admin_token);
	return 0;
}

/* `luoshid --db DB init`, reading the admin token it prints. */
static int run_init(e2e_server *s, const char *luoshid)
{
	char *argv[] = {(char *)luoshid, (char *)"--db", s->db, (char *)"init", NULL};
	e2e_run r;
	if (e2e_run_program(argv, environ, INIT_WAIT_MS, &r) != 0)
		return -1;
	int rc = -1;
	const char *line = strstr(r.out, "admin token: ");
	if (r.status != 0 || line == NULL) {
		fprintf(stderr, "e2e: luoshid init exited %d\nstdout: %s\nstderr: %s\n", r.status,
		        r.out, r.err);
	} else {
		line += strlen("admin token: ");
		size_t n = strcspn(line, " \r\n");
		if (n == 0 || n >= sizeof s->admin_token) {
			fprintf(stderr, "e2e: cannot read the admin token from: %s\n", r.out);
		} else {
			memcpy(s->admin_token, line, n);
			s->admin_token[n] = '\0';
			rc = 0;
		}
	}
	e2e_run_free(&r);
	return rc;
}

/* Spawns luoshid with args (NULL-terminated, after argv[0]), its output
 * going to s->out. Returns its pid or -1. */
/* util-linux's setpriv, on every Debian system: it sets the parent-death
 * signal and then becomes the program, so that a server dies with a test
 * program that itself died (a crash, ctest's timeout) instead of lingering. */
#define SETPRIV "/usr/bin/setpriv"

static pid_t spawn_luoshid(e2e_server *s, char **args)
{
	char *argv[72];
	int n = 0;
	if (access(SETPRIV, X_OK) == 0) {
		argv[n++] = (char *)SETPRIV;
		argv[n++] = (char *)"--pdeathsig";
		argv[n++] = (char *)"KILL";
		argv[n++] = (char *)"--";
	}
	argv[n++] = (char *)binary("LUOSHID");
	for (int i = 0; args[i] != NULL && n < 71; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, s->out, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	close_others(&fa);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "e2e: cannot start %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	child_add(pid);
	return pid;
}

static pid_t spawn_server(e2e_server *s, const char *const *extra)
{
	char listen_tcp[64];
	snprintf(listen_tcp, sizeof listen_tcp, "tcp://127.0.0.1:%d", s->port);
	char *args[64];
	int n = 0;
	args[n++] = (char *)"--db";
	args[n++] = s->db;
	args[n++] = (char *)"--listen";
	args[n++] = listen_tcp;
	args[n++] = (char *)"--listen";
	args[n++] = s->ipc_url;
	args[n++] = (char *)"--publish";
	args[n++] = s->pub_url;
	args[n++] = (char *)"--log";
	args[n++] = s->log;
	args[n++] = (char *)"--log-level";
	args[n++] = (char *)"debug";
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 63; i++)
		args[n++] = (char *)extra[i];
	args[n] = NULL;
	return spawn_luoshid(s, args);
}

/* One health check through the client library: true when SERVING. */
static bool serving(const char *url)
{
	luoshi_client *c;
	ls_status st;
	luoshi_client_opts o = {.url = url, .timeout_ms = (uint32_t)PROBE_WAIT_MS};
	if (luoshi_client_open(&c, &o, &st) != LS_OK)
		return false;
	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *m;
	bool ok = false;
	if (luoshi_client_call(c, "/luoshi.v1.HealthService/Check", &req.base, NULL, &m, &st) ==
	    LS_OK) {
		const Luoshi__V1__HealthCheckResponse *r = (Luoshi__V1__HealthCheckResponse *)m;
		ok = r->has_status &&
		     r->status == LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	luoshi_client_close(c);
	return ok;
}

/* Waits until s->tcp_url answers SERVING: 0. When the server exits first:
 * 1. When it does not answer in time: -1, after killing it. */
static int wait_serving(e2e_server *s)
{
	pid_t pid = s->pid;
	uint64_t end = e2e_now_ms() + HEALTH_WAIT_MS;
	while (e2e_now_ms() < end) {
		int ws;
		if (waitpid(pid, &ws, WNOHANG) == pid) {
			child_remove(pid);
			s->pid = 0;
			fprintf(stderr, "e2e: luoshid exited %d at start\n", exit_code(ws));
			show_file("luoshid output", s->out);
			show_file("luoshid log", s->log);
			return 1;
		}
		if (serving(s->tcp_url)) {
			/* Ours, not another test's server that took the port in
			 * the moment between probing it and our listen. */
			char line[96];
			snprintf(line, sizeof line, "listening on %s\n", s->tcp_url);
			if (waitpid(pid, &ws, WNOHANG) == 0 && e2e_file_contains(s->log, line))
				return 0;
		}
		e2e_poll_pause();
	}
	fprintf(stderr, "e2e: luoshid did not answer SERVING on %s within %d ms\n", s->tcp_url,
	        HEALTH_WAIT_MS);
	show_file("luoshid log", s->log);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	child_remove(pid);
	s->pid = 0;
	return -1;
}

int e2e_server_start(e2e_server *s, const char *const *extra)
{
	if (binary("LUOSHID") == NULL)
		return -1;
	for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
		s->port = e2e_free_port();
		if (s->port <= 0)
			continue;
		snprintf(s->tcp_url, sizeof s->tcp_url, "tcp://127.0.0.1:%d", s->port);
		pid_t pid = spawn_server(s, extra);
		if (pid < 0)
			return -1;
		s->pid = pid;
		int rc = wait_serving(s);
		if (rc != 1)
			return rc;
		/* Another process took the port between our probe and the
		 * server's listen: try another. Any other death is final. */
		if (!e2e_file_contains(s->log, "Address in use") &&
		    !e2e_file_contains(s->out, "Address in use"))
			return -1;
		fprintf(stderr, "e2e: port %d was taken (attempt %d of %d)\n", s->port, attempt + 1,
		        START_ATTEMPTS);
		/* The next attempt's log should not see this one's lines. */
		remove(s->log);
	}
	return -1;
}

int e2e_server_start_args(e2e_server *s, const char *const *args, const char *url)
{
	if (binary("LUOSHID") == NULL)
		return -1;
	snprintf(s->tcp_url, sizeof s->tcp_url, "%s", url);
	pid_t pid = spawn_luoshid(s, (char **)args);
	if (pid < 0)
		return -1;
	s->pid = pid;
	return wait_serving(s) == 0 ? 0 : -1;
}

int e2e_server_up(e2e_server *s, const char *const *extra)
{
	if (e2e_server_init(s) != 0)
		return -1;
	return e2e_server_start(s, extra);
}

int e2e_server_wait(e2e_server *s, int timeout_ms)
{
	if (s->pid <= 0)
		return -1;
	timeout_ms = scaled(timeout_ms);
	uint64_t end = e2e_now_ms() + (uint64_t)timeout_ms;
	int ws = 0;
	pid_t got;
	while (((got = waitpid(s->pid, &ws, WNOHANG)) == 0 || (got < 0 && errno == EINTR)) &&
	       e2e_now_ms() < end)
		e2e_poll_pause();
	if (got != s->pid) {
		fprintf(stderr, "e2e: luoshid (pid %d) did not exit within %d ms; killing it\n",
		        (int)s->pid, timeout_ms);
		kill(s->pid, SIGKILL);
		while ((got = waitpid(s->pid, &ws, 0)) < 0 && errno == EINTR)
			;
	}
	bool reaped = got == s->pid;
	child_remove(s->pid);
	s->pid = 0;
	int code = reaped ? exit_code(ws) : -1;
	if (code != 0) {
		fprintf(stderr, "e2e: luoshid exited with status %d\n", code);
		show_file("luoshid output", s->out);
	}
	return code;
}

int e2e_server_stop(e2e_server *s)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	return e2e_server_wait(s, STOP_WAIT_MS);
}

bool e2e_server_alive(e2e_server *s)
{
	if (s->pid <= 0)
		return false;
	int ws;
	pid_t got = waitpid(s->pid, &ws, WNOHANG);
	if (got == s->pid) {
		child_remove(s->pid);
		s->pid = 0;
		return false;
	}
	return got == 0 && kill(s->pid, 0) == 0;
}

void e2e_server_cleanup(e2e_server *s)
{
	if (s->pid > 0)
		e2e_server_stop(s);
	remove_tree(s->dir);
	s->dir[0] = '\0';
}

int e2e_setup(void **state)
{
	e2e_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -1;
	if (e2e_server_up(s, NULL) != 0) {
		e2e_server_cleanup(s);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

int e2e_setup_init(void **state)
{
	e2e_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -1;
	if (e2e_server_init(s) != 0) {
		e2e_server_cleanup(s);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

int e2e_teardown(void **state)
{
	e2e_server *s = *state;
	int rc = 0;
	if (s != NULL) {
		/* A server that does not stop cleanly (a crash, a sanitizer's
		 * report) fails the test that used it. */
		if (s->pid > 0 && e2e_server_stop(s) != 0)
			rc = -1;
		e2e_server_cleanup(s);
		free(s);
	}
	*state = NULL;
	return rc;
}

/* ---- the client library -------------------------------------------------------- */

luoshi_client *e2e_client_max(const char *url, const char *token, uint32_t timeout_ms,
                              size_t max_message)
{
	luoshi_client *c = NULL;
	ls_status st;
	luoshi_client_opts o = {
	    .url = url, .token = token, .timeout_ms = timeout_ms, .max_message = max_message};
	int rc = luoshi_client_open(&c, &o, &st);
	if (rc != LS_OK)
		fprintf(stderr, "e2e: cannot open a client on %s: %s %s\n", url, ls_code_name(rc),
		        st.message);
	assert_int_equal(rc, LS_OK);
	assert_non_null(c);
	return c;
}

luoshi_client *e2e_client(const char *url, const char *token, uint32_t timeout_ms)
{
	return e2e_client_max(url, token, timeout_ms, 0);
}

int e2e_call(luoshi_client *c, const char *method, const ProtobufCMessage *req, const char *key,
             ProtobufCMessage **resp, ls_status *st)
{
	ls_status_clear(st);
	*resp = NULL;
	return luoshi_client_call(c, method, req, key, resp, st);
}

int e2e_create_account(luoshi_client *c, int role, const char *name, const char *key, int64_t *id,
                       char *token, size_t tsize, ls_status *st)
{
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = (Luoshi__V1__Role)role;
	req.name = (char *)name;
	ProtobufCMessage *m;
	int rc = e2e_call(c, "/luoshi.v1.AccountService/CreateAccount", &req.base, key, &m, st);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__CreateAccountResponse *r = (Luoshi__V1__CreateAccountResponse *)m;
	if (r->account == NULL || !r->account->has_id || r->token == NULL) {
		protobuf_c_message_free_unpacked(m, NULL);
		return ls_status_set(st, LS_INTERNAL,
		                     "CreateAccount answered without account/token");
	}
	if (id != NULL)
		*id = r->account->id;
	if (token != NULL)
		snprintf(token, tsize, "%s", r->token);
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

/* ---- the database ---------------------------------------------------------------- */

struct e2e_db {
	sqlite3 *lite;     /* the SQLite file, or */
	struct srv_pg *pg; /* the PostgreSQL database */
};

e2e_db *e2e_db_connect(const e2e_server *s)
{
	e2e_db *db = calloc(1, sizeof *db);
	assert_non_null(db);
	if (!e2e_on_pg()) {
		db->lite = e2e_db_open(s);
		return db;
	}
	ls_status st = {0};
	if (srv_pg_open(&db->pg, s->db, &st) != LS_OK) {
		free(db);
		fail_msg("e2e: cannot connect to %s: %s", s->db, st.message);
	}
	return db;
}

void e2e_db_close(e2e_db *db)
{
	if (db == NULL)
		return;
	if (db->lite != NULL)
		sqlite3_close(db->lite);
	srv_pg_close(db->pg);
	free(db);
}

const char *e2e_db_errmsg(e2e_db *db)
{
	return db->lite ? sqlite3_errmsg(db->lite) : srv_pg_errmsg(db->pg);
}

bool e2e_db_try_exec(e2e_db *db, const char *sql)
{
	if (db->lite != NULL)
		return sqlite3_exec(db->lite, sql, NULL, NULL, NULL) == SQLITE_OK;
	ls_status st = {0};
	return srv_pg_exec(db->pg, sql, &st) == LS_OK;
}

void e2e_db_exec(e2e_db *db, const char *sql)
{
	if (!e2e_db_try_exec(db, sql))
		fail_msg("e2e: %s: %s", sql, e2e_db_errmsg(db));
}

int64_t e2e_db_changes(e2e_db *db)
{
	return db->lite ? sqlite3_changes64(db->lite) : srv_pg_changes(db->pg);
}

void e2e_db_begin_write(e2e_db *db)
{
	e2e_db_exec(db, db->lite ? "BEGIN IMMEDIATE"
	                         : "BEGIN; SELECT pg_advisory_xact_lock(" SRV_PG_WRITER_LOCK ")");
}

void e2e_db_ids_given(e2e_db *db)
{
	if (db->lite != NULL)
		return;
	e2e_db_exec(db,
	            "DO $$ DECLARE r record; BEGIN "
	            "FOR r IN SELECT table_name AS t, column_name AS c, "
	            "pg_get_serial_sequence(quote_ident(table_name), column_name) AS s "
	            "FROM information_schema.columns "
	            "WHERE table_schema = current_schema() AND is_identity = 'YES' LOOP "
	            "EXECUTE format('SELECT setval(%L, m) FROM (SELECT max(%I) AS m FROM %I) AS x "
	            "WHERE m >= (SELECT last_value FROM %s)', r.s, r.c, r.t, r.s); "
	            "END LOOP; END $$");
}

/* A statement handed out, and its connection: the srv_q comes first, so
 * that a srv_q * of ours is one of these. */
typedef struct stmt {
	srv_q q;
	e2e_db *db;
} stmt;

srv_q *e2e_db_prepare(e2e_db *db, const char *sql)
{
	stmt *t = calloc(1, sizeof *t);
	assert_non_null(t);
	t->db = db;
	bool ok;
	if (db->lite != NULL)
		ok = sqlite3_prepare_v2(db->lite, sql, -1, &t->q.lite, NULL) == SQLITE_OK;
	else
		ok = (t->q.pg = srv_pgq_prepare(db->pg, sql)) != NULL;
	if (!ok) {
		free(t);
		fail_msg("e2e: prepare %s: %s", sql, e2e_db_errmsg(db));
	}
	return &t->q;
}

srv_q *e2e_db_tables(e2e_db *db)
{
	return e2e_db_prepare(db, db->lite ? "SELECT name FROM sqlite_schema WHERE type = 'table' "
	                                     "AND name NOT LIKE 'sqlite_%' ORDER BY name"
	                                   : "SELECT table_name FROM information_schema.tables "
	                                     "WHERE table_schema = current_schema() "
	                                     "AND table_type = 'BASE TABLE' ORDER BY table_name");
}

void e2e_db_step(srv_q *q, int want)
{
	int rc = srv_step(q);
	if (rc != want)
		fail_msg("e2e: step gave %d, not %d: %s", rc, want, e2e_db_errmsg(((stmt *)q)->db));
}

void e2e_db_reset(srv_q *q)
{
	if (q->lite != NULL) {
		sqlite3_reset(q->lite);
		sqlite3_clear_bindings(q->lite);
	} else {
		srv_pgq_reset(q->pg, true);
	}
}

void e2e_db_finalize(srv_q *q)
{
	if (q == NULL)
		return;
	if (q->lite != NULL)
		sqlite3_finalize(q->lite);
	else
		srv_pgq_free(q->pg);
	free((stmt *)q);
}

/* Prepares sql with p1 and p2 bound and steps to its first row; fails the
 * test when there is none. */
static srv_q *first_row(e2e_db *db, const char *sql, const char *p1, const char *p2)
{
	srv_q *q = e2e_db_prepare(db, sql);
	if (p1 != NULL)
		srv_bind_text(q, 1, p1);
	if (p2 != NULL)
		srv_bind_text(q, 2, p2);
	int rc = srv_step(q);
	if (rc != SRV_ROW) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s", rc == SRV_DONE ? "no row" : e2e_db_errmsg(db));
		e2e_db_finalize(q);
		fail_msg("e2e: %s: %s", sql, msg);
	}
	return q;
}

int64_t e2e_db_int_any(e2e_db *db, const char *sql, const char *p1, const char *p2)
{
	srv_q *q = first_row(db, sql, p1, p2);
	int64_t v = srv_col_int64(q, 0);
	e2e_db_finalize(q);
	return v;
}

int64_t e2e_count_accounts(const e2e_server *s)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, "SELECT count(*) FROM accounts", NULL, NULL);
	e2e_db_close(db);
	return n;
}

/* ---- the SQLite file itself ---------------------------------------------------------- */

sqlite3 *e2e_db_open(const e2e_server *s)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "e2e: cannot open %s: %s\n", s->db, sqlite3_errstr(rc));
	assert_int_equal(rc, SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

int64_t e2e_db_int_lite(sqlite3 *db, const char *sql, const char *p1, const char *p2)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "e2e: %s: %s\n", sql, sqlite3_errmsg(db));
	assert_int_equal(rc, SQLITE_OK);
	if (p1 != NULL)
		sqlite3_bind_text(q, 1, p1, -1, SQLITE_TRANSIENT);
	if (p2 != NULL)
		sqlite3_bind_text(q, 2, p2, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	if (rc != SQLITE_ROW)
		fprintf(stderr, "e2e: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(q);
	assert_int_equal(rc, SQLITE_ROW);
	return v;
}
