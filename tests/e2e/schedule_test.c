/* End to end: ScheduleService. Back-scheduling (倒排节点), nodes done and
 * undone, tasks, the lists with a fixed as_of, each account's assignments,
 * validation, who may write what (every role against every write), the
 * audit rows, and the `luoshi node|task|assignments` commands.
 *
 * Units, people, projects and accounts are written into the database with
 * SQL after `init` and before the server starts, so that these tests
 * depend on no other service. Every expected date, count and number of
 * days left below is worked out by hand from that data. */
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

#include <jansson.h>
#include <sodium.h>

#include "harness.h"
#include "luoshi/v1/schedule.pb-c.h"

#define M_CREATE_NODE "/luoshi.v1.ScheduleService/CreateNode"
#define M_UPDATE_NODE "/luoshi.v1.ScheduleService/UpdateNode"
#define M_SET_NODE_DONE "/luoshi.v1.ScheduleService/SetNodeDone"
#define M_LIST_NODES "/luoshi.v1.ScheduleService/ListNodes"
#define M_PLAN_NODES "/luoshi.v1.ScheduleService/PlanNodes"
#define M_CREATE_TASK "/luoshi.v1.ScheduleService/CreateTask"
#define M_UPDATE_TASK "/luoshi.v1.ScheduleService/UpdateTask"
#define M_LIST_TASKS "/luoshi.v1.ScheduleService/ListTasks"
#define M_ASSIGNMENTS "/luoshi.v1.ScheduleService/GetAssignments"

/* ---- the data ---------------------------------------------------------------- */

/* Unit 1 is the district office `init` made (code "office"). Unit 9 is
 * another district with its own town: outside the office's scope. */
static const char FIXTURE_REGISTRY[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01T00:00:00+08:00'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01T00:00:00+08:00'),"
    " (4, 'ZJ', '住建局', 'department', 1, '2026-01-01T00:00:00+08:00'),"
    " (5, 'FG', '发改局', 'department', 1, '2026-01-01T00:00:00+08:00'),"
    " (6, 'ZQ', '征迁清零组', 'support_group', 1, '2026-01-01T00:00:00+08:00'),"
    " (7, 'DC1', '督查一组', 'inspection_group', 1, '2026-01-01T00:00:00+08:00'),"
    " (8, 'JW', '区纪委', 'discipline', 1, '2026-01-01T00:00:00+08:00'),"
    " (9, 'FH', '奉化区', 'district', NULL, '2026-01-01T00:00:00+08:00'),"
    " (10, 'XK', '溪口镇', 'town', 9, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO people(id, code, name, title, unit_id, created_at) VALUES"
    " (1, 'L01', '张领导', '副区长', 1, '2026-01-01T00:00:00+08:00'),"
    " (2, 'L02', '李领导', '副区长', 1, '2026-01-01T00:00:00+08:00'),"
    " (3, 'P01', '王工', '科长', 4, '2026-01-01T00:00:00+08:00'),"
    " (4, 'P02', '赵镇长', '镇长', 2, '2026-01-01T00:00:00+08:00'),"
    " (5, 'L09', '奉化领导', '副区长', 9, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, planned_start, planned_finish, created_at)"
    " VALUES"
    " (1, 'CRRC', '中车产业基地', 'city', 'industrial', 'continuing', 1, 4, 2, 500000,"
    "  '2025-01-01', '2026-12-31', '2026-01-01T00:00:00+08:00'),"
    " (2, 'MK', '美康智能健康产业中心', 'district', 'livelihood', 'new', 2, 5, 3, 80000,"
    "  '2026-01-15', '2027-06-30', '2026-01-01T00:00:00+08:00'),"
    " (3, 'AUX', '奥克斯智能空调项目', 'city', 'industrial', 'new', 2, 5, 2, 218900,"
    "  '2026-02-01', '2027-03-31', '2026-01-01T00:00:00+08:00'),"
    " (4, 'FH1', '溪口项目', 'district', 'infrastructure', 'new', 5, 9, 10, 1000,"
    "  '2026-01-01', '2026-12-31', '2026-01-01T00:00:00+08:00');"
    "INSERT INTO project_units(project_id, unit_id) VALUES (1, 5), (2, 4);"
    "INSERT INTO project_leaders(project_id, person_id, since) VALUES"
    " (1, 1, '2025-01-01'), (2, 2, '2026-01-15'), (3, 2, '2026-02-01'), (4, 5, '2026-01-01');";

/* Nodes and tasks, for the lists and the assignments (as of 2026-11-20):
 *
 *  node project due         owner done        days left
 *     1 CRRC    2026-10-15  ZJ    -           -36
 *     2 CRRC    2026-11-18  ZJ    2026-11-17
 *     3 CRRC    2026-11-25  FG    -            5
 *     4 CRRC    2026-12-31  ZJ    -           41
 *     5 MK      2026-11-19  FG    -           -1
 *     6 MK      2026-12-04  ZJ    -           14
 *     7 AUX     2026-11-20  FG    -            0
 *     8 AUX     2026-11-01  WX    -          -19
 *     9 FH1     2026-11-10  FH    -          (other district)
 *    10 AUX     2026-12-05  FG    -           15
 *    11 CRRC    2026-11-20  ZJ    2026-11-20
 *    12 MK      2026-11-27  WX    -            7
 *
 *  task project unit person due         status     days left
 *     1 CRRC    ZJ   P01    2026-11-30  open        10
 *     2 CRRC    FG   -      2026-11-10  open       -10
 *     3 MK      ZJ   -      2026-12-20  open        30
 *     4 AUX     WX   P02    2026-11-25  open         5
 *     5 CRRC    WX   -      2026-11-05  done
 *     6 AUX     FG   L01    2026-12-10  open        20
 *     7 MK      ZJ   -      2026-11-15  cancelled
 *     8 AUX     FG   P01    2026-11-22  open         2 */
static const char FIXTURE_SCHEDULE[] =
    "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date, created_at)"
    " VALUES"
    " (1, 1, '桩基完成', '2026-10-15', 4, NULL, '2026-01-02T00:00:00+08:00'),"
    " (2, 1, '主体封顶', '2026-11-18', 4, '2026-11-17', '2026-01-02T00:00:00+08:00'),"
    " (3, 1, '设备进场', '2026-11-25', 5, NULL, '2026-01-02T00:00:00+08:00'),"
    " (4, 1, '竣工验收', '2026-12-31', 4, NULL, '2026-01-02T00:00:00+08:00'),"
    " (5, 2, '地下室完工', '2026-11-19', 5, NULL, '2026-01-02T00:00:00+08:00'),"
    " (6, 2, '幕墙施工', '2026-12-04', 4, NULL, '2026-01-02T00:00:00+08:00'),"
    " (7, 3, '厂房封顶', '2026-11-20', 5, NULL, '2026-01-02T00:00:00+08:00'),"
    " (8, 3, '拆迁清零', '2026-11-01', 2, NULL, '2026-01-02T00:00:00+08:00'),"
    " (9, 4, '外区节点', '2026-11-10', 9, NULL, '2026-01-02T00:00:00+08:00'),"
    " (10, 3, '规划许可', '2026-12-05', 5, NULL, '2026-01-02T00:00:00+08:00'),"
    " (11, 1, '监理验收', '2026-11-20', 4, '2026-11-20', '2026-01-02T00:00:00+08:00'),"
    " (12, 2, '配合拆迁', '2026-11-27', 2, NULL, '2026-01-02T00:00:00+08:00');"
    "INSERT INTO tasks(id, project_id, description, unit_id, person_id, due_date, status,"
    " done_date, created_at) VALUES"
    " (1, 1, '完成环评批复', 4, 3, '2026-11-30', 'open', NULL, '2026-01-02T00:00:00+08:00'),"
    " (2, 1, '落实电力接入', 5, NULL, '2026-11-10', 'open', NULL, '2026-01-02T00:00:00+08:00'),"
    " (3, 2, '协调施工许可', 4, NULL, '2026-12-20', 'open', NULL, '2026-01-02T00:00:00+08:00'),"
    " (4, 3, '完成征迁签约', 2, 4, '2026-11-25', 'open', NULL, '2026-01-02T00:00:00+08:00'),"
    " (5, 1, '召开推进会', 2, NULL, '2026-11-05', 'done', '2026-11-06',"
    "  '2026-01-02T00:00:00+08:00'),"
    " (6, 3, '领导督办事项', 5, 1, '2026-12-10', 'open', NULL, '2026-01-02T00:00:00+08:00'),"
    " (7, 2, '已取消事项', 4, NULL, '2026-11-15', 'cancelled', NULL,"
    "  '2026-01-02T00:00:00+08:00'),"
    " (8, 3, '提供技术支持', 5, 3, '2026-11-22', 'open', NULL, '2026-01-02T00:00:00+08:00');";

/* The accounts: the admin `init` made (id 1), and one per role, with
 * ids 2.. in this order. */
enum who {
	W_ADMIN,
	W_LEADER,
	W_TOWN_WX,
	W_TOWN_XY,
	W_DEPT_ZJ,
	W_DEPT_FG,
	W_INSPECTOR,
	W_DISCIPLINE,
	W_VIEWER,
	W_ADMIN_FH,
	W_COUNT
};

static const struct {
	const char *token, *name, *role;
	int unit, person; /* person 0: none */
} who_is[W_COUNT] = {
    [W_ADMIN] = {NULL, "admin", "admin", 1, 0},
    [W_LEADER] = {"ls_test_leader_l01", "张领导", "leader", 1, 1},
    [W_TOWN_WX] = {"ls_test_town_wx", "五乡镇 clerk", "town", 2, 0},
    [W_TOWN_XY] = {"ls_test_town_xy", "下应街道 clerk", "town", 3, 0},
    [W_DEPT_ZJ] = {"ls_test_dept_zj", "住建局 王工", "department", 4, 3},
    [W_DEPT_FG] = {"ls_test_dept_fg", "发改局 clerk", "department", 5, 0},
    [W_INSPECTOR] = {"ls_test_inspector", "督查一组", "inspector", 7, 0},
    [W_DISCIPLINE] = {"ls_test_discipline", "区纪委", "discipline", 8, 0},
    [W_VIEWER] = {"ls_test_viewer", "viewer", "viewer", 1, 0},
    [W_ADMIN_FH] = {"ls_test_admin_fh", "奉化 admin", "admin", 9, 0},
};

static const char *token_of(const e2e_server *s, enum who w)
{
	return w == W_ADMIN ? s->admin_token : who_is[w].token;
}

/* Writes the registry (and the nodes and tasks when schedule is set) into
 * the database of a server not yet started. Tokens are stored as the
 * server stores them: their BLAKE2b-256 hash. */
static void load_fixture(const e2e_server *s, bool schedule)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, "BEGIN");
	e2e_db_exec(db, FIXTURE_REGISTRY);
	if (schedule)
		e2e_db_exec(db, FIXTURE_SCHEDULE);
	srv_q *q = e2e_db_prepare(db, "INSERT INTO accounts(id, name, role, unit_id, "
	                              "token_hash, created_at, created_by, person_id) "
	                              "VALUES (?1, ?2, ?3, ?4, ?5, "
	                              "'2026-01-01T00:00:00+08:00', 1, ?6)");
	for (int w = W_ADMIN + 1; w < W_COUNT; w++) {
		uint8_t hash[32];
		const char *t = who_is[w].token;
		crypto_generichash(hash, sizeof hash, (const uint8_t *)t, strlen(t), NULL, 0);
		srv_bind_int64(q, 1, w + 1);
		srv_bind_text(q, 2, who_is[w].name);
		srv_bind_text(q, 3, who_is[w].role);
		srv_bind_int64(q, 4, who_is[w].unit);
		srv_bind_blob(q, 5, hash, sizeof hash);
		if (who_is[w].person > 0)
			srv_bind_int64(q, 6, who_is[w].person);
		else
			srv_bind_null(q, 6);
		e2e_db_step(q, SRV_DONE);
		e2e_db_reset(q);
	}
	e2e_db_finalize(q);
	e2e_db_ids_given(db);
	e2e_db_exec(db, "COMMIT");
	e2e_db_close(db);
}

