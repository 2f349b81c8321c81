/* End to end: crash safety. Several clients write at once (accounts,
 * single progress updates, batches of five updates), luoshid is killed with
 * SIGKILL at a moment drawn from a seeded generator, and restarted on the
 * same database. Then every write that was answered OK must be there, once;
 * every batch must be there whole or not at all, answered or not; and
 * PRAGMA integrity_check must say ok. Twenty rounds, one database.
 *
 * The sleep before the kill is the point of the test: it picks the moment
 * of the crash; it synchronises nothing. The clients find the server gone
 * by their own deadlines. Each restart listens on a new port, so a request
 * that nng's REQ socket would resend after reconnecting never reaches the
 * next round's server.
 *
 * LUOSHI_CRASH_SEED=N repeats a run's moments (the seed is printed). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/progress.pb-c.h"

#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_SUBMIT "/luoshi.v1.ProgressService/SubmitUpdate"
#define M_BATCH "/luoshi.v1.ProgressService/SubmitUpdates"

#define ROUNDS 20
#define MAX_DELAY_MS 300
#define BATCH 5
/* Short deadlines, so that a client whose server died notices soon. */
#define CALL_TIMEOUT_MS 250
/* Writes one client makes in a round at most; far more than fit before
 * the kill. */
#define MAX_WRITES 4000

#define TOKEN_MAX 128

/* Two towns' projects (weekly), written to by the town of 五乡镇. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'FGJ', '区发改局', 'department', 1, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', 1, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " created_at) VALUES"
    " (1, 'P1', '中车产业基地', 'district', 'industrial', 'continuing', 1, 3, 2, 218900,"
    "  'weekly', '2025-01-01', '2027-12-31', '2026-01-01'),"
    " (2, 'P2', '鄞城大道', 'district', 'infrastructure', 'new', 1, 3, 2, 80000,"
    "  'weekly', '2025-06-01', '2027-12-31', '2026-01-01');";

/* What one writer does. */
typedef enum kind { ACCOUNTS, UPDATES, BATCHES } kind;

#define N_WRITERS 6
static const kind writer_kinds[N_WRITERS] = {ACCOUNTS, ACCOUNTS, UPDATES,
                                             UPDATES,  BATCHES,  BATCHES};

/* One writer in one round: the writes it sent, and which were answered
 * OK. Write i is named by tag(round, writer, i). */
typedef struct writer {
	int round, id;
	kind what;
	const char *url, *token;
	pthread_barrier_t *ready;
	atomic_bool *stop;
	int sent;
	bool ok[MAX_WRITES];
	/* A status other than OK or the server's absence, with its write. */
	int bad_code, bad_index;
	char bad_message[sizeof(((ls_status *)0)->message)];
} writer;

typedef struct fx {
	e2e_server s;
	char town[TOKEN_MAX];
} fx;

/* ---- the generator of moments --------------------------------------------- */

/* splitmix64: one 64-bit state, good enough to spread moments. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- the writers ------------------------------------------------------------ */

static void tag(char *buf, size_t n, int round, int w, int i)
{
	snprintf(buf, n, "crash r%02d w%d #%d", round, w, i);
}

static Luoshi__V1__SubmitUpdateRequest update_of(const char *progress, int i)
{
	static char *const weeks[] = {"2026-W10", "2026-W11", "2026-W12", "2026-W13",
	                              "2026-W14", "2026-W15", "2026-W16"};
	Luoshi__V1__SubmitUpdateRequest r = LUOSHI__V1__SUBMIT_UPDATE_REQUEST__INIT;
	r.project = i % 2 ? "P2" : "P1";
	r.week = weeks[i % 7];
	r.has_invested = true;
	r.invested = i % 50;
	r.has_percent = true;
	r.percent = (uint32_t)(i % 101);
	r.progress = (char *)progress;
	return r;
}

