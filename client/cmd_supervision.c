/* `luoshi inspection record|list`, `luoshi rectification order|done|list`
 * and `luoshi accountability record|list`: the inspection groups'
 * inspections (督查), the rectification orders they give (整改), and the
 * accountability records of the discipline commission (SupervisionService).
 * The server checks who may do what.
 *
 * This file also holds what every supervision command shares (cli.h): a
 * command group with its help, a write that prints the row it answers
 * with, and a list that follows pages. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/supervision.pb-c.h"
#include "output.h"

/* The labels of the supervision commands carry the context "supervision"
 * (NC_), so that they stay apart from the same words elsewhere. */
#define SUP_L(s) cli_pgettext("supervision", s)

#define M_SUP "/luoshi.v1.SupervisionService/"

/* The most rows one list page may ask for (supervision.proto). */
#define CLI_MAX_PAGE 1000

/* ---- shared ------------------------------------------------------------------------ */

int cli_sup_enum(const char *arg, const char *const *words, int n)
{
	for (int i = 1; i < n; i++)
		if (words[i] != NULL && strcmp(words[i], arg) == 0)
			return i;
	return 0;
}

/* A subcommand's summary: marked with the context "supervision" (NC_) or
 * without one (N_). */
static const char *summary_text(const char *s)
{
	const char *t = SUP_L(s);
	return t != s ? t : _(s);
}

int cli_sup_group(cli_ctx *ctx, int argc, char **argv, const char *help, const cli_command *subs,
                  size_t n)
{
	static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "+h", opts)) != -1) {
		if (c != 'h')
			return CLI_EXIT_USAGE;
		fputs(help, stdout);
		cli_table *t = cli_table_alloc(2, NULL);
		for (size_t i = 0; i < n; i++)
			cli_table_kv(t, subs[i].name, summary_text(subs[i].summary));
		cli_table_print(t, stdout, 2);
		cli_table_free(t);
		putchar('\n');
		printf(SUP_L(NC_("supervision",
		                 "Run '%s SUBCOMMAND --help' for the help of a subcommand.\n")),
		       ctx->path);
		return 0;
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no subcommand given"));
	return cli_dispatch(ctx, subs, n, argc - optind, argv + optind);
}

/* The message in field name of m, or NULL. */
static const ProtobufCMessage *sub_message(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return *(ProtobufCMessage *const *)((const char *)m + f->offset);
}

