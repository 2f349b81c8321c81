/* End to end: ProjectService and `luoshi project`/`luoshi plan`. Each
 * validation rule (INVALID_ARGUMENT naming the field, nothing written), the
 * fast-track rule, the leader history, filters and search with Chinese
 * names, paging, plans and their annual total, archiving, who may write
 * and who may read which rows, the audit log, and the command line.
 *
 * Each test gets a fresh luoshid whose database is seeded, before the
 * server starts, with the units and people below (straight into the
 * tables, so that these tests need no other service). Expected values are
 * worked out by hand from that data. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/project.pb-c.h"

#define M_CREATE "/luoshi.v1.ProjectService/CreateProject"
#define M_UPDATE "/luoshi.v1.ProjectService/UpdateProject"
#define M_GET "/luoshi.v1.ProjectService/GetProject"
#define M_LIST "/luoshi.v1.ProjectService/ListProjects"
#define M_ARCHIVE "/luoshi.v1.ProjectService/ArchiveProject"
#define M_SET_PLAN "/luoshi.v1.ProjectService/SetPlan"
#define M_LIST_PLANS "/luoshi.v1.ProjectService/ListPlans"

#define TOKEN_MAX 128

/* The root unit `luoshid init` makes is id 1, code "office", a district
 * office. Below it: two towns, two departments, a support group, an
 * inspection group and the discipline commission. OTHER is a second
 * district office beside it, with a town of its own: outside the first
 * admin's scope. */
static const char SEED[] = "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
                           " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
                           " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
                           " (4, 'FG', '区发改局', 'department', 1, '2026-01-01'),"
                           " (5, 'JS', '区住建局', 'department', 1, '2026-01-01'),"
                           " (6, 'ZQ', '征迁清零组', 'support_group', 1, '2026-01-01'),"
                           " (7, 'DC1', '第一督查组', 'inspection_group', 1, '2026-01-01'),"
                           " (8, 'JW', '区纪委', 'discipline', 1, '2026-01-01'),"
                           " (9, 'OTHER', '海曙区办公室', 'district', NULL, '2026-01-01'),"
                           " (10, 'OT', '石碶街道', 'town', 9, '2026-01-01');"
                           "INSERT INTO people(id, code, name, title, unit_id, created_at) VALUES"
                           " (1, 'L01', '王区长', '区长', 1, '2026-01-01'),"
                           " (2, 'L02', '李副区长', '副区长', 1, '2026-01-01'),"
                           " (3, 'L03', '陈副区长', '副区长', 1, '2026-01-01'),"
                           " (4, 'L09', '赵区长', '区长', 9, '2026-01-01');";

/* The admin of OTHER. The first admin may create accounts only within its
 * own district, so this one goes straight into the table, its token
 * hashed as the server hashes tokens (BLAKE2b-256, unkeyed). */
static const char OTHER_ADMIN_TOKEN[] = "ls_e2e-projects-admin-of-the-other-district";

/* ---- the server and its database ------------------------------------------------ */

static void seed_other_admin(e2e_db *db)
{
	uint8_t hash[32];
	assert_true(sodium_init() >= 0);
	crypto_generichash(hash, sizeof hash, (const uint8_t *)OTHER_ADMIN_TOKEN,
	                   strlen(OTHER_ADMIN_TOKEN), NULL, 0);
	srv_q *q =
	    e2e_db_prepare(db, "INSERT INTO accounts(name, role, unit_id, token_hash, "
	                       "created_at) VALUES ('海曙 admin', 'admin', 9, ?1, '2026-01-01')");
	srv_bind_blob(q, 1, hash, sizeof hash);
	e2e_db_step(q, SRV_DONE);
	e2e_db_finalize(q);
}

static int setup(void **state)
{
	e2e_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -1;
	if (e2e_server_init(s) != 0)
		goto fail;
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, SEED);
	e2e_db_ids_given(db);
	seed_other_admin(db);
	e2e_db_close(db);
	if (e2e_server_start(s, NULL) != 0)
		goto fail;
	*state = s;
	return 0;
fail:
	e2e_server_cleanup(s);
	free(s);
	return -1;
}

static int64_t db_int(const e2e_server *s, const char *sql, const char *p1)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t v = e2e_db_int(db, sql, p1, NULL);
	e2e_db_close(db);
	return v;
}

static int64_t count_projects(const e2e_server *s)
{
	return db_int(s, "SELECT count(*) FROM projects", NULL);
}

/* Everything a write of this service could change, as one text: the row
 * counts, every project column, every plan and contributing unit. Two
 * equal snapshots mean nothing was written. The caller frees it. */
static char *snapshot(const e2e_server *s)
{
	static const char sql[] =
	    "SELECT (SELECT count(*) FROM projects) || '|' || (SELECT count(*) FROM "
	    "project_leaders) || '|' || (SELECT count(*) FROM project_units) || '|' || "
	    "(SELECT count(*) FROM plans) || '|' || (SELECT count(*) FROM audit_log) || '|' || "
	    "coalesce((SELECT group_concat(x, ';') FROM (SELECT id || ',' || code || ',' || name "
	    "|| ',' || level || ',' || category || ',' || stage || ',' || lead_leader_id || ',' || "
	    "lead_unit_id || ',' || coalesce(CAST(town_id AS TEXT), '') || ',' || "
	    "total_investment || ',' || "
	    "frequency || ',' || planned_start || ',' || planned_finish || ',' || land_clearance "
	    "|| ',' || fast_track || ',' || fast_track_set || ',' || archived AS x FROM projects "
	    "ORDER BY id) AS p), '') || '|' || coalesce((SELECT group_concat(x, ';') FROM (SELECT "
	    "project_id || ',' || year || ',' || month || ',' || invested AS x FROM plans ORDER BY "
	    "1) AS l), '') || '|' || coalesce((SELECT group_concat(x, ';') FROM (SELECT project_id || "
	    "',' || unit_id AS x FROM project_units ORDER BY 1) AS u), '')";
	e2e_db *db = e2e_db_connect(s);
	srv_q *q = e2e_db_prepare(db, sql);
	e2e_db_step(q, SRV_ROW);
	char *text = strdup(srv_col_text(q, 0));
	e2e_db_finalize(q);
	e2e_db_close(db);
	assert_non_null(text);
	return text;
}

static void assert_unchanged(const e2e_server *s, const char *before, const char *what)
{
	char *now = snapshot(s);
	if (strcmp(now, before) != 0)
		fail_msg("%s wrote to the database:\nbefore %s\nafter  %s", what, before, now);
	free(now);
}

/* ---- requests ------------------------------------------------------------------- */

/* A project as the tests write it; NULL and 0 leave a field out. */
typedef struct proj {
	const char *code, *name;
	int level, category, stage;
	const char *leader, *unit, *town;
	const char *units[4]; /* contributing, NULL-terminated */
	int64_t total;
	const char *start, *finish;
} proj;

/* The AUX smart air-conditioner project: 21.89 亿元 = 2,189,000,000 yuan =
 * 218,900 万元 (DOMAIN.md). */
static const proj AUX = {
    .code = "AUX",
    .name = "奥克斯智能空调项目",
    .level = LUOSHI__V1__LEVEL__LEVEL_DISTRICT,
    .category = LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL,
    .stage = LUOSHI__V1__STAGE__STAGE_NEW,
    .leader = "王区长",
    .unit = "FG",
    .town = "XY",
    .units = {"JS", "ZQ"},
    .total = 218900,
    .start = "2026-01-05",
    .finish = "2027-12-31",
};

static void fill_create(Luoshi__V1__CreateProjectRequest *r, const proj *p)
{
	luoshi__v1__create_project_request__init(r);
	r->code = (char *)p->code;
	r->name = (char *)p->name;
	r->has_level = p->level != 0;
	r->level = (Luoshi__V1__Level)p->level;
	r->has_category = p->category != 0;
	r->category = (Luoshi__V1__Category)p->category;
	r->has_stage = p->stage != 0;
	r->stage = (Luoshi__V1__Stage)p->stage;
	r->lead_leader = (char *)p->leader;
	r->lead_unit = (char *)p->unit;
	r->town = (char *)p->town;
	size_t n = 0;
	while (n < 4 && p->units[n] != NULL)
		n++;
	r->n_contributing_units = n;
	r->contributing_units = (char **)p->units;
	r->has_total_investment = true;
	r->total_investment = p->total;
	r->planned_start = (char *)p->start;
	r->planned_finish = (char *)p->finish;
}

/* Creates p as the token's holder; returns the new id. */
static int64_t create_ok(luoshi_client *c, const proj *p)
{
	Luoshi__V1__CreateProjectRequest r;
	fill_create(&r, p);
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_CREATE, &r.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("CreateProject %s: %s %s: %s", p->code, ls_code_name(rc), st.field,
		         st.message);
	const Luoshi__V1__CreateProjectResponse *resp = (Luoshi__V1__CreateProjectResponse *)m;
	assert_non_null(resp->project);
	assert_true(resp->project->has_id);
	int64_t id = resp->project->id;
	protobuf_c_message_free_unpacked(m, NULL);
	return id;
}

/* Calls method expecting OK; returns the response (the caller frees it). */
static ProtobufCMessage *call_ok(luoshi_client *c, const char *method, const ProtobufCMessage *req)
{
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, method, req, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("%s: %s %s: %s", method, ls_code_name(rc), st.field, st.message);
	return m;
}

/* Calls method expecting code and, when field is not NULL, that field. */
static void call_fails(luoshi_client *c, const char *method, const ProtobufCMessage *req, int code,
                       const char *field)
{
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, method, req, NULL, &m, &st);
	if (rc == LS_OK)
		protobuf_c_message_free_unpacked(m, NULL);
	if (rc != code || (field != NULL && strcmp(st.field, field) != 0))
		fail_msg("%s: expected %s on field '%s', got %s on '%s': %s", method,
		         ls_code_name(code), field ? field : "", ls_code_name(rc), st.field,
		         st.message);
}

static Luoshi__V1__UpdateProjectResponse *update_ok(luoshi_client *c,
                                                    const Luoshi__V1__UpdateProjectRequest *r)
{
	return (Luoshi__V1__UpdateProjectResponse *)call_ok(c, M_UPDATE, &r->base);
}

