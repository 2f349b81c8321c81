/* End to end: the reminders of the leaders' rhythm and of rectification
 * orders, the rectification orders in `luoshi assignments`, and the figures
 * of supervision as `luoshi query` subcommands.
 *
 * The scheduler runs in this process on the server's database with the
 * time the test gives (srv_scheduler_run, as the server's timer calls it),
 * while the server is stopped; the server is then started and the inboxes
 * are read through ReminderService/ListInbox and `luoshi inbox`. Calendar:
 * Asia/Shanghai, April 2030. 2030-04-15 is a Monday (ISO week 2030-W16 runs
 * to Sunday 04-21; W17 from 04-22 to 04-28). The holiday file makes Monday
 * 04-22 and Friday 04-26 days off, so the 20th (a Saturday) moves the visit
 * reminder to Tuesday 04-23, and W17's Friday review reminder to Monday
 * 04-29. Every expected figure is counted by hand next to its data. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/reminders.pb-c.h"
#include "luoshi/v1/schedule.pb-c.h"
#include "scheduler.h"
#include "store/store.h"
#include "store/store_int.h"

#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_INBOX "/luoshi.v1.ReminderService/ListInbox"
#define M_ASSIGNMENTS "/luoshi.v1.ScheduleService/GetAssignments"
#define TOKEN_MAX 128

/* ---- the data ---------------------------------------------------------------------------
 *
 * Units: the office (1, from init), towns WX (2) and XY (3), the department
 * ZJ (4), inspection group DC1 (5). Leaders L01..L03 have leader accounts;
 * L04 has none (nobody could read a reminder to L04).
 *
 *  project  leader  archived
 *  CAD1     L01     no
 *  CAD2     L01     no
 *  CAD3     L02     no
 *  CAD4     L03     no
 *  CAD5     L04     no
 *  CAD6     L03     yes
 *
 * Activities (person, project, kind, date):
 *  L01 CAD1 weekly_review 04-16 (W16), 04-23 (W17)
 *  L01 CAD2 site_visit    04-16 (not a review); weekly_review 04-23 (W17)
 *  L02 CAD3 weekly_review 04-17 (W16), 04-24 (W17); site_visit 04-22
 *  L02 CAD4 weekly_review 04-16 (not CAD4's lead leader: does not count)
 *  L03 CAD4 weekly_review 04-10 (W15); site_visit 03-30 (March)
 *
 * W16 reviews missing: L01 (CAD2), L03 (CAD4); L04 has no account. -> 2.
 * W17 reviews missing: L03 (CAD4). -> 1.
 * April visits missing: L01 (CAD1), L03 (CAD4). -> 2.
 *
 * Inspections: I1 CAD1 04-01, I2 CAD2 04-02, I3 CAD6 (archived) 04-03.
 * Rectification orders (inspection, owner, due, status):
 *  R1 I1 WX 04-21 open
 *  R3 I1 ZJ 04-19 done 04-10
 *  R4 I3 XY 04-20 open   (archived project: no reminder)
 *  R5 I2 ZJ 05-30 open
 *  R6 I2 WX 05-10 open
 *  R7 I2 WX 04-25 done 04-12
 * Reminders, due within 3 days then overdue every 7: only R1 comes near
 * within the ticks (04-18 .. 04-29): due on 04-18 (3 days left, window d3),
 * overdue 04-22 (1 day, o0) and 04-29 (8 days, o1). R6 is 11 days away on
 * 04-29. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2030-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2030-01-01'),"
    " (4, 'ZJ', '住建局', 'department', 1, '2030-01-01'),"
    " (5, 'DC1', '第一督查组', 'inspection_group', 1, '2030-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张领导', 1, '2030-01-01'), (2, 'L02', '李领导', 1, '2030-01-01'),"
    " (3, 'L03', '王领导', 1, '2030-01-01'), (4, 'L04', '赵领导', 1, '2030-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " archived, created_at) VALUES"
    " (1, 'CAD1', '一号项目', 'district', 'industrial', 'new', 1, 4, 2, 5000, 'monthly',"
    " '2030-01-01', '2031-12-31', 0, '2030-01-01'),"
    " (2, 'CAD2', '二号项目', 'district', 'industrial', 'new', 1, 4, 2, 5000, 'monthly',"
    " '2030-01-01', '2031-12-31', 0, '2030-01-01'),"
    " (3, 'CAD3', '三号项目', 'district', 'industrial', 'new', 2, 4, 3, 5000, 'monthly',"
    " '2030-01-01', '2031-12-31', 0, '2030-01-01'),"
    " (4, 'CAD4', '四号项目', 'district', 'industrial', 'new', 3, 4, 3, 5000, 'monthly',"
    " '2030-01-01', '2031-12-31', 0, '2030-01-01'),"
    " (5, 'CAD5', '五号项目', 'district', 'industrial', 'new', 4, 4, 2, 5000, 'monthly',"
    " '2030-01-01', '2031-12-31', 0, '2030-01-01'),"
    " (6, 'CAD6', '六号项目', 'district', 'industrial', 'new', 3, 4, 3, 5000, 'monthly',"
    " '2030-01-01', '2031-12-31', 1, '2030-01-01');"
    "INSERT INTO leader_activities(person_id, project_id, kind, date, created_at) VALUES"
    " (1, 1, 'weekly_review', '2030-04-16', '2030-04-16'),"
    " (1, 1, 'weekly_review', '2030-04-23', '2030-04-23'),"
    " (1, 2, 'site_visit', '2030-04-16', '2030-04-16'),"
    " (1, 2, 'weekly_review', '2030-04-23', '2030-04-23'),"
    " (2, 3, 'weekly_review', '2030-04-17', '2030-04-17'),"
    " (2, 3, 'weekly_review', '2030-04-24', '2030-04-24'),"
    " (2, 3, 'site_visit', '2030-04-22', '2030-04-22'),"
    " (2, 4, 'weekly_review', '2030-04-16', '2030-04-16'),"
    " (3, 4, 'weekly_review', '2030-04-10', '2030-04-10'),"
    " (3, 4, 'site_visit', '2030-03-30', '2030-03-30');"
    "INSERT INTO inspections(id, group_unit_id, project_id, date, layer, findings, created_at)"
    " VALUES (1, 5, 1, '2030-04-01', 'leading_group', '进度偏慢', '2030-04-01'),"
    " (2, 5, 2, '2030-04-02', 'leading_group', '资料不全', '2030-04-02'),"
    " (3, 5, 6, '2030-04-03', 'leading_group', '已停工', '2030-04-03');"
    "INSERT INTO rectifications(id, inspection_id, owner_unit_id, due_date, text, ordered_on,"
    " status, done_date, created_at) VALUES"
    " (1, 1, 2, '2030-04-21', '完成征迁扫尾', '2030-04-01', 'open', NULL, '2030-04-01'),"
    " (3, 1, 4, '2030-04-19', '补齐施工许可', '2030-04-01', 'done', '2030-04-10',"
    " '2030-04-01'),"
    " (4, 3, 3, '2030-04-20', '清理停工现场', '2030-04-03', 'open', NULL, '2030-04-03'),"
    " (5, 2, 4, '2030-05-30', '完善档案资料', '2030-04-02', 'open', NULL, '2030-04-02'),"
    " (6, 2, 2, '2030-05-10', '落实管线迁改', '2030-04-02', 'open', NULL, '2030-04-02'),"
    " (7, 2, 2, '2030-04-25', '上报整改方案', '2030-04-02', 'done', '2030-04-12',"
    " '2030-04-02');";

typedef struct fx {
	e2e_server s;
	char wx[TOKEN_MAX];  /* town 五乡镇 */
	char zj[TOKEN_MAX];  /* department 住建局 */
	char l01[TOKEN_MAX]; /* leader 张领导 */
	char l02[TOKEN_MAX]; /* leader 李领导 */
	char l03[TOKEN_MAX]; /* leader 王领导 */
} fx;

