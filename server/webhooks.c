/* WebhookService: the robots a unit's (or a person's) reminders are
 * posted to, and what became of the posts. Admin only, within its scope:
 * a webhook belongs to the unit it posts for (a person's, to the person's
 * unit). The posting itself is webhook_deliver.c's. */
#include "luoshi/v1/webhook.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>

#include "server.h"
#include "store/registry.h"
#include "store/webhooks.h"
#include "webhook_deliver.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define MASKED_MAX (SRV_WEBHOOK_URL_MAX + 64)

_Static_assert((int)SRV_WEBHOOK_GENERIC == (int)LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_GENERIC,
               "srv_webhook_kind follows luoshi.v1.WebhookKind");
_Static_assert((int)SRV_DELIVERY_CANCELLED ==
                   (int)LUOSHI__V1__DELIVERY_STATUS__DELIVERY_STATUS_CANCELLED,
               "srv_delivery_status follows luoshi.v1.DeliveryStatus");

/* The URL without the values of its query: a robot's access token is as
 * good as a password. The fragment goes too. */
static void mask_url(const char *url, char out[MASKED_MAX])
{
	size_t o = 0;
	const char *q = strchr(url, '?');
	size_t head = q ? (size_t)(q - url) : strcspn(url, "#");
	if (head > SRV_WEBHOOK_URL_MAX)
		head = SRV_WEBHOOK_URL_MAX;
	memcpy(out, url, head);
	o = head;
	if (q != NULL) {
		const char *p = q + 1;
		out[o++] = '?';
		while (*p != '\0' && *p != '#' && o + 8 < MASKED_MAX) {
			size_t name = strcspn(p, "=&#");
			if (o + name + 8 >= MASKED_MAX)
				break;
			memcpy(out + o, p, name);
			o += name;
			p += name;
			if (*p == '=') {
				p += 1 + strcspn(p + 1, "&#");
				memcpy(out + o, "=***", 4);
				o += 4;
			}
			if (*p == '&') {
				out[o++] = '&';
				p++;
			}
		}
	}
	out[o] = '\0';
}

typedef struct webhook_buf {
	Luoshi__V1__Webhook msg;
	char url[MASKED_MAX];
} webhook_buf;

/* Fills b from w; b points into w, so w must outlive b. */
static void webhook_to_proto(const srv_webhook *w, webhook_buf *b)
{
	Luoshi__V1__Webhook *m = &b->msg;
	luoshi__v1__webhook__init(m);
	m->has_id = true;
	m->id = w->id;
	m->has_kind = true;
	m->kind = (Luoshi__V1__WebhookKind)w->kind;
	mask_url(w->url, b->url);
	m->url = b->url;
	m->has_secret_set = true;
	m->secret_set = w->secret_set;
	m->has_recipient_kind = true;
	m->recipient_kind = (Luoshi__V1__RecipientKind)w->to.kind;
	m->recipient_code = (char *)w->to_code;
	m->recipient_name = (char *)w->to_name;
	m->created_at = (char *)w->created_at;
}

typedef struct delivery_buf {
	Luoshi__V1__WebhookDelivery msg;
	Luoshi__V1__WebhookAttempt last;
	char key[64];
	char next[32];
	char url[MASKED_MAX];
} delivery_buf;

static void attempt_to_proto(const srv_webhook_attempt *a, Luoshi__V1__WebhookAttempt *m)
{
	luoshi__v1__webhook_attempt__init(m);
	m->at = (char *)a->at;
	if (a->http_status > 0) {
		m->has_http_status = true;
		m->http_status = (uint32_t)a->http_status;
	}
	if (a->error[0] != '\0')
		m->error = (char *)a->error;
	m->has_elapsed_ms = true;
	m->elapsed_ms = (uint32_t)(a->elapsed_ms < 0 ? 0 : a->elapsed_ms);
}

