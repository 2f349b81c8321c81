#include "push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/supplemental/tls/tls.h>

#include "log.h"
#include "rpc_server.h"

struct srv_push {
	nng_socket sock;
};

/* Listens on url, with the listeners' TLS configuration for a tls+ URL.
 * Returns LS_OK, or fails with st set. */
static int listen_on(srv_push *p, const srv_config *cfg, const char *url, ls_status *st)
{
	nng_listener l;
	int rv = nng_listener_create(&l, p->sock, url);
	if (rv == 0 && strncmp(url, "tls+", 4) == 0) {
		nng_tls_config *tls;
		if (srv_tls_server_config(cfg, &tls, st) != LS_OK)
			return st->code;
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tls);
		nng_tls_config_free(tls);
	}
	if (rv == 0)
		rv = nng_listener_start(l, 0);
	if (rv != 0)
		return ls_status_field(
		    st,
		    rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? LS_INVALID_ARGUMENT
		                                              : LS_UNAVAILABLE,
		    "publish", "cannot publish on %s: %s", url, nng_strerror(rv));
	return LS_OK;
}

int srv_push_open(const srv_config *cfg, srv_push **out, ls_status *st)
{
	*out = NULL;
	const char *url = cfg->publish;
	if (url == NULL || strcmp(url, "none") == 0)
		return LS_OK;
	srv_push *p = calloc(1, sizeof *p);
	if (p == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	int rv = nng_pub0_open(&p->sock);
	if (rv != 0) {
		free(p);
		return ls_status_set(st, LS_INTERNAL, "nng: pub socket: %s", nng_strerror(rv));
	}
	if (listen_on(p, cfg, url, st) != LS_OK) {
		nng_close(p->sock);
		free(p);
		return st->code;
	}
	ls_info("push: publishing on %s%s", url,
	        strncmp(url, "tls+", 4) == 0 && cfg->tls_verify_clients
	            ? " (subscribers need a certificate)"
	            : "");
	*out = p;
	return LS_OK;
}

void srv_push_announce(srv_push *p, const char *topic, uint64_t seq)
{
	if (p == NULL)
		return;
	char buf[128];
	int n = snprintf(buf, sizeof buf, "%s%llu", topic, (unsigned long long)seq);
	if (n <= 0 || (size_t)n >= sizeof buf)
		return;
	int rv = nng_send(p->sock, buf, (size_t)n, NNG_FLAG_NONBLOCK);
	if (rv != 0)
		ls_warn("push: announce %s: %s", buf, nng_strerror(rv));
}

void srv_push_close(srv_push *p)
{
	if (p == NULL)
		return;
	nng_close(p->sock);
	free(p);
}
