/* The demo district: the CSV files of server/demo go through the same
 * handlers as `luoshi import registry` and `luoshi account add`, as the
 * database's first admin, so that the demo is checked and audited like any
 * registry an office would load, and shows no row the server could not
 * have accepted from a client. */
#include "demo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "csvrows.h"
#include "log.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/import.pb-c.h"
#include "luoshi/v1/supervision.pb-c.h"
#include "rpc.h"
#include "store/registry.h"

/* Where the files live in the repository: what a message about a bad row
 * names, so that a reader can find the line. */
#define DEMO_DIR "server/demo/"
#define M_IMPORT "/luoshi.v1.ImportService/ImportRegistry"
#define M_CREATE_ACCOUNT "/luoshi.v1.AccountService/CreateAccount"
#define ACCOUNTS_FILE "accounts.csv"
#define MAX_COLUMNS 8

/* The registry files, in the order an import applies their rows. */
static const struct {
	const char *name;
	ls_csv_kind kind;
} registry_files[] = {
    {"units.csv", LS_CSV_UNIT}, {"people.csv", LS_CSV_PERSON}, {"projects.csv", LS_CSV_PROJECT},
    {"plans.csv", LS_CSV_PLAN}, {"nodes.csv", LS_CSV_NODE},    {"tasks.csv", LS_CSV_TASK},
};

static const srv_demo_file *demo_file(const char *name, ls_status *st)
{
	for (size_t i = 0; i < srv_demo_n_files; i++)
		if (strcmp(srv_demo_files[i].name, name) == 0)
			return &srv_demo_files[i];
	ls_status_set(st, LS_INTERNAL, "demo: %s%s is not built into this server", DEMO_DIR, name);
	return NULL;
}

/* Logs one bad row and, for the first, fills st: "server/demo/x.csv line
 * 12, field town: ...". Returns st->code. */
static int bad_row(ls_status *st, bool first, int code, const char *source, unsigned line,
                   const char *field, const char *message)
{
	char where[256];
	int n = snprintf(where, sizeof where, "%s line %u", source ? source : "?", line);
	if (field != NULL && field[0] != '\0' && n > 0 && (size_t)n < sizeof where)
		snprintf(where + n, sizeof where - (size_t)n, ", field %s", field);
	ls_error("demo: %s: %s", where, message);
	if (first) {
		if (field != NULL && field[0] != '\0')
			ls_status_field(st, code, field, "demo: %s: %s", where, message);
		else
			ls_status_set(st, code, "demo: %s: %s", where, message);
	}
	return st->code;
}

/* ---- the acting admin ---------------------------------------------------- */

typedef struct admin_pick {
	srv_account admin;
	bool found;
	int64_t last; /* the id the next page starts after */
	int seen;     /* rows of the current page */
} admin_pick;

static void pick_admin(void *arg, const srv_account *a)
{
	admin_pick *p = arg;
	p->seen++;
	p->last = a->id;
	if (!p->found && a->role == SRV_ROLE_ADMIN) {
		p->admin = *a;
		p->found = true;
	}
}

/* The live admin account with the lowest id: the one `luoshid init` made,
 * unless it was revoked. */
