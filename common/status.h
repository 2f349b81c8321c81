/* Status codes: the project's one error type.
 *
 * The codes are gRPC's, with gRPC's numbers, so that a status travels over
 * the wire unchanged. 0 is OK. nng, libuv and SQLite errors are translated
 * into these at the boundary where they occur. */
#ifndef LS_STATUS_H
#define LS_STATUS_H

#include <stdarg.h>
#include <stddef.h>

typedef enum ls_code {
	LS_OK = 0,
	LS_CANCELLED = 1,
	LS_UNKNOWN = 2,
	LS_INVALID_ARGUMENT = 3,
	LS_DEADLINE_EXCEEDED = 4,
	LS_NOT_FOUND = 5,
	LS_ALREADY_EXISTS = 6,
	LS_PERMISSION_DENIED = 7,
	LS_RESOURCE_EXHAUSTED = 8,
	LS_FAILED_PRECONDITION = 9,
	LS_ABORTED = 10,
	LS_OUT_OF_RANGE = 11,
	LS_UNIMPLEMENTED = 12,
	LS_INTERNAL = 13,
	LS_UNAVAILABLE = 14,
	LS_DATA_LOSS = 15,
	LS_UNAUTHENTICATED = 16,
} ls_code;

#define LS_CODE_MAX LS_UNAUTHENTICATED

/* A status with its message and, for INVALID_ARGUMENT, the field at fault.
 * Embedded by value; the strings are truncated to fit. */
typedef struct ls_status {
	int code;
	char message[512];
	char field[128];
} ls_status;

/* The canonical name of a code ("INVALID_ARGUMENT"); "UNKNOWN" for a number
 * outside 0..16. The string is static. */
const char *ls_code_name(int code);

/* The code named by name (upper case, as ls_code_name prints it); -1 if no
 * code has that name. */
int ls_code_from_name(const char *name);

/* A short English description of a code. The string is static. */
const char *ls_strerror(int code);

/* Sets st to code with a printf-style message and no field. Returns code. */
int ls_status_set(ls_status *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like ls_status_set, naming the field at fault. Returns code. */
int ls_status_field(ls_status *st, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ls_status_field with a va_list. Every setter cuts a message or field
 * too long for st at a character boundary, so that both stay UTF-8. */
int ls_status_vfield(ls_status *st, int code, const char *field, const char *fmt, va_list ap);

/* Drops from the end of the NUL-terminated s the start of a UTF-8
 * character that a cut at a byte left incomplete (vsnprintf into a fixed
 * buffer), so that text cut to fit stays UTF-8. */
void ls_utf8_cut_tail(char *s);

/* Resets st to OK. */
void ls_status_clear(ls_status *st);

#endif
