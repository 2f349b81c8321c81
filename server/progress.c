/* ProgressService: the weekly (or monthly) progress updates, the system's
 * main write, and the derived status of a project.
 *
 * A town office reports on the projects standing in its town, an admin on
 * any in its scope. Every report for a project and period is a new
 * revision; the old ones stay. A reconciled month (period_locks) takes no
 * more revisions. Year-to-date and since-start sums are read from the
 * latest revisions, never stored. */
#include "luoshi/v1/progress.pb-c.h"
#include "luoshi/v1/schedule.pb-c.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "projstatus.h"
#include "server.h"
#include "store/progress.h"

#define MONEY_MAX 1000000000LL /* 万元 */
#define TEXT_MAX_BYTES 2000
#define NAME_MAX_BYTES 200
#define PHOTO_MAX_BYTES (2u * 1024u * 1024u)
#define NODES_MAX 100
#define BATCH_MAX 5000
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

/* Long enough for "updates[4999].photos[3].data". */
#define FIELD_SIZE 64

_Static_assert((int)LS_PROJSTATUS_SERIOUSLY_LAGGING ==
                   (int)LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING,
               "ls_projstatus_level follows luoshi.v1.ProjectStatus");

/* prefix + name: "updates[3]." + "percent". */
static const char *field(char buf[FIELD_SIZE], const char *prefix, const char *name)
{
	snprintf(buf, FIELD_SIZE, "%s%s", prefix, name);
	return buf;
}

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- messages ------------------------------------------------------------ */

/* An Update message and the storage its photos point into. */
typedef struct update_msg {
	Luoshi__V1__Update m;
	Luoshi__V1__PhotoRef refs[SRV_UPDATE_MAX_PHOTOS];
	Luoshi__V1__PhotoRef *ref_ptrs[SRV_UPDATE_MAX_PHOTOS];
} update_msg;

static void photo_ref_to_proto(const srv_photo_ref *r, Luoshi__V1__PhotoRef *m)
{
	luoshi__v1__photo_ref__init(m);
	m->has_id = true;
	m->id = r->id;
	m->name = (char *)r->name;
	m->content_type = (char *)r->content_type;
	m->has_size = true;
	m->size = (uint32_t)r->size;
}

/* Fills out from u; out points into u, so u must outlive it. */
static void update_to_proto(const srv_update *u, update_msg *out)
{
	Luoshi__V1__Update *m = &out->m;
	luoshi__v1__update__init(m);
	m->has_id = true;
	m->id = u->id;
	m->project_code = (char *)u->project_code;
	m->project_name = (char *)u->project_name;
	m->period = (char *)u->period;
	m->has_revision = true;
	m->revision = (uint32_t)u->revision;
	m->unit_code = (char *)u->unit_code;
	m->unit_name = (char *)u->unit_name;
	if (u->account_name[0] != '\0')
		m->account_name = (char *)u->account_name;
	m->has_invested = true;
	m->invested = u->invested;
	m->has_output = u->has_output;
	m->output = u->output;
	m->has_percent = true;
	m->percent = (uint32_t)u->percent;
	m->progress = u->progress;
	m->n_nodes_done = u->n_nodes;
	m->nodes_done = u->nodes;
	m->next_plan = u->next_plan;
	m->support_needed = u->support_needed;
	for (int i = 0; i < u->n_photos; i++) {
		photo_ref_to_proto(&u->photos[i], &out->refs[i]);
		out->ref_ptrs[i] = &out->refs[i];
	}
	m->n_photos = (size_t)u->n_photos;
	m->photos = out->ref_ptrs;
	m->submitted_at = (char *)u->submitted_at;
	m->has_latest = true;
	m->latest = u->latest;
	m->has_ytd_invested = true;
	m->ytd_invested = u->ytd_invested;
	m->has_total_invested = true;
	m->total_invested = u->total_invested;
}

/* Messages for n rows, with the pointer array a repeated field takes. NULL
 * when out of memory. */
