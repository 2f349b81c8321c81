/* End to end: ImportService/ImportRegistry through `luoshi import registry`.
 * A small district written by hand as CSV (separate files and one combined
 * file), bad lines reported with their line and column and nothing written,
 * dry runs, a BOM, quoted commas and line breaks, every non-admin role
 * refused, and a retried import answered from its idempotency key. Each
 * test gets a fresh luoshid, whose database holds only the root unit
 * "office" and the admin account. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrows.h"
#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/import.pb-c.h"

#define M_IMPORT "/luoshi.v1.ImportService/ImportRegistry"

/* ---- the district ------------------------------------------------------------ */

/* 5 units under the root "office". */
static const char UNITS_CSV[] = "code,name,kind,parent\n"
                                "WX,五乡镇,town,office\n"
                                "XY,下应街道,town,office\n"
                                "FGJ,区发改局,department,office\n"
                                "ZJJ,区住建局,UNIT_DEPARTMENT,\n"
                                "ZHXT,综合协调组,support-group,office\n";

/* 3 people. */
static const char PEOPLE_CSV[] = "code,name,title,unit,phone\n"
                                 "ZS,张三,副区长,office,13800000001\n"
                                 "LS,李四,区委常委,office,\n"
                                 "WW,王五,局长,区发改局,0574-88881234\n";

/* 3 projects, 3 contributing units in all; the first name holds a comma.
 * P001 (218,900 万元) is fast-tracked by its total, P003 (800) is not;
 * P002 clears land (是). */
static const char PROJECTS_CSV[] =
    "code,name,level,category,stage,lead_leader,lead_unit,contributing_units,town,"
    "total_investment,frequency,planned_start,planned_finish,land_clearance,fast_track\n"
    "P001,\"奥克斯高端智能家电, 一期\",city,industrial,continuing,张三,FGJ,ZJJ;ZHXT,WX,"
    "218900,,2025-03-01,2027-12-31,no,\n"
    "P002,中车产业基地,district,platform,new,LS,ZJJ,FGJ,WX,50000,monthly,2026-01-01,"
    "2028-06-30,是,\n"
    "P003,下应街道邻里中心,town,livelihood,new,ZS,XY,,XY,800,,2026-02-01,2026-12-31,,\n";

/* 4 plan months, 3,080 万元 in all. */
static const char PLANS_CSV[] = "project,year,month,invested\n"
                                "P001,2026,1,1200\n"
                                "P001,2026,2,1300\n"
                                "P002,2026,1,500\n"
                                "P003,2026,3,80\n";

/* 3 nodes. */
static const char NODES_CSV[] = "project,name,due_date,owner_unit\n"
                                "P001,主体封顶,2026-09-30,\n"
                                "P001,竣工验收,2027-12-31,ZJJ\n"
                                "P002,土地摘牌,2026-03-31,FGJ\n";

/* 2 tasks; the first description holds a comma and a line break. */
static const char TASKS_CSV[] = "project,description,unit,person,due_date\n"
                                "P001,\"办理施工许可,\n含消防审查\",ZJJ,WW,2026-04-30\n"
                                "P003,征迁清零,XY,,2026-06-30\n";

#define N_ROWS 20 /* 5 + 3 + 3 + 4 + 3 + 2 */

/* The same district as one file, its kinds mixed: the import puts units
 * first, then people, projects, plans, nodes and tasks. */
static const char COMBINED_CSV[] =
    "kind,code,name,unit_kind,parent,title,unit,phone,level,category,stage,lead_leader,"
    "lead_unit,contributing_units,town,total_investment,planned_start,planned_finish,"
    "land_clearance,project,year,month,invested,due_date,owner_unit,description,person\n"
    "task,,,,,,ZJJ,,,,,,,,,,,,,P001,,,,2026-04-30,,\"办理施工许可,\n含消防审查\",ZS\n"
    "node,,主体封顶,,,,,,,,,,,,,,,,,P001,,,,2026-09-30,,,\n"
    "plan,,,,,,,,,,,,,,,,,,,P001,2026,1,1200,,,,\n"
    "project,P001,\"奥克斯高端智能家电, 一期\",,,,,,city,industrial,continuing,张三,FGJ,"
    "ZJJ;ZHXT,WX,218900,2025-03-01,2027-12-31,no,,,,,,,,\n"
    "person,ZS,张三,,,副区长,office,13800000001,,,,,,,,,,,,,,,,,,,\n"
    "unit,WX,五乡镇,town,office,,,,,,,,,,,,,,,,,,,,,,\n"
    "unit,FGJ,区发改局,department,office,,,,,,,,,,,,,,,,,,,,,,\n"
    "unit,ZJJ,区住建局,department,office,,,,,,,,,,,,,,,,,,,,,,\n"
    "unit,ZHXT,综合协调组,support_group,office,,,,,,,,,,,,,,,,,,,,,,\n";

