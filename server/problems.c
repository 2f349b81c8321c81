/* ProblemService: problems listed and closed one by one (销号管理).
 *
 * A problem is raised on a project by those who work on it: an admin of its
 * scope, the town it stands in, a unit that leads it or contributes to it,
 * its lead leader. It is routed at once to the support group of its group
 * ("1+4") in the project's office area, or to the office itself for
 * "other"; that unit, or the lead leader, may hand it on to a unit or to a
 * leader who takes it as a personal case (包案), and any leader may take it
 * so himself. Whoever it is routed or assigned to, the lead leader or an
 * admin closes it with a resolution (销号); an admin or the raising unit
 * may reopen it. Every change appends a row to its history and to the
 * audit log. Inspectors, the discipline commission and viewers read; they
 * never write here. */
#include "luoshi/v1/problems.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "server.h"
#include "store/problems.h"
#include "store/registry.h"

#define TITLE_MAX_BYTES 200
#define TEXT_MAX_BYTES 2000
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

_Static_assert(TEXT_MAX_BYTES < SRV_PROBLEM_TEXT_SIZE && TITLE_MAX_BYTES < SRV_PROBLEM_NAME_SIZE,
               "the store's buffers hold what the service accepts");

/* luoshi.v1.ProblemGroup and the text of problems.grp. */
static const char *const group_names[] = {
    [LUOSHI__V1__PROBLEM_GROUP__GROUP_COORDINATION] = "coordination",
    [LUOSHI__V1__PROBLEM_GROUP__GROUP_APPROVAL] = "approval",
    [LUOSHI__V1__PROBLEM_GROUP__GROUP_FUNDING] = "funding",
    [LUOSHI__V1__PROBLEM_GROUP__GROUP_CLEARANCE] = "clearance",
    [LUOSHI__V1__PROBLEM_GROUP__GROUP_OTHER] = "other",
};
#define N_GROUPS ((int)(sizeof group_names / sizeof group_names[0]))

static const char *group_text(int g)
{
	return g > 0 && g < N_GROUPS ? group_names[g] : NULL;
}

static int group_from_text(const char *text)
{
	for (int g = 1; g < N_GROUPS; g++)
		if (strcmp(group_names[g], text) == 0)
			return g;
	return LUOSHI__V1__PROBLEM_GROUP__PROBLEM_GROUP_UNSPECIFIED;
}

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- validation ----------------------------------------------------------------- */

/* Free text may hold line breaks and tabs, nothing else below 0x20; a
 * title none at all. */
static bool text_clean(const char *s, bool multiline)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if (multiline && (ch == '\n' || ch == '\r' || ch == '\t'))
			continue;
		if (ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

static int check_text(srv_call *c, const char *field, const char *v, size_t max, bool required,
                      bool multiline)
{
	if (!given(v)) {
		if (required)
			return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s is required", field);
		return LS_OK;
	}
	if (strlen(v) > max)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s is longer than %zu bytes", field,
		                max);
	if (!text_clean(v, multiline))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s holds control characters",
		                field);
	return LS_OK;
}

static int check_id(srv_call *c, bool has, int64_t id)
{
	if (!has || id <= 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, "id", "id is required and positive");
	return LS_OK;
}

/* A day given as YYYY-MM-DD, or def when absent. */
static int date_or(srv_call *c, const char *field, const char *text, int32_t def, int32_t *out)
{
	if (!given(text)) {
		*out = def;
		return LS_OK;
	}
	if (!ls_date_parse(text, out))
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s must be a real day as YYYY-MM-DD, not \"%s\"", field, text);
	return LS_OK;
}

/* ---- who the caller is to a problem ---------------------------------------------- */

static bool role_in(const srv_call *c, srv_role a, srv_role b)
{
	return c->caller->role == a || c->caller->role == b;
}

/* Admins, departments and towns act for their unit: what is routed or
 * assigned to the unit is theirs. Leaders act for themselves. */
static bool acts_for_unit(const srv_call *c)
{
	return c->caller->role == SRV_ROLE_ADMIN || role_in(c, SRV_ROLE_DEPARTMENT, SRV_ROLE_TOWN);
}

static srv_problem_viewer viewer_of(srv_call *c)
{
	srv_problem_viewer v = {.scope = srv_call_scope(c), .by_unit = acts_for_unit(c)};
	return v;
}

/* What the caller is to one problem. */
typedef struct stake {
	bool admin;    /* an admin whose scope holds the project */
	bool routed;   /* an account of the unit it is routed to */
	bool assignee; /* an account of the assignee unit, or the assignee person's */
	bool lead;     /* the project's lead leader */
	bool raiser;   /* the raising account, or its town or department */
} stake;