static update_msg *updates_to_proto(const srv_update *rows, size_t n, Luoshi__V1__Update ***ptrs)
{
	update_msg *msgs = calloc(n ? n : 1, sizeof *msgs);
	*ptrs = calloc(n ? n : 1, sizeof **ptrs);
	if (msgs == NULL || *ptrs == NULL) {
		free(msgs);
		free(*ptrs);
		*ptrs = NULL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		update_to_proto(&rows[i], &msgs[i]);
		(*ptrs)[i] = &msgs[i].m;
	}
	return msgs;
}

/* ---- finding the project -------------------------------------------------- */

/* Finds the project a read names. Unknown and out of scope answer alike:
 * NOT_FOUND, so that a read does not reveal what exists. */
static int find_for_read(srv_call *c, const char *text, const char *name, int64_t *id)
{
	bool visible = false;
	int rc = srv_store_progress_find_project(c->srv->store, srv_call_scope(c), text, name, id,
	                                         &visible, &c->status);
	if (rc == LS_OK && visible)
		return LS_OK;
	if (rc == LS_OK || rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, name,
		                "%s: no project you may read has the code or "
		                "name \"%s\"",
		                name, text);
	return rc;
}

/* ---- submitting one update -------------------------------------------------- */

/* What the bytes of a photo are: "image/jpeg", "image/png", or NULL. */
static const char *photo_type(const uint8_t *d, size_t n)
{
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return "image/jpeg";
	if (n >= sizeof png && memcmp(d, png, sizeof png) == 0)
		return "image/png";
	return NULL;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Works out the period an update is for. */
static int settle_period(srv_call *c, const Luoshi__V1__SubmitUpdateRequest *in, const char *prefix,
                         const srv_progress_project *proj, ls_period *per)
{
	char f[FIELD_SIZE];
	int32_t today = ls_today();
	bool week = given(in->week), month = given(in->month), date = given(in->date);
	if (week && month)
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "week"),
		                "%s: give week or month, not both", f);
	if (date && (week || month))
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "date"),
		                "%s stands for a missing week or month; give one of the three", f);
	if (week) {
		field(f, prefix, "week");
		if (!ls_period_parse(in->week, per) || per->kind != LS_PERIOD_WEEK)
			return srv_fail(c, LS_INVALID_ARGUMENT, f,
			                "%s must be an ISO week that exists, such as 2026-W48, not "
			                "\"%s\"",
			                f, in->week);
		if (proj->monthly)
			return srv_fail(c, LS_INVALID_ARGUMENT, f,
			                "%s: project %s reports monthly; give month, not week", f,
			                proj->code);
	} else if (month) {
		field(f, prefix, "month");
		if (!ls_period_parse(in->month, per) || per->kind != LS_PERIOD_MONTH)
			return srv_fail(c, LS_INVALID_ARGUMENT, f,
			                "%s must be a month such as 2026-11, not \"%s\"", f,
			                in->month);
		if (!proj->monthly)
			return srv_fail(c, LS_INVALID_ARGUMENT, f,
			                "%s: project %s reports weekly; give week, not month", f,
			                proj->code);
	} else {
		int32_t day = today;
		if (date) {
			field(f, prefix, "date");
			if (!ls_date_parse(in->date, &day))
				return srv_fail(c, LS_INVALID_ARGUMENT, f,
				                "%s must be a date (YYYY-MM-DD), not \"%s\"", f,
				                in->date);
			if (day > today) {
				char t[11];
				ls_date_format(today, t);
				return srv_fail(c, LS_INVALID_ARGUMENT, f,
				                "%s %s is after today (%s)", f, in->date, t);
			}
		}
		ls_period_of(proj->monthly ? LS_PERIOD_MONTH : LS_PERIOD_WEEK, day, per);
		return LS_OK;
	}
	if (per->first > today) {
		char text[16], first[11];
		ls_period_format(per, text);
		ls_date_format(per->first, first);
		return srv_fail(c, LS_INVALID_ARGUMENT, f,
		                "%s: %s has not begun yet; it begins on %s", f, text, first);
	}
	return LS_OK;
}

