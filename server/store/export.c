#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* A statement that does not prepare: st filled, -1 for the list functions. */
static int no_stmt(ls_status *st)
{
	if (st != NULL)
		ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	return -1;
}

/* Column col as text, or NULL for SQL NULL. */
static const char *col_text(srv_q *q, int col)
{
	if (srv_col_null(q, col))
		return NULL;
	const char *t = srv_col_text(q, col);
	return t ? t : "";
}

static void bind_text(srv_q *q, const char *name, const char *v)
{
	int i = srv_bind_index(q, name);
	if (i > 0 && v != NULL)
		srv_bind_text(q, i, v);
}

/* Binds name to v, or leaves it NULL when v is 0 (the filter is off). */
static void bind_id(srv_q *q, const char *name, int64_t v)
{
	int i = srv_bind_index(q, name);
	if (i > 0 && v != 0)
		srv_bind_int64(q, i, v);
}

/* Steps q to the end; fn sees each row. Returns the rows seen or -1. */
static int each_row(srv_store *s, srv_q *q, const char *what, void (*row)(srv_q *q, void *ctx),
                    void *ctx, ls_status *st)
{
	int rc, n = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		row(q, ctx);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, what, st);
		return -1;
	}
	return n;
}

/* ---- projects ---------------------------------------------------------------- */

#define FILTERED                                                                                  \
	" p.archived = 0 AND " SRV_PROJECT_VISIBLE                                                \
	" AND (CAST(:level AS TEXT) IS NULL OR p.level = :level)"                                 \
	" AND (CAST(:category AS TEXT) IS NULL OR p.category = :category)"                        \
	" AND (CAST(:stage AS TEXT) IS NULL OR p.stage = :stage)"                                 \
	" AND (CAST(:town AS BIGINT) IS NULL OR p.town_id = :town)"                               \
	" AND (CAST(:leader AS BIGINT) IS NULL OR p.lead_leader_id = :leader)"                    \
	" AND (CAST(:unit AS BIGINT) IS NULL OR p.lead_unit_id = :unit OR EXISTS (SELECT 1 FROM " \
	"project_units pu WHERE pu.project_id = p.id AND pu.unit_id = :unit))"

static const char SQL_COUNT[] = "SELECT count(*) FROM projects p WHERE" FILTERED;

static const char SQL_PROJECTS[] =
    "SELECT p.id, p.code, p.name, p.level, p.category, p.stage, l.code, l.name, l.title,"
    " lu.code, lu.name, t.code, t.name, p.total_investment, p.planned_start,"
    " p.planned_finish"
    " FROM projects p JOIN people l ON l.id = p.lead_leader_id"
    " JOIN units lu ON lu.id = p.lead_unit_id LEFT JOIN units t ON t.id = p.town_id"
    " WHERE p.id > :after AND" FILTERED " ORDER BY p.id LIMIT :limit";

static void bind_filter(srv_q *q, const srv_scope *sc, const srv_export_filter *f)
{
	srv_scope_bind(q, sc);
	bind_text(q, ":level", f->level);
	bind_text(q, ":category", f->category);
	bind_text(q, ":stage", f->stage);
	bind_id(q, ":town", f->town_id);
	bind_id(q, ":leader", f->leader_id);
	bind_id(q, ":unit", f->unit_id);
}

int64_t srv_store_export_count(srv_store *s, const srv_scope *sc, const srv_export_filter *f,
                               ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_COUNT);
	if (q == NULL)
		return no_stmt(st);
	bind_filter(q, sc, f);
	int rc = srv_step(q);
	int64_t n = rc == SRV_ROW ? srv_col_int64(q, 0) : -1;
	srv_stmt_done(q);
	if (rc != SRV_ROW) {
		srv_store_error(s, rc, "count projects", st);
		return -1;
	}
	return n;
}

typedef struct project_cb {
	void (*fn)(void *arg, const srv_export_project *p);
	void *arg;
} project_cb;

