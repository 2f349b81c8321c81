/* End to end: AccountService. Creating, listing page by page, revoking,
 * the audit log, tokens kept out of the database and the log, idempotency
 * keys, and a deadline that passes while the call waits for the database.
 * Each test gets a fresh luoshid, so counts start from the one admin. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"

#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_LIST "/luoshi.v1.AccountService/ListAccounts"
#define M_REVOKE "/luoshi.v1.AccountService/RevokeAccount"
#define M_WHOAMI "/luoshi.v1.AccountService/WhoAmI"

#define TOKEN_MAX 128

static void create_ok(luoshi_client *c, int role, const char *name, const char *key, int64_t *id,
                      char *token)
{
	ls_status st;
	int rc = e2e_create_account(c, role, name, key, id, token, TOKEN_MAX, &st);
	if (rc != LS_OK)
		fail_msg("CreateAccount %s: %s %s", name, ls_code_name(rc), st.message);
}

/* One ListAccounts page; the caller frees the response. */
static Luoshi__V1__ListAccountsResponse *list_page(luoshi_client *c, uint32_t size,
                                                   const char *page_token, bool revoked)
{
	Luoshi__V1__ListAccountsRequest req = LUOSHI__V1__LIST_ACCOUNTS_REQUEST__INIT;
	if (size > 0) {
		req.has_page_size = true;
		req.page_size = size;
	}
	req.page_token = (char *)page_token;
	if (revoked) {
		req.has_include_revoked = true;
		req.include_revoked = true;
	}
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_LIST, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("ListAccounts: %s %s", ls_code_name(rc), st.message);
	return (Luoshi__V1__ListAccountsResponse *)m;
}

static const Luoshi__V1__Account *find_account(const Luoshi__V1__ListAccountsResponse *r,
                                               int64_t id)
{
	for (size_t i = 0; i < r->n_accounts; i++)
		if (r->accounts[i]->has_id && r->accounts[i]->id == id)
			return r->accounts[i];
	return NULL;
}

static void revoke_ok(luoshi_client *c, int64_t id)
{
	Luoshi__V1__RevokeAccountRequest req = LUOSHI__V1__REVOKE_ACCOUNT_REQUEST__INIT;
	req.has_id = true;
	req.id = id;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_REVOKE, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("RevokeAccount %" PRId64 ": %s %s", id, ls_code_name(rc), st.message);
	const Luoshi__V1__RevokeAccountResponse *r = (Luoshi__V1__RevokeAccountResponse *)m;
	assert_non_null(r->account);
	assert_int_equal(r->account->id, id);
	assert_non_null(r->account->revoked_at);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- create and list --------------------------------------------------------- */

static void test_create_and_list(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	int64_t id;
	char token[TOKEN_MAX];
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇 clerk", NULL, &id, token);
	assert_memory_equal(token, "ls_", 3);
	assert_true(strlen(token) > 3 + 32);
	assert_string_not_equal(token, s->admin_token);
	assert_int_equal(id, 2);

	Luoshi__V1__ListAccountsResponse *r = list_page(c, 0, NULL, false);
	assert_int_equal(r->n_accounts, 2);
	const Luoshi__V1__Account *a = find_account(r, id);
	assert_non_null(a);
	assert_string_equal(a->name, "五乡镇 clerk");
	assert_true(a->has_role);
	assert_int_equal(a->role, LUOSHI__V1__ROLE__ROLE_TOWN);
	assert_string_equal(a->unit_code, "office");
	assert_null(a->revoked_at);
	assert_non_null(find_account(r, 1));
	assert_null(r->next_page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	luoshi_client_close(c);

	/* The new token works on its own. */
	c = e2e_client(s->tcp_url, token, 5000);
	Luoshi__V1__WhoAmIRequest wq = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_WHOAMI, &wq.base, NULL, &m, &st), LS_OK);
	assert_int_equal(((Luoshi__V1__WhoAmIResponse *)m)->account->id, id);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

static void test_create_missing_role(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.name = (char *)"no role";
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_CREATE, &req.base, NULL, &m, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "role");
	luoshi_client_close(c);
	assert_int_equal(e2e_count_accounts(s), 1);
}

