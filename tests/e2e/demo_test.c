/* End to end: `luoshid --demo` loads the Yinzhou demo district of
 * server/demo once, prints the demo accounts' tokens once, and a second
 * start with --demo changes nothing. Its history (updates.csv and
 * problems.csv) gives, as of 2026-09-30, the figures of the source report,
 * which the real server computes and the client prints.
 *
 * Every expected figure below was counted by hand in the CSV files of
 * server/demo (awk over the columns), never by asking the server. One
 * server serves the whole group: loading the demo takes a while. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/project.pb-c.h"
#include "luoshi/v1/registry.pb-c.h"

#define M_WHOAMI "/luoshi.v1.AccountService/WhoAmI"
#define M_GET_PROJECT "/luoshi.v1.ProjectService/GetProject"
#define M_LIST_PROJECTS "/luoshi.v1.ProjectService/ListProjects"
#define M_CREATE_UNIT "/luoshi.v1.RegistryService/CreateUnit"

/* projects.csv: 292 rows, 33 of level city (C01-C33), 66 district
 * (D01-D66), 193 town (T001-T193); 27 with land_clearance true. */
#define N_PROJECTS 292
#define N_CITY 33
#define N_DISTRICT 66
#define N_TOWN 193
#define N_LAND_CLEARANCE 27
/* units.csv 49 rows (22 towns and streets, 18 departments, 4 support
 * groups, 4 inspection groups, 区纪委); people.csv 67 (18 district leaders
 * in unit office, one head for each of the 49 units); plans.csv 3725
 * months; nodes.csv 768; tasks.csv 583; accounts.csv 9 accounts. */
#define N_UNITS 49
#define N_PEOPLE 67
#define N_LEADERS 18
#define N_PLANS 3725
#define N_NODES 768
#define N_TASKS 583
#define N_DEMO_ACCOUNTS 9
/* updates.csv: 12518 rows, one update each (awk 'END{print NR-1}'); the
 * node names of their nodes_done column, 306 in all:
 *   awk -F, 'NR>1 && $8!=""{n+=split($8,a,";")} END{print n}' updates.csv
 * problems.csv: 97 problems, 13 with resolved_at empty; their history has
 * a row for each raising, assignment (assignee set) and resolution, 254:
 *   awk -F, 'NR>1{e++; if($5!="")e++; if($9!="")e++} END{print e}' */
#define N_UPDATES 12518
#define N_NODES_DONE 306
#define N_PROBLEMS 97
#define N_PROBLEMS_OPEN 13
#define N_PROBLEM_EVENTS 254

/* The projects whose town column is wuxiang (五乡镇): 17 rows. */
static const char *const wuxiang_projects[] = {
    "C01",  "C02",  "C08",  "D15",  "D16",  "D27",  "D44",  "T005", "T014",
    "T015", "T016", "T017", "T018", "T019", "T020", "T021", "T022",
};
#define N_WUXIANG (sizeof wuxiang_projects / sizeof wuxiang_projects[0])

/* accounts.csv, row by row: role and unit. */
static const struct {
	const char *role;
	int role_number;
	const char *unit;
} demo_accounts[N_DEMO_ACCOUNTS] = {
    {"admin", LUOSHI__V1__ROLE__ROLE_ADMIN, "office"},
    {"leader", LUOSHI__V1__ROLE__ROLE_LEADER, "office"},
    {"town", LUOSHI__V1__ROLE__ROLE_TOWN, "wuxiang"},
    {"town", LUOSHI__V1__ROLE__ROLE_TOWN, "xiaying"},
    {"department", LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "fgj"},
    {"department", LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "zqql"},
    {"inspector", LUOSHI__V1__ROLE__ROLE_INSPECTOR, "dc1"},
    {"discipline", LUOSHI__V1__ROLE__ROLE_DISCIPLINE, "jw"},
    {"viewer", LUOSHI__V1__ROLE__ROLE_VIEWER, "office"},
};

#define TOKEN_MAX 128

typedef struct printed {
	char role[32];
	char unit[64];
	char token[TOKEN_MAX];
	char name[256];
} printed;

typedef struct demo_state {
	e2e_server s;
	printed accounts[N_DEMO_ACCOUNTS + 1];
	int n_accounts;
} demo_state;

static const char *const demo_flag[] = {"--demo", NULL};

/* Copies the value of "key=" in line up to the next space (or the end of
 * the line for the last key). Returns false when the key is missing or the
 * value does not fit. */
