#include "rpc_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>
#include <sodium.h>

#include "dispatch.h"
#include "log.h"
#include "rpc.h"

/* The most requests run in one transaction; more wait for the next. */
#define BATCH_MAX 256
#define DRAIN_LIMIT_MS 3000

enum ctx_state { CTX_IDLE, CTX_RECV, CTX_BUSY, CTX_SEND };

typedef struct srv_ctx srv_ctx;
struct srv_ctx {
	srv_rpc *rpc;
	nng_ctx ctx;
	nng_aio *aio;
	enum ctx_state state;
	srv_request req;
	srv_ctx *next; /* in the queue to the loop */
};

struct srv_rpc {
	srv_server *srv;
	nng_socket sock;
	srv_ctx *ctxs;
	int n_ctxs;

	nng_mtx *mtx; /* guards the queue and closing */
	srv_ctx *head, *tail;
	srv_rpc_job *jhead, *jtail; /* from other front ends */
	atomic_bool closing;
	atomic_int busy; /* contexts holding a request, from receipt to sent */

	uv_async_t async;
	uv_timer_t drain_timer;
	uint64_t drain_start;
	int handles_closed;
	void (*drained)(srv_server *);
};

static void arm_recv(srv_ctx *c)
{
	if (atomic_load(&c->rpc->closing)) {
		c->state = CTX_IDLE;
		return;
	}
	c->state = CTX_RECV;
	nng_ctx_recv(c->ctx, c->aio);
}

/* Packs the answer into an nng message and sends it on the context. Frees
 * what the request held. Callable from nng's threads and the loop. */
static void send_answer(srv_ctx *c)
{
	srv_request *r = &c->req;
	Luoshi__V1__Status status = LUOSHI__V1__STATUS__INIT;
	Luoshi__V1__FieldViolation fv = LUOSHI__V1__FIELD_VIOLATION__INIT;
	Luoshi__V1__FieldViolation *fvs[1] = {&fv};
	Luoshi__V1__Response resp = LUOSHI__V1__RESPONSE__INIT;

	status.has_code = true;
	status.code = r->status.code;
	if (r->status.code != LS_OK) {
		status.message = r->status.message;
		if (r->status.field[0] != '\0') {
			fv.field = r->status.field;
			fv.description = r->status.message;
			status.n_violations = 1;
			status.violations = fvs;
		}
	}
	if (r->env != NULL && r->env->has_id) {
		resp.has_id = true;
		resp.id = r->env->id;
	}
	resp.status = &status;
	if (r->status.code == LS_OK && r->body != NULL) {
		resp.has_body = true;
		resp.body.data = r->body;
		resp.body.len = r->body_len;
	}

	nng_msg *msg;
	size_t n = luoshi__v1__response__get_packed_size(&resp);
	if (nng_msg_alloc(&msg, n) != 0) {
		ls_error("rpc: out of memory for an answer of %zu bytes", n);
		srv_request_reset(r);
		atomic_fetch_sub(&c->rpc->busy, 1);
		arm_recv(c);
		return;
	}
	luoshi__v1__response__pack(&resp, nng_msg_body(msg));
	if (ls_log_get_level() <= LS_LOG_DEBUG)
		ls_debug("rpc: %s id=%llu -> %s", r->env && r->env->method ? r->env->method : "?",
		         (unsigned long long)resp.id, ls_code_name(r->status.code));
	srv_request_reset(r);
	c->state = CTX_SEND;
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}

/* The address of the peer that sent msg, without its port: a client that
 * reconnects gets a new port, but stays the same peer for the slowdown of
 * failed authentications. All ipc clients share one name. */
