#include "supervision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* NULL binds SQL NULL. */
static void bind_text(srv_q *q, const char *name, const char *v)
{
	int i = srv_bind_index(q, name);
	if (i <= 0)
		return;
	if (v != NULL)
		srv_bind_text(q, i, v);
	else
		srv_bind_null(q, i);
}

/* Every parameter a list statement may have gets a value, so that "(:x = 0
 * OR ...)" never meets an unbound (NULL) one. A limit of 0 or less is no
 * limit: the largest there is, since PostgreSQL takes no negative one. */
static void bind_filter(srv_q *q, const srv_sup_filter *f)
{
	srv_scope_bind(q, f->scope);
	bind_int64(q, ":after", f->after);
	bind_int64(q, ":limit", f->limit > 0 ? f->limit : INT64_MAX);
	bind_int64(q, ":project", f->project);
	bind_int64(q, ":person", f->person);
	bind_int64(q, ":unit", f->unit);
	bind_int64(q, ":inspection", f->inspection);
	bind_text(q, ":kind", f->kind);
	bind_text(q, ":status", f->status);
	bind_text(q, ":source", f->source);
	bind_text(q, ":d_from", f->from);
	bind_text(q, ":d_to", f->to);
	bind_text(q, ":as_of", f->as_of);
	bind_int64(q, ":flag", f->flag ? 1 : 0);
}

/* Runs a statement that writes; resets it. */
static int run_write(srv_store *s, srv_q *q, const char *what, int64_t *id, ls_status *st)
{
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, what, st);
	if (id != NULL)
		*id = srv_last_id(s);
	return LS_OK;
}

/* Steps a bound statement that gives one row into out through read;
 * resets it. LS_OK, LS_NOT_FOUND, or an error. */
#define GET_ONE(s, q, read, out, what, st)                \
	do {                                              \
		int rc_ = srv_step(q);                    \
		if (rc_ == SRV_ROW)                       \
			read(q, out);                     \
		srv_stmt_done(q);                         \
		if (rc_ == SRV_ROW)                       \
			return LS_OK;                     \
		if (rc_ == SRV_DONE)                      \
			return LS_NOT_FOUND;              \
		return srv_store_error(s, rc_, what, st); \
	} while (0)

/* Steps a bound list statement, giving each row to fn through read into
 * a row of type T; resets it. */
#define LIST_ALL(s, q, T, read, fn, arg, what, st)         \
	do {                                               \
		T row_;                                    \
		int n_ = 0, rc_;                           \
		while ((rc_ = srv_step(q)) == SRV_ROW) {   \
			read(q, &row_);                    \
			fn(arg, &row_);                    \
			n_++;                              \
		}                                          \
		srv_stmt_done(q);                          \
		if (rc_ != SRV_DONE) {                     \
			srv_store_error(s, rc_, what, st); \
			return -1;                         \
		}                                          \
		return n_;                                 \
	} while (0)

/* The large rows are kept off the stack: a list callback may run deep. */
#define LIST_ALL_HEAP(s, q, T, read, fn, arg, what, st)                                    \
	do {                                                                               \
		T *row_ = malloc(sizeof *row_);                                            \
		if (row_ == NULL) {                                                        \
			srv_stmt_done(q);                                                  \
			if (st != NULL)                                                    \
				ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory"); \
			return -1;                                                         \
		}                                                                          \
		int n_ = 0, rc_;                                                           \
		while ((rc_ = srv_step(q)) == SRV_ROW) {                                   \
			read(q, row_);                                                     \
			fn(arg, row_);                                                     \
			n_++;                                                              \
		}                                                                          \
		srv_stmt_done(q);                                                          \
		free(row_);                                                                \
		if (rc_ != SRV_DONE) {                                                     \
			srv_store_error(s, rc_, what, st);                                 \
			return -1;                                                         \
		}                                                                          \
		return n_;                                                                 \
	} while (0)

#define TEXT(dst, q, col) srv_column_text(dst, sizeof(dst), q, col)

/* ---- projects and problems ------------------------------------------------------- */

static const char SQL_PROJECT[] =
    "SELECT id, code, name, lead_leader_id, archived, fast_track, land_clearance "
    "FROM projects WHERE id = ?1";

static void read_project(srv_q *q, srv_sup_project *p)
{
	p->id = srv_col_int64(q, 0);
	TEXT(p->code, q, 1);
	TEXT(p->name, q, 2);
	p->lead_leader_id = srv_col_int64(q, 3);
	p->archived = srv_col_int(q, 4) != 0;
	p->fast_track = srv_col_int(q, 5) != 0;
	p->land_clearance = srv_col_int(q, 6) != 0;
}

int srv_store_sup_project_get(srv_store *s, int64_t id, srv_sup_project *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PROJECT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	GET_ONE(s, q, read_project, out, "read project", st);
}

static const char SQL_HAS_LED[] =
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM projects WHERE id = ?2 AND lead_leader_id = ?1)"
    " OR EXISTS (SELECT 1 FROM project_leaders WHERE project_id = ?2 AND person_id = ?1)";

int srv_store_sup_has_led(srv_store *s, int64_t person, int64_t project, bool *yes, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_HAS_LED);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, person);
	srv_bind_int64(q, 2, project);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, "read project leaders", st);
	*yes = rc == SRV_ROW;
	return LS_OK;
}

