/* `luoshi watch`: shows each reminder of the caller's inboxes as it comes.
 *
 * The push socket only says that something is new (a topic and a number:
 * anyone can listen to it; "all/" stands for a burst to many inboxes), so
 * an announcement is never shown: it makes the watcher pull through the
 * authenticated ListInbox everything after its account's read cursor, show
 * each reminder, and acknowledge it. The same
 * pull runs at start, whenever the push socket (re)connects and every few
 * seconds, so reminders announced while the watcher or the server was away
 * are shown too. Nothing is kept locally: the server's cursor is the truth,
 * per account. A reminder is acknowledged right after it is shown; a
 * watcher killed between the two shows it again when it comes back. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include "cli.h"
#include "luoshi/v1/reflection.pb-c.h"
#include "luoshi/v1/reminders.pb-c.h"
#include "output.h"

#define M_LIST "/luoshi.v1.ReminderService/ListInbox"
#define M_ACK "/luoshi.v1.ReminderService/Ack"
#define M_CURSOR "/luoshi.v1.ReminderService/GetCursor"
#define M_INFO "/luoshi.v1.ReflectionService/GetServerInfo"

/* How long one wait on the push socket lasts: the longest a signal waits. */
#define RECV_WAIT_MS 500
/* Pull this often even without announcements (pub0 drops what a slow
 * subscriber cannot take). */
#define POLL_DEFAULT_MS 5000
/* The deadline of each call unless --timeout says otherwise. */
#define CALL_TIMEOUT_MS 5000
#define RETRY_PAUSE_MS 1000
#define PAGE 100

extern char **environ;

static volatile sig_atomic_t stop_signal;
static atomic_bool connected;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)ev;
	(void)arg;
	atomic_store(&connected, true);
}

typedef struct watch {
	cli_ctx *ctx;
	const char *exec;
	const char *push_flag;
	int poll_ms;
	luoshi_client *client;
	nng_socket sub;
	bool sub_open;
	bool warned; /* the server is away and we said so */
} watch;

/* Pauses ms, or less when a signal comes. */
static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Failures that pass when the server is back. */
static bool transient(int code)
{
	return code == LS_UNAVAILABLE || code == LS_DEADLINE_EXCEEDED ||
	       code == LS_RESOURCE_EXHAUSTED;
}

static void warn_away(watch *w, const ls_status *st)
{
	if (w->warned)
		return;
	w->warned = true;
	fflush(stdout);
	fprintf(stderr, _("luoshi: watch: %s; trying again\n"), st->message);
}

static void back(watch *w)
{
	if (!w->warned)
		return;
	w->warned = false;
	fprintf(stderr, "%s\n", _("luoshi: watch: the server answers again"));
}

/* Calls method until it answers, a signal comes, or it fails for good.
 * Returns the code; *resp as luoshi_client_call. */
static int call(watch *w, const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp,
                ls_status *st)
{
	for (;;) {
		int rc = luoshi_client_call(w->client, method, req, NULL, resp, st);
		if (rc == LS_OK) {
			back(w);
			return LS_OK;
		}
		if (!transient(rc) || stop_signal)
			return rc;
		warn_away(w, st);
		pause_ms(RETRY_PAUSE_MS);
	}
}

/* ---- showing a reminder ------------------------------------------------------ */

static char *env_entry(const char *key, const char *value)
{
	size_t n = strlen(key) + strlen(value ? value : "") + 2;
	char *e = cli_xmalloc(n);
	snprintf(e, n, "%s=%s", key, value ? value : "");
	return e;
}

/* Runs --exec CMD through /bin/sh with the reminder in its environment and
 * waits for it. */
