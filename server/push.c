#include "push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>

#include "log.h"

struct srv_push {
	nng_socket sock;
};

int srv_push_open(const char *url, srv_push **out, ls_status *st)
{
	*out = NULL;
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
	if ((rv = nng_listen(p->sock, url, NULL, 0)) != 0) {
		nng_close(p->sock);
		free(p);
		return ls_status_field(st, LS_UNAVAILABLE, "publish", "cannot publish on %s: %s",
		                       url, nng_strerror(rv));
	}
	ls_info("push: publishing on %s", url);
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
