/* `luoshi project add|edit|list|show|archive`: the registry of key projects
 * (ProjectService). Only an admin may change it; everyone lists and shows
 * what the server lets it see. Every rule is checked by the server: this
 * file only turns options into requests and answers into tables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/project.pb-c.h"
#include "output.h"

#define M_CREATE "/luoshi.v1.ProjectService/CreateProject"
#define M_UPDATE "/luoshi.v1.ProjectService/UpdateProject"
#define M_GET "/luoshi.v1.ProjectService/GetProject"
#define M_LIST "/luoshi.v1.ProjectService/ListProjects"
#define M_ARCHIVE "/luoshi.v1.ProjectService/ArchiveProject"
#define M_PLANS "/luoshi.v1.ProjectService/ListPlans"

/* The most rows one ListProjects page may ask for (project.proto). */
#define CLI_MAX_PAGE 1000

/* ---- labels ------------------------------------------------------------------ */

/* Labels are translated in the context "project", so that a word another
 * command uses too ("Code") may read differently there. */
enum label {
	L_ID,
	L_CODE,
	L_NAME,
	L_LEVEL,
	L_CATEGORY,
	L_STAGE,
	L_LEADER,
	L_UNIT,
	L_CONTRIBUTING,
	L_TOWN,
	L_TOTAL,
	L_FREQUENCY,
	L_START,
	L_FINISH,
	L_LAND,
	L_FAST,
	L_ARCHIVED,
	L_CREATED,
	L_SINCE,
	L_CHANGED_BY,
	L_MONTH,
	L_PLANNED,
	L_YEAR_TOTAL,
	L_YES,
	L_NO,
	L_NONE,
	L_FAST_SET,
	L_FAST_AUTO,
	L_TOTAL_SHORT,
};

static const char *const labels[] = {
    [L_ID] = NC_("project", "ID"),
    [L_CODE] = NC_("project", "Code"),
    [L_NAME] = NC_("project", "Name"),
    [L_LEVEL] = NC_("project", "Level"),
    [L_CATEGORY] = NC_("project", "Category"),
    [L_STAGE] = NC_("project", "Stage"),
    [L_LEADER] = NC_("project", "Lead leader"),
    [L_UNIT] = NC_("project", "Responsible unit"),
    [L_CONTRIBUTING] = NC_("project", "Contributing units"),
    [L_TOWN] = NC_("project", "Town"),
    [L_TOTAL] = NC_("project", "Total investment"),
    [L_FREQUENCY] = NC_("project", "Reporting"),
    [L_START] = NC_("project", "Planned start"),
    [L_FINISH] = NC_("project", "Planned finish"),
    [L_LAND] = NC_("project", "Land clearance"),
    [L_FAST] = NC_("project", "Fast track"),
    [L_ARCHIVED] = NC_("project", "Archived"),
    [L_CREATED] = NC_("project", "Created"),
    [L_SINCE] = NC_("project", "Since"),
    [L_CHANGED_BY] = NC_("project", "Changed by account"),
    [L_MONTH] = NC_("project", "Month"),
    [L_PLANNED] = NC_("project", "Planned (万元)"),
    [L_YEAR_TOTAL] = NC_("project", "Total"),
    [L_YES] = NC_("project", "yes"),
    [L_NO] = NC_("project", "no"),
    [L_NONE] = NC_("project", "none"),
    [L_FAST_SET] = NC_("project", "set by hand"),
    [L_FAST_AUTO] = NC_("project", "from the total"),
    [L_TOTAL_SHORT] = NC_("project", "Total (万元)"),
};

static const char *label(enum label l)
{
	return cli_pgettext("project", labels[l]);
}

static const char *yes_no(bool v)
{
	return label(v ? L_YES : L_NO);
}

/* ---- enumerations ------------------------------------------------------------- */

/* The command line spells a value of an enum as its name without the
 * prefix, in lower case, with '-' for '_' ("special-task"), so that a value
 * added to project.proto needs no change here. */
typedef struct cli_enum {
	const ProtobufCEnumDescriptor *d;
	const char *prefix;  /* "CATEGORY_" */
	const char *context; /* for the translation of a value's display name */
} cli_enum;

static const cli_enum level_enum = {&luoshi__v1__level__descriptor, "LEVEL_", "level"};
static const cli_enum category_enum = {&luoshi__v1__category__descriptor, "CATEGORY_", "category"};
static const cli_enum stage_enum = {&luoshi__v1__stage__descriptor, "STAGE_", "stage"};
static const cli_enum frequency_enum = {&luoshi__v1__frequency__descriptor, "FREQUENCY_",
                                        "frequency"};

