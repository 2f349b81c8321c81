#include "dispatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <sodium.h>

#include "auth.h"
#include "json.h"
#include "log.h"
#include "rpc.h"

struct srv_method {
	char *full_name; /* "/luoshi.v1.HealthService/Check" */
	const ProtobufCServiceDescriptor *sd;
	unsigned index;
	ProtobufCService *impl; /* NULL: no handler yet */
	bool needs_token;
};

static srv_method *methods;
static size_t n_methods;

/* Per-account token buckets for the rate limit, in an open-addressing
 * table keyed by account id. Touched by the loop thread only. */
typedef struct bucket {
	int64_t account; /* 0: free slot */
	double tokens;
	uint64_t last_ns;
} bucket;

static bucket *buckets;
static size_t n_buckets, cap_buckets;

#define IDEM_KEY_MAX 128
#define IDEM_KEEP_SECONDS (31 * 24 * 3600)

typedef void (*generic_handler)(ProtobufCService *, const ProtobufCMessage *,
                                ProtobufCClosure, void *);

/* protobuf-c keeps the handlers as function pointers right after the base
 * struct, in method order; the generated init leaves unset ones NULL, and
 * invoking a NULL one crashes, so every call checks first. */
static generic_handler handler_of(ProtobufCService *impl, unsigned index)
{
	if (impl == NULL || index >= impl->descriptor->n_methods)
		return NULL;
	return ((generic_handler *)(impl + 1))[index];
}

static int cmp_method(const void *a, const void *b)
{
	return strcmp(((const srv_method *)a)->full_name, ((const srv_method *)b)->full_name);
}

int srv_dispatch_init(ProtobufCService *const *impls, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < ls_n_service_descriptors; i++)
		total += ls_service_descriptors[i]->n_methods;
	methods = calloc(total ? total : 1, sizeof *methods);
	if (methods == NULL)
		return LS_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < ls_n_service_descriptors; i++) {
		const ProtobufCServiceDescriptor *sd = ls_service_descriptors[i];
		ProtobufCService *impl = NULL;
		for (size_t k = 0; k < n; k++)
			if (impls[k]->descriptor == sd)
				impl = impls[k];
		for (unsigned j = 0; j < sd->n_methods; j++) {
			srv_method *m = &methods[n_methods];
			char name[256];
			ls_method_full_name(sd, &sd->methods[j], name, sizeof name);
			if ((m->full_name = strdup(name)) == NULL) {
				srv_dispatch_fini();
				return LS_RESOURCE_EXHAUSTED;
			}
			m->sd = sd;
			m->index = j;
			m->impl = handler_of(impl, j) ? impl : NULL;
			m->needs_token = strcmp(sd->name, "luoshi.v1.HealthService") != 0;
			n_methods++;
		}
	}
	qsort(methods, n_methods, sizeof *methods, cmp_method);
	return LS_OK;
}

void srv_dispatch_fini(void)
{
	srv_auth_peers_reset();
	free(buckets);
	buckets = NULL;
	n_buckets = cap_buckets = 0;
	for (size_t i = 0; i < n_methods; i++)
		free(methods[i].full_name);
	free(methods);
	methods = NULL;
	n_methods = 0;
}

static const srv_method *find(const char *full_name)
{
	srv_method key = {.full_name = (char *)full_name};
	return bsearch(&key, methods, n_methods, sizeof *methods, cmp_method);
}

bool srv_dispatch_implemented(const ProtobufCServiceDescriptor *sd, unsigned index)
{
	char name[256];
	ls_method_full_name(sd, &sd->methods[index], name, sizeof name);
	const srv_method *m = find(name);
	return m != NULL && m->impl != NULL;
}

void srv_request_reset(srv_request *r)
{
	if (r->input != NULL)
		protobuf_c_message_free_unpacked(r->input, NULL);
	if (r->env != NULL)
		luoshi__v1__request__free_unpacked(r->env, NULL);
	free(r->body);
	memset(r, 0, sizeof *r);
}

