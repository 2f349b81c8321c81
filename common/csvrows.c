#include "csvrows.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "status.h"

/* The kinds by their names; the ImportRow oneof field of each is its
 * singular name, and that field's message is the request the row becomes. */
static const struct kind_name {
	const char *one;
	const char *many;
} kind_names[LS_CSV_KIND_COUNT] = {
    [LS_CSV_AUTO] = {"auto", NULL},         [LS_CSV_UNIT] = {"unit", "units"},
    [LS_CSV_PERSON] = {"person", "people"}, [LS_CSV_PROJECT] = {"project", "projects"},
    [LS_CSV_PLAN] = {"plan", "plans"},      [LS_CSV_NODE] = {"node", "nodes"},
    [LS_CSV_TASK] = {"task", "tasks"},      [LS_CSV_UPDATE] = {"update", "updates"},
};

/* The full-width semicolon, which a Chinese keyboard types. */
#define FULLWIDTH_SEMICOLON "\xef\xbc\x9b"

/* How often (in bytes of input) the progress callback runs. */
#define PROGRESS_STEP (64 * 1024)

const char *ls_csv_kind_name(ls_csv_kind kind)
{
	if ((int)kind < 0 || kind >= LS_CSV_KIND_COUNT)
		return "auto";
	return kind_names[kind].one;
}

int ls_csv_kind_from_name(const char *s)
{
	if (s == NULL)
		return -1;
	for (int k = LS_CSV_UNIT; k < LS_CSV_KIND_COUNT; k++)
		if (strcasecmp(s, kind_names[k].one) == 0 || strcasecmp(s, kind_names[k].many) == 0)
			return k;
	return -1;
}

ls_csv_kind ls_csv_kind_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (int k = LS_CSV_UNIT; k < LS_CSV_KIND_COUNT; k++) {
		size_t n = strlen(kind_names[k].many);
		if (strncasecmp(base, kind_names[k].many, n) == 0 &&
		    strcasecmp(base + n, ".csv") == 0)
			return (ls_csv_kind)k;
	}
	return LS_CSV_AUTO;
}

/* The ImportRow field that holds rows of kind k. */
static const ProtobufCFieldDescriptor *row_field(ls_csv_kind k)
{
	return protobuf_c_message_descriptor_get_field_by_name(&luoshi__v1__import_row__descriptor,
	                                                       kind_names[k].one);
}

ls_csv_kind ls_csv_row_kind(const Luoshi__V1__ImportRow *row)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
	    &luoshi__v1__import_row__descriptor, (unsigned)row->row_case);
	if (f == NULL)
		return LS_CSV_AUTO;
	int k = ls_csv_kind_from_name(f->name);
	return k < 0 ? LS_CSV_AUTO : (ls_csv_kind)k;
}

void ls_csv_errors_fini(ls_csv_errors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].source);
		free(e->v[i].column);
		free(e->v[i].message);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
	e->dropped = 0;
}

Luoshi__V1__ImportRegistryRequest *ls_csvrows_request_new(void)
{
	Luoshi__V1__ImportRegistryRequest *req = malloc(sizeof *req);
	if (req != NULL)
		luoshi__v1__import_registry_request__init(req);
	return req;
}

/* ---- the parser's state ------------------------------------------------------ */

typedef struct column {
	char *name;
	bool is_kind; /* the kind column of a combined file */
	bool bad;     /* reported at the header: its cells are ignored */
	/* The field this column fills in each kind's request; NULL where the
	 * kind has no such field. */
	const ProtobufCFieldDescriptor *field[LS_CSV_KIND_COUNT];
} column;