/* The values as people read them, for the catalogue. */
static const char *const enum_display[] __attribute__((unused)) = {
    NC_("level", "city"),          NC_("level", "district"),
    NC_("level", "town"),          NC_("category", "industrial"),
    NC_("category", "platform"),   NC_("category", "infrastructure"),
    NC_("category", "livelihood"), NC_("category", "special-task"),
    NC_("stage", "new"),           NC_("stage", "continuing"),
    NC_("frequency", "weekly"),    NC_("frequency", "monthly"),
};

/* The command-line name of value v into buf, or its number when the
 * client does not know it. */
static const char *enum_name(const cli_enum *e, int v, char *buf, size_t n)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(e->d, v);
	if (ev == NULL) {
		snprintf(buf, n, "%d", v);
		return buf;
	}
	const char *s = ev->name;
	size_t plen = strlen(e->prefix);
	if (strncmp(s, e->prefix, plen) == 0)
		s += plen;
	size_t i = 0;
	for (; s[i] != '\0' && i + 1 < n; i++)
		buf[i] = s[i] == '_' ? '-' : (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	buf[i] = '\0';
	return buf;
}

/* The value named name; 0 (UNSPECIFIED) when there is none. */
static int enum_parse(const cli_enum *e, const char *name)
{
	char buf[64];
	for (unsigned i = 0; i < e->d->n_values; i++) {
		int v = e->d->values[i].value;
		if (v != 0 && strcmp(enum_name(e, v, buf, sizeof buf), name) == 0)
			return v;
	}
	return 0;
}

/* "city, district, town". */
static void enum_list(const cli_enum *e, char *buf, size_t n)
{
	char name[64];
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < e->d->n_values && used < n; i++) {
		int v = e->d->values[i].value;
		if (v == 0)
			continue;
		int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
		                 enum_name(e, v, name, sizeof name));
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* The display name of value v, translated. */
static const char *enum_show(const cli_enum *e, int v, char *buf, size_t n)
{
	return cli_pgettext(e->context, enum_name(e, v, buf, n));
}

/* ---- output --------------------------------------------------------------------- */

