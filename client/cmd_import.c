/* `luoshi import registry FILE...`: units, people, projects, plans, nodes
 * and tasks from CSV files (common/csvrows.h), in one ImportRegistry call:
 * the server applies every row or none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libintl.h>

#include "cli.h"
#include "csvrows.h"
#include "luoshi/v1/import.pb-c.h"
#include "output.h"

#define M_IMPORT "/luoshi.v1.ImportService/ImportRegistry"

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
	return r->units + r->people + r->projects + r->plans + r->nodes + r->tasks;
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
	};
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		cli_table_kvf(t, cli_pgettext("import", counts[i].label), "%u", counts[i].n);
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

/* ---- the group --------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"registry", run_registry,
     N_("import units, people, projects, plans, nodes and tasks from CSV files")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi import SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Imports data in bulk. Needs an admin token.\n"
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
