/* The store of SupervisionService: leader activities, inspections and
 * their rectification orders, accountability records, approvals, land
 * clearance and funding (migration 007).
 *
 * Plain C values in and out. Dates are "YYYY-MM-DD" and months "YYYY-MM"
 * text, which sort as the calendar does; kinds, layers and statuses travel
 * as their text in the schema ("weekly_review", "lead_leader", "open").
 * Every function that fails with a status fills st (when not NULL) and
 * returns its code; the list functions return the number of rows given to
 * fn, or -1 (st filled). Reads that take a scope give only the rows it may
 * see (see each). */
#ifndef SRV_STORE_SUPERVISION_H
#define SRV_STORE_SUPERVISION_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

#define SRV_SUP_DATE 11
#define SRV_SUP_CODE 64
#define SRV_SUP_NAME 256
#define SRV_SUP_TEXT 2048 /* free text: at most 2,000 bytes */
#define SRV_SUP_TIME 40
#define SRV_SUP_MAX_PROBLEMS 50

/* ---- projects and problems ---------------------------------------------------- */

typedef struct srv_sup_project {
	int64_t id;
	char code[SRV_SUP_CODE];
	char name[SRV_SUP_NAME];
	int64_t lead_leader_id;
	bool archived;
	bool fast_track;
	bool land_clearance;
} srv_sup_project;

/* LS_OK, or LS_NOT_FOUND. */
int srv_store_sup_project_get(srv_store *s, int64_t id, srv_sup_project *out, ls_status *st);

/* Sets *yes when person leads project now or led it before. */
int srv_store_sup_has_led(srv_store *s, int64_t person, int64_t project, bool *yes, ls_status *st);

/* The project a problem belongs to: LS_OK, or LS_NOT_FOUND. */
int srv_store_sup_problem_project(srv_store *s, int64_t problem, int64_t *project, ls_status *st);

/* ---- what the lists share ------------------------------------------------------ */

/* Which rows a list gives: those sc may see with id above after, in id
 * order, at most limit, narrowed by whatever of the rest is set (0, NULL
 * or false: any). Each list says which fields it reads. */
typedef struct srv_sup_filter {
	const srv_scope *scope;
	int64_t after;
	int limit;
	int64_t project;
	int64_t person; /* a leader, or the person held to account */
	int64_t unit;   /* a group, owner unit, department, or unit */
	int64_t inspection;
	const char *kind;   /* activity, layer, accountability or funding kind */
	const char *status; /* "open", "done" */
	const char *source; /* funding */
	const char *from;   /* dates or months, inclusive */
	const char *to;
	const char *as_of; /* overdue_only */
	bool flag;         /* slow_only, overdue_only, pending_only */
} srv_sup_filter;

/* ---- leader activities ---------------------------------------------------------- */

typedef struct srv_activity {
	int64_t id;
	int64_t person_id;
	char leader_code[SRV_SUP_CODE];
	char leader_name[SRV_SUP_NAME];
	int64_t project_id;
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	char kind[16];
	char date[SRV_SUP_DATE];
	char notes[SRV_SUP_TEXT];
	int64_t problems[SRV_SUP_MAX_PROBLEMS];
	int n_problems;
	char created_at[SRV_SUP_TIME];
} srv_activity;

/* Inserts a (person_id, project_id, kind, date, notes, problems) with
 * account and now; *id is the new row. */
int srv_store_sup_activity_insert(srv_store *s, const srv_activity *a, int64_t account,
                                  const char *now, int64_t *id, ls_status *st);

/* LS_OK, or LS_NOT_FOUND. */
int srv_store_sup_activity_get(srv_store *s, int64_t id, srv_activity *out, ls_status *st);

/* Reads project, person, kind, from, to. Visible: the project's. */
int srv_store_sup_activity_list(srv_store *s, const srv_sup_filter *f,
                                void (*fn)(void *arg, const srv_activity *a), void *arg,
                                ls_status *st);

/* A lead leader and a project it leads, for the cadence. */
typedef struct srv_cadence_pair {
	int64_t person_id;
	char leader_code[SRV_SUP_CODE];
	char leader_name[SRV_SUP_NAME];
	int64_t project_id;
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
} srv_cadence_pair;

/* The unarchived projects f->scope may see with their current lead
 * leaders, by leader code then project code; reads person and project. */
int srv_store_sup_cadence_pairs(srv_store *s, const srv_sup_filter *f,
                                void (*fn)(void *arg, const srv_cadence_pair *p), void *arg,
                                ls_status *st);

/* The activities of person on project dated from..to (inclusive), by
 * date: their kinds and dates. */
int srv_store_sup_cadence_activities(srv_store *s, int64_t person, int64_t project,
                                     const char *from, const char *to,
                                     void (*fn)(void *arg, const char *kind, const char *date),
                                     void *arg, ls_status *st);

/* ---- inspections ------------------------------------------------------------------ */

