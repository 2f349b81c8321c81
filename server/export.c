/* ExportService: 一图五表, the battle map and the five tables (plan, tasks,
 * division, responsibility, progress) of the projects a caller may read,
 * page by page of projects. Nothing here writes. */
#include "luoshi/v1/export.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "server.h"
#include "store/export.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

/* A page stops taking projects once its rows pack to this many bytes: a
 * reply must stay well under the 4 MiB that clients accept, and a district
 * of 300 projects with a year of weekly updates packs to several times
 * that. */
#define PAGE_BYTES (3u << 20)

/* What a row costs in the reply beyond its own bytes: its tag and length. */
#define ROW_OVERHEAD 5

/* ---- memory for one reply ------------------------------------------------------- */

/* Every message and string of a reply lives in one arena, freed at once
 * after the reply is packed. */
typedef struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
} block;

typedef struct arena {
	block *head;
	bool failed;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	block *b = a->head;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > 60000 ? n : 60000;
		b = malloc(sizeof *b + cap);
		if (b == NULL) {
			a->failed = true;
			return NULL;
		}
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

/* A copy of s in the arena; NULL stays NULL. */
static char *arena_str(arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(a, n);
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

static void arena_free(arena *a)
{
	while (a->head != NULL) {
		block *next = a->head->next;
		free(a->head);
		a->head = next;
	}
}

/* A growing array of pointers to messages. */
typedef struct vec {
	void **items;
	size_t n, cap;
} vec;

static bool vec_push(vec *v, void *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		void **items = realloc(v->items, cap * sizeof *items);
		if (items == NULL)
			return false;
		v->items = items;
		v->cap = cap;
	}
	v->items[v->n++] = item;
	return true;
}

/* ---- enumerations ----------------------------------------------------------------- */

typedef struct enum_map {
	const char *field;
	const char *valid;
	const char *text[8]; /* by value; [0] unused */
	int n;
} enum_map;

static const enum_map levels = {
    "level", "city, district or town", {NULL, "city", "district", "town"}, 4};
static const enum_map categories = {
    "category",
    "industrial, platform, infrastructure, livelihood or special_task",
    {NULL, "industrial", "platform", "infrastructure", "livelihood", "special_task"},
    6};
static const enum_map stages = {"stage", "new or continuing", {NULL, "new", "continuing"}, 3};

static int enum_value(const enum_map *e, const char *text)
{
	for (int i = 1; text != NULL && i < e->n; i++)
		if (strcmp(e->text[i], text) == 0)
			return i;
	return 0;
}

/* An optional enum filter; *text is NULL when it is absent. */
static int filter_enum(srv_call *c, const enum_map *e, bool has, int v, const char **text)
{
	*text = NULL;
	if (!has || v == 0)
		return LS_OK;
	if (v < 0 || v >= e->n)
		return srv_fail(c, LS_INVALID_ARGUMENT, e->field, "%s %d is unknown: give %s",
		                e->field, v, e->valid);
	*text = e->text[v];
	return LS_OK;
}

static int filter_ref(srv_call *c, srv_entity what, const char *ref, const char *field, int64_t *id)
{
	*id = 0;
	if (ref == NULL || ref[0] == '\0')
		return LS_OK;
	return srv_store_resolve(c->srv->store, what, ref, field, id, &c->status);
}

/* ---- the page --------------------------------------------------------------------- */

typedef struct page {
	arena a;
	char as_of[11];
	int year;
	int month; /* as_of's */
	vec projects, plan_nodes, plan_months, tasks, division, responsibility, progress;
	size_t bytes; /* the rows' packed size so far */
	/* the project being filled */
	Luoshi__V1__ExportProject *p;
	vec units; /* pairs: code, name */
	int64_t plan[13];
	bool has_plan[13];
	vec updates; /* this project's period rows, before the month rows go between */
	/* the rows of the listed projects, before any is filled */
	vec listed;
} page;

/* Adds row m to v and counts its bytes. */
static void add_row(page *pg, vec *v, ProtobufCMessage *m)
{
	if (m == NULL || !vec_push(v, m)) {
		pg->a.failed = true;
		return;
	}
	pg->bytes += protobuf_c_message_get_packed_size(m) + ROW_OVERHEAD;
}

static void *arena_copy(arena *a, const void *src, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p != NULL)
		memcpy(p, src, n);
	return p;
}

