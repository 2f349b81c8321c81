/* `luoshi query cadence|supervision|approvals|clearance|funding`, also
 * `luoshi supervise cadence|summary|...` (the first name): the
 * figures of supervision (SupervisionService): the leaders' rhythm and its
 * gaps, inspections and rectification, approvals, land clearance and
 * funding. Each takes the day or months it is computed for, so that any
 * past state can be reproduced. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_supervision_query.h"
#include "luoshi/v1/supervision.pb-c.h"
#include "output.h"

/* The labels of the supervision commands carry the context "supervision"
 * (NC_), so that they stay apart from the same words elsewhere. */
#define SUP_L(s) cli_pgettext("supervision", s)

#define M_SUP "/luoshi.v1.SupervisionService/"

/* Calls method and hands the answer to print (or prints it as JSON). */
static int query(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                 void (*print)(const ProtobufCMessage *m))
{
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, method, req, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	if (ctx->json)
		rc = cli_print_message_json(m);
	else
		print(m);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* Parses a query's options, each taking a value, into values (by option
 * number from CLI_OPT_FIRST_LOCAL). Returns LS_OK, a usage error's code,
 * or -1 after printing the help. */
static int one_option(cli_ctx *ctx, int argc, char **argv, const struct option *opts,
                      const char *help, const char **values)
{
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			cli_help(help);
			return -1;
		}
		if (c < CLI_OPT_FIRST_LOCAL)
			return CLI_EXIT_USAGE;
		values[c - CLI_OPT_FIRST_LOCAL] = optarg;
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	return LS_OK;
}

