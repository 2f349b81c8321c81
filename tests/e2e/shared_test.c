/* End to end on PostgreSQL (tests/pg_server.sh gives the server): two
 * luoshid serve one database at once. What one writes the other reads; an
 * idempotency key used on one is honoured by the other; exactly one runs
 * the reminder scheduler, and the other takes over when it dies; a
 * reminder written through one is announced by both. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/reminders.pb-c.h"

#define M_LIST "/luoshi.v1.AccountService/ListAccounts"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_SEND "/luoshi.v1.ReminderService/SendNotice"
#define RUNS_SCHEDULER "store: this server runs the reminder scheduler"
#define OTHER_RUNS "store: another server runs the reminder scheduler"

typedef struct pair {
	e2e_server a, b;
} pair;

static int wait_ms(int ms)
{
	return ms * e2e_timeout_scale();
}

static int setup(void **state)
{
	pair *p = calloc(1, sizeof *p);
	if (p == NULL)
		return -1;
	*state = p;
	if (!e2e_on_pg()) {
		fprintf(stderr, "e2e_shared: run it under tests/pg_server.sh\n");
		return -1;
	}
	if (e2e_server_init(&p->a) != 0 || e2e_server_init_beside(&p->b, &p->a) != 0)
		return -1;
	static const char *const extra[] = {"--rate-limit", "0", "--scheduler-interval-ms", "100",
	                                    NULL};
	if (e2e_server_start(&p->a, extra) != 0 || e2e_server_start(&p->b, extra) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	pair *p = *state;
	int rc = 0;
	/* A server that does not stop cleanly fails the test. */
	if (p->a.pid > 0 && e2e_server_stop(&p->a) != 0)
		rc = -1;
	if (p->b.pid > 0 && e2e_server_stop(&p->b) != 0)
		rc = -1;
	e2e_server_cleanup(&p->a);
	e2e_server_cleanup(&p->b);
	free(p);
	return rc;
}

static int create(luoshi_client *c, const char *name, const char *key, int64_t *id, char token[128],
                  ls_status *st)
{
	return e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_VIEWER, name, key, id, token,
	                          token ? 128 : 0, st);
}

/* The live accounts as the server behind c lists them; the caller frees. */
static Luoshi__V1__ListAccountsResponse *accounts(luoshi_client *c)
{
	Luoshi__V1__ListAccountsRequest req = LUOSHI__V1__LIST_ACCOUNTS_REQUEST__INIT;
	req.has_page_size = true;
	req.page_size = 100;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_LIST, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("ListAccounts: %s %s", ls_code_name(rc), st.message);
	return (Luoshi__V1__ListAccountsResponse *)m;
}

static const char *name_of(const Luoshi__V1__ListAccountsResponse *r, int64_t id)
{
	for (size_t i = 0; i < r->n_accounts; i++)
		if (r->accounts[i]->id == id)
			return r->accounts[i]->name;
	return NULL;
}

