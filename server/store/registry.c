/* The registry's SQL: units, people, accounts seen from a scope, and the
 * audit log read back. See registry.h. */
#include "registry.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

static int prepare_failed(ls_status *st)
{
	if (st != NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	return LS_INTERNAL;
}

static int bind_index(srv_q *q, const char *name)
{
	return srv_bind_index(q, name);
}

static void bind_text(srv_q *q, const char *name, const char *v)
{
	int i = bind_index(q, name);
	if (i > 0 && v != NULL)
		srv_bind_text(q, i, v);
}

static void bind_int64(srv_q *q, const char *name, int64_t v)
{
	int i = bind_index(q, name);
	if (i > 0)
		srv_bind_int64(q, i, v);
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

/* ---- finding ---------------------------------------------------------------- */

static const char SQL_UNIT_BY_CODE[] = "SELECT id FROM units WHERE code = :text";
static const char SQL_UNIT_BY_NAME[] =
    "SELECT id, code FROM units WHERE name = :text AND active = 1 AND id IN " SRV_SUBTREE(
        ":root") " ORDER BY code LIMIT 6";
static const char SQL_PERSON_BY_CODE[] = "SELECT id FROM people WHERE code = :text";
static const char SQL_PERSON_BY_NAME[] =
    "SELECT id, code FROM people WHERE name = :text AND active = 1 AND unit_id IN " SRV_SUBTREE(
        ":root") " ORDER BY code LIMIT 6";
static const char SQL_PROJECT_BY_CODE[] = "SELECT id FROM projects WHERE code = :text";
static const char SQL_PROJECT_BY_NAME[] =
    "SELECT p.id, p.code FROM projects p WHERE p.name = :text AND " SRV_PROJECT_VISIBLE
    " ORDER BY p.code LIMIT 6";

/* By code, then by name: the name query binds :text and whatever bind sets. */
static int find(srv_store *s, const char *by_code, const char *by_name, const char *text,
                const srv_scope *scope, int64_t root, const char *field, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, by_code);
	if (q == NULL)
		return prepare_failed(st);
	bind_text(q, ":text", text);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*id = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "find by code", st);

	q = srv_stmt(s, by_name);
	if (q == NULL)
		return prepare_failed(st);
	bind_text(q, ":text", text);
	if (scope != NULL)
		srv_scope_bind(q, scope);
	else
		bind_int64(q, ":root", root);
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
		return srv_store_error(s, rc, "find by name", st);
	if (n == 1)
		return LS_OK;
	if (n == 0)
		return LS_NOT_FOUND;
	return ls_status_field(st, LS_INVALID_ARGUMENT, field,
	                       "%s: \"%s\" names several; give one of the codes: %s", field, text,
	                       codes);
}

int srv_store_registry_find(srv_store *s, srv_entity what, const char *text, int64_t root,
                            const char *field, int64_t *id, ls_status *st)
{
	if (what == SRV_PERSON)
		return find(s, SQL_PERSON_BY_CODE, SQL_PERSON_BY_NAME, text, NULL, root, field, id,
		            st);
	return find(s, SQL_UNIT_BY_CODE, SQL_UNIT_BY_NAME, text, NULL, root, field, id, st);
}

int srv_store_registry_project_find(srv_store *s, const char *text, const srv_scope *scope,
                                    const char *field, int64_t *id, ls_status *st)
{
	return find(s, SQL_PROJECT_BY_CODE, SQL_PROJECT_BY_NAME, text, scope, 0, field, id, st);
}

/* ---- reference counts --------------------------------------------------------- */

/* Runs q, bound, which gives one row: a count and a list; resets it. */
static int count_list(srv_store *s, srv_q *q, int64_t id, int64_t *count, char *list, size_t n,
                      ls_status *st)
{
	bind_int64(q, ":id", id);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		*count = srv_col_int64(q, 0);
		srv_column_text(list, n, q, 1);
	}
	srv_stmt_done(q);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "count references", st);
	return LS_OK;
}

