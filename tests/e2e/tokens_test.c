/* End to end: what tokens are and are not. Expiry (ttl_days) that takes
 * effect at once, no token in clear anywhere the server writes (database,
 * WAL, idempotency records, audit log, log, a backup), and repeated
 * authentication failures from one peer slowed down to RESOURCE_EXHAUSTED.
 * Each test gets a fresh luoshid. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/admin.pb-c.h"
#include "luoshi/v1/health.pb-c.h"

#define M_CHECK "/luoshi.v1.HealthService/Check"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_LIST "/luoshi.v1.AccountService/ListAccounts"
#define M_WHOAMI "/luoshi.v1.AccountService/WhoAmI"
#define M_BACKUP "/luoshi.v1.AdminService/Backup"
#define M_GET_BACKUP "/luoshi.v1.AdminService/GetBackup"

#define TOKEN_MAX 128
#define BAD_TOKEN "ls_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/* CreateAccount with ttl_days (0: not sent); returns the code, *resp the
 * answer on OK (the caller frees it). */
static int create_ttl(luoshi_client *c, const char *name, uint32_t ttl_days, bool send_ttl,
                      const char *key, Luoshi__V1__CreateAccountResponse **resp, ls_status *st)
{
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = LUOSHI__V1__ROLE__ROLE_TOWN;
	req.name = (char *)name;
	req.has_ttl_days = send_ttl;
	req.ttl_days = ttl_days;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_CREATE, &req.base, key, &m, st);
	*resp = (Luoshi__V1__CreateAccountResponse *)m;
	return rc;
}

/* WhoAmI through c: the code, and the caller's id on OK. */
static int whoami(luoshi_client *c, int64_t *id, ls_status *st)
{
	Luoshi__V1__WhoAmIRequest req = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_WHOAMI, &req.base, NULL, &m, st);
	if (rc == LS_OK) {
		if (id != NULL)
			*id = ((Luoshi__V1__WhoAmIResponse *)m)->account->id;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return rc;
}

/* WhoAmI on a fresh connection to url with token. */
static int whoami_once(const char *url, const char *token, ls_status *st)
{
	luoshi_client *c = e2e_client(url, token, 5000);
	int rc = whoami(c, NULL, st);
	luoshi_client_close(c);
	return rc;
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS+hh:mm". */
static time_t parse_iso(const char *s)
{
	struct tm tm = {0};
	int oh, om;
	char sign;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &oh, &om) != 9)
		fail_msg("not an ISO 8601 time with an offset: %s", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	int off = (oh * 60 + om) * 60;
	return sign == '-' ? t + off : t - off;
}

/* "YYYY-MM-DDTHH:MM:SS" and the offset given, for the unix time t. */
static void format_iso(time_t t, int offset_min, char *buf, size_t n)
{
	time_t local = t + offset_min * 60;
	struct tm tm;
	gmtime_r(&local, &tm);
	int a = abs(offset_min);
	size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, n - len, "%c%02d:%02d", offset_min < 0 ? '-' : '+', (a / 60) % 24,
	         a % 60);
}

static void set_expiry(const e2e_server *s, int64_t id, const char *when)
{
	e2e_db *db = e2e_db_connect(s);
	srv_q *q = e2e_db_prepare(db, "UPDATE accounts SET expires_at = ?1 WHERE id = ?2");
	srv_bind_text(q, 1, when);
	srv_bind_int64(q, 2, id);
	e2e_db_step(q, SRV_DONE);
	assert_int_equal(e2e_db_changes(db), 1);
	e2e_db_finalize(q);
	e2e_db_close(db);
}

/* ---- expiry -------------------------------------------------------------------- */

