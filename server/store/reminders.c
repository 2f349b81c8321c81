#include "reminders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "store_int.h"

static int no_stmt(ls_status *st)
{
	if (st != NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	return LS_INTERNAL;
}

static int oom(ls_status *st)
{
	if (st != NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	return LS_RESOURCE_EXHAUSTED;
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

const char *srv_rcpt_kind_name(srv_rcpt_kind k)
{
	return k == SRV_RCPT_PERSON ? "person" : "unit";
}

static void bind_recipient(srv_q *q, const srv_recipient *to)
{
	bind_text(q, ":rkind", srv_rcpt_kind_name(to->kind));
	bind_int64(q, ":rid", to->id);
}

/* Runs q, bound, which gives at most one row with one integer; *v keeps its
 * value when there is no row. Resets q. */
static int one_int(srv_store *s, srv_q *q, const char *what, int64_t *v, bool *found, ls_status *st)
{
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*v = srv_col_int64(q, 0);
	if (found != NULL)
		*found = rc == SRV_ROW;
	srv_stmt_done(q);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, what, st);
	return LS_OK;
}

/* ---- the inbox --------------------------------------------------------------- */

/* The seq is taken inside the statement, so that no other write can come
 * between reading the newest number and using it. */
static const char SQL_ADD[] =
    "INSERT INTO reminders(recipient_kind, recipient_id, seq, kind, subject_key, window_key, "
    "text, created_at, created_by) "
    "SELECT :rkind, :rid, coalesce(max(seq), 0) + 1, :kind, :subject, :window, :text, :now, "
    "nullif(:by, 0) FROM reminders WHERE recipient_kind = :rkind AND recipient_id = :rid "
    "ON CONFLICT (kind, subject_key, recipient_kind, recipient_id, window_key) DO NOTHING "
    "RETURNING seq";

int srv_store_reminder_add(srv_store *s, const srv_recipient *to, const char *kind,
                           const char *subject, const char *window, const char *text,
                           const char *now, int64_t created_by, int64_t *seq, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ADD);
	if (q == NULL)
		return no_stmt(st);
	bind_recipient(q, to);
	bind_text(q, ":kind", kind);
	bind_text(q, ":subject", subject);
	bind_text(q, ":window", window);
	bind_text(q, ":text", text);
	bind_text(q, ":now", now);
	bind_int64(q, ":by", created_by);
	*seq = 0;
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		*seq = srv_col_int64(q, 0);
		rc = srv_step(q);
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "add reminder", st);
	return LS_OK;
}

static const char SQL_LATEST[] = "SELECT coalesce(max(seq), 0) FROM reminders "
                                 "WHERE recipient_kind = :rkind AND recipient_id = :rid";

int srv_store_reminder_latest(srv_store *s, const srv_recipient *to, int64_t *seq, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LATEST);
	if (q == NULL)
		return no_stmt(st);
	bind_recipient(q, to);
	*seq = 0;
	return one_int(s, q, "latest reminder", seq, NULL, st);
}

static const char SQL_NEXT_ID[] = "SELECT coalesce(max(id), 0) + 1 FROM reminders";

int srv_store_reminder_next_id(srv_store *s, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_NEXT_ID);
	if (q == NULL)
		return no_stmt(st);
	*id = 1;
	return one_int(s, q, "next reminder id", id, NULL, st);
}

/* A recipient that is not asked for is bound as id 0, which no row has. */
static const char SQL_LIST[] =
    "SELECT r.id, r.recipient_kind, r.recipient_id, coalesce(u.code, pe.code, ''), "
    "coalesce(u.name, pe.name, ''), r.seq, r.kind, r.subject_key, r.window_key, r.text, "
    "r.created_at FROM reminders r "
    "LEFT JOIN units u ON r.recipient_kind = 'unit' AND u.id = r.recipient_id "
    "LEFT JOIN people pe ON r.recipient_kind = 'person' AND pe.id = r.recipient_id "
    "WHERE r.id > :after_id AND ("
    "(r.recipient_kind = 'unit' AND r.recipient_id = :unit AND r.seq > :unit_after) OR "
    "(r.recipient_kind = 'person' AND r.recipient_id = :person AND r.seq > :person_after)) "
    "ORDER BY r.id LIMIT :limit";

