#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

static int no_stmt(ls_status *st)
{
	if (st != NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	return LS_INTERNAL;
}

static void bind_int64(srv_q *q, const char *name, int64_t v)
{
	int i = srv_bind_index(q, name);
	if (i > 0)
		srv_bind_int64(q, i, v);
}

static void bind_text(srv_q *q, const char *name, const char *v)
{
	int i = srv_bind_index(q, name);
	if (i > 0)
		srv_bind_text(q, i, v);
}

static const char *const kind_names[] = {
    [SRV_WEBHOOK_DINGTALK] = "dingtalk",
    [SRV_WEBHOOK_WECOM] = "wecom",
    [SRV_WEBHOOK_GENERIC] = "generic",
};

const char *srv_webhook_kind_name(int kind)
{
	if (kind < SRV_WEBHOOK_DINGTALK || kind > SRV_WEBHOOK_GENERIC)
		return NULL;
	return kind_names[kind];
}

static srv_webhook_kind kind_of(const char *name)
{
	for (int k = SRV_WEBHOOK_DINGTALK; k <= SRV_WEBHOOK_GENERIC; k++)
		if (strcmp(kind_names[k], name) == 0)
			return (srv_webhook_kind)k;
	return SRV_WEBHOOK_GENERIC;
}

static const char *const status_names[] = {
    [SRV_DELIVERY_PENDING] = "pending",
    [SRV_DELIVERY_DELIVERED] = "delivered",
    [SRV_DELIVERY_FAILED] = "failed",
    [SRV_DELIVERY_CANCELLED] = "cancelled",
};

static srv_delivery_status status_of(const char *name)
{
	for (int k = SRV_DELIVERY_PENDING; k <= SRV_DELIVERY_CANCELLED; k++)
		if (strcmp(status_names[k], name) == 0)
			return (srv_delivery_status)k;
	return SRV_DELIVERY_PENDING;
}

/* ---- webhooks -------------------------------------------------------------------- */

/* The columns of a webhook, read by read_webhook from column `at` on. */
#define WEBHOOK_COLS                                                                    \
	"w.id, w.recipient_kind, w.recipient_id, coalesce(u.id, pe.unit_id, 0), "       \
	"coalesce(u.code, pe.code, ''), coalesce(u.name, pe.name, ''), w.kind, w.url, " \
	"w.secret <> '', w.created_at, w.removed_at IS NOT NULL"
#define WEBHOOK_JOINS                                                               \
	" LEFT JOIN units u ON w.recipient_kind = 'unit' AND u.id = w.recipient_id" \
	" LEFT JOIN people pe ON w.recipient_kind = 'person' AND pe.id = w.recipient_id"
#define WEBHOOK_UNIT "coalesce(u.id, pe.unit_id)"

static void read_webhook(srv_q *q, int at, srv_webhook *w)
{
	memset(w, 0, sizeof *w);
	w->id = srv_col_int64(q, at);
	const char *rk = srv_col_text(q, at + 1);
	w->to.kind = rk && strcmp(rk, "person") == 0 ? SRV_RCPT_PERSON : SRV_RCPT_UNIT;
	w->to.id = srv_col_int64(q, at + 2);
	w->unit_id = srv_col_int64(q, at + 3);
	srv_column_text(w->to_code, sizeof w->to_code, q, at + 4);
	srv_column_text(w->to_name, sizeof w->to_name, q, at + 5);
	const char *k = srv_col_text(q, at + 6);
	w->kind = kind_of(k ? k : "");
	srv_column_text(w->url, sizeof w->url, q, at + 7);
	w->secret_set = srv_col_int(q, at + 8) != 0;
	srv_column_text(w->created_at, sizeof w->created_at, q, at + 9);
	w->removed = srv_col_int(q, at + 10) != 0;
}

static const char SQL_INSERT[] =
    "INSERT INTO webhooks(recipient_kind, recipient_id, kind, url, secret, created_at, "
    "created_by) VALUES (:rkind, :rid, :kind, :url, :secret, :now, nullif(:by, 0))";

int srv_store_webhook_insert(srv_store *s, const srv_recipient *to, srv_webhook_kind kind,
                             const char *url, const char *secret, const char *now, int64_t by,
                             int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_INSERT);
	if (q == NULL)
		return no_stmt(st);
	bind_text(q, ":rkind", srv_rcpt_kind_name(to->kind));
	bind_int64(q, ":rid", to->id);
	bind_text(q, ":kind", srv_webhook_kind_name(kind));
	bind_text(q, ":url", url);
	bind_text(q, ":secret", secret ? secret : "");
	bind_text(q, ":now", now);
	bind_int64(q, ":by", by);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "insert webhook", st);
	*id = srv_last_id(s);
	return LS_OK;
}

