/* `luoshi unit add|edit|list|show|deactivate`: the tree of units
 * (RegistryService). Every account may list and show the units of its
 * scope; only an admin changes them. The server checks every rule: this
 * file turns options into requests and answers into tables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/registry.pb-c.h"
#include "output.h"

#define M_CREATE "/luoshi.v1.RegistryService/CreateUnit"
#define M_UPDATE "/luoshi.v1.RegistryService/UpdateUnit"
#define M_GET "/luoshi.v1.RegistryService/GetUnit"
#define M_LIST "/luoshi.v1.RegistryService/ListUnits"
#define M_DEACTIVATE "/luoshi.v1.RegistryService/DeactivateUnit"

/* The most rows one ListUnits page may ask for. */
#define CLI_MAX_PAGE 1000

/* ---- labels ------------------------------------------------------------------ */

/* Translated in the context "unit": other commands use the same words. */
enum label {
	L_ID,
	L_CODE,
	L_NAME,
	L_KIND,
	L_PARENT,
	L_STATUS,
	L_CREATED,
	L_ACTIVE,
	L_INACTIVE,
	L_GROUP,
};

static const char *const labels[] = {
    [L_ID] = NC_("unit", "ID"),
    [L_CODE] = NC_("unit", "Code"),
    [L_NAME] = NC_("unit", "Name"),
    [L_KIND] = NC_("unit", "Kind"),
    [L_PARENT] = NC_("unit", "Parent"),
    [L_STATUS] = NC_("unit", "Status"),
    [L_CREATED] = NC_("unit", "Created"),
    [L_ACTIVE] = NC_("unit", "active"),
    [L_INACTIVE] = NC_("unit", "inactive"),
    [L_GROUP] = NC_("unit", "Support group"),
};

static const char *label(enum label l)
{
	return cli_pgettext("unit", labels[l]);
}

/* ---- kinds ------------------------------------------------------------------- */

/* A kind is spelled as its UnitKind name without "UNIT_", in lower case,
 * with '-' for '_' ("support-group"). */