typedef struct parser {
	const char *source;
	ls_csv_kind kind; /* of every row; LS_CSV_AUTO: from the kind column */
	Luoshi__V1__ImportRegistryRequest *req;
	ls_csv_errors *errs;
	long found;
	bool oom;
	bool dead; /* the header makes the rows meaningless: skip them */

	uint32_t line;     /* physical line being fed */
	uint32_t rec_line; /* where the record in progress started */
	bool rec_open;

	char **cells; /* the record in progress */
	size_t n_cells, cap_cells;

	bool have_header;
	column *cols;
	size_t n_cols;
	size_t rows;
} parser;

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Turns the line breaks of s (may be NULL) into spaces. */
static void one_line(char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

static void add_error(parser *p, uint32_t line, const char *column_name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_error(parser *p, uint32_t line, const char *column_name, const char *fmt, ...)
{
	p->found++;
	ls_csv_errors *e = p->errs;
	if (e->n >= LS_CSVROWS_MAX_ERRORS) {
		e->dropped++;
		return;
	}
	if (e->n == 0 || (e->n & (e->n - 1)) == 0) {
		size_t cap = e->n ? 2 * e->n : 8;
		ls_csv_error *v = realloc(e->v, cap * sizeof *v);
		if (v == NULL) {
			p->oom = true;
			e->dropped++;
			return;
		}
		e->v = v;
	}
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Text cut to fit, here or in the reason given (which quotes the
	 * cell), ends in a whole character. */
	ls_utf8_cut_tail(msg);
	ls_csv_error *x = &e->v[e->n];
	x->source = strdup(p->source);
	x->line = line;
	x->column = column_name ? strdup(column_name) : NULL;
	x->message = strdup(msg);
	/* An error is one line: a quoted cell or column name may hold line
	 * breaks, shown as spaces. */
	one_line(x->column);
	one_line(x->message);
	if (x->source == NULL || x->message == NULL || (column_name && x->column == NULL)) {
		free(x->source);
		free(x->column);
		free(x->message);
		p->oom = true;
		e->dropped++;
		return;
	}
	e->n++;
}

static void clear_record(parser *p)
{
	for (size_t i = 0; i < p->n_cells; i++)
		free(p->cells[i]);
	p->n_cells = 0;
}

/* ---- cells ------------------------------------------------------------------- */

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF,
 * and no NUL (a C string could not carry it). */
static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		unsigned c = *s;
		int n;
		uint32_t cp;
		if (c < 0x80) {
			s++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

/* A whole decimal number within [min, max]; on failure why is set. */
static bool parse_integer(const char *s, int64_t min, uint64_t max, bool *neg, uint64_t *mag,
                          const char **why)
{
	const char *d = s;
	*neg = false;
	if (*d == '+' || *d == '-')
		*neg = *d++ == '-';
	if (*d == '\0') {
		*why = "is not a whole number";
		return false;
	}
	uint64_t v = 0;
	for (; *d; d++) {
		if (*d < '0' || *d > '9') {
			*why = "is not a whole number";
			return false;
		}
		unsigned digit = (unsigned)(*d - '0');
		if (v > (UINT64_MAX - digit) / 10) {
			*why = "is out of range";
			return false;
		}
		v = v * 10 + digit;
	}
	if (*neg ? (min == 0 ? v != 0 : v > (uint64_t)(-(min + 1)) + 1) : v > max) {
		*why = "is out of range";
		return false;
	}
	*mag = v;
	return true;
}

/* The prefix all of an enum's value names share, cut after its last '_'
 * ("LEVEL_" for LEVEL_UNSPECIFIED, LEVEL_CITY …). */
static size_t enum_prefix(const ProtobufCEnumDescriptor *ed)
{
	if (ed->n_values == 0)
		return 0;
	const char *first = ed->values[0].name;
	size_t n = strlen(first);
	for (unsigned i = 1; i < ed->n_values; i++) {
		size_t k = 0;
		while (k < n && ed->values[i].name[k] == first[k])
			k++;
		n = k;
	}
	while (n > 0 && first[n - 1] != '_')
		n--;
	return n;
}

/* The enum's value for s: full name, short name or number. */
static const ProtobufCEnumValue *enum_value(const ProtobufCEnumDescriptor *ed, const char *s)
{
	bool neg;
	uint64_t mag;
	const char *why;
	if (parse_integer(s, INT32_MIN, INT32_MAX, &neg, &mag, &why))
		return protobuf_c_enum_descriptor_get_value(ed,
		                                            neg ? -(int)(int64_t)mag : (int)mag);
	char norm[128];
	size_t n = strlen(s);
	if (n >= sizeof norm)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		norm[i] = s[i] == '-' ? '_' : (char)toupper((unsigned char)s[i]);
	size_t pre = enum_prefix(ed);
	for (unsigned i = 0; i < ed->n_values; i++) {
		const char *name = ed->values[i].name;
		if (strcmp(norm, name) == 0 || strcmp(norm, name + pre) == 0)
			return &ed->values[i];
	}
	return NULL;
}

/* "city, district, town": the short names of the enum's values but zero. */
static void enum_choices(const ProtobufCEnumDescriptor *ed, char *buf, size_t size)
{
	size_t pre = enum_prefix(ed), used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < ed->n_values && used + 1 < size; i++) {
		if (ed->values[i].value == 0)
			continue;
		int w = snprintf(buf + used, size - used, "%s", used ? ", " : "");
		used += (size_t)w;
		for (const char *c = ed->values[i].name + pre; *c && used + 1 < size; c++)
			buf[used++] = (char)tolower((unsigned char)*c);
		buf[used] = '\0';
	}
}

static bool parse_bool(const char *s, protobuf_c_boolean *out)
{
	static const char *const yes[] = {"true", "yes", "1", "是"};
	static const char *const no[] = {"false", "no", "0", "否"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return true;
		}
	}
	return false;
}

/* Converts one value s of field f's type into *dst (a slot of the field's
 * element size). Returns false with a reason in why (which names the value)
 * when s does not convert; strings are duplicated into *dst. */
static bool convert_value(parser *p, const ProtobufCFieldDescriptor *f, const char *s, void *dst,
                          char *why, size_t why_size)
{
	bool neg;
	uint64_t mag;
	const char *reason = NULL;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (!parse_integer(s, INT32_MIN, INT32_MAX, &neg, &mag, &reason))
			break;
		*(int32_t *)dst = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
		return true;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (!parse_integer(s, INT64_MIN, INT64_MAX, &neg, &mag, &reason))
			break;
		*(int64_t *)dst = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		return true;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!parse_integer(s, 0, UINT32_MAX, &neg, &mag, &reason))
			break;
		*(uint32_t *)dst = (uint32_t)mag;
		return true;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!parse_integer(s, 0, UINT64_MAX, &neg, &mag, &reason))
			break;
		*(uint64_t *)dst = mag;
		return true;
	case PROTOBUF_C_TYPE_BOOL:
		if (parse_bool(s, (protobuf_c_boolean *)dst))
			return true;
		reason = "is not one of true/false, yes/no, 1/0, 是/否";
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *ed = f->descriptor;
		const ProtobufCEnumValue *v = enum_value(ed, s);
		if (v != NULL) {
			*(int *)dst = v->value;
			return true;
		}
		char choices[512];
		enum_choices(ed, choices, sizeof choices);
		snprintf(why, why_size, "\"%s\" is not one of %s", s, choices);
		return false;
	}
	case PROTOBUF_C_TYPE_STRING:
		if ((*(char **)dst = strdup(s)) == NULL) {
			p->oom = true;
			reason = "cannot be stored: out of memory";
			break;
		}
		return true;
	default:
		reason = "cannot be given in a CSV file";
		break;
	}
	snprintf(why, why_size, "\"%s\" %s", s, reason);
	return false;
}

