#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int bad_line(ls_status *st, const char *path, int lineno, const char *why)
{
	ls_status_set(st, LS_INVALID_ARGUMENT, "%s:%d: %s", path, lineno, why);
	snprintf(st->field, sizeof st->field, "%s:%d", path, lineno);
	return LS_INVALID_ARGUMENT;
}

/* Splits one line into key and value in place. Returns 0 with *key NULL for
 * a blank or comment line, 0 with both set, or an error message. */
static const char *split_line(char *buf, char **key, char **value)
{
	*key = *value = NULL;
	char *line = trim(buf);
	if (*line == '\0' || *line == '#')
		return NULL;
	char *eq = strchr(line, '=');
	if (eq == NULL)
		return "expected key = value";
	*eq = '\0';
	*key = trim(line);
	if (**key == '\0')
		return "missing key";
	char *v = trim(eq + 1);
	if (*v == '"') {
		char *close = strchr(v + 1, '"');
		if (close == NULL)
			return "unterminated quote";
		*close = '\0';
		char *rest = trim(close + 1);
		if (*rest != '\0' && *rest != '#')
			return "text after the closing quote";
		*value = v + 1;
	} else {
		char *hash = strchr(v, '#');
		if (hash != NULL)
			*hash = '\0';
		*value = trim(v);
	}
	return NULL;
}

int ls_config_parse(const char *path, ls_config_fn fn, void *arg, ls_status *st)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return ls_status_field(st, LS_NOT_FOUND, path, "cannot open %s: %s", path,
		                       strerror(errno));
	char buf[4096];
	int lineno = 0, rc = LS_OK;
	while (rc == LS_OK && fgets(buf, sizeof buf, f) != NULL) {
		lineno++;
		size_t n = strlen(buf);
		if (n == sizeof buf - 1 && buf[n - 1] != '\n') {
			rc = bad_line(st, path, lineno, "line too long");
			break;
		}
		char *key, *value;
		const char *why = split_line(buf, &key, &value);
		if (why != NULL)
			rc = bad_line(st, path, lineno, why);
		else if (key != NULL)
			rc = fn(arg, key, value, st);
	}
	fclose(f);
	return rc;
}