static const char SQL_DUPLICATE[] =
    "SELECT 1 FROM webhooks WHERE recipient_kind = :rkind AND recipient_id = :rid "
    "AND url = :url AND removed_at IS NULL";

bool srv_store_webhook_duplicate(srv_store *s, const srv_recipient *to, const char *url)
{
	srv_q *q = srv_stmt(s, SQL_DUPLICATE);
	if (q == NULL)
		return false;
	bind_text(q, ":rkind", srv_rcpt_kind_name(to->kind));
	bind_int64(q, ":rid", to->id);
	bind_text(q, ":url", url);
	bool dup = srv_step(q) == SRV_ROW;
	srv_stmt_done(q);
	return dup;
}

static const char SQL_GET[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks w" WEBHOOK_JOINS " WHERE w.id = :id";

int srv_store_webhook_get(srv_store *s, int64_t id, srv_webhook *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_GET);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_webhook(q, 0, out);
	srv_stmt_done(q);
	if (rc == SRV_DONE)
		return ls_status_field(st, LS_NOT_FOUND, "id", "no webhook has id %lld",
		                       (long long)id);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "read webhook", st);
	return LS_OK;
}

static const char SQL_LIST[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks w" WEBHOOK_JOINS
    " WHERE w.removed_at IS NULL AND " WEBHOOK_UNIT
    " IN " SRV_SUBTREE(":root") " AND (:unit = 0 OR " WEBHOOK_UNIT
                                " = :unit) AND w.id > :after ORDER BY w.id LIMIT :limit";

int srv_store_webhook_list(srv_store *s, int64_t root, int64_t unit, int64_t after, int limit,
                           void (*fn)(void *arg, const srv_webhook *w), void *arg, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LIST);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":root", root);
	bind_int64(q, ":unit", unit);
	bind_int64(q, ":after", after);
	bind_int64(q, ":limit", limit);
	int rc;
	srv_webhook w;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_webhook(q, 0, &w);
		fn(arg, &w);
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "list webhooks", st);
	return LS_OK;
}

static const char SQL_REMOVE[] =
    "UPDATE webhooks SET removed_at = :now WHERE id = :id AND removed_at IS NULL";
static const char SQL_CANCEL[] =
    "UPDATE webhook_deliveries SET status = 'cancelled', done_at = :now "
    "WHERE webhook_id = :id AND status = 'pending'";

int srv_store_webhook_remove(srv_store *s, int64_t id, const char *now, int *cancelled,
                             ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_REMOVE);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", id);
	bind_text(q, ":now", now);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "remove webhook", st);
	q = srv_stmt(s, SQL_CANCEL);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", id);
	bind_text(q, ":now", now);
	rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "cancel deliveries", st);
	*cancelled = (int)srv_changes(s);
	return LS_OK;
}

static const char SQL_TEST[] =
    "INSERT INTO webhook_deliveries(webhook_id, reminder_id, created_at) "
    "VALUES (:id, NULL, :now)";

int srv_store_webhook_test(srv_store *s, int64_t webhook, const char *now, int64_t *delivery,
                           ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_TEST);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", webhook);
	bind_text(q, ":now", now);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "queue test delivery", st);
	*delivery = srv_last_id(s);
	return LS_OK;
}

/* ---- deliveries -------------------------------------------------------------------- */

#define DELIVERY_COLS                                                                       \
	"d.id, coalesce(d.reminder_id, 0), d.status, d.attempts, d.next_at, d.created_at, " \
	"a.id IS NOT NULL, coalesce(a.at, ''), coalesce(a.http_status, 0), "                \
	"coalesce(a.error, ''), coalesce(a.elapsed_ms, 0), " WEBHOOK_COLS
#define DELIVERY_FROM                                                                     \
	" FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id" WEBHOOK_JOINS \
	" LEFT JOIN webhook_attempts a ON a.id = (SELECT max(id) FROM webhook_attempts"   \
	" WHERE delivery_id = d.id)"

static void read_delivery(srv_q *q, srv_webhook_delivery *d)
{
	memset(d, 0, sizeof *d);
	d->id = srv_col_int64(q, 0);
	d->reminder_id = srv_col_int64(q, 1);
	const char *status = srv_col_text(q, 2);
	d->status = status_of(status ? status : "");
	d->attempts = srv_col_int(q, 3);
	d->next_at = srv_col_int64(q, 4);
	srv_column_text(d->created_at, sizeof d->created_at, q, 5);
	d->has_last = srv_col_int(q, 6) != 0;
	srv_column_text(d->last.at, sizeof d->last.at, q, 7);
	d->last.http_status = srv_col_int(q, 8);
	srv_column_text(d->last.error, sizeof d->last.error, q, 9);
	d->last.elapsed_ms = srv_col_int64(q, 10);
	read_webhook(q, 11, &d->hook);
}

