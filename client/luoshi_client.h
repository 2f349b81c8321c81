/* The luoshi client library: unary calls to luoshid over nng REQ/REP.
 *
 * This is the one public header of the client. A program links
 * libluoshi_client (and the generated protobuf-c code of proto/) and calls
 * any RPC of proto/luoshi/v1 with its generated message types. A client is
 * used by one thread at a time; open one per thread. */
#ifndef LUOSHI_CLIENT_H
#define LUOSHI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "status.h"

typedef struct luoshi_client luoshi_client;

typedef struct luoshi_client_opts {
	/* "tcp://127.0.0.1:7070", "ipc:///run/luoshi.sock", or up to 16 of them
	 * separated by commas: instances of one service, each dialed. */
	const char *url;
	const char *token;    /* sent as "authorization: Bearer <token>"; may be NULL */
	uint32_t timeout_ms;  /* per call, sent as the deadline; 0: 30 s */
	size_t max_message;   /* larger requests are refused before sending; 0: 4 MiB */
	/* For tls+tcp:// URLs (ignored for others): ca_file, the CA (PEM) that
	 * signed the server's certificate, is required; the certificate must
	 * name the URL's host. cert_file and key_file (PEM), both or neither:
	 * this client's own certificate, for servers that require one. */
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
} luoshi_client_opts;

/* Length of an idempotency key from luoshi_new_key, with its NUL. */
#define LUOSHI_KEY_SIZE 33

/* Connects to o->url. On success *out is owned by the caller (close it with
 * luoshi_client_close). When the server cannot be reached returns
 * LS_UNAVAILABLE, as when the TLS handshake fails (a server certificate not
 * signed by ca_file, a client certificate missing or refused); a malformed
 * URL, or TLS files that cannot be used, give LS_INVALID_ARGUMENT. With
 * several URLs it succeeds when one answers, and keeps dialing the others
 * in the background: calls are spread over the servers that are up, and a
 * call whose server goes away before answering is sent again to another
 * (give it an idempotency key if it writes). */
int luoshi_client_open(luoshi_client **out, const luoshi_client_opts *o, ls_status *st);

/* Closes the connection and frees c. NULL is a no-op. */
void luoshi_client_close(luoshi_client *c);

/* Calls method ("/luoshi.v1.AccountService/CreateAccount") with req, whose
 * type must be the method's input type. key, when not NULL, is sent as the
 * idempotency key: the server answers a retry with the same key from its
 * record instead of writing twice. On LS_OK *resp is a new message of the
 * method's output type, owned by the caller (protobuf_c_message_free_unpacked).
 * On any other code *resp is NULL and st says what went wrong: the server's
 * status, or LS_UNAVAILABLE (no answer), LS_DEADLINE_EXCEEDED (no answer in
 * time), LS_RESOURCE_EXHAUSTED (request over max_message), LS_NOT_FOUND
 * (method unknown to this client). */
int luoshi_client_call(luoshi_client *c, const char *method, const ProtobufCMessage *req,
                       const char *key, ProtobufCMessage **resp, ls_status *st);

/* Lower level: sends body as the request body of method, unchecked, and
 * returns the raw response body (malloc'd, owned by the caller; NULL with
 * length 0 when empty). For tools and tests that send arbitrary bytes. */
int luoshi_client_call_raw(luoshi_client *c, const char *method, const uint8_t *body,
                           size_t len, const char *key, uint8_t **resp, size_t *resp_len,
                           ls_status *st);

/* Lowest level: sends data as the whole message, no envelope, and returns
 * the whole reply (malloc'd, owned by the caller). For tests of the server's
 * envelope handling. */
int luoshi_client_send_bytes(luoshi_client *c, const uint8_t *data, size_t len,
                             uint8_t **reply, size_t *reply_len, ls_status *st);

/* Sets the deadline sent with later calls; 0: none sent, and the client
 * waits its default 30 s. */
void luoshi_client_set_timeout(luoshi_client *c, uint32_t timeout_ms);

/* Writes a fresh random idempotency key (32 hex digits and a NUL). */
void luoshi_new_key(char key[LUOSHI_KEY_SIZE]);

#endif