/* Unix milliseconds as srv_now_iso writes times. */
static void iso_of_ms(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char zone[8];
	localtime_r(&t, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	snprintf(buf + n, 32 - n, "%.3s:%.2s", zone, zone + 3);
}

static void delivery_to_proto(const srv_webhook_delivery *d, delivery_buf *b)
{
	Luoshi__V1__WebhookDelivery *m = &b->msg;
	luoshi__v1__webhook_delivery__init(m);
	m->has_id = true;
	m->id = d->id;
	m->has_webhook_id = true;
	m->webhook_id = d->hook.id;
	if (d->reminder_id > 0) {
		m->has_reminder_id = true;
		m->reminder_id = d->reminder_id;
	}
	srv_webhook_idempotency_key(d->id, d->reminder_id, d->hook.id, b->key);
	m->idempotency_key = b->key;
	m->has_status = true;
	m->status = (Luoshi__V1__DeliveryStatus)d->status;
	m->has_attempts = true;
	m->attempts = (uint32_t)d->attempts;
	m->created_at = (char *)d->created_at;
	if (d->status == SRV_DELIVERY_PENDING) {
		if (d->next_at > 0)
			iso_of_ms(d->next_at, b->next);
		else
			srv_now_iso(b->next);
		m->next_attempt_at = b->next;
	}
	if (d->has_last) {
		attempt_to_proto(&d->last, &b->last);
		m->last = &b->last;
	}
	m->recipient_code = (char *)d->hook.to_code;
	m->recipient_name = (char *)d->hook.to_name;
	m->has_kind = true;
	m->kind = (Luoshi__V1__WebhookKind)d->hook.kind;
	mask_url(d->hook.url, b->url);
	m->url = b->url;
}

/* ---- validation ------------------------------------------------------------------------ */

static bool has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int check_url(srv_call *c, const char *url)
{
	if (url == NULL || url[0] == '\0')
		return srv_fail(c, LS_INVALID_ARGUMENT, "url", "url is required");
	if (strlen(url) > SRV_WEBHOOK_URL_MAX)
		return srv_fail(c, LS_INVALID_ARGUMENT, "url", "url is longer than %d bytes",
		                SRV_WEBHOOK_URL_MAX);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, "url",
		                "url must start with https:// (or http://)");
	if (has_control(url) || strchr(url, ' ') != NULL)
		return srv_fail(c, LS_INVALID_ARGUMENT, "url",
		                "url holds spaces or control characters");
	nng_url *u = NULL;
	int rv = nng_url_parse(&u, url);
	bool host = rv == 0 && u->u_hostname != NULL && u->u_hostname[0] != '\0';
	if (u != NULL)
		nng_url_free(u);
	if (!host)
		return srv_fail(c, LS_INVALID_ARGUMENT, "url", "url is not a URL with a host");
	return LS_OK;
}

/* The webhook's owner named by the request: the unit or the person, in the
 * admin's scope. */
static int owner_of(srv_call *c, const char *unit, const char *person, srv_recipient *to)
{
	bool has_unit = unit != NULL && unit[0] != '\0';
	bool has_person = person != NULL && person[0] != '\0';
	if (!has_unit && !has_person)
		return srv_fail(c, LS_INVALID_ARGUMENT, "unit",
		                "unit is required (or person, for a person's webhook)");
	if (has_unit && has_person)
		return srv_fail(c, LS_INVALID_ARGUMENT, "person",
		                "give either unit or person, "
		                "not both");
	srv_store *s = c->srv->store;
	int64_t id, unit_id;
	const char *field = has_unit ? "unit" : "person";
	if (srv_store_resolve(s, has_unit ? SRV_UNIT : SRV_PERSON, has_unit ? unit : person, field,
	                      &id, &c->status) != LS_OK)
		return c->status.code;
	unit_id = id;
	if (has_person) {
		srv_person p;
		if (srv_store_registry_person_get(s, id, &p) != LS_OK)
			return srv_fail(c, LS_INTERNAL, NULL, "person %" PRId64 " cannot be read",
			                id);
		unit_id = p.unit_id;
	}
	if (!srv_store_unit_within(s, unit_id, srv_call_scope(c)->root))
		return srv_fail(c, LS_PERMISSION_DENIED, field, "%s \"%s\" lies outside your scope",
		                field, has_unit ? unit : person);
	*to = (srv_recipient){has_unit ? SRV_RCPT_UNIT : SRV_RCPT_PERSON, id};
	return LS_OK;
}

