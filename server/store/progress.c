#include "progress.h"

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

static void bind_named_int64(srv_q *q, const char *name, int64_t v)
{
	int i = srv_bind_index(q, name);
	if (i > 0)
		srv_bind_int64(q, i, v);
}

static void bind_named_text(srv_q *q, const char *name, const char *v)
{
	int i = srv_bind_index(q, name);
	if (i > 0 && v != NULL)
		srv_bind_text(q, i, v);
}

/* A copy of column col, or NULL for SQL NULL; *failed on lack of memory. */
static char *column_dup(srv_q *q, int col, bool *failed)
{
	if (srv_col_null(q, col))
		return NULL;
	const char *t = srv_col_text(q, col);
	char *copy = strdup(t ? (const char *)t : "");
	if (copy == NULL)
		*failed = true;
	return copy;
}

/* ---- projects, nodes, locks ------------------------------------------------ */

static const char SQL_PROJECT_BY_CODE[] = "SELECT id FROM projects WHERE code = ?1";
static const char SQL_PROJECT_BY_NAME[] =
    "SELECT p.id, p.code FROM projects p WHERE p.name = :name AND p.archived = 0 AND " SRV_PROJECT_VISIBLE
    " ORDER BY p.code LIMIT 6";

int srv_store_progress_find_project(srv_store *s, const srv_scope *sc, const char *code_or_name,
                                    const char *field, int64_t *id, bool *visible, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PROJECT_BY_CODE);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_text(q, 1, code_or_name);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*id = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW) {
		*visible = srv_store_project_visible(s, sc, *id);
		return LS_OK;
	}
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "find project", st);

	q = srv_stmt(s, SQL_PROJECT_BY_NAME);
	if (q == NULL)
		return no_stmt(st);
	srv_scope_bind(q, sc);
	bind_named_text(q, ":name", code_or_name);
	char codes[256] = "";
	size_t used = 0;
	int n = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (n++ == 0)
			*id = srv_col_int64(q, 0);
		int w = snprintf(codes + used, sizeof codes - used, "%s%s", used ? ", " : "",
		                 srv_col_text(q, 1));
		if (w > 0 && (size_t)w < sizeof codes - used)
			used += (size_t)w;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "find project", st);
	if (n == 0)
		return LS_NOT_FOUND;
	if (n > 1)
		return ls_status_field(
		    st, LS_INVALID_ARGUMENT, field,
		    "%s: \"%s\" names several projects; give one of the codes: %s", field,
		    code_or_name, codes);
	*visible = true;
	return LS_OK;
}

static const char SQL_PROJECT[] =
    "SELECT id, code, name, coalesce(town_id, 0), frequency, planned_start, planned_finish, "
    "archived FROM projects WHERE id = ?1";

int srv_store_progress_project(srv_store *s, int64_t id, srv_progress_project *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PROJECT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		memset(out, 0, sizeof *out);
		out->id = srv_col_int64(q, 0);
		srv_column_text(out->code, sizeof out->code, q, 1);
		srv_column_text(out->name, sizeof out->name, q, 2);
		out->town_id = srv_col_int64(q, 3);
		const char *f = srv_col_text(q, 4);
		out->monthly = f != NULL && strcmp((const char *)f, "monthly") == 0;
		srv_column_text(out->planned_start, sizeof out->planned_start, q, 5);
		srv_column_text(out->planned_finish, sizeof out->planned_finish, q, 6);
		out->archived = srv_col_int(q, 7) != 0;
	}
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read project", st);
	return LS_NOT_FOUND;
}

static const char SQL_NODE[] = "SELECT id, name, due_date, coalesce(done_date, '') FROM nodes "
                               "WHERE id = ?1 AND project_id = ?2";

int srv_store_progress_node(srv_store *s, int64_t project, int64_t id, srv_progress_node *out,
                            ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_NODE);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	srv_bind_int64(q, 2, project);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		out->id = srv_col_int64(q, 0);
		srv_column_text(out->name, sizeof out->name, q, 1);
		srv_column_text(out->due_date, sizeof out->due_date, q, 2);
		srv_column_text(out->done_date, sizeof out->done_date, q, 3);
	}
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read node", st);
	return LS_NOT_FOUND;
}

static const char SQL_LOCKED[] = "SELECT 1 FROM period_locks WHERE month = ?1";

int srv_store_progress_month_locked(srv_store *s, const char *month, bool *locked, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LOCKED);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_text(q, 1, month);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, "read period locks", st);
	*locked = rc == SRV_ROW;
	return LS_OK;
}