/* ---- setting up ---------------------------------------------------------------------- */

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
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		goto fail;
	e2e_db *db = e2e_db_connect(&f->s);
	e2e_db_exec(db, FIXTURE);
	e2e_db_ids_given(db);
	e2e_db_close(db);
	static const char *const args[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(&f->s, args) != 0)
		goto fail;
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇", "WX", NULL, f->wx);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "住建局", "ZJ", NULL, f->zj);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_LEADER, "张领导", NULL, "L01", f->l01);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_LEADER, "李领导", NULL, "L02", f->l02);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_LEADER, "王领导", NULL, "L03", f->l03);
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

static int64_t db_count(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return n;
}

static void cli(const fx *f, const char *token, const char *lang, const char *const *args, int want,
                e2e_run *r)
{
	e2e_cli(f->s.dir, f->s.tcp_url, token, lang, args, r);
	if (r->status != want)
		fail_msg("luoshi %s %s: exit %d, wanted %d\nstdout: %s\nstderr: %s", args[0],
		         args[1] ? args[1] : "", r->status, want, r->out, r->err);
}

/* ---- the scheduler, with the test's clock ------------------------------------------------ */

typedef struct sched {
	srv_store *store;
	srv_sched_config cfg;
} sched;

/* "2030-04-18 10:00" in Asia/Shanghai. */
static time_t at(const char *when)
{
	struct tm tm = {0};
	const char *end = strptime(when, "%Y-%m-%d %H:%M", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* One tick at when, in its own transaction as the server runs it. Returns
 * the number of reminders written. */
static size_t tick(sched *k, const char *when)
{
	ls_status st;
	ls_status_clear(&st);
	srv_announce_list out = {0};
	assert_int_equal(srv_store_begin(k->store, &st), LS_OK);
	if (srv_scheduler_run(k->store, &k->cfg, at(when), &out, &st) != LS_OK)
		fail_msg("tick at %s: %s", when, st.message);
	assert_int_equal(srv_store_commit(k->store, &st), LS_OK);
	size_t n = out.n;
	srv_announce_list_fini(&out);
	return n;
}

#define KIND(k) "SELECT count(*) FROM reminders WHERE kind = '" k "'"

/* The reminders of kind k so far, as "recipient:window" joined by spaces in
 * id order, recipients as u/ID and p/ID. */
static void rows_of(const e2e_server *s, const char *kind, char *buf, size_t n)
{
	e2e_db *db = e2e_db_connect(s);
	srv_q *q =
	    e2e_db_prepare(db, "SELECT substr(recipient_kind, 1, 1) || '/' || recipient_id || "
	                       "':' || window_key FROM reminders WHERE kind = ?1 ORDER BY id");
	srv_bind_text(q, 1, kind);
	buf[0] = '\0';
	while (srv_step(q) == SRV_ROW) {
		size_t len = strlen(buf);
		snprintf(buf + len, n - len, "%s%s", len ? " " : "", srv_col_text(q, 0));
	}
	e2e_db_finalize(q);
	e2e_db_close(db);
}

static void assert_rows(const e2e_server *s, const char *kind, const char *want)
{
	char got[1024];
	rows_of(s, kind, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", kind, got, want);
}

static char *text_of(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	srv_q *q = e2e_db_prepare(db, sql);
	char *out = NULL;
	if (srv_step(q) == SRV_ROW && srv_col_text(q, 0) != NULL)
		out = strdup(srv_col_text(q, 0));
	e2e_db_finalize(q);
	e2e_db_close(db);
	return out ? out : strdup("");
}

/* Every rule, tick by tick. The server is stopped meanwhile: this process
 * is the one writer. */
static void run_ticks(fx *f)
{
	assert_int_equal(e2e_server_stop(&f->s), 0);
	char holidays[E2E_PATH_MAX + 16];
	snprintf(holidays, sizeof holidays, "%s/holidays.conf", f->s.dir);
	FILE *h = fopen(holidays, "w");
	assert_non_null(h);
	fputs("2030-04-22 holiday # 调休\n2030-04-26 holiday\n", h);
	fclose(h);
	sched k;
	ls_status st;
	srv_sched_config_defaults(&k.cfg);
	assert_int_equal(srv_sched_config_set(&k.cfg, "holidays", holidays, &st), LS_OK);
	assert_int_equal(srv_store_open(&k.store, f->s.db, false, &st), LS_OK);
	const e2e_server *s = &f->s;

	/* Thursday of W16: R1 is due in 3 days; the review is due from
	 * Friday, March's visit reminder lies in March. */
	assert_int_equal(tick(&k, "2030-04-18 10:00"), 1);
	assert_rows(s, "rectification_due", "u/2:d3");
	assert_int_equal(db_count(s, KIND("review_due")), 0);
	assert_int_equal(db_count(s, KIND("visit_due")), 0);

	/* Friday: the two leaders without a W16 review of a led project. */
	assert_int_equal(tick(&k, "2030-04-19 10:00"), 2);
	assert_rows(s, "review_due", "p/1:2030-W16 p/3:2030-W16");
	char *t = text_of(s, "SELECT text FROM reminders WHERE kind = 'review_due' AND "
	                     "recipient_id = 1");
	assert_string_equal(t,
	                    "【专题了解提醒】张领导：本周（2030-W16）以下领衔项目尚无每周专题了解"
	                    "记录：二号项目（CAD2）。请及时开展专题了解并登记。");
	free(t);
	t = text_of(s, "SELECT subject_key FROM reminders WHERE kind = 'review_due' AND "
	               "recipient_id = 3");
	assert_string_equal(t, "leader:3");
	free(t);

	/* The weekend and the holiday Monday: the same windows, nothing new;
	 * the visit waits for the first working day from the 20th. R1 turns
	 * overdue on Monday. */
	assert_int_equal(tick(&k, "2030-04-20 10:00"), 0);
	assert_int_equal(tick(&k, "2030-04-21 10:00"), 0);
	assert_int_equal(tick(&k, "2030-04-22 10:00"), 1);
	assert_rows(s, "rectification_overdue", "u/2:o0");
	assert_int_equal(db_count(s, KIND("visit_due")), 0);

	/* Tuesday 04-23: the visit reminders (L02 visited on 04-22). */
	assert_int_equal(tick(&k, "2030-04-23 10:00"), 2);
	assert_rows(s, "visit_due", "p/1:2030-04 p/3:2030-04");
	t = text_of(s, "SELECT text FROM reminders WHERE kind = 'visit_due' AND recipient_id = 3");
	assert_string_equal(t, "【现场调研提醒】王领导：2030年4月（应于20日前）以下领衔项目尚无"
	                       "现场调研指导记录：四号项目（CAD4）。请于本月内安排现场调研。");
	free(t);

	/* Run again, the rules' memory lost: every window has its row. */
	assert_int_equal(tick(&k, "2030-04-24 10:00"), 0);
	const char *wipe = "DELETE FROM scheduler_state";
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, wipe);
	e2e_db_close(db);
	assert_int_equal(tick(&k, "2030-04-24 11:00"), 0);

	/* W17's Friday is a holiday: its review moves to Monday 04-29, in
	 * W18, and speaks of last week. R1 enters its second overdue step. */
	assert_int_equal(tick(&k, "2030-04-26 10:00"), 0);
	assert_int_equal(tick(&k, "2030-04-27 10:00"), 0);
	assert_int_equal(tick(&k, "2030-04-28 10:00"), 0);
	assert_int_equal(tick(&k, "2030-04-29 10:00"), 2);
	assert_rows(s, "review_due", "p/1:2030-W16 p/3:2030-W16 p/3:2030-W17");
	assert_rows(s, "rectification_overdue", "u/2:o0 u/2:o1");
	t = text_of(s, "SELECT text FROM reminders WHERE window_key = '2030-W17'");
	assert_non_null(strstr(t, "上周（2030-W17）"));
	free(t);

	/* Eight in all, nothing for L02, L04, ZJ or XY. */
	assert_int_equal(db_count(s, "SELECT count(*) FROM reminders"), 8);
	assert_int_equal(db_count(s, "SELECT count(*) FROM reminders WHERE recipient_kind = "
	                             "'person' AND recipient_id IN (2, 4)"),
	                 0);
	assert_int_equal(db_count(s, "SELECT count(*) FROM reminders WHERE recipient_kind = 'unit' "
	                             "AND recipient_id <> 2"),
	                 0);
	srv_store_close(k.store);
	srv_sched_config_free(&k.cfg);
	static const char *const args[] = {"--rate-limit", "0", NULL};
	assert_int_equal(e2e_server_start(&f->s, args), 0);
}

/* The caller's inboxes as "kind:subject:window" in order. */
static void inbox(const fx *f, const char *token, char *buf, size_t n)
{
	luoshi_client *c = e2e_client(f->s.tcp_url, token, 10000);
	Luoshi__V1__ListInboxRequest req = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_INBOX, &req.base, NULL, &m, &st);
	luoshi_client_close(c);
	if (rc != LS_OK)
		fail_msg("ListInbox: %s %s", ls_code_name(rc), st.message);
	const Luoshi__V1__ListInboxResponse *r = (const Luoshi__V1__ListInboxResponse *)m;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n_reminders; i++) {
		const Luoshi__V1__Reminder *x = r->reminders[i];
		const char *kind =
		    x->kind == LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_REVIEW_DUE  ? "review"
		    : x->kind == LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_VISIT_DUE ? "visit"
		    : x->kind == LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_RECTIFICATION_DUE
		        ? "rect_due"
		    : x->kind == LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_RECTIFICATION_OVERDUE
		        ? "rect_overdue"
		        : "other";
		size_t len = strlen(buf);
		snprintf(buf + len, n - len, "%s%s:%s:%s", len ? " " : "", kind, x->subject,
		         x->window);
	}
	protobuf_c_message_free_unpacked(m, NULL);
}

