/* Protobuf <-> JSON, following the canonical protobuf JSON mapping as
 * grpcurl and grpc-gateway print it: lowerCamelCase names on output (the
 * proto names accepted too on input), enums by name (numbers accepted on
 * input), 64-bit integers as strings on output and strings or numbers on
 * input, bytes as standard base64, maps as JSON objects, absent optional
 * fields and empty repeated fields left out. Works on any message through
 * its protobuf-c descriptor. */
#ifndef LS_JSON_H
#define LS_JSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "status.h"

/* Converts m to a JSON object. Returns a new reference owned by the caller,
 * or NULL when out of memory. */
json_t *ls_json_from_message(const ProtobufCMessage *m);

/* Builds a new message of type desc from a JSON object. On success returns
 * 0 and *out is owned by the caller (free it with
 * protobuf_c_message_free_unpacked(*out, NULL)). On failure returns
 * LS_INVALID_ARGUMENT with the offending field's path ("plans[2].month") in
 * st->field and a reason in st->message, and *out is NULL. Unknown field
 * names, wrong JSON types, out-of-range numbers, unknown enum names, bad
 * base64 and strings that are not UTF-8 are all errors. */
int ls_json_to_message(const ProtobufCMessageDescriptor *desc, const json_t *json,
                       ProtobufCMessage **out, ls_status *st);

#endif
