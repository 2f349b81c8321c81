/* The derived status of a project (common/projstatus.c) on hand-made cases
 * at each threshold's edge. Dates worked out on a calendar: 2026-01-01 is a
 * Thursday, 2026-02-15 a Sunday, 2026-02-16 a Monday. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "period.h"
#include "projstatus.h"

static int32_t day(const char *s)
{
	int32_t d;
	assert_true(ls_date_parse(s, &d));
	return d;
}

/* A weekly project planned over 2026-01-01 .. 2026-04-11 (100 days), whose
 * last report covers the week ending Sunday 2026-02-15. */
static ls_projstatus_in weekly_100_days(int percent, const char *as_of)
{
	ls_projstatus_in in = {
	    .as_of = day(as_of),
	    .planned_start = day("2026-01-01"),
	    .planned_finish = day("2026-04-11"),
	    .reported = true,
	    .percent = percent,
	    .last_end = day("2026-02-15"),
	};
	return in;
}

static const ls_projstatus_reason *reason(const ls_projstatus *o, const char *code)
{
	for (int i = 0; i < o->n_reasons; i++)
		if (strcmp(o->reasons[i].code, code) == 0)
			return &o->reasons[i];
	return NULL;
}

static void expected_percent(void **state)
{
	(void)state;
	int32_t s = day("2026-01-01"), f = day("2026-04-11");
	assert_int_equal(ls_projstatus_expected(s, f, day("2025-12-01")), 0);
	assert_int_equal(ls_projstatus_expected(s, f, s), 0);
	assert_int_equal(ls_projstatus_expected(s, f, day("2026-01-02")), 1);
	/* 50 of 100 days. */
	assert_int_equal(ls_projstatus_expected(s, f, day("2026-02-20")), 50);
	/* 99 of 100 days. */
	assert_int_equal(ls_projstatus_expected(s, f, day("2026-04-10")), 99);
	assert_int_equal(ls_projstatus_expected(s, f, f), 100);
	assert_int_equal(ls_projstatus_expected(s, f, day("2027-01-01")), 100);
	/* 1 of 3 days: 33.3 rounds down. */
	assert_int_equal(ls_projstatus_expected(s, s + 3, s + 1), 33);
	/* A one-day project. */
	assert_int_equal(ls_projstatus_expected(s, s, s - 1), 0);
	assert_int_equal(ls_projstatus_expected(s, s, s), 100);
}

/* As of Friday 2026-02-20, 50% of the time has elapsed and the week of
 * 02-16 has not ended: only the percent can fire. */
static void behind_edges(void **state)
{
	(void)state;
	ls_projstatus o;
	ls_projstatus_in in = weekly_100_days(41, "2026-02-20");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.expected, 50);
	assert_int_equal(o.behind, 9);
	assert_int_equal(o.silent, 0);
	assert_int_equal(o.status, LS_PROJSTATUS_ON_TRACK);
	assert_int_equal(o.n_reasons, 0);

	in = weekly_100_days(40, "2026-02-20");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.behind, 10);
	assert_int_equal(o.status, LS_PROJSTATUS_LAGGING);
	assert_int_equal(o.n_reasons, 1);
	assert_string_equal(o.reasons[0].code, "behind_schedule");
	assert_int_equal(o.reasons[0].level, LS_PROJSTATUS_LAGGING);
	assert_non_null(strstr(o.reasons[0].detail, "40%"));
	assert_non_null(strstr(o.reasons[0].detail, "50%"));
	assert_non_null(strstr(o.reasons[0].detail, "10 points"));

	in = weekly_100_days(31, "2026-02-20");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.behind, 19);
	assert_int_equal(o.status, LS_PROJSTATUS_LAGGING);

	in = weekly_100_days(30, "2026-02-20");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.behind, 20);
	assert_int_equal(o.status, LS_PROJSTATUS_SERIOUSLY_LAGGING);
	assert_int_equal(o.reasons[0].level, LS_PROJSTATUS_SERIOUSLY_LAGGING);
	assert_non_null(strstr(o.reasons[0].detail, "20 points"));

	/* Ahead of time: negative, fires nothing. */
	in = weekly_100_days(70, "2026-02-20");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.behind, -20);
	assert_int_equal(o.status, LS_PROJSTATUS_ON_TRACK);
}

