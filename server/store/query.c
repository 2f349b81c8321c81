/* The SQL of QueryService; see query.h. */
#include "query.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "progress.h"
#include "store_int.h"

static int no_stmt(ls_status *st)
{
	return ls_status_set(st, LS_INTERNAL, "database: cannot prepare");
}

static int oom(ls_status *st)
{
	return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
}

static void bind_int64(srv_q *q, const char *name, int64_t v)
{
	int i = srv_bind_index(q, name);
	if (i > 0)
		srv_bind_int64(q, i, v);
}

/* Leaves the parameter NULL when v is NULL. */
static void bind_text(srv_q *q, const char *name, const char *v)
{
	int i = srv_bind_index(q, name);
	if (i > 0 && v != NULL)
		srv_bind_text(q, i, v);
}

/* Leaves the parameter NULL when v is 0. */
static void bind_id(srv_q *q, const char *name, int64_t v)
{
	if (v != 0)
		bind_int64(q, name, v);
}

static void bind_date(srv_q *q, const char *name, int32_t day, char buf[11])
{
	ls_date_format(day, buf);
	bind_text(q, name, buf);
}

/* A malloc'd copy of column col, or NULL for SQL NULL. */
static char *column_dup(srv_q *q, int col, bool *failed)
{
	if (srv_col_null(q, col))
		return NULL;
	const char *t = srv_col_text(q, col);
	char *copy = strdup(t ? (const char *)t : "");
	if (copy == NULL)
		*failed = true;
	return copy;
}

/* Grows *p (of *cap elements of size) to hold at least need. */
static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *more = realloc(*p, c * size);
	if (more == NULL)
		return false;
	*p = more;
	*cap = c;
	return true;
}

/* "[1,2,3]": ids as a JSON array, for json_each(). NULL when out of
 * memory. */
static char *json_ids(const int64_t *ids, size_t n)
{
	char *buf = malloc(n * 21 + 3);
	if (buf == NULL)
		return NULL;
	size_t used = 0;
	buf[used++] = '[';
	for (size_t i = 0; i < n; i++)
		used += (size_t)sprintf(buf + used, "%s%" PRId64, i ? "," : "", ids[i]);
	buf[used++] = ']';
	buf[used] = '\0';
	return buf;
}

/* The index of id among n ascending ids lying stride bytes apart (the ids
 * of an array of structs, or a plain array), or -1. */