/* "W27 W28" from "2026-W27", "2026-W28". */
static void weeks_text(char **weeks, size_t n, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		const char *w = strchr(weeks[i], 'W');
		int k = snprintf(buf + used, size - used, "%s%s", i ? " " : "", w ? w : weeks[i]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/* "94.7%" from 947‰. */
static void permille_text(uint32_t p, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u%%", p / 10, p % 10);
}

/* ---- cadence ------------------------------------------------------------------------- */

static void print_cadence(const ProtobufCMessage *msg)
{
	const Luoshi__V1__CadenceResponse *r = (const Luoshi__V1__CadenceResponse *)msg;
	char weeks[128];
	weeks_text(r->weeks, r->n_weeks, weeks, sizeof weeks);
	printf(_("Month %s (weeks %s), as of %s\n"), r->month ? r->month : "", weeks,
	       r->as_of ? r->as_of : "");
	const char *headers[6] = {SUP_L(NC_("supervision", "Leader")),
	                          _("Project"),
	                          SUP_L(NC_("supervision", "Reviewed weeks")),
	                          SUP_L(NC_("supervision", "Review gaps")),
	                          SUP_L(NC_("supervision", "Site visits")),
	                          SUP_L(NC_("supervision", "Visit missing"))};
	cli_table *t = cli_table_alloc(6, headers);
	for (size_t i = 0; i < r->n_rows; i++) {
		const Luoshi__V1__CadenceRow *row = r->rows[i];
		char reviewed[128], gaps[128], visits[256] = "";
		weeks_text(row->reviewed_weeks, row->n_reviewed_weeks, reviewed, sizeof reviewed);
		weeks_text(row->review_gaps, row->n_review_gaps, gaps, sizeof gaps);
		size_t used = 0;
		for (size_t k = 0; k < row->n_visit_dates && used < sizeof visits; k++) {
			int w = snprintf(visits + used, sizeof visits - used, "%s%s", k ? " " : "",
			                 row->visit_dates[k]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		const char *cells[6] = {row->leader_name ? row->leader_name : row->leader_code,
		                        row->project_name ? row->project_name : row->project_code,
		                        reviewed,
		                        gaps,
		                        visits,
		                        row->visit_missing ? SUP_L(NC_("supervision", "yes")) : ""};
		cli_table_add(t, cells);
	}
	if (cli_table_rows(t) > 0)
		cli_table_print(t, stdout, 0);
	cli_table_free(t);
	printf(_("Leaders: %u  Projects: %u  Weeks without a review: %u  Missing site visits: "
	         "%u\n"),
	       r->leaders, r->projects, r->review_gaps, r->visits_missing);
}

int cli_supq_cadence(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_MONTH = CLI_OPT_FIRST_LOCAL, OPT_AS_OF, OPT_LEADER, OPT_PROJECT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"month", required_argument, NULL, OPT_MONTH},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {NULL, 0, NULL, 0},
	};
	const char *v[4] = {NULL, NULL, NULL, NULL};
	int rc =
	    one_option(ctx, argc, argv, opts,
	               _("Usage: luoshi query cadence [--month YYYY-MM] [--as-of DATE]\n"
	                 "                            [--leader LEADER] [--project PROJECT]\n"
	                 "\n"
	                 "For each lead leader and each project it leads: the ISO weeks of the\n"
	                 "month with a weekly review, the site visits of the month, and the gaps.\n"
	                 "A week is a gap once its Friday has passed without a review; the visit\n"
	                 "is missing once the 20th has passed without one.\n"
	                 "\n"
	                 "Options:\n"
	                 "  --month YYYY-MM    the month; by default that of --as-of\n"
	                 "  --as-of DATE       the day it is seen from; by default today\n"
	                 "  --leader LEADER    only this leader\n"
	                 "  --project PROJECT  only this project\n"),
	               v);
	if (rc != LS_OK)
		return rc < 0 ? 0 : rc;
	Luoshi__V1__CadenceRequest req = LUOSHI__V1__CADENCE_REQUEST__INIT;
	req.month = (char *)v[0];
	req.as_of = (char *)v[1];
	req.leader = (char *)v[2];
	req.project = (char *)v[3];
	return query(ctx, M_SUP "Cadence", &req.base, print_cadence);
}

/* ---- summary ---------------------------------------------------------------------------- */

static void print_summary(const ProtobufCMessage *msg)
{
	const Luoshi__V1__SupervisionSummaryResponse *r =
	    (const Luoshi__V1__SupervisionSummaryResponse *)msg;
	cli_table *t = cli_table_alloc(2, NULL);
	cli_table_kv(t, _("As of"), r->as_of);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Inspections")), "%u", r->inspections);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Projects inspected")), "%u",
	              r->inspected_projects);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Inspection groups")), "%u", r->groups);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Rectification orders")), "%u",
	              r->rectifications);
	cli_table_kvf(t, SUP_L(NC_("supervision", "  done")), "%u", r->rectifications_done);
	cli_table_kvf(t, SUP_L(NC_("supervision", "  open")), "%u", r->rectifications_open);
	cli_table_kvf(t, SUP_L(NC_("supervision", "  overdue")), "%u", r->rectifications_overdue);
	if (r->accountability_shown) {
		cli_table_kvf(t, SUP_L(NC_("supervision", "Accountability records")), "%u",
		              r->accountability_total);
		cli_table_kvf(t, SUP_L(NC_("supervision", "  warning talks (约谈提醒)")), "%u",
		              r->warning_talks);
		cli_table_kvf(t, SUP_L(NC_("supervision", "  criticism (批评教育)")), "%u",
		              r->criticisms);
		cli_table_kvf(t, SUP_L(NC_("supervision", "  accountability (问责)")), "%u",
		              r->accountability_actions);
	}
	cli_table_kvf(t, SUP_L(NC_("supervision", "Slow projects")), "%u", r->slow_project_count);
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
	if (r->n_slow_projects == 0)
		return;
	putchar('\n');
	const char *headers[6] = {_("Project"),
	                          SUP_L(NC_("supervision", "Lead leader")),
	                          SUP_L(NC_("supervision", "First named")),
	                          SUP_L(NC_("supervision", "Inspections")),
	                          SUP_L(NC_("supervision", "Open orders")),
	                          SUP_L(NC_("supervision", "Overdue orders"))};
	t = cli_table_alloc(6, headers);
	for (size_t i = 0; i < r->n_slow_projects; i++) {
		const Luoshi__V1__SlowProject *p = r->slow_projects[i];
		char project[320], n1[16], n2[16], n3[16];
		cli_sup_code_name(p->project_code, p->project_name, project, sizeof project);
		snprintf(n1, sizeof n1, "%u", p->inspections);
		snprintf(n2, sizeof n2, "%u", p->rectifications_open);
		snprintf(n3, sizeof n3, "%u", p->rectifications_overdue);
		const char *cells[6] = {project,
		                        p->leader_name ? p->leader_name : p->leader_code,
		                        p->first_named,
		                        n1,
		                        n2,
		                        n3};
		cli_table_add(t, cells);
	}
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