/* ---- helpers ----------------------------------------------------------------- */

/* Writes text to DIR/name and puts the path in path. */
static void put_file(const e2e_server *s, const char *name, const char *text, char *path,
                     size_t size)
{
	snprintf(path, size, "%s/%s", s->dir, name);
	assert_int_equal(e2e_write_file(path, text), 0);
}

typedef struct district_files {
	char units[E2E_PATH_MAX], people[E2E_PATH_MAX], projects[E2E_PATH_MAX];
	char plans[E2E_PATH_MAX], nodes[E2E_PATH_MAX], tasks[E2E_PATH_MAX];
} district_files;

static void put_district(const e2e_server *s, district_files *f)
{
	put_file(s, "units.csv", UNITS_CSV, f->units, sizeof f->units);
	put_file(s, "people.csv", PEOPLE_CSV, f->people, sizeof f->people);
	put_file(s, "projects.csv", PROJECTS_CSV, f->projects, sizeof f->projects);
	put_file(s, "plans.csv", PLANS_CSV, f->plans, sizeof f->plans);
	put_file(s, "nodes.csv", NODES_CSV, f->nodes, sizeof f->nodes);
	put_file(s, "tasks.csv", TASKS_CSV, f->tasks, sizeof f->tasks);
}

static int64_t count(const e2e_server *s, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return n;
}

static int64_t query(const e2e_server *s, const char *sql, const char *p1)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, p1, NULL);
	e2e_db_close(db);
	return n;
}

/* The rows of every registry table, to show that nothing changed. */
typedef struct counts {
	int64_t units, people, projects, project_units, plans, nodes, tasks, audit;
} counts;

static counts all_counts(const e2e_server *s)
{
	counts c = {
	    count(s, "units"), count(s, "people"), count(s, "projects"), count(s, "project_units"),
	    count(s, "plans"), count(s, "nodes"),  count(s, "tasks"),    count(s, "audit_log"),
	};
	return c;
}

static void assert_counts_equal(counts a, counts b)
{
	assert_int_equal(a.units, b.units);
	assert_int_equal(a.people, b.people);
	assert_int_equal(a.projects, b.projects);
	assert_int_equal(a.project_units, b.project_units);
	assert_int_equal(a.plans, b.plans);
	assert_int_equal(a.nodes, b.nodes);
	assert_int_equal(a.tasks, b.tasks);
	assert_int_equal(a.audit, b.audit);
}

static void import(const e2e_server *s, const char *token, const char *const *args, e2e_run *r)
{
	const char *argv[16] = {"import", "registry"};
	size_t n = 2;
	for (; *args != NULL && n + 1 < sizeof argv / sizeof argv[0]; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	e2e_cli(s->dir, s->tcp_url, token, NULL, argv, r);
}

static void expect_text(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, haystack);
}

static void expect_status(const e2e_run *r, int status)
{
	if (r->status != status)
		fail_msg("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", r->status, status,
		         r->out, r->err);
}