/* One write; returns its status. */
static int write_one(writer *w, luoshi_client *c, int i, ls_status *st)
{
	char name[64];
	ProtobufCMessage *m = NULL;
	int rc;
	tag(name, sizeof name, w->round, w->id, i);
	if (w->what == ACCOUNTS) {
		Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
		req.has_role = true;
		req.role = LUOSHI__V1__ROLE__ROLE_VIEWER;
		req.name = name;
		rc = e2e_call(c, M_CREATE, &req.base, NULL, &m, st);
	} else if (w->what == UPDATES) {
		Luoshi__V1__SubmitUpdateRequest req = update_of(name, i);
		rc = e2e_call(c, M_SUBMIT, &req.base, NULL, &m, st);
	} else {
		char names[BATCH][80];
		Luoshi__V1__SubmitUpdateRequest items[BATCH];
		Luoshi__V1__SubmitUpdateRequest *ptrs[BATCH];
		for (int k = 0; k < BATCH; k++) {
			snprintf(names[k], sizeof names[k], "%s u%d", name, k);
			items[k] = update_of(names[k], i * BATCH + k);
			ptrs[k] = &items[k];
		}
		Luoshi__V1__SubmitUpdatesRequest req = LUOSHI__V1__SUBMIT_UPDATES_REQUEST__INIT;
		req.n_updates = BATCH;
		req.updates = ptrs;
		rc = e2e_call(c, M_BATCH, &req.base, NULL, &m, st);
	}
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* No cmocka assertion may run here (it would jump out of this thread):
 * what goes wrong is kept for the main thread to judge. */
static void *writer_main(void *arg)
{
	writer *w = arg;
	luoshi_client *c = NULL;
	ls_status st;
	luoshi_client_opts o = {.url = w->url, .token = w->token, .timeout_ms = CALL_TIMEOUT_MS};
	int rc = luoshi_client_open(&c, &o, &st);
	pthread_barrier_wait(w->ready);
	if (rc != LS_OK) {
		w->bad_code = rc;
		w->bad_index = -1;
		snprintf(w->bad_message, sizeof w->bad_message, "%s", st.message);
		return NULL;
	}
	while (!atomic_load(w->stop) && w->sent < MAX_WRITES) {
		int i = w->sent++;
		rc = write_one(w, c, i, &st);
		if (rc == LS_OK) {
			w->ok[i] = true;
			continue;
		}
		/* The server is gone (or going): this write may or may not have
		 * happened, and nothing more can be sent. */
		if (rc != LS_UNAVAILABLE && rc != LS_DEADLINE_EXCEEDED) {
			w->bad_code = rc;
			w->bad_index = i;
			snprintf(w->bad_message, sizeof w->bad_message, "%s", st.message);
		}
		break;
	}
	luoshi_client_close(c);
	return NULL;
}

/* ---- checking ---------------------------------------------------------------- */

static int64_t count_where(sqlite3 *db, const char *sql, const char *p)
{
	return e2e_db_int(db, sql, p, NULL);
}

static void integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	const char *r = (const char *)sqlite3_column_text(q, 0);
	if (r == NULL || strcmp(r, "ok") != 0)
		fail_msg("integrity_check: %s", r ? r : "(null)");
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
}

/* Every write of w answered OK is there once; a batch is all there or none
 * of it; a write that got no answer is there at most once. Returns the
 * number of answered writes. */
static int check_writer(sqlite3 *db, const writer *w)
{
	int answered = 0;
	for (int i = 0; i < w->sent; i++) {
		char name[64], like[80];
		int64_t n;
		tag(name, sizeof name, w->round, w->id, i);
		if (w->what == ACCOUNTS) {
			n = count_where(db, "SELECT count(*) FROM accounts WHERE name = ?1", name);
		} else if (w->what == UPDATES) {
			n = count_where(db, "SELECT count(*) FROM updates WHERE progress = ?1",
			                name);
		} else {
			snprintf(like, sizeof like, "%s u_", name);
			n = count_where(db, "SELECT count(*) FROM updates WHERE progress LIKE ?1",
			                like);
			if (n != 0 && n != BATCH)
				fail_msg("%s: %" PRId64 " of the batch's %d updates are there",
				         name, n, BATCH);
			n /= BATCH;
		}
		if (w->ok[i] && n != 1)
			fail_msg("%s was answered OK but is there %" PRId64 " times", name, n);
		if (n > 1)
			fail_msg("%s is there %" PRId64 " times", name, n);
		answered += w->ok[i];
	}
	return answered;
}

/* Nothing of a round is there but what its writers sent: no write of one
 * is counted twice, and no batch is cut. */
static void check_round_totals(sqlite3 *db, int round, const writer *ws)
{
	char like[32];
	snprintf(like, sizeof like, "crash r%02d %%", round);
	int64_t accounts =
	    count_where(db, "SELECT count(*) FROM accounts WHERE name LIKE ?1", like);
	int64_t updates =
	    count_where(db, "SELECT count(*) FROM updates WHERE progress LIKE ?1", like);
	int64_t max_accounts = 0, max_updates = 0;
	for (int k = 0; k < N_WRITERS; k++) {
		if (ws[k].what == ACCOUNTS)
			max_accounts += ws[k].sent;
		else
			max_updates += ws[k].what == BATCHES ? BATCH * ws[k].sent : ws[k].sent;
	}
	assert_true(accounts <= max_accounts);
	assert_true(updates <= max_updates);
}

