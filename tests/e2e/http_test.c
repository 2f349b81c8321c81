/* End to end: the JSON gateway (`luoshid --http URL`). Real luoshid
 * processes, spoken to over plain HTTP/1.1 sockets by a small client
 * below: the status of every kind of answer as grpc-gateway maps it, bad
 * input of every kind with nothing written, the role matrix of write RPCs
 * (each role allowed or refused exactly as on the nng side, the database
 * unchanged when refused, an audit row when allowed), a town reaching for
 * another town's project, deadlines, the slowdown of failed logins, the
 * static pages served without a token and the API not.
 *
 * The district (loaded from the side before the server starts): the office
 * (1, from init); towns 五乡镇 WX (2) and 下应街道 XY (3); department
 * 区发改局 FGJ (4); leader L1 张区长. Projects P1 (in WX) and P2 (in XY),
 * both led by FGJ; nodes 1 (P1) and 2 (P2), both owned by FGJ, open. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define TOKEN_MAX 128
#define MAX_MESSAGE "16384"

static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L1', '张区长', 1, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " archived, created_at) VALUES"
    " (1, 'P1', '中车产业基地', 'district', 'industrial', 'continuing', 1, 4, 2, 1000,"
    "  'weekly', '2026-01-05', '2027-12-31', 0, '2026-01-01'),"
    " (2, 'P2', '下应商务楼', 'district', 'industrial', 'new', 1, 4, 3, 1000,"
    "  'weekly', '2026-01-05', '2027-12-31', 0, '2026-01-01');"
    "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date, created_at)"
    " VALUES (1, 1, '主体结顶', '2026-12-31', 4, NULL, '2026-01-01'),"
    " (2, 2, '桩基完成', '2026-12-31', 4, NULL, '2026-01-01');";

typedef struct fx {
	e2e_server s;
	int port;
	char url[64];
	char leader[TOKEN_MAX], town[TOKEN_MAX], dept[TOKEN_MAX], inspector[TOKEN_MAX],
	    discipline[TOKEN_MAX], viewer[TOKEN_MAX];
} fx;

/* ---- a small HTTP client ------------------------------------------------------ */

typedef struct http_res {
	int status; /* 0: no answer (the connection closed first) */
	char *raw;  /* the whole answer, NUL-terminated */
	const char *body;
} http_res;

static void http_free(http_res *r)
{
	free(r->raw);
	memset(r, 0, sizeof *r);
}

/* The value of header name in r (case-insensitive), copied into out. */
static const char *header(const http_res *r, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	for (const char *p = r->raw ? strstr(r->raw, "\r\n") : NULL; p && p < r->body;
	     p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
			const char *v = line + len + 1;
			while (*v == ' ')
				v++;
			size_t k = strcspn(v, "\r");
			snprintf(out, n, "%.*s", (int)k, v);
			return out;
		}
	}
	return NULL;
}

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* Sends one request (Connection: close) with the extra header lines
 * (each "Name: value", NULL-terminated list, may be NULL). */
static int http_send(int port, const char *method, const char *path, const char *const *headers,
                     const char *body, size_t body_len)
{
	int fd = connect_to(port);
	char *head = NULL;
	size_t head_len = 0;
	FILE *f = open_memstream(&head, &head_len);
	fprintf(f, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", method, path);
	if (body != NULL)
		fprintf(f, "Content-Length: %zu\r\n", body_len);
	for (size_t i = 0; headers && headers[i]; i++)
		fprintf(f, "%s\r\n", headers[i]);
	fputs("\r\n", f);
	fclose(f);
	size_t total = head_len + (body ? body_len : 0);
	char *all = malloc(total + 1);
	memcpy(all, head, head_len);
	if (body)
		memcpy(all + head_len, body, body_len);
	free(head);
	size_t off = 0;
	while (off < total) {
		ssize_t w = send(fd, all + off, total - off, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the server may refuse before it read it all */
		off += (size_t)w;
	}
	free(all);
	return fd;
}

/* Reads the answer to the request sent on fd, and closes it. */
static void http_recv(int fd, http_res *r)
{
	memset(r, 0, sizeof *r);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 1024 > cap)
			buf = realloc(buf, cap *= 2);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 20000 * e2e_timeout_scale()) != 1)
			break;
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	r->raw = buf;
	const char *end = strstr(buf, "\r\n\r\n");
	r->body = end ? end + 4 : buf + len;
	if (strncmp(buf, "HTTP/1.1 ", 9) == 0)
		r->status = atoi(buf + 9);
}