/* Webhook id as the caller may see it: in use and within its scope. */
static int visible_webhook(srv_call *c, bool has_id, int64_t id, srv_webhook *w)
{
	if (!has_id || id <= 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, "id", "id is required and positive");
	ls_status st;
	if (srv_store_webhook_get(c->srv->store, id, w, &st) != LS_OK || w->removed ||
	    !srv_store_unit_within(c->srv->store, w->unit_id, srv_call_scope(c)->root))
		return srv_fail(c, LS_NOT_FOUND, "id", "no webhook has id %" PRId64, id);
	return LS_OK;
}

static int page_args(srv_call *c, bool has_size, uint32_t size_in, const char *token, int *size,
                     int64_t *after)
{
	*size =
	    has_size && size_in > 0 ? (int)(size_in > PAGE_MAX ? PAGE_MAX : size_in) : PAGE_DEFAULT;
	*after = 0;
	if (token != NULL && token[0] != '\0') {
		char *end;
		long long v = strtoll(token, &end, 10);
		if (*end != '\0' || v <= 0)
			return srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
			                "page_token is not one this server gave");
		*after = v;
	}
	return LS_OK;
}

/* ---- the handlers ------------------------------------------------------------------------ */

static void webhook_add_webhook(Luoshi__V1__WebhookService_Service *svc,
                                const Luoshi__V1__AddWebhookRequest *in,
                                Luoshi__V1__AddWebhookResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (!in->has_kind || srv_webhook_kind_name((int)in->kind) == NULL) {
		srv_fail(c, LS_INVALID_ARGUMENT, "kind",
		         "kind is required: WEBHOOK_KIND_DINGTALK, WEBHOOK_KIND_WECOM or "
		         "WEBHOOK_KIND_GENERIC");
		return;
	}
	if (check_url(c, in->url) != LS_OK)
		return;
	const char *secret = in->secret ? in->secret : "";
	if (strlen(secret) > SRV_WEBHOOK_SECRET_MAX) {
		srv_fail(c, LS_INVALID_ARGUMENT, "secret", "secret is longer than %d bytes",
		         SRV_WEBHOOK_SECRET_MAX);
		return;
	}
	if (has_control(secret)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "secret", "secret holds control characters");
		return;
	}
	if (secret[0] != '\0' && in->kind == LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_WECOM) {
		srv_fail(c, LS_INVALID_ARGUMENT, "secret",
		         "a WeCom robot takes no secret: its key is in the url");
		return;
	}
	srv_recipient to;
	if (owner_of(c, in->unit, in->person, &to) != LS_OK)
		return;
	if (srv_store_webhook_duplicate(s, &to, in->url)) {
		srv_fail(c, LS_ALREADY_EXISTS, "url", "this %s already posts to this url",
		         srv_rcpt_kind_name(to.kind));
		return;
	}
	char now[32];
	int64_t id;
	srv_now_iso(now);
	srv_webhook w;
	if (srv_store_webhook_insert(s, &to, (srv_webhook_kind)in->kind, in->url, secret, now,
	                             c->caller->id, &id, &c->status) != LS_OK ||
	    srv_store_webhook_get(s, id, &w, &c->status) != LS_OK)
		return;
	webhook_buf b;
	webhook_to_proto(&w, &b);
	if (srv_audit(c, "webhook", id, 0, NULL, &b.msg.base) != LS_OK)
		return;
	Luoshi__V1__AddWebhookResponse out = LUOSHI__V1__ADD_WEBHOOK_RESPONSE__INIT;
	out.webhook = &b.msg;
	done(&out, arg);
}

typedef struct webhook_page {
	srv_webhook *rows;
	int n, cap;
} webhook_page;

static void collect_webhook(void *arg, const srv_webhook *w)
{
	webhook_page *p = arg;
	if (p->n < p->cap)
		p->rows[p->n++] = *w;
}

