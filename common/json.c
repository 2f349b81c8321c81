/* Protobuf <-> JSON through the protobuf-c descriptors.
 *
 * A message built from JSON is laid out as protobuf_c_message_unpack would
 * lay it out: every message, string, byte buffer and repeated array is its
 * own malloc block, and a value is stored only once it is complete. The
 * message is therefore freeable by protobuf_c_message_free_unpacked at every
 * step, and an error anywhere is cleaned up by freeing the top message. */
#include "json.h"

#include <float.h>
#include <inttypes.h>
/* Only math.h's classification macros are used, so that the library needs
 * no libm. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rpc.h"

/* Deeper input is refused rather than allowed to recurse without bound;
 * protobuf's binary parser stops at the same depth by default. */
#define MAX_DEPTH 100

#define REPLACEMENT_CHAR "\xEF\xBF\xBD"

static const char *const type_names[] = {
    [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
    [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
    [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
    [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
    [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
    [PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
    [PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
    [PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
    [PROTOBUF_C_TYPE_MESSAGE] = "message",
};

/* The size of one element of a repeated field, as protobuf-c lays it out. */
static size_t elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static bool is_pointer_type(ProtobufCType type)
{
	return type == PROTOBUF_C_TYPE_STRING || type == PROTOBUF_C_TYPE_MESSAGE;
}

/* protoc derives a field's JSON name and its map entry's type name the same
 * way: underscores dropped and the letter after each one upper-cased; the
 * type name upper-cases the first letter as well. protobuf-c 1.4 keeps
 * neither name, so both are recomputed here. */
static char mangled_char(char ch, bool up)
{
	return up && ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

static void mangle(const char *name, bool up, char *out)
{
	for (; *name != '\0'; name++) {
		if (*name == '_') {
			up = true;
			continue;
		}
		*out++ = mangled_char(*name, up);
		up = false;
	}
	*out = '\0';
}

/* If s starts with the mangled name, returns what follows it; else NULL. */
static const char *mangled_prefix(const char *name, bool up, const char *s)
{
	for (; *name != '\0'; name++) {
		if (*name == '_') {
			up = true;
			continue;
		}
		if (*s != mangled_char(*name, up))
			return NULL;
		s++;
		up = false;
	}
	return s;
}

/* protobuf-c does not mark map entry types, so a map is recognised by the
 * shape protoc gives it: a repeated message whose type has just key = 1 and
 * value = 2 and is named after the field and nested in the field's message.
 * protoc refuses a hand-written type of that name, so nothing else matches. */
static bool is_map(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	const ProtobufCMessageDescriptor *e = f->descriptor;
	if (e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
	    strcmp(e->fields[0].name, "key") != 0 || strcmp(e->fields[1].name, "value") != 0 ||
	    e->fields[0].label == PROTOBUF_C_LABEL_REPEATED ||
	    e->fields[1].label == PROTOBUF_C_LABEL_REPEATED)
		return false;
	switch (e->fields[0].type) {
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return false;
	default:
		break;
	}
	const char *rest = mangled_prefix(f->name, true, e->short_name);
	if (rest == NULL || strcmp(rest, "Entry") != 0)
		return false;
	size_t plen = strlen(d->name);
	return strncmp(e->name, d->name, plen) == 0 && e->name[plen] == '.' &&
	       strcmp(e->name + plen + 1, e->short_name) == 0;
}

/* The length of the well-formed UTF-8 character at s, or 0 if there is
 * none. */
static size_t utf8_char_len(const char *s, size_t n)
{
	for (size_t k = 1; k <= 4 && k <= n; k++)
		if (ls_utf8_valid(s, k))
			return k;
	return 0;
}

/* ---- message to JSON ---- */

static json_t *message_to_json(const ProtobufCMessage *m);

/* Invalid UTF-8 cannot go into a JSON text, and this direction has no way
 * to report it, so the bad bytes are shown as U+FFFD. Returns a malloc'd
 * copy of s[0..n) that is valid UTF-8. */
static char *utf8_repair(const char *s, size_t n, size_t *out_len)
{
	char *buf = malloc(3 * n + 1);
	if (buf == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_char_len(s + i, n - i);
		if (len == 0) {
			memcpy(buf + k, REPLACEMENT_CHAR, 3);
			k += 3;
			i++;
		} else {
			memcpy(buf + k, s + i, len);
			k += len;
			i += len;
		}
	}
	buf[k] = '\0';
	*out_len = k;
	return buf;
}

static json_t *string_to_json(const char *s)
{
	if (s == NULL)
		s = "";
	size_t n = strlen(s);
	if (ls_utf8_valid(s, n))
		return json_stringn(s, n);
	char *fixed = utf8_repair(s, n, &n);
	if (fixed == NULL)
		return NULL;
	json_t *j = json_stringn(fixed, n);
	free(fixed);
	return j;
}

static json_t *bytes_to_json(const ProtobufCBinaryData *b)
{
	size_t n = sodium_base64_ENCODED_LEN(b->len, sodium_base64_VARIANT_ORIGINAL);
	char *buf = malloc(n);
	if (buf == NULL)
		return NULL;
	sodium_bin2base64(buf, n, b->data, b->len, sodium_base64_VARIANT_ORIGINAL);
	json_t *j = json_stringn(buf, n - 1);
	free(buf);
	return j;
}

/* JSON has no NaN or infinities; the mapping spells them as strings. */
static json_t *double_to_json(double d)
{
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

/* A float is handed to jansson as the double nearest its shortest decimal
 * form: 0.1f becomes the double 0.1, which is what was meant, rather than
 * 0.10000000149011612, and it still reads back as the same float. */
static json_t *float_to_json(float f)
{
	if (!isfinite(f))
		return double_to_json(f);
	char buf[32];
	for (int prec = 1; prec <= FLT_DECIMAL_DIG; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
		if (strtof(buf, NULL) == f)
			return json_real(strtod(buf, NULL));
	}
	return json_real(f);
}

static json_t *enum_to_json(const ProtobufCEnumDescriptor *ed, int32_t v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
	return ev != NULL ? json_string(ev->name) : json_integer(v);
}

static json_t *value_to_json(const ProtobufCFieldDescriptor *f, const void *p)
{
	char buf[24];
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, sizeof buf, "%" PRId64, *(const int64_t *)p);
		return json_string(buf);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, sizeof buf, "%" PRIu64, *(const uint64_t *)p);
		return json_string(buf);
	case PROTOBUF_C_TYPE_FLOAT:
		return float_to_json(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return double_to_json(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		return enum_to_json(f->descriptor, *(const int32_t *)p);
	case PROTOBUF_C_TYPE_STRING:
		return string_to_json(*(char *const *)p);
	case PROTOBUF_C_TYPE_BYTES:
		return bytes_to_json(p);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		return sub != NULL ? message_to_json(sub) : json_object();
	}
	}
	return NULL;
}

static bool is_zero(const ProtobufCFieldDescriptor *f, const void *p)
{
	static const unsigned char zero[8];
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return s == NULL || *s == '\0';
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(void *const *)p == NULL;
	default:
		return memcmp(p, zero, elem_size(f->type)) == 0;
	}
}

/* Presence as protobuf_c_message_pack judges it, so that JSON shows exactly
 * the fields that would go on the wire. */
static bool is_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	const void *p = base + f->offset;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
			return false;
		if (!is_pointer_type(f->type))
			return true;
		const void *ptr = *(void *const *)p;
		return ptr != NULL && ptr != f->default_value;
	}
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return true;
	case PROTOBUF_C_LABEL_OPTIONAL:
		if (is_pointer_type(f->type)) {
			const void *ptr = *(void *const *)p;
			return ptr != NULL && ptr != f->default_value;
		}
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
	case PROTOBUF_C_LABEL_REPEATED:
		return *(const size_t *)(base + f->quantifier_offset) > 0;
	case PROTOBUF_C_LABEL_NONE:
		return !is_zero(f, p);
	}
	return false;
}

static json_t *array_to_json(const ProtobufCFieldDescriptor *f, const char *arr, size_t n)
{
	json_t *a = json_array();
	if (a == NULL)
		return NULL;
	size_t size = elem_size(f->type);
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(a, value_to_json(f, arr + i * size)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* A map key as JSON writes it: strings as they are, the rest as text. */
static const char *key_text(const ProtobufCFieldDescriptor *kf, const void *kp, char buf[24])
{
	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *key = *(char *const *)kp;
		return key != NULL ? key : "";
	}
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)kp ? "true" : "false";
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		snprintf(buf, 24, "%" PRIu32, *(const uint32_t *)kp);
		return buf;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, 24, "%" PRIu64, *(const uint64_t *)kp);
		return buf;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, 24, "%" PRId64, *(const int64_t *)kp);
		return buf;
	default:
		snprintf(buf, 24, "%" PRId32, *(const int32_t *)kp);
		return buf;
	}
}

static int set_map_entry(json_t *obj, const ProtobufCMessage *e)
{
	const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
	const ProtobufCFieldDescriptor *vf = &e->descriptor->fields[1];
	char buf[24];
	const char *key = key_text(kf, (const char *)e + kf->offset, buf);
	json_t *v = value_to_json(vf, (const char *)e + vf->offset);
	size_t n = strlen(key);
	if (ls_utf8_valid(key, n))
		return json_object_setn_new(obj, key, n, v);
	char *fixed = utf8_repair(key, n, &n);
	if (fixed == NULL) {
		json_decref(v);
		return -1;
	}
	int rc = json_object_setn_new(obj, fixed, n, v);
	free(fixed);
	return rc;
}

static json_t *map_to_json(ProtobufCMessage *const *entries, size_t n)
{
	json_t *obj = json_object();
	if (obj == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (entries[i] != NULL && set_map_entry(obj, entries[i]) != 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

/* Adds v under f's JSON name. Takes v's reference even when it fails, and
 * fails when v is NULL, so callers need not check v themselves. */
static int set_field(json_t *obj, const ProtobufCFieldDescriptor *f, json_t *v)
{
	char small[64];
	size_t n = strlen(f->name) + 1;
	char *name = n <= sizeof small ? small : malloc(n);
	if (name == NULL) {
		json_decref(v);
		return -1;
	}
	mangle(f->name, false, name);
	int rc = json_object_set_new(obj, name, v);
	if (name != small)
		free(name);
	return rc;
}

static json_t *message_to_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_t *obj = json_object();
	if (obj == NULL)
		return NULL;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!is_present(m, f))
			continue;
		const char *p = (const char *)m + f->offset;
		json_t *v;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			const char *arr = *(char *const *)p;
			if (is_map(d, f))
				v = map_to_json((ProtobufCMessage *const *)arr, n);
			else
				v = array_to_json(f, arr, n);
		} else {
			v = value_to_json(f, p);
		}
		if (set_field(obj, f, v) != 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

json_t *ls_json_from_message(const ProtobufCMessage *m)
{
	if (m == NULL)
		return NULL;
	return message_to_json(m);
}

/* ---- JSON to message ---- */

/* The path is kept no longer than ls_status can hold. It is cut only
 * between whole names, indexes and keys, so that it never ends in half a
 * name or half a character; want is the length it would have uncut, and
 * once a piece has been dropped nothing further is added, lest the path
 * name a different field. */
struct parse {
	ls_status *st;
	int depth;
	size_t len;
	size_t want;
	char path[sizeof(((ls_status *)0)->field)];
};

enum { FIELD_NULL = 1, FIELD_SET = 2 };

/* Appends s[0..n) with any invalid UTF-8 shown as U+FFFD, or with put
 * false only measures it. Returns its length as appended. */
static size_t path_put(struct parse *c, const char *s, size_t n, bool put)
{
	size_t total = 0;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_char_len(s + i, n - i);
		if (put)
			memcpy(c->path + c->len + total, k != 0 ? s + i : REPLACEMENT_CHAR,
			       k != 0 ? k : 3);
		total += k != 0 ? k : 3;
		i += k != 0 ? k : 1;
	}
	return total;
}

static void path_piece(struct parse *c, const char *pre, const char *s, size_t n, const char *post)
{
	size_t need = strlen(pre) + path_put(c, s, n, false) + strlen(post);
	if (c->len == c->want && c->len + need < sizeof c->path) {
		c->len += path_put(c, pre, strlen(pre), true);
		c->len += path_put(c, s, n, true);
		c->len += path_put(c, post, strlen(post), true);
		c->path[c->len] = '\0';
	}
	c->want += need;
}

static size_t path_field(struct parse *c, const char *name, size_t n)
{
	size_t old = c->want;
	path_piece(c, c->want > 0 ? "." : "", name, n, "");
	return old;
}

static size_t path_index(struct parse *c, size_t i)
{
	size_t old = c->want;
	char buf[32];
	int n = snprintf(buf, sizeof buf, "[%zu]", i);
	path_piece(c, "", buf, (size_t)n, "");
	return old;
}

static size_t path_key(struct parse *c, const char *key, size_t n)
{
	size_t old = c->want;
	path_piece(c, "[\"", key, n, "\"]");
	return old;
}

static void path_pop(struct parse *c, size_t old)
{
	c->want = old;
	if (c->len > old)
		c->len = old;
	c->path[c->len] = '\0';
}

static int fail(struct parse *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse *c, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (c->len == 0)
		return ls_status_field(c->st, LS_INVALID_ARGUMENT, NULL, "%s", reason);
	return ls_status_field(c->st, LS_INVALID_ARGUMENT, c->path, "%s: %s", c->path, reason);
}

static int out_of_memory(struct parse *c)
{
	return ls_status_set(c->st, LS_RESOURCE_EXHAUSTED, "out of memory");
}

static const char *json_kind(const json_t *j)
{
	if (j == NULL)
		return "nothing";
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "an unknown JSON value";
}

/* The string j quoted for an error message, when it is short printable
 * UTF-8; anything else is not echoed, since a status must stay valid UTF-8
 * and short. */
static const char *show(const json_t *j, char *buf, size_t size)
{
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	if (n > 64 || !ls_utf8_valid(s, n))
		return "the value";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "the value";
	snprintf(buf, size, "\"%s\"", s);
	return buf;
}

static bool string_is(const json_t *j, const char *lit)
{
	return json_string_length(j) == strlen(lit) && strcmp(json_string_value(j), lit) == 0;
}

/* Reads an integer from a JSON number or a decimal string as sign and
 * magnitude, which holds every value of every 64-bit type. */
static int read_integer(struct parse *c, const json_t *j, const char *type, bool *neg,
                        uint64_t *mag)
{
	char buf[80];
	if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);
		*neg = v < 0;
		*mag = *neg ? 0 - (uint64_t)v : (uint64_t)v;
		return 0;
	}
	if (json_is_real(j)) {
		double d = json_real_value(j);
		double a = d < 0 ? -d : d;
		if (a >= 0x1p64)
			return fail(c, "out of range for %s", type);
		/* Every double from 2^53 up is a whole number. */
		if (a < 0x1p53 && a != (double)(uint64_t)a)
			return fail(c, "not an integer");
		*neg = d < 0;
		*mag = (uint64_t)a;
		return 0;
	}
	if (!json_is_string(j))
		return fail(c, "expected %s, got %s", type, json_kind(j));
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	size_t i = n > 0 && s[0] == '-';
	if (i == n)
		return fail(c, "%s is not an integer", show(j, buf, sizeof buf));
	bool over = false;
	*neg = i == 1;
	*mag = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return fail(c, "%s is not an integer", show(j, buf, sizeof buf));
		unsigned digit = (unsigned)(s[i] - '0');
		if (*mag > (UINT64_MAX - digit) / 10)
			over = true;
		else
			*mag = *mag * 10 + digit;
	}
	if (over)
		return fail(c, "out of range for %s", type);
	return 0;
}

