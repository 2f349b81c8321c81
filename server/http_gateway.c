#include "http_gateway.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/util/platform.h>
#include <sodium.h>

#include "auth.h"
#include "dispatch.h"
#include "json.h"
#include "log.h"
#include "rpc.h"
#include "rpc_server.h"

#define API_PREFIX "/api/v1"
/* The longest deadline a caller may ask for in X-Deadline-Ms. */
#define DEADLINE_MAX_MS (10u * 60u * 1000u)
/* nng 1.5.2's HTTP server tells no peer address, so failed logins are
 * slowed per token (the dispatcher's peer table, keyed by the token's hash)
 * and overall: past this many failures in SRV_AUTH_WINDOW_NS, only tokens
 * that authenticated lately are let through until the window ends. */
#define OVERALL_FAILURES_MAX 50
#define GOOD_SLOTS 64
#define TOKEN_TAG_SIZE 16

typedef struct http_job http_job;
struct http_job {
	srv_rpc_job job; /* first: the queue hands it back as a srv_rpc_job */
	srv_http *gw;
	nng_aio *aio; /* the handler's; NULL once the connection went away */
	ls_method m;
	uint8_t tag[TOKEN_TAG_SIZE]; /* the token's hash */
	http_job *prev, *next;       /* the pending list */
};

typedef struct good_token {
	uint8_t tag[TOKEN_TAG_SIZE];
	uint64_t last_ns; /* 0: free */
} good_token;

struct srv_http {
	srv_server *srv;
	srv_rpc *rpc;
	nng_http_server *server;
	size_t max_body;

	nng_mtx *mtx; /* guards what follows */
	nng_cv *cv;   /* signalled when nng lets go of the API handler */
	bool released;
	http_job *pending;
	uint64_t fail_first_ns;
	int fails;
	uint64_t blocked_until_ns;
	good_token good[GOOD_SLOTS];
};

int srv_http_status_of(int code)
{
	switch (code) {
	case LS_OK:
		return 200;
	case LS_INVALID_ARGUMENT:
	case LS_FAILED_PRECONDITION:
	case LS_OUT_OF_RANGE:
		return 400;
	case LS_UNAUTHENTICATED:
		return 401;
	case LS_PERMISSION_DENIED:
		return 403;
	case LS_NOT_FOUND:
		return 404;
	case LS_ALREADY_EXISTS:
	case LS_ABORTED:
		return 409;
	case LS_RESOURCE_EXHAUSTED:
		return 429;
	case LS_CANCELLED:
		return 499;
	case LS_UNIMPLEMENTED:
		return 501;
	case LS_UNAVAILABLE:
		return 503;
	case LS_DEADLINE_EXCEEDED:
		return 504;
	default:
		return 500;
	}
}

/* ---- responses --------------------------------------------------------------- */

/* A response with body as its JSON text (stolen), or NULL when out of
 * memory. API answers are private to their caller: never cached. */
static nng_http_res *json_response(int status, json_t *body)
{
	nng_http_res *res = NULL;
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	if (text == NULL || nng_http_res_alloc(&res) != 0) {
		free(text);
		return NULL;
	}
	if (nng_http_res_set_status(res, (uint16_t)status) != 0 ||
	    nng_http_res_set_header(res, "Content-Type", "application/json; charset=utf-8") != 0 ||
	    nng_http_res_set_header(res, "Cache-Control", "no-store") != 0 ||
	    nng_http_res_set_header(res, "X-Content-Type-Options", "nosniff") != 0 ||
	    nng_http_res_copy_data(res, text, strlen(text)) != 0) {
		nng_http_res_free(res);
		res = NULL;
	}
	free(text);
	return res;
}

/* The error body: {code, status, message, field}, with code the gRPC
 * number as grpc-gateway gives it. */
static nng_http_res *error_response(int http_status, const ls_status *st, int retry_after_s)
{
	json_t *j = json_object();
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "code", json_integer(st->code));
	json_object_set_new(j, "status", json_string(ls_code_name(st->code)));
	json_object_set_new(j, "message", json_string(st->message));
	if (st->field[0] != '\0')
		json_object_set_new(j, "field", json_string(st->field));
	nng_http_res *res =
	    json_response(http_status ? http_status : srv_http_status_of(st->code), j);
	if (res == NULL)
		return NULL;
	char n[16];
	if (retry_after_s > 0) {
		snprintf(n, sizeof n, "%d", retry_after_s);
		nng_http_res_set_header(res, "Retry-After", n);
	}
	if (st->code == LS_UNAUTHENTICATED)
		nng_http_res_set_header(res, "WWW-Authenticate", "Bearer");
	return res;
}