/* The figures and texts of an update. */
static int check_body(srv_call *c, const Luoshi__V1__SubmitUpdateRequest *in, const char *prefix)
{
	char f[FIELD_SIZE];
	if (!in->has_invested)
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "invested"),
		                "%s is required: the investment completed in the period, in 万元",
		                f);
	if (in->invested < 0 || in->invested > MONEY_MAX)
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "invested"),
		                "%s must be 0 to %lld 万元, not %" PRId64, f, MONEY_MAX,
		                in->invested);
	if (!in->has_percent)
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "percent"),
		                "%s is required: the percent complete, 0 to 100", f);
	if (in->percent > 100)
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "percent"),
		                "%s must be 0 to 100, not %u", f, in->percent);
	if (!given(in->progress))
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "progress"),
		                "%s is required: the visible progress in words (形象进度)", f);
	static const struct {
		const char *name;
		size_t offset;
	} texts[] = {
	    {"progress", offsetof(Luoshi__V1__SubmitUpdateRequest, progress)},
	    {"next_plan", offsetof(Luoshi__V1__SubmitUpdateRequest, next_plan)},
	    {"support_needed", offsetof(Luoshi__V1__SubmitUpdateRequest, support_needed)},
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		const char *t = *(char *const *)((const char *)in + texts[i].offset);
		if (t != NULL && strlen(t) > TEXT_MAX_BYTES)
			return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, texts[i].name),
			                "%s is %zu bytes; at most %d are allowed", f, strlen(t),
			                TEXT_MAX_BYTES);
	}
	if (in->has_output && (in->output < 0 || in->output > MONEY_MAX))
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "output"),
		                "%s must be 0 to %lld 万元, not %" PRId64, f, MONEY_MAX,
		                in->output);
	if (in->n_photos > SRV_UPDATE_MAX_PHOTOS)
		return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, "photos"),
		                "%s: at most %d photos, not %zu", f, SRV_UPDATE_MAX_PHOTOS,
		                in->n_photos);
	for (size_t i = 0; i < in->n_photos; i++) {
		const Luoshi__V1__Photo *p = in->photos[i];
		char name[FIELD_SIZE];
		snprintf(name, sizeof name, "photos[%zu].data", i);
		if (!p->has_data || p->data.len == 0)
			return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, name),
			                "%s is empty", f);
		if (p->data.len > PHOTO_MAX_BYTES)
			return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, name),
			                "%s is %zu bytes; a photo may have at most %u", f,
			                p->data.len, PHOTO_MAX_BYTES);
		if (photo_type(p->data.data, p->data.len) == NULL)
			return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, name),
			                "%s is neither a JPEG nor a PNG image", f);
		snprintf(name, sizeof name, "photos[%zu].name", i);
		if (p->name != NULL && strlen(p->name) > NAME_MAX_BYTES)
			return srv_fail(c, LS_INVALID_ARGUMENT, field(f, prefix, name),
			                "%s is longer than %d bytes", f, NAME_MAX_BYTES);
	}
	return LS_OK;
}

/* The distinct nodes of an update, checked to be the project's. *nodes and
 * *info are malloc'd (NULL when none). */
static int check_nodes(srv_call *c, const Luoshi__V1__SubmitUpdateRequest *in, const char *prefix,
                       const srv_progress_project *proj, int64_t **nodes, srv_progress_node **info,
                       size_t *n)
{
	char f[FIELD_SIZE];
	*nodes = NULL;
	*info = NULL;
	*n = 0;
	if (in->n_nodes_done == 0)
		return LS_OK;
	field(f, prefix, "nodes_done");
	if (in->n_nodes_done > NODES_MAX)
		return srv_fail(c, LS_INVALID_ARGUMENT, f, "%s: at most %d nodes, not %zu", f,
		                NODES_MAX, in->n_nodes_done);
	*nodes = malloc(in->n_nodes_done * sizeof **nodes);
	*info = malloc(in->n_nodes_done * sizeof **info);
	if (*nodes == NULL || *info == NULL)
		return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	memcpy(*nodes, in->nodes_done, in->n_nodes_done * sizeof **nodes);
	qsort(*nodes, in->n_nodes_done, sizeof **nodes, cmp_id);
	for (size_t i = 0; i < in->n_nodes_done; i++) {
		int64_t id = (*nodes)[i];
		if (*n > 0 && (*nodes)[*n - 1] == id)
			continue;
		int rc =
		    srv_store_progress_node(c->srv->store, proj->id, id, &(*info)[*n], &c->status);
		if (rc == LS_NOT_FOUND)
			return srv_fail(c, LS_INVALID_ARGUMENT, f,
			                "%s: %" PRId64 " is not a node of project %s", f, id,
			                proj->code);
		if (rc != LS_OK)
			return rc;
		(*nodes)[(*n)++] = id;
	}
	return LS_OK;
}