static size_t type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Splits a repeated column's cell on ';' and '；' and appends each
 * non-empty part to the field's array. */
static bool convert_repeated(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                             const char *s, char *why, size_t why_size)
{
	size_t *count = (size_t *)((char *)m + f->quantifier_offset);
	void **array = (void **)((char *)m + f->offset);
	size_t esz = type_size(f->type);
	const char *at = s;
	for (;;) {
		const char *semi = strchr(at, ';');
		const char *wide = strstr(at, FULLWIDTH_SEMICOLON);
		const char *end = semi;
		size_t skip = 1;
		if (wide != NULL && (end == NULL || wide < end)) {
			end = wide;
			skip = strlen(FULLWIDTH_SEMICOLON);
		}
		if (end == NULL)
			end = at + strlen(at);
		const char *part = at;
		size_t n = (size_t)(end - at);
		trim(&part, &n);
		if (n > 0) {
			char *one = dup_n(part, n);
			void *grown = realloc(*array, (*count + 1) * esz);
			if (one == NULL || grown == NULL) {
				free(one);
				if (grown != NULL)
					*array = grown;
				p->oom = true;
				snprintf(why, why_size, "cannot be stored: out of memory");
				return false;
			}
			*array = grown;
			char *slot = (char *)grown + *count * esz;
			memset(slot, 0, esz);
			bool ok = convert_value(p, f, one, slot, why, why_size);
			free(one);
			if (!ok)
				return false;
			(*count)++;
		}
		if (*end == '\0')
			return true;
		at = end + skip;
	}
}

