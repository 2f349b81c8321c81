/* `luoshi disclose --quarter 2026-Q4 [--html FILE]`: the quarterly account
 * (季度亮账) of QueryService, built from the monthly snapshots, as a table,
 * as JSON, or as a self-contained HTML page for publication. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "luoshi/v1/query.pb-c.h"
#include "output.h"
#include "period.h"

#define M_DISCLOSE "/luoshi.v1.QueryService/Disclose"

static const char *const status_keys[] = {"", "on track", "lagging", "seriously lagging"};

static const char *rate(bool has, uint32_t permille, char buf[24])
{
	if (!has)
		return "—";
	snprintf(buf, 24, "%u.%u%%", permille / 10, permille % 10);
	return buf;
}

/* Writes text to path whole, or says why not. */
static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	ls_status st;
	if (f == NULL) {
		ls_status_set(&st, LS_UNKNOWN, _("cannot write %s: %s"), path, strerror(errno));
		return cli_print_status(&st);
	}
	size_t n = strlen(text);
	bool ok = fwrite(text, 1, n, f) == n;
	if (fclose(f) != 0)
		ok = false;
	if (!ok) {
		ls_status_set(&st, LS_UNKNOWN, _("cannot write %s: %s"), path, strerror(errno));
		return cli_print_status(&st);
	}
	return LS_OK;
}

static void print_disclosure(const Luoshi__V1__DiscloseResponse *r)
{
	char b[24];
	printf(_("Quarterly account %s of %s, from the months"), r->quarter ? r->quarter : "",
	       r->unit_name ? r->unit_name : "");
	for (size_t i = 0; i < r->n_months; i++)
		printf(" %s", r->months[i]);
	printf("\n\n");
	const Luoshi__V1__SnapshotTotals *x = r->totals;
	if (x != NULL) {
		cli_table *t = cli_table_alloc(2, NULL);
		cli_table_kvf(t, _("Projects"), "%u", x->projects);
		cli_table_kvf(t, cli_pgettext("status", "on track"), "%u (%s)", x->on_track,
		              rate(x->has_on_track_permille, x->on_track_permille, b));
		cli_table_kvf(t, cli_pgettext("status", "lagging"), "%u", x->lagging);
		cli_table_kvf(t, cli_pgettext("status", "seriously lagging"), "%u",
		              x->seriously_lagging);
		cli_table_kvf(t, _("Annual plan"), "%" PRId64, x->annual_plan);
		cli_table_kvf(t, _("Completed to date"), "%" PRId64, x->completed_ytd);
		cli_table_kv(t, _("Completion"),
		             rate(x->has_completion_permille, x->completion_permille, b));
		cli_table_kvf(t, _("Nodes done / due"), "%u / %u", x->nodes_done, x->nodes_due);
		cli_table_kvf(t, _("Problems resolved / raised"), "%u / %u (%s)",
		              x->problems_resolved, x->problems_raised,
		              rate(x->has_resolution_permille, x->resolution_permille, b));
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
		putchar('\n');
	}
	const char *headers[] = {_("Project"),
	                         _("Town"),
	                         _("Lead unit"),
	                         _("Month"),
	                         _("Annual plan"),
	                         _("Completed to date"),
	                         _("Completion"),
	                         _("Reported"),
	                         _("Status"),
	                         _("Nodes done / due"),
	                         _("Problems resolved / raised")};
	cli_table *t = cli_table_alloc(sizeof headers / sizeof headers[0], headers);
	for (size_t i = 0; i < r->n_rows; i++) {
		const Luoshi__V1__DisclosureRow *d = r->rows[i];
		char project[512], c[6][24];
		snprintf(project, sizeof project, "%s %s", d->project_code ? d->project_code : "",
		         d->project_name ? d->project_name : "");
		snprintf(c[0], 24, "%" PRId64, d->annual_plan);
		snprintf(c[1], 24, "%" PRId64, d->completed_ytd);
		if (d->has_percent)
			snprintf(c[3], 24, "%u%%", d->percent);
		else
			snprintf(c[3], 24, "—");
		snprintf(c[4], 24, "%u / %u", d->nodes_done, d->nodes_due);
		snprintf(c[5], 24, "%u / %u", d->problems_resolved, d->problems_raised);
		int st = d->has_status && d->status <= 3 ? (int)d->status : 0;
		const char *cells[] = {
		    project,
		    d->town_name,
		    d->lead_unit_name,
		    d->month,
		    c[0],
		    c[1],
		    rate(d->has_completion_permille, d->completion_permille, c[2]),
		    c[3],
		    cli_pgettext("status", status_keys[st]),
		    c[4],
		    c[5]};
		cli_table_add(t, cells);
	}
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

int cli_cmd_disclose(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_QUARTER = CLI_OPT_FIRST_LOCAL, OPT_HTML };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"quarter", required_argument, NULL, OPT_QUARTER},
	    {"html", required_argument, NULL, OPT_HTML},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__DiscloseRequest req = LUOSHI__V1__DISCLOSE_REQUEST__INIT;
	const char *html = NULL;
	ls_period p;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi disclose --quarter YYYY-QN [--html FILE]\n"
			    "\n"
			    "The quarterly account (季度亮账): where each project stood at the last\n"
			    "reconciled month of the quarter, with the totals, fit for publication\n"
			    "(no internal notes, no support requests, no accountability records).\n"
			    "At least one month of the quarter must be reconciled ('luoshi\n"
			    "reconcile').\n"
			    "\n"
			    "Options:\n"
			    "  --quarter YYYY-QN  the quarter, such as 2026-Q4\n"
			    "  --html FILE        also write it as a self-contained HTML page\n"));
		case OPT_QUARTER:
			if (!ls_period_parse(optarg, &p) || p.kind != LS_PERIOD_QUARTER)
				return cli_usage_error(
				    ctx, _("--quarter takes a quarter such as 2026-Q4, not '%s'"),
				    optarg);
			req.quarter = optarg;
			break;
		case OPT_HTML:
			html = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	if (req.quarter == NULL)
		return cli_usage_error(ctx, _("--quarter is required"));
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_DISCLOSE, &req.base, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__DiscloseResponse *r = (Luoshi__V1__DiscloseResponse *)m;
	if (html != NULL)
		rc = write_file(html, r->html ? r->html : "");
	if (rc == LS_OK) {
		if (ctx->json)
			rc = cli_print_message_json(m);
		else
			print_disclosure(r);
		if (html != NULL && !ctx->json)
			printf(_("\nThe page is written to %s.\n"), html);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}