static void test_expiry(void **state)
{
	e2e_server *s = *state;
	luoshi_client *admin = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__CreateAccountResponse *r;
	ls_status st;
	time_t before = time(NULL);
	int rc = create_ttl(admin, "short-lived clerk", 30, true, NULL, &r, &st);
	time_t after = time(NULL);
	if (rc != LS_OK)
		fail_msg("CreateAccount with ttl_days: %s %s", ls_code_name(rc), st.message);
	assert_non_null(r->account);
	assert_non_null(r->account->expires_at);
	/* Thirty days of 86400 s from the moment of the call. */
	time_t expires = parse_iso(r->account->expires_at);
	assert_true(expires >= before + 30 * 86400);
	assert_true(expires <= after + 30 * 86400);
	int64_t id = r->account->id;
	char token[TOKEN_MAX];
	snprintf(token, sizeof token, "%s", r->token);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Without ttl_days the token lives until revoked. */
	assert_int_equal(create_ttl(admin, "lasting clerk", 0, false, NULL, &r, &st), LS_OK);
	assert_null(r->account->expires_at);
	int64_t lasting = r->account->id;
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* The listing shows the expiry of the one and not of the other. */
	Luoshi__V1__ListAccountsRequest lq = LUOSHI__V1__LIST_ACCOUNTS_REQUEST__INIT;
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(admin, M_LIST, &lq.base, NULL, &m, &st), LS_OK);
	const Luoshi__V1__ListAccountsResponse *l = (Luoshi__V1__ListAccountsResponse *)m;
	int seen = 0;
	for (size_t i = 0; i < l->n_accounts; i++) {
		if (l->accounts[i]->id == id) {
			assert_non_null(l->accounts[i]->expires_at);
			assert_int_equal(parse_iso(l->accounts[i]->expires_at), expires);
			seen++;
		} else if (l->accounts[i]->id == lasting) {
			assert_null(l->accounts[i]->expires_at);
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	protobuf_c_message_free_unpacked(m, NULL);

	/* A connection opened while the token is good... */
	luoshi_client *c = e2e_client(s->tcp_url, token, 5000);
	int64_t who;
	assert_int_equal(whoami(c, &who, &st), LS_OK);
	assert_int_equal(who, id);

	/* ...an hour ahead, written in another zone's offset: still good. */
	char when[40];
	format_iso(time(NULL) + 3600, -5 * 60, when, sizeof when);
	set_expiry(s, id, when);
	assert_int_equal(whoami(c, &who, &st), LS_OK);

	/* A minute ago, in UTC: refused at once, on the same connection. */
	format_iso(time(NULL) - 60, 0, when, sizeof when);
	set_expiry(s, id, when);
	assert_int_equal(whoami(c, NULL, &st), LS_UNAUTHENTICATED);
	assert_string_equal(st.field, "metadata.authorization");
	assert_non_null(strstr(st.message, "expired"));
	luoshi_client_close(c);
	assert_int_equal(whoami_once(s->tcp_url, token, &st), LS_UNAUTHENTICATED);
	/* The other account is untouched. */
	assert_int_equal(whoami_once(s->tcp_url, s->admin_token, &st), LS_OK);

	/* The creation's audit row records the expiry. */
	e2e_db *db = e2e_db_connect(s);
	char ids[24];
	snprintf(ids, sizeof ids, "%" PRId64, id);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM audit_log WHERE entity = 'account' AND "
	                            "entity_id = CAST(?1 AS INTEGER) AND method = ?2 AND "
	                            "after LIKE '%\"expiresAt\"%'",
	                            ids, M_CREATE),
	                 1);
	e2e_db_close(db);
	luoshi_client_close(admin);
}

static void test_ttl_validation(void **state)
{
	e2e_server *s = *state;
	luoshi_client *admin = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__CreateAccountResponse *r;
	ls_status st;
	const uint32_t bad[] = {0, 3651, 100000};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(create_ttl(admin, "bad ttl", bad[i], true, NULL, &r, &st),
		                 LS_INVALID_ARGUMENT);
		assert_string_equal(st.field, "ttl_days");
		assert_null(r);
	}
	assert_int_equal(e2e_count_accounts(s), 1);
	e2e_db *db = e2e_db_connect(s);
	assert_int_equal(e2e_db_int(db, "SELECT count(*) FROM audit_log", NULL, NULL), 1);
	e2e_db_close(db);
	/* The bounds themselves are accepted. */
	assert_int_equal(create_ttl(admin, "one day", 1, true, NULL, &r, &st), LS_OK);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(create_ttl(admin, "ten years", 3650, true, NULL, &r, &st), LS_OK);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(e2e_count_accounts(s), 3);
	luoshi_client_close(admin);
}

/* ---- no token in clear ---------------------------------------------------------- */

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

/* The number of rows of sql in which some column holds needle (as bytes). */
static int64_t rows_holding(e2e_db *db, const char *sql, const char *needle)
{
	srv_q *q = e2e_db_prepare(db, sql);
	int64_t n = 0;
	while (srv_step(q) == SRV_ROW) {
		bool found = false;
		for (int col = 0; col < 2; col++) {
			size_t len;
			const void *v = srv_col_blob(q, col, &len);
			if (v != NULL && memmem(v, len, needle, strlen(needle)) != NULL)
				found = true;
		}
		n += found;
	}
	e2e_db_finalize(q);
	return n;
}

/* Takes a backup named file and waits until it is done; returns its path
 * on the server's machine (malloc'd). */