static const char SQL_PROBLEM_PROJECT[] = "SELECT project_id FROM problems WHERE id = ?1";

int srv_store_sup_problem_project(srv_store *s, int64_t problem, int64_t *project, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PROBLEM_PROJECT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, problem);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*project = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc == SRV_DONE)
		return LS_NOT_FOUND;
	return srv_store_error(s, rc, "read problem", st);
}

/* ---- leader activities -------------------------------------------------------------- */

static const char SQL_ACTIVITY_INSERT[] =
    "INSERT INTO leader_activities(person_id, project_id, kind, date, notes, account_id, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0), ?7)";
static const char SQL_ACTIVITY_PROBLEM_INSERT[] =
    "INSERT INTO activity_problems(activity_id, problem_id) VALUES (?1, ?2) "
    "ON CONFLICT DO NOTHING";
static const char SQL_ACTIVITY_PROBLEMS[] =
    "SELECT problem_id FROM activity_problems WHERE activity_id = ?1 ORDER BY problem_id";

#define ACTIVITY_SELECT                                                                      \
	"SELECT a.id, a.person_id, pe.code, pe.name, a.project_id, p.code, p.name, a.kind, " \
	"a.date, a.notes, a.created_at FROM leader_activities a "                            \
	"JOIN people pe ON pe.id = a.person_id JOIN projects p ON p.id = a.project_id "

static const char SQL_ACTIVITY_GET[] = ACTIVITY_SELECT "WHERE a.id = ?1";
static const char SQL_ACTIVITY_LIST[] =
    ACTIVITY_SELECT "WHERE a.id > :after AND (:project = 0 OR a.project_id = :project)"
                    " AND (:person = 0 OR a.person_id = :person)"
                    " AND (CAST(:kind AS TEXT) IS NULL OR a.kind = :kind)"
                    " AND (CAST(:d_from AS TEXT) IS NULL OR a.date >= :d_from)"
                    " AND (CAST(:d_to AS TEXT) IS NULL OR a.date <= :d_to) AND " SRV_PROJECT_VISIBLE
                    " ORDER BY a.id LIMIT :limit";

static void read_activity(srv_q *q, srv_activity *a)
{
	a->id = srv_col_int64(q, 0);
	a->person_id = srv_col_int64(q, 1);
	TEXT(a->leader_code, q, 2);
	TEXT(a->leader_name, q, 3);
	a->project_id = srv_col_int64(q, 4);
	TEXT(a->project_code, q, 5);
	TEXT(a->project_name, q, 6);
	TEXT(a->kind, q, 7);
	TEXT(a->date, q, 8);
	TEXT(a->notes, q, 9);
	TEXT(a->created_at, q, 10);
	a->n_problems = 0;
}

/* Fills a's problem ids. */
static int activity_problems(srv_store *s, srv_activity *a, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ACTIVITY_PROBLEMS);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, a->id);
	int rc;
	a->n_problems = 0;
	while ((rc = srv_step(q)) == SRV_ROW)
		if (a->n_problems < SRV_SUP_MAX_PROBLEMS)
			a->problems[a->n_problems++] = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read activity problems", st);
	return LS_OK;
}

int srv_store_sup_activity_insert(srv_store *s, const srv_activity *a, int64_t account,
                                  const char *now, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ACTIVITY_INSERT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, a->person_id);
	srv_bind_int64(q, 2, a->project_id);
	srv_bind_text(q, 3, a->kind);
	srv_bind_text(q, 4, a->date);
	srv_bind_text(q, 5, a->notes);
	srv_bind_int64(q, 6, account);
	srv_bind_text(q, 7, now);
	int rc = run_write(s, q, "insert activity", id, st);
	for (int i = 0; rc == LS_OK && i < a->n_problems; i++) {
		q = srv_stmt(s, SQL_ACTIVITY_PROBLEM_INSERT);
		if (q == NULL)
			return no_stmt(st);
		srv_bind_int64(q, 1, *id);
		srv_bind_int64(q, 2, a->problems[i]);
		rc = run_write(s, q, "insert activity problem", NULL, st);
	}
	return rc;
}

int srv_store_sup_activity_get(srv_store *s, int64_t id, srv_activity *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ACTIVITY_GET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_activity(q, out);
	srv_stmt_done(q);
	if (rc == SRV_DONE)
		return LS_NOT_FOUND;
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "read activity", st);
	return activity_problems(s, out, st);
}

int srv_store_sup_activity_list(srv_store *s, const srv_sup_filter *f,
                                void (*fn)(void *arg, const srv_activity *a), void *arg,
                                ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ACTIVITY_LIST);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_filter(q, f);
	srv_activity *a = malloc(sizeof *a);
	if (a == NULL) {
		srv_stmt_done(q);
		if (st != NULL)
			ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
		return -1;
	}
	int n = 0, rc;
	bool failed = false;
	while (!failed && (rc = srv_step(q)) == SRV_ROW) {
		read_activity(q, a);
		failed = activity_problems(s, a, st) != LS_OK;
		if (!failed) {
			fn(arg, a);
			n++;
		}
	}
	srv_stmt_done(q);
	free(a);
	if (failed)
		return -1;
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list activities", st);
		return -1;
	}
	return n;
}