void srv_request_decode(srv_request *r, const uint8_t *data, size_t len)
{
	ls_status *st = &r->status;
	ls_status_clear(st);
	ProtobufCMessage *env = NULL;
	if (ls_message_unpack(&luoshi__v1__request__descriptor, data, len, "the envelope", &env,
	                      st) != LS_OK)
		return;
	r->env = (Luoshi__V1__Request *)env;
	if (!r->env->has_protocol_version) {
		ls_status_field(st, LS_INVALID_ARGUMENT, "protocol_version",
		                "the envelope has no protocol_version; this server speaks %u",
		                LS_PROTOCOL_VERSION);
		return;
	}
	if (r->env->protocol_version != LS_PROTOCOL_VERSION) {
		ls_status_field(st, LS_FAILED_PRECONDITION, "protocol_version",
		                "the client speaks protocol version %u; this server speaks %u",
		                r->env->protocol_version, LS_PROTOCOL_VERSION);
		return;
	}
	if (r->env->method == NULL || r->env->method[0] == '\0') {
		ls_status_field(st, LS_INVALID_ARGUMENT, "method", "the envelope names no method");
		return;
	}
	const srv_method *m = find(r->env->method);
	if (m == NULL) {
		ls_status_set(st, LS_UNIMPLEMENTED, "unknown method %s", r->env->method);
		return;
	}
	if (m->impl == NULL) {
		ls_status_set(st, LS_UNIMPLEMENTED, "method %s is not implemented by this server",
		              r->env->method);
		return;
	}
	r->method = m;
	const ProtobufCMethodDescriptor *md = &m->sd->methods[m->index];
	ls_message_unpack(md->input, r->env->has_body ? r->env->body.data : NULL,
	                  r->env->has_body ? r->env->body.len : 0, "the request body", &r->input,
	                  st);
}

/* ---- the handler's side ---------------------------------------------------- */

void srv_reply(const ProtobufCMessage *m, void *arg)
{
	srv_call *c = arg;
	if (c->answered)
		return;
	c->answered = true;
	if (ls_message_pack(m, &c->body, &c->body_len) != LS_OK)
		ls_status_set(&c->status, LS_RESOURCE_EXHAUSTED, "out of memory");
}

int srv_fail(srv_call *c, int code, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ls_status_vfield(&c->status, code, field, fmt, ap);
	va_end(ap);
	c->answered = true;
	return code;
}

int srv_require_role(srv_call *c, ...)
{
	va_list ap;
	va_start(ap, c);
	int r;
	bool ok = false;
	while ((r = va_arg(ap, int)) != SRV_ROLE_NONE)
		if (c->caller != NULL && c->caller->role == (srv_role)r)
			ok = true;
	va_end(ap);
	if (ok)
		return LS_OK;
	return srv_fail(c, LS_PERMISSION_DENIED, NULL, "the %s role may not call %s",
	                c->caller ? srv_role_name(c->caller->role) : "anonymous", c->method);
}

int srv_audit(srv_call *c, const char *entity, int64_t entity_id, int64_t project,
              const ProtobufCMessage *before, const ProtobufCMessage *after)
{
	char now[32], *b = NULL, *a = NULL;
	srv_now_iso(now);
	if (before != NULL) {
		json_t *j = ls_json_from_message(before);
		b = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
	}
	if (after != NULL) {
		json_t *j = ls_json_from_message(after);
		a = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
	}
	int rc = LS_OK;
	if ((before != NULL && b == NULL) || (after != NULL && a == NULL))
		rc = srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	else if (srv_store_audit(c->srv->store, now, c->caller ? c->caller->id : 0, c->method,
	                         entity, entity_id, project, b, a, &c->status) != LS_OK)
		rc = c->status.code;
	free(b);
	free(a);
	return rc;
}

void srv_now_iso(char buf[32])
{
	/* A write asks for the time two or three times (the row, its audit),
	 * and a batch runs within a second or so: localtime_r, which consults
	 * the time zone each call, runs once a second per thread. */
	static _Thread_local time_t last = (time_t)-1;
	static _Thread_local char text[32];
	time_t t = time(NULL);
	if (t != last) {
		struct tm tm;
		char zone[8];
		localtime_r(&t, &tm);
		size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof zone, "%z", &tm);
		snprintf(text + n, sizeof text - n, "%.3s:%.2s", zone, zone + 3);
		last = t;
	}
	memcpy(buf, text, sizeof text);
}

