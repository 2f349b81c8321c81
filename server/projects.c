/* ProjectService: the key projects and their monthly investment plans.
 *
 * Only an admin writes, and only within its own scope: the projects, units
 * and people of its district (or city). Everyone reads what its scope lets
 * it see; a project outside it answers NOT_FOUND to reads, so that its
 * existence is not revealed, and PERMISSION_DENIED to writes. Nothing is
 * deleted: a project is archived. */
#include "luoshi/v1/project.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "server.h"
#include "store/projects.h"

#define CODE_MAX_BYTES 32
#define NAME_MAX_BYTES 200
#define MONEY_MAX 1000000000LL
/* 1,000 万元 = 10 million yuan: the fast lane of approvals (DOMAIN.md). */
#define FAST_TRACK_FROM 1000
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define YEAR_MIN 2000
#define YEAR_MAX 2100

/* ---- enumerations: the API's numbers, the schema's text ------------------------ */

static const char *const level_names[] = {
    [LUOSHI__V1__LEVEL__LEVEL_CITY] = "city",
    [LUOSHI__V1__LEVEL__LEVEL_DISTRICT] = "district",
    [LUOSHI__V1__LEVEL__LEVEL_TOWN] = "town",
};
static const char *const category_names[] = {
    [LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL] = "industrial",
    [LUOSHI__V1__CATEGORY__CATEGORY_PLATFORM] = "platform",
    [LUOSHI__V1__CATEGORY__CATEGORY_INFRASTRUCTURE] = "infrastructure",
    [LUOSHI__V1__CATEGORY__CATEGORY_LIVELIHOOD] = "livelihood",
    [LUOSHI__V1__CATEGORY__CATEGORY_SPECIAL_TASK] = "special_task",
};
static const char *const stage_names[] = {
    [LUOSHI__V1__STAGE__STAGE_NEW] = "new",
    [LUOSHI__V1__STAGE__STAGE_CONTINUING] = "continuing",
};
static const char *const frequency_names[] = {
    [LUOSHI__V1__FREQUENCY__FREQUENCY_WEEKLY] = "weekly",
    [LUOSHI__V1__FREQUENCY__FREQUENCY_MONTHLY] = "monthly",
};

typedef struct enum_names {
	const char *const *names;
	int n;
	const char *field;
	const char *valid; /* for messages */
} enum_names;

#define ENUM_NAMES(a, field, valid)                            \
	{                                                      \
		a, (int)(sizeof a / sizeof a[0]), field, valid \
	}

static const enum_names levels = ENUM_NAMES(level_names, "level", "city, district or town");
static const enum_names categories = ENUM_NAMES(
    category_names, "category", "industrial, platform, infrastructure, livelihood or special task");
static const enum_names stages = ENUM_NAMES(stage_names, "stage", "new or continuing");
static const enum_names frequencies = ENUM_NAMES(frequency_names, "frequency", "weekly or monthly");

/* The schema's text of value v, or NULL when v is UNSPECIFIED or unknown. */
static const char *enum_text(const enum_names *e, int v)
{
	return v > 0 && v < e->n ? e->names[v] : NULL;
}

static int enum_value(const enum_names *e, const char *text)
{
	for (int i = 1; i < e->n; i++)
		if (strcmp(e->names[i], text) == 0)
			return i;
	return 0;
}

/* Fails the call unless v is a value of e (UNSPECIFIED is "missing"). */
static int check_enum(srv_call *c, const enum_names *e, int v)
{
	if (v == 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, e->field, "%s is required: %s", e->field,
		                e->valid);
	if (enum_text(e, v) == NULL)
		return srv_fail(c, LS_INVALID_ARGUMENT, e->field, "%s %d is unknown: give %s",
		                e->field, v, e->valid);
	return LS_OK;
}

/* ---- messages --------------------------------------------------------------- */

typedef struct project_msg {
	Luoshi__V1__Project m;
	char *units[SRV_PROJECT_MAX_UNITS];
} project_msg;

