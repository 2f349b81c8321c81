/* End to end: ProgressService. Submitting updates and their revisions,
 * year-to-date and since-start sums across a month and a year boundary,
 * reconciled months, every bad input of the issue, photos, the batch,
 * idempotency under repetition and concurrency, the role matrix, lists,
 * and the derived status of hand-made projects.
 *
 * Each test gets a fresh luoshid whose registry is loaded from the side
 * before it starts (units, a leader, projects, nodes), so that these tests
 * do not depend on the registry's RPCs. Calendar facts used below:
 * 2025-W52 is 2025-12-22..28; 2026-W01 is 2025-12-29..2026-01-04 and its
 * Thursday is 2026-01-01, so it belongs to January 2026; 2026-W05 is
 * 01-26..02-01 (Thursday 01-29: January); 2026-W06 is 02-02..08. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/progress.pb-c.h"

#define M_SUBMIT "/luoshi.v1.ProgressService/SubmitUpdate"
#define M_BATCH "/luoshi.v1.ProgressService/SubmitUpdates"
#define M_LIST "/luoshi.v1.ProgressService/ListUpdates"
#define M_GET "/luoshi.v1.ProgressService/GetUpdate"
#define M_PHOTO "/luoshi.v1.ProgressService/GetPhoto"
#define M_STATUS "/luoshi.v1.ProgressService/GetProjectStatus"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"

#define TOKEN_MAX 128

/* Units: the office (1, district, from init), two towns, a department; a
 * second district (5) with its own town (6), outside the office's scope. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01'),"
    " (5, 'BL', '北仑区', 'district', NULL, '2026-01-01'),"
    " (6, 'DQ', '大碶街道', 'town', 5, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', 1, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " created_at) VALUES"
    " (1, 'P1', '中车产业基地', 'district', 'industrial', 'continuing', 1, 4, 2, 218900,"
    "  'weekly', '2025-01-01', '2027-12-31', '2026-01-01'),"
    " (2, 'P2', '美康智能健康产业中心', 'district', 'livelihood', 'new', 1, 4, 3, 50000,"
    "  'weekly', '2026-01-05', '2027-06-30', '2026-01-01'),"
    " (3, 'P3', '鄞城大道', 'district', 'infrastructure', 'new', 1, 4, 2, 80000,"
    "  'monthly', '2025-06-01', '2026-12-31', '2026-01-01'),"
    " (9, 'P9', '北仑港区项目', 'district', 'infrastructure', 'new', 1, 5, 6, 1000,"
    "  'weekly', '2026-01-01', '2026-12-31', '2026-01-01');"
    "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) VALUES"
    " (1, 1, '地下室完工', '2026-06-30', 2, '2026-01-01'),"
    " (2, 1, '主体结顶', '2026-12-31', 2, '2026-01-01'),"
    " (3, 2, '桩基检测', '2026-03-31', 3, '2026-01-01');";

typedef struct fx {
	e2e_server s;
	char wx[TOKEN_MAX]; /* town 五乡镇: P1, P3 */
	char xy[TOKEN_MAX]; /* town 下应街道: P2 */
} fx;

/* Runs sql, which gives rows their ids. */
static void db_exec(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, sql);
	e2e_db_ids_given(db);
	e2e_db_close(db);
}

static int64_t db_count(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return n;
}

/* The rows an update writes, all tables together. */
static int64_t written(const e2e_server *s)
{
	return db_count(s, "SELECT (SELECT count(*) FROM updates) + (SELECT count(*) FROM "
	                   "update_nodes) + (SELECT count(*) FROM photos) + (SELECT count(*) "
	                   "FROM audit_log WHERE entity IN ('update', 'node')) + (SELECT "
	                   "count(*) FROM nodes WHERE done_date IS NOT NULL)");
}

/* CreateAccount with a unit and a person (either may be NULL). */
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

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		goto fail;
	db_exec(&f->s, FIXTURE);
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(&f->s, extra) != 0)
		goto fail;
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇 clerk", "WX", NULL, f->wx);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "下应 clerk", "XY", NULL, f->xy);
	*state = f;
	return 0;
fail:
	if (f != NULL)
		e2e_server_cleanup(&f->s);
	free(f);
	return -1;
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = 0;
	if (f != NULL) {
		if (f->s.pid > 0 && e2e_server_stop(&f->s) != 0)
			rc = -1;
		e2e_server_cleanup(&f->s);
		free(f);
	}
	return rc;
}

/* ---- calling ------------------------------------------------------------------ */

static Luoshi__V1__SubmitUpdateRequest upd(const char *project, const char *week, int64_t invested,
                                           uint32_t percent)
{
	Luoshi__V1__SubmitUpdateRequest r = LUOSHI__V1__SUBMIT_UPDATE_REQUEST__INIT;
	r.project = (char *)project;
	r.week = (char *)week;
	r.has_invested = true;
	r.invested = invested;
	r.has_percent = true;
	r.percent = percent;
	r.progress = (char *)"已完成地下室施工";
	return r;
}

/* Submits and returns the status; *out (when not NULL) the response. */
static int submit(luoshi_client *c, const Luoshi__V1__SubmitUpdateRequest *req, const char *key,
                  Luoshi__V1__SubmitUpdateResponse **out, ls_status *st)
{
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_SUBMIT, &req->base, key, &m, st);
	if (out != NULL)
		*out = (Luoshi__V1__SubmitUpdateResponse *)m;
	else if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* Submits and fails the test unless OK; returns the new update's id. */
static int64_t submit_ok(luoshi_client *c, const Luoshi__V1__SubmitUpdateRequest *req)
{
	Luoshi__V1__SubmitUpdateResponse *r;
	ls_status st;
	int rc = submit(c, req, NULL, &r, &st);
	if (rc != LS_OK)
		fail_msg("SubmitUpdate %s %s: %s %s: %s", req->project,
		         req->week    ? req->week
		         : req->month ? req->month
		                      : "-",
		         ls_code_name(rc), st.field, st.message);
	assert_non_null(r->update);
	int64_t id = r->update->id;
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return id;
}

/* Expects code naming field, and nothing written. */
static void submit_fails(const fx *f, luoshi_client *c, const Luoshi__V1__SubmitUpdateRequest *req,
                         int code, const char *field)
{
	int64_t before = written(&f->s);
	ls_status st;
	int rc = submit(c, req, NULL, NULL, &st);
	if (rc != code || strcmp(st.field, field) != 0)
		fail_msg("expected %s on '%s', got %s on '%s': %s", ls_code_name(code), field,
		         ls_code_name(rc), st.field, st.message);
	assert_int_equal(written(&f->s), before);
}

static Luoshi__V1__GetUpdateResponse *get_period(luoshi_client *c, const char *project,
                                                 const char *period)
{
	Luoshi__V1__GetUpdateRequest req = LUOSHI__V1__GET_UPDATE_REQUEST__INIT;
	req.project = (char *)project;
	req.period = (char *)period;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_GET, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("GetUpdate %s %s: %s %s", project, period, ls_code_name(rc), st.message);
	return (Luoshi__V1__GetUpdateResponse *)m;
}

