/* RegistryService: units, people and the audit log.
 *
 * Units form a tree; an account sees the subtree of its scope root (the
 * nearest district or city office at or above its unit), which is also the
 * address book every role may read. Only an admin writes, only inside its
 * own subtree, and every write is audited. Nothing is ever deleted: units
 * and people are deactivated once nothing points to them. */
#include "luoshi/v1/registry.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "store/registry.h"

#define CODE_MAX_BYTES 32
#define NAME_MAX_BYTES 200
#define PHONE_MAX_BYTES 40
#define ENTITY_MAX_BYTES 64
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

/* luoshi.v1.UnitKind and the text of units.kind. */
static const char *const kind_names[] = {
    [LUOSHI__V1__UNIT_KIND__UNIT_CITY] = "city",
    [LUOSHI__V1__UNIT_KIND__UNIT_DISTRICT] = "district",
    [LUOSHI__V1__UNIT_KIND__UNIT_TOWN] = "town",
    [LUOSHI__V1__UNIT_KIND__UNIT_DEPARTMENT] = "department",
    [LUOSHI__V1__UNIT_KIND__UNIT_SUPPORT_GROUP] = "support_group",
    [LUOSHI__V1__UNIT_KIND__UNIT_INSPECTION_GROUP] = "inspection_group",
    [LUOSHI__V1__UNIT_KIND__UNIT_DISCIPLINE] = "discipline",
};
#define N_KINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

static const char *kind_text(int kind)
{
	return kind > 0 && kind < N_KINDS ? kind_names[kind] : NULL;
}

static int kind_from_text(const char *text)
{
	for (int k = 1; k < N_KINDS; k++)
		if (strcmp(kind_names[k], text) == 0)
			return k;
	return LUOSHI__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED;
}

/* The groups a support group may be: problems are routed by them. */
static const char *const support_groups[] = {"coordination", "approval", "funding", "clearance"};

static bool support_group_valid(const char *text)
{
	for (size_t i = 0; i < sizeof support_groups / sizeof support_groups[0]; i++)
		if (strcmp(support_groups[i], text) == 0)
			return true;
	return false;
}

/* The kinds that head a scope (see srv_store_scope). */
static bool kind_is_office(const char *text)
{
	return strcmp(text, "district") == 0 || strcmp(text, "city") == 0;
}

/* ---- validation ------------------------------------------------------------- */

static bool code_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > CODE_MAX_BYTES)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

static bool has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int check_code(srv_call *c, const char *code)
{
	if (code == NULL || code[0] == '\0')
		return srv_fail(c, LS_INVALID_ARGUMENT, "code", "code is required");
	if (!code_valid(code))
		return srv_fail(c, LS_INVALID_ARGUMENT, "code",
		                "code is 1 to %d bytes of A-Z, a-z, 0-9, '_', '.' and '-'",
		                CODE_MAX_BYTES);
	return LS_OK;
}

/* Text of at most max bytes without control characters; empty only when
 * allowed. */
static int check_text(srv_call *c, const char *field, const char *v, size_t max, bool empty_ok)
{
	if (!empty_ok && (v == NULL || v[0] == '\0'))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s is required", field);
	if (v == NULL)
		return LS_OK;
	if (strlen(v) > max)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s is longer than %zu bytes", field,
		                max);
	if (has_control(v))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s holds control characters",
		                field);
	return LS_OK;
}

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Reads page_size and page_token. */
static int page_args(srv_call *c, bool has_size, uint32_t size_in, const char *token, int *size,
                     int64_t *after)
{
	*size =
	    has_size && size_in > 0 ? (int)(size_in > PAGE_MAX ? PAGE_MAX : size_in) : PAGE_DEFAULT;
	*after = 0;
	if (!given(token))
		return LS_OK;
	char *end;
	long long v = strtoll(token, &end, 10);
	if (*end != '\0' || v <= 0 || token[0] < '0' || token[0] > '9')
		return srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
		                "page_token is not one this server gave");
	*after = v;
	return LS_OK;
}

static int64_t scope_root(srv_call *c)
{
	return srv_call_scope(c)->root;
}

/* ---- finding the rows a request names ------------------------------------------ */

/* The unit a request is about (field names it). Outside the caller's scope
 * it does not exist for a read; a write is refused. */