/* The audit rows of the nodes an update marks done. */
static int audit_nodes(srv_call *c, const srv_progress_project *proj, const srv_progress_node *info,
                       size_t n, const char *done_date)
{
	for (size_t i = 0; i < n; i++) {
		if (info[i].done_date[0] != '\0')
			continue;
		Luoshi__V1__Node b = LUOSHI__V1__NODE__INIT, a;
		b.has_id = true;
		b.id = info[i].id;
		b.project_code = (char *)proj->code;
		b.project_name = (char *)proj->name;
		b.name = (char *)info[i].name;
		b.due_date = (char *)info[i].due_date;
		b.has_done = true;
		b.done = false;
		a = b;
		a.done = true;
		a.done_date = (char *)done_date;
		if (srv_audit(c, "node", info[i].id, proj->id, &b.base, &a.base) != LS_OK)
			return c->status.code;
	}
	return LS_OK;
}

/* Checks and writes one update: the work of SubmitUpdate, and of each
 * element of SubmitUpdates, whose fields are named with prefix
 * ("updates[3]."). On LS_OK *id is the new revision's id and, when written
 * is not NULL, *written the row as read back (the caller finis it);
 * otherwise the call has failed. */
static int submit_one(srv_call *c, const Luoshi__V1__SubmitUpdateRequest *in, const char *prefix,
                      int64_t *id, srv_update *written)
{
	srv_store *store = c->srv->store;
	char f[FIELD_SIZE];
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_TOWN, SRV_ROLE_NONE) != LS_OK)
		return c->status.code;
	field(f, prefix, "project");
	if (!given(in->project))
		return srv_fail(c, LS_INVALID_ARGUMENT, f,
		                "%s is required: a project's code or name", f);
	int64_t pid;
	bool visible = false;
	int rc = srv_store_progress_find_project(store, srv_call_scope(c), in->project, f, &pid,
	                                         &visible, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, f, "%s: no project has the code or name \"%s\"", f,
		                in->project);
	if (rc != LS_OK)
		return rc;
	/* Found by its code but out of scope: a town reporting on another
	 * town's project, or an admin on another district's. */
	if (!visible)
		return srv_fail(c, LS_PERMISSION_DENIED, f,
		                "%s: project %s is not one you may report on", f, in->project);
	srv_progress_project proj;
	if (srv_store_progress_project(store, pid, &proj, &c->status) != LS_OK)
		return c->status.code ? c->status.code
		                      : srv_fail(c, LS_NOT_FOUND, f, "%s: no such project", f);
	if (proj.archived)
		return srv_fail(c, LS_FAILED_PRECONDITION, f, "%s: project %s is archived", f,
		                proj.code);

	ls_period per;
	if (settle_period(c, in, prefix, &proj, &per) != LS_OK ||
	    check_body(c, in, prefix) != LS_OK)
		return c->status.code;

	int64_t *nodes = NULL;
	srv_progress_node *info = NULL;
	size_t n_nodes = 0;
	srv_photo_new photos[SRV_UPDATE_MAX_PHOTOS];
	char names[SRV_UPDATE_MAX_PHOTOS][32];
	srv_update before = {0}, after = {0};
	bool had_before = false;
	if (check_nodes(c, in, prefix, &proj, &nodes, &info, &n_nodes) != LS_OK)
		goto out;

	int m_year, m_month;
	if (per.kind == LS_PERIOD_WEEK) {
		ls_week_month(per.year, per.number, &m_year, &m_month);
	} else {
		m_year = per.year;
		m_month = per.number;
	}
	char period[16], month[16], first[11], last[11], done_date[11], now[32];
	ls_period_format(&per, period);
	snprintf(month, sizeof month, "%04d-%02d", m_year, m_month);
	bool locked;
	if (srv_store_progress_month_locked(store, month, &locked, &c->status) != LS_OK)
		goto out;
	if (locked) {
		srv_fail(c, LS_FAILED_PRECONDITION,
		         field(f, prefix, per.kind == LS_PERIOD_WEEK ? "week" : "month"),
		         "%s is reconciled: %s takes no more updates", month, period);
		goto out;
	}

	int64_t prev;
	rc = srv_store_progress_latest_id(store, pid, period, &prev, &c->status);
	if (rc == LS_OK) {
		if (srv_store_progress_get(store, prev, &before, &c->status) != LS_OK)
			goto out;
		had_before = true;
	} else if (rc != LS_NOT_FOUND) {
		goto out;
	}

	for (size_t i = 0; i < in->n_photos; i++) {
		const Luoshi__V1__Photo *p = in->photos[i];
		const char *type = photo_type(p->data.data, p->data.len);
		photos[i].content_type = type;
		photos[i].data = p->data.data;
		photos[i].size = p->data.len;
		if (given(p->name)) {
			photos[i].name = p->name;
		} else {
			snprintf(names[i], sizeof names[i], "photo-%zu.%s", i + 1,
			         strcmp(type, "image/png") == 0 ? "png" : "jpg");
			photos[i].name = names[i];
		}
	}
	int32_t today = ls_today();
	ls_date_format(per.first, first);
	ls_date_format(per.last, last);
	ls_date_format(per.last < today ? per.last : today, done_date);
	srv_now_iso(now);
	srv_update_new u = {
	    .project_id = pid,
	    .period = period,
	    .monthly = per.kind == LS_PERIOD_MONTH,
	    .period_first = first,
	    .period_last = last,
	    .month = month,
	    .year = m_year,
	    .unit_id = c->caller->unit_id,
	    .account_id = c->caller->id,
	    .invested = in->invested,
	    .has_output = in->has_output,
	    .output = in->output,
	    .percent = (int)in->percent,
	    .progress = in->progress,
	    .next_plan = given(in->next_plan) ? in->next_plan : NULL,
	    .support_needed = given(in->support_needed) ? in->support_needed : NULL,
	    .submitted_at = now,
	    .nodes = nodes,
	    .n_nodes = n_nodes,
	    .done_date = done_date,
	    .photos = photos,
	    .n_photos = (int)in->n_photos,
	};
	if (srv_store_progress_insert(store, &u, id, &c->status) != LS_OK ||
	    srv_store_progress_get(store, *id, &after, &c->status) != LS_OK)
		goto out;
	update_msg bm, am;
	if (had_before)
		update_to_proto(&before, &bm);
	update_to_proto(&after, &am);
	if (srv_audit(c, "update", *id, pid, had_before ? &bm.m.base : NULL, &am.m.base) != LS_OK)
		goto out;
	if (audit_nodes(c, &proj, info, n_nodes, done_date) == LS_OK && written != NULL) {
		*written = after;
		memset(&after, 0, sizeof after);
	}
