/* End to end: every method of every service against every role, from one
 * table. Each row names a method, a valid request for it (JSON, in the
 * canonical mapping of `luoshi call`) built on the small fixture below, and
 * the status each role must get. A role that gets PERMISSION_DENIED must
 * leave the database as it was; any other answer means the call passed the
 * role and row checks (its own outcome, NOT_FOUND for a row outside the
 * caller's read scope among them, is stated too).
 *
 * The table is compared with the services the build generates from proto/
 * (ls_service_descriptors): a method without a row fails the test, and so
 * does a row without a method. To add a method, add one ROW below: the
 * full method name, the request as JSON (placeholders: $ROLE the caller's
 * role name, $PR the caller's own problem, $UPD $PHOTO $INSP $RECT the
 * fixture's update, photo, inspection and rectification order), and seven
 * letters for admin, leader, town, department, inspector, discipline and
 * viewer, in that order:
 *   o OK   z OK with every list of the answer empty (a viewer's lists)
 *   p PERMISSION_DENIED   n NOT_FOUND   f FAILED_PRECONDITION
 *   i INVALID_ARGUMENT   e ALREADY_EXISTS
 * The roles run in that order, each row after the rows above it, so a
 * row's letters may depend on what earlier calls wrote.
 *
 * The expected allowances come from DESIGN.md's roles and the issues:
 * admin may do everything in its office; a leader reads all but
 * accountability records, logs activities and takes, notes and closes the
 * problems of the projects it leads; a town reads and updates (progress,
 * nodes) the projects standing in it and raises problems; a department
 * reads what is routed to it and updates and resolves its problems, tasks,
 * nodes and rectification orders; inspectors record inspections,
 * rectification orders and accountability; the discipline commission reads
 * all and records accountability; a viewer reads aggregates and disclosed
 * reports only. Where the documents are silent the row says what the
 * server does (the report of issue 8 lists those places).
 *
 * A second test has the town of 五乡镇 call every write method on a project
 * of 下应街道 with forged ids and codes: PERMISSION_DENIED or NOT_FOUND,
 * and nothing written.
 *
 * Both tests run over one of two transports, chosen by the command line:
 * nng (no argument: the client library) or `--http` (the JSON gateway,
 * POST /api/v1/<Service>/<Method> with the request's JSON and the role's
 * token; OK is HTTP 200 and its JSON the answer, any other code is the
 * error body's "code", whose HTTP status and "status" name must agree with
 * it). The fixture, the rows, the letters and the fingerprints are the
 * same: the gateway must refuse exactly what the nng side refuses. The one
 * difference by design, HealthService needing a token over HTTP only, is
 * checked on its own; the table's calls all carry tokens. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "harness.h"
#include "json.h"
#include "luoshi/v1/health.pb-c.h"
#include "rpc.h"

/* ---- the fixture ------------------------------------------------------------------- */

/* Unit 1 is the district office `init` made.
 *
 *  project  town  lead leader  lead unit
 *  WXP      WX    L01          ZJ         the town account's, the leader's
 *  XYP      XY    L02          FG         another town's
 *  ARCH     WX    L01          ZJ         archived by the ArchiveProject row
 *
 * Problems 1..7 stand on WXP, routed to ZJ: problem r+1 belongs to role r
 * (admin 1 … viewer 7), so that each role's writes meet an open problem.
 * Problem 8 stands on XYP, routed to FG. Node 1 and task 1 are WXP's, owned
 * by ZJ; node 2 and task 2 are XYP's, owned by FG. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01T00:00:00+08:00'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01T00:00:00+08:00'),"
    " (4, 'ZJ', '住建局', 'department', 1, '2026-01-01T00:00:00+08:00'),"
    " (5, 'FG', '发改局', 'department', 1, '2026-01-01T00:00:00+08:00'),"
    " (6, 'DC1', '第一督查组', 'inspection_group', 1, '2026-01-01T00:00:00+08:00'),"
    " (7, 'JW', '区纪委', 'discipline', 1, '2026-01-01T00:00:00+08:00'),"
    " (8, 'TMPU', '临时单位', 'department', 1, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO units(id, code, name, kind, parent_id, support_group, created_at) VALUES"
    " (9, 'XT', '综合协调组', 'support_group', 1, 'coordination',"
    "  '2026-01-01T00:00:00+08:00');"
    "INSERT INTO people(id, code, name, title, unit_id, created_at) VALUES"
    " (1, 'L01', '张领导', '副区长', 1, '2026-01-01T00:00:00+08:00'),"
    " (2, 'L02', '李领导', '副区长', 1, '2026-01-01T00:00:00+08:00'),"
    " (3, 'P01', '王工', '科长', 4, '2026-01-01T00:00:00+08:00'),"
    " (4, 'TMPP', '临时人员', '科员', 1, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, planned_start, planned_finish,"
    " land_clearance, fast_track, created_at) VALUES"
    " (1, 'WXP', '五乡产业园', 'district', 'industrial', 'new', 1, 4, 2, 50000,"
    "  '2026-01-01', '2027-12-31', 1, 1, '2026-01-01T00:00:00+08:00'),"
    " (2, 'XYP', '下应健康中心', 'district', 'livelihood', 'new', 2, 5, 3, 30000,"
    "  '2026-01-01', '2027-12-31', 1, 1, '2026-01-01T00:00:00+08:00'),"
    " (3, 'ARCH', '五乡旧项目', 'town', 'livelihood', 'continuing', 1, 4, 2, 100,"
    "  '2025-01-01', '2026-12-31', 0, 0, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO project_leaders(project_id, person_id, since) VALUES"
    " (1, 1, '2026-01-01'), (2, 2, '2026-01-01'), (3, 1, '2025-01-01');"
    "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) VALUES"
    " (1, 1, '主体封顶', '2026-12-15', 4, '2026-01-01T00:00:00+08:00'),"
    " (2, 2, '基础完工', '2026-12-15', 5, '2026-01-01T00:00:00+08:00');"
    "INSERT INTO tasks(id, project_id, description, unit_id, person_id, due_date, created_at)"
    " VALUES (1, 1, '办理施工许可', 4, 3, '2026-12-20', '2026-01-01T00:00:00+08:00'),"
    " (2, 2, '完成环评', 5, NULL, '2026-12-20', '2026-01-01T00:00:00+08:00');"
    "INSERT INTO problems(id, project_id, title, grp, routed_unit_id, office_id, raised_at,"
    " raised_on) VALUES"
    " (1, 1, '问题一', 'coordination', 4, 1, '2026-06-01T09:00:00+08:00', '2026-06-01'),"
    " (2, 1, '问题二', 'coordination', 4, 1, '2026-06-01T09:00:00+08:00', '2026-06-01'),"
    " (3, 1, '问题三', 'coordination', 4, 1, '2026-06-01T09:00:00+08:00', '2026-06-01'),"
    " (4, 1, '问题四', 'coordination', 4, 1, '2026-06-01T09:00:00+08:00', '2026-06-01'),"
    " (5, 1, '问题五', 'coordination', 4, 1, '2026-06-01T09:00:00+08:00', '2026-06-01'),"
    " (6, 1, '问题六', 'coordination', 4, 1, '2026-06-01T09:00:00+08:00', '2026-06-01'),"
    " (7, 1, '问题七', 'coordination', 4, 1, '2026-06-01T09:00:00+08:00', '2026-06-01'),"
    " (8, 2, '问题八', 'approval', 5, 1, '2026-06-01T09:00:00+08:00', '2026-06-01');";

enum role { R_ADMIN, R_LEADER, R_TOWN, R_DEPT, R_INSPECTOR, R_DISCIPLINE, R_VIEWER, R_COUNT };

/* The accounts: one per role, and two more: another town's (for the
 * fixture's writes on XYP) and one the RevokeAccount row revokes. */