const srv_scope *srv_call_scope(srv_call *c)
{
	if (!c->scoped && c->caller != NULL) {
		ls_status st;
		if (srv_store_scope(c->srv->store, c->caller, &c->scope, &st) != LS_OK)
			c->scope.mode = SRV_SCOPE_NONE;
		c->scoped = true;
	}
	return &c->scope;
}

void srv_call_method(srv_call *parent, const char *full_name, const ProtobufCMessage *in,
                     srv_call *sub)
{
	memset(sub, 0, sizeof *sub);
	sub->srv = parent->srv;
	sub->caller = parent->caller;
	/* Same caller, same scope: worked out once for a whole import. */
	sub->scope = *srv_call_scope(parent);
	sub->scoped = parent->scoped;
	const srv_method *m = find(full_name);
	if (m == NULL || m->impl == NULL) {
		ls_status_set(&sub->status, LS_UNIMPLEMENTED, "method %s is not implemented",
		              full_name);
		return;
	}
	if (in->descriptor != m->sd->methods[m->index].input) {
		ls_status_set(&sub->status, LS_INTERNAL, "%s takes %s, not %s", full_name,
		              m->sd->methods[m->index].input->name, in->descriptor->name);
		return;
	}
	sub->method = m->full_name;
	m->impl->invoke(m->impl, m->index, in, srv_reply, sub);
	if (!sub->answered && sub->status.code == LS_OK)
		ls_status_set(&sub->status, LS_INTERNAL, "%s gave no answer", full_name);
	if (sub->status.code != LS_OK) {
		free(sub->body);
		sub->body = NULL;
		sub->body_len = 0;
	}
}

/* ---- running a batch -------------------------------------------------------- */

static void request_hash(const srv_request *r, uint8_t out[SRV_HASH_SIZE])
{
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, SRV_HASH_SIZE);
	crypto_generichash_update(&h, (const uint8_t *)r->env->method, strlen(r->env->method) + 1);
	if (r->env->has_body)
		crypto_generichash_update(&h, r->env->body.data, r->env->body.len);
	crypto_generichash_final(&h, out, SRV_HASH_SIZE);
}

static bool key_valid(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > IDEM_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return false;
	return true;
}

/* What the server keeps of an idempotency key: an id to find the record
 * by, and a secret to seal the response with. Both come from the key, which
 * only the client holds, so the table alone reveals no response (a new
 * account's token among them). */
typedef struct idem {
	const char *key;
	uint8_t id[SRV_HASH_SIZE];
	uint8_t secret[crypto_secretbox_KEYBYTES];
	uint8_t request[SRV_HASH_SIZE];
} idem;

static void idem_derive(idem *k, const char *key, const srv_request *r)
{
	static const uint8_t id_ctx[] = "luoshi idempotency id";
	static const uint8_t seal_ctx[] = "luoshi idempotency seal";
	k->key = key;
	crypto_generichash(k->id, sizeof k->id, (const uint8_t *)key, strlen(key), id_ctx,
	                   sizeof id_ctx);
	crypto_generichash(k->secret, sizeof k->secret, (const uint8_t *)key, strlen(key),
	                   seal_ctx, sizeof seal_ctx);
	request_hash(r, k->request);
}

/* Answers from the idempotency record when there is one. Returns true when
 * r is answered (from the record, or with an error). */