/* The district as the files above describe it, checked in the database. */
static void check_district(const e2e_server *s)
{
	assert_int_equal(count(s, "units"), 1 + 5);
	assert_int_equal(count(s, "people"), 3);
	assert_int_equal(count(s, "projects"), 3);
	assert_int_equal(count(s, "project_units"), 3);
	assert_int_equal(count(s, "plans"), 4);
	assert_int_equal(query(s, "SELECT sum(invested) FROM plans", NULL), 3080);
	assert_int_equal(count(s, "nodes"), 3);
	assert_int_equal(count(s, "tasks"), 2);
	assert_int_equal(query(s, "SELECT count(*) FROM units WHERE kind = 'town'", NULL), 2);
	assert_int_equal(query(s,
	                       "SELECT count(*) FROM units u JOIN units p ON p.id = u.parent_id "
	                       "WHERE u.code = 'ZJJ' AND p.code = 'office'",
	                       NULL),
	                 1);
	assert_int_equal(query(s,
	                       "SELECT count(*) FROM people p JOIN units u ON u.id = p.unit_id "
	                       "WHERE p.code = 'WW' AND u.code = 'FGJ'",
	                       NULL),
	                 1);
	assert_int_equal(
	    query(s, "SELECT count(*) FROM projects WHERE name = ?1", "奥克斯高端智能家电, 一期"),
	    1);
	assert_int_equal(query(s, "SELECT fast_track FROM projects WHERE code = ?1", "P001"), 1);
	assert_int_equal(query(s, "SELECT fast_track FROM projects WHERE code = ?1", "P003"), 0);
	assert_int_equal(query(s, "SELECT land_clearance FROM projects WHERE code = ?1", "P002"),
	                 1);
	assert_int_equal(query(s,
	                       "SELECT count(*) FROM projects p JOIN people l "
	                       "ON l.id = p.lead_leader_id WHERE p.code = 'P001' AND l.code = ?1",
	                       "ZS"),
	                 1);
	assert_int_equal(query(s, "SELECT count(*) FROM tasks WHERE description = ?1",
	                       "办理施工许可,\n含消防审查"),
	                 1);
	/* A node without an owner is owned by the project's lead unit. */
	assert_int_equal(
	    query(s,
	          "SELECT count(*) FROM nodes n JOIN units u ON u.id = n.owner_unit_id "
	          "WHERE n.name = ?1 AND u.code = 'FGJ'",
	          "主体封顶"),
	    1);
}

/* ---- a whole district -------------------------------------------------------- */

static void test_separate_files(void **state)
{
	e2e_server *s = *state;
	district_files f;
	put_district(s, &f);
	int64_t audit = count(s, "audit_log");
	/* Given backwards: the import still puts units first. */
	const char *args[] = {f.tasks, f.nodes, f.plans, f.projects, f.people, f.units, NULL};
	e2e_run r;
	import(s, s->admin_token, args, &r);
	expect_status(&r, 0);
	expect_text(r.out, "Imported 20 rows:");
	expect_text(r.out, "units     5");
	expect_text(r.out, "people    3");
	expect_text(r.out, "projects  3");
	expect_text(r.out, "plans     4");
	expect_text(r.out, "nodes     3");
	expect_text(r.out, "tasks     2");
	/* No progress bar when standard error is not a terminal. */
	assert_string_equal(r.err, "");
	e2e_run_free(&r);
	check_district(s);
	/* Each row is audited by its own method, as if added by hand. */
	assert_true(count(s, "audit_log") >= audit + N_ROWS);
	assert_int_equal(query(s, "SELECT count(*) FROM audit_log WHERE method = ?1",
	                       "/luoshi.v1.ProjectService/CreateProject"),
	                 3);
	assert_int_equal(query(s, "SELECT count(*) FROM audit_log WHERE method = ?1",
	                       "/luoshi.v1.RegistryService/CreateUnit"),
	                 5);
}

static void test_combined_file(void **state)
{
	e2e_server *s = *state;
	char path[E2E_PATH_MAX];
	put_file(s, "registry.csv", COMBINED_CSV, path, sizeof path);
	const char *args[] = {"--json", path, NULL};
	e2e_run r;
	import(s, s->admin_token, args, &r);
	expect_status(&r, 0);
	expect_text(r.out, "\"applied\": true");
	expect_text(r.out, "\"units\": 4");
	expect_text(r.out, "\"people\": 1");
	expect_text(r.out, "\"projects\": 1");
	expect_text(r.out, "\"plans\": 1");
	expect_text(r.out, "\"nodes\": 1");
	expect_text(r.out, "\"tasks\": 1");
	e2e_run_free(&r);
	assert_int_equal(count(s, "units"), 1 + 4);
	assert_int_equal(count(s, "people"), 1);
	assert_int_equal(count(s, "projects"), 1);
	assert_int_equal(count(s, "project_units"), 2);
	assert_int_equal(count(s, "plans"), 1);
	assert_int_equal(count(s, "nodes"), 1);
	assert_int_equal(count(s, "tasks"), 1);
	assert_int_equal(
	    query(s, "SELECT count(*) FROM units WHERE code = ?1 AND kind = 'town'", "WX"), 1);
	assert_int_equal(query(s, "SELECT count(*) FROM tasks WHERE description = ?1",
	                       "办理施工许可,\n含消防审查"),
	                 1);
}

