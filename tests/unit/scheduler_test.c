/* The reminder scheduler's rules on a real database, with the time given
 * by the test: weekly updates due and overdue, holidays and working
 * Saturdays, nodes due in 7/3/1 days and overdue again and again, problems,
 * reconciliation, and a server that was down over several ticks. Rows are
 * put in by hand with SQL; no test waits. Calendar: Asia/Shanghai;
 * 2026-11-27 is a Friday (ISO week 2026-W48 runs from 11-23 to 11-29).
 *
 * On SQLite by default; with LUOSHI_TEST_PG set (tests/pg_server.sh gives a
 * PostgreSQL server's URL), each test's store is a new PostgreSQL database
 * there instead, and the test's own SQL goes to it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "period.h"
#include "scheduler.h"
#include "pg_database.h"
#include "store/db.h"
#include "store/reminders.h"
#include "store/store.h"

typedef struct fixture {
	char dir[64];
	char db[512];    /* the SQLite file, or the PostgreSQL database's URL */
	char pgname[64]; /* that PostgreSQL database; "" on SQLite */
	srv_store *store;
	/* A second connection, for the test's own SQL: to the SQLite file, or
	 * to the PostgreSQL database (exactly one is set). */
	sqlite3 *side;
	struct srv_pg *pg;
	srv_sched_config cfg;
	srv_announce_list last; /* what the last tick announced */
} fixture;

static bool on_pg(void)
{
	return getenv("LUOSHI_TEST_PG") != NULL;
}

