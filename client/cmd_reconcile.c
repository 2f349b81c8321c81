/* `luoshi reconcile`: the monthly reconciliation (月度对账) of
 * QueryService. `--month M` reconciles a month that has ended (admin only):
 * plan against actual for every project, kept as a snapshot, and the month
 * locked; `--list` shows the snapshots, `--show M` one of them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/query.pb-c.h"
#include "output.h"
#include "period.h"

#define M_RECONCILE "/luoshi.v1.QueryService/Reconcile"
#define M_LIST "/luoshi.v1.QueryService/ListSnapshots"
#define M_GET "/luoshi.v1.QueryService/GetSnapshot"

#define CLI_MAX_PAGE 1000

static const char *const status_keys[] = {"", "on track", "lagging", "seriously lagging"};

static const char *rate(bool has, uint32_t permille, char buf[24])
{
	if (!has)
		return "—";
	snprintf(buf, 24, "%u.%u%%", permille / 10, permille % 10);
	return buf;
}

static void totals_rows(cli_table *t, const Luoshi__V1__SnapshotTotals *x)
{
	char b[24];
	cli_table_kvf(t, _("Projects"), "%u", x->projects);
	cli_table_kvf(t, cli_pgettext("status", "on track"), "%u (%s)", x->on_track,
	              rate(x->has_on_track_permille, x->on_track_permille, b));
	cli_table_kvf(t, cli_pgettext("status", "lagging"), "%u", x->lagging);
	cli_table_kvf(t, cli_pgettext("status", "seriously lagging"), "%u", x->seriously_lagging);
	cli_table_kvf(t, _("Annual plan"), "%" PRId64, x->annual_plan);
	cli_table_kvf(t, _("Planned to date"), "%" PRId64, x->planned_ytd);
	cli_table_kvf(t, _("Completed to date"), "%" PRId64, x->completed_ytd);
	cli_table_kv(t, _("Completion"),
	             rate(x->has_completion_permille, x->completion_permille, b));
	cli_table_kvf(t, _("Nodes done / due"), "%u / %u", x->nodes_done, x->nodes_due);
	cli_table_kvf(t, _("Problems resolved / raised"), "%u / %u", x->problems_resolved,
	              x->problems_raised);
	cli_table_kvf(t, _("Problems open"), "%u", x->problems_open);
	cli_table_kvf(t, _("Problems overdue"), "%u", x->problems_overdue);
}

static void snapshot_rows(cli_table *t, const Luoshi__V1__Snapshot *s)
{
	if (s->month != NULL)
		cli_table_kv(t, _("Month"), s->month);
	if (s->as_of != NULL)
		cli_table_kv(t, _("As of"), s->as_of);
	if (s->unit_name != NULL)
		cli_table_kv(t, _("Office"), s->unit_name);
	if (s->created_at != NULL)
		cli_table_kvf(t, _("Reconciled"), "%s%s%s", s->created_at, s->created_by ? " " : "",
		              s->created_by ? s->created_by : "");
	if (s->totals != NULL)
		totals_rows(t, s->totals);
}

/* Prints every row of the snapshot of month, page by page (at most limit
 * rows; 0: all). With --json, one array of the rows. */