static ptrdiff_t find_id(const int64_t *ids, size_t n, size_t stride, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t v = *(const int64_t *)((const char *)ids + mid * stride);
		if (v == id)
			return (ptrdiff_t)mid;
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* ---- the figures of a set of projects ---------------------------------------- */

/* Which of a month's slots (query_slots, 013_query_amounts.sql) the year
 * to date on day takes: 6 (the whole month) on its last day, else the
 * number of the month's Sundays up to it. */
static int month_slots(int32_t day)
{
	int y, m, d;
	ls_civil_from_days(day, &y, &m, &d);
	int32_t next = m == 12 ? ls_days_from_civil(y + 1, 1, 1) : ls_days_from_civil(y, m + 1, 1);
	if (day == next - 1)
		return 6;
	int32_t first = day - (d - 1);
	int w = ls_weekday(first) % 7; /* 0: Sunday */
	int sunday = 1 + (7 - w) % 7;  /* the day of the month of its first Sunday */
	return d < sunday ? 0 : (d - sunday) / 7 + 1;
}

/* D's month and day in the previous year; Feb 29 becomes Feb 28. */
static int32_t previous_year_day(int32_t day)
{
	int y, m, d;
	ls_civil_from_days(day, &y, &m, &d);
	if (m == 2 && d == 29)
		d = 28;
	return ls_days_from_civil(y - 1, m, d);
}

/* The filters of QueryFilter over query_projects p (005_query.sql). */
/* clang-format off */
#define PROJECT_FILTER \
	"p.archived = 0 AND (CAST(:level AS BIGINT) IS NULL OR p.level = :level) " \
	"AND (CAST(:category AS BIGINT) IS NULL OR p.category = :category) " \
	"AND (CAST(:stage AS BIGINT) IS NULL OR p.stage = :stage) " \
	"AND (CAST(:town AS BIGINT) IS NULL OR p.town_id IN " SRV_SUBTREE(":town") ") " \
	"AND (CAST(:leader AS BIGINT) IS NULL OR p.lead_leader_id = :leader) " \
	"AND (CAST(:project AS BIGINT) IS NULL OR p.id = :project) " \
	"AND (CAST(:unit AS BIGINT) IS NULL OR p.lead_unit_id IN " SRV_SUBTREE(":unit") \
	" OR p.id IN (SELECT project_id FROM project_units WHERE unit_id IN " \
	SRV_SUBTREE(":unit") ")) "
/* clang-format on */

static void bind_filter(srv_q *q, const srv_scope *sc, const srv_query_filter *f)
{
	srv_scope_bind(q, sc);
	bind_id(q, ":level", f->level);
	bind_id(q, ":category", f->category);
	bind_id(q, ":stage", f->stage);
	bind_id(q, ":town", f->town);
	bind_id(q, ":leader", f->leader);
	bind_id(q, ":unit", f->unit);
	bind_id(q, ":project", f->project);
}

/* The projects, with their newest update. */
#define SET_SELECT                                                                              \
	"SELECT p.id, p.level, p.category, p.stage, coalesce(p.town_id, 0), p.lead_leader_id, " \
	"p.lead_unit_id, p.monthly, p.start_day, p.finish_day, p.percent, p.period_last, "      \
	"p.settled_on FROM query_projects p "
static const char SQL_SET[] =
    SET_SELECT "WHERE " PROJECT_FILTER " AND " SRV_PROJECT_VISIBLE " ORDER BY p.id";

/* Every project a query may count, for the copy kept in memory; and those
 * of a JSON list :ids, to bring it up to date. */
static const char SQL_SET_ALL[] = SET_SELECT "WHERE p.archived = 0 ORDER BY p.id";
static const char SQL_SET_IDS[] = SET_SELECT "WHERE p.archived = 0 "
                                             "AND p.id IN (SELECT value FROM json_each(:ids)) "
                                             "ORDER BY p.id";

/* Of each project's row of a year: the plan of the year and up to month m,
 * the money up to the end of the month before and up to the end of m; of
 * every project in project id order, or of one. One pair of statements a
 * month, its columns named: a CASE choosing them made a pass over every
 * project two thirds slower. */
/* clang-format off */
#define YEAR_SELECT(m, before) \
	"SELECT project_id, plan12, plan" #m ", " before ", inv" #m ", out" #m \
	" FROM query_years WHERE year = :year "
#define YEAR_SQL(m, before) \
	{YEAR_SELECT(m, before) "ORDER BY project_id", YEAR_SELECT(m, before) "AND project_id = :id"}
/* clang-format on */
static const char *const SQL_SET_YEAR[12][2] = {
    YEAR_SQL(1, "0, 0"),        YEAR_SQL(2, "inv1, out1"),    YEAR_SQL(3, "inv2, out2"),
    YEAR_SQL(4, "inv3, out3"),  YEAR_SQL(5, "inv4, out4"),    YEAR_SQL(6, "inv5, out5"),
    YEAR_SQL(7, "inv6, out6"),  YEAR_SQL(8, "inv7, out7"),    YEAR_SQL(9, "inv8, out8"),
    YEAR_SQL(10, "inv9, out9"), YEAR_SQL(11, "inv10, out10"), YEAR_SQL(12, "inv11, out11")};

/* The money of a month's periods up to its Sunday :slots (1..5). */
#define SLOT_SELECT                                                                             \
	"SELECT project_id, CASE CAST(:slots AS INTEGER) WHEN 1 THEN inv1 WHEN 2 THEN inv2 "    \
	"WHEN 3 THEN inv3 WHEN 4 THEN inv4 ELSE inv5 END, CASE CAST(:slots AS INTEGER) WHEN 1 " \
	"THEN out1 WHEN 2 THEN out2 WHEN 3 THEN out3 WHEN 4 THEN out4 ELSE out5 END "           \
	"FROM query_slots WHERE year = :year AND month = :month "
static const char *const SQL_SET_SLOT[2] = {SLOT_SELECT "ORDER BY project_id",
                                            SLOT_SELECT "AND project_id = :id"};
static const char SQL_SET_LAST_ID[] = "SELECT coalesce(max(id), 0) FROM query_projects";

/* The nodes overdue on :day (due before it, not done by it): those never
 * done, then those done after it, each through its own index. */
static const char SQL_SET_NODES[] =
    "SELECT project_id, due_date, id, name FROM nodes "
    "WHERE done_date IS NULL AND due_date < :day "
    "UNION ALL SELECT project_id, due_date, id, name FROM nodes WHERE done_date > :day "
    "AND due_date < :day";

/* The same, of the projects of a JSON list :ids. */
static const char SQL_SET_NODES_IDS[] =
    "SELECT n.project_id, n.due_date, n.id, n.name FROM json_each(:ids) j "
    "JOIN nodes n ON n.project_id = j.value "
    "WHERE n.due_date < :day AND (n.done_date IS NULL OR n.done_date > :day)";

static const char SQL_SET_PROBLEMS_IDS[] =
    "SELECT p.project_id, p.resolved_on IS NOT NULL AND p.resolved_on <= :day, "
    "p.due_date IS NOT NULL AND p.due_date < :day FROM json_each(:ids) j "
    "JOIN problems p ON p.project_id = j.value WHERE p.raised_on <= :day";

static const char SQL_SET_PROBLEMS[] =
    "SELECT project_id, resolved_on IS NOT NULL AND resolved_on <= :day, "
    "due_date IS NOT NULL AND due_date < :day FROM problems WHERE raised_on <= :day";

typedef struct due_pair {
	int64_t project;
	int64_t node;
	int32_t due;
	uint32_t name; /* in the set's names */
} due_pair;

static int cmp_due(const void *a, const void *b)
{
	const due_pair *x = a, *y = b;
	if (x->project != y->project)
		return x->project < y->project ? -1 : 1;
	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return (x->node > y->node) - (x->node < y->node);
}

/* Strings one after another in one block, each named by its offset. */
typedef struct arena {
	char *p;
	size_t len, cap;
} arena;

/* Appends s ("" for NULL) and its NUL; false when out of memory. */
static bool arena_add(arena *a, const char *s, uint32_t *off)
{
	size_t n = strlen(s ? s : "") + 1;
	if (a->len + n > UINT32_MAX)
		return false;
	if (!grow((void **)&a->p, &a->cap, a->len + n, 1))
		return false;
	memcpy(a->p + a->len, s ? s : "", n);
	*off = (uint32_t)a->len;
	a->len += n;
	return true;
}

/* Reads the current row of SQL_SET into r; false when the planned dates
 * are missing. *newest is set when the project's newest update settles its
 * status on day D. */
static bool read_set_row(srv_q *q, int32_t day, srv_qproject *r, bool *newest)
{
	memset(r, 0, sizeof *r);
	r->id = srv_col_int64(q, 0);
	r->level = srv_col_int(q, 1);
	r->category = srv_col_int(q, 2);
	r->stage = srv_col_int(q, 3);
	r->town = srv_col_int64(q, 4);
	r->leader = srv_col_int64(q, 5);
	r->unit = srv_col_int64(q, 6);
	ls_projstatus_in *in = &r->status;
	in->as_of = day;
	in->monthly = srv_col_int(q, 7) != 0;
	if (srv_col_null(q, 8) || srv_col_null(q, 9))
		return false;
	in->planned_start = (int32_t)srv_col_int64(q, 8);
	in->planned_finish = (int32_t)srv_col_int64(q, 9);
	if (in->planned_finish < in->planned_start)
		in->planned_finish = in->planned_start;

	/* The status of D takes the latest period begun by D in its latest
	 * revision submitted by D (progress.h): the newest update is that one
	 * when it was begun and submitted by D. No update at all: nothing
	 * was reported by D either. */
	*newest = true;
	if (!srv_col_null(q, 11)) {
		if (srv_col_int64(q, 12) <= day) {
			in->reported = true;
			in->percent = srv_col_int(q, 10);
			in->last_end = (int32_t)srv_col_int64(q, 11);
		} else {
			*newest = false;
		}
	}
	return true;
}

/* Adds the money in columns col and col + 1 of a row of YEAR_SELECT or
 * SLOT_SELECT to r's, or to that of the year before; and with plan, takes
 * the plan of YEAR_SELECT's. */
static void add_row(srv_q *q, int col, bool before, bool plan, srv_qproject *r)
{
	if (plan) {
		r->plan_year = srv_col_int64(q, 1);
		r->plan_ytd = srv_col_int64(q, 2);
	}
	int64_t *inv = before ? &r->prev_invested : &r->invested;
	int64_t *out = before ? &r->prev_output : &r->output;
	*inv += srv_col_int64(q, col);
	*out += srv_col_int64(q, col + 1);
}

/* Runs q (bound but for :id) and adds its rows to the set's projects
 * (add_row): one walk over all projects' rows when scan, else a look-up per
 * project. */
static int add_rows(srv_store *s, srv_qset *set, srv_q *q, bool scan, int col, bool before,
                    bool plan, ls_status *st)
{
	int rc = SRV_DONE;
	if (scan) {
		/* Both in project id order: one walk. */
		size_t r = 0;
		while ((rc = srv_step(q)) == SRV_ROW) {
			int64_t id = srv_col_int64(q, 0);
			while (r < set->n && set->rows[r].id < id)
				r++;
			if (r == set->n)
				break;
			if (set->rows[r].id == id)
				add_row(q, col, before, plan, &set->rows[r]);
		}
		if (rc == SRV_ROW)
			rc = SRV_DONE;
	} else {
		for (size_t r = 0; r < set->n && rc == SRV_DONE; r++) {
			bind_int64(q, ":id", set->rows[r].id);
			if ((rc = srv_step(q)) == SRV_ROW) {
				add_row(q, col, before, plan, &set->rows[r]);
				rc = SRV_DONE;
			}
			srv_reset(q);
		}
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read the money of the projects", st);
	return LS_OK;
}

/* The money of the set's projects on day (this year's, with the plan) or
 * on the same day of the year before: the months before day's from
 * query_years, and the part of day's month from query_slots, or all of it
 * from query_years on the month's last day. */
static int add_money(srv_store *s, srv_qset *set, int32_t day, bool before, bool scan,
                     ls_status *st)
{
	int y, m, d;
	ls_civil_from_days(day, &y, &m, &d);
	int slots = month_slots(day);
	srv_q *q = srv_stmt(s, SQL_SET_YEAR[m - 1][!scan]);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":year", y);
	/* The whole month on its last day, else the months before it. */
	if (add_rows(s, set, q, scan, slots == 6 ? 5 : 3, before, !before, st) != LS_OK)
		return st->code;
	if (slots == 0 || slots == 6)
		return LS_OK;
	if ((q = srv_stmt(s, SQL_SET_SLOT[!scan])) == NULL)
		return no_stmt(st);
	bind_int64(q, ":year", y);
	bind_int64(q, ":month", m);
	bind_int64(q, ":slots", slots);
	return add_rows(s, set, q, scan, 1, before, false, st);
}

/* The money of the set's projects on day, and on the same day of the year
 * before (in the same month: Feb 29 becomes 28). */
static int set_money(srv_store *s, srv_qset *set, int32_t day, int64_t last_id, ls_status *st)
{
	bool scan = set->n * 4 >= (size_t)last_id;
	if (add_money(s, set, day, false, scan, st) != LS_OK)
		return st->code;
	return add_money(s, set, set->prev_day, true, scan, st);
}

void srv_store_query_set_free(srv_qset *set)
{
	if (set == NULL)
		return;
	free(set->rows);
	free(set->due);
	free(set->due_name);
	free(set->names);
	memset(set, 0, sizeof *set);
}

/* The overdue nodes of the set's projects into set->due (with their names),
 * each row's node_due pointing at its own: read for all projects, or only
 * for those of the JSON list ids when it is not NULL. */
static int set_nodes(srv_store *s, srv_qset *set, int32_t day, const char *ids, ls_status *st)
{
	srv_q *q = srv_stmt(s, ids ? SQL_SET_NODES_IDS : SQL_SET_NODES);
	if (q == NULL)
		return no_stmt(st);
	char text[11];
	bind_date(q, ":day", day, text);
	bind_text(q, ":ids", ids);
	due_pair *pairs = NULL;
	arena names = {0};
	size_t n = 0, cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		int64_t project = srv_col_int64(q, 0);
		int32_t due;
		const char *t = srv_col_text(q, 1);
		if (t == NULL || !ls_date_parse(t, &due) ||
		    find_id(&set->rows[0].id, set->n, sizeof set->rows[0], project) < 0)
			continue;
		uint32_t name;
		if (!grow((void **)&pairs, &cap, n + 1, sizeof *pairs) ||
		    !arena_add(&names, srv_col_text(q, 3), &name)) {
			code = oom(st);
			break;
		}
		pairs[n++] = (due_pair){project, srv_col_int64(q, 2), due, name};
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read overdue nodes", st);
	if (code == LS_OK && n > 0) {
		qsort(pairs, n, sizeof *pairs, cmp_due);
		set->due = malloc(n * sizeof *set->due);
		set->due_name = malloc(n * sizeof *set->due_name);
		if (set->due == NULL || set->due_name == NULL)
			code = oom(st);
	}
	if (code == LS_OK) {
		/* Both lists are in project id order: one walk fills the rows. */
		size_t r = 0;
		for (size_t i = 0; i < n; i++) {
			set->due[i] = pairs[i].due;
			set->due_name[i] = pairs[i].name;
			while (set->rows[r].id < pairs[i].project)
				r++;
			ls_projstatus_in *in = &set->rows[r].status;
			if (in->n_nodes++ == 0)
				in->node_due = &set->due[i];
		}
		set->n_due = n;
		set->names = names.p;
		names.p = NULL;
	}
	free(names.p);
	free(pairs);
	return code;
}

static int set_problems(srv_store *s, srv_qset *set, int32_t day, const char *ids, ls_status *st)
{
	srv_q *q = srv_stmt(s, ids ? SQL_SET_PROBLEMS_IDS : SQL_SET_PROBLEMS);
	if (q == NULL)
		return no_stmt(st);
	char text[11];
	bind_date(q, ":day", day, text);
	bind_text(q, ":ids", ids);
	int rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		ptrdiff_t i =
		    find_id(&set->rows[0].id, set->n, sizeof set->rows[0], srv_col_int64(q, 0));
		if (i < 0)
			continue;
		srv_qproject *r = &set->rows[i];
		r->raised++;
		if (srv_col_int(q, 1))
			r->resolved++;
		else if (srv_col_int(q, 2))
			r->overdue++;
	}
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read problems", st);
	return LS_OK;
}

static int last_project_id(srv_store *s, int64_t *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_SET_LAST_ID);
	if (q == NULL)
		return no_stmt(st);
	int rc = srv_step(q);
	*out = rc == SRV_ROW ? srv_col_int64(q, 0) : 0;
	srv_stmt_done(q);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "count projects", st);
	return LS_OK;
}

/* Gathers the projects q (SQL_SET, SQL_SET_ALL or SQL_SET_IDS, bound)
 * gives into *out with their figures on day; ids is SQL_SET_IDS' list, or
 * NULL. */