static const char SQL_CADENCE_PAIRS[] =
    "SELECT pe.id, pe.code, pe.name, p.id, p.code, p.name FROM projects p"
    " JOIN people pe ON pe.id = p.lead_leader_id WHERE p.archived = 0"
    " AND (:person = 0 OR pe.id = :person) AND (:project = 0 OR p.id = :project)"
    " AND " SRV_PROJECT_VISIBLE " ORDER BY pe.code, p.code";

static void read_pair(srv_q *q, srv_cadence_pair *p)
{
	p->person_id = srv_col_int64(q, 0);
	TEXT(p->leader_code, q, 1);
	TEXT(p->leader_name, q, 2);
	p->project_id = srv_col_int64(q, 3);
	TEXT(p->project_code, q, 4);
	TEXT(p->project_name, q, 5);
}

int srv_store_sup_cadence_pairs(srv_store *s, const srv_sup_filter *f,
                                void (*fn)(void *arg, const srv_cadence_pair *p), void *arg,
                                ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_CADENCE_PAIRS);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_filter(q, f);
	LIST_ALL(s, q, srv_cadence_pair, read_pair, fn, arg, "list led projects", st);
}

static const char SQL_CADENCE_ACTIVITIES[] =
    "SELECT kind, date FROM leader_activities WHERE person_id = ?1 AND project_id = ?2"
    " AND date BETWEEN ?3 AND ?4 ORDER BY date, id";

int srv_store_sup_cadence_activities(srv_store *s, int64_t person, int64_t project,
                                     const char *from, const char *to,
                                     void (*fn)(void *arg, const char *kind, const char *date),
                                     void *arg, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_CADENCE_ACTIVITIES);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	srv_bind_int64(q, 1, person);
	srv_bind_int64(q, 2, project);
	srv_bind_text(q, 3, from);
	srv_bind_text(q, 4, to);
	int n = 0, rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		char kind[16], date[SRV_SUP_DATE];
		TEXT(kind, q, 0);
		TEXT(date, q, 1);
		fn(arg, kind, date);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "read activities", st);
		return -1;
	}
	return n;
}

/* ---- inspections --------------------------------------------------------------------- */

static const char SQL_INSPECTION_INSERT[] =
    "INSERT INTO inspections(group_unit_id, project_id, date, layer, findings, slow, "
    "account_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULLIF(?7, 0), ?8)";

#define INSPECTION_SELECT                                                              \
	"SELECT i.id, i.group_unit_id, g.code, g.name, i.project_id, p.code, p.name, " \
	"pe.code, pe.name, i.date, i.layer, i.findings, i.slow, i.created_at "         \
	"FROM inspections i JOIN units g ON g.id = i.group_unit_id "                   \
	"JOIN projects p ON p.id = i.project_id JOIN people pe ON pe.id = p.lead_leader_id "

static const char SQL_INSPECTION_GET[] = INSPECTION_SELECT "WHERE i.id = ?1";
static const char SQL_INSPECTION_LIST[] = INSPECTION_SELECT
    "WHERE i.id > :after AND (:unit = 0 OR i.group_unit_id = :unit)"
    " AND (:project = 0 OR i.project_id = :project)"
    " AND (CAST(:kind AS TEXT) IS NULL OR i.layer = :kind)"
    " AND (CAST(:d_from AS TEXT) IS NULL OR i.date >= :d_from)"
    " AND (CAST(:d_to AS TEXT) IS NULL OR i.date <= :d_to)"
    " AND (:flag = 0 OR i.slow = 1) AND " SRV_PROJECT_VISIBLE " ORDER BY i.id LIMIT :limit";

static void read_inspection(srv_q *q, srv_inspection *i)
{
	i->id = srv_col_int64(q, 0);
	i->group_id = srv_col_int64(q, 1);
	TEXT(i->group_code, q, 2);
	TEXT(i->group_name, q, 3);
	i->project_id = srv_col_int64(q, 4);
	TEXT(i->project_code, q, 5);
	TEXT(i->project_name, q, 6);
	TEXT(i->leader_code, q, 7);
	TEXT(i->leader_name, q, 8);
	TEXT(i->date, q, 9);
	TEXT(i->layer, q, 10);
	TEXT(i->findings, q, 11);
	i->slow = srv_col_int(q, 12) != 0;
	TEXT(i->created_at, q, 13);
}

int srv_store_sup_inspection_insert(srv_store *s, const srv_inspection *i, int64_t account,
                                    const char *now, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_INSPECTION_INSERT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, i->group_id);
	srv_bind_int64(q, 2, i->project_id);
	srv_bind_text(q, 3, i->date);
	srv_bind_text(q, 4, i->layer);
	srv_bind_text(q, 5, i->findings);
	srv_bind_int64(q, 6, i->slow ? 1 : 0);
	srv_bind_int64(q, 7, account);
	srv_bind_text(q, 8, now);
	return run_write(s, q, "insert inspection", id, st);
}

int srv_store_sup_inspection_get(srv_store *s, int64_t id, srv_inspection *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_INSPECTION_GET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	GET_ONE(s, q, read_inspection, out, "read inspection", st);
}

int srv_store_sup_inspection_list(srv_store *s, const srv_sup_filter *f,
                                  void (*fn)(void *arg, const srv_inspection *i), void *arg,
                                  ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_INSPECTION_LIST);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_filter(q, f);
	LIST_ALL_HEAP(s, q, srv_inspection, read_inspection, fn, arg, "list inspections", st);
}

