/* SupervisionService: what the report does beyond the weekly update. The
 * lead leaders' rhythm (a review every week, a site visit every month), the
 * inspection groups' inspections and the rectification orders they give,
 * the discipline commission's accountability records, and the figures of
 * three support groups: approvals, land clearance and funding.
 *
 * Who may write: a leader logs activities as itself on projects it leads
 * (an admin for any leader); inspector and discipline accounts record
 * inspections, orders and accountability (an inspector only for its own
 * group); the owner unit's accounts or an admin close an order; an admin
 * sets approvals (and the department the item names), clearance and
 * funding. Reads follow project visibility; accountability is read only by
 * admin, inspector and discipline accounts. A viewer gets the figures of
 * its office without the rows they are made of. */
#include "luoshi/v1/supervision.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "server.h"
#include "store/registry.h"
#include "store/supervision.h"

#define TEXT_MAX_BYTES 2000
#define NAME_MAX_BYTES 200
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define AREA_MAX 1000000000LL /* m² */
#define HOUSEHOLDS_MAX 10000000LL
#define MONEY_MAX 1000000000LL /* 万元 */
#define VISITS_MAX 100
#define TERM_MAX_YEARS 50
#define FAST_TRACK_TARGET_DAYS 100
#define VISIT_DUE_DAY 20 /* the month's site visit, by this day */
#define WEEKS_MAX 6
#define VISITS_SHOWN 31

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- enums as the schema spells them -------------------------------------------- */

static const char *const activity_kinds[] = {NULL, "weekly_review", "site_visit", "coordination"};
static const char *const layers[] = {NULL, "lead_leader", "leading_group", "congress_consultative",
                                     "unit_itself"};
static const char *const acc_kinds[] = {NULL, "warning_talk", "criticism", "accountability"};
static const char *const funding_kinds[] = {NULL, "agreement", "loan"};

#define N_OF(a) ((int)(sizeof a / sizeof a[0]))

/* The enum value of text in names (1..n-1), or 0. */
static int enum_of(const char *const *names, int n, const char *text)
{
	for (int i = 1; i < n; i++)
		if (strcmp(names[i], text) == 0)
			return i;
	return 0;
}

/* The schema text of an enum value; fails the call naming field when the
 * value is missing or out of range. required: absent fails too. */
static int enum_arg(srv_call *c, const char *field, const char *const *names, int n, bool has,
                    int value, bool required, const char **out)
{
	*out = NULL;
	if (!has || value == 0) {
		if (!required)
			return LS_OK;
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required", field);
	}
	if (value < 1 || value >= n)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: %d is not a known value", field,
		                value);
	*out = names[value];
	return LS_OK;
}

/* ---- validation ----------------------------------------------------------------------- */

static int text_arg(srv_call *c, const char *field, const char *s, size_t max, bool required)
{
	if (!given(s)) {
		if (required)
			return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required", field);
		return LS_OK;
	}
	if (strlen(s) > max)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: longer than %zu bytes", field,
		                max);
	return LS_OK;
}

/* A real date "YYYY-MM-DD" into *days and out (may be NULL). */
static int date_arg(srv_call *c, const char *field, const char *s, int32_t *days,
                    char out[SRV_SUP_DATE])
{
	if (!given(s))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required (YYYY-MM-DD)", field);
	if (!ls_date_parse(s, days))
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s must be a real date YYYY-MM-DD, not \"%s\"", field, s);
	if (out != NULL)
		ls_date_format(*days, out);
	return LS_OK;
}

/* An optional date: absent gives def. */
static int date_opt(srv_call *c, const char *field, const char *s, int32_t def, int32_t *days,
                    char out[SRV_SUP_DATE])
{
	if (!given(s)) {
		*days = def;
		if (out != NULL)
			ls_date_format(def, out);
		return LS_OK;
	}
	return date_arg(c, field, s, days, out);
}

/* A month "YYYY-MM" into p and out. */
static int month_arg(srv_call *c, const char *field, const char *s, ls_period *p, char out[8])
{
	if (!given(s))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required (YYYY-MM)", field);
	if (!ls_period_parse(s, p) || p->kind != LS_PERIOD_MONTH)
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s must be a month such as 2026-09, not \"%s\"", field, s);
	snprintf(out, 8, "%04d-%02d", p->year, p->number);
	return LS_OK;
}

static int range_arg(srv_call *c, const char *field, bool has, int64_t v, int64_t lo, int64_t hi,
                     bool required)
{
	if (!has) {
		if (required)
			return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required", field);
		return LS_OK;
	}
	if (v < lo || v > hi)
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: from %" PRId64 " to %" PRId64 ", not %" PRId64, field, lo, hi,
		                v);
	return LS_OK;
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
	if (*end != '\0' || v < 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
		                "page_token is not one this server gave");
	*after = v;
	return LS_OK;
}

/* ---- finding what a request names --------------------------------------------------- */

/* A project named by a write: unknown is bad input, an archived one takes
 * nothing more, one outside the caller's scope is denied. */
static int project_for_write(srv_call *c, const char *field, const char *text, const srv_scope *sc,
                             srv_sup_project *p)
{
	if (!given(text))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required", field);
	int64_t id;
	int rc = srv_store_registry_project_find(c->srv->store, text, sc, field, &id, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: no project has the code or name \"%s\"", field, text);
	if (rc != LS_OK)
		return rc;
	if (srv_store_sup_project_get(c->srv->store, id, p, &c->status) != LS_OK)
		return srv_fail(c, LS_INTERNAL, NULL, "project %" PRId64 " cannot be read", id);
	if (!srv_store_project_visible(c->srv->store, sc, id))
		return srv_fail(c, LS_PERMISSION_DENIED, field,
		                "%s: project %s lies outside your scope", field, p->code);
	if (p->archived)
		return srv_fail(c, LS_FAILED_PRECONDITION, field, "%s: project %s is archived",
		                field, p->code);
	return LS_OK;
}

/* A project named by a read: unknown and invisible answer alike. */
static int project_for_read(srv_call *c, const char *field, const char *text, int64_t *id)
{
	const srv_scope *sc = srv_call_scope(c);
	int rc = srv_store_registry_project_find(c->srv->store, text, sc, field, id, &c->status);
	if (rc == LS_OK && srv_store_project_visible(c->srv->store, sc, *id))
		return LS_OK;
	if (rc == LS_OK || rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, field,
		                "%s: no project you may read has the code or name \"%s\"", field,
		                text);
	return rc;
}

/* A unit or person in the caller's office. A write naming one outside it
 * is denied; a read is told it names nothing. */
static int entity_arg(srv_call *c, srv_entity what, const char *field, const char *text, bool write,
                      int64_t *id, int64_t *unit_of)
{
	srv_store *s = c->srv->store;
	const char *noun = what == SRV_UNIT ? "unit" : "person";
	int64_t root = srv_call_scope(c)->root;
	if (!given(text))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: required", field);
	int rc = srv_store_registry_find(s, what, text, root, field, id, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: no %s has the code or name \"%s\"", field, noun, text);
	if (rc != LS_OK)
		return rc;
	bool active;
	int64_t unit = *id;
	if (what == SRV_UNIT) {
		srv_unit u;
		rc = srv_store_registry_unit_get(s, *id, &u);
		active = u.active;
	} else {
		srv_person p;
		rc = srv_store_registry_person_get(s, *id, &p);
		active = p.active;
		unit = p.unit_id;
	}
	if (rc != LS_OK)
		return srv_fail(c, LS_INTERNAL, NULL, "%s %" PRId64 " cannot be read", noun, *id);
	if (!srv_store_unit_within(s, unit, root)) {
		if (write)
			return srv_fail(c, LS_PERMISSION_DENIED, field,
			                "%s: %s \"%s\" lies outside your scope", field, noun, text);
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: no %s in your scope has the code or name \"%s\"", field, noun,
		                text);
	}
	if (write && !active)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: %s \"%s\" is inactive", field,
		                noun, text);
	if (unit_of != NULL)
		*unit_of = unit;
	return LS_OK;
}

static int unit_write(srv_call *c, const char *field, const char *text, srv_unit *u)
{
	int64_t id;
	if (entity_arg(c, SRV_UNIT, field, text, true, &id, NULL) != LS_OK)
		return c->status.code;
	if (srv_store_registry_unit_get(c->srv->store, id, u) != LS_OK)
		return srv_fail(c, LS_INTERNAL, NULL, "unit %" PRId64 " cannot be read", id);
	return LS_OK;
}

/* The scope aggregates are computed over: the caller's, and for a viewer
 * (no project rows) its whole office; *rows tells whether rows may be
 * shown. */
static srv_scope figures_scope(srv_call *c, bool *rows)
{
	srv_scope sc = *srv_call_scope(c);
	*rows = sc.mode != SRV_SCOPE_NONE;
	if (sc.mode == SRV_SCOPE_NONE)
		sc.mode = SRV_SCOPE_ALL;
	return sc;
}

static bool reads_accountability(srv_call *c)
{
	srv_role r = c->caller->role;
	return r == SRV_ROLE_ADMIN || r == SRV_ROLE_INSPECTOR || r == SRV_ROLE_DISCIPLINE;
}

/* ---- growing arrays of rows ------------------------------------------------------------ */

typedef struct vec {
	char *v;
	size_t n, cap, size;
	bool oom;
} vec;

static void vec_push(vec *x, const void *row)
{
	if (x->oom)
		return;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		char *v = realloc(x->v, cap * x->size);
		if (v == NULL) {
			x->oom = true;
			return;
		}
		x->v = v;
		x->cap = cap;
	}
	memcpy(x->v + x->n * x->size, row, x->size);
	x->n++;
}

#define VEC(T)                    \
	{                         \
		.size = sizeof(T) \
	}
#define AT(x, T, i) (&((T *)(x).v)[i])

