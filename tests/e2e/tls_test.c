/* End to end: tls+tcp:// listeners. The tests make their own certificate
 * authorities and certificates with the openssl command line, in a
 * temporary directory, then check that a good handshake works, that a
 * client trusting another CA is refused, and that with client verification
 * a client needs a certificate of the server's CA: through the client
 * library and through the `luoshi` binary's --ca, --cert, --key and its
 * config file. The push socket of `luoshi watch` takes tls+tcp:// with the
 * same files: a watcher over TLS sees the notices announced there, and a
 * subscriber trusting another CA, or without the client certificate the
 * server asks for, gets no connection. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/reminders.pb-c.h"

extern char **environ;

#define M_CHECK "/luoshi.v1.HealthService/Check"
#define M_WHOAMI "/luoshi.v1.AccountService/WhoAmI"
#define M_NOTICE "/luoshi.v1.ReminderService/SendNotice"
/* How long a watcher or a subscriber may take to see a notice. */
#define SEE_WAIT_MS 20000
#define OPENSSL "/usr/bin/openssl"

/* The files of the group, made once by group_setup. */
static char pki[E2E_DIR_MAX];
static char ca_crt[E2E_PATH_MAX], other_ca_crt[E2E_PATH_MAX];
static char server_crt[E2E_PATH_MAX], server_key[E2E_PATH_MAX];
static char client_crt[E2E_PATH_MAX], client_key[E2E_PATH_MAX];
static char stranger_crt[E2E_PATH_MAX], stranger_key[E2E_PATH_MAX];

/* ---- making the certificates ----------------------------------------------- */

/* Runs openssl with args (NULL-terminated, without argv[0]) in the pki
 * directory. Returns 0, or -1 after printing why. */
static int openssl(const char *const *args)
{
	char *argv[40];
	int n = 0;
	argv[n++] = (char *)OPENSSL;
	for (int i = 0; args[i] != NULL && n < 39; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	e2e_run r;
	if (e2e_run_program(argv, environ, 60000, &r) != 0)
		return -1;
	int rc = r.status == 0 ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "openssl %s exited %d: %s\n", args[0], r.status, r.err);
	e2e_run_free(&r);
	return rc;
}

static void pki_path(char *out, const char *name)
{
	snprintf(out, E2E_PATH_MAX, "%s/%s", pki, name);
}

/* A self-signed CA: NAME.crt and NAME.key. */
static int make_ca(const char *name, const char *subject)
{
	char crt[E2E_PATH_MAX], key[E2E_PATH_MAX];
	snprintf(crt, sizeof crt, "%s/%s.crt", pki, name);
	snprintf(key, sizeof key, "%s/%s.key", pki, name);
	const char *args[] = {
	    "req",    "-x509",   "-newkey", "ec",   "-pkeyopt", "ec_paramgen_curve:prime256v1",
	    "-nodes", "-keyout", key,       "-out", crt,        "-days",
	    "2",      "-subj",   subject,   NULL};
	return openssl(args);
}

