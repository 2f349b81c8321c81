/* The SQL of projects, their leaders and plans; see projects.h. */
#include "projects.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

static int prepare_failed(ls_status *st)
{
	return st ? ls_status_set(st, LS_INTERNAL, "database: cannot prepare") : LS_INTERNAL;
}

/* ---- reading a project -------------------------------------------------- */

#define PROJECT_COLS                                                                     \
	"p.id, p.code, p.name, p.level, p.category, p.stage, p.lead_leader_id, l.code, " \
	"l.name, p.lead_unit_id, lu.code, lu.name, coalesce(p.town_id, 0), "             \
	"coalesce(t.code, ''), coalesce(t.name, ''), p.total_investment, p.frequency, "  \
	"p.planned_start, p.planned_finish, p.land_clearance, p.fast_track, "            \
	"p.fast_track_set, p.archived, p.created_at "

#define PROJECT_FROM                                                \
	"FROM projects p JOIN people l ON l.id = p.lead_leader_id " \
	"JOIN units lu ON lu.id = p.lead_unit_id LEFT JOIN units t ON t.id = p.town_id "

static const char SQL_GET[] = "SELECT " PROJECT_COLS PROJECT_FROM "WHERE p.id = ?1";

static const char SQL_UNITS[] = "SELECT u.id, u.code FROM project_units pu "
                                "JOIN units u ON u.id = pu.unit_id "
                                "WHERE pu.project_id = ?1 ORDER BY u.code, u.id";

static void read_project(srv_q *q, srv_project *p)
{
	memset(p, 0, sizeof *p);
	p->id = srv_col_int64(q, 0);
	srv_column_text(p->code, sizeof p->code, q, 1);
	srv_column_text(p->name, sizeof p->name, q, 2);
	srv_column_text(p->level, sizeof p->level, q, 3);
	srv_column_text(p->category, sizeof p->category, q, 4);
	srv_column_text(p->stage, sizeof p->stage, q, 5);
	p->leader_id = srv_col_int64(q, 6);
	srv_column_text(p->leader_code, sizeof p->leader_code, q, 7);
	srv_column_text(p->leader_name, sizeof p->leader_name, q, 8);
	p->lead_unit_id = srv_col_int64(q, 9);
	srv_column_text(p->lead_unit_code, sizeof p->lead_unit_code, q, 10);
	srv_column_text(p->lead_unit_name, sizeof p->lead_unit_name, q, 11);
	p->town_id = srv_col_int64(q, 12);
	srv_column_text(p->town_code, sizeof p->town_code, q, 13);
	srv_column_text(p->town_name, sizeof p->town_name, q, 14);
	p->total_investment = srv_col_int64(q, 15);
	srv_column_text(p->frequency, sizeof p->frequency, q, 16);
	srv_column_text(p->planned_start, sizeof p->planned_start, q, 17);
	srv_column_text(p->planned_finish, sizeof p->planned_finish, q, 18);
	p->land_clearance = srv_col_int(q, 19) != 0;
	p->fast_track = srv_col_int(q, 20) != 0;
	p->fast_track_set = srv_col_int(q, 21) != 0;
	p->archived = srv_col_int(q, 22) != 0;
	srv_column_text(p->created_at, sizeof p->created_at, q, 23);
}

/* Fills p's contributing units. */
static int read_units(srv_store *s, srv_project *p, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UNITS);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_int64(q, 1, p->id);
	int rc;
	p->n_units = 0;
	while ((rc = srv_step(q)) == SRV_ROW && p->n_units < SRV_PROJECT_MAX_UNITS) {
		p->unit_ids[p->n_units] = srv_col_int64(q, 0);
		srv_column_text(p->unit_codes[p->n_units], sizeof p->unit_codes[0], q, 1);
		p->n_units++;
	}
	srv_stmt_done(q);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, "read contributing units", st);
	return LS_OK;
}

int srv_store_projects_get(srv_store *s, int64_t id, srv_project *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_GET);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_project(q, out);
	srv_stmt_done(q);
	if (rc == SRV_DONE)
		return LS_NOT_FOUND;
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "read project", st);
	return read_units(s, out, st);
}

/* ---- lookups ------------------------------------------------------------ */

static const char SQL_BY_CODE[] = "SELECT id FROM projects WHERE code = ?1";

