/* Migrations that rebuild tables, on databases of the schema before them.
 *
 * query_years and query_slots (013_query_amounts.sql): the rows migration
 * 013 builds from a database of schema 12, and the rows its triggers keep
 * after, each checked against figures worked out by hand. A query_years row
 * holds the year to date at the end of each month; a query_slots row the
 * money of its month's periods up to each Sunday (slot w: the first Sunday
 * on or after the period's last day, the 5th when past the last Sunday of a
 * month of four, 6 past a 5th), and the whole month. Calendar: 2026-11-01
 * and 2027-01-03 are Sundays; 2026-01-01 and 2026-10-01 Thursdays, and
 * 2026-08-01 a Saturday, 2026-12-01 a Tuesday. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store_int.h"

static void sql(sqlite3 *db, const char *text)
{
	char *err = NULL;
	if (sqlite3_exec(db, text, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("SQL failed: %s\n%s", err ? err : "?", text);
}

static int64_t count(sqlite3 *db, const char *text)
{
	sqlite3_stmt *q;
	int64_t n = -1;
	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

/* Applies the migrations numbered from..to, as luoshid does. */
static void migrate(sqlite3 *db, int from, int to)
{
	for (int i = 0; i < srv_n_migrations; i++) {
		const srv_migration *m = &srv_migrations[i];
		if (m->version < from || m->version > to)
			continue;
		sql(db, "BEGIN");
		sql(db, m->sql);
		sql(db, "COMMIT");
	}
}

/* The text the one row of sql gives (bound to a, b, c), or "none". */
static void expect_text(sqlite3 *db, const char *sql_text, int a, int b, int c, const char *want)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql_text, -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_int(q, 1, a);
	sqlite3_bind_int(q, 2, b);
	sqlite3_bind_int(q, 3, c);
	char got[256] = "none";
	if (sqlite3_step(q) == SQLITE_ROW)
		snprintf(got, sizeof got, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (strcmp(got, want) != 0)
		fail_msg("(%d, %d, %d): got \"%s\", want \"%s\"", a, b, c, got, want);
}

/* The query_years row of (year, project) as "plan1..plan12 | inv1..inv12 |
 * out1..out12". */
static void expect_year(sqlite3 *db, int year, int project, const char *want)
{
	expect_text(
	    db,
	    "SELECT printf('%d %d %d %d %d %d %d %d %d %d %d %d | "
	    "%d %d %d %d %d %d %d %d %d %d %d %d | %d %d %d %d %d %d %d %d %d %d %d %d', "
	    "plan1, plan2, plan3, plan4, plan5, plan6, plan7, plan8, plan9, plan10, plan11, "
	    "plan12, inv1, inv2, inv3, inv4, inv5, inv6, inv7, inv8, inv9, inv10, inv11, "
	    "inv12, out1, out2, out3, out4, out5, out6, out7, out8, out9, out10, out11, out12) "
	    "FROM query_years WHERE year = ?1 AND project_id = ?2 AND ?3 = 0",
	    year, project, 0, want);
}

/* The query_slots row of (year, month, project) as "inv1..inv6 | out1..out6". */
static void expect_slots(sqlite3 *db, int year, int month, int project, const char *want)
{
	expect_text(
	    db,
	    "SELECT printf('%d %d %d %d %d %d | %d %d %d %d %d %d', inv1, inv2, inv3, inv4, "
	    "inv5, inv6, out1, out2, out3, out4, out5, out6) FROM query_slots "
	    "WHERE year = ?1 AND month = ?2 AND project_id = ?3",
	    year, month, project, want);
}

#define UPDATE_COLUMNS                                                                         \
	"INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, " \
	"month, year, revision, latest, unit_id, invested, output, percent, progress, "        \
	"submitted_at) VALUES "

