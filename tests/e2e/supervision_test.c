/* End to end: SupervisionService. The leaders' cadence for a month of five
 * ISO weeks, inspections and rectification orders (and their place in the
 * owner unit's assignments), accountability records and who may read
 * them, the supervision summary as of several days, approvals, land
 * clearance and funding figures; validation, the role matrix of every
 * write, forged ids, paging, the audit rows, the `luoshi` commands, and
 * the demo district's figures through a server started with --demo.
 *
 * Units, people, projects and accounts are written into the database with
 * SQL after `init` and before the server starts; everything else goes
 * through the RPCs. Every expected figure is worked out by hand below,
 * next to the data it comes from. */
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

#include <sodium.h>

#include "harness.h"
#include "luoshi/v1/schedule.pb-c.h"
#include "luoshi/v1/supervision.pb-c.h"

#define M_SUP "/luoshi.v1.SupervisionService/"
#define M_LOG M_SUP "LogActivity"
#define M_LIST_ACT M_SUP "ListActivities"
#define M_CADENCE M_SUP "Cadence"
#define M_INSPECT M_SUP "RecordInspection"
#define M_LIST_INSP M_SUP "ListInspections"
#define M_ORDER M_SUP "OrderRectification"
#define M_UPDATE_RECT M_SUP "UpdateRectification"
#define M_LIST_RECT M_SUP "ListRectifications"
#define M_ACC M_SUP "RecordAccountability"
#define M_LIST_ACC M_SUP "ListAccountability"
#define M_SUMMARY M_SUP "SupervisionSummary"
#define M_SET_APPROVAL M_SUP "SetApproval"
#define M_LIST_APPROVALS M_SUP "ListApprovals"
#define M_APPROVAL_STATS M_SUP "ApprovalStats"
#define M_SET_CLEARANCE M_SUP "SetClearance"
#define M_LIST_CLEARANCE M_SUP "ListClearance"
#define M_CLEARANCE_STATS M_SUP "ClearanceStats"
#define M_ADD_FUNDING M_SUP "AddFunding"
#define M_LIST_FUNDING M_SUP "ListFunding"
#define M_FUNDING_STATS M_SUP "FundingStats"
#define M_ASSIGNMENTS "/luoshi.v1.ScheduleService/GetAssignments"

/* ---- the data ---------------------------------------------------------------------- */

/* Unit 1 is the office `init` made. Unit 10 is another district with its
 * own town 11: outside the office's scope.
 *
 *  project  level     leader  lead unit  town  total   clearance  fast track
 *  CRRC     city      L01     ZJ         WX    500000  yes        yes
 *  MK       district  L02     FG         XY     80000  yes        yes
 *  SMALL    town      L01     FG         WX       800  no         no
 *  FH1      district  L09     FH         XK      1000  yes        yes (other district) */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01T00:00:00+08:00'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01T00:00:00+08:00'),"
    " (4, 'ZJ', '住建局', 'department', 1, '2026-01-01T00:00:00+08:00'),"
    " (5, 'FG', '发改局', 'department', 1, '2026-01-01T00:00:00+08:00'),"
    " (6, 'SP', '行政审批服务局', 'department', 1, '2026-01-01T00:00:00+08:00'),"
    " (7, 'DC1', '第一督查组', 'inspection_group', 1, '2026-01-01T00:00:00+08:00'),"
    " (8, 'DC2', '第二督查组', 'inspection_group', 1, '2026-01-01T00:00:00+08:00'),"
    " (9, 'JW', '区纪委', 'discipline', 1, '2026-01-01T00:00:00+08:00'),"
    " (10, 'FH', '奉化区', 'district', NULL, '2026-01-01T00:00:00+08:00'),"
    " (11, 'XK', '溪口镇', 'town', 10, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO people(id, code, name, title, unit_id, created_at) VALUES"
    " (1, 'L01', '张领导', '副区长', 1, '2026-01-01T00:00:00+08:00'),"
    " (2, 'L02', '李领导', '副区长', 1, '2026-01-01T00:00:00+08:00'),"
    " (3, 'P01', '王工', '科长', 4, '2026-01-01T00:00:00+08:00'),"
    " (4, 'P02', '赵镇长', '镇长', 2, '2026-01-01T00:00:00+08:00'),"
    " (5, 'L09', '奉化领导', '副区长', 10, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, planned_start, planned_finish, land_clearance,"
    " fast_track, created_at) VALUES"
    " (1, 'CRRC', '中车产业基地', 'city', 'industrial', 'continuing', 1, 4, 2, 500000,"
    "  '2025-01-01', '2027-12-31', 1, 1, '2026-01-01T00:00:00+08:00'),"
    " (2, 'MK', '美康智能健康产业中心', 'district', 'livelihood', 'new', 2, 5, 3, 80000,"
    "  '2026-01-15', '2027-06-30', 1, 1, '2026-01-01T00:00:00+08:00'),"
    " (3, 'SMALL', '五乡口袋公园', 'town', 'livelihood', 'new', 1, 5, 2, 800,"
    "  '2026-02-01', '2026-12-31', 0, 0, '2026-01-01T00:00:00+08:00'),"
    " (4, 'FH1', '溪口项目', 'district', 'infrastructure', 'new', 5, 10, 11, 1000,"
    "  '2026-01-01', '2026-12-31', 1, 1, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO project_leaders(project_id, person_id, since) VALUES"
    " (1, 1, '2025-01-01'), (2, 2, '2026-01-15'), (3, 1, '2026-02-01'), (4, 5, '2026-01-01');"
    "INSERT INTO problems(id, project_id, title, grp, routed_unit_id, raised_at, raised_on)"
    " VALUES (1, 1, '电力接入滞后', 'coordination', 5, '2026-06-01T09:00:00+08:00',"
    "  '2026-06-01'),"
    " (2, 2, '施工许可未办', 'approval', 6, '2026-06-02T09:00:00+08:00', '2026-06-02');";

enum who {
	W_ADMIN,
	W_LEADER,
	W_LEADER2,
	W_TOWN_WX,
	W_TOWN_XY,
	W_DEPT_ZJ,
	W_DEPT_FG,
	W_DEPT_SP,
	W_INSPECTOR,
	W_DISCIPLINE,
	W_VIEWER,
	W_ADMIN_FH,
	W_COUNT
};

static const struct {
	const char *token, *name, *role;
	int unit, person;
} who_is[W_COUNT] = {
    [W_ADMIN] = {NULL, "admin", "admin", 1, 0},
    [W_LEADER] = {"ls_test_leader_l01", "张领导", "leader", 1, 1},
    [W_LEADER2] = {"ls_test_leader_l02", "李领导", "leader", 1, 2},
    [W_TOWN_WX] = {"ls_test_town_wx", "五乡镇", "town", 2, 0},
    [W_TOWN_XY] = {"ls_test_town_xy", "下应街道", "town", 3, 0},
    [W_DEPT_ZJ] = {"ls_test_dept_zj", "住建局", "department", 4, 3},
    [W_DEPT_FG] = {"ls_test_dept_fg", "发改局", "department", 5, 0},
    [W_DEPT_SP] = {"ls_test_dept_sp", "审批局", "department", 6, 0},
    [W_INSPECTOR] = {"ls_test_inspector_dc1", "第一督查组", "inspector", 7, 0},
    [W_DISCIPLINE] = {"ls_test_discipline", "区纪委", "discipline", 9, 0},
    [W_VIEWER] = {"ls_test_viewer", "viewer", "viewer", 1, 0},
    [W_ADMIN_FH] = {"ls_test_admin_fh", "奉化 admin", "admin", 10, 0},
};

static const char *token_of(const e2e_server *s, enum who w)
{
	return w == W_ADMIN ? s->admin_token : who_is[w].token;
}

static void load_fixture(const e2e_server *s)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, "BEGIN");
	e2e_db_exec(db, FIXTURE);
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