typedef struct srv_inspection {
	int64_t id;
	int64_t group_id;
	char group_code[SRV_SUP_CODE];
	char group_name[SRV_SUP_NAME];
	int64_t project_id;
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	char leader_code[SRV_SUP_CODE];
	char leader_name[SRV_SUP_NAME];
	char date[SRV_SUP_DATE];
	char layer[24];
	char findings[SRV_SUP_TEXT];
	bool slow;
	char created_at[SRV_SUP_TIME];
} srv_inspection;

/* Inserts i (group_id, project_id, date, layer, findings, slow). */
int srv_store_sup_inspection_insert(srv_store *s, const srv_inspection *i, int64_t account,
                                    const char *now, int64_t *id, ls_status *st);

int srv_store_sup_inspection_get(srv_store *s, int64_t id, srv_inspection *out, ls_status *st);

/* Reads unit (the group), project, kind (the layer), from, to, flag (slow
 * only). Visible: the project's. */
int srv_store_sup_inspection_list(srv_store *s, const srv_sup_filter *f,
                                  void (*fn)(void *arg, const srv_inspection *i), void *arg,
                                  ls_status *st);

/* ---- rectification orders ---------------------------------------------------------- */

typedef struct srv_rectification {
	int64_t id;
	int64_t inspection_id;
	int64_t project_id;
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	char group_code[SRV_SUP_CODE];
	char group_name[SRV_SUP_NAME];
	int64_t owner_unit_id;
	char owner_code[SRV_SUP_CODE];
	char owner_name[SRV_SUP_NAME];
	char due_date[SRV_SUP_DATE];
	char text[SRV_SUP_TEXT];
	char ordered_on[SRV_SUP_DATE];
	char status[8];
	char done_date[SRV_SUP_DATE]; /* "" while open */
} srv_rectification;

/* Inserts r (inspection_id, owner_unit_id, due_date, text, ordered_on) as
 * open. */
int srv_store_sup_rectification_insert(srv_store *s, const srv_rectification *r, int64_t account,
                                       const char *now, int64_t *id, ls_status *st);

int srv_store_sup_rectification_get(srv_store *s, int64_t id, srv_rectification *out,
                                    ls_status *st);

/* Sets the status: done with done_date, or open (done_date NULL). */
int srv_store_sup_rectification_set(srv_store *s, int64_t id, bool done, const char *done_date,
                                    ls_status *st);

/* Reads project, unit (the owner), inspection, status, flag with as_of
 * (open and due before it). Visible: the project's, and a town's or
 * department's own orders (owned by its unit or one below). */
int srv_store_sup_rectification_list(srv_store *s, const srv_sup_filter *f,
                                     void (*fn)(void *arg, const srv_rectification *r), void *arg,
                                     ls_status *st);

/* The open orders owned by unit, by due date then id. */
int srv_store_sup_rectifications_owned(srv_store *s, int64_t unit,
                                       void (*fn)(void *arg, const srv_rectification *r), void *arg,
                                       ls_status *st);

/* ---- accountability ------------------------------------------------------------------ */

typedef struct srv_accountability {
	int64_t id;
	char kind[16];
	int64_t person_id; /* exactly one of person and unit */
	char person_code[SRV_SUP_CODE];
	char person_name[SRV_SUP_NAME];
	int64_t unit_id;
	char unit_code[SRV_SUP_CODE];
	char unit_name[SRV_SUP_NAME];
	int64_t project_id;
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	int64_t inspection_id; /* 0: none */
	char date[SRV_SUP_DATE];
	char text[SRV_SUP_TEXT];
	char created_at[SRV_SUP_TIME];
} srv_accountability;

int srv_store_sup_accountability_insert(srv_store *s, const srv_accountability *a, int64_t account,
                                        const char *now, int64_t *id, ls_status *st);

int srv_store_sup_accountability_get(srv_store *s, int64_t id, srv_accountability *out,
                                     ls_status *st);

/* Reads project, kind, person, unit, from, to. Visible: the project's (the
 * caller decides who may read accountability at all). */
int srv_store_sup_accountability_list(srv_store *s, const srv_sup_filter *f,
                                      void (*fn)(void *arg, const srv_accountability *a), void *arg,
                                      ls_status *st);

/* ---- the supervision summary ---------------------------------------------------------- */

typedef struct srv_sup_summary {
	int64_t inspections, inspected_projects, groups;
	int64_t rectifications, rectifications_done, rectifications_open, rectifications_overdue;
	int64_t warning_talks, criticisms, accountability_actions;
} srv_sup_summary;

/* The counts as they were on as_of, over the projects sc may see. */
int srv_store_sup_summary(srv_store *s, const srv_scope *sc, const char *as_of,
                          srv_sup_summary *out, ls_status *st);