out:
	srv_store_progress_update_fini(&before);
	srv_store_progress_update_fini(&after);
	free(nodes);
	free(info);
	return c->status.code;
}

static void progress_submit_update(Luoshi__V1__ProgressService_Service *svc,
                                   const Luoshi__V1__SubmitUpdateRequest *in,
                                   Luoshi__V1__SubmitUpdateResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	int64_t id;
	/* The row as written is the answer: read once, for the audit and the reply. */
	srv_update u;
	if (submit_one(c, in, "", &id, &u) != LS_OK)
		return;
	update_msg um;
	update_to_proto(&u, &um);
	Luoshi__V1__SubmitUpdateResponse out = LUOSHI__V1__SUBMIT_UPDATE_RESPONSE__INIT;
	out.update = &um.m;
	done(&out, arg);
	srv_store_progress_update_fini(&u);
}

static void progress_submit_updates(Luoshi__V1__ProgressService_Service *svc,
                                    const Luoshi__V1__SubmitUpdatesRequest *in,
                                    Luoshi__V1__SubmitUpdatesResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_TOWN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (in->n_updates > BATCH_MAX) {
		srv_fail(c, LS_INVALID_ARGUMENT, "updates",
		         "updates: at most %d in one call, not %zu", BATCH_MAX, in->n_updates);
		return;
	}
	size_t n = in->n_updates;
	int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
	srv_update *rows = calloc(n ? n : 1, sizeof *rows);
	update_msg *msgs = NULL;
	Luoshi__V1__Update **ptrs = NULL;
	size_t got = 0;
	if (ids == NULL || rows == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "updates[%zu].", i);
		if (submit_one(c, in->updates[i], prefix, &ids[i], NULL) != LS_OK)
			goto out;
	}
	/* Read back once all are written: a later element may change an
	 * earlier one's sums, or make it no longer the latest revision. */
	for (; got < n; got++)
		if (srv_store_progress_get(c->srv->store, ids[got], &rows[got], &c->status) !=
		    LS_OK)
			goto out;
	if ((msgs = updates_to_proto(rows, n, &ptrs)) == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	Luoshi__V1__SubmitUpdatesResponse resp = LUOSHI__V1__SUBMIT_UPDATES_RESPONSE__INIT;
	resp.n_updates = n;
	resp.updates = ptrs;
	/* A dry run answers what would be written; the dispatcher undoes it. */
	if (in->has_dry_run && in->dry_run)
		c->discard = true;
	done(&resp, arg);
out:
	for (size_t i = 0; i < got; i++)
		srv_store_progress_update_fini(&rows[i]);
	free(rows);
	free(ids);
	free(msgs);
	free(ptrs);
}

