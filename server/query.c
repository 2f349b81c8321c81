/* QueryService: what the district office sees. The aggregates of the
 * source report (Summary, Grouped), the lagging projects with their reasons
 * and who answers for them, the weekly compliance of the towns, the monthly
 * reconciliation (月度对账) and the quarterly disclosure (季度亮账).
 *
 * Every figure is defined in README.md ("Aggregates"). The store gathers
 * each project's figures on the as-of day in one pass per table, with the
 * status ls_projstatus_derive (the one place the rule is written) gives
 * each; the reasons, sums, shares and groups are made here. */
#include "luoshi/v1/query.pb-c.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "projstatus.h"
#include "server.h"
#include "store/funding.h"
#include "store/query.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

_Static_assert((int)LS_PROJSTATUS_SERIOUSLY_LAGGING ==
                   (int)LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING,
               "ls_projstatus_level follows luoshi.v1.ProjectStatus");

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- rates ------------------------------------------------------------------- */

/* a / b in per mille, rounded half up; a, b >= 0, b > 0. */
static uint32_t permille(int64_t a, int64_t b)
{
	unsigned __int128 q =
	    ((unsigned __int128)a * 2000u + (unsigned __int128)b) / ((unsigned __int128)b * 2u);
	return q > UINT32_MAX ? UINT32_MAX : (uint32_t)q;
}

/* a / b - 1 in per mille, rounded to the nearest with halves away from
 * zero; b > 0. */
static int32_t growth(int64_t a, int64_t b)
{
	__int128 n = ((__int128)a - b) * 1000;
	bool neg = n < 0;
	unsigned __int128 m = (unsigned __int128)(neg ? -n : n);
	unsigned __int128 q = (m * 2u + (unsigned __int128)b) / ((unsigned __int128)b * 2u);
	if (q > INT32_MAX)
		q = INT32_MAX;
	return neg ? -(int32_t)q : (int32_t)q;
}

/* ---- the filter ----------------------------------------------------------------- */

static const char *const LEVEL_NAMES[] = {NULL, "city", "district", "town"};
static const char *const CATEGORY_NAMES[] = {
    NULL, "industrial", "platform", "infrastructure", "livelihood", "special_task"};
static const char *const STAGE_NAMES[] = {NULL, "new", "continuing"};
static const char *const STATUS_NAMES[] = {NULL, "on_track", "lagging", "seriously_lagging"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The enum value given for field (0: any), checked to be one of the n
 * values names has. */
static int enum_filter(srv_call *c, bool has, int v, size_t n, const char *field, int *out)
{
	*out = 0;
	if (!has || v == 0)
		return LS_OK;
	if (v < 0 || (size_t)v >= n)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: %d is not a value it takes",
		                field, v);
	*out = v;
	return LS_OK;
}

/* Reads in (may be NULL) into f. */
static int read_filter(srv_call *c, const Luoshi__V1__QueryFilter *in, srv_query_filter *f)
{
	memset(f, 0, sizeof *f);
	int32_t today = ls_today();
	f->as_of = today;
	if (in == NULL)
		return LS_OK;
	srv_store *store = c->srv->store;
	if (given(in->as_of)) {
		if (!ls_date_parse(in->as_of, &f->as_of))
			return srv_fail(c, LS_INVALID_ARGUMENT, "filter.as_of",
			                "filter.as_of must be a date (YYYY-MM-DD), not \"%s\"",
			                in->as_of);
		if (f->as_of > today) {
			char t[11];
			ls_date_format(today, t);
			return srv_fail(c, LS_INVALID_ARGUMENT, "filter.as_of",
			                "filter.as_of %s is after today (%s)", in->as_of, t);
		}
	}
	if (enum_filter(c, in->has_level, (int)in->level, COUNT(LEVEL_NAMES), "filter.level",
	                &f->level) != LS_OK ||
	    enum_filter(c, in->has_category, (int)in->category, COUNT(CATEGORY_NAMES),
	                "filter.category", &f->category) != LS_OK ||
	    enum_filter(c, in->has_stage, (int)in->stage, COUNT(STAGE_NAMES), "filter.stage",
	                &f->stage) != LS_OK)
		return c->status.code;
	if (given(in->town) && srv_store_resolve(store, SRV_UNIT, in->town, "filter.town", &f->town,
	                                         &c->status) != LS_OK)
		return c->status.code;
	if (given(in->leader) && srv_store_resolve(store, SRV_PERSON, in->leader, "filter.leader",
	                                           &f->leader, &c->status) != LS_OK)
		return c->status.code;
	if (given(in->unit) && srv_store_resolve(store, SRV_UNIT, in->unit, "filter.unit", &f->unit,
	                                         &c->status) != LS_OK)
		return c->status.code;
	if (given(in->project)) {
		/* A project out of reach is as unknown as one that does not
		 * exist. */
		srv_scope sc = *srv_call_scope(c);
		if (sc.mode == SRV_SCOPE_NONE)
			sc.mode = SRV_SCOPE_ALL;
		int rc = srv_store_resolve(store, SRV_PROJECT, in->project, "filter.project",
		                           &f->project, &c->status);
		if (rc == LS_OK && !srv_store_project_visible(store, &sc, f->project))
			return srv_fail(c, LS_INVALID_ARGUMENT, "filter.project",
			                "filter.project: no project you may read has the code or "
			                "name \"%s\"",
			                in->project);
		if (rc != LS_OK)
			return c->status.code;
	}
	return LS_OK;
}

/* The scope aggregates are made over: a viewer's is its office's whole
 * subtree, as anyone's there who reads all. */
static srv_scope aggregate_scope(srv_call *c)
{
	srv_scope sc = *srv_call_scope(c);
	if (sc.mode == SRV_SCOPE_NONE)
		sc.mode = SRV_SCOPE_ALL;
	return sc;
}

/* Project rows are for everyone but viewers. */
static int require_rows(srv_call *c)
{
	if (c->caller != NULL && c->caller->role == SRV_ROLE_VIEWER)
		return srv_fail(c, LS_PERMISSION_DENIED, NULL,
		                "a viewer sees aggregates only; %s lists projects", c->method);
	return LS_OK;
}

/* ---- sums ---------------------------------------------------------------------- */

typedef struct money_acc {
	int64_t plan_year, plan_ytd, invested, prev_invested, output, prev_output;
} money_acc;

typedef struct figures_acc {
	uint32_t projects, status[4];
	money_acc money[3]; /* all, new, continuing */
	uint32_t raised, resolved, overdue;
} figures_acc;

static void money_add(money_acc *m, const srv_qproject *p)
{
	m->plan_year += p->plan_year;
	m->plan_ytd += p->plan_ytd;
	m->invested += p->invested;
	m->prev_invested += p->prev_invested;
	m->output += p->output;
	m->prev_output += p->prev_output;
}

static void figures_add(figures_acc *a, const srv_qproject *p, int status)
{
	a->projects++;
	if (status > 0 && status < 4)
		a->status[status]++;
	money_add(&a->money[0], p);
	if (p->stage == 1 || p->stage == 2)
		money_add(&a->money[p->stage], p);
	a->raised += p->raised;
	a->resolved += p->resolved;
	a->overdue += p->overdue;
}

/* The messages of one Figures and their storage. */
typedef struct figures_msg {
	Luoshi__V1__Figures f;
	Luoshi__V1__Money money[3];
	Luoshi__V1__ProblemFigures problems;
} figures_msg;

static void money_to_proto(const money_acc *a, Luoshi__V1__Money *m)
{
	luoshi__v1__money__init(m);
	m->has_annual_plan = m->has_planned_ytd = m->has_completed_ytd = true;
	m->annual_plan = a->plan_year;
	m->planned_ytd = a->plan_ytd;
	m->completed_ytd = a->invested;
	m->has_completion_permille = a->plan_year > 0;
	if (a->plan_year > 0)
		m->completion_permille = permille(a->invested, a->plan_year);
	m->has_previous_ytd = true;
	m->previous_ytd = a->prev_invested;
	m->has_growth_permille = a->prev_invested > 0;
	if (a->prev_invested > 0)
		m->growth_permille = growth(a->invested, a->prev_invested);
	m->has_output_ytd = m->has_previous_output_ytd = true;
	m->output_ytd = a->output;
	m->previous_output_ytd = a->prev_output;
	m->has_output_growth_permille = a->prev_output > 0;
	if (a->prev_output > 0)
		m->output_growth_permille = growth(a->output, a->prev_output);
}

