/* End to end: WebhookService, `luoshi webhook`, and the delivery engine.
 *
 * A fake robot runs in this process on 127.0.0.1 (a socket server, one
 * thread per connection): it records every request (path, query, headers,
 * body, arrival time) and answers by path: /fail always 500, /flaky 500 a
 * set number of times and then 200, /hold only once the test releases it
 * (or never, for the timeouts), anything else 200 with errcode 0. The
 * tests check the DingTalk signature and format, the WeCom format, the
 * generic JSON and its signature; that every reminder arrives, once per
 * key; that retries happen as configured and failures show after the
 * limit; that a slow robot delays neither calls nor other robots; that a
 * restart resumes a pending delivery; that nothing arrives for a unit
 * without a webhook; that secrets never come back; the role matrix and bad
 * input, with nothing written.
 *
 * The registry is loaded from the side before the server starts. Reminder
 * and webhook ids are known from the order the test makes them in. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>
#include <sodium.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/reminders.pb-c.h"
#include "luoshi/v1/webhook.pb-c.h"

#define M_ADD "/luoshi.v1.WebhookService/AddWebhook"
#define M_LIST "/luoshi.v1.WebhookService/ListWebhooks"
#define M_REMOVE "/luoshi.v1.WebhookService/RemoveWebhook"
#define M_TEST "/luoshi.v1.WebhookService/TestWebhook"
#define M_GET "/luoshi.v1.WebhookService/GetDelivery"
#define M_FAILURES "/luoshi.v1.WebhookService/ListFailures"
#define M_SEND "/luoshi.v1.ReminderService/SendNotice"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_WHOAMI "/luoshi.v1.AccountService/WhoAmI"

#define TOKEN_MAX 128
#define WAIT_MS 20000
#define MAX_HITS 256
#define OPENSSL "/usr/bin/openssl"

extern char **environ;

/* Units: the office (1, from init), three towns (五乡镇 with webhooks in
 * most tests, 下应街道, and 塘溪镇 that never has one), a department; a
 * second district (6) with a town (7), outside the office's scope. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01'),"
    " (5, 'TX', '塘溪镇', 'town', 1, '2026-01-01'),"
    " (6, 'BL', '北仑区', 'district', NULL, '2026-01-01'),"
    " (7, 'DQ', '大碶街道', 'town', 6, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', 1, '2026-01-01'),"
    " (2, 'P02', '李科长', 4, '2026-01-01');";

/* ---- the fake robot --------------------------------------------------------------- */

typedef struct hit {
	char path[1400]; /* as long as the request target read */
	char query[1400];
	char key[128];  /* X-Luoshi-Delivery */
	char idem[128]; /* Idempotency-Key */
	char ts[64];    /* X-Luoshi-Timestamp */
	char sig[160];  /* X-Luoshi-Signature */
	char ctype[128];
	char *body;
	uint64_t at_ms;
} hit;

typedef struct fake {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	hit hits[MAX_HITS];
	int n;
	int flaky_left; /* /flaky answers 500 this many more times */
	bool release;   /* /hold answers */
	int holding;    /* requests held now */
	int active;     /* connection threads running */
	bool stop;
} fake;

typedef struct conn {
	fake *f;
	int fd;
} conn;

static void header(const char *head, const char *name, char *out, size_t n)
{
	out[0] = '\0';
	size_t len = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
			const char *v = line + len + 1;
			while (*v == ' ')
				v++;
			size_t vl = strcspn(v, "\r\n");
			if (vl >= n)
				vl = n - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return;
		}
	}
}

static void send_all(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;
	while (off < len) {
		ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void *serve_conn(void *arg)
{
	conn *cn = arg;
	fake *f = cn->f;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	char *end = NULL;
	size_t want = 0;
	while (buf != NULL && len < cap) {
		ssize_t r = recv(cn->fd, buf + len, cap - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			char cl[32];
			*end = '\0';
			header(buf, "Content-Length", cl, sizeof cl);
			want = (size_t)(end - buf) + 4 + (size_t)atol(cl);
			*end = '\r';
		}
		if (end != NULL && len >= want)
			break;
	}
	if (buf == NULL || end == NULL || len < want) {
		free(buf);
		close(cn->fd);
		goto out;
	}
	*end = '\0';
	hit h = {0};
	char target[1400] = "";
	sscanf(buf, "POST %1399s", target);
	char *q = strchr(target, '?');
	if (q != NULL) {
		*q = '\0';
		snprintf(h.query, sizeof h.query, "%s", q + 1);
	}
	snprintf(h.path, sizeof h.path, "%s", target);
	header(buf, "X-Luoshi-Delivery", h.key, sizeof h.key);
	header(buf, "Idempotency-Key", h.idem, sizeof h.idem);
	header(buf, "X-Luoshi-Timestamp", h.ts, sizeof h.ts);
	header(buf, "X-Luoshi-Signature", h.sig, sizeof h.sig);
	header(buf, "Content-Type", h.ctype, sizeof h.ctype);
	h.body = strndup(end + 4, want - (size_t)(end - buf) - 4);
	h.at_ms = e2e_now_ms();
	free(buf);

	int status = 200;
	pthread_mutex_lock(&f->mtx);
	if (f->n < MAX_HITS)
		f->hits[f->n++] = h;
	else
		free(h.body);
	if (strcmp(h.path, "/fail") == 0) {
		status = 500;
	} else if (strcmp(h.path, "/flaky") == 0 && f->flaky_left > 0) {
		f->flaky_left--;
		status = 500;
	} else if (strcmp(h.path, "/hold") == 0) {
		f->holding++;
		pthread_cond_broadcast(&f->cond);
		while (!f->release && !f->stop)
			pthread_cond_wait(&f->cond, &f->mtx);
		f->holding--;
	}
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mtx);
	static const char ok_body[] = "{\"errcode\":0,\"errmsg\":\"ok\"}";
	static const char err_body[] = "{\"errcode\":-1,\"errmsg\":\"busy\"}";
	char resp[512];
	snprintf(resp, sizeof resp,
	         "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
	         "%zu\r\nConnection: close\r\n\r\n%s",
	         status, status == 200 ? "OK" : "Internal Server Error",
	         status == 200 ? strlen(ok_body) : strlen(err_body),
	         status == 200 ? ok_body : err_body);
	send_all(cn->fd, resp);
	close(cn->fd);
out:
	pthread_mutex_lock(&f->mtx);
	f->active--;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mtx);
	free(cn);
	return NULL;
}

static void *accept_loop(void *arg)
{
	fake *f = arg;
	for (;;) {
		pthread_mutex_lock(&f->mtx);
		bool stop = f->stop;
		pthread_mutex_unlock(&f->mtx);
		if (stop)
			break;
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			continue;
		conn *cn = malloc(sizeof *cn);
		pthread_t t;
		if (cn == NULL) {
			close(c);
			continue;
		}
		cn->f = f;
		cn->fd = c;
		pthread_mutex_lock(&f->mtx);
		f->active++;
		pthread_mutex_unlock(&f->mtx);
		if (pthread_create(&t, NULL, serve_conn, cn) != 0) {
			close(c);
			free(cn);
			pthread_mutex_lock(&f->mtx);
			f->active--;
			pthread_mutex_unlock(&f->mtx);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static fake *fake_start(void)
{
	fake *f = calloc(1, sizeof *f);
	assert_non_null(f);
	pthread_mutex_init(&f->mtx, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(f->fd, 64), 0);
	socklen_t al = sizeof a;
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &al), 0);
	f->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, accept_loop, f), 0);
	return f;
}