static Luoshi__V1__GetProjectResponse *get_ok(luoshi_client *c, const char *ref)
{
	Luoshi__V1__GetProjectRequest r = LUOSHI__V1__GET_PROJECT_REQUEST__INIT;
	r.project = (char *)ref;
	return (Luoshi__V1__GetProjectResponse *)call_ok(c, M_GET, &r.base);
}

static void set_plan_ok(luoshi_client *c, const char *project, int year, int month,
                        int64_t invested)
{
	Luoshi__V1__SetPlanRequest r = LUOSHI__V1__SET_PLAN_REQUEST__INIT;
	r.project = (char *)project;
	r.has_year = r.has_month = r.has_invested = true;
	r.year = year;
	r.month = month;
	r.invested = invested;
	ProtobufCMessage *m = call_ok(c, M_SET_PLAN, &r.base);
	const Luoshi__V1__SetPlanResponse *resp = (Luoshi__V1__SetPlanResponse *)m;
	assert_non_null(resp->plan);
	assert_int_equal(resp->plan->invested, invested);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* The codes a ListProjects answer holds, joined by spaces, in its order. */
static void codes_of(const Luoshi__V1__ListProjectsResponse *r, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n_projects && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? " " : "",
		                         r->projects[i]->code);
}

/* Lists with filter f (one page of up to 100) and checks the codes, in
 * order, and total_count. */
static void expect_list(luoshi_client *c, const Luoshi__V1__ListProjectsRequest *f,
                        const char *codes, uint32_t total)
{
	ProtobufCMessage *m = call_ok(c, M_LIST, &f->base);
	const Luoshi__V1__ListProjectsResponse *r = (Luoshi__V1__ListProjectsResponse *)m;
	char got[512];
	codes_of(r, got, sizeof got);
	if (strcmp(got, codes) != 0)
		fail_msg("ListProjects gave \"%s\", expected \"%s\"", got, codes);
	assert_true(r->has_total_count);
	assert_int_equal(r->total_count, total);
	assert_null(r->next_page_token);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- accounts of every role ------------------------------------------------------ */

typedef struct accounts {
	char leader[TOKEN_MAX], town_wx[TOKEN_MAX], town_xy[TOKEN_MAX], department[TOKEN_MAX];
	char inspector[TOKEN_MAX], discipline[TOKEN_MAX], viewer[TOKEN_MAX];
	char other_admin[TOKEN_MAX];
} accounts;

static void account(luoshi_client *c, int role, const char *unit, const char *person, char *token)
{
	Luoshi__V1__CreateAccountRequest r = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	r.has_role = true;
	r.role = (Luoshi__V1__Role)role;
	r.name = (char *)unit;
	r.unit = (char *)unit;
	r.person = (char *)person;
	ProtobufCMessage *m = call_ok(c, "/luoshi.v1.AccountService/CreateAccount", &r.base);
	snprintf(token, TOKEN_MAX, "%s", ((Luoshi__V1__CreateAccountResponse *)m)->token);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void make_accounts(luoshi_client *admin, accounts *a)
{
	account(admin, LUOSHI__V1__ROLE__ROLE_LEADER, "office", "L01", a->leader);
	account(admin, LUOSHI__V1__ROLE__ROLE_TOWN, "WX", NULL, a->town_wx);
	account(admin, LUOSHI__V1__ROLE__ROLE_TOWN, "XY", NULL, a->town_xy);
	account(admin, LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "FG", NULL, a->department);
	account(admin, LUOSHI__V1__ROLE__ROLE_INSPECTOR, "DC1", NULL, a->inspector);
	account(admin, LUOSHI__V1__ROLE__ROLE_DISCIPLINE, "JW", NULL, a->discipline);
	account(admin, LUOSHI__V1__ROLE__ROLE_VIEWER, "office", NULL, a->viewer);
	snprintf(a->other_admin, TOKEN_MAX, "%s", OTHER_ADMIN_TOKEN);
}

/* ---- creating and reading ---------------------------------------------------------- */

static void test_create_and_get(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	int64_t id = create_ok(c, &AUX);
	assert_int_equal(id, 1);

	/* By its Chinese name, as well as by code. */
	Luoshi__V1__GetProjectResponse *g = get_ok(c, "奥克斯智能空调项目");
	const Luoshi__V1__Project *p = g->project;
	assert_non_null(p);
	assert_int_equal(p->id, 1);
	assert_string_equal(p->code, "AUX");
	assert_string_equal(p->name, "奥克斯智能空调项目");
	assert_int_equal(p->level, LUOSHI__V1__LEVEL__LEVEL_DISTRICT);
	assert_int_equal(p->category, LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL);
	assert_int_equal(p->stage, LUOSHI__V1__STAGE__STAGE_NEW);
	assert_string_equal(p->lead_leader_code, "L01");
	assert_string_equal(p->lead_leader_name, "王区长");
	assert_string_equal(p->lead_unit_code, "FG");
	assert_string_equal(p->lead_unit_name, "区发改局");
	assert_int_equal(p->n_contributing_unit_codes, 2);
	assert_string_equal(p->contributing_unit_codes[0], "JS");
	assert_string_equal(p->contributing_unit_codes[1], "ZQ");
	assert_string_equal(p->town_code, "XY");
	assert_string_equal(p->town_name, "下应街道");
	assert_int_equal(p->total_investment, 218900);
	/* Weekly when not given; fast track from 1,000 万元 and up. */
	assert_int_equal(p->frequency, LUOSHI__V1__FREQUENCY__FREQUENCY_WEEKLY);
	assert_string_equal(p->planned_start, "2026-01-05");
	assert_string_equal(p->planned_finish, "2027-12-31");
	assert_false(p->land_clearance);
	assert_true(p->fast_track);
	assert_false(p->fast_track_set);
	assert_false(p->archived);
	assert_non_null(p->created_at);
	assert_int_equal(g->n_leader_history, 1);
	assert_string_equal(g->leader_history[0]->leader_code, "L01");
	assert_string_equal(g->leader_history[0]->leader_name, "王区长");
	assert_true(g->leader_history[0]->has_changed_by);
	assert_int_equal(g->leader_history[0]->changed_by, 1);
	protobuf_c_message_free_unpacked(&g->base, NULL);

	g = get_ok(c, "AUX");
	assert_int_equal(g->project->id, 1);
	protobuf_c_message_free_unpacked(&g->base, NULL);

	/* A monthly, land-clearance project without a town, with its fast
	 * track set by hand against the total. */
	proj yc = {.code = "YC",
	           .name = "鄞城大道",
	           .level = LUOSHI__V1__LEVEL__LEVEL_DISTRICT,
	           .category = LUOSHI__V1__CATEGORY__CATEGORY_INFRASTRUCTURE,
	           .stage = LUOSHI__V1__STAGE__STAGE_CONTINUING,
	           .leader = "L02",
	           .unit = "区住建局",
	           .total = 500,
	           .start = "2025-03-01",
	           .finish = "2026-06-30"};
	Luoshi__V1__CreateProjectRequest r;
	fill_create(&r, &yc);
	r.has_frequency = true;
	r.frequency = LUOSHI__V1__FREQUENCY__FREQUENCY_MONTHLY;
	r.has_land_clearance = r.land_clearance = true;
	r.has_fast_track = r.fast_track = true;
	ProtobufCMessage *m = call_ok(c, M_CREATE, &r.base);
	p = ((Luoshi__V1__CreateProjectResponse *)m)->project;
	assert_int_equal(p->id, 2);
	assert_int_equal(p->frequency, LUOSHI__V1__FREQUENCY__FREQUENCY_MONTHLY);
	assert_true(p->land_clearance);
	assert_true(p->fast_track);
	assert_true(p->fast_track_set);
	assert_null(p->town_code);
	assert_int_equal(p->n_contributing_unit_codes, 0);
	assert_string_equal(p->lead_unit_code, "JS");
	protobuf_c_message_free_unpacked(m, NULL);

	/* The rows as stored. */
	assert_int_equal(count_projects(s), 2);
	assert_int_equal(db_int(s, "SELECT count(*) FROM project_leaders", NULL), 2);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM project_units WHERE project_id = 1 AND "
	                        "unit_id IN (5, 6)",
	                        NULL),
	                 2);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM projects WHERE code = 'AUX' AND level = "
	                        "'district' AND category = 'industrial' AND stage = 'new' AND "
	                        "lead_leader_id = 1 AND lead_unit_id = 4 AND town_id = 3 AND "
	                        "total_investment = 218900 AND frequency = 'weekly' AND "
	                        "fast_track = 1 AND fast_track_set = 0 AND archived = 0",
	                        NULL),
	                 1);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM projects WHERE code = 'YC' AND town_id IS "
	                        "NULL AND frequency = 'monthly' AND land_clearance = 1 AND "
	                        "category = 'infrastructure' AND stage = 'continuing'",
	                        NULL),
	                 1);

	/* Unknown ones answer NOT_FOUND. */
	Luoshi__V1__GetProjectRequest gq = LUOSHI__V1__GET_PROJECT_REQUEST__INIT;
	gq.project = (char *)"NOPE";
	call_fails(c, M_GET, &gq.base, LS_NOT_FOUND, "project");
	gq.project = NULL;
	call_fails(c, M_GET, &gq.base, LS_INVALID_ARGUMENT, "project");
	luoshi_client_close(c);
}

/* ---- validation -------------------------------------------------------------------- */

/* One way to break a valid request, and the field that must be named. */
typedef struct defect {
	const char *what;
	void (*apply)(Luoshi__V1__CreateProjectRequest *r);
	int code;
	const char *field;
} defect;

static char *one_unknown[] = {"JS", "NOPE"};
static char *twice[] = {"JS", "区住建局"};
static char *with_lead[] = {"JS", "FG"};
static char *outside[] = {"OT"};
static char long_name[203];

