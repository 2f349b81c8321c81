/* End to end: RegistryService (units, people, the audit log) and the
 * registry's side of AccountService. The tree and the scopes of a city with
 * two district offices, validation, deactivation, paging, the role matrix
 * of every write, the audit rows, and the `luoshi unit|person|audit`
 * commands with Chinese names. Each test gets a fresh luoshid; ids are
 * counted by hand from what the test wrote (init makes unit 1, account 1
 * and audit row 1). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/registry.pb-c.h"

#define M_CREATE_UNIT "/luoshi.v1.RegistryService/CreateUnit"
#define M_UPDATE_UNIT "/luoshi.v1.RegistryService/UpdateUnit"
#define M_GET_UNIT "/luoshi.v1.RegistryService/GetUnit"
#define M_LIST_UNITS "/luoshi.v1.RegistryService/ListUnits"
#define M_DEACTIVATE_UNIT "/luoshi.v1.RegistryService/DeactivateUnit"
#define M_CREATE_PERSON "/luoshi.v1.RegistryService/CreatePerson"
#define M_UPDATE_PERSON "/luoshi.v1.RegistryService/UpdatePerson"
#define M_GET_PERSON "/luoshi.v1.RegistryService/GetPerson"
#define M_LIST_PEOPLE "/luoshi.v1.RegistryService/ListPeople"
#define M_DEACTIVATE_PERSON "/luoshi.v1.RegistryService/DeactivatePerson"
#define M_LIST_AUDIT "/luoshi.v1.RegistryService/ListAudit"
#define M_CREATE_ACCOUNT "/luoshi.v1.AccountService/CreateAccount"
#define M_LIST_ACCOUNTS "/luoshi.v1.AccountService/ListAccounts"
#define M_REVOKE_ACCOUNT "/luoshi.v1.AccountService/RevokeAccount"

#define TOKEN_MAX 128

enum {
	CITY = LUOSHI__V1__UNIT_KIND__UNIT_CITY,
	DISTRICT = LUOSHI__V1__UNIT_KIND__UNIT_DISTRICT,
	TOWN = LUOSHI__V1__UNIT_KIND__UNIT_TOWN,
	DEPARTMENT = LUOSHI__V1__UNIT_KIND__UNIT_DEPARTMENT,
};

/* ---- calls ----------------------------------------------------------------------- */

static luoshi_client *connect_as(const e2e_server *s, const char *token)
{
	return e2e_client(s->tcp_url, token, 10000);
}