static void fake_stop(fake *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mtx);
	f->stop = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mtx);
	pthread_join(f->thread, NULL);
	pthread_mutex_lock(&f->mtx);
	while (f->active > 0)
		pthread_cond_wait(&f->cond, &f->mtx);
	pthread_mutex_unlock(&f->mtx);
	close(f->fd);
	for (int i = 0; i < f->n; i++)
		free(f->hits[i].body);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->mtx);
	free(f);
}

/* Requests to path so far (NULL: all). */
static int fake_count(fake *f, const char *path)
{
	pthread_mutex_lock(&f->mtx);
	int n = 0;
	for (int i = 0; i < f->n; i++)
		n += path == NULL || strcmp(f->hits[i].path, path) == 0;
	pthread_mutex_unlock(&f->mtx);
	return n;
}

/* Waits until path has had n requests (at least). */
static void fake_wait(fake *f, const char *path, int n)
{
	uint64_t end = e2e_now_ms() + WAIT_MS;
	while (fake_count(f, path) < n) {
		if (e2e_now_ms() > end)
			fail_msg("%s: %d requests, not %d, after %d ms", path, fake_count(f, path),
			         n, WAIT_MS);
		e2e_poll_pause();
	}
}

static void fake_wait_holding(fake *f, int n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&f->mtx);
	int rc = 0;
	while (f->holding < n && rc == 0)
		rc = pthread_cond_timedwait(&f->cond, &f->mtx, &until);
	int holding = f->holding;
	pthread_mutex_unlock(&f->mtx);
	assert_int_equal(holding, n);
}

/* The i-th request to path (0: the first); a copy the caller frees. */
static hit fake_hit(fake *f, const char *path, int i)
{
	hit h = {0};
	pthread_mutex_lock(&f->mtx);
	for (int k = 0; k < f->n; k++) {
		if (strcmp(f->hits[k].path, path) != 0 || i-- > 0)
			continue;
		h = f->hits[k];
		h.body = strdup(f->hits[k].body ? f->hits[k].body : "");
		break;
	}
	pthread_mutex_unlock(&f->mtx);
	if (h.body == NULL)
		fail_msg("no request %d to %s", i, path);
	return h;
}

/* ---- the server ---------------------------------------------------------------------- */

typedef struct fx {
	e2e_server s;
	fake *robot;
	char base[64]; /* http://127.0.0.1:PORT */
} fx;

static int64_t db_count(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return n;
}

/* Runs sql, which may give rows their ids. */
static void db_exec(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, sql);
	e2e_db_ids_given(db);
	e2e_db_close(db);
}

/* Waits until no delivery is pending. */
static void wait_settled(fx *f)
{
	uint64_t end = e2e_now_ms() + WAIT_MS;
	while (db_count(&f->s,
	                "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'") != 0) {
		if (e2e_now_ms() > end)
			fail_msg("deliveries still pending after %d ms", WAIT_MS);
		e2e_poll_pause();
	}
}

/* Generous timeouts: a slow machine must not turn into extra attempts,
 * which would be right (at least once) but break the exact counts. */
static const char *const default_args[] = {"--rate-limit",
                                           "0",
                                           "--webhook-backoff-ms",
                                           "50",
                                           "--webhook-max-attempts",
                                           "3",
                                           "--webhook-timeout-ms",
                                           "15000",
                                           "--public-url",
                                           "http://dash.example/",
                                           NULL};

static const char *const timeout_args[] = {"--rate-limit",
                                           "0",
                                           "--webhook-backoff-ms",
                                           "50",
                                           "--webhook-max-attempts",
                                           "3",
                                           "--webhook-timeout-ms",
                                           "300",
                                           NULL};

static int setup_with(void **state, const char *extra_sql, const char *const *args)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		goto fail;
	f->robot = fake_start();
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->robot->port);
	db_exec(&f->s, FIXTURE);
	if (extra_sql != NULL)
		db_exec(&f->s, extra_sql);
	if (e2e_server_start(&f->s, args ? args : default_args) != 0)
		goto fail;
	*state = f;
	return 0;
fail:
	if (f != NULL) {
		e2e_server_cleanup(&f->s);
		fake_stop(f->robot);
	}
	free(f);
	return -1;
}

static int setup(void **state)
{
	return setup_with(state, NULL, NULL);
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = e2e_server_stop(&f->s);
	e2e_server_cleanup(&f->s);
	fake_stop(f->robot);
	free(f);
	return rc == 0 ? 0 : -1;
}

static luoshi_client *admin(fx *f)
{
	return e2e_client(f->s.tcp_url, f->s.admin_token, 10000);
}

/* AddWebhook as the token's holder: the code; *id when OK. */
static int add_as(fx *f, const char *token, const char *unit, const char *person, int kind,
                  const char *url, const char *secret, int64_t *id, ls_status *st)
{
	luoshi_client *c = e2e_client(f->s.tcp_url, token, 10000);
	Luoshi__V1__AddWebhookRequest req = LUOSHI__V1__ADD_WEBHOOK_REQUEST__INIT;
	req.unit = (char *)unit;
	req.person = (char *)person;
	if (kind >= 0) {
		req.has_kind = true;
		req.kind = (Luoshi__V1__WebhookKind)kind;
	}
	req.url = (char *)url;
	req.secret = (char *)secret;
	ProtobufCMessage *m = NULL;
	int rc = e2e_call(c, M_ADD, &req.base, NULL, &m, st);
	if (rc == LS_OK && id != NULL)
		*id = ((Luoshi__V1__AddWebhookResponse *)m)->webhook->id;
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	return rc;
}

static int64_t add_ok(fx *f, const char *unit, const char *person, int kind, const char *path,
                      const char *secret)
{
	char url[256];
	snprintf(url, sizeof url, "%s%s", f->base, path);
	ls_status st;
	int64_t id = 0;
	int rc = add_as(f, f->s.admin_token, unit, person, kind, url, secret, &id, &st);
	if (rc != LS_OK)
		fail_msg("AddWebhook %s: %s %s", url, ls_code_name(rc), st.message);
	return id;
}