/* Runs text, which may hold several statements, on the side connection. */
static void sql(fixture *f, const char *text)
{
	if (f->pg != NULL) {
		ls_status st;
		ls_status_clear(&st);
		if (srv_pg_exec(f->pg, text, &st) != LS_OK)
			fail_msg("SQL failed: %s\n%s", srv_pg_errmsg(f->pg), text);
		return;
	}
	char *err = NULL;
	if (sqlite3_exec(f->side, text, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("SQL failed: %s\n%s", err ? err : "?", text);
}

/* Prepares one statement on the side connection; it must prepare. */
static void prepare(fixture *f, srv_q *q, const char *text)
{
	memset(q, 0, sizeof *q);
	if (f->pg != NULL) {
		q->pg = srv_pgq_prepare(f->pg, text);
		if (q->pg == NULL)
			fail_msg("SQL failed: %s\n%s", srv_pg_errmsg(f->pg), text);
	} else if (sqlite3_prepare_v2(f->side, text, -1, &q->lite, NULL) != SQLITE_OK) {
		fail_msg("SQL failed: %s\n%s", sqlite3_errmsg(f->side), text);
	}
}

static void finish(srv_q *q)
{
	if (q->lite != NULL)
		sqlite3_finalize(q->lite);
	else
		srv_pgq_free(q->pg);
}

static int64_t count(fixture *f, const char *text)
{
	srv_q q;
	int64_t n = -1;
	prepare(f, &q, text);
	if (srv_step(&q) == SRV_ROW)
		n = srv_col_int64(&q, 0);
	finish(&q);
	return n;
}

/* The text of the one row sql selects ("" if none); the caller frees it. */
static char *text_of(fixture *f, const char *text)
{
	srv_q q;
	char *out = NULL;
	prepare(f, &q, text);
	if (srv_step(&q) == SRV_ROW && srv_col_text(&q, 0) != NULL)
		out = strdup(srv_col_text(&q, 0));
	finish(&q);
	return out ? out : strdup("");
}

/* On PostgreSQL, rows put in with their ids leave table's identity behind
 * them: it moves past the largest id, so that the rows the server (or the
 * test) adds without one get new ids. SQLite needs nothing of the kind. */
static void ids_taken(fixture *f, const char *table)
{
	if (f->pg == NULL)
		return;
	char q[256];
	snprintf(q, sizeof q,
	         "SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))",
	         table, table);
	sql(f, q);
}

/* Runs text on the PostgreSQL server of LUOSHI_TEST_PG itself (its
 * database "postgres"), in a connection of its own. */
static void pg_admin(const char *text)
{
	struct srv_pg *pg;
	ls_status st;
	ls_status_clear(&st);
	if (srv_pg_open(&pg, getenv("LUOSHI_TEST_PG"), &st) != LS_OK)
		fail_msg("cannot connect to %s: %s", getenv("LUOSHI_TEST_PG"), st.message);
	if (srv_pg_exec(pg, text, &st) != LS_OK)
		fail_msg("%s: %s", text, st.message);
	srv_pg_close(pg);
}

/* A new PostgreSQL database for the test, named after its directory; its
 * URL, LUOSHI_TEST_PG's with the database "postgres" replaced, in f->db. */
static void pg_database(fixture *f)
{
	assert_int_equal(test_pg_database(getenv("LUOSHI_TEST_PG"), "sched_",
	                                  strrchr(f->dir, '-') + 1, f->pgname, f->db, sizeof f->db),
	                 0);
}

/* "2026-11-27 09:00" in Asia/Shanghai. */
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
static size_t tick(fixture *f, const char *when)
{
	ls_status st;
	ls_status_clear(&st);
	srv_announce_list_fini(&f->last);
	assert_int_equal(srv_store_begin(f->store, &st), LS_OK);
	int rc = srv_scheduler_run(f->store, &f->cfg, at(when), &f->last, &st);
	if (rc != LS_OK)
		fail_msg("tick at %s: %s", when, st.message);
	assert_int_equal(srv_store_commit(f->store, &st), LS_OK);
	return f->last.n;
}

/* A restart: the store closes and opens again. */
static void restart(fixture *f)
{
	ls_status st;
	srv_store_close(f->store);
	assert_int_equal(srv_store_open(&f->store, f->db, false, &st), LS_OK);
}

static const char registry[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES "
    "(1, 'office', '区领导小组办公室', 'district', NULL, '2026-01-01'),"
    "(2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    "(3, 'QY', '邱隘镇', 'town', 1, '2026-01-01'),"
    "(4, 'ZJ', '住建局', 'department', 1, '2026-01-01'),"
    "(5, 'XZ', '下应街道', 'town', 1, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES "
    "(1, 'L1', '张三', 1, '2026-01-01'), (2, 'P2', '李四', 4, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id, "
    "lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish, "
    "archived, created_at) VALUES "
    "(1, 'P001', '五乡污水管网', 'district', 'infrastructure', 'new', 1, 4, 2, 5000, "
    "'weekly', '2026-01-01', '2027-12-31', 0, '2026-01-01'),"
    "(2, 'P002', '五乡安置房', 'district', 'livelihood', 'new', 1, 4, 2, 800, 'weekly', "
    "'2026-01-01', '2027-12-31', 0, '2026-01-01'),"
    "(3, 'P003', '邱隘产业园', 'district', 'industrial', 'new', 1, 4, 3, 900, 'monthly', "
    "'2026-01-01', '2027-12-31', 0, '2026-01-01'),"
    "(4, 'P004', '邱隘旧项目', 'district', 'industrial', 'new', 1, 4, 3, 900, 'weekly', "
    "'2026-01-01', '2027-12-31', 1, '2026-01-01'),"
    "(5, 'P005', '区级平台', 'district', 'platform', 'new', 1, 4, NULL, 900, 'weekly', "
    "'2026-01-01', '2027-12-31', 0, '2026-01-01');";

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/luoshi-sched-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (on_pg())
		pg_database(f);
	else
		snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	ls_status st;
	ls_status_clear(&st);
	if (srv_store_open(&f->store, f->db, true, &st) != LS_OK)
		fail_msg("cannot open the store %s: %s", f->db, st.message);
	if (on_pg()) {
		if (srv_pg_open(&f->pg, f->db, &st) != LS_OK)
			fail_msg("cannot connect to %s: %s", f->db, st.message);
	} else {
		assert_int_equal(sqlite3_open(f->db, &f->side), SQLITE_OK);
		sqlite3_busy_timeout(f->side, 5000);
	}
	sql(f, registry);
	ids_taken(f, "units");
	ids_taken(f, "people");
	ids_taken(f, "projects");
	srv_sched_config_defaults(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	srv_announce_list_fini(&f->last);
	srv_sched_config_free(&f->cfg);
	if (f->pg != NULL)
		srv_pg_close(f->pg);
	else
		sqlite3_close(f->side);
	srv_store_close(f->store);
	if (f->pgname[0] != '\0') {
		char q[128];
		snprintf(q, sizeof q, "DROP DATABASE %s", f->pgname);
		pg_admin(q);
	}
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* An update of project for period (a week "2026-W48" of month). */
static void add_update(fixture *f, int project, const char *period, const char *month)
{
	char q[512];
	snprintf(q, sizeof q,
	         "INSERT INTO updates(project_id, period, period_kind, period_first, period_last, "
	         "month, year, revision, unit_id, invested, percent, progress, submitted_at) "
	         "VALUES (%d, '%s', 'week', '2026-01-01', '2026-01-07', '%s', 2026, 1, 2, 1, 10, "
	         "'进展', '2026-01-01T10:00:00+08:00')",
	         project, period, month);
	sql(f, q);
}

static void write_file(const fixture *f, const char *name, const char *text, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void load_holidays(fixture *f, const char *text)
{
	char path[160];
	ls_status st;
	write_file(f, "holidays.conf", text, path, sizeof path);
	assert_int_equal(srv_sched_config_set(&f->cfg, "holidays", path, &st), LS_OK);
}

#define KIND(k) "SELECT count(*) FROM reminders WHERE kind = '" k "'"

/* ---- weekly updates ------------------------------------------------------------ */

static void update_due_and_overdue(void **state)
{
	fixture *f = *state;
	/* P002 reported for W48; P001 did not. QY's only weekly project is
	 * archived, its other one monthly: QY gets nothing. */
	add_update(f, 2, "2026-W48", "2026-11");

	assert_int_equal(tick(f, "2026-11-27 08:59"), 0);
	assert_int_equal(count(f, KIND("update_due")), 0);

	assert_int_equal(tick(f, "2026-11-27 09:00"), 1);
	assert_int_equal(f->last.items[0].to.kind, SRV_RCPT_UNIT);
	assert_int_equal(f->last.items[0].to.id, 2);
	assert_int_equal(f->last.items[0].seq, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'update_due' AND "
	                          "recipient_kind = 'unit' AND recipient_id = 2 AND seq = 1 AND "
	                          "window_key = '2026-W48' AND subject_key = 'town:2'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders"), 1);
	char *t = text_of(f, "SELECT text FROM reminders WHERE kind = 'update_due'");
	assert_string_equal(t, "【周报提醒】五乡镇：本周（2026-W48）以下项目尚未报送进度："
	                       "五乡污水管网（P001）。请按时报送。");
	free(t);

	assert_int_equal(tick(f, "2026-11-27 09:30"), 0);
	assert_int_equal(tick(f, "2026-11-28 09:00"), 0);
	assert_int_equal(count(f, KIND("update_due")), 1);

	/* Monday: W48 is overdue. Both projects are missing for W49 but that
	 * is next Friday's business. */
	assert_int_equal(tick(f, "2026-11-30 08:59"), 0);
	assert_int_equal(tick(f, "2026-11-30 09:00"), 1);
	assert_int_equal(f->last.items[0].to.id, 2);
	assert_int_equal(f->last.items[0].seq, 2);
	t = text_of(f, "SELECT text FROM reminders WHERE kind = 'update_overdue'");
	assert_string_equal(t, "【周报逾期】五乡镇：上周（2026-W48）以下项目未报送进度："
	                       "五乡污水管网（P001）。请尽快补报。");
	free(t);
	assert_int_equal(tick(f, "2026-11-30 09:30"), 0);
	assert_int_equal(count(f, KIND("update_overdue")), 1);

	/* Next Friday: W49, both projects. */
	assert_int_equal(tick(f, "2026-12-04 09:00"), 1);
	assert_int_equal(f->last.items[0].seq, 3);
	t = text_of(f, "SELECT text FROM reminders WHERE window_key = '2026-W49'");
	assert_non_null(strstr(t, "五乡污水管网（P001）、五乡安置房（P002）"));
	free(t);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE recipient_id <> 2"), 0);
}

static void weekly_after_restart(void **state)
{
	fixture *f = *state;
	assert_int_equal(tick(f, "2026-11-27 09:00"), 1);
	restart(f);
	/* The rule fired at 09:00 and the unique window holds even when the
	 * rule's state is lost. */
	assert_int_equal(tick(f, "2026-11-27 09:05"), 0);
	sql(f, "DELETE FROM scheduler_state");
	assert_int_equal(tick(f, "2026-11-27 09:10"), 0);
	assert_int_equal(count(f, KIND("update_due")), 1);
}

/* 端午节 2026: Friday 06-19 to Sunday 06-21 off. The due reminder of W25
 * would move to Monday 09:00, when the overdue one fires: only that one. */
static void holiday_friday_meets_monday(void **state)
{
	fixture *f = *state;
	load_holidays(f, "# 端午节\n2026-06-19 holiday\n2026-06-20 holiday  # Saturday\n"
	                 "2026-06-21 holiday\n");
	assert_int_equal(tick(f, "2026-06-18 09:00"), 0);
	assert_int_equal(tick(f, "2026-06-19 09:00"), 0);
	assert_int_equal(tick(f, "2026-06-20 09:00"), 0);
	assert_int_equal(tick(f, "2026-06-22 09:00"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'update_overdue' "
	                          "AND window_key = '2026-W25'"),
	                 1);
	assert_int_equal(count(f, KIND("update_due")), 0);
}

/* A holiday Friday whose reminder moves to Monday, before the overdue
 * reminder (configured for Tuesday). */
static void holiday_friday_moves(void **state)
{
	fixture *f = *state;
	ls_status st;
	assert_int_equal(srv_sched_config_set(&f->cfg, "update-overdue", "tue 09:00", &st), LS_OK);
	load_holidays(f, "2026-12-04 holiday\n");
	assert_int_equal(tick(f, "2026-12-04 09:00"), 0);
	assert_int_equal(tick(f, "2026-12-05 09:00"), 0);
	assert_int_equal(tick(f, "2026-12-07 08:59"), 0);
	assert_int_equal(tick(f, "2026-12-07 09:00"), 1);
	char *t = text_of(f, "SELECT text FROM reminders WHERE kind = 'update_due'");
	/* Fired in W50 about W49: not "this week". */
	assert_string_equal(t, "【周报提醒】五乡镇：（2026-W49）以下项目尚未报送进度："
	                       "五乡污水管网（P001）、五乡安置房（P002）。请按时报送。");
	free(t);
	assert_int_equal(tick(f, "2026-12-08 09:00"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'update_overdue' "
	                          "AND window_key = '2026-W49'"),
	                 1);
}

/* A holiday Friday and a working Saturday: the reminder comes on Saturday. */
static void working_saturday(void **state)
{
	fixture *f = *state;
	load_holidays(f, "2026-12-04 holiday 假设的假日\n2026-12-05 workday\n");
	assert_int_equal(tick(f, "2026-12-04 09:00"), 0);
	assert_int_equal(tick(f, "2026-12-05 08:59"), 0);
	assert_int_equal(tick(f, "2026-12-05 09:00"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'update_due' AND "
	                          "window_key = '2026-W49' AND created_at = "
	                          "'2026-12-05T09:00:00+08:00'"),
	                 1);
	/* A reminder configured for Saturday falls on a working Saturday, and
	 * moves to Monday from a Saturday off (the overdue one is Tuesday's).
	 * Back in October: the rules start afresh. */
	sql(f, "DELETE FROM scheduler_state");
	srv_sched_config_free(&f->cfg);
	ls_status st;
	assert_int_equal(srv_sched_config_set(&f->cfg, "update-due", "sat 10:30", &st), LS_OK);
	assert_int_equal(srv_sched_config_set(&f->cfg, "update-overdue", "tue 09:00", &st), LS_OK);
	load_holidays(f, "2026-10-10 workday\n");
	assert_int_equal(tick(f, "2026-10-10 10:29"), 0);
	assert_int_equal(tick(f, "2026-10-10 10:30"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'update_due' AND "
	                          "window_key = '2026-W41'"),
	                 1);
	/* Saturday 10-17 is off: nothing due; the tick catches up with W41's
	 * overdue reminder of Tuesday. Monday 10:30 brings W42's. */
	assert_int_equal(tick(f, "2026-10-17 10:30"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'update_overdue' "
	                          "AND window_key = '2026-W41'"),
	                 1);
	assert_int_equal(tick(f, "2026-10-19 10:29"), 0);
	assert_int_equal(tick(f, "2026-10-19 10:30"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'update_due' AND "
	                          "window_key = '2026-W42'"),
	                 1);
}

/* 国庆节 2026: October 1 to 7 off. The overdue reminder of W40 (Monday 10-05)
 * moves to Thursday 10-08, when the moved due reminder of W40 also falls:
 * only the overdue one. Friday 10-09 is a working day again. */
static void national_day(void **state)
{
	fixture *f = *state;
	load_holidays(f, "2026-10-01 holiday\n2026-10-02 holiday\n2026-10-03 holiday\n"
	                 "2026-10-04 holiday\n2026-10-05 holiday\n2026-10-06 holiday\n"
	                 "2026-10-07 holiday\n2026-09-20 workday\n2026-10-10 workday\n");
	assert_int_equal(tick(f, "2026-09-25 09:00"), 1); /* W39 due */
	assert_int_equal(tick(f, "2026-09-28 09:00"), 1); /* W39 overdue */
	assert_int_equal(tick(f, "2026-10-02 09:00"), 0);
	assert_int_equal(tick(f, "2026-10-05 09:00"), 0);
	assert_int_equal(tick(f, "2026-10-08 09:00"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE window_key = '2026-W40'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE window_key = '2026-W40' "
	                          "AND kind = 'update_overdue'"),
	                 1);
	assert_int_equal(tick(f, "2026-10-09 09:00"), 1); /* W41 due */
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE window_key = '2026-W41'"),
	                 1);
}

/* ---- a server that was down ------------------------------------------------------ */

static void down_over_several_ticks(void **state)
{
	fixture *f = *state;
	sql(f, "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) "
	       "VALUES (1, 1, '管网开工', '2026-12-10', 4, '2026-01-01')");
	ids_taken(f, "nodes");
	assert_int_equal(tick(f, "2026-11-27 08:59"), 0);
	restart(f);
	/* Down from Friday 08:59 to Tuesday: W48's due and overdue times, and
	 * four daily runs, passed. One overdue reminder, no due one. */
	assert_int_equal(tick(f, "2026-12-01 10:00"), 1);
	assert_int_equal(count(f, KIND("update_overdue")), 1);
	assert_int_equal(count(f, KIND("update_due")), 0);
	assert_int_equal(tick(f, "2026-12-01 10:01"), 0);
	assert_int_equal(tick(f, "2026-12-01 10:02"), 0);

	/* Down from Wednesday 08:00 to the next Tuesday 10:00: the node's
	 * 7-day step passed unseen; the daily run fires once, for Tuesday
	 * 12-08 (2 days left): the 3-day step only. And the Friday and Monday
	 * of W49 passed: the overdue reminder of W49 only. */
	assert_int_equal(tick(f, "2026-12-02 08:00"), 0);
	restart(f);
	assert_int_equal(tick(f, "2026-12-08 10:00"), 2);
	assert_int_equal(count(f, KIND("node_due")), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'node_due' AND "
	                          "window_key = 'd3' AND recipient_id = 4"),
	                 1);
	assert_int_equal(count(f, KIND("update_due")), 0);
	assert_int_equal(count(f, KIND("update_overdue")), 2);
	for (int i = 0; i < 5; i++) {
		char when[32];
		snprintf(when, sizeof when, "2026-12-08 %02d:00", 11 + i);
		assert_int_equal(tick(f, when), 0);
	}
	/* Each rule records each run, whether it wrote anything or not. */
	assert_int_equal(count(f, "SELECT count(*) FROM scheduler_state WHERE last_run_at = "
	                          "'2026-12-08T15:00:00+08:00'"),
	                 3);
}

/* ---- nodes --------------------------------------------------------------------- */

static void node_steps(void **state)
{
	fixture *f = *state;
	sql(f, "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date, "
	       "created_at) VALUES "
	       "(1, 1, '管网开工', '2026-12-10', 4, NULL, '2026-01-01'),"
	       "(2, 1, '已完成节点', '2026-12-10', 4, '2026-11-01', '2026-01-01'),"
	       "(3, 4, '归档项目节点', '2026-12-10', 4, NULL, '2026-01-01')");
	ids_taken(f, "nodes");
	const char *nd = "SELECT count(*) FROM reminders WHERE kind = 'node_due'";
	tick(f, "2026-12-02 09:00"); /* 8 days */
	assert_int_equal(count(f, nd), 0);
	tick(f, "2026-12-03 08:59");
	assert_int_equal(count(f, nd), 0);
	tick(f, "2026-12-03 09:00"); /* 7 days */
	assert_int_equal(count(f, nd), 1);
	char *t = text_of(f, "SELECT text FROM reminders WHERE kind = 'node_due'");
	assert_string_equal(t, "【节点提醒】五乡污水管网（P001）的节点「管网开工」将于2026-12-10"
	                       "到期（还有7天），请抓紧推进。");
	free(t);
	tick(f, "2026-12-04 09:00"); /* 6 */
	tick(f, "2026-12-05 09:00"); /* 5 */
	tick(f, "2026-12-06 09:00"); /* 4 */
	assert_int_equal(count(f, nd), 1);
	tick(f, "2026-12-07 09:00"); /* 3 */
	assert_int_equal(count(f, nd), 2);
	tick(f, "2026-12-08 09:00"); /* 2 */
	assert_int_equal(count(f, nd), 2);
	tick(f, "2026-12-09 09:00"); /* 1 */
	assert_int_equal(count(f, nd), 3);
	tick(f, "2026-12-10 09:00"); /* today */
	assert_int_equal(count(f, nd), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'node_due' AND "
	                          "subject_key = 'node:1' AND recipient_kind = 'unit' AND "
	                          "recipient_id = 4 AND window_key IN ('d7', 'd3', 'd1')"),
	                 3);
	assert_int_equal(count(f, KIND("node_overdue")), 0);
}

static void node_overdue_repeats(void **state)
{
	fixture *f = *state;
	ls_status st;
	assert_int_equal(srv_sched_config_set(&f->cfg, "node-overdue-every-days", "3", &st), LS_OK);
	sql(f, "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) "
	       "VALUES (1, 2, '主体封顶', '2026-12-10', 4, '2026-01-01')");
	ids_taken(f, "nodes");
	const char *no = "SELECT count(*) FROM reminders WHERE kind = 'node_overdue'";
	tick(f, "2026-12-10 09:00");
	assert_int_equal(count(f, no), 0);
	static const int expect[] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4};
	for (int d = 0; d < 10; d++) {
		char when[32];
		snprintf(when, sizeof when, "2026-12-%02d 09:00", 11 + d);
		tick(f, when);
		assert_int_equal(count(f, no), expect[d]);
	}
	char *t = text_of(f, "SELECT text FROM reminders WHERE window_key = 'o1'");
	assert_string_equal(t,
	                    "【节点逾期】五乡安置房（P002）的节点「主体封顶」已于2026-12-10到期，"
	                    "逾期4天，尚未完成。");
	free(t);
	/* Done: no more. */
	sql(f, "UPDATE nodes SET done_date = '2026-12-20' WHERE id = 1");
	for (int d = 21; d <= 31; d++) {
		char when[32];
		snprintf(when, sizeof when, "2026-12-%02d 09:00", d);
		tick(f, when);
	}
	assert_int_equal(count(f, no), 4);
}

