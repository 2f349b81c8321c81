#include "webhook_deliver.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/tls/tls.h>
#include <sodium.h>
#include <uv.h>

#include "log.h"
#include "server.h"
#include "store/webhooks.h"

/* Even with nothing due, look again this often: a row written by another
 * process, or a clock that jumped, is found within it. */
#define POLL_MAX_MS 60000
/* How often a server that does not deliver checks whether it should. */
#define OTHERS_TURN_MS 5000
/* A retry never waits longer than this, however many came before. */
#define BACKOFF_CAP_MS (6LL * 3600 * 1000)
/* The part of a robot's answer kept for errcode and the error text. */
#define ANSWER_MAX 4096

/* ---- configuration ------------------------------------------------------------------ */

static struct {
	uint32_t backoff_ms;
	int max_attempts;
	uint32_t timeout_ms;
	int concurrency;
	char ca_file[1024];
	char public_url[1024];
} cfg = {30000, 8, 10000, 8, "/etc/ssl/certs/ca-certificates.crt", ""};

static bool parse_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return false;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int srv_webhook_config_set(const char *key, const char *value, ls_status *st)
{
	long long v;
	if (strcmp(key, "webhook-backoff-ms") == 0) {
		if (!parse_num(value, 10, 24LL * 3600 * 1000, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is milliseconds from 10 to 86400000, not \"%s\"",
			                       key, value);
		cfg.backoff_ms = (uint32_t)v;
		return LS_OK;
	}
	if (strcmp(key, "webhook-max-attempts") == 0) {
		if (!parse_num(value, 1, 100, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is a number from 1 to 100, not \"%s\"", key,
			                       value);
		cfg.max_attempts = (int)v;
		return LS_OK;
	}
	if (strcmp(key, "webhook-timeout-ms") == 0) {
		if (!parse_num(value, 10, 600000, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is milliseconds from 10 to 600000, not \"%s\"",
			                       key, value);
		cfg.timeout_ms = (uint32_t)v;
		return LS_OK;
	}
	if (strcmp(key, "webhook-concurrency") == 0) {
		if (!parse_num(value, 1, 256, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is a number from 1 to 256, not \"%s\"", key,
			                       value);
		cfg.concurrency = (int)v;
		return LS_OK;
	}
	if (strcmp(key, "webhook-ca-file") == 0 || strcmp(key, "public-url") == 0) {
		bool ca = key[0] == 'w';
		char *slot = ca ? cfg.ca_file : cfg.public_url;
		size_t max = ca ? sizeof cfg.ca_file : sizeof cfg.public_url;
		if (strlen(value) >= max)
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is longer than %zu bytes", key, max - 1);
		if (!ca && *value != '\0' && strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0)
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is an http:// or https:// URL, not \"%s\"", key,
			                       value);
		snprintf(slot, max, "%s", value);
		/* The links are made by appending to it. */
		size_t n = strlen(slot);
		while (!ca && n > 0 && slot[n - 1] == '/')
			slot[--n] = '\0';
		return LS_OK;
	}
	return LS_NOT_FOUND;
}

/* ---- the messages ---------------------------------------------------------------------- */

static const struct {
	const char *kind, *label;
} labels[] = {
    {"update_due", "周报提醒"},        {"update_overdue", "周报逾期"},
    {"node_due", "节点提醒"},          {"node_overdue", "节点逾期"},
    {"problem_due", "问题办理提醒"},   {"problem_overdue", "问题逾期"},
    {"reconcile_due", "月度核对提醒"}, {"notice", "通知"},
    {"review_due", "专题了解提醒"},    {"visit_due", "现场调研提醒"},
    {"rectification_due", "整改提醒"}, {"rectification_overdue", "整改逾期"},
};

static const char *label_of(const char *kind)
{
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(labels[i].kind, kind) == 0)
			return labels[i].label;
	return "提醒";
}

void srv_webhook_idempotency_key(int64_t delivery, int64_t reminder, int64_t webhook, char buf[64])
{
	if (reminder > 0)
		snprintf(buf, 64, "luoshi-r%" PRId64 "-w%" PRId64, reminder, webhook);
	else
		snprintf(buf, 64, "luoshi-t%" PRId64, delivery);
}

/* The dashboard's page of the job's project; "" without one. */
static void project_link(const srv_webhook_job *j, char *buf, size_t n)
{
	buf[0] = '\0';
	if (cfg.public_url[0] != '\0' && j->project_code[0] != '\0')
		snprintf(buf, n, "%s/#/project/%s", cfg.public_url, j->project_code);
}

static const char TEST_TEXT[] = "这是一条来自落实系统的测试消息：收到即表示机器人配置正确。";

/* The message as markdown, for both robots. */
static char *markdown(const srv_webhook_job *j, const char *key, const char *link)
{
	const char *label = j->reminder_id > 0 ? label_of(j->r_kind) : "测试消息";
	const char *text = j->reminder_id > 0 ? j->text : TEST_TEXT;
	size_t n = strlen(text) + strlen(link) + strlen(j->to_name) + strlen(j->project_name) + 512;
	char *md = malloc(n);
	if (md == NULL)
		return NULL;
	int w = snprintf(md, n, "#### 【落实】%s\n\n%s\n\n> 接收：%s\n\n", label, text, j->to_name);
	if (link[0] != '\0' && w > 0 && (size_t)w < n)
		w += snprintf(md + w, n - (size_t)w, "[查看项目：%s](%s)\n\n", j->project_name,
		              link);
	if (w > 0 && (size_t)w < n)
		snprintf(md + w, n - (size_t)w, "<font color=\"comment\">提醒编号 %s</font>", key);
	return md;
}

/* The request body, as the robot's documentation wants it. NULL without
 * memory. */
static char *body_of(const srv_webhook_job *j, const char *key)
{
	char link[1200];
	project_link(j, link, sizeof link);
	json_t *root = NULL;
	char *md = NULL;
	if (j->kind == SRV_WEBHOOK_DINGTALK || j->kind == SRV_WEBHOOK_WECOM) {
		md = markdown(j, key, link);
		if (md == NULL)
			return NULL;
		const char *label = j->reminder_id > 0 ? label_of(j->r_kind) : "测试消息";
		char title[128];
		snprintf(title, sizeof title, "【落实】%s", label);
		if (j->kind == SRV_WEBHOOK_DINGTALK)
			root = json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown", "markdown",
			                 "title", title, "text", md);
		else
			root = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown",
			                 "content", md);
	} else {
		root = json_pack("{s:s, s:I, s:I, s:b, s:s}", "idempotency_key", key, "delivery_id",
		                 (json_int_t)j->delivery_id, "webhook_id",
		                 (json_int_t)j->webhook_id, "test", j->reminder_id == 0, "text",
		                 j->reminder_id > 0 ? j->text : TEST_TEXT);
		if (root != NULL && j->reminder_id > 0) {
			json_t *r = json_pack(
			    "{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "id",
			    (json_int_t)j->reminder_id, "kind", j->r_kind, "kind_label",
			    label_of(j->r_kind), "subject", j->subject, "window", j->window, "seq",
			    (json_int_t)j->seq, "text", j->text, "created_at", j->created_at,
			    "recipient_kind", j->to_kind == SRV_RCPT_PERSON ? "person" : "unit",
			    "recipient_code", j->to_code, "recipient_name", j->to_name);
			if (r != NULL && j->project_code[0] != '\0') {
				json_object_set_new(r, "project_code",
				                    json_string(j->project_code));
				json_object_set_new(r, "project_name",
				                    json_string(j->project_name));
			}
			if (r != NULL && link[0] != '\0')
				json_object_set_new(r, "link", json_string(link));
			if (r == NULL || json_object_set_new(root, "reminder", r) != 0) {
				json_decref(root);
				root = NULL;
			}
		}
	}
	free(md);
	if (root == NULL)
		return NULL;
	char *s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

/* HMAC-SHA256 of the two parts with key. */
static void hmac(const char *key, const char *a, const char *b, size_t b_len,
                 uint8_t out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state h;
	crypto_auth_hmacsha256_init(&h, (const uint8_t *)key, strlen(key));
	crypto_auth_hmacsha256_update(&h, (const uint8_t *)a, strlen(a));
	crypto_auth_hmacsha256_update(&h, (const uint8_t *)b, b_len);
	crypto_auth_hmacsha256_final(&h, out);
}

/* Percent-encodes what is not unreserved, for a query value. */
static void url_encode(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s != '\0' && o + 4 < n; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the engine ---------------------------------------------------------------------- */

typedef struct engine engine;

typedef struct slot {
	engine *e;
	bool busy;
	srv_webhook_kind kind;
	int64_t delivery_id, webhook_id;
	int attempts; /* made before this one */
	bool test;
	uint64_t started_ns;
	char started_at[32];
	nng_aio *aio;
	nng_url *url;
	nng_http_client *client;
	nng_tls_config *tls;
	nng_http_req *req;
	nng_http_res *res;
	char *body;
	struct slot *next_done; /* on the done list, under e->mtx */
} slot;

struct engine {
	srv_server *srv;
	uv_async_t async;
	uv_timer_t timer;
	uv_check_t check;
	int closing;
	bool dirty; /* a delivery row was written: look once the transaction ends */
	bool stopping;
	uv_mutex_t mtx;
	slot *done; /* requests finished, for the loop to record */
	slot *slots;
	int n_slots;
};

static engine *the_engine;

static void slot_release(slot *s)
{
	nng_http_req_free(s->req);
	nng_http_res_free(s->res);
	nng_http_client_free(s->client);
	if (s->tls != NULL)
		nng_tls_config_free(s->tls);
	nng_url_free(s->url);
	free(s->body);
	s->req = NULL;
	s->res = NULL;
	s->client = NULL;
	s->tls = NULL;
	s->url = NULL;
	s->body = NULL;
	s->busy = false;
}

/* nng's thread: hands the finished request to the loop. */
static void on_answer(void *arg)
{
	slot *s = arg;
	engine *e = s->e;
	uv_mutex_lock(&e->mtx);
	s->next_done = e->done;
	e->done = s;
	uv_mutex_unlock(&e->mtx);
	uv_async_send(&e->async);
}

/* What went wrong with a finished request; "" when it was delivered. */
static void judge(slot *s, srv_webhook_attempt *a)
{
	a->error[0] = '\0';
	a->http_status = 0;
	int rv = nng_aio_result(s->aio);
	if (rv != 0) {
		snprintf(a->error, sizeof a->error, "%s",
		         rv == NNG_ETIMEDOUT ? "timed out" : nng_strerror(rv));
		return;
	}
	a->http_status = nng_http_res_get_status(s->res);
	void *data;
	size_t len;
	nng_http_res_get_data(s->res, &data, &len);
	char answer[ANSWER_MAX + 1];
	if (len > ANSWER_MAX)
		len = ANSWER_MAX;
	memcpy(answer, data ? data : "", data ? len : 0);
	answer[data ? len : 0] = '\0';
	if (a->http_status < 200 || a->http_status > 299) {
		snprintf(a->error, sizeof a->error, "HTTP %d %s", a->http_status,
		         nng_http_res_get_reason(s->res));
		return;
	}
	/* Both robots answer 200 to a refused message: the refusal is in
	 * errcode (a bad signature, a message too long). */
	if (s->kind == SRV_WEBHOOK_DINGTALK || s->kind == SRV_WEBHOOK_WECOM) {
		json_t *j = json_loads(answer, 0, NULL);
		json_t *code = json_object_get(j, "errcode");
		if (json_is_integer(code) && json_integer_value(code) != 0) {
			const char *msg = json_string_value(json_object_get(j, "errmsg"));
			snprintf(a->error, sizeof a->error,
			         "errcode %" JSON_INTEGER_FORMAT ": %.400s",
			         json_integer_value(code), msg ? msg : "");
		}
		json_decref(j);
	}
}

static void pump(engine *e);

/* When the next attempt is due after made attempts failed: the backoff
 * doubled at each retry, capped. */
static int64_t retry_at(int made)
{
	int64_t delay = cfg.backoff_ms;
	for (int i = 1; i < made && delay < BACKOFF_CAP_MS; i++)
		delay *= 2;
	return now_ms() + (delay < BACKOFF_CAP_MS ? delay : BACKOFF_CAP_MS);
}

/* Loop thread: records what the finished requests answered. */
static void on_async(uv_async_t *h)
{
	engine *e = h->data;
	uv_mutex_lock(&e->mtx);
	slot *list = e->done;
	e->done = NULL;
	uv_mutex_unlock(&e->mtx);
	if (list == NULL || e->stopping)
		return;
	srv_store *store = e->srv->store;
	ls_status st;
	ls_status_clear(&st);
	bool open = srv_store_begin(store, &st) == LS_OK;
	if (!open)
		ls_warn("webhooks: %s; the attempts are made again", st.message);
	for (slot *s = list, *next; s != NULL; s = next) {
		next = s->next_done;
		srv_webhook_attempt a;
		judge(s, &a);
		snprintf(a.at, sizeof a.at, "%s", s->started_at);
		a.elapsed_ms = (int64_t)((uv_hrtime() - s->started_ns) / 1000000u);
		int made = s->attempts + 1;
		srv_delivery_status status = SRV_DELIVERY_DELIVERED;
		int64_t next_at = 0;
		if (a.error[0] != '\0') {
			if (s->test || made >= cfg.max_attempts) {
				status = SRV_DELIVERY_FAILED;
			} else {
				next_at = retry_at(made);
				status = SRV_DELIVERY_PENDING;
			}
		}
		if (open && srv_store_webhook_record(store, s->delivery_id, &a, status, next_at,
		                                     &st) != LS_OK) {
			/* Half a record is worse than none: the rows stay
			 * pending and are posted again. */
			ls_warn("webhooks: delivery %" PRId64 ": %s", s->delivery_id, st.message);
			srv_store_rollback(store);
			open = false;
		}
		if (status == SRV_DELIVERY_FAILED)
			ls_warn("webhooks: delivery %" PRId64 " failed at attempt %d, the last: %s",
			        s->delivery_id, made, a.error);
		else
			ls_debug("webhooks: delivery %" PRId64 " attempt %d: %s", s->delivery_id,
			         made, a.error[0] ? a.error : "delivered");
		slot_release(s);
	}
	if (open && srv_store_commit(store, &st) != LS_OK)
		ls_warn("webhooks: %s; the attempts are made again", st.message);
	pump(e);
}

/* Starts posting j in s. Returns false (logged, and why in why) when it
 * cannot start. */
static bool start(slot *s, const srv_webhook_job *j, char *why, size_t why_len)
{
	char key[64];
	srv_webhook_idempotency_key(j->delivery_id, j->reminder_id, j->webhook_id, key);
	char url[SRV_WEBHOOK_URL_MAX + 256];
	snprintf(url, sizeof url, "%s", j->url);
	char ts[24];
	snprintf(ts, sizeof ts, "%" PRId64, now_ms());
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	if (j->kind == SRV_WEBHOOK_DINGTALK && j->secret[0] != '\0') {
		/* DingTalk's robot signature: HMAC-SHA256 of "timestamp\nsecret"
		 * keyed with the secret, base64, in the query. */
		char b64[sodium_base64_ENCODED_LEN(sizeof mac, sodium_base64_VARIANT_ORIGINAL)];
		char enc[3 * sizeof b64 + 1];
		char tail[SRV_WEBHOOK_SECRET_MAX + 2];
		snprintf(tail, sizeof tail, "\n%s", j->secret);
		hmac(j->secret, ts, tail, strlen(tail), mac);
		sodium_bin2base64(b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
		url_encode(b64, enc, sizeof enc);
		size_t n = strlen(url);
		snprintf(url + n, sizeof url - n, "%ctimestamp=%s&sign=%s",
		         strchr(j->url, '?') ? '&' : '?', ts, enc);
	}
	int rv;
	s->body = body_of(j, key);
	if (s->body == NULL) {
		snprintf(why, why_len, "out of memory");
		ls_warn("webhooks: delivery %" PRId64 ": out of memory", j->delivery_id);
		return false;
	}
	if ((rv = nng_url_parse(&s->url, url)) != 0 ||
	    (rv = nng_http_client_alloc(&s->client, s->url)) != 0)
		goto fail;
	if (strcmp(s->url->u_scheme, "https") == 0) {
		if ((rv = nng_tls_config_alloc(&s->tls, NNG_TLS_MODE_CLIENT)) != 0 ||
		    (rv = nng_tls_config_server_name(s->tls, s->url->u_hostname)) != 0 ||
		    (rv = nng_tls_config_ca_file(s->tls, cfg.ca_file)) != 0 ||
		    (rv = nng_tls_config_auth_mode(s->tls, NNG_TLS_AUTH_MODE_REQUIRED)) != 0 ||
		    (rv = nng_http_client_set_tls(s->client, s->tls)) != 0)
			goto fail;
	}
	if ((rv = nng_http_req_alloc(&s->req, s->url)) != 0 ||
	    (rv = nng_http_res_alloc(&s->res)) != 0 ||
	    (rv = nng_http_req_set_method(s->req, "POST")) != 0 ||
	    (rv = nng_http_req_set_header(s->req, "Content-Type",
	                                  "application/json; charset=utf-8")) != 0 ||
	    (rv = nng_http_req_set_header(s->req, "User-Agent", "luoshid/" LUOSHI_VERSION)) != 0 ||
	    (rv = nng_http_req_set_header(s->req, "X-Luoshi-Delivery", key)) != 0 ||
	    (rv = nng_http_req_set_header(s->req, "Idempotency-Key", key)) != 0 ||
	    (rv = nng_http_req_set_data(s->req, s->body, strlen(s->body))) != 0)
		goto fail;
	if (j->kind == SRV_WEBHOOK_GENERIC && j->secret[0] != '\0') {
		/* The receiver checks HMAC-SHA256("timestamp.body") with the
		 * secret, and may refuse old timestamps. */
		char hex[2 * sizeof mac + 8];
		crypto_auth_hmacsha256_state h;
		crypto_auth_hmacsha256_init(&h, (const uint8_t *)j->secret, strlen(j->secret));
		crypto_auth_hmacsha256_update(&h, (const uint8_t *)ts, strlen(ts));
		crypto_auth_hmacsha256_update(&h, (const uint8_t *)".", 1);
		crypto_auth_hmacsha256_update(&h, (const uint8_t *)s->body, strlen(s->body));
		crypto_auth_hmacsha256_final(&h, mac);
		memcpy(hex, "sha256=", 7);
		sodium_bin2hex(hex + 7, sizeof hex - 7, mac, sizeof mac);
		if ((rv = nng_http_req_set_header(s->req, "X-Luoshi-Timestamp", ts)) != 0 ||
		    (rv = nng_http_req_set_header(s->req, "X-Luoshi-Signature", hex)) != 0)
			goto fail;
	}
	s->busy = true;
	s->kind = j->kind;
	s->delivery_id = j->delivery_id;
	s->webhook_id = j->webhook_id;
	s->attempts = j->attempts;
	s->test = j->reminder_id == 0;
	s->started_ns = uv_hrtime();
	srv_now_iso(s->started_at);
	nng_aio_set_timeout(s->aio, (nng_duration)cfg.timeout_ms);
	nng_http_client_transact(s->client, s->req, s->res, s->aio);
	return true;
fail:
	snprintf(why, why_len, "cannot post: %s", nng_strerror(rv));
	ls_warn("webhooks: delivery %" PRId64 ": cannot post: %s", j->delivery_id,
	        nng_strerror(rv));
	slot_release(s);
	return false;
}

/* A request that cannot even start is an attempt that failed at once. */
static void fail_now(engine *e, const srv_webhook_job *j, const char *why)
{
	srv_webhook_attempt a = {0};
	ls_status st;
	srv_now_iso(a.at);
	snprintf(a.error, sizeof a.error, "%s", why);
	int made = j->attempts + 1;
	bool last = j->reminder_id == 0 || made >= cfg.max_attempts;
	if (srv_store_begin(e->srv->store, &st) != LS_OK)
		return;
	if (srv_store_webhook_record(e->srv->store, j->delivery_id, &a,
	                             last ? SRV_DELIVERY_FAILED : SRV_DELIVERY_PENDING,
	                             retry_at(made), &st) != LS_OK) {
		srv_store_rollback(e->srv->store);
		return;
	}
	srv_store_commit(e->srv->store, &st);
}

static bool webhook_busy(const engine *e, int64_t webhook, int64_t delivery)
{
	for (int i = 0; i < e->n_slots; i++)
		if (e->slots[i].busy &&
		    (e->slots[i].webhook_id == webhook || e->slots[i].delivery_id == delivery))
			return true;
	return false;
}

static void on_timer(uv_timer_t *h)
{
	pump(h->data);
}

/* Loop thread, outside any transaction: starts what is due, as far as
 * slots allow, and sets the timer for what comes due next. */
static void pump(engine *e)
{
	if (e->stopping)
		return;
	srv_store *store = e->srv->store;
	if (srv_store_webhook_in_transaction(store)) {
		e->dirty = true;
		return;
	}
	/* Of several servers on one database, the one that runs the
	 * scheduler delivers; the others look again now and then, to take
	 * over when it is gone. */
	if (!srv_store_sched_turn(store)) {
		uv_timer_start(&e->timer, on_timer, OTHERS_TURN_MS, 0);
		return;
	}
	int free_slots = 0;
	for (int i = 0; i < e->n_slots; i++)
		free_slots += !e->slots[i].busy;
	int64_t now = now_ms();
	ls_status st;
	ls_status_clear(&st);
	if (free_slots > 0) {
		/* Rows of busy webhooks come back too: look past them. */
		int max = 4 * e->n_slots, n = 0;
		int64_t *ids = malloc((size_t)max * sizeof *ids);
		srv_webhook_job *j = malloc(sizeof *j);
		if (ids != NULL && j != NULL &&
		    srv_store_webhook_due(store, now, max, ids, &n, &st) != LS_OK)
			n = 0;
		for (int k = 0; k < n && free_slots > 0 && j != NULL; k++) {
			if (srv_store_webhook_job(store, ids[k], j, &st) != LS_OK ||
			    webhook_busy(e, j->webhook_id, j->delivery_id))
				continue;
			slot *s = NULL;
			for (int i = 0; i < e->n_slots && s == NULL; i++)
				if (!e->slots[i].busy)
					s = &e->slots[i];
			char why[SRV_WEBHOOK_ERROR_MAX];
			if (start(s, j, why, sizeof why))
				free_slots--;
			else
				fail_now(e, j, why);
		}
		free(ids);
		free(j);
	}
	/* What is due now but waits is started by the answers that free its
	 * slot or its webhook; the timer is for what comes due later. */
	int64_t next = srv_store_webhook_next_due(store);
	uint64_t wait = POLL_MAX_MS;
	if (next > now && (uint64_t)(next - now) < wait)
		wait = (uint64_t)(next - now);
	if (next >= 0 && next <= now && free_slots > 0)
		wait = 1000; /* due, yet not startable: an unreadable row; look again */
	uv_timer_start(&e->timer, on_timer, wait, 0);
}

static void on_written(void *arg)
{
	engine *e = arg;
	e->dirty = true;
}

/* After each turn of the loop: the batch that wrote delivery rows has
 * committed (or rolled back) by now. */
static void on_check(uv_check_t *h)
{
	engine *e = h->data;
	if (!e->dirty || srv_store_webhook_in_transaction(e->srv->store))
		return;
	e->dirty = false;
	pump(e);
}

int srv_webhook_start(srv_server *srv, ls_status *st)
{
	engine *e = calloc(1, sizeof *e);
	if (e == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	e->srv = srv;
	e->n_slots = cfg.concurrency;
	e->slots = calloc((size_t)e->n_slots, sizeof *e->slots);
	if (e->slots == NULL || uv_mutex_init(&e->mtx) != 0) {
		free(e->slots);
		free(e);
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "webhooks: out of memory");
	}
	for (int i = 0; i < e->n_slots; i++) {
		e->slots[i].e = e;
		if (nng_aio_alloc(&e->slots[i].aio, on_answer, &e->slots[i]) != 0) {
			for (int k = 0; k < i; k++)
				nng_aio_free(e->slots[k].aio);
			uv_mutex_destroy(&e->mtx);
			free(e->slots);
			free(e);
			return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "webhooks: out of memory");
		}
	}
	uv_async_init(srv->loop, &e->async, on_async);
	uv_timer_init(srv->loop, &e->timer);
	uv_check_init(srv->loop, &e->check);
	e->async.data = e->timer.data = e->check.data = e;
	uv_check_start(&e->check, on_check);
	srv_store_webhook_watch(srv->store, on_written, e);
	the_engine = e;
	e->dirty = true;
	uv_timer_start(&e->timer, on_timer, 0, 0);
	ls_info("webhooks: %d at once, %u ms per request, %d attempts from %u ms apart", e->n_slots,
	        cfg.timeout_ms, cfg.max_attempts, cfg.backoff_ms);
	return LS_OK;
}

static void on_closed(uv_handle_t *h)
{
	engine *e = h->data;
	if (--e->closing > 0)
		return;
	uv_mutex_destroy(&e->mtx);
	free(e->slots);
	free(e);
}

void srv_webhook_stop(srv_server *srv)
{
	engine *e = the_engine;
	if (e == NULL || e->srv != srv)
		return;
	the_engine = NULL;
	e->stopping = true;
	srv_store_webhook_watch(srv->store, NULL, NULL);
	/* Waits for each callback: after this no nng thread touches e. What
	 * was in flight stays pending in the database. */
	for (int i = 0; i < e->n_slots; i++)
		nng_aio_stop(e->slots[i].aio);
	for (int i = 0; i < e->n_slots; i++) {
		if (e->slots[i].busy)
			slot_release(&e->slots[i]);
		nng_aio_free(e->slots[i].aio);
	}
	e->done = NULL;
	e->closing = 3;
	uv_close((uv_handle_t *)&e->async, on_closed);
	uv_close((uv_handle_t *)&e->timer, on_closed);
	uv_close((uv_handle_t *)&e->check, on_closed);
}
