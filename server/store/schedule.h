/* The store of ScheduleService: nodes (milestones, 节点), tasks, and what an
 * account is assigned. Plain C values in and out; dates are "YYYY-MM-DD"
 * text, which sorts as the calendar does. */
#ifndef SRV_STORE_SCHEDULE_H
#define SRV_STORE_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

#define SRV_DATE_SIZE 11
#define SRV_CODE_SIZE 64
#define SRV_NAME_SIZE 256
#define SRV_TEXT_SIZE 2048

/* What the schedule needs to know of a project. */
typedef struct srv_sched_project {
	int64_t id;
	char code[SRV_CODE_SIZE];
	char name[SRV_NAME_SIZE];
	int64_t lead_unit_id;
	int64_t town_id; /* 0: stands in no town */
	int64_t lead_leader_id;
	char planned_finish[SRV_DATE_SIZE];
	bool archived;
} srv_sched_project;

typedef struct srv_node {
	int64_t id;
	int64_t project_id;
	char project_code[SRV_CODE_SIZE];
	char project_name[SRV_NAME_SIZE];
	bool project_archived;
	char name[SRV_NAME_SIZE];
	char due_date[SRV_DATE_SIZE];
	int64_t owner_unit_id;
	char owner_unit_code[SRV_CODE_SIZE];
	char owner_unit_name[SRV_NAME_SIZE];
	char done_date[SRV_DATE_SIZE]; /* "": not done */
} srv_node;

typedef enum srv_task_status {
	SRV_TASK_NONE = 0,
	SRV_TASK_OPEN = 1,
	SRV_TASK_DONE = 2,
	SRV_TASK_CANCELLED = 3,
} srv_task_status;

typedef struct srv_task {
	int64_t id;
	int64_t project_id;
	char project_code[SRV_CODE_SIZE];
	char project_name[SRV_NAME_SIZE];
	bool project_archived;
	char description[SRV_TEXT_SIZE];
	int64_t unit_id;
	char unit_code[SRV_CODE_SIZE];
	char unit_name[SRV_NAME_SIZE];
	int64_t person_id; /* 0: none */
	char person_code[SRV_CODE_SIZE];
	char person_name[SRV_NAME_SIZE];
	char due_date[SRV_DATE_SIZE];
	srv_task_status status;
	char done_date[SRV_DATE_SIZE]; /* "" unless done */
} srv_task;

/* The text of a status ("open"), or NULL; and back (SRV_TASK_NONE). */
const char *srv_task_status_name(srv_task_status s);
srv_task_status srv_task_status_from_name(const char *name);

/* The project with this id: LS_OK, LS_NOT_FOUND (st untouched), or an
 * error in st. */
int srv_store_schedule_project(srv_store *s, int64_t id, srv_sched_project *out, ls_status *st);

/* The unit a person belongs to: LS_OK, LS_NOT_FOUND, or an error in st. */
int srv_store_schedule_person_unit(srv_store *s, int64_t person, int64_t *unit, ls_status *st);

/* ---- nodes ------------------------------------------------------------ */

/* Inserts a node, not done; *id is its id. */
int srv_store_schedule_node_insert(srv_store *s, int64_t project, const char *name,
                                   const char *due_date, int64_t owner_unit, const char *now,
                                   int64_t *id, ls_status *st);

/* The node with this id: LS_OK, LS_NOT_FOUND (st untouched), or an error
 * in st. */
int srv_store_schedule_node_get(srv_store *s, int64_t id, srv_node *out, ls_status *st);

/* Sets a node's name, due date and owner. */
int srv_store_schedule_node_update(srv_store *s, int64_t id, const char *name, const char *due_date,
                                   int64_t owner_unit, ls_status *st);

/* Marks a node done on done_date, or not done when done_date is NULL. */
int srv_store_schedule_node_set_done(srv_store *s, int64_t id, const char *done_date,
                                     ls_status *st);

