/* End to end: ExportService and `luoshi export`, 一图五表. A small district
 * is loaded from the side before the server starts; every expected figure
 * below is counted by hand from it. The workbook is read back with an
 * independent reader (Debian's python3-openpyxl), the battle map rendered
 * by headless Chromium (Debian's chromium): both must be installed, and a
 * test fails, not skips, without them.
 *
 * The district, as of 2026-06-15 (plan year 2026, month 6):
 *   C01 中车产业基地   city, 张区长, lead 区发改局, in 五乡镇; contributing
 *                     五乡镇 and 区住建局. Nodes: 1 done in time, 2 overdue,
 *                     3 pending. Tasks 1 (done), 2 (open, overdue). Plan
 *                     2026: 1000 1000 1500 1500 2000 2000 and 2500 × 6 =
 *                     24000 (and 900 in 2025-12, not this year's). Weeks:
 *                     2025-W52 (year 2025: out), W01 200 (output 1000, 30%),
 *                     W02 revision 2 of 2: 250 (31%), W10 700 (2000, 40%),
 *                     W25 900 (45%, begins on the as-of day), W26 (begins
 *                     after it: out).
 *   D01 美康…中心      district, 李副区长, lead 区住建局, in 下应街道,
 *                     contributing 区发改局. Nodes 4 done late, 5 due on
 *                     the as-of day (pending). Task 3 (open, 区发改局).
 *                     Plan: March 800, June 1200.
 *   D02 鄞城大道       district, 张区长, lead 区住建局, in 五乡镇, monthly.
 *                     Nodes 6 overdue, 7 done after the as-of day (so
 *                     pending). Task 4 cancelled. Plan 500 a month Jan-Jun;
 *                     2026-03 reported 600 (50%).
 *   D03 南部商务区二期 district, 李副区长, lead 区发改局, in 下应街道. Node 8
 *                     done on its day. Task 5 done after the as-of day (so
 *                     open). No plan, no update.
 *   T01 (a name with quotes, <, > and &) town-level, 李副区长, lead 五乡镇,
 *                     in 五乡镇. Plan: April 300.
 *   X01 in another district and A01 archived: never exported.
 * Counts: 5 projects; 8 nodes: 3 done (one late), 3 pending, 2 overdue;
 * 5 tasks; plan sheet 5 + 8 = 13 rows; division 8 + 5 = 13; responsibility
 * 5 + 5 = 10; progress: C01 4 periods + 6 months (Jan-Jun), D01 2 months,
 * D02 1 period + 6 months, T01 1 month = 20 rows. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/export.pb-c.h"

#define M_EXPORT "/luoshi.v1.ExportService/ExportTables"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"

#define TOKEN_MAX 128
#define AS_OF "2026-06-15"

/* Debian's, where python3-openpyxl lives (a python3 earlier on PATH may
 * not have it). */
#define PYTHON "/usr/bin/python3"
#define CHROMIUM "/usr/bin/chromium"

/* Where the screenshot and the files it shows are kept after the run, in
 * the test's working directory (the build tree). */
#define ARTEFACTS "export-artefacts"

/* The largest reply a client accepts by default. */
#define MAX_MESSAGE (4u << 20)

static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01'),"
    " (5, 'ZJJ', '区住建局', 'department', 1, '2026-01-01'),"
    " (6, 'BL', '北仑区', 'district', NULL, '2026-01-01'),"
    " (7, 'DQ', '大碶街道', 'town', 6, '2026-01-01');"
    "INSERT INTO people(id, code, name, title, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', '区长', 1, '2026-01-01'),"
    " (2, 'L02', '李副区长', '副区长', 1, '2026-01-01'),"
    " (3, 'P01', '王建国', '科长', 4, '2026-01-01'),"
    " (4, 'P02', '赵工', '', 5, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " archived, created_at) VALUES"
    " (1, 'C01', '中车产业基地', 'city', 'industrial', 'continuing', 1, 4, 2, 450000,"
    "  'weekly', '2025-03-01', '2028-12-31', 0, '2026-01-01'),"
    " (2, 'D01', '美康智能健康产业中心', 'district', 'livelihood', 'new', 2, 5, 3, 50000,"
    "  'weekly', '2026-01-05', '2027-06-30', 0, '2026-01-01'),"
    " (3, 'D02', '鄞城大道', 'district', 'infrastructure', 'new', 1, 5, 2, 80000,"
    "  'monthly', '2025-06-01', '2026-12-31', 0, '2026-01-01'),"
    " (4, 'D03', '南部商务区二期', 'district', 'platform', 'continuing', 2, 4, 3, 120000,"
    "  'weekly', '2024-01-01', '2026-08-31', 0, '2026-01-01'),"
    " (5, 'T01', '五乡镇\"美丽城镇\"<整治>&提升', 'town', 'livelihood', 'new', 2, 2, 2,"
    "  3000, 'weekly', '2026-03-01', '2026-12-31', 0, '2026-01-01'),"
    " (6, 'X01', '北仑港区项目', 'district', 'infrastructure', 'new', 1, 6, 7, 1000,"
    "  'weekly', '2026-01-01', '2026-12-31', 0, '2026-01-01'),"
    " (7, 'A01', '已归档项目', 'district', 'industrial', 'new', 1, 4, 2, 1000,"
    "  'weekly', '2026-01-01', '2026-12-31', 1, '2026-01-01');"
    "INSERT INTO project_units(project_id, unit_id) VALUES (1, 5), (1, 2), (2, 4);"
    "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date,"
    " created_at) VALUES"
    " (1, 1, '土地摘牌', '2026-02-28', 4, '2026-02-20', '2026-01-01'),"
    " (2, 1, '主体结顶', '2026-05-31', 2, NULL, '2026-01-01'),"
    " (3, 1, '设备安装', '2026-10-31', 4, NULL, '2026-01-01'),"
    " (4, 2, '桩基检测', '2026-03-31', 3, '2026-04-10', '2026-01-01'),"
    " (5, 2, '地下室完工', '2026-06-15', 3, NULL, '2026-01-01'),"
    " (6, 3, '路基完成', '2026-04-30', 5, NULL, '2026-01-01'),"
    " (7, 3, '建成通车', '2026-12-20', 5, '2026-07-01', '2026-01-01'),"
    " (8, 4, '竣工验收', '2026-01-31', 4, '2026-01-31', '2026-01-01'),"
    " (9, 6, '港区码头', '2026-02-28', 6, NULL, '2026-01-01'),"
    " (10, 7, '归档节点', '2026-02-28', 4, NULL, '2026-01-01');"
    "INSERT INTO tasks(id, project_id, description, unit_id, person_id, due_date, status,"
    " done_date, created_at) VALUES"
    " (1, 1, '落实年度建设资金, 签订\"贷款协议\"', 4, 3, '2026-03-31', 'done', '2026-03-25',"
    "  '2026-01-01'),"
    " (2, 1, '办理施工许可', 5, 4, '2026-05-31', 'open', NULL, '2026-01-01'),"
    " (3, 2, '完成环评批复', 4, NULL, '2026-07-31', 'open', NULL, '2026-01-01'),"
    " (4, 3, '征迁清零', 2, NULL, '2026-04-30', 'cancelled', NULL, '2026-01-01'),"
    " (5, 4, '竣工备案', 5, 4, '2026-08-31', 'done', '2026-07-10', '2026-01-01');"
    "INSERT INTO plans(project_id, year, month, invested) VALUES"
    " (1, 2025, 12, 900),"
    " (1, 2026, 1, 1000), (1, 2026, 2, 1000), (1, 2026, 3, 1500), (1, 2026, 4, 1500),"
    " (1, 2026, 5, 2000), (1, 2026, 6, 2000), (1, 2026, 7, 2500), (1, 2026, 8, 2500),"
    " (1, 2026, 9, 2500), (1, 2026, 10, 2500), (1, 2026, 11, 2500), (1, 2026, 12, 2500),"
    " (2, 2026, 3, 800), (2, 2026, 6, 1200),"
    " (3, 2026, 1, 500), (3, 2026, 2, 500), (3, 2026, 3, 500), (3, 2026, 4, 500),"
    " (3, 2026, 5, 500), (3, 2026, 6, 500),"
    " (5, 2026, 4, 300);"
    "INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last,"
    " month, year, revision, latest, unit_id, invested, output, percent, progress,"
    " submitted_at) VALUES"
    " (1, 1, '2025-W52', 'week', '2025-12-22', '2025-12-28', '2025-12', 2025, 1, 1, 2, 300,"
    "  NULL, 29, '年末冲刺', '2025-12-28T10:00:00+08:00'),"
    " (2, 1, '2026-W01', 'week', '2025-12-29', '2026-01-04', '2026-01', 2026, 1, 1, 2, 200,"
    "  1000, 30, '地下室施工', '2026-01-04T10:00:00+08:00'),"
    " (3, 1, '2026-W02', 'week', '2026-01-05', '2026-01-11', '2026-01', 2026, 1, 0, 2, 100,"
    "  NULL, 30, '初报', '2026-01-11T10:00:00+08:00'),"
    " (4, 1, '2026-W02', 'week', '2026-01-05', '2026-01-11', '2026-01', 2026, 2, 1, 2, 250,"
    "  NULL, 31, '主体施工, 第\"二\"层', '2026-01-12T09:00:00+08:00'),"
    " (5, 1, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 1, 1, 2, 700,"
    "  2000, 40, '主体三层', '2026-03-08T10:00:00+08:00'),"
    " (6, 1, '2026-W25', 'week', '2026-06-15', '2026-06-21', '2026-06', 2026, 1, 1, 2, 900,"
    "  NULL, 45, '主体五层', '2026-06-15T18:00:00+08:00'),"
    " (7, 1, '2026-W26', 'week', '2026-06-22', '2026-06-28', '2026-06', 2026, 1, 1, 2, 800,"
    "  NULL, 47, '主体六层', '2026-06-28T10:00:00+08:00'),"
    " (8, 3, '2026-03', 'month', '2026-03-01', '2026-03-31', '2026-03', 2026, 1, 1, 2, 600,"
    "  NULL, 50, '路基施工', '2026-03-31T10:00:00+08:00'),"
    " (9, 6, '2026-W05', 'week', '2026-01-26', '2026-02-01', '2026-01', 2026, 1, 1, 7, 50,"
    "  NULL, 10, '港区', '2026-02-01T10:00:00+08:00');";

