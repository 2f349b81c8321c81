/* `luoshi node add|edit|list|done|undone|plan`: the nodes (milestones, 节点)
 * of the projects' plans (ScheduleService). An admin plans; a town or a
 * department marks its nodes done. The server checks who may do what. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/schedule.pb-c.h"
#include "output.h"

#define M_CREATE "/luoshi.v1.ScheduleService/CreateNode"
#define M_UPDATE "/luoshi.v1.ScheduleService/UpdateNode"
#define M_SET_DONE "/luoshi.v1.ScheduleService/SetNodeDone"
#define M_LIST "/luoshi.v1.ScheduleService/ListNodes"
#define M_PLAN "/luoshi.v1.ScheduleService/PlanNodes"

/* The most rows one ListNodes page may ask for. */
#define CLI_MAX_PAGE 1000

/* The separators of --steps: ASCII and fullwidth, as a Chinese keyboard
 * types them. */
#define FULLWIDTH_COMMA "\xef\xbc\x8c" /* ， */
#define FULLWIDTH_COLON "\xef\xbc\x9a" /* ： */

/* ---- output ----------------------------------------------------------------- */

/* "CODE 名称" from a code and a name, either of which may be absent. */
static void code_name(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

static void node_rows(cli_table *t, const Luoshi__V1__Node *n)
{
	char buf[512];
	if (n->has_id)
		cli_table_kvf(t, _("Node ID"), "%" PRId64, n->id);
	code_name(n->project_code, n->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	cli_table_kv(t, _("Node"), n->name);
	cli_table_kv(t, _("Due"), n->due_date);
	code_name(n->owner_unit_code, n->owner_unit_name, buf, sizeof buf);
	cli_table_kv(t, _("Owner"), buf);
	if (n->has_done && n->done)
		cli_table_kvf(t, _("Status"), _("done on %s"), n->done_date ? n->done_date : "");
	else
		cli_table_kv(t, _("Status"), _("open"));
	if (n->has_days_left && !(n->has_done && n->done))
		cli_table_kvf(t, _("Days left"), "%d", (int)n->days_left);
}

/* Prints the node of a write's response. */
static int print_node(const cli_ctx *ctx, const ProtobufCMessage *resp, const Luoshi__V1__Node *n)
{
	if (ctx->json)
		return cli_print_message_json(resp);
	if (n == NULL)
		return LS_OK;
	cli_table *t = cli_table_alloc(2, NULL);
	node_rows(t, n);
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
	return LS_OK;
}

/* The columns of a list of nodes. */
#define NODE_COLS 7

static void node_headers(const char *headers[NODE_COLS])
{
	headers[0] = _("ID");
	headers[1] = _("Project");
	headers[2] = _("Node");
	headers[3] = _("Due");
	headers[4] = _("Days left");
	headers[5] = _("Owner");
	headers[6] = _("Done");
}

static void node_add_row(cli_table *t, const Luoshi__V1__Node *n)
{
	char id[24] = "", days[16] = "";
	bool done = n->has_done && n->done;
	if (n->has_id)
		snprintf(id, sizeof id, "%" PRId64, n->id);
	if (n->has_days_left && !done)
		snprintf(days, sizeof days, "%d", (int)n->days_left);
	const char *cells[NODE_COLS] = {id,
	                                n->project_name ? n->project_name : n->project_code,
	                                n->name,
	                                n->due_date,
	                                days,
	                                n->owner_unit_name ? n->owner_unit_name
	                                                   : n->owner_unit_code,
	                                done ? n->done_date : NULL};
	cli_table_add(t, cells);
}

static void node_add_row_msg(cli_table *t, const ProtobufCMessage *m)
{
	node_add_row(t, (const Luoshi__V1__Node *)m);
}

/* ---- shared option handling ----------------------------------------------------- */

/* The one node ID argument at argv[optind]. */
static int node_id_arg(cli_ctx *ctx, int argc, char **argv, int64_t *id)
{
	if (optind >= argc)
		return cli_usage_error(ctx, _("no node ID given"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	long long v;
	if (!cli_parse_int(argv[optind], 1, INT64_MAX, &v))
		return cli_usage_error(ctx, _("the node ID must be a positive number, not '%s'"),
		                       argv[optind]);
	*id = v;
	return LS_OK;
}

/* Sends one write and prints the node it answers with. */
static int write_node(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                      const char *key)
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
	/* Every node write answers with the node in a field named "node". */
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "node");
	const Luoshi__V1__Node *n =
	    f ? *(Luoshi__V1__Node *const *)((const char *)m + f->offset) : NULL;
	rc = print_node(ctx, m, n);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- add ------------------------------------------------------------------------- */

static int run_add(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_NAME, OPT_DUE, OPT_OWNER };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"due", required_argument, NULL, OPT_DUE},
	    {"owner", required_argument, NULL, OPT_OWNER},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__CreateNodeRequest req = LUOSHI__V1__CREATE_NODE_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi node add --project PROJECT --name NAME --due DATE\n"
			    "                       [--owner UNIT] [--key KEY]\n"
			    "\n"
			    "Adds a node (milestone) to a project's plan. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  the project's code or unique name\n"
			    "  --name NAME        what is reached, such as 主体封顶\n"
			    "  --due DATE         when it is due (YYYY-MM-DD)\n"
			    "  --owner UNIT       the unit that answers for it; by default the\n"
			    "                     project's lead unit\n"
			    "  --key KEY          the idempotency key, to retry an earlier add safely\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_NAME:
			req.name = optarg;
			break;
		case OPT_DUE:
			req.due_date = optarg;
			break;
		case OPT_OWNER:
			req.owner_unit = optarg;
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
	return write_node(ctx, M_CREATE, &req.base, key);
}

/* ---- edit ------------------------------------------------------------------------ */

static int run_edit(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_NAME = CLI_OPT_FIRST_LOCAL, OPT_DUE, OPT_OWNER };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"name", required_argument, NULL, OPT_NAME},
	    {"due", required_argument, NULL, OPT_DUE},
	    {"owner", required_argument, NULL, OPT_OWNER},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__UpdateNodeRequest req = LUOSHI__V1__UPDATE_NODE_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi node edit ID [--name NAME] [--due DATE]\n"
			      "                       [--owner UNIT] [--key KEY]\n"
			      "\n"
			      "Changes a node's name, due date or owner unit. Needs an\n"
			      "admin token.\n"
			      "\n"
			      "Options:\n"
			      "  --name NAME   the new name\n"
			      "  --due DATE    the new due date (YYYY-MM-DD)\n"
			      "  --owner UNIT  the new owner unit's code or unique name\n"
			      "  --key KEY     the idempotency key, to retry safely\n"));
		case OPT_NAME:
			req.name = optarg;
			break;
		case OPT_DUE:
			req.due_date = optarg;
			break;
		case OPT_OWNER:
			req.owner_unit = optarg;
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
	if (node_id_arg(ctx, argc, argv, &id) != LS_OK)
		return CLI_EXIT_USAGE;
	if (req.name == NULL && req.due_date == NULL && req.owner_unit == NULL)
		return cli_usage_error(ctx, _("nothing to change: give --name, --due or --owner"));
	req.has_id = 1;
	req.id = id;
	return write_node(ctx, M_UPDATE, &req.base, key);
}