/* Fills out from p; out points into p, so p must outlive it. */
static void to_proto(const srv_project *p, project_msg *out)
{
	Luoshi__V1__Project *m = &out->m;
	luoshi__v1__project__init(m);
	m->has_id = true;
	m->id = p->id;
	m->code = (char *)p->code;
	m->name = (char *)p->name;
	m->has_level = true;
	m->level = (Luoshi__V1__Level)enum_value(&levels, p->level);
	m->has_category = true;
	m->category = (Luoshi__V1__Category)enum_value(&categories, p->category);
	m->has_stage = true;
	m->stage = (Luoshi__V1__Stage)enum_value(&stages, p->stage);
	m->lead_leader_code = (char *)p->leader_code;
	m->lead_leader_name = (char *)p->leader_name;
	m->lead_unit_code = (char *)p->lead_unit_code;
	m->lead_unit_name = (char *)p->lead_unit_name;
	for (int i = 0; i < p->n_units; i++)
		out->units[i] = (char *)p->unit_codes[i];
	m->n_contributing_unit_codes = (size_t)p->n_units;
	m->contributing_unit_codes = out->units;
	if (p->town_id > 0) {
		m->town_code = (char *)p->town_code;
		m->town_name = (char *)p->town_name;
	}
	m->has_total_investment = true;
	m->total_investment = p->total_investment;
	m->has_frequency = true;
	m->frequency = (Luoshi__V1__Frequency)enum_value(&frequencies, p->frequency);
	m->planned_start = (char *)p->planned_start;
	m->planned_finish = (char *)p->planned_finish;
	m->has_land_clearance = true;
	m->land_clearance = p->land_clearance;
	m->has_fast_track = true;
	m->fast_track = p->fast_track;
	m->has_fast_track_set = true;
	m->fast_track_set = p->fast_track_set;
	m->has_archived = true;
	m->archived = p->archived;
	m->created_at = (char *)p->created_at;
}

/* ---- checks ----------------------------------------------------------------- */

static bool code_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CODE_MAX_BYTES)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* A lead leader is one person: a list of names is refused before it is
 * looked up, so that "张三、李四" cannot slip through as one odd name. */
static bool names_several(const char *s)
{
	static const char *const separators[] = {
	    ",", "\xef\xbc\x8c" /* ， */, "\xe3\x80\x81" /* 、 */, ";", "\xef\xbc\x9b" /* ； */};
	for (size_t i = 0; i < sizeof separators / sizeof separators[0]; i++)
		if (strstr(s, separators[i]) != NULL)
			return true;
	return false;
}

/* Resolves a unit the request names; fails the call unless it is active
 * and lies within the caller's scope. */
static int resolve_unit(srv_call *c, const char *ref, const char *field, int64_t *id)
{
	srv_store *store = c->srv->store;
	if (srv_store_resolve(store, SRV_UNIT, ref, field, id, &c->status) != LS_OK)
		return c->status.code;
	if (!srv_store_unit_within(store, *id, srv_call_scope(c)->root))
		return srv_fail(c, LS_PERMISSION_DENIED, field,
		                "%s: unit %s lies outside your scope", field, ref);
	return LS_OK;
}

static int resolve_leader(srv_call *c, const char *ref, int64_t *id)
{
	srv_store *store = c->srv->store;
	if (names_several(ref))
		return srv_fail(c, LS_INVALID_ARGUMENT, "lead_leader",
		                "lead_leader: a project has exactly one lead leader, not \"%s\"",
		                ref);
	if (srv_store_resolve(store, SRV_PERSON, ref, "lead_leader", id, &c->status) != LS_OK)
		return c->status.code;
	int64_t unit;
	if (srv_store_projects_person_unit(store, *id, &unit, &c->status) != LS_OK) {
		if (c->status.code == LS_OK)
			srv_fail(c, LS_INTERNAL, NULL, "person %s cannot be read back", ref);
		return c->status.code;
	}
	if (!srv_store_unit_within(store, unit, srv_call_scope(c)->root))
		return srv_fail(c, LS_PERMISSION_DENIED, "lead_leader",
		                "lead_leader: %s belongs to a unit outside your scope", ref);
	return LS_OK;
}

static int resolve_town(srv_call *c, const char *ref, int64_t *id)
{
	if (resolve_unit(c, ref, "town", id) != LS_OK)
		return c->status.code;
	char kind[16];
	if (srv_store_projects_unit_kind(c->srv->store, *id, kind, &c->status) != LS_OK) {
		if (c->status.code == LS_OK)
			srv_fail(c, LS_INTERNAL, NULL, "unit %s cannot be read back", ref);
		return c->status.code;
	}
	if (strcmp(kind, "town") != 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, "town",
		                "town: %s is a unit of kind %s, not a town or street", ref, kind);
	return LS_OK;
}