/* ---- rectification orders ------------------------------------------------------------- */

static const char SQL_RECT_INSERT[] =
    "INSERT INTO rectifications(inspection_id, owner_unit_id, due_date, text, ordered_on, "
    "account_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0), ?7)";
static const char SQL_RECT_SET[] =
    "UPDATE rectifications SET status = ?2, done_date = ?3 WHERE id = ?1";

#define RECT_SELECT                                                                       \
	"SELECT r.id, r.inspection_id, p.id, p.code, p.name, g.code, g.name, "            \
	"r.owner_unit_id, o.code, o.name, r.due_date, r.text, r.ordered_on, r.status, "   \
	"r.done_date FROM rectifications r JOIN inspections i ON i.id = r.inspection_id " \
	"JOIN projects p ON p.id = i.project_id JOIN units g ON g.id = i.group_unit_id "  \
	"JOIN units o ON o.id = r.owner_unit_id "

static const char SQL_RECT_GET[] = RECT_SELECT "WHERE r.id = ?1";
static const char SQL_RECT_LIST[] = RECT_SELECT
    "WHERE r.id > :after AND (:project = 0 OR p.id = :project)"
    " AND (:unit = 0 OR r.owner_unit_id = :unit)"
    " AND (:inspection = 0 OR r.inspection_id = :inspection)"
    " AND (CAST(:status AS TEXT) IS NULL OR r.status = :status)"
    " AND (:flag = 0 OR (r.status = 'open' AND r.due_date < :as_of))"
    " AND (" SRV_PROJECT_VISIBLE " OR (:scope_mode IN (2, 3) AND r.owner_unit_id IN " SRV_SUBTREE(
        ":scope_unit") ")) ORDER BY r.id LIMIT :limit";

static void read_rect(srv_q *q, srv_rectification *r)
{
	r->id = srv_col_int64(q, 0);
	r->inspection_id = srv_col_int64(q, 1);
	r->project_id = srv_col_int64(q, 2);
	TEXT(r->project_code, q, 3);
	TEXT(r->project_name, q, 4);
	TEXT(r->group_code, q, 5);
	TEXT(r->group_name, q, 6);
	r->owner_unit_id = srv_col_int64(q, 7);
	TEXT(r->owner_code, q, 8);
	TEXT(r->owner_name, q, 9);
	TEXT(r->due_date, q, 10);
	TEXT(r->text, q, 11);
	TEXT(r->ordered_on, q, 12);
	TEXT(r->status, q, 13);
	TEXT(r->done_date, q, 14);
}

int srv_store_sup_rectification_insert(srv_store *s, const srv_rectification *r, int64_t account,
                                       const char *now, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_RECT_INSERT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, r->inspection_id);
	srv_bind_int64(q, 2, r->owner_unit_id);
	srv_bind_text(q, 3, r->due_date);
	srv_bind_text(q, 4, r->text);
	srv_bind_text(q, 5, r->ordered_on);
	srv_bind_int64(q, 6, account);
	srv_bind_text(q, 7, now);
	return run_write(s, q, "insert rectification", id, st);
}

int srv_store_sup_rectification_get(srv_store *s, int64_t id, srv_rectification *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_RECT_GET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	GET_ONE(s, q, read_rect, out, "read rectification", st);
}

int srv_store_sup_rectification_set(srv_store *s, int64_t id, bool done, const char *done_date,
                                    ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_RECT_SET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	srv_bind_text(q, 2, done ? "done" : "open");
	if (done)
		srv_bind_text(q, 3, done_date);
	else
		srv_bind_null(q, 3);
	return run_write(s, q, "update rectification", NULL, st);
}

int srv_store_sup_rectification_list(srv_store *s, const srv_sup_filter *f,
                                     void (*fn)(void *arg, const srv_rectification *r), void *arg,
                                     ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_RECT_LIST);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_filter(q, f);
	LIST_ALL_HEAP(s, q, srv_rectification, read_rect, fn, arg, "list rectifications", st);
}

static const char SQL_RECT_OWNED[] =
    RECT_SELECT "WHERE r.owner_unit_id = ?1 AND r.status = 'open' ORDER BY r.due_date, r.id";

int srv_store_sup_rectifications_owned(srv_store *s, int64_t unit,
                                       void (*fn)(void *arg, const srv_rectification *r), void *arg,
                                       ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_RECT_OWNED);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	srv_bind_int64(q, 1, unit);
	LIST_ALL_HEAP(s, q, srv_rectification, read_rect, fn, arg, "list owned rectifications", st);
}

/* ---- accountability ----------------------------------------------------------------------- */

static const char SQL_ACC_INSERT[] =
    "INSERT INTO accountability(kind, person_id, unit_id, project_id, inspection_id, date, "
    "text, account_id, created_at) VALUES (?1, NULLIF(?2, 0), NULLIF(?3, 0), ?4, "
    "NULLIF(?5, 0), ?6, ?7, NULLIF(?8, 0), ?9)";

#define ACC_SELECT                                                                        \
	"SELECT x.id, x.kind, x.person_id, pe.code, pe.name, x.unit_id, u.code, u.name, " \
	"x.project_id, p.code, p.name, x.inspection_id, x.date, x.text, x.created_at "    \
	"FROM accountability x LEFT JOIN people pe ON pe.id = x.person_id "               \
	"LEFT JOIN units u ON u.id = x.unit_id JOIN projects p ON p.id = x.project_id "