static int refs_run(srv_store *s, const char *sql, int64_t id, int64_t *count, char *list, size_t n,
                    ls_status *st)
{
	srv_q *q = srv_stmt(s, sql);
	if (q == NULL)
		return prepare_failed(st);
	return count_list(s, q, id, count, list, n, st);
}

/* Each gives the number of rows and the first three of them as text. */
#define COUNT_LIST(what, from)                                                \
	"SELECT (SELECT count(*) FROM (SELECT 1 AS one " from ") AS every), " \
	"(SELECT group_concat(x, ', ') FROM (SELECT " what " AS x " from " LIMIT 3) AS first)"

static const char SQL_UNIT_CHILDREN[] =
    COUNT_LIST("code", "FROM units WHERE parent_id = :id AND active = 1 ORDER BY code");
static const char SQL_UNIT_PEOPLE[] =
    COUNT_LIST("code", "FROM people WHERE unit_id = :id AND active = 1 ORDER BY code");
static const char SQL_UNIT_ACCOUNTS[] =
    COUNT_LIST("'#' || id || ' ' || name",
               "FROM accounts WHERE unit_id = :id AND revoked_at IS NULL ORDER BY id");
static const char SQL_UNIT_PROJECTS[] = COUNT_LIST(
    "code", "FROM projects WHERE archived = 0 AND (lead_unit_id = :id OR town_id = :id OR id IN "
            "(SELECT project_id FROM project_units WHERE unit_id = :id)) ORDER BY code");
static const char SQL_UNIT_TASKS[] =
    COUNT_LIST("'#' || id", "FROM tasks WHERE unit_id = :id AND status = 'open' AND project_id IN "
                            "(SELECT id FROM projects WHERE archived = 0) ORDER BY id");

int srv_store_registry_unit_refs(srv_store *s, int64_t id, srv_registry_refs *out, ls_status *st)
{
	memset(out, 0, sizeof *out);
	if (refs_run(s, SQL_UNIT_CHILDREN, id, &out->units, out->unit_list, sizeof out->unit_list,
	             st) != LS_OK ||
	    refs_run(s, SQL_UNIT_PEOPLE, id, &out->people, out->people_list,
	             sizeof out->people_list, st) != LS_OK ||
	    refs_run(s, SQL_UNIT_ACCOUNTS, id, &out->accounts, out->account_list,
	             sizeof out->account_list, st) != LS_OK ||
	    refs_run(s, SQL_UNIT_PROJECTS, id, &out->projects, out->project_list,
	             sizeof out->project_list, st) != LS_OK ||
	    refs_run(s, SQL_UNIT_TASKS, id, &out->tasks, out->task_list, sizeof out->task_list,
	             st) != LS_OK)
		return st->code;
	return LS_OK;
}

static const char SQL_PERSON_ACCOUNTS[] =
    COUNT_LIST("'#' || id || ' ' || name",
               "FROM accounts WHERE person_id = :id AND revoked_at IS NULL ORDER BY id");
static const char SQL_PERSON_PROJECTS[] =
    COUNT_LIST("code", "FROM projects WHERE archived = 0 AND lead_leader_id = :id ORDER BY code");
static const char SQL_PERSON_TASKS[] = COUNT_LIST(
    "'#' || id", "FROM tasks WHERE person_id = :id AND status = 'open' AND project_id IN "
                 "(SELECT id FROM projects WHERE archived = 0) ORDER BY id");

int srv_store_registry_person_refs(srv_store *s, int64_t id, srv_registry_refs *out, ls_status *st)
{
	memset(out, 0, sizeof *out);
	if (refs_run(s, SQL_PERSON_ACCOUNTS, id, &out->accounts, out->account_list,
	             sizeof out->account_list, st) != LS_OK ||
	    refs_run(s, SQL_PERSON_PROJECTS, id, &out->projects, out->project_list,
	             sizeof out->project_list, st) != LS_OK ||
	    refs_run(s, SQL_PERSON_TASKS, id, &out->tasks, out->task_list, sizeof out->task_list,
	             st) != LS_OK)
		return st->code;
	return LS_OK;
}