static int check_date(srv_call *c, const char *field, const char *v, char *out, size_t n)
{
	int32_t days;
	if (!ls_date_parse(v, &days))
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: \"%s\" is not a date (YYYY-MM-DD)", field, v);
	char buf[11];
	ls_date_format(days, buf);
	snprintf(out, n, "%s", buf);
	return LS_OK;
}

static int check_money(srv_call *c, const char *field, int64_t v)
{
	if (v < 0 || v > MONEY_MAX)
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: %" PRId64 " is outside 0 to %lld (万元)", field, v, MONEY_MAX);
	return LS_OK;
}

/* ---- creating and changing a project ---------------------------------------- */

/* What a create or an update asks for; NULL strings and false has_ flags
 * leave a value as it is. */
typedef struct changes {
	const char *name;
	bool has_level, has_category, has_stage, has_frequency;
	int level, category, stage, frequency;
	const char *lead_leader;
	const char *lead_unit;
	bool set_units;
	size_t n_units;
	char **units;
	const char *town; /* "" on update: no town any more */
	bool has_total;
	int64_t total;
	const char *planned_start, *planned_finish;
	bool has_land_clearance, land_clearance;
	bool has_fast_track, fast_track;
	bool fast_track_auto;
} changes;

/* Applies ch to p, checking every value and then the project as a whole.
 * creating: p is new, and what a project must have is required. Sets
 * *leader_changed when the lead leader is another person than before.
 * Fails the call at the first fault. */
