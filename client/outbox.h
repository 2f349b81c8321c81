/* The offline outbox: updates a town office made while the server could
 * not be reached, kept in a small SQLite file under the user's data
 * directory ($XDG_DATA_HOME/luoshi/outbox.db, else
 * ~/.local/share/luoshi/outbox.db) and sent when the server is back.
 *
 * Each row holds the packed request exactly as it was first made (its
 * period fixed then) and the idempotency key it was first sent with. A
 * flush sends the queued rows oldest first with their own keys, so that the
 * server writes each once however often it is sent; a row is deleted only
 * after the server's OK. A row the server refuses (a locked month, a
 * project out of scope) stays, marked with the answer, and is not sent
 * again until the user retries, re-submits or drops it. */
#ifndef CLI_OUTBOX_H
#define CLI_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "luoshi_client.h"
#include "status.h"

typedef struct cli_outbox cli_outbox;

typedef enum cli_outbox_state {
	CLI_OUTBOX_QUEUED = 0,  /* waits to be sent */
	CLI_OUTBOX_REFUSED = 1, /* the server said no; kept for the user */
} cli_outbox_state;

/* One queued request. body is malloc'd (cli_outbox_rows_free). */
typedef struct cli_outbox_row {
	int64_t id;
	char queued_at[40]; /* local time, ISO 8601 */
	char method[128];
	char key[136];
	uint8_t *body;
	size_t body_len;
	char project[256]; /* as the user gave it */
	char period[32];   /* "2026-W48", "2026-11", or "2026-W48/2026-11" when
	                    * the project's frequency decides */
	cli_outbox_state state;
	int code;         /* the last answer's status code; 0: none yet */
	char answer[640]; /* the last answer: "FIELD: message"; "" when none */
	int tries;
} cli_outbox_row;

/* The outbox file's path, malloc'd; NULL when neither XDG_DATA_HOME nor
 * HOME says where it is. */
char *cli_outbox_path(void);

/* Opens the outbox. With create, makes it and its folders (private to the
 * user) when missing; without, a missing outbox is LS_NOT_FOUND. On
 * success *out is the caller's (cli_outbox_close). */
int cli_outbox_open(cli_outbox **out, bool create, ls_status *st);

/* NULL is a no-op. */
void cli_outbox_close(cli_outbox *o);

/* Stores a request to send later. *id gets its number. */
int cli_outbox_add(cli_outbox *o, const char *method, const char *key, const uint8_t *body,
                   size_t len, const char *project, const char *period, int64_t *id, ls_status *st);

/* Every row, oldest first (only the queued ones when queued_only), in
 * *rows (free with cli_outbox_rows_free). */
int cli_outbox_rows(cli_outbox *o, bool queued_only, cli_outbox_row **rows, size_t *n,
                    ls_status *st);

/* Reads row id: LS_OK, or LS_NOT_FOUND. Free with cli_outbox_rows_free(r, 1)
 * when r was malloc'd, or free(r->body) otherwise. */
int cli_outbox_get(cli_outbox *o, int64_t id, cli_outbox_row *r, ls_status *st);

void cli_outbox_rows_free(cli_outbox_row *rows, size_t n);

/* Deletes row id: LS_OK, or LS_NOT_FOUND. */
int cli_outbox_delete(cli_outbox *o, int64_t id, ls_status *st);

/* Deletes the refused rows for project (matching its code or its name) and
 * period, which an update the server accepted has superseded. Returns how
 * many, or -1. */
int cli_outbox_drop_superseded(cli_outbox *o, const char *code, const char *name,
                               const char *period);

/* True for the answers that say nothing about the request itself (no
 * answer, a deadline, a rate limit, a bad token, a server fault): the row
 * is kept queued and sending stops. The others are refusals. */
bool cli_outbox_transient(int code);

/* Sends row r over c with its key and records the outcome: deleted on OK,
 * marked refused on a refusal, left queued (with the answer noted) on a
 * transient failure. Returns the call's code; st holds the answer and, on
 * OK, *resp the response body (malloc'd, may be NULL; pass NULL to drop
 * it). */
int cli_outbox_send(cli_outbox *o, luoshi_client *c, const cli_outbox_row *r, uint8_t **resp,
                    size_t *resp_len, ls_status *st);

/* What a flush did. */
typedef struct cli_outbox_flushed {
	int sent;
	int refused;
	int left;       /* still queued when it stopped */
	int stop_code;  /* the transient code it stopped on; 0 when it did not */
	ls_status stop; /* its status */
} cli_outbox_flushed;

/* Sends the queued rows oldest first until one fails transiently. each,
 * when not NULL, is told every row's outcome (code and status; the
 * response body on OK). */
int cli_outbox_flush(cli_outbox *o, luoshi_client *c,
                     void (*each)(void *arg, const cli_outbox_row *r, int code, const ls_status *st,
                                  const uint8_t *resp, size_t resp_len),
                     void *arg, cli_outbox_flushed *res, ls_status *st);

/* Turns automatic flushing off for this run (the outbox commands do their
 * own). */
void cli_outbox_set_auto(bool on);

/* The connect hook (cli_open): when an outbox with queued rows exists,
 * flushes it over c first and tells on standard error what was sent and
 * what the server refused. Never fails the command. */
void cli_outbox_auto_flush(luoshi_client *c);

/* Today (days since 1970-01-01) in the time zone of the reporting
 * calendar: $LUOSHI_TIME_ZONE, else Asia/Shanghai, the server's default.
 * Returns false when that zone is unknown. */
bool cli_outbox_today(int32_t *day, const char **zone);

#endif