/* NAME.crt and NAME.key, signed by the CA ca, with the extensions ext. */
static int make_cert(const char *name, const char *subject, const char *ca, const char *ext)
{
	char crt[E2E_PATH_MAX], key[E2E_PATH_MAX], csr[E2E_PATH_MAX], extfile[E2E_PATH_MAX];
	char ca_file[E2E_PATH_MAX], ca_key[E2E_PATH_MAX], serial[E2E_PATH_MAX];
	snprintf(crt, sizeof crt, "%s/%s.crt", pki, name);
	snprintf(key, sizeof key, "%s/%s.key", pki, name);
	snprintf(csr, sizeof csr, "%s/%s.csr", pki, name);
	snprintf(extfile, sizeof extfile, "%s/%s.ext", pki, name);
	snprintf(ca_file, sizeof ca_file, "%s/%s.crt", pki, ca);
	snprintf(ca_key, sizeof ca_key, "%s/%s.key", pki, ca);
	snprintf(serial, sizeof serial, "%s/%s.srl", pki, ca);
	if (e2e_write_file(extfile, ext) != 0)
		return -1;
	const char *req[] = {
	    "req",    "-new",    "-newkey", "ec",   "-pkeyopt", "ec_paramgen_curve:prime256v1",
	    "-nodes", "-keyout", key,       "-out", csr,        "-subj",
	    subject,  NULL};
	const char *sign[] = {"x509",
	                      "-req",
	                      "-in",
	                      csr,
	                      "-CA",
	                      ca_file,
	                      "-CAkey",
	                      ca_key,
	                      "-CAserial",
	                      serial,
	                      "-CAcreateserial",
	                      "-out",
	                      crt,
	                      "-days",
	                      "2",
	                      "-extfile",
	                      extfile,
	                      NULL};
	return openssl(req) == 0 && openssl(sign) == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
	(void)state;
	if (access(OPENSSL, X_OK) != 0) {
		fprintf(stderr, "tls: %s is missing (apt-get install openssl)\n", OPENSSL);
		return -1;
	}
	snprintf(pki, sizeof pki, "/tmp/luoshi-pki-XXXXXX");
	if (mkdtemp(pki) == NULL) {
		perror("mkdtemp");
		pki[0] = '\0';
		return -1;
	}
	/* Debian 12's nng uses mbedTLS 2.28, which matches the host a client
	 * asks for against the DNS names of the certificate only, never its IP
	 * addresses: a server reached by address carries it in both forms. */
	static const char server_ext[] = "subjectAltName = IP:127.0.0.1, DNS:127.0.0.1\n"
	                                 "basicConstraints = CA:FALSE\n"
	                                 "keyUsage = digitalSignature\n"
	                                 "extendedKeyUsage = serverAuth\n";
	static const char client_ext[] = "basicConstraints = CA:FALSE\n"
	                                 "keyUsage = digitalSignature\n"
	                                 "extendedKeyUsage = clientAuth\n";
	if (make_ca("ca", "/CN=luoshi test CA") != 0 ||
	    make_ca("other-ca", "/CN=another CA") != 0 ||
	    make_cert("server", "/CN=127.0.0.1", "ca", server_ext) != 0 ||
	    make_cert("client", "/CN=五乡镇 clerk", "ca", client_ext) != 0 ||
	    make_cert("stranger", "/CN=stranger", "other-ca", client_ext) != 0)
		return -1;
	pki_path(ca_crt, "ca.crt");
	pki_path(other_ca_crt, "other-ca.crt");
	pki_path(server_crt, "server.crt");
	pki_path(server_key, "server.key");
	pki_path(client_crt, "client.crt");
	pki_path(client_key, "client.key");
	pki_path(stranger_crt, "stranger.crt");
	pki_path(stranger_key, "stranger.key");
	return 0;
}

static int remove_one(const char *name)
{
	char path[E2E_PATH_MAX];
	pki_path(path, name);
	return remove(path);
}