static void figures_to_proto(const figures_acc *a, figures_msg *out)
{
	Luoshi__V1__Figures *f = &out->f;
	luoshi__v1__figures__init(f);
	f->has_projects = f->has_on_track = f->has_lagging = f->has_seriously_lagging = true;
	f->projects = a->projects;
	f->on_track = a->status[LS_PROJSTATUS_ON_TRACK];
	f->lagging = a->status[LS_PROJSTATUS_LAGGING];
	f->seriously_lagging = a->status[LS_PROJSTATUS_SERIOUSLY_LAGGING];
	f->has_on_track_permille = a->projects > 0;
	if (a->projects > 0)
		f->on_track_permille = permille(f->on_track, a->projects);
	for (int i = 0; i < 3; i++)
		money_to_proto(&a->money[i], &out->money[i]);
	f->money = &out->money[0];
	f->money_new = &out->money[1];
	f->money_continuing = &out->money[2];
	Luoshi__V1__ProblemFigures *p = &out->problems;
	luoshi__v1__problem_figures__init(p);
	p->has_raised = p->has_resolved = p->has_open = p->has_overdue = true;
	p->raised = a->raised;
	p->resolved = a->resolved;
	p->open = a->raised - a->resolved;
	p->overdue = a->overdue;
	p->has_rate_permille = a->raised > 0;
	if (a->raised > 0)
		p->rate_permille = permille(a->resolved, a->raised);
	f->problems = p;
}

/* Gathers the set and each project's status into *status (malloc'd, one
 * per row). Fails the call otherwise. */
static int gather(srv_call *c, const srv_scope *sc, const srv_query_filter *f, srv_qset *set,
                  unsigned char **status)
{
	if (srv_store_query_set(c->srv->store, sc, f, set, &c->status) != LS_OK)
		return c->status.code;
	*status = malloc(set->n ? set->n : 1);
	if (*status == NULL) {
		srv_store_query_set_free(set);
		return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	}
	for (size_t i = 0; i < set->n; i++)
		(*status)[i] = set->rows[i].derived;
	return LS_OK;
}

/* ---- Summary --------------------------------------------------------------------- */

/* Counts rows by an attribute: keys[i] for value i (1..n-1). */
typedef struct counts {
	Luoshi__V1__Count c[6];
	Luoshi__V1__Count *p[6];
	size_t n;
} counts;

static void counts_init(counts *k, const char *const *keys, size_t n)
{
	k->n = n - 1;
	for (size_t i = 0; i + 1 < n; i++) {
		luoshi__v1__count__init(&k->c[i]);
		k->c[i].key = (char *)keys[i + 1];
		k->c[i].has_count = true;
		k->p[i] = &k->c[i];
	}
}

static void counts_add(counts *k, int v)
{
	if (v >= 1 && (size_t)v <= k->n)
		k->c[v - 1].count++;
}

/* ---- Summary: financing ------------------------------------------------------ */

typedef struct funding_source {
	Luoshi__V1__FundingFigures m;
	char *source;
} funding_source;

typedef struct funding_acc {
	const srv_qset *set;
	funding_source *v;
	size_t n, cap;
	Luoshi__V1__FundingFigures **ptrs;
	Luoshi__V1__FundingFigures total;
	bool oom;
} funding_acc;

static bool in_set(const srv_qset *set, int64_t id)
{
	size_t lo = 0, hi = set->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->rows[mid].id == id)
			return true;
		if (set->rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void funding_count(Luoshi__V1__FundingFigures *m, const srv_funding_row *r)
{
	if (r->loan) {
		m->loans++;
		m->loaned += r->amount;
	} else {
		m->agreements++;
		m->agreed += r->amount;
	}
}

static void funding_take(void *arg, const srv_funding_row *r)
{
	funding_acc *a = arg;
	if (a->oom || (r->project != 0 && !in_set(a->set, r->project)))
		return;
	size_t i = 0;
	while (i < a->n && strcmp(a->v[i].source, r->source) != 0)
		i++;
	if (i == a->n) {
		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 8;
			funding_source *more = realloc(a->v, cap * sizeof *more);
			if (more == NULL) {
				a->oom = true;
				return;
			}
			a->v = more;
			a->cap = cap;
		}
		funding_source *f = &a->v[a->n];
		luoshi__v1__funding_figures__init(&f->m);
		if ((f->source = strdup(r->source)) == NULL) {
			a->oom = true;
			return;
		}
		a->n++;
	}
	funding_count(&a->v[i].m, r);
	funding_count(&a->total, r);
}

static int cmp_funding(const void *x, const void *y)
{
	const funding_source *a = x, *b = y;
	int64_t sa = a->m.agreed + a->m.loaned, sb = b->m.agreed + b->m.loaned;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return strcmp(a->source, b->source);
}

static void funding_fini(funding_acc *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].source);
	free(a->v);
	free(a->ptrs);
}

static void funding_flags(Luoshi__V1__FundingFigures *m)
{
	m->has_agreements = m->has_agreed = m->has_loans = m->has_loaned = true;
}

/* The financing of the projects of set, and of the units in scope when f
 * names no project attribute, signed by f's day, into a (funding_fini it
 * even on failure). */
static int summary_funding(srv_call *c, const srv_scope *sc, const srv_query_filter *f,
                           const srv_qset *set, funding_acc *a)
{
	memset(a, 0, sizeof *a);
	luoshi__v1__funding_figures__init(&a->total);
	a->set = set;
	char day[11];
	ls_date_format(f->as_of, day);
	srv_funding_scan scan = {
	    .scope = sc,
	    .as_of = day,
	    .units = f->level == 0 && f->category == 0 && f->stage == 0 && f->leader == 0 &&
	             f->project == 0,
	    .town = f->town,
	    .unit = f->unit,
	};
	if (srv_store_funding_scan(c->srv->store, &scan, funding_take, a, &c->status) != LS_OK)
		return c->status.code;
	if (a->oom || (a->n > 0 && (a->ptrs = malloc(a->n * sizeof *a->ptrs)) == NULL))
		return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	if (a->n > 1)
		qsort(a->v, a->n, sizeof *a->v, cmp_funding);
	for (size_t i = 0; i < a->n; i++) {
		a->v[i].m.source = a->v[i].source;
		funding_flags(&a->v[i].m);
		a->ptrs[i] = &a->v[i].m;
	}
	funding_flags(&a->total);
	return LS_OK;
}

static void query_summary(Luoshi__V1__QueryService_Service *svc,
                          const Luoshi__V1__SummaryRequest *in,
                          Luoshi__V1__SummaryResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_query_filter f;
	if (read_filter(c, in->filter, &f) != LS_OK)
		return;
	srv_scope sc = aggregate_scope(c);
	srv_qset set;
	unsigned char *status;
	if (gather(c, &sc, &f, &set, &status) != LS_OK)
		return;
	funding_acc funding;
	if (summary_funding(c, &sc, &f, &set, &funding) != LS_OK) {
		funding_fini(&funding);
		free(status);
		srv_store_query_set_free(&set);
		return;
	}
	figures_acc acc = {0};
	counts level, category, stage, st;
	counts_init(&level, LEVEL_NAMES, COUNT(LEVEL_NAMES));
	counts_init(&category, CATEGORY_NAMES, COUNT(CATEGORY_NAMES));
	counts_init(&stage, STAGE_NAMES, COUNT(STAGE_NAMES));
	counts_init(&st, STATUS_NAMES, COUNT(STATUS_NAMES));
	for (size_t i = 0; i < set.n; i++) {
		const srv_qproject *p = &set.rows[i];
		figures_add(&acc, p, status[i]);
		counts_add(&level, p->level);
		counts_add(&category, p->category);
		counts_add(&stage, p->stage);
		counts_add(&st, status[i]);
	}
	figures_msg fm;
	figures_to_proto(&acc, &fm);
	char day[11], prev[11];
	ls_date_format(f.as_of, day);
	ls_date_format(set.prev_day, prev);
	Luoshi__V1__SummaryResponse out = LUOSHI__V1__SUMMARY_RESPONSE__INIT;
	out.as_of = day;
	out.previous_as_of = prev;
	out.figures = &fm.f;
	out.n_by_level = level.n;
	out.by_level = level.p;
	out.n_by_category = category.n;
	out.by_category = category.p;
	out.n_by_stage = stage.n;
	out.by_stage = stage.p;
	out.n_by_status = st.n;
	out.by_status = st.p;
	out.n_funding = funding.n;
	out.funding = funding.ptrs;
	out.funding_total = &funding.total;
	done(&out, arg);
	funding_fini(&funding);
	free(status);
	srv_store_query_set_free(&set);
}

