/* `luoshi export`: 一图五表, one battle map and five tables. The tables go
 * to one workbook (--xlsx, libxlsxwriter) or five CSV files (--csv); the
 * battle map (攻坚作战图) to one self-contained HTML page with inline SVG
 * (--battle-map). Everything is fetched once, page by page of projects,
 * through ExportService/ExportTables; the server decides what the caller
 * may see. The files themselves are in Chinese whatever the locale: they
 * are documents of the office, not messages of the program. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <xlsxwriter.h>

#include "cli.h"
#include "luoshi/v1/export.pb-c.h"
#include "output.h"
#include "period.h"

#define M_EXPORT "/luoshi.v1.ExportService/ExportTables"

/* The most projects one page may ask for (export.proto). */
#define CLI_EXPORT_PAGE_MAX 1000

/* ---- fetching -------------------------------------------------------------------- */

/* Every page of the answer, kept whole: the tables point into them. */
typedef struct fetched {
	Luoshi__V1__ExportTablesResponse **pages;
	size_t n_pages;
	const char *as_of;
	int year;
	size_t n_projects;
} fetched;

static void fetched_free(fetched *f)
{
	for (size_t i = 0; i < f->n_pages; i++)
		protobuf_c_message_free_unpacked(&f->pages[i]->base, NULL);
	free(f->pages);
}

/* "Fetching: 200 of 300 projects" on a terminal, erased when done. */
static void show_fetch(bool on, size_t got, uint32_t total)
{
	if (!on)
		return;
	fprintf(stderr, "\r\033[K");
	fprintf(stderr,
	        ngettext("Fetching the tables: %zu of %u project",
	                 "Fetching the tables: %zu of %u projects", total),
	        got, total);
	fflush(stderr);
}

static int fetch(cli_ctx *ctx, const Luoshi__V1__ExportTablesRequest *proto, fetched *f)
{
	memset(f, 0, sizeof *f);
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	bool on = isatty(STDERR_FILENO) == 1;
	char *token = NULL;
	do {
		Luoshi__V1__ExportTablesRequest req = *proto;
		req.page_token = token;
		ProtobufCMessage *m;
		rc = cli_call(client, M_EXPORT, &req.base, NULL, &m);
		if (rc != LS_OK)
			break;
		Luoshi__V1__ExportTablesResponse *resp = (Luoshi__V1__ExportTablesResponse *)m;
		Luoshi__V1__ExportTablesResponse **pages =
		    realloc(f->pages, (f->n_pages + 1) * sizeof *pages);
		if (pages == NULL)
			cli_out_of_memory();
		f->pages = pages;
		f->pages[f->n_pages++] = resp;
		f->n_projects += resp->n_projects;
		show_fetch(on, f->n_projects, resp->total_projects);
		char *prev = token;
		const char *next = resp->next_page_token;
		token = next != NULL && *next != '\0' ? cli_xstrdup(next) : NULL;
		/* A server that hands back the token it was given would keep us
		 * here for ever. */
		if (token != NULL && prev != NULL && strcmp(token, prev) == 0) {
			ls_status st;
			ls_status_set(&st, LS_INTERNAL, _("the server repeated page token '%s'"),
			              token);
			rc = cli_print_status(&st);
		}
		free(prev);
	} while (rc == LS_OK && token != NULL);
	free(token);
	if (on) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	luoshi_client_close(client);
	if (rc == LS_OK && f->n_pages > 0) {
		f->as_of = f->pages[0]->as_of;
		f->year = f->pages[0]->year;
	}
	return rc;
}

/* The rows of one repeated field over all pages, in order. */
typedef struct rows {
	void **v;
	size_t n;
} rows;

#define GATHER(f, field, out)                                                     \
	do {                                                                      \
		size_t total_ = 0;                                                \
		for (size_t p_ = 0; p_ < (f)->n_pages; p_++)                      \
			total_ += (f)->pages[p_]->n_##field;                      \
		(out)->v = cli_xmalloc((total_ ? total_ : 1) * sizeof(void *));   \
		(out)->n = 0;                                                     \
		for (size_t p_ = 0; p_ < (f)->n_pages; p_++)                      \
			for (size_t i_ = 0; i_ < (f)->pages[p_]->n_##field; i_++) \
				(out)->v[(out)->n++] = (f)->pages[p_]->field[i_]; \
	} while (0)

/* ---- labels ------------------------------------------------------------------------- */

static const char *level_label(int v)
{
	switch (v) {
	case LUOSHI__V1__LEVEL__LEVEL_CITY:
		return "市级";
	case LUOSHI__V1__LEVEL__LEVEL_DISTRICT:
		return "区级";
	case LUOSHI__V1__LEVEL__LEVEL_TOWN:
		return "镇街道级";
	default:
		return "其他";
	}
}

static const char *node_label(int v)
{
	switch (v) {
	case LUOSHI__V1__NODE_STATUS__NODE_STATUS_PENDING:
		return "待完成";
	case LUOSHI__V1__NODE_STATUS__NODE_STATUS_OVERDUE:
		return "已逾期";
	case LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE:
		return "已完成";
	case LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE_LATE:
		return "逾期完成";
	default:
		return "";
	}
}

static const char *task_label(int status, bool overdue)
{
	switch (status) {
	case LUOSHI__V1__TASK_STATUS__TASK_OPEN:
		return overdue ? "已逾期" : "进行中";
	case LUOSHI__V1__TASK_STATUS__TASK_DONE:
		return "已完成";
	case LUOSHI__V1__TASK_STATUS__TASK_CANCELLED:
		return "已取消";
	default:
		return "";
	}
}

/* ---- the five tables, in memory --------------------------------------------------- */

typedef enum cell_kind {
	CELL_EMPTY,
	CELL_TEXT,
	CELL_INT,      /* a count or a percent figure */
	CELL_MONEY,    /* 万元 */
	CELL_DATE,     /* text YYYY-MM-DD */
	CELL_PERMILLE, /* a rate in ‰, shown as a percentage */
} cell_kind;

typedef struct cell {
	cell_kind kind;
	const char *text;
	int64_t num;
} cell;

typedef struct column {
	const char *header;
	cell_kind kind;
} column;

typedef struct sheet {
	const char *name; /* the sheet's name */
	const char *file; /* the CSV file's name */
	const column *cols;
	size_t ncols;
	cell *cells;
	size_t nrows, cap;
} sheet;

/* Text the tables own (joined unit names), freed with them. */
typedef struct strings {
	char **v;
	size_t n, cap;
} strings;

static const char *keep(strings *s, char *text)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		if (s->v == NULL)
			cli_out_of_memory();
	}
	s->v[s->n++] = text;
	return text;
}

static cell *new_row(sheet *sh)
{
	if (sh->nrows == sh->cap) {
		sh->cap = sh->cap ? sh->cap * 2 : 64;
		sh->cells = realloc(sh->cells, sh->cap * sh->ncols * sizeof *sh->cells);
		if (sh->cells == NULL)
			cli_out_of_memory();
	}
	cell *r = sh->cells + sh->nrows++ * sh->ncols;
	memset(r, 0, sh->ncols * sizeof *r);
	return r;
}

