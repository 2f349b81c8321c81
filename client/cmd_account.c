/* `luoshi account add|list|revoke`: accounts and their tokens
 * (AccountService). Only an admin may use them; the server checks. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/account.pb-c.h"
#include "output.h"

#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"
#define M_LIST "/luoshi.v1.AccountService/ListAccounts"
#define M_REVOKE "/luoshi.v1.AccountService/RevokeAccount"

/* The most rows one ListAccounts page may ask for (account.proto). */

/* ---- roles ----------------------------------------------------------------- */

/* Roles are spelled as their enum names without "ROLE_", in lower case, so
 * a role added to account.proto needs no change here. */
const char *cli_role_name(int role)
{
	static char buf[40];
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&luoshi__v1__role__descriptor, role);
	if (v == NULL) {
		snprintf(buf, sizeof buf, "%d", role);
		return buf;
	}
	const char *n = v->name;
	if (strncmp(n, "ROLE_", 5) == 0)
		n += 5;
	size_t i = 0;
	for (; n[i] != '\0' && i + 1 < sizeof buf; i++)
		buf[i] = (char)tolower((unsigned char)n[i]);
	buf[i] = '\0';
	return buf;
}

/* The role spelled name; ROLE_UNSPECIFIED (0) if there is none. */
static int role_from_name(const char *name)
{
	const ProtobufCEnumDescriptor *d = &luoshi__v1__role__descriptor;
	for (unsigned i = 0; i < d->n_values; i++) {
		int v = d->values[i].value;
		if (v != LUOSHI__V1__ROLE__ROLE_UNSPECIFIED && strcmp(cli_role_name(v), name) == 0)
			return v;
	}
	return LUOSHI__V1__ROLE__ROLE_UNSPECIFIED;
}

/* "admin, leader, ..." in the order of account.proto. */
static void role_list(char *buf, size_t n)
{
	const ProtobufCEnumDescriptor *d = &luoshi__v1__role__descriptor;
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < d->n_values && used < n; i++) {
		int v = d->values[i].value;
		if (v == LUOSHI__V1__ROLE__ROLE_UNSPECIFIED)
			continue;
		int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", cli_role_name(v));
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* ---- output ---------------------------------------------------------------- */

/* "WX 五乡镇" from the unit's code and name, either of which may be absent. */
static void unit_text(const Luoshi__V1__Account *a, char *buf, size_t n)
{
	const char *code = a->unit_code ? a->unit_code : "";
	const char *name = a->unit_name ? a->unit_name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

/* Marked for the catalogue in the context "account". */
static const char *const person_label = NC_("account", "Person");

/* "P01 张三" from the person's code and name, either of which may be absent. */
static void person_text(const Luoshi__V1__Account *a, char *buf, size_t n)
{
	const char *code = a->person_code ? a->person_code : "";
	const char *name = a->person_name ? a->person_name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

void cli_account_rows(cli_table *t, const Luoshi__V1__Account *a)
{
	if (a->has_id)
		cli_table_kvf(t, _("Account ID"), "%" PRId64, a->id);
	if (a->name != NULL)
		cli_table_kv(t, _("Name"), a->name);
	if (a->has_role)
		cli_table_kv(t, _("Role"), cli_role_name(a->role));
	if (a->unit_code != NULL)
		cli_table_kv(t, _("Unit code"), a->unit_code);
	if (a->unit_name != NULL)
		cli_table_kv(t, _("Unit name"), a->unit_name);
	if (a->person_code != NULL || a->person_name != NULL) {
		char person[320];
		person_text(a, person, sizeof person);
		cli_table_kv(t, cli_pgettext("account", person_label), person);
	}
	if (a->created_at != NULL)
		cli_table_kv(t, _("Created"), a->created_at);
	if (a->revoked_at != NULL)
		cli_table_kv(t, _("Revoked"), a->revoked_at);
}

/* ---- add ------------------------------------------------------------------- */

static int run_add(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_ROLE = CLI_OPT_FIRST_LOCAL, OPT_NAME, OPT_UNIT, OPT_PERSON };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"role", required_argument, NULL, OPT_ROLE},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"person", required_argument, NULL, OPT_PERSON},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	char roles[256];
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi account add --role ROLE [--name NAME] [--unit UNIT]\n"
			    "                          [--person PERSON] [--key KEY]\n"
			    "\n"
			    "Creates an account and prints it with its token. The token is shown\n"
			    "this once only: the server keeps only its hash. Pass it on safely to\n"
			    "the person who will use it. The unit and the person must lie within\n"
			    "your scope; a leader's account is bound to the leader as a person.\n"
			    "\n"
			    "Options:\n"
			    "  --role ROLE      admin, leader, town, department, inspector,\n"
			    "                   discipline or viewer\n"
			    "  --name NAME      who holds the account, such as \"clerk of the town\n"
			    "                   office\"\n"
			    "  --unit UNIT      the unit's code or unique name; by default your own\n"
			    "                   unit\n"
			    "  --person PERSON  the code or unique name of the person who holds it;\n"
			    "                   required for a leader\n"
			    "  --key KEY        the idempotency key, to retry an earlier add safely\n"));
		case OPT_ROLE:
			req.role = (Luoshi__V1__Role)role_from_name(optarg);
			if (req.role == LUOSHI__V1__ROLE__ROLE_UNSPECIFIED) {
				role_list(roles, sizeof roles);
				return cli_usage_error(
				    ctx, _("unknown role '%s' (valid roles: %s)"), optarg, roles);
			}
			req.has_role = 1;
			break;
		case OPT_NAME:
			req.name = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_PERSON:
			req.person = optarg;
			break;
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
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	if (!req.has_role) {
		role_list(roles, sizeof roles);
		return cli_usage_error(ctx, _("--role is required (one of %s)"), roles);
	}

	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_CREATE, &req.base, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__CreateAccountResponse *resp = (Luoshi__V1__CreateAccountResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		cli_table *t = cli_table_alloc(2, NULL);
		if (resp->account != NULL)
			cli_account_rows(t, resp->account);
		cli_table_kv(t, _("Token"), resp->token);
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	fflush(stdout);
	fprintf(stderr, "%s\n",
	        _("The token is shown only this once; the server keeps only its hash. "
	          "Store it safely now."));
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- list ------------------------------------------------------------------ */

/* One account of the list. */
static void account_row(cli_table *t, const ProtobufCMessage *m)
{
	const Luoshi__V1__Account *a = (const Luoshi__V1__Account *)m;
	char id[24] = "", unit[256], person[320];
	if (a->has_id)
		snprintf(id, sizeof id, "%" PRId64, a->id);
	unit_text(a, unit, sizeof unit);
	person_text(a, person, sizeof person);
	const char *cells[7] = {id,           a->name, a->has_role ? cli_role_name(a->role) : "",
	                        unit,         person,  a->created_at,
	                        a->revoked_at};
	cli_table_add(t, cells);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_ALL = CLI_OPT_FIRST_LOCAL, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"all", no_argument, NULL, OPT_ALL},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	bool all = false;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_("Usage: luoshi account list [--all] [--limit N]\n"
			                  "\n"
			                  "Lists the accounts, page by page until the end.\n"
			                  "\n"
			                  "Options:\n"
			                  "  --all      include revoked accounts\n"
			                  "  --limit N  stop after N accounts\n"));
		case OPT_ALL:
			all = true;
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

	const char *headers[] = {
	    _("ID"),      _("Name"),   _("Role"), _("Unit"), cli_pgettext("account", person_label),
	    _("Created"), _("Revoked")};
	Luoshi__V1__ListAccountsRequest req = LUOSHI__V1__LIST_ACCOUNTS_REQUEST__INIT;
	if (all) {
		req.has_include_revoked = 1;
		req.include_revoked = 1;
	}
	return cli_list(ctx, M_LIST, &req.base, "accounts", limit, 7, headers, account_row,
	                all ? _("No accounts.") : _("No live accounts."));
}

