/* The protobuf <-> JSON mapping (common/json.c): JSON text to a message of
 * the type the first byte picks (fuzz_json_types), then, when that is
 * accepted, back to JSON and to a message again, directly and through JSON
 * text. Both trips must give the same message, byte for byte once packed:
 * what the mapping writes, it must read back as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_common.h"
#include "json.h"
#include "rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *out;
	FUZZ_CHECK(ls_message_pack(m, &out, len) == LS_OK, "pack");
	return out;
}

/* j must read as a message that packs to want[0..want_len). */
static void same_message(const ProtobufCMessageDescriptor *d, const json_t *j, const char *how,
                         const uint8_t *want, size_t want_len)
{
	ProtobufCMessage *m = NULL;
	ls_status st;
	ls_status_clear(&st);
	int rc = ls_json_to_message(d, j, &m, &st);
	FUZZ_CHECK(rc == LS_OK, "%s: the mapping's own JSON is refused: %s %s", how, st.field,
	           st.message);
	size_t len;
	uint8_t *got = pack(m, &len);
	FUZZ_CHECK(len == want_len && memcmp(got, want, len) == 0,
	           "%s: the round trip changed the message", how);
	free(got);
	protobuf_c_message_free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const ProtobufCMessageDescriptor *d = fuzz_json_types[data[0] % fuzz_n_json_types];
	json_t *in = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
	if (in == NULL)
		return 0;
	ProtobufCMessage *m = NULL;
	ls_status st;
	ls_status_clear(&st);
	int rc = ls_json_to_message(d, in, &m, &st);
	json_decref(in);
	if (rc != LS_OK) {
		FUZZ_CHECK(m == NULL, "a refused message was handed out");
		FUZZ_CHECK(rc == LS_INVALID_ARGUMENT, "code %d", rc);
		FUZZ_CHECK(ls_utf8_valid(st.message, strlen(st.message)), "message not UTF-8: %s",
		           st.message);
		FUZZ_CHECK(ls_utf8_valid(st.field, strlen(st.field)), "field not UTF-8: %s",
		           st.field);
		return 0;
	}
	/* Strings read from JSON are UTF-8, as the server demands. */
	FUZZ_CHECK(ls_message_check_utf8(m, &st) == LS_OK, "not UTF-8: %s", st.field);

	size_t len;
	uint8_t *packed = pack(m, &len);
	json_t *out = ls_json_from_message(m);
	FUZZ_CHECK(out != NULL, "ls_json_from_message failed");
	same_message(d, out, "JSON value", packed, len);

	char *text = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
	FUZZ_CHECK(text != NULL, "json_dumps failed");
	json_error_t err;
	json_t *again = json_loads(text, JSON_DECODE_ANY, &err);
	FUZZ_CHECK(again != NULL, "the mapping's JSON does not parse: %s", err.text);
	same_message(d, again, "JSON text", packed, len);

	json_decref(again);
	free(text);
	json_decref(out);
	free(packed);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
