/* Calendar: dates as days since 1970-01-01, ISO 8601 text, and the periods
 * the system reports in: ISO week ("2026-W48"), month ("2026-11") and
 * quarter ("2026-Q4"). An ISO week belongs to the month, quarter and year
 * of its Thursday. */
#ifndef LS_PERIOD_H
#define LS_PERIOD_H

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int32_t ls_days_from_civil(int y, int m, int d);
void ls_civil_from_days(int32_t days, int *y, int *m, int *d);

/* Parses "YYYY-MM-DD" (a real date, years 1900..2199). Returns false for
 * anything else. */
bool ls_date_parse(const char *s, int32_t *days);

/* Writes "YYYY-MM-DD"; buf holds at least 11 bytes. */
void ls_date_format(int32_t days, char buf[11]);

/* Today in the process's time zone (TZ). */
int32_t ls_today(void);

/* 1 = Monday … 7 = Sunday. */
int ls_weekday(int32_t days);

/* The ISO week of a date: its year and number (1..53). */
void ls_iso_week(int32_t days, int *year, int *week);

/* The Monday of ISO week (year, week); false if the week does not exist. */
bool ls_iso_week_monday(int year, int week, int32_t *monday);

typedef enum ls_period_kind { LS_PERIOD_WEEK, LS_PERIOD_MONTH, LS_PERIOD_QUARTER } ls_period_kind;

typedef struct ls_period {
	ls_period_kind kind;
	int year;
	int number;    /* week 1..53, month 1..12, quarter 1..4 */
	int32_t first; /* its first day */
	int32_t last;  /* its last day */
} ls_period;

/* Parses "2026-W48", "2026-11" or "2026-Q4". Returns false for anything
 * else, including weeks a year does not have (2026-W54). */
bool ls_period_parse(const char *s, ls_period *p);

/* Writes the period's text; buf holds at least 9 bytes. */
void ls_period_format(const ls_period *p, char buf[9]);

/* The period of the given kind that holds the day. For weeks the week's
 * own ISO year; the month and quarter of a week are those of its Thursday
 * (ls_week_month). */
void ls_period_of(ls_period_kind kind, int32_t days, ls_period *p);

/* The month (year, 1..12) an ISO week belongs to: its Thursday's. */
void ls_week_month(int year, int week, int *m_year, int *month);

#endif