int srv_store_projects_by_code(srv_store *s, const char *code, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_BY_CODE);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_text(q, 1, code);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*id = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "find project", st);
	return LS_NOT_FOUND;
}

/* A name is looked up only among what the caller may read, so that an
 * ambiguous name names no code the caller may not see. */
static const char SQL_BY_NAME[] =
    "SELECT p.id, p.code FROM projects p "
    "WHERE p.name = :name AND p.archived = 0 AND " SRV_PROJECT_VISIBLE " ORDER BY p.code LIMIT 6";

int srv_store_projects_find(srv_store *s, const srv_scope *sc, const char *code_or_name,
                            const char *field, int64_t *id, bool *visible, ls_status *st)
{
	int rc = srv_store_projects_by_code(s, code_or_name, id, st);
	if (rc == LS_OK) {
		*visible = srv_store_project_visible(s, sc, *id);
		return LS_OK;
	}
	if (rc != LS_NOT_FOUND)
		return rc;

	srv_q *q = srv_stmt(s, SQL_BY_NAME);
	if (q == NULL)
		return prepare_failed(st);
	srv_scope_bind(q, sc);
	srv_bind_text(q, srv_bind_index(q, ":name"), code_or_name);
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

static const char SQL_UNIT_KIND[] = "SELECT kind FROM units WHERE id = ?1";

int srv_store_projects_unit_kind(srv_store *s, int64_t unit, char *kind, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UNIT_KIND);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_int64(q, 1, unit);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		srv_column_text(kind, 16, q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read unit", st);
	return LS_NOT_FOUND;
}

static const char SQL_PERSON_UNIT[] = "SELECT unit_id FROM people WHERE id = ?1";

int srv_store_projects_person_unit(srv_store *s, int64_t person, int64_t *unit, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PERSON_UNIT);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_int64(q, 1, person);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*unit = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read person", st);
	return LS_NOT_FOUND;
}

/* ---- writes -------------------------------------------------------------- */

static const char SQL_INSERT[] =
    "INSERT INTO projects(code, name, level, category, stage, lead_leader_id, lead_unit_id, "
    "town_id, total_investment, frequency, planned_start, planned_finish, land_clearance, "
    "fast_track, fast_track_set, archived, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

static const char SQL_UPDATE[] =
    "UPDATE projects SET code = ?1, name = ?2, level = ?3, category = ?4, stage = ?5, "
    "lead_leader_id = ?6, lead_unit_id = ?7, town_id = ?8, total_investment = ?9, "
    "frequency = ?10, planned_start = ?11, planned_finish = ?12, land_clearance = ?13, "
    "fast_track = ?14, fast_track_set = ?15, archived = ?16 WHERE id = ?17";

static const char SQL_UNITS_CLEAR[] = "DELETE FROM project_units WHERE project_id = ?1";
static const char SQL_UNIT_ADD[] = "INSERT INTO project_units(project_id, unit_id) "
                                   "VALUES (?1, ?2)";

/* Binds the columns INSERT and UPDATE share, as ?1 .. ?16. */
static void bind_columns(srv_q *q, const srv_project *p)
{
	srv_bind_text(q, 1, p->code);
	srv_bind_text(q, 2, p->name);
	srv_bind_text(q, 3, p->level);
	srv_bind_text(q, 4, p->category);
	srv_bind_text(q, 5, p->stage);
	srv_bind_int64(q, 6, p->leader_id);
	srv_bind_int64(q, 7, p->lead_unit_id);
	if (p->town_id > 0)
		srv_bind_int64(q, 8, p->town_id);
	srv_bind_int64(q, 9, p->total_investment);
	srv_bind_text(q, 10, p->frequency);
	srv_bind_text(q, 11, p->planned_start);
	srv_bind_text(q, 12, p->planned_finish);
	srv_bind_int64(q, 13, p->land_clearance);
	srv_bind_int64(q, 14, p->fast_track);
	srv_bind_int64(q, 15, p->fast_track_set);
	srv_bind_int64(q, 16, p->archived);
}