static stake stake_of(srv_call *c, const srv_problem *p)
{
	const srv_account *a = c->caller;
	bool unit_acc = role_in(c, SRV_ROLE_DEPARTMENT, SRV_ROLE_TOWN);
	stake s = {0};
	s.admin = a->role == SRV_ROLE_ADMIN &&
	          srv_store_project_visible(c->srv->store, srv_call_scope(c), p->project.id);
	s.routed = unit_acc && a->unit_id == p->routed.id;
	s.assignee = (unit_acc && p->assignee_unit.id > 0 && a->unit_id == p->assignee_unit.id) ||
	             (a->person_id > 0 && a->person_id == p->assignee_person.id);
	s.lead =
	    a->role == SRV_ROLE_LEADER && a->person_id > 0 && a->person_id == p->lead_leader.id;
	s.raiser = (p->raised_by > 0 && a->id == p->raised_by) ||
	           (unit_acc && p->raised_by_unit.id > 0 && a->unit_id == p->raised_by_unit.id);
	return s;
}

static int denied(srv_call *c, const srv_problem *p, const char *what)
{
	return srv_fail(c, LS_PERMISSION_DENIED, "id", "you may not %s problem %" PRId64, what,
	                p->id);
}

/* The problem a write names: only writing roles, an id, a row. */
static int load_for_write(srv_call *c, bool has_id, int64_t id, srv_problem *p)
{
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_LEADER, SRV_ROLE_TOWN, SRV_ROLE_DEPARTMENT,
	                     SRV_ROLE_NONE) != LS_OK ||
	    check_id(c, has_id, id) != LS_OK)
		return c->status.code;
	int rc = srv_store_problems_get(c->srv->store, id, p, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, "id", "no problem has id %" PRId64, id);
	return rc;
}

/* ---- messages -------------------------------------------------------------------- */