static void push_activity(void *arg, const srv_activity *r)
{
	vec_push(arg, r);
}
static void push_pair(void *arg, const srv_cadence_pair *r)
{
	vec_push(arg, r);
}
static void push_inspection(void *arg, const srv_inspection *r)
{
	vec_push(arg, r);
}
static void push_rect(void *arg, const srv_rectification *r)
{
	vec_push(arg, r);
}
static void push_acc(void *arg, const srv_accountability *r)
{
	vec_push(arg, r);
}
static void push_slow(void *arg, const srv_slow_project *r)
{
	vec_push(arg, r);
}
static void push_approval(void *arg, const srv_approval *r)
{
	vec_push(arg, r);
}
static void push_clearance(void *arg, const srv_clearance *r)
{
	vec_push(arg, r);
}
static void push_sum(void *arg, const srv_clearance_sum *r)
{
	vec_push(arg, r);
}
static void push_funding(void *arg, const srv_funding *r)
{
	vec_push(arg, r);
}

/* n message structs of size bytes and the pointer array a repeated field
 * takes; false when out of memory (the call has failed then). */
static bool msgs_alloc(srv_call *c, size_t n, size_t size, void **msgs, void ***ptrs)
{
	*msgs = calloc(n ? n : 1, size);
	*ptrs = calloc(n ? n : 1, sizeof **ptrs);
	if (*msgs != NULL && *ptrs != NULL) {
		for (size_t i = 0; i < n; i++)
			(*ptrs)[i] = (char *)*msgs + i * size;
		return true;
	}
	free(*msgs);
	free(*ptrs);
	*msgs = NULL;
	*ptrs = NULL;
	srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	return false;
}

/* The page's rows (at most size of the size + 1 read) and the token of the
 * next page when the extra row came. */
static size_t page_rows(size_t n, int size, int64_t last_id, char next[24], char **token)
{
	*token = NULL;
	if (n > (size_t)size) {
		snprintf(next, 24, "%" PRId64, last_id);
		*token = next;
		return (size_t)size;
	}
	return n;
}

static char *opt(const char *s)
{
	return s != NULL && s[0] != '\0' ? (char *)s : NULL;
}

/* ---- leader activities ------------------------------------------------------------------ */

typedef struct activity_msg {
	Luoshi__V1__Activity m;
	char week[16];
} activity_msg;

/* Fills out from a; out points into a and itself. */
static void activity_to_proto(const srv_activity *a, activity_msg *out)
{
	Luoshi__V1__Activity *m = &out->m;
	luoshi__v1__activity__init(m);
	m->has_id = true;
	m->id = a->id;
	m->leader_code = (char *)a->leader_code;
	m->leader_name = (char *)a->leader_name;
	m->project_code = (char *)a->project_code;
	m->project_name = (char *)a->project_name;
	int k = enum_of(activity_kinds, N_OF(activity_kinds), a->kind);
	m->has_kind = k != 0;
	m->kind = (Luoshi__V1__ActivityKind)k;
	m->date = (char *)a->date;
	m->notes = opt(a->notes);
	m->n_problem_ids = (size_t)a->n_problems;
	m->problem_ids = (int64_t *)a->problems;
	int32_t d;
	if (ls_date_parse(a->date, &d)) {
		ls_period p;
		ls_period_of(LS_PERIOD_WEEK, d, &p);
		ls_period_format(&p, out->week);
		m->week = out->week;
	}
	m->created_at = (char *)a->created_at;
}