/* ---- done, undone ------------------------------------------------------------------ */

static int run_mark(cli_ctx *ctx, int argc, char **argv, bool done)
{
	enum { OPT_DATE = CLI_OPT_FIRST_LOCAL };
	static const struct option done_opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"date", required_argument, NULL, OPT_DATE},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	static const struct option undone_opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__SetNodeDoneRequest req = LUOSHI__V1__SET_NODE_DONE_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", done ? done_opts : undone_opts)) != -1) {
		switch (c) {
		case 'h':
			if (done)
				return cli_help(_(
				    "Usage: luoshi node done ID [--date DATE] [--key KEY]\n"
				    "\n"
				    "Marks a node done. An admin, the town the project stands in,\n"
				    "or the department that owns the node may.\n"
				    "\n"
				    "Options:\n"
				    "  --date DATE  the day it was done (YYYY-MM-DD); by default\n"
				    "               today; never a day to come\n"
				    "  --key KEY    the idempotency key, to retry safely\n"));
			return cli_help(_("Usage: luoshi node undone ID [--key KEY]\n"
			                  "\n"
			                  "Marks a node not done again, forgetting the day it was\n"
			                  "done. Who may: as for 'luoshi node done'.\n"
			                  "\n"
			                  "Options:\n"
			                  "  --key KEY  the idempotency key, to retry safely\n"));
		case OPT_DATE:
			req.done_date = optarg;
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
	if (node_id_arg(ctx, argc, argv, &id) != LS_OK)
		return CLI_EXIT_USAGE;
	req.has_id = 1;
	req.id = id;
	req.has_done = 1;
	req.done = done;
	return write_node(ctx, M_SET_DONE, &req.base, key);
}