/* ---- reading -------------------------------------------------------------------- */

static int page_args(srv_call *c, bool has_size, uint32_t size_in, const char *token, int *size,
                     int64_t *after)
{
	*size =
	    has_size && size_in > 0 ? (int)(size_in > PAGE_MAX ? PAGE_MAX : size_in) : PAGE_DEFAULT;
	*after = 0;
	if (given(token)) {
		char *end;
		long long v = strtoll(token, &end, 10);
		if (*end != '\0' || v < 0)
			return srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
			                "page_token is not one this server gave");
		*after = v;
	}
	return LS_OK;
}

static void progress_list_updates(Luoshi__V1__ProgressService_Service *svc,
                                  const Luoshi__V1__ListUpdatesRequest *in,
                                  Luoshi__V1__ListUpdatesResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	int size;
	int64_t after;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &after) != LS_OK)
		return;
	srv_update_filter f = {.all_revisions = in->has_all_revisions && in->all_revisions};
	if (given(in->project) && find_for_read(c, in->project, "project", &f.project) != LS_OK)
		return;
	char period[16], lo[16], hi[16];
	if (given(in->period)) {
		ls_period p;
		if (!ls_period_parse(in->period, &p)) {
			srv_fail(c, LS_INVALID_ARGUMENT, "period",
			         "period must be a week (2026-W48), a month (2026-11) or a quarter "
			         "(2026-Q4), not \"%s\"",
			         in->period);
			return;
		}
		ls_period_format(&p, period);
		if (p.kind == LS_PERIOD_WEEK) {
			f.period = period;
		} else {
			int m0 = p.kind == LS_PERIOD_MONTH ? p.number : 3 * p.number - 2;
			int m1 = p.kind == LS_PERIOD_MONTH ? p.number : 3 * p.number;
			snprintf(lo, sizeof lo, "%04d-%02d", p.year, m0);
			snprintf(hi, sizeof hi, "%04d-%02d", p.year, m1);
			f.month_lo = lo;
			f.month_hi = hi;
		}
	}
	if (given(in->town) &&
	    srv_store_unit_resolve(store, in->town, "town", &f.town, &c->status) != LS_OK)
		return;

	srv_update *rows;
	size_t n;
	if (srv_store_progress_list(store, srv_call_scope(c), &f, after, size + 1, &rows, &n,
	                            &c->status) != LS_OK)
		return;
	size_t shown = n > (size_t)size ? (size_t)size : n;
	Luoshi__V1__Update **ptrs;
	update_msg *msgs = updates_to_proto(rows, shown, &ptrs);
	if (msgs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		Luoshi__V1__ListUpdatesResponse resp = LUOSHI__V1__LIST_UPDATES_RESPONSE__INIT;
		char next[24];
		resp.n_updates = shown;
		resp.updates = ptrs;
		if (n > (size_t)size) {
			snprintf(next, sizeof next, "%" PRId64, rows[size - 1].id);
			resp.next_page_token = next;
		}
		done(&resp, arg);
	}
	free(msgs);
	free(ptrs);
	srv_store_progress_updates_free(rows, n);
}