enum { A_TOWN_XY = R_COUNT, A_SPARE, A_COUNT };

static const struct {
	const char *role, *token, *name;
	int unit, person;
} accounts[A_COUNT] = {
    [R_ADMIN] = {"admin", NULL, "admin", 1, 0},
    [R_LEADER] = {"leader", "ls_roles_leader", "张领导", 1, 1},
    [R_TOWN] = {"town", "ls_roles_town_wx", "五乡镇", 2, 0},
    [R_DEPT] = {"department", "ls_roles_dept_zj", "住建局", 4, 0},
    [R_INSPECTOR] = {"inspector", "ls_roles_inspector", "第一督查组", 6, 0},
    [R_DISCIPLINE] = {"discipline", "ls_roles_discipline", "区纪委", 7, 0},
    [R_VIEWER] = {"viewer", "ls_roles_viewer", "viewer", 1, 0},
    [A_TOWN_XY] = {"town", "ls_roles_town_xy", "下应街道", 3, 0},
    [A_SPARE] = {"viewer", "ls_roles_spare", "spare", 1, 0},
};

/* Account ids: `init` made 1 (admin); the others follow in order. */
#define ACCOUNT_ID(a) ((a) + 1)

typedef struct fixture {
	e2e_server s;
	luoshi_client *c[A_COUNT];
	/* Ids the fixture's RPCs made, as decimal text for the placeholders. */
	char upd[24], photo[24], insp[24], rect[24], x_upd[24], x_insp[24], x_rect[24];
	char o_rect[24]; /* an order the district office itself must carry out */
	int http_port;   /* the gateway's, when the calls go over HTTP */
} fixture;

/* Set by `--http` on the command line: every call goes through the JSON
 * gateway instead of nng. */
static bool over_http;

static void load_sql(const e2e_server *s)
{
	e2e_db *db = e2e_db_connect(s);
	e2e_db_exec(db, "BEGIN");
	e2e_db_exec(db, FIXTURE);
	srv_q *q = e2e_db_prepare(db, "INSERT INTO accounts(id, name, role, unit_id, "
	                              "token_hash, created_at, created_by, person_id) "
	                              "VALUES (?1, ?2, ?3, ?4, ?5, "
	                              "'2026-01-01T00:00:00+08:00', 1, ?6)");
	for (int a = R_ADMIN + 1; a < A_COUNT; a++) {
		uint8_t hash[32];
		const char *t = accounts[a].token;
		crypto_generichash(hash, sizeof hash, (const uint8_t *)t, strlen(t), NULL, 0);
		srv_bind_int64(q, 1, ACCOUNT_ID(a));
		srv_bind_text(q, 2, accounts[a].name);
		srv_bind_text(q, 3, accounts[a].role);
		srv_bind_int64(q, 4, accounts[a].unit);
		srv_bind_blob(q, 5, hash, sizeof hash);
		if (accounts[a].person > 0)
			srv_bind_int64(q, 6, accounts[a].person);
		else
			srv_bind_null(q, 6);
		e2e_db_step(q, SRV_DONE);
		e2e_db_reset(q);
	}
	e2e_db_finalize(q);
	e2e_db_ids_given(db);
	e2e_db_exec(db, "COMMIT");
	e2e_db_close(db);
}

/* ---- calls from JSON ---------------------------------------------------------------- */

