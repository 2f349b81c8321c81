/* End to end: `luoshi import updates`, progress updates from CSV files in one
 * SubmitUpdates call, and update rows in a registry import.
 *
 * Each test gets a fresh luoshid whose registry is inserted from the side
 * before it starts: the district office (unit 1, from init), the towns
 * 五乡镇 (WX: projects P1 and P4) and 下应街道 (XY: project P2), a
 * department, and two nodes. Every expected figure below is summed by hand
 * from the CSV text next to it. Calendar facts: 2026-W02..W05 belong to
 * January 2026 (W05's Thursday is 01-29), 2026-W06 to February; 2026-W54
 * does not exist. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"

#define TOKEN_MAX 128

static const char REGISTRY[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', 1, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " created_at) VALUES"
    " (1, 'P1', '中车产业基地', 'district', 'industrial', 'continuing', 1, 4, 2, 218900,"
    "  'weekly', '2025-06-01', '2027-12-31', '2026-01-01'),"
    " (2, 'P2', '美康智能健康产业中心', 'district', 'livelihood', 'new', 1, 4, 3, 50000,"
    "  'weekly', '2026-01-05', '2027-06-30', '2026-01-01'),"
    " (4, 'P4', '五乡大道', 'district', 'infrastructure', 'new', 1, 4, 2, 30000,"
    "  'weekly', '2026-01-01', '2026-12-31', '2026-01-01');"
    "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) VALUES"
    " (1, 1, '地下室完工', '2026-06-30', 2, '2026-01-01'),"
    " (2, 4, '路基完成', '2026-09-30', 2, '2026-01-01');";

/* Ten updates of 五乡镇's two weekly projects over five weeks, one project
 * named by its Chinese name. P1: 100+150+200+0+250 = 700 (January 450,
 * February 250); P4: 50+60+70+80+90 = 350 (January 260). */
static const char TEN[] =
    "project,week,invested,percent,progress,output,nodes_done,next_plan,support_needed\n"
    "P1,2026-W02,100,5,场地平整,,,桩基施工,\n"             /* 2 */
    "五乡大道,2026-W02,50,2,测量放样,,,,\n"                /* 3 */
    "P1,2026-W03,150,8,桩基施工,,,,\n"                     /* 4 */
    "P4,2026-W03,60,4,清表,,,,\"用地指标, 尽快\"\n"        /* 5 */
    "P1,2026-W04,200,12,\"地下室完工\n(提前一周)\",,1,,\n" /* 6-7 */
    "P4,2026-W04,70,6,路基填筑,30,,,\n"                    /* 8 */
    "P1,2026-W05,0,12,春节停工,,,,\n"                      /* 9 */
    "P4,2026-W05,80,8,路基填筑,,,,\n"                      /* 10 */
    "P1,2026-W06,250,15,复工,,,,\n"                        /* 11 */
    "P4,2026-W06,90,10,\"路基完成\",,2,,\n";               /* 12 */

typedef struct fx {
	e2e_server s;
	char wx[TOKEN_MAX]; /* town 五乡镇: P1, P4 */
	char xy[TOKEN_MAX]; /* town 下应街道: P2 */
	int64_t wx_id;      /* its account */
} fx;

static int64_t db_count(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return n;
}

/* Everything an update writes, all tables together. */
static int64_t written(const e2e_server *s)
{
	return db_count(s, "SELECT (SELECT count(*) FROM updates) + (SELECT count(*) FROM "
	                   "update_nodes) + (SELECT count(*) FROM audit_log WHERE entity IN "
	                   "('update', 'node')) + (SELECT count(*) FROM nodes WHERE done_date IS "
	                   "NOT NULL)");
}

static void make_account(const e2e_server *s, int role, const char *name, const char *unit,
                         const char *person, char token[TOKEN_MAX], int64_t *id)
{
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 10000);
	int64_t got;
	ls_status st;
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = (Luoshi__V1__Role)role;
	req.name = (char *)name;
	req.unit = (char *)unit;
	req.person = (char *)person;
	ProtobufCMessage *m;
	int rc = e2e_call(c, "/luoshi.v1.AccountService/CreateAccount", &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("CreateAccount %s: %s %s", name, ls_code_name(rc), st.message);
	const Luoshi__V1__CreateAccountResponse *r = (Luoshi__V1__CreateAccountResponse *)m;
	snprintf(token, TOKEN_MAX, "%s", r->token);
	got = r->account != NULL ? r->account->id : 0;
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	if (id != NULL)
		*id = got;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		goto fail;
	e2e_db *db = e2e_db_connect(&f->s);
	e2e_db_exec(db, REGISTRY);
	e2e_db_ids_given(db);
	e2e_db_close(db);
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(&f->s, extra) != 0)
		goto fail;
	make_account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇 clerk", "WX", NULL, f->wx,
	             &f->wx_id);
	make_account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "下应 clerk", "XY", NULL, f->xy, NULL);
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