/* The ytd and total of the latest revision of a period. */
static void sums(luoshi_client *c, const char *project, const char *period, int64_t ytd,
                 int64_t total)
{
	Luoshi__V1__GetUpdateResponse *r = get_period(c, project, period);
	assert_non_null(r->update);
	if (r->update->ytd_invested != ytd || r->update->total_invested != total)
		fail_msg("%s %s: ytd %" PRId64 " total %" PRId64 ", expected %" PRId64
		         " and %" PRId64,
		         project, period, r->update->ytd_invested, r->update->total_invested, ytd,
		         total);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static Luoshi__V1__ListUpdatesResponse *list(luoshi_client *c,
                                             const Luoshi__V1__ListUpdatesRequest *req, int expect)
{
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_LIST, &req->base, NULL, &m, &st);
	if (rc != expect)
		fail_msg("ListUpdates: %s %s", ls_code_name(rc), st.message);
	return (Luoshi__V1__ListUpdatesResponse *)m;
}

/* ---- submit and revisions ----------------------------------------------------- */

static void test_submit_and_revisions(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	Luoshi__V1__SubmitUpdateRequest req = upd("P1", "2026-W45", 100, 30);
	int64_t nodes[] = {1, 1};
	req.n_nodes_done = 2;
	req.nodes_done = nodes;
	req.has_output = true;
	req.output = 50;
	req.next_plan = (char *)"主体施工";
	req.support_needed = (char *)"协调供电";
	Luoshi__V1__SubmitUpdateResponse *r;
	ls_status st;
	assert_int_equal(submit(c, &req, NULL, &r, &st), LS_OK);
	const Luoshi__V1__Update *u = r->update;
	assert_non_null(u);
	int64_t first = u->id;
	assert_string_equal(u->project_code, "P1");
	assert_string_equal(u->project_name, "中车产业基地");
	assert_string_equal(u->period, "2026-W45");
	assert_int_equal(u->revision, 1);
	assert_true(u->has_latest && u->latest);
	assert_string_equal(u->unit_code, "WX");
	assert_string_equal(u->unit_name, "五乡镇");
	assert_string_equal(u->account_name, "五乡镇 clerk");
	assert_int_equal(u->invested, 100);
	assert_true(u->has_output);
	assert_int_equal(u->output, 50);
	assert_int_equal(u->percent, 30);
	assert_string_equal(u->progress, "已完成地下室施工");
	assert_string_equal(u->next_plan, "主体施工");
	assert_string_equal(u->support_needed, "协调供电");
	assert_int_equal(u->n_nodes_done, 1);
	assert_int_equal(u->nodes_done[0], 1);
	assert_int_equal(u->ytd_invested, 100);
	assert_int_equal(u->total_invested, 100);
	assert_non_null(u->submitted_at);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* Node 1 done on the week's last day, which has passed. */
	e2e_db *db = e2e_db_connect(&f->s);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM nodes WHERE id = 1 AND done_date = "
	                            "'2026-11-08'",
	                            NULL, NULL),
	                 1);
	assert_int_equal(
	    e2e_db_int(db, "SELECT count(*) FROM nodes WHERE done_date IS NOT NULL", NULL, NULL),
	    1);
	e2e_db_close(db);

	/* The same week again: revision 2, the first kept but no longer latest. */
	req = upd("中车产业基地", "2026-w45", 130, 35);
	assert_int_equal(submit(c, &req, NULL, &r, &st), LS_OK);
	int64_t second = r->update->id;
	assert_int_equal(r->update->revision, 2);
	assert_string_equal(r->update->period, "2026-W45");
	assert_int_equal(r->update->ytd_invested, 130);
	assert_int_equal(r->update->n_nodes_done, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	Luoshi__V1__GetUpdateResponse *g = get_period(c, "P1", "2026-W45");
	assert_int_equal(g->update->id, second);
	assert_int_equal(g->n_revisions, 2);
	assert_int_equal(g->revisions[0]->id, first);
	assert_int_equal(g->revisions[0]->revision, 1);
	assert_false(g->revisions[0]->latest);
	assert_int_equal(g->revisions[0]->invested, 100);
	assert_int_equal(g->revisions[1]->id, second);
	assert_true(g->revisions[1]->latest);
	protobuf_c_message_free_unpacked(&g->base, NULL);

	/* By id: the old revision itself, with the whole history. */
	Luoshi__V1__GetUpdateRequest gr = LUOSHI__V1__GET_UPDATE_REQUEST__INIT;
	gr.has_id = true;
	gr.id = first;
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_GET, &gr.base, NULL, &m, &st), LS_OK);
	g = (Luoshi__V1__GetUpdateResponse *)m;
	assert_int_equal(g->update->revision, 1);
	assert_false(g->update->latest);
	assert_int_equal(g->update->n_nodes_done, 1);
	assert_int_equal(g->n_revisions, 2);
	protobuf_c_message_free_unpacked(m, NULL);
	gr.id = 999;
	assert_int_equal(e2e_call(c, M_GET, &gr.base, NULL, &m, &st), LS_NOT_FOUND);
	luoshi_client_close(c);

	/* The history in the table and the audit log. */
	db = e2e_db_connect(&f->s);
	assert_int_equal(
	    e2e_db_int(db,
	               "SELECT count(*) FROM updates WHERE project_id = 1 AND period = "
	               "'2026-W45'",
	               NULL, NULL),
	    2);
	assert_int_equal(
	    e2e_db_int(db, "SELECT count(*) FROM updates WHERE latest = 1", NULL, NULL), 1);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM audit_log WHERE entity = 'update' AND "
	                            "project_id = 1 AND method = ?1 AND before IS NULL AND "
	                            "after LIKE '%\"revision\":1%'",
	                            M_SUBMIT, NULL),
	                 1);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM audit_log WHERE entity = 'update' AND "
	                            "project_id = 1 AND before LIKE '%\"revision\":1%' AND "
	                            "after LIKE '%\"revision\":2%' AND account_id = 2",
	                            NULL, NULL),
	                 1);
	assert_int_equal(
	    e2e_db_int(db,
	               "SELECT count(*) FROM audit_log WHERE entity = 'node' AND "
	               "entity_id = 1 AND project_id = 1 AND before LIKE "
	               "'%\"done\":false%' AND after LIKE '%\"doneDate\":\"2026-11-08\"%'",
	               NULL, NULL),
	    1);
	e2e_db_close(db);
}

/* ---- year to date and since the start ------------------------------------------- */

