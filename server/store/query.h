/* The store of QueryService: the figures of every project in a scope on a
 * day, gathered set by set (one pass over each table, merged by project id,
 * never a query per project on the common path); the weekly compliance;
 * the monthly snapshots with their period locks; the quarterly disclosure.
 *
 * The figures are defined in README.md ("Aggregates"). What a project's
 * status needs is gathered here exactly as srv_store_project_status_inputs
 * (progress.h) gathers it, which this file calls for every project whose
 * newest update does not settle it; the status is derived from them with
 * ls_projstatus_derive, the reasons left to the caller. Plain C in and out;
 * dates are days since 1970-01-01 or "YYYY-MM-DD" text. Every function that
 * fails fills st and returns its code. */
#ifndef SRV_STORE_QUERY_H
#define SRV_STORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "projstatus.h"
#include "status.h"
#include "store.h"

/* Which projects: unarchived, within the scope, and passing every filter
 * given. */
typedef struct srv_query_filter {
	int32_t as_of; /* the day D */
	int level;     /* numbered as luoshi.v1.Level, Category, Stage; 0: any */
	int category;
	int stage;
	int64_t town;    /* projects standing in this unit's subtree; 0: any */
	int64_t leader;  /* led by this person; 0: any */
	int64_t unit;    /* led by or contributed to by this unit's subtree; 0: any */
	int64_t project; /* this project only; 0: any */
} srv_query_filter;

/* One project on day D. */
typedef struct srv_qproject {
	int64_t id;
	int64_t town;   /* 0: stands in no town */
	int64_t leader; /* the lead leader */
	int64_t unit;   /* the lead unit */
	int level;      /* numbered as luoshi.v1.Level, Category, Stage */
	int category;
	int stage;
	ls_projstatus_in status; /* node_due points into the set's due array */
	/* The latest period reported by D when it is not the newest update's
	 * (whose period srv_store_query_details gives); "" otherwise. */
	char last_period[16];
	int64_t plan_year; /* plan months 1..12 of D's year */
	int64_t plan_ytd;  /* plan months 1..D's month */
	int64_t invested;  /* periods of D's year ended by D */
	int64_t output;
	int64_t prev_invested; /* periods of the year before ended by prev_day */
	int64_t prev_output;
	uint32_t raised;       /* problems raised by D */
	uint32_t resolved;     /* of them, resolved by D */
	uint32_t overdue;      /* open on D with a due date before D */
	unsigned char derived; /* the status ls_projstatus_derive gives of status
	                        * (an ls_projstatus_level) */
} srv_qproject;

/* Every project of a query, in id order. */
typedef struct srv_qset {
	srv_qproject *rows;
	size_t n;
	int32_t *due;       /* the due dates the rows' node_due point into, each
	                     * project's oldest first */
	uint32_t *due_name; /* the name of due[i]'s node: names + due_name[i] */
	char *names;
	size_t n_due;
	int32_t prev_day; /* D's month and day in the previous year (Feb 29: 28) */
} srv_qset;

/* Gathers the projects sc may read that pass f, with their figures on
 * f->as_of, into *out (free it with srv_store_query_set_free).
 *
 * A query in an office's or a town's scope, with no unit filter, is
 * answered from a copy of every unarchived project's figures on that day
 * kept in memory (at most four days), gathered whole by the first such
 * query of the day; before each answer the projects changed since
 * (query_dirty, 012_query_dirty.sql) are gathered again, and a rollback or
 * a change of the units or people drops the copy. A department's scope or a
 * unit filter reads the database each time. */
int srv_store_query_set(srv_store *s, const srv_scope *sc, const srv_query_filter *f, srv_qset *out,
                        ls_status *st);

/* Frees what set holds and clears it. */
void srv_store_query_set_free(srv_qset *set);

/* ---- names ----------------------------------------------------------------- */

typedef struct srv_qname {
	int64_t id;
	char code[64];
	char name[256];
} srv_qname;

/* The codes and names of n units (what SRV_UNIT) or people (SRV_PERSON),
 * in the order of ids; an id that does not exist gets "" for both. */
int srv_store_query_names(srv_store *s, srv_entity what, const int64_t *ids, size_t n,
                          srv_qname *out, ls_status *st);

/* What Lagging says of a project besides its status. Every text is set,
 * "" when there is none. */
typedef struct srv_qdetail {
	int64_t id; /* 0 when the project was not found */
	const char *code, *name, *level;
	const char *town_code, *town_name; /* "" when in no town */
	const char *leader_code, *leader_name;
	const char *unit_code, *unit_name;
	const char *newest; /* the period of its newest update; "" none */
} srv_qdetail;

/* The details of n projects, in the order of ids: from the database, or,
 * for a good part of all projects, from a copy of every project's kept in
 * memory as srv_store_query_set keeps its figures. The texts stay valid
 * until *text (malloc'd, may be NULL) is freed or the store is next
 * called, whichever comes first. */
int srv_store_query_details(srv_store *s, const int64_t *ids, size_t n, srv_qdetail *out,
                            char **text, ls_status *st);

