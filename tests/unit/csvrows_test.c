/* Registry CSV -> ImportRow conversion, on hand-written files whose rows,
 * lines and errors are counted by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "csvrows.h"
#include "luoshi/v1/progress.pb-c.h"
#include "luoshi/v1/project.pb-c.h"
#include "luoshi/v1/registry.pb-c.h"
#include "luoshi/v1/schedule.pb-c.h"
#include "rpc.h"

typedef struct fixture {
	Luoshi__V1__ImportRegistryRequest *req;
	ls_csv_errors errs;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->req = ls_csvrows_request_new();
	assert_non_null(f->req);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	protobuf_c_message_free_unpacked(&f->req->base, NULL);
	ls_csv_errors_fini(&f->errs);
	free(f);
	return 0;
}

static long parse(fixture *f, const char *source, const char *text, ls_csv_kind kind)
{
	return ls_csvrows_parse(source, text, strlen(text), kind, f->req, &f->errs, NULL, NULL);
}

/* Asserts error i of f: its line, column (NULL: none) and a piece of its
 * message. */
static void check_error(const fixture *f, size_t i, const char *source, uint32_t line,
                        const char *column, const char *piece)
{
	assert_true(i < f->errs.n);
	const ls_csv_error *e = &f->errs.v[i];
	assert_string_equal(e->source, source);
	assert_int_equal(e->line, line);
	if (column == NULL)
		assert_null(e->column);
	else
		assert_string_equal(e->column, column);
	if (strstr(e->message, piece) == NULL)
		fail_msg("error %zu is \"%s\", without \"%s\"", i, e->message, piece);
}

static const Luoshi__V1__CreateUnitRequest *unit_row(const fixture *f, size_t i)
{
	assert_true(i < f->req->n_rows);
	assert_int_equal(f->req->rows[i]->row_case, LUOSHI__V1__IMPORT_ROW__ROW_UNIT);
	return f->req->rows[i]->unit;
}

/* ---- kinds ------------------------------------------------------------------- */

static void kind_names(void **state)
{
	(void)state;
	assert_int_equal(ls_csv_kind_from_name("person"), LS_CSV_PERSON);
	assert_int_equal(ls_csv_kind_from_name("People"), LS_CSV_PERSON);
	assert_int_equal(ls_csv_kind_from_name("TASKS"), LS_CSV_TASK);
	assert_int_equal(ls_csv_kind_from_name("auto"), -1);
	assert_int_equal(ls_csv_kind_from_name("person;"), -1);
	assert_int_equal(ls_csv_kind_from_path("/tmp/x/projects.csv"), LS_CSV_PROJECT);
	assert_int_equal(ls_csv_kind_from_path("PLANS.CSV"), LS_CSV_PLAN);
	assert_int_equal(ls_csv_kind_from_path("people.csv"), LS_CSV_PERSON);
	assert_int_equal(ls_csv_kind_from_path("units.csv.bak"), LS_CSV_AUTO);
	assert_int_equal(ls_csv_kind_from_path("my-units.csv"), LS_CSV_AUTO);
	assert_int_equal(ls_csv_kind_from_path("registry.csv"), LS_CSV_AUTO);
	assert_string_equal(ls_csv_kind_name(LS_CSV_NODE), "node");
}

/* ---- units: BOM, CRLF, enum forms ------------------------------------------- */