static const char SQL_ACC_GET[] = ACC_SELECT "WHERE x.id = ?1";
static const char SQL_ACC_LIST[] =
    ACC_SELECT "WHERE x.id > :after AND (:project = 0 OR x.project_id = :project)"
               " AND (CAST(:kind AS TEXT) IS NULL OR x.kind = :kind)"
               " AND (:person = 0 OR x.person_id = :person)"
               " AND (:unit = 0 OR x.unit_id = :unit)"
               " AND (CAST(:d_from AS TEXT) IS NULL OR x.date >= :d_from)"
               " AND (CAST(:d_to AS TEXT) IS NULL OR x.date <= :d_to) AND " SRV_PROJECT_VISIBLE
               " ORDER BY x.id LIMIT :limit";

static void read_acc(srv_q *q, srv_accountability *a)
{
	a->id = srv_col_int64(q, 0);
	TEXT(a->kind, q, 1);
	a->person_id = srv_col_int64(q, 2);
	TEXT(a->person_code, q, 3);
	TEXT(a->person_name, q, 4);
	a->unit_id = srv_col_int64(q, 5);
	TEXT(a->unit_code, q, 6);
	TEXT(a->unit_name, q, 7);
	a->project_id = srv_col_int64(q, 8);
	TEXT(a->project_code, q, 9);
	TEXT(a->project_name, q, 10);
	a->inspection_id = srv_col_int64(q, 11);
	TEXT(a->date, q, 12);
	TEXT(a->text, q, 13);
	TEXT(a->created_at, q, 14);
}

int srv_store_sup_accountability_insert(srv_store *s, const srv_accountability *a, int64_t account,
                                        const char *now, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ACC_INSERT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_text(q, 1, a->kind);
	srv_bind_int64(q, 2, a->person_id);
	srv_bind_int64(q, 3, a->unit_id);
	srv_bind_int64(q, 4, a->project_id);
	srv_bind_int64(q, 5, a->inspection_id);
	srv_bind_text(q, 6, a->date);
	srv_bind_text(q, 7, a->text);
	srv_bind_int64(q, 8, account);
	srv_bind_text(q, 9, now);
	return run_write(s, q, "insert accountability", id, st);
}

int srv_store_sup_accountability_get(srv_store *s, int64_t id, srv_accountability *out,
                                     ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ACC_GET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	GET_ONE(s, q, read_acc, out, "read accountability", st);
}

int srv_store_sup_accountability_list(srv_store *s, const srv_sup_filter *f,
                                      void (*fn)(void *arg, const srv_accountability *a), void *arg,
                                      ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ACC_LIST);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_filter(q, f);
	LIST_ALL_HEAP(s, q, srv_accountability, read_acc, fn, arg, "list accountability", st);
}

/* ---- the supervision summary ------------------------------------------------------------- */

#define INSP_VISIBLE                                                                        \
	"FROM inspections i JOIN projects p ON p.id = i.project_id WHERE i.date <= :as_of " \
	"AND " SRV_PROJECT_VISIBLE
#define RECT_VISIBLE                                                          \
	"FROM rectifications r JOIN inspections i ON i.id = r.inspection_id " \
	"JOIN projects p ON p.id = i.project_id WHERE r.ordered_on <= :as_of AND " SRV_PROJECT_VISIBLE
/* Done by as_of: a later done date leaves the order open on that day. */
#define RECT_DONE "r.done_date IS NOT NULL AND r.done_date <= :as_of"
#define ACC_OF(kind)                                                                     \
	"(SELECT count(*) FROM accountability x JOIN projects p ON p.id = x.project_id " \
	"WHERE x.date <= :as_of AND x.kind = '" kind "' AND " SRV_PROJECT_VISIBLE ")"

static const char SQL_SUMMARY[] =
    "SELECT (SELECT count(*) " INSP_VISIBLE "),"
    " (SELECT count(DISTINCT i.project_id) " INSP_VISIBLE "),"
    " (SELECT count(DISTINCT i.group_unit_id) " INSP_VISIBLE "),"
    " (SELECT count(*) " RECT_VISIBLE "),"
    " (SELECT count(*) " RECT_VISIBLE " AND " RECT_DONE "),"
    " (SELECT count(*) " RECT_VISIBLE " AND NOT (" RECT_DONE ") AND r.due_date < :as_of),"
    " " ACC_OF("warning_talk") ", " ACC_OF("criticism") ", " ACC_OF("accountability");

int srv_store_sup_summary(srv_store *s, const srv_scope *sc, const char *as_of,
                          srv_sup_summary *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_SUMMARY);
	if (q == NULL)
		return no_stmt(st);
	srv_scope_bind(q, sc);
	bind_text(q, ":as_of", as_of);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		out->inspections = srv_col_int64(q, 0);
		out->inspected_projects = srv_col_int64(q, 1);
		out->groups = srv_col_int64(q, 2);
		out->rectifications = srv_col_int64(q, 3);
		out->rectifications_done = srv_col_int64(q, 4);
		out->rectifications_open = out->rectifications - out->rectifications_done;
		out->rectifications_overdue = srv_col_int64(q, 5);
		out->warning_talks = srv_col_int64(q, 6);
		out->criticisms = srv_col_int64(q, 7);
		out->accountability_actions = srv_col_int64(q, 8);
	}
	srv_stmt_done(q);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "supervision summary", st);
	return LS_OK;
}

