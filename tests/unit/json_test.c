/* common/json.c: the protobuf JSON mapping, checked against JSON texts and
 * field values worked out by hand. Every failure case also checks that
 * nothing is returned; run under ASan, the leak checker shows that nothing
 * is left behind either. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "jsontest.pb-c.h"
#include "luoshi/v1/account.pb-c.h"
#include "rpc.h"

#define ALL_DESC (&luoshi__test__all__descriptor)

static void assert_json(const void *msg, const char *expected)
{
	json_t *j = ls_json_from_message(msg);
	assert_non_null(j);
	char *text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	assert_string_equal(text, expected);
	free(text);
	json_decref(j);
}

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, err.text);
	return j;
}

static void *parse_json_ok(const ProtobufCMessageDescriptor *d, const json_t *j)
{
	ls_status st;
	ls_status_clear(&st);
	ProtobufCMessage *m = NULL;
	int rc = ls_json_to_message(d, j, &m, &st);
	if (rc != 0)
		fail_msg("unexpected error %d at \"%s\": %s", rc, st.field, st.message);
	assert_non_null(m);
	assert_ptr_equal(m->descriptor, d);
	return m;
}

static void *parse_ok(const ProtobufCMessageDescriptor *d, const char *text)
{
	json_t *j = load(text);
	void *m = parse_json_ok(d, j);
	json_decref(j);
	return m;
}

/* Checks that j is refused at field; returns the message for tests that
 * check it too. */
static const char *parse_json_fails(const ProtobufCMessageDescriptor *d, const json_t *j,
                                    const char *field)
{
	static ls_status st;
	ls_status_clear(&st);
	ProtobufCMessage *m = (ProtobufCMessage *)&st; /* must be overwritten */
	int rc = ls_json_to_message(d, j, &m, &st);
	assert_int_equal(rc, LS_INVALID_ARGUMENT);
	assert_int_equal(st.code, LS_INVALID_ARGUMENT);
	assert_null(m);
	assert_string_equal(st.field, field);
	return st.message;
}

static const char *parse_fails(const ProtobufCMessageDescriptor *d, const char *text,
                               const char *field)
{
	json_t *j = load(text);
	const char *msg = parse_json_fails(d, j, field);
	json_decref(j);
	return msg;
}

