#include "auth.h"

#include <string.h>

#include <sodium.h>

void srv_token_new(char token[SRV_TOKEN_SIZE], uint8_t hash[SRV_HASH_SIZE])
{
	uint8_t raw[32];
	randombytes_buf(raw, sizeof raw);
	memcpy(token, "ls_", 3);
	sodium_bin2base64(token + 3, SRV_TOKEN_SIZE - 3, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	srv_token_hash(token, hash);
}

void srv_token_hash(const char *token, uint8_t hash[SRV_HASH_SIZE])
{
	/* Tokens carry 256 random bits, so a fast hash is enough: nobody can
	 * search that space, and a stolen database yields no usable token. */
	crypto_generichash(hash, SRV_HASH_SIZE, (const uint8_t *)token, strlen(token), NULL, 0);
}

int srv_authenticate(srv_store *store, const char *authorization, srv_account *who,
                     ls_status *st)
{
	static const char bearer[] = "Bearer ";
	if (authorization == NULL)
		return ls_status_field(st, LS_UNAUTHENTICATED, "metadata.authorization",
		                       "this call needs a token (authorization: Bearer <token>)");
	if (strncmp(authorization, bearer, sizeof bearer - 1) != 0 ||
	    authorization[sizeof bearer - 1] == '\0')
		return ls_status_field(st, LS_UNAUTHENTICATED, "metadata.authorization",
		                       "the authorization metadata must read \"Bearer <token>\"");
	uint8_t hash[SRV_HASH_SIZE];
	srv_token_hash(authorization + sizeof bearer - 1, hash);
	int rc = srv_store_account_by_token(store, hash, who);
	if (rc == LS_NOT_FOUND)
		return ls_status_field(st, LS_UNAUTHENTICATED, "metadata.authorization",
		                       "the token is not valid, or was revoked");
	if (rc != LS_OK)
		return ls_status_set(st, rc, "cannot check the token");
	return LS_OK;
}