int cli_supq_summary(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_AS_OF = CLI_OPT_FIRST_LOCAL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {NULL, 0, NULL, 0},
	};
	const char *v[1] = {NULL};
	int rc = one_option(ctx, argc, argv, opts,
	                    _("Usage: luoshi query supervision [--as-of DATE]\n"
	                      "\n"
	                      "Inspections done, rectification orders open and overdue, the slow\n"
	                      "projects the inspections named, and (for admin, inspector and\n"
	                      "discipline accounts) the accountability records by kind, as they\n"
	                      "stood on a day.\n"
	                      "\n"
	                      "Options:\n"
	                      "  --as-of DATE  the day; by default today\n"),
	                    v);
	if (rc != LS_OK)
		return rc < 0 ? 0 : rc;
	Luoshi__V1__SupervisionSummaryRequest req = LUOSHI__V1__SUPERVISION_SUMMARY_REQUEST__INIT;
	req.as_of = (char *)v[0];
	return query(ctx, M_SUP "SupervisionSummary", &req.base, print_summary);
}

/* ---- approvals ----------------------------------------------------------------------------- */

static void print_approvals(const ProtobufCMessage *msg)
{
	const Luoshi__V1__ApprovalStatsResponse *r = (const Luoshi__V1__ApprovalStatsResponse *)msg;
	char share[32];
	cli_table *t = cli_table_alloc(2, NULL);
	cli_table_kv(t, _("As of"), r->as_of);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Approval items")), "%u", r->items);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Approved")), "%u", r->approved);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Pending")), "%u", r->pending);
	if (r->has_average_days_x10)
		cli_table_kvf(t, SUP_L(NC_("supervision", "Average days to approval")), "%u.%u",
		              r->average_days_x10 / 10, r->average_days_x10 % 10);
	cli_table_kvf(t, SUP_L(NC_("supervision", "Fast-track items")), "%u", r->fast_track_items);
	char label[128];
	snprintf(label, sizeof label, _("Over the %u-day target"), r->fast_track_target_days);
	cli_table_kvf(t, label, "%u", r->fast_track_over_target);
	if (r->has_one_visit_permille) {
		permille_text(r->one_visit_permille, share, sizeof share);
		cli_table_kvf(t, SUP_L(NC_("supervision", "At most one visit (最多跑一次)")),
		              "%u (%s)", r->at_most_one_visit, share);
	}
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
	if (r->n_over_target == 0)
		return;
	putchar('\n');
	const char *headers[5] = {_("Project"), SUP_L(NC_("supervision", "Item")),
	                          cli_pgettext("approval", NC_("approval", "Submitted")),
	                          SUP_L(NC_("supervision", "Approved")),
	                          SUP_L(NC_("supervision", "Days"))};
	t = cli_table_alloc(5, headers);
	for (size_t i = 0; i < r->n_over_target; i++) {
		const Luoshi__V1__Approval *a = r->over_target[i];
		char days[16];
		snprintf(days, sizeof days, "%d", (int)a->days);
		const char *cells[5] = {
		    a->project_name ? a->project_name : a->project_code, a->item, a->submitted,
		    a->approved ? a->approved : SUP_L(NC_("supervision", "pending")), days};
		cli_table_add(t, cells);
	}
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

int cli_supq_approvals(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_AS_OF = CLI_OPT_FIRST_LOCAL, OPT_DEPARTMENT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"department", required_argument, NULL, OPT_DEPARTMENT},
	    {NULL, 0, NULL, 0},
	};
	const char *v[2] = {NULL, NULL};
	int rc =
	    one_option(ctx, argc, argv, opts,
	               _("Usage: luoshi query approvals [--as-of DATE] [--department UNIT]\n"
	                 "\n"
	                 "The approval service (审批服务): the average days from submission to\n"
	                 "approval, the fast-track items over the 100-day target (those approved\n"
	                 "later, and those still pending past it), and the share of items that\n"
	                 "needed at most one visit (最多跑一次).\n"
	                 "\n"
	                 "Options:\n"
	                 "  --as-of DATE       the day; by default today\n"
	                 "  --department UNIT  only this department's items\n"),
	               v);
	if (rc != LS_OK)
		return rc < 0 ? 0 : rc;
	Luoshi__V1__ApprovalStatsRequest req = LUOSHI__V1__APPROVAL_STATS_REQUEST__INIT;
	req.as_of = (char *)v[0];
	req.department = (char *)v[1];
	return query(ctx, M_SUP "ApprovalStats", &req.base, print_approvals);
}

