/* The SQL of ScheduleService: nodes, tasks and assignments. */
#include "schedule.h"

#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static const char *const task_status_names[] = {
    [SRV_TASK_OPEN] = "open",
    [SRV_TASK_DONE] = "done",
    [SRV_TASK_CANCELLED] = "cancelled",
};

const char *srv_task_status_name(srv_task_status st)
{
	if (st <= SRV_TASK_NONE || st > SRV_TASK_CANCELLED)
		return NULL;
	return task_status_names[st];
}

srv_task_status srv_task_status_from_name(const char *name)
{
	for (int i = SRV_TASK_OPEN; i <= SRV_TASK_CANCELLED; i++)
		if (name != NULL && strcmp(task_status_names[i], name) == 0)
			return (srv_task_status)i;
	return SRV_TASK_NONE;
}

static int unprepared(ls_status *st)
{
	return st ? ls_status_set(st, LS_INTERNAL, "database: cannot prepare") : LS_INTERNAL;
}

/* Steps q, which changes rows and returns none. */
static int step_write(srv_store *s, srv_q *q, const char *what, ls_status *st)
{
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, what, st);
	return LS_OK;
}

static int bind_index(srv_q *q, const char *name)
{
	return srv_bind_index(q, name);
}

static void bind_i64(srv_q *q, const char *name, int64_t v)
{
	int i = bind_index(q, name);
	if (i > 0)
		srv_bind_int64(q, i, v);
}

/* Binds text, or NULL for a NULL pointer. */
static void bind_text(srv_q *q, const char *name, const char *v)
{
	int i = bind_index(q, name);
	if (i > 0 && v != NULL)
		srv_bind_text(q, i, v);
}

/* ---- projects and people ------------------------------------------------- */

static const char SQL_PROJECT[] =
    "SELECT id, code, name, lead_unit_id, coalesce(town_id, 0), lead_leader_id, "
    "planned_finish, archived FROM projects WHERE id = ?1";

int srv_store_schedule_project(srv_store *s, int64_t id, srv_sched_project *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PROJECT);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		out->id = srv_col_int64(q, 0);
		srv_column_text(out->code, sizeof out->code, q, 1);
		srv_column_text(out->name, sizeof out->name, q, 2);
		out->lead_unit_id = srv_col_int64(q, 3);
		out->town_id = srv_col_int64(q, 4);
		out->lead_leader_id = srv_col_int64(q, 5);
		srv_column_text(out->planned_finish, sizeof out->planned_finish, q, 6);
		out->archived = srv_col_int(q, 7) != 0;
	}
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc == SRV_DONE)
		return LS_NOT_FOUND;
	return srv_store_error(s, rc, "read project", st);
}

static const char SQL_PERSON_UNIT[] = "SELECT unit_id FROM people WHERE id = ?1";

int srv_store_schedule_person_unit(srv_store *s, int64_t person, int64_t *unit, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_PERSON_UNIT);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, person);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		*unit = srv_col_int64(q, 0);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc == SRV_DONE)
		return LS_NOT_FOUND;
	return srv_store_error(s, rc, "read person", st);
}

/* ---- nodes ---------------------------------------------------------------- */

#define NODE_COLS                                                              \
	"n.id, n.project_id, p.code, p.name, p.archived, n.name, n.due_date, " \
	"n.owner_unit_id, u.code, u.name, coalesce(n.done_date, '') "          \
	"FROM nodes n JOIN projects p ON p.id = n.project_id "                 \
	"JOIN units u ON u.id = n.owner_unit_id "

static void read_node(srv_q *q, srv_node *n)
{
	n->id = srv_col_int64(q, 0);
	n->project_id = srv_col_int64(q, 1);
	srv_column_text(n->project_code, sizeof n->project_code, q, 2);
	srv_column_text(n->project_name, sizeof n->project_name, q, 3);
	n->project_archived = srv_col_int(q, 4) != 0;
	srv_column_text(n->name, sizeof n->name, q, 5);
	srv_column_text(n->due_date, sizeof n->due_date, q, 6);
	n->owner_unit_id = srv_col_int64(q, 7);
	srv_column_text(n->owner_unit_code, sizeof n->owner_unit_code, q, 8);
	srv_column_text(n->owner_unit_name, sizeof n->owner_unit_name, q, 9);
	srv_column_text(n->done_date, sizeof n->done_date, q, 10);
}

