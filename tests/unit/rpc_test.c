/* The envelope helpers: method lookup through the generated descriptors,
 * metadata, UTF-8 checks, unpacking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/import.pb-c.h"
#include "rpc.h"

static void finds_methods(void **state)
{
	(void)state;
	ls_method m;
	assert_int_equal(ls_method_find("/luoshi.v1.HealthService/Check", &m), LS_OK);
	assert_ptr_equal(m.service, &luoshi__v1__health_service__descriptor);
	assert_int_equal(m.index, 0);
	assert_ptr_equal(m.method->input, &luoshi__v1__health_check_request__descriptor);

	/* The leading slash may be left out, as grpcurl allows. */
	assert_int_equal(ls_method_find("luoshi.v1.AccountService/RevokeAccount", &m), LS_OK);
	assert_string_equal(m.method->name, "RevokeAccount");
	assert_ptr_equal(m.method->output, &luoshi__v1__revoke_account_response__descriptor);

	assert_int_equal(ls_method_find("/luoshi.v1.HealthService/Nope", &m), LS_NOT_FOUND);
	assert_int_equal(ls_method_find("/luoshi.v1.Health/Check", &m), LS_NOT_FOUND);
	assert_int_equal(ls_method_find("/luoshi.v1.HealthServiceX/Check", &m), LS_NOT_FOUND);
	assert_int_equal(ls_method_find("noslash", &m), LS_NOT_FOUND);
	assert_int_equal(ls_method_find("", &m), LS_NOT_FOUND);

	char buf[64];
	ls_method_find("/luoshi.v1.AccountService/WhoAmI", &m);
	ls_method_full_name(m.service, m.method, buf, sizeof buf);
	assert_string_equal(buf, "/luoshi.v1.AccountService/WhoAmI");
}

static void every_service_is_listed(void **state)
{
	(void)state;
	/* The generated list holds each service of proto/ once. */
	const char *want[] = {"luoshi.v1.AccountService", "luoshi.v1.HealthService",
	                      "luoshi.v1.ReflectionService"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int seen = 0;
		for (size_t k = 0; k < ls_n_service_descriptors; k++)
			seen += strcmp(ls_service_descriptors[k]->name, want[i]) == 0;
		assert_int_equal(seen, 1);
	}
}

static void metadata(void **state)
{
	(void)state;
	Luoshi__V1__Request__MetadataEntry a = LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT;
	Luoshi__V1__Request__MetadataEntry b = LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT;
	Luoshi__V1__Request__MetadataEntry *md[] = {&a, &b};
	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	a.key = "authorization";
	a.value = "Bearer x";
	b.key = "idempotency-key";
	b.value = "k1";
	req.n_metadata = 2;
	req.metadata = md;
	assert_string_equal(ls_metadata_get(&req, "idempotency-key"), "k1");
	assert_string_equal(ls_metadata_get(&req, "authorization"), "Bearer x");
	assert_null(ls_metadata_get(&req, "Authorization"));
	assert_null(ls_metadata_get(&req, "request-id"));
}

static void utf8(void **state)
{
	(void)state;
	assert_true(ls_utf8_valid("", 0));
	assert_true(ls_utf8_valid("plain", 5));
	assert_true(ls_utf8_valid("五乡镇", strlen("五乡镇")));
	assert_true(ls_utf8_valid("\xf0\x9f\x98\x80", 4));          /* U+1F600 */
	assert_true(ls_utf8_valid("\xf4\x8f\xbf\xbf", 4));          /* U+10FFFF */
	assert_false(ls_utf8_valid("\xff", 1));
	assert_false(ls_utf8_valid("\xc0\xaf", 2));                 /* overlong '/' */
	assert_false(ls_utf8_valid("\xe0\x80\xaf", 3));             /* overlong */
	assert_false(ls_utf8_valid("\xed\xa0\x80", 3));             /* surrogate D800 */
	assert_false(ls_utf8_valid("\xf4\x90\x80\x80", 4));         /* above U+10FFFF */
	assert_false(ls_utf8_valid("\xe4\xb9", 2));                 /* cut short */
	assert_false(ls_utf8_valid("\xe4\x41\x41", 3));             /* bad continuation */
}

static void unpack_checks_strings(void **state)
{
	(void)state;
	Luoshi__V1__CreateAccountRequest in = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	in.name = "ok \xe4\xb9\xa1";
	in.unit = "bad \xff";
	uint8_t *buf;
	size_t len;
	assert_int_equal(ls_message_pack(&in.base, &buf, &len), LS_OK);
	ProtobufCMessage *out;
	ls_status st;
	ls_status_clear(&st);
	assert_int_equal(ls_message_unpack(&luoshi__v1__create_account_request__descriptor, buf, len,
	                                   "the request body", &out, &st),
	                 LS_INVALID_ARGUMENT);
	assert_null(out);
	assert_string_equal(st.field, "unit");
	free(buf);

	in.unit = "office";
	ls_message_pack(&in.base, &buf, &len);
	assert_int_equal(ls_message_unpack(&luoshi__v1__create_account_request__descriptor, buf, len,
	                                   "the request body", &out, &st),
	                 LS_OK);
	assert_string_equal(((Luoshi__V1__CreateAccountRequest *)out)->unit, "office");
	protobuf_c_message_free_unpacked(out, NULL);
	free(buf);

	/* Bytes that are no protobuf at all. */
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	assert_int_equal(ls_message_unpack(&luoshi__v1__request__descriptor, junk, sizeof junk,
	                                   "the envelope", &out, &st),
	                 LS_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "the envelope"));
}

static void nested_paths(void **state)
{
	(void)state;
	/* A bad string deep in a repeated field is named by its path. */
	Luoshi__V1__Request__MetadataEntry a = LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT;
	Luoshi__V1__Request__MetadataEntry b = LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT;
	Luoshi__V1__Request__MetadataEntry *md[] = {&a, &b};
	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	a.key = "k";
	a.value = "v";
	b.key = "k2";
	b.value = "\xc3";
	req.n_metadata = 2;
	req.metadata = md;
	ls_status st;
	ls_status_clear(&st);
	assert_int_equal(ls_message_check_utf8(&req.base, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "metadata[1].value");
}

/* A oneof's members share their storage: a bad string is named under the
 * member that is set, not under the first member of the oneof. */
static void oneof_paths(void **state)
{
	(void)state;
	Luoshi__V1__CreateTaskRequest task = LUOSHI__V1__CREATE_TASK_REQUEST__INIT;
	task.project = "P1";
	task.description = "bad \xe4\xb9";
	Luoshi__V1__ImportRow row = LUOSHI__V1__IMPORT_ROW__INIT;
	row.row_case = LUOSHI__V1__IMPORT_ROW__ROW_TASK;
	row.task = &task;
	Luoshi__V1__ImportRow *rows[] = {&row};
	Luoshi__V1__ImportRegistryRequest req = LUOSHI__V1__IMPORT_REGISTRY_REQUEST__INIT;
	req.n_rows = 1;
	req.rows = rows;
	ls_status st;
	ls_status_clear(&st);
	assert_int_equal(ls_message_check_utf8(&req.base, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "rows[0].task.description");
	task.description = "落实";
	assert_int_equal(ls_message_check_utf8(&req.base, &st), LS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(finds_methods),   cmocka_unit_test(every_service_is_listed),
	    cmocka_unit_test(metadata),        cmocka_unit_test(utf8),
	    cmocka_unit_test(unpack_checks_strings), cmocka_unit_test(nested_paths),
	    cmocka_unit_test(oneof_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