static cell text(const char *s)
{
	return s != NULL && *s != '\0' ? (cell){CELL_TEXT, s, 0} : (cell){CELL_EMPTY, NULL, 0};
}

static cell date(const char *s)
{
	return s != NULL && *s != '\0' ? (cell){CELL_DATE, s, 0} : (cell){CELL_EMPTY, NULL, 0};
}

static cell money(bool has, int64_t v)
{
	return has ? (cell){CELL_MONEY, NULL, v} : (cell){CELL_EMPTY, NULL, 0};
}

static cell integer(bool has, int64_t v)
{
	return has ? (cell){CELL_INT, NULL, v} : (cell){CELL_EMPTY, NULL, 0};
}

/* done / planned in ‰, rounded half up; empty without a plan. */
static cell rate(int64_t done, bool has_plan, int64_t planned)
{
	if (!has_plan || planned <= 0)
		return (cell){CELL_EMPTY, NULL, 0};
	return (cell){CELL_PERMILLE, NULL, (done * 1000 + planned / 2) / planned};
}

static const column plan_cols[] = {
    {"项目编号", CELL_TEXT}, {"项目名称", CELL_TEXT},     {"计划项", CELL_TEXT},
    {"节点名称", CELL_TEXT}, {"计划完成日期", CELL_DATE}, {"实际完成日期", CELL_DATE},
    {"节点状态", CELL_TEXT}, {"责任单位", CELL_TEXT},     {"全年计划投资（万元）", CELL_MONEY},
    {"1月", CELL_MONEY},     {"2月", CELL_MONEY},         {"3月", CELL_MONEY},
    {"4月", CELL_MONEY},     {"5月", CELL_MONEY},         {"6月", CELL_MONEY},
    {"7月", CELL_MONEY},     {"8月", CELL_MONEY},         {"9月", CELL_MONEY},
    {"10月", CELL_MONEY},    {"11月", CELL_MONEY},        {"12月", CELL_MONEY},
};

static const column task_cols[] = {
    {"项目编号", CELL_TEXT},     {"项目名称", CELL_TEXT}, {"任务", CELL_TEXT},
    {"责任单位", CELL_TEXT},     {"责任人", CELL_TEXT},   {"计划完成日期", CELL_DATE},
    {"实际完成日期", CELL_DATE}, {"状态", CELL_TEXT},
};

static const column division_cols[] = {
    {"单位编号", CELL_TEXT},     {"责任单位", CELL_TEXT}, {"项目编号", CELL_TEXT},
    {"项目名称", CELL_TEXT},     {"类型", CELL_TEXT},     {"事项", CELL_TEXT},
    {"计划完成日期", CELL_DATE}, {"状态", CELL_TEXT},
};

static const column responsibility_cols[] = {
    {"项目编号", CELL_TEXT}, {"项目名称", CELL_TEXT},   {"类型", CELL_TEXT},
    {"事项", CELL_TEXT},     {"领衔领导", CELL_TEXT},   {"领导职务", CELL_TEXT},
    {"责任单位", CELL_TEXT}, {"配合单位", CELL_TEXT},   {"所在镇街", CELL_TEXT},
    {"责任人", CELL_TEXT},   {"责任人职务", CELL_TEXT},
};

static const column progress_cols[] = {
    {"项目编号", CELL_TEXT},
    {"项目名称", CELL_TEXT},
    {"期间", CELL_TEXT},
    {"类型", CELL_TEXT},
    {"起始日期", CELL_DATE},
    {"截止日期", CELL_DATE},
    {"填报单位", CELL_TEXT},
    {"版本", CELL_INT},
    {"完成投资（万元）", CELL_MONEY},
    {"产值（万元）", CELL_MONEY},
    {"形象进度（%）", CELL_INT},
    {"形象进度描述", CELL_TEXT},
    {"计划投资（万元）", CELL_MONEY},
    {"投资完成率", CELL_PERMILLE},
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

enum { SHEET_PLAN, SHEET_TASKS, SHEET_DIVISION, SHEET_RESPONSIBILITY, SHEET_PROGRESS, N_SHEETS };

typedef struct tables {
	sheet s[N_SHEETS];
	strings own;
} tables;

static void tables_free(tables *t)
{
	for (int i = 0; i < N_SHEETS; i++)
		free(t->s[i].cells);
	for (size_t i = 0; i < t->own.n; i++)
		free(t->own.v[i]);
	free(t->own.v);
}

/* "区发改局、区住建局" from names. */
static char *joined(char **names, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(names[i] ? names[i] : "") + 3;
	char *s = cli_xmalloc(len), *o = s;
	*o = '\0';
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, "%s%s", i ? "、" : "", names[i] ? names[i] : "");
	return s;
}

static void build_plan(sheet *sh, const fetched *f)
{
	rows projects, nodes, months;
	GATHER(f, projects, &projects);
	GATHER(f, plan_nodes, &nodes);
	GATHER(f, plan_months, &months);
	size_t ni = 0, mi = 0;
	/* The pages hold each project's rows together and in project order. */
	for (size_t i = 0; i < projects.n; i++) {
		const Luoshi__V1__ExportProject *p = projects.v[i];
		cell *r = new_row(sh);
		r[0] = text(p->code);
		r[1] = text(p->name);
		r[2] = text("年度投资计划");
		r[7] = text(p->lead_unit_name);
		r[8] = money(true, p->year_plan);
		for (; mi < months.n; mi++) {
			const Luoshi__V1__PlanMonthRow *m = months.v[mi];
			if (strcmp(m->project_code, p->code) != 0)
				break;
			if (m->month >= 1 && m->month <= 12)
				r[8 + m->month] = money(m->has_planned, m->planned);
		}
		for (; ni < nodes.n; ni++) {
			const Luoshi__V1__PlanNodeRow *n = nodes.v[ni];
			if (strcmp(n->project_code, p->code) != 0)
				break;
			r = new_row(sh);
			r[0] = text(n->project_code);
			r[1] = text(n->project_name);
			r[2] = text("节点");
			r[3] = text(n->name);
			r[4] = date(n->due_date);
			r[5] = date(n->done_date);
			r[6] = text(node_label(n->status));
			r[7] = text(n->owner_unit_name);
		}
	}
	free(projects.v);
	free(nodes.v);
	free(months.v);
}

static void build_tasks(sheet *sh, const fetched *f)
{
	rows tasks;
	GATHER(f, tasks, &tasks);
	for (size_t i = 0; i < tasks.n; i++) {
		const Luoshi__V1__TaskRow *t = tasks.v[i];
		cell *r = new_row(sh);
		r[0] = text(t->project_code);
		r[1] = text(t->project_name);
		r[2] = text(t->description);
		r[3] = text(t->unit_name);
		r[4] = text(t->person_name);
		r[5] = date(t->due_date);
		r[6] = date(t->done_date);
		r[7] = text(task_label(t->status, t->overdue));
	}
	free(tasks.v);
}

static int nullcmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Unit, then project, then due date: what each unit does, in order. */
static int division_order(const void *a, const void *b)
{
	const Luoshi__V1__DivisionRow *x = *(void *const *)a, *y = *(void *const *)b;
	int c = nullcmp(x->unit_code, y->unit_code);
	if (c == 0)
		c = nullcmp(x->project_code, y->project_code);
	if (c == 0)
		c = nullcmp(x->due_date, y->due_date);
	if (c == 0)
		c = (int)x->kind - (int)y->kind;
	if (c == 0)
		c = x->item_id < y->item_id ? -1 : x->item_id > y->item_id;
	return c;
}