/* Parses text and checks that printing the result gives the same text. */
static void round_trip(const ProtobufCMessageDescriptor *d, const char *text)
{
	ProtobufCMessage *m = parse_ok(d, text);
	assert_json(m, text);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void free_msg(void *m)
{
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_empty(void **state)
{
	(void)state;
	Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
	assert_json(&all, "{}");

	Luoshi__Test__All *m = parse_ok(ALL_DESC, "{}");
	assert_false(m->has_f_int32);
	assert_null(m->f_string);
	assert_null(m->sub);
	assert_int_equal(m->n_subs, 0);
	assert_int_equal(m->choice_case, LUOSHI__TEST__ALL__CHOICE__NOT_SET);
	assert_json(m, "{}");
	free_msg(m);

	assert_null(ls_json_from_message(NULL));
}

#define SCALARS                                                                         \
	"{\"fInt32\":-5,\"fInt64\":\"-9223372036854775808\",\"fUint32\":4294967295,"    \
	"\"fUint64\":\"18446744073709551615\",\"fSint32\":-7,\"fSint64\":\"-8\","       \
	"\"fFixed32\":9,\"fFixed64\":\"10\",\"fSfixed32\":-11,\"fSfixed64\":\"-12\","   \
	"\"fFloat\":0.5,\"fDouble\":-1.25,\"fBool\":true,\"fString\":\"h\xC3\xA9llo\"," \
	"\"fBytes\":\"AAEC/w==\",\"fEnum\":\"COLOR_BLUE\",\"sub\":{\"name\":\"s\",\"n\":0}}"

static void test_scalars_out(void **state)
{
	(void)state;
	static uint8_t bytes[] = {0x00, 0x01, 0x02, 0xff};
	Luoshi__Test__Sub sub = LUOSHI__TEST__SUB__INIT;
	sub.name = "s";
	sub.has_n = 1;
	Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
	all.has_f_int32 = 1;
	all.f_int32 = -5;
	all.has_f_int64 = 1;
	all.f_int64 = INT64_MIN;
	all.has_f_uint32 = 1;
	all.f_uint32 = UINT32_MAX;
	all.has_f_uint64 = 1;
	all.f_uint64 = UINT64_MAX;
	all.has_f_sint32 = 1;
	all.f_sint32 = -7;
	all.has_f_sint64 = 1;
	all.f_sint64 = -8;
	all.has_f_fixed32 = 1;
	all.f_fixed32 = 9;
	all.has_f_fixed64 = 1;
	all.f_fixed64 = 10;
	all.has_f_sfixed32 = 1;
	all.f_sfixed32 = -11;
	all.has_f_sfixed64 = 1;
	all.f_sfixed64 = -12;
	all.has_f_float = 1;
	all.f_float = 0.5f;
	all.has_f_double = 1;
	all.f_double = -1.25;
	all.has_f_bool = 1;
	all.f_bool = 1;
	all.f_string = "h\xC3\xA9llo";
	all.has_f_bytes = 1;
	all.f_bytes.data = bytes;
	all.f_bytes.len = sizeof bytes;
	all.has_f_enum = 1;
	all.f_enum = LUOSHI__TEST__COLOR__COLOR_BLUE;
	all.sub = &sub;
	assert_json(&all, SCALARS);
}

static void test_scalars_in(void **state)
{
	(void)state;
	Luoshi__Test__All *m = parse_ok(ALL_DESC, SCALARS);
	assert_true(m->has_f_int32);
	assert_int_equal(m->f_int32, -5);
	assert_true(m->has_f_int64);
	assert_true(m->f_int64 == INT64_MIN);
	assert_true(m->has_f_uint32);
	assert_true(m->f_uint32 == UINT32_MAX);
	assert_true(m->has_f_uint64);
	assert_true(m->f_uint64 == UINT64_MAX);
	assert_true(m->has_f_sint32);
	assert_int_equal(m->f_sint32, -7);
	assert_true(m->has_f_sint64);
	assert_true(m->f_sint64 == -8);
	assert_true(m->has_f_fixed32);
	assert_int_equal(m->f_fixed32, 9);
	assert_true(m->has_f_fixed64);
	assert_true(m->f_fixed64 == 10);
	assert_true(m->has_f_sfixed32);
	assert_int_equal(m->f_sfixed32, -11);
	assert_true(m->has_f_sfixed64);
	assert_true(m->f_sfixed64 == -12);
	assert_true(m->has_f_float);
	assert_true(m->f_float == 0.5f);
	assert_true(m->has_f_double);
	assert_true(m->f_double == -1.25);
	assert_true(m->has_f_bool);
	assert_true(m->f_bool);
	assert_string_equal(m->f_string, "h\xC3\xA9llo");
	assert_true(m->has_f_bytes);
	assert_int_equal(m->f_bytes.len, 4);
	assert_memory_equal(m->f_bytes.data, "\x00\x01\x02\xff", 4);
	assert_true(m->has_f_enum);
	assert_int_equal(m->f_enum, LUOSHI__TEST__COLOR__COLOR_BLUE);
	assert_non_null(m->sub);
	assert_string_equal(m->sub->name, "s");
	assert_true(m->sub->has_n);
	assert_int_equal(m->sub->n, 0);
	assert_false(m->has_int_with_default);
	assert_json(m, SCALARS);
	free_msg(m);
}

#define REPEATED                                                                             \
	"{\"rInt32\":[1,-2],\"rInt64\":[\"3\",\"-4\"],\"rUint32\":[5],"                      \
	"\"rUint64\":[\"18446744073709551615\"],\"rSint32\":[-6],\"rSint64\":[\"-7\"],"      \
	"\"rFixed32\":[8],\"rFixed64\":[\"9\"],\"rSfixed32\":[-10],\"rSfixed64\":[\"-11\"]," \
	"\"rFloat\":[1.5,-0.25],\"rDouble\":[2.5],\"rBool\":[true,false],"                   \
	"\"rString\":[\"a\",\"\"],\"rBytes\":[\"\",\"AQ==\"],"                               \
	"\"rEnum\":[\"COLOR_RED\",\"COLOR_UNSPECIFIED\"],"                                   \
	"\"subs\":[{},{\"name\":\"x\",\"tags\":[\"t\",\"u\"]}]}"

static void test_repeated(void **state)
{
	(void)state;
	Luoshi__Test__All *m = parse_ok(ALL_DESC, REPEATED);
	assert_int_equal(m->n_r_int32, 2);
	assert_int_equal(m->r_int32[0], 1);
	assert_int_equal(m->r_int32[1], -2);
	assert_int_equal(m->n_r_int64, 2);
	assert_true(m->r_int64[0] == 3 && m->r_int64[1] == -4);
	assert_true(m->n_r_uint64 == 1 && m->r_uint64[0] == UINT64_MAX);
	assert_true(m->n_r_sint32 == 1 && m->r_sint32[0] == -6);
	assert_true(m->n_r_float == 2 && m->r_float[0] == 1.5f && m->r_float[1] == -0.25f);
	assert_true(m->n_r_bool == 2 && m->r_bool[0] && !m->r_bool[1]);
	assert_int_equal(m->n_r_string, 2);
	assert_string_equal(m->r_string[0], "a");
	assert_string_equal(m->r_string[1], "");
	assert_int_equal(m->n_r_bytes, 2);
	assert_int_equal(m->r_bytes[0].len, 0);
	assert_int_equal(m->r_bytes[1].len, 1);
	assert_int_equal(m->r_bytes[1].data[0], 1);
	assert_int_equal(m->n_r_enum, 2);
	assert_int_equal(m->r_enum[0], LUOSHI__TEST__COLOR__COLOR_RED);
	assert_int_equal(m->r_enum[1], LUOSHI__TEST__COLOR__COLOR_UNSPECIFIED);
	assert_int_equal(m->n_subs, 2);
	assert_null(m->subs[0]->name);
	assert_string_equal(m->subs[1]->name, "x");
	assert_int_equal(m->subs[1]->n_tags, 2);
	assert_string_equal(m->subs[1]->tags[1], "u");
	assert_json(m, REPEATED);

	/* The message must be as protobuf-c would build it: pack it and
	 * unpack it again and the JSON is unchanged. */
	size_t len = protobuf_c_message_get_packed_size(&m->base);
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	assert_int_equal(protobuf_c_message_pack(&m->base, buf), len);
	ProtobufCMessage *back = protobuf_c_message_unpack(ALL_DESC, NULL, len, buf);
	assert_non_null(back);
	assert_json(back, REPEATED);
	free(buf);
	free_msg(back);
	free_msg(m);

	/* An enum number that is not a value prints as the number. */
	Luoshi__Test__Color colors[] = {LUOSHI__TEST__COLOR__COLOR_GREEN, 3};
	Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
	all.n_r_enum = 2;
	all.r_enum = colors;
	assert_json(&all, "{\"rEnum\":[\"COLOR_GREEN\",3]}");
}

static void test_proto_names(void **state)
{
	(void)state;
	Luoshi__Test__All *m = parse_ok(ALL_DESC, "{\"f_int32\":1,\"r_string\":[\"x\"],"
	                                          "\"subs_by_id\":{\"1\":{}},"
	                                          "\"choice_name\":\"c\",\"with_default\":\"w\"}");
	assert_true(m->has_f_int32);
	assert_int_equal(m->f_int32, 1);
	assert_int_equal(m->n_r_string, 1);
	assert_int_equal(m->n_subs_by_id, 1);
	assert_int_equal(m->choice_case, LUOSHI__TEST__ALL__CHOICE_CHOICE_NAME);
	assert_json(m, "{\"fInt32\":1,\"rString\":[\"x\"],\"subsById\":{\"1\":{}},"
	               "\"choiceName\":\"c\",\"withDefault\":\"w\"}");
	free_msg(m);

	Luoshi__V1__ListAccountsRequest *req =
	    parse_ok(&luoshi__v1__list_accounts_request__descriptor,
	             "{\"page_size\":5,\"pageToken\":\"t\",\"include_revoked\":true}");
	assert_true(req->has_page_size);
	assert_int_equal(req->page_size, 5);
	assert_string_equal(req->page_token, "t");
	assert_true(req->has_include_revoked && req->include_revoked);
	assert_json(req, "{\"pageSize\":5,\"pageToken\":\"t\",\"includeRevoked\":true}");
	free_msg(req);

	/* Both spellings name one field, which may be given only once. */
	const char *msg = parse_fails(ALL_DESC, "{\"fInt32\":1,\"f_int32\":2}", "f_int32");
	assert_string_equal(msg, "f_int32: given more than once");
	/* Only the lowerCamelCase form is a JSON name; other casings are not. */
	parse_fails(ALL_DESC, "{\"FInt32\":1}", "FInt32");
	parse_fails(ALL_DESC, "{\"fint32\":1}", "fint32");
}

static void test_int64(void **state)
{
	(void)state;
	Luoshi__Test__All *m = parse_ok(ALL_DESC, "{\"fInt64\":\"-9223372036854775808\","
	                                          "\"fUint64\":\"18446744073709551615\","
	                                          "\"fSint64\":-5,\"fFixed64\":12345678901234,"
	                                          "\"fSfixed64\":\"7\",\"rInt64\":[1e3,\"-0\"]}");
	assert_true(m->has_f_int64 && m->f_int64 == INT64_MIN);
	assert_true(m->has_f_uint64 && m->f_uint64 == UINT64_MAX);
	assert_true(m->has_f_sint64 && m->f_sint64 == -5);
	assert_true(m->has_f_fixed64 && m->f_fixed64 == 12345678901234u);
	assert_true(m->has_f_sfixed64 && m->f_sfixed64 == 7);
	assert_true(m->n_r_int64 == 2 && m->r_int64[0] == 1000 && m->r_int64[1] == 0);
	assert_json(m, "{\"fInt64\":\"-9223372036854775808\",\"fUint64\":\"18446744073709551615\","
	               "\"fSint64\":\"-5\",\"fFixed64\":\"12345678901234\",\"fSfixed64\":\"7\","
	               "\"rInt64\":[\"1000\",\"0\"]}");
	free_msg(m);

	m = parse_ok(ALL_DESC, "{\"fInt64\":9223372036854775807,\"fUint64\":0}");
	assert_true(m->f_int64 == INT64_MAX);
	assert_true(m->has_f_uint64 && m->f_uint64 == 0);
	free_msg(m);

	const char *msg = parse_fails(ALL_DESC, "{\"fUint64\":-1}", "f_uint64");
	assert_string_equal(msg, "f_uint64: out of range for uint64");
	parse_fails(ALL_DESC, "{\"fUint64\":\"18446744073709551616\"}", "f_uint64");
	parse_fails(ALL_DESC, "{\"fInt64\":\"9223372036854775808\"}", "f_int64");
	parse_fails(ALL_DESC, "{\"fInt64\":\"-9223372036854775809\"}", "f_int64");
	msg = parse_fails(ALL_DESC, "{\"fInt64\":\"12a\"}", "f_int64");
	assert_string_equal(msg, "f_int64: \"12a\" is not an integer");
	parse_fails(ALL_DESC, "{\"fInt64\":\"\"}", "f_int64");
	parse_fails(ALL_DESC, "{\"fInt64\":\"-\"}", "f_int64");
	parse_fails(ALL_DESC, "{\"fInt64\":\" 1\"}", "f_int64");
	parse_fails(ALL_DESC, "{\"fInt64\":\"+1\"}", "f_int64");
	parse_fails(ALL_DESC, "{\"fInt64\":1.5}", "f_int64");
	parse_fails(ALL_DESC, "{\"fInt64\":1e19}", "f_int64");
	msg = parse_fails(ALL_DESC, "{\"fSfixed64\":true}", "f_sfixed64");
	assert_string_equal(msg, "f_sfixed64: expected sfixed64, got a boolean");
}

static void test_int32(void **state)
{
	(void)state;
	const char *msg = parse_fails(ALL_DESC, "{\"fInt32\":\"2147483648\"}", "f_int32");
	assert_string_equal(msg, "f_int32: out of range for int32");
	parse_fails(ALL_DESC, "{\"fInt32\":2147483648}", "f_int32");
	parse_fails(ALL_DESC, "{\"fInt32\":-2147483649}", "f_int32");
	parse_fails(ALL_DESC, "{\"fSint32\":\"-2147483649\"}", "f_sint32");
	msg = parse_fails(ALL_DESC, "{\"fInt32\":1.5}", "f_int32");
	assert_string_equal(msg, "f_int32: not an integer");
	parse_fails(ALL_DESC, "{\"fInt32\":\"1.0\"}", "f_int32");
	parse_fails(ALL_DESC, "{\"fUint32\":-1}", "f_uint32");
	parse_fails(ALL_DESC, "{\"fUint32\":4294967296}", "f_uint32");
	parse_fails(ALL_DESC, "{\"fFixed32\":\"4294967296\"}", "f_fixed32");
	parse_fails(ALL_DESC, "{\"fInt32\":{}}", "f_int32");
	parse_fails(ALL_DESC, "{\"rInt32\":[1,\"x\"]}", "r_int32[1]");

	Luoshi__Test__All *m =
	    parse_ok(ALL_DESC, "{\"fInt32\":\"-2147483648\",\"fUint32\":4294967295,"
	                       "\"fSint32\":\"12\",\"fSfixed32\":3.0,"
	                       "\"fFixed32\":\"0\"}");
	assert_true(m->has_f_int32 && m->f_int32 == INT32_MIN);
	assert_true(m->has_f_uint32 && m->f_uint32 == UINT32_MAX);
	assert_true(m->has_f_sint32 && m->f_sint32 == 12);
	assert_true(m->has_f_sfixed32 && m->f_sfixed32 == 3);
	assert_true(m->has_f_fixed32 && m->f_fixed32 == 0);
	assert_json(m, "{\"fInt32\":-2147483648,\"fUint32\":4294967295,\"fSint32\":12,"
	               "\"fFixed32\":0,\"fSfixed32\":3}");
	free_msg(m);
}

static void test_enum(void **state)
{
	(void)state;
	Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
	all.has_f_enum = 1;
	assert_json(&all, "{\"fEnum\":\"COLOR_UNSPECIFIED\"}");
	all.f_enum = 99;
	assert_json(&all, "{\"fEnum\":99}");

	Luoshi__Test__All *m = parse_ok(ALL_DESC, "{\"fEnum\":\"COLOR_GREEN\"}");
	assert_true(m->has_f_enum);
	assert_int_equal(m->f_enum, LUOSHI__TEST__COLOR__COLOR_GREEN);
	free_msg(m);
	m = parse_ok(ALL_DESC, "{\"fEnum\":5,\"rEnum\":[\"COLOR_RED\",2,0]}");
	assert_int_equal(m->f_enum, LUOSHI__TEST__COLOR__COLOR_BLUE);
	assert_int_equal(m->n_r_enum, 3);
	assert_int_equal(m->r_enum[1], LUOSHI__TEST__COLOR__COLOR_GREEN);
	assert_json(m, "{\"fEnum\":\"COLOR_BLUE\","
	               "\"rEnum\":[\"COLOR_RED\",\"COLOR_GREEN\",\"COLOR_UNSPECIFIED\"]}");
	free_msg(m);

	const char *msg = parse_fails(ALL_DESC, "{\"fEnum\":\"COLOR_PURPLE\"}", "f_enum");
	assert_string_equal(msg, "f_enum: \"COLOR_PURPLE\" is not a value of luoshi.test.Color");
	msg = parse_fails(ALL_DESC, "{\"fEnum\":3}", "f_enum");
	assert_string_equal(msg, "f_enum: 3 is not a value of luoshi.test.Color");
	parse_fails(ALL_DESC, "{\"fEnum\":\"color_red\"}", "f_enum");
	parse_fails(ALL_DESC, "{\"fEnum\":\"1\"}", "f_enum");
	parse_fails(ALL_DESC, "{\"fEnum\":1.0}", "f_enum");
	parse_fails(ALL_DESC, "{\"fEnum\":4294967297}", "f_enum");
	parse_fails(ALL_DESC, "{\"rEnum\":[\"COLOR_RED\",\"BAD\"]}", "r_enum[1]");

	Luoshi__V1__Account *acct =
	    parse_ok(&luoshi__v1__account__descriptor, "{\"role\":\"ROLE_ADMIN\"}");
	assert_true(acct->has_role);
	assert_int_equal(acct->role, LUOSHI__V1__ROLE__ROLE_ADMIN);
	assert_json(acct, "{\"role\":\"ROLE_ADMIN\"}");
	free_msg(acct);
}

static void test_unknown_field(void **state)
{
	(void)state;
	const char *msg = parse_fails(ALL_DESC, "{\"bogus\":1}", "bogus");
	assert_string_equal(msg, "bogus: unknown field");
	parse_fails(ALL_DESC, "{\"sub\":{\"nope\":1}}", "sub.nope");
	msg = parse_fails(ALL_DESC, "{\"subs\":[{},{\"x\":1}]}", "subs[1].x");
	assert_string_equal(msg, "subs[1].x: unknown field");
	parse_fails(ALL_DESC, "{\"subsById\":{\"4\":{\"zz\":null}}}", "subs_by_id[\"4\"].zz");
	/* A JSON null does not make an unknown name acceptable. */
	parse_fails(ALL_DESC, "{\"fInt32\":1,\"nothing\":null}", "nothing");
}

static void test_wrong_type(void **state)
{
	(void)state;
	const char *msg = parse_fails(ALL_DESC, "{\"fString\":5}", "f_string");
	assert_string_equal(msg, "f_string: expected a string, got a number");
	parse_fails(ALL_DESC, "{\"fBool\":\"true\"}", "f_bool");
	parse_fails(ALL_DESC, "{\"fBool\":1}", "f_bool");
	msg = parse_fails(ALL_DESC, "{\"sub\":[]}", "sub");
	assert_string_equal(msg, "sub: expected an object, got an array");
	parse_fails(ALL_DESC, "{\"rInt32\":5}", "r_int32");
	parse_fails(ALL_DESC, "{\"subs\":{}}", "subs");
	parse_fails(ALL_DESC, "{\"labels\":[]}", "labels");
	parse_fails(ALL_DESC, "{\"fBytes\":1}", "f_bytes");
	parse_fails(ALL_DESC, "{\"fDouble\":\"abc\"}", "f_double");
	parse_fails(ALL_DESC, "{\"fDouble\":\" 1\"}", "f_double");
	parse_fails(ALL_DESC, "{\"fDouble\":\"inf\"}", "f_double");
	parse_fails(ALL_DESC, "{\"fDouble\":[]}", "f_double");
	parse_fails(ALL_DESC, "{\"subs\":[{\"name\":5}]}", "subs[0].name");
	parse_fails(ALL_DESC, "{\"subs\":[1]}", "subs[0]");

	json_t *arr = load("[]");
	msg = parse_json_fails(ALL_DESC, arr, "");
	assert_string_equal(msg, "expected an object, got an array");
	json_decref(arr);
	parse_json_fails(ALL_DESC, NULL, "");

	/* st may be left out when the caller only needs the outcome. */
	json_t *j = load("{\"fString\":5}");
	ProtobufCMessage *m = NULL;
	assert_int_equal(ls_json_to_message(ALL_DESC, j, &m, NULL), LS_INVALID_ARGUMENT);
	assert_null(m);
	json_decref(j);
}

static void test_nested_paths(void **state)
{
	(void)state;
	parse_fails(ALL_DESC, "{\"subs\":[{\"name\":\"ok\"},{\"name\":5}]}", "subs[1].name");
	parse_fails(ALL_DESC, "{\"subs\":[{},{\"tags\":[\"a\",1]}]}", "subs[1].tags[1]");
	parse_fails(ALL_DESC, "{\"sub\":{\"tags\":[\"a\",\"b\",null]}}", "sub.tags[2]");
	const char *msg = parse_fails(ALL_DESC, "{\"rInt32\":[1,null]}", "r_int32[1]");
	assert_string_equal(msg, "r_int32[1]: null is not allowed in a list");
	parse_fails(ALL_DESC, "{\"subsById\":{\"1\":{\"tags\":[\"a\",\"b\",5]}}}",
	            "subs_by_id[\"1\"].tags[2]");
	parse_fails(ALL_DESC, "{\"choiceSub\":{\"n\":\"x\"}}", "choice_sub.n");

	/* The path after an error in an earlier sibling is not left over. */
	parse_fails(ALL_DESC, "{\"subs\":[{\"name\":\"a\"}],\"sub\":{\"n\":true}}", "sub.n");
}

static void test_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *bin;
		size_t len;
		const char *b64;
	} cases[] = {
	    {"", 0, ""},
	    {"f", 1, "Zg=="},
	    {"fo", 2, "Zm8="},
	    {"foo", 3, "Zm9v"},
	    {"\x00\x01\x02\xff", 4, "AAEC/w=="},
	    {"\xfb\xff", 2, "+/8="},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
		all.has_f_bytes = 1;
		all.f_bytes.data = (uint8_t *)cases[i].bin;
		all.f_bytes.len = cases[i].len;
		char text[64];
		snprintf(text, sizeof text, "{\"fBytes\":\"%s\"}", cases[i].b64);
		assert_json(&all, text);
		Luoshi__Test__All *m = parse_ok(ALL_DESC, text);
		assert_true(m->has_f_bytes);
		assert_int_equal(m->f_bytes.len, cases[i].len);
		if (cases[i].len > 0)
			assert_memory_equal(m->f_bytes.data, cases[i].bin, cases[i].len);
		free_msg(m);
	}

	/* URL-safe and unpadded forms are accepted too. */
	static const char *const forms[] = {"+/8", "-_8=", "-_8"};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char text[64];
		snprintf(text, sizeof text, "{\"rBytes\":[\"%s\"]}", forms[i]);
		Luoshi__Test__All *m = parse_ok(ALL_DESC, text);
		assert_int_equal(m->n_r_bytes, 1);
		assert_int_equal(m->r_bytes[0].len, 2);
		assert_memory_equal(m->r_bytes[0].data, "\xfb\xff", 2);
		free_msg(m);
	}

	const char *msg = parse_fails(ALL_DESC, "{\"fBytes\":\"A\"}", "f_bytes");
	assert_string_equal(msg, "f_bytes: not valid base64");
	parse_fails(ALL_DESC, "{\"fBytes\":\"Zm9v!\"}", "f_bytes");
	parse_fails(ALL_DESC, "{\"fBytes\":\"Zg=\"}", "f_bytes");
	parse_fails(ALL_DESC, "{\"fBytes\":\"Zm 9v\"}", "f_bytes");
	parse_fails(ALL_DESC, "{\"rBytes\":[\"AA==\",\"%%%%\"]}", "r_bytes[1]");
}