static int setup_with(void **state, bool schedule)
{
	e2e_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -1;
	if (e2e_server_init(s) != 0) {
		e2e_server_cleanup(s);
		free(s);
		return -1;
	}
	load_fixture(s, schedule);
	if (e2e_server_start(s, NULL) != 0) {
		e2e_server_cleanup(s);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

/* The registry only: nodes and tasks start from id 1. */
static int setup_registry(void **state)
{
	return setup_with(state, false);
}

/* The registry with the nodes and tasks of FIXTURE_SCHEDULE. */
static int setup_schedule(void **state)
{
	return setup_with(state, true);
}

/* ---- helpers ---------------------------------------------------------------- */

/* Calls method as w. Returns the code; *resp (when resp is not NULL) is
 * the response on OK, to be freed by the caller, else NULL. */
static int rpc(const e2e_server *s, enum who w, const char *method, const ProtobufCMessage *req,
               ProtobufCMessage **resp, ls_status *st)
{
	luoshi_client *c = e2e_client(s->tcp_url, token_of(s, w), 10000);
	ProtobufCMessage *m = NULL;
	int rc = e2e_call(c, method, req, NULL, &m, st);
	luoshi_client_close(c);
	if (resp != NULL)
		*resp = m;
	else if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* Like rpc, failing the test unless the call succeeds. */
static ProtobufCMessage *rpc_ok(const e2e_server *s, enum who w, const char *method,
                                const ProtobufCMessage *req)
{
	ProtobufCMessage *m;
	ls_status st;
	int rc = rpc(s, w, method, req, &m, &st);
	if (rc != LS_OK)
		fail_msg("%s: %s (%s) %s", method, ls_code_name(rc), st.field, st.message);
	assert_non_null(m);
	return m;
}

/* The text the first column of the first row of sql gives; malloc'd. */
static char *db_text(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	srv_q *q = e2e_db_prepare(db, sql);
	char *out = NULL;
	if (srv_step(q) == SRV_ROW) {
		const char *t = srv_col_text(q, 0);
		out = strdup(t ? t : "(null)");
	}
	e2e_db_finalize(q);
	e2e_db_close(db);
	assert_non_null(out);
	return out;
}

static int64_t db_int(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t v = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return v;
}

static void assert_db_text(const e2e_server *s, const char *sql, const char *want)
{
	char *got = db_text(s, sql);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", sql, got, want);
	free(got);
}

/* Everything this service could write, as one string: nodes, tasks, and
 * the number of audit rows. Equal before and after: nothing was written. */
static char *fingerprint(const e2e_server *s)
{
	return db_text(
	    s,
	    "SELECT (SELECT count(*) FROM audit_log) || '|' ||"
	    " (SELECT coalesce(group_concat(id || ',' || project_id || ',' || name || ',' ||"
	    "  due_date || ',' || owner_unit_id || ',' || coalesce(done_date, '-'), ';'), '')"
	    "  FROM (SELECT * FROM nodes ORDER BY id) AS n) || '|' ||"
	    " (SELECT coalesce(group_concat(id || ',' || project_id || ',' || description ||"
	    "  ',' || unit_id || ',' || coalesce(CAST(person_id AS TEXT), '-') || ',' || due_date || ',' ||"
	    "  status || ',' || coalesce(done_date, '-'), ';'), '')"
	    "  FROM (SELECT * FROM tasks ORDER BY id) AS t)");
}

/* Today in the server's time zone (Asia/Shanghai, its default), plus some
 * days, as YYYY-MM-DD. */
static void shanghai_day(char buf[11], int plus_days)
{
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	tm.tm_mday += plus_days;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	mktime(&tm);
	strftime(buf, 11, "%Y-%m-%d", &tm);
}

static Luoshi__V1__PlanStep step(const char *name, int days)
{
	Luoshi__V1__PlanStep st = LUOSHI__V1__PLAN_STEP__INIT;
	st.name = (char *)name;
	st.has_days_before = true;
	st.days_before = days;
	return st;
}

/* Checks a node of a response: id (0: any), name, due date, owner code,
 * done date (NULL: not done). */
static void check_node(const Luoshi__V1__Node *n, int64_t id, const char *name, const char *due,
                       const char *owner, const char *done)
{
	assert_non_null(n);
	if (id > 0) {
		assert_true(n->has_id);
		assert_int_equal(n->id, id);
	}
	assert_string_equal(n->name, name);
	assert_string_equal(n->due_date, due);
	assert_string_equal(n->owner_unit_code, owner);
	assert_true(n->has_done);
	if (done == NULL) {
		assert_false(n->done);
		assert_null(n->done_date);
	} else {
		assert_true(n->done);
		assert_string_equal(n->done_date, done);
	}
}

/* ---- back-scheduling ----------------------------------------------------------- */

static void test_plan_nodes(void **state)
{
	e2e_server *s = *state;
	/* 2026-12-31 less 90 days: 30 back to 12-01, 30 more to 11-01, 30
	 * more to 10-02 (October has 31 days). Less 30 days: 12-01. */
	Luoshi__V1__PlanStep a = step("主体封顶", 90), b = step("竣工验收", 30);
	Luoshi__V1__PlanStep *steps[] = {&a, &b};
	Luoshi__V1__PlanNodesRequest req = LUOSHI__V1__PLAN_NODES_REQUEST__INIT;
	req.project = (char *)"中车产业基地";
	req.finish_date = (char *)"2026-12-31";
	req.n_steps = 2;
	req.steps = steps;
	Luoshi__V1__PlanNodesResponse *r =
	    (Luoshi__V1__PlanNodesResponse *)rpc_ok(s, W_ADMIN, M_PLAN_NODES, &req.base);
	assert_int_equal(r->n_nodes, 2);
	/* The owner defaults to the project's lead unit, 住建局. */
	check_node(r->nodes[0], 1, "主体封顶", "2026-10-02", "ZJ", NULL);
	check_node(r->nodes[1], 2, "竣工验收", "2026-12-01", "ZJ", NULL);
	assert_string_equal(r->nodes[0]->project_code, "CRRC");
	assert_string_equal(r->nodes[0]->project_name, "中车产业基地");
	assert_string_equal(r->nodes[0]->owner_unit_name, "住建局");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_db_text(s,
	               "SELECT group_concat(project_id || ',' || name || ',' || due_date || ',' ||"
	               " owner_unit_id || ',' || coalesce(done_date, '-'), ';')"
	               " FROM (SELECT * FROM nodes ORDER BY id) AS n",
	               "1,主体封顶,2026-10-02,4,-;1,竣工验收,2026-12-01,4,-");

	/* Without a finish date: the project's planned finish, 2027-03-31 for
	 * AUX. 365 days before it is 2026-03-31 (no 29 February between);
	 * 0 days before, the finish itself. The owner given: 住建局. */
	Luoshi__V1__PlanStep c = step("开工", 365), d = step("验收", 0);
	Luoshi__V1__PlanStep *steps2[] = {&c, &d};
	Luoshi__V1__PlanNodesRequest req2 = LUOSHI__V1__PLAN_NODES_REQUEST__INIT;
	req2.project = (char *)"AUX";
	req2.owner_unit = (char *)"住建局";
	req2.n_steps = 2;
	req2.steps = steps2;
	r = (Luoshi__V1__PlanNodesResponse *)rpc_ok(s, W_ADMIN, M_PLAN_NODES, &req2.base);
	assert_int_equal(r->n_nodes, 2);
	check_node(r->nodes[0], 3, "开工", "2026-03-31", "ZJ", NULL);
	check_node(r->nodes[1], 4, "验收", "2027-03-31", "ZJ", NULL);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* And with the lead unit by default: AUX's is 发改局. */
	Luoshi__V1__PlanStep e = step("设备安装", 45);
	Luoshi__V1__PlanStep *steps3[] = {&e};
	Luoshi__V1__PlanNodesRequest req3 = LUOSHI__V1__PLAN_NODES_REQUEST__INIT;
	req3.project = (char *)"AUX";
	req3.n_steps = 1;
	req3.steps = steps3;
	r = (Luoshi__V1__PlanNodesResponse *)rpc_ok(s, W_ADMIN, M_PLAN_NODES, &req3.base);
	/* 2027-03-31 less 31 days is 02-28, less 14 more is 02-14. */
	check_node(r->nodes[0], 5, "设备安装", "2027-02-14", "FG", NULL);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* One audit row per node, each naming its project. */
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	                           "method = '" M_PLAN_NODES "' AND account_id = 1"),
	                 5);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	                           "entity_id IN (1, 2) AND project_id = 1 AND before IS NULL "
	                           "AND after LIKE '%2026-1_-0_%'"),
	                 2);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	                           "entity_id IN (3, 4, 5) AND project_id = 3"),
	                 3);
}

static void test_create_update_node(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__CreateNodeRequest req = LUOSHI__V1__CREATE_NODE_REQUEST__INIT;
	req.project = (char *)"MK";
	req.name = (char *)"地下室完工";
	req.due_date = (char *)"2026-11-19";
	Luoshi__V1__CreateNodeResponse *r =
	    (Luoshi__V1__CreateNodeResponse *)rpc_ok(s, W_ADMIN, M_CREATE_NODE, &req.base);
	/* MK's lead unit is 发改局. */
	check_node(r->node, 1, "地下室完工", "2026-11-19", "FG", NULL);
	assert_string_equal(r->node->project_name, "美康智能健康产业中心");
	protobuf_c_message_free_unpacked(&r->base, NULL);

	req.name = (char *)"幕墙施工";
	req.due_date = (char *)"2026-12-04";
	req.owner_unit = (char *)"ZJ";
	r = (Luoshi__V1__CreateNodeResponse *)rpc_ok(s, W_ADMIN, M_CREATE_NODE, &req.base);
	check_node(r->node, 2, "幕墙施工", "2026-12-04", "ZJ", NULL);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Editing: only what is given changes. */
	Luoshi__V1__UpdateNodeRequest up = LUOSHI__V1__UPDATE_NODE_REQUEST__INIT;
	up.has_id = true;
	up.id = 1;
	up.due_date = (char *)"2026-11-28";
	Luoshi__V1__UpdateNodeResponse *u =
	    (Luoshi__V1__UpdateNodeResponse *)rpc_ok(s, W_ADMIN, M_UPDATE_NODE, &up.base);
	check_node(u->node, 1, "地下室完工", "2026-11-28", "FG", NULL);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	up.due_date = NULL;
	up.name = (char *)"地下室结构完工";
	up.owner_unit = (char *)"五乡镇";
	u = (Luoshi__V1__UpdateNodeResponse *)rpc_ok(s, W_ADMIN, M_UPDATE_NODE, &up.base);
	check_node(u->node, 1, "地下室结构完工", "2026-11-28", "WX", NULL);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	assert_db_text(s,
	               "SELECT name || ',' || due_date || ',' || owner_unit_id FROM nodes "
	               "WHERE id = 1",
	               "地下室结构完工,2026-11-28,2");

	/* The audit rows: two creates without a before, two edits with both. */
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	                           "method = '" M_CREATE_NODE "' AND before IS NULL AND "
	                           "after IS NOT NULL AND project_id = 2 AND account_id = 1"),
	                 2);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	                           "entity_id = 1 AND method = '" M_UPDATE_NODE "' AND "
	                           "project_id = 2 AND before LIKE '%2026-11-19%' AND "
	                           "after LIKE '%2026-11-28%'"),
	                 1);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	                           "method = '" M_UPDATE_NODE "' AND before LIKE '%地下室完工%' "
	                           "AND after LIKE '%地下室结构完工%'"),
	                 1);

	/* An unknown id. */
	up.has_id = true;
	up.id = 99;
	ls_status st;
	assert_int_equal(rpc(s, W_ADMIN, M_UPDATE_NODE, &up.base, NULL, &st), LS_NOT_FOUND);
}

