/* The client library: one nng REQ socket, one request in flight at a time.
 *
 * Every call is wrapped in a luoshi.v1.Request envelope (rpc.proto) and
 * answered by a luoshi.v1.Response. Failures of the transport become gRPC
 * codes here, so that callers see one kind of status whatever went wrong. */
#include "luoshi_client.h"

#include <errno.h>
#include <libintl.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <sodium.h>

#include "rpc.h"

/* Messages a person may read go through the program's catalog; a program
 * that binds no "luoshi" domain simply gets the English text. */
#define _(s) dgettext("luoshi", s)

/* How long to wait for an answer when no deadline is set. */
#define DEFAULT_WAIT_MS 30000u
/* Extra wait past the deadline, so the server's DEADLINE_EXCEEDED can
 * arrive before we give up on our own. */
#define DEADLINE_MARGIN_MS 1000u

/* The most server addresses a client dials. */
#define URLS_MAX 16

/* The request id nng's REQ protocol puts in front of every message. */
#define REQ_HEADER_SIZE 4

struct luoshi_client {
	nng_socket sock;
	char *url;
	char *bearer; /* "Bearer <token>", NULL without a token */
	uint32_t timeout_ms;
	size_t max_message;
	uint64_t next_id;
};

static nng_duration wait_ms(uint32_t timeout_ms)
{
	uint64_t ms = timeout_ms == 0 ? DEFAULT_WAIT_MS : (uint64_t)timeout_ms + DEADLINE_MARGIN_MS;
	return ms > INT32_MAX ? INT32_MAX : (nng_duration)ms;
}

/* nng's own words for the errors a person is likely to meet, so that they
 * can be translated; nng_strerror for the rest. */
static const char *nng_text(int rv)
{
	switch (rv) {
	case NNG_ECONNREFUSED:
		return _("connection refused");
	case NNG_ETIMEDOUT:
		return _("timed out");
	case NNG_EADDRINVAL:
		return _("invalid address");
	case NNG_ENOTSUP:
		return _("unsupported scheme");
	case NNG_EINVAL:
		return _("malformed URL");
	case NNG_ECLOSED:
		return _("connection closed");
	case NNG_ECONNRESET:
		return _("connection reset by the server");
	case NNG_ECONNSHUT:
		return _("connection shut down by the server");
	case NNG_EUNREACHABLE:
		return _("the server's host is unreachable or its name unknown");
	case NNG_ENOENT:
		return _("no such socket file");
	case NNG_EPERM:
		return _("permission denied");
	case NNG_EPEERAUTH:
		return _("the server's certificate was not accepted");
	case NNG_ECRYPTO:
		return _("TLS error");
	default:
		return nng_strerror(rv);
	}
}

/* Translates an nng error of a send or receive into a status. */
static int transport_status(const luoshi_client *c, int rv, ls_status *st)
{
	switch (rv) {
	case NNG_ETIMEDOUT:
		return ls_status_set(st, LS_DEADLINE_EXCEEDED, _("no answer from %s within %ld ms"),
		                     c->url, (long)wait_ms(c->timeout_ms));
	case NNG_ENOMEM:
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, _("out of memory"));
	default:
		return ls_status_set(st, LS_UNAVAILABLE, _("no answer from %s: %s"), c->url,
		                     nng_text(rv));
	}
}

/* Turns a failure to decode what the server sent into INTERNAL: the
 * request was fine, the answer was not. */
static int bad_response(ls_status *st)
{
	char why[sizeof st->message];
	snprintf(why, sizeof why, "%s", st->message);
	return ls_status_set(st, LS_INTERNAL, _("malformed response from the server: %s"), why);
}

static int set_wait(luoshi_client *c)
{
	nng_duration d = wait_ms(c->timeout_ms);
	int rv = nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, d);
	if (rv == 0)
		rv = nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO, d);
	return rv;
}

/* nng says EADDRINVAL both for "tcp://host" without a port and for a host
 * name that does not resolve. The first is the user's mistake; the second
 * may be a network that is down, so that later is worth a retry. */