/* ---- helpers ------------------------------------------------------------------ */

/* Writes text to DIR/name and returns the path (static storage, one of
 * four in turn). */
static const char *csv_file(const fx *f, const char *name, const char *text)
{
	static char paths[4][E2E_PATH_MAX];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, E2E_PATH_MAX, "%s/%s", f->s.dir, name);
	assert_int_equal(e2e_write_file(p, text), 0);
	return p;
}

/* Runs `luoshi ARGS...` as token's holder in the C locale. */
static void cli(const fx *f, const char *token, const char *const *args, e2e_run *r)
{
	e2e_cli(f->s.dir, f->s.tcp_url, token, NULL, args, r);
}

static void expect_exit(const e2e_run *r, int status)
{
	if (r->status != status)
		fail_msg("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", r->status, status,
		         r->out, r->err);
}

static void expect_text(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, haystack);
}

/* How many times needle occurs in the server's log. */
static int log_count(const fx *f, const char *needle)
{
	char *log = e2e_read_file(f->s.log, NULL);
	assert_non_null(log);
	int n = 0;
	for (const char *at = log; (at = strstr(at, needle)) != NULL; at += strlen(needle))
		n++;
	free(log);
	return n;
}

/* ---- a town imports its history ------------------------------------------------ */

static void test_town_import(void **state)
{
	fx *f = *state;
	const char *path = csv_file(f, "updates.csv", TEN);
	const char *args[] = {"import", "updates", path, NULL};
	e2e_run r;
	cli(f, f->wx, args, &r);
	expect_exit(&r, 0);
	assert_string_equal(r.out, "Wrote 10 updates.\n");
	/* Standard error is no terminal here: no progress bar. */
	assert_string_equal(r.err, "");
	e2e_run_free(&r);

	/* One call carried all ten. */
	assert_int_equal(log_count(f, "rpc: /luoshi.v1.ProgressService/SubmitUpdates id="), 1);
	assert_int_equal(log_count(f, "rpc: /luoshi.v1.ProgressService/SubmitUpdate id="), 0);

	char sql[256];
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 10);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE revision = 1 AND "
	                                 "latest = 1 AND unit_id = 2 AND period_kind = 'week'"),
	                 10);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM updates WHERE account_id = %lld",
	         (long long)f->wx_id);
	assert_int_equal(db_count(&f->s, sql), 10);
	assert_int_equal(db_count(&f->s, "SELECT sum(invested) FROM updates WHERE project_id = 1"),
	                 700);
	assert_int_equal(db_count(&f->s, "SELECT sum(invested) FROM updates WHERE project_id = 4"),
	                 350);
	assert_int_equal(db_count(&f->s, "SELECT sum(invested) FROM updates WHERE project_id = 1 "
	                                 "AND month = '2026-01'"),
	                 450);
	assert_int_equal(db_count(&f->s, "SELECT sum(invested) FROM updates WHERE project_id = 4 "
	                                 "AND month = '2026-01'"),
	                 260);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE month = '2026-02'"),
	                 2);
	/* The name 五乡大道 found P4; file order is submission order. */
	assert_int_equal(db_count(&f->s, "SELECT percent FROM updates WHERE project_id = 4 AND "
	                                 "period = '2026-W02'"),
	                 2);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE project_id = 4 AND "
	                                 "period = '2026-W02' AND progress = '测量放样'"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT max(id) FROM updates WHERE project_id = 4") -
	                     db_count(&f->s, "SELECT min(id) FROM updates"),
	                 9);
	/* Cells: output, the quoted line break, the quoted comma. */
	assert_int_equal(db_count(&f->s, "SELECT output FROM updates WHERE project_id = 4 AND "
	                                 "period = '2026-W04'"),
	                 30);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE output IS NOT NULL"),
	                 1);
	e2e_db *db = e2e_db_connect(&f->s);
	assert_int_equal(e2e_db_int(db, "SELECT count(*) FROM updates WHERE progress = ?1",
	                            "地下室完工\n(提前一周)", NULL),
	                 1);
	e2e_db_close(db);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE support_needed = "
	                                 "'用地指标, 尽快' AND period = '2026-W03'"),
	                 1);
	assert_int_equal(
	    db_count(&f->s, "SELECT count(*) FROM updates WHERE next_plan = '桩基施工'"), 1);
	/* nodes_done: node 1 with P1's W04, node 2 with P4's W06. */
	assert_int_equal(db_count(&f->s,
	                          "SELECT count(*) FROM update_nodes un JOIN updates u ON "
	                          "u.id = un.update_id WHERE (un.node_id = 1 AND u.project_id "
	                          "= 1 AND u.period = '2026-W04') OR (un.node_id = 2 AND "
	                          "u.project_id = 4 AND u.period = '2026-W06')"),
	                 2);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM update_nodes"), 2);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM nodes WHERE done_date IS NOT NULL"),
	                 2);
	/* Audited as one by one: an update row each, and the two nodes. */
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'update'"),
	                 10);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'node'"),
	                 2);
}

