/* Configuration files: "key = value" lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

typedef struct seen {
	int n;
	char keys[8][64];
	char values[8][256];
} seen;

static int record(void *arg, const char *key, const char *value, ls_status *st)
{
	seen *s = arg;
	if (strcmp(key, "stop") == 0)
		return ls_status_field(st, LS_INVALID_ARGUMENT, key, "stopped at %s", value);
	snprintf(s->keys[s->n], sizeof s->keys[0], "%s", key);
	snprintf(s->values[s->n], sizeof s->values[0], "%s", value);
	s->n++;
	return LS_OK;
}

/* Writes text to a fresh temporary file; the caller unlinks path. */
static void write_file(char path[64], const char *text)
{
	snprintf(path, 64, "/tmp/luoshi-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

static void parses_lines(void **state)
{
	(void)state;
	char path[64];
	write_file(path, "# luoshid\n"
	                 "\n"
	                 "listen = tcp://127.0.0.1:7070\n"
	                 "  listen=ipc:///run/luoshi.sock   # the local socket\n"
	                 "unit-name = 区领导小组办公室\n"
	                 "quoted = \"  two spaces # kept  \"\n"
	                 "empty =\n");
	seen s = {0};
	ls_status st;
	ls_status_clear(&st);
	assert_int_equal(ls_config_parse(path, record, &s, &st), LS_OK);
	unlink(path);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.keys[0], "listen");
	assert_string_equal(s.values[0], "tcp://127.0.0.1:7070");
	assert_string_equal(s.values[1], "ipc:///run/luoshi.sock");
	assert_string_equal(s.keys[2], "unit-name");
	assert_string_equal(s.values[2], "区领导小组办公室");
	assert_string_equal(s.values[3], "  two spaces # kept  ");
	assert_string_equal(s.keys[4], "empty");
	assert_string_equal(s.values[4], "");
}

static void reports_bad_lines(void **state)
{
	(void)state;
	char path[64];
	write_file(path, "db = a.db\nthis line has no equals sign\n");
	seen s = {0};
	ls_status st;
	ls_status_clear(&st);
	assert_int_equal(ls_config_parse(path, record, &s, &st), LS_INVALID_ARGUMENT);
	char where[80];
	snprintf(where, sizeof where, "%s:2", path);
	assert_string_equal(st.field, where);
	unlink(path);

	write_file(path, "name = \"open quote\n");
	assert_int_equal(ls_config_parse(path, record, &s, &st), LS_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "unterminated"));
	unlink(path);

	write_file(path, " = value\n");
	assert_int_equal(ls_config_parse(path, record, &s, &st), LS_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "missing key"));
	unlink(path);
}

static void callback_stops_parsing(void **state)
{
	(void)state;
	char path[64];
	write_file(path, "a = 1\nstop = here\nb = 2\n");
	seen s = {0};
	ls_status st;
	ls_status_clear(&st);
	assert_int_equal(ls_config_parse(path, record, &s, &st), LS_INVALID_ARGUMENT);
	assert_int_equal(s.n, 1);
	assert_string_equal(st.message, "stopped at here");
	unlink(path);
}

static void missing_file(void **state)
{
	(void)state;
	seen s = {0};
	ls_status st;
	assert_int_equal(ls_config_parse("/nonexistent/luoshi.conf", record, &s, &st),
	                 LS_NOT_FOUND);
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_lines),
	    cmocka_unit_test(reports_bad_lines),
	    cmocka_unit_test(callback_stops_parsing),
	    cmocka_unit_test(missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