static void build_division(sheet *sh, const fetched *f)
{
	rows div;
	GATHER(f, division, &div);
	qsort(div.v, div.n, sizeof *div.v, division_order);
	for (size_t i = 0; i < div.n; i++) {
		const Luoshi__V1__DivisionRow *d = div.v[i];
		bool is_node = d->kind == LUOSHI__V1__ITEM_KIND__ITEM_KIND_NODE;
		cell *r = new_row(sh);
		r[0] = text(d->unit_code);
		r[1] = text(d->unit_name);
		r[2] = text(d->project_code);
		r[3] = text(d->project_name);
		r[4] = text(is_node ? "节点" : "任务");
		r[5] = text(d->item);
		r[6] = date(d->due_date);
		r[7] = text(is_node ? node_label(d->node_status)
		                    : task_label(d->task_status, d->overdue));
	}
	free(div.v);
}

static void build_responsibility(sheet *sh, strings *own, const fetched *f)
{
	rows resp;
	GATHER(f, responsibility, &resp);
	for (size_t i = 0; i < resp.n; i++) {
		const Luoshi__V1__ResponsibilityRow *x = resp.v[i];
		bool project = x->kind == LUOSHI__V1__ITEM_KIND__ITEM_KIND_PROJECT;
		cell *r = new_row(sh);
		r[0] = text(x->project_code);
		r[1] = text(x->project_name);
		r[2] = text(project ? "项目" : "任务");
		r[3] = text(x->item);
		r[4] = text(x->lead_leader_name);
		r[5] = text(x->lead_leader_title);
		r[6] = text(x->unit_name);
		if (x->n_contributing_unit_names > 0)
			r[7] = text(keep(
			    own, joined(x->contributing_unit_names, x->n_contributing_unit_names)));
		r[8] = text(x->town_name);
		r[9] = text(x->person_name);
		r[10] = text(x->person_title);
	}
	free(resp.v);
}

static void build_progress(sheet *sh, const fetched *f)
{
	rows prog;
	GATHER(f, progress, &prog);
	for (size_t i = 0; i < prog.n; i++) {
		const Luoshi__V1__ProgressRow *p = prog.v[i];
		bool month = p->kind == LUOSHI__V1__PROGRESS_ROW_KIND__PROGRESS_ROW_KIND_MONTH;
		cell *r = new_row(sh);
		r[0] = text(p->project_code);
		r[1] = text(p->project_name);
		r[2] = text(p->period);
		r[3] = text(month                                          ? "月计"
		            : p->period != NULL && strstr(p->period, "-W") ? "周报"
		                                                           : "月报");
		r[4] = date(p->period_first);
		r[5] = date(p->period_last);
		r[6] = text(p->unit_name);
		r[7] = integer(p->has_revision, p->revision);
		r[8] = money(p->has_invested, p->invested);
		r[9] = money(p->has_output, p->output);
		r[10] = integer(p->has_percent, p->percent);
		r[11] = text(p->progress);
		r[12] = money(p->has_planned, p->planned);
		r[13] = rate(p->invested, p->has_planned, p->planned);
	}
	free(prog.v);
}

static void tables_build(tables *t, const fetched *f)
{
	memset(t, 0, sizeof *t);
	static const struct {
		const char *name, *file;
		const column *cols;
		size_t ncols;
	} defs[N_SHEETS] = {
	    {"计划表", "plan.csv", plan_cols, NCOLS(plan_cols)},
	    {"任务表", "tasks.csv", task_cols, NCOLS(task_cols)},
	    {"分工表", "division.csv", division_cols, NCOLS(division_cols)},
	    {"责任表", "responsibility.csv", responsibility_cols, NCOLS(responsibility_cols)},
	    {"进度表", "progress.csv", progress_cols, NCOLS(progress_cols)},
	};
	for (int i = 0; i < N_SHEETS; i++) {
		t->s[i].name = defs[i].name;
		t->s[i].file = defs[i].file;
		t->s[i].cols = defs[i].cols;
		t->s[i].ncols = defs[i].ncols;
	}
	build_plan(&t->s[SHEET_PLAN], f);
	build_tasks(&t->s[SHEET_TASKS], f);
	build_division(&t->s[SHEET_DIVISION], f);
	build_responsibility(&t->s[SHEET_RESPONSIBILITY], &t->own, f);
	build_progress(&t->s[SHEET_PROGRESS], f);
}

/* ---- writing files ------------------------------------------------------------------ */

/* The status for a file that cannot be written, printed. */
static int file_error(const char *path, int err)
{
	ls_status st;
	int code = LS_INTERNAL;
	if (err == EACCES || err == EPERM || err == EROFS)
		code = LS_PERMISSION_DENIED;
	else if (err == ENOENT || err == ENOTDIR)
		code = LS_NOT_FOUND;
	else if (err == ENOSPC || err == EDQUOT)
		code = LS_RESOURCE_EXHAUSTED;
	ls_status_set(&st, code, _("cannot write %s: %s"), path, strerror(err));
	return cli_print_status(&st);
}

/* Closes f, which wrote path; a failed write or close is an error. */
static int close_file(FILE *f, const char *path)
{
	int err = ferror(f) ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && err == 0)
		err = errno ? errno : EIO;
	return err ? file_error(path, err) : LS_OK;
}

/* A money or count figure as text. */
static void number_text(const cell *c, char *buf, size_t n)
{
	if (c->kind == CELL_PERMILLE)
		snprintf(buf, n, "%" PRId64 ".%" PRId64 "%%", c->num / 10, c->num % 10);
	else
		snprintf(buf, n, "%" PRId64, c->num);
}

/* One CSV field, quoted when RFC 4180 says it must be. */
static void csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int write_csv(const char *dir, const sheet *sh)
{
	size_t n = strlen(dir) + strlen(sh->file) + 2;
	char *path = cli_xmalloc(n);
	snprintf(path, n, "%s/%s", dir, sh->file);
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		int rc = file_error(path, errno);
		free(path);
		return rc;
	}
	/* The byte order mark makes Excel read the file as UTF-8. */
	fputs("\xEF\xBB\xBF", f);
	for (size_t c = 0; c < sh->ncols; c++) {
		if (c > 0)
			fputc(',', f);
		csv_field(f, sh->cols[c].header);
	}
	fputs("\r\n", f);
	for (size_t r = 0; r < sh->nrows; r++) {
		const cell *row = sh->cells + r * sh->ncols;
		for (size_t c = 0; c < sh->ncols; c++) {
			if (c > 0)
				fputc(',', f);
			char num[32];
			switch (row[c].kind) {
			case CELL_TEXT:
			case CELL_DATE:
				csv_field(f, row[c].text);
				break;
			case CELL_INT:
			case CELL_MONEY:
			case CELL_PERMILLE:
				number_text(&row[c], num, sizeof num);
				fputs(num, f);
				break;
			case CELL_EMPTY:
				break;
			}
		}
		fputs("\r\n", f);
	}
	int rc = close_file(f, path);
	free(path);
	return rc;
}