typedef struct fx {
	e2e_server s;
	char wx[TOKEN_MAX];     /* town 五乡镇: C01, D02, T01 */
	char xy[TOKEN_MAX];     /* town 下应街道: D01, D03 */
	char fgj[TOKEN_MAX];    /* department 区发改局: C01, D01, D03 */
	char leader[TOKEN_MAX]; /* 张区长 */
	char inspector[TOKEN_MAX];
	char discipline[TOKEN_MAX];
	char viewer[TOKEN_MAX];
} fx;

static fx *shared;

/* CreateAccount as the admin, with a unit and a person (either may be
 * NULL). */
static void account(const e2e_server *s, int role, const char *name, const char *unit,
                    const char *person, char token[TOKEN_MAX])
{
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 10000);
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = (Luoshi__V1__Role)role;
	req.name = (char *)name;
	req.unit = (char *)unit;
	req.person = (char *)person;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_CREATE, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("CreateAccount %s: %s %s", name, ls_code_name(rc), st.message);
	snprintf(token, TOKEN_MAX, "%s", ((Luoshi__V1__CreateAccountResponse *)m)->token);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

static int load(e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, sql);
	e2e_db_ids_given(db);
	e2e_db_close(db);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0 || load(&f->s, FIXTURE) != 0)
		goto fail;
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(&f->s, extra) != 0)
		goto fail;
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇", "WX", NULL, f->wx);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "下应街道", "XY", NULL, f->xy);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "发改局", "FGJ", NULL, f->fgj);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_LEADER, "张区长", NULL, "L01", f->leader);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_INSPECTOR, "督查组", NULL, NULL, f->inspector);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_DISCIPLINE, "区纪委", NULL, NULL, f->discipline);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_VIEWER, "公众", NULL, NULL, f->viewer);
	shared = f;
	return 0;
fail:
	if (f != NULL)
		e2e_server_cleanup(&f->s);
	free(f);
	return -1;
}

static int group_teardown(void **state)
{
	(void)state;
	int rc = 0;
	if (shared != NULL) {
		if (shared->s.pid > 0 && e2e_server_stop(&shared->s) != 0)
			rc = -1;
		e2e_server_cleanup(&shared->s);
		free(shared);
		shared = NULL;
	}
	return rc;
}

/* ---- calling ------------------------------------------------------------------ */

static Luoshi__V1__ExportTablesRequest request(void)
{
	Luoshi__V1__ExportTablesRequest r = LUOSHI__V1__EXPORT_TABLES_REQUEST__INIT;
	r.as_of = (char *)AS_OF;
	return r;
}

static int export_call(const char *token, const Luoshi__V1__ExportTablesRequest *req,
                       Luoshi__V1__ExportTablesResponse **out, ls_status *st)
{
	luoshi_client *c = e2e_client(shared->s.tcp_url, token, 30000);
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_EXPORT, &req->base, NULL, &m, st);
	luoshi_client_close(c);
	*out = (Luoshi__V1__ExportTablesResponse *)m;
	return rc;
}

static Luoshi__V1__ExportTablesResponse *export_ok(const char *token,
                                                   const Luoshi__V1__ExportTablesRequest *req)
{
	Luoshi__V1__ExportTablesResponse *r;
	ls_status st;
	int rc = export_call(token, req, &r, &st);
	if (rc != LS_OK)
		fail_msg("ExportTables: %s %s", ls_code_name(rc), st.message);
	return r;
}

/* "C01,D01" from the projects of r. */
static void codes(const Luoshi__V1__ExportTablesResponse *r, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n_projects; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? "," : "",
		                         r->projects[i]->code);
}

