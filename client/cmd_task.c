/* `luoshi task add|edit|list|done`: the concrete tasks of the projects,
 * the unit that does each (分工) and the person who answers for it (责任)
 * (ScheduleService). An admin writes tasks; a task's unit may change its
 * status. The server checks who may do what. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/schedule.pb-c.h"
#include "output.h"

#define M_CREATE "/luoshi.v1.ScheduleService/CreateTask"
#define M_UPDATE "/luoshi.v1.ScheduleService/UpdateTask"
#define M_LIST "/luoshi.v1.ScheduleService/ListTasks"

/* The most rows one ListTasks page may ask for. */
#define CLI_MAX_PAGE 1000

/* ---- statuses ----------------------------------------------------------------- */

/* As the command line spells them, in the order of TaskStatus. */
static const char *const status_args[] = {NULL, "open", "done", "cancelled"};
static const char *const status_names[] = {NULL, N_("open"), N_("done"), N_("cancelled")};

static int status_from_arg(const char *s)
{
	for (int i = 1; i < 4; i++)
		if (strcmp(status_args[i], s) == 0)
			return i;
	return 0;
}

static const char *status_text(const Luoshi__V1__Task *t)
{
	if (!t->has_status || t->status < 1 || t->status > 3)
		return "";
	return _(status_names[t->status]);
}

/* ---- output ----------------------------------------------------------------- */

static void code_name(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

static void task_rows(cli_table *t, const Luoshi__V1__Task *k)
{
	char buf[512];
	if (k->has_id)
		cli_table_kvf(t, _("Task ID"), "%" PRId64, k->id);
	code_name(k->project_code, k->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	cli_table_kv(t, _("Task"), k->description);
	code_name(k->unit_code, k->unit_name, buf, sizeof buf);
	cli_table_kv(t, _("Unit"), buf);
	if (k->person_code != NULL || k->person_name != NULL) {
		code_name(k->person_code, k->person_name, buf, sizeof buf);
		cli_table_kv(t, _("Person"), buf);
	}
	cli_table_kv(t, _("Due"), k->due_date);
	cli_table_kv(t, _("Status"), status_text(k));
	if (k->done_date != NULL)
		cli_table_kv(t, _("Done on"), k->done_date);
	if (k->has_days_left && k->has_status && k->status == LUOSHI__V1__TASK_STATUS__TASK_OPEN)
		cli_table_kvf(t, _("Days left"), "%d", (int)k->days_left);
}

#define TASK_COLS 8

static void task_headers(const char *headers[TASK_COLS])
{
	headers[0] = _("ID");
	headers[1] = _("Project");
	headers[2] = _("Task");
	headers[3] = _("Unit");
	headers[4] = _("Person");
	headers[5] = _("Due");
	headers[6] = _("Days left");
	headers[7] = _("Status");
}

static void task_add_row(cli_table *t, const Luoshi__V1__Task *k)
{
	char id[24] = "", days[16] = "";
	if (k->has_id)
		snprintf(id, sizeof id, "%" PRId64, k->id);
	if (k->has_days_left && k->has_status && k->status == LUOSHI__V1__TASK_STATUS__TASK_OPEN)
		snprintf(days, sizeof days, "%d", (int)k->days_left);
	const char *cells[TASK_COLS] = {id,
	                                k->project_name ? k->project_name : k->project_code,
	                                k->description,
	                                k->unit_name ? k->unit_name : k->unit_code,
	                                k->person_name ? k->person_name : k->person_code,
	                                k->due_date,
	                                days,
	                                status_text(k)};
	cli_table_add(t, cells);
}

static void task_add_row_msg(cli_table *t, const ProtobufCMessage *m)
{
	task_add_row(t, (const Luoshi__V1__Task *)m);
}

/* ---- shared option handling ----------------------------------------------------- */

static int status_option(cli_ctx *ctx, protobuf_c_boolean *has, Luoshi__V1__TaskStatus *status)
{
	int s = status_from_arg(optarg);
	if (s == 0)
		return cli_usage_error(ctx, _("--status takes open, done or cancelled, not '%s'"),
		                       optarg);
	*has = 1;
	*status = (Luoshi__V1__TaskStatus)s;
	return LS_OK;
}

static int task_id_arg(cli_ctx *ctx, int argc, char **argv, int64_t *id)
{
	if (optind >= argc)
		return cli_usage_error(ctx, _("no task ID given"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	long long v;
	if (!cli_parse_int(argv[optind], 1, INT64_MAX, &v))
		return cli_usage_error(ctx, _("the task ID must be a positive number, not '%s'"),
		                       argv[optind]);
	*id = v;
	return LS_OK;
}

/* Sends one write and prints the task it answers with. */
static int write_task(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
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
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		/* Every task write answers with the task in a field named "task". */
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "task");
		const Luoshi__V1__Task *k =
		    f ? *(Luoshi__V1__Task *const *)((const char *)m + f->offset) : NULL;
		if (k != NULL) {
			cli_table *t = cli_table_alloc(2, NULL);
			task_rows(t, k);
			cli_table_print(t, stdout, 0);
			cli_table_free(t);
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- add ------------------------------------------------------------------------- */

static int run_add(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_DESCRIPTION, OPT_UNIT, OPT_PERSON, OPT_DUE };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"description", required_argument, NULL, OPT_DESCRIPTION},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"person", required_argument, NULL, OPT_PERSON},
	    {"due", required_argument, NULL, OPT_DUE},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__CreateTaskRequest req = LUOSHI__V1__CREATE_TASK_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi task add --project PROJECT --description TEXT --unit UNIT\n"
			    "                       [--person PERSON] --due DATE [--key KEY]\n"
			    "\n"
			    "Adds a task to a project. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT   the project's code or unique name\n"
			    "  --description TEXT  what is to be done (at most 2,000 bytes)\n"
			    "  --unit UNIT         the unit that does it (分工)\n"
			    "  --person PERSON     the person who answers for it (责任)\n"
			    "  --due DATE          when it is due (YYYY-MM-DD)\n"
			    "  --key KEY           the idempotency key, to retry an earlier add\n"
			    "                      safely\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_DESCRIPTION:
			req.description = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_PERSON:
			req.person = optarg;
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
	return write_task(ctx, M_CREATE, &req.base, key);
}

/* ---- edit, done ----------------------------------------------------------------- */

static int run_edit(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_DESCRIPTION = CLI_OPT_FIRST_LOCAL, OPT_UNIT, OPT_PERSON, OPT_DUE, OPT_STATUS };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"description", required_argument, NULL, OPT_DESCRIPTION},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"person", required_argument, NULL, OPT_PERSON},
	    {"due", required_argument, NULL, OPT_DUE},
	    {"status", required_argument, NULL, OPT_STATUS},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__UpdateTaskRequest req = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi task edit ID [--description TEXT] [--unit UNIT]\n"
			      "                       [--person PERSON] [--due DATE]\n"
			      "                       [--status open|done|cancelled] [--key KEY]\n"
			      "\n"
			      "Changes a task. An admin may change anything; the task's unit may\n"
			      "change only its status.\n"
			      "\n"
			      "Options:\n"
			      "  --description TEXT  what is to be done\n"
			      "  --unit UNIT         the unit that does it\n"
			      "  --person PERSON     the person who answers for it; \"\" for none\n"
			      "  --due DATE          when it is due (YYYY-MM-DD)\n"
			      "  --status STATUS     open, done or cancelled\n"
			      "  --key KEY           the idempotency key, to retry safely\n"));
		case OPT_DESCRIPTION:
			req.description = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_PERSON:
			req.person = optarg;
			break;
		case OPT_DUE:
			req.due_date = optarg;
			break;
		case OPT_STATUS:
			if (status_option(ctx, &req.has_status, &req.status) != LS_OK)
				return CLI_EXIT_USAGE;
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
	if (task_id_arg(ctx, argc, argv, &id) != LS_OK)
		return CLI_EXIT_USAGE;
	if (req.description == NULL && req.unit == NULL && req.person == NULL &&
	    req.due_date == NULL && !req.has_status)
		return cli_usage_error(
		    ctx, _("nothing to change: give --description, --unit, --person, --due or "
		           "--status"));
	req.has_id = 1;
	req.id = id;
	return write_task(ctx, M_UPDATE, &req.base, key);
}

