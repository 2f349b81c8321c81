/* The store of ProblemService: problems (销号管理), their history, who they
 * are routed and assigned to, and their counts as of a day. Plain C values
 * in and out; dates are "YYYY-MM-DD" text, which sorts as the calendar does;
 * a problem's group travels as the text of problems.grp ("funding"). */
#ifndef SRV_STORE_PROBLEMS_H
#define SRV_STORE_PROBLEMS_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

#define SRV_PROBLEM_DATE_SIZE 11
#define SRV_PROBLEM_CODE_SIZE 64
#define SRV_PROBLEM_NAME_SIZE 256
#define SRV_PROBLEM_TEXT_SIZE 2048
#define SRV_PROBLEM_TIME_SIZE 40
#define SRV_PROBLEM_GROUP_SIZE 16

/* What raising a problem needs to know of its project. */
typedef struct srv_problem_project {
	int64_t id;
	char code[SRV_PROBLEM_CODE_SIZE];
	int64_t lead_unit_id;
	int64_t lead_leader_id;
	int64_t town_id; /* 0: stands in no town */
	bool archived;
} srv_problem_project;

/* A unit or person a problem points to: 0 and "" when none. */
typedef struct srv_problem_ref {
	int64_t id;
	char code[SRV_PROBLEM_CODE_SIZE];
	char name[SRV_PROBLEM_NAME_SIZE];
} srv_problem_ref;

typedef struct srv_problem {
	int64_t id;
	srv_problem_ref project;
	srv_problem_ref lead_leader; /* the project's */
	srv_problem_ref town;        /* the project's */
	char title[SRV_PROBLEM_NAME_SIZE];
	char detail[SRV_PROBLEM_TEXT_SIZE];
	char group[SRV_PROBLEM_GROUP_SIZE];
	srv_problem_ref routed;
	srv_problem_ref assignee_unit;
	srv_problem_ref assignee_person;
	srv_problem_ref office; /* where the routing started; an escalation goes there */
	char due_date[SRV_PROBLEM_DATE_SIZE]; /* "": none */
	bool resolved;
	bool escalated;
	char resolution[SRV_PROBLEM_TEXT_SIZE];
	int64_t raised_by; /* the account; 0 when unknown */
	char raised_by_name[SRV_PROBLEM_NAME_SIZE];
	srv_problem_ref raised_by_unit; /* that account's unit */
	char raised_at[SRV_PROBLEM_TIME_SIZE];
	char raised_on[SRV_PROBLEM_DATE_SIZE];
	char resolved_at[SRV_PROBLEM_TIME_SIZE]; /* "": not resolved */
	char resolved_on[SRV_PROBLEM_DATE_SIZE];
} srv_problem;

/* Who is asking, beyond its scope: an account sees the problems of the
 * projects its scope reads, and those routed to its unit (escalated ones
 * to its office too) or assigned to its unit or person. Only accounts that
 * act for their unit (admin, department, town) see by their unit. */
typedef struct srv_problem_viewer {
	const srv_scope *scope; /* the caller's: unit and person come from it */
	bool by_unit;
} srv_problem_viewer;

/* ---- projects ------------------------------------------------------------ */

/* LS_OK, LS_NOT_FOUND (st untouched) or an error in st. */
int srv_store_problems_project(srv_store *s, int64_t id, srv_problem_project *out, ls_status *st);

/* Sets *yes when unit, or a unit below it, leads the project or contributes
 * to it. */
int srv_store_problems_unit_on_project(srv_store *s, int64_t project, int64_t unit, bool *yes,
                                       ls_status *st);

/* ---- problems ------------------------------------------------------------- */

/* A new problem: the text fields as given, due_date "" for none. */
typedef struct srv_problem_new {
	int64_t project_id;
	const char *title;
	const char *detail;
	const char *group;
	int64_t routed_unit_id;
	int64_t office_id;
	const char *due_date;
	int64_t raised_by;
	const char *raised_at;
	const char *raised_on;
} srv_problem_new;