static int write_csvs(const char *dir, const tables *t)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return file_error(dir, errno);
	for (int i = 0; i < N_SHEETS; i++) {
		int rc = write_csv(dir, &t->s[i]);
		if (rc != LS_OK)
			return rc;
	}
	return LS_OK;
}

/* The width in Excel's units (characters of the default font, where a
 * Chinese character takes two) that shows cell c. */
static size_t cell_width(const cell *c)
{
	char num[32];
	switch (c->kind) {
	case CELL_TEXT:
		return cli_text_width(c->text);
	case CELL_DATE:
		return 10;
	case CELL_MONEY:
		number_text(c, num, sizeof num);
		return strlen(num) + (strlen(num) - (c->num < 0)) / 3; /* the thousands' commas */
	case CELL_INT:
	case CELL_PERMILLE:
		number_text(c, num, sizeof num);
		return strlen(num) + 1;
	case CELL_EMPTY:
		break;
	}
	return 0;
}

typedef struct formats {
	lxw_format *header, *date, *money, *integer, *percent;
} formats;

static void write_sheet(lxw_workbook *wb, const formats *fm, const sheet *sh)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, sh->name);
	size_t *widths = cli_xmalloc(sh->ncols * sizeof *widths);
	for (size_t c = 0; c < sh->ncols; c++) {
		worksheet_write_string(ws, 0, (lxw_col_t)c, sh->cols[c].header, fm->header);
		widths[c] = cli_text_width(sh->cols[c].header);
	}
	for (size_t r = 0; r < sh->nrows; r++) {
		const cell *row = sh->cells + r * sh->ncols;
		lxw_row_t xr = (lxw_row_t)(r + 1);
		for (size_t c = 0; c < sh->ncols; c++) {
			const cell *x = &row[c];
			lxw_col_t xc = (lxw_col_t)c;
			int32_t days;
			switch (x->kind) {
			case CELL_TEXT:
				worksheet_write_string(ws, xr, xc, x->text, NULL);
				break;
			case CELL_DATE:
				if (ls_date_parse(x->text, &days)) {
					lxw_datetime dt = {0};
					ls_civil_from_days(days, &dt.year, &dt.month, &dt.day);
					worksheet_write_datetime(ws, xr, xc, &dt, fm->date);
				} else {
					worksheet_write_string(ws, xr, xc, x->text, NULL);
				}
				break;
			case CELL_MONEY:
				worksheet_write_number(ws, xr, xc, (double)x->num, fm->money);
				break;
			case CELL_INT:
				worksheet_write_number(ws, xr, xc, (double)x->num, fm->integer);
				break;
			case CELL_PERMILLE:
				worksheet_write_number(ws, xr, xc, (double)x->num / 1000.0,
				                       fm->percent);
				break;
			case CELL_EMPTY:
				break;
			}
			size_t w = cell_width(x);
			if (w > widths[c])
				widths[c] = w;
		}
	}
	for (size_t c = 0; c < sh->ncols; c++) {
		size_t w = widths[c] + 2;
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, (double)(w > 60 ? 60 : w),
		                     NULL);
	}
	free(widths);
	/* The header row and the two columns that say what a row is about
	 * stay in view. */
	worksheet_freeze_panes(ws, 1, 2);
	worksheet_autofilter(ws, 0, 0, (lxw_row_t)sh->nrows, (lxw_col_t)(sh->ncols - 1));
	worksheet_set_landscape(ws);
	worksheet_repeat_rows(ws, 0, 0);
	worksheet_fit_to_pages(ws, 1, 0);
}

static int write_xlsx(const char *path, const tables *t, const fetched *f)
{
	/* libxlsxwriter says only that it could not create the file: try it
	 * first, for the reason. */
	FILE *probe = fopen(path, "wb");
	if (probe == NULL)
		return file_error(path, errno);
	fclose(probe);
	lxw_workbook *wb = workbook_new(path);
	if (wb == NULL) {
		ls_status st;
		ls_status_set(&st, LS_RESOURCE_EXHAUSTED, _("cannot create the workbook %s"), path);
		return cli_print_status(&st);
	}
	char title[128], subject[160];
	snprintf(title, sizeof title, "一图五表（截至 %s）", f->as_of ? f->as_of : "");
	snprintf(subject, sizeof subject, "%d 年重点项目计划表、任务表、分工表、责任表、进度表",
	         f->year);
	lxw_doc_properties props = {.title = title, .subject = subject, .author = "luoshi"};
	workbook_set_properties(wb, &props);

	formats fm;
	fm.header = workbook_add_format(wb);
	format_set_bold(fm.header);
	format_set_pattern(fm.header, LXW_PATTERN_SOLID);
	format_set_bg_color(fm.header, 0xDDEBF7);
	format_set_border(fm.header, LXW_BORDER_THIN);
	format_set_align(fm.header, LXW_ALIGN_CENTER);
	format_set_align(fm.header, LXW_ALIGN_VERTICAL_CENTER);
	fm.date = workbook_add_format(wb);
	format_set_num_format(fm.date, "yyyy-mm-dd");
	fm.money = workbook_add_format(wb);
	format_set_num_format(fm.money, "#,##0");
	fm.integer = workbook_add_format(wb);
	format_set_num_format(fm.integer, "0");
	fm.percent = workbook_add_format(wb);
	format_set_num_format(fm.percent, "0.0%");
	for (int i = 0; i < N_SHEETS; i++)
		write_sheet(wb, &fm, &t->s[i]);
	errno = 0;
	lxw_error e = workbook_close(wb);
	if (e != LXW_NO_ERROR) {
		if (errno != 0)
			return file_error(path, errno);
		ls_status st;
		ls_status_set(&st, LS_INTERNAL, _("cannot write %s: %s"), path, lxw_strerror(e));
		return cli_print_status(&st);
	}
	return LS_OK;
}

/* ---- the battle map --------------------------------------------------------------- */

#define MAP_LABEL_W 320 /* the project names' column */
#define MAP_ROW_H 26
#define MAP_GROUP_H 30
#define MAP_AXIS_H 44
#define MAP_FONT 13

static const char *const status_class[] = {
    [LUOSHI__V1__NODE_STATUS__NODE_STATUS_PENDING] = "node-pending",
    [LUOSHI__V1__NODE_STATUS__NODE_STATUS_OVERDUE] = "node-overdue",
    [LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE] = "node-done",
    [LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE_LATE] = "node-done-late",
};

static const char *node_class(int status)
{
	if (status < 0 || status >= (int)NCOLS(status_class) || status_class[status] == NULL)
		return "node-pending";
	return status_class[status];
}

