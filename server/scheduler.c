#include "scheduler.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "log.h"
#include "period.h"
#include "push.h"
#include "server.h"

/* A rule that has never fired looks back this far, so that a new server
 * (or a new rule) still fires an occurrence of the last day. */
#define FIRST_LOOKBACK_S (24 * 3600)
/* How far back the weekly rules look for their latest occurrence: a
 * holiday moves one by at most the longest run of days off. */
#define WEEKS_BACK 5
/* The node steps: due in 7, 3 and 1 days. */
#define NODE_FIRST_DAYS 7
/* Problems: due soon within this many days. */
#define PROBLEM_SOON_DAYS 3
/* Reconciliation of a month is due by this day of the next. */
#define RECONCILE_DAY 5
/* The announcing thread's pace (see announcer). */
#define PUSH_ROUND_MS 100
/* Room kept at the end of a text for "等N个项目。请……". */
#define TEXT_TAIL_ROOM 128

/* ---- the holiday calendar ------------------------------------------------------ */

typedef struct holiday {
	int32_t day;
	bool work; /* a working day on a weekend; otherwise a day off */
} holiday;

struct srv_holidays {
	holiday *days; /* sorted by day */
	size_t n;
};

void srv_holidays_free(srv_holidays *h)
{
	if (h == NULL)
		return;
	free(h->days);
	free(h);
}

static int cmp_holiday(const void *a, const void *b)
{
	int32_t x = ((const holiday *)a)->day, y = ((const holiday *)b)->day;
	return (x > y) - (x < y);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int srv_holidays_load(const char *path, srv_holidays **out, ls_status *st)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return ls_status_field(st, LS_NOT_FOUND, "holidays", "cannot read %s: %s", path,
		                       strerror(errno));
	srv_holidays *h = calloc(1, sizeof *h);
	size_t cap = 0;
	char line[512];
	int lineno = 0, rc = LS_OK;
	if (h == NULL) {
		rc = ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *s = trim(line);
		if (*s == '\0')
			continue;
		char date[16], kind[16];
		int32_t day;
		if (sscanf(s, "%15s %15s", date, kind) != 2 || !ls_date_parse(date, &day) ||
		    (strcmp(kind, "holiday") != 0 && strcmp(kind, "workday") != 0)) {
			rc = ls_status_field(st, LS_INVALID_ARGUMENT, "holidays",
			                     "%s:%d: expected \"YYYY-MM-DD holiday\" or "
			                     "\"YYYY-MM-DD workday\", not \"%s\"",
			                     path, lineno, s);
			goto out;
		}
		if (h->n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			holiday *nd = realloc(h->days, ncap * sizeof *nd);
			if (nd == NULL) {
				rc = ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
				goto out;
			}
			h->days = nd;
			cap = ncap;
		}
		h->days[h->n].day = day;
		h->days[h->n].work = strcmp(kind, "workday") == 0;
		h->n++;
	}
	if (ferror(f)) {
		rc = ls_status_field(st, LS_NOT_FOUND, "holidays", "cannot read %s: %s", path,
		                     strerror(errno));
		goto out;
	}
	qsort(h->days, h->n, sizeof *h->days, cmp_holiday);
	for (size_t i = 1; i < h->n; i++) {
		if (h->days[i].day == h->days[i - 1].day &&
		    h->days[i].work != h->days[i - 1].work) {
			char d[11];
			ls_date_format(h->days[i].day, d);
			rc = ls_status_field(st, LS_INVALID_ARGUMENT, "holidays",
			                     "%s: %s is listed both as a holiday and as a workday",
			                     path, d);
			goto out;
		}
	}
out:
	fclose(f);
	if (rc != LS_OK) {
		srv_holidays_free(h);
		return rc;
	}
	*out = h;
	return LS_OK;
}

bool srv_sched_working_day(const srv_holidays *h, int32_t days)
{
	if (h != NULL && h->n > 0) {
		holiday key = {.day = days};
		const holiday *e = bsearch(&key, h->days, h->n, sizeof *h->days, cmp_holiday);
		if (e != NULL)
			return e->work;
	}
	return ls_weekday(days) <= 5;
}

/* ---- configuration ---------------------------------------------------------------- */

void srv_sched_config_defaults(srv_sched_config *c)
{
	memset(c, 0, sizeof *c);
	c->interval_ms = 60000;
	c->due_wday = 5;
	c->due_minute = 9 * 60;
	c->overdue_wday = 1;
	c->overdue_minute = 9 * 60;
	c->daily_minute = 9 * 60;
	c->node_overdue_every_days = 7;
	c->review_wday = 5;
	c->visit_day = 20;
	c->rect_due_days = 3;
	c->push_coalesce = 8;
}

void srv_sched_config_free(srv_sched_config *c)
{
	srv_holidays_free(c->holidays);
	srv_sched_config_defaults(c);
}

/* "09:00" as minutes after midnight. */
static bool parse_clock(const char *s, int *minute)
{
	int h, m;
	char end;
	if (strlen(s) != 5 || s[2] != ':' || sscanf(s, "%2d:%2d%c", &h, &m, &end) != 2 ||
	    !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[3]) || h > 23 || m > 59)
		return false;
	*minute = h * 60 + m;
	return true;
}

/* "fri" (or "friday", any case) as 1 Monday .. 7 Sunday. */
static bool parse_wday(const char *value, int *wday)
{
	static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	static const char *const long_names[] = {"monday", "tuesday",  "wednesday", "thursday",
	                                         "friday", "saturday", "sunday"};
	char day[16];
	if (strlen(value) >= sizeof day)
		return false;
	for (size_t i = 0; i <= strlen(value); i++)
		day[i] = (char)tolower((unsigned char)value[i]);
	for (int i = 0; i < 7; i++) {
		if (strcmp(day, names[i]) == 0 || strcmp(day, long_names[i]) == 0) {
			*wday = i + 1;
			return true;
		}
	}
	return false;
}

