/* `luoshi outbox list|flush|retry|drop`: the updates made while the server
 * could not be reached (outbox.h). Any command that reaches the server
 * flushes the outbox first; these commands look at it and flush it by
 * hand. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/progress.pb-c.h"
#include "outbox.h"
#include "output.h"
#include "rpc.h"

/* Parses the options of a subcommand that has none but the global ones;
 * -1 to go on, or the exit code. */
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

static const char *state_name(cli_outbox_state s)
{
	return s == CLI_OUTBOX_REFUSED ? _("refused") : _("queued");
}

/* Opens the outbox for reading; *o is NULL when there is none yet. */
static int open_existing(cli_outbox **o)
{
	ls_status st;
	int rc = cli_outbox_open(o, false, &st);
	if (rc == LS_NOT_FOUND) {
		*o = NULL;
		return LS_OK;
	}
	if (rc != LS_OK)
		return cli_print_status(&st);
	return LS_OK;
}

/* ---- list -------------------------------------------------------------------- */

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	int rc = plain_options(ctx, argc, argv,
	                       _("Usage: luoshi outbox list\n"
	                         "\n"
	                         "Lists the updates waiting in the outbox, oldest first: those\n"
	                         "queued to be sent, and those the server refused, with its\n"
	                         "answer. Does not contact the server.\n"));
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	cli_outbox *o;
	if ((rc = open_existing(&o)) != LS_OK)
		return rc;
	cli_outbox_row *rows = NULL;
	size_t n = 0;
	ls_status st;
	if (o != NULL && cli_outbox_rows(o, false, &rows, &n, &st) != LS_OK) {
		cli_outbox_close(o);
		return cli_print_status(&st);
	}
	cli_outbox_close(o);
	if (ctx->json) {
		json_t *a = json_array();
		if (a == NULL)
			cli_out_of_memory();
		for (size_t i = 0; i < n; i++) {
			const cli_outbox_row *r = &rows[i];
			char id[24];
			snprintf(id, sizeof id, "%" PRId64, r->id);
			json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "id", id,
			                      "project", r->project, "period", r->period,
			                      "queuedAt", r->queued_at, "state",
			                      r->state == CLI_OUTBOX_REFUSED ? "refused" : "queued",
			                      "tries", r->tries, "lastAnswer", r->answer);
			if (j == NULL || json_array_append_new(a, j) != 0)
				cli_out_of_memory();
		}
		rc = cli_print_json(a);
	} else if (n == 0) {
		printf("%s\n", _("The outbox is empty."));
	} else {
		const char *headers[] = {_("ID"),    _("Project"), _("Period"),     _("Queued at"),
		                         _("State"), _("Tries"),   _("Last answer")};
		cli_table *t = cli_table_alloc(7, headers);
		for (size_t i = 0; i < n; i++) {
			const cli_outbox_row *r = &rows[i];
			char id[24], tries[16];
			snprintf(id, sizeof id, "%" PRId64, r->id);
			snprintf(tries, sizeof tries, "%d", r->tries);
			const char *cells[7] = {id,           r->project,           r->period,
			                        r->queued_at, state_name(r->state), tries,
			                        r->answer};
			cli_table_add(t, cells);
		}
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	cli_outbox_rows_free(rows, n);
	return rc;
}

/* ---- flush and retry -------------------------------------------------------------- */

/* Prints the outcome of one send. */
static void report(void *arg, const cli_outbox_row *r, int code, const ls_status *st,
                   const uint8_t *resp, size_t resp_len)
{
	int *first_failure = arg;
	if (code == LS_OK) {
		ProtobufCMessage *m = NULL;
		ls_status ignore;
		const Luoshi__V1__Update *u = NULL;
		if (strcmp(r->method, "/luoshi.v1.ProgressService/SubmitUpdate") == 0 &&
		    ls_message_unpack(&luoshi__v1__submit_update_response__descriptor,
		                      resp ? resp : (const uint8_t *)"", resp_len, "response", &m,
		                      &ignore) == LS_OK)
			u = ((Luoshi__V1__SubmitUpdateResponse *)m)->update;
		if (u != NULL)
			printf(_("sent     #%lld  %s %s: update %lld, revision %u\n"),
			       (long long)r->id, r->project, u->period ? u->period : r->period,
			       (long long)u->id, u->revision);
		else
			printf(_("sent     #%lld  %s %s\n"), (long long)r->id, r->project,
			       r->period);
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
		return;
	}
	if (*first_failure == LS_OK)
		*first_failure = code;
	if (cli_outbox_transient(code)) {
		printf(_("stopped  #%lld  %s %s: %s: %s\n"), (long long)r->id, r->project,
		       r->period, cli_code_display(code), st->message);
		return;
	}
	printf(_("refused  #%lld  %s %s: %s: %s%s%s\n"), (long long)r->id, r->project, r->period,
	       cli_code_display(code), st->field, st->field[0] ? ": " : "", st->message);
}