/* ---- clearance ------------------------------------------------------------------------------ */

static void progress_text(bool has, uint32_t p, char *buf, size_t n)
{
	if (has)
		permille_text(p, buf, n);
	else
		snprintf(buf, n, "-");
}

static void print_clearance(const ProtobufCMessage *msg)
{
	const Luoshi__V1__ClearanceStatsResponse *r =
	    (const Luoshi__V1__ClearanceStatsResponse *)msg;
	printf(_("Land clearance (征迁清零), %s to %s\n"), r->from ? r->from : "",
	       r->to ? r->to : "");
	const char *headers[8] = {_("Project"),
	                          SUP_L(NC_("supervision", "Leader")),
	                          SUP_L(NC_("supervision", "Nail (拔钉清零)")),
	                          SUP_L(NC_("supervision", "Target (m²)")),
	                          SUP_L(NC_("supervision", "Cleared (m²)")),
	                          cli_pgettext("clearance", NC_("clearance", "Progress")),
	                          SUP_L(NC_("supervision", "Demolished (m²)")),
	                          SUP_L(NC_("supervision", "Households"))};
	cli_table *t = cli_table_alloc(8, headers);
	char n[4][24], progress[16];
	for (size_t i = 0; i < r->n_projects; i++) {
		const Luoshi__V1__ClearanceProject *p = r->projects[i];
		snprintf(n[0], sizeof n[0], "%" PRId64, p->target_m2);
		snprintf(n[1], sizeof n[1], "%" PRId64, p->cleared_m2);
		snprintf(n[2], sizeof n[2], "%" PRId64, p->demolished_m2);
		snprintf(n[3], sizeof n[3], "%" PRId64, p->households);
		progress_text(p->has_progress_permille, p->progress_permille, progress,
		              sizeof progress);
		const char *cells[8] = {p->project_name ? p->project_name : p->project_code,
		                        p->leader_name ? p->leader_name : p->leader_code,
		                        p->nail ? "✓" : "",
		                        n[0],
		                        n[1],
		                        progress,
		                        n[2],
		                        n[3]};
		cli_table_add(t, cells);
	}
	snprintf(n[0], sizeof n[0], "%" PRId64, r->target_m2);
	snprintf(n[1], sizeof n[1], "%" PRId64, r->cleared_m2);
	snprintf(n[2], sizeof n[2], "%" PRId64, r->demolished_m2);
	snprintf(n[3], sizeof n[3], "%" PRId64, r->households);
	progress_text(r->has_progress_permille, r->progress_permille, progress, sizeof progress);
	char nails[32];
	snprintf(nails, sizeof nails, "%u", r->nail_projects);
	const char *total[8] = {cli_pgettext("supervise", NC_("supervise", "Total")),
	                        "",
	                        nails,
	                        n[0],
	                        n[1],
	                        progress,
	                        n[2],
	                        n[3]};
	cli_table_add(t, total);
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

int cli_supq_clearance(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_FROM = CLI_OPT_FIRST_LOCAL, OPT_TO };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"from", required_argument, NULL, OPT_FROM},
	    {"to", required_argument, NULL, OPT_TO},
	    {NULL, 0, NULL, 0},
	};
	const char *v[2] = {NULL, NULL};
	int rc = one_option(
	    ctx, argc, argv, opts,
	    _("Usage: luoshi query clearance [--from YYYY-MM] [--to YYYY-MM]\n"
	      "\n"
	      "Land clearance (征迁清零) for a range of months: per project the target,\n"
	      "cleared and demolished area, households and progress, the \"拔钉清零\"\n"
	      "list of hard projects with their leaders, and the totals.\n"
	      "\n"
	      "Options:\n"
	      "  --from YYYY-MM  the first month; by default January of --to's year\n"
	      "  --to YYYY-MM    the last month; by default this month\n"),
	    v);
	if (rc != LS_OK)
		return rc < 0 ? 0 : rc;
	Luoshi__V1__ClearanceStatsRequest req = LUOSHI__V1__CLEARANCE_STATS_REQUEST__INIT;
	req.from = (char *)v[0];
	req.to = (char *)v[1];
	return query(ctx, M_SUP "ClearanceStats", &req.base, print_clearance);
}

