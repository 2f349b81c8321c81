/* What the parts of the `luoshi` command line share: the settings of one
 * run, option parsing, connecting, calling, and the command table's types.
 * Everything here lives in main.c unless said otherwise. */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <libintl.h>
#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "luoshi/v1/account.pb-c.h"
#include "luoshi_client.h"

/* Translation markers; the catalog is client/po/<lang>.po, domain "luoshi".
 * NC_ marks text whose translation depends on a context (see
 * cli_pgettext); both leave the text as it is. */
#define _(s) gettext(s)
#define N_(s) (s)
#define NC_(ctx, s) (s)

/* The exit code of a command-line usage error. */
#define CLI_EXIT_USAGE LS_INVALID_ARGUMENT

/* The settings of one run, as the command line gave them; what it left
 * out is taken from the environment and the config file by cli_open. */
typedef struct cli_ctx {
	const char *server; /* NULL: not given */
	const char *token;  /* NULL: not given */
	uint32_t timeout_ms;
	bool timeout_set;
	bool json;
	char path[96]; /* "luoshi account list", for help hints */
	const char *ca, *cert, *key; /* TLS files given before the command; NULL: not given */
} cli_ctx;

/* Option values of the global options, which every command accepts too
 * (`luoshi account list --json`). */
enum {
	CLI_OPT_SERVER = 0x100,
	CLI_OPT_TOKEN,
	CLI_OPT_TIMEOUT,
	CLI_OPT_JSON,
	CLI_OPT_VERSION,
	CLI_OPT_KEY,
	CLI_OPT_CA,   /* --ca, --cert, --key: before the command only, where --key */
	CLI_OPT_CERT, /* cannot be taken for a command's idempotency key */
	CLI_OPT_TLS_KEY,
	CLI_OPT_FIRST_LOCAL, /* commands number their own long options from here */
};

/* clang-format off */
#define CLI_GLOBAL_OPTIONS \
	{"server", required_argument, NULL, CLI_OPT_SERVER}, \
	{"token", required_argument, NULL, CLI_OPT_TOKEN}, \
	{"timeout", required_argument, NULL, CLI_OPT_TIMEOUT}, \
	{"json", no_argument, NULL, CLI_OPT_JSON}, \
	{"help", no_argument, NULL, 'h'}
/* clang-format on */

/* A command: runs with argv[0] its own name and returns the exit code. */
typedef int (*cli_run_fn)(cli_ctx *ctx, int argc, char **argv);

typedef struct cli_command {
	const char *name;
	cli_run_fn run;
	const char *summary; /* untranslated; N_() marks it */
} cli_command;

/* ---- option parsing (main.c) ---------------------------------------------- */

/* Starts parsing a new argv with cli_getopt. */
void cli_getopt_reset(void);

/* Like getopt_long, but handles the global options itself (storing them in
 * ctx) and reports errors itself. shortopts may start with '+' to stop at
 * the first argument that is not an option. Returns the next option of the
 * command, 'h' for -h/--help, -1 at the end of the options, or '?' after
 * printing a usage error (return CLI_EXIT_USAGE then). */