static bool names_host_and_port(const char *url)
{
	nng_url *u;
	if (nng_url_parse(&u, url) != 0)
		return false;
	bool both = u->u_hostname != NULL && *u->u_hostname != '\0' && u->u_port != NULL &&
	            *u->u_port != '\0';
	nng_url_free(u);
	return both;
}

/* ---- TLS ------------------------------------------------------------------- */

/* The largest certificate or key file read. */
#define PEM_MAX (1 << 20)

static bool is_tls(const char *url)
{
	return strncmp(url, "tls+", 4) == 0;
}

/* Reads a PEM file into a NUL-terminated buffer (malloc'd, *len its
 * length). NULL with st set on failure. */
static char *read_pem(const char *path, size_t *len, ls_status *st)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		ls_status_set(st, LS_INVALID_ARGUMENT, _("cannot read %s: %s"), path,
		              strerror(errno));
		return NULL;
	}
	char *buf = malloc(PEM_MAX + 1);
	size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
	bool bad = ferror(f) != 0;
	fclose(f);
	if (buf == NULL) {
		ls_status_set(st, LS_RESOURCE_EXHAUSTED, _("out of memory"));
		return NULL;
	}
	if (bad || n == 0 || n > PEM_MAX) {
		sodium_memzero(buf, PEM_MAX + 1);
		free(buf);
		ls_status_set(st, LS_INVALID_ARGUMENT, _("%s is not a PEM file"), path);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The TLS configuration of a dialer to url: the CA to check the server's
 * certificate with, the host it must name, and our own certificate when
 * given. On success *out holds one reference. */
static int tls_client_config(const luoshi_client_opts *o, const char *url, nng_tls_config **out,
                             ls_status *st)
{
	*out = NULL;
	if (o->ca_file == NULL || *o->ca_file == '\0')
		return ls_status_set(st, LS_INVALID_ARGUMENT,
		                     _("%s is a TLS address: give the CA that signed the server's "
		                       "certificate (--ca FILE, or \"ca = FILE\" in the config)"),
		                     url);
	bool has_cert = o->cert_file != NULL && *o->cert_file != '\0';
	bool has_key = o->key_file != NULL && *o->key_file != '\0';
	if (has_cert != has_key)
		return ls_status_set(st, LS_INVALID_ARGUMENT,
		                     _("a client certificate needs both --cert and --key"));
	nng_url *u = NULL;
	nng_tls_config *tls = NULL;
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int rv = nng_url_parse(&u, url);
	if (rv != 0) {
		ls_status_set(st, LS_INVALID_ARGUMENT, _("invalid server address %s: %s"), url,
		              nng_text(rv));
		goto out;
	}
	if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT)) != 0) {
		ls_status_set(st, LS_INTERNAL, _("TLS: %s"), nng_strerror(rv));
		goto out;
	}
	if ((rv = nng_tls_config_ca_file(tls, o->ca_file)) != 0) {
		ls_status_set(st, LS_INVALID_ARGUMENT, _("cannot use the CA file %s: %s"),
		              o->ca_file, nng_text(rv));
		goto out;
	}
	/* The certificate must name the host the URL names. */
	if (u->u_hostname != NULL && *u->u_hostname != '\0' &&
	    (rv = nng_tls_config_server_name(tls, u->u_hostname)) != 0) {
		ls_status_set(st, LS_INTERNAL, _("TLS: %s"), nng_strerror(rv));
		goto out;
	}
	if (has_cert) {
		if ((cert = read_pem(o->cert_file, &cert_len, st)) == NULL ||
		    (key = read_pem(o->key_file, &key_len, st)) == NULL)
			goto out;
		if ((rv = nng_tls_config_own_cert(tls, cert, key, NULL)) != 0) {
			ls_status_set(st, LS_INVALID_ARGUMENT,
			              _("cannot use the certificate %s with the key %s: %s"),
			              o->cert_file, o->key_file, nng_text(rv));
			goto out;
		}
	}
	*out = tls;
	tls = NULL;
