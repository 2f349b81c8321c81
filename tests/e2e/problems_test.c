/* End to end: ProblemService (销号管理). Routing to the four support groups
 * and to the office, support groups in the registry, the life cycle with
 * its history and audit rows, every role's rights on every write, another
 * town's and another district's projects, bad input, counts computed by
 * hand as of a day, lists and their filters and pages, what GetAssignments
 * shows of problems, and the `luoshi problem` command line.
 *
 * Each test gets a fresh luoshid whose registry and accounts are written
 * into its database before it starts, so that these tests do not depend on
 * the registry's RPCs. Problems with dates in the past are written there
 * too, since RaiseProblem takes no due date before today. */
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

#include <jansson.h>
#include <sodium.h>

#include "harness.h"
#include "luoshi/v1/problems.pb-c.h"
#include "luoshi/v1/registry.pb-c.h"
#include "luoshi/v1/schedule.pb-c.h"

#define M_RAISE "/luoshi.v1.ProblemService/RaiseProblem"
#define M_ASSIGN "/luoshi.v1.ProblemService/AssignProblem"
#define M_NOTE "/luoshi.v1.ProblemService/AddProblemNote"
#define M_RESOLVE "/luoshi.v1.ProblemService/ResolveProblem"
#define M_REOPEN "/luoshi.v1.ProblemService/ReopenProblem"
#define M_ESCALATE "/luoshi.v1.ProblemService/EscalateProblem"
#define M_LIST "/luoshi.v1.ProblemService/ListProblems"
#define M_GET "/luoshi.v1.ProblemService/GetProblem"
#define M_STATS "/luoshi.v1.ProblemService/ProblemStats"
#define M_CREATE_UNIT "/luoshi.v1.RegistryService/CreateUnit"
#define M_UPDATE_UNIT "/luoshi.v1.RegistryService/UpdateUnit"
#define M_GET_UNIT "/luoshi.v1.RegistryService/GetUnit"
#define M_ASSIGNMENTS "/luoshi.v1.ScheduleService/GetAssignments"

/* A due date every run of these tests lies before. */
#define FUTURE "2030-06-30"

/* The office (1, from init) with two towns, two departments and the four
 * support groups; 高新区 (10), a district office below it with a town and
 * no support group of its own; an inspection group and the discipline
 * commission; 北仑区 (14), a district outside the office's tree. 区住建局
 * contributes to P1; P4 is archived. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at, support_group) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01', NULL),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01', NULL),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01', NULL),"
    " (5, 'ZJJ', '区住建局', 'department', 1, '2026-01-01', NULL),"
    " (6, 'ZHXT', '综合协调组', 'support_group', 1, '2026-01-01', 'coordination'),"
    " (7, 'SPFW', '审批服务组', 'support_group', 1, '2026-01-01', 'approval'),"
    " (8, 'ZJBZ', '资金保障组', 'support_group', 1, '2026-01-01', 'funding'),"
    " (9, 'ZQQL', '征迁清零组', 'support_group', 1, '2026-01-01', 'clearance'),"
    " (10, 'GX', '高新区', 'district', 1, '2026-01-01', NULL),"
    " (11, 'GXJD', '高新街道', 'town', 10, '2026-01-01', NULL),"
    " (12, 'DC1', '第一督查组', 'inspection_group', 1, '2026-01-01', NULL),"
    " (13, 'JW', '区纪委', 'discipline', 1, '2026-01-01', NULL),"
    " (14, 'BL', '北仑区', 'district', NULL, '2026-01-01', NULL),"
    " (15, 'DQ', '大碶街道', 'town', 14, '2026-01-01', NULL);"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', 1, '2026-01-01'),"
    " (2, 'L02', '李副区长', 1, '2026-01-01'),"
    " (3, 'L03', '王主任', 10, '2026-01-01'),"
    " (4, 'L09', '北仑区长', 14, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " archived, created_at) VALUES"
    " (1, 'P1', '中车产业基地', 'district', 'industrial', 'continuing', 1, 4, 2, 450000,"
    "  'weekly', '2025-03-01', '2028-12-31', 0, '2026-01-01'),"
    " (2, 'P2', '美康智能健康产业中心', 'district', 'livelihood', 'new', 2, 4, 3, 50000,"
    "  'weekly', '2026-01-05', '2027-06-30', 0, '2026-01-01'),"
    " (3, 'P3', '高新科创园', 'district', 'platform', 'new', 3, 10, 11, 80000,"
    "  'weekly', '2026-01-01', '2027-12-31', 0, '2026-01-01'),"
    " (4, 'P4', '已归档项目', 'town', 'livelihood', 'new', 1, 4, 2, 100,"
    "  'weekly', '2025-01-01', '2025-12-31', 1, '2026-01-01'),"
    " (5, 'P8', '北仑港区项目', 'district', 'infrastructure', 'new', 4, 14, 15, 1000,"
    "  'weekly', '2026-01-01', '2026-12-31', 0, '2026-01-01');"
    "INSERT INTO project_units(project_id, unit_id) VALUES (1, 5);";

/* The accounts: the admin `init` made (id 1), then one each, ids 2.. in
 * this order. */
enum who {
	W_ADMIN,
	W_L01,  /* leads P1, P4 */
	W_L02,  /* leads P2 */
	W_WX,   /* town of P1 */
	W_XY,   /* town of P2 */
	W_FGJ,  /* leads P1, P2 */
	W_ZJJ,  /* contributes to P1 */
	W_ZHXT, /* the coordination group */
	W_ZQQL, /* the clearance group */
	W_INSPECTOR,
	W_DISCIPLINE,
	W_VIEWER,
	W_ADMIN_BL, /* another district's admin */
	W_COUNT
};

static const struct {
	const char *token, *name, *role;
	int unit, person;
} who_is[W_COUNT] = {
    [W_ADMIN] = {NULL, "admin", "admin", 1, 0},
    [W_L01] = {"ls_pt_l01", "张区长", "leader", 1, 1},
    [W_L02] = {"ls_pt_l02", "李副区长", "leader", 1, 2},
    [W_WX] = {"ls_pt_wx", "五乡镇 clerk", "town", 2, 0},
    [W_XY] = {"ls_pt_xy", "下应街道 clerk", "town", 3, 0},
    [W_FGJ] = {"ls_pt_fgj", "发改局 clerk", "department", 4, 0},
    [W_ZJJ] = {"ls_pt_zjj", "住建局 clerk", "department", 5, 0},
    [W_ZHXT] = {"ls_pt_zhxt", "综合协调组 clerk", "department", 6, 0},
    [W_ZQQL] = {"ls_pt_zqql", "征迁清零组 clerk", "department", 9, 0},
    [W_INSPECTOR] = {"ls_pt_dc1", "督查一组", "inspector", 12, 0},
    [W_DISCIPLINE] = {"ls_pt_jw", "区纪委", "discipline", 13, 0},
    [W_VIEWER] = {"ls_pt_viewer", "viewer", "viewer", 1, 0},
    [W_ADMIN_BL] = {"ls_pt_admin_bl", "北仑 admin", "admin", 14, 0},
};

static const char *token_of(const e2e_server *s, enum who w)
{
	return w == W_ADMIN ? s->admin_token : who_is[w].token;
}

/* ---- the database ---------------------------------------------------------------- */

/* Runs sql, which may give rows their ids. */
static void db_exec(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, sql);
	e2e_db_ids_given(db);
	e2e_db_close(db);
}

static int64_t db_int(const e2e_server *s, const char *sql, const char *p1)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, p1, NULL);
	e2e_db_close(db);
	return n;
}

/* Every row a problem write leaves. */
static int64_t written(const e2e_server *s)
{
	return db_int(s,
	              "SELECT (SELECT count(*) FROM problems) + (SELECT count(*) FROM "
	              "problem_events) + (SELECT count(*) FROM audit_log) + (SELECT "
	              "count(*) FROM problems WHERE status = 'resolved') + (SELECT count(*) "
	              "FROM problems WHERE escalated = 1) + (SELECT count(*) FROM problems "
	              "WHERE assignee_unit_id IS NOT NULL OR assignee_person_id IS NOT NULL)",
	              NULL);
}

static void load_fixture(const e2e_server *s)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, FIXTURE);
	srv_q *q = e2e_db_prepare(db, "INSERT INTO accounts(id, name, role, unit_id, "
	                              "token_hash, created_at, created_by, person_id) "
	                              "VALUES (?1, ?2, ?3, ?4, ?5, "
	                              "'2026-01-01T00:00:00+08:00', 1, ?6)");
	for (int w = W_ADMIN + 1; w < W_COUNT; w++) {
		/* Stored as the server stores tokens: their BLAKE2b-256. */
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
	e2e_db_close(db);
}

static int setup(void **state)
{
	e2e_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -1;
	if (e2e_server_init(s) != 0)
		goto fail;
	load_fixture(s);
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(s, extra) != 0)
		goto fail;
	*state = s;
	return 0;
fail:
	e2e_server_cleanup(s);
	free(s);
	return -1;
}

static int teardown(void **state)
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

/* ---- calling ------------------------------------------------------------------------ */

/* Calls method as w. Returns the code; *resp (resp may be NULL) is the
 * response on OK, else NULL. */
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

static ProtobufCMessage *rpc_ok(const e2e_server *s, enum who w, const char *method,
                                const ProtobufCMessage *req)
{
	ProtobufCMessage *m;
	ls_status st;
	int rc = rpc(s, w, method, req, &m, &st);
	if (rc != LS_OK)
		fail_msg("%s as %s: %s %s: %s", method, who_is[w].name, ls_code_name(rc), st.field,
		         st.message);
	return m;
}