/* A new message of type in the page's arena, set to its INIT value. */
#define NEW(pg, type, INIT) ((type *)arena_copy(&(pg)->a, &(type)INIT, sizeof(type)))

static void listed_project(void *arg, const srv_export_project *r)
{
	page *pg = arg;
	Luoshi__V1__ExportProject *m =
	    NEW(pg, Luoshi__V1__ExportProject, LUOSHI__V1__EXPORT_PROJECT__INIT);
	if (m == NULL)
		return;
	m->has_id = true;
	m->id = r->id;
	m->code = arena_str(&pg->a, r->code);
	m->name = arena_str(&pg->a, r->name);
	m->level = (Luoshi__V1__Level)enum_value(&levels, r->level);
	m->has_level = m->level != 0;
	m->category = (Luoshi__V1__Category)enum_value(&categories, r->category);
	m->has_category = m->category != 0;
	m->stage = (Luoshi__V1__Stage)enum_value(&stages, r->stage);
	m->has_stage = m->stage != 0;
	m->lead_leader_code = arena_str(&pg->a, r->leader_code);
	m->lead_leader_name = arena_str(&pg->a, r->leader_name);
	if (r->leader_title != NULL && r->leader_title[0] != '\0')
		m->lead_leader_title = arena_str(&pg->a, r->leader_title);
	m->lead_unit_code = arena_str(&pg->a, r->lead_unit_code);
	m->lead_unit_name = arena_str(&pg->a, r->lead_unit_name);
	m->town_code = arena_str(&pg->a, r->town_code);
	m->town_name = arena_str(&pg->a, r->town_name);
	m->has_total_investment = true;
	m->total_investment = r->total_investment;
	m->planned_start = arena_str(&pg->a, r->planned_start);
	m->planned_finish = arena_str(&pg->a, r->planned_finish);
	if (!vec_push(&pg->listed, m))
		pg->a.failed = true;
}

static void contributing_unit(void *arg, const char *code, const char *name)
{
	page *pg = arg;
	if (!vec_push(&pg->units, arena_str(&pg->a, code)) ||
	    !vec_push(&pg->units, arena_str(&pg->a, name)))
		pg->a.failed = true;
}

static void plan_month(void *arg, int month, int64_t planned)
{
	page *pg = arg;
	if (month < 1 || month > 12)
		return;
	pg->plan[month] = planned;
	pg->has_plan[month] = true;
	Luoshi__V1__PlanMonthRow *m =
	    NEW(pg, Luoshi__V1__PlanMonthRow, LUOSHI__V1__PLAN_MONTH_ROW__INIT);
	if (m == NULL)
		return;
	m->project_code = pg->p->code;
	m->project_name = pg->p->name;
	m->has_month = true;
	m->month = month;
	m->has_planned = true;
	m->planned = planned;
	add_row(pg, &pg->plan_months, &m->base);
}

/* A node as of the day: done only when done by then. */
static Luoshi__V1__NodeStatus node_status(const page *pg, const srv_export_node *n, bool *done)
{
	*done = n->done_date != NULL && strcmp(n->done_date, pg->as_of) <= 0;
	if (*done)
		return strcmp(n->done_date, n->due_date) > 0
		           ? LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE_LATE
		           : LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE;
	return strcmp(n->due_date, pg->as_of) < 0 ? LUOSHI__V1__NODE_STATUS__NODE_STATUS_OVERDUE
	                                          : LUOSHI__V1__NODE_STATUS__NODE_STATUS_PENDING;
}

