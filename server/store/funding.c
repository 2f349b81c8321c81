/* The SQL of the financing totals; see funding.h. */
#include "funding.h"

#include "store_int.h"

/* The unit rows take the visibility of SQL_FUNDING_LIST (supervision.c):
 * an admin, leader, inspector or discipline account sees every unit below
 * its root, a town or department its own unit's subtree. */
static const char SQL_FUNDING_SCAN[] =
    "SELECT f.source, f.kind = 'loan', coalesce(f.project_id, 0), f.amount FROM funding f "
    "WHERE f.signed <= :as_of AND (f.project_id IS NOT NULL OR (:units = 1 "
    "AND ((:scope_mode = 1 AND f.unit_id IN " SRV_SUBTREE(
        ":scope_root") ") "
                       "OR (:scope_mode IN (2, 3) AND f.unit_id IN " SRV_SUBTREE(
                           ":scope_unit") ")) "
                                          "AND (CAST(:town AS BIGINT) IS NULL OR f.unit_id IN " SRV_SUBTREE(
                                              ":town") ") "
                                                       "AND (CAST(:unit AS BIGINT) IS NULL OR f.unit_id IN " SRV_SUBTREE(
                                                           ":unit") ")))";

static void bind_id(srv_q *q, const char *name, int64_t v)
{
	int i = srv_bind_index(q, name);
	if (i > 0 && v != 0)
		srv_bind_int64(q, i, v);
}

int srv_store_funding_scan(srv_store *s, const srv_funding_scan *f,
                           void (*fn)(void *arg, const srv_funding_row *r), void *arg,
                           ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_FUNDING_SCAN);
	if (q == NULL)
		return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
	srv_scope_bind(q, f->scope);
	srv_bind_text(q, srv_bind_index(q, ":as_of"), f->as_of);
	srv_bind_int64(q, srv_bind_index(q, ":units"), f->units ? 1 : 0);
	bind_id(q, ":town", f->town);
	bind_id(q, ":unit", f->unit);
	int rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		const char *source = srv_col_text(q, 0);
		srv_funding_row r = {
		    .source = source ? (const char *)source : "",
		    .loan = srv_col_int(q, 1) != 0,
		    .project = srv_col_int64(q, 2),
		    .amount = srv_col_int64(q, 3),
		};
		fn(arg, &r);
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "total funding", st);
	return LS_OK;
}