int cli_sup_write(cli_ctx *ctx, const char *method, const ProtobufCMessage *req, const char *key,
                  const char *field, cli_sup_rows_fn rows)
{
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, method, req, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		const ProtobufCMessage *row = sub_message(m, field);
		if (row != NULL) {
			cli_table *t = cli_table_alloc(2, NULL);
			rows(t, row);
			cli_table_print(t, stdout, 0);
			cli_table_free(t);
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* Sets the paging fields of a list request through its descriptor: every
 * list request has page_size and page_token. */
static void set_page(ProtobufCMessage *req, uint32_t size, char *token)
{
	const ProtobufCMessageDescriptor *d = req->descriptor;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(d, "page_size");
	if (f != NULL && size > 0) {
		*(protobuf_c_boolean *)((char *)req + f->quantifier_offset) = 1;
		*(uint32_t *)((char *)req + f->offset) = size;
	}
	f = protobuf_c_message_descriptor_get_field_by_name(d, "page_token");
	if (f != NULL)
		*(char **)((char *)req + f->offset) = token;
}

int cli_list(cli_ctx *ctx, const char *method, ProtobufCMessage *req, const char *field,
             long long limit, size_t ncols, const char *const *headers, cli_sup_rows_fn row,
             const char *none)
{
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	cli_table *t = ctx->json ? NULL : cli_table_alloc(ncols, headers);
	json_t *rows = ctx->json ? json_array() : NULL;
	if (ctx->json && rows == NULL)
		cli_out_of_memory();
	long long fetched = 0;
	char *page_token = NULL;
	do {
		long long left = limit - fetched;
		set_page(req, limit > 0 ? (uint32_t)(left < CLI_MAX_PAGE ? left : CLI_MAX_PAGE) : 0,
		         page_token);
		ProtobufCMessage *m;
		rc = cli_call(client, method, req, NULL, &m);
		if (rc != LS_OK)
			break;
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
		const ProtobufCFieldDescriptor *nf =
		    protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
		                                                    "next_page_token");
		size_t n = f ? *(size_t *)((char *)m + f->quantifier_offset) : 0;
		ProtobufCMessage **v = f ? *(ProtobufCMessage ***)((char *)m + f->offset) : NULL;
		for (size_t i = 0; i < n && (limit == 0 || fetched < limit); i++) {
			fetched++;
			if (rows != NULL) {
				if (json_array_append_new(rows, cli_message_json(v[i])) != 0)
					cli_out_of_memory();
			} else {
				row(t, v[i]);
			}
		}
		const char *next = nf ? *(char **)((char *)m + nf->offset) : NULL;
		char *prev = page_token;
		page_token = next != NULL && *next != '\0' ? cli_xstrdup(next) : NULL;
		protobuf_c_message_free_unpacked(m, NULL);
		if (page_token != NULL && prev != NULL && strcmp(page_token, prev) == 0) {
			ls_status st;
			ls_status_set(&st, LS_INTERNAL, _("the server repeated page token '%s'"),
			              page_token);
			rc = cli_print_status(&st);
		}
		free(prev);
	} while (rc == LS_OK && page_token != NULL && (limit == 0 || fetched < limit));
	set_page(req, 0, NULL);
	free(page_token);
	luoshi_client_close(client);
	if (rc == LS_OK) {
		if (rows != NULL)
			rc = cli_print_json(json_incref(rows));
		else if (cli_table_rows(t) == 0)
			printf("%s\n", none);
		else
			cli_table_print(t, stdout, 0);
	}
	json_decref(rows);
	cli_table_free(t);
	return rc;
}

int cli_sup_limit(cli_ctx *ctx, long long *limit)
{
	if (!cli_parse_int(optarg, 1, INT32_MAX, limit))
		return cli_usage_error(ctx, _("--limit takes a positive number, not '%s'"), optarg);
	return LS_OK;
}

int cli_sup_key(cli_ctx *ctx, const char **key)
{
	if (!cli_key_valid(optarg))
		return cli_usage_error(
		    ctx, _("--key takes 1 to 128 printable characters without spaces"));
	*key = optarg;
	return LS_OK;
}

void cli_sup_code_name(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

/* ---- words the command line takes ---------------------------------------------------- */

/* In the order of the enums in supervision.proto. */
static const char *const layer_args[] = {NULL, "lead-leader", "leading-group",
                                         "congress-and-consultative", "unit-itself"};
static const char *const layer_names[] = {
    NULL, NC_("supervision", "lead leader"), NC_("supervision", "leading group"),
    NC_("supervision", "people's congress and CPPCC"), NC_("supervision", "the unit itself")};
static const char *const acc_args[] = {NULL, "warning-talk", "criticism", "accountability"};
static const char *const acc_names[] = {NULL, NC_("supervision", "warning talk (约谈提醒)"),
                                        NC_("supervision", "criticism (批评教育)"),
                                        NC_("supervision", "accountability (问责)")};
static const char *const status_args[] = {NULL, "open", "done"};

static const char *word(const char *const *names, int n, bool has, int v)
{
	if (!has || v < 1 || v >= n)
		return "";
	return SUP_L(names[v]);
}

/* ---- inspections ------------------------------------------------------------------------ */

static void inspection_rows(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Inspection *i = (const Luoshi__V1__Inspection *)msg;
	char buf[512];
	if (i->has_id)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Inspection ID")), "%" PRId64, i->id);
	cli_sup_code_name(i->group_code, i->group_name, buf, sizeof buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Group")), buf);
	cli_sup_code_name(i->project_code, i->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	cli_sup_code_name(i->leader_code, i->leader_name, buf, sizeof buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Lead leader")), buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Date")), i->date);
	cli_table_kv(t, SUP_L(NC_("supervision", "Layer")),
	             word(layer_names, 5, i->has_layer, (int)i->layer));
	cli_table_kv(t, SUP_L(NC_("supervision", "Slow")),
	             i->has_slow && i->slow ? SUP_L(NC_("supervision", "yes"))
	                                    : SUP_L(NC_("supervision", "no")));
	if (i->findings != NULL)
		cli_table_kv(t, SUP_L(NC_("supervision", "Findings")), i->findings);
}

static void inspection_row(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Inspection *i = (const Luoshi__V1__Inspection *)msg;
	char id[24];
	snprintf(id, sizeof id, "%" PRId64, i->id);
	const char *cells[7] = {id,
	                        i->date,
	                        i->group_name ? i->group_name : i->group_code,
	                        i->project_name ? i->project_name : i->project_code,
	                        word(layer_names, 5, i->has_layer, (int)i->layer),
	                        i->has_slow && i->slow ? SUP_L(NC_("supervision", "slow")) : "",
	                        i->findings};
	cli_table_add(t, cells);
}

static int run_inspection_record(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_GROUP = CLI_OPT_FIRST_LOCAL,
		OPT_PROJECT,
		OPT_DATE,
		OPT_LAYER,
		OPT_FINDINGS,
		OPT_SLOW
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"date", required_argument, NULL, OPT_DATE},
	    {"layer", required_argument, NULL, OPT_LAYER},
	    {"findings", required_argument, NULL, OPT_FINDINGS},
	    {"slow", no_argument, NULL, OPT_SLOW},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__RecordInspectionRequest req = LUOSHI__V1__RECORD_INSPECTION_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi inspection record --group GROUP --project PROJECT --date DATE\n"
			    "         --layer lead-leader|leading-group|congress-and-consultative|unit-itself\n"
			    "         [--findings TEXT] [--slow] [--key KEY]\n"
			    "\n"
			    "Records an inspection (督查) of a project. Needs an inspector token (for\n"
			    "its own group) or the discipline commission's.\n"
			    "\n"
			    "Options:\n"
			    "  --group GROUP      the inspection group (督查组), by code or name\n"
			    "  --project PROJECT  the project inspected\n"
			    "  --date DATE        when (YYYY-MM-DD)\n"
			    "  --layer LAYER      who supervises: the lead leader, the leading group,\n"
			    "                     the people's congress and CPPCC jointly, or the\n"
			    "                     responsible unit itself\n"
			    "  --findings TEXT    what was found (at most 2,000 bytes)\n"
			    "  --slow             the inspection names the project slow (推进较慢)\n"
			    "  --key KEY          the idempotency key, to retry safely\n"));
		case OPT_GROUP:
			req.group = optarg;
			break;
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_DATE:
			req.date = optarg;
			break;
		case OPT_LAYER:
			req.layer =
			    (Luoshi__V1__SupervisionLayer)cli_sup_enum(optarg, layer_args, 5);
			if (req.layer == 0)
				return cli_usage_error(
				    ctx,
				    _("--layer takes lead-leader, leading-group, "
				      "congress-and-consultative or unit-itself, not '%s'"),
				    optarg);
			req.has_layer = 1;
			break;
		case OPT_FINDINGS:
			req.findings = optarg;
			break;
		case OPT_SLOW:
			req.has_slow = 1;
			req.slow = 1;
			break;
		case CLI_OPT_KEY:
			if (cli_sup_key(ctx, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	return cli_sup_write(ctx, M_SUP "RecordInspection", &req.base, key, "inspection",
	                     inspection_rows);
}

static int run_inspection_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_GROUP = CLI_OPT_FIRST_LOCAL,
		OPT_PROJECT,
		OPT_LAYER,
		OPT_FROM,
		OPT_TO,
		OPT_SLOW,
		OPT_LIMIT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"layer", required_argument, NULL, OPT_LAYER},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"to", required_argument, NULL, OPT_TO},
	    {"slow", no_argument, NULL, OPT_SLOW},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListInspectionsRequest req = LUOSHI__V1__LIST_INSPECTIONS_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi inspection list [--group GROUP] [--project PROJECT]\n"
			    "                              [--layer LAYER] [--from DATE] [--to DATE]\n"
			    "                              [--slow] [--limit N]\n"
			    "\n"
			    "Lists the inspections of the projects you may read, oldest first.\n"
			    "\n"
			    "Options:\n"
			    "  --group GROUP      only this inspection group's\n"
			    "  --project PROJECT  only this project's\n"
			    "  --layer LAYER      only this layer of supervision\n"
			    "  --from DATE        only those on or after DATE\n"
			    "  --to DATE          only those on or before DATE\n"
			    "  --slow             only those that named the project slow\n"
			    "  --limit N          stop after N inspections\n"));
		case OPT_GROUP:
			req.group = optarg;
			break;
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_LAYER:
			req.layer =
			    (Luoshi__V1__SupervisionLayer)cli_sup_enum(optarg, layer_args, 5);
			if (req.layer == 0)
				return cli_usage_error(
				    ctx,
				    _("--layer takes lead-leader, leading-group, "
				      "congress-and-consultative or unit-itself, not '%s'"),
				    optarg);
			req.has_layer = 1;
			break;
		case OPT_FROM:
			req.from = optarg;
			break;
		case OPT_TO:
			req.to = optarg;
			break;
		case OPT_SLOW:
			req.has_slow_only = 1;
			req.slow_only = 1;
			break;
		case OPT_LIMIT:
			if (cli_sup_limit(ctx, &limit) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	const char *headers[7] = {_("ID"),
	                          SUP_L(NC_("supervision", "Date")),
	                          SUP_L(NC_("supervision", "Group")),
	                          _("Project"),
	                          SUP_L(NC_("supervision", "Layer")),
	                          SUP_L(NC_("supervision", "Slow")),
	                          SUP_L(NC_("supervision", "Findings"))};
	return cli_list(ctx, M_SUP "ListInspections", &req.base, "inspections", limit, 7, headers,
	                inspection_row, SUP_L(NC_("supervision", "No inspections.")));
}

