/* Tokens: random, shown once, kept only as a hash. */
#ifndef SRV_AUTH_H
#define SRV_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "store/store.h"

/* "ls_" and 43 base64url characters (256 random bits), and the NUL. */
#define SRV_TOKEN_SIZE 48

/* Makes a new token from the system's cryptographic source and its hash. */
void srv_token_new(char token[SRV_TOKEN_SIZE], uint8_t hash[SRV_HASH_SIZE]);

/* The hash under which a token is stored. */
void srv_token_hash(const char *token, uint8_t hash[SRV_HASH_SIZE]);

/* Finds the live account for an "authorization" metadata value
 * ("Bearer <token>"). LS_OK fills *who; a missing, malformed, unknown or
 * revoked token is LS_UNAUTHENTICATED. */
int srv_authenticate(srv_store *store, const char *authorization, srv_account *who,
                     ls_status *st);

/* Repeated failures from one peer (an address as rpc_server.c gives it) are
 * slowed down: after SRV_AUTH_FAILURES_MAX failed authentications within
 * SRV_AUTH_WINDOW_NS the peer's calls are refused, unchecked, for
 * SRV_AUTH_WINDOW_NS. Memory stays bounded whatever the number of peers.
 * Loop thread only; now_ns is the dispatcher's clock. */
#define SRV_AUTH_FAILURES_MAX 5
#define SRV_AUTH_WINDOW_NS (60ull * 1000000000ull)
#define SRV_PEER_SIZE 48

/* True while peer is refused; *retry_s (may be NULL) gets the seconds left. */
bool srv_auth_peer_blocked(const char *peer, uint64_t now_ns, int *retry_s);

/* Counts a failed authentication of peer. True when this failure starts a
 * block (for the log). */
bool srv_auth_peer_failed(const char *peer, uint64_t now_ns);

/* Forgets every peer. */
void srv_auth_peers_reset(void);

#endif