static int run_done(cli_ctx *ctx, int argc, char **argv)
{
	return run_mark(ctx, argc, argv, true);
}

static int run_undone(cli_ctx *ctx, int argc, char **argv)
{
	return run_mark(ctx, argc, argv, false);
}

/* ---- list ------------------------------------------------------------------------ */

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_OWNER,
		OPT_OPEN,
		OPT_OVERDUE,
		OPT_AS_OF,
		OPT_LIMIT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"owner", required_argument, NULL, OPT_OWNER},
	    {"open", no_argument, NULL, OPT_OPEN},
	    {"overdue", no_argument, NULL, OPT_OVERDUE},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListNodesRequest base = LUOSHI__V1__LIST_NODES_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi node list [--project PROJECT] [--owner UNIT] [--open]\n"
			    "                        [--overdue] [--as-of DATE] [--limit N]\n"
			    "\n"
			    "Lists the nodes of the projects you may read, by due date, page by\n"
			    "page until the end. Days left count from the day given by --as-of.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  only this project's nodes (code or unique name)\n"
			    "  --owner UNIT       only the nodes this unit owns\n"
			    "  --open             only the nodes not done\n"
			    "  --overdue          only the nodes not done and due before the day\n"
			    "  --as-of DATE       the day to count from (YYYY-MM-DD); by default\n"
			    "                     today\n"
			    "  --limit N          stop after N nodes\n"));
		case OPT_PROJECT:
			base.project = optarg;
			break;
		case OPT_OWNER:
			base.owner_unit = optarg;
			break;
		case OPT_OPEN:
			base.has_open_only = 1;
			base.open_only = 1;
			break;
		case OPT_OVERDUE:
			base.has_overdue_only = 1;
			base.overdue_only = 1;
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

	const char *headers[NODE_COLS];
	node_headers(headers);
	return cli_list(ctx, M_LIST, &base.base, "nodes", limit, NODE_COLS, headers,
	                node_add_row_msg, _("No nodes."));
}

/* ---- plan ------------------------------------------------------------------------ */

/* Where the next of the separators a or b (UTF-8 strings) starts in
 * [s, end), or NULL; *len is its length. last: the last one instead. */
static const char *find_sep(const char *s, const char *end, const char *a, const char *b, bool last,
                            size_t *len)
{
	const char *found = NULL;
	size_t la = strlen(a), lb = strlen(b);
	for (const char *p = s; p < end; p++) {
		size_t l = 0;
		if ((size_t)(end - p) >= la && memcmp(p, a, la) == 0)
			l = la;
		else if ((size_t)(end - p) >= lb && memcmp(p, b, lb) == 0)
			l = lb;
		if (l == 0)
			continue;
		found = p;
		*len = l;
		if (!last)
			break;
		p += l - 1;
	}
	return found;
}

/* A copy of [s, end) without the spaces around it. */
static char *trimmed(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t n = (size_t)(end - s);
	char *r = cli_xmalloc(n + 1);
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

typedef struct plan_steps {
	Luoshi__V1__PlanStep *steps;
	Luoshi__V1__PlanStep **ptrs;
	size_t n;
} plan_steps;

static void plan_steps_free(plan_steps *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->steps[i].name);
	free(ps->steps);
	free(ps->ptrs);
}

/* Parses "主体封顶:90,竣工验收:30" (also with ： and ，) into steps. Empty
 * items are skipped; the server checks the names and numbers. */
