/* `luoshi import registry FILE...`: units, people, projects, plans, nodes
 * and tasks from CSV files (common/csvrows.h), in one ImportRegistry call;
 * `luoshi import updates FILE...`: progress updates, in one SubmitUpdates
 * call. Either way the server applies every row or none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libintl.h>

#include "cli.h"
#include "csvrows.h"
#include "luoshi/v1/import.pb-c.h"
#include "luoshi/v1/progress.pb-c.h"
#include "output.h"

#define M_IMPORT "/luoshi.v1.ImportService/ImportRegistry"
#define M_SUBMIT_UPDATES "/luoshi.v1.ProgressService/SubmitUpdates"

/* Exit code when the rows do not go in because some are bad. */
#define CLI_EXIT_BAD_ROWS LS_INVALID_ARGUMENT

#define BAR_WIDTH 30

/* ---- progress on a terminal -------------------------------------------------- */

typedef struct progress {
	bool on; /* standard error is a terminal */
	const char *file;
	int last_percent;
} progress;

static void show_progress(void *arg, size_t done, size_t total, size_t rows)
{
	progress *p = arg;
	int percent = total ? (int)(done * 100 / total) : 100;
	if (!p->on || percent == p->last_percent)
		return;
	p->last_percent = percent;
	char bar[BAR_WIDTH + 1];
	int full = percent * BAR_WIDTH / 100;
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < full ? '#' : '-';
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\r\033[K%s [%s] %3d%%  ", p->file, bar, percent);
	fprintf(stderr, ngettext("%zu row read", "%zu rows read", rows), rows);
	fflush(stderr);
}

/* Erases the progress line. */
static void clear_progress(const progress *p)
{
	if (p->on) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

/* ---- errors ------------------------------------------------------------------ */

/* "FILE:LINE: column: message", the form compilers use, so that editors
 * can jump to the line. */
static void print_error(const char *source, uint32_t line, const char *column, const char *message)
{
	fputs(source && *source ? source : "-", stderr);
	if (line > 0)
		fprintf(stderr, ":%u", line);
	fputs(": ", stderr);
	if (column != NULL && *column != '\0')
		fprintf(stderr, "%s: ", column);
	fprintf(stderr, "%s\n", message ? message : "");
}

/* ---- the counts -------------------------------------------------------------- */

static uint32_t total_rows(const Luoshi__V1__ImportRegistryResponse *r)
{
	return r->units + r->people + r->projects + r->plans + r->nodes + r->tasks + r->updates;
}

static void print_counts(const Luoshi__V1__ImportRegistryResponse *r)
{
	const struct {
		const char *label;
		uint32_t n;
	} counts[] = {
	    {NC_("import", "units"), r->units},       {NC_("import", "people"), r->people},
	    {NC_("import", "projects"), r->projects}, {NC_("import", "plans"), r->plans},
	    {NC_("import", "nodes"), r->nodes},       {NC_("import", "tasks"), r->tasks},
	    {NC_("import", "updates"), r->updates},
	};
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		/* Updates are rare in a registry import: named only when there. */
		if (counts[i].n == 0 && strcmp(counts[i].label, "updates") == 0)
			continue;
		cli_table_kvf(t, cli_pgettext("import", counts[i].label), "%u", counts[i].n);
	}
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
}

/* ---- registry ---------------------------------------------------------------- */

static int run_registry(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_DRY_RUN = CLI_OPT_FIRST_LOCAL, OPT_KIND };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	bool dry_run = false;
	ls_csv_kind kind = LS_CSV_AUTO;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi import registry [--dry-run] [--kind KIND] [--key KEY]\n"
			    "                              FILE...\n"
			    "\n"
			    "Imports units, people, projects, plans, nodes and tasks from CSV\n"
			    "files (UTF-8, first line the column names; README.md lists them).\n"
			    "All the files go in one request, units first, then people,\n"
			    "projects, plans, nodes and tasks, whatever their order here. Either\n"
			    "every row is written or none: each bad line is reported as\n"
			    "FILE:LINE: column: message, and nothing is written.\n"
			    "\n"
			    "A file's rows are of the kind its name says (units.csv, people.csv,\n"
			    "projects.csv, plans.csv, nodes.csv, tasks.csv), or of the kind --kind\n"
			    "gives, or of the kind in each row's kind column.\n"
			    "\n"
			    "Options:\n"
			    "  --dry-run    check every row on the server, write nothing\n"
			    "  --kind KIND  unit, person, project, plan, node or task: the kind of\n"
			    "               the rows of every file\n"
			    "  --key KEY    the idempotency key, to retry an earlier import safely\n"
			    "\n"
			    "Exit status: 0 when written (or, with --dry-run, when every row\n"
			    "passed), 3 when some line is bad.\n"));
		case OPT_DRY_RUN:
			dry_run = true;
			break;
		case OPT_KIND: {
			int k = ls_csv_kind_from_name(optarg);
			if (k < 0)
				return cli_usage_error(ctx,
				                       _("unknown kind '%s' (one of unit, person, "
				                         "project, plan, node, task)"),
				                       optarg);
			kind = (ls_csv_kind)k;
			break;
		}
		case CLI_OPT_KEY:
			if (!cli_key_valid(optarg))
				return cli_usage_error(
				    ctx, _("--key takes 1 to 128 printable characters "
				           "without spaces"));
			key = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no file given"));

	Luoshi__V1__ImportRegistryRequest *req = ls_csvrows_request_new();
	if (req == NULL)
		cli_out_of_memory();
	ls_csv_errors errs = LS_CSV_ERRORS_INIT;
	progress prog = {.on = isatty(STDERR_FILENO) == 1};
	for (int i = optind; i < argc; i++) {
		prog.file = argv[i];
		prog.last_percent = -1;
		long n = ls_csvrows_parse_file(argv[i], kind, req, &errs, show_progress, &prog);
		if (n < 0) {
			clear_progress(&prog);
			cli_out_of_memory();
		}
	}
	clear_progress(&prog);

	int rc = LS_OK;
	if (ls_csv_errors_total(&errs) > 0) {
		fflush(stdout);
		for (size_t i = 0; i < errs.n; i++)
			print_error(errs.v[i].source, errs.v[i].line, errs.v[i].column,
			            errs.v[i].message);
		if (errs.dropped > 0)
			fprintf(stderr,
			        ngettext("… and %zu more error\n", "… and %zu more errors\n",
			                 errs.dropped),
			        errs.dropped);
		fprintf(stderr, "%s\n", _("Nothing was sent: correct the lines above and retry."));
		rc = CLI_EXIT_BAD_ROWS;
		goto out;
	}
	if (req->n_rows == 0) {
		ls_status st;
		ls_status_set(&st, LS_INVALID_ARGUMENT, _("the files hold no rows"));
		rc = cli_print_status(&st);
		goto out;
	}
	ls_csvrows_sort(req);
	req->has_dry_run = dry_run;
	req->dry_run = dry_run;

	luoshi_client *client;
	if ((rc = cli_open(ctx, &client)) != LS_OK)
		goto out;
	if (prog.on) {
		fprintf(stderr,
		        ngettext("Sending %zu row to the server, which checks each…",
		                 "Sending %zu rows to the server, which checks each…", req->n_rows),
		        req->n_rows);
		fflush(stderr);
	}
	char fresh[LUOSHI_KEY_SIZE];
	if (key == CLI_FRESH_KEY) {
		luoshi_new_key(fresh);
		key = fresh;
	}
	ProtobufCMessage *m;
	ls_status st;
	rc = luoshi_client_call(client, M_IMPORT, &req->base, key, &m, &st);
	luoshi_client_close(client);
	clear_progress(&prog);
	if (rc != LS_OK) {
		rc = cli_print_status(&st);
		goto out;
	}
	const Luoshi__V1__ImportRegistryResponse *resp = (Luoshi__V1__ImportRegistryResponse *)m;
	if (ctx->json)
		rc = cli_print_message_json(m);
	if (resp->n_errors > 0) {
		fflush(stdout);
		for (size_t i = 0; i < resp->n_errors; i++) {
			const Luoshi__V1__ImportError *e = resp->errors[i];
			print_error(e->source, e->line, e->field, e->message);
		}
		fprintf(stderr, "%s\n",
		        _("Nothing was written: correct the lines above and retry."));
		rc = CLI_EXIT_BAD_ROWS;
	} else if (!ctx->json) {
		uint32_t n = total_rows(resp);
		if (resp->applied)
			printf(ngettext("Imported %u row:\n", "Imported %u rows:\n", n), n);
		else
			printf(ngettext("dry run: %u row would be written\n",
			                "dry run: %u rows would be written\n", n),
			       n);
		print_counts(resp);
	}
	protobuf_c_message_free_unpacked(m, NULL);
