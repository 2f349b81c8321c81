/* `luoshi inbox` and `luoshi ack`: the reminders of the caller's own
 * inboxes (its unit's and, for an account bound to a person, the person's)
 * and its read cursor (ReminderService). Every account has a cursor of its
 * own, so two clerks of one town each read every reminder. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/reminders.pb-c.h"
#include "output.h"

#define M_LIST "/luoshi.v1.ReminderService/ListInbox"
#define M_ACK "/luoshi.v1.ReminderService/Ack"
#define M_CURSOR "/luoshi.v1.ReminderService/GetCursor"

/* The most rows one ListInbox page may ask for (reminders.proto). */
#define CLI_MAX_PAGE 1000

/* ---- shared with cmd_watch.c ---------------------------------------------------- */

/* Indexed by luoshi.v1.ReminderKind: the short name scripts see, and the
 * label people read. */
static const struct {
	const char *name;
	const char *label;
} kinds[] = {
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_UNSPECIFIED] = {"unknown", N_("reminder")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_UPDATE_DUE] = {"update_due", N_("update due")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_UPDATE_OVERDUE] = {"update_overdue",
                                                                 N_("update overdue")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_NODE_DUE] = {"node_due", N_("node due")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_NODE_OVERDUE] = {"node_overdue", N_("node overdue")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_PROBLEM_DUE] = {"problem_due", N_("problem due")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_PROBLEM_OVERDUE] = {"problem_overdue",
                                                                  N_("problem overdue")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_RECONCILE_DUE] = {"reconcile_due",
                                                                N_("reconciliation due")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_NOTICE] = {"notice", N_("notice")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_REVIEW_DUE] = {"review_due", N_("review due")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_VISIT_DUE] = {"visit_due", N_("site visit due")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_RECTIFICATION_DUE] = {"rectification_due",
                                                                    N_("rectification due")},
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_RECTIFICATION_OVERDUE] =
        {"rectification_overdue", N_("rectification overdue")},
};

const char *cli_reminder_kind_name(int kind)
{
	if (kind < 0 || (size_t)kind >= sizeof kinds / sizeof kinds[0])
		kind = 0;
	return kinds[kind].name;
}

const char *cli_reminder_kind_label(int kind)
{
	if (kind < 0 || (size_t)kind >= sizeof kinds / sizeof kinds[0])
		kind = 0;
	return _(kinds[kind].label);
}

void cli_reminder_seq(const Luoshi__V1__Reminder *r, char *buf, size_t n)
{
	bool person = r->has_recipient_kind &&
	              r->recipient_kind == LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON;
	snprintf(buf, n, "%s%" PRIu64, person ? "p" : "", r->seq);
}

void cli_reminder_time(const char *iso, char *buf, size_t n)
{
	/* "2026-11-27T09:00:00+08:00" as "2026-11-27 09:00": the server's zone. */
	if (iso == NULL)
		iso = "";
	if (strlen(iso) >= 16 && iso[10] == 'T')
		snprintf(buf, n, "%.10s %.5s", iso, iso + 11);
	else
		snprintf(buf, n, "%s", iso);
}

