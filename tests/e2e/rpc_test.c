/* End to end: the wire protocol. Health over tcp and ipc, reflection,
 * unknown methods, malformed envelopes and bodies, version checks, and
 * oversized messages, against one luoshid started with --max-message 65536. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/reflection.pb-c.h"
#include "luoshi/v1/rpc.pb-c.h"

#define M_CHECK "/luoshi.v1.HealthService/Check"
#define M_LIST_SERVICES "/luoshi.v1.ReflectionService/ListServices"
#define M_SERVER_INFO "/luoshi.v1.ReflectionService/GetServerInfo"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"

#define SERVER_MAX_MESSAGE 65536
#define BIG (100 * 1024)

static e2e_server *srv;

static int group_setup(void **state)
{
	(void)state;
	static const char *const extra[] = {"--max-message", "65536", NULL};
	srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return -1;
	if (e2e_server_up(srv, extra) != 0) {
		e2e_server_cleanup(srv);
		free(srv);
		srv = NULL;
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	/* test_stops_cleanly stopped it, unless a test ended early. */
	if (srv != NULL) {
		e2e_server_cleanup(srv);
		free(srv);
		srv = NULL;
	}
	return 0;
}

/* A Check of service (NULL: the server) on url; returns the code and the
 * serving status in *status. */
static int check(const char *url, const char *service, int *status, ls_status *st)
{
	luoshi_client *c = e2e_client(url, NULL, 5000);
	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = (char *)service;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_CHECK, &req.base, NULL, &m, st);
	*status = -1;
	if (rc == LS_OK) {
		const Luoshi__V1__HealthCheckResponse *r = (Luoshi__V1__HealthCheckResponse *)m;
		assert_true(r->has_status);
		*status = (int)r->status;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	luoshi_client_close(c);
	return rc;
}

/* Sends data as the whole message and decodes the reply as a Response. */
static Luoshi__V1__Response *send_raw(const uint8_t *data, size_t len)
{
	luoshi_client *c = e2e_client(srv->tcp_url, NULL, 5000);
	uint8_t *reply = NULL;
	size_t reply_len = 0;
	ls_status st;
	int rc = luoshi_client_send_bytes(c, data, len, &reply, &reply_len, &st);
	luoshi_client_close(c);
	if (rc != LS_OK)
		fprintf(stderr, "send_bytes: %s %s\n", ls_code_name(rc), st.message);
	assert_int_equal(rc, LS_OK);
	Luoshi__V1__Response *r = luoshi__v1__response__unpack(NULL, reply_len, reply);
	free(reply);
	assert_non_null(r);
	assert_non_null(r->status);
	assert_true(r->status->has_code);
	return r;
}

/* Packs an envelope and sends it as the whole message. */
static Luoshi__V1__Response *send_envelope(const Luoshi__V1__Request *req)
{
	size_t n = luoshi__v1__request__get_packed_size(req);
	uint8_t *data = malloc(n ? n : 1);
	assert_non_null(data);
	luoshi__v1__request__pack(req, data);
	Luoshi__V1__Response *r = send_raw(data, n);
	free(data);
	return r;
}

/* True when text holds the decimal number n with no digit next to it. */
static bool mentions_number(const char *text, unsigned n)
{
	char num[16];
	snprintf(num, sizeof num, "%u", n);
	size_t len = strlen(num);
	for (const char *p = strstr(text, num); p != NULL; p = strstr(p + 1, num)) {
		bool before = p > text && isdigit((unsigned char)p[-1]);
		bool after = isdigit((unsigned char)p[len]);
		if (!before && !after)
			return true;
	}
	return false;
}

/* ---- health -------------------------------------------------------------- */

