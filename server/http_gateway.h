/* The HTTP front end: `POST /api/v1/<Service>/<Method>` with a JSON body is
 * turned into the envelope the nng side receives and joins the same queue
 * (rpc_server.h), so every handler, check, deadline and limit is shared; the
 * answer comes back as JSON with the status mapped as grpc-gateway maps it.
 * The same listener serves the dashboard's static pages (server/web/,
 * built into the binary). */
#ifndef SRV_HTTP_GATEWAY_H
#define SRV_HTTP_GATEWAY_H

#include <stddef.h>

#include "server.h"

typedef struct srv_http srv_http;

/* One file of the dashboard, embedded at build time. */
typedef struct srv_web_file {
	const char *path; /* "/index.html" */
	const char *type; /* its Content-Type */
	const unsigned char *data;
	size_t len;
} srv_web_file;

extern const srv_web_file srv_web_files[];
extern const size_t srv_n_web_files;

/* The HTTP status grpc-gateway gives a code (200 for OK, 500 for those it
 * does not name). */
int srv_http_status_of(int code);

/* Serves the gateway and the dashboard on url ("http://127.0.0.1:8080"),
 * handing requests to srv->rpc, which must be open. On success *out
 * belongs to the caller. Returns LS_INVALID_ARGUMENT (bad URL) or
 * LS_UNAVAILABLE (address in use) with the URL in st. */
int srv_http_open(srv_server *srv, const char *url, srv_http **out, ls_status *st);

/* Stops listening and frees h. Call it once srv_rpc_drain has answered
 * every request, and before srv_rpc_close. NULL is a no-op. */
void srv_http_close(srv_http *h);

#endif