static void run_exec(const watch *w, const Luoshi__V1__Reminder *r)
{
	static const char prefix[] = "LUOSHI_REMINDER_";
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	char **envp = cli_xmalloc((n + 8) * sizeof *envp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], prefix, sizeof prefix - 1) != 0)
			envp[k++] = environ[i];
	size_t first = k;
	bool person = r->recipient_kind == LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON;
	char seq[32], recipient[128];
	snprintf(seq, sizeof seq, "%" PRIu64, r->seq);
	snprintf(recipient, sizeof recipient, "%s:%s", person ? "person" : "unit",
	         r->recipient_code ? r->recipient_code : "");
	envp[k++] = env_entry("LUOSHI_REMINDER_SEQ", seq);
	envp[k++] = env_entry("LUOSHI_REMINDER_KIND", cli_reminder_kind_name(r->kind));
	envp[k++] = env_entry("LUOSHI_REMINDER_TEXT", r->text);
	envp[k++] = env_entry("LUOSHI_REMINDER_SUBJECT", r->subject);
	envp[k++] = env_entry("LUOSHI_REMINDER_CREATED_AT", r->created_at);
	envp[k++] = env_entry("LUOSHI_REMINDER_RECIPIENT", recipient);
	envp[k] = NULL;

	char *argv[] = {(char *)"sh", (char *)"-c", (char *)w->exec, NULL};
	pid_t pid;
	fflush(stdout);
	int rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, envp);
	if (rc != 0) {
		fprintf(stderr, _("luoshi: watch: cannot run /bin/sh: %s\n"), strerror(rc));
	} else {
		int ws;
		pid_t got;
		while ((got = waitpid(pid, &ws, 0)) < 0 && errno == EINTR)
			;
		if (got == pid && !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
			fprintf(stderr, _("luoshi: watch: --exec command failed on reminder %s\n"),
			        seq);
	}
	for (size_t i = first; i < k; i++)
		free(envp[i]);
	free(envp);
}

static void show(const watch *w, const Luoshi__V1__Reminder *r)
{
	if (w->exec != NULL) {
		run_exec(w, r);
		return;
	}
	if (w->ctx->json) {
		/* One object a line, so that a script can read them as they come. */
		json_t *j = cli_message_json(&r->base);
		char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (s == NULL)
			cli_out_of_memory();
		printf("%s\n", s);
		free(s);
	} else {
		char seq[32], when[40];
		cli_reminder_seq(r, seq, sizeof seq);
		cli_reminder_time(r->created_at, when, sizeof when);
		const char *code = r->recipient_code ? r->recipient_code : "";
		const char *name = r->recipient_name ? r->recipient_name : "";
		printf("#%s  %s  %s  %s%s%s\n%s\n\n", seq, when, cli_reminder_kind_label(r->kind),
		       code, *code && *name ? " " : "", name, r->text ? r->text : "");
	}
	fflush(stdout);
}

/* ---- pulling ------------------------------------------------------------------- */

/* Shows and acknowledges everything after the account's cursors. */
static int pull(watch *w, ls_status *st)
{
	for (;;) {
		Luoshi__V1__ListInboxRequest req = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
		req.has_unread_only = true;
		req.unread_only = true;
		req.has_page_size = true;
		req.page_size = PAGE;
		ProtobufCMessage *m;
		int rc = luoshi_client_call(w->client, M_LIST, &req.base, NULL, &m, st);
		if (rc != LS_OK)
			return rc;
		const Luoshi__V1__ListInboxResponse *resp = (Luoshi__V1__ListInboxResponse *)m;
		for (size_t i = 0; rc == LS_OK && i < resp->n_reminders; i++) {
			const Luoshi__V1__Reminder *r = resp->reminders[i];
			show(w, r);
			Luoshi__V1__AckRequest ack = LUOSHI__V1__ACK_REQUEST__INIT;
			ack.has_seq = true;
			ack.seq = r->seq;
			ack.has_recipient = true;
			ack.recipient = r->recipient_kind;
			ProtobufCMessage *am;
			rc = luoshi_client_call(w->client, M_ACK, &ack.base, NULL, &am, st);
			if (rc == LS_OK)
				protobuf_c_message_free_unpacked(am, NULL);
		}
		bool more = resp->next_page_token != NULL && resp->next_page_token[0] != '\0';
		protobuf_c_message_free_unpacked(m, NULL);
		if (rc != LS_OK || !more || stop_signal)
			return rc;
	}
}

/* ---- the push socket --------------------------------------------------------------- */

/* The scheme of a TCP URL ("tcp://", "tls+tcp://"), or NULL. */
static const char *tcp_scheme(const char *url)
{
	if (url != NULL && strncmp(url, "tcp://", 6) == 0)
		return "tcp://";
	if (url != NULL && strncmp(url, "tls+tcp://", 10) == 0)
		return "tls+tcp://";
	return NULL;
}

/* A push URL the server gave with a wildcard host (0.0.0.0, *, [::] or
 * none, as in "tcp://0.0.0.0:7071") means "where you reached me": take the
 * host of the server's URL. */