static char *backup(const e2e_server *s, const char *file)
{
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__BackupRequest req = LUOSHI__V1__BACKUP_REQUEST__INIT;
	req.file = (char *)file;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_BACKUP, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("Backup: %s %s", ls_code_name(rc), st.message);
	Luoshi__V1__GetBackupRequest gq = LUOSHI__V1__GET_BACKUP_REQUEST__INIT;
	gq.has_id = true;
	gq.id = ((Luoshi__V1__BackupResponse *)m)->job->id;
	protobuf_c_message_free_unpacked(m, NULL);
	uint64_t end = e2e_now_ms() + 30000;
	for (;;) {
		assert_int_equal(e2e_call(c, M_GET_BACKUP, &gq.base, NULL, &m, &st), LS_OK);
		const Luoshi__V1__BackupJob *j = ((Luoshi__V1__GetBackupResponse *)m)->job;
		if (j->state != LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_RUNNING) {
			assert_int_equal(j->state, LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_DONE);
			char *path = strdup(j->path);
			protobuf_c_message_free_unpacked(m, NULL);
			luoshi_client_close(c);
			return path;
		}
		protobuf_c_message_free_unpacked(m, NULL);
		assert_true(e2e_now_ms() < end);
		e2e_poll_pause();
	}
}

static void test_no_token_in_clear(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__CreateAccountResponse *r;
	ls_status st;
	char plain[TOKEN_MAX], keyed[TOKEN_MAX], expiring[TOKEN_MAX], key[LUOSHI_KEY_SIZE];
	assert_int_equal(create_ttl(c, "marker-plain", 0, false, NULL, &r, &st), LS_OK);
	snprintf(plain, sizeof plain, "%s", r->token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* A keyed create keeps its response for replays, sealed. */
	luoshi_new_key(key);
	assert_int_equal(create_ttl(c, "marker-keyed", 0, false, key, &r, &st), LS_OK);
	snprintf(keyed, sizeof keyed, "%s", r->token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* The replay hands the same token back: the record was used. */
	assert_int_equal(create_ttl(c, "marker-keyed", 0, false, key, &r, &st), LS_OK);
	assert_string_equal(r->token, keyed);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(create_ttl(c, "marker-expiring", 7, true, NULL, &r, &st), LS_OK);
	snprintf(expiring, sizeof expiring, "%s", r->token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	luoshi_client_close(c);
	/* Each token used once, so that the log has seen it arrive. */
	assert_int_equal(whoami_once(s->tcp_url, plain, &st), LS_OK);
	assert_int_equal(whoami_once(s->tcp_url, keyed, &st), LS_OK);
	assert_int_equal(whoami_once(s->tcp_url, expiring, &st), LS_OK);
	/* luoshid backs up SQLite databases only. */
	char *copy = e2e_on_pg() ? NULL : backup(s, "tokens.db");

	e2e_db *db = e2e_db_connect(s);
	/* The records that could hold a token exist... */
	assert_int_equal(e2e_db_int(db, "SELECT count(*) FROM idempotency_keys", NULL, NULL), 1);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM audit_log WHERE method = ?1 AND "
	                            "after LIKE '%marker-%'",
	                            M_CREATE, NULL),
	                 3);
	/* ...and hold none of them, in any column. */
	const char *tokens[] = {plain, keyed, expiring, s->admin_token};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		    rows_holding(db, "SELECT before, after FROM audit_log", tokens[i] + 3), 0);
		assert_int_equal(rows_holding(db, "SELECT response, key_hash FROM idempotency_keys",
		                              tokens[i] + 3),
		                 0);
	}
	/* The search finds what is there. */
	assert_int_equal(rows_holding(db, "SELECT before, after FROM audit_log", "marker-keyed"),
	                 1);
	e2e_db_close(db);

	if (e2e_on_pg()) {
		/* The database is no file here, and there is no copy: only the
		 * log is read. */
		size_t log_bytes = 0;
		for (int i = 0; i < 4; i++)
			for (int skip = 0; skip <= 3; skip += 3)
				log_bytes += assert_file_lacks(s->log, tokens[i] + skip);
		assert_true(log_bytes > 0);
		assert_true(
		    e2e_file_contains(s->log, "rpc: received /luoshi.v1.AccountService/WhoAmI"));
		assert_int_equal(e2e_server_stop(s), 0);
		for (int i = 0; i < 4; i++) {
			assert_file_lacks(s->log, tokens[i] + 3);
			assert_file_lacks(s->out, tokens[i] + 3);
		}
		return;
	}

	char wal[E2E_PATH_MAX + 8];
	snprintf(wal, sizeof wal, "%s-wal", s->db);
	size_t db_bytes = 0, log_bytes = 0, copy_bytes = 0;
	for (int i = 0; i < 4; i++) {
		/* With and without the "ls_", in case some other framing is used. */
		for (int skip = 0; skip <= 3; skip += 3) {
			db_bytes += assert_file_lacks(s->db, tokens[i] + skip);
			db_bytes += assert_file_lacks(wal, tokens[i] + skip);
			log_bytes += assert_file_lacks(s->log, tokens[i] + skip);
			copy_bytes += assert_file_lacks(copy, tokens[i] + skip);
		}
	}
	/* The files were read, and hold what they should. */
	assert_true(db_bytes > 0 && log_bytes > 0 && copy_bytes > 0);
	assert_true(e2e_file_contains(s->db, "marker-keyed") ||
	            e2e_file_contains(wal, "marker-keyed"));
	assert_true(e2e_file_contains(copy, "marker-expiring"));
	assert_true(e2e_file_contains(s->log, "rpc: received /luoshi.v1.AccountService/WhoAmI"));

	/* And after a clean stop, when the WAL is folded into the database. */
	assert_int_equal(e2e_server_stop(s), 0);
	for (int i = 0; i < 4; i++) {
		assert_file_lacks(s->db, tokens[i] + 3);
		assert_file_lacks(wal, tokens[i] + 3);
		assert_file_lacks(s->log, tokens[i] + 3);
		assert_file_lacks(s->out, tokens[i] + 3);
	}
	assert_true(e2e_file_contains(s->db, "marker-plain"));
	free(copy);
}

