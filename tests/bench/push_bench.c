/* push_bench: how fast reminders reach a thousand watchers.
 *
 * Starts a luoshid on loopback TCP with N town units (put in with SQL
 * before it starts) and one town account each, and runs N watchers in this
 * process, each as `luoshi watch` does it: a SUB socket on the push URL
 * subscribed to its unit's topic, and its own client (its own token) that,
 * on every announcement, pulls its unread reminders through ListInbox and
 * acknowledges them. Then M notices go out through SendNotice from a few
 * sender threads in a process of their own (forked at start, before nng
 * runs, so that the watchers' traffic does not slow the senders down), each
 * to one unit picked at random (a fixed seed), so that units get different
 * numbers of them. Measured: the time from the first
 * send until every watcher has all of its reminders, and each reminder's
 * time from its send to its watcher. Checked: every watcher has exactly its
 * own (no other unit's, none twice, none missing). Since nng filters on the
 * subscriber's side, every announcement travels to every watcher. Like
 * `luoshi watch`, each watcher also pulls every --poll ms (default 5000, 0
 * for never), which finds what a dropped announcement would have said; the
 * reminders found so are counted. A benchmark, not a test.
 *
 *   push_bench [--luoshid PATH] [--watchers N] [--reminders M] [--senders S]
 *              [--pullers P] [--poll MS] [--coalesce N]
 *
 * --coalesce is luoshid's --push-coalesce: announcements for this many
 * inboxes or more at once go out as one "all/", on which every watcher
 * pulls (0: never, one announcement per inbox).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <sqlite3.h>

#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/reminders.pb-c.h"
#include "luoshi_client.h"

#ifndef LUOSHID_PATH
#define LUOSHID_PATH "luoshid"
#endif

#define M_HEALTH "/luoshi.v1.HealthService/Check"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_SEND "/luoshi.v1.ReminderService/SendNotice"
#define M_LIST "/luoshi.v1.ReminderService/ListInbox"
#define M_ACK "/luoshi.v1.ReminderService/Ack"

#define CALL_TIMEOUT_MS 30000u
#define READY_TIMEOUT_MS 15000
#define CONNECT_TIMEOUT_MS 30000
#define DELIVERY_TIMEOUT_MS 120000
/* With no arrival for this long after the last send, sweep every watcher
 * that still misses reminders. */
#define QUIET_MS 2000
#define MAX_WATCHERS 5000
#define MAX_THREADS 64

/* ---- small helpers -------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
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

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* ---- the server ------------------------------------------------------------------------ */

typedef struct server {
	pid_t pid;
	char dir[64];
	char db[128];
	char log[128];
	char rpc_url[64];
	char pub_url[64];
	char admin[128];
} server;

static pid_t spawn(char *const argv[], int out_fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	execv(argv[0], argv);
	_exit(127);
}