static int first_admin(srv_store *s, srv_account *out, ls_status *st)
{
	enum { PAGE = 100 };
	admin_pick *p = calloc(1, sizeof *p);
	if (p == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	do {
		p->seen = 0;
		if (srv_store_account_list(s, p->last, PAGE, false, pick_admin, p) < 0) {
			free(p);
			return ls_status_set(st, LS_INTERNAL, "demo: cannot read the accounts");
		}
	} while (!p->found && p->seen == PAGE);
	int rc = LS_OK;
	if (p->found)
		*out = p->admin;
	else
		rc = ls_status_set(st, LS_FAILED_PRECONDITION,
		                   "demo: the database has no live admin account to load it as");
	free(p);
	return rc;
}

/* ---- the registry, through ImportService ----------------------------------- */

/* Converts the registry files into one import request. Returns LS_OK, or
 * fails naming the first bad line (all of them are logged). */
static int read_registry(Luoshi__V1__ImportRegistryRequest *req, ls_status *st)
{
	ls_csv_errors errs = LS_CSV_ERRORS_INIT;
	for (size_t i = 0; i < sizeof registry_files / sizeof registry_files[0]; i++) {
		const srv_demo_file *f = demo_file(registry_files[i].name, st);
		if (f == NULL)
			goto fail;
		char source[64];
		snprintf(source, sizeof source, "%s%s", DEMO_DIR, f->name);
		if (ls_csvrows_parse(source, f->text, f->len, registry_files[i].kind, req, &errs,
		                     NULL, NULL) < 0) {
			ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
			goto fail;
		}
	}
	for (size_t i = 0; i < errs.n; i++)
		bad_row(st, i == 0, LS_INVALID_ARGUMENT, errs.v[i].source, errs.v[i].line,
		        errs.v[i].column, errs.v[i].message);
	if (ls_csv_errors_total(&errs) > 0)
		goto fail;
	if (req->n_rows == 0 || req->rows[0]->row_case != LUOSHI__V1__IMPORT_ROW__ROW_UNIT ||
	    req->rows[0]->unit->code == NULL) {
		ls_status_set(st, LS_INTERNAL, "demo: %sunits.csv holds no unit", DEMO_DIR);
		goto fail;
	}
	ls_csv_errors_fini(&errs);
	return LS_OK;
fail:
	ls_csv_errors_fini(&errs);
	return st->code;
}

static int import_registry(srv_call *parent, const Luoshi__V1__ImportRegistryRequest *req,
                           ls_status *st)
{
	srv_call sub;
	srv_call_method(parent, M_IMPORT, &req->base, &sub);
	if (sub.status.code != LS_OK) {
		ls_status_field(st, sub.status.code, sub.status.field, "demo: import: %s",
		                sub.status.message);
		return st->code;
	}
	ProtobufCMessage *m = NULL;
	int rc = ls_message_unpack(&luoshi__v1__import_registry_response__descriptor, sub.body,
	                           sub.body_len, "the import's answer", &m, st);
	free(sub.body);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__ImportRegistryResponse *r = (Luoshi__V1__ImportRegistryResponse *)m;
	for (size_t i = 0; i < r->n_errors; i++) {
		const Luoshi__V1__ImportError *e = r->errors[i];
		bad_row(st, i == 0, LS_INVALID_ARGUMENT, e->source, e->line, e->field, e->message);
	}
	if (r->n_errors == 0 && !(r->has_applied && r->applied))
		ls_status_set(st, LS_INTERNAL, "demo: the import wrote nothing and gave no reason");
	else if (r->n_errors == 0)
		ls_info(
		    "demo: %u units, %u people, %u projects, %u plan months, %u nodes, %u tasks",
		    r->units, r->people, r->projects, r->plans, r->nodes, r->tasks);
	protobuf_c_message_free_unpacked(m, NULL);
	return st->code;
}

/* ---- the accounts ----------------------------------------------------------- */

/* The accounts made, kept until the transaction commits: a token is shown
 * only once it is good. */
typedef struct made {
	Luoshi__V1__CreateAccountResponse **v;
	size_t n;
} made;

static void made_fini(made *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i]->token != NULL)
			sodium_memzero(m->v[i]->token, strlen(m->v[i]->token));
		protobuf_c_message_free_unpacked(&m->v[i]->base, NULL);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* Splits one record of the accounts file into cells, in place: commas
 * separate them; a cell in double quotes may hold commas and doubled
 * quotes (no line breaks: the file has none). Returns the number of cells,
 * or -1 when the quoting is bad or there are too many. */
static int split_record(char *line, char **cells, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == max)
			return -1;
		char *w = p;
		cells[n++] = w;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0')
					return -1;
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			if (*p != ',' && *p != '\0')
				return -1;
		} else {
			while (*p != ',' && *p != '\0') {
				if (*p == '"')
					return -1;
				*w++ = *p++;
			}
		}
		bool more = *p == ',';
		*w = '\0';
		if (!more)
			return n;
		p++;
	}
}

