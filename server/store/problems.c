/* The SQL of ProblemService. See problems.h. */
#include "problems.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

static int prepare_failed(ls_status *st)
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

/* NULL leaves the parameter NULL. */
static void bind_text(srv_q *q, const char *name, const char *v)
{
	int i = srv_bind_index(q, name);
	if (i > 0 && v != NULL)
		srv_bind_text(q, i, v);
}

/* Runs q (bound), which returns no rows, and resets it. */
static int step_done(srv_store *s, srv_q *q, const char *what, ls_status *st)
{
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, what, st);
	return LS_OK;
}

/* ---- projects ----------------------------------------------------------------- */

static const char SQL_PROJECT[] =
    "SELECT id, code, lead_unit_id, lead_leader_id, coalesce(town_id, 0), archived "
    "FROM projects WHERE id = :id";

int srv_store_problems_project(srv_store *s, int64_t id, srv_problem_project *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PROJECT);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", id);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		out->id = srv_col_int64(q, 0);
		srv_column_text(out->code, sizeof out->code, q, 1);
		out->lead_unit_id = srv_col_int64(q, 2);
		out->lead_leader_id = srv_col_int64(q, 3);
		out->town_id = srv_col_int64(q, 4);
		out->archived = srv_col_int(q, 5) != 0;
	}
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read project", st);
	return LS_NOT_FOUND;
}

static const char SQL_UNIT_ON_PROJECT[] =
    "SELECT 1 FROM projects p WHERE p.id = :project AND (p.lead_unit_id IN " SRV_SUBTREE(
        ":unit") " OR p.id IN (SELECT project_id FROM project_units WHERE unit_id IN " SRV_SUBTREE(":unit") "))";

int srv_store_problems_unit_on_project(srv_store *s, int64_t project, int64_t unit, bool *yes,
                                       ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UNIT_ON_PROJECT);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":project", project);
	bind_int64(q, ":unit", unit);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, "check project units", st);
	*yes = rc == SRV_ROW;
	return LS_OK;
}

/* ---- reading problems ---------------------------------------------------------- */

#define PROBLEM_COLS                                                                         \
	"pr.id, pr.project_id, p.code, p.name, p.lead_leader_id, ll.code, ll.name,"          \
	" coalesce(p.town_id, 0), coalesce(tw.code, ''), coalesce(tw.name, ''),"             \
	" pr.title, pr.detail, pr.grp, pr.routed_unit_id, ru.code, ru.name,"                 \
	" coalesce(pr.assignee_unit_id, 0), coalesce(au.code, ''), coalesce(au.name, ''),"   \
	" coalesce(pr.assignee_person_id, 0), coalesce(ap.code, ''), coalesce(ap.name, '')," \
	" coalesce(pr.office_id, 0), coalesce(ou.code, ''), coalesce(ou.name, ''),"          \
	" coalesce(pr.due_date, ''), pr.status, pr.escalated, coalesce(pr.resolution, ''),"  \
	" coalesce(pr.raised_by, 0), coalesce(ra.name, ''), coalesce(ra.unit_id, 0),"        \
	" coalesce(rau.code, ''), coalesce(rau.name, ''), pr.raised_at, pr.raised_on,"       \
	" coalesce(pr.resolved_at, ''), coalesce(pr.resolved_on, '')"                        \
	" FROM problems pr JOIN projects p ON p.id = pr.project_id"                          \
	" JOIN people ll ON ll.id = p.lead_leader_id"                                        \
	" LEFT JOIN units tw ON tw.id = p.town_id"                                           \
	" JOIN units ru ON ru.id = pr.routed_unit_id"                                        \
	" LEFT JOIN units au ON au.id = pr.assignee_unit_id"                                 \
	" LEFT JOIN people ap ON ap.id = pr.assignee_person_id"                              \
	" LEFT JOIN units ou ON ou.id = pr.office_id"                                        \
	" LEFT JOIN accounts ra ON ra.id = pr.raised_by"                                     \
	" LEFT JOIN units rau ON rau.id = ra.unit_id "

/* A problem the viewer bound by bind_viewer may read: its project's, or
 * routed or assigned to the viewer's unit or person. */