static int gather_set(srv_store *s, srv_q *q, int32_t day, const char *ids, srv_qset *out,
                      ls_status *st)
{
	memset(out, 0, sizeof *out);
	out->prev_day = previous_year_day(day);
	int64_t last_id;
	if (last_project_id(s, &last_id, st) != LS_OK) {
		srv_stmt_done(q);
		return st->code;
	}
	/* Projects whose status needs their updates read one by one. */
	int64_t *slow = NULL;
	size_t cap = 0, slow_cap = 0, n_slow = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (!grow((void **)&out->rows, &cap, out->n + 1, sizeof *out->rows)) {
			code = oom(st);
			break;
		}
		srv_qproject *r = &out->rows[out->n];
		bool newest;
		if (!read_set_row(q, day, r, &newest)) {
			code =
			    ls_status_set(st, LS_DATA_LOSS,
			                  "project %" PRId64 " has malformed planned dates", r->id);
			break;
		}
		if (!newest) {
			if (!grow((void **)&slow, &slow_cap, n_slow + 1, sizeof *slow)) {
				code = oom(st);
				break;
			}
			slow[n_slow++] = (int64_t)out->n;
		}
		out->n++;
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read projects", st);
	for (size_t i = 0; code == LS_OK && i < n_slow; i++) {
		srv_qproject *r = &out->rows[slow[i]];
		ls_projstatus_in in;
		code = srv_store_project_status_inputs(s, r->id, day, &in, r->last_period, st);
		if (code != LS_OK)
			break;
		/* The nodes are the same ones set_nodes finds below. */
		free((void *)in.node_due);
		r->status.reported = in.reported;
		r->status.percent = in.percent;
		r->status.last_end = in.last_end;
	}
	free(slow);
	if (code == LS_OK && out->n > 0)
		code = set_money(s, out, day, last_id, st);
	if (code == LS_OK && out->n > 0)
		code = set_nodes(s, out, day, ids, st);
	if (code == LS_OK && out->n > 0)
		code = set_problems(s, out, day, ids, st);
	if (code != LS_OK) {
		srv_store_query_set_free(out);
		return code;
	}
	for (size_t i = 0; i < out->n; i++) {
		ls_projstatus o;
		ls_projstatus_derive(&out->rows[i].status, &o);
		out->rows[i].derived = (unsigned char)o.status;
	}
	return LS_OK;
}

/* ---- what is kept in memory ------------------------------------------------------ */

#define QC_DAYS 4
/* Units are looked up by id in an array: beyond this many, the queries read
 * the database. */
#define QC_UNITS_MAX (1 << 20)
#define QC_DEPTH_MAX 64

/* A project as Lagging names it; the texts are offsets into the arena. */
typedef struct qc_project {
	int64_t id, town, leader, unit;
	uint32_t code, name, level, newest;
} qc_project;

typedef struct qc_name {
	int64_t id;
	uint32_t code, name;
} qc_name;

typedef struct qc_day {
	bool used;
	int32_t day;
	uint64_t last_use;
	srv_qset set; /* every unarchived project on day */
} qc_day;

struct srv_qcache {
	/* Current up to query_dirty's seq (012_query_dirty.sql), as long as
	 * nothing was rolled back since. */
	bool started;
	int64_t seq;
	uint64_t rollbacks;
	uint64_t tick;
	qc_day days[QC_DAYS];
	bool have_units;
	int64_t *parent; /* parent[id] of every unit; 0 for none */
	size_t n_parent;
	bool have_details;
	qc_project *projects;
	qc_name *units, *people;
	size_t n_projects, n_units, n_people;
	arena text;
	size_t text_read; /* the arena's length when read whole */
};

/* Drops the details Lagging names the projects with. */
static void qc_details_drop(struct srv_qcache *c)
{
	free(c->projects);
	free(c->units);
	free(c->people);
	free(c->text.p);
	c->projects = NULL;
	c->units = c->people = NULL;
	c->n_projects = c->n_units = c->n_people = 0;
	c->text = (arena){0};
	c->text_read = 0;
	c->have_details = false;
}

/* Drops what is kept, not the point it is current to. */
static void qcache_clear(struct srv_qcache *c)
{
	for (int i = 0; i < QC_DAYS; i++) {
		srv_store_query_set_free(&c->days[i].set);
		c->days[i].used = false;
	}
	free(c->parent);
	c->parent = NULL;
	c->n_parent = 0;
	c->have_units = false;
	qc_details_drop(c);
}

void srv_qcache_free(struct srv_qcache *c)
{
	if (c == NULL)
		return;
	qcache_clear(c);
	free(c);
}

static int qc_refresh(srv_store *s, struct srv_qcache *c, const int64_t *ids, size_t n,
                      ls_status *st);

static const char SQL_DIRTY_LAST[] = "SELECT coalesce(max(seq), 0) FROM query_dirty";
static const char SQL_DIRTY_SINCE[] =
    "SELECT project_id FROM query_dirty WHERE seq > ?1 ORDER BY project_id";

/* The projects stamped after seq, ascending, into *out (malloc'd). */
static int dirty_since(srv_store *s, int64_t seq, int64_t **out, size_t *n, ls_status *st)
{
	*out = NULL;
	*n = 0;
	srv_q *q = srv_stmt(s, SQL_DIRTY_SINCE);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, seq);
	size_t cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (!grow((void **)out, &cap, *n + 1, sizeof **out)) {
			code = oom(st);
			break;
		}
		(*out)[(*n)++] = srv_col_int64(q, 0);
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read the projects changed", st);
	if (code != LS_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return code;
}

/* The cache, brought up to date first: the projects changed since it was
 * filled gathered again, or everything dropped after a rollback or a
 * change of the units or people. NULL when that fails (st says why). */
static struct srv_qcache *qcache(srv_store *s, ls_status *st)
{
	struct srv_qcache *c = s->qcache;
	if (c == NULL && (c = s->qcache = calloc(1, sizeof *c)) == NULL) {
		oom(st);
		return NULL;
	}
	srv_q *q = srv_stmt(s, SQL_DIRTY_LAST);
	if (q == NULL) {
		no_stmt(st);
		return NULL;
	}
	int rc = srv_step(q);
	int64_t seq = rc == SRV_ROW ? srv_col_int64(q, 0) : 0;
	srv_stmt_done(q);
	if (rc != SRV_ROW) {
		srv_store_error(s, rc, "read the last change", st);
		return NULL;
	}
	if (!c->started || c->rollbacks != s->rollbacks || seq < c->seq) {
		qcache_clear(c);
	} else if (seq > c->seq) {
		int64_t *ids;
		size_t n;
		if (dirty_since(s, c->seq, &ids, &n, st) != LS_OK) {
			qcache_clear(c);
			c->started = false;
			return NULL;
		}
		/* Project 0: a unit or a person, which every project reads. */
		int code =
		    n > 0 && ids[0] == 0 ? (qcache_clear(c), LS_OK) : qc_refresh(s, c, ids, n, st);
		free(ids);
		if (code != LS_OK) {
			qcache_clear(c);
			c->started = false;
			return NULL;
		}
	}
	c->started = true;
	c->seq = seq;
	c->rollbacks = s->rollbacks;
	return c;
}

static const char SQL_QC_UNITS[] = "SELECT id, coalesce(parent_id, 0) FROM units ORDER BY id";

/* Reads the tree of units into c; leaves c->parent NULL when the ids are
 * too large to index. */
