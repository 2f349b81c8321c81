#include "period.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days from civil and back: the well-known era-based arithmetic on a
 * calendar whose years start in March, so the leap day falls last. */
int32_t ls_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void ls_civil_from_days(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Reads exactly n digits. */
static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool ls_date_parse(const char *s, int32_t *days)
{
	int y, m, d;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
		return false;
	if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	*days = ls_days_from_civil(y, m, d);
	return true;
}

void ls_date_format(int32_t days, char buf[11])
{
	int y, m, d;
	ls_civil_from_days(days, &y, &m, &d);
	snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	         (unsigned)d % 100u);
}

int32_t ls_today(void)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	return ls_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int ls_weekday(int32_t days)
{
	/* 1970-01-01 was a Thursday. */
	int w = (int)((days % 7 + 7 + 3) % 7); /* 0 = Monday */
	return w + 1;
}

void ls_iso_week(int32_t days, int *year, int *week)
{
	int32_t thursday = days - ls_weekday(days) + 4;
	int y, m, d;
	ls_civil_from_days(thursday, &y, &m, &d);
	int32_t jan1 = ls_days_from_civil(y, 1, 1);
	*year = y;
	*week = (int)((thursday - jan1) / 7) + 1;
}

bool ls_iso_week_monday(int year, int week, int32_t *monday)
{
	if (week < 1 || week > 53)
		return false;
	/* Week 1 holds January 4th. */
	int32_t jan4 = ls_days_from_civil(year, 1, 4);
	int32_t m = jan4 - ls_weekday(jan4) + 1 + (week - 1) * 7;
	int y, w;
	ls_iso_week(m, &y, &w);
	if (y != year || w != week)
		return false;
	*monday = m;
	return true;
}

void ls_week_month(int year, int week, int *m_year, int *month)
{
	int32_t monday;
	int d;
	if (!ls_iso_week_monday(year, week, &monday)) {
		*m_year = year;
		*month = 0;
		return;
	}
	ls_civil_from_days(monday + 3, m_year, month, &d);
}

bool ls_period_parse(const char *s, ls_period *p)
{
	size_t n = strlen(s);
	int y, v;
	if (n < 7 || s[4] != '-' || !digits(s, 4, &y) || y < 1900 || y > 2199)
		return false;
	memset(p, 0, sizeof *p);
	p->year = y;
	if (n == 8 && (s[5] == 'W' || s[5] == 'w') && digits(s + 6, 2, &v)) {
		p->kind = LS_PERIOD_WEEK;
		p->number = v;
		if (!ls_iso_week_monday(y, v, &p->first))
			return false;
		p->last = p->first + 6;
		return true;
	}
	if (n == 7 && (s[5] == 'Q' || s[5] == 'q') && digits(s + 6, 1, &v) && v >= 1 && v <= 4) {
		p->kind = LS_PERIOD_QUARTER;
		p->number = v;
		p->first = ls_days_from_civil(y, 3 * v - 2, 1);
		p->last = ls_days_from_civil(y, 3 * v, days_in_month(y, 3 * v));
		return true;
	}
	if (n == 7 && digits(s + 5, 2, &v) && v >= 1 && v <= 12) {
		p->kind = LS_PERIOD_MONTH;
		p->number = v;
		p->first = ls_days_from_civil(y, v, 1);
		p->last = ls_days_from_civil(y, v, days_in_month(y, v));
		return true;
	}
	return false;
}

void ls_period_format(const ls_period *p, char buf[9])
{
	unsigned y = (unsigned)p->year % 10000u, n = (unsigned)p->number % 100u;
	switch (p->kind) {
	case LS_PERIOD_WEEK:
		snprintf(buf, 9, "%04u-W%02u", y, n);
		break;
	case LS_PERIOD_MONTH:
		snprintf(buf, 9, "%04u-%02u", y, n);
		break;
	case LS_PERIOD_QUARTER:
		snprintf(buf, 9, "%04u-Q%u", y, n % 10u);
		break;
	}
}

void ls_period_of(ls_period_kind kind, int32_t days, ls_period *p)
{
	char text[9];
	int y, m, d;
	memset(p, 0, sizeof *p);
	p->kind = kind;
	if (kind == LS_PERIOD_WEEK) {
		ls_iso_week(days, &p->year, &p->number);
	} else {
		ls_civil_from_days(days, &y, &m, &d);
		p->year = y;
		p->number = kind == LS_PERIOD_MONTH ? m : (m + 2) / 3;
	}
	ls_period_format(p, text);
	ls_period_parse(text, p);
}
