/* `luoshi problem raise|assign|note|resolve|reopen|escalate|list|show|stats`:
 * problems listed and closed one by one (销号管理, ProblemService). The
 * server routes each raised problem to its support group and checks who may
 * do what; this file turns options into requests and answers into tables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/problems.pb-c.h"
#include "output.h"

#define M_RAISE "/luoshi.v1.ProblemService/RaiseProblem"
#define M_ASSIGN "/luoshi.v1.ProblemService/AssignProblem"
#define M_NOTE "/luoshi.v1.ProblemService/AddProblemNote"
#define M_RESOLVE "/luoshi.v1.ProblemService/ResolveProblem"
#define M_REOPEN "/luoshi.v1.ProblemService/ReopenProblem"
#define M_ESCALATE "/luoshi.v1.ProblemService/EscalateProblem"
#define M_LIST "/luoshi.v1.ProblemService/ListProblems"
#define M_GET "/luoshi.v1.ProblemService/GetProblem"
#define M_STATS "/luoshi.v1.ProblemService/ProblemStats"

/* The most rows one ListProblems page may ask for. */
#define CLI_MAX_PAGE 1000

/* ---- labels ------------------------------------------------------------------ */

/* Translated in the context "problem": other commands use the same words. */
enum label {
	L_ID,
	L_PROJECT,
	L_TITLE,
	L_DETAIL,
	L_GROUP,
	L_STATUS,
	L_ROUTED,
	L_ASSIGNEE,
	L_CASE,
	L_DUE,
	L_DAYS_LEFT,
	L_ESCALATED,
	L_RAISED,
	L_RESOLVED_AT,
	L_RESOLUTION,
	L_LEADER,
	L_TOWN,
	L_TIME,
	L_ACCOUNT,
	L_EVENT,
	L_TEXT,
	L_HISTORY,
	L_OPEN,
	L_RESOLVED,
	L_YES,
};

static const char *const labels[] = {
    [L_ID] = NC_("problem", "ID"),
    [L_PROJECT] = NC_("problem", "Project"),
    [L_TITLE] = NC_("problem", "Problem"),
    [L_DETAIL] = NC_("problem", "Detail"),
    [L_GROUP] = NC_("problem", "Group"),
    [L_STATUS] = NC_("problem", "Status"),
    [L_ROUTED] = NC_("problem", "Routed to"),
    [L_ASSIGNEE] = NC_("problem", "Assignee"),
    [L_CASE] = NC_("problem", "Personal case"),
    [L_DUE] = NC_("problem", "Due"),
    [L_DAYS_LEFT] = NC_("problem", "Days left"),
    [L_ESCALATED] = NC_("problem", "Escalated to"),
    [L_RAISED] = NC_("problem", "Raised"),
    [L_RESOLVED_AT] = NC_("problem", "Resolved at"),
    [L_RESOLUTION] = NC_("problem", "Resolution"),
    [L_LEADER] = NC_("problem", "Lead leader"),
    [L_TOWN] = NC_("problem", "Town"),
    [L_TIME] = NC_("problem", "Time"),
    [L_ACCOUNT] = NC_("problem", "Account"),
    [L_EVENT] = NC_("problem", "Event"),
    [L_TEXT] = NC_("problem", "Text"),
    [L_HISTORY] = NC_("problem", "History"),
    [L_OPEN] = NC_("problem", "open"),
    [L_RESOLVED] = NC_("problem", "resolved"),
    [L_YES] = NC_("problem", "yes"),
};

static const char *label(enum label l)
{
	return cli_pgettext("problem", labels[l]);
}

/* ---- groups and events ---------------------------------------------------------- */

/* As the command line spells them, in the order of ProblemGroup; shown in
 * the context "problem group" (综合协调 ...). */
static const char *const groups[] = {
    NULL,
    NC_("problem group", "coordination"),
    NC_("problem group", "approval"),
    NC_("problem group", "funding"),
    NC_("problem group", "clearance"),
    NC_("problem group", "other"),
};
#define N_GROUPS ((int)(sizeof groups / sizeof groups[0]))

static const char *group_show(protobuf_c_boolean has, int g)
{
	if (!has || g < 1 || g >= N_GROUPS)
		return "";
	return cli_pgettext("problem group", groups[g]);
}