static const cli_command inspection_subs[] = {
    {"record", run_inspection_record, NC_("supervision", "record an inspection of a project")},
    {"list", run_inspection_list, NC_("supervision", "list inspections")},
};

int cli_cmd_inspection(cli_ctx *ctx, int argc, char **argv)
{
	return cli_sup_group(
	    ctx, argc, argv,
	    _("Usage: luoshi inspection SUBCOMMAND [OPTIONS]\n"
	      "\n"
	      "Inspections (督查) of projects by the inspection groups, on the four\n"
	      "layers of supervision.\n"
	      "\n"
	      "Subcommands:\n"),
	    inspection_subs, sizeof inspection_subs / sizeof inspection_subs[0]);
}

/* ---- rectification orders -------------------------------------------------------------- */

static const char *rect_status(const Luoshi__V1__Rectification *r)
{
	if (!r->has_status)
		return "";
	return r->status == LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_DONE ? _("done")
	                                                                         : _("open");
}

static void rect_rows(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Rectification *r = (const Luoshi__V1__Rectification *)msg;
	char buf[512];
	if (r->has_id)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Order ID")), "%" PRId64, r->id);
	if (r->has_inspection_id)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Inspection ID")), "%" PRId64,
		              r->inspection_id);
	cli_sup_code_name(r->project_code, r->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	cli_sup_code_name(r->group_code, r->group_name, buf, sizeof buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Group")), buf);
	cli_sup_code_name(r->owner_unit_code, r->owner_unit_name, buf, sizeof buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Owner unit")), buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Ordered on")), r->ordered_on);
	cli_table_kv(t, _("Due"), r->due_date);
	cli_table_kv(t, _("Status"), rect_status(r));
	if (r->done_date != NULL)
		cli_table_kv(t, _("Done on"), r->done_date);
	if (r->has_days_left)
		cli_table_kvf(t, _("Days left"), "%d", (int)r->days_left);
	cli_table_kv(t, SUP_L(NC_("supervision", "Order")), r->text);
}