/* Runs a node query, handing each row to fn. Returns the count or -1. */
static int each_node(srv_store *s, srv_q *q, void (*fn)(void *, const srv_node *), void *arg)
{
	srv_node n;
	int rc, count = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_node(q, &n);
		fn(arg, &n);
		count++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list nodes", NULL);
		return -1;
	}
	return count;
}

static const char SQL_NODE_INSERT[] =
    "INSERT INTO nodes(project_id, name, due_date, owner_unit_id, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";

int srv_store_schedule_node_insert(srv_store *s, int64_t project, const char *name,
                                   const char *due_date, int64_t owner_unit, const char *now,
                                   int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_NODE_INSERT);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, project);
	srv_bind_text(q, 2, name);
	srv_bind_text(q, 3, due_date);
	srv_bind_int64(q, 4, owner_unit);
	srv_bind_text(q, 5, now);
	int rc = step_write(s, q, "insert node", st);
	if (rc != LS_OK)
		return rc;
	*id = srv_last_id(s);
	return LS_OK;
}

static const char SQL_NODE_GET[] = "SELECT " NODE_COLS "WHERE n.id = ?1";

int srv_store_schedule_node_get(srv_store *s, int64_t id, srv_node *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_NODE_GET);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_node(q, out);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc == SRV_DONE)
		return LS_NOT_FOUND;
	return srv_store_error(s, rc, "read node", st);
}

static const char SQL_NODE_UPDATE[] =
    "UPDATE nodes SET name = ?2, due_date = ?3, owner_unit_id = ?4 WHERE id = ?1";

int srv_store_schedule_node_update(srv_store *s, int64_t id, const char *name, const char *due_date,
                                   int64_t owner_unit, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_NODE_UPDATE);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, id);
	srv_bind_text(q, 2, name);
	srv_bind_text(q, 3, due_date);
	srv_bind_int64(q, 4, owner_unit);
	return step_write(s, q, "update node", st);
}

static const char SQL_NODE_DONE[] = "UPDATE nodes SET done_date = ?2 WHERE id = ?1";

int srv_store_schedule_node_set_done(srv_store *s, int64_t id, const char *done_date, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_NODE_DONE);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, id);
	if (done_date != NULL)
		srv_bind_text(q, 2, done_date);
	return step_write(s, q, "mark node", st);
}

/* Row values compare (due_date, id) as a pair, so that paging is exact
 * even when many nodes share a due date. */
static const char SQL_NODE_LIST[] =
    "SELECT " NODE_COLS "WHERE " SRV_PROJECT_VISIBLE
    " AND (:project = 0 OR n.project_id = :project)"
    " AND (:owner = 0 OR n.owner_unit_id = :owner)"
    " AND (:open = 0 OR n.done_date IS NULL)"
    " AND (CAST(:before AS TEXT) IS NULL OR (n.done_date IS NULL AND n.due_date < :before))"
    " AND (n.due_date, n.id) > (:after_due, :after_id)"
    " ORDER BY n.due_date, n.id LIMIT :limit";

int srv_store_schedule_node_list(srv_store *s, const srv_node_filter *f, int limit,
                                 void (*fn)(void *arg, const srv_node *n), void *arg)
{
	srv_q *q = srv_stmt(s, SQL_NODE_LIST);
	if (q == NULL)
		return -1;
	srv_scope_bind(q, f->scope);
	bind_i64(q, ":project", f->project);
	bind_i64(q, ":owner", f->owner_unit);
	bind_i64(q, ":open", f->open_only ? 1 : 0);
	bind_text(q, ":before", f->due_before);
	bind_text(q, ":after_due", f->after_due ? f->after_due : "");
	bind_i64(q, ":after_id", f->after_id);
	bind_i64(q, ":limit", limit);
	return each_node(s, q, fn, arg);
}

/* ---- tasks ---------------------------------------------------------------- */