/* Calls method; on OK *resp is kept when resp is not NULL, else freed. */
static int call(luoshi_client *c, const char *method, const ProtobufCMessage *req,
                ProtobufCMessage **resp, ls_status *st)
{
	ProtobufCMessage *m = NULL;
	int rc = e2e_call(c, method, req, NULL, &m, st);
	if (resp != NULL)
		*resp = m;
	else if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

static void expect(int rc, int want, const ls_status *st, const char *what)
{
	if (rc != want)
		fail_msg("%s: got %s (%s), want %s", what, ls_code_name(rc), st->message,
		         ls_code_name(want));
}

/* Expects a failure with code naming field. */
static void expect_field(int rc, int want, const ls_status *st, const char *field, const char *what)
{
	expect(rc, want, st, what);
	if (strcmp(st->field, field) != 0)
		fail_msg("%s: the error names field \"%s\" (%s), want \"%s\"", what, st->field,
		         st->message, field);
}

static int unit_add(luoshi_client *c, const char *code, const char *name, int kind,
                    const char *parent, int64_t *id, ls_status *st)
{
	Luoshi__V1__CreateUnitRequest req = LUOSHI__V1__CREATE_UNIT_REQUEST__INIT;
	req.code = (char *)code;
	req.name = (char *)name;
	if (kind != 0) {
		req.has_kind = true;
		req.kind = (Luoshi__V1__UnitKind)kind;
	}
	req.parent = (char *)parent;
	ProtobufCMessage *m;
	int rc = call(c, M_CREATE_UNIT, &req.base, &m, st);
	if (rc == LS_OK) {
		const Luoshi__V1__CreateUnitResponse *r = (Luoshi__V1__CreateUnitResponse *)m;
		assert_non_null(r->unit);
		assert_string_equal(r->unit->code, code);
		if (id != NULL)
			*id = r->unit->id;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return rc;
}

static int64_t unit_ok(luoshi_client *c, const char *code, const char *name, int kind,
                       const char *parent)
{
	ls_status st;
	int64_t id = 0;
	expect(unit_add(c, code, name, kind, parent, &id, &st), LS_OK, &st, code);
	return id;
}

static int unit_update(luoshi_client *c, const char *unit, const char *name, int kind,
                       const char *parent, ls_status *st)
{
	Luoshi__V1__UpdateUnitRequest req = LUOSHI__V1__UPDATE_UNIT_REQUEST__INIT;
	req.unit = (char *)unit;
	req.name = (char *)name;
	if (kind != 0) {
		req.has_kind = true;
		req.kind = (Luoshi__V1__UnitKind)kind;
	}
	req.parent = (char *)parent;
	return call(c, M_UPDATE_UNIT, &req.base, NULL, st);
}

static int unit_deactivate(luoshi_client *c, const char *unit, ls_status *st)
{
	Luoshi__V1__DeactivateUnitRequest req = LUOSHI__V1__DEACTIVATE_UNIT_REQUEST__INIT;
	req.unit = (char *)unit;
	return call(c, M_DEACTIVATE_UNIT, &req.base, NULL, st);
}

/* GetUnit; on OK the caller frees *out's response through the returned
 * message. */
static int unit_get(luoshi_client *c, const char *unit, Luoshi__V1__GetUnitResponse **out,
                    ls_status *st)
{
	Luoshi__V1__GetUnitRequest req = LUOSHI__V1__GET_UNIT_REQUEST__INIT;
	req.unit = (char *)unit;
	ProtobufCMessage *m = NULL;
	int rc = call(c, M_GET_UNIT, &req.base, &m, st);
	*out = (Luoshi__V1__GetUnitResponse *)m;
	return rc;
}

static int person_add(luoshi_client *c, const char *code, const char *name, const char *unit,
                      const char *title, const char *phone, int64_t *id, ls_status *st)
{
	Luoshi__V1__CreatePersonRequest req = LUOSHI__V1__CREATE_PERSON_REQUEST__INIT;
	req.code = (char *)code;
	req.name = (char *)name;
	req.unit = (char *)unit;
	req.title = (char *)title;
	req.phone = (char *)phone;
	ProtobufCMessage *m;
	int rc = call(c, M_CREATE_PERSON, &req.base, &m, st);
	if (rc == LS_OK) {
		const Luoshi__V1__CreatePersonResponse *r = (Luoshi__V1__CreatePersonResponse *)m;
		assert_non_null(r->person);
		if (id != NULL)
			*id = r->person->id;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return rc;
}

static int64_t person_ok(luoshi_client *c, const char *code, const char *name, const char *unit,
                         const char *title)
{
	ls_status st;
	int64_t id = 0;
	expect(person_add(c, code, name, unit, title, NULL, &id, &st), LS_OK, &st, code);
	return id;
}

static int person_update(luoshi_client *c, const char *person, const char *name, const char *unit,
                         const char *title, ls_status *st)
{
	Luoshi__V1__UpdatePersonRequest req = LUOSHI__V1__UPDATE_PERSON_REQUEST__INIT;
	req.person = (char *)person;
	req.name = (char *)name;
	req.unit = (char *)unit;
	req.title = (char *)title;
	return call(c, M_UPDATE_PERSON, &req.base, NULL, st);
}

static int person_deactivate(luoshi_client *c, const char *person, ls_status *st)
{
	Luoshi__V1__DeactivatePersonRequest req = LUOSHI__V1__DEACTIVATE_PERSON_REQUEST__INIT;
	req.person = (char *)person;
	return call(c, M_DEACTIVATE_PERSON, &req.base, NULL, st);
}

static int account_add(luoshi_client *c, int role, const char *name, const char *unit,
                       const char *person, int64_t *id, char *token, ls_status *st)
{
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = (Luoshi__V1__Role)role;
	req.name = (char *)name;
	req.unit = (char *)unit;
	req.person = (char *)person;
	ProtobufCMessage *m;
	int rc = call(c, M_CREATE_ACCOUNT, &req.base, &m, st);
	if (rc == LS_OK) {
		const Luoshi__V1__CreateAccountResponse *r = (Luoshi__V1__CreateAccountResponse *)m;
		assert_non_null(r->account);
		assert_non_null(r->token);
		if (id != NULL)
			*id = r->account->id;
		if (token != NULL)
			snprintf(token, TOKEN_MAX, "%s", r->token);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return rc;
}

static int64_t account_ok(luoshi_client *c, int role, const char *name, const char *unit,
                          const char *person, char *token)
{
	ls_status st;
	int64_t id = 0;
	expect(account_add(c, role, name, unit, person, &id, token, &st), LS_OK, &st, name);
	return id;
}

static int account_revoke(luoshi_client *c, int64_t id, ls_status *st)
{
	Luoshi__V1__RevokeAccountRequest req = LUOSHI__V1__REVOKE_ACCOUNT_REQUEST__INIT;
	req.has_id = true;
	req.id = id;
	return call(c, M_REVOKE_ACCOUNT, &req.base, NULL, st);
}

/* ---- lists as text ----------------------------------------------------------------- */

typedef struct unit_query {
	int kind;
	const char *parent;
	const char *search;
	bool inactive;
} unit_query;

/* Appends s to buf (n bytes) with a comma before all but the first. */
static void join(char *buf, size_t n, const char *s)
{
	size_t used = strlen(buf);
	snprintf(buf + used, n - used, "%s%s", used ? "," : "", s);
}

/* The codes ListUnits gives for q, one page of up to 100, "a,b,c". */
static int unit_codes(luoshi_client *c, const unit_query *q, char *buf, size_t n, ls_status *st)
{
	Luoshi__V1__ListUnitsRequest req = LUOSHI__V1__LIST_UNITS_REQUEST__INIT;
	if (q != NULL) {
		if (q->kind != 0) {
			req.has_kind = true;
			req.kind = (Luoshi__V1__UnitKind)q->kind;
		}
		req.parent = (char *)q->parent;
		req.search = (char *)q->search;
		if (q->inactive) {
			req.has_include_inactive = true;
			req.include_inactive = true;
		}
	}
	buf[0] = '\0';
	ProtobufCMessage *m;
	int rc = call(c, M_LIST_UNITS, &req.base, &m, st);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__ListUnitsResponse *r = (Luoshi__V1__ListUnitsResponse *)m;
	for (size_t i = 0; i < r->n_units; i++)
		join(buf, n, r->units[i]->code);
	assert_null(r->next_page_token);
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

static void expect_units(luoshi_client *c, const unit_query *q, const char *want)
{
	char got[1024];
	ls_status st;
	expect(unit_codes(c, q, got, sizeof got, &st), LS_OK, &st, "ListUnits");
	if (strcmp(got, want) != 0)
		fail_msg("ListUnits gave \"%s\", want \"%s\"", got, want);
}

static int people_codes(luoshi_client *c, const char *unit, const char *search, bool inactive,
                        char *buf, size_t n, ls_status *st)
{
	Luoshi__V1__ListPeopleRequest req = LUOSHI__V1__LIST_PEOPLE_REQUEST__INIT;
	req.unit = (char *)unit;
	req.search = (char *)search;
	if (inactive) {
		req.has_include_inactive = true;
		req.include_inactive = true;
	}
	buf[0] = '\0';
	ProtobufCMessage *m;
	int rc = call(c, M_LIST_PEOPLE, &req.base, &m, st);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__ListPeopleResponse *r = (Luoshi__V1__ListPeopleResponse *)m;
	for (size_t i = 0; i < r->n_people; i++)
		join(buf, n, r->people[i]->code);
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

static void expect_people(luoshi_client *c, const char *unit, const char *search, const char *want)
{
	char got[1024];
	ls_status st;
	expect(people_codes(c, unit, search, false, got, sizeof got, &st), LS_OK, &st,
	       "ListPeople");
	if (strcmp(got, want) != 0)
		fail_msg("ListPeople gave \"%s\", want \"%s\"", got, want);
}

/* The ids ListAccounts gives, "1,2". */
static void expect_accounts(luoshi_client *c, const char *want)
{
	Luoshi__V1__ListAccountsRequest req = LUOSHI__V1__LIST_ACCOUNTS_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	expect(call(c, M_LIST_ACCOUNTS, &req.base, &m, &st), LS_OK, &st, "ListAccounts");
	const Luoshi__V1__ListAccountsResponse *r = (Luoshi__V1__ListAccountsResponse *)m;
	char got[256] = "", id[24];
	for (size_t i = 0; i < r->n_accounts; i++) {
		snprintf(id, sizeof id, "%" PRId64, r->accounts[i]->id);
		join(got, sizeof got, id);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	if (strcmp(got, want) != 0)
		fail_msg("ListAccounts gave \"%s\", want \"%s\"", got, want);
}

typedef struct audit_query {
	const char *project;
	const char *entity;
	int64_t entity_id;
	uint32_t page_size;
	const char *page_token;
} audit_query;

/* The ids of one ListAudit page, "9,8,7"; the next page token into next
 * (empty when none). */
static int audit_ids(luoshi_client *c, const audit_query *q, char *buf, size_t n, char *next,
                     size_t next_n, ls_status *st)
{
	Luoshi__V1__ListAuditRequest req = LUOSHI__V1__LIST_AUDIT_REQUEST__INIT;
	if (q != NULL) {
		req.project = (char *)q->project;
		req.entity = (char *)q->entity;
		if (q->entity_id != 0) {
			req.has_entity_id = true;
			req.entity_id = q->entity_id;
		}
		if (q->page_size != 0) {
			req.has_page_size = true;
			req.page_size = q->page_size;
		}
		req.page_token = (char *)q->page_token;
	}
	buf[0] = '\0';
	if (next != NULL)
		next[0] = '\0';
	ProtobufCMessage *m;
	int rc = call(c, M_LIST_AUDIT, &req.base, &m, st);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__ListAuditResponse *r = (Luoshi__V1__ListAuditResponse *)m;
	char id[24];
	for (size_t i = 0; i < r->n_entries; i++) {
		snprintf(id, sizeof id, "%" PRId64, r->entries[i]->id);
		join(buf, n, id);
	}
	if (next != NULL && r->next_page_token != NULL)
		snprintf(next, next_n, "%s", r->next_page_token);
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

static void expect_audit(luoshi_client *c, const audit_query *q, const char *want)
{
	char got[1024], next[32];
	ls_status st;
	expect(audit_ids(c, q, got, sizeof got, next, sizeof next, &st), LS_OK, &st, "ListAudit");
	if (strcmp(got, want) != 0)
		fail_msg("ListAudit gave \"%s\", want \"%s\"", got, want);
	assert_string_equal(next, "");
}

/* ---- the database, from the side -------------------------------------------------- */

static int64_t db_count(const e2e_server *s, const char *sql, const char *p1, const char *p2)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, p1, p2);
	e2e_db_close(db);
	return n;
}

/* The text of the first column of the first row of sql, malloc'd. */
static char *db_text(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	srv_q *q = e2e_db_prepare(db, sql);
	e2e_db_step(q, SRV_ROW);
	const char *t = srv_col_text(q, 0);
	char *out = strdup(t ? t : "");
	assert_non_null(out);
	e2e_db_finalize(q);
	e2e_db_close(db);
	return out;
}

static void db_exec(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, sql);
	e2e_db_close(db);
}

/* Everything a registry write could change, as one text: the rows of units,
 * people and accounts, and the number of audit rows. */
static char *snapshot(const e2e_server *s)
{
	return db_text(
	    s, "SELECT coalesce((SELECT group_concat(id || '|' || code || '|' || name || '|' || "
	       "kind || '|' || coalesce(parent_id, 0) || '|' || active, ';') "
	       "FROM (SELECT * FROM units ORDER BY id) AS u), '') "
	       "|| '#' || coalesce((SELECT group_concat(id || '|' || code || '|' || name || '|' || "
	       "title || '|' || unit_id || '|' || phone || '|' || active, ';') "
	       "FROM (SELECT * FROM people ORDER BY id) AS p), '') "
	       "|| '#' || coalesce((SELECT group_concat(id || '|' || role || '|' || unit_id || "
	       "'|' || coalesce(person_id, 0) || '|' || coalesce(revoked_at, ''), ';') "
	       "FROM (SELECT * FROM accounts ORDER BY id) AS a), '') "
	       "|| '#' || (SELECT count(*) FROM audit_log)");
}

static void expect_unchanged(const e2e_server *s, const char *before, const char *what)
{
	char *now = snapshot(s);
	if (strcmp(now, before) != 0)
		fail_msg("%s changed the database:\nbefore: %s\nafter:  %s", what, before, now);
	free(now);
}

/* ---- the tree and the scopes of two district offices --------------------------------- */

/* Builds the city of the scope tests; see the comment of test_scope. */
static void build_city(e2e_server *s, char *yz_token, char *hs_token, char *town_token)
{
	luoshi_client *root = connect_as(s, s->admin_token);
	ls_status st;
	/* The root unit init made becomes the city office. */
	expect(unit_update(root, "office", NULL, CITY, NULL, &st), LS_OK, &st, "office to city");
	assert_int_equal(unit_ok(root, "YZ", "鄞州区", DISTRICT, NULL), 2);
	assert_int_equal(unit_ok(root, "HS", "海曙区", DISTRICT, "office"), 3);
	assert_int_equal(
	    account_ok(root, LUOSHI__V1__ROLE__ROLE_ADMIN, "鄞州 admin", "YZ", NULL, yz_token), 2);
	assert_int_equal(
	    account_ok(root, LUOSHI__V1__ROLE__ROLE_ADMIN, "海曙 admin", "海曙区", NULL, hs_token),
	    3);
	luoshi_client_close(root);

	luoshi_client *yz = connect_as(s, yz_token);
	assert_int_equal(unit_ok(yz, "WX", "五乡镇", TOWN, NULL), 4);
	assert_int_equal(unit_ok(yz, "XY", "下应街道", TOWN, "YZ"), 5);
	assert_int_equal(unit_ok(yz, "FG", "区发改局", DEPARTMENT, "鄞州区"), 6);
	assert_int_equal(person_ok(yz, "ZS", "张三", "五乡镇", "镇长"), 1);
	assert_int_equal(
	    account_ok(yz, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇 clerk", "WX", NULL, town_token), 4);
	luoshi_client_close(yz);

	luoshi_client *hs = connect_as(s, hs_token);
	assert_int_equal(unit_ok(hs, "GL", "古林镇", TOWN, NULL), 7);
	assert_int_equal(unit_ok(hs, "HSFG", "区发改局", DEPARTMENT, NULL), 8);
	luoshi_client_close(hs);
}

/* A city office (unit 1, made from the root) above two district offices,
 * 鄞州区 YZ (2) and 海曙区 HS (3), each with its own admin (accounts 2 and
 * 3). YZ's admin adds 五乡镇 WX (4), 下应街道 XY (5), 区发改局 FG (6), the
 * person 张三 ZS (1) and a town account for WX (4); HS's admin adds 古林镇
 * GL (7) and its own 区发改局 HSFG (8). Audit rows: 1 init, 2 office to
 * city, 3 YZ, 4 HS, 5 account 2, 6 account 3, 7 WX, 8 XY, 9 FG, 10 ZS,
 * 11 account 4, 12 GL, 13 HSFG. */
static void test_scope(void **state)
{
	e2e_server *s = *state;
	char yz_token[TOKEN_MAX], hs_token[TOKEN_MAX], town_token[TOKEN_MAX];
	build_city(s, yz_token, hs_token, town_token);
	luoshi_client *root = connect_as(s, s->admin_token);
	luoshi_client *yz = connect_as(s, yz_token);
	luoshi_client *hs = connect_as(s, hs_token);
	luoshi_client *town = connect_as(s, town_token);
	ls_status st;

	/* A unit without a parent lands below the caller's own unit. */
	Luoshi__V1__GetUnitResponse *g;
	expect(unit_get(root, "WX", &g, &st), LS_OK, &st, "GetUnit WX");
	assert_string_equal(g->unit->parent_code, "YZ");
	assert_string_equal(g->unit->parent_name, "鄞州区");
	assert_string_equal(g->unit->name, "五乡镇");
	assert_int_equal(g->unit->kind, TOWN);
	assert_true(g->unit->active);
	protobuf_c_message_free_unpacked(&g->base, NULL);
	expect(unit_get(root, "office", &g, &st), LS_OK, &st, "GetUnit office");
	assert_int_equal(g->unit->kind, CITY);
	assert_null(g->unit->parent_code);
	protobuf_c_message_free_unpacked(&g->base, NULL);

	/* Each sees its own subtree: the city all, a district its own, a
	 * town account its district's. */
	expect_units(root, NULL, "office,YZ,HS,WX,XY,FG,GL,HSFG");
	expect_units(yz, NULL, "YZ,WX,XY,FG");
	expect_units(hs, NULL, "HS,GL,HSFG");
	expect_units(town, NULL, "YZ,WX,XY,FG");
	expect_people(root, NULL, NULL, "ZS");
	expect_people(town, NULL, NULL, "ZS");
	expect_people(hs, NULL, NULL, "");
	expect_accounts(root, "1,2,3,4");
	expect_accounts(yz, "2,4");
	expect_accounts(hs, "3");

	/* The other district's rows do not exist for HS, by code or name. */
	expect_field(unit_get(hs, "WX", &g, &st), LS_NOT_FOUND, &st, "unit", "HS gets WX");
	expect_field(unit_get(hs, "五乡镇", &g, &st), LS_NOT_FOUND, &st, "unit", "HS gets 五乡镇");
	expect_field(unit_get(hs, "office", &g, &st), LS_NOT_FOUND, &st, "unit", "HS gets office");
	Luoshi__V1__GetPersonRequest gp = LUOSHI__V1__GET_PERSON_REQUEST__INIT;
	gp.person = (char *)"ZS";
	expect_field(call(hs, M_GET_PERSON, &gp.base, NULL, &st), LS_NOT_FOUND, &st, "person",
	             "HS gets ZS");
	expect(call(town, M_GET_PERSON, &gp.base, NULL, &st), LS_OK, &st, "town gets ZS");
	unit_query q = {.parent = "WX"};
	expect_field(unit_codes(hs, &q, (char[64]){0}, 64, &st), LS_INVALID_ARGUMENT, &st, "parent",
	             "HS lists below WX");

	/* A name resolves within the caller's scope: two offices may each
	 * have their 区发改局. */
	expect(unit_get(yz, "区发改局", &g, &st), LS_OK, &st, "YZ gets 区发改局");
	assert_string_equal(g->unit->code, "FG");
	protobuf_c_message_free_unpacked(&g->base, NULL);
	expect(unit_get(hs, "区发改局", &g, &st), LS_OK, &st, "HS gets 区发改局");
	assert_string_equal(g->unit->code, "HSFG");
	protobuf_c_message_free_unpacked(&g->base, NULL);
	expect_field(unit_get(root, "区发改局", &g, &st), LS_INVALID_ARGUMENT, &st, "unit",
	             "the city gets 区发改局");
	assert_non_null(strstr(st.message, "FG, HSFG"));

	/* The audit log too: HS reads what concerns its subtree only. */
	expect_audit(hs, NULL, "13,12,6,4");
	expect_audit(yz, NULL, "11,10,9,8,7,5,3");
	expect_audit(root, NULL, "13,12,11,10,9,8,7,6,5,4,3,2,1");

	/* HS's admin cannot touch YZ's rows, nor climb out of its subtree;
	 * nothing is written. */
	char *before = snapshot(s);
	expect_field(unit_update(hs, "WX", "改名", 0, NULL, &st), LS_PERMISSION_DENIED, &st, "unit",
	             "HS renames WX");
	expect_field(unit_deactivate(hs, "XY", &st), LS_PERMISSION_DENIED, &st, "unit",
	             "HS deactivates XY");
	expect_field(unit_add(hs, "HS2", "新镇", TOWN, "WX", NULL, &st), LS_PERMISSION_DENIED, &st,
	             "parent", "HS adds below WX");
	expect_field(unit_add(hs, "HS3", "新镇", TOWN, "office", NULL, &st), LS_PERMISSION_DENIED,
	             &st, "parent", "HS adds below the city");
	expect_field(unit_update(hs, "GL", NULL, 0, "YZ", &st), LS_PERMISSION_DENIED, &st, "parent",
	             "HS moves GL below YZ");
	expect_field(unit_update(hs, "HS", NULL, 0, "office", &st), LS_PERMISSION_DENIED, &st,
	             "parent", "HS moves itself below the city");
	expect_field(unit_update(hs, "HS", NULL, TOWN, NULL, &st), LS_PERMISSION_DENIED, &st,
	             "kind", "HS turns its own office into a town");
	expect_field(person_add(hs, "LS", "李四", "WX", NULL, NULL, NULL, &st),
	             LS_PERMISSION_DENIED, &st, "unit", "HS adds a person to WX");
	expect_field(person_update(hs, "ZS", NULL, NULL, "书记", &st), LS_PERMISSION_DENIED, &st,
	             "person", "HS edits ZS");
	expect_field(person_update(hs, "ZS", NULL, "GL", NULL, &st), LS_PERMISSION_DENIED, &st,
	             "person", "HS moves ZS to GL");
	expect_field(person_deactivate(hs, "ZS", &st), LS_PERMISSION_DENIED, &st, "person",
	             "HS deactivates ZS");
	expect_field(
	    account_add(hs, LUOSHI__V1__ROLE__ROLE_TOWN, "forged", "WX", NULL, NULL, NULL, &st),
	    LS_PERMISSION_DENIED, &st, "unit", "HS makes an account for WX");
	expect_field(
	    account_add(hs, LUOSHI__V1__ROLE__ROLE_LEADER, "forged", "GL", "ZS", NULL, NULL, &st),
	    LS_PERMISSION_DENIED, &st, "person", "HS makes ZS's account");
	expect_field(account_revoke(hs, 2, &st), LS_NOT_FOUND, &st, "id", "HS revokes YZ's admin");
	expect_field(account_revoke(hs, 4, &st), LS_NOT_FOUND, &st, "id", "HS revokes WX's clerk");
	/* YZ cannot reach the city office above it either. */
	expect_field(unit_update(yz, "office", "改名", 0, NULL, &st), LS_PERMISSION_DENIED, &st,
	             "unit", "YZ renames the city");
	expect_unchanged(s, before, "writes outside the scope");
	free(before);

	/* The city office may do all of it. */
	expect(unit_update(root, "WX", "五乡镇人民政府", 0, NULL, &st), LS_OK, &st,
	       "city renames WX");
	expect(account_revoke(root, 4, &st), LS_OK, &st, "city revokes WX's clerk");
	expect_accounts(yz, "2");

	/* Moved into YZ (audit 16), HSFG's rows follow it; HS still reads the
	 * row it wrote itself (13), but not the move. */
	expect(unit_update(root, "HSFG", NULL, 0, "YZ", &st), LS_OK, &st, "city moves HSFG");
	expect_units(hs, NULL, "HS,GL");
	expect_audit(hs, NULL, "13,12,6,4");
	expect_audit(yz, NULL, "16,15,14,13,11,10,9,8,7,5,3");

	luoshi_client_close(root);
	luoshi_client_close(yz);
	luoshi_client_close(hs);
	luoshi_client_close(town);
}

/* ---- validation ------------------------------------------------------------------- */

static void test_unit_validation(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = connect_as(s, s->admin_token);
	ls_status st;
	assert_int_equal(unit_ok(c, "A", "甲", DEPARTMENT, NULL), 2);
	assert_int_equal(unit_ok(c, "B", "乙", DEPARTMENT, "A"), 3);
	assert_int_equal(unit_ok(c, "OLD", "旧单位", DEPARTMENT, NULL), 4);
	expect(unit_deactivate(c, "OLD", &st), LS_OK, &st, "deactivate OLD");

	char *before = snapshot(s);
	expect_field(unit_add(c, "A", "又一个甲", TOWN, NULL, NULL, &st), LS_ALREADY_EXISTS, &st,
	             "code", "a code twice");
	expect_field(unit_add(c, "OLD", "旧", TOWN, NULL, NULL, &st), LS_ALREADY_EXISTS, &st,
	             "code", "the code of an inactive unit");
	expect_field(unit_add(c, NULL, "无码", TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "code", "no code");
	expect_field(unit_add(c, "W X", "空格", TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "code", "a space in the code");
	expect_field(unit_add(c, "五乡", "汉字", TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "code", "Chinese in the code");
	expect_field(unit_add(c, "a/b", "斜杠", TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "code", "a slash in the code");
	char long_code[34];
	memset(long_code, 'C', 33);
	long_code[33] = '\0';
	expect_field(unit_add(c, long_code, "长码", TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT,
	             &st, "code", "a code of 33 bytes");
	expect_field(unit_add(c, "NN", NULL, TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "name", "no name");
	expect_field(unit_add(c, "NN", "", TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st, "name",
	             "an empty name");
	expect_field(unit_add(c, "NN", "两\n行", TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "name", "a newline in the name");
	/* 67 characters of three bytes: 201 bytes. */
	char long_name[256] = "";
	for (int i = 0; i < 67; i++)
		strcat(long_name, "镇");
	assert_int_equal(strlen(long_name), 201);
	expect_field(unit_add(c, "NN", long_name, TOWN, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "name", "a name of 201 bytes");
	expect_field(unit_add(c, "NN", "无类", 0, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "kind", "no kind");
	expect_field(unit_add(c, "NN", "怪类", 99, NULL, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "kind", "kind 99");
	expect_field(unit_add(c, "NN", "孤儿", TOWN, "NOSUCH", NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "parent", "an unknown parent");
	expect_field(unit_add(c, "NN", "旧下", TOWN, "OLD", NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "parent", "an inactive parent");
	/* A cycle: A below its own child, or below itself. */
	expect_field(unit_update(c, "A", NULL, 0, "B", &st), LS_INVALID_ARGUMENT, &st, "parent",
	             "A below B");
	expect_field(unit_update(c, "A", NULL, 0, "A", &st), LS_INVALID_ARGUMENT, &st, "parent",
	             "A below A");
	expect_field(unit_update(c, "office", NULL, 0, "B", &st), LS_INVALID_ARGUMENT, &st,
	             "parent", "the root below B");
	expect_field(unit_update(c, "A", "", 0, NULL, &st), LS_INVALID_ARGUMENT, &st, "name",
	             "renaming to nothing");
	expect_field(unit_update(c, "A", long_name, 0, NULL, &st), LS_INVALID_ARGUMENT, &st, "name",
	             "renaming to 201 bytes");
	expect_field(unit_update(c, "A", NULL, 42, NULL, &st), LS_INVALID_ARGUMENT, &st, "kind",
	             "kind 42");
	expect_field(unit_update(c, "NOSUCH", "无", 0, NULL, &st), LS_NOT_FOUND, &st, "unit",
	             "renaming an unknown unit");
	expect_field(unit_update(c, NULL, "无", 0, NULL, &st), LS_INVALID_ARGUMENT, &st, "unit",
	             "renaming no unit");
	expect_field(unit_deactivate(c, "NOSUCH", &st), LS_NOT_FOUND, &st, "unit",
	             "deactivating an unknown unit");
	Luoshi__V1__GetUnitResponse *g;
	expect_field(unit_get(c, "NOSUCH", &g, &st), LS_NOT_FOUND, &st, "unit", "an unknown unit");
	expect_unchanged(s, before, "the refused unit writes");
	free(before);

	/* The limits themselves are fine: 200 bytes, 32 of [A-Za-z0-9_.-]. */
	char name200[256];
	memcpy(name200, long_name, 198);
	memcpy(name200 + 198, "ab", 3);
	long_code[32] = '\0';
	memcpy(long_code, "Aa0_.-", 6);
	assert_int_equal(unit_ok(c, long_code, name200, TOWN, NULL), 5);
	expect(unit_get(c, long_code, &g, &st), LS_OK, &st, "GetUnit long");
	assert_string_equal(g->unit->name, name200);
	protobuf_c_message_free_unpacked(&g->base, NULL);
	/* Moving B up and A below a sibling is no cycle. */
	expect(unit_update(c, "B", NULL, 0, "office", &st), LS_OK, &st, "B to the top");
	expect(unit_update(c, "A", NULL, 0, "B", &st), LS_OK, &st, "A below B");
	expect(unit_get(c, "A", &g, &st), LS_OK, &st, "GetUnit A");
	assert_string_equal(g->unit->parent_code, "B");
	protobuf_c_message_free_unpacked(&g->base, NULL);
	luoshi_client_close(c);
}

static void test_person_validation(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = connect_as(s, s->admin_token);
	ls_status st;
	assert_int_equal(unit_ok(c, "WX", "五乡镇", TOWN, NULL), 2);
	assert_int_equal(unit_ok(c, "OLD", "旧单位", TOWN, NULL), 3);
	expect(unit_deactivate(c, "OLD", &st), LS_OK, &st, "deactivate OLD");
	assert_int_equal(person_ok(c, "ZS", "张三", "WX", "镇长"), 1);

	char *before = snapshot(s);
	char long_text[256];
	memset(long_text, 'x', 201);
	long_text[201] = '\0';
	char long_phone[48];
	memset(long_phone, '1', 41);
	long_phone[41] = '\0';
	expect_field(person_add(c, "ZS", "另一个张三", "WX", NULL, NULL, NULL, &st),
	             LS_ALREADY_EXISTS, &st, "code", "a person code twice");
	expect_field(person_add(c, "Z S", "张三", "WX", NULL, NULL, NULL, &st), LS_INVALID_ARGUMENT,
	             &st, "code", "a space in the code");
	expect_field(person_add(c, NULL, "张三", "WX", NULL, NULL, NULL, &st), LS_INVALID_ARGUMENT,
	             &st, "code", "no code");
	expect_field(person_add(c, "LS", NULL, "WX", NULL, NULL, NULL, &st), LS_INVALID_ARGUMENT,
	             &st, "name", "no name");
	expect_field(person_add(c, "LS", long_text, "WX", NULL, NULL, NULL, &st),
	             LS_INVALID_ARGUMENT, &st, "name", "a name of 201 bytes");
	expect_field(person_add(c, "LS", "李四", NULL, NULL, NULL, NULL, &st), LS_INVALID_ARGUMENT,
	             &st, "unit", "no unit");
	expect_field(person_add(c, "LS", "李四", "NOSUCH", NULL, NULL, NULL, &st),
	             LS_INVALID_ARGUMENT, &st, "unit", "an unknown unit");
	expect_field(person_add(c, "LS", "李四", "OLD", NULL, NULL, NULL, &st), LS_INVALID_ARGUMENT,
	             &st, "unit", "an inactive unit");
	expect_field(person_add(c, "LS", "李四", "WX", long_text, NULL, NULL, &st),
	             LS_INVALID_ARGUMENT, &st, "title", "a title of 201 bytes");
	expect_field(person_add(c, "LS", "李四", "WX", NULL, long_phone, NULL, &st),
	             LS_INVALID_ARGUMENT, &st, "phone", "a phone of 41 bytes");
	expect_field(person_update(c, "ZS", "", NULL, NULL, &st), LS_INVALID_ARGUMENT, &st, "name",
	             "renaming to nothing");
	expect_field(person_update(c, "ZS", NULL, "OLD", NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "unit", "moving to an inactive unit");
	expect_field(person_update(c, "NOSUCH", "无", NULL, NULL, &st), LS_NOT_FOUND, &st, "person",
	             "renaming an unknown person");
	expect_field(person_deactivate(c, "NOSUCH", &st), LS_NOT_FOUND, &st, "person",
	             "deactivating an unknown person");
	expect_unchanged(s, before, "the refused person writes");
	free(before);

	/* An empty title clears it; the rest stays. */
	expect(person_update(c, "张三", NULL, NULL, "", &st), LS_OK, &st, "clear the title");
	char *row = db_text(s, "SELECT name || '|' || title || '|' || unit_id FROM people");
	assert_string_equal(row, "张三||2");
	free(row);
	luoshi_client_close(c);
}

static void test_account_binding(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = connect_as(s, s->admin_token);
	ls_status st;
	assert_int_equal(unit_ok(c, "WX", "五乡镇", TOWN, NULL), 2);
	assert_int_equal(person_ok(c, "ZS", "张三", "WX", "副区长"), 1);
	assert_int_equal(person_ok(c, "GONE", "王五", "WX", NULL), 2);
	expect(person_deactivate(c, "GONE", &st), LS_OK, &st, "deactivate GONE");

	char *before = snapshot(s);
	expect_field(
	    account_add(c, LUOSHI__V1__ROLE__ROLE_LEADER, "无人", "WX", NULL, NULL, NULL, &st),
	    LS_INVALID_ARGUMENT, &st, "person", "a leader without a person");
	expect_field(
	    account_add(c, LUOSHI__V1__ROLE__ROLE_LEADER, "无人", "WX", "NOSUCH", NULL, NULL, &st),
	    LS_INVALID_ARGUMENT, &st, "person", "an unknown person");
	expect_field(
	    account_add(c, LUOSHI__V1__ROLE__ROLE_LEADER, "旧人", "WX", "GONE", NULL, NULL, &st),
	    LS_INVALID_ARGUMENT, &st, "person", "an inactive person");
	expect_field(
	    account_add(c, LUOSHI__V1__ROLE__ROLE_TOWN, "无单位", "NOSUCH", NULL, NULL, NULL, &st),
	    LS_INVALID_ARGUMENT, &st, "unit", "an unknown unit");
	expect_unchanged(s, before, "the refused accounts");
	free(before);

	char token[TOKEN_MAX];
	assert_int_equal(
	    account_ok(c, LUOSHI__V1__ROLE__ROLE_LEADER, "张三", "五乡镇", "张三", token), 2);
	char *row = db_text(s, "SELECT role || '|' || unit_id || '|' || person_id FROM accounts "
	                       "WHERE id = 2");
	assert_string_equal(row, "leader|2|1");
	free(row);
	luoshi_client_close(c);

	/* The leader's own account knows its person. */
	c = connect_as(s, token);
	Luoshi__V1__WhoAmIRequest wq = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	ProtobufCMessage *m;
	expect(call(c, "/luoshi.v1.AccountService/WhoAmI", &wq.base, &m, &st), LS_OK, &st,
	       "WhoAmI");
	const Luoshi__V1__WhoAmIResponse *w = (Luoshi__V1__WhoAmIResponse *)m;
	assert_string_equal(w->account->person_code, "ZS");
	assert_string_equal(w->account->person_name, "张三");
	assert_string_equal(w->account->unit_code, "WX");
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

/* ---- deactivation ------------------------------------------------------------------ */

static void test_deactivation(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = connect_as(s, s->admin_token);
	ls_status st;
	assert_int_equal(unit_ok(c, "P", "上级", DEPARTMENT, NULL), 2);
	assert_int_equal(unit_ok(c, "C", "下级", DEPARTMENT, "P"), 3);
	assert_int_equal(unit_ok(c, "T", "下应街道", TOWN, NULL), 4);
	assert_int_equal(person_ok(c, "PT", "李四", "T", NULL), 1);
	assert_int_equal(account_ok(c, LUOSHI__V1__ROLE__ROLE_TOWN, "下应 clerk", "T", "PT", NULL),
	                 2);
	assert_int_equal(unit_ok(c, "D", "区发改局", DEPARTMENT, NULL), 5);
	assert_int_equal(person_ok(c, "L", "赵六", "D", "副区长"), 2);
	assert_int_equal(unit_ok(c, "Q", "区住建局", DEPARTMENT, NULL), 6);
	assert_int_equal(person_ok(c, "PQ", "钱八", "Q", NULL), 3);
	/* A project led by L, with D as its lead unit (ProjectService is not
	 * this test's business: the row goes straight in). */
	db_exec(s, "INSERT INTO projects(code, name, level, category, stage, lead_leader_id, "
	           "lead_unit_id, total_investment, planned_start, planned_finish, created_at) "
	           "VALUES ('AUX', '奥克斯智能空调项目', 'district', 'industrial', 'new', 2, 5, "
	           "218900, '2026-01-01', '2027-12-31', '2026-01-01T00:00:00+08:00')");

	char *before = snapshot(s);
	expect_field(unit_deactivate(c, "P", &st), LS_FAILED_PRECONDITION, &st, "unit",
	             "P with a child");
	assert_non_null(strstr(st.message, "1 active unit (C)"));
	expect_field(unit_deactivate(c, "T", &st), LS_FAILED_PRECONDITION, &st, "unit",
	             "T with a person and an account");
	assert_non_null(strstr(st.message, "1 active person (PT)"));
	assert_non_null(strstr(st.message, "1 live account (#2 下应 clerk)"));
	expect_field(person_deactivate(c, "PT", &st), LS_FAILED_PRECONDITION, &st, "person",
	             "PT with an account");
	assert_non_null(strstr(st.message, "#2"));
	expect_field(person_deactivate(c, "L", &st), LS_FAILED_PRECONDITION, &st, "person",
	             "L leading a project");
	assert_non_null(strstr(st.message, "1 project (AUX)"));
	expect_field(unit_deactivate(c, "D", &st), LS_FAILED_PRECONDITION, &st, "unit",
	             "D leading a project");
	assert_non_null(strstr(st.message, "AUX"));
	/* A person alone is enough to keep a unit. */
	expect_field(unit_deactivate(c, "Q", &st), LS_FAILED_PRECONDITION, &st, "unit",
	             "Q with a person only");
	assert_non_null(strstr(st.message, "1 active person (PQ)"));
	assert_null(strstr(st.message, "account"));
	expect_field(unit_deactivate(c, "office", &st), LS_FAILED_PRECONDITION, &st, "unit",
	             "the root");
	assert_non_null(strstr(st.message, "#1 admin"));
	expect_unchanged(s, before, "the refused deactivations");
	free(before);

	/* Bottom up, it works. */
	expect(unit_deactivate(c, "C", &st), LS_OK, &st, "deactivate C");
	expect_field(unit_deactivate(c, "C", &st), LS_FAILED_PRECONDITION, &st, "unit",
	             "deactivate C again");
	expect(unit_deactivate(c, "P", &st), LS_OK, &st, "deactivate P");
	expect(account_revoke(c, 2, &st), LS_OK, &st, "revoke the clerk");
	expect(person_deactivate(c, "PT", &st), LS_OK, &st, "deactivate PT");
	expect_field(person_deactivate(c, "PT", &st), LS_FAILED_PRECONDITION, &st, "person",
	             "deactivate PT again");
	expect(unit_deactivate(c, "T", &st), LS_OK, &st, "deactivate T");
	db_exec(s, "UPDATE projects SET archived = 1 WHERE code = 'AUX'");
	expect(person_deactivate(c, "L", &st), LS_OK, &st, "deactivate L");
	expect(unit_deactivate(c, "D", &st), LS_OK, &st, "deactivate D");
	expect(person_deactivate(c, "PQ", &st), LS_OK, &st, "deactivate PQ");
	expect(unit_deactivate(c, "Q", &st), LS_OK, &st, "deactivate Q");

	/* Nothing was deleted; the inactive rows are hidden unless asked for. */
	assert_int_equal(db_count(s, "SELECT count(*) FROM units", NULL, NULL), 6);
	assert_int_equal(db_count(s, "SELECT count(*) FROM units WHERE active = 0", NULL, NULL), 5);
	assert_int_equal(db_count(s, "SELECT count(*) FROM people WHERE active = 0", NULL, NULL),
	                 3);
	expect_units(c, NULL, "office");
	unit_query all = {.inactive = true};
	expect_units(c, &all, "office,P,C,T,D,Q");
	expect_people(c, NULL, NULL, "");
	char got[64];
	expect(people_codes(c, NULL, NULL, true, got, sizeof got, &st), LS_OK, &st, "all people");
	assert_string_equal(got, "PT,L,PQ");
	Luoshi__V1__GetUnitResponse *g;
	expect(unit_get(c, "C", &g, &st), LS_OK, &st, "GetUnit C");
	assert_false(g->unit->active);
	protobuf_c_message_free_unpacked(&g->base, NULL);

	/* Nothing new may point to them. */
	before = snapshot(s);
	expect_field(unit_add(c, "CC", "孙", DEPARTMENT, "C", NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "parent", "below an inactive unit");
	expect_field(person_add(c, "PC", "孙七", "C", NULL, NULL, NULL, &st), LS_INVALID_ARGUMENT,
	             &st, "unit", "a person of an inactive unit");
	expect_field(account_add(c, LUOSHI__V1__ROLE__ROLE_TOWN, "旧", "T", NULL, NULL, NULL, &st),
	             LS_INVALID_ARGUMENT, &st, "unit", "an account of an inactive unit");
	expect_unchanged(s, before, "pointing to inactive rows");
	free(before);
	luoshi_client_close(c);
}

/* ---- paging and filters ------------------------------------------------------------ */

static void test_paging(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = connect_as(s, s->admin_token);
	ls_status st;
	static const char *const codes[] = {"U1", "U2", "U3", "U4", "U5"};
	static const char *const names[] = {"五乡镇", "区发改局", "下应街道", "区住建局", "东吴镇"};
	for (int i = 0; i < 5; i++)
		assert_int_equal(unit_ok(c, codes[i], names[i], i % 2 ? DEPARTMENT : TOWN, NULL),
		                 i + 2);

	/* Pages of two: ids 1-2, 3-4, 5-6. */
	static const char *const want[] = {"office,U1", "U2,U3", "U4,U5"};
	char token[32] = "";
	for (int page = 0; page < 3; page++) {
		Luoshi__V1__ListUnitsRequest req = LUOSHI__V1__LIST_UNITS_REQUEST__INIT;
		req.has_page_size = true;
		req.page_size = 2;
		req.page_token = page ? token : NULL;
		ProtobufCMessage *m;
		expect(call(c, M_LIST_UNITS, &req.base, &m, &st), LS_OK, &st, "ListUnits page");
		const Luoshi__V1__ListUnitsResponse *r = (Luoshi__V1__ListUnitsResponse *)m;
		char got[64] = "";
		for (size_t i = 0; i < r->n_units; i++)
			join(got, sizeof got, r->units[i]->code);
		assert_string_equal(got, want[page]);
		if (page < 2) {
			assert_non_null(r->next_page_token);
			snprintf(token, sizeof token, "%s", r->next_page_token);
		} else {
			assert_null(r->next_page_token);
		}
		protobuf_c_message_free_unpacked(m, NULL);
	}
	/* Too big a page is the largest page; a made-up token is refused. */
	Luoshi__V1__ListUnitsRequest big = LUOSHI__V1__LIST_UNITS_REQUEST__INIT;
	big.has_page_size = true;
	big.page_size = 5000;
	expect(call(c, M_LIST_UNITS, &big.base, NULL, &st), LS_OK, &st, "page of 5000");
	big.page_token = (char *)"abc";
	expect_field(call(c, M_LIST_UNITS, &big.base, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "page_token", "a made-up token");

	/* Filters. */
	unit_query q = {.kind = TOWN};
	expect_units(c, &q, "U1,U3,U5");
	q = (unit_query){.search = "街道"};
	expect_units(c, &q, "U3");
	q = (unit_query){.search = "u4"};
	expect_units(c, &q, "U4");
	q = (unit_query){.search = "局", .kind = DEPARTMENT};
	expect_units(c, &q, "U2,U4");
	q = (unit_query){.parent = "office"};
	expect_units(c, &q, "U1,U2,U3,U4,U5");
	q = (unit_query){.parent = "U1"};
	expect_units(c, &q, "");
	q = (unit_query){.parent = "NOSUCH"};
	expect_field(unit_codes(c, &q, (char[64]){0}, 64, &st), LS_INVALID_ARGUMENT, &st, "parent",
	             "an unknown parent filter");

	/* People: pages of two, and their filters. */
	assert_int_equal(person_ok(c, "P1", "张三", "U1", "镇长"), 1);
	assert_int_equal(person_ok(c, "P2", "李四", "U1", "书记"), 2);
	assert_int_equal(person_ok(c, "P3", "张五", "U2", "局长"), 3);
	Luoshi__V1__ListPeopleRequest pr = LUOSHI__V1__LIST_PEOPLE_REQUEST__INIT;
	pr.has_page_size = true;
	pr.page_size = 2;
	ProtobufCMessage *m;
	expect(call(c, M_LIST_PEOPLE, &pr.base, &m, &st), LS_OK, &st, "ListPeople page 1");
	Luoshi__V1__ListPeopleResponse *lp = (Luoshi__V1__ListPeopleResponse *)m;
	assert_int_equal(lp->n_people, 2);
	assert_string_equal(lp->people[0]->code, "P1");
	assert_string_equal(lp->people[1]->code, "P2");
	assert_string_equal(lp->people[0]->unit_name, "五乡镇");
	assert_non_null(lp->next_page_token);
	snprintf(token, sizeof token, "%s", lp->next_page_token);
	protobuf_c_message_free_unpacked(m, NULL);
	pr.page_token = token;
	expect(call(c, M_LIST_PEOPLE, &pr.base, &m, &st), LS_OK, &st, "ListPeople page 2");
	lp = (Luoshi__V1__ListPeopleResponse *)m;
	assert_int_equal(lp->n_people, 1);
	assert_string_equal(lp->people[0]->code, "P3");
	assert_null(lp->next_page_token);
	protobuf_c_message_free_unpacked(m, NULL);
	expect_people(c, "U1", NULL, "P1,P2");
	expect_people(c, "区发改局", NULL, "P3");
	expect_people(c, NULL, "张", "P1,P3");

	/* The audit log pages newest first: 1 init + 5 units + 3 people. */
	static const char *const audit_want[] = {"9,8,7,6", "5,4,3,2", "1"};
	token[0] = '\0';
	for (int page = 0; page < 3; page++) {
		audit_query aq = {.page_size = 4, .page_token = page ? token : NULL};
		char got[64], next[32];
		expect(audit_ids(c, &aq, got, sizeof got, next, sizeof next, &st), LS_OK, &st,
		       "ListAudit page");
		assert_string_equal(got, audit_want[page]);
		assert_int_equal(next[0] != '\0', page < 2);
		snprintf(token, sizeof token, "%s", next);
	}
	luoshi_client_close(c);
}

/* ---- the role matrix --------------------------------------------------------------- */

/* The writes of the registry, each as one call; each makes one audit row
 * when it succeeds. */
static int w_create_unit(luoshi_client *c, ls_status *st)
{
	return unit_add(c, "NEW", "新单位", TOWN, NULL, NULL, st);
}

static int w_update_unit(luoshi_client *c, ls_status *st)
{
	return unit_update(c, "WX", "五乡镇人民政府", 0, NULL, st);
}

static int w_deactivate_unit(luoshi_client *c, ls_status *st)
{
	return unit_deactivate(c, "EMPTY", st);
}

static int w_create_person(luoshi_client *c, ls_status *st)
{
	return person_add(c, "NEWP", "新人", "WX", NULL, NULL, NULL, st);
}

static int w_update_person(luoshi_client *c, ls_status *st)
{
	return person_update(c, "ZS", NULL, NULL, "党委书记", st);
}

static int w_deactivate_person(luoshi_client *c, ls_status *st)
{
	return person_deactivate(c, "LONE", st);
}

static int w_create_account(luoshi_client *c, ls_status *st)
{
	return account_add(c, LUOSHI__V1__ROLE__ROLE_VIEWER, "新账号", "WX", NULL, NULL, NULL, st);
}

static const struct {
	const char *name;
	int (*run)(luoshi_client *c, ls_status *st);
} writes[] = {
    {"CreateUnit", w_create_unit},         {"UpdateUnit", w_update_unit},
    {"DeactivateUnit", w_deactivate_unit}, {"CreatePerson", w_create_person},
    {"UpdatePerson", w_update_person},     {"DeactivatePerson", w_deactivate_person},
    {"CreateAccount", w_create_account},
};

static void test_role_matrix(void **state)
{
	e2e_server *s = *state;
	luoshi_client *admin = connect_as(s, s->admin_token);
	ls_status st;
	unit_ok(admin, "WX", "五乡镇", TOWN, NULL);
	unit_ok(admin, "FG", "区发改局", DEPARTMENT, NULL);
	unit_ok(admin, "DC", "督查一组", LUOSHI__V1__UNIT_KIND__UNIT_INSPECTION_GROUP, NULL);
	unit_ok(admin, "JW", "区纪委", LUOSHI__V1__UNIT_KIND__UNIT_DISCIPLINE, NULL);
	unit_ok(admin, "EMPTY", "空单位", DEPARTMENT, NULL);
	person_ok(admin, "ZS", "张三", "WX", "镇长");
	person_ok(admin, "LEAD", "王区长", "office", "区长");
	person_ok(admin, "LONE", "无事人", "office", NULL);
	static const struct {
		int role;
		const char *unit, *person;
		bool audit;
	} roles[] = {
	    {LUOSHI__V1__ROLE__ROLE_LEADER, "office", "LEAD", false},
	    {LUOSHI__V1__ROLE__ROLE_TOWN, "WX", NULL, false},
	    {LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "FG", NULL, false},
	    {LUOSHI__V1__ROLE__ROLE_INSPECTOR, "DC", NULL, true},
	    {LUOSHI__V1__ROLE__ROLE_DISCIPLINE, "JW", NULL, true},
	    {LUOSHI__V1__ROLE__ROLE_VIEWER, "office", NULL, false},
	};
	size_t n_roles = sizeof roles / sizeof roles[0];
	char tokens[6][TOKEN_MAX];
	for (size_t i = 0; i < n_roles; i++)
		account_ok(admin, roles[i].role, "role", roles[i].unit, roles[i].person, tokens[i]);

	char *before = snapshot(s);
	for (size_t i = 0; i < n_roles; i++) {
		luoshi_client *c = connect_as(s, tokens[i]);
		for (size_t w = 0; w < sizeof writes / sizeof writes[0]; w++) {
			char what[96];
			snprintf(what, sizeof what, "%s as %d", writes[w].name, roles[i].role);
			expect(writes[w].run(c, &st), LS_PERMISSION_DENIED, &st, what);
		}
		/* Every role reads the address book. */
		expect_units(c, NULL, "office,WX,FG,DC,JW,EMPTY");
		expect_people(c, NULL, NULL, "ZS,LEAD,LONE");
		Luoshi__V1__GetUnitResponse *g;
		expect(unit_get(c, "五乡镇", &g, &st), LS_OK, &st, "GetUnit as a role");
		protobuf_c_message_free_unpacked(&g->base, NULL);
		/* The audit log only for the admin, inspectors and discipline. */
		char ids[256];
		int rc = audit_ids(c, NULL, ids, sizeof ids, NULL, 0, &st);
		expect(rc, roles[i].audit ? LS_OK : LS_PERMISSION_DENIED, &st,
		       "ListAudit as a role");
		luoshi_client_close(c);
	}
	expect_unchanged(s, before, "the writes of other roles");
	free(before);

	/* The admin may do each, and each leaves one audit row. */
	int64_t rows = db_count(s, "SELECT count(*) FROM audit_log", NULL, NULL);
	for (size_t w = 0; w < sizeof writes / sizeof writes[0]; w++) {
		expect(writes[w].run(admin, &st), LS_OK, &st, writes[w].name);
		char method[96];
		snprintf(method, sizeof method, "%%/%s", writes[w].name);
		rows++;
		assert_int_equal(db_count(s, "SELECT count(*) FROM audit_log", NULL, NULL), rows);
		assert_int_equal(db_count(s,
		                          "SELECT count(*) FROM audit_log WHERE id = "
		                          "(SELECT max(id) FROM audit_log) AND method LIKE ?1 "
		                          "AND account_id = 1",
		                          method, NULL),
		                 1);
	}
	luoshi_client_close(admin);
}

/* ---- the audit rows ------------------------------------------------------------------ */

/* The value of a JSON path ("$.key") in the before or after of audit row
 * id, as SQLite's json_extract gives it ("(null)" for none). */
static char *audit_json(const e2e_server *s, int id, const char *column, const char *path)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT %s FROM audit_log WHERE id = %d", column, id);
	char *text = db_text(s, sql);
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);
	if (doc == NULL)
		fail_msg("audit row %d %s is not JSON: %s", id, column, text);
	free(text);
	assert_true(strncmp(path, "$.", 2) == 0);
	json_t *v = json_object_get(doc, path + 2);
	char buf[256];
	if (json_is_string(v))
		snprintf(buf, sizeof buf, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, sizeof buf, "%d", json_is_true(v));
	else
		snprintf(buf, sizeof buf, "(null)");
	json_decref(doc);
	char *out = strdup(buf);
	assert_non_null(out);
	return out;
}

static void expect_audit_row(const e2e_server *s, int id, const char *method, const char *entity,
                             int entity_id, bool has_before)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM audit_log WHERE id = %d AND account_id = 1 AND method = ?1 "
	         "AND entity = ?2 AND entity_id = %d AND after IS NOT NULL AND before IS %s NULL",
	         id, entity_id, has_before ? "NOT" : "");
	if (db_count(s, sql, method, entity) != 1)
		fail_msg("audit row %d is not %s of %s %d", id, method, entity, entity_id);
}

static void expect_json(const e2e_server *s, int id, const char *column, const char *path,
                        const char *want)
{
	char *got = audit_json(s, id, column, path);
	if (strcmp(got, want) != 0)
		fail_msg("audit row %d %s %s is \"%s\", want \"%s\"", id, column, path, got, want);
	free(got);
}

static void test_audit(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = connect_as(s, s->admin_token);
	ls_status st;
	unit_ok(c, "WX", "五乡", TOWN, NULL);                                       /* audit 2 */
	expect(unit_update(c, "WX", "五乡镇", 0, NULL, &st), LS_OK, &st, "rename"); /* 3 */
	/* A change to nothing writes nothing. */
	expect(unit_update(c, "WX", "五乡镇", TOWN, "office", &st), LS_OK, &st, "no change");
	unit_ok(c, "EMPTY", "空", DEPARTMENT, NULL);                                    /* 4 */
	expect(unit_deactivate(c, "EMPTY", &st), LS_OK, &st, "deactivate");             /* 5 */
	person_ok(c, "ZS", "张三", "WX", "镇长");                                       /* 6 */
	expect(person_update(c, "ZS", NULL, NULL, "书记", &st), LS_OK, &st, "retitle"); /* 7 */
	expect(person_deactivate(c, "ZS", &st), LS_OK, &st, "deactivate ZS");           /* 8 */
	assert_int_equal(db_count(s, "SELECT count(*) FROM audit_log", NULL, NULL), 8);

	expect_audit_row(s, 2, M_CREATE_UNIT, "unit", 2, false);
	expect_json(s, 2, "after", "$.code", "WX");
	expect_json(s, 2, "after", "$.name", "五乡");
	expect_json(s, 2, "after", "$.kind", "UNIT_TOWN");
	expect_json(s, 2, "after", "$.parentCode", "office");
	expect_audit_row(s, 3, M_UPDATE_UNIT, "unit", 2, true);
	expect_json(s, 3, "before", "$.name", "五乡");
	expect_json(s, 3, "after", "$.name", "五乡镇");
	expect_audit_row(s, 4, M_CREATE_UNIT, "unit", 3, false);
	expect_audit_row(s, 5, M_DEACTIVATE_UNIT, "unit", 3, true);
	expect_json(s, 5, "before", "$.active", "1");
	expect_json(s, 5, "after", "$.active", "0");
	expect_audit_row(s, 6, M_CREATE_PERSON, "person", 1, false);
	expect_json(s, 6, "after", "$.unitCode", "WX");
	expect_json(s, 6, "after", "$.title", "镇长");
	expect_audit_row(s, 7, M_UPDATE_PERSON, "person", 1, true);
	expect_json(s, 7, "before", "$.title", "镇长");
	expect_json(s, 7, "after", "$.title", "书记");
	expect_audit_row(s, 8, M_DEACTIVATE_PERSON, "person", 1, true);
	expect_json(s, 8, "after", "$.active", "0");

	/* ListAudit: newest first, by entity and id. */
	audit_query q = {.entity = "person"};
	expect_audit(c, &q, "8,7,6");
	q = (audit_query){.entity = "unit", .entity_id = 2};
	expect_audit(c, &q, "3,2");
	q = (audit_query){.entity_id = 3};
	expect_audit(c, &q, "5,4");
	Luoshi__V1__ListAuditRequest req = LUOSHI__V1__LIST_AUDIT_REQUEST__INIT;
	req.has_entity_id = true;
	req.entity_id = -1;
	expect_field(call(c, M_LIST_AUDIT, &req.base, NULL, &st), LS_INVALID_ARGUMENT, &st,
	             "entity_id", "a negative entity_id");
	ProtobufCMessage *m;
	req = (Luoshi__V1__ListAuditRequest)LUOSHI__V1__LIST_AUDIT_REQUEST__INIT;
	req.has_page_size = true;
	req.page_size = 1;
	expect(call(c, M_LIST_AUDIT, &req.base, &m, &st), LS_OK, &st, "the newest row");
	const Luoshi__V1__AuditEntry *e = ((Luoshi__V1__ListAuditResponse *)m)->entries[0];
	assert_int_equal(e->id, 8);
	assert_string_equal(e->method, M_DEACTIVATE_PERSON);
	assert_string_equal(e->entity, "person");
	assert_int_equal(e->entity_id, 1);
	assert_int_equal(e->account_id, 1);
	assert_string_equal(e->account_name, "admin");
	assert_non_null(e->before);
	assert_non_null(strstr(e->before, "\"active\":true"));
	assert_non_null(strstr(e->after, "\"active\":false"));
	protobuf_c_message_free_unpacked(m, NULL);

	/* By project: the rows whose project_id is the project's (written
	 * here straight into the log, as the project services would). */
	person_ok(c, "LEAD", "王区长", "office", "区长"); /* 9 */
	db_exec(s, "INSERT INTO projects(code, name, level, category, stage, lead_leader_id, "
	           "lead_unit_id, total_investment, planned_start, planned_finish, created_at) "
	           "VALUES ('CRRC', '中车产业基地', 'district', 'industrial', 'continuing', 2, 1, "
	           "500000, '2025-01-01', '2027-12-31', '2026-01-01T00:00:00+08:00'), "
	           "('MK', '美康智能健康产业中心', 'town', 'livelihood', 'new', 2, 1, 80000, "
	           "'2026-01-01', '2027-06-30', '2026-01-01T00:00:00+08:00')");
	db_exec(s, "INSERT INTO audit_log(at, account_id, method, entity, entity_id, project_id) "
	           "VALUES ('2026-01-02T00:00:00+08:00', 1, 'x/CreateProject', 'project', 1, 1), "
	           "('2026-01-02T00:00:00+08:00', 1, 'x/CreateProject', 'project', 2, 2), "
	           "('2026-01-03T00:00:00+08:00', 1, 'x/AddNode', 'node', 7, 1)");
	q = (audit_query){.project = "CRRC"};
	expect_audit(c, &q, "12,10");
	q = (audit_query){.project = "美康智能健康产业中心"};
	expect_audit(c, &q, "11");
	q = (audit_query){.project = "CRRC", .entity = "node"};
	expect_audit(c, &q, "12");
	q = (audit_query){.project = "NOSUCH"};
	char ids[64];
	expect_field(audit_ids(c, &q, ids, sizeof ids, NULL, 0, &st), LS_NOT_FOUND, &st, "project",
	             "an unknown project");

	/* The log cannot be changed from the side either. */
	e2e_db *db = e2e_db_connect(s);
	assert_false(e2e_db_try_exec(db, "DELETE FROM audit_log"));
	assert_false(e2e_db_try_exec(db, "UPDATE audit_log SET entity = 'x'"));
	e2e_db_close(db);
	assert_int_equal(db_count(s, "SELECT count(*) FROM audit_log", NULL, NULL), 12);
	luoshi_client_close(c);
}

/* ---- the command line ---------------------------------------------------------------- */

static void run(const e2e_server *s, const char *token, const char *lang, const char *const *args,
                e2e_run *r)
{
	e2e_cli(s->dir, s->tcp_url, token, lang, args, r);
}

static void show(const char *what, const e2e_run *r)
{
	fprintf(stderr, "%s: status %d\nstdout:\n%sstderr:\n%s", what, r->status, r->out, r->err);
}

/* Runs args as the admin and expects exit status want. */
static void run_expect(const e2e_server *s, const char *token, const char *const *args, int want,
                       e2e_run *r)
{
	run(s, token ? token : s->admin_token, NULL, args, r);
	if (r->status != want) {
		show(args[1] ? args[1] : args[0], r);
		fail_msg("luoshi %s %s exited %d, want %d", args[0], args[1] ? args[1] : "",
		         r->status, want);
	}
}

/* True when out has a line that is exactly text once trailing spaces go. */
static bool has_line(const char *out, const char *text)
{
	size_t n = strlen(text);
	for (const char *p = strstr(out, text); p != NULL; p = strstr(p + 1, text)) {
		if (p != out && p[-1] != '\n')
			continue;
		const char *e = p + n;
		while (*e == ' ')
			e++;
		if (*e == '\n' || *e == '\0')
			return true;
	}
	return false;
}

/* The words of the line of out that starts with first, joined by single
 * spaces, into buf; false when there is no such line. */
static bool line_words(const char *out, const char *first, char *buf, size_t n)
{
	size_t fl = strlen(first);
	for (const char *line = out; *line != '\0';) {
		const char *end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (strncmp(line, first, fl) == 0 && (line[fl] == ' ' || line + fl == end)) {
			size_t used = 0;
			bool space = false;
			for (const char *p = line; p < end && used + 1 < n; p++) {
				if (*p == ' ') {
					space = true;
					continue;
				}
				if (space && used > 0 && used + 1 < n)
					buf[used++] = ' ';
				space = false;
				buf[used++] = *p;
			}
			buf[used] = '\0';
			return true;
		}
		line = *end ? end + 1 : end;
	}
	return false;
}

/* The words of line idx (0 first) of out, joined by single spaces. */
static void nth_line_words(const char *out, int idx, char *buf, size_t n)
{
	const char *line = out;
	for (int i = 0; i < idx && line != NULL; i++) {
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	if (line == NULL || *line == '\0')
		fail_msg("no line %d in:\n%s", idx, out);
	size_t used = 0;
	bool space = false;
	for (const char *p = line; *p != '\0' && *p != '\n' && used + 2 < n; p++) {
		if (*p == ' ') {
			space = true;
			continue;
		}
		if (space && used > 0)
			buf[used++] = ' ';
		space = false;
		buf[used++] = *p;
	}
	buf[used] = '\0';
}

static void expect_line(const char *out, const char *first, const char *want)
{
	char got[1024];
	if (!line_words(out, first, got, sizeof got))
		fail_msg("no line starts with \"%s\" in:\n%s", first, out);
	if (strcmp(got, want) != 0)
		fail_msg("the line of \"%s\" reads \"%s\", want \"%s\"", first, got, want);
}

static void test_cli(void **state)
{
	e2e_server *s = *state;
	e2e_run r;
	char words[1024];

	const char *add_wx[] = {"unit",   "add",    "--code", "WX", "--name",
	                        "五乡镇", "--kind", "town",   NULL};
	run_expect(s, NULL, add_wx, 0, &r);
	assert_true(has_line(r.out, "Unit WX is added."));
	expect_line(r.out, "Name", "Name 五乡镇");
	expect_line(r.out, "Kind", "Kind town");
	expect_line(r.out, "Parent", "Parent office 区领导小组办公室");
	expect_line(r.out, "Status", "Status active");
	e2e_run_free(&r);
	const char *add_xy[] = {"unit",   "add",  "--code",   "XY",     "--name", "下应街道",
	                        "--kind", "town", "--parent", "office", NULL};
	run_expect(s, NULL, add_xy, 0, &r);
	e2e_run_free(&r);
	const char *add_fg[] = {"unit",     "add",    "--code",     "FG", "--name",
	                        "区发改局", "--kind", "department", NULL};
	run_expect(s, NULL, add_fg, 0, &r);
	e2e_run_free(&r);
	const char *add_sg[] = {"unit",       "add",    "--code",        "SG", "--name",
	                        "审批服务组", "--kind", "support-group", NULL};
	run_expect(s, NULL, add_sg, 0, &r);
	expect_line(r.out, "Kind", "Kind support-group");
	e2e_run_free(&r);
	assert_int_equal(db_count(s, "SELECT count(*) FROM units WHERE kind = ?1 AND code = ?2",
	                          "support_group", "SG"),
	                 1);

	/* Usage errors are the client's; the rest the server's. */
	int64_t units = db_count(s, "SELECT count(*) FROM units", NULL, NULL);
	const char *bad_kind[] = {"unit", "add",    "--code",  "QQ", "--name",
	                          "怪",   "--kind", "village", NULL};
	run_expect(s, NULL, bad_kind, 3, &r);
	assert_non_null(strstr(r.err, "village"));
	assert_non_null(strstr(r.err, "support-group"));
	assert_int_equal(e2e_count_lines(r.err), 1);
	e2e_run_free(&r);
	const char *dup[] = {"unit",   "add",    "--code", "WX", "--name",
	                     "又一个", "--kind", "town",   NULL};
	run_expect(s, NULL, dup, 6, &r);
	assert_non_null(strstr(r.err, "ALREADY_EXISTS"));
	assert_non_null(strstr(r.err, "code"));
	assert_string_equal(r.out, "");
	e2e_run_free(&r);
	const char *bad_code[] = {"unit", "add",    "--code", "五乡", "--name",
	                          "怪",   "--kind", "town",   NULL};
	run_expect(s, NULL, bad_code, 3, &r);
	assert_non_null(strstr(r.err, "INVALID_ARGUMENT: code"));
	e2e_run_free(&r);
	assert_int_equal(db_count(s, "SELECT count(*) FROM units", NULL, NULL), units);

	/* Lists, with Chinese names aligned in their columns. */
	const char *list[] = {"unit", "list", NULL};
	run_expect(s, NULL, list, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 6);
	expect_line(r.out, "Code", "Code Name Kind Parent");
	expect_line(r.out, "XY", "XY 下应街道 town office 区领导小组办公室");
	expect_line(r.out, "FG", "FG 区发改局 department office 区领导小组办公室");
	/* Columns padded to their widest cell, a Chinese character two
	 * columns wide: Code 6 (office), Name 16 (区领导小组办公室), Kind 13
	 * (support-group), two spaces apart. */
	assert_true(has_line(r.out, "XY      下应街道          town           "
	                            "office 区领导小组办公室"));
	e2e_run_free(&r);
	const char *towns[] = {"unit", "list", "--kind", "town", NULL};
	run_expect(s, NULL, towns, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 3);
	assert_true(has_line(r.out, "WX    五乡镇    town  office 区领导小组办公室"));
	e2e_run_free(&r);
	const char *search[] = {"unit", "list", "--search", "街道", NULL};
	run_expect(s, NULL, search, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 2);
	expect_line(r.out, "XY", "XY 下应街道 town office 区领导小组办公室");
	e2e_run_free(&r);
	const char *limited[] = {"unit", "list", "--parent", "office", "--limit", "2", NULL};
	run_expect(s, NULL, limited, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 3);
	assert_non_null(strstr(r.out, "\nWX "));
	assert_non_null(strstr(r.out, "\nXY "));
	e2e_run_free(&r);
	const char *json_list[] = {"--json", "unit", "list", "--kind", "town", NULL};
	run_expect(s, NULL, json_list, 0, &r);
	json_t *j = json_loads(r.out, 0, NULL);
	e2e_run_free(&r);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "name")),
	                    "下应街道");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "kind")),
	                    "UNIT_TOWN");
	json_decref(j);

	/* Show and edit by name. */
	const char *edit[] = {"unit", "edit", "区发改局", "--name", "区发展和改革局", NULL};
	run_expect(s, NULL, edit, 0, &r);
	assert_true(has_line(r.out, "Unit FG is changed."));
	e2e_run_free(&r);
	const char *show_fg[] = {"unit", "show", "区发展和改革局", NULL};
	run_expect(s, NULL, show_fg, 0, &r);
	expect_line(r.out, "Code", "Code FG");
	expect_line(r.out, "Name", "Name 区发展和改革局");
	e2e_run_free(&r);
	const char *nothing[] = {"unit", "edit", "FG", NULL};
	run_expect(s, NULL, nothing, 3, &r);
	e2e_run_free(&r);

	/* People. */
	const char *add_zs[] = {"person",  "add",           "--code", "ZS",      "--name",
	                        "张三",    "--unit",        "五乡镇", "--title", "镇长",
	                        "--phone", "0574-88000000", NULL};
	run_expect(s, NULL, add_zs, 0, &r);
	assert_true(has_line(r.out, "Person ZS is added."));
	expect_line(r.out, "Unit", "Unit WX 五乡镇");
	expect_line(r.out, "Title", "Title 镇长");
	e2e_run_free(&r);
	const char *add_ls[] = {"person", "add",    "--code",   "LS", "--name",
	                        "李四",   "--unit", "下应街道", NULL};
	run_expect(s, NULL, add_ls, 0, &r);
	e2e_run_free(&r);
	const char *retitle[] = {"person", "edit", "张三", "--title", "党委书记", NULL};
	run_expect(s, NULL, retitle, 0, &r);
	expect_line(r.out, "Title", "Title 党委书记");
	e2e_run_free(&r);
	const char *people[] = {"person", "list", "--unit", "WX", NULL};
	run_expect(s, NULL, people, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 2);
	expect_line(r.out, "ZS", "ZS 张三 党委书记 WX 五乡镇 0574-88000000");
	e2e_run_free(&r);
	const char *show_ls[] = {"person", "show", "LS", NULL};
	run_expect(s, NULL, show_ls, 0, &r);
	expect_line(r.out, "Unit", "Unit XY 下应街道");
	e2e_run_free(&r);

	/* Accounts bound to a unit and a person. */
	const char *no_person[] = {"account", "add", "--role", "leader", "--unit", "五乡镇", NULL};
	run_expect(s, NULL, no_person, 3, &r);
	assert_non_null(strstr(r.err, "person"));
	e2e_run_free(&r);
	const char *leader[] = {"account", "add",    "--role",   "leader", "--name", "张三",
	                        "--unit",  "五乡镇", "--person", "张三",   NULL};
	run_expect(s, NULL, leader, 0, &r);
	expect_line(r.out, "Person", "Person ZS 张三");
	char token[TOKEN_MAX] = "";
	line_words(r.out, "Token", token, sizeof token);
	e2e_run_free(&r);
	assert_memory_equal(token, "Token ls_", 9);
	const char *accounts[] = {"account", "list", NULL};
	run_expect(s, NULL, accounts, 0, &r);
	expect_line(r.out, "ID", "ID Name Role Unit Person Created Revoked");
	nth_line_words(r.out, 2, words, sizeof words);
	assert_memory_equal(words, "2 张三 leader WX 五乡镇 ZS 张三 20",
	                    strlen("2 张三 leader WX 五乡镇 ZS 张三 20"));
	e2e_run_free(&r);
	const char *whoami[] = {"whoami", NULL};
	run_expect(s, token + 6, whoami, 0, &r);
	expect_line(r.out, "Person", "Person ZS 张三");
	expect_line(r.out, "Role", "Role leader");
	e2e_run_free(&r);

	/* A leader may read the tree but not change it, nor the log. */
	run_expect(s, token + 6, list, 0, &r);
	e2e_run_free(&r);
	const char *add_by_leader[] = {"unit",     "add",    "--code", "LQ", "--name",
	                               "领导加的", "--kind", "town",   NULL};
	run_expect(s, token + 6, add_by_leader, 7, &r);
	assert_non_null(strstr(r.err, "PERMISSION_DENIED"));
	e2e_run_free(&r);
	const char *audit_plain[] = {"audit", NULL};
	run_expect(s, token + 6, audit_plain, 7, &r);
	e2e_run_free(&r);

	/* Deactivation says what is in the way. */
	const char *deact_wx[] = {"unit", "deactivate", "五乡镇", NULL};
	run_expect(s, NULL, deact_wx, 9, &r);
	assert_non_null(strstr(r.err, "FAILED_PRECONDITION"));
	assert_non_null(strstr(r.err, "(ZS)"));
	assert_non_null(strstr(r.err, "张三"));
	assert_int_equal(e2e_count_lines(r.err), 1);
	e2e_run_free(&r);
	const char *deact_sg[] = {"unit", "deactivate", "SG", NULL};
	run_expect(s, NULL, deact_sg, 0, &r);
	assert_true(has_line(r.out, "Unit SG is deactivated."));
	expect_line(r.out, "Status", "Status inactive");
	e2e_run_free(&r);
	const char *deact_ls[] = {"person", "deactivate", "李四", NULL};
	run_expect(s, NULL, deact_ls, 0, &r);
	assert_true(has_line(r.out, "Person LS is deactivated."));
	e2e_run_free(&r);
	const char *all_units[] = {"unit", "list", "--all", NULL};
	run_expect(s, NULL, all_units, 0, &r);
	expect_line(r.out, "SG", "SG 审批服务组 support-group office 区领导小组办公室 inactive");
	expect_line(r.out, "WX", "WX 五乡镇 town office 区领导小组办公室 active");
	e2e_run_free(&r);

	/* The audit log, newest first, with what changed. */
	const char *audit[] = {"audit", NULL};
	run_expect(s, NULL, audit, 0, &r);
	/* A header, 11 writes and init: units WX 2, XY 3, FG 4, SG 5, people
	 * ZS 1, LS 2, account 2. */
	assert_int_equal(e2e_count_lines(r.out), 13);
	expect_line(r.out, "Time", "Time Account Method Entity ID Change");
	nth_line_words(r.out, 1, words, sizeof words);
	assert_non_null(strstr(words, " #1 admin DeactivatePerson person 2 active: true→false"));
	nth_line_words(r.out, 7, words, sizeof words);
	assert_non_null(strstr(words, " #1 admin UpdateUnit unit 4 name: 区发改局→区发展和改革局"));
	nth_line_words(r.out, 11, words, sizeof words);
	assert_non_null(strstr(words, " #1 admin CreateUnit unit 2 + code=WX name=五乡镇 "
	                              "kind=UNIT_TOWN parentCode=office"));
	nth_line_words(r.out, 4, words, sizeof words);
	assert_non_null(strstr(words, " UpdatePerson person 1 title: 镇长→党委书记"));
	nth_line_words(r.out, 12, words, sizeof words);
	assert_non_null(strstr(words, " (server) init account 1"));
	e2e_run_free(&r);
	const char *audit_people[] = {"audit", "--entity", "person", "--limit", "2", NULL};
	run_expect(s, NULL, audit_people, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 3);
	assert_non_null(strstr(r.out, "DeactivatePerson"));
	assert_non_null(strstr(r.out, "UpdatePerson"));
	assert_null(strstr(r.out, "CreatePerson"));
	e2e_run_free(&r);
	const char *audit_json[] = {"--json", "audit", "--entity", "unit", "--id", "4", NULL};
	run_expect(s, NULL, audit_json, 0, &r);
	j = json_loads(r.out, 0, NULL);
	e2e_run_free(&r);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "method")),
	                    M_UPDATE_UNIT);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "method")),
	                    M_CREATE_UNIT);
	json_decref(j);
	const char *audit_proj[] = {"audit", "--project", "NOSUCH", NULL};
	run_expect(s, NULL, audit_proj, 5, &r);
	assert_non_null(strstr(r.err, "project"));
	e2e_run_free(&r);
}

static void test_cli_chinese(void **state)
{
	e2e_server *s = *state;
	locale_t l = newlocale(LC_ALL_MASK, "zh_CN.UTF-8", (locale_t)0);
	if (l == (locale_t)0)
		fail_msg("the zh_CN.UTF-8 locale is not installed");
	freelocale(l);
	e2e_run r;
	const char *add[] = {"unit",     "add",    "--code", "XY", "--name",
	                     "下应街道", "--kind", "town",   NULL};
	run(s, s->admin_token, "zh_CN.UTF-8", add, &r);
	if (r.status != 0)
		show("unit add in Chinese", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "下应街道"));
	/* The labels and the kind are in Chinese; the code stays. */
	expect_line(r.out, "代码", "代码 XY");
	expect_line(r.out, "类型", "类型 镇（街道）");
	e2e_run_free(&r);
	const char *help[] = {"unit", "--help", NULL};
	run(s, s->admin_token, "zh_CN.UTF-8", help, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "用法"));
	e2e_run_free(&r);
	const char *audit[] = {"audit", NULL};
	run(s, s->admin_token, "zh_CN.UTF-8", audit, &r);
	assert_int_equal(r.status, 0);
	expect_line(r.out, "时间", "时间 账号 方法 对象 编号 变更");
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_scope, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_unit_validation, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_person_validation, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_account_binding, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_deactivation, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_paging, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_role_matrix, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_audit, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli_chinese, e2e_setup, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_registry", tests, NULL, NULL);
}