static void rect_row(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Rectification *r = (const Luoshi__V1__Rectification *)msg;
	char id[24], days[16] = "";
	snprintf(id, sizeof id, "%" PRId64, r->id);
	if (r->has_days_left)
		snprintf(days, sizeof days, "%d", (int)r->days_left);
	const char *cells[7] = {id,
	                        r->project_name ? r->project_name : r->project_code,
	                        r->owner_unit_name ? r->owner_unit_name : r->owner_unit_code,
	                        r->due_date,
	                        days,
	                        rect_status(r),
	                        r->text};
	cli_table_add(t, cells);
}

static int rect_id_arg(cli_ctx *ctx, int argc, char **argv, int64_t *id)
{
	if (optind >= argc)
		return cli_usage_error(ctx, "%s", SUP_L(NC_("supervision", "no order ID given")));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	long long v;
	if (!cli_parse_int(argv[optind], 1, INT64_MAX, &v))
		return cli_usage_error(ctx, _("the order ID must be a positive number, not '%s'"),
		                       argv[optind]);
	*id = v;
	return LS_OK;
}

static int run_rect_order(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_INSPECTION = CLI_OPT_FIRST_LOCAL, OPT_OWNER, OPT_DUE, OPT_TEXT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"inspection", required_argument, NULL, OPT_INSPECTION},
	    {"owner", required_argument, NULL, OPT_OWNER},
	    {"due", required_argument, NULL, OPT_DUE},
	    {"text", required_argument, NULL, OPT_TEXT},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__OrderRectificationRequest req = LUOSHI__V1__ORDER_RECTIFICATION_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	long long v;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi rectification order --inspection ID --owner UNIT --due DATE\n"
			    "                                  --text TEXT [--key KEY]\n"
			    "\n"
			    "Orders a unit to put right what an inspection found (整改). Needs an\n"
			    "inspector token (of the inspection's group) or the discipline\n"
			    "commission's. The order shows in the unit's 'luoshi assignments'.\n"
			    "\n"
			    "Options:\n"
			    "  --inspection ID  the inspection that gives the order\n"
			    "  --owner UNIT     the unit that must act\n"
			    "  --due DATE       by when (YYYY-MM-DD), not before the inspection\n"
			    "  --text TEXT      what is to be done (at most 2,000 bytes)\n"
			    "  --key KEY        the idempotency key, to retry safely\n"));
		case OPT_INSPECTION:
			if (!cli_parse_int(optarg, 1, INT64_MAX, &v))
				return cli_usage_error(
				    ctx, _("--inspection takes an inspection ID, not '%s'"),
				    optarg);
			req.has_inspection = 1;
			req.inspection = v;
			break;
		case OPT_OWNER:
			req.owner_unit = optarg;
			break;
		case OPT_DUE:
			req.due_date = optarg;
			break;
		case OPT_TEXT:
			req.text = optarg;
			break;
		case CLI_OPT_KEY:
			if (cli_sup_key(ctx, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	return cli_sup_write(ctx, M_SUP "OrderRectification", &req.base, key, "rectification",
	                     rect_rows);
}

static int run_rect_done(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_DATE = CLI_OPT_FIRST_LOCAL, OPT_REOPEN };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"date", required_argument, NULL, OPT_DATE},
	    {"reopen", no_argument, NULL, OPT_REOPEN},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__UpdateRectificationRequest req = LUOSHI__V1__UPDATE_RECTIFICATION_REQUEST__INIT;
	req.has_status = 1;
	req.status = LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_DONE;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi rectification done ID [--date DATE] [--reopen] [--key KEY]\n"
			    "\n"
			    "Marks a rectification order done (or open again). The accounts of the\n"
			    "order's unit may, and an admin.\n"
			    "\n"
			    "Options:\n"
			    "  --date DATE  when it was done (YYYY-MM-DD); by default today\n"
			    "  --reopen     mark it open again instead\n"
			    "  --key KEY    the idempotency key, to retry safely\n"));
		case OPT_DATE:
			req.done_date = optarg;
			break;
		case OPT_REOPEN:
			req.status = LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_OPEN;
			break;
		case CLI_OPT_KEY:
			if (cli_sup_key(ctx, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	int64_t id = 0;
	if (rect_id_arg(ctx, argc, argv, &id) != LS_OK)
		return CLI_EXIT_USAGE;
	req.has_id = 1;
	req.id = id;
	return cli_sup_write(ctx, M_SUP "UpdateRectification", &req.base, key, "rectification",
	                     rect_rows);
}

static int run_rect_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_OWNER,
		OPT_INSPECTION,
		OPT_STATUS,
		OPT_OVERDUE,
		OPT_AS_OF,
		OPT_LIMIT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"owner", required_argument, NULL, OPT_OWNER},
	    {"inspection", required_argument, NULL, OPT_INSPECTION},
	    {"status", required_argument, NULL, OPT_STATUS},
	    {"overdue", no_argument, NULL, OPT_OVERDUE},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListRectificationsRequest req = LUOSHI__V1__LIST_RECTIFICATIONS_REQUEST__INIT;
	long long limit = 0, v;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi rectification list [--project PROJECT] [--owner UNIT]\n"
			    "                                 [--inspection ID] [--status open|done]\n"
			    "                                 [--overdue] [--as-of DATE] [--limit N]\n"
			    "\n"
			    "Lists rectification orders: those of the projects you may read, and\n"
			    "those given to your unit.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  only this project's\n"
			    "  --owner UNIT       only those given to this unit\n"
			    "  --inspection ID    only those of this inspection\n"
			    "  --status STATUS    only open or done ones\n"
			    "  --overdue          only open ones due before the day (see --as-of)\n"
			    "  --as-of DATE       the day to count days left from; by default today\n"
			    "  --limit N          stop after N orders\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_OWNER:
			req.owner_unit = optarg;
			break;
		case OPT_INSPECTION:
			if (!cli_parse_int(optarg, 1, INT64_MAX, &v))
				return cli_usage_error(
				    ctx, _("--inspection takes an inspection ID, not '%s'"),
				    optarg);
			req.has_inspection = 1;
			req.inspection = v;
			break;
		case OPT_STATUS:
			req.status =
			    (Luoshi__V1__RectificationStatus)cli_sup_enum(optarg, status_args, 3);
			if (req.status == 0)
				return cli_usage_error(
				    ctx, _("--status takes open or done, not '%s'"), optarg);
			req.has_status = 1;
			break;
		case OPT_OVERDUE:
			req.has_overdue_only = 1;
			req.overdue_only = 1;
			break;
		case OPT_AS_OF:
			req.as_of = optarg;
			break;
		case OPT_LIMIT:
			if (cli_sup_limit(ctx, &limit) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	const char *headers[7] = {
	    _("ID"),        _("Project"), SUP_L(NC_("supervision", "Owner unit")), _("Due"),
	    _("Days left"), _("Status"),  SUP_L(NC_("supervision", "Order"))};
	return cli_list(ctx, M_SUP "ListRectifications", &req.base, "rectifications", limit, 7,
	                headers, rect_row, SUP_L(NC_("supervision", "No rectification orders.")));
}