static void http_do(int port, const char *method, const char *path, const char *const *headers,
                    const char *body, http_res *r)
{
	http_recv(http_send(port, method, path, headers, body, body ? strlen(body) : 0), r);
}

/* POST /api/v1/<method> with a JSON body and token (NULL: no
 * Authorization header). */
static void api(const fx *f, const char *method, const char *token, const char *body, http_res *r)
{
	char path[256], auth[TOKEN_MAX + 32];
	snprintf(path, sizeof path, "/api/v1/%s", method);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
	const char *with[] = {"Content-Type: application/json", auth, NULL};
	const char *without[] = {"Content-Type: application/json", NULL};
	http_do(f->port, "POST", path, token ? with : without, body, r);
}

/* The status, and the error body's "status" and "field" when given. */
static void expect(const http_res *r, int status, const char *code, const char *field)
{
	if (r->status != status)
		fail_msg("HTTP %d, expected %d: %s", r->status, status, r->raw);
	char want[160];
	if (code != NULL) {
		snprintf(want, sizeof want, "\"status\":\"%s\"", code);
		if (strstr(r->body, want) == NULL)
			fail_msg("no %s in %s", want, r->body);
	}
	if (field != NULL) {
		snprintf(want, sizeof want, "\"field\":\"%s\"", field);
		if (strstr(r->body, want) == NULL)
			fail_msg("no %s in %s", want, r->body);
	}
}

/* ---- fixture ------------------------------------------------------------------ */

/* Runs sql, which may give rows their ids. */
static void db_exec(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, sql);
	e2e_db_ids_given(db);
	e2e_db_close(db);
}

static int64_t db_count(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return n;
}

/* Every row the write RPCs below could touch, all tables together. */
static int64_t rows(const e2e_server *s)
{
	return db_count(s,
	                "SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM audit_log)"
	                " + (SELECT count(*) FROM nodes WHERE done_date IS NOT NULL)"
	                " + (SELECT count(*) FROM projects WHERE name != '中车产业基地' AND id = 1)"
	                " + (SELECT count(*) FROM projects WHERE name != '下应商务楼' AND id = 2)"
	                " + (SELECT count(*) FROM accounts)");
}

/* The value of "key":"..." in a JSON text, copied into out. */
static void json_string_of(const char *json, const char *key, char *out, size_t n)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	const char *p = strstr(json, pat);
	if (p == NULL)
		fail_msg("no %s in %s", key, json);
	p += strlen(pat);
	size_t k = strcspn(p, "\"");
	snprintf(out, n, "%.*s", (int)k, p);
}

static void account(fx *f, const char *role, const char *name, const char *unit, const char *person,
                    char token[TOKEN_MAX])
{
	char body[512];
	snprintf(body, sizeof body, "{\"role\":\"%s\",\"name\":\"%s\"%s%s%s%s%s%s}", role, name,
	         unit ? ",\"unit\":\"" : "", unit ? unit : "", unit ? "\"" : "",
	         person ? ",\"person\":\"" : "", person ? person : "", person ? "\"" : "");
	http_res r;
	api(f, "AccountService/CreateAccount", f->s.admin_token, body, &r);
	expect(&r, 200, NULL, NULL);
	json_string_of(r.body, "token", token, TOKEN_MAX);
	http_free(&r);
}

/* A server with the district and the HTTP gateway, and an account of each
 * role. */
