/* `luoshi assignments`: what the caller's own account is assigned, most
 * urgent first: its projects, the nodes overdue and due soon, its open
 * tasks (ScheduleService/GetAssignments). */
#include <inttypes.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "luoshi/v1/schedule.pb-c.h"
#include "luoshi/v1/supervision.pb-c.h"
#include "output.h"

#define M_GET "/luoshi.v1.ScheduleService/GetAssignments"

/* Why a project is the account's, as the server says it; marked for
 * translation in the "why" context. */
static const char *const why_texts[] = {
    NC_("why", "town"),
    NC_("why", "lead unit"),
    NC_("why", "contributing unit"),
    NC_("why", "lead leader"),
};

static const char *why_text(const char *why)
{
	if (why == NULL)
		return "";
	for (size_t i = 0; i < sizeof why_texts / sizeof why_texts[0]; i++)
		if (strcmp(why, why_texts[i]) == 0)
			return cli_pgettext("why", why_texts[i]);
	return why;
}

/* Prints a section's table, indented under its heading, and a note when
 * the server sent fewer rows than it counted. */
static void section_end(cli_table *t, size_t shown, size_t count)
{
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	if (count > shown)
		printf(_("  (%u more not shown)\n"), (unsigned)(count - shown));
}

static void print_projects(const Luoshi__V1__GetAssignmentsResponse *r)
{
	printf(_("Projects (%u)\n"), (unsigned)r->project_count);
	if (r->n_projects == 0)
		return;
	const char *headers[] = {_("Code"), _("Project"), _("Why"), _("Planned finish")};
	cli_table *t = cli_table_alloc(4, headers);
	for (size_t i = 0; i < r->n_projects; i++) {
		const Luoshi__V1__AssignedProject *p = r->projects[i];
		const char *cells[] = {p->code, p->name, why_text(p->why), p->planned_finish};
		cli_table_add(t, cells);
	}
	section_end(t, r->n_projects, r->project_count);
}

static void print_nodes(const char *heading, Luoshi__V1__Node *const *nodes, size_t n,
                        uint32_t count)
{
	fputs(heading, stdout);
	if (n == 0)
		return;
	const char *headers[] = {_("ID"),  _("Project"),   _("Node"),
	                         _("Due"), _("Days left"), _("Owner")};
	cli_table *t = cli_table_alloc(6, headers);
	for (size_t i = 0; i < n; i++) {
		const Luoshi__V1__Node *k = nodes[i];
		char id[24] = "", days[16] = "";
		if (k->has_id)
			snprintf(id, sizeof id, "%" PRId64, k->id);
		if (k->has_days_left)
			snprintf(days, sizeof days, "%d", (int)k->days_left);
		const char *cells[] = {
		    id,      k->project_name ? k->project_name : k->project_code,
		    k->name, k->due_date,
		    days,    k->owner_unit_name ? k->owner_unit_name : k->owner_unit_code};
		cli_table_add(t, cells);
	}
	section_end(t, n, count);
}

static void print_tasks(const Luoshi__V1__GetAssignmentsResponse *r)
{
	printf(_("Open tasks (%u)\n"), (unsigned)r->task_count);
	if (r->n_tasks == 0)
		return;
	const char *headers[] = {_("ID"),     _("Project"), _("Task"),     _("Unit"),
	                         _("Person"), _("Due"),     _("Days left")};
	cli_table *t = cli_table_alloc(7, headers);
	for (size_t i = 0; i < r->n_tasks; i++) {
		const Luoshi__V1__Task *k = r->tasks[i];
		char id[24] = "", days[16] = "";
		if (k->has_id)
			snprintf(id, sizeof id, "%" PRId64, k->id);
		if (k->has_days_left)
			snprintf(days, sizeof days, "%d", (int)k->days_left);
		const char *cells[] = {id,
		                       k->project_name ? k->project_name : k->project_code,
		                       k->description,
		                       k->unit_name ? k->unit_name : k->unit_code,
		                       k->person_name ? k->person_name : k->person_code,
		                       k->due_date,
		                       days};
		cli_table_add(t, cells);
	}
	section_end(t, r->n_tasks, r->task_count);
}

/* The group of a problem as people read it, in the "problem group" context
 * that `luoshi problem` uses. */
static const char *group_text(const Luoshi__V1__Problem *p)
{
	static const char *const names[] = {NULL,      "coordination", "approval",
	                                    "funding", "clearance",    "other"};
	if (!p->has_group || p->group < 1 || p->group > 5)
		return "";
	return cli_pgettext("problem group", names[p->group]);
}