static void node_edges(void **state)
{
	(void)state;
	ls_projstatus o;
	ls_projstatus_in in = weekly_100_days(50, "2026-02-20");
	int32_t due[3];
	in.node_due = due;

	/* Due today: not overdue yet. */
	due[0] = day("2026-02-20");
	in.n_nodes = 1;
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.overdue_nodes, 0);
	assert_int_equal(o.status, LS_PROJSTATUS_ON_TRACK);

	/* Due yesterday: one day. */
	due[0] = day("2026-02-19");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.overdue_nodes, 1);
	assert_int_equal(o.max_days_overdue, 1);
	assert_int_equal(o.status, LS_PROJSTATUS_LAGGING);
	assert_string_equal(o.reasons[0].code, "node_overdue");

	/* 01-21 .. 02-20: 30 days. */
	due[0] = day("2026-01-21");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.max_days_overdue, 30);
	assert_int_equal(o.status, LS_PROJSTATUS_LAGGING);

	/* 31 days. */
	due[0] = day("2026-01-20");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.max_days_overdue, 31);
	assert_int_equal(o.status, LS_PROJSTATUS_SERIOUSLY_LAGGING);
	assert_non_null(strstr(o.reasons[0].detail, "31 days"));

	/* Several: counted, the oldest decides. */
	due[0] = day("2026-02-10");
	due[1] = day("2026-01-25");
	due[2] = day("2026-03-01"); /* not due yet */
	in.n_nodes = 3;
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.overdue_nodes, 2);
	assert_int_equal(o.max_days_overdue, 26);
	assert_int_equal(o.status, LS_PROJSTATUS_LAGGING);
	assert_non_null(strstr(o.reasons[0].detail, "2 nodes"));
}

/* Weekly, planned over a year so that the percent stays on track; the last
 * report covers the week ending 2026-02-15. */
static void silent_weeks(void **state)
{
	(void)state;
	static const struct {
		const char *as_of;
		int silent;
		int status;
	} cases[] = {
	    {"2026-02-22", 0, LS_PROJSTATUS_ON_TRACK}, /* 02-16..22 not over on its Sunday */
	    {"2026-02-23", 1, LS_PROJSTATUS_ON_TRACK},
	    {"2026-03-01", 1, LS_PROJSTATUS_ON_TRACK},
	    {"2026-03-02", 2, LS_PROJSTATUS_LAGGING},
	    {"2026-03-09", 3, LS_PROJSTATUS_LAGGING},
	    {"2026-03-15", 3, LS_PROJSTATUS_LAGGING},
	    {"2026-03-16", 4, LS_PROJSTATUS_SERIOUSLY_LAGGING},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ls_projstatus_in in = {
		    .as_of = day(cases[i].as_of),
		    .planned_start = day("2026-01-01"),
		    .planned_finish = day("2027-01-01"),
		    .reported = true,
		    .percent = 20,
		    .last_end = day("2026-02-15"),
		};
		ls_projstatus o;
		ls_projstatus_derive(&in, &o);
		assert_true(o.behind < 10);
		assert_int_equal(o.silent, cases[i].silent);
		assert_int_equal(o.status, cases[i].status);
		if (cases[i].silent >= 2) {
			assert_int_equal(o.n_reasons, 1);
			assert_string_equal(o.reasons[0].code, "silent");
		}
	}
	ls_projstatus_in in = {
	    .as_of = day("2026-03-16"),
	    .planned_start = day("2026-01-01"),
	    .planned_finish = day("2027-01-01"),
	    .reported = true,
	    .percent = 20,
	    .last_end = day("2026-02-15"),
	};
	ls_projstatus o;
	ls_projstatus_derive(&in, &o);
	assert_non_null(strstr(o.reasons[0].detail, "4 weeks"));
}