#define TASK_COLS                                                                            \
	"t.id, t.project_id, p.code, p.name, p.archived, t.description, t.unit_id, u.code, " \
	"u.name, coalesce(t.person_id, 0), coalesce(pe.code, ''), coalesce(pe.name, ''), "   \
	"t.due_date, t.status, coalesce(t.done_date, '') "                                   \
	"FROM tasks t JOIN projects p ON p.id = t.project_id "                               \
	"JOIN units u ON u.id = t.unit_id LEFT JOIN people pe ON pe.id = t.person_id "

static void read_task(srv_q *q, srv_task *t)
{
	t->id = srv_col_int64(q, 0);
	t->project_id = srv_col_int64(q, 1);
	srv_column_text(t->project_code, sizeof t->project_code, q, 2);
	srv_column_text(t->project_name, sizeof t->project_name, q, 3);
	t->project_archived = srv_col_int(q, 4) != 0;
	srv_column_text(t->description, sizeof t->description, q, 5);
	t->unit_id = srv_col_int64(q, 6);
	srv_column_text(t->unit_code, sizeof t->unit_code, q, 7);
	srv_column_text(t->unit_name, sizeof t->unit_name, q, 8);
	t->person_id = srv_col_int64(q, 9);
	srv_column_text(t->person_code, sizeof t->person_code, q, 10);
	srv_column_text(t->person_name, sizeof t->person_name, q, 11);
	srv_column_text(t->due_date, sizeof t->due_date, q, 12);
	t->status = srv_task_status_from_name(srv_col_text(q, 13));
	srv_column_text(t->done_date, sizeof t->done_date, q, 14);
}

static int each_task(srv_store *s, srv_q *q, void (*fn)(void *, const srv_task *), void *arg)
{
	/* A task carries its 2 KB description: one copy on the heap serves
	 * every row. */
	srv_task *t = malloc(sizeof *t);
	if (t == NULL) {
		srv_stmt_done(q);
		return -1;
	}
	int rc, count = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		read_task(q, t);
		fn(arg, t);
		count++;
	}
	srv_stmt_done(q);
	free(t);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "list tasks", NULL);
		return -1;
	}
	return count;
}

static const char SQL_TASK_INSERT[] =
    "INSERT INTO tasks(project_id, description, unit_id, person_id, due_date, status, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6)";

int srv_store_schedule_task_insert(srv_store *s, int64_t project, const char *description,
                                   int64_t unit, int64_t person, const char *due_date,
                                   const char *now, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_TASK_INSERT);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, project);
	srv_bind_text(q, 2, description);
	srv_bind_int64(q, 3, unit);
	if (person > 0)
		srv_bind_int64(q, 4, person);
	srv_bind_text(q, 5, due_date);
	srv_bind_text(q, 6, now);
	int rc = step_write(s, q, "insert task", st);
	if (rc != LS_OK)
		return rc;
	*id = srv_last_id(s);
	return LS_OK;
}

static const char SQL_TASK_GET[] = "SELECT " TASK_COLS "WHERE t.id = ?1";

int srv_store_schedule_task_get(srv_store *s, int64_t id, srv_task *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_TASK_GET);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_task(q, out);
	srv_stmt_done(q);
	if (rc == SRV_ROW)
		return LS_OK;
	if (rc == SRV_DONE)
		return LS_NOT_FOUND;
	return srv_store_error(s, rc, "read task", st);
}

static const char SQL_TASK_UPDATE[] =
    "UPDATE tasks SET description = ?2, unit_id = ?3, person_id = ?4, due_date = ?5, "
    "status = ?6, done_date = ?7 WHERE id = ?1";

int srv_store_schedule_task_update(srv_store *s, const srv_task *t, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_TASK_UPDATE);
	if (q == NULL)
		return unprepared(st);
	srv_bind_int64(q, 1, t->id);
	srv_bind_text(q, 2, t->description);
	srv_bind_int64(q, 3, t->unit_id);
	if (t->person_id > 0)
		srv_bind_int64(q, 4, t->person_id);
	srv_bind_text(q, 5, t->due_date);
	srv_bind_text(q, 6, srv_task_status_name(t->status));
	if (t->done_date[0] != '\0')
		srv_bind_text(q, 7, t->done_date);
	return step_write(s, q, "update task", st);
}