#define MAPS                                                              \
	"{\"labels\":{\"a\":\"1\",\"b\":\"\"},"                           \
	"\"subsById\":{\"5\":{\"name\":\"x\"},\"-3\":{}},"                \
	"\"colors\":{\"1\":\"COLOR_RED\",\"4294967295\":\"COLOR_BLUE\"}," \
	"\"flags\":{\"true\":1,\"false\":0}}"

static void test_maps(void **state)
{
	(void)state;
	Luoshi__Test__All *m = parse_ok(ALL_DESC, MAPS);
	assert_int_equal(m->n_labels, 2);
	assert_string_equal(m->labels[0]->key, "a");
	assert_string_equal(m->labels[0]->value, "1");
	assert_string_equal(m->labels[1]->key, "b");
	assert_string_equal(m->labels[1]->value, "");
	assert_int_equal(m->n_subs_by_id, 2);
	assert_true(m->subs_by_id[0]->has_key && m->subs_by_id[0]->key == 5);
	assert_string_equal(m->subs_by_id[0]->value->name, "x");
	assert_true(m->subs_by_id[1]->key == -3);
	assert_non_null(m->subs_by_id[1]->value);
	assert_int_equal(m->n_colors, 2);
	assert_true(m->colors[1]->has_key && m->colors[1]->key == UINT32_MAX);
	assert_true(m->colors[1]->has_value);
	assert_int_equal(m->colors[1]->value, LUOSHI__TEST__COLOR__COLOR_BLUE);
	assert_int_equal(m->n_flags, 2);
	assert_true(m->flags[0]->has_key && m->flags[0]->key);
	assert_true(m->flags[0]->has_value && m->flags[0]->value == 1);
	assert_true(m->flags[1]->has_key && !m->flags[1]->key);
	assert_json(m, MAPS);
	free_msg(m);

	/* An entry whose value is absent prints its value's default. */
	Luoshi__Test__All__SubsByIdEntry e = LUOSHI__TEST__ALL__SUBS_BY_ID_ENTRY__INIT;
	Luoshi__Test__All__SubsByIdEntry *entries[] = {&e};
	Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
	all.n_subs_by_id = 1;
	all.subs_by_id = entries;
	assert_json(&all, "{\"subsById\":{\"0\":{}}}");

	const char *msg = parse_fails(ALL_DESC, "{\"subsById\":{\"x\":{}}}", "subs_by_id[\"x\"]");
	assert_string_equal(msg, "subs_by_id[\"x\"]: \"x\" is not an integer");
	parse_fails(ALL_DESC, "{\"subsById\":{\"9223372036854775808\":{}}}",
	            "subs_by_id[\"9223372036854775808\"]");
	parse_fails(ALL_DESC, "{\"labels\":{\"a\":\"b\",\"k\":5}}", "labels[\"k\"]");
	parse_fails(ALL_DESC, "{\"labels\":{\"k\":null}}", "labels[\"k\"]");
	parse_fails(ALL_DESC, "{\"colors\":{\"1\":\"NOPE\"}}", "colors[\"1\"]");
	parse_fails(ALL_DESC, "{\"colors\":{\"-1\":\"COLOR_RED\"}}", "colors[\"-1\"]");
	parse_fails(ALL_DESC, "{\"flags\":{\"yes\":1}}", "flags[\"yes\"]");

	/* A numeric key is read only as the mapping writes it, so that two
	 * spellings cannot give one key twice (found by fuzz_json). */
	msg = parse_fails(ALL_DESC, "{\"subsById\":{\"1\":{},\"01\":{}}}", "subs_by_id[\"01\"]");
	assert_string_equal(msg, "subs_by_id[\"01\"]: key is not written as 1");
	parse_fails(ALL_DESC, "{\"subsById\":{\"-0\":{}}}", "subs_by_id[\"-0\"]");
	parse_fails(ALL_DESC, "{\"colors\":{\"007\":\"COLOR_RED\"}}", "colors[\"007\"]");
}