static int group_option(cli_ctx *ctx, const char *arg, protobuf_c_boolean *has,
                        Luoshi__V1__ProblemGroup *out)
{
	for (int g = 1; g < N_GROUPS; g++)
		if (strcmp(arg, groups[g]) == 0) {
			*has = 1;
			*out = (Luoshi__V1__ProblemGroup)g;
			return LS_OK;
		}
	return cli_usage_error(ctx,
	                       _("unknown group '%s' (valid groups: coordination, approval, "
	                         "funding, clearance, other)"),
	                       arg);
}

/* The kinds of history rows, as the server names them. */
static const char *const event_kinds[] __attribute__((unused)) = {
    NC_("problem event", "raised"),   NC_("problem event", "assigned"),
    NC_("problem event", "note"),     NC_("problem event", "escalated"),
    NC_("problem event", "resolved"), NC_("problem event", "reopened"),
};

/* ---- output ------------------------------------------------------------------- */

static void code_name(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

static const char *status_show(const Luoshi__V1__Problem *p)
{
	if (!p->has_status)
		return "";
	return label(p->status == LUOSHI__V1__PROBLEM_STATUS__PROBLEM_RESOLVED ? L_RESOLVED
	                                                                       : L_OPEN);
}

/* Who has it now: a leader's personal case, a unit, or else the unit it
 * was routed to. */
static const char *holder(const Luoshi__V1__Problem *p)
{
	if (p->assignee_person_name != NULL)
		return p->assignee_person_name;
	if (p->assignee_unit_name != NULL)
		return p->assignee_unit_name;
	return p->routed_unit_name ? p->routed_unit_name : "";
}

static void problem_rows(cli_table *t, const Luoshi__V1__Problem *p)
{
	char buf[600];
	if (p->has_id)
		cli_table_kvf(t, label(L_ID), "%" PRId64, p->id);
	code_name(p->project_code, p->project_name, buf, sizeof buf);
	cli_table_kv(t, label(L_PROJECT), buf);
	cli_table_kv(t, label(L_TITLE), p->title);
	if (p->detail != NULL)
		cli_table_kv(t, label(L_DETAIL), p->detail);
	cli_table_kv(t, label(L_GROUP), group_show(p->has_group, p->group));
	cli_table_kv(t, label(L_STATUS), status_show(p));
	code_name(p->routed_unit_code, p->routed_unit_name, buf, sizeof buf);
	cli_table_kv(t, label(L_ROUTED), buf);
	if (p->assignee_unit_code != NULL) {
		code_name(p->assignee_unit_code, p->assignee_unit_name, buf, sizeof buf);
		cli_table_kv(t, label(L_ASSIGNEE), buf);
	}
	if (p->assignee_person_code != NULL) {
		code_name(p->assignee_person_code, p->assignee_person_name, buf, sizeof buf);
		cli_table_kv(t, label(L_CASE), buf);
	}
	if (p->due_date != NULL)
		cli_table_kv(t, label(L_DUE), p->due_date);
	if (p->has_days_left)
		cli_table_kvf(t, label(L_DAYS_LEFT), "%d", (int)p->days_left);
	if (p->has_escalated && p->escalated) {
		code_name(p->office_code, p->office_name, buf, sizeof buf);
		cli_table_kv(t, label(L_ESCALATED), buf[0] ? buf : label(L_YES));
	}
	if (p->lead_leader_code != NULL) {
		code_name(p->lead_leader_code, p->lead_leader_name, buf, sizeof buf);
		cli_table_kv(t, label(L_LEADER), buf);
	}
	if (p->town_code != NULL) {
		code_name(p->town_code, p->town_name, buf, sizeof buf);
		cli_table_kv(t, label(L_TOWN), buf);
	}
	if (p->raised_at != NULL) {
		char unit[400];
		code_name(NULL, p->raised_by_unit_name, unit, sizeof unit);
		if (p->raised_by != NULL && strcmp(unit, p->raised_by) == 0)
			unit[0] = '\0';
		if (p->raised_by != NULL)
			snprintf(buf, sizeof buf, "%s  %s%s%s%s", p->raised_at, p->raised_by,
			         unit[0] ? " (" : "", unit, unit[0] ? ")" : "");
		else
			snprintf(buf, sizeof buf, "%s", p->raised_at);
		cli_table_kv(t, label(L_RAISED), buf);
	}
	if (p->resolved_at != NULL)
		cli_table_kv(t, label(L_RESOLVED_AT), p->resolved_at);
	if (p->resolution != NULL)
		cli_table_kv(t, label(L_RESOLUTION), p->resolution);
}

#define LIST_COLS 8

static void list_headers(const char *h[LIST_COLS])
{
	h[0] = label(L_ID);
	h[1] = label(L_PROJECT);
	h[2] = label(L_TITLE);
	h[3] = label(L_GROUP);
	h[4] = label(L_STATUS);
	h[5] = label(L_ASSIGNEE);
	h[6] = label(L_DUE);
	h[7] = label(L_DAYS_LEFT);
}

static void list_row(cli_table *t, const Luoshi__V1__Problem *p)
{
	char id[24] = "", days[16] = "";
	if (p->has_id)
		snprintf(id, sizeof id, "%" PRId64, p->id);
	if (p->has_days_left)
		snprintf(days, sizeof days, "%d", (int)p->days_left);
	const char *cells[LIST_COLS] = {id,
	                                p->project_name ? p->project_name : p->project_code,
	                                p->title,
	                                group_show(p->has_group, p->group),
	                                status_show(p),
	                                holder(p),
	                                p->due_date,
	                                days};
	cli_table_add(t, cells);
}

static void list_row_msg(cli_table *t, const ProtobufCMessage *m)
{
	list_row(t, (const Luoshi__V1__Problem *)m);
}

/* ---- shared option handling -------------------------------------------------------- */

/* The problem's ID, the first argument after the options; with text, the
 * one argument after it too (a note). */
static int id_arg(cli_ctx *ctx, int argc, char **argv, int64_t *id, char **text)
{
	if (optind >= argc)
		return cli_usage_error(ctx, _("no problem ID given"));
	int want = text != NULL ? 2 : 1;
	if (text != NULL && argc - optind < 2)
		return cli_usage_error(ctx, _("no note text given"));
	if (argc - optind > want)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + want]);
	long long v;
	if (!cli_parse_int(argv[optind], 1, INT64_MAX, &v))
		return cli_usage_error(ctx, _("the problem ID must be a positive number, not '%s'"),
		                       argv[optind]);
	*id = v;
	if (text != NULL)
		*text = argv[optind + 1];
	return LS_OK;
}