#define RECT_OF_PROJECT                                                                        \
	"(SELECT count(*) FROM rectifications r JOIN inspections j ON j.id = r.inspection_id " \
	"WHERE j.project_id = p.id AND r.ordered_on <= :as_of AND NOT (" RECT_DONE ")"

static const char SQL_SLOW[] =
    "SELECT p.code, p.name, pe.code, pe.name, min(i.date), count(*), " RECT_OF_PROJECT
    "), " RECT_OF_PROJECT " AND r.due_date < :as_of) FROM inspections i"
    " JOIN projects p ON p.id = i.project_id JOIN people pe ON pe.id = p.lead_leader_id"
    " WHERE i.slow = 1 AND i.date <= :as_of AND " SRV_PROJECT_VISIBLE
    " GROUP BY p.id, pe.id ORDER BY p.code";

static void read_slow(srv_q *q, srv_slow_project *p)
{
	TEXT(p->project_code, q, 0);
	TEXT(p->project_name, q, 1);
	TEXT(p->leader_code, q, 2);
	TEXT(p->leader_name, q, 3);
	TEXT(p->first_named, q, 4);
	p->inspections = srv_col_int64(q, 5);
	p->rectifications_open = srv_col_int64(q, 6);
	p->rectifications_overdue = srv_col_int64(q, 7);
}

int srv_store_sup_slow_projects(srv_store *s, const srv_scope *sc, const char *as_of,
                                void (*fn)(void *arg, const srv_slow_project *p), void *arg,
                                ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_SLOW);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	srv_scope_bind(q, sc);
	bind_text(q, ":as_of", as_of);
	LIST_ALL(s, q, srv_slow_project, read_slow, fn, arg, "list slow projects", st);
}

/* ---- approvals --------------------------------------------------------------------------- */

#define APPROVAL_SELECT                                                                        \
	"SELECT a.id, a.project_id, p.code, p.name, p.fast_track, a.item, a.unit_id, u.code, " \
	"u.name, a.submitted, a.approved, a.visits FROM approvals a "                          \
	"JOIN projects p ON p.id = a.project_id JOIN units u ON u.id = a.unit_id "

static const char SQL_APPROVAL_FIND[] = APPROVAL_SELECT "WHERE a.project_id = ?1 AND a.item = ?2";
static const char SQL_APPROVAL_GET[] = APPROVAL_SELECT "WHERE a.id = ?1";
static const char SQL_APPROVAL_INSERT[] =
    "INSERT INTO approvals(project_id, item, unit_id, submitted, approved, visits, "
    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, NULLIF(?5, ''), ?6, ?7, ?7)";
static const char SQL_APPROVAL_UPDATE[] =
    "UPDATE approvals SET unit_id = ?2, submitted = ?3, approved = NULLIF(?4, ''), "
    "visits = ?5, updated_at = ?6 WHERE id = ?1";
static const char SQL_APPROVAL_LIST[] = APPROVAL_SELECT
    "WHERE a.id > :after AND (:project = 0 OR a.project_id = :project)"
    " AND (:unit = 0 OR a.unit_id = :unit)"
    " AND (:flag = 0 OR a.approved IS NULL)"
    " AND (" SRV_PROJECT_VISIBLE " OR (:scope_mode = 3 AND a.unit_id IN " SRV_SUBTREE(
        ":scope_unit") ")) ORDER BY a.id LIMIT :limit";

static void read_approval(srv_q *q, srv_approval *a)
{
	a->id = srv_col_int64(q, 0);
	a->project_id = srv_col_int64(q, 1);
	TEXT(a->project_code, q, 2);
	TEXT(a->project_name, q, 3);
	a->fast_track = srv_col_int(q, 4) != 0;
	TEXT(a->item, q, 5);
	a->unit_id = srv_col_int64(q, 6);
	TEXT(a->unit_code, q, 7);
	TEXT(a->unit_name, q, 8);
	TEXT(a->submitted, q, 9);
	TEXT(a->approved, q, 10);
	a->visits = srv_col_int(q, 11);
}

int srv_store_sup_approval_find(srv_store *s, int64_t project, const char *item, srv_approval *out,
                                ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_APPROVAL_FIND);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	srv_bind_text(q, 2, item);
	GET_ONE(s, q, read_approval, out, "read approval", st);
}

int srv_store_sup_approval_get(srv_store *s, int64_t id, srv_approval *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_APPROVAL_GET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	GET_ONE(s, q, read_approval, out, "read approval", st);
}