/* "fri 09:00" (or "friday 09:00"). */
static bool parse_weekly(const char *value, int *wday, int *minute)
{
	char day[16], clock[16], extra;
	if (sscanf(value, "%15s %15s %c", day, clock, &extra) != 2)
		return false;
	return parse_wday(day, wday) && parse_clock(clock, minute);
}

static bool parse_uint(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)*s))
		return false;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int srv_sched_config_set(srv_sched_config *c, const char *key, const char *value, ls_status *st)
{
	long long v;
	if (strcmp(key, "scheduler-interval-ms") == 0) {
		if (!parse_uint(value, 10, 24LL * 3600 * 1000, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is milliseconds from 10 to 86400000, not \"%s\"",
			                       key, value);
		c->interval_ms = (uint32_t)v;
		return LS_OK;
	}
	if (strcmp(key, "update-due") == 0 || strcmp(key, "update-overdue") == 0) {
		bool due = key[7] == 'd';
		int wday, minute;
		if (!parse_weekly(value, &wday, &minute))
			return ls_status_field(
			    st, LS_INVALID_ARGUMENT, key,
			    "%s is a weekday and a time such as \"%s\", not \"%s\"", key,
			    due ? "fri 09:00" : "mon 09:00", value);
		*(due ? &c->due_wday : &c->overdue_wday) = wday;
		*(due ? &c->due_minute : &c->overdue_minute) = minute;
		return LS_OK;
	}
	if (strcmp(key, "daily-at") == 0) {
		if (!parse_clock(value, &c->daily_minute))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is a time such as \"09:00\", not \"%s\"", key,
			                       value);
		return LS_OK;
	}
	if (strcmp(key, "node-overdue-every-days") == 0) {
		if (!parse_uint(value, 1, 365, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is a number of days from 1 to 365, not \"%s\"",
			                       key, value);
		c->node_overdue_every_days = (int)v;
		return LS_OK;
	}
	if (strcmp(key, "review-due-day") == 0) {
		if (!parse_wday(value, &c->review_wday))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is a weekday such as \"fri\", not \"%s\"", key,
			                       value);
		return LS_OK;
	}
	if (strcmp(key, "visit-due-day") == 0) {
		if (!parse_uint(value, 1, 28, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is a day of the month from 1 to 28, not \"%s\"",
			                       key, value);
		c->visit_day = (int)v;
		return LS_OK;
	}
	if (strcmp(key, "rectification-due-days") == 0) {
		if (!parse_uint(value, 0, 365, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is a number of days from 0 to 365, not \"%s\"",
			                       key, value);
		c->rect_due_days = (int)v;
		return LS_OK;
	}
	if (strcmp(key, "push-coalesce") == 0) {
		if (!parse_uint(value, 0, 1000000, &v))
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "%s is a number of recipients from 0 (never) to "
			                       "1000000, not \"%s\"",
			                       key, value);
		c->push_coalesce = (int)v;
		return LS_OK;
	}
	if (strcmp(key, "holidays") == 0) {
		srv_holidays *h = NULL;
		if (*value != '\0' && strcmp(value, "none") != 0 &&
		    srv_holidays_load(value, &h, st) != LS_OK)
			return st->code;
		srv_holidays_free(c->holidays);
		c->holidays = h;
		return LS_OK;
	}
	return LS_NOT_FOUND;
}

/* ---- time in the server's zone ------------------------------------------------------ */

static int32_t day_of(time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	return ls_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The moment minute (after midnight) of day begins, in the local zone. */
static time_t time_at(int32_t day, int minute)
{
	int y, m, d;
	ls_civil_from_days(day, &y, &m, &d);
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = minute / 60;
	tm.tm_min = minute % 60;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* "2026-11-27T09:00:00+08:00". */
static void iso_of(time_t t, char buf[32])
{
	struct tm tm;
	char zone[8];
	localtime_r(&t, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	snprintf(buf + n, 32 - n, "%.3s:%.2s", zone, zone + 3);
}

static int32_t next_working(const srv_holidays *h, int32_t day)
{
	for (int i = 0; i < 366 && !srv_sched_working_day(h, day); i++)
		day++;
	return day;
}

static int32_t monday_of(int32_t day)
{
	return day - (ls_weekday(day) - 1);
}

/* When the update of the week starting monday is due, and when it is
 * overdue (in the week after): each moved to the next working day. */
static time_t due_time(const srv_sched_config *c, int32_t monday)
{
	return time_at(next_working(c->holidays, monday + c->due_wday - 1), c->due_minute);
}

static time_t overdue_time(const srv_sched_config *c, int32_t monday)
{
	return time_at(next_working(c->holidays, monday + 7 + c->overdue_wday - 1),
	               c->overdue_minute);
}

static void week_text(int32_t monday, char buf[16])
{
	ls_period p;
	ls_period_of(LS_PERIOD_WEEK, monday, &p);
	ls_period_format(&p, buf);
}

/* ---- texts -------------------------------------------------------------------------- */

/* Cuts a trailing incomplete UTF-8 sequence, as a truncation may leave. */
static void utf8_cut(char *s)
{
	size_t n = strlen(s), i = n;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
		i--;
	if (i == 0)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (n - (i - 1) < want)
		s[i - 1] = '\0';
}

typedef struct text {
	char buf[SRV_REMINDER_TEXT_MAX + 1];
	size_t len;
} text;

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	utf8_cut(t->buf);
	t->len = strlen(t->buf);
}

/* True if an item of n bytes still fits before the room kept for the tail. */
static bool text_fits(const text *t, size_t n)
{
	return t->len + n + TEXT_TAIL_ROOM <= SRV_REMINDER_TEXT_MAX;
}

/* ---- the rules ------------------------------------------------------------------------ */

typedef struct rule_ctx {
	srv_store *s;
	const srv_sched_config *cfg;
	time_t now;
	char now_iso[32];
	srv_announce_list *out;
	ls_status *st;
} rule_ctx;

void srv_announce_list_fini(srv_announce_list *l)
{
	free(l->items);
	memset(l, 0, sizeof *l);
}

static int announce_add(srv_announce_list *l, const srv_recipient *to, int64_t seq, ls_status *st)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		srv_announcement *v = realloc(l->items, cap * sizeof *v);
		if (v == NULL)
			return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
		l->items = v;
		l->cap = cap;
	}
	l->items[l->n].to = *to;
	l->items[l->n].seq = seq;
	l->n++;
	return LS_OK;
}

/* Writes one reminder, unless its window has one already. */
static int emit(rule_ctx *c, srv_rcpt_kind kind, int64_t id, const char *rkind, const char *subject,
                const char *window, const char *body)
{
	srv_recipient to = {kind, id};
	int64_t seq;
	if (srv_store_reminder_add(c->s, &to, rkind, subject, window, body, c->now_iso, 0, &seq,
	                           c->st) != LS_OK)
		return c->st->code;
	if (seq > 0)
		return announce_add(c->out, &to, seq, c->st);
	return LS_OK;
}

/* The time rule last ran, or a day before now if it never did. */
static int last_ran(rule_ctx *c, const char *rule, time_t *last)
{
	int64_t v;
	int rc = srv_store_sched_last_run(c->s, rule, &v, c->st);
	if (rc == LS_NOT_FOUND) {
		*last = c->now - FIRST_LOOKBACK_S;
		return LS_OK;
	}
	if (rc != LS_OK)
		return rc;
	*last = (time_t)v;
	return LS_OK;
}

static int ran(rule_ctx *c, const char *rule)
{
	return srv_store_sched_set_last_run(c->s, rule, (int64_t)c->now, c->now_iso, c->st);
}

/* -- weekly updates -- */

typedef struct missing_list {
	srv_sched_missing *v;
	size_t n, cap;
	bool oom;
} missing_list;

static void missing_collect(void *arg, const srv_sched_missing *m)
{
	missing_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		srv_sched_missing *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL) {
			l->oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *m;
}

/* One reminder per town listing its weekly projects that have no update
 * for the week starting monday. */
static int weekly_reminders(rule_ctx *c, int32_t monday, bool overdue, time_t at)
{
	char week[16];
	week_text(monday, week);
	missing_list l = {0};
	if (srv_store_sched_missing_updates(c->s, week, missing_collect, &l, c->st) < 0) {
		free(l.v);
		return c->st->code;
	}
	if (l.oom) {
		free(l.v);
		return ls_status_set(c->st, LS_RESOURCE_EXHAUSTED, "out of memory");
	}
	/* "This week" or "last week" only when it is so on the day it fires;
	 * a holiday may move the day into the next week. */
	int32_t fire_monday = monday_of(day_of(at));
	bool plain = fire_monday == monday + (overdue ? 7 : 0);
	int rc = LS_OK;
	text *t = malloc(sizeof *t);
	if (t == NULL && l.n > 0)
		rc = ls_status_set(c->st, LS_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; rc == LS_OK && i < l.n;) {
		size_t j = i;
		while (j < l.n && l.v[j].town_id == l.v[i].town_id)
			j++;
		t->len = 0;
		t->buf[0] = '\0';
		if (overdue)
			text_add(t, "【周报逾期】%s：%s（%s）以下项目未报送进度：",
			         l.v[i].town_name, plain ? "上周" : "", week);
		else
			text_add(t, "【周报提醒】%s：%s（%s）以下项目尚未报送进度：",
			         l.v[i].town_name, plain ? "本周" : "", week);
		size_t shown = 0;
		for (size_t k = i; k < j; k++) {
			char item[400];
			snprintf(item, sizeof item, "%s%s（%s）", shown ? "、" : "",
			         l.v[k].project_name, l.v[k].project_code);
			utf8_cut(item);
			if (!text_fits(t, strlen(item)))
				break;
			text_add(t, "%s", item);
			shown++;
		}
		if (shown < j - i)
			text_add(t, "等%zu个项目", j - i);
		text_add(t, "%s", overdue ? "。请尽快补报。" : "。请按时报送。");
		char subject[40];
		snprintf(subject, sizeof subject, "town:%" PRId64, l.v[i].town_id);
		rc = emit(c, SRV_RCPT_UNIT, l.v[i].town_id,
		          overdue ? "update_overdue" : "update_due", subject, week, t->buf);
		i = j;
	}
	free(t);
	free(l.v);
	return rc;
}

/* Due: the latest week whose due time has come since the rule last ran
 * and whose overdue time has not (after it, the overdue reminder says
 * more). */
static int rule_update_due(rule_ctx *c, time_t last)
{
	int32_t this_monday = monday_of(day_of(c->now));
	for (int k = 0; k <= WEEKS_BACK; k++) {
		int32_t monday = this_monday - 7 * k;
		time_t t = due_time(c->cfg, monday);
		if (t > c->now)
			continue;
		if (t <= last || c->now >= overdue_time(c->cfg, monday))
			return LS_OK;
		return weekly_reminders(c, monday, false, t);
	}
	return LS_OK;
}

/* Overdue: the latest week whose overdue time has come since the rule
 * last ran. */
static int rule_update_overdue(rule_ctx *c, time_t last)
{
	int32_t this_monday = monday_of(day_of(c->now));
	for (int k = 0; k <= WEEKS_BACK + 1; k++) {
		int32_t monday = this_monday - 7 * k;
		time_t t = overdue_time(c->cfg, monday);
		if (t > c->now)
			continue;
		if (t <= last)
			return LS_OK;
		return weekly_reminders(c, monday, true, t);
	}
	return LS_OK;
}

/* -- nodes -- */

typedef struct daily_ctx {
	rule_ctx *c;
	int32_t day;
	int rc;
} daily_ctx;

static void on_node(void *arg, const srv_sched_node *n)
{
	daily_ctx *d = arg;
	int32_t due;
	if (d->rc != LS_OK || !ls_date_parse(n->due_date, &due))
		return;
	int left = (int)(due - d->day);
	int every = d->c->cfg->node_overdue_every_days;
	char subject[40], window[24], body[1024];
	snprintf(subject, sizeof subject, "node:%" PRId64, n->id);
	const char *kind;
	if (left >= 0) {
		if (left > NODE_FIRST_DAYS)
			return;
		kind = "node_due";
		snprintf(window, sizeof window, "d%d", left <= 1 ? 1 : left <= 3 ? 3 : 7);
		if (left == 0)
			snprintf(body, sizeof body,
			         "【节点提醒】%s（%s）的节点「%s」今天（%s）到期，请抓紧完成。",
			         n->project_name, n->project_code, n->name, n->due_date);
		else
			snprintf(
			    body, sizeof body,
			    "【节点提醒】%s（%s）的节点「%s」将于%s到期（还有%d天），请抓紧推进。",
			    n->project_name, n->project_code, n->name, n->due_date, left);
	} else {
		kind = "node_overdue";
		snprintf(window, sizeof window, "o%d", (-left - 1) / every);
		snprintf(body, sizeof body,
		         "【节点逾期】%s（%s）的节点「%s」已于%s到期，逾期%d天，尚未完成。",
		         n->project_name, n->project_code, n->name, n->due_date, -left);
	}
	utf8_cut(body);
	d->rc = emit(d->c, SRV_RCPT_UNIT, n->owner_unit_id, kind, subject, window, body);
}

/* -- problems -- */

static void on_problem(void *arg, const srv_sched_problem *p)
{
	daily_ctx *d = arg;
	int32_t due;
	if (d->rc != LS_OK || !ls_date_parse(p->due_date, &due))
		return;
	int left = (int)(due - d->day);
	if (left > PROBLEM_SOON_DAYS)
		return;
	char subject[40], window[24], body[1024];
	snprintf(subject, sizeof subject, "problem:%" PRId64, p->id);
	const char *kind;
	if (left >= 0) {
		kind = "problem_due";
		snprintf(window, sizeof window, "d%d", PROBLEM_SOON_DAYS);
		if (left == 0)
			snprintf(body, sizeof body,
			         "【问题提醒】%s（%s）的问题「%s」今天（%s）到期，尚未销号。",
			         p->project_name, p->project_code, p->title, p->due_date);
		else
			snprintf(
			    body, sizeof body,
			    "【问题提醒】%s（%s）的问题「%s」将于%s到期（还有%d天），尚未销号。",
			    p->project_name, p->project_code, p->title, p->due_date, left);
	} else {
		kind = "problem_overdue";
		snprintf(window, sizeof window, "o%d",
		         (-left - 1) / d->c->cfg->node_overdue_every_days);
		snprintf(body, sizeof body,
		         "【问题逾期】%s（%s）的问题「%s」已于%s到期，逾期%d天，尚未销号。",
		         p->project_name, p->project_code, p->title, p->due_date, -left);
	}
	utf8_cut(body);
	/* Whoever it is assigned to, else the unit it was routed to; and the
	 * project's lead leader. One person in both roles gets one row: the
	 * second write finds the first. */
	if (p->assignee_person_id > 0)
		d->rc =
		    emit(d->c, SRV_RCPT_PERSON, p->assignee_person_id, kind, subject, window, body);
	else
		d->rc = emit(d->c, SRV_RCPT_UNIT,
		             p->assignee_unit_id > 0 ? p->assignee_unit_id : p->routed_unit_id,
		             kind, subject, window, body);
	if (d->rc == LS_OK && p->assignee_person_id > 0 && p->assignee_unit_id > 0)
		d->rc = emit(d->c, SRV_RCPT_UNIT, p->assignee_unit_id, kind, subject, window, body);
	if (d->rc == LS_OK && p->lead_leader_id > 0)
		d->rc = emit(d->c, SRV_RCPT_PERSON, p->lead_leader_id, kind, subject, window, body);
}

/* -- reconciliation -- */

static int reconcile(rule_ctx *c, int32_t day)
{
	int y, m, d;
	ls_civil_from_days(day, &y, &m, &d);
	if (d < RECONCILE_DAY)
		return LS_OK;
	int py = m == 1 ? y - 1 : y, pm = m == 1 ? 12 : m - 1;
	char month[32], subject[48], body[512];
	snprintf(month, sizeof month, "%04d-%02d", py, pm);
	bool locked, has_updates;
	if (srv_store_sched_month(c->s, month, &locked, &has_updates, c->st) != LS_OK)
		return c->st->code;
	/* A month nobody reported in has nothing to reconcile. */
	if (locked || !has_updates)
		return LS_OK;
	snprintf(subject, sizeof subject, "month:%s", month);
	snprintf(body, sizeof body,
	         "【月度对账提醒】%d年%d月的进度数据尚未对账锁定（应于%04d-%02d-%02d前完成），"
	         "请尽快核对并锁定。",
	         py, pm, y, m, RECONCILE_DAY);
	int64_t *roots;
	size_t n;
	if (srv_store_sched_roots(c->s, &roots, &n, c->st) != LS_OK)
		return c->st->code;
	int rc = LS_OK;
	for (size_t i = 0; rc == LS_OK && i < n; i++)
		rc = emit(c, SRV_RCPT_UNIT, roots[i], "reconcile_due", subject, month, body);
	free(roots);
	return rc;
}

/* -- rectification orders -- */

static void on_rectification(void *arg, const srv_sched_rectification *r)
{
	daily_ctx *d = arg;
	int32_t due;
	if (d->rc != LS_OK || !ls_date_parse(r->due_date, &due))
		return;
	int left = (int)(due - d->day);
	int soon = d->c->cfg->rect_due_days;
	if (left > soon)
		return;
	char subject[40], window[24], order[512], body[1024];
	snprintf(subject, sizeof subject, "rectification:%" PRId64, r->id);
	/* The order's text is the subject of the reminder: a long one is cut. */
	snprintf(order, sizeof order, "%.120s", r->text);
	utf8_cut(order);
	if (strlen(order) < strlen(r->text))
		snprintf(order + strlen(order), sizeof order - strlen(order), "…");
	const char *kind;
	if (left >= 0) {
		kind = "rectification_due";
		snprintf(window, sizeof window, "d%d", soon);
		if (left == 0)
			snprintf(
			    body, sizeof body,
			    "【整改提醒】%s（%s）的整改事项「%s」今天（%s）到期，尚未整改完成。",
			    r->project_name, r->project_code, order, r->due_date);
		else
			snprintf(body, sizeof body,
			         "【整改提醒】%s（%s）的整改事项「%s」将于%s到期（还有%d天），"
			         "尚未整改完成。",
			         r->project_name, r->project_code, order, r->due_date, left);
	} else {
		kind = "rectification_overdue";
		snprintf(window, sizeof window, "o%d",
		         (-left - 1) / d->c->cfg->node_overdue_every_days);
		snprintf(body, sizeof body,
		         "【整改逾期】%s（%s）的整改事项「%s」已于%s到期，逾期%d天，尚未整改完成。",
		         r->project_name, r->project_code, order, r->due_date, -left);
	}
	utf8_cut(body);
	d->rc = emit(d->c, SRV_RCPT_UNIT, r->owner_unit_id, kind, subject, window, body);
}

/* -- the leaders' rhythm -- */

typedef struct gap_list {
	srv_sched_gap *v;
	size_t n, cap;
	bool oom;
} gap_list;

static void gap_collect(void *arg, const srv_sched_gap *g)
{
	gap_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		srv_sched_gap *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL) {
			l->oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *g;
}

/* One reminder per leader listing the led projects without an activity of
 * kind from first to last; window names the week or the month. */
static int leader_reminders(rule_ctx *c, const char *kind, int32_t first, int32_t last,
                            const char *window, const char *head, const char *tail)
{
	bool review = strcmp(kind, "weekly_review") == 0;
	char from[11], to[11];
	ls_date_format(first, from);
	ls_date_format(last, to);
	gap_list l = {0};
	if (srv_store_sched_leader_gaps(c->s, kind, from, to, gap_collect, &l, c->st) < 0) {
		free(l.v);
		return c->st->code;
	}
	if (l.oom) {
		free(l.v);
		return ls_status_set(c->st, LS_RESOURCE_EXHAUSTED, "out of memory");
	}
	int rc = LS_OK;
	text *t = malloc(sizeof *t);
	if (t == NULL && l.n > 0)
		rc = ls_status_set(c->st, LS_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; rc == LS_OK && i < l.n;) {
		size_t j = i;
		while (j < l.n && l.v[j].person_id == l.v[i].person_id)
			j++;
		t->len = 0;
		t->buf[0] = '\0';
		text_add(t, "%s%s：%s", review ? "【专题了解提醒】" : "【现场调研提醒】",
		         l.v[i].person_name, head);
		size_t shown = 0;
		for (size_t k = i; k < j; k++) {
			char item[400];
			snprintf(item, sizeof item, "%s%s（%s）", shown ? "、" : "",
			         l.v[k].project_name, l.v[k].project_code);
			utf8_cut(item);
			if (!text_fits(t, strlen(item)))
				break;
			text_add(t, "%s", item);
			shown++;
		}
		if (shown < j - i)
			text_add(t, "等%zu个项目", j - i);
		text_add(t, "%s", tail);
		char subject[40];
		snprintf(subject, sizeof subject, "leader:%" PRId64, l.v[i].person_id);
		rc = emit(c, SRV_RCPT_PERSON, l.v[i].person_id, review ? "review_due" : "visit_due",
		          subject, window, t->buf);
		i = j;
	}
	free(t);
	free(l.v);
	return rc;
}

/* The week (its Monday) whose review is due by day: from the review
 * weekday of the week, moved to the next working day; a week whose day
 * moved into the next counts there. False when none is. */
static bool review_week(const srv_sched_config *cfg, int32_t day, int32_t *monday)
{
	*monday = monday_of(day);
	if (next_working(cfg->holidays, *monday + cfg->review_wday - 1) <= day)
		return true;
	int32_t this_monday = *monday;
	*monday -= 7;
	int32_t moved = next_working(cfg->holidays, *monday + cfg->review_wday - 1);
	return moved >= this_monday && moved <= day;
}

static int leader_review(rule_ctx *c, int32_t day)
{
	int32_t monday;
	if (!review_week(c->cfg, day, &monday))
		return LS_OK;
	char week[16], head[96];
	week_text(monday, week);
	snprintf(head, sizeof head, "%s（%s）以下领衔项目尚无每周专题了解记录：",
	         monday_of(day) == monday ? "本周" : "上周", week);
	return leader_reminders(c, "weekly_review", monday, monday + 6, week, head,
	                        "。请及时开展专题了解并登记。");
}

/* The month whose site visit is due by day, as review_week. */
static bool visit_month(const srv_sched_config *cfg, int32_t day, ls_period *m)
{
	ls_period_of(LS_PERIOD_MONTH, day, m);
	if (next_working(cfg->holidays, m->first + cfg->visit_day - 1) <= day)
		return true;
	ls_period_of(LS_PERIOD_MONTH, m->first - 1, m);
	int32_t moved = next_working(cfg->holidays, m->first + cfg->visit_day - 1);
	return moved > m->last && moved <= day;
}

static int leader_visit(rule_ctx *c, int32_t day)
{
	ls_period m;
	if (!visit_month(c->cfg, day, &m))
		return LS_OK;
	char month[16], head[128];
	snprintf(month, sizeof month, "%04d-%02d", m.year, m.number);
	snprintf(head, sizeof head, "%d年%d月（应于%d日前）以下领衔项目尚无现场调研指导记录：",
	         m.year, m.number, c->cfg->visit_day);
	return leader_reminders(c, "site_visit", m.first, m.last, month, head,
	                        "。请于本月内安排现场调研。");
}

/* Nodes, problems, rectification orders, reconciliation and the leaders'
 * rhythm, once a day at daily-at: the latest such time since the rule last
 * ran, with that time's date. */
static int rule_daily(rule_ctx *c, time_t last)
{
	int32_t day = day_of(c->now);
	time_t t = time_at(day, c->cfg->daily_minute);
	if (t > c->now)
		t = time_at(--day, c->cfg->daily_minute);
	if (t <= last)
		return LS_OK;
	char through[11];
	daily_ctx d = {.c = c, .day = day, .rc = LS_OK};
	ls_date_format(day + NODE_FIRST_DAYS, through);
	if (srv_store_sched_open_nodes(c->s, through, on_node, &d, c->st) < 0)
		return c->st->code;
	if (d.rc != LS_OK)
		return d.rc;
	ls_date_format(day + PROBLEM_SOON_DAYS, through);
	if (srv_store_sched_open_problems(c->s, through, on_problem, &d, c->st) < 0)
		return c->st->code;
	if (d.rc != LS_OK)
		return d.rc;
	ls_date_format(day + c->cfg->rect_due_days, through);
	if (srv_store_sched_open_rectifications(c->s, through, on_rectification, &d, c->st) < 0)
		return c->st->code;
	if (d.rc != LS_OK)
		return d.rc;
	if (reconcile(c, day) != LS_OK || leader_review(c, day) != LS_OK)
		return c->st->code;
	return leader_visit(c, day);
}

static const struct {
	const char *name;
	int (*run)(rule_ctx *c, time_t last);
} rules[] = {
    {"update_due", rule_update_due},
    {"update_overdue", rule_update_overdue},
    {"daily", rule_daily},
};

/* Every tick records when each rule ran, found something or not: the
 * next tick looks only at what came after. */
int srv_scheduler_run(srv_store *s, const srv_sched_config *cfg, time_t now, srv_announce_list *out,
                      ls_status *st)
{
	rule_ctx c = {.s = s, .cfg = cfg, .now = now, .out = out, .st = st};
	iso_of(now, c.now_iso);
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		time_t last;
		if (last_ran(&c, rules[i].name, &last) != LS_OK ||
		    rules[i].run(&c, last) != LS_OK || ran(&c, rules[i].name) != LS_OK)
			return st->code;
	}
	return LS_OK;
}

