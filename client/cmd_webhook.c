/* `luoshi webhook add|list|remove|test|failures`: the group robots
 * (DingTalk, WeCom, or any HTTP receiver) that reminders are posted to
 * (WebhookService). Only an admin may use them; the server checks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/webhook.pb-c.h"
#include "output.h"

#define M_ADD "/luoshi.v1.WebhookService/AddWebhook"
#define M_LIST "/luoshi.v1.WebhookService/ListWebhooks"
#define M_REMOVE "/luoshi.v1.WebhookService/RemoveWebhook"
#define M_TEST "/luoshi.v1.WebhookService/TestWebhook"
#define M_GET "/luoshi.v1.WebhookService/GetDelivery"
#define M_FAILURES "/luoshi.v1.WebhookService/ListFailures"

/* How often `test` asks whether the robot has answered. */
#define TEST_POLL_MS 200
#define TEST_WAIT_DEFAULT_S 30

static const char *const kind_names[] = {
    [LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_DINGTALK] = "dingtalk",
    [LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_WECOM] = "wecom",
    [LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_GENERIC] = "generic",
};

static const char *kind_name(int kind)
{
	if (kind < 1 || kind > LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_GENERIC)
		return "";
	return kind_names[kind];
}

static const char *status_label(int status)
{
	switch (status) {
	case LUOSHI__V1__DELIVERY_STATUS__DELIVERY_STATUS_PENDING:
		return _("pending");
	case LUOSHI__V1__DELIVERY_STATUS__DELIVERY_STATUS_DELIVERED:
		return _("delivered");
	case LUOSHI__V1__DELIVERY_STATUS__DELIVERY_STATUS_FAILED:
		return _("failed");
	case LUOSHI__V1__DELIVERY_STATUS__DELIVERY_STATUS_CANCELLED:
		return _("cancelled");
	}
	return "";
}