/* ---- compliance ---------------------------------------------------------------- */

/* A weekly project that owes an update for a week. */
typedef struct srv_qdue {
	char code[64];
	char name[256];
	int64_t town; /* 0: in no town */
	char town_code[64];
	char town_name[256];
	bool submitted;
} srv_qdue;

/* The weekly projects sc may read that pass f and owe an update for the
 * week first..last (YYYY-MM-DD) named period: planned to start by last,
 * neither planned to finish before first nor reported 100% complete for a
 * period ended before first; submitted when an update for the week was
 * submitted on or before f->as_of. By town code, then project code; *out
 * is malloc'd. */
int srv_store_query_compliance(srv_store *s, const srv_scope *sc, const srv_query_filter *f,
                               const char *period, const char *first, const char *last,
                               srv_qdue **out, size_t *n, ls_status *st);

/* ---- snapshots -------------------------------------------------------------------- */

/* A snapshot's sums. */
typedef struct srv_snaptotals {
	uint32_t projects, on_track, lagging, seriously_lagging;
	int64_t annual_plan, planned_ytd, completed_ytd, output_ytd;
	uint32_t nodes_due, nodes_done;
	uint32_t raised, resolved, open, overdue;
} srv_snaptotals;

typedef struct srv_snapshot {
	int64_t id;
	char month[8]; /* YYYY-MM */
	char as_of[11];
	int64_t root;
	char unit_code[64];
	char unit_name[256];
	char created_at[40];
	char created_by[256];
	srv_snaptotals totals;
} srv_snapshot;

/* One project of a snapshot. Text fields are copies; progress and reasons
 * are malloc'd (NULL: none) and freed by srv_store_query_snaprows_free. */
typedef struct srv_snaprow {
	int64_t project_id;
	char code[64];
	char name[256];
	char level[16];
	char category[16];
	char stage[16];
	char town_code[64];
	char town_name[256];
	char leader_name[256];
	char unit_name[256];
	int64_t annual_plan, planned_month, planned_ytd;
	int64_t completed_month, completed_ytd, output_month, output_ytd;
	bool has_percent;
	int percent;
	int expected;
	int status;    /* an ls_projstatus_level */
	char *reasons; /* the rules that fired, one a line */
	char last_period[16];
	char *progress;
	uint32_t nodes_due, nodes_done;
	uint32_t raised, resolved, open, overdue;
	char month[8];          /* the snapshot's month, in a disclosure */
	ls_projstatus_in input; /* while reconciling: what the status needs */
} srv_snaprow;

void srv_store_query_snaprows_free(srv_snaprow *rows, size_t n);

/* Finds the snapshot of office root for month ("YYYY-MM"), or by id when
 * id > 0 (of root only): LS_OK, or LS_NOT_FOUND. Fills the totals. */
int srv_store_query_snapshot_get(srv_store *s, int64_t root, int64_t id, const char *month,
                                 srv_snapshot *out, ls_status *st);

/* The snapshots of root with id < before (0: no bound), newest first, at
 * most limit, with their totals; *out is malloc'd. */
int srv_store_query_snapshot_list(srv_store *s, int64_t root, int64_t before, int limit,
                                  srv_snapshot **out, size_t *n, ls_status *st);

/* The rows of snapshot id for projects sc may read, project_id > after, in
 * project id order, at most limit; *out as srv_store_query_snaprows_free. */
int srv_store_query_snapshot_rows(srv_store *s, const srv_scope *sc, int64_t id, int64_t after,
                                  int limit, srv_snaprow **out, size_t *n, ls_status *st);

/* What reconciling month (1..12 of year, last day last) finds: every
 * unarchived project sc may read, plan against actual, with the inputs of
 * its status on the last day in row->input (node_due malloc'd, freed with
 * the rows). *out as srv_store_query_snaprows_free. */
int srv_store_query_month_rows(srv_store *s, const srv_scope *sc, int year, int month, int32_t last,
                               srv_snaprow **out, size_t *n, ls_status *st);

/* Writes the snapshot of root for month ("YYYY-MM", last day as_of) with
 * its rows, by account (0: none) at now, and locks the month unless it is
 * locked already. *id gets the snapshot's id. */
int srv_store_query_snapshot_insert(srv_store *s, int64_t root, const char *month,
                                    const char *as_of, int64_t account, const char *now,
                                    const srv_snaprow *rows, size_t n, int64_t *id, ls_status *st);

/* The quarterly account of root from the snapshots of months first..last
 * ("YYYY-MM"): each project from the latest of them that holds it, with
 * row->month set, in project code order; the months used in months (each
 * "YYYY-MM", at most 3) and their number in *n_months. *out as
 * srv_store_query_snaprows_free; n is 0 when no month is reconciled. */
int srv_store_query_disclosure(srv_store *s, int64_t root, const char *first, const char *last,
                               srv_snaprow **out, size_t *n, char months[3][8], int *n_months,
                               ls_status *st);

#endif