/* ---- done, undone -------------------------------------------------------------- */

static Luoshi__V1__Node *set_done(const e2e_server *s, enum who w, int64_t id, bool done,
                                  const char *date, ProtobufCMessage **resp)
{
	Luoshi__V1__SetNodeDoneRequest req = LUOSHI__V1__SET_NODE_DONE_REQUEST__INIT;
	req.has_id = true;
	req.id = id;
	req.has_done = true;
	req.done = done;
	req.done_date = (char *)date;
	*resp = rpc_ok(s, w, M_SET_NODE_DONE, &req.base);
	return ((Luoshi__V1__SetNodeDoneResponse *)*resp)->node;
}

static void test_done_undone(void **state)
{
	e2e_server *s = *state;
	ProtobufCMessage *m;
	Luoshi__V1__Node *n = set_done(s, W_ADMIN, 1, true, "2026-11-01", &m);
	check_node(n, 1, "桩基完成", "2026-10-15", "ZJ", "2026-11-01");
	protobuf_c_message_free_unpacked(m, NULL);
	assert_db_text(s, "SELECT done_date FROM nodes WHERE id = 1", "2026-11-01");

	n = set_done(s, W_ADMIN, 1, false, NULL, &m);
	check_node(n, 1, "桩基完成", "2026-10-15", "ZJ", NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_db_text(s, "SELECT coalesce(done_date, 'none') FROM nodes WHERE id = 1", "none");

	/* Without a date: today, in the server's time zone. */
	char before[11], after[11];
	shanghai_day(before, 0);
	n = set_done(s, W_ADMIN, 1, true, NULL, &m);
	shanghai_day(after, 0);
	assert_true(n->done);
	if (strcmp(n->done_date, before) != 0 && strcmp(n->done_date, after) != 0)
		fail_msg("done today gave %s, not %s", n->done_date, before);
	protobuf_c_message_free_unpacked(m, NULL);

	/* Audit: done, undone, done; each with before and after. */
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	                           "entity_id = 1 AND method = '" M_SET_NODE_DONE "' AND "
	                           "project_id = 1 AND before IS NOT NULL AND after IS NOT NULL"),
	                 3);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	                           "entity_id = 1 AND after LIKE '%2026-11-01%'"),
	                 1);
}

/* ---- validation ----------------------------------------------------------------- */

/* Calls as w and checks INVALID_ARGUMENT naming field, with nothing
 * written. */
static void expect_invalid(const e2e_server *s, enum who w, const char *method,
                           const ProtobufCMessage *req, const char *field, int line)
{
	char *before = fingerprint(s);
	ls_status st;
	int rc = rpc(s, w, method, req, NULL, &st);
	if (rc != LS_INVALID_ARGUMENT || strcmp(st.field, field) != 0)
		fail_msg("line %d: %s gave %s, field \"%s\" (%s); want INVALID_ARGUMENT, field "
		         "\"%s\"",
		         line, method, ls_code_name(rc), st.field, st.message, field);
	char *after = fingerprint(s);
	if (strcmp(before, after) != 0)
		fail_msg("line %d: %s wrote though it failed:\nbefore %s\nafter  %s", line, method,
		         before, after);
	free(before);
	free(after);
}

#define INVALID(method, req, field) expect_invalid(s, W_ADMIN, method, &(req).base, field, __LINE__)

static void test_validation_nodes(void **state)
{
	e2e_server *s = *state;
	char long_name[202];
	memset(long_name, 'x', 201);
	long_name[201] = '\0';

	Luoshi__V1__CreateNodeRequest cn = LUOSHI__V1__CREATE_NODE_REQUEST__INIT;
	cn.name = (char *)"节点";
	cn.due_date = (char *)"2026-12-01";
	INVALID(M_CREATE_NODE, cn, "project");
	cn.project = (char *)"NOPE";
	INVALID(M_CREATE_NODE, cn, "project");
	cn.project = (char *)"CRRC";
	cn.name = NULL;
	INVALID(M_CREATE_NODE, cn, "name");
	cn.name = long_name;
	INVALID(M_CREATE_NODE, cn, "name");
	cn.name = (char *)"节点";
	cn.due_date = NULL;
	INVALID(M_CREATE_NODE, cn, "due_date");
	cn.due_date = (char *)"2026-02-30";
	INVALID(M_CREATE_NODE, cn, "due_date");
	cn.due_date = (char *)"2026-12-1";
	INVALID(M_CREATE_NODE, cn, "due_date");
	cn.due_date = (char *)"2026-12-01";
	cn.owner_unit = (char *)"no such unit";
	INVALID(M_CREATE_NODE, cn, "owner_unit");
	/* A unit of another district is not the office's to give work to. */
	cn.owner_unit = (char *)"XK";
	INVALID(M_CREATE_NODE, cn, "owner_unit");

	Luoshi__V1__UpdateNodeRequest un = LUOSHI__V1__UPDATE_NODE_REQUEST__INIT;
	un.name = (char *)"x";
	INVALID(M_UPDATE_NODE, un, "id");
	un.has_id = true;
	un.id = 1;
	un.name = (char *)"";
	INVALID(M_UPDATE_NODE, un, "name");
	un.name = NULL;
	un.due_date = (char *)"2026-13-01";
	INVALID(M_UPDATE_NODE, un, "due_date");
	un.due_date = NULL;
	un.owner_unit = (char *)"";
	INVALID(M_UPDATE_NODE, un, "owner_unit");

	/* Done dates: real, and never in the future. */
	char future[11];
	shanghai_day(future, 2);
	Luoshi__V1__SetNodeDoneRequest sd = LUOSHI__V1__SET_NODE_DONE_REQUEST__INIT;
	sd.has_id = true;
	sd.id = 1;
	INVALID(M_SET_NODE_DONE, sd, "done");
	sd.has_done = true;
	sd.done = true;
	sd.done_date = future;
	INVALID(M_SET_NODE_DONE, sd, "done_date");
	sd.done_date = (char *)"2199-12-31";
	INVALID(M_SET_NODE_DONE, sd, "done_date");
	sd.done_date = (char *)"2026-02-29";
	INVALID(M_SET_NODE_DONE, sd, "done_date");
	sd.done = false;
	sd.done_date = (char *)"2026-01-01";
	INVALID(M_SET_NODE_DONE, sd, "done_date");
	sd.has_id = false;
	INVALID(M_SET_NODE_DONE, sd, "id");

	/* Back-scheduling: at least one step, at most 50, days 0..3650, each
	 * checked before anything is written. */
	Luoshi__V1__PlanNodesRequest pn = LUOSHI__V1__PLAN_NODES_REQUEST__INIT;
	pn.project = (char *)"CRRC";
	pn.finish_date = (char *)"2026-12-31";
	INVALID(M_PLAN_NODES, pn, "steps");
	Luoshi__V1__PlanStep many[51], *ptrs[51];
	for (int i = 0; i < 51; i++) {
		many[i] = step("节点", i);
		ptrs[i] = &many[i];
	}
	pn.steps = ptrs;
	pn.n_steps = 51;
	INVALID(M_PLAN_NODES, pn, "steps");
	pn.n_steps = 2;
	many[1].days_before = 3651;
	INVALID(M_PLAN_NODES, pn, "steps[1].days_before");
	many[1].days_before = -1;
	INVALID(M_PLAN_NODES, pn, "steps[1].days_before");
	many[1].has_days_before = false;
	INVALID(M_PLAN_NODES, pn, "steps[1].days_before");
	many[1] = step("", 10);
	INVALID(M_PLAN_NODES, pn, "steps[1].name");
	many[1] = step(long_name, 10);
	INVALID(M_PLAN_NODES, pn, "steps[1].name");
	many[1] = step("竣工验收", 3650);
	pn.finish_date = (char *)"2026-02-30";
	INVALID(M_PLAN_NODES, pn, "finish_date");
	pn.finish_date = (char *)"2026-12-31";
	pn.owner_unit = (char *)"no such unit";
	INVALID(M_PLAN_NODES, pn, "owner_unit");
	pn.owner_unit = NULL;
	pn.project = (char *)"NOPE";
	INVALID(M_PLAN_NODES, pn, "project");
	/* 3650 days is the limit, and allowed. From 2016-12-31 to 2026-12-31
	 * are ten years of 365 days and two leap days (2020, 2024): 3652
	 * days; so 3650 days back is 2017-01-02. The fixture's nodes are
	 * 1..12: these are 13 and 14. */
	pn.project = (char *)"CRRC";
	Luoshi__V1__PlanNodesResponse *r =
	    (Luoshi__V1__PlanNodesResponse *)rpc_ok(s, W_ADMIN, M_PLAN_NODES, &pn.base);
	assert_int_equal(r->n_nodes, 2);
	check_node(r->nodes[0], 13, "节点", "2026-12-31", "ZJ", NULL);
	check_node(r->nodes[1], 14, "竣工验收", "2017-01-02", "ZJ", NULL);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* The lists' own arguments. */
	Luoshi__V1__ListNodesRequest ln = LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	ln.as_of = (char *)"2026-11-31";
	INVALID(M_LIST_NODES, ln, "as_of");
	ln.as_of = NULL;
	ln.page_token = (char *)"garbage";
	INVALID(M_LIST_NODES, ln, "page_token");
	ln.page_token = NULL;
	ln.owner_unit = (char *)"no such unit";
	INVALID(M_LIST_NODES, ln, "owner_unit");
	Luoshi__V1__GetAssignmentsRequest ga = LUOSHI__V1__GET_ASSIGNMENTS_REQUEST__INIT;
	ga.has_days = true;
	ga.days = 0;
	INVALID(M_ASSIGNMENTS, ga, "days");
	ga.days = 366;
	INVALID(M_ASSIGNMENTS, ga, "days");
	ga.days = 14;
	ga.as_of = (char *)"20261120";
	INVALID(M_ASSIGNMENTS, ga, "as_of");
}