/* Completes the handler's aio with res; no response at all (out of
 * memory) makes nng close the connection. */
static void respond(nng_aio *aio, nng_http_res *res)
{
	if (res == NULL) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void respond_error(nng_aio *aio, int http_status, int code, const char *field,
                          int retry_after_s, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void respond_error(nng_aio *aio, int http_status, int code, const char *field,
                          int retry_after_s, const char *fmt, ...)
{
	ls_status st;
	va_list ap;
	va_start(ap, fmt);
	ls_status_vfield(&st, code, field, fmt, ap);
	va_end(ap);
	respond(aio, error_response(http_status, &st, retry_after_s));
}

/* ---- failed logins, overall ---------------------------------------------------- */

static void token_tag(const char *authorization, uint8_t tag[TOKEN_TAG_SIZE])
{
	crypto_generichash(tag, TOKEN_TAG_SIZE, (const uint8_t *)authorization,
	                   strlen(authorization), NULL, 0);
}

static bool good_known(srv_http *gw, const uint8_t tag[TOKEN_TAG_SIZE])
{
	for (size_t i = 0; i < GOOD_SLOTS; i++)
		if (gw->good[i].last_ns != 0 &&
		    sodium_memcmp(gw->good[i].tag, tag, TOKEN_TAG_SIZE) == 0)
			return true;
	return false;
}

/* Seconds until the overall block ends for this token, or 0 when it may
 * pass. Any thread. */
static int overall_blocked(srv_http *gw, const uint8_t tag[TOKEN_TAG_SIZE], uint64_t now_ns)
{
	int s = 0;
	nng_mtx_lock(gw->mtx);
	if (now_ns < gw->blocked_until_ns && !good_known(gw, tag))
		s = (int)((gw->blocked_until_ns - now_ns + 999999999u) / 1000000000u);
	nng_mtx_unlock(gw->mtx);
	return s;
}

/* Learns from an answer whether its token was good. Loop thread. */
static void overall_learn(srv_http *gw, const http_job *j, int code, uint64_t now_ns)
{
	nng_mtx_lock(gw->mtx);
	if (code == LS_UNAUTHENTICATED) {
		if (now_ns - gw->fail_first_ns >= SRV_AUTH_WINDOW_NS) {
			gw->fail_first_ns = now_ns;
			gw->fails = 0;
		}
		if (++gw->fails >= OVERALL_FAILURES_MAX && now_ns >= gw->blocked_until_ns) {
			gw->blocked_until_ns = now_ns + SRV_AUTH_WINDOW_NS;
			ls_warn("http: %d failed authentications within %llu s; only known tokens "
			        "pass for %llu s",
			        gw->fails, SRV_AUTH_WINDOW_NS / 1000000000u,
			        SRV_AUTH_WINDOW_NS / 1000000000u);
		}
	} else if (code == LS_OK || code == LS_INVALID_ARGUMENT || code == LS_NOT_FOUND ||
	           code == LS_PERMISSION_DENIED || code == LS_ALREADY_EXISTS ||
	           code == LS_FAILED_PRECONDITION || code == LS_OUT_OF_RANGE) {
		/* Answers that only come past authentication prove the token. The
		 * slot kept is the token's own, else a free one, else the least
		 * recent. */
		good_token *slot = NULL;
		for (size_t i = 0; i < GOOD_SLOTS; i++) {
			good_token *g = &gw->good[i];
			if (g->last_ns != 0 && sodium_memcmp(g->tag, j->tag, TOKEN_TAG_SIZE) == 0) {
				slot = g;
				break;
			}
			if (slot == NULL || g->last_ns < slot->last_ns)
				slot = g;
		}
		memcpy(slot->tag, j->tag, TOKEN_TAG_SIZE);
		slot->last_ns = now_ns ? now_ns : 1;
	}
	nng_mtx_unlock(gw->mtx);
}

/* ---- the API ----------------------------------------------------------------- */

static void pending_remove(srv_http *gw, http_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		gw->pending = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

/* The connection closed while its request waits in the queue: the request
 * still runs (as on the nng side, where the client may have gone), but its
 * answer goes nowhere. */
static void api_cancel(nng_aio *aio, void *arg, int rv)
{
	srv_http *gw = arg;
	bool found = false;
	nng_mtx_lock(gw->mtx);
	for (http_job *j = gw->pending; j != NULL; j = j->next) {
		if (j->aio == aio) {
			j->aio = NULL;
			found = true;
			break;
		}
	}
	nng_mtx_unlock(gw->mtx);
	if (found)
		nng_aio_finish(aio, rv);
}

/* The answer of a request, as JSON. Loop thread. */
static nng_http_res *answer_response(http_job *j)
{
	srv_request *r = &j->job.req;
	if (r->status.code != LS_OK) {
		/* The dispatcher says how long a blocked token waits; a rate
		 * limit's bucket refills within the second. */
		int retry = 0;
		if (r->status.code == LS_RESOURCE_EXHAUSTED) {
			const char *in = strstr(r->status.message, "again in ");
			if (in == NULL || sscanf(in, "again in %d s", &retry) != 1 || retry < 1)
				retry = 1;
		}
		return error_response(0, &r->status, retry);
	}
	const ProtobufCMessageDescriptor *out = j->m.method->output;
	ProtobufCMessage *msg =
	    protobuf_c_message_unpack(out, NULL, r->body ? r->body_len : 0, r->body);
	if (msg == NULL) {
		ls_status st;
		ls_status_set(&st, LS_INTERNAL, "cannot read the answer of %s", r->env->method);
		return error_response(0, &st, 0);
	}
	json_t *json = ls_json_from_message(msg);
	protobuf_c_message_free_unpacked(msg, NULL);
	return json ? json_response(200, json) : NULL;
}

static void job_answered(srv_rpc_job *job)
{
	http_job *j = (http_job *)job;
	srv_http *gw = j->gw;
	overall_learn(gw, j, job->req.status.code, srv_clock_ns());
	nng_mtx_lock(gw->mtx);
	pending_remove(gw, j);
	nng_aio *aio = j->aio;
	j->aio = NULL;
	nng_mtx_unlock(gw->mtx);
	if (aio != NULL)
		respond(aio, answer_response(j));
	srv_request_reset(&job->req);
	free(j);
}

/* Finds the method of "/api/v1/QueryService/Summary" (the package may be
 * left out of the service's name). */
static bool method_of(const char *uri, ls_method *m)
{
	char path[256], full[300];
	size_t n = strcspn(uri, "?#");
	if (n >= sizeof path)
		return false;
	memcpy(path, uri, n);
	path[n] = '\0';
	const char *p = path + strlen(API_PREFIX);
	if (*p++ != '/')
		return false;
	const char *slash = strchr(p, '/');
	if (slash == NULL || slash == p || slash[1] == '\0' || strchr(slash + 1, '/') != NULL)
		return false;
	for (const char *c = p; *c; c++)
		if (!(*c == '/' || *c == '.' || *c == '_' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
			return false;
	int svc_len = (int)(slash - p);
	bool qualified = memchr(p, '.', (size_t)svc_len) != NULL;
	snprintf(full, sizeof full, "/%s%.*s%s", qualified ? "" : "luoshi.v1.", svc_len, p, slash);
	return ls_method_find(full, m) == LS_OK;
}

/* X-Deadline-Ms: the request's deadline from its arrival, as timeout_ms in
 * the envelope. 0 when absent; -1 when malformed. */
static long deadline_of(nng_http_req *req)
{
	const char *v = nng_http_req_get_header(req, "X-Deadline-Ms");
	if (v == NULL)
		return 0;
	char *end;
	errno = 0;
	long ms = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || ms < 1 || ms > (long)DEADLINE_MAX_MS)
		return -1;
	return ms;
}

/* Builds the envelope the nng client would send and decodes it as the nng
 * side does, into j->job.req. */
static void envelope(http_job *j, const char *full, const ProtobufCMessage *in,
                     const char *authorization, const char *key, const char *request_id,
                     long timeout_ms)
{
	srv_request *r = &j->job.req;
	uint8_t *body = NULL, *packed = NULL;
	size_t body_len = 0, packed_len = 0;
	if (ls_message_pack(in, &body, &body_len) != LS_OK) {
		ls_status_set(&r->status, LS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	Luoshi__V1__Request__MetadataEntry md[3];
	Luoshi__V1__Request__MetadataEntry *mdp[3];
	const char *keys[3] = {LS_MD_AUTHORIZATION, LS_MD_IDEMPOTENCY_KEY, LS_MD_REQUEST_ID};
	const char *values[3] = {authorization, key, request_id};
	size_t n_md = 0;
	for (size_t i = 0; i < 3; i++) {
		if (values[i] == NULL)
			continue;
		luoshi__v1__request__metadata_entry__init(&md[n_md]);
		md[n_md].key = (char *)keys[i];
		md[n_md].value = (char *)values[i];
		mdp[n_md] = &md[n_md];
		n_md++;
	}
	Luoshi__V1__Request env = LUOSHI__V1__REQUEST__INIT;
	env.has_protocol_version = 1;
	env.protocol_version = LS_PROTOCOL_VERSION;
	env.method = (char *)full;
	env.n_metadata = n_md;
	env.metadata = mdp;
	env.has_timeout_ms = timeout_ms > 0;
	env.timeout_ms = (uint32_t)timeout_ms;
	env.has_body = 1;
	env.body.data = body;
	env.body.len = body_len;
	if (ls_message_pack(&env.base, &packed, &packed_len) != LS_OK) {
		free(body);
		ls_status_set(&r->status, LS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	free(body);
	srv_request_decode(r, packed, packed_len);
	free(packed);
}

static void api_cb(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	srv_http *gw = nng_http_handler_get_data(h);
	ls_method m;

	if (!method_of(nng_http_req_get_uri(req), &m)) {
		respond_error(aio, 404, LS_NOT_FOUND, NULL, 0,
		              "no such method: the API is POST /api/v1/<Service>/<Method>");
		return;
	}
	if (strcmp(nng_http_req_get_method(req), "POST") != 0) {
		nng_http_res *res = NULL;
		ls_status st;
		ls_status_set(&st, LS_UNIMPLEMENTED, "the API takes POST only");
		res = error_response(405, &st, 0);
		if (res != NULL)
			nng_http_res_set_header(res, "Allow", "POST");
		respond(aio, res);
		return;
	}
	const char *authorization = nng_http_req_get_header(req, "Authorization");
	if (authorization == NULL || authorization[0] == '\0') {
		respond_error(aio, 0, LS_UNAUTHENTICATED, "authorization", 0,
		              "this call needs a token (Authorization: Bearer <token>)");
		return;
	}
	http_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		respond(aio, NULL);
		return;
	}
	j->gw = gw;
	j->m = m;
	token_tag(authorization, j->tag);
	uint64_t now_ns = srv_clock_ns();
	int retry = overall_blocked(gw, j->tag, now_ns);
	if (retry > 0) {
		free(j);
		respond_error(aio, 0, LS_RESOURCE_EXHAUSTED, NULL, retry,
		              "too many failed authentications; try again in %d s", retry);
		return;
	}
	const char *type = nng_http_req_get_header(req, "Content-Type");
	if (type != NULL && strncmp(type, "application/json", 16) != 0) {
		free(j);
		respond_error(aio, 415, LS_INVALID_ARGUMENT, "Content-Type", 0,
		              "the body must be application/json, not %s", type);
		return;
	}
	long timeout_ms = deadline_of(req);
	if (timeout_ms < 0) {
		free(j);
		respond_error(aio, 0, LS_INVALID_ARGUMENT, "X-Deadline-Ms", 0,
		              "X-Deadline-Ms is a whole number of milliseconds from 1 to %u",
		              DEADLINE_MAX_MS);
		return;
	}

	void *data;
	size_t len;
	nng_http_req_get_data(req, &data, &len);
	json_error_t jerr;
	json_t *json =
	    len == 0 ? json_object() : json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (json == NULL || !json_is_object(json)) {
		free(j);
		if (json == NULL)
			respond_error(aio, 0, LS_INVALID_ARGUMENT, NULL, 0,
			              "the body is not JSON (line %d, column %d): %s", jerr.line,
			              jerr.column, jerr.text);
		else
			respond_error(aio, 0, LS_INVALID_ARGUMENT, NULL, 0,
			              "the body must be a JSON object, the request message");
		json_decref(json);
		return;
	}
	ProtobufCMessage *in = NULL;
	ls_status st;
	ls_status_clear(&st);
	int rc = ls_json_to_message(m.method->input, json, &in, &st);
	json_decref(json);
	if (rc != LS_OK) {
		free(j);
		respond(aio, error_response(0, &st, 0));
		return;
	}
	char full[300];
	ls_method_full_name(m.service, m.method, full, sizeof full);
	envelope(j, full, in, authorization, nng_http_req_get_header(req, "Idempotency-Key"),
	         nng_http_req_get_header(req, "X-Request-Id"), timeout_ms);
	protobuf_c_message_free_unpacked(in, NULL);
	srv_request *r = &j->job.req;
	if (r->status.code != LS_OK) {
		respond(aio, error_response(0, &r->status, 0));
		srv_request_reset(r);
		free(j);
		return;
	}
	r->recv_ns = now_ns;
	r->token_required = true;
	/* The dispatcher slows failed authentications per peer: here the
	 * peer is the token. */
	char hex[2 * 8 + 1];
	sodium_bin2hex(hex, sizeof hex, j->tag, 8);
	snprintf(r->peer, sizeof r->peer, "http:%s", hex);
	j->job.answered = job_answered;
	j->aio = aio;

	nng_mtx_lock(gw->mtx);
	j->next = gw->pending;
	if (gw->pending)
		gw->pending->prev = j;
	gw->pending = j;
	nng_mtx_unlock(gw->mtx);
	nng_aio_defer(aio, api_cancel, gw);
	if (srv_rpc_submit(gw->rpc, &j->job))
		return;
	/* Draining: nothing more is taken. */
	nng_mtx_lock(gw->mtx);
	pending_remove(gw, j);
	nng_aio *mine = j->aio;
	j->aio = NULL;
	nng_mtx_unlock(gw->mtx);
	srv_request_reset(r);
	free(j);
	if (mine != NULL)
		respond_error(mine, 0, LS_UNAVAILABLE, NULL, 0, "the server is shutting down");
}

/* ---- static files ------------------------------------------------------------ */

static void file_cb(nng_aio *aio)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	const srv_web_file *f = nng_http_handler_get_data(h);
	nng_http_res *res;
	if (nng_http_res_alloc(&res) != 0) {
		respond(aio, NULL);
		return;
	}
	if (nng_http_res_set_header(res, "Content-Type", f->type) != 0 ||
	    nng_http_res_set_header(res, "Cache-Control", "no-cache") != 0 ||
	    nng_http_res_set_header(res, "X-Content-Type-Options", "nosniff") != 0 ||
	    nng_http_res_set_header(res, "X-Frame-Options", "DENY") != 0 ||
	    nng_http_res_set_header(res, "Referrer-Policy", "no-referrer") != 0 ||
	    nng_http_res_set_header(res, "Content-Security-Policy",
	                            "default-src 'self'; img-src 'self' data:; style-src 'self' "
	                            "'unsafe-inline'; frame-ancestors 'none'") != 0 ||
	    nng_http_res_set_data(res, f->data, f->len) != 0) {
		nng_http_res_free(res);
		respond(aio, NULL);
		return;
	}
	respond(aio, res);
}

/* ---- the listener ------------------------------------------------------------ */

/* The API handler's data destructor: nng calls it once no connection can
 * call the handler any more. */
static void api_released(void *arg)
{
	srv_http *gw = arg;
	nng_mtx_lock(gw->mtx);
	gw->released = true;
	nng_cv_wake(gw->cv);
	nng_mtx_unlock(gw->mtx);
}

static int add_handler(srv_http *gw, const char *path, void (*cb)(nng_aio *), void *data, bool api)
{
	nng_http_handler *h;
	int rv = nng_http_handler_alloc(&h, path, cb);
	if (rv != 0)
		return rv;
	if ((rv = nng_http_handler_set_data(h, data, api ? api_released : NULL)) != 0 ||
	    (api && ((rv = nng_http_handler_set_method(h, NULL)) != 0 ||
	             (rv = nng_http_handler_set_tree(h)) != 0 ||
	             (rv = nng_http_handler_collect_body(h, true, gw->max_body)) != 0)) ||
	    (!api && (rv = nng_http_handler_collect_body(h, false, 0)) != 0)) {
		nng_http_handler_free(h);
		return rv;
	}
	if ((rv = nng_http_server_add_handler(gw->server, h)) != 0) {
		/* Not ours to signal about: the server never had it. */
		if (api)
			nng_http_handler_set_data(h, NULL, NULL);
		nng_http_handler_free(h);
	}
	return rv;
}

/* Lets go of the server and frees gw once nng has let go of the API
 * handler; a server that will not let go within the limit keeps gw, which
 * a late callback may still reach. */
#define RELEASE_LIMIT_MS 3000

static void release(srv_http *gw, bool api_added)
{
	if (gw->server != NULL)
		nng_http_server_release(gw->server);
	if (api_added) {
		nng_time until = nng_clock() + RELEASE_LIMIT_MS;
		nng_mtx_lock(gw->mtx);
		while (!gw->released && nng_cv_until(gw->cv, until) != NNG_ETIMEDOUT)
			;
		bool gone = gw->released;
		nng_mtx_unlock(gw->mtx);
		if (!gone) {
			ls_warn("http: the server did not close in %d ms", RELEASE_LIMIT_MS);
			return;
		}
	}
	nng_cv_free(gw->cv);
	nng_mtx_free(gw->mtx);
	free(gw);
}

int srv_http_open(srv_server *srv, const char *url, srv_http **out, ls_status *st)
{
	*out = NULL;
	if (strncmp(url, "http://", 7) != 0)
		return ls_status_field(st, LS_INVALID_ARGUMENT, "http",
		                       "the dashboard's URL must be http://HOST:PORT, not %s", url);
	srv_http *gw = calloc(1, sizeof *gw);
	if (gw == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	gw->srv = srv;
	gw->rpc = srv->rpc;
	gw->max_body = srv->cfg.max_message;
	nng_url *u = NULL;
	bool api_added = false;
	int rv;
	if ((rv = nng_mtx_alloc(&gw->mtx)) != 0 || (rv = nng_cv_alloc(&gw->cv, gw->mtx)) != 0) {
		if (gw->mtx != NULL)
			nng_mtx_free(gw->mtx);
		free(gw);
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "nng: %s", nng_strerror(rv));
	}
	if ((rv = nng_url_parse(&u, url)) != 0 ||
	    (rv = nng_http_server_hold(&gw->server, u)) != 0) {
		ls_status_field(st, LS_INVALID_ARGUMENT, "http", "cannot serve HTTP on %s: %s", url,
		                nng_strerror(rv));
		goto fail;
	}
	if ((rv = add_handler(gw, API_PREFIX, api_cb, gw, true)) != 0)
		goto fail_handler;
	api_added = true;
	for (size_t i = 0; i < srv_n_web_files; i++) {
		const srv_web_file *f = &srv_web_files[i];
		if ((rv = add_handler(gw, f->path, file_cb, (void *)f, false)) != 0)
			goto fail_handler;
		if (strcmp(f->path, "/index.html") == 0 &&
		    (rv = add_handler(gw, "/", file_cb, (void *)f, false)) != 0)
			goto fail_handler;
	}
	if ((rv = nng_http_server_start(gw->server)) != 0) {
		ls_status_field(st, rv == NNG_EADDRINVAL ? LS_INVALID_ARGUMENT : LS_UNAVAILABLE,
		                "http", "cannot serve HTTP on %s: %s", url, nng_strerror(rv));
		goto fail;
	}
	nng_url_free(u);
	ls_info("http: the dashboard and the JSON API on %s", url);
	*out = gw;
	return LS_OK;

fail_handler:
	ls_status_set(st, LS_INTERNAL, "http: cannot set up the handlers: %s", nng_strerror(rv));
fail:
	if (u != NULL)
		nng_url_free(u);
	release(gw, api_added);
	return st->code;
}

void srv_http_close(srv_http *gw)
{
	if (gw == NULL)
		return;
	/* Drained before: no request waits in the queue, and stopping closes
	 * every connection. */
	nng_http_server_stop(gw->server);
	release(gw, true);
}
