/* The dispatcher on a real database, with time given by the test: deadlines,
 * authentication, idempotency and group commit, without the network.
 *
 * On SQLite by default; with LUOSHI_TEST_PG set (tests/pg_server.sh gives a
 * PostgreSQL server's URL), each test's store is a new PostgreSQL database
 * there instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "auth.h"
#include "dispatch.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/export.pb-c.h"
#include "luoshi/v1/project.pb-c.h"
#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/reflection.pb-c.h"
#include "rpc.h"
#include "pg_database.h"
#include "store/db.h"

typedef struct fixture {
	char dir[64];
	char db[512];    /* the SQLite file, or the PostgreSQL database's URL */
	char pgname[64]; /* that PostgreSQL database; "" on SQLite */
	srv_server srv;
	char admin[SRV_TOKEN_SIZE];
	char viewer[SRV_TOKEN_SIZE];
} fixture;

#define MS 1000000ull

/* The test's clock: the dispatcher reads the time through it. */
static uint64_t fake_now;
static uint64_t fake_clock(void)
{
	return fake_now;
}

static void run_batch(srv_server *srv, srv_request **reqs, size_t n, uint64_t now)
{
	fake_now = now;
	srv_dispatch_batch(srv, reqs, n, fake_clock);
}

static bool on_pg(void)
{
	return getenv("LUOSHI_TEST_PG") != NULL;
}

/* The count sql gives, read on a connection of its own to the PostgreSQL
 * database. */
static int count_rows_pg(fixture *f, const char *sql)
{
	struct srv_pg *pg;
	ls_status st;
	ls_status_clear(&st);
	if (srv_pg_open(&pg, f->db, &st) != LS_OK)
		fail_msg("cannot connect to %s: %s", f->db, st.message);
	srv_q q = {.pg = srv_pgq_prepare(pg, sql)};
	if (q.pg == NULL)
		fail_msg("SQL failed: %s\n%s", srv_pg_errmsg(pg), sql);
	int n = -1;
	if (srv_step(&q) == SRV_ROW)
		n = srv_col_int(&q, 0);
	srv_pgq_free(q.pg);
	srv_pg_close(pg);
	return n;
}

