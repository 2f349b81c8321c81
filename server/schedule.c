/* ScheduleService: nodes (milestones, 节点) and tasks, the plan, task,
 * division and responsibility tables of 一图五表, and what each account is
 * assigned.
 *
 * Only an admin plans: it creates and edits nodes and tasks of the projects
 * in its scope. Marking work done reaches further, to those who do it: a
 * town marks the nodes of the projects standing in it, a department the
 * nodes its unit owns, and a task's unit changes the task's status. */
#include "luoshi/v1/problems.pb-c.h"
#include "luoshi/v1/schedule.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "server.h"
#include "store/schedule.h"

#define NAME_MAX_BYTES 200
#define TEXT_MAX_BYTES 2000
#define DAYS_BEFORE_MAX 3650
#define STEPS_MAX 50
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define ASSIGN_DAYS_DEFAULT 14
#define ASSIGN_DAYS_MAX 365
/* Each list of GetAssignments stops here; its count keeps counting. */
#define ASSIGN_LIST_MAX 1000

_Static_assert((int)SRV_TASK_OPEN == (int)LUOSHI__V1__TASK_STATUS__TASK_OPEN &&
                   (int)SRV_TASK_DONE == (int)LUOSHI__V1__TASK_STATUS__TASK_DONE &&
                   (int)SRV_TASK_CANCELLED == (int)LUOSHI__V1__TASK_STATUS__TASK_CANCELLED,
               "srv_task_status follows luoshi.v1.TaskStatus");

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- growing lists of rows --------------------------------------------------- */

typedef struct node_vec {
	srv_node *v;
	size_t n, cap;
	size_t max; /* keep at most this many; 0: no limit */
	size_t seen;
	bool oom;
} node_vec;

static void node_push(void *arg, const srv_node *n)
{
	node_vec *nv = arg;
	nv->seen++;
	if (nv->oom || (nv->max > 0 && nv->n >= nv->max))
		return;
	if (nv->n == nv->cap) {
		size_t cap = nv->cap ? 2 * nv->cap : 16;
		srv_node *v = realloc(nv->v, cap * sizeof *v);
		if (v == NULL) {
			nv->oom = true;
			return;
		}
		nv->v = v;
		nv->cap = cap;
	}
	nv->v[nv->n++] = *n;
}

typedef struct task_vec {
	srv_task *v;
	size_t n, cap;
	size_t max;
	size_t seen;
	bool oom;
} task_vec;

static void task_push(void *arg, const srv_task *t)
{
	task_vec *tv = arg;
	tv->seen++;
	if (tv->oom || (tv->max > 0 && tv->n >= tv->max))
		return;
	if (tv->n == tv->cap) {
		size_t cap = tv->cap ? 2 * tv->cap : 16;
		srv_task *v = realloc(tv->v, cap * sizeof *v);
		if (v == NULL) {
			tv->oom = true;
			return;
		}
		tv->v = v;
		tv->cap = cap;
	}
	tv->v[tv->n++] = *t;
}

/* ---- messages ------------------------------------------------------------------ */

/* The days from as_of to date ("YYYY-MM-DD"); 0 for a date that does not
 * parse, which the store never holds. */
static int32_t days_until(const char *date, int32_t as_of)
{
	int32_t d;
	return ls_date_parse(date, &d) ? d - as_of : 0;
}

/* Fills m from n; m points into n. with_days adds days_left counted from
 * as_of (audit rows leave it out: it changes with the day they are read). */
static void node_to_proto(const srv_node *n, bool with_days, int32_t as_of, Luoshi__V1__Node *m)
{
	luoshi__v1__node__init(m);
	m->has_id = true;
	m->id = n->id;
	m->project_code = (char *)n->project_code;
	m->project_name = (char *)n->project_name;
	m->name = (char *)n->name;
	m->due_date = (char *)n->due_date;
	m->owner_unit_code = (char *)n->owner_unit_code;
	m->owner_unit_name = (char *)n->owner_unit_name;
	m->has_done = true;
	m->done = n->done_date[0] != '\0';
	if (m->done)
		m->done_date = (char *)n->done_date;
	if (with_days) {
		m->has_days_left = true;
		m->days_left = days_until(n->due_date, as_of);
	}
}

static void task_to_proto(const srv_task *t, bool with_days, int32_t as_of, Luoshi__V1__Task *m)
{
	luoshi__v1__task__init(m);
	m->has_id = true;
	m->id = t->id;
	m->project_code = (char *)t->project_code;
	m->project_name = (char *)t->project_name;
	m->description = (char *)t->description;
	m->unit_code = (char *)t->unit_code;
	m->unit_name = (char *)t->unit_name;
	if (t->person_id > 0) {
		m->person_code = (char *)t->person_code;
		m->person_name = (char *)t->person_name;
	}
	m->due_date = (char *)t->due_date;
	m->has_status = t->status != SRV_TASK_NONE;
	m->status = (Luoshi__V1__TaskStatus)t->status;
	if (t->done_date[0] != '\0')
		m->done_date = (char *)t->done_date;
	if (with_days) {
		m->has_days_left = true;
		m->days_left = days_until(t->due_date, as_of);
	}
}