static void test_sums_across_years(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	/* Out of order, so that nothing can be a running total kept on write. */
	static const struct {
		const char *week;
		int64_t invested;
	} weeks[] = {
	    {"2026-W06", 320}, {"2025-W51", 10},  {"2026-W01", 40},
	    {"2025-W52", 20},  {"2026-W05", 160}, {"2026-W02", 80},
	};
	for (size_t i = 0; i < sizeof weeks / sizeof weeks[0]; i++) {
		Luoshi__V1__SubmitUpdateRequest r = upd("P1", weeks[i].week, weeks[i].invested, 10);
		submit_ok(c, &r);
	}
	/* A revision replaces its period's figure in every sum. */
	Luoshi__V1__SubmitUpdateRequest r = upd("P1", "2025-W52", 25, 11);
	submit_ok(c, &r);

	sums(c, "P1", "2025-W51", 10, 10);
	sums(c, "P1", "2025-W52", 10 + 25, 35);
	/* W01 belongs to 2026: its year starts afresh. */
	sums(c, "P1", "2026-W01", 40, 35 + 40);
	sums(c, "P1", "2026-W02", 40 + 80, 155);
	sums(c, "P1", "2026-W05", 120 + 160, 315);
	sums(c, "P1", "2026-W06", 280 + 320, 635);

	/* Monthly: December 2025, then January and February 2026. */
	Luoshi__V1__SubmitUpdateRequest mr = upd("P3", NULL, 7, 10);
	mr.month = (char *)"2025-12";
	submit_ok(c, &mr);
	mr.month = (char *)"2026-01";
	mr.invested = 11;
	submit_ok(c, &mr);
	mr.month = (char *)"2026-02";
	mr.invested = 13;
	submit_ok(c, &mr);
	sums(c, "P3", "2025-12", 7, 7);
	sums(c, "P3", "2026-01", 11, 18);
	sums(c, "P3", "2026-02", 24, 31);

	/* A month lists its own weeks (by their Thursday) and itself. */
	Luoshi__V1__ListUpdatesRequest lq = LUOSHI__V1__LIST_UPDATES_REQUEST__INIT;
	lq.period = (char *)"2026-01";
	Luoshi__V1__ListUpdatesResponse *l = list(c, &lq, LS_OK);
	assert_int_equal(l->n_updates, 4);
	const char *jan[] = {"2026-W01", "2026-01", "2026-W05", "2026-W02"};
	for (size_t i = 0; i < 4; i++) {
		bool found = false;
		for (size_t k = 0; k < l->n_updates; k++)
			found |= strcmp(l->updates[k]->period, jan[i]) == 0;
		if (!found)
			fail_msg("%s missing from the list of 2026-01", jan[i]);
	}
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lq.period = (char *)"2025-12";
	l = list(c, &lq, LS_OK);
	assert_int_equal(l->n_updates, 3); /* W51, W52 (latest only), 2025-12 */
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lq.has_all_revisions = true;
	lq.all_revisions = true;
	l = list(c, &lq, LS_OK);
	assert_int_equal(l->n_updates, 4);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lq.all_revisions = false;
	lq.period = (char *)"2026-Q1";
	l = list(c, &lq, LS_OK);
	assert_int_equal(l->n_updates, 6); /* W01 W02 W05 W06, 2026-01, 2026-02 */
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lq.period = (char *)"2026-W05";
	l = list(c, &lq, LS_OK);
	assert_int_equal(l->n_updates, 1);
	assert_int_equal(l->updates[0]->ytd_invested, 280);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lq.period = (char *)"2026-13";
	l = list(c, &lq, LS_INVALID_ARGUMENT);
	luoshi_client_close(c);
}

/* ---- reconciled months -------------------------------------------------------- */

static void test_locked_months(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	db_exec(&f->s, "INSERT INTO period_locks(month, locked_at) VALUES ('2025-12', "
	               "'2026-01-05T10:00:00+08:00')");
	Luoshi__V1__SubmitUpdateRequest r = upd("P1", "2025-W52", 20, 10);
	submit_fails(f, c, &r, LS_FAILED_PRECONDITION, "week");
	ls_status st;
	assert_int_equal(submit(c, &r, NULL, NULL, &st), LS_FAILED_PRECONDITION);
	assert_non_null(strstr(st.message, "2025-12 is reconciled"));
	/* W01 begins in December but belongs to January. */
	r = upd("P1", "2026-W01", 40, 10);
	submit_ok(c, &r);
	Luoshi__V1__SubmitUpdateRequest m = upd("P3", NULL, 5, 10);
	m.month = (char *)"2025-12";
	submit_fails(f, c, &m, LS_FAILED_PRECONDITION, "month");

	/* January reconciled: W01 takes no second revision, nor W05. */
	db_exec(&f->s, "INSERT INTO period_locks(month, locked_at) VALUES ('2026-01', "
	               "'2026-02-03T10:00:00+08:00')");
	r = upd("P1", "2026-W01", 41, 11);
	submit_fails(f, c, &r, LS_FAILED_PRECONDITION, "week");
	assert_int_equal(submit(c, &r, NULL, NULL, &st), LS_FAILED_PRECONDITION);
	assert_non_null(strstr(st.message, "2026-01 is reconciled"));
	r = upd("P1", "2026-W05", 1, 11);
	submit_fails(f, c, &r, LS_FAILED_PRECONDITION, "week");
	r = upd("P1", "2026-W06", 1, 11);
	submit_ok(c, &r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 2);
	assert_int_equal(db_count(&f->s, "SELECT max(revision) FROM updates"), 1);
	luoshi_client_close(c);
}

/* ---- bad input -------------------------------------------------------------------- */

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