static int run_done(cli_ctx *ctx, int argc, char **argv)
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
			    _("Usage: luoshi task done ID [--key KEY]\n"
			      "\n"
			      "Marks a task done today. An admin or the task's unit may.\n"
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
	if (task_id_arg(ctx, argc, argv, &id) != LS_OK)
		return CLI_EXIT_USAGE;
	Luoshi__V1__UpdateTaskRequest req = LUOSHI__V1__UPDATE_TASK_REQUEST__INIT;
	req.has_id = 1;
	req.id = id;
	req.has_status = 1;
	req.status = LUOSHI__V1__TASK_STATUS__TASK_DONE;
	return write_task(ctx, M_UPDATE, &req.base, key);
}

/* ---- list ------------------------------------------------------------------------ */

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_UNIT,
		OPT_PERSON,
		OPT_STATUS,
		OPT_AS_OF,
		OPT_LIMIT
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"person", required_argument, NULL, OPT_PERSON},
	    {"status", required_argument, NULL, OPT_STATUS},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListTasksRequest base = LUOSHI__V1__LIST_TASKS_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi task list [--project PROJECT] [--unit UNIT]\n"
			    "                        [--person PERSON] [--status open|done|cancelled]\n"
			    "                        [--as-of DATE] [--limit N]\n"
			    "\n"
			    "Lists the tasks of the projects you may read, by due date, page by\n"
			    "page until the end.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  only this project's tasks\n"
			    "  --unit UNIT        only the tasks this unit does\n"
			    "  --person PERSON    only the tasks this person answers for\n"
			    "  --status STATUS    only open, done or cancelled tasks\n"
			    "  --as-of DATE       the day to count days left from; by default today\n"
			    "  --limit N          stop after N tasks\n"));
		case OPT_PROJECT:
			base.project = optarg;
			break;
		case OPT_UNIT:
			base.unit = optarg;
			break;
		case OPT_PERSON:
			base.person = optarg;
			break;
		case OPT_STATUS:
			if (status_option(ctx, &base.has_status, &base.status) != LS_OK)
				return CLI_EXIT_USAGE;
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

	const char *headers[TASK_COLS];
	task_headers(headers);
	return cli_list(ctx, M_LIST, &base.base, "tasks", limit, TASK_COLS, headers,
	                task_add_row_msg, _("No tasks."));
}

/* ---- the group ---------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"add", run_add, N_("add a task to a project")},
    {"edit", run_edit, N_("change a task, or its status")},
    {"list", run_list, N_("list tasks, by due date")},
    {"done", run_done, N_("mark a task done")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi task SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "The tasks of the projects: what is to be done, the unit that does it\n"
	        "(分工), the person who answers for it (责任), when, and its status.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi task SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_task(cli_ctx *ctx, int argc, char **argv)
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