/* Expects code naming field (NULL: any), and nothing written. */
static void rpc_fails(const e2e_server *s, enum who w, const char *method,
                      const ProtobufCMessage *req, int code, const char *field)
{
	int64_t before = written(s);
	ls_status st;
	int rc = rpc(s, w, method, req, NULL, &st);
	if (rc != code || (field != NULL && strcmp(st.field, field) != 0))
		fail_msg("%s as %s: expected %s on '%s', got %s on '%s': %s", method,
		         who_is[w].name, ls_code_name(code), field ? field : "*", ls_code_name(rc),
		         st.field, st.message);
	assert_int_equal(written(s), before);
}

/* The problem a write answers with (every write's response has it as
 * its field 1). Owned by resp. */
static const Luoshi__V1__Problem *problem_of(const ProtobufCMessage *resp)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(resp->descriptor, "problem");
	assert_non_null(f);
	const Luoshi__V1__Problem *p =
	    *(const Luoshi__V1__Problem *const *)(const void *)((const char *)resp + f->offset);
	assert_non_null(p);
	return p;
}

static Luoshi__V1__RaiseProblemRequest raise_req(const char *project, const char *title, int group,
                                                 const char *due)
{
	Luoshi__V1__RaiseProblemRequest r = LUOSHI__V1__RAISE_PROBLEM_REQUEST__INIT;
	r.project = (char *)project;
	r.title = (char *)title;
	r.has_group = group != 0;
	r.group = (Luoshi__V1__ProblemGroup)group;
	r.due_date = (char *)due;
	return r;
}

/* Raises as w and returns the new problem's id. */
static int64_t raise_ok(const e2e_server *s, enum who w, const char *project, const char *title,
                        int group)
{
	Luoshi__V1__RaiseProblemRequest r = raise_req(project, title, group, FUTURE);
	ProtobufCMessage *m = rpc_ok(s, w, M_RAISE, &r.base);
	int64_t id = problem_of(m)->id;
	protobuf_c_message_free_unpacked(m, NULL);
	return id;
}

/* The writes but raising, each as one request of its own type. */
enum write { WR_ASSIGN, WR_NOTE, WR_RESOLVE, WR_REOPEN, WR_ESCALATE };

static const char *const write_method[] = {
    [WR_ASSIGN] = M_ASSIGN, [WR_NOTE] = M_NOTE,         [WR_RESOLVE] = M_RESOLVE,
    [WR_REOPEN] = M_REOPEN, [WR_ESCALATE] = M_ESCALATE,
};

/* Any of the write requests, built for problem id: assign to unit (or
 * person when unit is NULL), and the texts. */
typedef union write_req {
	ProtobufCMessage base;
	Luoshi__V1__AssignProblemRequest assign;
	Luoshi__V1__AddProblemNoteRequest note;
	Luoshi__V1__ResolveProblemRequest resolve;
	Luoshi__V1__ReopenProblemRequest reopen;
	Luoshi__V1__EscalateProblemRequest escalate;
} write_req;

static write_req make_write(enum write w, int64_t id, const char *unit, const char *person,
                            const char *text)
{
	write_req r;
	switch (w) {
	case WR_ASSIGN:
		luoshi__v1__assign_problem_request__init(&r.assign);
		r.assign.has_id = true;
		r.assign.id = id;
		r.assign.unit = (char *)unit;
		r.assign.person = (char *)person;
		break;
	case WR_NOTE:
		luoshi__v1__add_problem_note_request__init(&r.note);
		r.note.has_id = true;
		r.note.id = id;
		r.note.text = (char *)text;
		break;
	case WR_RESOLVE:
		luoshi__v1__resolve_problem_request__init(&r.resolve);
		r.resolve.has_id = true;
		r.resolve.id = id;
		r.resolve.resolution = (char *)text;
		break;
	case WR_REOPEN:
		luoshi__v1__reopen_problem_request__init(&r.reopen);
		r.reopen.has_id = true;
		r.reopen.id = id;
		r.reopen.reason = (char *)text;
		break;
	case WR_ESCALATE:
		luoshi__v1__escalate_problem_request__init(&r.escalate);
		r.escalate.has_id = true;
		r.escalate.id = id;
		r.escalate.reason = (char *)text;
		break;
	}
	return r;
}

/* Does write w as who, expecting OK; returns the response. */
static ProtobufCMessage *write_ok(const e2e_server *s, enum who who, enum write w, int64_t id,
                                  const char *unit, const char *person, const char *text)
{
	write_req r = make_write(w, id, unit, person, text);
	return rpc_ok(s, who, write_method[w], &r.base);
}

static void write_fails(const e2e_server *s, enum who who, enum write w, int64_t id,
                        const char *unit, const char *person, const char *text, int code,
                        const char *field)
{
	write_req r = make_write(w, id, unit, person, text);
	rpc_fails(s, who, write_method[w], &r.base, code, field);
}

static Luoshi__V1__GetProblemResponse *get_problem(const e2e_server *s, enum who w, int64_t id)
{
	Luoshi__V1__GetProblemRequest req = LUOSHI__V1__GET_PROBLEM_REQUEST__INIT;
	req.has_id = true;
	req.id = id;
	return (Luoshi__V1__GetProblemResponse *)rpc_ok(s, w, M_GET, &req.base);
}

/* ---- routing -------------------------------------------------------------------------- */

static void test_routing(void **state)
{
	e2e_server *s = *state;
	static const struct {
		int group;
		const char *code;
		int unit;
	} routes[] = {
	    {LUOSHI__V1__PROBLEM_GROUP__GROUP_COORDINATION, "ZHXT", 6},
	    {LUOSHI__V1__PROBLEM_GROUP__GROUP_APPROVAL, "SPFW", 7},
	    {LUOSHI__V1__PROBLEM_GROUP__GROUP_FUNDING, "ZJBZ", 8},
	    {LUOSHI__V1__PROBLEM_GROUP__GROUP_CLEARANCE, "ZQQL", 9},
	    {LUOSHI__V1__PROBLEM_GROUP__GROUP_OTHER, "office", 1},
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		Luoshi__V1__RaiseProblemRequest r =
		    raise_req("P1", "施工许可迟迟未批", routes[i].group, FUTURE);
		ProtobufCMessage *m = rpc_ok(s, W_ADMIN, M_RAISE, &r.base);
		const Luoshi__V1__Problem *p = problem_of(m);
		assert_int_equal(p->id, (int64_t)i + 1);
		assert_string_equal(p->routed_unit_code, routes[i].code);
		assert_int_equal(p->group, routes[i].group);
		assert_int_equal(p->status, LUOSHI__V1__PROBLEM_STATUS__PROBLEM_OPEN);
		assert_false(p->escalated);
		protobuf_c_message_free_unpacked(m, NULL);
		char sql[160];
		snprintf(sql, sizeof sql,
		         "SELECT routed_unit_id * 100 + office_id FROM problems WHERE id = %zu",
		         i + 1);
		assert_int_equal(db_int(s, sql, NULL), routes[i].unit * 100 + 1);
	}
	assert_int_equal(db_int(s, "SELECT count(*) FROM problems", NULL), 5);

	/* 高新区's projects go to 高新区's own groups, and it has none: the
	 * office's groups above it are not its. */
	Luoshi__V1__RaiseProblemRequest gx =
	    raise_req("P3", "资金缺口", LUOSHI__V1__PROBLEM_GROUP__GROUP_FUNDING, FUTURE);
	ls_status st;
	int64_t before = written(s);
	assert_int_equal(rpc(s, W_ADMIN, M_RAISE, &gx.base, NULL, &st), LS_FAILED_PRECONDITION);
	assert_string_equal(st.field, "group");
	assert_non_null(strstr(st.message, "funding"));
	assert_non_null(strstr(st.message, "GX"));
	assert_int_equal(written(s), before);
	/* "other" goes to 高新区 itself. */
	gx.group = LUOSHI__V1__PROBLEM_GROUP__GROUP_OTHER;
	ProtobufCMessage *m = rpc_ok(s, W_ADMIN, M_RAISE, &gx.base);
	assert_string_equal(problem_of(m)->routed_unit_code, "GX");
	protobuf_c_message_free_unpacked(m, NULL);

	/* Once 高新区 has a funding group, funding problems go there. */
	Luoshi__V1__CreateUnitRequest cu = LUOSHI__V1__CREATE_UNIT_REQUEST__INIT;
	cu.code = (char *)"GXZJ";
	cu.name = (char *)"高新区资金保障组";
	cu.has_kind = true;
	cu.kind = LUOSHI__V1__UNIT_KIND__UNIT_SUPPORT_GROUP;
	cu.parent = (char *)"GX";
	cu.support_group = (char *)"funding";
	m = rpc_ok(s, W_ADMIN, M_CREATE_UNIT, &cu.base);
	assert_string_equal(((Luoshi__V1__CreateUnitResponse *)m)->unit->support_group, "funding");
	protobuf_c_message_free_unpacked(m, NULL);
	gx.group = LUOSHI__V1__PROBLEM_GROUP__GROUP_FUNDING;
	m = rpc_ok(s, W_ADMIN, M_RAISE, &gx.base);
	assert_string_equal(problem_of(m)->routed_unit_code, "GXZJ");
	assert_int_equal(db_int(s,
	                        "SELECT office_id FROM problems WHERE id = (SELECT max(id) FROM "
	                        "problems)",
	                        NULL),
	                 10);
	protobuf_c_message_free_unpacked(m, NULL);

	/* A deactivated group takes no more problems. */
	db_exec(s, "UPDATE units SET active = 0 WHERE code = 'ZJBZ'");
	Luoshi__V1__RaiseProblemRequest p1 =
	    raise_req("P1", "贷款未到位", LUOSHI__V1__PROBLEM_GROUP__GROUP_FUNDING, FUTURE);
	rpc_fails(s, W_ADMIN, M_RAISE, &p1.base, LS_FAILED_PRECONDITION, "group");
}

/* ---- support groups in the registry ----------------------------------------------------- */