static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		return -1;
	db_exec(&f->s, FIXTURE);
	for (int attempt = 0; attempt < 5; attempt++) {
		f->port = e2e_free_port();
		snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->port);
		const char *extra[] = {"--http", f->url, "--max-message", MAX_MESSAGE, NULL};
		if (e2e_server_start(&f->s, extra) == 0)
			break;
		f->port = 0;
	}
	if (f->port == 0)
		return -1;
	*state = f;
	account(f, "ROLE_LEADER", "张区长", NULL, "L1", f->leader);
	account(f, "ROLE_TOWN", "五乡镇", "WX", NULL, f->town);
	account(f, "ROLE_DEPARTMENT", "区发改局", "FGJ", NULL, f->dept);
	account(f, "ROLE_INSPECTOR", "督查组", NULL, NULL, f->inspector);
	account(f, "ROLE_DISCIPLINE", "纪检组", NULL, NULL, f->discipline);
	account(f, "ROLE_VIEWER", "大屏", NULL, NULL, f->viewer);
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = e2e_server_stop(&f->s);
	e2e_server_cleanup(&f->s);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* ---- tests -------------------------------------------------------------------- */

/* The same handler as the nng side: WhoAmI answers the caller in the
 * canonical JSON mapping, privately. */
static void test_ok(void **state)
{
	fx *f = *state;
	http_res r;
	char v[128];
	api(f, "AccountService/WhoAmI", f->town, "{}", &r);
	expect(&r, 200, NULL, NULL);
	assert_non_null(strstr(r.body, "\"name\":\"五乡镇\""));
	assert_non_null(strstr(r.body, "\"role\":\"ROLE_TOWN\""));
	assert_non_null(strstr(r.body, "\"unitCode\":\"WX\""));
	assert_string_equal(header(&r, "Cache-Control", v, sizeof v), "no-store");
	assert_string_equal(header(&r, "Content-Type", v, sizeof v),
	                    "application/json; charset=utf-8");
	http_free(&r);

	/* The qualified service name works too, and an empty body is {}. */
	api(f, "luoshi.v1.AccountService/WhoAmI", f->viewer, NULL, &r);
	expect(&r, 200, NULL, NULL);
	assert_non_null(strstr(r.body, "\"role\":\"ROLE_VIEWER\""));
	http_free(&r);
}

static void test_bad_input(void **state)
{
	fx *f = *state;
	const char *admin = f->s.admin_token;
	http_res r;
	int64_t before = rows(&f->s);

	/* Malformed JSON, a body that is not an object, an unknown field, a
	 * wrong type, an unknown enum name: 400 naming the field. */
	api(f, "RegistryService/CreateUnit", admin, "{\"code\":\"N1\",", &r);
	expect(&r, 400, "INVALID_ARGUMENT", NULL);
	assert_non_null(strstr(r.body, "not JSON"));
	http_free(&r);
	api(f, "RegistryService/CreateUnit", admin, "[1,2]", &r);
	expect(&r, 400, "INVALID_ARGUMENT", NULL);
	http_free(&r);
	api(f, "RegistryService/CreateUnit", admin,
	    "{\"code\":\"N1\",\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\",\"colour\":\"red\"}",
	    &r);
	expect(&r, 400, "INVALID_ARGUMENT", "colour");
	http_free(&r);
	api(f, "RegistryService/CreateUnit", admin,
	    "{\"code\":17,\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\"}", &r);
	expect(&r, 400, "INVALID_ARGUMENT", "code");
	http_free(&r);
	api(f, "RegistryService/CreateUnit", admin,
	    "{\"code\":\"N1\",\"name\":\"新单位\",\"kind\":\"UNIT_PLANET\"}", &r);
	expect(&r, 400, "INVALID_ARGUMENT", "kind");
	http_free(&r);
	api(f, "RegistryService/CreateUnit", admin,
	    "{\"code\":\"N1\",\"code\":\"N2\",\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\"}",
	    &r);
	expect(&r, 400, "INVALID_ARGUMENT", NULL);
	http_free(&r);
	/* The handler's own validation, unchanged: a bad code. */
	api(f, "RegistryService/CreateUnit", admin,
	    "{\"code\":\"bad code!\",\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\"}", &r);
	expect(&r, 400, "INVALID_ARGUMENT", "code");
	http_free(&r);

	/* A body over the message limit is refused before any handler. */
	size_t big = 20000;
	char *body = malloc(big + 64);
	int n =
	    snprintf(body, big + 64, "{\"code\":\"N1\",\"kind\":\"UNIT_DEPARTMENT\",\"name\":\"");
	memset(body + n, 'x', big - (size_t)n - 2);
	memcpy(body + big - 2, "\"}", 3);
	char auth[TOKEN_MAX + 32];
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", admin);
	const char *hdrs[] = {"Content-Type: application/json", auth, NULL};
	http_recv(http_send(f->port, "POST", "/api/v1/RegistryService/CreateUnit", hdrs, body,
	                    strlen(body)),
	          &r);
	free(body);
	/* nng answers 400 and closes; a reset may beat the answer to us. */
	if (r.status != 0)
		assert_true(r.status == 400 || r.status == 413);
	http_free(&r);

	/* Wrong content type, a bad deadline header. */
	const char *text[] = {"Content-Type: text/plain", auth, NULL};
	http_do(f->port, "POST", "/api/v1/AccountService/WhoAmI", text, "{}", &r);
	expect(&r, 415, "INVALID_ARGUMENT", "Content-Type");
	http_free(&r);
	const char *bad_deadline[] = {"Content-Type: application/json", auth, "X-Deadline-Ms: soon",
	                              NULL};
	http_do(f->port, "POST", "/api/v1/AccountService/WhoAmI", bad_deadline, "{}", &r);
	expect(&r, 400, "INVALID_ARGUMENT", "X-Deadline-Ms");
	http_free(&r);

	/* Unknown methods and services, paths outside the scheme: 404. */
	api(f, "RegistryService/Teleport", admin, "{}", &r);
	expect(&r, 404, "NOT_FOUND", NULL);
	http_free(&r);
	api(f, "WeatherService/Today", admin, "{}", &r);
	expect(&r, 404, "NOT_FOUND", NULL);
	http_free(&r);
	api(f, "RegistryService", admin, "{}", &r);
	expect(&r, 404, "NOT_FOUND", NULL);
	http_free(&r);
	api(f, "RegistryService/CreateUnit/x", admin, "{}", &r);
	expect(&r, 404, "NOT_FOUND", NULL);
	http_free(&r);
	/* Not POST: 405. */
	http_do(f->port, "GET", "/api/v1/AccountService/WhoAmI", hdrs, NULL, &r);
	expect(&r, 405, NULL, NULL);
	char v[64];
	assert_string_equal(header(&r, "Allow", v, sizeof v), "POST");
	http_free(&r);

	assert_int_equal(rows(&f->s), before);
}