static void expect_codes(const char *token, const Luoshi__V1__ExportTablesRequest *req,
                         const char *want)
{
	Luoshi__V1__ExportTablesResponse *r = export_ok(token, req);
	char got[256];
	codes(r, got, sizeof got);
	assert_string_equal(got, want);
	assert_int_equal(r->total_projects, r->n_projects);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static const Luoshi__V1__PlanNodeRow *node_by_id(const Luoshi__V1__ExportTablesResponse *r,
                                                 int64_t id)
{
	for (size_t i = 0; i < r->n_plan_nodes; i++)
		if (r->plan_nodes[i]->node_id == id)
			return r->plan_nodes[i];
	fail_msg("node %" PRId64 " missing", id);
	return NULL;
}

static const Luoshi__V1__TaskRow *task_by_id(const Luoshi__V1__ExportTablesResponse *r, int64_t id)
{
	for (size_t i = 0; i < r->n_tasks; i++)
		if (r->tasks[i]->task_id == id)
			return r->tasks[i];
	fail_msg("task %" PRId64 " missing", id);
	return NULL;
}

static const Luoshi__V1__ProgressRow *progress_row(const Luoshi__V1__ExportTablesResponse *r,
                                                   const char *project, const char *period,
                                                   int kind)
{
	for (size_t i = 0; i < r->n_progress; i++) {
		const Luoshi__V1__ProgressRow *p = r->progress[i];
		if (strcmp(p->project_code, project) == 0 && strcmp(p->period, period) == 0 &&
		    (int)p->kind == kind)
			return p;
	}
	return NULL;
}

/* Every row of every table of r belongs to one of the projects of r. */
static void rows_belong(const Luoshi__V1__ExportTablesResponse *r)
{
	char have[256];
	codes(r, have, sizeof have);
	char key[80];
#define BELONGS(field, code)                                                 \
	for (size_t i = 0; i < r->n_##field; i++) {                          \
		snprintf(key, sizeof key, "%s", r->field[i]->code);          \
		if (strstr(have, key) == NULL)                               \
			fail_msg(#field " row of %s outside %s", key, have); \
	}
	BELONGS(plan_nodes, project_code)
	BELONGS(plan_months, project_code)
	BELONGS(tasks, project_code)
	BELONGS(division, project_code)
	BELONGS(responsibility, project_code)
	BELONGS(progress, project_code)
#undef BELONGS
}

/* Rows of all tables together, to see that nothing was written. */
static int64_t all_rows(void)
{
	e2e_db *db = e2e_db_connect(&shared->s);
	int64_t n = e2e_db_int(db,
	                       "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM "
	                       "projects) + (SELECT count(*) FROM nodes) + (SELECT count(*) FROM "
	                       "tasks) + (SELECT count(*) FROM plans) + (SELECT count(*) FROM "
	                       "updates) + (SELECT count(*) FROM idempotency_keys)",
	                       NULL, NULL);
	e2e_db_close(db);
	return n;
}

/* ---- the RPC ------------------------------------------------------------------ */

static void test_tables(void **state)
{
	(void)state;
	int64_t before = all_rows();
	Luoshi__V1__ExportTablesRequest req = request();
	Luoshi__V1__ExportTablesResponse *r = export_ok(shared->s.admin_token, &req);
	assert_string_equal(r->as_of, AS_OF);
	assert_int_equal(r->year, 2026);
	char got[256];
	codes(r, got, sizeof got);
	assert_string_equal(got, "C01,D01,D02,D03,T01");
	assert_int_equal(r->total_projects, 5);
	assert_null(r->next_page_token);

	/* Projects: the year's plan summed; who leads. */
	const Luoshi__V1__ExportProject *c01 = r->projects[0], *d03 = r->projects[3];
	assert_int_equal(c01->year_plan, 24000);
	assert_true(d03->has_year_plan);
	assert_int_equal(d03->year_plan, 0);
	assert_int_equal(c01->level, LUOSHI__V1__LEVEL__LEVEL_CITY);
	assert_string_equal(c01->lead_leader_name, "张区长");
	assert_string_equal(c01->lead_leader_title, "区长");
	assert_string_equal(c01->lead_unit_name, "区发改局");
	assert_string_equal(c01->town_name, "五乡镇");
	assert_int_equal(c01->total_investment, 450000);

	/* 计划表: nodes as of the day. */
	assert_int_equal(r->n_plan_nodes, 8);
	static const struct {
		int64_t id;
		int status;
		const char *done;
	} nodes[] = {
	    {1, LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE, "2026-02-20"},
	    {2, LUOSHI__V1__NODE_STATUS__NODE_STATUS_OVERDUE, NULL},
	    {3, LUOSHI__V1__NODE_STATUS__NODE_STATUS_PENDING, NULL},
	    {4, LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE_LATE, "2026-04-10"},
	    {5, LUOSHI__V1__NODE_STATUS__NODE_STATUS_PENDING, NULL},
	    {6, LUOSHI__V1__NODE_STATUS__NODE_STATUS_OVERDUE, NULL},
	    {7, LUOSHI__V1__NODE_STATUS__NODE_STATUS_PENDING, NULL},
	    {8, LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE, "2026-01-31"},
	};
	for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		const Luoshi__V1__PlanNodeRow *n = node_by_id(r, nodes[i].id);
		assert_int_equal(n->status, nodes[i].status);
		if (nodes[i].done != NULL)
			assert_string_equal(n->done_date, nodes[i].done);
		else
			assert_null(n->done_date);
	}
	assert_string_equal(node_by_id(r, 2)->owner_unit_name, "五乡镇");
	assert_string_equal(node_by_id(r, 2)->due_date, "2026-05-31");

	/* 计划表: the 2026 plan months only: 12 + 2 + 6 + 1. */
	assert_int_equal(r->n_plan_months, 21);
	int64_t c01_plan = 0;
	for (size_t i = 0; i < r->n_plan_months; i++)
		if (strcmp(r->plan_months[i]->project_code, "C01") == 0)
			c01_plan += r->plan_months[i]->planned;
	assert_int_equal(c01_plan, 24000);

	/* 任务表. */
	assert_int_equal(r->n_tasks, 5);
	assert_int_equal(task_by_id(r, 1)->status, LUOSHI__V1__TASK_STATUS__TASK_DONE);
	assert_string_equal(task_by_id(r, 1)->done_date, "2026-03-25");
	assert_string_equal(task_by_id(r, 1)->person_name, "王建国");
	assert_int_equal(task_by_id(r, 2)->status, LUOSHI__V1__TASK_STATUS__TASK_OPEN);
	assert_true(task_by_id(r, 2)->overdue);
	assert_false(task_by_id(r, 3)->overdue);
	assert_null(task_by_id(r, 3)->person_name);
	assert_int_equal(task_by_id(r, 4)->status, LUOSHI__V1__TASK_STATUS__TASK_CANCELLED);
	assert_false(task_by_id(r, 4)->overdue);
	assert_int_equal(task_by_id(r, 5)->status, LUOSHI__V1__TASK_STATUS__TASK_OPEN);
	assert_null(task_by_id(r, 5)->done_date);

	/* 分工表: every node by its owner, every task by its unit. */
	assert_int_equal(r->n_division, 13);
	int fgj = 0;
	for (size_t i = 0; i < r->n_division; i++)
		if (strcmp(r->division[i]->unit_code, "FGJ") == 0)
			fgj++;
	assert_int_equal(fgj, 5); /* nodes 1, 3, 8; tasks 1, 3 */

	/* 责任表. */
	assert_int_equal(r->n_responsibility, 10);
	const Luoshi__V1__ResponsibilityRow *pr = r->responsibility[0];
	assert_int_equal(pr->kind, LUOSHI__V1__ITEM_KIND__ITEM_KIND_PROJECT);
	assert_string_equal(pr->project_code, "C01");
	assert_string_equal(pr->unit_name, "区发改局");
	assert_int_equal(pr->n_contributing_unit_names, 2);
	assert_string_equal(pr->contributing_unit_codes[0], "WX");
	assert_string_equal(pr->contributing_unit_names[1], "区住建局");
	const Luoshi__V1__ResponsibilityRow *tr = r->responsibility[1];
	assert_int_equal(tr->kind, LUOSHI__V1__ITEM_KIND__ITEM_KIND_TASK);
	assert_string_equal(tr->person_name, "王建国");
	assert_string_equal(tr->person_title, "科长");
	assert_string_equal(tr->lead_leader_name, "张区长");

	/* 进度表. */
	assert_int_equal(r->n_progress, 20);
	const int PERIOD = LUOSHI__V1__PROGRESS_ROW_KIND__PROGRESS_ROW_KIND_PERIOD;
	const int MONTH = LUOSHI__V1__PROGRESS_ROW_KIND__PROGRESS_ROW_KIND_MONTH;
	assert_null(progress_row(r, "C01", "2025-W52", PERIOD));
	assert_null(progress_row(r, "C01", "2026-W26", PERIOD));
	const Luoshi__V1__ProgressRow *w02 = progress_row(r, "C01", "2026-W02", PERIOD);
	assert_non_null(w02);
	assert_int_equal(w02->revision, 2);
	assert_int_equal(w02->invested, 250);
	assert_false(w02->has_output);
	assert_false(w02->has_planned);
	const Luoshi__V1__ProgressRow *jan = progress_row(r, "C01", "2026-01", MONTH);
	assert_non_null(jan);
	assert_int_equal(jan->invested, 450);
	assert_true(jan->has_output);
	assert_int_equal(jan->output, 1000);
	assert_int_equal(jan->percent, 31);
	assert_int_equal(jan->planned, 1000);
	assert_int_equal(jan->reports, 2);
	assert_string_equal(jan->period_first, "2026-01-01");
	assert_string_equal(jan->period_last, "2026-01-31");
	const Luoshi__V1__ProgressRow *feb = progress_row(r, "C01", "2026-02", MONTH);
	assert_non_null(feb);
	assert_int_equal(feb->invested, 0);
	assert_int_equal(feb->reports, 0);
	assert_int_equal(feb->planned, 1000);
	assert_null(progress_row(r, "C01", "2026-07", MONTH)); /* after the as-of month */
	const Luoshi__V1__ProgressRow *jun = progress_row(r, "C01", "2026-06", MONTH);
	assert_non_null(jun);
	assert_int_equal(jun->invested, 900);
	const Luoshi__V1__ProgressRow *d02 = progress_row(r, "D02", "2026-03", MONTH);
	assert_non_null(d02);
	assert_int_equal(d02->invested, 600);
	assert_int_equal(d02->planned, 500);
	/* The month row comes right after its month's periods. */
	for (size_t i = 0; i + 1 < r->n_progress; i++)
		if (r->progress[i] == w02)
			assert_ptr_equal(r->progress[i + 1], jan);
	/* D03 has neither a plan nor a report this year. */
	for (size_t i = 0; i < r->n_progress; i++)
		assert_string_not_equal(r->progress[i]->project_code, "D03");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(all_rows(), before);
}

static void test_as_of(void **state)
{
	(void)state;
	/* A day before node 1 was done, and in the year before. */
	Luoshi__V1__ExportTablesRequest req = request();
	req.as_of = (char *)"2026-02-10";
	Luoshi__V1__ExportTablesResponse *r = export_ok(shared->s.admin_token, &req);
	assert_int_equal(node_by_id(r, 1)->status, LUOSHI__V1__NODE_STATUS__NODE_STATUS_PENDING);
	assert_null(node_by_id(r, 1)->done_date);
	assert_int_equal(node_by_id(r, 8)->status, LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE);
	assert_int_equal(task_by_id(r, 1)->status, LUOSHI__V1__TASK_STATUS__TASK_OPEN);
	/* C01: weeks W01 and W02, the months January and February; D02: its
	 * January and February plans. */
	assert_int_equal(r->n_progress, 4 + 0 + 2 + 0 + 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* W02's second revision came on 01-12: on 01-11 the first stood. */
	req.as_of = (char *)"2026-01-11";
	r = export_ok(shared->s.admin_token, &req);
	const Luoshi__V1__ProgressRow *w02 = progress_row(
	    r, "C01", "2026-W02", LUOSHI__V1__PROGRESS_ROW_KIND__PROGRESS_ROW_KIND_PERIOD);
	assert_non_null(w02);
	assert_int_equal(w02->revision, 1);
	assert_int_equal(w02->invested, 100);
	assert_string_equal(w02->progress, "初报");
	const Luoshi__V1__ProgressRow *jan = progress_row(
	    r, "C01", "2026-01", LUOSHI__V1__PROGRESS_ROW_KIND__PROGRESS_ROW_KIND_MONTH);
	assert_non_null(jan);
	assert_int_equal(jan->invested, 200 + 100);
	assert_int_equal(jan->percent, 30);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	req.as_of = (char *)"2025-12-31";
	r = export_ok(shared->s.admin_token, &req);
	assert_int_equal(r->year, 2025);
	assert_int_equal(r->projects[0]->year_plan, 900);
	/* 2025-W52 and its December month row. */
	assert_int_equal(r->n_progress, 2);
	assert_int_equal(r->progress[1]->planned, 900);
	assert_int_equal(r->progress[1]->invested, 300);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_filters(void **state)
{
	(void)state;
	const char *admin = shared->s.admin_token;
	Luoshi__V1__ExportTablesRequest req = request();
	req.has_level = true;
	req.level = LUOSHI__V1__LEVEL__LEVEL_DISTRICT;
	expect_codes(admin, &req, "D01,D02,D03");
	req = request();
	req.has_category = true;
	req.category = LUOSHI__V1__CATEGORY__CATEGORY_LIVELIHOOD;
	expect_codes(admin, &req, "D01,T01");
	req = request();
	req.has_stage = true;
	req.stage = LUOSHI__V1__STAGE__STAGE_NEW;
	expect_codes(admin, &req, "D01,D02,T01");
	req = request();
	req.town = (char *)"五乡镇";
	expect_codes(admin, &req, "C01,D02,T01");
	req = request();
	req.leader = (char *)"张区长";
	expect_codes(admin, &req, "C01,D02");
	req = request();
	req.unit = (char *)"FGJ"; /* leads C01, D03; contributes to D01 */
	expect_codes(admin, &req, "C01,D01,D03");
	req = request();
	req.unit = (char *)"ZJJ";
	req.has_stage = true;
	req.stage = LUOSHI__V1__STAGE__STAGE_CONTINUING;
	expect_codes(admin, &req, "C01");
}

static void expect_invalid(const Luoshi__V1__ExportTablesRequest *req, const char *field)
{
	Luoshi__V1__ExportTablesResponse *r;
	ls_status st;
	int rc = export_call(shared->s.admin_token, req, &r, &st);
	assert_int_equal(rc, LS_INVALID_ARGUMENT);
	assert_null(r);
	assert_string_equal(st.field, field);
}

static void test_validation(void **state)
{
	(void)state;
	int64_t before = all_rows();
	Luoshi__V1__ExportTablesRequest req = request();
	req.as_of = (char *)"2026-02-30";
	expect_invalid(&req, "as_of");
	req.as_of = (char *)"15.06.2026";
	expect_invalid(&req, "as_of");
	req = request();
	req.has_level = true;
	req.level = (Luoshi__V1__Level)9;
	expect_invalid(&req, "level");
	req = request();
	req.has_category = true;
	req.category = (Luoshi__V1__Category)42;
	expect_invalid(&req, "category");
	req = request();
	req.has_stage = true;
	req.stage = (Luoshi__V1__Stage)7;
	expect_invalid(&req, "stage");
	req = request();
	req.town = (char *)"无此镇";
	expect_invalid(&req, "town");
	req = request();
	req.leader = (char *)"NOBODY";
	expect_invalid(&req, "leader");
	req = request();
	req.unit = (char *)"NOUNIT";
	expect_invalid(&req, "unit");
	req = request();
	req.page_token = (char *)"x2";
	expect_invalid(&req, "page_token");
	req.page_token = (char *)"-3";
	expect_invalid(&req, "page_token");
	assert_int_equal(all_rows(), before);
}

static void test_roles(void **state)
{
	(void)state;
	Luoshi__V1__ExportTablesRequest req = request();
	expect_codes(shared->s.admin_token, &req, "C01,D01,D02,D03,T01");
	expect_codes(shared->leader, &req, "C01,D01,D02,D03,T01");
	expect_codes(shared->inspector, &req, "C01,D01,D02,D03,T01");
	expect_codes(shared->discipline, &req, "C01,D01,D02,D03,T01");
	expect_codes(shared->wx, &req, "C01,D02,T01");
	expect_codes(shared->xy, &req, "D01,D03");
	/* Leads C01 and D03, contributes to D01, owns nodes and tasks there. */
	expect_codes(shared->fgj, &req, "C01,D01,D03");

	/* A town's rows are its own projects' rows, every table of them. */
	Luoshi__V1__ExportTablesResponse *r = export_ok(shared->wx, &req);
	rows_belong(r);
	assert_int_equal(r->n_plan_nodes, 5); /* 1, 2, 3 of C01; 6, 7 of D02 */
	assert_int_equal(r->n_tasks, 3);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Asking for another town's projects by filter gets none of them. */
	req.town = (char *)"XY";
	expect_codes(shared->wx, &req, "");
	req.town = NULL;

	ls_status st;
	int rc = export_call(shared->viewer, &req, &r, &st);
	assert_int_equal(rc, LS_PERMISSION_DENIED);
	assert_null(r);
}

static void test_paging(void **state)
{
	(void)state;
	Luoshi__V1__ExportTablesRequest req = request();
	req.has_page_size = true;
	req.page_size = 2;
	static const char *const pages[] = {"C01,D01", "D02,D03", "T01"};
	static const char *const tokens[] = {"2", "4", NULL};
	char *token = NULL;
	size_t nodes = 0, progress = 0;
	for (int i = 0; i < 3; i++) {
		req.page_token = token;
		Luoshi__V1__ExportTablesResponse *r = export_ok(shared->s.admin_token, &req);
		char got[64];
		codes(r, got, sizeof got);
		assert_string_equal(got, pages[i]);
		assert_int_equal(r->total_projects, 5);
		rows_belong(r);
		nodes += r->n_plan_nodes;
		progress += r->n_progress;
		free(token);
		token = NULL;
		if (tokens[i] == NULL) {
			assert_null(r->next_page_token);
		} else {
			assert_string_equal(r->next_page_token, tokens[i]);
			token = strdup(r->next_page_token);
		}
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	assert_int_equal(nodes, 8);
	assert_int_equal(progress, 20);
}

/* ---- the command line: files ------------------------------------------------- */

static void cli(const char *token, const char *lang, const char *const *args, e2e_run *r)
{
	e2e_cli(shared->s.dir, shared->s.tcp_url, token, lang, args, r);
}

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", shared->s.dir, name);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void keep_artefact(const char *from, const char *name)
{
	if (mkdir(ARTEFACTS, 0777) != 0 && errno != EEXIST)
		return;
	size_t len;
	char *data = e2e_read_file(from, &len);
	if (data == NULL)
		return;
	char to[256];
	snprintf(to, sizeof to, "%s/%s", ARTEFACTS, name);
	FILE *f = fopen(to, "wb");
	if (f != NULL) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	free(data);
}

/* The workbook's cells, as the independent reader sees them: per sheet its
 * frozen pane, its autofilter, its column widths and its rows, each cell
 * null or [kind, value, number format] with kind number, date (value
 * YYYY-MM-DD), text or bool. */
static const char READER[] =
    "import datetime, json, sys\n"
    "import openpyxl\n"
    "wb = openpyxl.load_workbook(sys.argv[1])\n"
    "out = {'sheets': wb.sheetnames}\n"
    "for ws in wb.worksheets:\n"
    "    rows = []\n"
    "    for row in ws.iter_rows():\n"
    "        r = []\n"
    "        for c in row:\n"
    "            v = c.value\n"
    "            if v is None:\n"
    "                r.append(None)\n"
    "            elif isinstance(v, bool):\n"
    "                r.append(['bool', v, c.number_format])\n"
    "            elif isinstance(v, (int, float)):\n"
    "                r.append(['number', v, c.number_format])\n"
    "            elif isinstance(v, datetime.datetime):\n"
    "                r.append(['date', v.strftime('%Y-%m-%d'), c.number_format])\n"
    "            else:\n"
    "                r.append(['text', str(v), c.number_format])\n"
    "        rows.append(r)\n"
    "    out[ws.title] = {'freeze': ws.freeze_panes, 'filter': ws.auto_filter.ref,\n"
    "                     'widths': {k: d.width for k, d in ws.column_dimensions.items()},\n"
    "                     'rows': rows}\n"
    "json.dump(out, sys.stdout, ensure_ascii=False)\n";

static json_t *read_workbook(const char *path)
{
	char *const argv[] = {(char *)PYTHON, (char *)"-c", (char *)READER, (char *)path, NULL};
	char *const envp[] = {(char *)"PATH=/usr/bin:/bin", (char *)"LANG=C.UTF-8", NULL};
	e2e_run r;
	if (access(PYTHON, X_OK) != 0)
		fail_msg("%s is missing: install python3-openpyxl (deploy/packages.txt)", PYTHON);
	assert_int_equal(e2e_run_program(argv, envp, 60000, &r), 0);
	if (r.status != 0)
		fail_msg("the workbook reader failed (%d): %s", r.status, r.err);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	if (j == NULL)
		fail_msg("the reader's JSON: %s", err.text);
	e2e_run_free(&r);
	return j;
}

/* Cell (row, col), both from 0, of a sheet; NULL when empty. */
static json_t *cell(json_t *wb, const char *sheet, size_t row, size_t col)
{
	json_t *rows = json_object_get(json_object_get(wb, sheet), "rows");
	assert_non_null(rows);
	json_t *r = json_array_get(rows, row);
	assert_non_null(r);
	json_t *c = json_array_get(r, col);
	return json_is_null(c) ? NULL : c;
}

static void expect_text(json_t *wb, const char *sheet, size_t row, size_t col, const char *want)
{
	json_t *c = cell(wb, sheet, row, col);
	if (c == NULL)
		fail_msg("%s[%zu][%zu] is empty, not %s", sheet, row, col, want);
	assert_string_equal(json_string_value(json_array_get(c, 0)), "text");
	assert_string_equal(json_string_value(json_array_get(c, 1)), want);
}

static void expect_number(json_t *wb, const char *sheet, size_t row, size_t col, double want,
                          const char *format)
{
	json_t *c = cell(wb, sheet, row, col);
	if (c == NULL)
		fail_msg("%s[%zu][%zu] is empty, not %g", sheet, row, col, want);
	assert_string_equal(json_string_value(json_array_get(c, 0)), "number");
	double got = json_number_value(json_array_get(c, 1));
	if (fabs(got - want) > 1e-9)
		fail_msg("%s[%zu][%zu] is %g, not %g", sheet, row, col, got, want);
	assert_string_equal(json_string_value(json_array_get(c, 2)), format);
}

static void expect_date(json_t *wb, const char *sheet, size_t row, size_t col, const char *want)
{
	json_t *c = cell(wb, sheet, row, col);
	if (c == NULL)
		fail_msg("%s[%zu][%zu] is empty, not %s", sheet, row, col, want);
	assert_string_equal(json_string_value(json_array_get(c, 0)), "date");
	assert_string_equal(json_string_value(json_array_get(c, 1)), want);
	assert_string_equal(json_string_value(json_array_get(c, 2)), "yyyy-mm-dd");
}

static double width(json_t *wb, const char *sheet, const char *col)
{
	json_t *w = json_object_get(json_object_get(json_object_get(wb, sheet), "widths"), col);
	assert_non_null(w);
	return json_number_value(w);
}

static size_t sheet_rows(json_t *wb, const char *sheet)
{
	return json_array_size(json_object_get(json_object_get(wb, sheet), "rows"));
}

/* The row of a sheet whose first columns are a, b (and c, when not NULL). */
static size_t find_row(json_t *wb, const char *sheet, const char *a, const char *b, const char *c)
{
	size_t n = sheet_rows(wb, sheet);
	for (size_t i = 1; i < n; i++) {
		json_t *x = cell(wb, sheet, i, 0), *y = cell(wb, sheet, i, 2),
		       *z = cell(wb, sheet, i, 3);
		if (x && y && strcmp(json_string_value(json_array_get(x, 1)), a) == 0 &&
		    strcmp(json_string_value(json_array_get(y, 1)), b) == 0 &&
		    (c == NULL || (z && strcmp(json_string_value(json_array_get(z, 1)), c) == 0)))
			return i;
	}
	fail_msg("%s has no row %s %s %s", sheet, a, b, c ? c : "");
	return 0;
}

static void test_xlsx(void **state)
{
	(void)state;
	char path[E2E_PATH_MAX + 32];
	path_in(path, sizeof path, "一图五表.xlsx");
	const char *args[] = {"export", "--as-of", AS_OF, "--xlsx", path, NULL};
	e2e_run r;
	cli(shared->s.admin_token, NULL, args, &r);
	if (r.status != 0)
		fail_msg("luoshi export exited %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "Exported 5 projects as of 2026-06-15."));
	e2e_run_free(&r);
	keep_artefact(path, "一图五表.xlsx");

	json_t *wb = read_workbook(path);
	json_t *names = json_object_get(wb, "sheets");
	static const char *const sheets[] = {"计划表", "任务表", "分工表", "责任表", "进度表"};
	assert_int_equal(json_array_size(names), 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(json_string_value(json_array_get(names, i)), sheets[i]);
		json_t *sh = json_object_get(wb, sheets[i]);
		/* The header row (and the two columns naming the row) frozen. */
		assert_string_equal(json_string_value(json_object_get(sh, "freeze")), "C2");
		expect_text(wb, sheets[i], 0, 0, i == 2 ? "单位编号" : "项目编号");
	}

	/* 计划表: 13 rows and the header, 21 columns (A..U) under the filter. */
	assert_int_equal(sheet_rows(wb, "计划表"), 14);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(wb, "计划表"), "filter")), "A1:U14");
	expect_text(wb, "计划表", 0, 1, "项目名称");
	expect_text(wb, "计划表", 0, 8, "全年计划投资（万元）");
	expect_text(wb, "计划表", 0, 20, "12月");
	expect_text(wb, "计划表", 1, 2, "年度投资计划");
	expect_number(wb, "计划表", 1, 8, 24000, "#,##0");
	expect_number(wb, "计划表", 1, 9, 1000, "#,##0");
	expect_number(wb, "计划表", 1, 20, 2500, "#,##0");
	expect_text(wb, "计划表", 2, 3, "土地摘牌");
	expect_date(wb, "计划表", 2, 4, "2026-02-28");
	expect_date(wb, "计划表", 2, 5, "2026-02-20");
	expect_text(wb, "计划表", 2, 6, "已完成");
	expect_text(wb, "计划表", 3, 6, "已逾期");
	assert_null(cell(wb, "计划表", 3, 5)); /* not done */
	size_t d01 = find_row(wb, "计划表", "D01", "节点", "桩基检测");
	expect_text(wb, "计划表", d01, 6, "逾期完成");
	/* Widths: the widest cell plus two, a Chinese character counting
	 * two: 项目编号 is 8 wide; T01's name 27. */
	assert_true(width(wb, "计划表", "A") >= 10 && width(wb, "计划表", "A") < 11);
	assert_true(width(wb, "计划表", "B") >= 29 && width(wb, "计划表", "B") < 30);

	/* 任务表. */
	assert_int_equal(sheet_rows(wb, "任务表"), 6);
	expect_text(wb, "任务表", 1, 2, "落实年度建设资金, 签订\"贷款协议\"");
	expect_date(wb, "任务表", 1, 5, "2026-03-31");
	expect_date(wb, "任务表", 1, 6, "2026-03-25");
	expect_text(wb, "任务表", 1, 7, "已完成");
	expect_text(wb, "任务表", 2, 7, "已逾期");

	/* 分工表: by unit code; FGJ comes first, with its five items. */
	assert_int_equal(sheet_rows(wb, "分工表"), 14);
	for (size_t i = 1; i <= 5; i++)
		expect_text(wb, "分工表", i, 0, "FGJ");
	expect_text(wb, "分工表", 6, 0, "WX");

	/* 责任表. */
	assert_int_equal(sheet_rows(wb, "责任表"), 11);
	expect_text(wb, "责任表", 1, 4, "张区长");
	expect_text(wb, "责任表", 1, 7, "五乡镇、区住建局");
	expect_text(wb, "责任表", 2, 9, "王建国");

	/* 进度表: January of C01, 450 of a plan of 1000. */
	assert_int_equal(sheet_rows(wb, "进度表"), 21);
	size_t jan = find_row(wb, "进度表", "C01", "2026-01", "月计");
	expect_date(wb, "进度表", jan, 4, "2026-01-01");
	expect_number(wb, "进度表", jan, 8, 450, "#,##0");
	expect_number(wb, "进度表", jan, 9, 1000, "#,##0");
	expect_number(wb, "进度表", jan, 10, 31, "0");
	expect_number(wb, "进度表", jan, 12, 1000, "#,##0");
	expect_number(wb, "进度表", jan, 13, 0.45, "0.0%");
	size_t mar = find_row(wb, "进度表", "D02", "2026-03", "月计");
	expect_number(wb, "进度表", mar, 13, 1.2, "0.0%");
	size_t w10 = find_row(wb, "进度表", "C01", "2026-W10", "周报");
	expect_number(wb, "进度表", w10, 7, 1, "0");
	expect_text(wb, "进度表", w10, 11, "主体三层");
	assert_null(cell(wb, "进度表", w10, 12)); /* a week has no plan */
	json_decref(wb);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[E2E_PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *s = e2e_read_file(path, len);
	if (s == NULL)
		fail_msg("%s is missing", path);
	return s;
}

static void test_csv(void **state)
{
	(void)state;
	char dir[E2E_PATH_MAX + 32], paged[E2E_PATH_MAX + 32];
	path_in(dir, sizeof dir, "csv");
	path_in(paged, sizeof paged, "csv-paged");
	const char *args[] = {"export", "--as-of", AS_OF, "--csv", dir, NULL};
	e2e_run r;
	cli(shared->s.admin_token, NULL, args, &r);
	if (r.status != 0)
		fail_msg("luoshi export exited %d: %s", r.status, r.err);
	e2e_run_free(&r);
	/* The same, fetched two projects a request. */
	const char *args2[] = {"export", "--as-of",     AS_OF, "--csv",
	                       paged,    "--page-size", "2",   NULL};
	cli(shared->s.admin_token, NULL, args2, &r);
	assert_int_equal(r.status, 0);
	e2e_run_free(&r);

	static const struct {
		const char *file;
		size_t lines;
		const char *header;
	} files[] = {
	    {"plan.csv", 14,
	     "项目编号,项目名称,计划项,节点名称,计划完成日期,实际完成日期,节点状态,"},
	    {"tasks.csv", 6,
	     "项目编号,项目名称,任务,责任单位,责任人,计划完成日期,实际完成日期,状态\r\n"},
	    {"division.csv", 14,
	     "单位编号,责任单位,项目编号,项目名称,类型,事项,计划完成日期,状态\r\n"},
	    {"responsibility.csv", 11, "项目编号,项目名称,类型,事项,领衔领导,领导职务,责任单位,"},
	    {"progress.csv", 21, "项目编号,项目名称,期间,类型,起始日期,截止日期,填报单位,版本,"},
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len, len2;
		char *s = slurp(dir, files[i].file, &len);
		char *s2 = slurp(paged, files[i].file, &len2);
		assert_memory_equal(s, "\xEF\xBB\xBF", 3);
		assert_memory_equal(s + 3, files[i].header, strlen(files[i].header));
		/* Every record ends in CRLF; no field here holds a line break. */
		assert_int_equal(count(s, "\r\n"), files[i].lines);
		assert_int_equal(count(s, "\n"), files[i].lines);
		assert_int_equal(len, len2);
		assert_memory_equal(s, s2, len);
		free(s);
		free(s2);
	}
	size_t len;
	char *plan = slurp(dir, "plan.csv", &len);
	assert_non_null(strstr(plan,
	                       "\r\nC01,中车产业基地,年度投资计划,,,,,区发改局,24000,1000,1000,"
	                       "1500,1500,2000,2000,2500,2500,2500,2500,2500,2500\r\n"));
	assert_non_null(
	    strstr(plan, "\r\nD02,鄞城大道,节点,建成通车,2026-12-20,,待完成,区住建局,,"));
	/* RFC 4180: a field with quotes is quoted, its quotes doubled. */
	assert_non_null(
	    strstr(plan, "\r\nT01,\"五乡镇\"\"美丽城镇\"\"<整治>&提升\",年度投资计划,"));
	free(plan);
	char *tasks = slurp(dir, "tasks.csv", &len);
	assert_non_null(strstr(tasks,
	                       "\r\nC01,中车产业基地,\"落实年度建设资金, 签订\"\"贷款协议\"\"\","
	                       "区发改局,王建国,2026-03-31,2026-03-25,已完成\r\n"));
	assert_non_null(strstr(tasks, "\r\nD02,鄞城大道,征迁清零,五乡镇,,2026-04-30,,已取消\r\n"));
	free(tasks);
	char *prog = slurp(dir, "progress.csv", &len);
	assert_non_null(strstr(prog,
	                       "\r\nC01,中车产业基地,2026-01,月计,2026-01-01,2026-01-31,,,450,"
	                       "1000,31,,1000,45.0%\r\n"));
	assert_non_null(strstr(prog, "\r\nC01,中车产业基地,2026-W02,周报,2026-01-05,2026-01-11,"
	                             "五乡镇,2,250,,31,\"主体施工, 第\"\"二\"\"层\",,\r\n"));
	assert_non_null(strstr(prog,
	                       "\r\nD02,鄞城大道,2026-03,月计,2026-03-01,2026-03-31,,,600,,50,,"
	                       "500,120.0%\r\n"));
	free(prog);
	char *resp = slurp(dir, "responsibility.csv", &len);
	assert_non_null(strstr(resp, "\r\nC01,中车产业基地,项目,,张区长,区长,区发改局,"
	                             "五乡镇、区住建局,五乡镇,,\r\n"));
	free(resp);
}

/* ---- the battle map in a browser ---------------------------------------------- */

/* Runs Chromium headless on file path with one more argument (--dump-dom,
 * --screenshot=...). Fails the test when Chromium is not installed. */
static void chromium(const char *path, const char *what, e2e_run *r)
{
	if (access(CHROMIUM, X_OK) != 0)
		fail_msg("%s is missing: install chromium (deploy/packages.txt)", CHROMIUM);
	char profile[E2E_PATH_MAX + 32], url[E2E_PATH_MAX + 64], home[E2E_PATH_MAX + 64];
	path_in(profile, sizeof profile, "chromium-XXXXXX");
	assert_non_null(mkdtemp(profile));
	char user_dir[E2E_PATH_MAX + 64];
	snprintf(user_dir, sizeof user_dir, "--user-data-dir=%s", profile);
	snprintf(url, sizeof url, "file://%s", path);
	snprintf(home, sizeof home, "HOME=%s", profile);
	char *const argv[] = {(char *)CHROMIUM,
	                      (char *)"--headless",
	                      (char *)"--no-sandbox",
	                      (char *)"--disable-gpu",
	                      (char *)"--disable-quic",
	                      (char *)"--no-first-run",
	                      (char *)"--disable-background-networking",
	                      (char *)"--disable-component-update",
	                      (char *)"--disable-sync",
	                      (char *)"--window-size=1500,700",
	                      user_dir,
	                      (char *)what,
	                      url,
	                      NULL};
	char *const envp[] = {(char *)"PATH=/usr/bin:/bin", home, (char *)"LANG=C.UTF-8", NULL};
	assert_int_equal(e2e_run_program(argv, envp, 90000, r), 0);
	if (r->status != 0)
		fail_msg("chromium exited %d: %s", r->status, r->err);
}

static void test_battle_map(void **state)
{
	(void)state;
	char path[E2E_PATH_MAX + 32];
	path_in(path, sizeof path, "map.html");
	const char *args[] = {"export", "--as-of", AS_OF, "--battle-map", path, NULL};
	e2e_run r;
	cli(shared->s.admin_token, NULL, args, &r);
	if (r.status != 0)
		fail_msg("luoshi export exited %d: %s", r.status, r.err);
	e2e_run_free(&r);
	keep_artefact(path, "battle-map.html");

	/* Self-contained: nothing to fetch, nothing to run. */
	char *html = e2e_read_file(path, NULL);
	assert_non_null(html);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	/* The name with markup in it stays text. */
	assert_non_null(strstr(html, "五乡镇&quot;美丽城镇&quot;&lt;整治&gt;&amp;提升"));
	assert_null(strstr(html, "<整治>"));
	free(html);

	chromium(path, "--dump-dom", &r);
	/* What the browser built: one row a project, one mark a node. */
	assert_int_equal(count(r.out, "class=\"project-row\""), 5);
	assert_int_equal(count(r.out, "data-code=\"T01\""), 1);
	assert_int_equal(count(r.out, "class=\"mark "), 8);
	assert_int_equal(count(r.out, "class=\"mark node-overdue"), 2);
	assert_int_equal(count(r.out, "class=\"mark node-done-late"), 1);
	assert_int_equal(count(r.out, "class=\"mark node-done\""), 2);
	assert_int_equal(count(r.out, "class=\"mark node-pending"), 3);
	assert_int_equal(count(r.out, "class=\"today\""), 1);
	assert_int_equal(count(r.out, "class=\"group\""), 3); /* city, district, town */
	assert_non_null(strstr(r.out, "<b class=\"total-projects\">5</b>"));
	assert_non_null(strstr(r.out, "<b class=\"total-done\">3</b>"));
	assert_non_null(strstr(r.out, "<b class=\"total-pending\">3</b>"));
	assert_non_null(strstr(r.out, "<b class=\"total-overdue\">2</b>"));
	assert_non_null(strstr(r.out, "区级项目（3 个）"));
	assert_null(strstr(r.out, "<整治>"));
	e2e_run_free(&r);

	/* A picture of it, to look at. */
	char shot[E2E_PATH_MAX + 32], arg[E2E_PATH_MAX + 64];
	path_in(shot, sizeof shot, "battle-map.png");
	snprintf(arg, sizeof arg, "--screenshot=%s", shot);
	chromium(path, arg, &r);
	e2e_run_free(&r);
	size_t len;
	char *png = e2e_read_file(shot, &len);
	assert_non_null(png);
	assert_true(len > 1000);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	free(png);
	keep_artefact(shot, "battle-map.png");
}

static void test_battle_map_town(void **state)
{
	(void)state;
	char path[E2E_PATH_MAX + 32];
	path_in(path, sizeof path, "map-wx.html");
	const char *args[] = {"export",     "--as-of", AS_OF,    "--battle-map", path,
	                      "--group-by", "leader",  "--span", "nodes",        NULL};
	e2e_run r;
	cli(shared->wx, NULL, args, &r);
	if (r.status != 0)
		fail_msg("luoshi export exited %d: %s", r.status, r.err);
	e2e_run_free(&r);
	chromium(path, "--dump-dom", &r);
	/* 五乡镇's own: C01, D02, T01, with nodes 2 and 6 overdue. */
	assert_int_equal(count(r.out, "class=\"project-row\""), 3);
	assert_int_equal(count(r.out, "data-code=\"D01\""), 0);
	assert_int_equal(count(r.out, "class=\"mark node-overdue"), 2);
	assert_int_equal(count(r.out, "class=\"group\""), 2); /* 张区长, 李副区长 */
	assert_non_null(strstr(r.out, "领衔领导：张区长（区长）· 2 个项目"));
	e2e_run_free(&r);
}

/* ---- the command line: the rest ------------------------------------------------ */

static void test_cli(void **state)
{
	(void)state;
	e2e_run r;
	char path[E2E_PATH_MAX + 32];
	path_in(path, sizeof path, "x.xlsx");

	const char *none[] = {"export", NULL};
	cli(shared->s.admin_token, NULL, none, &r);
	assert_int_equal(r.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(r.err, "--xlsx"));
	e2e_run_free(&r);

	const char *bad_date[] = {"export", "--as-of", "2026-13-01", "--xlsx", path, NULL};
	cli(shared->s.admin_token, NULL, bad_date, &r);
	assert_int_equal(r.status, LS_INVALID_ARGUMENT);
	e2e_run_free(&r);

	const char *bad_level[] = {"export", "--level", "province", "--xlsx", path, NULL};
	cli(shared->s.admin_token, NULL, bad_level, &r);
	assert_int_equal(r.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(r.err, "city, district, town"));
	e2e_run_free(&r);

	const char *bad_group[] = {"export", "--battle-map", path, "--group-by", "town", NULL};
	cli(shared->s.admin_token, NULL, bad_group, &r);
	assert_int_equal(r.status, LS_INVALID_ARGUMENT);
	e2e_run_free(&r);

	/* The server's own check names the field. */
	const char *bad_town[] = {"export", "--town", "无此镇", "--xlsx", path, NULL};
	cli(shared->s.admin_token, NULL, bad_town, &r);
	assert_int_equal(r.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(r.err, "town"));
	e2e_run_free(&r);

	const char *viewer[] = {"export", "--xlsx", path, NULL};
	cli(shared->viewer, NULL, viewer, &r);
	assert_int_equal(r.status, LS_PERMISSION_DENIED);
	e2e_run_free(&r);
	assert_int_equal(access(path, F_OK), -1); /* nothing written */

	const char *nowhere[] = {"export", "--xlsx", "/nonexistent/dir/x.xlsx", NULL};
	cli(shared->s.admin_token, NULL, nowhere, &r);
	assert_int_equal(r.status, LS_NOT_FOUND);
	assert_non_null(strstr(r.err, "/nonexistent/dir/x.xlsx"));
	e2e_run_free(&r);

	/* Chinese names as arguments, Chinese messages. */
	const char *by_name[] = {"export", "--as-of", AS_OF, "--leader",
	                         "张区长", "--xlsx",  path,  NULL};
	cli(shared->s.admin_token, "zh_CN.UTF-8", by_name, &r);
	if (r.status != 0)
		fail_msg("luoshi export exited %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "已导出 2 个项目（截至 2026-06-15）。"));
	e2e_run_free(&r);

	/* --json without a file: every page's rows as one object. */
	const char *dump[] = {"export", "--as-of", AS_OF, "--json", "--page-size", "2", NULL};
	cli(shared->s.admin_token, NULL, dump, &r);
	assert_int_equal(r.status, 0);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "projects")), 5);
	assert_int_equal(json_array_size(json_object_get(j, "planNodes")), 8);
	assert_int_equal(json_array_size(json_object_get(j, "progress")), 20);
	assert_null(json_object_get(j, "nextPageToken"));
	assert_string_equal(json_string_value(json_object_get(j, "asOf")), AS_OF);
	json_decref(j);
	e2e_run_free(&r);

	/* --json with files: what was written. */
	char dir[E2E_PATH_MAX + 32];
	path_in(dir, sizeof dir, "csv-json");
	const char *summary[] = {"export", "--as-of", AS_OF, "--json", "--csv", dir, NULL};
	cli(shared->xy, NULL, summary, &r);
	assert_int_equal(r.status, 0);
	j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "projects")), 2);
	json_t *rows = json_object_get(j, "rows");
	assert_int_equal(json_integer_value(json_object_get(rows, "plan")), 2 + 3);
	assert_int_equal(json_integer_value(json_object_get(rows, "tasks")), 2);
	json_decref(j);
	e2e_run_free(&r);

	const char *help[] = {"export", "--help", NULL};
	cli(NULL, NULL, help, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--battle-map"));
	e2e_run_free(&r);
}