static void test_support_group_registry(void **state)
{
	e2e_server *s = *state;
	int64_t units = db_int(s, "SELECT count(*) FROM units", NULL);
	Luoshi__V1__CreateUnitRequest cu = LUOSHI__V1__CREATE_UNIT_REQUEST__INIT;
	cu.code = (char *)"ZJBZ2";
	cu.name = (char *)"第二资金保障组";
	cu.has_kind = true;
	cu.kind = LUOSHI__V1__UNIT_KIND__UNIT_SUPPORT_GROUP;
	cu.support_group = (char *)"funding";
	/* One funding group per office area. */
	rpc_fails(s, W_ADMIN, M_CREATE_UNIT, &cu.base, LS_ALREADY_EXISTS, "support_group");
	cu.support_group = (char *)"bogus";
	rpc_fails(s, W_ADMIN, M_CREATE_UNIT, &cu.base, LS_INVALID_ARGUMENT, "support_group");
	cu.support_group = (char *)"funding";
	cu.kind = LUOSHI__V1__UNIT_KIND__UNIT_DEPARTMENT;
	rpc_fails(s, W_ADMIN, M_CREATE_UNIT, &cu.base, LS_INVALID_ARGUMENT, "support_group");
	/* A support group without a group is still a unit. */
	cu.kind = LUOSHI__V1__UNIT_KIND__UNIT_SUPPORT_GROUP;
	cu.support_group = NULL;
	ProtobufCMessage *m = rpc_ok(s, W_ADMIN, M_CREATE_UNIT, &cu.base);
	assert_null(((Luoshi__V1__CreateUnitResponse *)m)->unit->support_group);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(db_int(s, "SELECT count(*) FROM units", NULL), units + 1);

	Luoshi__V1__UpdateUnitRequest uu = LUOSHI__V1__UPDATE_UNIT_REQUEST__INIT;
	uu.unit = (char *)"ZQQL";
	uu.support_group = (char *)"funding";
	rpc_fails(s, W_ADMIN, M_UPDATE_UNIT, &uu.base, LS_ALREADY_EXISTS, "support_group");
	uu.unit = (char *)"FGJ";
	uu.support_group = (char *)"approval";
	rpc_fails(s, W_ADMIN, M_UPDATE_UNIT, &uu.base, LS_INVALID_ARGUMENT, "support_group");
	uu.unit = (char *)"ZQQL";
	uu.support_group = (char *)"clearance";
	rpc_fails(s, W_WX, M_UPDATE_UNIT, &uu.base, LS_PERMISSION_DENIED, NULL);

	/* Cleared: clearance problems have nowhere to go. */
	uu.support_group = (char *)"";
	int64_t audits = db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'unit'", NULL);
	m = rpc_ok(s, W_ADMIN, M_UPDATE_UNIT, &uu.base);
	assert_null(((Luoshi__V1__UpdateUnitResponse *)m)->unit->support_group);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM units WHERE code = 'ZQQL' AND "
	                        "support_group IS NULL",
	                        NULL),
	                 1);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'unit'", NULL),
	                 audits + 1);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM audit_log WHERE entity = 'unit' AND "
	                        "entity_id = 9 AND instr(before, '\"supportGroup\":\"clearance\"') "
	                        "> 0 AND instr(after, 'supportGroup') = 0",
	                        NULL),
	                 1);
	Luoshi__V1__RaiseProblemRequest r =
	    raise_req("P1", "拆迁户未签约", LUOSHI__V1__PROBLEM_GROUP__GROUP_CLEARANCE, FUTURE);
	rpc_fails(s, W_WX, M_RAISE, &r.base, LS_FAILED_PRECONDITION, "group");
	/* The new group without one may now take it. */
	uu.unit = (char *)"ZJBZ2";
	uu.support_group = (char *)"clearance";
	m = rpc_ok(s, W_ADMIN, M_UPDATE_UNIT, &uu.base);
	protobuf_c_message_free_unpacked(m, NULL);
	m = rpc_ok(s, W_WX, M_RAISE, &r.base);
	assert_string_equal(problem_of(m)->routed_unit_code, "ZJBZ2");
	protobuf_c_message_free_unpacked(m, NULL);

	/* GetUnit shows the group; a kind other than support group drops it. */
	Luoshi__V1__GetUnitRequest gu = LUOSHI__V1__GET_UNIT_REQUEST__INIT;
	gu.unit = (char *)"SPFW";
	m = rpc_ok(s, W_WX, M_GET_UNIT, &gu.base);
	assert_string_equal(((Luoshi__V1__GetUnitResponse *)m)->unit->support_group, "approval");
	protobuf_c_message_free_unpacked(m, NULL);
	Luoshi__V1__UpdateUnitRequest kind = LUOSHI__V1__UPDATE_UNIT_REQUEST__INIT;
	kind.unit = (char *)"SPFW";
	kind.has_kind = true;
	kind.kind = LUOSHI__V1__UNIT_KIND__UNIT_DEPARTMENT;
	m = rpc_ok(s, W_ADMIN, M_UPDATE_UNIT, &kind.base);
	assert_null(((Luoshi__V1__UpdateUnitResponse *)m)->unit->support_group);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(
	    db_int(s, "SELECT count(*) FROM units WHERE code = 'SPFW' AND support_group IS NULL",
	           NULL),
	    1);
}

/* ---- the life cycle ------------------------------------------------------------------------ */

static void test_lifecycle(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__RaiseProblemRequest r = raise_req(
	    "中车产业基地", "用地指标未落实", LUOSHI__V1__PROBLEM_GROUP__GROUP_CLEARANCE, FUTURE);
	r.detail = (char *)"涉及 12 户拆迁，\n其中 3 户未签约";
	ProtobufCMessage *m = rpc_ok(s, W_WX, M_RAISE, &r.base);
	const Luoshi__V1__Problem *p = problem_of(m);
	int64_t id = p->id;
	assert_int_equal(id, 1);
	assert_string_equal(p->project_code, "P1");
	assert_string_equal(p->project_name, "中车产业基地");
	assert_string_equal(p->title, "用地指标未落实");
	assert_string_equal(p->detail, "涉及 12 户拆迁，\n其中 3 户未签约");
	assert_string_equal(p->routed_unit_code, "ZQQL");
	assert_string_equal(p->routed_unit_name, "征迁清零组");
	assert_string_equal(p->due_date, FUTURE);
	assert_true(p->has_days_left && p->days_left > 0);
	assert_string_equal(p->raised_by, "五乡镇 clerk");
	assert_string_equal(p->raised_by_unit_code, "WX");
	assert_string_equal(p->lead_leader_code, "L01");
	assert_string_equal(p->town_code, "WX");
	assert_null(p->assignee_unit_code);
	assert_null(p->resolved_at);
	protobuf_c_message_free_unpacked(m, NULL);

	m = write_ok(s, W_ZQQL, WR_NOTE, id, NULL, NULL, "已约谈业主");
	protobuf_c_message_free_unpacked(m, NULL);
	/* The lead leader hands it to another leader as a personal case. */
	m = write_ok(s, W_L01, WR_ASSIGN, id, NULL, "李副区长", NULL);
	p = problem_of(m);
	assert_string_equal(p->assignee_person_code, "L02");
	assert_string_equal(p->assignee_person_name, "李副区长");
	assert_null(p->assignee_unit_code);
	protobuf_c_message_free_unpacked(m, NULL);
	m = write_ok(s, W_L02, WR_RESOLVE, id, NULL, NULL, "已完成拆迁");
	p = problem_of(m);
	assert_int_equal(p->status, LUOSHI__V1__PROBLEM_STATUS__PROBLEM_RESOLVED);
	assert_string_equal(p->resolution, "已完成拆迁");
	assert_non_null(p->resolved_at);
	assert_false(p->has_days_left);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM problems WHERE status = 'resolved' AND "
	                        "resolved_on = substr(resolved_at, 1, 10)",
	                        NULL),
	                 1);

	/* A resolved problem is not resolved, escalated or assigned again. */
	write_fails(s, W_L02, WR_RESOLVE, id, NULL, NULL, "再次销号", LS_FAILED_PRECONDITION, "id");
	write_fails(s, W_ADMIN, WR_ESCALATE, id, NULL, NULL, "上报", LS_FAILED_PRECONDITION, "id");
	write_fails(s, W_ADMIN, WR_ASSIGN, id, "ZJJ", NULL, NULL, LS_FAILED_PRECONDITION, "id");

	m = write_ok(s, W_WX, WR_REOPEN, id, NULL, NULL, "复查发现仍有 1 户未搬迁");
	p = problem_of(m);
	assert_int_equal(p->status, LUOSHI__V1__PROBLEM_STATUS__PROBLEM_OPEN);
	assert_null(p->resolution);
	assert_null(p->resolved_at);
	protobuf_c_message_free_unpacked(m, NULL);
	write_fails(s, W_WX, WR_REOPEN, id, NULL, NULL, "again", LS_FAILED_PRECONDITION, "id");

	m = write_ok(s, W_ADMIN, WR_ESCALATE, id, NULL, NULL, "需要区领导协调");
	p = problem_of(m);
	assert_true(p->escalated);
	assert_string_equal(p->office_code, "office");
	protobuf_c_message_free_unpacked(m, NULL);
	write_fails(s, W_ADMIN, WR_ESCALATE, id, NULL, NULL, "again", LS_FAILED_PRECONDITION, "id");

	/* The group hands it to a unit: the person's case ends. */
	m = write_ok(s, W_ZQQL, WR_ASSIGN, id, "区住建局", NULL, NULL);
	p = problem_of(m);
	assert_string_equal(p->assignee_unit_code, "ZJJ");
	assert_null(p->assignee_person_code);
	protobuf_c_message_free_unpacked(m, NULL);
	m = write_ok(s, W_ZJJ, WR_RESOLVE, id, NULL, NULL, "住建局完成安置");
	protobuf_c_message_free_unpacked(m, NULL);

	/* The whole history, oldest first, as the raising town reads it. */
	Luoshi__V1__GetProblemResponse *g = get_problem(s, W_WX, id);
	static const struct {
		const char *kind, *account, *text;
	} want[] = {
	    {"raised", "五乡镇 clerk", "unit:ZQQL 征迁清零组"},
	    {"note", "征迁清零组 clerk", "已约谈业主"},
	    {"assigned", "张区长", "person:L02 李副区长"},
	    {"resolved", "李副区长", "已完成拆迁"},
	    {"reopened", "五乡镇 clerk", "复查发现仍有 1 户未搬迁"},
	    {"escalated", "admin", "需要区领导协调"},
	    {"assigned", "征迁清零组 clerk", "unit:ZJJ 区住建局"},
	    {"resolved", "住建局 clerk", "住建局完成安置"},
	};
	assert_int_equal(g->n_history, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < g->n_history; i++) {
		assert_string_equal(g->history[i]->kind, want[i].kind);
		assert_string_equal(g->history[i]->account_name, want[i].account);
		assert_string_equal(g->history[i]->text, want[i].text);
		assert_non_null(g->history[i]->at);
	}
	assert_int_equal(g->problem->status, LUOSHI__V1__PROBLEM_STATUS__PROBLEM_RESOLVED);
	assert_true(g->problem->escalated);
	protobuf_c_message_free_unpacked(&g->base, NULL);
	assert_int_equal(
	    db_int(s, "SELECT count(*) FROM problem_events WHERE problem_id = 1", NULL), 8);

	/* One audit row per write, each about the problem and its project,
	 * from the right method. */
	assert_int_equal(db_int(s,
	                        "SELECT count(*) FROM audit_log WHERE entity = 'problem' AND "
	                        "entity_id = 1 AND project_id = 1",
	                        NULL),
	                 8);
	static const char *const methods[] = {"RaiseProblem",   "AddProblemNote", "AssignProblem",
	                                      "ResolveProblem", "ReopenProblem",  "EscalateProblem",
	                                      "AssignProblem",  "ResolveProblem"};
	e2e_db *db = e2e_db_connect(s);
	srv_q *q = e2e_db_prepare(db, "SELECT method, before IS NULL, after FROM audit_log "
	                              "WHERE entity = 'problem' ORDER BY id");
	for (size_t i = 0; i < 8; i++) {
		e2e_db_step(q, SRV_ROW);
		char want_method[80];
		snprintf(want_method, sizeof want_method, "/luoshi.v1.ProblemService/%s",
		         methods[i]);
		assert_string_equal(srv_col_text(q, 0), want_method);
		/* A raise and a note have nothing before. */
		assert_int_equal(srv_col_int(q, 1), i == 0 || i == 1);
		const char *after = srv_col_text(q, 2);
		if (i == 1)
			assert_non_null(strstr(after, "已约谈业主"));
		if (i == 3)
			assert_non_null(strstr(after, "PROBLEM_RESOLVED"));
		if (i == 5)
			assert_non_null(strstr(after, "\"escalated\":true"));
	}
	e2e_db_step(q, SRV_DONE);
	e2e_db_finalize(q);
	e2e_db_close(db);
}