#define PROBLEM_VISIBLE                                                                  \
	"(" SRV_PROJECT_VISIBLE " OR (:by_unit = 1 AND (pr.routed_unit_id = :scope_unit" \
	" OR pr.assignee_unit_id = :scope_unit"                                          \
	" OR (pr.escalated = 1 AND pr.office_id = :scope_unit)))"                        \
	" OR (:scope_person > 0 AND pr.assignee_person_id = :scope_person))"

static void bind_viewer(srv_q *q, const srv_problem_viewer *v)
{
	srv_scope_bind(q, v->scope);
	bind_int64(q, ":by_unit", v->by_unit ? 1 : 0);
}

static void read_ref(srv_q *q, int col, srv_problem_ref *r)
{
	r->id = srv_col_int64(q, col);
	srv_column_text(r->code, sizeof r->code, q, col + 1);
	srv_column_text(r->name, sizeof r->name, q, col + 2);
}

static void read_problem(srv_q *q, srv_problem *p)
{
	p->id = srv_col_int64(q, 0);
	read_ref(q, 1, &p->project);
	read_ref(q, 4, &p->lead_leader);
	read_ref(q, 7, &p->town);
	srv_column_text(p->title, sizeof p->title, q, 10);
	srv_column_text(p->detail, sizeof p->detail, q, 11);
	srv_column_text(p->group, sizeof p->group, q, 12);
	read_ref(q, 13, &p->routed);
	read_ref(q, 16, &p->assignee_unit);
	read_ref(q, 19, &p->assignee_person);
	read_ref(q, 22, &p->office);
	srv_column_text(p->due_date, sizeof p->due_date, q, 25);
	const char *status = srv_col_text(q, 26);
	p->resolved = status != NULL && strcmp((const char *)status, "resolved") == 0;
	p->escalated = srv_col_int(q, 27) != 0;
	srv_column_text(p->resolution, sizeof p->resolution, q, 28);
	p->raised_by = srv_col_int64(q, 29);
	srv_column_text(p->raised_by_name, sizeof p->raised_by_name, q, 30);
	read_ref(q, 31, &p->raised_by_unit);
	srv_column_text(p->raised_at, sizeof p->raised_at, q, 34);
	srv_column_text(p->raised_on, sizeof p->raised_on, q, 35);
	srv_column_text(p->resolved_at, sizeof p->resolved_at, q, 36);
	srv_column_text(p->resolved_on, sizeof p->resolved_on, q, 37);
}

static const char SQL_GET[] = "SELECT " PROBLEM_COLS "WHERE pr.id = :id";

int srv_store_problems_get(srv_store *s, int64_t id, srv_problem *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_GET);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_problem(q, out);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read problem", st);
	return LS_NOT_FOUND;
}

static const char SQL_VISIBLE[] = "SELECT 1 FROM problems pr JOIN projects p ON p.id = "
                                  "pr.project_id WHERE pr.id = :id AND " PROBLEM_VISIBLE;

bool srv_store_problems_visible(srv_store *s, const srv_problem_viewer *v, int64_t id)
{
	srv_q *q = srv_stmt(s, SQL_VISIBLE);
	if (q == NULL)
		return false;
	bind_viewer(q, v);
	bind_int64(q, ":id", id);
	bool yes = srv_step(q) == SRV_ROW;
	srv_stmt_done(q);
	return yes;
}

/* ---- writing problems ------------------------------------------------------------ */

static const char SQL_INSERT[] =
    "INSERT INTO problems(project_id, title, detail, grp, routed_unit_id, office_id, due_date,"
    " raised_by, raised_at, raised_on) VALUES (:project, :title, :detail, :grp, :routed,"
    " :office, nullif(:due, ''), nullif(:by, 0), :at, :on)";