/* Each server reads what the other wrote. */
static void test_shared_writes(void **state)
{
	pair *p = *state;
	luoshi_client *a = e2e_client(p->a.tcp_url, p->a.admin_token, 0);
	luoshi_client *b = e2e_client(p->b.tcp_url, p->b.admin_token, 0);
	int64_t id_a, id_b;
	ls_status st;
	assert_int_equal(create(a, "written through a", NULL, &id_a, NULL, &st), LS_OK);
	assert_int_equal(create(b, "written through b", NULL, &id_b, NULL, &st), LS_OK);
	assert_true(id_a != id_b);
	for (int i = 0; i < 2; i++) {
		Luoshi__V1__ListAccountsResponse *r = accounts(i == 0 ? a : b);
		/* The admin of init, and the two. */
		assert_int_equal(r->n_accounts, 3);
		assert_string_equal(name_of(r, id_a), "written through a");
		assert_string_equal(name_of(r, id_b), "written through b");
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	luoshi_client_close(a);
	luoshi_client_close(b);
}

/* A write retried on the other server with its key is not applied again:
 * the answer is the first one, token and all; the same key on another
 * request is refused there too. */
static void test_key_across_servers(void **state)
{
	pair *p = *state;
	luoshi_client *a = e2e_client(p->a.tcp_url, p->a.admin_token, 0);
	luoshi_client *b = e2e_client(p->b.tcp_url, p->b.admin_token, 0);
	int64_t id1, id2;
	char token1[128], token2[128];
	ls_status st;
	assert_int_equal(create(a, "once", "key-across-1", &id1, token1, &st), LS_OK);
	assert_int_equal(create(b, "once", "key-across-1", &id2, token2, &st), LS_OK);
	assert_int_equal(id2, id1);
	assert_string_equal(token2, token1);
	assert_int_equal(create(b, "another", "key-across-1", &id2, NULL, &st),
	                 LS_FAILED_PRECONDITION);
	assert_non_null(strstr(st.message, "key-across-1"));
	Luoshi__V1__ListAccountsResponse *r = accounts(a);
	assert_int_equal(r->n_accounts, 2);
	assert_string_equal(name_of(r, id1), "once");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	luoshi_client_close(a);
	luoshi_client_close(b);
}

/* Waits until the log of s has text; false after ms (scaled). */
static bool logged(const e2e_server *s, const char *text, int ms)
{
	return e2e_wait_file_contains(s->log, text, ms);
}

/* One server runs the scheduler and the other knows it; killed, the
 * holder's lock goes with its connection and the other takes over. */
static void test_one_scheduler(void **state)
{
	pair *p = *state;
	uint64_t end = e2e_now_ms() + (uint64_t)wait_ms(10000);
	bool a_runs = false, b_runs = false;
	while (!a_runs && !b_runs && e2e_now_ms() < end) {
		a_runs = e2e_file_contains(p->a.log, RUNS_SCHEDULER);
		b_runs = e2e_file_contains(p->b.log, RUNS_SCHEDULER);
		if (!a_runs && !b_runs)
			e2e_poll_pause();
	}
	assert_true(a_runs != b_runs);
	e2e_server *holder = a_runs ? &p->a : &p->b, *other = a_runs ? &p->b : &p->a;
	/* The other has tried, and found it held: it does not run it too. */
	assert_true(logged(other, OTHER_RUNS, 10000));
	assert_false(e2e_file_contains(other->log, RUNS_SCHEDULER));

	assert_int_equal(kill(holder->pid, SIGKILL), 0);
	assert_int_equal(e2e_server_wait(holder, 10000), 128 + SIGKILL);
	assert_true(logged(other, RUNS_SCHEDULER, 20000));
}

static atomic_int pipes;

static void on_pipe(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	(void)pipe;
	(void)ev;
	(void)arg;
	atomic_fetch_add(&pipes, 1);
}

/* A subscriber of topic on s's publish socket, connected. */
static nng_socket subscribe(const e2e_server *s, const char *topic)
{
	nng_socket sub;
	assert_int_equal(nng_sub0_open(&sub), 0);
	assert_int_equal(nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, topic, strlen(topic)), 0);
	assert_int_equal(nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, wait_ms(10000)), 0);
	atomic_store(&pipes, 0);
	assert_int_equal(nng_pipe_notify(sub, NNG_PIPE_EV_ADD_POST, on_pipe, NULL), 0);
	assert_int_equal(nng_dial(sub, s->pub_url, NULL, 0), 0);
	uint64_t end = e2e_now_ms() + (uint64_t)wait_ms(10000);
	while (atomic_load(&pipes) == 0 && e2e_now_ms() < end)
		e2e_poll_pause();
	assert_true(atomic_load(&pipes) > 0);
	return sub;
}

static void expect(nng_socket sub, const char *want)
{
	char *buf;
	size_t len;
	int rc = nng_recv(sub, &buf, &len, NNG_FLAG_ALLOC);
	if (rc != 0)
		fail_msg("waiting for %s: %s", want, nng_strerror(rc));
	if (len != strlen(want) || memcmp(buf, want, len) != 0)
		fail_msg("got %.*s, want %s", (int)len, buf, want);
	nng_free(buf, len);
}

/* A notice to the root unit (id 1), sent through a, is announced by a and
 * by b: watchers of either hear it, once each. */
static void test_announced_by_both(void **state)
{
	pair *p = *state;
	nng_socket on_a = subscribe(&p->a, "u/1/");
	nng_socket on_b = subscribe(&p->b, "u/1/");
	luoshi_client *a = e2e_client(p->a.tcp_url, p->a.admin_token, 0);
	Luoshi__V1__SendNoticeRequest req = LUOSHI__V1__SEND_NOTICE_REQUEST__INIT;
	req.to = (char *)"unit:office";
	req.text = (char *)"两台服务器都要通知";
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(a, M_SEND, &req.base, NULL, &m, &st), LS_OK);
	protobuf_c_message_free_unpacked(m, NULL);
	expect(on_a, "u/1/1");
	expect(on_b, "u/1/1");
	char *buf;
	size_t len;
	assert_int_equal(nng_recv(on_b, &buf, &len, NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK),
	                 NNG_EAGAIN);
	luoshi_client_close(a);
	nng_close(on_a);
	nng_close(on_b);
}

extern char **environ;

/* A PostgreSQL that does not answer: luoshid says so and exits 1, at init
 * and at start, without a crash. */
static void test_unreachable(void **state)
{
	(void)state;
	char *const args[][8] = {
	    {getenv("LUOSHID"), (char *)"--db",
	     (char *)"postgresql://127.0.0.1:1/x?connect_timeout=2", (char *)"init", NULL},
	    {getenv("LUOSHID"), (char *)"--db",
	     (char *)"postgresql://127.0.0.1:1/x?connect_timeout=2", (char *)"--listen",
	     (char *)"tcp://127.0.0.1:1", (char *)"--publish", (char *)"none", NULL},
	};
	for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
		e2e_run r;
		assert_int_equal(e2e_run_program(args[i], environ, 30000, &r), 0);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.err, "cannot connect to PostgreSQL"));
		e2e_run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_shared_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_across_servers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_scheduler, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_announced_by_both, setup, teardown),
	    cmocka_unit_test(test_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