/* ---- the test ------------------------------------------------------------------ */

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		goto fail;
	sqlite3 *db;
	if (sqlite3_open(f->s.db, &db) != SQLITE_OK)
		goto fail;
	char *err = NULL;
	int rc = sqlite3_exec(db, FIXTURE, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "fixture: %s\n", err);
	sqlite3_free(err);
	sqlite3_close(db);
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (rc != SQLITE_OK || e2e_server_start(&f->s, extra) != 0)
		goto fail;
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

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The account of 五乡镇, which submits the updates. */
static void town_account(fx *f)
{
	luoshi_client *c = e2e_client(f->s.tcp_url, f->s.admin_token, 10000);
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = LUOSHI__V1__ROLE__ROLE_TOWN;
	req.name = "五乡镇 clerk";
	req.unit = "WX";
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_CREATE, &req.base, NULL, &m, &st), LS_OK);
	snprintf(f->town, sizeof f->town, "%s", ((Luoshi__V1__CreateAccountResponse *)m)->token);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

static void test_kill_and_restart(void **state)
{
	fx *f = *state;
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	const char *env = getenv("LUOSHI_CRASH_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 10)
	                            : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng_state = seed;
	printf("crash: seed %" PRIu64 " (LUOSHI_CRASH_SEED=%" PRIu64 " repeats these moments)\n",
	       seed, seed);

	town_account(f);

	writer *ws = calloc(N_WRITERS, sizeof *ws);
	assert_non_null(ws);
	uint64_t start = e2e_now_ms();
	int total_ok = 0, total_sent = 0;
	for (int round = 0; round < ROUNDS; round++) {
		char url[sizeof f->s.tcp_url];
		snprintf(url, sizeof url, "%s", f->s.tcp_url);
		pthread_barrier_t ready;
		atomic_bool stop = false;
		pthread_t threads[N_WRITERS];
		assert_int_equal(pthread_barrier_init(&ready, NULL, N_WRITERS + 1), 0);
		for (int k = 0; k < N_WRITERS; k++) {
			ws[k] = (writer){.round = round,
			                 .id = k,
			                 .what = writer_kinds[k],
			                 .url = url,
			                 .token = writer_kinds[k] == ACCOUNTS ? f->s.admin_token
			                                                      : f->town,
			                 .ready = &ready,
			                 .stop = &stop};
			assert_int_equal(pthread_create(&threads[k], NULL, writer_main, &ws[k]), 0);
		}
		unsigned delay = (unsigned)(rng_next() % (MAX_DELAY_MS + 1));
		pthread_barrier_wait(&ready);
		sleep_ms(delay);

		/* It must still be running: a server that died by itself is a
		 * failure, not a crash of ours. Its output from here on would
		 * only be this round's, and a killed server writes none. */
		if (!e2e_server_alive(&f->s)) {
			char *out = e2e_read_file(f->s.out, NULL);
			fail_msg("round %d: luoshid died before it was killed:\n%s", round,
			         out ? out : "");
		}
		assert_int_equal(e2e_write_file(f->s.out, ""), 0);
		assert_int_equal(kill(f->s.pid, SIGKILL), 0);
		assert_int_equal(e2e_server_wait(&f->s, 10000), 128 + SIGKILL);
		atomic_store(&stop, true);
		/* On a new port, while the clients give up on the old one. */
		assert_int_equal(e2e_server_start(&f->s, extra), 0);
		for (int k = 0; k < N_WRITERS; k++)
			pthread_join(threads[k], NULL);
		pthread_barrier_destroy(&ready);

		sqlite3 *db = e2e_db_open(&f->s);
		integrity_ok(db);
		int ok = 0, sent = 0;
		for (int k = 0; k < N_WRITERS; k++) {
			if (ws[k].bad_code != LS_OK)
				fail_msg("round %d writer %d, write %d: %s %s", round, k,
				         ws[k].bad_index, ls_code_name(ws[k].bad_code),
				         ws[k].bad_message);
			ok += check_writer(db, &ws[k]);
			sent += ws[k].sent;
		}
		check_round_totals(db, round, ws);
		sqlite3_close(db);
		printf("crash: round %2d: SIGKILL %3u ms into the load; %3d writes sent, %3d "
		       "answered OK, all there\n",
		       round, delay, sent, ok);
		total_ok += ok;
		total_sent += sent;
	}
	free(ws);
	printf("crash: %d rounds in %.1f s: %d writes sent, %d answered OK\n", ROUNDS,
	       (double)(e2e_now_ms() - start) / 1000.0, total_sent, total_ok);
	/* The load did write: a test whose clients never got an answer would
	 * prove nothing. */
	assert_true(total_ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kill_and_restart, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