static bool field_of(const char *line, const char *key, bool to_end, char *out, size_t size)
{
	const char *p = strstr(line, key);
	if (p == NULL)
		return false;
	p += strlen(key);
	size_t n = to_end ? strcspn(p, "\n") : strcspn(p, " \n");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* Reads the "demo account:" lines of text into st (at most one more than
 * expected, to notice extra ones). Returns how many there were. */
static int read_printed(const char *text, demo_state *st)
{
	int n = 0;
	const char *line = text;
	while (line != NULL && *line != '\0') {
		if (strncmp(line, "demo account: ", 14) == 0) {
			if (n <= N_DEMO_ACCOUNTS) {
				printed *p = &st->accounts[n];
				if (!field_of(line, "role=", false, p->role, sizeof p->role) ||
				    !field_of(line, "unit=", false, p->unit, sizeof p->unit) ||
				    !field_of(line, "token=", false, p->token, sizeof p->token) ||
				    !field_of(line, " name=", true, p->name, sizeof p->name))
					fail_msg("cannot read the demo account line: %.200s", line);
			}
			n++;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return n;
}

static int setup_demo(void **state)
{
	demo_state *st = calloc(1, sizeof *st);
	if (st == NULL)
		return -1;
	if (e2e_server_up(&st->s, demo_flag) != 0) {
		e2e_server_cleanup(&st->s);
		free(st);
		return -1;
	}
	char *out = e2e_read_file(st->s.out, NULL);
	if (out == NULL) {
		e2e_server_cleanup(&st->s);
		free(st);
		return -1;
	}
	st->n_accounts = read_printed(out, st);
	free(out);
	*state = st;
	return 0;
}

static int teardown_demo(void **state)
{
	demo_state *st = *state;
	int rc = 0;
	if (st != NULL) {
		if (st->s.pid > 0 && e2e_server_stop(&st->s) != 0)
			rc = -1;
		e2e_server_cleanup(&st->s);
		free(st);
	}
	*state = NULL;
	return rc;
}

/* ---- what the database holds -------------------------------------------------- */

typedef struct counts {
	int64_t projects, units, people, plans, nodes, tasks, accounts, audit;
	int64_t updates, nodes_done, problems, problems_open, problem_events;
} counts;

static counts count_rows(const e2e_server *s)
{
	e2e_db *db = e2e_db_connect(s);
	counts c = {
	    .projects = e2e_db_int(db, "SELECT count(*) FROM projects", NULL, NULL),
	    .units = e2e_db_int(db, "SELECT count(*) FROM units", NULL, NULL),
	    .people = e2e_db_int(db, "SELECT count(*) FROM people", NULL, NULL),
	    .plans = e2e_db_int(db, "SELECT count(*) FROM plans", NULL, NULL),
	    .nodes = e2e_db_int(db, "SELECT count(*) FROM nodes", NULL, NULL),
	    .tasks = e2e_db_int(db, "SELECT count(*) FROM tasks", NULL, NULL),
	    .accounts = e2e_db_int(db, "SELECT count(*) FROM accounts", NULL, NULL),
	    .audit = e2e_db_int(db, "SELECT count(*) FROM audit_log", NULL, NULL),
	    .updates = e2e_db_int(db, "SELECT count(*) FROM updates", NULL, NULL),
	    .nodes_done = e2e_db_int(db, "SELECT count(*) FROM nodes WHERE done_date IS NOT NULL",
	                             NULL, NULL),
	    .problems = e2e_db_int(db, "SELECT count(*) FROM problems", NULL, NULL),
	    .problems_open =
	        e2e_db_int(db, "SELECT count(*) FROM problems WHERE status = 'open'", NULL, NULL),
	    .problem_events = e2e_db_int(db, "SELECT count(*) FROM problem_events", NULL, NULL),
	};
	e2e_db_close(db);
	return c;
}

static void test_counts(void **state)
{
	demo_state *st = *state;
	counts c = count_rows(&st->s);
	assert_int_equal(c.projects, N_PROJECTS);
	/* init's root unit and admin, and the demo's. */
	assert_int_equal(c.units, 1 + N_UNITS);
	assert_int_equal(c.people, N_PEOPLE);
	assert_int_equal(c.plans, N_PLANS);
	assert_int_equal(c.nodes, N_NODES);
	assert_int_equal(c.tasks, N_TASKS);
	assert_int_equal(c.accounts, 1 + N_DEMO_ACCOUNTS);
	assert_int_equal(c.updates, N_UPDATES);
	assert_int_equal(c.nodes_done, N_NODES_DONE);
	assert_int_equal(c.problems, N_PROBLEMS);
	assert_int_equal(c.problems_open, N_PROBLEMS_OPEN);
	assert_int_equal(c.problem_events, N_PROBLEM_EVENTS);

	e2e_db *db = e2e_db_connect(&st->s);
	const char *by_level = "SELECT count(*) FROM projects WHERE level = ?1";
	assert_int_equal(e2e_db_int(db, by_level, "city", NULL), N_CITY);
	assert_int_equal(e2e_db_int(db, by_level, "district", NULL), N_DISTRICT);
	assert_int_equal(e2e_db_int(db, by_level, "town", NULL), N_TOWN);
	assert_int_equal(
	    e2e_db_int(db, "SELECT count(*) FROM projects WHERE land_clearance = 1", NULL, NULL),
	    N_LAND_CLEARANCE);
	/* Town-level projects all stand in a town. */
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM projects WHERE level = 'town' AND "
	                            "town_id IS NULL",
	                            NULL, NULL),
	                 0);

	/* The 18 district leaders sit in the office and lead every city- and
	 * district-level project between them. */
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM people p JOIN units u ON u.id = "
	                            "p.unit_id WHERE u.code = ?1",
	                            "office", NULL),
	                 N_LEADERS);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(DISTINCT lead_leader_id) FROM projects WHERE "
	                            "level IN ('city', 'district')",
	                            NULL, NULL),
	                 N_LEADERS);

	const char *kind = "SELECT count(*) FROM units WHERE kind = ?1";
	assert_int_equal(e2e_db_int(db, kind, "town", NULL), 22);
	assert_int_equal(e2e_db_int(db, kind, "department", NULL), 18);
	assert_int_equal(e2e_db_int(db, kind, "support_group", NULL), 4);
	assert_int_equal(e2e_db_int(db, kind, "inspection_group", NULL), 4);
	assert_int_equal(e2e_db_int(db, kind, "discipline", NULL), 1);
	const char *named = "SELECT count(*) FROM units WHERE kind = ?1 AND name = ?2";
	assert_int_equal(e2e_db_int(db, named, "support_group", "综合协调组"), 1);
	assert_int_equal(e2e_db_int(db, named, "support_group", "审批服务组"), 1);
	assert_int_equal(e2e_db_int(db, named, "support_group", "资金保障组"), 1);
	assert_int_equal(e2e_db_int(db, named, "support_group", "征迁清零组"), 1);
	assert_int_equal(e2e_db_int(db, named, "inspection_group", "第一督查组"), 1);
	assert_int_equal(e2e_db_int(db, named, "inspection_group", "第四督查组"), 1);
	assert_int_equal(e2e_db_int(db, named, "discipline", "区纪委"), 1);
	/* Every demo unit hangs under init's root unit. */
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM units u JOIN units r ON r.id = "
	                            "u.parent_id WHERE r.code = ?1",
	                            "office", NULL),
	                 N_UNITS);

	/* The CRRC base's plan: 4400 a month from March to December 2025,
	 * 6600 a month in 2026 (plans.csv rows C01). */
	const char *year = "SELECT sum(invested) FROM plans p JOIN projects j ON j.id = "
	                   "p.project_id WHERE j.code = ?1 AND p.year = CAST(?2 AS INTEGER)";
	assert_int_equal(e2e_db_int(db, year, "C01", "2025"), 10 * 4400);
	assert_int_equal(e2e_db_int(db, year, "C01", "2026"), 12 * 6600);
	e2e_db_close(db);
}

