/* `luoshi person add|edit|list|show|deactivate`: the people of the
 * registry, the district leaders among them (RegistryService). Every
 * account may list and show the people of its scope; only an admin changes
 * them, and the server checks every rule. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/registry.pb-c.h"
#include "output.h"

#define M_CREATE "/luoshi.v1.RegistryService/CreatePerson"
#define M_UPDATE "/luoshi.v1.RegistryService/UpdatePerson"
#define M_GET "/luoshi.v1.RegistryService/GetPerson"
#define M_LIST "/luoshi.v1.RegistryService/ListPeople"
#define M_DEACTIVATE "/luoshi.v1.RegistryService/DeactivatePerson"

/* The most rows one ListPeople page may ask for. */
#define CLI_MAX_PAGE 1000

/* ---- labels ------------------------------------------------------------------ */

/* Translated in the context "person": other commands use the same words. */
enum label { L_ID, L_CODE, L_NAME, L_TITLE, L_UNIT, L_PHONE, L_STATUS, L_ACTIVE, L_INACTIVE };

static const char *const labels[] = {
    [L_ID] = NC_("person", "ID"),
    [L_CODE] = NC_("person", "Code"),
    [L_NAME] = NC_("person", "Name"),
    [L_TITLE] = NC_("person", "Title"),
    [L_UNIT] = NC_("person", "Unit"),
    [L_PHONE] = NC_("person", "Phone"),
    [L_STATUS] = NC_("person", "Status"),
    [L_ACTIVE] = NC_("person", "active"),
    [L_INACTIVE] = NC_("person", "inactive"),
};

static const char *label(enum label l)
{
	return cli_pgettext("person", labels[l]);
}

/* ---- output ------------------------------------------------------------------- */

static void code_name(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

static void print_person(const Luoshi__V1__Person *p)
{
	cli_table *t = cli_table_alloc(2, NULL);
	char buf[512];
	if (p->has_id)
		cli_table_kvf(t, label(L_ID), "%" PRId64, p->id);
	cli_table_kv(t, label(L_CODE), p->code);
	cli_table_kv(t, label(L_NAME), p->name);
	if (p->title != NULL)
		cli_table_kv(t, label(L_TITLE), p->title);
	code_name(p->unit_code, p->unit_name, buf, sizeof buf);
	cli_table_kv(t, label(L_UNIT), buf);
	if (p->phone != NULL)
		cli_table_kv(t, label(L_PHONE), p->phone);
	cli_table_kv(t, label(L_STATUS), label(p->active ? L_ACTIVE : L_INACTIVE));
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

static void show_person(const ProtobufCMessage *row)
{
	print_person((const Luoshi__V1__Person *)row);
}

/* Calls method and prints the person of the answer, after a line saying
 * what happened (a format taking the person's code; NULL for none). */
static int call_and_print(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                          const char *key, const char *what)
{
	return cli_call_show(ctx, method, req, key, "person", what, show_person);
}

/* The one positional argument, the person, after the options. */
static int the_person(const cli_ctx *ctx, int argc, char **argv, const char **person)
{
	return cli_one_arg(ctx, argc, argv, _("no person given"), person);
}

/* ---- add and edit ------------------------------------------------------------------- */

static int run_add(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_CODE = CLI_OPT_FIRST_LOCAL, OPT_NAME, OPT_UNIT, OPT_TITLE, OPT_PHONE };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"code", required_argument, NULL, OPT_CODE},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"title", required_argument, NULL, OPT_TITLE},
	    {"phone", required_argument, NULL, OPT_PHONE},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__CreatePersonRequest req = LUOSHI__V1__CREATE_PERSON_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi person add --code CODE --name NAME --unit UNIT\n"
			    "                         [--title TITLE] [--phone PHONE] [--key KEY]\n"
			    "\n"
			    "Adds a person, such as a district leader or a town's responsible\n"
			    "person. Needs an admin token; the unit must lie within your scope.\n"
			    "\n"
			    "Options:\n"
			    "  --code CODE    a short unique code: letters, digits, '_', '.', '-'\n"
			    "  --name NAME    the person's name\n"
			    "  --unit UNIT    the unit's code or unique name\n"
			    "  --title TITLE  the post, such as 副区长\n"
			    "  --phone PHONE  a telephone number\n"
			    "  --key KEY      the idempotency key, to retry an earlier add safely\n"));
		case OPT_CODE:
			req.code = optarg;
			break;
		case OPT_NAME:
			req.name = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_TITLE:
			req.title = optarg;
			break;
		case OPT_PHONE:
			req.phone = optarg;
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
	if (req.code == NULL)
		return cli_usage_error(ctx, _("--code is required"));
	if (req.name == NULL)
		return cli_usage_error(ctx, _("--name is required"));
	if (req.unit == NULL)
		return cli_usage_error(ctx, _("--unit is required"));
	return call_and_print(ctx, M_CREATE, &req.base, key, _("Person %s is added.\n"));
}