/* Messages for rows v[0..n): *msgs and *ptrs are malloc'd (free both);
 * false when out of memory. */
static bool nodes_to_proto(const srv_node *v, size_t n, int32_t as_of, Luoshi__V1__Node **msgs,
                           Luoshi__V1__Node ***ptrs)
{
	*msgs = malloc((n ? n : 1) * sizeof **msgs);
	*ptrs = malloc((n ? n : 1) * sizeof **ptrs);
	if (*msgs == NULL || *ptrs == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		node_to_proto(&v[i], true, as_of, &(*msgs)[i]);
		(*ptrs)[i] = &(*msgs)[i];
	}
	return true;
}

static bool tasks_to_proto(const srv_task *v, size_t n, int32_t as_of, Luoshi__V1__Task **msgs,
                           Luoshi__V1__Task ***ptrs)
{
	*msgs = malloc((n ? n : 1) * sizeof **msgs);
	*ptrs = malloc((n ? n : 1) * sizeof **ptrs);
	if (*msgs == NULL || *ptrs == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		task_to_proto(&v[i], true, as_of, &(*msgs)[i]);
		(*ptrs)[i] = &(*msgs)[i];
	}
	return true;
}

/* ---- checks ---------------------------------------------------------------------- */

/* A required date field: fails the call unless text is a real date. */
static int date_required(srv_call *c, const char *field, const char *text, int32_t *out)
{
	if (!given(text))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required, a date (YYYY-MM-DD)",
		                field);
	if (!ls_date_parse(text, out))
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: \"%s\" is not a date (YYYY-MM-DD, a day the calendar has)",
		                field, text);
	return LS_OK;
}

/* An optional date field: absent gives def. */
static int date_optional(srv_call *c, const char *field, const char *text, int32_t def,
                         int32_t *out)
{
	if (!given(text)) {
		*out = def;
		return LS_OK;
	}
	return date_required(c, field, text, out);
}

/* A name (node, step): 1..200 bytes. */
static int name_valid(srv_call *c, const char *field, const char *name)
{
	if (!given(name))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required", field);
	if (strlen(name) > NAME_MAX_BYTES)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: longer than %d bytes", field,
		                NAME_MAX_BYTES);
	return LS_OK;
}

/* Fails the call with PERMISSION_DENIED unless an admin's scope holds the
 * project: an admin plans only its own district's projects. */
static int admin_scope(srv_call *c, int64_t project)
{
	if (!srv_store_project_visible(c->srv->store, srv_call_scope(c), project))
		return srv_fail(c, LS_PERMISSION_DENIED, "project",
		                "the project is outside your scope");
	return LS_OK;
}

/* The project a write names: given, known, and in the admin's scope. */
static int project_for_write(srv_call *c, const char *ref, srv_sched_project *p)
{
	srv_store *store = c->srv->store;
	if (!given(ref))
		return srv_fail(c, LS_INVALID_ARGUMENT, "project",
		                "project: required, its code or unique name");
	int64_t id;
	if (srv_store_resolve(store, SRV_PROJECT, ref, "project", &id, &c->status) != LS_OK)
		return c->status.code;
	int rc = srv_store_schedule_project(store, id, p, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_INVALID_ARGUMENT, "project", "project: no project \"%s\"",
		                ref);
	if (rc != LS_OK)
		return rc;
	return admin_scope(c, p->id);
}

/* The project of a node or task already written. */
static int project_of_row(srv_call *c, int64_t id, srv_sched_project *p)
{
	int rc = srv_store_schedule_project(c->srv->store, id, p, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_INTERNAL, NULL, "project %" PRId64 " is missing", id);
	return rc;
}

static int not_archived(srv_call *c, const srv_sched_project *p)
{
	if (p->archived)
		return srv_fail(c, LS_FAILED_PRECONDITION, "project",
		                "project %s is archived: its plan no longer changes", p->code);
	return LS_OK;
}

/* A unit a write gives: known, active, and in the admin's district. */
static int unit_for_write(srv_call *c, const char *field, const char *ref, int64_t *id)
{
	srv_store *store = c->srv->store;
	if (srv_store_resolve(store, SRV_UNIT, ref, field, id, &c->status) != LS_OK)
		return c->status.code;
	if (!srv_store_unit_within(store, *id, srv_call_scope(c)->root))
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: unit \"%s\" is outside your scope", field, ref);
	return LS_OK;
}

/* A person a write gives: known, active, and of a unit in the admin's
 * district. */
static int person_for_write(srv_call *c, const char *ref, int64_t *id)
{
	srv_store *store = c->srv->store;
	if (srv_store_resolve(store, SRV_PERSON, ref, "person", id, &c->status) != LS_OK)
		return c->status.code;
	int64_t unit = 0;
	int rc = srv_store_schedule_person_unit(store, *id, &unit, &c->status);
	if (rc != LS_OK && rc != LS_NOT_FOUND)
		return rc;
	if (rc == LS_NOT_FOUND || !srv_store_unit_within(store, unit, srv_call_scope(c)->root))
		return srv_fail(c, LS_INVALID_ARGUMENT, "person",
		                "person: \"%s\" belongs to a unit outside your scope", ref);
	return LS_OK;
}