static bool replay(srv_server *srv, srv_request *r, const srv_account *who, const idem *k)
{
	uint8_t stored[SRV_HASH_SIZE];
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	int rc = srv_store_idem_get(srv->store, who->id, k->id, stored, &sealed, &sealed_len);
	if (rc == LS_NOT_FOUND)
		return false;
	if (rc != LS_OK) {
		ls_status_set(&r->status, rc, "cannot read the idempotency record");
		return true;
	}
	if (sodium_memcmp(stored, k->request, SRV_HASH_SIZE) != 0) {
		free(sealed);
		ls_status_field(&r->status, LS_FAILED_PRECONDITION, "metadata.idempotency-key",
		                "idempotency key \"%s\" was already used for a different request",
		                k->key);
		return true;
	}
	size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
	size_t len = sealed_len >= overhead ? sealed_len - overhead : 0;
	uint8_t *body = malloc(len ? len : 1);
	if (body == NULL || sealed_len < overhead ||
	    crypto_secretbox_open_easy(body, sealed + crypto_secretbox_NONCEBYTES,
	                               sealed_len - crypto_secretbox_NONCEBYTES, sealed,
	                               k->secret) != 0) {
		free(body);
		free(sealed);
		ls_status_set(&r->status, LS_DATA_LOSS, "the idempotency record cannot be opened");
		return true;
	}
	free(sealed);
	r->body = body;
	r->body_len = len;
	return true;
}