static void sup_log_activity(Luoshi__V1__SupervisionService_Service *svc,
                             const Luoshi__V1__LogActivityRequest *in,
                             Luoshi__V1__LogActivityResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_LEADER, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_activity *a = calloc(1, sizeof *a);
	if (a == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	srv_sup_project p;
	const char *kind;
	int32_t day;
	bool led = false;
	if (entity_arg(c, SRV_PERSON, "leader", in->leader, true, &a->person_id, NULL) != LS_OK ||
	    project_for_write(c, "project", in->project, srv_call_scope(c), &p) != LS_OK ||
	    enum_arg(c, "kind", activity_kinds, N_OF(activity_kinds), in->has_kind, in->kind, true,
	             &kind) != LS_OK ||
	    date_arg(c, "date", in->date, &day, a->date) != LS_OK ||
	    text_arg(c, "notes", in->notes, TEXT_MAX_BYTES, false) != LS_OK)
		goto out;
	if (in->n_problem_ids > SRV_SUP_MAX_PROBLEMS) {
		srv_fail(c, LS_INVALID_ARGUMENT, "problem_ids", "problem_ids: at most %d",
		         SRV_SUP_MAX_PROBLEMS);
		goto out;
	}
	for (size_t i = 0; i < in->n_problem_ids; i++) {
		int64_t proj = 0;
		int rc = srv_store_sup_problem_project(s, in->problem_ids[i], &proj, &c->status);
		if (rc != LS_OK && rc != LS_NOT_FOUND)
			goto out;
		if (rc == LS_NOT_FOUND || proj != p.id) {
			srv_fail(c, LS_INVALID_ARGUMENT, "problem_ids",
			         "problem_ids: %" PRId64 " is no problem of project %s",
			         in->problem_ids[i], p.code);
			goto out;
		}
		a->problems[a->n_problems++] = in->problem_ids[i];
	}
	if (c->caller->role == SRV_ROLE_LEADER && a->person_id != c->caller->person_id) {
		srv_fail(c, LS_PERMISSION_DENIED, "leader",
		         "leader: a leader logs only its own activities");
		goto out;
	}
	if (srv_store_sup_has_led(s, a->person_id, p.id, &led, &c->status) != LS_OK)
		goto out;
	if (!led) {
		if (c->caller->role == SRV_ROLE_LEADER)
			srv_fail(c, LS_PERMISSION_DENIED, "project",
			         "project: you do not lead project %s", p.code);
		else
			srv_fail(c, LS_INVALID_ARGUMENT, "leader",
			         "leader: \"%s\" does not lead project %s", in->leader, p.code);
		goto out;
	}
	a->project_id = p.id;
	snprintf(a->kind, sizeof a->kind, "%s", kind);
	snprintf(a->notes, sizeof a->notes, "%s", in->notes ? in->notes : "");
	char now[32];
	srv_now_iso(now);
	int64_t id;
	if (srv_store_sup_activity_insert(s, a, c->caller->id, now, &id, &c->status) != LS_OK)
		goto out;
	if (srv_store_sup_activity_get(s, id, a, &c->status) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the activity cannot be read back");
		goto out;
	}
	activity_msg m;
	activity_to_proto(a, &m);
	if (srv_audit(c, "activity", id, p.id, NULL, &m.m.base) != LS_OK)
		goto out;
	Luoshi__V1__LogActivityResponse resp = LUOSHI__V1__LOG_ACTIVITY_RESPONSE__INIT;
	resp.activity = &m.m;
	done(&resp, arg);
out:
	free(a);
}

static void sup_list_activities(Luoshi__V1__SupervisionService_Service *svc,
                                const Luoshi__V1__ListActivitiesRequest *in,
                                Luoshi__V1__ListActivitiesResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sup_filter f = {.scope = srv_call_scope(c)};
	int size;
	int32_t d;
	char from[SRV_SUP_DATE], to[SRV_SUP_DATE];
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	        LS_OK ||
	    enum_arg(c, "kind", activity_kinds, N_OF(activity_kinds), in->has_kind, in->kind, false,
	             &f.kind) != LS_OK)
		return;
	if (given(in->leader) &&
	    entity_arg(c, SRV_PERSON, "leader", in->leader, false, &f.person, NULL) != LS_OK)
		return;
	if (given(in->project) && project_for_read(c, "project", in->project, &f.project) != LS_OK)
		return;
	if (given(in->from) && date_arg(c, "from", in->from, &d, from) != LS_OK)
		return;
	if (given(in->to) && date_arg(c, "to", in->to, &d, to) != LS_OK)
		return;
	f.from = given(in->from) ? from : NULL;
	f.to = given(in->to) ? to : NULL;
	f.limit = size + 1;
	vec rows = VEC(srv_activity);
	activity_msg *msgs = NULL;
	Luoshi__V1__Activity **ptrs = NULL;
	if (srv_store_sup_activity_list(c->srv->store, &f, push_activity, &rows, &c->status) < 0)
		goto out;
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	char next[24];
	Luoshi__V1__ListActivitiesResponse resp = LUOSHI__V1__LIST_ACTIVITIES_RESPONSE__INIT;
	size_t n = page_rows(rows.n, size,
	                     rows.n > (size_t)size ? AT(rows, srv_activity, size - 1)->id : 0, next,
	                     &resp.next_page_token);
	msgs = calloc(n ? n : 1, sizeof *msgs);
	ptrs = calloc(n ? n : 1, sizeof *ptrs);
	if (msgs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		activity_to_proto(AT(rows, srv_activity, i), &msgs[i]);
		ptrs[i] = &msgs[i].m;
	}
	resp.n_activities = n;
	resp.activities = ptrs;
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

/* ---- the cadence -------------------------------------------------------------------------- */

typedef struct cadence_week {
	int32_t monday;
	char text[16];
	bool reviewed;
} cadence_week;

typedef struct cadence_row {
	Luoshi__V1__CadenceRow m;
	char *reviewed[WEEKS_MAX];
	char *gaps[WEEKS_MAX];
	char visits[VISITS_SHOWN][SRV_SUP_DATE];
	char *visit_ptrs[VISITS_SHOWN];
} cadence_row;

typedef struct cadence_scan {
	cadence_week weeks[WEEKS_MAX];
	int n_weeks;
	int32_t first, last; /* the month's days */
	cadence_row *row;
	uint32_t reviews, coordinations;
} cadence_scan;

static void cadence_activity(void *arg, const char *kind, const char *date)
{
	cadence_scan *sc = arg;
	int32_t d;
	if (!ls_date_parse(date, &d))
		return;
	if (strcmp(kind, "weekly_review") == 0) {
		for (int i = 0; i < sc->n_weeks; i++) {
			if (d >= sc->weeks[i].monday && d < sc->weeks[i].monday + 7) {
				sc->weeks[i].reviewed = true;
				sc->reviews++;
			}
		}
	} else if (d >= sc->first && d <= sc->last) {
		if (strcmp(kind, "coordination") == 0) {
			sc->coordinations++;
			return;
		}
		Luoshi__V1__CadenceRow *m = &sc->row->m;
		m->visited = true;
		if (m->n_visit_dates < VISITS_SHOWN &&
		    (m->n_visit_dates == 0 ||
		     strcmp(sc->row->visits[m->n_visit_dates - 1], date) != 0)) {
			snprintf(sc->row->visits[m->n_visit_dates], SRV_SUP_DATE, "%s", date);
			m->n_visit_dates++;
		}
	}
}

static void sup_cadence(Luoshi__V1__SupervisionService_Service *svc,
                        const Luoshi__V1__CadenceRequest *in,
                        Luoshi__V1__CadenceResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	bool show_rows;
	srv_scope scope = figures_scope(c, &show_rows);
	srv_sup_filter f = {.scope = &scope};
	int32_t as_of;
	char as_of_text[SRV_SUP_DATE], month[8];
	ls_period mp;
	if (date_opt(c, "as_of", in->as_of, ls_today(), &as_of, as_of_text) != LS_OK)
		return;
	if (given(in->month)) {
		if (month_arg(c, "month", in->month, &mp, month) != LS_OK)
			return;
	} else {
		ls_period_of(LS_PERIOD_MONTH, as_of, &mp);
		snprintf(month, sizeof month, "%04d-%02d", mp.year, mp.number);
	}
	if (given(in->leader) &&
	    entity_arg(c, SRV_PERSON, "leader", in->leader, false, &f.person, NULL) != LS_OK)
		return;
	if (given(in->project) && project_for_read(c, "project", in->project, &f.project) != LS_OK)
		return;

	/* The ISO weeks of the month: those whose Thursday lies in it. */
	cadence_scan scan = {.first = mp.first, .last = mp.last};
	int32_t monday = mp.first - (ls_weekday(mp.first) - 1);
	for (; monday <= mp.last && scan.n_weeks < WEEKS_MAX; monday += 7) {
		if (monday + 3 < mp.first || monday + 3 > mp.last)
			continue;
		cadence_week *w = &scan.weeks[scan.n_weeks++];
		w->monday = monday;
		ls_period wp;
		ls_period_of(LS_PERIOD_WEEK, monday, &wp);
		ls_period_format(&wp, w->text);
	}
	int32_t lo =
	    scan.n_weeks && scan.weeks[0].monday < mp.first ? scan.weeks[0].monday : mp.first;
	int32_t hi = mp.last;
	if (scan.n_weeks && scan.weeks[scan.n_weeks - 1].monday + 6 > hi)
		hi = scan.weeks[scan.n_weeks - 1].monday + 6;
	/* What was logged for a later day had not happened on as_of. */
	if (hi > as_of)
		hi = as_of;
	char lo_text[SRV_SUP_DATE], hi_text[SRV_SUP_DATE];
	ls_date_format(lo, lo_text);
	ls_date_format(hi, hi_text);

	vec pairs = VEC(srv_cadence_pair);
	cadence_row *rows = NULL;
	Luoshi__V1__CadenceRow **ptrs = NULL;
	char *week_ptrs[WEEKS_MAX];
	if (srv_store_sup_cadence_pairs(c->srv->store, &f, push_pair, &pairs, &c->status) < 0)
		goto out;
	rows = calloc(pairs.n ? pairs.n : 1, sizeof *rows);
	ptrs = calloc(pairs.n ? pairs.n : 1, sizeof *ptrs);
	if (pairs.oom || rows == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	Luoshi__V1__CadenceResponse resp = LUOSHI__V1__CADENCE_RESPONSE__INIT;
	uint32_t leaders = 0, gaps = 0, missing = 0;
	for (size_t i = 0; i < pairs.n; i++) {
		const srv_cadence_pair *p = AT(pairs, srv_cadence_pair, i);
		cadence_row *r = &rows[i];
		Luoshi__V1__CadenceRow *m = &r->m;
		luoshi__v1__cadence_row__init(m);
		m->leader_code = (char *)p->leader_code;
		m->leader_name = (char *)p->leader_name;
		m->project_code = (char *)p->project_code;
		m->project_name = (char *)p->project_name;
		for (int k = 0; k < VISITS_SHOWN; k++)
			r->visit_ptrs[k] = r->visits[k];
		m->visit_dates = r->visit_ptrs;
		for (int k = 0; k < scan.n_weeks; k++)
			scan.weeks[k].reviewed = false;
		scan.row = r;
		scan.reviews = scan.coordinations = 0;
		if (srv_store_sup_cadence_activities(c->srv->store, p->person_id, p->project_id,
		                                     lo_text, hi_text, cadence_activity, &scan,
		                                     &c->status) < 0)
			goto out;
		m->reviewed_weeks = r->reviewed;
		m->review_gaps = r->gaps;
		for (int k = 0; k < scan.n_weeks; k++) {
			cadence_week *w = &scan.weeks[k];
			if (w->reviewed)
				r->reviewed[m->n_reviewed_weeks++] = w->text;
			else if (w->monday + 4 <= as_of)
				r->gaps[m->n_review_gaps++] = w->text;
		}
		m->has_visited = true;
		m->has_visit_missing = true;
		m->visit_missing = !m->visited && as_of >= mp.first + VISIT_DUE_DAY - 1;
		m->has_reviews = m->has_coordinations = true;
		m->reviews = scan.reviews;
		m->coordinations = scan.coordinations;
		gaps += (uint32_t)m->n_review_gaps;
		missing += m->visit_missing ? 1 : 0;
		if (i == 0 || p->person_id != AT(pairs, srv_cadence_pair, i - 1)->person_id)
			leaders++;
		ptrs[i] = m;
	}
	/* Rows are ordered by leader code, and codes are unique: a leader's
	 * rows are together, so counting changes counts leaders. */
	for (int k = 0; k < scan.n_weeks; k++)
		week_ptrs[k] = scan.weeks[k].text;
	resp.month = month;
	resp.as_of = as_of_text;
	resp.n_weeks = (size_t)scan.n_weeks;
	resp.weeks = week_ptrs;
	if (show_rows) {
		resp.n_rows = pairs.n;
		resp.rows = ptrs;
	}
	resp.has_leaders = resp.has_projects = resp.has_review_gaps = resp.has_visits_missing =
	    true;
	resp.leaders = leaders;
	resp.projects = (uint32_t)pairs.n;
	resp.review_gaps = gaps;
	resp.visits_missing = missing;
	done(&resp, arg);
out:
	free(pairs.v);
	free(rows);
	free(ptrs);
}

/* ---- inspections ------------------------------------------------------------------------- */

static void inspection_to_proto(const srv_inspection *i, Luoshi__V1__Inspection *m)
{
	luoshi__v1__inspection__init(m);
	m->has_id = true;
	m->id = i->id;
	m->group_code = (char *)i->group_code;
	m->group_name = (char *)i->group_name;
	m->project_code = (char *)i->project_code;
	m->project_name = (char *)i->project_name;
	m->date = (char *)i->date;
	int k = enum_of(layers, N_OF(layers), i->layer);
	m->has_layer = k != 0;
	m->layer = (Luoshi__V1__SupervisionLayer)k;
	m->findings = opt(i->findings);
	m->has_slow = true;
	m->slow = i->slow;
	m->leader_code = (char *)i->leader_code;
	m->leader_name = (char *)i->leader_name;
	m->created_at = (char *)i->created_at;
}

/* Inspector accounts act for their own group (their unit and those below
 * it); the discipline commission for any in its office. */
static int may_act_for_group(srv_call *c, int64_t group, const char *field, const char *code)
{
	if (c->caller->role != SRV_ROLE_INSPECTOR ||
	    srv_store_unit_within(c->srv->store, group, c->caller->unit_id))
		return LS_OK;
	return srv_fail(c, LS_PERMISSION_DENIED, field,
	                "%s: an inspector acts only for its own group, not %s", field, code);
}

static void sup_record_inspection(Luoshi__V1__SupervisionService_Service *svc,
                                  const Luoshi__V1__RecordInspectionRequest *in,
                                  Luoshi__V1__RecordInspectionResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_INSPECTOR, SRV_ROLE_DISCIPLINE, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_inspection *i = calloc(1, sizeof *i);
	if (i == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	srv_unit g;
	srv_sup_project p;
	const char *layer;
	int32_t day;
	if (unit_write(c, "group", in->group, &g) != LS_OK)
		goto out;
	if (strcmp(g.kind, "inspection_group") != 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "group", "group: %s is no inspection group",
		         g.code);
		goto out;
	}
	if (may_act_for_group(c, g.id, "group", g.code) != LS_OK ||
	    project_for_write(c, "project", in->project, srv_call_scope(c), &p) != LS_OK ||
	    date_arg(c, "date", in->date, &day, i->date) != LS_OK ||
	    enum_arg(c, "layer", layers, N_OF(layers), in->has_layer, in->layer, true, &layer) !=
	        LS_OK ||
	    text_arg(c, "findings", in->findings, TEXT_MAX_BYTES, false) != LS_OK)
		goto out;
	i->group_id = g.id;
	i->project_id = p.id;
	snprintf(i->layer, sizeof i->layer, "%s", layer);
	snprintf(i->findings, sizeof i->findings, "%s", in->findings ? in->findings : "");
	i->slow = in->has_slow && in->slow;
	char now[32];
	srv_now_iso(now);
	int64_t id;
	if (srv_store_sup_inspection_insert(s, i, c->caller->id, now, &id, &c->status) != LS_OK)
		goto out;
	if (srv_store_sup_inspection_get(s, id, i, &c->status) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the inspection cannot be read back");
		goto out;
	}
	Luoshi__V1__Inspection m;
	inspection_to_proto(i, &m);
	if (srv_audit(c, "inspection", id, p.id, NULL, &m.base) != LS_OK)
		goto out;
	Luoshi__V1__RecordInspectionResponse resp = LUOSHI__V1__RECORD_INSPECTION_RESPONSE__INIT;
	resp.inspection = &m;
	done(&resp, arg);
out:
	free(i);
}

static void sup_list_inspections(Luoshi__V1__SupervisionService_Service *svc,
                                 const Luoshi__V1__ListInspectionsRequest *in,
                                 Luoshi__V1__ListInspectionsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sup_filter f = {.scope = srv_call_scope(c)};
	int size;
	int32_t d;
	char from[SRV_SUP_DATE], to[SRV_SUP_DATE];
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	        LS_OK ||
	    enum_arg(c, "layer", layers, N_OF(layers), in->has_layer, in->layer, false, &f.kind) !=
	        LS_OK)
		return;
	if (given(in->group) &&
	    entity_arg(c, SRV_UNIT, "group", in->group, false, &f.unit, NULL) != LS_OK)
		return;
	if (given(in->project) && project_for_read(c, "project", in->project, &f.project) != LS_OK)
		return;
	if ((given(in->from) && date_arg(c, "from", in->from, &d, from) != LS_OK) ||
	    (given(in->to) && date_arg(c, "to", in->to, &d, to) != LS_OK))
		return;
	f.from = given(in->from) ? from : NULL;
	f.to = given(in->to) ? to : NULL;
	f.flag = in->has_slow_only && in->slow_only;
	f.limit = size + 1;
	vec rows = VEC(srv_inspection);
	Luoshi__V1__Inspection *msgs = NULL;
	Luoshi__V1__Inspection **ptrs = NULL;
	if (srv_store_sup_inspection_list(c->srv->store, &f, push_inspection, &rows, &c->status) <
	    0)
		goto out;
	char next[24];
	Luoshi__V1__ListInspectionsResponse resp = LUOSHI__V1__LIST_INSPECTIONS_RESPONSE__INIT;
	size_t n = page_rows(rows.n, size,
	                     rows.n > (size_t)size ? AT(rows, srv_inspection, size - 1)->id : 0,
	                     next, &resp.next_page_token);
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	for (size_t i = 0; i < n; i++)
		inspection_to_proto(AT(rows, srv_inspection, i), &msgs[i]);
	resp.n_inspections = n;
	resp.inspections = ptrs;
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

/* ---- rectification orders ------------------------------------------------------------------ */

static void rect_to_proto(const srv_rectification *r, int32_t as_of, Luoshi__V1__Rectification *m)
{
	luoshi__v1__rectification__init(m);
	m->has_id = m->has_inspection_id = true;
	m->id = r->id;
	m->inspection_id = r->inspection_id;
	m->project_code = (char *)r->project_code;
	m->project_name = (char *)r->project_name;
	m->group_code = (char *)r->group_code;
	m->group_name = (char *)r->group_name;
	m->owner_unit_code = (char *)r->owner_code;
	m->owner_unit_name = (char *)r->owner_name;
	m->due_date = (char *)r->due_date;
	m->text = (char *)r->text;
	m->ordered_on = (char *)r->ordered_on;
	bool open = strcmp(r->status, "open") == 0;
	m->has_status = true;
	m->status = open ? LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_OPEN
	                 : LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_DONE;
	m->done_date = opt(r->done_date);
	int32_t due;
	if (open && ls_date_parse(r->due_date, &due)) {
		m->has_days_left = true;
		m->days_left = due - as_of;
	}
}

/* An order as GetAssignments carries it: the message and the row it
 * points into, in one allocation that starts with the message. */
typedef struct assigned_rect {
	Luoshi__V1__Rectification m;
	srv_rectification row;
} assigned_rect;

typedef struct owned {
	Luoshi__V1__Rectification **v;
	size_t n, max;
	uint32_t seen;
	int32_t as_of;
	bool oom;
} owned;

static void push_owned(void *arg, const srv_rectification *r)
{
	owned *o = arg;
	o->seen++;
	if (o->oom || o->n == o->max)
		return;
	assigned_rect *a = malloc(sizeof *a);
	if (a == NULL) {
		o->oom = true;
		return;
	}
	a->row = *r;
	rect_to_proto(&a->row, o->as_of, &a->m);
	o->v[o->n++] = &a->m;
}

void srv_rectifications_free(struct Luoshi__V1__Rectification **v, size_t n)
{
	/* Each message is the first member of its assigned_rect. */
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int srv_rectifications_assigned(srv_call *c, int32_t as_of, size_t max,
                                struct Luoshi__V1__Rectification ***out, size_t *n, uint32_t *count)
{
	*out = NULL;
	*n = 0;
	*count = 0;
	/* Orders go to the units that must act: towns and departments (and
	 * support groups, which hold department accounts). */
	if (c->caller->role != SRV_ROLE_TOWN && c->caller->role != SRV_ROLE_DEPARTMENT)
		return LS_OK;
	owned o = {.max = max, .as_of = as_of};
	o.v = calloc(max ? max : 1, sizeof *o.v);
	if (o.v == NULL)
		return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	if (srv_store_sup_rectifications_owned(c->srv->store, c->caller->unit_id, push_owned, &o,
	                                       &c->status) < 0 ||
	    o.oom) {
		srv_rectifications_free(o.v, o.n);
		if (o.oom)
			return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return c->status.code;
	}
	*out = o.v;
	*n = o.n;
	*count = o.seen;
	return LS_OK;
}

static void sup_order_rectification(Luoshi__V1__SupervisionService_Service *svc,
                                    const Luoshi__V1__OrderRectificationRequest *in,
                                    Luoshi__V1__OrderRectificationResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_INSPECTOR, SRV_ROLE_DISCIPLINE, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_inspection *i = calloc(1, sizeof *i);
	srv_rectification *r = calloc(1, sizeof *r);
	if (i == NULL || r == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!in->has_inspection || in->inspection <= 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "inspection", "inspection: required, an id");
		goto out;
	}
	int rc = srv_store_sup_inspection_get(s, in->inspection, i, &c->status);
	if (rc == LS_NOT_FOUND) {
		srv_fail(c, LS_NOT_FOUND, "inspection", "inspection: no inspection has id %" PRId64,
		         in->inspection);
		goto out;
	}
	if (rc != LS_OK)
		goto out;
	if (!srv_store_project_visible(s, srv_call_scope(c), i->project_id)) {
		srv_fail(c, LS_PERMISSION_DENIED, "inspection",
		         "inspection: its project lies outside your scope");
		goto out;
	}
	srv_unit owner;
	int32_t due, ordered;
	if (may_act_for_group(c, i->group_id, "inspection", i->group_code) != LS_OK ||
	    unit_write(c, "owner_unit", in->owner_unit, &owner) != LS_OK ||
	    date_arg(c, "due_date", in->due_date, &due, r->due_date) != LS_OK ||
	    text_arg(c, "text", in->text, TEXT_MAX_BYTES, true) != LS_OK)
		goto out;
	if (ls_date_parse(i->date, &ordered) && due < ordered) {
		srv_fail(c, LS_INVALID_ARGUMENT, "due_date",
		         "due_date: %s is before the inspection (%s)", r->due_date, i->date);
		goto out;
	}
	r->inspection_id = i->id;
	r->owner_unit_id = owner.id;
	snprintf(r->text, sizeof r->text, "%s", in->text);
	snprintf(r->ordered_on, sizeof r->ordered_on, "%s", i->date);
	char now[32];
	srv_now_iso(now);
	int64_t id;
	if (srv_store_sup_rectification_insert(s, r, c->caller->id, now, &id, &c->status) != LS_OK)
		goto out;
	if (srv_store_sup_rectification_get(s, id, r, &c->status) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the order cannot be read back");
		goto out;
	}
	Luoshi__V1__Rectification m;
	rect_to_proto(r, ls_today(), &m);
	if (srv_audit(c, "rectification", id, i->project_id, NULL, &m.base) != LS_OK)
		goto out;
	Luoshi__V1__OrderRectificationResponse resp =
	    LUOSHI__V1__ORDER_RECTIFICATION_RESPONSE__INIT;
	resp.rectification = &m;
	done(&resp, arg);
out:
	free(i);
	free(r);
}

static void sup_update_rectification(Luoshi__V1__SupervisionService_Service *svc,
                                     const Luoshi__V1__UpdateRectificationRequest *in,
                                     Luoshi__V1__UpdateRectificationResponse_Closure done,
                                     void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	srv_rectification *before = calloc(1, sizeof *before), *after = calloc(1, sizeof *after);
	if (before == NULL || after == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!in->has_id || in->id <= 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "id", "id: required");
		goto out;
	}
	int rc = srv_store_sup_rectification_get(s, in->id, before, &c->status);
	if (rc == LS_NOT_FOUND) {
		srv_fail(c, LS_NOT_FOUND, "id", "no rectification order has id %" PRId64, in->id);
		goto out;
	}
	if (rc != LS_OK)
		goto out;
	/* The unit that must act closes its order, as a task's unit closes the
	 * task: a town or department account of that unit or of one above it
	 * (never one below it: an order to the office is not every town's to
	 * close); an admin of the project's office may too. */
	bool allowed;
	if (c->caller->role == SRV_ROLE_ADMIN)
		allowed = srv_store_project_visible(s, srv_call_scope(c), before->project_id);
	else
		allowed = (c->caller->role == SRV_ROLE_TOWN ||
		           c->caller->role == SRV_ROLE_DEPARTMENT) &&
		          srv_store_unit_within(s, before->owner_unit_id, c->caller->unit_id);
	if (!allowed) {
		srv_fail(c, LS_PERMISSION_DENIED, "id",
		         "order %" PRId64 " is %s's to close (or an admin's)", in->id,
		         before->owner_code);
		goto out;
	}
	if (!in->has_status ||
	    (in->status != LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_OPEN &&
	     in->status != LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_DONE)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "status", "status: required, open or done");
		goto out;
	}
	bool finished = in->status == LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_DONE;
	char date[SRV_SUP_DATE] = "";
	if (finished) {
		int32_t d, ordered, today = ls_today();
		if (date_opt(c, "done_date", in->done_date, today, &d, date) != LS_OK)
			goto out;
		if (d > today) {
			srv_fail(c, LS_INVALID_ARGUMENT, "done_date",
			         "done_date: %s is in the future", date);
			goto out;
		}
		if (ls_date_parse(before->ordered_on, &ordered) && d < ordered) {
			srv_fail(c, LS_INVALID_ARGUMENT, "done_date",
			         "done_date: %s is before the order (%s)", date,
			         before->ordered_on);
			goto out;
		}
	} else if (given(in->done_date)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "done_date",
		         "done_date: goes only with status done");
		goto out;
	}
	bool same = strcmp(before->status, finished ? "done" : "open") == 0 &&
	            strcmp(before->done_date, date) == 0;
	if (!same) {
		if (srv_store_sup_rectification_set(s, in->id, finished, date, &c->status) != LS_OK)
			goto out;
	}
	if (srv_store_sup_rectification_get(s, in->id, after, &c->status) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the order cannot be read back");
		goto out;
	}
	int32_t today = ls_today();
	Luoshi__V1__Rectification mb, ma;
	rect_to_proto(before, today, &mb);
	rect_to_proto(after, today, &ma);
	if (!same &&
	    srv_audit(c, "rectification", in->id, after->project_id, &mb.base, &ma.base) != LS_OK)
		goto out;
	Luoshi__V1__UpdateRectificationResponse resp =
	    LUOSHI__V1__UPDATE_RECTIFICATION_RESPONSE__INIT;
	resp.rectification = &ma;
	done(&resp, arg);
