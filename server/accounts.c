/* AccountService: who may call the server. Accounts are never deleted;
 * revoking one ends its token at once. */
#include "luoshi/v1/account.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "server.h"
#include "store/registry.h"

#define NAME_MAX_BYTES 200
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
/* The longest a token may be given to live: ten years. */
#define TTL_DAYS_MAX 3650

_Static_assert((int)SRV_ROLE_VIEWER == (int)LUOSHI__V1__ROLE__ROLE_VIEWER,
               "srv_role follows luoshi.v1.Role");

/* Fills m from a; m points into a, so a must outlive m. */
static void to_proto(const srv_account *a, Luoshi__V1__Account *m)
{
	luoshi__v1__account__init(m);
	m->has_id = true;
	m->id = a->id;
	m->name = (char *)a->name;
	m->has_role = true;
	m->role = (Luoshi__V1__Role)a->role;
	m->unit_code = (char *)a->unit_code;
	m->unit_name = (char *)a->unit_name;
	m->created_at = (char *)a->created_at;
	if (a->revoked_at[0] != '\0')
		m->revoked_at = (char *)a->revoked_at;
	if (a->person_id > 0) {
		m->person_code = (char *)a->person_code;
		m->person_name = (char *)a->person_name;
	}
	if (a->expires_at[0] != '\0')
		m->expires_at = (char *)a->expires_at;
}

/* The time days from now, as srv_now_iso writes times. */
static void iso_in_days(unsigned days, char buf[32])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;
	char zone[8];
	localtime_r(&t, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	snprintf(buf + n, 32 - n, "%.3s:%.2s", zone, zone + 3);
}

/* The unit or person (what) a new account is bound to, named by text: it
 * must be active and lie within the caller's scope. */
static int bound_to(srv_call *c, srv_entity what, const char *field, const char *text, int64_t *id)
{
	srv_store *store = c->srv->store;
	int64_t root = srv_call_scope(c)->root;
	const char *noun = what == SRV_UNIT ? "unit" : "person";
	int rc = srv_store_registry_find(store, what, text, root, field, id, &c->status);
	if (rc == LS_NOT_FOUND)
		return srv_fail(c, LS_INVALID_ARGUMENT, field,
		                "%s: no active %s has the code or name \"%s\"", field, noun, text);
	if (rc != LS_OK)
		return rc;
	int64_t unit = *id;
	bool active;
	const char *code;
	srv_unit u;
	srv_person p;
	if (what == SRV_UNIT) {
		rc = srv_store_registry_unit_get(store, *id, &u);
		active = u.active;
		code = u.code;
	} else {
		rc = srv_store_registry_person_get(store, *id, &p);
		active = p.active;
		code = p.code;
		unit = p.unit_id;
	}
	if (rc != LS_OK)
		return srv_fail(c, LS_INTERNAL, NULL, "%s %lld cannot be read", noun,
		                (long long)*id);
	if (!active)
		return srv_fail(c, LS_INVALID_ARGUMENT, field, "%s: %s %s is inactive", field, noun,
		                code);
	if (!srv_store_unit_within(store, unit, root))
		return srv_fail(c, LS_PERMISSION_DENIED, field, "%s: %s %s lies outside your scope",
		                field, noun, code);
	return LS_OK;
}

static void account_create_account(Luoshi__V1__AccountService_Service *svc,
                                   const Luoshi__V1__CreateAccountRequest *in,
                                   Luoshi__V1__CreateAccountResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (!in->has_role || srv_role_name((srv_role)in->role) == NULL) {
		srv_fail(c, LS_INVALID_ARGUMENT, "role",
		         "role is required: one of admin, leader, town, department, inspector, "
		         "discipline, viewer");
		return;
	}
	const char *name = in->name && in->name[0] ? in->name : srv_role_name((srv_role)in->role);
	if (strlen(name) > NAME_MAX_BYTES) {
		srv_fail(c, LS_INVALID_ARGUMENT, "name", "name is longer than %d bytes",
		         NAME_MAX_BYTES);
		return;
	}
	int64_t unit_id = c->caller->unit_id;
	if (in->unit != NULL && in->unit[0] != '\0' &&
	    bound_to(c, SRV_UNIT, "unit", in->unit, &unit_id) != LS_OK)
		return;
	if (in->has_ttl_days && (in->ttl_days < 1 || in->ttl_days > TTL_DAYS_MAX)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "ttl_days", "ttl_days is from 1 to %d days",
		         TTL_DAYS_MAX);
		return;
	}
	/* A leader's account acts for the leader: projects are led by people. */
	if (in->role == LUOSHI__V1__ROLE__ROLE_LEADER && (in->person == NULL || !in->person[0])) {
		srv_fail(c, LS_INVALID_ARGUMENT, "person",
		         "a leader account is bound to a person: give the person");
		return;
	}

	char token[SRV_TOKEN_SIZE], now[32];
	uint8_t hash[SRV_HASH_SIZE];
	int64_t id;
	srv_token_new(token, hash);
	srv_now_iso(now);
	int64_t person_id = 0;
	if (in->person != NULL && in->person[0] != '\0' &&
	    bound_to(c, SRV_PERSON, "person", in->person, &person_id) != LS_OK)
		return;
	if (srv_store_account_insert(store, name, (srv_role)in->role, unit_id, person_id, hash,
	                             c->caller->id, now, &id, &c->status) != LS_OK)
		return;
	if (in->has_ttl_days) {
		char expires[32];
		iso_in_days(in->ttl_days, expires);
		if (srv_store_account_set_expiry(store, id, expires, &c->status) != LS_OK)
			return;
	}
	srv_account a;
	if (srv_store_account_get(store, id, &a) != LS_OK) {
		srv_fail(c, LS_INTERNAL, NULL, "the new account cannot be read back");
		return;
	}
	Luoshi__V1__Account acc;
	to_proto(&a, &acc);
	if (srv_audit(c, "account", id, 0, NULL, &acc.base) != LS_OK)
		return;
	Luoshi__V1__CreateAccountResponse out = LUOSHI__V1__CREATE_ACCOUNT_RESPONSE__INIT;
	out.account = &acc;
	out.token = token;
	done(&out, arg);
}