enum { COL_ROLE, COL_NAME, COL_UNIT, COL_PERSON, COL_COUNT };
static const char *const account_columns[COL_COUNT] = {"role", "name", "unit", "person"};

/* Creates one account from its cells. Returns LS_OK, or fails naming the
 * line and field. */
static int create_account(srv_call *parent, const char *source, unsigned line, char **cells,
                          const int *col, made *out, ls_status *st)
{
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	const char *role = col[COL_ROLE] >= 0 ? cells[col[COL_ROLE]] : "";
	srv_role r = srv_role_from_name(role);
	if (r == SRV_ROLE_NONE)
		return bad_row(st, true, LS_INVALID_ARGUMENT, source, line, "role",
		               "role is one of admin, leader, town, department, inspector, "
		               "discipline, viewer");
	req.has_role = true;
	req.role = (Luoshi__V1__Role)r;
	char **slots[] = {
	    [COL_NAME] = &req.name, [COL_UNIT] = &req.unit, [COL_PERSON] = &req.person};
	for (int k = COL_NAME; k < COL_COUNT; k++)
		if (col[k] >= 0 && cells[col[k]][0] != '\0')
			*slots[k] = cells[col[k]];

	srv_call sub;
	srv_call_method(parent, M_CREATE_ACCOUNT, &req.base, &sub);
	if (sub.status.code != LS_OK)
		return bad_row(st, true, sub.status.code, source, line, sub.status.field,
		               sub.status.message);
	ProtobufCMessage *m = NULL;
	int rc = ls_message_unpack(&luoshi__v1__create_account_response__descriptor, sub.body,
	                           sub.body_len, "the account's answer", &m, st);
	sodium_memzero(sub.body, sub.body_len);
	free(sub.body);
	if (rc != LS_OK)
		return rc;
	Luoshi__V1__CreateAccountResponse **v = realloc(out->v, (out->n + 1) * sizeof *v);
	if (v == NULL) {
		protobuf_c_message_free_unpacked(m, NULL);
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	}
	out->v = v;
	out->v[out->n++] = (Luoshi__V1__CreateAccountResponse *)m;
	return LS_OK;
}

/* Creates the accounts of accounts.csv (columns: the CreateAccountRequest
 * field names). Returns LS_OK, or fails naming the line and field. */
