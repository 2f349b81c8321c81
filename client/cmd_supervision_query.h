/* The figures of supervision as subcommands: `luoshi query cadence`,
 * `supervision`, `approvals`, `clearance`, `funding` (client/cmd_query.c),
 * and the same under `luoshi supervise` (cmd_supervision_query.c). Each
 * parses its own options from argv[0] on. */
#ifndef CLI_CMD_SUPERVISION_QUERY_H
#define CLI_CMD_SUPERVISION_QUERY_H

#include "cli.h"

int cli_supq_cadence(cli_ctx *ctx, int argc, char **argv);
int cli_supq_summary(cli_ctx *ctx, int argc, char **argv);
int cli_supq_approvals(cli_ctx *ctx, int argc, char **argv);
int cli_supq_clearance(cli_ctx *ctx, int argc, char **argv);
int cli_supq_funding(cli_ctx *ctx, int argc, char **argv);

#endif