void srv_reminder_topic(const srv_recipient *to, char buf[32])
{
	snprintf(buf, 32, "%c/%" PRId64 "/", to->kind == SRV_RCPT_PERSON ? 'p' : 'u', to->id);
}

/* ---- on the loop --------------------------------------------------------------------- */

/* Announcing is a send to every subscriber (nng's PUB filters on the
 * subscriber's side), one write each: with a thousand watchers, far too
 * slow for the loop thread, which would stop answering calls meanwhile.
 * A thread of its own sends them; what waits for it is coalesced to the
 * newest number per recipient, and a burst for many recipients (an "all"
 * notice, the Friday reminders) to one "all/" announcement: a thousand
 * pulls cost less than a thousand announcements to a thousand watchers
 * each. */
struct srv_scheduler {
	srv_server *srv;
	uv_timer_t tick;
	uv_timer_t flush;
	int closing;            /* handles still to close */
	srv_recipient *pending; /* to announce after the running batch commits */
	size_t n_pending, cap_pending;
	/* the announcing thread and what waits for it, under mtx */
	uv_thread_t thread;
	uv_mutex_t mtx;
	uv_cond_t cond;
	srv_announce_list queue;
	bool quit;
	uint64_t bursts; /* "all/" announcements made: their number */
	int coalesce;    /* push-coalesce, as the loop thread last saw it */
	/* Several servers on one database (srv_store_shared): what each
	 * announces it NOTIFYs on ANNOUNCE_CHANNEL, marked with its instance
	 * number, and each announces what the others wrote. hear waits on the
	 * store's socket; rehear makes it wait again after a new connection. */
	uint64_t instance;
	uv_poll_t *hear;
	unsigned hear_generation;
	uv_timer_t rehear;
	uv_check_t drain;
};