/* ---- a district too large for one reply ---------------------------------------- */

/* The day days after the day ymd, as YYYY-MM-DD; with month, its month
 * (YYYY-MM). */
static void day_plus(const char *ymd, int days, char out[11], char month[8])
{
	struct tm tm = {.tm_isdst = 0};
	assert_non_null(strptime(ymd, "%Y-%m-%d", &tm));
	time_t t = timegm(&tm) + (time_t)days * 86400;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	if (month != NULL)
		strftime(month, 8, "%Y-%m", &tm);
}

/* 300 projects, each with 10 nodes, 10 tasks, a plan for every month and
 * 52 weekly updates of 200 Chinese characters each. The days and weeks are
 * worked out here, so that the SQL is what either database takes. Free it. */
static char *large_fixture(void)
{
	char *sql = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&sql, &len);
	assert_non_null(f);
	fputs("INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
	      " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01');"
	      "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
	      " (1, 'L01', '张区长', 1, '2026-01-01');"
	      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)"
	      " INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
	      " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
	      " created_at) SELECT i, 'P' || substr(CAST(1000 + i AS TEXT), 2),"
	      " '重点项目第' || i || '号综合开发建设工程',"
	      " 'district', 'industrial', 'new', 1, 2, 2, 10000, 'weekly', '2026-01-01',"
	      " '2027-12-31', '2026-01-01' FROM n;",
	      f);
	/* Node k of a project is due 30·k days after 01-15; task k 30·k days
	 * after 02-01. */
	static const char *const kinds[][4] = {
	    {"nodes(project_id, name, due_date, owner_unit_id, created_at)", "2026-01-15",
	     "'第' || (i % 10) || '个节点：完成主体结构施工'", "d.day, 2"},
	    {"tasks(project_id, description, unit_id, due_date, created_at)", "2026-02-01",
	     "'任务' || (i % 10) || '：协调解决项目推进中的要素保障问题'", "2, d.day"},
	};
	for (size_t k = 0; k < 2; k++) {
		fputs(
		    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999),"
		    " d(k, day) AS (VALUES ",
		    f);
		for (int j = 0; j < 10; j++) {
			char day[11];
			day_plus(kinds[k][1], j * 30, day, NULL);
			fprintf(f, "%s(%d, '%s')", j ? ", " : "", j, day);
		}
		fprintf(f,
		        ") INSERT INTO %s SELECT i / 10 + 1, %s, %s, '2026-01-01' FROM n"
		        " JOIN d ON d.k = i %% 10 ORDER BY i;",
		        kinds[k][0], kinds[k][2], kinds[k][3]);
	}
	fputs("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 3599)"
	      " INSERT INTO plans(project_id, year, month, invested)"
	      " SELECT i / 12 + 1, 2026, i % 12 + 1, 100 FROM n;",
	      f);
	/* Week k + 1 of 2026 begins 7·k days after 2025-12-29; its month is
	 * its Thursday's. */
	fputs("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 15599),"
	      " w(k, period, first_day, last_day, mon) AS (VALUES ",
	      f);
	for (int k = 0; k < 52; k++) {
		char first[11], last[11], thursday[11], month[8];
		day_plus("2025-12-29", k * 7, first, NULL);
		day_plus("2025-12-29", k * 7 + 6, last, NULL);
		day_plus("2025-12-29", k * 7 + 3, thursday, month);
		fprintf(f, "%s(%d, '2026-W%02d', '%s', '%s', '%s')", k ? ", " : "", k, k + 1, first,
		        last, month);
	}
	fputs(") INSERT INTO updates(project_id, period, period_kind, period_first, period_last,"
	      " month, year, revision, latest, unit_id, invested, output, percent, progress,"
	      " submitted_at) SELECT i / 52 + 1, w.period, 'week', w.first_day, w.last_day, w.mon,"
	      " 2026, 1, 1, 2, 10, 20, 50, '",
	      f);
	for (int k = 0; k < 50; k++)
		fputs("形象进度", f);
	fputs("', '2026-06-01T10:00:00+08:00' FROM n JOIN w ON w.k = i % 52 ORDER BY i;", f);
	assert_int_equal(fclose(f), 0);
	return sql;
}