static void node_overdue_default_week(void **state)
{
	fixture *f = *state;
	sql(f, "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) "
	       "VALUES (1, 2, '主体封顶', '2026-12-01', 4, '2026-01-01')");
	ids_taken(f, "nodes");
	const char *no = "SELECT count(*) FROM reminders WHERE kind = 'node_overdue'";
	tick(f, "2026-12-02 09:00"); /* 1 day late */
	assert_int_equal(count(f, no), 1);
	tick(f, "2026-12-08 09:00"); /* 7 */
	assert_int_equal(count(f, no), 1);
	tick(f, "2026-12-09 09:00"); /* 8 */
	assert_int_equal(count(f, no), 2);
	tick(f, "2026-12-16 09:00"); /* 15 */
	assert_int_equal(count(f, no), 3);
}

/* ---- problems ---------------------------------------------------------------------- */

static void problems(void **state)
{
	fixture *f = *state;
	sql(f, "INSERT INTO units(id, code, name, kind, parent_id, created_at, support_group) "
	       "VALUES (6, 'XT', '协调组', 'support_group', 1, '2026-01-01', 'coordination');"
	       "INSERT INTO problems(id, project_id, title, grp, routed_unit_id, "
	       "assignee_unit_id, assignee_person_id, due_date, status, raised_at, raised_on) "
	       "VALUES "
	       "(1, 1, '管线迁改', 'coordination', 6, 4, 2, '2026-12-10', 'open', "
	       "'2026-11-01T10:00:00+08:00', '2026-11-01'),"
	       "(2, 2, '资金缺口', 'funding', 6, NULL, NULL, '2026-12-10', 'open', "
	       "'2026-11-01T10:00:00+08:00', '2026-11-01'),"
	       "(3, 2, '已销号', 'funding', 6, NULL, NULL, '2026-12-10', 'resolved', "
	       "'2026-11-01T10:00:00+08:00', '2026-11-01'),"
	       "(4, 2, '无期限', 'funding', 6, NULL, NULL, NULL, 'open', "
	       "'2026-11-01T10:00:00+08:00', '2026-11-01')");
	ids_taken(f, "units");
	ids_taken(f, "problems");
	const char *pd = "SELECT count(*) FROM reminders WHERE kind = 'problem_due'";
	tick(f, "2026-12-06 09:00"); /* 4 days */
	assert_int_equal(count(f, pd), 0);
	tick(f, "2026-12-07 09:00"); /* 3 days */
	/* Problem 1: its person (李四), its unit (住建局) and the lead leader
	 * (张三); problem 2: the support group it was routed to, and 张三. */
	assert_int_equal(count(f, pd), 5);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE subject_key = 'problem:1' "
	                          "AND ((recipient_kind = 'person' AND recipient_id IN (1, 2)) OR "
	                          "(recipient_kind = 'unit' AND recipient_id = 4))"),
	                 3);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE subject_key = 'problem:2' "
	                          "AND ((recipient_kind = 'person' AND recipient_id = 1) OR "
	                          "(recipient_kind = 'unit' AND recipient_id = 6))"),
	                 2);
	char *t = text_of(f, "SELECT text FROM reminders WHERE subject_key = 'problem:1' LIMIT 1");
	assert_string_equal(t,
	                    "【问题提醒】五乡污水管网（P001）的问题「管线迁改」将于2026-12-10到期"
	                    "（还有3天），尚未销号。");
	free(t);
	tick(f, "2026-12-10 09:00");
	assert_int_equal(count(f, pd), 5);
	assert_int_equal(count(f, KIND("problem_overdue")), 0);
	tick(f, "2026-12-11 09:00");
	assert_int_equal(count(f, KIND("problem_overdue")), 5);
	sql(f, "UPDATE problems SET status = 'resolved' WHERE id = 2");
	tick(f, "2026-12-18 09:00"); /* problem 1 again, a week later */
	assert_int_equal(count(f, KIND("problem_overdue")), 8);
	/* The person's reminders are numbered in the person's own sequence. */
	assert_int_equal(count(f, "SELECT max(seq) FROM reminders WHERE recipient_kind = 'person' "
	                          "AND recipient_id = 2"),
	                 3);
}