/* ---- funding -----------------------------------------------------------------------------------
 */

static void print_funding(const ProtobufCMessage *msg)
{
	const Luoshi__V1__FundingStatsResponse *r = (const Luoshi__V1__FundingStatsResponse *)msg;
	const char *headers[4] = {
	    SUP_L(NC_("supervision", "Source")), SUP_L(NC_("supervision", "Agreements (万元)")),
	    SUP_L(NC_("supervision", "Loans (万元)")), SUP_L(NC_("supervision", "Total (万元)"))};
	cli_table *t = cli_table_alloc(4, headers);
	char n[3][40];
	for (size_t i = 0; i < r->n_sources; i++) {
		const Luoshi__V1__FundingSource *s = r->sources[i];
		snprintf(n[0], sizeof n[0], "%" PRId64 " (%u)", s->agreement_amount, s->agreements);
		snprintf(n[1], sizeof n[1], "%" PRId64 " (%u)", s->loan_amount, s->loans);
		snprintf(n[2], sizeof n[2], "%" PRId64, s->amount);
		const char *cells[4] = {s->source, n[0], n[1], n[2]};
		cli_table_add(t, cells);
	}
	snprintf(n[0], sizeof n[0], "%" PRId64 " (%u)", r->agreement_amount, r->agreements);
	snprintf(n[1], sizeof n[1], "%" PRId64 " (%u)", r->loan_amount, r->loans);
	snprintf(n[2], sizeof n[2], "%" PRId64, r->amount);
	const char *total[4] = {cli_pgettext("supervise", NC_("supervise", "Total")), n[0], n[1],
	                        n[2]};
	cli_table_add(t, total);
	printf(_("Funding signed by %s\n"), r->as_of ? r->as_of : "");
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

int cli_supq_funding(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_AS_OF = CLI_OPT_FIRST_LOCAL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {NULL, 0, NULL, 0},
	};
	const char *v[1] = {NULL};
	int rc = one_option(ctx, argc, argv, opts,
	                    _("Usage: luoshi query funding [--as-of DATE]\n"
	                      "\n"
	                      "Funding (资金保障): the financing agreements and loans signed by a\n"
	                      "day, by source, with their numbers in brackets, in 万元.\n"
	                      "\n"
	                      "Options:\n"
	                      "  --as-of DATE  the day; by default today\n"),
	                    v);
	if (rc != LS_OK)
		return rc < 0 ? 0 : rc;
	Luoshi__V1__FundingStatsRequest req = LUOSHI__V1__FUNDING_STATS_REQUEST__INIT;
	req.as_of = (char *)v[0];
	return query(ctx, M_SUP "FundingStats", &req.base, print_funding);
}

/* ---- the group ----------------------------------------------------------------------------------
 */

static const cli_command subcommands[] = {
    {"cadence", cli_supq_cadence,
     N_("the leaders' weekly reviews and monthly visits, and the gaps")},
    {"summary", cli_supq_summary, N_("inspections, rectification, accountability, slow projects")},
    {"approvals", cli_supq_approvals, N_("approval days, fast-track items over target, one visit")},
    {"clearance", cli_supq_clearance,
     NC_("supervision", "land clearance totals and per project (拔钉清零)")},
    {"funding", cli_supq_funding, NC_("supervision", "financing agreements and loans by source")},
};

int cli_cmd_supervise(cli_ctx *ctx, int argc, char **argv)
{
	return cli_sup_group(
	    ctx, argc, argv,
	    _("Usage: luoshi supervise SUBCOMMAND [OPTIONS]\n"
	      "\n"
	      "The figures of supervision: the leaders' rhythm, inspections and\n"
	      "accountability, and the approval, funding and land clearance groups.\n"
	      "The same subcommands belong to 'luoshi query' (summary there is called\n"
	      "supervision); this group keeps the older names.\n"
	      "\n"
	      "Subcommands:\n"),
	    subcommands, sizeof subcommands / sizeof subcommands[0]);
}