static int target_unit(srv_call *c, const char *field, const char *text, bool write, srv_unit *out)
{
	srv_store *s = c->srv->store;
	int64_t id;
	if (!given(text))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s is required", field);
	int rc = srv_store_registry_find(s, SRV_UNIT, text, scope_root(c), field, &id, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, field, "no unit has the code or name \"%s\"",
		                text);
	if (rc != LS_OK)
		return rc;
	if (srv_store_registry_unit_get(s, id, out) != LS_OK)
		return srv_fail(c, LS_INTERNAL, NULL, "unit %" PRId64 " cannot be read", id);
	if (!srv_store_unit_within(s, id, scope_root(c))) {
		if (write)
			return srv_fail(c, LS_PERMISSION_DENIED, field,
			                "unit %s lies outside your scope", out->code);
		return srv_fail(c, LS_NOT_FOUND, field, "no unit has the code or name \"%s\"",
		                text);
	}
	return LS_OK;
}

static int target_person(srv_call *c, const char *field, const char *text, bool write,
                         srv_person *out)
{
	srv_store *s = c->srv->store;
	int64_t id;
	if (!given(text))
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s is required", field);
	int rc =
	    srv_store_registry_find(s, SRV_PERSON, text, scope_root(c), field, &id, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_NOT_FOUND, field, "no person has the code or name \"%s\"",
		                text);
	if (rc != LS_OK)
		return rc;
	if (srv_store_registry_person_get(s, id, out) != LS_OK)
		return srv_fail(c, LS_INTERNAL, NULL, "person %" PRId64 " cannot be read", id);
	if (!srv_store_unit_within(s, out->unit_id, scope_root(c))) {
		if (write)
			return srv_fail(c, LS_PERMISSION_DENIED, field,
			                "person %s lies outside your scope", out->code);
		return srv_fail(c, LS_NOT_FOUND, field, "no person has the code or name \"%s\"",
		                text);
	}
	return LS_OK;
}

/* A unit a write points to (a parent, a person's unit): it must exist, be
 * active and lie within the caller's scope. */
static int ref_unit(srv_call *c, const char *field, const char *text, srv_unit *out)
{
	srv_store *s = c->srv->store;
	int64_t id;
	int rc = srv_store_registry_find(s, SRV_UNIT, text, scope_root(c), field, &id, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: no active unit has the code or name \"%s\"", field, text);
	if (rc != LS_OK)
		return rc;
	if (srv_store_registry_unit_get(s, id, out) != LS_OK)
		return srv_fail(c, LS_INTERNAL, NULL, "unit %" PRId64 " cannot be read", id);
	if (!out->active)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: unit %s is inactive", field,
		                out->code);
	if (!srv_store_unit_within(s, id, scope_root(c)))
		return srv_fail(c, LS_PERMISSION_DENIED, field,
		                "%s: unit %s lies outside your scope", field, out->code);
	return LS_OK;
}

/* ---- messages -------------------------------------------------------------------- */

/* Fills m from u; m points into u. */
static void unit_to_proto(const srv_unit *u, Luoshi__V1__Unit *m)
{
	luoshi__v1__unit__init(m);
	m->has_id = true;
	m->id = u->id;
	m->code = (char *)u->code;
	m->name = (char *)u->name;
	m->has_kind = true;
	m->kind = (Luoshi__V1__UnitKind)kind_from_text(u->kind);
	if (u->parent_id > 0) {
		m->parent_code = (char *)u->parent_code;
		m->parent_name = (char *)u->parent_name;
	}
	m->has_active = true;
	m->active = u->active;
	m->created_at = (char *)u->created_at;
	if (u->support_group[0] != '\0')
		m->support_group = (char *)u->support_group;
}

static void person_to_proto(const srv_person *p, Luoshi__V1__Person *m)
{
	luoshi__v1__person__init(m);
	m->has_id = true;
	m->id = p->id;
	m->code = (char *)p->code;
	m->name = (char *)p->name;
	if (p->title[0] != '\0')
		m->title = (char *)p->title;
	m->unit_code = (char *)p->unit_code;
	m->unit_name = (char *)p->unit_name;
	if (p->phone[0] != '\0')
		m->phone = (char *)p->phone;
	m->has_active = true;
	m->active = p->active;
}

/* Says what still points to a unit or person ("2 active units (A, B), 1 live
 * account (#3 clerk)"). */
