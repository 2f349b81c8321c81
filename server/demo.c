/* The demo district: the CSV files of server/demo go through the same
 * handlers as `luoshi import registry` and `luoshi account add`, as the
 * database's first admin, so that the demo is checked and audited like any
 * registry an office would load, and shows no row the server could not
 * have accepted from a client. Its history (updates and problems since
 * January 2025) keeps the days it happened on, which no handler takes from
 * a client: see "the history" below. All of it loads in one transaction. */
#include "demo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <sodium.h>

#include "csvrows.h"
#include "log.h"
#include "period.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/import.pb-c.h"
#include "luoshi/v1/supervision.pb-c.h"
#include "rpc.h"
#include "store/problems.h"
#include "store/progress.h"
#include "store/registry.h"
#include "store/schedule.h"

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

/* ---- the history: progress updates and problems ------------------------------ */

/* updates.csv and problems.csv (written by server/demo/gen_history.py) hold
 * what the district reported and raised from January 2025 on. History has
 * its own days: an update was sent, and a problem raised and closed, on the
 * day its row gives, not today. So these rows are checked here as the
 * handlers check a client's (the same limits and look-ups), and written
 * with the store functions the handlers use, dated as the rows say; the
 * routing of a problem to its support group is the handler's. They carry
 * no audit rows: the audit log records what was done through this server. */
#define HIST_MAX_COLUMNS 10
#define HIST_TEXT_MAX 2000
#define HIST_TITLE_MAX 200
#define HIST_MONEY_MAX 1000000000LL

typedef struct hist_reader hist_reader;
typedef int (*hist_row_fn)(hist_reader *r, void *arg, ls_status *st);

/* One file read through libcsv: the header names columns, each record's
 * cells are then given by the index of their column in columns[]. */
struct hist_reader {
	const char *source;
	const char *const *columns; /* NULL-terminated */
	hist_row_fn fn;
	void *arg;
	ls_status *st;
	unsigned line;     /* the physical line being fed */
	unsigned rec_line; /* the line the record began on */
	bool rec_open;
	bool have_header;
	int map[HIST_MAX_COLUMNS]; /* file column -> index in columns[] */
	int n_header;
	/* The record being read: its fields one after another, NUL-ended. */
	char *buf;
	size_t used, cap;
	size_t off[HIST_MAX_COLUMNS + 1];
	int n_fields;
	const char *cell[HIST_MAX_COLUMNS]; /* by columns[] index; NULL: empty */
	size_t rows;
	bool oom;
};

static void hist_field(void *s, size_t len, void *arg)
{
	hist_reader *r = arg;
	if (r->oom || r->st->code != LS_OK)
		return;
	if (r->n_fields++ >= HIST_MAX_COLUMNS)
		return;
	if (r->used + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		while (cap < r->used + len + 1)
			cap *= 2;
		char *more = realloc(r->buf, cap);
		if (more == NULL) {
			r->oom = true;
			return;
		}
		r->buf = more;
		r->cap = cap;
	}
	r->off[r->n_fields - 1] = r->used;
	if (len > 0)
		memcpy(r->buf + r->used, s, len);
	r->used += len;
	r->buf[r->used++] = '\0';
}

static void hist_header(hist_reader *r)
{
	r->have_header = true;
	r->n_header = r->n_fields;
	for (int i = 0; i < r->n_fields && i < HIST_MAX_COLUMNS; i++) {
		const char *name = r->buf + r->off[i];
		int k = 0;
		while (r->columns[k] != NULL && strcmp(r->columns[k], name) != 0)
			k++;
		bool repeated = false;
		for (int j = 0; j < i; j++)
			repeated = repeated || r->map[j] == k;
		if (r->columns[k] == NULL || repeated) {
			bad_row(r->st, true, LS_INVALID_ARGUMENT, r->source, r->rec_line, name,
			        "an unknown or repeated column");
			return;
		}
		r->map[i] = k;
	}
	if (r->n_fields > HIST_MAX_COLUMNS)
		bad_row(r->st, true, LS_INVALID_ARGUMENT, r->source, r->rec_line, NULL,
		        "more columns than the file may have");
}