/* ---- the named projects, through the API -------------------------------------- */

static Luoshi__V1__GetProjectResponse *get_project(luoshi_client *c, const char *ref)
{
	Luoshi__V1__GetProjectRequest req = LUOSHI__V1__GET_PROJECT_REQUEST__INIT;
	req.project = (char *)ref;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_GET_PROJECT, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("GetProject %s: %s %s", ref, ls_code_name(rc), st.message);
	return (Luoshi__V1__GetProjectResponse *)m;
}

static void test_named_projects(void **state)
{
	demo_state *st = *state;
	luoshi_client *c = e2e_client(st->s.tcp_url, st->s.admin_token, 10000);

	/* 21.89 亿元 = 218900 万元, found by its Chinese name. */
	Luoshi__V1__GetProjectResponse *r = get_project(c, "奥克斯智能空调项目");
	assert_non_null(r->project);
	assert_string_equal(r->project->code, "C07");
	assert_true(r->project->has_total_investment);
	assert_int_equal(r->project->total_investment, 218900);
	assert_int_equal(r->project->level, LUOSHI__V1__LEVEL__LEVEL_CITY);
	assert_int_equal(r->project->category, LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL);
	assert_true(r->project->has_fast_track);
	assert_true(r->project->fast_track);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	r = get_project(c, "中车产业基地");
	assert_non_null(r->project);
	assert_string_equal(r->project->code, "C01");
	assert_non_null(r->project->town_name);
	assert_string_equal(r->project->town_name, "五乡镇");
	assert_string_equal(r->project->town_code, "wuxiang");
	assert_string_equal(r->project->lead_leader_code, "ld01");
	assert_string_equal(r->project->lead_leader_name, "沈卫东");
	assert_int_equal(r->project->stage, LUOSHI__V1__STAGE__STAGE_CONTINUING);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Meikang: in 下应街道, started in January 2026. */
	r = get_project(c, "美康智能健康产业中心");
	assert_non_null(r->project);
	assert_string_equal(r->project->town_name, "下应街道");
	assert_string_equal(r->project->planned_start, "2026-01-10");
	assert_int_equal(r->project->stage, LUOSHI__V1__STAGE__STAGE_NEW);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	luoshi_client_close(c);
}

