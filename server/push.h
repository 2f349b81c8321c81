/* Push: the PUB socket on which reminders are announced. An announcement
 * carries no content (PUB has no authentication): only a terminated topic
 * and the recipient's new sequence number; the text is read through the
 * inbox RPC. See proto/README.md. */
#ifndef SRV_PUSH_H
#define SRV_PUSH_H

#include <stdint.h>

#include "server.h"

/* Opens the PUB socket and listens on url. NULL or "none": no socket, and
 * srv_push_announce does nothing. On success *out belongs to the caller. */
int srv_push_open(const char *url, srv_push **out, ls_status *st);

/* Announces "<topic><seq>" (topic like "u/12/"). Never blocks: pub0 drops
 * what a slow subscriber cannot take, and the inbox stays the truth. */
void srv_push_announce(srv_push *p, const char *topic, uint64_t seq);

/* Closes the socket and frees p. NULL is a no-op. */
void srv_push_close(srv_push *p);

#endif