static int apply(srv_call *c, const changes *ch, bool creating, srv_project *p,
                 bool *leader_changed)
{
	*leader_changed = false;
	if (ch->name != NULL || creating) {
		if (!given(ch->name))
			return srv_fail(c, LS_INVALID_ARGUMENT, "name", "name is required");
		if (strlen(ch->name) > NAME_MAX_BYTES)
			return srv_fail(c, LS_INVALID_ARGUMENT, "name",
			                "name is longer than %d bytes", NAME_MAX_BYTES);
		snprintf(p->name, sizeof p->name, "%s", ch->name);
	}
	const struct {
		const enum_names *e;
		bool has;
		int v;
		char *dst;
	} enums[] = {
	    {&levels, ch->has_level, ch->level, p->level},
	    {&categories, ch->has_category, ch->category, p->category},
	    {&stages, ch->has_stage, ch->stage, p->stage},
	};
	for (size_t i = 0; i < sizeof enums / sizeof enums[0]; i++) {
		if (!enums[i].has && !creating)
			continue;
		if (check_enum(c, enums[i].e, enums[i].has ? enums[i].v : 0) != LS_OK)
			return c->status.code;
		snprintf(enums[i].dst, sizeof p->level, "%s", enum_text(enums[i].e, enums[i].v));
	}

	if (ch->lead_leader != NULL || creating) {
		if (!given(ch->lead_leader))
			return srv_fail(c, LS_INVALID_ARGUMENT, "lead_leader",
			                "lead_leader is required: the one leader who leads the "
			                "project");
		int64_t id;
		if (resolve_leader(c, ch->lead_leader, &id) != LS_OK)
			return c->status.code;
		*leader_changed = id != p->leader_id;
		p->leader_id = id;
	}
	if (ch->lead_unit != NULL || creating) {
		if (!given(ch->lead_unit))
			return srv_fail(c, LS_INVALID_ARGUMENT, "lead_unit",
			                "lead_unit is required: the responsible unit");
		if (resolve_unit(c, ch->lead_unit, "lead_unit", &p->lead_unit_id) != LS_OK)
			return c->status.code;
	}
	if (ch->set_units) {
		if (ch->n_units > SRV_PROJECT_MAX_UNITS)
			return srv_fail(c, LS_INVALID_ARGUMENT, "contributing_units",
			                "contributing_units: at most %d units",
			                SRV_PROJECT_MAX_UNITS);
		p->n_units = 0;
		for (size_t i = 0; i < ch->n_units; i++) {
			int64_t id;
			if (!given(ch->units[i]))
				return srv_fail(c, LS_INVALID_ARGUMENT, "contributing_units",
				                "contributing_units: an empty unit");
			if (resolve_unit(c, ch->units[i], "contributing_units", &id) != LS_OK)
				return c->status.code;
			for (int k = 0; k < p->n_units; k++)
				if (p->unit_ids[k] == id)
					return srv_fail(
					    c, LS_INVALID_ARGUMENT, "contributing_units",
					    "contributing_units: %s is given twice", ch->units[i]);
			p->unit_ids[p->n_units++] = id;
		}
	}
	if (given(ch->town)) {
		if (resolve_town(c, ch->town, &p->town_id) != LS_OK)
			return c->status.code;
	} else if (ch->town != NULL) {
		p->town_id = 0;
	}
	if (ch->has_total) {
		if (check_money(c, "total_investment", ch->total) != LS_OK)
			return c->status.code;
		p->total_investment = ch->total;
	} else if (creating) {
		return srv_fail(c, LS_INVALID_ARGUMENT, "total_investment",
		                "total_investment is required (万元)");
	}
	if (ch->has_frequency && ch->frequency != 0) {
		if (check_enum(c, &frequencies, ch->frequency) != LS_OK)
			return c->status.code;
		snprintf(p->frequency, sizeof p->frequency, "%s",
		         enum_text(&frequencies, ch->frequency));
	} else if (creating) {
		snprintf(p->frequency, sizeof p->frequency, "weekly");
	}
	const struct {
		const char *field, *v;
		char *dst;
	} dates[] = {
	    {"planned_start", ch->planned_start, p->planned_start},
	    {"planned_finish", ch->planned_finish, p->planned_finish},
	};
	for (size_t i = 0; i < 2; i++) {
		if (dates[i].v == NULL && !creating)
			continue;
		if (!given(dates[i].v))
			return srv_fail(c, LS_INVALID_ARGUMENT, dates[i].field,
			                "%s is required (YYYY-MM-DD)", dates[i].field);
		if (check_date(c, dates[i].field, dates[i].v, dates[i].dst,
		               sizeof p->planned_start) != LS_OK)
			return c->status.code;
	}
	if (ch->has_land_clearance)
		p->land_clearance = ch->land_clearance;
	if (ch->has_fast_track && ch->fast_track_auto)
		return srv_fail(c, LS_INVALID_ARGUMENT, "fast_track_auto",
		                "give fast_track or fast_track_auto, not both");
	if (ch->has_fast_track) {
		p->fast_track = ch->fast_track;
		p->fast_track_set = true;
	} else if (ch->fast_track_auto) {
		p->fast_track_set = false;
	}
	if (!p->fast_track_set)
		p->fast_track = p->total_investment >= FAST_TRACK_FROM;

	/* The project as a whole. */
	if (strcmp(p->planned_finish, p->planned_start) < 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, "planned_finish",
		                "planned_finish %s is before planned_start %s", p->planned_finish,
		                p->planned_start);
	if (strcmp(p->level, "town") == 0 && p->town_id == 0)
		return srv_fail(c, LS_INVALID_ARGUMENT, "town",
		                "town is required for a town-level project: the town or street it "
		                "stands in");
	for (int k = 0; k < p->n_units; k++)
		if (p->unit_ids[k] == p->lead_unit_id)
			return srv_fail(c, LS_INVALID_ARGUMENT,
			                ch->set_units ? "contributing_units" : "lead_unit",
			                "the lead unit cannot be a contributing unit too");
	return LS_OK;
}

/* Reads project id back after a write. */
static int read_back(srv_call *c, int64_t id, srv_project *p)
{
	if (srv_store_projects_get(c->srv->store, id, p, &c->status) == LS_OK)
		return LS_OK;
	if (c->status.code == LS_OK)
		srv_fail(c, LS_INTERNAL, NULL, "project %" PRId64 " cannot be read back", id);
	return c->status.code;
}

/* Finds the project a read names: NOT_FOUND both when there is none and
 * when the caller may not see it. */
static int find_for_read(srv_call *c, const char *ref, srv_project *p)
{
	if (!given(ref))
		return srv_fail(c, LS_INVALID_ARGUMENT, "project",
		                "project is required: its code or name");
	int64_t id;
	bool visible = false;
	int rc = srv_store_projects_find(c->srv->store, srv_call_scope(c), ref, "project", &id,
	                                 &visible, &c->status);
	if (rc != LS_OK && rc != LS_NOT_FOUND)
		return rc;
	if (rc == LS_NOT_FOUND || !visible)
		return srv_fail(c, LS_NOT_FOUND, "project",
		                "no project has the code or name \"%s\"", ref);
	return read_back(c, id, p);
}

/* Finds the project a write names: NOT_FOUND when there is none,
 * PERMISSION_DENIED outside the caller's scope, FAILED_PRECONDITION when
 * it is archived. */