out:
	if (tls != NULL)
		nng_tls_config_free(tls);
	if (key != NULL)
		sodium_memzero(key, key_len);
	free(key);
	free(cert);
	if (u != NULL)
		nng_url_free(u);
	return st->code;
}

/* Starts a dialer of the socket on url, with TLS for a tls+ URL: the first
 * attempt synchronous unless flags say NNG_FLAG_NONBLOCK. Returns an nng
 * error, or -1 with st set when the TLS settings cannot be used. */
static int dial(luoshi_client *c, const char *url, const luoshi_client_opts *o, int flags,
                ls_status *st)
{
	nng_dialer d;
	int rv = nng_dialer_create(&d, c->sock, url);
	if (rv != 0)
		return rv;
	if (is_tls(url)) {
		nng_tls_config *tls;
		if (tls_client_config(o, url, &tls, st) != LS_OK) {
			nng_dialer_close(d);
			return -1;
		}
		rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls);
		nng_tls_config_free(tls);
	}
	/* A synchronous first dial, so that a server that is not there fails
	 * now rather than after the whole timeout; nng redials on its own
	 * when a connection drops later. A failed synchronous dial is not
	 * retried: its dialer goes. */
	if (rv == 0)
		rv = nng_dialer_start(d, flags);
	if (rv != 0)
		nng_dialer_close(d);
	return rv;
}

/* Dials url (see dial) and says what became of it: LS_OK, UNAVAILABLE
 * for a server that could not be reached, or INVALID_ARGUMENT for an
 * address or TLS settings that cannot work. */
static int dial_status(luoshi_client *c, const char *url, const luoshi_client_opts *o, int flags,
                       ls_status *st)
{
	int rv = dial(c, url, o, flags, st);
	if (rv == NNG_EADDRINVAL && names_host_and_port(url))
		rv = NNG_EUNREACHABLE;
	switch (rv) {
	case 0:
		return LS_OK;
	case -1:
		return st->code;
	case NNG_ECRYPTO:
	case NNG_EPEERAUTH:
		if (!is_tls(url))
			break;
		return ls_status_set(st, LS_UNAVAILABLE,
		                     _("cannot connect to %s: the TLS handshake failed (is the "
		                       "server's certificate signed by the CA %s, and does it name "
		                       "the host?)"),
		                     url, o->ca_file);
	case NNG_ECONNSHUT:
	case NNG_ECONNRESET:
	case NNG_ECLOSED:
		if (!is_tls(url))
			break;
		return ls_status_set(st, LS_UNAVAILABLE,
		                     _("cannot connect to %s: the server ended the TLS handshake "
		                       "(does it require a client certificate, --cert and --key?)"),
		                     url);
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
		return ls_status_set(st, LS_INVALID_ARGUMENT, _("invalid server address %s: %s"),
		                     url, nng_text(rv));
	default:
		break;
	}
	return ls_status_set(st, LS_UNAVAILABLE, _("cannot connect to %s: %s"), url, nng_text(rv));
}

/* Splits list, "URL1,URL2,...", in place into at most URLS_MAX addresses,
 * blanks around each removed. The number, or 0 with st set. */
static size_t split_urls(char *list, char *urls[URLS_MAX], ls_status *st)
{
	size_t n = 0;
	for (char *p = list;; p++) {
		char *end = strchr(p, ',');
		if (end != NULL)
			*end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		size_t len = strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
		if (len == 0) {
			ls_status_set(st, LS_INVALID_ARGUMENT,
			              _("invalid server address: an empty address in the list"));
			return 0;
		}
		if (n == URLS_MAX) {
			ls_status_set(st, LS_INVALID_ARGUMENT,
			              _("at most %d server addresses, separated by commas"),
			              URLS_MAX);
			return 0;
		}
		urls[n++] = p;
		if (end == NULL)
			return n;
		p = end;
	}
}

/* Dials every address of the list: synchronously in turn until one
 * answers, then the others (and those that did not answer) in the
 * background, so that the socket spreads requests over every server that
 * is up and resends one whose server goes away to another. */