static int create_accounts(srv_call *parent, made *out, ls_status *st)
{
	const srv_demo_file *f = demo_file(ACCOUNTS_FILE, st);
	if (f == NULL)
		return st->code;
	char *text = malloc(f->len + 1);
	if (text == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	memcpy(text, f->text, f->len);
	text[f->len] = '\0';
	const char *source = DEMO_DIR ACCOUNTS_FILE;
	int col[COL_COUNT] = {-1, -1, -1, -1};
	int n_columns = 0;
	unsigned line = 0;
	int rc = LS_OK;
	char *next = text;
	if (strncmp(next, "\xef\xbb\xbf", 3) == 0)
		next += 3;
	while (rc == LS_OK && next != NULL && *next != '\0') {
		char *rec = next;
		next = strchr(rec, '\n');
		if (next != NULL)
			*next++ = '\0';
		size_t len = strlen(rec);
		if (len > 0 && rec[len - 1] == '\r')
			rec[len - 1] = '\0';
		line++;
		if (rec[0] == '\0' && line > 1)
			continue;
		char *cells[MAX_COLUMNS];
		int n = split_record(rec, cells, MAX_COLUMNS);
		if (n < 0) {
			rc = bad_row(st, true, LS_INVALID_ARGUMENT, source, line, NULL,
			             "bad quoting, or more than 8 cells");
		} else if (line == 1) {
			n_columns = n;
			for (int i = 0; i < n && rc == LS_OK; i++) {
				int k = 0;
				while (k < COL_COUNT && strcmp(cells[i], account_columns[k]) != 0)
					k++;
				if (k == COL_COUNT || col[k] >= 0)
					rc = bad_row(
					    st, true, LS_INVALID_ARGUMENT, source, line, cells[i],
					    "an unknown or repeated column; the columns are role, "
					    "name, unit, person");
				else
					col[k] = i;
			}
			if (rc == LS_OK && col[COL_ROLE] < 0)
				rc = bad_row(st, true, LS_INVALID_ARGUMENT, source, line, "role",
				             "the file has no role column");
		} else if (n != n_columns) {
			rc = bad_row(st, true, LS_INVALID_ARGUMENT, source, line, NULL,
			             "the row has another number of cells than the header");
		} else {
			rc = create_account(parent, source, line, cells, col, out, st);
		}
	}
	free(text);
	return rc;
}

/* ---- supervision, through SupervisionService --------------------------------- */

/* What the supervision files hold, each row one request whose fields are
 * the columns. Inspections, rectification orders and accountability are
 * recorded as the demo's discipline account (those are its to record);
 * the rest as the admin. */
#define M_SUPERVISION "/luoshi.v1.SupervisionService/"
#define SUP_MAX_COLUMNS 8

/* One row of a file: its cells by column (NULL when the file lacks the
 * column or the cell is empty). */
typedef struct sup_row {
	const char *source;
	unsigned line;
	const char *cell[SUP_MAX_COLUMNS];
} sup_row;

typedef struct sup_inspected {
	char code[64];
	int64_t id;
} sup_inspected;

typedef struct sup_load {
	srv_call *as_admin;
	srv_call *as_discipline;
	/* The inspection recorded for each project, for the orders and
	 * records that name the project. */
	sup_inspected *inspected;
	size_t n_inspected;
	size_t counts[8];
} sup_load;

/* The enum value of a word as the command line spells it ("site-visit"),
 * 1-based in words; 0 for an empty cell, -1 for an unknown word. */
static int sup_word(const char *cell, const char *const *words, int n)
{
	if (cell == NULL)
		return 0;
	for (int i = 0; i < n; i++)
		if (strcmp(cell, words[i]) == 0)
			return i + 1;
	return -1;
}

static int sup_number(const sup_row *r, int k, const char *field, long long lo, long long hi,
                      long long *out, ls_status *st)
{
	const char *cell = r->cell[k];
	char *end;
	if (cell == NULL)
		return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->line, field,
		               "a number is required");
	long long v = strtoll(cell, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->line, field,
		               "not a number in range");
	*out = v;
	return LS_OK;
}

/* Calls method with in as parent's caller; on success unpacks the answer
 * into *out (the caller frees it) when out is not NULL. */
static int sup_call(srv_call *parent, const char *method, const ProtobufCMessage *in,
                    const ProtobufCMessageDescriptor *answer, ProtobufCMessage **out,
                    const sup_row *r, ls_status *st)
{
	char full[128];
	snprintf(full, sizeof full, M_SUPERVISION "%s", method);
	srv_call sub;
	srv_call_method(parent, full, in, &sub);
	if (sub.status.code != LS_OK)
		return bad_row(st, true, sub.status.code, r->source, r->line, sub.status.field,
		               sub.status.message);
	int rc = LS_OK;
	if (out != NULL)
		rc =
		    ls_message_unpack(answer, sub.body, sub.body_len, "the demo's answer", out, st);
	free(sub.body);
	return rc;
}

static int64_t sup_inspection_of(const sup_load *l, const char *project)
{
	for (size_t i = l->n_inspected; project != NULL && i-- > 0;)
		if (strcmp(l->inspected[i].code, project) == 0)
			return l->inspected[i].id;
	return 0;
}