/* ---- the town account sees its own projects ------------------------------------- */

static const printed *printed_account(const demo_state *st, const char *role, const char *unit)
{
	for (int i = 0; i < st->n_accounts && i < N_DEMO_ACCOUNTS; i++)
		if (strcmp(st->accounts[i].role, role) == 0 &&
		    strcmp(st->accounts[i].unit, unit) == 0)
			return &st->accounts[i];
	fail_msg("no %s account of unit %s was printed", role, unit);
	return NULL;
}

/* Lists every page of ListProjects as the token's holder, with a page size
 * smaller than the answer so that paging is followed; codes receives up to
 * max codes (strdup'd). Returns how many projects there were. */
static size_t list_all(luoshi_client *c, const char *town, char **codes, size_t max)
{
	size_t n = 0;
	char *page_token = NULL;
	do {
		Luoshi__V1__ListProjectsRequest req = LUOSHI__V1__LIST_PROJECTS_REQUEST__INIT;
		req.has_page_size = true;
		req.page_size = 5;
		req.page_token = page_token;
		req.town = (char *)town;
		ProtobufCMessage *m;
		ls_status st;
		int rc = e2e_call(c, M_LIST_PROJECTS, &req.base, NULL, &m, &st);
		free(page_token);
		page_token = NULL;
		if (rc != LS_OK)
			fail_msg("ListProjects: %s %s", ls_code_name(rc), st.message);
		const Luoshi__V1__ListProjectsResponse *r = (Luoshi__V1__ListProjectsResponse *)m;
		for (size_t i = 0; i < r->n_projects; i++, n++)
			if (n < max)
				codes[n] = strdup(r->projects[i]->code);
		if (r->next_page_token != NULL)
			page_token = strdup(r->next_page_token);
		protobuf_c_message_free_unpacked(m, NULL);
	} while (page_token != NULL);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_town_sees_its_projects(void **state)
{
	demo_state *st = *state;
	const printed *wx = printed_account(st, "town", "wuxiang");
	luoshi_client *c = e2e_client(st->s.tcp_url, wx->token, 10000);
	char *codes[N_PROJECTS];
	size_t n = list_all(c, NULL, codes, N_PROJECTS);
	assert_int_equal(n, N_WUXIANG);
	qsort(codes, n, sizeof codes[0], cmp_str);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(codes[i], wuxiang_projects[i]);
		free(codes[i]);
	}
	/* Asking for another town's projects shows none of them. */
	assert_int_equal(list_all(c, "下应街道", codes, N_PROJECTS), 0);
	luoshi_client_close(c);

	/* The admin, asking for 五乡镇 by name, gets the same 17. */
	c = e2e_client(st->s.tcp_url, st->s.admin_token, 10000);
	n = list_all(c, "五乡镇", codes, N_PROJECTS);
	assert_int_equal(n, N_WUXIANG);
	for (size_t i = 0; i < n; i++)
		free(codes[i]);
	luoshi_client_close(c);
}

/* ---- the printed tokens ------------------------------------------------------------ */