int srv_store_reminder_list(srv_store *s, const srv_inbox_query *iq,
                            void (*fn)(void *arg, const srv_reminder *r), void *arg, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LIST);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_int64(q, ":after_id", iq->after_id);
	bind_int64(q, ":unit", 0);
	bind_int64(q, ":person", 0);
	for (int i = 0; i < iq->n_to && i < 2; i++) {
		bool unit = iq->to[i].kind == SRV_RCPT_UNIT;
		bind_int64(q, unit ? ":unit" : ":person", iq->to[i].id);
		bind_int64(q, unit ? ":unit_after" : ":person_after", iq->after_seq[i]);
	}
	bind_int64(q, ":limit", iq->limit);
	srv_reminder *r = malloc(sizeof *r);
	if (r == NULL) {
		srv_stmt_done(q);
		oom(st);
		return -1;
	}
	int n = 0, rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		memset(r, 0, sizeof *r);
		r->id = srv_col_int64(q, 0);
		const char *k = srv_col_text(q, 1);
		r->to.kind =
		    k && strcmp((const char *)k, "person") == 0 ? SRV_RCPT_PERSON : SRV_RCPT_UNIT;
		r->to.id = srv_col_int64(q, 2);
		srv_column_text(r->to_code, sizeof r->to_code, q, 3);
		srv_column_text(r->to_name, sizeof r->to_name, q, 4);
		r->seq = srv_col_int64(q, 5);
		srv_column_text(r->kind, sizeof r->kind, q, 6);
		srv_column_text(r->subject, sizeof r->subject, q, 7);
		srv_column_text(r->window, sizeof r->window, q, 8);
		srv_column_text(r->text, sizeof r->text, q, 9);
		srv_column_text(r->created_at, sizeof r->created_at, q, 10);
		fn(arg, r);
		n++;
	}
	free(r);
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list reminders", st);
		return -1;
	}
	return n;
}

static const char SQL_UNIT[] = "SELECT code, name, id FROM units WHERE id = :rid";
static const char SQL_PERSON[] = "SELECT code, name, unit_id FROM people WHERE id = :rid";

int srv_store_reminder_recipient(srv_store *s, const srv_recipient *to, char code[64],
                                 char name[256], int64_t *unit, ls_status *st)
{
	srv_q *q = srv_stmt(s, to->kind == SRV_RCPT_PERSON ? SQL_PERSON : SQL_UNIT);
	if (q == NULL)
		return no_stmt(st);
	bind_recipient(q, to);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		srv_column_text(code, 64, q, 0);
		srv_column_text(name, 256, q, 1);
		*unit = srv_col_int64(q, 2);
	}
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read recipient", st);
	return LS_NOT_FOUND;
}

/* ---- read cursors -------------------------------------------------------------- */

static const char SQL_CURSOR[] =
    "SELECT acked_seq FROM reminder_cursors "
    "WHERE account_id = :account AND recipient_kind = :rkind AND recipient_id = :rid";

int srv_store_reminder_cursor(srv_store *s, int64_t account, const srv_recipient *to,
                              int64_t *acked, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_CURSOR);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":account", account);
	bind_recipient(q, to);
	*acked = 0;
	return one_int(s, q, "read cursor", acked, NULL, st);
}

static const char SQL_ADVANCE[] =
    "INSERT INTO reminder_cursors(account_id, recipient_kind, recipient_id, acked_seq) "
    "VALUES (:account, :rkind, :rid, :seq) "
    "ON CONFLICT (account_id, recipient_kind, recipient_id) "
    "DO UPDATE SET acked_seq = excluded.acked_seq WHERE excluded.acked_seq > reminder_cursors.acked_seq";

int srv_store_reminder_cursor_advance(srv_store *s, int64_t account, const srv_recipient *to,
                                      int64_t seq, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ADVANCE);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":account", account);
	bind_recipient(q, to);
	bind_int64(q, ":seq", seq);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "advance cursor", st);
	return LS_OK;
}