static int sup_activity(sup_load *l, const sup_row *r, ls_status *st)
{
	static const char *const kinds[] = {"weekly-review", "site-visit", "coordination"};
	Luoshi__V1__LogActivityRequest req = LUOSHI__V1__LOG_ACTIVITY_REQUEST__INIT;
	int kind = sup_word(r->cell[2], kinds, 3);
	if (kind < 0)
		return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->line, "kind",
		               "kind is weekly-review, site-visit or coordination");
	req.leader = (char *)r->cell[0];
	req.project = (char *)r->cell[1];
	req.has_kind = kind > 0;
	req.kind = (Luoshi__V1__ActivityKind)kind;
	req.date = (char *)r->cell[3];
	req.notes = (char *)r->cell[4];
	return sup_call(l->as_admin, "LogActivity", &req.base, NULL, NULL, r, st);
}

static int sup_inspection(sup_load *l, const sup_row *r, ls_status *st)
{
	static const char *const layers[] = {"lead-leader", "leading-group",
	                                     "congress-and-consultative", "unit-itself"};
	static const char *const yes_no[] = {"true", "false"};
	Luoshi__V1__RecordInspectionRequest req = LUOSHI__V1__RECORD_INSPECTION_REQUEST__INIT;
	int layer = sup_word(r->cell[3], layers, 4), slow = sup_word(r->cell[5], yes_no, 2);
	if (layer < 0)
		return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->line, "layer",
		               "layer is lead-leader, leading-group, congress-and-consultative or "
		               "unit-itself");
	if (slow < 0)
		return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->line, "slow",
		               "slow is true or false");
	req.group = (char *)r->cell[0];
	req.project = (char *)r->cell[1];
	req.date = (char *)r->cell[2];
	req.has_layer = layer > 0;
	req.layer = (Luoshi__V1__SupervisionLayer)layer;
	req.findings = (char *)r->cell[4];
	req.has_slow = true;
	req.slow = slow == 1;
	ProtobufCMessage *m = NULL;
	if (sup_call(l->as_discipline, "RecordInspection", &req.base,
	             &luoshi__v1__record_inspection_response__descriptor, &m, r, st) != LS_OK)
		return st->code;
	const Luoshi__V1__RecordInspectionResponse *resp =
	    (Luoshi__V1__RecordInspectionResponse *)m;
	sup_inspected *v = realloc(l->inspected, (l->n_inspected + 1) * sizeof *v);
	if (v == NULL) {
		protobuf_c_message_free_unpacked(m, NULL);
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	}
	l->inspected = v;
	if (resp->inspection == NULL || resp->inspection->project_code == NULL) {
		protobuf_c_message_free_unpacked(m, NULL);
		return bad_row(st, true, LS_INTERNAL, r->source, r->line, NULL,
		               "the answer holds no inspection");
	}
	snprintf(l->inspected[l->n_inspected].code, sizeof l->inspected[0].code, "%s",
	         resp->inspection->project_code);
	l->inspected[l->n_inspected++].id = resp->inspection->id;
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

static int sup_rectification(sup_load *l, const sup_row *r, ls_status *st)
{
	Luoshi__V1__OrderRectificationRequest req = LUOSHI__V1__ORDER_RECTIFICATION_REQUEST__INIT;
	int64_t id = sup_inspection_of(l, r->cell[0]);
	if (id == 0)
		return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->line, "project",
		               "no inspection of this project is in inspections.csv");
	req.has_inspection = true;
	req.inspection = id;
	req.owner_unit = (char *)r->cell[1];
	req.due_date = (char *)r->cell[2];
	req.text = (char *)r->cell[3];
	return sup_call(l->as_discipline, "OrderRectification", &req.base, NULL, NULL, r, st);
}

