/* End to end, SQLite against PostgreSQL (tests/pg_server.sh gives the
 * server), on the Yinzhou demo district:
 * - loaded by luoshid --demo into SQLite, it moves to a new PostgreSQL
 *   database with luoshid --copy-from; a luoshid there answers the report's
 *   figures as the SQLite one did, its tokens work, and new rows get new
 *   ids; a database with accounts is not copied into;
 * - loaded by luoshid --demo straight into PostgreSQL, where PostgreSQL's
 *   triggers keep the aggregates, the district's summary (every figure of
 *   it: counts, statuses, money, growth) is the same as SQLite's. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pg_database.h"
#include "luoshi/v1/account.pb-c.h"

#define REPORT_DAY "2026-09-30"

extern char **environ;

typedef struct fx {
	e2e_server lite, pg;
	char url[E2E_PATH_MAX]; /* the new PostgreSQL database */
} fx;

/* The district summary of the report's day, as a person reads it. */
static char *summary(const e2e_server *s)
{
	const char *args[] = {"query",   "summary",  "--as-of", REPORT_DAY,
	                      "--level", "district", NULL};
	e2e_run run;
	e2e_cli(s->dir, s->tcp_url, s->admin_token, "zh_CN.UTF-8", args, &run);
	if (run.status != 0)
		fail_msg("query summary: %d: %s", run.status, run.err);
	char *out = run.out;
	run.out = NULL;
	e2e_run_free(&run);
	return out;
}

static int copy_from(const char *url, const char *file, e2e_run *r)
{
	char *argv[] = {getenv("LUOSHID"),     (char *)"--db", (char *)url,
	                (char *)"--copy-from", (char *)file,   NULL};
	return e2e_run_program(argv, environ, 120000, r);
}

/* The demo on SQLite (the harness's PostgreSQL put aside for it), then
 * stopped. */
static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL)
		return -1;
	*state = f;
	if (!e2e_on_pg()) {
		fprintf(stderr, "e2e_copy: run it under tests/pg_server.sh\n");
		return -1;
	}
	char *pg = strdup(getenv("LUOSHI_TEST_PG"));
	unsetenv("LUOSHI_TEST_PG");
	int rc = e2e_server_init(&f->lite);
	setenv("LUOSHI_TEST_PG", pg, 1);
	free(pg);
	static const char *const demo[] = {"--demo", NULL};
	if (rc != 0 || e2e_server_start(&f->lite, demo) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = 0;
	if (f->pg.pid > 0 && e2e_server_stop(&f->pg) != 0)
		rc = -1;
	if (f->lite.pid > 0 && e2e_server_stop(&f->lite) != 0)
		rc = -1;
	e2e_server_cleanup(&f->pg);
	e2e_server_cleanup(&f->lite);
	free(f);
	return rc;
}

static void test_demo_moves_over(void **state)
{
	fx *f = *state;
	/* The report's figures on SQLite: 66 district-level projects, 55 of
	 * them (83%) on track. */
	char *before = summary(&f->lite);
	assert_non_null(strstr(before, "55 (83."));
	luoshi_client *c = e2e_client(f->lite.tcp_url, f->lite.admin_token, 0);
	int64_t last;
	ls_status st;
	assert_int_equal(e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_VIEWER, "made on SQLite",
	                                    NULL, &last, NULL, 0, &st),
	                 LS_OK);
	luoshi_client_close(c);
	assert_int_equal(e2e_server_stop(&f->lite), 0);

	char tag[16], name[64];
	snprintf(tag, sizeof tag, "%d", (int)getpid());
	assert_int_equal(
	    test_pg_database(getenv("LUOSHI_TEST_PG"), "copy_", tag, name, f->url, sizeof f->url),
	    0);
	e2e_run r;
	assert_int_equal(copy_from(f->url, f->lite.db, &r), 0);
	if (r.status != 0)
		fail_msg("luoshid --copy-from exited %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "copied "));
	e2e_run_free(&r);

	assert_int_equal(e2e_server_init_beside(&f->pg, &f->lite), 0);
	snprintf(f->pg.db, sizeof f->pg.db, "%s", f->url);
	assert_int_equal(e2e_server_start(&f->pg, NULL), 0);
	/* The same table, from PostgreSQL: the same token works there. */
	char *after = summary(&f->pg);
	assert_string_equal(after, before);
	free(before);
	free(after);

	/* The sequences were moved past the ids copied. */
	c = e2e_client(f->pg.tcp_url, f->pg.admin_token, 0);
	int64_t next;
	assert_int_equal(e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_VIEWER, "made on PostgreSQL",
	                                    NULL, &next, NULL, 0, &st),
	                 LS_OK);
	assert_int_equal(next, last + 1);
	luoshi_client_close(c);

	/* A database with accounts is not copied into, and keeps its rows. */
	assert_int_equal(copy_from(f->url, f->lite.db, &r), 0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "has accounts already"));
	e2e_run_free(&r);
}

static void test_demo_on_both(void **state)
{
	fx *f = *state;
	char *lite = summary(&f->lite);
	assert_non_null(strstr(lite, "55 (83."));
	/* The harness makes the database and runs init there. */
	assert_int_equal(e2e_server_init(&f->pg), 0);
	static const char *const demo[] = {"--demo", NULL};
	assert_int_equal(e2e_server_start(&f->pg, demo), 0);
	char *pg = summary(&f->pg);
	assert_string_equal(pg, lite);
	free(pg);
	free(lite);
}

/* A file whose table name would break out of the SQL made from it is
 * refused, and the database stays as it was. */
static void test_strange_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/luoshi-copy-XXXXXX", file[64], name[64], url[E2E_PATH_MAX], tag[16];
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/strange.db", dir);
	/* A database of this luoshid's version, and one table more. */
	char *init[] = {getenv("LUOSHID"), (char *)"--db", file, (char *)"init", NULL};
	e2e_run r;
	assert_int_equal(e2e_run_program(init, environ, 60000, &r), 0);
	assert_int_equal(r.status, 0);
	e2e_run_free(&r);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE \"x\"\"; DROP TABLE accounts; --\"(a)",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	snprintf(tag, sizeof tag, "s%d", (int)getpid());
	assert_int_equal(
	    test_pg_database(getenv("LUOSHI_TEST_PG"), "copy_", tag, name, url, sizeof url), 0);
	assert_int_equal(copy_from(url, file, &r), 0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "a table luoshi does not make"));
	e2e_run_free(&r);
	/* The accounts table is there still: luoshid --db URL init works. */
	char *argv[] = {getenv("LUOSHID"), (char *)"--db", url, (char *)"init", NULL};
	assert_int_equal(e2e_run_program(argv, environ, 60000, &r), 0);
	assert_int_equal(r.status, 0);
	e2e_run_free(&r);
	char wal[80];
	unlink(file);
	snprintf(wal, sizeof wal, "%s-wal", file);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", file);
	unlink(wal);
	rmdir(dir);
}

int main(void)
{
	/* Loading the demo through PostgreSQL, a statement a round trip,
	 * takes several times SQLite's ten seconds on a busy machine. */
	if (getenv("LUOSHI_TEST_TIMEOUT_SCALE") == NULL)
		setenv("LUOSHI_TEST_TIMEOUT_SCALE", "8", 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_demo_moves_over, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_demo_on_both, setup, teardown),
	    cmocka_unit_test(test_strange_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