static int id_required(srv_call *c, bool has, int64_t id)
{
	if (!has || id <= 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, "id", "id: required, a positive number");
	return LS_OK;
}

static int node_load(srv_call *c, int64_t id, srv_node *n)
{
	int rc = srv_store_schedule_node_get(c->srv->store, id, n, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, "id", "no node has id %" PRId64, id);
	return rc;
}

static int task_load(srv_call *c, int64_t id, srv_task *t)
{
	int rc = srv_store_schedule_task_get(c->srv->store, id, t, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, "id", "no task has id %" PRId64, id);
	return rc;
}

/* page_size, bounded. */
static int page_size(bool has, uint32_t size)
{
	if (!has || size == 0)
		return PAGE_DEFAULT;
	return size > PAGE_MAX ? PAGE_MAX : (int)size;
}

/* Page tokens name the last row given: "<due date>/<id>". */
static int page_token_parse(srv_call *c, const char *token, char due[SRV_DATE_SIZE], int64_t *id)
{
	due[0] = '\0';
	*id = 0;
	if (!given(token))
		return LS_OK;
	int32_t d;
	char date[SRV_DATE_SIZE];
	char *end;
	if (strlen(token) > 11 && token[10] == '/') {
		memcpy(date, token, 10);
		date[10] = '\0';
		long long v = strtoll(token + 11, &end, 10);
		if (*end == '\0' && v > 0 && ls_date_parse(date, &d)) {
			memcpy(due, date, SRV_DATE_SIZE);
			*id = v;
			return LS_OK;
		}
	}
	return srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
	                "page_token: not one this server gave");
}

/* A project filter of a list: known, and readable by the caller (else
 * NOT_FOUND, so that a list does not tell what exists out of scope). */
static int project_for_read(srv_call *c, const char *ref, int64_t *id)
{
	srv_store *store = c->srv->store;
	if (srv_store_resolve(store, SRV_PROJECT, ref, "project", id, &c->status) != LS_OK)
		return c->status.code;
	if (!srv_store_project_visible(store, srv_call_scope(c), *id))
		return srv_fail(c, LS_NOT_FOUND, "project",
		                "project: no project \"%s\" in your scope", ref);
	return LS_OK;
}

/* ---- nodes ---------------------------------------------------------------------- */

/* Reads the node back and audits its write. */
static int node_written(srv_call *c, int64_t id, int64_t project, const srv_node *before,
                        srv_node *after)
{
	if (node_load(c, id, after) != LS_OK)
		return c->status.code;
	Luoshi__V1__Node b, a;
	if (before != NULL)
		node_to_proto(before, false, 0, &b);
	node_to_proto(after, false, 0, &a);
	return srv_audit(c, "node", id, project, before ? &b.base : NULL, &a.base);
}

static void schedule_create_node(Luoshi__V1__ScheduleService_Service *svc,
                                 const Luoshi__V1__CreateNodeRequest *in,
                                 Luoshi__V1__CreateNodeResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sched_project p;
	int32_t due;
	int64_t owner, id;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    project_for_write(c, in->project, &p) != LS_OK || not_archived(c, &p) != LS_OK ||
	    name_valid(c, "name", in->name) != LS_OK ||
	    date_required(c, "due_date", in->due_date, &due) != LS_OK)
		return;
	owner = p.lead_unit_id;
	if (given(in->owner_unit) &&
	    unit_for_write(c, "owner_unit", in->owner_unit, &owner) != LS_OK)
		return;
	char now[32], due_text[SRV_DATE_SIZE];
	srv_now_iso(now);
	ls_date_format(due, due_text);
	if (srv_store_schedule_node_insert(c->srv->store, p.id, in->name, due_text, owner, now, &id,
	                                   &c->status) != LS_OK)
		return;
	srv_node n;
	if (node_written(c, id, p.id, NULL, &n) != LS_OK)
		return;
	Luoshi__V1__Node m;
	node_to_proto(&n, true, ls_today(), &m);
	Luoshi__V1__CreateNodeResponse out = LUOSHI__V1__CREATE_NODE_RESPONSE__INIT;
	out.node = &m;
	done(&out, arg);
}

static void schedule_update_node(Luoshi__V1__ScheduleService_Service *svc,
                                 const Luoshi__V1__UpdateNodeRequest *in,
                                 Luoshi__V1__UpdateNodeResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_node before, after;
	srv_sched_project p;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    id_required(c, in->has_id, in->id) != LS_OK || node_load(c, in->id, &before) != LS_OK ||
	    project_of_row(c, before.project_id, &p) != LS_OK || admin_scope(c, p.id) != LS_OK ||
	    not_archived(c, &p) != LS_OK)
		return;
	const char *name = before.name;
	char due_text[SRV_DATE_SIZE];
	int64_t owner = before.owner_unit_id;
	memcpy(due_text, before.due_date, sizeof due_text);
	if (in->name != NULL) {
		if (name_valid(c, "name", in->name) != LS_OK)
			return;
		name = in->name;
	}
	if (in->due_date != NULL) {
		int32_t due;
		if (date_required(c, "due_date", in->due_date, &due) != LS_OK)
			return;
		ls_date_format(due, due_text);
	}
	if (in->owner_unit != NULL) {
		if (!given(in->owner_unit)) {
			srv_fail(c, LS_INVALID_ARGUMENT, "owner_unit",
			         "owner_unit: cannot be empty; a node always has an owner");
			return;
		}
		if (unit_for_write(c, "owner_unit", in->owner_unit, &owner) != LS_OK)
			return;
	}
	bool changed = strcmp(name, before.name) != 0 || strcmp(due_text, before.due_date) != 0 ||
	               owner != before.owner_unit_id;
	if (!changed) {
		after = before;
	} else if (srv_store_schedule_node_update(c->srv->store, before.id, name, due_text, owner,
	                                          &c->status) != LS_OK ||
	           node_written(c, before.id, p.id, &before, &after) != LS_OK) {
		return;
	}
	Luoshi__V1__Node m;
	node_to_proto(&after, true, ls_today(), &m);
	Luoshi__V1__UpdateNodeResponse out = LUOSHI__V1__UPDATE_NODE_RESPONSE__INIT;
	out.node = &m;
	done(&out, arg);
}