static void test_paging(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	int64_t ids[6] = {1};
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof name, "paged %d", i);
		create_ok(c, LUOSHI__V1__ROLE__ROLE_VIEWER, name, NULL, &ids[i + 1], NULL);
	}
	int64_t seen[6];
	int n_seen = 0;
	char *page_token = NULL;
	for (int page = 0; page < 3; page++) {
		Luoshi__V1__ListAccountsResponse *r = list_page(c, 2, page_token, false);
		free(page_token);
		page_token = NULL;
		assert_int_equal(r->n_accounts, 2);
		for (size_t i = 0; i < r->n_accounts; i++)
			seen[n_seen++] = r->accounts[i]->id;
		if (page < 2) {
			assert_non_null(r->next_page_token);
			assert_true(r->next_page_token[0] != '\0');
			page_token = strdup(r->next_page_token);
		} else {
			assert_null(r->next_page_token);
		}
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	/* Each account once, in the order of their ids. */
	assert_int_equal(n_seen, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(seen[i], ids[i]);
	luoshi_client_close(c);
}

static void test_include_revoked(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	int64_t keep, gone;
	create_ok(c, LUOSHI__V1__ROLE__ROLE_INSPECTOR, "stays", NULL, &keep, NULL);
	create_ok(c, LUOSHI__V1__ROLE__ROLE_INSPECTOR, "goes", NULL, &gone, NULL);
	revoke_ok(c, gone);

	Luoshi__V1__ListAccountsResponse *r = list_page(c, 0, NULL, false);
	assert_int_equal(r->n_accounts, 2);
	assert_non_null(find_account(r, 1));
	assert_non_null(find_account(r, keep));
	assert_null(find_account(r, gone));
	protobuf_c_message_free_unpacked(&r->base, NULL);

	r = list_page(c, 0, NULL, true);
	assert_int_equal(r->n_accounts, 3);
	const Luoshi__V1__Account *a = find_account(r, gone);
	assert_non_null(a);
	assert_non_null(a->revoked_at);
	assert_true(a->revoked_at[0] != '\0');
	a = find_account(r, keep);
	assert_non_null(a);
	assert_null(a->revoked_at);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Paging skips the revoked one too: 1 and keep, then nothing. */
	r = list_page(c, 1, NULL, false);
	assert_int_equal(r->n_accounts, 1);
	assert_int_equal(r->accounts[0]->id, 1);
	assert_non_null(r->next_page_token);
	char *next = strdup(r->next_page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_page(c, 1, next, false);
	free(next);
	assert_int_equal(r->n_accounts, 1);
	assert_int_equal(r->accounts[0]->id, keep);
	assert_null(r->next_page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Revoking twice finds no live account. */
	Luoshi__V1__RevokeAccountRequest rq = LUOSHI__V1__REVOKE_ACCOUNT_REQUEST__INIT;
	rq.has_id = true;
	rq.id = gone;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_REVOKE, &rq.base, NULL, &m, &st), LS_NOT_FOUND);
	luoshi_client_close(c);
}

static void test_audit_log(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	int64_t a, b;
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "audited a", NULL, &a, NULL);
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "audited b", NULL, &b, NULL);
	revoke_ok(c, b);
	luoshi_client_close(c);

	e2e_db *db = e2e_db_connect(s);
	char ida[24], idb[24];
	snprintf(ida, sizeof ida, "%" PRId64, a);
	snprintf(idb, sizeof idb, "%" PRId64, b);
	static const char q[] = "SELECT count(*) FROM audit_log WHERE entity = 'account' "
	                        "AND entity_id = CAST(?1 AS INTEGER) AND method = ?2 "
	                        "AND account_id = 1";
	assert_int_equal(e2e_db_int(db, q, ida, M_CREATE), 1);
	assert_int_equal(e2e_db_int(db, q, idb, M_CREATE), 1);
	assert_int_equal(e2e_db_int(db, q, idb, M_REVOKE), 1);
	assert_int_equal(e2e_db_int(db, q, ida, M_REVOKE), 0);
	/* The revoke keeps the account before and after. */
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM audit_log WHERE method = ?1 "
	                            "AND before IS NOT NULL AND after IS NOT NULL",
	                            M_REVOKE, NULL),
	                 1);
	/* The init row and these three: nothing else was written. */
	assert_int_equal(e2e_db_int(db, "SELECT count(*) FROM audit_log", NULL, NULL), 4);
	e2e_db_close(db);
}