/* ---- revoke ---------------------------------------------------------------- */

static int run_revoke(cli_ctx *ctx, int argc, char **argv)
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
			    _("Usage: luoshi account revoke [--key KEY] ID\n"
			      "\n"
			      "Revokes the account with this ID ('luoshi account list' shows\n"
			      "them): its token stops working at once. The account stays on\n"
			      "record, marked revoked.\n"
			      "\n"
			      "Options:\n"
			      "  --key KEY  the idempotency key, to retry an earlier revoke\n"
			      "             safely\n"));
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
		return cli_usage_error(ctx, _("no account ID given"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	long long id;
	if (!cli_parse_int(argv[optind], 1, INT64_MAX, &id))
		return cli_usage_error(ctx, _("the account ID must be a positive number, not '%s'"),
		                       argv[optind]);

	Luoshi__V1__RevokeAccountRequest req = LUOSHI__V1__REVOKE_ACCOUNT_REQUEST__INIT;
	req.has_id = 1;
	req.id = id;
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_REVOKE, &req.base, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__RevokeAccountResponse *resp = (Luoshi__V1__RevokeAccountResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		printf(_("Account %lld is revoked.\n"), id);
		if (resp->account != NULL) {
			cli_table *t = cli_table_alloc(2, NULL);
			cli_account_rows(t, resp->account);
			cli_table_print(t, stdout, 0);
			cli_table_free(t);
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- the group ------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"add", run_add, N_("create an account and show its token")},
    {"list", run_list, N_("list the accounts")},
    {"revoke", run_revoke, N_("revoke an account, so that its token stops working")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi account SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Manages accounts: each holds a role, a unit and one token. Needs an\n"
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
	fputs(_("Run 'luoshi account SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_account(cli_ctx *ctx, int argc, char **argv)
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