static void two_leaders_chinese(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_leader = (char *)"王区长、李副区长";
}
static void two_leaders_comma(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_leader = (char *)"L01,L02";
}
static void two_leaders_fullwidth(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_leader = (char *)"王区长，李副区长";
}
static void unknown_leader(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_leader = (char *)"NOBODY";
}
static void no_leader(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_leader = NULL;
}
static void unknown_unit(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_unit = (char *)"NOPE";
}
static void no_unit(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_unit = NULL;
}
static void unknown_contributing(Luoshi__V1__CreateProjectRequest *r)
{
	r->contributing_units = one_unknown;
	r->n_contributing_units = 2;
}
static void duplicate_contributing(Luoshi__V1__CreateProjectRequest *r)
{
	r->contributing_units = twice;
	r->n_contributing_units = 2;
}
static void lead_contributing(Luoshi__V1__CreateProjectRequest *r)
{
	r->contributing_units = with_lead;
	r->n_contributing_units = 2;
}
static void unknown_town(Luoshi__V1__CreateProjectRequest *r)
{
	r->town = (char *)"NOPE";
}
static void town_not_town(Luoshi__V1__CreateProjectRequest *r)
{
	r->town = (char *)"FG";
}
static void town_level_without_town(Luoshi__V1__CreateProjectRequest *r)
{
	r->level = LUOSHI__V1__LEVEL__LEVEL_TOWN;
	r->town = NULL;
}
static void finish_before_start(Luoshi__V1__CreateProjectRequest *r)
{
	r->planned_start = (char *)"2026-05-01";
	r->planned_finish = (char *)"2026-04-30";
}
static void unreal_date(Luoshi__V1__CreateProjectRequest *r)
{
	r->planned_start = (char *)"2026-02-30";
}
static void no_finish(Luoshi__V1__CreateProjectRequest *r)
{
	r->planned_finish = NULL;
}
static void negative_total(Luoshi__V1__CreateProjectRequest *r)
{
	r->total_investment = -1;
}
static void huge_total(Luoshi__V1__CreateProjectRequest *r)
{
	r->total_investment = 1000000001;
}
static void no_total(Luoshi__V1__CreateProjectRequest *r)
{
	r->has_total_investment = false;
}
static void unknown_level(Luoshi__V1__CreateProjectRequest *r)
{
	r->level = (Luoshi__V1__Level)9;
}
static void unspecified_level(Luoshi__V1__CreateProjectRequest *r)
{
	r->level = LUOSHI__V1__LEVEL__LEVEL_UNSPECIFIED;
}
static void no_level(Luoshi__V1__CreateProjectRequest *r)
{
	r->has_level = false;
}
static void no_category(Luoshi__V1__CreateProjectRequest *r)
{
	r->has_category = false;
}
static void unknown_stage(Luoshi__V1__CreateProjectRequest *r)
{
	r->stage = (Luoshi__V1__Stage)7;
}
static void unknown_frequency(Luoshi__V1__CreateProjectRequest *r)
{
	r->has_frequency = true;
	r->frequency = (Luoshi__V1__Frequency)5;
}
static void no_name(Luoshi__V1__CreateProjectRequest *r)
{
	r->name = (char *)"";
}
static void too_long_name(Luoshi__V1__CreateProjectRequest *r)
{
	/* 67 three-byte characters and one more byte: 202 bytes. */
	memset(long_name, 0, sizeof long_name);
	for (int i = 0; i < 67; i++)
		memcpy(long_name + 3 * i, "项", 3);
	long_name[201] = 'x';
	r->name = long_name;
}
static void bad_code(Luoshi__V1__CreateProjectRequest *r)
{
	r->code = (char *)"A B";
}
static void long_code(Luoshi__V1__CreateProjectRequest *r)
{
	r->code = (char *)"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"; /* 33 bytes */
}
static void no_code(Luoshi__V1__CreateProjectRequest *r)
{
	r->code = NULL;
}
static void leader_outside(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_leader = (char *)"L09";
}
static void unit_outside(Luoshi__V1__CreateProjectRequest *r)
{
	r->lead_unit = (char *)"OTHER";
}
static void contributing_outside(Luoshi__V1__CreateProjectRequest *r)
{
	r->contributing_units = outside;
	r->n_contributing_units = 1;
}

static void test_validation(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	static const defect defects[] = {
	    {"two leaders with 、", two_leaders_chinese, LS_INVALID_ARGUMENT, "lead_leader"},
	    {"two leaders with ,", two_leaders_comma, LS_INVALID_ARGUMENT, "lead_leader"},
	    {"two leaders with ，", two_leaders_fullwidth, LS_INVALID_ARGUMENT, "lead_leader"},
	    {"unknown leader", unknown_leader, LS_INVALID_ARGUMENT, "lead_leader"},
	    {"no leader", no_leader, LS_INVALID_ARGUMENT, "lead_leader"},
	    {"unknown unit", unknown_unit, LS_INVALID_ARGUMENT, "lead_unit"},
	    {"no unit", no_unit, LS_INVALID_ARGUMENT, "lead_unit"},
	    {"unknown contributing unit", unknown_contributing, LS_INVALID_ARGUMENT,
	     "contributing_units"},
	    {"a contributing unit twice", duplicate_contributing, LS_INVALID_ARGUMENT,
	     "contributing_units"},
	    {"the lead unit contributing", lead_contributing, LS_INVALID_ARGUMENT,
	     "contributing_units"},
	    {"unknown town", unknown_town, LS_INVALID_ARGUMENT, "town"},
	    {"a department as town", town_not_town, LS_INVALID_ARGUMENT, "town"},
	    {"town level without town", town_level_without_town, LS_INVALID_ARGUMENT, "town"},
	    {"finish before start", finish_before_start, LS_INVALID_ARGUMENT, "planned_finish"},
	    {"30 February", unreal_date, LS_INVALID_ARGUMENT, "planned_start"},
	    {"no finish", no_finish, LS_INVALID_ARGUMENT, "planned_finish"},
	    {"negative total", negative_total, LS_INVALID_ARGUMENT, "total_investment"},
	    {"total over 1e9", huge_total, LS_INVALID_ARGUMENT, "total_investment"},
	    {"no total", no_total, LS_INVALID_ARGUMENT, "total_investment"},
	    {"unknown level", unknown_level, LS_INVALID_ARGUMENT, "level"},
	    {"LEVEL_UNSPECIFIED", unspecified_level, LS_INVALID_ARGUMENT, "level"},
	    {"no level", no_level, LS_INVALID_ARGUMENT, "level"},
	    {"no category", no_category, LS_INVALID_ARGUMENT, "category"},
	    {"unknown stage", unknown_stage, LS_INVALID_ARGUMENT, "stage"},
	    {"unknown frequency", unknown_frequency, LS_INVALID_ARGUMENT, "frequency"},
	    {"empty name", no_name, LS_INVALID_ARGUMENT, "name"},
	    {"name of 202 bytes", too_long_name, LS_INVALID_ARGUMENT, "name"},
	    {"code with a space", bad_code, LS_INVALID_ARGUMENT, "code"},
	    {"code of 33 bytes", long_code, LS_INVALID_ARGUMENT, "code"},
	    {"no code", no_code, LS_INVALID_ARGUMENT, "code"},
	    {"a leader of another district", leader_outside, LS_PERMISSION_DENIED, "lead_leader"},
	    {"a unit of another district", unit_outside, LS_PERMISSION_DENIED, "lead_unit"},
	    {"a contributing unit of another district", contributing_outside, LS_PERMISSION_DENIED,
	     "contributing_units"},
	};
	char *before = snapshot(s);
	for (size_t i = 0; i < sizeof defects / sizeof defects[0]; i++) {
		Luoshi__V1__CreateProjectRequest r;
		fill_create(&r, &AUX);
		defects[i].apply(&r);
		ProtobufCMessage *m;
		ls_status st;
		int rc = e2e_call(c, M_CREATE, &r.base, NULL, &m, &st);
		if (rc == LS_OK)
			protobuf_c_message_free_unpacked(m, NULL);
		if (rc != defects[i].code || strcmp(st.field, defects[i].field) != 0)
			fail_msg("%s: expected %s on '%s', got %s on '%s': %s", defects[i].what,
			         ls_code_name(defects[i].code), defects[i].field, ls_code_name(rc),
			         st.field, st.message);
		assert_unchanged(s, before, defects[i].what);
	}
	free(before);
	assert_int_equal(count_projects(s), 0);

	/* The base request itself is valid: the defects were the faults. */
	Luoshi__V1__CreateProjectRequest r;
	fill_create(&r, &AUX);
	ProtobufCMessage *m = call_ok(c, M_CREATE, &r.base);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(count_projects(s), 1);

	/* A code used already, even with every other field different. */
	proj dup = AUX;
	dup.name = "另一个项目";
	dup.units[0] = NULL;
	fill_create(&r, &dup);
	before = snapshot(s);
	call_fails(c, M_CREATE, &r.base, LS_ALREADY_EXISTS, "code");
	assert_unchanged(s, before, "a duplicate code");
	free(before);
	luoshi_client_close(c);
}

static void test_update_validation(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	create_ok(c, &AUX);
	proj town = AUX;
	town.code = "MK";
	town.name = "美康智能健康产业中心";
	town.level = LUOSHI__V1__LEVEL__LEVEL_TOWN;
	town.units[0] = NULL;
	create_ok(c, &town);
	char *before = snapshot(s);

	Luoshi__V1__UpdateProjectRequest u = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	u.project = (char *)"AUX";
	/* Only the finish, before the start it has (2026-01-05). */
	u.planned_finish = (char *)"2026-01-04";
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "planned_finish");
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"AUX";
	u.lead_leader = (char *)"L02、L03";
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "lead_leader");
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"AUX";
	u.contributing_units = one_unknown;
	u.n_contributing_units = 2;
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "contributing_units");
	/* JS contributes already: it cannot lead as well. */
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"AUX";
	u.lead_unit = (char *)"JS";
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "lead_unit");
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"AUX";
	u.has_total_investment = true;
	u.total_investment = -5;
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "total_investment");
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"AUX";
	u.has_level = true;
	u.level = (Luoshi__V1__Level)4;
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "level");
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"AUX";
	u.name = (char *)"";
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "name");
	/* A town-level project keeps its town. */
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"MK";
	u.town = (char *)"";
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "town");
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"AUX";
	u.has_fast_track = u.fast_track = true;
	u.has_fast_track_auto = u.fast_track_auto = true;
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "fast_track_auto");
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"NOPE";
	u.name = (char *)"x";
	call_fails(c, M_UPDATE, &u.base, LS_NOT_FOUND, "project");
	u.project = NULL;
	call_fails(c, M_UPDATE, &u.base, LS_INVALID_ARGUMENT, "project");
	assert_unchanged(s, before, "the refused updates");
	free(before);

	/* Replacing the units and leading with a former contributor in one
	 * call is fine; "" takes a district project's town away. */
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"AUX";
	u.lead_unit = (char *)"JS";
	u.has_set_contributing_units = u.set_contributing_units = true;
	u.town = (char *)"";
	Luoshi__V1__UpdateProjectResponse *r = update_ok(c, &u);
	assert_string_equal(r->project->lead_unit_code, "JS");
	assert_int_equal(r->project->n_contributing_unit_codes, 0);
	assert_null(r->project->town_code);
	/* What was not given stays. */
	assert_string_equal(r->project->name, "奥克斯智能空调项目");
	assert_int_equal(r->project->total_investment, 218900);
	assert_string_equal(r->project->lead_leader_code, "L01");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(db_int(s, "SELECT count(*) FROM project_units WHERE project_id = 1", NULL),
	                 0);
	luoshi_client_close(c);
}

