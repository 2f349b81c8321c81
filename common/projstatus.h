/* The derived status of a project: on track, lagging or seriously lagging,
 * from its overdue nodes, its reported percent complete against the time
 * elapsed, and the periods it has gone without an update. The rule is
 * written out in README.md ("How a project's status is derived").
 *
 * A pure function of plain numbers: the server's store gathers them
 * (srv_store_project_status_inputs), this file decides. Dates are days since
 * 1970-01-01 (period.h). */
#ifndef LS_PROJSTATUS_H
#define LS_PROJSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Numbered as luoshi.v1.ProjectStatus. */
typedef enum ls_projstatus_level {
	LS_PROJSTATUS_UNSPECIFIED = 0,
	LS_PROJSTATUS_ON_TRACK = 1,
	LS_PROJSTATUS_LAGGING = 2,
	LS_PROJSTATUS_SERIOUSLY_LAGGING = 3,
} ls_projstatus_level;

/* The thresholds of the rule. */
#define LS_PROJSTATUS_SERIOUS_NODE_DAYS 30 /* a node more than this overdue */
#define LS_PROJSTATUS_LAGGING_BEHIND 10    /* percentage points */
#define LS_PROJSTATUS_SERIOUS_BEHIND 20
#define LS_PROJSTATUS_LAGGING_WEEKS 2 /* silent weeks (weekly projects) */
#define LS_PROJSTATUS_SERIOUS_WEEKS 4
#define LS_PROJSTATUS_LAGGING_MONTHS 1 /* silent months (monthly projects) */
#define LS_PROJSTATUS_SERIOUS_MONTHS 2

typedef struct ls_projstatus_in {
	int32_t as_of;         /* the day the status is for */
	int32_t planned_start; /* planned start and finish (finish >= start) */
	int32_t planned_finish;
	bool monthly;            /* reports by month; otherwise by ISO week */
	bool reported;           /* some period was reported by as_of */
	int percent;             /* the latest reported percent, 0..100 */
	int32_t last_end;        /* the last day of the latest reported period */
	const int32_t *node_due; /* due dates of the nodes not done as of as_of */
	size_t n_nodes;
} ls_projstatus_in;

/* One rule that fired. */
typedef struct ls_projstatus_reason {
	const char *code; /* "node_overdue", "behind_schedule" or "silent"; static */
	int level;        /* what this rule alone makes the project */
	char detail[200]; /* in words, with the figures */
} ls_projstatus_reason;

#define LS_PROJSTATUS_MAX_REASONS 3

typedef struct ls_projstatus {
	int status;           /* an ls_projstatus_level */
	int expected;         /* percent of the planned time elapsed, 0..100 */
	int behind;           /* expected - reported percent; negative when ahead */
	int silent;           /* whole periods without an update */
	int overdue_nodes;    /* nodes due before as_of and not done */
	int max_days_overdue; /* of the oldest of them; 0 when none */
	int n_reasons;
	ls_projstatus_reason reasons[LS_PROJSTATUS_MAX_REASONS];
} ls_projstatus;

/* Derives the status of in into *out. Never fails. */
void ls_projstatus_derive(const ls_projstatus_in *in, ls_projstatus *out);

/* The percent of the time between start and finish elapsed on day: 100 on
 * or after the finish, else 0 on or before the start, else rounded down. */
int ls_projstatus_expected(int32_t start, int32_t finish, int32_t day);

/* "on_track", "lagging", "seriously_lagging"; "unspecified" otherwise. */
const char *ls_projstatus_name(int level);

#endif