#define ANNOUNCE_CHANNEL "luoshi_reminders"
/* A notification's payload is at most 8000 bytes in PostgreSQL. */
#define ANNOUNCE_PAYLOAD_MAX 7800
/* How soon a server whose connection broke tries again to hear. */
#define REHEAR_MS 1000

static int cmp_recipient(const void *a, const void *b)
{
	const srv_recipient *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_announcement(const void *a, const void *b)
{
	const srv_announcement *x = a, *y = b;
	if (x->to.kind != y->to.kind)
		return x->to.kind < y->to.kind ? -1 : 1;
	if (x->to.id != y->to.id)
		return x->to.id < y->to.id ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void announcer(void *arg)
{
	srv_scheduler *sc = arg;
	srv_announce_list mine = {0};
	uv_mutex_lock(&sc->mtx);
	for (;;) {
		while (sc->queue.n == 0 && !sc->quit)
			uv_cond_wait(&sc->cond, &sc->mtx);
		if (sc->queue.n == 0)
			break;
		uint64_t started = uv_hrtime();
		srv_announce_list taken = sc->queue;
		int coalesce = sc->coalesce;
		sc->queue = mine;
		uv_mutex_unlock(&sc->mtx);
		/* Sorted, the newest number of each recipient comes last. */
		qsort(taken.items, taken.n, sizeof *taken.items, cmp_announcement);
		size_t distinct = 0;
		for (size_t i = 0; i < taken.n; i++)
			distinct += i + 1 == taken.n ||
			            cmp_recipient(&taken.items[i].to, &taken.items[i + 1].to) != 0;
		if (coalesce > 0 && distinct >= (size_t)coalesce) {
			srv_push_announce(sc->srv->push, SRV_TOPIC_ALL, ++sc->bursts);
			distinct = 0;
		}
		for (size_t i = 0; distinct > 0 && i < taken.n; i++) {
			const srv_announcement *a = &taken.items[i];
			if (i + 1 < taken.n && cmp_recipient(&a->to, &a[1].to) == 0)
				continue;
			char topic[32];
			srv_reminder_topic(&a->to, topic);
			srv_push_announce(sc->srv->push, topic, (uint64_t)a->seq);
		}
		taken.n = 0;
		mine = taken;
		uv_mutex_lock(&sc->mtx);
		/* At most one round per PUSH_ROUND_MS: what comes meanwhile
		 * waits and is coalesced. People do not notice the delay; a
		 * thousand subscribers notice every announcement. */
		uint64_t until = started + (uint64_t)PUSH_ROUND_MS * 1000000u;
		for (uint64_t t; !sc->quit && (t = uv_hrtime()) < until;)
			uv_cond_timedwait(&sc->cond, &sc->mtx, until - t);
	}
	uv_mutex_unlock(&sc->mtx);
	srv_announce_list_fini(&mine);
}

/* Tells the other servers sharing the database what l announces:
 * "INSTANCE KIND:ID:SEQ KIND:ID:SEQ ...", in notifications of at most
 * ANNOUNCE_PAYLOAD_MAX bytes. A notification lost (a broken connection)
 * costs their watchers a push, not a reminder: the next pull finds it. */
static void publish(srv_scheduler *sc, const srv_announce_list *l)
{
	char payload[ANNOUNCE_PAYLOAD_MAX + 64];
	int head = snprintf(payload, sizeof payload, "%016" PRIx64, sc->instance);
	size_t used = (size_t)head;
	ls_status st;
	for (size_t i = 0; i <= l->n; i++) {
		if (i == l->n || used > ANNOUNCE_PAYLOAD_MAX) {
			if (used > (size_t)head &&
			    srv_store_notify(sc->srv->store, ANNOUNCE_CHANNEL, payload, &st) !=
			        LS_OK)
				ls_warn("scheduler: cannot tell the other servers: %s", st.message);
			used = (size_t)head;
			if (i == l->n)
				break;
		}
		const srv_announcement *a = &l->items[i];
		used +=
		    (size_t)snprintf(payload + used, sizeof payload - used,
		                     " %d:%" PRId64 ":%" PRId64, (int)a->to.kind, a->to.id, a->seq);
	}
}

/* Hands announcements to the thread, all at once, so that it sees them
 * together. Loop thread, after the commit. */
static void announce_here(srv_scheduler *sc, const srv_announce_list *l)
{
	ls_status st;
	if (l->n == 0)
		return;
	uv_mutex_lock(&sc->mtx);
	sc->coalesce = sc->srv->cfg.sched.push_coalesce;
	/* Without memory an announcement is lost; the watchers' next pull
	 * still finds the row. */
	for (size_t i = 0; i < l->n; i++)
		if (announce_add(&sc->queue, &l->items[i].to, l->items[i].seq, &st) != LS_OK)
			break;
	uv_cond_signal(&sc->cond);
	uv_mutex_unlock(&sc->mtx);
}

/* Announces l here and to the other servers. */
static void announce(srv_scheduler *sc, const srv_announce_list *l)
{
	announce_here(sc, l);
	if (l->n > 0 && srv_store_shared(sc->srv->store))
		publish(sc, l);
}

/* One notification from a server, its own included (skipped). */
static void on_notification(void *arg, const char *channel, const char *payload)
{
	srv_scheduler *sc = arg;
	srv_announce_list list = {0};
	ls_status st;
	char *end;
	if (strcmp(channel, ANNOUNCE_CHANNEL) != 0 || strtoull(payload, &end, 16) == sc->instance)
		return;
	for (const char *p = end; *p == ' ';) {
		int kind;
		long long id, seq;
		int n = 0;
		if (sscanf(p, " %d:%lld:%lld%n", &kind, &id, &seq, &n) != 3 || n == 0 || kind < 0 ||
		    kind > SRV_RCPT_PERSON)
			break;
		srv_recipient to = {.kind = (srv_rcpt_kind)kind, .id = id};
		if (announce_add(&list, &to, seq, &st) != LS_OK)
			break;
		p += n;
	}
	announce_here(sc, &list);
	srv_announce_list_fini(&list);
}

static void drain(srv_scheduler *sc);

static void on_hear(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	drain(h->data);
}

static void on_drain(uv_check_t *h)
{
	drain(h->data);
}

static void on_rehear(uv_timer_t *h)
{
	drain(h->data);
}

static void close_free(uv_handle_t *h)
{
	free(h);
}

/* Waits on the store's socket for notifications, on the connection it has
 * now: a new connection has a new socket. */
static void hear(srv_scheduler *sc)
{
	unsigned generation;
	int fd = srv_store_socket(sc->srv->store, &generation);
	if (sc->hear != NULL && generation == sc->hear_generation)
		return;
	if (sc->hear != NULL) {
		uv_close((uv_handle_t *)sc->hear, close_free);
		sc->hear = NULL;
	}
	uv_poll_t *p = fd >= 0 ? malloc(sizeof *p) : NULL;
	if (p == NULL || uv_poll_init(sc->srv->loop, p, fd) != 0) {
		free(p);
		return;
	}
	p->data = sc;
	uv_poll_start(p, UV_READABLE, on_hear);
	sc->hear = p;
	sc->hear_generation = generation;
}

/* Announces what the other servers said. Runs when the socket has
 * something, and after every turn of the loop too: libpq also takes in
 * notifications while it reads the answers to other statements, and those
 * wait in its queue, not on the socket. While the connection is down it
 * tries again every REHEAR_MS, not at every turn. */
static void drain(srv_scheduler *sc)
{
	if (uv_is_active((uv_handle_t *)&sc->rehear))
		return;
	if (srv_store_notifications(sc->srv->store, on_notification, sc) < 0) {
		if (sc->hear != NULL) {
			uv_close((uv_handle_t *)sc->hear, close_free);
			sc->hear = NULL;
		}
		uv_timer_start(&sc->rehear, on_rehear, REHEAR_MS, 0);
		return;
	}
	hear(sc);
}

static void on_tick(uv_timer_t *h)
{
	srv_scheduler *sc = h->data;
	srv_server *srv = sc->srv;
	if (srv->stopping || !srv_store_sched_turn(srv->store))
		return;
	ls_status st;
	ls_status_clear(&st);
	srv_announce_list list = {0};
	if (srv_store_begin(srv->store, &st) != LS_OK) {
		ls_warn("scheduler: %s; trying again at the next tick", st.message);
		return;
	}
	if (srv_scheduler_run(srv->store, &srv->cfg.sched, time(NULL), &list, &st) != LS_OK) {
		srv_store_rollback(srv->store);
		ls_error("scheduler: %s; trying again at the next tick", st.message);
		goto out;
	}
	if (srv_store_commit(srv->store, &st) != LS_OK) {
		ls_error("scheduler: commit: %s; trying again at the next tick", st.message);
		goto out;
	}
	announce(sc, &list);
	if (list.n > 0)
		ls_info("scheduler: %zu reminders written", list.n);
out:
	srv_announce_list_fini(&list);
}

/* Runs in a later callback than the batch that queued the recipients,
 * after that batch's commit (or rollback): what it reads is on disk. */
static void on_flush(uv_timer_t *h)
{
	srv_scheduler *sc = h->data;
	srv_announce_list list = {0};
	ls_status st;
	qsort(sc->pending, sc->n_pending, sizeof *sc->pending, cmp_recipient);
	for (size_t i = 0; i < sc->n_pending; i++) {
		if (i > 0 && cmp_recipient(&sc->pending[i], &sc->pending[i - 1]) == 0)
			continue;
		int64_t seq;
		if (srv_store_reminder_latest(sc->srv->store, &sc->pending[i], &seq, &st) ==
		        LS_OK &&
		    seq > 0 && announce_add(&list, &sc->pending[i], seq, &st) != LS_OK)
			break;
	}
	sc->n_pending = 0;
	announce(sc, &list);
	srv_announce_list_fini(&list);
}

void srv_reminders_announce_later(srv_server *srv, const srv_recipient *to)
{
	srv_scheduler *sc = srv->scheduler;
	if (sc == NULL || sc->closing > 0)
		return;
	if (sc->n_pending == sc->cap_pending) {
		size_t cap = sc->cap_pending ? 2 * sc->cap_pending : 64;
		srv_recipient *v = realloc(sc->pending, cap * sizeof *v);
		/* Without memory the announcement is lost; the watchers' next
		 * pull still finds the row. */
		if (v == NULL)
			return;
		sc->pending = v;
		sc->cap_pending = cap;
	}
	sc->pending[sc->n_pending++] = *to;
	if (!uv_is_active((uv_handle_t *)&sc->flush))
		uv_timer_start(&sc->flush, on_flush, 0, 0);
}

int srv_scheduler_start(srv_server *srv, ls_status *st)
{
	srv_scheduler *sc = calloc(1, sizeof *sc);
	if (sc == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	sc->srv = srv;
	if (uv_mutex_init(&sc->mtx) != 0)
		goto fail_mutex;
	if (uv_cond_init(&sc->cond) != 0)
		goto fail_cond;
	if (uv_thread_create(&sc->thread, announcer, sc) != 0)
		goto fail_thread;
	uv_timer_init(srv->loop, &sc->tick);
	uv_timer_init(srv->loop, &sc->flush);
	uv_timer_init(srv->loop, &sc->rehear);
	uv_check_init(srv->loop, &sc->drain);
	sc->tick.data = sc->flush.data = sc->rehear.data = sc->drain.data = sc;
	uv_timer_start(&sc->tick, on_tick, 0, srv->cfg.sched.interval_ms);
	srv->scheduler = sc;
	if (srv_store_shared(srv->store)) {
		/* Failing, the watchers of this server miss the pushes of the
		 * others' reminders, not the reminders: the next pull finds them. */
		if (uv_random(NULL, NULL, &sc->instance, sizeof sc->instance, 0, NULL) != 0)
			sc->instance = uv_hrtime() ^ (uint64_t)getpid() << 32;
		if (srv_store_listen(srv->store, ANNOUNCE_CHANNEL, st) != LS_OK)
			ls_warn("scheduler: cannot hear the other servers: %s", st->message);
		uv_check_start(&sc->drain, on_drain);
		hear(sc);
	}
	ls_info("scheduler: ticking every %u ms", srv->cfg.sched.interval_ms);
	return LS_OK;

fail_thread:
	uv_cond_destroy(&sc->cond);
fail_cond:
	uv_mutex_destroy(&sc->mtx);
fail_mutex:
	free(sc);
	return ls_status_set(st, LS_INTERNAL, "scheduler: cannot start its thread");
}

static void on_closed(uv_handle_t *h)
{
	srv_scheduler *sc = h->data;
	if (--sc->closing > 0)
		return;
	free(sc->pending);
	free(sc);
}

void srv_scheduler_stop(srv_server *srv)
{
	srv_scheduler *sc = srv->scheduler;
	if (sc == NULL)
		return;
	srv->scheduler = NULL;
	/* What was handed over is still sent: the push socket closes after. */
	uv_mutex_lock(&sc->mtx);
	sc->quit = true;
	uv_cond_signal(&sc->cond);
	uv_mutex_unlock(&sc->mtx);
	uv_thread_join(&sc->thread);
	srv_announce_list_fini(&sc->queue);
	uv_cond_destroy(&sc->cond);
	uv_mutex_destroy(&sc->mtx);
	if (sc->hear != NULL)
		uv_close((uv_handle_t *)sc->hear, close_free);
	sc->closing = 4;
	uv_close((uv_handle_t *)&sc->tick, on_closed);
	uv_close((uv_handle_t *)&sc->flush, on_closed);
	uv_close((uv_handle_t *)&sc->rehear, on_closed);
	uv_close((uv_handle_t *)&sc->drain, on_closed);
}