static void notice(fx *f, const char *to, const char *text)
{
	luoshi_client *c = admin(f);
	Luoshi__V1__SendNoticeRequest req = LUOSHI__V1__SEND_NOTICE_REQUEST__INIT;
	req.to = (char *)to;
	req.text = (char *)text;
	ProtobufCMessage *m = NULL;
	ls_status st;
	int rc = e2e_call(c, M_SEND, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("SendNotice %s: %s %s", to, ls_code_name(rc), st.message);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

static void account(fx *f, int role, const char *name, const char *unit, const char *person,
                    char token[TOKEN_MAX])
{
	luoshi_client *c = admin(f);
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = (Luoshi__V1__Role)role;
	req.name = (char *)name;
	req.unit = (char *)unit;
	req.person = (char *)person;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_CREATE, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("CreateAccount %s: %s %s", name, ls_code_name(rc), st.message);
	snprintf(token, TOKEN_MAX, "%s", ((Luoshi__V1__CreateAccountResponse *)m)->token);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

/* ---- checking what arrived --------------------------------------------------------------- */

static json_t *body_json(const hit *h)
{
	json_error_t err;
	json_t *j = json_loads(h->body, 0, &err);
	if (j == NULL)
		fail_msg("%s: body is not JSON (%s): %s", h->path, err.text, h->body);
	return j;
}

static const char *jstr(json_t *j, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	json_t *v = j;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k != NULL;
	     k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	const char *s = json_string_value(v);
	if (s == NULL)
		fail_msg("no string at %s", path);
	return s;
}

/* The value of name in a query string; "" when absent. */
static void query_value(const char *query, const char *name, char *out, size_t n)
{
	out[0] = '\0';
	size_t len = strlen(name);
	for (const char *p = query; p != NULL && *p;
	     p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, len) == 0 && p[len] == '=') {
			size_t vl = strcspn(p + len + 1, "&");
			if (vl >= n)
				vl = n - 1;
			memcpy(out, p + len + 1, vl);
			out[vl] = '\0';
			return;
		}
	}
}

static void url_decode(const char *s, char *out, size_t n)
{
	size_t o = 0;
	for (; *s && o + 1 < n; s++) {
		unsigned v;
		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
			out[o++] = (char)v;
			s += 2;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

static void hmac_b64(const char *key, const char *msg, char *out, size_t n)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state h;
	crypto_auth_hmacsha256_init(&h, (const uint8_t *)key, strlen(key));
	crypto_auth_hmacsha256_update(&h, (const uint8_t *)msg, strlen(msg));
	crypto_auth_hmacsha256_final(&h, mac);
	sodium_bin2base64(out, n, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
}

static void hmac_hex(const char *key, const char *msg, char *out, size_t n)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state h;
	crypto_auth_hmacsha256_init(&h, (const uint8_t *)key, strlen(key));
	crypto_auth_hmacsha256_update(&h, (const uint8_t *)msg, strlen(msg));
	crypto_auth_hmacsha256_final(&h, mac);
	sodium_bin2hex(out, n, mac, sizeof mac);
}

/* ---- the tests ------------------------------------------------------------------------------ */

/* Each robot's format and signature; nothing for the town without one. */
static void test_formats(void **state)
{
	fx *f = *state;
	assert_int_equal(add_ok(f, "WX", NULL, 1, "/ding?access_token=tok1", "SECtest123"), 1);
	assert_int_equal(add_ok(f, "下应街道", NULL, 2, "/wecom?key=k2", NULL), 2);
	assert_int_equal(add_ok(f, "FGJ", NULL, 3, "/generic", "gsecret"), 3);
	assert_int_equal(add_ok(f, NULL, "L01", 3, "/person", NULL), 4);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'webhook'"),
	                 4);
	/* Reminders 1..5, in this order. The town without a webhook first,
	 * so that its delivery, were one written, would come before the rest. */
	notice(f, "unit:TX", "塘溪镇：无人接收的通知");
	notice(f, "unit:WX", "五乡镇：请于周五前提交周报");
	notice(f, "unit:XY", "下应街道：请核对节点");
	notice(f, "unit:FGJ", "发改局：审批提速");
	notice(f, "person:L01", "张区长：请审阅");
	fake_wait(f->robot, "/ding", 1);
	fake_wait(f->robot, "/wecom", 1);
	fake_wait(f->robot, "/generic", 1);
	fake_wait(f->robot, "/person", 1);
	wait_settled(f);
	assert_int_equal(fake_count(f->robot, NULL), 4);
	assert_int_equal(db_count(&f->s,
	                          "SELECT count(*) FROM webhook_deliveries d JOIN reminders r"
	                          " ON r.id = d.reminder_id WHERE r.recipient_id = 5 AND"
	                          " r.recipient_kind = 'unit'"),
	                 0);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries WHERE status ="
	                                 " 'delivered' AND attempts = 1"),
	                 4);

	/* DingTalk: markdown, signed: sign = base64(HMAC-SHA256(secret,
	 * timestamp "\n" secret)), URL-encoded. */
	hit h = fake_hit(f->robot, "/ding", 0);
	assert_string_equal(h.key, "luoshi-r2-w1");
	assert_string_equal(h.idem, "luoshi-r2-w1");
	assert_non_null(strstr(h.ctype, "application/json"));
	char tok[64], ts[64], sign_enc[128], sign[128], want[128], msg[256];
	query_value(h.query, "access_token", tok, sizeof tok);
	query_value(h.query, "timestamp", ts, sizeof ts);
	query_value(h.query, "sign", sign_enc, sizeof sign_enc);
	assert_string_equal(tok, "tok1");
	assert_true(strlen(ts) == 13); /* milliseconds */
	int64_t ts_ms = strtoll(ts, NULL, 10);
	int64_t now_ms = (int64_t)time(NULL) * 1000;
	assert_true(ts_ms > now_ms - 3600000 && ts_ms <= now_ms + 1000);
	url_decode(sign_enc, sign, sizeof sign);
	snprintf(msg, sizeof msg, "%s\n%s", ts, "SECtest123");
	hmac_b64("SECtest123", msg, want, sizeof want);
	assert_string_equal(sign, want);
	json_t *j = body_json(&h);
	assert_string_equal(jstr(j, "msgtype"), "markdown");
	assert_non_null(strstr(jstr(j, "markdown.title"), "通知"));
	assert_non_null(strstr(jstr(j, "markdown.text"), "五乡镇：请于周五前提交周报"));
	assert_non_null(strstr(jstr(j, "markdown.text"), "接收：五乡镇"));
	json_decref(j);
	free(h.body);

	/* WeCom: markdown.content, nothing added to the URL. */
	h = fake_hit(f->robot, "/wecom", 0);
	assert_string_equal(h.query, "key=k2");
	assert_string_equal(h.key, "luoshi-r3-w2");
	j = body_json(&h);
	assert_string_equal(jstr(j, "msgtype"), "markdown");
	assert_non_null(strstr(jstr(j, "markdown.content"), "下应街道：请核对节点"));
	json_decref(j);
	free(h.body);

	/* Generic: the reminder as JSON, the key in it too, signed over
	 * "timestamp.body". */
	h = fake_hit(f->robot, "/generic", 0);
	assert_string_equal(h.key, "luoshi-r4-w3");
	char hex[80], sigmsg[8192];
	snprintf(sigmsg, sizeof sigmsg, "%s.%s", h.ts, h.body);
	hmac_hex("gsecret", sigmsg, hex, sizeof hex);
	snprintf(want, sizeof want, "sha256=%s", hex);
	assert_string_equal(h.sig, want);
	j = body_json(&h);
	assert_string_equal(jstr(j, "idempotency_key"), "luoshi-r4-w3");
	assert_string_equal(jstr(j, "reminder.text"), "发改局：审批提速");
	assert_string_equal(jstr(j, "reminder.kind"), "notice");
	assert_string_equal(jstr(j, "reminder.recipient_code"), "FGJ");
	assert_string_equal(jstr(j, "reminder.recipient_name"), "区发改局");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "reminder"), "id")),
	                 4);
	assert_true(json_is_false(json_object_get(j, "test")));
	json_decref(j);
	free(h.body);

	/* A person's webhook; no secret, no signature. */
	h = fake_hit(f->robot, "/person", 0);
	assert_string_equal(h.key, "luoshi-r5-w4");
	assert_string_equal(h.sig, "");
	j = body_json(&h);
	assert_string_equal(jstr(j, "reminder.recipient_kind"), "person");
	assert_string_equal(jstr(j, "reminder.recipient_code"), "L01");
	json_decref(j);
	free(h.body);
}

/* Every reminder once; retries as configured, with backoff; failures
 * listed after the limit; a robot that never answers times out. */