/* ---- who may do what -------------------------------------------------------------------- */

/* A new open problem of P1 raised by 五乡镇, routed to 征迁清零组. */
static int64_t fresh(const e2e_server *s)
{
	return raise_ok(s, W_WX, "P1", "拆迁户未签约", LUOSHI__V1__PROBLEM_GROUP__GROUP_CLEARANCE);
}

/* The same, resolved by the admin. */
static int64_t fresh_resolved(const e2e_server *s)
{
	int64_t id = fresh(s);
	ProtobufCMessage *m = write_ok(s, W_ADMIN, WR_RESOLVE, id, NULL, NULL, "已解决");
	protobuf_c_message_free_unpacked(m, NULL);
	return id;
}

static void test_rights(void **state)
{
	e2e_server *s = *state;
	/* Raising on P1: its admin, lead leader, town, lead unit and
	 * contributing unit. */
	static const enum who may_raise[] = {W_ADMIN, W_L01, W_WX, W_FGJ, W_ZJJ};
	static const enum who no_raise[] = {W_L02,       W_XY,         W_ZHXT,   W_ZQQL,
	                                    W_INSPECTOR, W_DISCIPLINE, W_VIEWER, W_ADMIN_BL};
	for (size_t i = 0; i < sizeof may_raise / sizeof may_raise[0]; i++) {
		int64_t before = db_int(s, "SELECT count(*) FROM problems", NULL);
		raise_ok(s, may_raise[i], "P1", "审批材料不全",
		         LUOSHI__V1__PROBLEM_GROUP__GROUP_APPROVAL);
		assert_int_equal(db_int(s, "SELECT count(*) FROM problems", NULL), before + 1);
	}
	Luoshi__V1__RaiseProblemRequest r =
	    raise_req("P1", "审批材料不全", LUOSHI__V1__PROBLEM_GROUP__GROUP_APPROVAL, FUTURE);
	for (size_t i = 0; i < sizeof no_raise / sizeof no_raise[0]; i++)
		rpc_fails(s, no_raise[i], M_RAISE, &r.base, LS_PERMISSION_DENIED, NULL);

	/* The other writes, role by role, on a problem 五乡镇 raised (routed to
	 * 征迁清零组). */
	static const struct {
		enum write w;
		bool resolved; /* the write needs a resolved problem */
		const char *unit, *text;
		enum who may[5];
		size_t n_may;
		enum who may_not[11];
		size_t n_may_not;
	} matrix[] = {
	    {WR_ASSIGN,
	     false,
	     "ZJJ",
	     NULL,
	     {W_ADMIN, W_L01, W_ZQQL},
	     3,
	     {W_L02, W_WX, W_XY, W_FGJ, W_ZJJ, W_ZHXT, W_INSPECTOR, W_DISCIPLINE, W_VIEWER,
	      W_ADMIN_BL},
	     10},
	    {WR_NOTE,
	     false,
	     NULL,
	     "已现场查看",
	     {W_ADMIN, W_L01, W_WX, W_ZQQL},
	     4,
	     {W_L02, W_XY, W_FGJ, W_ZJJ, W_ZHXT, W_INSPECTOR, W_DISCIPLINE, W_VIEWER, W_ADMIN_BL},
	     9},
	    {WR_RESOLVE,
	     false,
	     NULL,
	     "已解决",
	     {W_ADMIN, W_L01, W_ZQQL},
	     3,
	     {W_L02, W_WX, W_XY, W_FGJ, W_ZJJ, W_ZHXT, W_INSPECTOR, W_DISCIPLINE, W_VIEWER,
	      W_ADMIN_BL},
	     10},
	    {WR_REOPEN,
	     true,
	     NULL,
	     "未解决",
	     {W_ADMIN, W_WX},
	     2,
	     {W_L01, W_L02, W_XY, W_FGJ, W_ZJJ, W_ZHXT, W_ZQQL, W_INSPECTOR, W_DISCIPLINE, W_VIEWER,
	      W_ADMIN_BL},
	     11},
	    {WR_ESCALATE,
	     false,
	     NULL,
	     "需要协调",
	     {W_ADMIN, W_L01, W_WX, W_ZQQL},
	     4,
	     {W_L02, W_XY, W_FGJ, W_ZJJ, W_ZHXT, W_INSPECTOR, W_DISCIPLINE, W_VIEWER, W_ADMIN_BL},
	     9},
	};
	for (size_t k = 0; k < sizeof matrix / sizeof matrix[0]; k++) {
		for (size_t i = 0; i < matrix[k].n_may; i++) {
			int64_t id = matrix[k].resolved ? fresh_resolved(s) : fresh(s);
			int64_t events = db_int(s, "SELECT count(*) FROM problem_events", NULL);
			int64_t audits = db_int(s, "SELECT count(*) FROM audit_log", NULL);
			ProtobufCMessage *m = write_ok(s, matrix[k].may[i], matrix[k].w, id,
			                               matrix[k].unit, NULL, matrix[k].text);
			protobuf_c_message_free_unpacked(m, NULL);
			assert_int_equal(db_int(s, "SELECT count(*) FROM problem_events", NULL),
			                 events + 1);
			assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log", NULL),
			                 audits + 1);
		}
		int64_t id = matrix[k].resolved ? fresh_resolved(s) : fresh(s);
		for (size_t i = 0; i < matrix[k].n_may_not; i++)
			write_fails(s, matrix[k].may_not[i], matrix[k].w, id, matrix[k].unit, NULL,
			            matrix[k].text, LS_PERMISSION_DENIED, NULL);
	}

	/* Any leader may take a problem as his own case, and only so. */
	int64_t id = fresh(s);
	write_fails(s, W_L02, WR_ASSIGN, id, NULL, "L01", NULL, LS_PERMISSION_DENIED, "person");
	ProtobufCMessage *m = write_ok(s, W_L02, WR_ASSIGN, id, NULL, "L02", NULL);
	assert_string_equal(problem_of(m)->assignee_person_code, "L02");
	protobuf_c_message_free_unpacked(m, NULL);
	/* His case now: he may note it, resolve it; 住建局 still may not. */
	m = write_ok(s, W_L02, WR_NOTE, id, NULL, NULL, "周末现场协调");
	protobuf_c_message_free_unpacked(m, NULL);
	write_fails(s, W_ZJJ, WR_RESOLVE, id, NULL, NULL, "x", LS_PERMISSION_DENIED, "id");
	m = write_ok(s, W_L02, WR_RESOLVE, id, NULL, NULL, "已协调解决");
	protobuf_c_message_free_unpacked(m, NULL);

	/* The assignee unit resolves what it was given. */
	id = fresh(s);
	m = write_ok(s, W_ZQQL, WR_ASSIGN, id, "ZJJ", NULL, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	m = write_ok(s, W_ZJJ, WR_RESOLVE, id, NULL, NULL, "已完成");
	protobuf_c_message_free_unpacked(m, NULL);

	/* An assignment stays within the problem's office area. */
	id = fresh(s);
	write_fails(s, W_ADMIN, WR_ASSIGN, id, "DQ", NULL, NULL, LS_INVALID_ARGUMENT, "unit");
	write_fails(s, W_ADMIN, WR_ASSIGN, id, NULL, "L09", NULL, LS_INVALID_ARGUMENT, "person");
}