static void test_bad_input(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	Luoshi__V1__SubmitUpdateRequest r;

	r = upd("NOPE", "2026-W45", 1, 1);
	submit_fails(f, c, &r, LS_NOT_FOUND, "project");
	r = upd(NULL, "2026-W45", 1, 1);
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "project");
	r = upd("P1", "2026-W45", 1, 101);
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "percent");
	r = upd("P1", "2026-W45", -1, 1);
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "invested");
	r = upd("P1", "2026-W45", 1000000001, 1);
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "invested");
	r = upd("P1", "2026-W45", 1, 1);
	r.has_output = true;
	r.output = -5;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "output");
	r = upd("P1", "2026-W45", 1, 1);
	r.has_invested = false;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "invested");
	r = upd("P1", "2026-W45", 1, 1);
	r.has_percent = false;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "percent");
	r = upd("P1", "2026-W45", 1, 1);
	r.progress = (char *)"";
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "progress");

	/* Periods. */
	r = upd("P1", "2026-W54", 1, 1);
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "week");
	r = upd("P1", "2025-W53", 1, 1); /* 2025 has 52 weeks */
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "week");
	r = upd("P1", "2026-11", 1, 1);
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "week");
	r = upd("P1", NULL, 1, 1);
	r.month = (char *)"2026-11";
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "month"); /* P1 reports weekly */
	r = upd("P3", "2026-W45", 1, 1);
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "week"); /* P3 reports monthly */
	r = upd("P1", "2026-W45", 1, 1);
	r.month = (char *)"2026-11";
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "week");
	r = upd("P1", "2030-W01", 1, 1);
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "week"); /* not begun */
	r = upd("P3", NULL, 1, 1);
	r.month = (char *)"2031-01";
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "month");
	r = upd("P1", NULL, 1, 1);
	r.date = (char *)"2031-01-01";
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "date");
	r.date = (char *)"2026-02-30";
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "date");

	/* Texts over 2,000 bytes. */
	char *big = repeat('x', 2001);
	r = upd("P1", "2026-W45", 1, 1);
	r.progress = big;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "progress");
	r = upd("P1", "2026-W45", 1, 1);
	r.next_plan = big;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "next_plan");
	r = upd("P1", "2026-W45", 1, 1);
	r.support_needed = big;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "support_needed");
	free(big);

	/* Nodes of another project, or none at all. */
	int64_t other[] = {1, 3};
	r = upd("P1", "2026-W45", 1, 1);
	r.n_nodes_done = 2;
	r.nodes_done = other;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "nodes_done");
	int64_t none[] = {999};
	r.n_nodes_done = 1;
	r.nodes_done = none;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "nodes_done");

	/* Another town's project by its code, and by its name; another
	 * district's project. */
	r = upd("P2", "2026-W45", 1, 1);
	submit_fails(f, c, &r, LS_PERMISSION_DENIED, "project");
	r = upd("美康智能健康产业中心", "2026-W45", 1, 1);
	submit_fails(f, c, &r, LS_NOT_FOUND, "project");
	luoshi_client_close(c);
	c = e2e_client(f->s.tcp_url, f->s.admin_token, 10000);
	r = upd("P9", "2026-W45", 1, 1);
	submit_fails(f, c, &r, LS_PERMISSION_DENIED, "project");

	/* A project that is archived. */
	db_exec(&f->s, "UPDATE projects SET archived = 1 WHERE id = 3");
	r = upd("P3", NULL, 1, 1);
	r.month = (char *)"2026-10";
	submit_fails(f, c, &r, LS_FAILED_PRECONDITION, "project");
	luoshi_client_close(c);
	assert_int_equal(written(&f->s), 0);
}

/* ---- photos ---------------------------------------------------------------------- */

static uint8_t *image(const char *kind, size_t n)
{
	static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0};
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t *d = malloc(n);
	assert_non_null(d);
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 131u + (i >> 8) * 7u); /* zeros and high bytes too */
	if (strcmp(kind, "jpeg") == 0)
		memcpy(d, jpeg, sizeof jpeg);
	else if (strcmp(kind, "png") == 0)
		memcpy(d, png, sizeof png);
	return d;
}

static void test_photos(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	uint8_t *jpg = image("jpeg", 70000), *png = image("png", 3000);
	Luoshi__V1__Photo p[5];
	Luoshi__V1__Photo *pp[5];
	for (int i = 0; i < 5; i++) {
		luoshi__v1__photo__init(&p[i]);
		pp[i] = &p[i];
	}
	p[0].name = (char *)"工地.jpg";
	p[0].has_data = true;
	p[0].data = (ProtobufCBinaryData){70000, jpg};
	p[1].has_data = true;
	p[1].data = (ProtobufCBinaryData){3000, png};

	/* A text file is no photo, wherever it stands. */
	const char *text = "this is not an image\n";
	Luoshi__V1__SubmitUpdateRequest r = upd("P1", "2026-W44", 1, 1);
	p[2].has_data = true;
	p[2].data = (ProtobufCBinaryData){strlen(text), (uint8_t *)text};
	r.n_photos = 3;
	r.photos = pp;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "photos[2].data");
	/* Five are one too many; one over 2 MiB is too big; a long name. */
	p[2].data = (ProtobufCBinaryData){3000, png};
	p[3] = p[2];
	p[4] = p[2];
	r.n_photos = 5;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "photos");
	uint8_t *huge = image("jpeg", 2 * 1024 * 1024 + 1);
	Luoshi__V1__Photo h = p[0];
	h.data = (ProtobufCBinaryData){2 * 1024 * 1024 + 1, huge};
	Luoshi__V1__Photo *hp[] = {&h};
	r.n_photos = 1;
	r.photos = hp;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "photos[0].data");
	free(huge);
	char *long_name = repeat('n', 201);
	h = p[1];
	h.name = long_name;
	submit_fails(f, c, &r, LS_INVALID_ARGUMENT, "photos[0].name");
	free(long_name);

	/* Two good ones, and a progress text of exactly 2,000 bytes. */
	char *limit = repeat('y', 2000);
	r = upd("P1", "2026-W44", 1, 1);
	r.progress = limit;
	r.n_photos = 2;
	r.photos = pp;
	Luoshi__V1__SubmitUpdateResponse *resp;
	ls_status st;
	assert_int_equal(submit(c, &r, NULL, &resp, &st), LS_OK);
	free(limit);
	assert_int_equal(resp->update->n_photos, 2);
	int64_t ids[2];
	for (int i = 0; i < 2; i++)
		ids[i] = resp->update->photos[i]->id;
	assert_string_equal(resp->update->photos[0]->name, "工地.jpg");
	assert_string_equal(resp->update->photos[0]->content_type, "image/jpeg");
	assert_int_equal(resp->update->photos[0]->size, 70000);
	assert_string_equal(resp->update->photos[1]->name, "photo-2.png");
	assert_string_equal(resp->update->photos[1]->content_type, "image/png");
	protobuf_c_message_free_unpacked(&resp->base, NULL);

	/* Back byte for byte. */
	const uint8_t *want[] = {jpg, png};
	size_t lens[] = {70000, 3000};
	for (int i = 0; i < 2; i++) {
		Luoshi__V1__GetPhotoRequest g = LUOSHI__V1__GET_PHOTO_REQUEST__INIT;
		g.has_id = true;
		g.id = ids[i];
		ProtobufCMessage *m;
		assert_int_equal(e2e_call(c, M_PHOTO, &g.base, NULL, &m, &st), LS_OK);
		const Luoshi__V1__GetPhotoResponse *gp = (Luoshi__V1__GetPhotoResponse *)m;
		assert_int_equal(gp->data.len, lens[i]);
		assert_memory_equal(gp->data.data, want[i], lens[i]);
		assert_int_equal(gp->photo->size, lens[i]);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	luoshi_client_close(c);

	/* Through the command line, to a file. */
	char idtext[24], out[E2E_PATH_MAX];
	snprintf(idtext, sizeof idtext, "%" PRId64, ids[0]);
	snprintf(out, sizeof out, "%s/back.jpg", f->s.dir);
	const char *args[] = {"update", "photo", idtext, "--out", out, NULL};
	e2e_run run;
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, args, &run);
	assert_int_equal(run.status, 0);
	e2e_run_free(&run);
	size_t n;
	char *back = e2e_read_file(out, &n);
	assert_non_null(back);
	assert_int_equal(n, 70000);
	assert_memory_equal(back, jpg, 70000);
	free(back);

	/* Another town sees no photo of P1; neither does a viewer. */
	char viewer[TOKEN_MAX];
	account(&f->s, LUOSHI__V1__ROLE__ROLE_VIEWER, "viewer", NULL, NULL, viewer);
	const char *tokens[] = {f->xy, viewer};
	for (int i = 0; i < 2; i++) {
		c = e2e_client(f->s.tcp_url, tokens[i], 10000);
		Luoshi__V1__GetPhotoRequest g = LUOSHI__V1__GET_PHOTO_REQUEST__INIT;
		g.has_id = true;
		g.id = ids[0];
		ProtobufCMessage *m;
		assert_int_equal(e2e_call(c, M_PHOTO, &g.base, NULL, &m, &st), LS_NOT_FOUND);
		luoshi_client_close(c);
	}

	/* The command line checks a photo file before sending it. */
	char txt[E2E_PATH_MAX];
	snprintf(txt, sizeof txt, "%s/notes.txt", f->s.dir);
	assert_int_equal(e2e_write_file(txt, text), 0);
	int64_t before = written(&f->s);
	const char *bad[] = {"update",     "submit",     "--project", "P1",        "--week",
	                     "2026-W43",   "--invested", "1",         "--percent", "1",
	                     "--progress", "x",          "--photo",   txt,         NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, bad, &run);
	assert_int_equal(run.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(run.err, "neither a JPEG nor a PNG"));
	e2e_run_free(&run);
	snprintf(txt, sizeof txt, "%s/missing.jpg", f->s.dir);
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, bad, &run);
	assert_int_equal(run.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(run.err, "missing.jpg"));
	e2e_run_free(&run);
	assert_int_equal(written(&f->s), before);
	free(jpg);
	free(png);
}