/* Who may mark node n of project p done or not done: an admin whose scope
 * holds the project, a town the project stands in, a department that owns
 * the node. Fails the call otherwise. */
static int may_mark_node(srv_call *c, const srv_node *n, const srv_sched_project *p)
{
	srv_store *store = c->srv->store;
	const srv_scope *sc = srv_call_scope(c);
	bool ok = false;
	switch (c->caller->role) {
	case SRV_ROLE_ADMIN:
		ok = srv_store_project_visible(store, sc, p->id);
		break;
	case SRV_ROLE_TOWN:
		ok = sc->mode == SRV_SCOPE_TOWN && srv_store_project_visible(store, sc, p->id);
		break;
	case SRV_ROLE_DEPARTMENT:
		ok = srv_store_unit_within(store, n->owner_unit_id, c->caller->unit_id);
		break;
	default:
		break;
	}
	if (!ok)
		return srv_fail(c, LS_PERMISSION_DENIED, "id",
		                "node %" PRId64 " is not yours to mark: a town marks the nodes of "
		                "its projects, a department the nodes its unit owns",
		                n->id);
	return LS_OK;
}

static void schedule_set_node_done(Luoshi__V1__ScheduleService_Service *svc,
                                   const Luoshi__V1__SetNodeDoneRequest *in,
                                   Luoshi__V1__SetNodeDoneResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_node before, after;
	srv_sched_project p;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_TOWN, SRV_ROLE_DEPARTMENT,
	                     SRV_ROLE_NONE) != LS_OK ||
	    id_required(c, in->has_id, in->id) != LS_OK || node_load(c, in->id, &before) != LS_OK ||
	    project_of_row(c, before.project_id, &p) != LS_OK ||
	    may_mark_node(c, &before, &p) != LS_OK || not_archived(c, &p) != LS_OK)
		return;
	if (!in->has_done) {
		srv_fail(c, LS_INVALID_ARGUMENT, "done", "done: required, true or false");
		return;
	}
	char date[SRV_DATE_SIZE];
	int32_t today = ls_today(), d;
	if (in->done) {
		if (date_optional(c, "done_date", in->done_date, today, &d) != LS_OK)
			return;
		if (d > today) {
			srv_fail(c, LS_INVALID_ARGUMENT, "done_date",
			         "done_date: %s is in the future; a node is marked done once it is",
			         in->done_date);
			return;
		}
		ls_date_format(d, date);
	} else if (given(in->done_date)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "done_date",
		         "done_date: goes only with done = true");
		return;
	}
	const char *value = in->done ? date : NULL;
	bool changed = in->done ? strcmp(before.done_date, date) != 0 : before.done_date[0] != '\0';
	if (!changed) {
		after = before;
	} else if (srv_store_schedule_node_set_done(c->srv->store, before.id, value, &c->status) !=
	               LS_OK ||
	           node_written(c, before.id, p.id, &before, &after) != LS_OK) {
		return;
	}
	Luoshi__V1__Node m;
	node_to_proto(&after, true, today, &m);
	Luoshi__V1__SetNodeDoneResponse out = LUOSHI__V1__SET_NODE_DONE_RESPONSE__INIT;
	out.node = &m;
	done(&out, arg);
}

