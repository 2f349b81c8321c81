/* The failover test's writer (tests/failover/failover.sh): threads that
 * create accounts through luoshid, one after another, while the script
 * kills a server and fails PostgreSQL over under them.
 *
 *   failover_writer --servers tcp://A,tcp://B --token T --until-file PATH
 *                   --out RESULTS [--errors FILE] [--threads N]
 *                   [--attempts N] [--pause-ms MS] [--timeout-ms MS]
 *
 * Thread t opens its own client on all the servers and makes write n as
 * CreateAccount (role viewer) named "w<t>-<n>" with the idempotency key
 * "w<t>-<n>". A failed attempt is tried again with the same key, as a
 * user's client would, after a pause that doubles from --pause-ms up to a
 * second, at most --attempts times in all. The threads stop before their
 * next write once PATH exists.
 *
 * Times are milliseconds since the Unix epoch (read once from the real-time
 * clock, then advanced by the monotonic one), so that the script can set
 * them beside its own `date +%s%3N`. RESULTS gets one line per write, as
 * soon as the write is done:
 *
 *   ok NAME ID FAILED START END             OK after FAILED failed attempts
 *   error NAME CODE FAILED START END MESSAGE    never OK; CODE, MESSAGE: the last
 *
 * and the errors file (default RESULTS.errors) one line per failed attempt:
 *
 *   TIME NAME ATTEMPT CODE MESSAGE
 *
 * At the end a summary goes to standard output, its last line
 *
 *   summary: ok=N retried=N failed=N failed_attempts=N stall_ms=N stall_from=T stall_to=T
 *
 * where the stall is the longest time in which no write of any thread was
 * answered OK (the failover as the writers saw it), from the OK before it
 * to the OK that ended it, or to the end of the run when none did. Exits 0
 * when the run could be made (whatever the calls answered), 2 on bad usage,
 * 1 when a client could not be opened or a file written. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "luoshi/v1/account.pb-c.h"
#include "luoshi_client.h"
#include "status.h"

#define M_CREATE_ACCOUNT "/luoshi.v1.AccountService/CreateAccount"
#define THREADS_MAX 64
#define PAUSE_MAX_MS 1000

typedef struct options {
	const char *servers;
	const char *token;
	const char *until_file;
	const char *out;
	const char *errors;
	int threads;
	int attempts;
	int pause_ms;
	int timeout_ms;
} options;

/* What all threads share: the output files and the figures. */
typedef struct shared {
	const options *o;
	pthread_mutex_t lock;
	FILE *out;
	FILE *errors;
	bool io_failed;
	atomic_bool stop_all; /* a thread could not run: all stop */
	uint64_t start;       /* when the writer began */
	uint64_t last_ok;     /* when the last OK came, 0 before the first */
	uint64_t stall_from, stall_to;
	long ok, retried, failed, failed_attempts;
	long by_code[LS_CODE_MAX + 1];
} shared;

typedef struct worker {
	shared *sh;
	int index;
	int rc; /* 0, or 1 when the thread could not run */
	pthread_t thread;
} worker;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t epoch_at_start, mono_at_start;

/* Now, in milliseconds since the epoch, never going back. */
static uint64_t now_ms(void)
{
	return epoch_at_start + (mono_ms() - mono_at_start);
}