/* ---- the batch -------------------------------------------------------------------- */

static int batch(luoshi_client *c, Luoshi__V1__SubmitUpdateRequest *items, size_t n,
                 Luoshi__V1__SubmitUpdatesResponse **out, ls_status *st)
{
	Luoshi__V1__SubmitUpdateRequest **ptrs = malloc((n ? n : 1) * sizeof *ptrs);
	assert_non_null(ptrs);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &items[i];
	Luoshi__V1__SubmitUpdatesRequest req = LUOSHI__V1__SUBMIT_UPDATES_REQUEST__INIT;
	req.n_updates = n;
	req.updates = ptrs;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_BATCH, &req.base, NULL, &m, st);
	free(ptrs);
	if (out != NULL)
		*out = (Luoshi__V1__SubmitUpdatesResponse *)m;
	else if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

static void test_batch(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	Luoshi__V1__SubmitUpdateRequest items[6] = {
	    upd("P1", "2026-W40", 1, 10),  upd("P1", "2026-W41", 2, 11),
	    upd("P1", "2026-W42", 4, 12),  upd("P1", "2026-W43", 8, 13),
	    upd("P1", "2026-W41", 16, 14), upd("P3", NULL, 32, 15),
	};
	items[5].month = (char *)"2026-10";
	ls_status st;
	items[3].percent = 101;
	assert_int_equal(batch(c, items, 6, NULL, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "updates[3].percent");
	assert_int_equal(written(&f->s), 0);
	items[3].percent = 13;
	items[4].project = (char *)"P2";
	assert_int_equal(batch(c, items, 6, NULL, &st), LS_PERMISSION_DENIED);
	assert_string_equal(st.field, "updates[4].project");
	assert_int_equal(written(&f->s), 0);
	items[4].project = (char *)"P1";
	items[5].week = (char *)"2026-W41";
	assert_int_equal(batch(c, items, 6, NULL, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "updates[5].week");
	assert_int_equal(written(&f->s), 0);
	items[5].week = NULL;

	Luoshi__V1__SubmitUpdatesResponse *r;
	assert_int_equal(batch(c, items, 6, &r, &st), LS_OK);
	assert_int_equal(r->n_updates, 6);
	/* In order; the second W41 is its revision 2, and the first is read
	 * back as no longer the latest. */
	assert_string_equal(r->updates[0]->period, "2026-W40");
	assert_string_equal(r->updates[1]->period, "2026-W41");
	assert_int_equal(r->updates[1]->revision, 1);
	assert_false(r->updates[1]->latest);
	assert_int_equal(r->updates[4]->revision, 2);
	assert_true(r->updates[4]->latest);
	assert_string_equal(r->updates[5]->period, "2026-10");
	/* W43's sums: W40 1 + W41 16 (latest) + W42 4 + W43 8. */
	assert_int_equal(r->updates[3]->ytd_invested, 29);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 6);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'update'"),
	                 6);

	/* At most 5,000 in one call. */
	Luoshi__V1__SubmitUpdateRequest *many = calloc(5001, sizeof *many);
	assert_non_null(many);
	for (size_t i = 0; i < 5001; i++)
		many[i] = upd("P1", "2026-W39", 1, 1);
	assert_int_equal(batch(c, many, 5001, NULL, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "updates");
	free(many);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 6);
	luoshi_client_close(c);
}

/* ---- idempotency ---------------------------------------------------------------------- */

#define RACERS 8

typedef struct racer {
	const char *url, *token, *key;
	pthread_barrier_t *start;
	luoshi_client *c;
	int rc;
	uint8_t *packed;
	size_t len;
} racer;

/* The response packed again, to compare answers byte for byte. */
static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *b = malloc(*len ? *len : 1);
	if (b != NULL)
		protobuf_c_message_pack(m, b);
	return b;
}

static void *race(void *arg)
{
	racer *r = arg;
	Luoshi__V1__SubmitUpdateRequest req = upd("P1", "2026-W30", 777, 40);
	ls_status st;
	ProtobufCMessage *m = NULL;
	pthread_barrier_wait(r->start);
	r->rc = luoshi_client_call(r->c, M_SUBMIT, &req.base, r->key, &m, &st);
	if (m != NULL) {
		r->packed = pack(m, &r->len);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return NULL;
}

static void test_idempotency(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	char key[LUOSHI_KEY_SIZE];
	luoshi_new_key(key);
	Luoshi__V1__SubmitUpdateRequest req = upd("P1", "2026-W29", 500, 33);
	uint8_t *first = NULL;
	size_t first_len = 0;
	for (int i = 0; i < 50; i++) {
		Luoshi__V1__SubmitUpdateResponse *r;
		ls_status st;
		int rc = submit(c, &req, key, &r, &st);
		if (rc != LS_OK)
			fail_msg("attempt %d: %s %s", i, ls_code_name(rc), st.message);
		size_t len;
		uint8_t *b = pack(&r->base, &len);
		assert_non_null(b);
		if (first == NULL) {
			first = b;
			first_len = len;
			assert_int_equal(r->update->revision, 1);
		} else {
			assert_int_equal(len, first_len);
			assert_memory_equal(b, first, len);
			free(b);
		}
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	free(first);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'update'"),
	                 1);

	/* The same key with another request. */
	Luoshi__V1__SubmitUpdateRequest other = upd("P1", "2026-W29", 501, 33);
	ls_status st;
	assert_int_equal(submit(c, &other, key, NULL, &st), LS_FAILED_PRECONDITION);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 1);
	luoshi_client_close(c);

	/* Eight clients at once with one key: one row, one answer. */
	char key2[LUOSHI_KEY_SIZE];
	luoshi_new_key(key2);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, RACERS);
	racer rs[RACERS];
	pthread_t th[RACERS];
	for (int i = 0; i < RACERS; i++) {
		rs[i] = (racer){.key = key2, .start = &start};
		rs[i].c = e2e_client(f->s.tcp_url, f->wx, 20000);
	}
	for (int i = 0; i < RACERS; i++)
		if (pthread_create(&th[i], NULL, race, &rs[i]) != 0)
			abort(); /* the barrier would never open */
	for (int i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < RACERS; i++) {
		luoshi_client_close(rs[i].c);
		assert_int_equal(rs[i].rc, LS_OK);
		assert_non_null(rs[i].packed);
		assert_int_equal(rs[i].len, rs[0].len);
		assert_memory_equal(rs[i].packed, rs[0].packed, rs[0].len);
	}
	for (int i = 0; i < RACERS; i++)
		free(rs[i].packed);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE period = '2026-W30'"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 2);
}