static const char *kind_name(int v, char *buf, size_t n)
{
	const ProtobufCEnumValue *ev =
	    protobuf_c_enum_descriptor_get_value(&luoshi__v1__unit_kind__descriptor, v);
	if (ev == NULL) {
		snprintf(buf, n, "%d", v);
		return buf;
	}
	const char *s = ev->name;
	if (strncmp(s, "UNIT_", 5) == 0)
		s += 5;
	size_t i = 0;
	for (; s[i] != '\0' && i + 1 < n; i++)
		buf[i] = s[i] == '_' ? '-' : (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	buf[i] = '\0';
	return buf;
}

/* The kind named name; 0 (UNSPECIFIED) when there is none. */
static int kind_parse(const char *name)
{
	const ProtobufCEnumDescriptor *d = &luoshi__v1__unit_kind__descriptor;
	char buf[64];
	for (unsigned i = 0; i < d->n_values; i++) {
		int v = d->values[i].value;
		if (v != 0 && strcmp(kind_name(v, buf, sizeof buf), name) == 0)
			return v;
	}
	return 0;
}

static void kind_list(char *buf, size_t n)
{
	const ProtobufCEnumDescriptor *d = &luoshi__v1__unit_kind__descriptor;
	char name[64];
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < d->n_values && used < n; i++) {
		int v = d->values[i].value;
		if (v == 0)
			continue;
		int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
		                 kind_name(v, name, sizeof name));
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* For the catalogue: the kinds as people read them. */
static const char *const kind_display[] __attribute__((unused)) = {
    NC_("unit kind", "city"),          NC_("unit kind", "district"),
    NC_("unit kind", "town"),          NC_("unit kind", "department"),
    NC_("unit kind", "support-group"), NC_("unit kind", "inspection-group"),
    NC_("unit kind", "discipline"),
};

static const char *kind_show(int v, char *buf, size_t n)
{
	return cli_pgettext("unit kind", kind_name(v, buf, n));
}

static int parse_kind(const cli_ctx *ctx, const char *arg, int *out)
{
	*out = kind_parse(arg);
	if (*out != 0)
		return LS_OK;
	char kinds[256];
	kind_list(kinds, sizeof kinds);
	return cli_usage_error(ctx, _("unknown unit kind '%s' (valid kinds: %s)"), arg, kinds);
}

/* ---- support groups ------------------------------------------------------------ */

/* The groups a support group may be, as the server spells them; marked for
 * the catalogue in the context "problem group", as `luoshi problem` shows
 * them. */
static const char *const support_groups[] = {
    NC_("problem group", "coordination"),
    NC_("problem group", "approval"),
    NC_("problem group", "funding"),
    NC_("problem group", "clearance"),
};

/* "none" clears a unit's group (edit); anything else must be a group. */
static int parse_support_group(const cli_ctx *ctx, const char *arg, bool none_ok, char **out)
{
	if (none_ok && strcmp(arg, "none") == 0) {
		*out = (char *)"";
		return LS_OK;
	}
	for (size_t i = 0; i < sizeof support_groups / sizeof support_groups[0]; i++)
		if (strcmp(arg, support_groups[i]) == 0) {
			*out = (char *)support_groups[i];
			return LS_OK;
		}
	return cli_usage_error(ctx,
	                       _("unknown support group '%s' (valid groups: coordination, "
	                         "approval, funding, clearance)"),
	                       arg);
}

static const char *support_group_show(const char *group)
{
	return group != NULL ? cli_pgettext("problem group", group) : "";
}

/* ---- output ------------------------------------------------------------------- */

static void code_name(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

static void print_unit(const Luoshi__V1__Unit *u)
{
	cli_table *t = cli_table_alloc(2, NULL);
	char buf[512], k[64];
	if (u->has_id)
		cli_table_kvf(t, label(L_ID), "%" PRId64, u->id);
	cli_table_kv(t, label(L_CODE), u->code);
	cli_table_kv(t, label(L_NAME), u->name);
	if (u->has_kind)
		cli_table_kv(t, label(L_KIND), kind_show(u->kind, k, sizeof k));
	if (u->support_group != NULL)
		cli_table_kv(t, label(L_GROUP), support_group_show(u->support_group));
	code_name(u->parent_code, u->parent_name, buf, sizeof buf);
	if (buf[0] != '\0')
		cli_table_kv(t, label(L_PARENT), buf);
	cli_table_kv(t, label(L_STATUS), label(u->active ? L_ACTIVE : L_INACTIVE));
	if (u->created_at != NULL)
		cli_table_kv(t, label(L_CREATED), u->created_at);
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

static void show_unit(const ProtobufCMessage *row)
{
	print_unit((const Luoshi__V1__Unit *)row);
}

/* Calls method and prints the unit of the answer, after a line saying
 * what happened (a format taking the unit's code; NULL for none). */
static int call_and_print(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                          const char *key, const char *what)
{
	return cli_call_show(ctx, method, req, key, "unit", what, show_unit);
}

/* The one positional argument, the unit, after the options. */
static int the_unit(const cli_ctx *ctx, int argc, char **argv, const char **unit)
{
	return cli_one_arg(ctx, argc, argv, _("no unit given"), unit);
}

/* ---- add and edit ------------------------------------------------------------------- */

static int run_add(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_CODE = CLI_OPT_FIRST_LOCAL, OPT_NAME, OPT_KIND, OPT_PARENT, OPT_GROUP };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"code", required_argument, NULL, OPT_CODE},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"parent", required_argument, NULL, OPT_PARENT},
	    {"support-group", required_argument, NULL, OPT_GROUP},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__CreateUnitRequest req = LUOSHI__V1__CREATE_UNIT_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c, kind;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi unit add --code CODE --name NAME --kind KIND\n"
			    "                       [--parent UNIT] [--support-group GROUP]\n"
			    "                       [--key KEY]\n"
			    "\n"
			    "Adds a unit to the tree. Needs an admin token; the parent must lie\n"
			    "within your scope.\n"
			    "\n"
			    "Options:\n"
			    "  --code CODE            a short unique code: letters, digits, '_',\n"
			    "                         '.', '-'\n"
			    "  --name NAME            the unit's name, such as 五乡镇\n"
			    "  --kind KIND            city, district, town, department,\n"
			    "                         support-group, inspection-group or discipline\n"
			    "  --parent UNIT          the parent's code or unique name; by default\n"
			    "                         your own unit\n"
			    "  --support-group GROUP  for a support group: coordination, approval,\n"
			    "                         funding or clearance, whose problems it gets;\n"
			    "                         one unit per group in an office's area\n"
			    "  --key KEY              the idempotency key, to retry an earlier add\n"
			    "                         safely\n"));
		case OPT_CODE:
			req.code = optarg;
			break;
		case OPT_NAME:
			req.name = optarg;
			break;
		case OPT_KIND:
			if (parse_kind(ctx, optarg, &kind) != LS_OK)
				return CLI_EXIT_USAGE;
			req.has_kind = 1;
			req.kind = (Luoshi__V1__UnitKind)kind;
			break;
		case OPT_PARENT:
			req.parent = optarg;
			break;
		case OPT_GROUP:
			if (parse_support_group(ctx, optarg, false, &req.support_group) != LS_OK)
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
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	if (req.code == NULL)
		return cli_usage_error(ctx, _("--code is required"));
	if (req.name == NULL)
		return cli_usage_error(ctx, _("--name is required"));
	if (!req.has_kind) {
		char kinds[256];
		kind_list(kinds, sizeof kinds);
		return cli_usage_error(ctx, _("--kind is required (one of %s)"), kinds);
	}
	return call_and_print(ctx, M_CREATE, &req.base, key, _("Unit %s is added.\n"));
}