/* ---- reconciliation ------------------------------------------------------------------- */

static void reconciliation(void **state)
{
	fixture *f = *state;
	add_update(f, 1, "2026-W44", "2026-10");
	const char *rd = "SELECT count(*) FROM reminders WHERE kind = 'reconcile_due'";
	tick(f, "2026-11-04 09:00");
	assert_int_equal(count(f, rd), 0);
	tick(f, "2026-11-05 08:59");
	assert_int_equal(count(f, rd), 0);
	tick(f, "2026-11-05 09:00");
	assert_int_equal(count(f, rd), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM reminders WHERE kind = 'reconcile_due' AND "
	                          "recipient_kind = 'unit' AND recipient_id = 1 AND window_key = "
	                          "'2026-10' AND subject_key = 'month:2026-10'"),
	                 1);
	char *t = text_of(f, "SELECT text FROM reminders WHERE kind = 'reconcile_due'");
	assert_string_equal(
	    t, "【月度对账提醒】2026年10月的进度数据尚未对账锁定（应于2026-11-05前完成），"
	       "请尽快核对并锁定。");
	free(t);
	tick(f, "2026-11-06 09:00");
	tick(f, "2026-11-20 09:00");
	assert_int_equal(count(f, rd), 1);

	/* November: updates, but locked on time. December 5th: nothing. */
	add_update(f, 1, "2026-W46", "2026-11");
	sql(f, "INSERT INTO period_locks(month, locked_at) VALUES ('2026-11', "
	       "'2026-12-03T10:00:00+08:00')");
	tick(f, "2026-12-05 09:00");
	tick(f, "2026-12-06 09:00");
	assert_int_equal(count(f, rd), 1);
	/* January 2027 for December 2026: no updates in December, nothing
	 * to reconcile. */
	tick(f, "2027-01-05 09:00");
	assert_int_equal(count(f, rd), 1);
	/* February 2027: January has an update and is not locked. */
	add_update(f, 2, "2027-W02", "2027-01");
	tick(f, "2027-02-05 09:00");
	assert_int_equal(count(f, rd), 2);
}

