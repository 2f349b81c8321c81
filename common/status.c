#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *text;
} codes[] = {
    [LS_OK] = {"OK", "success"},
    [LS_CANCELLED] = {"CANCELLED", "the call was cancelled"},
    [LS_UNKNOWN] = {"UNKNOWN", "unknown error"},
    [LS_INVALID_ARGUMENT] = {"INVALID_ARGUMENT", "invalid argument"},
    [LS_DEADLINE_EXCEEDED] = {"DEADLINE_EXCEEDED", "the deadline passed"},
    [LS_NOT_FOUND] = {"NOT_FOUND", "not found"},
    [LS_ALREADY_EXISTS] = {"ALREADY_EXISTS", "already exists"},
    [LS_PERMISSION_DENIED] = {"PERMISSION_DENIED", "permission denied"},
    [LS_RESOURCE_EXHAUSTED] = {"RESOURCE_EXHAUSTED", "resource exhausted"},
    [LS_FAILED_PRECONDITION] = {"FAILED_PRECONDITION", "failed precondition"},
    [LS_ABORTED] = {"ABORTED", "aborted"},
    [LS_OUT_OF_RANGE] = {"OUT_OF_RANGE", "out of range"},
    [LS_UNIMPLEMENTED] = {"UNIMPLEMENTED", "not implemented by the server"},
    [LS_INTERNAL] = {"INTERNAL", "internal error"},
    [LS_UNAVAILABLE] = {"UNAVAILABLE", "the server is unavailable"},
    [LS_DATA_LOSS] = {"DATA_LOSS", "data loss"},
    [LS_UNAUTHENTICATED] = {"UNAUTHENTICATED", "not authenticated"},
};

const char *ls_code_name(int code)
{
	if (code < 0 || code > LS_CODE_MAX)
		return "UNKNOWN";
	return codes[code].name;
}

int ls_code_from_name(const char *name)
{
	for (int i = 0; i <= LS_CODE_MAX; i++)
		if (strcmp(codes[i].name, name) == 0)
			return i;
	return -1;
}

const char *ls_strerror(int code)
{
	if (code < 0 || code > LS_CODE_MAX)
		return codes[LS_UNKNOWN].text;
	return codes[code].text;
}

void ls_utf8_cut_tail(char *s)
{
	size_t n = strlen(s), start = n;
	while (start > 0 && n - start < 4 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
		start--;
	if (start == 0)
		return;
	unsigned char lead = (unsigned char)s[start - 1];
	size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (n - (start - 1) < need)
		s[start - 1] = '\0';
}

/* A status that is not UTF-8 cannot travel back to the client, which
 * refuses it: text cut to fit (want bytes did not) loses the partial
 * character at its end. */
static void cut_whole(char *buf, size_t size, int want)
{
	if (want >= 0 && (size_t)want >= size)
		ls_utf8_cut_tail(buf);
}

int ls_status_vfield(ls_status *st, int code, const char *field, const char *fmt, va_list ap)
{
	st->code = code;
	cut_whole(st->message, sizeof st->message,
	          vsnprintf(st->message, sizeof st->message, fmt, ap));
	cut_whole(st->field, sizeof st->field,
	          snprintf(st->field, sizeof st->field, "%s", field ? field : ""));
	return code;
}

int ls_status_set(ls_status *st, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ls_status_vfield(st, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int ls_status_field(ls_status *st, int code, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ls_status_vfield(st, code, field, fmt, ap);
	va_end(ap);
	return code;
}

void ls_status_clear(ls_status *st)
{
	st->code = LS_OK;
	st->message[0] = '\0';
	st->field[0] = '\0';
}