static int sup_accountability(sup_load *l, const sup_row *r, ls_status *st)
{
	static const char *const kinds[] = {"warning-talk", "criticism", "accountability"};
	Luoshi__V1__RecordAccountabilityRequest req =
	    LUOSHI__V1__RECORD_ACCOUNTABILITY_REQUEST__INIT;
	int kind = sup_word(r->cell[0], kinds, 3);
	if (kind < 0)
		return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->line, "kind",
		               "kind is warning-talk, criticism or accountability");
	req.has_kind = kind > 0;
	req.kind = (Luoshi__V1__AccountabilityKind)kind;
	req.person = (char *)r->cell[1];
	req.unit = (char *)r->cell[2];
	req.project = (char *)r->cell[3];
	int64_t id = sup_inspection_of(l, r->cell[3]);
	req.has_inspection = id > 0;
	req.inspection = id;
	req.date = (char *)r->cell[4];
	req.text = (char *)r->cell[5];
	return sup_call(l->as_discipline, "RecordAccountability", &req.base, NULL, NULL, r, st);
}

static int sup_approval(sup_load *l, const sup_row *r, ls_status *st)
{
	Luoshi__V1__SetApprovalRequest req = LUOSHI__V1__SET_APPROVAL_REQUEST__INIT;
	long long visits;
	if (sup_number(r, 5, "visits", 0, 100, &visits, st) != LS_OK)
		return st->code;
	req.project = (char *)r->cell[0];
	req.item = (char *)r->cell[1];
	req.department = (char *)r->cell[2];
	req.submitted = (char *)r->cell[3];
	req.approved = (char *)r->cell[4];
	req.has_visits = true;
	req.visits = (uint32_t)visits;
	return sup_call(l->as_admin, "SetApproval", &req.base, NULL, NULL, r, st);
}

static int sup_clearance(sup_load *l, const sup_row *r, ls_status *st)
{
	Luoshi__V1__SetClearanceRequest req = LUOSHI__V1__SET_CLEARANCE_REQUEST__INIT;
	long long v[4];
	static const char *const fields[] = {"target_m2", "cleared_m2", "demolished_m2",
	                                     "households"};
	for (int k = 0; k < 4; k++)
		if (sup_number(r, 2 + k, fields[k], 0, 1000000000LL, &v[k], st) != LS_OK)
			return st->code;
	req.project = (char *)r->cell[0];
	req.month = (char *)r->cell[1];
	req.has_target_m2 = req.has_cleared_m2 = req.has_demolished_m2 = req.has_households = true;
	req.target_m2 = v[0];
	req.cleared_m2 = v[1];
	req.demolished_m2 = v[2];
	req.households = v[3];
	return sup_call(l->as_admin, "SetClearance", &req.base, NULL, NULL, r, st);
}

static int sup_funding(sup_load *l, const sup_row *r, ls_status *st)
{
	static const char *const kinds[] = {"agreement", "loan"};
	Luoshi__V1__AddFundingRequest req = LUOSHI__V1__ADD_FUNDING_REQUEST__INIT;
	int kind = sup_word(r->cell[1], kinds, 2);
	long long amount, term = 0;
	if (kind < 0)
		return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->line, "kind",
		               "kind is agreement or loan");
	if (sup_number(r, 4, "amount", 1, 1000000000LL, &amount, st) != LS_OK ||
	    (r->cell[6] != NULL && sup_number(r, 6, "term_years", 1, 50, &term, st) != LS_OK))
		return st->code;
	req.source = (char *)r->cell[0];
	req.has_kind = kind > 0;
	req.kind = (Luoshi__V1__FundingKind)kind;
	req.project = (char *)r->cell[2];
	req.unit = (char *)r->cell[3];
	req.has_amount = true;
	req.amount = amount;
	req.signed_ = (char *)r->cell[5];
	req.has_term_years = term > 0;
	req.term_years = (uint32_t)term;
	req.text = (char *)r->cell[7];
	return sup_call(l->as_admin, "AddFunding", &req.base, NULL, NULL, r, st);
}

/* The files in the order they load: orders and records name the
 * inspections loaded before them. */