int srv_store_sup_approval_put(srv_store *s, const srv_approval *a, const char *now, int64_t *id,
                               ls_status *st)
{
	srv_q *q;
	if (a->id == 0) {
		q = srv_stmt(s, SQL_APPROVAL_INSERT);
		if (q == NULL)
			return no_stmt(st);
		srv_bind_int64(q, 1, a->project_id);
		srv_bind_text(q, 2, a->item);
		srv_bind_int64(q, 3, a->unit_id);
		srv_bind_text(q, 4, a->submitted);
		srv_bind_text(q, 5, a->approved);
		srv_bind_int64(q, 6, a->visits);
		srv_bind_text(q, 7, now);
		return run_write(s, q, "insert approval", id, st);
	}
	q = srv_stmt(s, SQL_APPROVAL_UPDATE);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, a->id);
	srv_bind_int64(q, 2, a->unit_id);
	srv_bind_text(q, 3, a->submitted);
	srv_bind_text(q, 4, a->approved);
	srv_bind_int64(q, 5, a->visits);
	srv_bind_text(q, 6, now);
	*id = a->id;
	return run_write(s, q, "update approval", NULL, st);
}

int srv_store_sup_approval_list(srv_store *s, const srv_sup_filter *f,
                                void (*fn)(void *arg, const srv_approval *a), void *arg,
                                ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_APPROVAL_LIST);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_filter(q, f);
	LIST_ALL(s, q, srv_approval, read_approval, fn, arg, "list approvals", st);
}

/* ---- land clearance ---------------------------------------------------------------------- */

#define CLEARANCE_SELECT                                                                  \
	"SELECT c.id, c.project_id, p.code, p.name, c.month, c.target_m2, c.cleared_m2, " \
	"c.demolished_m2, c.households FROM clearance c JOIN projects p ON p.id = c.project_id "

static const char SQL_CLEARANCE_FIND[] =
    CLEARANCE_SELECT "WHERE c.project_id = ?1 AND c.month = ?2";
static const char SQL_CLEARANCE_GET[] = CLEARANCE_SELECT "WHERE c.id = ?1";
static const char SQL_CLEARANCE_INSERT[] =
    "INSERT INTO clearance(project_id, month, target_m2, cleared_m2, demolished_m2, "
    "households, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_CLEARANCE_UPDATE[] =
    "UPDATE clearance SET target_m2 = ?2, cleared_m2 = ?3, demolished_m2 = ?4, "
    "households = ?5, updated_at = ?6 WHERE id = ?1";
static const char SQL_CLEARANCE_LIST[] = CLEARANCE_SELECT
    "WHERE c.id > :after AND (:project = 0 OR c.project_id = :project)"
    " AND (CAST(:d_from AS TEXT) IS NULL OR c.month >= :d_from)"
    " AND (CAST(:d_to AS TEXT) IS NULL OR c.month <= :d_to) AND " SRV_PROJECT_VISIBLE
    " ORDER BY c.id LIMIT :limit";

static void read_clearance(srv_q *q, srv_clearance *c)
{
	c->id = srv_col_int64(q, 0);
	c->project_id = srv_col_int64(q, 1);
	TEXT(c->project_code, q, 2);
	TEXT(c->project_name, q, 3);
	TEXT(c->month, q, 4);
	c->target = srv_col_int64(q, 5);
	c->cleared = srv_col_int64(q, 6);
	c->demolished = srv_col_int64(q, 7);
	c->households = srv_col_int64(q, 8);
}

int srv_store_sup_clearance_find(srv_store *s, int64_t project, const char *month,
                                 srv_clearance *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_CLEARANCE_FIND);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, project);
	srv_bind_text(q, 2, month);
	GET_ONE(s, q, read_clearance, out, "read clearance", st);
}

int srv_store_sup_clearance_get(srv_store *s, int64_t id, srv_clearance *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_CLEARANCE_GET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	GET_ONE(s, q, read_clearance, out, "read clearance", st);
}

int srv_store_sup_clearance_put(srv_store *s, const srv_clearance *c, const char *now, int64_t *id,
                                ls_status *st)
{
	srv_q *q;
	int k = 1;
	if (c->id == 0) {
		q = srv_stmt(s, SQL_CLEARANCE_INSERT);
		if (q == NULL)
			return no_stmt(st);
		srv_bind_int64(q, k++, c->project_id);
		srv_bind_text(q, k++, c->month);
	} else {
		q = srv_stmt(s, SQL_CLEARANCE_UPDATE);
		if (q == NULL)
			return no_stmt(st);
		srv_bind_int64(q, k++, c->id);
		*id = c->id;
	}
	srv_bind_int64(q, k++, c->target);
	srv_bind_int64(q, k++, c->cleared);
	srv_bind_int64(q, k++, c->demolished);
	srv_bind_int64(q, k++, c->households);
	srv_bind_text(q, k, now);
	return run_write(s, q, c->id == 0 ? "insert clearance" : "update clearance",
	                 c->id == 0 ? id : NULL, st);
}

int srv_store_sup_clearance_list(srv_store *s, const srv_sup_filter *f,
                                 void (*fn)(void *arg, const srv_clearance *c), void *arg,
                                 ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_CLEARANCE_LIST);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_filter(q, f);
	LIST_ALL(s, q, srv_clearance, read_clearance, fn, arg, "list clearance", st);
}

static const char SQL_CLEARANCE_SUMS[] =
    "SELECT p.code, p.name, pe.code, pe.name, p.land_clearance, count(c.id),"
    " coalesce(sum(c.target_m2), 0), coalesce(sum(c.cleared_m2), 0),"
    " coalesce(sum(c.demolished_m2), 0), coalesce(sum(c.households), 0)"
    " FROM projects p JOIN people pe ON pe.id = p.lead_leader_id"
    " LEFT JOIN clearance c ON c.project_id = p.id AND c.month BETWEEN :d_from AND :d_to"
    " WHERE ((p.land_clearance = 1 AND p.archived = 0) OR c.id IS NOT NULL)"
    " AND " SRV_PROJECT_VISIBLE " GROUP BY p.id, pe.id ORDER BY p.code";

