/* The commands that talk about the connection itself: health, version,
 * whoami, services, and `call`, which reaches any method by name. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "json.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/health.pb-c.h"
#include "luoshi/v1/reflection.pb-c.h"
#include "output.h"
#include "rpc.h"

#ifndef LUOSHI_VERSION
#define LUOSHI_VERSION "unknown"
#endif

#define M_HEALTH_CHECK "/luoshi.v1.HealthService/Check"
#define M_SERVER_INFO "/luoshi.v1.ReflectionService/GetServerInfo"
#define M_LIST_SERVICES "/luoshi.v1.ReflectionService/ListServices"
#define M_WHOAMI "/luoshi.v1.AccountService/WhoAmI"

/* Parses the options of a command that has none but the global ones.
 * Returns -1 to go on (positional arguments from optind), or the exit
 * code to end with. */
static int plain_options(cli_ctx *ctx, int argc, char **argv, const char *help)
{
	static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
	cli_getopt_reset();
	int c = cli_getopt(ctx, argc, argv, "h", opts);
	if (c == 'h')
		return cli_help(help);
	if (c != -1)
		return CLI_EXIT_USAGE;
	return -1;
}

static int no_arguments(cli_ctx *ctx, int argc, char **argv)
{
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	return -1;
}

/* ---- health ---------------------------------------------------------------- */

/* Marked for translation in the "health" context. */
static const char *const serving_names[] = {
    NC_("health", "UNKNOWN"),
    NC_("health", "SERVING"),
    NC_("health", "NOT_SERVING"),
};

int cli_cmd_health(cli_ctx *ctx, int argc, char **argv)
{
	int rc =
	    plain_options(ctx, argc, argv,
	                  _("Usage: luoshi health [SERVICE]\n"
	                    "\n"
	                    "Asks the server whether it is serving and prints SERVING or\n"
	                    "NOT_SERVING. With SERVICE (such as luoshi.v1.AccountService), asks\n"
	                    "about that service only. Needs no token.\n"
	                    "\n"
	                    "Exit status: 0 when serving, 14 (UNAVAILABLE) otherwise.\n"));
	if (rc >= 0)
		return rc;
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);

	Luoshi__V1__HealthCheckRequest req = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
	if (optind < argc)
		req.service = argv[optind];

	luoshi_client *c;
	if (cli_open(ctx, &c) != LS_OK)
		return LS_UNAVAILABLE;
	ProtobufCMessage *m;
	rc = cli_call(c, M_HEALTH_CHECK, &req.base, NULL, &m);
	luoshi_client_close(c);
	if (rc != LS_OK)
		return LS_UNAVAILABLE;

	Luoshi__V1__HealthCheckResponse *resp = (Luoshi__V1__HealthCheckResponse *)m;
	int status = resp->has_status ? (int)resp->status : 0;
	bool serving = status == LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	if (ctx->json) {
		cli_print_message_json(m);
	} else {
		const char *name = status >= 0 && status < 3 ? serving_names[status] : "UNKNOWN";
		const char *local = cli_pgettext("health", name);
		if (strcmp(local, name) == 0)
			printf("%s\n", name);
		else
			printf("%s (%s)\n", local, name);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return serving ? LS_OK : LS_UNAVAILABLE;
}

/* ---- version --------------------------------------------------------------- */