static void test_tokens_work(void **state)
{
	demo_state *st = *state;
	assert_int_equal(st->n_accounts, N_DEMO_ACCOUNTS);
	for (int i = 0; i < N_DEMO_ACCOUNTS; i++) {
		const printed *p = &st->accounts[i];
		assert_string_equal(p->role, demo_accounts[i].role);
		assert_string_equal(p->unit, demo_accounts[i].unit);
		luoshi_client *c = e2e_client(st->s.tcp_url, p->token, 10000);
		Luoshi__V1__WhoAmIRequest req = LUOSHI__V1__WHO_AM_IREQUEST__INIT;
		ProtobufCMessage *m;
		ls_status s;
		int rc = e2e_call(c, M_WHOAMI, &req.base, NULL, &m, &s);
		if (rc != LS_OK)
			fail_msg("WhoAmI with the %s token of %s: %s %s", p->role, p->unit,
			         ls_code_name(rc), s.message);
		const Luoshi__V1__Account *a = ((Luoshi__V1__WhoAmIResponse *)m)->account;
		assert_non_null(a);
		assert_int_equal(a->role, demo_accounts[i].role_number);
		assert_string_equal(a->unit_code, demo_accounts[i].unit);
		assert_string_equal(a->name, p->name);
		protobuf_c_message_free_unpacked(m, NULL);
		luoshi_client_close(c);
	}
	/* The leader's account is the 区委书记's own. */
	const printed *leader = printed_account(st, "leader", "office");
	e2e_db *db = e2e_db_connect(&st->s);
	assert_int_equal(e2e_db_int(db,
	                            "SELECT count(*) FROM accounts a JOIN people p ON p.id = "
	                            "a.person_id WHERE a.role = 'leader' AND p.code = ?1 AND "
	                            "a.name = ?2",
	                            "ld01", leader->name),
	                 1);
	e2e_db_close(db);
}

/* ---- the report's figures, as the client prints them ----------------------------- */

/* The day of the source report's figures (the end of the third quarter). */
#define REPORT_DAY "2026-09-30"

/* The object that follows "key": { in json (the first such key at or after
 * from), as [*start, *end); fails the test when there is none. */
static void json_object(const char *json, const char *key, const char **start, const char **end)
{
	char pattern[96];
	snprintf(pattern, sizeof pattern, "\"%s\": {", key);
	const char *p = strstr(json, pattern);
	if (p == NULL)
		fail_msg("no object %s in: %.400s", key, json);
	p += strlen(pattern);
	int depth = 1;
	const char *q = p;
	for (; *q != '\0' && depth > 0; q++)
		depth += *q == '{' ? 1 : *q == '}' ? -1 : 0;
	*start = p;
	*end = q;
}

/* The number after "key": within [start, end): int64 figures come quoted
 * in JSON, 32-bit ones bare. Fails the test when it is missing. */
static long long json_number(const char *start, const char *end, const char *key)
{
	char pattern[96];
	snprintf(pattern, sizeof pattern, "\"%s\": ", key);
	size_t n = strlen(pattern);
	for (const char *p = start; p + n <= end; p++) {
		if (memcmp(p, pattern, n) != 0)
			continue;
		p += n;
		if (*p == '"')
			p++;
		char *stop;
		long long v = strtoll(p, &stop, 10);
		if (stop == p)
			fail_msg("%s is not a number: %.40s", key, p);
		return v;
	}
	fail_msg("no %s in: %.*s", key, (int)(end - start > 400 ? 400 : end - start), start);
	return 0;
}

/* The number key of the object name (a path of objects, outermost first,
 * NULL-terminated) in json. */
static long long figure(const char *json, const char *const *path, const char *key)
{
	const char *start = json, *end = json + strlen(json);
	for (size_t i = 0; path[i] != NULL; i++) {
		const char *s, *e;
		json_object(start, path[i], &s, &e);
		if (e > end)
			fail_msg("object %s runs past its parent", path[i]);
		start = s;
		end = e;
	}
	return json_number(start, end, key);
}

/* Runs `luoshi query summary --as-of REPORT_DAY --json` with more args as
 * the demo's district office admin; the output is the caller's to free. */
static char *summary_json(const demo_state *st, const char *token, const char *a1, const char *a2)
{
	const char *args[] = {"query", "summary", "--as-of", REPORT_DAY, "--json", a1, a2, NULL};
	e2e_run run;
	e2e_cli(st->s.dir, st->s.tcp_url, token, NULL, args, &run);
	if (run.status != 0)
		fail_msg("query summary %s %s: %d: %s", a1 ? a1 : "", a2 ? a2 : "", run.status,
		         run.err);
	char *out = run.out;
	run.out = NULL;
	e2e_run_free(&run);
	return out;
}

static const char *const FIGURES[] = {"figures", NULL};
static const char *const MONEY[] = {"figures", "money", NULL};
static const char *const MONEY_NEW[] = {"figures", "moneyNew", NULL};
static const char *const MONEY_CONTINUING[] = {"figures", "moneyContinuing", NULL};
static const char *const PROBLEMS[] = {"figures", "problems", NULL};
static const char *const FUNDING_TOTAL[] = {"fundingTotal", NULL};