static void test_validation_tasks(void **state)
{
	e2e_server *s = *state;
	char long_text[2002];
	memset(long_text, 'x', 2001);
	long_text[2001] = '\0';

	Luoshi__V1__CreateTaskRequest ct = LUOSHI__V1__CREATE_TASK_REQUEST__INIT;
	ct.description = (char *)"完成环评批复";
	ct.unit = (char *)"住建局";
	ct.due_date = (char *)"2026-11-30";
	INVALID(M_CREATE_TASK, ct, "project");
	ct.project = (char *)"CRRC";
	ct.description = NULL;
	INVALID(M_CREATE_TASK, ct, "description");
	ct.description = long_text;
	INVALID(M_CREATE_TASK, ct, "description");
	ct.description = (char *)"完成环评批复";
	ct.unit = NULL;
	INVALID(M_CREATE_TASK, ct, "unit");
	ct.unit = (char *)"住建厅";
	INVALID(M_CREATE_TASK, ct, "unit");
	ct.unit = (char *)"住建局";
	ct.person = (char *)"nobody";
	INVALID(M_CREATE_TASK, ct, "person");
	/* A person of another district. */
	ct.person = (char *)"L09";
	INVALID(M_CREATE_TASK, ct, "person");
	ct.person = (char *)"王工";
	ct.due_date = (char *)"2026-02-30";
	INVALID(M_CREATE_TASK, ct, "due_date");
	ct.due_date = NULL;
	INVALID(M_CREATE_TASK, ct, "due_date");

	/* 2,000 bytes are allowed: 666 three-byte characters and two bytes. */
	char *most = malloc(2001);
	assert_non_null(most);
	most[0] = '\0';
	for (int i = 0; i < 666; i++)
		strcat(most, "字");
	strcat(most, "ab");
	assert_int_equal(strlen(most), 2000);
	ct.description = most;
	ct.due_date = (char *)"2026-11-30";
	Luoshi__V1__CreateTaskResponse *r =
	    (Luoshi__V1__CreateTaskResponse *)rpc_ok(s, W_ADMIN, M_CREATE_TASK, &ct.base);
	assert_int_equal(r->task->id, 1);
	assert_string_equal(r->task->description, most);
	assert_string_equal(r->task->person_code, "P01");
	assert_true(r->task->has_status);
	assert_int_equal(r->task->status, LUOSHI__V1__TASK_STATUS__TASK_OPEN);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(most);

	Luoshi__V1__UpdateTaskRequest ut = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	ut.has_status = true;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	INVALID(M_UPDATE_TASK, ut, "id");
	ut.has_id = true;
	ut.id = 1;
	ut.status = (Luoshi__V1__TaskStatus)9;
	INVALID(M_UPDATE_TASK, ut, "status");
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_STATUS_UNSPECIFIED;
	INVALID(M_UPDATE_TASK, ut, "status");
	ut.has_status = false;
	ut.description = long_text;
	INVALID(M_UPDATE_TASK, ut, "description");
	ut.description = NULL;
	ut.unit = (char *)"";
	INVALID(M_UPDATE_TASK, ut, "unit");
	ut.unit = NULL;
	ut.due_date = (char *)"tomorrow";
	INVALID(M_UPDATE_TASK, ut, "due_date");
	ut.due_date = NULL;
	ut.person = (char *)"nobody";
	INVALID(M_UPDATE_TASK, ut, "person");

	Luoshi__V1__ListTasksRequest lt = LUOSHI__V1__LIST_TASKS_REQUEST__INIT;
	lt.has_status = true;
	lt.status = (Luoshi__V1__TaskStatus)7;
	INVALID(M_LIST_TASKS, lt, "status");
	lt.has_status = false;
	lt.person = (char *)"nobody";
	INVALID(M_LIST_TASKS, lt, "person");
	lt.person = NULL;
	lt.page_token = (char *)"2026-11-30/x";
	INVALID(M_LIST_TASKS, lt, "page_token");

	/* An unknown task. */
	ls_status st;
	ut.id = 42;
	ut.has_status = true;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	assert_int_equal(rpc(s, W_ADMIN, M_UPDATE_TASK, &ut.base, NULL, &st), LS_NOT_FOUND);
	assert_string_equal(st.field, "id");
}

/* ---- tasks ------------------------------------------------------------------------ */

static void test_tasks(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__CreateTaskRequest ct = LUOSHI__V1__CREATE_TASK_REQUEST__INIT;
	ct.project = (char *)"中车产业基地";
	ct.description = (char *)"完成环评批复";
	ct.unit = (char *)"住建局";
	ct.person = (char *)"王工";
	ct.due_date = (char *)"2026-11-30";
	Luoshi__V1__CreateTaskResponse *r =
	    (Luoshi__V1__CreateTaskResponse *)rpc_ok(s, W_ADMIN, M_CREATE_TASK, &ct.base);
	const Luoshi__V1__Task *t = r->task;
	assert_int_equal(t->id, 1);
	assert_string_equal(t->project_code, "CRRC");
	assert_string_equal(t->unit_code, "ZJ");
	assert_string_equal(t->unit_name, "住建局");
	assert_string_equal(t->person_code, "P01");
	assert_string_equal(t->person_name, "王工");
	assert_string_equal(t->due_date, "2026-11-30");
	assert_int_equal(t->status, LUOSHI__V1__TASK_STATUS__TASK_OPEN);
	assert_null(t->done_date);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_db_text(s,
	               "SELECT project_id || ',' || description || ',' || unit_id || ',' ||"
	               " person_id || ',' || due_date || ',' || status || ',' ||"
	               " coalesce(done_date, '-') FROM tasks",
	               "1,完成环评批复,4,3,2026-11-30,open,-");

	/* The task's unit marks it done: today. */
	char today[11], today2[11];
	Luoshi__V1__UpdateTaskRequest ut = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	ut.has_id = true;
	ut.id = 1;
	ut.has_status = true;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	shanghai_day(today, 0);
	Luoshi__V1__UpdateTaskResponse *u =
	    (Luoshi__V1__UpdateTaskResponse *)rpc_ok(s, W_DEPT_ZJ, M_UPDATE_TASK, &ut.base);
	shanghai_day(today2, 0);
	assert_int_equal(u->task->status, LUOSHI__V1__TASK_STATUS__TASK_DONE);
	assert_non_null(u->task->done_date);
	if (strcmp(u->task->done_date, today) != 0 && strcmp(u->task->done_date, today2) != 0)
		fail_msg("task done on %s, not today (%s)", u->task->done_date, today);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	assert_int_equal(db_int(s, "SELECT count(*) FROM tasks WHERE status = 'done' AND "
	                           "done_date IS NOT NULL"),
	                 1);

	/* Reopening clears the date; cancelling has none. */
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_OPEN;
	u = (Luoshi__V1__UpdateTaskResponse *)rpc_ok(s, W_DEPT_ZJ, M_UPDATE_TASK, &ut.base);
	assert_int_equal(u->task->status, LUOSHI__V1__TASK_STATUS__TASK_OPEN);
	assert_null(u->task->done_date);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	assert_db_text(s, "SELECT status || ',' || coalesce(done_date, '-') FROM tasks", "open,-");
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_CANCELLED;
	u = (Luoshi__V1__UpdateTaskResponse *)rpc_ok(s, W_ADMIN, M_UPDATE_TASK, &ut.base);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	assert_db_text(s, "SELECT status || ',' || coalesce(done_date, '-') FROM tasks",
	               "cancelled,-");

	/* The admin edits the rest; an empty person takes the person off. */
	Luoshi__V1__UpdateTaskRequest ed = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	ed.has_id = true;
	ed.id = 1;
	ed.description = (char *)"完成环评批复并公示";
	ed.unit = (char *)"FG";
	ed.person = (char *)"";
	ed.due_date = (char *)"2026-12-15";
	u = (Luoshi__V1__UpdateTaskResponse *)rpc_ok(s, W_ADMIN, M_UPDATE_TASK, &ed.base);
	assert_string_equal(u->task->unit_code, "FG");
	assert_null(u->task->person_code);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	assert_db_text(
	    s,
	    "SELECT description || ',' || unit_id || ',' || coalesce(CAST(person_id AS TEXT), '-') ||"
	    " ',' || due_date || ',' || status FROM tasks",
	    "完成环评批复并公示,5,-,2026-12-15,cancelled");

	/* Audit: a create and four updates, all about project 1. */
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'task' AND "
	                           "entity_id = 1 AND project_id = 1 AND method = '" M_CREATE_TASK
	                           "' AND before IS NULL"),
	                 1);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'task' AND "
	                           "entity_id = 1 AND project_id = 1 AND method = '" M_UPDATE_TASK
	                           "' AND before IS NOT NULL AND after IS NOT NULL"),
	                 4);
	/* The department's own write is under its own account (id 5). */
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'task' AND "
	                           "account_id = 5"),
	                 2);
}

/* ---- lists ------------------------------------------------------------------------- */

/* One ListNodes page as w; the caller frees it. */
static Luoshi__V1__ListNodesResponse *list_nodes(const e2e_server *s, enum who w,
                                                 Luoshi__V1__ListNodesRequest *req)
{
	if (req->as_of == NULL)
		req->as_of = (char *)"2026-11-20";
	return (Luoshi__V1__ListNodesResponse *)rpc_ok(s, w, M_LIST_NODES, &req->base);
}

/* Checks the ids of the nodes, and the days left of each when days is not
 * NULL. */
static void check_ids(const Luoshi__V1__ListNodesResponse *r, const int64_t *ids, const int *days,
                      size_t n)
{
	if (r->n_nodes != n) {
		fprintf(stderr, "got nodes:");
		for (size_t i = 0; i < r->n_nodes; i++)
			fprintf(stderr, " %" PRId64, r->nodes[i]->id);
		fprintf(stderr, "\n");
	}
	assert_int_equal(r->n_nodes, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r->nodes[i]->id, ids[i]);
		if (days != NULL) {
			assert_true(r->nodes[i]->has_days_left);
			assert_int_equal(r->nodes[i]->days_left, days[i]);
		}
	}
}