/* Reads path (which may not exist) and fails if it holds needle. Returns
 * the number of bytes read. */
static size_t assert_file_lacks(const char *path, const char *needle)
{
	size_t n = 0;
	char *data = e2e_read_file(path, &n);
	if (data == NULL)
		return 0;
	bool found = memmem(data, n, needle, strlen(needle)) != NULL;
	free(data);
	if (found)
		fail_msg("%s holds the token %s", path, needle);
	return n;
}

/* On PostgreSQL there is no file to read: the number of values, in every
 * column of every table of the server's database, that hold needle (bytea
 * columns as bytes, the others as their text). */
static int64_t pg_values_holding(const e2e_server *s, const char *needle)
{
	e2e_db *db = e2e_db_connect(s);
	srv_q *cols = e2e_db_prepare(db, "SELECT c.table_name, c.column_name, c.data_type "
	                                 "FROM information_schema.columns c "
	                                 "JOIN information_schema.tables t "
	                                 "ON t.table_schema = c.table_schema "
	                                 "AND t.table_name = c.table_name "
	                                 "WHERE c.table_schema = current_schema() "
	                                 "AND t.table_type = 'BASE TABLE'");
	int64_t n = 0;
	int columns = 0;
	while (srv_step(cols) == SRV_ROW) {
		char sql[512];
		bool bytes = strcmp(srv_col_text(cols, 2), "bytea") == 0;
		snprintf(sql, sizeof sql,
		         bytes
		             ? "SELECT count(*) FROM \"%s\" WHERE position(convert_to(?1, 'UTF8') "
		               "IN \"%s\") > 0"
		             : "SELECT count(*) FROM \"%s\" WHERE position(?1 IN CAST(\"%s\" AS "
		               "text)) > 0",
		         srv_col_text(cols, 0), srv_col_text(cols, 1));
		n += e2e_db_int(db, sql, needle, NULL);
		columns++;
	}
	e2e_db_finalize(cols);
	e2e_db_close(db);
	assert_true(columns > 0);
	return n;
}

static void test_token_not_stored(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	char plain[TOKEN_MAX], keyed[TOKEN_MAX], key[LUOSHI_KEY_SIZE];
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "marker-plain-account", NULL, NULL, plain);
	/* A keyed create keeps its response for replays: not in clear either. */
	luoshi_new_key(key);
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "marker-keyed-account", key, NULL, keyed);
	luoshi_client_close(c);

	const char *tokens[] = {plain, keyed, s->admin_token};
	if (e2e_on_pg()) {
		/* The database is no file here: its values are searched. */
		for (int i = 0; i < 3; i++) {
			assert_int_equal(pg_values_holding(s, tokens[i]), 0);
			assert_int_equal(pg_values_holding(s, tokens[i] + 3), 0);
		}
		/* The search finds what is there: the accounts' names. */
		assert_true(pg_values_holding(s, "marker-plain-account") > 0);
		assert_true(pg_values_holding(s, "marker-keyed-account") > 0);
		size_t log_bytes = 0;
		for (int i = 0; i < 3; i++) {
			log_bytes = assert_file_lacks(s->log, tokens[i]);
			assert_file_lacks(s->log, tokens[i] + 3);
		}
		assert_true(log_bytes > 0);
		assert_int_equal(e2e_server_stop(s), 0);
		for (int i = 0; i < 3; i++) {
			assert_file_lacks(s->log, tokens[i]);
			assert_file_lacks(s->out, tokens[i]);
		}
		return;
	}

	char wal[E2E_PATH_MAX + 8];
	snprintf(wal, sizeof wal, "%s-wal", s->db);
	size_t db_bytes = 0, log_bytes = 0;
	for (int i = 0; i < 3; i++) {
		db_bytes = assert_file_lacks(s->db, tokens[i]);
		db_bytes += assert_file_lacks(wal, tokens[i]);
		log_bytes = assert_file_lacks(s->log, tokens[i]);
		/* Without the "ls_" too, in case some other framing is used. */
		db_bytes += assert_file_lacks(s->db, tokens[i] + 3);
		db_bytes += assert_file_lacks(wal, tokens[i] + 3);
		assert_file_lacks(s->log, tokens[i] + 3);
	}
	/* The files were read: the accounts' names are there. */
	assert_true(db_bytes > 0);
	assert_true(log_bytes > 0);
	assert_true(e2e_file_contains(s->db, "marker-plain-account") ||
	            e2e_file_contains(wal, "marker-plain-account"));
	assert_true(e2e_file_contains(s->db, "marker-keyed-account") ||
	            e2e_file_contains(wal, "marker-keyed-account"));

	/* And after a clean stop, when the WAL is folded into the database. */
	assert_int_equal(e2e_server_stop(s), 0);
	for (int i = 0; i < 3; i++) {
		assert_file_lacks(s->db, tokens[i]);
		assert_file_lacks(wal, tokens[i]);
		assert_file_lacks(s->log, tokens[i]);
		assert_file_lacks(s->out, tokens[i]);
	}
	assert_true(e2e_file_contains(s->db, "marker-plain-account"));
}