static int setup(void **state)
{
	e2e_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -1;
	if (e2e_server_init(s) != 0) {
		e2e_server_cleanup(s);
		free(s);
		return -1;
	}
	load_fixture(s);
	if (e2e_server_start(s, NULL) != 0) {
		e2e_server_cleanup(s);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

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
		fail_msg("%s as %d: %s (%s) %s", method, w, ls_code_name(rc), st.field, st.message);
	assert_non_null(m);
	return m;
}

static void call_ok(const e2e_server *s, enum who w, const char *method,
                    const ProtobufCMessage *req)
{
	protobuf_c_message_free_unpacked(rpc_ok(s, w, method, req), NULL);
}

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

/* Everything this service writes, and the audit log's length, as one
 * string: equal before and after a call means nothing was written. */
static char *fingerprint(const e2e_server *s)
{
	return db_text(
	    s, "SELECT (SELECT count(*) FROM audit_log) || '|' ||"
	       " (SELECT count(*) FROM leader_activities) || '|' ||"
	       " (SELECT count(*) FROM activity_problems) || '|' ||"
	       " (SELECT count(*) FROM inspections) || '|' ||"
	       " (SELECT coalesce(group_concat(id || status || coalesce(done_date, '-'), ','), '')"
	       "  FROM (SELECT * FROM rectifications ORDER BY id) AS r) || '|' ||"
	       " (SELECT count(*) FROM accountability) || '|' ||"
	       " (SELECT coalesce(group_concat(id || ',' || unit_id || submitted ||"
	       "  coalesce(approved, '-') || visits, ','), '')"
	       "  FROM (SELECT * FROM approvals ORDER BY id) AS a) || '|' ||"
	       " (SELECT coalesce(group_concat(id || ',' || target_m2 || ',' || cleared_m2 || ','"
	       "  || demolished_m2 || ',' || households, ','), '')"
	       "  FROM (SELECT * FROM clearance ORDER BY id) AS c) || '|' ||"
	       " (SELECT count(*) FROM funding)");
}

/* Calls method as w, which must fail with code naming field (NULL: any
 * field), and change nothing. */
static void expect_fail(const e2e_server *s, enum who w, const char *method,
                        const ProtobufCMessage *req, int code, const char *field)
{
	char *before = fingerprint(s);
	ls_status st;
	int rc = rpc(s, w, method, req, NULL, &st);
	if (rc != code)
		fail_msg("%s as %d: got %s (%s: %s), want %s", method, w, ls_code_name(rc),
		         st.field, st.message, ls_code_name(code));
	if (field != NULL && strcmp(st.field, field) != 0)
		fail_msg("%s as %d: %s names field \"%s\" (%s), want \"%s\"", method, w,
		         ls_code_name(rc), st.field, st.message, field);
	char *after = fingerprint(s);
	if (strcmp(before, after) != 0)
		fail_msg("%s as %d failed but wrote: %s -> %s", method, w, before, after);
	free(before);
	free(after);
}

/* ---- requests ---------------------------------------------------------------------------- */

static Luoshi__V1__LogActivityRequest activity(const char *leader, const char *project, int kind,
                                               const char *date)
{
	Luoshi__V1__LogActivityRequest r = LUOSHI__V1__LOG_ACTIVITY_REQUEST__INIT;
	r.leader = (char *)leader;
	r.project = (char *)project;
	r.has_kind = kind != 0;
	r.kind = (Luoshi__V1__ActivityKind)kind;
	r.date = (char *)date;
	return r;
}

#define WR LUOSHI__V1__ACTIVITY_KIND__WEEKLY_REVIEW
#define SV LUOSHI__V1__ACTIVITY_KIND__SITE_VISIT
#define CO LUOSHI__V1__ACTIVITY_KIND__COORDINATION

static void log_activity(const e2e_server *s, enum who w, const char *leader, const char *project,
                         int kind, const char *date)
{
	Luoshi__V1__LogActivityRequest r = activity(leader, project, kind, date);
	call_ok(s, w, M_LOG, &r.base);
}

static Luoshi__V1__RecordInspectionRequest inspection(const char *group, const char *project,
                                                      const char *date, int layer, bool slow)
{
	Luoshi__V1__RecordInspectionRequest r = LUOSHI__V1__RECORD_INSPECTION_REQUEST__INIT;
	r.group = (char *)group;
	r.project = (char *)project;
	r.date = (char *)date;
	r.has_layer = layer != 0;
	r.layer = (Luoshi__V1__SupervisionLayer)layer;
	r.findings = (char *)"进度滞后于计划";
	r.has_slow = true;
	r.slow = slow;
	return r;
}

static int64_t record_inspection(const e2e_server *s, enum who w, const char *group,
                                 const char *project, const char *date, int layer, bool slow)
{
	Luoshi__V1__RecordInspectionRequest r = inspection(group, project, date, layer, slow);
	Luoshi__V1__RecordInspectionResponse *resp =
	    (Luoshi__V1__RecordInspectionResponse *)rpc_ok(s, w, M_INSPECT, &r.base);
	assert_non_null(resp->inspection);
	int64_t id = resp->inspection->id;
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return id;
}

static Luoshi__V1__OrderRectificationRequest order(int64_t inspection, const char *owner,
                                                   const char *due)
{
	Luoshi__V1__OrderRectificationRequest r = LUOSHI__V1__ORDER_RECTIFICATION_REQUEST__INIT;
	r.has_inspection = true;
	r.inspection = inspection;
	r.owner_unit = (char *)owner;
	r.due_date = (char *)due;
	r.text = (char *)"限期整改，按周报送进展";
	return r;
}

static int64_t order_ok(const e2e_server *s, enum who w, int64_t inspection, const char *owner,
                        const char *due)
{
	Luoshi__V1__OrderRectificationRequest r = order(inspection, owner, due);
	Luoshi__V1__OrderRectificationResponse *resp =
	    (Luoshi__V1__OrderRectificationResponse *)rpc_ok(s, w, M_ORDER, &r.base);
	assert_non_null(resp->rectification);
	int64_t id = resp->rectification->id;
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return id;
}

static Luoshi__V1__UpdateRectificationRequest rect_done(int64_t id, const char *date)
{
	Luoshi__V1__UpdateRectificationRequest r = LUOSHI__V1__UPDATE_RECTIFICATION_REQUEST__INIT;
	r.has_id = true;
	r.id = id;
	r.has_status = true;
	r.status = LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_DONE;
	r.done_date = (char *)date;
	return r;
}

static Luoshi__V1__RecordAccountabilityRequest accountability(int kind, const char *person,
                                                              const char *unit, const char *project,
                                                              int64_t inspection, const char *date)
{
	Luoshi__V1__RecordAccountabilityRequest r = LUOSHI__V1__RECORD_ACCOUNTABILITY_REQUEST__INIT;
	r.has_kind = kind != 0;
	r.kind = (Luoshi__V1__AccountabilityKind)kind;
	r.person = (char *)person;
	r.unit = (char *)unit;
	r.project = (char *)project;
	r.has_inspection = inspection != 0;
	r.inspection = inspection;
	r.date = (char *)date;
	r.text = (char *)"推进较慢，约谈提醒";
	return r;
}

static Luoshi__V1__SetApprovalRequest approval(const char *project, const char *item,
                                               const char *dept, const char *submitted,
                                               const char *approved, uint32_t visits)
{
	Luoshi__V1__SetApprovalRequest r = LUOSHI__V1__SET_APPROVAL_REQUEST__INIT;
	r.project = (char *)project;
	r.item = (char *)item;
	r.department = (char *)dept;
	r.submitted = (char *)submitted;
	r.approved = (char *)approved;
	r.has_visits = true;
	r.visits = visits;
	return r;
}

static Luoshi__V1__SetClearanceRequest clearance(const char *project, const char *month,
                                                 int64_t target, int64_t cleared,
                                                 int64_t demolished, int64_t households)
{
	Luoshi__V1__SetClearanceRequest r = LUOSHI__V1__SET_CLEARANCE_REQUEST__INIT;
	r.project = (char *)project;
	r.month = (char *)month;
	r.has_target_m2 = r.has_cleared_m2 = r.has_demolished_m2 = r.has_households = true;
	r.target_m2 = target;
	r.cleared_m2 = cleared;
	r.demolished_m2 = demolished;
	r.households = households;
	return r;
}

static Luoshi__V1__AddFundingRequest funding(const char *source, int kind, const char *project,
                                             const char *unit, int64_t amount,
                                             const char *signed_on, uint32_t term)
{
	Luoshi__V1__AddFundingRequest r = LUOSHI__V1__ADD_FUNDING_REQUEST__INIT;
	r.source = (char *)source;
	r.has_kind = kind != 0;
	r.kind = (Luoshi__V1__FundingKind)kind;
	r.project = (char *)project;
	r.unit = (char *)unit;
	r.has_amount = true;
	r.amount = amount;
	r.signed_ = (char *)signed_on;
	r.has_term_years = term > 0;
	r.term_years = term;
	return r;
}

/* "W27 W28" */
static void join_weeks(char **v, size_t n, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "",
		                         strchr(v[i], 'W'));
}

static void check_row(const Luoshi__V1__CadenceRow *r, const char *leader, const char *project,
                      const char *reviewed, const char *gaps, const char *visits, bool missing,
                      uint32_t reviews, uint32_t coordinations)
{
	char buf[128];
	assert_string_equal(r->leader_code, leader);
	assert_string_equal(r->project_code, project);
	join_weeks(r->reviewed_weeks, r->n_reviewed_weeks, buf, sizeof buf);
	assert_string_equal(buf, reviewed);
	join_weeks(r->review_gaps, r->n_review_gaps, buf, sizeof buf);
	assert_string_equal(buf, gaps);
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n_visit_dates; i++)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? " " : "",
		                         r->visit_dates[i]);
	assert_string_equal(buf, visits);
	assert_true(r->has_visited);
	assert_int_equal(r->visited, visits[0] != '\0');
	assert_true(r->has_visit_missing);
	assert_int_equal(r->visit_missing, missing);
	assert_int_equal(r->reviews, reviews);
	assert_int_equal(r->coordinations, coordinations);
}

static Luoshi__V1__CadenceResponse *cadence(const e2e_server *s, enum who w, const char *month,
                                            const char *as_of, const char *leader)
{
	Luoshi__V1__CadenceRequest r = LUOSHI__V1__CADENCE_REQUEST__INIT;
	r.month = (char *)month;
	r.as_of = (char *)as_of;
	r.leader = (char *)leader;
	return (Luoshi__V1__CadenceResponse *)rpc_ok(s, w, M_CADENCE, &r.base);
}

/* ---- the leaders' cadence --------------------------------------------------------------- */

/* July 2026 has five ISO weeks (those whose Thursday lies in July):
 *   W27 Mon 06-29 .. Sun 07-05, Friday 07-03
 *   W28 07-06 .. 07-12, Friday 07-10
 *   W29 07-13 .. 07-19, Friday 07-17
 *   W30 07-20 .. 07-26, Friday 07-24
 *   W31 07-27 .. 08-02, Friday 07-31
 * L01 on CRRC: reviews 06-26 (W26: June's), 06-30 (W27), 07-08 (W28, by
 * the leader itself), 07-22 (W30), 08-01 (a Saturday of W31); a site
 * visit 07-18; a coordination meeting 07-10.
 * L01 on SMALL: a review 07-15 (W29); a site visit 06-30 (June's).
 * L02 on MK: nothing.
 * FH1 lies outside the office: no row. */
static void log_july(const e2e_server *s)
{
	log_activity(s, W_ADMIN, "L01", "CRRC", WR, "2026-06-26");
	log_activity(s, W_ADMIN, "L01", "CRRC", WR, "2026-06-30");
	log_activity(s, W_LEADER, "L01", "CRRC", WR, "2026-07-08");
	log_activity(s, W_ADMIN, "张领导", "中车产业基地", WR, "2026-07-22");
	log_activity(s, W_ADMIN, "L01", "CRRC", WR, "2026-08-01");
	log_activity(s, W_ADMIN, "L01", "CRRC", SV, "2026-07-18");
	log_activity(s, W_ADMIN, "L01", "CRRC", CO, "2026-07-10");
	log_activity(s, W_LEADER, "L01", "SMALL", WR, "2026-07-15");
	log_activity(s, W_ADMIN, "L01", "SMALL", SV, "2026-06-30");
}