static void peer_of(nng_msg *msg, char out[SRV_PEER_SIZE])
{
	nng_sockaddr sa;
	out[0] = '\0';
	if (nng_pipe_get_addr(nng_msg_get_pipe(msg), NNG_OPT_REMADDR, &sa) != 0)
		return;
	switch (sa.s_family) {
	case NNG_AF_INET:
		inet_ntop(AF_INET, &sa.s_in.sa_addr, out, SRV_PEER_SIZE);
		break;
	case NNG_AF_INET6:
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, out, SRV_PEER_SIZE);
		break;
	case NNG_AF_IPC:
		snprintf(out, SRV_PEER_SIZE, "ipc");
		break;
	case NNG_AF_INPROC:
		snprintf(out, SRV_PEER_SIZE, "inproc");
		break;
	default:
		break;
	}
}

static void ctx_cb(void *arg)
{
	srv_ctx *c = arg;
	srv_rpc *rpc = c->rpc;
	int rv = nng_aio_result(c->aio);

	if (c->state == CTX_SEND) {
		/* A failed send leaves the message with us. */
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(c->aio));
		atomic_fetch_sub(&rpc->busy, 1);
		arm_recv(c);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		c->state = CTX_IDLE;
		return;
	}
	if (rv != 0) {
		ls_warn("rpc: receive failed: %s", nng_strerror(rv));
		arm_recv(c);
		return;
	}

	nng_msg *msg = nng_aio_get_msg(c->aio);
	atomic_fetch_add(&rpc->busy, 1);
	c->state = CTX_BUSY;
	c->req.recv_ns = srv_clock_ns();
	peer_of(msg, c->req.peer);
	srv_request_decode(&c->req, nng_msg_body(msg), nng_msg_len(msg));
	nng_msg_free(msg);
	if (ls_log_get_level() <= LS_LOG_DEBUG && c->req.env != NULL)
		ls_debug("rpc: received %s id=%llu request-id=%s",
		         c->req.env->method ? c->req.env->method : "?",
		         (unsigned long long)c->req.env->id,
		         ls_metadata_get(c->req.env, LS_MD_REQUEST_ID) ?: "-");
	if (c->req.status.code != LS_OK) {
		send_answer(c);
		return;
	}
	nng_mtx_lock(rpc->mtx);
	if (atomic_load(&rpc->closing)) {
		nng_mtx_unlock(rpc->mtx);
		ls_status_set(&c->req.status, LS_UNAVAILABLE, "the server is shutting down");
		send_answer(c);
		return;
	}
	c->next = NULL;
	if (rpc->tail)
		rpc->tail->next = c;
	else
		rpc->head = c;
	rpc->tail = c;
	/* Sent under the lock so that no send can follow the handle's close:
	 * the loop closes it only after setting closing under this lock. */
	uv_async_send(&rpc->async);
	nng_mtx_unlock(rpc->mtx);
}

bool srv_rpc_submit(srv_rpc *rpc, srv_rpc_job *job)
{
	nng_mtx_lock(rpc->mtx);
	if (atomic_load(&rpc->closing)) {
		nng_mtx_unlock(rpc->mtx);
		return false;
	}
	atomic_fetch_add(&rpc->busy, 1);
	job->next = NULL;
	if (rpc->jtail)
		rpc->jtail->next = job;
	else
		rpc->jhead = job;
	rpc->jtail = job;
	uv_async_send(&rpc->async);
	nng_mtx_unlock(rpc->mtx);
	return true;
}

/* Hands a job its answer; the job may be gone afterwards. Loop thread. */
static void job_answer(srv_rpc *rpc, srv_rpc_job *job)
{
	atomic_fetch_sub(&rpc->busy, 1);
	job->answered(job);
}

