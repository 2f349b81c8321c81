/* The store of ExportService: the rows of 一图五表 (the battle map and the
 * five tables) for the projects a scope may read.
 *
 * Rows reach the caller through callbacks; every text pointer in a row
 * points into SQLite's row and is valid only during the callback (copy what
 * you keep). Absent values are NULL. Dates are "YYYY-MM-DD", money whole
 * 万元, enumerations the schema's text ("district", "weekly"). Every list
 * function returns the number of rows given to its callback, or -1 with st
 * filled. */
#ifndef SRV_STORE_EXPORT_H
#define SRV_STORE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/* Which projects: NULL texts and 0 ids leave a filter out. Archived
 * projects are never exported. */
typedef struct srv_export_filter {
	const char *level;    /* city, district, town */
	const char *category; /* industrial, platform, ... */
	const char *stage;    /* new, continuing */
	int64_t town_id;
	int64_t leader_id;
	int64_t unit_id; /* lead or contributing */
} srv_export_filter;

typedef struct srv_export_project {
	int64_t id;
	const char *code, *name;
	const char *level, *category, *stage;
	const char *leader_code, *leader_name, *leader_title;
	const char *lead_unit_code, *lead_unit_name;
	const char *town_code, *town_name; /* NULL: stands in no town */
	int64_t total_investment;
	const char *planned_start, *planned_finish;
} srv_export_project;

typedef struct srv_export_node {
	int64_t id;
	const char *name;
	const char *due_date;
	const char *done_date; /* NULL: not done */
	const char *owner_code, *owner_name;
} srv_export_node;

typedef struct srv_export_task {
	int64_t id;
	const char *description;
	const char *due_date;
	const char *status;    /* open, done, cancelled */
	const char *done_date; /* NULL: none recorded */
	const char *unit_code, *unit_name;
	const char *person_code, *person_name, *person_title; /* NULL: no person */
} srv_export_task;

/* One reported period, in the revision read. */
typedef struct srv_export_update {
	const char *period;       /* "2026-W05", "2026-03" */
	const char *period_first; /* its first and last day */
	const char *period_last;
	int month; /* 1..12: the month it belongs to (a week: its Thursday's) */
	int revision;
	const char *unit_code, *unit_name;
	const char *submitted_at;
	int64_t invested;
	bool has_output;
	int64_t output;
	int percent;
	const char *progress;
} srv_export_update;

/* How many projects sc may read pass f. -1 on error. */
int64_t srv_store_export_count(srv_store *s, const srv_scope *sc, const srv_export_filter *f,
                               ls_status *st);

/* The projects sc may read that pass f, with id > after_id, in id order,
 * at most limit. */
int srv_store_export_projects(srv_store *s, const srv_scope *sc, const srv_export_filter *f,
                              int64_t after_id, int limit,
                              void (*fn)(void *arg, const srv_export_project *p), void *arg,
                              ls_status *st);

/* The contributing units of a project, in code order. */
int srv_store_export_units(srv_store *s, int64_t project,
                           void (*fn)(void *arg, const char *code, const char *name), void *arg,
                           ls_status *st);

/* The planned investment of each month of year that has a plan, in month
 * order. */
int srv_store_export_plan(srv_store *s, int64_t project, int year,
                          void (*fn)(void *arg, int month, int64_t planned), void *arg,
                          ls_status *st);

/* The nodes of a project, by due date. */
int srv_store_export_nodes(srv_store *s, int64_t project,
                           void (*fn)(void *arg, const srv_export_node *n), void *arg,
                           ls_status *st);

/* The tasks of a project, by due date. */
int srv_store_export_tasks(srv_store *s, int64_t project,
                           void (*fn)(void *arg, const srv_export_task *t), void *arg,
                           ls_status *st);

/* Each period of a project that belongs to year and began on or before
 * as_of, in its latest revision submitted on or before as_of, by month,
 * then by first day. */
int srv_store_export_updates(srv_store *s, int64_t project, int year, const char *as_of,
                             void (*fn)(void *arg, const srv_export_update *u), void *arg,
                             ls_status *st);

#endif