int srv_store_problems_insert(srv_store *s, const srv_problem_new *p, int64_t *id, ls_status *st);

/* LS_OK, LS_NOT_FOUND (st untouched) or an error in st. */
int srv_store_problems_get(srv_store *s, int64_t id, srv_problem *out, ls_status *st);

/* True when v may read problem id. */
bool srv_store_problems_visible(srv_store *s, const srv_problem_viewer *v, int64_t id);

/* Sets the assignee: a unit or a person (the other 0, cleared). */
int srv_store_problems_assign(srv_store *s, int64_t id, int64_t unit, int64_t person,
                              ls_status *st);

/* Closes it (销号) with the resolution, at a time and on a day. */
int srv_store_problems_resolve(srv_store *s, int64_t id, const char *resolution, const char *at,
                               const char *on, ls_status *st);

/* Opens it again, forgetting the resolution (the history keeps it). */
int srv_store_problems_reopen(srv_store *s, int64_t id, ls_status *st);

int srv_store_problems_escalate(srv_store *s, int64_t id, ls_status *st);

/* Appends one row of the history; kind as problem_events.kind. */
int srv_store_problems_event(srv_store *s, int64_t problem, const char *at, int64_t account,
                             const char *kind, const char *text, ls_status *st);

typedef struct srv_problem_event {
	const char *at; /* valid during the callback only, as all four */
	const char *account_name;
	const char *kind;
	const char *text;
} srv_problem_event;

/* The history of problem id, oldest first, through fn. Returns the number
 * of rows, or -1 (st filled). */
int srv_store_problems_events(srv_store *s, int64_t id,
                              void (*fn)(void *arg, const srv_problem_event *e), void *arg,
                              ls_status *st);

/* ---- lists and counts -------------------------------------------------------- */

typedef struct srv_problem_filter {
	const srv_problem_viewer *viewer;
	const char *as_of; /* for overdue */
	int64_t after;     /* ids greater than this */
	int limit;
	bool open_only;
	bool overdue_only; /* open, and due before as_of */
	const char *group; /* NULL: any */
	int64_t leader;    /* 0: any; else projects led by, or cases taken by, this person */
	int64_t town;      /* 0: any; else projects standing in this unit's subtree */
	int64_t project;   /* 0: any */
} srv_problem_filter;

/* The problems f selects, in id order, through fn. Returns how many, or -1
 * (st filled). */
int srv_store_problems_list(srv_store *s, const srv_problem_filter *f,
                            void (*fn)(void *arg, const srv_problem *p), void *arg, ls_status *st);

/* The counts of one group as of a day. */
typedef struct srv_problem_counts {
	char group[SRV_PROBLEM_GROUP_SIZE];
	int64_t raised;   /* raised on or before as_of */
	int64_t resolved; /* of those, resolved on or before as_of */
	int64_t overdue;  /* of the others, due before as_of */
} srv_problem_counts;

/* The counts per group of the problems f selects (its viewer, as_of,
 * leader and town; the rest is ignored), through fn, only for groups that
 * have any. Returns the number of groups, or -1 (st filled). */
int srv_store_problems_stats(srv_store *s, const srv_problem_filter *f,
                             void (*fn)(void *arg, const srv_problem_counts *c), void *arg,
                             ls_status *st);

/* Whose open problems GetAssignments shows: routed to or assigned to unit
 * (when by_unit; escalated ones to it as an office too), assigned to
 * person, or (leader) on the projects person leads. */
typedef struct srv_problem_owner {
	int64_t unit;
	int64_t person; /* 0: none */
	bool by_unit;
	bool leader;
} srv_problem_owner;

/* The open problems of unarchived projects that are o's, most overdue
 * first then soonest due, those without a due date last, through fn.
 * Returns how many, or -1 (st filled). */
int srv_store_problems_assigned(srv_store *s, const srv_problem_owner *o,
                                void (*fn)(void *arg, const srv_problem *p), void *arg,
                                ls_status *st);

#endif