static void clock_start(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	mono_at_start = mono_ms();
	epoch_at_start = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pause_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The status's message on one line: the files are read line by line. */
static void message_of(const ls_status *st, char *buf, size_t n)
{
	snprintf(buf, n, "%s", st->message[0] ? st->message : "-");
	for (char *s = buf; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

/* One attempt of a write. Returns the code; *id on OK. */
static int create(luoshi_client *c, const char *name, int64_t *id, ls_status *st)
{
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = LUOSHI__V1__ROLE__ROLE_VIEWER;
	req.name = (char *)name;
	ProtobufCMessage *m = NULL;
	ls_status_clear(st);
	int rc = luoshi_client_call(c, M_CREATE_ACCOUNT, &req.base, name, &m, st);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__CreateAccountResponse *r = (const Luoshi__V1__CreateAccountResponse *)m;
	if (r->account == NULL || !r->account->has_id) {
		protobuf_c_message_free_unpacked(m, NULL);
		return ls_status_set(st, LS_INTERNAL,
		                     "CreateAccount answered without an account id");
	}
	*id = r->account->id;
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

static void put_line(shared *sh, FILE *f, const char *line)
{
	if (fputs(line, f) == EOF || fflush(f) != 0)
		sh->io_failed = true;
}

static void note_attempt_failed(shared *sh, const char *name, int attempt, const ls_status *st)
{
	char msg[sizeof st->message], line[sizeof msg + 128];
	message_of(st, msg, sizeof msg);
	int code = st->code > 0 && st->code <= LS_CODE_MAX ? st->code : LS_UNKNOWN;
	pthread_mutex_lock(&sh->lock);
	snprintf(line, sizeof line, "%" PRIu64 " %s %d %s %s\n", now_ms(), name, attempt,
	         ls_code_name(st->code), msg);
	sh->failed_attempts++;
	sh->by_code[code]++;
	put_line(sh, sh->errors, line);
	pthread_mutex_unlock(&sh->lock);
}

static void note_ok(shared *sh, const char *name, int64_t id, int failed, uint64_t start)
{
	char line[192];
	pthread_mutex_lock(&sh->lock);
	uint64_t t = now_ms();
	if (sh->last_ok != 0 && t - sh->last_ok > sh->stall_to - sh->stall_from) {
		sh->stall_from = sh->last_ok;
		sh->stall_to = t;
	}
	sh->last_ok = t;
	sh->ok++;
	sh->retried += failed > 0;
	snprintf(line, sizeof line, "ok %s %" PRId64 " %d %" PRIu64 " %" PRIu64 "\n", name, id,
	         failed, start, t);
	put_line(sh, sh->out, line);
	pthread_mutex_unlock(&sh->lock);
}

static void note_failed(shared *sh, const char *name, int failed, uint64_t start,
                        const ls_status *st)
{
	char msg[sizeof st->message], line[sizeof msg + 192];
	message_of(st, msg, sizeof msg);
	pthread_mutex_lock(&sh->lock);
	snprintf(line, sizeof line, "error %s %s %d %" PRIu64 " %" PRIu64 " %s\n", name,
	         ls_code_name(st->code), failed, start, now_ms(), msg);
	sh->failed++;
	put_line(sh, sh->out, line);
	pthread_mutex_unlock(&sh->lock);
}

static void *work(void *arg)
{
	worker *w = arg;
	shared *sh = w->sh;
	const options *o = sh->o;
	luoshi_client_opts co = {
	    .url = o->servers, .token = o->token, .timeout_ms = (uint32_t)o->timeout_ms};
	luoshi_client *c = NULL;
	ls_status st;
	ls_status_clear(&st);
	if (luoshi_client_open(&c, &co, &st) != LS_OK) {
		fprintf(stderr, "writer: thread %d: cannot open a client on %s: %s: %s\n", w->index,
		        o->servers, ls_code_name(st.code), st.message);
		w->rc = 1;
		atomic_store(&sh->stop_all, true);
		return NULL;
	}
	for (long n = 1; !atomic_load(&sh->stop_all) && access(o->until_file, F_OK) != 0; n++) {
		char name[48];
		snprintf(name, sizeof name, "w%d-%ld", w->index, n);
		uint64_t start = now_ms();
		int failed = 0;
		int pause = o->pause_ms;
		for (;;) {
			int64_t id = 0;
			if (create(c, name, &id, &st) == LS_OK) {
				note_ok(sh, name, id, failed, start);
				break;
			}
			failed++;
			note_attempt_failed(sh, name, failed, &st);
			if (failed >= o->attempts) {
				note_failed(sh, name, failed, start, &st);
				break;
			}
			pause_ms(pause);
			pause = pause * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : pause * 2;
		}
	}
	luoshi_client_close(c);
	return NULL;
}

static const char usage[] =
    "usage: failover_writer --servers URL[,URL...] --token TOKEN --until-file PATH\n"
    "                       --out RESULTS [--errors FILE] [--threads N (16)]\n"
    "                       [--attempts N (10)] [--pause-ms MS (100)]\n"
    "                       [--timeout-ms MS (5000)]\n";

static bool int_arg(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

static int parse(int argc, char **argv, options *o)
{
	*o = (options){.threads = 16, .attempts = 10, .pause_ms = 100, .timeout_ms = 5000};
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = v != NULL;
		if (strcmp(a, "--servers") == 0)
			o->servers = v;
		else if (strcmp(a, "--token") == 0)
			o->token = v;
		else if (strcmp(a, "--until-file") == 0)
			o->until_file = v;
		else if (strcmp(a, "--out") == 0)
			o->out = v;
		else if (strcmp(a, "--errors") == 0)
			o->errors = v;
		else if (strcmp(a, "--threads") == 0)
			ok = ok && int_arg(v, 1, THREADS_MAX, &o->threads);
		else if (strcmp(a, "--attempts") == 0)
			ok = ok && int_arg(v, 1, 1000, &o->attempts);
		else if (strcmp(a, "--pause-ms") == 0)
			ok = ok && int_arg(v, 1, PAUSE_MAX_MS, &o->pause_ms);
		else if (strcmp(a, "--timeout-ms") == 0)
			ok = ok && int_arg(v, 1, 600000, &o->timeout_ms);
		else
			ok = false;
		if (!ok) {
			fprintf(stderr, "writer: bad argument: %s%s%s\n%s", a, v ? " " : "",
			        v ? v : "", usage);
			return -1;
		}
	}
	if (o->servers == NULL || o->token == NULL || o->until_file == NULL || o->out == NULL) {
		fputs(usage, stderr);
		return -1;
	}
	return 0;
}

static void summary(shared *sh)
{
	uint64_t end = now_ms();
	bool open_stall = sh->last_ok != 0 && end - sh->last_ok > sh->stall_to - sh->stall_from;
	if (open_stall) {
		sh->stall_from = sh->last_ok;
		sh->stall_to = end;
	}
	uint64_t stall = sh->stall_to - sh->stall_from;
	printf("writer: %d threads, %ld writes in %.1f s: %ld ok (%ld of them after failed "
	       "attempts), %ld never ok\n",
	       sh->o->threads, sh->ok + sh->failed, (double)(end - sh->start) / 1000.0, sh->ok,
	       sh->retried, sh->failed);
	printf("writer: %ld failed attempts", sh->failed_attempts);
	const char *sep = ": ";
	for (int code = 0; code <= LS_CODE_MAX; code++) {
		if (sh->by_code[code] == 0)
			continue;
		printf("%s%s %ld", sep, ls_code_name(code), sh->by_code[code]);
		sep = ", ";
	}
	printf("\n");
	printf("writer: longest time without a successful write: %" PRIu64
	       " ms, %.1f s to %.1f s after the start%s\n",
	       stall, (double)(sh->stall_from - sh->start) / 1000.0,
	       (double)(sh->stall_to - sh->start) / 1000.0,
	       open_stall ? " (the end: no write succeeded after it)" : "");
	printf("summary: ok=%ld retried=%ld failed=%ld failed_attempts=%ld stall_ms=%" PRIu64
	       " stall_from=%" PRIu64 " stall_to=%" PRIu64 "\n",
	       sh->ok, sh->retried, sh->failed, sh->failed_attempts, stall, sh->stall_from,
	       sh->stall_to);
}

int main(int argc, char **argv)
{
	options o;
	if (parse(argc, argv, &o) != 0)
		return 2;
	char errors_path[4096];
	if (o.errors == NULL) {
		snprintf(errors_path, sizeof errors_path, "%s.errors", o.out);
		o.errors = errors_path;
	}
	clock_start();
	shared sh = {.o = &o, .start = now_ms()};
	atomic_init(&sh.stop_all, false);
	pthread_mutex_init(&sh.lock, NULL);
	sh.out = fopen(o.out, "w");
	sh.errors = fopen(o.errors, "w");
	if (sh.out == NULL || sh.errors == NULL) {
		fprintf(stderr, "writer: cannot write %s: %s\n", sh.out ? o.errors : o.out,
		        strerror(errno));
		return 1;
	}

	worker w[THREADS_MAX];
	int started = 0, rc = 0;
	for (int i = 0; i < o.threads; i++) {
		w[i] = (worker){.sh = &sh, .index = i};
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
			fprintf(stderr, "writer: cannot start thread %d\n", i);
			atomic_store(&sh.stop_all, true);
			rc = 1;
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].rc != 0)
			rc = 1;
	}
	if (fclose(sh.out) != 0 || fclose(sh.errors) != 0 || sh.io_failed) {
		fprintf(stderr, "writer: cannot write %s or %s\n", o.out, o.errors);
		rc = 1;
	}
	summary(&sh);
	pthread_mutex_destroy(&sh.lock);
	return rc;
}