/* ---- failed authentications slowed down ---------------------------------------- */

static int check_health(const char *url)
{
	luoshi_client *c = e2e_client(url, NULL, 5000);
	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_CHECK, &req.base, NULL, &m, &st);
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	return rc;
}

static void test_failures_slowed_down(void **state)
{
	e2e_server *s = *state;
	ls_status st;
	/* Five failures from 127.0.0.1, each on a new connection (a new port):
	 * the peer is the address, not the connection. */
	for (int i = 0; i < 5; i++) {
		int rc = whoami_once(s->tcp_url, BAD_TOKEN, &st);
		if (rc != LS_UNAUTHENTICATED)
			fail_msg("wrong token %d: %s %s", i + 1, ls_code_name(rc), st.message);
		assert_string_equal(st.field, "metadata.authorization");
	}
	/* The sixth is slowed down, and so is a call without a token. */
	assert_int_equal(whoami_once(s->tcp_url, BAD_TOKEN, &st), LS_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(st.message, "too many failed authentications"));
	assert_int_equal(whoami_once(s->tcp_url, NULL, &st), LS_RESOURCE_EXHAUSTED);
	/* The peer's tokens are not even checked while it is refused: a good
	 * one gets the same answer, and writes nothing. */
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	assert_int_equal(e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_VIEWER, "during the block",
	                                    NULL, NULL, NULL, 0, &st),
	                 LS_RESOURCE_EXHAUSTED);
	luoshi_client_close(c);
	assert_int_equal(e2e_count_accounts(s), 1);
	/* Health needs no token and stays open. */
	assert_int_equal(check_health(s->tcp_url), LS_OK);

	/* Another peer (the ipc socket) is not held back: its good token
	 * works, and its own failures start from zero. */
	int64_t who;
	c = e2e_client(s->ipc_url, s->admin_token, 5000);
	assert_int_equal(whoami(c, &who, &st), LS_OK);
	assert_int_equal(who, 1);
	int64_t id;
	assert_int_equal(e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_VIEWER, "from ipc", NULL, &id,
	                                    NULL, 0, &st),
	                 LS_OK);
	luoshi_client_close(c);
	assert_int_equal(whoami_once(s->ipc_url, BAD_TOKEN, &st), LS_UNAUTHENTICATED);
	assert_int_equal(whoami_once(s->ipc_url, s->admin_token, &st), LS_OK);
	assert_int_equal(e2e_count_accounts(s), 2);

	/* The operator is told once, with the address. */
	assert_true(e2e_file_contains(s->log, "5 failed authentications from 127.0.0.1"));
	assert_false(e2e_file_contains(s->log, "failed authentications from ipc"));
}

static void test_four_failures_pass(void **state)
{
	e2e_server *s = *state;
	ls_status st;
	for (int i = 0; i < 4; i++)
		assert_int_equal(whoami_once(s->tcp_url, BAD_TOKEN, &st), LS_UNAUTHENTICATED);
	/* Four are not enough: the good token still works from the peer. */
	assert_int_equal(whoami_once(s->tcp_url, s->admin_token, &st), LS_OK);
	/* The fifth failure is still answered as what it is; the next call is
	 * refused. */
	assert_int_equal(whoami_once(s->tcp_url, BAD_TOKEN, &st), LS_UNAUTHENTICATED);
	assert_int_equal(whoami_once(s->tcp_url, s->admin_token, &st), LS_RESOURCE_EXHAUSTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_expiry, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_ttl_validation, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_no_token_in_clear, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_failures_slowed_down, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_four_failures_pass, e2e_setup, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_tokens", tests, NULL, NULL);
}
