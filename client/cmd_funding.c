/* `luoshi funding add|list`: financing agreements and loans by source, for a
 * project or a unit (资金保障) (SupervisionService). An admin adds them. */
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

#define M_ADD "/luoshi.v1.SupervisionService/AddFunding"
#define M_LIST "/luoshi.v1.SupervisionService/ListFunding"

/* In the order of FundingKind. */
static const char *const kind_args[] = {NULL, "agreement", "loan"};
static const char *const kind_names[] = {NULL, NC_("supervision", "agreement"),
                                         NC_("supervision", "loan")};

static const char *kind_text(const Luoshi__V1__Funding *f)
{
	if (!f->has_kind || f->kind < 1 || f->kind > 2)
		return "";
	return SUP_L(kind_names[f->kind]);
}

static void funding_rows(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Funding *f = (const Luoshi__V1__Funding *)msg;
	char buf[512];
	if (f->has_id)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Funding ID")), "%" PRId64, f->id);
	cli_table_kv(t, SUP_L(NC_("supervision", "Source")), f->source);
	cli_table_kv(t, _("Kind"), kind_text(f));
	if (f->project_code != NULL) {
		cli_sup_code_name(f->project_code, f->project_name, buf, sizeof buf);
		cli_table_kv(t, _("Project"), buf);
	}
	if (f->unit_code != NULL) {
		cli_sup_code_name(f->unit_code, f->unit_name, buf, sizeof buf);
		cli_table_kv(t, _("Unit"), buf);
	}
	cli_table_kvf(t, SUP_L(NC_("supervision", "Amount (万元)")), "%" PRId64, f->amount);
	cli_table_kv(t, SUP_L(NC_("supervision", "Signed")), f->signed_);
	if (f->has_term_years)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Term (years)")), "%u", f->term_years);
	if (f->text != NULL)
		cli_table_kv(t, _("Text"), f->text);
}

static void funding_row(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Funding *f = (const Luoshi__V1__Funding *)msg;
	char id[24], amount[24], term[16] = "";
	snprintf(id, sizeof id, "%" PRId64, f->id);
	snprintf(amount, sizeof amount, "%" PRId64, f->amount);
	if (f->has_term_years)
		snprintf(term, sizeof term, "%u", f->term_years);
	const char *what = f->project_name ? f->project_name : f->unit_name;
	const char *cells[7] = {id, f->source, kind_text(f), what, amount, f->signed_, term};
	cli_table_add(t, cells);
}

static int run_add(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_SOURCE = CLI_OPT_FIRST_LOCAL,
		OPT_KIND,
		OPT_PROJECT,
		OPT_UNIT,
		OPT_AMOUNT,
		OPT_SIGNED,
		OPT_TERM,
		OPT_TEXT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"amount", required_argument, NULL, OPT_AMOUNT},
	    {"signed", required_argument, NULL, OPT_SIGNED},
	    {"term", required_argument, NULL, OPT_TERM},
	    {"text", required_argument, NULL, OPT_TEXT},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__AddFundingRequest req = LUOSHI__V1__ADD_FUNDING_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	long long v;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi funding add --source SOURCE --kind agreement|loan\n"
			    "         (--project PROJECT | --unit UNIT) --amount 万元 --signed DATE\n"
			    "         [--term YEARS] [--text TEXT] [--key KEY]\n"
			    "\n"
			    "Adds a financing agreement or a loan (资金保障). Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --source SOURCE    the lender (国家开发银行 …)\n"
			    "  --kind KIND        agreement or loan\n"
			    "  --project PROJECT  the project it is for\n"
			    "  --unit UNIT        or the unit it is for (the district office …)\n"
			    "  --amount 万元      the amount, in 万元 (10,000 yuan)\n"
			    "  --signed DATE      when it was signed (YYYY-MM-DD)\n"
			    "  --term YEARS       its term, 1 to 50 years\n"
			    "  --text TEXT        a description (at most 2,000 bytes)\n"
			    "  --key KEY          the idempotency key, to retry safely\n"));
		case OPT_SOURCE:
			req.source = optarg;
			break;
		case OPT_KIND:
			req.kind = (Luoshi__V1__FundingKind)cli_sup_enum(optarg, kind_args, 3);
			if (req.kind == 0)
				return cli_usage_error(
				    ctx, _("--kind takes agreement or loan, not '%s'"), optarg);
			req.has_kind = 1;
			break;
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_AMOUNT:
			if (!cli_parse_int(optarg, 1, 1000000000LL, &v))
				return cli_usage_error(
				    ctx, _("--amount takes 万元 from 1 to 1000000000, not '%s'"),
				    optarg);
			req.has_amount = 1;
			req.amount = v;
			break;
		case OPT_SIGNED:
			req.signed_ = optarg;
			break;
		case OPT_TERM:
			if (!cli_parse_int(optarg, 1, 50, &v))
				return cli_usage_error(
				    ctx, _("--term takes a number of years from 1 to 50, not '%s'"),
				    optarg);
			req.has_term_years = 1;
			req.term_years = (uint32_t)v;
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
	return cli_sup_write(ctx, M_ADD, &req.base, key, "funding", funding_rows);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_SOURCE = CLI_OPT_FIRST_LOCAL, OPT_KIND, OPT_PROJECT, OPT_UNIT, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListFundingRequest req = LUOSHI__V1__LIST_FUNDING_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi funding list [--source SOURCE] [--kind agreement|loan]\n"
			    "                           [--project PROJECT] [--unit UNIT] [--limit N]\n"
			    "\n"
			    "Lists financing agreements and loans. 'luoshi supervise funding' sums\n"
			    "them up.\n"
			    "\n"
			    "Options:\n"
			    "  --source SOURCE    only this lender's\n"
			    "  --kind KIND        only agreements or loans\n"
			    "  --project PROJECT  only this project's\n"
			    "  --unit UNIT        only this unit's\n"
			    "  --limit N          stop after N rows\n"));
		case OPT_SOURCE:
			req.source = optarg;
			break;
		case OPT_KIND:
			req.kind = (Luoshi__V1__FundingKind)cli_sup_enum(optarg, kind_args, 3);
			if (req.kind == 0)
				return cli_usage_error(
				    ctx, _("--kind takes agreement or loan, not '%s'"), optarg);
			req.has_kind = 1;
			break;
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
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
	                          SUP_L(NC_("supervision", "Source")),
	                          _("Kind"),
	                          SUP_L(NC_("supervision", "For")),
	                          SUP_L(NC_("supervision", "Amount (万元)")),
	                          SUP_L(NC_("supervision", "Signed")),
	                          SUP_L(NC_("supervision", "Term (years)"))};
	return cli_list(ctx, M_LIST, &req.base, "funding", limit, 7, headers, funding_row,
	                SUP_L(NC_("supervision", "No funding.")));
}

static const cli_command subcommands[] = {
    {"add", run_add, NC_("supervision", "add a financing agreement or loan")},
    {"list", run_list, NC_("supervision", "list financing agreements and loans")},
};

int cli_cmd_funding(cli_ctx *ctx, int argc, char **argv)
{
	return cli_sup_group(
	    ctx, argc, argv,
	    _("Usage: luoshi funding SUBCOMMAND [OPTIONS]\n"
	      "\n"
	      "Funding (资金保障): financing agreements and loans by source, for a\n"
	      "project or a unit, in 万元.\n"
	      "\n"
	      "Subcommands:\n"),
	    subcommands, sizeof subcommands / sizeof subcommands[0]);
}