/* Fills field f of m from the cell s (not empty). */
static bool convert_cell(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                         const char *s, char *why, size_t why_size)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return convert_repeated(p, m, f, s, why, why_size);
	void *dst = (char *)m + f->offset;
	if (f->type == PROTOBUF_C_TYPE_STRING && *(char **)dst != NULL) {
		free(*(char **)dst);
		*(char **)dst = NULL;
	}
	if (!convert_value(p, f, s, dst, why, why_size))
		return false;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
	         f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
	return true;
}

/* ---- records ----------------------------------------------------------------- */

/* Whether a cell can give a value of f's type: not a message or bytes (an
 * update's photos), which have no text form. */
static bool cell_type(const ProtobufCFieldDescriptor *f)
{
	return f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_BYTES;
}

/* The columns a kind takes, for messages: "code, name, kind, parent". */
static void kind_columns(ls_csv_kind k, char *buf, size_t size)
{
	const ProtobufCMessageDescriptor *d = row_field(k)->descriptor;
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < d->n_fields && used + 1 < size; i++)
		if (cell_type(&d->fields[i]))
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
			                         d->fields[i].name);
}

/* The field of kind k's request that column name fills: the field of
 * that name, or, written with the kind in front ("unit_kind"), the field
 * of that kind only. The second form lets a combined file, whose kind
 * column names the row's kind, still give a unit's own kind. */
static const ProtobufCFieldDescriptor *kind_field(ls_csv_kind k, const char *name)
{
	const ProtobufCMessageDescriptor *d = row_field(k)->descriptor;
	size_t n = strlen(kind_names[k].one);
	for (unsigned f = 0; f < d->n_fields; f++)
		if (strcasecmp(d->fields[f].name, name) == 0)
			return &d->fields[f];
	if (strncasecmp(name, kind_names[k].one, n) != 0 || name[n] != '_')
		return NULL;
	for (unsigned f = 0; f < d->n_fields; f++)
		if (strcasecmp(d->fields[f].name, name + n + 1) == 0)
			return &d->fields[f];
	return NULL;
}