out:
	ls_csv_errors_fini(&errs);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	return rc;
}

/* ---- updates ----------------------------------------------------------------- */

/* Reads "updates[7].percent": *index 7 and *rest "percent" ("" when the
 * whole element is meant). False when field names no element. */
static bool element_field(const char *field, size_t *index, const char **rest)
{
	static const char prefix[] = "updates[";
	if (strncmp(field, prefix, sizeof prefix - 1) != 0)
		return false;
	const char *d = field + sizeof prefix - 1;
	size_t v = 0;
	if (*d < '0' || *d > '9')
		return false;
	for (; *d >= '0' && *d <= '9'; d++) {
		if (v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*d - '0');
	}
	if (d[0] != ']' || (d[1] != '\0' && d[1] != '.'))
		return false;
	*index = v;
	*rest = d[1] == '.' ? d + 2 : d + 1;
	return true;
}

/* The server's message as the file's reader wants it: without the
 * "updates[7]." the server puts before field names (the line says which
 * update), and without the field in front when the column says it. The
 * result is malloc'd. */
static char *element_message(const char *message, size_t index, const char *column)
{
	char prefix[40];
	int plen = snprintf(prefix, sizeof prefix, "updates[%zu].", index);
	char *out = cli_xstrdup(message), *w = out;
	for (const char *r = message; *r;) {
		if (strncmp(r, prefix, (size_t)plen) == 0) {
			r += plen;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	size_t n = strlen(column);
	if (n > 0 && strncmp(out, column, n) == 0 && out[n] == ':' && out[n + 1] == ' ')
		memmove(out, out + n + 2, strlen(out + n + 2) + 1);
	return out;
}

/* Reports a refused batch. An error that names an update is put on its
 * file and line; any other is printed as it came. Returns the exit code. */
static int report_batch_error(const ls_status *st, const Luoshi__V1__ImportRegistryRequest *req)
{
	size_t i;
	const char *column;
	if (!element_field(st->field, &i, &column) || i >= req->n_rows)
		return cli_print_status(st);
	const Luoshi__V1__ImportRow *row = req->rows[i];
	char *msg = element_message(st->message, i, column);
	fflush(stdout);
	print_error(row->source, row->line, column, msg);
	free(msg);
	fprintf(stderr, "luoshi: %s: %s\n", cli_code_display(st->code),
	        _("nothing was written: correct the line above and retry."));
	return st->code;
}

static int run_updates(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_DRY_RUN = CLI_OPT_FIRST_LOCAL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	bool dry_run = false;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi import updates [--dry-run] [--key KEY] FILE...\n"
			    "\n"
			    "Submits progress updates from CSV files (UTF-8, first line the\n"
			    "column names: project, week or month or date, invested, percent,\n"
			    "progress, and optionally output, nodes_done (node ids separated by\n"
			    "';'), next_plan, support_needed; README.md describes them). Photos\n"
			    "cannot be imported: attach them with 'luoshi update submit'.\n"
			    "\n"
			    "Every line of every file goes in one request, in the order given,\n"
			    "and the server writes them all or none, each checked as 'luoshi\n"
			    "update submit' checks it: the same project and period twice makes\n"
			    "two revisions. A bad line is reported as FILE:LINE: column:\n"
			    "message, and nothing is written.\n"
			    "\n"
			    "Options:\n"
			    "  --dry-run  check every update on the server, write nothing\n"
			    "  --key KEY  the idempotency key, to retry an earlier import safely\n"
			    "\n"
			    "Exit status: 0 when written (or, with --dry-run, when every update\n"
			    "passed), 3 when some value is bad, 5 when a project is unknown, 7\n"
			    "when it is not one you may report on.\n"));
		case OPT_DRY_RUN:
			dry_run = true;
			break;
		case CLI_OPT_KEY:
			if (!cli_key_valid(optarg))
				return cli_usage_error(
				    ctx, _("--key takes 1 to 128 printable characters "
				           "without spaces"));
			key = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no file given"));

	Luoshi__V1__ImportRegistryRequest *req = ls_csvrows_request_new();
	if (req == NULL)
		cli_out_of_memory();
	ls_csv_errors errs = LS_CSV_ERRORS_INIT;
	progress prog = {.on = isatty(STDERR_FILENO) == 1};
	for (int i = optind; i < argc; i++) {
		prog.file = argv[i];
		prog.last_percent = -1;
		if (ls_csvrows_parse_file(argv[i], LS_CSV_UPDATE, req, &errs, show_progress,
		                          &prog) < 0) {
			clear_progress(&prog);
			cli_out_of_memory();
		}
	}
	clear_progress(&prog);

	int rc = LS_OK;
	Luoshi__V1__SubmitUpdatesRequest batch = LUOSHI__V1__SUBMIT_UPDATES_REQUEST__INIT;
	if (ls_csv_errors_total(&errs) > 0) {
		fflush(stdout);
		for (size_t i = 0; i < errs.n; i++)
			print_error(errs.v[i].source, errs.v[i].line, errs.v[i].column,
			            errs.v[i].message);
		if (errs.dropped > 0)
			fprintf(stderr,
			        ngettext("… and %zu more error\n", "… and %zu more errors\n",
			                 errs.dropped),
			        errs.dropped);
		fprintf(stderr, "%s\n", _("Nothing was sent: correct the lines above and retry."));
		rc = CLI_EXIT_BAD_ROWS;
		goto out;
	}
	if (req->n_rows == 0) {
		ls_status st;
		ls_status_set(&st, LS_INVALID_ARGUMENT, _("the files hold no updates"));
		rc = cli_print_status(&st);
		goto out;
	}
	/* The batch borrows the converted requests, in file order: element i
	 * is row i, which is how an error naming updates[i] finds its line. */
	batch.n_updates = req->n_rows;
	batch.updates = cli_xmalloc(req->n_rows * sizeof *batch.updates);
	for (size_t i = 0; i < req->n_rows; i++)
		batch.updates[i] = req->rows[i]->update;
	batch.has_dry_run = dry_run;
	batch.dry_run = dry_run;

	luoshi_client *client;
	if ((rc = cli_open(ctx, &client)) != LS_OK)
		goto out;
	if (prog.on) {
		fprintf(stderr,
		        ngettext("Sending %zu update to the server, which checks it…",
		                 "Sending %zu updates to the server, which checks each…",
		                 batch.n_updates),
		        batch.n_updates);
		fflush(stderr);
	}
	char fresh[LUOSHI_KEY_SIZE];
	if (key == CLI_FRESH_KEY) {
		luoshi_new_key(fresh);
		key = fresh;
	}
	ProtobufCMessage *m;
	ls_status st;
	rc = luoshi_client_call(client, M_SUBMIT_UPDATES, &batch.base, key, &m, &st);
	luoshi_client_close(client);
	clear_progress(&prog);
	if (rc != LS_OK) {
		rc = report_batch_error(&st, req);
		goto out;
	}
	const Luoshi__V1__SubmitUpdatesResponse *resp = (Luoshi__V1__SubmitUpdatesResponse *)m;
	size_t n = resp->n_updates;
	if (ctx->json)
		rc = cli_print_message_json(m);
	else if (dry_run)
		printf(ngettext("dry run: %zu update would be written; nothing was written\n",
		                "dry run: %zu updates would be written; nothing was written\n", n),
		       n);
	else
		printf(ngettext("Wrote %zu update.\n", "Wrote %zu updates.\n", n), n);
	protobuf_c_message_free_unpacked(m, NULL);
out:
	free(batch.updates);
	ls_csv_errors_fini(&errs);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	return rc;
}

/* ---- the group --------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"registry", run_registry,
     N_("import units, people, projects, plans, nodes and tasks from CSV files")},
    {"updates", run_updates, N_("submit progress updates from CSV files, all or none")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi import SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Imports data in bulk: the registry with an admin token, progress\n"
	        "updates with a town's token (for its projects) or an admin's.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi import SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_import(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "+h", opts)) != -1) {
		if (c == 'h')
			return group_help();
		return CLI_EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no subcommand given"));
	return cli_dispatch(ctx, subcommands, sizeof subcommands / sizeof subcommands[0],
	                    argc - optind, argv + optind);
}