static void test_retries(void **state)
{
	fx *f = *state;
	f->robot->flaky_left = 2;
	assert_int_equal(add_ok(f, "WX", NULL, 3, "/flaky", NULL), 1);
	assert_int_equal(add_ok(f, "XY", NULL, 3, "/fail", NULL), 2);
	assert_int_equal(add_ok(f, "FGJ", NULL, 2, "/ok?key=x", NULL), 3);
	assert_int_equal(add_ok(f, NULL, "L01", 3, "/fail", NULL), 4);
	char text[64];
	for (int i = 1; i <= 10; i++) {
		snprintf(text, sizeof text, "第%d条通知", i);
		notice(f, "unit:FGJ", text); /* reminders 1..10 */
	}
	notice(f, "unit:WX", "五乡镇");    /* 11 */
	notice(f, "unit:XY", "下应");      /* 12 */
	notice(f, "person:L01", "张区长"); /* 13 */
	wait_settled(f);

	/* Ten reminders, ten keys, each once. */
	assert_int_equal(fake_count(f->robot, "/ok"), 10);
	for (int i = 1; i <= 10; i++) {
		char want[64];
		snprintf(want, sizeof want, "luoshi-r%d-w3", i);
		int seen = 0;
		for (int k = 0; k < 10; k++) {
			hit h = fake_hit(f->robot, "/ok", k);
			seen += strcmp(h.key, want) == 0;
			free(h.body);
		}
		assert_int_equal(seen, 1);
	}
	/* 500, 500, 200: three attempts with one key, 50 and then 100 ms
	 * apart at least. */
	assert_int_equal(fake_count(f->robot, "/flaky"), 3);
	uint64_t at[3];
	for (int k = 0; k < 3; k++) {
		hit h = fake_hit(f->robot, "/flaky", k);
		assert_string_equal(h.key, "luoshi-r11-w1");
		at[k] = h.at_ms;
		free(h.body);
	}
	assert_true(at[1] - at[0] >= 50);
	assert_true(at[2] - at[1] >= 100);
	assert_int_equal(db_count(&f->s,
	                          "SELECT count(*) FROM webhook_deliveries WHERE"
	                          " webhook_id = 1 AND status = 'delivered' AND attempts = 3"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_attempts a JOIN"
	                                 " webhook_deliveries d ON d.id = a.delivery_id WHERE"
	                                 " d.webhook_id = 1 AND a.http_status = 500"),
	                 2);
	/* Always 500: exactly three attempts each, then failed. */
	assert_int_equal(fake_count(f->robot, "/fail"), 6);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries WHERE"
	                                 " webhook_id = 2 AND status = 'failed' AND attempts = 3"),
	                 1);
	/* The failures, newest first, through the RPC and the CLI. */
	luoshi_client *c = admin(f);
	Luoshi__V1__ListFailuresRequest req = LUOSHI__V1__LIST_FAILURES_REQUEST__INIT;
	req.has_page_size = true;
	req.page_size = 1;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_FAILURES, &req.base, NULL, &m, &st), LS_OK);
	Luoshi__V1__ListFailuresResponse *r = (Luoshi__V1__ListFailuresResponse *)m;
	assert_int_equal(r->n_deliveries, 1);
	assert_string_equal(r->deliveries[0]->idempotency_key, "luoshi-r13-w4");
	assert_non_null(r->next_page_token);
	char token[32];
	snprintf(token, sizeof token, "%s", r->next_page_token);
	protobuf_c_message_free_unpacked(m, NULL);
	req.page_token = token;
	req.page_size = 10;
	assert_int_equal(e2e_call(c, M_FAILURES, &req.base, NULL, &m, &st), LS_OK);
	r = (Luoshi__V1__ListFailuresResponse *)m;
	assert_int_equal(r->n_deliveries, 1);
	assert_string_equal(r->deliveries[0]->idempotency_key, "luoshi-r12-w2");
	assert_int_equal(r->deliveries[0]->attempts, 3);
	assert_int_equal(r->deliveries[0]->status,
	                 LUOSHI__V1__DELIVERY_STATUS__DELIVERY_STATUS_FAILED);
	assert_int_equal(r->deliveries[0]->last->http_status, 500);
	assert_null(r->next_page_token);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);

	e2e_run run;
	const char *args[] = {"webhook", "failures", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, args, &run);
	assert_int_equal(run.status, 0);
	assert_int_equal(e2e_count_lines(run.out), 3); /* header and two rows */
	assert_non_null(strstr(run.out, "HTTP 500"));
	assert_non_null(strstr(run.out, "下应街道"));
	assert_non_null(strstr(run.out, "张区长"));
	e2e_run_free(&run);
	const char *json_args[] = {"webhook", "failures", "--json", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, json_args, &run);
	assert_int_equal(run.status, 0);
	json_t *j = json_loads(run.out, 0, NULL);
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(j, 1), "idempotencyKey")),
	    "luoshi-r12-w2");
	json_decref(j);
	e2e_run_free(&run);
}

static int setup_timeout(void **state)
{
	return setup_with(state, NULL, timeout_args);
}

/* A robot that never answers: each attempt times out and is recorded so,
 * the delivery fails after the last, and calls are answered meanwhile. */
static void test_timeout(void **state)
{
	fx *f = *state;
	assert_int_equal(add_ok(f, "WX", NULL, 3, "/hold", NULL), 1);
	notice(f, "unit:WX", "无人应答"); /* 1 */
	fake_wait_holding(f->robot, 1);
	luoshi_client *c = admin(f);
	ProtobufCMessage *m;
	ls_status st;
	Luoshi__V1__WhoAmIRequest who = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	assert_int_equal(e2e_call(c, M_WHOAMI, &who.base, NULL, &m, &st), LS_OK);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	wait_settled(f);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries WHERE id = 1"
	                                 " AND status = 'failed' AND attempts = 3"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_attempts WHERE"
	                                 " delivery_id = 1 AND error = 'timed out'"
	                                 " AND http_status IS NULL"),
	                 3);
	/* On a loaded machine a try may time out before it even arrives. */
	int n = fake_count(f->robot, "/hold");
	assert_true(n >= 1 && n <= 3);
	for (int k = 0; k < n; k++) {
		hit h = fake_hit(f->robot, "/hold", k);
		assert_string_equal(h.key, "luoshi-r1-w1");
		free(h.body);
	}
}

static const char *const hold_args[] = {"--rate-limit",
                                        "0",
                                        "--webhook-backoff-ms",
                                        "50",
                                        "--webhook-max-attempts",
                                        "3",
                                        "--webhook-timeout-ms",
                                        "60000",
                                        NULL};

static int setup_hold(void **state)
{
	return setup_with(state, NULL, hold_args);
}

/* A robot that holds its answer delays neither calls nor another robot;
 * a server stopped meanwhile posts the delivery again after its restart,
 * with the same key. */