static void test_cadence(void **state)
{
	e2e_server *s = *state;
	log_july(s);
	assert_int_equal(db_int(s, "SELECT count(*) FROM leader_activities"), 9);

	/* Seen from 08-31, every week is due and the 20th has passed:
	 * CRRC misses W29, SMALL all but W29 and its visit (June's does not
	 * count), MK everything. Gaps 1 + 4 + 5 = 10, visits missing 2. */
	Luoshi__V1__CadenceResponse *r = cadence(s, W_ADMIN, "2026-07", "2026-08-31", NULL);
	assert_string_equal(r->month, "2026-07");
	assert_int_equal(r->n_weeks, 5);
	assert_string_equal(r->weeks[0], "2026-W27");
	assert_string_equal(r->weeks[4], "2026-W31");
	assert_int_equal(r->n_rows, 3);
	check_row(r->rows[0], "L01", "CRRC", "W27 W28 W30 W31", "W29", "2026-07-18", false, 4, 1);
	check_row(r->rows[1], "L01", "SMALL", "W29", "W27 W28 W30 W31", "", true, 1, 0);
	check_row(r->rows[2], "L02", "MK", "", "W27 W28 W29 W30 W31", "", true, 0, 0);
	assert_int_equal(r->leaders, 2);
	assert_int_equal(r->projects, 3);
	assert_int_equal(r->review_gaps, 10);
	assert_int_equal(r->visits_missing, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Seen from Thursday 07-16: only W27 and W28 are due (W29's Friday is
	 * 07-17), the 20th has not come, and what was logged later does not
	 * count yet (CRRC's W30/W31 reviews, its 07-18 visit). SMALL's 07-15
	 * review counts. Gaps 0 + 2 + 2 = 4. */
	r = cadence(s, W_ADMIN, "2026-07", "2026-07-16", NULL);
	assert_int_equal(r->n_rows, 3);
	check_row(r->rows[0], "L01", "CRRC", "W27 W28", "", "", false, 2, 1);
	check_row(r->rows[1], "L01", "SMALL", "W29", "W27 W28", "", false, 1, 0);
	check_row(r->rows[2], "L02", "MK", "", "W27 W28", "", false, 0, 0);
	assert_int_equal(r->review_gaps, 4);
	assert_int_equal(r->visits_missing, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* One leader. */
	r = cadence(s, W_LEADER2, "2026-07", "2026-08-31", "L02");
	assert_int_equal(r->n_rows, 1);
	assert_int_equal(r->leaders, 1);
	assert_int_equal(r->review_gaps, 5);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A town sees the projects standing in it (CRRC, SMALL); a viewer
	 * the office's figures without the rows. */
	r = cadence(s, W_TOWN_WX, "2026-07", "2026-08-31", NULL);
	assert_int_equal(r->n_rows, 2);
	assert_int_equal(r->review_gaps, 5);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = cadence(s, W_VIEWER, "2026-07", "2026-08-31", NULL);
	assert_int_equal(r->n_rows, 0);
	assert_int_equal(r->projects, 3);
	assert_int_equal(r->review_gaps, 10);
	assert_int_equal(r->visits_missing, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* June 2026 has four weeks (W23..W26: June 4's to June 25's Thursday). */
	r = cadence(s, W_ADMIN, "2026-06", "2026-08-31", "L01");
	assert_int_equal(r->n_weeks, 4);
	assert_string_equal(r->weeks[0], "2026-W23");
	check_row(r->rows[0], "L01", "CRRC", "W26", "W23 W24 W25", "", true, 1, 0);
	check_row(r->rows[1], "L01", "SMALL", "", "W23 W24 W25 W26", "2026-06-30", false, 0, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Bad input. */
	Luoshi__V1__CadenceRequest bad = LUOSHI__V1__CADENCE_REQUEST__INIT;
	bad.month = (char *)"2026-13";
	expect_fail(s, W_ADMIN, M_CADENCE, &bad.base, LS_INVALID_ARGUMENT, "month");
	bad.month = NULL;
	bad.as_of = (char *)"2026-02-30";
	expect_fail(s, W_ADMIN, M_CADENCE, &bad.base, LS_INVALID_ARGUMENT, "as_of");
}

static void test_activities(void **state)
{
	e2e_server *s = *state;
	/* A leader logs its own, on projects it leads. */
	Luoshi__V1__LogActivityRequest r = activity("L01", "CRRC", WR, "2026-07-08");
	int64_t problems[] = {1};
	r.notes = (char *)"专题了解电力接入";
	r.n_problem_ids = 1;
	r.problem_ids = problems;
	Luoshi__V1__LogActivityResponse *resp =
	    (Luoshi__V1__LogActivityResponse *)rpc_ok(s, W_LEADER, M_LOG, &r.base);
	assert_non_null(resp->activity);
	int64_t id = resp->activity->id;
	assert_string_equal(resp->activity->leader_name, "张领导");
	assert_string_equal(resp->activity->project_name, "中车产业基地");
	assert_string_equal(resp->activity->week, "2026-W28");
	assert_int_equal(resp->activity->n_problem_ids, 1);
	assert_int_equal(resp->activity->problem_ids[0], 1);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	assert_int_equal(db_int(s, "SELECT count(*) FROM activity_problems WHERE problem_id = 1"),
	                 1);

	/* Its audit row. */
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM audit_log WHERE entity = 'activity' AND entity_id = %" PRId64
	         " AND project_id = 1 AND account_id = %d AND method LIKE '%%/LogActivity'"
	         " AND before IS NULL AND after LIKE '%%专题了解电力接入%%'",
	         id, W_LEADER + 1);
	assert_int_equal(db_int(s, sql), 1);

	/* A leader cannot log for another leader, nor on a project it does
	 * not lead. */
	r = activity("L02", "MK", WR, "2026-07-08");
	expect_fail(s, W_LEADER, M_LOG, &r.base, LS_PERMISSION_DENIED, "leader");
	r = activity("L01", "MK", WR, "2026-07-08");
	expect_fail(s, W_LEADER, M_LOG, &r.base, LS_PERMISSION_DENIED, "project");
	/* An admin logs for any leader, but only on a project it leads. */
	r = activity("L02", "CRRC", SV, "2026-07-08");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "leader");
	r = activity("L02", "MK", SV, "2026-07-09");
	call_ok(s, W_ADMIN, M_LOG, &r.base);
	/* Outside the admin's office. */
	r = activity("L01", "FH1", SV, "2026-07-09");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_PERMISSION_DENIED, "project");

	/* Bad input. */
	r = activity("L01", "CRRC", 7, "2026-07-08");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "kind");
	r = activity("L01", "CRRC", 0, "2026-07-08");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "kind");
	r = activity("L01", "CRRC", WR, "2026-02-30");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "date");
	r = activity("L01", "CRRC", WR, "08/07/2026");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "date");
	r = activity("L01", "CRRC", WR, NULL);
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "date");
	r = activity(NULL, "CRRC", WR, "2026-07-08");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "leader");
	r = activity("NOBODY", "CRRC", WR, "2026-07-08");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "leader");
	r = activity("L01", "NOPE", WR, "2026-07-08");
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "project");
	r = activity("L01", "CRRC", WR, "2026-07-08");
	char *long_text = malloc(2002);
	memset(long_text, 'x', 2001);
	long_text[2001] = '\0';
	r.notes = long_text;
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "notes");
	free(long_text);
	r.notes = NULL;
	int64_t other[] = {2}, unknown[] = {99};
	r.n_problem_ids = 1;
	r.problem_ids = other; /* MK's problem, not CRRC's */
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "problem_ids");
	r.problem_ids = unknown;
	expect_fail(s, W_ADMIN, M_LOG, &r.base, LS_INVALID_ARGUMENT, "problem_ids");

	/* The list, and what a town sees of it (MK stands in XY). */
	Luoshi__V1__ListActivitiesRequest lr = LUOSHI__V1__LIST_ACTIVITIES_REQUEST__INIT;
	Luoshi__V1__ListActivitiesResponse *l =
	    (Luoshi__V1__ListActivitiesResponse *)rpc_ok(s, W_ADMIN, M_LIST_ACT, &lr.base);
	assert_int_equal(l->n_activities, 2);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	l = (Luoshi__V1__ListActivitiesResponse *)rpc_ok(s, W_TOWN_WX, M_LIST_ACT, &lr.base);
	assert_int_equal(l->n_activities, 1);
	assert_string_equal(l->activities[0]->project_code, "CRRC");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lr.project = (char *)"MK";
	expect_fail(s, W_TOWN_WX, M_LIST_ACT, &lr.base, LS_NOT_FOUND, "project");
	lr.project = (char *)"FH1";
	expect_fail(s, W_ADMIN, M_LIST_ACT, &lr.base, LS_NOT_FOUND, "project");
}

/* ---- inspections, orders, accountability, the summary ------------------------------------ */

#define LAYER_LG LUOSHI__V1__SUPERVISION_LAYER__LAYER_LEADING_GROUP
#define LAYER_CC LUOSHI__V1__SUPERVISION_LAYER__LAYER_CONGRESS_CONSULTATIVE

static Luoshi__V1__SupervisionSummaryResponse *summary(const e2e_server *s, enum who w,
                                                       const char *as_of)
{
	Luoshi__V1__SupervisionSummaryRequest r = LUOSHI__V1__SUPERVISION_SUMMARY_REQUEST__INIT;
	r.as_of = (char *)as_of;
	return (Luoshi__V1__SupervisionSummaryResponse *)rpc_ok(s, w, M_SUMMARY, &r.base);
}

static uint32_t assigned_orders(const e2e_server *s, enum who w, int64_t *first)
{
	Luoshi__V1__GetAssignmentsRequest r = LUOSHI__V1__GET_ASSIGNMENTS_REQUEST__INIT;
	r.as_of = (char *)"2026-07-01";
	Luoshi__V1__GetAssignmentsResponse *a =
	    (Luoshi__V1__GetAssignmentsResponse *)rpc_ok(s, w, M_ASSIGNMENTS, &r.base);
	assert_true(a->has_rectification_count);
	uint32_t n = a->rectification_count;
	assert_int_equal(a->n_rectifications, n);
	if (first != NULL && n > 0) {
		*first = a->rectifications[0]->id;
		/* due 07-15 (or later) from 07-01 */
		assert_true(a->rectifications[0]->has_days_left);
	}
	protobuf_c_message_free_unpacked(&a->base, NULL);
	return n;
}

/* I1 CRRC by DC1 on 06-28, slow; I2 MK by DC2 on 06-29.
 * R1 of I1 to WX, due 07-15; R2 of I1 to ZJ, due 08-31; R3 of I2 to FG,
 * due 07-10. WX closes R1 on 07-10, an admin R3 on 08-05.
 * A1 warning talk against P01 (I1, CRRC) on 07-05; A2 criticism against
 * unit WX (I1) on 07-12; A3 warning talk against P02 on MK on 07-25. */