int srv_store_problems_insert(srv_store *s, const srv_problem_new *p, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_INSERT);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":project", p->project_id);
	bind_text(q, ":title", p->title);
	bind_text(q, ":detail", p->detail ? p->detail : "");
	bind_text(q, ":grp", p->group);
	bind_int64(q, ":routed", p->routed_unit_id);
	bind_int64(q, ":office", p->office_id);
	bind_text(q, ":due", p->due_date ? p->due_date : "");
	bind_int64(q, ":by", p->raised_by);
	bind_text(q, ":at", p->raised_at);
	bind_text(q, ":on", p->raised_on);
	if (step_done(s, q, "insert problem", st) != LS_OK)
		return st->code;
	*id = srv_last_id(s);
	return LS_OK;
}

static const char SQL_ASSIGN[] = "UPDATE problems SET assignee_unit_id = nullif(:unit, 0),"
                                 " assignee_person_id = nullif(:person, 0) WHERE id = :id";
static const char SQL_RESOLVE[] = "UPDATE problems SET status = 'resolved', resolution = :text,"
                                  " resolved_at = :at, resolved_on = :on WHERE id = :id";
static const char SQL_REOPEN[] = "UPDATE problems SET status = 'open', resolution = NULL,"
                                 " resolved_at = NULL, resolved_on = NULL WHERE id = :id";
static const char SQL_ESCALATE[] = "UPDATE problems SET escalated = 1 WHERE id = :id";
static const char SQL_EVENT[] = "INSERT INTO problem_events(problem_id, at, account_id, kind, text)"
                                " VALUES (:id, :at, nullif(:account, 0), :kind, :text)";

int srv_store_problems_assign(srv_store *s, int64_t id, int64_t unit, int64_t person, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ASSIGN);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", id);
	bind_int64(q, ":unit", unit);
	bind_int64(q, ":person", person);
	return step_done(s, q, "assign problem", st);
}

int srv_store_problems_resolve(srv_store *s, int64_t id, const char *resolution, const char *at,
                               const char *on, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_RESOLVE);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", id);
	bind_text(q, ":text", resolution);
	bind_text(q, ":at", at);
	bind_text(q, ":on", on);
	return step_done(s, q, "resolve problem", st);
}

int srv_store_problems_reopen(srv_store *s, int64_t id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_REOPEN);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", id);
	return step_done(s, q, "reopen problem", st);
}

int srv_store_problems_escalate(srv_store *s, int64_t id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ESCALATE);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", id);
	return step_done(s, q, "escalate problem", st);
}

int srv_store_problems_event(srv_store *s, int64_t problem, const char *at, int64_t account,
                             const char *kind, const char *text, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_EVENT);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", problem);
	bind_text(q, ":at", at);
	bind_int64(q, ":account", account);
	bind_text(q, ":kind", kind);
	bind_text(q, ":text", text ? text : "");
	return step_done(s, q, "append problem event", st);
}

static const char SQL_EVENTS[] =
    "SELECT e.at, coalesce(a.name, ''), e.kind, e.text FROM problem_events e"
    " LEFT JOIN accounts a ON a.id = e.account_id WHERE e.problem_id = :id ORDER BY e.id";

int srv_store_problems_events(srv_store *s, int64_t id,
                              void (*fn)(void *arg, const srv_problem_event *e), void *arg,
                              ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_EVENTS);
	if (q == NULL) {
		prepare_failed(st);
		return -1;
	}
	bind_int64(q, ":id", id);
	int rc, n = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		srv_problem_event e = {
		    .at = srv_col_text(q, 0),
		    .account_name = srv_col_text(q, 1),
		    .kind = srv_col_text(q, 2),
		    .text = srv_col_text(q, 3),
		};
		fn(arg, &e);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "read problem history", st);
		return -1;
	}
	return n;
}

/* ---- lists and counts ------------------------------------------------------------ */

/* The filters list and stats share; :leader, :town are 0 for any. */
#define PROBLEM_FILTERS                                                                       \
	" AND (:leader = 0 OR p.lead_leader_id = :leader OR pr.assignee_person_id = :leader)" \
	" AND (:town = 0 OR p.town_id IN " SRV_SUBTREE(":town") ")"