static int find_for_write(srv_call *c, const char *ref, srv_project *p)
{
	if (!given(ref))
		return srv_fail(c, LS_INVALID_ARGUMENT, "project",
		                "project is required: its code or name");
	int64_t id;
	bool visible = false;
	int rc = srv_store_projects_find(c->srv->store, srv_call_scope(c), ref, "project", &id,
	                                 &visible, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, "project",
		                "no project has the code or name \"%s\"", ref);
	if (rc != LS_OK)
		return rc;
	if (!visible)
		return srv_fail(c, LS_PERMISSION_DENIED, "project",
		                "project %s lies outside your scope", ref);
	if (read_back(c, id, p) != LS_OK)
		return c->status.code;
	if (p->archived)
		return srv_fail(c, LS_FAILED_PRECONDITION, "project", "project %s is archived",
		                p->code);
	return LS_OK;
}

static void project_create_project(Luoshi__V1__ProjectService_Service *svc,
                                   const Luoshi__V1__CreateProjectRequest *in,
                                   Luoshi__V1__CreateProjectResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (!given(in->code)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "code", "code is required");
		return;
	}
	if (!code_valid(in->code)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "code",
		         "code: \"%s\" is not 1 to %d letters, digits, '_', '.' or '-'", in->code,
		         CODE_MAX_BYTES);
		return;
	}
	changes ch = {
	    .name = in->name,
	    .has_level = in->has_level,
	    .level = (int)in->level,
	    .has_category = in->has_category,
	    .category = (int)in->category,
	    .has_stage = in->has_stage,
	    .stage = (int)in->stage,
	    .has_frequency = in->has_frequency,
	    .frequency = (int)in->frequency,
	    .lead_leader = in->lead_leader,
	    .lead_unit = in->lead_unit,
	    .set_units = true,
	    .n_units = in->n_contributing_units,
	    .units = in->contributing_units,
	    .town = given(in->town) ? in->town : NULL,
	    .has_total = in->has_total_investment,
	    .total = in->total_investment,
	    .planned_start = in->planned_start,
	    .planned_finish = in->planned_finish,
	    .has_land_clearance = in->has_land_clearance,
	    .land_clearance = in->land_clearance,
	    .has_fast_track = in->has_fast_track,
	    .fast_track = in->fast_track,
	};
	srv_project p;
	memset(&p, 0, sizeof p);
	snprintf(p.code, sizeof p.code, "%s", in->code);
	bool leader_changed;
	if (apply(c, &ch, true, &p, &leader_changed) != LS_OK)
		return;
	int64_t id;
	if (srv_store_projects_by_code(store, p.code, &id, &c->status) == LS_OK) {
		srv_fail(c, LS_ALREADY_EXISTS, "code", "a project with code %s exists already",
		         p.code);
		return;
	}
	if (c->status.code != LS_OK)
		return;
	srv_now_iso(p.created_at);
	if (srv_store_projects_insert(store, &p, &id, &c->status) != LS_OK ||
	    srv_store_projects_leader_add(store, id, p.leader_id, p.created_at, c->caller->id,
	                                  &c->status) != LS_OK)
		return;
	srv_project after;
	if (read_back(c, id, &after) != LS_OK)
		return;
	project_msg m;
	to_proto(&after, &m);
	if (srv_audit(c, "project", id, id, NULL, &m.m.base) != LS_OK)
		return;
	Luoshi__V1__CreateProjectResponse out = LUOSHI__V1__CREATE_PROJECT_RESPONSE__INIT;
	out.project = &m.m;
	done(&out, arg);
}

