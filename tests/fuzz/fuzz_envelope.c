/* The server's request decoding: an envelope off the wire, its version and
 * method, and the method's request body (srv_request_decode), with every
 * service registered as luoshid registers them. A body that decodes is
 * also mapped to JSON, as the audit log and `luoshi call` do. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "dispatch.h"
#include "fuzz_common.h"
#include "json.h"
#include "rpc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	size_t n;
	ProtobufCService *const *impls = fuzz_impls(&n);
	FUZZ_CHECK(sodium_init() >= 0, "libsodium");
	FUZZ_CHECK(srv_dispatch_init(impls, n) == LS_OK, "srv_dispatch_init");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	srv_request r;
	memset(&r, 0, sizeof r);
	srv_request_decode(&r, data, size);
	ls_status *st = &r.status;
	/* The answer goes back in a Response, which the client checks as
	 * strictly as the server checks requests. */
	FUZZ_CHECK(st->code >= LS_OK && st->code <= LS_CODE_MAX, "code %d", st->code);
	FUZZ_CHECK(ls_utf8_valid(st->message, strlen(st->message)), "message not UTF-8: %s",
	           st->message);
	FUZZ_CHECK(ls_utf8_valid(st->field, strlen(st->field)), "field not UTF-8: %s", st->field);
	if (st->code == LS_OK) {
		FUZZ_CHECK(r.env != NULL && r.method != NULL && r.input != NULL,
		           "decoded without an envelope, method or body");
		json_t *j = ls_json_from_message(r.input);
		FUZZ_CHECK(j != NULL, "ls_json_from_message failed");
		json_decref(j);
	} else {
		FUZZ_CHECK(r.input == NULL, "a failed decode kept a body");
	}
	srv_request_reset(&r);
	return 0;
}