static int count_rows(fixture *f, const char *sql)
{
	if (on_pg())
		return count_rows_pg(f, sql);
	sqlite3 *db;
	sqlite3_stmt *q;
	int n = -1;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* Runs text on the PostgreSQL server of LUOSHI_TEST_PG itself (its
 * database "postgres"), in a connection of its own. */
static void pg_admin(const char *text)
{
	struct srv_pg *pg;
	ls_status st;
	ls_status_clear(&st);
	if (srv_pg_open(&pg, getenv("LUOSHI_TEST_PG"), &st) != LS_OK)
		fail_msg("cannot connect to %s: %s", getenv("LUOSHI_TEST_PG"), st.message);
	if (srv_pg_exec(pg, text, &st) != LS_OK)
		fail_msg("%s: %s", text, st.message);
	srv_pg_close(pg);
}

/* A new PostgreSQL database for the test, named after its directory; its
 * URL, LUOSHI_TEST_PG's with the database "postgres" replaced, in f->db. */
static void pg_database(fixture *f)
{
	assert_int_equal(test_pg_database(getenv("LUOSHI_TEST_PG"), "dispatch_",
	                                  strrchr(f->dir, '-') + 1, f->pgname, f->db, sizeof f->db),
	                 0);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/luoshi-dispatch-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (on_pg())
		pg_database(f);
	else
		snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	ls_status st;
	ls_status_clear(&st);
	if (srv_store_open(&f->srv.store, f->db, true, &st) != LS_OK)
		fail_msg("cannot open the store %s: %s", f->db, st.message);
	f->srv.cfg.max_message = LS_MAX_MESSAGE_DEFAULT;

	srv_store *s = f->srv.store;
	uint8_t hash[SRV_HASH_SIZE];
	int64_t unit, id;
	assert_int_equal(srv_store_begin(s, &st), LS_OK);
	assert_int_equal(
	    srv_store_unit_create_root(s, "office", "办公室", "district", "2026-11-29", &unit, &st),
	    LS_OK);
	srv_token_new(f->admin, hash);
	assert_int_equal(srv_store_account_insert(s, "admin", SRV_ROLE_ADMIN, unit, 0, hash, 0,
	                                          "2026-11-29", &id, &st),
	                 LS_OK);
	srv_token_new(f->viewer, hash);
	assert_int_equal(srv_store_account_insert(s, "viewer", SRV_ROLE_VIEWER, unit, 0, hash, 0,
	                                          "2026-11-29", &id, &st),
	                 LS_OK);
	assert_int_equal(srv_store_commit(s, &st), LS_OK);

	ProtobufCService *impls[] = {srv_health_service(), srv_account_service(),
	                             srv_project_service(), srv_export_service()};
	assert_int_equal(srv_dispatch_init(impls, sizeof impls / sizeof impls[0]), LS_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	srv_dispatch_fini();
	srv_store_close(f->srv.store);
	if (f->pgname[0] != '\0') {
		char q[128];
		snprintf(q, sizeof q, "DROP DATABASE %s", f->pgname);
		pg_admin(q);
	}
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Packs an envelope around body and decodes it as the server does. */
static void make(srv_request *r, const char *method, const ProtobufCMessage *body,
                 const char *token, const char *key, uint32_t timeout_ms, uint64_t recv_ns)
{
	Luoshi__V1__Request env = LUOSHI__V1__REQUEST__INIT;
	Luoshi__V1__Request__MetadataEntry md[2] = {LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT,
	                                            LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT};
	Luoshi__V1__Request__MetadataEntry *mdp[2] = {&md[0], &md[1]};
	char bearer[80];
	env.has_protocol_version = true;
	env.protocol_version = 1;
	env.has_id = true;
	env.id = 7;
	env.method = (char *)method;
	env.metadata = mdp;
	if (token != NULL) {
		snprintf(bearer, sizeof bearer, "Bearer %s", token);
		md[env.n_metadata].key = "authorization";
		md[env.n_metadata++].value = bearer;
	}
	if (key != NULL) {
		md[env.n_metadata].key = "idempotency-key";
		md[env.n_metadata++].value = (char *)key;
	}
	env.has_timeout_ms = timeout_ms > 0;
	env.timeout_ms = timeout_ms;
	uint8_t *b;
	size_t blen;
	assert_int_equal(ls_message_pack(body, &b, &blen), LS_OK);
	env.has_body = true;
	env.body.data = b;
	env.body.len = blen;
	uint8_t *e;
	size_t elen;
	assert_int_equal(ls_message_pack(&env.base, &e, &elen), LS_OK);
	memset(r, 0, sizeof *r);
	srv_request_decode(r, e, elen);
	r->recv_ns = recv_ns;
	free(b);
	free(e);
}

static Luoshi__V1__CreateAccountRequest create_req(const char *name)
{
	Luoshi__V1__CreateAccountRequest in = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	in.has_role = true;
	in.role = LUOSHI__V1__ROLE__ROLE_TOWN;
	in.name = (char *)name;
	return in;
}

static const char *const CREATE = "/luoshi.v1.AccountService/CreateAccount";

static void deadline(void **state)
{
	fixture *f = *state;
	Luoshi__V1__CreateAccountRequest in = create_req("late");
	srv_request r, *rp = &r;

	/* Arrived at 1000 ms with 100 ms to live; run at 1101 ms: too late. */
	make(&r, CREATE, &in.base, f->admin, NULL, 100, 1000 * MS);
	assert_int_equal(r.status.code, LS_OK);
	run_batch(&f->srv, &rp, 1, 1101 * MS);
	assert_int_equal(r.status.code, LS_DEADLINE_EXCEEDED);
	srv_request_reset(&r);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM accounts WHERE name = 'late'"), 0);

	/* The same at 1099 ms runs, and so does one with no deadline much later. */
	make(&r, CREATE, &in.base, f->admin, NULL, 100, 1000 * MS);
	run_batch(&f->srv, &rp, 1, 1099 * MS);
	assert_int_equal(r.status.code, LS_OK);
	srv_request_reset(&r);
	make(&r, CREATE, &in.base, f->admin, NULL, 0, 0);
	run_batch(&f->srv, &rp, 1, 999999 * MS);
	assert_int_equal(r.status.code, LS_OK);
	srv_request_reset(&r);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM accounts WHERE name = 'late'"), 2);
}

/* Each look at this clock finds 80 ms more gone. */
static uint64_t slow_clock(void)
{
	fake_now += 80 * MS;
	return fake_now;
}

static void deadline_while_running(void **state)
{
	fixture *f = *state;
	Luoshi__V1__CreateAccountRequest in = create_req("slow");
	srv_request r, *rp = &r;

	/* Arrived at 1000 ms with 100 ms to live: in time when it starts
	 * (1080 ms), late when it ends (1160 ms): its write is undone. */
	make(&r, CREATE, &in.base, f->admin, NULL, 100, 1000 * MS);
	fake_now = 1000 * MS;
	srv_dispatch_batch(&f->srv, &rp, 1, slow_clock);
	assert_int_equal(r.status.code, LS_DEADLINE_EXCEEDED);
	assert_false(r.wrote);
	srv_request_reset(&r);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM accounts WHERE name = 'slow'"), 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM audit_log WHERE entity = 'account' "
	                               "AND method LIKE '%CreateAccount'"),
	                 0);
}

static void authentication(void **state)
{
	fixture *f = *state;
	Luoshi__V1__CreateAccountRequest in = create_req("x");
	Luoshi__V1__HealthCheckRequest h = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	srv_request r, *rp = &r;

	make(&r, CREATE, &in.base, NULL, NULL, 0, 0);
	run_batch(&f->srv, &rp, 1, 0);
	assert_int_equal(r.status.code, LS_UNAUTHENTICATED);
	assert_string_equal(r.status.field, "metadata.authorization");
	srv_request_reset(&r);

	make(&r, CREATE, &in.base, "ls_not_a_real_token", NULL, 0, 0);
	run_batch(&f->srv, &rp, 1, 0);
	assert_int_equal(r.status.code, LS_UNAUTHENTICATED);
	srv_request_reset(&r);

	make(&r, CREATE, &in.base, f->viewer, NULL, 0, 0);
	run_batch(&f->srv, &rp, 1, 0);
	assert_int_equal(r.status.code, LS_PERMISSION_DENIED);
	srv_request_reset(&r);

	/* Health needs none. */
	make(&r, "/luoshi.v1.HealthService/Check", &h.base, NULL, NULL, 0, 0);
	run_batch(&f->srv, &rp, 1, 0);
	assert_int_equal(r.status.code, LS_OK);
	srv_request_reset(&r);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM accounts"), 2);
}

static void unimplemented_and_versions(void **state)
{
	(void)state;
	Luoshi__V1__HealthCheckRequest h = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	srv_request r;
	/* ReflectionService exists in proto/ but this fixture gave no handler. */
	Luoshi__V1__ListServicesRequest ls = LUOSHI__V1__LIST_SERVICES_REQUEST__INIT;
	make(&r, "/luoshi.v1.ReflectionService/ListServices", &ls.base, NULL, NULL, 0, 0);
	assert_int_equal(r.status.code, LS_UNIMPLEMENTED);
	srv_request_reset(&r);
	make(&r, "/luoshi.v1.HealthService/Gone", &h.base, NULL, NULL, 0, 0);
	assert_int_equal(r.status.code, LS_UNIMPLEMENTED);
	srv_request_reset(&r);

	Luoshi__V1__Request env = LUOSHI__V1__REQUEST__INIT;
	env.has_protocol_version = true;
	env.protocol_version = 2;
	env.method = "/luoshi.v1.HealthService/Check";
	uint8_t *e;
	size_t elen;
	ls_message_pack(&env.base, &e, &elen);
	srv_request_decode(&r, e, elen);
	assert_int_equal(r.status.code, LS_FAILED_PRECONDITION);
	assert_non_null(strstr(r.status.message, "2"));
	srv_request_reset(&r);
	free(e);

	env.has_protocol_version = false;
	ls_message_pack(&env.base, &e, &elen);
	srv_request_decode(&r, e, elen);
	assert_int_equal(r.status.code, LS_INVALID_ARGUMENT);
	assert_string_equal(r.status.field, "protocol_version");
	srv_request_reset(&r);
	free(e);
}

static void idempotency(void **state)
{
	fixture *f = *state;
	Luoshi__V1__CreateAccountRequest in = create_req("once");
	srv_request a, b, c, *batch[3] = {&a, &b, &c};

	/* Three copies in one batch, as nng's resends would bring them. */
	make(&a, CREATE, &in.base, f->admin, "key-1", 0, 0);
	make(&b, CREATE, &in.base, f->admin, "key-1", 0, 0);
	Luoshi__V1__CreateAccountRequest other = create_req("other");
	make(&c, CREATE, &other.base, f->admin, "key-1", 0, 0);
	run_batch(&f->srv, batch, 3, 0);
	assert_int_equal(a.status.code, LS_OK);
	assert_int_equal(b.status.code, LS_OK);
	assert_int_equal(c.status.code, LS_FAILED_PRECONDITION);
	assert_int_equal(a.body_len, b.body_len);
	assert_memory_equal(a.body, b.body, a.body_len);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM accounts WHERE name = 'once'"), 1);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM accounts WHERE name = 'other'"), 0);

	/* The response, with its token, is not kept in clear. */
	Luoshi__V1__CreateAccountResponse *resp =
	    luoshi__v1__create_account_response__unpack(NULL, a.body_len, a.body);
	assert_non_null(resp);
	char sql[256];
	if (on_pg())
		/* The columns are bytea, which PostgreSQL's instr (a text
		 * function of the migrations) does not take: the same search
		 * for the text's bytes. */
		snprintf(sql, sizeof sql,
		         "SELECT count(*) FROM idempotency_keys WHERE "
		         "position(convert_to('%s', 'UTF8') IN response) > 0 "
		         "OR position(convert_to('key-1', 'UTF8') IN key_hash) > 0",
		         resp->token);
	else
		snprintf(sql, sizeof sql,
		         "SELECT count(*) FROM idempotency_keys WHERE instr(response, '%s') > 0 "
		         "OR instr(key_hash, 'key-1') > 0",
		         resp->token);
	assert_int_equal(count_rows(f, sql), 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM idempotency_keys"), 1);
	luoshi__v1__create_account_response__free_unpacked(resp, NULL);
	for (int i = 0; i < 3; i++)
		srv_request_reset(batch[i]);

	/* The same key from another account is another key. */
	make(&a, CREATE, &in.base, f->viewer, "key-1", 0, 0);
	run_batch(&f->srv, batch, 1, 0);
	assert_int_equal(a.status.code, LS_PERMISSION_DENIED);
	srv_request_reset(&a);
}

