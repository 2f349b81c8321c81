/* `luoshi query summary|by-town|by-leader|by-unit|lagging|compliance`: what
 * the district office sees (QueryService). Every figure is defined in
 * README.md ("Aggregates"); rates come from the server in per mille and are
 * shown here as percentages with one decimal. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_supervision_query.h"
#include "luoshi/v1/query.pb-c.h"
#include "output.h"
#include "period.h"

#define M_SUMMARY "/luoshi.v1.QueryService/Summary"
#define M_GROUPED "/luoshi.v1.QueryService/Grouped"
#define M_LAGGING "/luoshi.v1.QueryService/Lagging"
#define M_COMPLIANCE "/luoshi.v1.QueryService/Compliance"

/* ---- values as people read them ------------------------------------------------ */

/* "81.8%" from 818‰; "—" when absent. buf holds 24 bytes. */
static const char *rate(bool has, uint32_t permille, char buf[24])
{
	if (!has)
		return "—";
	snprintf(buf, 24, "%u.%u%%", permille / 10, permille % 10);
	return buf;
}

/* "+35.0%" or "-3.2%" from a growth in per mille; "—" when absent. */
static const char *signed_rate(bool has, int32_t permille, char buf[24])
{
	if (!has)
		return "—";
	long long v = permille < 0 ? -(long long)permille : permille;
	snprintf(buf, 24, "%s%lld.%lld%%", permille < 0 ? "-" : "+", v / 10, v % 10);
	return buf;
}