#define REQUEST                                                                               \
	"{\"protocolVersion\":1,\"id\":\"42\",\"method\":\"/luoshi.v1.HealthService/Check\"," \
	"\"metadata\":{\"authorization\":\"Bearer abc\",\"request-id\":\"r1\"},"              \
	"\"timeoutMs\":500,\"body\":\"CgA=\"}"

static void test_request_metadata(void **state)
{
	(void)state;
	Luoshi__V1__Request *req = parse_ok(&luoshi__v1__request__descriptor, REQUEST);
	assert_true(req->has_protocol_version && req->protocol_version == 1);
	assert_true(req->has_id && req->id == 42);
	assert_string_equal(req->method, "/luoshi.v1.HealthService/Check");
	assert_int_equal(req->n_metadata, 2);
	assert_string_equal(ls_metadata_get(req, LS_MD_AUTHORIZATION), "Bearer abc");
	assert_string_equal(ls_metadata_get(req, LS_MD_REQUEST_ID), "r1");
	assert_true(req->has_body && req->body.len == 2);
	assert_memory_equal(req->body.data, "\x0a\x00", 2);
	assert_json(req, REQUEST);
	free_msg(req);

	parse_fails(&luoshi__v1__request__descriptor, "{\"metadata\":{\"k\":1}}",
	            "metadata[\"k\"]");
}