static void schedule_list_nodes(Luoshi__V1__ScheduleService_Service *svc,
                                const Luoshi__V1__ListNodesRequest *in,
                                Luoshi__V1__ListNodesResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	int size = page_size(in->has_page_size, in->page_size);
	char after_due[SRV_DATE_SIZE], before[SRV_DATE_SIZE];
	int32_t as_of;
	srv_node_filter f = {.scope = srv_call_scope(c)};
	if (page_token_parse(c, in->page_token, after_due, &f.after_id) != LS_OK ||
	    date_optional(c, "as_of", in->as_of, ls_today(), &as_of) != LS_OK)
		return;
	f.after_due = after_due;
	if (given(in->project) && project_for_read(c, in->project, &f.project) != LS_OK)
		return;
	if (given(in->owner_unit) &&
	    srv_store_resolve(store, SRV_UNIT, in->owner_unit, "owner_unit", &f.owner_unit,
	                      &c->status) != LS_OK)
		return;
	f.open_only = in->has_open_only && in->open_only;
	if (in->has_overdue_only && in->overdue_only) {
		ls_date_format(as_of, before);
		f.due_before = before;
	}
	/* One row more than asked tells whether another page follows. */
	node_vec nv = {0};
	Luoshi__V1__Node *msgs = NULL, **ptrs = NULL;
	if (srv_store_schedule_node_list(store, &f, size + 1, node_push, &nv) < 0) {
		srv_fail(c, LS_INTERNAL, NULL, "cannot list nodes");
		goto out;
	}
	size_t shown = nv.n > (size_t)size ? (size_t)size : nv.n;
	if (nv.oom || !nodes_to_proto(nv.v, shown, as_of, &msgs, &ptrs)) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	Luoshi__V1__ListNodesResponse resp = LUOSHI__V1__LIST_NODES_RESPONSE__INIT;
	char next[40];
	resp.n_nodes = shown;
	resp.nodes = ptrs;
	if (nv.n > (size_t)size) {
		const srv_node *last = &nv.v[size - 1];
		snprintf(next, sizeof next, "%s/%" PRId64, last->due_date, last->id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(nv.v);
	free(msgs);
	free(ptrs);
}

static void schedule_plan_nodes(Luoshi__V1__ScheduleService_Service *svc,
                                const Luoshi__V1__PlanNodesRequest *in,
                                Luoshi__V1__PlanNodesResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	srv_sched_project p;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    project_for_write(c, in->project, &p) != LS_OK || not_archived(c, &p) != LS_OK)
		return;
	int32_t finish, planned;
	if (!ls_date_parse(p.planned_finish, &planned)) {
		srv_fail(c, LS_FAILED_PRECONDITION, "finish_date",
		         "project %s has no usable planned finish; give finish_date", p.code);
		return;
	}
	if (date_optional(c, "finish_date", in->finish_date, planned, &finish) != LS_OK)
		return;
	if (in->n_steps == 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "steps",
		         "steps: give at least one step (a name and the days before the finish)");
		return;
	}
	if (in->n_steps > STEPS_MAX) {
		srv_fail(c, LS_INVALID_ARGUMENT, "steps",
		         "steps: at most %d steps in one plan, not %zu", STEPS_MAX, in->n_steps);
		return;
	}
	int64_t owner = p.lead_unit_id;
	if (given(in->owner_unit) &&
	    unit_for_write(c, "owner_unit", in->owner_unit, &owner) != LS_OK)
		return;

	/* Every step is checked before the first node is written. */
	char field[48];
	int32_t min_day;
	ls_date_parse("1900-01-01", &min_day);
	for (size_t i = 0; i < in->n_steps; i++) {
		const Luoshi__V1__PlanStep *s = in->steps[i];
		snprintf(field, sizeof field, "steps[%zu].name", i);
		if (name_valid(c, field, s->name) != LS_OK)
			return;
		snprintf(field, sizeof field, "steps[%zu].days_before", i);
		if (!s->has_days_before || s->days_before < 0 || s->days_before > DAYS_BEFORE_MAX ||
		    finish - s->days_before < min_day) {
			srv_fail(c, LS_INVALID_ARGUMENT, field,
			         "%s: the days before the finish are a number from 0 to %d", field,
			         DAYS_BEFORE_MAX);
			return;
		}
	}

	srv_node *nodes = malloc(in->n_steps * sizeof *nodes);
	Luoshi__V1__Node *msgs = NULL, **ptrs = NULL;
	if (nodes == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	char now[32], due[SRV_DATE_SIZE];
	srv_now_iso(now);
	for (size_t i = 0; i < in->n_steps; i++) {
		int64_t id;
		ls_date_format(finish - in->steps[i]->days_before, due);
		/* A failure here leaves earlier nodes written: the dispatcher
		 * undoes the whole request. */
		if (srv_store_schedule_node_insert(store, p.id, in->steps[i]->name, due, owner, now,
		                                   &id, &c->status) != LS_OK ||
		    node_written(c, id, p.id, NULL, &nodes[i]) != LS_OK)
			goto out;
	}
	if (!nodes_to_proto(nodes, in->n_steps, ls_today(), &msgs, &ptrs)) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	Luoshi__V1__PlanNodesResponse resp = LUOSHI__V1__PLAN_NODES_RESPONSE__INIT;
	resp.n_nodes = in->n_steps;
	resp.nodes = ptrs;
	done(&resp, arg);
out:
	free(nodes);
	free(msgs);
	free(ptrs);
}

/* ---- tasks ------------------------------------------------------------------------ */

static int description_valid(srv_call *c, const char *text)
{
	if (!given(text))
		return srv_fail(c, LS_INVALID_ARGUMENT, "description", "description: required");
	if (strlen(text) > TEXT_MAX_BYTES)
		return srv_fail(c, LS_INVALID_ARGUMENT, "description",
		                "description: longer than %d bytes", TEXT_MAX_BYTES);
	return LS_OK;
}

static int task_written(srv_call *c, int64_t id, int64_t project, const srv_task *before,
                        srv_task *after)
{
	if (task_load(c, id, after) != LS_OK)
		return c->status.code;
	Luoshi__V1__Task b, a;
	if (before != NULL)
		task_to_proto(before, false, 0, &b);
	task_to_proto(after, false, 0, &a);
	return srv_audit(c, "task", id, project, before ? &b.base : NULL, &a.base);
}

static void schedule_create_task(Luoshi__V1__ScheduleService_Service *svc,
                                 const Luoshi__V1__CreateTaskRequest *in,
                                 Luoshi__V1__CreateTaskResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sched_project p;
	int32_t due;
	int64_t unit = 0, person = 0, id;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    project_for_write(c, in->project, &p) != LS_OK || not_archived(c, &p) != LS_OK ||
	    description_valid(c, in->description) != LS_OK)
		return;
	if (!given(in->unit)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "unit", "unit: required, the unit that does it");
		return;
	}
	if (unit_for_write(c, "unit", in->unit, &unit) != LS_OK ||
	    (given(in->person) && person_for_write(c, in->person, &person) != LS_OK) ||
	    date_required(c, "due_date", in->due_date, &due) != LS_OK)
		return;
	char now[32], due_text[SRV_DATE_SIZE];
	srv_now_iso(now);
	ls_date_format(due, due_text);
	srv_task *t = malloc(sizeof *t);
	if (t == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	if (srv_store_schedule_task_insert(c->srv->store, p.id, in->description, unit, person,
	                                   due_text, now, &id, &c->status) == LS_OK &&
	    task_written(c, id, p.id, NULL, t) == LS_OK) {
		Luoshi__V1__Task m;
		task_to_proto(t, true, ls_today(), &m);
		Luoshi__V1__CreateTaskResponse out = LUOSHI__V1__CREATE_TASK_RESPONSE__INIT;
		out.task = &m;
		done(&out, arg);
	}
	free(t);
}