int cli_cmd_version(cli_ctx *ctx, int argc, char **argv)
{
	int rc = plain_options(ctx, argc, argv,
	                       _("Usage: luoshi version\n"
	                         "\n"
	                         "Shows the version of this client and the server's version,\n"
	                         "protocol and settings. When the server cannot be reached, shows\n"
	                         "the client's version and then the error.\n"));
	if (rc >= 0 || (rc = no_arguments(ctx, argc, argv)) >= 0)
		return rc;

	luoshi_client *c;
	ls_status st;
	ProtobufCMessage *m = NULL;
	rc = cli_open_status(ctx, &c, &st);
	if (rc == LS_OK) {
		Luoshi__V1__GetServerInfoRequest req = LUOSHI__V1__GET_SERVER_INFO_REQUEST__INIT;
		rc = luoshi_client_call(c, M_SERVER_INFO, &req.base, NULL, &m, &st);
		luoshi_client_close(c);
	}
	const Luoshi__V1__GetServerInfoResponse *info = (Luoshi__V1__GetServerInfoResponse *)m;

	if (ctx->json) {
		json_t *client = json_pack("{s:s, s:I}", "version", LUOSHI_VERSION,
		                           "protocolVersion", (json_int_t)LS_PROTOCOL_VERSION);
		json_t *j = json_pack("{s:o}", "client", client);
		if (j == NULL)
			cli_out_of_memory();
		if (m != NULL && json_object_set_new(j, "server", cli_message_json(m)) != 0)
			cli_out_of_memory();
		cli_print_json(j);
	} else {
		cli_table *t = cli_table_alloc(2, NULL);
		cli_table_kv(t, _("Client version"), LUOSHI_VERSION);
		cli_table_kvf(t, _("Client protocol"), "%u", LS_PROTOCOL_VERSION);
		if (info != NULL) {
			cli_table_kv(t, _("Server"), cli_server());
			cli_table_kv(t, _("Server version"), info->version);
			if (info->has_protocol_version)
				cli_table_kvf(t, _("Server protocol"), "%lu",
				              (unsigned long)info->protocol_version);
			if (info->has_max_message_bytes)
				cli_table_kvf(t, _("Largest request"), _("%llu bytes"),
				              (unsigned long long)info->max_message_bytes);
			if (info->time_zone != NULL)
				cli_table_kv(t, _("Time zone"), info->time_zone);
			if (info->server_time != NULL)
				cli_table_kv(t, _("Server time"), info->server_time);
			for (size_t i = 0; i < info->n_push_urls; i++)
				cli_table_kv(t, i == 0 ? _("Reminders at") : "",
				             info->push_urls[i]);
		}
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc == LS_OK ? LS_OK : cli_print_status(&st);
}

/* ---- whoami ---------------------------------------------------------------- */

int cli_cmd_whoami(cli_ctx *ctx, int argc, char **argv)
{
	int rc = plain_options(ctx, argc, argv,
	                       _("Usage: luoshi whoami\n"
	                         "\n"
	                         "Shows the account the token belongs to: its id, name, role and\n"
	                         "unit.\n"));
	if (rc >= 0 || (rc = no_arguments(ctx, argc, argv)) >= 0)
		return rc;

	luoshi_client *c;
	if ((rc = cli_open(ctx, &c)) != LS_OK)
		return rc;
	Luoshi__V1__WhoAmIRequest req = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
	ProtobufCMessage *m;
	rc = cli_call(c, M_WHOAMI, &req.base, NULL, &m);
	luoshi_client_close(c);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__WhoAmIResponse *resp = (Luoshi__V1__WhoAmIResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else if (resp->account != NULL) {
		cli_table *t = cli_table_alloc(2, NULL);
		cli_account_rows(t, resp->account);
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- services -------------------------------------------------------------- */

static void print_service(const Luoshi__V1__ServiceInfo *svc)
{
	printf("%s\n", svc->name ? svc->name : "?");
	cli_table *t = cli_table_alloc(3, NULL);
	for (size_t k = 0; k < svc->n_methods; k++) {
		const Luoshi__V1__MethodInfo *mi = svc->methods[k];
		char types[512], mark[256] = "";
		snprintf(types, sizeof types, "%s -> %s", mi->input_type ? mi->input_type : "?",
		         mi->output_type ? mi->output_type : "?");
		ls_method found;
		if (mi->has_implemented && !mi->implemented)
			snprintf(mark, sizeof mark, "%s", _("[not implemented]"));
		if (mi->full_name == NULL || ls_method_find(mi->full_name, &found) != LS_OK) {
			size_t n = strlen(mark);
			snprintf(mark + n, sizeof mark - n, "%s%s", n ? " " : "",
			         _("[unknown to this client]"));
		}
		const char *cells[3] = {mi->name, types, mark};
		cli_table_add(t, cells);
	}
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
}

int cli_cmd_services(cli_ctx *ctx, int argc, char **argv)
{
	int rc =
	    plain_options(ctx, argc, argv,
	                  _("Usage: luoshi services\n"
	                    "\n"
	                    "Lists the server's services, each with its methods and their\n"
	                    "request and response types. Methods the server declares but does\n"
	                    "not implement are marked, and so are methods this client does not\n"
	                    "know (call them after updating the client).\n"));
	if (rc >= 0 || (rc = no_arguments(ctx, argc, argv)) >= 0)
		return rc;

	luoshi_client *c;
	if ((rc = cli_open(ctx, &c)) != LS_OK)
		return rc;
	Luoshi__V1__ListServicesRequest req = LUOSHI__V1__LIST_SERVICES_REQUEST__INIT;
	ProtobufCMessage *m;
	rc = cli_call(c, M_LIST_SERVICES, &req.base, NULL, &m);
	luoshi_client_close(c);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__ListServicesResponse *resp = (Luoshi__V1__ListServicesResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else if (resp->n_services == 0) {
		printf("%s\n", _("The server lists no services."));
	} else {
		for (size_t i = 0; i < resp->n_services; i++)
			print_service(resp->services[i]);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- call ------------------------------------------------------------------ */

/* Reads the request from the argument, or from standard input for NULL or
 * "-". On failure fills st. */
static json_t *read_request(const char *arg, ls_status *st)
{
	json_error_t err;
	json_t *j;
	if (arg == NULL || strcmp(arg, "-") == 0)
		j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &err);
	else
		j = json_loads(arg, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		ls_status_set(st, LS_INVALID_ARGUMENT,
		              _("the request is not valid JSON: %s (line %d, column %d)"), err.text,
		              err.line, err.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		ls_status_set(st, LS_INVALID_ARGUMENT, _("the request must be a JSON object"));
		return NULL;
	}
	return j;
}

int cli_cmd_call(cli_ctx *ctx, int argc, char **argv)
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
			    "Usage: luoshi call [--key KEY] METHOD [JSON]\n"
			    "\n"
			    "Calls any method by its full name, such as\n"
			    "/luoshi.v1.AccountService/WhoAmI (the leading slash may be left\n"
			    "out), with a request written as JSON, and prints the response as\n"
			    "JSON. The JSON comes from the argument, or from standard input when\n"
			    "it is left out or is \"-\". Field names are as in the .proto files or\n"
			    "in lowerCamelCase; enums by name; 64-bit numbers may be strings.\n"
			    "'luoshi services' lists the methods.\n"
			    "\n"
			    "Options:\n"
			    "  --key KEY  the idempotency key to send, to retry an earlier call\n"
			    "             safely; by default a new key is made for each call\n"
			    "\n"
			    "Example:\n"
			    "  luoshi call luoshi.v1.AccountService/ListAccounts '{\"pageSize\": 10}'\n"));
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
		return cli_usage_error(ctx, _("no method given"));
	if (argc - optind > 2)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 2]);
	const char *method = argv[optind];
	const char *arg = argc - optind == 2 ? argv[optind + 1] : NULL;

	ls_status st;
	ls_status_clear(&st);
	ls_method m;
	if (ls_method_find(method, &m) != LS_OK) {
		ls_status_set(&st, LS_NOT_FOUND,
		              _("unknown method %s ('luoshi services' lists them)"), method);
		return cli_print_status(&st);
	}
	char full[512];
	ls_method_full_name(m.service, m.method, full, sizeof full);

	json_t *j = read_request(arg, &st);
	if (j == NULL)
		return cli_print_status(&st);
	ProtobufCMessage *req;
	int rc = ls_json_to_message(m.method->input, j, &req, &st);
	json_decref(j);
	if (rc != LS_OK)
		return cli_print_status(&st);

	luoshi_client *client;
	if ((rc = cli_open(ctx, &client)) == LS_OK) {
		ProtobufCMessage *resp;
		rc = cli_call(client, full, req, key, &resp);
		luoshi_client_close(client);
		if (rc == LS_OK) {
			rc = cli_print_message_json(resp);
			protobuf_c_message_free_unpacked(resp, NULL);
		}
	}
	protobuf_c_message_free_unpacked(req, NULL);
	return rc;
}