static void units_bom_crlf_enums(void **state)
{
	fixture *f = *state;
	const char *csv = "\xef\xbb\xbf"
	                  "code,name,kind,parent\r\n"
	                  "YZ,鄞州区,UNIT_DISTRICT,\r\n"
	                  "WX,五乡镇,town,YZ\r\n"
	                  "ZJ,住建局,Department,YZ\r\n"
	                  "ZH,综合协调组,support-group,YZ\r\n"
	                  "DC,督查一组,6,YZ\r\n"
	                  "JW,区纪委,discipline,\r\n";
	assert_int_equal(parse(f, "units.csv", csv, LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 6);
	const Luoshi__V1__CreateUnitRequest *u = unit_row(f, 0);
	assert_string_equal(u->code, "YZ");
	assert_string_equal(u->name, "鄞州区");
	assert_true(u->has_kind);
	assert_int_equal(u->kind, LUOSHI__V1__UNIT_KIND__UNIT_DISTRICT);
	assert_null(u->parent); /* an empty cell leaves the field absent */
	assert_int_equal(f->req->rows[0]->line, 2);
	assert_string_equal(f->req->rows[0]->source, "units.csv");
	assert_int_equal(unit_row(f, 1)->kind, LUOSHI__V1__UNIT_KIND__UNIT_TOWN);
	assert_string_equal(unit_row(f, 1)->parent, "YZ");
	assert_int_equal(unit_row(f, 2)->kind, LUOSHI__V1__UNIT_KIND__UNIT_DEPARTMENT);
	assert_int_equal(unit_row(f, 3)->kind, LUOSHI__V1__UNIT_KIND__UNIT_SUPPORT_GROUP);
	assert_int_equal(unit_row(f, 4)->kind, LUOSHI__V1__UNIT_KIND__UNIT_INSPECTION_GROUP);
	assert_int_equal(unit_row(f, 5)->kind, LUOSHI__V1__UNIT_KIND__UNIT_DISCIPLINE);
	assert_int_equal(f->req->rows[5]->line, 7);
	/* No trailing newline on the last record, and no BOM. */
	assert_int_equal(parse(f, "units.csv", "code,name\nA1,甲", LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 7);
	assert_string_equal(unit_row(f, 6)->name, "甲");
	assert_false(unit_row(f, 6)->has_kind);
}

/* ---- projects: every cell type ----------------------------------------------- */

static void project_cells(void **state)
{
	fixture *f = *state;
	const char *csv =
	    "code,name,level,category,stage,lead_leader,lead_unit,contributing_units,town,"
	    "total_investment,frequency,planned_start,planned_finish,land_clearance,fast_track\n"
	    "P1,奥克斯高端家电,LEVEL_CITY,special-task,2,张三,FGJ, ZJ ; GH；ZRZY ;,WX,218900,"
	    "monthly,2026-01-01,2027-12-31,yes,是\n"
	    "P2,小项目,town,livelihood,new,,,,,-5,,,,0,false\n";
	assert_int_equal(parse(f, "projects.csv", csv, LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 2);
	assert_int_equal(f->req->rows[0]->row_case, LUOSHI__V1__IMPORT_ROW__ROW_PROJECT);
	const Luoshi__V1__CreateProjectRequest *p = f->req->rows[0]->project;
	assert_string_equal(p->code, "P1");
	assert_string_equal(p->name, "奥克斯高端家电");
	assert_int_equal(p->level, LUOSHI__V1__LEVEL__LEVEL_CITY);
	assert_int_equal(p->category, LUOSHI__V1__CATEGORY__CATEGORY_SPECIAL_TASK);
	assert_int_equal(p->stage, LUOSHI__V1__STAGE__STAGE_CONTINUING);
	assert_string_equal(p->lead_leader, "张三");
	assert_int_equal(p->n_contributing_units, 3);
	assert_string_equal(p->contributing_units[0], "ZJ");
	assert_string_equal(p->contributing_units[1], "GH");
	assert_string_equal(p->contributing_units[2], "ZRZY");
	assert_true(p->has_total_investment);
	assert_int_equal(p->total_investment, 218900);
	assert_int_equal(p->frequency, LUOSHI__V1__FREQUENCY__FREQUENCY_MONTHLY);
	assert_string_equal(p->planned_finish, "2027-12-31");
	assert_true(p->has_land_clearance && p->land_clearance);
	assert_true(p->has_fast_track && p->fast_track);
	p = f->req->rows[1]->project;
	assert_int_equal(f->req->rows[1]->line, 3);
	assert_int_equal(p->level, LUOSHI__V1__LEVEL__LEVEL_TOWN);
	assert_int_equal(p->stage, LUOSHI__V1__STAGE__STAGE_NEW);
	/* The server, not the converter, refuses a negative total. */
	assert_int_equal(p->total_investment, -5);
	assert_null(p->lead_leader);
	assert_int_equal(p->n_contributing_units, 0);
	assert_false(p->has_frequency);
	assert_true(p->has_land_clearance);
	assert_false(p->land_clearance);
	assert_true(p->has_fast_track);
	assert_false(p->fast_track);

	const char *plans = "project,year,month,invested\n"
	                    "P1,2026,3,1200\n"
	                    "P1,+2026,12,0\n";
	assert_int_equal(parse(f, "plans.csv", plans, LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 4);
	const Luoshi__V1__SetPlanRequest *pl = f->req->rows[2]->plan;
	assert_true(pl->has_year && pl->has_month && pl->has_invested);
	assert_int_equal(pl->year, 2026);
	assert_int_equal(pl->month, 3);
	assert_int_equal(pl->invested, 1200);
	assert_int_equal(f->req->rows[3]->plan->month, 12);
	assert_int_equal(f->req->rows[3]->plan->invested, 0);
}

/* ---- quoting ----------------------------------------------------------------- */

static void quoting(void **state)
{
	fixture *f = *state;
	const char *csv = "project,name,due_date,owner_unit\n"           /* 1 */
	                  "P1,\"主体封顶, 一期\",2026-06-30,\"ZJ\"\n"    /* 2 */
	                  "P1,\"说明 \"\"A\"\" 段\n第二行\n第三行\",,\n" /* 3-5 */
	                  "\n"                                           /* 6 */
	                  "P1,\"x\r\ny\",2026-07-01,\n"                  /* 7-8 */
	                  "P1,,,\n"                                      /* 9 */
	                  ",,,\n"                                        /* 10 */
	                  "P2,竣工验收,2026-12-31,\n";                   /* 11 */
	assert_int_equal(parse(f, "nodes.csv", csv, LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 5);
	const Luoshi__V1__CreateNodeRequest *n = f->req->rows[0]->node;
	assert_string_equal(n->name, "主体封顶, 一期");
	assert_string_equal(n->owner_unit, "ZJ");
	assert_int_equal(f->req->rows[0]->line, 2);
	n = f->req->rows[1]->node;
	assert_string_equal(n->name, "说明 \"A\" 段\n第二行\n第三行");
	assert_null(n->due_date);
	assert_int_equal(f->req->rows[1]->line, 3);
	/* A CRLF inside quotes reads as LF. */
	assert_string_equal(f->req->rows[2]->node->name, "x\ny");
	assert_int_equal(f->req->rows[2]->line, 7);
	assert_int_equal(f->req->rows[3]->line, 9);
	assert_null(f->req->rows[3]->node->name);
	/* Line 10, all cells empty, is no row. */
	assert_int_equal(f->req->rows[4]->line, 11);
	assert_string_equal(f->req->rows[4]->node->project, "P2");
}

/* ---- cell errors ------------------------------------------------------------- */

static void cell_errors(void **state)
{
	fixture *f = *state;
	const char *csv =
	    "code,name,level,total_investment,fast_track,contributing_units,colour\n" /* 1 */
	    "P1,甲,city,1.5,yes,,\n"                                                  /* 2 */
	    "P2,乙,villa,\"12,000\",maybe,,\n"                                        /* 3 */
	    "P3,丙,city,100,no\n"                                                     /* 4 */
	    "P4,\"丁\n\",district,99999999999999999999,1,a;b,\n"                      /* 5-6 */
	    "P5,\xe4\xb8,town,7,0,,\n"                                                /* 7 */
	    "P6,戊,town,8,0,,\n";                                                     /* 8 */
	assert_int_equal(parse(f, "projects.csv", csv, LS_CSV_AUTO), 8);
	assert_int_equal(f->errs.n, 8);
	check_error(f, 0, "projects.csv", 1, "colour", "unknown column for project rows");
	check_error(f, 1, "projects.csv", 2, "total_investment", "\"1.5\" is not a whole number");
	check_error(f, 2, "projects.csv", 3, "level",
	            "\"villa\" is not one of city, district, town");
	check_error(f, 3, "projects.csv", 3, "total_investment",
	            "\"12,000\" is not a whole number");
	check_error(f, 4, "projects.csv", 3, "fast_track", "\"maybe\" is not one of true/false");
	check_error(f, 5, "projects.csv", 4, NULL, "ragged row: 5 fields where the header has 7");
	check_error(f, 6, "projects.csv", 5, "total_investment", "out of range");
	check_error(f, 7, "projects.csv", 7, "name", "not valid UTF-8");
	/* Only the good row is kept. */
	assert_int_equal(f->req->n_rows, 1);
	assert_string_equal(f->req->rows[0]->project->code, "P6");
	assert_int_equal(f->req->rows[0]->line, 8);

	/* 32-bit fields take 32-bit numbers. */
	assert_int_equal(
	    parse(f, "plans.csv", "project,year,month\nP1,2147483648,1\nP1,2026,-1\n", LS_CSV_AUTO),
	    1);
	check_error(f, 8, "plans.csv", 2, "year", "out of range");
	assert_int_equal(f->req->rows[1]->plan->month, -1);
}

static void header_errors(void **state)
{
	fixture *f = *state;
	assert_int_equal(parse(f, "people.csv", "code,name,name,,unit\nA,甲,乙,,U\n", LS_CSV_AUTO),
	                 2);
	check_error(f, 0, "people.csv", 1, "name", "appears twice");
	check_error(f, 1, "people.csv", 1, NULL, "column 4 has no name");
	/* The row still converts, without the bad columns. */
	assert_int_equal(f->req->n_rows, 1);
	assert_string_equal(f->req->rows[0]->person->name, "甲");
	assert_string_equal(f->req->rows[0]->person->unit, "U");

	assert_int_equal(parse(f, "people.csv", "", LS_CSV_AUTO), 1);
	check_error(f, 2, "people.csv", 1, NULL, "the file is empty");
	assert_int_equal(parse(f, "people.csv", "\xef\xbb\xbf\r\n\r\n", LS_CSV_AUTO), 1);
	check_error(f, 3, "people.csv", 1, NULL, "the file is empty");
	/* A header alone is a file of no rows. */
	assert_int_equal(parse(f, "people.csv", "code,name\n", LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 1);
}

static void bad_quoting(void **state)
{
	fixture *f = *state;
	const char *csv = "code,name\n"    /* 1 */
	                  "A,a\"b\n"       /* 2: a quote inside an unquoted field */
	                  "B,\"乙\"x\n"    /* 3: text after the closing quote */
	                  "C,丙\n"         /* 4 */
	                  "D,\"没有结尾\n" /* 5: never closed */
	                  "E,戊\n";
	assert_int_equal(parse(f, "units.csv", csv, LS_CSV_AUTO), 3);
	check_error(f, 0, "units.csv", 2, NULL, "bad quoting");
	check_error(f, 1, "units.csv", 3, NULL, "bad quoting");
	check_error(f, 2, "units.csv", 5, NULL, "not closed");
	assert_int_equal(f->req->n_rows, 1);
	assert_string_equal(unit_row(f, 0)->code, "C");
	assert_int_equal(f->req->rows[0]->line, 4);
}

static void error_cap(void **state)
{
	fixture *f = *state;
	size_t size = 64 + 150 * 32;
	char *csv = malloc(size), *at = csv;
	assert_non_null(csv);
	at += sprintf(at, "project,year,month\n");
	for (int i = 0; i < 150; i++)
		at += sprintf(at, "P1,20%02d.5,1\n", i % 100);
	assert_int_equal(parse(f, "plans.csv", csv, LS_CSV_AUTO), 150);
	free(csv);
	assert_int_equal(f->errs.n, LS_CSVROWS_MAX_ERRORS);
	assert_int_equal(f->errs.dropped, 50);
	assert_int_equal(ls_csv_errors_total(&f->errs), 150);
	check_error(f, 99, "plans.csv", 101, "year", "\"2099.5\" is not a whole number");
	assert_int_equal(f->req->n_rows, 0);
}

/* ---- kind rules -------------------------------------------------------------- */

static void kind_from_argument(void **state)
{
	fixture *f = *state;
	/* The argument wins over the file's name. */
	assert_int_equal(
	    parse(f, "units.csv", "code,name,title,unit\nZS,张三,区长,YZ\n", LS_CSV_PERSON), 0);
	assert_int_equal(f->req->rows[0]->row_case, LUOSHI__V1__IMPORT_ROW__ROW_PERSON);
	assert_string_equal(f->req->rows[0]->person->title, "区长");
	/* In a unit file "kind" is the unit's kind. */
	assert_int_equal(parse(f, "list.csv", "code,name,kind\nT1,塘溪镇,town\n", LS_CSV_UNIT), 0);
	assert_int_equal(unit_row(f, 1)->kind, LUOSHI__V1__UNIT_KIND__UNIT_TOWN);
	/* Neither argument, nor a file name, nor a kind column. */
	assert_int_equal(parse(f, "list.csv", "code,name\nT2,姜山镇\n", LS_CSV_AUTO), 1);
	check_error(f, 0, "list.csv", 1, NULL, "cannot tell what the rows are");
	assert_int_equal(f->req->n_rows, 2);
	/* A kind column in a file of one kind must agree with it. */
	assert_int_equal(parse(f, "tasks.csv",
	                       "kind,project,description\ntask,P1,拆迁\n,P1,清表\nnode,P1,x\n",
	                       LS_CSV_AUTO),
	                 1);
	check_error(f, 1, "tasks.csv", 4, "kind", "the rows of this file are task rows");
	assert_int_equal(f->req->n_rows, 4);
	assert_string_equal(f->req->rows[3]->task->description, "清表");
}

static void combined_file(void **state)
{
	fixture *f = *state;
	const char *csv = "kind,code,name,unit_kind,parent,unit,project,year,month,invested,"
	                  "description\n"                    /* 1 */
	                  "task,,,,,ZJ,P1,,,,办理施工许可\n" /* 2 */
	                  "unit,YZ,鄞州区,district,,,,,,,\n" /* 3 */
	                  "person,ZS,张三,,,YZ,,,,,\n"       /* 4 */
	                  "Plans,,,,,,P1,2026,5,300,\n"      /* 5 */
	                  "unit,WX,五乡镇,town,YZ,,,,,,\n"   /* 6 */
	                  "project,P1,奥克斯,,,,,,,,\n";     /* 7 */
	assert_int_equal(parse(f, "registry.csv", csv, LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 6);
	assert_int_equal(f->req->rows[0]->row_case, LUOSHI__V1__IMPORT_ROW__ROW_TASK);
	assert_string_equal(f->req->rows[0]->task->unit, "ZJ");
	assert_string_equal(f->req->rows[0]->task->description, "办理施工许可");
	assert_int_equal(unit_row(f, 1)->kind, LUOSHI__V1__UNIT_KIND__UNIT_DISTRICT);
	assert_string_equal(f->req->rows[2]->person->unit, "YZ");
	assert_int_equal(f->req->rows[3]->plan->invested, 300);

	/* Units, people, projects, plans, nodes, tasks; one kind keeps its
	 * order. */
	ls_csvrows_sort(f->req);
	const int order[] = {
	    LUOSHI__V1__IMPORT_ROW__ROW_UNIT,   LUOSHI__V1__IMPORT_ROW__ROW_UNIT,
	    LUOSHI__V1__IMPORT_ROW__ROW_PERSON, LUOSHI__V1__IMPORT_ROW__ROW_PROJECT,
	    LUOSHI__V1__IMPORT_ROW__ROW_PLAN,   LUOSHI__V1__IMPORT_ROW__ROW_TASK};
	const uint32_t lines[] = {3, 6, 4, 7, 5, 2};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(f->req->rows[i]->row_case, order[i]);
		assert_int_equal(f->req->rows[i]->line, lines[i]);
	}
	assert_string_equal(unit_row(f, 1)->code, "WX");
}

static void combined_errors(void **state)
{
	fixture *f = *state;
	const char *csv = "kind,code,name,year,due_date,hue\n" /* 1 */
	                  "unit,U1,甲,2026,,\n"                /* 2: a unit has no year */
	                  ",U2,乙,,,\n"                        /* 3: no kind */
	                  "building,U3,丙,,,\n"                /* 4: no such kind */
	                  "node,,节点,,2026-01-01,\n";         /* 5 */
	assert_int_equal(parse(f, "mixed.csv", csv, LS_CSV_AUTO), 4);
	check_error(f, 0, "mixed.csv", 1, "hue", "unknown column: no kind of row has it");
	check_error(f, 1, "mixed.csv", 2, "year", "a unit row has no year");
	check_error(f, 2, "mixed.csv", 3, "kind", "the kind is missing");
	check_error(f, 3, "mixed.csv", 4, "kind", "\"building\" is not one of unit");
	assert_int_equal(f->req->n_rows, 1);
	assert_string_equal(f->req->rows[0]->node->due_date, "2026-01-01");
}

/* ---- progress updates --------------------------------------------------------- */

static const Luoshi__V1__SubmitUpdateRequest *update_row(const fixture *f, size_t i)
{
	assert_true(i < f->req->n_rows);
	assert_int_equal(f->req->rows[i]->row_case, LUOSHI__V1__IMPORT_ROW__ROW_UPDATE);
	return f->req->rows[i]->update;
}

static void update_kind(void **state)
{
	(void)state;
	assert_int_equal(ls_csv_kind_from_name("update"), LS_CSV_UPDATE);
	assert_int_equal(ls_csv_kind_from_name("Updates"), LS_CSV_UPDATE);
	assert_int_equal(ls_csv_kind_from_path("/data/2026/UPDATES.csv"), LS_CSV_UPDATE);
	assert_int_equal(ls_csv_kind_from_path("updates-w48.csv"), LS_CSV_AUTO);
	assert_string_equal(ls_csv_kind_name(LS_CSV_UPDATE), "update");
}

static void update_cells(void **state)
{
	fixture *f = *state;
	const char *csv =
	    "project,week,month,date,invested,percent,progress,output,nodes_done,next_plan,"
	    "support_needed\n"                                                       /* 1 */
	    "P1,2026-W05,,,1200,35,已完成地下室施工,800,12;7；9,主体施工,用地指标\n" /* 2 */
	    "P3,,2026-01,,0,100,\"竣工, 已验收\",,\" 4 ; ;\",,\n"                    /* 3 */
	    "中车产业基地,,,2026-01-28,+5,0,开工,,,,\n";                             /* 4 */
	assert_int_equal(parse(f, "updates.csv", csv, LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 3);
	const Luoshi__V1__SubmitUpdateRequest *u = update_row(f, 0);
	assert_string_equal(u->project, "P1");
	assert_string_equal(u->week, "2026-W05");
	assert_null(u->month);
	assert_null(u->date);
	assert_true(u->has_invested);
	assert_int_equal(u->invested, 1200);
	assert_true(u->has_percent);
	assert_int_equal(u->percent, 35);
	assert_string_equal(u->progress, "已完成地下室施工");
	assert_true(u->has_output);
	assert_int_equal(u->output, 800);
	/* A repeated integer: each part a whole number, in the order given. */
	assert_int_equal(u->n_nodes_done, 3);
	assert_int_equal(u->nodes_done[0], 12);
	assert_int_equal(u->nodes_done[1], 7);
	assert_int_equal(u->nodes_done[2], 9);
	assert_string_equal(u->next_plan, "主体施工");
	assert_string_equal(u->support_needed, "用地指标");
	assert_int_equal(u->n_photos, 0);
	assert_int_equal(f->req->rows[0]->line, 2);

	u = update_row(f, 1);
	assert_string_equal(u->month, "2026-01");
	assert_null(u->week);
	assert_true(u->has_invested);
	assert_int_equal(u->invested, 0); /* a 0 is given, not absent */
	assert_int_equal(u->percent, 100);
	assert_string_equal(u->progress, "竣工, 已验收");
	assert_false(u->has_output);
	assert_int_equal(u->n_nodes_done, 1); /* blanks and empty parts skipped */
	assert_int_equal(u->nodes_done[0], 4);
	assert_null(u->next_plan);
	assert_null(u->support_needed);

	u = update_row(f, 2);
	assert_string_equal(u->project, "中车产业基地");
	assert_string_equal(u->date, "2026-01-28");
	assert_int_equal(u->invested, 5);
	assert_true(u->has_percent);
	assert_int_equal(u->percent, 0);
	assert_int_equal(u->n_nodes_done, 0);
	assert_int_equal(f->req->rows[2]->line, 4);
}

static void update_errors(void **state)
{
	fixture *f = *state;
	const char *csv =
	    "project,week,invested,percent,progress,nodes_done,photos,colour\n" /* 1 */
	    "P1,2026-W05,1.5,10,x,,,\n"                                         /* 2 */
	    "P1,2026-W06,10,-1,x,,,\n"                                          /* 3 */
	    "P1,2026-W07,10,10,x,1;x;3,,\n"                                     /* 4 */
	    "P1,2026-W08,10,10,x,99999999999999999999,,\n"                      /* 5 */
	    "P1,2026-W09,-3,101,x,2,a.jpg,\n";                                  /* 6 */
	assert_int_equal(parse(f, "w.csv", csv, LS_CSV_UPDATE), 6);
	assert_int_equal(f->errs.n, 6);
	check_error(f, 0, "w.csv", 1, "photos", "photos cannot be given in a CSV file");
	check_error(f, 1, "w.csv", 1, "colour", "unknown column for update rows");
	/* The columns an update takes are listed, without photos. */
	if (strstr(f->errs.v[1].message, "nodes_done, next_plan, support_needed, date)") == NULL)
		fail_msg("columns not listed as expected: %s", f->errs.v[1].message);
	check_error(f, 2, "w.csv", 2, "invested", "\"1.5\" is not a whole number");
	check_error(f, 3, "w.csv", 3, "percent", "\"-1\" is out of range");
	check_error(f, 4, "w.csv", 4, "nodes_done", "\"x\" is not a whole number");
	check_error(f, 5, "w.csv", 5, "nodes_done", "out of range");
	/* Line 6 converts: the server, not the converter, refuses a negative
	 * sum and a percent over 100, and the bad photos column is ignored. */
	assert_int_equal(f->req->n_rows, 1);
	const Luoshi__V1__SubmitUpdateRequest *u = update_row(f, 0);
	assert_int_equal(f->req->rows[0]->line, 6);
	assert_int_equal(u->invested, -3);
	assert_int_equal(u->percent, 101);
	assert_int_equal(u->n_nodes_done, 1);
	assert_int_equal(u->nodes_done[0], 2);
	assert_int_equal(u->n_photos, 0);

	/* A file of another kind has no photos column to complain about. */
	assert_int_equal(parse(f, "tasks.csv", "project,photos\nP1,x\n", LS_CSV_AUTO), 1);
	check_error(f, 6, "tasks.csv", 1, "photos", "unknown column for task rows");
}

static void update_combined(void **state)
{
	fixture *f = *state;
	/* month is an integer for a plan, a period for an update. */
	const char *csv = "kind,project,year,month,week,invested,percent,progress,description\n"
	                  "update,P1,,,2026-W05,100,20,进场,\n"  /* 2 */
	                  "plan,P1,2026,5,,300,,,\n"             /* 3 */
	                  "update,P3,,2026-02,,50,10,桩基,\n"    /* 4 */
	                  "task,P1,,,,,,,办理施工许可\n"         /* 5 */
	                  "update,P1,,,2026-W05,120,22,修正,\n"; /* 6 */
	assert_int_equal(parse(f, "history.csv", csv, LS_CSV_AUTO), 0);
	assert_int_equal(f->req->n_rows, 5);
	assert_int_equal(f->req->rows[1]->plan->month, 5);
	assert_string_equal(update_row(f, 2)->month, "2026-02");
	assert_int_equal(update_row(f, 2)->invested, 50);
	/* Updates go last, after the registry rows they report on, in the
	 * order of the file (two revisions of one week stay in order). */
	ls_csvrows_sort(f->req);
	const int order[] = {LUOSHI__V1__IMPORT_ROW__ROW_PLAN, LUOSHI__V1__IMPORT_ROW__ROW_TASK,
	                     LUOSHI__V1__IMPORT_ROW__ROW_UPDATE, LUOSHI__V1__IMPORT_ROW__ROW_UPDATE,
	                     LUOSHI__V1__IMPORT_ROW__ROW_UPDATE};
	const uint32_t lines[] = {3, 5, 2, 4, 6};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(f->req->rows[i]->row_case, order[i]);
		assert_int_equal(f->req->rows[i]->line, lines[i]);
	}
	assert_int_equal(update_row(f, 4)->invested, 120);

	/* A photos column in a combined file: no kind can take it. */
	assert_int_equal(parse(f, "mixed.csv", "kind,project,photos\nupdate,P1,\n", LS_CSV_AUTO),
	                 1);
	check_error(f, 0, "mixed.csv", 1, "photos", "cannot be given in a CSV file");
	assert_int_equal(f->req->n_rows, 6);
}

/* ---- files and progress ------------------------------------------------------ */

static void progress_cb(void *arg, size_t done, size_t total, size_t rows)
{
	size_t *last = arg;
	assert_true(done <= total);
	last[0] = done;
	last[1] = total;
	last[2] = rows;
}

static void files(void **state)
{
	fixture *f = *state;
	char dir[] = "/tmp/csvrows_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/tasks.csv", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("project,description,unit,person,due_date\nP1,拆迁,ZJ,ZS,2026-03-31\n", fp);
	fclose(fp);
	size_t last[3] = {0, 0, 0};
	assert_int_equal(
	    ls_csvrows_parse_file(path, LS_CSV_AUTO, f->req, &f->errs, progress_cb, last), 0);
	assert_int_equal(last[0], last[1]);
	assert_int_equal(last[2], 1);
	assert_int_equal(f->req->n_rows, 1);
	assert_string_equal(f->req->rows[0]->source, path);
	assert_string_equal(f->req->rows[0]->task->person, "ZS");
	unlink(path);
	assert_int_equal(ls_csvrows_parse_file(path, LS_CSV_AUTO, f->req, &f->errs, NULL, NULL), 1);
	check_error(f, 0, path, 0, NULL, "cannot read the file");
	rmdir(dir);
}

/* An error is one line of UTF-8 whatever the file holds: a column name or
 * a cell with a quoted line break, and a cell so long that the message
 * quoting it is cut (found by fuzz_csv). */
static void errors_one_line(void **state)
{
	fixture *f = *state;
	parse(f, "nodes.csv", "project,\"due\ndate\"\nP1,x\n", LS_CSV_AUTO);
	check_error(f, 0, "nodes.csv", 1, "due date", "unknown column");
	ls_csv_errors_fini(&f->errs);

	assert_int_equal(
	    parse(f, "units.csv", "code,name,kind\nWX,五乡镇,\"to\r\nwn\"\n", LS_CSV_AUTO), 1);
	check_error(f, 0, "units.csv", 2, "kind", "\"to wn\" is not one of");
	ls_csv_errors_fini(&f->errs);

	/* The reason quotes the cell in 1024 bytes: the quote and 340 of the
	 * 400 characters fit, with 2 bytes of the next, which are dropped. */
	char text[2048] = "code,name,kind\nWX,五乡镇,";
	for (int i = 0; i < 400; i++)
		strcat(text, "镇");
	strcat(text, "\n");
	assert_int_equal(parse(f, "units.csv", text, LS_CSV_AUTO), 1);
	const char *msg = f->errs.v[0].message;
	assert_int_equal(strlen(msg), 1 + 340 * 3);
	assert_true(ls_utf8_valid(msg, strlen(msg)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kind_names),
	    cmocka_unit_test_setup_teardown(units_bom_crlf_enums, setup, teardown),
	    cmocka_unit_test_setup_teardown(project_cells, setup, teardown),
	    cmocka_unit_test_setup_teardown(quoting, setup, teardown),
	    cmocka_unit_test_setup_teardown(cell_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(header_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_quoting, setup, teardown),
	    cmocka_unit_test_setup_teardown(error_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(kind_from_argument, setup, teardown),
	    cmocka_unit_test_setup_teardown(combined_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(combined_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(files, setup, teardown),
	    cmocka_unit_test_setup_teardown(errors_one_line, setup, teardown),
	    cmocka_unit_test(update_kind),
	    cmocka_unit_test_setup_teardown(update_cells, setup, teardown),
	    cmocka_unit_test_setup_teardown(update_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(update_combined, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