static int group_teardown(void **state)
{
	(void)state;
	static const char *const names[] = {
	    "ca.crt",       "ca.key",       "ca.srl",       "other-ca.crt", "other-ca.key",
	    "other-ca.srl", "server.crt",   "server.key",   "server.csr",   "server.ext",
	    "client.crt",   "client.key",   "client.csr",   "client.ext",   "stranger.crt",
	    "stranger.key", "stranger.csr", "stranger.ext",
	};
	if (pki[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		remove_one(names[i]);
	rmdir(pki);
	return 0;
}

/* ---- servers and clients ----------------------------------------------------- */

/* Starts s (already initialised) with a tls+tcp:// listener on a free port
 * besides the harness's own, its URL in url; mutual asks for client
 * certificates. */
static void start_tls(e2e_server *s, bool mutual, char *url, size_t n)
{
	int port = e2e_free_port();
	assert_true(port > 0);
	snprintf(url, n, "tls+tcp://127.0.0.1:%d", port);
	const char *extra[] = {"--listen",
	                       url,
	                       "--tls-cert",
	                       server_crt,
	                       "--tls-key",
	                       server_key,
	                       mutual ? "--tls-ca" : NULL,
	                       ca_crt,
	                       "--tls-verify-clients",
	                       NULL};
	assert_int_equal(e2e_server_start(s, extra), 0);
	char line[96];
	snprintf(line, sizeof line, "listening on %s", url);
	assert_true(e2e_file_contains(s->log, line));
}

/* Opens a client on url with the TLS files given (each may be NULL).
 * Returns the code of luoshi_client_open; *out is the client on LS_OK. */
static int tls_open(const char *url, const char *token, const char *ca, const char *cert,
                    const char *key, luoshi_client **out, ls_status *st)
{
	luoshi_client_opts o = {
	    .url = url,
	    .token = token,
	    .timeout_ms = 5000,
	    .ca_file = ca,
	    .cert_file = cert,
	    .key_file = key,
	};
	return luoshi_client_open(out, &o, st);
}

/* Health and WhoAmI through c: the server answers SERVING, and the token is
 * the init admin's. */
static void check_calls(luoshi_client *c)
{
	ProtobufCMessage *m;
	ls_status st;
	Luoshi__V1__HealthCheckRequest hq = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	assert_int_equal(e2e_call(c, M_CHECK, &hq.base, NULL, &m, &st), LS_OK);
	const Luoshi__V1__HealthCheckResponse *h = (Luoshi__V1__HealthCheckResponse *)m;
	assert_true(h->has_status);
	assert_int_equal(h->status, LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	protobuf_c_message_free_unpacked(m, NULL);

	Luoshi__V1__WhoAmIRequest wq = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	int rc = e2e_call(c, M_WHOAMI, &wq.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("WhoAmI over TLS: %s %s", ls_code_name(rc), st.message);
	const Luoshi__V1__WhoAmIResponse *w = (Luoshi__V1__WhoAmIResponse *)m;
	assert_non_null(w->account);
	assert_int_equal(w->account->id, 1);
	assert_string_equal(w->account->name, "admin");
	assert_int_equal(w->account->role, LUOSHI__V1__ROLE__ROLE_ADMIN);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- the tests ---------------------------------------------------------------- */

static void test_handshake(void **state)
{
	e2e_server *s = *state;
	char url[64];
	start_tls(s, false, url, sizeof url);
	luoshi_client *c;
	ls_status st;
	int rc = tls_open(url, s->admin_token, ca_crt, NULL, NULL, &c, &st);
	if (rc != LS_OK)
		fail_msg("TLS client: %s %s", ls_code_name(rc), st.message);
	check_calls(c);
	luoshi_client_close(c);

	/* A client certificate is accepted where none is asked for. */
	assert_int_equal(tls_open(url, s->admin_token, ca_crt, client_crt, client_key, &c, &st),
	                 LS_OK);
	check_calls(c);
	luoshi_client_close(c);
}

static void test_wrong_ca(void **state)
{
	e2e_server *s = *state;
	char url[64];
	start_tls(s, false, url, sizeof url);
	luoshi_client *c = NULL;
	ls_status st;
	assert_int_equal(tls_open(url, s->admin_token, other_ca_crt, NULL, NULL, &c, &st),
	                 LS_UNAVAILABLE);
	assert_null(c);
	assert_non_null(strstr(st.message, "TLS"));
	/* Without any CA the client cannot check the server: it does not try. */
	assert_int_equal(tls_open(url, s->admin_token, NULL, NULL, NULL, &c, &st),
	                 LS_INVALID_ARGUMENT);
	assert_null(c);
	/* A certificate without its key is refused before dialling. */
	assert_int_equal(tls_open(url, s->admin_token, ca_crt, client_crt, NULL, &c, &st),
	                 LS_INVALID_ARGUMENT);
	/* The server is unharmed by the failed handshakes. */
	assert_int_equal(tls_open(url, s->admin_token, ca_crt, NULL, NULL, &c, &st), LS_OK);
	check_calls(c);
	luoshi_client_close(c);
}

static void test_client_certificate_required(void **state)
{
	e2e_server *s = *state;
	char url[64];
	start_tls(s, true, url, sizeof url);
	assert_true(e2e_file_contains(s->log, "(clients need a certificate)"));
	luoshi_client *c = NULL;
	ls_status st;
	/* No certificate. */
	assert_int_equal(tls_open(url, s->admin_token, ca_crt, NULL, NULL, &c, &st),
	                 LS_UNAVAILABLE);
	assert_null(c);
	/* A certificate, but of another CA. */
	assert_int_equal(tls_open(url, s->admin_token, ca_crt, stranger_crt, stranger_key, &c, &st),
	                 LS_UNAVAILABLE);
	assert_null(c);
	/* A certificate of the server's CA. */
	int rc = tls_open(url, s->admin_token, ca_crt, client_crt, client_key, &c, &st);
	if (rc != LS_OK)
		fail_msg("mutual TLS client: %s %s", ls_code_name(rc), st.message);
	check_calls(c);
	luoshi_client_close(c);
}

static void test_cli(void **state)
{
	e2e_server *s = *state;
	char url[64];
	start_tls(s, true, url, sizeof url);
	e2e_run r;

	/* The flags, before the command. */
	const char *with_flags[] = {"--ca",  ca_crt,     "--cert", client_crt,
	                            "--key", client_key, "whoami", NULL};
	e2e_cli(s->dir, url, s->admin_token, NULL, with_flags, &r);
	if (r.status != 0)
		fail_msg("luoshi whoami over TLS exited %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "admin"));
	assert_non_null(strstr(r.out, "office"));
	e2e_run_free(&r);

	/* Without a client certificate: UNAVAILABLE (14), saying why. */
	const char *no_cert[] = {"--ca", ca_crt, "whoami", NULL};
	e2e_cli(s->dir, url, s->admin_token, NULL, no_cert, &r);
	assert_int_equal(r.status, LS_UNAVAILABLE);
	assert_non_null(strstr(r.err, "client certificate"));
	assert_string_equal(r.out, "");
	e2e_run_free(&r);

	/* Trusting another CA: UNAVAILABLE. */
	const char *wrong_ca[] = {"--ca",  other_ca_crt, "--cert", client_crt,
	                          "--key", client_key,   "whoami", NULL};
	e2e_cli(s->dir, url, s->admin_token, NULL, wrong_ca, &r);
	assert_int_equal(r.status, LS_UNAVAILABLE);
	assert_non_null(strstr(r.err, "TLS handshake failed"));
	e2e_run_free(&r);

	/* The same files from the config file (XDG_CONFIG_HOME is s->dir). */
	char conf_dir[E2E_PATH_MAX], conf[E2E_PATH_MAX + 16], text[4 * E2E_PATH_MAX];
	snprintf(conf_dir, sizeof conf_dir, "%s/luoshi", s->dir);
	assert_int_equal(mkdir(conf_dir, 0700), 0);
	snprintf(conf, sizeof conf, "%s/config", conf_dir);
	snprintf(text, sizeof text, "server = %s\nca = %s\ncert = %s\nkey = %s\n", url, ca_crt,
	         client_crt, client_key);
	assert_int_equal(e2e_write_file(conf, text), 0);
	const char *plain[] = {"whoami", NULL};
	e2e_cli(s->dir, NULL, s->admin_token, NULL, plain, &r);
	if (r.status != 0)
		fail_msg("luoshi whoami with TLS from the config exited %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "admin"));
	e2e_run_free(&r);
	/* A flag wins over the file. */
	const char *flag_wins[] = {"--ca", other_ca_crt, "whoami", NULL};
	e2e_cli(s->dir, NULL, s->admin_token, NULL, flag_wins, &r);
	assert_int_equal(r.status, LS_UNAVAILABLE);
	e2e_run_free(&r);
}

/* Runs luoshid with args and expects it to refuse to start with status
 * (2: a bad configuration, 1: a failure to serve), saying word. */
static void refuses(const e2e_server *s, const char *const *args, int status, const char *word)
{
	char *argv[24];
	int n = 0;
	argv[n++] = getenv("LUOSHID");
	assert_non_null(argv[0]);
	argv[n++] = (char *)"--db";
	argv[n++] = (char *)s->db;
	argv[n++] = (char *)"--publish";
	argv[n++] = (char *)"none";
	for (int i = 0; args[i] != NULL && n < 23; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	e2e_run r;
	assert_int_equal(e2e_run_program(argv, environ, 30000, &r), 0);
	if (r.status != status || strstr(r.err, word) == NULL)
		fail_msg("luoshid exited %d, expected %d and a refusal naming %s: %s", r.status,
		         status, word, r.err);
	e2e_run_free(&r);
}

static void test_server_config_errors(void **state)
{
	e2e_server *s = *state;
	char url[64];
	snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%d", e2e_free_port());
	const char *no_cert[] = {"--listen", url, NULL};
	refuses(s, no_cert, 1, "tls-cert");
	const char *no_key[] = {"--listen", url, "--tls-cert", server_crt, NULL};
	refuses(s, no_key, 1, "tls-key");
	const char *no_ca[] = {"--listen",  url,        "--tls-cert",           server_crt,
	                       "--tls-key", server_key, "--tls-verify-clients", NULL};
	refuses(s, no_ca, 1, "tls-ca");
	/* A key that is not the PEM of a key. */
	const char *bad_key[] = {"--listen",  url,    "--tls-cert", server_crt,
	                         "--tls-key", ca_crt, NULL};
	refuses(s, bad_key, 1, "cannot use the certificate");
	const char *missing[] = {"--listen",  url,        "--tls-cert", "/nonexistent/server.crt",
	                         "--tls-key", server_key, NULL};
	refuses(s, missing, 1, "/nonexistent/server.crt");
	/* The config file's spelling of the switch is checked too. */
	char conf[E2E_PATH_MAX + 16];
	snprintf(conf, sizeof conf, "%s/luoshid.conf", s->dir);
	assert_int_equal(e2e_write_file(conf, "tls-verify-clients = maybe\n"), 0);
	const char *bad_switch[] = {"--config", conf, NULL};
	refuses(s, bad_switch, 2, "tls-verify-clients");
}

/* ---- the push socket over TLS ---------------------------------------------------- */

/* Starts s with mutual TLS on an RPC listener (rpc) and on the push socket
 * (pub), both on free ports. */
static void start_tls_push(e2e_server *s, char *rpc, char *pub, size_t n)
{
	snprintf(rpc, n, "tls+tcp://127.0.0.1:%d", e2e_free_port());
	snprintf(pub, n, "tls+tcp://127.0.0.1:%d", e2e_free_port());
	const char *extra[] = {
	    "--listen",  rpc,        "--publish", pub,    "--tls-cert",           server_crt,
	    "--tls-key", server_key, "--tls-ca",  ca_crt, "--tls-verify-clients", NULL};
	assert_int_equal(e2e_server_start(s, extra), 0);
	char line[128];
	snprintf(line, sizeof line, "publishing on %s (subscribers need a certificate)", pub);
	assert_true(e2e_file_contains(s->log, line));
}

/* Sends a notice to every unit, the init admin's office among them. */
static void notice(luoshi_client *c, const char *text)
{
	Luoshi__V1__SendNoticeRequest req = LUOSHI__V1__SEND_NOTICE_REQUEST__INIT;
	req.to = (char *)"all";
	req.text = (char *)text;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_NOTICE, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("SendNotice: %s %s", ls_code_name(rc), st.message);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* A subscriber in a process of its own (tls_sub.c, which says why), read
 * through a pipe. */
typedef struct subscriber {
	pid_t pid;
	int fd;
	char buf[4096];
	size_t len;
} subscriber;

/* Starts tls_sub on url with the TLS files given (cert and key may be
 * NULL). */
static void subscriber_start(subscriber *sub, const char *url, const char *ca, const char *cert,
                             const char *key)
{
	char *argv[] = {(char *)TLS_SUB, (char *)url, (char *)ca, (char *)cert, (char *)key, NULL};
	if (cert == NULL)
		argv[3] = NULL;
	int fds[2];
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	assert_int_equal(posix_spawn(&sub->pid, TLS_SUB, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	sub->fd = fds[0];
	sub->len = 0;
}

/* The subscriber's next line, waiting at most timeout_ms for it: false if
 * none came (or it ended). */
static bool subscriber_line(subscriber *sub, int timeout_ms, char *line, size_t n)
{
	uint64_t end = e2e_now_ms() + (uint64_t)timeout_ms * (uint64_t)e2e_timeout_scale();
	for (;;) {
		char *nl = memchr(sub->buf, '\n', sub->len);
		if (nl != NULL) {
			size_t k = (size_t)(nl - sub->buf);
			snprintf(line, n, "%.*s", (int)k, sub->buf);
			sub->len -= k + 1;
			memmove(sub->buf, nl + 1, sub->len);
			return true;
		}
		uint64_t now = e2e_now_ms();
		if (now >= end || sub->len == sizeof sub->buf)
			return false;
		struct pollfd p = {.fd = sub->fd, .events = POLLIN};
		int rc = poll(&p, 1, (int)(end - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return false;
		ssize_t got = read(sub->fd, sub->buf + sub->len, sizeof sub->buf - sub->len);
		if (got <= 0)
			return false;
		sub->len += (size_t)got;
	}
}

static void subscriber_kill(subscriber *sub)
{
	kill(sub->pid, SIGKILL);
	while (waitpid(sub->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(sub->fd);
}

/* A subscriber that must get nothing: its handshake fails, or never ends,
 * or, when the client's side of it finished before the server refused (as
 * mbedTLS may), no announcement of a notice sent now reaches it. With
 * must_refuse, it must not even connect. */
static void shut_out(luoshi_client *admin, const char *pub, const char *ca, const char *cert,
                     const char *key, bool must_refuse)
{
	subscriber sub;
	char line[512];
	subscriber_start(&sub, pub, ca, cert, key);
	if (subscriber_line(&sub, 15000, line, sizeof line)) {
		if (strncmp(line, "error:", 6) == 0) {
			subscriber_kill(&sub);
			fail_msg("tls_sub: %s", line);
		}
		if (strcmp(line, "connected") == 0) {
			if (must_refuse) {
				subscriber_kill(&sub);
				fail_msg("a subscriber trusting another CA got a connection");
			}
			notice(admin, "不应收到");
			bool got = subscriber_line(&sub, 1000, line, sizeof line);
			subscriber_kill(&sub);
			if (got)
				fail_msg("a subscriber the server refused heard: %s", line);
			return;
		}
		assert_int_equal(strncmp(line, "refused: ", 9), 0);
	}
	subscriber_kill(&sub);
}

static void test_push_subscribers(void **state)
{
	e2e_server *s = *state;
	char rpc[64], pub[64];
	start_tls_push(s, rpc, pub, sizeof rpc);
	luoshi_client *admin;
	ls_status st;
	assert_int_equal(tls_open(rpc, s->admin_token, ca_crt, client_crt, client_key, &admin, &st),
	                 LS_OK);

	/* Trusting another CA: the handshake fails. */
	shut_out(admin, pub, other_ca_crt, client_crt, client_key, true);
	/* No client certificate where the server asks for one. */
	shut_out(admin, pub, ca_crt, NULL, NULL, false);
	/* A certificate of another CA. */
	shut_out(admin, pub, ca_crt, stranger_crt, stranger_key, false);

	/* The right CA and certificate: announcements, a topic and a number
	 * only ("u/1/7" or "all/3"). Notices are sent until one is heard: the
	 * subscriber's side of the pipe may be up a moment before the
	 * server's. */
	subscriber sub;
	char line[512];
	subscriber_start(&sub, pub, ca_crt, client_crt, client_key);
	bool up = subscriber_line(&sub, SEE_WAIT_MS, line, sizeof line);
	if (!up || strcmp(line, "connected") != 0) {
		subscriber_kill(&sub);
		fail_msg("subscribing over TLS: %s", up ? line : "no answer");
	}
	uint64_t end = e2e_now_ms() + (uint64_t)SEE_WAIT_MS * (uint64_t)e2e_timeout_scale();
	bool heard = false;
	while (!heard && e2e_now_ms() < end) {
		notice(admin, "推送测试");
		heard = subscriber_line(&sub, 500, line, sizeof line);
	}
	subscriber_kill(&sub);
	if (!heard)
		fail_msg("no announcement reached the subscriber in %d ms", SEE_WAIT_MS);
	assert_int_equal(strncmp(line, "got ", 4), 0);
	const char *a = line + 4;
	assert_true(strncmp(a, "u/", 2) == 0 || strncmp(a, "all/", 4) == 0);
	assert_null(strstr(a, "推送测试"));
	luoshi_client_close(admin);
}

/* Starts `luoshi watch` as the init admin on rpc with the TLS files given,
 * polling once an hour only, so that what it shows after start-up came
 * through the push socket; --exec appends each text to out, and its own
 * output goes to log. */
static pid_t watcher(const e2e_server *s, const char *rpc, const char *ca, const char *out,
                     const char *log)
{
	const char *luoshi = getenv("LUOSHI");
	assert_non_null(luoshi);
	char cmd[E2E_PATH_MAX + 64];
	snprintf(cmd, sizeof cmd, "printf '%%s\\n' \"$LUOSHI_REMINDER_TEXT\" >> '%s'", out);
	char *argv[] = {(char *)luoshi,
	                (char *)"--server",
	                (char *)rpc,
	                (char *)"--ca",
	                (char *)ca,
	                (char *)"--cert",
	                client_crt,
	                (char *)"--key",
	                client_key,
	                (char *)"watch",
	                (char *)"--poll",
	                (char *)"3600000",
	                (char *)"--exec",
	                cmd,
	                NULL};
	char tok[192], home[E2E_PATH_MAX + 8], xdg[E2E_PATH_MAX + 24], ld[E2E_PATH_MAX + 32];
	char kept[3][512];
	char *env[16];
	int n = 0;
	env[n++] = (char *)"PATH=/usr/local/bin:/usr/bin:/bin";
	env[n++] = (char *)"LANG=C";
	snprintf(tok, sizeof tok, "LUOSHI_TOKEN=%s", s->admin_token);
	env[n++] = tok;
	snprintf(home, sizeof home, "HOME=%s", s->dir);
	env[n++] = home;
	snprintf(xdg, sizeof xdg, "XDG_CONFIG_HOME=%s", s->dir);
	env[n++] = xdg;
	if (getenv("LUOSHI_LOCALEDIR") != NULL) {
		snprintf(ld, sizeof ld, "LUOSHI_LOCALEDIR=%s", getenv("LUOSHI_LOCALEDIR"));
		env[n++] = ld;
	}
	static const char *const keep[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
	for (int i = 0; i < 3; i++) {
		if (getenv(keep[i]) != NULL) {
			snprintf(kept[i], sizeof kept[i], "%s=%s", keep[i], getenv(keep[i]));
			env[n++] = kept[i];
		}
	}
	env[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid;
	int rc = posix_spawn(&pid, luoshi, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(rc, 0);
	return pid;
}

/* Stops a watcher with SIGTERM; returns its exit status. */
static int watcher_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static void test_watch_over_tls(void **state)
{
	e2e_server *s = *state;
	char rpc[64], pub[64];
	start_tls_push(s, rpc, pub, sizeof rpc);
	luoshi_client *admin;
	ls_status st;
	assert_int_equal(tls_open(rpc, s->admin_token, ca_crt, client_crt, client_key, &admin, &st),
	                 LS_OK);
	char out[E2E_PATH_MAX + 16], log[E2E_PATH_MAX + 16];
	snprintf(out, sizeof out, "%s/watch.out", s->dir);
	snprintf(log, sizeof log, "%s/watch.log", s->dir);

	pid_t w = watcher(s, rpc, ca_crt, out, log);
	notice(admin, "第一条提醒");
	if (!e2e_wait_file_contains(out, "第一条提醒\n", SEE_WAIT_MS)) {
		watcher_stop(w);
		char *l = e2e_read_file(log, NULL);
		fail_msg("the watcher did not show the first notice:\n%s", l ? l : "");
	}
	/* The watcher polls once an hour: what it shows now came through the
	 * TLS push socket, whether as an announcement or as the pull that
	 * follows its subscription's connection, which needs a handshake. */
	notice(admin, "第二条提醒");
	bool seen = e2e_wait_file_contains(out, "第二条提醒\n", SEE_WAIT_MS);
	assert_int_equal(watcher_stop(w), 0);
	if (!seen) {
		char *l = e2e_read_file(log, NULL);
		fail_msg("the watcher did not show the announced notice:\n%s", l ? l : "");
	}
	assert_false(e2e_file_contains(log, "polling instead"));

	/* Trusting another CA, the watcher gets no connection and says why. */
	char log2[E2E_PATH_MAX + 16], out2[E2E_PATH_MAX + 16];
	snprintf(out2, sizeof out2, "%s/watch2.out", s->dir);
	snprintf(log2, sizeof log2, "%s/watch2.log", s->dir);
	w = watcher(s, rpc, other_ca_crt, out2, log2);
	bool said = e2e_wait_file_contains(log2, "TLS handshake failed", SEE_WAIT_MS);
	watcher_stop(w);
	assert_true(said);
	assert_false(e2e_file_contains(out2, "提醒"));
	luoshi_client_close(admin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_handshake, e2e_setup_init, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_ca, e2e_setup_init, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_client_certificate_required, e2e_setup_init,
	                                    e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli, e2e_setup_init, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_server_config_errors, e2e_setup_init,
	                                    e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_push_subscribers, e2e_setup_init, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_watch_over_tls, e2e_setup_init, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_tls", tests, group_setup, group_teardown);
}