/* A copy of s, or NULL for "" (an absent field). */
static char *dup_opt(const char *s, bool *oom)
{
	if (s == NULL || s[0] == '\0')
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

/* A copy of s, "" included. */
static char *dup_req(const char *s, bool *oom)
{
	char *d = strdup(s ? s : "");
	if (d == NULL)
		*oom = true;
	return d;
}

/* A Problem message from p, every string its own, so that
 * protobuf_c_message_free_unpacked frees it whole. days_left counts from
 * as_of. NULL when out of memory. */
static Luoshi__V1__Problem *problem_msg(const srv_problem *p, int32_t as_of)
{
	Luoshi__V1__Problem *m = malloc(sizeof *m);
	if (m == NULL)
		return NULL;
	luoshi__v1__problem__init(m);
	bool oom = false;
	m->has_id = true;
	m->id = p->id;
	m->project_code = dup_req(p->project.code, &oom);
	m->project_name = dup_req(p->project.name, &oom);
	m->title = dup_req(p->title, &oom);
	m->detail = dup_opt(p->detail, &oom);
	m->has_group = true;
	m->group = (Luoshi__V1__ProblemGroup)group_from_text(p->group);
	m->routed_unit_code = dup_req(p->routed.code, &oom);
	m->routed_unit_name = dup_req(p->routed.name, &oom);
	m->assignee_unit_code = dup_opt(p->assignee_unit.code, &oom);
	m->assignee_unit_name = dup_opt(p->assignee_unit.name, &oom);
	m->assignee_person_code = dup_opt(p->assignee_person.code, &oom);
	m->assignee_person_name = dup_opt(p->assignee_person.name, &oom);
	m->due_date = dup_opt(p->due_date, &oom);
	m->has_status = true;
	m->status = p->resolved ? LUOSHI__V1__PROBLEM_STATUS__PROBLEM_RESOLVED
	                        : LUOSHI__V1__PROBLEM_STATUS__PROBLEM_OPEN;
	m->has_escalated = true;
	m->escalated = p->escalated;
	m->resolution = dup_opt(p->resolution, &oom);
	m->raised_at = dup_req(p->raised_at, &oom);
	m->resolved_at = dup_opt(p->resolved_at, &oom);
	int32_t due;
	if (!p->resolved && p->due_date[0] != '\0' && ls_date_parse(p->due_date, &due)) {
		m->has_days_left = true;
		m->days_left = due - as_of;
	}
	m->raised_by = dup_opt(p->raised_by_name, &oom);
	m->raised_by_unit_code = dup_opt(p->raised_by_unit.code, &oom);
	m->raised_by_unit_name = dup_opt(p->raised_by_unit.name, &oom);
	m->lead_leader_code = dup_opt(p->lead_leader.code, &oom);
	m->lead_leader_name = dup_opt(p->lead_leader.name, &oom);
	if (p->escalated) {
		m->office_code = dup_opt(p->office.code, &oom);
		m->office_name = dup_opt(p->office.name, &oom);
	}
	m->town_code = dup_opt(p->town.code, &oom);
	m->town_name = dup_opt(p->town.name, &oom);
	if (oom) {
		protobuf_c_message_free_unpacked(&m->base, NULL);
		return NULL;
	}
	return m;
}

static void msg_free(Luoshi__V1__Problem *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* A growing array of owned Problem messages. */
typedef struct msg_vec {
	Luoshi__V1__Problem **v;
	size_t n, cap;
	size_t max;  /* keep at most this many; 0: no limit */
	size_t seen; /* rows given, kept or not */
	int32_t as_of;
	bool oom;
} msg_vec;

static void msg_push(void *arg, const srv_problem *p)
{
	msg_vec *mv = arg;
	mv->seen++;
	if (mv->oom || (mv->max > 0 && mv->n >= mv->max))
		return;
	if (mv->n == mv->cap) {
		size_t cap = mv->cap ? 2 * mv->cap : 16;
		Luoshi__V1__Problem **v = realloc(mv->v, cap * sizeof *v);
		if (v == NULL) {
			mv->oom = true;
			return;
		}
		mv->v = v;
		mv->cap = cap;
	}
	Luoshi__V1__Problem *m = problem_msg(p, mv->as_of);
	if (m == NULL) {
		mv->oom = true;
		return;
	}
	mv->v[mv->n++] = m;
}

static void msg_vec_free(msg_vec *mv)
{
	for (size_t i = 0; i < mv->n; i++)
		msg_free(mv->v[i]);
	free(mv->v);
	mv->v = NULL;
	mv->n = mv->cap = 0;
}

/* ---- writing ------------------------------------------------------------------------ */

/* The end of every write but a note: appends the history row, reads the
 * problem back, audits before -> after (before NULL: a new problem) and
 * returns the message of the new state (owned), or NULL when the call has
 * failed. */
static Luoshi__V1__Problem *finish(srv_call *c, const srv_problem *before, int64_t id,
                                   const char *now, const char *kind, const char *text)
{
	srv_store *store = c->srv->store;
	srv_problem *after = malloc(sizeof *after);
	Luoshi__V1__Problem *mb = NULL, *ma = NULL;
	if (after == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return NULL;
	}
	if (srv_store_problems_event(store, id, now, c->caller->id, kind, text, &c->status) !=
	    LS_OK)
		goto out;
	if (srv_store_problems_get(store, id, after, &c->status) != LS_OK) {
		if (c->status.code == LS_OK)
			srv_fail(c, LS_INTERNAL, NULL, "problem %" PRId64 " cannot be read back",
			         id);
		goto out;
	}
	int32_t today = ls_today();
	ma = problem_msg(after, today);
	if (before != NULL)
		mb = problem_msg(before, today);
	if (ma == NULL || (before != NULL && mb == NULL)) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		msg_free(ma);
		ma = NULL;
		goto out;
	}
	if (srv_audit(c, "problem", id, after->project.id, mb ? &mb->base : NULL, &ma->base) !=
	    LS_OK) {
		msg_free(ma);
		ma = NULL;
	}
out:
	msg_free(mb);
	free(after);
	return ma;
}

/* "unit:zqql 征迁清零组": how the history names a unit or person. */
static void ref_text(char *buf, size_t n, const char *what, const char *code, const char *name)
{
	snprintf(buf, n, "%s:%s %s", what, code, name);
}

static void problems_raise_problem(Luoshi__V1__ProblemService_Service *svc,
                                   const Luoshi__V1__RaiseProblemRequest *in,
                                   Luoshi__V1__RaiseProblemResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_LEADER, SRV_ROLE_TOWN, SRV_ROLE_DEPARTMENT,
	                     SRV_ROLE_NONE) != LS_OK)
		return;
	if (!given(in->project)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "project",
		         "project is required: a project's code or name");
		return;
	}
	if (check_text(c, "title", in->title, TITLE_MAX_BYTES, true, false) != LS_OK ||
	    check_text(c, "detail", in->detail, TEXT_MAX_BYTES, false, true) != LS_OK)
		return;
	const char *group = in->has_group ? group_text(in->group) : NULL;
	if (group == NULL) {
		srv_fail(c, LS_INVALID_ARGUMENT, "group",
		         "group is required: coordination, approval, funding, clearance or other");
		return;
	}
	int32_t today = ls_today(), due = 0;
	char due_text[SRV_PROBLEM_DATE_SIZE] = "";
	if (given(in->due_date)) {
		if (date_or(c, "due_date", in->due_date, 0, &due) != LS_OK)
			return;
		if (due < today) {
			srv_fail(c, LS_INVALID_ARGUMENT, "due_date",
			         "due_date: %s lies in the past; a problem is due today or later",
			         in->due_date);
			return;
		}
		ls_date_format(due, due_text);
	}

	const srv_scope *scope = srv_call_scope(c);
	int64_t pid;
	int rc =
	    srv_store_registry_project_find(store, in->project, scope, "project", &pid, &c->status);
	if (rc == LS_NOT_FOUND) {
		srv_fail(c, LS_INVALID_ARGUMENT, "project",
		         "project: no project has the code or "
		         "name \"%s\"",
		         in->project);
		return;
	}
	if (rc != LS_OK)
		return;
	srv_problem_project proj;
	rc = srv_store_problems_project(store, pid, &proj, &c->status);
	if (rc == LS_NOT_FOUND)
		srv_fail(c, LS_INVALID_ARGUMENT, "project", "project: no such project");
	if (rc != LS_OK)
		return;
	/* Who works on the project may raise its problems: its town, a unit
	 * leading or contributing, its lead leader, an admin over it. */
	bool may = srv_store_project_visible(store, scope, pid);
	if (may && c->caller->role == SRV_ROLE_DEPARTMENT &&
	    srv_store_problems_unit_on_project(store, pid, c->caller->unit_id, &may, &c->status) !=
	        LS_OK)
		return;
	if (c->caller->role == SRV_ROLE_LEADER)
		may =
		    may && c->caller->person_id > 0 && c->caller->person_id == proj.lead_leader_id;
	if (!may) {
		srv_fail(c, LS_PERMISSION_DENIED, "project",
		         "project: %s is not a project you may raise problems on", proj.code);
		return;
	}
	if (proj.archived) {
		srv_fail(c, LS_FAILED_PRECONDITION, "project", "project: %s is archived",
		         proj.code);
		return;
	}

	/* Routing: the office over the project's lead unit, then its group. */
	int64_t office, routed;
	if (srv_store_registry_office_of(store, proj.lead_unit_id, &office, &c->status) != LS_OK)
		return;
	srv_unit office_unit;
	if (srv_store_registry_unit_get(store, office, &office_unit) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "unit %" PRId64 " cannot be read", office);
		return;
	}
	if (strcmp(group, "other") == 0) {
		routed = office;
	} else {
		rc = srv_store_registry_group_unit(store, office, group, 0, &routed, &c->status);
		if (rc == LS_NOT_FOUND) {
			srv_fail(c, LS_FAILED_PRECONDITION, "group",
			         "group: %s (%s) has no active support group for %s; add one with "
			         "that support group first",
			         office_unit.name, office_unit.code, group);
			return;
		}
		if (rc != LS_OK)
			return;
	}
	srv_unit routed_unit;
	if (srv_store_registry_unit_get(store, routed, &routed_unit) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "unit %" PRId64 " cannot be read", routed);
		return;
	}

	char now[32], on[SRV_PROBLEM_DATE_SIZE];
	srv_now_iso(now);
	ls_date_format(today, on);
	srv_problem_new p = {
	    .project_id = pid,
	    .title = in->title,
	    .detail = in->detail,
	    .group = group,
	    .routed_unit_id = routed,
	    .office_id = office,
	    .due_date = due_text,
	    .raised_by = c->caller->id,
	    .raised_at = now,
	    .raised_on = on,
	};
	int64_t id;
	if (srv_store_problems_insert(store, &p, &id, &c->status) != LS_OK)
		return;
	char text[400];
	ref_text(text, sizeof text, "unit", routed_unit.code, routed_unit.name);
	Luoshi__V1__Problem *m = finish(c, NULL, id, now, "raised", text);
	if (m == NULL)
		return;
	Luoshi__V1__RaiseProblemResponse out = LUOSHI__V1__RAISE_PROBLEM_RESPONSE__INIT;
	out.problem = m;
	done(&out, arg);
	msg_free(m);
}