typedef struct page {
	srv_account *rows;
	int n, cap;
} page;

static void collect(void *arg, const srv_account *a)
{
	page *p = arg;
	if (p->n < p->cap)
		p->rows[p->n++] = *a;
}

static void account_list_accounts(Luoshi__V1__AccountService_Service *svc,
                                  const Luoshi__V1__ListAccountsRequest *in,
                                  Luoshi__V1__ListAccountsResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	/* Bounded before the cast: a page_size past INT_MAX is no negative
	 * size. */
	int size = in->has_page_size && in->page_size > 0
	               ? (int)(in->page_size > PAGE_MAX ? PAGE_MAX : in->page_size)
	               : PAGE_DEFAULT;
	int64_t after = 0;
	if (in->page_token != NULL && in->page_token[0] != '\0') {
		char *end;
		long long v = strtoll(in->page_token, &end, 10);
		if (*end != '\0' || v < 0) {
			srv_fail(c, LS_INVALID_ARGUMENT, "page_token", "page_token is not one this "
			                                               "server gave");
			return;
		}
		after = v;
	}
	/* One row more than asked tells whether another page follows. Only
	 * the accounts of units within the admin's scope are shown. */
	page p = {.cap = size + 1};
	p.rows = malloc((size_t)p.cap * sizeof *p.rows);
	int64_t *ids = malloc((size_t)p.cap * sizeof *ids);
	Luoshi__V1__Account *accs = malloc((size_t)p.cap * sizeof *accs);
	Luoshi__V1__Account **ptrs = malloc((size_t)p.cap * sizeof *ptrs);
	if (p.rows == NULL || ids == NULL || accs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	int n = srv_store_registry_account_ids(c->srv->store, srv_call_scope(c)->root, after, p.cap,
	                                       in->has_include_revoked && in->include_revoked, ids);
	for (int i = 0; i < n; i++) {
		srv_account a;
		if (srv_store_account_get(c->srv->store, ids[i], &a) != LS_OK) {
			n = -1;
			break;
		}
		collect(&p, &a);
	}
	if (n < 0) {
		srv_fail(c, LS_INTERNAL, NULL, "cannot list accounts");
		goto out;
	}
	Luoshi__V1__ListAccountsResponse resp = LUOSHI__V1__LIST_ACCOUNTS_RESPONSE__INIT;
	char next[24];
	int shown = p.n > size ? size : p.n;
	for (int i = 0; i < shown; i++) {
		to_proto(&p.rows[i], &accs[i]);
		ptrs[i] = &accs[i];
	}
	resp.n_accounts = (size_t)shown;
	resp.accounts = ptrs;
	if (p.n > size) {
		snprintf(next, sizeof next, "%" PRId64, p.rows[size - 1].id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(p.rows);
	free(ids);
	free(accs);
	free(ptrs);
}

static void account_revoke_account(Luoshi__V1__AccountService_Service *svc,
                                   const Luoshi__V1__RevokeAccountRequest *in,
                                   Luoshi__V1__RevokeAccountResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (!in->has_id || in->id <= 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "id", "id is required and positive");
		return;
	}
	if (in->id == c->caller->id) {
		srv_fail(c, LS_FAILED_PRECONDITION, "id",
		         "an account cannot revoke itself; ask another admin");
		return;
	}
	srv_account before, after;
	/* Outside the admin's scope an account does not exist for it. */
	if (srv_store_account_get(store, in->id, &before) != LS_OK || before.revoked_at[0] ||
	    !srv_store_unit_within(store, before.unit_id, srv_call_scope(c)->root)) {
		srv_fail(c, LS_NOT_FOUND, "id", "no live account has id %lld", (long long)in->id);
		return;
	}
	char now[32];
	srv_now_iso(now);
	if (srv_store_account_revoke(store, in->id, now, &c->status) != LS_OK ||
	    srv_store_account_get(store, in->id, &after) != LS_OK) {
		if (c->status.code == LS_OK)
			srv_fail(c, LS_INTERNAL, NULL, "the account cannot be read back");
		return;
	}
	Luoshi__V1__Account b, a;
	to_proto(&before, &b);
	to_proto(&after, &a);
	if (srv_audit(c, "account", in->id, 0, &b.base, &a.base) != LS_OK)
		return;
	Luoshi__V1__RevokeAccountResponse out = LUOSHI__V1__REVOKE_ACCOUNT_RESPONSE__INIT;
	out.account = &a;
	done(&out, arg);
}

static void account_who_am_i(Luoshi__V1__AccountService_Service *svc,
                             const Luoshi__V1__WhoAmIRequest *in,
                             Luoshi__V1__WhoAmIResponse_Closure done, void *arg)
{
	(void)svc;
	(void)in;
	srv_call *c = arg;
	Luoshi__V1__Account acc;
	to_proto(c->caller, &acc);
	Luoshi__V1__WhoAmIResponse out = LUOSHI__V1__WHO_AM_IRESPONSE__INIT;
	out.account = &acc;
	done(&out, arg);
}

static Luoshi__V1__AccountService_Service accounts = LUOSHI__V1__ACCOUNT_SERVICE__INIT(account_);

ProtobufCService *srv_account_service(void) { return &accounts.base; }