static const char SQL_DELIVERY[] = "SELECT " DELIVERY_COLS DELIVERY_FROM " WHERE d.id = :id";

int srv_store_webhook_delivery_get(srv_store *s, int64_t id, srv_webhook_delivery *out,
                                   ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_DELIVERY);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_delivery(q, out);
	srv_stmt_done(q);
	if (rc == SRV_DONE)
		return ls_status_field(st, LS_NOT_FOUND, "id", "no delivery has id %lld",
		                       (long long)id);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "read delivery", st);
	return LS_OK;
}

static const char SQL_ATTEMPTS[] =
    "SELECT at, coalesce(http_status, 0), coalesce(error, ''), elapsed_ms "
    "FROM webhook_attempts WHERE delivery_id = :id ORDER BY id";

int srv_store_webhook_attempts(srv_store *s, int64_t delivery,
                               void (*fn)(void *arg, const srv_webhook_attempt *a), void *arg,
                               ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ATTEMPTS);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", delivery);
	int rc;
	srv_webhook_attempt a;
	while ((rc = srv_step(q)) == SRV_ROW) {
		srv_column_text(a.at, sizeof a.at, q, 0);
		a.http_status = srv_col_int(q, 1);
		srv_column_text(a.error, sizeof a.error, q, 2);
		a.elapsed_ms = srv_col_int64(q, 3);
		fn(arg, &a);
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "list attempts", st);
	return LS_OK;
}

static const char SQL_FAILURES[] =
    "SELECT " DELIVERY_COLS DELIVERY_FROM " WHERE d.status = 'failed' AND " WEBHOOK_UNIT
    " IN " SRV_SUBTREE(":root") " AND (:before = 0 OR d.id < :before) "
                                "ORDER BY d.id DESC LIMIT :limit";

int srv_store_webhook_failures(srv_store *s, int64_t root, int64_t before, int limit,
                               void (*fn)(void *arg, const srv_webhook_delivery *d), void *arg,
                               ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_FAILURES);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":root", root);
	bind_int64(q, ":before", before);
	bind_int64(q, ":limit", limit);
	int rc;
	srv_webhook_delivery *d = malloc(sizeof *d);
	if (d == NULL) {
		srv_stmt_done(q);
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	}
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_delivery(q, d);
		fn(arg, d);
	}
	free(d);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "list failed deliveries", st);
	return LS_OK;
}

/* ---- the engine -------------------------------------------------------------------- */

static const char SQL_DUE[] =
    "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= :now "
    "ORDER BY next_at, id LIMIT :max";

int srv_store_webhook_due(srv_store *s, int64_t now_ms, int max, int64_t *ids, int *n,
                          ls_status *st)
{
	*n = 0;
	srv_q *q = srv_stmt(s, SQL_DUE);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":now", now_ms);
	bind_int64(q, ":max", max);
	int rc;
	while ((rc = srv_step(q)) == SRV_ROW && *n < max)
		ids[(*n)++] = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc != SRV_DONE && rc != SRV_ROW)
		return srv_store_error(s, rc, "due deliveries", st);
	return LS_OK;
}

static const char SQL_NEXT_DUE[] =
    "SELECT min(next_at) FROM webhook_deliveries WHERE status = 'pending'";

int64_t srv_store_webhook_next_due(srv_store *s)
{
	srv_q *q = srv_stmt(s, SQL_NEXT_DUE);
	if (q == NULL)
		return -1;
	int64_t next = -1;
	if (srv_step(q) == SRV_ROW && !srv_col_null(q, 0))
		next = srv_col_int64(q, 0);
	srv_stmt_done(q);
	return next;
}

/* The project a reminder is about, from its subject: a project, a node, a
 * problem or a rectification order. */
static const char SQL_JOB[] =
    "SELECT d.id, d.webhook_id, coalesce(d.reminder_id, 0), d.attempts, w.kind, w.url, "
    "w.secret, w.recipient_kind, coalesce(u.code, pe.code, ''), "
    "coalesce(u.name, pe.name, ''), coalesce(r.kind, ''), coalesce(r.subject_key, ''), "
    "coalesce(r.window_key, ''), coalesce(r.seq, 0), coalesce(r.text, ''), "
    "coalesce(r.created_at, d.created_at), coalesce(p.code, ''), coalesce(p.name, '') "
    "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id" WEBHOOK_JOINS
    " LEFT JOIN reminders r ON r.id = d.reminder_id"
    " LEFT JOIN projects p ON p.id = (CASE"
    " WHEN r.subject_key LIKE 'project:%' THEN CAST(substr(r.subject_key, 9) AS INTEGER)"
    " WHEN r.subject_key LIKE 'node:%' THEN (SELECT project_id FROM nodes"
    "  WHERE id = CAST(substr(r.subject_key, 6) AS INTEGER))"
    " WHEN r.subject_key LIKE 'problem:%' THEN (SELECT project_id FROM problems"
    "  WHERE id = CAST(substr(r.subject_key, 9) AS INTEGER))"
    " WHEN r.subject_key LIKE 'rectification:%' THEN (SELECT i.project_id FROM rectifications"
    "  rc JOIN inspections i ON i.id = rc.inspection_id"
    "  WHERE rc.id = CAST(substr(r.subject_key, 15) AS INTEGER))"
    " END)"
    " WHERE d.id = :id AND d.status = 'pending'";

