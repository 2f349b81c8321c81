/* The store of reminders: inbox rows numbered per recipient, the read
 * cursor of every account, the scheduler's state, and what the scheduler's
 * rules read of projects, nodes, problems and period locks.
 *
 * A recipient is a unit or a person; its reminders are numbered 1, 2, 3 ...
 * without gaps (one writer, and rows are never deleted). Every function that
 * fails with a status fills st (when not NULL) and returns its code. */
#ifndef SRV_STORE_REMINDERS_H
#define SRV_STORE_REMINDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/* The longest reminder text, in bytes. */
#define SRV_REMINDER_TEXT_MAX 2000

/* Numbered as luoshi.v1.RecipientKind. */
typedef enum srv_rcpt_kind { SRV_RCPT_UNIT = 1, SRV_RCPT_PERSON = 2 } srv_rcpt_kind;

typedef struct srv_recipient {
	srv_rcpt_kind kind;
	int64_t id; /* units.id or people.id */
} srv_recipient;

/* One inbox row as read. */
typedef struct srv_reminder {
	int64_t id;
	srv_recipient to;
	char to_code[64];
	char to_name[256];
	int64_t seq;
	char kind[24];    /* update_due ... rectification_overdue, as in the schema */
	char subject[96]; /* node:12 */
	char window[48];  /* d7 */
	char text[SRV_REMINDER_TEXT_MAX + 1];
	char created_at[40];
} srv_reminder;

/* "unit" or "person". */
const char *srv_rcpt_kind_name(srv_rcpt_kind k);

/* ---- the inbox ---------------------------------------------------------------- */

/* Adds a reminder for to with the recipient's next sequence number, unless
 * one of the same kind, subject and window is there already. *seq is the
 * new number, or 0 when nothing was written. created_by: the account that
 * sent it, 0 for the scheduler. */
int srv_store_reminder_add(srv_store *s, const srv_recipient *to, const char *kind,
                           const char *subject, const char *window, const char *text,
                           const char *now, int64_t created_by, int64_t *seq, ls_status *st);

/* The newest sequence number of to's inbox; 0 when it is empty. */
int srv_store_reminder_latest(srv_store *s, const srv_recipient *to, int64_t *seq, ls_status *st);

/* The id the next reminder row will get: a number no notice has used. */
int srv_store_reminder_next_id(srv_store *s, int64_t *id, ls_status *st);

/* Which rows srv_store_reminder_list gives: those of the n_to recipients
 * (1 or 2) whose seq is above that recipient's after_seq, with id above
 * after_id, oldest first, at most limit. */
typedef struct srv_inbox_query {
	srv_recipient to[2];
	int64_t after_seq[2];
	int n_to;
	int64_t after_id;
	int limit;
} srv_inbox_query;

/* Gives each row to fn. Returns the number of rows, or -1 (st filled). */
int srv_store_reminder_list(srv_store *s, const srv_inbox_query *q,
                            void (*fn)(void *arg, const srv_reminder *r), void *arg, ls_status *st);

/* The code and name of a recipient, and the unit it belongs to (a person's
 * unit; a unit is its own). LS_NOT_FOUND when there is no such row. */
int srv_store_reminder_recipient(srv_store *s, const srv_recipient *to, char code[64],
                                 char name[256], int64_t *unit, ls_status *st);

/* ---- read cursors -------------------------------------------------------------- */

/* How far account has read to's inbox; 0 before its first acknowledgement. */
int srv_store_reminder_cursor(srv_store *s, int64_t account, const srv_recipient *to,
                              int64_t *acked, ls_status *st);

/* Moves the cursor to seq unless it is already there or beyond. */
int srv_store_reminder_cursor_advance(srv_store *s, int64_t account, const srv_recipient *to,
                                      int64_t seq, ls_status *st);

/* ---- notice recipients ---------------------------------------------------------- */

/* The recipients of a notice "to role": the persons of live leader accounts
 * for SRV_ROLE_LEADER, otherwise the units of the live accounts of the
 * role; only active ones within root's subtree, in id order. *out is
 * malloc'd (the caller frees it), *n its length. */
int srv_store_reminder_role_recipients(srv_store *s, srv_role role, int64_t root,
                                       srv_recipient **out, size_t *n, ls_status *st);

