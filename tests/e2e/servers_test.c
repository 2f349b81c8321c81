/* End to end: a client given several servers ("URL1,URL2"). Two luoshid
 * serve copies of one database (the same admin token), so that any call
 * can go to either; GetServerInfo's publish address tells which answered.
 * The client must spread calls over both, go on through the other when one
 * dies, in the middle of calls too, start when the first is down, and
 * refuse a list it cannot use. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "luoshi/v1/reflection.pb-c.h"

#define M_SERVER_INFO "/luoshi.v1.ReflectionService/GetServerInfo"

typedef struct pair {
	e2e_server a, b;
} pair;

static int start_both(pair *p)
{
	/* Calls in a tight loop, all with one account. */
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(&p->a, extra) != 0 || e2e_server_start(&p->b, extra) != 0)
		return -1;
	return 0;
}

/* Two servers on copies of a's database, both running; on PostgreSQL, on
 * a's database itself, which two servers may share. On failure the
 * teardown removes what was made. */
static int setup(void **state)
{
	pair *p = calloc(1, sizeof *p);
	if (p == NULL)
		return -1;
	*state = p;
	if (e2e_on_pg()) {
		if (e2e_server_init(&p->a) != 0 || e2e_server_init_beside(&p->b, &p->a) != 0)
			return -1;
		return start_both(p);
	}
	if (e2e_server_init(&p->a) != 0 || e2e_server_init(&p->b) != 0)
		return -1;
	size_t len;
	char *db = e2e_read_file(p->a.db, &len);
	FILE *f = db ? fopen(p->b.db, "wb") : NULL;
	bool copied = f != NULL && fwrite(db, 1, len, f) == len;
	if (f != NULL && fclose(f) != 0)
		copied = false;
	free(db);
	if (!copied)
		return -1;
	memcpy(p->b.admin_token, p->a.admin_token, sizeof p->b.admin_token);
	return start_both(p);
}

static int teardown(void **state)
{
	pair *p = *state;
	e2e_server_cleanup(&p->a);
	e2e_server_cleanup(&p->b);
	free(p);
	return 0;
}

/* Which of the pair answered a GetServerInfo: 'a', 'b', or the code of
 * the failure (a negative number). */