/* Runs everything queued, in batches, and sends the answers. Loop thread. */
static void run_queue(srv_rpc *rpc)
{
	nng_mtx_lock(rpc->mtx);
	srv_ctx *list = rpc->head;
	srv_rpc_job *jobs = rpc->jhead;
	rpc->head = rpc->tail = NULL;
	rpc->jhead = rpc->jtail = NULL;
	nng_mtx_unlock(rpc->mtx);

	srv_request *batch[BATCH_MAX];
	srv_ctx *ctxs[BATCH_MAX];
	srv_rpc_job *js[BATCH_MAX];
	while (list != NULL || jobs != NULL) {
		size_t n = 0;
		while (n < BATCH_MAX && (list != NULL || jobs != NULL)) {
			if (list != NULL) {
				ctxs[n] = list;
				js[n] = NULL;
				batch[n++] = &list->req;
				list = list->next;
			} else {
				ctxs[n] = NULL;
				js[n] = jobs;
				batch[n++] = &jobs->req;
				jobs = jobs->next;
			}
		}
		srv_dispatch_batch(rpc->srv, batch, n, srv_clock_ns);
		for (size_t i = 0; i < n; i++) {
			if (ctxs[i] != NULL)
				send_answer(ctxs[i]);
			else
				job_answer(rpc, js[i]);
		}
	}
}

static void async_cb(uv_async_t *h) { run_queue(h->data); }

/* ---- TLS ------------------------------------------------------------------- */

/* The largest certificate or key file read. */
#define PEM_MAX (1 << 20)

static bool is_tls(const char *url) { return strncmp(url, "tls+", 4) == 0; }

/* Reads a PEM file, for the config key named key, into a NUL-terminated
 * buffer (malloc'd, *len its length). NULL with st set on failure. */
static char *read_pem(const char *path, const char *key, size_t *len, ls_status *st)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		ls_status_field(st, LS_INVALID_ARGUMENT, key, "%s: cannot read %s: %s", key, path,
		                strerror(errno));
		return NULL;
	}
	char *buf = malloc(PEM_MAX + 1);
	size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
	bool bad = ferror(f) != 0;
	fclose(f);
	if (buf == NULL || bad || n == 0 || n > PEM_MAX) {
		if (buf == NULL)
			ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
		else
			ls_status_field(st, LS_INVALID_ARGUMENT, key, "%s: %s is %s", key, path,
			                bad      ? "unreadable"
			                : n == 0 ? "empty"
			                         : "too large");
		if (buf != NULL)
			sodium_memzero(buf, n < PEM_MAX + 1 ? n : PEM_MAX + 1);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The TLS configuration every tls+tcp:// listener shares: the server's
 * certificate and key and, for mutual TLS, the CA that signs the clients'
 * certificates. On success *out holds one reference. */
int srv_tls_server_config(const srv_config *cfg, nng_tls_config **out, ls_status *st)
{
	*out = NULL;
	if (cfg->tls_cert == NULL)
		return ls_status_field(st, LS_INVALID_ARGUMENT, "tls-cert",
		                       "a tls+tcp:// listener needs tls-cert, the server's "
		                       "certificate");
	if (cfg->tls_key == NULL)
		return ls_status_field(st, LS_INVALID_ARGUMENT, "tls-key",
		                       "a tls+tcp:// listener needs tls-key, the private key of "
		                       "tls-cert");
	if (cfg->tls_verify_clients && cfg->tls_ca == NULL)
		return ls_status_field(st, LS_INVALID_ARGUMENT, "tls-ca",
		                       "tls-verify-clients needs tls-ca, the CA that signs the "
		                       "clients' certificates");
	size_t cert_len = 0, key_len = 0;
	char *cert = read_pem(cfg->tls_cert, "tls-cert", &cert_len, st);
	char *key = cert ? read_pem(cfg->tls_key, "tls-key", &key_len, st) : NULL;
	nng_tls_config *tls = NULL;
	int rv;
	if (key == NULL)
		goto out;
	if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_SERVER)) != 0) {
		ls_status_set(st, LS_INTERNAL, "TLS: %s", nng_strerror(rv));
		goto out;
	}
	if ((rv = nng_tls_config_own_cert(tls, cert, key, NULL)) != 0) {
		ls_status_field(st, LS_INVALID_ARGUMENT, "tls-cert",
		                "TLS: cannot use the certificate %s with the key %s: %s",
		                cfg->tls_cert, cfg->tls_key, nng_strerror(rv));
		goto out;
	}
	if (cfg->tls_ca != NULL && (rv = nng_tls_config_ca_file(tls, cfg->tls_ca)) != 0) {
		ls_status_field(st, LS_INVALID_ARGUMENT, "tls-ca",
		                "TLS: cannot use the CA file %s: %s", cfg->tls_ca,
		                nng_strerror(rv));
		goto out;
	}
	rv = nng_tls_config_auth_mode(tls, cfg->tls_verify_clients ? NNG_TLS_AUTH_MODE_REQUIRED
	                                                           : NNG_TLS_AUTH_MODE_NONE);
	if (rv != 0) {
		ls_status_set(st, LS_INTERNAL, "TLS: %s", nng_strerror(rv));
		goto out;
	}
	if (cfg->tls_ca != NULL && !cfg->tls_verify_clients)
		ls_warn("TLS: tls-ca is used only with tls-verify-clients = true");
	*out = tls;
	tls = NULL;