/* ---- notice recipients ---------------------------------------------------------- */

/* Runs q, bound, collecting its first column as recipients of kind k. */
static int collect(srv_store *s, srv_q *q, srv_rcpt_kind k, srv_recipient **out, size_t *n,
                   ls_status *st)
{
	srv_recipient *v = NULL;
	size_t len = 0, cap = 0;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (len == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			srv_recipient *nv = realloc(v, ncap * sizeof *nv);
			if (nv == NULL) {
				srv_stmt_done(q);
				free(v);
				return oom(st);
			}
			v = nv;
			cap = ncap;
		}
		v[len].kind = k;
		v[len].id = srv_col_int64(q, 0);
		len++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		free(v);
		return srv_store_error(s, rc, "list recipients", st);
	}
	*out = v;
	*n = len;
	return LS_OK;
}

static const char SQL_ROLE_UNITS[] =
    "SELECT DISTINCT a.unit_id FROM accounts a JOIN units u ON u.id = a.unit_id "
    "WHERE a.role = :role AND a.revoked_at IS NULL AND u.active = 1 AND a.unit_id IN " SRV_SUBTREE(
        ":root") " ORDER BY a.unit_id";
static const char SQL_ROLE_PERSONS[] =
    "SELECT DISTINCT a.person_id FROM accounts a JOIN people pe ON pe.id = a.person_id "
    "WHERE a.role = :role AND a.revoked_at IS NULL AND pe.active = 1 AND pe.unit_id IN " SRV_SUBTREE(
        ":root") " ORDER BY a.person_id";

int srv_store_reminder_role_recipients(srv_store *s, srv_role role, int64_t root,
                                       srv_recipient **out, size_t *n, ls_status *st)
{
	bool persons = role == SRV_ROLE_LEADER;
	srv_q *q = srv_stmt(s, persons ? SQL_ROLE_PERSONS : SQL_ROLE_UNITS);
	if (q == NULL)
		return no_stmt(st);
	bind_text(q, ":role", srv_role_name(role));
	bind_int64(q, ":root", root);
	return collect(s, q, persons ? SRV_RCPT_PERSON : SRV_RCPT_UNIT, out, n, st);
}

static const char SQL_ALL_UNITS[] =
    "SELECT id FROM units WHERE active = 1 AND id IN " SRV_SUBTREE(":root") " ORDER BY id";

int srv_store_reminder_all_units(srv_store *s, int64_t root, srv_recipient **out, size_t *n,
                                 ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ALL_UNITS);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":root", root);
	return collect(s, q, SRV_RCPT_UNIT, out, n, st);
}

/* ---- the scheduler's state ----------------------------------------------------- */

static const char SQL_LAST_RUN[] = "SELECT last_run FROM scheduler_state WHERE rule = :rule";

int srv_store_sched_last_run(srv_store *s, const char *rule, int64_t *at, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LAST_RUN);
	if (q == NULL)
		return no_stmt(st);
	bind_text(q, ":rule", rule);
	bool found;
	if (one_int(s, q, "scheduler state", at, &found, st) != LS_OK)
		return st ? st->code : LS_INTERNAL;
	return found ? LS_OK : LS_NOT_FOUND;
}

static const char SQL_SET_LAST_RUN[] =
    "INSERT INTO scheduler_state(rule, last_run, last_run_at) VALUES (:rule, :at, :at_iso) "
    "ON CONFLICT (rule) DO UPDATE SET last_run = excluded.last_run, "
    "last_run_at = excluded.last_run_at";

int srv_store_sched_set_last_run(srv_store *s, const char *rule, int64_t at, const char *at_iso,
                                 ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_SET_LAST_RUN);
	if (q == NULL)
		return no_stmt(st);
	bind_text(q, ":rule", rule);
	bind_int64(q, ":at", at);
	bind_text(q, ":at_iso", at_iso);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "scheduler state", st);
	return LS_OK;
}

/* ---- what the rules read ---------------------------------------------------------- */

