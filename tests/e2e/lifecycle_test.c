/* End to end: the server's life. Stopping under load without losing an
 * answered write, reopening the log on SIGHUP, and the config file against
 * the flags. Each test gets a fresh luoshid. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/reflection.pb-c.h"
#include "luoshi/v1/rpc.pb-c.h"

#define M_CHECK "/luoshi.v1.HealthService/Check"
#define M_SERVER_INFO "/luoshi.v1.ReflectionService/GetServerInfo"

/* ---- SIGTERM under load ----------------------------------------------------- */

#define WORKERS 8
#define PER_WORKER_MAX 4000
#define NAME_SIZE 32
#define OK_BEFORE_STOP 40

typedef struct worker {
	int n;
	luoshi_client *c;
	atomic_int *oks;
	char (*names)[NAME_SIZE]; /* the names that got OK, PER_WORKER_MAX of room */
	int n_ok;
	int last_rc; /* the first error, which ended the loop */
	char message[sizeof(ls_status){0}.message];
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	w->last_rc = LS_OK;
	for (int i = 0; i < PER_WORKER_MAX; i++) {
		char name[NAME_SIZE], key[LUOSHI_KEY_SIZE];
		snprintf(name, sizeof name, "load-%d-%d", w->n, i);
		luoshi_new_key(key);
		ls_status st;
		int rc = e2e_create_account(w->c, LUOSHI__V1__ROLE__ROLE_VIEWER, name, key, NULL,
		                            NULL, 0, &st);
		if (rc != LS_OK) {
			w->last_rc = rc;
			snprintf(w->message, sizeof w->message, "%s", st.message);
			break;
		}
		memcpy(w->names[w->n_ok++], name, NAME_SIZE);
		atomic_fetch_add(w->oks, 1);
	}
	return NULL;
}

/* Static, so that a failed assertion leaks nothing. */
static char ok_names[WORKERS][PER_WORKER_MAX][NAME_SIZE];

static void test_sigterm_under_load(void **state)
{
	e2e_server *s = *state;
	atomic_int oks;
	atomic_init(&oks, 0);
	worker ws[WORKERS];
	pthread_t th[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		ws[i] = (worker){.n = i, .oks = &oks};
		ws[i].names = ok_names[i];
		ws[i].c = e2e_client(s->tcp_url, s->admin_token, 2000);
	}
	int started = 0;
	for (; started < WORKERS; started++)
		if (pthread_create(&th[started], NULL, work, &ws[started]) != 0)
			break;

	/* Stop the server in the middle of the work. */
	uint64_t end = e2e_now_ms() + 30000;
	while (atomic_load(&oks) < OK_BEFORE_STOP && e2e_now_ms() < end)
		e2e_poll_pause();
	int oks_at_signal = atomic_load(&oks);
	pid_t pid = s->pid;
	kill(pid, SIGTERM);
	/* A server that does not exit is killed after 15 s, so the workers
	 * always come to their first error. */
	int status = e2e_server_wait(s, 15000);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < WORKERS; i++)
		luoshi_client_close(ws[i].c);

	assert_int_equal(started, WORKERS);
	assert_true(oks_at_signal >= OK_BEFORE_STOP);
	assert_int_equal(status, 0);

	/* Every name that got OK is on disk, once. */
	e2e_db *db = e2e_db_connect(s);
	srv_q *q = e2e_db_prepare(db, "SELECT count(*) FROM accounts WHERE name = ?1");
	int total = 0;
	for (int i = 0; i < WORKERS; i++) {
		for (int k = 0; k < ws[i].n_ok; k++) {
			srv_bind_text(q, 1, ws[i].names[k]);
			e2e_db_step(q, SRV_ROW);
			if (srv_col_int(q, 0) != 1)
				fail_msg("%s got OK but has %d rows", ws[i].names[k],
				         srv_col_int(q, 0));
			e2e_db_reset(q);
			total++;
		}
	}
	e2e_db_finalize(q);
	assert_true(total >= oks_at_signal);
	/* Nothing was written twice or invented: at most one row per attempt. */
	int64_t rows =
	    e2e_db_int(db, "SELECT count(*) FROM accounts WHERE name LIKE 'load-%'", NULL, NULL);
	assert_true(rows >= total);
	assert_true(rows <= total + WORKERS);
	e2e_db_close(db);

	/* Each worker ended on the server going away, not on another error. */
	for (int i = 0; i < WORKERS; i++) {
		int rc = ws[i].last_rc;
		if (rc != LS_UNAVAILABLE && rc != LS_DEADLINE_EXCEEDED)
			fail_msg("worker %d ended with %s: %s", i, ls_code_name(rc), ws[i].message);
	}
}