static int show_rows(cli_ctx *ctx, luoshi_client *client, const char *month, long long limit)
{
	const char *headers[] = {_("Project"),          _("Status"),
	                         _("Planned in month"), _("Completed in month"),
	                         _("Planned to date"),  _("Completed to date"),
	                         _("Completion"),       _("Reported"),
	                         _("Nodes done / due"), _("Problems open")};
	cli_table *t =
	    ctx->json ? NULL : cli_table_alloc(sizeof headers / sizeof headers[0], headers);
	json_t *rows = ctx->json ? json_array() : NULL;
	if (ctx->json && rows == NULL)
		cli_out_of_memory();
	char *token = NULL;
	long long fetched = 0;
	int rc;
	do {
		Luoshi__V1__GetSnapshotRequest req = LUOSHI__V1__GET_SNAPSHOT_REQUEST__INIT;
		req.month = (char *)month;
		req.page_token = token;
		if (limit > 0) {
			long long left = limit - fetched;
			req.has_page_size = true;
			req.page_size = (uint32_t)(left < CLI_MAX_PAGE ? left : CLI_MAX_PAGE);
		}
		ProtobufCMessage *m;
		rc = cli_call(client, M_GET, &req.base, NULL, &m);
		if (rc != LS_OK)
			break;
		const Luoshi__V1__GetSnapshotResponse *r = (Luoshi__V1__GetSnapshotResponse *)m;
		for (size_t i = 0; i < r->n_rows && (limit == 0 || fetched < limit); i++) {
			const Luoshi__V1__SnapshotRow *x = r->rows[i];
			fetched++;
			if (rows != NULL) {
				if (json_array_append_new(rows, cli_message_json(&x->base)) != 0)
					cli_out_of_memory();
				continue;
			}
			char project[512], b[9][24];
			snprintf(project, sizeof project, "%s %s",
			         x->project_code ? x->project_code : "",
			         x->project_name ? x->project_name : "");
			int st = x->has_status && x->status <= 3 ? (int)x->status : 0;
			snprintf(b[0], 24, "%" PRId64, x->planned_month);
			snprintf(b[1], 24, "%" PRId64, x->completed_month);
			snprintf(b[2], 24, "%" PRId64, x->planned_ytd);
			snprintf(b[3], 24, "%" PRId64, x->completed_ytd);
			if (x->has_percent)
				snprintf(b[5], 24, "%u%%", x->percent);
			else
				snprintf(b[5], 24, "—");
			snprintf(b[6], 24, "%u / %u", x->nodes_done, x->nodes_due);
			snprintf(b[7], 24, "%u", x->problems_open);
			const char *cells[] = {
			    project,
			    cli_pgettext("status", status_keys[st]),
			    b[0],
			    b[1],
			    b[2],
			    b[3],
			    rate(x->has_completion_permille, x->completion_permille, b[4]),
			    b[5],
			    b[6],
			    b[7]};
			cli_table_add(t, cells);
		}
		char *prev = token;
		token = r->next_page_token && r->next_page_token[0]
		            ? cli_xstrdup(r->next_page_token)
		            : NULL;
		protobuf_c_message_free_unpacked(m, NULL);
		if (token != NULL && prev != NULL && strcmp(token, prev) == 0) {
			ls_status st;
			ls_status_set(&st, LS_INTERNAL, _("the server repeated page token '%s'"),
			              token);
			rc = cli_print_status(&st);
		}
		free(prev);
	} while (rc == LS_OK && token != NULL && (limit == 0 || fetched < limit));
	free(token);
	if (rc == LS_OK) {
		if (rows != NULL)
			rc = cli_print_json(json_incref(rows));
		else if (cli_table_rows(t) > 0)
			cli_table_print(t, stdout, 0);
	}
	json_decref(rows);
	cli_table_free(t);
	return rc;
}

static int do_list(cli_ctx *ctx, luoshi_client *client)
{
	const char *headers[] = {_("Month"),      _("Reconciled"),
	                         _("Projects"),   cli_pgettext("status", "on track"),
	                         _("Completion"), _("Problems open")};
	cli_table *t = ctx->json ? NULL : cli_table_alloc(6, headers);
	json_t *all = ctx->json ? json_array() : NULL;
	if (ctx->json && all == NULL)
		cli_out_of_memory();
	char *token = NULL;
	int rc;
	do {
		Luoshi__V1__ListSnapshotsRequest req = LUOSHI__V1__LIST_SNAPSHOTS_REQUEST__INIT;
		req.page_token = token;
		ProtobufCMessage *m;
		rc = cli_call(client, M_LIST, &req.base, NULL, &m);
		if (rc != LS_OK)
			break;
		const Luoshi__V1__ListSnapshotsResponse *r = (Luoshi__V1__ListSnapshotsResponse *)m;
		for (size_t i = 0; i < r->n_snapshots; i++) {
			const Luoshi__V1__Snapshot *s = r->snapshots[i];
			if (all != NULL) {
				if (json_array_append_new(all, cli_message_json(&s->base)) != 0)
					cli_out_of_memory();
				continue;
			}
			static const Luoshi__V1__SnapshotTotals none =
			    LUOSHI__V1__SNAPSHOT_TOTALS__INIT;
			const Luoshi__V1__SnapshotTotals *x = s->totals ? s->totals : &none;
			char b[4][24];
			snprintf(b[0], 24, "%u", x->projects);
			snprintf(b[1], 24, "%u", x->on_track);
			snprintf(b[3], 24, "%u", x->problems_open);
			const char *cells[] = {
			    s->month,
			    s->created_at,
			    b[0],
			    b[1],
			    rate(x->has_completion_permille, x->completion_permille, b[2]),
			    b[3]};
			cli_table_add(t, cells);
		}
		char *prev = token;
		token = r->next_page_token && r->next_page_token[0]
		            ? cli_xstrdup(r->next_page_token)
		            : NULL;
		protobuf_c_message_free_unpacked(m, NULL);
		if (token != NULL && prev != NULL && strcmp(token, prev) == 0) {
			ls_status st;
			ls_status_set(&st, LS_INTERNAL, _("the server repeated page token '%s'"),
			              token);
			rc = cli_print_status(&st);
		}
		free(prev);
	} while (rc == LS_OK && token != NULL);
	free(token);
	if (rc == LS_OK) {
		if (all != NULL)
			rc = cli_print_json(json_incref(all));
		else if (cli_table_rows(t) == 0)
			printf("%s\n", _("No month is reconciled yet."));
		else
			cli_table_print(t, stdout, 0);
	}
	json_decref(all);
	cli_table_free(t);
	return rc;
}