out:
	free(before);
	free(after);
}

static void sup_list_rectifications(Luoshi__V1__SupervisionService_Service *svc,
                                    const Luoshi__V1__ListRectificationsRequest *in,
                                    Luoshi__V1__ListRectificationsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sup_filter f = {.scope = srv_call_scope(c)};
	int size;
	int32_t as_of;
	char as_of_text[SRV_SUP_DATE];
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	        LS_OK ||
	    date_opt(c, "as_of", in->as_of, ls_today(), &as_of, as_of_text) != LS_OK)
		return;
	if (in->has_status && in->status != 0) {
		if (in->status == LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_OPEN)
			f.status = "open";
		else if (in->status == LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_DONE)
			f.status = "done";
		else {
			srv_fail(c, LS_INVALID_ARGUMENT, "status", "status: open or done");
			return;
		}
	}
	if (given(in->owner_unit) &&
	    entity_arg(c, SRV_UNIT, "owner_unit", in->owner_unit, false, &f.unit, NULL) != LS_OK)
		return;
	if (given(in->project) && project_for_read(c, "project", in->project, &f.project) != LS_OK)
		return;
	if (in->has_inspection && in->inspection < 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "inspection", "inspection: an id");
		return;
	}
	f.inspection = in->has_inspection ? in->inspection : 0;
	f.flag = in->has_overdue_only && in->overdue_only;
	f.as_of = as_of_text;
	f.limit = size + 1;
	vec rows = VEC(srv_rectification);
	Luoshi__V1__Rectification *msgs = NULL;
	Luoshi__V1__Rectification **ptrs = NULL;
	if (srv_store_sup_rectification_list(c->srv->store, &f, push_rect, &rows, &c->status) < 0)
		goto out;
	char next[24];
	Luoshi__V1__ListRectificationsResponse resp =
	    LUOSHI__V1__LIST_RECTIFICATIONS_RESPONSE__INIT;
	size_t n = page_rows(rows.n, size,
	                     rows.n > (size_t)size ? AT(rows, srv_rectification, size - 1)->id : 0,
	                     next, &resp.next_page_token);
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	for (size_t i = 0; i < n; i++)
		rect_to_proto(AT(rows, srv_rectification, i), as_of, &msgs[i]);
	resp.n_rectifications = n;
	resp.rectifications = ptrs;
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