/* `luoshi call` turns JSON into the request: 1.5 万元 cannot become an
 * integer, so nothing is sent and nothing written. */
static void test_json_non_integer(void **state)
{
	e2e_server *s = *state;
	static const char fmt[] =
	    "{\"code\": \"AUX\", \"name\": \"奥克斯智能空调项目\", \"level\": \"%s\", "
	    "\"category\": \"CATEGORY_INDUSTRIAL\", \"stage\": \"STAGE_NEW\", "
	    "\"leadLeader\": \"王区长\", \"leadUnit\": \"FG\", \"totalInvestment\": %s, "
	    "\"plannedStart\": \"2026-01-05\", \"plannedFinish\": \"2027-12-31\"}";
	char body[1024];
	e2e_run r;

	snprintf(body, sizeof body, fmt, "LEVEL_DISTRICT", "1.5");
	const char *args[] = {"call", "luoshi.v1.ProjectService/CreateProject", body, NULL};
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, args, &r);
	if (r.status != 3)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r.out, r.err);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "total_investment"));
	assert_int_equal(e2e_count_lines(r.err), 1);
	e2e_run_free(&r);
	assert_int_equal(count_projects(s), 0);

	snprintf(body, sizeof body, fmt, "LEVEL_PROVINCE", "218900");
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, args, &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "level"));
	e2e_run_free(&r);
	assert_int_equal(count_projects(s), 0);

	/* A negative amount passes the JSON mapping; the server refuses it. */
	snprintf(body, sizeof body, fmt, "LEVEL_DISTRICT", "-3");
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, args, &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "total_investment"));
	assert_non_null(strstr(r.err, "INVALID_ARGUMENT"));
	e2e_run_free(&r);
	assert_int_equal(count_projects(s), 0);

	/* The same request with a whole number goes through: 1.5 was the fault. */
	snprintf(body, sizeof body, fmt, "LEVEL_DISTRICT", "218900");
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, args, &r);
	if (r.status != 0)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"totalInvestment\": \"218900\""));
	e2e_run_free(&r);
	assert_int_equal(count_projects(s), 1);
}

/* ---- fast track ------------------------------------------------------------------------- */

static void expect_fast(luoshi_client *c, const char *code, bool fast, bool set)
{
	Luoshi__V1__GetProjectResponse *g = get_ok(c, code);
	if (g->project->fast_track != fast || g->project->fast_track_set != set)
		fail_msg("%s: fast_track %d (set %d), expected %d (set %d)", code,
		         g->project->fast_track, g->project->fast_track_set, fast, set);
	protobuf_c_message_free_unpacked(&g->base, NULL);
}

static void update_total(luoshi_client *c, const char *code, int64_t total)
{
	Luoshi__V1__UpdateProjectRequest u = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	u.project = (char *)code;
	u.has_total_investment = true;
	u.total_investment = total;
	protobuf_c_message_free_unpacked(&update_ok(c, &u)->base, NULL);
}

static void test_fast_track(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	proj p = AUX;
	p.units[0] = NULL;
	p.code = "P999";
	p.name = "九百九十九";
	p.total = 999;
	create_ok(c, &p);
	p.code = "P1000";
	p.name = "一千";
	p.total = 1000;
	create_ok(c, &p);
	expect_fast(c, "P999", false, false);
	expect_fast(c, "P1000", true, false);

	/* Following the total both ways. */
	update_total(c, "P999", 1000);
	expect_fast(c, "P999", true, false);
	update_total(c, "P1000", 999);
	expect_fast(c, "P1000", false, false);

	/* Set by hand: kept whatever the total becomes. */
	Luoshi__V1__UpdateProjectRequest u = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	u.project = (char *)"P999";
	u.has_fast_track = true;
	u.fast_track = false;
	protobuf_c_message_free_unpacked(&update_ok(c, &u)->base, NULL);
	expect_fast(c, "P999", false, true);
	update_total(c, "P999", 200000);
	expect_fast(c, "P999", false, true);

	/* fast_track_auto hands it back to the total (200000 >= 1000). */
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"P999";
	u.has_fast_track_auto = u.fast_track_auto = true;
	protobuf_c_message_free_unpacked(&update_ok(c, &u)->base, NULL);
	expect_fast(c, "P999", true, false);
	update_total(c, "P999", 10);
	expect_fast(c, "P999", false, false);

	/* Set on create to yes under 1000: kept. */
	Luoshi__V1__CreateProjectRequest r;
	p.code = "P10";
	p.name = "十";
	p.total = 10;
	fill_create(&r, &p);
	r.has_fast_track = r.fast_track = true;
	protobuf_c_message_free_unpacked(call_ok(c, M_CREATE, &r.base), NULL);
	expect_fast(c, "P10", true, true);
	update_total(c, "P10", 5);
	expect_fast(c, "P10", true, true);

	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM projects WHERE (code = 'P999' AND "
	                        "fast_track = 0 AND fast_track_set = 0 AND total_investment = 10) "
	                        "OR (code = 'P10' AND fast_track = 1 AND fast_track_set = 1)",
	                        NULL),
	                 2);
	luoshi_client_close(c);
}

/* ---- leader history ------------------------------------------------------------------- */

