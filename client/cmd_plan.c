/* `luoshi plan set|list`: the planned investment of a project, month by
 * month (ProjectService SetPlan and ListPlans). The annual plan is the sum
 * of its months; the server adds them up. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "luoshi/v1/project.pb-c.h"
#include "output.h"

#define M_SET "/luoshi.v1.ProjectService/SetPlan"
#define M_LIST "/luoshi.v1.ProjectService/ListPlans"

/* Labels are translated in the context "plan" (see cmd_project.c). */
enum label { L_MONTH, L_PLANNED, L_TOTAL, L_PROJECT };

static const char *const labels[] = {
    [L_MONTH] = NC_("plan", "Month"),
    [L_PLANNED] = NC_("plan", "Planned (万元)"),
    [L_TOTAL] = NC_("plan", "Total"),
    [L_PROJECT] = NC_("plan", "Project"),
};

static const char *label(enum label l)
{
	return cli_pgettext("plan", labels[l]);
}

/* ---- set ------------------------------------------------------------------------ */

static int run_set(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_YEAR, OPT_MONTH, OPT_INVESTED };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"year", required_argument, NULL, OPT_YEAR},
	    {"month", required_argument, NULL, OPT_MONTH},
	    {"invested", required_argument, NULL, OPT_INVESTED},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__SetPlanRequest req = LUOSHI__V1__SET_PLAN_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	long long n;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi plan set --project PROJECT --year YEAR --month MONTH\n"
			    "                       --invested N [--key KEY]\n"
			    "\n"
			    "Sets the planned investment of one month of a project, replacing\n"
			    "what was planned for that month before. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  the project's code or unique name\n"
			    "  --year YEAR        2000 to 2100\n"
			    "  --month MONTH      1 to 12\n"
			    "  --invested N       the planned investment in 万元, a whole number\n"
			    "  --key KEY          the idempotency key, to retry an earlier set\n"
			    "                     safely\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		/* The ranges are the server's to check; only numbers can be sent. */
		case OPT_YEAR:
			if (!cli_parse_int(optarg, INT32_MIN, INT32_MAX, &n))
				return cli_usage_error(ctx, _("--year takes a year, not '%s'"),
				                       optarg);
			req.has_year = true;
			req.year = (int32_t)n;
			break;
		case OPT_MONTH:
			if (!cli_parse_int(optarg, INT32_MIN, INT32_MAX, &n))
				return cli_usage_error(
				    ctx, _("--month takes a month, 1 to 12, not '%s'"), optarg);
			req.has_month = true;
			req.month = (int32_t)n;
			break;
		case OPT_INVESTED:
			if (!cli_parse_int(optarg, INT64_MIN, INT64_MAX, &n))
				return cli_usage_error(
				    ctx, _("--invested takes a whole number of 万元, not '%s'"),
				    optarg);
			req.has_invested = true;
			req.invested = n;
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
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);

	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_SET, &req.base, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__SetPlanResponse *resp = (Luoshi__V1__SetPlanResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else if (resp->plan != NULL) {
		const Luoshi__V1__PlanMonth *p = resp->plan;
		printf(_("Planned for %s in %d-%02d: %" PRId64 " 万元.\n"), p->project_code,
		       p->year, p->month, p->invested);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- list ----------------------------------------------------------------------- */

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_YEAR };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"year", required_argument, NULL, OPT_YEAR},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListPlansRequest req = LUOSHI__V1__LIST_PLANS_REQUEST__INIT;
	long long n;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi plan list --project PROJECT [--year YEAR]\n"
			      "\n"
			      "Lists the planned investment of a project by month, in 万元; with\n"
			      "--year, the months of that year and their total, the annual plan.\n"
			      "\n"
			      "Options:\n"
			      "  --project PROJECT  the project's code or unique name\n"
			      "  --year YEAR        only this year, with its total\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_YEAR:
			if (!cli_parse_int(optarg, INT32_MIN, INT32_MAX, &n))
				return cli_usage_error(ctx, _("--year takes a year, not '%s'"),
				                       optarg);
			req.has_year = true;
			req.year = (int32_t)n;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);

	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_LIST, &req.base, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__ListPlansResponse *resp = (Luoshi__V1__ListPlansResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else if (resp->n_months == 0) {
		printf("%s\n", _("No plan months."));
	} else {
		const char *headers[] = {label(L_PROJECT), label(L_MONTH), label(L_PLANNED)};
		cli_table *t = cli_table_alloc(3, headers);
		for (size_t i = 0; i < resp->n_months; i++) {
			const Luoshi__V1__PlanMonth *p = resp->months[i];
			char month[16], invested[24];
			snprintf(month, sizeof month, "%d-%02d", p->year, p->month);
			snprintf(invested, sizeof invested, "%" PRId64, p->invested);
			const char *cells[] = {p->project_code, month, invested};
			cli_table_add(t, cells);
		}
		if (resp->has_year_total) {
			char total[24];
			snprintf(total, sizeof total, "%" PRId64, resp->year_total);
			const char *cells[] = {label(L_TOTAL), "", total};
			cli_table_add(t, cells);
		}
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- the group ------------------------------------------------------------------ */

static const cli_command subcommands[] = {
    {"set", run_set, N_("set the planned investment of a month")},
    {"list", run_list, N_("list a project's planned investment by month")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi plan SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "The planned investment of each project, month by month, in 万元: the\n"
	        "annual plan is the sum of its months.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi plan SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_plan(cli_ctx *ctx, int argc, char **argv)
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
