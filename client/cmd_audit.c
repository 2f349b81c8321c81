/* `luoshi audit`: the append-only log of every write, newest first
 * (RegistryService/ListAudit). Admins, inspectors and the discipline
 * commission may read it; the server decides which rows each sees. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/registry.pb-c.h"
#include "output.h"

#define M_LIST "/luoshi.v1.RegistryService/ListAudit"

/* The most rows one ListAudit page may ask for. */

/* The longest change text a table cell shows, in bytes. */
#define CHANGE_MAX 120

enum label { L_TIME, L_ACCOUNT, L_METHOD, L_ENTITY, L_ID, L_CHANGE, L_SERVER };

static const char *const labels[] = {
    [L_TIME] = NC_("audit", "Time"),       [L_ACCOUNT] = NC_("audit", "Account"),
    [L_METHOD] = NC_("audit", "Method"),   [L_ENTITY] = NC_("audit", "Entity"),
    [L_ID] = NC_("audit", "ID"),           [L_CHANGE] = NC_("audit", "Change"),
    [L_SERVER] = NC_("audit", "(server)"),
};

static const char *label(enum label l)
{
	return cli_pgettext("audit", labels[l]);
}

/* ---- the change, compactly ------------------------------------------------------ */

typedef struct text {
	char *buf;
	size_t n, used;
} text;

static void add(text *t, const char *s)
{
	if (t->used >= t->n)
		return;
	int w = snprintf(t->buf + t->used, t->n - t->used, "%s", s);
	if (w < 0)
		return;
	t->used += (size_t)w;
	if (t->used >= t->n)
		t->used = t->n - 1;
}

/* A JSON value as it reads in the change: strings bare, "∅" for none. */
static void add_value(text *t, json_t *v)
{
	if (v == NULL) {
		add(t, "∅");
	} else if (json_is_string(v)) {
		add(t, json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s == NULL)
			cli_out_of_memory();
		add(t, s);
		free(s);
	}
}

/* The row's id and creation time say nothing about the change itself. */
static bool skipped(const char *key)
{
	return strcmp(key, "id") == 0 || strcmp(key, "createdAt") == 0;
}

/* "+ code=WX name=五乡镇" for a new row, "name: 五乡→五乡镇; active: true→false"
 * for a changed one, "- ..." for one removed. */
static void change_text(const char *before, const char *after, char *buf, size_t n)
{
	text t = {buf, n, 0};
	buf[0] = '\0';
	json_t *b = before ? json_loads(before, 0, NULL) : NULL;
	json_t *a = after ? json_loads(after, 0, NULL) : NULL;
	const char *key;
	json_t *v;
	if (json_is_object(b) && json_is_object(a)) {
		bool first = true;
		json_object_foreach (a, key, v) {
			json_t *old = json_object_get(b, key);
			if (skipped(key) || (old != NULL && json_equal(old, v)))
				continue;
			add(&t, first ? "" : "; ");
			add(&t, key);
			add(&t, ": ");
			add_value(&t, old);
			add(&t, "→");
			add_value(&t, v);
			first = false;
		}
		json_object_foreach (b, key, v) {
			if (skipped(key) || json_object_get(a, key) != NULL)
				continue;
			add(&t, first ? "" : "; ");
			add(&t, key);
			add(&t, ": ");
			add_value(&t, v);
			add(&t, "→∅");
			first = false;
		}
	} else if (json_is_object(a) || json_is_object(b)) {
		json_t *o = json_is_object(a) ? a : b;
		add(&t, json_is_object(a) ? "+" : "-");
		json_object_foreach (o, key, v) {
			if (skipped(key))
				continue;
			add(&t, " ");
			add(&t, key);
			add(&t, "=");
			add_value(&t, v);
		}
	}
	json_decref(b);
	json_decref(a);
	/* Cut long changes at a character boundary, and say so. */
	if (t.used > CHANGE_MAX && n > CHANGE_MAX + 4) {
		size_t cut = CHANGE_MAX;
		while (cut > 0 && ((unsigned char)buf[cut] & 0xc0) == 0x80)
			cut--;
		snprintf(buf + cut, n - cut, "…");
	}
}

/* "2026-11-29 22:03:11" from "2026-11-29T22:03:11+08:00". */
static void time_text(const char *at, char *buf, size_t n)
{
	snprintf(buf, n, "%.19s", at ? at : "");
	char *t = strchr(buf, 'T');
	if (t != NULL)
		*t = ' ';
}

/* "CreateUnit" from "/luoshi.v1.RegistryService/CreateUnit". */
static const char *method_text(const char *method)
{
	if (method == NULL)
		return "";
	const char *slash = strrchr(method, '/');
	return slash ? slash + 1 : method;
}

/* ---- the command ------------------------------------------------------------------ */

/* One audit row of the list. */
static void audit_row(cli_table *t, const ProtobufCMessage *m)
{
	const Luoshi__V1__AuditEntry *e = (const Luoshi__V1__AuditEntry *)m;
	char when[32], who[320], eid[24] = "", change[CHANGE_MAX + 16];
	time_text(e->at, when, sizeof when);
	if (e->has_account_id)
		snprintf(who, sizeof who, "#%" PRId64 " %s", e->account_id,
		         e->account_name ? e->account_name : "");
	else
		snprintf(who, sizeof who, "%s", label(L_SERVER));
	if (e->has_entity_id)
		snprintf(eid, sizeof eid, "%" PRId64, e->entity_id);
	change_text(e->before, e->after, change, sizeof change);
	const char *cells[6] = {when, who, method_text(e->method), e->entity, eid, change};
	cli_table_add(t, cells);
}

int cli_cmd_audit(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_ENTITY, OPT_ID, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"entity", required_argument, NULL, OPT_ENTITY},
	    {"id", required_argument, NULL, OPT_ID},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListAuditRequest req = LUOSHI__V1__LIST_AUDIT_REQUEST__INIT;
	long long limit = 0, id;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi audit [--project PROJECT] [--entity ENTITY] [--id N]\n"
			    "                    [--limit N]\n"
			    "\n"
			    "Shows the audit log, newest first: every write, who made it, when,\n"
			    "through which call, and what changed (before→after). Needs an admin,\n"
			    "inspector or discipline token.\n"
			    "\n"
			    "Options:\n"
			    "  --project PROJECT  only the rows of this project (code or unique\n"
			    "                     name): the project's own, its plans', nodes' and\n"
			    "                     tasks'\n"
			    "  --entity ENTITY    only rows about this kind of row: unit, person,\n"
			    "                     account, project ...\n"
			    "  --id N             only rows about the row with this id\n"
			    "  --limit N          stop after N rows\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_ENTITY:
			req.entity = optarg;
			break;
		case OPT_ID:
			if (!cli_parse_int(optarg, 1, INT64_MAX, &id))
				return cli_usage_error(
				    ctx, _("--id takes a positive number, not '%s'"), optarg);
			req.has_entity_id = 1;
			req.entity_id = id;
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

	const char *headers[] = {label(L_TIME),   label(L_ACCOUNT), label(L_METHOD),
	                         label(L_ENTITY), label(L_ID),      label(L_CHANGE)};
	return cli_list(ctx, M_LIST, &req.base, "entries", limit, 6, headers, audit_row,
	                _("No audit rows."));
}