/* Replaces every "$NAME" of vars in tmpl; the result is malloc'd. */
static char *expand(const char *tmpl, const char *const vars[][2], size_t n_vars)
{
	size_t cap = strlen(tmpl) * 2 + 256, len = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	for (const char *p = tmpl; *p != '\0';) {
		const char *val = NULL;
		size_t klen = 0;
		if (*p == '$') {
			for (size_t i = 0; i < n_vars && val == NULL; i++) {
				size_t k = strlen(vars[i][0]);
				/* The longest names first in vars, so that no name
				 * is a prefix of a later one. */
				if (strncmp(p + 1, vars[i][0], k) == 0) {
					val = vars[i][1];
					klen = k + 1;
				}
			}
			if (val == NULL)
				fail_msg("unknown placeholder in %s", tmpl);
		}
		const char *add = val != NULL ? val : p;
		size_t alen = val != NULL ? strlen(val) : 1;
		if (len + alen + 1 > cap) {
			cap = (len + alen + 1) * 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		memcpy(out + len, add, alen);
		len += alen;
		p += val != NULL ? klen : 1;
	}
	out[len] = '\0';
	return out;
}

/* The token account a calls with. */
static const char *token_of(const fixture *f, int a)
{
	return a == R_ADMIN ? f->s.admin_token : accounts[a].token;
}

/* ---- the same over HTTP --------------------------------------------------------------- */

/* The HTTP status the gateway must give with code (grpc-gateway's
 * mapping, for the codes the table expects). */
static int http_status_of(int code)
{
	switch (code) {
	case LS_OK:
		return 200;
	case LS_INVALID_ARGUMENT:
	case LS_FAILED_PRECONDITION:
		return 400;
	case LS_UNAUTHENTICATED:
		return 401;
	case LS_PERMISSION_DENIED:
		return 403;
	case LS_NOT_FOUND:
		return 404;
	case LS_ALREADY_EXISTS:
		return 409;
	default:
		return -1;
	}
}

/* POSTs body to path on the gateway (one connection, closed after the
 * answer), with token unless NULL. Returns the HTTP status (0: no
 * answer), and the answer's body, malloc'd, in *out. */
static int http_post(int port, const char *path, const char *token, const char *body, char **out)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	char *req = NULL;
	size_t req_len = 0;
	FILE *m = open_memstream(&req, &req_len);
	assert_non_null(m);
	fprintf(m,
	        "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	        "Content-Type: application/json\r\nContent-Length: %zu\r\n",
	        path, strlen(body));
	if (token != NULL)
		fprintf(m, "Authorization: Bearer %s\r\n", token);
	fprintf(m, "\r\n%s", body);
	fclose(m);
	for (size_t off = 0; off < req_len;) {
		ssize_t w = send(fd, req + off, req_len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(req);
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		if (len + 4096 > cap) {
			buf = realloc(buf, cap *= 2);
			assert_non_null(buf);
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 30000 * e2e_timeout_scale()) != 1)
			break;
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	int status = strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : 0;
	const char *end = strstr(buf, "\r\n\r\n");
	*out = strdup(end != NULL ? end + 4 : "");
	assert_non_null(*out);
	free(buf);
	return status;
}

/* Calls method through the gateway with token (NULL: none); the code and
 * answer as call_json gives them. An answer that does not follow the gateway's
 * rules (an error body without its code, a code whose HTTP status or name
 * disagrees) fails the test. */
static int call_http(const fixture *f, const char *token, const ls_method *m, const char *method,
                     const char *json, ProtobufCMessage **resp, ls_status *st)
{
	static const char PKG[] = "/luoshi.v1.";
	char path[256];
	assert_true(strncmp(method, PKG, strlen(PKG)) == 0);
	snprintf(path, sizeof path, "/api/v1/%s", method + strlen(PKG));
	char *body = NULL;
	int status = http_post(f->http_port, path, token, json, &body);
	ls_status_clear(st);
	json_error_t jerr;
	json_t *j = json_loads(body, 0, &jerr);
	if (status == 0 || j == NULL || !json_is_object(j))
		fail_msg("%s: HTTP %d, not a JSON object: %s", path, status, body);
	int code;
	if (status == 200) {
		code = LS_OK;
		ProtobufCMessage *out = NULL;
		if (ls_json_to_message(m->method->output, j, &out, st) != LS_OK)
			fail_msg("%s: the answer does not map back: %s %s: %s", path, st->field,
			         st->message, body);
		if (resp != NULL)
			*resp = out;
		else
			protobuf_c_message_free_unpacked(out, NULL);
	} else {
		json_t *c = json_object_get(j, "code");
		const char *name = json_string_value(json_object_get(j, "status"));
		const char *msg = json_string_value(json_object_get(j, "message"));
		const char *field = json_string_value(json_object_get(j, "field"));
		if (!json_is_integer(c) || name == NULL)
			fail_msg("%s: HTTP %d without code and status: %s", path, status, body);
		code = (int)json_integer_value(c);
		if (code == LS_OK || strcmp(name, ls_code_name(code)) != 0 ||
		    (http_status_of(code) > 0 && http_status_of(code) != status))
			fail_msg("%s: HTTP %d with code %d (%s): %s", path, status, code, name,
			         body);
		ls_status_field(st, code, field != NULL ? field : "", "%s", msg != NULL ? msg : "");
	}
	json_decref(j);
	free(body);
	return code;
}

/* Calls method with the request json as account a, over the test's
 * transport; returns the code, and the response (may be NULL) in *resp
 * when resp is not NULL. */
static int call_json(const fixture *f, int a, const char *method, const char *json,
                     ProtobufCMessage **resp, ls_status *st)
{
	ls_method m;
	if (ls_method_find(method, &m) != LS_OK)
		fail_msg("%s: no such method in the generated descriptors", method);
	if (resp != NULL)
		*resp = NULL;
	json_error_t jerr;
	json_t *j = json_loads(json, 0, &jerr);
	if (j == NULL)
		fail_msg("%s: bad JSON in the table: %s: %s", method, jerr.text, json);
	ProtobufCMessage *req = NULL;
	ls_status jst;
	ls_status_clear(&jst);
	if (ls_json_to_message(m.method->input, j, &req, &jst) != LS_OK)
		fail_msg("%s: the table's request does not map: %s %s", method, jst.field,
		         jst.message);
	json_decref(j);
	if (over_http) {
		/* The text as the table has it: the gateway maps it itself. */
		protobuf_c_message_free_unpacked(req, NULL);
		return call_http(f, token_of(f, a), &m, method, json, resp, st);
	}
	ProtobufCMessage *out = NULL;
	int rc = e2e_call(f->c[a], method, req, NULL, &out, st);
	protobuf_c_message_free_unpacked(req, NULL);
	if (resp != NULL)
		*resp = out;
	else if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
	return rc;
}

/* Calls and requires OK: the fixture's own writes. */
static void must(const fixture *f, int a, const char *method, const char *json)
{
	ls_status st;
	int rc = call_json(f, a, method, json, NULL, &st);
	if (rc != LS_OK)
		fail_msg("fixture %s: %s %s %s", method, ls_code_name(rc), st.field, st.message);
}

/* ---- the database's fingerprint ---------------------------------------------------- */

/* The sum of the row counts of every table plus the last audit row's id:
 * a denied call that wrote anything, or appended to the audit log, moves
 * it. One statement, so that it reads one snapshot of the whole database. */
static int64_t fingerprint(const e2e_server *s)
{
	e2e_db *db = e2e_db_connect(s);
	srv_q *q = e2e_db_tables(db);
	char sql[4096] = "SELECT 0";
	size_t len = strlen(sql);
	while (srv_step(q) == SRV_ROW) {
		len += (size_t)snprintf(sql + len, sizeof sql - len,
		                        " + (SELECT count(*) FROM \"%s\")", srv_col_text(q, 0));
		assert_true(len < sizeof sql);
	}
	e2e_db_finalize(q);
	snprintf(sql + len, sizeof sql - len, " + (SELECT coalesce(max(id), 0) FROM audit_log)");
	int64_t sum = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return sum;
}

static void id_text(const e2e_server *s, const char *sql, char out[24])
{
	e2e_db *db = e2e_db_connect(s);
	int64_t id = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	assert_true(id > 0);
	snprintf(out, 24, "%" PRId64, id);
}

/* ---- set-up ------------------------------------------------------------------------- */

/* A PNG of one pixel, for the fixture's photo. */
#define PNG_B64                                                                                   \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5" \
	"ErkJggg=="

#define M(svc, name) "/luoshi.v1." svc "/" name

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (f == NULL)
		return -1;
	if (e2e_server_init(&f->s) != 0)
		goto fail;
	load_sql(&f->s);
	char backups[E2E_PATH_MAX + 16];
	snprintf(backups, sizeof backups, "%s/backups", f->s.dir);
	/* No rate limit (several hundred calls), and the scheduler runs once,
	 * at start, before the fingerprints are taken. */
	char url[64] = "";
	const char *extra[] = {"--rate-limit",
	                       "0",
	                       "--scheduler-interval-ms",
	                       "86400000",
	                       "--backup-dir",
	                       backups,
	                       "--http",
	                       url,
	                       NULL};
	if (!over_http) {
		extra[6] = NULL;
		if (e2e_server_start(&f->s, extra) != 0)
			goto fail;
	} else {
		/* The gateway's port is free when asked for, but another
		 * process may take it first: a few tries. */
		for (int attempt = 0; attempt < 5 && f->http_port == 0; attempt++) {
			f->http_port = e2e_free_port();
			snprintf(url, sizeof url, "http://127.0.0.1:%d", f->http_port);
			if (e2e_server_start(&f->s, extra) != 0)
				f->http_port = 0;
		}
		if (f->http_port == 0)
			goto fail;
	}
	for (int a = 0; a < A_COUNT; a++)
		f->c[a] = e2e_client(f->s.tcp_url,
		                     a == R_ADMIN ? f->s.admin_token : accounts[a].token, 30000);

	/* The rows the RPCs make: an update with a photo on each project, an
	 * inspection with an order on each, a reconciled month, a notice. */
	must(f, R_ADMIN, M("ProgressService", "SubmitUpdate"),
	     "{\"project\":\"WXP\",\"week\":\"2026-W46\",\"invested\":\"100\",\"percent\":20,"
	     "\"progress\":\"地下室完工\",\"photos\":[{\"name\":\"a.png\",\"data\":\"" PNG_B64
	     "\"}]}");
	must(f, A_TOWN_XY, M("ProgressService", "SubmitUpdate"),
	     "{\"project\":\"XYP\",\"week\":\"2026-W46\",\"invested\":\"50\",\"percent\":10,"
	     "\"progress\":\"桩基施工\"}");
	must(f, R_INSPECTOR, M("SupervisionService", "RecordInspection"),
	     "{\"group\":\"DC1\",\"project\":\"WXP\",\"date\":\"2026-11-02\","
	     "\"layer\":\"LAYER_LEADING_GROUP\",\"findings\":\"进度偏慢\",\"slow\":true}");
	must(f, R_INSPECTOR, M("SupervisionService", "RecordInspection"),
	     "{\"group\":\"DC1\",\"project\":\"XYP\",\"date\":\"2026-11-02\","
	     "\"layer\":\"LAYER_LEADING_GROUP\",\"findings\":\"正常\"}");
	id_text(&f->s, "SELECT id FROM updates WHERE project_id = 1", f->upd);
	id_text(&f->s, "SELECT id FROM photos", f->photo);
	id_text(&f->s, "SELECT id FROM updates WHERE project_id = 2", f->x_upd);
	id_text(&f->s, "SELECT id FROM inspections WHERE project_id = 1", f->insp);
	id_text(&f->s, "SELECT id FROM inspections WHERE project_id = 2", f->x_insp);
	char json[256];
	snprintf(json, sizeof json,
	         "{\"inspection\":\"%s\",\"owner_unit\":\"ZJ\",\"due_date\":\"2026-12-31\","
	         "\"text\":\"加快进度\"}",
	         f->insp);
	must(f, R_INSPECTOR, M("SupervisionService", "OrderRectification"), json);
	snprintf(json, sizeof json,
	         "{\"inspection\":\"%s\",\"owner_unit\":\"XY\",\"due_date\":\"2026-12-31\","
	         "\"text\":\"补齐资料\"}",
	         f->x_insp);
	must(f, R_INSPECTOR, M("SupervisionService", "OrderRectification"), json);
	id_text(&f->s,
	        "SELECT r.id FROM rectifications r JOIN inspections i"
	        " ON i.id = r.inspection_id WHERE i.project_id = 1",
	        f->rect);
	id_text(&f->s,
	        "SELECT r.id FROM rectifications r JOIN inspections i"
	        " ON i.id = r.inspection_id WHERE i.project_id = 2",
	        f->x_rect);
	snprintf(json, sizeof json,
	         "{\"inspection\":\"%s\",\"owner_unit\":\"office\",\"due_date\":\"2026-12-31\","
	         "\"text\":\"办公室督办\"}",
	         f->insp);
	must(f, R_INSPECTOR, M("SupervisionService", "OrderRectification"), json);
	id_text(&f->s, "SELECT id FROM rectifications WHERE owner_unit_id = 1", f->o_rect);
	must(f, R_ADMIN, M("QueryService", "Reconcile"), "{\"month\":\"2026-10\"}");
	must(f, R_ADMIN, M("ReminderService", "SendNotice"),
	     "{\"to\":\"all\",\"text\":\"周五前报送进度\"}");
	*state = f;
	return 0;
fail:
	e2e_server_cleanup(&f->s);
	free(f);
	return -1;
}