static void test_tokens(void **state)
{
	fx *f = *state;
	http_res r;
	char v[64];
	int64_t before = rows(&f->s);
	const char *create = "{\"code\":\"N9\",\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\"}";

	/* No token, even for the health check the nng side answers without. */
	api(f, "RegistryService/CreateUnit", NULL, create, &r);
	expect(&r, 401, "UNAUTHENTICATED", "authorization");
	assert_string_equal(header(&r, "WWW-Authenticate", v, sizeof v), "Bearer");
	http_free(&r);
	api(f, "HealthService/Check", NULL, "{}", &r);
	expect(&r, 401, "UNAUTHENTICATED", NULL);
	http_free(&r);
	api(f, "HealthService/Check", "ls_forged-token-1", "{}", &r);
	expect(&r, 401, "UNAUTHENTICATED", "metadata.authorization");
	http_free(&r);
	api(f, "HealthService/Check", f->viewer, "{}", &r);
	expect(&r, 200, NULL, NULL);
	http_free(&r);
	/* A bad token, a revoked one. */
	api(f, "RegistryService/CreateUnit", "ls_forged-token-2", create, &r);
	expect(&r, 401, "UNAUTHENTICATED", NULL);
	http_free(&r);
	const char *basic[] = {"Content-Type: application/json",
	                       "Authorization: Basic YWRtaW4=", NULL};
	http_do(f->port, "POST", "/api/v1/RegistryService/CreateUnit", basic, create, &r);
	expect(&r, 401, "UNAUTHENTICATED", NULL);
	http_free(&r);
	assert_int_equal(rows(&f->s), before);

	/* The static pages need no token; they carry no data. */
	http_do(f->port, "GET", "/", NULL, NULL, &r);
	expect(&r, 200, NULL, NULL);
	assert_non_null(strstr(r.body, "重点项目落实看板"));
	assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
	http_free(&r);
	http_do(f->port, "GET", "/app.js", NULL, NULL, &r);
	expect(&r, 200, NULL, NULL);
	assert_non_null(strstr(r.body, "sessionStorage"));
	http_free(&r);
	http_do(f->port, "GET", "/luoshi.db", NULL, NULL, &r);
	expect(&r, 404, NULL, NULL);
	http_free(&r);
}