static void node(void *arg, const srv_export_node *n)
{
	page *pg = arg;
	bool done;
	Luoshi__V1__NodeStatus status = node_status(pg, n, &done);
	Luoshi__V1__PlanNodeRow *m =
	    NEW(pg, Luoshi__V1__PlanNodeRow, LUOSHI__V1__PLAN_NODE_ROW__INIT);
	Luoshi__V1__DivisionRow *d =
	    NEW(pg, Luoshi__V1__DivisionRow, LUOSHI__V1__DIVISION_ROW__INIT);
	if (m == NULL || d == NULL)
		return;
	m->project_code = pg->p->code;
	m->project_name = pg->p->name;
	m->has_node_id = true;
	m->node_id = n->id;
	m->name = arena_str(&pg->a, n->name);
	m->due_date = arena_str(&pg->a, n->due_date);
	if (done)
		m->done_date = arena_str(&pg->a, n->done_date);
	m->has_status = true;
	m->status = status;
	m->owner_unit_code = arena_str(&pg->a, n->owner_code);
	m->owner_unit_name = arena_str(&pg->a, n->owner_name);
	add_row(pg, &pg->plan_nodes, &m->base);

	d->unit_code = m->owner_unit_code;
	d->unit_name = m->owner_unit_name;
	d->project_code = pg->p->code;
	d->project_name = pg->p->name;
	d->has_kind = true;
	d->kind = LUOSHI__V1__ITEM_KIND__ITEM_KIND_NODE;
	d->has_item_id = true;
	d->item_id = n->id;
	d->item = m->name;
	d->due_date = m->due_date;
	d->has_node_status = true;
	d->node_status = status;
	d->has_overdue = true;
	d->overdue = status == LUOSHI__V1__NODE_STATUS__NODE_STATUS_OVERDUE;
	add_row(pg, &pg->division, &d->base);
}

static void task(void *arg, const srv_export_task *t)
{
	page *pg = arg;
	Luoshi__V1__TaskRow *m = NEW(pg, Luoshi__V1__TaskRow, LUOSHI__V1__TASK_ROW__INIT);
	Luoshi__V1__DivisionRow *d =
	    NEW(pg, Luoshi__V1__DivisionRow, LUOSHI__V1__DIVISION_ROW__INIT);
	Luoshi__V1__ResponsibilityRow *r =
	    NEW(pg, Luoshi__V1__ResponsibilityRow, LUOSHI__V1__RESPONSIBILITY_ROW__INIT);
	if (m == NULL || d == NULL || r == NULL)
		return;
	/* A task done after the as-of day was still open on it. */
	Luoshi__V1__TaskStatus status = LUOSHI__V1__TASK_STATUS__TASK_OPEN;
	bool done_by = t->done_date == NULL || strcmp(t->done_date, pg->as_of) <= 0;
	if (strcmp(t->status, "cancelled") == 0)
		status = LUOSHI__V1__TASK_STATUS__TASK_CANCELLED;
	else if (strcmp(t->status, "done") == 0 && done_by)
		status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	bool overdue =
	    status == LUOSHI__V1__TASK_STATUS__TASK_OPEN && strcmp(t->due_date, pg->as_of) < 0;

	m->project_code = pg->p->code;
	m->project_name = pg->p->name;
	m->has_task_id = true;
	m->task_id = t->id;
	m->description = arena_str(&pg->a, t->description);
	m->due_date = arena_str(&pg->a, t->due_date);
	m->has_status = true;
	m->status = status;
	if (status == LUOSHI__V1__TASK_STATUS__TASK_DONE)
		m->done_date = arena_str(&pg->a, t->done_date);
	m->has_overdue = true;
	m->overdue = overdue;
	m->unit_code = arena_str(&pg->a, t->unit_code);
	m->unit_name = arena_str(&pg->a, t->unit_name);
	m->person_code = arena_str(&pg->a, t->person_code);
	m->person_name = arena_str(&pg->a, t->person_name);
	add_row(pg, &pg->tasks, &m->base);

	d->unit_code = m->unit_code;
	d->unit_name = m->unit_name;
	d->project_code = pg->p->code;
	d->project_name = pg->p->name;
	d->has_kind = true;
	d->kind = LUOSHI__V1__ITEM_KIND__ITEM_KIND_TASK;
	d->has_item_id = true;
	d->item_id = t->id;
	d->item = m->description;
	d->due_date = m->due_date;
	d->has_task_status = true;
	d->task_status = status;
	d->has_overdue = true;
	d->overdue = overdue;
	add_row(pg, &pg->division, &d->base);

	r->project_code = pg->p->code;
	r->project_name = pg->p->name;
	r->has_kind = true;
	r->kind = LUOSHI__V1__ITEM_KIND__ITEM_KIND_TASK;
	r->has_item_id = true;
	r->item_id = t->id;
	r->item = m->description;
	r->lead_leader_code = pg->p->lead_leader_code;
	r->lead_leader_name = pg->p->lead_leader_name;
	r->lead_leader_title = pg->p->lead_leader_title;
	r->unit_code = m->unit_code;
	r->unit_name = m->unit_name;
	r->town_code = pg->p->town_code;
	r->town_name = pg->p->town_name;
	r->person_code = m->person_code;
	r->person_name = m->person_name;
	if (t->person_title != NULL && t->person_title[0] != '\0')
		r->person_title = arena_str(&pg->a, t->person_title);
	add_row(pg, &pg->responsibility, &r->base);
}