static void failure_rolls_back_only_itself(void **state)
{
	fixture *f = *state;
	Luoshi__V1__CreateAccountRequest good = create_req("good");
	Luoshi__V1__CreateAccountRequest bad = create_req("bad");
	bad.unit = "no-such-unit";
	srv_request a, b, c, *batch[3] = {&a, &b, &c};
	make(&a, CREATE, &good.base, f->admin, NULL, 0, 0);
	make(&b, CREATE, &bad.base, f->admin, NULL, 0, 0);
	make(&c, CREATE, &good.base, f->admin, NULL, 0, 0);
	run_batch(&f->srv, batch, 3, 0);
	assert_int_equal(a.status.code, LS_OK);
	assert_int_equal(b.status.code, LS_INVALID_ARGUMENT);
	assert_string_equal(b.status.field, "unit");
	assert_int_equal(c.status.code, LS_OK);
	assert_true(a.wrote && c.wrote && !b.wrote);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM accounts WHERE name = 'good'"), 2);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM accounts WHERE name = 'bad'"), 0);
	/* One audit row for each account that was made, none for the failure. */
	assert_int_equal(count_rows(f, "SELECT count(*) FROM audit_log WHERE entity = 'account' "
	                               "AND method LIKE '%CreateAccount'"),
	                 2);
	for (int i = 0; i < 3; i++)
		srv_request_reset(batch[i]);
}