/* ---- roles ----------------------------------------------------------------------------- */

static void test_roles(void **state)
{
	fx *f = *state;
	static const struct {
		int role;
		const char *name, *unit, *person;
	} denied[] = {
	    {LUOSHI__V1__ROLE__ROLE_VIEWER, "viewer", NULL, NULL},
	    {LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "发改局", "FGJ", NULL},
	    {LUOSHI__V1__ROLE__ROLE_LEADER, "张区长", NULL, "L01"},
	    {LUOSHI__V1__ROLE__ROLE_INSPECTOR, "督查组", NULL, NULL},
	    {LUOSHI__V1__ROLE__ROLE_DISCIPLINE, "区纪委", NULL, NULL},
	};
	char tokens[5][TOKEN_MAX];
	for (int i = 0; i < 5; i++) {
		account(&f->s, denied[i].role, denied[i].name, denied[i].unit, denied[i].person,
		        tokens[i]);
		luoshi_client *c = e2e_client(f->s.tcp_url, tokens[i], 10000);
		Luoshi__V1__SubmitUpdateRequest r = upd("P1", "2026-W45", 1, 1);
		submit_fails(f, c, &r, LS_PERMISSION_DENIED, "");
		Luoshi__V1__SubmitUpdateRequest b[] = {upd("P1", "2026-W45", 1, 1)};
		ls_status st;
		assert_int_equal(batch(c, b, 1, NULL, &st), LS_PERMISSION_DENIED);
		luoshi_client_close(c);
	}
	assert_int_equal(written(&f->s), 0);

	/* Admin and the project's own town may. */
	luoshi_client *c = e2e_client(f->s.tcp_url, f->s.admin_token, 10000);
	Luoshi__V1__SubmitUpdateRequest r = upd("P1", "2026-W45", 1, 1);
	submit_ok(c, &r);
	luoshi_client_close(c);
	c = e2e_client(f->s.tcp_url, f->wx, 10000);
	r = upd("P1", "2026-W45", 2, 2);
	submit_ok(c, &r);
	luoshi_client_close(c);
	c = e2e_client(f->s.tcp_url, f->xy, 10000);
	r = upd("P2", "2026-W45", 3, 3);
	submit_ok(c, &r);
	luoshi_client_close(c);

	/* Who reads what: the viewer nothing, the department (lead unit of
	 * both) and the leader both, each town its own. */
	Luoshi__V1__ListUpdatesRequest lq = LUOSHI__V1__LIST_UPDATES_REQUEST__INIT;
	const char *readers[] = {tokens[0], tokens[1], tokens[2], tokens[3],
	                         tokens[4], f->wx,     f->xy};
	const size_t expect[] = {0, 2, 2, 2, 2, 1, 1};
	for (int i = 0; i < 7; i++) {
		c = e2e_client(f->s.tcp_url, readers[i], 10000);
		Luoshi__V1__ListUpdatesResponse *l = list(c, &lq, LS_OK);
		if (l->n_updates != expect[i])
			fail_msg("reader %d sees %zu updates, not %zu", i, l->n_updates, expect[i]);
		protobuf_c_message_free_unpacked(&l->base, NULL);
		luoshi_client_close(c);
	}
	/* A town asking for another town's project by name or code. */
	c = e2e_client(f->s.tcp_url, f->xy, 10000);
	lq.project = (char *)"P1";
	list(c, &lq, LS_NOT_FOUND);
	Luoshi__V1__GetUpdateRequest g = LUOSHI__V1__GET_UPDATE_REQUEST__INIT;
	g.project = (char *)"中车产业基地";
	g.period = (char *)"2026-W45";
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_GET, &g.base, NULL, &m, &st), LS_NOT_FOUND);
	g.project = NULL;
	g.period = NULL;
	g.has_id = true;
	g.id = 1;
	assert_int_equal(e2e_call(c, M_GET, &g.base, NULL, &m, &st), LS_NOT_FOUND);
	luoshi_client_close(c);
}

/* ---- paging and filters ------------------------------------------------------------------- */

static void test_list_paging(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->s.admin_token, 10000);
	int64_t ids[5];
	const char *weeks[] = {"2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"};
	for (int i = 0; i < 4; i++) {
		Luoshi__V1__SubmitUpdateRequest r = upd("P1", weeks[i], i + 1, 10 + i);
		ids[i] = submit_ok(c, &r);
	}
	Luoshi__V1__SubmitUpdateRequest r = upd("P2", weeks[4], 9, 9);
	ids[4] = submit_ok(c, &r);

	Luoshi__V1__ListUpdatesRequest lq = LUOSHI__V1__LIST_UPDATES_REQUEST__INIT;
	lq.has_page_size = true;
	lq.page_size = 2;
	int64_t seen[5];
	int n_seen = 0;
	char *token = NULL;
	for (int page = 0; page < 3; page++) {
		lq.page_token = token;
		Luoshi__V1__ListUpdatesResponse *l = list(c, &lq, LS_OK);
		free(token);
		token = NULL;
		assert_int_equal(l->n_updates, page < 2 ? 2 : 1);
		for (size_t i = 0; i < l->n_updates; i++)
			seen[n_seen++] = l->updates[i]->id;
		if (page < 2) {
			assert_non_null(l->next_page_token);
			token = strdup(l->next_page_token);
		} else {
			assert_null(l->next_page_token);
		}
		protobuf_c_message_free_unpacked(&l->base, NULL);
	}
	assert_int_equal(n_seen, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(seen[i], ids[i]);

	Luoshi__V1__ListUpdatesRequest fq = LUOSHI__V1__LIST_UPDATES_REQUEST__INIT;
	fq.town = (char *)"下应街道";
	Luoshi__V1__ListUpdatesResponse *l = list(c, &fq, LS_OK);
	assert_int_equal(l->n_updates, 1);
	assert_int_equal(l->updates[0]->id, ids[4]);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	fq.town = (char *)"WX";
	fq.project = (char *)"中车产业基地";
	l = list(c, &fq, LS_OK);
	assert_int_equal(l->n_updates, 4);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	fq.town = (char *)"nowhere";
	list(c, &fq, LS_INVALID_ARGUMENT);
	fq.town = NULL;
	fq.page_token = (char *)"x1";
	list(c, &fq, LS_INVALID_ARGUMENT);
	luoshi_client_close(c);
}