static void refs_text(const srv_registry_refs *r, char *buf, size_t n)
{
	const struct {
		int64_t count;
		const char *one, *many, *list;
	} parts[] = {
	    {r->units, "active unit", "active units", r->unit_list},
	    {r->people, "active person", "active people", r->people_list},
	    {r->accounts, "live account", "live accounts", r->account_list},
	    {r->projects, "project", "projects", r->project_list},
	    {r->tasks, "open task", "open tasks", r->task_list},
	};
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (parts[i].count == 0)
			continue;
		int w = snprintf(buf + used, n - used, "%s%" PRId64 " %s (%s%s)", used ? ", " : "",
		                 parts[i].count, parts[i].count == 1 ? parts[i].one : parts[i].many,
		                 parts[i].list, parts[i].count > 3 ? ", ..." : "");
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
}

static bool refs_any(const srv_registry_refs *r)
{
	return r->units + r->people + r->accounts + r->projects + r->tasks > 0;
}

/* ---- units ------------------------------------------------------------------------ */

/* Settles u->support_group from the request's text (NULL: keep u's, which
 * a kind other than support group clears): a known group, only on a
 * support group, and one unit per group in an office's area, so that a
 * problem has one place to go. */
static int settle_support_group(srv_call *c, srv_unit *u, const char *text)
{
	srv_store *s = c->srv->store;
	bool is_group = strcmp(u->kind, "support_group") == 0;
	if (text != NULL) {
		if (text[0] != '\0' && !support_group_valid(text))
			return srv_fail(c, LS_INVALID_ARGUMENT, "support_group",
			                "support_group: one of coordination, approval, funding and "
			                "clearance, not \"%s\"",
			                text);
		if (text[0] != '\0' && !is_group)
			return srv_fail(c, LS_INVALID_ARGUMENT, "support_group",
			                "support_group: only a unit of kind support group has one, "
			                "not a unit of kind %s",
			                u->kind);
		snprintf(u->support_group, sizeof u->support_group, "%s", text);
	} else if (!is_group) {
		u->support_group[0] = '\0';
	}
	if (u->support_group[0] == '\0' || (u->id > 0 && !u->active))
		return LS_OK;
	int64_t office, other;
	if (srv_store_registry_office_of(s, u->parent_id, &office, &c->status) != LS_OK)
		return c->status.code;
	int rc =
	    srv_store_registry_group_unit(s, office, u->support_group, u->id, &other, &c->status);
	if (rc == LS_NOT_FOUND)
		return LS_OK;
	if (rc != LS_OK)
		return rc;
	srv_unit o;
	if (srv_store_registry_unit_get(s, other, &o) != LS_OK)
		return srv_fail(c, LS_INTERNAL, NULL, "unit %" PRId64 " cannot be read", other);
	return srv_fail(c, LS_ALREADY_EXISTS, "support_group",
	                "support_group: unit %s is already the %s group of its office", o.code,
	                u->support_group);
}

static void registry_create_unit(Luoshi__V1__RegistryService_Service *svc,
                                 const Luoshi__V1__CreateUnitRequest *in,
                                 Luoshi__V1__CreateUnitResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    check_code(c, in->code) != LS_OK ||
	    check_text(c, "name", in->name, NAME_MAX_BYTES, false) != LS_OK)
		return;
	const char *kind = in->has_kind ? kind_text(in->kind) : NULL;
	if (kind == NULL) {
		srv_fail(c, LS_INVALID_ARGUMENT, "kind",
		         "kind is required: city, district, town, department, support group, "
		         "inspection group or discipline");
		return;
	}
	srv_unit u = {0}, parent;
	if (given(in->parent)) {
		if (ref_unit(c, "parent", in->parent, &parent) != LS_OK)
			return;
		u.parent_id = parent.id;
	} else {
		u.parent_id = c->caller->unit_id;
	}
	bool used;
	if (srv_store_registry_unit_code_used(s, in->code, &used, &c->status) != LS_OK)
		return;
	if (used) {
		srv_fail(c, LS_ALREADY_EXISTS, "code", "a unit with code %s already exists",
		         in->code);
		return;
	}
	snprintf(u.code, sizeof u.code, "%s", in->code);
	snprintf(u.name, sizeof u.name, "%s", in->name);
	snprintf(u.kind, sizeof u.kind, "%s", kind);
	if (settle_support_group(c, &u, given(in->support_group) ? in->support_group : NULL) !=
	    LS_OK)
		return;
	char now[32];
	int64_t id;
	srv_now_iso(now);
	if (srv_store_registry_unit_insert(s, &u, now, &id, &c->status) != LS_OK)
		return;
	srv_unit after;
	if (srv_store_registry_unit_get(s, id, &after) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the new unit cannot be read back");
		return;
	}
	Luoshi__V1__Unit m;
	unit_to_proto(&after, &m);
	if (srv_audit(c, "unit", id, 0, NULL, &m.base) != LS_OK)
		return;
	Luoshi__V1__CreateUnitResponse out = LUOSHI__V1__CREATE_UNIT_RESPONSE__INIT;
	out.unit = &m;
	done(&out, arg);
}