static void rate_limit(void **state)
{
	fixture *f = *state;
	Luoshi__V1__WhoAmIRequest in = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	srv_request r[5], *batch[5];
	f->srv.cfg.rate_limit = 3;

	/* A bucket holds a second's worth: three pass, the fourth waits. */
	for (int i = 0; i < 4; i++) {
		make(&r[i], "/luoshi.v1.AccountService/WhoAmI", &in.base, f->admin, NULL, 0, 0);
		batch[i] = &r[i];
	}
	make(&r[4], "/luoshi.v1.AccountService/WhoAmI", &in.base, f->viewer, NULL, 0, 0);
	batch[4] = &r[4];
	run_batch(&f->srv, batch, 5, 10000 * MS);
	assert_int_equal(r[0].status.code, LS_OK);
	assert_int_equal(r[2].status.code, LS_OK);
	assert_int_equal(r[3].status.code, LS_RESOURCE_EXHAUSTED);
	assert_int_equal(r[4].status.code, LS_OK); /* another account, another bucket */
	for (int i = 0; i < 5; i++)
		srv_request_reset(&r[i]);

	/* A third of a second later one more has come back, and only one. */
	make(&r[0], "/luoshi.v1.AccountService/WhoAmI", &in.base, f->admin, NULL, 0, 0);
	make(&r[1], "/luoshi.v1.AccountService/WhoAmI", &in.base, f->admin, NULL, 0, 0);
	run_batch(&f->srv, batch, 2, 10334 * MS);
	assert_int_equal(r[0].status.code, LS_OK);
	assert_int_equal(r[1].status.code, LS_RESOURCE_EXHAUSTED);
	srv_request_reset(&r[0]);
	srv_request_reset(&r[1]);
	f->srv.cfg.rate_limit = 0;
}