static int run_edit(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_NAME = CLI_OPT_FIRST_LOCAL, OPT_KIND, OPT_PARENT, OPT_GROUP };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"name", required_argument, NULL, OPT_NAME},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"parent", required_argument, NULL, OPT_PARENT},
	    {"support-group", required_argument, NULL, OPT_GROUP},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__UpdateUnitRequest req = LUOSHI__V1__UPDATE_UNIT_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c, kind;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi unit edit UNIT [--name NAME] [--kind KIND]\n"
			    "                        [--parent UNIT] [--support-group GROUP]\n"
			    "                        [--key KEY]\n"
			    "\n"
			    "Changes a unit, given by its code or unique name. What is not given\n"
			    "stays as it is. Needs an admin token. A unit cannot be moved below\n"
			    "itself.\n"
			    "\n"
			    "Options:\n"
			    "  --name NAME            the new name\n"
			    "  --kind KIND            the new kind (see 'luoshi unit add --help')\n"
			    "  --parent UNIT          the new parent's code or unique name\n"
			    "  --support-group GROUP  coordination, approval, funding or clearance;\n"
			    "                         none to clear it\n"
			    "  --key KEY              the idempotency key, to retry an earlier edit\n"
			    "                         safely\n"));
		case OPT_NAME:
			req.name = optarg;
			break;
		case OPT_KIND:
			if (parse_kind(ctx, optarg, &kind) != LS_OK)
				return CLI_EXIT_USAGE;
			req.has_kind = 1;
			req.kind = (Luoshi__V1__UnitKind)kind;
			break;
		case OPT_PARENT:
			req.parent = optarg;
			break;
		case OPT_GROUP:
			if (parse_support_group(ctx, optarg, true, &req.support_group) != LS_OK)
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
	const char *unit;
	if (the_unit(ctx, argc, argv, &unit) != LS_OK)
		return CLI_EXIT_USAGE;
	if (req.name == NULL && !req.has_kind && req.parent == NULL && req.support_group == NULL)
		return cli_usage_error(
		    ctx, _("nothing to change: give --name, --kind, --parent or --support-group"));
	req.unit = (char *)unit;
	return call_and_print(ctx, M_UPDATE, &req.base, key, _("Unit %s is changed.\n"));
}