static int qc_units(srv_store *s, struct srv_qcache *c, ls_status *st)
{
	if (c->have_units)
		return LS_OK;
	srv_q *q = srv_stmt(s, SQL_QC_UNITS);
	if (q == NULL)
		return no_stmt(st);
	int rc, code = LS_OK;
	size_t cap = 0;
	while ((rc = srv_step(q)) == SRV_ROW) {
		int64_t id = srv_col_int64(q, 0);
		if (id <= 0 || id >= QC_UNITS_MAX) {
			free(c->parent);
			c->parent = NULL;
			c->n_parent = 0;
			rc = SRV_DONE;
			break;
		}
		if (!grow((void **)&c->parent, &cap, (size_t)id + 1, sizeof *c->parent)) {
			code = oom(st);
			break;
		}
		for (size_t i = c->n_parent; i <= (size_t)id; i++)
			c->parent[i] = 0;
		c->n_parent = (size_t)id + 1;
		c->parent[id] = srv_col_int64(q, 1);
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read units", st);
	c->have_units = code == LS_OK;
	return code;
}

/* in[u] for every unit u at or below root (SRV_SUBTREE); malloc'd. */
static bool *qc_subtree(const struct srv_qcache *c, int64_t root)
{
	bool *in = calloc(c->n_parent ? c->n_parent : 1, sizeof *in);
	if (in == NULL)
		return NULL;
	for (size_t u = 1; u < c->n_parent; u++) {
		int64_t v = (int64_t)u;
		for (int depth = 0; depth < QC_DEPTH_MAX && v > 0 && (size_t)v < c->n_parent;
		     depth++) {
			if (v == root) {
				in[u] = true;
				break;
			}
			v = c->parent[v];
		}
	}
	return in;
}

/* Every unarchived project on day, gathered on the first call. */
static const srv_qset *qc_day_set(srv_store *s, struct srv_qcache *c, int32_t day, ls_status *st)
{
	qc_day *slot = NULL;
	for (int i = 0; i < QC_DAYS; i++) {
		qc_day *d = &c->days[i];
		if (d->used && d->day == day) {
			d->last_use = ++c->tick;
			return &d->set;
		}
		if (slot == NULL || !d->used || (slot->used && d->last_use < slot->last_use))
			slot = d;
	}
	srv_store_query_set_free(&slot->set);
	slot->used = false;
	srv_q *q = srv_stmt(s, SQL_SET_ALL);
	if (q == NULL) {
		no_stmt(st);
		return NULL;
	}
	if (gather_set(s, q, day, NULL, &slot->set, st) != LS_OK)
		return NULL;
	slot->used = true;
	slot->day = day;
	slot->last_use = ++c->tick;
	return &slot->set;
}

/* Sets made row by row from other sets: counted first, then filled. */
typedef struct qc_build {
	srv_qset *out;
	size_t n, n_due, text; /* counted, or filled so far */
} qc_build;

/* Counts (fill false) or appends (fill true) row r of set from, with its
 * overdue nodes and their names. */
static void qc_take(qc_build *b, const srv_qproject *r, const srv_qset *from, bool fill)
{
	size_t first = r->status.n_nodes ? (size_t)(r->status.node_due - from->due) : 0;
	if (!fill) {
		b->n++;
		b->n_due += r->status.n_nodes;
		for (size_t k = 0; k < r->status.n_nodes; k++)
			b->text += strlen(from->names + from->due_name[first + k]) + 1;
		return;
	}
	srv_qset *out = b->out;
	srv_qproject *o = &out->rows[out->n++];
	*o = *r;
	o->status.node_due = r->status.n_nodes ? &out->due[out->n_due] : NULL;
	for (size_t k = 0; k < r->status.n_nodes; k++) {
		const char *name = from->names + from->due_name[first + k];
		size_t len = strlen(name) + 1;
		memcpy(out->names + b->text, name, len);
		out->due[out->n_due] = from->due[first + k];
		out->due_name[out->n_due++] = (uint32_t)b->text;
		b->text += len;
	}
}

/* Allocates b->out for what b counted and starts filling it. */
static int qc_alloc(qc_build *b, int32_t prev_day, ls_status *st)
{
	srv_qset *out = b->out;
	memset(out, 0, sizeof *out);
	out->prev_day = prev_day;
	out->rows = malloc((b->n ? b->n : 1) * sizeof *out->rows);
	out->due = malloc((b->n_due ? b->n_due : 1) * sizeof *out->due);
	out->due_name = malloc((b->n_due ? b->n_due : 1) * sizeof *out->due_name);
	out->names = malloc(b->text ? b->text : 1);
	if (out->rows == NULL || out->due == NULL || out->due_name == NULL || out->names == NULL) {
		srv_store_query_set_free(out);
		return oom(st);
	}
	b->text = 0;
	return LS_OK;
}

/* Which rows of a kept set a query takes: SRV_PROJECT_VISIBLE and
 * PROJECT_FILTER in C, for the scopes and filters they apply to (see
 * kept_answers). The subtrees are in[u] arrays of qc_subtree, NULL when not
 * asked for. */
typedef struct qc_filter {
	const srv_scope *sc;
	const srv_query_filter *f;
	const bool *scope_units; /* ALL: the root's subtree; TOWN: the unit's */
	const bool *towns;       /* f->town's subtree */
	size_t n;                /* the length of both */
} qc_filter;

static bool qc_in(const bool *in, size_t n, int64_t unit)
{
	return unit > 0 && (size_t)unit < n && in[unit];
}

static bool qc_takes(const qc_filter *q, const srv_qproject *r)
{
	const srv_query_filter *f = q->f;
	switch (q->sc->mode) {
	case SRV_SCOPE_ALL:
		if (!qc_in(q->scope_units, q->n, r->unit) && !qc_in(q->scope_units, q->n, r->town))
			return false;
		break;
	case SRV_SCOPE_TOWN:
		if (!qc_in(q->scope_units, q->n, r->town))
			return false;
		break;
	default:
		return false;
	}
	return (!f->level || r->level == f->level) &&
	       (!f->category || r->category == f->category) &&
	       (!f->stage || r->stage == f->stage) &&
	       (!f->town || qc_in(q->towns, q->n, r->town)) &&
	       (!f->leader || r->leader == f->leader) && (!f->project || r->id == f->project);
}

/* The rows of all that q takes, copied into *out. */
static int qc_copy(const srv_qset *all, const qc_filter *q, srv_qset *out, ls_status *st)
{
	qc_build b = {.out = out};
	for (int fill = 0; fill < 2; fill++) {
		if (q->f->project != 0) {
			/* One project: found, not walked to. */
			ptrdiff_t i = all->n ? find_id(&all->rows[0].id, all->n,
			                               sizeof all->rows[0], q->f->project)
			                     : -1;
			if (i >= 0 && qc_takes(q, &all->rows[i]))
				qc_take(&b, &all->rows[i], all, fill);
		} else {
			for (size_t i = 0; i < all->n; i++)
				if (qc_takes(q, &all->rows[i]))
					qc_take(&b, &all->rows[i], all, fill);
		}
		if (!fill && qc_alloc(&b, all->prev_day, st) != LS_OK)
			return st->code;
	}
	return LS_OK;
}

/* kept with the rows of the n projects ids (ascending) replaced by their
 * rows in fresh (gathered again; a project not there is gone), into *out. */
static int qc_merge(const srv_qset *kept, const int64_t *ids, size_t n, const srv_qset *fresh,
                    srv_qset *out, ls_status *st)
{
	qc_build b = {.out = out};
	for (int fill = 0; fill < 2; fill++) {
		size_t i = 0, j = 0, k = 0;
		while (i < kept->n || j < fresh->n) {
			if (i < kept->n) {
				while (k < n && ids[k] < kept->rows[i].id)
					k++;
				if (k < n && ids[k] == kept->rows[i].id) {
					i++;
					continue;
				}
			}
			if (j < fresh->n && (i == kept->n || fresh->rows[j].id < kept->rows[i].id))
				qc_take(&b, &fresh->rows[j++], fresh, fill);
			else
				qc_take(&b, &kept->rows[i++], kept, fill);
		}
		if (!fill && qc_alloc(&b, kept->prev_day, st) != LS_OK)
			return st->code;
	}
	return LS_OK;
}

/* The row of project id in set, or NULL. */
static srv_qproject *qc_row(const srv_qset *set, int64_t id)
{
	ptrdiff_t i = set->n ? find_id(&set->rows[0].id, set->n, sizeof set->rows[0], id) : -1;
	return i < 0 ? NULL : &set->rows[i];
}

/* Brings kept up to date for the n projects ids (ascending) from fresh
 * (their rows now) in place, when that changes no row's place or size:
 * every one of them still there, none come or gone, each with the same
 * overdue nodes by name (their due dates are copied). False, changing
 * nothing, otherwise. */
static bool qc_patch(srv_qset *kept, const int64_t *ids, size_t n, const srv_qset *fresh)
{
	if (fresh->n != n)
		return false;
	for (size_t j = 0; j < n; j++) {
		const srv_qproject *f = &fresh->rows[j];
		const srv_qproject *k = qc_row(kept, f->id);
		if (f->id != ids[j] || k == NULL || k->status.n_nodes != f->status.n_nodes)
			return false;
		size_t kf = k->status.n_nodes ? (size_t)(k->status.node_due - kept->due) : 0;
		size_t ff = f->status.n_nodes ? (size_t)(f->status.node_due - fresh->due) : 0;
		for (size_t x = 0; x < f->status.n_nodes; x++)
			if (strcmp(kept->names + kept->due_name[kf + x],
			           fresh->names + fresh->due_name[ff + x]) != 0)
				return false;
	}
	for (size_t j = 0; j < n; j++) {
		const srv_qproject *f = &fresh->rows[j];
		srv_qproject *k = qc_row(kept, f->id);
		size_t kf = k->status.n_nodes ? (size_t)(k->status.node_due - kept->due) : 0;
		size_t ff = f->status.n_nodes ? (size_t)(f->status.node_due - fresh->due) : 0;
		for (size_t x = 0; x < f->status.n_nodes; x++)
			kept->due[kf + x] = fresh->due[ff + x];
		*k = *f;
		k->status.node_due = f->status.n_nodes ? &kept->due[kf] : NULL;
	}
	return true;
}

/* Brings the kept day d up to date for the n projects ids (ascending,
 * JSON list json). */
static int qc_day_refresh(srv_store *s, qc_day *d, const int64_t *ids, size_t n, const char *json,
                          ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_SET_IDS);
	if (q == NULL)
		return no_stmt(st);
	bind_text(q, ":ids", json);
	srv_qset fresh, merged;
	if (gather_set(s, q, d->day, json, &fresh, st) != LS_OK)
		return st->code;
	if (qc_patch(&d->set, ids, n, &fresh)) {
		srv_store_query_set_free(&fresh);
		return LS_OK;
	}
	int code = qc_merge(&d->set, ids, n, &fresh, &merged, st);
	srv_store_query_set_free(&fresh);
	if (code != LS_OK)
		return code;
	srv_store_query_set_free(&d->set);
	d->set = merged;
	return LS_OK;
}

/* True when the kept copy answers sc and f: an office's projects or a
 * town's, filtered by anything but a unit (which asks for the
 * contributors, as a department's scope asks for nodes and tasks too). */
static bool kept_answers(const srv_scope *sc, const srv_query_filter *f)
{
	return (sc->mode == SRV_SCOPE_ALL || sc->mode == SRV_SCOPE_TOWN) && f->unit == 0;
}

/* Answers sc and f from the kept copy of f->as_of into *out; *done false
 * when the units are too many to keep (read the database instead). */
static int query_kept(srv_store *s, const srv_scope *sc, const srv_query_filter *f, srv_qset *out,
                      bool *done, ls_status *st)
{
	*done = false;
	struct srv_qcache *c = qcache(s, st);
	if (c == NULL || qc_units(s, c, st) != LS_OK)
		return st->code;
	if (c->parent == NULL)
		return LS_OK;
	const srv_qset *all = qc_day_set(s, c, f->as_of, st);
	if (all == NULL)
		return st->code;
	qc_filter q = {.sc = sc, .f = f, .n = c->n_parent};
	bool *scope = NULL, *towns = NULL;
	if ((scope = qc_subtree(c, sc->mode == SRV_SCOPE_ALL ? sc->root : sc->unit)) == NULL)
		return oom(st);
	if (f->town != 0 && (towns = qc_subtree(c, f->town)) == NULL) {
		free(scope);
		return oom(st);
	}
	q.scope_units = scope;
	q.towns = towns;
	int code = qc_copy(all, &q, out, st);
	free(scope);
	free(towns);
	*done = code == LS_OK;
	return code;
}