/* A page_size past INT_MAX became a negative size, and one row more than
 * that a request for nearly all of memory (found by fuzz_dispatch): it is
 * the largest page, like any other too big. */
static void huge_page_size(void **state)
{
	fixture *f = *state;
	static const uint32_t sizes[] = {0x80000000u, 0xfffffff0u, UINT32_MAX};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		srv_request r, *rp = &r;
		ProtobufCMessage *m;
		ls_status st;

		Luoshi__V1__ListAccountsRequest la = LUOSHI__V1__LIST_ACCOUNTS_REQUEST__INIT;
		la.has_page_size = true;
		la.page_size = sizes[i];
		make(&r, "/luoshi.v1.AccountService/ListAccounts", &la.base, f->admin, NULL, 0, 0);
		run_batch(&f->srv, &rp, 1, 0);
		assert_int_equal(r.status.code, LS_OK);
		assert_int_equal(ls_message_unpack(&luoshi__v1__list_accounts_response__descriptor,
		                                   r.body, r.body_len, "response", &m, &st),
		                 LS_OK);
		/* The admin and the viewer of the fixture. */
		assert_int_equal(((Luoshi__V1__ListAccountsResponse *)m)->n_accounts, 2);
		protobuf_c_message_free_unpacked(m, NULL);
		srv_request_reset(&r);

		Luoshi__V1__ListProjectsRequest lp = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
		lp.has_page_size = true;
		lp.page_size = sizes[i];
		make(&r, "/luoshi.v1.ProjectService/ListProjects", &lp.base, f->admin, NULL, 0, 0);
		run_batch(&f->srv, &rp, 1, 0);
		assert_int_equal(r.status.code, LS_OK);
		srv_request_reset(&r);

		Luoshi__V1__ExportTablesRequest ex = LUOSHI__V1__EXPORT_TABLES_REQUEST__INIT;
		ex.has_page_size = true;
		ex.page_size = sizes[i];
		make(&r, "/luoshi.v1.ExportService/ExportTables", &ex.base, f->admin, NULL, 0, 0);
		run_batch(&f->srv, &rp, 1, 0);
		assert_int_equal(r.status.code, LS_OK);
		srv_request_reset(&r);
	}
}

/* A long method name in the answer is cut before a character, so that the
 * client can read the answer (found by fuzz_envelope). */
static void long_method_name(void **state)
{
	(void)state;
	char name[1024] = "/a";
	for (int i = 0; i < 300; i++)
		strcat(name, "中");
	Luoshi__V1__HealthCheckRequest h = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	srv_request r;
	make(&r, name, &h.base, NULL, NULL, 0, 0);
	assert_int_equal(r.status.code, LS_UNIMPLEMENTED);
	assert_true(ls_utf8_valid(r.status.message, strlen(r.status.message)));
	assert_non_null(strstr(r.status.message, "/a中中"));
	srv_request_reset(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(deadline_while_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(authentication, setup, teardown),
	    cmocka_unit_test_setup_teardown(unimplemented_and_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(idempotency, setup, teardown),
	    cmocka_unit_test_setup_teardown(failure_rolls_back_only_itself, setup, teardown),
	    cmocka_unit_test_setup_teardown(rate_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(huge_page_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(long_method_name, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