/* ---- accountability ---------------------------------------------------------------------- */

static void acc_to_proto(const srv_accountability *a, Luoshi__V1__AccountabilityRecord *m)
{
	luoshi__v1__accountability_record__init(m);
	m->has_id = true;
	m->id = a->id;
	int k = enum_of(acc_kinds, N_OF(acc_kinds), a->kind);
	m->has_kind = k != 0;
	m->kind = (Luoshi__V1__AccountabilityKind)k;
	if (a->person_id > 0) {
		m->person_code = (char *)a->person_code;
		m->person_name = (char *)a->person_name;
	}
	if (a->unit_id > 0) {
		m->unit_code = (char *)a->unit_code;
		m->unit_name = (char *)a->unit_name;
	}
	m->project_code = (char *)a->project_code;
	m->project_name = (char *)a->project_name;
	m->has_inspection_id = a->inspection_id > 0;
	m->inspection_id = a->inspection_id;
	m->date = (char *)a->date;
	m->text = (char *)a->text;
	m->created_at = (char *)a->created_at;
}

static void sup_record_accountability(Luoshi__V1__SupervisionService_Service *svc,
                                      const Luoshi__V1__RecordAccountabilityRequest *in,
                                      Luoshi__V1__RecordAccountabilityResponse_Closure done,
                                      void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_DISCIPLINE, SRV_ROLE_INSPECTOR, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_accountability *a = calloc(1, sizeof *a);
	srv_inspection *i = calloc(1, sizeof *i);
	if (a == NULL || i == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	const char *kind;
	if (enum_arg(c, "kind", acc_kinds, N_OF(acc_kinds), in->has_kind, in->kind, true, &kind) !=
	    LS_OK)
		goto out;
	if (given(in->person) && given(in->unit)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "unit", "unit: give person or unit, not both");
		goto out;
	}
	if (!given(in->person) && !given(in->unit)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "person",
		         "person: required (or unit): whom the record is against");
		goto out;
	}
	if (given(in->person) &&
	    entity_arg(c, SRV_PERSON, "person", in->person, true, &a->person_id, NULL) != LS_OK)
		goto out;
	if (given(in->unit) &&
	    entity_arg(c, SRV_UNIT, "unit", in->unit, true, &a->unit_id, NULL) != LS_OK)
		goto out;
	if (in->has_inspection && in->inspection != 0) {
		int rc = in->inspection > 0
		             ? srv_store_sup_inspection_get(s, in->inspection, i, &c->status)
		             : LS_NOT_FOUND;
		if (rc == LS_NOT_FOUND) {
			srv_fail(c, LS_NOT_FOUND, "inspection",
			         "inspection: no inspection has id %" PRId64, in->inspection);
			goto out;
		}
		if (rc != LS_OK)
			goto out;
		if (!srv_store_project_visible(s, srv_call_scope(c), i->project_id)) {
			srv_fail(c, LS_PERMISSION_DENIED, "inspection",
			         "inspection: its project lies outside your scope");
			goto out;
		}
		a->inspection_id = i->id;
	}
	srv_sup_project p;
	if (given(in->project) || a->inspection_id == 0) {
		if (project_for_write(c, "project", in->project, srv_call_scope(c), &p) != LS_OK)
			goto out;
		if (a->inspection_id > 0 && i->project_id != p.id) {
			srv_fail(c, LS_INVALID_ARGUMENT, "inspection",
			         "inspection: %" PRId64 " inspected %s, not %s", i->id,
			         i->project_code, p.code);
			goto out;
		}
		a->project_id = p.id;
	} else {
		a->project_id = i->project_id;
	}
	int32_t day;
	if (date_arg(c, "date", in->date, &day, a->date) != LS_OK ||
	    text_arg(c, "text", in->text, TEXT_MAX_BYTES, true) != LS_OK)
		goto out;
	snprintf(a->kind, sizeof a->kind, "%s", kind);
	snprintf(a->text, sizeof a->text, "%s", in->text);
	char now[32];
	srv_now_iso(now);
	int64_t id;
	if (srv_store_sup_accountability_insert(s, a, c->caller->id, now, &id, &c->status) != LS_OK)
		goto out;
	if (srv_store_sup_accountability_get(s, id, a, &c->status) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the record cannot be read back");
		goto out;
	}
	Luoshi__V1__AccountabilityRecord m;
	acc_to_proto(a, &m);
	if (srv_audit(c, "accountability", id, a->project_id, NULL, &m.base) != LS_OK)
		goto out;
	Luoshi__V1__RecordAccountabilityResponse resp =
	    LUOSHI__V1__RECORD_ACCOUNTABILITY_RESPONSE__INIT;
	resp.record = &m;
	done(&resp, arg);
out:
	free(a);
	free(i);
}

static void sup_list_accountability(Luoshi__V1__SupervisionService_Service *svc,
                                    const Luoshi__V1__ListAccountabilityRequest *in,
                                    Luoshi__V1__ListAccountabilityResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_INSPECTOR, SRV_ROLE_DISCIPLINE,
	                     SRV_ROLE_NONE) != LS_OK)
		return;
	srv_sup_filter f = {.scope = srv_call_scope(c)};
	int size;
	int32_t d;
	char from[SRV_SUP_DATE], to[SRV_SUP_DATE];
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	        LS_OK ||
	    enum_arg(c, "kind", acc_kinds, N_OF(acc_kinds), in->has_kind, in->kind, false,
	             &f.kind) != LS_OK)
		return;
	if (given(in->person) &&
	    entity_arg(c, SRV_PERSON, "person", in->person, false, &f.person, NULL) != LS_OK)
		return;
	if (given(in->unit) &&
	    entity_arg(c, SRV_UNIT, "unit", in->unit, false, &f.unit, NULL) != LS_OK)
		return;
	if (given(in->project) && project_for_read(c, "project", in->project, &f.project) != LS_OK)
		return;
	if ((given(in->from) && date_arg(c, "from", in->from, &d, from) != LS_OK) ||
	    (given(in->to) && date_arg(c, "to", in->to, &d, to) != LS_OK))
		return;
	f.from = given(in->from) ? from : NULL;
	f.to = given(in->to) ? to : NULL;
	f.limit = size + 1;
	vec rows = VEC(srv_accountability);
	Luoshi__V1__AccountabilityRecord *msgs = NULL;
	Luoshi__V1__AccountabilityRecord **ptrs = NULL;
	if (srv_store_sup_accountability_list(c->srv->store, &f, push_acc, &rows, &c->status) < 0)
		goto out;
	char next[24];
	Luoshi__V1__ListAccountabilityResponse resp =
	    LUOSHI__V1__LIST_ACCOUNTABILITY_RESPONSE__INIT;
	size_t n = page_rows(rows.n, size,
	                     rows.n > (size_t)size ? AT(rows, srv_accountability, size - 1)->id : 0,
	                     next, &resp.next_page_token);
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	for (size_t i = 0; i < n; i++)
		acc_to_proto(AT(rows, srv_accountability, i), &msgs[i]);
	resp.n_records = n;
	resp.records = ptrs;
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

/* ---- the supervision summary --------------------------------------------------------------- */

