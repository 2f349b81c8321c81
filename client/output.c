/* wcwidth is X/Open. */
#define _XOPEN_SOURCE 700

#include "output.h"

#include <langinfo.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cli.h"
#include "json.h"

/* ---- memory ------------------------------------------------------------- */

_Noreturn void cli_out_of_memory(void)
{
	fputs(_("luoshi: out of memory\n"), stderr);
	exit(LS_RESOURCE_EXHAUSTED);
}

void *cli_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		cli_out_of_memory();
	return p;
}

char *cli_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		cli_out_of_memory();
	return p;
}

/* ---- text --------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s (n bytes left). Returns its length and
 * sets *cp, or returns 1 with *cp = -1 for a byte that starts nothing. */
static size_t utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	int32_t v;
	if (c < 0x80) {
		*cp = (int32_t)c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = (int32_t)(c & 0x1F);
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = (int32_t)(c & 0x0F);
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = (int32_t)(c & 0x07);
	} else {
		*cp = -1;
		return 1;
	}
	if (n < len) {
		*cp = -1;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = -1;
			return 1;
		}
		v = (v << 6) | (int32_t)(s[i] & 0x3F);
	}
	*cp = v;
	return len;
}

struct range {
	int32_t lo, hi;
};

/* East Asian Wide and Fullwidth blocks (Unicode's EastAsianWidth.txt, by
 * block), used when the C library cannot tell: outside a UTF-8 locale. */
static const struct range wide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
    {0x17000, 0x18AFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251}, {0x1F300, 0x1F64F},
    {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

/* Combining marks and invisible format characters. */
static const struct range zero[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489},   {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},   {0x200B, 0x200F}, {0x2028, 0x202E}, {0x2060, 0x2064},
    {0x20D0, 0x20FF}, {0x302A, 0x302D},   {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
    {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

static bool in_ranges(int32_t cp, const struct range *r, size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool utf8_locale(void)
{
	static int known = -1;
	if (known < 0) {
		const char *cs = nl_langinfo(CODESET);
		known = cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	}
	return known;
}

static size_t cp_width(int32_t cp)
{
	if (cp < 0)
		return 1;
	if (utf8_locale()) {
		int w = wcwidth((wchar_t)cp);
		if (w >= 0)
			return (size_t)w;
	}
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return 1; /* printed as a replacement */
	if (in_ranges(cp, zero, sizeof zero / sizeof zero[0]))
		return 0;
	return in_ranges(cp, wide, sizeof wide / sizeof wide[0]) ? 2 : 1;
}

size_t cli_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), w = 0;
	while (n > 0) {
		int32_t cp;
		size_t len = utf8_next(p, n, &cp);
		w += cp_width(cp);
		p += len;
		n -= len;
	}
	return w;
}

/* A copy of s that prints on one line: tabs and line breaks become spaces,
 * other control characters (C0, DEL, C1) a '?', so that text from the
 * server cannot move the cursor or start escape sequences. */
static char *one_line(const char *s)
{
	size_t n = strlen(s);
	char *out = cli_xmalloc(n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	while (n > 0) {
		int32_t cp;
		size_t len = utf8_next(p, n, &cp);
		if (cp == '\t' || cp == '\n' || cp == '\r')
			*o++ = ' ';
		else if ((cp >= 0 && cp < 0x20) || (cp >= 0x7F && cp < 0xA0))
			*o++ = '?';
		else {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
		n -= len;
	}
	*o = '\0';
	return out;
}

const char *cli_pgettext(const char *ctx, const char *id)
{
	/* gettext looks a context up as "context\004id". */
	char key[256];
	int n = snprintf(key, sizeof key, "%s\004%s", ctx, id);
	if (n < 0 || (size_t)n >= sizeof key)
		return id;
	const char *t = gettext(key);
	return t == key ? id : t;
}

/* ---- tables ------------------------------------------------------------- */

struct cli_table {
	size_t ncols;
	char **headers; /* NULL: no header line */
	char **cells;   /* rows * ncols */
	size_t rows, cap;
};

cli_table *cli_table_alloc(size_t ncols, const char *const *headers)
{
	cli_table *t = cli_xmalloc(sizeof *t);
	t->ncols = ncols;
	t->headers = NULL;
	t->cells = NULL;
	t->rows = t->cap = 0;
	if (headers != NULL) {
		t->headers = cli_xmalloc(ncols * sizeof *t->headers);
		for (size_t i = 0; i < ncols; i++)
			t->headers[i] = one_line(headers[i] ? headers[i] : "");
	}
	return t;
}

void cli_table_add(cli_table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **grown = realloc(t->cells, cap * t->ncols * sizeof *grown);
		if (grown == NULL)
			cli_out_of_memory();
		t->cells = grown;
		t->cap = cap;
	}
	char **row = t->cells + t->rows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++)
		row[i] = one_line(cells[i] ? cells[i] : "");
	t->rows++;
}

void cli_table_kv(cli_table *t, const char *label, const char *value)
{
	const char *cells[2] = {label, value};
	cli_table_add(t, cells);
}

void cli_table_kvf(cli_table *t, const char *label, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cli_table_kv(t, label, buf);
}

size_t cli_table_rows(const cli_table *t)
{
	return t->rows;
}

static void print_row(FILE *f, char *const *cells, const size_t *widths, size_t ncols,
                      unsigned indent)
{
	/* The last non-empty cell ends the line, so no trailing spaces. */
	size_t last = ncols;
	while (last > 0 && cells[last - 1][0] == '\0')
		last--;
	fprintf(f, "%*s", (int)indent, "");
	for (size_t i = 0; i < last; i++) {
		fputs(cells[i], f);
		if (i + 1 < last)
			fprintf(f, "%*s", (int)(widths[i] - cli_text_width(cells[i]) + 2), "");
	}
	fputc('\n', f);
}

void cli_table_print(const cli_table *t, FILE *f, unsigned indent)
{
	size_t *widths = cli_xmalloc(t->ncols * sizeof *widths);
	for (size_t i = 0; i < t->ncols; i++) {
		widths[i] = t->headers ? cli_text_width(t->headers[i]) : 0;
		for (size_t r = 0; r < t->rows; r++) {
			size_t w = cli_text_width(t->cells[r * t->ncols + i]);
			if (w > widths[i])
				widths[i] = w;
		}
	}
	if (t->headers != NULL)
		print_row(f, t->headers, widths, t->ncols, indent);
	for (size_t r = 0; r < t->rows; r++)
		print_row(f, t->cells + r * t->ncols, widths, t->ncols, indent);
	free(widths);
}

void cli_table_free(cli_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; t->headers && i < t->ncols; i++)
		free(t->headers[i]);
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->headers);
	free(t->cells);
	free(t);
}