/* The unit or person an assignment names: active, in the problem's office
 * area. */
static int assign_target(srv_call *c, const srv_problem *p, srv_entity what, const char *field,
                         const char *text, int64_t *id, char *label, size_t n)
{
	srv_store *store = c->srv->store;
	const char *noun = what == SRV_UNIT ? "unit" : "person";
	int rc = srv_store_registry_find(store, what, text, p->office.id, field, id, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: no active %s has the code or name \"%s\"", field, noun, text);
	if (rc != LS_OK)
		return rc;
	bool active;
	int64_t unit = *id;
	if (what == SRV_UNIT) {
		srv_unit u;
		if (srv_store_registry_unit_get(store, *id, &u) != LS_OK)
			return srv_fail(c, LS_INTERNAL, NULL, "unit %" PRId64 " cannot be read",
			                *id);
		active = u.active;
		ref_text(label, n, noun, u.code, u.name);
	} else {
		srv_person ps;
		if (srv_store_registry_person_get(store, *id, &ps) != LS_OK)
			return srv_fail(c, LS_INTERNAL, NULL, "person %" PRId64 " cannot be read",
			                *id);
		active = ps.active;
		unit = ps.unit_id;
		ref_text(label, n, noun, ps.code, ps.name);
	}
	if (!active)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: %s \"%s\" is inactive", field,
		                noun, text);
	if (!srv_store_unit_within(store, unit, p->office.id))
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: %s \"%s\" lies outside the problem's office area (%s)", field,
		                noun, text, p->office.code);
	return LS_OK;
}