static void test_slow_and_restart(void **state)
{
	fx *f = *state;
	assert_int_equal(add_ok(f, "WX", NULL, 3, "/hold", NULL), 1);
	assert_int_equal(add_ok(f, "XY", NULL, 3, "/ok", NULL), 2);
	notice(f, "unit:WX", "等待中的通知"); /* 1 */
	fake_wait_holding(f->robot, 1);
	notice(f, "unit:XY", "另一个镇"); /* 2, while the first is held */
	fake_wait(f->robot, "/ok", 1);
	hit h = fake_hit(f->robot, "/ok", 0);
	assert_string_equal(h.key, "luoshi-r2-w2");
	free(h.body);
	luoshi_client *c = admin(f);
	ProtobufCMessage *m;
	ls_status st;
	Luoshi__V1__WhoAmIRequest who = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	uint64_t t0 = e2e_now_ms();
	assert_int_equal(e2e_call(c, M_WHOAMI, &who.base, NULL, &m, &st), LS_OK);
	assert_true(e2e_now_ms() - t0 < 5000);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	assert_int_equal(f->robot->holding, 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries WHERE id = 1"
	                                 " AND status = 'pending' AND attempts = 0"),
	                 1);

	/* Stopped while the request is held: nothing is recorded, the row
	 * stays pending. */
	assert_int_equal(e2e_server_stop(&f->s), 0);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries WHERE id = 1"
	                                 " AND status = 'pending' AND attempts = 0"),
	                 1);
	pthread_mutex_lock(&f->robot->mtx);
	f->robot->release = true;
	pthread_cond_broadcast(&f->robot->cond);
	pthread_mutex_unlock(&f->robot->mtx);
	assert_int_equal(e2e_server_start(&f->s, hold_args), 0);
	fake_wait(f->robot, "/hold", 2);
	wait_settled(f);
	for (int k = 0; k < 2; k++) {
		h = fake_hit(f->robot, "/hold", k);
		assert_string_equal(h.key, "luoshi-r1-w1");
		free(h.body);
	}
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries WHERE id = 1"
	                                 " AND status = 'delivered' AND attempts = 1"),
	                 1);
	assert_int_equal(fake_count(f->robot, "/ok"), 1);
}

/* Only an admin, within its scope; every other role is refused and
 * nothing is written. */
static void test_roles(void **state)
{
	fx *f = *state;
	assert_int_equal(add_ok(f, "WX", NULL, 3, "/ok", "s1"), 1);
	db_exec(&f->s, "INSERT INTO webhooks(id, recipient_kind, recipient_id, kind, url,"
	               " created_at) VALUES (2, 'unit', 7, 'generic', 'http://127.0.0.1:1/x',"
	               " '2026-01-01')");
	struct {
		int role;
		const char *unit, *person;
		char token[TOKEN_MAX];
	} roles[] = {
	    {LUOSHI__V1__ROLE__ROLE_LEADER, NULL, "L01", ""},
	    {LUOSHI__V1__ROLE__ROLE_TOWN, "WX", NULL, ""},
	    {LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "FGJ", NULL, ""},
	    {LUOSHI__V1__ROLE__ROLE_INSPECTOR, NULL, NULL, ""},
	    {LUOSHI__V1__ROLE__ROLE_DISCIPLINE, NULL, NULL, ""},
	    {LUOSHI__V1__ROLE__ROLE_VIEWER, NULL, NULL, ""},
	};
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		account(f, roles[i].role, "someone", roles[i].unit, roles[i].person,
		        roles[i].token);
	const char *counts = "SELECT (SELECT count(*) FROM webhooks) * 1000000 +"
	                     " (SELECT count(*) FROM webhook_deliveries) * 1000 +"
	                     " (SELECT count(*) FROM audit_log WHERE entity LIKE 'webhook%')";
	int64_t before = db_count(&f->s, counts);
	assert_int_equal(before, 2 * 1000000 + 0 + 1);
	char url[128];
	snprintf(url, sizeof url, "%s/ok2", f->base);
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		ls_status st;
		assert_int_equal(add_as(f, roles[i].token, "WX", NULL, 3, url, NULL, NULL, &st),
		                 LS_PERMISSION_DENIED);
		luoshi_client *c = e2e_client(f->s.tcp_url, roles[i].token, 10000);
		ProtobufCMessage *m = NULL;
		Luoshi__V1__ListWebhooksRequest l = LUOSHI__V1__LIST_WEBHOOKS_REQUEST__INIT;
		assert_int_equal(e2e_call(c, M_LIST, &l.base, NULL, &m, &st), LS_PERMISSION_DENIED);
		Luoshi__V1__RemoveWebhookRequest rm = LUOSHI__V1__REMOVE_WEBHOOK_REQUEST__INIT;
		rm.has_id = true;
		rm.id = 1;
		assert_int_equal(e2e_call(c, M_REMOVE, &rm.base, NULL, &m, &st),
		                 LS_PERMISSION_DENIED);
		Luoshi__V1__TestWebhookRequest t = LUOSHI__V1__TEST_WEBHOOK_REQUEST__INIT;
		t.has_id = true;
		t.id = 1;
		assert_int_equal(e2e_call(c, M_TEST, &t.base, NULL, &m, &st), LS_PERMISSION_DENIED);
		Luoshi__V1__GetDeliveryRequest g = LUOSHI__V1__GET_DELIVERY_REQUEST__INIT;
		g.has_id = true;
		g.id = 1;
		assert_int_equal(e2e_call(c, M_GET, &g.base, NULL, &m, &st), LS_PERMISSION_DENIED);
		Luoshi__V1__ListFailuresRequest fl = LUOSHI__V1__LIST_FAILURES_REQUEST__INIT;
		assert_int_equal(e2e_call(c, M_FAILURES, &fl.base, NULL, &m, &st),
		                 LS_PERMISSION_DENIED);
		luoshi_client_close(c);
	}
	assert_int_equal(db_count(&f->s, counts), before);

	/* The admin, outside its scope: the other district's unit is refused,
	 * its webhook does not exist for it. */
	ls_status st;
	assert_int_equal(add_as(f, f->s.admin_token, "DQ", NULL, 3, url, NULL, NULL, &st),
	                 LS_PERMISSION_DENIED);
	assert_string_equal(st.field, "unit");
	luoshi_client *c = admin(f);
	ProtobufCMessage *m = NULL;
	Luoshi__V1__RemoveWebhookRequest rm = LUOSHI__V1__REMOVE_WEBHOOK_REQUEST__INIT;
	rm.has_id = true;
	rm.id = 2;
	assert_int_equal(e2e_call(c, M_REMOVE, &rm.base, NULL, &m, &st), LS_NOT_FOUND);
	Luoshi__V1__TestWebhookRequest t = LUOSHI__V1__TEST_WEBHOOK_REQUEST__INIT;
	t.has_id = true;
	t.id = 2;
	assert_int_equal(e2e_call(c, M_TEST, &t.base, NULL, &m, &st), LS_NOT_FOUND);
	Luoshi__V1__ListWebhooksRequest l = LUOSHI__V1__LIST_WEBHOOKS_REQUEST__INIT;
	assert_int_equal(e2e_call(c, M_LIST, &l.base, NULL, &m, &st), LS_OK);
	Luoshi__V1__ListWebhooksResponse *lr = (Luoshi__V1__ListWebhooksResponse *)m;
	assert_int_equal(lr->n_webhooks, 1);
	assert_int_equal(lr->webhooks[0]->id, 1);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(db_count(&f->s, counts), before);

	/* The admin, within it: test and remove, each audited. */
	t.id = 1;
	assert_int_equal(e2e_call(c, M_TEST, &t.base, NULL, &m, &st), LS_OK);
	int64_t delivery = ((Luoshi__V1__TestWebhookResponse *)m)->delivery->id;
	assert_int_equal(delivery, 1);
	protobuf_c_message_free_unpacked(m, NULL);
	fake_wait(f->robot, "/ok", 1);
	rm.id = 1;
	assert_int_equal(e2e_call(c, M_REMOVE, &rm.base, NULL, &m, &st), LS_OK);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE"
	                                 " entity = 'webhook_delivery' AND entity_id = 1"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'webhook'"
	                                 " AND entity_id = 1 AND after IS NULL"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhooks WHERE id = 1 AND"
	                                 " removed_at IS NOT NULL"),
	                 1);
	/* Removed: no more deliveries to it. */
	notice(f, "unit:WX", "移除之后");
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries WHERE"
	                                 " webhook_id = 1"),
	                 1);
}