static void registry_update_unit(Luoshi__V1__RegistryService_Service *svc,
                                 const Luoshi__V1__UpdateUnitRequest *in,
                                 Luoshi__V1__UpdateUnitResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	srv_unit before, u;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    target_unit(c, "unit", in->unit, true, &before) != LS_OK)
		return;
	u = before;
	if (in->name != NULL) {
		if (check_text(c, "name", in->name, NAME_MAX_BYTES, false) != LS_OK)
			return;
		snprintf(u.name, sizeof u.name, "%s", in->name);
	}
	if (in->has_kind && in->kind != LUOSHI__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED) {
		const char *kind = kind_text(in->kind);
		if (kind == NULL) {
			srv_fail(c, LS_INVALID_ARGUMENT, "kind", "kind %d is not a unit kind",
			         (int)in->kind);
			return;
		}
		/* The top of one's own scope stays an office: otherwise the
		 * scope would grow to the office above it. */
		if (before.id == scope_root(c) && !kind_is_office(kind)) {
			srv_fail(c, LS_PERMISSION_DENIED, "kind",
			         "unit %s heads your scope: its kind stays district or city",
			         before.code);
			return;
		}
		snprintf(u.kind, sizeof u.kind, "%s", kind);
	}
	if (given(in->parent)) {
		srv_unit parent;
		if (ref_unit(c, "parent", in->parent, &parent) != LS_OK)
			return;
		if (parent.id == before.id || srv_store_unit_within(s, parent.id, before.id)) {
			srv_fail(c, LS_INVALID_ARGUMENT, "parent",
			         "parent: %s lies within %s; a unit cannot be its own ancestor",
			         parent.code, before.code);
			return;
		}
		u.parent_id = parent.id;
	}
	if (settle_support_group(c, &u, in->support_group) != LS_OK)
		return;
	Luoshi__V1__UpdateUnitResponse out = LUOSHI__V1__UPDATE_UNIT_RESPONSE__INIT;
	Luoshi__V1__Unit mb, ma;
	unit_to_proto(&before, &mb);
	if (strcmp(u.name, before.name) == 0 && strcmp(u.kind, before.kind) == 0 &&
	    u.parent_id == before.parent_id && strcmp(u.support_group, before.support_group) == 0) {
		/* Nothing changes: nothing to write or audit. */
		out.unit = &mb;
		done(&out, arg);
		return;
	}
	if (srv_store_registry_unit_update(s, &u, &c->status) != LS_OK)
		return;
	srv_unit after;
	if (srv_store_registry_unit_get(s, u.id, &after) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the unit cannot be read back");
		return;
	}
	unit_to_proto(&after, &ma);
	if (srv_audit(c, "unit", u.id, 0, &mb.base, &ma.base) != LS_OK)
		return;
	out.unit = &ma;
	done(&out, arg);
}

static void registry_get_unit(Luoshi__V1__RegistryService_Service *svc,
                              const Luoshi__V1__GetUnitRequest *in,
                              Luoshi__V1__GetUnitResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_unit u;
	if (target_unit(c, "unit", in->unit, false, &u) != LS_OK)
		return;
	Luoshi__V1__Unit m;
	unit_to_proto(&u, &m);
	Luoshi__V1__GetUnitResponse out = LUOSHI__V1__GET_UNIT_RESPONSE__INIT;
	out.unit = &m;
	done(&out, arg);
}