/* ---- texts, calendar, configuration ------------------------------------------------- */

static void long_list_is_cut(void **state)
{
	fixture *f = *state;
	sql(f, "BEGIN");
	for (int i = 0; i < 100; i++) {
		char q[1024];
		snprintf(q, sizeof q,
		         "INSERT INTO projects(code, name, level, category, stage, lead_leader_id, "
		         "lead_unit_id, town_id, total_investment, planned_start, planned_finish, "
		         "created_at) VALUES ('X%03d', '下应街道第%03d号重点建设项目（一期工程）', "
		         "'town', 'platform', 'new', 1, 4, 5, 1, '2026-01-01', '2027-01-01', "
		         "'2026-01-01')",
		         i, i);
		sql(f, q);
	}
	sql(f, "COMMIT");
	tick(f, "2026-11-27 09:00");
	char *t = text_of(f, "SELECT text FROM reminders WHERE recipient_id = 5");
	size_t n = strlen(t);
	assert_true(n <= SRV_REMINDER_TEXT_MAX);
	assert_true(n > SRV_REMINDER_TEXT_MAX - 200);
	const char *tail = "等100个项目。请按时报送。";
	assert_true(n > strlen(tail));
	assert_string_equal(t + n - strlen(tail), tail);
	assert_non_null(strstr(t, "下应街道第000号重点建设项目（一期工程）（X000）、"));
	assert_null(strstr(t, "X099"));
	free(t);
}