static void test_supervision(void **state)
{
	e2e_server *s = *state;
	int64_t i1 = record_inspection(s, W_INSPECTOR, "DC1", "CRRC", "2026-06-28", LAYER_LG, true);
	int64_t i2 = record_inspection(s, W_DISCIPLINE, "第二督查组", "美康智能健康产业中心",
	                               "2026-06-29", LAYER_CC, false);
	char sql[320];
	snprintf(
	    sql, sizeof sql,
	    "SELECT count(*) FROM audit_log WHERE entity = 'inspection' AND entity_id = %" PRId64
	    " AND project_id = 1 AND account_id = %d AND after LIKE '%%进度滞后于计划%%'",
	    i1, W_INSPECTOR + 1);
	assert_int_equal(db_int(s, sql), 1);

	/* Inspections: who and what. */
	Luoshi__V1__RecordInspectionRequest ir =
	    inspection("DC2", "CRRC", "2026-06-28", LAYER_LG, false);
	expect_fail(s, W_INSPECTOR, M_INSPECT, &ir.base, LS_PERMISSION_DENIED, "group");
	ir = inspection("ZJ", "CRRC", "2026-06-28", LAYER_LG, false);
	expect_fail(s, W_DISCIPLINE, M_INSPECT, &ir.base, LS_INVALID_ARGUMENT, "group");
	ir = inspection("DC1", "CRRC", "2026-06-31", LAYER_LG, false);
	expect_fail(s, W_INSPECTOR, M_INSPECT, &ir.base, LS_INVALID_ARGUMENT, "date");
	ir = inspection("DC1", "CRRC", "2026-06-28", 9, false);
	expect_fail(s, W_INSPECTOR, M_INSPECT, &ir.base, LS_INVALID_ARGUMENT, "layer");
	ir = inspection("DC1", "FH1", "2026-06-28", LAYER_LG, false);
	expect_fail(s, W_INSPECTOR, M_INSPECT, &ir.base, LS_PERMISSION_DENIED, "project");
	ir = inspection("DC1", "CRRC", "2026-06-28", LAYER_LG, false);
	expect_fail(s, W_TOWN_WX, M_INSPECT, &ir.base, LS_PERMISSION_DENIED, NULL);

	/* Orders. */
	int64_t r1 = order_ok(s, W_INSPECTOR, i1, "WX", "2026-07-15");
	int64_t r2 = order_ok(s, W_DISCIPLINE, i1, "住建局", "2026-08-31");
	int64_t r3 = order_ok(s, W_DISCIPLINE, i2, "FG", "2026-07-10");
	Luoshi__V1__OrderRectificationRequest orq = order(i2, "FG", "2026-07-10");
	expect_fail(s, W_INSPECTOR, M_ORDER, &orq.base, LS_PERMISSION_DENIED, "inspection");
	orq = order(i1, "WX", "2026-06-27");
	expect_fail(s, W_DISCIPLINE, M_ORDER, &orq.base, LS_INVALID_ARGUMENT, "due_date");
	orq = order(999, "WX", "2026-07-27");
	expect_fail(s, W_DISCIPLINE, M_ORDER, &orq.base, LS_NOT_FOUND, "inspection");
	orq = order(i1, "NOPE", "2026-07-27");
	expect_fail(s, W_DISCIPLINE, M_ORDER, &orq.base, LS_INVALID_ARGUMENT, "owner_unit");
	orq = order(i1, "WX", "2026-07-27");
	orq.text = NULL;
	expect_fail(s, W_DISCIPLINE, M_ORDER, &orq.base, LS_INVALID_ARGUMENT, "text");

	/* The orders are the owner units' work, like tasks. */
	int64_t first = 0;
	assert_int_equal(assigned_orders(s, W_TOWN_WX, &first), 1);
	assert_int_equal(first, r1);
	assert_int_equal(assigned_orders(s, W_DEPT_ZJ, &first), 1);
	assert_int_equal(first, r2);
	assert_int_equal(assigned_orders(s, W_TOWN_XY, NULL), 0);
	assert_int_equal(assigned_orders(s, W_ADMIN, NULL), 0);

	/* Closing: the owner unit's accounts or an admin; no one else, and
	 * not a town with another town's order. */
	Luoshi__V1__UpdateRectificationRequest ur = rect_done(r3, "2026-08-05");
	expect_fail(s, W_DEPT_ZJ, M_UPDATE_RECT, &ur.base, LS_PERMISSION_DENIED, "id");
	ur = rect_done(r1, "2026-07-10");
	expect_fail(s, W_TOWN_XY, M_UPDATE_RECT, &ur.base, LS_PERMISSION_DENIED, "id");
	expect_fail(s, W_INSPECTOR, M_UPDATE_RECT, &ur.base, LS_PERMISSION_DENIED, "id");
	expect_fail(s, W_LEADER, M_UPDATE_RECT, &ur.base, LS_PERMISSION_DENIED, "id");
	expect_fail(s, W_ADMIN_FH, M_UPDATE_RECT, &ur.base, LS_PERMISSION_DENIED, "id");
	ur = rect_done(r1, "2026-06-27");
	expect_fail(s, W_TOWN_WX, M_UPDATE_RECT, &ur.base, LS_INVALID_ARGUMENT, "done_date");
	ur = rect_done(r1, "2099-01-01");
	expect_fail(s, W_TOWN_WX, M_UPDATE_RECT, &ur.base, LS_INVALID_ARGUMENT, "done_date");
	ur = rect_done(999, "2026-07-10");
	expect_fail(s, W_ADMIN, M_UPDATE_RECT, &ur.base, LS_NOT_FOUND, "id");
	ur = rect_done(r1, "2026-07-10");
	ur.status = 5;
	expect_fail(s, W_TOWN_WX, M_UPDATE_RECT, &ur.base, LS_INVALID_ARGUMENT, "status");
	ur = rect_done(r1, "2026-07-10");
	call_ok(s, W_TOWN_WX, M_UPDATE_RECT, &ur.base);
	ur = rect_done(r3, "2026-08-05");
	call_ok(s, W_ADMIN, M_UPDATE_RECT, &ur.base);
	snprintf(
	    sql, sizeof sql,
	    "SELECT count(*) FROM audit_log WHERE entity = 'rectification' AND entity_id = %" PRId64
	    " AND account_id = %d AND before LIKE '%%RECTIFICATION_OPEN%%'"
	    " AND after LIKE '%%2026-07-10%%'",
	    r1, W_TOWN_WX + 1);
	assert_int_equal(db_int(s, sql), 1);
	assert_int_equal(assigned_orders(s, W_TOWN_WX, NULL), 0);

	/* Accountability. */
	Luoshi__V1__RecordAccountabilityRequest ar = accountability(
	    LUOSHI__V1__ACCOUNTABILITY_KIND__WARNING_TALK, "P01", NULL, NULL, i1, "2026-07-05");
	Luoshi__V1__RecordAccountabilityResponse *aresp =
	    (Luoshi__V1__RecordAccountabilityResponse *)rpc_ok(s, W_DISCIPLINE, M_ACC, &ar.base);
	assert_string_equal(aresp->record->project_code, "CRRC");
	assert_string_equal(aresp->record->person_name, "王工");
	int64_t a1 = aresp->record->id;
	protobuf_c_message_free_unpacked(&aresp->base, NULL);
	ar = accountability(LUOSHI__V1__ACCOUNTABILITY_KIND__CRITICISM, NULL, "WX", "CRRC", i1,
	                    "2026-07-12");
	call_ok(s, W_INSPECTOR, M_ACC, &ar.base);
	ar = accountability(LUOSHI__V1__ACCOUNTABILITY_KIND__WARNING_TALK, "赵镇长", NULL, "MK", 0,
	                    "2026-07-25");
	call_ok(s, W_DISCIPLINE, M_ACC, &ar.base);
	snprintf(
	    sql, sizeof sql,
	    "SELECT count(*) FROM audit_log WHERE entity = 'accountability' AND entity_id = %" PRId64
	    " AND project_id = 1 AND after LIKE '%%WARNING_TALK%%'",
	    a1);
	assert_int_equal(db_int(s, sql), 1);

	ar = accountability(LUOSHI__V1__ACCOUNTABILITY_KIND__CRITICISM, "P01", "WX", "CRRC", 0,
	                    "2026-07-12");
	expect_fail(s, W_DISCIPLINE, M_ACC, &ar.base, LS_INVALID_ARGUMENT, "unit");
	ar = accountability(LUOSHI__V1__ACCOUNTABILITY_KIND__CRITICISM, NULL, NULL, "CRRC", 0,
	                    "2026-07-12");
	expect_fail(s, W_DISCIPLINE, M_ACC, &ar.base, LS_INVALID_ARGUMENT, "person");
	ar = accountability(LUOSHI__V1__ACCOUNTABILITY_KIND__CRITICISM, "P01", NULL, "MK", i1,
	                    "2026-07-12");
	expect_fail(s, W_DISCIPLINE, M_ACC, &ar.base, LS_INVALID_ARGUMENT, "inspection");
	ar = accountability(4, "P01", NULL, "CRRC", 0, "2026-07-12");
	expect_fail(s, W_DISCIPLINE, M_ACC, &ar.base, LS_INVALID_ARGUMENT, "kind");
	ar = accountability(LUOSHI__V1__ACCOUNTABILITY_KIND__CRITICISM, "P01", NULL, "CRRC", 0,
	                    "2026-7-12");
	expect_fail(s, W_DISCIPLINE, M_ACC, &ar.base, LS_INVALID_ARGUMENT, "date");
	ar = accountability(LUOSHI__V1__ACCOUNTABILITY_KIND__CRITICISM, "P01", NULL, "CRRC", 0,
	                    "2026-07-12");
	expect_fail(s, W_ADMIN, M_ACC, &ar.base, LS_PERMISSION_DENIED, NULL);
	expect_fail(s, W_LEADER, M_ACC, &ar.base, LS_PERMISSION_DENIED, NULL);

	/* Reading accountability: admin, inspector, discipline; no one else. */
	Luoshi__V1__ListAccountabilityRequest lr = LUOSHI__V1__LIST_ACCOUNTABILITY_REQUEST__INIT;
	enum who readers[] = {W_ADMIN, W_INSPECTOR, W_DISCIPLINE};
	for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) {
		Luoshi__V1__ListAccountabilityResponse *l =
		    (Luoshi__V1__ListAccountabilityResponse *)rpc_ok(s, readers[i], M_LIST_ACC,
		                                                     &lr.base);
		assert_int_equal(l->n_records, 3);
		protobuf_c_message_free_unpacked(&l->base, NULL);
	}
	enum who others[] = {W_LEADER, W_TOWN_WX, W_DEPT_ZJ, W_VIEWER};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		expect_fail(s, others[i], M_LIST_ACC, &lr.base, LS_PERMISSION_DENIED, NULL);

	/* The summary as of 07-20: 2 inspections of 2 projects by 2 groups;
	 * 3 orders, R1 done (07-10), R2 and R3 open (R3 closed only on
	 * 08-05), R3 overdue (due 07-10); A1 and A2 (A3 is of 07-25). */
	Luoshi__V1__SupervisionSummaryResponse *r = summary(s, W_ADMIN, "2026-07-20");
	assert_int_equal(r->inspections, 2);
	assert_int_equal(r->inspected_projects, 2);
	assert_int_equal(r->groups, 2);
	assert_int_equal(r->rectifications, 3);
	assert_int_equal(r->rectifications_done, 1);
	assert_int_equal(r->rectifications_open, 2);
	assert_int_equal(r->rectifications_overdue, 1);
	assert_true(r->accountability_shown);
	assert_int_equal(r->warning_talks, 1);
	assert_int_equal(r->criticisms, 1);
	assert_int_equal(r->accountability_actions, 0);
	assert_int_equal(r->accountability_total, 2);
	assert_int_equal(r->slow_project_count, 1);
	assert_int_equal(r->n_slow_projects, 1);
	assert_string_equal(r->slow_projects[0]->project_code, "CRRC");
	assert_string_equal(r->slow_projects[0]->leader_code, "L01");
	assert_string_equal(r->slow_projects[0]->first_named, "2026-06-28");
	assert_int_equal(r->slow_projects[0]->rectifications_open, 1); /* R2 */
	assert_int_equal(r->slow_projects[0]->rectifications_overdue, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* As of 09-10: R1 and R3 done, R2 open and overdue (due 08-31); all
	 * three records (2 warning talks). */
	r = summary(s, W_DISCIPLINE, "2026-09-10");
	assert_int_equal(r->rectifications_done, 2);
	assert_int_equal(r->rectifications_open, 1);
	assert_int_equal(r->rectifications_overdue, 1);
	assert_int_equal(r->warning_talks, 2);
	assert_int_equal(r->accountability_total, 3);
	assert_int_equal(r->slow_projects[0]->rectifications_overdue, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* As of 06-28: only I1 and its two orders. */
	r = summary(s, W_ADMIN, "2026-06-28");
	assert_int_equal(r->inspections, 1);
	assert_int_equal(r->groups, 1);
	assert_int_equal(r->rectifications, 2);
	assert_int_equal(r->rectifications_open, 2);
	assert_int_equal(r->rectifications_overdue, 0);
	assert_int_equal(r->accountability_total, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A leader never learns of accountability records, not even their
	 * number; a town sees its projects' inspections (CRRC's only). */
	r = summary(s, W_LEADER, "2026-09-10");
	assert_true(r->has_accountability_shown);
	assert_false(r->accountability_shown);
	assert_false(r->has_warning_talks);
	assert_false(r->has_accountability_total);
	assert_int_equal(r->inspections, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = summary(s, W_TOWN_WX, "2026-09-10");
	assert_false(r->accountability_shown);
	assert_int_equal(r->inspections, 1);
	assert_int_equal(r->rectifications, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Lists: overdue as of 07-20 is R3 alone; XY sees no order of WX's. */
	Luoshi__V1__ListRectificationsRequest rl = LUOSHI__V1__LIST_RECTIFICATIONS_REQUEST__INIT;
	rl.has_overdue_only = true;
	rl.overdue_only = true;
	rl.as_of = (char *)"2026-07-20";
	Luoshi__V1__ListRectificationsResponse *rr =
	    (Luoshi__V1__ListRectificationsResponse *)rpc_ok(s, W_ADMIN, M_LIST_RECT, &rl.base);
	/* R3 was closed on 08-05, which is in the database now: overdue_only
	 * looks at open orders, so nothing is left. */
	assert_int_equal(rr->n_rectifications, 0);
	protobuf_c_message_free_unpacked(&rr->base, NULL);
	Luoshi__V1__ListRectificationsRequest all = LUOSHI__V1__LIST_RECTIFICATIONS_REQUEST__INIT;
	rr = (Luoshi__V1__ListRectificationsResponse *)rpc_ok(s, W_TOWN_XY, M_LIST_RECT, &all.base);
	assert_int_equal(rr->n_rectifications, 1); /* R3: MK stands in XY */
	assert_int_equal(rr->rectifications[0]->id, r3);
	protobuf_c_message_free_unpacked(&rr->base, NULL);
	/* ZJ leads CRRC: R1 and R2 are its project's. */
	rr = (Luoshi__V1__ListRectificationsResponse *)rpc_ok(s, W_DEPT_ZJ, M_LIST_RECT, &all.base);
	assert_int_equal(rr->n_rectifications, 2);
	assert_int_equal(rr->rectifications[0]->id, r1);
	assert_int_equal(rr->rectifications[1]->id, r2);
	protobuf_c_message_free_unpacked(&rr->base, NULL);
}

/* ---- approvals ----------------------------------------------------------------------------- */

static Luoshi__V1__ApprovalStatsResponse *approval_stats(const e2e_server *s, enum who w,
                                                         const char *as_of)
{
	Luoshi__V1__ApprovalStatsRequest r = LUOSHI__V1__APPROVAL_STATS_REQUEST__INIT;
	r.as_of = (char *)as_of;
	return (Luoshi__V1__ApprovalStatsResponse *)rpc_ok(s, w, M_APPROVAL_STATS, &r.base);
}

/*  project  item      dept  submitted   approved    visits  days
 *  CRRC     立项批复  FG    2026-01-05  2026-02-14  1        40
 *  CRRC     施工许可  ZJ    2026-02-01  2026-06-01  2       120
 *  MK       环评批复  SP    2026-03-01  -           0       pending
 *  SMALL    规划许可  SP    2026-04-01  2026-09-01  1       153 (not fast track)
 *  MK       用地预审  SP    2026-05-10  2026-05-20  0        10
 *  MK       节能审查  FG    2026-08-01  2026-08-05  3         4 */
static void test_approvals(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__SetApprovalRequest r =
	    approval("CRRC", "立项批复", "FG", "2026-01-05", "2026-02-14", 1);
	call_ok(s, W_DEPT_FG, M_SET_APPROVAL, &r.base); /* the department named */
	r = approval("CRRC", "施工许可", "ZJ", "2026-02-01", "2026-06-01", 2);
	call_ok(s, W_ADMIN, M_SET_APPROVAL, &r.base);
	r = approval("MK", "环评批复", "SP", "2026-03-01", NULL, 0);
	call_ok(s, W_DEPT_SP, M_SET_APPROVAL, &r.base);
	r = approval("SMALL", "规划许可", "SP", "2026-04-01", "2026-09-01", 1);
	call_ok(s, W_ADMIN, M_SET_APPROVAL, &r.base);
	r = approval("MK", "用地预审", "SP", "2026-05-10", "2026-05-20", 0);
	call_ok(s, W_ADMIN, M_SET_APPROVAL, &r.base);
	/* First pending with 5 visits, then set again whole. */
	r = approval("MK", "节能审查", "FG", "2026-08-01", NULL, 5);
	call_ok(s, W_DEPT_FG, M_SET_APPROVAL, &r.base);
	r = approval("MK", "节能审查", "FG", "2026-08-01", "2026-08-05", 3);
	Luoshi__V1__SetApprovalResponse *resp =
	    (Luoshi__V1__SetApprovalResponse *)rpc_ok(s, W_DEPT_FG, M_SET_APPROVAL, &r.base);
	assert_int_equal(resp->approval->days, 4);
	assert_true(resp->approval->fast_track);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	assert_int_equal(db_int(s, "SELECT count(*) FROM approvals"), 6);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'approval' AND"
	                           " before LIKE '%\"visits\":5,%' AND after LIKE '%2026-08-05%'"),
	                 1);

	/* As of 07-01: 节能审查 not submitted yet; 规划许可 still pending.
	 * Items 5; approved 40 + 120 + 10 = 170 days over 3: 56.67 → 566.7
	 * tenths → 567. Fast track (CRRC, MK): 立项, 施工, 环评, 用地 = 4;
	 * over 100 days: 施工 (120) and 环评 (pending 03-01..07-01 = 122) = 2.
	 * At most one visit: 立项, 环评, 规划, 用地 = 4 of 5 = 800‰. */
	Luoshi__V1__ApprovalStatsResponse *a = approval_stats(s, W_ADMIN, "2026-07-01");
	assert_int_equal(a->items, 5);
	assert_int_equal(a->approved, 3);
	assert_int_equal(a->pending, 2);
	assert_int_equal(a->approved_days, 170);
	assert_int_equal(a->average_days_x10, 567);
	assert_int_equal(a->fast_track_items, 4);
	assert_int_equal(a->fast_track_target_days, 100);
	assert_int_equal(a->fast_track_over_target, 2);
	assert_int_equal(a->at_most_one_visit, 4);
	assert_int_equal(a->one_visit_permille, 800);
	assert_int_equal(a->n_over_target, 2);
	assert_string_equal(a->over_target[0]->item, "施工许可");
	assert_int_equal(a->over_target[0]->days, 120);
	assert_string_equal(a->over_target[1]->item, "环评批复");
	assert_int_equal(a->over_target[1]->days, 122);
	protobuf_c_message_free_unpacked(&a->base, NULL);

	/* As of 12-31: items 6; approved 40 + 120 + 153 + 10 + 4 = 327 over
	 * 5: 65.4 → 654; fast track 5 (节能 too), over target 施工 and 环评
	 * (03-01..12-31 = 305 days) = 2; at most one visit 4 of 6 = 666.7‰ →
	 * 667. */
	a = approval_stats(s, W_ADMIN, "2026-12-31");
	assert_int_equal(a->items, 6);
	assert_int_equal(a->approved, 5);
	assert_int_equal(a->approved_days, 327);
	assert_int_equal(a->average_days_x10, 654);
	assert_int_equal(a->fast_track_items, 5);
	assert_int_equal(a->fast_track_over_target, 2);
	assert_int_equal(a->over_target[1]->days, 305);
	assert_int_equal(a->one_visit_permille, 667);
	protobuf_c_message_free_unpacked(&a->base, NULL);

	/* A viewer gets the figures without the items. */
	a = approval_stats(s, W_VIEWER, "2026-12-31");
	assert_int_equal(a->items, 6);
	assert_int_equal(a->one_visit_permille, 667);
	assert_int_equal(a->n_over_target, 0);
	protobuf_c_message_free_unpacked(&a->base, NULL);

	/* A department sees its own items even where the project is not
	 * routed to it: SP leads nothing, and has 3. */
	Luoshi__V1__ListApprovalsRequest lr = LUOSHI__V1__LIST_APPROVALS_REQUEST__INIT;
	Luoshi__V1__ListApprovalsResponse *l =
	    (Luoshi__V1__ListApprovalsResponse *)rpc_ok(s, W_DEPT_SP, M_LIST_APPROVALS, &lr.base);
	assert_int_equal(l->n_approvals, 3);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lr.has_pending_only = true;
	lr.pending_only = true;
	l = (Luoshi__V1__ListApprovalsResponse *)rpc_ok(s, W_ADMIN, M_LIST_APPROVALS, &lr.base);
	assert_int_equal(l->n_approvals, 1);
	assert_string_equal(l->approvals[0]->item, "环评批复");
	protobuf_c_message_free_unpacked(&l->base, NULL);

	/* Who may set what. */
	r = approval("CRRC", "立项批复", "FG", "2026-01-05", "2026-02-14", 1);
	expect_fail(s, W_DEPT_ZJ, M_SET_APPROVAL, &r.base, LS_PERMISSION_DENIED, "department");
	r = approval("CRRC", "施工许可", "FG", "2026-02-01", "2026-06-01", 1);
	expect_fail(s, W_DEPT_FG, M_SET_APPROVAL, &r.base, LS_PERMISSION_DENIED, "item");
	r = approval("CRRC", "新事项", "FG", "2026-02-01", NULL, 1);
	expect_fail(s, W_TOWN_WX, M_SET_APPROVAL, &r.base, LS_PERMISSION_DENIED, NULL);
	expect_fail(s, W_ADMIN_FH, M_SET_APPROVAL, &r.base, LS_PERMISSION_DENIED, "project");

	/* Bad input. */
	r = approval("CRRC", "新事项", "FG", "2026-03-01", "2026-02-01", 1);
	expect_fail(s, W_ADMIN, M_SET_APPROVAL, &r.base, LS_INVALID_ARGUMENT, "approved");
	r = approval("CRRC", "新事项", "FG", "2026-02-29", NULL, 1);
	expect_fail(s, W_ADMIN, M_SET_APPROVAL, &r.base, LS_INVALID_ARGUMENT, "submitted");
	r = approval("CRRC", "新事项", "FG", "2026-02-01", NULL, 101);
	expect_fail(s, W_ADMIN, M_SET_APPROVAL, &r.base, LS_INVALID_ARGUMENT, "visits");
	r = approval("CRRC", "新事项", "WX", "2026-02-01", NULL, 1);
	expect_fail(s, W_ADMIN, M_SET_APPROVAL, &r.base, LS_INVALID_ARGUMENT, "department");
	r = approval("CRRC", NULL, "FG", "2026-02-01", NULL, 1);
	expect_fail(s, W_ADMIN, M_SET_APPROVAL, &r.base, LS_INVALID_ARGUMENT, "item");
	r = approval("CRRC", "新事项", "FG", "2026-02-01", NULL, 1);
	r.has_visits = false;
	expect_fail(s, W_ADMIN, M_SET_APPROVAL, &r.base, LS_INVALID_ARGUMENT, "visits");
}

/* ---- land clearance ------------------------------------------------------------------------- */

static Luoshi__V1__ClearanceStatsResponse *clearance_stats(const e2e_server *s, enum who w,
                                                           const char *from, const char *to)
{
	Luoshi__V1__ClearanceStatsRequest r = LUOSHI__V1__CLEARANCE_STATS_REQUEST__INIT;
	r.from = (char *)from;
	r.to = (char *)to;
	return (Luoshi__V1__ClearanceStatsResponse *)rpc_ok(s, w, M_CLEARANCE_STATS, &r.base);
}

/*  project  month    target  cleared  demolished  households
 *  CRRC     2026-01  1000     800      5000        4
 *  CRRC     2026-02  1200    1100         0        6   (first set 1200/900)
 *  CRRC     2026-10   500     500       100        1
 *  MK       2026-03  2000    1500     20000       10
 *  SMALL    2026-05   300     300         0        0   (not on the nail list) */
static void test_clearance(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__SetClearanceRequest r = clearance("CRRC", "2026-01", 1000, 800, 5000, 4);
	call_ok(s, W_ADMIN, M_SET_CLEARANCE, &r.base);
	r = clearance("CRRC", "2026-02", 1200, 900, 0, 6);
	call_ok(s, W_ADMIN, M_SET_CLEARANCE, &r.base);
	r = clearance("中车产业基地", "2026-02", 1200, 1100, 0, 6);
	call_ok(s, W_ADMIN, M_SET_CLEARANCE, &r.base);
	r = clearance("CRRC", "2026-10", 500, 500, 100, 1);
	call_ok(s, W_ADMIN, M_SET_CLEARANCE, &r.base);
	r = clearance("MK", "2026-03", 2000, 1500, 20000, 10);
	call_ok(s, W_ADMIN, M_SET_CLEARANCE, &r.base);
	r = clearance("SMALL", "2026-05", 300, 300, 0, 0);
	call_ok(s, W_ADMIN, M_SET_CLEARANCE, &r.base);
	assert_int_equal(db_int(s, "SELECT count(*) FROM clearance"), 5);
	assert_int_equal(db_int(s, "SELECT count(*) FROM audit_log WHERE entity = 'clearance'"
	                           " AND before LIKE '%\"clearedM2\":\"900\"%'"
	                           " AND after LIKE '%\"clearedM2\":\"1100\"%'"),
	                 1);

	/* January to September: CRRC 2200/1900/5000/10 → 1900/2200 = 863.6‰
	 * → 864; MK 2000/1500/20000/10 → 750; SMALL 300/300 → 1000. Totals
	 * 4500/3700/25000/20 → 822.2‰ → 822. Nails: CRRC, MK (FH1 lies
	 * outside); with figures: 3. */
	Luoshi__V1__ClearanceStatsResponse *c = clearance_stats(s, W_ADMIN, "2026-01", "2026-09");
	assert_int_equal(c->n_projects, 3);
	assert_string_equal(c->projects[0]->project_code, "CRRC");
	assert_true(c->projects[0]->nail);
	assert_string_equal(c->projects[0]->leader_code, "L01");
	assert_int_equal(c->projects[0]->target_m2, 2200);
	assert_int_equal(c->projects[0]->cleared_m2, 1900);
	assert_int_equal(c->projects[0]->demolished_m2, 5000);
	assert_int_equal(c->projects[0]->households, 10);
	assert_int_equal(c->projects[0]->progress_permille, 864);
	assert_string_equal(c->projects[1]->project_code, "MK");
	assert_int_equal(c->projects[1]->progress_permille, 750);
	assert_string_equal(c->projects[2]->project_code, "SMALL");
	assert_false(c->projects[2]->nail);
	assert_int_equal(c->projects[2]->progress_permille, 1000);
	assert_int_equal(c->target_m2, 4500);
	assert_int_equal(c->cleared_m2, 3700);
	assert_int_equal(c->demolished_m2, 25000);
	assert_int_equal(c->households, 20);
	assert_int_equal(c->progress_permille, 822);
	assert_int_equal(c->nail_projects, 2);
	assert_int_equal(c->projects_with_figures, 3);
	protobuf_c_message_free_unpacked(&c->base, NULL);

	/* October to December: CRRC's October alone; MK stays on the list
	 * with nothing; SMALL drops off. */
	c = clearance_stats(s, W_ADMIN, "2026-10", "2026-12");
	assert_int_equal(c->n_projects, 2);
	assert_int_equal(c->projects[0]->cleared_m2, 500);
	assert_int_equal(c->projects[1]->target_m2, 0);
	assert_false(c->projects[1]->has_progress_permille);
	assert_int_equal(c->cleared_m2, 500);
	assert_int_equal(c->demolished_m2, 100);
	assert_int_equal(c->nail_projects, 2);
	assert_int_equal(c->projects_with_figures, 1);
	protobuf_c_message_free_unpacked(&c->base, NULL);

	/* A town sees its own projects' (CRRC, SMALL). */
	c = clearance_stats(s, W_TOWN_WX, "2026-01", "2026-09");
	assert_int_equal(c->n_projects, 2);
	assert_int_equal(c->cleared_m2, 2200);
	protobuf_c_message_free_unpacked(&c->base, NULL);

	/* Bad input and roles. */
	r = clearance("CRRC", "2026-04", 100, -5, 0, 0);
	expect_fail(s, W_ADMIN, M_SET_CLEARANCE, &r.base, LS_INVALID_ARGUMENT, "cleared_m2");
	r = clearance("CRRC", "2026-04", -1, 5, 0, 0);
	expect_fail(s, W_ADMIN, M_SET_CLEARANCE, &r.base, LS_INVALID_ARGUMENT, "target_m2");
	r = clearance("CRRC", "2026-04", 100, 5, -1, 0);
	expect_fail(s, W_ADMIN, M_SET_CLEARANCE, &r.base, LS_INVALID_ARGUMENT, "demolished_m2");
	r = clearance("CRRC", "2026-04", 100, 5, 0, -1);
	expect_fail(s, W_ADMIN, M_SET_CLEARANCE, &r.base, LS_INVALID_ARGUMENT, "households");
	r = clearance("CRRC", "2026-13", 100, 5, 0, 0);
	expect_fail(s, W_ADMIN, M_SET_CLEARANCE, &r.base, LS_INVALID_ARGUMENT, "month");
	r = clearance("CRRC", "2026-04-01", 100, 5, 0, 0);
	expect_fail(s, W_ADMIN, M_SET_CLEARANCE, &r.base, LS_INVALID_ARGUMENT, "month");
	r = clearance("CRRC", "2026-04", 100, 5, 0, 0);
	r.has_cleared_m2 = false;
	expect_fail(s, W_ADMIN, M_SET_CLEARANCE, &r.base, LS_INVALID_ARGUMENT, "cleared_m2");
	r = clearance("FH1", "2026-04", 100, 5, 0, 0);
	expect_fail(s, W_ADMIN, M_SET_CLEARANCE, &r.base, LS_PERMISSION_DENIED, "project");
	Luoshi__V1__ClearanceStatsRequest bad = LUOSHI__V1__CLEARANCE_STATS_REQUEST__INIT;
	bad.from = (char *)"2026-09";
	bad.to = (char *)"2026-01";
	expect_fail(s, W_ADMIN, M_CLEARANCE_STATS, &bad.base, LS_INVALID_ARGUMENT, "to");
}

/* ---- funding ------------------------------------------------------------------------------- */

#define AGREEMENT LUOSHI__V1__FUNDING_KIND__FUNDING_AGREEMENT
#define LOAN LUOSHI__V1__FUNDING_KIND__FUNDING_LOAN

static Luoshi__V1__FundingStatsResponse *funding_stats(const e2e_server *s, enum who w,
                                                       const char *as_of)
{
	Luoshi__V1__FundingStatsRequest r = LUOSHI__V1__FUNDING_STATS_REQUEST__INIT;
	r.as_of = (char *)as_of;
	return (Luoshi__V1__FundingStatsResponse *)rpc_ok(s, w, M_FUNDING_STATS, &r.base);
}

/*  source      kind       for     amount  signed      term
 *  国家开发银行  agreement  office  660000  2026-04-15   5
 *  国家开发银行  loan       CRRC    120000  2026-08-20  20
 *  工商银行      loan       MK       50000  2026-03-01  10
 *  工商银行      loan       CRRC     30000  2026-12-01   - */
static void test_funding(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__AddFundingRequest r =
	    funding("国家开发银行", AGREEMENT, NULL, "office", 660000, "2026-04-15", 5);
	Luoshi__V1__AddFundingResponse *resp =
	    (Luoshi__V1__AddFundingResponse *)rpc_ok(s, W_ADMIN, M_ADD_FUNDING, &r.base);
	assert_string_equal(resp->funding->unit_code, "office");
	assert_int_equal(resp->funding->term_years, 5);
	int64_t id = resp->funding->id;
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	r = funding("国家开发银行", LOAN, "CRRC", NULL, 120000, "2026-08-20", 20);
	call_ok(s, W_ADMIN, M_ADD_FUNDING, &r.base);
	r = funding("工商银行", LOAN, "MK", NULL, 50000, "2026-03-01", 10);
	call_ok(s, W_ADMIN, M_ADD_FUNDING, &r.base);
	r = funding("工商银行", LOAN, "CRRC", NULL, 30000, "2026-12-01", 0);
	call_ok(s, W_ADMIN, M_ADD_FUNDING, &r.base);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM audit_log WHERE entity = 'funding' AND entity_id = %" PRId64
	         " AND after LIKE '%%660000%%'",
	         id);
	assert_int_equal(db_int(s, sql), 1);

	/* Signed by 09-30: agreements 1 (660000), loans 2 (120000 + 50000 =
	 * 170000), total 830000; 国家开发银行 780000 first, 工商银行 50000. */
	Luoshi__V1__FundingStatsResponse *f = funding_stats(s, W_ADMIN, "2026-09-30");
	assert_int_equal(f->agreements, 1);
	assert_int_equal(f->loans, 2);
	assert_int_equal(f->agreement_amount, 660000);
	assert_int_equal(f->loan_amount, 170000);
	assert_int_equal(f->amount, 830000);
	assert_int_equal(f->n_sources, 2);
	assert_string_equal(f->sources[0]->source, "国家开发银行");
	assert_int_equal(f->sources[0]->amount, 780000);
	assert_int_equal(f->sources[0]->agreements, 1);
	assert_int_equal(f->sources[0]->loans, 1);
	assert_string_equal(f->sources[1]->source, "工商银行");
	assert_int_equal(f->sources[1]->amount, 50000);
	protobuf_c_message_free_unpacked(&f->base, NULL);
	/* By 12-31: one loan more, 860000. */
	f = funding_stats(s, W_VIEWER, "2026-12-31");
	assert_int_equal(f->loans, 3);
	assert_int_equal(f->amount, 860000);
	assert_int_equal(f->sources[1]->amount, 80000);
	protobuf_c_message_free_unpacked(&f->base, NULL);

	/* A town sees its projects' rows (CRRC's two), not the office's. */
	Luoshi__V1__ListFundingRequest lr = LUOSHI__V1__LIST_FUNDING_REQUEST__INIT;
	Luoshi__V1__ListFundingResponse *l =
	    (Luoshi__V1__ListFundingResponse *)rpc_ok(s, W_TOWN_WX, M_LIST_FUNDING, &lr.base);
	assert_int_equal(l->n_funding, 2);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lr.source = (char *)"国家开发银行";
	lr.has_kind = true;
	lr.kind = AGREEMENT;
	l = (Luoshi__V1__ListFundingResponse *)rpc_ok(s, W_ADMIN, M_LIST_FUNDING, &lr.base);
	assert_int_equal(l->n_funding, 1);
	assert_int_equal(l->funding[0]->amount, 660000);
	protobuf_c_message_free_unpacked(&l->base, NULL);

	/* Bad input. */
	r = funding("工商银行", LOAN, "CRRC", "office", 1000, "2026-03-01", 0);
	expect_fail(s, W_ADMIN, M_ADD_FUNDING, &r.base, LS_INVALID_ARGUMENT, "unit");
	r = funding("工商银行", LOAN, NULL, NULL, 1000, "2026-03-01", 0);
	expect_fail(s, W_ADMIN, M_ADD_FUNDING, &r.base, LS_INVALID_ARGUMENT, "project");
	r = funding("工商银行", LOAN, "CRRC", NULL, 0, "2026-03-01", 0);
	expect_fail(s, W_ADMIN, M_ADD_FUNDING, &r.base, LS_INVALID_ARGUMENT, "amount");
	r = funding("工商银行", LOAN, "CRRC", NULL, 1000000001LL, "2026-03-01", 0);
	expect_fail(s, W_ADMIN, M_ADD_FUNDING, &r.base, LS_INVALID_ARGUMENT, "amount");
	r = funding("工商银行", LOAN, "CRRC", NULL, 1000, "2026-03-01", 51);
	expect_fail(s, W_ADMIN, M_ADD_FUNDING, &r.base, LS_INVALID_ARGUMENT, "term_years");
	r = funding("工商银行", 3, "CRRC", NULL, 1000, "2026-03-01", 0);
	expect_fail(s, W_ADMIN, M_ADD_FUNDING, &r.base, LS_INVALID_ARGUMENT, "kind");
	r = funding(NULL, LOAN, "CRRC", NULL, 1000, "2026-03-01", 0);
	expect_fail(s, W_ADMIN, M_ADD_FUNDING, &r.base, LS_INVALID_ARGUMENT, "source");
	r = funding("工商银行", LOAN, "CRRC", NULL, 1000, "2026-3-1", 0);
	expect_fail(s, W_ADMIN, M_ADD_FUNDING, &r.base, LS_INVALID_ARGUMENT, "signed");
}