static const char SQL_LIST[] =
    "SELECT " PROBLEM_COLS "WHERE " PROBLEM_VISIBLE " AND pr.id > :after" PROBLEM_FILTERS
    " AND (:open = 0 OR pr.status = 'open')"
    " AND (:overdue = 0 OR (pr.status = 'open' AND pr.due_date < :as_of))"
    " AND (CAST(:grp AS TEXT) IS NULL OR pr.grp = :grp)"
    " AND (:project = 0 OR pr.project_id = :project)"
    " ORDER BY pr.id LIMIT :limit";

static void bind_filters(srv_q *q, const srv_problem_filter *f)
{
	bind_viewer(q, f->viewer);
	bind_text(q, ":as_of", f->as_of);
	bind_int64(q, ":leader", f->leader);
	bind_int64(q, ":town", f->town);
}

int srv_store_problems_list(srv_store *s, const srv_problem_filter *f,
                            void (*fn)(void *arg, const srv_problem *p), void *arg, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LIST);
	if (q == NULL) {
		prepare_failed(st);
		return -1;
	}
	bind_filters(q, f);
	bind_int64(q, ":after", f->after);
	bind_int64(q, ":open", f->open_only ? 1 : 0);
	bind_int64(q, ":overdue", f->overdue_only ? 1 : 0);
	bind_text(q, ":grp", f->group);
	bind_int64(q, ":project", f->project);
	bind_int64(q, ":limit", f->limit);
	srv_problem p;
	int rc, n = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_problem(q, &p);
		fn(arg, &p);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list problems", st);
		return -1;
	}
	return n;
}

/* A problem resolved on or before as_of counts as resolved then; one
 * reopened since has no resolved_on and counts as open. */
static const char SQL_STATS[] =
    "SELECT pr.grp, count(*),"
    " count(*) FILTER (WHERE pr.resolved_on IS NOT NULL AND pr.resolved_on <= :as_of),"
    " count(*) FILTER (WHERE (pr.resolved_on IS NULL OR pr.resolved_on > :as_of)"
    " AND pr.due_date IS NOT NULL AND pr.due_date < :as_of)"
    " FROM problems pr JOIN projects p ON p.id = pr.project_id"
    " WHERE " PROBLEM_VISIBLE " AND pr.raised_on <= :as_of" PROBLEM_FILTERS
    " GROUP BY pr.grp ORDER BY pr.grp";

int srv_store_problems_stats(srv_store *s, const srv_problem_filter *f,
                             void (*fn)(void *arg, const srv_problem_counts *c), void *arg,
                             ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_STATS);
	if (q == NULL) {
		prepare_failed(st);
		return -1;
	}
	bind_filters(q, f);
	int rc, n = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		srv_problem_counts c;
		srv_column_text(c.group, sizeof c.group, q, 0);
		c.raised = srv_col_int64(q, 1);
		c.resolved = srv_col_int64(q, 2);
		c.overdue = srv_col_int64(q, 3);
		fn(arg, &c);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "count problems", st);
		return -1;
	}
	return n;
}

static const char SQL_ASSIGNED[] =
    "SELECT " PROBLEM_COLS "WHERE pr.status = 'open' AND p.archived = 0 AND ("
    " (:by_unit = 1 AND (pr.routed_unit_id = :unit OR pr.assignee_unit_id = :unit"
    "  OR (pr.escalated = 1 AND pr.office_id = :unit)))"
    " OR (:person > 0 AND pr.assignee_person_id = :person)"
    " OR (:leader = 1 AND :person > 0 AND p.lead_leader_id = :person))"
    " ORDER BY pr.due_date IS NULL, pr.due_date, pr.id";

int srv_store_problems_assigned(srv_store *s, const srv_problem_owner *o,
                                void (*fn)(void *arg, const srv_problem *p), void *arg,
                                ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_ASSIGNED);
	if (q == NULL) {
		prepare_failed(st);
		return -1;
	}
	bind_int64(q, ":by_unit", o->by_unit ? 1 : 0);
	bind_int64(q, ":unit", o->unit);
	bind_int64(q, ":person", o->person);
	bind_int64(q, ":leader", o->leader ? 1 : 0);
	srv_problem p;
	int rc, n = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_problem(q, &p);
		fn(arg, &p);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list assigned problems", st);
		return -1;
	}
	return n;
}
