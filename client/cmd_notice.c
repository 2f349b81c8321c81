/* `luoshi notice send`: a notice from the district office to the inboxes of
 * a unit, a person, every unit with accounts of a role, or every unit
 * (ReminderService/SendNotice). Only an admin may send one; the server
 * checks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "luoshi/v1/reminders.pb-c.h"
#include "output.h"

#define M_SEND "/luoshi.v1.ReminderService/SendNotice"

static int run_send(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_TO = CLI_OPT_FIRST_LOCAL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"to", required_argument, NULL, OPT_TO},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__SendNoticeRequest req = LUOSHI__V1__SEND_NOTICE_REQUEST__INIT;
	const char *key = CLI_FRESH_KEY;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi notice send --to TARGET [--key KEY] TEXT\n"
			    "\n"
			    "Sends a notice (at most 2000 bytes) to the inboxes TARGET names, where\n"
			    "'luoshi inbox' shows it and 'luoshi watch' announces it. TARGET is:\n"
			    "  unit:UNIT      one unit, by code or unique name\n"
			    "  person:PERSON  one person, by code or unique name\n"
			    "  role:ROLE      every unit with an account of the role (town,\n"
			    "                 department ...); role:leader, every leader\n"
			    "  all            every unit\n"
			    "Only within your scope. Needs an admin token.\n"
			    "\n"
			    "Options:\n"
			    "  --to TARGET  where the notice goes\n"
			    "  --key KEY    the idempotency key, to retry an earlier send safely\n"));
		case OPT_TO:
			req.to = optarg;
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
	if (req.to == NULL)
		return cli_usage_error(ctx, _("--to is required (unit:UNIT, person:PERSON, "
		                              "role:ROLE or all)"));
	if (optind >= argc)
		return cli_usage_error(ctx, _("no TEXT given"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s' (quote the text)"),
		                       argv[optind + 1]);
	req.text = argv[optind];

	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_SEND, &req.base, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__SendNoticeResponse *resp = (Luoshi__V1__SendNoticeResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		printf(ngettext("Notice %s sent to %zu inbox.\n",
		                "Notice %s sent to %zu inboxes.\n", resp->n_deliveries),
		       resp->notice ? resp->notice : "", resp->n_deliveries);
		const char *headers[] = {_("Inbox"), _("Seq")};
		cli_table *t = cli_table_alloc(2, headers);
		for (size_t i = 0; i < resp->n_deliveries; i++) {
			const Luoshi__V1__Delivery *d = resp->deliveries[i];
			bool person =
			    d->recipient_kind == LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON;
			const char *code = d->recipient_code ? d->recipient_code : "";
			const char *name = d->recipient_name ? d->recipient_name : "";
			char inbox[340], seq[32];
			snprintf(inbox, sizeof inbox, "%s%s%s", code, *code && *name ? " " : "",
			         name);
			snprintf(seq, sizeof seq, "%s%" PRIu64, person ? "p" : "", d->seq);
			const char *cells[2] = {inbox, seq};
			cli_table_add(t, cells);
		}
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

static const cli_command subcommands[] = {
    {"send", run_send, N_("send a notice to the inboxes of units or people")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi notice SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Notices from the district office, delivered to inboxes like the\n"
	        "scheduler's reminders. Needs an admin token.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi notice SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_notice(cli_ctx *ctx, int argc, char **argv)
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