static void test_sigint_stops_cleanly(void **state)
{
	e2e_server *s = *state;
	kill(s->pid, SIGINT);
	assert_int_equal(e2e_server_wait(s, 15000), 0);
	assert_true(e2e_file_contains(s->log, "stopped"));
}

/* ---- SIGHUP ---------------------------------------------------------------- */

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Sends a Health check with our own request id, so that its log line can
 * be told from any other. */
static void health_with_id(const e2e_server *s, uint64_t id)
{
	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	req.has_protocol_version = true;
	req.protocol_version = 1;
	req.has_id = true;
	req.id = id;
	req.method = (char *)M_CHECK;
	uint8_t data[128];
	assert_true(luoshi__v1__request__get_packed_size(&req) <= sizeof data);
	size_t n = luoshi__v1__request__pack(&req, data);
	luoshi_client *c = e2e_client(s->tcp_url, NULL, 5000);
	uint8_t *reply = NULL;
	size_t reply_len = 0;
	ls_status st;
	assert_int_equal(luoshi_client_send_bytes(c, data, n, &reply, &reply_len, &st), LS_OK);
	luoshi_client_close(c);
	Luoshi__V1__Response *r = luoshi__v1__response__unpack(NULL, reply_len, reply);
	free(reply);
	assert_non_null(r);
	assert_int_equal(r->id, id);
	assert_non_null(r->status);
	assert_int_equal(r->status->code, LS_OK);
	luoshi__v1__response__free_unpacked(r, NULL);
}

static void test_sighup_reopens_log(void **state)
{
	e2e_server *s = *state;
	char moved[E2E_PATH_MAX + 8];
	snprintf(moved, sizeof moved, "%s.1", s->log);

	health_with_id(s, 1111111111);
	assert_true(e2e_wait_file_contains(s->log, "id=1111111111", 10000));

	assert_int_equal(rename(s->log, moved), 0);
	assert_false(exists(s->log));
	kill(s->pid, SIGHUP);
	/* The server makes the new file when it reopens the log. */
	uint64_t end = e2e_now_ms() + 10000;
	while (!exists(s->log) && e2e_now_ms() < end)
		e2e_poll_pause();
	assert_true(exists(s->log));

	health_with_id(s, 2222222222);
	assert_true(
	    e2e_wait_file_contains(s->log, "rpc: received " M_CHECK " id=2222222222", 10000));
	/* Old lines stay in the moved file, and new ones go only to the new. */
	assert_true(e2e_file_contains(moved, "id=1111111111"));
	assert_false(e2e_file_contains(moved, "id=2222222222"));
	assert_false(e2e_file_contains(s->log, "id=1111111111"));
	assert_true(e2e_server_alive(s));
}

/* ---- the config file --------------------------------------------------------- */