static void assert_inbox(const fx *f, const char *token, const char *want)
{
	char got[1024];
	inbox(f, token, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("inbox: got \"%s\", want \"%s\"", got, want);
}

static void test_reminders(void **state)
{
	fx *f = *state;
	run_ticks(f);
	assert_inbox(f, f->wx,
	             "rect_due:rectification:1:d3 rect_overdue:rectification:1:o0 "
	             "rect_overdue:rectification:1:o1");
	assert_inbox(f, f->zj, "");
	assert_inbox(f, f->l01, "review:leader:1:2030-W16 visit:leader:1:2030-04");
	assert_inbox(f, f->l02, "");
	assert_inbox(f, f->l03,
	             "review:leader:3:2030-W16 visit:leader:3:2030-04 review:leader:3:2030-W17");

	/* `luoshi inbox`: the kinds by name, and their labels in Chinese. */
	e2e_run r;
	const char *args[] = {"inbox", NULL};
	cli(f, f->wx, NULL, args, 0, &r);
	assert_non_null(strstr(r.out, "rectification overdue"));
	assert_non_null(strstr(r.out, "【整改提醒】一号项目（CAD1）的整改事项「完成征迁扫尾」将于"
	                              "2030-04-21到期（还有3天），尚未整改完成。"));
	assert_non_null(strstr(r.out, "【整改逾期】一号项目（CAD1）的整改事项「完成征迁扫尾」已于"
	                              "2030-04-21到期，逾期8天，尚未整改完成。"));
	e2e_run_free(&r);
	cli(f, f->l03, "zh_CN.UTF-8", args, 0, &r);
	assert_non_null(strstr(r.out, "专题了解提醒"));
	assert_non_null(strstr(r.out, "现场调研提醒"));
	e2e_run_free(&r);
	const char *json[] = {"inbox", "--json", NULL};
	cli(f, f->l01, NULL, json, 0, &r);
	assert_non_null(strstr(r.out, "REMINDER_KIND_REVIEW_DUE"));
	assert_non_null(strstr(r.out, "REMINDER_KIND_VISIT_DUE"));
	e2e_run_free(&r);
}

/* Migration 009 on the reminders table as 004 made it, with rows: every
 * row keeps its id and seq, the new kinds pass the CHECK and unknown ones
 * do not, and both UNIQUE keys still hold. SQLite's migration, in memory
 * here, whichever database the server has. */
static void exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("SQL failed: %s\n%s", err ? err : "?", sql);
}