/* ---- units ---------------------------------------------------------------------- */

#define UNIT_COLS                                                                        \
	"u.id, u.code, u.name, u.kind, coalesce(u.parent_id, 0), coalesce(p.code, ''), " \
	"coalesce(p.name, ''), u.active, u.created_at, coalesce(u.support_group, '') "   \
	"FROM units u LEFT JOIN units p ON p.id = u.parent_id "

static const char SQL_UNIT_GET[] = "SELECT " UNIT_COLS "WHERE u.id = :id";
static const char SQL_UNIT_CODE_USED[] = "SELECT 1 FROM units WHERE code = :code";
static const char SQL_UNIT_INSERT[] =
    "INSERT INTO units(code, name, kind, parent_id, created_at, support_group) "
    "VALUES (:code, :name, :kind, :parent, :now, nullif(:grp, ''))";
static const char SQL_UNIT_UPDATE[] = "UPDATE units SET name = :name, kind = :kind, parent_id = "
                                      ":parent, support_group = nullif(:grp, '') WHERE id = :id";
static const char SQL_UNIT_DEACTIVATE[] = "UPDATE units SET active = 0 WHERE id = :id";
static const char SQL_UNIT_LIST[] = "SELECT " UNIT_COLS "WHERE u.id IN " SRV_SUBTREE(
    ":root") " AND u.id > :after"
             " AND (CAST(:kind AS TEXT) IS NULL OR u.kind = :kind)"
             " AND (:parent = 0 OR u.parent_id = :parent)"
             " AND (CAST(:search AS TEXT) IS NULL OR instr(lower(u.name), lower(:search)) > 0"
             "      OR instr(lower(u.code), lower(:search)) > 0)"
             " AND (:all = 1 OR u.active = 1)"
             " ORDER BY u.id LIMIT :limit";

static void read_unit(srv_q *q, srv_unit *u)
{
	u->id = srv_col_int64(q, 0);
	srv_column_text(u->code, sizeof u->code, q, 1);
	srv_column_text(u->name, sizeof u->name, q, 2);
	srv_column_text(u->kind, sizeof u->kind, q, 3);
	u->parent_id = srv_col_int64(q, 4);
	srv_column_text(u->parent_code, sizeof u->parent_code, q, 5);
	srv_column_text(u->parent_name, sizeof u->parent_name, q, 6);
	u->active = srv_col_int(q, 7) != 0;
	srv_column_text(u->created_at, sizeof u->created_at, q, 8);
	srv_column_text(u->support_group, sizeof u->support_group, q, 9);
}

int srv_store_registry_unit_get(srv_store *s, int64_t id, srv_unit *out)
{
	srv_q *q = srv_stmt(s, SQL_UNIT_GET);
	if (q == NULL)
		return LS_INTERNAL;
	bind_int64(q, ":id", id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_unit(q, out);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "get unit", NULL);
	return LS_NOT_FOUND;
}

static int code_used(srv_store *s, const char *sql, const char *code, bool *used, ls_status *st)
{
	srv_q *q = srv_stmt(s, sql);
	if (q == NULL)
		return prepare_failed(st);
	bind_text(q, ":code", code);
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, "look up code", st);
	*used = rc == SRV_ROW;
	return LS_OK;
}

int srv_store_registry_unit_code_used(srv_store *s, const char *code, bool *used, ls_status *st)
{
	return code_used(s, SQL_UNIT_CODE_USED, code, used, st);
}

int srv_store_registry_unit_insert(srv_store *s, const srv_unit *u, const char *now, int64_t *id,
                                   ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UNIT_INSERT);
	if (q == NULL)
		return prepare_failed(st);
	bind_text(q, ":code", u->code);
	bind_text(q, ":name", u->name);
	bind_text(q, ":kind", u->kind);
	if (u->parent_id > 0)
		bind_int64(q, ":parent", u->parent_id);
	bind_text(q, ":now", now);
	bind_text(q, ":grp", u->support_group);
	if (step_done(s, q, "insert unit", st) != LS_OK)
		return st->code;
	*id = srv_last_id(s);
	return LS_OK;
}