static int read_signed(struct parse *c, const json_t *j, const char *type, int64_t min, int64_t max,
                       int64_t *out)
{
	bool neg;
	uint64_t mag;
	int rc = read_integer(c, j, type, &neg, &mag);
	if (rc != 0)
		return rc;
	if (neg && mag != 0) {
		if (mag - 1 > (uint64_t)(-(min + 1)))
			return fail(c, "out of range for %s", type);
		*out = -(int64_t)(mag - 1) - 1;
	} else {
		if (mag > (uint64_t)max)
			return fail(c, "out of range for %s", type);
		*out = (int64_t)mag;
	}
	return 0;
}

static int read_unsigned(struct parse *c, const json_t *j, const char *type, uint64_t max,
                         uint64_t *out)
{
	bool neg;
	uint64_t mag;
	int rc = read_integer(c, j, type, &neg, &mag);
	if (rc != 0)
		return rc;
	if ((neg && mag != 0) || mag > max)
		return fail(c, "out of range for %s", type);
	*out = mag;
	return 0;
}

static int read_double(struct parse *c, const json_t *j, const char *type, double *out)
{
	char buf[80];
	if (json_is_number(j)) {
		*out = json_number_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return fail(c, "expected %s, got %s", type, json_kind(j));
	if (string_is(j, "NaN")) {
		*out = NAN;
		return 0;
	}
	if (string_is(j, "Infinity") || string_is(j, "-Infinity")) {
		*out = json_string_value(j)[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	/* A numeric string goes through jansson's number grammar, which is
	 * JSON's own and does not depend on the locale as strtod does. The
	 * first and last characters are checked because the grammar would
	 * allow whitespace around the number. */
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	json_t *num = NULL;
	if (n > 0 && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && s[n - 1] >= '0' &&
	    s[n - 1] <= '9')
		num = json_loadb(s, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
	if (num == NULL || !json_is_number(num)) {
		json_decref(num);
		return fail(c, "%s is not a number", show(j, buf, sizeof buf));
	}
	*out = json_number_value(num);
	json_decref(num);
	return 0;
}

static int read_float(struct parse *c, const json_t *j, float *out)
{
	double d;
	int rc = read_double(c, j, "float", &d);
	if (rc != 0)
		return rc;
	double a = d < 0 ? -d : d;
	if (isfinite(d) && a > FLT_MAX) {
		/* The shortest decimal form of FLT_MAX, 3.4028235e38, reads
		 * as a double just above it; anything that rounds to FLT_MAX
		 * means FLT_MAX. 0x1.ffffffp127 lies halfway to 2^128. */
		if (a >= 0x1.ffffffp127)
			return fail(c, "out of range for float");
		d = d < 0 ? -FLT_MAX : FLT_MAX;
	}
	*out = (float)d;
	return 0;
}

static int read_enum(struct parse *c, const ProtobufCEnumDescriptor *ed, const json_t *j,
                     int32_t *out)
{
	char buf[80];
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		const ProtobufCEnumValue *v = NULL;
		if (strlen(s) == json_string_length(j))
			v = protobuf_c_enum_descriptor_get_value_by_name(ed, s);
		if (v == NULL)
			return fail(c, "%s is not a value of %s", show(j, buf, sizeof buf),
			            ed->name);
		*out = v->value;
		return 0;
	}
	if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);
		if (v < INT32_MIN || v > INT32_MAX ||
		    protobuf_c_enum_descriptor_get_value(ed, (int)v) == NULL)
			return fail(c, "%" JSON_INTEGER_FORMAT " is not a value of %s", v,
			            ed->name);
		*out = (int32_t)v;
		return 0;
	}
	return fail(c, "expected a value of %s, got %s", ed->name, json_kind(j));
}

static int read_string(struct parse *c, const json_t *j, char **out)
{
	if (!json_is_string(j))
		return fail(c, "expected a string, got %s", json_kind(j));
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	/* protobuf-c strings end at the first NUL: one inside would cut the
	 * string short without a word. */
	if (memchr(s, '\0', n) != NULL)
		return fail(c, "contains a NUL character");
	if (!ls_utf8_valid(s, n))
		return fail(c, "not valid UTF-8");
	char *copy = malloc(n + 1);
	if (copy == NULL)
		return out_of_memory(c);
	memcpy(copy, s, n + 1);
	*out = copy;
	return 0;
}

static int read_bytes(struct parse *c, const json_t *j, ProtobufCBinaryData *out)
{
	static const int variants[] = {
	    sodium_base64_VARIANT_ORIGINAL,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
	    sodium_base64_VARIANT_URLSAFE,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING,
	};
	if (!json_is_string(j))
		return fail(c, "expected base64 bytes, got %s", json_kind(j));
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	if (n == 0) {
		out->data = NULL;
		out->len = 0;
		return 0;
	}
	size_t cap = n / 4 * 3 + 3;
	unsigned char *buf = malloc(cap);
	if (buf == NULL)
		return out_of_memory(c);
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		size_t len;
		if (sodium_base642bin(buf, cap, s, n, NULL, &len, NULL, variants[i]) != 0)
			continue;
		if (len == 0) {
			free(buf);
			buf = NULL;
		}
		out->data = buf;
		out->len = len;
		return 0;
	}
	free(buf);
	return fail(c, "not valid base64");
}

