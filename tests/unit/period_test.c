/* Dates and periods; expected values worked out on a calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "period.h"

static void days(void **state)
{
	(void)state;
	int32_t d;
	assert_int_equal(ls_days_from_civil(1970, 1, 1), 0);
	assert_true(ls_date_parse("2026-11-29", &d));
	assert_int_equal(d, 20786);
	assert_int_equal(ls_weekday(d), 7); /* a Sunday */
	assert_true(ls_date_parse("2026-01-01", &d));
	assert_int_equal(ls_weekday(d), 4); /* a Thursday */
	char buf[11];
	ls_date_format(20451, buf);
	assert_string_equal(buf, "2025-12-29");
	int y, m, dd;
	ls_civil_from_days(ls_days_from_civil(2024, 2, 29) + 1, &y, &m, &dd);
	assert_int_equal(y * 10000 + m * 100 + dd, 20240301);
}

static void bad_dates(void **state)
{
	(void)state;
	int32_t d;
	assert_false(ls_date_parse("2026-02-29", &d)); /* 2026 is no leap year */
	assert_true(ls_date_parse("2024-02-29", &d));
	assert_false(ls_date_parse("2100-02-29", &d)); /* nor is 2100 */
	assert_false(ls_date_parse("2026-13-01", &d));
	assert_false(ls_date_parse("2026-00-10", &d));
	assert_false(ls_date_parse("2026-04-31", &d));
	assert_false(ls_date_parse("2026-4-3", &d));
	assert_false(ls_date_parse("2026-04-03x", &d));
	assert_false(ls_date_parse("", &d));
	assert_false(ls_date_parse("２０２６-04-03", &d));
}

static void iso_weeks(void **state)
{
	(void)state;
	int y, w;
	ls_iso_week(20786, &y, &w); /* 2026-11-29 */
	assert_int_equal(y, 2026);
	assert_int_equal(w, 48);
	ls_iso_week(20451, &y, &w); /* 2025-12-29 is in 2026's first week */
	assert_int_equal(y, 2026);
	assert_int_equal(w, 1);
	ls_iso_week(20819, &y, &w); /* 2027-01-01 is in 2026's 53rd */
	assert_int_equal(y, 2026);
	assert_int_equal(w, 53);

	int32_t monday;
	assert_true(ls_iso_week_monday(2026, 48, &monday));
	char buf[11];
	ls_date_format(monday, buf);
	assert_string_equal(buf, "2026-11-23");
	assert_true(ls_iso_week_monday(2026, 53, &monday));
	assert_false(ls_iso_week_monday(2025, 53, &monday)); /* 2025 has 52 weeks */
	assert_false(ls_iso_week_monday(2026, 54, &monday));
	assert_false(ls_iso_week_monday(2026, 0, &monday));
}

static void week_months(void **state)
{
	(void)state;
	int y, m;
	ls_week_month(2026, 1, &y, &m); /* Thursday 2026-01-01 */
	assert_int_equal(y * 100 + m, 202601);
	ls_week_month(2026, 40, &y, &m); /* Monday 09-28, Thursday 10-01 */
	assert_int_equal(y * 100 + m, 202610);
	ls_week_month(2026, 44, &y, &m); /* Monday 10-26, Thursday 10-29 */
	assert_int_equal(y * 100 + m, 202610);
	ls_week_month(2026, 53, &y, &m); /* Thursday 2026-12-31 */
	assert_int_equal(y * 100 + m, 202612);
	ls_week_month(2025, 1, &y, &m); /* Monday 2024-12-30, Thursday 2025-01-02 */
	assert_int_equal(y * 100 + m, 202501);
}

static void periods(void **state)
{
	(void)state;
	ls_period p;
	char buf[11], text[9];
	assert_true(ls_period_parse("2026-W48", &p));
	assert_int_equal(p.kind, LS_PERIOD_WEEK);
	ls_date_format(p.first, buf);
	assert_string_equal(buf, "2026-11-23");
	ls_date_format(p.last, buf);
	assert_string_equal(buf, "2026-11-29");

	assert_true(ls_period_parse("2026-02", &p));
	assert_int_equal(p.last - p.first, 27);
	assert_true(ls_period_parse("2026-Q4", &p));
	ls_date_format(p.first, buf);
	assert_string_equal(buf, "2026-10-01");
	ls_date_format(p.last, buf);
	assert_string_equal(buf, "2026-12-31");

	assert_false(ls_period_parse("2026-W54", &p));
	assert_false(ls_period_parse("2025-W53", &p));
	assert_false(ls_period_parse("2026-13", &p));
	assert_false(ls_period_parse("2026-Q5", &p));
	assert_false(ls_period_parse("2026-W4", &p));
	assert_false(ls_period_parse("26-11", &p));

	ls_period_of(LS_PERIOD_WEEK, 20819, &p); /* 2027-01-01 */
	ls_period_format(&p, text);
	assert_string_equal(text, "2026-W53");
	ls_period_of(LS_PERIOD_QUARTER, 20786, &p);
	ls_period_format(&p, text);
	assert_string_equal(text, "2026-Q4");
	ls_period_of(LS_PERIOD_MONTH, 20786, &p);
	ls_period_format(&p, text);
	assert_string_equal(text, "2026-11");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(days),        cmocka_unit_test(bad_dates),
	    cmocka_unit_test(iso_weeks),   cmocka_unit_test(week_months),
	    cmocka_unit_test(periods),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