/* The numbers of the report (seed/000_c9d40a2c3fcc081d.txt): 66 key
 * district-level projects, 83% progressing smoothly; completion rates of
 * 51% (new) and 89% (continuing) by the third quarter; 72 problems solved,
 * a rate of 81.6% (72 of 88 is 81.8%, the nearest whole problems allow).
 * Rates come in per mille: a report's whole percent p is p*10-5 .. p*10+4. */
static void test_report_figures(void **state)
{
	demo_state *st = *state;
	const printed *admin = printed_account(st, "admin", "office");

	char *all = summary_json(st, admin->token, NULL, NULL);
	assert_int_equal(figure(all, FIGURES, "projects"), N_PROJECTS);
	assert_in_range(figure(all, MONEY_NEW, "completionPermille"), 505, 514);
	assert_in_range(figure(all, MONEY_CONTINUING, "completionPermille"), 885, 894);
	assert_int_equal(figure(all, PROBLEMS, "raised"), 88);
	assert_int_equal(figure(all, PROBLEMS, "resolved"), 72);
	assert_int_equal(figure(all, PROBLEMS, "open"), 16);
	assert_int_equal(figure(all, PROBLEMS, "ratePermille"), 818);
	free(all);

	char *district = summary_json(st, admin->token, "--level", "district");
	assert_int_equal(figure(district, FIGURES, "projects"), N_DISTRICT);
	assert_int_equal(figure(district, FIGURES, "onTrack"), 55);
	assert_int_equal(figure(district, FIGURES, "lagging") +
	                     figure(district, FIGURES, "seriouslyLagging"),
	                 11);
	assert_in_range(figure(district, FIGURES, "onTrackPermille"), 825, 834);
	free(district);

	/* The table a person reads. */
	const char *args[] = {"query",   "summary",  "--as-of", REPORT_DAY,
	                      "--level", "district", NULL};
	e2e_run run;
	e2e_cli(st->s.dir, st->s.tcp_url, admin->token, "zh_CN.UTF-8", args, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "推进顺利"));
	assert_non_null(strstr(run.out, "55 (83."));
	e2e_run_free(&run);
}

/* The CRRC base (中车产业基地, C01), January to September: 5.4 亿元 invested,
 * up 35%; output 19.3 亿元, up 32%. In 万元: 54000 and 193000. */
static void test_crrc_figures(void **state)
{
	demo_state *st = *state;
	const printed *admin = printed_account(st, "admin", "office");
	const char *refs[] = {"C01", "中车产业基地"};
	for (size_t i = 0; i < 2; i++) {
		char *j = summary_json(st, admin->token, "--project", refs[i]);
		assert_int_equal(figure(j, FIGURES, "projects"), 1);
		assert_int_equal(figure(j, MONEY, "completedYtd"), 54000);
		assert_in_range(figure(j, MONEY, "growthPermille"), 345, 354);
		assert_int_equal(figure(j, MONEY, "outputYtd"), 193000);
		assert_in_range(figure(j, MONEY, "outputGrowthPermille"), 315, 324);
		free(j);
	}
	const char *args[] = {"query", "summary", "--as-of", REPORT_DAY, "--project", "C01", NULL};
	e2e_run run;
	e2e_cli(st->s.dir, st->s.tcp_url, admin->token, NULL, args, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "54000"));
	assert_non_null(strstr(run.out, "193000"));
	assert_non_null(strstr(run.out, "+35."));
	assert_non_null(strstr(run.out, "+32."));
	e2e_run_free(&run);
}

/* 五乡镇 (wuxiang), counted in server/demo with
 *   awk -F, 'FNR==1{f++; next}
 *     f==1{if($9=="wuxiang") wx[$1]=1; next}
 *     f==2{if(($1 in wx) && $2==2026) plan+=$4; next}
 *     f==3{if(!($1 in wx)) next; p=$2
 *          if(p ~ /^2026-W/ && substr(p,7)+0<=39 || p ~ /^2026-0[1-9]$/) {inv+=$4; out+=$5}
 *          if(p ~ /^2025-W/ && substr(p,7)+0<=39 || p ~ /^2025-0[1-9]$/) prev+=$4; next}
 *     f==4{if(!($1 in wx)) next
 *          if(substr($7,1,10)<="2026-09-30") {r++
 *            if($9!="" && substr($9,1,10)<="2026-09-30") s++}}
 *     END{print plan, inv, prev, out, r, s}' \
 *     projects.csv plans.csv updates.csv problems.csv
 * which prints 292396 202669 50819 193000 6 4: the 2026 plan of its 17
 * projects, what they invested in the weeks 2026-W01..W39 (the last one
 * ending by 2026-09-30; W40 ends on 2026-10-04) and months 2026-01..09, the
 * same of 2025 (2025-W39 ends on 2025-09-28), their output (C01's alone),
 * and the problems raised and resolved by 2026-09-30. */
