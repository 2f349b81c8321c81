/* The registry's store: units, people, the accounts bound to them as seen
 * from a scope, and the audit log read back.
 *
 * Everything here works on plain C values. A unit's kind travels as its
 * text in units.kind ("town", "support_group" ...). Scope roots are unit ids:
 * the functions that take one see only the units at or below it. */
#ifndef SRV_STORE_REGISTRY_H
#define SRV_STORE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

typedef struct srv_unit {
	int64_t id;
	char code[64];
	char name[256];
	char kind[24];
	int64_t parent_id; /* 0: the top of the tree */
	char parent_code[64];
	char parent_name[256];
	bool active;
	char created_at[40];
	char support_group[16]; /* a support group's group ("funding"); "" for none */
} srv_unit;

typedef struct srv_person {
	int64_t id;
	char code[64];
	char name[256];
	char title[256];
	int64_t unit_id;
	char unit_code[64];
	char unit_name[256];
	char phone[64];
	bool active;
	char created_at[40];
} srv_person;

/* What still points to a unit or person, so that it cannot be
 * deactivated: counts, and a few codes or names of each as text
 * ("WX, XY"). */
typedef struct srv_registry_refs {
	int64_t units, people, accounts, projects, tasks;
	char unit_list[160];
	char people_list[160];
	char account_list[200];
	char project_list[160];
	char task_list[80];
} srv_registry_refs;

/* ---- finding ------------------------------------------------------------ */

/* Finds a unit (SRV_UNIT) or person (SRV_PERSON) by its code, active or
 * not, anywhere in the tree; failing that, by its exact name among the
 * active ones at or below root. LS_OK sets *id; LS_NOT_FOUND leaves st
 * alone; LS_INVALID_ARGUMENT (a name several share: st names field and the
 * candidates' codes) and LS_INTERNAL fill st. */
int srv_store_registry_find(srv_store *s, srv_entity what, const char *text, int64_t root,
                            const char *field, int64_t *id, ls_status *st);

/* Finds a project by its code, archived or not; failing that, by its exact
 * name among the projects scope may read. Return values as
 * srv_store_registry_find; the caller checks the found project's
 * visibility. */
int srv_store_registry_project_find(srv_store *s, const char *text, const srv_scope *scope,
                                    const char *field, int64_t *id, ls_status *st);

/* ---- units ------------------------------------------------------------------ */

/* LS_OK, LS_NOT_FOUND, or LS_INTERNAL (logged). */
int srv_store_registry_unit_get(srv_store *s, int64_t id, srv_unit *out);

/* Sets *used when some unit, active or not, has code. */
int srv_store_registry_unit_code_used(srv_store *s, const char *code, bool *used, ls_status *st);

/* Inserts u (code, name, kind, parent_id) as active; *id is the new row. */
int srv_store_registry_unit_insert(srv_store *s, const srv_unit *u, const char *now, int64_t *id,
                                   ls_status *st);

/* Writes u's name, kind and parent_id over the row u->id. */
int srv_store_registry_unit_update(srv_store *s, const srv_unit *u, ls_status *st);

/* Marks the unit inactive. */
int srv_store_registry_unit_deactivate(srv_store *s, int64_t id, ls_status *st);

/* The office a unit belongs to: the nearest district or city office at or
 * above it, else the top of its tree. */
int srv_store_registry_office_of(srv_store *s, int64_t unit, int64_t *office, ls_status *st);

/* The active support group of group ("coordination" ...) in the office's
 * own area (below it, not below another office within it), other than
 * except (0: none). LS_OK sets *id; LS_NOT_FOUND when there is none. */
int srv_store_registry_group_unit(srv_store *s, int64_t office, const char *group, int64_t except,
                                  int64_t *id, ls_status *st);

/* What points to the unit: its active child units, active people, live
 * accounts and unarchived projects it leads, stands in or contributes to. */
int srv_store_registry_unit_refs(srv_store *s, int64_t id, srv_registry_refs *out, ls_status *st);

typedef struct srv_unit_filter {
	int64_t root;  /* only units at or below it */
	int64_t after; /* ids greater than this */
	int limit;
	const char *kind;   /* NULL: any */
	int64_t parent;     /* 0: any; else its direct children only */
	const char *search; /* NULL: any; else part of the name or code */
	bool include_inactive;
} srv_unit_filter;

/* The units f selects, in id order, through fn. Returns how many, or -1
 * (logged). */
int srv_store_registry_unit_list(srv_store *s, const srv_unit_filter *f,
                                 void (*fn)(void *arg, const srv_unit *u), void *arg);

/* ---- people ------------------------------------------------------------------ */

/* LS_OK, LS_NOT_FOUND, or LS_INTERNAL (logged). */
int srv_store_registry_person_get(srv_store *s, int64_t id, srv_person *out);

int srv_store_registry_person_code_used(srv_store *s, const char *code, bool *used, ls_status *st);

/* Inserts p (code, name, title, unit_id, phone) as active. */
int srv_store_registry_person_insert(srv_store *s, const srv_person *p, const char *now,
                                     int64_t *id, ls_status *st);

/* Writes p's name, title, unit_id and phone over the row p->id. */
int srv_store_registry_person_update(srv_store *s, const srv_person *p, ls_status *st);

int srv_store_registry_person_deactivate(srv_store *s, int64_t id, ls_status *st);

/* What points to the person: live accounts, unarchived projects led, open
 * tasks answered for. */
int srv_store_registry_person_refs(srv_store *s, int64_t id, srv_registry_refs *out, ls_status *st);

typedef struct srv_person_filter {
	int64_t root; /* only people of units at or below it */
	int64_t after;
	int limit;
	int64_t unit;       /* 0: any; else the people of this unit */
	const char *search; /* NULL: any; else part of the name or code */
	bool include_inactive;
} srv_person_filter;

int srv_store_registry_person_list(srv_store *s, const srv_person_filter *f,
                                   void (*fn)(void *arg, const srv_person *p), void *arg);

/* ---- accounts seen from a scope ----------------------------------------------- */

/* The ids of the accounts whose unit lies at or below root, greater than
 * after, in id order, at most limit, into ids. Returns how many, or -1. */
int srv_store_registry_account_ids(srv_store *s, int64_t root, int64_t after, int limit,
                                   bool include_revoked, int64_t *ids);

/* ---- the audit log ------------------------------------------------------------- */

typedef struct srv_audit_row {
	int64_t id;
	char at[40];
	int64_t account_id; /* 0: written by the server itself (init) */
	char account_name[256];
	char method[128];
	char entity[64];
	int64_t entity_id;
	const char *before; /* JSON or NULL; valid during the callback only */
	const char *after;
} srv_audit_row;

typedef struct srv_audit_filter {
	const srv_scope *scope; /* the rows it may read (see registry.c) */
	int64_t before;         /* ids smaller than this; 0: from the newest */
	int limit;
	int64_t project;    /* 0: any */
	const char *entity; /* NULL: any */
	int64_t entity_id;  /* 0: any */
} srv_audit_filter;

/* The rows f selects, newest first, through fn. Returns how many, or -1. */
int srv_store_registry_audit_list(srv_store *s, const srv_audit_filter *f,
                                  void (*fn)(void *arg, const srv_audit_row *r), void *arg);

#endif
