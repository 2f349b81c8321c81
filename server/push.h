/* Push: the PUB socket on which reminders are announced. An announcement
 * carries no content (PUB has no authentication): only a terminated topic
 * and the recipient's new sequence number; the text is read through the
 * inbox RPC. See proto/README.md. */
#ifndef SRV_PUSH_H
#define SRV_PUSH_H

#include <stdint.h>

#include "server.h"

/* Opens the PUB socket and listens on cfg->publish. NULL or "none": no
 * socket, and srv_push_announce does nothing. A tls+tcp:// URL takes the
 * same certificate, key and client verification as the RPC listeners
 * (tls-cert, tls-key, tls-ca, tls-verify-clients): TLS keeps the
 * announcements from being read or forged on the way, and with
 * tls-verify-clients only holders of a client certificate may subscribe.
 * On success *out belongs to the caller. */
int srv_push_open(const srv_config *cfg, srv_push **out, ls_status *st);

/* Announces "<topic><seq>" (topic like "u/12/"). Never blocks: pub0 drops
 * what a slow subscriber cannot take, and the inbox stays the truth. */
void srv_push_announce(srv_push *p, const char *topic, uint64_t seq);

/* Closes the socket and frees p. NULL is a no-op. */
void srv_push_close(srv_push *p);

#endif