static int dial_all(luoshi_client *c, const luoshi_client_opts *o, ls_status *st)
{
	char *list = strdup(o->url);
	char *urls[URLS_MAX];
	if (list == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, _("out of memory"));
	size_t n = split_urls(list, urls, st);
	size_t up = n;
	ls_status first;
	ls_status_clear(&first);
	for (size_t i = 0; i < n && up == n; i++) {
		ls_status e;
		ls_status_clear(&e);
		int code = dial_status(c, urls[i], o, 0, &e);
		if (code == LS_OK) {
			up = i;
		} else if (code != LS_UNAVAILABLE) {
			*st = e;
			goto out;
		} else if (first.code == LS_OK) {
			first = e;
		}
	}
	if (n > 0 && up == n) {
		*st = first;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (i != up && dial_status(c, urls[i], o, NNG_FLAG_NONBLOCK, st) != LS_OK)
			goto out;
out:
	free(list);
	return st->code;
}

int luoshi_client_open(luoshi_client **out, const luoshi_client_opts *o, ls_status *st)
{
	*out = NULL;
	ls_status_clear(st);
	if (o == NULL || o->url == NULL || *o->url == '\0')
		return ls_status_set(st, LS_INVALID_ARGUMENT, _("no server URL given"));
	if (sodium_init() < 0)
		return ls_status_set(st, LS_INTERNAL, _("cannot initialise libsodium"));

	luoshi_client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, _("out of memory"));
	c->url = strdup(o->url);
	if (o->token != NULL && *o->token != '\0') {
		size_t n = strlen("Bearer ") + strlen(o->token) + 1;
		if ((c->bearer = malloc(n)) != NULL)
			snprintf(c->bearer, n, "Bearer %s", o->token);
	}
	if (c->url == NULL || (o->token != NULL && *o->token != '\0' && c->bearer == NULL)) {
		ls_status_set(st, LS_RESOURCE_EXHAUSTED, _("out of memory"));
		goto fail_strings;
	}
	c->timeout_ms = o->timeout_ms;
	c->max_message = o->max_message ? o->max_message : LS_MAX_MESSAGE_DEFAULT;
	randombytes_buf(&c->next_id, sizeof c->next_id);

	int rv = nng_req0_open(&c->sock);
	if (rv != 0) {
		ls_status_set(st, LS_INTERNAL, _("cannot open a socket: %s"), nng_strerror(rv));
		goto fail_strings;
	}
	if ((rv = set_wait(c)) != 0) {
		ls_status_set(st, LS_INTERNAL, _("cannot set the socket's timeouts: %s"),
		              nng_strerror(rv));
		goto fail_socket;
	}
	if (dial_all(c, o, st) != LS_OK)
		goto fail_socket;
	*out = c;
	return LS_OK;

fail_socket:
	nng_close(c->sock);
fail_strings:
	free(c->bearer);
	free(c->url);
	free(c);
	return st->code;
}

void luoshi_client_close(luoshi_client *c)
{
	if (c == NULL)
		return;
	nng_close(c->sock);
	if (c->bearer != NULL)
		sodium_memzero(c->bearer, strlen(c->bearer));
	free(c->bearer);
	free(c->url);
	free(c);
}

void luoshi_client_set_timeout(luoshi_client *c, uint32_t timeout_ms)
{
	c->timeout_ms = timeout_ms;
	/* Setting a duration on an open socket fails only for a closed one. */
	(void)set_wait(c);
}

void luoshi_new_key(char key[LUOSHI_KEY_SIZE])
{
	unsigned char raw[(LUOSHI_KEY_SIZE - 1) / 2];
	/* sodium_init fails only when the system has no source of randomness;
	 * a key that is not random would silently merge unrelated requests. */
	if (sodium_init() < 0)
		abort();
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(key, LUOSHI_KEY_SIZE, raw, sizeof raw);
}

/* ---- one exchange ------------------------------------------------------- */