typedef struct unit_page {
	srv_unit *rows;
	int n, cap;
} unit_page;

static void collect_unit(void *arg, const srv_unit *u)
{
	unit_page *p = arg;
	if (p->n < p->cap)
		p->rows[p->n++] = *u;
}

static void registry_list_units(Luoshi__V1__RegistryService_Service *svc,
                                const Luoshi__V1__ListUnitsRequest *in,
                                Luoshi__V1__ListUnitsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_unit_filter f = {.root = scope_root(c)};
	int size;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	    LS_OK)
		return;
	if (in->has_kind && in->kind != LUOSHI__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED) {
		f.kind = kind_text(in->kind);
		if (f.kind == NULL) {
			srv_fail(c, LS_INVALID_ARGUMENT, "kind", "kind %d is not a unit kind",
			         (int)in->kind);
			return;
		}
	}
	if (given(in->parent)) {
		srv_unit parent;
		if (target_unit(c, "parent", in->parent, false, &parent) != LS_OK) {
			/* A filter naming nothing is a bad argument, not a
			 * missing resource. */
			if (c->status.code == LS_NOT_FOUND)
				c->status.code = LS_INVALID_ARGUMENT;
			return;
		}
		f.parent = parent.id;
	}
	if (given(in->search)) {
		if (check_text(c, "search", in->search, NAME_MAX_BYTES, true) != LS_OK)
			return;
		f.search = in->search;
	}
	f.include_inactive = in->has_include_inactive && in->include_inactive;
	f.limit = size + 1; /* one more tells whether another page follows */

	unit_page p = {.cap = size + 1};
	p.rows = malloc((size_t)p.cap * sizeof *p.rows);
	Luoshi__V1__Unit *ms = malloc((size_t)p.cap * sizeof *ms);
	Luoshi__V1__Unit **ptrs = malloc((size_t)p.cap * sizeof *ptrs);
	if (p.rows == NULL || ms == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_registry_unit_list(c->srv->store, &f, collect_unit, &p) < 0) {
		srv_fail(c, LS_INTERNAL, NULL, "cannot list units");
		goto out;
	}
	Luoshi__V1__ListUnitsResponse resp = LUOSHI__V1__LIST_UNITS_RESPONSE__INIT;
	char next[24];
	int shown = p.n > size ? size : p.n;
	for (int i = 0; i < shown; i++) {
		unit_to_proto(&p.rows[i], &ms[i]);
		ptrs[i] = &ms[i];
	}
	resp.n_units = (size_t)shown;
	resp.units = ptrs;
	if (p.n > size) {
		snprintf(next, sizeof next, "%" PRId64, p.rows[size - 1].id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(p.rows);
	free(ms);
	free(ptrs);
}

static void registry_deactivate_unit(Luoshi__V1__RegistryService_Service *svc,
                                     const Luoshi__V1__DeactivateUnitRequest *in,
                                     Luoshi__V1__DeactivateUnitResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	srv_unit before, after;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    target_unit(c, "unit", in->unit, true, &before) != LS_OK)
		return;
	if (!before.active) {
		srv_fail(c, LS_FAILED_PRECONDITION, "unit", "unit %s is already inactive",
		         before.code);
		return;
	}
	srv_registry_refs refs;
	if (srv_store_registry_unit_refs(s, before.id, &refs, &c->status) != LS_OK)
		return;
	if (refs_any(&refs)) {
		char what[600];
		refs_text(&refs, what, sizeof what);
		srv_fail(c, LS_FAILED_PRECONDITION, "unit", "unit %s is still in use: %s",
		         before.code, what);
		return;
	}
	if (srv_store_registry_unit_deactivate(s, before.id, &c->status) != LS_OK)
		return;
	if (srv_store_registry_unit_get(s, before.id, &after) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the unit cannot be read back");
		return;
	}
	Luoshi__V1__Unit mb, ma;
	unit_to_proto(&before, &mb);
	unit_to_proto(&after, &ma);
	if (srv_audit(c, "unit", before.id, 0, &mb.base, &ma.base) != LS_OK)
		return;
	Luoshi__V1__DeactivateUnitResponse out = LUOSHI__V1__DEACTIVATE_UNIT_RESPONSE__INIT;
	out.unit = &ma;
	done(&out, arg);
}

/* ---- people --------------------------------------------------------------------------- */