static void progress_get_update(Luoshi__V1__ProgressService_Service *svc,
                                const Luoshi__V1__GetUpdateRequest *in,
                                Luoshi__V1__GetUpdateResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	srv_update u = {0};
	int64_t id;
	if (in->has_id) {
		if (given(in->project) || given(in->period)) {
			srv_fail(c, LS_INVALID_ARGUMENT, "id",
			         "give id, or project and period; not both");
			return;
		}
		int rc = in->id > 0 ? srv_store_progress_get(store, in->id, &u, &c->status)
		                    : LS_NOT_FOUND;
		if (rc == LS_NOT_FOUND ||
		    (rc == LS_OK &&
		     !srv_store_project_visible(store, srv_call_scope(c), u.project_id))) {
			srv_fail(c, LS_NOT_FOUND, "id", "no update you may read has id %" PRId64,
			         in->id);
			goto out;
		}
		if (rc != LS_OK)
			return;
	} else {
		if (!given(in->project)) {
			srv_fail(c, LS_INVALID_ARGUMENT, "project",
			         "give id, or project and period");
			return;
		}
		ls_period p;
		if (!given(in->period) || !ls_period_parse(in->period, &p) ||
		    p.kind == LS_PERIOD_QUARTER) {
			srv_fail(c, LS_INVALID_ARGUMENT, "period",
			         "period must be a week (2026-W48) or a month (2026-11)");
			return;
		}
		char period[16];
		ls_period_format(&p, period);
		int64_t pid;
		if (find_for_read(c, in->project, "project", &pid) != LS_OK)
			return;
		int rc = srv_store_progress_latest_id(store, pid, period, &id, &c->status);
		if (rc == LS_NOT_FOUND) {
			srv_fail(c, LS_NOT_FOUND, "period", "project %s has no update for %s",
			         in->project, period);
			return;
		}
		if (rc != LS_OK || srv_store_progress_get(store, id, &u, &c->status) != LS_OK)
			return;
	}
	srv_update *revs;
	size_t n;
	if (srv_store_progress_revisions(store, u.project_id, u.period, &revs, &n, &c->status) !=
	    LS_OK)
		goto out;
	Luoshi__V1__Update **ptrs;
	update_msg *msgs = updates_to_proto(revs, n, &ptrs);
	if (msgs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		update_msg um;
		update_to_proto(&u, &um);
		Luoshi__V1__GetUpdateResponse resp = LUOSHI__V1__GET_UPDATE_RESPONSE__INIT;
		resp.update = &um.m;
		resp.n_revisions = n;
		resp.revisions = ptrs;
		done(&resp, arg);
	}
	free(msgs);
	free(ptrs);
	srv_store_progress_updates_free(revs, n);
out:
	srv_store_progress_update_fini(&u);
}