int srv_store_query_set(srv_store *s, const srv_scope *sc, const srv_query_filter *f, srv_qset *out,
                        ls_status *st)
{
	memset(out, 0, sizeof *out);
	if (kept_answers(sc, f)) {
		bool done;
		int code = query_kept(s, sc, f, out, &done, st);
		if (code != LS_OK || done)
			return code;
	}
	srv_q *q = srv_stmt(s, SQL_SET);
	if (q == NULL)
		return no_stmt(st);
	bind_filter(q, sc, f);
	return gather_set(s, q, f->as_of, NULL, out, st);
}

/* ---- names and details ---------------------------------------------------------- */

static const char SQL_UNIT_NAMES[] =
    "SELECT u.id, u.code, u.name FROM json_each(?1) j JOIN units u ON u.id = j.value";
static const char SQL_PERSON_NAMES[] =
    "SELECT p.id, p.code, p.name FROM json_each(?1) j JOIN people p ON p.id = j.value";

int srv_store_query_names(srv_store *s, srv_entity what, const int64_t *ids, size_t n,
                          srv_qname *out, ls_status *st)
{
	for (size_t i = 0; i < n; i++) {
		out[i].id = ids[i];
		out[i].code[0] = out[i].name[0] = '\0';
	}
	if (n == 0)
		return LS_OK;
	char *list = json_ids(ids, n);
	if (list == NULL)
		return oom(st);
	srv_q *q = srv_stmt(s, what == SRV_PERSON ? SQL_PERSON_NAMES : SQL_UNIT_NAMES);
	if (q == NULL) {
		free(list);
		return no_stmt(st);
	}
	srv_bind_text(q, 1, list);
	int rc;
	while ((rc = srv_step(q)) == SRV_ROW) {
		int64_t id = srv_col_int64(q, 0);
		for (size_t i = 0; i < n; i++) {
			if (ids[i] != id)
				continue;
			srv_column_text(out[i].code, sizeof out[i].code, q, 1);
			srv_column_text(out[i].name, sizeof out[i].name, q, 2);
		}
	}
	srv_stmt_done(q);
	free(list);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, "read names", st);
	return LS_OK;
}

static const char SQL_DETAILS[] =
    "SELECT p.id, p.code, p.name, p.level, coalesce(t.code, ''), coalesce(t.name, ''), "
    "pe.code, pe.name, u.code, u.name, coalesce(q.period, '') FROM json_each(?1) j "
    "JOIN projects p ON p.id = j.value LEFT JOIN query_projects q ON q.id = p.id "
    "LEFT JOIN units t ON t.id = p.town_id JOIN people pe ON pe.id = p.lead_leader_id "
    "JOIN units u ON u.id = p.lead_unit_id";

/* The texts of a detail, in the order of SQL_DETAILS' columns 1..10. */
#define QD_TEXTS 10

static void detail_set(srv_qdetail *d, const char *const t[QD_TEXTS])
{
	d->code = t[0];
	d->name = t[1];
	d->level = t[2];
	d->town_code = t[3];
	d->town_name = t[4];
	d->leader_code = t[5];
	d->leader_name = t[6];
	d->unit_code = t[7];
	d->unit_name = t[8];
	d->newest = t[9];
}

static int details_sql(srv_store *s, const int64_t *ids, size_t n, srv_qdetail *out, char **text,
                       ls_status *st)
{
	char *list = json_ids(ids, n);
	uint32_t(*off)[QD_TEXTS] = calloc(n, sizeof *off);
	srv_q *q = srv_stmt(s, SQL_DETAILS);
	if (list == NULL || off == NULL || q == NULL) {
		free(list);
		free(off);
		return q == NULL ? no_stmt(st) : oom(st);
	}
	srv_bind_text(q, 1, list);
	arena a = {0};
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		int64_t id = srv_col_int64(q, 0);
		ptrdiff_t i = find_id(ids, n, sizeof *ids, id);
		if (i < 0)
			continue;
		out[i].id = id;
		for (int k = 0; k < QD_TEXTS && code == LS_OK; k++)
			if (!arena_add(&a, srv_col_text(q, k + 1), &off[i][k]))
				code = oom(st);
		if (code != LS_OK)
			break;
	}
	srv_stmt_done(q);
	free(list);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read project details", st);
	if (code == LS_OK) {
		for (size_t i = 0; i < n; i++) {
			if (out[i].id == 0)
				continue;
			const char *t[QD_TEXTS];
			for (int k = 0; k < QD_TEXTS; k++)
				t[k] = a.p + off[i][k];
			detail_set(&out[i], t);
		}
		*text = a.p;
	} else {
		free(a.p);
	}
	free(off);
	return code;
}

#define QC_PROJECT_COLUMNS                                                                 \
	"SELECT p.id, p.code, p.name, p.level, coalesce(p.town_id, 0), p.lead_leader_id, " \
	"p.lead_unit_id, coalesce(q.period, '') "
static const char SQL_QC_PROJECTS[] =
    QC_PROJECT_COLUMNS "FROM projects p LEFT JOIN query_projects q ON q.id = p.id ORDER BY p.id";
static const char SQL_QC_PROJECTS_IDS[] =
    QC_PROJECT_COLUMNS "FROM json_each(?1) j JOIN projects p ON p.id = j.value "
                       "LEFT JOIN query_projects q ON q.id = p.id ORDER BY p.id";
static const char SQL_QC_UNIT_NAMES[] = "SELECT id, code, name FROM units ORDER BY id";
static const char SQL_QC_PEOPLE[] = "SELECT id, code, name FROM people ORDER BY id";

/* Reads the id, code and name of every row of q into *out. */
static int qc_names(srv_store *s, arena *text, const char *sql, qc_name **out, size_t *n,
                    ls_status *st)
{
	srv_q *q = srv_stmt(s, sql);
	if (q == NULL)
		return no_stmt(st);
	size_t cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (!grow((void **)out, &cap, *n + 1, sizeof **out)) {
			code = oom(st);
			break;
		}
		qc_name *e = &(*out)[*n];
		e->id = srv_col_int64(q, 0);
		if (!arena_add(text, srv_col_text(q, 1), &e->code) ||
		    !arena_add(text, srv_col_text(q, 2), &e->name)) {
			code = oom(st);
			break;
		}
		(*n)++;
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read names", st);
	return code;
}

/* Reads the rows of q (SQL_QC_PROJECTS or SQL_QC_PROJECTS_IDS, bound) into
 * *out, their texts into c's arena. */
static int qc_read_projects(srv_store *s, struct srv_qcache *c, srv_q *q, qc_project **out,
                            size_t *n, ls_status *st)
{
	size_t cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (!grow((void **)out, &cap, *n + 1, sizeof **out)) {
			code = oom(st);
			break;
		}
		qc_project *p = &(*out)[*n];
		p->id = srv_col_int64(q, 0);
		p->town = srv_col_int64(q, 4);
		p->leader = srv_col_int64(q, 5);
		p->unit = srv_col_int64(q, 6);
		if (!arena_add(&c->text, srv_col_text(q, 1), &p->code) ||
		    !arena_add(&c->text, srv_col_text(q, 2), &p->name) ||
		    !arena_add(&c->text, srv_col_text(q, 3), &p->level) ||
		    !arena_add(&c->text, srv_col_text(q, 7), &p->newest)) {
			code = oom(st);
			break;
		}
		(*n)++;
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read project details", st);
	return code;
}

/* What Lagging says of every project, read on the first call. */
static int qc_details(srv_store *s, struct srv_qcache *c, ls_status *st)
{
	if (c->have_details)
		return LS_OK;
	srv_q *q;
	if (qc_names(s, &c->text, SQL_QC_UNIT_NAMES, &c->units, &c->n_units, st) != LS_OK ||
	    qc_names(s, &c->text, SQL_QC_PEOPLE, &c->people, &c->n_people, st) != LS_OK ||
	    ((q = srv_stmt(s, SQL_QC_PROJECTS)) == NULL && no_stmt(st)) ||
	    qc_read_projects(s, c, q, &c->projects, &c->n_projects, st) != LS_OK) {
		qc_details_drop(c);
		return st->code;
	}
	c->have_details = true;
	c->text_read = c->text.len;
	return LS_OK;
}

/* Brings the kept details up to date for the n projects ids (ascending,
 * JSON list json); drops them instead once the texts replaced outweigh
 * those read. */
static int qc_details_refresh(srv_store *s, struct srv_qcache *c, const int64_t *ids, size_t n,
                              const char *json, ls_status *st)
{
	if (c->text.len > 2 * c->text_read + (1u << 20)) {
		qc_details_drop(c);
		return LS_OK;
	}
	srv_q *q = srv_stmt(s, SQL_QC_PROJECTS_IDS);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_text(q, 1, json);
	qc_project *fresh = NULL, *merged = NULL;
	size_t n_fresh = 0, m = 0;
	if (qc_read_projects(s, c, q, &fresh, &n_fresh, st) != LS_OK ||
	    (merged = malloc((c->n_projects + n_fresh + 1) * sizeof *merged)) == NULL) {
		free(fresh);
		return st->code != LS_OK ? st->code : oom(st);
	}
	size_t i = 0, j = 0, k = 0;
	while (i < c->n_projects || j < n_fresh) {
		if (i < c->n_projects) {
			while (k < n && ids[k] < c->projects[i].id)
				k++;
			if (k < n && ids[k] == c->projects[i].id) {
				i++;
				continue;
			}
		}
		if (j < n_fresh && (i == c->n_projects || fresh[j].id < c->projects[i].id))
			merged[m++] = fresh[j++];
		else
			merged[m++] = c->projects[i++];
	}
	free(fresh);
	free(c->projects);
	c->projects = merged;
	c->n_projects = m;
	return LS_OK;
}