/* Every active unit within root's subtree, in id order; as above. */
int srv_store_reminder_all_units(srv_store *s, int64_t root, srv_recipient **out, size_t *n,
                                 ls_status *st);

/* ---- the scheduler's state ----------------------------------------------------- */

/* When rule last ran (unix seconds): LS_OK, or LS_NOT_FOUND if never. */
int srv_store_sched_last_run(srv_store *s, const char *rule, int64_t *at, ls_status *st);

/* Records that rule ran at at (unix seconds; at_iso the same as text). */
int srv_store_sched_set_last_run(srv_store *s, const char *rule, int64_t at, const char *at_iso,
                                 ls_status *st);

/* ---- what the rules read ---------------------------------------------------------- */

/* A weekly project of a town that has no update for a period. */
typedef struct srv_sched_missing {
	int64_t town_id;
	char town_code[64];
	char town_name[256];
	char project_code[64];
	char project_name[256];
} srv_sched_missing;

/* The unarchived weekly projects standing in an active unit that have no
 * update for period ("2026-W48"), by town and project code. Returns the
 * number given to fn, or -1. */
int srv_store_sched_missing_updates(srv_store *s, const char *period,
                                    void (*fn)(void *arg, const srv_sched_missing *m), void *arg,
                                    ls_status *st);

/* A node not done yet. */
typedef struct srv_sched_node {
	int64_t id;
	char name[256];
	char due_date[16];
	int64_t owner_unit_id;
	char project_code[64];
	char project_name[256];
} srv_sched_node;

/* The nodes of unarchived projects, not done, due on or before through
 * ("YYYY-MM-DD"), by id. Returns the number given to fn, or -1. */
int srv_store_sched_open_nodes(srv_store *s, const char *through,
                               void (*fn)(void *arg, const srv_sched_node *n), void *arg,
                               ls_status *st);

/* An open problem with a due date. */
typedef struct srv_sched_problem {
	int64_t id;
	char title[256];
	char due_date[16];
	int64_t assignee_unit_id;   /* 0: none */
	int64_t assignee_person_id; /* 0: none */
	int64_t routed_unit_id;
	int64_t lead_leader_id; /* the project's lead leader (a person) */
	char project_code[64];
	char project_name[256];
} srv_sched_problem;

/* The open problems of unarchived projects due on or before through, by id.
 * Returns the number given to fn, or -1. */
int srv_store_sched_open_problems(srv_store *s, const char *through,
                                  void (*fn)(void *arg, const srv_sched_problem *p), void *arg,
                                  ls_status *st);

/* Whether month ("2026-10") is locked (reconciled), and whether any update
 * belongs to it. */
int srv_store_sched_month(srv_store *s, const char *month, bool *locked, bool *has_updates,
                          ls_status *st);

/* A led project of a leader that lacks an activity in a period. */
typedef struct srv_sched_gap {
	int64_t person_id;
	char person_name[256];
	char project_code[64];
	char project_name[256];
} srv_sched_gap;

/* The unarchived projects, created before to's next day, whose lead leader
 * is an active person with a live leader account (whoever can read the
 * reminder) and has logged no activity of kind ("weekly_review",
 * "site_visit") for the project dated from from to to (YYYY-MM-DD), by
 * leader and project code. Returns the number given to fn, or -1. */
int srv_store_sched_leader_gaps(srv_store *s, const char *kind, const char *from, const char *to,
                                void (*fn)(void *arg, const srv_sched_gap *g), void *arg,
                                ls_status *st);

/* An open rectification order. */
typedef struct srv_sched_rectification {
	int64_t id;
	char text[512]; /* the order, cut to fit */
	char due_date[16];
	int64_t owner_unit_id;
	char project_code[64];
	char project_name[256];
} srv_sched_rectification;

/* The open rectification orders of unarchived projects due on or before
 * through, by id. Returns the number given to fn, or -1. */
int srv_store_sched_open_rectifications(srv_store *s, const char *through,
                                        void (*fn)(void *arg, const srv_sched_rectification *r),
                                        void *arg, ls_status *st);

/* The active root units (no parent): the district office. *out is malloc'd,
 * *n its length. */
int srv_store_sched_roots(srv_store *s, int64_t **out, size_t *n, ls_status *st);

#endif
