/* The store of projects: their rows, contributing units, the history of
 * their lead leaders, and their monthly investment plans.
 *
 * Plain C in and out. Enumerations travel as the text the schema keeps
 * ("city", "special_task", "weekly"); the service maps them to the API's
 * numbers. Every function that fails with a status fills st (when st is
 * not NULL) and returns its code. */
#ifndef SRV_STORE_PROJECTS_H
#define SRV_STORE_PROJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/* The most contributing units one project may have. */
#define SRV_PROJECT_MAX_UNITS 32

typedef struct srv_project {
	int64_t id;
	char code[64];
	char name[256];
	char level[16];    /* city, district, town */
	char category[16]; /* industrial, platform, infrastructure, livelihood, special_task */
	char stage[16];    /* new, continuing */
	int64_t leader_id;
	char leader_code[64];
	char leader_name[256];
	int64_t lead_unit_id;
	char lead_unit_code[64];
	char lead_unit_name[256];
	int64_t town_id; /* 0: none */
	char town_code[64];
	char town_name[256];
	int64_t total_investment; /* 万元 */
	char frequency[16];       /* weekly, monthly */
	char planned_start[16];   /* YYYY-MM-DD */
	char planned_finish[16];
	bool land_clearance;
	bool fast_track;
	bool fast_track_set;
	bool archived;
	char created_at[40];
	int n_units; /* contributing units, ordered by code */
	int64_t unit_ids[SRV_PROJECT_MAX_UNITS];
	char unit_codes[SRV_PROJECT_MAX_UNITS][64];
} srv_project;

/* One entry of a project's leader history. */
typedef struct srv_project_leader {
	char code[64];
	char name[256];
	char since[40];
	int64_t changed_by; /* account id; 0: unknown */
} srv_project_leader;

/* What ListProjects filters on. Empty text and 0 ids leave a filter out. */
typedef struct srv_project_filter {
	const char *level;
	const char *category;
	const char *stage;
	int64_t town_id;
	int64_t leader_id;
	int64_t unit_id;    /* lead or contributing */
	const char *search; /* a substring of the name, compared byte for byte */
	bool include_archived;
} srv_project_filter;

/* ---- lookups ----------------------------------------------------------- */

/* The project with this exact code, archived or not: LS_OK and *id, or
 * LS_NOT_FOUND (st untouched). */
int srv_store_projects_by_code(srv_store *s, const char *code, int64_t *id, ls_status *st);

/* Finds a project for a caller with scope sc: by its code (archived ones
 * too), else by its exact name among the unarchived projects sc may read.
 * LS_OK fills *id and *visible (whether sc may read it). LS_NOT_FOUND when
 * nothing matches; LS_INVALID_ARGUMENT naming field and the candidates'
 * codes when the name is ambiguous (only projects sc may read are named). */
int srv_store_projects_find(srv_store *s, const srv_scope *sc, const char *code_or_name,
                            const char *field, int64_t *id, bool *visible, ls_status *st);

/* Reads project id with its contributing units: LS_OK, or LS_NOT_FOUND. */
int srv_store_projects_get(srv_store *s, int64_t id, srv_project *out, ls_status *st);

/* The kind of unit id ("town", ...): LS_OK, or LS_NOT_FOUND. kind holds
 * at least 16 bytes. */
int srv_store_projects_unit_kind(srv_store *s, int64_t unit, char *kind, ls_status *st);

/* The unit person belongs to: LS_OK, or LS_NOT_FOUND. */
int srv_store_projects_person_unit(srv_store *s, int64_t person, int64_t *unit, ls_status *st);

/* ---- writes ------------------------------------------------------------ */

/* Inserts p (its id is ignored) with its contributing units; *id gets the
 * new row's id. The caller has checked every constraint. */
int srv_store_projects_insert(srv_store *s, const srv_project *p, int64_t *id, ls_status *st);

/* Writes every column of row p->id from p; the contributing units too when
 * units is set. */
int srv_store_projects_update(srv_store *s, const srv_project *p, bool units, ls_status *st);

/* Appends person to the project's leader history. changed_by: the account
 * that made the change (0: none). */
int srv_store_projects_leader_add(srv_store *s, int64_t project, int64_t person, const char *since,
                                  int64_t changed_by, ls_status *st);

/* The leader history of project, oldest first, through fn. Returns the
 * number of entries, or -1 (st filled). */
int srv_store_projects_leaders(srv_store *s, int64_t project,
                               void (*fn)(void *arg, const srv_project_leader *l), void *arg,
                               ls_status *st);

/* ---- lists ------------------------------------------------------------- */

/* The projects sc may read that pass f, with id > after_id, in id order,
 * at most limit, through fn. Returns the number given to fn, or -1. */
int srv_store_projects_list(srv_store *s, const srv_scope *sc, const srv_project_filter *f,
                            int64_t after_id, int limit,
                            void (*fn)(void *arg, const srv_project *p), void *arg, ls_status *st);

/* How many projects sc may read pass f (all pages). -1 on error. */
int64_t srv_store_projects_count(srv_store *s, const srv_scope *sc, const srv_project_filter *f,
                                 ls_status *st);

/* ---- plans ------------------------------------------------------------- */

/* The planned investment of (project, year, month): LS_OK and *invested,
 * or LS_NOT_FOUND. */
int srv_store_projects_plan_get(srv_store *s, int64_t project, int year, int month,
                                int64_t *invested, ls_status *st);

/* Sets (inserts or replaces) the planned investment of a month. */
int srv_store_projects_plan_set(srv_store *s, int64_t project, int year, int month,
                                int64_t invested, ls_status *st);

/* The plan months of project in (year, month) order, only those of year
 * unless year is 0, through fn. Returns the number, or -1. */
int srv_store_projects_plan_list(srv_store *s, int64_t project, int year,
                                 void (*fn)(void *arg, int year, int month, int64_t invested),
                                 void *arg, ls_status *st);

#endif