/* Brings everything kept up to date for the n projects ids (ascending,
 * none of them 0): gathered again, or, when they are more than an eighth
 * of a big set, dropped to be read whole when next asked for. */
static int qc_refresh(srv_store *s, struct srv_qcache *c, const int64_t *ids, size_t n,
                      ls_status *st)
{
	char *json = json_ids(ids, n);
	if (json == NULL)
		return oom(st);
	int code = LS_OK;
	for (int i = 0; i < QC_DAYS && code == LS_OK; i++) {
		qc_day *d = &c->days[i];
		if (!d->used)
			continue;
		if (n * 8 > d->set.n + 64) {
			srv_store_query_set_free(&d->set);
			d->used = false;
		} else {
			code = qc_day_refresh(s, d, ids, n, json, st);
		}
	}
	if (code == LS_OK && c->have_details) {
		if (n * 8 > c->n_projects + 64)
			qc_details_drop(c);
		else
			code = qc_details_refresh(s, c, ids, n, json, st);
	}
	free(json);
	return code;
}

static const qc_name *qc_name_of(const qc_name *names, size_t n, int64_t id)
{
	ptrdiff_t i = n ? find_id(&names[0].id, n, sizeof names[0], id) : -1;
	return i < 0 ? NULL : &names[i];
}

/* SQL_DETAILS from the kept copy: a project whose leader or unit is not
 * there is left empty, as the joins leave it. */
static void details_kept(const struct srv_qcache *c, const int64_t *ids, size_t n, srv_qdetail *out)
{
	const char *t = c->text.p;
	for (size_t i = 0; i < n; i++) {
		ptrdiff_t k = c->n_projects ? find_id(&c->projects[0].id, c->n_projects,
		                                      sizeof c->projects[0], ids[i])
		                            : -1;
		if (k < 0)
			continue;
		const qc_project *p = &c->projects[k];
		const qc_name *leader = qc_name_of(c->people, c->n_people, p->leader);
		const qc_name *unit = qc_name_of(c->units, c->n_units, p->unit);
		const qc_name *town = p->town ? qc_name_of(c->units, c->n_units, p->town) : NULL;
		if (leader == NULL || unit == NULL)
			continue;
		out[i].id = p->id;
		const char *texts[QD_TEXTS] = {t + p->code,
		                               t + p->name,
		                               t + p->level,
		                               town ? t + town->code : "",
		                               town ? t + town->name : "",
		                               t + leader->code,
		                               t + leader->name,
		                               t + unit->code,
		                               t + unit->name,
		                               t + p->newest};
		detail_set(&out[i], texts);
	}
}

int srv_store_query_details(srv_store *s, const int64_t *ids, size_t n, srv_qdetail *out,
                            char **text, ls_status *st)
{
	static const char *const none[QD_TEXTS] = {"", "", "", "", "", "", "", "", "", ""};
	*text = NULL;
	for (size_t i = 0; i < n; i++) {
		out[i].id = 0;
		detail_set(&out[i], none);
	}
	if (n == 0)
		return LS_OK;
	/* Many projects: from the copy kept in memory (read whole on the first
	 * such call); a few: from the database. */
	struct srv_qcache *c = qcache(s, st);
	if (c == NULL)
		return st->code;
	int64_t last_id = 0;
	if (!c->have_details && last_project_id(s, &last_id, st) != LS_OK)
		return st->code;
	if (!c->have_details && (int64_t)n * 8 < last_id)
		return details_sql(s, ids, n, out, text, st);
	if (qc_details(s, c, st) != LS_OK)
		return st->code;
	details_kept(c, ids, n, out);
	return LS_OK;
}

/* ---- compliance ------------------------------------------------------------------ */

static const char SQL_COMPLIANCE[] =
    "SELECT pr.code, pr.name, coalesce(p.town_id, 0), coalesce(t.code, ''), "
    "coalesce(t.name, ''), EXISTS (SELECT 1 FROM updates u WHERE u.project_id = p.id "
    "AND u.period = :period AND substr(u.submitted_at, 1, 10) <= :day) "
    "FROM query_projects p JOIN projects pr ON pr.id = p.id "
    "LEFT JOIN units t ON t.id = p.town_id "
    "WHERE p.monthly = 0 AND p.start_day <= :last_day AND p.finish_day >= :first_day "
    "AND NOT EXISTS (SELECT 1 FROM updates c WHERE c.project_id = p.id AND c.latest = 1 "
    "AND c.percent >= 100 AND c.period_last < :first "
    "AND substr(c.submitted_at, 1, 10) <= :day) "
    "AND " PROJECT_FILTER " AND " SRV_PROJECT_VISIBLE " ORDER BY t.code, pr.code";

int srv_store_query_compliance(srv_store *s, const srv_scope *sc, const srv_query_filter *f,
                               const char *period, const char *first, const char *last,
                               srv_qdue **out, size_t *n, ls_status *st)
{
	*out = NULL;
	*n = 0;
	srv_q *q = srv_stmt(s, SQL_COMPLIANCE);
	if (q == NULL)
		return no_stmt(st);
	char day[11];
	bind_filter(q, sc, f);
	int32_t first_day, last_day;
	if (!ls_date_parse(first, &first_day) || !ls_date_parse(last, &last_day))
		return ls_status_set(st, LS_INTERNAL, "compliance: malformed week");
	bind_text(q, ":period", period);
	bind_text(q, ":first", first);
	bind_int64(q, ":first_day", first_day);
	bind_int64(q, ":last_day", last_day);
	bind_date(q, ":day", f->as_of, day);
	size_t cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (!grow((void **)out, &cap, *n + 1, sizeof **out)) {
			code = oom(st);
			break;
		}
		srv_qdue *r = &(*out)[(*n)++];
		srv_column_text(r->code, sizeof r->code, q, 0);
		srv_column_text(r->name, sizeof r->name, q, 1);
		r->town = srv_col_int64(q, 2);
		srv_column_text(r->town_code, sizeof r->town_code, q, 3);
		srv_column_text(r->town_name, sizeof r->town_name, q, 4);
		r->submitted = srv_col_int(q, 5) != 0;
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read compliance", st);
	if (code != LS_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return code;
}

/* ---- snapshots ---------------------------------------------------------------------- */

void srv_store_query_snaprows_free(srv_snaprow *rows, size_t n)
{
	for (size_t i = 0; rows != NULL && i < n; i++) {
		free(rows[i].reasons);
		free(rows[i].progress);
		free((void *)rows[i].input.node_due);
	}
	free(rows);
}

static const char SQL_TOTALS[] =
    "SELECT count(*), count(*) FILTER (WHERE status = 'on_track'), "
    "count(*) FILTER (WHERE status = 'lagging'), "
    "count(*) FILTER (WHERE status = 'seriously_lagging'), "
    "coalesce(sum(annual_plan), 0), coalesce(sum(planned_ytd), 0), "
    "coalesce(sum(completed_ytd), 0), coalesce(sum(output_ytd), 0), "
    "coalesce(sum(nodes_due), 0), coalesce(sum(nodes_done), 0), "
    "coalesce(sum(problems_raised), 0), coalesce(sum(problems_resolved), 0), "
    "coalesce(sum(problems_open), 0), coalesce(sum(problems_overdue), 0) "
    "FROM snapshot_rows WHERE snapshot_id = ?1";

static int read_totals(srv_store *s, int64_t id, srv_snaptotals *t, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_TOTALS);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, id);
	int rc = srv_step(q);
	if (rc == SRV_ROW) {
		t->projects = (uint32_t)srv_col_int64(q, 0);
		t->on_track = (uint32_t)srv_col_int64(q, 1);
		t->lagging = (uint32_t)srv_col_int64(q, 2);
		t->seriously_lagging = (uint32_t)srv_col_int64(q, 3);
		t->annual_plan = srv_col_int64(q, 4);
		t->planned_ytd = srv_col_int64(q, 5);
		t->completed_ytd = srv_col_int64(q, 6);
		t->output_ytd = srv_col_int64(q, 7);
		t->nodes_due = (uint32_t)srv_col_int64(q, 8);
		t->nodes_done = (uint32_t)srv_col_int64(q, 9);
		t->raised = (uint32_t)srv_col_int64(q, 10);
		t->resolved = (uint32_t)srv_col_int64(q, 11);
		t->open = (uint32_t)srv_col_int64(q, 12);
		t->overdue = (uint32_t)srv_col_int64(q, 13);
	}
	srv_stmt_done(q);
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "read snapshot totals", st);
	return LS_OK;
}

#define SNAPSHOT_SELECT                                                                 \
	"SELECT s.id, s.month, s.as_of, s.root_unit_id, u.code, u.name, s.created_at, " \
	"coalesce(a.name, '') FROM snapshots s JOIN units u ON u.id = s.root_unit_id "  \
	"LEFT JOIN accounts a ON a.id = s.created_by "

static const char SQL_SNAPSHOT_BY_ID[] = SNAPSHOT_SELECT "WHERE s.id = ?1 AND s.root_unit_id = ?2";
static const char SQL_SNAPSHOT_BY_MONTH[] =
    SNAPSHOT_SELECT "WHERE s.month = ?1 AND s.root_unit_id = ?2";
static const char SQL_SNAPSHOT_LIST[] =
    SNAPSHOT_SELECT "WHERE s.root_unit_id = ?1 AND (?2 = 0 OR s.id < ?2) ORDER BY s.id DESC "
                    "LIMIT ?3";

static void read_snapshot(srv_q *q, srv_snapshot *out)
{
	memset(out, 0, sizeof *out);
	out->id = srv_col_int64(q, 0);
	srv_column_text(out->month, sizeof out->month, q, 1);
	srv_column_text(out->as_of, sizeof out->as_of, q, 2);
	out->root = srv_col_int64(q, 3);
	srv_column_text(out->unit_code, sizeof out->unit_code, q, 4);
	srv_column_text(out->unit_name, sizeof out->unit_name, q, 5);
	srv_column_text(out->created_at, sizeof out->created_at, q, 6);
	srv_column_text(out->created_by, sizeof out->created_by, q, 7);
}