static void test_town_figures(void **state)
{
	demo_state *st = *state;
	const printed *admin = printed_account(st, "admin", "office");
	const char *args[] = {"query", "by-town", "--as-of", REPORT_DAY, "--json", NULL};
	e2e_run run;
	e2e_cli(st->s.dir, st->s.tcp_url, admin->token, NULL, args, &run);
	assert_int_equal(run.status, 0);
	const char *row = strstr(run.out, "\"code\": \"wuxiang\"");
	assert_non_null(row);
	assert_int_equal(figure(row, FIGURES, "projects"), N_WUXIANG);
	assert_int_equal(figure(row, MONEY, "annualPlan"), 292396);
	assert_int_equal(figure(row, MONEY, "completedYtd"), 202669);
	assert_int_equal(figure(row, MONEY, "previousYtd"), 50819);
	assert_int_equal(figure(row, MONEY, "outputYtd"), 193000);
	assert_int_equal(figure(row, PROBLEMS, "raised"), 6);
	assert_int_equal(figure(row, PROBLEMS, "resolved"), 4);
	e2e_run_free(&run);
}

/* The financing of funding.csv, by hand: 国家开发银行 agreed 660000 for the
 * office (signed 2026-04-15) and lent 120000 to C05 (2026-08-20); loans of
 * 150000 to C01 (中国工商银行, 2026-03-20, C01 stands in 五乡镇), 200000 to
 * C04, 80000 to C07 and 30000 to D01 (the only district-level one). */
static void test_funding_figures(void **state)
{
	demo_state *st = *state;
	const printed *admin = printed_account(st, "admin", "office");
	char *j = summary_json(st, admin->token, NULL, NULL);
	assert_int_equal(figure(j, FUNDING_TOTAL, "agreements"), 1);
	assert_int_equal(figure(j, FUNDING_TOTAL, "agreed"), 660000);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loans"), 5);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loaned"), 580000);
	/* The largest source first: 国家开发银行 with 780000 in all. */
	const char *first = strstr(j, "\"funding\": [");
	assert_non_null(first);
	const char *cdb = strstr(first, "国家开发银行"), *abc = strstr(first, "中国农业银行");
	assert_non_null(cdb);
	assert_non_null(abc);
	assert_true(cdb < abc);
	assert_int_equal(json_number(cdb, abc, "agreed"), 660000);
	assert_int_equal(json_number(cdb, abc, "loaned"), 120000);
	free(j);

	/* A project filter leaves the office's own agreement out. */
	j = summary_json(st, admin->token, "--level", "district");
	assert_int_equal(figure(j, FUNDING_TOTAL, "agreed"), 0);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loaned"), 30000);
	free(j);
	j = summary_json(st, admin->token, "--town", "五乡镇");
	assert_int_equal(figure(j, FUNDING_TOTAL, "agreed"), 0);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loaned"), 150000);
	free(j);
	/* 区发改局 contributes to C01 and C05 (projects.csv): their loans; the
	 * office's agreement lies outside its subtree. */
	j = summary_json(st, admin->token, "--unit", "fgj");
	assert_int_equal(figure(j, FUNDING_TOTAL, "agreements"), 0);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loans"), 2);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loaned"), 270000);
	free(j);

	/* The town's own account sees its projects' loan only; the viewer the
	 * whole office, as the admin. */
	const printed *wx = printed_account(st, "town", "wuxiang");
	j = summary_json(st, wx->token, NULL, NULL);
	assert_int_equal(figure(j, FUNDING_TOTAL, "agreements"), 0);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loans"), 1);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loaned"), 150000);
	free(j);
	const printed *viewer = printed_account(st, "viewer", "office");
	j = summary_json(st, viewer->token, NULL, NULL);
	assert_int_equal(figure(j, FUNDING_TOTAL, "agreed"), 660000);
	assert_int_equal(figure(j, FUNDING_TOTAL, "loaned"), 580000);
	free(j);

	/* As of 2026-04-01 only the loan of 2026-03-20 was signed. */
	const char *early[] = {"query", "summary", "--as-of", "2026-04-01", NULL};
	e2e_run run;
	e2e_cli(st->s.dir, st->s.tcp_url, admin->token, "zh_CN.UTF-8", early, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "中国工商银行宁波鄞州支行"));
	assert_null(strstr(run.out, "国家开发银行"));
	assert_non_null(strstr(run.out, "150000"));
	e2e_run_free(&run);
}

