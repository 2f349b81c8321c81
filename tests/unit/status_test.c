/* Status codes keep gRPC's numbers and names: they cross the wire as is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "luoshi/v1/rpc.pb-c.h"
#include "rpc.h"
#include "status.h"

static void names_match_grpc(void **state)
{
	(void)state;
	/* gRPC's table, written out by hand from grpc/doc/statuscodes.md. */
	static const char *const grpc[] = {
	    "OK",        "CANCELLED",         "UNKNOWN",           "INVALID_ARGUMENT",
	    "DEADLINE_EXCEEDED",    "NOT_FOUND", "ALREADY_EXISTS",    "PERMISSION_DENIED",
	    "RESOURCE_EXHAUSTED",   "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	    "UNIMPLEMENTED",        "INTERNAL",  "UNAVAILABLE",       "DATA_LOSS",
	    "UNAUTHENTICATED",
	};
	for (int i = 0; i < 17; i++) {
		assert_string_equal(ls_code_name(i), grpc[i]);
		assert_int_equal(ls_code_from_name(grpc[i]), i);
	}
	assert_int_equal(LS_UNAUTHENTICATED, 16);
	assert_int_equal(LS_DEADLINE_EXCEEDED, 4);
}

static void proto_enum_agrees(void **state)
{
	(void)state;
	/* The wire's enum and the C enum must never drift apart. */
	for (int i = 0; i < 17; i++) {
		const ProtobufCEnumValue *v =
		    protobuf_c_enum_descriptor_get_value(&luoshi__v1__code__descriptor, i);
		assert_non_null(v);
		assert_string_equal(v->name, ls_code_name(i));
	}
}

static void out_of_range(void **state)
{
	(void)state;
	assert_string_equal(ls_code_name(17), "UNKNOWN");
	assert_string_equal(ls_code_name(-1), "UNKNOWN");
	assert_int_equal(ls_code_from_name("NOPE"), -1);
	assert_int_equal(ls_code_from_name("ok"), -1);
}

static void status_fields(void **state)
{
	(void)state;
	ls_status st;
	assert_int_equal(ls_status_field(&st, LS_INVALID_ARGUMENT, "percent", "%d is over %d", 101,
	                                 100),
	                 LS_INVALID_ARGUMENT);
	assert_int_equal(st.code, 3);
	assert_string_equal(st.field, "percent");
	assert_string_equal(st.message, "101 is over 100");
	ls_status_set(&st, LS_NOT_FOUND, "gone");
	assert_string_equal(st.field, "");
	ls_status_clear(&st);
	assert_int_equal(st.code, 0);
	assert_string_equal(st.message, "");

	/* A message longer than the buffer is cut, not overrun. */
	char longer[2000];
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	ls_status_set(&st, LS_INTERNAL, "%s", longer);
	assert_int_equal(strlen(st.message), sizeof st.message - 1);
}

/* A long message or field is cut before a character, never inside one: a
 * status that is not UTF-8 cannot go back to the client, which refuses the
 * whole answer (found by fuzz_envelope with a long Chinese method name). */
static void cut_at_characters(void **state)
{
	(void)state;
	char text[2000] = "xy";
	for (int i = 0; i < 300; i++)
		strcat(text, "中");
	ls_status st;
	ls_status_field(&st, LS_NOT_FOUND, text, "unknown %s", text + 1);
	/* "unknown y" and 167 of the 3-byte characters fit in 511 bytes, with
	 * a byte of the next one; "xy" and 41 of them in 127, with two. */
	assert_int_equal(strlen(st.message), 9 + 167 * 3);
	assert_true(ls_utf8_valid(st.message, strlen(st.message)));
	assert_memory_equal(st.message, "unknown y中", 12);
	assert_int_equal(strlen(st.field), 2 + 41 * 3);
	assert_true(ls_utf8_valid(st.field, strlen(st.field)));

	/* A 2-byte and a 4-byte character at the cut. */
	char mixed[600];
	memset(mixed, 'a', 510);
	strcpy(mixed + 510, "é");
	ls_status_set(&st, LS_INTERNAL, "%s", mixed);
	assert_int_equal(strlen(st.message), 510);
	strcpy(mixed + 509, "😀");
	ls_status_set(&st, LS_INTERNAL, "%s", mixed);
	assert_int_equal(strlen(st.message), 509);
	memset(mixed, 'a', 508);
	strcpy(mixed + 508, "😀");
	ls_status_set(&st, LS_INTERNAL, "%s", mixed);
	assert_int_equal(strlen(st.message), 508);
	/* What fits is kept whole. */
	memset(mixed, 'a', 507);
	strcpy(mixed + 507, "😀");
	ls_status_set(&st, LS_INTERNAL, "%s", mixed);
	assert_int_equal(strlen(st.message), 511);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names_match_grpc),
	    cmocka_unit_test(proto_enum_agrees),
	    cmocka_unit_test(out_of_range),
	    cmocka_unit_test(status_fields),
	    cmocka_unit_test(cut_at_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