static int parse_steps(cli_ctx *ctx, const char *text, plan_steps *ps)
{
	size_t cap = 1;
	for (const char *p = text; *p; p++)
		cap += *p == ',' || *p == '\xef';
	ps->steps = cli_xmalloc(cap * sizeof *ps->steps);
	ps->ptrs = cli_xmalloc(cap * sizeof *ps->ptrs);
	ps->n = 0;
	const char *s = text, *text_end = text + strlen(text);
	for (bool more = true; more;) {
		size_t seplen = 0;
		const char *end = find_sep(s, text_end, ",", FULLWIDTH_COMMA, false, &seplen);
		more = end != NULL;
		if (!more)
			end = text_end;
		char *item = trimmed(s, end);
		s = end + seplen;
		if (item[0] == '\0') {
			free(item);
			continue;
		}
		size_t collen = 0;
		const char *item_end = item + strlen(item);
		const char *colon = find_sep(item, item_end, ":", FULLWIDTH_COLON, true, &collen);
		long long days;
		char *days_text = colon ? trimmed(colon + collen, item_end) : NULL;
		if (colon == NULL || !cli_parse_int(days_text, INT32_MIN, INT32_MAX, &days)) {
			int rc = cli_usage_error(
			    ctx,
			    _("step '%s' must read NAME:DAYS, the days a number, as in 主体封顶:90"),
			    item);
			free(days_text);
			free(item);
			return rc;
		}
		Luoshi__V1__PlanStep *st = &ps->steps[ps->n];
		luoshi__v1__plan_step__init(st);
		st->name = trimmed(item, colon);
		st->has_days_before = 1;
		st->days_before = (int32_t)days;
		ps->ptrs[ps->n++] = st;
		free(days_text);
		free(item);
	}
	return LS_OK;
}

static int run_plan(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_FINISH, OPT_STEPS, OPT_OWNER };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"finish", required_argument, NULL, OPT_FINISH},
	    {"steps", required_argument, NULL, OPT_STEPS},
	    {"owner", required_argument, NULL, OPT_OWNER},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__PlanNodesRequest req = LUOSHI__V1__PLAN_NODES_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY, *steps = NULL;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi node plan --project PROJECT [--finish DATE]\n"
			    "                        --steps \"NAME:DAYS,...\" [--owner UNIT]\n"
			    "                        [--key KEY]\n"
			    "\n"
			    "Schedules nodes backwards from the finish date (倒排节点): each step\n"
			    "is due its DAYS before the finish. All the nodes are created, or\n"
			    "none. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  the project's code or unique name\n"
			    "  --finish DATE      the date to count back from (YYYY-MM-DD); by\n"
			    "                     default the project's planned finish\n"
			    "  --steps STEPS      the steps, such as \"主体封顶:90,竣工验收:30\";\n"
			    "                     the Chinese ： and ， serve as well\n"
			    "  --owner UNIT       the unit that owns the nodes; by default the\n"
			    "                     project's lead unit\n"
			    "  --key KEY          the idempotency key, to retry safely\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_FINISH:
			req.finish_date = optarg;
			break;
		case OPT_STEPS:
			steps = optarg;
			break;
		case OPT_OWNER:
			req.owner_unit = optarg;
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
	if (steps == NULL)
		return cli_usage_error(
		    ctx, _("--steps is required, such as \"主体封顶:90,竣工验收:30\""));
	plan_steps ps = {0};
	int rc = parse_steps(ctx, steps, &ps);
	if (rc != LS_OK) {
		plan_steps_free(&ps);
		return rc;
	}
	req.n_steps = ps.n;
	req.steps = ps.ptrs;

	luoshi_client *client;
	rc = cli_open(ctx, &client);
	if (rc != LS_OK) {
		plan_steps_free(&ps);
		return rc;
	}
	ProtobufCMessage *m;
	rc = cli_call(client, M_PLAN, &req.base, key, &m);
	luoshi_client_close(client);
	plan_steps_free(&ps);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__PlanNodesResponse *resp = (Luoshi__V1__PlanNodesResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		char project[512] = "";
		if (resp->n_nodes > 0)
			code_name(resp->nodes[0]->project_code, resp->nodes[0]->project_name,
			          project, sizeof project);
		printf(_("Nodes planned for %s: %zu\n"), project, resp->n_nodes);
		const char *headers[NODE_COLS];
		node_headers(headers);
		cli_table *t = cli_table_alloc(NODE_COLS, headers);
		for (size_t i = 0; i < resp->n_nodes; i++)
			node_add_row(t, resp->nodes[i]);
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- the group ---------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"add", run_add, N_("add a node to a project's plan")},
    {"edit", run_edit, N_("change a node's name, due date or owner")},
    {"list", run_list, N_("list nodes, by due date")},
    {"done", run_done, N_("mark a node done")},
    {"undone", run_undone, N_("mark a node not done")},
    {"plan", run_plan, N_("schedule nodes backwards from the finish date (倒排节点)")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi node SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "The nodes (milestones, 节点) of the projects' plans: each has a due\n"
	        "date, an owner unit, and the day it was done.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi node SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_node(cli_ctx *ctx, int argc, char **argv)
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