/* Text for HTML and SVG, in content and in quoted attributes alike. */
static void esc(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* The length of the UTF-8 sequence that starts with byte c. */
static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* s cut to at most cols terminal columns (Chinese counts two), with "…"
 * when cut. Freed by the caller. */
static char *fit(const char *s, size_t cols)
{
	if (cli_text_width(s) <= cols)
		return cli_xstrdup(s);
	size_t n = strlen(s), used = 0, i = 0;
	char *out = cli_xmalloc(n + 4);
	while (i < n) {
		size_t len = utf8_len((unsigned char)s[i]);
		if (i + len > n)
			len = n - i;
		char ch[5] = {0};
		memcpy(ch, s + i, len);
		size_t w = cli_text_width(ch);
		if (used + w + 1 > cols)
			break;
		used += w;
		i += len;
	}
	memcpy(out, s, i);
	strcpy(out + i, "…");
	return out;
}

typedef struct span {
	int32_t first, last; /* days, the time line's ends (inclusive) */
	double width;        /* pixels */
} span;

static double x_of(const span *sp, int32_t day)
{
	double total = (double)(sp->last - sp->first + 1);
	return MAP_LABEL_W + (double)(day - sp->first) * sp->width / total;
}

static int32_t month_start(int y, int m)
{
	return ls_days_from_civil(y, m, 1);
}

/* The first day of the month after (y, m). */
static int32_t next_month(int y, int m)
{
	return m == 12 ? month_start(y + 1, 1) : month_start(y, m + 1);
}

typedef struct map_opts {
	bool by_leader;
	bool span_nodes;
} map_opts;

typedef struct group {
	const char *key;   /* the level's label, or the leader's code */
	const char *title; /* what the group's header says */
	char *owned;       /* title, when made here */
	size_t *projects;  /* indexes into the projects */
	size_t n;
} group;

typedef struct map_data {
	rows projects, nodes;
	size_t *node_first, *node_count; /* each project's nodes */
	group *groups;
	size_t n_groups;
} map_data;

static group *group_for(map_data *d, const char *key)
{
	for (size_t i = 0; i < d->n_groups; i++)
		if (strcmp(d->groups[i].key, key) == 0)
			return &d->groups[i];
	d->groups = realloc(d->groups, (d->n_groups + 1) * sizeof *d->groups);
	if (d->groups == NULL)
		cli_out_of_memory();
	group *g = &d->groups[d->n_groups++];
	memset(g, 0, sizeof *g);
	g->key = key;
	g->title = key;
	g->projects = cli_xmalloc(d->projects.n * sizeof *g->projects);
	return g;
}

static int group_order(const void *a, const void *b)
{
	const group *x = a, *y = b;
	return strcmp(x->key, y->key);
}

static void map_data_build(map_data *d, const fetched *f, const map_opts *o)
{
	memset(d, 0, sizeof *d);
	GATHER(f, projects, &d->projects);
	GATHER(f, plan_nodes, &d->nodes);
	size_t np = d->projects.n ? d->projects.n : 1;
	d->node_first = cli_xmalloc(np * sizeof *d->node_first);
	d->node_count = cli_xmalloc(np * sizeof *d->node_count);
	size_t ni = 0;
	for (size_t i = 0; i < d->projects.n; i++) {
		const Luoshi__V1__ExportProject *p = d->projects.v[i];
		d->node_first[i] = ni;
		while (ni < d->nodes.n &&
		       strcmp(((Luoshi__V1__PlanNodeRow *)d->nodes.v[ni])->project_code, p->code) ==
		           0)
			ni++;
		d->node_count[i] = ni - d->node_first[i];
	}
	if (!o->by_leader) {
		/* City, district, town: the order of the levels. */
		static const int order[] = {LUOSHI__V1__LEVEL__LEVEL_CITY,
		                            LUOSHI__V1__LEVEL__LEVEL_DISTRICT,
		                            LUOSHI__V1__LEVEL__LEVEL_TOWN, 0};
		for (size_t k = 0; k < NCOLS(order); k++)
			for (size_t i = 0; i < d->projects.n; i++) {
				const Luoshi__V1__ExportProject *p = d->projects.v[i];
				bool known = p->level >= 1 && p->level <= 3;
				if ((int)p->level == order[k] || (order[k] == 0 && !known)) {
					group *g = group_for(d, level_label(order[k]));
					g->projects[g->n++] = i;
				}
			}
		for (size_t i = 0; i < d->n_groups; i++) {
			group *g = &d->groups[i];
			size_t n = strlen(g->key) + 32;
			g->owned = cli_xmalloc(n);
			snprintf(g->owned, n, "%s项目（%zu 个）", g->key, g->n);
			g->title = g->owned;
		}
		return;
	}
	for (size_t i = 0; i < d->projects.n; i++) {
		const Luoshi__V1__ExportProject *p = d->projects.v[i];
		group *g = group_for(d, p->lead_leader_code ? p->lead_leader_code : "");
		g->projects[g->n++] = i;
	}
	qsort(d->groups, d->n_groups, sizeof *d->groups, group_order);
	for (size_t i = 0; i < d->n_groups; i++) {
		group *g = &d->groups[i];
		const Luoshi__V1__ExportProject *p = d->projects.v[g->projects[0]];
		const char *name = p->lead_leader_name ? p->lead_leader_name : g->key;
		const char *title = p->lead_leader_title;
		size_t n = strlen(name) + (title ? strlen(title) : 0) + 64;
		g->owned = cli_xmalloc(n);
		if (title != NULL && *title != '\0')
			snprintf(g->owned, n, "领衔领导：%s（%s）· %zu 个项目", name, title, g->n);
		else
			snprintf(g->owned, n, "领衔领导：%s · %zu 个项目", name, g->n);
		g->title = g->owned;
	}
}

static void map_data_free(map_data *d)
{
	free(d->projects.v);
	free(d->nodes.v);
	free(d->node_first);
	free(d->node_count);
	for (size_t i = 0; i < d->n_groups; i++) {
		free(d->groups[i].projects);
		free(d->groups[i].owned);
	}
	free(d->groups);
}

/* The time line: the as-of year, or the months from the first node to
 * the last. */
static void map_span(const map_data *d, const fetched *f, const map_opts *o, span *sp)
{
	sp->first = month_start(f->year, 1);
	sp->last = month_start(f->year + 1, 1) - 1;
	if (o->span_nodes && d->nodes.n > 0) {
		int32_t lo = INT32_MAX, hi = INT32_MIN, day;
		for (size_t i = 0; i < d->nodes.n; i++) {
			const Luoshi__V1__PlanNodeRow *n = d->nodes.v[i];
			if (n->due_date == NULL || !ls_date_parse(n->due_date, &day))
				continue;
			lo = day < lo ? day : lo;
			hi = day > hi ? day : hi;
		}
		if (lo <= hi) {
			int y, m, dd;
			ls_civil_from_days(lo, &y, &m, &dd);
			sp->first = month_start(y, m);
			ls_civil_from_days(hi, &y, &m, &dd);
			sp->last = next_month(y, m) - 1;
		}
	}
	double months = (double)(sp->last - sp->first + 1) / 30.44;
	double w = months * 80.0;
	sp->width = w < 960.0 ? 960.0 : w > 4800.0 ? 4800.0 : w;
}

typedef struct totals {
	size_t done, done_late, pending, overdue, all;
} totals;

static void count_nodes(const map_data *d, totals *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < d->nodes.n; i++) {
		const Luoshi__V1__PlanNodeRow *n = d->nodes.v[i];
		t->all++;
		switch (n->status) {
		case LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE:
			t->done++;
			break;
		case LUOSHI__V1__NODE_STATUS__NODE_STATUS_DONE_LATE:
			t->done++;
			t->done_late++;
			break;
		case LUOSHI__V1__NODE_STATUS__NODE_STATUS_OVERDUE:
			t->overdue++;
			break;
		default:
			t->pending++;
		}
	}
}