/* Who may change task t: an admin whose scope holds its project, anything
 * about it; an account of the task's unit (a town or department), only
 * its status. Fails the call otherwise. */
static int may_change_task(srv_call *c, const srv_task *t, bool status_only)
{
	srv_store *store = c->srv->store;
	if (c->caller->role == SRV_ROLE_ADMIN) {
		if (!srv_store_project_visible(store, srv_call_scope(c), t->project_id))
			return srv_fail(c, LS_PERMISSION_DENIED, "id",
			                "task %" PRId64 " belongs to a project outside your scope",
			                t->id);
		return LS_OK;
	}
	if (!status_only)
		return srv_fail(c, LS_PERMISSION_DENIED, NULL,
		                "only an admin changes a task's description, unit, person or due "
		                "date; its unit may change its status");
	if ((c->caller->role == SRV_ROLE_TOWN || c->caller->role == SRV_ROLE_DEPARTMENT) &&
	    srv_store_unit_within(store, t->unit_id, c->caller->unit_id))
		return LS_OK;
	return srv_fail(c, LS_PERMISSION_DENIED, "id",
	                "task %" PRId64 " is not your unit's: only its unit or an admin may change "
	                "its status",
	                t->id);
}

static void schedule_update_task(Luoshi__V1__ScheduleService_Service *svc,
                                 const Luoshi__V1__UpdateTaskRequest *in,
                                 Luoshi__V1__UpdateTaskResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sched_project p;
	srv_task *before = malloc(sizeof *before), *t = malloc(sizeof *t);
	if (before == NULL || t == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	bool other = in->description != NULL || in->unit != NULL || in->person != NULL ||
	             in->due_date != NULL;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_TOWN, SRV_ROLE_DEPARTMENT,
	                     SRV_ROLE_NONE) != LS_OK ||
	    id_required(c, in->has_id, in->id) != LS_OK || task_load(c, in->id, before) != LS_OK ||
	    may_change_task(c, before, !other) != LS_OK ||
	    project_of_row(c, before->project_id, &p) != LS_OK || not_archived(c, &p) != LS_OK)
		goto out;
	*t = *before;
	if (in->description != NULL) {
		if (description_valid(c, in->description) != LS_OK)
			goto out;
		snprintf(t->description, sizeof t->description, "%s", in->description);
	}
	if (in->unit != NULL) {
		if (!given(in->unit)) {
			srv_fail(c, LS_INVALID_ARGUMENT, "unit",
			         "unit: cannot be empty; a task always has a unit");
			goto out;
		}
		if (unit_for_write(c, "unit", in->unit, &t->unit_id) != LS_OK)
			goto out;
	}
	/* An empty person takes the person off the task. */
	if (in->person != NULL) {
		t->person_id = 0;
		if (given(in->person) && person_for_write(c, in->person, &t->person_id) != LS_OK)
			goto out;
	}
	if (in->due_date != NULL) {
		int32_t due;
		if (date_required(c, "due_date", in->due_date, &due) != LS_OK)
			goto out;
		ls_date_format(due, t->due_date);
	}
	if (in->has_status) {
		if (srv_task_status_name((srv_task_status)in->status) == NULL) {
			srv_fail(c, LS_INVALID_ARGUMENT, "status",
			         "status: one of open, done, cancelled");
			goto out;
		}
		t->status = (srv_task_status)in->status;
		/* Done keeps the day it was first done; anything else has none. */
		if (t->status != SRV_TASK_DONE)
			t->done_date[0] = '\0';
		else if (before->status != SRV_TASK_DONE)
			ls_date_format(ls_today(), t->done_date);
	}
	bool changed = strcmp(t->description, before->description) != 0 ||
	               t->unit_id != before->unit_id || t->person_id != before->person_id ||
	               strcmp(t->due_date, before->due_date) != 0 || t->status != before->status ||
	               strcmp(t->done_date, before->done_date) != 0;
	if (changed && (srv_store_schedule_task_update(c->srv->store, t, &c->status) != LS_OK ||
	                task_written(c, t->id, p.id, before, t) != LS_OK))
		goto out;
	Luoshi__V1__Task m;
	task_to_proto(t, true, ls_today(), &m);
	Luoshi__V1__UpdateTaskResponse resp = LUOSHI__V1__UPDATE_TASK_RESPONSE__INIT;
	resp.task = &m;
	done(&resp, arg);