/* Keeps the answer under the key. Returns 0, or fails the call. */
static int remember(srv_server *srv, srv_call *call, const idem *k)
{
	size_t len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + call->body_len;
	uint8_t *sealed = malloc(len);
	if (sealed == NULL)
		return srv_fail(call, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	randombytes_buf(sealed, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(sealed + crypto_secretbox_NONCEBYTES, call->body ? call->body : sealed,
	                      call->body ? call->body_len : 0, sealed, k->secret);
	int rc = srv_store_idem_put(srv->store, call->caller->id, k->id, k->request, sealed, len,
	                            (int64_t)time(NULL), &call->status);
	free(sealed);
	return rc;
}

static bucket *bucket_of(int64_t account)
{
	if (2 * (n_buckets + 1) > cap_buckets) {
		size_t cap = cap_buckets ? 2 * cap_buckets : 256;
		bucket *b = calloc(cap, sizeof *b);
		if (b == NULL)
			return NULL;
		for (size_t i = 0; i < cap_buckets; i++) {
			if (buckets[i].account == 0)
				continue;
			size_t h = (size_t)buckets[i].account & (cap - 1);
			while (b[h].account != 0)
				h = (h + 1) & (cap - 1);
			b[h] = buckets[i];
		}
		free(buckets);
		buckets = b;
		cap_buckets = cap;
	}
	size_t h = (size_t)account & (cap_buckets - 1);
	while (buckets[h].account != 0 && buckets[h].account != account)
		h = (h + 1) & (cap_buckets - 1);
	if (buckets[h].account == 0) {
		buckets[h].account = account;
		buckets[h].tokens = -1; /* full on first use */
		n_buckets++;
	}
	return &buckets[h];
}

/* Takes one request from the account's bucket, which holds a second's
 * worth and refills continuously. False when it is empty. */
static bool rate_take(int rate, int64_t account, uint64_t now_ns)
{
	if (rate <= 0)
		return true;
	bucket *b = bucket_of(account);
	if (b == NULL)
		return true;
	if (b->tokens < 0) {
		b->tokens = rate;
	} else if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * rate / 1e9;
		if (b->tokens > rate)
			b->tokens = rate;
	}
	b->last_ns = now_ns;
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

static bool past_deadline(const srv_request *r, uint64_t now_ns)
{
	return r->env->timeout_ms > 0 &&
	       now_ns > r->recv_ns + (uint64_t)r->env->timeout_ms * 1000000u;
}

static void run_one(srv_server *srv, srv_request *r, srv_clock_fn clock)
{
	const srv_method *m = r->method;
	ls_status *st = &r->status;
	srv_account who;
	const srv_account *caller = NULL;

	uint64_t now_ns = clock();
	if (past_deadline(r, now_ns)) {
		ls_status_set(st, LS_DEADLINE_EXCEEDED,
		              "the deadline of %u ms passed before the call could run",
		              r->env->timeout_ms);
		return;
	}
	if (m->needs_token || r->token_required) {
		int retry_s;
		if (srv_auth_peer_blocked(r->peer, now_ns, &retry_s)) {
			ls_status_set(st, LS_RESOURCE_EXHAUSTED,
			              "too many failed authentications from this address; try "
			              "again in %d s",
			              retry_s);
			return;
		}
		if (srv_authenticate(srv->store, ls_metadata_get(r->env, LS_MD_AUTHORIZATION), &who,
		                     st) != LS_OK) {
			if (st->code == LS_UNAUTHENTICATED && srv_auth_peer_failed(r->peer, now_ns))
				ls_warn("auth: %d failed authentications from %s within %llu s; "
				        "refusing its calls for %llu s",
				        SRV_AUTH_FAILURES_MAX, r->peer[0] ? r->peer : "?",
				        SRV_AUTH_WINDOW_NS / 1000000000u,
				        SRV_AUTH_WINDOW_NS / 1000000000u);
			return;
		}
		caller = &who;
		if (!rate_take(srv->cfg.rate_limit, who.id, now_ns)) {
			ls_status_set(st, LS_RESOURCE_EXHAUSTED,
			              "this account is over its rate limit of %d requests a second",
			              srv->cfg.rate_limit);
			return;
		}
	}

	const char *key = caller ? ls_metadata_get(r->env, LS_MD_IDEMPOTENCY_KEY) : NULL;
	idem k;
	if (key != NULL) {
		if (!key_valid(key)) {
			ls_status_field(st, LS_INVALID_ARGUMENT, "metadata.idempotency-key",
			                "an idempotency key is 1 to %d printable ASCII characters",
			                IDEM_KEY_MAX);
			return;
		}
		idem_derive(&k, key, r);
		if (replay(srv, r, caller, &k))
			return;
	}

	if (srv_store_savepoint(srv->store, st) != LS_OK)
		return;
	int64_t before = srv_store_changes(srv->store);
	srv_call call = {.srv = srv, .method = m->full_name, .caller = caller};
	m->impl->invoke(m->impl, m->index, r->input, srv_reply, &call);
	if (!call.answered && call.status.code == LS_OK)
		ls_status_set(&call.status, LS_INTERNAL, "%s gave no answer", m->full_name);
	/* A call that waited past its deadline (for the write lock, say) leaves
	 * nothing behind: its caller has stopped listening. */
	if (call.status.code == LS_OK && past_deadline(r, clock()))
		ls_status_set(&call.status, LS_DEADLINE_EXCEEDED,
		              "the deadline of %u ms passed while the call ran", r->env->timeout_ms);
	r->wrote = !call.discard && srv_store_changes(srv->store) != before;
	if (call.status.code == LS_OK && r->wrote && key != NULL)
		remember(srv, &call, &k);
	if (call.status.code != LS_OK) {
		srv_store_savepoint_rollback(srv->store);
		free(call.body);
		r->wrote = false;
		*st = call.status;
		return;
	}
	if (call.discard)
		srv_store_savepoint_rollback(srv->store);
	else
		srv_store_savepoint_release(srv->store);
	r->body = call.body;
	r->body_len = call.body_len;
}

uint64_t srv_clock_ns(void) { return (uint64_t)nng_clock() * 1000000u; }

void srv_dispatch_batch(srv_server *srv, srv_request **reqs, size_t n, srv_clock_fn clock)
{
	ls_status st;
	ls_status_clear(&st);
	/* The write lock is taken up front: a deferred transaction that has read
	 * cannot wait for the lock held by another connection (SQLite answers
	 * BUSY at once), while an immediate one waits for it in the busy
	 * handler. */
	if (srv_store_begin(srv->store, &st) != LS_OK) {
		for (size_t i = 0; i < n; i++)
			reqs[i]->status = st;
		return;
	}
	bool wrote = false;
	for (size_t i = 0; i < n; i++) {
		run_one(srv, reqs[i], clock);
		wrote |= reqs[i]->wrote;
	}
	if (srv_store_commit(srv->store, &st) == LS_OK || !wrote)
		return;
	/* Nothing of this batch reached the disk: no write may say OK. */
	for (size_t i = 0; i < n; i++) {
		if (!reqs[i]->wrote)
			continue;
		free(reqs[i]->body);
		reqs[i]->body = NULL;
		reqs[i]->body_len = 0;
		reqs[i]->status = st;
	}
}

/* Keys are kept at least 30 days (proto/README.md). */
int srv_dispatch_purge_keys(srv_server *srv)
{
	return srv_store_idem_purge(srv->store, (int64_t)time(NULL) - IDEM_KEEP_SECONDS);
}