static void project_row(srv_q *q, void *ctx)
{
	project_cb *cb = ctx;
	srv_export_project p = {
	    .id = srv_col_int64(q, 0),
	    .code = col_text(q, 1),
	    .name = col_text(q, 2),
	    .level = col_text(q, 3),
	    .category = col_text(q, 4),
	    .stage = col_text(q, 5),
	    .leader_code = col_text(q, 6),
	    .leader_name = col_text(q, 7),
	    .leader_title = col_text(q, 8),
	    .lead_unit_code = col_text(q, 9),
	    .lead_unit_name = col_text(q, 10),
	    .town_code = col_text(q, 11),
	    .town_name = col_text(q, 12),
	    .total_investment = srv_col_int64(q, 13),
	    .planned_start = col_text(q, 14),
	    .planned_finish = col_text(q, 15),
	};
	cb->fn(cb->arg, &p);
}

int srv_store_export_projects(srv_store *s, const srv_scope *sc, const srv_export_filter *f,
                              int64_t after_id, int limit,
                              void (*fn)(void *arg, const srv_export_project *p), void *arg,
                              ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PROJECTS);
	if (q == NULL)
		return no_stmt(st);
	bind_filter(q, sc, f);
	srv_bind_int64(q, srv_bind_index(q, ":after"), after_id);
	srv_bind_int64(q, srv_bind_index(q, ":limit"), limit);
	project_cb cb = {fn, arg};
	return each_row(s, q, "export projects", project_row, &cb, st);
}

/* ---- contributing units, plans --------------------------------------------------- */

static const char SQL_UNITS[] =
    "SELECT u.code, u.name FROM project_units pu JOIN units u ON u.id = pu.unit_id"
    " WHERE pu.project_id = ?1 ORDER BY u.code";

typedef struct unit_cb {
	void (*fn)(void *arg, const char *code, const char *name);
	void *arg;
} unit_cb;

static void unit_row(srv_q *q, void *ctx)
{
	unit_cb *cb = ctx;
	cb->fn(cb->arg, col_text(q, 0), col_text(q, 1));
}

int srv_store_export_units(srv_store *s, int64_t project,
                           void (*fn)(void *arg, const char *code, const char *name), void *arg,
                           ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UNITS);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	unit_cb cb = {fn, arg};
	return each_row(s, q, "export units", unit_row, &cb, st);
}

static const char SQL_PLAN[] =
    "SELECT month, invested FROM plans WHERE project_id = ?1 AND year = ?2 ORDER BY month";

typedef struct plan_cb {
	void (*fn)(void *arg, int month, int64_t planned);
	void *arg;
} plan_cb;

static void plan_row(srv_q *q, void *ctx)
{
	plan_cb *cb = ctx;
	cb->fn(cb->arg, srv_col_int(q, 0), srv_col_int64(q, 1));
}

int srv_store_export_plan(srv_store *s, int64_t project, int year,
                          void (*fn)(void *arg, int month, int64_t planned), void *arg,
                          ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PLAN);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	srv_bind_int64(q, 2, year);
	plan_cb cb = {fn, arg};
	return each_row(s, q, "export plan", plan_row, &cb, st);
}

/* ---- nodes, tasks ------------------------------------------------------------------ */

static const char SQL_NODES[] =
    "SELECT n.id, n.name, n.due_date, n.done_date, u.code, u.name FROM nodes n"
    " JOIN units u ON u.id = n.owner_unit_id WHERE n.project_id = ?1"
    " ORDER BY n.due_date, n.id";

typedef struct node_cb {
	void (*fn)(void *arg, const srv_export_node *n);
	void *arg;
} node_cb;

static void node_row(srv_q *q, void *ctx)
{
	node_cb *cb = ctx;
	srv_export_node n = {
	    .id = srv_col_int64(q, 0),
	    .name = col_text(q, 1),
	    .due_date = col_text(q, 2),
	    .done_date = col_text(q, 3),
	    .owner_code = col_text(q, 4),
	    .owner_name = col_text(q, 5),
	};
	cb->fn(cb->arg, &n);
}

