/* tls_sub: a push subscriber over TLS, for e2e_tls, in a process of its own.
 *
 *   tls_sub URL CA [CERT KEY]
 *
 * Dials URL once, synchronously, with a SUB socket subscribed to every
 * topic, trusting CA and showing CERT and KEY if given, and prints a line
 * at once: "connected", or "refused: " and nng's reason. Connected, it
 * then prints each message received as "got " and its text, a line each,
 * until it is killed. It never closes the socket: the test kills it.
 *
 * A process of its own, because nng 1.5.2 can hang on the client's side of
 * a handshake the server refused (the dial, or nng_close of the socket),
 * and a test stuck there waits for ctest's timeout with nothing said. The
 * test bounds how long it waits for each line and ends this with SIGKILL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/supplemental/tls/tls.h>

#include "harness.h"

/* Ends the process without closing anything of nng's (see above). */
static int finish(int code)
{
	fflush(stdout);
	_exit(code);
}

static int fail(const char *what, int rv)
{
	printf("error: %s: %s\n", what, nng_strerror(rv));
	return finish(2);
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: tls_sub URL CA [CERT KEY]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	nng_socket sock;
	nng_tls_config *tls;
	nng_dialer d;
	int rv;
	if ((rv = nng_sub0_open(&sock)) != 0)
		return fail("nng_sub0_open", rv);
	if ((rv = nng_socket_set(sock, NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0)
		return fail("subscribe", rv);
	if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT)) != 0 ||
	    (rv = nng_tls_config_ca_file(tls, argv[2])) != 0 ||
	    (rv = nng_tls_config_server_name(tls, "127.0.0.1")) != 0)
		return fail("TLS configuration", rv);
	if (argc == 5) {
		char *cert = e2e_read_file(argv[3], NULL), *key = e2e_read_file(argv[4], NULL);
		if (cert == NULL || key == NULL) {
			printf("error: cannot read %s or %s\n", argv[3], argv[4]);
			return finish(2);
		}
		rv = nng_tls_config_own_cert(tls, cert, key, NULL);
		free(cert);
		free(key);
		if (rv != 0)
			return fail("own certificate", rv);
	}
	if ((rv = nng_dialer_create(&d, sock, argv[1])) != 0 ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls)) != 0)
		return fail("dialer", rv);
	nng_tls_config_free(tls);
	if ((rv = nng_dialer_start(d, 0)) != 0) {
		printf("refused: %s\n", nng_strerror(rv));
		return finish(0);
	}
	printf("connected\n");
	for (;;) {
		char *buf;
		size_t len;
		if ((rv = nng_recv(sock, &buf, &len, NNG_FLAG_ALLOC)) != 0)
			return fail("nng_recv", rv);
		printf("got %.*s\n", (int)len, buf);
		nng_free(buf, len);
	}
}