static void progress_get_photo(Luoshi__V1__ProgressService_Service *svc,
                               const Luoshi__V1__GetPhotoRequest *in,
                               Luoshi__V1__GetPhotoResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (!in->has_id || in->id <= 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "id", "id is required and positive");
		return;
	}
	srv_photo_ref ref;
	int64_t project = 0;
	uint8_t *data = NULL;
	int rc = srv_store_progress_photo(store, in->id, &ref, &project, &data, &c->status);
	if (rc == LS_NOT_FOUND ||
	    (rc == LS_OK && !srv_store_project_visible(store, srv_call_scope(c), project))) {
		srv_fail(c, LS_NOT_FOUND, "id", "no photo you may read has id %" PRId64, in->id);
	} else if (rc == LS_OK) {
		Luoshi__V1__PhotoRef r;
		photo_ref_to_proto(&ref, &r);
		Luoshi__V1__GetPhotoResponse resp = LUOSHI__V1__GET_PHOTO_RESPONSE__INIT;
		resp.photo = &r;
		resp.has_data = true;
		resp.data.data = data;
		resp.data.len = (size_t)ref.size;
		done(&resp, arg);
	}
	free(data);
}

/* ---- the derived status ---------------------------------------------------------- */

static void progress_get_project_status(Luoshi__V1__ProgressService_Service *svc,
                                        const Luoshi__V1__GetProjectStatusRequest *in,
                                        Luoshi__V1__GetProjectStatusResponse_Closure done,
                                        void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (!given(in->project)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "project",
		         "project is required: a project's code or name");
		return;
	}
	int32_t as_of = ls_today();
	if (given(in->as_of) && !ls_date_parse(in->as_of, &as_of)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "as_of",
		         "as_of must be a date (YYYY-MM-DD), not \"%s\"", in->as_of);
		return;
	}
	int64_t pid;
	if (find_for_read(c, in->project, "project", &pid) != LS_OK)
		return;
	srv_progress_project proj;
	ls_projstatus_in si;
	char last[16], day[11];
	if (srv_store_progress_project(c->srv->store, pid, &proj, &c->status) != LS_OK ||
	    srv_store_project_status_inputs(c->srv->store, pid, as_of, &si, last, &c->status) !=
	        LS_OK) {
		if (c->status.code == LS_OK)
			srv_fail(c, LS_NOT_FOUND, "project", "the project is gone");
		return;
	}
	ls_projstatus o;
	ls_projstatus_derive(&si, &o);
	free((void *)si.node_due);
	ls_date_format(as_of, day);

	Luoshi__V1__StatusReason reasons[LS_PROJSTATUS_MAX_REASONS];
	Luoshi__V1__StatusReason *rp[LS_PROJSTATUS_MAX_REASONS];
	for (int i = 0; i < o.n_reasons; i++) {
		luoshi__v1__status_reason__init(&reasons[i]);
		reasons[i].code = (char *)o.reasons[i].code;
		reasons[i].detail = o.reasons[i].detail;
		rp[i] = &reasons[i];
	}
	Luoshi__V1__ProjectStatusInfo info = LUOSHI__V1__PROJECT_STATUS_INFO__INIT;
	info.project_code = proj.code;
	info.project_name = proj.name;
	info.has_status = true;
	info.status = (Luoshi__V1__ProjectStatus)o.status;
	info.n_reasons = (size_t)o.n_reasons;
	info.reasons = rp;
	info.has_percent = si.reported;
	info.percent = (uint32_t)si.percent;
	info.has_expected_percent = true;
	info.expected_percent = (uint32_t)o.expected;
	info.has_overdue_nodes = true;
	info.overdue_nodes = (uint32_t)o.overdue_nodes;
	info.has_max_days_overdue = true;
	info.max_days_overdue = (uint32_t)o.max_days_overdue;
	info.has_silent_periods = true;
	info.silent_periods = (uint32_t)o.silent;
	if (last[0] != '\0')
		info.last_period = last;
	info.as_of = day;
	info.has_behind = true;
	info.behind = o.behind;
	Luoshi__V1__GetProjectStatusResponse resp = LUOSHI__V1__GET_PROJECT_STATUS_RESPONSE__INIT;
	resp.status = &info;
	done(&resp, arg);
}

static Luoshi__V1__ProgressService_Service progress = LUOSHI__V1__PROGRESS_SERVICE__INIT(progress_);

ProtobufCService *srv_progress_service(void)
{
	return &progress.base;
}