/* Checks the person's free fields that a create or an update sets. */
static int check_person_fields(srv_call *c, const char *name, bool name_required, const char *title,
                               const char *phone)
{
	if ((name_required || name != NULL) &&
	    check_text(c, "name", name, NAME_MAX_BYTES, false) != LS_OK)
		return c->status.code;
	if (check_text(c, "title", title, NAME_MAX_BYTES, true) != LS_OK ||
	    check_text(c, "phone", phone, PHONE_MAX_BYTES, true) != LS_OK)
		return c->status.code;
	return LS_OK;
}

static void registry_create_person(Luoshi__V1__RegistryService_Service *svc,
                                   const Luoshi__V1__CreatePersonRequest *in,
                                   Luoshi__V1__CreatePersonResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    check_code(c, in->code) != LS_OK ||
	    check_person_fields(c, in->name, true, in->title, in->phone) != LS_OK)
		return;
	if (!given(in->unit)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "unit", "unit is required");
		return;
	}
	srv_unit unit;
	if (ref_unit(c, "unit", in->unit, &unit) != LS_OK)
		return;
	bool used;
	if (srv_store_registry_person_code_used(s, in->code, &used, &c->status) != LS_OK)
		return;
	if (used) {
		srv_fail(c, LS_ALREADY_EXISTS, "code", "a person with code %s already exists",
		         in->code);
		return;
	}
	srv_person p = {.unit_id = unit.id};
	snprintf(p.code, sizeof p.code, "%s", in->code);
	snprintf(p.name, sizeof p.name, "%s", in->name);
	snprintf(p.title, sizeof p.title, "%s", in->title ? in->title : "");
	snprintf(p.phone, sizeof p.phone, "%s", in->phone ? in->phone : "");
	char now[32];
	int64_t id;
	srv_now_iso(now);
	if (srv_store_registry_person_insert(s, &p, now, &id, &c->status) != LS_OK)
		return;
	srv_person after;
	if (srv_store_registry_person_get(s, id, &after) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the new person cannot be read back");
		return;
	}
	Luoshi__V1__Person m;
	person_to_proto(&after, &m);
	if (srv_audit(c, "person", id, 0, NULL, &m.base) != LS_OK)
		return;
	Luoshi__V1__CreatePersonResponse out = LUOSHI__V1__CREATE_PERSON_RESPONSE__INIT;
	out.person = &m;
	done(&out, arg);
}

static void registry_update_person(Luoshi__V1__RegistryService_Service *svc,
                                   const Luoshi__V1__UpdatePersonRequest *in,
                                   Luoshi__V1__UpdatePersonResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	srv_person before, p;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    target_person(c, "person", in->person, true, &before) != LS_OK ||
	    check_person_fields(c, in->name, false, in->title, in->phone) != LS_OK)
		return;
	p = before;
	if (in->name != NULL)
		snprintf(p.name, sizeof p.name, "%s", in->name);
	if (in->title != NULL)
		snprintf(p.title, sizeof p.title, "%s", in->title);
	if (in->phone != NULL)
		snprintf(p.phone, sizeof p.phone, "%s", in->phone);
	if (given(in->unit)) {
		srv_unit unit;
		if (ref_unit(c, "unit", in->unit, &unit) != LS_OK)
			return;
		p.unit_id = unit.id;
	}
	Luoshi__V1__UpdatePersonResponse out = LUOSHI__V1__UPDATE_PERSON_RESPONSE__INIT;
	Luoshi__V1__Person mb, ma;
	person_to_proto(&before, &mb);
	if (strcmp(p.name, before.name) == 0 && strcmp(p.title, before.title) == 0 &&
	    strcmp(p.phone, before.phone) == 0 && p.unit_id == before.unit_id) {
		out.person = &mb;
		done(&out, arg);
		return;
	}
	if (srv_store_registry_person_update(s, &p, &c->status) != LS_OK)
		return;
	srv_person after;
	if (srv_store_registry_person_get(s, p.id, &after) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the person cannot be read back");
		return;
	}
	person_to_proto(&after, &ma);
	if (srv_audit(c, "person", p.id, 0, &mb.base, &ma.base) != LS_OK)
		return;
	out.person = &ma;
	done(&out, arg);
}