/* "FG 区发改局" from a code and a name, either of which may be absent. */
static void code_name(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

/* Adds a project's rows to a key/value table. */
static void project_rows(cli_table *t, const Luoshi__V1__Project *p)
{
	char buf[512], e[64];
	if (p->has_id)
		cli_table_kvf(t, label(L_ID), "%" PRId64, p->id);
	cli_table_kv(t, label(L_CODE), p->code);
	cli_table_kv(t, label(L_NAME), p->name);
	if (p->has_level)
		cli_table_kv(t, label(L_LEVEL), enum_show(&level_enum, p->level, e, sizeof e));
	if (p->has_category)
		cli_table_kv(t, label(L_CATEGORY),
		             enum_show(&category_enum, p->category, e, sizeof e));
	if (p->has_stage)
		cli_table_kv(t, label(L_STAGE), enum_show(&stage_enum, p->stage, e, sizeof e));
	code_name(p->lead_leader_code, p->lead_leader_name, buf, sizeof buf);
	cli_table_kv(t, label(L_LEADER), buf);
	code_name(p->lead_unit_code, p->lead_unit_name, buf, sizeof buf);
	cli_table_kv(t, label(L_UNIT), buf);
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < p->n_contributing_unit_codes && used < sizeof buf; i++) {
		int w = snprintf(buf + used, sizeof buf - used, "%s%s", i ? ", " : "",
		                 p->contributing_unit_codes[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	cli_table_kv(t, label(L_CONTRIBUTING), buf[0] ? buf : label(L_NONE));
	code_name(p->town_code, p->town_name, buf, sizeof buf);
	cli_table_kv(t, label(L_TOWN), buf[0] ? buf : label(L_NONE));
	if (p->has_total_investment)
		cli_table_kvf(t, label(L_TOTAL), "%" PRId64 " 万元", p->total_investment);
	if (p->has_frequency)
		cli_table_kv(t, label(L_FREQUENCY),
		             enum_show(&frequency_enum, p->frequency, e, sizeof e));
	cli_table_kv(t, label(L_START), p->planned_start);
	cli_table_kv(t, label(L_FINISH), p->planned_finish);
	cli_table_kv(t, label(L_LAND), yes_no(p->land_clearance));
	cli_table_kvf(t, label(L_FAST), "%s (%s)", yes_no(p->fast_track),
	              label(p->fast_track_set ? L_FAST_SET : L_FAST_AUTO));
	cli_table_kv(t, label(L_ARCHIVED), yes_no(p->archived));
	if (p->created_at != NULL)
		cli_table_kv(t, label(L_CREATED), p->created_at);
}

static void print_project(const Luoshi__V1__Project *p)
{
	cli_table *t = cli_table_alloc(2, NULL);
	project_rows(t, p);
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

/* ---- add and edit ---------------------------------------------------------------- */

/* What the options of add and edit gave. */
typedef struct form {
	const char *project; /* edit: which */
	const char *code, *name, *leader, *unit, *town, *start, *finish;
	int level, category, stage, frequency; /* 0: not given */
	bool has_total;
	int64_t total;
	bool has_units;
	char **units; /* malloc'd, pointing into units_buf */
	size_t n_units;
	char *units_buf;
	int land; /* -1: not given */
	int fast; /* -1: not given, 0 no, 1 yes, 2 auto */
	const char *key;
} form;

static void form_free(form *f)
{
	free(f->units);
	free(f->units_buf);
}

/* Splits a list of units at ASCII commas, Chinese commas and 、; empty
 * items are dropped, so that "" gives no unit at all. */
static void split_units(form *f, const char *list)
{
	static const char *const seps[] = {",", "\xef\xbc\x8c", "\xe3\x80\x81"};
	free(f->units);
	free(f->units_buf);
	f->units_buf = cli_xstrdup(list);
	f->units = cli_xmalloc((strlen(list) + 1) * sizeof *f->units);
	f->n_units = 0;
	f->has_units = true;
	char *p = f->units_buf;
	while (*p != '\0') {
		char *end = NULL;
		size_t seplen = 0;
		for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
			char *hit = strstr(p, seps[i]);
			if (hit != NULL && (end == NULL || hit < end)) {
				end = hit;
				seplen = strlen(seps[i]);
			}
		}
		if (end != NULL)
			*end = '\0';
		if (*p != '\0')
			f->units[f->n_units++] = p;
		if (end == NULL)
			break;
		p = end + seplen;
	}
}

static int parse_enum_option(const cli_ctx *ctx, const cli_enum *e, const char *option,
                             const char *arg, int *out)
{
	*out = enum_parse(e, arg);
	if (*out != 0)
		return LS_OK;
	char valid[256];
	enum_list(e, valid, sizeof valid);
	return cli_usage_error(ctx, _("unknown %s '%s' (valid: %s)"), option, arg, valid);
}

/* Parses the options of add (edit false) or edit. Returns 0 to go on, -1
 * after printing the help, or an exit code. */
static int parse_form(cli_ctx *ctx, int argc, char **argv, bool edit, form *f)
{
	enum {
		OPT_CODE = CLI_OPT_FIRST_LOCAL,
		OPT_NAME,
		OPT_LEVEL,
		OPT_CATEGORY,
		OPT_STAGE,
		OPT_LEADER,
		OPT_UNIT,
		OPT_CONTRIBUTING,
		OPT_TOWN,
		OPT_TOTAL,
		OPT_FREQUENCY,
		OPT_START,
		OPT_FINISH,
		OPT_LAND,
		OPT_NO_LAND,
		OPT_FAST,
	};
	static const struct option add_opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"code", required_argument, NULL, OPT_CODE},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"level", required_argument, NULL, OPT_LEVEL},
	    {"category", required_argument, NULL, OPT_CATEGORY},
	    {"stage", required_argument, NULL, OPT_STAGE},
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"contributing", required_argument, NULL, OPT_CONTRIBUTING},
	    {"town", required_argument, NULL, OPT_TOWN},
	    {"total", required_argument, NULL, OPT_TOTAL},
	    {"frequency", required_argument, NULL, OPT_FREQUENCY},
	    {"start", required_argument, NULL, OPT_START},
	    {"finish", required_argument, NULL, OPT_FINISH},
	    {"land-clearance", no_argument, NULL, OPT_LAND},
	    {"fast-track", required_argument, NULL, OPT_FAST},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	static const struct option edit_opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"name", required_argument, NULL, OPT_NAME},
	    {"level", required_argument, NULL, OPT_LEVEL},
	    {"category", required_argument, NULL, OPT_CATEGORY},
	    {"stage", required_argument, NULL, OPT_STAGE},
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"contributing", required_argument, NULL, OPT_CONTRIBUTING},
	    {"town", required_argument, NULL, OPT_TOWN},
	    {"total", required_argument, NULL, OPT_TOTAL},
	    {"frequency", required_argument, NULL, OPT_FREQUENCY},
	    {"start", required_argument, NULL, OPT_START},
	    {"finish", required_argument, NULL, OPT_FINISH},
	    {"land-clearance", no_argument, NULL, OPT_LAND},
	    {"no-land-clearance", no_argument, NULL, OPT_NO_LAND},
	    {"fast-track", required_argument, NULL, OPT_FAST},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	memset(f, 0, sizeof *f);
	f->land = -1;
	f->fast = -1;
	f->key = CLI_FRESH_KEY;
	long long n;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", edit ? edit_opts : add_opts)) != -1) {
		switch (c) {
		case 'h':
			if (edit)
				cli_help(_(
				    "Usage: luoshi project edit PROJECT [--name NAME] [--level LEVEL]\n"
				    "                           [--category CATEGORY] [--stage STAGE]\n"
				    "                           [--leader PERSON] [--unit UNIT]\n"
				    "                           [--contributing UNIT,UNIT...] [--town TOWN]\n"
				    "                           [--total N] [--frequency weekly|monthly]\n"
				    "                           [--start DATE] [--finish DATE]\n"
				    "                           [--land-clearance | --no-land-clearance]\n"
				    "                           [--fast-track yes|no|auto] [--key KEY]\n"
				    "\n"
				    "Changes a project, given by its code or unique name; what is not\n"
				    "given stays as it is. A new lead leader is kept in the project's\n"
				    "leader history. Needs an admin token.\n"
				    "\n"
				    "Options:\n"
				    "  --contributing LIST  replaces the contributing units; \"\" removes\n"
				    "                       them all\n"
				    "  --town TOWN          the town or street; \"\" for none (not for a\n"
				    "                       town-level project)\n"
				    "  --fast-track auto    let the total decide again: yes from 1000 万元\n"
				    "  --no-land-clearance  take the project off the land-clearance list\n"
				    "  --key KEY            the idempotency key, to retry an earlier edit\n"
				    "                       safely\n"
				    "\n"
				    "The other options are those of 'luoshi project add'.\n"));
			else
				cli_help(_(
				    "Usage: luoshi project add --code CODE --name NAME --level LEVEL\n"
				    "                          --category CATEGORY --stage STAGE\n"
				    "                          --leader PERSON --unit UNIT\n"
				    "                          [--contributing UNIT,UNIT...] [--town TOWN]\n"
				    "                          --total N [--frequency weekly|monthly]\n"
				    "                          --start DATE --finish DATE\n"
				    "                          [--land-clearance] [--fast-track yes|no]\n"
				    "                          [--key KEY]\n"
				    "\n"
				    "Adds a key project to the registry. Units and people are given by\n"
				    "their code or unique name. Needs an admin token.\n"
				    "\n"
				    "Options:\n"
				    "  --code CODE          the project's short unique code (letters,\n"
				    "                       digits, '_', '.', '-')\n"
				    "  --name NAME          its name, such as 奥克斯智能空调项目\n"
				    "  --level LEVEL        city, district or town\n"
				    "  --category CATEGORY  industrial, platform, infrastructure,\n"
				    "                       livelihood or special-task\n"
				    "  --stage STAGE        new or continuing\n"
				    "  --leader PERSON      the one leader who leads it (领衔)\n"
				    "  --unit UNIT          the responsible unit\n"
				    "  --contributing LIST  the contributing units, separated by commas\n"
				    "  --town TOWN          the town or street it stands in; required for\n"
				    "                       a town-level project\n"
				    "  --total N            the total investment in 万元, a whole number\n"
				    "  --frequency F        how often progress is reported: weekly (the\n"
				    "                       default) or monthly\n"
				    "  --start DATE         the planned start, YYYY-MM-DD\n"
				    "  --finish DATE        the planned finish, YYYY-MM-DD\n"
				    "  --land-clearance     the project is on the land-clearance list\n"
				    "                       (拔钉清零)\n"
				    "  --fast-track yes|no  fast-track approval; by default yes from a\n"
				    "                       total of 1000 万元\n"
				    "  --key KEY            the idempotency key, to retry an earlier add\n"
				    "                       safely\n"));
			return -1;
		case OPT_CODE:
			f->code = optarg;
			break;
		case OPT_NAME:
			f->name = optarg;
			break;
		case OPT_LEVEL:
			if (parse_enum_option(ctx, &level_enum, "level", optarg, &f->level) !=
			    LS_OK)
				return CLI_EXIT_USAGE;
			break;
		case OPT_CATEGORY:
			if (parse_enum_option(ctx, &category_enum, "category", optarg,
			                      &f->category) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		case OPT_STAGE:
			if (parse_enum_option(ctx, &stage_enum, "stage", optarg, &f->stage) !=
			    LS_OK)
				return CLI_EXIT_USAGE;
			break;
		case OPT_FREQUENCY:
			if (parse_enum_option(ctx, &frequency_enum, "frequency", optarg,
			                      &f->frequency) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		case OPT_LEADER:
			f->leader = optarg;
			break;
		case OPT_UNIT:
			f->unit = optarg;
			break;
		case OPT_CONTRIBUTING:
			split_units(f, optarg);
			break;
		case OPT_TOWN:
			f->town = optarg;
			break;
		case OPT_TOTAL:
			/* The range is the server's to check; only a number can be sent. */
			if (!cli_parse_int(optarg, INT64_MIN, INT64_MAX, &n))
				return cli_usage_error(
				    ctx, _("--total takes a whole number of 万元, not '%s'"),
				    optarg);
			f->has_total = true;
			f->total = n;
			break;
		case OPT_START:
			f->start = optarg;
			break;
		case OPT_FINISH:
			f->finish = optarg;
			break;
		case OPT_LAND:
			f->land = 1;
			break;
		case OPT_NO_LAND:
			f->land = 0;
			break;
		case OPT_FAST:
			if (strcmp(optarg, "yes") == 0)
				f->fast = 1;
			else if (strcmp(optarg, "no") == 0)
				f->fast = 0;
			else if (edit && strcmp(optarg, "auto") == 0)
				f->fast = 2;
			else
				return cli_usage_error(
				    ctx,
				    edit ? _("--fast-track takes yes, no or auto, "
				             "not '%s'")
				         : _("--fast-track takes yes or no, not '%s'"),
				    optarg);
			break;
		case CLI_OPT_KEY:
			if (!cli_key_valid(optarg))
				return cli_usage_error(
				    ctx, _("--key takes 1 to 128 printable characters "
				           "without spaces"));
			f->key = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (edit) {
		if (optind >= argc)
			return cli_usage_error(ctx, _("no project given (its code or name)"));
		f->project = argv[optind++];
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	return LS_OK;
}

/* Calls method with req and prints the project of its answer, after
 * done_fmt (which takes the project's code). */
static void show_project(const ProtobufCMessage *row)
{
	print_project((const Luoshi__V1__Project *)row);
}

static int call_and_print(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                          const char *key, const char *done_fmt)
{
	return cli_call_show(ctx, method, req, key, "project", done_fmt, show_project);
}

static int run_add(cli_ctx *ctx, int argc, char **argv)
{
	form f;
	int rc = parse_form(ctx, argc, argv, false, &f);
	if (rc != LS_OK) {
		form_free(&f);
		return rc < 0 ? 0 : rc;
	}
	Luoshi__V1__CreateProjectRequest req = LUOSHI__V1__CREATE_PROJECT_REQUEST__INIT;
	req.code = (char *)f.code;
	req.name = (char *)f.name;
	req.has_level = f.level != 0;
	req.level = (Luoshi__V1__Level)f.level;
	req.has_category = f.category != 0;
	req.category = (Luoshi__V1__Category)f.category;
	req.has_stage = f.stage != 0;
	req.stage = (Luoshi__V1__Stage)f.stage;
	req.lead_leader = (char *)f.leader;
	req.lead_unit = (char *)f.unit;
	req.n_contributing_units = f.n_units;
	req.contributing_units = f.units;
	req.town = (char *)f.town;
	req.has_total_investment = f.has_total;
	req.total_investment = f.total;
	req.has_frequency = f.frequency != 0;
	req.frequency = (Luoshi__V1__Frequency)f.frequency;
	req.planned_start = (char *)f.start;
	req.planned_finish = (char *)f.finish;
	req.has_land_clearance = f.land == 1;
	req.land_clearance = f.land == 1;
	req.has_fast_track = f.fast >= 0;
	req.fast_track = f.fast == 1;
	rc = call_and_print(ctx, M_CREATE, &req.base, f.key, _("Project %s is added.\n"));
	form_free(&f);
	return rc;
}

static int run_edit(cli_ctx *ctx, int argc, char **argv)
{
	form f;
	int rc = parse_form(ctx, argc, argv, true, &f);
	if (rc != LS_OK) {
		form_free(&f);
		return rc < 0 ? 0 : rc;
	}
	Luoshi__V1__UpdateProjectRequest req = LUOSHI__V1__UPDATE_PROJECT_REQUEST__INIT;
	req.project = (char *)f.project;
	req.name = (char *)f.name;
	req.has_level = f.level != 0;
	req.level = (Luoshi__V1__Level)f.level;
	req.has_category = f.category != 0;
	req.category = (Luoshi__V1__Category)f.category;
	req.has_stage = f.stage != 0;
	req.stage = (Luoshi__V1__Stage)f.stage;
	req.lead_leader = (char *)f.leader;
	req.lead_unit = (char *)f.unit;
	req.has_set_contributing_units = f.has_units;
	req.set_contributing_units = f.has_units;
	req.n_contributing_units = f.n_units;
	req.contributing_units = f.units;
	req.town = (char *)f.town;
	req.has_total_investment = f.has_total;
	req.total_investment = f.total;
	req.has_frequency = f.frequency != 0;
	req.frequency = (Luoshi__V1__Frequency)f.frequency;
	req.planned_start = (char *)f.start;
	req.planned_finish = (char *)f.finish;
	req.has_land_clearance = f.land >= 0;
	req.land_clearance = f.land == 1;
	req.has_fast_track = f.fast == 0 || f.fast == 1;
	req.fast_track = f.fast == 1;
	req.has_fast_track_auto = f.fast == 2;
	req.fast_track_auto = f.fast == 2;
	rc = call_and_print(ctx, M_UPDATE, &req.base, f.key, _("Project %s is changed.\n"));
	form_free(&f);
	return rc;
}

/* ---- archive --------------------------------------------------------------------- */

static int run_archive(cli_ctx *ctx, int argc, char **argv)
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
			    "Usage: luoshi project archive [--key KEY] PROJECT\n"
			    "\n"
			    "Archives a project, given by its code or unique name: it leaves\n"
			    "the lists ('luoshi project list --all' still shows it) but\n"
			    "nothing of it is deleted. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --key KEY  the idempotency key, to retry an earlier archive safely\n"));
		case CLI_OPT_KEY:
			if (!cli_key_valid(optarg))
				return cli_usage_error(
				    ctx, _("--key takes 1 to 128 printable characters "
				           "without spaces"));
			key = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no project given (its code or name)"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	Luoshi__V1__ArchiveProjectRequest req = LUOSHI__V1__ARCHIVE_PROJECT_REQUEST__INIT;
	req.project = argv[optind];
	return call_and_print(ctx, M_ARCHIVE, &req.base, key, _("Project %s is archived.\n"));
}