static const char SQL_TASK_LIST[] = "SELECT " TASK_COLS "WHERE " SRV_PROJECT_VISIBLE
                                    " AND (:project = 0 OR t.project_id = :project)"
                                    " AND (:unit = 0 OR t.unit_id = :unit)"
                                    " AND (:person = 0 OR t.person_id = :person)"
                                    " AND (CAST(:status AS TEXT) IS NULL OR t.status = :status)"
                                    " AND (t.due_date, t.id) > (:after_due, :after_id)"
                                    " ORDER BY t.due_date, t.id LIMIT :limit";

int srv_store_schedule_task_list(srv_store *s, const srv_task_filter *f, int limit,
                                 void (*fn)(void *arg, const srv_task *t), void *arg)
{
	srv_q *q = srv_stmt(s, SQL_TASK_LIST);
	if (q == NULL)
		return -1;
	srv_scope_bind(q, f->scope);
	bind_i64(q, ":project", f->project);
	bind_i64(q, ":unit", f->unit);
	bind_i64(q, ":person", f->person);
	bind_text(q, ":status", srv_task_status_name(f->status));
	bind_text(q, ":after_due", f->after_due ? f->after_due : "");
	bind_i64(q, ":after_id", f->after_id);
	bind_i64(q, ":limit", limit);
	return each_task(s, q, fn, arg);
}

/* ---- assignments ---------------------------------------------------------- */

/* One statement per assignee mode, so that each reads through the indexes
 * of its own rows (a town's projects, a unit's routed rows, a leader's
 * projects) instead of testing every row of the district against every
 * mode. Parameters: :unit (the account's unit), :person (its person, 0:
 * none), and :until for nodes. */

/* The projects of the town subtree of :unit. */
#define TOWN_PROJECTS "SELECT id FROM projects WHERE town_id IN " SRV_SUBTREE(":unit")
/* The projects :unit's subtree leads or contributes to. */
#define UNIT_PROJECTS                                                 \
	"SELECT id FROM projects WHERE lead_unit_id IN " SRV_SUBTREE( \
	    ":unit") " UNION SELECT project_id FROM project_units WHERE unit_id IN " SRV_SUBTREE(":unit")
#define LEADER_PROJECTS "SELECT id FROM projects WHERE lead_leader_id = :person"

#define PROJECT_COLS "p.id, p.code, p.name, p.planned_finish, "
#define PROJECT_ORDER " ORDER BY p.planned_finish, p.code"

static const char SQL_ASSIGNED_PROJECTS_TOWN[] =
    "SELECT " PROJECT_COLS "'town' FROM projects p WHERE p.archived = 0 AND p.id IN "
    "(" TOWN_PROJECTS ")" PROJECT_ORDER;
static const char SQL_ASSIGNED_PROJECTS_UNIT[] =
    "SELECT " PROJECT_COLS "CASE WHEN p.lead_unit_id IN " SRV_SUBTREE(
        ":unit") " THEN 'lead unit' ELSE 'contributing unit' END "
                 "FROM projects p WHERE p.archived = 0 AND p.id IN (" UNIT_PROJECTS
                 ")" PROJECT_ORDER;
static const char SQL_ASSIGNED_PROJECTS_LEADER[] =
    "SELECT " PROJECT_COLS "'lead leader' FROM projects p WHERE p.archived = 0 AND "
    "p.lead_leader_id = :person" PROJECT_ORDER;

/* The nodes of the mode's projects and, for towns and departments, those
 * their units own, open and due by :until. */
#define NODES_OF(projects)                                                                    \
	"SELECT " NODE_COLS "WHERE n.done_date IS NULL AND n.due_date <= :until AND "         \
	"p.archived = 0 AND n.id IN (SELECT id FROM nodes WHERE project_id IN (" projects ")" \
	" AND done_date IS NULL AND due_date <= :until"
#define NODES_OWNED                                                        \
	" UNION SELECT id FROM nodes WHERE owner_unit_id IN " SRV_SUBTREE( \
	    ":unit") " AND "                                               \
	             "due_date <= :until AND done_date IS NULL"
#define NODE_ORDER ") ORDER BY n.due_date, n.id"