static void map_axis(FILE *f, const span *sp, double height)
{
	int y0, m0, d0, y1, m1, d1;
	ls_civil_from_days(sp->first, &y0, &m0, &d0);
	ls_civil_from_days(sp->last, &y1, &m1, &d1);
	bool years = y0 != y1;
	fputs("<g class=\"axis\">\n", f);
	for (int y = y0, m = m0; y < y1 || (y == y1 && m <= m1);) {
		int32_t a = month_start(y, m), b = next_month(y, m);
		double xa = x_of(sp, a), xb = x_of(sp, b);
		fprintf(
		    f,
		    "<rect class=\"month%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\"/>\n",
		    (m % 2) ? "" : " even", xa, MAP_AXIS_H, xb - xa, height - MAP_AXIS_H);
		fprintf(f, "<text class=\"month-label\" x=\"%.1f\" y=\"%d\">%d月</text>\n",
		        (xa + xb) / 2, MAP_AXIS_H - 8, m);
		if (years && (m == 1 || (y == y0 && m == m0)))
			fprintf(f, "<text class=\"year-label\" x=\"%.1f\" y=\"16\">%d年</text>\n",
			        xa + 4, y);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		        xa, MAP_AXIS_H - 4, xa, height);
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	if (!years)
		fprintf(f, "<text class=\"year-label\" x=\"%d\" y=\"16\">%d年</text>\n",
		        MAP_LABEL_W + 4, y0);
	fputs("</g>\n", f);
}

/* One node's mark: a circle on the time line, or a triangle at the edge
 * for a node due outside it. */
static void map_node(FILE *f, const span *sp, const Luoshi__V1__PlanNodeRow *n, double cy)
{
	int32_t day;
	if (n->due_date == NULL || !ls_date_parse(n->due_date, &day))
		return;
	const char *cls = node_class(n->status);
	if (day < sp->first || day > sp->last) {
		double x = day < sp->first ? MAP_LABEL_W + 2 : MAP_LABEL_W + sp->width - 2;
		double dir = day < sp->first ? 1 : -1;
		fprintf(f,
		        "<polygon class=\"mark %s off-axis\" data-node=\"%" PRId64
		        "\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\">",
		        cls, n->node_id, x, cy, x + dir * 9, cy - 6, x + dir * 9, cy + 6);
	} else {
		fprintf(f,
		        "<circle class=\"mark %s\" data-node=\"%" PRId64
		        "\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\">",
		        cls, n->node_id, x_of(sp, day), cy);
	}
	fputs("<title>", f);
	esc(f, n->name);
	fputs("：计划 ", f);
	esc(f, n->due_date);
	if (n->done_date != NULL) {
		fputs("，完成 ", f);
		esc(f, n->done_date);
	}
	fputs("，", f);
	fputs(node_label(n->status), f);
	if (n->owner_unit_name != NULL) {
		fputs("，", f);
		esc(f, n->owner_unit_name);
	}
	fputs("</title>", f);
	fputs(day < sp->first || day > sp->last ? "</polygon>\n" : "</circle>\n", f);
}

static void map_row(FILE *f, const map_data *d, const span *sp, size_t i, double y, bool odd)
{
	const Luoshi__V1__ExportProject *p = d->projects.v[i];
	double cy = y + MAP_ROW_H / 2.0;
	fputs("<g class=\"project-row\" data-code=\"", f);
	esc(f, p->code);
	fputs("\">\n", f);
	fprintf(f, "<rect class=\"row%s\" x=\"0\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"/>\n",
	        odd ? " odd" : "", y, MAP_LABEL_W + sp->width, MAP_ROW_H);
	/* The planned span of the project, where it meets the time line. */
	int32_t a, b;
	if (p->planned_start && p->planned_finish && ls_date_parse(p->planned_start, &a) &&
	    ls_date_parse(p->planned_finish, &b) && b >= sp->first && a <= sp->last) {
		a = a < sp->first ? sp->first : a;
		b = b > sp->last ? sp->last : b;
		fprintf(
		    f, "<rect class=\"span\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\"/>\n",
		    x_of(sp, a), cy - 3, x_of(sp, b + 1) - x_of(sp, a));
	}
	char label[1024];
	snprintf(label, sizeof label, "%s %s", p->code ? p->code : "", p->name ? p->name : "");
	char *shown = fit(label, (MAP_LABEL_W - 16) * 2 / MAP_FONT);
	fprintf(f, "<text class=\"name\" x=\"8\" y=\"%.1f\"><title>", cy + 4.5);
	esc(f, label);
	if (p->lead_leader_name != NULL) {
		fputs(" · 领衔领导 ", f);
		esc(f, p->lead_leader_name);
	}
	if (p->lead_unit_name != NULL) {
		fputs(" · 责任单位 ", f);
		esc(f, p->lead_unit_name);
	}
	fputs("</title>", f);
	esc(f, shown);
	fputs("</text>\n", f);
	free(shown);
	for (size_t k = 0; k < d->node_count[i]; k++)
		map_node(f, sp, d->nodes.v[d->node_first[i] + k], cy);
	fputs("</g>\n", f);
}

static const char map_style[] =
    "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Zen Hei\",\"Microsoft YaHei\","
    "\"PingFang SC\",sans-serif;margin:24px;color:#222;background:#fff}\n"
    "h1{font-size:22px;margin:0 0 8px}\n"
    ".totals{font-size:15px;margin:0 0 8px}\n"
    ".totals b{font-size:18px;margin:0 2px}\n"
    ".legend{font-size:13px;margin:0 0 12px;color:#444}\n"
    ".legend span{display:inline-block;margin-right:16px}\n"
    ".legend i{display:inline-block;width:11px;height:11px;border-radius:50%;"
    "margin-right:4px;vertical-align:-1px}\n"
    "svg{font-size:13px}\n"
    ".month{fill:#fff}.month.even{fill:#f6f8fb}\n"
    ".grid{stroke:#d9dee7;stroke-width:1}\n"
    ".month-label{text-anchor:middle;fill:#555}\n"
    ".year-label{fill:#222;font-weight:bold}\n"
    ".group-title{font-weight:bold;fill:#1d3b6f}\n"
    ".group-band{fill:#e8eef8}\n"
    ".row{fill:transparent}.row.odd{fill:rgba(0,0,0,0.025)}\n"
    ".span{fill:#c9d3e3}\n"
    ".name{fill:#222}\n"
    ".mark{stroke:#fff;stroke-width:1.5}\n"
    ".node-done{fill:#2e9d4a}.node-pending{fill:#2f6fd6}\n"
    ".node-overdue{fill:#d93025}.node-done-late{fill:#f0a500}\n"
    ".today{stroke:#d93025;stroke-width:2;stroke-dasharray:5 3}\n"
    ".today-label{fill:#d93025;font-weight:bold;text-anchor:middle}\n";