static int parse_message(struct parse *c, const ProtobufCMessageDescriptor *d, const json_t *j,
                         ProtobufCMessage **out);

/* Reads one value of f's type into dst, which is the field itself or an
 * element of its array. dst is written only on success. */
static int parse_value(struct parse *c, const ProtobufCFieldDescriptor *f, const json_t *j,
                       void *dst)
{
	const char *type = type_names[f->type];
	int64_t i;
	uint64_t u;
	double d;
	int rc;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		rc = read_signed(c, j, type, INT32_MIN, INT32_MAX, &i);
		if (rc == 0)
			*(int32_t *)dst = (int32_t)i;
		return rc;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		rc = read_signed(c, j, type, INT64_MIN, INT64_MAX, &i);
		if (rc == 0)
			*(int64_t *)dst = i;
		return rc;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		rc = read_unsigned(c, j, type, UINT32_MAX, &u);
		if (rc == 0)
			*(uint32_t *)dst = (uint32_t)u;
		return rc;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		rc = read_unsigned(c, j, type, UINT64_MAX, &u);
		if (rc == 0)
			*(uint64_t *)dst = u;
		return rc;
	case PROTOBUF_C_TYPE_FLOAT:
		return read_float(c, j, dst);
	case PROTOBUF_C_TYPE_DOUBLE:
		rc = read_double(c, j, type, &d);
		if (rc == 0)
			*(double *)dst = d;
		return rc;
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(j))
			return fail(c, "expected true or false, got %s", json_kind(j));
		*(protobuf_c_boolean *)dst = json_is_true(j);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return read_enum(c, f->descriptor, j, dst);
	case PROTOBUF_C_TYPE_STRING:
		return read_string(c, j, dst);
	case PROTOBUF_C_TYPE_BYTES:
		return read_bytes(c, j, dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		return parse_message(c, f->descriptor, j, dst);
	}
	return fail(c, "field of unsupported type %d", (int)f->type);
}