/* ---- show ----------------------------------------------------------------------------- */

static int current_year(void)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

static void print_history(const Luoshi__V1__GetProjectResponse *r)
{
	printf("\n%s\n", _("Lead leaders, oldest first:"));
	const char *headers[] = {label(L_SINCE), label(L_LEADER), label(L_CHANGED_BY)};
	cli_table *t = cli_table_alloc(3, headers);
	for (size_t i = 0; i < r->n_leader_history; i++) {
		const Luoshi__V1__LeaderChange *l = r->leader_history[i];
		char who[512], by[24] = "";
		code_name(l->leader_code, l->leader_name, who, sizeof who);
		if (l->has_changed_by)
			snprintf(by, sizeof by, "%" PRId64, l->changed_by);
		const char *cells[] = {l->since, who, by};
		cli_table_add(t, cells);
	}
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
}

static void print_plan(const Luoshi__V1__ListPlansResponse *r, int year)
{
	putchar('\n');
	printf(_("Planned investment in %d, by month:"), year);
	putchar('\n');
	if (r->n_months == 0) {
		printf("  %s\n", _("No plan for this year."));
		return;
	}
	const char *headers[] = {label(L_MONTH), label(L_PLANNED)};
	cli_table *t = cli_table_alloc(2, headers);
	for (size_t i = 0; i < r->n_months; i++) {
		char month[16], invested[24];
		snprintf(month, sizeof month, "%d-%02d", r->months[i]->year, r->months[i]->month);
		snprintf(invested, sizeof invested, "%" PRId64, r->months[i]->invested);
		const char *cells[] = {month, invested};
		cli_table_add(t, cells);
	}
	char total[24];
	snprintf(total, sizeof total, "%" PRId64, r->year_total);
	const char *cells[] = {label(L_YEAR_TOTAL), total};
	cli_table_add(t, cells);
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
}

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_help(
			    _("Usage: luoshi project show PROJECT\n"
			      "\n"
			      "Shows a project, given by its code or unique name: every\n"
			      "field, its contributing units, the history of its lead\n"
			      "leaders, and this year's planned investment by month with\n"
			      "the year's total.\n"));
		return CLI_EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no project given (its code or name)"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);

	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	Luoshi__V1__GetProjectRequest gq = LUOSHI__V1__GET_PROJECT_REQUEST__INIT;
	gq.project = argv[optind];
	ProtobufCMessage *gm = NULL, *pm = NULL;
	rc = cli_call(client, M_GET, &gq.base, NULL, &gm);
	int year = current_year();
	if (rc == LS_OK) {
		/* The code, not the name: the project is known now, and an
		 * archived one is found by its code only. */
		const Luoshi__V1__GetProjectResponse *g = (Luoshi__V1__GetProjectResponse *)gm;
		Luoshi__V1__ListPlansRequest pq = LUOSHI__V1__LIST_PLANS_REQUEST__INIT;
		pq.project = g->project && g->project->code ? g->project->code : argv[optind];
		pq.has_year = true;
		pq.year = year;
		rc = cli_call(client, M_PLANS, &pq.base, NULL, &pm);
	}
	luoshi_client_close(client);
	if (rc == LS_OK) {
		const Luoshi__V1__GetProjectResponse *g = (Luoshi__V1__GetProjectResponse *)gm;
		const Luoshi__V1__ListPlansResponse *pl = (Luoshi__V1__ListPlansResponse *)pm;
		if (ctx->json) {
			json_t *j = cli_message_json(gm);
			json_t *plan = cli_message_json(pm);
			if (json_object_set_new(plan, "year", json_integer(year)) != 0 ||
			    json_object_set_new(j, "plan", plan) != 0)
				cli_out_of_memory();
			rc = cli_print_json(j);
		} else if (g->project != NULL) {
			print_project(g->project);
			print_history(g);
			print_plan(pl, year);
		}
	}
	if (gm != NULL)
		protobuf_c_message_free_unpacked(gm, NULL);
	if (pm != NULL)
		protobuf_c_message_free_unpacked(pm, NULL);
	return rc;
}