static void sup_supervision_summary(Luoshi__V1__SupervisionService_Service *svc,
                                    const Luoshi__V1__SupervisionSummaryRequest *in,
                                    Luoshi__V1__SupervisionSummaryResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	bool show_rows;
	srv_scope scope = figures_scope(c, &show_rows);
	int32_t as_of;
	char as_of_text[SRV_SUP_DATE];
	if (date_opt(c, "as_of", in->as_of, ls_today(), &as_of, as_of_text) != LS_OK)
		return;
	srv_sup_summary sum;
	if (srv_store_sup_summary(c->srv->store, &scope, as_of_text, &sum, &c->status) != LS_OK)
		return;
	vec slow = VEC(srv_slow_project);
	Luoshi__V1__SlowProject *msgs = NULL;
	Luoshi__V1__SlowProject **ptrs = NULL;
	if (srv_store_sup_slow_projects(c->srv->store, &scope, as_of_text, push_slow, &slow,
	                                &c->status) < 0)
		goto out;
	if (slow.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, slow.n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	for (size_t i = 0; i < slow.n; i++) {
		const srv_slow_project *p = AT(slow, srv_slow_project, i);
		Luoshi__V1__SlowProject *m = &msgs[i];
		luoshi__v1__slow_project__init(m);
		m->project_code = (char *)p->project_code;
		m->project_name = (char *)p->project_name;
		m->leader_code = (char *)p->leader_code;
		m->leader_name = (char *)p->leader_name;
		m->first_named = (char *)p->first_named;
		m->has_inspections = m->has_rectifications_open = m->has_rectifications_overdue =
		    true;
		m->inspections = (uint32_t)p->inspections;
		m->rectifications_open = (uint32_t)p->rectifications_open;
		m->rectifications_overdue = (uint32_t)p->rectifications_overdue;
	}
	Luoshi__V1__SupervisionSummaryResponse resp =
	    LUOSHI__V1__SUPERVISION_SUMMARY_RESPONSE__INIT;
	resp.as_of = as_of_text;
	resp.has_inspections = resp.has_inspected_projects = resp.has_groups = true;
	resp.inspections = (uint32_t)sum.inspections;
	resp.inspected_projects = (uint32_t)sum.inspected_projects;
	resp.groups = (uint32_t)sum.groups;
	resp.has_rectifications = resp.has_rectifications_done = resp.has_rectifications_open =
	    resp.has_rectifications_overdue = true;
	resp.rectifications = (uint32_t)sum.rectifications;
	resp.rectifications_done = (uint32_t)sum.rectifications_done;
	resp.rectifications_open = (uint32_t)sum.rectifications_open;
	resp.rectifications_overdue = (uint32_t)sum.rectifications_overdue;
	/* A leader (and every role but these) never learns of accountability
	 * records, not even their number. */
	resp.has_accountability_shown = true;
	resp.accountability_shown = reads_accountability(c);
	if (resp.accountability_shown) {
		resp.has_warning_talks = resp.has_criticisms = resp.has_accountability_actions =
		    resp.has_accountability_total = true;
		resp.warning_talks = (uint32_t)sum.warning_talks;
		resp.criticisms = (uint32_t)sum.criticisms;
		resp.accountability_actions = (uint32_t)sum.accountability_actions;
		resp.accountability_total =
		    (uint32_t)(sum.warning_talks + sum.criticisms + sum.accountability_actions);
	}
	resp.has_slow_project_count = true;
	resp.slow_project_count = (uint32_t)slow.n;
	if (show_rows) {
		resp.n_slow_projects = slow.n;
		resp.slow_projects = ptrs;
	}
	done(&resp, arg);
out:
	free(slow.v);
	free(msgs);
	free(ptrs);
}

/* ---- approvals ------------------------------------------------------------------------------ */

/* days: approved - submitted, or as_of - submitted while pending (or when
 * approved only after as_of). */
static void approval_to_proto(const srv_approval *a, int32_t as_of, Luoshi__V1__Approval *m)
{
	luoshi__v1__approval__init(m);
	m->has_id = true;
	m->id = a->id;
	m->project_code = (char *)a->project_code;
	m->project_name = (char *)a->project_name;
	m->item = (char *)a->item;
	m->department_code = (char *)a->unit_code;
	m->department_name = (char *)a->unit_name;
	m->submitted = (char *)a->submitted;
	m->approved = opt(a->approved);
	m->has_visits = true;
	m->visits = (uint32_t)a->visits;
	int32_t sub, app;
	if (ls_date_parse(a->submitted, &sub)) {
		bool approved = ls_date_parse(a->approved, &app) && app <= as_of;
		m->has_days = true;
		m->days = (approved ? app : as_of) - sub;
		m->has_over_target = true;
		m->over_target = a->fast_track && m->days > FAST_TRACK_TARGET_DAYS;
	}
	m->has_fast_track = true;
	m->fast_track = a->fast_track;
}

static void sup_set_approval(Luoshi__V1__SupervisionService_Service *svc,
                             const Luoshi__V1__SetApprovalRequest *in,
                             Luoshi__V1__SetApprovalResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_DEPARTMENT, SRV_ROLE_NONE) != LS_OK)
		return;
	bool admin = c->caller->role == SRV_ROLE_ADMIN;
	/* The department that handles an item writes it for any project of its
	 * office, routed to it or not. */
	srv_scope office = *srv_call_scope(c);
	if (!admin)
		office.mode = SRV_SCOPE_ALL;
	srv_sup_project p;
	srv_unit dept;
	srv_approval a = {0}, before = {0};
	int32_t submitted, approved;
	if (project_for_write(c, "project", in->project, &office, &p) != LS_OK ||
	    text_arg(c, "item", in->item, NAME_MAX_BYTES, true) != LS_OK ||
	    unit_write(c, "department", in->department, &dept) != LS_OK)
		return;
	if (strcmp(dept.kind, "department") != 0 && strcmp(dept.kind, "support_group") != 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "department",
		         "department: %s is no department or support group", dept.code);
		return;
	}
	if (!admin && !srv_store_unit_within(s, c->caller->unit_id, dept.id)) {
		srv_fail(c, LS_PERMISSION_DENIED, "department",
		         "department: a department sets only its own items, not %s's", dept.code);
		return;
	}
	if (date_arg(c, "submitted", in->submitted, &submitted, a.submitted) != LS_OK)
		return;
	if (given(in->approved)) {
		if (date_arg(c, "approved", in->approved, &approved, a.approved) != LS_OK)
			return;
		if (approved < submitted) {
			srv_fail(c, LS_INVALID_ARGUMENT, "approved",
			         "approved: %s is before submitted (%s)", a.approved, a.submitted);
			return;
		}
	}
	if (range_arg(c, "visits", in->has_visits, in->visits, 0, VISITS_MAX, true) != LS_OK)
		return;
	int rc = srv_store_sup_approval_find(s, p.id, in->item, &before, &c->status);
	if (rc != LS_OK && rc != LS_NOT_FOUND)
		return;
	bool exists = rc == LS_OK;
	if (exists && !admin && !srv_store_unit_within(s, c->caller->unit_id, before.unit_id)) {
		srv_fail(c, LS_PERMISSION_DENIED, "item", "item: \"%s\" of %s is %s's, not yours",
		         in->item, p.code, before.unit_code);
		return;
	}
	a.id = exists ? before.id : 0;
	a.project_id = p.id;
	snprintf(a.item, sizeof a.item, "%s", in->item);
	a.unit_id = dept.id;
	a.visits = (int)in->visits;
	char now[32];
	srv_now_iso(now);
	int64_t id;
	srv_approval after;
	if (srv_store_sup_approval_put(s, &a, now, &id, &c->status) != LS_OK)
		return;
	if (srv_store_sup_approval_get(s, id, &after, &c->status) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the approval cannot be read back");
		return;
	}
	int32_t today = ls_today();
	Luoshi__V1__Approval mb, ma;
	approval_to_proto(&before, today, &mb);
	approval_to_proto(&after, today, &ma);
	if (srv_audit(c, "approval", id, p.id, exists ? &mb.base : NULL, &ma.base) != LS_OK)
		return;
	Luoshi__V1__SetApprovalResponse resp = LUOSHI__V1__SET_APPROVAL_RESPONSE__INIT;
	resp.approval = &ma;
	done(&resp, arg);
}

static int department_filter(srv_call *c, const char *text, int64_t *unit)
{
	if (!given(text))
		return LS_OK;
	return entity_arg(c, SRV_UNIT, "department", text, false, unit, NULL);
}

static void sup_list_approvals(Luoshi__V1__SupervisionService_Service *svc,
                               const Luoshi__V1__ListApprovalsRequest *in,
                               Luoshi__V1__ListApprovalsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sup_filter f = {.scope = srv_call_scope(c)};
	int size;
	int32_t as_of;
	char as_of_text[SRV_SUP_DATE];
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	        LS_OK ||
	    date_opt(c, "as_of", in->as_of, ls_today(), &as_of, as_of_text) != LS_OK ||
	    department_filter(c, in->department, &f.unit) != LS_OK)
		return;
	if (given(in->project) && project_for_read(c, "project", in->project, &f.project) != LS_OK)
		return;
	f.flag = in->has_pending_only && in->pending_only;
	f.limit = size + 1;
	vec rows = VEC(srv_approval);
	Luoshi__V1__Approval *msgs = NULL;
	Luoshi__V1__Approval **ptrs = NULL;
	if (srv_store_sup_approval_list(c->srv->store, &f, push_approval, &rows, &c->status) < 0)
		goto out;
	char next[24];
	Luoshi__V1__ListApprovalsResponse resp = LUOSHI__V1__LIST_APPROVALS_RESPONSE__INIT;
	size_t n = page_rows(rows.n, size,
	                     rows.n > (size_t)size ? AT(rows, srv_approval, size - 1)->id : 0, next,
	                     &resp.next_page_token);
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	for (size_t i = 0; i < n; i++)
		approval_to_proto(AT(rows, srv_approval, i), as_of, &msgs[i]);
	resp.n_approvals = n;
	resp.approvals = ptrs;
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

/* n / d in thousandths, rounded half up; d > 0. */
static uint32_t permille(int64_t n, int64_t d)
{
	return (uint32_t)((n * 2000 + d) / (2 * d));
}