/* ---- loading twice --------------------------------------------------------------------- */

static void test_second_load_changes_nothing(void **state)
{
	demo_state *st = *state;
	counts before = count_rows(&st->s);
	assert_int_equal(e2e_server_stop(&st->s), 0);
	size_t old_len = 0;
	char *old = e2e_read_file(st->s.out, &old_len);
	assert_non_null(old);
	free(old);

	assert_int_equal(e2e_server_start(&st->s, demo_flag), 0);
	size_t len = 0;
	char *out = e2e_read_file(st->s.out, &len);
	assert_non_null(out);
	assert_true(len > old_len);
	const char *fresh = out + old_len;
	assert_non_null(strstr(fresh, "demo: the demo district is already in"));
	assert_null(strstr(fresh, "demo account:"));
	assert_null(strstr(fresh, "token="));
	free(out);

	counts after = count_rows(&st->s);
	assert_memory_equal(&before, &after, sizeof before);

	/* The tokens of the first load still work. */
	const printed *wx = printed_account(st, "town", "wuxiang");
	luoshi_client *c = e2e_client(st->s.tcp_url, wx->token, 10000);
	char *codes[N_PROJECTS];
	size_t n = list_all(c, NULL, codes, N_PROJECTS);
	assert_int_equal(n, N_WUXIANG);
	for (size_t i = 0; i < n; i++)
		free(codes[i]);
	luoshi_client_close(c);
}

/* ---- a demo that cannot load ----------------------------------------------------- */

/* A unit made by hand takes the code fgj, which units.csv gives 区发改局 on
 * line 24 (the header, then 22 towns and streets). The load then fails as a
 * whole, names that line, and the server does not start. The demo is asked
 * for by the config file ("demo = true") this time. */
static void test_conflict_aborts(void **state)
{
	e2e_server *s = *state;
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 10000);
	Luoshi__V1__CreateUnitRequest req = LUOSHI__V1__CREATE_UNIT_REQUEST__INIT;
	req.code = (char *)"fgj";
	req.name = (char *)"发改（手工）";
	req.has_kind = true;
	req.kind = LUOSHI__V1__UNIT_KIND__UNIT_DEPARTMENT;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_CREATE_UNIT, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("CreateUnit: %s %s", ls_code_name(rc), st.message);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	assert_int_equal(e2e_server_stop(s), 0);
	counts before = count_rows(s);
	assert_int_equal(before.units, 2);
	assert_int_equal(before.projects, 0);

	char config[E2E_PATH_MAX + 16], log[E2E_PATH_MAX + 16];
	snprintf(config, sizeof config, "%s/demo.conf", s->dir);
	snprintf(log, sizeof log, "%s/demo.log", s->dir);
	assert_int_equal(e2e_write_file(config, "demo = true\n"), 0);
	char listen[64];
	snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", e2e_free_port());
	const char *args[] = {"--config",  config, "--db",  s->db, "--listen", listen,
	                      "--publish", "none", "--log", log,   NULL};
	assert_int_equal(e2e_server_start_args(s, args, listen), -1);
	assert_false(e2e_server_alive(s));

	assert_true(e2e_file_contains(log, "server/demo/units.csv line 24, field code"));
	assert_true(e2e_file_contains(log, "the server does not start"));
	assert_false(e2e_file_contains(s->out, "demo account:"));
	counts after = count_rows(s);
	assert_memory_equal(&before, &after, sizeof before);
}

int main(void)
{
	/* The demo district, with its history, loads before the server
	 * serves: give its start longer than a bare server's, unless the run
	 * sets the scale itself (sanitizer builds do). */
	setenv("LUOSHI_TEST_TIMEOUT_SCALE", "6", 0);
	/* The restart runs last: the others read the first load's output. */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_named_projects),
	    cmocka_unit_test(test_town_sees_its_projects),
	    cmocka_unit_test(test_tokens_work),
	    cmocka_unit_test(test_report_figures),
	    cmocka_unit_test(test_crrc_figures),
	    cmocka_unit_test(test_town_figures),
	    cmocka_unit_test(test_funding_figures),
	    cmocka_unit_test(test_second_load_changes_nothing),
	};
	const struct CMUnitTest failing[] = {
	    cmocka_unit_test_setup_teardown(test_conflict_aborts, e2e_setup, e2e_teardown),
	};
	int failed = cmocka_run_group_tests_name("e2e_demo", tests, setup_demo, teardown_demo);
	return failed + cmocka_run_group_tests_name("e2e_demo_conflict", failing, NULL, NULL);
}