typedef struct srv_node_filter {
	const srv_scope *scope; /* only nodes of projects it may read */
	int64_t project;        /* 0: any */
	int64_t owner_unit;     /* 0: any */
	bool open_only;
	const char *due_before; /* NULL: any; else due_date < due_before */
	const char *after_due;  /* paging: rows after (after_due, after_id); "" first */
	int64_t after_id;
} srv_node_filter;

/* Nodes matching f, by due date then id, at most limit, through fn (the
 * node lives only during the call). Returns the number given to fn, or -1
 * on error (logged). */
int srv_store_schedule_node_list(srv_store *s, const srv_node_filter *f, int limit,
                                 void (*fn)(void *arg, const srv_node *n), void *arg);

/* ---- tasks ------------------------------------------------------------ */

/* Inserts an open task; person 0: none. */
int srv_store_schedule_task_insert(srv_store *s, int64_t project, const char *description,
                                   int64_t unit, int64_t person, const char *due_date,
                                   const char *now, int64_t *id, ls_status *st);

/* The task with this id: LS_OK, LS_NOT_FOUND (st untouched), or an error
 * in st. */
int srv_store_schedule_task_get(srv_store *s, int64_t id, srv_task *out, ls_status *st);

/* Writes every field of t but its project (person_id 0: none; done_date
 * "": none). */
int srv_store_schedule_task_update(srv_store *s, const srv_task *t, ls_status *st);

typedef struct srv_task_filter {
	const srv_scope *scope; /* only tasks of projects it may read */
	int64_t project;        /* 0: any */
	int64_t unit;           /* 0: any */
	int64_t person;         /* 0: any */
	srv_task_status status; /* SRV_TASK_NONE: any */
	const char *after_due;  /* paging, as for nodes */
	int64_t after_id;
} srv_task_filter;

/* Tasks matching f, by due date then id; as srv_store_schedule_node_list. */
int srv_store_schedule_task_list(srv_store *s, const srv_task_filter *f, int limit,
                                 void (*fn)(void *arg, const srv_task *t), void *arg);

/* ---- assignments ------------------------------------------------------ */

/* Whose assignments: a town answers for the projects standing in it, a
 * unit (department, support group) for those it leads or contributes to,
 * a leader for those the person leads. */
typedef enum srv_assign_mode {
	SRV_ASSIGN_NONE = 0,
	SRV_ASSIGN_TOWN = 1,
	SRV_ASSIGN_UNIT = 2,
	SRV_ASSIGN_LEADER = 3,
} srv_assign_mode;

typedef struct srv_assignee {
	srv_assign_mode mode;
	int64_t unit;   /* the account's unit */
	int64_t person; /* the account's person, 0: none */
} srv_assignee;

/* why: "town", "lead unit", "contributing unit" or "lead leader". */
typedef struct srv_assigned_project {
	int64_t id;
	char code[SRV_CODE_SIZE];
	char name[SRV_NAME_SIZE];
	char planned_finish[SRV_DATE_SIZE];
	char why[24];
} srv_assigned_project;

/* The unarchived projects a answers for, by planned finish then code,
 * through fn. Returns the number, or -1 on error. */
int srv_store_schedule_assigned_projects(srv_store *s, const srv_assignee *a,
                                         void (*fn)(void *arg, const srv_assigned_project *p),
                                         void *arg);

/* The open nodes a answers for (of its projects, or owned by its unit; a
 * leader: of its projects) due on or before until, by due date then id. */
int srv_store_schedule_assigned_nodes(srv_store *s, const srv_assignee *a, const char *until,
                                      void (*fn)(void *arg, const srv_node *n), void *arg);

/* The open tasks of a's unit, and those whose person is a's person (a
 * leader: only those), by due date then id. */
int srv_store_schedule_assigned_tasks(srv_store *s, const srv_assignee *a,
                                      void (*fn)(void *arg, const srv_task *t), void *arg);

#endif