static int run_edit(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_NAME = CLI_OPT_FIRST_LOCAL, OPT_UNIT, OPT_TITLE, OPT_PHONE };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"name", required_argument, NULL, OPT_NAME},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"title", required_argument, NULL, OPT_TITLE},
	    {"phone", required_argument, NULL, OPT_PHONE},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__UpdatePersonRequest req = LUOSHI__V1__UPDATE_PERSON_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi person edit PERSON [--name NAME] [--unit UNIT]\n"
			    "                          [--title TITLE] [--phone PHONE] [--key KEY]\n"
			    "\n"
			    "Changes a person, given by code or unique name. What is not given\n"
			    "stays as it is; an empty --title or --phone clears it. Needs an admin\n"
			    "token.\n"
			    "\n"
			    "Options:\n"
			    "  --name NAME    the new name\n"
			    "  --unit UNIT    the new unit's code or unique name\n"
			    "  --title TITLE  the new post\n"
			    "  --phone PHONE  the new telephone number\n"
			    "  --key KEY      the idempotency key, to retry an earlier edit safely\n"));
		case OPT_NAME:
			req.name = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_TITLE:
			req.title = optarg;
			break;
		case OPT_PHONE:
			req.phone = optarg;
			break;
		case CLI_OPT_KEY:
			if (cli_key_option(ctx, optarg, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	const char *person;
	if (the_person(ctx, argc, argv, &person) != LS_OK)
		return CLI_EXIT_USAGE;
	if (req.name == NULL && req.unit == NULL && req.title == NULL && req.phone == NULL)
		return cli_usage_error(
		    ctx, _("nothing to change: give --name, --unit, --title or --phone"));
	req.person = (char *)person;
	return call_and_print(ctx, M_UPDATE, &req.base, key, _("Person %s is changed.\n"));
}

/* ---- show and deactivate ---------------------------------------------------------- */

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_help(_("Usage: luoshi person show PERSON\n"
			                  "\n"
			                  "Shows a person, given by code or unique name.\n"));
		return CLI_EXIT_USAGE;
	}
	const char *person;
	if (the_person(ctx, argc, argv, &person) != LS_OK)
		return CLI_EXIT_USAGE;
	Luoshi__V1__GetPersonRequest req = LUOSHI__V1__GET_PERSON_REQUEST__INIT;
	req.person = (char *)person;
	return call_and_print(ctx, M_GET, &req.base, NULL, NULL);
}

static int run_deactivate(cli_ctx *ctx, int argc, char **argv)
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
			return cli_help(_(
			    "Usage: luoshi person deactivate [--key KEY] PERSON\n"
			    "\n"
			    "Deactivates a person, who stays on record. The server refuses while\n"
			    "live accounts, projects or open tasks still point to the person, and\n"
			    "says which. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --key KEY  the idempotency key, to retry an earlier deactivate safely\n"));
		case CLI_OPT_KEY:
			if (cli_key_option(ctx, optarg, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	const char *person;
	if (the_person(ctx, argc, argv, &person) != LS_OK)
		return CLI_EXIT_USAGE;
	Luoshi__V1__DeactivatePersonRequest req = LUOSHI__V1__DEACTIVATE_PERSON_REQUEST__INIT;
	req.person = (char *)person;
	return call_and_print(ctx, M_DEACTIVATE, &req.base, key, _("Person %s is deactivated.\n"));
}

/* ---- list ------------------------------------------------------------------------- */

/* One person of a list: the status column shows only when the table has
 * it (list --all). */
static void list_row(cli_table *t, const ProtobufCMessage *m)
{
	const Luoshi__V1__Person *p = (const Luoshi__V1__Person *)m;
	char unit[512];
	code_name(p->unit_code, p->unit_name, unit, sizeof unit);
	const char *cells[6] = {p->code, p->name,  p->title,
	                        unit,    p->phone, label(p->active ? L_ACTIVE : L_INACTIVE)};
	cli_table_add(t, cells);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_UNIT = CLI_OPT_FIRST_LOCAL, OPT_SEARCH, OPT_ALL, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"search", required_argument, NULL, OPT_SEARCH},
	    {"all", no_argument, NULL, OPT_ALL},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListPeopleRequest req = LUOSHI__V1__LIST_PEOPLE_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi person list [--unit UNIT] [--search TEXT]\n"
			      "                          [--all] [--limit N]\n"
			      "\n"
			      "Lists the people of your scope, page by page until the\n"
			      "end.\n"
			      "\n"
			      "Options:\n"
			      "  --unit UNIT    only the people of this unit\n"
			      "  --search TEXT  only people whose name or code holds TEXT\n"
			      "  --all          include inactive people\n"
			      "  --limit N      stop after N people\n"));
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_SEARCH:
			req.search = optarg;
			break;
		case OPT_ALL:
			req.has_include_inactive = 1;
			req.include_inactive = 1;
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

	const char *headers[] = {label(L_CODE), label(L_NAME),  label(L_TITLE),
	                         label(L_UNIT), label(L_PHONE), label(L_STATUS)};
	size_t ncols = req.include_inactive ? 6 : 5;
	return cli_list(ctx, M_LIST, &req.base, "people", limit, ncols, headers, list_row,
	                _("No people."));
}

/* ---- the group -------------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"add", run_add, N_("add a person")},
    {"edit", run_edit, N_("change a person's name, unit, title or phone")},
    {"list", run_list, N_("list the people of your scope")},
    {"show", run_show, N_("show one person")},
    {"deactivate", run_deactivate, N_("deactivate a person nothing points to any more")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi person SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Manages the people: district leaders and the responsible persons of\n"
	        "units, projects and tasks. A person is given by code or unique name.\n"
	        "Everyone may list and show the people of their scope; changes need an\n"
	        "admin token.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi person SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_person(cli_ctx *ctx, int argc, char **argv)
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