static void test_leader_history(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	create_ok(c, &AUX);
	Luoshi__V1__UpdateProjectRequest u = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	u.project = (char *)"AUX";
	u.lead_leader = (char *)"李副区长";
	Luoshi__V1__UpdateProjectResponse *r = update_ok(c, &u);
	assert_string_equal(r->project->lead_leader_code, "L02");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	u.lead_leader = (char *)"L03";
	protobuf_c_message_free_unpacked(&update_ok(c, &u)->base, NULL);
	/* The same leader again is no change. */
	u.lead_leader = (char *)"陈副区长";
	protobuf_c_message_free_unpacked(&update_ok(c, &u)->base, NULL);
	/* Another field alone leaves the leader and the history alone. */
	luoshi__v1__update_project_request__init(&u);
	u.project = (char *)"奥克斯智能空调项目";
	u.has_stage = true;
	u.stage = LUOSHI__V1__STAGE__STAGE_CONTINUING;
	protobuf_c_message_free_unpacked(&update_ok(c, &u)->base, NULL);

	Luoshi__V1__GetProjectResponse *g = get_ok(c, "AUX");
	assert_string_equal(g->project->lead_leader_code, "L03");
	assert_string_equal(g->project->lead_leader_name, "陈副区长");
	assert_int_equal(g->project->stage, LUOSHI__V1__STAGE__STAGE_CONTINUING);
	static const char *const expected[][2] = {
	    {"L01", "王区长"}, {"L02", "李副区长"}, {"L03", "陈副区长"}};
	assert_int_equal(g->n_leader_history, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(g->leader_history[i]->leader_code, expected[i][0]);
		assert_string_equal(g->leader_history[i]->leader_name, expected[i][1]);
		assert_int_equal(g->leader_history[i]->changed_by, 1);
		assert_non_null(g->leader_history[i]->since);
	}
	protobuf_c_message_free_unpacked(&g->base, NULL);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM (SELECT group_concat(CAST(person_id AS "
	                        "TEXT), ',') AS h FROM (SELECT person_id FROM project_leaders "
	                        "WHERE project_id = 1 ORDER BY id) AS l) AS g WHERE h = '1,2,3'",
	                        NULL),
	                 1);
	luoshi_client_close(c);
}

/* ---- lists: filters, search, paging ------------------------------------------------------ */

/* Five projects; the expected lists below are worked out from them:
 *
 *   code  name                  level     category        stage       leader  lead unit
 * contributing  town AUX   奥克斯智能空调项目    district  industrial      new         L01     FG
 * JS            XY CRRC  中车产业基地          city      industrial      continuing  L02     JS FG
 * WX MK    美康智能健康产业中心  town      livelihood      new         L01     JS         - XY SEW
 * 城镇污水管网          town      infrastructure  continuing  L03     ZQ         -             WX
 *   YC    鄞城大道              district  infrastructure  continuing  L03     FG         - -
 */
static void load_five(luoshi_client *c)
{
	const proj ps[] = {
	    {"AUX",
	     "奥克斯智能空调项目",
	     2,
	     1,
	     1,
	     "L01",
	     "FG",
	     "XY",
	     {"JS"},
	     218900,
	     "2026-01-05",
	     "2027-12-31"},
	    {"CRRC",
	     "中车产业基地",
	     1,
	     1,
	     2,
	     "L02",
	     "JS",
	     "WX",
	     {"FG"},
	     540000,
	     "2025-01-01",
	     "2026-12-31"},
	    {"MK",
	     "美康智能健康产业中心",
	     3,
	     4,
	     1,
	     "L01",
	     "JS",
	     "XY",
	     {NULL},
	     30000,
	     "2026-01-10",
	     "2027-06-30"},
	    {"SEW",
	     "城镇污水管网",
	     3,
	     3,
	     2,
	     "L03",
	     "ZQ",
	     "WX",
	     {NULL},
	     800,
	     "2025-06-01",
	     "2026-10-31"},
	    {"YC",
	     "鄞城大道",
	     2,
	     3,
	     2,
	     "L03",
	     "FG",
	     NULL,
	     {NULL},
	     50000,
	     "2024-03-01",
	     "2026-06-30"},
	};
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		create_ok(c, &ps[i]);
}

static void test_filters_and_search(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	load_five(c);
	Luoshi__V1__ListProjectsRequest f = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
	expect_list(c, &f, "AUX CRRC MK SEW YC", 5);

	f.has_level = true;
	f.level = LUOSHI__V1__LEVEL__LEVEL_TOWN;
	expect_list(c, &f, "MK SEW", 2);
	luoshi__v1__list_projects_request__init(&f);
	f.has_category = true;
	f.category = LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL;
	expect_list(c, &f, "AUX CRRC", 2);
	luoshi__v1__list_projects_request__init(&f);
	f.has_stage = true;
	f.stage = LUOSHI__V1__STAGE__STAGE_CONTINUING;
	expect_list(c, &f, "CRRC SEW YC", 3);
	luoshi__v1__list_projects_request__init(&f);
	f.town = (char *)"XY";
	expect_list(c, &f, "AUX MK", 2);
	f.town = (char *)"五乡镇";
	expect_list(c, &f, "CRRC SEW", 2);
	luoshi__v1__list_projects_request__init(&f);
	f.leader = (char *)"L01";
	expect_list(c, &f, "AUX MK", 2);
	f.leader = (char *)"陈副区长";
	expect_list(c, &f, "SEW YC", 2);
	/* A unit leads or contributes. */
	luoshi__v1__list_projects_request__init(&f);
	f.unit = (char *)"FG";
	expect_list(c, &f, "AUX CRRC YC", 3);
	f.unit = (char *)"区住建局";
	expect_list(c, &f, "AUX CRRC MK", 3);
	f.unit = (char *)"ZQ";
	expect_list(c, &f, "SEW", 1);
	/* Substrings of Chinese names. */
	luoshi__v1__list_projects_request__init(&f);
	f.search = (char *)"空调";
	expect_list(c, &f, "AUX", 1);
	f.search = (char *)"产业";
	expect_list(c, &f, "CRRC MK", 2);
	f.search = (char *)"智能";
	expect_list(c, &f, "AUX MK", 2);
	f.search = (char *)"大桥";
	expect_list(c, &f, "", 0);
	/* Filters combine. */
	luoshi__v1__list_projects_request__init(&f);
	f.has_level = true;
	f.level = LUOSHI__V1__LEVEL__LEVEL_TOWN;
	f.town = (char *)"XY";
	expect_list(c, &f, "MK", 1);
	luoshi__v1__list_projects_request__init(&f);
	f.has_stage = true;
	f.stage = LUOSHI__V1__STAGE__STAGE_CONTINUING;
	f.unit = (char *)"FG";
	f.search = (char *)"大道";
	expect_list(c, &f, "YC", 1);

	/* A filter naming what does not exist is an error, not an empty list. */
	luoshi__v1__list_projects_request__init(&f);
	f.town = (char *)"NOPE";
	call_fails(c, M_LIST, &f.base, LS_INVALID_ARGUMENT, "town");
	luoshi__v1__list_projects_request__init(&f);
	f.leader = (char *)"NOBODY";
	call_fails(c, M_LIST, &f.base, LS_INVALID_ARGUMENT, "leader");
	luoshi__v1__list_projects_request__init(&f);
	f.has_level = true;
	f.level = (Luoshi__V1__Level)8;
	call_fails(c, M_LIST, &f.base, LS_INVALID_ARGUMENT, "level");
	luoshi_client_close(c);
}

static void test_paging(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	/* Seven projects P1..P7; the odd ones are town-level. */
	for (int i = 1; i <= 7; i++) {
		char code[8], name[32];
		snprintf(code, sizeof code, "P%d", i);
		snprintf(name, sizeof name, "项目%d", i);
		proj p = AUX;
		p.code = code;
		p.name = name;
		p.units[0] = NULL;
		p.level = i % 2 ? LUOSHI__V1__LEVEL__LEVEL_TOWN : LUOSHI__V1__LEVEL__LEVEL_CITY;
		assert_int_equal(create_ok(c, &p), i);
	}
	static const struct {
		int level;            /* 0: no filter */
		const char *pages[3]; /* codes of each page */
		uint32_t total;
	} cases[] = {
	    {0, {"P1 P2 P3", "P4 P5 P6", "P7"}, 7},
	    {LUOSHI__V1__LEVEL__LEVEL_TOWN, {"P1 P3 P5", "P7", NULL}, 4},
	};
	for (size_t k = 0; k < 2; k++) {
		char *token = NULL;
		for (int page = 0; page < 3 && cases[k].pages[page] != NULL; page++) {
			Luoshi__V1__ListProjectsRequest f = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
			f.has_page_size = true;
			f.page_size = 3;
			f.page_token = token;
			if (cases[k].level) {
				f.has_level = true;
				f.level = (Luoshi__V1__Level)cases[k].level;
			}
			ProtobufCMessage *m = call_ok(c, M_LIST, &f.base);
			free(token);
			token = NULL;
			const Luoshi__V1__ListProjectsResponse *r =
			    (Luoshi__V1__ListProjectsResponse *)m;
			char got[128];
			codes_of(r, got, sizeof got);
			assert_string_equal(got, cases[k].pages[page]);
			assert_int_equal(r->total_count, cases[k].total);
			bool last = page == 2 || cases[k].pages[page + 1] == NULL;
			if (last) {
				assert_null(r->next_page_token);
			} else {
				assert_non_null(r->next_page_token);
				token = strdup(r->next_page_token);
			}
			protobuf_c_message_free_unpacked(m, NULL);
		}
		free(token);
	}
	Luoshi__V1__ListProjectsRequest f = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
	f.page_token = (char *)"x7";
	call_fails(c, M_LIST, &f.base, LS_INVALID_ARGUMENT, "page_token");
	luoshi_client_close(c);
}

/* ---- plans ------------------------------------------------------------------------------------
 */

static void test_plans(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	create_ok(c, &AUX);
	set_plan_ok(c, "AUX", 2026, 1, 1000);
	set_plan_ok(c, "奥克斯智能空调项目", 2026, 2, 1500);
	set_plan_ok(c, "AUX", 2026, 3, 2000);
	set_plan_ok(c, "AUX", 2025, 12, 700);
	/* Setting a month again replaces it. */
	set_plan_ok(c, "AUX", 2026, 2, 1800);

	/* 2026: 1000 + 1800 + 2000 = 4800. */
	Luoshi__V1__ListPlansRequest q = LUOSHI__V1__LIST_PLANS_REQUEST__INIT;
	q.project = (char *)"AUX";
	q.has_year = true;
	q.year = 2026;
	ProtobufCMessage *m = call_ok(c, M_LIST_PLANS, &q.base);
	const Luoshi__V1__ListPlansResponse *r = (Luoshi__V1__ListPlansResponse *)m;
	static const int64_t y2026[][2] = {{1, 1000}, {2, 1800}, {3, 2000}};
	assert_int_equal(r->n_months, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(r->months[i]->project_code, "AUX");
		assert_int_equal(r->months[i]->year, 2026);
		assert_int_equal(r->months[i]->month, y2026[i][0]);
		assert_int_equal(r->months[i]->invested, y2026[i][1]);
	}
	assert_true(r->has_year_total);
	assert_int_equal(r->year_total, 4800);
	protobuf_c_message_free_unpacked(m, NULL);

	q.year = 2025;
	m = call_ok(c, M_LIST_PLANS, &q.base);
	r = (Luoshi__V1__ListPlansResponse *)m;
	assert_int_equal(r->n_months, 1);
	assert_int_equal(r->year_total, 700);
	protobuf_c_message_free_unpacked(m, NULL);

	q.year = 2027;
	m = call_ok(c, M_LIST_PLANS, &q.base);
	r = (Luoshi__V1__ListPlansResponse *)m;
	assert_int_equal(r->n_months, 0);
	assert_true(r->has_year_total);
	assert_int_equal(r->year_total, 0);
	protobuf_c_message_free_unpacked(m, NULL);

	/* Every year, in order, without a year's total. */
	q.has_year = false;
	m = call_ok(c, M_LIST_PLANS, &q.base);
	r = (Luoshi__V1__ListPlansResponse *)m;
	assert_int_equal(r->n_months, 4);
	assert_int_equal(r->months[0]->year, 2025);
	assert_int_equal(r->months[0]->month, 12);
	assert_int_equal(r->months[3]->month, 3);
	assert_false(r->has_year_total);
	protobuf_c_message_free_unpacked(m, NULL);

	/* The refused ones write nothing. */
	char *before = snapshot(s);
	static const struct {
		const char *project;
		bool has_year, has_month, has_invested;
		int year, month;
		int64_t invested;
		int code;
		const char *field;
	} bad[] = {
	    {"AUX", true, true, true, 1999, 1, 5, LS_INVALID_ARGUMENT, "year"},
	    {"AUX", true, true, true, 2101, 1, 5, LS_INVALID_ARGUMENT, "year"},
	    {"AUX", false, true, true, 0, 1, 5, LS_INVALID_ARGUMENT, "year"},
	    {"AUX", true, true, true, 2026, 13, 5, LS_INVALID_ARGUMENT, "month"},
	    {"AUX", true, true, true, 2026, 0, 5, LS_INVALID_ARGUMENT, "month"},
	    {"AUX", true, false, true, 2026, 0, 5, LS_INVALID_ARGUMENT, "month"},
	    {"AUX", true, true, true, 2026, 4, -1, LS_INVALID_ARGUMENT, "invested"},
	    {"AUX", true, true, true, 2026, 4, 1000000001, LS_INVALID_ARGUMENT, "invested"},
	    {"AUX", true, true, false, 2026, 4, 0, LS_INVALID_ARGUMENT, "invested"},
	    {NULL, true, true, true, 2026, 4, 5, LS_INVALID_ARGUMENT, "project"},
	    {"NOPE", true, true, true, 2026, 4, 5, LS_NOT_FOUND, "project"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		Luoshi__V1__SetPlanRequest p = LUOSHI__V1__SET_PLAN_REQUEST__INIT;
		p.project = (char *)bad[i].project;
		p.has_year = bad[i].has_year;
		p.year = bad[i].year;
		p.has_month = bad[i].has_month;
		p.month = bad[i].month;
		p.has_invested = bad[i].has_invested;
		p.invested = bad[i].invested;
		call_fails(c, M_SET_PLAN, &p.base, bad[i].code, bad[i].field);
	}
	assert_unchanged(s, before, "the refused plans");
	free(before);
	q.has_year = true;
	q.year = 1999;
	call_fails(c, M_LIST_PLANS, &q.base, LS_INVALID_ARGUMENT, "year");
	q.project = NULL;
	q.has_year = false;
	call_fails(c, M_LIST_PLANS, &q.base, LS_INVALID_ARGUMENT, "project");
	q.project = (char *)"NOPE";
	call_fails(c, M_LIST_PLANS, &q.base, LS_NOT_FOUND, "project");

	assert_int_equal(db_int(s, "SELECT count(*) FROM plans", NULL), 4);
	assert_int_equal(db_int(s, "SELECT sum(invested) FROM plans WHERE year = 2026", NULL),
	                 4800);
	/* Five SetPlan calls, five audit rows under the project; only the
	 * one that replaced a month has a before. */
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM audit_log WHERE entity = 'plan' AND "
	                        "project_id = 1 AND method = ?1 AND after IS NOT NULL",
	                        M_SET_PLAN),
	                 5);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM audit_log WHERE entity = 'plan' AND "
	                        "before IS NOT NULL AND instr(before, '\"invested\":\"1500\"') > 0 "
	                        "AND instr(after, '\"invested\":\"1800\"') > 0",
	                        NULL),
	                 1);
	luoshi_client_close(c);
}