static int teardown(void **state)
{
	fixture *f = *state;
	if (f == NULL)
		return 0;
	for (int a = 0; a < A_COUNT; a++)
		luoshi_client_close(f->c[a]);
	/* A server that does not stop cleanly fails the test that used it. */
	int rc = f->s.pid > 0 && e2e_server_stop(&f->s) != 0 ? -1 : 0;
	e2e_server_cleanup(&f->s);
	free(f);
	*state = NULL;
	return rc;
}

/* ---- the table ------------------------------------------------------------------------ */

typedef struct row {
	const char *method;
	const char *json;
	const char *want; /* one letter per role, as the header says */
} row;

#define ROW(svc, name, json, want)       \
	{                                \
		M(svc, name), json, want \
	}

/* The letters, in order: admin, leader, town, department, inspector,
 * discipline, viewer ("oppppoo": admin, inspector and discipline). */
static const row ROWS[] = {
    /* ---- AccountService: accounts are the admin's; everyone knows itself. */
    ROW("AccountService", "CreateAccount", "{\"role\":\"ROLE_VIEWER\",\"name\":\"new $ROLE\"}",
        "opppppp"),
    ROW("AccountService", "ListAccounts", "{}", "opppppp"),
    ROW("AccountService", "RevokeAccount", "{\"id\":\"9\"}", "opppppp"),
    ROW("AccountService", "WhoAmI", "{}", "ooooooo"),

    /* ---- AdminService: the server itself, admin only. */
    ROW("AdminService", "Backup", "{\"file\":\"roles-$ROLE.db\"}", "opppppp"),
    ROW("AdminService", "GetBackup", "{\"id\":\"1\"}", "opppppp"),

    /* ---- ExportService: the five tables are project rows: not a viewer's. */
    ROW("ExportService", "ExportTables", "{\"as_of\":\"2026-11-20\"}", "oooooop"),

    /* ---- HealthService: anyone. */
    ROW("HealthService", "Check", "{}", "ooooooo"),

    /* ---- ImportService: the registry is the admin's. */
    ROW("ImportService", "ImportRegistry",
        "{\"dry_run\":true,\"rows\":[{\"unit\":{\"code\":\"IMPU\",\"name\":\"导入单位\","
        "\"kind\":\"UNIT_DEPARTMENT\"}}]}",
        "opppppp"),

    /* ---- ProblemService (problem $PR is routed to ZJ, on WXP, which L01
     * leads). Raising: the office, the town the project stands in, and
     * (where the documents are silent) its lead leader and its lead unit;
     * assigning: the office, the lead leader taking it as his case, and
     * the unit it is routed to passing it on; notes, escalation and
     * closing: the office, the lead leader, the unit routed to; reopening
     * a closed problem: the office. A viewer's list is empty. */
    ROW("ProblemService", "RaiseProblem",
        "{\"project\":\"WXP\",\"title\":\"新问题 $ROLE\",\"group\":\"GROUP_COORDINATION\"}",
        "ooooppp"),
    ROW("ProblemService", "AssignProblem", "{\"id\":\"$PR\",\"person\":\"L01\"}", "oopoppp"),
    ROW("ProblemService", "AddProblemNote", "{\"id\":\"$PR\",\"text\":\"已协调\"}", "oopoppp"),
    ROW("ProblemService", "EscalateProblem", "{\"id\":\"$PR\",\"reason\":\"久拖未决\"}", "oopoppp"),
    ROW("ProblemService", "ResolveProblem", "{\"id\":\"$PR\",\"resolution\":\"已解决\"}",
        "oopoppp"),
    ROW("ProblemService", "ReopenProblem", "{\"id\":\"$PR\",\"reason\":\"复发\"}", "opppppp"),
    ROW("ProblemService", "ListProblems", "{}", "ooooooz"),
    ROW("ProblemService", "GetProblem", "{\"id\":\"1\"}", "oooooon"),
    ROW("ProblemService", "ProblemStats", "{}", "ooooooo"),

    /* ---- ProgressService: the town of the project reports; the office may. */
    ROW("ProgressService", "SubmitUpdate",
        "{\"project\":\"WXP\",\"week\":\"2026-W47\",\"invested\":\"10\",\"percent\":25,"
        "\"progress\":\"主体施工 $ROLE\"}",
        "opopppp"),
    ROW("ProgressService", "SubmitUpdates",
        "{\"updates\":[{\"project\":\"WXP\",\"week\":\"2026-W48\",\"invested\":\"10\","
        "\"percent\":30,\"progress\":\"主体施工 $ROLE\"}]}",
        "opopppp"),
    ROW("ProgressService", "ListUpdates", "{\"project\":\"WXP\"}", "oooooon"),
    ROW("ProgressService", "GetUpdate", "{\"id\":\"$UPD\"}", "oooooon"),
    ROW("ProgressService", "GetPhoto", "{\"id\":\"$PHOTO\"}", "oooooon"),
    ROW("ProgressService", "GetProjectStatus", "{\"project\":\"WXP\"}", "oooooon"),

    /* ---- ProjectService: registry writes are the admin's. */
    ROW("ProjectService", "CreateProject",
        "{\"code\":\"NEWP\",\"name\":\"新项目\",\"level\":\"LEVEL_TOWN\","
        "\"category\":\"CATEGORY_LIVELIHOOD\",\"stage\":\"STAGE_NEW\",\"lead_leader\":\"L01\","
        "\"lead_unit\":\"ZJ\",\"town\":\"WX\",\"total_investment\":\"500\","
        "\"planned_start\":\"2026-03-01\",\"planned_finish\":\"2026-12-31\"}",
        "opppppp"),
    ROW("ProjectService", "UpdateProject", "{\"project\":\"WXP\",\"total_investment\":\"60000\"}",
        "opppppp"),
    ROW("ProjectService", "GetProject", "{\"project\":\"WXP\"}", "oooooon"),
    ROW("ProjectService", "ListProjects", "{}", "ooooooz"),
    ROW("ProjectService", "ArchiveProject", "{\"project\":\"ARCH\"}", "opppppp"),
    ROW("ProjectService", "SetPlan",
        "{\"project\":\"WXP\",\"year\":2026,\"month\":12,\"invested\":\"800\"}", "opppppp"),
    ROW("ProjectService", "ListPlans", "{\"project\":\"WXP\"}", "oooooon"),

    /* ---- QueryService: aggregates for everyone; reconciliation is the
     * office's; disclosed reports are read by viewers too. */
    ROW("QueryService", "Summary", "{\"filter\":{\"as_of\":\"2026-11-20\"}}", "ooooooo"),
    ROW("QueryService", "Grouped",
        "{\"filter\":{\"as_of\":\"2026-11-20\"},\"by\":\"GROUP_BY_TOWN\"}", "ooooooo"),
    ROW("QueryService", "Lagging", "{\"filter\":{\"as_of\":\"2026-11-20\"}}", "oooooop"),
    ROW("QueryService", "Compliance", "{\"week\":\"2026-W46\"}", "oooooop"),
    ROW("QueryService", "Reconcile", "{\"month\":\"2026-10\"}", "opppppp"),
    ROW("QueryService", "ListSnapshots", "{}", "ooooooo"),
    ROW("QueryService", "GetSnapshot", "{\"month\":\"2026-10\"}", "oooooop"),
    ROW("QueryService", "Disclose", "{\"quarter\":\"2026-Q4\"}", "ooooooo"),

    /* ---- ReflectionService: anyone. */
    ROW("ReflectionService", "ListServices", "{}", "ooooooo"),
    ROW("ReflectionService", "GetServerInfo", "{}", "ooooooo"),

    /* ---- RegistryService: only admin changes the registry; units and
     * people are not project rows. */
    ROW("RegistryService", "CreateUnit",
        "{\"code\":\"NEWU\",\"name\":\"新单位\",\"kind\":\"UNIT_DEPARTMENT\"}", "opppppp"),
    ROW("RegistryService", "UpdateUnit", "{\"unit\":\"ZJ\",\"name\":\"住房和城乡建设局\"}",
        "opppppp"),
    ROW("RegistryService", "GetUnit", "{\"unit\":\"WX\"}", "ooooooo"),
    ROW("RegistryService", "ListUnits", "{}", "ooooooo"),
    ROW("RegistryService", "DeactivateUnit", "{\"unit\":\"TMPU\"}", "opppppp"),
    ROW("RegistryService", "CreatePerson",
        "{\"code\":\"NEWPER\",\"name\":\"新人\",\"title\":\"科员\",\"unit\":\"ZJ\"}", "opppppp"),
    ROW("RegistryService", "UpdatePerson", "{\"person\":\"P01\",\"phone\":\"13800000000\"}",
        "opppppp"),
    ROW("RegistryService", "GetPerson", "{\"person\":\"L01\"}", "ooooooo"),
    ROW("RegistryService", "ListPeople", "{}", "ooooooo"),
    ROW("RegistryService", "DeactivatePerson", "{\"person\":\"TMPP\"}", "opppppp"),
    ROW("RegistryService", "ListAudit", "{}", "opppoop"),

    /* ---- ReminderService: notices are the admin's; every account reads
     * and acknowledges its own inboxes. */
    ROW("ReminderService", "SendNotice", "{\"to\":\"unit:WX\",\"text\":\"请核对台账\"}", "opppppp"),
    ROW("ReminderService", "ListInbox", "{}", "ooooooo"),
    ROW("ReminderService", "Ack", "{\"all\":true}", "ooooooo"),
    ROW("ReminderService", "GetCursor", "{}", "ooooooo"),

    /* ---- ScheduleService: nodes and tasks are registry (admin); a node is
     * marked done by the office, the project's town or the unit that owns
     * it; a task by the office or its unit. */
    ROW("ScheduleService", "CreateNode",
        "{\"project\":\"WXP\",\"name\":\"竣工验收\",\"due_date\":\"2027-11-30\"}", "opppppp"),
    ROW("ScheduleService", "UpdateNode", "{\"id\":\"1\",\"due_date\":\"2026-12-20\"}", "opppppp"),
    ROW("ScheduleService", "SetNodeDone",
        "{\"id\":\"1\",\"done\":true,\"done_date\":\"2026-11-20\"}", "opooppp"),
    ROW("ScheduleService", "ListNodes", "{\"project\":\"WXP\"}", "oooooon"),
    ROW("ScheduleService", "PlanNodes",
        "{\"project\":\"WXP\",\"finish_date\":\"2027-12-31\","
        "\"steps\":[{\"name\":\"设备安装\",\"days_before\":60}]}",
        "opppppp"),
    ROW("ScheduleService", "CreateTask",
        "{\"project\":\"WXP\",\"description\":\"土地报批\",\"unit\":\"ZJ\","
        "\"due_date\":\"2026-12-31\"}",
        "opppppp"),
    ROW("ScheduleService", "UpdateTask", "{\"id\":\"1\",\"status\":\"TASK_DONE\"}", "oppoppp"),
    ROW("ScheduleService", "ListTasks", "{\"project\":\"WXP\"}", "oooooon"),
    ROW("ScheduleService", "GetAssignments", "{\"as_of\":\"2026-11-20\"}", "ooooooo"),

    /* ---- SupervisionService. */
    ROW("SupervisionService", "LogActivity",
        "{\"leader\":\"L01\",\"project\":\"WXP\",\"kind\":\"WEEKLY_REVIEW\","
        "\"date\":\"2026-11-18\",\"notes\":\"专题了解 $ROLE\"}",
        "ooppppp"),
    ROW("SupervisionService", "ListActivities", "{}", "ooooooz"),
    ROW("SupervisionService", "Cadence", "{\"month\":\"2026-11\",\"as_of\":\"2026-11-20\"}",
        "ooooooz"),
    ROW("SupervisionService", "RecordInspection",
        "{\"group\":\"DC1\",\"project\":\"WXP\",\"date\":\"2026-11-16\","
        "\"layer\":\"LAYER_LEAD_LEADER\",\"findings\":\"复查 $ROLE\"}",
        "ppppoop"),
    ROW("SupervisionService", "ListInspections", "{}", "ooooooz"),
    ROW("SupervisionService", "OrderRectification",
        "{\"inspection\":\"$INSP\",\"owner_unit\":\"ZJ\",\"due_date\":\"2026-12-31\","
        "\"text\":\"整改 $ROLE\"}",
        "ppppoop"),
    ROW("SupervisionService", "UpdateRectification",
        "{\"id\":\"$RECT\",\"status\":\"RECTIFICATION_DONE\",\"done_date\":\"2026-11-25\"}",
        "oppoppp"),
    ROW("SupervisionService", "ListRectifications", "{}", "ooooooz"),
    ROW("SupervisionService", "RecordAccountability",
        "{\"kind\":\"WARNING_TALK\",\"person\":\"P01\",\"project\":\"WXP\","
        "\"inspection\":\"$INSP\",\"date\":\"2026-11-21\",\"text\":\"约谈 $ROLE\"}",
        "ppppoop"),
    ROW("SupervisionService", "ListAccountability", "{}", "opppoop"),
    ROW("SupervisionService", "SupervisionSummary", "{\"as_of\":\"2026-11-20\"}", "ooooooo"),
    ROW("SupervisionService", "SetApproval",
        "{\"project\":\"WXP\",\"item\":\"施工许可 $ROLE\",\"department\":\"ZJ\","
        "\"submitted\":\"2026-10-08\",\"visits\":1}",
        "oppoppp"),
    ROW("SupervisionService", "ListApprovals", "{}", "ooooooz"),
    ROW("SupervisionService", "ApprovalStats", "{\"as_of\":\"2026-11-20\"}", "ooooooo"),
    ROW("SupervisionService", "SetClearance",
        "{\"project\":\"WXP\",\"month\":\"2026-11\",\"target_m2\":\"10000\","
        "\"cleared_m2\":\"4000\"}",
        "opppppp"),
    ROW("SupervisionService", "ListClearance", "{}", "ooooooz"),
    ROW("SupervisionService", "ClearanceStats", "{\"to\":\"2026-11\"}", "ooooooo"),
    ROW("SupervisionService", "AddFunding",
        "{\"source\":\"国家开发银行\",\"kind\":\"FUNDING_LOAN\",\"project\":\"WXP\","
        "\"amount\":\"1000\",\"signed\":\"2026-11-01\",\"term_years\":5}",
        "opppppp"),
    ROW("SupervisionService", "ListFunding", "{}", "ooooooz"),
    ROW("SupervisionService", "FundingStats", "{\"as_of\":\"2026-11-20\"}", "ooooooo"),

    /* ---- WebhookService: admin only, within its scope. Tests and
     * deliveries are left out (ids that do not exist): their attempts run
     * in the background and would move the fingerprint. */
    ROW("WebhookService", "AddWebhook",
        "{\"unit\":\"XT\",\"kind\":\"WEBHOOK_KIND_GENERIC\","
        "\"url\":\"http://127.0.0.1:9/$ROLE\"}",
        "opppppp"),
    ROW("WebhookService", "ListWebhooks", "{}", "opppppp"),
    ROW("WebhookService", "TestWebhook", "{\"id\":\"999\"}", "npppppp"),
    ROW("WebhookService", "GetDelivery", "{\"id\":\"999\"}", "npppppp"),
    ROW("WebhookService", "ListFailures", "{}", "opppppp"),
    ROW("WebhookService", "RemoveWebhook", "{\"id\":\"1\"}", "opppppp"),
};