int srv_store_export_nodes(srv_store *s, int64_t project,
                           void (*fn)(void *arg, const srv_export_node *n), void *arg,
                           ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_NODES);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	node_cb cb = {fn, arg};
	return each_row(s, q, "export nodes", node_row, &cb, st);
}

static const char SQL_TASKS[] =
    "SELECT t.id, t.description, t.due_date, t.status, t.done_date, u.code, u.name,"
    " pe.code, pe.name, pe.title FROM tasks t JOIN units u ON u.id = t.unit_id"
    " LEFT JOIN people pe ON pe.id = t.person_id WHERE t.project_id = ?1"
    " ORDER BY t.due_date, t.id";

typedef struct task_cb {
	void (*fn)(void *arg, const srv_export_task *t);
	void *arg;
} task_cb;

static void task_row(srv_q *q, void *ctx)
{
	task_cb *cb = ctx;
	srv_export_task t = {
	    .id = srv_col_int64(q, 0),
	    .description = col_text(q, 1),
	    .due_date = col_text(q, 2),
	    .status = col_text(q, 3),
	    .done_date = col_text(q, 4),
	    .unit_code = col_text(q, 5),
	    .unit_name = col_text(q, 6),
	    .person_code = col_text(q, 7),
	    .person_name = col_text(q, 8),
	    .person_title = col_text(q, 9),
	};
	cb->fn(cb->arg, &t);
}

int srv_store_export_tasks(srv_store *s, int64_t project,
                           void (*fn)(void *arg, const srv_export_task *t), void *arg,
                           ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_TASKS);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	task_cb cb = {fn, arg};
	return each_row(s, q, "export tasks", task_row, &cb, st);
}

/* ---- updates ------------------------------------------------------------------------ */

/* The latest revision as of a day is the newest submitted by then (the
 * submission time is in the server's zone, so its first ten characters
 * are that day), as ProgressService reads a past day. The month is the
 * text "YYYY-MM" the update was filed under; its year is ?2 already, so
 * only the month's number is read. */
static const char SQL_UPDATES[] =
    "SELECT u.period, u.period_first, u.period_last, CAST(substr(u.month, 6, 2) AS INTEGER),"
    " u.revision, un.code, un.name, u.submitted_at, u.invested, u.output, u.percent,"
    " u.progress FROM updates u JOIN units un ON un.id = u.unit_id"
    " WHERE u.project_id = ?1 AND u.year = ?2 AND u.period_first <= ?3"
    " AND substr(u.submitted_at, 1, 10) <= ?3 AND NOT EXISTS (SELECT 1 FROM updates v"
    " WHERE v.project_id = u.project_id AND v.period = u.period AND v.revision > u.revision"
    " AND substr(v.submitted_at, 1, 10) <= ?3)"
    " ORDER BY u.month, u.period_first, u.period";

typedef struct update_cb {
	void (*fn)(void *arg, const srv_export_update *u);
	void *arg;
} update_cb;

static void update_row(srv_q *q, void *ctx)
{
	update_cb *cb = ctx;
	srv_export_update u = {
	    .period = col_text(q, 0),
	    .period_first = col_text(q, 1),
	    .period_last = col_text(q, 2),
	    .month = srv_col_int(q, 3),
	    .revision = srv_col_int(q, 4),
	    .unit_code = col_text(q, 5),
	    .unit_name = col_text(q, 6),
	    .submitted_at = col_text(q, 7),
	    .invested = srv_col_int64(q, 8),
	    .has_output = !srv_col_null(q, 9),
	    .output = srv_col_int64(q, 9),
	    .percent = srv_col_int(q, 10),
	    .progress = col_text(q, 11),
	};
	cb->fn(cb->arg, &u);
}

int srv_store_export_updates(srv_store *s, int64_t project, int year, const char *as_of,
                             void (*fn)(void *arg, const srv_export_update *u), void *arg,
                             ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UPDATES);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	srv_bind_int64(q, 2, year);
	srv_bind_text(q, 3, as_of);
	update_cb cb = {fn, arg};
	return each_row(s, q, "export updates", update_row, &cb, st);
}