static void take_header(parser *p)
{
	p->have_header = true;
	p->cols = calloc(p->n_cells ? p->n_cells : 1, sizeof *p->cols);
	if (p->cols == NULL) {
		p->oom = true;
		p->dead = true;
		return;
	}
	p->n_cols = p->n_cells;
	bool has_kind = false;
	for (size_t i = 0; i < p->n_cells; i++) {
		column *c = &p->cols[i];
		c->name = p->cells[i];
		p->cells[i] = NULL;
		if (!utf8_valid(c->name)) {
			add_error(p, p->rec_line, NULL, "column %zu: the name is not valid UTF-8",
			          i + 1);
			c->bad = true;
			continue;
		}
		if (c->name[0] == '\0') {
			add_error(p, p->rec_line, NULL, "column %zu has no name", i + 1);
			c->bad = true;
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (!p->cols[j].bad && strcasecmp(p->cols[j].name, c->name) == 0) {
				add_error(p, p->rec_line, c->name, "the column appears twice");
				c->bad = true;
				break;
			}
		}
		if (c->bad)
			continue;
		if (strcasecmp(c->name, "kind") == 0 && p->kind == LS_CSV_AUTO) {
			c->is_kind = true;
			has_kind = true;
			continue;
		}
		bool any = false;
		bool untyped = false; /* some kind has the field, but no cell can give it */
		for (int k = LS_CSV_UNIT; k < LS_CSV_KIND_COUNT; k++) {
			if (p->kind != LS_CSV_AUTO && k != (int)p->kind)
				continue;
			c->field[k] = kind_field((ls_csv_kind)k, c->name);
			if (c->field[k] != NULL && !cell_type(c->field[k])) {
				c->field[k] = NULL;
				untyped = true;
			}
			if (c->field[k] != NULL)
				any = true;
		}
		if (!any && untyped) {
			c->bad = true;
			add_error(p, p->rec_line, c->name,
			          "%s cannot be given in a CSV file (a cell holds text, not "
			          "files): leave the column out",
			          c->name);
			continue;
		}
		/* In a file of one kind a kind column is allowed, naming that
		 * kind on every row or left empty. */
		if (!any && p->kind != LS_CSV_AUTO && strcasecmp(c->name, "kind") == 0) {
			c->is_kind = true;
			continue;
		}
		if (!any) {
			c->bad = true;
			if (p->kind != LS_CSV_AUTO) {
				char cols[512];
				kind_columns(p->kind, cols, sizeof cols);
				add_error(p, p->rec_line, c->name,
				          "unknown column for %s rows (columns: %s)",
				          ls_csv_kind_name(p->kind), cols);
			} else {
				add_error(p, p->rec_line, c->name,
				          "unknown column: no kind of row has it");
			}
		}
	}
	if (p->kind == LS_CSV_AUTO && !has_kind) {
		add_error(p, p->rec_line, NULL,
		          "cannot tell what the rows are: name the file units.csv, people.csv, "
		          "projects.csv, plans.csv, nodes.csv, tasks.csv or updates.csv, give the "
		          "kind, or add a kind column");
		p->dead = true;
	}
}

/* Replaces each CRLF inside a cell (a quoted line break in a CRLF file) by
 * LF, so that the text does not depend on the file's line endings. */
static void normalise_newlines(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
}

static void set_row_message(Luoshi__V1__ImportRow *row, ls_csv_kind k, ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f = row_field(k);
	*(ProtobufCMessage **)((char *)row + f->offset) = m;
	*(uint32_t *)((char *)row + f->quantifier_offset) = f->id;
}

static void append_row(parser *p, ls_csv_kind k, ProtobufCMessage *m)
{
	Luoshi__V1__ImportRegistryRequest *req = p->req;
	Luoshi__V1__ImportRow *row = malloc(sizeof *row);
	char *src = strdup(p->source);
	size_t n = req->n_rows;
	if (row == NULL || src == NULL) {
		free(row);
		free(src);
		protobuf_c_message_free_unpacked(m, NULL);
		p->oom = true;
		return;
	}
	if ((n & (n - 1)) == 0) {
		Luoshi__V1__ImportRow **v = realloc(req->rows, (n ? 2 * n : 16) * sizeof *v);
		if (v == NULL) {
			free(row);
			free(src);
			protobuf_c_message_free_unpacked(m, NULL);
			p->oom = true;
			return;
		}
		req->rows = v;
	}
	luoshi__v1__import_row__init(row);
	row->source = src;
	row->has_line = true;
	row->line = p->rec_line;
	set_row_message(row, k, m);
	req->rows[n] = row;
	req->n_rows = n + 1;
}

