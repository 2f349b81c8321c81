/* ImportService: the registry in bulk, and past progress updates (an admin
 * loading a district's history). Every row goes through the handler of its
 * single-row RPC (srv_call_method), so an imported row is checked and
 * audited exactly as one added by hand; the import only adds the
 * all-or-nothing rule and the report of every bad row. */
#include "luoshi/v1/import.pb-c.h"

#include <stdlib.h>
#include <string.h>

#include "server.h"

#define MAX_ROWS 100000
#define MAX_ERRORS 100

/* The single-row method each kind of row goes through, by the name of its
 * field in ImportRow. */
static const struct target {
	const char *row;
	const char *method;
} targets[] = {
    {"unit", "/luoshi.v1.RegistryService/CreateUnit"},
    {"person", "/luoshi.v1.RegistryService/CreatePerson"},
    {"project", "/luoshi.v1.ProjectService/CreateProject"},
    {"plan", "/luoshi.v1.ProjectService/SetPlan"},
    {"node", "/luoshi.v1.ScheduleService/CreateNode"},
    {"task", "/luoshi.v1.ScheduleService/CreateTask"},
    {"update", "/luoshi.v1.ProgressService/SubmitUpdate"},
};

/* Codes that say something about the row; any other code (the database
 * locked, out of memory, a bug) ends the whole import. */
static bool row_fault(int code)
{
	switch (code) {
	case LS_INVALID_ARGUMENT:
	case LS_NOT_FOUND:
	case LS_ALREADY_EXISTS:
	case LS_PERMISSION_DENIED:
	case LS_FAILED_PRECONDITION:
	case LS_OUT_OF_RANGE:
	case LS_UNIMPLEMENTED:
		return true;
	default:
		return false;
	}
}

static void count_row(Luoshi__V1__ImportRegistryResponse *out, const char *row)
{
	struct {
		const char *row;
		uint32_t *n;
	} counts[] = {
	    {"unit", &out->units},     {"person", &out->people}, {"project", &out->projects},
	    {"plan", &out->plans},     {"node", &out->nodes},    {"task", &out->tasks},
	    {"update", &out->updates},
	};
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		if (strcmp(counts[i].row, row) == 0)
			(*counts[i].n)++;
}

static void free_errors(Luoshi__V1__ImportRegistryResponse *out)
{
	for (size_t i = 0; i < out->n_errors; i++) {
		free(out->errors[i]->source);
		free(out->errors[i]->field);
		free(out->errors[i]->message);
		free(out->errors[i]);
	}
	free(out->errors);
}

/* Records the error of a row. Returns false when out of memory. */
static bool add_error(Luoshi__V1__ImportRegistryResponse *out, const Luoshi__V1__ImportRow *row,
                      const char *field, const char *message)
{
	Luoshi__V1__ImportError *e = malloc(sizeof *e);
	if (e == NULL)
		return false;
	luoshi__v1__import_error__init(e);
	out->errors[out->n_errors++] = e;
	if (row->source != NULL && (e->source = strdup(row->source)) == NULL)
		return false;
	e->has_line = row->has_line;
	e->line = row->line;
	if (field != NULL && field[0] != '\0' && (e->field = strdup(field)) == NULL)
		return false;
	return (e->message = strdup(message)) != NULL;
}

/* The message a row holds and the method it goes to; NULL when the row
 * holds none. */
static const ProtobufCMessage *row_request(const Luoshi__V1__ImportRow *row, const char **method,
                                           const char **kind)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
	    &luoshi__v1__import_row__descriptor, (unsigned)row->row_case);
	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		if (strcmp(targets[i].row, f->name) == 0) {
			*method = targets[i].method;
			*kind = targets[i].row;
			return *(const ProtobufCMessage *const *)((const char *)row + f->offset);
		}
	}
	return NULL;
}

static void import_import_registry(Luoshi__V1__ImportService_Service *svc,
                                   const Luoshi__V1__ImportRegistryRequest *in,
                                   Luoshi__V1__ImportRegistryResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *store = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (in->n_rows == 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "rows", "the import holds no rows");
		return;
	}
	if (in->n_rows > MAX_ROWS) {
		srv_fail(c, LS_INVALID_ARGUMENT, "rows",
		         "the import holds %zu rows; at most %d go in one request", in->n_rows,
		         MAX_ROWS);
		return;
	}

	Luoshi__V1__ImportRegistryResponse out = LUOSHI__V1__IMPORT_REGISTRY_RESPONSE__INIT;
	out.errors = calloc(MAX_ERRORS, sizeof *out.errors);
	if (out.errors == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < in->n_rows && out.n_errors < MAX_ERRORS; i++) {
		const Luoshi__V1__ImportRow *row = in->rows[i];
		const char *method = NULL, *kind = NULL;
		const ProtobufCMessage *req = row_request(row, &method, &kind);
		if (req == NULL) {
			if (!add_error(&out, row, "row", "the row holds no request"))
				goto oom;
			continue;
		}
		/* A savepoint per row, so that a bad row leaves nothing behind
		 * and the rows after it still run against what came before. */
		if (srv_store_savepoint(store, &c->status) != LS_OK) {
			c->answered = true;
			goto out;
		}
		srv_call sub;
		srv_call_method(c, method, req, &sub);
		free(sub.body);
		if (sub.status.code == LS_OK) {
			srv_store_savepoint_release(store);
			count_row(&out, kind);
			continue;
		}
		srv_store_savepoint_rollback(store);
		if (!row_fault(sub.status.code)) {
			srv_fail(c, sub.status.code, sub.status.field[0] ? sub.status.field : NULL,
			         "row %zu (%s line %u): %s", i + 1, row->source ? row->source : "",
			         row->line, sub.status.message);
			goto out;
		}
		if (!add_error(&out, row, sub.status.field, sub.status.message))
			goto oom;
	}
	out.has_applied = true;
	out.applied = out.n_errors == 0 && !(in->has_dry_run && in->dry_run);
	/* Nothing is written unless every row passed: a dry run or a bad row
	 * answers OK with the report, and the dispatcher undoes the writes. */
	if (!out.applied)
		c->discard = true;
	out.has_units = out.has_people = out.has_projects = true;
	out.has_plans = out.has_nodes = out.has_tasks = out.has_updates = true;
	done(&out, arg);
	goto out;
oom:
	srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
out:
	free_errors(&out);
}

ProtobufCService *srv_import_service(void)
{
	static Luoshi__V1__ImportService_Service svc = LUOSHI__V1__IMPORT_SERVICE__INIT(import_);
	return &svc.base;
}