#define N_ROWS (sizeof ROWS / sizeof ROWS[0])

static int code_of(char letter)
{
	switch (letter) {
	case 'o':
	case 'z':
		return LS_OK;
	case 'p':
		return LS_PERMISSION_DENIED;
	case 'n':
		return LS_NOT_FOUND;
	case 'f':
		return LS_FAILED_PRECONDITION;
	case 'i':
		return LS_INVALID_ARGUMENT;
	case 'e':
		return LS_ALREADY_EXISTS;
	default:
		fail_msg("bad letter '%c' in the table", letter);
		return -1;
	}
}

static const char *const ROLE_NAMES[R_COUNT] = {"admin",     "leader",     "town",  "department",
                                                "inspector", "discipline", "viewer"};

/* The number of elements in the answer's repeated message fields: the
 * rows of a list (not, say, the weeks a month has). */
static size_t listed_rows(const ProtobufCMessage *m)
{
	size_t n = 0;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].label == PROTOBUF_C_LABEL_REPEATED &&
		    d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
			n += *(const size_t *)((const char *)m + d->fields[i].quantifier_offset);
	return n;
}

/* ---- the tests -------------------------------------------------------------------------- */

/* Every generated method has exactly one row, every row a method. */
static void test_table_covers_every_method(void **state)
{
	(void)state;
	int missing = 0;
	size_t n_methods = 0;
	for (size_t i = 0; i < ls_n_service_descriptors; i++) {
		const ProtobufCServiceDescriptor *sd = ls_service_descriptors[i];
		for (unsigned j = 0; j < sd->n_methods; j++) {
			char name[256];
			ls_method_full_name(sd, &sd->methods[j], name, sizeof name);
			n_methods++;
			int rows = 0;
			for (size_t r = 0; r < N_ROWS; r++)
				rows += strcmp(ROWS[r].method, name) == 0;
			if (rows != 1) {
				fprintf(stderr,
				        "roles: %s has %d rows in tests/e2e/roles_test.c (one "
				        "needed: see the header on how to add it)\n",
				        name, rows);
				missing++;
			}
		}
	}
	for (size_t r = 0; r < N_ROWS; r++) {
		ls_method m;
		if (ls_method_find(ROWS[r].method, &m) != LS_OK) {
			fprintf(stderr, "roles: the row %s names no generated method\n",
			        ROWS[r].method);
			missing++;
		}
		if (strlen(ROWS[r].want) != R_COUNT) {
			fprintf(stderr, "roles: the row %s has %zu letters, not %d\n",
			        ROWS[r].method, strlen(ROWS[r].want), R_COUNT);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	assert_int_equal(n_methods, N_ROWS);
}

/* The letter of the table for method and role; on PostgreSQL, luoshid
 * takes no backups (PostgreSQL's own tools do): the admin, who may ask,
 * is refused for that (f), and has then no job to look at (n). */
static char want_of(size_t r, int role)
{
	char letter = ROWS[r].want[role];
	if (e2e_on_pg() && letter == 'o') {
		if (strcmp(ROWS[r].method, M("AdminService", "Backup")) == 0)
			return 'f';
		if (strcmp(ROWS[r].method, M("AdminService", "GetBackup")) == 0)
			return 'n';
	}
	return letter;
}

static void test_every_method_every_role(void **state)
{
	fixture *f = *state;
	int wrong = 0, calls = 0, denied = 0;
	for (size_t r = 0; r < N_ROWS; r++) {
		for (int role = 0; role < R_COUNT; role++) {
			char pr[8];
			snprintf(pr, sizeof pr, "%d", role + 1);
			const char *const vars[][2] = {
			    {"PHOTO", f->photo}, {"ROLE", ROLE_NAMES[role]},
			    {"INSP", f->insp},   {"RECT", f->rect},
			    {"UPD", f->upd},     {"PR", pr},
			};
			char *json = expand(ROWS[r].json, vars, sizeof vars / sizeof vars[0]);
			int want = code_of(want_of(r, role));
			int64_t before = fingerprint(&f->s);
			ls_status st;
			ProtobufCMessage *resp = NULL;
			int got = call_json(f, role, ROWS[r].method, json, &resp, &st);
			int64_t after = fingerprint(&f->s);
			calls++;
			size_t rows_seen =
			    ROWS[r].want[role] == 'z' && resp != NULL ? listed_rows(resp) : 0;
			if (rows_seen > 0) {
				fprintf(stderr, "roles: %s as %s: %zu rows listed, expected none\n",
				        ROWS[r].method, ROLE_NAMES[role], rows_seen);
				wrong++;
			}
			if (resp != NULL)
				protobuf_c_message_free_unpacked(resp, NULL);
			if (got != want) {
				fprintf(stderr, "roles: %s as %s: %s (%s%s%s), expected %s\n",
				        ROWS[r].method, ROLE_NAMES[role], ls_code_name(got),
				        st.field, st.field[0] ? ": " : "", st.message,
				        ls_code_name(want));
				wrong++;
			}
			if (got == LS_UNAUTHENTICATED) {
				fprintf(stderr, "roles: %s as %s: UNAUTHENTICATED\n",
				        ROWS[r].method, ROLE_NAMES[role]);
				wrong++;
			}
			if (got == LS_PERMISSION_DENIED) {
				denied++;
				if (after != before) {
					fprintf(stderr,
					        "roles: %s as %s was denied but the database "
					        "changed (%" PRId64 " -> %" PRId64 ")\n",
					        ROWS[r].method, ROLE_NAMES[role], before, after);
					wrong++;
				}
			}
			free(json);
		}
	}
	fprintf(stderr, "roles: %d calls over %s, %d denied, %d wrong\n", calls,
	        over_http ? "HTTP" : "nng", denied, wrong);
	assert_int_equal(calls, (int)(N_ROWS * R_COUNT));

	/* The one difference by design: over nng HealthService answers
	 * without a token; the gateway takes no call without one. */
	ls_method hm;
	assert_int_equal(ls_method_find(M("HealthService", "Check"), &hm), LS_OK);
	ls_status st;
	if (over_http) {
		assert_int_equal(
		    call_http(f, NULL, &hm, M("HealthService", "Check"), "{}", NULL, &st),
		    LS_UNAUTHENTICATED);
		assert_string_equal(st.field, "authorization");
	} else {
		luoshi_client *anon = e2e_client(f->s.tcp_url, NULL, 30000);
		Luoshi__V1__HealthCheckRequest hreq = LUOSHI__V1__HEALTH_CHECK_REQUEST__INIT;
		ProtobufCMessage *out = NULL;
		assert_int_equal(
		    e2e_call(anon, M("HealthService", "Check"), &hreq.base, NULL, &out, &st),
		    LS_OK);
		protobuf_c_message_free_unpacked(out, NULL);
		luoshi_client_close(anon);
	}
	assert_int_equal(wrong, 0);
}

/* The town of 五乡镇 writes on 下应街道's project XYP, naming it by code
 * and its rows by their ids ($X… below). */
static const struct {
	const char *method, *json;
} FORGED[] = {
    {M("ProjectService", "UpdateProject"), "{\"project\":\"XYP\",\"name\":\"改名\"}"},
    {M("ProjectService", "UpdateProject"), "{\"project\":\"2\",\"total_investment\":\"1\"}"},
    {M("ProjectService", "ArchiveProject"), "{\"project\":\"XYP\"}"},
    {M("ProjectService", "SetPlan"),
     "{\"project\":\"XYP\",\"year\":2026,\"month\":12,\"invested\":\"1\"}"},
    {M("ScheduleService", "CreateNode"),
     "{\"project\":\"XYP\",\"name\":\"伪造节点\",\"due_date\":\"2026-12-31\"}"},
    {M("ScheduleService", "UpdateNode"), "{\"id\":\"2\",\"name\":\"伪造\"}"},
    {M("ScheduleService", "SetNodeDone"), "{\"id\":\"2\",\"done\":true}"},
    {M("ScheduleService", "PlanNodes"),
     "{\"project\":\"XYP\",\"steps\":[{\"name\":\"伪造\",\"days_before\":10}]}"},
    {M("ScheduleService", "CreateTask"),
     "{\"project\":\"XYP\",\"description\":\"伪造\",\"unit\":\"WX\","
     "\"due_date\":\"2026-12-31\"}"},
    {M("ScheduleService", "UpdateTask"), "{\"id\":\"2\",\"status\":\"TASK_DONE\"}"},
    {M("ProgressService", "SubmitUpdate"),
     "{\"project\":\"XYP\",\"week\":\"2026-W47\",\"invested\":\"1\",\"percent\":99,"
     "\"progress\":\"伪造\"}"},
    {M("ProgressService", "SubmitUpdates"),
     "{\"updates\":[{\"project\":\"XYP\",\"week\":\"2026-W47\",\"invested\":\"1\","
     "\"percent\":99,\"progress\":\"伪造\"}]}"},
    {M("ProgressService", "SubmitUpdates"),
     "{\"updates\":[{\"project\":\"WXP\",\"week\":\"2026-W47\",\"invested\":\"1\","
     "\"percent\":30,\"progress\":\"本镇\"},{\"project\":\"XYP\",\"week\":\"2026-W47\","
     "\"invested\":\"1\",\"percent\":99,\"progress\":\"伪造\"}]}"},
    {M("ProblemService", "RaiseProblem"),
     "{\"project\":\"XYP\",\"title\":\"伪造\",\"group\":\"GROUP_FUNDING\"}"},
    {M("ProblemService", "AssignProblem"), "{\"id\":\"8\",\"unit\":\"WX\"}"},
    {M("ProblemService", "AddProblemNote"), "{\"id\":\"8\",\"text\":\"伪造\"}"},
    {M("ProblemService", "ResolveProblem"), "{\"id\":\"8\",\"resolution\":\"伪造\"}"},
    {M("ProblemService", "ReopenProblem"), "{\"id\":\"8\",\"reason\":\"伪造\"}"},
    {M("ProblemService", "EscalateProblem"), "{\"id\":\"8\",\"reason\":\"伪造\"}"},
    {M("SupervisionService", "LogActivity"),
     "{\"leader\":\"L02\",\"project\":\"XYP\",\"kind\":\"SITE_VISIT\","
     "\"date\":\"2026-11-18\"}"},
    {M("SupervisionService", "RecordInspection"),
     "{\"group\":\"DC1\",\"project\":\"XYP\",\"date\":\"2026-11-16\","
     "\"layer\":\"LAYER_UNIT_ITSELF\",\"findings\":\"伪造\"}"},
    {M("SupervisionService", "OrderRectification"),
     "{\"inspection\":\"$XINSP\",\"owner_unit\":\"XY\",\"due_date\":\"2026-12-31\","
     "\"text\":\"伪造\"}"},
    {M("SupervisionService", "UpdateRectification"),
     "{\"id\":\"$XRECT\",\"status\":\"RECTIFICATION_DONE\"}"},
    /* Not another town's, but not the town's either: the office's own
     * order, on the town's project. */
    {M("SupervisionService", "UpdateRectification"),
     "{\"id\":\"$ORECT\",\"status\":\"RECTIFICATION_DONE\"}"},
    {M("SupervisionService", "RecordAccountability"),
     "{\"kind\":\"CRITICISM\",\"unit\":\"XY\",\"project\":\"XYP\",\"date\":\"2026-11-21\","
     "\"text\":\"伪造\"}"},
    {M("SupervisionService", "SetApproval"),
     "{\"project\":\"XYP\",\"item\":\"伪造\",\"department\":\"FG\","
     "\"submitted\":\"2026-10-08\"}"},
    {M("SupervisionService", "SetClearance"),
     "{\"project\":\"XYP\",\"month\":\"2026-11\",\"target_m2\":\"1\",\"cleared_m2\":\"1\"}"},
    {M("SupervisionService", "AddFunding"),
     "{\"source\":\"伪造\",\"kind\":\"FUNDING_LOAN\",\"project\":\"XYP\",\"amount\":\"1\","
     "\"signed\":\"2026-11-01\",\"term_years\":1}"},
};

/* And reads of XYP's rows by the same town: NOT_FOUND, as for rows that
 * do not exist, so that the answer does not tell that they do. */
static const struct {
	const char *method, *json;
} FORGED_READS[] = {
    {M("ProjectService", "GetProject"), "{\"project\":\"XYP\"}"},
    {M("ProjectService", "ListPlans"), "{\"project\":\"XYP\"}"},
    {M("ProgressService", "GetUpdate"), "{\"id\":\"$XUPD\"}"},
    {M("ProgressService", "ListUpdates"), "{\"project\":\"XYP\"}"},
    {M("ProgressService", "GetProjectStatus"), "{\"project\":\"XYP\"}"},
    {M("ProblemService", "GetProblem"), "{\"id\":\"8\"}"},
    {M("ScheduleService", "ListNodes"), "{\"project\":\"XYP\"}"},
    {M("ScheduleService", "ListTasks"), "{\"project\":\"XYP\"}"},
};

static void test_town_forges_another_towns_ids(void **state)
{
	fixture *f = *state;
	int wrong = 0;
	for (size_t i = 0; i < sizeof FORGED / sizeof FORGED[0]; i++) {
		const char *const vars[][2] = {{"XINSP", f->x_insp},
		                               {"XRECT", f->x_rect},
		                               {"XUPD", f->x_upd},
		                               {"ORECT", f->o_rect}};
		char *json = expand(FORGED[i].json, vars, sizeof vars / sizeof vars[0]);
		int64_t before = fingerprint(&f->s);
		ls_status st;
		int got = call_json(f, R_TOWN, FORGED[i].method, json, NULL, &st);
		int64_t after = fingerprint(&f->s);
		if (got != LS_PERMISSION_DENIED && got != LS_NOT_FOUND) {
			fprintf(stderr,
			        "forged: %s %s: %s (%s), expected PERMISSION_DENIED or "
			        "NOT_FOUND\n",
			        FORGED[i].method, json, ls_code_name(got), st.message);
			wrong++;
		}
		if (after != before) {
			fprintf(stderr, "forged: %s %s changed the database\n", FORGED[i].method,
			        json);
			wrong++;
		}
		free(json);
	}
	for (size_t i = 0; i < sizeof FORGED_READS / sizeof FORGED_READS[0]; i++) {
		const char *const vars[][2] = {{"XUPD", f->x_upd}};
		char *json = expand(FORGED_READS[i].json, vars, 1);
		ls_status st;
		int got = call_json(f, R_TOWN, FORGED_READS[i].method, json, NULL, &st);
		if (got != LS_NOT_FOUND) {
			fprintf(stderr, "forged: %s %s: %s (%s), expected NOT_FOUND\n",
			        FORGED_READS[i].method, json, ls_code_name(got), st.message);
			wrong++;
		}
		free(json);
	}
	/* And the rows of XYP are as the fixture left them. */
	e2e_db *db = e2e_db_connect(&f->s);
	assert_int_equal(
	    e2e_db_int(db, "SELECT count(*) FROM updates WHERE project_id = 2", NULL, NULL), 1);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM nodes WHERE project_id = 2"
	                            " AND done_date IS NULL AND name = '基础完工'",
	                            NULL, NULL),
	                 1);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM problems WHERE project_id = 2"
	                            " AND status = 'open' AND assignee_unit_id IS NULL",
	                            NULL, NULL),
	                 1);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM projects WHERE id = 2"
	                            " AND name = '下应健康中心' AND archived = 0",
	                            NULL, NULL),
	                 1);
	e2e_db_close(db);
	assert_int_equal(wrong, 0);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--http") == 0) {
		over_http = true;
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--http]\n", argv[0]);
		return 2;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_covers_every_method),
	    cmocka_unit_test_setup_teardown(test_every_method_every_role, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_town_forges_another_towns_ids, setup, teardown),
	};
	return cmocka_run_group_tests_name(over_http ? "roles over HTTP" : "roles over nng", tests,
	                                   NULL, NULL);
}