/* ---- writing an update ---------------------------------------------------------- */

static const char SQL_LATEST_ID[] =
    "SELECT id FROM updates WHERE project_id = ?1 AND period = ?2 AND latest = 1";

int srv_store_progress_latest_id(srv_store *s, int64_t project, const char *period, int64_t *id,
                                 ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LATEST_ID);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	srv_bind_text(q, 2, period);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*id = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "find latest update", st);
	return LS_NOT_FOUND;
}

static const char SQL_NEXT_REVISION[] =
    "SELECT coalesce(max(revision), 0) + 1 FROM updates WHERE project_id = ?1 AND period = ?2";
static const char SQL_CLEAR_LATEST[] =
    "UPDATE updates SET latest = 0 WHERE project_id = ?1 AND period = ?2 AND latest = 1";
static const char SQL_INSERT[] =
    "INSERT INTO updates(project_id, period, period_kind, period_first, period_last, month, "
    "year, revision, latest, unit_id, account_id, invested, output, percent, progress, "
    "next_plan, support_needed, submitted_at) VALUES (:project, :period, :kind, :first, "
    ":last, :month, :year, :revision, 1, :unit, :account, :invested, :output, :percent, "
    ":progress, :next_plan, :support, :at)";
static const char SQL_INSERT_NODE[] =
    "INSERT INTO update_nodes(update_id, node_id) VALUES (?1, ?2)";
static const char SQL_NODE_DONE[] =
    "UPDATE nodes SET done_date = ?2 WHERE id = ?1 AND done_date IS NULL";
static const char SQL_INSERT_PHOTO[] =
    "INSERT INTO photos(update_id, name, content_type, size, data) VALUES (?1, ?2, ?3, ?4, ?5)";

/* Steps a statement that returns no rows, then resets it. */
static int step_done(srv_store *s, srv_q *q, const char *what, ls_status *st)
{
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, what, st);
	return LS_OK;
}

int srv_store_progress_insert(srv_store *s, const srv_update_new *u, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_NEXT_REVISION);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, u->project_id);
	srv_bind_text(q, 2, u->period);
	int rc = srv_step(q);
	int64_t revision = rc == SRV_ROW ? srv_col_int64(q, 0) : 0;
	srv_stmt_done(q);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "next revision", st);

	/* The first revision of a period has no earlier one to clear. */
	if (revision > 1) {
		if ((q = srv_stmt(s, SQL_CLEAR_LATEST)) == NULL)
			return no_stmt(st);
		srv_bind_int64(q, 1, u->project_id);
		srv_bind_text(q, 2, u->period);
		if (step_done(s, q, "clear latest revision", st) != LS_OK)
			return st ? st->code : LS_INTERNAL;
	}

	if ((q = srv_stmt(s, SQL_INSERT)) == NULL)
		return no_stmt(st);
	bind_named_int64(q, ":project", u->project_id);
	bind_named_text(q, ":period", u->period);
	bind_named_text(q, ":kind", u->monthly ? "month" : "week");
	bind_named_text(q, ":first", u->period_first);
	bind_named_text(q, ":last", u->period_last);
	bind_named_text(q, ":month", u->month);
	bind_named_int64(q, ":year", u->year);
	bind_named_int64(q, ":revision", revision);
	bind_named_int64(q, ":unit", u->unit_id);
	if (u->account_id > 0)
		bind_named_int64(q, ":account", u->account_id);
	bind_named_int64(q, ":invested", u->invested);
	if (u->has_output)
		bind_named_int64(q, ":output", u->output);
	bind_named_int64(q, ":percent", u->percent);
	bind_named_text(q, ":progress", u->progress);
	bind_named_text(q, ":next_plan", u->next_plan);
	bind_named_text(q, ":support", u->support_needed);
	bind_named_text(q, ":at", u->submitted_at);
	if (step_done(s, q, "insert update", st) != LS_OK)
		return st ? st->code : LS_INTERNAL;
	*id = srv_last_id(s);

	for (size_t i = 0; i < u->n_nodes; i++) {
		if ((q = srv_stmt(s, SQL_INSERT_NODE)) == NULL)
			return no_stmt(st);
		srv_bind_int64(q, 1, *id);
		srv_bind_int64(q, 2, u->nodes[i]);
		if (step_done(s, q, "insert update node", st) != LS_OK)
			return st ? st->code : LS_INTERNAL;
		if ((q = srv_stmt(s, SQL_NODE_DONE)) == NULL)
			return no_stmt(st);
		srv_bind_int64(q, 1, u->nodes[i]);
		srv_bind_text(q, 2, u->done_date);
		if (step_done(s, q, "mark node done", st) != LS_OK)
			return st ? st->code : LS_INTERNAL;
	}
	for (int i = 0; i < u->n_photos; i++) {
		const srv_photo_new *p = &u->photos[i];
		if ((q = srv_stmt(s, SQL_INSERT_PHOTO)) == NULL)
			return no_stmt(st);
		srv_bind_int64(q, 1, *id);
		srv_bind_text(q, 2, p->name);
		srv_bind_text(q, 3, p->content_type);
		srv_bind_int64(q, 4, (int64_t)p->size);
		srv_bind_blob(q, 5, p->data ? (const void *)p->data : "", p->size);
		if (step_done(s, q, "insert photo", st) != LS_OK)
			return st ? st->code : LS_INTERNAL;
	}
	return LS_OK;
}