static int run_flush(cli_ctx *ctx, int argc, char **argv)
{
	int rc = plain_options(
	    ctx, argc, argv,
	    _("Usage: luoshi outbox flush\n"
	      "\n"
	      "Sends the queued updates, oldest first, each with the idempotency key\n"
	      "it was first sent with, so that none is written twice. One the server\n"
	      "accepts leaves the outbox; one it refuses stays, marked with its\n"
	      "answer, and is not sent again ('luoshi outbox retry', or submit it\n"
	      "again). The flush stops at the first update that gets no answer.\n"
	      "\n"
	      "Exit status: 0 when every queued update was sent; otherwise the status\n"
	      "code of the first one that was not.\n"));
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	cli_outbox_set_auto(false);
	cli_outbox *o;
	if ((rc = open_existing(&o)) != LS_OK)
		return rc;
	if (o == NULL) {
		printf("%s\n", _("The outbox is empty."));
		return LS_OK;
	}
	luoshi_client *client;
	ls_status st;
	if ((rc = cli_open_status(ctx, &client, &st)) != LS_OK) {
		cli_outbox_close(o);
		return cli_print_status(&st);
	}
	int first_failure = LS_OK;
	cli_outbox_flushed res;
	rc = cli_outbox_flush(o, client, report, &first_failure, &res, &st);
	luoshi_client_close(client);
	cli_outbox_close(o);
	if (rc != LS_OK)
		return cli_print_status(&st);
	if (res.stop_code != LS_OK)
		printf(_("%d sent, %d refused, %d left queued: %s\n"), res.sent, res.refused,
		       res.left, res.stop.message);
	else
		printf(_("%d sent, %d refused.\n"), res.sent, res.refused);
	return first_failure;
}

/* Reads the ID argument of retry and drop. */
static int id_argument(cli_ctx *ctx, int argc, char **argv, int64_t *id)
{
	long long v;
	if (optind >= argc)
		return cli_usage_error(ctx, _("no outbox ID given"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	if (!cli_parse_int(argv[optind], 1, INT64_MAX, &v))
		return cli_usage_error(ctx, _("the outbox ID must be a positive number, not '%s'"),
		                       argv[optind]);
	*id = v;
	return -1;
}

static int no_such_row(int64_t id)
{
	ls_status st;
	ls_status_field(&st, LS_NOT_FOUND, "ID", _("the outbox holds no update #%lld"),
	                (long long)id);
	return cli_print_status(&st);
}

static int run_retry(cli_ctx *ctx, int argc, char **argv)
{
	int rc = plain_options(ctx, argc, argv,
	                       _("Usage: luoshi outbox retry ID\n"
	                         "\n"
	                         "Sends one update of the outbox now, queued or refused, with\n"
	                         "its own idempotency key: after the server refused it, once\n"
	                         "what it objected to is put right (a month unlocked, an\n"
	                         "account given the project).\n"));
	int64_t id;
	if (rc >= 0 || (rc = id_argument(ctx, argc, argv, &id)) >= 0)
		return rc;
	cli_outbox_set_auto(false);
	cli_outbox *o;
	if ((rc = open_existing(&o)) != LS_OK)
		return rc;
	if (o == NULL)
		return no_such_row(id);
	cli_outbox_row r;
	ls_status st;
	rc = cli_outbox_get(o, id, &r, &st);
	if (rc != LS_OK) {
		cli_outbox_close(o);
		return rc == LS_NOT_FOUND ? no_such_row(id) : cli_print_status(&st);
	}
	luoshi_client *client;
	if ((rc = cli_open_status(ctx, &client, &st)) == LS_OK) {
		uint8_t *resp;
		size_t len;
		int first_failure = LS_OK;
		rc = cli_outbox_send(o, client, &r, &resp, &len, &st);
		report(&first_failure, &r, rc, &st, resp, len);
		free(resp);
		luoshi_client_close(client);
	} else {
		cli_print_status(&st);
	}
	free(r.body);
	cli_outbox_close(o);
	return rc;
}

static int run_drop(cli_ctx *ctx, int argc, char **argv)
{
	int rc = plain_options(ctx, argc, argv,
	                       _("Usage: luoshi outbox drop ID\n"
	                         "\n"
	                         "Removes an update from the outbox without sending it.\n"));
	int64_t id;
	if (rc >= 0 || (rc = id_argument(ctx, argc, argv, &id)) >= 0)
		return rc;
	cli_outbox *o;
	if ((rc = open_existing(&o)) != LS_OK)
		return rc;
	if (o == NULL)
		return no_such_row(id);
	ls_status st;
	rc = cli_outbox_delete(o, id, &st);
	cli_outbox_close(o);
	if (rc == LS_NOT_FOUND)
		return no_such_row(id);
	if (rc != LS_OK)
		return cli_print_status(&st);
	printf(_("Dropped #%lld from the outbox.\n"), (long long)id);
	return LS_OK;
}

/* ---- the group ------------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"list", run_list, N_("list the updates waiting in the outbox")},
    {"flush", run_flush, N_("send the queued updates now")},
    {"retry", run_retry, N_("send one update again, even a refused one")},
    {"drop", run_drop, N_("remove an update from the outbox without sending it")},
};

static int group_help(void)
{
	char *path = cli_outbox_path();
	printf(_("Usage: luoshi outbox SUBCOMMAND [OPTIONS]\n"
	         "\n"
	         "The outbox keeps the updates submitted while the server could not be\n"
	         "reached, and sends them, once each, when it can be: any command that\n"
	         "reaches the server flushes it first. It lives in %s\n"
	         "($XDG_DATA_HOME/luoshi/outbox.db, else ~/.local/share/luoshi/outbox.db).\n"
	         "\n"
	         "Subcommands:\n"),
	       path ? path : "-");
	free(path);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi outbox SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_outbox(cli_ctx *ctx, int argc, char **argv)
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