static int who(luoshi_client *c, const pair *p)
{
	Luoshi__V1__GetServerInfoRequest req = LUOSHI__V1__GET_SERVER_INFO_REQUEST__INIT;
	ProtobufCMessage *m = NULL;
	ls_status st;
	int rc = luoshi_client_call(c, M_SERVER_INFO, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		return -rc;
	const Luoshi__V1__GetServerInfoResponse *r = (Luoshi__V1__GetServerInfoResponse *)m;
	int w = r->n_push_urls != 1                          ? 0
	        : strcmp(r->push_urls[0], p->a.pub_url) == 0 ? 'a'
	        : strcmp(r->push_urls[0], p->b.pub_url) == 0 ? 'b'
	                                                     : 0;
	protobuf_c_message_free_unpacked(m, NULL);
	return w;
}

static luoshi_client *open_list(const char *url, const char *token, int *rc, ls_status *st)
{
	luoshi_client *c = NULL;
	luoshi_client_opts o = {
	    .url = url, .token = token, .timeout_ms = 5000 * (uint32_t)e2e_timeout_scale()};
	*rc = luoshi_client_open(&c, &o, st);
	return c;
}

/* Both servers get calls; with one killed, every call goes to the other. */
static void test_spread_and_failover(void **state)
{
	pair *p = *state;
	char url[256];
	/* Blanks around an address are allowed. */
	snprintf(url, sizeof url, "%s , %s", p->a.tcp_url, p->b.tcp_url);
	int rc;
	ls_status st;
	luoshi_client *c = open_list(url, p->a.admin_token, &rc, &st);
	assert_int_equal(rc, LS_OK);

	/* The second server is dialed in the background: calls reach it once
	 * it is connected. */
	int seen_a = 0, seen_b = 0;
	uint64_t end = e2e_now_ms() + 10000 * (uint64_t)e2e_timeout_scale();
	while ((seen_a == 0 || seen_b == 0) && e2e_now_ms() < end) {
		int w = who(c, p);
		if (w != 'a' && w != 'b')
			fail_msg("a call got %d", w);
		seen_a += w == 'a';
		seen_b += w == 'b';
	}
	assert_true(seen_a > 0);
	assert_true(seen_b > 0);

	kill(p->a.pid, SIGKILL);
	assert_int_equal(e2e_server_wait(&p->a, 15000), 128 + SIGKILL);
	for (int i = 0; i < 20; i++)
		assert_int_equal(who(c, p), 'b');
	luoshi_client_close(c);
}

/* ---- a server killed while calls are in flight ----------------------------------- */

typedef struct caller {
	luoshi_client *c;
	const pair *p;
	atomic_int calls, failures, on_b;
	atomic_bool stop;
	int first_failure;
} caller;

static void *call_on(void *arg)
{
	caller *k = arg;
	while (!atomic_load(&k->stop)) {
		int w = who(k->c, k->p);
		if (w == 'a' || w == 'b') {
			atomic_fetch_add(&k->on_b, w == 'b');
		} else if (atomic_fetch_add(&k->failures, 1) == 0) {
			k->first_failure = w;
		}
		atomic_fetch_add(&k->calls, 1);
	}
	return NULL;
}

#define CALLERS 4

static void test_kill_under_calls(void **state)
{
	pair *p = *state;
	char url[256];
	snprintf(url, sizeof url, "%s,%s", p->a.tcp_url, p->b.tcp_url);
	caller k[CALLERS];
	pthread_t th[CALLERS];
	for (int i = 0; i < CALLERS; i++) {
		int rc;
		ls_status st;
		k[i] = (caller){.p = p};
		k[i].c = open_list(url, p->a.admin_token, &rc, &st);
		assert_int_equal(rc, LS_OK);
		atomic_init(&k[i].calls, 0);
		atomic_init(&k[i].failures, 0);
		atomic_init(&k[i].on_b, 0);
		atomic_init(&k[i].stop, false);
	}
	for (int i = 0; i < CALLERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, call_on, &k[i]), 0);

	/* Every caller is busy before the first server goes. */
	uint64_t end = e2e_now_ms() + 10000 * (uint64_t)e2e_timeout_scale();
	for (int i = 0; i < CALLERS; i++)
		while (atomic_load(&k[i].calls) < 50 && e2e_now_ms() < end)
			e2e_poll_pause();
	kill(p->a.pid, SIGKILL);
	int calls_at_kill[CALLERS];
	for (int i = 0; i < CALLERS; i++)
		calls_at_kill[i] = atomic_load(&k[i].calls);
	end = e2e_now_ms() + 20000 * (uint64_t)e2e_timeout_scale();
	for (int i = 0; i < CALLERS; i++)
		while (atomic_load(&k[i].calls) < calls_at_kill[i] + 50 && e2e_now_ms() < end)
			e2e_poll_pause();
	for (int i = 0; i < CALLERS; i++)
		atomic_store(&k[i].stop, true);
	for (int i = 0; i < CALLERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(e2e_server_wait(&p->a, 15000), 128 + SIGKILL);

	for (int i = 0; i < CALLERS; i++) {
		if (atomic_load(&k[i].failures) != 0)
			fail_msg("caller %d: %d calls failed, the first with %d", i,
			         atomic_load(&k[i].failures), k[i].first_failure);
		assert_true(atomic_load(&k[i].calls) >= calls_at_kill[i] + 50);
		/* At least the 50 after the kill went to the other server. */
		assert_true(atomic_load(&k[i].on_b) >= 50);
		luoshi_client_close(k[i].c);
	}
}

/* ---- opening ------------------------------------------------------------------ */

static void test_first_down_at_open(void **state)
{
	pair *p = *state;
	int fd;
	int port = e2e_closed_port(&fd);
	assert_true(port > 0);
	char url[256];
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d,%s", port, p->b.tcp_url);
	int rc;
	ls_status st;
	luoshi_client *c = open_list(url, p->a.admin_token, &rc, &st);
	assert_int_equal(rc, LS_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(who(c, p), 'b');
	luoshi_client_close(c);
	close(fd);
}

static void test_lists_refused(void **state)
{
	pair *p = *state;
	char url[512];
	int rc;
	ls_status st;

	snprintf(url, sizeof url, "%s,,%s", p->a.tcp_url, p->b.tcp_url);
	assert_null(open_list(url, NULL, &rc, &st));
	assert_int_equal(rc, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "an empty address in the list"));

	snprintf(url, sizeof url, "%s,", p->a.tcp_url);
	assert_null(open_list(url, NULL, &rc, &st));
	assert_int_equal(rc, LS_INVALID_ARGUMENT);

	/* A bad address anywhere in the list, even after one that answers. */
	snprintf(url, sizeof url, "%s,bogus://x", p->a.tcp_url);
	assert_null(open_list(url, NULL, &rc, &st));
	assert_int_equal(rc, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "bogus://x"));

	/* Seventeen addresses: one too many. */
	url[0] = '\0';
	for (int i = 0; i < 17; i++) {
		size_t n = strlen(url);
		snprintf(url + n, sizeof url - n, "%s%s", i ? "," : "", p->a.tcp_url);
	}
	assert_null(open_list(url, NULL, &rc, &st));
	assert_int_equal(rc, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "16"));

	/* None answers: UNAVAILABLE, naming the first. */
	int fd1, fd2;
	int p1 = e2e_closed_port(&fd1), p2 = e2e_closed_port(&fd2);
	assert_true(p1 > 0 && p2 > 0);
	char first[64];
	snprintf(first, sizeof first, "tcp://127.0.0.1:%d", p1);
	snprintf(url, sizeof url, "%s,tcp://127.0.0.1:%d", first, p2);
	assert_null(open_list(url, NULL, &rc, &st));
	assert_int_equal(rc, LS_UNAVAILABLE);
	assert_non_null(strstr(st.message, first));
	close(fd1);
	close(fd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_spread_and_failover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kill_under_calls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_down_at_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lists_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