static void calendar(void **state)
{
	fixture *f = *state;
	int32_t d;
	/* Without a calendar, Thursday 2026-10-01 is a working day. */
	assert_true(ls_date_parse("2026-10-01", &d));
	assert_true(srv_sched_working_day(NULL, d));
	load_holidays(f, "2026-10-01 holiday\n2026-10-10 workday # 调休\n\n   # only a comment\n");
	const srv_holidays *h = f->cfg.holidays;
	struct {
		const char *day;
		bool work;
	} cases[] = {
	    {"2026-10-01", false}, /* Thursday, a holiday */
	    {"2026-10-09", true},  /* Friday */
	    {"2026-10-10", true},  /* Saturday, worked */
	    {"2026-10-11", false}, /* Sunday */
	    {"2026-10-17", false}, /* Saturday */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_true(ls_date_parse(cases[i].day, &d));
		if (srv_sched_working_day(h, d) != cases[i].work)
			fail_msg("%s should be %s", cases[i].day, cases[i].work ? "worked" : "off");
	}

	char path[160];
	ls_status st;
	srv_holidays *bad = NULL;
	write_file(f, "bad.conf", "2026-10-01 holiday\n2026-13-01 holiday\n", path, sizeof path);
	assert_int_equal(srv_holidays_load(path, &bad, &st), LS_INVALID_ARGUMENT);
	assert_null(bad);
	assert_string_equal(st.field, "holidays");
	assert_non_null(strstr(st.message, "bad.conf:2:"));
	write_file(f, "bad2.conf", "2026-10-01 vacation\n", path, sizeof path);
	assert_int_equal(srv_holidays_load(path, &bad, &st), LS_INVALID_ARGUMENT);
	write_file(f, "bad3.conf", "2026-10-01 holiday\n2026-10-01 workday\n", path, sizeof path);
	assert_int_equal(srv_holidays_load(path, &bad, &st), LS_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "2026-10-01"));
	snprintf(path, sizeof path, "%s/missing.conf", f->dir);
	assert_int_equal(srv_sched_config_set(&f->cfg, "holidays", path, &st), LS_NOT_FOUND);
	/* A failed load keeps the calendar there was. */
	assert_true(f->cfg.holidays == h);
}

