/* Registry and progress-update CSV files -> ImportRow messages.
 *
 * A file is UTF-8 text (a leading BOM is skipped) in RFC 4180 form: comma
 * separated, fields optionally in double quotes (a quoted field may hold
 * commas, doubled quotes and line breaks), records ended by CRLF or LF.
 * The first record is the header: its column names are the proto field
 * names of the row's request message (CreateUnitRequest, CreatePersonRequest,
 * CreateProjectRequest, SetPlanRequest, CreateNodeRequest, CreateTaskRequest,
 * SubmitUpdateRequest), and every cell is converted through that message's
 * descriptor:
 *   - string: as is; an empty cell leaves any field absent;
 *   - enum: the full value name (LEVEL_CITY), the short form after the
 *     enum's common prefix (city, special-task: case-insensitive, '-' read as
 *     '_'), or the value's number;
 *   - integer: whole decimal numbers only ("1.5", "12,000" are errors);
 *   - bool: true/false, yes/no, 1/0, 是/否;
 *   - repeated (strings, integers …): split on ';' or the full-width '；',
 *     each part converted as above;
 *   - messages and bytes (an update's photos) cannot be given: such a
 *     column is an error at the header.
 * The kind of every row is given by the caller, else by the file's base name
 * (units.csv, people.csv, projects.csv, plans.csv, nodes.csv, tasks.csv,
 * updates.csv),
 * else by a `kind` column (a combined file: each row fills only its own
 * kind's columns, every other cell empty). A column may also be written with
 * the kind in front, "unit_kind", to fill that kind's field only: how a
 * combined file gives a unit's own kind.
 *
 * Line numbers are physical lines of the file, the header being line 1; a
 * record spanning lines (a quoted line break) is numbered by its first. */
#ifndef LS_CSVROWS_H
#define LS_CSVROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "luoshi/v1/import.pb-c.h"

/* The row kinds, in the order an import applies them. */
typedef enum ls_csv_kind {
	LS_CSV_AUTO = 0, /* from the file name, else from a kind column */
	LS_CSV_UNIT,
	LS_CSV_PERSON,
	LS_CSV_PROJECT,
	LS_CSV_PLAN,
	LS_CSV_NODE,
	LS_CSV_TASK,
	LS_CSV_UPDATE, /* a progress update, after the registry it reports on */
} ls_csv_kind;

#define LS_CSV_KIND_COUNT 8

/* At most this many errors are kept; later ones are only counted. */
#define LS_CSVROWS_MAX_ERRORS 100

/* "unit", "person", "project", "plan", "node", "task", "update" ("auto" for
 * LS_CSV_AUTO). The string is static. */
const char *ls_csv_kind_name(ls_csv_kind kind);

/* The kind named by s: the names above, their plurals ("people" for person)
 * or the ImportRow field names; case-insensitive. Returns -1 if none. */
int ls_csv_kind_from_name(const char *s);

/* The kind a file name implies by its base name (".../projects.csv" ->
 * LS_CSV_PROJECT, case-insensitive); LS_CSV_AUTO when it implies none. */
ls_csv_kind ls_csv_kind_from_path(const char *path);

/* The kind of an ImportRow (from its oneof case); LS_CSV_AUTO if unset. */
ls_csv_kind ls_csv_row_kind(const Luoshi__V1__ImportRow *row);

/* One error: the strings are owned by the ls_csv_errors that holds it. */
typedef struct ls_csv_error {
	char *source;  /* the file name as given */
	uint32_t line; /* 1-based physical line where the record starts */
	char *column;  /* the column (field name), or NULL for the whole row */
	char *message; /* English, one line */
} ls_csv_error;

/* Errors collected over one or more files. Embedded by value: initialise
 * with LS_CSV_ERRORS_INIT (or zero), release with ls_csv_errors_fini. */
typedef struct ls_csv_errors {
	ls_csv_error *v; /* the first LS_CSVROWS_MAX_ERRORS, in file order */
	size_t n;
	size_t dropped; /* errors found beyond the cap */
} ls_csv_errors;

#define LS_CSV_ERRORS_INIT \
	{                  \
		NULL, 0, 0 \
	}

/* The total number of errors found, kept or not. */
static inline size_t ls_csv_errors_total(const ls_csv_errors *e)
{
	return e->n + e->dropped;
}

/* Frees what e holds and resets it to empty. */
void ls_csv_errors_fini(ls_csv_errors *e);

/* Called while a file is converted: bytes of data consumed so far out of
 * total, and the rows converted so far. */
typedef void (*ls_csv_progress_fn)(void *arg, size_t done, size_t total, size_t rows);

/* A new, empty ImportRegistryRequest on the heap. Everything the functions
 * below add to it is allocated with malloc, so the whole request (rows,
 * their requests and strings) is freed by
 * protobuf_c_message_free_unpacked(&req->base, NULL). Returns NULL when out
 * of memory. */
Luoshi__V1__ImportRegistryRequest *ls_csvrows_request_new(void);

/* Converts the CSV text data[0..len) and appends its good rows to req (in
 * file order; a row with any error is left out). source names the file in
 * the rows and in the errors, and gives the kind when kind is LS_CSV_AUTO.
 * Every bad line is added to errs (unknown or duplicate column, a cell that
 * does not convert, a ragged row, invalid UTF-8, bad quoting, a kind column
 * missing or wrong). progress, if not NULL, is called now and then.
 * Returns the number of errors this call found (0: the whole file
 * converted), or -1 when out of memory (req and errs stay valid and
 * freeable). */
long ls_csvrows_parse(const char *source, const char *data, size_t len, ls_csv_kind kind,
                      Luoshi__V1__ImportRegistryRequest *req, ls_csv_errors *errs,
                      ls_csv_progress_fn progress, void *progress_arg);

/* Reads the file at path and converts it as ls_csvrows_parse does, with the
 * path as the source. A file that cannot be read is one error at line 0
 * (message from errno). Returns as ls_csvrows_parse. */
long ls_csvrows_parse_file(const char *path, ls_csv_kind kind,
                           Luoshi__V1__ImportRegistryRequest *req, ls_csv_errors *errs,
                           ls_csv_progress_fn progress, void *progress_arg);

/* Reorders req->rows, stably, into the order an import applies them: units,
 * people, projects, plans, nodes, tasks, updates; rows of one kind keep
 * their order. */
void ls_csvrows_sort(Luoshi__V1__ImportRegistryRequest *req);

#endif