/* ---- reading updates -------------------------------------------------------------- */

/* The columns of one update. The sums take the latest revision of every
 * period up to this one's end: of its year for ytd, of all for total. */
#define UPDATE_SELECT                                                                 \
	"SELECT u.id, u.project_id, p.code, p.name, u.period, u.revision, u.latest, " \
	"u.unit_id, un.code, un.name, coalesce(a.name, ''), u.invested, u.output, "   \
	"u.percent, u.progress, u.next_plan, u.support_needed, u.submitted_at, "      \
	"(SELECT coalesce(sum(x.invested), 0) FROM updates x WHERE x.project_id = "   \
	"u.project_id AND x.latest = 1 AND x.year = u.year AND x.period_last <= "     \
	"u.period_last), "                                                            \
	"(SELECT coalesce(sum(x.invested), 0) FROM updates x WHERE x.project_id = "   \
	"u.project_id AND x.latest = 1 AND x.period_last <= u.period_last) "          \
	"FROM updates u JOIN projects p ON p.id = u.project_id "                      \
	"JOIN units un ON un.id = u.unit_id LEFT JOIN accounts a ON a.id = u.account_id "

static const char SQL_GET[] = UPDATE_SELECT "WHERE u.id = ?1";
static const char SQL_REVISIONS[] =
    UPDATE_SELECT "WHERE u.project_id = ?1 AND u.period = ?2 ORDER BY u.revision";
static const char SQL_LIST[] = UPDATE_SELECT
    "WHERE u.id > :after AND (:all = 1 OR u.latest = 1) "
    "AND (CAST(:project AS BIGINT) IS NULL OR u.project_id = :project) "
    "AND (CAST(:period AS TEXT) IS NULL OR u.period = :period) "
    "AND (CAST(:month_lo AS TEXT) IS NULL OR u.month BETWEEN :month_lo AND :month_hi) "
    "AND (CAST(:town AS BIGINT) IS NULL OR p.town_id IN " SRV_SUBTREE(
        ":town") ") "
                 "AND " SRV_PROJECT_VISIBLE " ORDER BY u.id LIMIT :limit";
static const char SQL_UPDATE_NODES[] =
    "SELECT node_id FROM update_nodes WHERE update_id = ?1 ORDER BY node_id";
static const char SQL_UPDATE_PHOTOS[] =
    "SELECT id, name, content_type, size FROM photos WHERE update_id = ?1 ORDER BY id";

void srv_store_progress_update_fini(srv_update *u)
{
	if (u == NULL)
		return;
	free(u->progress);
	free(u->next_plan);
	free(u->support_needed);
	free(u->nodes);
	memset(u, 0, sizeof *u);
}

void srv_store_progress_updates_free(srv_update *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		srv_store_progress_update_fini(&rows[i]);
	free(rows);
}

/* Reads the current row of an UPDATE_SELECT statement, then the update's
 * nodes and photos. */