static void webhook_list_webhooks(Luoshi__V1__WebhookService_Service *svc,
                                  const Luoshi__V1__ListWebhooksRequest *in,
                                  Luoshi__V1__ListWebhooksResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	int size;
	int64_t after, unit = 0, root = srv_call_scope(c)->root;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &after) != LS_OK)
		return;
	if (in->unit != NULL && in->unit[0] != '\0') {
		if (srv_store_resolve(s, SRV_UNIT, in->unit, "unit", &unit, &c->status) != LS_OK)
			return;
		if (!srv_store_unit_within(s, unit, root)) {
			srv_fail(c, LS_PERMISSION_DENIED, "unit",
			         "unit \"%s\" lies outside your scope", in->unit);
			return;
		}
	}
	webhook_page p = {.cap = size + 1};
	p.rows = malloc((size_t)p.cap * sizeof *p.rows);
	webhook_buf *bufs = malloc((size_t)p.cap * sizeof *bufs);
	Luoshi__V1__Webhook **ptrs = malloc((size_t)p.cap * sizeof *ptrs);
	if (p.rows == NULL || bufs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_webhook_list(s, root, unit, after, p.cap, collect_webhook, &p, &c->status) !=
	    LS_OK)
		goto out;
	int shown = p.n > size ? size : p.n;
	for (int i = 0; i < shown; i++) {
		webhook_to_proto(&p.rows[i], &bufs[i]);
		ptrs[i] = &bufs[i].msg;
	}
	Luoshi__V1__ListWebhooksResponse resp = LUOSHI__V1__LIST_WEBHOOKS_RESPONSE__INIT;
	resp.n_webhooks = (size_t)shown;
	resp.webhooks = ptrs;
	char next[24];
	if (p.n > size) {
		snprintf(next, sizeof next, "%" PRId64, p.rows[size - 1].id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(p.rows);
	free(bufs);
	free(ptrs);
}

static void webhook_remove_webhook(Luoshi__V1__WebhookService_Service *svc,
                                   const Luoshi__V1__RemoveWebhookRequest *in,
                                   Luoshi__V1__RemoveWebhookResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_webhook w;
	if (visible_webhook(c, in->has_id, in->id, &w) != LS_OK)
		return;
	char now[32];
	int cancelled = 0;
	srv_now_iso(now);
	if (srv_store_webhook_remove(c->srv->store, w.id, now, &cancelled, &c->status) != LS_OK)
		return;
	webhook_buf b;
	webhook_to_proto(&w, &b);
	if (srv_audit(c, "webhook", w.id, 0, &b.msg.base, NULL) != LS_OK)
		return;
	Luoshi__V1__RemoveWebhookResponse out = LUOSHI__V1__REMOVE_WEBHOOK_RESPONSE__INIT;
	out.webhook = &b.msg;
	out.has_cancelled = true;
	out.cancelled = (uint32_t)cancelled;
	done(&out, arg);
}

static void webhook_test_webhook(Luoshi__V1__WebhookService_Service *svc,
                                 const Luoshi__V1__TestWebhookRequest *in,
                                 Luoshi__V1__TestWebhookResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_webhook w;
	if (visible_webhook(c, in->has_id, in->id, &w) != LS_OK)
		return;
	char now[32];
	int64_t id;
	srv_now_iso(now);
	srv_webhook_delivery *d = malloc(sizeof *d);
	delivery_buf *b = malloc(sizeof *b);
	if (d == NULL || b == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_webhook_test(s, w.id, now, &id, &c->status) != LS_OK ||
	    srv_store_webhook_delivery_get(s, id, d, &c->status) != LS_OK)
		goto out;
	delivery_to_proto(d, b);
	if (srv_audit(c, "webhook_delivery", id, 0, NULL, &b->msg.base) != LS_OK)
		goto out;
	Luoshi__V1__TestWebhookResponse resp = LUOSHI__V1__TEST_WEBHOOK_RESPONSE__INIT;
	resp.delivery = &b->msg;
	done(&resp, arg);
out:
	free(d);
	free(b);
}

typedef struct attempts {
	srv_webhook_attempt *v;
	size_t n, cap;
	bool oom;
} attempts;

static void collect_attempt(void *arg, const srv_webhook_attempt *a)
{
	attempts *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		srv_webhook_attempt *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL) {
			l->oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *a;
}

static void webhook_get_delivery(Luoshi__V1__WebhookService_Service *svc,
                                 const Luoshi__V1__GetDeliveryRequest *in,
                                 Luoshi__V1__GetDeliveryResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (!in->has_id || in->id <= 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "id", "id is required and positive");
		return;
	}
	srv_webhook_delivery *d = malloc(sizeof *d);
	delivery_buf *b = malloc(sizeof *b);
	attempts l = {0};
	Luoshi__V1__WebhookAttempt *msgs = NULL, **ptrs = NULL;
	ls_status st;
	if (d == NULL || b == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_webhook_delivery_get(s, in->id, d, &st) != LS_OK ||
	    !srv_store_unit_within(s, d->hook.unit_id, srv_call_scope(c)->root)) {
		srv_fail(c, LS_NOT_FOUND, "id", "no delivery has id %" PRId64, in->id);
		goto out;
	}
	if (srv_store_webhook_attempts(s, d->id, collect_attempt, &l, &c->status) != LS_OK)
		goto out;
	msgs = calloc(l.n + 1, sizeof *msgs);
	ptrs = calloc(l.n + 1, sizeof *ptrs);
	if (l.oom || msgs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	delivery_to_proto(d, b);
	for (size_t i = 0; i < l.n; i++) {
		attempt_to_proto(&l.v[i], &msgs[i]);
		ptrs[i] = &msgs[i];
	}
	b->msg.n_history = l.n;
	b->msg.history = ptrs;
	Luoshi__V1__GetDeliveryResponse resp = LUOSHI__V1__GET_DELIVERY_RESPONSE__INIT;
	resp.delivery = &b->msg;
	done(&resp, arg);
out:
	free(l.v);
	free(msgs);
	free(ptrs);
	free(d);
	free(b);
}

typedef struct delivery_page {
	srv_webhook_delivery *rows;
	int n, cap;
} delivery_page;

static void collect_delivery(void *arg, const srv_webhook_delivery *d)
{
	delivery_page *p = arg;
	if (p->n < p->cap)
		p->rows[p->n++] = *d;
}

static void webhook_list_failures(Luoshi__V1__WebhookService_Service *svc,
                                  const Luoshi__V1__ListFailuresRequest *in,
                                  Luoshi__V1__ListFailuresResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	int size;
	int64_t before;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &before) != LS_OK)
		return;
	delivery_page p = {.cap = size + 1};
	p.rows = malloc((size_t)p.cap * sizeof *p.rows);
	delivery_buf *bufs = malloc((size_t)p.cap * sizeof *bufs);
	Luoshi__V1__WebhookDelivery **ptrs = malloc((size_t)p.cap * sizeof *ptrs);
	if (p.rows == NULL || bufs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_webhook_failures(c->srv->store, srv_call_scope(c)->root, before, p.cap,
	                               collect_delivery, &p, &c->status) != LS_OK)
		goto out;
	int shown = p.n > size ? size : p.n;
	for (int i = 0; i < shown; i++) {
		delivery_to_proto(&p.rows[i], &bufs[i]);
		ptrs[i] = &bufs[i].msg;
	}
	Luoshi__V1__ListFailuresResponse resp = LUOSHI__V1__LIST_FAILURES_RESPONSE__INIT;
	resp.n_deliveries = (size_t)shown;
	resp.deliveries = ptrs;
	char next[24];
	if (p.n > size) {
		snprintf(next, sizeof next, "%" PRId64, p.rows[size - 1].id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(p.rows);
	free(bufs);
	free(ptrs);
}

static Luoshi__V1__WebhookService_Service webhooks = LUOSHI__V1__WEBHOOK_SERVICE__INIT(webhook_);

ProtobufCService *srv_webhook_service(void)
{
	return &webhooks.base;
}