/* Sends one write and prints the problem it answers with, after a line
 * saying what happened (a format taking the ID). */
static int write_problem(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                         const char *key, const char *what)
{
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, method, req, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		/* Every write answers with the problem in a field named
		 * "problem". */
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "problem");
		const Luoshi__V1__Problem *p =
		    f ? *(Luoshi__V1__Problem *const *)((const char *)m + f->offset) : NULL;
		if (p != NULL) {
			printf(what, (long long)p->id);
			cli_table *t = cli_table_alloc(2, NULL);
			problem_rows(t, p);
			cli_table_print(t, stdout, 0);
			cli_table_free(t);
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- raise ------------------------------------------------------------------------- */

static int run_raise(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_TITLE, OPT_DETAIL, OPT_GROUP, OPT_DUE };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"title", required_argument, NULL, OPT_TITLE},
	    {"detail", required_argument, NULL, OPT_DETAIL},
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"due", required_argument, NULL, OPT_DUE},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__RaiseProblemRequest req = LUOSHI__V1__RAISE_PROBLEM_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi problem raise --project PROJECT --title TEXT\n"
			    "                            [--detail TEXT] --group GROUP [--due DATE]\n"
			    "                            [--key KEY]\n"
			    "\n"
			    "Raises a problem on a project. The server routes it to the support\n"
			    "group of its group in the project's district, or to the district\n"
			    "office for \"other\". The project's town, its lead and contributing\n"
			    "units, its lead leader and an admin may raise problems on it.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  the project's code or unique name\n"
			    "  --title TEXT       the problem in a line (at most 200 bytes)\n"
			    "  --detail TEXT      more about it (at most 2,000 bytes)\n"
			    "  --group GROUP      coordination (综合协调), approval (审批服务),\n"
			    "                     funding (资金保障), clearance (征迁清零) or other\n"
			    "  --due DATE         when it must be solved (YYYY-MM-DD, today or\n"
			    "                     later)\n"
			    "  --key KEY          the idempotency key, to retry an earlier raise\n"
			    "                     safely\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_TITLE:
			req.title = optarg;
			break;
		case OPT_DETAIL:
			req.detail = optarg;
			break;
		case OPT_GROUP:
			if (group_option(ctx, optarg, &req.has_group, &req.group) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		case OPT_DUE:
			req.due_date = optarg;
			break;
		case CLI_OPT_KEY:
			if (cli_key_option(ctx, optarg, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	if (req.project == NULL)
		return cli_usage_error(ctx, _("--project is required"));
	if (req.title == NULL)
		return cli_usage_error(ctx, _("--title is required"));
	if (!req.has_group)
		return cli_usage_error(ctx, _("--group is required (one of coordination, approval, "
		                              "funding, clearance, other)"));
	return write_problem(ctx, M_RAISE, &req.base, key, _("Problem %lld is raised.\n"));
}

/* ---- assign ------------------------------------------------------------------------ */

static int run_assign(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_TO = CLI_OPT_FIRST_LOCAL, OPT_UNIT, OPT_PERSON };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"to", required_argument, NULL, OPT_TO},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"person", required_argument, NULL, OPT_PERSON},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__AssignProblemRequest req = LUOSHI__V1__ASSIGN_PROBLEM_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi problem assign ID --to unit:UNIT|person:PERSON [--key KEY]\n"
			    "       luoshi problem assign ID --unit UNIT|--person PERSON [--key KEY]\n"
			    "\n"
			    "Hands an open problem on to a unit, or to a leader who takes it as a\n"
			    "personal case (包案). The unit it is routed to, the project's lead\n"
			    "leader and an admin may assign it; any leader may take it himself.\n"
			    "\n"
			    "Options:\n"
			    "  --to unit:UNIT      the unit, by code or unique name\n"
			    "  --to person:PERSON  the person, by code or unique name\n"
			    "  --unit UNIT         the same as --to unit:UNIT\n"
			    "  --person PERSON     the same as --to person:PERSON\n"
			    "  --key KEY           the idempotency key, to retry safely\n"));
		case OPT_TO:
			if (strncmp(optarg, "unit:", 5) == 0 && optarg[5] != '\0')
				req.unit = optarg + 5;
			else if (strncmp(optarg, "person:", 7) == 0 && optarg[7] != '\0')
				req.person = optarg + 7;
			else
				return cli_usage_error(
				    ctx, _("--to takes unit:UNIT or person:PERSON, not '%s'"),
				    optarg);
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_PERSON:
			req.person = optarg;
			break;
		case CLI_OPT_KEY:
			if (cli_key_option(ctx, optarg, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	int64_t id;
	if (id_arg(ctx, argc, argv, &id, NULL) != LS_OK)
		return CLI_EXIT_USAGE;
	if (req.unit == NULL && req.person == NULL)
		return cli_usage_error(ctx, _("say to whom: --to unit:UNIT or --to person:PERSON"));
	if (req.unit != NULL && req.person != NULL)
		return cli_usage_error(ctx, _("give a unit or a person, not both"));
	req.has_id = 1;
	req.id = id;
	return write_problem(ctx, M_ASSIGN, &req.base, key, _("Problem %lld is assigned.\n"));
}

/* ---- note, resolve, reopen, escalate ----------------------------------------------- */

static int run_note(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi problem note ID TEXT [--key KEY]\n"
			      "\n"
			      "Adds a note to a problem's history: what was done, who was met.\n"
			      "Those it is routed or assigned to, its raiser, the lead leader and\n"
			      "an admin may.\n"
			      "\n"
			      "Options:\n"
			      "  --key KEY  the idempotency key, to retry safely\n"));
		case CLI_OPT_KEY:
			if (cli_key_option(ctx, optarg, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	int64_t id;
	char *text;
	if (id_arg(ctx, argc, argv, &id, &text) != LS_OK)
		return CLI_EXIT_USAGE;
	Luoshi__V1__AddProblemNoteRequest req = LUOSHI__V1__ADD_PROBLEM_NOTE_REQUEST__INIT;
	req.has_id = 1;
	req.id = id;
	req.text = text;
	return write_problem(ctx, M_NOTE, &req.base, key, _("A note is added to problem %lld.\n"));
}

/* resolve, reopen and escalate: an ID and one required text option. */
typedef struct text_write {
	const char *option; /* "resolution" */
	const char *help;   /* translated */
	const char *method;
	const char *done_fmt; /* translated, takes the ID */
	const ProtobufCMessageDescriptor *desc;
	const char *field; /* the request's text field */
} text_write;

static int run_text_write(cli_ctx *ctx, int argc, char **argv, const text_write *w)
{
	enum { OPT_TEXT = CLI_OPT_FIRST_LOCAL };
	const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {w->option, required_argument, NULL, OPT_TEXT},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	const char *key = CLI_FRESH_KEY;
	char *text = NULL;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(w->help);
		case OPT_TEXT:
			text = optarg;
			break;
		case CLI_OPT_KEY:
			if (cli_key_option(ctx, optarg, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	int64_t id;
	if (id_arg(ctx, argc, argv, &id, NULL) != LS_OK)
		return CLI_EXIT_USAGE;
	if (text == NULL)
		return cli_usage_error(
		    ctx, cli_pgettext("problem", NC_("problem", "--%s is required")), w->option);
	/* The three requests are {id = 1, text = 2}: set them through the
	 * descriptor. */
	ProtobufCMessage *req = cli_xmalloc(w->desc->sizeof_message);
	protobuf_c_message_init(w->desc, req);
	const ProtobufCFieldDescriptor *fid =
	    protobuf_c_message_descriptor_get_field_by_name(w->desc, "id");
	const ProtobufCFieldDescriptor *ftext =
	    protobuf_c_message_descriptor_get_field_by_name(w->desc, w->field);
	*(protobuf_c_boolean *)(void *)((char *)req + fid->quantifier_offset) = 1;
	*(int64_t *)(void *)((char *)req + fid->offset) = id;
	*(char **)(void *)((char *)req + ftext->offset) = text;
	int rc = write_problem(ctx, w->method, req, key, w->done_fmt);
	free(req);
	return rc;
}

static int run_resolve(cli_ctx *ctx, int argc, char **argv)
{
	text_write w = {
	    .option = "resolution",
	    .help = _("Usage: luoshi problem resolve ID --resolution TEXT [--key KEY]\n"
	              "\n"
	              "Closes a problem (销号) with how it was solved. The unit it is routed\n"
	              "or assigned to, the leader who took it, the project's lead leader\n"
	              "and an admin may.\n"
	              "\n"
	              "Options:\n"
	              "  --resolution TEXT  how it was solved (at most 2,000 bytes)\n"
	              "  --key KEY          the idempotency key, to retry safely\n"),
	    .method = M_RESOLVE,
	    .done_fmt = _("Problem %lld is resolved.\n"),
	    .desc = &luoshi__v1__resolve_problem_request__descriptor,
	    .field = "resolution",
	};
	return run_text_write(ctx, argc, argv, &w);
}

static int run_reopen(cli_ctx *ctx, int argc, char **argv)
{
	text_write w = {
	    .option = "reason",
	    .help = _("Usage: luoshi problem reopen ID --reason TEXT [--key KEY]\n"
	              "\n"
	              "Opens a resolved problem again, when the resolution did not hold.\n"
	              "The unit that raised it and an admin may.\n"
	              "\n"
	              "Options:\n"
	              "  --reason TEXT  why (at most 2,000 bytes)\n"
	              "  --key KEY      the idempotency key, to retry safely\n"),
	    .method = M_REOPEN,
	    .done_fmt = _("Problem %lld is open again.\n"),
	    .desc = &luoshi__v1__reopen_problem_request__descriptor,
	    .field = "reason",
	};
	return run_text_write(ctx, argc, argv, &w);
}

static int run_escalate(cli_ctx *ctx, int argc, char **argv)
{
	text_write w = {
	    .option = "reason",
	    .help = _("Usage: luoshi problem escalate ID --reason TEXT [--key KEY]\n"
	              "\n"
	              "Escalates an open problem to the district office, beside the unit\n"
	              "it is routed to. Those who may add a note may escalate.\n"
	              "\n"
	              "Options:\n"
	              "  --reason TEXT  why (at most 2,000 bytes)\n"
	              "  --key KEY      the idempotency key, to retry safely\n"),
	    .method = M_ESCALATE,
	    .done_fmt = _("Problem %lld is escalated.\n"),
	    .desc = &luoshi__v1__escalate_problem_request__descriptor,
	    .field = "reason",
	};
	return run_text_write(ctx, argc, argv, &w);
}

/* ---- list ---------------------------------------------------------------------------- */

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_OPEN = CLI_OPT_FIRST_LOCAL,
		OPT_OVERDUE,
		OPT_GROUP,
		OPT_LEADER,
		OPT_TOWN,
		OPT_PROJECT,
		OPT_AS_OF,
		OPT_LIMIT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"open", no_argument, NULL, OPT_OPEN},
	    {"overdue", no_argument, NULL, OPT_OVERDUE},
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {"town", required_argument, NULL, OPT_TOWN},
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListProblemsRequest base = LUOSHI__V1__LIST_PROBLEMS_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi problem list [--open] [--overdue] [--group GROUP]\n"
			    "                           [--leader PERSON] [--town TOWN]\n"
			    "                           [--project PROJECT] [--as-of DATE]\n"
			    "                           [--limit N]\n"
			    "\n"
			    "Lists the problems you may read: those of the projects you see, and\n"
			    "those routed or assigned to you, page by page until the end.\n"
			    "\n"
			    "Options:\n"
			    "  --open             only open problems\n"
			    "  --overdue          only open problems due before the day (--as-of)\n"
			    "  --group GROUP      coordination, approval, funding, clearance or\n"
			    "                     other\n"
			    "  --leader PERSON    the problems of the projects this leader leads,\n"
			    "                     and the cases he took\n"
			    "  --town TOWN        the problems of the projects in this town\n"
			    "  --project PROJECT  the problems of this project\n"
			    "  --as-of DATE       the day to count overdue and days left from\n"
			    "                     (YYYY-MM-DD); by default today\n"
			    "  --limit N          stop after N problems\n"));
		case OPT_OPEN:
			base.has_open_only = 1;
			base.open_only = 1;
			break;
		case OPT_OVERDUE:
			base.has_overdue_only = 1;
			base.overdue_only = 1;
			break;
		case OPT_GROUP:
			if (group_option(ctx, optarg, &base.has_group, &base.group) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		case OPT_LEADER:
			base.leader = optarg;
			break;
		case OPT_TOWN:
			base.town = optarg;
			break;
		case OPT_PROJECT:
			base.project = optarg;
			break;
		case OPT_AS_OF:
			base.as_of = optarg;
			break;
		case OPT_LIMIT:
			if (!cli_parse_int(optarg, 1, INT32_MAX, &limit))
				return cli_usage_error(
				    ctx, _("--limit takes a positive number, not '%s'"), optarg);
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);

	const char *headers[LIST_COLS];
	list_headers(headers);
	return cli_list(ctx, M_LIST, &base.base, "problems", limit, LIST_COLS, headers,
	                list_row_msg, _("No problems."));
}