/* ---- Grouped ------------------------------------------------------------------------ */

typedef struct group {
	int64_t key; /* unit or person id; 0: none (projects in no town) */
	figures_acc acc;
	srv_qname name;
	figures_msg msg;
} group;

typedef struct keyed {
	int64_t key;
	size_t row;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

/* The sort keys of GroupedRequest.sort. */
enum sort_key {
	SORT_CODE,
	SORT_NAME,
	SORT_PROJECTS,
	SORT_ON_TRACK,
	SORT_LAGGING,
	SORT_PLAN,
	SORT_COMPLETED,
	SORT_COMPLETION,
	SORT_GROWTH,
	SORT_PROBLEMS,
	SORT_RESOLUTION,
	SORT_OPEN,
	SORT_OVERDUE,
};

static const char *const SORT_NAMES[] = {
    "code",       "name",   "projects", "on_track",   "lagging", "plan",    "completed",
    "completion", "growth", "problems", "resolution", "open",    "overdue",
};

/* The value a group sorts by; false when absent (a rate without base). */
static bool sort_value(const group *g, int key, int64_t *v)
{
	const figures_acc *a = &g->acc;
	const money_acc *m = &a->money[0];
	switch (key) {
	case SORT_PROJECTS:
		*v = a->projects;
		return true;
	case SORT_ON_TRACK:
		*v = a->projects ? permille(a->status[1], a->projects) : 0;
		return a->projects > 0;
	case SORT_LAGGING:
		*v = (int64_t)a->status[2] + a->status[3];
		return true;
	case SORT_PLAN:
		*v = m->plan_year;
		return true;
	case SORT_COMPLETED:
		*v = m->invested;
		return true;
	case SORT_COMPLETION:
		*v = m->plan_year > 0 ? permille(m->invested, m->plan_year) : 0;
		return m->plan_year > 0;
	case SORT_GROWTH:
		*v = m->prev_invested > 0 ? growth(m->invested, m->prev_invested) : 0;
		return m->prev_invested > 0;
	case SORT_PROBLEMS:
		*v = a->raised;
		return true;
	case SORT_RESOLUTION:
		*v = a->raised ? permille(a->resolved, a->raised) : 0;
		return a->raised > 0;
	case SORT_OPEN:
		*v = (int64_t)a->raised - a->resolved;
		return true;
	case SORT_OVERDUE:
		*v = a->overdue;
		return true;
	default:
		*v = 0;
		return true;
	}
}

/* How cmp_group sorts: qsort takes no argument for it, and only the loop
 * thread runs handlers. */
static struct {
	int key;
	bool desc;
} sorting;

static int cmp_group(const void *a, const void *b)
{
	const group *x = a, *y = b;
	/* Projects in no town have no code or name: by those they come last;
	 * by a figure they sort as any other row. */
	bool by_text = sorting.key == SORT_CODE || sorting.key == SORT_NAME;
	if (by_text && (x->key == 0) != (y->key == 0))
		return x->key == 0 ? 1 : -1;
	int r = 0;
	if (sorting.key == SORT_NAME) {
		r = strcmp(x->name.name, y->name.name);
	} else if (sorting.key != SORT_CODE) {
		int64_t u, v;
		bool hu = sort_value(x, sorting.key, &u), hv = sort_value(y, sorting.key, &v);
		if (hu != hv)
			return hu ? -1 : 1;
		r = (u > v) - (u < v);
	}
	if (sorting.desc)
		r = -r;
	if (r == 0)
		r = strcmp(x->name.code, y->name.code);
	return r;
}

static void query_grouped(Luoshi__V1__QueryService_Service *svc,
                          const Luoshi__V1__GroupedRequest *in,
                          Luoshi__V1__GroupedResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (!in->has_by || in->by < LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN ||
	    in->by > LUOSHI__V1__GROUP_BY__GROUP_BY_UNIT) {
		srv_fail(c, LS_INVALID_ARGUMENT, "by", "by is required: town, leader or unit");
		return;
	}
	int key = SORT_CODE;
	if (given(in->sort)) {
		key = -1;
		for (size_t i = 0; i < COUNT(SORT_NAMES); i++)
			if (strcmp(in->sort, SORT_NAMES[i]) == 0)
				key = (int)i;
		if (key < 0) {
			srv_fail(
			    c, LS_INVALID_ARGUMENT, "sort",
			    "sort must be one of code, name, projects, on_track, lagging, plan, "
			    "completed, completion, growth, problems, resolution, open, "
			    "overdue; not \"%s\"",
			    in->sort);
			return;
		}
	}
	srv_query_filter f;
	if (read_filter(c, in->filter, &f) != LS_OK)
		return;
	srv_scope sc = aggregate_scope(c);
	srv_qset set;
	unsigned char *status;
	if (gather(c, &sc, &f, &set, &status) != LS_OK)
		return;

	keyed *ks = malloc((set.n ? set.n : 1) * sizeof *ks);
	group *groups = NULL;
	Luoshi__V1__GroupRow *rows = NULL, **ptrs = NULL;
	int64_t *ids = NULL;
	srv_qname *names = NULL;
	if (ks == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < set.n; i++) {
		const srv_qproject *p = &set.rows[i];
		ks[i].key = in->by == LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN     ? p->town
		            : in->by == LUOSHI__V1__GROUP_BY__GROUP_BY_LEADER ? p->leader
		                                                              : p->unit;
		ks[i].row = i;
	}
	qsort(ks, set.n, sizeof *ks, cmp_keyed);
	size_t n_groups = 0;
	for (size_t i = 0; i < set.n; i++)
		n_groups += i == 0 || ks[i].key != ks[i - 1].key;
	size_t size = n_groups ? n_groups : 1;
	groups = calloc(size, sizeof *groups);
	rows = calloc(size, sizeof *rows);
	ptrs = calloc(size, sizeof *ptrs);
	ids = malloc(size * sizeof *ids);
	names = calloc(size, sizeof *names);
	if (groups == NULL || rows == NULL || ptrs == NULL || ids == NULL || names == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	size_t n = 0, n_ids = 0;
	for (size_t i = 0; i < set.n; i++) {
		if (n == 0 || groups[n - 1].key != ks[i].key) {
			groups[n++].key = ks[i].key;
			if (ks[i].key != 0)
				ids[n_ids++] = ks[i].key;
		}
		figures_add(&groups[n - 1].acc, &set.rows[ks[i].row], status[ks[i].row]);
	}
	if (srv_store_query_names(c->srv->store,
	                          in->by == LUOSHI__V1__GROUP_BY__GROUP_BY_LEADER ? SRV_PERSON
	                                                                          : SRV_UNIT,
	                          ids, n_ids, names, &c->status) != LS_OK)
		goto out;
	for (size_t i = 0, j = 0; i < n; i++)
		if (groups[i].key != 0)
			groups[i].name = names[j++];
	sorting.key = key;
	sorting.desc = in->has_descending && in->descending;
	qsort(groups, n, sizeof *groups, cmp_group);
	for (size_t i = 0; i < n; i++) {
		figures_to_proto(&groups[i].acc, &groups[i].msg);
		luoshi__v1__group_row__init(&rows[i]);
		if (groups[i].key != 0) {
			rows[i].code = groups[i].name.code;
			rows[i].name = groups[i].name.name;
		}
		rows[i].figures = &groups[i].msg.f;
		ptrs[i] = &rows[i];
	}
	char day[11], prev[11];
	ls_date_format(f.as_of, day);
	ls_date_format(set.prev_day, prev);
	Luoshi__V1__GroupedResponse resp = LUOSHI__V1__GROUPED_RESPONSE__INIT;
	resp.as_of = day;
	resp.previous_as_of = prev;
	resp.n_rows = n;
	resp.rows = ptrs;
	done(&resp, arg);
out:
	free(ks);
	free(groups);
	free(rows);
	free(ptrs);
	free(ids);
	free(names);
	free(status);
	srv_store_query_set_free(&set);
}

/* ---- Lagging -------------------------------------------------------------------------- */

typedef struct lag {
	size_t row;
	ls_projstatus o;
	const char *code; /* into the details */
} lag;

static int cmp_lag(const void *a, const void *b)
{
	const lag *x = a, *y = b;
	if (x->o.status != y->o.status)
		return y->o.status - x->o.status;
	if (x->o.behind != y->o.behind)
		return y->o.behind - x->o.behind;
	if (x->o.max_days_overdue != y->o.max_days_overdue)
		return y->o.max_days_overdue - x->o.max_days_overdue;
	if (x->o.silent != y->o.silent)
		return y->o.silent - x->o.silent;
	return strcmp(x->code, y->code);
}

/* A lagging project's messages and their storage. */
typedef struct lag_msg {
	ls_projstatus o; /* the reasons point into it */
	Luoshi__V1__LaggingProject m;
	Luoshi__V1__ProjectStatusInfo info;
	Luoshi__V1__StatusReason reasons[LS_PROJSTATUS_MAX_REASONS];
	Luoshi__V1__StatusReason *rp[LS_PROJSTATUS_MAX_REASONS];
	Luoshi__V1__OverdueNode *nodes; /* into the call's node messages */
	Luoshi__V1__OverdueNode **np;
} lag_msg;

static void lag_to_proto(const lag *l, const srv_qproject *p, const srv_qdetail *d, const char *day,
                         lag_msg *out)
{
	out->o = l->o;
	const ls_projstatus *o = &out->o;
	Luoshi__V1__ProjectStatusInfo *info = &out->info;
	luoshi__v1__project_status_info__init(info);
	info->project_code = (char *)d->code;
	info->project_name = (char *)d->name;
	info->has_status = true;
	info->status = (Luoshi__V1__ProjectStatus)o->status;
	for (int i = 0; i < o->n_reasons; i++) {
		luoshi__v1__status_reason__init(&out->reasons[i]);
		out->reasons[i].code = (char *)o->reasons[i].code;
		out->reasons[i].detail = (char *)o->reasons[i].detail;
		out->rp[i] = &out->reasons[i];
	}
	info->n_reasons = (size_t)o->n_reasons;
	info->reasons = out->rp;
	info->has_percent = p->status.reported;
	info->percent = (uint32_t)p->status.percent;
	info->has_expected_percent = true;
	info->expected_percent = (uint32_t)o->expected;
	info->has_overdue_nodes = true;
	info->overdue_nodes = (uint32_t)o->overdue_nodes;
	info->has_max_days_overdue = true;
	info->max_days_overdue = (uint32_t)o->max_days_overdue;
	info->has_silent_periods = true;
	info->silent_periods = (uint32_t)o->silent;
	if (p->last_period[0] != '\0')
		info->last_period = (char *)p->last_period;
	else if (p->status.reported && d->newest[0] != '\0')
		info->last_period = (char *)d->newest;
	info->as_of = (char *)day;
	info->has_behind = true;
	info->behind = o->behind;

	Luoshi__V1__LaggingProject *m = &out->m;
	luoshi__v1__lagging_project__init(m);
	m->status = info;
	m->level = (char *)d->level;
	if (d->town_code[0] != '\0') {
		m->town_code = (char *)d->town_code;
		m->town_name = (char *)d->town_name;
	}
	m->lead_leader_code = (char *)d->leader_code;
	m->lead_leader_name = (char *)d->leader_name;
	m->lead_unit_code = (char *)d->unit_code;
	m->lead_unit_name = (char *)d->unit_name;
}

static void query_lagging(Luoshi__V1__QueryService_Service *svc,
                          const Luoshi__V1__LaggingRequest *in,
                          Luoshi__V1__LaggingResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (require_rows(c) != LS_OK)
		return;
	srv_query_filter f;
	if (read_filter(c, in->filter, &f) != LS_OK)
		return;
	srv_qset set;
	if (srv_store_query_set(c->srv->store, srv_call_scope(c), &f, &set, &c->status) != LS_OK)
		return;
	size_t behind = 0;
	for (size_t i = 0; i < set.n; i++)
		behind += set.rows[i].derived > LS_PROJSTATUS_ON_TRACK;
	lag *lags = malloc((behind ? behind : 1) * sizeof *lags);
	int64_t *ids = malloc((behind ? behind : 1) * sizeof *ids);
	srv_qdetail *details = NULL;
	char *texts = NULL;
	lag_msg *msgs = NULL;
	Luoshi__V1__LaggingProject **ptrs = NULL;
	Luoshi__V1__OverdueNode *nmsgs = NULL, **nptrs = NULL;
	char(*dues)[11] = NULL;
	size_t n = 0, n_nodes = 0;
	if (lags == NULL || ids == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	uint32_t counted[4] = {0};
	for (size_t i = 0; i < set.n; i++) {
		lag *l = &lags[n];
		/* The reasons of the projects not on track. */
		if (set.rows[i].derived <= LS_PROJSTATUS_ON_TRACK)
			continue;
		ls_projstatus_derive(&set.rows[i].status, &l->o);
		if (l->o.status <= LS_PROJSTATUS_ON_TRACK)
			continue;
		counted[l->o.status]++;
		l->row = i;
		ids[n++] = set.rows[i].id;
		n_nodes += set.rows[i].status.n_nodes;
	}
	details = malloc((n ? n : 1) * sizeof *details);
	msgs = calloc(n ? n : 1, sizeof *msgs);
	ptrs = calloc(n ? n : 1, sizeof *ptrs);
	if (details == NULL || msgs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_query_details(c->srv->store, ids, n, details, &texts, &c->status) != LS_OK)
		goto out;
	nmsgs = calloc(n_nodes ? n_nodes : 1, sizeof *nmsgs);
	nptrs = calloc(n_nodes ? n_nodes : 1, sizeof *nptrs);
	dues = malloc((n_nodes ? n_nodes : 1) * sizeof *dues);
	if (nmsgs == NULL || nptrs == NULL || dues == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	char day[11];
	ls_date_format(f.as_of, day);
	/* Each lag's overdue nodes are its row's, oldest first. */
	for (size_t i = 0, k = 0; i < n; i++) {
		const srv_qproject *p = &set.rows[lags[i].row];
		lag_to_proto(&lags[i], p, &details[i], day, &msgs[i]);
		lags[i].code = details[i].code;
		msgs[i].np = &nptrs[k];
		size_t first = p->status.n_nodes ? (size_t)(p->status.node_due - set.due) : 0;
		for (size_t j = 0; j < p->status.n_nodes; j++, k++) {
			Luoshi__V1__OverdueNode *nd = &nmsgs[k];
			luoshi__v1__overdue_node__init(nd);
			nd->name = set.names + set.due_name[first + j];
			ls_date_format(set.due[first + j], dues[k]);
			nd->due_date = dues[k];
			nd->has_days = true;
			nd->days = (uint32_t)(f.as_of - set.due[first + j]);
			nptrs[k] = nd;
			msgs[i].m.n_overdue_nodes++;
		}
		msgs[i].m.overdue_nodes = msgs[i].np;
	}
	/* Sort the order, not the messages, which point into themselves. */
	for (size_t i = 0; i < n; i++)
		lags[i].row = i;
	qsort(lags, n, sizeof *lags, cmp_lag);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &msgs[lags[i].row].m;
	Luoshi__V1__LaggingResponse resp = LUOSHI__V1__LAGGING_RESPONSE__INIT;
	resp.as_of = day;
	resp.n_projects = n;
	resp.projects = ptrs;
	resp.has_lagging = resp.has_seriously_lagging = true;
	resp.lagging = counted[LS_PROJSTATUS_LAGGING];
	resp.seriously_lagging = counted[LS_PROJSTATUS_SERIOUSLY_LAGGING];
	done(&resp, arg);
out:
	free(lags);
	free(ids);
	free(details);
	free(texts);
	free(dues);
	free(msgs);
	free(ptrs);
	free(nmsgs);
	free(nptrs);
	srv_store_query_set_free(&set);
}

/* ---- Compliance ---------------------------------------------------------------------- */

typedef struct town_msg {
	Luoshi__V1__TownCompliance m;
	size_t first, n; /* its projects among the rows */
} town_msg;

static int cmp_town(const void *a, const void *b)
{
	const town_msg *x = a, *y = b;
	bool mx = x->m.submitted < x->m.expected, my = y->m.submitted < y->m.expected;
	if (mx != my)
		return mx ? -1 : 1;
	/* Projects in no town come last. */
	if ((x->m.town_code == NULL) != (y->m.town_code == NULL))
		return x->m.town_code == NULL ? 1 : -1;
	if (x->m.town_code == NULL)
		return 0;
	return strcmp(x->m.town_code, y->m.town_code);
}

static void query_compliance(Luoshi__V1__QueryService_Service *svc,
                             const Luoshi__V1__ComplianceRequest *in,
                             Luoshi__V1__ComplianceResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (require_rows(c) != LS_OK)
		return;
	srv_query_filter f;
	if (read_filter(c, in->filter, &f) != LS_OK)
		return;
	ls_period w;
	if (given(in->week)) {
		if (!ls_period_parse(in->week, &w) || w.kind != LS_PERIOD_WEEK) {
			srv_fail(
			    c, LS_INVALID_ARGUMENT, "week",
			    "week must be an ISO week that exists, such as 2026-W48, not \"%s\"",
			    in->week);
			return;
		}
		if (w.first > f.as_of) {
			char d[11];
			ls_date_format(f.as_of, d);
			srv_fail(c, LS_INVALID_ARGUMENT, "week",
			         "week %s begins after the as-of day %s", in->week, d);
			return;
		}
	} else {
		/* The last whole week before the as-of day's week. */
		ls_period_of(LS_PERIOD_WEEK, f.as_of, &w);
		ls_period_of(LS_PERIOD_WEEK, w.first - 1, &w);
	}
	char period[16], first[11], last[11], day[11];
	ls_period_format(&w, period);
	ls_date_format(w.first, first);
	ls_date_format(w.last, last);
	ls_date_format(f.as_of, day);

	srv_qdue *rows = NULL;
	size_t n = 0;
	if (srv_store_query_compliance(c->srv->store, srv_call_scope(c), &f, period, first, last,
	                               &rows, &n, &c->status) != LS_OK)
		return;
	town_msg *towns = calloc(n ? n : 1, sizeof *towns);
	Luoshi__V1__TownCompliance **tptrs = calloc(n ? n : 1, sizeof *tptrs);
	Luoshi__V1__MissingProject *miss = calloc(n ? n : 1, sizeof *miss);
	Luoshi__V1__MissingProject **mptrs = calloc(n ? n : 1, sizeof *mptrs);
	if (towns == NULL || tptrs == NULL || miss == NULL || mptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	/* The rows come by town: one town a run. Its missing projects are a
	 * run of mptrs. */
	size_t n_towns = 0, n_miss = 0;
	uint32_t expected = 0, submitted = 0;
	for (size_t i = 0; i < n; i++) {
		const srv_qdue *r = &rows[i];
		if (n_towns == 0 || rows[i - 1].town != r->town) {
			town_msg *t = &towns[n_towns++];
			luoshi__v1__town_compliance__init(&t->m);
			if (r->town != 0) {
				t->m.town_code = (char *)r->town_code;
				t->m.town_name = (char *)r->town_name;
			}
			t->m.has_expected = t->m.has_submitted = true;
			t->m.missing = &mptrs[n_miss];
		}
		town_msg *t = &towns[n_towns - 1];
		t->m.expected++;
		expected++;
		if (r->submitted) {
			t->m.submitted++;
			submitted++;
			continue;
		}
		Luoshi__V1__MissingProject *m = &miss[n_miss];
		luoshi__v1__missing_project__init(m);
		m->project_code = (char *)r->code;
		m->project_name = (char *)r->name;
		if (r->town != 0) {
			m->town_code = (char *)r->town_code;
			m->town_name = (char *)r->town_name;
		}
		mptrs[n_miss++] = m;
		t->m.n_missing++;
	}
	qsort(towns, n_towns, sizeof *towns, cmp_town);
	for (size_t i = 0; i < n_towns; i++)
		tptrs[i] = &towns[i].m;
	Luoshi__V1__ComplianceResponse resp = LUOSHI__V1__COMPLIANCE_RESPONSE__INIT;
	resp.week = period;
	resp.as_of = day;
	resp.n_towns = n_towns;
	resp.towns = tptrs;
	resp.has_expected = resp.has_submitted = true;
	resp.expected = expected;
	resp.submitted = submitted;
	done(&resp, arg);
out:
	free(towns);
	free(tptrs);
	free(miss);
	free(mptrs);
	free(rows);
}

/* ---- snapshots -------------------------------------------------------------------------- */

static int enum_value(const char *text, const char *const *names, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(text, names[i]) == 0)
			return (int)i;
	return 0;
}

static void totals_to_proto(const srv_snaptotals *t, Luoshi__V1__SnapshotTotals *m)
{
	luoshi__v1__snapshot_totals__init(m);
	m->has_projects = m->has_on_track = m->has_lagging = m->has_seriously_lagging = true;
	m->projects = t->projects;
	m->on_track = t->on_track;
	m->lagging = t->lagging;
	m->seriously_lagging = t->seriously_lagging;
	m->has_annual_plan = m->has_planned_ytd = m->has_completed_ytd = m->has_output_ytd = true;
	m->annual_plan = t->annual_plan;
	m->planned_ytd = t->planned_ytd;
	m->completed_ytd = t->completed_ytd;
	m->output_ytd = t->output_ytd;
	m->has_completion_permille = t->annual_plan > 0;
	if (t->annual_plan > 0)
		m->completion_permille = permille(t->completed_ytd, t->annual_plan);
	m->has_nodes_due = m->has_nodes_done = true;
	m->nodes_due = t->nodes_due;
	m->nodes_done = t->nodes_done;
	m->has_problems_raised = m->has_problems_resolved = true;
	m->has_problems_open = m->has_problems_overdue = true;
	m->problems_raised = t->raised;
	m->problems_resolved = t->resolved;
	m->problems_open = t->open;
	m->problems_overdue = t->overdue;
	m->has_on_track_permille = t->projects > 0;
	if (t->projects > 0)
		m->on_track_permille = permille(t->on_track, t->projects);
	m->has_resolution_permille = t->raised > 0;
	if (t->raised > 0)
		m->resolution_permille = permille(t->resolved, t->raised);
}

typedef struct snapshot_msg {
	Luoshi__V1__Snapshot m;
	Luoshi__V1__SnapshotTotals totals;
} snapshot_msg;

static void snapshot_to_proto(const srv_snapshot *s, snapshot_msg *out)
{
	Luoshi__V1__Snapshot *m = &out->m;
	luoshi__v1__snapshot__init(m);
	m->has_id = true;
	m->id = s->id;
	m->month = (char *)s->month;
	m->as_of = (char *)s->as_of;
	m->unit_code = (char *)s->unit_code;
	m->unit_name = (char *)s->unit_name;
	m->created_at = (char *)s->created_at;
	if (s->created_by[0] != '\0')
		m->created_by = (char *)s->created_by;
	totals_to_proto(&s->totals, &out->totals);
	m->totals = &out->totals;
}

/* A row's messages and the storage its reasons point into. */
typedef struct snaprow_msg {
	Luoshi__V1__SnapshotRow m;
	char *reason[LS_PROJSTATUS_MAX_REASONS];
} snaprow_msg;

static void snaprow_to_proto(srv_snaprow *r, snaprow_msg *out)
{
	Luoshi__V1__SnapshotRow *m = &out->m;
	luoshi__v1__snapshot_row__init(m);
	m->project_code = r->code;
	m->project_name = r->name;
	m->has_level = m->has_category = m->has_stage = true;
	m->level = (Luoshi__V1__Level)enum_value(r->level, LEVEL_NAMES, COUNT(LEVEL_NAMES));
	m->category =
	    (Luoshi__V1__Category)enum_value(r->category, CATEGORY_NAMES, COUNT(CATEGORY_NAMES));
	m->stage = (Luoshi__V1__Stage)enum_value(r->stage, STAGE_NAMES, COUNT(STAGE_NAMES));
	if (r->town_code[0] != '\0') {
		m->town_code = r->town_code;
		m->town_name = r->town_name;
	}
	m->lead_leader_name = r->leader_name;
	m->lead_unit_name = r->unit_name;
	m->has_annual_plan = m->has_planned_month = m->has_planned_ytd = true;
	m->annual_plan = r->annual_plan;
	m->planned_month = r->planned_month;
	m->planned_ytd = r->planned_ytd;
	m->has_completed_month = m->has_completed_ytd = true;
	m->completed_month = r->completed_month;
	m->completed_ytd = r->completed_ytd;
	m->has_output_month = m->has_output_ytd = true;
	m->output_month = r->output_month;
	m->output_ytd = r->output_ytd;
	m->has_completion_permille = r->annual_plan > 0;
	if (r->annual_plan > 0)
		m->completion_permille = permille(r->completed_ytd, r->annual_plan);
	m->has_percent = r->has_percent;
	m->percent = (uint32_t)r->percent;
	m->has_expected_percent = true;
	m->expected_percent = (uint32_t)r->expected;
	m->has_status = true;
	m->status = (Luoshi__V1__ProjectStatus)r->status;
	/* The reasons are kept one a line. */
	size_t n = 0;
	char *save = NULL;
	for (char *t = r->reasons ? strtok_r(r->reasons, "\n", &save) : NULL;
	     t != NULL && n < LS_PROJSTATUS_MAX_REASONS; t = strtok_r(NULL, "\n", &save))
		out->reason[n++] = t;
	m->n_reasons = n;
	m->reasons = out->reason;
	if (r->last_period[0] != '\0')
		m->last_period = r->last_period;
	m->progress = r->progress;
	m->has_nodes_due = m->has_nodes_done = true;
	m->nodes_due = r->nodes_due;
	m->nodes_done = r->nodes_done;
	m->has_problems_raised = m->has_problems_resolved = true;
	m->has_problems_open = m->has_problems_overdue = true;
	m->problems_raised = r->raised;
	m->problems_resolved = r->resolved;
	m->problems_open = r->open;
	m->problems_overdue = r->overdue;
}

/* The last day a month's periods reach: its last day, or the Sunday of
 * the week of its last Thursday, whichever is later. */
static int32_t month_end_of_periods(const ls_period *m)
{
	int32_t thursday = m->last - (ls_weekday(m->last) - 4 + 7) % 7;
	return thursday + 3 > m->last ? thursday + 3 : m->last;
}

static void query_reconcile(Luoshi__V1__QueryService_Service *svc,
                            const Luoshi__V1__ReconcileRequest *in,
                            Luoshi__V1__ReconcileResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	ls_period m;
	if (!given(in->month) || !ls_period_parse(in->month, &m) || m.kind != LS_PERIOD_MONTH) {
		srv_fail(c, LS_INVALID_ARGUMENT, "month",
		         "month is required: a month such as 2026-11%s%s%s",
		         given(in->month) ? ", not \"" : "", given(in->month) ? in->month : "",
		         given(in->month) ? "\"" : "");
		return;
	}
	char month[16], last[11];
	snprintf(month, sizeof month, "%04d-%02d", m.year, m.number);
	ls_date_format(m.last, last);
	const srv_scope *sc = srv_call_scope(c);
	srv_snapshot snap;
	int rc = srv_store_query_snapshot_get(store, sc->root, 0, month, &snap, &c->status);
	if (rc != LS_OK && rc != LS_NOT_FOUND)
		return;
	bool created = rc == LS_NOT_FOUND;
	if (created) {
		int32_t end = month_end_of_periods(&m);
		if (end >= ls_today()) {
			char e[11];
			ls_date_format(end, e);
			srv_fail(c, LS_FAILED_PRECONDITION, "month",
			         "month %s has not ended: its last period ends on %s", month, e);
			return;
		}
		srv_snaprow *rows;
		size_t n;
		if (srv_store_query_month_rows(store, sc, m.year, m.number, m.last, &rows, &n,
		                               &c->status) != LS_OK)
			return;
		for (size_t i = 0; i < n; i++) {
			srv_snaprow *r = &rows[i];
			ls_projstatus o;
			ls_projstatus_derive(&r->input, &o);
			r->status = o.status;
			r->expected = o.expected;
			r->has_percent = r->input.reported;
			r->percent = r->input.percent;
			size_t len = 1;
			for (int k = 0; k < o.n_reasons; k++)
				len += strlen(o.reasons[k].detail) + 1;
			r->reasons = calloc(1, len);
			if (r->reasons == NULL) {
				srv_store_query_snaprows_free(rows, n);
				srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
				return;
			}
			for (int k = 0; k < o.n_reasons; k++) {
				if (k > 0)
					strcat(r->reasons, "\n");
				strcat(r->reasons, o.reasons[k].detail);
			}
		}
		char now[32];
		int64_t id;
		srv_now_iso(now);
		rc = srv_store_query_snapshot_insert(store, sc->root, month, last, c->caller->id,
		                                     now, rows, n, &id, &c->status);
		srv_store_query_snaprows_free(rows, n);
		if (rc != LS_OK || srv_store_query_snapshot_get(store, sc->root, id, NULL, &snap,
		                                                &c->status) != LS_OK) {
			if (c->status.code == LS_OK)
				srv_fail(c, LS_INTERNAL, NULL,
				         "the new snapshot cannot be read back");
			return;
		}
	}
	snapshot_msg sm;
	snapshot_to_proto(&snap, &sm);
	if (created && srv_audit(c, "snapshot", snap.id, 0, NULL, &sm.m.base) != LS_OK)
		return;
	Luoshi__V1__ReconcileResponse resp = LUOSHI__V1__RECONCILE_RESPONSE__INIT;
	resp.snapshot = &sm.m;
	resp.has_created = true;
	resp.created = created;
	done(&resp, arg);
}

static int page_args(srv_call *c, bool has_size, uint32_t size_in, const char *token, int *size,
                     int64_t *after)
{
	*size =
	    has_size && size_in > 0 ? (int)(size_in > PAGE_MAX ? PAGE_MAX : size_in) : PAGE_DEFAULT;
	*after = 0;
	if (given(token)) {
		char *end;
		long long v = strtoll(token, &end, 10);
		if (*end != '\0' || v <= 0)
			return srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
			                "page_token is not one this server gave");
		*after = v;
	}
	return LS_OK;
}

static void query_list_snapshots(Luoshi__V1__QueryService_Service *svc,
                                 const Luoshi__V1__ListSnapshotsRequest *in,
                                 Luoshi__V1__ListSnapshotsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	int size;
	int64_t before;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &before) != LS_OK)
		return;
	srv_snapshot *rows;
	size_t n;
	if (srv_store_query_snapshot_list(c->srv->store, srv_call_scope(c)->root, before, size + 1,
	                                  &rows, &n, &c->status) != LS_OK)
		return;
	size_t shown = n > (size_t)size ? (size_t)size : n;
	snapshot_msg *msgs = calloc(shown ? shown : 1, sizeof *msgs);
	Luoshi__V1__Snapshot **ptrs = calloc(shown ? shown : 1, sizeof *ptrs);
	if (msgs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		for (size_t i = 0; i < shown; i++) {
			snapshot_to_proto(&rows[i], &msgs[i]);
			ptrs[i] = &msgs[i].m;
		}
		Luoshi__V1__ListSnapshotsResponse resp = LUOSHI__V1__LIST_SNAPSHOTS_RESPONSE__INIT;
		char next[24];
		resp.n_snapshots = shown;
		resp.snapshots = ptrs;
		if (n > shown) {
			snprintf(next, sizeof next, "%" PRId64, rows[shown - 1].id);
			resp.next_page_token = next;
		}
		done(&resp, arg);
	}
	free(msgs);
	free(ptrs);
	free(rows);
}

static void query_get_snapshot(Luoshi__V1__QueryService_Service *svc,
                               const Luoshi__V1__GetSnapshotRequest *in,
                               Luoshi__V1__GetSnapshotResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (require_rows(c) != LS_OK)
		return;
	bool has_id = in->has_id && in->id != 0;
	if (has_id == given(in->month)) {
		srv_fail(c, LS_INVALID_ARGUMENT, has_id ? "month" : "id",
		         "give the snapshot's id or its month, one of the two");
		return;
	}
	char month[16] = "";
	if (!has_id) {
		ls_period m;
		if (!ls_period_parse(in->month, &m) || m.kind != LS_PERIOD_MONTH) {
			srv_fail(c, LS_INVALID_ARGUMENT, "month",
			         "month must be a month such as 2026-11, not \"%s\"", in->month);
			return;
		}
		snprintf(month, sizeof month, "%04d-%02d", m.year, m.number);
	} else if (in->id < 0) {
		srv_fail(c, LS_NOT_FOUND, "id", "no snapshot has id %" PRId64, in->id);
		return;
	}
	int size;
	int64_t after;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &after) != LS_OK)
		return;
	const srv_scope *sc = srv_call_scope(c);
	srv_snapshot snap;
	int rc = srv_store_query_snapshot_get(store, sc->root, has_id ? in->id : 0, month, &snap,
	                                      &c->status);
	if (rc == LS_NOT_FOUND) {
		if (has_id)
			srv_fail(c, LS_NOT_FOUND, "id",
			         "no snapshot of your office has id %" PRId64, in->id);
		else
			srv_fail(c, LS_NOT_FOUND, "month", "%s is not reconciled", month);
		return;
	}
	if (rc != LS_OK)
		return;
	srv_snaprow *rows;
	size_t n;
	if (srv_store_query_snapshot_rows(store, sc, snap.id, after, size + 1, &rows, &n,
	                                  &c->status) != LS_OK)
		return;
	size_t shown = n > (size_t)size ? (size_t)size : n;
	snaprow_msg *msgs = calloc(shown ? shown : 1, sizeof *msgs);
	Luoshi__V1__SnapshotRow **ptrs = calloc(shown ? shown : 1, sizeof *ptrs);
	if (msgs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		for (size_t i = 0; i < shown; i++) {
			snaprow_to_proto(&rows[i], &msgs[i]);
			ptrs[i] = &msgs[i].m;
		}
		snapshot_msg sm;
		snapshot_to_proto(&snap, &sm);
		Luoshi__V1__GetSnapshotResponse resp = LUOSHI__V1__GET_SNAPSHOT_RESPONSE__INIT;
		char next[24];
		resp.snapshot = &sm.m;
		resp.n_rows = shown;
		resp.rows = ptrs;
		if (n > shown) {
			snprintf(next, sizeof next, "%" PRId64, rows[shown - 1].project_id);
			resp.next_page_token = next;
		}
		done(&resp, arg);
	}
	free(msgs);
	free(ptrs);
	srv_store_query_snaprows_free(rows, n);
}