static char *push_url_for(const char *push, const char *server)
{
	static const char *const wild[] = {"0.0.0.0:", "*:", ":", "[::]:"};
	const char *pscheme = tcp_scheme(push), *sscheme = tcp_scheme(server);
	if (pscheme == NULL || sscheme == NULL)
		return cli_xstrdup(push);
	const char *rest = push + strlen(pscheme), *host = server + strlen(sscheme);
	const char *colon = strrchr(host, ':');
	for (size_t i = 0; colon != NULL && i < sizeof wild / sizeof wild[0]; i++) {
		size_t n = strlen(wild[i]);
		if (strncmp(rest, wild[i], n) != 0)
			continue;
		size_t len = strlen(pscheme) + (size_t)(colon - host) + 1 + strlen(rest + n) + 1;
		char *u = cli_xmalloc(len);
		snprintf(u, len, "%s%.*s:%s", pscheme, (int)(colon - host), host, rest + n);
		return u;
	}
	return cli_xstrdup(push);
}

/* The largest certificate or key file read. */
#define PEM_MAX (1 << 20)

/* Reads a PEM file whole, NUL-terminated, its length in *len; NULL with
 * the reason in why (of n bytes) when it cannot. */
static char *read_pem(const char *path, size_t *len, char *why, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(why, n, _("cannot read %s: %s"), path, strerror(errno));
		return NULL;
	}
	char *buf = cli_xmalloc(PEM_MAX + 1);
	size_t got = fread(buf, 1, PEM_MAX + 1, f);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad || got == 0 || got > PEM_MAX) {
		memset(buf, 0, got < PEM_MAX + 1 ? got : PEM_MAX + 1);
		free(buf);
		snprintf(why, n, _("%s is not a PEM file"), path);
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* The TLS configuration of the push socket's dialer to url: the same CA
 * and client certificate as the RPC connection, the certificate to name
 * url's host. NULL with the reason in why when it cannot be made. */
static nng_tls_config *push_tls(const watch *w, const char *url, char *why, size_t n)
{
	const char *ca, *cert, *key;
	cli_tls_files(w->ctx, &ca, &cert, &key);
	if (ca == NULL || *ca == '\0') {
		snprintf(why, n,
		         _("%s is a TLS address: give the CA that signed the server's "
		           "certificate (--ca FILE, or \"ca = FILE\" in the config)"),
		         url);
		return NULL;
	}
	bool has_cert = cert != NULL && *cert != '\0', has_key = key != NULL && *key != '\0';
	if (has_cert != has_key) {
		snprintf(why, n, "%s", _("a client certificate needs both --cert and --key"));
		return NULL;
	}
	nng_tls_config *tls = NULL;
	nng_url *u = NULL;
	char *cert_pem = NULL, *key_pem = NULL;
	size_t cert_len = 0, key_len = 0;
	int rv = nng_url_parse(&u, url);
	if (rv == 0)
		rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT);
	if (rv == 0)
		rv = nng_tls_config_ca_file(tls, ca);
	if (rv == 0 && u->u_hostname != NULL && *u->u_hostname != '\0')
		rv = nng_tls_config_server_name(tls, u->u_hostname);
	if (rv == 0 && has_cert) {
		if ((cert_pem = read_pem(cert, &cert_len, why, n)) == NULL ||
		    (key_pem = read_pem(key, &key_len, why, n)) == NULL)
			rv = -1;
		else
			rv = nng_tls_config_own_cert(tls, cert_pem, key_pem, NULL);
	}
	if (rv > 0)
		snprintf(why, n, _("TLS: %s"), nng_strerror(rv));
	if (rv != 0 && tls != NULL) {
		nng_tls_config_free(tls);
		tls = NULL;
	}
	if (key_pem != NULL)
		memset(key_pem, 0, key_len);
	free(key_pem);
	free(cert_pem);
	if (u != NULL)
		nng_url_free(u);
	return tls;
}

/* Starts a dialer of the SUB socket on url, with tls for a tls+ URL (may be
 * NULL otherwise). Returns an nng error. */
static int dial_push(watch *w, const char *url, nng_tls_config *tls, int flags)
{
	nng_dialer d = NNG_DIALER_INITIALIZER;
	int rv = nng_dialer_create(&d, w->sub, url);
	if (rv == 0 && tls != NULL)
		rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls);
	if (rv == 0)
		rv = nng_dialer_start(d, flags);
	if (rv != 0 && nng_dialer_id(d) > 0)
		nng_dialer_close(d);
	return rv;
}