/* The year to date and since-start sums the server derives, through
 * --json. */
static void test_json_and_sums(void **state)
{
	fx *f = *state;
	const char *path = csv_file(f, "updates.csv", TEN);
	const char *args[] = {"import", "updates", "--json", path, NULL};
	e2e_run r;
	cli(f, f->wx, args, &r);
	expect_exit(&r, 0);
	/* The last update of each project: P1 W06 (700 in all) and P4 W06
	 * (350), both in 2026. */
	expect_text(r.out, "\"period\": \"2026-W06\"");
	expect_text(r.out, "\"ytdInvested\": \"700\"");
	expect_text(r.out, "\"ytdInvested\": \"350\"");
	expect_text(r.out, "\"totalInvested\": \"700\"");
	e2e_run_free(&r);
}

/* ---- refused on the server --------------------------------------------------- */

static void test_bad_line(void **state)
{
	fx *f = *state;
	const char *path = csv_file(f, "week5.csv",
	                            "project,week,invested,percent,progress\n"
	                            "P1,2026-W02,100,5,场地平整\n"
	                            "P4,2026-W02,50,2,测量放样\n"
	                            "P1,2026-W03,150,8,桩基施工\n"
	                            "P1,2026-W04,200,101,地下室完工\n"
	                            "P4,2026-W03,60,4,清表\n");
	const char *args[] = {"import", "updates", path, NULL};
	e2e_run r;
	cli(f, f->wx, args, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	char want[E2E_PATH_MAX + 64];
	snprintf(want, sizeof want, "%s:5: percent: percent must be 0 to 100, not 101\n", path);
	expect_text(r.err, want);
	expect_text(r.err, "INVALID_ARGUMENT: nothing was written");
	/* The server's element prefix is gone from what the user reads. */
	assert_null(strstr(r.err, "updates["));
	assert_string_equal(r.out, "");
	e2e_run_free(&r);
	assert_int_equal(written(&f->s), 0);

	/* Across files: the fourth update is the second file's line 3. */
	const char *a = csv_file(f, "a.csv",
	                         "project,week,invested,percent,progress\n"
	                         "P1,2026-W02,100,5,场地平整\n"
	                         "P4,2026-W02,50,2,测量放样\n");
	const char *b = csv_file(f, "b.csv",
	                         "week,project,percent,progress,invested\n"
	                         "2026-W03,P1,8,桩基施工,150\n"
	                         "2026-W54,P4,4,清表,60\n");
	const char *two[] = {"import", "updates", a, b, NULL};
	cli(f, f->wx, two, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	snprintf(want, sizeof want, "%s:3: week: week must be an ISO week that exists", b);
	expect_text(r.err, want);
	e2e_run_free(&r);

	/* A negative sum converts locally and is refused by the server. */
	const char *neg = csv_file(f, "neg.csv",
	                           "project,week,invested,percent,progress\n"
	                           "P1,2026-W02,-5,5,场地平整\n");
	const char *one[] = {"import", "updates", neg, NULL};
	cli(f, f->wx, one, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	snprintf(want, sizeof want, "%s:2: invested: invested must be 0 to", neg);
	expect_text(r.err, want);
	e2e_run_free(&r);

	/* An unknown project. */
	const char *unknown = csv_file(f, "unknown.csv",
	                               "project,week,invested,percent,progress\n"
	                               "P1,2026-W02,5,5,场地平整\n"
	                               "不存在的项目,2026-W02,5,5,x\n");
	const char *un[] = {"import", "updates", unknown, NULL};
	cli(f, f->wx, un, &r);
	expect_exit(&r, LS_NOT_FOUND);
	snprintf(want, sizeof want, "%s:3: project: ", unknown);
	expect_text(r.err, want);
	e2e_run_free(&r);
	assert_int_equal(written(&f->s), 0);
}

/* ---- refused locally ----------------------------------------------------------- */

static void test_cell_errors(void **state)
{
	fx *f = *state;
	const char *path = csv_file(f, "cells.csv",
	                            "project,week,invested,percent,progress,nodes_done\n"
	                            "P1,2026-W02,100,5,场地平整,\n"
	                            "P1,2026-W03,1.5,8,桩基施工,\n"
	                            "P1,2026-W04,200,12,x,1;节点\n");
	const char *args[] = {"import", "updates", path, NULL};
	e2e_run r;
	cli(f, f->wx, args, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	char want[E2E_PATH_MAX + 64];
	snprintf(want, sizeof want, "%s:3: invested: \"1.5\" is not a whole number\n", path);
	expect_text(r.err, want);
	snprintf(want, sizeof want, "%s:4: nodes_done: \"节点\" is not a whole number\n", path);
	expect_text(r.err, want);
	expect_text(r.err, "Nothing was sent");
	e2e_run_free(&r);

	/* Photos have no CSV form. */
	const char *photos = csv_file(f, "photos.csv",
	                              "project,week,invested,percent,progress,photos\n"
	                              "P1,2026-W02,100,5,场地平整,site.jpg\n");
	const char *ph[] = {"import", "updates", photos, NULL};
	cli(f, f->wx, ph, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	snprintf(want, sizeof want, "%s:1: photos: photos cannot be given in a CSV file", photos);
	expect_text(r.err, want);
	e2e_run_free(&r);

	/* A header alone: nothing to send. */
	const char *empty = csv_file(f, "empty.csv", "project,week,invested,percent,progress\n");
	const char *em[] = {"import", "updates", empty, NULL};
	cli(f, f->wx, em, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	expect_text(r.err, "the files hold no updates");
	e2e_run_free(&r);

	/* No request reached the server. */
	assert_int_equal(log_count(f, "rpc: /luoshi.v1.ProgressService/SubmitUpdates"), 0);
	assert_int_equal(written(&f->s), 0);
}

/* ---- dry run ------------------------------------------------------------------ */

static void test_dry_run(void **state)
{
	fx *f = *state;
	const char *path = csv_file(f, "updates.csv", TEN);
	const char *args[] = {"import", "updates", "--dry-run", path, NULL};
	e2e_run r;
	cli(f, f->wx, args, &r);
	expect_exit(&r, 0);
	assert_string_equal(r.out, "dry run: 10 updates would be written; nothing was written\n");
	e2e_run_free(&r);
	assert_int_equal(written(&f->s), 0);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM idempotency_keys"), 0);

	/* A dry run checks as the real one does. */
	const char *bad = csv_file(f, "bad.csv",
	                           "project,week,invested,percent,progress\n"
	                           "P1,2026-W02,100,5,场地平整\n"
	                           "P1,2026-W03,100,5,\n");
	const char *dry_bad[] = {"import", "updates", "--dry-run", bad, NULL};
	cli(f, f->wx, dry_bad, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	char want[E2E_PATH_MAX + 64];
	snprintf(want, sizeof want, "%s:3: progress: progress is required", bad);
	expect_text(r.err, want);
	e2e_run_free(&r);

	/* In Chinese. */
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, "zh_CN.UTF-8", args, &r);
	expect_exit(&r, 0);
	expect_text(r.out, "试运行：将写入 10 条进度报送，未写入任何内容");
	e2e_run_free(&r);
	assert_int_equal(written(&f->s), 0);

	/* Then for real: the dry runs left nothing in the way. */
	const char *real[] = {"import", "updates", path, NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, "zh_CN.UTF-8", real, &r);
	expect_exit(&r, 0);
	expect_text(r.out, "已写入 10 条进度报送");
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 10);
	assert_int_equal(db_count(&f->s, "SELECT sum(invested) FROM updates"), 1050);
}

/* ---- whose projects ------------------------------------------------------------ */

static void test_other_town(void **state)
{
	fx *f = *state;
	/* Line 4 is 下应街道's project. */
	const char *path = csv_file(f, "mixed.csv",
	                            "project,week,invested,percent,progress\n"
	                            "P1,2026-W02,100,5,场地平整\n"
	                            "P4,2026-W02,50,2,测量放样\n"
	                            "P2,2026-W02,10,1,开工\n"
	                            "P1,2026-W03,150,8,桩基施工\n");
	const char *args[] = {"import", "updates", path, NULL};
	e2e_run r;
	cli(f, f->wx, args, &r);
	expect_exit(&r, LS_PERMISSION_DENIED);
	char want[E2E_PATH_MAX + 64];
	snprintf(want, sizeof want, "%s:4: project: ", path);
	expect_text(r.err, want);
	expect_text(r.err, "PERMISSION_DENIED");
	e2e_run_free(&r);
	assert_int_equal(written(&f->s), 0);

	/* The same file for 下应街道 fails on its first line instead. */
	cli(f, f->xy, args, &r);
	expect_exit(&r, LS_PERMISSION_DENIED);
	snprintf(want, sizeof want, "%s:2: project: ", path);
	expect_text(r.err, want);
	e2e_run_free(&r);
	assert_int_equal(written(&f->s), 0);

	/* The district office may import it all. */
	cli(f, f->s.admin_token, args, &r);
	expect_exit(&r, 0);
	assert_string_equal(r.out, "Wrote 4 updates.\n");
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE unit_id = 1"), 4);
	assert_int_equal(db_count(&f->s, "SELECT sum(invested) FROM updates"), 310);
}

/* Who may import updates at all: admin and town, no one else. */
static void test_roles(void **state)
{
	fx *f = *state;
	const char *path = csv_file(f, "one.csv",
	                            "project,week,invested,percent,progress\n"
	                            "P1,2026-W02,100,5,场地平整\n");
	const char *args[] = {"import", "updates", path, NULL};
	const struct {
		int role;
		const char *name, *unit, *person;
	} denied[] = {
	    {LUOSHI__V1__ROLE__ROLE_LEADER, "leader", NULL, "L01"},
	    {LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "department", "FGJ", NULL},
	    {LUOSHI__V1__ROLE__ROLE_INSPECTOR, "inspector", NULL, NULL},
	    {LUOSHI__V1__ROLE__ROLE_DISCIPLINE, "discipline", NULL, NULL},
	    {LUOSHI__V1__ROLE__ROLE_VIEWER, "viewer", NULL, NULL},
	};
	e2e_run r;
	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		char token[TOKEN_MAX];
		make_account(&f->s, denied[i].role, denied[i].name, denied[i].unit,
		             denied[i].person, token, NULL);
		cli(f, token, args, &r);
		if (r.status != LS_PERMISSION_DENIED)
			fail_msg("%s: exit %d\n%s", denied[i].name, r.status, r.err);
		expect_text(r.err, "PERMISSION_DENIED");
		e2e_run_free(&r);
		assert_int_equal(written(&f->s), 0);
	}
	cli(f, f->wx, args, &r);
	expect_exit(&r, 0);
	e2e_run_free(&r);
	cli(f, f->s.admin_token, args, &r);
	expect_exit(&r, 0);
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 2);
}

/* ---- revisions and retries ----------------------------------------------------- */

static void test_revisions(void **state)
{
	fx *f = *state;
	const char *path = csv_file(f, "twice.csv",
	                            "project,week,invested,percent,progress\n"
	                            "P1,2026-W03,150,8,桩基施工\n"
	                            "P1,2026-W04,200,12,地下室\n"
	                            "P1,2026-W03,170,9,桩基施工（更正）\n");
	const char *args[] = {"import", "updates", "--key", "history-2026-01", path, NULL};
	e2e_run r;
	cli(f, f->wx, args, &r);
	expect_exit(&r, 0);
	assert_string_equal(r.out, "Wrote 3 updates.\n");
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE period = '2026-W03'"),
	                 2);
	assert_int_equal(db_count(&f->s, "SELECT invested FROM updates WHERE period = '2026-W03' "
	                                 "AND revision = 1 AND latest = 0"),
	                 150);
	assert_int_equal(db_count(&f->s, "SELECT invested FROM updates WHERE period = '2026-W03' "
	                                 "AND revision = 2 AND latest = 1"),
	                 170);
	/* The latest revisions: 170 + 200. */
	assert_int_equal(db_count(&f->s, "SELECT sum(invested) FROM updates WHERE latest = 1"),
	                 370);

	/* A retry with the same key answers from the record, writing nothing. */
	cli(f, f->wx, args, &r);
	expect_exit(&r, 0);
	assert_string_equal(r.out, "Wrote 3 updates.\n");
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 3);

	/* Without the key it is a new import: a third revision of W03 and a
	 * second of W04. */
	const char *again[] = {"import", "updates", path, NULL};
	cli(f, f->wx, again, &r);
	expect_exit(&r, 0);
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT max(revision) FROM updates WHERE period = "
	                                 "'2026-W03'"),
	                 4);
	assert_int_equal(db_count(&f->s, "SELECT max(revision) FROM updates WHERE period = "
	                                 "'2026-W04'"),
	                 2);
	assert_int_equal(db_count(&f->s, "SELECT sum(invested) FROM updates WHERE latest = 1"),
	                 370);

	/* The key of that import with a different file is refused. */
	const char *other = csv_file(f, "other.csv",
	                             "project,week,invested,percent,progress\n"
	                             "P1,2026-W05,1,12,x\n");
	const char *reuse[] = {"import", "updates", "--key", "history-2026-01", other, NULL};
	cli(f, f->wx, reuse, &r);
	expect_exit(&r, LS_FAILED_PRECONDITION);
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 6);
}

