/* The webhook delivery engine: posts the pending deliveries (rows the
 * reminders' trigger writes, migration 010) to their robots with nng's
 * HTTP client, asynchronously, and records each attempt on the loop
 * thread, which owns the database.
 *
 * A delivery starts as soon as the transaction that wrote it commits (the
 * store tells the engine of every new row; the engine looks once the
 * transaction has ended), and otherwise when its next attempt is due, so
 * that a restart resumes what was pending. At most webhook-concurrency
 * requests run at once and at most one per webhook, so that a slow or
 * dead robot holds one slot at a time and never the loop. */
#ifndef SRV_WEBHOOK_DELIVER_H
#define SRV_WEBHOOK_DELIVER_H

#include <stdint.h>

#include "status.h"

struct srv_server;

/* Applies one configuration key if it is the engine's: webhook-backoff-ms
 * (the first retry's delay, doubled at each retry; 30000),
 * webhook-max-attempts (8), webhook-timeout-ms (10000 per request),
 * webhook-concurrency (8), webhook-ca-file (the CAs that https robots
 * are verified with; /etc/ssl/certs/ca-certificates.crt) and public-url
 * (the dashboard's base URL: messages about a project link to its page;
 * none by default). LS_OK or LS_INVALID_ARGUMENT naming the key;
 * LS_NOT_FOUND, st untouched, for any other key. */
int srv_webhook_config_set(const char *key, const char *value, ls_status *st);

/* The key a receiver drops duplicates by, sent with every attempt of a
 * delivery (header X-Luoshi-Delivery, and in the generic body): the same
 * for a reminder and a webhook however often it is posted. */
void srv_webhook_idempotency_key(int64_t delivery, int64_t reminder, int64_t webhook, char buf[64]);

/* Starts the engine on srv->loop; it looks for due deliveries at once. */
int srv_webhook_start(struct srv_server *srv, ls_status *st);

/* Stops the engine: the requests in flight are abandoned (their deliveries
 * stay pending and are posted again after a restart: at least once). Call
 * before the store closes. */
void srv_webhook_stop(struct srv_server *srv);

#endif