static void project_update_project(Luoshi__V1__ProjectService_Service *svc,
                                   const Luoshi__V1__UpdateProjectRequest *in,
                                   Luoshi__V1__UpdateProjectResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_project before, p, after;
	if (find_for_write(c, in->project, &before) != LS_OK)
		return;
	changes ch = {
	    .name = in->name,
	    .has_level = in->has_level,
	    .level = (int)in->level,
	    .has_category = in->has_category,
	    .category = (int)in->category,
	    .has_stage = in->has_stage,
	    .stage = (int)in->stage,
	    .has_frequency = in->has_frequency,
	    .frequency = (int)in->frequency,
	    .lead_leader = in->lead_leader,
	    .lead_unit = in->lead_unit,
	    .set_units = (in->has_set_contributing_units && in->set_contributing_units) ||
	                 in->n_contributing_units > 0,
	    .n_units = in->n_contributing_units,
	    .units = in->contributing_units,
	    .town = in->town,
	    .has_total = in->has_total_investment,
	    .total = in->total_investment,
	    .planned_start = in->planned_start,
	    .planned_finish = in->planned_finish,
	    .has_land_clearance = in->has_land_clearance,
	    .land_clearance = in->land_clearance,
	    .has_fast_track = in->has_fast_track,
	    .fast_track = in->fast_track,
	    .fast_track_auto = in->has_fast_track_auto && in->fast_track_auto,
	};
	p = before;
	bool leader_changed;
	if (apply(c, &ch, false, &p, &leader_changed) != LS_OK)
		return;
	char now[32];
	srv_now_iso(now);
	if (srv_store_projects_update(store, &p, ch.set_units, &c->status) != LS_OK)
		return;
	if (leader_changed && srv_store_projects_leader_add(store, p.id, p.leader_id, now,
	                                                    c->caller->id, &c->status) != LS_OK)
		return;
	if (read_back(c, p.id, &after) != LS_OK)
		return;
	project_msg b, a;
	to_proto(&before, &b);
	to_proto(&after, &a);
	if (srv_audit(c, "project", p.id, p.id, &b.m.base, &a.m.base) != LS_OK)
		return;
	Luoshi__V1__UpdateProjectResponse out = LUOSHI__V1__UPDATE_PROJECT_RESPONSE__INIT;
	out.project = &a.m;
	done(&out, arg);
}

static void project_archive_project(Luoshi__V1__ProjectService_Service *svc,
                                    const Luoshi__V1__ArchiveProjectRequest *in,
                                    Luoshi__V1__ArchiveProjectResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_project before, p, after;
	if (find_for_write(c, in->project, &before) != LS_OK)
		return;
	p = before;
	p.archived = true;
	if (srv_store_projects_update(c->srv->store, &p, false, &c->status) != LS_OK ||
	    read_back(c, p.id, &after) != LS_OK)
		return;
	project_msg b, a;
	to_proto(&before, &b);
	to_proto(&after, &a);
	if (srv_audit(c, "project", p.id, p.id, &b.m.base, &a.m.base) != LS_OK)
		return;
	Luoshi__V1__ArchiveProjectResponse out = LUOSHI__V1__ARCHIVE_PROJECT_RESPONSE__INIT;
	out.project = &a.m;
	done(&out, arg);
}

/* ---- reading projects ---------------------------------------------------------- */

typedef struct leaders {
	srv_project_leader *rows;
	size_t n, cap;
	bool oom;
} leaders;

static void collect_leader(void *arg, const srv_project_leader *l)
{
	leaders *h = arg;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 8;
		srv_project_leader *rows = realloc(h->rows, cap * sizeof *rows);
		if (rows == NULL) {
			h->oom = true;
			return;
		}
		h->rows = rows;
		h->cap = cap;
	}
	h->rows[h->n++] = *l;
}

static void project_get_project(Luoshi__V1__ProjectService_Service *svc,
                                const Luoshi__V1__GetProjectRequest *in,
                                Luoshi__V1__GetProjectResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_project p;
	if (find_for_read(c, in->project, &p) != LS_OK)
		return;
	leaders h = {0};
	Luoshi__V1__LeaderChange *history = NULL, **ptrs = NULL;
	if (srv_store_projects_leaders(c->srv->store, p.id, collect_leader, &h, &c->status) < 0)
		goto out;
	history = calloc(h.n ? h.n : 1, sizeof *history);
	ptrs = calloc(h.n ? h.n : 1, sizeof *ptrs);
	if (h.oom || history == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < h.n; i++) {
		Luoshi__V1__LeaderChange *l = &history[i];
		luoshi__v1__leader_change__init(l);
		l->leader_code = h.rows[i].code;
		l->leader_name = h.rows[i].name;
		l->since = h.rows[i].since;
		if (h.rows[i].changed_by > 0) {
			l->has_changed_by = true;
			l->changed_by = h.rows[i].changed_by;
		}
		ptrs[i] = l;
	}
	project_msg m;
	to_proto(&p, &m);
	Luoshi__V1__GetProjectResponse resp = LUOSHI__V1__GET_PROJECT_RESPONSE__INIT;
	resp.project = &m.m;
	resp.n_leader_history = h.n;
	resp.leader_history = ptrs;
	done(&resp, arg);
out:
	free(h.rows);
	free(history);
	free(ptrs);
}