int cli_getopt(cli_ctx *ctx, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* Prints "luoshi: <message> (try '<path> --help')" on standard error and
 * returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a command's help (already translated) on standard output and
 * returns 0. */
int cli_help(const char *text);

/* Parses a decimal number in [min, max]. Returns false for anything else. */
bool cli_parse_int(const char *s, long long min, long long max, long long *out);

/* Checks an idempotency key given on the command line (printable ASCII
 * without spaces, 1..128 characters). */
bool cli_key_valid(const char *key);

/* Takes arg as the idempotency key of --key, or prints the usage error. */
int cli_key_option(const cli_ctx *ctx, const char *arg, const char **key);

/* The one positional argument left at argv[optind]; what names it in the
 * usage error when it is missing ("no unit given"). */
int cli_one_arg(const cli_ctx *ctx, int argc, char **argv, const char *missing,
                const char **out);

/* Appends " name" to ctx->path as a command is entered. */
void cli_enter(cli_ctx *ctx, const char *name);

/* Finds name in a command table of n entries and runs it; prints a usage
 * error for an unknown name. */
int cli_dispatch(cli_ctx *ctx, const cli_command *table, size_t n, int argc, char **argv);

/* ---- talking to the server (main.c) ---------------------------------------- */

/* Settles the server, token and timeout (flags, then LUOSHI_SERVER and
 * LUOSHI_TOKEN, then the config file, then tcp://127.0.0.1:7070) and
 * connects. On failure prints the error line and returns its code. */
int cli_open(cli_ctx *ctx, luoshi_client **out);

/* Like cli_open, but leaves the error in st instead of printing it. */
int cli_open_status(cli_ctx *ctx, luoshi_client **out, ls_status *st);

/* The server URL cli_open settled on; NULL before. */
const char *cli_server(void);

/* The TLS files (CA, certificate, key; each may be NULL) cli_open settled
 * on, from the options or the config file: for other sockets to the same
 * server. Call it after cli_open or cli_open_status. */
void cli_tls_files(const cli_ctx *ctx, const char **ca, const char **cert, const char **key);

/* Calls method with req. key: an idempotency key, NULL for none, or
 * CLI_FRESH_KEY for a new random one. On failure prints the error line
 * and returns its code; *resp is then NULL. */
#define CLI_FRESH_KEY ((const char *)1)
int cli_call(luoshi_client *c, const char *method, const ProtobufCMessage *req, const char *key,
             ProtobufCMessage **resp);

/* Opens, calls method and shows the answer: as JSON under --json, else the
 * message in the answer's field named field, through show, after the line
 * done_fmt (a format taking that message's "code"; NULL for none). For the
 * add, edit and archive commands, whose answers carry the row. */
int cli_call_show(cli_ctx *ctx, const char *method, const ProtobufCMessage *req, const char *key,
                  const char *field, const char *done_fmt,
                  void (*show)(const ProtobufCMessage *row));

/* ---- commands ------------------------------------------------------------- */

/* cmd_basic.c */
int cli_cmd_health(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_version(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_whoami(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_services(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_call(cli_ctx *ctx, int argc, char **argv);

int cli_cmd_import(cli_ctx *ctx, int argc, char **argv); /* cmd_import.c */
int cli_cmd_unit(cli_ctx *ctx, int argc, char **argv); /* cmd_unit.c */
int cli_cmd_person(cli_ctx *ctx, int argc, char **argv); /* cmd_person.c */
int cli_cmd_audit(cli_ctx *ctx, int argc, char **argv); /* cmd_audit.c */
int cli_cmd_project(cli_ctx *ctx, int argc, char **argv); /* cmd_project.c */
int cli_cmd_plan(cli_ctx *ctx, int argc, char **argv); /* cmd_plan.c */
int cli_cmd_node(cli_ctx *ctx, int argc, char **argv); /* cmd_node.c */
int cli_cmd_task(cli_ctx *ctx, int argc, char **argv); /* cmd_task.c */
int cli_cmd_assignments(cli_ctx *ctx, int argc, char **argv); /* cmd_assignments.c */
int cli_cmd_update(cli_ctx *ctx, int argc, char **argv); /* cmd_update.c */
int cli_cmd_status(cli_ctx *ctx, int argc, char **argv); /* cmd_update.c */
int cli_cmd_outbox(cli_ctx *ctx, int argc, char **argv); /* cmd_outbox.c */
/* cmd_inbox.c, cmd_notice.c, cmd_watch.c: reminders */
int cli_cmd_inbox(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_ack(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_notice(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_watch(cli_ctx *ctx, int argc, char **argv);
/* A reminder's kind as scripts see it ("node_due") and as people read it
 * (translated); its number as shown ("5", "p5" in the person's inbox); its
 * time "2026-11-27 09:00" from ISO 8601. In cmd_inbox.c. */
struct Luoshi__V1__Reminder;
const char *cli_reminder_kind_name(int kind);
const char *cli_reminder_kind_label(int kind);
void cli_reminder_seq(const struct Luoshi__V1__Reminder *r, char *buf, size_t n);
void cli_reminder_time(const char *iso, char *buf, size_t n);
int cli_cmd_export(cli_ctx *ctx, int argc, char **argv); /* cmd_export.c */
int cli_cmd_problem(cli_ctx *ctx, int argc, char **argv); /* cmd_problem.c */
int cli_cmd_admin(cli_ctx *ctx, int argc, char **argv); /* cmd_admin.c */
int cli_cmd_query(cli_ctx *ctx, int argc, char **argv); /* cmd_query.c */
int cli_cmd_reconcile(cli_ctx *ctx, int argc, char **argv); /* cmd_reconcile.c */
int cli_cmd_disclose(cli_ctx *ctx, int argc, char **argv); /* cmd_disclose.c */
int cli_cmd_webhook(cli_ctx *ctx, int argc, char **argv); /* cmd_webhook.c */
/* Supervision: cmd_activity.c, cmd_supervision.c (inspection, rectification,
 * accountability, and the helpers below), cmd_approval.c, cmd_clearance.c,
 * cmd_funding.c, cmd_supervision_query.c (supervise). */
int cli_cmd_activity(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_inspection(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_rectification(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_accountability(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_approval(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_clearance(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_funding(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_supervise(cli_ctx *ctx, int argc, char **argv);
/* A group's help (help, then its subcommands) and dispatch; a write that
 * prints the answer's row in field as label/value rows; a list that
 * follows the pages of req (page_size, page_token) up to limit (0: all),
 * one row per element of the answer's repeated field; an enum word of
 * words (1..n-1, 0 when none); --limit and --key values; "CODE 名称". */
struct cli_table;
typedef void (*cli_sup_rows_fn)(struct cli_table *t, const ProtobufCMessage *m);
int cli_sup_group(cli_ctx *ctx, int argc, char **argv, const char *help, const cli_command *subs,
                  size_t n);
int cli_sup_write(cli_ctx *ctx, const char *method, const ProtobufCMessage *req, const char *key,
                  const char *field, cli_sup_rows_fn rows);
int cli_list(cli_ctx *ctx, const char *method, ProtobufCMessage *req, const char *field,
             long long limit, size_t ncols, const char *const *headers, cli_sup_rows_fn row,
             const char *none);
int cli_sup_enum(const char *arg, const char *const *words, int n);
int cli_sup_limit(cli_ctx *ctx, long long *limit);
int cli_sup_key(cli_ctx *ctx, const char **key);
void cli_sup_code_name(const char *code, const char *name, char *buf, size_t n);
/* cmd_account.c */
int cli_cmd_account(cli_ctx *ctx, int argc, char **argv);

/* The name of a role as the command line spells it ("admin"), or its
 * number for a role this client does not know. Valid until the next call. */
const char *cli_role_name(int role);

/* Adds an account's rows (id, name, role, unit, times) to a key/value
 * table (output.h). */
struct cli_table;
void cli_account_rows(struct cli_table *t, const Luoshi__V1__Account *a);

#endif