static int read_update(srv_store *s, srv_q *q, srv_update *u, ls_status *st)
{
	bool failed = false;
	memset(u, 0, sizeof *u);
	u->id = srv_col_int64(q, 0);
	u->project_id = srv_col_int64(q, 1);
	srv_column_text(u->project_code, sizeof u->project_code, q, 2);
	srv_column_text(u->project_name, sizeof u->project_name, q, 3);
	srv_column_text(u->period, sizeof u->period, q, 4);
	u->revision = srv_col_int(q, 5);
	u->latest = srv_col_int(q, 6) != 0;
	u->unit_id = srv_col_int64(q, 7);
	srv_column_text(u->unit_code, sizeof u->unit_code, q, 8);
	srv_column_text(u->unit_name, sizeof u->unit_name, q, 9);
	srv_column_text(u->account_name, sizeof u->account_name, q, 10);
	u->invested = srv_col_int64(q, 11);
	u->has_output = !srv_col_null(q, 12);
	u->output = srv_col_int64(q, 12);
	u->percent = srv_col_int(q, 13);
	u->progress = column_dup(q, 14, &failed);
	u->next_plan = column_dup(q, 15, &failed);
	u->support_needed = column_dup(q, 16, &failed);
	srv_column_text(u->submitted_at, sizeof u->submitted_at, q, 17);
	u->ytd_invested = srv_col_int64(q, 18);
	u->total_invested = srv_col_int64(q, 19);
	if (u->progress == NULL && !failed)
		failed = (u->progress = strdup("")) == NULL;
	if (failed)
		return oom(st);

	srv_q *n = srv_stmt(s, SQL_UPDATE_NODES);
	if (n == NULL)
		return no_stmt(st);
	srv_bind_int64(n, 1, u->id);
	size_t cap = 0;
	int rc;
	while ((rc = srv_step(n)) == SRV_ROW) {
		if (u->n_nodes == cap) {
			size_t c = cap ? 2 * cap : 8;
			int64_t *more = realloc(u->nodes, c * sizeof *more);
			if (more == NULL) {
				srv_stmt_done(n);
				return oom(st);
			}
			u->nodes = more;
			cap = c;
		}
		u->nodes[u->n_nodes++] = srv_col_int64(n, 0);
	}
	srv_stmt_done(n);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read update nodes", st);

	srv_q *p = srv_stmt(s, SQL_UPDATE_PHOTOS);
	if (p == NULL)
		return no_stmt(st);
	srv_bind_int64(p, 1, u->id);
	while ((rc = srv_step(p)) == SRV_ROW && u->n_photos < SRV_UPDATE_MAX_PHOTOS) {
		srv_photo_ref *r = &u->photos[u->n_photos++];
		r->id = srv_col_int64(p, 0);
		srv_column_text(r->name, sizeof r->name, p, 1);
		srv_column_text(r->content_type, sizeof r->content_type, p, 2);
		r->size = srv_col_int64(p, 3);
	}
	srv_stmt_done(p);
	if (rc != SRV_DONE && rc != SRV_ROW)
		return srv_store_error(s, rc, "read update photos", st);
	return LS_OK;
}

int srv_store_progress_get(srv_store *s, int64_t id, srv_update *out, ls_status *st)
{
	memset(out, 0, sizeof *out);
	srv_q *q = srv_stmt(s, SQL_GET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		/* The row's values are copied before the nested queries run. */
		int code = read_update(s, q, out, st);
		srv_stmt_done(q);
		if (code != LS_OK)
			srv_store_progress_update_fini(out);
		return code;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read update", st);
	return LS_NOT_FOUND;
}

/* Reads every row of q into *rows. */
static int read_rows(srv_store *s, srv_q *q, srv_update **rows, size_t *n, ls_status *st)
{
	*rows = NULL;
	*n = 0;
	size_t cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (*n == cap) {
			size_t c = cap ? 2 * cap : 16;
			srv_update *more = realloc(*rows, c * sizeof *more);
			if (more == NULL) {
				code = oom(st);
				break;
			}
			*rows = more;
			cap = c;
		}
		code = read_update(s, q, &(*rows)[*n], st);
		(*n)++;
		if (code != LS_OK)
			break;
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read updates", st);
	if (code != LS_OK) {
		srv_store_progress_updates_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return code;
}

int srv_store_progress_revisions(srv_store *s, int64_t project, const char *period,
                                 srv_update **rows, size_t *n, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_REVISIONS);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	srv_bind_text(q, 2, period);
	return read_rows(s, q, rows, n, st);
}

int srv_store_progress_list(srv_store *s, const srv_scope *sc, const srv_update_filter *f,
                            int64_t after_id, int limit, srv_update **rows, size_t *n,
                            ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LIST);
	if (q == NULL)
		return no_stmt(st);
	srv_scope_bind(q, sc);
	bind_named_int64(q, ":after", after_id);
	bind_named_int64(q, ":all", f->all_revisions ? 1 : 0);
	if (f->project > 0)
		bind_named_int64(q, ":project", f->project);
	bind_named_text(q, ":period", f->period);
	bind_named_text(q, ":month_lo", f->month_lo);
	bind_named_text(q, ":month_hi", f->month_hi);
	if (f->town > 0)
		bind_named_int64(q, ":town", f->town);
	bind_named_int64(q, ":limit", limit);
	return read_rows(s, q, rows, n, st);
}