static int large_setup(void **state)
{
	e2e_server *s = calloc(1, sizeof *s);
	if (s == NULL || e2e_server_init(s) != 0)
		goto fail;
	char *large = large_fixture();
	load(s, large);
	free(large);
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(s, extra) != 0)
		goto fail;
	*state = s;
	return 0;
fail:
	if (s != NULL)
		e2e_server_cleanup(s);
	free(s);
	return -1;
}

static int large_teardown(void **state)
{
	e2e_server *s = *state;
	int rc = 0;
	if (s != NULL) {
		if (s->pid > 0 && e2e_server_stop(s) != 0)
			rc = -1;
		e2e_server_cleanup(s);
		free(s);
	}
	return rc;
}

/* Fetches every page with page_size (0: the server's); checks that each
 * reply stays under the limit and that every project comes exactly once.
 * Returns the number of pages. */
static int all_pages(const e2e_server *s, uint32_t page_size)
{
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 60000);
	bool seen[301] = {false};
	size_t projects = 0, progress = 0;
	int pages = 0;
	char *token = NULL;
	do {
		Luoshi__V1__ExportTablesRequest req = LUOSHI__V1__EXPORT_TABLES_REQUEST__INIT;
		req.as_of = (char *)"2026-12-31";
		req.has_page_size = page_size > 0;
		req.page_size = page_size;
		req.page_token = token;
		ProtobufCMessage *m;
		ls_status st;
		int rc = e2e_call(c, M_EXPORT, &req.base, NULL, &m, &st);
		if (rc != LS_OK)
			fail_msg("ExportTables: %s %s", ls_code_name(rc), st.message);
		Luoshi__V1__ExportTablesResponse *r = (Luoshi__V1__ExportTablesResponse *)m;
		size_t size = protobuf_c_message_get_packed_size(m);
		if (size >= MAX_MESSAGE - 4096)
			fail_msg("page %d is %zu bytes", pages, size);
		assert_true(r->n_projects > 0);
		assert_int_equal(r->total_projects, 300);
		for (size_t i = 0; i < r->n_projects; i++) {
			int64_t id = r->projects[i]->id;
			assert_true(id >= 1 && id <= 300);
			assert_false(seen[id]);
			seen[id] = true;
		}
		projects += r->n_projects;
		progress += r->n_progress;
		pages++;
		free(token);
		token = r->next_page_token ? strdup(r->next_page_token) : NULL;
		protobuf_c_message_free_unpacked(m, NULL);
	} while (token != NULL);
	luoshi_client_close(c);
	assert_int_equal(projects, 300);
	/* 52 weeks and 12 months each. */
	assert_int_equal(progress, 300 * (52 + 12));
	return pages;
}

static void test_large(void **state)
{
	e2e_server *s = *state;
	/* Each project's rows pack to about 45 kB: 100 of them would not fit
	 * in one reply, so the server ends pages early. */
	int pages = all_pages(s, 0);
	assert_true(pages > 3);
	assert_true(all_pages(s, 1000) >= pages - 1);
	assert_int_equal(all_pages(s, 7), 43);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_as_of),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_validation),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_paging),
	    cmocka_unit_test(test_xlsx),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_battle_map),
	    cmocka_unit_test(test_battle_map_town),
	    cmocka_unit_test(test_cli),
	    cmocka_unit_test_setup_teardown(test_large, large_setup, large_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