static void take_row(parser *p)
{
	uint32_t line = p->rec_line;
	bool empty = true;
	for (size_t i = 0; i < p->n_cells; i++)
		if (p->cells[i][0] != '\0')
			empty = false;
	/* Spreadsheets save trailing rows of empty cells: not a row. */
	if (empty)
		return;
	if (p->n_cells != p->n_cols) {
		add_error(p, line, NULL, "ragged row: %zu fields where the header has %zu",
		          p->n_cells, p->n_cols);
		return;
	}
	long before = p->found;
	for (size_t i = 0; i < p->n_cells; i++) {
		if (!p->cols[i].bad && !utf8_valid(p->cells[i])) {
			add_error(p, line, p->cols[i].name, "the cell is not valid UTF-8");
			p->cells[i][0] = '\0';
		}
		normalise_newlines(p->cells[i]);
	}

	ls_csv_kind k = p->kind;
	for (size_t i = 0; i < p->n_cols; i++) {
		const char *s = p->cells[i];
		if (!p->cols[i].is_kind || p->cols[i].bad)
			continue;
		int named = s[0] ? ls_csv_kind_from_name(s) : -1;
		if (p->kind != LS_CSV_AUTO) {
			if (s[0] != '\0' && named != (int)p->kind)
				add_error(p, line, p->cols[i].name,
				          "\"%s\": the rows of this file are %s rows", s,
				          ls_csv_kind_name(p->kind));
		} else if (s[0] == '\0') {
			add_error(p, line, p->cols[i].name,
			          "the kind is missing: unit, person, project, plan, node, task or "
			          "update");
			return;
		} else if (named < 0) {
			add_error(p, line, p->cols[i].name,
			          "\"%s\" is not one of unit, person, project, plan, node, task, "
			          "update",
			          s);
			return;
		} else {
			k = (ls_csv_kind)named;
		}
	}
	if (k == LS_CSV_AUTO)
		return;

	const ProtobufCMessageDescriptor *d = row_field(k)->descriptor;
	ProtobufCMessage *m = malloc(d->sizeof_message);
	if (m == NULL) {
		p->oom = true;
		return;
	}
	d->message_init(m);
	for (size_t i = 0; i < p->n_cols; i++) {
		const column *c = &p->cols[i];
		const char *s = p->cells[i];
		if (c->bad || c->is_kind || s[0] == '\0')
			continue;
		const ProtobufCFieldDescriptor *f = c->field[k];
		if (f == NULL) {
			add_error(p, line, c->name, "a %s row has no %s: leave the cell empty",
			          ls_csv_kind_name(k), c->name);
			continue;
		}
		char why[1024];
		if (!convert_cell(p, m, f, s, why, sizeof why))
			add_error(p, line, c->name, "%s", why);
	}
	if (p->found != before || p->oom) {
		protobuf_c_message_free_unpacked(m, NULL);
		return;
	}
	append_row(p, k, m);
	p->rows++;
}

/* ---- libcsv's callbacks ------------------------------------------------------ */

static void on_field(void *s, size_t len, void *arg)
{
	parser *p = arg;
	if (p->n_cells == p->cap_cells) {
		size_t cap = p->cap_cells ? 2 * p->cap_cells : 16;
		char **v = realloc(p->cells, cap * sizeof *v);
		if (v == NULL) {
			p->oom = true;
			return;
		}
		p->cells = v;
		p->cap_cells = cap;
	}
	char *cell = dup_n(s ? s : "", s ? len : 0);
	if (cell == NULL) {
		p->oom = true;
		return;
	}
	p->cells[p->n_cells++] = cell;
}

static void on_record(int term, void *arg)
{
	(void)term;
	parser *p = arg;
	if (!p->oom) {
		if (!p->have_header)
			take_header(p);
		else if (!p->dead)
			take_row(p);
	}
	clear_record(p);
	p->rec_open = false;
}

/* The end of the physical line that starts at s: just past its LF, its
 * CRLF, or a lone CR. */
static const char *line_end(const char *s, const char *end)
{
	for (; s < end; s++) {
		if (*s == '\n')
			return s + 1;
		if (*s == '\r')
			return s + 1 < end && s[1] == '\n' ? s + 2 : s + 1;
	}
	return end;
}