static void update(void *arg, const srv_export_update *u)
{
	page *pg = arg;
	Luoshi__V1__ProgressRow *m =
	    NEW(pg, Luoshi__V1__ProgressRow, LUOSHI__V1__PROGRESS_ROW__INIT);
	if (m == NULL)
		return;
	m->project_code = pg->p->code;
	m->project_name = pg->p->name;
	m->has_kind = true;
	m->kind = LUOSHI__V1__PROGRESS_ROW_KIND__PROGRESS_ROW_KIND_PERIOD;
	m->period = arena_str(&pg->a, u->period);
	m->has_month = true;
	m->month = u->month;
	m->period_first = arena_str(&pg->a, u->period_first);
	m->period_last = arena_str(&pg->a, u->period_last);
	m->has_revision = true;
	m->revision = (uint32_t)u->revision;
	m->unit_code = arena_str(&pg->a, u->unit_code);
	m->unit_name = arena_str(&pg->a, u->unit_name);
	m->submitted_at = arena_str(&pg->a, u->submitted_at);
	m->has_invested = true;
	m->invested = u->invested;
	m->has_output = u->has_output;
	m->output = u->output;
	m->has_percent = true;
	m->percent = (uint32_t)u->percent;
	m->progress = arena_str(&pg->a, u->progress);
	if (!vec_push(&pg->updates, m))
		pg->a.failed = true;
}

/* The month row of month: its periods (updates[from, to)) summed against
 * its plan. */
static void month_row(page *pg, int month, size_t from, size_t to)
{
	Luoshi__V1__ProgressRow *m =
	    NEW(pg, Luoshi__V1__ProgressRow, LUOSHI__V1__PROGRESS_ROW__INIT);
	char *period = arena_alloc(&pg->a, 8), *first = arena_alloc(&pg->a, 11),
	     *last = arena_alloc(&pg->a, 11);
	if (m == NULL || period == NULL || first == NULL || last == NULL)
		return;
	int32_t d0 = ls_days_from_civil(pg->year, month, 1);
	int32_t d1 = month == 12 ? ls_days_from_civil(pg->year + 1, 1, 1) - 1
	                         : ls_days_from_civil(pg->year, month + 1, 1) - 1;
	snprintf(period, 8, "%04d-%02d", pg->year, month);
	ls_date_format(d0, first);
	ls_date_format(d1, last);
	m->project_code = pg->p->code;
	m->project_name = pg->p->name;
	m->has_kind = true;
	m->kind = LUOSHI__V1__PROGRESS_ROW_KIND__PROGRESS_ROW_KIND_MONTH;
	m->period = period;
	m->has_month = true;
	m->month = month;
	m->period_first = first;
	m->period_last = last;
	m->has_invested = true;
	for (size_t i = from; i < to; i++) {
		const Luoshi__V1__ProgressRow *u = pg->updates.items[i];
		m->invested += u->invested;
		if (u->has_output) {
			m->has_output = true;
			m->output += u->output;
		}
		m->has_percent = true;
		m->percent = u->percent;
	}
	m->has_reports = true;
	m->reports = (uint32_t)(to - from);
	m->has_planned = pg->has_plan[month];
	m->planned = pg->plan[month];
	add_row(pg, &pg->progress, &m->base);
}

/* Emits the period rows, each month's followed by its month row; a month
 * with a plan and no report up to the as-of month gets its row too. */
static void progress_rows(page *pg)
{
	size_t i = 0;
	for (int month = 1; month <= 12; month++) {
		size_t from = i;
		while (i < pg->updates.n &&
		       ((Luoshi__V1__ProgressRow *)pg->updates.items[i])->month <= month) {
			add_row(pg, &pg->progress, pg->updates.items[i]);
			i++;
		}
		if (i > from || (pg->has_plan[month] && month <= pg->month))
			month_row(pg, month, from, i);
	}
}