static const struct {
	const char *name;
	const char *columns[SUP_MAX_COLUMNS];
	int (*load)(sup_load *l, const sup_row *r, ls_status *st);
} sup_files[] = {
    {"activities.csv", {"leader", "project", "kind", "date", "notes"}, sup_activity},
    {"inspections.csv", {"group", "project", "date", "layer", "findings", "slow"}, sup_inspection},
    {"rectifications.csv", {"project", "owner_unit", "due_date", "text"}, sup_rectification},
    {"accountability.csv",
     {"kind", "person", "unit", "project", "date", "text"},
     sup_accountability},
    {"approvals.csv",
     {"project", "item", "department", "submitted", "approved", "visits"},
     sup_approval},
    {"clearance.csv",
     {"project", "month", "target_m2", "cleared_m2", "demolished_m2", "households"},
     sup_clearance},
    {"funding.csv",
     {"source", "kind", "project", "unit", "amount", "signed", "term_years", "text"},
     sup_funding},
};

/* Loads one file: a header naming some of the file's columns, then rows. */
static int sup_load_file(sup_load *l, size_t which, ls_status *st)
{
	const srv_demo_file *f = demo_file(sup_files[which].name, st);
	if (f == NULL)
		return st->code;
	char *text = malloc(f->len + 1);
	if (text == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	memcpy(text, f->text, f->len);
	text[f->len] = '\0';
	char source[64];
	snprintf(source, sizeof source, "%s%s", DEMO_DIR, f->name);
	int col[SUP_MAX_COLUMNS];
	for (int k = 0; k < SUP_MAX_COLUMNS; k++)
		col[k] = -1;
	int n_columns = 0, rc = LS_OK;
	unsigned line = 0;
	char *next = text;
	if (strncmp(next, "\xef\xbb\xbf", 3) == 0)
		next += 3;
	while (rc == LS_OK && next != NULL && *next != '\0') {
		char *rec = next;
		next = strchr(rec, '\n');
		if (next != NULL)
			*next++ = '\0';
		size_t len = strlen(rec);
		if (len > 0 && rec[len - 1] == '\r')
			rec[len - 1] = '\0';
		line++;
		if (rec[0] == '\0' && line > 1)
			continue;
		char *cells[SUP_MAX_COLUMNS];
		int n = split_record(rec, cells, SUP_MAX_COLUMNS);
		if (n < 0) {
			rc = bad_row(st, true, LS_INVALID_ARGUMENT, source, line, NULL,
			             "bad quoting, or more than 8 cells");
		} else if (line == 1) {
			n_columns = n;
			for (int i = 0; i < n && rc == LS_OK; i++) {
				int k = 0;
				while (k < SUP_MAX_COLUMNS && sup_files[which].columns[k] != NULL &&
				       strcmp(cells[i], sup_files[which].columns[k]) != 0)
					k++;
				if (k == SUP_MAX_COLUMNS || sup_files[which].columns[k] == NULL ||
				    col[k] >= 0)
					rc = bad_row(st, true, LS_INVALID_ARGUMENT, source, line,
					             cells[i], "an unknown or repeated column");
				else
					col[k] = i;
			}
		} else if (n != n_columns) {
			rc = bad_row(st, true, LS_INVALID_ARGUMENT, source, line, NULL,
			             "the row has another number of cells than the header");
		} else {
			sup_row r = {.source = source, .line = line};
			for (int k = 0; k < SUP_MAX_COLUMNS; k++)
				r.cell[k] =
				    col[k] >= 0 && cells[col[k]][0] != '\0' ? cells[col[k]] : NULL;
			rc = sup_files[which].load(l, &r, st);
			if (rc == LS_OK)
				l->counts[which]++;
		}
	}
	free(text);
	return rc;
}

/* The discipline commission's account among those just made: who records
 * inspections, orders and accountability. */
static int discipline_account(srv_store *s, const made *accounts, srv_account *out, ls_status *st)
{
	for (size_t i = 0; i < accounts->n; i++) {
		const Luoshi__V1__Account *a = accounts->v[i]->account;
		if (a != NULL && a->has_role && a->role == LUOSHI__V1__ROLE__ROLE_DISCIPLINE &&
		    srv_store_account_get(s, a->id, out) == LS_OK)
			return LS_OK;
	}
	return ls_status_set(st, LS_INTERNAL,
	                     "demo: %s%s has no discipline account to record inspections as",
	                     DEMO_DIR, ACCOUNTS_FILE);
}

static int load_supervision(srv_call *as_admin, const made *accounts, ls_status *st)
{
	srv_account *disc = malloc(sizeof *disc);
	if (disc == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	sup_load l = {.as_admin = as_admin};
	srv_call as_discipline = {.srv = as_admin->srv, .method = as_admin->method, .caller = disc};
	l.as_discipline = &as_discipline;
	int rc = discipline_account(as_admin->srv->store, accounts, disc, st);
	for (size_t i = 0; rc == LS_OK && i < sizeof sup_files / sizeof sup_files[0]; i++)
		rc = sup_load_file(&l, i, st);
	if (rc == LS_OK)
		ls_info("demo: %zu leader activities, %zu inspections, %zu rectification orders, "
		        "%zu accountability records, %zu approval items, %zu clearance months, "
		        "%zu funding rows",
		        l.counts[0], l.counts[1], l.counts[2], l.counts[3], l.counts[4],
		        l.counts[5], l.counts[6]);
	free(l.inspected);
	free(disc);
	return rc;
}

/* ---- loading ------------------------------------------------------------------ */

int srv_demo_load(srv_server *srv, FILE *out, ls_status *st)
{
	srv_store *s = srv->store;
	made accounts = {0};
	srv_account *admin = NULL;
	ls_status_clear(st);
	Luoshi__V1__ImportRegistryRequest *req = ls_csvrows_request_new();
	if (req == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	if (read_registry(req, st) != LS_OK)
		goto out;
	const char *first_unit = req->rows[0]->unit->code;

	if (srv_store_begin(s, st) != LS_OK)
		goto out;
	bool there = false;
	if (srv_store_registry_unit_code_used(s, first_unit, &there, st) != LS_OK)
		goto rollback;
	if (there) {
		srv_store_rollback(s);
		fprintf(out,
		        "demo: the demo district is already in %s (unit %s exists); nothing "
		        "loaded\n",
		        srv->cfg.db, first_unit);
		fflush(out);
		goto out;
	}
	if ((admin = malloc(sizeof *admin)) == NULL) {
		ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
		goto rollback;
	}
	if (first_admin(s, admin, st) != LS_OK)
		goto rollback;
	srv_call as_admin = {.srv = srv, .method = "luoshid --demo", .caller = admin};
	if (import_registry(&as_admin, req, st) != LS_OK ||
	    create_accounts(&as_admin, &accounts, st) != LS_OK ||
	    load_supervision(&as_admin, &accounts, st) != LS_OK)
		goto rollback;
	if (srv_store_commit(s, st) != LS_OK)
		goto rollback;

	ls_info("demo: the Yinzhou demo district is loaded into %s, as account %lld", srv->cfg.db,
	        (long long)admin->id);
	fprintf(out, "demo: loaded the Yinzhou demo district into %s: %zu rows and %zu accounts\n",
	        srv->cfg.db, req->n_rows, accounts.n);
	for (size_t i = 0; i < accounts.n; i++) {
		const Luoshi__V1__CreateAccountResponse *r = accounts.v[i];
		const Luoshi__V1__Account *a = r->account;
		fprintf(out, "demo account: role=%s unit=%s token=%s name=%s\n",
		        a && a->has_role ? srv_role_name((srv_role)a->role) : "?",
		        a && a->unit_code ? a->unit_code : "?", r->token ? r->token : "?",
		        a && a->name ? a->name : "");
	}
	fprintf(out, "demo: the tokens are shown once; the server keeps only their hashes\n");
	fflush(out);
	goto out;

rollback:
	srv_store_rollback(s);
	if (st->code == LS_OK)
		ls_status_set(st, LS_INTERNAL, "demo: the load failed");
out:
	made_fini(&accounts);
	free(admin);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	return st->code;
}