static void registry_get_person(Luoshi__V1__RegistryService_Service *svc,
                                const Luoshi__V1__GetPersonRequest *in,
                                Luoshi__V1__GetPersonResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_person p;
	if (target_person(c, "person", in->person, false, &p) != LS_OK)
		return;
	Luoshi__V1__Person m;
	person_to_proto(&p, &m);
	Luoshi__V1__GetPersonResponse out = LUOSHI__V1__GET_PERSON_RESPONSE__INIT;
	out.person = &m;
	done(&out, arg);
}

typedef struct person_page {
	srv_person *rows;
	int n, cap;
} person_page;

static void collect_person(void *arg, const srv_person *p)
{
	person_page *pg = arg;
	if (pg->n < pg->cap)
		pg->rows[pg->n++] = *p;
}

static void registry_list_people(Luoshi__V1__RegistryService_Service *svc,
                                 const Luoshi__V1__ListPeopleRequest *in,
                                 Luoshi__V1__ListPeopleResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_person_filter f = {.root = scope_root(c)};
	int size;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.after) !=
	    LS_OK)
		return;
	if (given(in->unit)) {
		srv_unit unit;
		if (target_unit(c, "unit", in->unit, false, &unit) != LS_OK) {
			if (c->status.code == LS_NOT_FOUND)
				c->status.code = LS_INVALID_ARGUMENT;
			return;
		}
		f.unit = unit.id;
	}
	if (given(in->search)) {
		if (check_text(c, "search", in->search, NAME_MAX_BYTES, true) != LS_OK)
			return;
		f.search = in->search;
	}
	f.include_inactive = in->has_include_inactive && in->include_inactive;
	f.limit = size + 1;

	person_page p = {.cap = size + 1};
	p.rows = malloc((size_t)p.cap * sizeof *p.rows);
	Luoshi__V1__Person *ms = malloc((size_t)p.cap * sizeof *ms);
	Luoshi__V1__Person **ptrs = malloc((size_t)p.cap * sizeof *ptrs);
	if (p.rows == NULL || ms == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_registry_person_list(c->srv->store, &f, collect_person, &p) < 0) {
		srv_fail(c, LS_INTERNAL, NULL, "cannot list people");
		goto out;
	}
	Luoshi__V1__ListPeopleResponse resp = LUOSHI__V1__LIST_PEOPLE_RESPONSE__INIT;
	char next[24];
	int shown = p.n > size ? size : p.n;
	for (int i = 0; i < shown; i++) {
		person_to_proto(&p.rows[i], &ms[i]);
		ptrs[i] = &ms[i];
	}
	resp.n_people = (size_t)shown;
	resp.people = ptrs;
	if (p.n > size) {
		snprintf(next, sizeof next, "%" PRId64, p.rows[size - 1].id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(p.rows);
	free(ms);
	free(ptrs);
}

static void registry_deactivate_person(Luoshi__V1__RegistryService_Service *svc,
                                       const Luoshi__V1__DeactivatePersonRequest *in,
                                       Luoshi__V1__DeactivatePersonResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	srv_person before, after;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    target_person(c, "person", in->person, true, &before) != LS_OK)
		return;
	if (!before.active) {
		srv_fail(c, LS_FAILED_PRECONDITION, "person", "person %s is already inactive",
		         before.code);
		return;
	}
	srv_registry_refs refs;
	if (srv_store_registry_person_refs(s, before.id, &refs, &c->status) != LS_OK)
		return;
	if (refs_any(&refs)) {
		char what[600];
		refs_text(&refs, what, sizeof what);
		srv_fail(c, LS_FAILED_PRECONDITION, "person", "person %s is still in use: %s",
		         before.code, what);
		return;
	}
	if (srv_store_registry_person_deactivate(s, before.id, &c->status) != LS_OK)
		return;
	if (srv_store_registry_person_get(s, before.id, &after) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the person cannot be read back");
		return;
	}
	Luoshi__V1__Person mb, ma;
	person_to_proto(&before, &mb);
	person_to_proto(&after, &ma);
	if (srv_audit(c, "person", before.id, 0, &mb.base, &ma.base) != LS_OK)
		return;
	Luoshi__V1__DeactivatePersonResponse out = LUOSHI__V1__DEACTIVATE_PERSON_RESPONSE__INIT;
	out.person = &ma;
	done(&out, arg);
}

