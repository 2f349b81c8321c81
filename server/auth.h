/* Tokens: random, shown once, kept only as a hash. */
#ifndef SRV_AUTH_H
#define SRV_AUTH_H

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

#endif