static const cli_command rect_subs[] = {
    {"order", run_rect_order, N_("order a unit to put right what an inspection found")},
    {"done", run_rect_done, NC_("supervision", "mark an order done, or open again")},
    {"list", run_rect_list, NC_("supervision", "list rectification orders")},
};

int cli_cmd_rectification(cli_ctx *ctx, int argc, char **argv)
{
	return cli_sup_group(
	    ctx, argc, argv,
	    _("Usage: luoshi rectification SUBCOMMAND [OPTIONS]\n"
	      "\n"
	      "Rectification orders (整改): what an inspection orders a unit to put\n"
	      "right, by when, and whether it is done.\n"
	      "\n"
	      "Subcommands:\n"),
	    rect_subs, sizeof rect_subs / sizeof rect_subs[0]);
}

/* ---- accountability ------------------------------------------------------------------------- */

static void acc_rows(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__AccountabilityRecord *a = (const Luoshi__V1__AccountabilityRecord *)msg;
	char buf[512];
	if (a->has_id)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Record ID")), "%" PRId64, a->id);
	cli_table_kv(t, _("Kind"), word(acc_names, 4, a->has_kind, (int)a->kind));
	if (a->person_code != NULL) {
		cli_sup_code_name(a->person_code, a->person_name, buf, sizeof buf);
		cli_table_kv(t, _("Person"), buf);
	}
	if (a->unit_code != NULL) {
		cli_sup_code_name(a->unit_code, a->unit_name, buf, sizeof buf);
		cli_table_kv(t, _("Unit"), buf);
	}
	cli_sup_code_name(a->project_code, a->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	if (a->has_inspection_id)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Inspection ID")), "%" PRId64,
		              a->inspection_id);
	cli_table_kv(t, SUP_L(NC_("supervision", "Date")), a->date);
	cli_table_kv(t, _("Text"), a->text);
}