/* ---- every role against every write ------------------------------------------------------ */

/* One valid request per write RPC, and which roles may send it. */
static void test_role_matrix(void **state)
{
	e2e_server *s = *state;
	int64_t i1 =
	    record_inspection(s, W_DISCIPLINE, "DC1", "CRRC", "2026-06-28", LAYER_LG, true);
	int64_t r1 = order_ok(s, W_DISCIPLINE, i1, "WX", "2026-07-15");

	Luoshi__V1__LogActivityRequest act = activity("L01", "CRRC", WR, "2026-07-08");
	Luoshi__V1__RecordInspectionRequest insp =
	    inspection("DC1", "CRRC", "2026-06-29", LAYER_LG, false);
	Luoshi__V1__OrderRectificationRequest ord = order(i1, "ZJ", "2026-08-01");
	Luoshi__V1__UpdateRectificationRequest upd = rect_done(r1, "2026-07-10");
	Luoshi__V1__RecordAccountabilityRequest acc = accountability(
	    LUOSHI__V1__ACCOUNTABILITY_KIND__WARNING_TALK, "P01", NULL, "CRRC", i1, "2026-07-05");
	Luoshi__V1__SetApprovalRequest appr =
	    approval("CRRC", "施工许可", "ZJ", "2026-02-01", "2026-06-01", 1);
	Luoshi__V1__SetClearanceRequest clr = clearance("CRRC", "2026-01", 1000, 800, 0, 0);
	Luoshi__V1__AddFundingRequest fund =
	    funding("国家开发银行", LOAN, "CRRC", NULL, 1000, "2026-03-01", 5);
	const struct {
		const char *method;
		const ProtobufCMessage *req;
		bool allowed[W_COUNT];
	} cases[] = {
	    {M_LOG, &act.base, {[W_ADMIN] = true, [W_LEADER] = true}},
	    {M_INSPECT, &insp.base, {[W_INSPECTOR] = true, [W_DISCIPLINE] = true}},
	    {M_ORDER, &ord.base, {[W_INSPECTOR] = true, [W_DISCIPLINE] = true}},
	    {M_ACC, &acc.base, {[W_INSPECTOR] = true, [W_DISCIPLINE] = true}},
	    {M_SET_APPROVAL, &appr.base, {[W_ADMIN] = true, [W_DEPT_ZJ] = true}},
	    {M_SET_CLEARANCE, &clr.base, {[W_ADMIN] = true}},
	    {M_ADD_FUNDING, &fund.base, {[W_ADMIN] = true}},
	    /* Last, and written by one of the two only: a second "done" on
	     * the same day changes nothing. */
	    {M_UPDATE_RECT, &upd.base, {[W_ADMIN] = true, [W_TOWN_WX] = true}},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		for (int w = 0; w < W_COUNT; w++) {
			if (cases[k].allowed[w])
				continue;
			expect_fail(s, (enum who)w, cases[k].method, cases[k].req,
			            LS_PERMISSION_DENIED, NULL);
		}
		for (int w = 0; w < W_COUNT; w++) {
			if (!cases[k].allowed[w] ||
			    (strcmp(cases[k].method, M_UPDATE_RECT) == 0 && w == W_ADMIN))
				continue;
			char *before = fingerprint(s);
			call_ok(s, (enum who)w, cases[k].method, cases[k].req);
			char *after = fingerprint(s);
			if (strcmp(before, after) == 0)
				fail_msg("%s as %d wrote nothing", cases[k].method, w);
			free(before);
			free(after);
		}
	}
	/* The admin may close the order too (here: move its date). */
	upd = rect_done(r1, "2026-07-12");
	call_ok(s, W_ADMIN, M_UPDATE_RECT, &upd.base);
	assert_int_equal(db_int(s, "SELECT count(*) FROM rectifications WHERE done_date ="
	                           " '2026-07-12'"),
	                 1);
}