static int write_map(const char *path, const fetched *fd, const map_opts *o)
{
	map_data d;
	map_data_build(&d, fd, o);
	span sp;
	map_span(&d, fd, o, &sp);
	totals t;
	count_nodes(&d, &t);

	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		int rc = file_error(path, errno);
		map_data_free(&d);
		return rc;
	}
	const char *as_of = fd->as_of ? fd->as_of : "";
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	fputs("<title>攻坚作战图（截至 ", f);
	esc(f, as_of);
	fprintf(f, "）</title>\n<style>\n%s</style>\n</head>\n<body>\n", map_style);
	fputs("<h1>重点项目攻坚作战图</h1>\n<p class=\"totals\">截至 ", f);
	esc(f, as_of);
	fprintf(f,
	        "：项目 <b class=\"total-projects\">%zu</b> 个；节点 <b>%zu</b> 个，其中已完成 <b "
	        "class=\"total-done\">%zu</b> 个（逾期完成 %zu 个），待完成 <b "
	        "class=\"total-pending\">%zu</b> 个，已逾期 <b class=\"total-overdue\">%zu</b> "
	        "个</p>\n",
	        d.projects.n, t.all, t.done, t.done_late, t.pending, t.overdue);
	fputs("<p class=\"legend\"><span><i class=\"node-done\" style=\"background:#2e9d4a\"></i>"
	      "已完成</span><span><i style=\"background:#f0a500\"></i>逾期完成</span><span><i "
	      "style=\"background:#2f6fd6\"></i>待完成</span><span><i "
	      "style=\"background:#d93025\"></i>已逾期</span><span>红色虚线：今日</span></p>\n",
	      f);

	double height = MAP_AXIS_H + 8;
	for (size_t g = 0; g < d.n_groups; g++)
		height += MAP_GROUP_H + (double)d.groups[g].n * MAP_ROW_H;
	double width = MAP_LABEL_W + sp.width + 16;
	/* Room under the rows for the today line's label. */
	double svg_h = height + 24;
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"battle-map\" width=\"%.0f\" "
	        "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
	        width, svg_h, width, svg_h);
	map_axis(f, &sp, height);
	double y = MAP_AXIS_H;
	for (size_t g = 0; g < d.n_groups; g++) {
		const group *gr = &d.groups[g];
		fputs("<g class=\"group\">\n", f);
		fprintf(
		    f,
		    "<rect class=\"group-band\" x=\"0\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"/>\n",
		    y + 2, MAP_LABEL_W + sp.width, MAP_GROUP_H - 4);
		fprintf(f, "<text class=\"group-title\" x=\"8\" y=\"%.1f\">",
		        y + MAP_GROUP_H / 2.0 + 5);
		esc(f, gr->title);
		fputs("</text>\n", f);
		y += MAP_GROUP_H;
		for (size_t k = 0; k < gr->n; k++) {
			map_row(f, &d, &sp, gr->projects[k], y, k % 2 == 1);
			y += MAP_ROW_H;
		}
		fputs("</g>\n", f);
	}
	int32_t today;
	if (ls_date_parse(as_of, &today) && today >= sp.first && today <= sp.last) {
		double x = x_of(&sp, today) + (x_of(&sp, today + 1) - x_of(&sp, today)) / 2;
		fprintf(f,
		        "<line class=\"today\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
		        "<text class=\"today-label\" x=\"%.1f\" y=\"%.1f\">今日 ",
		        x, MAP_AXIS_H - 4, x, height + 4, x, height + 18);
		esc(f, as_of);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n</body>\n</html>\n", f);
	map_data_free(&d);
	return close_file(f, path);
}

/* ---- the command ---------------------------------------------------------------- */

typedef struct cli_enum {
	const ProtobufCEnumDescriptor *d;
	const char *prefix;
} cli_enum;

/* A value of an enum is spelled as its name without the prefix, in lower
 * case, '-' for '_' ("special-task"), as `luoshi project` spells it. */
static int enum_parse(const cli_enum *e, const char *name, char *valid, size_t n)
{
	size_t used = 0;
	valid[0] = '\0';
	int found = 0;
	for (unsigned i = 0; i < e->d->n_values; i++) {
		const ProtobufCEnumValue *v = &e->d->values[i];
		if (v->value == 0)
			continue;
		char buf[64];
		const char *s = v->name + strlen(e->prefix);
		size_t k = 0;
		for (; s[k] != '\0' && k + 1 < sizeof buf; k++)
			buf[k] = s[k] == '_'                    ? '-'
			         : (s[k] >= 'A' && s[k] <= 'Z') ? (char)(s[k] + 32)
			                                        : s[k];
		buf[k] = '\0';
		if (strcmp(buf, name) == 0)
			found = v->value;
		int w = snprintf(valid + used, n - used, "%s%s", used ? ", " : "", buf);
		if (w > 0 && (size_t)w < n - used)
			used += (size_t)w;
	}
	return found;
}

static int parse_enum(cli_ctx *ctx, const cli_enum *e, const char *option, const char *arg,
                      int *out)
{
	char valid[256];
	*out = enum_parse(e, arg, valid, sizeof valid);
	if (*out != 0)
		return LS_OK;
	return cli_usage_error(ctx, _("unknown %s '%s' (valid: %s)"), option, arg, valid);
}

static const char help_text[] =
    N_("Usage: luoshi export [--xlsx FILE] [--csv DIR] [--battle-map FILE.html]\n"
       "                     [--group-by level|leader] [--span year|nodes]\n"
       "                     [--as-of DATE] [--level LEVEL] [--category CATEGORY]\n"
       "                     [--stage STAGE] [--town TOWN] [--leader PERSON]\n"
       "                     [--unit UNIT] [--page-size N]\n"
       "\n"
       "Exports 一图五表, the battle map and the five tables, of the projects you may\n"
       "read: the plan (nodes and the planned investment of each month), the tasks,\n"
       "the division of work among units, who answers for what, and the progress\n"
       "reported period by period against the plan. Give at least one of --xlsx,\n"
       "--csv and --battle-map; with --json and none of them, the rows are printed\n"
       "as JSON.\n"
       "\n"
       "Options:\n"
       "  --xlsx FILE          one workbook with the sheets 计划表, 任务表, 分工表,\n"
       "                       责任表 and 进度表\n"
       "  --csv DIR            the same tables as plan.csv, tasks.csv, division.csv,\n"
       "                       responsibility.csv and progress.csv (UTF-8 with a byte\n"
       "                       order mark), in DIR, made when missing\n"
       "  --battle-map FILE    the 攻坚作战图 as one HTML page that needs no network\n"
       "  --group-by WHAT      the battle map's groups: level (default) or leader\n"
       "  --span WHAT          its time line: the months of the year (default) or\n"
       "                       those from the first node to the last (nodes)\n"
       "  --as-of DATE         the day the tables are for (default today); its year\n"
       "                       is the plan year\n"
       "  --level LEVEL        city, district or town\n"
       "  --category CATEGORY  industrial, platform, infrastructure, livelihood or\n"
       "                       special-task\n"
       "  --stage STAGE        new or continuing\n"
       "  --town TOWN          projects standing in this town (code or name)\n"
       "  --leader PERSON      projects this leader leads (code or name)\n"
       "  --unit UNIT          projects this unit leads or contributes to\n"
       "  --page-size N        projects fetched a request (default: the server's)\n");

