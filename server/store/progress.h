/* The store of ProgressService: progress updates with their revisions,
 * nodes and photos, the locks of reconciled months, and the inputs of a
 * project's derived status.
 *
 * Plain C in and out; dates are "YYYY-MM-DD" text and periods their text
 * ("2026-W48", "2026-11"). Year-to-date and since-start sums are computed
 * from the latest revisions whenever an update is read, never stored.
 * Every function that fails with a status fills st (when not NULL) and
 * returns its code. */
#ifndef SRV_STORE_PROGRESS_H
#define SRV_STORE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "projstatus.h"
#include "status.h"
#include "store.h"

#define SRV_UPDATE_MAX_PHOTOS 4

/* What an update needs to know of its project. */
typedef struct srv_progress_project {
	int64_t id;
	char code[64];
	char name[256];
	int64_t town_id; /* 0: stands in no town */
	bool monthly;    /* reports by month; otherwise by ISO week */
	char planned_start[16];
	char planned_finish[16];
	bool archived;
} srv_progress_project;

/* A node as an update sees it. */
typedef struct srv_progress_node {
	int64_t id;
	char name[256];
	char due_date[16];
	char done_date[16]; /* "": not done */
} srv_progress_node;

typedef struct srv_photo_ref {
	int64_t id;
	char name[256];
	char content_type[16]; /* image/jpeg or image/png */
	int64_t size;
} srv_photo_ref;

/* One revision of an update, as read. The pointers are malloc'd and freed
 * by srv_store_progress_update_fini. */
typedef struct srv_update {
	int64_t id;
	int64_t project_id;
	char project_code[64];
	char project_name[256];
	char period[16];
	int revision;
	bool latest;
	int64_t unit_id;
	char unit_code[64];
	char unit_name[256];
	char account_name[256];
	int64_t invested;
	bool has_output;
	int64_t output;
	int percent;
	char *progress;
	char *next_plan;      /* NULL: none */
	char *support_needed; /* NULL: none */
	char submitted_at[40];
	int64_t *nodes; /* node ids reported done, ascending */
	size_t n_nodes;
	srv_photo_ref photos[SRV_UPDATE_MAX_PHOTOS];
	int n_photos;
	int64_t ytd_invested;   /* latest revisions of the period's year up to it */
	int64_t total_invested; /* latest revisions of every period up to it */
} srv_update;

/* Frees what u holds and clears it. NULL is a no-op. */
void srv_store_progress_update_fini(srv_update *u);

/* Frees n rows and the array. */
void srv_store_progress_updates_free(srv_update *rows, size_t n);

/* A photo to store with a new update. */
typedef struct srv_photo_new {
	const char *name;
	const char *content_type;
	const uint8_t *data;
	size_t size;
} srv_photo_new;

/* A new revision, checked by the caller. */
typedef struct srv_update_new {
	int64_t project_id;
	const char *period;       /* "2026-W48" or "2026-11" */
	bool monthly;             /* the period is a month */
	const char *period_first; /* YYYY-MM-DD */
	const char *period_last;
	const char *month; /* YYYY-MM it belongs to (a week's Thursday's) */
	int year;          /* that month's year */
	int64_t unit_id;
	int64_t account_id; /* 0: none */
	int64_t invested;
	bool has_output;
	int64_t output;
	int percent;
	const char *progress;
	const char *next_plan;      /* NULL: none */
	const char *support_needed; /* NULL: none */
	const char *submitted_at;
	const int64_t *nodes; /* distinct node ids of the project */
	size_t n_nodes;
	const char *done_date; /* for the nodes not done yet */
	const srv_photo_new *photos;
	int n_photos;
} srv_update_new;

/* What ListUpdates filters on; 0 and NULL leave a filter out. */
typedef struct srv_update_filter {
	int64_t project;
	const char *period;   /* this period exactly */
	const char *month_lo; /* updates belonging to months month_lo..month_hi */
	const char *month_hi;
	int64_t town; /* projects standing in this unit's subtree */
	bool all_revisions;
} srv_update_filter;

/* ---- projects, nodes, locks ------------------------------------------------ */

/* Finds a project by its code (archived ones too), else by its exact name
 * among the unarchived projects sc may read. LS_OK fills *id and *visible;
 * LS_NOT_FOUND when nothing matches; LS_INVALID_ARGUMENT naming field and
 * the candidates' codes when the name is ambiguous. */
int srv_store_progress_find_project(srv_store *s, const srv_scope *sc, const char *code_or_name,
                                    const char *field, int64_t *id, bool *visible, ls_status *st);

/* Reads project id: LS_OK, or LS_NOT_FOUND. */
int srv_store_progress_project(srv_store *s, int64_t id, srv_progress_project *out, ls_status *st);

/* Reads node id of project: LS_OK, or LS_NOT_FOUND when the node does not
 * exist or belongs to another project. */
int srv_store_progress_node(srv_store *s, int64_t project, int64_t id, srv_progress_node *out,
                            ls_status *st);

/* Sets *locked when month (YYYY-MM) is reconciled. */
int srv_store_progress_month_locked(srv_store *s, const char *month, bool *locked, ls_status *st);

/* ---- updates ----------------------------------------------------------------- */

/* The id of the latest revision of (project, period): LS_OK, or
 * LS_NOT_FOUND when the period has none. */
int srv_store_progress_latest_id(srv_store *s, int64_t project, const char *period, int64_t *id,
                                 ls_status *st);

/* Inserts u as the next revision of its project and period, which becomes
 * the latest; records its nodes, marks those not done yet done on
 * u->done_date, and stores its photos. *id gets the new row's id. */
int srv_store_progress_insert(srv_store *s, const srv_update_new *u, int64_t *id, ls_status *st);

/* Reads update id with its nodes, photos and sums: LS_OK, or LS_NOT_FOUND.
 * Free it with srv_store_progress_update_fini. */
int srv_store_progress_get(srv_store *s, int64_t id, srv_update *out, ls_status *st);

/* Every revision of (project, period), oldest first, in *rows (malloc'd; free
 * with srv_store_progress_updates_free). */
int srv_store_progress_revisions(srv_store *s, int64_t project, const char *period,
                                 srv_update **rows, size_t *n, ls_status *st);

/* The updates of projects sc may read that pass f, with id > after_id, in
 * id order, at most limit, in *rows (as srv_store_progress_revisions). */
int srv_store_progress_list(srv_store *s, const srv_scope *sc, const srv_update_filter *f,
                            int64_t after_id, int limit, srv_update **rows, size_t *n,
                            ls_status *st);

/* Reads photo id: its reference, the project of its update, and its bytes
 * (malloc'd, owned by the caller). LS_OK, or LS_NOT_FOUND. */
int srv_store_progress_photo(srv_store *s, int64_t id, srv_photo_ref *ref, int64_t *project,
                             uint8_t **data, ls_status *st);

/* ---- the derived status -------------------------------------------------------- */

/* What the derived status of project needs as of the day as_of (days since
 * 1970-01-01): its planned dates and frequency, its latest period reported
 * by that day (submitted on or before it, for a period begun by then), and
 * the due dates of its nodes overdue on that day. On LS_OK in->node_due is
 * malloc'd or NULL (free it with free((void *)in->node_due)), and
 * last_period holds the latest reported period ("" when none). LS_NOT_FOUND
 * when the project does not exist. For one project or, in a loop, many. */
int srv_store_project_status_inputs(srv_store *s, int64_t project, int32_t as_of,
                                    ls_projstatus_in *in, char last_period[16], ls_status *st);

#endif