/* Each status as grpc-gateway maps it, from real answers. */
static void test_statuses(void **state)
{
	fx *f = *state;
	const char *admin = f->s.admin_token;
	http_res r;

	api(f, "ProjectService/GetProject", admin, "{\"project\":\"NOPE\"}", &r);
	expect(&r, 404, "NOT_FOUND", NULL);
	http_free(&r);
	api(f, "RegistryService/CreateUnit", admin,
	    "{\"code\":\"WX\",\"name\":\"重复\",\"kind\":\"UNIT_TOWN\"}", &r);
	expect(&r, 409, "ALREADY_EXISTS", NULL);
	http_free(&r);
	api(f, "RegistryService/CreateUnit", f->viewer,
	    "{\"code\":\"N3\",\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\"}", &r);
	expect(&r, 403, "PERMISSION_DENIED", NULL);
	http_free(&r);

	/* Idempotency keys as on the nng side: the same key and body answer
	 * the first answer again (one row); another body is refused (400). */
	char auth[TOKEN_MAX + 32];
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", admin);
	const char *keyed[] = {"Content-Type: application/json", auth, "Idempotency-Key: http-k1",
	                       NULL};
	int64_t units = db_count(&f->s, "SELECT count(*) FROM units");
	const char *n4 = "{\"code\":\"N4\",\"name\":\"新单位四\",\"kind\":\"UNIT_DEPARTMENT\"}";
	http_do(f->port, "POST", "/api/v1/RegistryService/CreateUnit", keyed, n4, &r);
	expect(&r, 200, NULL, NULL);
	http_free(&r);
	http_do(f->port, "POST", "/api/v1/RegistryService/CreateUnit", keyed, n4, &r);
	expect(&r, 200, NULL, NULL);
	assert_non_null(strstr(r.body, "\"code\":\"N4\""));
	http_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM units"), units + 1);
	http_do(f->port, "POST", "/api/v1/RegistryService/CreateUnit", keyed,
	        "{\"code\":\"N5\",\"name\":\"新单位五\",\"kind\":\"UNIT_DEPARTMENT\"}", &r);
	expect(&r, 400, "FAILED_PRECONDITION", "metadata.idempotency-key");
	http_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM units"), units + 1);

	/* A deadline that passes while the call waits for the write lock,
	 * held here: 504, and the call does not run. The wait below only
	 * makes sure more than the deadline's millisecond has passed while the
	 * lock is held; the lock is what holds the call back. */
	e2e_db *db = e2e_db_connect(&f->s);
	e2e_db_begin_write(db);
	const char *deadline[] = {"Content-Type: application/json", auth, "X-Deadline-Ms: 1", NULL};
	int fd = http_send(f->port, "POST", "/api/v1/RegistryService/CreateUnit", deadline,
	                   "{\"code\":\"N6\",\"name\":\"新单位六\",\"kind\":\"UNIT_DEPARTMENT\"}",
	                   strlen("{\"code\":\"N6\",\"name\":\"新单位六\",\"kind\":\"UNIT_"
	                          "DEPARTMENT\"}"));
	uint64_t t0 = e2e_now_ms();
	while (e2e_now_ms() - t0 < 50)
		e2e_poll_pause();
	e2e_db_exec(db, "COMMIT");
	e2e_db_close(db);
	http_recv(fd, &r);
	expect(&r, 504, "DEADLINE_EXCEEDED", NULL);
	http_free(&r);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM units WHERE code = 'N6'"), 0);
}

/* The status of a write by token; when refused, nothing changed. */
static void write_as(fx *f, const char *token, const char *method, const char *body, int status)
{
	int64_t before = rows(&f->s);
	http_res r;
	api(f, method, token, body, &r);
	expect(&r, status, status == 403 ? "PERMISSION_DENIED" : NULL, NULL);
	http_free(&r);
	if (status != 200)
		assert_int_equal(rows(&f->s), before);
}