static void print_problems(const Luoshi__V1__GetAssignmentsResponse *r)
{
	/* Labels in the contexts `luoshi problem` uses. */
	static const char *const heading = NC_("assignments", "Open problems (%u)\n");
	static const char *const labels[] = {
	    NC_("problem", "ID"),       NC_("problem", "Project"), NC_("problem", "Problem"),
	    NC_("problem", "Group"),    NC_("problem", "Due"),     NC_("problem", "Days left"),
	    NC_("problem", "Assignee"),
	};
	printf(cli_pgettext("assignments", heading), (unsigned)r->problem_count);
	if (r->n_problems == 0)
		return;
	const char *headers[7];
	for (size_t i = 0; i < 7; i++)
		headers[i] = cli_pgettext("problem", labels[i]);
	cli_table *t = cli_table_alloc(7, headers);
	for (size_t i = 0; i < r->n_problems; i++) {
		const Luoshi__V1__Problem *k = r->problems[i];
		char id[24] = "", days[16] = "";
		if (k->has_id)
			snprintf(id, sizeof id, "%" PRId64, k->id);
		if (k->has_days_left)
			snprintf(days, sizeof days, "%d", (int)k->days_left);
		/* Whoever has it now: a leader's case, a unit, or where it was
		 * routed. */
		const char *who = k->assignee_person_name ? k->assignee_person_name
		                  : k->assignee_unit_name ? k->assignee_unit_name
		                                          : k->routed_unit_name;
		const char *cells[] = {
		    id,          k->project_name ? k->project_name : k->project_code,
		    k->title,    group_text(k),
		    k->due_date, days,
		    who};
		cli_table_add(t, cells);
	}
	section_end(t, r->n_problems, r->problem_count);
}

static void print_rectifications(const Luoshi__V1__GetAssignmentsResponse *r)
{
	printf(_("Open rectification orders (%u)\n"), (unsigned)r->rectification_count);
	if (r->n_rectifications == 0)
		return;
	const char *headers[] = {
	    _("ID"),        _("Project"), _("Rectification order"), _("Inspection group"), _("Due"),
	    _("Days left"), _("Status")};
	cli_table *t = cli_table_alloc(7, headers);
	for (size_t i = 0; i < r->n_rectifications; i++) {
		const Luoshi__V1__Rectification *k = r->rectifications[i];
		char id[24] = "", days[16] = "";
		if (k->has_id)
			snprintf(id, sizeof id, "%" PRId64, k->id);
		if (k->has_days_left)
			snprintf(days, sizeof days, "%d", (int)k->days_left);
		const char *status =
		    k->has_status &&
		            k->status == LUOSHI__V1__RECTIFICATION_STATUS__RECTIFICATION_DONE
		        ? _("done")
		        : _("open");
		const char *cells[] = {
		    id,          k->project_name ? k->project_name : k->project_code,
		    k->text,     k->group_name ? k->group_name : k->group_code,
		    k->due_date, days,
		    status};
		cli_table_add(t, cells);
	}
	section_end(t, r->n_rectifications, r->rectification_count);
}

int cli_cmd_assignments(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_DAYS = CLI_OPT_FIRST_LOCAL, OPT_AS_OF };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"days", required_argument, NULL, OPT_DAYS},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__GetAssignmentsRequest req = LUOSHI__V1__GET_ASSIGNMENTS_REQUEST__INIT;
	long long days;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi assignments [--days N] [--as-of DATE]\n"
			    "\n"
			    "Shows what your account is assigned, most urgent first: the projects\n"
			    "you answer for (the town they stand in, lead or contributing unit,\n"
			    "lead leader), their nodes overdue and due soon, your open tasks, and\n"
			    "the open problems routed or assigned to you (for a leader also those\n"
			    "of the projects you lead), and the open rectification orders that\n"
			    "inspections gave your unit. Days left are negative when overdue.\n"
			    "\n"
			    "Options:\n"
			    "  --days N      the nodes due within N days (1 to 365; by default 14)\n"
			    "  --as-of DATE  the day to count from (YYYY-MM-DD); by default today\n"));
		case OPT_DAYS:
			if (!cli_parse_int(optarg, 0, UINT32_MAX, &days))
				return cli_usage_error(
				    ctx, _("--days takes a number of days, not '%s'"), optarg);
			req.has_days = 1;
			req.days = (uint32_t)days;
			break;
		case OPT_AS_OF:
			req.as_of = optarg;
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
	rc = cli_call(client, M_GET, &req.base, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__GetAssignmentsResponse *r = (Luoshi__V1__GetAssignmentsResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		uint32_t within = req.has_days ? req.days : 14;
		char heading[256];
		print_projects(r);
		putchar('\n');
		snprintf(heading, sizeof heading, _("Overdue nodes (%u)\n"),
		         (unsigned)r->overdue_count);
		print_nodes(heading, r->nodes_overdue, r->n_nodes_overdue, r->overdue_count);
		putchar('\n');
		snprintf(heading, sizeof heading,
		         ngettext("Nodes due within %u day (%u)\n",
		                  "Nodes due within %u days (%u)\n", within),
		         (unsigned)within, (unsigned)r->due_count);
		print_nodes(heading, r->nodes_due, r->n_nodes_due, r->due_count);
		putchar('\n');
		print_tasks(r);
		putchar('\n');
		print_problems(r);
		putchar('\n');
		print_rectifications(r);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}