/* Fills every table with project p's rows. */
static int fill_project(srv_call *c, page *pg, Luoshi__V1__ExportProject *p)
{
	srv_store *s = c->srv->store;
	pg->p = p;
	pg->units.n = 0;
	pg->updates.n = 0;
	memset(pg->plan, 0, sizeof pg->plan);
	memset(pg->has_plan, 0, sizeof pg->has_plan);

	if (srv_store_export_plan(s, p->id, pg->year, plan_month, pg, &c->status) < 0 ||
	    srv_store_export_units(s, p->id, contributing_unit, pg, &c->status) < 0)
		return c->status.code;
	p->has_year_plan = true;
	for (int m = 1; m <= 12; m++)
		p->year_plan += pg->plan[m];
	add_row(pg, &pg->projects, &p->base);

	/* The project's own responsibility row comes before its tasks'. */
	Luoshi__V1__ResponsibilityRow *r =
	    NEW(pg, Luoshi__V1__ResponsibilityRow, LUOSHI__V1__RESPONSIBILITY_ROW__INIT);
	size_t n = pg->units.n / 2;
	char **codes = arena_alloc(&pg->a, (n + 1) * sizeof *codes);
	char **names = arena_alloc(&pg->a, (n + 1) * sizeof *names);
	if (r == NULL || codes == NULL || names == NULL)
		return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		codes[i] = pg->units.items[2 * i];
		names[i] = pg->units.items[2 * i + 1];
	}
	r->project_code = p->code;
	r->project_name = p->name;
	r->has_kind = true;
	r->kind = LUOSHI__V1__ITEM_KIND__ITEM_KIND_PROJECT;
	r->lead_leader_code = p->lead_leader_code;
	r->lead_leader_name = p->lead_leader_name;
	r->lead_leader_title = p->lead_leader_title;
	r->unit_code = p->lead_unit_code;
	r->unit_name = p->lead_unit_name;
	r->n_contributing_unit_codes = n;
	r->contributing_unit_codes = codes;
	r->n_contributing_unit_names = n;
	r->contributing_unit_names = names;
	r->town_code = p->town_code;
	r->town_name = p->town_name;
	add_row(pg, &pg->responsibility, &r->base);

	if (srv_store_export_nodes(s, p->id, node, pg, &c->status) < 0 ||
	    srv_store_export_tasks(s, p->id, task, pg, &c->status) < 0 ||
	    srv_store_export_updates(s, p->id, pg->year, pg->as_of, update, pg, &c->status) < 0)
		return c->status.code;
	progress_rows(pg);
	if (pg->a.failed)
		return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	return LS_OK;
}

/* The lengths of the tables, to take a project back out of the page. */
typedef struct marks {
	size_t n[7];
	size_t bytes;
} marks;

static void tables(page *pg, vec *t[7])
{
	t[0] = &pg->projects;
	t[1] = &pg->plan_nodes;
	t[2] = &pg->plan_months;
	t[3] = &pg->tasks;
	t[4] = &pg->division;
	t[5] = &pg->responsibility;
	t[6] = &pg->progress;
}

static void page_free(page *pg)
{
	vec *t[7];
	tables(pg, t);
	for (int i = 0; i < 7; i++)
		free(t[i]->items);
	free(pg->units.items);
	free(pg->updates.items);
	free(pg->listed.items);
	arena_free(&pg->a);
}