int srv_store_registry_unit_update(srv_store *s, const srv_unit *u, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UNIT_UPDATE);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", u->id);
	bind_text(q, ":name", u->name);
	bind_text(q, ":kind", u->kind);
	if (u->parent_id > 0)
		bind_int64(q, ":parent", u->parent_id);
	bind_text(q, ":grp", u->support_group);
	return step_done(s, q, "update unit", st);
}

int srv_store_registry_unit_deactivate(srv_store *s, int64_t id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_UNIT_DEACTIVATE);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", id);
	return step_done(s, q, "deactivate unit", st);
}

/* As srv_store_scope finds a scope's root. */
static const char SQL_OFFICE_OF[] =
    "WITH RECURSIVE up(id, parent_id, kind, depth) AS ("
    " SELECT id, parent_id, kind, 0 FROM units WHERE id = :unit"
    " UNION ALL SELECT u.id, u.parent_id, u.kind, up.depth + 1 FROM units u"
    " JOIN up ON u.id = up.parent_id) "
    "SELECT id FROM up ORDER BY (kind IN ('district', 'city')) DESC, "
    "CASE WHEN kind IN ('district', 'city') THEN depth ELSE -depth END LIMIT 1";

/* An office's own area stops at the offices below it, which have their own
 * groups. */
static const char SQL_GROUP_UNIT[] =
    "WITH RECURSIVE area(id) AS (SELECT CAST(:office AS BIGINT) UNION ALL SELECT u.id FROM units u"
    " JOIN area a ON u.parent_id = a.id WHERE u.kind NOT IN ('district', 'city'))"
    " SELECT u.id FROM units u WHERE u.id IN (SELECT id FROM area) AND u.kind = 'support_group'"
    " AND u.active = 1 AND u.support_group = :grp AND u.id <> :except ORDER BY u.id LIMIT 1";

int srv_store_registry_office_of(srv_store *s, int64_t unit, int64_t *office, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_OFFICE_OF);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":unit", unit);
	int rc = srv_step(q);
	*office = rc == SRV_ROW ? srv_col_int64(q, 0) : unit;
	srv_stmt_done(q);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, "find office", st);
	return LS_OK;
}

int srv_store_registry_group_unit(srv_store *s, int64_t office, const char *group, int64_t except,
                                  int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_GROUP_UNIT);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":office", office);
	bind_text(q, ":grp", group);
	bind_int64(q, ":except", except);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*id = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "find support group", st);
	return LS_NOT_FOUND;
}

int srv_store_registry_unit_list(srv_store *s, const srv_unit_filter *f,
                                 void (*fn)(void *arg, const srv_unit *u), void *arg)
{
	srv_q *q = srv_stmt(s, SQL_UNIT_LIST);
	if (q == NULL)
		return -1;
	bind_int64(q, ":root", f->root);
	bind_int64(q, ":after", f->after);
	bind_text(q, ":kind", f->kind);
	bind_int64(q, ":parent", f->parent);
	bind_text(q, ":search", f->search);
	bind_int64(q, ":all", f->include_inactive ? 1 : 0);
	bind_int64(q, ":limit", f->limit);
	int rc, n = 0;
	srv_unit u;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_unit(q, &u);
		fn(arg, &u);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list units", NULL);
		return -1;
	}
	return n;
}

/* ---- people ---------------------------------------------------------------------- */

#define PERSON_COLS                                                                     \
	"p.id, p.code, p.name, p.title, p.unit_id, u.code, u.name, p.phone, p.active, " \
	"p.created_at FROM people p JOIN units u ON u.id = p.unit_id "

static const char SQL_PERSON_GET[] = "SELECT " PERSON_COLS "WHERE p.id = :id";
static const char SQL_PERSON_CODE_USED[] = "SELECT 1 FROM people WHERE code = :code";
static const char SQL_PERSON_INSERT[] =
    "INSERT INTO people(code, name, title, unit_id, phone, created_at) "
    "VALUES (:code, :name, :title, :unit, :phone, :now)";