/* ---- show and deactivate ---------------------------------------------------------- */

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_help(_("Usage: luoshi unit show UNIT\n"
			                  "\n"
			                  "Shows a unit, given by its code or unique name.\n"));
		return CLI_EXIT_USAGE;
	}
	const char *unit;
	if (the_unit(ctx, argc, argv, &unit) != LS_OK)
		return CLI_EXIT_USAGE;
	Luoshi__V1__GetUnitRequest req = LUOSHI__V1__GET_UNIT_REQUEST__INIT;
	req.unit = (char *)unit;
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
			    "Usage: luoshi unit deactivate [--key KEY] UNIT\n"
			    "\n"
			    "Deactivates a unit. It stays on record, but no longer takes new\n"
			    "people, accounts or units. The server refuses while active units,\n"
			    "people, live accounts or projects still point to it, and says which.\n"
			    "Needs an admin token.\n"
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
	const char *unit;
	if (the_unit(ctx, argc, argv, &unit) != LS_OK)
		return CLI_EXIT_USAGE;
	Luoshi__V1__DeactivateUnitRequest req = LUOSHI__V1__DEACTIVATE_UNIT_REQUEST__INIT;
	req.unit = (char *)unit;
	return call_and_print(ctx, M_DEACTIVATE, &req.base, key, _("Unit %s is deactivated.\n"));
}

/* ---- list ------------------------------------------------------------------------- */

/* One unit of a list: the status column shows only when the table has it
 * (list --all). */
static void list_row(cli_table *t, const ProtobufCMessage *m)
{
	const Luoshi__V1__Unit *u = (const Luoshi__V1__Unit *)m;
	char parent[512], k[64], kind_cell[160];
	code_name(u->parent_code, u->parent_name, parent, sizeof parent);
	snprintf(kind_cell, sizeof kind_cell, "%s",
	         u->has_kind ? kind_show(u->kind, k, sizeof k) : "");
	/* A support group's group goes with its kind: "support-group
	 * (funding)". */
	if (u->support_group != NULL)
		snprintf(kind_cell, sizeof kind_cell, cli_pgettext("unit", NC_("unit", "%s (%s)")),
		         u->has_kind ? kind_show(u->kind, k, sizeof k) : "",
		         support_group_show(u->support_group));
	const char *cells[5] = {u->code, u->name, kind_cell, parent,
	                        label(u->active ? L_ACTIVE : L_INACTIVE)};
	cli_table_add(t, cells);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_KIND = CLI_OPT_FIRST_LOCAL, OPT_PARENT, OPT_SEARCH, OPT_ALL, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"parent", required_argument, NULL, OPT_PARENT},
	    {"search", required_argument, NULL, OPT_SEARCH},
	    {"all", no_argument, NULL, OPT_ALL},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListUnitsRequest req = LUOSHI__V1__LIST_UNITS_REQUEST__INIT;
	long long limit = 0;
	int c, kind;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi unit list [--kind KIND] [--parent UNIT] [--search TEXT]\n"
			    "                        [--all] [--limit N]\n"
			    "\n"
			    "Lists the units of your scope, page by page until the end.\n"
			    "\n"
			    "Options:\n"
			    "  --kind KIND    only units of this kind\n"
			    "  --parent UNIT  only the units directly below this one\n"
			    "  --search TEXT  only units whose name or code holds TEXT\n"
			    "  --all          include inactive units\n"
			    "  --limit N      stop after N units\n"));
		case OPT_KIND:
			if (parse_kind(ctx, optarg, &kind) != LS_OK)
				return CLI_EXIT_USAGE;
			req.has_kind = 1;
			req.kind = (Luoshi__V1__UnitKind)kind;
			break;
		case OPT_PARENT:
			req.parent = optarg;
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

	const char *headers[] = {label(L_CODE), label(L_NAME), label(L_KIND), label(L_PARENT),
	                         label(L_STATUS)};
	size_t ncols = req.include_inactive ? 5 : 4;
	return cli_list(ctx, M_LIST, &req.base, "units", limit, ncols, headers, list_row,
	                _("No units."));
}

/* ---- the group -------------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"add", run_add, N_("add a unit to the tree")},
    {"edit", run_edit, N_("change a unit's name, kind or parent")},
    {"list", run_list, N_("list the units of your scope")},
    {"show", run_show, N_("show one unit")},
    {"deactivate", run_deactivate, N_("deactivate a unit nothing points to any more")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi unit SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Manages the units: the city and district offices, towns and streets,\n"
	        "departments, support groups, inspection groups and the discipline\n"
	        "commission, as a tree. A unit is given by its code or unique name.\n"
	        "Everyone may list and show the units of their scope; changes need an\n"
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
	fputs(_("Run 'luoshi unit SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_unit(cli_ctx *ctx, int argc, char **argv)
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