static const char SQL_MISSING[] =
    "SELECT p.town_id, t.code, t.name, p.code, p.name FROM projects p "
    "JOIN units t ON t.id = p.town_id "
    "WHERE p.archived = 0 AND p.frequency = 'weekly' AND t.active = 1 AND NOT EXISTS "
    "(SELECT 1 FROM updates up WHERE up.project_id = p.id AND up.period = :period) "
    "ORDER BY p.town_id, p.code";

int srv_store_sched_missing_updates(srv_store *s, const char *period,
                                    void (*fn)(void *arg, const srv_sched_missing *m), void *arg,
                                    ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_MISSING);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_text(q, ":period", period);
	srv_sched_missing m;
	int n = 0, rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		memset(&m, 0, sizeof m);
		m.town_id = srv_col_int64(q, 0);
		srv_column_text(m.town_code, sizeof m.town_code, q, 1);
		srv_column_text(m.town_name, sizeof m.town_name, q, 2);
		srv_column_text(m.project_code, sizeof m.project_code, q, 3);
		srv_column_text(m.project_name, sizeof m.project_name, q, 4);
		fn(arg, &m);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "projects without an update", st);
		return -1;
	}
	return n;
}

static const char SQL_OPEN_NODES[] =
    "SELECT n.id, n.name, n.due_date, n.owner_unit_id, p.code, p.name FROM nodes n "
    "JOIN projects p ON p.id = n.project_id "
    "WHERE n.done_date IS NULL AND p.archived = 0 AND n.due_date <= :through ORDER BY n.id";

int srv_store_sched_open_nodes(srv_store *s, const char *through,
                               void (*fn)(void *arg, const srv_sched_node *n), void *arg,
                               ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_OPEN_NODES);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_text(q, ":through", through);
	srv_sched_node nd;
	int n = 0, rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		memset(&nd, 0, sizeof nd);
		nd.id = srv_col_int64(q, 0);
		srv_column_text(nd.name, sizeof nd.name, q, 1);
		srv_column_text(nd.due_date, sizeof nd.due_date, q, 2);
		nd.owner_unit_id = srv_col_int64(q, 3);
		srv_column_text(nd.project_code, sizeof nd.project_code, q, 4);
		srv_column_text(nd.project_name, sizeof nd.project_name, q, 5);
		fn(arg, &nd);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "open nodes", st);
		return -1;
	}
	return n;
}

static const char SQL_OPEN_PROBLEMS[] =
    "SELECT pr.id, pr.title, pr.due_date, coalesce(pr.assignee_unit_id, 0), "
    "coalesce(pr.assignee_person_id, 0), pr.routed_unit_id, p.lead_leader_id, p.code, p.name "
    "FROM problems pr JOIN projects p ON p.id = pr.project_id "
    "WHERE pr.status = 'open' AND pr.due_date IS NOT NULL AND pr.due_date <= :through "
    "AND p.archived = 0 ORDER BY pr.id";

int srv_store_sched_open_problems(srv_store *s, const char *through,
                                  void (*fn)(void *arg, const srv_sched_problem *p), void *arg,
                                  ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_OPEN_PROBLEMS);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_text(q, ":through", through);
	srv_sched_problem p;
	int n = 0, rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		memset(&p, 0, sizeof p);
		p.id = srv_col_int64(q, 0);
		srv_column_text(p.title, sizeof p.title, q, 1);
		srv_column_text(p.due_date, sizeof p.due_date, q, 2);
		p.assignee_unit_id = srv_col_int64(q, 3);
		p.assignee_person_id = srv_col_int64(q, 4);
		p.routed_unit_id = srv_col_int64(q, 5);
		p.lead_leader_id = srv_col_int64(q, 6);
		srv_column_text(p.project_code, sizeof p.project_code, q, 7);
		srv_column_text(p.project_name, sizeof p.project_name, q, 8);
		fn(arg, &p);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "open problems", st);
		return -1;
	}
	return n;
}