static int64_t one(sqlite3 *db, const char *sql)
{
	return e2e_db_int(db, sql, NULL, NULL);
}

static void test_migration(void **state)
{
	(void)state;
	const char *m009 = NULL;
	for (int i = 0; i < srv_n_migrations; i++)
		if (srv_migrations[i].version == 9)
			m009 = srv_migrations[i].sql;
	assert_non_null(m009);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec_ok(db,
	        "PRAGMA foreign_keys = ON;"
	        "CREATE TABLE accounts (id INTEGER PRIMARY KEY);"
	        "INSERT INTO accounts(id) VALUES (7);"
	        "CREATE TABLE reminders (id INTEGER PRIMARY KEY,"
	        " recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('unit', 'person')),"
	        " recipient_id INTEGER NOT NULL, seq INTEGER NOT NULL CHECK (seq >= 1),"
	        " kind TEXT NOT NULL CHECK (kind IN ('update_due', 'update_overdue', 'node_due',"
	        " 'node_overdue', 'problem_due', 'problem_overdue', 'reconcile_due', 'notice')),"
	        " subject_key TEXT NOT NULL, window_key TEXT NOT NULL, text TEXT NOT NULL,"
	        " created_at TEXT NOT NULL, created_by INTEGER REFERENCES accounts(id),"
	        " UNIQUE (recipient_kind, recipient_id, seq),"
	        " UNIQUE (kind, subject_key, recipient_kind, recipient_id, window_key));"
	        "INSERT INTO reminders VALUES"
	        " (3, 'unit', 2, 1, 'node_due', 'node:1', 'd7', '甲', 't1', NULL),"
	        " (8, 'person', 1, 1, 'notice', 'notice:8', 'n8', '乙', 't2', 7),"
	        " (9, 'unit', 2, 2, 'update_due', 'town:2', '2026-W48', '丙', 't3', NULL);");
	assert_int_not_equal(sqlite3_exec(db,
	                                  "INSERT INTO reminders VALUES (10, 'unit', 2, 3, "
	                                  "'visit_due', 's', 'w', 't', 'n', NULL)",
	                                  NULL, NULL, NULL),
	                     SQLITE_OK);
	exec_ok(db, "BEGIN");
	exec_ok(db, m009);
	exec_ok(db, "COMMIT");
	assert_int_equal(one(db, "SELECT count(*) FROM reminders"), 3);
	assert_int_equal(one(db, "SELECT count(*) FROM reminders WHERE (id, recipient_kind, "
	                         "recipient_id, seq, kind, text, created_by IS NULL) IN (VALUES "
	                         "(3, 'unit', 2, 1, 'node_due', '甲', 1), "
	                         "(8, 'person', 1, 1, 'notice', '乙', 0), "
	                         "(9, 'unit', 2, 2, 'update_due', '丙', 1))"),
	                 3);
	assert_int_equal(one(db, "SELECT count(*) FROM sqlite_master WHERE name = 'reminders_new'"),
	                 0);
	exec_ok(db, "INSERT INTO reminders(recipient_kind, recipient_id, seq, kind, subject_key,"
	            " window_key, text, created_at) VALUES"
	            " ('unit', 2, 3, 'rectification_due', 'rectification:1', 'd3', 't', 'n'),"
	            " ('unit', 2, 4, 'rectification_overdue', 'rectification:1', 'o0', 't', 'n'),"
	            " ('person', 1, 2, 'review_due', 'leader:1', '2026-W48', 't', 'n'),"
	            " ('person', 1, 3, 'visit_due', 'leader:1', '2026-11', 't', 'n')");
	/* The next id follows the highest kept. */
	assert_int_equal(one(db, "SELECT min(id) FROM reminders WHERE kind = 'rectification_due'"),
	                 10);
	static const char *const refused[] = {
	    /* an unknown kind */
	    "INSERT INTO reminders(recipient_kind, recipient_id, seq, kind, subject_key, "
	    "window_key, text, created_at) VALUES ('unit', 2, 5, 'bogus', 's', 'w', 't', 'n')",
	    /* a seq taken */
	    "INSERT INTO reminders(recipient_kind, recipient_id, seq, kind, subject_key, "
	    "window_key, text, created_at) VALUES ('unit', 2, 1, 'notice', 's', 'w', 't', 'n')",
	    /* a window taken */
	    "INSERT INTO reminders(recipient_kind, recipient_id, seq, kind, subject_key, "
	    "window_key, text, created_at) VALUES ('person', 1, 4, 'visit_due', 'leader:1', "
	    "'2026-11', 't', 'n')",
	    /* an account that does not exist */
	    "INSERT INTO reminders(recipient_kind, recipient_id, seq, kind, subject_key, "
	    "window_key, text, created_at, created_by) VALUES ('unit', 3, 1, 'notice', 's', "
	    "'w', 't', 'n', 99)",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		assert_int_equal(sqlite3_exec(db, refused[i], NULL, NULL, NULL), SQLITE_CONSTRAINT);
	assert_int_equal(one(db, "SELECT count(*) FROM reminders"), 7);
	sqlite3_close(db);
}

/* The scheduler's keys of the new rules: their defaults, good values, and
 * bad ones refused naming the key, the value kept. */
static void test_config(void **state)
{
	(void)state;
	srv_sched_config c;
	ls_status st;
	srv_sched_config_defaults(&c);
	assert_int_equal(c.review_wday, 5);
	assert_int_equal(c.visit_day, 20);
	assert_int_equal(c.rect_due_days, 3);
	assert_int_equal(srv_sched_config_set(&c, "review-due-day", "Thursday", &st), LS_OK);
	assert_int_equal(c.review_wday, 4);
	assert_int_equal(srv_sched_config_set(&c, "review-due-day", "sun", &st), LS_OK);
	assert_int_equal(c.review_wday, 7);
	assert_int_equal(srv_sched_config_set(&c, "visit-due-day", "28", &st), LS_OK);
	assert_int_equal(c.visit_day, 28);
	assert_int_equal(srv_sched_config_set(&c, "rectification-due-days", "0", &st), LS_OK);
	assert_int_equal(c.rect_due_days, 0);
	static const char *const bad[][2] = {
	    {"review-due-day", "fri 09:00"},  {"review-due-day", "someday"},
	    {"review-due-day", ""},           {"visit-due-day", "0"},
	    {"visit-due-day", "29"},          {"visit-due-day", "20th"},
	    {"rectification-due-days", "-1"}, {"rectification-due-days", "366"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ls_status_clear(&st);
		assert_int_equal(srv_sched_config_set(&c, bad[i][0], bad[i][1], &st),
		                 LS_INVALID_ARGUMENT);
		assert_string_equal(st.field, bad[i][0]);
	}
	assert_int_equal(c.review_wday, 7);
	assert_int_equal(c.visit_day, 28);
	assert_int_equal(c.rect_due_days, 0);
	srv_sched_config_free(&c);
}

/* ---- assignments ------------------------------------------------------------------------- */

static json_int_t json_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	fail_msg("no integer %s", key);
	return -1;
}

/* As of 04-18: WX has R1 (3 days left) and R6 (22); not R7 (done). ZJ has
 * R5 (42); not R3 (done). A leader has none. */
static void test_assignments(void **state)
{
	fx *f = *state;
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	Luoshi__V1__GetAssignmentsRequest req = LUOSHI__V1__GET_ASSIGNMENTS_REQUEST__INIT;
	req.as_of = "2030-04-18";
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_ASSIGNMENTS, &req.base, NULL, &m, &st), LS_OK);
	luoshi_client_close(c);
	const Luoshi__V1__GetAssignmentsResponse *a = (Luoshi__V1__GetAssignmentsResponse *)m;
	assert_int_equal(a->rectification_count, 2);
	assert_int_equal(a->n_rectifications, 2);
	assert_int_equal(a->rectifications[0]->id, 1);
	assert_int_equal(a->rectifications[0]->days_left, 3);
	assert_int_equal(a->rectifications[1]->id, 6);
	assert_int_equal(a->rectifications[1]->days_left, 22);
	protobuf_c_message_free_unpacked(m, NULL);

	e2e_run r;
	const char *table[] = {"assignments", "--as-of", "2030-04-18", NULL};
	cli(f, f->wx, NULL, table, 0, &r);
	const char *sec = strstr(r.out, "Open rectification orders (2)\n");
	assert_non_null(sec);
	/* The heading, the table's header and two rows. */
	assert_int_equal(e2e_count_lines(sec), 4);
	const char *r1 = strstr(sec, "完成征迁扫尾"), *r6 = strstr(sec, "落实管线迁改");
	assert_non_null(r1);
	assert_non_null(r6);
	assert_true(r1 < r6);
	assert_non_null(strstr(sec, "2030-04-21"));
	assert_non_null(strstr(sec, "2030-05-10"));
	assert_non_null(strstr(sec, "第一督查组"));
	assert_null(strstr(r.out, "上报整改方案"));
	e2e_run_free(&r);

	cli(f, f->zj, "zh_CN.UTF-8", table, 0, &r);
	sec = strstr(r.out, "未完成的整改事项（1）\n");
	assert_non_null(sec);
	assert_int_equal(e2e_count_lines(sec), 3);
	assert_non_null(strstr(sec, "完善档案资料"));
	assert_non_null(strstr(sec, "42"));
	assert_null(strstr(r.out, "补齐施工许可"));
	e2e_run_free(&r);

	const char *json[] = {"assignments", "--as-of", "2030-04-18", "--json", NULL};
	cli(f, f->wx, NULL, json, 0, &r);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	assert_int_equal(json_int(j, "rectificationCount"), 2);
	json_t *rows = json_object_get(j, "rectifications");
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "dueDate")),
	                    "2030-04-21");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "text")),
	                    "落实管线迁改");
	assert_int_equal(json_int(json_array_get(rows, 1), "daysLeft"), 22);
	json_decref(j);
	e2e_run_free(&r);

	cli(f, f->l01, NULL, table, 0, &r);
	assert_non_null(strstr(r.out, "Open rectification orders (0)\n"));
	e2e_run_free(&r);
}

