/* `luoshi activity log|list`: the lead leaders' rhythm, a topical review of
 * each led project every week (每周专题了解), a site visit every month
 * (每月现场调研指导), and coordination meetings (SupervisionService). A
 * leader logs its own activities on the projects it leads; an admin for any
 * leader. The server checks. */
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

#define M_LOG "/luoshi.v1.SupervisionService/LogActivity"
#define M_LIST "/luoshi.v1.SupervisionService/ListActivities"

#define MAX_PROBLEMS 50

/* In the order of ActivityKind. */
static const char *const kind_args[] = {NULL, "weekly-review", "site-visit", "coordination"};
static const char *const kind_names[] = {NULL, NC_("supervision", "weekly review"),
                                         NC_("supervision", "site visit"),
                                         NC_("supervision", "coordination")};

static const char *kind_text(const Luoshi__V1__Activity *a)
{
	if (!a->has_kind || a->kind < 1 || a->kind > 3)
		return "";
	return SUP_L(kind_names[a->kind]);
}

/* "12, 15" */
static void problem_list(const Luoshi__V1__Activity *a, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < a->n_problem_ids && used < n; i++) {
		int w =
		    snprintf(buf + used, n - used, "%s%" PRId64, i ? ", " : "", a->problem_ids[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void activity_rows(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Activity *a = (const Luoshi__V1__Activity *)msg;
	char buf[512];
	if (a->has_id)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Activity ID")), "%" PRId64, a->id);
	cli_sup_code_name(a->leader_code, a->leader_name, buf, sizeof buf);
	cli_table_kv(t, SUP_L(NC_("supervision", "Leader")), buf);
	cli_sup_code_name(a->project_code, a->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	cli_table_kv(t, _("Kind"), kind_text(a));
	cli_table_kv(t, SUP_L(NC_("supervision", "Date")), a->date);
	if (a->week != NULL)
		cli_table_kv(t, SUP_L(NC_("supervision", "Week")), a->week);
	if (a->notes != NULL)
		cli_table_kv(t, SUP_L(NC_("supervision", "Notes")), a->notes);
	if (a->n_problem_ids > 0) {
		problem_list(a, buf, sizeof buf);
		cli_table_kv(t, SUP_L(NC_("supervision", "Problems")), buf);
	}
}

static void activity_row(cli_table *t, const ProtobufCMessage *msg)
{
	const Luoshi__V1__Activity *a = (const Luoshi__V1__Activity *)msg;
	char id[24], problems[256];
	snprintf(id, sizeof id, "%" PRId64, a->id);
	problem_list(a, problems, sizeof problems);
	const char *cells[7] = {id,
	                        a->date,
	                        a->leader_name ? a->leader_name : a->leader_code,
	                        a->project_name ? a->project_name : a->project_code,
	                        kind_text(a),
	                        problems,
	                        a->notes};
	cli_table_add(t, cells);
}

/* "12,15" into ids. */
static int parse_problems(cli_ctx *ctx, const char *arg, int64_t *ids, size_t *n)
{
	char *copy = cli_xstrdup(arg), *save = NULL;
	*n = 0;
	int rc = LS_OK;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		long long v;
		if (*n == MAX_PROBLEMS) {
			rc = cli_usage_error(ctx, _("--problems takes at most %d problem IDs"),
			                     MAX_PROBLEMS);
			break;
		}
		if (!cli_parse_int(tok, 1, INT64_MAX, &v)) {
			rc = cli_usage_error(
			    ctx, _("--problems takes problem IDs such as 12,15, not '%s'"), arg);
			break;
		}
		ids[(*n)++] = v;
	}
	free(copy);
	if (rc == LS_OK && *n == 0)
		rc = cli_usage_error(ctx, _("--problems takes problem IDs such as 12,15, not '%s'"),
		                     arg);
	return rc;
}

static int run_log(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_LEADER = CLI_OPT_FIRST_LOCAL,
		OPT_PROJECT,
		OPT_KIND,
		OPT_DATE,
		OPT_NOTES,
		OPT_PROBLEMS
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"date", required_argument, NULL, OPT_DATE},
	    {"notes", required_argument, NULL, OPT_NOTES},
	    {"problems", required_argument, NULL, OPT_PROBLEMS},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__LogActivityRequest req = LUOSHI__V1__LOG_ACTIVITY_REQUEST__INIT;
	int64_t problems[MAX_PROBLEMS];
	size_t n_problems = 0;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi activity log --leader LEADER --project PROJECT\n"
			    "         --kind weekly-review|site-visit|coordination --date DATE\n"
			    "         [--notes TEXT] [--problems ID,...] [--key KEY]\n"
			    "\n"
			    "Logs what a lead leader did for a project: the weekly topical review\n"
			    "(每周专题了解), the monthly site visit (每月现场调研指导), or a\n"
			    "coordination meeting. A leader logs its own, on projects it leads; an\n"
			    "admin for any leader.\n"
			    "\n"
			    "Options:\n"
			    "  --leader LEADER    the leader, by code or name\n"
			    "  --project PROJECT  the project\n"
			    "  --kind KIND        weekly-review, site-visit or coordination\n"
			    "  --date DATE        when (YYYY-MM-DD)\n"
			    "  --notes TEXT       what was reviewed or decided (at most 2,000 bytes)\n"
			    "  --problems ID,...  the project's problems taken up (包案)\n"
			    "  --key KEY          the idempotency key, to retry safely\n"));
		case OPT_LEADER:
			req.leader = optarg;
			break;
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_KIND:
			req.kind = (Luoshi__V1__ActivityKind)cli_sup_enum(optarg, kind_args, 4);
			if (req.kind == 0)
				return cli_usage_error(
				    ctx,
				    _("--kind takes weekly-review, site-visit or coordination, not '%s'"),
				    optarg);
			req.has_kind = 1;
			break;
		case OPT_DATE:
			req.date = optarg;
			break;
		case OPT_NOTES:
			req.notes = optarg;
			break;
		case OPT_PROBLEMS:
			if (parse_problems(ctx, optarg, problems, &n_problems) != LS_OK)
				return CLI_EXIT_USAGE;
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
	req.n_problem_ids = n_problems;
	req.problem_ids = problems;
	return cli_sup_write(ctx, M_LOG, &req.base, key, "activity", activity_rows);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_LEADER = CLI_OPT_FIRST_LOCAL,
		OPT_PROJECT,
		OPT_KIND,
		OPT_FROM,
		OPT_TO,
		OPT_LIMIT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"to", required_argument, NULL, OPT_TO},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListActivitiesRequest req = LUOSHI__V1__LIST_ACTIVITIES_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi activity list [--leader LEADER] [--project PROJECT]\n"
			    "                            [--kind KIND] [--from DATE] [--to DATE]\n"
			    "                            [--limit N]\n"
			    "\n"
			    "Lists the leaders' activities on the projects you may read, oldest\n"
			    "logged first.\n"
			    "\n"
			    "Options:\n"
			    "  --leader LEADER    only this leader's\n"
			    "  --project PROJECT  only this project's\n"
			    "  --kind KIND        only weekly-review, site-visit or coordination\n"
			    "  --from DATE        only those on or after DATE\n"
			    "  --to DATE          only those on or before DATE\n"
			    "  --limit N          stop after N activities\n"));
		case OPT_LEADER:
			req.leader = optarg;
			break;
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_KIND:
			req.kind = (Luoshi__V1__ActivityKind)cli_sup_enum(optarg, kind_args, 4);
			if (req.kind == 0)
				return cli_usage_error(
				    ctx,
				    _("--kind takes weekly-review, site-visit or coordination, not '%s'"),
				    optarg);
			req.has_kind = 1;
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
	const char *headers[7] = {_("ID"),
	                          SUP_L(NC_("supervision", "Date")),
	                          SUP_L(NC_("supervision", "Leader")),
	                          _("Project"),
	                          _("Kind"),
	                          SUP_L(NC_("supervision", "Problems")),
	                          SUP_L(NC_("supervision", "Notes"))};
	return cli_list(ctx, M_LIST, &req.base, "activities", limit, 7, headers, activity_row,
	                SUP_L(NC_("supervision", "No activities.")));
}

static const cli_command subcommands[] = {
    {"log", run_log, N_("log a weekly review, site visit or coordination")},
    {"list", run_list, NC_("supervision", "list the leaders' activities")},
};

int cli_cmd_activity(cli_ctx *ctx, int argc, char **argv)
{
	return cli_sup_group(
	    ctx, argc, argv,
	    _("Usage: luoshi activity SUBCOMMAND [OPTIONS]\n"
	      "\n"
	      "The lead leaders' rhythm: a topical review of each led project every\n"
	      "week, a site visit every month, coordination meetings. 'luoshi\n"
	      "supervise cadence' shows the gaps.\n"
	      "\n"
	      "Subcommands:\n"),
	    subcommands, sizeof subcommands / sizeof subcommands[0]);
}