static void test_list_nodes(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__ListNodesRequest req = LUOSHI__V1__LIST_NODES_REQUEST__INIT;

	/* All the office's nodes (not FH1's), by due date then id, in pages
	 * of five; 7 and 11 share 2026-11-20. */
	req.has_page_size = true;
	req.page_size = 5;
	Luoshi__V1__ListNodesResponse *r = list_nodes(s, W_ADMIN, &req);
	check_ids(r, (int64_t[]){1, 8, 2, 5, 7}, (int[]){-36, -19, -2, -1, 0}, 5);
	assert_non_null(r->next_page_token);
	req.page_token = strdup(r->next_page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_nodes(s, W_ADMIN, &req);
	check_ids(r, (int64_t[]){11, 3, 12, 6, 10}, (int[]){0, 5, 7, 14, 15}, 5);
	assert_non_null(r->next_page_token);
	free(req.page_token);
	req.page_token = strdup(r->next_page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_nodes(s, W_ADMIN, &req);
	check_ids(r, (int64_t[]){4}, (int[]){41}, 1);
	assert_null(r->next_page_token);
	free(req.page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A page that holds exactly all of them is the last. */
	req = (Luoshi__V1__ListNodesRequest)LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	req.has_page_size = true;
	req.page_size = 11;
	r = list_nodes(s, W_ADMIN, &req);
	assert_int_equal(r->n_nodes, 11);
	assert_null(r->next_page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Pages of three: the tie falls inside a page, the last has two. */
	req = (Luoshi__V1__ListNodesRequest)LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	req.has_page_size = true;
	req.page_size = 3;
	int64_t seen[16];
	size_t n_seen = 0;
	int pages = 0;
	do {
		r = list_nodes(s, W_ADMIN, &req);
		for (size_t i = 0; i < r->n_nodes && n_seen < 16; i++)
			seen[n_seen++] = r->nodes[i]->id;
		free(req.page_token);
		req.page_token = r->next_page_token ? strdup(r->next_page_token) : NULL;
		protobuf_c_message_free_unpacked(&r->base, NULL);
		pages++;
	} while (req.page_token != NULL && pages < 10);
	assert_int_equal(pages, 4);
	const int64_t all[] = {1, 8, 2, 5, 7, 11, 3, 12, 6, 10, 4};
	assert_int_equal(n_seen, 11);
	for (size_t i = 0; i < 11; i++)
		assert_int_equal(seen[i], all[i]);

	/* Overdue on 2026-11-20: open and due before it. */
	req = (Luoshi__V1__ListNodesRequest)LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	req.has_overdue_only = true;
	req.overdue_only = true;
	r = list_nodes(s, W_ADMIN, &req);
	check_ids(r, (int64_t[]){1, 8, 5}, (int[]){-36, -19, -1}, 3);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* On another day, other numbers: 2026-12-31 less 2026-12-05 is 26. */
	req.as_of = (char *)"2026-12-31";
	r = list_nodes(s, W_ADMIN, &req);
	check_ids(r, (int64_t[]){1, 8, 5, 7, 3, 12, 6, 10},
	          (int[]){-77, -60, -42, -41, -36, -34, -27, -26}, 8);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Open nodes of one project, by its name. */
	req = (Luoshi__V1__ListNodesRequest)LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	req.project = (char *)"中车产业基地";
	req.has_open_only = true;
	req.open_only = true;
	r = list_nodes(s, W_ADMIN, &req);
	check_ids(r, (int64_t[]){1, 3, 4}, NULL, 3);
	assert_false(r->nodes[0]->done);
	assert_string_equal(r->nodes[0]->name, "桩基完成");
	assert_string_equal(r->nodes[0]->owner_unit_name, "住建局");
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* By owner. */
	req = (Luoshi__V1__ListNodesRequest)LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	req.owner_unit = (char *)"发改局";
	r = list_nodes(s, W_ADMIN, &req);
	check_ids(r, (int64_t[]){5, 7, 3, 10}, NULL, 4);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Each account sees the nodes of the projects it may read. */
	req = (Luoshi__V1__ListNodesRequest)LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	r = list_nodes(s, W_TOWN_XY, &req);
	check_ids(r, (int64_t[]){5, 12, 6}, NULL, 3);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_nodes(s, W_TOWN_WX, &req);
	check_ids(r, (int64_t[]){1, 8, 2, 7, 11, 3, 10, 4}, NULL, 8);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_nodes(s, W_DEPT_ZJ, &req);
	check_ids(r, (int64_t[]){1, 2, 5, 11, 3, 12, 6, 4}, NULL, 8);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_nodes(s, W_VIEWER, &req);
	check_ids(r, NULL, NULL, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_nodes(s, W_ADMIN_FH, &req);
	check_ids(r, (int64_t[]){9}, (int[]){-10}, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_nodes(s, W_INSPECTOR, &req);
	assert_int_equal(r->n_nodes, 11);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A project out of the reader's scope is not found. */
	ls_status st;
	req.project = (char *)"CRRC";
	req.as_of = NULL;
	assert_int_equal(rpc(s, W_TOWN_XY, M_LIST_NODES, &req.base, NULL, &st), LS_NOT_FOUND);
	assert_string_equal(st.field, "project");
	req.project = (char *)"FH1";
	assert_int_equal(rpc(s, W_ADMIN, M_LIST_NODES, &req.base, NULL, &st), LS_NOT_FOUND);
}

static void check_task_ids(const Luoshi__V1__ListTasksResponse *r, const int64_t *ids,
                           const int *days, size_t n)
{
	if (r->n_tasks != n) {
		fprintf(stderr, "got tasks:");
		for (size_t i = 0; i < r->n_tasks; i++)
			fprintf(stderr, " %" PRId64, r->tasks[i]->id);
		fprintf(stderr, "\n");
	}
	assert_int_equal(r->n_tasks, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r->tasks[i]->id, ids[i]);
		if (days != NULL) {
			assert_true(r->tasks[i]->has_days_left);
			assert_int_equal(r->tasks[i]->days_left, days[i]);
		}
	}
}

static Luoshi__V1__ListTasksResponse *list_tasks(const e2e_server *s, enum who w,
                                                 Luoshi__V1__ListTasksRequest *req)
{
	req->as_of = (char *)"2026-11-20";
	return (Luoshi__V1__ListTasksResponse *)rpc_ok(s, w, M_LIST_TASKS, &req->base);
}

static void test_list_tasks(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__ListTasksRequest req = LUOSHI__V1__LIST_TASKS_REQUEST__INIT;
	req.has_page_size = true;
	req.page_size = 3;
	Luoshi__V1__ListTasksResponse *r = list_tasks(s, W_ADMIN, &req);
	check_task_ids(r, (int64_t[]){5, 2, 7}, (int[]){-15, -10, -5}, 3);
	req.page_token = strdup(r->next_page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_tasks(s, W_ADMIN, &req);
	check_task_ids(r, (int64_t[]){8, 4, 1}, (int[]){2, 5, 10}, 3);
	free(req.page_token);
	req.page_token = strdup(r->next_page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_tasks(s, W_ADMIN, &req);
	check_task_ids(r, (int64_t[]){6, 3}, (int[]){20, 30}, 2);
	assert_null(r->next_page_token);
	free(req.page_token);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	req = (Luoshi__V1__ListTasksRequest)LUOSHI__V1__LIST_TASKS_REQUEST__INIT;
	req.project = (char *)"CRRC";
	req.has_status = true;
	req.status = LUOSHI__V1__TASK_STATUS__TASK_OPEN;
	r = list_tasks(s, W_ADMIN, &req);
	check_task_ids(r, (int64_t[]){2, 1}, (int[]){-10, 10}, 2);
	assert_string_equal(r->tasks[1]->description, "完成环评批复");
	assert_string_equal(r->tasks[1]->person_name, "王工");
	assert_null(r->tasks[0]->person_code);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	req = (Luoshi__V1__ListTasksRequest)LUOSHI__V1__LIST_TASKS_REQUEST__INIT;
	req.person = (char *)"王工";
	r = list_tasks(s, W_ADMIN, &req);
	check_task_ids(r, (int64_t[]){8, 1}, NULL, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	req.person = NULL;
	req.unit = (char *)"WX";
	r = list_tasks(s, W_ADMIN, &req);
	check_task_ids(r, (int64_t[]){5, 4}, NULL, 2);
	assert_string_equal(r->tasks[0]->done_date, "2026-11-06");
	assert_int_equal(r->tasks[0]->status, LUOSHI__V1__TASK_STATUS__TASK_DONE);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	req.unit = NULL;
	req.has_status = true;
	req.status = LUOSHI__V1__TASK_STATUS__TASK_CANCELLED;
	r = list_tasks(s, W_ADMIN, &req);
	check_task_ids(r, (int64_t[]){7}, NULL, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A town reads its projects' tasks; a viewer none. */
	req = (Luoshi__V1__ListTasksRequest)LUOSHI__V1__LIST_TASKS_REQUEST__INIT;
	r = list_tasks(s, W_TOWN_XY, &req);
	check_task_ids(r, (int64_t[]){7, 3}, NULL, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = list_tasks(s, W_VIEWER, &req);
	check_task_ids(r, NULL, NULL, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- assignments ------------------------------------------------------------------- */

typedef struct want_project {
	const char *code, *why, *finish;
} want_project;

static Luoshi__V1__GetAssignmentsResponse *assignments(const e2e_server *s, enum who w,
                                                       uint32_t days)
{
	Luoshi__V1__GetAssignmentsRequest req = LUOSHI__V1__GET_ASSIGNMENTS_REQUEST__INIT;
	req.as_of = (char *)"2026-11-20";
	if (days > 0) {
		req.has_days = true;
		req.days = days;
	}
	return (Luoshi__V1__GetAssignmentsResponse *)rpc_ok(s, w, M_ASSIGNMENTS, &req.base);
}

static void check_assignments(const Luoshi__V1__GetAssignmentsResponse *r,
                              const want_project *projects, size_t n_projects,
                              const int64_t *overdue, const int *overdue_days, size_t n_overdue,
                              const int64_t *due, const int *due_days, size_t n_due,
                              const int64_t *tasks, const int *task_days, size_t n_tasks)
{
	assert_true(r->has_project_count && r->has_overdue_count && r->has_due_count &&
	            r->has_task_count);
	assert_int_equal(r->project_count, n_projects);
	assert_int_equal(r->n_projects, n_projects);
	for (size_t i = 0; i < n_projects; i++) {
		assert_string_equal(r->projects[i]->code, projects[i].code);
		assert_string_equal(r->projects[i]->why, projects[i].why);
		assert_string_equal(r->projects[i]->planned_finish, projects[i].finish);
	}
	assert_int_equal(r->overdue_count, n_overdue);
	assert_int_equal(r->n_nodes_overdue, n_overdue);
	for (size_t i = 0; i < n_overdue; i++) {
		assert_int_equal(r->nodes_overdue[i]->id, overdue[i]);
		assert_int_equal(r->nodes_overdue[i]->days_left, overdue_days[i]);
	}
	assert_int_equal(r->due_count, n_due);
	assert_int_equal(r->n_nodes_due, n_due);
	for (size_t i = 0; i < n_due; i++) {
		assert_int_equal(r->nodes_due[i]->id, due[i]);
		assert_int_equal(r->nodes_due[i]->days_left, due_days[i]);
	}
	assert_int_equal(r->task_count, n_tasks);
	assert_int_equal(r->n_tasks, n_tasks);
	for (size_t i = 0; i < n_tasks; i++) {
		assert_int_equal(r->tasks[i]->id, tasks[i]);
		assert_int_equal(r->tasks[i]->days_left, task_days[i]);
	}
}

static void test_assignments(void **state)
{
	e2e_server *s = *state;

	/* 五乡镇: CRRC and AUX stand in it. Their open nodes up to 2026-12-04,
	 * and those the town owns: 8 (of AUX too) and 12, of MK in 下应街道;
	 * its unit's open task 4. */
	Luoshi__V1__GetAssignmentsResponse *r = assignments(s, W_TOWN_WX, 0);
	check_assignments(
	    r, (want_project[]){{"CRRC", "town", "2026-12-31"}, {"AUX", "town", "2027-03-31"}}, 2,
	    (int64_t[]){1, 8}, (int[]){-36, -19}, 2, (int64_t[]){7, 3, 12}, (int[]){0, 5, 7}, 3,
	    (int64_t[]){4}, (int[]){5}, 1);
	assert_string_equal(r->nodes_due[2]->project_code, "MK");
	assert_string_equal(r->nodes_overdue[0]->name, "桩基完成");
	assert_string_equal(r->tasks[0]->description, "完成征迁签约");
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Within one day: 7 (due today) but not 3 (in five days). */
	r = assignments(s, W_TOWN_WX, 1);
	assert_int_equal(r->due_count, 1);
	assert_int_equal(r->nodes_due[0]->id, 7);
	assert_int_equal(r->overdue_count, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* 住建局 (bound to 王工): leads CRRC, contributes to MK. Nodes of both
	 * and those it owns; its unit's open tasks 1 and 3 (7 is cancelled)
	 * and 王工's task 8 of another unit. */
	r = assignments(s, W_DEPT_ZJ, 0);
	check_assignments(r,
	                  (want_project[]){{"CRRC", "lead unit", "2026-12-31"},
	                                   {"MK", "contributing unit", "2027-06-30"}},
	                  2, (int64_t[]){1, 5}, (int[]){-36, -1}, 2, (int64_t[]){3, 12, 6},
	                  (int[]){5, 7, 14}, 3, (int64_t[]){8, 1, 3}, (int[]){2, 10, 30}, 3);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* 发改局: contributes to CRRC, leads AUX and MK. */
	r = assignments(s, W_DEPT_FG, 0);
	check_assignments(r,
	                  (want_project[]){{"CRRC", "contributing unit", "2026-12-31"},
	                                   {"AUX", "lead unit", "2027-03-31"},
	                                   {"MK", "lead unit", "2027-06-30"}},
	                  3, (int64_t[]){1, 8, 5}, (int[]){-36, -19, -1}, 3,
	                  (int64_t[]){7, 3, 12, 6}, (int[]){0, 5, 7, 14}, 4, (int64_t[]){2, 8, 6},
	                  (int[]){-10, 2, 20}, 3);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* 张领导 leads CRRC; task 6 names him. */
	r = assignments(s, W_LEADER, 0);
	check_assignments(r, (want_project[]){{"CRRC", "lead leader", "2026-12-31"}}, 1,
	                  (int64_t[]){1}, (int[]){-36}, 1, (int64_t[]){3}, (int[]){5}, 1,
	                  (int64_t[]){6}, (int[]){20}, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Those who oversee carry no project of their own. */
	const enum who overseers[] = {W_ADMIN, W_INSPECTOR, W_DISCIPLINE, W_VIEWER};
	for (size_t i = 0; i < 4; i++) {
		r = assignments(s, overseers[i], 0);
		check_assignments(r, NULL, 0, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, 0);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}

	/* Done nodes and tasks drop out: mark 1 done, task 4 done. */
	ProtobufCMessage *m;
	set_done(s, W_TOWN_WX, 1, true, "2026-11-19", &m);
	protobuf_c_message_free_unpacked(m, NULL);
	Luoshi__V1__UpdateTaskRequest ut = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	ut.has_id = true;
	ut.id = 4;
	ut.has_status = true;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	m = rpc_ok(s, W_TOWN_WX, M_UPDATE_TASK, &ut.base);
	protobuf_c_message_free_unpacked(m, NULL);
	r = assignments(s, W_TOWN_WX, 0);
	check_assignments(
	    r, (want_project[]){{"CRRC", "town", "2026-12-31"}, {"AUX", "town", "2027-03-31"}}, 2,
	    (int64_t[]){8}, (int[]){-19}, 1, (int64_t[]){7, 3, 12}, (int[]){0, 5, 7}, 3, NULL, NULL,
	    0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- who may write what ------------------------------------------------------------- */

static const char *const who_names[W_COUNT] = {
    "admin",         "leader",    "town WX",    "town XY", "department ZJ",
    "department FG", "inspector", "discipline", "viewer",  "admin of FH",
};

/* A write as w that must be refused with PERMISSION_DENIED, writing
 * nothing. */
static void expect_denied(const e2e_server *s, enum who w, const char *method,
                          const ProtobufCMessage *req, int line)
{
	char *before = fingerprint(s);
	ls_status st;
	int rc = rpc(s, w, method, req, NULL, &st);
	if (rc != LS_PERMISSION_DENIED)
		fail_msg("line %d: %s as %s gave %s (%s); want PERMISSION_DENIED", line, method,
		         who_names[w], ls_code_name(rc), st.message);
	char *after = fingerprint(s);
	if (strcmp(before, after) != 0)
		fail_msg("line %d: %s as %s wrote though denied", line, method, who_names[w]);
	free(before);
	free(after);
}

/* A write as w that must succeed and change something. */
static void expect_allowed(const e2e_server *s, enum who w, const char *method,
                           const ProtobufCMessage *req, int line)
{
	char *before = fingerprint(s);
	ls_status st;
	int rc = rpc(s, w, method, req, NULL, &st);
	if (rc != LS_OK)
		fail_msg("line %d: %s as %s gave %s (%s); want OK", line, method, who_names[w],
		         ls_code_name(rc), st.message);
	char *after = fingerprint(s);
	if (strcmp(before, after) == 0)
		fail_msg("line %d: %s as %s wrote nothing", line, method, who_names[w]);
	free(before);
	free(after);
}

/* Runs a write as every account: allowed[w] says who may. */
static void matrix(const e2e_server *s, const char *method, const ProtobufCMessage *req,
                   const bool allowed[W_COUNT], void (*vary)(ProtobufCMessage *req, int w),
                   int line)
{
	/* The refusals first, on the data as it was. */
	for (int w = 0; w < W_COUNT; w++)
		if (!allowed[w])
			expect_denied(s, (enum who)w, method, req, line);
	for (int w = 0; w < W_COUNT; w++) {
		if (!allowed[w])
			continue;
		if (vary != NULL)
			vary((ProtobufCMessage *)req, w);
		expect_allowed(s, (enum who)w, method, req, line);
	}
}

/* Each allowed marker picks its own date, so that every call changes the
 * node: 2026-11-01 for the admin, 11-03 for 五乡镇, 11-05 …. */
static char vary_dates[W_COUNT][11];

static void vary_done_date(ProtobufCMessage *req, int w)
{
	Luoshi__V1__SetNodeDoneRequest *r = (Luoshi__V1__SetNodeDoneRequest *)req;
	snprintf(vary_dates[w], sizeof vary_dates[w], "2026-11-%02u", (unsigned)(w + 1) % 100u);
	r->done_date = vary_dates[w];
}

static void vary_status(ProtobufCMessage *req, int w)
{
	(void)w;
	Luoshi__V1__UpdateTaskRequest *r = (Luoshi__V1__UpdateTaskRequest *)req;
	r->status = r->status == LUOSHI__V1__TASK_STATUS__TASK_DONE
	                ? LUOSHI__V1__TASK_STATUS__TASK_OPEN
	                : LUOSHI__V1__TASK_STATUS__TASK_DONE;
}

static void vary_name(ProtobufCMessage *req, int w)
{
	static char names[W_COUNT][32];
	Luoshi__V1__UpdateNodeRequest *r = (Luoshi__V1__UpdateNodeRequest *)req;
	snprintf(names[w], sizeof names[w], "改名 %d", w);
	r->name = names[w];
}

static void test_role_matrix(void **state)
{
	e2e_server *s = *state;
	const bool admin_only[W_COUNT] = {[W_ADMIN] = true};

	Luoshi__V1__CreateNodeRequest cn = LUOSHI__V1__CREATE_NODE_REQUEST__INIT;
	cn.project = (char *)"CRRC";
	cn.name = (char *)"矩阵节点";
	cn.due_date = (char *)"2026-12-20";
	matrix(s, M_CREATE_NODE, &cn.base, admin_only, NULL, __LINE__);

	Luoshi__V1__UpdateNodeRequest un = LUOSHI__V1__UPDATE_NODE_REQUEST__INIT;
	un.has_id = true;
	un.id = 1;
	un.name = (char *)"桩基完成（改）";
	matrix(s, M_UPDATE_NODE, &un.base, admin_only, vary_name, __LINE__);

	Luoshi__V1__PlanStep st1 = step("倒排一", 10);
	Luoshi__V1__PlanStep *steps[] = {&st1};
	Luoshi__V1__PlanNodesRequest pn = LUOSHI__V1__PLAN_NODES_REQUEST__INIT;
	pn.project = (char *)"CRRC";
	pn.n_steps = 1;
	pn.steps = steps;
	matrix(s, M_PLAN_NODES, &pn.base, admin_only, NULL, __LINE__);

	/* Node 1 (CRRC, standing in 五乡镇, owned by 住建局). */
	Luoshi__V1__SetNodeDoneRequest sd = LUOSHI__V1__SET_NODE_DONE_REQUEST__INIT;
	sd.has_id = true;
	sd.id = 1;
	sd.has_done = true;
	sd.done = true;
	sd.done_date = (char *)"2026-10-20";
	const bool mark_1[W_COUNT] = {[W_ADMIN] = true, [W_TOWN_WX] = true, [W_DEPT_ZJ] = true};
	matrix(s, M_SET_NODE_DONE, &sd.base, mark_1, vary_done_date, __LINE__);
	/* The last allowed marker was 住建局, index 4: 2026-11-05. */
	assert_db_text(s, "SELECT done_date FROM nodes WHERE id = 1", "2026-11-05");
	/* Node 3 (CRRC too, owned by 发改局): 住建局 leads CRRC, but the node
	 * is not its own. */
	sd.id = 3;
	sd.done_date = (char *)"2026-10-20";
	const bool mark_3[W_COUNT] = {[W_ADMIN] = true, [W_TOWN_WX] = true, [W_DEPT_FG] = true};
	matrix(s, M_SET_NODE_DONE, &sd.base, mark_3, vary_done_date, __LINE__);
	assert_db_text(s, "SELECT done_date FROM nodes WHERE id = 3", "2026-11-06");
	/* Undone: the same people. */
	sd.done = false;
	sd.done_date = NULL;
	expect_denied(s, W_TOWN_XY, M_SET_NODE_DONE, &sd.base, __LINE__);
	expect_denied(s, W_DEPT_ZJ, M_SET_NODE_DONE, &sd.base, __LINE__);
	expect_denied(s, W_LEADER, M_SET_NODE_DONE, &sd.base, __LINE__);
	expect_allowed(s, W_DEPT_FG, M_SET_NODE_DONE, &sd.base, __LINE__);

	Luoshi__V1__CreateTaskRequest ct = LUOSHI__V1__CREATE_TASK_REQUEST__INIT;
	ct.project = (char *)"CRRC";
	ct.description = (char *)"矩阵任务";
	ct.unit = (char *)"ZJ";
	ct.due_date = (char *)"2026-12-01";
	matrix(s, M_CREATE_TASK, &ct.base, admin_only, NULL, __LINE__);

	/* Anything but the status: admin only, even for the task's unit. */
	Luoshi__V1__UpdateTaskRequest ut = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	ut.has_id = true;
	ut.id = 1;
	ut.due_date = (char *)"2026-12-02";
	matrix(s, M_UPDATE_TASK, &ut.base, admin_only, NULL, __LINE__);
	ut.has_status = true;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	ut.due_date = (char *)"2026-12-03";
	expect_denied(s, W_DEPT_ZJ, M_UPDATE_TASK, &ut.base, __LINE__);

	/* The status alone: the admin or the task's unit (task 1: 住建局). */
	ut.due_date = NULL;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_OPEN;
	const bool status_1[W_COUNT] = {[W_ADMIN] = true, [W_DEPT_ZJ] = true};
	matrix(s, M_UPDATE_TASK, &ut.base, status_1, vary_status, __LINE__);
	/* Open, then done by the admin, then open by 住建局. */
	assert_db_text(s, "SELECT status FROM tasks WHERE id = 1", "open");
	/* Task 4 belongs to 五乡镇. */
	ut.id = 4;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_OPEN;
	const bool status_4[W_COUNT] = {[W_ADMIN] = true, [W_TOWN_WX] = true};
	matrix(s, M_UPDATE_TASK, &ut.base, status_4, vary_status, __LINE__);
	assert_db_text(s, "SELECT status FROM tasks WHERE id = 4", "open");
}

/* A town reaching for another town's node or task by its id, and an admin
 * for a project of another district: refused, nothing written. */
static void test_forged_ids(void **state)
{
	e2e_server *s = *state;
	char *before = fingerprint(s);
	ls_status st;

	/* Node 1 is CRRC's, in 五乡镇, not 下应街道. */
	Luoshi__V1__SetNodeDoneRequest sd = LUOSHI__V1__SET_NODE_DONE_REQUEST__INIT;
	sd.has_id = true;
	sd.id = 1;
	sd.has_done = true;
	sd.done = true;
	sd.done_date = (char *)"2026-11-01";
	int rc = rpc(s, W_TOWN_XY, M_SET_NODE_DONE, &sd.base, NULL, &st);
	assert_true(rc == LS_PERMISSION_DENIED || rc == LS_NOT_FOUND);
	/* Node 9 belongs to another district entirely. */
	sd.id = 9;
	rc = rpc(s, W_TOWN_WX, M_SET_NODE_DONE, &sd.base, NULL, &st);
	assert_true(rc == LS_PERMISSION_DENIED || rc == LS_NOT_FOUND);
	rc = rpc(s, W_ADMIN, M_SET_NODE_DONE, &sd.base, NULL, &st);
	assert_int_equal(rc, LS_PERMISSION_DENIED);
	/* A node that does not exist. */
	sd.id = 999;
	assert_int_equal(rpc(s, W_TOWN_WX, M_SET_NODE_DONE, &sd.base, NULL, &st), LS_NOT_FOUND);

	/* Task 4 is 五乡镇's. */
	Luoshi__V1__UpdateTaskRequest ut = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	ut.has_id = true;
	ut.id = 4;
	ut.has_status = true;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	rc = rpc(s, W_TOWN_XY, M_UPDATE_TASK, &ut.base, NULL, &st);
	assert_true(rc == LS_PERMISSION_DENIED || rc == LS_NOT_FOUND);

	/* The other district's admin, on the office's project and nodes. */
	Luoshi__V1__CreateNodeRequest cn = LUOSHI__V1__CREATE_NODE_REQUEST__INIT;
	cn.project = (char *)"CRRC";
	cn.name = (char *)"越权节点";
	cn.due_date = (char *)"2026-12-01";
	assert_int_equal(rpc(s, W_ADMIN_FH, M_CREATE_NODE, &cn.base, NULL, &st),
	                 LS_PERMISSION_DENIED);
	Luoshi__V1__UpdateNodeRequest un = LUOSHI__V1__UPDATE_NODE_REQUEST__INIT;
	un.has_id = true;
	un.id = 1;
	un.name = (char *)"越权";
	assert_int_equal(rpc(s, W_ADMIN_FH, M_UPDATE_NODE, &un.base, NULL, &st),
	                 LS_PERMISSION_DENIED);
	ut.id = 1;
	assert_int_equal(rpc(s, W_ADMIN_FH, M_UPDATE_TASK, &ut.base, NULL, &st),
	                 LS_PERMISSION_DENIED);

	char *after = fingerprint(s);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* And the other district's admin does reach its own. */
	sd.id = 9;
	ProtobufCMessage *m = rpc_ok(s, W_ADMIN_FH, M_SET_NODE_DONE, &sd.base);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_db_text(s, "SELECT done_date FROM nodes WHERE id = 9", "2026-11-01");
}

/* An archived project's plan no longer changes, and it leaves the
 * assignments; its nodes stay readable. */
static void test_archived(void **state)
{
	e2e_server *s = *state;
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, "UPDATE projects SET archived = 1 WHERE code = 'AUX'");
	e2e_db_close(db);
	char *before = fingerprint(s);
	ls_status st;
	Luoshi__V1__SetNodeDoneRequest sd = LUOSHI__V1__SET_NODE_DONE_REQUEST__INIT;
	sd.has_id = true;
	sd.id = 7;
	sd.has_done = true;
	sd.done = true;
	sd.done_date = (char *)"2026-11-20";
	assert_int_equal(rpc(s, W_ADMIN, M_SET_NODE_DONE, &sd.base, NULL, &st),
	                 LS_FAILED_PRECONDITION);
	Luoshi__V1__UpdateTaskRequest ut = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	ut.has_id = true;
	ut.id = 4;
	ut.has_status = true;
	ut.status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	assert_int_equal(rpc(s, W_TOWN_WX, M_UPDATE_TASK, &ut.base, NULL, &st),
	                 LS_FAILED_PRECONDITION);
	/* Writes name projects that are not archived. */
	Luoshi__V1__CreateNodeRequest cn = LUOSHI__V1__CREATE_NODE_REQUEST__INIT;
	cn.project = (char *)"AUX";
	cn.name = (char *)"节点";
	cn.due_date = (char *)"2026-12-01";
	assert_int_equal(rpc(s, W_ADMIN, M_CREATE_NODE, &cn.base, NULL, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "project");
	char *after = fingerprint(s);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* 五乡镇 now answers for CRRC alone: AUX's nodes 7 and 8 and task 4
	 * drop out; MK's node 12, its own, stays. */
	Luoshi__V1__GetAssignmentsResponse *r = assignments(s, W_TOWN_WX, 0);
	check_assignments(r, (want_project[]){{"CRRC", "town", "2026-12-31"}}, 1, (int64_t[]){1},
	                  (int[]){-36}, 1, (int64_t[]){3, 12}, (int[]){5, 7}, 2, NULL, NULL, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	Luoshi__V1__ListNodesRequest ln = LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	ln.owner_unit = (char *)"FG";
	Luoshi__V1__ListNodesResponse *l = list_nodes(s, W_ADMIN, &ln);
	check_ids(l, (int64_t[]){5, 7, 3, 10}, NULL, 4);
	protobuf_c_message_free_unpacked(&l->base, NULL);
}

/* ---- the command line ----------------------------------------------------------------- */

static void cli(const e2e_server *s, enum who w, const char *lang, const char *const *args,
                e2e_run *r)
{
	e2e_cli(s->dir, s->tcp_url, token_of(s, w), lang, args, r);
}

static void show(const char *what, const e2e_run *r)
{
	fprintf(stderr, "%s: status %d\nstdout:\n%sstderr:\n%s", what, r->status, r->out, r->err);
}

static void cli_expect(const e2e_server *s, enum who w, const char *lang, const char *const *args,
                       int status, e2e_run *r)
{
	cli(s, w, lang, args, r);
	if (r->status != status) {
		show(args[0], r);
		fail_msg("luoshi %s %s exited %d, want %d", args[0], args[1] ? args[1] : "",
		         r->status, status);
	}
}

/* The line of out that holds needle; malloc'd, or NULL. */
static char *line_with(const char *out, const char *needle)
{
	const char *p = strstr(out, needle);
	if (p == NULL)
		return NULL;
	const char *start = p;
	while (start > out && start[-1] != '\n')
		start--;
	const char *end = strchr(p, '\n');
	return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* True when the line of out holding needle has every word of words
 * (NULL-terminated) as a cell, in order. */
static bool row_has(const char *out, const char *needle, const char *const *words)
{
	char *line = line_with(out, needle);
	if (line == NULL)
		return false;
	bool ok = true;
	const char *p = line;
	for (int i = 0; words[i] != NULL && ok; i++) {
		const char *q = strstr(p, words[i]);
		size_t n = strlen(words[i]);
		/* A cell: spaces or the line's ends around it. */
		while (q != NULL && !((q == line || q[-1] == ' ') && (q[n] == ' ' || q[n] == '\0')))
			q = strstr(q + 1, words[i]);
		if (q == NULL)
			ok = false;
		else
			p = q + n;
	}
	if (!ok)
		fprintf(stderr, "row \"%s\" lacks one of its cells\n", line);
	free(line);
	return ok;
}

static void test_cli_nodes(void **state)
{
	e2e_server *s = *state;
	e2e_run r;

	const char *plan[] = {"node",     "plan",       "--project", "中车产业基地",
	                      "--finish", "2026-12-31", "--steps",   "主体封顶：90，竣工验收：30",
	                      NULL};
	cli_expect(s, W_ADMIN, NULL, plan, 0, &r);
	assert_true(
	    row_has(r.out, "主体封顶", (const char *[]){"1", "主体封顶", "2026-10-02", NULL}));
	assert_true(
	    row_has(r.out, "竣工验收", (const char *[]){"2", "竣工验收", "2026-12-01", NULL}));
	e2e_run_free(&r);
	assert_db_text(s,
	               "SELECT group_concat(name || ',' || due_date || ',' || owner_unit_id, ';')"
	               " FROM (SELECT * FROM nodes ORDER BY id) AS n",
	               "主体封顶,2026-10-02,4;竣工验收,2026-12-01,4");

	/* ASCII separators, spaces, an owner. 2026-12-31 less 10: 12-21. */
	const char *plan2[] = {"node",   "plan",    "--project",         "CRRC", "--owner",
	                       "发改局", "--steps", " 设备调试 : 10 , ", NULL};
	cli_expect(s, W_ADMIN, NULL, plan2, 0, &r);
	assert_true(row_has(r.out, "设备调试",
	                    (const char *[]){"3", "设备调试", "2026-12-21", "发改局", NULL}));
	e2e_run_free(&r);

	/* Bad steps: the client's syntax, the server's numbers. */
	const char *bad_syntax[] = {"node",    "plan",     "--project", "CRRC",
	                            "--steps", "主体封顶", NULL};
	cli_expect(s, W_ADMIN, NULL, bad_syntax, 3, &r);
	assert_int_equal(e2e_count_lines(r.err), 1);
	e2e_run_free(&r);
	const char *bad_days[] = {"node",    "plan",       "--project", "CRRC",
	                          "--steps", "a:1,b:4000", NULL};
	cli_expect(s, W_ADMIN, NULL, bad_days, 3, &r);
	assert_non_null(strstr(r.err, "steps[1].days_before"));
	e2e_run_free(&r);
	assert_int_equal(db_int(s, "SELECT count(*) FROM nodes"), 3);

	const char *add[] = {"node",         "add",        "--project",
	                     "中车产业基地", "--name",     "设备进场",
	                     "--due",        "2026-11-25", NULL};
	cli_expect(s, W_ADMIN, NULL, add, 0, &r);
	char *owner = line_with(r.out, "ZJ 住建局");
	assert_non_null(owner);
	free(owner);
	e2e_run_free(&r);

	const char *edit[] = {"node", "edit", "4", "--owner", "FG", NULL};
	cli_expect(s, W_ADMIN, NULL, edit, 0, &r);
	owner = line_with(r.out, "FG 发改局");
	assert_non_null(owner);
	free(owner);
	e2e_run_free(&r);
	const char *edit_none[] = {"node", "edit", "4", NULL};
	cli_expect(s, W_ADMIN, NULL, edit_none, 3, &r);
	e2e_run_free(&r);

	/* The list, with days left from 2026-11-20: 10-02 is 49 days before,
	 * 11-25 five after, 12-01 eleven, 12-21 thirty-one. */
	const char *list[] = {"node", "list", "--project", "CRRC", "--as-of", "2026-11-20", NULL};
	cli_expect(s, W_ADMIN, NULL, list, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 5);
	assert_true(row_has(r.out, "主体封顶",
	                    (const char *[]){"1", "主体封顶", "2026-10-02", "-49", NULL}));
	assert_true(
	    row_has(r.out, "设备进场", (const char *[]){"4", "设备进场", "2026-11-25", "5", NULL}));
	assert_true(row_has(r.out, "竣工验收",
	                    (const char *[]){"2", "竣工验收", "2026-12-01", "11", NULL}));
	assert_true(row_has(r.out, "设备调试",
	                    (const char *[]){"3", "设备调试", "2026-12-21", "31", NULL}));
	/* By due date: 1, 4, 2, 3. */
	assert_true(strstr(r.out, "主体封顶") < strstr(r.out, "设备进场"));
	assert_true(strstr(r.out, "设备进场") < strstr(r.out, "竣工验收"));
	assert_true(strstr(r.out, "竣工验收") < strstr(r.out, "设备调试"));
	e2e_run_free(&r);

	/* 五乡镇 marks node 1 done; a bad date and a future one are refused. */
	const char *done_bad[] = {"node", "done", "1", "--date", "2026-02-30", NULL};
	cli_expect(s, W_TOWN_WX, NULL, done_bad, 3, &r);
	assert_non_null(strstr(r.err, "done_date"));
	e2e_run_free(&r);
	const char *done_future[] = {"node", "done", "1", "--date", "2199-01-01", NULL};
	cli_expect(s, W_TOWN_WX, NULL, done_future, 3, &r);
	e2e_run_free(&r);
	const char *done_viewer[] = {"node", "done", "1", NULL};
	cli_expect(s, W_VIEWER, NULL, done_viewer, 7, &r);
	e2e_run_free(&r);
	assert_db_text(s, "SELECT coalesce(done_date, 'none') FROM nodes WHERE id = 1", "none");
	const char *done[] = {"node", "done", "1", "--date", "2026-10-01", NULL};
	cli_expect(s, W_TOWN_WX, NULL, done, 0, &r);
	assert_non_null(strstr(r.out, "done on 2026-10-01"));
	e2e_run_free(&r);
	assert_db_text(s, "SELECT done_date FROM nodes WHERE id = 1", "2026-10-01");

	/* --open and --overdue leave it out now; --json gives the nodes. */
	const char *overdue[] = {"node",       "list",   "--overdue", "--as-of",
	                         "2026-12-05", "--json", NULL};
	cli_expect(s, W_ADMIN, NULL, overdue, 0, &r);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	assert_true(json_is_array(j));
	/* Overdue on 12-05: 4 (11-25, -10) and 2 (12-01, -4). */
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "id")), "4");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "daysLeft")),
	                 -10);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "id")), "2");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 1), "daysLeft")), -4);
	json_decref(j);
	e2e_run_free(&r);
	const char *limited[] = {"node", "list", "--limit", "2", NULL};
	cli_expect(s, W_ADMIN, NULL, limited, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 3);
	e2e_run_free(&r);

	const char *undone[] = {"node", "undone", "1", NULL};
	cli_expect(s, W_TOWN_WX, NULL, undone, 0, &r);
	e2e_run_free(&r);
	assert_db_text(s, "SELECT coalesce(done_date, 'none') FROM nodes WHERE id = 1", "none");
	const char *undone_other[] = {"node", "undone", "1", NULL};
	cli_expect(s, W_TOWN_XY, NULL, undone_other, 7, &r);
	e2e_run_free(&r);

	const char *bad_id[] = {"node", "done", "x", NULL};
	cli_expect(s, W_ADMIN, NULL, bad_id, 3, &r);
	e2e_run_free(&r);

	/* Help at every level. */
	const char *const helps[][4] = {
	    {"node", "--help", NULL},           {"node", "plan", "--help", NULL},
	    {"node", "add", "--help", NULL},    {"node", "edit", "--help", NULL},
	    {"node", "list", "--help", NULL},   {"node", "done", "--help", NULL},
	    {"node", "undone", "--help", NULL},
	};
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		cli_expect(s, W_ADMIN, NULL, helps[i], 0, &r);
		assert_non_null(strstr(r.out, "Usage: luoshi node"));
		e2e_run_free(&r);
	}
}

static void test_cli_tasks(void **state)
{
	e2e_server *s = *state;
	e2e_run r;
	const char *add[] = {
	    "task",         "add",        "--project", "中车产业基地", "--description",
	    "完成环评批复", "--unit",     "住建局",    "--person",     "王工",
	    "--due",        "2026-11-30", NULL};
	cli_expect(s, W_ADMIN, NULL, add, 0, &r);
	char *line = line_with(r.out, "P01 王工");
	assert_non_null(line);
	free(line);
	e2e_run_free(&r);
	const char *add2[] = {"task",          "add",          "--project", "AUX",
	                      "--description", "完成征迁签约", "--unit",    "五乡镇",
	                      "--due",         "2026-11-25",   NULL};
	cli_expect(s, W_ADMIN, NULL, add2, 0, &r);
	e2e_run_free(&r);
	const char *add_bad[] = {"task",          "add",        "--project", "AUX",
	                         "--description", "x",          "--unit",    "nowhere",
	                         "--due",         "2026-11-25", NULL};
	cli_expect(s, W_ADMIN, NULL, add_bad, 3, &r);
	assert_non_null(strstr(r.err, "unit"));
	e2e_run_free(&r);
	const char *add_town[] = {"task",          "add",        "--project", "AUX",
	                          "--description", "x",          "--unit",    "WX",
	                          "--due",         "2026-11-25", NULL};
	cli_expect(s, W_TOWN_WX, NULL, add_town, 7, &r);
	e2e_run_free(&r);
	assert_int_equal(db_int(s, "SELECT count(*) FROM tasks"), 2);

	const char *list[] = {"task", "list", "--status", "open", "--as-of", "2026-11-20", NULL};
	cli_expect(s, W_ADMIN, NULL, list, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 3);
	assert_true(row_has(r.out, "完成征迁签约",
	                    (const char *[]){"2", "奥克斯智能空调项目", "完成征迁签约", "五乡镇",
	                                     "2026-11-25", "5", "open", NULL}));
	assert_true(row_has(r.out, "完成环评批复",
	                    (const char *[]){"1", "中车产业基地", "完成环评批复", "住建局", "王工",
	                                     "2026-11-30", "10", "open", NULL}));
	assert_true(strstr(r.out, "完成征迁签约") < strstr(r.out, "完成环评批复"));
	e2e_run_free(&r);
	const char *bad_status[] = {"task", "list", "--status", "closed", NULL};
	cli_expect(s, W_ADMIN, NULL, bad_status, 3, &r);
	e2e_run_free(&r);

	/* 住建局 may mark its task done but not edit it. */
	const char *edit_dept[] = {"task", "edit", "1", "--description", "改", NULL};
	cli_expect(s, W_DEPT_ZJ, NULL, edit_dept, 7, &r);
	e2e_run_free(&r);
	const char *done_other[] = {"task", "done", "2", NULL};
	cli_expect(s, W_DEPT_ZJ, NULL, done_other, 7, &r);
	e2e_run_free(&r);
	const char *done[] = {"task", "done", "1", NULL};
	cli_expect(s, W_DEPT_ZJ, NULL, done, 0, &r);
	assert_true(row_has(r.out, "Status", (const char *[]){"Status", "done", NULL}));
	e2e_run_free(&r);
	assert_db_text(s, "SELECT status FROM tasks WHERE id = 1", "done");
	const char *reopen[] = {"task", "edit", "1", "--status", "open", NULL};
	cli_expect(s, W_DEPT_ZJ, NULL, reopen, 0, &r);
	e2e_run_free(&r);
	assert_db_text(s, "SELECT status || coalesce(done_date, '-') FROM tasks WHERE id = 1",
	               "open-");
	const char *edit[] = {"task", "edit", "1", "--person", "", "--due", "2026-12-01", NULL};
	cli_expect(s, W_ADMIN, NULL, edit, 0, &r);
	e2e_run_free(&r);
	assert_db_text(
	    s,
	    "SELECT coalesce(CAST(person_id AS TEXT), '-') || ',' || due_date FROM tasks WHERE id = 1",
	    "-,2026-12-01");

	const char *json[] = {"task", "list", "--unit", "五乡镇", "--json", NULL};
	cli_expect(s, W_ADMIN, NULL, json, 0, &r);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "description")),
	                    "完成征迁签约");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "status")),
	                    "TASK_OPEN");
	json_decref(j);
	e2e_run_free(&r);

	const char *const helps[][4] = {
	    {"task", "--help", NULL},         {"task", "add", "--help", NULL},
	    {"task", "edit", "--help", NULL}, {"task", "list", "--help", NULL},
	    {"task", "done", "--help", NULL},
	};
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		cli_expect(s, W_ADMIN, NULL, helps[i], 0, &r);
		assert_non_null(strstr(r.out, "Usage: luoshi task"));
		e2e_run_free(&r);
	}
}