static void expect_bad(fx *f, const char *unit, const char *person, int kind, const char *url,
                       const char *secret, int code, const char *field)
{
	const char *counts = "SELECT (SELECT count(*) FROM webhooks) * 1000 +"
	                     " (SELECT count(*) FROM audit_log)";
	int64_t before = db_count(&f->s, counts);
	ls_status st;
	int rc = add_as(f, f->s.admin_token, unit, person, kind, url, secret, NULL, &st);
	if (rc != code || (field != NULL && strcmp(st.field, field) != 0))
		fail_msg("url %.60s: %s (%s: %s), expected %s on %s", url ? url : "(none)",
		         ls_code_name(rc), st.field, st.message, ls_code_name(code),
		         field ? field : "-");
	assert_int_equal(db_count(&f->s, counts), before);
}

static void test_bad_input(void **state)
{
	fx *f = *state;
	char ok[128], long_url[2100], long_secret[260];
	snprintf(ok, sizeof ok, "%s/ok", f->base);
	snprintf(long_url, sizeof long_url, "https://example.com/");
	memset(long_url + 20, 'a', 1981);
	long_url[2001] = '\0';
	memset(long_secret, 's', 201);
	long_secret[201] = '\0';
	expect_bad(f, "WX", NULL, -1, ok, NULL, LS_INVALID_ARGUMENT, "kind");
	expect_bad(f, "WX", NULL, 0, ok, NULL, LS_INVALID_ARGUMENT, "kind");
	expect_bad(f, "WX", NULL, 99, ok, NULL, LS_INVALID_ARGUMENT, "kind");
	expect_bad(f, "WX", NULL, 3, NULL, NULL, LS_INVALID_ARGUMENT, "url");
	expect_bad(f, "WX", NULL, 3, "ftp://127.0.0.1/x", NULL, LS_INVALID_ARGUMENT, "url");
	expect_bad(f, "WX", NULL, 3, "javascript:alert(1)", NULL, LS_INVALID_ARGUMENT, "url");
	expect_bad(f, "WX", NULL, 3, "https://", NULL, LS_INVALID_ARGUMENT, "url");
	expect_bad(f, "WX", NULL, 3, "https://a b/", NULL, LS_INVALID_ARGUMENT, "url");
	expect_bad(f, "WX", NULL, 3, long_url, NULL, LS_INVALID_ARGUMENT, "url");
	expect_bad(f, "WX", NULL, 1, ok, long_secret, LS_INVALID_ARGUMENT, "secret");
	expect_bad(f, "WX", NULL, 2, ok, "x", LS_INVALID_ARGUMENT, "secret");
	expect_bad(f, NULL, NULL, 3, ok, NULL, LS_INVALID_ARGUMENT, "unit");
	expect_bad(f, "NOPE", NULL, 3, ok, NULL, LS_INVALID_ARGUMENT, "unit");
	expect_bad(f, NULL, "NOPE", 3, ok, NULL, LS_INVALID_ARGUMENT, "person");
	expect_bad(f, "WX", "L01", 3, ok, NULL, LS_INVALID_ARGUMENT, "person");
	/* 2000 bytes is still fine; the same URL twice is not. */
	long_url[2000] = '\0';
	assert_int_equal(add_ok(f, "WX", NULL, 3, "/ok", NULL), 1);
	ls_status st;
	assert_int_equal(add_as(f, f->s.admin_token, "WX", NULL, 3, long_url, NULL, NULL, &st),
	                 LS_OK);
	expect_bad(f, "WX", NULL, 3, ok, NULL, LS_ALREADY_EXISTS, "url");

	luoshi_client *c = admin(f);
	ProtobufCMessage *m = NULL;
	Luoshi__V1__RemoveWebhookRequest rm = LUOSHI__V1__REMOVE_WEBHOOK_REQUEST__INIT;
	assert_int_equal(e2e_call(c, M_REMOVE, &rm.base, NULL, &m, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "id");
	rm.has_id = true;
	rm.id = 999;
	assert_int_equal(e2e_call(c, M_REMOVE, &rm.base, NULL, &m, &st), LS_NOT_FOUND);
	Luoshi__V1__ListWebhooksRequest l = LUOSHI__V1__LIST_WEBHOOKS_REQUEST__INIT;
	l.page_token = "abc";
	assert_int_equal(e2e_call(c, M_LIST, &l.base, NULL, &m, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "page_token");
	/* Paging: two webhooks, one a page. */
	l.page_token = NULL;
	l.has_page_size = true;
	l.page_size = 1;
	assert_int_equal(e2e_call(c, M_LIST, &l.base, NULL, &m, &st), LS_OK);
	Luoshi__V1__ListWebhooksResponse *lr = (Luoshi__V1__ListWebhooksResponse *)m;
	assert_int_equal(lr->n_webhooks, 1);
	assert_int_equal(lr->webhooks[0]->id, 1);
	assert_string_equal(lr->next_page_token, "1");
	protobuf_c_message_free_unpacked(m, NULL);
	l.page_token = "1";
	assert_int_equal(e2e_call(c, M_LIST, &l.base, NULL, &m, &st), LS_OK);
	lr = (Luoshi__V1__ListWebhooksResponse *)m;
	assert_int_equal(lr->n_webhooks, 1);
	assert_int_equal(lr->webhooks[0]->id, 2);
	assert_null(lr->next_page_token);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);

	/* The client refuses an unknown kind before calling. */
	e2e_run run;
	const char *args[] = {"webhook", "add",   "--unit", "WX", "--kind",
	                      "slack",   "--url", ok,       NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, args, &run);
	assert_int_equal(run.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(run.err, "slack"));
	e2e_run_free(&run);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhooks"), 2);
}

/* The commands, with Chinese names; secrets never come back. */
static void test_cli(void **state)
{
	fx *f = *state;
	char url[256];
	snprintf(url, sizeof url, "%s/ding?access_token=TOKEN_SHOULD_HIDE", f->base);
	e2e_run run;
	const char *add[] = {"webhook", "add", "--unit",   "五乡镇",        "--kind", "dingtalk",
	                     "--url",   url,   "--secret", "SECverysecret", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, "zh_CN.UTF-8", add, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "已添加机器人 1。"));
	assert_non_null(strstr(run.out, "已设置"));
	assert_non_null(strstr(run.out, "五乡镇"));
	assert_null(strstr(run.out, "SECverysecret"));
	assert_null(strstr(run.out, "TOKEN_SHOULD_HIDE"));
	e2e_run_free(&run);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhooks WHERE recipient_id = 2"
	                                 " AND kind = 'dingtalk'"),
	                 1);

	const char *list[] = {"webhook", "list", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, list, &run);
	assert_int_equal(run.status, 0);
	assert_int_equal(e2e_count_lines(run.out), 2);
	assert_non_null(strstr(run.out, "access_token=***"));
	assert_non_null(strstr(run.out, "WX 五乡镇"));
	assert_null(strstr(run.out, "SECverysecret"));
	assert_null(strstr(run.out, "TOKEN_SHOULD_HIDE"));
	e2e_run_free(&run);
	const char *list_json[] = {"webhook", "list", "--json", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, list_json, &run);
	assert_int_equal(run.status, 0);
	assert_null(strstr(run.out, "SECverysecret"));
	assert_null(strstr(run.out, "TOKEN_SHOULD_HIDE"));
	json_t *j = json_loads(run.out, 0, NULL);
	assert_int_equal(json_array_size(j), 1);
	assert_true(json_is_true(json_object_get(json_array_get(j, 0), "secretSet")));
	json_decref(j);
	e2e_run_free(&run);

	/* test: the robot's answer, and the message it got. */
	const char *test[] = {"webhook", "test", "1", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, test, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "delivered"));
	assert_non_null(strstr(run.out, "200"));
	assert_non_null(strstr(run.out, "luoshi-t1"));
	e2e_run_free(&run);
	hit h = fake_hit(f->robot, "/ding", 0);
	assert_string_equal(h.key, "luoshi-t1");
	assert_non_null(strstr(h.body, "测试消息"));
	free(h.body);

	/* A robot that refuses: exit UNAVAILABLE, its answer shown. */
	char fail_url[128];
	snprintf(fail_url, sizeof fail_url, "%s/fail", f->base);
	const char *add_fail[] = {"webhook", "add",   "--unit", "XY", "--kind",
	                          "generic", "--url", fail_url, NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, add_fail, &run);
	assert_int_equal(run.status, 0);
	e2e_run_free(&run);
	const char *test_fail[] = {"webhook", "test", "2", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, test_fail, &run);
	assert_int_equal(run.status, LS_UNAVAILABLE);
	assert_non_null(strstr(run.out, "500"));
	e2e_run_free(&run);
	assert_int_equal(fake_count(f->robot, "/fail"), 1); /* a test is tried once */

	const char *rm[] = {"webhook", "remove", "1", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, rm, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "removed"));
	e2e_run_free(&run);
	const char *list_unit[] = {"webhook", "list", "--unit", "五乡镇", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, list_unit, &run);
	assert_int_equal(run.status, 0);
	assert_string_equal(run.out, "No webhooks.\n");
	e2e_run_free(&run);
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, test, &run);
	assert_int_equal(run.status, LS_NOT_FOUND);
	e2e_run_free(&run);

	const char *help[] = {"webhook", "--help", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, NULL, NULL, help, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "failures"));
	e2e_run_free(&run);
}