/* init, the units, then serving. Returns 0 or -1 after saying why. */
static int server_start(server *s, const char *luoshid, int n_units, const char *coalesce)
{
	snprintf(s->dir, sizeof s->dir, "/tmp/push_bench-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		perror("push_bench: mkdtemp");
		return -1;
	}
	snprintf(s->db, sizeof s->db, "%s/b.db", s->dir);
	snprintf(s->log, sizeof s->log, "%s/luoshid.log", s->dir);
	char out_path[160];
	snprintf(out_path, sizeof out_path, "%s/init.out", s->dir);
	int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return -1;
	char *init[] = {(char *)luoshid, (char *)"--db", s->db, (char *)"init", NULL};
	pid_t pid = spawn(init, out);
	int ws;
	waitpid(pid, &ws, 0);
	close(out);
	FILE *f = fopen(out_path, "r");
	char line[256];
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "admin token: %127s", s->admin) == 1)
			break;
	if (f != NULL)
		fclose(f);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || s->admin[0] == '\0') {
		fprintf(stderr, "push_bench: %s init failed\n", luoshid);
		return -1;
	}

	sqlite3 *db;
	if (sqlite3_open(s->db, &db) != SQLITE_OK)
		return -1;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_stmt *q;
	sqlite3_prepare_v2(db,
	                   "INSERT INTO units(id, code, name, kind, parent_id, created_at) "
	                   "VALUES (?1, ?2, ?3, 'town', 1, '2026-01-01')",
	                   -1, &q, NULL);
	for (int i = 0; i < n_units; i++) {
		char code[16], name[32];
		snprintf(code, sizeof code, "U%04d", i);
		snprintf(name, sizeof name, "第%04d镇", i);
		sqlite3_bind_int(q, 1, i + 2);
		sqlite3_bind_text(q, 2, code, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 3, name, -1, SQLITE_TRANSIENT);
		sqlite3_step(q);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "push_bench: cannot add the units\n");
		return -1;
	}

	snprintf(s->rpc_url, sizeof s->rpc_url, "tcp://127.0.0.1:%d", free_port());
	snprintf(s->pub_url, sizeof s->pub_url, "tcp://127.0.0.1:%d", free_port());
	snprintf(out_path, sizeof out_path, "%s/luoshid.out", s->dir);
	out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *argv[] = {(char *)luoshid,
	                (char *)"--db",
	                s->db,
	                (char *)"--listen",
	                s->rpc_url,
	                (char *)"--publish",
	                s->pub_url,
	                (char *)"--rate-limit",
	                (char *)"0",
	                (char *)"--contexts",
	                (char *)"256",
	                (char *)"--log",
	                s->log,
	                (char *)"--log-level",
	                (char *)"warn",
	                (char *)"--push-coalesce",
	                (char *)coalesce,
	                NULL};
	s->pid = spawn(argv, out);
	close(out);
	uint64_t end = now_ns() + (uint64_t)READY_TIMEOUT_MS * 1000000u;
	while (now_ns() < end) {
		luoshi_client *c;
		ls_status st;
		luoshi_client_opts o = {.url = s->rpc_url, .timeout_ms = 1000};
		if (luoshi_client_open(&c, &o, &st) == LS_OK) {
			Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
			ProtobufCMessage *m;
			rc = luoshi_client_call(c, M_HEALTH, &req.base, NULL, &m, &st);
			luoshi_client_close(c);
			if (rc == LS_OK) {
				protobuf_c_message_free_unpacked(m, NULL);
				return 0;
			}
		}
		pause_ms(20);
	}
	fprintf(stderr, "push_bench: luoshid did not answer on %s (see %s)\n", s->rpc_url, s->log);
	return -1;
}

static void server_stop(server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	remove_dir(s->dir);
}

/* ---- watchers ------------------------------------------------------------------------- */

typedef struct watcher {
	int index;
	char code[16];
	char token[128];
	luoshi_client *client;
	nng_socket sub;
	nng_aio *aio;
	atomic_bool queued; /* waiting in the pull queue */
	atomic_bool again;  /* announced while being pulled */
	atomic_bool polled; /* queued by the poll, no announcement since */
	int expected;       /* reminders sent to it */
	int got;            /* reminders it pulled */
	int wrong;          /* reminders not its own, or seen twice */
	uint64_t last_seq;
	struct watcher *next; /* in the queue */
} watcher;

typedef struct bench {
	server srv;
	watcher *w;
	int n, m;
	int *target;          /* reminder k goes to watcher target[k] */
	uint64_t *sent_ns;    /* when reminder k was sent */
	uint64_t *arrived_ns; /* when its watcher pulled it */
	atomic_int next_send;
	atomic_int sent_ok, sent_failed;
	int senders;
	/* the sender process: "go" down one pipe, its report up the other */
	pid_t sender_pid;
	int go_fd, report_fd;
	bool sent; /* the report is in, under mtx */
	uint64_t t_first_send, t_sent;
	atomic_int connected;
	atomic_long announcements, bursts;
	atomic_long pulls, pull_errors, found_by_poll;
	int poll_ms;
	/* the pull queue */
	pthread_mutex_t mtx;
	pthread_cond_t cond, done_cond;
	watcher *head, *tail;
	bool stop;
	int delivered; /* reminders pulled, under mtx */
	uint64_t last_arrival_ns;
} bench;

static bench B;

static void enqueue(watcher *w)
{
	if (atomic_exchange(&w->queued, true)) {
		atomic_store(&w->again, true);
		return;
	}
	pthread_mutex_lock(&B.mtx);
	w->next = NULL;
	if (B.tail)
		B.tail->next = w;
	else
		B.head = w;
	B.tail = w;
	pthread_cond_signal(&B.cond);
	pthread_mutex_unlock(&B.mtx);
}