/* ---- derived status ---------------------------------------------------------------------- */

/* Hand-made projects in 五乡镇, each with its updates and nodes written
 * straight into the database with fixed submission days. All are weekly
 * over 2026-01-01..04-11 (100 days) unless said: as of 2026-02-20, 50% of
 * the time has elapsed. 2026-W07 is 02-09..15, W08 02-16..22, W05
 * 01-26..02-01. */
static const char STATUS_FIXTURE[] =
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " created_at) VALUES"
    " (21, 'S1', '顺利项目', 'town', 'livelihood', 'new', 1, 2, 2, 10, 'weekly',"
    "  '2026-01-01', '2026-04-11', '2026-01-01'),"
    " (22, 'S2', '滞后项目', 'town', 'livelihood', 'new', 1, 2, 2, 10, 'weekly',"
    "  '2026-01-01', '2026-04-11', '2026-01-01'),"
    " (23, 'S3', '节点逾期项目', 'town', 'livelihood', 'new', 1, 2, 2, 10, 'weekly',"
    "  '2026-01-01', '2026-04-11', '2026-01-01'),"
    " (24, 'S4', '久未报送项目', 'town', 'livelihood', 'new', 1, 2, 2, 10, 'weekly',"
    "  '2026-01-01', '2026-04-11', '2026-01-01'),"
    " (25, 'S5', '月报项目', 'town', 'livelihood', 'new', 1, 2, 2, 10, 'monthly',"
    "  '2025-07-01', '2027-07-01', '2026-01-01'),"
    " (26, 'S6', '未开工项目', 'town', 'livelihood', 'new', 1, 2, 2, 10, 'weekly',"
    "  '2026-06-01', '2027-06-01', '2026-01-01');"
    "INSERT INTO updates(project_id, period, period_kind, period_first, period_last, month,"
    " year, revision, latest, unit_id, invested, percent, progress, submitted_at) VALUES"
    " (21, '2026-W07', 'week', '2026-02-09', '2026-02-15', '2026-02', 2026, 1, 1, 2, 1, 45,"
    "  'x', '2026-02-15T18:00:00+08:00'),"
    " (22, '2026-W07', 'week', '2026-02-09', '2026-02-15', '2026-02', 2026, 1, 0, 2, 1, 60,"
    "  'x', '2026-02-15T18:00:00+08:00'),"
    " (22, '2026-W07', 'week', '2026-02-09', '2026-02-15', '2026-02', 2026, 2, 1, 2, 1, 38,"
    "  'x', '2026-02-16T09:00:00+08:00'),"
    " (22, '2026-W08', 'week', '2026-02-16', '2026-02-22', '2026-02', 2026, 1, 1, 2, 1, 48,"
    "  'x', '2026-02-23T09:00:00+08:00'),"
    " (23, '2026-W07', 'week', '2026-02-09', '2026-02-15', '2026-02', 2026, 1, 1, 2, 1, 50,"
    "  'x', '2026-02-15T18:00:00+08:00'),"
    " (24, '2026-W05', 'week', '2026-01-26', '2026-02-01', '2026-01', 2026, 1, 1, 2, 1, 50,"
    "  'x', '2026-02-01T18:00:00+08:00'),"
    " (25, '2025-12', 'month', '2025-12-01', '2025-12-31', '2025-12', 2025, 1, 1, 2, 1, 40,"
    "  'x', '2026-01-03T18:00:00+08:00');"
    "INSERT INTO nodes(project_id, name, due_date, owner_unit_id, done_date, created_at) VALUES"
    " (23, '拆迁完成', '2026-01-19', 2, NULL, '2026-01-01'),"
    " (23, '施工许可', '2026-02-01', 2, '2026-02-25', '2026-01-01'),"
    " (23, '土地出让', '2026-02-01', 2, '2026-02-10', '2026-01-01'),"
    " (21, '方案批复', '2026-02-20', 2, NULL, '2026-01-01');";

static Luoshi__V1__GetProjectStatusResponse *status_of(luoshi_client *c, const char *project,
                                                       const char *as_of)
{
	Luoshi__V1__GetProjectStatusRequest req = LUOSHI__V1__GET_PROJECT_STATUS_REQUEST__INIT;
	req.project = (char *)project;
	req.as_of = (char *)as_of;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_STATUS, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("GetProjectStatus %s: %s %s", project, ls_code_name(rc), st.message);
	return (Luoshi__V1__GetProjectStatusResponse *)m;
}

static bool has_reason(const Luoshi__V1__ProjectStatusInfo *s, const char *code)
{
	for (size_t i = 0; i < s->n_reasons; i++)
		if (strcmp(s->reasons[i]->code, code) == 0)
			return true;
	return false;
}

