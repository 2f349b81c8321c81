/* End to end: tokens and roles. Each test gets a fresh luoshid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/health.pb-c.h"

#define M_CHECK "/luoshi.v1.HealthService/Check"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_LIST "/luoshi.v1.AccountService/ListAccounts"
#define M_REVOKE "/luoshi.v1.AccountService/RevokeAccount"
#define M_WHOAMI "/luoshi.v1.AccountService/WhoAmI"

/* WhoAmI with token; returns the code, the account's id and role. */
static int whoami(const e2e_server *s, const char *token, int64_t *id, int *role, ls_status *st)
{
	luoshi_client *c = e2e_client(s->tcp_url, token, 5000);
	Luoshi__V1__WhoAmIRequest req = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_WHOAMI, &req.base, NULL, &m, st);
	luoshi_client_close(c);
	if (rc == LS_OK) {
		const Luoshi__V1__WhoAmIResponse *r = (Luoshi__V1__WhoAmIResponse *)m;
		assert_non_null(r->account);
		if (id != NULL)
			*id = r->account->id;
		if (role != NULL)
			*role = (int)r->account->role;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return rc;
}

static int revoke(const e2e_server *s, const char *token, int64_t id, ls_status *st)
{
	luoshi_client *c = e2e_client(s->tcp_url, token, 5000);
	Luoshi__V1__RevokeAccountRequest req = LUOSHI__V1__REVOKE_ACCOUNT_REQUEST__INIT;
	req.has_id = true;
	req.id = id;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_REVOKE, &req.base, NULL, &m, st);
	luoshi_client_close(c);
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* Creates an account as the admin and hands back its id and token. */
static void create(const e2e_server *s, int role, const char *name, int64_t *id, char *token,
                   size_t tsize)
{
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	ls_status st;
	int rc = e2e_create_account(c, role, name, NULL, id, token, tsize, &st);
	luoshi_client_close(c);
	if (rc != LS_OK)
		fail_msg("CreateAccount: %s %s", ls_code_name(rc), st.message);
}

static void test_no_token(void **state)
{
	e2e_server *s = *state;
	ls_status st;
	assert_int_equal(whoami(s, NULL, NULL, NULL, &st), LS_UNAUTHENTICATED);
	assert_string_equal(st.field, "metadata.authorization");

	/* Every method but Health needs one, the listing too. */
	luoshi_client *c = e2e_client(s->tcp_url, NULL, 5000);
	Luoshi__V1__ListAccountsRequest req = LUOSHI__V1__LIST_ACCOUNTS_REQUEST__INIT;
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_LIST, &req.base, NULL, &m, &st), LS_UNAUTHENTICATED);
	assert_null(m);
	luoshi_client_close(c);
}

static void test_wrong_token(void **state)
{
	e2e_server *s = *state;
	ls_status st;
	/* Well-formed, but no account has it. */
	assert_int_equal(
	    whoami(s, "ls_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, &st),
	    LS_UNAUTHENTICATED);
	assert_string_equal(st.field, "metadata.authorization");
	/* The admin token with one character changed. */
	char bad[sizeof s->admin_token];
	snprintf(bad, sizeof bad, "%s", s->admin_token);
	size_t n = strlen(bad);
	bad[n - 1] = bad[n - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(whoami(s, bad, NULL, NULL, &st), LS_UNAUTHENTICATED);
	/* The real one works: the failures above were about the token. */
	assert_int_equal(whoami(s, s->admin_token, NULL, NULL, &st), LS_OK);
}

static void test_health_needs_no_token(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, NULL, 5000);
	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_CHECK, &req.base, NULL, &m, &st), LS_OK);
	const Luoshi__V1__HealthCheckResponse *r = (Luoshi__V1__HealthCheckResponse *)m;
	assert_true(r->has_status);
	assert_int_equal(r->status, LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

static void test_revoked_token(void **state)
{
	e2e_server *s = *state;
	int64_t id;
	char token[128];
	create(s, LUOSHI__V1__ROLE__ROLE_ADMIN, "second admin", &id, token, sizeof token);
	ls_status st;
	int64_t got;
	int role;
	assert_int_equal(whoami(s, token, &got, &role, &st), LS_OK);
	assert_int_equal(got, id);
	assert_int_equal(role, LUOSHI__V1__ROLE__ROLE_ADMIN);

	/* One client kept open across the revoke: no cached session helps it. */
	luoshi_client *c = e2e_client(s->tcp_url, token, 5000);
	Luoshi__V1__WhoAmIRequest req = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_WHOAMI, &req.base, NULL, &m, &st), LS_OK);
	protobuf_c_message_free_unpacked(m, NULL);

	assert_int_equal(revoke(s, s->admin_token, id, &st), LS_OK);
	assert_int_equal(e2e_call(c, M_WHOAMI, &req.base, NULL, &m, &st), LS_UNAUTHENTICATED);
	assert_string_equal(st.field, "metadata.authorization");
	luoshi_client_close(c);
	assert_int_equal(whoami(s, token, NULL, NULL, &st), LS_UNAUTHENTICATED);
	/* A revoked admin can revoke nobody. */
	assert_int_equal(revoke(s, token, 1, &st), LS_UNAUTHENTICATED);
	assert_int_equal(whoami(s, s->admin_token, NULL, NULL, &st), LS_OK);
}