static void on_announce(void *arg)
{
	watcher *w = arg;
	if (nng_aio_result(w->aio) != 0)
		return;
	nng_msg *msg = nng_aio_get_msg(w->aio);
	if (nng_msg_len(msg) >= 4 && memcmp(nng_msg_body(msg), "all/", 4) == 0)
		atomic_fetch_add(&B.bursts, 1);
	else
		atomic_fetch_add(&B.announcements, 1);
	nng_msg_free(msg);
	atomic_store(&w->polled, false);
	enqueue(w);
	nng_recv_aio(w->sub, w->aio);
}

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)ev;
	(void)arg;
	atomic_fetch_add(&B.connected, 1);
}

/* Pulls w's unread reminders, checks them and acknowledges the last. */
static void pull(watcher *w)
{
	for (;;) {
		Luoshi__V1__ListInboxRequest req = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
		req.has_unread_only = true;
		req.unread_only = true;
		req.has_page_size = true;
		req.page_size = 1000;
		ProtobufCMessage *m;
		ls_status st;
		atomic_fetch_add(&B.pulls, 1);
		if (luoshi_client_call(w->client, M_LIST, &req.base, NULL, &m, &st) != LS_OK) {
			atomic_fetch_add(&B.pull_errors, 1);
			return;
		}
		const Luoshi__V1__ListInboxResponse *r = (Luoshi__V1__ListInboxResponse *)m;
		uint64_t t = now_ns();
		int fresh = 0;
		for (size_t i = 0; i < r->n_reminders; i++) {
			const Luoshi__V1__Reminder *x = r->reminders[i];
			int k;
			if (x->seq <= w->last_seq || x->recipient_code == NULL ||
			    strcmp(x->recipient_code, w->code) != 0 || x->text == NULL ||
			    sscanf(x->text, "bench #%d", &k) != 1 || k < 0 || k >= B.m ||
			    B.target[k] != w->index || B.arrived_ns[k] != 0) {
				w->wrong++;
				continue;
			}
			w->last_seq = x->seq;
			B.arrived_ns[k] = t;
			w->got++;
			fresh++;
		}
		size_t n = r->n_reminders;
		protobuf_c_message_free_unpacked(m, NULL);
		if (n == 0)
			return;
		if (atomic_load(&w->polled))
			atomic_fetch_add(&B.found_by_poll, fresh);
		Luoshi__V1__AckRequest ack = LUOSHI__V1__ACK_REQUEST__INIT;
		ack.has_seq = true;
		ack.seq = w->last_seq;
		if (luoshi_client_call(w->client, M_ACK, &ack.base, NULL, &m, &st) == LS_OK)
			protobuf_c_message_free_unpacked(m, NULL);
		else
			atomic_fetch_add(&B.pull_errors, 1);
		pthread_mutex_lock(&B.mtx);
		B.delivered += fresh;
		B.last_arrival_ns = t;
		if (B.delivered >= B.m)
			pthread_cond_broadcast(&B.done_cond);
		pthread_mutex_unlock(&B.mtx);
		if (n < 1000)
			return;
	}
}

static void *puller(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&B.mtx);
		while (B.head == NULL && !B.stop)
			pthread_cond_wait(&B.cond, &B.mtx);
		if (B.stop) {
			pthread_mutex_unlock(&B.mtx);
			return NULL;
		}
		watcher *w = B.head;
		B.head = w->next;
		if (B.head == NULL)
			B.tail = NULL;
		pthread_mutex_unlock(&B.mtx);
		do {
			atomic_store(&w->again, false);
			pull(w);
		} while (atomic_load(&w->again));
		atomic_store(&w->queued, false);
		/* An announcement between the last look and the flag. */
		if (atomic_exchange(&w->again, false))
			enqueue(w);
	}
}

/* Every poll_ms, each watcher pulls once, spread over the period as
 * watchers started at different moments would be. */
static void *poller(void *arg)
{
	(void)arg;
	const int step_ms = 50;
	int steps = B.poll_ms / step_ms > 0 ? B.poll_ms / step_ms : 1;
	for (long tick = 0;; tick++) {
		pause_ms(step_ms);
		pthread_mutex_lock(&B.mtx);
		bool stop = B.stop;
		pthread_mutex_unlock(&B.mtx);
		if (stop)
			return NULL;
		for (int i = (int)(tick % steps); i < B.n; i += steps) {
			if (!atomic_load(&B.w[i].queued))
				atomic_store(&B.w[i].polled, true);
			enqueue(&B.w[i]);
		}
	}
}