/* Sets what tells protobuf-c that a singular field holds a value: the
 * oneof's case or the has_ flag. Strings and messages have neither outside
 * a oneof; their pointer says it. */
static void mark_present(const ProtobufCFieldDescriptor *f, char *base)
{
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(base + f->quantifier_offset) = f->id;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !is_pointer_type(f->type))
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
}

/* The array and its count are in the message before any element is read;
 * the count grows as elements are completed, which is what
 * protobuf_c_message_free_unpacked needs to free a partly filled array. */
static void *start_array(const ProtobufCFieldDescriptor *f, char *base, size_t n)
{
	void *arr = calloc(n, elem_size(f->type));
	if (arr == NULL)
		return NULL;
	*(void **)(base + f->offset) = arr;
	*(size_t *)(base + f->quantifier_offset) = 0;
	return arr;
}

static int parse_repeated(struct parse *c, const ProtobufCFieldDescriptor *f, const json_t *j,
                          char *base)
{
	if (!json_is_array(j))
		return fail(c, "expected an array, got %s", json_kind(j));
	size_t n = json_array_size(j);
	if (n == 0)
		return 0;
	char *arr = start_array(f, base, n);
	if (arr == NULL)
		return out_of_memory(c);
	size_t *count = (size_t *)(base + f->quantifier_offset);
	size_t size = elem_size(f->type);
	for (size_t i = 0; i < n; i++) {
		const json_t *el = json_array_get(j, i);
		size_t old = path_index(c, i);
		if (json_is_null(el))
			return fail(c, "null is not allowed in a list");
		int rc = parse_value(c, f, el, arr + i * size);
		if (rc != 0)
			return rc;
		(*count)++;
		path_pop(c, old);
	}
	return 0;
}