int cli_cmd_export(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_XLSX = CLI_OPT_FIRST_LOCAL,
		OPT_CSV,
		OPT_MAP,
		OPT_GROUP,
		OPT_SPAN,
		OPT_AS_OF,
		OPT_LEVEL,
		OPT_CATEGORY,
		OPT_STAGE,
		OPT_TOWN,
		OPT_LEADER,
		OPT_UNIT,
		OPT_PAGE,
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"xlsx", required_argument, NULL, OPT_XLSX},
	    {"csv", required_argument, NULL, OPT_CSV},
	    {"battle-map", required_argument, NULL, OPT_MAP},
	    {"group-by", required_argument, NULL, OPT_GROUP},
	    {"span", required_argument, NULL, OPT_SPAN},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {"level", required_argument, NULL, OPT_LEVEL},
	    {"category", required_argument, NULL, OPT_CATEGORY},
	    {"stage", required_argument, NULL, OPT_STAGE},
	    {"town", required_argument, NULL, OPT_TOWN},
	    {"leader", required_argument, NULL, OPT_LEADER},
	    {"unit", required_argument, NULL, OPT_UNIT},
	    {"page-size", required_argument, NULL, OPT_PAGE},
	    {NULL, 0, NULL, 0},
	};
	static const cli_enum levels = {&luoshi__v1__level__descriptor, "LEVEL_"};
	static const cli_enum categories = {&luoshi__v1__category__descriptor, "CATEGORY_"};
	static const cli_enum stages = {&luoshi__v1__stage__descriptor, "STAGE_"};

	Luoshi__V1__ExportTablesRequest req = LUOSHI__V1__EXPORT_TABLES_REQUEST__INIT;
	const char *xlsx = NULL, *csv = NULL, *map = NULL;
	map_opts mo = {0};
	int c, v;
	long long n;
	int32_t day;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(help_text));
		case OPT_XLSX:
			xlsx = optarg;
			break;
		case OPT_CSV:
			csv = optarg;
			break;
		case OPT_MAP:
			map = optarg;
			break;
		case OPT_GROUP:
			if (strcmp(optarg, "level") != 0 && strcmp(optarg, "leader") != 0)
				return cli_usage_error(
				    ctx, _("--group-by takes level or leader, not '%s'"), optarg);
			mo.by_leader = strcmp(optarg, "leader") == 0;
			break;
		case OPT_SPAN:
			if (strcmp(optarg, "year") != 0 && strcmp(optarg, "nodes") != 0)
				return cli_usage_error(
				    ctx, _("--span takes year or nodes, not '%s'"), optarg);
			mo.span_nodes = strcmp(optarg, "nodes") == 0;
			break;
		case OPT_AS_OF:
			if (!ls_date_parse(optarg, &day))
				return cli_usage_error(
				    ctx, _("--as-of takes a date (YYYY-MM-DD), not '%s'"), optarg);
			req.as_of = optarg;
			break;
		case OPT_LEVEL:
			if (parse_enum(ctx, &levels, "level", optarg, &v) != LS_OK)
				return CLI_EXIT_USAGE;
			req.has_level = true;
			req.level = (Luoshi__V1__Level)v;
			break;
		case OPT_CATEGORY:
			if (parse_enum(ctx, &categories, "category", optarg, &v) != LS_OK)
				return CLI_EXIT_USAGE;
			req.has_category = true;
			req.category = (Luoshi__V1__Category)v;
			break;
		case OPT_STAGE:
			if (parse_enum(ctx, &stages, "stage", optarg, &v) != LS_OK)
				return CLI_EXIT_USAGE;
			req.has_stage = true;
			req.stage = (Luoshi__V1__Stage)v;
			break;
		case OPT_TOWN:
			req.town = optarg;
			break;
		case OPT_LEADER:
			req.leader = optarg;
			break;
		case OPT_UNIT:
			req.unit = optarg;
			break;
		case OPT_PAGE:
			if (!cli_parse_int(optarg, 1, CLI_EXPORT_PAGE_MAX, &n))
				return cli_usage_error(
				    ctx, _("--page-size takes a number from 1 to %d, not '%s'"),
				    CLI_EXPORT_PAGE_MAX, optarg);
			req.has_page_size = true;
			req.page_size = (uint32_t)n;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	bool dump = xlsx == NULL && csv == NULL && map == NULL;
	if (dump && !ctx->json)
		return cli_usage_error(ctx,
		                       _("say where to export: --xlsx, --csv or --battle-map"));

	fetched f;
	int rc = fetch(ctx, &req, &f);
	if (rc != LS_OK) {
		fetched_free(&f);
		return rc;
	}
	if (dump) {
		/* Every page's rows, one object, as if it had been one page. */
		json_t *all = json_object();
		if (all == NULL)
			cli_out_of_memory();
		for (size_t p = 0; p < f.n_pages; p++) {
			json_t *j = cli_message_json(&f.pages[p]->base);
			const char *key;
			json_t *val;
			json_object_foreach (j, key, val) {
				json_t *have = json_object_get(all, key);
				if (json_is_array(val) && json_is_array(have))
					json_array_extend(have, val);
				else if (strcmp(key, "nextPageToken") != 0)
					json_object_set(all, key, val);
			}
			json_decref(j);
		}
		rc = cli_print_json(all);
		fetched_free(&f);
		return rc;
	}

	tables t;
	tables_build(&t, &f);
	if (rc == LS_OK && xlsx != NULL)
		rc = write_xlsx(xlsx, &t, &f);
	if (rc == LS_OK && csv != NULL)
		rc = write_csvs(csv, &t);
	if (rc == LS_OK && map != NULL)
		rc = write_map(map, &f, &mo);
	if (rc == LS_OK) {
		if (ctx->json) {
			json_t *j =
			    json_pack("{s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I}}", "asOf",
			              f.as_of ? f.as_of : "", "projects", (json_int_t)f.n_projects,
			              "rows", "plan", (json_int_t)t.s[SHEET_PLAN].nrows, "tasks",
			              (json_int_t)t.s[SHEET_TASKS].nrows, "division",
			              (json_int_t)t.s[SHEET_DIVISION].nrows, "responsibility",
			              (json_int_t)t.s[SHEET_RESPONSIBILITY].nrows, "progress",
			              (json_int_t)t.s[SHEET_PROGRESS].nrows);
			if (j == NULL)
				cli_out_of_memory();
			if (xlsx != NULL)
				json_object_set_new(j, "xlsx", json_string(xlsx));
			if (csv != NULL)
				json_object_set_new(j, "csv", json_string(csv));
			if (map != NULL)
				json_object_set_new(j, "battleMap", json_string(map));
			rc = cli_print_json(j);
		} else {
			printf(ngettext("Exported %zu project as of %s.\n",
			                "Exported %zu projects as of %s.\n", f.n_projects),
			       f.n_projects, f.as_of ? f.as_of : "");
			if (xlsx != NULL)
				printf(_("Workbook: %s\n"), xlsx);
			if (csv != NULL)
				printf(_("CSV files: %s/\n"), csv);
			if (map != NULL)
				printf(_("Battle map: %s\n"), map);
		}
	}
	tables_free(&t);
	fetched_free(&f);
	return rc;
}