static void test_role_matrix(void **state)
{
	fx *f = *state;
	const char *admin = f->s.admin_token;
	const char *others[] = {f->leader,    f->town,       f->dept,
	                        f->inspector, f->discipline, f->viewer};

	/* Registry writes: the admin alone. */
	int64_t audit = db_count(&f->s, "SELECT count(*) FROM audit_log");
	for (size_t i = 0; i < 6; i++)
		write_as(f, others[i], "RegistryService/CreateUnit",
		         "{\"code\":\"R1\",\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\"}", 403);
	write_as(f, admin, "RegistryService/CreateUnit",
	         "{\"code\":\"R1\",\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\"}", 200);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM units WHERE code = 'R1'"), 1);
	/* Its audit row, written by the same handler. */
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log"), audit + 1);
	assert_int_equal(db_count(&f->s,
	                          "SELECT count(*) FROM audit_log WHERE method = "
	                          "'/luoshi.v1.RegistryService/CreateUnit' AND account_id = 1 "
	                          "AND entity_id = (SELECT id FROM units WHERE code = 'R1')"),
	                 1);

	for (size_t i = 0; i < 6; i++)
		write_as(f, others[i], "ProjectService/UpdateProject",
		         "{\"project\":\"P1\",\"name\":\"改名\"}", 403);
	write_as(f, admin, "ProjectService/UpdateProject", "{\"project\":\"P1\",\"name\":\"改名\"}",
	         200);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM projects WHERE name = '改名'"), 1);
	db_exec(&f->s, "UPDATE projects SET name = '中车产业基地' WHERE id = 1");

	/* A node done: the admin, the town the project stands in, the
	 * department that owns the node; nobody else. */
	const char *done = "{\"id\":\"1\",\"done\":true,\"doneDate\":\"2026-10-01\"}";
	const char *refused[] = {f->leader, f->inspector, f->discipline, f->viewer};
	for (size_t i = 0; i < 4; i++)
		write_as(f, refused[i], "ScheduleService/SetNodeDone", done, 403);
	const char *allowed[] = {admin, f->town, f->dept};
	for (size_t i = 0; i < 3; i++) {
		write_as(f, allowed[i], "ScheduleService/SetNodeDone", done, 200);
		assert_int_equal(db_count(&f->s, "SELECT count(*) FROM nodes WHERE id = 1 AND "
		                                 "done_date = '2026-10-01'"),
		                 1);
		db_exec(&f->s, "UPDATE nodes SET done_date = NULL WHERE id = 1");
	}
}

/* The reads the dashboard makes, for every role: the same answers as on
 * the nng side (a viewer: aggregates, no project rows). */
static void test_read_matrix(void **state)
{
	fx *f = *state;
	const char *tokens[] = {f->s.admin_token, f->leader,     f->town,  f->dept,
	                        f->inspector,     f->discipline, f->viewer};
	static const struct {
		const char *method, *body;
		int want[7]; /* admin leader town department inspector discipline viewer */
	} reads[] = {
	    {"QueryService/Summary",
	     "{\"filter\":{\"asOf\":\"2026-10-15\"}}",
	     {200, 200, 200, 200, 200, 200, 200}},
	    {"QueryService/Grouped",
	     "{\"by\":\"GROUP_BY_TOWN\"}",
	     {200, 200, 200, 200, 200, 200, 200}},
	    {"QueryService/Lagging", "{}", {200, 200, 200, 200, 200, 200, 403}},
	    {"ExportService/ExportTables", "{}", {200, 200, 200, 200, 200, 200, 403}},
	    {"ProjectService/GetProject",
	     "{\"project\":\"P1\"}",
	     {200, 200, 200, 200, 200, 200, 404}},
	    {"ProgressService/ListUpdates",
	     "{\"project\":\"P1\"}",
	     {200, 200, 200, 200, 200, 200, 404}},
	};
	int64_t before = rows(&f->s);
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		for (size_t k = 0; k < 7; k++) {
			http_res r;
			api(f, reads[i].method, tokens[k], reads[i].body, &r);
			if (r.status != reads[i].want[k])
				fail_msg("%s as role %zu: HTTP %d, expected %d: %s",
				         reads[i].method, k, r.status, reads[i].want[k], r.body);
			http_free(&r);
		}
	}
	assert_int_equal(rows(&f->s), before);
}