static void test_health_tcp(void **state)
{
	(void)state;
	ls_status st;
	int status;
	assert_int_equal(check(srv->tcp_url, NULL, &status, &st), LS_OK);
	assert_int_equal(status, LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

static void test_health_ipc(void **state)
{
	(void)state;
	ls_status st;
	int status;
	assert_int_equal(check(srv->ipc_url, NULL, &status, &st), LS_OK);
	assert_int_equal(status, LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

static void test_health_named_service(void **state)
{
	(void)state;
	ls_status st;
	int status;
	assert_int_equal(check(srv->tcp_url, "luoshi.v1.AccountService", &status, &st), LS_OK);
	assert_int_equal(status, LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

static void test_health_unknown_service(void **state)
{
	(void)state;
	ls_status st;
	int status;
	assert_int_equal(check(srv->tcp_url, "luoshi.v1.NoSuch", &status, &st), LS_NOT_FOUND);
	assert_string_equal(st.field, "service");
}

/* ---- reflection ---------------------------------------------------------- */

static const struct {
	const char *service, *method, *input, *output;
} expected_methods[] = {
    {"luoshi.v1.HealthService", "Check", "luoshi.v1.HealthCheckRequest",
     "luoshi.v1.HealthCheckResponse"},
    {"luoshi.v1.ReflectionService", "ListServices", "luoshi.v1.ListServicesRequest",
     "luoshi.v1.ListServicesResponse"},
    {"luoshi.v1.ReflectionService", "GetServerInfo", "luoshi.v1.GetServerInfoRequest",
     "luoshi.v1.GetServerInfoResponse"},
    {"luoshi.v1.AccountService", "CreateAccount", "luoshi.v1.CreateAccountRequest",
     "luoshi.v1.CreateAccountResponse"},
    {"luoshi.v1.AccountService", "ListAccounts", "luoshi.v1.ListAccountsRequest",
     "luoshi.v1.ListAccountsResponse"},
    {"luoshi.v1.AccountService", "RevokeAccount", "luoshi.v1.RevokeAccountRequest",
     "luoshi.v1.RevokeAccountResponse"},
    {"luoshi.v1.AccountService", "WhoAmI", "luoshi.v1.WhoAmIRequest", "luoshi.v1.WhoAmIResponse"},
};
#define N_EXPECTED (sizeof expected_methods / sizeof expected_methods[0])

static const char *const expected_services[] = {
    "luoshi.v1.HealthService", "luoshi.v1.ReflectionService", "luoshi.v1.AccountService"};
static const size_t expected_counts[] = {1, 2, 4};

/* The services declared in proto/, as protoc-c generated them. */
extern const ProtobufCServiceDescriptor *const ls_service_descriptors[];
extern const size_t ls_n_service_descriptors;

static const ProtobufCServiceDescriptor *declared(const char *name)
{
	for (size_t i = 0; i < ls_n_service_descriptors; i++)
		if (strcmp(ls_service_descriptors[i]->name, name) == 0)
			return ls_service_descriptors[i];
	return NULL;
}

/* Services the project declares but this test does not know yet (later
 * work adds them to proto/ before their handlers exist) must still be
 * listed as declared: every method, with its full name and types. */
static void check_declared_service(const Luoshi__V1__ServiceInfo *s)
{
	const ProtobufCServiceDescriptor *sd = declared(s->name);
	if (sd == NULL)
		fail_msg("the server lists %s, which proto/ does not declare", s->name);
	assert_int_equal(s->n_methods, sd->n_methods);
	for (size_t j = 0; j < s->n_methods; j++) {
		const Luoshi__V1__MethodInfo *mi = s->methods[j];
		assert_non_null(mi->name);
		const ProtobufCMethodDescriptor *md =
		    protobuf_c_service_descriptor_get_method_by_name(sd, mi->name);
		if (md == NULL)
			fail_msg("%s lists method %s, which proto/ does not declare", s->name,
			         mi->name);
		char full[256];
		snprintf(full, sizeof full, "/%s/%s", s->name, mi->name);
		assert_string_equal(mi->full_name, full);
		assert_string_equal(mi->input_type, md->input->name);
		assert_string_equal(mi->output_type, md->output->name);
		assert_true(mi->has_implemented);
	}
}

static void test_list_services(void **state)
{
	(void)state;
	luoshi_client *c = e2e_client(srv->tcp_url, srv->admin_token, 5000);
	Luoshi__V1__ListServicesRequest req = LUOSHI__V1__LIST_SERVICES_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_LIST_SERVICES, &req.base, NULL, &m, &st), LS_OK);
	luoshi_client_close(c);
	const Luoshi__V1__ListServicesResponse *r = (Luoshi__V1__ListServicesResponse *)m;

	/* Every declared service once. */
	assert_int_equal(r->n_services, ls_n_service_descriptors);
	bool seen_service[3] = {false, false, false};
	bool seen_method[N_EXPECTED] = {false};
	for (size_t i = 0; i < r->n_services; i++) {
		const Luoshi__V1__ServiceInfo *s = r->services[i];
		assert_non_null(s->name);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(r->services[k]->name, s->name);
		int which = -1;
		for (int k = 0; k < 3; k++)
			if (strcmp(s->name, expected_services[k]) == 0)
				which = k;
		if (which < 0) {
			check_declared_service(s);
			continue;
		}
		assert_false(seen_service[which]);
		seen_service[which] = true;
		assert_int_equal(s->n_methods, expected_counts[which]);
		for (size_t j = 0; j < s->n_methods; j++) {
			const Luoshi__V1__MethodInfo *mi = s->methods[j];
			assert_non_null(mi->name);
			size_t e = N_EXPECTED;
			for (size_t k = 0; k < N_EXPECTED; k++)
				if (strcmp(expected_methods[k].service, s->name) == 0 &&
				    strcmp(expected_methods[k].method, mi->name) == 0)
					e = k;
			if (e == N_EXPECTED)
				fail_msg("unexpected method %s in %s", mi->name, s->name);
			assert_false(seen_method[e]);
			seen_method[e] = true;
			char full[128];
			snprintf(full, sizeof full, "/%s/%s", s->name, mi->name);
			assert_non_null(mi->full_name);
			assert_string_equal(mi->full_name, full);
			assert_non_null(mi->input_type);
			assert_string_equal(mi->input_type, expected_methods[e].input);
			assert_non_null(mi->output_type);
			assert_string_equal(mi->output_type, expected_methods[e].output);
			assert_true(mi->has_implemented);
			assert_true(mi->implemented);
		}
	}
	for (int k = 0; k < 3; k++)
		if (!seen_service[k])
			fail_msg("service %s not listed", expected_services[k]);
	for (size_t k = 0; k < N_EXPECTED; k++)
		if (!seen_method[k])
			fail_msg("method %s/%s not listed", expected_methods[k].service,
			         expected_methods[k].method);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_server_info(void **state)
{
	(void)state;
	luoshi_client *c = e2e_client(srv->tcp_url, srv->admin_token, 5000);
	Luoshi__V1__GetServerInfoRequest req = LUOSHI__V1__GET_SERVER_INFO_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_SERVER_INFO, &req.base, NULL, &m, &st), LS_OK);
	luoshi_client_close(c);
	const Luoshi__V1__GetServerInfoResponse *r = (Luoshi__V1__GetServerInfoResponse *)m;
	assert_true(r->has_protocol_version);
	assert_int_equal(r->protocol_version, 1);
	assert_true(r->has_max_message_bytes);
	assert_int_equal(r->max_message_bytes, SERVER_MAX_MESSAGE);
	assert_int_equal(r->n_push_urls, 1);
	assert_string_equal(r->push_urls[0], srv->pub_url);
	assert_non_null(r->time_zone);
	assert_string_equal(r->time_zone, "Asia/Shanghai");
	assert_non_null(r->version);
	assert_true(r->version[0] != '\0');
	/* Asia/Shanghai keeps no summer time: always +08:00. */
	assert_non_null(r->server_time);
	size_t n = strlen(r->server_time);
	assert_true(n > 6);
	assert_string_equal(r->server_time + n - 6, "+08:00");
	protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- unknown methods ----------------------------------------------------- */

static int call_raw(const char *token, const char *method, const uint8_t *body, size_t len,
                    ls_status *st)
{
	luoshi_client *c = e2e_client(srv->tcp_url, token, 5000);
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	ls_status_clear(st);
	int rc = luoshi_client_call_raw(c, method, body, len, NULL, &resp, &resp_len, st);
	free(resp);
	luoshi_client_close(c);
	return rc;
}

static void test_unknown_service(void **state)
{
	(void)state;
	static const uint8_t empty[1];
	ls_status st;
	assert_int_equal(call_raw(srv->admin_token, "/luoshi.v1.NoService/X", empty, 0, &st),
	                 LS_UNIMPLEMENTED);
	assert_int_equal(call_raw(NULL, "/luoshi.v1.NoService/X", empty, 0, &st), LS_UNIMPLEMENTED);
}

static void test_unknown_method(void **state)
{
	(void)state;
	static const uint8_t empty[1];
	ls_status st;
	assert_int_equal(call_raw(srv->admin_token, "/luoshi.v1.HealthService/Nope", empty, 0, &st),
	                 LS_UNIMPLEMENTED);
}

/* ---- malformed messages -------------------------------------------------- */

/* Tag 0x0f is field 1 with wire type 7, which protobuf does not have: no
 * message can be decoded from these bytes. */
static const uint8_t garbage[] = {0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef};

static void test_garbage_message(void **state)
{
	(void)state;
	Luoshi__V1__Response *r = send_raw(garbage, sizeof garbage);
	assert_int_equal(r->status->code, LS_INVALID_ARGUMENT);
	assert_false(r->has_body && r->body.len > 0);
	luoshi__v1__response__free_unpacked(r, NULL);
	/* And the server answers the next caller. */
	ls_status st;
	int status;
	assert_int_equal(check(srv->tcp_url, NULL, &status, &st), LS_OK);
}

static void test_garbage_body(void **state)
{
	(void)state;
	int64_t before = e2e_count_accounts(srv);
	ls_status st;
	assert_int_equal(call_raw(srv->admin_token, M_CREATE, garbage, sizeof garbage, &st),
	                 LS_INVALID_ARGUMENT);
	assert_int_equal(call_raw(NULL, M_CHECK, garbage, sizeof garbage, &st),
	                 LS_INVALID_ARGUMENT);
	assert_int_equal(e2e_count_accounts(srv), before);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	int64_t before = e2e_count_accounts(srv);
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = LUOSHI__V1__ROLE__ROLE_TOWN;
	req.name = (char *)"\xff\xfe";
	uint8_t body[64];
	size_t len = luoshi__v1__create_account_request__pack(&req, body);
	ls_status st;
	assert_int_equal(call_raw(srv->admin_token, M_CREATE, body, len, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "name");
	assert_int_equal(e2e_count_accounts(srv), before);
}

static void test_good_envelope_echoes_id(void **state)
{
	(void)state;
	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	req.has_protocol_version = true;
	req.protocol_version = 1;
	req.has_id = true;
	req.id = 0x1122334455667788ull;
	req.method = (char *)M_CHECK;
	Luoshi__V1__Response *r = send_envelope(&req);
	assert_int_equal(r->status->code, LS_OK);
	assert_true(r->has_id);
	assert_true(r->id == 0x1122334455667788ull);
	Luoshi__V1__HealthCheckResponse *h = luoshi__v1__health_check_response__unpack(
	    NULL, r->has_body ? r->body.len : 0, r->has_body ? r->body.data : garbage);
	assert_non_null(h);
	assert_true(h->has_status);
	assert_int_equal(h->status, LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	luoshi__v1__health_check_response__free_unpacked(h, NULL);
	luoshi__v1__response__free_unpacked(r, NULL);
}

static void test_protocol_version_2(void **state)
{
	(void)state;
	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	req.has_protocol_version = true;
	req.protocol_version = 2;
	req.has_id = true;
	req.id = 987654321;
	req.method = (char *)M_CHECK;
	Luoshi__V1__Response *r = send_envelope(&req);
	assert_int_equal(r->status->code, LS_FAILED_PRECONDITION);
	assert_true(r->has_id);
	assert_int_equal(r->id, 987654321);
	assert_non_null(r->status->message);
	if (!mentions_number(r->status->message, 2) || !mentions_number(r->status->message, 1))
		fail_msg("the message names not both versions: %s", r->status->message);
	assert_false(r->has_body && r->body.len > 0);
	luoshi__v1__response__free_unpacked(r, NULL);
}

static void test_protocol_version_missing(void **state)
{
	(void)state;
	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	req.has_id = true;
	req.id = 4242;
	req.method = (char *)M_CHECK;
	Luoshi__V1__Response *r = send_envelope(&req);
	assert_int_equal(r->status->code, LS_INVALID_ARGUMENT);
	assert_true(r->has_id);
	assert_int_equal(r->id, 4242);
	assert_true(r->status->n_violations >= 1);
	assert_non_null(r->status->violations[0]->field);
	assert_string_equal(r->status->violations[0]->field, "protocol_version");
	luoshi__v1__response__free_unpacked(r, NULL);
}

/* ---- oversized messages --------------------------------------------------- */

static void test_oversized_refused_by_client(void **state)
{
	(void)state;
	luoshi_client *c = e2e_client_max(srv->tcp_url, NULL, 5000, SERVER_MAX_MESSAGE);
	char *big = malloc(BIG + 1);
	assert_non_null(big);
	memset(big, 'a', BIG);
	big[BIG] = '\0';
	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = big;
	ProtobufCMessage *m;
	ls_status st;
	uint64_t t0 = e2e_now_ms();
	int rc = e2e_call(c, M_CHECK, &req.base, NULL, &m, &st);
	uint64_t took = e2e_now_ms() - t0;
	luoshi_client_close(c);
	free(big);
	assert_int_equal(rc, LS_RESOURCE_EXHAUSTED);
	assert_null(m);
	/* Refused before sending: a sent request would wait out the 5 s. */
	assert_true(took < 2000);
}

static void test_oversized_dropped_by_server(void **state)
{
	(void)state;
	char *big = malloc(BIG + 1);
	assert_non_null(big);
	memset(big, 'a', BIG);
	big[BIG] = '\0';
	Luoshi__V1__HealthCheckRequest h = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	h.service = big;
	size_t body_len = luoshi__v1__health_check_request__get_packed_size(&h);
	uint8_t *body = malloc(body_len);
	assert_non_null(body);
	luoshi__v1__health_check_request__pack(&h, body);
	free(big);

	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	req.has_protocol_version = true;
	req.protocol_version = 1;
	req.has_id = true;
	req.id = 77;
	req.method = (char *)M_CHECK;
	req.has_body = true;
	req.body.data = body;
	req.body.len = body_len;
	size_t n = luoshi__v1__request__get_packed_size(&req);
	assert_true(n > BIG);
	uint8_t *data = malloc(n);
	assert_non_null(data);
	luoshi__v1__request__pack(&req, data);
	free(body);

	luoshi_client *c = e2e_client_max(srv->tcp_url, NULL, 300, 1024 * 1024);
	uint8_t *reply = NULL;
	size_t reply_len = 0;
	ls_status st;
	int rc = luoshi_client_send_bytes(c, data, n, &reply, &reply_len, &st);
	luoshi_client_close(c);
	free(data);
	free(reply);
	if (rc != LS_DEADLINE_EXCEEDED && rc != LS_UNAVAILABLE)
		fail_msg("an oversized request got %s, not DEADLINE_EXCEEDED or UNAVAILABLE",
		         ls_code_name(rc));

	int status;
	assert_int_equal(check(srv->tcp_url, NULL, &status, &st), LS_OK);
	assert_int_equal(status, LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	assert_int_equal(kill(srv->pid, 0), 0);
	assert_true(e2e_server_alive(srv));
}

/* Last: the server lived through everything above and stops cleanly on
 * SIGTERM (exit 0; under the sanitizers, with no report). A failed group
 * teardown does not fail a cmocka program, so this is a test of its own. */
static void test_stops_cleanly(void **state)
{
	(void)state;
	assert_true(e2e_server_alive(srv));
	assert_int_equal(e2e_server_stop(srv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health_tcp),
	    cmocka_unit_test(test_health_ipc),
	    cmocka_unit_test(test_health_named_service),
	    cmocka_unit_test(test_health_unknown_service),
	    cmocka_unit_test(test_list_services),
	    cmocka_unit_test(test_server_info),
	    cmocka_unit_test(test_unknown_service),
	    cmocka_unit_test(test_unknown_method),
	    cmocka_unit_test(test_garbage_message),
	    cmocka_unit_test(test_garbage_body),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_good_envelope_echoes_id),
	    cmocka_unit_test(test_protocol_version_2),
	    cmocka_unit_test(test_protocol_version_missing),
	    cmocka_unit_test(test_oversized_refused_by_client),
	    cmocka_unit_test(test_oversized_dropped_by_server),
	    cmocka_unit_test(test_stops_cleanly),
	};
	return cmocka_run_group_tests_name("e2e_rpc", tests, group_setup, group_teardown);
}
