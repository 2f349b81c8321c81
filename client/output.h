/* Output of the `luoshi` command line: aligned tables for people (Chinese
 * text takes two columns a character), canonical JSON for scripts, and the
 * one-line error. These functions exit the program with
 * RESOURCE_EXHAUSTED when memory runs out, as a command line may. */
#ifndef CLI_OUTPUT_H
#define CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "status.h"

/* The columns UTF-8 text s takes on a terminal: East Asian wide and
 * fullwidth characters count 2, combining marks 0. Bytes that are not
 * UTF-8 count 1 each. */
size_t cli_text_width(const char *s);

/* The translation of id in context ctx (msgctxt in the .po file), or id
 * itself when there is none. */
const char *cli_pgettext(const char *ctx, const char *id);

/* ---- tables ------------------------------------------------------------- */

typedef struct cli_table cli_table;

/* A table of ncols columns. headers: ncols column titles (already
 * translated), or NULL for a table without a header line, such as a list
 * of "label  value" rows. Free it with cli_table_free. */
cli_table *cli_table_alloc(size_t ncols, const char *const *headers);

/* Appends a row of ncols cells; NULL cells print empty. The cells are
 * copied, with control characters replaced so that a row stays one line. */
void cli_table_add(cli_table *t, const char *const *cells);

/* Appends a label/value row to a two-column table. */
void cli_table_kv(cli_table *t, const char *label, const char *value);

/* Like cli_table_kv with a printf-style value. */
void cli_table_kvf(cli_table *t, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The number of rows added so far, header excluded. */
size_t cli_table_rows(const cli_table *t);

/* Prints the table: columns padded to their widest cell, two spaces apart,
 * each line starting with indent spaces and without trailing spaces. */
void cli_table_print(const cli_table *t, FILE *f, unsigned indent);

/* NULL is a no-op. */
void cli_table_free(cli_table *t);

/* ---- JSON --------------------------------------------------------------- */

/* Prints j indented by two spaces, keys in the order they were added, and
 * a newline; takes the reference. Returns 0, or LS_RESOURCE_EXHAUSTED when
 * j is NULL. */
int cli_print_json(json_t *j);

/* Prints message m as canonical protobuf JSON (ls_json_from_message). */
int cli_print_message_json(const ProtobufCMessage *m);

/* ls_json_from_message that exits when out of memory. */
json_t *cli_message_json(const ProtobufCMessage *m);

/* ---- errors ------------------------------------------------------------- */

/* The name of a status code for people: "INVALID_ARGUMENT" in English,
 * "参数无效 (INVALID_ARGUMENT)" where translated. Valid until the next call. */
const char *cli_code_display(int code);

/* Prints st as one line on standard error ("luoshi: NAME: field: message")
 * and returns the exit code for it: the status code, 1..16. */
int cli_print_status(const ls_status *st);

/* malloc and strdup that exit when memory runs out. */
void *cli_xmalloc(size_t n);
char *cli_xstrdup(const char *s);

/* Exits with RESOURCE_EXHAUSTED after one line on standard error. */
_Noreturn void cli_out_of_memory(void);

#endif