/* ---- update rows in a registry import ---------------------------------------- */

static void test_registry_route(void **state)
{
	fx *f = *state;
	const char *path = csv_file(f, "updates.csv",
	                            "project,week,invested,percent,progress\n"
	                            "P1,2026-W02,100,5,场地平整\n"
	                            "P2,2026-W02,30,1,开工\n"
	                            "P1,2026-W02,120,6,场地平整（更正）\n");
	const char *args[] = {"import", "registry", path, NULL};
	e2e_run r;
	cli(f, f->s.admin_token, args, &r);
	expect_exit(&r, 0);
	expect_text(r.out, "Imported 3 rows:");
	expect_text(r.out, "updates   3\n");
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates WHERE unit_id = 1"), 3);
	assert_int_equal(db_count(&f->s, "SELECT invested FROM updates WHERE project_id = 1 AND "
	                                 "revision = 2 AND latest = 1"),
	                 120);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'update'"),
	                 3);

	/* Bad rows are all reported, by line, and nothing is written. */
	const char *bad = csv_file(f, "updates.csv",
	                           "project,week,invested,percent,progress\n"
	                           "P1,2026-W03,100,101,x\n"
	                           "P1,2026-W04,100,5,x\n"
	                           "P1,2026-W54,100,5,x\n");
	cli(f, f->s.admin_token, args, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	char want[E2E_PATH_MAX + 64];
	snprintf(want, sizeof want, "%s:2: percent: ", bad);
	expect_text(r.err, want);
	snprintf(want, sizeof want, "%s:4: week: ", bad);
	expect_text(r.err, want);
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 3);

	/* The registry import stays the admin's. */
	cli(f, f->wx, args, &r);
	expect_exit(&r, LS_PERMISSION_DENIED);
	e2e_run_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM updates"), 3);
}

static void test_help(void **state)
{
	fx *f = *state;
	const char *args[] = {"import", "updates", "--help", NULL};
	e2e_run r;
	cli(f, f->wx, args, &r);
	expect_exit(&r, 0);
	expect_text(r.out, "Usage: luoshi import updates");
	expect_text(r.out, "--dry-run");
	e2e_run_free(&r);
	const char *group[] = {"import", "--help", NULL};
	cli(f, f->wx, group, &r);
	expect_exit(&r, 0);
	expect_text(r.out, "updates");
	e2e_run_free(&r);
	const char *none[] = {"import", "updates", NULL};
	cli(f, f->wx, none, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	expect_text(r.err, "no file given");
	e2e_run_free(&r);
	char missing[E2E_PATH_MAX];
	snprintf(missing, sizeof missing, "%s/missing.csv", f->s.dir);
	const char *gone[] = {"import", "updates", missing, NULL};
	cli(f, f->wx, gone, &r);
	expect_exit(&r, LS_INVALID_ARGUMENT);
	expect_text(r.err, "cannot read the file");
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_town_import, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_and_sums, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cell_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_town, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revisions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_route, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_help, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