/* ---- the audit log ------------------------------------------------------------------------ */

typedef struct audit_page {
	Luoshi__V1__AuditEntry *rows;
	int n, cap;
	bool oom;
} audit_page;

static char *dup_or_null(const char *s, bool *oom)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

static void collect_audit(void *arg, const srv_audit_row *r)
{
	audit_page *p = arg;
	if (p->n >= p->cap)
		return;
	Luoshi__V1__AuditEntry *e = &p->rows[p->n++];
	luoshi__v1__audit_entry__init(e);
	e->has_id = true;
	e->id = r->id;
	e->at = dup_or_null(r->at, &p->oom);
	if (r->account_id > 0) {
		e->has_account_id = true;
		e->account_id = r->account_id;
		e->account_name = dup_or_null(r->account_name, &p->oom);
	}
	e->method = dup_or_null(r->method, &p->oom);
	e->entity = dup_or_null(r->entity, &p->oom);
	if (r->entity_id > 0) {
		e->has_entity_id = true;
		e->entity_id = r->entity_id;
	}
	e->before = dup_or_null(r->before, &p->oom);
	e->after = dup_or_null(r->after, &p->oom);
}

static void free_audit(audit_page *p)
{
	for (int i = 0; i < p->n; i++) {
		Luoshi__V1__AuditEntry *e = &p->rows[i];
		free(e->at);
		free(e->account_name);
		free(e->method);
		free(e->entity);
		free(e->before);
		free(e->after);
	}
	free(p->rows);
}

static void registry_list_audit(Luoshi__V1__RegistryService_Service *svc,
                                const Luoshi__V1__ListAuditRequest *in,
                                Luoshi__V1__ListAuditResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_DISCIPLINE, SRV_ROLE_INSPECTOR,
	                     SRV_ROLE_NONE) != LS_OK)
		return;
	const srv_scope *scope = srv_call_scope(c);
	srv_audit_filter f = {.scope = scope};
	int size;
	if (page_args(c, in->has_page_size, in->page_size, in->page_token, &size, &f.before) !=
	    LS_OK)
		return;
	if (given(in->project)) {
		int rc = srv_store_registry_project_find(s, in->project, scope, "project",
		                                         &f.project, &c->status);
		if (rc == LS_OK && !srv_store_project_visible(s, scope, f.project))
			rc = LS_NOT_FOUND;
		if (rc == LS_NOT_FOUND) {
			srv_fail(c, LS_NOT_FOUND, "project",
			         "no project has the code or name \"%s\"", in->project);
			return;
		}
		if (rc != LS_OK)
			return;
	}
	if (given(in->entity)) {
		if (check_text(c, "entity", in->entity, ENTITY_MAX_BYTES, true) != LS_OK)
			return;
		f.entity = in->entity;
	}
	if (in->has_entity_id) {
		if (in->entity_id <= 0) {
			srv_fail(c, LS_INVALID_ARGUMENT, "entity_id", "entity_id is positive");
			return;
		}
		f.entity_id = in->entity_id;
	}
	f.limit = size + 1;

	audit_page p = {.cap = size + 1};
	p.rows = calloc((size_t)p.cap, sizeof *p.rows);
	Luoshi__V1__AuditEntry **ptrs = malloc((size_t)p.cap * sizeof *ptrs);
	if (p.rows == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_registry_audit_list(s, &f, collect_audit, &p) < 0) {
		srv_fail(c, LS_INTERNAL, NULL, "cannot read the audit log");
		goto out;
	}
	if (p.oom) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	Luoshi__V1__ListAuditResponse resp = LUOSHI__V1__LIST_AUDIT_RESPONSE__INIT;
	char next[24];
	int shown = p.n > size ? size : p.n;
	for (int i = 0; i < shown; i++)
		ptrs[i] = &p.rows[i];
	resp.n_entries = (size_t)shown;
	resp.entries = ptrs;
	if (p.n > size) {
		snprintf(next, sizeof next, "%" PRId64, p.rows[size - 1].id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	if (p.rows != NULL)
		free_audit(&p);
	free(ptrs);
}

static Luoshi__V1__RegistryService_Service registry = LUOSHI__V1__REGISTRY_SERVICE__INIT(registry_);

ProtobufCService *srv_registry_service(void)
{
	return &registry.base;
}