out:
	free(before);
	free(t);
}

static void schedule_list_tasks(Luoshi__V1__ScheduleService_Service *svc,
                                const Luoshi__V1__ListTasksRequest *in,
                                Luoshi__V1__ListTasksResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	int size = page_size(in->has_page_size, in->page_size);
	char after_due[SRV_DATE_SIZE];
	int32_t as_of;
	srv_task_filter f = {.scope = srv_call_scope(c)};
	if (page_token_parse(c, in->page_token, after_due, &f.after_id) != LS_OK ||
	    date_optional(c, "as_of", in->as_of, ls_today(), &as_of) != LS_OK)
		return;
	f.after_due = after_due;
	if (given(in->project) && project_for_read(c, in->project, &f.project) != LS_OK)
		return;
	if (given(in->unit) &&
	    srv_store_resolve(store, SRV_UNIT, in->unit, "unit", &f.unit, &c->status) != LS_OK)
		return;
	if (given(in->person) && srv_store_resolve(store, SRV_PERSON, in->person, "person",
	                                           &f.person, &c->status) != LS_OK)
		return;
	if (in->has_status && in->status != LUOSHI__V1__TASK_STATUS__TASK_STATUS_UNSPECIFIED) {
		if (srv_task_status_name((srv_task_status)in->status) == NULL) {
			srv_fail(c, LS_INVALID_ARGUMENT, "status",
			         "status: one of open, done, cancelled");
			return;
		}
		f.status = (srv_task_status)in->status;
	}
	task_vec tv = {0};
	Luoshi__V1__Task *msgs = NULL, **ptrs = NULL;
	if (srv_store_schedule_task_list(store, &f, size + 1, task_push, &tv) < 0) {
		srv_fail(c, LS_INTERNAL, NULL, "cannot list tasks");
		goto out;
	}
	size_t shown = tv.n > (size_t)size ? (size_t)size : tv.n;
	if (tv.oom || !tasks_to_proto(tv.v, shown, as_of, &msgs, &ptrs)) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	Luoshi__V1__ListTasksResponse resp = LUOSHI__V1__LIST_TASKS_RESPONSE__INIT;
	char next[40];
	resp.n_tasks = shown;
	resp.tasks = ptrs;
	if (tv.n > (size_t)size) {
		const srv_task *last = &tv.v[size - 1];
		snprintf(next, sizeof next, "%s/%" PRId64, last->due_date, last->id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(tv.v);
	free(msgs);
	free(ptrs);
}

/* ---- assignments ------------------------------------------------------------------- */

typedef struct project_vec {
	srv_assigned_project *v;
	size_t n, cap;
	bool oom;
} project_vec;

static void project_push(void *arg, const srv_assigned_project *p)
{
	project_vec *pv = arg;
	if (pv->oom)
		return;
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? 2 * pv->cap : 16;
		srv_assigned_project *v = realloc(pv->v, cap * sizeof *v);
		if (v == NULL) {
			pv->oom = true;
			return;
		}
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = *p;
}

/* Splits the open nodes due by until into the overdue (before as_of) and
 * those due from as_of on, each kept up to ASSIGN_LIST_MAX but counted in
 * full. */
typedef struct node_split {
	char as_of[SRV_DATE_SIZE];
	node_vec overdue, due;
} node_split;

static void node_split_push(void *arg, const srv_node *n)
{
	node_split *sp = arg;
	node_push(strcmp(n->due_date, sp->as_of) < 0 ? &sp->overdue : &sp->due, n);
}

static srv_assign_mode assign_mode(srv_role role)
{
	switch (role) {
	case SRV_ROLE_TOWN:
		return SRV_ASSIGN_TOWN;
	case SRV_ROLE_DEPARTMENT:
		return SRV_ASSIGN_UNIT;
	case SRV_ROLE_LEADER:
		return SRV_ASSIGN_LEADER;
	default:
		/* Admins, inspectors, the discipline commission and viewers
		 * oversee; no project is theirs to carry. */
		return SRV_ASSIGN_NONE;
	}
}

static void schedule_get_assignments(Luoshi__V1__ScheduleService_Service *svc,
                                     const Luoshi__V1__GetAssignmentsRequest *in,
                                     Luoshi__V1__GetAssignmentsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	uint32_t days = ASSIGN_DAYS_DEFAULT;
	if (in->has_days) {
		if (in->days < 1 || in->days > ASSIGN_DAYS_MAX) {
			srv_fail(c, LS_INVALID_ARGUMENT, "days", "days: from 1 to %d, not %u",
			         ASSIGN_DAYS_MAX, in->days);
			return;
		}
		days = in->days;
	}
	int32_t as_of;
	if (date_optional(c, "as_of", in->as_of, ls_today(), &as_of) != LS_OK)
		return;
	srv_assignee who = {
	    .mode = assign_mode(c->caller->role),
	    .unit = c->caller->unit_id,
	    .person = c->caller->person_id,
	};
	char until[SRV_DATE_SIZE];
	ls_date_format(as_of + (int32_t)days, until);

	project_vec pv = {0};
	node_split sp = {.overdue = {.max = ASSIGN_LIST_MAX}, .due = {.max = ASSIGN_LIST_MAX}};
	task_vec tv = {.max = ASSIGN_LIST_MAX};
	ls_date_format(as_of, sp.as_of);
	Luoshi__V1__AssignedProject *pmsgs = NULL, **pptrs = NULL;
	Luoshi__V1__Node *omsgs = NULL, **optrs = NULL, *dmsgs = NULL, **dptrs = NULL;
	Luoshi__V1__Task *tmsgs = NULL, **tptrs = NULL;
	/* Problems are an office's too: those of group "other" go to it. */
	Luoshi__V1__Problem **prob = NULL;
	size_t n_prob = 0;
	uint32_t prob_count = 0;
	/* Rectification orders, like tasks, are the owner unit's work. */
	Luoshi__V1__Rectification **rect = NULL;
	size_t n_rect = 0;
	uint32_t rect_count = 0;
	if (srv_problems_assigned(c, as_of, ASSIGN_LIST_MAX, &prob, &n_prob, &prob_count) != LS_OK)
		goto out;
	if (srv_rectifications_assigned(c, as_of, ASSIGN_LIST_MAX, &rect, &n_rect, &rect_count) !=
	    LS_OK)
		goto out;
	if (who.mode != SRV_ASSIGN_NONE &&
	    (srv_store_schedule_assigned_projects(store, &who, project_push, &pv) < 0 ||
	     srv_store_schedule_assigned_nodes(store, &who, until, node_split_push, &sp) < 0 ||
	     srv_store_schedule_assigned_tasks(store, &who, task_push, &tv) < 0)) {
		srv_fail(c, LS_INTERNAL, NULL, "cannot read the assignments");
		goto out;
	}
	pmsgs = malloc((pv.n ? pv.n : 1) * sizeof *pmsgs);
	pptrs = malloc((pv.n ? pv.n : 1) * sizeof *pptrs);
	if (pv.oom || sp.overdue.oom || sp.due.oom || tv.oom || pmsgs == NULL || pptrs == NULL ||
	    !nodes_to_proto(sp.overdue.v, sp.overdue.n, as_of, &omsgs, &optrs) ||
	    !nodes_to_proto(sp.due.v, sp.due.n, as_of, &dmsgs, &dptrs) ||
	    !tasks_to_proto(tv.v, tv.n, as_of, &tmsgs, &tptrs)) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < pv.n; i++) {
		Luoshi__V1__AssignedProject *m = &pmsgs[i];
		luoshi__v1__assigned_project__init(m);
		m->code = pv.v[i].code;
		m->name = pv.v[i].name;
		m->why = pv.v[i].why;
		m->planned_finish = pv.v[i].planned_finish;
		pptrs[i] = m;
	}
	Luoshi__V1__GetAssignmentsResponse resp = LUOSHI__V1__GET_ASSIGNMENTS_RESPONSE__INIT;
	resp.n_projects = pv.n;
	resp.projects = pptrs;
	resp.n_nodes_overdue = sp.overdue.n;
	resp.nodes_overdue = optrs;
	resp.n_nodes_due = sp.due.n;
	resp.nodes_due = dptrs;
	resp.n_tasks = tv.n;
	resp.tasks = tptrs;
	resp.has_project_count = resp.has_overdue_count = resp.has_due_count = resp.has_task_count =
	    true;
	resp.project_count = (uint32_t)pv.n;
	resp.overdue_count = (uint32_t)sp.overdue.seen;
	resp.due_count = (uint32_t)sp.due.seen;
	resp.task_count = (uint32_t)tv.seen;
	resp.n_problems = n_prob;
	resp.problems = prob;
	resp.has_problem_count = true;
	resp.problem_count = prob_count;
	resp.n_rectifications = n_rect;
	resp.rectifications = rect;
	resp.has_rectification_count = true;
	resp.rectification_count = rect_count;
	done(&resp, arg);
out:
	free(pv.v);
	free(sp.overdue.v);
	free(sp.due.v);
	free(tv.v);
	free(pmsgs);
	free(pptrs);
	free(omsgs);
	free(optrs);
	free(dmsgs);
	free(dptrs);
	free(tmsgs);
	free(tptrs);
	srv_problems_free(prob, n_prob);
	srv_rectifications_free(rect, n_rect);
}

static Luoshi__V1__ScheduleService_Service schedule = LUOSHI__V1__SCHEDULE_SERVICE__INIT(schedule_);

ProtobufCService *srv_schedule_service(void)
{
	return &schedule.base;
}