/* ---- Disclose ------------------------------------------------------------------------------ */

/* A growing string; on lack of memory it stops growing and says so. */
typedef struct sbuf {
	char *p;
	size_t n, cap;
	bool failed;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + len + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Text as HTML: the five characters that mean something there escaped. */
static void sb_html(sbuf *b, const char *s)
{
	for (const char *p = s ? s : ""; *p != '\0'; p++) {
		switch (*p) {
		case '<':
			sb_puts(b, "&lt;");
			break;
		case '>':
			sb_puts(b, "&gt;");
			break;
		case '&':
			sb_puts(b, "&amp;");
			break;
		case '"':
			sb_puts(b, "&quot;");
			break;
		case '\'':
			sb_puts(b, "&#39;");
			break;
		default:
			sb_add(b, p, 1);
		}
	}
}

/* "81.8%" from 818‰. */
static void sb_rate(sbuf *b, bool has, uint32_t permille_value)
{
	if (!has)
		sb_puts(b, "—");
	else
		sb_printf(b, "%u.%u%%", permille_value / 10, permille_value % 10);
}

static const char *const LEVEL_ZH[] = {"", "市级", "区级", "镇街道级"};
static const char *const CATEGORY_ZH[] = {
    "", "重大产业项目", "重大平台区块", "重大基础设施", "民生项目", "重大专项任务"};
static const char *const STAGE_ZH[] = {"", "新建", "续建"};
static const char *const STATUS_ZH[] = {"", "推进顺利", "滞后", "严重滞后"};
static const char *const STATUS_CLASS[] = {"", "ok", "lag", "serious"};

static const char HTML_STYLE[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;"
    "margin:2em auto;max-width:1400px;padding:0 1em;color:#222}"
    "h1{font-size:1.6em;border-bottom:3px solid #b71c1c;padding-bottom:.3em}"
    "h2{font-size:1.2em;margin-top:1.5em;color:#b71c1c}"
    ".meta{color:#555}"
    "table{border-collapse:collapse;width:100%;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:.35em .5em;vertical-align:top}"
    "th{background:#f3f3f3;text-align:center}"
    "td.n{text-align:right;white-space:nowrap}"
    "table.sum{width:auto}table.sum th{text-align:left}"
    ".ok,.lag,.serious{white-space:nowrap}.ok{color:#1b5e20}.lag{color:#e65100}"
    ".serious{color:#b71c1c;font-weight:bold}"
    "tbody tr:nth-child(even){background:#fafafa}"
    "@media print{body{margin:0}h2{page-break-after:avoid}}";

/* The self-contained page of a disclosure. */
static void disclosure_html(sbuf *b, const char *unit, const ls_period *q, char months[3][8],
                            int n_months, const Luoshi__V1__DisclosureRow *const *rows, size_t n,
                            const Luoshi__V1__SnapshotTotals *t)
{
	static const char *const quarter_zh[] = {"", "一", "二", "三", "四"};
	char title[512];
	snprintf(title, sizeof title, "%d年第%s季度重点项目推进情况", q->year,
	         quarter_zh[q->number >= 1 && q->number <= 4 ? q->number : 0]);
	sb_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
	           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	           "<title>");
	sb_html(b, unit);
	sb_puts(b, " ");
	sb_html(b, title);
	sb_puts(b, "</title>\n<style>");
	sb_puts(b, HTML_STYLE);
	sb_puts(b, "</style>\n</head>\n<body>\n<h1>");
	sb_html(b, unit);
	sb_puts(b, " ");
	sb_html(b, title);
	sb_puts(b, "（季度亮账）</h1>\n<p class=\"meta\">依据已对账月份：");
	for (int i = 0; i < n_months; i++) {
		if (i > 0)
			sb_puts(b, "、");
		sb_html(b, months[i]);
	}
	sb_puts(b, "。金额单位：万元。</p>\n");

	sb_puts(b, "<h2>总体情况</h2>\n<table class=\"sum\">\n");
	sb_printf(b, "<tr><th>项目总数</th><td class=\"n\">%u</td></tr>\n", t->projects);
	sb_printf(b, "<tr><th>推进顺利</th><td class=\"n\">%u（", t->on_track);
	sb_rate(b, t->has_on_track_permille, t->on_track_permille);
	sb_puts(b, "）</td></tr>\n");
	sb_printf(b, "<tr><th>滞后</th><td class=\"n\">%u</td></tr>\n", t->lagging);
	sb_printf(b, "<tr><th>严重滞后</th><td class=\"n\">%u</td></tr>\n", t->seriously_lagging);
	sb_printf(b, "<tr><th>年度计划投资</th><td class=\"n\">%" PRId64 "</td></tr>\n",
	          t->annual_plan);
	sb_printf(b, "<tr><th>累计完成投资</th><td class=\"n\">%" PRId64 "</td></tr>\n",
	          t->completed_ytd);
	sb_puts(b, "<tr><th>年度投资完成率</th><td class=\"n\">");
	sb_rate(b, t->has_completion_permille, t->completion_permille);
	sb_puts(b, "</td></tr>\n");
	sb_printf(b, "<tr><th>节点完成（完成/到期）</th><td class=\"n\">%u / %u</td></tr>\n",
	          t->nodes_done, t->nodes_due);
	sb_printf(b, "<tr><th>问题销号（解决/提出）</th><td class=\"n\">%u / %u（",
	          t->problems_resolved, t->problems_raised);
	sb_rate(b, t->has_resolution_permille, t->resolution_permille);
	sb_puts(b, "）</td></tr>\n</table>\n");

	sb_puts(b, "<h2>项目明细</h2>\n<table>\n<thead><tr><th>项目编号</th><th>项目名称</th>"
	           "<th>级别</th><th>类别</th><th>阶段</th><th>所在镇街</th><th>责任单位</th>"
	           "<th>领衔领导</th><th>对账月份</th><th>年度计划投资</th><th>累计完成投资</th>"
	           "<th>完成率</th><th>形象进度</th><th>进度</th><th>状态</th>"
	           "<th>节点（完成/到期）</th><th>问题（解决/提出）</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const Luoshi__V1__DisclosureRow *r = rows[i];
		int lv = r->level < 4 ? (int)r->level : 0;
		int ct = r->category < 6 ? (int)r->category : 0;
		int sg = r->stage < 3 ? (int)r->stage : 0;
		int ss = r->status < 4 ? (int)r->status : 0;
		sb_puts(b, "<tr><td>");
		sb_html(b, r->project_code);
		sb_puts(b, "</td><td>");
		sb_html(b, r->project_name);
		sb_printf(b, "</td><td>%s</td><td>%s</td><td>%s</td><td>", LEVEL_ZH[lv],
		          CATEGORY_ZH[ct], STAGE_ZH[sg]);
		sb_html(b, r->town_name);
		sb_puts(b, "</td><td>");
		sb_html(b, r->lead_unit_name);
		sb_puts(b, "</td><td>");
		sb_html(b, r->lead_leader_name);
		sb_puts(b, "</td><td>");
		sb_html(b, r->month);
		sb_printf(b,
		          "</td><td class=\"n\">%" PRId64 "</td><td class=\"n\">%" PRId64
		          "</td><td class=\"n\">",
		          r->annual_plan, r->completed_ytd);
		sb_rate(b, r->has_completion_permille, r->completion_permille);
		sb_puts(b, "</td><td>");
		sb_html(b, r->progress);
		sb_puts(b, "</td><td class=\"n\">");
		if (r->has_percent)
			sb_printf(b, "%u%%", r->percent);
		else
			sb_puts(b, "—");
		sb_printf(b,
		          "</td><td class=\"%s\">%s</td><td class=\"n\">%u / %u</td>"
		          "<td class=\"n\">%u / %u</td></tr>\n",
		          STATUS_CLASS[ss], STATUS_ZH[ss], r->nodes_done, r->nodes_due,
		          r->problems_resolved, r->problems_raised);
	}
	sb_puts(b, "</tbody>\n</table>\n</body>\n</html>\n");
}

static void query_disclose(Luoshi__V1__QueryService_Service *svc,
                           const Luoshi__V1__DiscloseRequest *in,
                           Luoshi__V1__DiscloseResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	ls_period q;
	if (!given(in->quarter) || !ls_period_parse(in->quarter, &q) ||
	    q.kind != LS_PERIOD_QUARTER) {
		srv_fail(c, LS_INVALID_ARGUMENT, "quarter",
		         "quarter is required: a quarter such as 2026-Q4");
		return;
	}
	char quarter[16], first[24], last[24], months[3][8];
	ls_period_format(&q, quarter);
	snprintf(first, sizeof first, "%04d-%02d", q.year, 3 * q.number - 2);
	snprintf(last, sizeof last, "%04d-%02d", q.year, 3 * q.number);
	const srv_scope *sc = srv_call_scope(c);
	srv_snaprow *rows;
	size_t n;
	int n_months;
	if (srv_store_query_disclosure(store, sc->root, first, last, &rows, &n, months, &n_months,
	                               &c->status) != LS_OK)
		return;
	if (n_months == 0) {
		srv_fail(c, LS_FAILED_PRECONDITION, "quarter",
		         "no month of %s is reconciled: run the monthly reconciliation first",
		         quarter);
		return;
	}
	srv_qname office;
	if (srv_store_query_names(store, SRV_UNIT, &sc->root, 1, &office, &c->status) != LS_OK) {
		srv_store_query_snaprows_free(rows, n);
		return;
	}
	Luoshi__V1__DisclosureRow *msgs = calloc(n ? n : 1, sizeof *msgs);
	Luoshi__V1__DisclosureRow **ptrs = calloc(n ? n : 1, sizeof *ptrs);
	sbuf html = {0};
	if (msgs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	srv_snaptotals t = {0};
	for (size_t i = 0; i < n; i++) {
		srv_snaprow *r = &rows[i];
		Luoshi__V1__DisclosureRow *m = &msgs[i];
		luoshi__v1__disclosure_row__init(m);
		m->project_code = r->code;
		m->project_name = r->name;
		m->has_level = m->has_category = m->has_stage = true;
		m->level = (Luoshi__V1__Level)enum_value(r->level, LEVEL_NAMES, COUNT(LEVEL_NAMES));
		m->category = (Luoshi__V1__Category)enum_value(r->category, CATEGORY_NAMES,
		                                               COUNT(CATEGORY_NAMES));
		m->stage = (Luoshi__V1__Stage)enum_value(r->stage, STAGE_NAMES, COUNT(STAGE_NAMES));
		if (r->town_code[0] != '\0')
			m->town_name = r->town_name;
		m->lead_unit_name = r->unit_name;
		m->lead_leader_name = r->leader_name;
		m->month = r->month;
		m->has_annual_plan = m->has_completed_ytd = m->has_output_ytd = true;
		m->annual_plan = r->annual_plan;
		m->completed_ytd = r->completed_ytd;
		m->output_ytd = r->output_ytd;
		m->has_completion_permille = r->annual_plan > 0;
		if (r->annual_plan > 0)
			m->completion_permille = permille(r->completed_ytd, r->annual_plan);
		m->has_percent = r->has_percent;
		m->percent = (uint32_t)r->percent;
		m->has_status = true;
		m->status = (Luoshi__V1__ProjectStatus)r->status;
		m->has_nodes_due = m->has_nodes_done = true;
		m->nodes_due = r->nodes_due;
		m->nodes_done = r->nodes_done;
		m->has_problems_raised = m->has_problems_resolved = true;
		m->problems_raised = r->raised;
		m->problems_resolved = r->resolved;
		m->progress = r->progress;
		ptrs[i] = m;

		t.projects++;
		if (r->status == LS_PROJSTATUS_ON_TRACK)
			t.on_track++;
		else if (r->status == LS_PROJSTATUS_LAGGING)
			t.lagging++;
		else if (r->status == LS_PROJSTATUS_SERIOUSLY_LAGGING)
			t.seriously_lagging++;
		t.annual_plan += r->annual_plan;
		t.planned_ytd += r->planned_ytd;
		t.completed_ytd += r->completed_ytd;
		t.output_ytd += r->output_ytd;
		t.nodes_due += r->nodes_due;
		t.nodes_done += r->nodes_done;
		t.raised += r->raised;
		t.resolved += r->resolved;
		t.open += r->open;
		t.overdue += r->overdue;
	}
	Luoshi__V1__SnapshotTotals tm;
	totals_to_proto(&t, &tm);
	disclosure_html(&html, office.name, &q, months, n_months,
	                (const Luoshi__V1__DisclosureRow *const *)ptrs, n, &tm);
	if (html.failed) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	char *mp[3];
	for (int i = 0; i < n_months; i++)
		mp[i] = months[i];
	Luoshi__V1__DiscloseResponse resp = LUOSHI__V1__DISCLOSE_RESPONSE__INIT;
	resp.quarter = quarter;
	resp.n_months = (size_t)n_months;
	resp.months = mp;
	resp.n_rows = n;
	resp.rows = ptrs;
	resp.totals = &tm;
	resp.html = html.p;
	resp.unit_name = office.name;
	done(&resp, arg);
out:
	free(html.p);
	free(msgs);
	free(ptrs);
	srv_store_query_snaprows_free(rows, n);
}

static Luoshi__V1__QueryService_Service query = LUOSHI__V1__QUERY_SERVICE__INIT(query_);

ProtobufCService *srv_query_service(void)
{
	return &query.base;
}