static void sup_approval_stats(Luoshi__V1__SupervisionService_Service *svc,
                               const Luoshi__V1__ApprovalStatsRequest *in,
                               Luoshi__V1__ApprovalStatsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	bool show_rows;
	srv_scope scope = figures_scope(c, &show_rows);
	srv_sup_filter f = {.scope = &scope};
	int32_t as_of;
	char as_of_text[SRV_SUP_DATE];
	if (date_opt(c, "as_of", in->as_of, ls_today(), &as_of, as_of_text) != LS_OK ||
	    department_filter(c, in->department, &f.unit) != LS_OK)
		return;
	vec rows = VEC(srv_approval);
	Luoshi__V1__Approval *msgs = NULL;
	Luoshi__V1__Approval **ptrs = NULL;
	if (srv_store_sup_approval_list(c->srv->store, &f, push_approval, &rows, &c->status) < 0)
		goto out;
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, rows.n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	Luoshi__V1__ApprovalStatsResponse resp = LUOSHI__V1__APPROVAL_STATS_RESPONSE__INIT;
	int64_t items = 0, approved = 0, days = 0, fast = 0, over = 0, one = 0;
	size_t n_over = 0;
	for (size_t i = 0; i < rows.n; i++) {
		const srv_approval *a = AT(rows, srv_approval, i);
		int32_t sub, app;
		/* As the day as_of saw it: not yet submitted is not counted,
		 * approved later was still pending. */
		if (!ls_date_parse(a->submitted, &sub) || sub > as_of)
			continue;
		items++;
		bool is_approved = ls_date_parse(a->approved, &app) && app <= as_of;
		int32_t d = (is_approved ? app : as_of) - sub;
		if (is_approved) {
			approved++;
			days += d;
		}
		if (a->visits <= 1)
			one++;
		if (a->fast_track) {
			fast++;
			if (d > FAST_TRACK_TARGET_DAYS) {
				over++;
				approval_to_proto(a, as_of, &msgs[n_over]);
				n_over++;
			}
		}
	}
	resp.as_of = as_of_text;
	resp.has_items = resp.has_approved = resp.has_pending = resp.has_approved_days = true;
	resp.items = (uint32_t)items;
	resp.approved = (uint32_t)approved;
	resp.pending = (uint32_t)(items - approved);
	resp.approved_days = days;
	if (approved > 0) {
		resp.has_average_days_x10 = true;
		resp.average_days_x10 = (uint32_t)((days * 20 + approved) / (2 * approved));
	}
	resp.has_fast_track_items = resp.has_fast_track_target_days =
	    resp.has_fast_track_over_target = resp.has_at_most_one_visit = true;
	resp.fast_track_items = (uint32_t)fast;
	resp.fast_track_target_days = FAST_TRACK_TARGET_DAYS;
	resp.fast_track_over_target = (uint32_t)over;
	resp.at_most_one_visit = (uint32_t)one;
	if (items > 0) {
		resp.has_one_visit_permille = true;
		resp.one_visit_permille = permille(one, items);
	}
	if (show_rows) {
		resp.n_over_target = n_over;
		resp.over_target = ptrs;
	}
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

/* ---- land clearance ------------------------------------------------------------------------ */

static void clearance_to_proto(const srv_clearance *r, Luoshi__V1__Clearance *m)
{
	luoshi__v1__clearance__init(m);
	m->has_id = true;
	m->id = r->id;
	m->project_code = (char *)r->project_code;
	m->project_name = (char *)r->project_name;
	m->month = (char *)r->month;
	m->has_target_m2 = m->has_cleared_m2 = m->has_demolished_m2 = m->has_households = true;
	m->target_m2 = r->target;
	m->cleared_m2 = r->cleared;
	m->demolished_m2 = r->demolished;
	m->households = r->households;
}

static void sup_set_clearance(Luoshi__V1__SupervisionService_Service *svc,
                              const Luoshi__V1__SetClearanceRequest *in,
                              Luoshi__V1__SetClearanceResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_sup_project p;
	srv_clearance r = {0}, before = {0}, after;
	ls_period mp;
	if (project_for_write(c, "project", in->project, srv_call_scope(c), &p) != LS_OK ||
	    month_arg(c, "month", in->month, &mp, r.month) != LS_OK ||
	    range_arg(c, "target_m2", in->has_target_m2, in->target_m2, 0, AREA_MAX, true) !=
	        LS_OK ||
	    range_arg(c, "cleared_m2", in->has_cleared_m2, in->cleared_m2, 0, AREA_MAX, true) !=
	        LS_OK ||
	    range_arg(c, "demolished_m2", in->has_demolished_m2, in->demolished_m2, 0, AREA_MAX,
	              false) != LS_OK ||
	    range_arg(c, "households", in->has_households, in->households, 0, HOUSEHOLDS_MAX,
	              false) != LS_OK)
		return;
	int rc = srv_store_sup_clearance_find(s, p.id, r.month, &before, &c->status);
	if (rc != LS_OK && rc != LS_NOT_FOUND)
		return;
	bool exists = rc == LS_OK;
	r.id = exists ? before.id : 0;
	r.project_id = p.id;
	r.target = in->target_m2;
	r.cleared = in->cleared_m2;
	r.demolished = in->has_demolished_m2 ? in->demolished_m2 : 0;
	r.households = in->has_households ? in->households : 0;
	char now[32];
	srv_now_iso(now);
	int64_t id;
	if (srv_store_sup_clearance_put(s, &r, now, &id, &c->status) != LS_OK)
		return;
	if (srv_store_sup_clearance_get(s, id, &after, &c->status) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the clearance cannot be read back");
		return;
	}
	Luoshi__V1__Clearance mb, ma;
	clearance_to_proto(&before, &mb);
	clearance_to_proto(&after, &ma);
	if (srv_audit(c, "clearance", id, p.id, exists ? &mb.base : NULL, &ma.base) != LS_OK)
		return;
	Luoshi__V1__SetClearanceResponse resp = LUOSHI__V1__SET_CLEARANCE_RESPONSE__INIT;
	resp.clearance = &ma;
	done(&resp, arg);
}

static void sup_list_clearance(Luoshi__V1__SupervisionService_Service *svc,
                               const Luoshi__V1__ListClearanceRequest *in,
                               Luoshi__V1__ListClearanceResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sup_filter f = {.scope = srv_call_scope(c)};
	int size;
	ls_period mp;
	char from[8], to[8];
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	    LS_OK)
		return;
	if ((given(in->from) && month_arg(c, "from", in->from, &mp, from) != LS_OK) ||
	    (given(in->to) && month_arg(c, "to", in->to, &mp, to) != LS_OK))
		return;
	if (given(in->project) && project_for_read(c, "project", in->project, &f.project) != LS_OK)
		return;
	f.from = given(in->from) ? from : NULL;
	f.to = given(in->to) ? to : NULL;
	f.limit = size + 1;
	vec rows = VEC(srv_clearance);
	Luoshi__V1__Clearance *msgs = NULL;
	Luoshi__V1__Clearance **ptrs = NULL;
	if (srv_store_sup_clearance_list(c->srv->store, &f, push_clearance, &rows, &c->status) < 0)
		goto out;
	char next[24];
	Luoshi__V1__ListClearanceResponse resp = LUOSHI__V1__LIST_CLEARANCE_RESPONSE__INIT;
	size_t n = page_rows(rows.n, size,
	                     rows.n > (size_t)size ? AT(rows, srv_clearance, size - 1)->id : 0,
	                     next, &resp.next_page_token);
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	for (size_t i = 0; i < n; i++)
		clearance_to_proto(AT(rows, srv_clearance, i), &msgs[i]);
	resp.n_clearance = n;
	resp.clearance = ptrs;
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

static void sup_clearance_stats(Luoshi__V1__SupervisionService_Service *svc,
                                const Luoshi__V1__ClearanceStatsRequest *in,
                                Luoshi__V1__ClearanceStatsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	bool show_rows;
	srv_scope scope = figures_scope(c, &show_rows);
	ls_period pf, pt;
	char from[8], to[8];
	if (given(in->to)) {
		if (month_arg(c, "to", in->to, &pt, to) != LS_OK)
			return;
	} else {
		ls_period_of(LS_PERIOD_MONTH, ls_today(), &pt);
		snprintf(to, sizeof to, "%04d-%02d", pt.year, pt.number);
	}
	if (given(in->from)) {
		if (month_arg(c, "from", in->from, &pf, from) != LS_OK)
			return;
	} else {
		snprintf(from, sizeof from, "%04d-01", pt.year);
	}
	if (strcmp(from, to) > 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "to", "to: %s is before from (%s)", to, from);
		return;
	}
	vec rows = VEC(srv_clearance_sum);
	Luoshi__V1__ClearanceProject *msgs = NULL;
	Luoshi__V1__ClearanceProject **ptrs = NULL;
	if (srv_store_sup_clearance_sums(c->srv->store, &scope, from, to, push_sum, &rows,
	                                 &c->status) < 0)
		goto out;
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, rows.n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	Luoshi__V1__ClearanceStatsResponse resp = LUOSHI__V1__CLEARANCE_STATS_RESPONSE__INIT;
	int64_t target = 0, cleared = 0, demolished = 0, households = 0;
	uint32_t nails = 0, with = 0;
	for (size_t i = 0; i < rows.n; i++) {
		const srv_clearance_sum *r = AT(rows, srv_clearance_sum, i);
		Luoshi__V1__ClearanceProject *m = &msgs[i];
		luoshi__v1__clearance_project__init(m);
		m->project_code = (char *)r->project_code;
		m->project_name = (char *)r->project_name;
		m->leader_code = (char *)r->leader_code;
		m->leader_name = (char *)r->leader_name;
		m->has_nail = m->has_target_m2 = m->has_cleared_m2 = m->has_demolished_m2 =
		    m->has_households = true;
		m->nail = r->nail;
		m->target_m2 = r->target;
		m->cleared_m2 = r->cleared;
		m->demolished_m2 = r->demolished;
		m->households = r->households;
		if (r->target > 0) {
			m->has_progress_permille = true;
			m->progress_permille = permille(r->cleared, r->target);
		}
		target += r->target;
		cleared += r->cleared;
		demolished += r->demolished;
		households += r->households;
		nails += r->nail ? 1 : 0;
		with += r->months > 0 ? 1 : 0;
	}
	resp.from = from;
	resp.to = to;
	if (show_rows) {
		resp.n_projects = rows.n;
		resp.projects = ptrs;
	}
	resp.has_nail_projects = resp.has_projects_with_figures = true;
	resp.nail_projects = nails;
	resp.projects_with_figures = with;
	resp.has_target_m2 = resp.has_cleared_m2 = resp.has_demolished_m2 = resp.has_households =
	    true;
	resp.target_m2 = target;
	resp.cleared_m2 = cleared;
	resp.demolished_m2 = demolished;
	resp.households = households;
	if (target > 0) {
		resp.has_progress_permille = true;
		resp.progress_permille = permille(cleared, target);
	}
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

/* ---- funding ----------------------------------------------------------------------------------
 */

static void funding_to_proto(const srv_funding *f, Luoshi__V1__Funding *m)
{
	luoshi__v1__funding__init(m);
	m->has_id = true;
	m->id = f->id;
	m->source = (char *)f->source;
	int k = enum_of(funding_kinds, N_OF(funding_kinds), f->kind);
	m->has_kind = k != 0;
	m->kind = (Luoshi__V1__FundingKind)k;
	if (f->project_id > 0) {
		m->project_code = (char *)f->project_code;
		m->project_name = (char *)f->project_name;
	}
	if (f->unit_id > 0) {
		m->unit_code = (char *)f->unit_code;
		m->unit_name = (char *)f->unit_name;
	}
	m->has_amount = true;
	m->amount = f->amount;
	m->signed_ = (char *)f->signed_on;
	m->has_term_years = f->term_years > 0;
	m->term_years = (uint32_t)f->term_years;
	m->text = opt(f->text);
	m->created_at = (char *)f->created_at;
}

static void sup_add_funding(Luoshi__V1__SupervisionService_Service *svc,
                            const Luoshi__V1__AddFundingRequest *in,
                            Luoshi__V1__AddFundingResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_funding *f = calloc(1, sizeof *f);
	if (f == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	const char *kind;
	int32_t day;
	if (text_arg(c, "source", in->source, NAME_MAX_BYTES, true) != LS_OK ||
	    enum_arg(c, "kind", funding_kinds, N_OF(funding_kinds), in->has_kind, in->kind, true,
	             &kind) != LS_OK)
		goto out;
	if (given(in->project) && given(in->unit)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "unit", "unit: give project or unit, not both");
		goto out;
	}
	if (!given(in->project) && !given(in->unit)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "project",
		         "project: required (or unit): what the money is for");
		goto out;
	}
	srv_sup_project p = {0};
	if (given(in->project) &&
	    project_for_write(c, "project", in->project, srv_call_scope(c), &p) != LS_OK)
		goto out;
	if (given(in->unit) &&
	    entity_arg(c, SRV_UNIT, "unit", in->unit, true, &f->unit_id, NULL) != LS_OK)
		goto out;
	if (range_arg(c, "amount", in->has_amount, in->amount, 1, MONEY_MAX, true) != LS_OK ||
	    date_arg(c, "signed", in->signed_, &day, f->signed_on) != LS_OK ||
	    range_arg(c, "term_years", in->has_term_years, in->term_years, 1, TERM_MAX_YEARS,
	              false) != LS_OK ||
	    text_arg(c, "text", in->text, TEXT_MAX_BYTES, false) != LS_OK)
		goto out;
	snprintf(f->source, sizeof f->source, "%s", in->source);
	snprintf(f->kind, sizeof f->kind, "%s", kind);
	f->project_id = p.id;
	f->amount = in->amount;
	f->term_years = in->has_term_years ? (int)in->term_years : 0;
	snprintf(f->text, sizeof f->text, "%s", in->text ? in->text : "");
	char now[32];
	srv_now_iso(now);
	int64_t id;
	if (srv_store_sup_funding_insert(s, f, c->caller->id, now, &id, &c->status) != LS_OK)
		goto out;
	if (srv_store_sup_funding_get(s, id, f, &c->status) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the funding cannot be read back");
		goto out;
	}
	Luoshi__V1__Funding m;
	funding_to_proto(f, &m);
	if (srv_audit(c, "funding", id, p.id, NULL, &m.base) != LS_OK)
		goto out;
	Luoshi__V1__AddFundingResponse resp = LUOSHI__V1__ADD_FUNDING_RESPONSE__INIT;
	resp.funding = &m;
	done(&resp, arg);
out:
	free(f);
}