static void test_no_self_revoke(void **state)
{
	e2e_server *s = *state;
	ls_status st;
	int64_t me;
	assert_int_equal(whoami(s, s->admin_token, &me, NULL, &st), LS_OK);
	assert_int_equal(revoke(s, s->admin_token, me, &st), LS_FAILED_PRECONDITION);
	/* Still live. */
	assert_int_equal(whoami(s, s->admin_token, NULL, NULL, &st), LS_OK);
	e2e_db *db = e2e_db_connect(s);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM accounts WHERE revoked_at IS NOT NULL",
	                            NULL, NULL),
	                 0);
	e2e_db_close(db);
}

static void test_viewer_cannot_create(void **state)
{
	e2e_server *s = *state;
	int64_t id;
	char token[128];
	create(s, LUOSHI__V1__ROLE__ROLE_VIEWER, "viewer", &id, token, sizeof token);
	int64_t before = e2e_count_accounts(s);
	assert_int_equal(before, 2);

	luoshi_client *c = e2e_client(s->tcp_url, token, 5000);
	ls_status st;
	assert_int_equal(e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_ADMIN, "usurper", NULL, NULL,
	                                    NULL, 0, &st),
	                 LS_PERMISSION_DENIED);
	char key[LUOSHI_KEY_SIZE];
	luoshi_new_key(key);
	assert_int_equal(e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_VIEWER, "usurper", key, NULL,
	                                    NULL, 0, &st),
	                 LS_PERMISSION_DENIED);
	/* Nor may it revoke the admin. */
	Luoshi__V1__RevokeAccountRequest rq = LUOSHI__V1__REVOKE_ACCOUNT_REQUEST__INIT;
	rq.has_id = true;
	rq.id = 1;
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_REVOKE, &rq.base, NULL, &m, &st), LS_PERMISSION_DENIED);
	luoshi_client_close(c);

	assert_int_equal(e2e_count_accounts(s), before);
	e2e_db *db = e2e_db_connect(s);
	assert_int_equal(
	    e2e_db_int(db, "SELECT count(*) FROM accounts WHERE name = 'usurper'", NULL, NULL), 0);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM accounts WHERE revoked_at IS NOT NULL",
	                            NULL, NULL),
	                 0);
	/* Only the viewer's own creation is audited: nothing for the refusals. */
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM audit_log WHERE account_id = "
	                            "(SELECT id FROM accounts WHERE name = 'viewer')",
	                            NULL, NULL),
	                 0);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM idempotency_keys WHERE account_id = "
	                            "(SELECT id FROM accounts WHERE name = 'viewer')",
	                            NULL, NULL),
	                 0);
	e2e_db_close(db);
}

static void test_whoami(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	Luoshi__V1__WhoAmIRequest req = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_WHOAMI, &req.base, NULL, &m, &st), LS_OK);
	const Luoshi__V1__Account *a = ((Luoshi__V1__WhoAmIResponse *)m)->account;
	assert_non_null(a);
	assert_true(a->has_id);
	assert_int_equal(a->id, 1);
	assert_string_equal(a->name, "admin");
	assert_true(a->has_role);
	assert_int_equal(a->role, LUOSHI__V1__ROLE__ROLE_ADMIN);
	assert_string_equal(a->unit_code, "office");
	assert_string_equal(a->unit_name, "区领导小组办公室");
	assert_non_null(a->created_at);
	assert_null(a->revoked_at);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);

	/* A town account sees its own role and, by default, its creator's unit. */
	int64_t id;
	char token[128];
	create(s, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇 clerk", &id, token, sizeof token);
	c = e2e_client(s->tcp_url, token, 5000);
	assert_int_equal(e2e_call(c, M_WHOAMI, &req.base, NULL, &m, &st), LS_OK);
	a = ((Luoshi__V1__WhoAmIResponse *)m)->account;
	assert_non_null(a);
	assert_int_equal(a->id, id);
	assert_string_equal(a->name, "五乡镇 clerk");
	assert_int_equal(a->role, LUOSHI__V1__ROLE__ROLE_TOWN);
	assert_string_equal(a->unit_code, "office");
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_no_token, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_token, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_health_needs_no_token, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_revoked_token, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_no_self_revoke, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_viewer_cannot_create, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_whoami, e2e_setup, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_auth", tests, NULL, NULL);
}