static void acc_row(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__AccountabilityRecord *a = (const Luoshi__V1__AccountabilityRecord *)msg;
	char id[24];
	snprintf(id, sizeof id, "%" PRId64, a->id);
	const char *who = a->person_name ? a->person_name : a->unit_name ? a->unit_name : "";
	const char *cells[6] = {id,
	                        a->date,
	                        word(acc_names, 4, a->has_kind, (int)a->kind),
	                        who,
	                        a->project_name ? a->project_name : a->project_code,
	                        a->text};
	cli_table_add(t, cells);
}

static int run_acc_record(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_KIND = CLI_OPT_FIRST_LOCAL,
		OPT_PERSON,
		OPT_UNIT,
		OPT_PROJECT,
		OPT_INSPECTION,
		OPT_DATE,
		OPT_TEXT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"person", required_argument, NULL, OPT_PERSON},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"inspection", required_argument, NULL, OPT_INSPECTION},
	    {"date", required_argument, NULL, OPT_DATE},
	    {"text", required_argument, NULL, OPT_TEXT},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__RecordAccountabilityRequest req =
	    LUOSHI__V1__RECORD_ACCOUNTABILITY_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	long long v;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi accountability record\n"
			    "         --kind warning-talk|criticism|accountability\n"
			    "         (--person PERSON | --unit UNIT) [--project PROJECT]\n"
			    "         [--inspection ID] --date DATE --text TEXT [--key KEY]\n"
			    "\n"
			    "Records an accountability action against a person or a unit for a\n"
			    "project that lags: a warning talk (约谈提醒), criticism (批评教育) or\n"
			    "accountability (问责). Needs a discipline or inspector token; only\n"
			    "admin, inspector and discipline accounts may read the records.\n"
			    "\n"
			    "Options:\n"
			    "  --kind KIND        warning-talk, criticism or accountability\n"
			    "  --person PERSON    the person it is against\n"
			    "  --unit UNIT        or the unit it is against\n"
			    "  --project PROJECT  the project; by default the inspection's\n"
			    "  --inspection ID    the inspection it follows\n"
			    "  --date DATE        when (YYYY-MM-DD)\n"
			    "  --text TEXT        what and why (at most 2,000 bytes)\n"
			    "  --key KEY          the idempotency key, to retry safely\n"));
		case OPT_KIND:
			req.kind =
			    (Luoshi__V1__AccountabilityKind)cli_sup_enum(optarg, acc_args, 4);
			if (req.kind == 0)
				return cli_usage_error(
				    ctx,
				    _("--kind takes warning-talk, criticism or accountability, not '%s'"),
				    optarg);
			req.has_kind = 1;
			break;
		case OPT_PERSON:
			req.person = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_INSPECTION:
			if (!cli_parse_int(optarg, 1, INT64_MAX, &v))
				return cli_usage_error(
				    ctx, _("--inspection takes an inspection ID, not '%s'"),
				    optarg);
			req.has_inspection = 1;
			req.inspection = v;
			break;
		case OPT_DATE:
			req.date = optarg;
			break;
		case OPT_TEXT:
			req.text = optarg;
			break;
		case CLI_OPT_KEY:
			if (cli_sup_key(ctx, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	return cli_sup_write(ctx, M_SUP "RecordAccountability", &req.base, key, "record", acc_rows);
}

static int run_acc_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_KIND,
		OPT_PERSON,
		OPT_UNIT,
		OPT_FROM,
		OPT_TO,
		OPT_LIMIT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"person", required_argument, NULL, OPT_PERSON},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"to", required_argument, NULL, OPT_TO},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListAccountabilityRequest req = LUOSHI__V1__LIST_ACCOUNTABILITY_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi accountability list [--project PROJECT] [--kind KIND]\n"
			    "                                  [--person PERSON] [--unit UNIT]\n"
			    "                                  [--from DATE] [--to DATE] [--limit N]\n"
			    "\n"
			    "Lists accountability records. Only admin, inspector and discipline\n"
			    "accounts may.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  only this project's\n"
			    "  --kind KIND        only warning-talk, criticism or accountability\n"
			    "  --person PERSON    only those against this person\n"
			    "  --unit UNIT        only those against this unit\n"
			    "  --from DATE        only those on or after DATE\n"
			    "  --to DATE          only those on or before DATE\n"
			    "  --limit N          stop after N records\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_KIND:
			req.kind =
			    (Luoshi__V1__AccountabilityKind)cli_sup_enum(optarg, acc_args, 4);
			if (req.kind == 0)
				return cli_usage_error(
				    ctx,
				    _("--kind takes warning-talk, criticism or accountability, not '%s'"),
				    optarg);
			req.has_kind = 1;
			break;
		case OPT_PERSON:
			req.person = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_FROM:
			req.from = optarg;
			break;
		case OPT_TO:
			req.to = optarg;
			break;
		case OPT_LIMIT:
			if (cli_sup_limit(ctx, &limit) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	const char *headers[6] = {_("ID"),      SUP_L(NC_("supervision", "Date")),
	                          _("Kind"),    SUP_L(NC_("supervision", "Against")),
	                          _("Project"), _("Text")};
	return cli_list(ctx, M_SUP "ListAccountability", &req.base, "records", limit, 6, headers,
	                acc_row, SUP_L(NC_("supervision", "No accountability records.")));
}

static const cli_command acc_subs[] = {
    {"record", run_acc_record, N_("record a warning talk, criticism or accountability")},
    {"list", run_acc_list, NC_("supervision", "list accountability records")},
};

int cli_cmd_accountability(cli_ctx *ctx, int argc, char **argv)
{
	return cli_sup_group(
	    ctx, argc, argv,
	    _("Usage: luoshi accountability SUBCOMMAND [OPTIONS]\n"
	      "\n"
	      "Accountability records of the discipline commission: warning talks\n"
	      "(约谈提醒), criticism (批评教育) and accountability (问责) against the\n"
	      "people and units that let projects lag.\n"
	      "\n"
	      "Subcommands:\n"),
	    acc_subs, sizeof acc_subs / sizeof acc_subs[0]);
}