static void recipient_text(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

static void webhook_rows(cli_table *t, const Luoshi__V1__Webhook *w)
{
	char who[320];
	if (w->has_id)
		cli_table_kvf(t, _("Webhook ID"), "%" PRId64, w->id);
	if (w->has_kind)
		cli_table_kv(t, _("Kind"), kind_name(w->kind));
	recipient_text(w->recipient_code, w->recipient_name, who, sizeof who);
	cli_table_kv(t,
	             w->recipient_kind == LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON
	                 ? _("Person")
	                 : _("Unit"),
	             who);
	if (w->url != NULL)
		cli_table_kv(t, _("URL"), w->url);
	cli_table_kv(t, _("Secret"), w->secret_set ? _("set") : _("none"));
	if (w->created_at != NULL)
		cli_table_kv(t, _("Created"), w->created_at);
}

static int key_option(cli_ctx *ctx, const char **key)
{
	if (!cli_key_valid(optarg))
		return cli_usage_error(ctx, _("--key takes 1 to 128 printable characters "
		                              "without spaces"));
	*key = optarg;
	return LS_OK;
}

/* ---- add ------------------------------------------------------------------------------ */

static int run_add(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_UNIT = CLI_OPT_FIRST_LOCAL, OPT_PERSON, OPT_KIND, OPT_URL, OPT_SECRET };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"person", required_argument, NULL, OPT_PERSON},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"url", required_argument, NULL, OPT_URL},
	    {"secret", required_argument, NULL, OPT_SECRET},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__AddWebhookRequest req = LUOSHI__V1__ADD_WEBHOOK_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi webhook add (--unit UNIT | --person PERSON)\n"
			    "                          --kind KIND --url URL [--secret SECRET]\n"
			    "                          [--key KEY]\n"
			    "\n"
			    "Adds a group robot that the reminders of the unit (or of the person)\n"
			    "are posted to from now on. The secret is kept by the server and never\n"
			    "shown again; lists show the URL with its token masked.\n"
			    "\n"
			    "Options:\n"
			    "  --unit UNIT      the unit's code or unique name\n"
			    "  --person PERSON  the person's code or unique name\n"
			    "  --kind KIND      dingtalk (浙政钉 custom robot), wecom (企业微信 group\n"
			    "                   robot) or generic (the reminder as JSON)\n"
			    "  --url URL        the robot's webhook address (https://...)\n"
			    "  --secret SECRET  dingtalk: the robot's signing secret (SEC...);\n"
			    "                   generic: the key of the X-Luoshi-Signature HMAC\n"
			    "  --key KEY        the idempotency key, to retry an earlier add safely\n"));
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_PERSON:
			req.person = optarg;
			break;
		case OPT_KIND:
			req.has_kind = 1;
			req.kind = LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_UNSPECIFIED;
			for (int k = 1; k <= LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_GENERIC; k++)
				if (strcmp(optarg, kind_names[k]) == 0)
					req.kind = (Luoshi__V1__WebhookKind)k;
			if (req.kind == LUOSHI__V1__WEBHOOK_KIND__WEBHOOK_KIND_UNSPECIFIED)
				return cli_usage_error(
				    ctx,
				    _("unknown kind '%s' (valid kinds: dingtalk, wecom, generic)"),
				    optarg);
			break;
		case OPT_URL:
			req.url = optarg;
			break;
		case OPT_SECRET:
			req.secret = optarg;
			break;
		case CLI_OPT_KEY:
			if (key_option(ctx, &key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	if (!req.has_kind)
		return cli_usage_error(ctx, _("--kind is required (dingtalk, wecom or generic)"));
	if (req.url == NULL)
		return cli_usage_error(ctx, _("--url is required"));
	if (req.unit == NULL && req.person == NULL)
		return cli_usage_error(ctx, _("--unit or --person is required"));

	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_ADD, &req.base, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__AddWebhookResponse *resp = (Luoshi__V1__AddWebhookResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else if (resp->webhook != NULL) {
		printf(_("Webhook %lld is added.\n"), (long long)resp->webhook->id);
		cli_table *t = cli_table_alloc(2, NULL);
		webhook_rows(t, resp->webhook);
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- list ----------------------------------------------------------------------------- */

/* One webhook of `list`. */
static void webhook_row(cli_table *t, const ProtobufCMessage *m)
{
	const Luoshi__V1__Webhook *w = (const Luoshi__V1__Webhook *)m;
	char id[24], who[320];
	snprintf(id, sizeof id, "%" PRId64, w->id);
	recipient_text(w->recipient_code, w->recipient_name, who, sizeof who);
	const char *cells[6] = {
	    id,           kind_name(w->kind), who, w->url, w->secret_set ? _("set") : _("none"),
	    w->created_at};
	cli_table_add(t, cells);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_UNIT = CLI_OPT_FIRST_LOCAL, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	const char *unit = NULL;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi webhook list [--unit UNIT] [--limit N]\n"
			      "\n"
			      "Lists the webhooks in use, page by page until the end.\n"
			      "Secrets are never shown; URLs show their query masked.\n"
			      "\n"
			      "Options:\n"
			      "  --unit UNIT  only the webhooks of this unit and its people\n"
			      "  --limit N    stop after N webhooks\n"));
		case OPT_UNIT:
			unit = optarg;
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

	const char *headers[] = {_("ID"),  _("Kind"),   _("Recipient"),
	                         _("URL"), _("Secret"), _("Created")};
	Luoshi__V1__ListWebhooksRequest req = LUOSHI__V1__LIST_WEBHOOKS_REQUEST__INIT;
	req.unit = (char *)unit;
	return cli_list(ctx, M_LIST, &req.base, "webhooks", limit,
	                sizeof headers / sizeof headers[0], headers, webhook_row,
	                _("No webhooks."));
}

/* ---- remove and test ---------------------------------------------------------------------- */

/* Parses the options of a command that takes --key and one webhook ID. */
static int id_args(cli_ctx *ctx, int argc, char **argv, const char *help, const char **key,
                   long long *wait_s, long long *id)
{
	enum { OPT_WAIT = CLI_OPT_FIRST_LOCAL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {"wait", required_argument, NULL, OPT_WAIT},
	    {NULL, 0, NULL, 0},
	};
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			cli_help(help);
			return -1;
		case CLI_OPT_KEY:
			if (key_option(ctx, key) != LS_OK)
				return CLI_EXIT_USAGE;
			break;
		case OPT_WAIT:
			if (wait_s == NULL)
				return cli_usage_error(ctx, _("unknown option '--wait'"));
			if (!cli_parse_int(optarg, 1, 3600, wait_s))
				return cli_usage_error(
				    ctx, _("--wait takes seconds from 1 to 3600, not '%s'"),
				    optarg);
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no webhook ID given"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	if (!cli_parse_int(argv[optind], 1, INT64_MAX, id))
		return cli_usage_error(ctx, _("the webhook ID must be a positive number, not '%s'"),
		                       argv[optind]);
	return LS_OK;
}

static int run_remove(cli_ctx *ctx, int argc, char **argv)
{
	const char *key = CLI_FRESH_KEY;
	long long id;
	int rc = id_args(ctx, argc, argv,
	                 _("Usage: luoshi webhook remove [--key KEY] ID\n"
	                   "\n"
	                   "Removes the webhook with this ID ('luoshi webhook list' shows\n"
	                   "them): no reminder is posted to it any more, and the deliveries\n"
	                   "still waiting for it are cancelled.\n"
	                   "\n"
	                   "Options:\n"
	                   "  --key KEY  the idempotency key, to retry an earlier remove safely\n"),
	                 &key, NULL, &id);
	if (rc != LS_OK)
		return rc < 0 ? 0 : rc;
	Luoshi__V1__RemoveWebhookRequest req = LUOSHI__V1__REMOVE_WEBHOOK_REQUEST__INIT;
	req.has_id = 1;
	req.id = id;
	luoshi_client *client;
	if ((rc = cli_open(ctx, &client)) != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_REMOVE, &req.base, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__RemoveWebhookResponse *resp = (Luoshi__V1__RemoveWebhookResponse *)m;
	if (ctx->json)
		rc = cli_print_message_json(m);
	else
		printf(_("Webhook %lld is removed; %u waiting deliveries cancelled.\n"), id,
		       resp->cancelled);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int run_test(cli_ctx *ctx, int argc, char **argv)
{
	const char *key = CLI_FRESH_KEY;
	long long id, wait_s = TEST_WAIT_DEFAULT_S;
	int rc =
	    id_args(ctx, argc, argv,
	            _("Usage: luoshi webhook test [--wait SECONDS] [--key KEY] ID\n"
	              "\n"
	              "Sends a test message to the webhook with this ID, waits for the\n"
	              "robot's answer and shows it. Exits 0 when the robot took the message.\n"
	              "\n"
	              "Options:\n"
	              "  --wait SECONDS  how long to wait for the answer (default 30)\n"
	              "  --key KEY       the idempotency key, to retry an earlier test safely\n"),
	            &key, &wait_s, &id);
	if (rc != LS_OK)
		return rc < 0 ? 0 : rc;
	Luoshi__V1__TestWebhookRequest req = LUOSHI__V1__TEST_WEBHOOK_REQUEST__INIT;
	req.has_id = 1;
	req.id = id;
	luoshi_client *client;
	if ((rc = cli_open(ctx, &client)) != LS_OK)
		return rc;
	ProtobufCMessage *m;
	if ((rc = cli_call(client, M_TEST, &req.base, key, &m)) != LS_OK) {
		luoshi_client_close(client);
		return rc;
	}
	int64_t delivery = ((Luoshi__V1__TestWebhookResponse *)m)->delivery
	                       ? ((Luoshi__V1__TestWebhookResponse *)m)->delivery->id
	                       : 0;
	protobuf_c_message_free_unpacked(m, NULL);
	/* The server answers once the test is queued; the robot's answer
	 * comes later, in the delivery's record. */
	Luoshi__V1__WebhookDelivery *d = NULL;
	long waited = 0;
	for (;;) {
		Luoshi__V1__GetDeliveryRequest g = LUOSHI__V1__GET_DELIVERY_REQUEST__INIT;
		g.has_id = 1;
		g.id = delivery;
		if ((rc = cli_call(client, M_GET, &g.base, NULL, &m)) != LS_OK)
			break;
		d = ((Luoshi__V1__GetDeliveryResponse *)m)->delivery;
		if (d != NULL && d->status != LUOSHI__V1__DELIVERY_STATUS__DELIVERY_STATUS_PENDING)
			break;
		d = NULL;
		protobuf_c_message_free_unpacked(m, NULL);
		m = NULL;
		if (waited >= wait_s * 1000)
			break;
		pause_ms(TEST_POLL_MS);
		waited += TEST_POLL_MS;
	}
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	if (d == NULL) {
		ls_status st;
		ls_status_set(&st, LS_DEADLINE_EXCEEDED,
		              _("the robot did not answer within %lld s (delivery %lld)"), wait_s,
		              (long long)delivery);
		return cli_print_status(&st);
	}
	bool ok = d->status == LUOSHI__V1__DELIVERY_STATUS__DELIVERY_STATUS_DELIVERED;
	if (ctx->json) {
		rc = cli_print_message_json(&d->base);
	} else {
		const Luoshi__V1__WebhookAttempt *a = d->last;
		cli_table *t = cli_table_alloc(2, NULL);
		cli_table_kvf(t, _("Delivery"), "%" PRId64, d->id);
		cli_table_kv(t, _("Status"), status_label(d->status));
		if (a != NULL && a->has_http_status)
			cli_table_kvf(t, _("HTTP status"), "%u", a->http_status);
		if (a != NULL && a->error != NULL)
			cli_table_kv(t, _("Error"), a->error);
		if (a != NULL && a->has_elapsed_ms)
			cli_table_kvf(t, _("Time"), "%u ms", a->elapsed_ms);
		cli_table_kv(t, _("Idempotency key"), d->idempotency_key);
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	if (!ok) {
		fflush(stdout);
		fprintf(stderr, "luoshi: %s\n", _("the robot did not take the test message"));
		rc = LS_UNAVAILABLE;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- failures ----------------------------------------------------------------------------- */

/* One failed delivery of `failures`. */
static void failure_row(cli_table *t, const ProtobufCMessage *m)
{
	const Luoshi__V1__WebhookDelivery *d = (const Luoshi__V1__WebhookDelivery *)m;
	char id[24], hook[64], who[320], reminder[24] = "", attempts[16];
	snprintf(id, sizeof id, "%" PRId64, d->id);
	snprintf(hook, sizeof hook, "%" PRId64 " %s", d->webhook_id, kind_name(d->kind));
	recipient_text(d->recipient_code, d->recipient_name, who, sizeof who);
	if (d->has_reminder_id)
		snprintf(reminder, sizeof reminder, "%" PRId64, d->reminder_id);
	else
		snprintf(reminder, sizeof reminder, "%s", _("test"));
	snprintf(attempts, sizeof attempts, "%u", d->attempts);
	const char *cells[7] = {id,
	                        hook,
	                        who,
	                        reminder,
	                        attempts,
	                        d->last ? d->last->at : "",
	                        d->last && d->last->error ? d->last->error : ""};
	cli_table_add(t, cells);
}

static int run_failures(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_LIMIT = CLI_OPT_FIRST_LOCAL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi webhook failures [--limit N]\n"
			      "\n"
			      "Lists the deliveries that failed after their last attempt,\n"
			      "newest first, with the robot's last answer.\n"
			      "\n"
			      "Options:\n"
			      "  --limit N  stop after N deliveries\n"));
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

	const char *headers[] = {_("ID"),       _("Webhook"),      _("Recipient"), _("Reminder"),
	                         _("Attempts"), _("Last attempt"), _("Error")};
	Luoshi__V1__ListFailuresRequest req = LUOSHI__V1__LIST_FAILURES_REQUEST__INIT;
	return cli_list(ctx, M_FAILURES, &req.base, "deliveries", limit,
	                sizeof headers / sizeof headers[0], headers, failure_row,
	                _("No failed deliveries."));
}

/* ---- the group ---------------------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"add", run_add, N_("add a robot that a unit's reminders are posted to")},
    {"list", run_list, N_("list the webhooks (secrets are never shown)")},
    {"remove", run_remove, N_("remove a webhook and cancel what waits for it")},
    {"test", run_test, N_("send a test message and show the robot's answer")},
    {"failures", run_failures, N_("list the deliveries that failed after every attempt")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi webhook SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Manages the group robots (DingTalk, WeCom, or any HTTP receiver) that\n"
	        "reminders are posted to. Needs an admin token.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi webhook SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_webhook(cli_ctx *ctx, int argc, char **argv)
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
