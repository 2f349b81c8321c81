/* The nng side of the server: a REP socket served by N contexts. Requests
 * are decoded on nng's threads and handed to the loop thread through a
 * locked queue and uv_async_send; the loop runs them in batches (one
 * transaction each) and sends each answer on the context that received it. */
#ifndef SRV_RPC_SERVER_H
#define SRV_RPC_SERVER_H

#include "server.h"

/* Opens the socket with the configured limits, listens on every URL and
 * starts the contexts. On success *out belongs to the caller, to be drained
 * and closed. Returns LS_INVALID_ARGUMENT (bad URL) or LS_UNAVAILABLE
 * (address in use) with the URL in st. */
int srv_rpc_open(srv_server *srv, srv_rpc **out, ls_status *st);

/* Stops taking new requests: those already received are run and answered,
 * later ones get UNAVAILABLE. done is called on the loop thread once every
 * answer has been sent, or after 3 s. */
void srv_rpc_drain(srv_rpc *r, void (*done)(srv_server *srv));

/* Closes the socket, waits for nng's callbacks, frees r. NULL is a no-op. */
void srv_rpc_close(srv_rpc *r);

#endif