static void export_export_tables(Luoshi__V1__ExportService_Service *svc,
                                 const Luoshi__V1__ExportTablesRequest *in,
                                 Luoshi__V1__ExportTablesResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	/* Viewers read aggregates only, and these are project rows. */
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_LEADER, SRV_ROLE_TOWN, SRV_ROLE_DEPARTMENT,
	                     SRV_ROLE_INSPECTOR, SRV_ROLE_DISCIPLINE, SRV_ROLE_NONE) != LS_OK)
		return;
	page pg;
	memset(&pg, 0, sizeof pg);
	int32_t day = ls_today();
	if (in->as_of != NULL && in->as_of[0] != '\0' && !ls_date_parse(in->as_of, &day)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "as_of", "as_of must be a real date YYYY-MM-DD");
		return;
	}
	int d;
	ls_date_format(day, pg.as_of);
	ls_civil_from_days(day, &pg.year, &pg.month, &d);

	srv_export_filter f = {0};
	if (filter_enum(c, &levels, in->has_level, (int)in->level, &f.level) != LS_OK ||
	    filter_enum(c, &categories, in->has_category, (int)in->category, &f.category) !=
	        LS_OK ||
	    filter_enum(c, &stages, in->has_stage, (int)in->stage, &f.stage) != LS_OK ||
	    filter_ref(c, SRV_UNIT, in->town, "town", &f.town_id) != LS_OK ||
	    filter_ref(c, SRV_PERSON, in->leader, "leader", &f.leader_id) != LS_OK ||
	    filter_ref(c, SRV_UNIT, in->unit, "unit", &f.unit_id) != LS_OK)
		return;
	/* Bounded before the cast: a page_size past INT_MAX is no negative
	 * size. */
	int size = in->has_page_size && in->page_size > 0
	               ? (int)(in->page_size > PAGE_MAX ? PAGE_MAX : in->page_size)
	               : PAGE_DEFAULT;
	int64_t after = 0;
	if (in->page_token != NULL && in->page_token[0] != '\0') {
		char *end;
		long long v = strtoll(in->page_token, &end, 10);
		if (*end != '\0' || v < 0) {
			srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
			         "page_token is not one this server gave");
			return;
		}
		after = v;
	}

	const srv_scope *sc = srv_call_scope(c);
	int64_t total = srv_store_export_count(c->srv->store, sc, &f, &c->status);
	if (total < 0)
		return;
	/* One project more than asked tells whether another page follows. */
	if (srv_store_export_projects(c->srv->store, sc, &f, after, size + 1, listed_project, &pg,
	                              &c->status) < 0)
		goto out;
	if (pg.a.failed) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	size_t shown = 0;
	bool more = pg.listed.n > (size_t)size;
	size_t want = more ? (size_t)size : pg.listed.n;
	vec *t[7];
	tables(&pg, t);
	for (; shown < want; shown++) {
		marks mk;
		for (int i = 0; i < 7; i++)
			mk.n[i] = t[i]->n;
		mk.bytes = pg.bytes;
		if (fill_project(c, &pg, pg.listed.items[shown]) != LS_OK)
			goto out;
		if (shown > 0 && pg.bytes > PAGE_BYTES) {
			/* Too much for one reply: this project starts the next page. */
			for (int i = 0; i < 7; i++)
				t[i]->n = mk.n[i];
			pg.bytes = mk.bytes;
			more = true;
			break;
		}
	}

	Luoshi__V1__ExportTablesResponse out = LUOSHI__V1__EXPORT_TABLES_RESPONSE__INIT;
	out.as_of = pg.as_of;
	out.has_year = true;
	out.year = pg.year;
	out.has_total_projects = true;
	out.total_projects = (uint32_t)total;
	out.n_projects = pg.projects.n;
	out.projects = (Luoshi__V1__ExportProject **)pg.projects.items;
	out.n_plan_nodes = pg.plan_nodes.n;
	out.plan_nodes = (Luoshi__V1__PlanNodeRow **)pg.plan_nodes.items;
	out.n_plan_months = pg.plan_months.n;
	out.plan_months = (Luoshi__V1__PlanMonthRow **)pg.plan_months.items;
	out.n_tasks = pg.tasks.n;
	out.tasks = (Luoshi__V1__TaskRow **)pg.tasks.items;
	out.n_division = pg.division.n;
	out.division = (Luoshi__V1__DivisionRow **)pg.division.items;
	out.n_responsibility = pg.responsibility.n;
	out.responsibility = (Luoshi__V1__ResponsibilityRow **)pg.responsibility.items;
	out.n_progress = pg.progress.n;
	out.progress = (Luoshi__V1__ProgressRow **)pg.progress.items;
	char next[24];
	if (more && shown > 0) {
		const Luoshi__V1__ExportProject *last = pg.listed.items[shown - 1];
		snprintf(next, sizeof next, "%" PRId64, last->id);
		out.next_page_token = next;
	}
	done(&out, arg);
out:
	page_free(&pg);
}

static Luoshi__V1__ExportService_Service service = LUOSHI__V1__EXPORT_SERVICE__INIT(export_);

ProtobufCService *srv_export_service(void)
{
	return &service.base;
}