int srv_store_query_snapshot_get(srv_store *s, int64_t root, int64_t id, const char *month,
                                 srv_snapshot *out, ls_status *st)
{
	srv_q *q = srv_stmt(s, id > 0 ? SQL_SNAPSHOT_BY_ID : SQL_SNAPSHOT_BY_MONTH);
	if (q == NULL)
		return no_stmt(st);
	if (id > 0)
		srv_bind_int64(q, 1, id);
	else
		srv_bind_text(q, 1, month);
	srv_bind_int64(q, 2, root);
	int rc = srv_step(q);
	if (rc == SRV_ROW)
		read_snapshot(q, out);
	srv_stmt_done(q);
	if (rc == SRV_DONE)
		return LS_NOT_FOUND;
	if (rc != SRV_ROW)
		return srv_store_error(s, rc, "read snapshot", st);
	return read_totals(s, out->id, &out->totals, st);
}

int srv_store_query_snapshot_list(srv_store *s, int64_t root, int64_t before, int limit,
                                  srv_snapshot **out, size_t *n, ls_status *st)
{
	*out = NULL;
	*n = 0;
	srv_q *q = srv_stmt(s, SQL_SNAPSHOT_LIST);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, root);
	srv_bind_int64(q, 2, before);
	srv_bind_int64(q, 3, limit);
	size_t cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (!grow((void **)out, &cap, *n + 1, sizeof **out)) {
			code = oom(st);
			break;
		}
		read_snapshot(q, &(*out)[(*n)++]);
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "list snapshots", st);
	for (size_t i = 0; code == LS_OK && i < *n; i++)
		code = read_totals(s, (*out)[i].id, &(*out)[i].totals, st);
	if (code != LS_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return code;
}

#define SNAPROW_COLUMNS                                                                        \
	"r.project_id, r.code, r.name, r.level, r.category, r.stage, coalesce(r.town_code, "   \
	"''), coalesce(r.town_name, ''), r.leader_name, r.lead_unit_name, r.annual_plan, "     \
	"r.planned_month, r.planned_ytd, r.completed_month, r.completed_ytd, r.output_month, " \
	"r.output_ytd, r.percent, r.expected_percent, r.status, r.reasons, "                   \
	"coalesce(r.last_period, ''), r.progress, r.nodes_due, r.nodes_done, "                 \
	"r.problems_raised, r.problems_resolved, r.problems_open, r.problems_overdue "

static const char SQL_SNAPSHOT_ROWS[] =
    "SELECT " SNAPROW_COLUMNS ", s.month FROM snapshot_rows r "
    "JOIN snapshots s ON s.id = r.snapshot_id JOIN projects p ON p.id = r.project_id "
    "WHERE r.snapshot_id = :id AND r.project_id > :after AND " SRV_PROJECT_VISIBLE
    " ORDER BY r.project_id LIMIT :limit";

/* The status as snapshot_rows spells it, and back. */
static const char *status_text(int status)
{
	return ls_projstatus_name(status);
}

static int status_of(const char *text)
{
	for (int i = LS_PROJSTATUS_ON_TRACK; i <= LS_PROJSTATUS_SERIOUSLY_LAGGING; i++)
		if (text != NULL && strcmp(text, ls_projstatus_name(i)) == 0)
			return i;
	return LS_PROJSTATUS_UNSPECIFIED;
}

/* Reads a row of SNAPROW_COLUMNS followed by the snapshot's month. */
static bool read_snaprow(srv_q *q, srv_snaprow *r)
{
	bool failed = false;
	memset(r, 0, sizeof *r);
	r->project_id = srv_col_int64(q, 0);
	srv_column_text(r->code, sizeof r->code, q, 1);
	srv_column_text(r->name, sizeof r->name, q, 2);
	srv_column_text(r->level, sizeof r->level, q, 3);
	srv_column_text(r->category, sizeof r->category, q, 4);
	srv_column_text(r->stage, sizeof r->stage, q, 5);
	srv_column_text(r->town_code, sizeof r->town_code, q, 6);
	srv_column_text(r->town_name, sizeof r->town_name, q, 7);
	srv_column_text(r->leader_name, sizeof r->leader_name, q, 8);
	srv_column_text(r->unit_name, sizeof r->unit_name, q, 9);
	r->annual_plan = srv_col_int64(q, 10);
	r->planned_month = srv_col_int64(q, 11);
	r->planned_ytd = srv_col_int64(q, 12);
	r->completed_month = srv_col_int64(q, 13);
	r->completed_ytd = srv_col_int64(q, 14);
	r->output_month = srv_col_int64(q, 15);
	r->output_ytd = srv_col_int64(q, 16);
	r->has_percent = !srv_col_null(q, 17);
	r->percent = srv_col_int(q, 17);
	r->expected = srv_col_int(q, 18);
	r->status = status_of(srv_col_text(q, 19));
	r->reasons = column_dup(q, 20, &failed);
	srv_column_text(r->last_period, sizeof r->last_period, q, 21);
	r->progress = column_dup(q, 22, &failed);
	r->nodes_due = (uint32_t)srv_col_int64(q, 23);
	r->nodes_done = (uint32_t)srv_col_int64(q, 24);
	r->raised = (uint32_t)srv_col_int64(q, 25);
	r->resolved = (uint32_t)srv_col_int64(q, 26);
	r->open = (uint32_t)srv_col_int64(q, 27);
	r->overdue = (uint32_t)srv_col_int64(q, 28);
	srv_column_text(r->month, sizeof r->month, q, 29);
	return !failed;
}

/* Reads every row of q into *out. */
static int read_snaprows(srv_store *s, srv_q *q, srv_snaprow **out, size_t *n, ls_status *st)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (!grow((void **)out, &cap, *n + 1, sizeof **out)) {
			code = oom(st);
			break;
		}
		if (!read_snaprow(q, &(*out)[(*n)++])) {
			code = oom(st);
			break;
		}
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read snapshot rows", st);
	if (code != LS_OK) {
		srv_store_query_snaprows_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return code;
}

int srv_store_query_snapshot_rows(srv_store *s, const srv_scope *sc, int64_t id, int64_t after,
                                  int limit, srv_snaprow **out, size_t *n, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_SNAPSHOT_ROWS);
	if (q == NULL)
		return no_stmt(st);
	srv_scope_bind(q, sc);
	bind_int64(q, ":id", id);
	bind_int64(q, ":after", after);
	bind_int64(q, ":limit", limit);
	return read_snaprows(s, q, out, n, st);
}

/* Plan against actual for the month :month ("YYYY-MM", of year :year,
 * number :m, last day :last), by the months the periods belong to. */
static const char SQL_MONTH_ROWS[] =
    "SELECT p.id, p.code, p.name, p.level, p.category, p.stage, coalesce(t.code, ''), "
    "coalesce(t.name, ''), pe.name, u.name, "
    "(SELECT coalesce(sum(invested), 0) FROM plans WHERE project_id = p.id AND year = :year), "
    "(SELECT coalesce(sum(invested), 0) FROM plans WHERE project_id = p.id AND year = :year "
    "AND month = :m), "
    "(SELECT coalesce(sum(invested), 0) FROM plans WHERE project_id = p.id AND year = :year "
    "AND month <= :m), "
    "(SELECT coalesce(sum(invested), 0) FROM updates WHERE project_id = p.id AND latest = 1 "
    "AND month = :month), "
    "(SELECT coalesce(sum(invested), 0) FROM updates WHERE project_id = p.id AND latest = 1 "
    "AND year = :year AND month <= :month), "
    "(SELECT coalesce(sum(output), 0) FROM updates WHERE project_id = p.id AND latest = 1 "
    "AND month = :month), "
    "(SELECT coalesce(sum(output), 0) FROM updates WHERE project_id = p.id AND latest = 1 "
    "AND year = :year AND month <= :month), "
    "(SELECT count(*) FROM nodes WHERE project_id = p.id AND due_date <= :last), "
    "(SELECT count(*) FROM nodes WHERE project_id = p.id AND due_date <= :last "
    "AND done_date <= :last), "
    "(SELECT count(*) FROM problems WHERE project_id = p.id AND raised_on <= :last), "
    "(SELECT count(*) FROM problems WHERE project_id = p.id AND raised_on <= :last "
    "AND resolved_on <= :last), "
    "(SELECT count(*) FROM problems WHERE project_id = p.id AND raised_on <= :last "
    "AND (resolved_on IS NULL OR resolved_on > :last) AND due_date < :last) "
    "FROM projects p LEFT JOIN units t ON t.id = p.town_id "
    "JOIN people pe ON pe.id = p.lead_leader_id JOIN units u ON u.id = p.lead_unit_id "
    "WHERE p.archived = 0 AND " SRV_PROJECT_VISIBLE " ORDER BY p.id";

static const char SQL_MONTH_PROGRESS[] =
    "SELECT progress FROM updates WHERE project_id = ?1 AND period = ?2 "
    "AND substr(submitted_at, 1, 10) <= ?3 ORDER BY revision DESC LIMIT 1";

/* The progress text of r's last period in its latest revision sent by day. */
static int month_progress(srv_store *s, srv_snaprow *r, const char *day, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_MONTH_PROGRESS);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_int64(q, 1, r->project_id);
	srv_bind_text(q, 2, r->last_period);
	srv_bind_text(q, 3, day);
	int rc = srv_step(q);
	bool failed = false;
	if (rc == SRV_ROW)
		r->progress = column_dup(q, 0, &failed);
	srv_stmt_done(q);
	if (failed)
		return oom(st);
	if (rc != SRV_ROW && rc != SRV_DONE)
		return srv_store_error(s, rc, "read the progress of the month", st);
	return LS_OK;
}

