/* The financing rows the query Summary totals (migration 007's funding
 * table, written by SupervisionService AddFunding). Plain C in and out. */
#ifndef SRV_STORE_FUNDING_H
#define SRV_STORE_FUNDING_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/* Which rows: every row signed for a project, signed on or before as_of
 * (the caller keeps those of its own projects), and, when units is set,
 * the rows signed for a unit the scope covers (as ListFunding shows them)
 * within the subtrees of town and unit (0: any). */
typedef struct srv_funding_scan {
	const srv_scope *scope;
	const char *as_of; /* YYYY-MM-DD */
	bool units;
	int64_t town;
	int64_t unit;
} srv_funding_scan;

/* One row; source lives during the callback only. */
typedef struct srv_funding_row {
	const char *source;
	bool loan;       /* a loan; otherwise an agreement */
	int64_t project; /* 0: signed for a unit */
	int64_t amount;  /* 万元 */
} srv_funding_row;

/* Gives each row f selects to fn. LS_OK, or an error in st. */
int srv_store_funding_scan(srv_store *s, const srv_funding_scan *f,
                           void (*fn)(void *arg, const srv_funding_row *r), void *arg,
                           ls_status *st);

#endif
