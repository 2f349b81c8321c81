/* `luoshi clearance set|list`: land clearance (征迁清零) month by month: the
 * target and cleared area, the illegal building demolished and the
 * households (SupervisionService). An admin sets the figures. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "luoshi/v1/supervision.pb-c.h"
#include "output.h"

/* The labels of the supervision commands carry the context "supervision"
 * (NC_), so that they stay apart from the same words elsewhere. */
#define SUP_L(s) cli_pgettext("supervision", s)

#define M_SET "/luoshi.v1.SupervisionService/SetClearance"
#define M_LIST "/luoshi.v1.SupervisionService/ListClearance"

#define AREA_MAX 1000000000LL

static void clearance_rows(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Clearance *r = (const Luoshi__V1__Clearance *)msg;
	char buf[512];
	cli_sup_code_name(r->project_code, r->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Month")), r->month);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Target (m²)")), "%" PRId64, r->target_m2);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Cleared (m²)")), "%" PRId64, r->cleared_m2);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Demolished (m²)")), "%" PRId64,
	              r->demolished_m2);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Households")), "%" PRId64, r->households);
}

static void clearance_row(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Clearance *r = (const Luoshi__V1__Clearance *)msg;
	char target[24], cleared[24], demolished[24], households[24];
	snprintf(target, sizeof target, "%" PRId64, r->target_m2);
	snprintf(cleared, sizeof cleared, "%" PRId64, r->cleared_m2);
	snprintf(demolished, sizeof demolished, "%" PRId64, r->demolished_m2);
	snprintf(households, sizeof households, "%" PRId64, r->households);
	const char *cells[6] = {r->project_name ? r->project_name : r->project_code,
	                        r->month,
	                        target,
	                        cleared,
	                        demolished,
	                        households};
	cli_table_add(t, cells);
}

static int number(cli_ctx *ctx, const char *opt, long long max, protobuf_c_boolean *has,
                  int64_t *out)
{
	long long v;
	if (!cli_parse_int(optarg, 0, max, &v))
		return cli_usage_error(ctx, _("%s takes a whole number from 0 to %lld, not '%s'"),
		                       opt, max, optarg);
	*has = 1;
	*out = v;
	return LS_OK;
}

static int run_set(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_MONTH,
		OPT_TARGET,
		OPT_CLEARED,
		OPT_DEMOLISHED,
		OPT_HOUSEHOLDS
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"month", required_argument, NULL, OPT_MONTH},
	    {"target", required_argument, NULL, OPT_TARGET},
	    {"cleared", required_argument, NULL, OPT_CLEARED},
	    {"demolished", required_argument, NULL, OPT_DEMOLISHED},
	    {"households", required_argument, NULL, OPT_HOUSEHOLDS},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__SetClearanceRequest req = LUOSHI__V1__SET_CLEARANCE_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c, rc = LS_OK;
	cli_getopt_reset();
	while (rc == LS_OK && (c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi clearance set --project PROJECT --month YYYY-MM\n"
			    "         --target M2 --cleared M2 [--demolished M2] [--households N]\n"
			    "         [--key KEY]\n"
			    "\n"
			    "Sets a project's land clearance (征迁清零) for one month, new or\n"
			    "replacing that month's figures. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  the project\n"
			    "  --month YYYY-MM    the month\n"
			    "  --target M2        the area to clear in the month (m²)\n"
			    "  --cleared M2       the area cleared (m²)\n"
			    "  --demolished M2    illegal building demolished (m²); by default 0\n"
			    "  --households N     households moved; by default 0\n"
			    "  --key KEY          the idempotency key, to retry safely\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_MONTH:
			req.month = optarg;
			break;
		case OPT_TARGET:
			rc = number(ctx, "--target", AREA_MAX, &req.has_target_m2, &req.target_m2);
			break;
		case OPT_CLEARED:
			rc = number(ctx, "--cleared", AREA_MAX, &req.has_cleared_m2,
			            &req.cleared_m2);
			break;
		case OPT_DEMOLISHED:
			rc = number(ctx, "--demolished", AREA_MAX, &req.has_demolished_m2,
			            &req.demolished_m2);
			break;
		case OPT_HOUSEHOLDS:
			rc = number(ctx, "--households", 10000000LL, &req.has_households,
			            &req.households);
			break;
		case CLI_OPT_KEY:
			rc = cli_sup_key(ctx, &key);
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (rc != LS_OK)
		return CLI_EXIT_USAGE;
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	return cli_sup_write(ctx, M_SET, &req.base, key, "clearance", clearance_rows);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_FROM, OPT_TO, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"to", required_argument, NULL, OPT_TO},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListClearanceRequest req = LUOSHI__V1__LIST_CLEARANCE_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi clearance list [--project PROJECT] [--from YYYY-MM]\n"
			      "                             [--to YYYY-MM] [--limit N]\n"
			      "\n"
			      "Lists the monthly clearance figures of the projects you may read.\n"
			      "'luoshi supervise clearance' sums them up.\n"
			      "\n"
			      "Options:\n"
			      "  --project PROJECT  only this project's\n"
			      "  --from YYYY-MM     only months from this one\n"
			      "  --to YYYY-MM       only months up to this one\n"
			      "  --limit N          stop after N months\n"));
		case OPT_PROJECT:
			req.project = optarg;
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
	const char *headers[6] = {_("Project"),
	                          SUP_L(NC_("supervision", "Month")),
	                          SUP_L(NC_("supervision", "Target (m²)")),
	                          SUP_L(NC_("supervision", "Cleared (m²)")),
	                          SUP_L(NC_("supervision", "Demolished (m²)")),
	                          SUP_L(NC_("supervision", "Households"))};
	return cli_list(ctx, M_LIST, &req.base, "clearance", limit, 6, headers, clearance_row,
	                SUP_L(NC_("supervision", "No clearance figures.")));
}

static const cli_command subcommands[] = {
    {"set", run_set, N_("set a project's clearance figures for a month")},
    {"list", run_list, NC_("supervision", "list the monthly clearance figures")},
};

int cli_cmd_clearance(cli_ctx *ctx, int argc, char **argv)
{
	return cli_sup_group(ctx, argc, argv,
	                     _("Usage: luoshi clearance SUBCOMMAND [OPTIONS]\n"
	                       "\n"
	                       "Land clearance (征迁清零), month by month: the area to clear and\n"
	                       "cleared, the illegal building demolished, the households moved.\n"
	                       "\n"
	                       "Subcommands:\n"),
	                     subcommands, sizeof subcommands / sizeof subcommands[0]);
}