/* The scheduler's reminder about a project, posted with the link to the
 * project's page on the dashboard. */
static char sched_sql[2048];
static char daily_at[8];

static int setup_scheduler(void **state)
{
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	time_t now = time(NULL), tomorrow_t = now + 24 * 3600, hour_ago = now - 3600;
	struct tm tm;
	char tomorrow[16];
	localtime_r(&tomorrow_t, &tm);
	strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", &tm);
	localtime_r(&hour_ago, &tm);
	strftime(daily_at, sizeof daily_at, "%H:%M", &tm);
	/* The port is known only once the robot runs: the URLs are set
	 * after, in the test. */
	snprintf(sched_sql, sizeof sched_sql,
	         "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
	         " lead_unit_id, town_id, total_investment, frequency, planned_start,"
	         " planned_finish, created_at) VALUES (1, 'P1', '中车产业基地', 'district',"
	         " 'industrial', 'new', 1, 4, 2, 1000, 'monthly', '2026-01-01', '2030-12-31',"
	         " '2026-01-01');"
	         "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date,"
	         " created_at) VALUES (1, 1, '土地摘牌', '%s', 4, NULL, '2026-01-01');"
	         "INSERT INTO webhooks(id, recipient_kind, recipient_id, kind, url, created_at)"
	         " VALUES (1, 'unit', 4, 'generic', 'http://127.0.0.1:1/generic', '2026-01-01'),"
	         " (2, 'unit', 4, 'dingtalk', 'http://127.0.0.1:1/ding', '2026-01-01');",
	         tomorrow);
	static const char *args[] = {"--rate-limit",
	                             "0",
	                             "--public-url",
	                             "http://dash.example/",
	                             "--scheduler-interval-ms",
	                             "200",
	                             "--daily-at",
	                             daily_at,
	                             "--webhook-backoff-ms",
	                             "50",
	                             NULL};
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		return -1;
	f->robot = fake_start();
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->robot->port);
	char urls[512];
	snprintf(urls, sizeof urls,
	         "UPDATE webhooks SET url = '%s/generic' WHERE id = 1;"
	         "UPDATE webhooks SET url = '%s/ding' WHERE id = 2;",
	         f->base, f->base);
	db_exec(&f->s, FIXTURE);
	db_exec(&f->s, sched_sql);
	db_exec(&f->s, urls);
	if (e2e_server_start(&f->s, args) != 0) {
		e2e_server_cleanup(&f->s);
		fake_stop(f->robot);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static void test_scheduler_link(void **state)
{
	fx *f = *state;
	fake_wait(f->robot, "/generic", 1);
	fake_wait(f->robot, "/ding", 1);
	wait_settled(f);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM reminders"), 1);
	int64_t rid = db_count(&f->s, "SELECT id FROM reminders");
	hit h = fake_hit(f->robot, "/generic", 0);
	json_t *j = body_json(&h);
	assert_string_equal(jstr(j, "reminder.kind"), "node_due");
	assert_string_equal(jstr(j, "reminder.subject"), "node:1");
	assert_string_equal(jstr(j, "reminder.project_code"), "P1");
	assert_string_equal(jstr(j, "reminder.project_name"), "中车产业基地");
	assert_string_equal(jstr(j, "reminder.link"), "http://dash.example/#/project/P1");
	assert_non_null(strstr(jstr(j, "reminder.text"), "土地摘牌"));
	char key[64];
	snprintf(key, sizeof key, "luoshi-r%" PRId64 "-w1", rid);
	assert_string_equal(h.key, key);
	json_decref(j);
	free(h.body);
	h = fake_hit(f->robot, "/ding", 0);
	j = body_json(&h);
	assert_non_null(strstr(jstr(j, "markdown.text"),
	                       "[查看项目：中车产业基地](http://dash.example/#/project/P1)"));
	assert_non_null(strstr(jstr(j, "markdown.title"), "节点提醒"));
	json_decref(j);
	/* No secret set: no signature in the query. */
	assert_string_equal(h.query, "");
	free(h.body);
}

/* ---- over HTTPS ------------------------------------------------------------------------ */

/* A robot over TLS: nng's HTTP server with a certificate of a test CA,
 * counting the posts to /tls. */
typedef struct tls_robot {
	nng_http_server *srv;
	nng_http_handler *h;
	nng_tls_config *tls;
	nng_mtx *mtx;
	int hits;
	int other_keys; /* hits whose key differed from the first's */
	char key[128];
	int port;
} tls_robot;

static void tls_handle(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	tls_robot *r = nng_http_handler_get_data(h);
	const char *key = nng_http_req_get_header(req, "X-Luoshi-Delivery");
	nng_mtx_lock(r->mtx);
	if (r->hits++ == 0)
		snprintf(r->key, sizeof r->key, "%s", key ? key : "");
	else if (key == NULL || strcmp(key, r->key) != 0)
		r->other_keys++;
	nng_mtx_unlock(r->mtx);
	nng_http_res *res;
	if (nng_http_res_alloc(&res) != 0) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_http_res_copy_data(res, "{\"errcode\":0}", 13);
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static int run_openssl(const char *const *args)
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

/* DIR/NAME-ca.crt, and DIR/NAME.crt + .key for 127.0.0.1 signed by it. */
static void make_pki(const char *dir, const char *name)
{
	char ca_crt[E2E_PATH_MAX], ca_key[E2E_PATH_MAX], crt[E2E_PATH_MAX], key[E2E_PATH_MAX];
	char csr[E2E_PATH_MAX], ext[E2E_PATH_MAX], serial[E2E_PATH_MAX];
	snprintf(ca_crt, sizeof ca_crt, "%s/%s-ca.crt", dir, name);
	snprintf(ca_key, sizeof ca_key, "%s/%s-ca.key", dir, name);
	snprintf(crt, sizeof crt, "%s/%s.crt", dir, name);
	snprintf(key, sizeof key, "%s/%s.key", dir, name);
	snprintf(csr, sizeof csr, "%s/%s.csr", dir, name);
	snprintf(ext, sizeof ext, "%s/%s.ext", dir, name);
	snprintf(serial, sizeof serial, "%s/%s.srl", dir, name);
	/* mbedTLS matches a host given by address against DNS names only. */
	assert_int_equal(e2e_write_file(ext, "subjectAltName = IP:127.0.0.1, DNS:127.0.0.1\n"
	                                     "basicConstraints = CA:FALSE\n"
	                                     "extendedKeyUsage = serverAuth\n"),
	                 0);
	const char *ca[] = {"req",    "-x509",    "-newkey",
	                    "ec",     "-pkeyopt", "ec_paramgen_curve:prime256v1",
	                    "-nodes", "-keyout",  ca_key,
	                    "-out",   ca_crt,     "-days",
	                    "2",      "-subj",    "/CN=webhook test CA",
	                    NULL};
	const char *req[] = {"req",
	                     "-new",
	                     "-newkey",
	                     "ec",
	                     "-pkeyopt",
	                     "ec_paramgen_curve:prime256v1",
	                     "-nodes",
	                     "-keyout",
	                     key,
	                     "-out",
	                     csr,
	                     "-subj",
	                     "/CN=127.0.0.1",
	                     NULL};
	const char *sign[] = {"x509",
	                      "-req",
	                      "-in",
	                      csr,
	                      "-CA",
	                      ca_crt,
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
	                      ext,
	                      NULL};
	assert_int_equal(run_openssl(ca), 0);
	assert_int_equal(run_openssl(req), 0);
	assert_int_equal(run_openssl(sign), 0);
}

static void tls_robot_start(tls_robot *r, const char *dir, const char *name)
{
	char crt[E2E_PATH_MAX], key[E2E_PATH_MAX], url[64];
	snprintf(crt, sizeof crt, "%s/%s.crt", dir, name);
	snprintf(key, sizeof key, "%s/%s.key", dir, name);
	char *cert = e2e_read_file(crt, NULL), *pem = e2e_read_file(key, NULL);
	assert_non_null(cert);
	assert_non_null(pem);
	r->port = e2e_free_port();
	snprintf(url, sizeof url, "https://127.0.0.1:%d", r->port);
	nng_url *u;
	assert_int_equal(nng_url_parse(&u, url), 0);
	assert_int_equal(nng_mtx_alloc(&r->mtx), 0);
	assert_int_equal(nng_http_server_hold(&r->srv, u), 0);
	nng_url_free(u);
	assert_int_equal(nng_tls_config_alloc(&r->tls, NNG_TLS_MODE_SERVER), 0);
	assert_int_equal(nng_tls_config_own_cert(r->tls, cert, pem, NULL), 0);
	assert_int_equal(nng_http_server_set_tls(r->srv, r->tls), 0);
	assert_int_equal(nng_http_handler_alloc(&r->h, "/tls", tls_handle), 0);
	assert_int_equal(nng_http_handler_set_method(r->h, "POST"), 0);
	assert_int_equal(nng_http_handler_set_data(r->h, r, NULL), 0);
	assert_int_equal(nng_http_server_add_handler(r->srv, r->h), 0);
	assert_int_equal(nng_http_server_start(r->srv), 0);
	free(cert);
	free(pem);
}

static void tls_robot_stop(tls_robot *r)
{
	nng_http_server_stop(r->srv);
	nng_http_server_release(r->srv);
	nng_tls_config_free(r->tls);
	nng_mtx_free(r->mtx);
}

static int tls_hits(tls_robot *r)
{
	nng_mtx_lock(r->mtx);
	int n = r->hits;
	nng_mtx_unlock(r->mtx);
	return n;
}

/* A robot whose certificate the configured CA signed takes the post; one
 * signed by another CA is refused before anything is sent. */
static void test_https(void **state)
{
	fx *f = *state;
	if (access(OPENSSL, X_OK) != 0)
		fail_msg("%s is missing (apt-get install openssl)", OPENSSL);
	make_pki(f->s.dir, "good");
	make_pki(f->s.dir, "bad");
	char ca[E2E_PATH_MAX];
	snprintf(ca, sizeof ca, "%s/good-ca.crt", f->s.dir);
	assert_int_equal(e2e_server_stop(&f->s), 0);
	const char *args[] = {"--rate-limit",
	                      "0",
	                      "--webhook-max-attempts",
	                      "2",
	                      "--webhook-backoff-ms",
	                      "50",
	                      "--webhook-ca-file",
	                      ca,
	                      NULL};
	assert_int_equal(e2e_server_start(&f->s, args), 0);
	tls_robot good = {0}, bad = {0};
	tls_robot_start(&good, f->s.dir, "good");
	tls_robot_start(&bad, f->s.dir, "bad");
	char url[128];
	ls_status st;
	snprintf(url, sizeof url, "https://127.0.0.1:%d/tls", good.port);
	assert_int_equal(add_as(f, f->s.admin_token, "WX", NULL, 3, url, NULL, NULL, &st), LS_OK);
	snprintf(url, sizeof url, "https://127.0.0.1:%d/tls", bad.port);
	assert_int_equal(add_as(f, f->s.admin_token, "XY", NULL, 3, url, NULL, NULL, &st), LS_OK);
	notice(f, "unit:WX", "加密通道"); /* 1 */
	notice(f, "unit:XY", "证书不符"); /* 2 */
	wait_settled(f);
	e2e_db *db = e2e_db_connect(&f->s);
	srv_q *q = e2e_db_prepare(db, "SELECT delivery_id, coalesce(http_status, 0),"
	                              " coalesce(error, '') FROM webhook_attempts");
	while (srv_step(q) == SRV_ROW)
		fprintf(stderr, "https: delivery %d: %d %s\n", srv_col_int(q, 0), srv_col_int(q, 1),
		        srv_col_text(q, 2));
	e2e_db_finalize(q);
	e2e_db_close(db);
	/* Delivery is at least once: on rare occasions nng's TLS stream ends
	 * before the robot's answer is read, after the robot took the post,
	 * and the retry posts it again under the same key. Each post the
	 * robot took is one of the delivery's attempts. */
	int64_t tries = db_count(&f->s, "SELECT count(*) FROM webhook_attempts"
	                                " WHERE delivery_id = 1");
	assert_in_range(tries, 1, 2);
	assert_in_range(tls_hits(&good), 1, tries);
	nng_mtx_lock(good.mtx);
	assert_string_equal(good.key, "luoshi-r1-w1");
	assert_int_equal(good.other_keys, 0);
	nng_mtx_unlock(good.mtx);
	assert_int_equal(tls_hits(&bad), 0);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries WHERE"
	                                 " webhook_id = 1 AND status = 'delivered'"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM webhook_deliveries d JOIN"
	                                 " webhook_attempts a ON a.delivery_id = d.id WHERE"
	                                 " d.webhook_id = 2 AND d.status = 'failed' AND"
	                                 " a.http_status IS NULL AND a.error <> ''"),
	                 2);
	tls_robot_stop(&good);
	tls_robot_stop(&bad);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout, setup_timeout, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_and_restart, setup_hold, teardown),
	    cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scheduler_link, setup_scheduler, teardown),
	    cmocka_unit_test_setup_teardown(test_https, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
