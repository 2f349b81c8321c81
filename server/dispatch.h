/* Dispatch: from a decoded request to its handler, through the generated
 * service descriptors. Finding the method is safe from any thread; running
 * a batch belongs to the loop thread, the one writer. */
#ifndef SRV_DISPATCH_H
#define SRV_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "luoshi/v1/rpc.pb-c.h"
#include "server.h"

typedef struct srv_method srv_method;

/* One request on its way through the server. */
typedef struct srv_request {
	Luoshi__V1__Request *env;  /* decoded envelope, owned */
	ProtobufCMessage *input;   /* decoded body, owned */
	const srv_method *method;
	uint64_t recv_ns;          /* monotonic time of arrival, for the deadline */
	ls_status status;          /* the answer */
	uint8_t *body;             /* packed response when OK, malloc'd */
	size_t body_len;
	bool wrote;                /* changed rows: OK only once committed */
	char peer[SRV_PEER_SIZE];  /* the caller's address ("10.0.0.7", "ipc"), for auth */
	bool token_required;       /* even for methods that need none (the HTTP gateway) */
} srv_request;

/* Builds the method table from every generated service descriptor and the
 * implementations given (ProtobufCService structs from the service files).
 * Returns 0 or LS_RESOURCE_EXHAUSTED. */
int srv_dispatch_init(ProtobufCService *const *impls, size_t n);
void srv_dispatch_fini(void);

/* True if a handler exists for the method (descriptor and index). */
bool srv_dispatch_implemented(const ProtobufCServiceDescriptor *sd, unsigned index);

/* Decodes an envelope from data, checks its version, finds its method and
 * decodes its body into r. On failure r->status says why (r->env may be
 * set, so that the answer carries the request's id). Safe from any thread. */
void srv_request_decode(srv_request *r, const uint8_t *data, size_t len);

/* A monotonic clock in nanoseconds, for deadlines. */
typedef uint64_t (*srv_clock_fn)(void);

/* The clock the server runs on (nng's, in ms, as ns). */
uint64_t srv_clock_ns(void);

/* Runs the requests in one transaction, committed once (group commit); each
 * r->status and body holds the answer afterwards. clock tells the time for
 * the deadlines (tests give their own). Loop thread only. */
void srv_dispatch_batch(srv_server *srv, srv_request **reqs, size_t n, srv_clock_fn clock);

/* Deletes idempotency records older than they must be kept. Returns the
 * number deleted, or -1. Loop thread only, outside a batch. */
int srv_dispatch_purge_keys(srv_server *srv);

/* Frees what r holds and clears it. */
void srv_request_reset(srv_request *r);

#endif
