/* `luoshi approval set|list`: the approval items of the projects (审批服务):
 * which department handles each, when it was submitted and approved, and
 * how many times the applicant had to come (最多跑一次) (SupervisionService).
 * An admin sets items, and so does the department an item names. */
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

#define M_SET "/luoshi.v1.SupervisionService/SetApproval"
#define M_LIST "/luoshi.v1.SupervisionService/ListApprovals"

static void approval_rows(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Approval *a = (const Luoshi__V1__Approval *)msg;
	char buf[512];
	if (a->has_id)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Item ID")), "%" PRId64, a->id);
	cli_sup_code_name(a->project_code, a->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Item")), a->item);
	cli_sup_code_name(a->department_code, a->department_name, buf, sizeof buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Department")), buf);
	cli_table_kv(t, cli_pgettext("approval", NC_("approval", "Submitted")), a->submitted);
	cli_table_kv(t, SUP_L(NC_("supervision", "Approved")),
	             a->approved ? a->approved : SUP_L(NC_("supervision", "pending")));
	if (a->has_visits)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Visits")), "%u", a->visits);
	if (a->has_days)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Days")), "%d", (int)a->days);
	cli_table_kv(t, SUP_L(NC_("supervision", "Fast track")),
	             a->has_fast_track && a->fast_track ? SUP_L(NC_("supervision", "yes"))
	                                                : SUP_L(NC_("supervision", "no")));
	if (a->has_over_target && a->over_target)
		cli_table_kv(t, SUP_L(NC_("supervision", "Over target")),
		             SUP_L(NC_("supervision", "yes")));
}

static void approval_row(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Approval *a = (const Luoshi__V1__Approval *)msg;
	char id[24], visits[16] = "", days[16] = "";
	snprintf(id, sizeof id, "%" PRId64, a->id);
	if (a->has_visits)
		snprintf(visits, sizeof visits, "%u", a->visits);
	if (a->has_days)
		snprintf(days, sizeof days, "%d%s", (int)a->days,
		         a->has_over_target && a->over_target ? "!" : "");
	const char *cells[8] = {
	    id,           a->project_name ? a->project_name : a->project_code,
	    a->item,      a->department_name ? a->department_name : a->department_code,
	    a->submitted, a->approved ? a->approved : SUP_L(NC_("supervision", "pending")),
	    days,         visits};
	cli_table_add(t, cells);
}

static int run_set(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_ITEM,
		OPT_DEPARTMENT,
		OPT_SUBMITTED,
		OPT_APPROVED,
		OPT_VISITS
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"item", required_argument, NULL, OPT_ITEM},
	    {"department", required_argument, NULL, OPT_DEPARTMENT},
	    {"submitted", required_argument, NULL, OPT_SUBMITTED},
	    {"approved", required_argument, NULL, OPT_APPROVED},
	    {"visits", required_argument, NULL, OPT_VISITS},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__SetApprovalRequest req = LUOSHI__V1__SET_APPROVAL_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	long long v;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi approval set --project PROJECT --item ITEM\n"
			    "         --department UNIT --submitted DATE [--approved DATE]\n"
			    "         --visits N [--key KEY]\n"
			    "\n"
			    "Sets an approval item of a project, new or replacing the item of the\n"
			    "same name whole: without --approved it is pending. An admin may, and\n"
			    "the department the item names.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  the project\n"
			    "  --item ITEM        what is approved (施工许可 …), at most 200 bytes\n"
			    "  --department UNIT  the department that handles it\n"
			    "  --submitted DATE   when the application was complete (YYYY-MM-DD)\n"
			    "  --approved DATE    when it was approved\n"
			    "  --visits N         how many times the applicant had to come (0 to 100)\n"
			    "  --key KEY          the idempotency key, to retry safely\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_ITEM:
			req.item = optarg;
			break;
		case OPT_DEPARTMENT:
			req.department = optarg;
			break;
		case OPT_SUBMITTED:
			req.submitted = optarg;
			break;
		case OPT_APPROVED:
			req.approved = optarg;
			break;
		case OPT_VISITS:
			if (!cli_parse_int(optarg, 0, 100, &v))
				return cli_usage_error(
				    ctx, _("--visits takes a number from 0 to 100, not '%s'"),
				    optarg);
			req.has_visits = 1;
			req.visits = (uint32_t)v;
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
	return cli_sup_write(ctx, M_SET, &req.base, key, "approval", approval_rows);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_DEPARTMENT,
		OPT_PENDING,
		OPT_AS_OF,
		OPT_LIMIT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"department", required_argument, NULL, OPT_DEPARTMENT},
	    {"pending", no_argument, NULL, OPT_PENDING},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListApprovalsRequest req = LUOSHI__V1__LIST_APPROVALS_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi approval list [--project PROJECT] [--department UNIT]\n"
			    "                            [--pending] [--as-of DATE] [--limit N]\n"
			    "\n"
			    "Lists approval items with the days they took (a fast-track item over\n"
			    "the 100-day target is marked \"!\").\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  only this project's\n"
			    "  --department UNIT  only this department's\n"
			    "  --pending          only those not yet approved\n"
			    "  --as-of DATE       the day pending items count their days to\n"
			    "  --limit N          stop after N items\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_DEPARTMENT:
			req.department = optarg;
			break;
		case OPT_PENDING:
			req.has_pending_only = 1;
			req.pending_only = 1;
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
	const char *headers[8] = {_("ID"),
	                          _("Project"),
	                          SUP_L(NC_("supervision", "Item")),
	                          SUP_L(NC_("supervision", "Department")),
	                          cli_pgettext("approval", NC_("approval", "Submitted")),
	                          SUP_L(NC_("supervision", "Approved")),
	                          SUP_L(NC_("supervision", "Days")),
	                          SUP_L(NC_("supervision", "Visits"))};
	return cli_list(ctx, M_LIST, &req.base, "approvals", limit, 8, headers, approval_row,
	                SUP_L(NC_("supervision", "No approval items.")));
}

static const cli_command subcommands[] = {
    {"set", run_set, NC_("supervision", "set an approval item of a project")},
    {"list", run_list, NC_("supervision", "list approval items")},
};

int cli_cmd_approval(cli_ctx *ctx, int argc, char **argv)
{
	return cli_sup_group(
	    ctx, argc, argv,
	    _("Usage: luoshi approval SUBCOMMAND [OPTIONS]\n"
	      "\n"
	      "Approval items (审批服务): fast-track projects (1,000 万元 and more)\n"
	      "are to be approved within 100 days, and an applicant should need at\n"
	      "most one visit (最多跑一次). 'luoshi supervise approvals' sums them up.\n"
	      "\n"
	      "Subcommands:\n"),
	    subcommands, sizeof subcommands / sizeof subcommands[0]);
}
