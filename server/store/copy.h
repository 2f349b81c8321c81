/* Moving a database from SQLite to PostgreSQL: luoshid --copy-from FILE. */
#ifndef SRV_STORE_COPY_H
#define SRV_STORE_COPY_H

#include <stdint.h>

#include "status.h"
#include "store.h"

typedef struct srv_copy_info {
	int tables;
	int64_t rows;
} srv_copy_info;

/* Copies every row of the SQLite database file into s, a PostgreSQL
 * database with no accounts yet, in one transaction: the tables in the
 * order their foreign keys need, the rows as SQLite has them (the
 * aggregates the triggers keep included; the triggers do not run), then
 * each id sequence moved past the ids copied, and the planner's statistics
 * gathered (ANALYZE). Both must be at the same schema version. Failures:
 * LS_FAILED_PRECONDITION (s is not PostgreSQL, has accounts, or the
 * versions differ), LS_NOT_FOUND (no such file), LS_INTERNAL; nothing is
 * written then. */
int srv_store_copy_from_sqlite(srv_store *s, const char *file, srv_copy_info *info, ls_status *st);

#endif