typedef struct page {
	srv_project *rows;
	int n, cap;
} page;

static void collect_project(void *arg, const srv_project *p)
{
	page *pg = arg;
	if (pg->n < pg->cap)
		pg->rows[pg->n++] = *p;
}

/* Resolves an optional filter that names a unit or person; 0 when absent. */
static int filter_ref(srv_call *c, srv_entity what, const char *ref, const char *field, int64_t *id)
{
	*id = 0;
	if (!given(ref))
		return LS_OK;
	return srv_store_resolve(c->srv->store, what, ref, field, id, &c->status);
}

/* Checks an optional enum filter; *text is NULL when it is absent. */
static int filter_enum(srv_call *c, const enum_names *e, bool has, int v, const char **text)
{
	*text = NULL;
	if (!has || v == 0)
		return LS_OK;
	if (enum_text(e, v) == NULL)
		return srv_fail(c, LS_INVALID_ARGUMENT, e->field, "%s %d is unknown: give %s",
		                e->field, v, e->valid);
	*text = enum_text(e, v);
	return LS_OK;
}

static void project_list_projects(Luoshi__V1__ProjectService_Service *svc,
                                  const Luoshi__V1__ListProjectsRequest *in,
                                  Luoshi__V1__ListProjectsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_project_filter f = {
	    .search = in->search,
	    .include_archived = in->has_include_archived && in->include_archived,
	};
	if (filter_enum(c, &levels, in->has_level, (int)in->level, &f.level) != LS_OK ||
	    filter_enum(c, &categories, in->has_category, (int)in->category, &f.category) !=
	        LS_OK ||
	    filter_enum(c, &stages, in->has_stage, (int)in->stage, &f.stage) != LS_OK ||
	    filter_ref(c, SRV_UNIT, in->town, "town", &f.town_id) != LS_OK ||
	    filter_ref(c, SRV_PERSON, in->leader, "leader", &f.leader_id) != LS_OK ||
	    filter_ref(c, SRV_UNIT, in->unit, "unit", &f.unit_id) != LS_OK)
		return;
	if (in->search != NULL && strlen(in->search) > NAME_MAX_BYTES) {
		srv_fail(c, LS_INVALID_ARGUMENT, "search", "search is longer than %d bytes",
		         NAME_MAX_BYTES);
		return;
	}
	/* Bounded before the cast: a page_size past INT_MAX is no negative
	 * size. */
	int size = in->has_page_size && in->page_size > 0
	               ? (int)(in->page_size > PAGE_MAX ? PAGE_MAX : in->page_size)
	               : PAGE_DEFAULT;
	int64_t after = 0;
	if (given(in->page_token)) {
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
	int64_t total = srv_store_projects_count(c->srv->store, sc, &f, &c->status);
	if (total < 0)
		return;
	/* One row more than asked tells whether another page follows. */
	page pg = {.cap = size + 1};
	pg.rows = malloc((size_t)pg.cap * sizeof *pg.rows);
	project_msg *msgs = malloc((size_t)pg.cap * sizeof *msgs);
	Luoshi__V1__Project **ptrs = malloc((size_t)pg.cap * sizeof *ptrs);
	if (pg.rows == NULL || msgs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_projects_list(c->srv->store, sc, &f, after, pg.cap, collect_project, &pg,
	                            &c->status) < 0)
		goto out;
	Luoshi__V1__ListProjectsResponse resp = LUOSHI__V1__LIST_PROJECTS_RESPONSE__INIT;
	int shown = pg.n > size ? size : pg.n;
	for (int i = 0; i < shown; i++) {
		to_proto(&pg.rows[i], &msgs[i]);
		ptrs[i] = &msgs[i].m;
	}
	resp.n_projects = (size_t)shown;
	resp.projects = ptrs;
	resp.has_total_count = true;
	resp.total_count = (uint32_t)total;
	char next[24];
	if (pg.n > size) {
		snprintf(next, sizeof next, "%" PRId64, pg.rows[size - 1].id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(pg.rows);
	free(msgs);
	free(ptrs);
}

/* ---- plans ------------------------------------------------------------------------ */

static void plan_proto(Luoshi__V1__PlanMonth *m, const char *code, int year, int month,
                       int64_t invested)
{
	luoshi__v1__plan_month__init(m);
	m->project_code = (char *)code;
	m->has_year = true;
	m->year = year;
	m->has_month = true;
	m->month = month;
	m->has_invested = true;
	m->invested = invested;
}

static int check_year(srv_call *c, bool has, int year)
{
	if (!has)
		return srv_fail(c, LS_INVALID_ARGUMENT, "year", "year is required");
	if (year < YEAR_MIN || year > YEAR_MAX)
		return srv_fail(c, LS_INVALID_ARGUMENT, "year", "year %d is outside %d to %d", year,
		                YEAR_MIN, YEAR_MAX);
	return LS_OK;
}

static void project_set_plan(Luoshi__V1__ProjectService_Service *svc,
                             const Luoshi__V1__SetPlanRequest *in,
                             Luoshi__V1__SetPlanResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	srv_project p;
	if (find_for_write(c, in->project, &p) != LS_OK)
		return;
	if (check_year(c, in->has_year, in->year) != LS_OK)
		return;
	if (!in->has_month || in->month < 1 || in->month > 12) {
		srv_fail(c, LS_INVALID_ARGUMENT, "month", "month is required: 1 to 12");
		return;
	}
	if (!in->has_invested) {
		srv_fail(c, LS_INVALID_ARGUMENT, "invested", "invested is required (万元)");
		return;
	}
	if (check_money(c, "invested", in->invested) != LS_OK)
		return;
	int64_t old;
	int rc = srv_store_projects_plan_get(store, p.id, in->year, in->month, &old, &c->status);
	if (rc != LS_OK && rc != LS_NOT_FOUND)
		return;
	if (srv_store_projects_plan_set(store, p.id, in->year, in->month, in->invested,
	                                &c->status) != LS_OK)
		return;
	Luoshi__V1__PlanMonth before, after;
	plan_proto(&before, p.code, in->year, in->month, rc == LS_OK ? old : 0);
	plan_proto(&after, p.code, in->year, in->month, in->invested);
	/* A plan month has no id of its own: the row is found by its project,
	 * and its year and month are in the before and after. */
	if (srv_audit(c, "plan", 0, p.id, rc == LS_OK ? &before.base : NULL, &after.base) != LS_OK)
		return;
	Luoshi__V1__SetPlanResponse out = LUOSHI__V1__SET_PLAN_RESPONSE__INIT;
	out.plan = &after;
	done(&out, arg);
}

typedef struct months {
	Luoshi__V1__PlanMonth *rows;
	size_t n, cap;
	const char *code;
	int64_t total;
	bool oom;
} months;

static void collect_month(void *arg, int year, int month, int64_t invested)
{
	months *ms = arg;
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? 2 * ms->cap : 12;
		Luoshi__V1__PlanMonth *rows = realloc(ms->rows, cap * sizeof *rows);
		if (rows == NULL) {
			ms->oom = true;
			return;
		}
		ms->rows = rows;
		ms->cap = cap;
	}
	plan_proto(&ms->rows[ms->n++], ms->code, year, month, invested);
	ms->total += invested;
}

static void project_list_plans(Luoshi__V1__ProjectService_Service *svc,
                               const Luoshi__V1__ListPlansRequest *in,
                               Luoshi__V1__ListPlansResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_project p;
	if (find_for_read(c, in->project, &p) != LS_OK)
		return;
	if (in->has_year && check_year(c, true, in->year) != LS_OK)
		return;
	months ms = {.code = p.code};
	Luoshi__V1__PlanMonth **ptrs = NULL;
	if (srv_store_projects_plan_list(c->srv->store, p.id, in->has_year ? in->year : 0,
	                                 collect_month, &ms, &c->status) < 0)
		goto out;
	ptrs = malloc((ms.n ? ms.n : 1) * sizeof *ptrs);
	if (ms.oom || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ms.n; i++)
		ptrs[i] = &ms.rows[i];
	Luoshi__V1__ListPlansResponse resp = LUOSHI__V1__LIST_PLANS_RESPONSE__INIT;
	resp.n_months = ms.n;
	resp.months = ptrs;
	if (in->has_year) {
		resp.has_year_total = true;
		resp.year_total = ms.total;
	}
	done(&resp, arg);
out:
	free(ms.rows);
	free(ptrs);
}

static Luoshi__V1__ProjectService_Service projects = LUOSHI__V1__PROJECT_SERVICE__INIT(project_);

ProtobufCService *srv_project_service(void)
{
	return &projects.base;
}