/* ---- idempotency ---------------------------------------------------------------- */

static void test_idempotent_retry(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	char key[LUOSHI_KEY_SIZE];
	luoshi_new_key(key);
	int64_t id1, id2;
	char t1[TOKEN_MAX], t2[TOKEN_MAX];
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "once", key, &id1, t1);
	luoshi_client_close(c);
	/* The retry comes on another connection, as after a reconnect. */
	c = e2e_client(s->tcp_url, s->admin_token, 5000);
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "once", key, &id2, t2);
	assert_int_equal(id1, id2);
	assert_string_equal(t1, t2);
	assert_int_equal(e2e_count_accounts(s), 2);

	/* The same key for another request is refused, and writes nothing. */
	ls_status st;
	assert_int_equal(
	    e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_TOWN, "twice", key, NULL, NULL, 0, &st),
	    LS_FAILED_PRECONDITION);
	assert_string_equal(st.field, "metadata.idempotency-key");
	assert_int_equal(
	    e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_VIEWER, "once", key, NULL, NULL, 0, &st),
	    LS_FAILED_PRECONDITION);
	assert_int_equal(e2e_count_accounts(s), 2);

	/* Without a key the same request makes a second account. */
	int64_t id3;
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "once", NULL, &id3, NULL);
	assert_true(id3 != id1);
	assert_int_equal(e2e_count_accounts(s), 3);
	luoshi_client_close(c);

	e2e_db *db = e2e_db_connect(s);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM audit_log WHERE entity = 'account' "
	                            "AND method = ?1",
	                            M_CREATE, NULL),
	                 2);
	e2e_db_close(db);
}

static void test_key_scoped_to_account(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	char other[TOKEN_MAX], key[LUOSHI_KEY_SIZE];
	create_ok(c, LUOSHI__V1__ROLE__ROLE_ADMIN, "other admin", NULL, NULL, other);
	luoshi_new_key(key);
	int64_t mine, theirs;
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "scoped", key, &mine, NULL);
	luoshi_client_close(c);
	/* Another account with the same key and request writes its own row. */
	c = e2e_client(s->tcp_url, other, 5000);
	create_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "scoped", key, &theirs, NULL);
	luoshi_client_close(c);
	assert_true(mine != theirs);
	assert_int_equal(e2e_count_accounts(s), 4);
}

#define RACERS 8

typedef struct racer {
	const e2e_server *s;
	const char *key;
	pthread_barrier_t *start;
	luoshi_client *c;
	int rc;
	int64_t id;
	char token[TOKEN_MAX];
	char message[sizeof(ls_status){0}.message];
} racer;

static void *race(void *arg)
{
	racer *r = arg;
	ls_status st;
	pthread_barrier_wait(r->start);
	r->rc = e2e_create_account(r->c, LUOSHI__V1__ROLE__ROLE_TOWN, "raced", r->key, &r->id,
	                           r->token, sizeof r->token, &st);
	snprintf(r->message, sizeof r->message, "%s", st.message);
	return NULL;
}