int srv_store_webhook_job(srv_store *s, int64_t id, srv_webhook_job *j, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_JOB);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", id);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		memset(j, 0, sizeof *j);
		j->delivery_id = srv_col_int64(q, 0);
		j->webhook_id = srv_col_int64(q, 1);
		j->reminder_id = srv_col_int64(q, 2);
		j->attempts = srv_col_int(q, 3);
		const char *k = srv_col_text(q, 4);
		j->kind = kind_of(k ? k : "");
		srv_column_text(j->url, sizeof j->url, q, 5);
		srv_column_text(j->secret, sizeof j->secret, q, 6);
		const char *rk = srv_col_text(q, 7);
		j->to_kind = rk && strcmp(rk, "person") == 0 ? SRV_RCPT_PERSON : SRV_RCPT_UNIT;
		srv_column_text(j->to_code, sizeof j->to_code, q, 8);
		srv_column_text(j->to_name, sizeof j->to_name, q, 9);
		srv_column_text(j->r_kind, sizeof j->r_kind, q, 10);
		srv_column_text(j->subject, sizeof j->subject, q, 11);
		srv_column_text(j->window, sizeof j->window, q, 12);
		j->seq = srv_col_int64(q, 13);
		srv_column_text(j->text, sizeof j->text, q, 14);
		srv_column_text(j->created_at, sizeof j->created_at, q, 15);
		srv_column_text(j->project_code, sizeof j->project_code, q, 16);
		srv_column_text(j->project_name, sizeof j->project_name, q, 17);
	}
	srv_stmt_done(q);
	if (rc == SRV_DONE)
		return ls_status_set(st, LS_NOT_FOUND, "delivery %lld is not pending",
		                     (long long)id);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "read delivery job", st);
	return LS_OK;
}

static const char SQL_ATTEMPT[] =
    "INSERT INTO webhook_attempts(delivery_id, at, http_status, error, elapsed_ms) "
    "VALUES (:id, :at, nullif(:http, 0), nullif(:error, ''), :elapsed)";
static const char SQL_OUTCOME[] =
    "UPDATE webhook_deliveries SET attempts = attempts + 1, status = :status, "
    "next_at = :next, done_at = CASE WHEN :status = 'pending' THEN NULL ELSE :at END "
    "WHERE id = :id AND status = 'pending'";

int srv_store_webhook_record(srv_store *s, int64_t delivery, const srv_webhook_attempt *a,
                             srv_delivery_status status, int64_t next_at, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ATTEMPT);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", delivery);
	bind_text(q, ":at", a->at);
	bind_int64(q, ":http", a->http_status);
	bind_text(q, ":error", a->error);
	bind_int64(q, ":elapsed", a->elapsed_ms);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "record attempt", st);
	q = srv_stmt(s, SQL_OUTCOME);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":id", delivery);
	bind_text(q, ":status", status_names[status]);
	bind_int64(q, ":next", next_at);
	bind_text(q, ":at", a->at);
	rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "record delivery outcome", st);
	return LS_OK;
}

/* ---- noticing new deliveries ------------------------------------------------------- */

typedef struct watcher {
	void (*fn)(void *arg);
	void *arg;
} watcher;

static void on_update(void *arg, int op, const char *db, const char *table, sqlite3_int64 row)
{
	(void)db;
	(void)row;
	watcher *w = arg;
	if (op == SQLITE_INSERT && strcmp(table, "webhook_deliveries") == 0)
		w->fn(w->arg);
}

void srv_store_webhook_watch(srv_store *s, void (*fn)(void *arg), void *arg)
{
	/* PostgreSQL has no update hook: every commit that changed rows calls
	 * fn instead (srv_store_commit). */
	if (s->pg != NULL) {
		s->on_commit_changes = fn;
		s->on_commit_arg = arg;
		return;
	}
	watcher *w = NULL;
	if (fn != NULL) {
		w = malloc(sizeof *w);
		/* Without the hook, new deliveries wait for the engine's poll. */
		if (w == NULL)
			return;
		w->fn = fn;
		w->arg = arg;
	}
	void *old = sqlite3_update_hook(s->db, w ? on_update : NULL, w);
	free(old);
}

bool srv_store_webhook_in_transaction(srv_store *s)
{
	return srv_in_transaction(s);
}