/* Nothing reported: the weeks count from the first one that begins on or
 * after the planned start (Wednesday 2026-03-04: the first is 03-09). */
static void silent_never_reported(void **state)
{
	(void)state;
	ls_projstatus_in in = {
	    .planned_start = day("2026-03-04"),
	    .planned_finish = day("2028-03-04"),
	};
	ls_projstatus o;
	in.as_of = day("2026-03-15");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.silent, 0);
	in.as_of = day("2026-03-16");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.silent, 1);
	assert_int_equal(o.status, LS_PROJSTATUS_ON_TRACK);
	in.as_of = day("2026-03-23");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.silent, 2);
	assert_int_equal(o.status, LS_PROJSTATUS_LAGGING);
	assert_non_null(strstr(o.reasons[0].detail, "since the planned start"));
	/* 19 of 731 days elapsed: 2%, all of it behind. */
	assert_int_equal(o.expected, 2);
	assert_int_equal(o.behind, 2);
}

/* Monthly: the last report is January 2026. */
static void silent_months(void **state)
{
	(void)state;
	static const struct {
		const char *as_of;
		int silent;
		int status;
	} cases[] = {
	    {"2026-02-28", 0, LS_PROJSTATUS_ON_TRACK},
	    {"2026-03-01", 1, LS_PROJSTATUS_LAGGING},
	    {"2026-03-31", 1, LS_PROJSTATUS_LAGGING},
	    {"2026-04-01", 2, LS_PROJSTATUS_SERIOUSLY_LAGGING},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ls_projstatus_in in = {
		    .as_of = day(cases[i].as_of),
		    .planned_start = day("2025-07-01"),
		    .planned_finish = day("2027-07-01"),
		    .monthly = true,
		    .reported = true,
		    .percent = 40,
		    .last_end = day("2026-01-31"),
		};
		ls_projstatus o;
		ls_projstatus_derive(&in, &o);
		assert_true(o.behind < 10);
		assert_int_equal(o.silent, cases[i].silent);
		assert_int_equal(o.status, cases[i].status);
		if (cases[i].silent == 1)
			assert_non_null(strstr(o.reasons[0].detail, "1 month "));
	}
	/* A monthly project starting mid-month counts from the next month. */
	ls_projstatus_in in = {
	    .as_of = day("2026-05-01"),
	    .planned_start = day("2026-03-15"),
	    .planned_finish = day("2036-03-15"),
	    .monthly = true,
	};
	ls_projstatus o;
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.silent, 1); /* April; March began before the start */
	assert_int_equal(o.status, LS_PROJSTATUS_LAGGING);
}

static void not_started(void **state)
{
	(void)state;
	ls_projstatus_in in = {
	    .as_of = day("2026-03-01"),
	    .planned_start = day("2026-06-01"),
	    .planned_finish = day("2027-06-01"),
	};
	ls_projstatus o;
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.expected, 0);
	assert_int_equal(o.behind, 0);
	assert_int_equal(o.silent, 0);
	assert_int_equal(o.overdue_nodes, 0);
	assert_int_equal(o.status, LS_PROJSTATUS_ON_TRACK);
	assert_int_equal(o.n_reasons, 0);
}