/* ---- senders (their own process) ---------------------------------------------------- */

static void *sender(void *arg)
{
	(void)arg;
	luoshi_client *c;
	ls_status st;
	luoshi_client_opts o = {
	    .url = B.srv.rpc_url, .token = B.srv.admin, .timeout_ms = CALL_TIMEOUT_MS};
	if (luoshi_client_open(&c, &o, &st) != LS_OK) {
		fprintf(stderr, "push_bench: sender: %s\n", st.message);
		return NULL;
	}
	int k;
	while ((k = atomic_fetch_add(&B.next_send, 1)) < B.m) {
		watcher *w = &B.w[B.target[k]];
		char to[32], text[64];
		snprintf(to, sizeof to, "unit:%s", w->code);
		snprintf(text, sizeof text, "bench #%d 给%s的通知", k, w->code);
		Luoshi__V1__SendNoticeRequest req = LUOSHI__V1__SEND_NOTICE_REQUEST__INIT;
		req.to = to;
		req.text = text;
		ProtobufCMessage *m;
		B.sent_ns[k] = now_ns();
		if (luoshi_client_call(c, M_SEND, &req.base, NULL, &m, &st) == LS_OK) {
			protobuf_c_message_free_unpacked(m, NULL);
			atomic_fetch_add(&B.sent_ok, 1);
		} else {
			atomic_fetch_add(&B.sent_failed, 1);
			fprintf(stderr, "push_bench: SendNotice %s: %s\n", to, st.message);
		}
	}
	luoshi_client_close(c);
	return NULL;
}

typedef struct go_msg {
	char rpc_url[64];
	char admin[128];
} go_msg;

typedef struct report_head {
	uint64_t first_ns, last_ns;
	int ok, failed;
} report_head;

static bool read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/* Forks the sender process before anything starts nng's threads (they do
 * not survive a fork). It waits for "go" with the server's URL and token,
 * sends everything, and reports when each notice went. Returns 0 or -1. */