static const char SQL_PERSON_UPDATE[] = "UPDATE people SET name = :name, title = :title, "
                                        "unit_id = :unit, phone = :phone WHERE id = :id";
static const char SQL_PERSON_DEACTIVATE[] = "UPDATE people SET active = 0 WHERE id = :id";
static const char SQL_PERSON_LIST[] = "SELECT " PERSON_COLS "WHERE p.unit_id IN " SRV_SUBTREE(
    ":root") " AND p.id > :after"
             " AND (:unit = 0 OR p.unit_id = :unit)"
             " AND (CAST(:search AS TEXT) IS NULL OR instr(lower(p.name), lower(:search)) > 0"
             "      OR instr(lower(p.code), lower(:search)) > 0)"
             " AND (:all = 1 OR p.active = 1)"
             " ORDER BY p.id LIMIT :limit";

static void read_person(srv_q *q, srv_person *p)
{
	p->id = srv_col_int64(q, 0);
	srv_column_text(p->code, sizeof p->code, q, 1);
	srv_column_text(p->name, sizeof p->name, q, 2);
	srv_column_text(p->title, sizeof p->title, q, 3);
	p->unit_id = srv_col_int64(q, 4);
	srv_column_text(p->unit_code, sizeof p->unit_code, q, 5);
	srv_column_text(p->unit_name, sizeof p->unit_name, q, 6);
	srv_column_text(p->phone, sizeof p->phone, q, 7);
	p->active = srv_col_int(q, 8) != 0;
	srv_column_text(p->created_at, sizeof p->created_at, q, 9);
}

int srv_store_registry_person_get(srv_store *s, int64_t id, srv_person *out)
{
	srv_q *q = srv_stmt(s, SQL_PERSON_GET);
	if (q == NULL)
		return LS_INTERNAL;
	bind_int64(q, ":id", id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_person(q, out);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "get person", NULL);
	return LS_NOT_FOUND;
}

int srv_store_registry_person_code_used(srv_store *s, const char *code, bool *used, ls_status *st)
{
	return code_used(s, SQL_PERSON_CODE_USED, code, used, st);
}

static void bind_person(srv_q *q, const srv_person *p)
{
	bind_text(q, ":name", p->name);
	bind_text(q, ":title", p->title);
	bind_int64(q, ":unit", p->unit_id);
	bind_text(q, ":phone", p->phone);
}

int srv_store_registry_person_insert(srv_store *s, const srv_person *p, const char *now,
                                     int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PERSON_INSERT);
	if (q == NULL)
		return prepare_failed(st);
	bind_text(q, ":code", p->code);
	bind_person(q, p);
	bind_text(q, ":now", now);
	if (step_done(s, q, "insert person", st) != LS_OK)
		return st->code;
	*id = srv_last_id(s);
	return LS_OK;
}

int srv_store_registry_person_update(srv_store *s, const srv_person *p, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PERSON_UPDATE);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", p->id);
	bind_person(q, p);
	return step_done(s, q, "update person", st);
}

int srv_store_registry_person_deactivate(srv_store *s, int64_t id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PERSON_DEACTIVATE);
	if (q == NULL)
		return prepare_failed(st);
	bind_int64(q, ":id", id);
	return step_done(s, q, "deactivate person", st);
}

int srv_store_registry_person_list(srv_store *s, const srv_person_filter *f,
                                   void (*fn)(void *arg, const srv_person *p), void *arg)
{
	srv_q *q = srv_stmt(s, SQL_PERSON_LIST);
	if (q == NULL)
		return -1;
	bind_int64(q, ":root", f->root);
	bind_int64(q, ":after", f->after);
	bind_int64(q, ":unit", f->unit);
	bind_text(q, ":search", f->search);
	bind_int64(q, ":all", f->include_inactive ? 1 : 0);
	bind_int64(q, ":limit", f->limit);
	int rc, n = 0;
	srv_person p;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_person(q, &p);
		fn(arg, &p);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list people", NULL);
		return -1;
	}
	return n;
}

/* ---- accounts ------------------------------------------------------------------------ */