static void test_bom_crlf(void **state)
{
	e2e_server *s = *state;
	char path[E2E_PATH_MAX];
	put_file(s, "units.csv",
	         "\xef\xbb\xbf"
	         "code,name,kind,parent\r\n"
	         "WX,五乡镇,town,office\r\n"
	         "\"XY\",\"下应街道\",\"town\",\"office\"\r\n",
	         path, sizeof path);
	const char *args[] = {path, NULL};
	e2e_run r;
	import(s, s->admin_token, args, &r);
	expect_status(&r, 0);
	expect_text(r.out, "Imported 2 rows:");
	e2e_run_free(&r);
	assert_int_equal(query(s,
	                       "SELECT count(*) FROM units WHERE code IN ('WX', 'XY') AND "
	                       "name IN ('五乡镇', '下应街道') AND kind = 'town'",
	                       NULL),
	                 2);
}

/* ---- bad lines --------------------------------------------------------------- */

static void test_bad_lines_on_server(void **state)
{
	e2e_server *s = *state;
	district_files f;
	put_district(s, &f);
	/* Lines 3, 4 and 5 are bad, 2 and 6 good. */
	put_file(s, "projects.csv",
	         "code,name,level,category,stage,lead_leader,lead_unit,town,total_investment,"
	         "planned_start,planned_finish\n"
	         "P101,甲项目,district,industrial,new,张三,FGJ,WX,100,2026-01-01,2026-12-31\n"
	         "P102,乙项目,district,industrial,new,赵六,FGJ,WX,100,2026-01-01,2026-12-31\n"
	         "P103,丙项目,district,industrial,new,张三,FGJ,WX,100,2026-06-01,2026-05-31\n"
	         "P104,丁项目,district,industrial,new,张三,FGJ,WX,-5,2026-01-01,2026-12-31\n"
	         "P105,戊项目,district,industrial,new,李四,FGJ,WX,100,2026-01-01,2026-12-31\n",
	         f.projects, sizeof f.projects);
	counts before = all_counts(s);
	const char *args[] = {f.units, f.people, f.projects, NULL};
	e2e_run r;
	import(s, s->admin_token, args, &r);
	expect_status(&r, 3);
	char want[E2E_PATH_MAX + 64];
	snprintf(want, sizeof want, "%s:3: lead_leader: ", f.projects);
	expect_text(r.err, want);
	snprintf(want, sizeof want, "%s:4: planned_finish: ", f.projects);
	expect_text(r.err, want);
	snprintf(want, sizeof want, "%s:5: total_investment: ", f.projects);
	expect_text(r.err, want);
	expect_text(r.err, "Nothing was written");
	snprintf(want, sizeof want, "%s:2:", f.projects);
	assert_null(strstr(r.err, want));
	snprintf(want, sizeof want, "%s:6:", f.projects);
	assert_null(strstr(r.err, want));
	/* Three errors and the closing line. */
	assert_int_equal(e2e_count_lines(r.err), 4);
	assert_string_equal(r.out, "");
	e2e_run_free(&r);
	/* The good units, people and projects are not written either. */
	assert_counts_equal(all_counts(s), before);
	assert_int_equal(count(s, "units"), 1);
}

