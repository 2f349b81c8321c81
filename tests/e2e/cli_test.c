/* End to end: the `luoshi` binary against a real luoshid. Exit codes,
 * output, --json, `call`, and the Chinese catalogue. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"

static e2e_server *srv;

static int group_setup(void **state)
{
	(void)state;
	srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return -1;
	if (e2e_server_up(srv, NULL) != 0) {
		e2e_server_cleanup(srv);
		free(srv);
		srv = NULL;
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	/* test_stops_cleanly stopped it, unless a test ended early. */
	if (srv != NULL) {
		e2e_server_cleanup(srv);
		free(srv);
		srv = NULL;
	}
	return 0;
}

/* Runs luoshi against the group's server, with the admin token unless
 * token says otherwise ("" for none). */
static void run(const char *token, const char *lang, const char *const *args, e2e_run *r)
{
	if (token == NULL)
		token = srv->admin_token;
	e2e_cli(srv->dir, srv->tcp_url, token[0] ? token : NULL, lang, args, r);
}

static void show(const char *what, const e2e_run *r)
{
	fprintf(stderr, "%s: status %d\nstdout:\n%sstderr:\n%s", what, r->status, r->out, r->err);
}

/* The value of the row labelled label in a "label  value" table. */
static char *table_value(const char *out, const char *label)
{
	size_t n = strlen(label);
	for (const char *line = out; *line != '\0';) {
		const char *end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (strncmp(line, label, n) == 0 && line[n] == ' ') {
			const char *v = line + n;
			while (*v == ' ')
				v++;
			return strndup(v, (size_t)(end - v));
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

/* True when out has a line that is exactly text. */
static bool has_line(const char *out, const char *text)
{
	size_t n = strlen(text);
	for (const char *p = strstr(out, text); p != NULL; p = strstr(p + 1, text))
		if ((p == out || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static const char *json_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Creates a town account through the CLI and returns its token. */
static void add_town(const char *name, char *token, size_t n)
{
	const char *args[] = {"account", "add", "--role", "town", "--name", name, NULL};
	e2e_run r;
	run(NULL, NULL, args, &r);
	if (r.status != 0)
		show("account add", &r);
	assert_int_equal(r.status, 0);
	char *t = table_value(r.out, "Token");
	assert_non_null(t);
	snprintf(token, n, "%s", t);
	free(t);
	e2e_run_free(&r);
}

static void test_health(void **state)
{
	(void)state;
	const char *args[] = {"health", NULL};
	e2e_run r;
	/* Health needs no token. */
	run("", NULL, args, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "SERVING\n");
	assert_string_equal(r.err, "");
	e2e_run_free(&r);

	/* --server wins over LUOSHI_SERVER: here the ipc socket. */
	const char *args2[] = {"--server", srv->ipc_url, "health", NULL};
	e2e_cli(srv->dir, "tcp://127.0.0.1:1", NULL, NULL, args2, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "SERVING\n");
	e2e_run_free(&r);
}

static void test_closed_port(void **state)
{
	(void)state;
	int fd;
	int port = e2e_closed_port(&fd);
	assert_true(port > 0);
	char url[64];
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
	const char *args[] = {"health", NULL};
	e2e_run r;
	e2e_cli(srv->dir, url, NULL, NULL, args, &r);
	e2e_run r2;
	const char *args2[] = {"whoami", NULL};
	e2e_cli(srv->dir, url, srv->admin_token, NULL, args2, &r2);
	close(fd);
	if (r.status != 14)
		show("health on a closed port", &r);
	assert_int_equal(r.status, 14);
	assert_int_equal(e2e_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "UNAVAILABLE"));
	assert_string_equal(r.out, "");
	e2e_run_free(&r);

	assert_int_equal(r2.status, 14);
	assert_int_equal(e2e_count_lines(r2.err), 1);
	assert_non_null(strstr(r2.err, "UNAVAILABLE"));
	e2e_run_free(&r2);
}

static void test_account_add_and_whoami(void **state)
{
	(void)state;
	int64_t before = e2e_count_accounts(srv);
	char token[128];
	add_town("五乡镇", token, sizeof token);
	assert_memory_equal(token, "ls_", 3);
	assert_true(strlen(token) > 3 + 32);
	assert_int_equal(e2e_count_accounts(srv), before + 1);

	const char *args[] = {"whoami", NULL};
	e2e_run r;
	run(token, NULL, args, &r);
	if (r.status != 0)
		show("whoami", &r);
	assert_int_equal(r.status, 0);
	char *role = table_value(r.out, "Role");
	char *name = table_value(r.out, "Name");
	char *unit = table_value(r.out, "Unit code");
	e2e_run_free(&r);
	assert_non_null(role);
	assert_string_equal(role, "town");
	assert_non_null(name);
	assert_string_equal(name, "五乡镇");
	assert_non_null(unit);
	assert_string_equal(unit, "office");
	free(role);
	free(name);
	free(unit);

	/* A town may not make accounts. */
	const char *add[] = {"account", "add", "--role", "town", "--name", "sneaky", NULL};
	run(token, NULL, add, &r);
	if (r.status != 7)
		show("account add as town", &r);
	assert_int_equal(r.status, 7);
	assert_int_equal(e2e_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "PERMISSION_DENIED"));
	assert_null(strstr(r.out, "ls_"));
	e2e_run_free(&r);
	assert_int_equal(e2e_count_accounts(srv), before + 1);
}

static void test_unknown_role(void **state)
{
	(void)state;
	int64_t before = e2e_count_accounts(srv);
	const char *args[] = {"account", "add", "--role", "nosuch", NULL};
	e2e_run r;
	run(NULL, NULL, args, &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "nosuch"));
	assert_int_equal(e2e_count_lines(r.err), 1);
	e2e_run_free(&r);
	assert_int_equal(e2e_count_accounts(srv), before);
}

static void test_json_whoami(void **state)
{
	(void)state;
	const char *args[] = {"--json", "whoami", NULL};
	e2e_run r;
	run(NULL, NULL, args, &r);
	assert_int_equal(r.status, 0);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	if (j == NULL)
		show("--json whoami", &r);
	e2e_run_free(&r);
	assert_non_null(j);
	json_t *acc = json_object_get(j, "account");
	assert_true(json_is_object(acc));
	assert_non_null(json_str(acc, "role"));
	assert_string_equal(json_str(acc, "role"), "ROLE_ADMIN");
	/* int64 as a string, lowerCamelCase names. */
	assert_non_null(json_str(acc, "id"));
	assert_string_equal(json_str(acc, "id"), "1");
	assert_non_null(json_str(acc, "unitCode"));
	assert_string_equal(json_str(acc, "unitCode"), "office");
	assert_null(json_object_get(acc, "revokedAt"));
	json_decref(j);
}

static void test_call_whoami(void **state)
{
	(void)state;
	const char *args[] = {"call", "/luoshi.v1.AccountService/WhoAmI", "{}", NULL};
	e2e_run r;
	run(NULL, NULL, args, &r);
	if (r.status != 0)
		show("call WhoAmI", &r);
	assert_int_equal(r.status, 0);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	e2e_run_free(&r);
	assert_non_null(j);
	json_t *acc = json_object_get(j, "account");
	assert_true(json_is_object(acc));
	assert_string_equal(json_str(acc, "name"), "admin");
	assert_string_equal(json_str(acc, "role"), "ROLE_ADMIN");
	assert_string_equal(json_str(acc, "id"), "1");
	json_decref(j);
}

static void test_call_bad_field(void **state)
{
	(void)state;
	int64_t before = e2e_count_accounts(srv);
	const char *args[] = {"call", "/luoshi.v1.AccountService/CreateAccount",
	                      "{\"role\": \"ROLE_TOWN\", \"nosuchField\": 1}", NULL};
	e2e_run r;
	run(NULL, NULL, args, &r);
	if (r.status != 3)
		show("call with a bad field", &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "nosuchField"));
	assert_int_equal(e2e_count_lines(r.err), 1);
	assert_string_equal(r.out, "");
	e2e_run_free(&r);
	assert_int_equal(e2e_count_accounts(srv), before);

	/* The same request without the bad field goes through: it was the field. */
	const char *good[] = {"call", "/luoshi.v1.AccountService/CreateAccount",
	                      "{\"role\": \"ROLE_TOWN\", \"name\": \"by call\"}", NULL};
	run(NULL, NULL, good, &r);
	assert_int_equal(r.status, 0);
	e2e_run_free(&r);
	assert_int_equal(e2e_count_accounts(srv), before + 1);
}

static void test_services(void **state)
{
	(void)state;
	const char *args[] = {"services", NULL};
	e2e_run r;
	run(NULL, NULL, args, &r);
	if (r.status != 0)
		show("services", &r);
	assert_int_equal(r.status, 0);
	assert_true(has_line(r.out, "luoshi.v1.HealthService"));
	assert_true(has_line(r.out, "luoshi.v1.ReflectionService"));
	assert_true(has_line(r.out, "luoshi.v1.AccountService"));
	/* Each method of the three on its own line, with its types, and not
	 * marked as unimplemented or unknown. */
	static const char *const methods[][2] = {
	    {"Check", "luoshi.v1.HealthCheckRequest -> luoshi.v1.HealthCheckResponse"},
	    {"ListServices", "luoshi.v1.ListServicesRequest -> luoshi.v1.ListServicesResponse"},
	    {"GetServerInfo", "luoshi.v1.GetServerInfoRequest -> luoshi.v1.GetServerInfoResponse"},
	    {"CreateAccount", "luoshi.v1.CreateAccountRequest -> luoshi.v1.CreateAccountResponse"},
	    {"ListAccounts", "luoshi.v1.ListAccountsRequest -> luoshi.v1.ListAccountsResponse"},
	    {"RevokeAccount", "luoshi.v1.RevokeAccountRequest -> luoshi.v1.RevokeAccountResponse"},
	    {"WhoAmI", "luoshi.v1.WhoAmIRequest -> luoshi.v1.WhoAmIResponse"},
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		const char *p = strstr(r.out, methods[i][1]);
		if (p == NULL)
			fail_msg("services does not show %s (%s)", methods[i][0], methods[i][1]);
		const char *start = p;
		while (start > r.out && start[-1] != '\n')
			start--;
		const char *end = strchr(p, '\n');
		char *line = strndup(start, end ? (size_t)(end - start) : strlen(start));
		assert_non_null(line);
		bool named = strstr(line, methods[i][0]) != NULL;
		bool marked = strchr(line, '[') != NULL;
		if (!named || marked)
			fail_msg("services shows %s as: %s", methods[i][0], line);
		free(line);
	}
	e2e_run_free(&r);
}

static void require_zh_locale(void)
{
	locale_t l = newlocale(LC_ALL_MASK, "zh_CN.UTF-8", (locale_t)0);
	if (l == (locale_t)0)
		fail_msg("the zh_CN.UTF-8 locale is not installed "
		         "(deploy/test.sh generates it; or run locale-gen)");
	freelocale(l);
}

static void test_chinese_errors(void **state)
{
	(void)state;
	require_zh_locale();
	const char *args[] = {"whoami", NULL};
	e2e_run r;
	run("ls_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "zh_CN.UTF-8", args, &r);
	if (r.status != 16)
		show("whoami with a bad token, in Chinese", &r);
	assert_int_equal(r.status, 16);
	assert_int_equal(e2e_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "身份未认证"));
	assert_non_null(strstr(r.err, "UNAUTHENTICATED"));
	e2e_run_free(&r);

	/* The client's own message too, for a server that is not there. */
	int fd;
	int port = e2e_closed_port(&fd);
	assert_true(port > 0);
	char url[64];
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
	e2e_run c_run;
	e2e_cli(srv->dir, url, NULL, "C", args, &c_run);
	e2e_cli(srv->dir, url, NULL, "zh_CN.UTF-8", args, &r);
	close(fd);
	if (r.status != 14)
		show("whoami on a closed port, in Chinese", &r);
	assert_int_equal(r.status, 14);
	assert_int_equal(e2e_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "服务不可用"));
	assert_non_null(strstr(r.err, "UNAVAILABLE"));
	assert_non_null(strstr(r.err, "无法连接"));
	e2e_run_free(&r);

	/* The same in the C locale has no Chinese: the catalogue made it. */
	assert_int_equal(c_run.status, 14);
	assert_null(strstr(c_run.err, "服务不可用"));
	assert_non_null(strstr(c_run.err, "UNAVAILABLE"));
	e2e_run_free(&c_run);
}

/* Last: the server lived through everything above and stops cleanly on
 * SIGTERM (exit 0; under the sanitizers, with no report). A failed group
 * teardown does not fail a cmocka program, so this is a test of its own. */
static void test_stops_cleanly(void **state)
{
	(void)state;
	assert_true(e2e_server_alive(srv));
	assert_int_equal(e2e_server_stop(srv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health),
	    cmocka_unit_test(test_closed_port),
	    cmocka_unit_test(test_account_add_and_whoami),
	    cmocka_unit_test(test_unknown_role),
	    cmocka_unit_test(test_json_whoami),
	    cmocka_unit_test(test_call_whoami),
	    cmocka_unit_test(test_call_bad_field),
	    cmocka_unit_test(test_services),
	    cmocka_unit_test(test_chinese_errors),
	    cmocka_unit_test(test_stops_cleanly),
	};
	return cmocka_run_group_tests_name("e2e_cli", tests, group_setup, group_teardown);
}