static const char SQL_ASSIGNED_NODES_TOWN[] = NODES_OF(TOWN_PROJECTS) NODES_OWNED NODE_ORDER;
static const char SQL_ASSIGNED_NODES_UNIT[] = NODES_OF(UNIT_PROJECTS) NODES_OWNED NODE_ORDER;
static const char SQL_ASSIGNED_NODES_LEADER[] = NODES_OF(LEADER_PROJECTS) NODE_ORDER;

/* A town's or department's: its units' open tasks and those of its
 * person; a leader's: those of its person. */
static const char SQL_ASSIGNED_TASKS_UNIT[] =
    "SELECT " TASK_COLS "WHERE t.status = 'open' AND p.archived = 0 AND t.id IN "
    "(SELECT id FROM tasks WHERE unit_id IN " SRV_SUBTREE(
        ":unit") " AND status = 'open' UNION SELECT id FROM tasks WHERE :person > 0 AND "
                 "person_id = :person) ORDER BY t.due_date, t.id";
static const char SQL_ASSIGNED_TASKS_LEADER[] =
    "SELECT " TASK_COLS "WHERE t.status = 'open' AND p.archived = 0 AND :person > 0 AND "
    "t.person_id = :person ORDER BY t.due_date, t.id";

/* The statement of a's mode among town, unit and leader; NULL for none. */
static srv_q *assigned_stmt(srv_store *s, const srv_assignee *a, const char *town, const char *unit,
                            const char *leader)
{
	const char *sql = a->mode == SRV_ASSIGN_TOWN     ? town
	                  : a->mode == SRV_ASSIGN_UNIT   ? unit
	                  : a->mode == SRV_ASSIGN_LEADER ? leader
	                                                 : NULL;
	if (sql == NULL)
		return NULL;
	srv_q *q = srv_stmt(s, sql);
	if (q != NULL) {
		bind_i64(q, ":unit", a->unit);
		bind_i64(q, ":person", a->person);
	}
	return q;
}

int srv_store_schedule_assigned_projects(srv_store *s, const srv_assignee *a,
                                         void (*fn)(void *arg, const srv_assigned_project *p),
                                         void *arg)
{
	if (a->mode == SRV_ASSIGN_NONE)
		return 0;
	srv_q *q = assigned_stmt(s, a, SQL_ASSIGNED_PROJECTS_TOWN, SQL_ASSIGNED_PROJECTS_UNIT,
	                         SQL_ASSIGNED_PROJECTS_LEADER);
	if (q == NULL)
		return -1;
	srv_assigned_project p;
	int rc, count = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		p.id = srv_col_int64(q, 0);
		srv_column_text(p.code, sizeof p.code, q, 1);
		srv_column_text(p.name, sizeof p.name, q, 2);
		srv_column_text(p.planned_finish, sizeof p.planned_finish, q, 3);
		srv_column_text(p.why, sizeof p.why, q, 4);
		fn(arg, &p);
		count++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE) {
		srv_store_error(s, rc, "assigned projects", NULL);
		return -1;
	}
	return count;
}

int srv_store_schedule_assigned_nodes(srv_store *s, const srv_assignee *a, const char *until,
                                      void (*fn)(void *arg, const srv_node *n), void *arg)
{
	if (a->mode == SRV_ASSIGN_NONE)
		return 0;
	srv_q *q = assigned_stmt(s, a, SQL_ASSIGNED_NODES_TOWN, SQL_ASSIGNED_NODES_UNIT,
	                         SQL_ASSIGNED_NODES_LEADER);
	if (q == NULL)
		return -1;
	bind_text(q, ":until", until);
	return each_node(s, q, fn, arg);
}

int srv_store_schedule_assigned_tasks(srv_store *s, const srv_assignee *a,
                                      void (*fn)(void *arg, const srv_task *t), void *arg)
{
	if (a->mode == SRV_ASSIGN_NONE)
		return 0;
	srv_q *q = assigned_stmt(s, a, SQL_ASSIGNED_TASKS_UNIT, SQL_ASSIGNED_TASKS_UNIT,
	                         SQL_ASSIGNED_TASKS_LEADER);
	if (q == NULL)
		return -1;
	return each_task(s, q, fn, arg);
}