static void problems_assign_problem(Luoshi__V1__ProblemService_Service *svc,
                                    const Luoshi__V1__AssignProblemRequest *in,
                                    Luoshi__V1__AssignProblemResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_problem *p = malloc(sizeof *p);
	if (p == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	if (load_for_write(c, in->has_id, in->id, p) != LS_OK)
		goto out;
	bool to_unit = given(in->unit), to_person = given(in->person);
	if (to_unit == to_person) {
		srv_fail(c, LS_INVALID_ARGUMENT, to_unit ? "person" : "unit",
		         "give one of unit and person: whom the problem goes to");
		goto out;
	}
	stake s = stake_of(c, p);
	bool self = false;
	int64_t target = 0;
	char label[400];
	/* Rights first, then the target: a stranger learns nothing of the
	 * registry from the answer. A leader who is no lead leader may only take
	 * the case himself, so his target is checked before his right. */
	if (!(s.admin || s.routed || s.lead)) {
		if (c->caller->role != SRV_ROLE_LEADER || !to_person || c->caller->person_id <= 0 ||
		    !srv_store_project_visible(c->srv->store, srv_call_scope(c), p->project.id)) {
			denied(c, p, "assign");
			goto out;
		}
		self = true;
	}
	if (check_text(c, to_unit ? "unit" : "person", to_unit ? in->unit : in->person,
	               TITLE_MAX_BYTES, true, false) != LS_OK ||
	    assign_target(c, p, to_unit ? SRV_UNIT : SRV_PERSON, to_unit ? "unit" : "person",
	                  to_unit ? in->unit : in->person, &target, label, sizeof label) != LS_OK)
		goto out;
	if (self && target != c->caller->person_id) {
		srv_fail(c, LS_PERMISSION_DENIED, "person",
		         "person: a leader may take problem %" PRId64 " only as his own case",
		         p->id);
		goto out;
	}
	if (p->resolved) {
		srv_fail(c, LS_FAILED_PRECONDITION, "id",
		         "problem %" PRId64 " is resolved; reopen it first", p->id);
		goto out;
	}
	char now[32];
	srv_now_iso(now);
	if (srv_store_problems_assign(c->srv->store, p->id, to_unit ? target : 0,
	                              to_person ? target : 0, &c->status) != LS_OK)
		goto out;
	Luoshi__V1__Problem *m = finish(c, p, p->id, now, "assigned", label);
	if (m == NULL)
		goto out;
	Luoshi__V1__AssignProblemResponse resp = LUOSHI__V1__ASSIGN_PROBLEM_RESPONSE__INIT;
	resp.problem = m;
	done(&resp, arg);
	msg_free(m);
out:
	free(p);
}

static void problems_add_problem_note(Luoshi__V1__ProblemService_Service *svc,
                                      const Luoshi__V1__AddProblemNoteRequest *in,
                                      Luoshi__V1__AddProblemNoteResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	srv_problem *p = malloc(sizeof *p);
	Luoshi__V1__Problem *m = NULL;
	if (p == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	if (load_for_write(c, in->has_id, in->id, p) != LS_OK)
		goto out;
	stake s = stake_of(c, p);
	if (!(s.admin || s.routed || s.assignee || s.lead || s.raiser)) {
		denied(c, p, "add a note to");
		goto out;
	}
	if (check_text(c, "text", in->text, TEXT_MAX_BYTES, true, true) != LS_OK)
		goto out;
	char now[32];
	srv_now_iso(now);
	if (srv_store_problems_event(store, p->id, now, c->caller->id, "note", in->text,
	                             &c->status) != LS_OK)
		goto out;
	/* A note changes no field of the problem: the audit row holds the
	 * note itself. */
	Luoshi__V1__ProblemEvent ev = LUOSHI__V1__PROBLEM_EVENT__INIT;
	ev.at = now;
	ev.account_name = (char *)c->caller->name;
	ev.kind = (char *)"note";
	ev.text = in->text;
	if (srv_audit(c, "problem", p->id, p->project.id, NULL, &ev.base) != LS_OK)
		goto out;
	m = problem_msg(p, ls_today());
	if (m == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	Luoshi__V1__AddProblemNoteResponse resp = LUOSHI__V1__ADD_PROBLEM_NOTE_RESPONSE__INIT;
	resp.problem = m;
	done(&resp, arg);
out:
	msg_free(m);
	free(p);
}

static void problems_resolve_problem(Luoshi__V1__ProblemService_Service *svc,
                                     const Luoshi__V1__ResolveProblemRequest *in,
                                     Luoshi__V1__ResolveProblemResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_problem *p = malloc(sizeof *p);
	if (p == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	if (load_for_write(c, in->has_id, in->id, p) != LS_OK)
		goto out;
	stake s = stake_of(c, p);
	if (!(s.admin || s.routed || s.assignee || s.lead)) {
		denied(c, p, "resolve");
		goto out;
	}
	if (check_text(c, "resolution", in->resolution, TEXT_MAX_BYTES, true, true) != LS_OK)
		goto out;
	if (p->resolved) {
		srv_fail(c, LS_FAILED_PRECONDITION, "id", "problem %" PRId64 " is already resolved",
		         p->id);
		goto out;
	}
	char now[32], on[SRV_PROBLEM_DATE_SIZE];
	srv_now_iso(now);
	ls_date_format(ls_today(), on);
	if (srv_store_problems_resolve(c->srv->store, p->id, in->resolution, now, on, &c->status) !=
	    LS_OK)
		goto out;
	Luoshi__V1__Problem *m = finish(c, p, p->id, now, "resolved", in->resolution);
	if (m == NULL)
		goto out;
	Luoshi__V1__ResolveProblemResponse resp = LUOSHI__V1__RESOLVE_PROBLEM_RESPONSE__INIT;
	resp.problem = m;
	done(&resp, arg);
	msg_free(m);
out:
	free(p);
}

static void problems_reopen_problem(Luoshi__V1__ProblemService_Service *svc,
                                    const Luoshi__V1__ReopenProblemRequest *in,
                                    Luoshi__V1__ReopenProblemResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_problem *p = malloc(sizeof *p);
	if (p == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	if (load_for_write(c, in->has_id, in->id, p) != LS_OK)
		goto out;
	stake s = stake_of(c, p);
	if (!(s.admin || s.raiser)) {
		denied(c, p, "reopen");
		goto out;
	}
	if (check_text(c, "reason", in->reason, TEXT_MAX_BYTES, true, true) != LS_OK)
		goto out;
	if (!p->resolved) {
		srv_fail(c, LS_FAILED_PRECONDITION, "id", "problem %" PRId64 " is open already",
		         p->id);
		goto out;
	}
	char now[32];
	srv_now_iso(now);
	if (srv_store_problems_reopen(c->srv->store, p->id, &c->status) != LS_OK)
		goto out;
	Luoshi__V1__Problem *m = finish(c, p, p->id, now, "reopened", in->reason);
	if (m == NULL)
		goto out;
	Luoshi__V1__ReopenProblemResponse resp = LUOSHI__V1__REOPEN_PROBLEM_RESPONSE__INIT;
	resp.problem = m;
	done(&resp, arg);
	msg_free(m);
out:
	free(p);
}

static void problems_escalate_problem(Luoshi__V1__ProblemService_Service *svc,
                                      const Luoshi__V1__EscalateProblemRequest *in,
                                      Luoshi__V1__EscalateProblemResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_problem *p = malloc(sizeof *p);
	if (p == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	if (load_for_write(c, in->has_id, in->id, p) != LS_OK)
		goto out;
	stake s = stake_of(c, p);
	if (!(s.admin || s.routed || s.assignee || s.lead || s.raiser)) {
		denied(c, p, "escalate");
		goto out;
	}
	if (check_text(c, "reason", in->reason, TEXT_MAX_BYTES, true, true) != LS_OK)
		goto out;
	if (p->resolved) {
		srv_fail(c, LS_FAILED_PRECONDITION, "id", "problem %" PRId64 " is resolved", p->id);
		goto out;
	}
	if (p->escalated) {
		srv_fail(c, LS_FAILED_PRECONDITION, "id",
		         "problem %" PRId64 " is escalated already, to %s", p->id, p->office.code);
		goto out;
	}
	char now[32];
	srv_now_iso(now);
	if (srv_store_problems_escalate(c->srv->store, p->id, &c->status) != LS_OK)
		goto out;
	Luoshi__V1__Problem *m = finish(c, p, p->id, now, "escalated", in->reason);
	if (m == NULL)
		goto out;
	Luoshi__V1__EscalateProblemResponse resp = LUOSHI__V1__ESCALATE_PROBLEM_RESPONSE__INIT;
	resp.problem = m;
	done(&resp, arg);
	msg_free(m);
out:
	free(p);
}

/* ---- reading ------------------------------------------------------------------------- */

/* A read's filter naming a person, unit or project: within the caller's
 * office (scope root), else INVALID_ARGUMENT as for a name that names
 * nothing. */
static int filter_ref(srv_call *c, srv_entity what, const char *field, const char *text,
                      int64_t *id)
{
	srv_store *store = c->srv->store;
	const srv_scope *scope = srv_call_scope(c);
	srv_scope all = {.mode = SRV_SCOPE_ALL,
	                 .root = scope->root,
	                 .unit = scope->unit,
	                 .person = scope->person};
	bool inside = false;
	int rc;
	if (what == SRV_PROJECT) {
		rc = srv_store_registry_project_find(store, text, &all, field, id, &c->status);
		if (rc == LS_OK)
			inside = srv_store_project_visible(store, &all, *id);
	} else {
		rc = srv_store_registry_find(store, what, text, scope->root, field, id, &c->status);
		if (rc == LS_OK && what == SRV_UNIT) {
			inside = srv_store_unit_within(store, *id, scope->root);
		} else if (rc == LS_OK) {
			srv_person ps;
			inside = srv_store_registry_person_get(store, *id, &ps) == LS_OK &&
			         srv_store_unit_within(store, ps.unit_id, scope->root);
		}
	}
	if (rc == LS_NOT_FOUND || (rc == LS_OK && !inside))
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: nothing you may read has the code or name \"%s\"", field,
		                text);
	return rc;
}

static int page_args(srv_call *c, bool has_size, uint32_t size_in, const char *token, int *size,
                     int64_t *after)
{
	*size =
	    has_size && size_in > 0 ? (int)(size_in > PAGE_MAX ? PAGE_MAX : size_in) : PAGE_DEFAULT;
	*after = 0;
	if (!given(token))
		return LS_OK;
	char *end;
	long long v = strtoll(token, &end, 10);
	if (*end != '\0' || v <= 0 || token[0] < '0' || token[0] > '9')
		return srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
		                "page_token is not one this server gave");
	*after = v;
	return LS_OK;
}

static void problems_list_problems(Luoshi__V1__ProblemService_Service *svc,
                                   const Luoshi__V1__ListProblemsRequest *in,
                                   Luoshi__V1__ListProblemsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_problem_viewer v = viewer_of(c);
	srv_problem_filter f = {.viewer = &v};
	int size;
	int32_t as_of;
	char as_of_text[SRV_PROBLEM_DATE_SIZE];
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	        LS_OK ||
	    date_or(c, "as_of", in->as_of, ls_today(), &as_of) != LS_OK)
		return;
	ls_date_format(as_of, as_of_text);
	f.as_of = as_of_text;
	f.open_only = in->has_open_only && in->open_only;
	f.overdue_only = in->has_overdue_only && in->overdue_only;
	if (in->has_group && in->group != LUOSHI__V1__PROBLEM_GROUP__PROBLEM_GROUP_UNSPECIFIED) {
		f.group = group_text(in->group);
		if (f.group == NULL) {
			srv_fail(c, LS_INVALID_ARGUMENT, "group", "group %d is not a problem group",
			         (int)in->group);
			return;
		}
	}
	if ((given(in->leader) &&
	     filter_ref(c, SRV_PERSON, "leader", in->leader, &f.leader) != LS_OK) ||
	    (given(in->town) && filter_ref(c, SRV_UNIT, "town", in->town, &f.town) != LS_OK) ||
	    (given(in->project) &&
	     filter_ref(c, SRV_PROJECT, "project", in->project, &f.project) != LS_OK))
		return;
	f.limit = size + 1; /* one more tells whether another page follows */
	msg_vec mv = {.as_of = as_of, .max = (size_t)size + 1};
	if (srv_store_problems_list(c->srv->store, &f, msg_push, &mv, &c->status) < 0)
		goto out;
	if (mv.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	Luoshi__V1__ListProblemsResponse resp = LUOSHI__V1__LIST_PROBLEMS_RESPONSE__INIT;
	char next[24];
	size_t shown = mv.n > (size_t)size ? (size_t)size : mv.n;
	resp.n_problems = shown;
	resp.problems = mv.v;
	if (mv.n > (size_t)size) {
		snprintf(next, sizeof next, "%" PRId64, mv.v[size - 1]->id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	msg_vec_free(&mv);
}

typedef struct event_vec {
	Luoshi__V1__ProblemEvent *v;
	Luoshi__V1__ProblemEvent **ptrs;
	size_t n, cap;
	bool oom;
} event_vec;

static void event_push(void *arg, const srv_problem_event *e)
{
	event_vec *ev = arg;
	if (ev->oom)
		return;
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? 2 * ev->cap : 16;
		Luoshi__V1__ProblemEvent *v = realloc(ev->v, cap * sizeof *v);
		if (v == NULL) {
			ev->oom = true;
			return;
		}
		ev->v = v;
		ev->cap = cap;
	}
	Luoshi__V1__ProblemEvent *m = &ev->v[ev->n++];
	luoshi__v1__problem_event__init(m);
	m->at = dup_req(e->at, &ev->oom);
	m->account_name = dup_opt(e->account_name, &ev->oom);
	m->kind = dup_req(e->kind, &ev->oom);
	m->text = dup_opt(e->text, &ev->oom);
}

static void problems_get_problem(Luoshi__V1__ProblemService_Service *svc,
                                 const Luoshi__V1__GetProblemRequest *in,
                                 Luoshi__V1__GetProblemResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (check_id(c, in->has_id, in->id) != LS_OK)
		return;
	srv_problem_viewer v = viewer_of(c);
	srv_problem *p = malloc(sizeof *p);
	Luoshi__V1__Problem *m = NULL;
	event_vec ev = {0};
	if (p == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	/* One the caller may not read does not exist for it. */
	int rc = srv_store_problems_get(store, in->id, p, &c->status);
	if (rc == LS_NOT_FOUND || (rc == LS_OK && !srv_store_problems_visible(store, &v, in->id))) {
		srv_fail(c, LS_NOT_FOUND, "id", "no problem has id %" PRId64, in->id);
		goto out;
	}
	if (rc != LS_OK)
		goto out;
	if (srv_store_problems_events(store, p->id, event_push, &ev, &c->status) < 0)
		goto out;
	m = problem_msg(p, ls_today());
	ev.ptrs = malloc((ev.n ? ev.n : 1) * sizeof *ev.ptrs);
	if (ev.oom || m == NULL || ev.ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ev.n; i++)
		ev.ptrs[i] = &ev.v[i];
	Luoshi__V1__GetProblemResponse resp = LUOSHI__V1__GET_PROBLEM_RESPONSE__INIT;
	resp.problem = m;
	resp.n_history = ev.n;
	resp.history = ev.ptrs;
	done(&resp, arg);
out:
	for (size_t i = 0; i < ev.n; i++) {
		free(ev.v[i].at);
		free(ev.v[i].account_name);
		free(ev.v[i].kind);
		free(ev.v[i].text);
	}
	free(ev.v);
	free(ev.ptrs);
	msg_free(m);
	free(p);
}

/* The counts of every group, in the order of ProblemGroup. */
typedef struct stats_acc {
	srv_problem_counts g[N_GROUPS];
} stats_acc;

static void stats_push(void *arg, const srv_problem_counts *c)
{
	stats_acc *a = arg;
	int g = group_from_text(c->group);
	if (g > 0)
		a->g[g] = *c;
}

static void counts_fill(Luoshi__V1__ProblemCounts *m, int group, const srv_problem_counts *c)
{
	luoshi__v1__problem_counts__init(m);
	if (group > 0) {
		m->has_group = true;
		m->group = (Luoshi__V1__ProblemGroup)group;
	}
	m->has_raised = m->has_resolved = m->has_open = m->has_overdue = true;
	m->raised = (uint32_t)c->raised;
	m->resolved = (uint32_t)c->resolved;
	m->open = (uint32_t)(c->raised - c->resolved);
	m->overdue = (uint32_t)c->overdue;
	/* No rate without a problem: 0 of 0 is no 0%. Half up: 9 of 11 is
	 * 818.18… -> 818; 1 of 8 is 125. */
	if (c->raised > 0) {
		m->has_rate_permille = true;
		m->rate_permille = (uint32_t)((c->resolved * 2000 + c->raised) / (2 * c->raised));
	}
}

static void problems_problem_stats(Luoshi__V1__ProblemService_Service *svc,
                                   const Luoshi__V1__ProblemStatsRequest *in,
                                   Luoshi__V1__ProblemStatsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_problem_viewer v = viewer_of(c);
	/* Counts are aggregates, which a viewer reads over its whole scope. */
	srv_scope all;
	if (c->caller->role == SRV_ROLE_VIEWER) {
		all = *v.scope;
		all.mode = SRV_SCOPE_ALL;
		v.scope = &all;
	}
	srv_problem_filter f = {.viewer = &v};
	int32_t as_of;
	char as_of_text[SRV_PROBLEM_DATE_SIZE];
	if (date_or(c, "as_of", in->as_of, ls_today(), &as_of) != LS_OK)
		return;
	ls_date_format(as_of, as_of_text);
	f.as_of = as_of_text;
	if ((given(in->leader) &&
	     filter_ref(c, SRV_PERSON, "leader", in->leader, &f.leader) != LS_OK) ||
	    (given(in->town) && filter_ref(c, SRV_UNIT, "town", in->town, &f.town) != LS_OK))
		return;
	stats_acc acc;
	memset(&acc, 0, sizeof acc);
	if (srv_store_problems_stats(c->srv->store, &f, stats_push, &acc, &c->status) < 0)
		return;
	Luoshi__V1__ProblemCounts rows[N_GROUPS], *ptrs[N_GROUPS], overall;
	srv_problem_counts total = {.raised = 0};
	for (int g = 1; g < N_GROUPS; g++) {
		counts_fill(&rows[g - 1], g, &acc.g[g]);
		ptrs[g - 1] = &rows[g - 1];
		total.raised += acc.g[g].raised;
		total.resolved += acc.g[g].resolved;
		total.overdue += acc.g[g].overdue;
	}
	counts_fill(&overall, 0, &total);
	Luoshi__V1__ProblemStatsResponse resp = LUOSHI__V1__PROBLEM_STATS_RESPONSE__INIT;
	resp.n_groups = N_GROUPS - 1;
	resp.groups = ptrs;
	resp.overall = &overall;
	done(&resp, arg);
}

/* ---- GetAssignments' part -------------------------------------------------------------- */

int srv_problems_assigned(srv_call *c, int32_t as_of, size_t max, Luoshi__V1__Problem ***out,
                          size_t *n, uint32_t *count)
{
	srv_problem_owner o = {
	    .unit = c->caller->unit_id,
	    .person = c->caller->person_id,
	    .by_unit = acts_for_unit(c),
	    .leader = c->caller->role == SRV_ROLE_LEADER,
	};
	msg_vec mv = {.as_of = as_of, .max = max};
	*out = NULL;
	*n = 0;
	*count = 0;
	if (srv_store_problems_assigned(c->srv->store, &o, msg_push, &mv, &c->status) < 0) {
		msg_vec_free(&mv);
		return c->status.code;
	}
	if (mv.oom) {
		msg_vec_free(&mv);
		return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	}
	*out = mv.v;
	*n = mv.n;
	*count = (uint32_t)mv.seen;
	return LS_OK;
}

void srv_problems_free(Luoshi__V1__Problem **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		msg_free(v[i]);
	free(v);
}

static Luoshi__V1__ProblemService_Service problems = LUOSHI__V1__PROBLEM_SERVICE__INIT(problems_);

ProtobufCService *srv_problem_service(void)
{
	return &problems.base;
}