/* Planned over 2025; as of 2026-03-01 all the time has elapsed. */
static void finished(void **state)
{
	(void)state;
	ls_projstatus_in in = {
	    .as_of = day("2026-03-01"),
	    .planned_start = day("2025-01-01"),
	    .planned_finish = day("2025-12-31"),
	    .reported = true,
	    .percent = 100,
	    .last_end = day("2025-12-28"),
	};
	ls_projstatus o;
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.expected, 100);
	assert_int_equal(o.behind, 0);
	assert_int_equal(o.silent, 0); /* complete: owes no updates */
	assert_int_equal(o.status, LS_PROJSTATUS_ON_TRACK);

	/* 95% and still reporting: 5 behind. */
	in.percent = 95;
	in.last_end = day("2026-02-22");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.behind, 5);
	assert_int_equal(o.silent, 0);
	assert_int_equal(o.status, LS_PROJSTATUS_ON_TRACK);

	/* 80%: 20 behind. */
	in.percent = 80;
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.status, LS_PROJSTATUS_SERIOUSLY_LAGGING);

	/* 99% and silent since the end of 2025: 2025-12-29 .. 2026-02-22 is 8
	 * whole weeks. */
	in.percent = 99;
	in.last_end = day("2025-12-28");
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.silent, 8);
	assert_int_equal(o.status, LS_PROJSTATUS_SERIOUSLY_LAGGING);
	assert_non_null(reason(&o, "silent"));
	assert_null(reason(&o, "behind_schedule"));
}

static void every_rule(void **state)
{
	(void)state;
	int32_t due[] = {day("2026-01-01")};
	ls_projstatus_in in = {
	    .as_of = day("2026-03-16"),
	    .planned_start = day("2026-01-01"),
	    .planned_finish = day("2026-04-11"),
	    .reported = true,
	    .percent = 10,
	    .last_end = day("2026-02-15"),
	    .node_due = due,
	    .n_nodes = 1,
	};
	ls_projstatus o;
	ls_projstatus_derive(&in, &o);
	assert_int_equal(o.status, LS_PROJSTATUS_SERIOUSLY_LAGGING);
	assert_int_equal(o.n_reasons, 3);
	assert_string_equal(o.reasons[0].code, "node_overdue");
	assert_string_equal(o.reasons[1].code, "behind_schedule");
	assert_string_equal(o.reasons[2].code, "silent");
	assert_int_equal(o.max_days_overdue, 74);
	assert_int_equal(o.expected, 74);
	assert_int_equal(o.behind, 64);
	assert_int_equal(o.silent, 4);

	/* Each rule at the lagging level, all listed, status lagging. */
	int32_t due2[] = {day("2026-02-25")};
	ls_projstatus_in in2 = {
	    .as_of = day("2026-03-02"),
	    .planned_start = day("2026-01-01"),
	    .planned_finish = day("2026-04-11"),
	    .reported = true,
	    .percent = 45,
	    .last_end = day("2026-02-15"),
	    .node_due = due2,
	    .n_nodes = 1,
	};
	ls_projstatus_derive(&in2, &o);
	/* 60 of 100 days: 60 expected, 15 behind; 2 silent weeks; 5 days. */
	assert_int_equal(o.expected, 60);
	assert_int_equal(o.n_reasons, 3);
	assert_int_equal(o.status, LS_PROJSTATUS_LAGGING);
	for (int i = 0; i < 3; i++)
		assert_int_equal(o.reasons[i].level, LS_PROJSTATUS_LAGGING);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(ls_projstatus_name(LS_PROJSTATUS_ON_TRACK), "on_track");
	assert_string_equal(ls_projstatus_name(LS_PROJSTATUS_LAGGING), "lagging");
	assert_string_equal(ls_projstatus_name(LS_PROJSTATUS_SERIOUSLY_LAGGING),
	                    "seriously_lagging");
	assert_string_equal(ls_projstatus_name(9), "unspecified");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(expected_percent),
	    cmocka_unit_test(behind_edges),
	    cmocka_unit_test(node_edges),
	    cmocka_unit_test(silent_weeks),
	    cmocka_unit_test(silent_never_reported),
	    cmocka_unit_test(silent_months),
	    cmocka_unit_test(not_started),
	    cmocka_unit_test(finished),
	    cmocka_unit_test(every_rule),
	    cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