static void read_sum(srv_q *q, srv_clearance_sum *c)
{
	TEXT(c->project_code, q, 0);
	TEXT(c->project_name, q, 1);
	TEXT(c->leader_code, q, 2);
	TEXT(c->leader_name, q, 3);
	c->nail = srv_col_int(q, 4) != 0;
	c->months = srv_col_int64(q, 5);
	c->target = srv_col_int64(q, 6);
	c->cleared = srv_col_int64(q, 7);
	c->demolished = srv_col_int64(q, 8);
	c->households = srv_col_int64(q, 9);
}

int srv_store_sup_clearance_sums(srv_store *s, const srv_scope *sc, const char *from,
                                 const char *to, void (*fn)(void *arg, const srv_clearance_sum *c),
                                 void *arg, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_CLEARANCE_SUMS);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	srv_scope_bind(q, sc);
	bind_text(q, ":d_from", from);
	bind_text(q, ":d_to", to);
	LIST_ALL(s, q, srv_clearance_sum, read_sum, fn, arg, "sum clearance", st);
}

/* ---- funding -------------------------------------------------------------------------------- */

static const char SQL_FUNDING_INSERT[] =
    "INSERT INTO funding(source, kind, project_id, unit_id, amount, signed, term_years, text, "
    "account_id, created_at) VALUES (?1, ?2, NULLIF(?3, 0), NULLIF(?4, 0), ?5, ?6, "
    "NULLIF(?7, 0), ?8, NULLIF(?9, 0), ?10)";

#define FUNDING_SELECT                                                                     \
	"SELECT f.id, f.source, f.kind, f.project_id, p.code, p.name, f.unit_id, u.code, " \
	"u.name, f.amount, f.signed, f.term_years, f.text, f.created_at FROM funding f "   \
	"LEFT JOIN projects p ON p.id = f.project_id LEFT JOIN units u ON u.id = f.unit_id "

static const char SQL_FUNDING_GET[] = FUNDING_SELECT "WHERE f.id = ?1";
static const char SQL_FUNDING_LIST[] = FUNDING_SELECT
    "WHERE f.id > :after AND (CAST(:source AS TEXT) IS NULL OR f.source = :source)"
    " AND (:project = 0 OR f.project_id = :project)"
    " AND (:unit = 0 OR f.unit_id = :unit)"
    " AND (CAST(:kind AS TEXT) IS NULL OR f.kind = :kind)"
    " AND (CAST(:as_of AS TEXT) IS NULL OR f.signed <= :as_of)"
    " AND ((f.project_id IS NOT NULL AND " SRV_PROJECT_VISIBLE ")"
    " OR (f.unit_id IS NOT NULL AND ((:scope_mode = 1 AND f.unit_id IN " SRV_SUBTREE(
        ":scope_root") ") OR (:scope_mode IN (2, 3) AND f.unit_id IN " SRV_SUBTREE(":scope_unit") "))))"
                                                                                                  " ORDER BY f.id LIMIT :limit";

static void read_funding(srv_q *q, srv_funding *f)
{
	f->id = srv_col_int64(q, 0);
	TEXT(f->source, q, 1);
	TEXT(f->kind, q, 2);
	f->project_id = srv_col_int64(q, 3);
	TEXT(f->project_code, q, 4);
	TEXT(f->project_name, q, 5);
	f->unit_id = srv_col_int64(q, 6);
	TEXT(f->unit_code, q, 7);
	TEXT(f->unit_name, q, 8);
	f->amount = srv_col_int64(q, 9);
	TEXT(f->signed_on, q, 10);
	f->term_years = srv_col_int(q, 11);
	TEXT(f->text, q, 12);
	TEXT(f->created_at, q, 13);
}

int srv_store_sup_funding_insert(srv_store *s, const srv_funding *f, int64_t account,
                                 const char *now, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_FUNDING_INSERT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_text(q, 1, f->source);
	srv_bind_text(q, 2, f->kind);
	srv_bind_int64(q, 3, f->project_id);
	srv_bind_int64(q, 4, f->unit_id);
	srv_bind_int64(q, 5, f->amount);
	srv_bind_text(q, 6, f->signed_on);
	srv_bind_int64(q, 7, f->term_years);
	srv_bind_text(q, 8, f->text);
	srv_bind_int64(q, 9, account);
	srv_bind_text(q, 10, now);
	return run_write(s, q, "insert funding", id, st);
}

int srv_store_sup_funding_get(srv_store *s, int64_t id, srv_funding *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_FUNDING_GET);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	GET_ONE(s, q, read_funding, out, "read funding", st);
}

int srv_store_sup_funding_list(srv_store *s, const srv_sup_filter *f,
                               void (*fn)(void *arg, const srv_funding *r), void *arg,
                               ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_FUNDING_LIST);
	if (q == NULL) {
		no_stmt(st);
		return -1;
	}
	bind_filter(q, f);
	LIST_ALL_HEAP(s, q, srv_funding, read_funding, fn, arg, "list funding", st);
}