/* Opens the SUB socket on the caller's topics. A failure leaves the
 * watcher polling. */
static void open_push(watch *w, const char *url, char topics[][32], size_t n)
{
	char why[512] = "";
	nng_tls_config *tls = NULL;
	if (strncmp(url, "tls+", 4) == 0 && (tls = push_tls(w, url, why, sizeof why)) == NULL) {
		fprintf(stderr,
		        _("luoshi: watch: cannot listen for announcements on %s: %s; "
		          "polling instead\n"),
		        url, why);
		return;
	}
	int rv = nng_sub0_open(&w->sub);
	if (rv != 0) {
		fprintf(stderr, _("luoshi: watch: cannot open the push socket: %s\n"),
		        nng_strerror(rv));
		if (tls != NULL)
			nng_tls_config_free(tls);
		return;
	}
	for (size_t i = 0; i < n && rv == 0; i++)
		rv = nng_socket_set(w->sub, NNG_OPT_SUB_SUBSCRIBE, topics[i], strlen(topics[i]));
	if (rv == 0)
		rv = nng_socket_set_ms(w->sub, NNG_OPT_RECVTIMEO, RECV_WAIT_MS);
	if (rv == 0)
		rv = nng_socket_set_ms(w->sub, NNG_OPT_RECONNMINT, 100);
	if (rv == 0)
		rv = nng_socket_set_ms(w->sub, NNG_OPT_RECONNMAXT, 2000);
	if (rv == 0)
		rv = nng_pipe_notify(w->sub, NNG_PIPE_EV_ADD_POST, on_pipe, NULL);
	/* Over TLS, one dial now, so that a certificate the server refuses
	 * (or one we refuse) is said at once instead of being retried in
	 * silence; a server that is merely away is dialled again below. */
	if (rv == 0 && tls != NULL) {
		rv = dial_push(w, url, tls, 0);
		if (rv != 0 && rv != NNG_ECRYPTO && rv != NNG_EPEERAUTH)
			rv = NNG_EAGAIN;
	}
	/* Non-blocking: nng keeps dialling until the server is there. */
	if (rv == NNG_EAGAIN || (rv == 0 && tls == NULL))
		rv = dial_push(w, url, tls, NNG_FLAG_NONBLOCK);
	if (tls != NULL)
		nng_tls_config_free(tls);
	if (rv != 0) {
		fprintf(stderr,
		        _("luoshi: watch: cannot listen for announcements on %s: %s; "
		          "polling instead\n"),
		        url, nng_strerror(rv));
		nng_close(w->sub);
		return;
	}
	w->sub_open = true;
}

/* Waits for an announcement (or RECV_WAIT_MS). True if one came. */
static bool wait_announcement(watch *w)
{
	if (!w->sub_open) {
		pause_ms(RECV_WAIT_MS);
		return false;
	}
	void *buf;
	size_t len;
	if (nng_recv(w->sub, &buf, &len, NNG_FLAG_ALLOC) != 0)
		return false;
	nng_free(buf, len);
	/* Several announcements ask for one pull. */
	while (nng_recv(w->sub, &buf, &len, NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK) == 0)
		nng_free(buf, len);
	return true;
}

/* ---- the command ---------------------------------------------------------------------- */

/* The topics of the caller's inboxes, and "all/" (a burst for many
 * inboxes: everyone pulls), and where they are announced. */