out:
	if (tls != NULL)
		nng_tls_config_free(tls);
	if (key != NULL)
		sodium_memzero(key, key_len);
	free(key);
	free(cert);
	return st->code;
}

/* Listens on url; tls+ URLs get the TLS configuration, made on first use
 * and kept in *tls for the next. */
static int listen_on(srv_rpc *r, const char *url, nng_tls_config **tls, ls_status *st)
{
	nng_listener l;
	int rv = nng_listener_create(&l, r->sock, url);
	if (rv == 0 && is_tls(url)) {
		if (*tls == NULL && srv_tls_server_config(&r->srv->cfg, tls, st) != LS_OK) {
			nng_listener_close(l);
			return st->code;
		}
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, *tls);
	}
	if (rv == 0)
		rv = nng_listener_start(l, 0);
	if (rv == 0)
		return LS_OK;
	return ls_status_field(
	    st, rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? LS_INVALID_ARGUMENT : LS_UNAVAILABLE,
	    "listen", "cannot listen on %s: %s", url, nng_strerror(rv));
}

int srv_rpc_open(srv_server *srv, srv_rpc **out, ls_status *st)
{
	srv_rpc *r = calloc(1, sizeof *r);
	int rv;
	if (r == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	r->srv = srv;
	r->n_ctxs = srv->cfg.contexts;
	atomic_init(&r->closing, false);
	atomic_init(&r->busy, 0);

	if ((rv = nng_mtx_alloc(&r->mtx)) != 0) {
		ls_status_set(st, LS_RESOURCE_EXHAUSTED, "nng: %s", nng_strerror(rv));
		goto fail_mtx;
	}
	if ((rv = nng_rep0_open(&r->sock)) != 0) {
		ls_status_set(st, LS_INTERNAL, "nng: rep socket: %s", nng_strerror(rv));
		goto fail_sock;
	}
	/* Unlimited by default: set before listening, or a peer can make us
	 * allocate whatever it claims. */
	nng_socket_set_size(r->sock, NNG_OPT_RECVMAXSZ, srv->cfg.max_message);
	if ((r->ctxs = calloc((size_t)r->n_ctxs, sizeof *r->ctxs)) == NULL) {
		ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
		goto fail_ctxs;
	}
	for (int i = 0; i < r->n_ctxs; i++) {
		srv_ctx *c = &r->ctxs[i];
		c->rpc = r;
		if ((rv = nng_aio_alloc(&c->aio, ctx_cb, c)) != 0 ||
		    (rv = nng_ctx_open(&c->ctx, r->sock)) != 0) {
			ls_status_set(st, LS_RESOURCE_EXHAUSTED, "nng: context: %s", nng_strerror(rv));
			goto fail_listen;
		}
	}
	nng_tls_config *tls = NULL;
	for (int i = 0; i < srv->cfg.n_listen; i++) {
		const char *url = srv->cfg.listen[i];
		if (listen_on(r, url, &tls, st) != LS_OK) {
			if (tls != NULL)
				nng_tls_config_free(tls);
			goto fail_listen;
		}
		ls_info("rpc: listening on %s%s", url,
		        is_tls(url) && srv->cfg.tls_verify_clients ? " (clients need a certificate)"
		                                                   : "");
	}
	/* Each listener holds its own reference. */
	if (tls != NULL)
		nng_tls_config_free(tls);
	if (uv_async_init(srv->loop, &r->async, async_cb) != 0) {
		ls_status_set(st, LS_INTERNAL, "libuv: async handle");
		goto fail_listen;
	}
	r->async.data = r;
	uv_timer_init(srv->loop, &r->drain_timer);
	r->drain_timer.data = r;
	for (int i = 0; i < r->n_ctxs; i++)
		arm_recv(&r->ctxs[i]);
	*out = r;
	return LS_OK;

fail_listen:
	for (int i = 0; i < r->n_ctxs; i++)
		nng_aio_free(r->ctxs[i].aio);
	free(r->ctxs);
fail_ctxs:
	nng_close(r->sock);
fail_sock:
	nng_mtx_free(r->mtx);
fail_mtx:
	free(r);
	*out = NULL;
	return st->code;
}

static void drain_tick(uv_timer_t *t)
{
	srv_rpc *r = t->data;
	if (atomic_load(&r->busy) > 0 && uv_now(t->loop) - r->drain_start < DRAIN_LIMIT_MS)
		return;
	uv_timer_stop(t);
	if (atomic_load(&r->busy) > 0)
		ls_warn("rpc: %d answers still unsent after %d ms", atomic_load(&r->busy),
		        DRAIN_LIMIT_MS);
	r->drained(r->srv);
}

void srv_rpc_drain(srv_rpc *r, void (*done)(srv_server *))
{
	nng_mtx_lock(r->mtx);
	atomic_store(&r->closing, true);
	nng_mtx_unlock(r->mtx);
	run_queue(r);
	r->drained = done;
	r->drain_start = uv_now(r->srv->loop);
	uv_timer_start(&r->drain_timer, drain_tick, 0, 5);
}

/* Both handles close before r is freed; libuv calls the close callbacks in
 * an order of its own, so the second one frees. */
static void free_rpc(uv_handle_t *h)
{
	srv_rpc *r = h->data;
	if (++r->handles_closed < 2)
		return;
	nng_mtx_free(r->mtx);
	free(r);
}

void srv_rpc_close(srv_rpc *r)
{
	if (r == NULL)
		return;
	atomic_store(&r->closing, true);
	/* Our own operations are stopped, and the contexts closed, before the
	 * socket: nng 1.5.2 can hang in nng_close when it has to abort
	 * operations itself (nng #1543). nng_aio_stop waits for a running
	 * callback, and a stopped context is not armed again. */
	for (int i = 0; i < r->n_ctxs; i++)
		nng_aio_stop(r->ctxs[i].aio);
	for (int i = 0; i < r->n_ctxs; i++)
		nng_ctx_close(r->ctxs[i].ctx);
	nng_close(r->sock);
	/* After this loop no nng thread touches r. */
	for (int i = 0; i < r->n_ctxs; i++) {
		nng_aio_free(r->ctxs[i].aio);
		srv_request_reset(&r->ctxs[i].req);
	}
	free(r->ctxs);
	r->ctxs = NULL;
	/* Jobs are refused once closing is set, and drain ran those before it;
	 * any left are answered rather than forgotten. */
	srv_rpc_job *job = r->jhead;
	r->jhead = r->jtail = NULL;
	while (job != NULL) {
		srv_rpc_job *next = job->next;
		ls_status_set(&job->req.status, LS_UNAVAILABLE, "the server is shutting down");
		job_answer(r, job);
		job = next;
	}
	uv_close((uv_handle_t *)&r->async, free_rpc);
	uv_close((uv_handle_t *)&r->drain_timer, free_rpc);
}