/* ---- JSON --------------------------------------------------------------- */

int cli_print_json(json_t *j)
{
	if (j == NULL)
		return LS_RESOURCE_EXHAUSTED;
	/* Objects keep the order their keys were added in, which for messages
	 * is the descriptor's field order. */
	int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	fputc('\n', stdout);
	return rc == 0 ? LS_OK : LS_UNKNOWN;
}

json_t *cli_message_json(const ProtobufCMessage *m)
{
	json_t *j = ls_json_from_message(m);
	if (j == NULL)
		cli_out_of_memory();
	return j;
}

int cli_print_message_json(const ProtobufCMessage *m)
{
	return cli_print_json(cli_message_json(m));
}

/* ---- errors ------------------------------------------------------------- */

/* The canonical names, marked for translation in the "status" context: a
 * translator writes the name people in that language use for the code. */
static const char *const code_names[] = {
    NC_("status", "OK"),
    NC_("status", "CANCELLED"),
    NC_("status", "UNKNOWN"),
    NC_("status", "INVALID_ARGUMENT"),
    NC_("status", "DEADLINE_EXCEEDED"),
    NC_("status", "NOT_FOUND"),
    NC_("status", "ALREADY_EXISTS"),
    NC_("status", "PERMISSION_DENIED"),
    NC_("status", "RESOURCE_EXHAUSTED"),
    NC_("status", "FAILED_PRECONDITION"),
    NC_("status", "ABORTED"),
    NC_("status", "OUT_OF_RANGE"),
    NC_("status", "UNIMPLEMENTED"),
    NC_("status", "INTERNAL"),
    NC_("status", "UNAVAILABLE"),
    NC_("status", "DATA_LOSS"),
    NC_("status", "UNAUTHENTICATED"),
};

/* What a code means, for an error that came without a message. */
static const char *const code_texts[] = {
    N_("success"),
    N_("the call was cancelled"),
    N_("unknown error"),
    N_("invalid argument"),
    N_("the deadline passed"),
    N_("not found"),
    N_("already exists"),
    N_("permission denied"),
    N_("resource exhausted"),
    N_("failed precondition"),
    N_("aborted"),
    N_("out of range"),
    N_("not implemented by the server"),
    N_("internal error"),
    N_("the server is unavailable"),
    N_("data loss"),
    N_("not authenticated"),
};

_Static_assert(sizeof code_names / sizeof code_names[0] == LS_CODE_MAX + 1,
               "a name for every code");
_Static_assert(sizeof code_texts / sizeof code_texts[0] == LS_CODE_MAX + 1,
               "a text for every code");

const char *cli_code_display(int code)
{
	static char buf[192];
	if (code < 0 || code > LS_CODE_MAX)
		code = LS_UNKNOWN;
	const char *name = code_names[code];
	const char *local = cli_pgettext("status", name);
	if (strcmp(local, name) == 0)
		return name;
	snprintf(buf, sizeof buf, "%s (%s)", local, name);
	return buf;
}

int cli_print_status(const ls_status *st)
{
	int code = st->code;
	if (code <= LS_OK || code > LS_CODE_MAX)
		code = LS_UNKNOWN;
	char *msg = one_line(st->message[0] ? st->message : _(code_texts[code]));
	char *field = one_line(st->field);
	/* Say the field once when the message already starts with it. */
	size_t n = strlen(field);
	if (n > 0 && strncmp(msg, field, n) == 0 && msg[n] == ':')
		field[0] = '\0';
	fflush(stdout);
	if (field[0] != '\0')
		fprintf(stderr, "luoshi: %s: %s: %s\n", cli_code_display(code), field, msg);
	else
		fprintf(stderr, "luoshi: %s: %s\n", cli_code_display(code), msg);
	free(msg);
	free(field);
	return code;
}
