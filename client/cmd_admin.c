/* `luoshi admin backup`: the administration of the server itself
 * (AdminService). Only an admin may use it; the server checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "luoshi/v1/admin.pb-c.h"
#include "output.h"

#define M_BACKUP "/luoshi.v1.AdminService/Backup"
#define M_GET_BACKUP "/luoshi.v1.AdminService/GetBackup"

/* How often a running backup is asked about. */
#define POLL_MS 200

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- backup ---------------------------------------------------------------- */

/* Asks about job id until it is no longer running. On LS_OK *out is the
 * last answer (the caller frees it). */
static int wait_job(luoshi_client *client, int64_t id, Luoshi__V1__GetBackupResponse **out)
{
	Luoshi__V1__GetBackupRequest req = LUOSHI__V1__GET_BACKUP_REQUEST__INIT;
	req.has_id = true;
	req.id = id;
	*out = NULL;
	for (;;) {
		ProtobufCMessage *m;
		int rc = cli_call(client, M_GET_BACKUP, &req.base, NULL, &m);
		if (rc != LS_OK)
			return rc;
		Luoshi__V1__GetBackupResponse *r = (Luoshi__V1__GetBackupResponse *)m;
		if (r->job == NULL ||
		    r->job->state != LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_RUNNING) {
			*out = r;
			return LS_OK;
		}
		protobuf_c_message_free_unpacked(m, NULL);
		pause_ms(POLL_MS);
	}
}

static int run_backup(cli_ctx *ctx, int argc, char **argv)
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
			    "Usage: luoshi admin backup FILE [--key KEY]\n"
			    "\n"
			    "Has the server write a consistent copy of its whole database to FILE,\n"
			    "in its backup directory on the server's machine (backup-dir in its\n"
			    "config), while it goes on serving. Waits until the copy is complete\n"
			    "and checked, then prints where it lies and its size. FILE is a plain\n"
			    "file name, such as luoshi-2026-11-29.db; an existing file is never\n"
			    "overwritten. Restore a copy with 'luoshid --db PATH --restore FILE'.\n"
			    "\n"
			    "Options:\n"
			    "  --key KEY  the idempotency key, to retry an earlier backup safely\n"));
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
		return cli_usage_error(ctx, _("no FILE given"));
	if (optind + 1 < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);

	Luoshi__V1__BackupRequest req = LUOSHI__V1__BACKUP_REQUEST__INIT;
	req.file = argv[optind];
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_BACKUP, &req.base, key, &m);
	if (rc != LS_OK) {
		luoshi_client_close(client);
		return rc;
	}
	const Luoshi__V1__BackupResponse *started = (Luoshi__V1__BackupResponse *)m;
	if (started->job == NULL || !started->job->has_id) {
		protobuf_c_message_free_unpacked(m, NULL);
		luoshi_client_close(client);
		ls_status st;
		ls_status_set(&st, LS_INTERNAL, _("the server answered without a backup job"));
		return cli_print_status(&st);
	}
	int64_t id = started->job->id;
	protobuf_c_message_free_unpacked(m, NULL);

	Luoshi__V1__GetBackupResponse *r;
	rc = wait_job(client, id, &r);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__BackupJob *j = r->job;
	if (j == NULL || j->state != LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_DONE) {
		ls_status st;
		int code = j != NULL && j->has_error_code && j->error_code > 0 &&
		                   j->error_code <= LS_CODE_MAX
		               ? j->error_code
		               : LS_UNKNOWN;
		ls_status_set(&st, code, _("the backup failed: %s"),
		              j != NULL && j->error ? j->error : "?");
		protobuf_c_message_free_unpacked(&r->base, NULL);
		return cli_print_status(&st);
	}
	if (ctx->json) {
		rc = cli_print_message_json(&r->base);
	} else {
		printf(_("Backup written on the server: %s (%lld bytes)\n"),
		       j->path ? j->path : j->file, (long long)j->size_bytes);
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

/* ---- the group ------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"backup", run_backup, N_("have the server write a copy of its database")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi admin SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Administers the server itself. Needs an admin token.\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi admin SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_admin(cli_ctx *ctx, int argc, char **argv)
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
