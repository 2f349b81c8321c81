#include "auth.h"

#include <stdio.h>
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
	if (who->expired)
		return ls_status_field(st, LS_UNAUTHENTICATED, "metadata.authorization",
		                       "the token expired at %s", who->expires_at);
	return LS_OK;
}

/* ---- slowing down failed authentications --------------------------------- */

/* The peers that failed lately, in a table of fixed size: an attacker with
 * many addresses can push honest entries out, but cannot make the server
 * grow. Open addressing over a short run of slots; a full run gives up its
 * least recently seen entry. Loop thread only. */
#define PEER_SLOTS 1024
#define PEER_RUN 8

typedef struct peer_entry {
	char addr[SRV_PEER_SIZE]; /* "" : free */
	uint64_t first_ns;        /* the first failure of the current window */
	uint64_t blocked_until_ns;
	uint64_t last_ns;
	int failures;
} peer_entry;

static peer_entry peers[PEER_SLOTS];

static size_t peer_hash(const char *addr)
{
	/* FNV-1a: the table is small and the keys are short. */
	uint64_t h = 1469598103934665603u;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return (size_t)(h % PEER_SLOTS);
}

/* An entry whose window and block have both run out says nothing more. */
static bool peer_stale(const peer_entry *e, uint64_t now_ns)
{
	return now_ns >= e->blocked_until_ns && now_ns - e->first_ns >= SRV_AUTH_WINDOW_NS;
}

/* The entry of addr; when it has none, NULL, or a new one if create is set,
 * in a free slot of its run, else a stale one, else the least recently
 * seen. */
static peer_entry *peer_entry_of(const char *addr, uint64_t now_ns, bool create)
{
	size_t h = peer_hash(addr);
	peer_entry *free_slot = NULL, *stale = NULL, *oldest = NULL;
	for (size_t i = 0; i < PEER_RUN; i++) {
		peer_entry *e = &peers[(h + i) % PEER_SLOTS];
		if (e->addr[0] == '\0') {
			if (free_slot == NULL)
				free_slot = e;
		} else if (strcmp(e->addr, addr) == 0) {
			return e;
		} else if (peer_stale(e, now_ns)) {
			if (stale == NULL)
				stale = e;
		} else if (oldest == NULL || e->last_ns < oldest->last_ns) {
			oldest = e;
		}
	}
	if (!create)
		return NULL;
	peer_entry *e = free_slot ? free_slot : stale ? stale : oldest;
	memset(e, 0, sizeof *e);
	snprintf(e->addr, sizeof e->addr, "%s", addr);
	e->first_ns = now_ns;
	return e;
}

bool srv_auth_peer_blocked(const char *peer, uint64_t now_ns, int *retry_s)
{
	const char *addr = peer && peer[0] ? peer : "?";
	peer_entry *e = peer_entry_of(addr, now_ns, false);
	if (e == NULL || now_ns >= e->blocked_until_ns)
		return false;
	if (retry_s != NULL)
		*retry_s = (int)((e->blocked_until_ns - now_ns + 999999999u) / 1000000000u);
	return true;
}

bool srv_auth_peer_failed(const char *peer, uint64_t now_ns)
{
	const char *addr = peer && peer[0] ? peer : "?";
	peer_entry *e = peer_entry_of(addr, now_ns, true);
	if (now_ns - e->first_ns >= SRV_AUTH_WINDOW_NS) {
		e->first_ns = now_ns;
		e->failures = 0;
	}
	e->last_ns = now_ns;
	if (++e->failures < SRV_AUTH_FAILURES_MAX)
		return false;
	bool fresh = now_ns >= e->blocked_until_ns;
	e->blocked_until_ns = now_ns + SRV_AUTH_WINDOW_NS;
	return fresh;
}

void srv_auth_peers_reset(void) { memset(peers, 0, sizeof peers); }
