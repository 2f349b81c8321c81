/* The nng side of the server: a REP socket served by N contexts. Requests
 * are decoded on nng's threads and handed to the loop thread through a
 * locked queue and uv_async_send; the loop runs them in batches (one
 * transaction each) and sends each answer on the context that received it. */
#ifndef SRV_RPC_SERVER_H
#define SRV_RPC_SERVER_H

#include <stdbool.h>

#include "dispatch.h"
#include "server.h"

/* Opens the socket with the configured limits, listens on every URL and
 * starts the contexts. On success *out belongs to the caller, to be drained
 * and closed. Returns LS_INVALID_ARGUMENT (bad URL) or LS_UNAVAILABLE
 * (address in use) with the URL in st. */
int srv_rpc_open(srv_server *srv, srv_rpc **out, ls_status *st);

/* The TLS configuration of the server's tls+tcp:// listeners, from the
 * config's tls-cert, tls-key, tls-ca and tls-verify-clients: the RPC
 * socket's and the push socket's. On success *out holds one reference
 * (nng_tls_config_free). LS_INVALID_ARGUMENT names the config key at fault. */
struct nng_tls_config;
int srv_tls_server_config(const srv_config *cfg, struct nng_tls_config **out, ls_status *st);

/* Stops taking new requests: those already received are run and answered,
 * later ones get UNAVAILABLE. done is called on the loop thread once every
 * answer has been sent, or after 3 s. */
void srv_rpc_drain(srv_rpc *r, void (*done)(srv_server *srv));

/* A request from another front end (the HTTP gateway): it joins the same
 * queue, batches, savepoints and deadlines as the contexts' requests. */
typedef struct srv_rpc_job srv_rpc_job;
struct srv_rpc_job {
	srv_request req; /* decoded by the front end, recv_ns and peer set */
	/* Called on the loop thread once req holds the answer (after the
	 * commit); the job belongs to the front end again. */
	void (*answered)(srv_rpc_job *job);
	srv_rpc_job *next; /* the queue's */
};

/* Queues job for the loop. False, and nothing done, once the server drains
 * or closes: the front end answers UNAVAILABLE itself. Any thread. */
bool srv_rpc_submit(srv_rpc *r, srv_rpc_job *job);

/* Closes the socket, waits for nng's callbacks, frees r. NULL is a no-op. */
void srv_rpc_close(srv_rpc *r);

#endif