static int start(watch *w, char topics[][32], size_t *n_topics, char **push)
{
	ls_status st;
	ProtobufCMessage *m;
	Luoshi__V1__GetCursorRequest creq = LUOSHI__V1__GET_CURSOR_REQUEST__INIT;
	int rc = call(w, M_CURSOR, &creq.base, &m, &st);
	if (rc != LS_OK)
		return stop_signal ? LS_OK : cli_print_status(&st);
	const Luoshi__V1__GetCursorResponse *cr = (Luoshi__V1__GetCursorResponse *)m;
	snprintf(topics[0], 32, "all/");
	*n_topics = 1;
	for (size_t i = 0; i < cr->n_cursors && *n_topics < 3; i++)
		if (cr->cursors[i]->topic != NULL && cr->cursors[i]->topic[0] != '\0')
			snprintf(topics[(*n_topics)++], 32, "%s", cr->cursors[i]->topic);
	protobuf_c_message_free_unpacked(m, NULL);

	*push = NULL;
	if (w->push_flag != NULL) {
		*push = cli_xstrdup(w->push_flag);
		return LS_OK;
	}
	Luoshi__V1__GetServerInfoRequest ireq = LUOSHI__V1__GET_SERVER_INFO_REQUEST__INIT;
	if ((rc = call(w, M_INFO, &ireq.base, &m, &st)) != LS_OK)
		return stop_signal ? LS_OK : cli_print_status(&st);
	const Luoshi__V1__GetServerInfoResponse *info = (Luoshi__V1__GetServerInfoResponse *)m;
	if (info->n_push_urls > 0)
		*push = push_url_for(info->push_urls[0], cli_server());
	else
		fprintf(stderr, "%s\n",
		        _("luoshi: watch: the server announces no reminders; polling instead"));
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

static int watch_loop(watch *w)
{
	ls_status st;
	uint64_t last_pull = 0;
	bool need = true;
	while (!stop_signal) {
		if (atomic_exchange(&connected, false))
			need = true;
		if (need || nng_clock() - last_pull >= (uint64_t)w->poll_ms) {
			int rc = pull(w, &st);
			last_pull = nng_clock();
			need = rc != LS_OK;
			if (rc == LS_OK) {
				back(w);
			} else if (transient(rc)) {
				warn_away(w, &st);
			} else {
				return cli_print_status(&st);
			}
		}
		if (stop_signal)
			break;
		if (wait_announcement(w))
			need = true;
	}
	return LS_OK;
}

int cli_cmd_watch(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PUSH = CLI_OPT_FIRST_LOCAL, OPT_EXEC, OPT_POLL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"push", required_argument, NULL, OPT_PUSH},
	    {"exec", required_argument, NULL, OPT_EXEC},
	    {"poll", required_argument, NULL, OPT_POLL},
	    {NULL, 0, NULL, 0},
	};
	watch w = {.ctx = ctx, .poll_ms = POLL_DEFAULT_MS};
	long long v;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi watch [--push URL] [--exec CMD] [--poll MS]\n"
			    "\n"
			    "Shows each reminder of your inboxes as it arrives, and marks it\n"
			    "read. Reminders that came while the watcher or the server was away\n"
			    "are shown first, once each; each account has its own read cursor.\n"
			    "Runs until interrupted (Ctrl-C, SIGTERM); reconnects by itself.\n"
			    "\n"
			    "Options:\n"
			    "  --push URL  where the server announces reminders; by default the\n"
			    "              address the server gives\n"
			    "  --exec CMD  run CMD with /bin/sh for each reminder instead of\n"
			    "              printing it, with LUOSHI_REMINDER_SEQ, _KIND, _TEXT,\n"
			    "              _SUBJECT, _CREATED_AT and _RECIPIENT in its environment\n"
			    "  --poll MS   also look for reminders every MS milliseconds (default\n"
			    "              5000), in case an announcement was lost\n"
			    "  --json      print each reminder as one line of JSON\n"));
		case OPT_PUSH:
			if (*optarg == '\0')
				return cli_usage_error(ctx, _("--push needs a URL"));
			w.push_flag = optarg;
			break;
		case OPT_EXEC:
			if (*optarg == '\0')
				return cli_usage_error(ctx, _("--exec needs a command"));
			w.exec = optarg;
			break;
		case OPT_POLL:
			if (!cli_parse_int(optarg, 100, 3600000, &v))
				return cli_usage_error(
				    ctx,
				    _("--poll takes milliseconds from 100 to 3600000, not '%s'"),
				    optarg);
			w.poll_ms = (int)v;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!ctx->timeout_set) {
		ctx->timeout_ms = CALL_TIMEOUT_MS;
		ctx->timeout_set = true;
	}

	/* The server may be away when the watcher starts: wait for it. */
	ls_status st;
	int rc;
	while ((rc = cli_open_status(ctx, &w.client, &st)) != LS_OK) {
		if (!transient(rc))
			return cli_print_status(&st);
		warn_away(&w, &st);
		pause_ms(RETRY_PAUSE_MS);
		if (stop_signal)
			return LS_OK;
	}
	char topics[3][32];
	size_t n_topics = 0;
	char *push = NULL;
	rc = start(&w, topics, &n_topics, &push);
	if (rc == LS_OK && !stop_signal) {
		if (push != NULL)
			open_push(&w, push, topics, n_topics);
		rc = watch_loop(&w);
	}
	free(push);
	if (w.sub_open)
		nng_close(w.sub);
	luoshi_client_close(w.client);
	return rc;
}