static void test_idempotent_race(void **state)
{
	e2e_server *s = *state;
	char key[LUOSHI_KEY_SIZE];
	luoshi_new_key(key);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, RACERS);
	racer rs[RACERS];
	pthread_t th[RACERS];
	/* Clients are opened here, where a failure may end the test. */
	for (int i = 0; i < RACERS; i++) {
		rs[i] = (racer){.s = s, .key = key, .start = &start};
		rs[i].c = e2e_client(s->tcp_url, s->admin_token, 10000);
	}
	int started = 0;
	for (; started < RACERS; started++)
		if (pthread_create(&th[started], NULL, race, &rs[started]) != 0)
			break;
	if (started < RACERS) {
		/* The barrier would never open: nothing can be joined safely. */
		fprintf(stderr, "cannot start the racing threads\n");
		abort();
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < RACERS; i++)
		luoshi_client_close(rs[i].c);

	for (int i = 0; i < RACERS; i++) {
		if (rs[i].rc != LS_OK)
			fail_msg("racer %d: %s %s", i, ls_code_name(rs[i].rc), rs[i].message);
		assert_int_equal(rs[i].id, rs[0].id);
		assert_string_equal(rs[i].token, rs[0].token);
	}
	assert_int_equal(e2e_count_accounts(s), 2);
	e2e_db *db = e2e_db_connect(s);
	assert_int_equal(
	    e2e_db_int(db, "SELECT count(*) FROM accounts WHERE name = 'raced'", NULL, NULL), 1);
	assert_int_equal(e2e_db_int(db, "SELECT count(*) FROM idempotency_keys", NULL, NULL), 1);
	e2e_db_close(db);
}

/* ---- deadlines ------------------------------------------------------------------- */

typedef struct slow_call {
	luoshi_client *c;
	int rc;
	char message[sizeof(ls_status){0}.message];
	atomic_bool done;
} slow_call;

static void *call_slowly(void *arg)
{
	slow_call *sc = arg;
	ls_status st;
	sc->rc = e2e_create_account(sc->c, LUOSHI__V1__ROLE__ROLE_TOWN, "too late", NULL, NULL,
	                            NULL, 0, &st);
	snprintf(sc->message, sizeof sc->message, "%s", st.message);
	atomic_store(&sc->done, true);
	return NULL;
}

static void test_deadline_expires_waiting(void **state)
{
	e2e_server *s = *state;
	int64_t before = e2e_count_accounts(s);
	assert_int_equal(before, 1);

	/* Hold the write lock: the server's next transaction waits on it (on
	 * SQLite its busy timeout is 5 s), long past the call's deadline. */
	e2e_db *db = e2e_db_connect(s);
	e2e_db_begin_write(db);

	slow_call sc = {.c = e2e_client(s->tcp_url, s->admin_token, 0)};
	atomic_init(&sc.done, false);
	luoshi_client_set_timeout(sc.c, 200);
	pthread_t th;
	if (pthread_create(&th, NULL, call_slowly, &sc) != 0) {
		e2e_db_exec(db, "ROLLBACK");
		e2e_db_close(db);
		luoshi_client_close(sc.c);
		fail_msg("cannot start the calling thread");
	}

	/* The server has the request once it logs it. */
	bool received = e2e_wait_file_contains(
	    s->log, "rpc: received /luoshi.v1.AccountService/CreateAccount", 10000);
	uint64_t seen = e2e_now_ms();
	/* Let the deadline pass well while the server waits for the lock. */
	if (received)
		while (e2e_now_ms() < seen + 400)
			e2e_poll_pause();
	e2e_db_exec(db, "ROLLBACK");
	e2e_db_close(db);
	pthread_join(th, NULL);
	luoshi_client_close(sc.c);

	assert_true(received);
	if (sc.rc != LS_DEADLINE_EXCEEDED)
		fail_msg("a call whose deadline passed got %s (%s)", ls_code_name(sc.rc),
		         sc.message);

	/* Once a later call is answered, the server is done with the late one:
	 * it must not have written it. */
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__ListAccountsResponse *r = list_page(c, 0, NULL, true);
	assert_int_equal(r->n_accounts, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	luoshi_client_close(c);
	assert_int_equal(e2e_count_accounts(s), before);
	e2e_db *check = e2e_db_connect(s);
	assert_int_equal(
	    e2e_db_int(check, "SELECT count(*) FROM accounts WHERE name = 'too late'", NULL, NULL),
	    0);
	e2e_db_close(check);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_list, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_create_missing_role, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_paging, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_include_revoked, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_audit_log, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_token_not_stored, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_idempotent_retry, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_key_scoped_to_account, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_idempotent_race, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_deadline_expires_waiting, e2e_setup, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_accounts", tests, NULL, NULL);
}