static const char SQL_PHOTO[] =
    "SELECT ph.id, ph.name, ph.content_type, ph.size, ph.data, u.project_id "
    "FROM photos ph JOIN updates u ON u.id = ph.update_id WHERE ph.id = ?1";

int srv_store_progress_photo(srv_store *s, int64_t id, srv_photo_ref *ref, int64_t *project,
                             uint8_t **data, ls_status *st)
{
	*data = NULL;
	srv_q *q = srv_stmt(s, SQL_PHOTO);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q), code = LS_NOT_FOUND;
	if (rc == SRV_ROW) {
		ref->id = srv_col_int64(q, 0);
		srv_column_text(ref->name, sizeof ref->name, q, 1);
		srv_column_text(ref->content_type, sizeof ref->content_type, q, 2);
		size_t len;
		const void *b = srv_col_blob(q, 4, &len);
		ref->size = (int64_t)len;
		*project = srv_col_int64(q, 5);
		*data = malloc(len ? len : 1);
		if (*data == NULL) {
			code = oom(st);
		} else {
			if (len)
				memcpy(*data, b, len);
			code = LS_OK;
		}
	} else if (rc != SRV_DONE) {
		code = srv_store_error(s, rc, "read photo", st);
	}
	srv_stmt_done(q);
	return code;
}

/* ---- the derived status ---------------------------------------------------------- */

static const char SQL_STATUS_LAST[] =
    "SELECT period, period_last, percent FROM updates WHERE project_id = ?1 "
    "AND period_first <= ?2 AND substr(submitted_at, 1, 10) <= ?2 "
    "ORDER BY period_last DESC, revision DESC LIMIT 1";
static const char SQL_STATUS_NODES[] =
    "SELECT due_date FROM nodes WHERE project_id = ?1 AND due_date < ?2 "
    "AND (done_date IS NULL OR done_date > ?2) ORDER BY due_date";

int srv_store_project_status_inputs(srv_store *s, int64_t project, int32_t as_of,
                                    ls_projstatus_in *in, char last_period[16], ls_status *st)
{
	memset(in, 0, sizeof *in);
	last_period[0] = '\0';
	srv_progress_project p;
	int code = srv_store_progress_project(s, project, &p, st);
	if (code != LS_OK)
		return code;
	in->as_of = as_of;
	in->monthly = p.monthly;
	if (!ls_date_parse(p.planned_start, &in->planned_start) ||
	    !ls_date_parse(p.planned_finish, &in->planned_finish))
		return ls_status_set(st, LS_DATA_LOSS, "project %s has malformed planned dates",
		                     p.code);
	if (in->planned_finish < in->planned_start)
		in->planned_finish = in->planned_start;

	char day[11];
	ls_date_format(as_of, day);
	srv_q *q = srv_stmt(s, SQL_STATUS_LAST);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	srv_bind_text(q, 2, day);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		char last[16];
		srv_column_text(last_period, 16, q, 0);
		srv_column_text(last, sizeof last, q, 1);
		in->percent = srv_col_int(q, 2);
		in->reported = ls_date_parse(last, &in->last_end);
	}
	srv_stmt_done(q);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, "read last update", st);

	if ((q = srv_stmt(s, SQL_STATUS_NODES)) == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	srv_bind_text(q, 2, day);
	int32_t *due = NULL;
	size_t n = 0, cap = 0;
	code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		int32_t d;
		const char *t = srv_col_text(q, 0);
		if (t == NULL || !ls_date_parse((const char *)t, &d))
			continue;
		if (n == cap) {
			size_t c = cap ? 2 * cap : 8;
			int32_t *more = realloc(due, c * sizeof *more);
			if (more == NULL) {
				code = oom(st);
				break;
			}
			due = more;
			cap = c;
		}
		due[n++] = d;
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE && rc != SRV_ROW)
		code = srv_store_error(s, rc, "read overdue nodes", st);
	if (code != LS_OK) {
		free(due);
		return code;
	}
	in->node_due = due;
	in->n_nodes = n;
	return LS_OK;
}