static void test_bad_lines_local(void **state)
{
	e2e_server *s = *state;
	char path[E2E_PATH_MAX], units[E2E_PATH_MAX];
	put_file(s, "units.csv", UNITS_CSV, units, sizeof units);
	put_file(s, "projects.csv",
	         "code,name,level,total_investment\n" /* 1 */
	         "P1,\"甲,\n项目\",city,100\n"        /* 2-3 */
	         "P2,乙项目,city\n"                   /* 4: ragged */
	         "P3,丙项目,villa,1.5\n"              /* 5: two bad cells */
	         "P4,丁项目,city,\"12,000\"\n",       /* 6 */
	         path, sizeof path);
	counts before = all_counts(s);
	const char *args[] = {units, path, NULL};
	e2e_run r;
	import(s, s->admin_token, args, &r);
	expect_status(&r, 3);
	char want[E2E_PATH_MAX + 80];
	snprintf(want, sizeof want, "%s:4: ragged row: 3 fields where the header has 4", path);
	expect_text(r.err, want);
	snprintf(want, sizeof want, "%s:5: level: \"villa\" is not one of city, district, town",
	         path);
	expect_text(r.err, want);
	snprintf(want, sizeof want, "%s:5: total_investment: \"1.5\" is not a whole number", path);
	expect_text(r.err, want);
	snprintf(want, sizeof want, "%s:6: total_investment: \"12,000\" is not a whole number",
	         path);
	expect_text(r.err, want);
	expect_text(r.err, "Nothing was sent");
	assert_int_equal(e2e_count_lines(r.err), 5);
	e2e_run_free(&r);
	assert_counts_equal(all_counts(s), before);

	/* A column no kind has, in a combined file. */
	put_file(s, "mixed.csv", "kind,code,name,colour\nunit,Q1,某单位,red\n", path, sizeof path);
	const char *args2[] = {path, NULL};
	import(s, s->admin_token, args2, &r);
	expect_status(&r, 3);
	snprintf(want, sizeof want, "%s:1: colour: unknown column", path);
	expect_text(r.err, want);
	e2e_run_free(&r);
	assert_counts_equal(all_counts(s), before);
}

/* ---- dry run ----------------------------------------------------------------- */

static void test_dry_run(void **state)
{
	e2e_server *s = *state;
	district_files f;
	put_district(s, &f);
	counts before = all_counts(s);
	const char *args[] = {"--dry-run", f.units, f.people, f.projects,
	                      f.plans,     f.nodes, f.tasks,  NULL};
	e2e_run r;
	import(s, s->admin_token, args, &r);
	expect_status(&r, 0);
	expect_text(r.out, "dry run: 20 rows would be written");
	expect_text(r.out, "projects  3");
	e2e_run_free(&r);
	assert_counts_equal(all_counts(s), before);

	/* A dry run reports bad lines as a real one does. */
	put_file(s, "plans.csv", "project,year,month,invested\nP001,2026,13,5\n", f.plans,
	         sizeof f.plans);
	const char *bad[] = {"--dry-run", f.units, f.people, f.projects, f.plans, NULL};
	import(s, s->admin_token, bad, &r);
	expect_status(&r, 3);
	char want[E2E_PATH_MAX + 32];
	snprintf(want, sizeof want, "%s:2: month: ", f.plans);
	expect_text(r.err, want);
	e2e_run_free(&r);
	assert_counts_equal(all_counts(s), before);

	/* The same files for real afterwards. */
	const char *real[] = {f.units, f.people, f.projects, f.nodes, f.tasks, NULL};
	import(s, s->admin_token, real, &r);
	expect_status(&r, 0);
	expect_text(r.out, "Imported 16 rows:");
	e2e_run_free(&r);
	assert_int_equal(count(s, "projects"), 3);
	assert_int_equal(count(s, "plans"), 0);
}

/* ---- who may import ---------------------------------------------------------- */

/* A new account of role bound to unit and person (either may be NULL); its
 * token goes in token. */