/* ---- list ------------------------------------------------------------------------------ */

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_LEVEL = CLI_OPT_FIRST_LOCAL,
		OPT_CATEGORY,
		OPT_STAGE,
		OPT_TOWN,
		OPT_LEADER,
		OPT_UNIT,
		OPT_SEARCH,
		OPT_ALL,
		OPT_LIMIT,
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"level", required_argument, NULL, OPT_LEVEL},
	    {"category", required_argument, NULL, OPT_CATEGORY},
	    {"stage", required_argument, NULL, OPT_STAGE},
	    {"town", required_argument, NULL, OPT_TOWN},
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"search", required_argument, NULL, OPT_SEARCH},
	    {"all", no_argument, NULL, OPT_ALL},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListProjectsRequest filter = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
	long long limit = 0;
	int c, v;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi project list [--level LEVEL] [--category CATEGORY]\n"
			    "                           [--stage STAGE] [--town TOWN]\n"
			    "                           [--leader PERSON] [--unit UNIT]\n"
			    "                           [--search TEXT] [--all] [--limit N]\n"
			    "\n"
			    "Lists the projects you may see, page by page until the end.\n"
			    "\n"
			    "Options:\n"
			    "  --level LEVEL        city, district or town\n"
			    "  --category CATEGORY  industrial, platform, infrastructure,\n"
			    "                       livelihood or special-task\n"
			    "  --stage STAGE        new or continuing\n"
			    "  --town TOWN          the projects standing in this town or street\n"
			    "  --leader PERSON      the projects this leader leads\n"
			    "  --unit UNIT          the projects this unit is responsible for or\n"
			    "                       contributes to\n"
			    "  --search TEXT        the projects whose name holds TEXT\n"
			    "  --all                include archived projects\n"
			    "  --limit N            stop after N projects\n"));
		case OPT_LEVEL:
			if (parse_enum_option(ctx, &level_enum, "level", optarg, &v) != LS_OK)
				return CLI_EXIT_USAGE;
			filter.has_level = true;
			filter.level = (Luoshi__V1__Level)v;
			break;
		case OPT_CATEGORY:
			if (parse_enum_option(ctx, &category_enum, "category", optarg, &v) != LS_OK)
				return CLI_EXIT_USAGE;
			filter.has_category = true;
			filter.category = (Luoshi__V1__Category)v;
			break;
		case OPT_STAGE:
			if (parse_enum_option(ctx, &stage_enum, "stage", optarg, &v) != LS_OK)
				return CLI_EXIT_USAGE;
			filter.has_stage = true;
			filter.stage = (Luoshi__V1__Stage)v;
			break;
		case OPT_TOWN:
			filter.town = optarg;
			break;
		case OPT_LEADER:
			filter.leader = optarg;
			break;
		case OPT_UNIT:
			filter.unit = optarg;
			break;
		case OPT_SEARCH:
			filter.search = optarg;
			break;
		case OPT_ALL:
			filter.has_include_archived = true;
			filter.include_archived = true;
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

	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;

	const char *headers[] = {
	    label(L_CODE),   label(L_NAME), label(L_LEVEL), label(L_CATEGORY),    label(L_STAGE),
	    label(L_LEADER), label(L_UNIT), label(L_TOWN),  label(L_TOTAL_SHORT), label(L_FINISH)};
	cli_table *t = ctx->json ? NULL : cli_table_alloc(10, headers);
	json_t *rows = ctx->json ? json_array() : NULL;
	if (ctx->json && rows == NULL)
		cli_out_of_memory();
	long long fetched = 0, total = 0;
	char *page_token = NULL;
	do {
		Luoshi__V1__ListProjectsRequest req = filter;
		if (limit > 0) {
			long long left = limit - fetched;
			req.has_page_size = true;
			req.page_size = (uint32_t)(left < CLI_MAX_PAGE ? left : CLI_MAX_PAGE);
		}
		req.page_token = page_token;
		ProtobufCMessage *m;
		rc = cli_call(client, M_LIST, &req.base, NULL, &m);
		if (rc != LS_OK)
			break;
		const Luoshi__V1__ListProjectsResponse *resp =
		    (Luoshi__V1__ListProjectsResponse *)m;
		if (resp->has_total_count)
			total = resp->total_count;
		for (size_t i = 0; i < resp->n_projects && (limit == 0 || fetched < limit); i++) {
			const Luoshi__V1__Project *p = resp->projects[i];
			fetched++;
			if (rows != NULL) {
				if (json_array_append_new(rows, cli_message_json(&p->base)) != 0)
					cli_out_of_memory();
				continue;
			}
			char level[64], category[64], stage[64], amount[24];
			snprintf(amount, sizeof amount, "%" PRId64, p->total_investment);
			const char *cells[10] = {
			    p->code,
			    p->name,
			    enum_show(&level_enum, p->level, level, sizeof level),
			    enum_show(&category_enum, p->category, category, sizeof category),
			    enum_show(&stage_enum, p->stage, stage, sizeof stage),
			    p->lead_leader_name,
			    p->lead_unit_name,
			    p->town_name,
			    amount,
			    p->planned_finish};
			cli_table_add(t, cells);
		}
		const char *next = resp->next_page_token;
		char *prev = page_token;
		page_token = next != NULL && *next != '\0' ? cli_xstrdup(next) : NULL;
		protobuf_c_message_free_unpacked(m, NULL);
		/* A server that hands back the token it was given would keep us
		 * here for ever. */
		if (page_token != NULL && prev != NULL && strcmp(page_token, prev) == 0) {
			ls_status st;
			ls_status_set(&st, LS_INTERNAL, _("the server repeated page token '%s'"),
			              page_token);
			rc = cli_print_status(&st);
		}
		free(prev);
	} while (rc == LS_OK && page_token != NULL && (limit == 0 || fetched < limit));
	free(page_token);
	luoshi_client_close(client);

	if (rc == LS_OK) {
		if (rows != NULL) {
			rc = cli_print_json(json_incref(rows));
		} else if (cli_table_rows(t) == 0) {
			printf("%s\n", _("No projects."));
		} else {
			cli_table_print(t, stdout, 0);
			if (fetched < total)
				fprintf(stderr, _("%lld of %lld projects shown.\n"), fetched,
				        total);
		}
	}
	json_decref(rows);
	cli_table_free(t);
	return rc;
}

/* ---- the group ----------------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"add", run_add, N_("add a project")},
    {"edit", run_edit, N_("change a project")},
    {"list", run_list, N_("list projects, with filters")},
    {"show", run_show, N_("show a project, its leader history and this year's plan")},
    {"archive", run_archive, N_("archive a project")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi project SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "The key projects: each has one lead leader, a responsible unit,\n"
	        "contributing units, the town it stands in, its total investment in\n"
	        "万元 and its planned dates. Only an admin changes them.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi project SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_project(cli_ctx *ctx, int argc, char **argv)
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