/* The day after to (:after) bounds created_at, which may carry a time. */
static const char SQL_LEADER_GAPS[] =
    "SELECT pe.id, pe.name, p.code, p.name FROM projects p "
    "JOIN people pe ON pe.id = p.lead_leader_id "
    "WHERE p.archived = 0 AND pe.active = 1 AND p.created_at < :after "
    "AND EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = pe.id AND a.role = 'leader' "
    "AND a.revoked_at IS NULL) "
    "AND NOT EXISTS (SELECT 1 FROM leader_activities la WHERE la.person_id = pe.id "
    "AND la.project_id = p.id AND la.kind = :kind AND la.date BETWEEN :from AND :to) "
    "ORDER BY pe.id, p.code";

int srv_store_sched_leader_gaps(srv_store *s, const char *kind, const char *from, const char *to,
                                void (*fn)(void *arg, const srv_sched_gap *g), void *arg,
                                ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LEADER_GAPS);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	int32_t day;
	char after[11] = "";
	if (ls_date_parse(to, &day))
		ls_date_format(day + 1, after);
	bind_text(q, ":kind", kind);
	bind_text(q, ":from", from);
	bind_text(q, ":to", to);
	bind_text(q, ":after", after);
	srv_sched_gap g;
	int n = 0, rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		memset(&g, 0, sizeof g);
		g.person_id = srv_col_int64(q, 0);
		srv_column_text(g.person_name, sizeof g.person_name, q, 1);
		srv_column_text(g.project_code, sizeof g.project_code, q, 2);
		srv_column_text(g.project_name, sizeof g.project_name, q, 3);
		fn(arg, &g);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "leaders' activities", st);
		return -1;
	}
	return n;
}

static const char SQL_OPEN_RECTIFICATIONS[] =
    "SELECT r.id, r.text, r.due_date, r.owner_unit_id, p.code, p.name FROM rectifications r "
    "JOIN inspections i ON i.id = r.inspection_id JOIN projects p ON p.id = i.project_id "
    "WHERE r.status = 'open' AND r.due_date <= :through AND p.archived = 0 ORDER BY r.id";

int srv_store_sched_open_rectifications(srv_store *s, const char *through,
                                        void (*fn)(void *arg, const srv_sched_rectification *r),
                                        void *arg, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_OPEN_RECTIFICATIONS);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_text(q, ":through", through);
	srv_sched_rectification r;
	int n = 0, rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		memset(&r, 0, sizeof r);
		r.id = srv_col_int64(q, 0);
		srv_column_text(r.text, sizeof r.text, q, 1);
		srv_column_text(r.due_date, sizeof r.due_date, q, 2);
		r.owner_unit_id = srv_col_int64(q, 3);
		srv_column_text(r.project_code, sizeof r.project_code, q, 4);
		srv_column_text(r.project_name, sizeof r.project_name, q, 5);
		fn(arg, &r);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "open rectifications", st);
		return -1;
	}
	return n;
}

static const char SQL_MONTH[] = "SELECT EXISTS (SELECT 1 FROM period_locks WHERE month = :month), "
                                "EXISTS (SELECT 1 FROM updates WHERE month = :month)";

int srv_store_sched_month(srv_store *s, const char *month, bool *locked, bool *has_updates,
                          ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_MONTH);
	if (q == NULL)
		return no_stmt(st);
	bind_text(q, ":month", month);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		*locked = srv_col_int(q, 0) != 0;
		*has_updates = srv_col_int(q, 1) != 0;
	}
	srv_stmt_done(q);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "month lock", st);
	return LS_OK;
}

static const char SQL_ROOTS[] =
    "SELECT id FROM units WHERE parent_id IS NULL AND active = 1 ORDER BY id";

int srv_store_sched_roots(srv_store *s, int64_t **out, size_t *n, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ROOTS);
	if (q == NULL)
		return no_stmt(st);
	srv_recipient *v;
	int rc = collect(s, q, SRV_RCPT_UNIT, &v, n, st);
	if (rc != LS_OK)
		return rc;
	*out = malloc((*n ? *n : 1) * sizeof **out);
	if (*out == NULL) {
		free(v);
		return oom(st);
	}
	for (size_t i = 0; i < *n; i++)
		(*out)[i] = v[i].id;
	free(v);
	return LS_OK;
}