/* ---- archiving ------------------------------------------------------------------------------ */

static void test_archive(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	create_ok(c, &AUX);
	proj mk = AUX;
	mk.code = "MK";
	mk.name = "美康智能健康产业中心";
	create_ok(c, &mk);
	set_plan_ok(c, "AUX", 2026, 1, 1000);

	Luoshi__V1__ArchiveProjectRequest a = LUOSHI__V1__ARCHIVE_PROJECT_REQUEST__INIT;
	a.project = (char *)"奥克斯智能空调项目";
	ProtobufCMessage *m = call_ok(c, M_ARCHIVE, &a.base);
	const Luoshi__V1__Project *p = ((Luoshi__V1__ArchiveProjectResponse *)m)->project;
	assert_string_equal(p->code, "AUX");
	assert_true(p->archived);
	protobuf_c_message_free_unpacked(m, NULL);

	/* Hidden from lists unless asked for. */
	Luoshi__V1__ListProjectsRequest f = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
	expect_list(c, &f, "MK", 1);
	f.has_include_archived = f.include_archived = true;
	expect_list(c, &f, "AUX MK", 2);
	/* Still there by its code, with its plan; no more by its name. */
	Luoshi__V1__GetProjectResponse *g = get_ok(c, "AUX");
	assert_true(g->project->archived);
	assert_int_equal(g->n_leader_history, 1);
	protobuf_c_message_free_unpacked(&g->base, NULL);
	Luoshi__V1__GetProjectRequest gq = LUOSHI__V1__GET_PROJECT_REQUEST__INIT;
	gq.project = (char *)"奥克斯智能空调项目";
	call_fails(c, M_GET, &gq.base, LS_NOT_FOUND, "project");
	Luoshi__V1__ListPlansRequest q = LUOSHI__V1__LIST_PLANS_REQUEST__INIT;
	q.project = (char *)"AUX";
	m = call_ok(c, M_LIST_PLANS, &q.base);
	assert_int_equal(((Luoshi__V1__ListPlansResponse *)m)->n_months, 1);
	protobuf_c_message_free_unpacked(m, NULL);

	/* No more writes to it. */
	char *before = snapshot(s);
	a.project = (char *)"AUX";
	call_fails(c, M_ARCHIVE, &a.base, LS_FAILED_PRECONDITION, "project");
	Luoshi__V1__UpdateProjectRequest u = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	u.project = (char *)"AUX";
	u.name = (char *)"改名";
	call_fails(c, M_UPDATE, &u.base, LS_FAILED_PRECONDITION, "project");
	Luoshi__V1__SetPlanRequest sp = LUOSHI__V1__SET_PLAN_REQUEST__INIT;
	sp.project = (char *)"AUX";
	sp.has_year = sp.has_month = sp.has_invested = true;
	sp.year = 2026;
	sp.month = 2;
	sp.invested = 5;
	call_fails(c, M_SET_PLAN, &sp.base, LS_FAILED_PRECONDITION, "project");
	assert_unchanged(s, before, "writes to an archived project");
	free(before);

	/* Nothing was deleted. */
	assert_int_equal(
	    db_int(s, "SELECT count(*) FROM projects WHERE code = 'AUX' AND archived = 1", NULL),
	    1);
	assert_int_equal(db_int(s, "SELECT count(*) FROM project_units WHERE project_id = 1", NULL),
	                 2);
	assert_int_equal(db_int(s, "SELECT count(*) FROM plans WHERE project_id = 1", NULL), 1);
	luoshi_client_close(c);
}

/* ---- who may write, who may read ------------------------------------------------------------ */

/* Tries every write RPC with token and expects PERMISSION_DENIED for each,
 * with nothing written. target: the code of an existing project. */
static void expect_no_writes(const e2e_server *s, const char *token, const char *who,
                             const char *target)
{
	luoshi_client *c = e2e_client(s->tcp_url, token, 5000);
	char *before = snapshot(s);
	proj p = AUX;
	p.code = "NEW";
	p.name = "新项目";
	Luoshi__V1__CreateProjectRequest cr;
	fill_create(&cr, &p);
	Luoshi__V1__UpdateProjectRequest u = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	u.project = (char *)target;
	u.has_total_investment = true;
	u.total_investment = 1;
	Luoshi__V1__ArchiveProjectRequest a = LUOSHI__V1__ARCHIVE_PROJECT_REQUEST__INIT;
	a.project = (char *)target;
	Luoshi__V1__SetPlanRequest sp = LUOSHI__V1__SET_PLAN_REQUEST__INIT;
	sp.project = (char *)target;
	sp.has_year = sp.has_month = sp.has_invested = true;
	sp.year = 2026;
	sp.month = 5;
	sp.invested = 99;
	const struct {
		const char *method;
		const ProtobufCMessage *req;
	} writes[] = {
	    {M_CREATE, &cr.base},
	    {M_UPDATE, &u.base},
	    {M_ARCHIVE, &a.base},
	    {M_SET_PLAN, &sp.base},
	};
	for (size_t i = 0; i < 4; i++) {
		ProtobufCMessage *m;
		ls_status st;
		int rc = e2e_call(c, writes[i].method, writes[i].req, NULL, &m, &st);
		if (rc == LS_OK)
			protobuf_c_message_free_unpacked(m, NULL);
		if (rc != LS_PERMISSION_DENIED)
			fail_msg("%s calling %s on %s: %s (%s), expected PERMISSION_DENIED", who,
			         writes[i].method, target, ls_code_name(rc), st.message);
		char what[160];
		snprintf(what, sizeof what, "%s calling %s", who, writes[i].method);
		assert_unchanged(s, before, what);
	}
	free(before);
	luoshi_client_close(c);
}

static void test_write_matrix(void **state)
{
	e2e_server *s = *state;
	luoshi_client *admin = e2e_client(s->tcp_url, s->admin_token, 5000);
	accounts a;
	make_accounts(admin, &a);
	load_five(admin);

	/* Only an admin writes the registry, whatever the project: here AUX
	 * (in 下应街道) and CRRC (in 五乡镇, the WX town account's own). */
	const struct {
		const char *who, *token;
	} denied[] = {
	    {"leader", a.leader},         {"town WX", a.town_wx},     {"town XY", a.town_xy},
	    {"department", a.department}, {"inspector", a.inspector}, {"discipline", a.discipline},
	    {"viewer", a.viewer},
	};
	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		expect_no_writes(s, denied[i].token, denied[i].who, "AUX");
		expect_no_writes(s, denied[i].token, denied[i].who, "CRRC");
	}
	/* An admin of another district: its role may write, but not these
	 * rows, and not with units of this district. */
	expect_no_writes(s, a.other_admin, "the other district's admin", "AUX");

	/* The town of 五乡镇 forging 下应街道's project by its code and id. */
	luoshi_client *wx = e2e_client(s->tcp_url, a.town_wx, 5000);
	char *before = snapshot(s);
	Luoshi__V1__UpdateProjectRequest u = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	u.project = (char *)"AUX";
	u.town = (char *)"WX";
	u.lead_leader = (char *)"L02";
	call_fails(wx, M_UPDATE, &u.base, LS_PERMISSION_DENIED, NULL);
	u.project = (char *)"1";
	call_fails(wx, M_UPDATE, &u.base, LS_PERMISSION_DENIED, NULL);
	Luoshi__V1__SetPlanRequest sp = LUOSHI__V1__SET_PLAN_REQUEST__INIT;
	sp.project = (char *)"AUX";
	sp.has_year = sp.has_month = sp.has_invested = true;
	sp.year = 2026;
	sp.month = 1;
	sp.invested = 123;
	call_fails(wx, M_SET_PLAN, &sp.base, LS_PERMISSION_DENIED, NULL);
	assert_unchanged(s, before, "the town's forged writes");
	free(before);
	luoshi_client_close(wx);

	/* The other admin may create in its own district. */
	luoshi_client *other = e2e_client(s->tcp_url, a.other_admin, 5000);
	proj own = {.code = "HS1",
	            .name = "海曙项目",
	            .level = LUOSHI__V1__LEVEL__LEVEL_TOWN,
	            .category = LUOSHI__V1__CATEGORY__CATEGORY_LIVELIHOOD,
	            .stage = LUOSHI__V1__STAGE__STAGE_NEW,
	            .leader = "L09",
	            .unit = "OTHER",
	            .town = "OT",
	            .total = 100,
	            .start = "2026-01-01",
	            .finish = "2026-12-31"};
	int64_t hs = create_ok(other, &own);
	assert_int_equal(hs, 6);
	luoshi_client_close(other);

	/* And the admin of this district may do everything the others may not. */
	u.project = (char *)"AUX";
	u.town = NULL;
	protobuf_c_message_free_unpacked(&update_ok(admin, &u)->base, NULL);
	set_plan_ok(admin, "AUX", 2026, 1, 123);
	Luoshi__V1__ArchiveProjectRequest ar = LUOSHI__V1__ARCHIVE_PROJECT_REQUEST__INIT;
	ar.project = (char *)"CRRC";
	protobuf_c_message_free_unpacked(call_ok(admin, M_ARCHIVE, &ar.base), NULL);
	/* ... but not the other district's project. */
	u.project = (char *)"HS1";
	u.lead_leader = NULL;
	u.has_total_investment = true;
	u.total_investment = 5;
	call_fails(admin, M_UPDATE, &u.base, LS_PERMISSION_DENIED, "project");
	assert_int_equal(
	    db_int(s, "SELECT total_investment FROM projects WHERE code = 'HS1'", NULL), 100);
	luoshi_client_close(admin);
}