static const char SQL_ACCOUNT_IDS[] =
    "SELECT id FROM accounts WHERE id > :after AND (:all = 1 OR revoked_at IS NULL)"
    " AND unit_id IN " SRV_SUBTREE(":root") " ORDER BY id LIMIT :limit";

int srv_store_registry_account_ids(srv_store *s, int64_t root, int64_t after, int limit,
                                   bool include_revoked, int64_t *ids)
{
	srv_q *q = srv_stmt(s, SQL_ACCOUNT_IDS);
	if (q == NULL)
		return -1;
	bind_int64(q, ":root", root);
	bind_int64(q, ":after", after);
	bind_int64(q, ":all", include_revoked ? 1 : 0);
	bind_int64(q, ":limit", limit);
	int rc, n = 0;
	while ((rc = srv_step(q)) == SRV_ROW && n < limit)
		ids[n++] = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc != SRV_DONE && rc != SRV_ROW) {
		srv_store_error(s, rc, "list accounts", NULL);
		return -1;
	}
	return n;
}

/* ---- the audit log ---------------------------------------------------------------------- */

/* A row may be read by a scope when it concerns a project the scope reads,
 * was written by an account of a unit within the scope's root, or is about
 * a unit, person or account within it. Anything else would show one
 * district's registry to another's admin. */
static const char SQL_AUDIT_LIST[] =
    "SELECT a.id, a.at, coalesce(a.account_id, 0), coalesce(w.name, ''), a.method, a.entity,"
    " coalesce(a.entity_id, 0), a.before, a.after"
    " FROM audit_log a LEFT JOIN accounts w ON w.id = a.account_id"
    " LEFT JOIN projects p ON p.id = a.project_id"
    " WHERE (:before = 0 OR a.id < :before)"
    " AND (:project = 0 OR a.project_id = :project)"
    " AND (CAST(:entity AS TEXT) IS NULL OR a.entity = :entity)"
    " AND (:entity_id = 0 OR a.entity_id = :entity_id)"
    " AND ((p.id IS NOT NULL AND " SRV_PROJECT_VISIBLE ")"
    "  OR w.unit_id IN " SRV_SUBTREE(":scope_root") "  OR (a.entity = 'unit' AND a.entity_id IN " SRV_SUBTREE(
        ":scope_root") ")"
                       "  OR (a.entity = 'person' AND a.entity_id IN (SELECT id FROM people WHERE unit_id IN " SRV_SUBTREE(
                           ":scope_root") "))"
                                          "  OR (a.entity = 'account' AND a.entity_id IN (SELECT id FROM accounts WHERE unit_id IN " SRV_SUBTREE(
                                              ":scope_root") ")))"
                                                             " ORDER BY a.id DESC LIMIT :limit";

int srv_store_registry_audit_list(srv_store *s, const srv_audit_filter *f,
                                  void (*fn)(void *arg, const srv_audit_row *r), void *arg)
{
	srv_q *q = srv_stmt(s, SQL_AUDIT_LIST);
	if (q == NULL)
		return -1;
	srv_scope_bind(q, f->scope);
	bind_int64(q, ":before", f->before);
	bind_int64(q, ":project", f->project);
	bind_text(q, ":entity", f->entity);
	bind_int64(q, ":entity_id", f->entity_id);
	bind_int64(q, ":limit", f->limit);
	int rc, n = 0;
	srv_audit_row r;
	while ((rc = srv_step(q)) == SRV_ROW) {
		r.id = srv_col_int64(q, 0);
		srv_column_text(r.at, sizeof r.at, q, 1);
		r.account_id = srv_col_int64(q, 2);
		srv_column_text(r.account_name, sizeof r.account_name, q, 3);
		srv_column_text(r.method, sizeof r.method, q, 4);
		srv_column_text(r.entity, sizeof r.entity, q, 5);
		r.entity_id = srv_col_int64(q, 6);
		r.before = srv_col_text(q, 7);
		r.after = srv_col_text(q, 8);
		fn(arg, &r);
		n++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list audit log", NULL);
		return -1;
	}
	return n;
}