/* ---- paging ---------------------------------------------------------------------------------- */

static void test_paging(void **state)
{
	e2e_server *s = *state;
	/* Five inspections; pages of two: 2, 2, 1. */
	const char *dates[] = {"2026-06-22", "2026-06-23", "2026-06-24", "2026-06-25",
	                       "2026-06-26"};
	for (int i = 0; i < 5; i++)
		record_inspection(s, W_DISCIPLINE, i % 2 ? "DC2" : "DC1", i % 2 ? "MK" : "CRRC",
		                  dates[i], LAYER_LG, i == 4);
	Luoshi__V1__ListInspectionsRequest r = LUOSHI__V1__LIST_INSPECTIONS_REQUEST__INIT;
	r.has_page_size = true;
	r.page_size = 2;
	int pages = 0, rows = 0;
	char token[32] = "";
	int64_t last = 0;
	do {
		r.page_token = token[0] ? token : NULL;
		Luoshi__V1__ListInspectionsResponse *l =
		    (Luoshi__V1__ListInspectionsResponse *)rpc_ok(s, W_ADMIN, M_LIST_INSP, &r.base);
		pages++;
		for (size_t i = 0; i < l->n_inspections; i++) {
			assert_true(l->inspections[i]->id > last);
			last = l->inspections[i]->id;
			rows++;
		}
		snprintf(token, sizeof token, "%s", l->next_page_token ? l->next_page_token : "");
		protobuf_c_message_free_unpacked(&l->base, NULL);
	} while (token[0] != '\0');
	assert_int_equal(pages, 3);
	assert_int_equal(rows, 5);

	/* Filters: DC2's are 2; slow 1; from 06-24 on, 3; XY sees MK's 2. */
	Luoshi__V1__ListInspectionsRequest f = LUOSHI__V1__LIST_INSPECTIONS_REQUEST__INIT;
	f.group = (char *)"DC2";
	Luoshi__V1__ListInspectionsResponse *l =
	    (Luoshi__V1__ListInspectionsResponse *)rpc_ok(s, W_ADMIN, M_LIST_INSP, &f.base);
	assert_int_equal(l->n_inspections, 2);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	f.group = NULL;
	f.has_slow_only = f.slow_only = true;
	l = (Luoshi__V1__ListInspectionsResponse *)rpc_ok(s, W_ADMIN, M_LIST_INSP, &f.base);
	assert_int_equal(l->n_inspections, 1);
	assert_string_equal(l->inspections[0]->date, "2026-06-26");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	f.has_slow_only = f.slow_only = false;
	f.from = (char *)"2026-06-24";
	l = (Luoshi__V1__ListInspectionsResponse *)rpc_ok(s, W_ADMIN, M_LIST_INSP, &f.base);
	assert_int_equal(l->n_inspections, 3);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	Luoshi__V1__ListInspectionsRequest all = LUOSHI__V1__LIST_INSPECTIONS_REQUEST__INIT;
	l = (Luoshi__V1__ListInspectionsResponse *)rpc_ok(s, W_TOWN_XY, M_LIST_INSP, &all.base);
	assert_int_equal(l->n_inspections, 2);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	l = (Luoshi__V1__ListInspectionsResponse *)rpc_ok(s, W_VIEWER, M_LIST_INSP, &all.base);
	assert_int_equal(l->n_inspections, 0);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	all.page_token = (char *)"abc";
	expect_fail(s, W_ADMIN, M_LIST_INSP, &all.base, LS_INVALID_ARGUMENT, "page_token");
}