static void expect_visible(const e2e_server *s, const char *token, const char *who,
                           const char *codes, uint32_t total, const char *hidden, const char *shown)
{
	luoshi_client *c = e2e_client(s->tcp_url, token, 5000);
	Luoshi__V1__ListProjectsRequest f = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
	ProtobufCMessage *m = call_ok(c, M_LIST, &f.base);
	const Luoshi__V1__ListProjectsResponse *r = (Luoshi__V1__ListProjectsResponse *)m;
	char got[256];
	codes_of(r, got, sizeof got);
	if (strcmp(got, codes) != 0 || r->total_count != total)
		fail_msg("%s sees \"%s\" (%u), expected \"%s\" (%u)", who, got, r->total_count,
		         codes, total);
	protobuf_c_message_free_unpacked(m, NULL);
	if (hidden != NULL) {
		/* As if it did not exist: by code and by name, and its plans. */
		Luoshi__V1__GetProjectRequest g = LUOSHI__V1__GET_PROJECT_REQUEST__INIT;
		g.project = (char *)hidden;
		call_fails(c, M_GET, &g.base, LS_NOT_FOUND, "project");
		Luoshi__V1__ListPlansRequest q = LUOSHI__V1__LIST_PLANS_REQUEST__INIT;
		q.project = (char *)hidden;
		call_fails(c, M_LIST_PLANS, &q.base, LS_NOT_FOUND, "project");
	}
	if (shown != NULL) {
		Luoshi__V1__GetProjectResponse *g = get_ok(c, shown);
		assert_non_null(g->project);
		protobuf_c_message_free_unpacked(&g->base, NULL);
		Luoshi__V1__ListPlansRequest q = LUOSHI__V1__LIST_PLANS_REQUEST__INIT;
		q.project = (char *)shown;
		protobuf_c_message_free_unpacked(call_ok(c, M_LIST_PLANS, &q.base), NULL);
	}
	luoshi_client_close(c);
}

static void test_read_visibility(void **state)
{
	e2e_server *s = *state;
	luoshi_client *admin = e2e_client(s->tcp_url, s->admin_token, 5000);
	accounts a;
	make_accounts(admin, &a);
	load_five(admin);
	luoshi_client_close(admin);

	const char *all = "AUX CRRC MK SEW YC";
	expect_visible(s, s->admin_token, "admin", all, 5, NULL, "SEW");
	expect_visible(s, a.leader, "leader", all, 5, NULL, "AUX");
	expect_visible(s, a.inspector, "inspector", all, 5, NULL, "YC");
	expect_visible(s, a.discipline, "discipline", all, 5, NULL, "MK");
	/* A town: only the projects standing in it. */
	expect_visible(s, a.town_wx, "town WX", "CRRC SEW", 2, "AUX", "CRRC");
	expect_visible(s, a.town_xy, "town XY", "AUX MK", 2, "SEW", "美康智能健康产业中心");
	expect_visible(s, a.town_wx, "town WX", "CRRC SEW", 2, "奥克斯智能空调项目", NULL);
	/* A department: what it leads (AUX, YC) or contributes to (CRRC). */
	expect_visible(s, a.department, "department FG", "AUX CRRC YC", 3, "MK", "CRRC");
	expect_visible(s, a.department, "department FG", "AUX CRRC YC", 3, "SEW", NULL);
	/* A viewer: no project rows at all. */
	expect_visible(s, a.viewer, "viewer", "", 0, "AUX", NULL);
	expect_visible(s, a.viewer, "viewer", "", 0, "YC", NULL);
	/* Another district's admin sees none of this district's. */
	expect_visible(s, a.other_admin, "the other district's admin", "", 0, "AUX", NULL);

	/* Filters work inside the scope: the town's total counts only its own. */
	luoshi_client *c = e2e_client(s->tcp_url, a.town_wx, 5000);
	Luoshi__V1__ListProjectsRequest f = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
	f.has_category = true;
	f.category = LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL;
	expect_list(c, &f, "CRRC", 1);
	luoshi_client_close(c);
}

/* ---- the audit log -------------------------------------------------------------------------- */

static void test_audit(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	int64_t id = create_ok(c, &AUX);
	Luoshi__V1__UpdateProjectRequest u = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	u.project = (char *)"AUX";
	u.lead_leader = (char *)"L02";
	protobuf_c_message_free_unpacked(&update_ok(c, &u)->base, NULL);
	set_plan_ok(c, "AUX", 2026, 6, 3000);
	Luoshi__V1__ArchiveProjectRequest a = LUOSHI__V1__ARCHIVE_PROJECT_REQUEST__INIT;
	a.project = (char *)"AUX";
	protobuf_c_message_free_unpacked(call_ok(c, M_ARCHIVE, &a.base), NULL);
	/* Reads write no audit rows. */
	protobuf_c_message_free_unpacked(&get_ok(c, "AUX")->base, NULL);
	luoshi_client_close(c);
	assert_int_equal(id, 1);

	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM audit_log WHERE method = ?1 AND account_id "
	                        "= 1 AND project_id = 1 AND entity = 'project' AND entity_id = 1 "
	                        "AND before IS NULL AND instr(after, '奥克斯智能空调项目') > 0",
	                        M_CREATE),
	                 1);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM audit_log WHERE method = ?1 AND account_id "
	                        "= 1 AND project_id = 1 AND entity = 'project' AND entity_id = 1 "
	                        "AND instr(before, '\"leadLeaderCode\":\"L01\"') > 0 AND "
	                        "instr(after, '\"leadLeaderCode\":\"L02\"') > 0",
	                        M_UPDATE),
	                 1);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM audit_log WHERE method = ?1 AND account_id "
	                        "= 1 AND project_id = 1 AND entity = 'plan' AND entity_id IS NULL "
	                        "AND before IS NULL AND instr(after, '\"month\":6') > 0",
	                        M_SET_PLAN),
	                 1);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM audit_log WHERE method = ?1 AND account_id "
	                        "= 1 AND project_id = 1 AND entity = 'project' AND entity_id = 1 "
	                        "AND instr(before, '\"archived\":false') > 0 AND "
	                        "instr(after, '\"archived\":true') > 0",
	                        M_ARCHIVE),
	                 1);
	/* The init row and these four; the read wrote nothing. */
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log", NULL), 5);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE project_id = 1", NULL), 4);
}

/* ---- the command line ----------------------------------------------------------------------- */

static void show_run(const char *what, const e2e_run *r)
{
	fprintf(stderr, "%s: status %d\nstdout:\n%sstderr:\n%s", what, r->status, r->out, r->err);
}

static void cli(const e2e_server *s, const char *token, const char *lang, const char *const *args,
                int status, e2e_run *r)
{
	e2e_cli(s->dir, s->tcp_url, token, lang, args, r);
	if (r->status != status) {
		show_run(args[1] ? args[1] : args[0], r);
		int got = r->status;
		e2e_run_free(r);
		fail_msg("luoshi %s %s exited %d, expected %d", args[0], args[1] ? args[1] : "",
		         got, status);
	}
}

