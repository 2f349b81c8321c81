#include "projstatus.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "period.h"

int ls_projstatus_expected(int32_t start, int32_t finish, int32_t day)
{
	if (day >= finish)
		return 100;
	if (day <= start)
		return 0;
	/* finish > day > start here, so the span is at least 2 days. */
	return (int)((int64_t)(day - start) * 100 / (finish - start));
}

const char *ls_projstatus_name(int level)
{
	switch (level) {
	case LS_PROJSTATUS_ON_TRACK:
		return "on_track";
	case LS_PROJSTATUS_LAGGING:
		return "lagging";
	case LS_PROJSTATUS_SERIOUSLY_LAGGING:
		return "seriously_lagging";
	default:
		return "unspecified";
	}
}

/* The first day of the first period (ISO week or month) that begins on or
 * after day. */
static int32_t first_period_from(int32_t day, bool monthly)
{
	if (!monthly)
		return day + (8 - ls_weekday(day)) % 7;
	int y, m, d;
	ls_civil_from_days(day, &y, &m, &d);
	if (d == 1)
		return day;
	return m == 12 ? ls_days_from_civil(y + 1, 1, 1) : ls_days_from_civil(y, m + 1, 1);
}

/* The first day of the period after the one beginning on first. */
static int32_t next_period(int32_t first, bool monthly)
{
	if (!monthly)
		return first + 7;
	return first_period_from(first + 1, true);
}

/* Whole periods that began on or after from and ended before as_of. */
static int count_periods(int32_t from, int32_t as_of, bool monthly)
{
	int n = 0;
	for (int32_t p = first_period_from(from, monthly);; n++) {
		int32_t next = next_period(p, monthly);
		/* The period's last day is next - 1; it has ended when as_of is
		 * past it. */
		if (next - 1 >= as_of)
			break;
		p = next;
	}
	return n;
}

static void add_reason(ls_projstatus *out, const char *code, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_reason(ls_projstatus *out, const char *code, int level, const char *fmt, ...)
{
	if (out->n_reasons >= LS_PROJSTATUS_MAX_REASONS)
		return;
	ls_projstatus_reason *r = &out->reasons[out->n_reasons++];
	r->code = code;
	r->level = level;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
	if (level > out->status)
		out->status = level;
}

void ls_projstatus_derive(const ls_projstatus_in *in, ls_projstatus *out)
{
	memset(out, 0, sizeof *out);
	out->status = LS_PROJSTATUS_ON_TRACK;

	/* Nodes. */
	for (size_t i = 0; i < in->n_nodes; i++) {
		if (in->node_due[i] >= in->as_of)
			continue;
		int days = (int)(in->as_of - in->node_due[i]);
		out->overdue_nodes++;
		if (days > out->max_days_overdue)
			out->max_days_overdue = days;
	}
	if (out->overdue_nodes > 0) {
		bool serious = out->max_days_overdue > LS_PROJSTATUS_SERIOUS_NODE_DAYS;
		add_reason(out, "node_overdue",
		           serious ? LS_PROJSTATUS_SERIOUSLY_LAGGING : LS_PROJSTATUS_LAGGING,
		           "%d node%s overdue, the oldest by %d day%s%s", out->overdue_nodes,
		           out->overdue_nodes == 1 ? "" : "s", out->max_days_overdue,
		           out->max_days_overdue == 1 ? "" : "s", serious ? " (more than 30)" : "");
	}

	/* Percent complete against the time elapsed. */
	out->expected = ls_projstatus_expected(in->planned_start, in->planned_finish, in->as_of);
	int percent = in->reported ? in->percent : 0;
	out->behind = out->expected - percent;
	if (out->behind >= LS_PROJSTATUS_LAGGING_BEHIND) {
		bool serious = out->behind >= LS_PROJSTATUS_SERIOUS_BEHIND;
		add_reason(out, "behind_schedule",
		           serious ? LS_PROJSTATUS_SERIOUSLY_LAGGING : LS_PROJSTATUS_LAGGING,
		           "%d%% complete%s against %d%% of the planned time elapsed: %d points "
		           "behind",
		           percent, in->reported ? "" : " (nothing reported)", out->expected,
		           out->behind);
	}

	/* Periods without an update. A project that has reported 100% is
	 * complete: it owes no more updates. */
	if (!(in->reported && in->percent >= 100)) {
		int32_t from = in->planned_start;
		if (in->reported && in->last_end + 1 > from)
			from = in->last_end + 1;
		out->silent = count_periods(from, in->as_of, in->monthly);
	}
	int lag = in->monthly ? LS_PROJSTATUS_LAGGING_MONTHS : LS_PROJSTATUS_LAGGING_WEEKS;
	int serious_at = in->monthly ? LS_PROJSTATUS_SERIOUS_MONTHS : LS_PROJSTATUS_SERIOUS_WEEKS;
	if (out->silent >= lag) {
		bool serious = out->silent >= serious_at;
		const char *unit = in->monthly ? (out->silent == 1 ? "month" : "months")
		                               : (out->silent == 1 ? "week" : "weeks");
		add_reason(out, "silent",
		           serious ? LS_PROJSTATUS_SERIOUSLY_LAGGING : LS_PROJSTATUS_LAGGING,
		           "no update for %d %s %s", out->silent, unit,
		           in->reported ? "since the last reported period"
		                        : "since the planned start");
	}
}