/* The town of 五乡镇 reaching for 下应街道's project with its id: refused,
 * nothing written, and a read does not reveal it exists. */
static void test_other_town(void **state)
{
	fx *f = *state;
	http_res r;
	int64_t before = rows(&f->s);
	api(f, "ScheduleService/SetNodeDone", f->town,
	    "{\"id\":\"2\",\"done\":true,\"doneDate\":\"2026-10-01\"}", &r);
	assert_true(r.status == 403 || r.status == 404);
	http_free(&r);
	api(f, "ProjectService/UpdateProject", f->town, "{\"project\":\"P2\",\"name\":\"改名\"}",
	    &r);
	assert_true(r.status == 403 || r.status == 404);
	http_free(&r);
	assert_int_equal(rows(&f->s), before);
	api(f, "ProjectService/GetProject", f->town, "{\"project\":\"P2\"}", &r);
	expect(&r, 404, "NOT_FOUND", NULL);
	http_free(&r);
	api(f, "ProjectService/GetProject", f->town, "{\"project\":\"P1\"}", &r);
	expect(&r, 200, NULL, NULL);
	assert_non_null(strstr(r.body, "\"name\":\"中车产业基地\""));
	http_free(&r);
}

/* Failed logins slow down per token (the dispatcher's table) and overall
 * (the gateway's), while tokens known good go on working. On a server of
 * its own: the count starts at zero, and the block it ends in stays. */
static void test_failed_logins(void **state)
{
	(void)state;
	void *own = NULL;
	assert_int_equal(setup(&own), 0);
	fx *f = own;
	http_res r;
	char v[32];
	api(f, "AccountService/WhoAmI", f->viewer, "{}", &r);
	expect(&r, 200, NULL, NULL);
	http_free(&r);
	for (int i = 0; i < 5; i++) {
		api(f, "AccountService/WhoAmI", "ls_guess-same", "{}", &r);
		expect(&r, 401, "UNAUTHENTICATED", NULL);
		http_free(&r);
	}
	api(f, "AccountService/WhoAmI", "ls_guess-same", "{}", &r);
	expect(&r, 429, "RESOURCE_EXHAUSTED", NULL);
	/* Blocked for the minute from the fifth failure. */
	assert_non_null(header(&r, "Retry-After", v, sizeof v));
	assert_true(atoi(v) >= 55 && atoi(v) <= 60);
	http_free(&r);
	api(f, "AccountService/WhoAmI", "ls_guess-other", "{}", &r);
	expect(&r, 401, "UNAUTHENTICATED", NULL);
	http_free(&r);
	/* 6 failures so far; 44 more with new tokens make the 50 after which
	 * unknown tokens wait. */
	for (int i = 0; i < 44; i++) {
		char tok[32];
		snprintf(tok, sizeof tok, "ls_guess-%d", i);
		api(f, "AccountService/WhoAmI", tok, "{}", &r);
		expect(&r, 401, "UNAUTHENTICATED", NULL);
		http_free(&r);
	}
	api(f, "AccountService/WhoAmI", "ls_guess-next", "{}", &r);
	expect(&r, 429, "RESOURCE_EXHAUSTED", NULL);
	assert_non_null(header(&r, "Retry-After", v, sizeof v));
	assert_true(atoi(v) >= 1 && atoi(v) <= 60);
	http_free(&r);
	api(f, "AccountService/WhoAmI", f->viewer, "{}", &r);
	expect(&r, 200, NULL, NULL);
	http_free(&r);
	api(f, "AccountService/WhoAmI", f->s.admin_token, "{}", &r);
	expect(&r, 200, NULL, NULL);
	http_free(&r);
	assert_int_equal(teardown(&own), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok),          cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_tokens),      cmocka_unit_test(test_statuses),
	    cmocka_unit_test(test_role_matrix), cmocka_unit_test(test_read_matrix),
	    cmocka_unit_test(test_other_town),  cmocka_unit_test(test_failed_logins),
	};
	return cmocka_run_group_tests_name("e2e_http", tests, setup, teardown);
}