/* ---- show ------------------------------------------------------------------------------ */

static const char *event_show(const char *kind)
{
	return kind ? cli_pgettext("problem event", kind) : "";
}

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_help(
			    _("Usage: luoshi problem show ID\n"
			      "\n"
			      "Shows a problem and its whole history: raised, assigned,\n"
			      "notes, escalated, resolved, reopened, oldest first.\n"));
		return CLI_EXIT_USAGE;
	}
	int64_t id;
	if (id_arg(ctx, argc, argv, &id, NULL) != LS_OK)
		return CLI_EXIT_USAGE;
	Luoshi__V1__GetProblemRequest req = LUOSHI__V1__GET_PROBLEM_REQUEST__INIT;
	req.has_id = 1;
	req.id = id;
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_GET, &req.base, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__GetProblemResponse *r = (Luoshi__V1__GetProblemResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		if (r->problem != NULL) {
			cli_table *t = cli_table_alloc(2, NULL);
			problem_rows(t, r->problem);
			cli_table_print(t, stdout, 0);
			cli_table_free(t);
		}
		printf("\n%s (%zu)\n", label(L_HISTORY), r->n_history);
		if (r->n_history > 0) {
			const char *headers[] = {label(L_TIME), label(L_ACCOUNT), label(L_EVENT),
			                         label(L_TEXT)};
			cli_table *h = cli_table_alloc(4, headers);
			for (size_t i = 0; i < r->n_history; i++) {
				const Luoshi__V1__ProblemEvent *e = r->history[i];
				const char *cells[] = {e->at, e->account_name, event_show(e->kind),
				                       e->text};
				cli_table_add(h, cells);
			}
			cli_table_print(h, stdout, 2);
			cli_table_free(h);
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- stats ------------------------------------------------------------------------------ */

/* The headers of the counts, in the context "problem stats". */
static const char *const stats_labels[] = {
    NC_("problem stats", "Group"),    NC_("problem stats", "Raised"),
    NC_("problem stats", "Resolved"), NC_("problem stats", "Open"),
    NC_("problem stats", "Overdue"),  NC_("problem stats", "Resolution rate"),
    NC_("problem stats", "Overall"),
};

static const char *stats_label(size_t i)
{
	return cli_pgettext("problem stats", stats_labels[i]);
}

/* 818‰ -> "81.8%"; no rate without a problem. */
static void rate_text(const Luoshi__V1__ProblemCounts *k, char *buf, size_t n)
{
	if (!k->has_rate_permille)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%u.%u%%", k->rate_permille / 10, k->rate_permille % 10);
}

static void stats_row(cli_table *t, const char *name, const Luoshi__V1__ProblemCounts *k)
{
	char raised[16], resolved[16], open[16], overdue[16], rate[16];
	snprintf(raised, sizeof raised, "%u", k->raised);
	snprintf(resolved, sizeof resolved, "%u", k->resolved);
	snprintf(open, sizeof open, "%u", k->open);
	snprintf(overdue, sizeof overdue, "%u", k->overdue);
	rate_text(k, rate, sizeof rate);
	const char *cells[] = {name, raised, resolved, open, overdue, rate};
	cli_table_add(t, cells);
}

static int run_stats(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_AS_OF = CLI_OPT_FIRST_LOCAL, OPT_TOWN, OPT_LEADER };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"town", required_argument, NULL, OPT_TOWN},
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ProblemStatsRequest req = LUOSHI__V1__PROBLEM_STATS_REQUEST__INIT;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi problem stats [--as-of DATE] [--town TOWN]\n"
			    "                            [--leader PERSON]\n"
			    "\n"
			    "Counts the problems raised by a day, per group and overall: how many\n"
			    "were resolved by then, how many are open and how many overdue, and\n"
			    "the resolution rate (resolved of raised).\n"
			    "\n"
			    "Options:\n"
			    "  --as-of DATE     the day (YYYY-MM-DD); by default today\n"
			    "  --town TOWN      only the projects in this town\n"
			    "  --leader PERSON  only the projects this leader leads, and his cases\n"));
		case OPT_AS_OF:
			req.as_of = optarg;
			break;
		case OPT_TOWN:
			req.town = optarg;
			break;
		case OPT_LEADER:
			req.leader = optarg;
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
	rc = cli_call(client, M_STATS, &req.base, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__ProblemStatsResponse *r = (Luoshi__V1__ProblemStatsResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		const char *headers[6];
		for (size_t i = 0; i < 6; i++)
			headers[i] = stats_label(i);
		cli_table *t = cli_table_alloc(6, headers);
		for (size_t i = 0; i < r->n_groups; i++)
			stats_row(t, group_show(r->groups[i]->has_group, r->groups[i]->group),
			          r->groups[i]);
		if (r->overall != NULL)
			stats_row(t, stats_label(6), r->overall);
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- the group ---------------------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"raise", run_raise, N_("raise a problem on a project")},
    {"assign", run_assign, N_("hand a problem to a unit, or to a leader as his case")},
    {"note", run_note, N_("add a note to a problem's history")},
    {"resolve", run_resolve, N_("close a problem with its resolution (销号)")},
    {"reopen", run_reopen, N_("open a resolved problem again")},
    {"escalate", run_escalate, N_("escalate a problem to the district office")},
    {"list", run_list, N_("list problems, with filters")},
    {"show", run_show, N_("show a problem and its history")},
    {"stats", run_stats, N_("count problems and the resolution rate per group")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi problem SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Problems, listed and closed one by one (销号管理). A raised problem is\n"
	        "routed to one of the four support groups (综合协调, 审批服务, 资金保障,\n"
	        "征迁清零), or to the district office as \"other\"; it may be handed to a\n"
	        "unit or taken by a leader as a personal case (包案), and is closed with\n"
	        "its resolution.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi problem SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_problem(cli_ctx *ctx, int argc, char **argv)
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