static void config_keys(void **state)
{
	fixture *f = *state;
	srv_sched_config *c = &f->cfg;
	ls_status st;
	assert_int_equal(c->due_wday, 5);
	assert_int_equal(c->due_minute, 540);
	assert_int_equal(c->interval_ms, 60000);
	assert_int_equal(c->push_coalesce, 8);
	assert_int_equal(c->node_overdue_every_days, 7);
	assert_int_equal(srv_sched_config_set(c, "update-due", "Saturday 10:30", &st), LS_OK);
	assert_int_equal(c->due_wday, 6);
	assert_int_equal(c->due_minute, 630);
	assert_int_equal(srv_sched_config_set(c, "update-overdue", "tue 08:05", &st), LS_OK);
	assert_int_equal(c->overdue_wday, 2);
	assert_int_equal(c->overdue_minute, 485);
	assert_int_equal(srv_sched_config_set(c, "daily-at", "07:45", &st), LS_OK);
	assert_int_equal(c->daily_minute, 465);
	assert_int_equal(srv_sched_config_set(c, "scheduler-interval-ms", "200", &st), LS_OK);
	assert_int_equal(c->interval_ms, 200);
	assert_int_equal(srv_sched_config_set(c, "node-overdue-every-days", "14", &st), LS_OK);
	assert_int_equal(c->node_overdue_every_days, 14);
	assert_int_equal(srv_sched_config_set(c, "push-coalesce", "0", &st), LS_OK);
	assert_int_equal(c->push_coalesce, 0);

	const char *bad[][2] = {
	    {"update-due", "fri"},
	    {"update-due", "fri 9:00"},
	    {"update-due", "fri 24:00"},
	    {"update-due", "someday 09:00"},
	    {"update-due", "fri 09:00 x"},
	    {"daily-at", "9"},
	    {"daily-at", "09:60"},
	    {"scheduler-interval-ms", "0"},
	    {"scheduler-interval-ms", "x"},
	    {"node-overdue-every-days", "0"},
	    {"node-overdue-every-days", "-1"},
	    {"push-coalesce", "-1"},
	    {"push-coalesce", "many"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ls_status_clear(&st);
		if (srv_sched_config_set(c, bad[i][0], bad[i][1], &st) != LS_INVALID_ARGUMENT)
			fail_msg("%s = %s was accepted", bad[i][0], bad[i][1]);
		assert_string_equal(st.field, bad[i][0]);
	}
	/* Unchanged by the refusals. */
	assert_int_equal(c->due_wday, 6);
	assert_int_equal(c->daily_minute, 465);
	assert_int_equal(c->interval_ms, 200);
	ls_status_clear(&st);
	assert_int_equal(srv_sched_config_set(c, "listen", "tcp://x", &st), LS_NOT_FOUND);
	assert_int_equal(st.code, LS_OK);
}

static void topics(void **state)
{
	(void)state;
	char buf[32];
	srv_recipient u = {SRV_RCPT_UNIT, 12}, p = {SRV_RCPT_PERSON, 3};
	srv_reminder_topic(&u, buf);
	assert_string_equal(buf, "u/12/");
	srv_reminder_topic(&p, buf);
	assert_string_equal(buf, "p/3/");
}

int main(void)
{
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(update_due_and_overdue, setup, teardown),
	    cmocka_unit_test_setup_teardown(weekly_after_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(holiday_friday_meets_monday, setup, teardown),
	    cmocka_unit_test_setup_teardown(holiday_friday_moves, setup, teardown),
	    cmocka_unit_test_setup_teardown(working_saturday, setup, teardown),
	    cmocka_unit_test_setup_teardown(national_day, setup, teardown),
	    cmocka_unit_test_setup_teardown(down_over_several_ticks, setup, teardown),
	    cmocka_unit_test_setup_teardown(node_steps, setup, teardown),
	    cmocka_unit_test_setup_teardown(node_overdue_repeats, setup, teardown),
	    cmocka_unit_test_setup_teardown(node_overdue_default_week, setup, teardown),
	    cmocka_unit_test_setup_teardown(problems, setup, teardown),
	    cmocka_unit_test_setup_teardown(reconciliation, setup, teardown),
	    cmocka_unit_test_setup_teardown(long_list_is_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(calendar, setup, teardown),
	    cmocka_unit_test_setup_teardown(config_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(topics, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