static bool blank(const char *s, const char *end)
{
	for (; s < end; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}

long ls_csvrows_parse(const char *source, const char *data, size_t len, ls_csv_kind kind,
                      Luoshi__V1__ImportRegistryRequest *req, ls_csv_errors *errs,
                      ls_csv_progress_fn progress, void *progress_arg)
{
	parser p = {.source = source, .kind = kind, .req = req, .errs = errs, .line = 1};
	if (p.kind == LS_CSV_AUTO)
		p.kind = ls_csv_kind_from_path(source);
	const char *at = data, *end = data + len;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		at += 3;

	struct csv_parser cp;
	const unsigned char opts = CSV_STRICT | CSV_STRICT_FINI;
	if (csv_init(&cp, opts) != 0)
		return -1;
	size_t next_progress = PROGRESS_STEP;
	/* Fed one physical line at a time, so that each record knows the line
	 * it started on: libcsv itself does not count lines. */
	while (at < end && !p.oom) {
		const char *eol = line_end(at, end);
		if (!p.rec_open && !blank(at, eol)) {
			p.rec_open = true;
			p.rec_line = p.line;
		}
		size_t n = (size_t)(eol - at);
		if (csv_parse(&cp, at, n, on_field, on_record, &p) != n) {
			if (csv_error(&cp) != CSV_EPARSE) {
				p.oom = true;
				break;
			}
			add_error(&p, p.line, NULL,
			          "bad quoting: a quote inside an unquoted field, or text after a "
			          "closing quote (write a quote inside a quoted field as \"\")");
			/* Start afresh on the next line, dropping the broken record. */
			csv_free(&cp);
			clear_record(&p);
			p.rec_open = false;
			if (csv_init(&cp, opts) != 0) {
				p.oom = true;
				break;
			}
		}
		at = eol;
		p.line++;
		if (progress != NULL && (size_t)(at - data) >= next_progress) {
			progress(progress_arg, (size_t)(at - data), len, p.rows);
			next_progress = (size_t)(at - data) + PROGRESS_STEP;
		}
	}
	if (!p.oom && csv_fini(&cp, on_field, on_record, &p) != 0)
		add_error(&p, p.rec_line, NULL,
		          "a quoted field is not closed before the end of the file");
	csv_free(&cp);
	if (!p.oom && !p.have_header)
		add_error(&p, 1, NULL, "the file is empty: the first line must name the columns");
	if (progress != NULL)
		progress(progress_arg, len, len, p.rows);
	clear_record(&p);
	free(p.cells);
	for (size_t i = 0; i < p.n_cols; i++)
		free(p.cols[i].name);
	free(p.cols);
	return p.oom ? -1 : p.found;
}

long ls_csvrows_parse_file(const char *path, ls_csv_kind kind,
                           Luoshi__V1__ImportRegistryRequest *req, ls_csv_errors *errs,
                           ls_csv_progress_fn progress, void *progress_arg)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0;
	int err = 0;
	if (f == NULL) {
		err = errno;
	} else {
		for (;;) {
			if (len == cap) {
				cap = cap ? 2 * cap : 64 * 1024;
				char *grown = realloc(data, cap);
				if (grown == NULL) {
					free(data);
					fclose(f);
					return -1;
				}
				data = grown;
			}
			size_t got = fread(data + len, 1, cap - len, f);
			len += got;
			if (got == 0) {
				if (ferror(f))
					err = errno ? errno : EIO;
				break;
			}
		}
		fclose(f);
	}
	if (err != 0) {
		free(data);
		parser p = {.source = path, .errs = errs};
		add_error(&p, 0, NULL, "cannot read the file: %s", strerror(err));
		return p.oom ? -1 : p.found;
	}
	long rc =
	    ls_csvrows_parse(path, data ? data : "", len, kind, req, errs, progress, progress_arg);
	free(data);
	return rc;
}

void ls_csvrows_sort(Luoshi__V1__ImportRegistryRequest *req)
{
	size_t n = req->n_rows, at[LS_CSV_KIND_COUNT + 1] = {0};
	if (n < 2)
		return;
	Luoshi__V1__ImportRow **sorted = malloc(n * sizeof *sorted);
	if (sorted == NULL)
		return;
	/* A counting sort: stable, and the kinds are few. Unset rows (kind
	 * auto) go last. */
	for (size_t i = 0; i < n; i++) {
		ls_csv_kind k = ls_csv_row_kind(req->rows[i]);
		at[k == LS_CSV_AUTO ? LS_CSV_KIND_COUNT : (size_t)k]++;
	}
	size_t sum = 0;
	for (size_t k = 1; k <= LS_CSV_KIND_COUNT; k++) {
		size_t c = at[k];
		at[k] = sum;
		sum += c;
	}
	for (size_t i = 0; i < n; i++) {
		ls_csv_kind k = ls_csv_row_kind(req->rows[i]);
		sorted[at[k == LS_CSV_AUTO ? LS_CSV_KIND_COUNT : (size_t)k]++] = req->rows[i];
	}
	memcpy(req->rows, sorted, n * sizeof *sorted);
	free(sorted);
}