/* ---- other towns and districts ----------------------------------------------------------- */

static void test_other_town(void **state)
{
	e2e_server *s = *state;
	int64_t id = fresh(s);
	/* 下应街道 on 五乡镇's project, by its code. */
	Luoshi__V1__RaiseProblemRequest r =
	    raise_req("P1", "越权提出", LUOSHI__V1__PROBLEM_GROUP__GROUP_OTHER, FUTURE);
	rpc_fails(s, W_XY, M_RAISE, &r.base, LS_PERMISSION_DENIED, "project");
	/* By its name it is not even found: names resolve among what one
	 * sees. */
	r.project = (char *)"中车产业基地";
	rpc_fails(s, W_XY, M_RAISE, &r.base, LS_INVALID_ARGUMENT, "project");
	/* Its problem: no write, and no read. */
	write_fails(s, W_XY, WR_NOTE, id, NULL, NULL, "x", LS_PERMISSION_DENIED, "id");
	write_fails(s, W_XY, WR_REOPEN, id, NULL, NULL, "x", LS_PERMISSION_DENIED, "id");
	Luoshi__V1__GetProblemRequest g = LUOSHI__V1__GET_PROBLEM_REQUEST__INIT;
	g.has_id = true;
	g.id = id;
	rpc_fails(s, W_XY, M_GET, &g.base, LS_NOT_FOUND, "id");
	Luoshi__V1__ListProblemsRequest l = LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	ProtobufCMessage *m = rpc_ok(s, W_XY, M_LIST, &l.base);
	assert_int_equal(((Luoshi__V1__ListProblemsResponse *)m)->n_problems, 0);
	protobuf_c_message_free_unpacked(m, NULL);
	/* The list filter naming it answers as for nothing. */
	l.project = (char *)"P8";
	rpc_fails(s, W_ADMIN, M_LIST, &l.base, LS_INVALID_ARGUMENT, "project");

	/* Another district's admin, and ours on the other district. */
	r.project = (char *)"P1";
	rpc_fails(s, W_ADMIN_BL, M_RAISE, &r.base, LS_PERMISSION_DENIED, "project");
	rpc_fails(s, W_ADMIN_BL, M_GET, &g.base, LS_NOT_FOUND, "id");
	r.project = (char *)"P8";
	rpc_fails(s, W_ADMIN, M_RAISE, &r.base, LS_PERMISSION_DENIED, "project");
	/* An archived project takes no new problem. */
	r.project = (char *)"P4";
	rpc_fails(s, W_ADMIN, M_RAISE, &r.base, LS_FAILED_PRECONDITION, "project");
	/* The viewer sees no problem row. */
	rpc_fails(s, W_VIEWER, M_GET, &g.base, LS_NOT_FOUND, "id");
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void test_bad_input(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__RaiseProblemRequest r;
	const int other = LUOSHI__V1__PROBLEM_GROUP__GROUP_OTHER;
#define RAISE_FAILS(field) rpc_fails(s, W_WX, M_RAISE, &r.base, LS_INVALID_ARGUMENT, field)
	r = raise_req("NOPE", "标题", other, FUTURE);
	RAISE_FAILS("project");
	r = raise_req(NULL, "标题", other, FUTURE);
	RAISE_FAILS("project");
	r = raise_req("P1", NULL, other, FUTURE);
	RAISE_FAILS("title");
	/* 66 Chinese characters (198 bytes) and "ab": 200 bytes pass, 201
	 * do not. */
	char title[256] = "";
	for (int i = 0; i < 66; i++)
		strcat(title, "问");
	strcat(title, "ab");
	assert_int_equal(strlen(title), 200);
	r = raise_req("P1", title, other, FUTURE);
	int64_t ok = raise_ok(s, W_WX, "P1", title, other);
	assert_int_equal(ok, 1);
	strcat(title, "c");
	r = raise_req("P1", title, other, FUTURE);
	RAISE_FAILS("title");
	r = raise_req("P1", "一行\n两行", other, FUTURE);
	RAISE_FAILS("title");
	char detail[2100];
	memset(detail, 'x', 2001);
	detail[2001] = '\0';
	r = raise_req("P1", "标题", other, FUTURE);
	r.detail = detail;
	RAISE_FAILS("detail");
	r = raise_req("P1", "标题", 0, FUTURE);
	RAISE_FAILS("group");
	r = raise_req("P1", "标题", 9, FUTURE);
	RAISE_FAILS("group");
	r = raise_req("P1", "标题", other, "2026-02-30");
	RAISE_FAILS("due_date");
	r = raise_req("P1", "标题", other, "next week");
	RAISE_FAILS("due_date");
	r = raise_req("P1", "标题", other, "2020-01-01");
	RAISE_FAILS("due_date");
#undef RAISE_FAILS
	assert_int_equal(db_int(s, "SELECT count(*) FROM problems", NULL), 1);

	/* The writes' own fields. */
	write_fails(s, W_ADMIN, WR_NOTE, 1, NULL, NULL, NULL, LS_INVALID_ARGUMENT, "text");
	write_fails(s, W_ADMIN, WR_NOTE, 1, NULL, NULL, detail, LS_INVALID_ARGUMENT, "text");
	write_fails(s, W_ADMIN, WR_RESOLVE, 1, NULL, NULL, "", LS_INVALID_ARGUMENT, "resolution");
	write_fails(s, W_ADMIN, WR_ESCALATE, 1, NULL, NULL, NULL, LS_INVALID_ARGUMENT, "reason");
	write_fails(s, W_ADMIN, WR_ASSIGN, 1, NULL, NULL, NULL, LS_INVALID_ARGUMENT, "unit");
	write_fails(s, W_ADMIN, WR_ASSIGN, 1, "ZJJ", "L01", NULL, LS_INVALID_ARGUMENT, "person");
	write_fails(s, W_ADMIN, WR_ASSIGN, 1, "没有这个单位", NULL, NULL, LS_INVALID_ARGUMENT,
	            "unit");
	write_fails(s, W_ADMIN, WR_ASSIGN, 1, NULL, "L99", NULL, LS_INVALID_ARGUMENT, "person");
	write_fails(s, W_ADMIN, WR_NOTE, 999, NULL, NULL, "x", LS_NOT_FOUND, "id");
	write_fails(s, W_ADMIN, WR_NOTE, 0, NULL, NULL, "x", LS_INVALID_ARGUMENT, "id");
	ProtobufCMessage *m = write_ok(s, W_ADMIN, WR_RESOLVE, 1, NULL, NULL, "ok");
	protobuf_c_message_free_unpacked(m, NULL);
	write_fails(s, W_ADMIN, WR_REOPEN, 1, NULL, NULL, NULL, LS_INVALID_ARGUMENT, "reason");

	Luoshi__V1__GetProblemRequest g = LUOSHI__V1__GET_PROBLEM_REQUEST__INIT;
	rpc_fails(s, W_ADMIN, M_GET, &g.base, LS_INVALID_ARGUMENT, "id");
	g.has_id = true;
	g.id = 999;
	rpc_fails(s, W_ADMIN, M_GET, &g.base, LS_NOT_FOUND, "id");

	Luoshi__V1__ListProblemsRequest l = LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	l.has_group = true;
	l.group = 9;
	rpc_fails(s, W_ADMIN, M_LIST, &l.base, LS_INVALID_ARGUMENT, "group");
	l = (Luoshi__V1__ListProblemsRequest)LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	l.leader = (char *)"L99";
	rpc_fails(s, W_ADMIN, M_LIST, &l.base, LS_INVALID_ARGUMENT, "leader");
	l.leader = NULL;
	l.town = (char *)"DQ";
	rpc_fails(s, W_ADMIN, M_LIST, &l.base, LS_INVALID_ARGUMENT, "town");
	l.town = NULL;
	l.as_of = (char *)"2026-13-01";
	rpc_fails(s, W_ADMIN, M_LIST, &l.base, LS_INVALID_ARGUMENT, "as_of");
	l.as_of = NULL;
	l.page_token = (char *)"abc";
	rpc_fails(s, W_ADMIN, M_LIST, &l.base, LS_INVALID_ARGUMENT, "page_token");
	Luoshi__V1__ProblemStatsRequest st = LUOSHI__V1__PROBLEM_STATS_REQUEST__INIT;
	st.as_of = (char *)"yesterday";
	rpc_fails(s, W_ADMIN, M_STATS, &st.base, LS_INVALID_ARGUMENT, "as_of");
}

/* ---- counts by hand ----------------------------------------------------------------------------
 */

/* Twelve problems with their days; as of 2026-10-31, eleven are raised (the
 * twelfth on 11-05) and nine resolved by then (7 only on 11-10):
 *   coordination 1-4: 4 raised, 3 resolved, 4 open and due 10-15: overdue
 *   approval 5-7: 3 raised, 2 resolved, 7 due 10-20: overdue
 *   funding: none
 *   clearance 8-10 (P2, 下应街道, led by L02): 3 raised, 3 resolved
 *   other 11: raised and resolved on 10-31
 * Problem 1 is L02's personal case. */
static const char STATS_FIXTURE[] =
    "INSERT INTO problems(id, project_id, title, grp, routed_unit_id, office_id, due_date,"
    " status, resolution, raised_by, raised_at, raised_on, resolved_at, resolved_on,"
    " assignee_person_id) VALUES"
    " (1, 1, 'c1', 'coordination', 6, 1, '2026-09-30', 'resolved', 'r', 4,"
    "  '2026-09-01T09:00:00+08:00', '2026-09-01', '2026-10-01T09:00:00+08:00', '2026-10-01', 2),"
    " (2, 1, 'c2', 'coordination', 6, 1, NULL, 'resolved', 'r', 4,"
    "  '2026-09-10T09:00:00+08:00', '2026-09-10', '2026-10-31T18:00:00+08:00', '2026-10-31',"
    "  NULL),"
    " (3, 1, 'c3', 'coordination', 6, 1, '2026-10-01', 'resolved', 'r', 4,"
    "  '2026-09-20T09:00:00+08:00', '2026-09-20', '2026-09-25T09:00:00+08:00', '2026-09-25',"
    "  NULL),"
    " (4, 1, 'c4', 'coordination', 6, 1, '2026-10-15', 'open', NULL, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL, NULL),"
    " (5, 1, 'a1', 'approval', 7, 1, NULL, 'resolved', 'r', 4,"
    "  '2026-08-01T09:00:00+08:00', '2026-08-01', '2026-08-20T09:00:00+08:00', '2026-08-20',"
    "  NULL),"
    " (6, 1, 'a2', 'approval', 7, 1, '2026-09-30', 'resolved', 'r', 4,"
    "  '2026-09-01T09:00:00+08:00', '2026-09-01', '2026-09-05T09:00:00+08:00', '2026-09-05',"
    "  NULL),"
    " (7, 1, 'a3', 'approval', 7, 1, '2026-10-20', 'resolved', 'r', 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', '2026-11-10T09:00:00+08:00', '2026-11-10',"
    "  NULL),"
    " (8, 2, 'k1', 'clearance', 9, 1, NULL, 'resolved', 'r', 5,"
    "  '2026-07-01T09:00:00+08:00', '2026-07-01', '2026-07-15T09:00:00+08:00', '2026-07-15',"
    "  NULL),"
    " (9, 2, 'k2', 'clearance', 9, 1, NULL, 'resolved', 'r', 5,"
    "  '2026-08-01T09:00:00+08:00', '2026-08-01', '2026-10-30T09:00:00+08:00', '2026-10-30',"
    "  NULL),"
    " (10, 2, 'k3', 'clearance', 9, 1, '2026-11-30', 'resolved', 'r', 5,"
    "  '2026-10-31T09:00:00+08:00', '2026-10-31', '2026-10-31T17:00:00+08:00', '2026-10-31',"
    "  NULL),"
    " (11, 1, 'o1', 'other', 1, 1, NULL, 'resolved', 'r', 4,"
    "  '2026-10-31T09:00:00+08:00', '2026-10-31', '2026-10-31T10:00:00+08:00', '2026-10-31',"
    "  NULL),"
    " (12, 1, 'x1', 'coordination', 6, 1, '2026-12-31', 'open', NULL, 4,"
    "  '2026-11-05T09:00:00+08:00', '2026-11-05', NULL, NULL, NULL);";

typedef struct counts {
	uint32_t raised, resolved, open, overdue;
	int rate; /* -1: absent */
} counts;

static void expect_counts(const char *what, const Luoshi__V1__ProblemCounts *k, counts want)
{
	int rate = k->has_rate_permille ? (int)k->rate_permille : -1;
	if (k->raised != want.raised || k->resolved != want.resolved || k->open != want.open ||
	    k->overdue != want.overdue || rate != want.rate)
		fail_msg("%s: %u raised, %u resolved, %u open, %u overdue, rate %d; want %u, %u, "
		         "%u, %u, %d",
		         what, k->raised, k->resolved, k->open, k->overdue, rate, want.raised,
		         want.resolved, want.open, want.overdue, want.rate);
}

/* ProblemStats as w, checked against five group rows and the overall. */
static void expect_stats(const e2e_server *s, enum who w, const char *as_of, const char *town,
                         const char *leader, const counts groups[5], counts overall)
{
	Luoshi__V1__ProblemStatsRequest req = LUOSHI__V1__PROBLEM_STATS_REQUEST__INIT;
	req.as_of = (char *)as_of;
	req.town = (char *)town;
	req.leader = (char *)leader;
	Luoshi__V1__ProblemStatsResponse *r =
	    (Luoshi__V1__ProblemStatsResponse *)rpc_ok(s, w, M_STATS, &req.base);
	assert_int_equal(r->n_groups, 5);
	for (size_t i = 0; i < 5; i++) {
		char what[80];
		snprintf(what, sizeof what, "%s %s group %zu", who_is[w].name, as_of, i + 1);
		assert_true(r->groups[i]->has_group);
		assert_int_equal(r->groups[i]->group, (int)i + 1);
		expect_counts(what, r->groups[i], groups[i]);
	}
	assert_non_null(r->overall);
	assert_false(r->overall->has_group);
	expect_counts("overall", r->overall, overall);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static const counts NONE = {0, 0, 0, 0, -1};

/* The ids a list gives, in order, as "1,2,3". */
static void list_ids(const e2e_server *s, enum who w, const Luoshi__V1__ListProblemsRequest *req,
                     const char *want, const char *next)
{
	Luoshi__V1__ListProblemsResponse *r =
	    (Luoshi__V1__ListProblemsResponse *)rpc_ok(s, w, M_LIST, &req->base);
	char got[256] = "";
	for (size_t i = 0; i < r->n_problems; i++) {
		size_t n = strlen(got);
		snprintf(got + n, sizeof got - n, "%s%" PRId64, i ? "," : "", r->problems[i]->id);
	}
	if (strcmp(got, want) != 0)
		fail_msg("list as %s: got %s, want %s", who_is[w].name, got, want);
	if (next == NULL)
		assert_null(r->next_page_token);
	else
		assert_string_equal(r->next_page_token, next);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_stats(void **state)
{
	e2e_server *s = *state;
	db_exec(s, STATS_FIXTURE);
	/* 9 of 11: 818.18‰, 818; 2 of 3: 666.67‰, 667 (half up, not cut). */
	const counts oct[5] = {
	    {4, 3, 1, 1, 750}, {3, 2, 1, 1, 667}, NONE, {3, 3, 0, 0, 1000}, {1, 1, 0, 0, 1000}};
	expect_stats(s, W_ADMIN, "2026-10-31", NULL, NULL, oct, (counts){11, 9, 2, 2, 818});
	/* Aggregates are a viewer's to read. */
	expect_stats(s, W_VIEWER, "2026-10-31", NULL, NULL, oct, (counts){11, 9, 2, 2, 818});
	/* A month on: 12 raised, the twelfth due 12-31 is not overdue, 7 is
	 * resolved: 10 of 12, 833.33‰. */
	const counts nov[5] = {
	    {5, 3, 2, 1, 600}, {3, 3, 0, 0, 1000}, NONE, {3, 3, 0, 0, 1000}, {1, 1, 0, 0, 1000}};
	expect_stats(s, W_ADMIN, "2026-11-30", NULL, NULL, nov, (counts){12, 10, 2, 1, 833});
	/* A day before everything: no rate at all. */
	const counts none[5] = {NONE, NONE, NONE, NONE, NONE};
	expect_stats(s, W_ADMIN, "2026-06-30", NULL, NULL, none, NONE);

	/* Filters: 下应街道's projects; L02's projects and his case 1. */
	const counts xy[5] = {NONE, NONE, NONE, {3, 3, 0, 0, 1000}, NONE};
	expect_stats(s, W_ADMIN, "2026-10-31", "XY", NULL, xy, (counts){3, 3, 0, 0, 1000});
	const counts l02[5] = {{1, 1, 0, 0, 1000}, NONE, NONE, {3, 3, 0, 0, 1000}, NONE};
	expect_stats(s, W_ADMIN, "2026-10-31", NULL, "李副区长", l02, (counts){4, 4, 0, 0, 1000});
	/* Scope: 五乡镇 counts P1's eight; 征迁清零组 what is routed to it. */
	const counts wx[5] = {{4, 3, 1, 1, 750}, {3, 2, 1, 1, 667}, NONE, NONE, {1, 1, 0, 0, 1000}};
	expect_stats(s, W_WX, "2026-10-31", NULL, NULL, wx, (counts){8, 6, 2, 2, 750});
	expect_stats(s, W_ZQQL, "2026-10-31", NULL, NULL, xy, (counts){3, 3, 0, 0, 1000});

	/* Lists: filters and pages. */
	Luoshi__V1__ListProblemsRequest l = LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	l.has_page_size = true;
	l.page_size = 5;
	list_ids(s, W_ADMIN, &l, "1,2,3,4,5", "5");
	l.page_token = (char *)"5";
	list_ids(s, W_ADMIN, &l, "6,7,8,9,10", "10");
	l.page_token = (char *)"10";
	list_ids(s, W_ADMIN, &l, "11,12", NULL);
	l = (Luoshi__V1__ListProblemsRequest)LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	l.has_open_only = l.open_only = true;
	list_ids(s, W_ADMIN, &l, "4,12", NULL);
	l.has_open_only = l.open_only = false;
	l.has_overdue_only = l.overdue_only = true;
	l.as_of = (char *)"2026-10-31";
	list_ids(s, W_ADMIN, &l, "4", NULL);
	l.as_of = (char *)"2027-01-05";
	list_ids(s, W_ADMIN, &l, "4,12", NULL);
	l = (Luoshi__V1__ListProblemsRequest)LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	l.has_group = true;
	l.group = LUOSHI__V1__PROBLEM_GROUP__GROUP_APPROVAL;
	list_ids(s, W_ADMIN, &l, "5,6,7", NULL);
	l = (Luoshi__V1__ListProblemsRequest)LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	l.leader = (char *)"L02";
	list_ids(s, W_ADMIN, &l, "1,8,9,10", NULL);
	l.leader = NULL;
	l.town = (char *)"下应街道";
	list_ids(s, W_ADMIN, &l, "8,9,10", NULL);
	l.town = NULL;
	l.project = (char *)"P2";
	list_ids(s, W_ADMIN, &l, "8,9,10", NULL);
	l.project = NULL;
	/* Routed to it: 征迁清零组 sees P2's problems though it has no part in
	 * P2; 下应街道 sees its own. */
	list_ids(s, W_ZQQL, &l, "8,9,10", NULL);
	list_ids(s, W_XY, &l, "8,9,10", NULL);
	/* A leader's personal case of another's project: L02 reads all, as a
	 * leader, and 1 is among them. */
	l.leader = (char *)"L02";
	list_ids(s, W_L02, &l, "1,8,9,10", NULL);
	/* Days left count from as_of. */
	l = (Luoshi__V1__ListProblemsRequest)LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	l.project = (char *)"P1";
	l.has_open_only = l.open_only = true;
	l.as_of = (char *)"2026-10-31";
	Luoshi__V1__ListProblemsResponse *r =
	    (Luoshi__V1__ListProblemsResponse *)rpc_ok(s, W_ADMIN, M_LIST, &l.base);
	assert_int_equal(r->n_problems, 2);
	assert_true(r->problems[0]->has_days_left);
	assert_int_equal(r->problems[0]->days_left, -16);
	assert_int_equal(r->problems[1]->days_left, 61);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* The command line: a rate with one decimal, none without problems. */
	e2e_run run;
	const char *args[] = {"problem", "stats", "--as-of", "2026-10-31", NULL};
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, args, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "coordination  4       3         1     1        75.0%\n"));
	assert_non_null(strstr(run.out, "approval      3       2         1     1        66.7%\n"));
	assert_non_null(strstr(run.out, "funding       0       0         0     0        -\n"));
	assert_non_null(strstr(run.out, "Overall       11      9         2     2        81.8%\n"));
	e2e_run_free(&run);
	e2e_cli(s->dir, s->tcp_url, s->admin_token, "zh_CN.UTF-8", args, &run);
	assert_int_equal(run.status, 0);
	if (strstr(run.out, "资金保障") == NULL || strstr(run.out, "81.8%") == NULL)
		fprintf(stderr, "stats in Chinese:\n%s%s", run.out, run.err);
	assert_non_null(strstr(run.out, "销号率"));
	assert_non_null(strstr(run.out, "资金保障"));
	assert_non_null(strstr(run.out, "合计"));
	assert_non_null(strstr(run.out, "81.8%"));
	e2e_run_free(&run);
}

/* ---- assignments ------------------------------------------------------------------------------
 */

/* Open problems of every kind of owner, and two that are no one's to do
 * (resolved; an archived project's). */
static const char ASSIGN_FIXTURE[] =
    "INSERT INTO problems(id, project_id, title, grp, routed_unit_id, office_id, due_date,"
    " status, escalated, raised_by, raised_at, raised_on, assignee_unit_id,"
    " assignee_person_id) VALUES"
    " (1, 1, 'q1', 'clearance', 9, 1, '2026-11-01', 'open', 0, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL),"
    " (2, 1, 'q2', 'clearance', 9, 1, '2026-10-20', 'open', 0, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL),"
    " (3, 1, 'q3', 'clearance', 9, 1, NULL, 'open', 0, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL),"
    " (4, 1, 'q4', 'clearance', 9, 1, '2026-12-10', 'open', 0, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL),"
    " (5, 1, 'q5', 'clearance', 9, 1, '2026-10-10', 'resolved', 0, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL),"
    " (6, 2, 'q6', 'clearance', 9, 1, '2026-11-25', 'open', 0, 5,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', 5, NULL),"
    " (7, 1, 'q7', 'coordination', 6, 1, '2026-11-15', 'open', 0, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, 2),"
    " (8, 2, 'q8', 'approval', 7, 1, '2026-11-05', 'open', 0, 5,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL),"
    " (9, 1, 'q9', 'other', 1, 1, '2026-11-18', 'open', 0, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL),"
    " (10, 2, 'q10', 'coordination', 6, 1, '2026-11-30', 'open', 1, 5,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL),"
    " (11, 4, 'q11', 'clearance', 9, 1, '2026-11-01', 'open', 0, 4,"
    "  '2026-10-01T09:00:00+08:00', '2026-10-01', NULL, NULL);";

/* The problems of GetAssignments as w on 2026-11-20, as "id/days_left"
 * ("3/-" without a due date). */
static void expect_assigned(const e2e_server *s, enum who w, const char *want)
{
	Luoshi__V1__GetAssignmentsRequest req = LUOSHI__V1__GET_ASSIGNMENTS_REQUEST__INIT;
	req.as_of = (char *)"2026-11-20";
	Luoshi__V1__GetAssignmentsResponse *r =
	    (Luoshi__V1__GetAssignmentsResponse *)rpc_ok(s, w, M_ASSIGNMENTS, &req.base);
	char got[256] = "";
	for (size_t i = 0; i < r->n_problems; i++) {
		size_t n = strlen(got);
		const Luoshi__V1__Problem *p = r->problems[i];
		if (p->has_days_left)
			snprintf(got + n, sizeof got - n, "%s%" PRId64 "/%d", i ? "," : "", p->id,
			         (int)p->days_left);
		else
			snprintf(got + n, sizeof got - n, "%s%" PRId64 "/-", i ? "," : "", p->id);
	}
	if (strcmp(got, want) != 0)
		fail_msg("assignments of %s: got %s, want %s", who_is[w].name, got, want);
	assert_true(r->has_problem_count);
	assert_int_equal(r->problem_count, r->n_problems);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_assignments(void **state)
{
	e2e_server *s = *state;
	db_exec(s, ASSIGN_FIXTURE);
	/* The clearance group: what is routed to it, most overdue first,
	 * without a due date last; 6 though 住建局 has it now. */
	expect_assigned(s, W_ZQQL, "2/-31,1/-19,6/5,4/20,3/-");
	/* 住建局: what it was given. */
	expect_assigned(s, W_ZJJ, "6/5");
	/* L02: his case 7, and the open problems of P2, which he leads. */
	expect_assigned(s, W_L02, "8/-15,7/-5,6/5,10/10");
	/* L01: the open problems of P1 (not the archived P4's). */
	expect_assigned(s, W_L01, "2/-31,1/-19,7/-5,9/-2,4/20,3/-");
	/* The office: "other", and what was escalated to it. */
	expect_assigned(s, W_ADMIN, "9/-2,10/10");
	expect_assigned(s, W_ZHXT, "7/-5,10/10");
	expect_assigned(s, W_WX, "");
	expect_assigned(s, W_INSPECTOR, "");

	/* The command line: a section with its count. */
	e2e_run run;
	const char *args[] = {"assignments", "--as-of", "2026-11-20", NULL};
	e2e_cli(s->dir, s->tcp_url, who_is[W_ZQQL].token, NULL, args, &run);
	assert_int_equal(run.status, 0);
	const char *sec = strstr(run.out, "Open problems (5)\n");
	assert_non_null(sec);
	const char *q2 = strstr(sec, "q2"), *q1 = strstr(sec, "q1 "), *q3 = strstr(sec, "q3");
	assert_true(q2 && q1 && q3 && q2 < q1 && q1 < q3);
	assert_non_null(strstr(sec, "-31"));
	assert_non_null(strstr(sec, "区住建局"));
	e2e_run_free(&run);
	e2e_cli(s->dir, s->tcp_url, who_is[W_L02].token, "zh_CN.UTF-8", args, &run);
	assert_int_equal(run.status, 0);
	if (strstr(run.out, "未销号问题（4）") == NULL)
		fprintf(stderr, "assignments in Chinese:\n%s%s", run.out, run.err);
	assert_non_null(strstr(run.out, "未销号问题（4）"));
	assert_non_null(strstr(run.out, "审批服务"));
	e2e_run_free(&run);
}

/* ---- the command line
 * ---------------------------------------------------------------------------- */

static void cli_as(const e2e_server *s, enum who w, const char *lang, const char *const *args,
                   int status, e2e_run *r)
{
	e2e_cli(s->dir, s->tcp_url, token_of(s, w), lang, args, r);
	if (r->status != status) {
		fprintf(stderr, "stdout:\n%sstderr:\n%s", r->out, r->err);
		fail_msg("luoshi %s %s as %s exited %d, want %d", args[0], args[1] ? args[1] : "",
		         who_is[w].name, r->status, status);
	}
}

/* True when a line of out holds these words, in order, each alone
 * between spaces. */
static bool line_words(const char *out, const char *const *words)
{
	for (const char *line = out; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *p = line;
		bool ok = true;
		for (int i = 0; words[i] != NULL && ok; i++) {
			size_t n = strlen(words[i]);
			const char *q = p;
			for (;;) {
				q = memmem(q, len - (size_t)(q - line), words[i], n);
				if (q == NULL || ((q == line || q[-1] == ' ') &&
				                  (q + n == line + len || q[n] == ' ')))
					break;
				q++;
			}
			if (q == NULL)
				ok = false;
			else
				p = q + n;
		}
		if (ok)
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_cli(void **state)
{
	e2e_server *s = *state;
	e2e_run r;
	const char *raise[] = {"problem", "raise",          "--project", "中车产业基地",
	                       "--title", "用地指标未落实", "--group",   "clearance",
	                       "--due",   FUTURE,           NULL};
	cli_as(s, W_WX, NULL, raise, 0, &r);
	assert_non_null(strstr(r.out, "Problem 1 is raised.\n"));
	assert_true(line_words(r.out, WORDS("Routed", "to", "ZQQL", "征迁清零组")));
	assert_true(line_words(r.out, WORDS("Group", "clearance")));
	assert_true(line_words(r.out, WORDS("Status", "open")));
	e2e_run_free(&r);
	const char *bad_group[] = {"problem", "raise",   "--project", "P1", "--title",
	                           "x",       "--group", "roads",     NULL};
	cli_as(s, W_WX, NULL, bad_group, LS_INVALID_ARGUMENT, &r);
	assert_non_null(strstr(r.err, "roads"));
	e2e_run_free(&r);
	const char *past[] = {"problem", "raise", "--project", "P1",         "--title", "x",
	                      "--group", "other", "--due",     "2020-01-01", NULL};
	cli_as(s, W_WX, NULL, past, LS_INVALID_ARGUMENT, &r);
	assert_non_null(strstr(r.err, "due_date"));
	e2e_run_free(&r);
	const char *other_town[] = {"problem", "raise",   "--project", "P1", "--title",
	                            "x",       "--group", "other",     NULL};
	cli_as(s, W_XY, NULL, other_town, LS_PERMISSION_DENIED, &r);
	e2e_run_free(&r);
	assert_int_equal(db_int(s, "SELECT count(*) FROM problems", NULL), 1);

	const char *assign[] = {"problem", "assign", "1", "--to", "person:李副区长", NULL};
	cli_as(s, W_L01, NULL, assign, 0, &r);
	assert_non_null(strstr(r.out, "Problem 1 is assigned.\n"));
	assert_true(line_words(r.out, WORDS("Personal", "case", "L02", "李副区长")));
	e2e_run_free(&r);
	const char *bad_to[] = {"problem", "assign", "1", "--to", "李副区长", NULL};
	cli_as(s, W_L01, NULL, bad_to, LS_INVALID_ARGUMENT, &r);
	e2e_run_free(&r);
	const char *note[] = {"problem", "note", "1", "已约谈业主，周末现场协调", NULL};
	cli_as(s, W_ZQQL, NULL, note, 0, &r);
	assert_non_null(strstr(r.out, "A note is added to problem 1.\n"));
	e2e_run_free(&r);
	const char *resolve[] = {"problem", "resolve", "1", "--resolution", "已完成拆迁", NULL};
	cli_as(s, W_L02, NULL, resolve, 0, &r);
	assert_true(line_words(r.out, WORDS("Status", "resolved")));
	assert_true(line_words(r.out, WORDS("Resolution", "已完成拆迁")));
	e2e_run_free(&r);
	cli_as(s, W_L02, NULL, resolve, LS_FAILED_PRECONDITION, &r);
	assert_non_null(strstr(r.err, "already resolved"));
	e2e_run_free(&r);
	const char *no_resolution[] = {"problem", "resolve", "1", NULL};
	cli_as(s, W_L02, NULL, no_resolution, LS_INVALID_ARGUMENT, &r);
	assert_non_null(strstr(r.err, "--resolution"));
	e2e_run_free(&r);
	const char *reopen[] = {"problem", "reopen", "1", "--reason", "仍有 1 户未搬迁", NULL};
	cli_as(s, W_XY, NULL, reopen, LS_PERMISSION_DENIED, &r);
	e2e_run_free(&r);
	cli_as(s, W_WX, NULL, reopen, 0, &r);
	assert_non_null(strstr(r.out, "Problem 1 is open again.\n"));
	e2e_run_free(&r);
	const char *escalate[] = {"problem", "escalate", "1", "--reason", "需要区领导协调", NULL};
	cli_as(s, W_WX, NULL, escalate, 0, &r);
	assert_true(line_words(r.out, WORDS("Escalated", "to", "office")));
	e2e_run_free(&r);
	const char *to_unit[] = {"problem", "assign", "1", "--unit", "ZJJ", NULL};
	cli_as(s, W_ZQQL, NULL, to_unit, 0, &r);
	assert_true(line_words(r.out, WORDS("Assignee", "ZJJ", "区住建局")));
	e2e_run_free(&r);

	/* Show: the problem and its history, oldest first. */
	const char *show[] = {"problem", "show", "1", NULL};
	cli_as(s, W_WX, NULL, show, 0, &r);
	const char *h = strstr(r.out, "History (7)\n");
	assert_non_null(h);
	const char *kinds[] = {" raised ",   " assigned ",  " note ",    " resolved ",
	                       " reopened ", " escalated ", " assigned "};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const char *a = strstr(h, kinds[i]);
		assert_non_null(a);
		h = a + 1;
	}
	assert_true(line_words(r.out, WORDS("张区长", "assigned", "person:L02", "李副区长")));
	e2e_run_free(&r);
	cli_as(s, W_WX, "zh_CN.UTF-8", show, 0, &r);
	assert_non_null(strstr(r.out, "处理经过 (7)"));
	assert_true(line_words(r.out, WORDS("专项组", "征迁清零")));
	assert_true(line_words(r.out, WORDS("状态", "未销号")));
	assert_non_null(strstr(r.out, "重新打开"));
	e2e_run_free(&r);
	const char *show_missing[] = {"problem", "show", "99", NULL};
	cli_as(s, W_WX, NULL, show_missing, LS_NOT_FOUND, &r);
	e2e_run_free(&r);
	const char *show_bad[] = {"problem", "show", "x", NULL};
	cli_as(s, W_WX, NULL, show_bad, LS_INVALID_ARGUMENT, &r);
	e2e_run_free(&r);

	/* Lists. */
	const char *list[] = {"problem", "list", "--open", NULL};
	cli_as(s, W_WX, NULL, list, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 2);
	assert_true(line_words(r.out, WORDS("1", "中车产业基地", "用地指标未落实", "clearance",
	                                    "open", "区住建局", FUTURE)));
	e2e_run_free(&r);
	const char *none[] = {"problem", "list", "--group", "funding", NULL};
	cli_as(s, W_WX, NULL, none, 0, &r);
	assert_non_null(strstr(r.out, "No problems.\n"));
	e2e_run_free(&r);
	const char *json[] = {"problem", "list", "--json", NULL};
	cli_as(s, W_WX, NULL, json, 0, &r);
	json_t *j = json_loads(r.out, 0, NULL);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 1);
	json_t *p0 = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(p0, "title")), "用地指标未落实");
	assert_string_equal(json_string_value(json_object_get(p0, "group")), "GROUP_CLEARANCE");
	assert_string_equal(json_string_value(json_object_get(p0, "routedUnitCode")), "ZQQL");
	json_decref(j);
	e2e_run_free(&r);
	const char *stats[] = {"problem", "stats", NULL};
	cli_as(s, W_WX, NULL, stats, 0, &r);
	assert_true(line_words(r.out, WORDS("clearance", "1", "0", "1", "0", "0.0%")));
	assert_true(line_words(r.out, WORDS("Overall", "1", "0", "1", "0", "0.0%")));
	e2e_run_free(&r);

	/* Support groups in `luoshi unit`. */
	const char *unit_show[] = {"unit", "show", "征迁清零组", NULL};
	cli_as(s, W_WX, NULL, unit_show, 0, &r);
	assert_true(line_words(r.out, WORDS("Support", "group", "clearance")));
	e2e_run_free(&r);
	const char *unit_list[] = {"unit", "list", "--kind", "support-group", NULL};
	cli_as(s, W_WX, NULL, unit_list, 0, &r);
	assert_true(line_words(r.out, WORDS("ZJBZ", "资金保障组", "support-group", "(funding)")));
	e2e_run_free(&r);
	cli_as(s, W_WX, "zh_CN.UTF-8", unit_list, 0, &r);
	assert_non_null(strstr(r.out, "专项组（资金保障）"));
	e2e_run_free(&r);
	const char *unit_add[] = {
	    "unit",   "add",           "--code",          "ZJ2",     "--name", "第二资金组",
	    "--kind", "support-group", "--support-group", "funding", NULL};
	cli_as(s, W_ADMIN, NULL, unit_add, LS_ALREADY_EXISTS, &r);
	assert_non_null(strstr(r.err, "support_group"));
	e2e_run_free(&r);
	const char *unit_bad[] = {"unit", "edit", "ZQQL", "--support-group", "roads", NULL};
	cli_as(s, W_ADMIN, NULL, unit_bad, LS_INVALID_ARGUMENT, &r);
	e2e_run_free(&r);
	const char *unit_clear[] = {"unit", "edit", "ZQQL", "--support-group", "none", NULL};
	cli_as(s, W_ADMIN, NULL, unit_clear, 0, &r);
	assert_null(strstr(r.out, "Support group"));
	e2e_run_free(&r);
	unit_add[5] = "高新区资金组";
	unit_add[9] = "clearance";
	cli_as(s, W_ADMIN, NULL, unit_add, 0, &r);
	assert_true(line_words(r.out, WORDS("Support", "group", "clearance")));
	e2e_run_free(&r);

	/* Help at every level. */
	const char *help[] = {"problem", "--help", NULL};
	cli_as(s, W_WX, NULL, help, 0, &r);
	assert_non_null(strstr(r.out, "Usage: luoshi problem SUBCOMMAND"));
	assert_non_null(strstr(r.out, "escalate"));
	e2e_run_free(&r);
	static const char *const subs[] = {"raise",    "assign", "note", "resolve", "reopen",
	                                   "escalate", "list",   "show", "stats"};
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		const char *sub_help[] = {"problem", subs[i], "--help", NULL};
		cli_as(s, W_WX, NULL, sub_help, 0, &r);
		char want[64];
		snprintf(want, sizeof want, "Usage: luoshi problem %s", subs[i]);
		assert_non_null(strstr(r.out, want));
		e2e_run_free(&r);
	}
	cli_as(s, W_WX, "zh_CN.UTF-8", help, 0, &r);
	assert_non_null(strstr(r.out, "用法：luoshi problem 子命令"));
	e2e_run_free(&r);
}

int main(void)
{
	setlocale(LC_ALL, "");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_support_group_registry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rights, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_town, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_assignments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