static void test_status(void **state)
{
	fx *f = *state;
	db_exec(&f->s, STATUS_FIXTURE);
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	const char *day = "2026-02-20";

	/* 45% against 50%: 5 behind; the node due today is not overdue. */
	Luoshi__V1__GetProjectStatusResponse *r = status_of(c, "S1", day);
	const Luoshi__V1__ProjectStatusInfo *s = r->status;
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__ON_TRACK);
	assert_int_equal(s->expected_percent, 50);
	assert_true(s->has_percent);
	assert_int_equal(s->percent, 45);
	assert_int_equal(s->behind, 5);
	assert_int_equal(s->silent_periods, 0);
	assert_int_equal(s->overdue_nodes, 0);
	assert_int_equal(s->n_reasons, 0);
	assert_string_equal(s->last_period, "2026-W07");
	assert_string_equal(s->as_of, day);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Revision 2 (38%) counts, W08 was not yet submitted: 12 behind. */
	r = status_of(c, "S2", day);
	s = r->status;
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__LAGGING);
	assert_int_equal(s->percent, 38);
	assert_int_equal(s->behind, 12);
	assert_int_equal(s->n_reasons, 1);
	assert_string_equal(s->reasons[0]->code, "behind_schedule");
	assert_non_null(strstr(s->reasons[0]->detail, "12 points"));
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* As of 02-23 W08 (48%) is in, against 53%. */
	r = status_of(c, "S2", "2026-02-23");
	assert_int_equal(r->status->status, LUOSHI__V1__PROJECT_STATUS__ON_TRACK);
	assert_int_equal(r->status->percent, 48);
	assert_int_equal(r->status->expected_percent, 53);
	assert_string_equal(r->status->last_period, "2026-W08");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* As of 02-15, before revision 2 was made: 60% against 45%. */
	r = status_of(c, "S2", "2026-02-15");
	assert_int_equal(r->status->percent, 60);
	assert_int_equal(r->status->status, LUOSHI__V1__PROJECT_STATUS__ON_TRACK);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A node 32 days overdue, and one done after the day (19 days). */
	r = status_of(c, "S3", day);
	s = r->status;
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING);
	assert_int_equal(s->overdue_nodes, 2);
	assert_int_equal(s->max_days_overdue, 32);
	assert_true(has_reason(s, "node_overdue"));
	assert_false(has_reason(s, "behind_schedule"));
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* On 02-19 the oldest was 31 days overdue: still more than 30. */
	r = status_of(c, "S3", "2026-02-19");
	assert_int_equal(r->status->max_days_overdue, 31);
	assert_int_equal(r->status->status, LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* On 02-18, 30 days: lagging only. */
	r = status_of(c, "S3", "2026-02-18");
	assert_int_equal(r->status->max_days_overdue, 30);
	assert_int_equal(r->status->status, LUOSHI__V1__PROJECT_STATUS__LAGGING);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Silent since W05: 02-02..08 and 02-09..15 have ended. */
	r = status_of(c, "S4", day);
	s = r->status;
	assert_int_equal(s->silent_periods, 2);
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__LAGGING);
	assert_true(has_reason(s, "silent"));
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* Four weeks by 03-02: seriously lagging (and 10 behind by then:
	 * 60 against 50). */
	r = status_of(c, "S4", "2026-03-02");
	assert_int_equal(r->status->silent_periods, 4);
	assert_int_equal(r->status->status, LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Monthly, last report December 2025: January and February have
	 * ended by 03-01. 243 of 730 days: 33%, ahead. */
	r = status_of(c, "S5", "2026-03-01");
	s = r->status;
	assert_int_equal(s->silent_periods, 2);
	assert_int_equal(s->expected_percent, 33);
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = status_of(c, "S5", "2026-02-28");
	assert_int_equal(r->status->silent_periods, 1);
	assert_int_equal(r->status->status, LUOSHI__V1__PROJECT_STATUS__LAGGING);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Not started: nothing expected, nothing owed. */
	r = status_of(c, "未开工项目", day);
	s = r->status;
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__ON_TRACK);
	assert_false(s->has_percent);
	assert_null(s->last_period);
	assert_int_equal(s->expected_percent, 0);
	assert_int_equal(s->silent_periods, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	Luoshi__V1__GetProjectStatusRequest bad = LUOSHI__V1__GET_PROJECT_STATUS_REQUEST__INIT;
	bad.project = (char *)"S1";
	bad.as_of = (char *)"2026-02-30";
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_STATUS, &bad.base, NULL, &m, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "as_of");
	luoshi_client_close(c);

	/* Out of scope reads as unknown. */
	c = e2e_client(f->s.tcp_url, f->xy, 10000);
	bad.as_of = NULL;
	assert_int_equal(e2e_call(c, M_STATUS, &bad.base, NULL, &m, &st), LS_NOT_FOUND);
	luoshi_client_close(c);

	/* The command line, in English and in Chinese. */
	const char *args[] = {"status", "--project", "S3", "--as-of", day, NULL};
	e2e_run run;
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, args, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "seriously lagging"));
	assert_non_null(strstr(run.out, "节点逾期项目"));
	assert_non_null(strstr(run.out, "2 node(s) overdue, the oldest by 32 day(s)"));
	e2e_run_free(&run);
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, "zh_CN.UTF-8", args, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "严重滞后"));
	e2e_run_free(&run);
}

/* ---- the command line ------------------------------------------------------------------- */

/* The current ISO week in Asia/Shanghai, by the C library's own calendar. */
static void shanghai_week(char buf[16])
{
	time_t t = time(NULL);
	struct tm tm;
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	localtime_r(&t, &tm);
	strftime(buf, 16, "%G-W%V", &tm);
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

static void test_cli(void **state)
{
	fx *f = *state;
	e2e_run run;
	const char *submit_args[] = {
	    "update",       "submit", "--project", "中车产业基地", "--week",     "2026-W45",
	    "--invested",   "120",    "--percent", "35",           "--progress", "主体结构施工",
	    "--nodes-done", "1,2",    "--output",  "60",           NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, submit_args, &run);
	if (run.status != 0)
		fail_msg("update submit: %d: %s", run.status, run.err);
	assert_non_null(strstr(run.out, "中车产业基地"));
	assert_non_null(strstr(run.out, "2026-W45"));
	assert_non_null(strstr(run.out, "主体结构施工"));
	e2e_run_free(&run);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM update_nodes"), 2);

	/* Again: revision 2, shown with its history. */
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, submit_args, &run);
	assert_int_equal(run.status, 0);
	e2e_run_free(&run);
	const char *show[] = {"update", "show", "--project", "P1", "--period", "2026-W45", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, "zh_CN.UTF-8", show, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "2 (最新)"));
	assert_non_null(strstr(run.out, "五乡镇"));
	e2e_run_free(&run);

	const char *list_args[] = {"update",          "list",   "--project", "P1",
	                           "--all-revisions", "--json", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, list_args, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "\"revision\": 2"));
	assert_non_null(strstr(run.out, "\"ytdInvested\": \"120\""));
	e2e_run_free(&run);

	/* Without a week: the current one in the reporting zone. */
	char before[16], after[16];
	shanghai_week(before);
	const char *now_args[] = {"update",    "submit", "--project",  "P1",   "--invested", "1",
	                          "--percent", "36",     "--progress", "本周", "--json",     NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, now_args, &run);
	shanghai_week(after);
	assert_int_equal(run.status, 0);
	char want[64], want2[64];
	snprintf(want, sizeof want, "\"period\": \"%s\"", before);
	snprintf(want2, sizeof want2, "\"period\": \"%s\"", after);
	if (strstr(run.out, want) == NULL && strstr(run.out, want2) == NULL)
		fail_msg("expected week %s: %s", before, run.out);
	e2e_run_free(&run);

	/* Usage errors and the server's refusals, with their exit codes. */
	const char *pct[] = {"update",     "submit",     "--project", "P1",        "--week",
	                     "2026-W45",   "--invested", "1",         "--percent", "101",
	                     "--progress", "x",          NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, pct, &run);
	assert_int_equal(run.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(run.err, "--percent"));
	e2e_run_free(&run);
	const char *other[] = {"update",     "submit",     "--project", "P2",        "--week",
	                       "2026-W45",   "--invested", "1",         "--percent", "1",
	                       "--progress", "x",          NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, other, &run);
	assert_int_equal(run.status, LS_PERMISSION_DENIED);
	assert_non_null(strstr(run.err, "project"));
	e2e_run_free(&run);
	const char *missing[] = {"update", "show", "999", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, missing, &run);
	assert_int_equal(run.status, LS_NOT_FOUND);
	e2e_run_free(&run);
	const char *help[] = {"update", "submit", "--help", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, help, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "--no-outbox"));
	e2e_run_free(&run);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_submit_and_revisions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sums_across_years, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_locked_months, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_photos, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