/* Sends data and waits for the reply. On success *reply is nng-allocated
 * (free with nng_free(*reply, *reply_len)). */
static int exchange(luoshi_client *c, const uint8_t *data, size_t len, void **reply,
                    size_t *reply_len, ls_status *st)
{
	*reply = NULL;
	*reply_len = 0;
	/* nng_send copies the buffer when not given NNG_FLAG_ALLOC. */
	int rv = nng_send(c->sock, (void *)data, len, 0);
	if (rv != 0)
		return transport_status(c, rv, st);
	rv = nng_recv(c->sock, reply, reply_len, NNG_FLAG_ALLOC);
	if (rv != 0) {
		*reply = NULL;
		*reply_len = 0;
		return transport_status(c, rv, st);
	}
	return LS_OK;
}

int luoshi_client_send_bytes(luoshi_client *c, const uint8_t *data, size_t len, uint8_t **reply,
                             size_t *reply_len, ls_status *st)
{
	*reply = NULL;
	*reply_len = 0;
	ls_status_clear(st);
	/* Unchecked against max_message on purpose: tests use this to send the
	 * server oversized and malformed messages. */
	void *buf;
	size_t n;
	int rc = exchange(c, data, len, &buf, &n, st);
	if (rc != LS_OK)
		return rc;
	*reply = malloc(n ? n : 1);
	if (*reply == NULL) {
		nng_free(buf, n);
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, _("out of memory"));
	}
	memcpy(*reply, buf, n);
	*reply_len = n;
	nng_free(buf, n);
	return LS_OK;
}

/* Copies the status of a decoded response into st. */
static int copy_status(const Luoshi__V1__Response *r, ls_status *st)
{
	ls_status_clear(st);
	const Luoshi__V1__Status *s = r->status;
	/* An absent status is the default message: code OK. */
	if (s == NULL || !s->has_code || s->code == LS_OK)
		return LS_OK;
	int code = s->code;
	if (code < 0 || code > LS_CODE_MAX)
		code = LS_UNKNOWN;
	const char *field = NULL, *desc = NULL;
	if (s->n_violations > 0 && s->violations[0] != NULL) {
		field = s->violations[0]->field;
		desc = s->violations[0]->description;
	}
	const char *msg = s->message;
	if (msg == NULL || *msg == '\0')
		msg = desc != NULL && *desc != '\0' ? desc : ls_strerror(code);
	if (field != NULL && *field != '\0')
		return ls_status_field(st, code, field, "%s", msg);
	return ls_status_set(st, code, "%s", msg);
}

/* Wraps body in an envelope, sends it and unwraps the answer. On LS_OK
 * *resp is a malloc'd copy of the response body (NULL when empty). */