static void new_account(luoshi_client *c, int role, const char *unit, const char *person,
                        char *token, size_t size)
{
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = (Luoshi__V1__Role)role;
	req.name = "导入者";
	req.unit = (char *)unit;
	req.person = (char *)person;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, "/luoshi.v1.AccountService/CreateAccount", &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("CreateAccount: %s %s", ls_code_name(rc), st.message);
	snprintf(token, size, "%s", ((Luoshi__V1__CreateAccountResponse *)m)->token);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_roles(void **state)
{
	e2e_server *s = *state;
	district_files f;
	put_district(s, &f);
	const char *base[] = {f.units, f.people, NULL};
	e2e_run r;
	import(s, s->admin_token, base, &r);
	expect_status(&r, 0);
	e2e_run_free(&r);

	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	const struct {
		int role;
		const char *unit, *person;
	} who[] = {
	    {LUOSHI__V1__ROLE__ROLE_LEADER, NULL, "ZS"},
	    {LUOSHI__V1__ROLE__ROLE_TOWN, "WX", NULL},
	    {LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "FGJ", "WW"},
	    {LUOSHI__V1__ROLE__ROLE_INSPECTOR, NULL, NULL},
	    {LUOSHI__V1__ROLE__ROLE_DISCIPLINE, NULL, NULL},
	    {LUOSHI__V1__ROLE__ROLE_VIEWER, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
		char token[128];
		new_account(c, who[i].role, who[i].unit, who[i].person, token, sizeof token);
		counts before = all_counts(s);
		const char *args[] = {f.projects, f.plans, f.nodes, f.tasks, NULL};
		import(s, token, args, &r);
		expect_status(&r, LS_PERMISSION_DENIED);
		expect_text(r.err, "PERMISSION_DENIED");
		e2e_run_free(&r);
		const char *dry[] = {"--dry-run", f.projects, NULL};
		import(s, token, dry, &r);
		expect_status(&r, LS_PERMISSION_DENIED);
		e2e_run_free(&r);
		assert_counts_equal(all_counts(s), before);
	}
	luoshi_client_close(c);
	assert_int_equal(count(s, "projects"), 0);
}

/* ---- idempotency and limits -------------------------------------------------- */

static void test_retry(void **state)
{
	e2e_server *s = *state;
	district_files f;
	put_district(s, &f);
	const char *args[] = {"--key", "import-2026-01", f.units, f.people, NULL};
	e2e_run r1, r2;
	import(s, s->admin_token, args, &r1);
	expect_status(&r1, 0);
	expect_text(r1.out, "Imported 8 rows:");
	counts after = all_counts(s);
	/* The retry is answered from the record, not run again (which would
	 * fail: every code is taken now). */
	import(s, s->admin_token, args, &r2);
	expect_status(&r2, 0);
	assert_string_equal(r2.out, r1.out);
	e2e_run_free(&r1);
	e2e_run_free(&r2);
	assert_counts_equal(all_counts(s), after);
	assert_int_equal(count(s, "units"), 1 + 5);

	/* Without the key the same import runs again, and every row clashes. */
	const char *again[] = {f.units, NULL};
	import(s, s->admin_token, again, &r1);
	expect_status(&r1, 3);
	char want[E2E_PATH_MAX + 16];
	for (int line = 2; line <= 6; line++) {
		snprintf(want, sizeof want, "%s:%d: ", f.units, line);
		expect_text(r1.err, want);
	}
	e2e_run_free(&r1);
	/* The key of another request is refused. */
	const char *other[] = {"--key", "import-2026-01", f.units, NULL};
	import(s, s->admin_token, other, &r1);
	expect_status(&r1, LS_FAILED_PRECONDITION);
	e2e_run_free(&r1);
	assert_counts_equal(all_counts(s), after);
}

/* Through the library: the same key answers the same bytes. */
static void test_retry_library(void **state)
{
	e2e_server *s = *state;
	Luoshi__V1__ImportRegistryRequest *req = ls_csvrows_request_new();
	ls_csv_errors errs = LS_CSV_ERRORS_INIT;
	assert_int_equal(ls_csvrows_parse("units.csv", UNITS_CSV, strlen(UNITS_CSV), LS_CSV_AUTO,
	                                  req, &errs, NULL, NULL),
	                 0);
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	ProtobufCMessage *m1, *m2;
	ls_status st;
	assert_int_equal(e2e_call(c, M_IMPORT, &req->base, "lib-key-1", &m1, &st), LS_OK);
	assert_int_equal(e2e_call(c, M_IMPORT, &req->base, "lib-key-1", &m2, &st), LS_OK);
	const Luoshi__V1__ImportRegistryResponse *a = (Luoshi__V1__ImportRegistryResponse *)m1;
	const Luoshi__V1__ImportRegistryResponse *b = (Luoshi__V1__ImportRegistryResponse *)m2;
	assert_true(a->applied && b->applied);
	assert_int_equal(a->units, 5);
	assert_int_equal(b->units, 5);
	assert_int_equal(a->n_errors, 0);
	assert_int_equal(b->n_errors, 0);
	protobuf_c_message_free_unpacked(m1, NULL);
	protobuf_c_message_free_unpacked(m2, NULL);
	assert_int_equal(count(s, "units"), 1 + 5);
	assert_int_equal(query(s, "SELECT count(*) FROM audit_log WHERE method = ?1",
	                       "/luoshi.v1.RegistryService/CreateUnit"),
	                 5);

	/* A bad row's answer: OK, not applied, the row's line and field. */
	protobuf_c_message_free_unpacked(&req->base, NULL);
	req = ls_csvrows_request_new();
	const char bad[] = "code,name,kind\nNEW1,新单位,town\nNEW2,,town\n";
	assert_int_equal(
	    ls_csvrows_parse("units.csv", bad, strlen(bad), LS_CSV_AUTO, req, &errs, NULL, NULL),
	    0);
	assert_int_equal(e2e_call(c, M_IMPORT, &req->base, NULL, &m1, &st), LS_OK);
	a = (Luoshi__V1__ImportRegistryResponse *)m1;
	assert_false(a->applied);
	assert_int_equal(a->units, 1);
	assert_int_equal(a->n_errors, 1);
	assert_string_equal(a->errors[0]->source, "units.csv");
	assert_int_equal(a->errors[0]->line, 3);
	assert_string_equal(a->errors[0]->field, "name");
	protobuf_c_message_free_unpacked(m1, NULL);
	assert_int_equal(count(s, "units"), 1 + 5);

	/* An empty request, and one row too many. */
	protobuf_c_message_free_unpacked(&req->base, NULL);
	req = ls_csvrows_request_new();
	assert_int_equal(e2e_call(c, M_IMPORT, &req->base, NULL, &m1, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "rows");
	Luoshi__V1__CreateUnitRequest unit = LUOSHI__V1__CREATE_UNIT_REQUEST__INIT;
	unit.code = "X";
	Luoshi__V1__ImportRow row = LUOSHI__V1__IMPORT_ROW__INIT;
	row.row_case = LUOSHI__V1__IMPORT_ROW__ROW_UNIT;
	row.unit = &unit;
	Luoshi__V1__ImportRow **rows = malloc(100001 * sizeof *rows);
	assert_non_null(rows);
	for (size_t i = 0; i < 100001; i++)
		rows[i] = &row;
	Luoshi__V1__ImportRegistryRequest big = LUOSHI__V1__IMPORT_REGISTRY_REQUEST__INIT;
	big.rows = rows;
	big.n_rows = 100001;
	assert_int_equal(e2e_call(c, M_IMPORT, &big.base, NULL, &m1, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "rows");
	free(rows);
	luoshi_client_close(c);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	ls_csv_errors_fini(&errs);
	assert_int_equal(count(s, "units"), 1 + 5);
}

/* ---- the command line -------------------------------------------------------- */

static void test_cli_usage(void **state)
{
	e2e_server *s = *state;
	const char *help[] = {"--help", NULL};
	e2e_run r;
	import(s, s->admin_token, help, &r);
	expect_status(&r, 0);
	expect_text(r.out, "Usage: luoshi import registry");
	e2e_run_free(&r);
	const char *kind[] = {"--kind", "building", "x.csv", NULL};
	import(s, s->admin_token, kind, &r);
	expect_status(&r, 3);
	expect_text(r.err, "unknown kind 'building'");
	e2e_run_free(&r);
	const char *none[] = {NULL};
	import(s, s->admin_token, none, &r);
	expect_status(&r, 3);
	expect_text(r.err, "no file given");
	e2e_run_free(&r);
	/* --kind reads a file of any name. */
	char path[E2E_PATH_MAX];
	put_file(s, "名单.csv", "code,name,kind\nWX,五乡镇,town\n", path, sizeof path);
	const char *given[] = {"--kind", "unit", path, NULL};
	import(s, s->admin_token, given, &r);
	expect_status(&r, 0);
	expect_text(r.out, "Imported 1 row:");
	e2e_run_free(&r);
	assert_int_equal(count(s, "units"), 2);
	/* A missing file. */
	snprintf(path, sizeof path, "%s/nowhere.csv", s->dir);
	const char *missing[] = {path, NULL};
	import(s, s->admin_token, missing, &r);
	expect_status(&r, 3);
	expect_text(r.err, "cannot read the file");
	e2e_run_free(&r);
}

/* Under a Chinese locale the counts read in Chinese. */
static void test_chinese(void **state)
{
	e2e_server *s = *state;
	district_files f;
	put_district(s, &f);
	const char *args[] = {"import", "registry", "--dry-run", f.units, NULL};
	e2e_run r;
	e2e_cli(s->dir, s->tcp_url, s->admin_token, "zh_CN.UTF-8", args, &r);
	expect_status(&r, 0);
	expect_text(r.out, "试运行：将写入 5 行");
	expect_text(r.out, "  单位      5\n");
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_separate_files, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_combined_file, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_bom_crlf, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_lines_on_server, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_lines_local, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_roles, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_retry, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_retry_library, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli_usage, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_chinese, e2e_setup, e2e_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