static int sender_fork(void)
{
	int go[2], rep[2];
	if (pipe2(go, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(go[0]);
		close(rep[1]);
		B.sender_pid = pid;
		B.go_fd = go[1];
		B.report_fd = rep[0];
		return 0;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	close(go[1]);
	close(rep[0]);
	go_msg g;
	if (!read_full(go[0], &g, sizeof g))
		_exit(0);
	memcpy(B.srv.rpc_url, g.rpc_url, sizeof g.rpc_url);
	memcpy(B.srv.admin, g.admin, sizeof g.admin);
	pthread_t t[MAX_THREADS];
	report_head h = {.first_ns = now_ns()};
	int started = 0;
	for (; started < B.senders; started++)
		if (pthread_create(&t[started], NULL, sender, NULL) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	h.last_ns = now_ns();
	h.ok = atomic_load(&B.sent_ok);
	h.failed = atomic_load(&B.sent_failed) + (B.m - h.ok - atomic_load(&B.sent_failed));
	bool ok = write_full(rep[1], &h, sizeof h) &&
	          write_full(rep[1], B.sent_ns, (size_t)B.m * sizeof *B.sent_ns);
	_exit(ok ? 0 : 1);
}

/* Reads the sender process's report as soon as it comes. */
static void *report_reader(void *arg)
{
	(void)arg;
	report_head h;
	bool ok = read_full(B.report_fd, &h, sizeof h) &&
	          read_full(B.report_fd, B.sent_ns, (size_t)B.m * sizeof *B.sent_ns);
	pthread_mutex_lock(&B.mtx);
	if (ok) {
		B.t_first_send = h.first_ns;
		B.t_sent = h.last_ns;
		atomic_store(&B.sent_ok, h.ok);
		atomic_store(&B.sent_failed, h.failed);
	} else {
		B.t_sent = now_ns();
		atomic_store(&B.sent_failed, B.m);
	}
	B.sent = true;
	pthread_cond_broadcast(&B.done_cond);
	pthread_mutex_unlock(&B.mtx);
	return NULL;
}

/* Creates the accounts, from a few threads: the server commits them in
 * groups. */
static atomic_int next_account;

static void *account_maker(void *arg)
{
	(void)arg;
	luoshi_client *c;
	ls_status st;
	luoshi_client_opts o = {
	    .url = B.srv.rpc_url, .token = B.srv.admin, .timeout_ms = CALL_TIMEOUT_MS};
	if (luoshi_client_open(&c, &o, &st) != LS_OK)
		return NULL;
	int i;
	while ((i = atomic_fetch_add(&next_account, 1)) < B.n) {
		watcher *w = &B.w[i];
		Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
		req.has_role = true;
		req.role = LUOSHI__V1__ROLE__ROLE_TOWN;
		req.name = w->code;
		req.unit = w->code;
		ProtobufCMessage *m;
		if (luoshi_client_call(c, M_CREATE, &req.base, NULL, &m, &st) != LS_OK) {
			fprintf(stderr, "push_bench: CreateAccount %s: %s\n", w->code, st.message);
			continue;
		}
		snprintf(w->token, sizeof w->token, "%s",
		         ((Luoshi__V1__CreateAccountResponse *)m)->token);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	luoshi_client_close(c);
	return NULL;
}

static int run_threads(int n, void *(*fn)(void *), pthread_t *t)
{
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, NULL) != 0)
			return -1;
	return 0;
}

static void join_threads(int n, pthread_t *t)
{
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* ---- main ------------------------------------------------------------------------------ */

static double ms_of(uint64_t ns)
{
	return (double)ns / 1e6;
}

int main(int argc, char **argv)
{
	const char *luoshid = LUOSHID_PATH;
	int n = 1000, m = 2000, senders = 8, pullers = 16;
	B.poll_ms = 5000;
	const char *coalesce = "8";
	static const struct option opts[] = {
	    {"luoshid", required_argument, NULL, 'l'},
	    {"watchers", required_argument, NULL, 'w'},
	    {"reminders", required_argument, NULL, 'r'},
	    {"senders", required_argument, NULL, 's'},
	    {"pullers", required_argument, NULL, 'p'},
	    {"poll", required_argument, NULL, 'P'},
	    {"coalesce", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			luoshid = optarg;
			break;
		case 'w':
			n = atoi(optarg);
			break;
		case 'r':
			m = atoi(optarg);
			break;
		case 's':
			senders = atoi(optarg);
			break;
		case 'p':
			pullers = atoi(optarg);
			break;
		case 'P':
			B.poll_ms = atoi(optarg);
			break;
		case 'c':
			coalesce = optarg;
			break;
		default:
			fprintf(
			    stderr,
			    "usage: push_bench [--luoshid PATH] [--watchers N] "
			    "[--reminders M] [--senders S] [--pullers P] [--poll MS] [--coalesce N]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (n < 1 || n > MAX_WATCHERS || m < 1 || senders < 1 || senders > MAX_THREADS ||
	    pullers < 1 || pullers > MAX_THREADS) {
		fprintf(stderr, "push_bench: 1..%d watchers, 1.. reminders, 1..%d threads\n",
		        MAX_WATCHERS, MAX_THREADS);
		return 2;
	}

	/* Two sockets a watcher here, two connections a watcher in luoshid
	 * (which inherits the limit). */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rlim_t want = (rlim_t)(4 * n + 256);
	if (rl.rlim_cur < want) {
		rl.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
			fprintf(stderr,
			        "push_bench: open files limited to %llu; %d watchers may need "
			        "%llu\n",
			        (unsigned long long)rl.rlim_cur, n, (unsigned long long)want);
	}

	B.n = n;
	B.m = m;
	B.w = calloc((size_t)n, sizeof *B.w);
	B.target = calloc((size_t)m, sizeof *B.target);
	B.sent_ns = calloc((size_t)m, sizeof *B.sent_ns);
	B.arrived_ns = calloc((size_t)m, sizeof *B.arrived_ns);
	if (B.w == NULL || B.target == NULL || B.sent_ns == NULL || B.arrived_ns == NULL)
		return 1;
	pthread_mutex_init(&B.mtx, NULL);
	pthread_cond_init(&B.cond, NULL);
	pthread_cond_init(&B.done_cond, NULL);

	/* Varied recipients: a fixed pseudo-random draw, so runs compare. */
	uint64_t seed = 0x9E3779B97F4A7C15u;
	for (int k = 0; k < m; k++) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		B.target[k] = (int)((seed >> 33) % (uint64_t)n);
	}
	int most = 0, none = 0;
	for (int i = 0; i < n; i++) {
		B.w[i].index = i;
		snprintf(B.w[i].code, sizeof B.w[i].code, "U%04d", i);
	}
	for (int k = 0; k < m; k++)
		B.w[B.target[k]].expected++;
	for (int i = 0; i < n; i++) {
		if (B.w[i].expected > most)
			most = B.w[i].expected;
		none += B.w[i].expected == 0;
	}

	B.senders = senders;
	if (sender_fork() != 0) {
		perror("push_bench: the sender process");
		return 1;
	}
	uint64_t t_setup = now_ns();
	if (server_start(&B.srv, luoshid, n, coalesce) != 0) {
		server_stop(&B.srv);
		return 1;
	}
	pthread_t threads[MAX_THREADS];
	if (run_threads(senders, account_maker, threads) != 0)
		return 1;
	join_threads(senders, threads);

	int rc = 1;
	for (int i = 0; i < n; i++) {
		watcher *w = &B.w[i];
		ls_status st;
		luoshi_client_opts o = {
		    .url = B.srv.rpc_url, .token = w->token, .timeout_ms = CALL_TIMEOUT_MS};
		char topic[32];
		snprintf(topic, sizeof topic, "u/%d/", i + 2);
		int rv;
		if (w->token[0] == '\0' || luoshi_client_open(&w->client, &o, &st) != LS_OK ||
		    (rv = nng_sub0_open(&w->sub)) != 0 ||
		    (rv = nng_socket_set(w->sub, NNG_OPT_SUB_SUBSCRIBE, topic, strlen(topic))) !=
		        0 ||
		    (rv = nng_socket_set(w->sub, NNG_OPT_SUB_SUBSCRIBE, "all/", 4)) != 0 ||
		    (rv = nng_socket_set_int(w->sub, NNG_OPT_RECVBUF, 1024)) != 0 ||
		    (rv = nng_pipe_notify(w->sub, NNG_PIPE_EV_ADD_POST, on_pipe, NULL)) != 0 ||
		    (rv = nng_aio_alloc(&w->aio, on_announce, w)) != 0 ||
		    (rv = nng_dial(w->sub, B.srv.pub_url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
			fprintf(stderr, "push_bench: watcher %d cannot start\n", i);
			goto out;
		}
		nng_recv_aio(w->sub, w->aio);
	}
	uint64_t end = now_ns() + (uint64_t)CONNECT_TIMEOUT_MS * 1000000u;
	while (atomic_load(&B.connected) < n && now_ns() < end)
		pause_ms(10);
	if (atomic_load(&B.connected) < n) {
		fprintf(stderr, "push_bench: only %d of %d watchers connected\n",
		        atomic_load(&B.connected), n);
		goto out;
	}
	uint64_t t_ready = now_ns();

	pthread_t pull_threads[MAX_THREADS], poll_thread;
	if (run_threads(pullers, puller, pull_threads) != 0 ||
	    (B.poll_ms > 0 && pthread_create(&poll_thread, NULL, poller, NULL) != 0))
		goto out;
	pthread_t reader;
	go_msg g;
	memcpy(g.rpc_url, B.srv.rpc_url, sizeof g.rpc_url);
	memcpy(g.admin, B.srv.admin, sizeof g.admin);
	if (pthread_create(&reader, NULL, report_reader, NULL) != 0 ||
	    !write_full(B.go_fd, &g, sizeof g))
		goto out;

	/* Wait for every reminder; after a quiet spell, sweep the watchers
	 * that still miss some (their announcements were dropped). */
	int swept = 0, sweeps = 0;
	uint64_t deadline = now_ns() + (uint64_t)DELIVERY_TIMEOUT_MS * 1000000u;
	pthread_mutex_lock(&B.mtx);
	while ((B.delivered < m || !B.sent) && now_ns() < deadline) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&B.done_cond, &B.mtx, &ts);
		if (!B.sent)
			continue;
		uint64_t last = B.last_arrival_ns > B.t_sent ? B.last_arrival_ns : B.t_sent;
		if (B.delivered < m && now_ns() - last > (uint64_t)QUIET_MS * 1000000u) {
			pthread_mutex_unlock(&B.mtx);
			sweeps++;
			for (int i = 0; i < n; i++) {
				if (B.w[i].got < B.w[i].expected) {
					swept++;
					enqueue(&B.w[i]);
				}
			}
			pthread_mutex_lock(&B.mtx);
			B.last_arrival_ns = now_ns();
		}
	}
	int delivered = B.delivered;
	bool sent = B.sent;
	uint64_t t0 = B.t_first_send, t_sent = B.t_sent;
	B.stop = true;
	pthread_cond_broadcast(&B.cond);
	pthread_mutex_unlock(&B.mtx);
	uint64_t t_done = 0;
	for (int k = 0; k < m; k++)
		if (B.arrived_ns[k] > t_done)
			t_done = B.arrived_ns[k];
	join_threads(pullers, pull_threads);
	if (B.poll_ms > 0)
		pthread_join(poll_thread, NULL);
	if (!sent) {
		fprintf(stderr, "push_bench: the sender process did not report\n");
		kill(B.sender_pid, SIGKILL);
	}
	pthread_join(reader, NULL);
	waitpid(B.sender_pid, NULL, 0);
	B.sender_pid = 0;

	/* Every watcher has exactly its own. */
	int short_w = 0, wrong = 0;
	for (int i = 0; i < n; i++) {
		short_w += B.w[i].got != B.w[i].expected;
		wrong += B.w[i].wrong;
	}
	uint64_t *lat = malloc((size_t)m * sizeof *lat);
	int nl = 0;
	for (int k = 0; k < m; k++)
		if (B.arrived_ns[k] > 0 && lat != NULL)
			lat[nl++] = B.arrived_ns[k] - B.sent_ns[k];
	if (lat != NULL)
		qsort(lat, (size_t)nl, sizeof *lat, cmp_u64);

	printf("push_bench: %d watchers (SUB socket and client each, one process), %d reminders "
	       "to random units (0..%d each; %d units get none), %d senders, %d pullers, "
	       "poll every %d ms, push-coalesce %s\n",
	       n, m, most, none, senders, pullers, B.poll_ms, coalesce);
	printf("  (the senders run in a process of their own)\n");
	printf("  setup (units, accounts, connections)  %8.0f ms\n", ms_of(t_ready - t_setup));
	printf("  sending %d notices                   %8.0f ms  (%.0f/s; %d failed)\n", m,
	       ms_of(t_sent - t0), (double)atomic_load(&B.sent_ok) / ((double)(t_sent - t0) / 1e9),
	       atomic_load(&B.sent_failed));
	if (delivered >= m)
		printf("  first send -> every watcher has its own %6.0f ms\n", ms_of(t_done - t0));
	else
		printf("  NOT DELIVERED: %d of %d within %d s\n", m - delivered, m,
		       DELIVERY_TIMEOUT_MS / 1000);
	if (nl > 0)
		printf(
		    "  send -> pulled, per reminder          p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  "
		    "max %.1f ms\n",
		    ms_of(lat[nl / 2]), ms_of(lat[nl * 9 / 10]), ms_of(lat[nl * 99 / 100]),
		    ms_of(lat[nl - 1]));
	long bursts = atomic_load(&B.bursts);
	printf("  announcements: %ld for one inbox received (of %d reminders), %ld \"all/\" "
	       "received (%.1f per watcher); each went to all %d watchers\n",
	       atomic_load(&B.announcements), m, bursts, (double)bursts / n, n);
	printf("  ListInbox pulls %ld, failed calls %ld; reminders found by a poll, not an "
	       "announcement: %ld\n",
	       atomic_load(&B.pulls), atomic_load(&B.pull_errors), atomic_load(&B.found_by_poll));
	printf("  sweeps after a quiet %d ms: %d (%d watchers)\n", QUIET_MS, sweeps, swept);
	printf("  check: %s (%d watchers short or over, %d reminders not theirs or twice)\n",
	       short_w == 0 && wrong == 0 && delivered == m ? "every watcher has exactly its own"
	                                                    : "FAILED",
	       short_w, wrong);
	free(lat);
	rc = short_w == 0 && wrong == 0 && delivered == m ? 0 : 1;
out:
	if (B.sender_pid > 0) {
		kill(B.sender_pid, SIGKILL);
		waitpid(B.sender_pid, NULL, 0);
	}
	for (int i = 0; i < n; i++) {
		if (B.w[i].aio != NULL)
			nng_aio_stop(B.w[i].aio);
		nng_close(B.w[i].sub);
		if (B.w[i].aio != NULL)
			nng_aio_free(B.w[i].aio);
		luoshi_client_close(B.w[i].client);
	}
	server_stop(&B.srv);
	free(B.w);
	free(B.target);
	free(B.sent_ns);
	free(B.arrived_ns);
	return rc;
}