static void test_cli_assignments(void **state)
{
	e2e_server *s = *state;
	e2e_run r;
	const char *args[] = {"assignments", "--as-of", "2026-11-20", NULL};
	cli_expect(s, W_TOWN_WX, NULL, args, 0, &r);
	const char *o = r.out;
	const char *p = strstr(o, "Projects (2)\n");
	const char *ov = strstr(o, "Overdue nodes (2)\n");
	const char *du = strstr(o, "Nodes due within 14 days (3)\n");
	const char *ta = strstr(o, "Open tasks (1)\n");
	if (!p || !ov || !du || !ta)
		show("assignments", &r);
	assert_true(p && ov && du && ta && p < ov && ov < du && du < ta);
	/* Each section's rows under its heading, most urgent first. */
	assert_true(row_has(o, "中车产业基地",
	                    (const char *[]){"CRRC", "中车产业基地", "town", "2026-12-31", NULL}));
	assert_true(
	    row_has(o, "奥克斯智能空调项目",
	            (const char *[]){"AUX", "奥克斯智能空调项目", "town", "2027-03-31", NULL}));
	const char *crrc = strstr(o, "中车产业基地"), *aux = strstr(o, "奥克斯智能空调项目");
	assert_true(crrc && aux && p < crrc && crrc < aux && aux < ov);
	assert_true(
	    row_has(o, "桩基完成", (const char *[]){"1", "桩基完成", "2026-10-15", "-36", NULL}));
	assert_true(
	    row_has(o, "拆迁清零", (const char *[]){"8", "拆迁清零", "2026-11-01", "-19", NULL}));
	assert_true(
	    row_has(o, "厂房封顶", (const char *[]){"7", "厂房封顶", "2026-11-20", "0", NULL}));
	assert_true(
	    row_has(o, "设备进场", (const char *[]){"3", "设备进场", "2026-11-25", "5", NULL}));
	assert_true(row_has(
	    o, "完成征迁签约",
	    (const char *[]){"4", "完成征迁签约", "五乡镇", "赵镇长", "2026-11-25", "5", NULL}));
	assert_true(ov < strstr(o, "桩基完成") && strstr(o, "桩基完成") < strstr(o, "拆迁清零") &&
	            strstr(o, "拆迁清零") < du);
	assert_true(row_has(o, "配合拆迁",
	                    (const char *[]){"12", "美康智能健康产业中心", "配合拆迁", "2026-11-27",
	                                     "7", "五乡镇", NULL}));
	assert_true(du < strstr(o, "厂房封顶") && strstr(o, "厂房封顶") < strstr(o, "设备进场") &&
	            strstr(o, "设备进场") < strstr(o, "配合拆迁") && strstr(o, "配合拆迁") < ta);
	e2e_run_free(&r);

	const char *days[] = {"assignments", "--as-of", "2026-11-20", "--days", "1", NULL};
	cli_expect(s, W_TOWN_WX, NULL, days, 0, &r);
	assert_non_null(strstr(r.out, "Nodes due within 1 day (1)\n"));
	e2e_run_free(&r);
	const char *bad_days[] = {"assignments", "--days", "400", NULL};
	cli_expect(s, W_TOWN_WX, NULL, bad_days, 3, &r);
	assert_non_null(strstr(r.err, "days"));
	e2e_run_free(&r);

	const char *json[] = {"assignments", "--as-of", "2026-11-20", "--json", NULL};
	cli_expect(s, W_DEPT_ZJ, NULL, json, 0, &r);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "projectCount")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "overdueCount")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "dueCount")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "taskCount")), 3);
	json_t *projects = json_object_get(j, "projects");
	assert_int_equal(json_array_size(projects), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(projects, 1), "why")),
	                    "contributing unit");
	json_t *tasks = json_object_get(j, "tasks");
	assert_string_equal(json_string_value(json_object_get(json_array_get(tasks, 0), "id")),
	                    "8");
	json_decref(j);
	e2e_run_free(&r);

	/* An overseer has nothing of its own. */
	cli_expect(s, W_INSPECTOR, NULL, args, 0, &r);
	assert_non_null(strstr(r.out, "Projects (0)\n"));
	assert_non_null(strstr(r.out, "Open tasks (0)\n"));
	e2e_run_free(&r);

	const char *help[] = {"assignments", "--help", NULL};
	cli_expect(s, W_ADMIN, NULL, help, 0, &r);
	assert_non_null(strstr(r.out, "Usage: luoshi assignments"));
	e2e_run_free(&r);

	/* In Chinese. */
	locale_t l = newlocale(LC_ALL_MASK, "zh_CN.UTF-8", (locale_t)0);
	if (l == (locale_t)0)
		fail_msg("the zh_CN.UTF-8 locale is not installed");
	freelocale(l);
	cli_expect(s, W_TOWN_WX, "zh_CN.UTF-8", args, 0, &r);
	if (strstr(r.out, "项目（2）") == NULL || strstr(r.out, "逾期节点（2）") == NULL ||
	    strstr(r.out, "14 天内到期节点（3）") == NULL ||
	    strstr(r.out, "未完成任务（1）") == NULL || strstr(r.out, "属地镇街") == NULL)
		show("assignments in Chinese", &r);
	assert_non_null(strstr(r.out, "项目（2）"));
	assert_non_null(strstr(r.out, "逾期节点（2）"));
	assert_non_null(strstr(r.out, "14 天内到期节点（3）"));
	assert_non_null(strstr(r.out, "未完成任务（1）"));
	assert_non_null(strstr(r.out, "属地镇街"));
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_plan_nodes, setup_registry, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_create_update_node, setup_registry, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_done_undone, setup_schedule, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_validation_nodes, setup_schedule, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_validation_tasks, setup_registry, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_tasks, setup_registry, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_list_nodes, setup_schedule, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_list_tasks, setup_schedule, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_assignments, setup_schedule, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_role_matrix, setup_schedule, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_forged_ids, setup_schedule, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_archived, setup_schedule, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli_nodes, setup_registry, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli_tasks, setup_registry, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli_assignments, setup_schedule, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_schedule", tests, NULL, NULL);
}