int cli_cmd_reconcile(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_MONTH = CLI_OPT_FIRST_LOCAL, OPT_LIST, OPT_SHOW, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"month", required_argument, NULL, OPT_MONTH},
	    {"list", no_argument, NULL, OPT_LIST},
	    {"show", required_argument, NULL, OPT_SHOW},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	const char *month = NULL, *show = NULL, *key = CLI_FRESH_KEY;
	bool list = false;
	long long limit = 0;
	ls_period p;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi reconcile --month YYYY-MM [--key KEY]\n"
			    "       luoshi reconcile --list\n"
			    "       luoshi reconcile --show YYYY-MM [--limit N]\n"
			    "\n"
			    "The monthly reconciliation (月度对账). --month reconciles a month that\n"
			    "has ended: for every project, plan against actual (nodes due and done,\n"
			    "investment planned and completed in the month and to date, status, open\n"
			    "problems) is kept as a snapshot that later edits do not change, and the\n"
			    "month's updates are locked. Reconciling a month again changes nothing and\n"
			    "shows the snapshot made before. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --month YYYY-MM  the month to reconcile\n"
			    "  --list           the months reconciled, newest first\n"
			    "  --show YYYY-MM   the snapshot of a month, project by project\n"
			    "  --limit N        show at most N projects\n"
			    "  --key KEY        the idempotency key, to retry safely\n"));
		case OPT_MONTH:
		case OPT_SHOW:
			if (!ls_period_parse(optarg, &p) || p.kind != LS_PERIOD_MONTH)
				return cli_usage_error(
				    ctx, _("--%s takes a month such as 2026-11, not '%s'"),
				    c == OPT_MONTH ? "month" : "show", optarg);
			*(c == OPT_MONTH ? &month : &show) = optarg;
			break;
		case OPT_LIST:
			list = true;
			break;
		case OPT_LIMIT:
			if (!cli_parse_int(optarg, 1, INT32_MAX, &limit))
				return cli_usage_error(
				    ctx, _("--limit takes a positive number, not '%s'"), optarg);
			break;
		case CLI_OPT_KEY:
			if (!cli_key_valid(optarg))
				return cli_usage_error(
				    ctx,
				    _("--key takes 1 to 128 printable characters without spaces"));
			key = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	if ((month != NULL) + (show != NULL) + list != 1)
		return cli_usage_error(ctx, _("give one of --month, --list and --show"));

	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	if (list) {
		rc = do_list(ctx, client);
	} else if (show != NULL) {
		rc = show_rows(ctx, client, show, limit);
	} else {
		Luoshi__V1__ReconcileRequest req = LUOSHI__V1__RECONCILE_REQUEST__INIT;
		req.month = (char *)month;
		ProtobufCMessage *m;
		rc = cli_call(client, M_RECONCILE, &req.base, key, &m);
		if (rc == LS_OK) {
			const Luoshi__V1__ReconcileResponse *r = (Luoshi__V1__ReconcileResponse *)m;
			if (ctx->json) {
				rc = cli_print_message_json(m);
			} else {
				printf(r->created
				           ? _("%s is reconciled and locked.\n")
				           : _("%s was reconciled before; nothing changed.\n"),
				       month);
				if (r->snapshot != NULL) {
					cli_table *t = cli_table_alloc(2, NULL);
					snapshot_rows(t, r->snapshot);
					cli_table_print(t, stdout, 0);
					cli_table_free(t);
				}
			}
			protobuf_c_message_free_unpacked(m, NULL);
		}
	}
	luoshi_client_close(client);
	return rc;
}