static int parse_map_key(struct parse *c, const ProtobufCFieldDescriptor *kf, const char *key,
                         size_t klen, void *dst)
{
	if (kf->type == PROTOBUF_C_TYPE_BOOL) {
		bool t = klen == 4 && memcmp(key, "true", 4) == 0;
		if (!t && !(klen == 5 && memcmp(key, "false", 5) == 0))
			return fail(c, "key is not true or false");
		*(protobuf_c_boolean *)dst = t;
		return 0;
	}
	/* Keys arrive as text; as a JSON string they go through the same
	 * checks as any string or numeric string value. */
	json_t *kj = json_stringn_nocheck(key, klen);
	if (kj == NULL)
		return out_of_memory(c);
	int rc = parse_value(c, kf, kj, dst);
	json_decref(kj);
	if (rc != 0 || kf->type == PROTOBUF_C_TYPE_STRING)
		return rc;
	/* A number is a key only as written back: "01" beside "1" would
	 * otherwise give the map the same key twice. */
	char buf[24];
	const char *canonical = key_text(kf, dst, buf);
	if (strlen(canonical) != klen || memcmp(canonical, key, klen) != 0)
		return fail(c, "key is not written as %s", canonical);
	return 0;
}

static int parse_map(struct parse *c, const ProtobufCFieldDescriptor *f, const json_t *j,
                     char *base)
{
	if (!json_is_object(j))
		return fail(c, "expected an object, got %s", json_kind(j));
	size_t n = json_object_size(j);
	if (n == 0)
		return 0;
	ProtobufCMessage **arr = start_array(f, base, n);
	if (arr == NULL)
		return out_of_memory(c);
	size_t *count = (size_t *)(base + f->quantifier_offset);
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0];
	const ProtobufCFieldDescriptor *vf = &ed->fields[1];
	json_t *obj = (json_t *)j;
	const char *key;
	size_t klen;
	json_t *v;
	json_object_keylen_foreach (obj, key, klen, v) {
		size_t old = path_key(c, key, klen);
		if (json_is_null(v))
			return fail(c, "null is not allowed as a map value");
		ProtobufCMessage *e = malloc(ed->sizeof_message);
		if (e == NULL)
			return out_of_memory(c);
		protobuf_c_message_init(ed, e);
		char *eb = (char *)e;
		int rc = parse_map_key(c, kf, key, klen, eb + kf->offset);
		if (rc == 0) {
			mark_present(kf, eb);
			rc = parse_value(c, vf, v, eb + vf->offset);
		}
		if (rc != 0) {
			protobuf_c_message_free_unpacked(e, NULL);
			return rc;
		}
		mark_present(vf, eb);
		arr[(*count)++] = e;
		path_pop(c, old);
	}
	return 0;
}