/* ---- the command line ----------------------------------------------------------------------- */

static void cli_expect(const e2e_server *s, enum who w, const char *lang, const char *const *args,
                       int status, e2e_run *r)
{
	e2e_cli(s->dir, s->tcp_url, token_of(s, w), lang, args, r);
	if (r->status != status) {
		fprintf(stderr, "stdout:\n%sstderr:\n%s", r->out, r->err);
		fail_msg("luoshi %s %s exited %d, want %d", args[0], args[1] ? args[1] : "",
		         r->status, status);
	}
}

static void test_cli(void **state)
{
	e2e_server *s = *state;
	e2e_run r;
	log_july(s);

	/* Chinese names as arguments. */
	const char *log[] = {"activity",     "log",          "--leader",     "张领导", "--project",
	                     "中车产业基地", "--kind",       "coordination", "--date", "2026-07-25",
	                     "--notes",      "周末现场协调", "--problems",   "1",      NULL};
	cli_expect(s, W_LEADER, NULL, log, 0, &r);
	assert_non_null(strstr(r.out, "中车产业基地"));
	assert_non_null(strstr(r.out, "2026-W30"));
	e2e_run_free(&r);
	assert_int_equal(db_int(s, "SELECT count(*) FROM leader_activities WHERE kind ="
	                           " 'coordination' AND date = '2026-07-25'"),
	                 1);

	const char *bad_kind[] = {"activity",  "log",        "--leader", "L01",
	                          "--project", "CRRC",       "--kind",   "lunch",
	                          "--date",    "2026-07-25", NULL};
	cli_expect(s, W_LEADER, NULL, bad_kind, LS_INVALID_ARGUMENT, &r);
	assert_non_null(strstr(r.err, "--kind"));
	e2e_run_free(&r);
	const char *other[] = {"activity",  "log",        "--leader", "L02",
	                       "--project", "MK",         "--kind",   "site-visit",
	                       "--date",    "2026-07-25", NULL};
	cli_expect(s, W_LEADER, NULL, other, LS_PERMISSION_DENIED, &r);
	e2e_run_free(&r);

	const char *cad[] = {"supervise", "cadence",    "--month", "2026-07",
	                     "--as-of",   "2026-08-31", NULL};
	cli_expect(s, W_ADMIN, NULL, cad, 0, &r);
	assert_non_null(strstr(r.out, "W27 W28 W30 W31"));
	assert_non_null(strstr(r.out, "Weeks without a review: 10"));
	e2e_run_free(&r);

	const char *insp[] = {
	    "inspection", "record",     "--group",    "第一督查组", "--project",
	    "CRRC",       "--date",     "2026-06-28", "--layer",    "leading-group",
	    "--slow",     "--findings", "征迁滞后",   NULL};
	cli_expect(s, W_INSPECTOR, NULL, insp, 0, &r);
	assert_non_null(strstr(r.out, "第一督查组"));
	e2e_run_free(&r);
	cli_expect(s, W_TOWN_WX, NULL, insp, LS_PERMISSION_DENIED, &r);
	e2e_run_free(&r);
	const char *ord[] = {
	    "rectification", "order",      "--inspection", "1",        "--owner", "五乡镇",
	    "--due",         "2026-07-15", "--text",       "限期整改", NULL};
	cli_expect(s, W_INSPECTOR, NULL, ord, 0, &r);
	e2e_run_free(&r);
	const char *done[] = {"rectification", "done", "1", "--date", "2026-07-10", NULL};
	cli_expect(s, W_TOWN_WX, NULL, done, 0, &r);
	assert_non_null(strstr(r.out, "2026-07-10"));
	e2e_run_free(&r);

	const char *acc[] = {
	    "accountability", "record",       "--kind", "warning-talk", "--person",
	    "王工",           "--inspection", "1",      "--date",       "2026-07-05",
	    "--text",         "约谈提醒",     NULL};
	cli_expect(s, W_DISCIPLINE, NULL, acc, 0, &r);
	e2e_run_free(&r);
	const char *acc_list[] = {"accountability", "list", NULL};
	cli_expect(s, W_LEADER, NULL, acc_list, LS_PERMISSION_DENIED, &r);
	e2e_run_free(&r);
	cli_expect(s, W_ADMIN, NULL, acc_list, 0, &r);
	assert_non_null(strstr(r.out, "王工"));
	e2e_run_free(&r);

	const char *sum[] = {"supervise", "summary", "--as-of", "2026-07-20", "--json", NULL};
	cli_expect(s, W_ADMIN, NULL, sum, 0, &r);
	assert_non_null(strstr(r.out, "\"rectificationsDone\": 1"));
	assert_non_null(strstr(r.out, "\"warningTalks\": 1"));
	e2e_run_free(&r);

	const char *appr[] = {
	    "approval",   "set",          "--project", "CRRC",        "--item",
	    "施工许可",   "--department", "ZJ",        "--submitted", "2026-02-01",
	    "--approved", "2026-06-01",   "--visits",  "1",           NULL};
	cli_expect(s, W_ADMIN, NULL, appr, 0, &r);
	e2e_run_free(&r);
	const char *appr_q[] = {"supervise", "approvals", "--as-of", "2026-12-31", NULL};
	cli_expect(s, W_ADMIN, NULL, appr_q, 0, &r);
	assert_non_null(strstr(r.out, "120.0")); /* one item of 120 days */
	assert_non_null(strstr(r.out, "1 (100.0%)"));
	e2e_run_free(&r);

	const char *clr[] = {"clearance",    "set",      "--project",    "MK",        "--month",
	                     "2026-03",      "--target", "2000",         "--cleared", "1500",
	                     "--demolished", "20000",    "--households", "10",        NULL};
	cli_expect(s, W_ADMIN, NULL, clr, 0, &r);
	e2e_run_free(&r);
	const char *neg[] = {"clearance", "set",  "--project", "MK", "--month", "2026-03",
	                     "--target",  "2000", "--cleared", "-1", NULL};
	cli_expect(s, W_ADMIN, NULL, neg, LS_INVALID_ARGUMENT, &r);
	e2e_run_free(&r);
	const char *clr_q[] = {"supervise", "clearance", "--from", "2026-01",
	                       "--to",      "2026-09",   NULL};
	cli_expect(s, W_ADMIN, NULL, clr_q, 0, &r);
	assert_non_null(strstr(r.out, "美康智能健康产业中心"));
	assert_non_null(strstr(r.out, "75.0%"));
	e2e_run_free(&r);

	const char *fund[] = {"funding",  "add",       "--source", "国家开发银行",
	                      "--kind",   "agreement", "--unit",   "office",
	                      "--amount", "660000",    "--signed", "2026-04-15",
	                      "--term",   "5",         NULL};
	cli_expect(s, W_ADMIN, NULL, fund, 0, &r);
	e2e_run_free(&r);
	const char *fund_q[] = {"supervise", "funding", "--as-of", "2026-12-31", NULL};
	cli_expect(s, W_ADMIN, NULL, fund_q, 0, &r);
	assert_non_null(strstr(r.out, "660000 (1)"));
	e2e_run_free(&r);

	const char *help[] = {"supervise", "--help", NULL};
	cli_expect(s, W_ADMIN, NULL, help, 0, &r);
	assert_non_null(strstr(r.out, "cadence"));
	e2e_run_free(&r);

	/* In Chinese. */
	locale_t l = newlocale(LC_ALL_MASK, "zh_CN.UTF-8", (locale_t)0);
	if (l == (locale_t)0)
		fail_msg("the zh_CN.UTF-8 locale is not installed");
	freelocale(l);
	cli_expect(s, W_ADMIN, "zh_CN.UTF-8", cad, 0, &r);
	assert_non_null(strstr(r.out, "未专题了解的周：10"));
	e2e_run_free(&r);
}