typedef struct srv_slow_project {
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	char leader_code[SRV_SUP_CODE];
	char leader_name[SRV_SUP_NAME];
	char first_named[SRV_SUP_DATE];
	int64_t inspections;
	int64_t rectifications_open;
	int64_t rectifications_overdue;
} srv_slow_project;

/* The projects sc may see that an inspection dated on or before as_of
 * named slow, by project code. */
int srv_store_sup_slow_projects(srv_store *s, const srv_scope *sc, const char *as_of,
                                void (*fn)(void *arg, const srv_slow_project *p), void *arg,
                                ls_status *st);

/* ---- approvals ---------------------------------------------------------------------- */

typedef struct srv_approval {
	int64_t id;
	int64_t project_id;
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	bool fast_track;
	char item[SRV_SUP_NAME];
	int64_t unit_id;
	char unit_code[SRV_SUP_CODE];
	char unit_name[SRV_SUP_NAME];
	char submitted[SRV_SUP_DATE];
	char approved[SRV_SUP_DATE]; /* "" while pending */
	int visits;
} srv_approval;

/* The item of a project: LS_OK, or LS_NOT_FOUND. */
int srv_store_sup_approval_find(srv_store *s, int64_t project, const char *item, srv_approval *out,
                                ls_status *st);

/* Inserts a (project_id, item, unit_id, submitted, approved, visits) when
 * a->id is 0, else writes it over row a->id; *id is the row. */
int srv_store_sup_approval_put(srv_store *s, const srv_approval *a, const char *now, int64_t *id,
                               ls_status *st);

int srv_store_sup_approval_get(srv_store *s, int64_t id, srv_approval *out, ls_status *st);

/* Reads project, unit (the department), flag (pending only). Visible: the
 * project's, and a department's own items. */
int srv_store_sup_approval_list(srv_store *s, const srv_sup_filter *f,
                                void (*fn)(void *arg, const srv_approval *a), void *arg,
                                ls_status *st);

/* ---- land clearance ------------------------------------------------------------------ */

typedef struct srv_clearance {
	int64_t id;
	int64_t project_id;
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	char month[8];
	int64_t target, cleared, demolished, households;
} srv_clearance;

/* The month of a project: LS_OK, or LS_NOT_FOUND. */
int srv_store_sup_clearance_find(srv_store *s, int64_t project, const char *month,
                                 srv_clearance *out, ls_status *st);

/* Inserts c when c->id is 0, else writes its figures over row c->id. */
int srv_store_sup_clearance_put(srv_store *s, const srv_clearance *c, const char *now, int64_t *id,
                                ls_status *st);

int srv_store_sup_clearance_get(srv_store *s, int64_t id, srv_clearance *out, ls_status *st);

/* Reads project, from, to (months). Visible: the project's. */
int srv_store_sup_clearance_list(srv_store *s, const srv_sup_filter *f,
                                 void (*fn)(void *arg, const srv_clearance *c), void *arg,
                                 ls_status *st);

typedef struct srv_clearance_sum {
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	char leader_code[SRV_SUP_CODE];
	char leader_name[SRV_SUP_NAME];
	bool nail;      /* land_clearance */
	int64_t months; /* rows in the range */
	int64_t target, cleared, demolished, households;
} srv_clearance_sum;

/* Per project sc may see, the sums of the months from..to: every
 * unarchived project flagged land_clearance, and any other with a row in
 * the range; by project code. */
int srv_store_sup_clearance_sums(srv_store *s, const srv_scope *sc, const char *from,
                                 const char *to, void (*fn)(void *arg, const srv_clearance_sum *c),
                                 void *arg, ls_status *st);

/* ---- funding ---------------------------------------------------------------------------- */

typedef struct srv_funding {
	int64_t id;
	char source[SRV_SUP_NAME];
	char kind[12];
	int64_t project_id; /* exactly one of project and unit */
	char project_code[SRV_SUP_CODE];
	char project_name[SRV_SUP_NAME];
	int64_t unit_id;
	char unit_code[SRV_SUP_CODE];
	char unit_name[SRV_SUP_NAME];
	int64_t amount;
	char signed_on[SRV_SUP_DATE];
	int term_years; /* 0: none given */
	char text[SRV_SUP_TEXT];
	char created_at[SRV_SUP_TIME];
} srv_funding;

int srv_store_sup_funding_insert(srv_store *s, const srv_funding *f, int64_t account,
                                 const char *now, int64_t *id, ls_status *st);

int srv_store_sup_funding_get(srv_store *s, int64_t id, srv_funding *out, ls_status *st);

/* Reads source, project, unit, kind; as_of: signed on or before (NULL:
 * any). Visible: a project's row as the project; a unit's row to every
 * account whose scope covers the unit (all of the office for admins,
 * leaders, inspectors and the discipline commission; its own unit and
 * those below for towns and departments). */
int srv_store_sup_funding_list(srv_store *s, const srv_sup_filter *f,
                               void (*fn)(void *arg, const srv_funding *r), void *arg,
                               ls_status *st);

#endif