static int call_envelope(luoshi_client *c, const char *method, const uint8_t *body, size_t len,
                         const char *key, uint8_t **resp, size_t *resp_len, ls_status *st)
{
	*resp = NULL;
	*resp_len = 0;
	ls_status_clear(st);

	/* The envelope ids start at a random number, so they tell requests
	 * apart in the server's log without a system call per request. */
	uint64_t id = c->next_id++;
	char request_id[24];
	snprintf(request_id, sizeof request_id, "%016" PRIx64, id);
	const char *bearer = c->bearer;

	Luoshi__V1__Request__MetadataEntry md[3];
	Luoshi__V1__Request__MetadataEntry *mdp[3];
	size_t n_md = 0;
	const char *keys[3] = {LS_MD_AUTHORIZATION, LS_MD_IDEMPOTENCY_KEY, LS_MD_REQUEST_ID};
	const char *values[3] = {bearer, key, request_id};
	for (size_t i = 0; i < 3; i++) {
		if (values[i] == NULL)
			continue;
		luoshi__v1__request__metadata_entry__init(&md[n_md]);
		md[n_md].key = (char *)keys[i];
		md[n_md].value = (char *)values[i];
		mdp[n_md] = &md[n_md];
		n_md++;
	}

	Luoshi__V1__Request req = LUOSHI__V1__REQUEST__INIT;
	req.has_protocol_version = 1;
	req.protocol_version = LS_PROTOCOL_VERSION;
	req.has_id = 1;
	req.id = id;
	req.method = (char *)method;
	req.n_metadata = n_md;
	req.metadata = mdp;
	req.has_timeout_ms = c->timeout_ms != 0;
	req.timeout_ms = c->timeout_ms;
	req.has_body = 1;
	req.body.data = (uint8_t *)body;
	req.body.len = len;

	uint8_t *packed;
	size_t packed_len;
	int rc = ls_message_pack(&req.base, &packed, &packed_len);
	if (rc != LS_OK)
		return ls_status_set(st, rc, _("out of memory"));
	/* nng drops an oversized message without a word, and the server would
	 * never answer: refuse it here. The limit counts the 4-byte request id
	 * that REQ puts before the message. */
	if (packed_len + REQ_HEADER_SIZE > c->max_message) {
		free(packed);
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED,
		                     _("request of %zu bytes exceeds the limit of %zu bytes"),
		                     packed_len + REQ_HEADER_SIZE, c->max_message);
	}

	void *reply;
	size_t reply_len;
	rc = exchange(c, packed, packed_len, &reply, &reply_len, st);
	free(packed);
	if (rc != LS_OK)
		return rc;

	ProtobufCMessage *m;
	rc = ls_message_unpack(&luoshi__v1__response__descriptor, reply, reply_len, "response", &m,
	                       st);
	nng_free(reply, reply_len);
	if (rc != LS_OK)
		return bad_response(st);
	Luoshi__V1__Response *r = (Luoshi__V1__Response *)m;
	if (!r->has_id || r->id != id) {
		uint64_t got = r->id;
		protobuf_c_message_free_unpacked(m, NULL);
		return ls_status_set(st, LS_INTERNAL,
		                     _("response id %llu does not match request id %llu"),
		                     (unsigned long long)got, (unsigned long long)id);
	}
	rc = copy_status(r, st);
	if (rc == LS_OK && r->has_body && r->body.len > 0) {
		*resp = malloc(r->body.len);
		if (*resp == NULL) {
			rc = ls_status_set(st, LS_RESOURCE_EXHAUSTED, _("out of memory"));
		} else {
			memcpy(*resp, r->body.data, r->body.len);
			*resp_len = r->body.len;
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

int luoshi_client_call_raw(luoshi_client *c, const char *method, const uint8_t *body, size_t len,
                           const char *key, uint8_t **resp, size_t *resp_len, ls_status *st)
{
	return call_envelope(c, method, body, len, key, resp, resp_len, st);
}

int luoshi_client_call(luoshi_client *c, const char *method, const ProtobufCMessage *req,
                       const char *key, ProtobufCMessage **resp, ls_status *st)
{
	*resp = NULL;
	ls_status_clear(st);
	ls_method m;
	if (ls_method_find(method, &m) != LS_OK)
		return ls_status_set(st, LS_NOT_FOUND, _("method %s is unknown to this client"),
		                     method);
	if (req->descriptor != m.method->input)
		return ls_status_set(st, LS_INVALID_ARGUMENT, _("%s takes a %s, not a %s"), method,
		                     m.method->input->name, req->descriptor->name);
	char full[512];
	if (ls_method_full_name(m.service, m.method, full, sizeof full) >= sizeof full)
		return ls_status_set(st, LS_INVALID_ARGUMENT, _("method name too long"));

	uint8_t *body;
	size_t len;
	if (ls_message_pack(req, &body, &len) != LS_OK)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, _("out of memory"));
	uint8_t *out;
	size_t out_len;
	int rc = call_envelope(c, full, body, len, key, &out, &out_len, st);
	free(body);
	if (rc != LS_OK)
		return rc;
	static const uint8_t empty[1];
	rc = ls_message_unpack(m.method->output, out ? out : empty, out_len, "response body", resp,
	                       st);
	free(out);
	if (rc != LS_OK)
		return bad_response(st);
	return LS_OK;
}