/* ---- the demo district ------------------------------------------------------------------------
 */

static const char *const demo_flag[] = {"--demo", NULL};

static int setup_demo(void **state)
{
	e2e_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -1;
	if (e2e_server_up(s, demo_flag) != 0) {
		e2e_server_cleanup(s);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

/* Counted by hand (awk) in server/demo:
 *  clearance.csv    243 months of the 27 land_clearance projects, all in
 *                   2026-01..09: target 120015, cleared 101000, demolished
 *                   1970000, households 595 → 101000/120015 = 841.6‰ → 842
 *  inspections.csv  99 (every city and district project), dc1 25, dc2 25,
 *                   dc3 25, dc4 24, dated 06-22..06-30; 8 slow
 *  rectifications.csv  8, one per slow project
 *  accountability.csv  20: 14 warning talks, 6 criticism
 *  approvals.csv    150 items, 142 with at most one visit → 946.7‰ → 947
 *  funding.csv      国家开发银行 agreement for office, 660000 万元, 5 years */
static void test_demo(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__ClearanceStatsResponse *c = clearance_stats(s, W_ADMIN, "2026-01", "2026-09");
	assert_int_equal(c->nail_projects, 27);
	assert_int_equal(c->n_projects, 27);
	assert_int_equal(c->projects_with_figures, 27);
	assert_int_equal(c->cleared_m2, 101000);
	assert_int_equal(c->demolished_m2, 1970000);
	assert_int_equal(c->target_m2, 120015);
	assert_int_equal(c->households, 595);
	assert_int_equal(c->progress_permille, 842);
	protobuf_c_message_free_unpacked(&c->base, NULL);

	Luoshi__V1__SupervisionSummaryResponse *r = summary(s, W_ADMIN, "2026-06-30");
	assert_int_equal(r->inspections, 99);
	assert_int_equal(r->inspected_projects, 99);
	assert_int_equal(r->groups, 4);
	assert_int_equal(r->rectifications, 8);
	assert_int_equal(r->rectifications_open, 8);
	assert_int_equal(r->slow_project_count, 8);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = summary(s, W_ADMIN, "2026-07-31");
	assert_int_equal(r->warning_talks, 14);
	assert_int_equal(r->criticisms, 6);
	assert_int_equal(r->accountability_total, 20);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	const char *groups[] = {"dc1", "dc2", "dc3", "dc4"};
	const size_t per_group[] = {25, 25, 25, 24};
	for (int g = 0; g < 4; g++) {
		Luoshi__V1__ListInspectionsRequest lr = LUOSHI__V1__LIST_INSPECTIONS_REQUEST__INIT;
		lr.group = (char *)groups[g];
		Luoshi__V1__ListInspectionsResponse *l =
		    (Luoshi__V1__ListInspectionsResponse *)rpc_ok(s, W_ADMIN, M_LIST_INSP,
		                                                  &lr.base);
		assert_int_equal(l->n_inspections, per_group[g]);
		protobuf_c_message_free_unpacked(&l->base, NULL);
	}

	Luoshi__V1__ApprovalStatsResponse *a = approval_stats(s, W_ADMIN, "2026-12-31");
	assert_int_equal(a->items, 150);
	assert_int_equal(a->at_most_one_visit, 142);
	assert_int_equal(a->one_visit_permille, 947);
	protobuf_c_message_free_unpacked(&a->base, NULL);

	Luoshi__V1__ListFundingRequest fr = LUOSHI__V1__LIST_FUNDING_REQUEST__INIT;
	fr.source = (char *)"国家开发银行";
	fr.has_kind = true;
	fr.kind = AGREEMENT;
	Luoshi__V1__ListFundingResponse *f =
	    (Luoshi__V1__ListFundingResponse *)rpc_ok(s, W_ADMIN, M_LIST_FUNDING, &fr.base);
	assert_int_equal(f->n_funding, 1);
	assert_int_equal(f->funding[0]->amount, 660000);
	assert_int_equal(f->funding[0]->term_years, 5);
	protobuf_c_message_free_unpacked(&f->base, NULL);
}

int main(void)
{
	setenv("LUOSHI_TEST_TIMEOUT_SCALE", "6", 0); /* the demo loads before serving */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_cadence, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_activities, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_supervision, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_approvals, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_clearance, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_funding, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_role_matrix, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_paging, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli, setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_demo, setup_demo, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_supervision", tests, NULL, NULL);
}