static void hist_record(int term, void *arg)
{
	(void)term;
	hist_reader *r = arg;
	if (!r->oom && r->st->code == LS_OK) {
		if (!r->have_header) {
			hist_header(r);
		} else if (r->n_fields != r->n_header) {
			bad_row(r->st, true, LS_INVALID_ARGUMENT, r->source, r->rec_line, NULL,
			        "the row has another number of cells than the header");
		} else {
			for (int k = 0; k < HIST_MAX_COLUMNS; k++)
				r->cell[k] = NULL;
			for (int i = 0; i < r->n_fields && i < HIST_MAX_COLUMNS; i++)
				if (r->buf[r->off[i]] != '\0')
					r->cell[r->map[i]] = r->buf + r->off[i];
			if (r->fn(r, r->arg, r->st) == LS_OK)
				r->rows++;
		}
	}
	r->used = 0;
	r->n_fields = 0;
	r->rec_open = false;
}

/* Reads the demo file name, giving each row to fn. Returns LS_OK, or the
 * code of the first bad row (st names its line and field). */
static int hist_read(const char *name, const char *const *columns, hist_row_fn fn, void *arg,
                     size_t *rows, ls_status *st)
{
	const srv_demo_file *f = demo_file(name, st);
	if (f == NULL)
		return st->code;
	char source[64];
	snprintf(source, sizeof source, "%s%s", DEMO_DIR, name);
	hist_reader r = {
	    .source = source, .columns = columns, .fn = fn, .arg = arg, .st = st, .line = 1};
	struct csv_parser cp;
	if (csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	const char *at = f->text, *end = f->text + f->len;
	if (f->len >= 3 && memcmp(at, "\xef\xbb\xbf", 3) == 0)
		at += 3;
	/* One physical line at a time, so that a bad row's line is known. */
	while (at < end && !r.oom && st->code == LS_OK) {
		const char *eol = memchr(at, '\n', (size_t)(end - at));
		eol = eol ? eol + 1 : end;
		if (!r.rec_open && eol - at > 1) {
			r.rec_open = true;
			r.rec_line = r.line;
		}
		size_t n = (size_t)(eol - at);
		if (csv_parse(&cp, at, n, hist_field, hist_record, &r) != n) {
			bad_row(st, true, LS_INVALID_ARGUMENT, source, r.line, NULL, "bad quoting");
			break;
		}
		at = eol;
		r.line++;
	}
	if (st->code == LS_OK && !r.oom && csv_fini(&cp, hist_field, hist_record, &r) != 0)
		bad_row(st, true, LS_INVALID_ARGUMENT, source, r.rec_line, NULL,
		        "a quoted field is not closed before the end of the file");
	csv_free(&cp);
	free(r.buf);
	if (r.oom && st->code == LS_OK)
		ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	if (st->code == LS_OK && !r.have_header)
		bad_row(st, true, LS_INVALID_ARGUMENT, source, 1, NULL, "the file has no header");
	*rows = r.rows;
	return st->code;
}

static int hist_bad(const hist_reader *r, const char *field, const char *message, ls_status *st)
{
	return bad_row(st, true, LS_INVALID_ARGUMENT, r->source, r->rec_line, field, message);
}

static int hist_number(const hist_reader *r, int k, const char *field, bool required, long long hi,
                       int64_t *out, ls_status *st)
{
	const char *cell = r->cell[k];
	*out = 0;
	if (cell == NULL)
		return required ? hist_bad(r, field, "a number is required", st) : LS_OK;
	char *end;
	errno = 0;
	long long v = strtoll(cell, &end, 10);
	if (errno != 0 || *end != '\0' || end == cell || v < 0 || v > hi)
		return hist_bad(r, field, "not a whole number in range", st);
	*out = v;
	return LS_OK;
}

static int hist_text(const hist_reader *r, int k, const char *field, bool required, size_t max,
                     ls_status *st)
{
	const char *cell = r->cell[k];
	if (cell == NULL)
		return required ? hist_bad(r, field, "is required", st) : LS_OK;
	if (strlen(cell) > max)
		return hist_bad(r, field, "is too long", st);
	return LS_OK;
}

/* A time as the server writes them ("2026-03-06T16:20:00+08:00"), on a day
 * not after today; *day is that day. Empty cells pass when !required. */
static int hist_time(const hist_reader *r, int k, const char *field, bool required, int32_t *day,
                     ls_status *st)
{
	const char *cell = r->cell[k];
	*day = 0;
	if (cell == NULL)
		return required ? hist_bad(r, field, "a time is required", st) : LS_OK;
	char date[11];
	int hh, mm, ss, n = 0;
	if (strlen(cell) != 25 || sscanf(cell + 10, "T%2d:%2d:%2d%n", &hh, &mm, &ss, &n) != 3 ||
	    n != 9 || hh > 23 || mm > 59 || ss > 59 || (cell[19] != '+' && cell[19] != '-') ||
	    cell[22] != ':')
		return hist_bad(r, field, "not a time YYYY-MM-DDTHH:MM:SS+HH:MM", st);
	memcpy(date, cell, 10);
	date[10] = '\0';
	if (!ls_date_parse(date, day))
		return hist_bad(r, field, "not a real date", st);
	if (*day > ls_today())
		return hist_bad(r, field, "lies after today", st);
	return LS_OK;
}

/* ---- updates.csv ---- */

enum {
	U_PROJECT,
	U_PERIOD,
	U_UNIT,
	U_INVESTED,
	U_OUTPUT,
	U_PERCENT,
	U_PROGRESS,
	U_NODES,
	U_SUBMITTED
};
static const char *const update_columns[] = {"project",      "period",  "unit",     "invested",
                                             "output",       "percent", "progress", "nodes_done",
                                             "submitted_at", NULL};

typedef struct hist_node {
	int64_t id;
	char name[256];
} hist_node;

typedef struct hist_updates {
	srv_store *store;
	const srv_scope *scope;
	int64_t account;
	/* The project of the rows before: they come grouped by project. */
	char code[64];
	srv_progress_project proj;
	hist_node *nodes;
	size_t n_nodes, cap_nodes;
	bool nodes_oom;
	char unit_code[64];
	int64_t unit;
	int64_t *done; /* node ids of the row */
} hist_updates;

static void hist_take_node(void *arg, const srv_node *n)
{
	hist_updates *u = arg;
	if (u->n_nodes == u->cap_nodes) {
		size_t cap = u->cap_nodes ? u->cap_nodes * 2 : 16;
		hist_node *more = realloc(u->nodes, cap * sizeof *more);
		if (more == NULL) {
			u->nodes_oom = true;
			return;
		}
		u->nodes = more;
		u->cap_nodes = cap;
	}
	u->nodes[u->n_nodes].id = n->id;
	snprintf(u->nodes[u->n_nodes].name, sizeof u->nodes[0].name, "%s", n->name);
	u->n_nodes++;
}

/* Makes project code the current one, with its nodes. */
static int hist_project(hist_reader *r, hist_updates *u, const char *code, ls_status *st)
{
	if (strcmp(u->code, code) == 0)
		return LS_OK;
	u->code[0] = '\0';
	int64_t id;
	if (srv_store_resolve(u->store, SRV_PROJECT, code, "project", &id, st) != LS_OK)
		return hist_bad(r, "project", "no such project", st);
	if (srv_store_progress_project(u->store, id, &u->proj, st) != LS_OK)
		return hist_bad(r, "project", "no such project", st);
	u->n_nodes = 0;
	srv_node_filter nf = {.scope = u->scope, .project = id};
	if (srv_store_schedule_node_list(u->store, &nf, 100000, hist_take_node, u) < 0 ||
	    u->nodes_oom)
		return ls_status_set(st, LS_INTERNAL, "demo: cannot read the nodes of %s", code);
	snprintf(u->code, sizeof u->code, "%s", code);
	return LS_OK;
}

/* The nodes a row reports done, names separated by ';', into u->done. */
static int hist_nodes(hist_reader *r, hist_updates *u, size_t *n, ls_status *st)
{
	*n = 0;
	const char *cell = r->cell[U_NODES];
	if (cell == NULL)
		return LS_OK;
	free(u->done);
	u->done = malloc((strlen(cell) / 2 + 2) * sizeof *u->done);
	if (u->done == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "demo: out of memory");
	for (const char *p = cell; *p != '\0';) {
		size_t len = strcspn(p, ";");
		size_t i = 0;
		while (i < u->n_nodes &&
		       !(strlen(u->nodes[i].name) == len && memcmp(u->nodes[i].name, p, len) == 0))
			i++;
		if (i == u->n_nodes)
			return hist_bad(r, "nodes_done", "names no node of the project", st);
		size_t j = 0;
		while (j < *n && u->done[j] != u->nodes[i].id)
			j++;
		if (j == *n)
			u->done[(*n)++] = u->nodes[i].id;
		p += len;
		if (*p == ';')
			p++;
	}
	return LS_OK;
}

static int hist_update(hist_reader *r, void *arg, ls_status *st)
{
	hist_updates *u = arg;
	if (r->cell[U_PROJECT] == NULL)
		return hist_bad(r, "project", "is required", st);
	if (hist_project(r, u, r->cell[U_PROJECT], st) != LS_OK)
		return st->code;
	if (u->proj.archived)
		return hist_bad(r, "project", "the project is archived", st);
	ls_period per;
	if (r->cell[U_PERIOD] == NULL || !ls_period_parse(r->cell[U_PERIOD], &per) ||
	    per.kind != (u->proj.monthly ? LS_PERIOD_MONTH : LS_PERIOD_WEEK))
		return hist_bad(r, "period",
		                u->proj.monthly ? "the project reports by month: YYYY-MM"
		                                : "the project reports by week: YYYY-Www",
		                st);
	int64_t invested, output, percent;
	int32_t sent;
	if (hist_number(r, U_INVESTED, "invested", true, HIST_MONEY_MAX, &invested, st) ||
	    hist_number(r, U_OUTPUT, "output", false, HIST_MONEY_MAX, &output, st) ||
	    hist_number(r, U_PERCENT, "percent", true, 100, &percent, st) ||
	    hist_text(r, U_PROGRESS, "progress", true, HIST_TEXT_MAX, st) ||
	    hist_time(r, U_SUBMITTED, "submitted_at", true, &sent, st))
		return st->code;
	if (sent < per.first)
		return hist_bad(r, "submitted_at", "lies before the period begins", st);
	if (r->cell[U_UNIT] == NULL)
		return hist_bad(r, "unit", "is required", st);
	if (strcmp(u->unit_code, r->cell[U_UNIT]) != 0) {
		u->unit_code[0] = '\0';
		if (srv_store_unit_resolve(u->store, r->cell[U_UNIT], "unit", &u->unit, st) !=
		    LS_OK)
			return hist_bad(r, "unit", "no such unit", st);
		snprintf(u->unit_code, sizeof u->unit_code, "%s", r->cell[U_UNIT]);
	}
	size_t n_done;
	if (hist_nodes(r, u, &n_done, st) != LS_OK)
		return st->code;

	int m_year = per.year, m_month = per.number;
	if (per.kind == LS_PERIOD_WEEK)
		ls_week_month(per.year, per.number, &m_year, &m_month);
	char period[16], month[16], first[11], last[11], done_date[11];
	ls_period_format(&per, period);
	snprintf(month, sizeof month, "%04d-%02d", m_year, m_month);
	bool locked;
	if (srv_store_progress_month_locked(u->store, month, &locked, st) != LS_OK)
		return st->code;
	if (locked)
		return bad_row(st, true, LS_FAILED_PRECONDITION, r->source, r->rec_line, "period",
		               "the month is reconciled: it takes no more updates");
	ls_date_format(per.first, first);
	ls_date_format(per.last, last);
	/* Nodes reported done are done on the period's last day, or on the
	 * day the update was sent if that came first: as SubmitUpdate dates
	 * them. */
	ls_date_format(per.last < sent ? per.last : sent, done_date);
	srv_update_new nu = {
	    .project_id = u->proj.id,
	    .period = period,
	    .monthly = per.kind == LS_PERIOD_MONTH,
	    .period_first = first,
	    .period_last = last,
	    .month = month,
	    .year = m_year,
	    .unit_id = u->unit,
	    .account_id = u->account,
	    .invested = invested,
	    .has_output = r->cell[U_OUTPUT] != NULL,
	    .output = output,
	    .percent = (int)percent,
	    .progress = r->cell[U_PROGRESS],
	    .submitted_at = r->cell[U_SUBMITTED],
	    .nodes = u->done,
	    .n_nodes = n_done,
	    .done_date = done_date,
	};
	int64_t id;
	if (srv_store_progress_insert(u->store, &nu, &id, st) != LS_OK) {
		char why[sizeof st->message];
		snprintf(why, sizeof why, "%s", st->message);
		return bad_row(st, true, st->code, r->source, r->rec_line, NULL, why);
	}
	return LS_OK;
}

/* ---- problems.csv ---- */

enum {
	P_PROJECT,
	P_GROUP,
	P_TITLE,
	P_DETAIL,
	P_ASSIGNEE,
	P_DUE,
	P_RAISED,
	P_ASSIGNED,
	P_RESOLVED,
	P_RESOLUTION
};
static const char *const problem_columns[] = {
    "project",   "group",       "title",       "detail",     "assignee", "due_date",
    "raised_at", "assigned_at", "resolved_at", "resolution", NULL};

typedef struct hist_problems {
	srv_store *store;
	int64_t account;
	size_t open; /* not resolved, for the log */
} hist_problems;

static int hist_problem(hist_reader *r, void *arg, ls_status *st)
{
	hist_problems *h = arg;
	srv_store *s = h->store;
	static const char *const groups[] = {"coordination", "approval", "funding", "clearance",
	                                     "other"};
	const char *group = r->cell[P_GROUP];
	size_t g = 0;
	while (group != NULL && g < 5 && strcmp(group, groups[g]) != 0)
		g++;
	if (group == NULL || g == 5)
		return hist_bad(r, "group",
		                "group is coordination, approval, funding, clearance or other", st);
	int32_t raised, assigned, resolved, due = 0;
	if (hist_text(r, P_TITLE, "title", true, HIST_TITLE_MAX, st) ||
	    hist_text(r, P_DETAIL, "detail", false, HIST_TEXT_MAX, st) ||
	    hist_text(r, P_RESOLUTION, "resolution", r->cell[P_RESOLVED] != NULL, HIST_TEXT_MAX,
	              st) ||
	    hist_time(r, P_RAISED, "raised_at", true, &raised, st) ||
	    hist_time(r, P_ASSIGNED, "assigned_at", r->cell[P_ASSIGNEE] != NULL, &assigned, st) ||
	    hist_time(r, P_RESOLVED, "resolved_at", false, &resolved, st))
		return st->code;
	if (r->cell[P_DUE] != NULL && !ls_date_parse(r->cell[P_DUE], &due))
		return hist_bad(r, "due_date", "not a real date", st);
	/* What RaiseProblem asks of a due date, on the day it was raised. */
	if (r->cell[P_DUE] != NULL && due < raised)
		return hist_bad(r, "due_date", "lies before the problem was raised", st);
	if ((r->cell[P_ASSIGNED] != NULL && strcmp(r->cell[P_ASSIGNED], r->cell[P_RAISED]) < 0) ||
	    (r->cell[P_RESOLVED] != NULL && strcmp(r->cell[P_RESOLVED], r->cell[P_RAISED]) < 0))
		return hist_bad(r, r->cell[P_RESOLVED] ? "resolved_at" : "assigned_at",
		                "lies before the problem was raised", st);
	if (r->cell[P_RESOLUTION] != NULL && r->cell[P_RESOLVED] == NULL)
		return hist_bad(r, "resolved_at", "a resolution needs the time it was resolved",
		                st);

	int64_t pid;
	srv_problem_project proj;
	if (r->cell[P_PROJECT] == NULL ||
	    srv_store_resolve(s, SRV_PROJECT, r->cell[P_PROJECT], "project", &pid, st) != LS_OK ||
	    srv_store_problems_project(s, pid, &proj, st) != LS_OK)
		return hist_bad(r, "project", "no such project", st);
	int64_t assignee = 0;
	srv_unit unit;
	if (r->cell[P_ASSIGNEE] != NULL &&
	    srv_store_unit_resolve(s, r->cell[P_ASSIGNEE], "assignee", &assignee, st) != LS_OK)
		return hist_bad(r, "assignee", "no such unit", st);

	/* Routed as RaiseProblem routes: the support group of the group in the
	 * office over the project's lead unit, or the office itself. */
	int64_t office, routed;
	if (srv_store_registry_office_of(s, proj.lead_unit_id, &office, st) != LS_OK)
		return st->code;
	if (g == 4) {
		routed = office;
	} else if (srv_store_registry_group_unit(s, office, group, 0, &routed, st) != LS_OK) {
		return bad_row(st, true, LS_FAILED_PRECONDITION, r->source, r->rec_line, "group",
		               "the office has no support group for it");
	}
	if (srv_store_registry_unit_get(s, routed, &unit) != LS_OK)
		return ls_status_set(st, LS_INTERNAL, "demo: unit %lld cannot be read",
		                     (long long)routed);
	char raised_on[11], text[400];
	memcpy(raised_on, r->cell[P_RAISED], 10);
	raised_on[10] = '\0';
	srv_problem_new np = {
	    .project_id = pid,
	    .title = r->cell[P_TITLE],
	    .detail = r->cell[P_DETAIL] ? r->cell[P_DETAIL] : "",
	    .group = group,
	    .routed_unit_id = routed,
	    .office_id = office,
	    .due_date = r->cell[P_DUE] ? r->cell[P_DUE] : "",
	    .raised_by = h->account,
	    .raised_at = r->cell[P_RAISED],
	    .raised_on = raised_on,
	};
	int64_t id;
	snprintf(text, sizeof text, "unit:%s %s", unit.code, unit.name);
	if (srv_store_problems_insert(s, &np, &id, st) != LS_OK ||
	    srv_store_problems_event(s, id, r->cell[P_RAISED], h->account, "raised", text, st) !=
	        LS_OK)
		return st->code;
	if (assignee != 0) {
		if (srv_store_registry_unit_get(s, assignee, &unit) != LS_OK)
			return hist_bad(r, "assignee", "no such unit", st);
		snprintf(text, sizeof text, "unit:%s %s", unit.code, unit.name);
		if (srv_store_problems_assign(s, id, assignee, 0, st) != LS_OK ||
		    srv_store_problems_event(s, id, r->cell[P_ASSIGNED], h->account, "assigned",
		                             text, st) != LS_OK)
			return st->code;
	}
	if (r->cell[P_RESOLVED] == NULL) {
		h->open++;
		return LS_OK;
	}
	char resolved_on[11];
	memcpy(resolved_on, r->cell[P_RESOLVED], 10);
	resolved_on[10] = '\0';
	if (srv_store_problems_resolve(s, id, r->cell[P_RESOLUTION], r->cell[P_RESOLVED],
	                               resolved_on, st) != LS_OK ||
	    srv_store_problems_event(s, id, r->cell[P_RESOLVED], h->account, "resolved",
	                             r->cell[P_RESOLUTION], st) != LS_OK)
		return st->code;
	return LS_OK;
}

static int load_history(srv_call *as_admin, ls_status *st)
{
	srv_store *s = as_admin->srv->store;
	hist_updates u = {
	    .store = s, .scope = srv_call_scope(as_admin), .account = as_admin->caller->id};
	hist_problems p = {.store = s, .account = as_admin->caller->id};
	size_t n_updates = 0, n_problems = 0;
	int rc = hist_read("updates.csv", update_columns, hist_update, &u, &n_updates, st);
	free(u.nodes);
	free(u.done);
	if (rc == LS_OK)
		rc = hist_read("problems.csv", problem_columns, hist_problem, &p, &n_problems, st);
	if (rc == LS_OK)
		ls_info("demo: %zu progress updates, %zu problems (%zu open)", n_updates,
		        n_problems, p.open);
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
	    load_supervision(&as_admin, &accounts, st) != LS_OK ||
	    load_history(&as_admin, st) != LS_OK)
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