/* "WX 五乡镇" */
static void inbox_text(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

/* ---- inbox ------------------------------------------------------------------ */

/* The acknowledged seq of each inbox, to mark what is unread. */
typedef struct marks {
	uint64_t unit, person;
} marks;

static int read_marks(luoshi_client *client, marks *mk)
{
	Luoshi__V1__GetCursorRequest req = LUOSHI__V1__GET_CURSOR_REQUEST__INIT;
	ProtobufCMessage *m;
	int rc = cli_call(client, M_CURSOR, &req.base, NULL, &m);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__GetCursorResponse *r = (Luoshi__V1__GetCursorResponse *)m;
	for (size_t i = 0; i < r->n_cursors; i++) {
		const Luoshi__V1__Cursor *c = r->cursors[i];
		if (c->recipient_kind == LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON)
			mk->person = c->acked_seq;
		else
			mk->unit = c->acked_seq;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

int cli_cmd_inbox(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_UNREAD = CLI_OPT_FIRST_LOCAL, OPT_LIMIT };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"unread", no_argument, NULL, OPT_UNREAD},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	bool unread = false;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi inbox [--unread] [--limit N]\n"
			    "\n"
			    "Lists the reminders in your inboxes, oldest first: your unit's and,\n"
			    "when your account is bound to a person, the person's (their numbers\n"
			    "start with p). A * marks what your account has not acknowledged\n"
			    "yet ('luoshi ack'). Each account has its own read cursor.\n"
			    "\n"
			    "Options:\n"
			    "  --unread   only the reminders not acknowledged yet\n"
			    "  --limit N  stop after N reminders\n"));
		case OPT_UNREAD:
			unread = true;
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
	marks mk = {0};
	if (!ctx->json && !unread && (rc = read_marks(client, &mk)) != LS_OK) {
		luoshi_client_close(client);
		return rc;
	}
	const char *headers[] = {_("Seq"), "", _("Time"), _("Kind"), _("Inbox"), _("Text")};
	cli_table *t = ctx->json ? NULL : cli_table_alloc(6, headers);
	json_t *rows = ctx->json ? json_array() : NULL;
	if (ctx->json && rows == NULL)
		cli_out_of_memory();
	long long fetched = 0;
	char *page_token = NULL;
	do {
		Luoshi__V1__ListInboxRequest req = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
		if (unread) {
			req.has_unread_only = true;
			req.unread_only = true;
		}
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
		const Luoshi__V1__ListInboxResponse *resp = (Luoshi__V1__ListInboxResponse *)m;
		for (size_t i = 0; i < resp->n_reminders && (limit == 0 || fetched < limit); i++) {
			const Luoshi__V1__Reminder *r = resp->reminders[i];
			fetched++;
			if (rows != NULL) {
				if (json_array_append_new(rows, cli_message_json(&r->base)) != 0)
					cli_out_of_memory();
				continue;
			}
			char seq[32], when[40], inbox[340];
			cli_reminder_seq(r, seq, sizeof seq);
			cli_reminder_time(r->created_at, when, sizeof when);
			inbox_text(r->recipient_code, r->recipient_name, inbox, sizeof inbox);
			bool person =
			    r->recipient_kind == LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON;
			bool is_new = unread || r->seq > (person ? mk.person : mk.unit);
			const char *cells[6] = {seq,   is_new ? "*" : "",
			                        when,  cli_reminder_kind_label(r->kind),
			                        inbox, r->text};
			cli_table_add(t, cells);
		}
		const char *next = resp->next_page_token;
		char *prev = page_token;
		page_token = next != NULL && *next != '\0' ? cli_xstrdup(next) : NULL;
		protobuf_c_message_free_unpacked(m, NULL);
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
		if (rows != NULL)
			rc = cli_print_json(json_incref(rows));
		else if (cli_table_rows(t) == 0)
			printf("%s\n", unread ? _("No unread reminders.") : _("No reminders."));
		else
			cli_table_print(t, stdout, 0);
	}
	json_decref(rows);
	cli_table_free(t);
	return rc;
}

/* ---- ack ---------------------------------------------------------------------- */

static void print_cursors(const Luoshi__V1__AckResponse *r)
{
	const char *headers[] = {_("Inbox"), _("Read up to"), _("Newest"), _("Unread")};
	cli_table *t = cli_table_alloc(4, headers);
	for (size_t i = 0; i < r->n_cursors; i++) {
		const Luoshi__V1__Cursor *c = r->cursors[i];
		char inbox[340], acked[32], latest[32], unread[32];
		bool person =
		    c->recipient_kind == LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON;
		inbox_text(c->recipient_code, c->recipient_name, inbox, sizeof inbox);
		snprintf(acked, sizeof acked, "%s%" PRIu64, person ? "p" : "", c->acked_seq);
		snprintf(latest, sizeof latest, "%s%" PRIu64, person ? "p" : "", c->latest_seq);
		snprintf(unread, sizeof unread, "%" PRIu64, c->unread);
		const char *cells[4] = {inbox, acked, latest, unread};
		cli_table_add(t, cells);
	}
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

int cli_cmd_ack(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_ALL = CLI_OPT_FIRST_LOCAL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"all", no_argument, NULL, OPT_ALL},
	    {NULL, 0, NULL, 0},
	};
	bool all = false;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi ack SEQ\n"
			      "       luoshi ack --all\n"
			      "\n"
			      "Marks the reminders of your inbox as read, up to and including SEQ\n"
			      "(the number 'luoshi inbox' shows; p5 is number 5 of your person's\n"
			      "inbox), or everything with --all. The read cursor belongs to your\n"
			      "account and never moves back.\n"
			      "\n"
			      "Options:\n"
			      "  --all  acknowledge everything in your inboxes\n"));
		case OPT_ALL:
			all = true;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (all && optind < argc)
		return cli_usage_error(ctx, _("give either SEQ or --all, not both"));
	if (!all && optind >= argc)
		return cli_usage_error(ctx, _("no SEQ given (or --all)"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);

	Luoshi__V1__AckRequest req = LUOSHI__V1__ACK_REQUEST__INIT;
	if (all) {
		req.has_all = true;
		req.all = true;
	} else {
		const char *s = argv[optind];
		bool person = s[0] == 'p';
		long long seq;
		if (!cli_parse_int(s + (s[0] == 'p' || s[0] == 'u'), 1, INT64_MAX, &seq))
			return cli_usage_error(
			    ctx, _("SEQ is a reminder's number such as 5 or p5, not '%s'"), s);
		req.has_seq = true;
		req.seq = (uint64_t)seq;
		req.has_recipient = true;
		req.recipient = person ? LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON
		                       : LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_UNIT;
	}
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_ACK, &req.base, CLI_FRESH_KEY, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	if (ctx->json)
		rc = cli_print_message_json(m);
	else
		print_cursors((Luoshi__V1__AckResponse *)m);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}