static void test_config_file_and_flags(void **state)
{
	e2e_server *s = *state;
	/* Nobody may listen on the file's port: it is held, bound and not
	 * listening, for the whole test. */
	int held;
	int file_port = e2e_closed_port(&held);
	assert_true(file_port > 0);
	char conf[E2E_PATH_MAX + 16], text[512], file_url[64];
	snprintf(conf, sizeof conf, "%s/luoshid.conf", s->dir);
	snprintf(file_url, sizeof file_url, "tcp://127.0.0.1:%d", file_port);
	snprintf(text, sizeof text,
	         "# written by the e2e test\n"
	         "listen = %s\n"
	         "log-level = debug\n"
	         "max-message = 70000\n",
	         file_url);
	assert_int_equal(e2e_write_file(conf, text), 0);

	/* The harness adds --listen flags (its tcp port and ipc socket). */
	const char *const extra[] = {"--config", conf, NULL};
	int started = e2e_server_start(s, extra);

	/* The flag's URL answered the harness's health check; the file's
	 * listen line was replaced by the flags. */
	luoshi_client *c = NULL;
	ls_status st;
	luoshi_client_opts o = {.url = file_url, .timeout_ms = 1000};
	int rc = luoshi_client_open(&c, &o, &st);
	if (rc == LS_OK) {
		Luoshi__V1__HealthCheckRequest hq = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
		ProtobufCMessage *m;
		rc = e2e_call(c, M_CHECK, &hq.base, NULL, &m, &st);
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
		luoshi_client_close(c);
	}
	close(held);
	if (started != 0)
		fail_msg("luoshid did not start with --config and --listen (its output and "
		         "log are above; the file's %s is held closed by this test)",
		         file_url);
	if (rc == LS_OK)
		fail_msg("the config file's %s answered although --listen was given", file_url);
	assert_int_equal(rc, LS_UNAVAILABLE);
	char line[96];
	snprintf(line, sizeof line, "listening on %s\n", file_url);
	assert_false(e2e_file_contains(s->log, line));
	snprintf(line, sizeof line, "listening on %s\n", s->tcp_url);
	assert_true(e2e_file_contains(s->log, line));

	/* The rest of the file applies. */
	c = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__GetServerInfoRequest iq = LUOSHI__V1__GET_SERVER_INFO_REQUEST__INIT;
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_SERVER_INFO, &iq.base, NULL, &m, &st), LS_OK);
	luoshi_client_close(c);
	assert_int_equal(((Luoshi__V1__GetServerInfoResponse *)m)->max_message_bytes, 70000);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_config_file_alone(void **state)
{
	/* With no flags but --config, everything comes from the file. */
	e2e_server *s = *state;
	int port = e2e_free_port();
	assert_true(port > 0);
	char conf[E2E_PATH_MAX + 16], text[1024], url[64];
	snprintf(conf, sizeof conf, "%s/luoshid.conf", s->dir);
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
	snprintf(text, sizeof text,
	         "listen = %s\n"
	         "db = %s\n"
	         "publish = %s\n"
	         "log = %s\n"
	         "log-level = debug\n"
	         "max-message = \"70001\"\n",
	         url, s->db, s->pub_url, s->log);
	assert_int_equal(e2e_write_file(conf, text), 0);
	const char *const args[] = {"--config", conf, NULL};
	if (e2e_server_start_args(s, args, url) != 0)
		fail_msg("luoshid --config did not serve the file's %s", url);
	/* The file's log and log level: the health checks were logged there. */
	assert_true(e2e_wait_file_contains(s->log, "rpc: received " M_CHECK, 5000));
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__GetServerInfoRequest iq = LUOSHI__V1__GET_SERVER_INFO_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_SERVER_INFO, &iq.base, NULL, &m, &st), LS_OK);
	luoshi_client_close(c);
	const Luoshi__V1__GetServerInfoResponse *r = (Luoshi__V1__GetServerInfoResponse *)m;
	assert_int_equal(r->max_message_bytes, 70001);
	assert_int_equal(r->n_push_urls, 1);
	assert_string_equal(r->push_urls[0], s->pub_url);
	protobuf_c_message_free_unpacked(m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sigterm_under_load, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_sigint_stops_cleanly, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_sighup_reopens_log, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_config_file_and_flags, e2e_setup_init,
	                                    e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_config_file_alone, e2e_setup_init, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_lifecycle", tests, NULL, NULL);
}