/* The value of the row labelled label in a "label  value" table. */
static char *table_value(const char *out, const char *label)
{
	size_t n = strlen(label);
	for (const char *line = out; *line != '\0';) {
		const char *end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (strncmp(line, label, n) == 0 && line[n] == ' ') {
			const char *v = line + n;
			while (*v == ' ')
				v++;
			return strndup(v, (size_t)(end - v));
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static void expect_row(const char *out, const char *label, const char *value)
{
	char *v = table_value(out, label);
	if (v == NULL || strcmp(v, value) != 0)
		fail_msg("'%s' is \"%s\", expected \"%s\" in:\n%s", label, v ? v : "(none)", value,
		         out);
	free(v);
}

/* The line of out that starts with prefix, or NULL; the caller frees it. */
static char *line_starting(const char *out, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *line = out; *line != '\0';) {
		const char *end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (strncmp(line, prefix, n) == 0)
			return strndup(line, (size_t)(end - line));
		line = *end ? end + 1 : end;
	}
	return NULL;
}

/* True if the words appear in line in this order, separated by spaces. */
static bool columns_are(const char *line, const char *const *words)
{
	const char *p = line;
	for (size_t i = 0; words[i] != NULL; i++) {
		size_t n = strlen(words[i]);
		if (strncmp(p, words[i], n) != 0)
			return false;
		p += n;
		if (words[i + 1] != NULL) {
			if (*p != ' ')
				return false;
			while (*p == ' ')
				p++;
		}
	}
	return *p == '\0';
}

static void test_cli(void **state)
{
	e2e_server *s = *state;
	luoshi_client *admin = e2e_client(s->tcp_url, s->admin_token, 5000);
	accounts a;
	make_accounts(admin, &a);
	luoshi_client_close(admin);
	const char *tok = s->admin_token;
	e2e_run r;

	const char *add[] = {"project",
	                     "add",
	                     "--code",
	                     "AUX",
	                     "--name",
	                     "奥克斯智能空调项目",
	                     "--level",
	                     "district",
	                     "--category",
	                     "industrial",
	                     "--stage",
	                     "new",
	                     "--leader",
	                     "王区长",
	                     "--unit",
	                     "区发改局",
	                     "--contributing",
	                     "JS，征迁清零组",
	                     "--town",
	                     "下应街道",
	                     "--total",
	                     "218900",
	                     "--start",
	                     "2026-01-05",
	                     "--finish",
	                     "2027-12-31",
	                     NULL};
	cli(s, tok, NULL, add, 0, &r);
	assert_true(strstr(r.out, "Project AUX is added.\n") == r.out);
	expect_row(r.out, "Name", "奥克斯智能空调项目");
	expect_row(r.out, "Level", "district");
	expect_row(r.out, "Lead leader", "L01 王区长");
	expect_row(r.out, "Responsible unit", "FG 区发改局");
	expect_row(r.out, "Contributing units", "JS, ZQ");
	expect_row(r.out, "Town", "XY 下应街道");
	expect_row(r.out, "Total investment", "218900 万元");
	expect_row(r.out, "Reporting", "weekly");
	expect_row(r.out, "Land clearance", "no");
	expect_row(r.out, "Fast track", "yes (from the total)");
	e2e_run_free(&r);
	assert_int_equal(count_projects(s), 1);

	/* Faults: two leaders (the server's), an unknown level (the client's). */
	char *before = snapshot(s);
	const char *two[] = {"project",    "add",
	                     "--code",     "MK",
	                     "--name",     "美康智能健康产业中心",
	                     "--level",    "town",
	                     "--category", "livelihood",
	                     "--stage",    "new",
	                     "--leader",   "王区长、李副区长",
	                     "--unit",     "JS",
	                     "--town",     "XY",
	                     "--total",    "30000",
	                     "--start",    "2026-01-10",
	                     "--finish",   "2027-06-30",
	                     NULL};
	cli(s, tok, NULL, two, 3, &r);
	assert_int_equal(e2e_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "INVALID_ARGUMENT"));
	assert_non_null(strstr(r.err, "lead_leader"));
	assert_non_null(strstr(r.err, "exactly one lead leader"));
	assert_string_equal(r.out, "");
	e2e_run_free(&r);
	const char *province[] = {"project", "add", "--code", "MK", "--level", "province", NULL};
	cli(s, tok, NULL, province, 3, &r);
	assert_non_null(strstr(r.err, "province"));
	assert_non_null(strstr(r.err, "city, district, town"));
	e2e_run_free(&r);
	const char *neg[] = {
	    "project",  "add",    "--code",     "MK",         "--name",   "美康智能健康产业中心",
	    "--level",  "town",   "--category", "livelihood", "--stage",  "new",
	    "--leader", "王区长", "--unit",     "JS",         "--town",   "XY",
	    "--total",  "-30000", "--start",    "2026-01-10", "--finish", "2027-06-30",
	    NULL};
	cli(s, tok, NULL, neg, 3, &r);
	assert_non_null(strstr(r.err, "total_investment"));
	e2e_run_free(&r);
	assert_unchanged(s, before, "the refused adds");
	free(before);

	/* A town-level project, then an edit. */
	two[13] = "L03";
	cli(s, tok, NULL, two, 0, &r);
	e2e_run_free(&r);
	const char *edit[] = {
	    "project", "edit",        "AUX",     "--leader",         "李副区长", "--fast-track",
	    "no",      "--frequency", "monthly", "--land-clearance", NULL};
	cli(s, tok, NULL, edit, 0, &r);
	assert_true(strstr(r.out, "Project AUX is changed.\n") == r.out);
	expect_row(r.out, "Lead leader", "L02 李副区长");
	expect_row(r.out, "Fast track", "no (set by hand)");
	expect_row(r.out, "Reporting", "monthly");
	expect_row(r.out, "Land clearance", "yes");
	expect_row(r.out, "Total investment", "218900 万元");
	e2e_run_free(&r);

	/* The list: a table with one line per project. */
	const char *list[] = {"project", "list", NULL};
	cli(s, tok, NULL, list, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 3);
	char *line = line_starting(r.out, "AUX ");
	assert_non_null(line);
	const char *aux_cols[] = {"AUX",    "奥克斯智能空调项目", "district", "industrial",
	                          "new",    "李副区长",           "区发改局", "下应街道",
	                          "218900", "2027-12-31",         NULL};
	if (!columns_are(line, aux_cols))
		fail_msg("the AUX line is: %s", line);
	free(line);
	line = line_starting(r.out, "MK ");
	assert_non_null(line);
	const char *mk_cols[] = {"MK",       "美康智能健康产业中心",
	                         "town",     "livelihood",
	                         "new",      "陈副区长",
	                         "区住建局", "下应街道",
	                         "30000",    "2027-06-30",
	                         NULL};
	if (!columns_are(line, mk_cols))
		fail_msg("the MK line is: %s", line);
	free(line);
	e2e_run_free(&r);

	const char *search[] = {"project", "list", "--search", "空调", NULL};
	cli(s, tok, NULL, search, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 2);
	line = line_starting(r.out, "AUX ");
	assert_non_null(line);
	free(line);
	e2e_run_free(&r);
	const char *town[] = {"project", "list", "--level", "town", "--town", "XY", "--json", NULL};
	cli(s, tok, NULL, town, 0, &r);
	assert_non_null(strstr(r.out, "\"code\": \"MK\""));
	assert_null(strstr(r.out, "\"code\": \"AUX\""));
	e2e_run_free(&r);
	const char *limit[] = {"project", "list", "--limit", "1", NULL};
	cli(s, tok, NULL, limit, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 2);
	assert_non_null(strstr(r.err, "1 of 2 projects shown."));
	e2e_run_free(&r);
	const char *none[] = {"project", "list", "--search", "大桥", NULL};
	cli(s, tok, NULL, none, 0, &r);
	assert_string_equal(r.out, "No projects.\n");
	e2e_run_free(&r);

	/* Plans for this year, which `project show` sums. */
	char year[16];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	snprintf(year, sizeof year, "%d", tm.tm_year + 1900);
	const char *set1[] = {"plan",       "set",  "--project", "奥克斯智能空调项目",
	                      "--year",     year,   "--month",   "1",
	                      "--invested", "1000", NULL};
	cli(s, tok, NULL, set1, 0, &r);
	char expect[128];
	snprintf(expect, sizeof expect, "Planned for AUX in %s-01: 1000 万元.\n", year);
	assert_string_equal(r.out, expect);
	e2e_run_free(&r);
	const char *set2[] = {"plan",    "set", "--project",  "AUX",  "--year", year,
	                      "--month", "2",   "--invested", "1500", NULL};
	cli(s, tok, NULL, set2, 0, &r);
	e2e_run_free(&r);
	const char *badmonth[] = {"plan",    "set", "--project",  "AUX", "--year", year,
	                          "--month", "13",  "--invested", "5",   NULL};
	cli(s, tok, NULL, badmonth, 3, &r);
	assert_non_null(strstr(r.err, "month"));
	e2e_run_free(&r);
	const char *plans[] = {"plan", "list", "--project", "AUX", "--year", year, NULL};
	cli(s, tok, NULL, plans, 0, &r);
	line = line_starting(r.out, "Total ");
	assert_non_null(line);
	const char *total_cols[] = {"Total", "2500", NULL};
	if (!columns_are(line, total_cols))
		fail_msg("the total line is: %s", line);
	free(line);
	e2e_run_free(&r);

	const char *show[] = {"project", "show", "AUX", NULL};
	cli(s, tok, NULL, show, 0, &r);
	expect_row(r.out, "Code", "AUX");
	/* The history, oldest first, after the project's own rows. */
	const char *history = strstr(r.out, "Lead leaders, oldest first:\n");
	assert_non_null(history);
	const char *first = strstr(history, "L01 王区长");
	const char *second = strstr(history, "L02 李副区长");
	assert_non_null(first);
	assert_non_null(second);
	assert_true(first < second);
	assert_null(strstr(second + 1, "L0"));
	line = line_starting(r.out, "  Total ");
	assert_non_null(line);
	if (!columns_are(line + 2, total_cols))
		fail_msg("the plan's total line is: %s", line);
	free(line);
	e2e_run_free(&r);

	/* The viewer cannot see it; a town cannot change it. */
	cli(s, a.viewer, NULL, show, 5, &r);
	assert_non_null(strstr(r.err, "NOT_FOUND"));
	e2e_run_free(&r);
	before = snapshot(s);
	const char *edit_total[] = {"project", "edit", "AUX", "--total", "1", NULL};
	cli(s, a.town_xy, NULL, edit_total, 7, &r);
	assert_non_null(strstr(r.err, "PERMISSION_DENIED"));
	e2e_run_free(&r);
	cli(s, a.town_xy, NULL, set1, 7, &r);
	e2e_run_free(&r);
	assert_unchanged(s, before, "the town's CLI writes");
	free(before);

	/* Archive: gone from the list, there with --all. */
	const char *archive[] = {"project", "archive", "AUX", NULL};
	cli(s, tok, NULL, archive, 0, &r);
	assert_true(strstr(r.out, "Project AUX is archived.\n") == r.out);
	expect_row(r.out, "Archived", "yes");
	e2e_run_free(&r);
	cli(s, tok, NULL, list, 0, &r);
	line = line_starting(r.out, "AUX ");
	assert_null(line);
	e2e_run_free(&r);
	const char *listall[] = {"project", "list", "--all", NULL};
	cli(s, tok, NULL, listall, 0, &r);
	line = line_starting(r.out, "AUX ");
	assert_non_null(line);
	free(line);
	e2e_run_free(&r);
	assert_int_equal(db_int(s, "SELECT archived FROM projects WHERE code = 'AUX'", NULL), 1);

	/* In Chinese: the labels and the level's name. */
	locale_t zh = newlocale(LC_ALL_MASK, "zh_CN.UTF-8", (locale_t)0);
	if (zh == (locale_t)0)
		fail_msg("the zh_CN.UTF-8 locale is not installed");
	freelocale(zh);
	cli(s, tok, "zh_CN.UTF-8", listall, 0, &r);
	line = line_starting(r.out, "MK ");
	assert_non_null(line);
	assert_non_null(strstr(line, "镇街道级"));
	assert_non_null(strstr(line, "民生"));
	free(line);
	assert_non_null(strstr(r.out, "编号"));
	e2e_run_free(&r);
	const char *show_mk[] = {"project", "show", "MK", NULL};
	cli(s, tok, "zh_CN.UTF-8", show_mk, 0, &r);
	expect_row(r.out, "领衔领导", "L03 陈副区长");
	e2e_run_free(&r);

	/* Help at every level. */
	const char *const helps[][4] = {
	    {"project", "--help", NULL},
	    {"project", "add", "--help", NULL},
	    {"project", "edit", "--help", NULL},
	    {"project", "list", "--help", NULL},
	    {"project", "show", "--help", NULL},
	    {"project", "archive", "--help", NULL},
	    {"plan", "--help", NULL},
	    {"plan", "set", "--help", NULL},
	    {"plan", "list", "--help", NULL},
	};
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		cli(s, tok, NULL, helps[i], 0, &r);
		assert_true(strncmp(r.out, "Usage: luoshi ", 14) == 0);
		e2e_run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_get, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_validation, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_update_validation, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_json_non_integer, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_fast_track, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_leader_history, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_filters_and_search, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_paging, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_plans, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_archive, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_write_matrix, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_read_visibility, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_audit, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli, setup, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_projects", tests, NULL, NULL);
}