static int parse_field(struct parse *c, const ProtobufCMessageDescriptor *d,
                       const ProtobufCFieldDescriptor *f, const json_t *j, char *base)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (is_map(d, f))
			return parse_map(c, f, j, base);
		return parse_repeated(c, f, j, base);
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		/* The members share storage: a second one would overwrite the
		 * first, and protobuf's own parsers refuse it too. */
		uint32_t set = *(const uint32_t *)(base + f->quantifier_offset);
		if (set != 0) {
			const ProtobufCFieldDescriptor *other =
			    protobuf_c_message_descriptor_get_field(d, set);
			return fail(c, "%s of the same oneof is already set",
			            other != NULL ? other->name : "another field");
		}
	}
	int rc = parse_value(c, f, j, base + f->offset);
	if (rc == 0)
		mark_present(f, base);
	return rc;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d,
                                                  const char *key)
{
	for (unsigned i = 0; i < d->n_fields; i++) {
		const char *rest = mangled_prefix(d->fields[i].name, false, key);
		if (rest != NULL && *rest == '\0')
			return &d->fields[i];
	}
	return protobuf_c_message_descriptor_get_field_by_name(d, key);
}

static int parse_fields(struct parse *c, const ProtobufCMessageDescriptor *d, json_t *obj,
                        ProtobufCMessage *m, unsigned char *seen)
{
	const char *key;
	size_t klen;
	json_t *v;
	json_object_keylen_foreach (obj, key, klen, v) {
		const ProtobufCFieldDescriptor *f = NULL;
		if (strlen(key) == klen)
			f = find_field(d, key);
		if (f == NULL) {
			path_field(c, key, klen);
			return fail(c, "unknown field");
		}
		size_t old = path_field(c, f->name, strlen(f->name));
		size_t idx = (size_t)(f - d->fields);
		/* "pageSize" and "page_size" are one field. */
		if (seen[idx] != 0)
			return fail(c, "given more than once");
		seen[idx] = FIELD_NULL;
		if (!json_is_null(v)) {
			int rc = parse_field(c, d, f, v, (char *)m);
			if (rc != 0)
				return rc;
			seen[idx] = FIELD_SET;
		}
		path_pop(c, old);
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->label == PROTOBUF_C_LABEL_REQUIRED && seen[i] != FIELD_SET) {
			path_field(c, f->name, strlen(f->name));
			return fail(c, "required field missing");
		}
	}
	return 0;
}

static int parse_message(struct parse *c, const ProtobufCMessageDescriptor *d, const json_t *j,
                         ProtobufCMessage **out)
{
	if (!json_is_object(j))
		return fail(c, "expected an object, got %s", json_kind(j));
	if (c->depth >= MAX_DEPTH)
		return fail(c, "messages nested more than %d deep", MAX_DEPTH);
	ProtobufCMessage *m = malloc(d->sizeof_message);
	unsigned char *seen = calloc(d->n_fields + 1, 1);
	if (m == NULL || seen == NULL) {
		free(m);
		free(seen);
		return out_of_memory(c);
	}
	protobuf_c_message_init(d, m);
	c->depth++;
	int rc = parse_fields(c, d, (json_t *)j, m, seen);
	c->depth--;
	free(seen);
	if (rc != 0) {
		protobuf_c_message_free_unpacked(m, NULL);
		return rc;
	}
	*out = m;
	return 0;
}

int ls_json_to_message(const ProtobufCMessageDescriptor *desc, const json_t *json,
                       ProtobufCMessage **out, ls_status *st)
{
	ls_status ignored;
	struct parse c = {.st = st != NULL ? st : &ignored};
	*out = NULL;
	return parse_message(&c, desc, json, out);
}