static void test_migration_and_triggers(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	migrate(db, 1, 12);
	sql(db,
	    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id, "
	    "lead_unit_id, total_investment, planned_start, planned_finish, created_at) VALUES "
	    "(1, 'A', 'a', 'town', 'industrial', 'new', 1, 1, 500, '2026-01-01', '2027-12-31', "
	    "'t'), "
	    "(2, 'B', 'b', 'town', 'platform', 'new', 1, 1, 500, '2026-01-01', '2027-12-31', 't')");
	sql(db, "INSERT INTO plans(project_id, year, month, invested) VALUES "
	        "(1, 2026, 1, 100), (1, 2026, 11, 50), (1, 2026, 12, 30)");
	sql(db, UPDATE_COLUMNS
	    /* superseded by revision 2: counts nowhere */
	    "(1, 1, '2026-W45', 'week', '2026-11-02', '2026-11-08', '2026-11', 2026, 1, 0, 1, 5, "
	    "1, 10, 'p', 't'), "
	    /* ends on November's 2nd Sunday */
	    "(2, 1, '2026-W45', 'week', '2026-11-02', '2026-11-08', '2026-11', 2026, 2, 1, 1, 7, "
	    "3, 10, 'p', 't'), "
	    /* ends on its 5th */
	    "(3, 1, '2026-W48', 'week', '2026-11-23', '2026-11-29', '2026-11', 2026, 1, 1, 1, 11, "
	    "NULL, 20, 'p', 't'), "
	    /* of 2026, ends on January's 1st Sunday */
	    "(4, 1, '2026-W01', 'week', '2025-12-29', '2026-01-04', '2026-01', 2026, 1, 1, 1, 9, 4, "
	    "5, 'p', 't'), "
	    /* of 2026, ends in 2027: counts for no month */
	    "(5, 1, '2026-W53', 'week', '2026-12-28', '2027-01-03', '2026-12', 2026, 1, 1, 1, 6, "
	    "6, 30, 'p', 't'), "
	    /* a month ending after October's 4th and last Sunday */
	    "(6, 2, '2026-10', 'month', '2026-10-01', '2026-10-31', '2026-10', 2026, 1, 1, 1, 20, "
	    "8, 40, 'p', 't'), "
	    /* a month ending on the Monday after August's 5th Sunday */
	    "(8, 2, '2026-08', 'month', '2026-08-01', '2026-08-31', '2026-08', 2026, 1, 1, 1, 12, 1, "
	    "35, 'p', 't')");
	migrate(db, 13, 13);

	assert_int_equal(
	    count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'query_months'"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM query_years"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM query_slots"), 4);
	expect_year(db, 2026, 1,
	            "100 100 100 100 100 100 100 100 100 100 150 180 | "
	            "9 9 9 9 9 9 9 9 9 9 27 27 | 4 4 4 4 4 4 4 4 4 4 7 7");
	expect_year(db, 2026, 2,
	            "0 0 0 0 0 0 0 0 0 0 0 0 | 0 0 0 0 0 0 0 12 12 32 32 32 | "
	            "0 0 0 0 0 0 0 1 1 9 9 9");
	expect_slots(db, 2026, 1, 1, "9 9 9 9 9 9 | 4 4 4 4 4 4");
	expect_slots(db, 2026, 11, 1, "0 7 7 7 18 18 | 0 3 3 3 3 3");
	expect_slots(db, 2026, 10, 2, "0 0 0 0 20 20 | 0 0 0 0 8 8");
	expect_slots(db, 2026, 8, 2, "0 0 0 0 0 12 | 0 0 0 0 0 1");
	expect_slots(db, 2026, 12, 1, "none");

	/* A new revision: the old one's money taken away, the new one's added. */
	sql(db, "UPDATE updates SET latest = 0 WHERE id = 3");
	expect_slots(db, 2026, 11, 1, "0 7 7 7 7 7 | 0 3 3 3 3 3");
	sql(db, UPDATE_COLUMNS "(7, 1, '2026-W48', 'week', '2026-11-23', '2026-11-29', '2026-11', "
	                       "2026, 2, 1, 1, 13, 2, 25, 'p', 't')");
	expect_slots(db, 2026, 11, 1, "0 7 7 7 20 20 | 0 3 3 3 5 5");
	expect_year(db, 2026, 1,
	            "100 100 100 100 100 100 100 100 100 100 150 180 | "
	            "9 9 9 9 9 9 9 9 9 9 29 29 | 4 4 4 4 4 4 4 4 4 4 9 9");

	/* Output with no investment: December's last day is past its 4th Sunday. */
	sql(db, UPDATE_COLUMNS "(9, 2, '2026-12', 'month', '2026-12-01', '2026-12-31', '2026-12', "
	                       "2026, 1, 1, 1, 0, 5, 50, 'p', 't')");
	expect_slots(db, 2026, 12, 2, "0 0 0 0 0 0 | 0 0 0 0 5 5");

	/* Plans: changed, added in a new year, removed. */
	sql(db, "INSERT INTO plans(project_id, year, month, invested) VALUES (1, 2026, 11, 60) "
	        "ON CONFLICT DO UPDATE SET invested = excluded.invested");
	sql(db, "INSERT INTO plans(project_id, year, month, invested) VALUES (1, 2027, 3, 40)");
	sql(db, "DELETE FROM plans WHERE project_id = 1 AND year = 2026 AND month = 12");
	expect_year(db, 2026, 1,
	            "100 100 100 100 100 100 100 100 100 100 160 160 | "
	            "9 9 9 9 9 9 9 9 9 9 29 29 | 4 4 4 4 4 4 4 4 4 4 9 9");
	expect_year(db, 2027, 1,
	            "0 0 40 40 40 40 40 40 40 40 40 40 | 0 0 0 0 0 0 0 0 0 0 0 0 | "
	            "0 0 0 0 0 0 0 0 0 0 0 0");

	/* Rows changed or removed by hand. */
	sql(db, "DELETE FROM updates WHERE id = 6");
	expect_slots(db, 2026, 10, 2, "0 0 0 0 0 0 | 0 0 0 0 0 0");
	sql(db, "UPDATE updates SET invested = 10, output = NULL WHERE id = 4");
	expect_slots(db, 2026, 1, 1, "10 10 10 10 10 10 | 0 0 0 0 0 0");
	sql(db, "UPDATE updates SET project_id = 2 WHERE id = 2");
	expect_slots(db, 2026, 11, 1, "0 0 0 0 13 13 | 0 0 0 0 2 2");
	expect_slots(db, 2026, 11, 2, "0 7 7 7 7 7 | 0 3 3 3 3 3");
	/* Neither a week ending in 2027 nor a superseded revision counts. */
	sql(db, "UPDATE updates SET invested = 16 WHERE id = 5");
	sql(db, "UPDATE updates SET period_last = '2026-12-27' WHERE id = 1");
	expect_year(db, 2026, 1,
	            "100 100 100 100 100 100 100 100 100 100 160 160 | "
	            "10 10 10 10 10 10 10 10 10 10 23 23 | 0 0 0 0 0 0 0 0 0 0 2 2");
	expect_year(db, 2026, 2,
	            "0 0 0 0 0 0 0 0 0 0 0 0 | 0 0 0 0 0 0 0 12 12 12 19 19 | "
	            "0 0 0 0 0 0 0 1 1 1 4 9");
	assert_int_equal(count(db, "SELECT count(*) FROM query_years"), 3);
	assert_int_equal(count(db, "SELECT count(*) FROM query_slots"), 6);
	expect_slots(db, 2026, 12, 1, "none");
	sqlite3_close(db);
}

/* 014_idempotency_rowid.sql: the records kept, each found by its account
 * and key, a key still taken once per account, expiry by age. */
static void test_idempotency_rowid(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	migrate(db, 1, 13);
	sql(db, "INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, "
	        "created_at) VALUES (1, x'0a', x'01', 'one', 300), (1, x'0b', x'02', 'two', 100), "
	        "(2, x'0a', x'03', 'three', 200)");
	migrate(db, 14, 14);
	assert_int_equal(count(db, "SELECT count(*) FROM sqlite_master WHERE name = "
	                           "'idempotency_keys' AND sql LIKE '%WITHOUT ROWID%'"),
	                 0);
	assert_int_equal(count(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
	                           "('idempotency_keys_created', 'idempotency_keys_new')"),
	                 1);
	/* Kept in the order they were written. */
	assert_int_equal(count(db, "SELECT group_concat(response, ' ') = 'two three one' FROM "
	                           "(SELECT response FROM idempotency_keys ORDER BY id)"),
	                 1);
	static const char get[] =
	    "SELECT response = ?3 AND request_hash = ?4 FROM idempotency_keys "
	    "WHERE account_id = ?1 AND key_hash = ?2";
	static const struct {
		int account;
		const char *key, *response, *request;
	} kept[] = {
	    {1, "\x0a", "one", "\x01"}, {1, "\x0b", "two", "\x02"}, {2, "\x0a", "three", "\x03"}};
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_prepare_v2(db, get, -1, &q, NULL), SQLITE_OK);
		sqlite3_bind_int(q, 1, kept[i].account);
		sqlite3_bind_blob(q, 2, kept[i].key, 1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, kept[i].response, -1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 4, kept[i].request, 1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 1);
		sqlite3_finalize(q);
	}
	/* The same key again for the same account is refused; for another, taken. */
	assert_int_equal(
	    sqlite3_exec(db,
	                 "INSERT INTO idempotency_keys(account_id, key_hash, "
	                 "request_hash, response, created_at) VALUES (1, x'0a', x'09', "
	                 "'again', 400)",
	                 NULL, NULL, NULL),
	    SQLITE_CONSTRAINT);
	sql(db, "INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, "
	        "created_at) VALUES (2, x'0b', x'04', 'four', 400)");
	/* Expiry by age (store.c's purge). */
	sql(db, "DELETE FROM idempotency_keys WHERE created_at < 250");
	assert_int_equal(count(db, "SELECT group_concat(response, ' ') = 'one four' FROM "
	                           "(SELECT response FROM idempotency_keys ORDER BY id)"),
	                 1);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migration_and_triggers),
	    cmocka_unit_test(test_idempotency_rowid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