static int write_units(srv_store *s, const srv_project *p, int64_t id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UNITS_CLEAR);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "clear contributing units", st);
	for (int i = 0; i < p->n_units; i++) {
		q = srv_stmt(s, SQL_UNIT_ADD);
		if (q == NULL)
			return prepare_failed(st);
		srv_bind_int64(q, 1, id);
		srv_bind_int64(q, 2, p->unit_ids[i]);
		rc = srv_step(q);
		srv_stmt_done(q);
		if (rc != SRV_DONE)
			return srv_store_error(s, rc, "add contributing unit", st);
	}
	return LS_OK;
}

int srv_store_projects_insert(srv_store *s, const srv_project *p, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_INSERT);
	if (q == NULL)
		return prepare_failed(st);
	bind_columns(q, p);
	srv_bind_text(q, 17, p->created_at);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "insert project", st);
	*id = srv_last_id(s);
	return write_units(s, p, *id, st);
}

int srv_store_projects_update(srv_store *s, const srv_project *p, bool units, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UPDATE);
	if (q == NULL)
		return prepare_failed(st);
	bind_columns(q, p);
	srv_bind_int64(q, 17, p->id);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "update project", st);
	return units ? write_units(s, p, p->id, st) : LS_OK;
}

static const char SQL_LEADER_ADD[] = "INSERT INTO project_leaders(project_id, person_id, since, "
                                     "changed_by) VALUES (?1, ?2, ?3, ?4)";

int srv_store_projects_leader_add(srv_store *s, int64_t project, int64_t person, const char *since,
                                  int64_t changed_by, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LEADER_ADD);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_int64(q, 1, project);
	srv_bind_int64(q, 2, person);
	srv_bind_text(q, 3, since);
	if (changed_by > 0)
		srv_bind_int64(q, 4, changed_by);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "add project leader", st);
	return LS_OK;
}

static const char SQL_LEADERS[] = "SELECT pe.code, pe.name, pl.since, coalesce(pl.changed_by, 0) "
                                  "FROM project_leaders pl JOIN people pe ON pe.id = pl.person_id "
                                  "WHERE pl.project_id = ?1 ORDER BY pl.id";

int srv_store_projects_leaders(srv_store *s, int64_t project,
                               void (*fn)(void *arg, const srv_project_leader *l), void *arg,
                               ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LEADERS);
	if (q == NULL) {
		prepare_failed(st);
		return -1;
	}
	srv_bind_int64(q, 1, project);
	int rc, n = 0;
	srv_project_leader l;
	while ((rc = srv_step(q)) == SRV_ROW) {
		srv_column_text(l.code, sizeof l.code, q, 0);
		srv_column_text(l.name, sizeof l.name, q, 1);
		srv_column_text(l.since, sizeof l.since, q, 2);
		l.changed_by = srv_col_int64(q, 3);
		fn(arg, &l);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "read leader history", st);
		return -1;
	}
	return n;
}

/* ---- lists ---------------------------------------------------------------- */

/* A filter left out is bound NULL, which passes every row. */
#define PROJECT_FILTER                                                                            \
	"(:archived = 1 OR p.archived = 0)"                                                       \
	" AND (CAST(:level AS TEXT) IS NULL OR p.level = :level)"                                 \
	" AND (CAST(:category AS TEXT) IS NULL OR p.category = :category)"                        \
	" AND (CAST(:stage AS TEXT) IS NULL OR p.stage = :stage)"                                 \
	" AND (CAST(:town AS BIGINT) IS NULL OR p.town_id = :town)"                               \
	" AND (CAST(:leader AS BIGINT) IS NULL OR p.lead_leader_id = :leader)"                    \
	" AND (CAST(:unit AS BIGINT) IS NULL OR p.lead_unit_id = :unit OR EXISTS (SELECT 1 FROM " \
	"project_units pu WHERE pu.project_id = p.id AND pu.unit_id = :unit))"                    \
	" AND (CAST(:search AS TEXT) IS NULL OR instr(p.name, :search) > 0)"                      \
	" AND " SRV_PROJECT_VISIBLE

static const char SQL_LIST[] =
    "SELECT " PROJECT_COLS PROJECT_FROM "WHERE p.id > :after AND " PROJECT_FILTER
    " ORDER BY p.id LIMIT :limit";

static const char SQL_COUNT[] = "SELECT count(*) FROM projects p WHERE " PROJECT_FILTER;