int srv_store_query_month_rows(srv_store *s, const srv_scope *sc, int year, int month, int32_t last,
                               srv_snaprow **out, size_t *n, ls_status *st)
{
	*out = NULL;
	*n = 0;
	srv_q *q = srv_stmt(s, SQL_MONTH_ROWS);
	if (q == NULL)
		return no_stmt(st);
	char mtext[8], day[11];
	snprintf(mtext, sizeof mtext, "%04d-%02d", year, month);
	srv_scope_bind(q, sc);
	bind_int64(q, ":year", year);
	bind_int64(q, ":m", month);
	bind_text(q, ":month", mtext);
	bind_date(q, ":last", last, day);
	size_t cap = 0;
	int rc, code = LS_OK;
	while ((rc = srv_step(q)) == SRV_ROW) {
		if (!grow((void **)out, &cap, *n + 1, sizeof **out)) {
			code = oom(st);
			break;
		}
		srv_snaprow *r = &(*out)[(*n)++];
		bool failed = false;
		memset(r, 0, sizeof *r);
		r->project_id = srv_col_int64(q, 0);
		srv_column_text(r->code, sizeof r->code, q, 1);
		srv_column_text(r->name, sizeof r->name, q, 2);
		srv_column_text(r->level, sizeof r->level, q, 3);
		srv_column_text(r->category, sizeof r->category, q, 4);
		srv_column_text(r->stage, sizeof r->stage, q, 5);
		srv_column_text(r->town_code, sizeof r->town_code, q, 6);
		srv_column_text(r->town_name, sizeof r->town_name, q, 7);
		srv_column_text(r->leader_name, sizeof r->leader_name, q, 8);
		srv_column_text(r->unit_name, sizeof r->unit_name, q, 9);
		r->annual_plan = srv_col_int64(q, 10);
		r->planned_month = srv_col_int64(q, 11);
		r->planned_ytd = srv_col_int64(q, 12);
		r->completed_month = srv_col_int64(q, 13);
		r->completed_ytd = srv_col_int64(q, 14);
		r->output_month = srv_col_int64(q, 15);
		r->output_ytd = srv_col_int64(q, 16);
		r->nodes_due = (uint32_t)srv_col_int64(q, 17);
		r->nodes_done = (uint32_t)srv_col_int64(q, 18);
		r->raised = (uint32_t)srv_col_int64(q, 19);
		r->resolved = (uint32_t)srv_col_int64(q, 20);
		r->open = r->raised - r->resolved;
		r->overdue = (uint32_t)srv_col_int64(q, 21);
		snprintf(r->month, sizeof r->month, "%s", mtext);
		if (failed) {
			code = oom(st);
			break;
		}
	}
	srv_stmt_done(q);
	if (code == LS_OK && rc != SRV_DONE)
		code = srv_store_error(s, rc, "read the month's projects", st);
	/* The status of the month's last day, gathered as for one project,
	 * and the visible progress of the period it takes. */
	for (size_t i = 0; code == LS_OK && i < *n; i++) {
		srv_snaprow *r = &(*out)[i];
		code = srv_store_project_status_inputs(s, r->project_id, last, &r->input,
		                                       r->last_period, st);
		if (code == LS_OK && r->last_period[0] != '\0')
			code = month_progress(s, r, day, st);
	}
	if (code != LS_OK) {
		srv_store_query_snaprows_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return code;
}

static const char SQL_SNAPSHOT_INSERT[] =
    "INSERT INTO snapshots(month, root_unit_id, as_of, created_at, created_by) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_SNAPROW_INSERT[] =
    "INSERT INTO snapshot_rows(snapshot_id, project_id, code, name, level, category, stage, "
    "town_code, town_name, leader_name, lead_unit_name, annual_plan, planned_month, "
    "planned_ytd, completed_month, completed_ytd, output_month, output_ytd, percent, "
    "expected_percent, status, reasons, last_period, progress, nodes_due, nodes_done, "
    "problems_raised, problems_resolved, problems_open, problems_overdue) VALUES (:snapshot, "
    ":project, :code, :name, :level, :category, :stage, :town_code, :town_name, :leader, "
    ":unit, :annual_plan, :planned_month, :planned_ytd, :completed_month, :completed_ytd, "
    ":output_month, :output_ytd, :percent, :expected, :status, :reasons, :last_period, "
    ":progress, :nodes_due, :nodes_done, :raised, :resolved, :open, :overdue)";
static const char SQL_LOCK[] =
    "INSERT INTO period_locks(month, locked_at, locked_by) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(month) DO NOTHING";

static int step_done(srv_store *s, srv_q *q, const char *what, ls_status *st)
{
	int rc = srv_step(q);
	srv_stmt_done(q);
	if (rc != SRV_DONE)
		return srv_store_error(s, rc, what, st);
	return LS_OK;
}

static int insert_snaprow(srv_store *s, int64_t snapshot, const srv_snaprow *r, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_SNAPROW_INSERT);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":snapshot", snapshot);
	bind_int64(q, ":project", r->project_id);
	bind_text(q, ":code", r->code);
	bind_text(q, ":name", r->name);
	bind_text(q, ":level", r->level);
	bind_text(q, ":category", r->category);
	bind_text(q, ":stage", r->stage);
	bind_text(q, ":town_code", r->town_code[0] ? r->town_code : NULL);
	bind_text(q, ":town_name", r->town_code[0] ? r->town_name : NULL);
	bind_text(q, ":leader", r->leader_name);
	bind_text(q, ":unit", r->unit_name);
	bind_int64(q, ":annual_plan", r->annual_plan);
	bind_int64(q, ":planned_month", r->planned_month);
	bind_int64(q, ":planned_ytd", r->planned_ytd);
	bind_int64(q, ":completed_month", r->completed_month);
	bind_int64(q, ":completed_ytd", r->completed_ytd);
	bind_int64(q, ":output_month", r->output_month);
	bind_int64(q, ":output_ytd", r->output_ytd);
	if (r->has_percent)
		bind_int64(q, ":percent", r->percent);
	bind_int64(q, ":expected", r->expected);
	bind_text(q, ":status", status_text(r->status));
	bind_text(q, ":reasons", r->reasons ? r->reasons : "");
	bind_text(q, ":last_period", r->last_period[0] ? r->last_period : NULL);
	bind_text(q, ":progress", r->progress);
	bind_int64(q, ":nodes_due", r->nodes_due);
	bind_int64(q, ":nodes_done", r->nodes_done);
	bind_int64(q, ":raised", r->raised);
	bind_int64(q, ":resolved", r->resolved);
	bind_int64(q, ":open", r->open);
	bind_int64(q, ":overdue", r->overdue);
	return step_done(s, q, "insert snapshot row", st);
}

int srv_store_query_snapshot_insert(srv_store *s, int64_t root, const char *month,
                                    const char *as_of, int64_t account, const char *now,
                                    const srv_snaprow *rows, size_t n, int64_t *id, ls_status *st)
{
	srv_q *q = srv_stmt(s, SQL_SNAPSHOT_INSERT);
	if (q == NULL)
		return no_stmt(st);
	srv_bind_text(q, 1, month);
	srv_bind_int64(q, 2, root);
	srv_bind_text(q, 3, as_of);
	srv_bind_text(q, 4, now);
	if (account > 0)
		srv_bind_int64(q, 5, account);
	int code = step_done(s, q, "insert snapshot", st);
	if (code != LS_OK)
		return code;
	*id = srv_last_id(s);
	for (size_t i = 0; i < n; i++)
		if ((code = insert_snaprow(s, *id, &rows[i], st)) != LS_OK)
			return code;
	if ((q = srv_stmt(s, SQL_LOCK)) == NULL)
		return no_stmt(st);
	srv_bind_text(q, 1, month);
	srv_bind_text(q, 2, now);
	if (account > 0)
		srv_bind_int64(q, 3, account);
	return step_done(s, q, "lock month", st);
}

/* Each project's row of the latest snapshot of the quarter that holds it. */
static const char SQL_DISCLOSURE[] =
    "SELECT " SNAPROW_COLUMNS ", s.month FROM snapshot_rows r "
    "JOIN snapshots s ON s.id = r.snapshot_id "
    "WHERE s.root_unit_id = :root AND s.month BETWEEN :first AND :last "
    "AND s.month = (SELECT max(s2.month) FROM snapshot_rows r2 "
    "JOIN snapshots s2 ON s2.id = r2.snapshot_id WHERE r2.project_id = r.project_id "
    "AND s2.root_unit_id = :root AND s2.month BETWEEN :first AND :last) "
    "ORDER BY r.code";
static const char SQL_DISCLOSURE_MONTHS[] =
    "SELECT month FROM snapshots WHERE root_unit_id = :root AND month BETWEEN :first AND :last "
    "ORDER BY month LIMIT 3";

int srv_store_query_disclosure(srv_store *s, int64_t root, const char *first, const char *last,
                               srv_snaprow **out, size_t *n, char months[3][8], int *n_months,
                               ls_status *st)
{
	*out = NULL;
	*n = 0;
	*n_months = 0;
	srv_q *q = srv_stmt(s, SQL_DISCLOSURE_MONTHS);
	if (q == NULL)
		return no_stmt(st);
	bind_int64(q, ":root", root);
	bind_text(q, ":first", first);
	bind_text(q, ":last", last);
	int rc;
	while ((rc = srv_step(q)) == SRV_ROW && *n_months < 3)
		srv_column_text(months[(*n_months)++], 8, q, 0);
	srv_stmt_done(q);
	if (rc != SRV_DONE && rc != SRV_ROW)
		return srv_store_error(s, rc, "read reconciled months", st);
	if (*n_months == 0)
		return LS_OK;
	if ((q = srv_stmt(s, SQL_DISCLOSURE)) == NULL)
		return no_stmt(st);
	bind_int64(q, ":root", root);
	bind_text(q, ":first", first);
	bind_text(q, ":last", last);
	return read_snaprows(s, q, out, n, st);
}