static const char *money(bool has, int64_t v, char buf[24])
{
	if (!has)
		return "—";
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

static const char *count_text(uint32_t v, char buf[24])
{
	snprintf(buf, 24, "%u", v);
	return buf;
}

/* The names of enum values as project.proto's command line spells them,
 * in the contexts its catalogue uses ("level" "city" → 市级). */
static const char *const level_keys[] = {"", "city", "district", "town"};
static const char *const category_keys[] = {
    "", "industrial", "platform", "infrastructure", "livelihood", "special-task"};
static const char *const stage_keys[] = {"", "new", "continuing"};
static const char *const status_keys[] = {"", "on track", "lagging", "seriously lagging"};

/* The translated name of a Count's key (the server's schema spelling,
 * "special_task", "on_track"), in context ctx. */
static const char *key_display(const char *ctx, const char *key, char *buf, size_t n)
{
	size_t i = 0;
	for (; key != NULL && key[i] != '\0' && i + 1 < n; i++)
		buf[i] = key[i] == '_' ? (strcmp(ctx, "status") == 0 ? ' ' : '-') : key[i];
	buf[i] = '\0';
	return cli_pgettext(ctx, buf);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void code_name(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

/* ---- the filter --------------------------------------------------------------------- */

enum {
	OPT_AS_OF = CLI_OPT_FIRST_LOCAL,
	OPT_LEVEL,
	OPT_CATEGORY,
	OPT_STAGE,
	OPT_TOWN,
	OPT_LEADER,
	OPT_UNIT,
	OPT_PROJECT,
	OPT_SORT,
	OPT_DESC,
	OPT_WEEK,
};

/* clang-format off */
#define FILTER_OPTIONS \
	{"as-of", required_argument, NULL, OPT_AS_OF}, \
	{"level", required_argument, NULL, OPT_LEVEL}, \
	{"category", required_argument, NULL, OPT_CATEGORY}, \
	{"stage", required_argument, NULL, OPT_STAGE}, \
	{"town", required_argument, NULL, OPT_TOWN}, \
	{"leader", required_argument, NULL, OPT_LEADER}, \
	{"unit", required_argument, NULL, OPT_UNIT}, \
	{"project", required_argument, NULL, OPT_PROJECT}
/* clang-format on */

static const char *filter_help(void)
{
	return _("Filters:\n"
	         "  --as-of DATE          the figures of that day (YYYY-MM-DD); default today\n"
	         "  --level LEVEL         city, district or town\n"
	         "  --category CATEGORY   industrial, platform, infrastructure, livelihood or\n"
	         "                        special-task\n"
	         "  --stage STAGE         new or continuing\n"
	         "  --town TOWN           projects standing in the town (code or name)\n"
	         "  --leader PERSON       projects the person leads\n"
	         "  --unit UNIT           projects the unit leads or contributes to\n"
	         "  --project PROJECT     one project (code or name)\n");
}

/* The value of an enum option, by its command-line name; 0 if unknown. */
static int enum_value(const char *const *keys, size_t n, const char *arg)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(keys[i], arg) == 0)
			return (int)i;
	return 0;
}

/* Handles option c of the filter. Returns 1 when it was one, 0 when not,
 * or CLI_EXIT_USAGE (negated) after a usage error. */
static int filter_option(cli_ctx *ctx, int c, Luoshi__V1__QueryFilter *f)
{
	int32_t day;
	int v;
	switch (c) {
	case OPT_AS_OF:
		if (!ls_date_parse(optarg, &day))
			return -cli_usage_error(
			    ctx, _("--as-of takes a date (YYYY-MM-DD), not '%s'"), optarg);
		f->as_of = optarg;
		return 1;
	case OPT_LEVEL:
		if ((v = enum_value(level_keys, COUNT(level_keys), optarg)) == 0)
			return -cli_usage_error(ctx, _("unknown %s '%s' (valid: %s)"), "level",
			                        optarg, "city, district, town");
		f->has_level = true;
		f->level = (Luoshi__V1__Level)v;
		return 1;
	case OPT_CATEGORY:
		if ((v = enum_value(category_keys, COUNT(category_keys), optarg)) == 0)
			return -cli_usage_error(
			    ctx, _("unknown %s '%s' (valid: %s)"), "category", optarg,
			    "industrial, platform, infrastructure, livelihood, special-task");
		f->has_category = true;
		f->category = (Luoshi__V1__Category)v;
		return 1;
	case OPT_STAGE:
		if ((v = enum_value(stage_keys, COUNT(stage_keys), optarg)) == 0)
			return -cli_usage_error(ctx, _("unknown %s '%s' (valid: %s)"), "stage",
			                        optarg, "new, continuing");
		f->has_stage = true;
		f->stage = (Luoshi__V1__Stage)v;
		return 1;
	case OPT_TOWN:
		f->town = optarg;
		return 1;
	case OPT_LEADER:
		f->leader = optarg;
		return 1;
	case OPT_UNIT:
		f->unit = optarg;
		return 1;
	case OPT_PROJECT:
		f->project = optarg;
		return 1;
	default:
		return 0;
	}
}

/* Calls method with req; on OK *out is the response (free it). */
static int call(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                ProtobufCMessage **out)
{
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	rc = cli_call(client, method, req, NULL, out);
	luoshi_client_close(client);
	return rc;
}

/* ---- summary ------------------------------------------------------------------------ */

static void print_counts(const char *title, const char *ctx, Luoshi__V1__Count **c, size_t n)
{
	const char *headers[] = {title, _("Projects")};
	cli_table *t = cli_table_alloc(2, headers);
	for (size_t i = 0; i < n; i++) {
		char key[64], num[24];
		const char *cells[] = {key_display(ctx, c[i]->key, key, sizeof key),
		                       count_text(c[i]->count, num)};
		cli_table_add(t, cells);
	}
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

/* One line of the money table: a figure of the three Money messages. */
static void money_line(cli_table *t, const char *label, Luoshi__V1__Money *const m[3], int which)
{
	char b[3][24];
	const char *cells[4] = {label};
	for (int i = 0; i < 3; i++) {
		const Luoshi__V1__Money *x = m[i];
		if (x == NULL) {
			cells[i + 1] = "";
			continue;
		}
		switch (which) {
		case 0:
			cells[i + 1] = money(x->has_annual_plan, x->annual_plan, b[i]);
			break;
		case 1:
			cells[i + 1] = money(x->has_planned_ytd, x->planned_ytd, b[i]);
			break;
		case 2:
			cells[i + 1] = money(x->has_completed_ytd, x->completed_ytd, b[i]);
			break;
		case 3:
			cells[i + 1] =
			    rate(x->has_completion_permille, x->completion_permille, b[i]);
			break;
		case 4:
			cells[i + 1] = money(x->has_previous_ytd, x->previous_ytd, b[i]);
			break;
		case 5:
			cells[i + 1] =
			    signed_rate(x->has_growth_permille, x->growth_permille, b[i]);
			break;
		case 6:
			cells[i + 1] = money(x->has_output_ytd, x->output_ytd, b[i]);
			break;
		case 7:
			cells[i + 1] =
			    money(x->has_previous_output_ytd, x->previous_output_ytd, b[i]);
			break;
		default:
			cells[i + 1] = signed_rate(x->has_output_growth_permille,
			                           x->output_growth_permille, b[i]);
		}
	}
	cli_table_add(t, cells);
}

/* The financing by source, with the total; nothing when none was signed. */
static void print_funding(const Luoshi__V1__SummaryResponse *r)
{
	const Luoshi__V1__FundingFigures *total = r->funding_total;
	if (total == NULL || r->n_funding == 0)
		return;
	putchar('\n');
	printf("%s\n", _("Financing by source (10,000 yuan):"));
	const char *headers[] = {_("Source"), _("Agreements"), _("Agreed"), _("Loans"),
	                         _("Loaned")};
	cli_table *t = cli_table_alloc(COUNT(headers), headers);
	for (size_t i = 0; i <= r->n_funding; i++) {
		const Luoshi__V1__FundingFigures *x = i < r->n_funding ? r->funding[i] : total;
		char b[4][24];
		const char *cells[] = {i < r->n_funding ? (x->source ? x->source : "") : _("Total"),
		                       count_text(x->agreements, b[0]),
		                       money(true, x->agreed, b[1]), count_text(x->loans, b[2]),
		                       money(true, x->loaned, b[3])};
		cli_table_add(t, cells);
	}
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

static void print_summary(const Luoshi__V1__SummaryResponse *r)
{
	const Luoshi__V1__Figures *f = r->figures;
	char b[24], line[128];
	cli_table *t = cli_table_alloc(2, NULL);
	if (r->as_of != NULL)
		cli_table_kv(t, _("As of"), r->as_of);
	if (f != NULL) {
		cli_table_kvf(t, _("Projects"), "%u", f->projects);
		snprintf(line, sizeof line, "%u (%s)", f->on_track,
		         rate(f->has_on_track_permille, f->on_track_permille, b));
		cli_table_kv(t, cli_pgettext("status", "on track"), line);
		cli_table_kvf(t, cli_pgettext("status", "lagging"), "%u", f->lagging);
		cli_table_kvf(t, cli_pgettext("status", "seriously lagging"), "%u",
		              f->seriously_lagging);
	}
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
	putchar('\n');
	print_counts(_("Level"), "level", r->by_level, r->n_by_level);
	putchar('\n');
	print_counts(_("Category"), "category", r->by_category, r->n_by_category);
	putchar('\n');
	print_counts(_("Stage"), "stage", r->by_stage, r->n_by_stage);
	if (f == NULL)
		return;

	putchar('\n');
	printf(_("Investment and output (10,000 yuan), compared with %s:\n"),
	       r->previous_as_of ? r->previous_as_of : "");
	const char *headers[] = {"", _("All"), cli_pgettext("stage", "new"),
	                         cli_pgettext("stage", "continuing")};
	t = cli_table_alloc(4, headers);
	Luoshi__V1__Money *m[3] = {f->money, f->money_new, f->money_continuing};
	static const char *const labels[] = {
	    N_("Annual plan"),           N_("Planned to date"),
	    N_("Completed to date"),     N_("Completion"),
	    N_("Same period last year"), N_("Growth"),
	    N_("Output to date"),        N_("Output same period last year"),
	    N_("Output growth"),
	};
	for (int i = 0; i < (int)COUNT(labels); i++)
		money_line(t, _(labels[i]), m, i);
	cli_table_print(t, stdout, 0);
	cli_table_free(t);

	const Luoshi__V1__ProblemFigures *p = f->problems;
	if (p != NULL) {
		putchar('\n');
		t = cli_table_alloc(2, NULL);
		cli_table_kvf(t, _("Problems raised"), "%u", p->raised);
		cli_table_kvf(t, _("Problems resolved"), "%u", p->resolved);
		cli_table_kvf(t, _("Problems open"), "%u", p->open);
		cli_table_kvf(t, _("Problems overdue"), "%u", p->overdue);
		cli_table_kv(t, _("Resolution rate"),
		             rate(p->has_rate_permille, p->rate_permille, b));
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	print_funding(r);
}

static int run_summary(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS, FILTER_OPTIONS, {NULL, 0, NULL, 0}};
	Luoshi__V1__QueryFilter f = LUOSHI__V1__QUERY_FILTER__INIT;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			printf(
			    "%s\n",
			    _("Usage: luoshi query summary [FILTERS]\n"
			      "\n"
			      "The figures of the report: projects by level, category, stage\n"
			      "and status, the on-track share, investment planned and completed\n"
			      "to date with the completion rate against the annual plan (new and\n"
			      "continuing projects apart), growth of investment and output against\n"
			      "the same period of the previous year, the problems raised,\n"
			      "resolved, open and overdue with the resolution rate, and the\n"
			      "financing agreed and loans drawn by source.\n"));
			return cli_help(filter_help());
		}
		int r = filter_option(ctx, c, &f);
		if (r < 0)
			return -r;
		if (r == 0)
			return CLI_EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	Luoshi__V1__SummaryRequest req = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	req.filter = &f;
	ProtobufCMessage *m;
	int rc = call(ctx, M_SUMMARY, &req.base, &m);
	if (rc != LS_OK)
		return rc;
	if (ctx->json)
		rc = cli_print_message_json(m);
	else
		print_summary((Luoshi__V1__SummaryResponse *)m);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- by-town, by-leader, by-unit ------------------------------------------------------- */

static int run_grouped(cli_ctx *ctx, int argc, char **argv, Luoshi__V1__GroupBy by,
                       const char *usage)
{
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    FILTER_OPTIONS,
	    {"sort", required_argument, NULL, OPT_SORT},
	    {"desc", no_argument, NULL, OPT_DESC},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__QueryFilter f = LUOSHI__V1__QUERY_FILTER__INIT;
	Luoshi__V1__GroupedRequest req = LUOSHI__V1__GROUPED_REQUEST__INIT;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			printf("%s\n", usage);
			printf(
			    "%s\n",
			    _("Options:\n"
			      "  --sort KEY  code (default), name, projects, on_track, lagging,\n"
			      "              plan, completed, completion, growth, problems,\n"
			      "              resolution, open or overdue\n"
			      "  --desc      the largest first\n"));
			return cli_help(filter_help());
		}
		if (c == OPT_SORT) {
			req.sort = optarg;
			continue;
		}
		if (c == OPT_DESC) {
			req.has_descending = true;
			req.descending = true;
			continue;
		}
		int r = filter_option(ctx, c, &f);
		if (r < 0)
			return -r;
		if (r == 0)
			return CLI_EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	req.filter = &f;
	req.has_by = true;
	req.by = by;
	ProtobufCMessage *m;
	int rc = call(ctx, M_GROUPED, &req.base, &m);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__GroupedResponse *r = (Luoshi__V1__GroupedResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
		protobuf_c_message_free_unpacked(m, NULL);
		return rc;
	}
	const char *first = by == LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN     ? _("Town")
	                    : by == LUOSHI__V1__GROUP_BY__GROUP_BY_LEADER ? _("Lead leader")
	                                                                  : _("Lead unit");
	const char *headers[] = {first,
	                         _("Projects"),
	                         cli_pgettext("status", "on track"),
	                         cli_pgettext("status", "lagging"),
	                         cli_pgettext("status", "seriously lagging"),
	                         _("On-track share"),
	                         _("Annual plan"),
	                         _("Completed to date"),
	                         _("Completion"),
	                         _("Growth"),
	                         _("Problems raised"),
	                         _("Problems resolved"),
	                         _("Resolution rate"),
	                         _("Problems overdue")};
	cli_table *t = cli_table_alloc(COUNT(headers), headers);
	for (size_t i = 0; i < r->n_rows; i++) {
		const Luoshi__V1__GroupRow *g = r->rows[i];
		const Luoshi__V1__Figures *x = g->figures;
		if (x == NULL)
			continue;
		static const Luoshi__V1__Money none = LUOSHI__V1__MONEY__INIT;
		static const Luoshi__V1__ProblemFigures nop = LUOSHI__V1__PROBLEM_FIGURES__INIT;
		const Luoshi__V1__Money *mo = x->money ? x->money : &none;
		const Luoshi__V1__ProblemFigures *p = x->problems ? x->problems : &nop;
		char name[512], b[13][24];
		if (g->code == NULL && g->name == NULL)
			snprintf(name, sizeof name, "%s", _("(no town)"));
		else
			code_name(g->code, g->name, name, sizeof name);
		const char *cells[] = {
		    name,
		    count_text(x->projects, b[0]),
		    count_text(x->on_track, b[1]),
		    count_text(x->lagging, b[2]),
		    count_text(x->seriously_lagging, b[3]),
		    rate(x->has_on_track_permille, x->on_track_permille, b[4]),
		    money(mo->has_annual_plan, mo->annual_plan, b[5]),
		    money(mo->has_completed_ytd, mo->completed_ytd, b[6]),
		    rate(mo->has_completion_permille, mo->completion_permille, b[7]),
		    signed_rate(mo->has_growth_permille, mo->growth_permille, b[8]),
		    count_text(p->raised, b[9]),
		    count_text(p->resolved, b[10]),
		    rate(p->has_rate_permille, p->rate_permille, b[11]),
		    count_text(p->overdue, b[12]),
		};
		cli_table_add(t, cells);
	}
	if (r->as_of != NULL)
		printf(_("As of %s:\n"), r->as_of);
	if (cli_table_rows(t) == 0)
		printf("%s\n", _("No projects."));
	else
		cli_table_print(t, stdout, 0);
	cli_table_free(t);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

static int run_by_town(cli_ctx *ctx, int argc, char **argv)
{
	return run_grouped(ctx, argc, argv, LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN,
	                   _("Usage: luoshi query by-town [FILTERS] [--sort KEY] [--desc]\n"
	                     "\n"
	                     "The figures of the summary for each town, the projects standing in\n"
	                     "no town last.\n"));
}

static int run_by_leader(cli_ctx *ctx, int argc, char **argv)
{
	return run_grouped(ctx, argc, argv, LUOSHI__V1__GROUP_BY__GROUP_BY_LEADER,
	                   _("Usage: luoshi query by-leader [FILTERS] [--sort KEY] [--desc]\n"
	                     "\n"
	                     "The figures of the summary for each lead leader.\n"));
}

static int run_by_unit(cli_ctx *ctx, int argc, char **argv)
{
	return run_grouped(ctx, argc, argv, LUOSHI__V1__GROUP_BY__GROUP_BY_UNIT,
	                   _("Usage: luoshi query by-unit [FILTERS] [--sort KEY] [--desc]\n"
	                     "\n"
	                     "The figures of the summary for each lead unit.\n"));
}

/* ---- lagging ---------------------------------------------------------------------------- */

static int run_lagging(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS, FILTER_OPTIONS, {NULL, 0, NULL, 0}};
	Luoshi__V1__QueryFilter f = LUOSHI__V1__QUERY_FILTER__INIT;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			printf(
			    "%s\n",
			    _("Usage: luoshi query lagging [FILTERS]\n"
			      "\n"
			      "The lagging and seriously lagging projects, the seriously lagging\n"
			      "first: why (the nodes overdue, the points behind the time elapsed,\n"
			      "the weeks or months without an update) and who answers for each\n"
			      "(the lead leader, the lead unit, the town).\n"));
			return cli_help(filter_help());
		}
		int r = filter_option(ctx, c, &f);
		if (r < 0)
			return -r;
		if (r == 0)
			return CLI_EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	Luoshi__V1__LaggingRequest req = LUOSHI__V1__LAGGING_REQUEST__INIT;
	req.filter = &f;
	ProtobufCMessage *m;
	int rc = call(ctx, M_LAGGING, &req.base, &m);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__LaggingResponse *r = (Luoshi__V1__LaggingResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
		protobuf_c_message_free_unpacked(m, NULL);
		return rc;
	}
	const char *headers[] = {_("Status"),       _("Project"),       _("Town"),
	                         _("Lead leader"),  _("Lead unit"),     _("Reported"),
	                         _("Expected"),     _("Points behind"), _("Periods silent"),
	                         _("Overdue nodes")};
	cli_table *t = cli_table_alloc(COUNT(headers), headers);
	for (size_t i = 0; i < r->n_projects; i++) {
		const Luoshi__V1__LaggingProject *p = r->projects[i];
		const Luoshi__V1__ProjectStatusInfo *s = p->status;
		if (s == NULL)
			continue;
		char project[512], town[512], leader[512], unit[512], b[4][24], nodes[1024] = "";
		code_name(s->project_code, s->project_name, project, sizeof project);
		code_name(p->town_code, p->town_name, town, sizeof town);
		code_name(p->lead_leader_code, p->lead_leader_name, leader, sizeof leader);
		code_name(p->lead_unit_code, p->lead_unit_name, unit, sizeof unit);
		size_t used = 0;
		for (size_t k = 0; k < p->n_overdue_nodes && used < sizeof nodes; k++) {
			const Luoshi__V1__OverdueNode *nd = p->overdue_nodes[k];
			int w =
			    snprintf(nodes + used, sizeof nodes - used, _("%s%s (due %s, %u days)"),
			             k ? "; " : "", nd->name ? nd->name : "",
			             nd->due_date ? nd->due_date : "", nd->days);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		int st = s->has_status && s->status <= 3 ? (int)s->status : 0;
		if (s->has_percent)
			snprintf(b[0], sizeof b[0], "%u%%", s->percent);
		else
			snprintf(b[0], sizeof b[0], "—");
		snprintf(b[1], sizeof b[1], "%u%%", s->expected_percent);
		snprintf(b[2], sizeof b[2], "%d", s->behind);
		snprintf(b[3], sizeof b[3], "%u", s->silent_periods);
		const char *cells[] = {cli_pgettext("status", status_keys[st]),
		                       project,
		                       town,
		                       leader,
		                       unit,
		                       b[0],
		                       b[1],
		                       b[2],
		                       b[3],
		                       nodes};
		cli_table_add(t, cells);
	}
	if (r->as_of != NULL)
		printf(_("As of %s: %u lagging, %u seriously lagging.\n"), r->as_of, r->lagging,
		       r->seriously_lagging);
	if (cli_table_rows(t) > 0)
		cli_table_print(t, stdout, 0);
	cli_table_free(t);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- compliance -------------------------------------------------------------------------- */

static int run_compliance(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    FILTER_OPTIONS,
	    {"week", required_argument, NULL, OPT_WEEK},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__QueryFilter f = LUOSHI__V1__QUERY_FILTER__INIT;
	Luoshi__V1__ComplianceRequest req = LUOSHI__V1__COMPLIANCE_REQUEST__INIT;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			printf(
			    "%s\n",
			    _("Usage: luoshi query compliance [--week WEEK] [FILTERS]\n"
			      "\n"
			      "Which towns and projects have not submitted their update for a week:\n"
			      "the weekly projects under way in the week, town by town, those with\n"
			      "something missing first.\n"
			      "\n"
			      "Options:\n"
			      "  --week WEEK  an ISO week such as 2026-W48; default the last whole\n"
			      "               week before the --as-of day\n"));
			return cli_help(filter_help());
		}
		if (c == OPT_WEEK) {
			ls_period p;
			if (!ls_period_parse(optarg, &p) || p.kind != LS_PERIOD_WEEK)
				return cli_usage_error(
				    ctx, _("--week takes an ISO week such as 2026-W48, not '%s'"),
				    optarg);
			req.week = optarg;
			continue;
		}
		int r = filter_option(ctx, c, &f);
		if (r < 0)
			return -r;
		if (r == 0)
			return CLI_EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	req.filter = &f;
	ProtobufCMessage *m;
	int rc = call(ctx, M_COMPLIANCE, &req.base, &m);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__ComplianceResponse *r = (Luoshi__V1__ComplianceResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
		protobuf_c_message_free_unpacked(m, NULL);
		return rc;
	}
	printf(_("Week %s: %u of %u updates submitted.\n"), r->week ? r->week : "", r->submitted,
	       r->expected);
	const char *headers[] = {_("Town"), _("Updates owed"), _("Updates sent"), _("Missing")};
	cli_table *t = cli_table_alloc(4, headers);
	for (size_t i = 0; i < r->n_towns; i++) {
		const Luoshi__V1__TownCompliance *tc = r->towns[i];
		char town[512], b[2][24], missing[2048] = "";
		if (tc->town_code == NULL)
			snprintf(town, sizeof town, "%s", _("(no town)"));
		else
			code_name(tc->town_code, tc->town_name, town, sizeof town);
		size_t used = 0;
		for (size_t k = 0; k < tc->n_missing && used < sizeof missing; k++) {
			const Luoshi__V1__MissingProject *mp = tc->missing[k];
			int w = snprintf(missing + used, sizeof missing - used, "%s%s %s",
			                 k ? "; " : "", mp->project_code ? mp->project_code : "",
			                 mp->project_name ? mp->project_name : "");
			if (w < 0)
				break;
			used += (size_t)w;
		}
		const char *cells[] = {town, count_text(tc->expected, b[0]),
		                       count_text(tc->submitted, b[1]), missing};
		cli_table_add(t, cells);
	}
	if (cli_table_rows(t) > 0)
		cli_table_print(t, stdout, 0);
	cli_table_free(t);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- the group ----------------------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"summary", run_summary, N_("the figures of the report for the whole scope")},
    {"by-town", run_by_town, N_("the same figures town by town")},
    {"by-leader", run_by_leader, N_("the same figures by lead leader")},
    {"by-unit", run_by_unit, N_("the same figures by lead unit")},
    {"lagging", run_lagging, N_("the lagging projects, why, and who answers for them")},
    {"compliance", run_compliance, N_("which towns and projects have not reported for a week")},
    {"cadence", cli_supq_cadence,
     N_("the leaders' weekly reviews and monthly visits, and the gaps")},
    {"supervision", cli_supq_summary,
     N_("inspections, rectification, accountability, slow projects")},
    {"approvals", cli_supq_approvals, N_("approval days, fast-track items over target, one visit")},
    {"clearance", cli_supq_clearance, N_("land clearance totals and per project (拔钉清零)")},
    {"funding", cli_supq_funding, N_("financing agreements and loans by source")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi query SUBCOMMAND [FILTERS]\n"
	        "\n"
	        "What the district office sees: the aggregates of the key projects on a day,\n"
	        "within your scope. summary, by-town, by-leader, by-unit, lagging and\n"
	        "compliance take --as-of DATE and the filters --level --category --stage\n"
	        "--town --leader --unit --project; the others take what their help says.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < COUNT(subcommands); i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi query SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_query(cli_ctx *ctx, int argc, char **argv)
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
	return cli_dispatch(ctx, subcommands, COUNT(subcommands), argc - optind, argv + optind);
}