static void bind_text_param(srv_q *q, const char *name, const char *v)
{
	int i = srv_bind_index(q, name);
	if (i > 0 && v != NULL && v[0] != '\0')
		srv_bind_text(q, i, v);
}

static void bind_id_param(srv_q *q, const char *name, int64_t v)
{
	int i = srv_bind_index(q, name);
	if (i > 0 && v > 0)
		srv_bind_int64(q, i, v);
}

static void bind_filter(srv_q *q, const srv_scope *sc, const srv_project_filter *f)
{
	srv_scope_bind(q, sc);
	srv_bind_int64(q, srv_bind_index(q, ":archived"), f->include_archived);
	bind_text_param(q, ":level", f->level);
	bind_text_param(q, ":category", f->category);
	bind_text_param(q, ":stage", f->stage);
	bind_id_param(q, ":town", f->town_id);
	bind_id_param(q, ":leader", f->leader_id);
	bind_id_param(q, ":unit", f->unit_id);
	bind_text_param(q, ":search", f->search);
}

int srv_store_projects_list(srv_store *s, const srv_scope *sc, const srv_project_filter *f,
                            int64_t after_id, int limit,
                            void (*fn)(void *arg, const srv_project *p), void *arg, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_LIST);
	if (q == NULL) {
		prepare_failed(st);
		return -1;
	}
	bind_filter(q, sc, f);
	srv_bind_int64(q, srv_bind_index(q, ":after"), after_id);
	srv_bind_int64(q, srv_bind_index(q, ":limit"), limit);
	int rc, n = 0;
	srv_project p;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_project(q, &p);
		if (read_units(s, &p, st) != LS_OK) {
			srv_stmt_done(q);
			return -1;
		}
		fn(arg, &p);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list projects", st);
		return -1;
	}
	return n;
}

int64_t srv_store_projects_count(srv_store *s, const srv_scope *sc, const srv_project_filter *f,
                                 ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_COUNT);
	if (q == NULL) {
		prepare_failed(st);
		return -1;
	}
	bind_filter(q, sc, f);
	int rc = srv_step(q);
	int64_t n = rc == SRV_ROW ? srv_col_int64(q, 0) : -1;
	srv_stmt_done(q);
	if (rc != SRV_ROW)
		srv_store_error(s, rc, "count projects", st);
	return n;
}

/* ---- plans ------------------------------------------------------------------ */

static const char SQL_PLAN_GET[] = "SELECT invested FROM plans "
                                   "WHERE project_id = ?1 AND year = ?2 AND month = ?3";

static const char SQL_PLAN_SET[] = "INSERT INTO plans(project_id, year, month, invested) "
                                   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(project_id, year, month) "
                                   "DO UPDATE SET invested = excluded.invested";

static const char SQL_PLAN_LIST[] = "SELECT year, month, invested FROM plans "
                                    "WHERE project_id = ?1 AND (?2 = 0 OR year = ?2) "
                                    "ORDER BY year, month";

int srv_store_projects_plan_get(srv_store *s, int64_t project, int year, int month,
                                int64_t *invested, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PLAN_GET);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_int64(q, 1, project);
	srv_bind_int64(q, 2, year);
	srv_bind_int64(q, 3, month);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*invested = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read plan", st);
	return LS_NOT_FOUND;
}

int srv_store_projects_plan_set(srv_store *s, int64_t project, int year, int month,
                                int64_t invested, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PLAN_SET);
	if (q == NULL)
		return prepare_failed(st);
	srv_bind_int64(q, 1, project);
	srv_bind_int64(q, 2, year);
	srv_bind_int64(q, 3, month);
	srv_bind_int64(q, 4, invested);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "set plan", st);
	return LS_OK;
}

int srv_store_projects_plan_list(srv_store *s, int64_t project, int year,
                                 void (*fn)(void *arg, int year, int month, int64_t invested),
                                 void *arg, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PLAN_LIST);
	if (q == NULL) {
		prepare_failed(st);
		return -1;
	}
	srv_bind_int64(q, 1, project);
	srv_bind_int64(q, 2, year);
	int rc, n = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		fn(arg, srv_col_int(q, 0), srv_col_int(q, 1), srv_col_int64(q, 2));
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list plans", st);
		return -1;
	}
	return n;
}