/* ---- luoshi query ------------------------------------------------------------------------ */

/* April 2030 as of 04-30, for the admin: five led projects of four leaders.
 * ISO weeks of April: W14..W17 (W18's Thursday is 05-02), all past their
 * Friday. Weeks with a review by the lead leader: CAD1 W16 W17, CAD2 W17,
 * CAD3 W16 W17, CAD4 W15, CAD5 none: gaps 2 + 3 + 2 + 3 + 4 = 14. Visits
 * in April: CAD2, CAD3; missing CAD1, CAD4, CAD5: 3.
 * Supervision: inspections I1..I3 (one group); orders R1 R3..R7 = 6, done
 * R3 R7 = 2, open 4, overdue (open, due before 04-30) R1 R4 = 2. */
static void test_query(void **state)
{
	fx *f = *state;
	e2e_run r, alias;
	json_error_t err;
	const char *cad[] = {"query",   "cadence",    "--month", "2030-04",
	                     "--as-of", "2030-04-30", "--json",  NULL};
	cli(f, f->s.admin_token, NULL, cad, 0, &r);
	json_t *j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	assert_int_equal(json_int(j, "leaders"), 4);
	assert_int_equal(json_int(j, "projects"), 5);
	assert_int_equal(json_int(j, "reviewGaps"), 14);
	assert_int_equal(json_int(j, "visitsMissing"), 3);
	json_decref(j);
	const char *cad_alias[] = {"supervise", "cadence",    "--month", "2030-04",
	                           "--as-of",   "2030-04-30", "--json",  NULL};
	cli(f, f->s.admin_token, NULL, cad_alias, 0, &alias);
	assert_string_equal(alias.out, r.out);
	e2e_run_free(&alias);
	e2e_run_free(&r);

	const char *sup[] = {"query", "supervision", "--as-of", "2030-04-30", "--json", NULL};
	cli(f, f->s.admin_token, NULL, sup, 0, &r);
	j = json_loads(r.out, 0, &err);
	assert_non_null(j);
	assert_int_equal(json_int(j, "inspections"), 3);
	assert_int_equal(json_int(j, "groups"), 1);
	assert_int_equal(json_int(j, "rectifications"), 6);
	assert_int_equal(json_int(j, "rectificationsDone"), 2);
	assert_int_equal(json_int(j, "rectificationsOpen"), 4);
	assert_int_equal(json_int(j, "rectificationsOverdue"), 2);
	json_decref(j);
	const char *sup_alias[] = {"supervise", "summary", "--as-of", "2030-04-30", "--json", NULL};
	cli(f, f->s.admin_token, NULL, sup_alias, 0, &alias);
	assert_string_equal(alias.out, r.out);
	e2e_run_free(&alias);
	e2e_run_free(&r);

	/* The table views of each, under both names. */
	static const char *const names[][2] = {{"cadence", "cadence"},
	                                       {"supervision", "summary"},
	                                       {"approvals", "approvals"},
	                                       {"clearance", "clearance"},
	                                       {"funding", "funding"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *q[] = {"query", names[i][0], NULL};
		const char *s[] = {"supervise", names[i][1], NULL};
		cli(f, f->s.admin_token, NULL, q, 0, &r);
		cli(f, f->s.admin_token, NULL, s, 0, &alias);
		assert_true(r.out[0] != '\0');
		assert_string_equal(alias.out, r.out);
		e2e_run_free(&alias);
		e2e_run_free(&r);
		const char *h[] = {"query", names[i][0], "--help", NULL};
		cli(f, NULL, NULL, h, 0, &r);
		char want[64];
		snprintf(want, sizeof want, "Usage: luoshi query %s", names[i][0]);
		assert_non_null(strstr(r.out, want));
		e2e_run_free(&r);
	}
	/* The group's help lists them; a bad option is a usage error. */
	const char *help[] = {"query", "--help", NULL};
	cli(f, NULL, NULL, help, 0, &r);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		assert_non_null(strstr(r.out, names[i][0]));
	e2e_run_free(&r);
	cli(f, NULL, "zh_CN.UTF-8", help, 0, &r);
	assert_non_null(strstr(r.out, "领导每周专题了解"));
	e2e_run_free(&r);
	const char *bad[] = {"query", "cadence", "--month", "2030-13", NULL};
	cli(f, f->s.admin_token, NULL, bad, 3, &r);
	assert_non_null(strstr(r.err, "INVALID_ARGUMENT: month"));
	e2e_run_free(&r);
	const char *unknown[] = {"query", "funding", "--bogus", NULL};
	cli(f, f->s.admin_token, NULL, unknown, 3, &r);
	assert_non_null(
	    strstr(r.err, "unknown option '--bogus' (try 'luoshi query funding --help')"));
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reminders, setup, teardown),
	    cmocka_unit_test(test_migration),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test_setup_teardown(test_assignments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
