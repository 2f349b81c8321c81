#include "rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ls_method_find(const char *full_name, ls_method *m)
{
	if (full_name[0] == '/')
		full_name++;
	const char *slash = strchr(full_name, '/');
	if (slash == NULL)
		return LS_NOT_FOUND;
	size_t svc_len = (size_t)(slash - full_name);
	for (size_t i = 0; i < ls_n_service_descriptors; i++) {
		const ProtobufCServiceDescriptor *sd = ls_service_descriptors[i];
		if (strlen(sd->name) != svc_len || memcmp(sd->name, full_name, svc_len) != 0)
			continue;
		const ProtobufCMethodDescriptor *md =
		    protobuf_c_service_descriptor_get_method_by_name(sd, slash + 1);
		if (md == NULL)
			return LS_NOT_FOUND;
		m->service = sd;
		m->method = md;
		m->index = (unsigned)(md - sd->methods);
		return LS_OK;
	}
	return LS_NOT_FOUND;
}

size_t ls_method_full_name(const ProtobufCServiceDescriptor *svc,
                           const ProtobufCMethodDescriptor *md, char *buf, size_t n)
{
	int r = snprintf(buf, n, "/%s/%s", svc->name, md->name);
	return r < 0 ? 0 : (size_t)r;
}

const char *ls_metadata_get(const Luoshi__V1__Request *req, const char *key)
{
	for (size_t i = 0; i < req->n_metadata; i++) {
		const Luoshi__V1__Request__MetadataEntry *e = req->metadata[i];
		if (e->key != NULL && strcmp(e->key, key) == 0)
			return e->value;
	}
	return NULL;
}

bool ls_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		unsigned lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			if (c == 0xE0)
				lo = 0xA0; /* overlong */
			else if (c == 0xED)
				hi = 0x9F; /* surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			if (c == 0xF0)
				lo = 0x90; /* overlong */
			else if (c == 0xF4)
				hi = 0x8F; /* above U+10FFFF */
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

/* The path to the field being checked, kept as a stack of steps and
 * written out only when a check fails: valid messages, nearly all of them,
 * cost no formatting. */
#define PATH_DEPTH 32

typedef struct path {
	const char *names[PATH_DEPTH];
	long index[PATH_DEPTH]; /* -1: not an element of a repeated field */
	int depth;
} path;

static int fail_at(const path *p, ls_status *st)
{
	char buf[sizeof st->field];
	size_t used = 0;
	buf[0] = '\0';
	int depth = p->depth < PATH_DEPTH ? p->depth : PATH_DEPTH;
	for (int i = 0; i < depth && used < sizeof buf; i++) {
		int n = p->index[i] >= 0 ? snprintf(buf + used, sizeof buf - used, "%s%s[%ld]",
		                                    i ? "." : "", p->names[i], p->index[i])
		                         : snprintf(buf + used, sizeof buf - used, "%s%s",
		                                    i ? "." : "", p->names[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return ls_status_field(st, LS_INVALID_ARGUMENT, buf, "%s is not valid UTF-8", buf);
}

static bool check_message(const ProtobufCMessage *m, path *p, ls_status *st);

static bool check_value(const ProtobufCFieldDescriptor *f, const void *v, path *p,
                        ls_status *st)
{
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(char *const *)v;
		if (s == NULL || ls_utf8_valid(s, strlen(s)))
			return true;
		fail_at(p, st);
		return false;
	}
	const ProtobufCMessage *sub = *(ProtobufCMessage *const *)v;
	return sub == NULL || check_message(sub, p, st);
}

static bool check_message(const ProtobufCMessage *m, path *p, ls_status *st)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	/* Deeper than the path can tell is still checked; the path then names
	 * the deepest step it holds. */
	int at = p->depth < PATH_DEPTH ? p->depth : PATH_DEPTH - 1;
	p->depth++;
	bool ok = true;
	for (unsigned i = 0; ok && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const char *base = (const char *)m;
		/* The members of a oneof share their storage: only the one set
		 * holds a value of its own type. */
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		p->names[at] = f->name;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t count = *(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(char *const *)(base + f->offset);
			for (size_t k = 0; ok && k < count; k++) {
				p->index[at] = (long)k;
				ok = check_value(f, arr + k * sizeof(void *), p, st);
			}
		} else {
			p->index[at] = -1;
			ok = check_value(f, base + f->offset, p, st);
		}
	}
	p->depth--;
	return ok;
}

int ls_message_check_utf8(const ProtobufCMessage *m, ls_status *st)
{
	path p = {.depth = 0};
	return check_message(m, &p, st) ? LS_OK : st->code;
}

int ls_message_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                      size_t len, const char *what, ProtobufCMessage **out, ls_status *st)
{
	*out = protobuf_c_message_unpack(desc, NULL, len, data);
	if (*out == NULL)
		return ls_status_set(st, LS_INVALID_ARGUMENT, "%s is not a valid %s", what,
		                     desc->name);
	if (ls_message_check_utf8(*out, st) != LS_OK) {
		protobuf_c_message_free_unpacked(*out, NULL);
		*out = NULL;
		return st->code;
	}
	return LS_OK;
}

int ls_message_pack(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	*out = malloc(n ? n : 1);
	if (*out == NULL)
		return LS_RESOURCE_EXHAUSTED;
	*len = protobuf_c_message_pack(m, *out);
	return LS_OK;
}