static void test_oneof(void **state)
{
	(void)state;
	Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
	all.choice_case = LUOSHI__TEST__ALL__CHOICE_CHOICE_NUMBER;
	all.choice_number = 0;
	assert_json(&all, "{\"choiceNumber\":0}");

	Luoshi__Test__All *m = parse_ok(ALL_DESC, "{\"choiceName\":\"n\"}");
	assert_int_equal(m->choice_case, LUOSHI__TEST__ALL__CHOICE_CHOICE_NAME);
	assert_string_equal(m->choice_name, "n");
	assert_json(m, "{\"choiceName\":\"n\"}");
	free_msg(m);

	m = parse_ok(ALL_DESC, "{\"choiceSub\":{\"n\":2}}");
	assert_int_equal(m->choice_case, LUOSHI__TEST__ALL__CHOICE_CHOICE_SUB);
	assert_true(m->choice_sub->has_n && m->choice_sub->n == 2);
	assert_json(m, "{\"choiceSub\":{\"n\":2}}");
	free_msg(m);

	m = parse_ok(ALL_DESC, "{\"choiceName\":null,\"choiceNumber\":-1}");
	assert_int_equal(m->choice_case, LUOSHI__TEST__ALL__CHOICE_CHOICE_NUMBER);
	assert_int_equal(m->choice_number, -1);
	free_msg(m);

	const char *msg =
	    parse_fails(ALL_DESC, "{\"choiceName\":\"n\",\"choiceNumber\":1}", "choice_number");
	assert_string_equal(msg, "choice_number: choice_name of the same oneof is already set");
	parse_fails(ALL_DESC, "{\"choiceSub\":{},\"choice_name\":\"n\"}", "choice_name");

	/* The UTF-8 check of every decoded message (common/rpc.c) looks only
	 * at the member set: it used to read this string as choice_sub, a
	 * message, past the string's end (found by fuzz_json). */
	ls_status st;
	ls_status_clear(&st);
	m = parse_ok(ALL_DESC, "{\"choiceName\":\"x\"}");
	assert_int_equal(ls_message_check_utf8(&m->base, &st), LS_OK);
	free(m->choice_name);
	m->choice_name = strdup("\xff");
	assert_int_equal(ls_message_check_utf8(&m->base, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "choice_name");
	free_msg(m);
	m = parse_ok(ALL_DESC, "{\"choiceNumber\":7}");
	assert_int_equal(ls_message_check_utf8(&m->base, &st), LS_OK);
	free_msg(m);
}

static void test_float(void **state)
{
	(void)state;
	double inf = INFINITY;
	double doubles[] = {-inf};
	Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
	all.has_f_float = 1;
	all.f_float = NAN;
	all.has_f_double = 1;
	all.f_double = inf;
	all.n_r_double = 1;
	all.r_double = doubles;
	assert_json(&all,
	            "{\"fFloat\":\"NaN\",\"fDouble\":\"Infinity\",\"rDouble\":[\"-Infinity\"]}");

	/* 0.1f is given as the double 0.1, not as 0.10000000149011612. */
	all.f_float = 0.1f;
	json_t *j = ls_json_from_message(&all.base);
	assert_non_null(j);
	assert_true(json_real_value(json_object_get(j, "fFloat")) == 0.1);
	json_decref(j);

	Luoshi__Test__All *m = parse_ok(ALL_DESC, "{\"fFloat\":\"NaN\",\"fDouble\":\"-Infinity\","
	                                          "\"rFloat\":[\"Infinity\",1,\"2.5\",0.1,"
	                                          "3.4028235e38,-3.4028235e38],"
	                                          "\"rDouble\":[\"1e-3\",-0.0]}");
	assert_true(m->has_f_float && isnan(m->f_float));
	assert_true(m->has_f_double && isinf(m->f_double) && m->f_double < 0);
	assert_int_equal(m->n_r_float, 6);
	assert_true(isinf(m->r_float[0]) && m->r_float[0] > 0);
	assert_true(m->r_float[1] == 1.0f);
	assert_true(m->r_float[2] == 2.5f);
	assert_true(m->r_float[3] == 0.1f);
	assert_true(m->r_float[4] == FLT_MAX);
	assert_true(m->r_float[5] == -FLT_MAX);
	assert_int_equal(m->n_r_double, 2);
	assert_true(m->r_double[0] == 1e-3);
	assert_true(m->r_double[1] == 0.0 && signbit(m->r_double[1]));
	free_msg(m);

	const char *msg = parse_fails(ALL_DESC, "{\"fFloat\":1e39}", "f_float");
	assert_string_equal(msg, "f_float: out of range for float");
	parse_fails(ALL_DESC, "{\"fFloat\":-3.4028236e38}", "f_float");
	parse_fails(ALL_DESC, "{\"fDouble\":\"1e400\"}", "f_double");
	parse_fails(ALL_DESC, "{\"fDouble\":\"nan\"}", "f_double");
	parse_fails(ALL_DESC, "{\"fDouble\":\"1.\"}", "f_double");
	parse_fails(ALL_DESC, "{\"fDouble\":\"0x10\"}", "f_double");
	parse_fails(ALL_DESC, "{\"fDouble\":true}", "f_double");
}

static void set_raw(json_t *obj, const char *key, const char *s, size_t n)
{
	assert_int_equal(json_object_set_new(obj, key, json_stringn_nocheck(s, n)), 0);
}

static void test_utf8(void **state)
{
	(void)state;
	/* json_loads refuses invalid UTF-8 itself, so the bad strings are put
	 * into the tree directly. */
	json_t *j = json_object();
	set_raw(j, "fString", "\xC3\x28", 2);
	const char *msg = parse_json_fails(ALL_DESC, j, "f_string");
	assert_string_equal(msg, "f_string: not valid UTF-8");
	json_decref(j);

	j = json_object();
	set_raw(j, "fString", "a\0b", 3);
	msg = parse_json_fails(ALL_DESC, j, "f_string");
	assert_string_equal(msg, "f_string: contains a NUL character");
	json_decref(j);

	j = load("{\"subs\":[{\"name\":\"ok\"},{}]}");
	set_raw(json_array_get(json_object_get(j, "subs"), 1), "name", "\xED\xA0\x80", 3);
	parse_json_fails(ALL_DESC, j, "subs[1].name");
	json_decref(j);

	j = load("{\"accounts\":[{\"id\":\"1\"},{\"id\":\"2\"},{\"id\":\"3\"}]}");
	set_raw(json_array_get(json_object_get(j, "accounts"), 2), "name", "\xff", 1);
	parse_json_fails(&luoshi__v1__list_accounts_response__descriptor, j, "accounts[2].name");
	json_decref(j);

	j = load("{\"rString\":[\"a\"]}");
	assert_int_equal(json_array_append_new(json_object_get(j, "rString"),
	                                       json_stringn_nocheck("\xE0\x80\x80", 3)),
	                 0);
	parse_json_fails(ALL_DESC, j, "r_string[1]");
	json_decref(j);

	/* A bad map key is shown in the path with U+FFFD in its place. */
	j = load("{\"labels\":{}}");
	assert_int_equal(
	    json_object_set_new_nocheck(json_object_get(j, "labels"), "k\xff", json_string("v")),
	    0);
	parse_json_fails(ALL_DESC, j, "labels[\"k\xEF\xBF\xBD\"]");
	json_decref(j);

	/* Printing cannot fail over it: bad bytes print as U+FFFD. */
	Luoshi__Test__All__LabelsEntry e = LUOSHI__TEST__ALL__LABELS_ENTRY__INIT;
	e.key = "\xC3";
	e.value = "v\xff";
	Luoshi__Test__All__LabelsEntry *entries[] = {&e};
	Luoshi__Test__All all = LUOSHI__TEST__ALL__INIT;
	all.f_string = "a\xff\xC3\xA9";
	all.n_labels = 1;
	all.labels = entries;
	assert_json(&all, "{\"fString\":\"a\xEF\xBF\xBD\xC3\xA9\","
	                  "\"labels\":{\"\xEF\xBF\xBD\":\"v\xEF\xBF\xBD\"}}");
}

static void test_defaults(void **state)
{
	(void)state;
	Luoshi__Test__All *m = parse_ok(ALL_DESC, "{}");
	assert_ptr_equal(m->with_default, luoshi__test__all__with_default__default_value);
	assert_false(m->has_int_with_default);
	assert_int_equal(m->int_with_default, 7);
	assert_false(m->has_bytes_with_default);
	assert_ptr_equal(m->bytes_with_default.data,
	                 luoshi__test__all__bytes_with_default__default_value_data);
	assert_json(m, "{}");
	free_msg(m);

	/* Given explicitly, a default value is present and printed. */
	m = parse_ok(ALL_DESC, "{\"withDefault\":\"hello\",\"intWithDefault\":7,"
	                       "\"bytesWithDefault\":\"YWI=\"}");
	assert_string_equal(m->with_default, "hello");
	assert_ptr_not_equal(m->with_default, luoshi__test__all__with_default__default_value);
	assert_true(m->has_int_with_default);
	assert_true(m->has_bytes_with_default);
	assert_ptr_not_equal(m->bytes_with_default.data,
	                     luoshi__test__all__bytes_with_default__default_value_data);
	assert_json(m, "{\"withDefault\":\"hello\",\"intWithDefault\":7,"
	               "\"bytesWithDefault\":\"YWI=\"}");
	free_msg(m);

	m = parse_ok(ALL_DESC, "{\"withDefault\":null,\"bytesWithDefault\":\"\"}");
	assert_ptr_equal(m->with_default, luoshi__test__all__with_default__default_value);
	assert_true(m->has_bytes_with_default);
	assert_int_equal(m->bytes_with_default.len, 0);
	assert_json(m, "{\"bytesWithDefault\":\"\"}");
	free_msg(m);
}

static void test_null_is_absent(void **state)
{
	(void)state;
	Luoshi__Test__All *m = parse_ok(ALL_DESC, "{\"fInt32\":null,\"sub\":null,\"rInt32\":null,"
	                                          "\"labels\":null,\"fString\":null,"
	                                          "\"fBytes\":null,\"fEnum\":null}");
	assert_false(m->has_f_int32);
	assert_null(m->sub);
	assert_int_equal(m->n_r_int32, 0);
	assert_int_equal(m->n_labels, 0);
	assert_null(m->f_string);
	assert_false(m->has_f_bytes);
	assert_false(m->has_f_enum);
	assert_json(m, "{}");
	free_msg(m);
}

static void test_required(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *d = &luoshi__test__with_required__descriptor;
	Luoshi__Test__WithRequired wr = LUOSHI__TEST__WITH_REQUIRED__INIT;
	assert_json(&wr, "{\"id\":0}");

	const char *msg = parse_fails(d, "{\"note\":\"n\"}", "id");
	assert_string_equal(msg, "id: required field missing");
	parse_fails(d, "{\"id\":null}", "id");
	Luoshi__Test__WithRequired *m = parse_ok(d, "{\"id\":3}");
	assert_int_equal(m->id, 3);
	assert_json(m, "{\"id\":3}");
	free_msg(m);
}

static char *deep_json(int levels)
{
	size_t n = (size_t)levels * 10 + 8;
	char *s = malloc(n);
	assert_non_null(s);
	size_t k = 0;
	for (int i = 1; i < levels; i++)
		k += (size_t)snprintf(s + k, n - k, "{\"next\":");
	k += (size_t)snprintf(s + k, n - k, "{\"v\":1}");
	for (int i = 1; i < levels; i++)
		s[k++] = '}';
	s[k] = '\0';
	return s;
}

static void test_depth(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *d = &luoshi__test__deep__descriptor;
	char *text = deep_json(100);
	Luoshi__Test__Deep *m = parse_ok(d, text);
	int levels = 1;
	for (Luoshi__Test__Deep *p = m; p->next != NULL; p = p->next)
		levels++;
	assert_int_equal(levels, 100);
	free_msg(m);
	free(text);

	text = deep_json(101);
	json_t *j = load(text);
	ls_status st;
	ProtobufCMessage *out = NULL;
	assert_int_equal(ls_json_to_message(d, j, &out, &st), LS_INVALID_ARGUMENT);
	assert_null(out);
	/* The path is cut short, between names, to fit the status. */
	assert_true(strncmp(st.field, "next.next.next.", 15) == 0);
	assert_true(strlen(st.field) < sizeof st.field);
	assert_int_equal(st.field[strlen(st.field) - 1], 't');
	json_decref(j);
	free(text);
}

static void test_failure_frees(void **state)
{
	(void)state;
	/* Everything built before the error is freed: ASan's leak check
	 * catches whatever is not. */
	parse_fails(
	    ALL_DESC,
	    "{\"fString\":\"x\",\"fBytes\":\"AAEC\",\"sub\":{\"name\":\"y\",\"tags\":[\"a\"]},"
	    "\"rString\":[\"a\",\"b\"],\"rBytes\":[\"AQ==\"],\"subs\":[{\"name\":\"a\"}],"
	    "\"labels\":{\"a\":\"b\"},\"subsById\":{\"1\":{\"name\":\"z\"}},"
	    "\"choiceName\":\"c\",\"withDefault\":\"w\",\"bytesWithDefault\":\"AQ==\","
	    "\"zzz\":1}",
	    "zzz");
	parse_fails(ALL_DESC, "{\"choiceSub\":{\"name\":\"q\",\"tags\":[\"a\",7]}}",
	            "choice_sub.tags[1]");
	parse_fails(ALL_DESC,
	            "{\"subsById\":{\"1\":{\"name\":\"a\"},\"2\":{\"name\":\"b\",\"n\":[]}}}",
	            "subs_by_id[\"2\"].n");
	parse_fails(ALL_DESC, "{\"subs\":[{\"tags\":[\"a\"]},{\"tags\":[\"b\"]},{\"q\":0}]}",
	            "subs[2].q");
	parse_fails(ALL_DESC, "{\"labels\":{\"a\":\"b\",\"c\":[]}}", "labels[\"c\"]");
}

#define ACCOUNTS                                                                                \
	"{\"accounts\":[{\"id\":\"1\",\"name\":\"\xE4\xBA\x94\xE4\xB9\xA1\xE9\x95\x87 clerk\"," \
	"\"role\":\"ROLE_TOWN\",\"unitCode\":\"330212001\"},"                                   \
	"{\"id\":\"2\",\"role\":\"ROLE_ADMIN\",\"revokedAt\":\"2024-01-02T03:04:05+08:00\"}],"  \
	"\"nextPageToken\":\"abc\"}"

static void test_grpcurl_form(void **state)
{
	(void)state;
	Luoshi__V1__Account a1 = LUOSHI__V1__ACCOUNT__INIT;
	a1.has_id = 1;
	a1.id = 1;
	a1.name = "\xE4\xBA\x94\xE4\xB9\xA1\xE9\x95\x87 clerk";
	a1.has_role = 1;
	a1.role = LUOSHI__V1__ROLE__ROLE_TOWN;
	a1.unit_code = "330212001";
	Luoshi__V1__Account a2 = LUOSHI__V1__ACCOUNT__INIT;
	a2.has_id = 1;
	a2.id = 2;
	a2.has_role = 1;
	a2.role = LUOSHI__V1__ROLE__ROLE_ADMIN;
	a2.revoked_at = "2024-01-02T03:04:05+08:00";
	Luoshi__V1__Account *accounts[] = {&a1, &a2};
	Luoshi__V1__ListAccountsResponse resp = LUOSHI__V1__LIST_ACCOUNTS_RESPONSE__INIT;
	resp.n_accounts = 2;
	resp.accounts = accounts;
	resp.next_page_token = "abc";
	assert_json(&resp, ACCOUNTS);
	round_trip(&luoshi__v1__list_accounts_response__descriptor, ACCOUNTS);
	round_trip(ALL_DESC, SCALARS);
	round_trip(ALL_DESC, REPEATED);
	round_trip(ALL_DESC, MAPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),          cmocka_unit_test(test_scalars_out),
	    cmocka_unit_test(test_scalars_in),     cmocka_unit_test(test_repeated),
	    cmocka_unit_test(test_proto_names),    cmocka_unit_test(test_int64),
	    cmocka_unit_test(test_int32),          cmocka_unit_test(test_enum),
	    cmocka_unit_test(test_unknown_field),  cmocka_unit_test(test_wrong_type),
	    cmocka_unit_test(test_nested_paths),   cmocka_unit_test(test_bytes),
	    cmocka_unit_test(test_maps),           cmocka_unit_test(test_request_metadata),
	    cmocka_unit_test(test_oneof),          cmocka_unit_test(test_float),
	    cmocka_unit_test(test_utf8),           cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_null_is_absent), cmocka_unit_test(test_required),
	    cmocka_unit_test(test_depth),          cmocka_unit_test(test_failure_frees),
	    cmocka_unit_test(test_grpcurl_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