static void sup_list_funding(Luoshi__V1__SupervisionService_Service *svc,
                             const Luoshi__V1__ListFundingRequest *in,
                             Luoshi__V1__ListFundingResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_sup_filter f = {.scope = srv_call_scope(c)};
	int size;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	        LS_OK ||
	    enum_arg(c, "kind", funding_kinds, N_OF(funding_kinds), in->has_kind, in->kind, false,
	             &f.kind) != LS_OK ||
	    text_arg(c, "source", in->source, NAME_MAX_BYTES, false) != LS_OK)
		return;
	if (given(in->unit) &&
	    entity_arg(c, SRV_UNIT, "unit", in->unit, false, &f.unit, NULL) != LS_OK)
		return;
	if (given(in->project) && project_for_read(c, "project", in->project, &f.project) != LS_OK)
		return;
	f.source = opt(in->source);
	f.limit = size + 1;
	vec rows = VEC(srv_funding);
	Luoshi__V1__Funding *msgs = NULL;
	Luoshi__V1__Funding **ptrs = NULL;
	if (srv_store_sup_funding_list(c->srv->store, &f, push_funding, &rows, &c->status) < 0)
		goto out;
	char next[24];
	Luoshi__V1__ListFundingResponse resp = LUOSHI__V1__LIST_FUNDING_RESPONSE__INIT;
	size_t n =
	    page_rows(rows.n, size, rows.n > (size_t)size ? AT(rows, srv_funding, size - 1)->id : 0,
	              next, &resp.next_page_token);
	if (rows.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (!msgs_alloc(c, n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	for (size_t i = 0; i < n; i++)
		funding_to_proto(AT(rows, srv_funding, i), &msgs[i]);
	resp.n_funding = n;
	resp.funding = ptrs;
	done(&resp, arg);
out:
	free(rows.v);
	free(msgs);
	free(ptrs);
}

typedef struct source_sum {
	const char *source;
	int64_t agreements, loans, agreement_amount, loan_amount;
} source_sum;

static int cmp_source(const void *a, const void *b)
{
	const source_sum *x = a, *y = b;
	int64_t ax = x->agreement_amount + x->loan_amount,
	        ay = y->agreement_amount + y->loan_amount;
	if (ax != ay)
		return ax > ay ? -1 : 1;
	return strcmp(x->source, y->source);
}

static void sup_funding_stats(Luoshi__V1__SupervisionService_Service *svc,
                              const Luoshi__V1__FundingStatsRequest *in,
                              Luoshi__V1__FundingStatsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	bool show_rows;
	srv_scope scope = figures_scope(c, &show_rows);
	(void)show_rows; /* sources are figures, not rows: a viewer sees them */
	srv_sup_filter f = {.scope = &scope};
	int32_t as_of;
	char as_of_text[SRV_SUP_DATE];
	if (date_opt(c, "as_of", in->as_of, ls_today(), &as_of, as_of_text) != LS_OK)
		return;
	f.as_of = as_of_text;
	vec rows = VEC(srv_funding);
	source_sum *sums = NULL;
	Luoshi__V1__FundingSource *msgs = NULL;
	Luoshi__V1__FundingSource **ptrs = NULL;
	if (srv_store_sup_funding_list(c->srv->store, &f, push_funding, &rows, &c->status) < 0)
		goto out;
	sums = calloc(rows.n ? rows.n : 1, sizeof *sums);
	if (rows.oom || sums == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	size_t n = 0;
	Luoshi__V1__FundingStatsResponse resp = LUOSHI__V1__FUNDING_STATS_RESPONSE__INIT;
	int64_t agreements = 0, loans = 0, a_amount = 0, l_amount = 0;
	for (size_t i = 0; i < rows.n; i++) {
		const srv_funding *r = AT(rows, srv_funding, i);
		size_t k = 0;
		while (k < n && strcmp(sums[k].source, r->source) != 0)
			k++;
		if (k == n)
			sums[n++].source = r->source;
		bool loan = strcmp(r->kind, "loan") == 0;
		if (loan) {
			sums[k].loans++;
			sums[k].loan_amount += r->amount;
			loans++;
			l_amount += r->amount;
		} else {
			sums[k].agreements++;
			sums[k].agreement_amount += r->amount;
			agreements++;
			a_amount += r->amount;
		}
	}
	qsort(sums, n, sizeof *sums, cmp_source);
	if (!msgs_alloc(c, n, sizeof *msgs, (void **)&msgs, (void ***)&ptrs))
		goto out;
	for (size_t k = 0; k < n; k++) {
		Luoshi__V1__FundingSource *m = &msgs[k];
		luoshi__v1__funding_source__init(m);
		m->source = (char *)sums[k].source;
		m->has_agreements = m->has_loans = m->has_agreement_amount = m->has_loan_amount =
		    m->has_amount = true;
		m->agreements = (uint32_t)sums[k].agreements;
		m->loans = (uint32_t)sums[k].loans;
		m->agreement_amount = sums[k].agreement_amount;
		m->loan_amount = sums[k].loan_amount;
		m->amount = sums[k].agreement_amount + sums[k].loan_amount;
	}
	resp.as_of = as_of_text;
	resp.has_agreements = resp.has_loans = resp.has_agreement_amount = resp.has_loan_amount =
	    resp.has_amount = true;
	resp.agreements = (uint32_t)agreements;
	resp.loans = (uint32_t)loans;
	resp.agreement_amount = a_amount;
	resp.loan_amount = l_amount;
	resp.amount = a_amount + l_amount;
	resp.n_sources = n;
	resp.sources = ptrs;
	done(&resp, arg);
out:
	free(rows.v);
	free(sums);
	free(msgs);
	free(ptrs);
}

static Luoshi__V1__SupervisionService_Service supervision =
    LUOSHI__V1__SUPERVISION_SERVICE__INIT(sup_);

ProtobufCService *srv_supervision_service(void)
{
	return &supervision.base;
}
