/* End to end: QueryService. Every figure of Summary, Grouped, Lagging and
 * Compliance on a small district checked against numbers worked out by
 * hand below; the edge cases (no plan, no previous year, no problems, no
 * projects); as-of reproducibility; the scope of each role; the monthly
 * reconciliation with its snapshot and lock; the quarterly disclosure and
 * its page; the CLI.
 *
 * Each test gets a fresh luoshid whose district is loaded from the side
 * before it starts. The as-of day of most checks is D = 2026-10-15, a
 * Thursday: its year Y = 2026, month 10; the day of the previous year is
 * D' = 2025-10-15. The Sundays of October 2026 are the 4th, 11th, 18th and
 * 25th; periods ended by D are the weeks up to 2026-W41 (10-05..10-11) and
 * the months up to September.
 *
 * Calendar facts used: 2025-W01 is 2024-12-30..2025-01-05 (Thursday
 * 2025-01-02: it belongs to 2025); 2026-W01 is 2025-12-29..2026-01-04
 * (Thursday 2026-01-01: 2026) and straddles the year; 2026-W40 is
 * 09-28..10-04 (Thursday 10-01: October) and straddles the month;
 * 2026-W27 is 06-29..07-05 (Thursday 07-02: July). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/progress.pb-c.h"
#include "luoshi/v1/project.pb-c.h"
#include "luoshi/v1/query.pb-c.h"

#define M_SUMMARY "/luoshi.v1.QueryService/Summary"
#define M_GROUPED "/luoshi.v1.QueryService/Grouped"
#define M_LAGGING "/luoshi.v1.QueryService/Lagging"
#define M_COMPLIANCE "/luoshi.v1.QueryService/Compliance"
#define M_RECONCILE "/luoshi.v1.QueryService/Reconcile"
#define M_LIST_SNAPSHOTS "/luoshi.v1.QueryService/ListSnapshots"
#define M_GET_SNAPSHOT "/luoshi.v1.QueryService/GetSnapshot"
#define M_DISCLOSE "/luoshi.v1.QueryService/Disclose"
#define M_SUBMIT "/luoshi.v1.ProgressService/SubmitUpdate"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"

#define TOKEN_MAX 128
#define D "2026-10-15"

/* The district. Units: the office (1, from init), towns 五乡镇 WX (2) and
 * 下应街道 XY (3), departments 区发改局 FGJ (4) and 区住建局 JSJ (5); a
 * second district 北仑区 (6) with its town 大碶街道 (7), outside the
 * office's scope. Leaders L1 张区长 and L2 李副区长; L9 of the other
 * district.
 *
 * Projects (leader, lead unit, town, planned start..finish), and their
 * status on D by the rule of README.md (expected = days since the start
 * * 100 / days of the plan, rounded down):
 *   P1 district industrial continuing  L1 FGJ WX  2025-01-01..2027-12-31
 *      652*100/1094 = 59% expected, W42 (begun 10-12, sent 10-15) 58%:
 *      1 behind, not silent                                   ON TRACK
 *   P2 district livelihood new         L2 JSJ XY  2026-01-05..2027-06-30
 *      283*100/541 = 52%, W41 50%                               ON TRACK
 *   P3 district infrastructure new     L1 JSJ WX  2025-06-01..2026-12-31
 *      monthly; 501*100/578 = 86%, 2026-09 80%: 6 behind; node 主体完工
 *      due 09-30 open: 15 days overdue                          LAGGING
 *   P4 city platform continuing        L2 FGJ XY  2025-03-01..2027-02-28
 *      593*100/729 = 81%, W41 75%                               ON TRACK
 *   P5 town platform continuing        L1 FGJ -   2024-01-01..2026-12-31
 *      1018*100/1095 = 92%, W15 60%: 32 behind; silent since 04-12: the
 *      26 weeks 04-13..10-11                          SERIOUSLY LAGGING
 *   P6 town special_task new           L2 JSJ WX  2026-03-02..2026-12-27
 *      227*100/300 = 75%, W41 75%                               ON TRACK
 *   P7 city industrial new (no plan)   L1 FGJ XY  2026-01-05..2028-12-31
 *      283*100/1091 = 25%, W41 20%                              ON TRACK
 *   P8 district infrastructure continuing L2 JSJ WX 2026-07-01..2027-06-30
 *      106*100/364 = 29%, W38 10%: 19 behind; silent 3 weeks
 *      (09-21..10-11)                                           LAGGING
 *   P9 (the other district) and P10 (archived) count nowhere.
 * On track 5 of 8: 625 per mille.
 *
 * Money on D (万元), periods of 2026 ended by D, latest revisions:
 *          plan  plan1-10  completed            D'=2025-10-15   output  prev
 *   P1     1200    1000    120+180+90+50 = 440  100+200 = 300   1000    800
 *   P2      600     500    40+80+100 = 220      -                  0      0
 *   P3      600     500    250+150 = 400        300+200 = 500      0      0
 *   P4     1000     750    300+200 = 500        400             1300   1000
 *   P5      400     400    100                  500               50    200
 *   P6      200     160    30+40+20 = 90        -                  0      0
 *   P7        0       0    10                   -                  0      0
 *   P8      600     400    60+40 = 100          -                  0      0
 *   all    4600    3710    1860                 1700            2350   2000
 * (P1's W40 counts in its second revision, 90 not 60; its W42 and P3's
 * 2025-10 and P1's 2025-W45 end after their days.) Completion 1860/4600 =
 * 404 per mille; growth 1860/1700 - 1 = 94; output growth 2350/2000 - 1 =
 * 175. New (P2 P3 P6 P7): 1400, 1160, 720, 500: completion 514, growth
 * 720/500 - 1 = 440, output growth absent. Continuing (P1 P4 P5 P8): 3200,
 * 2550, 1140, 1200: completion 356 (356.25), growth -50, output 2350 and
 * 2000: 175.
 *
 * Problems on D: raised by D Q1 Q2 Q3 Q4 Q5 Q7 Q8 = 7 (Q6 on 10-20);
 * resolved by D Q1 Q5 Q7 = 3 (Q4 on 10-20); open 4; overdue (open, due
 * before D) Q2 Q4 = 2; rate 3/7 = 429. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01'),"
    " (5, 'JSJ', '区住建局', 'department', 1, '2026-01-01'),"
    " (6, 'BL', '北仑区', 'district', NULL, '2026-01-01'),"
    " (7, 'DQ', '大碶街道', 'town', 6, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L1', '张区长', 1, '2026-01-01'), (2, 'L2', '李副区长', 1, '2026-01-01'),"
    " (3, 'L9', '王区长', 6, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " archived, created_at) VALUES"
    " (1, 'P1', '中车产业基地', 'district', 'industrial', 'continuing', 1, 4, 2, 218900,"
    "  'weekly', '2025-01-01', '2027-12-31', 0, '2026-01-01'),"
    " (2, 'P2', '美康智能健康产业中心', 'district', 'livelihood', 'new', 2, 5, 3, 50000,"
    "  'weekly', '2026-01-05', '2027-06-30', 0, '2026-01-01'),"
    " (3, 'P3', '鄞城大道', 'district', 'infrastructure', 'new', 1, 5, 2, 80000,"
    "  'monthly', '2025-06-01', '2026-12-31', 0, '2026-01-01'),"
    " (4, 'P4', '文化创意产业园', 'city', 'platform', 'continuing', 2, 4, 3, 120000,"
    "  'weekly', '2025-03-01', '2027-02-28', 0, '2026-01-01'),"
    " (5, 'P5', '南部商务区二期', 'town', 'platform', 'continuing', 1, 4, NULL, 90000,"
    "  'weekly', '2024-01-01', '2026-12-31', 0, '2026-01-01'),"
    " (6, 'P6', '污水管网<二期>&配套', 'town', 'special_task', 'new', 2, 5, 2, 3000,"
    "  'weekly', '2026-03-02', '2026-12-27', 0, '2026-01-01'),"
    " (7, 'P7', '宁波新世界广场', 'city', 'industrial', 'new', 1, 4, 3, 300000,"
    "  'weekly', '2026-01-05', '2028-12-31', 0, '2026-01-01'),"
    " (8, 'P8', '奉化江堤防', 'district', 'infrastructure', 'continuing', 2, 5, 2, 60000,"
    "  'weekly', '2026-07-01', '2027-06-30', 0, '2026-01-01'),"
    " (9, 'P9', '北仑港区项目', 'district', 'infrastructure', 'new', 3, 6, 7, 1000,"
    "  'weekly', '2026-01-01', '2026-12-31', 0, '2026-01-01'),"
    " (10, 'P10', '已归档项目', 'district', 'industrial', 'new', 1, 4, 2, 1000,"
    "  'weekly', '2026-01-05', '2026-12-31', 1, '2026-01-01');"
    /* Plans: P1 80 a month in 2025 and 100 in 2026; P2 50 a month; P3 300
     * in January, 200 in September, 100 in December; P4 250 a quarter
     * (March, June, September, December); P5 400 in April; P6 20 a month
     * from March; P8 100 a month from July; P7 none. */
    "WITH RECURSIVE m(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM m WHERE m < 12)"
    " INSERT INTO plans(project_id, year, month, invested)"
    " SELECT 1, 2025, m, 80 FROM m UNION ALL SELECT 1, 2026, m, 100 FROM m"
    " UNION ALL SELECT 2, 2026, m, 50 FROM m"
    " UNION ALL SELECT 6, 2026, m, 20 FROM m WHERE m >= 3"
    " UNION ALL SELECT 8, 2026, m, 100 FROM m WHERE m >= 7;"
    "INSERT INTO plans(project_id, year, month, invested) VALUES"
    " (3, 2026, 1, 300), (3, 2026, 9, 200), (3, 2026, 12, 100),"
    " (4, 2026, 3, 250), (4, 2026, 6, 250), (4, 2026, 9, 250), (4, 2026, 12, 250),"
    " (5, 2026, 4, 400), (9, 2026, 1, 5000), (10, 2026, 1, 999);"
    "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date, created_at)"
    " VALUES (1, 1, '地下室完工', '2026-06-30', 4, '2026-06-28', '2026-01-01'),"
    " (2, 1, '主体结顶', '2026-12-31', 4, NULL, '2026-01-01'),"
    " (3, 2, '桩基检测', '2026-03-31', 5, '2026-03-25', '2026-01-01'),"
    " (4, 3, '主体完工', '2026-09-30', 5, NULL, '2026-01-01'),"
    " (5, 4, '幕墙完工', '2026-08-31', 4, '2026-09-10', '2026-01-01'),"
    " (6, 5, '竣工验收', '2026-12-01', 4, NULL, '2026-01-01'),"
    " (7, 8, '围堰施工', '2026-10-31', 5, NULL, '2026-01-01'),"
    " (8, 3, '路面摊铺', '2026-11-30', 5, NULL, '2026-01-01');"
    "INSERT INTO updates(project_id, period, period_kind, period_first, period_last, month,"
    " year, revision, latest, unit_id, invested, output, percent, progress, support_needed,"
    " submitted_at) VALUES"
    " (1, '2025-W01', 'week', '2024-12-30', '2025-01-05', '2025-01', 2025, 1, 1, 2, 100, 300,"
    "  2, '桩基施工', NULL, '2025-01-06T09:00:00+08:00'),"
    " (1, '2025-W20', 'week', '2025-05-12', '2025-05-18', '2025-05', 2025, 1, 1, 2, 200, 500,"
    "  10, '地下室施工', NULL, '2025-05-19T09:00:00+08:00'),"
    " (1, '2025-W45', 'week', '2025-11-03', '2025-11-09', '2025-11', 2025, 1, 1, 2, 150, 400,"
    "  20, '地下室完工', NULL, '2025-11-10T09:00:00+08:00'),"
    " (1, '2026-W01', 'week', '2025-12-29', '2026-01-04', '2026-01', 2026, 1, 1, 2, 120, 350,"
    "  30, '主体结构施工', NULL, '2026-01-05T09:00:00+08:00'),"
    " (1, '2026-W20', 'week', '2026-05-11', '2026-05-17', '2026-05', 2026, 1, 1, 2, 180, 420,"
    "  40, '主体结构施工至三层', NULL, '2026-05-18T09:00:00+08:00'),"
    " (1, '2026-W40', 'week', '2026-09-28', '2026-10-04', '2026-10', 2026, 1, 0, 2, 60, 100,"
    "  55, '主体结构施工至五层', NULL, '2026-09-30T17:00:00+08:00'),"
    " (1, '2026-W40', 'week', '2026-09-28', '2026-10-04', '2026-10', 2026, 2, 1, 2, 90, 150,"
    "  56, '主体结构施工至六层', '需要协调征迁资金', '2026-10-05T09:00:00+08:00'),"
    " (1, '2026-W41', 'week', '2026-10-05', '2026-10-11', '2026-10', 2026, 1, 1, 2, 50, 80,"
    "  57, '主体结构施工至七层', NULL, '2026-10-12T09:00:00+08:00'),"
    " (1, '2026-W42', 'week', '2026-10-12', '2026-10-18', '2026-10', 2026, 1, 1, 2, 70, 90,"
    "  58, '主体结构施工至八层', NULL, '2026-10-15T16:00:00+08:00'),"
    " (2, '2026-W02', 'week', '2026-01-05', '2026-01-11', '2026-01', 2026, 1, 1, 3, 40, NULL,"
    "  5, '场地平整', NULL, '2026-01-12T09:00:00+08:00'),"
    " (2, '2026-W27', 'week', '2026-06-29', '2026-07-05', '2026-07', 2026, 1, 1, 3, 80, NULL,"
    "  30, '地下室施工', NULL, '2026-07-06T09:00:00+08:00'),"
    " (2, '2026-W41', 'week', '2026-10-05', '2026-10-11', '2026-10', 2026, 1, 1, 3, 100, NULL,"
    "  50, '主体施工', NULL, '2026-10-12T09:00:00+08:00'),"
    " (3, '2025-07', 'month', '2025-07-01', '2025-07-31', '2025-07', 2025, 1, 1, 2, 300, NULL,"
    "  10, '路基施工', NULL, '2025-08-01T09:00:00+08:00'),"
    " (3, '2025-09', 'month', '2025-09-01', '2025-09-30', '2025-09', 2025, 1, 1, 2, 200, NULL,"
    "  15, '路基施工', NULL, '2025-10-01T09:00:00+08:00'),"
    " (3, '2025-10', 'month', '2025-10-01', '2025-10-31', '2025-10', 2025, 1, 1, 2, 100, NULL,"
    "  18, '管线迁改', NULL, '2025-11-01T09:00:00+08:00'),"
    " (3, '2026-01', 'month', '2026-01-01', '2026-01-31', '2026-01', 2026, 1, 1, 2, 250, NULL,"
    "  40, '桥梁下部结构', NULL, '2026-02-01T09:00:00+08:00'),"
    " (3, '2026-09', 'month', '2026-09-01', '2026-09-30', '2026-09', 2026, 1, 1, 2, 150, NULL,"
    "  80, '路面施工', NULL, '2026-10-05T09:00:00+08:00'),"
    " (4, '2025-W30', 'week', '2025-07-21', '2025-07-27', '2025-07', 2025, 1, 1, 3, 400, 1000,"
    "  20, '桩基施工', NULL, '2025-07-28T09:00:00+08:00'),"
    " (4, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 1, 1, 3, 300, 700,"
    "  40, '主体施工', NULL, '2026-03-09T09:00:00+08:00'),"
    " (4, '2026-W41', 'week', '2026-10-05', '2026-10-11', '2026-10', 2026, 1, 1, 3, 200, 600,"
    "  75, '幕墙施工', NULL, '2026-10-12T09:00:00+08:00'),"
    " (5, '2025-W10', 'week', '2025-03-03', '2025-03-09', '2025-03', 2025, 1, 1, 1, 500, 200,"
    "  50, '二期主体施工', NULL, '2025-03-10T09:00:00+08:00'),"
    " (5, '2026-W15', 'week', '2026-04-06', '2026-04-12', '2026-04', 2026, 1, 1, 1, 100, 50,"
    "  60, '二期装修', NULL, '2026-04-13T09:00:00+08:00'),"
    " (6, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 1, 1, 2, 30, NULL,"
    "  5, '管网开挖', NULL, '2026-03-09T09:00:00+08:00'),"
    " (6, '2026-W40', 'week', '2026-09-28', '2026-10-04', '2026-10', 2026, 1, 1, 2, 40, NULL,"
    "  70, '管网敷设', NULL, '2026-10-05T09:00:00+08:00'),"
    " (6, '2026-W41', 'week', '2026-10-05', '2026-10-11', '2026-10', 2026, 1, 1, 2, 20, NULL,"
    "  75, '管网敷设', NULL, '2026-10-13T09:00:00+08:00'),"
    " (7, '2026-W41', 'week', '2026-10-05', '2026-10-11', '2026-10', 2026, 1, 1, 3, 10, NULL,"
    "  20, '前期工作', NULL, '2026-10-12T09:00:00+08:00'),"
    " (8, '2026-W28', 'week', '2026-07-06', '2026-07-12', '2026-07', 2026, 1, 1, 2, 60, 0,"
    "  5, '围堰施工', NULL, '2026-07-13T09:00:00+08:00'),"
    " (8, '2026-W38', 'week', '2026-09-14', '2026-09-20', '2026-09', 2026, 1, 1, 2, 40, NULL,"
    "  10, '堤身填筑', NULL, '2026-09-21T09:00:00+08:00'),"
    " (9, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 1, 1, 7, 777, NULL,"
    "  10, '港区施工', NULL, '2026-03-09T09:00:00+08:00'),"
    " (10, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 1, 1, 2, 888,"
    "  NULL, 10, '已归档', NULL, '2026-03-09T09:00:00+08:00');"
    "INSERT INTO problems(id, project_id, title, grp, routed_unit_id, due_date, status,"
    " raised_at, raised_on, resolved_at, resolved_on) VALUES"
    " (1, 1, '施工用电', 'other', 1, NULL, 'resolved', '2026-03-01T10:00:00+08:00',"
    "  '2026-03-01', '2026-04-01T10:00:00+08:00', '2026-04-01'),"
    " (2, 1, '征迁资金', 'other', 1, '2026-10-01', 'open', '2026-09-01T10:00:00+08:00',"
    "  '2026-09-01', NULL, NULL),"
    " (3, 3, '管线迁改', 'other', 1, '2026-12-31', 'open', '2026-05-10T10:00:00+08:00',"
    "  '2026-05-10', NULL, NULL),"
    " (4, 4, '规划许可', 'other', 1, '2026-07-01', 'resolved', '2026-06-01T10:00:00+08:00',"
    "  '2026-06-01', '2026-10-20T10:00:00+08:00', '2026-10-20'),"
    " (5, 5, '消防验收', 'other', 1, NULL, 'resolved', '2026-02-01T10:00:00+08:00',"
    "  '2026-02-01', '2026-02-20T10:00:00+08:00', '2026-02-20'),"
    " (6, 5, '竣工备案', 'other', 1, '2026-11-20', 'open', '2026-10-20T10:00:00+08:00',"
    "  '2026-10-20', NULL, NULL),"
    " (7, 2, '施工许可', 'other', 1, '2026-08-15', 'resolved', '2026-08-01T10:00:00+08:00',"
    "  '2026-08-01', '2026-09-01T10:00:00+08:00', '2026-09-01'),"
    " (8, 8, '防汛通道', 'other', 1, NULL, 'open', '2026-07-10T10:00:00+08:00',"
    "  '2026-07-10', NULL, NULL),"
    " (9, 9, '港区问题', 'other', 1, NULL, 'open', '2026-05-01T10:00:00+08:00',"
    "  '2026-05-01', NULL, NULL),"
    " (10, 10, '归档问题', 'other', 1, NULL, 'open', '2026-05-01T10:00:00+08:00',"
    "  '2026-05-01', NULL, NULL);";

typedef struct fx {
	e2e_server s;
	char wx[TOKEN_MAX];     /* town 五乡镇 */
	char viewer[TOKEN_MAX]; /* the office's viewer */
	char jsj[TOKEN_MAX];    /* department 区住建局 */
	char leader[TOKEN_MAX]; /* 张区长 */
	char inspector[TOKEN_MAX];
	char discipline[TOKEN_MAX];
} fx;

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

/* The rows a reconciliation writes, all tables together. */
static int64_t reconciled(const e2e_server *s)
{
	return db_count(s, "SELECT (SELECT count(*) FROM snapshots) + (SELECT count(*) FROM "
	                   "snapshot_rows) + (SELECT count(*) FROM period_locks) + (SELECT "
	                   "count(*) FROM audit_log WHERE entity = 'snapshot')");
}

static void account(const e2e_server *s, int role, const char *name, const char *unit,
                    const char *person, char token[TOKEN_MAX])
{
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 10000);
	Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.has_role = true;
	req.role = (Luoshi__V1__Role)role;
	req.name = (char *)name;
	req.unit = (char *)unit;
	req.person = (char *)person;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_CREATE, &req.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("CreateAccount %s: %s %s", name, ls_code_name(rc), st.message);
	snprintf(token, TOKEN_MAX, "%s", ((Luoshi__V1__CreateAccountResponse *)m)->token);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		goto fail;
	db_exec(&f->s, FIXTURE);
	static const char *const extra[] = {"--rate-limit", "0", NULL};
	if (e2e_server_start(&f->s, extra) != 0)
		goto fail;
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇 clerk", "WX", NULL, f->wx);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_VIEWER, "viewer", NULL, NULL, f->viewer);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "住建局", "JSJ", NULL, f->jsj);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_LEADER, "张区长", NULL, "L1", f->leader);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_INSPECTOR, "督查组", NULL, NULL, f->inspector);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_DISCIPLINE, "纪委", NULL, NULL, f->discipline);
	*state = f;
	return 0;
fail:
	if (f != NULL)
		e2e_server_cleanup(&f->s);
	free(f);
	return -1;
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = 0;
	if (f != NULL) {
		if (f->s.pid > 0 && e2e_server_stop(&f->s) != 0)
			rc = -1;
		e2e_server_cleanup(&f->s);
		free(f);
	}
	return rc;
}

/* ---- calling ------------------------------------------------------------------ */

/* Calls method as token; fails the test unless the code is expect. *out
 * gets the response when OK (free it), st the status. */
static ProtobufCMessage *call_as(const fx *f, const char *token, const char *method,
                                 const ProtobufCMessage *req, int expect, ls_status *st)
{
	luoshi_client *c = e2e_client(f->s.tcp_url, token, 30000);
	ProtobufCMessage *m = NULL;
	ls_status local;
	if (st == NULL)
		st = &local;
	int rc = e2e_call(c, method, req, NULL, &m, st);
	luoshi_client_close(c);
	if (rc != expect)
		fail_msg("%s: expected %s, got %s: %s %s", method, ls_code_name(expect),
		         ls_code_name(rc), st->field, st->message);
	return m;
}

static Luoshi__V1__SummaryResponse *summary(const fx *f, const char *token,
                                            const Luoshi__V1__QueryFilter *filter)
{
	Luoshi__V1__SummaryRequest req = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	req.filter = (Luoshi__V1__QueryFilter *)filter;
	return (Luoshi__V1__SummaryResponse *)call_as(f, token, M_SUMMARY, &req.base, LS_OK, NULL);
}

static Luoshi__V1__QueryFilter as_of(const char *day)
{
	Luoshi__V1__QueryFilter q = LUOSHI__V1__QUERY_FILTER__INIT;
	q.as_of = (char *)day;
	return q;
}

/* Checks a Money message; a rate of -9999 must be absent. */
static void money_is(const Luoshi__V1__Money *m, int64_t plan, int64_t planned, int64_t done,
                     int completion, int64_t prev, int growth, int64_t output, int64_t prev_output,
                     int output_growth)
{
	assert_non_null(m);
	assert_int_equal(m->annual_plan, plan);
	assert_int_equal(m->planned_ytd, planned);
	assert_int_equal(m->completed_ytd, done);
	if (completion == -9999) {
		assert_false(m->has_completion_permille);
	} else {
		assert_true(m->has_completion_permille);
		assert_int_equal(m->completion_permille, completion);
	}
	assert_int_equal(m->previous_ytd, prev);
	if (growth == -9999) {
		assert_false(m->has_growth_permille);
	} else {
		assert_true(m->has_growth_permille);
		assert_int_equal(m->growth_permille, growth);
	}
	assert_int_equal(m->output_ytd, output);
	assert_int_equal(m->previous_output_ytd, prev_output);
	if (output_growth == -9999) {
		assert_false(m->has_output_growth_permille);
	} else {
		assert_true(m->has_output_growth_permille);
		assert_int_equal(m->output_growth_permille, output_growth);
	}
}

static void problems_are(const Luoshi__V1__ProblemFigures *p, unsigned raised, unsigned resolved,
                         unsigned open, unsigned overdue, int rate)
{
	assert_non_null(p);
	assert_int_equal(p->raised, raised);
	assert_int_equal(p->resolved, resolved);
	assert_int_equal(p->open, open);
	assert_int_equal(p->overdue, overdue);
	if (rate == -9999) {
		assert_false(p->has_rate_permille);
	} else {
		assert_true(p->has_rate_permille);
		assert_int_equal(p->rate_permille, rate);
	}
}

static void statuses_are(const Luoshi__V1__Figures *x, unsigned projects, unsigned on, unsigned lag,
                         unsigned serious, int share)
{
	assert_non_null(x);
	assert_int_equal(x->projects, projects);
	assert_int_equal(x->on_track, on);
	assert_int_equal(x->lagging, lag);
	assert_int_equal(x->seriously_lagging, serious);
	if (share == -9999) {
		assert_false(x->has_on_track_permille);
	} else {
		assert_true(x->has_on_track_permille);
		assert_int_equal(x->on_track_permille, share);
	}
}

static unsigned count_of(Luoshi__V1__Count **c, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i]->key, key) == 0)
			return c[i]->count;
	fail_msg("no count for %s", key);
	return 0;
}

/* ---- Summary -------------------------------------------------------------------- */

static void test_summary(void **state)
{
	fx *f = *state;
	Luoshi__V1__QueryFilter q = as_of(D);
	Luoshi__V1__SummaryResponse *r = summary(f, f->s.admin_token, &q);
	assert_string_equal(r->as_of, D);
	assert_string_equal(r->previous_as_of, "2025-10-15");
	const Luoshi__V1__Figures *x = r->figures;
	statuses_are(x, 8, 5, 2, 1, 625);
	money_is(x->money, 4600, 3710, 1860, 404, 1700, 94, 2350, 2000, 175);
	money_is(x->money_new, 1400, 1160, 720, 514, 500, 440, 0, 0, -9999);
	money_is(x->money_continuing, 3200, 2550, 1140, 356, 1200, -50, 2350, 2000, 175);
	problems_are(x->problems, 7, 3, 4, 2, 429);
	/* Levels: city P4 P7, district P1 P2 P3 P8, town P5 P6. Categories:
	 * industrial P1 P7, platform P4 P5, infrastructure P3 P8, livelihood
	 * P2, special_task P6. Stages: new P2 P3 P6 P7, continuing the rest. */
	assert_int_equal(r->n_by_level, 3);
	assert_int_equal(count_of(r->by_level, r->n_by_level, "city"), 2);
	assert_int_equal(count_of(r->by_level, r->n_by_level, "district"), 4);
	assert_int_equal(count_of(r->by_level, r->n_by_level, "town"), 2);
	assert_int_equal(r->n_by_category, 5);
	assert_int_equal(count_of(r->by_category, r->n_by_category, "industrial"), 2);
	assert_int_equal(count_of(r->by_category, r->n_by_category, "platform"), 2);
	assert_int_equal(count_of(r->by_category, r->n_by_category, "infrastructure"), 2);
	assert_int_equal(count_of(r->by_category, r->n_by_category, "livelihood"), 1);
	assert_int_equal(count_of(r->by_category, r->n_by_category, "special_task"), 1);
	assert_int_equal(count_of(r->by_stage, r->n_by_stage, "new"), 4);
	assert_int_equal(count_of(r->by_stage, r->n_by_stage, "continuing"), 4);
	assert_int_equal(count_of(r->by_status, r->n_by_status, "on_track"), 5);
	assert_int_equal(count_of(r->by_status, r->n_by_status, "lagging"), 2);
	assert_int_equal(count_of(r->by_status, r->n_by_status, "seriously_lagging"), 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Filters. Town WX: P1 P3 P6 P8; plan 1200+600+200+600 = 2600, to date
	 * 1000+500+160+400 = 2060, completed 440+400+90+100 = 1030 (396),
	 * previous 300+500 = 800 (+287.5: 288), output 1000 against 800
	 * (250); problems Q1 Q2 Q3 Q8: 4 raised, Q1 resolved, Q2 overdue. */
	q.town = (char *)"五乡镇";
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 4, 2, 2, 0, 500);
	money_is(r->figures->money, 2600, 2060, 1030, 396, 800, 288, 1000, 800, 250);
	problems_are(r->figures->problems, 4, 1, 3, 1, 250);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Leader L2 and stage continuing: P4 P8. */
	q = as_of(D);
	q.leader = (char *)"L2";
	q.has_stage = true;
	q.stage = LUOSHI__V1__STAGE__STAGE_CONTINUING;
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 2, 1, 1, 0, 500);
	money_is(r->figures->money, 1600, 1150, 600, 375, 400, 500, 1300, 1000, 300);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Unit JSJ (lead): P2 P3 P6 P8, completed 220+400+90+100 = 810. */
	q = as_of(D);
	q.unit = (char *)"JSJ";
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 4, 2, 2, 0, 500);
	assert_int_equal(r->figures->money->completed_ytd, 810);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* One project, by name: 中车产业基地 (P1), 440 against 300 (+466.7:
	 * 467), output 1000 against 800 (+250); Q1 resolved, Q2 overdue. */
	q = as_of(D);
	q.project = (char *)"中车产业基地";
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 1, 1, 0, 0, 1000);
	money_is(r->figures->money, 1200, 1000, 440, 367, 300, 467, 1000, 800, 250);
	problems_are(r->figures->problems, 2, 1, 1, 1, 500);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Level city: P4 P7. */
	q = as_of(D);
	q.has_level = true;
	q.level = LUOSHI__V1__LEVEL__LEVEL_CITY;
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 2, 2, 0, 0, 1000);
	money_is(r->figures->money, 1000, 750, 510, 510, 400, 275, 1300, 1000, 300);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Stage new: P2 P3 P6 P7, P3 lagging; the money of the new above. */
	q = as_of(D);
	q.has_stage = true;
	q.stage = LUOSHI__V1__STAGE__STAGE_NEW;
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 4, 3, 1, 0, 750);
	money_is(r->figures->money, 1400, 1160, 720, 514, 500, 440, 0, 0, -9999);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* The rates without a base are absent, not zero. */
static void test_edge_cases(void **state)
{
	fx *f = *state;
	/* P7 alone (city, industrial): no plan, no previous year, no
	 * problems. */
	Luoshi__V1__QueryFilter q = as_of(D);
	q.has_level = true;
	q.level = LUOSHI__V1__LEVEL__LEVEL_CITY;
	q.has_category = true;
	q.category = LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL;
	Luoshi__V1__SummaryResponse *r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 1, 1, 0, 0, 1000);
	money_is(r->figures->money, 0, 0, 10, -9999, 0, -9999, 0, 0, -9999);
	money_is(r->figures->money_new, 0, 0, 10, -9999, 0, -9999, 0, 0, -9999);
	money_is(r->figures->money_continuing, 0, 0, 0, -9999, 0, -9999, 0, 0, -9999);
	problems_are(r->figures->problems, 0, 0, 0, 0, -9999);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* P6 (special task) has a plan but no previous year and no problems:
	 * completion 90/200 = 450. */
	q = as_of(D);
	q.has_category = true;
	q.category = LUOSHI__V1__CATEGORY__CATEGORY_SPECIAL_TASK;
	r = summary(f, f->s.admin_token, &q);
	money_is(r->figures->money, 200, 160, 90, 450, 0, -9999, 0, 0, -9999);
	problems_are(r->figures->problems, 0, 0, 0, 0, -9999);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* No project at all (town level and industrial): every count zero,
	 * every rate absent. */
	q = as_of(D);
	q.has_level = true;
	q.level = LUOSHI__V1__LEVEL__LEVEL_TOWN;
	q.has_category = true;
	q.category = LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL;
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 0, 0, 0, 0, -9999);
	money_is(r->figures->money, 0, 0, 0, -9999, 0, -9999, 0, 0, -9999);
	assert_int_equal(count_of(r->by_level, r->n_by_level, "town"), 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* The year's first day: nothing of 2026 has ended but W01 (ends
	 * 01-04): on 2026-01-01 nothing is completed; the previous day
	 * 2025-01-01 has nothing either (2025-W01 ends 01-05). */
	q = as_of("2026-01-01");
	r = summary(f, f->s.admin_token, &q);
	money_is(r->figures->money, 4600, 100 + 50 + 300, 0, 0, 0, -9999, 0, 0, -9999);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* On 01-04 W01 has ended: P1's 120 and 350. */
	q = as_of("2026-01-04");
	r = summary(f, f->s.admin_token, &q);
	assert_int_equal(r->figures->money->completed_ytd, 120);
	assert_int_equal(r->figures->money->output_ytd, 350);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- Grouped -------------------------------------------------------------------- */

static Luoshi__V1__GroupedResponse *grouped(const fx *f, const char *token, Luoshi__V1__GroupBy by,
                                            const char *sort, bool desc)
{
	Luoshi__V1__QueryFilter q = as_of(D);
	Luoshi__V1__GroupedRequest req = LUOSHI__V1__GROUPED_REQUEST__INIT;
	req.filter = &q;
	req.has_by = true;
	req.by = by;
	req.sort = (char *)sort;
	req.has_descending = desc;
	req.descending = desc;
	return (Luoshi__V1__GroupedResponse *)call_as(f, token, M_GROUPED, &req.base, LS_OK, NULL);
}

static void test_grouped(void **state)
{
	fx *f = *state;
	/* By town, in code order, the projects in no town last:
	 *   WX P1 P3 P6 P8: as the town filter of test_summary.
	 *   XY P2 P4 P7: all on track; plan 600+1000+0 = 1600, to date
	 *      500+750 = 1250, completed 220+500+10 = 730 (456.25: 456);
	 *      previous P4's 400 (+825); output 1300 against 1000 (300);
	 *      problems Q7 (resolved) and Q4 (open, overdue): 500.
	 *   -  P5: seriously lagging; 400, 400, 100 (250); previous 500
	 *      (-800); output 50 against 200 (-750); Q5 resolved: 1000. */
	Luoshi__V1__GroupedResponse *r =
	    grouped(f, f->s.admin_token, LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN, NULL, false);
	assert_string_equal(r->as_of, D);
	assert_int_equal(r->n_rows, 3);
	assert_string_equal(r->rows[0]->code, "WX");
	assert_string_equal(r->rows[0]->name, "五乡镇");
	statuses_are(r->rows[0]->figures, 4, 2, 2, 0, 500);
	money_is(r->rows[0]->figures->money, 2600, 2060, 1030, 396, 800, 288, 1000, 800, 250);
	problems_are(r->rows[0]->figures->problems, 4, 1, 3, 1, 250);
	assert_string_equal(r->rows[1]->code, "XY");
	statuses_are(r->rows[1]->figures, 3, 3, 0, 0, 1000);
	money_is(r->rows[1]->figures->money, 1600, 1250, 730, 456, 400, 825, 1300, 1000, 300);
	problems_are(r->rows[1]->figures->problems, 2, 1, 1, 1, 500);
	assert_null(r->rows[2]->code);
	assert_null(r->rows[2]->name);
	statuses_are(r->rows[2]->figures, 1, 0, 0, 1, 0);
	money_is(r->rows[2]->figures->money, 400, 400, 100, 250, 500, -800, 50, 200, -750);
	problems_are(r->rows[2]->figures->problems, 1, 1, 0, 0, 1000);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Sorted by completion, the highest first: XY 456, WX 396, - 250. By
	 * growth, the lowest first: - (-800), WX 288, XY 825. */
	r = grouped(f, f->s.admin_token, LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN, "completion", true);
	assert_int_equal(r->n_rows, 3);
	assert_string_equal(r->rows[0]->code, "XY");
	assert_string_equal(r->rows[1]->code, "WX");
	assert_null(r->rows[2]->code);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = grouped(f, f->s.admin_token, LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN, "growth", false);
	assert_null(r->rows[0]->code);
	assert_string_equal(r->rows[1]->code, "WX");
	assert_string_equal(r->rows[2]->code, "XY");
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* By leader:
	 *   L1 P1 P3 P5 P7: on track P1 P7, lagging P3, seriously P5 (500);
	 *      plan 1200+600+400+0 = 2200, to date 1000+500+400 = 1900,
	 *      completed 440+400+100+10 = 950 (431.8: 432); previous
	 *      300+500+500 = 1300 (-269.2: -269); output 1050 against 1000
	 *      (50); problems Q1 Q2 Q3 Q5: 4, resolved Q1 Q5, Q2 overdue.
	 *   L2 P2 P4 P6 P8: on track but P8 (750); 2400, 1810, 910 (379.2:
	 *      379); previous 400 (+1275); output 1300 against 1000 (300);
	 *      problems Q4 Q7 Q8: 3, Q7 resolved (333), Q4 overdue. */
	r = grouped(f, f->s.admin_token, LUOSHI__V1__GROUP_BY__GROUP_BY_LEADER, NULL, false);
	assert_int_equal(r->n_rows, 2);
	assert_string_equal(r->rows[0]->code, "L1");
	assert_string_equal(r->rows[0]->name, "张区长");
	statuses_are(r->rows[0]->figures, 4, 2, 1, 1, 500);
	money_is(r->rows[0]->figures->money, 2200, 1900, 950, 432, 1300, -269, 1050, 1000, 50);
	problems_are(r->rows[0]->figures->problems, 4, 2, 2, 1, 500);
	assert_string_equal(r->rows[1]->code, "L2");
	assert_string_equal(r->rows[1]->name, "李副区长");
	statuses_are(r->rows[1]->figures, 4, 3, 1, 0, 750);
	money_is(r->rows[1]->figures->money, 2400, 1810, 910, 379, 400, 1275, 1300, 1000, 300);
	problems_are(r->rows[1]->figures->problems, 3, 1, 2, 1, 333);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* By lead unit: FGJ P1 P4 P5 P7 (440+500+100+10 = 1050), JSJ P2 P3 P6
	 * P8 (810); sorted by projects lagging, the most first: FGJ has P5,
	 * JSJ P3 and P8. */
	r = grouped(f, f->s.admin_token, LUOSHI__V1__GROUP_BY__GROUP_BY_UNIT, "lagging", true);
	assert_int_equal(r->n_rows, 2);
	assert_string_equal(r->rows[0]->code, "JSJ");
	assert_int_equal(r->rows[0]->figures->money->completed_ytd, 810);
	assert_string_equal(r->rows[1]->code, "FGJ");
	assert_string_equal(r->rows[1]->name, "区发改局");
	assert_int_equal(r->rows[1]->figures->money->completed_ytd, 1050);
	statuses_are(r->rows[1]->figures, 4, 3, 0, 1, 750);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- Lagging --------------------------------------------------------------------- */

static void test_lagging(void **state)
{
	fx *f = *state;
	Luoshi__V1__QueryFilter q = as_of(D);
	Luoshi__V1__LaggingRequest req = LUOSHI__V1__LAGGING_REQUEST__INIT;
	req.filter = &q;
	Luoshi__V1__LaggingResponse *r = (Luoshi__V1__LaggingResponse *)call_as(
	    f, f->s.admin_token, M_LAGGING, &req.base, LS_OK, NULL);
	assert_string_equal(r->as_of, D);
	assert_int_equal(r->lagging, 2);
	assert_int_equal(r->seriously_lagging, 1);
	assert_int_equal(r->n_projects, 3);
	/* P5 first: seriously lagging, 32 behind, 26 weeks silent. */
	const Luoshi__V1__LaggingProject *p = r->projects[0];
	const Luoshi__V1__ProjectStatusInfo *s = p->status;
	assert_string_equal(s->project_code, "P5");
	assert_string_equal(s->project_name, "南部商务区二期");
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING);
	assert_int_equal(s->percent, 60);
	assert_int_equal(s->expected_percent, 92);
	assert_int_equal(s->behind, 32);
	assert_int_equal(s->silent_periods, 26);
	assert_int_equal(s->overdue_nodes, 0);
	assert_string_equal(s->last_period, "2026-W15");
	assert_int_equal(s->n_reasons, 2);
	assert_string_equal(s->reasons[0]->code, "behind_schedule");
	assert_string_equal(s->reasons[1]->code, "silent");
	assert_string_equal(p->level, "town");
	assert_null(p->town_code);
	assert_string_equal(p->lead_leader_code, "L1");
	assert_string_equal(p->lead_leader_name, "张区长");
	assert_string_equal(p->lead_unit_code, "FGJ");
	assert_string_equal(p->lead_unit_name, "区发改局");
	assert_int_equal(p->n_overdue_nodes, 0);
	/* Then P8: lagging, 19 behind and 3 weeks silent. */
	p = r->projects[1];
	s = p->status;
	assert_string_equal(s->project_code, "P8");
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__LAGGING);
	assert_int_equal(s->percent, 10);
	assert_int_equal(s->expected_percent, 29);
	assert_int_equal(s->behind, 19);
	assert_int_equal(s->silent_periods, 3);
	assert_string_equal(s->last_period, "2026-W38");
	assert_int_equal(s->n_reasons, 2);
	assert_string_equal(p->town_code, "WX");
	assert_string_equal(p->town_name, "五乡镇");
	assert_string_equal(p->lead_leader_name, "李副区长");
	assert_string_equal(p->lead_unit_name, "区住建局");
	/* Then P3: lagging for its node 主体完工, 15 days overdue; 6 behind. */
	p = r->projects[2];
	s = p->status;
	assert_string_equal(s->project_code, "P3");
	assert_int_equal(s->status, LUOSHI__V1__PROJECT_STATUS__LAGGING);
	assert_int_equal(s->behind, 6);
	assert_int_equal(s->overdue_nodes, 1);
	assert_int_equal(s->max_days_overdue, 15);
	assert_string_equal(s->last_period, "2026-09");
	assert_int_equal(s->n_reasons, 1);
	assert_string_equal(s->reasons[0]->code, "node_overdue");
	assert_int_equal(p->n_overdue_nodes, 1);
	assert_string_equal(p->overdue_nodes[0]->name, "主体完工");
	assert_string_equal(p->overdue_nodes[0]->due_date, "2026-09-30");
	assert_int_equal(p->overdue_nodes[0]->days, 15);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* On 2026-09-05 P4's node 幕墙完工 (due 08-31, done 09-10) was 5 days
	 * overdue: P4 is among them then. */
	q = as_of("2026-09-05");
	r = (Luoshi__V1__LaggingResponse *)call_as(f, f->s.admin_token, M_LAGGING, &req.base, LS_OK,
	                                           NULL);
	bool found = false;
	for (size_t i = 0; i < r->n_projects; i++) {
		if (strcmp(r->projects[i]->status->project_code, "P4") != 0)
			continue;
		found = true;
		assert_int_equal(r->projects[i]->n_overdue_nodes, 1);
		assert_string_equal(r->projects[i]->overdue_nodes[0]->name, "幕墙完工");
		assert_int_equal(r->projects[i]->overdue_nodes[0]->days, 5);
	}
	assert_true(found);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- what luoshid keeps between queries ------------------------------------------ */

/* Lagging of one project as the admin; checks P3's entry on D whole. */
static void lagging_p3_is(const fx *f)
{
	Luoshi__V1__QueryFilter q = as_of(D);
	q.project = (char *)"P3";
	Luoshi__V1__LaggingRequest req = LUOSHI__V1__LAGGING_REQUEST__INIT;
	req.filter = &q;
	Luoshi__V1__LaggingResponse *r = (Luoshi__V1__LaggingResponse *)call_as(
	    f, f->s.admin_token, M_LAGGING, &req.base, LS_OK, NULL);
	assert_int_equal(r->n_projects, 1);
	const Luoshi__V1__LaggingProject *p = r->projects[0];
	assert_string_equal(p->status->project_code, "P3");
	assert_string_equal(p->status->project_name, "鄞城大道");
	assert_string_equal(p->status->last_period, "2026-09");
	assert_string_equal(p->level, "district");
	assert_string_equal(p->town_code, "WX");
	assert_string_equal(p->town_name, "五乡镇");
	assert_string_equal(p->lead_leader_code, "L1");
	assert_string_equal(p->lead_leader_name, "张区长");
	assert_string_equal(p->lead_unit_code, "JSJ");
	assert_string_equal(p->lead_unit_name, "区住建局");
	assert_int_equal(p->n_overdue_nodes, 1);
	assert_string_equal(p->overdue_nodes[0]->name, "主体完工");
	assert_string_equal(p->overdue_nodes[0]->due_date, "2026-09-30");
	assert_int_equal(p->overdue_nodes[0]->days, 15);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* The office's queries are answered from figures luoshid keeps in memory,
 * brought up to date project by project: they must change with a write
 * through the RPC and with every kind of change made by another connection
 * (a project archived, renamed or back; a problem resolved; a node done; a
 * unit renamed), and stay right when days are evicted. One project's
 * details come from the database before the office's Lagging and from
 * memory after it: the same either way. */
static void test_kept_figures(void **state)
{
	fx *f = *state;
	lagging_p3_is(f);
	Luoshi__V1__QueryFilter q = as_of(D);
	Luoshi__V1__SummaryResponse *r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 8, 5, 2, 1, 625);
	money_is(r->figures->money, 4600, 3710, 1860, 404, 1700, 94, 2350, 2000, 175);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	Luoshi__V1__LaggingRequest lreq = LUOSHI__V1__LAGGING_REQUEST__INIT;
	lreq.filter = &q;
	Luoshi__V1__LaggingResponse *l = (Luoshi__V1__LaggingResponse *)call_as(
	    f, f->s.admin_token, M_LAGGING, &lreq.base, LS_OK, NULL);
	assert_int_equal(l->n_projects, 3);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lagging_p3_is(f);

	/* Archived through the RPC: P7 (on track; plan 0, completed 10, no
	 * problems) leaves 7 projects, 4 on track (571 per mille); completed
	 * 1850 of 4600 (402), growth 1850/1700 - 1 = 88. */
	Luoshi__V1__ArchiveProjectRequest arch = LUOSHI__V1__ARCHIVE_PROJECT_REQUEST__INIT;
	arch.project = (char *)"P7";
	ProtobufCMessage *m =
	    call_as(f, f->s.admin_token, "/luoshi.v1.ProjectService/ArchiveProject", &arch.base,
	            LS_OK, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 7, 4, 2, 1, 571);
	money_is(r->figures->money, 4600, 3710, 1850, 402, 1700, 88, 2350, 2000, 175);
	problems_are(r->figures->problems, 7, 3, 4, 2, 429);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Archived by another connection: P6 (on track; plan 200, 160 to
	 * date, completed 90, no problems) leaves 6, 3 on track (500); plan
	 * 4400, to date 3550, completed 1760 (400), growth 1760/1700 - 1 =
	 * 35. */
	db_exec(&f->s, "UPDATE projects SET archived = 1 WHERE code = 'P6'");
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 6, 3, 2, 1, 500);
	money_is(r->figures->money, 4400, 3550, 1760, 400, 1700, 35, 2350, 2000, 175);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Five other days push D out of the four kept, P6 and P7 out of each;
	 * D again is as above. */
	static const char *const days[] = {"2026-09-05", "2026-08-01", "2026-07-01", "2026-06-01",
	                                   "2026-05-01"};
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
		Luoshi__V1__QueryFilter d = as_of(days[i]);
		r = summary(f, f->s.admin_token, &d);
		assert_string_equal(r->as_of, days[i]);
		assert_int_equal(r->figures->projects, 6);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 6, 3, 2, 1, 500);
	money_is(r->figures->money, 4400, 3550, 1760, 400, 1700, 35, 2350, 2000, 175);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	lagging_p3_is(f);

	/* A problem of P1 resolved on 10-10 by another connection: Q2 (open,
	 * overdue) resolved by D: raised 7, resolved 4, open 3, overdue 1
	 * (Q4), 4/7 = 571. P7 back from the archive: 7 projects, 4 on track,
	 * completed 1770 of 4400 (402), growth 1770/1700 - 1 = 41. */
	db_exec(&f->s, "UPDATE problems SET status = 'resolved', resolved_at = "
	               "'2026-10-10T10:00:00+08:00', resolved_on = '2026-10-10' WHERE id = 2;"
	               "UPDATE projects SET archived = 0 WHERE code = 'P7'");
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 7, 4, 2, 1, 571);
	money_is(r->figures->money, 4400, 3550, 1770, 402, 1700, 41, 2350, 2000, 175);
	problems_are(r->figures->problems, 7, 4, 3, 1, 571);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* P3 renamed after the office's Lagging has read every project's
	 * details: its next Lagging gives the new name. Then its node
	 * 主体完工 done on 09-28, before its due day: P3, 6 behind and not
	 * silent, is on track, leaving P5 and P8 (5 of 7 on track: 714). */
	l = (Luoshi__V1__LaggingResponse *)call_as(f, f->s.admin_token, M_LAGGING, &lreq.base,
	                                           LS_OK, NULL);
	assert_int_equal(l->n_projects, 3);
	assert_string_equal(l->projects[2]->status->project_name, "鄞城大道");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	db_exec(&f->s, "UPDATE projects SET name = '鄞城大道一期' WHERE code = 'P3'");
	l = (Luoshi__V1__LaggingResponse *)call_as(f, f->s.admin_token, M_LAGGING, &lreq.base,
	                                           LS_OK, NULL);
	assert_int_equal(l->n_projects, 3);
	assert_string_equal(l->projects[2]->status->project_code, "P3");
	assert_string_equal(l->projects[2]->status->project_name, "鄞城大道一期");
	assert_string_equal(l->projects[2]->town_name, "五乡镇");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	/* Its node's due day moved to 09-20: 25 days overdue on D. */
	db_exec(&f->s, "UPDATE nodes SET due_date = '2026-09-20' WHERE id = 4");
	l = (Luoshi__V1__LaggingResponse *)call_as(f, f->s.admin_token, M_LAGGING, &lreq.base,
	                                           LS_OK, NULL);
	assert_int_equal(l->n_projects, 3);
	assert_string_equal(l->projects[2]->status->project_code, "P3");
	assert_int_equal(l->projects[2]->status->max_days_overdue, 25);
	assert_string_equal(l->projects[2]->overdue_nodes[0]->due_date, "2026-09-20");
	assert_int_equal(l->projects[2]->overdue_nodes[0]->days, 25);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	db_exec(&f->s, "UPDATE nodes SET done_date = '2026-09-28' WHERE id = 4");
	l = (Luoshi__V1__LaggingResponse *)call_as(f, f->s.admin_token, M_LAGGING, &lreq.base,
	                                           LS_OK, NULL);
	assert_int_equal(l->n_projects, 2);
	assert_string_equal(l->projects[0]->status->project_code, "P5");
	assert_string_equal(l->projects[1]->status->project_code, "P8");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 7, 5, 1, 1, 714);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A town renamed (a unit: everything is read again). */
	db_exec(&f->s, "UPDATE units SET name = '五乡' WHERE code = 'WX'");
	l = (Luoshi__V1__LaggingResponse *)call_as(f, f->s.admin_token, M_LAGGING, &lreq.base,
	                                           LS_OK, NULL);
	assert_int_equal(l->n_projects, 2);
	assert_string_equal(l->projects[1]->town_name, "五乡");
	protobuf_c_message_free_unpacked(&l->base, NULL);
}

/* The packed answers of the queries the kept copy serves, concatenated:
 * the office's Summary on two days, Grouped by town and by leader, Lagging;
 * the town's Summary and Lagging; one project's Summary. */
static size_t kept_answers(const fx *f, uint8_t **out)
{
	size_t len = 0;
	*out = NULL;
	static const char *const days[] = {D, "2026-09-30"};
	for (int who = 0; who < 2; who++) {
		const char *token = who == 0 ? f->s.admin_token : f->wx;
		for (int i = 0; i < 5; i++) {
			Luoshi__V1__QueryFilter q = as_of(days[i == 1]);
			Luoshi__V1__SummaryRequest sr = LUOSHI__V1__SUMMARY_REQUEST__INIT;
			Luoshi__V1__GroupedRequest gr = LUOSHI__V1__GROUPED_REQUEST__INIT;
			Luoshi__V1__LaggingRequest lr = LUOSHI__V1__LAGGING_REQUEST__INIT;
			sr.filter = gr.filter = lr.filter = &q;
			gr.has_by = true;
			gr.by = i == 2 ? LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN
			               : LUOSHI__V1__GROUP_BY__GROUP_BY_LEADER;
			if (i == 4)
				q.project = (char *)"P1";
			const char *method = i == 2 || i == 3 ? M_GROUPED
			                     : i == 0         ? M_LAGGING
			                                      : M_SUMMARY;
			const ProtobufCMessage *req = i == 2 || i == 3 ? &gr.base
			                              : i == 0         ? &lr.base
			                                               : &sr.base;
			ProtobufCMessage *m = call_as(f, token, method, req, LS_OK, NULL);
			size_t n = protobuf_c_message_get_packed_size(m);
			*out = realloc(*out, len + n + 1);
			assert_non_null(*out);
			len += protobuf_c_message_pack(m, *out + len);
			protobuf_c_message_free_unpacked(m, NULL);
		}
	}
	return len;
}

/* Fails unless the answers now, kept up to date, are those read whole
 * (after a unit changes, which drops the copy); 1 when their length is
 * not first_len. */
static int kept_vs_whole(const fx *f, int round, size_t first_len)
{
	uint8_t *kept, *whole;
	size_t kept_len = kept_answers(f, &kept);
	db_exec(&f->s, "UPDATE units SET name = name WHERE id = 1");
	size_t whole_len = kept_answers(f, &whole);
	if (kept_len != whole_len || memcmp(kept, whole, kept_len) != 0)
		fail_msg("round %d: the answers kept up to date differ from those read whole",
		         round);
	free(kept);
	free(whole);
	return kept_len != first_len;
}

/* Changes of every kind the copy follows, made at random (a fixed seed) by
 * another connection; after each round the answers brought up to date
 * project by project must be, byte for byte, those read whole (after a
 * unit changes, which drops the copy). */
static void test_kept_random(void **state)
{
	fx *f = *state;
	static const char *const weeks[][4] = {
	    {"2026-W30", "2026-07-20", "2026-07-26", "2026-07"},
	    {"2026-W35", "2026-08-24", "2026-08-30", "2026-08"},
	    {"2026-W39", "2026-09-21", "2026-09-27", "2026-09"},
	    {"2026-W41", "2026-10-05", "2026-10-11", "2026-10"},
	};
	static const int weekly[] = {1, 2, 4, 5, 6, 7, 8};
	static const char *const done[] = {"NULL", "'2026-09-01'", "'2026-09-30'", "'2026-10-20'"};
	unsigned seed = 20261129;
	uint8_t *first;
	size_t first_len = kept_answers(f, &first); /* fills the copy */
	free(first);
	int changed = 0;
	for (int round = 0; round < 40; round++) {
		for (int k = 0; k < 1 + round % 2; k++) {
			char sql[1024];
			/* Every draw made here, in a fixed order. */
			int project = weekly[rand_r(&seed) % 7];
			int what = rand_r(&seed) % 7;
			const char *const *w = weeks[rand_r(&seed) % 4];
			int r1 = rand_r(&seed) % 1000, r2 = rand_r(&seed) % 1000,
			    r3 = rand_r(&seed) % 1000;
			switch (what) {
			case 0:
				snprintf(
				    sql, sizeof sql,
				    "INSERT INTO updates(project_id, period, period_kind, period_first,"
				    " period_last, month, year, revision, latest, unit_id, invested, output,"
				    " percent, progress, submitted_at) VALUES (%d, '%s', 'week', '%s', '%s',"
				    " '%s', 2026, %d, 1, 2, %d, %d, %d, '施工', '%s T09:00:00+08:00')",
				    project, w[0], w[1], w[2], w[3], 100 + round * 3 + k, r1 % 200,
				    r2 % 300, r3 % 100, w[2]);
				/* The timestamp: the day after the period, as submitted. */
				char *t = strstr(sql, " T09");
				if (t != NULL)
					memmove(t, t + 1, strlen(t));
				break;
			case 1:
				snprintf(sql, sizeof sql,
				         "UPDATE nodes SET done_date = %s WHERE id = %d",
				         done[r1 % 4], 1 + r2 % 8);
				break;
			case 2:
				snprintf(
				    sql, sizeof sql,
				    "UPDATE problems SET resolved_on = %s, resolved_at = %s WHERE id = %d",
				    r1 % 3 == 0   ? "NULL"
				    : r1 % 3 == 1 ? "'2026-09-30'"
				                  : "'2026-10-01'",
				    "CASE WHEN resolved_on IS NULL THEN NULL ELSE "
				    "'2026-10-01T10:00:00+08:00' END",
				    1 + r2 % 10);
				break;
			case 3:
				/* Not P1, whose own Summary is asked for by name. */
				snprintf(
				    sql, sizeof sql,
				    "UPDATE projects SET archived = 1 - archived WHERE id = %d",
				    project == 1 ? 2 : project);
				break;
			case 4:
				snprintf(
				    sql, sizeof sql,
				    "INSERT INTO plans(project_id, year, month, invested)"
				    " VALUES (%d, 2026, %d, %d) ON CONFLICT (project_id, year, month)"
				    " DO UPDATE SET invested = excluded.invested",
				    project, 1 + r1 % 12, r2 % 500);
				break;
			case 5:
				snprintf(
				    sql, sizeof sql,
				    "INSERT INTO nodes(project_id, name, due_date, owner_unit_id,"
				    " created_at) VALUES (%d, '节点%d', '%s', 4, '2026-01-01')",
				    project, round * 10 + k, w[1]);
				break;
			default:
				snprintf(
				    sql, sizeof sql,
				    "INSERT INTO problems(project_id, title, grp, routed_unit_id, due_date,"
				    " status, raised_at, raised_on) VALUES (%d, '问题%d', 'other', 1, '%s',"
				    " 'open', '%sT10:00:00+08:00', '%s')",
				    project, round * 10 + k, w[2], w[1], w[1]);
				break;
			}
			db_exec(&f->s, sql);
		}
		changed += kept_vs_whole(f, round, first_len);
	}
	/* And by hand, what the draws may miss: a node done after D (still
	 * overdue on D), a problem resolved on D itself. */
	db_exec(&f->s, "UPDATE nodes SET done_date = '2026-10-20' WHERE id = 4");
	kept_vs_whole(f, 40, first_len);
	db_exec(&f->s, "UPDATE problems SET resolved_on = '" D "' WHERE id = 2");
	kept_vs_whole(f, 41, first_len);
	/* The changes changed the answers. */
	assert_true(changed > 0);
}

/* ---- Compliance ------------------------------------------------------------------ */

static Luoshi__V1__ComplianceResponse *compliance(const fx *f, const char *token, const char *day,
                                                  const char *week, int expect)
{
	Luoshi__V1__QueryFilter q = as_of(day);
	Luoshi__V1__ComplianceRequest req = LUOSHI__V1__COMPLIANCE_REQUEST__INIT;
	req.filter = &q;
	req.week = (char *)week;
	return (Luoshi__V1__ComplianceResponse *)call_as(f, token, M_COMPLIANCE, &req.base, expect,
	                                                 NULL);
}

static void test_compliance(void **state)
{
	fx *f = *state;
	/* 2026-W41 (10-05..10-11) on D: the weekly projects P1 P2 P4 P5 P6 P7
	 * P8 (P3 reports monthly, P10 is archived). Sent by D: P1 (10-12), P2,
	 * P4, P7 (10-12), P6 (10-13). WX: P1 P6 sent, P8 missing; no town: P5
	 * missing; XY: all three. Missing first, by code, no town last. The
	 * week defaults to the one before D's. */
	for (int i = 0; i < 2; i++) {
		Luoshi__V1__ComplianceResponse *r =
		    compliance(f, f->s.admin_token, D, i ? NULL : "2026-W41", LS_OK);
		assert_string_equal(r->week, "2026-W41");
		assert_int_equal(r->expected, 7);
		assert_int_equal(r->submitted, 5);
		assert_int_equal(r->n_towns, 3);
		const Luoshi__V1__TownCompliance *t = r->towns[0];
		assert_string_equal(t->town_code, "WX");
		assert_int_equal(t->expected, 3);
		assert_int_equal(t->submitted, 2);
		assert_int_equal(t->n_missing, 1);
		assert_string_equal(t->missing[0]->project_code, "P8");
		assert_string_equal(t->missing[0]->project_name, "奉化江堤防");
		t = r->towns[1];
		assert_null(t->town_code);
		assert_int_equal(t->expected, 1);
		assert_int_equal(t->submitted, 0);
		assert_string_equal(t->missing[0]->project_code, "P5");
		t = r->towns[2];
		assert_string_equal(t->town_code, "XY");
		assert_int_equal(t->expected, 3);
		assert_int_equal(t->submitted, 3);
		assert_int_equal(t->n_missing, 0);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	/* On 10-12 P6's update (sent 10-13) had not come: WX 1 of 3. */
	Luoshi__V1__ComplianceResponse *r =
	    compliance(f, f->s.admin_token, "2026-10-12", "2026-W41", LS_OK);
	assert_int_equal(r->submitted, 4);
	assert_string_equal(r->towns[0]->town_code, "WX");
	assert_int_equal(r->towns[0]->submitted, 1);
	assert_int_equal(r->towns[0]->n_missing, 2);
	assert_string_equal(r->towns[0]->missing[0]->project_code, "P6");
	assert_string_equal(r->towns[0]->missing[1]->project_code, "P8");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* 2026-W27 (06-29..07-05): P8 had not started (07-01 is within the
	 * week: it owes one), P6 and the others had; only P2 sent. */
	r = compliance(f, f->s.admin_token, D, "2026-W27", LS_OK);
	assert_int_equal(r->expected, 7);
	assert_int_equal(r->submitted, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* The town sees its own. */
	r = compliance(f, f->wx, D, "2026-W41", LS_OK);
	assert_int_equal(r->expected, 3);
	assert_int_equal(r->n_towns, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* Bad weeks. */
	ls_status st;
	Luoshi__V1__QueryFilter q = as_of(D);
	Luoshi__V1__ComplianceRequest req = LUOSHI__V1__COMPLIANCE_REQUEST__INIT;
	req.filter = &q;
	req.week = (char *)"2026-W54";
	call_as(f, f->s.admin_token, M_COMPLIANCE, &req.base, LS_INVALID_ARGUMENT, &st);
	assert_string_equal(st.field, "week");
	req.week = (char *)"2026-W43"; /* begins 10-19, after D */
	call_as(f, f->s.admin_token, M_COMPLIANCE, &req.base, LS_INVALID_ARGUMENT, &st);
	assert_string_equal(st.field, "week");
}

/* ---- as of a day ------------------------------------------------------------------ */

static void test_as_of(void **state)
{
	fx *f = *state;
	/* A later update, for a later week, and a later problem leave D as it
	 * was: P8 reports 2026-W43 (10-19..25) now. */
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	Luoshi__V1__SubmitUpdateRequest u = LUOSHI__V1__SUBMIT_UPDATE_REQUEST__INIT;
	u.project = (char *)"P8";
	u.week = (char *)"2026-W43";
	u.has_invested = true;
	u.invested = 500;
	u.has_percent = true;
	u.percent = 30;
	u.progress = (char *)"堤身填筑完成";
	ProtobufCMessage *m;
	ls_status st;
	if (e2e_call(c, M_SUBMIT, &u.base, NULL, &m, &st) != LS_OK)
		fail_msg("SubmitUpdate: %s %s", ls_code_name(st.code), st.message);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	db_exec(&f->s, "INSERT INTO problems(project_id, title, grp, routed_unit_id, status, "
	               "raised_at, raised_on) VALUES (8, '新问题', 'other', 1, 'open', "
	               "'2026-10-20T10:00:00+08:00', '2026-10-20')");

	Luoshi__V1__QueryFilter q = as_of(D);
	Luoshi__V1__SummaryResponse *r = summary(f, f->s.admin_token, &q);
	statuses_are(r->figures, 8, 5, 2, 1, 625);
	money_is(r->figures->money, 4600, 3710, 1860, 404, 1700, 94, 2350, 2000, 175);
	problems_are(r->figures->problems, 7, 3, 4, 2, 429);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A new revision of a period ended by D counts in its place (the
	 * latest revision does): P8's W38 again, 45 instead of 40. */
	c = e2e_client(f->s.tcp_url, f->wx, 10000);
	u.week = (char *)"2026-W38";
	u.invested = 45;
	u.percent = 11;
	if (e2e_call(c, M_SUBMIT, &u.base, NULL, &m, &st) != LS_OK)
		fail_msg("SubmitUpdate: %s %s", ls_code_name(st.code), st.message);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);
	q = as_of(D);
	r = summary(f, f->s.admin_token, &q);
	assert_int_equal(r->figures->money->completed_ytd, 1865);
	assert_int_equal(r->figures->money_continuing->completed_ytd, 1145);
	/* The status of D still reads W38 as it was sent by D: 10%. */
	statuses_are(r->figures, 8, 5, 2, 1, 625);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* On 11-01 (a Sunday, month 11: plan 1..11) the new week counts, with
	 * P1's W42 (ended 10-18): 1865 + 70 + 500 = 2435. P1's W42 output 90:
	 * 2440. The problems of 10-20: Q6 and the new one raised, Q4
	 * resolved: 9 raised, 4 resolved. */
	q = as_of("2026-11-01");
	r = summary(f, f->s.admin_token, &q);
	assert_int_equal(r->figures->money->completed_ytd, 2435);
	assert_int_equal(r->figures->money->output_ytd, 2440);
	assert_int_equal(r->figures->problems->raised, 9);
	assert_int_equal(r->figures->problems->resolved, 4);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- scope ---------------------------------------------------------------------- */

static void test_scope(void **state)
{
	fx *f = *state;
	Luoshi__V1__QueryFilter q = as_of(D);
	/* The town: P1 P3 P6 P8. */
	Luoshi__V1__SummaryResponse *r = summary(f, f->wx, &q);
	statuses_are(r->figures, 4, 2, 2, 0, 500);
	assert_int_equal(r->figures->money->completed_ytd, 1030);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* The department 区住建局 leads P2 P3 P6 P8 and owns their nodes. */
	r = summary(f, f->jsj, &q);
	statuses_are(r->figures, 4, 2, 2, 0, 500);
	assert_int_equal(r->figures->money->completed_ytd, 810);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* A viewer, a leader, an inspector and the discipline commission see
	 * the whole district, never P9 of the other one. */
	const char *all[] = {f->viewer, f->leader, f->inspector, f->discipline};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		r = summary(f, all[i], &q);
		statuses_are(r->figures, 8, 5, 2, 1, 625);
		assert_int_equal(r->figures->money->completed_ytd, 1860);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	Luoshi__V1__GroupedResponse *g =
	    grouped(f, f->viewer, LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN, NULL, false);
	assert_int_equal(g->n_rows, 3);
	protobuf_c_message_free_unpacked(&g->base, NULL);
	/* The town's lagging projects are its own: P8, P3. */
	Luoshi__V1__LaggingRequest lr = LUOSHI__V1__LAGGING_REQUEST__INIT;
	lr.filter = &q;
	Luoshi__V1__LaggingResponse *l =
	    (Luoshi__V1__LaggingResponse *)call_as(f, f->wx, M_LAGGING, &lr.base, LS_OK, NULL);
	assert_int_equal(l->n_projects, 2);
	assert_string_equal(l->projects[0]->status->project_code, "P8");
	assert_string_equal(l->projects[1]->status->project_code, "P3");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	/* A viewer sees no project rows. */
	ls_status st;
	assert_null(call_as(f, f->viewer, M_LAGGING, &lr.base, LS_PERMISSION_DENIED, &st));
	Luoshi__V1__ComplianceRequest cr = LUOSHI__V1__COMPLIANCE_REQUEST__INIT;
	cr.filter = &q;
	assert_null(call_as(f, f->viewer, M_COMPLIANCE, &cr.base, LS_PERMISSION_DENIED, &st));
	/* A project out of the town's reach is as unknown as none. */
	q = as_of(D);
	q.project = (char *)"P4";
	Luoshi__V1__SummaryRequest sr = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	sr.filter = &q;
	assert_null(call_as(f, f->wx, M_SUMMARY, &sr.base, LS_INVALID_ARGUMENT, &st));
	assert_string_equal(st.field, "filter.project");
	q.project = (char *)"P1";
	r = summary(f, f->wx, &q);
	assert_int_equal(r->figures->projects, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* A filter naming the other district's town finds nothing here. */
	q = as_of(D);
	q.town = (char *)"DQ";
	r = summary(f, f->s.admin_token, &q);
	assert_int_equal(r->figures->projects, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- bad input -------------------------------------------------------------------- */

static void summary_fails(const fx *f, const Luoshi__V1__QueryFilter *q, const char *field)
{
	Luoshi__V1__SummaryRequest req = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	req.filter = (Luoshi__V1__QueryFilter *)q;
	ls_status st;
	assert_null(call_as(f, f->s.admin_token, M_SUMMARY, &req.base, LS_INVALID_ARGUMENT, &st));
	assert_string_equal(st.field, field);
}

static void test_bad_input(void **state)
{
	fx *f = *state;
	Luoshi__V1__QueryFilter q = as_of("2026-02-30");
	summary_fails(f, &q, "filter.as_of");
	q = as_of("2199-01-01");
	summary_fails(f, &q, "filter.as_of");
	q = as_of(D);
	q.has_level = true;
	q.level = 9;
	summary_fails(f, &q, "filter.level");
	q = as_of(D);
	q.has_category = true;
	q.category = 6;
	summary_fails(f, &q, "filter.category");
	q = as_of(D);
	q.has_stage = true;
	q.stage = 3;
	summary_fails(f, &q, "filter.stage");
	q = as_of(D);
	q.town = (char *)"没有这个镇";
	summary_fails(f, &q, "filter.town");
	q = as_of(D);
	q.leader = (char *)"NOBODY";
	summary_fails(f, &q, "filter.leader");
	q = as_of(D);
	q.unit = (char *)"NOUNIT";
	summary_fails(f, &q, "filter.unit");

	ls_status st;
	Luoshi__V1__GroupedRequest g = LUOSHI__V1__GROUPED_REQUEST__INIT;
	call_as(f, f->s.admin_token, M_GROUPED, &g.base, LS_INVALID_ARGUMENT, &st);
	assert_string_equal(st.field, "by");
	g.has_by = true;
	g.by = LUOSHI__V1__GROUP_BY__GROUP_BY_TOWN;
	g.sort = (char *)"size";
	call_as(f, f->s.admin_token, M_GROUPED, &g.base, LS_INVALID_ARGUMENT, &st);
	assert_string_equal(st.field, "sort");
	/* No token at all. */
	Luoshi__V1__SummaryRequest s = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	call_as(f, NULL, M_SUMMARY, &s.base, LS_UNAUTHENTICATED, &st);
}

/* ---- reconciliation ----------------------------------------------------------------- */

static Luoshi__V1__ReconcileResponse *reconcile(const fx *f, const char *token, const char *month,
                                                int expect, ls_status *st)
{
	Luoshi__V1__ReconcileRequest req = LUOSHI__V1__RECONCILE_REQUEST__INIT;
	req.month = (char *)month;
	return (Luoshi__V1__ReconcileResponse *)call_as(f, token, M_RECONCILE, &req.base, expect,
	                                                st);
}

static const Luoshi__V1__SnapshotRow *row_of(const Luoshi__V1__GetSnapshotResponse *r,
                                             const char *code)
{
	for (size_t i = 0; i < r->n_rows; i++)
		if (strcmp(r->rows[i]->project_code, code) == 0)
			return r->rows[i];
	fail_msg("no row for %s", code);
	return NULL;
}

static Luoshi__V1__GetSnapshotResponse *get_snapshot(const fx *f, const char *token,
                                                     const char *month, uint32_t page,
                                                     const char *page_token, int expect)
{
	Luoshi__V1__GetSnapshotRequest req = LUOSHI__V1__GET_SNAPSHOT_REQUEST__INIT;
	req.month = (char *)month;
	req.has_page_size = page > 0;
	req.page_size = page;
	req.page_token = (char *)page_token;
	return (Luoshi__V1__GetSnapshotResponse *)call_as(f, token, M_GET_SNAPSHOT, &req.base,
	                                                  expect, NULL);
}

/* The snapshot of September 2026, on its last day, by the months the
 * periods belong to (months 1..9 of 2026):
 *   P1: plan 1200, September 100, 1..9 900; completed in September 0
 *       (W40 belongs to October), to date W01 120 + W20 180 = 300, output
 *       350 + 420 = 770. Reported by 09-30: W40's first revision (sent
 *       09-30) 55% against 637*100/1094 = 58%: on track; its progress
 *       主体结构施工至五层. Nodes due by 09-30: 地下室完工, done. Problems
 *       by then: Q1 (resolved), Q2 (open, due 10-01: not yet overdue).
 *   P3: plan 600, 200, 500; completed 150 in September, 250 + 150 = 400
 *       to date. Reported by 09-30: 2026-01 (2026-09 came 10-05): 40%
 *       against 486*100/578 = 84%, 44 behind, and silent February to
 *       August (7 months): seriously lagging. Nodes due by 09-30: 主体完工
 *       (09-30, open, not overdue on its own day). Problems: Q3 open.
 *   P8: plan 600, 100, 300; completed W38's 40 in September, 60 + 40 =
 *       100 to date; W38 10% against 91*100/364 = 25%: 15 behind,
 *       lagging. No node due. Q8 open, without a due date.
 * The others on 09-30: P2 (W27 30% against 49%, 12 weeks silent), P4 (W10
 * 40% against 79%), P5, P6 (W10; W40 came 10-05), P7 (nothing reported)
 * are seriously lagging. Totals: 8 projects, on track 1 (125), lagging 1,
 * seriously 6; plan 4600, planned 900+450+500+750+400+140+0+300 = 3440,
 * completed 300+120+400+300+100+30+0+100 = 1350 (293); nodes due by 09-30
 * 地下室完工 桩基检测 主体完工 幕墙完工 = 4, done 3; problems raised 7 (Q1
 * Q2 Q3 Q4 Q5 Q7 Q8), resolved Q1 Q5 Q7 = 3 (429), open 4, overdue Q4
 * (due 07-01) = 1. */
static void check_september(const fx *f)
{
	Luoshi__V1__GetSnapshotResponse *r =
	    get_snapshot(f, f->s.admin_token, "2026-09", 0, NULL, LS_OK);
	const Luoshi__V1__Snapshot *s = r->snapshot;
	assert_string_equal(s->month, "2026-09");
	assert_string_equal(s->as_of, "2026-09-30");
	assert_string_equal(s->unit_code, "office");
	const Luoshi__V1__SnapshotTotals *t = s->totals;
	assert_int_equal(t->projects, 8);
	assert_int_equal(t->on_track, 1);
	assert_int_equal(t->lagging, 1);
	assert_int_equal(t->seriously_lagging, 6);
	assert_int_equal(t->on_track_permille, 125);
	assert_int_equal(t->annual_plan, 4600);
	assert_int_equal(t->planned_ytd, 3440);
	assert_int_equal(t->completed_ytd, 1350);
	assert_int_equal(t->completion_permille, 293);
	assert_int_equal(t->nodes_due, 4);
	assert_int_equal(t->nodes_done, 3);
	assert_int_equal(t->problems_raised, 7);
	assert_int_equal(t->problems_resolved, 3);
	assert_int_equal(t->problems_open, 4);
	assert_int_equal(t->problems_overdue, 1);
	assert_int_equal(t->resolution_permille, 429);
	assert_int_equal(r->n_rows, 8);
	assert_null(r->next_page_token);

	const Luoshi__V1__SnapshotRow *p = row_of(r, "P1");
	assert_string_equal(p->project_name, "中车产业基地");
	assert_int_equal(p->level, LUOSHI__V1__LEVEL__LEVEL_DISTRICT);
	assert_int_equal(p->category, LUOSHI__V1__CATEGORY__CATEGORY_INDUSTRIAL);
	assert_int_equal(p->stage, LUOSHI__V1__STAGE__STAGE_CONTINUING);
	assert_string_equal(p->town_code, "WX");
	assert_string_equal(p->town_name, "五乡镇");
	assert_string_equal(p->lead_leader_name, "张区长");
	assert_string_equal(p->lead_unit_name, "区发改局");
	assert_int_equal(p->annual_plan, 1200);
	assert_int_equal(p->planned_month, 100);
	assert_int_equal(p->planned_ytd, 900);
	assert_int_equal(p->completed_month, 0);
	assert_int_equal(p->completed_ytd, 300);
	assert_int_equal(p->output_month, 0);
	assert_int_equal(p->output_ytd, 770);
	assert_int_equal(p->completion_permille, 250);
	assert_true(p->has_percent);
	assert_int_equal(p->percent, 55);
	assert_int_equal(p->expected_percent, 58);
	assert_int_equal(p->status, LUOSHI__V1__PROJECT_STATUS__ON_TRACK);
	assert_int_equal(p->n_reasons, 0);
	assert_string_equal(p->last_period, "2026-W40");
	assert_string_equal(p->progress, "主体结构施工至五层");
	assert_int_equal(p->nodes_due, 1);
	assert_int_equal(p->nodes_done, 1);
	assert_int_equal(p->problems_raised, 2);
	assert_int_equal(p->problems_resolved, 1);
	assert_int_equal(p->problems_open, 1);
	assert_int_equal(p->problems_overdue, 0);

	p = row_of(r, "P3");
	assert_int_equal(p->annual_plan, 600);
	assert_int_equal(p->planned_month, 200);
	assert_int_equal(p->planned_ytd, 500);
	assert_int_equal(p->completed_month, 150);
	assert_int_equal(p->completed_ytd, 400);
	assert_int_equal(p->percent, 40);
	assert_int_equal(p->expected_percent, 84);
	assert_int_equal(p->status, LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING);
	assert_int_equal(p->n_reasons, 2);
	assert_string_equal(p->last_period, "2026-01");
	assert_string_equal(p->progress, "桥梁下部结构");
	assert_int_equal(p->nodes_due, 1);
	assert_int_equal(p->nodes_done, 0);
	assert_int_equal(p->problems_open, 1);

	p = row_of(r, "P8");
	assert_int_equal(p->planned_month, 100);
	assert_int_equal(p->planned_ytd, 300);
	assert_int_equal(p->completed_month, 40);
	assert_int_equal(p->completed_ytd, 100);
	assert_int_equal(p->percent, 10);
	assert_int_equal(p->expected_percent, 25);
	assert_int_equal(p->status, LUOSHI__V1__PROJECT_STATUS__LAGGING);
	assert_int_equal(p->n_reasons, 1);
	assert_int_equal(p->nodes_due, 0);
	assert_int_equal(p->problems_raised, 1);
	assert_int_equal(p->problems_overdue, 0);

	p = row_of(r, "P7");
	assert_false(p->has_percent);
	assert_false(p->has_completion_permille);
	assert_int_equal(p->status, LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_reconcile(void **state)
{
	fx *f = *state;
	ls_status st;
	/* Only an admin reconciles; nothing is written otherwise. */
	const char *others[] = {f->wx, f->viewer, f->jsj, f->leader, f->inspector, f->discipline};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		assert_null(reconcile(f, others[i], "2026-09", LS_PERMISSION_DENIED, &st));
		assert_int_equal(reconciled(&f->s), 0);
	}
	/* Bad months, and one that has not ended (this month, or rather the
	 * month of tomorrow, which never has). */
	reconcile(f, f->s.admin_token, NULL, LS_INVALID_ARGUMENT, &st);
	assert_string_equal(st.field, "month");
	reconcile(f, f->s.admin_token, "2026-13", LS_INVALID_ARGUMENT, &st);
	assert_string_equal(st.field, "month");
	reconcile(f, f->s.admin_token, "2099-01", LS_FAILED_PRECONDITION, &st);
	assert_string_equal(st.field, "month");
	assert_int_equal(reconciled(&f->s), 0);

	Luoshi__V1__ReconcileResponse *r = reconcile(f, f->s.admin_token, "2026-09", LS_OK, &st);
	assert_true(r->created);
	int64_t id = r->snapshot->id;
	assert_string_equal(r->snapshot->month, "2026-09");
	assert_int_equal(r->snapshot->totals->projects, 8);
	assert_int_equal(r->snapshot->totals->completed_ytd, 1350);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* One snapshot, 8 rows, the lock, one audit row. */
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM snapshot_rows"), 8);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM period_locks WHERE month = "
	                                 "'2026-09'"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = "
	                                 "'snapshot' AND method LIKE '%Reconcile' AND after "
	                                 "LIKE '%\"month\":\"2026-09\"%' AND account_id = 1"),
	                 1);
	int64_t written = reconciled(&f->s);
	check_september(f);

	/* The month is locked: a week of September takes no more updates; a
	 * week of October still does. */
	luoshi_client *c = e2e_client(f->s.tcp_url, f->wx, 10000);
	Luoshi__V1__SubmitUpdateRequest u = LUOSHI__V1__SUBMIT_UPDATE_REQUEST__INIT;
	u.project = (char *)"P8";
	u.week = (char *)"2026-W39";
	u.has_invested = true;
	u.invested = 999;
	u.has_percent = true;
	u.percent = 20;
	u.progress = (char *)"补报";
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_SUBMIT, &u.base, NULL, &m, &st), LS_FAILED_PRECONDITION);
	assert_string_equal(st.field, "week");
	u.week = (char *)"2026-W42";
	assert_int_equal(e2e_call(c, M_SUBMIT, &u.base, NULL, &m, &st), LS_OK);
	protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(c);

	/* Again: the same snapshot, nothing written. */
	r = reconcile(f, f->s.admin_token, "2026-09", LS_OK, &st);
	assert_false(r->created);
	assert_int_equal(r->snapshot->id, id);
	assert_int_equal(r->snapshot->totals->completed_ytd, 1350);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(reconciled(&f->s), written);

	/* Later edits leave the snapshot as it was: a new plan, a new name,
	 * a new lead leader, a revised update of August. */
	db_exec(&f->s, "UPDATE plans SET invested = 5000 WHERE project_id = 1 AND year = 2026 "
	               "AND month = 9;"
	               "UPDATE projects SET name = '中车产业基地（改名）', lead_leader_id = 2 "
	               "WHERE id = 1;"
	               "UPDATE nodes SET done_date = '2026-09-15' WHERE id = 4;");
	check_september(f);
	/* The snapshot rows refuse to change, even by hand. */
	e2e_db *db = e2e_db_connect(&f->s);
	assert_false(e2e_db_try_exec(db, "UPDATE snapshot_rows SET completed_ytd = 0"));
	assert_false(e2e_db_try_exec(db, "DELETE FROM snapshots"));
	e2e_db_close(db);

	/* Paging: 3 rows a page, by project. */
	Luoshi__V1__GetSnapshotResponse *g =
	    get_snapshot(f, f->s.admin_token, "2026-09", 3, NULL, LS_OK);
	assert_int_equal(g->n_rows, 3);
	assert_string_equal(g->rows[0]->project_code, "P1");
	assert_string_equal(g->next_page_token, "3");
	protobuf_c_message_free_unpacked(&g->base, NULL);
	g = get_snapshot(f, f->s.admin_token, "2026-09", 3, "6", LS_OK);
	assert_int_equal(g->n_rows, 2);
	assert_string_equal(g->rows[0]->project_code, "P7");
	assert_string_equal(g->rows[1]->project_code, "P8");
	assert_null(g->next_page_token);
	protobuf_c_message_free_unpacked(&g->base, NULL);
	/* The town reads the rows of its own projects; a viewer none. */
	g = get_snapshot(f, f->wx, "2026-09", 0, NULL, LS_OK);
	assert_int_equal(g->n_rows, 4);
	assert_int_equal(g->snapshot->totals->projects, 8);
	protobuf_c_message_free_unpacked(&g->base, NULL);
	assert_null(get_snapshot(f, f->viewer, "2026-09", 0, NULL, LS_PERMISSION_DENIED));
	/* By id; one of id and month, not both nor neither; a bad token. */
	Luoshi__V1__GetSnapshotRequest gr = LUOSHI__V1__GET_SNAPSHOT_REQUEST__INIT;
	gr.has_id = true;
	gr.id = id;
	g = (Luoshi__V1__GetSnapshotResponse *)call_as(f, f->s.admin_token, M_GET_SNAPSHOT,
	                                               &gr.base, LS_OK, NULL);
	assert_string_equal(g->snapshot->month, "2026-09");
	assert_int_equal(g->n_rows, 8);
	protobuf_c_message_free_unpacked(&g->base, NULL);
	gr.month = (char *)"2026-09";
	call_as(f, f->s.admin_token, M_GET_SNAPSHOT, &gr.base, LS_INVALID_ARGUMENT, &st);
	gr.has_id = false;
	gr.month = NULL;
	call_as(f, f->s.admin_token, M_GET_SNAPSHOT, &gr.base, LS_INVALID_ARGUMENT, &st);
	gr.month = (char *)"2026-09";
	gr.page_token = (char *)"x1";
	call_as(f, f->s.admin_token, M_GET_SNAPSHOT, &gr.base, LS_INVALID_ARGUMENT, &st);
	assert_string_equal(st.field, "page_token");
	gr.has_id = true;
	gr.id = id + 100;
	gr.month = NULL;
	gr.page_token = NULL;
	call_as(f, f->s.admin_token, M_GET_SNAPSHOT, &gr.base, LS_NOT_FOUND, &st);
	assert_null(get_snapshot(f, f->s.admin_token, "2026-08", 0, NULL, LS_NOT_FOUND));

	/* The list, for everyone, the newest first, a page at a time. */
	r = reconcile(f, f->s.admin_token, "2026-07", LS_OK, &st);
	assert_true(r->created);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	Luoshi__V1__ListSnapshotsRequest lr = LUOSHI__V1__LIST_SNAPSHOTS_REQUEST__INIT;
	lr.has_page_size = true;
	lr.page_size = 1;
	Luoshi__V1__ListSnapshotsResponse *l = (Luoshi__V1__ListSnapshotsResponse *)call_as(
	    f, f->viewer, M_LIST_SNAPSHOTS, &lr.base, LS_OK, NULL);
	assert_int_equal(l->n_snapshots, 1);
	assert_string_equal(l->snapshots[0]->month, "2026-07");
	assert_non_null(l->next_page_token);
	char next[32];
	snprintf(next, sizeof next, "%s", l->next_page_token);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	lr.page_token = next;
	l = (Luoshi__V1__ListSnapshotsResponse *)call_as(f, f->viewer, M_LIST_SNAPSHOTS, &lr.base,
	                                                 LS_OK, NULL);
	assert_int_equal(l->n_snapshots, 1);
	assert_string_equal(l->snapshots[0]->month, "2026-09");
	assert_int_equal(l->snapshots[0]->totals->projects, 8);
	assert_int_equal(l->snapshots[0]->totals->completed_ytd, 1350);
	assert_null(l->next_page_token);
	protobuf_c_message_free_unpacked(&l->base, NULL);
}

/* ---- disclosure ------------------------------------------------------------------------ */

static Luoshi__V1__DiscloseResponse *disclose(const fx *f, const char *token, const char *quarter,
                                              int expect, ls_status *st)
{
	Luoshi__V1__DiscloseRequest req = LUOSHI__V1__DISCLOSE_REQUEST__INIT;
	req.quarter = (char *)quarter;
	return (Luoshi__V1__DiscloseResponse *)call_as(f, token, M_DISCLOSE, &req.base, expect, st);
}

static void test_disclose(void **state)
{
	fx *f = *state;
	ls_status st;
	assert_null(disclose(f, f->s.admin_token, "2026-Q3", LS_FAILED_PRECONDITION, &st));
	assert_string_equal(st.field, "quarter");
	assert_null(disclose(f, f->s.admin_token, "2026-Q5", LS_INVALID_ARGUMENT, &st));
	assert_string_equal(st.field, "quarter");

	/* August, then P7 archived, then September: the quarter takes P7 from
	 * August (nothing reported, 238*100/1091 = 21% expected: seriously
	 * lagging; no plan) and the others from September. */
	Luoshi__V1__ReconcileResponse *rr = reconcile(f, f->s.admin_token, "2026-08", LS_OK, &st);
	protobuf_c_message_free_unpacked(&rr->base, NULL);
	db_exec(&f->s, "UPDATE projects SET archived = 1 WHERE id = 7");
	rr = reconcile(f, f->s.admin_token, "2026-09", LS_OK, &st);
	assert_int_equal(rr->snapshot->totals->projects, 7);
	protobuf_c_message_free_unpacked(&rr->base, NULL);

	/* Published: everyone may read it. */
	Luoshi__V1__DiscloseResponse *r = disclose(f, f->viewer, "2026-Q3", LS_OK, &st);
	assert_string_equal(r->quarter, "2026-Q3");
	assert_int_equal(r->n_months, 2);
	assert_string_equal(r->months[0], "2026-08");
	assert_string_equal(r->months[1], "2026-09");
	assert_int_equal(r->n_rows, 8);
	const Luoshi__V1__DisclosureRow *p = NULL;
	for (size_t i = 0; i < r->n_rows; i++) {
		if (strcmp(r->rows[i]->project_code, "P7") == 0) {
			assert_string_equal(r->rows[i]->month, "2026-08");
			assert_int_equal(r->rows[i]->status,
			                 LUOSHI__V1__PROJECT_STATUS__SERIOUSLY_LAGGING);
			assert_false(r->rows[i]->has_completion_permille);
		} else {
			assert_string_equal(r->rows[i]->month, "2026-09");
		}
		if (strcmp(r->rows[i]->project_code, "P1") == 0)
			p = r->rows[i];
	}
	assert_non_null(p);
	assert_int_equal(p->annual_plan, 1200);
	assert_int_equal(p->completed_ytd, 300);
	assert_int_equal(p->completion_permille, 250);
	assert_int_equal(p->percent, 55);
	assert_int_equal(p->status, LUOSHI__V1__PROJECT_STATUS__ON_TRACK);
	assert_string_equal(p->progress, "主体结构施工至五层");
	assert_string_equal(p->town_name, "五乡镇");
	/* The September figures with P7's August row added (no plan, nothing
	 * completed, seriously lagging). */
	const Luoshi__V1__SnapshotTotals *t = r->totals;
	assert_int_equal(t->projects, 8);
	assert_int_equal(t->on_track, 1);
	assert_int_equal(t->lagging, 1);
	assert_int_equal(t->seriously_lagging, 6);
	assert_int_equal(t->annual_plan, 4600);
	assert_int_equal(t->completed_ytd, 1350);
	assert_int_equal(t->completion_permille, 293);
	assert_int_equal(t->problems_raised, 7);
	assert_int_equal(t->problems_resolved, 3);
	assert_int_equal(t->resolution_permille, 429);

	/* The page: Chinese headings, the figures, escaped names, nothing
	 * internal. */
	const char *h = r->html;
	assert_non_null(h);
	assert_non_null(strstr(h, "<!DOCTYPE html>"));
	assert_non_null(strstr(h, "<style>"));
	assert_null(strstr(h, "<script"));
	assert_non_null(strstr(h, "2026年第三季度重点项目推进情况"));
	assert_non_null(strstr(h, "区领导小组办公室"));
	assert_non_null(strstr(h, "项目明细"));
	assert_non_null(strstr(h, "中车产业基地"));
	assert_non_null(strstr(h, "主体结构施工至五层"));
	assert_non_null(strstr(h, "推进顺利"));
	assert_non_null(strstr(h, "严重滞后"));
	assert_non_null(strstr(h, "29.3%"));
	assert_non_null(strstr(h, "42.9%"));
	assert_non_null(strstr(h, ">4600<"));
	assert_non_null(strstr(h, ">1350<"));
	assert_non_null(strstr(h, "污水管网&lt;二期&gt;&amp;配套"));
	assert_null(strstr(h, "<二期>"));
	assert_null(strstr(h, "需要协调征迁资金"));
	assert_null(strstr(h, "六层"));
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Nothing of the support asked for anywhere in the answer. */
	e2e_run run;
	const char *args[] = {"disclose", "--quarter", "2026-Q3", "--json", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->viewer, NULL, args, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "\"projectCode\": \"P1\""));
	assert_null(strstr(run.out, "需要协调征迁资金"));
	assert_null(strstr(run.out, "reasons"));
	e2e_run_free(&run);
}

/* ---- the command line ------------------------------------------------------------------ */

static void test_cli(void **state)
{
	fx *f = *state;
	e2e_run run;
	const char *sum[] = {"query", "summary", "--as-of", D, NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, "zh_CN.UTF-8", sum, &run);
	if (run.status != 0)
		fail_msg("query summary: %d: %s", run.status, run.err);
	assert_non_null(strstr(run.out, "推进顺利"));
	assert_non_null(strstr(run.out, "5 (62.5%)"));
	assert_non_null(strstr(run.out, "40.4%"));
	assert_non_null(strstr(run.out, "51.4%"));
	assert_non_null(strstr(run.out, "35.6%"));
	assert_non_null(strstr(run.out, "+9.4%"));
	assert_non_null(strstr(run.out, "-5.0%"));
	assert_non_null(strstr(run.out, "+17.5%"));
	assert_non_null(strstr(run.out, "42.9%"));
	assert_non_null(strstr(run.out, "1860"));
	assert_non_null(strstr(run.out, "2025-10-15"));
	e2e_run_free(&run);

	const char *json[] = {"query", "summary", "--as-of", D, "--town", "WX", "--json", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, json, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "\"completedYtd\": \"1030\""));
	assert_non_null(strstr(run.out, "\"onTrackPermille\": 500"));
	e2e_run_free(&run);

	/* By town, the highest completion first. */
	const char *by[] = {"query",  "by-town",    "--as-of", D,
	                    "--sort", "completion", "--desc",  NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, "zh_CN.UTF-8", by, &run);
	assert_int_equal(run.status, 0);
	const char *xy = strstr(run.out, "下应街道"), *wx = strstr(run.out, "五乡镇");
	assert_non_null(xy);
	assert_non_null(wx);
	assert_true(xy < wx);
	assert_non_null(strstr(run.out, "45.6%"));
	assert_non_null(strstr(run.out, "+82.5%"));
	e2e_run_free(&run);
	const char *leader[] = {"query", "by-leader", "--as-of", D, NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, leader, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "张区长"));
	assert_non_null(strstr(run.out, "-26.9%"));
	e2e_run_free(&run);
	const char *unit[] = {"query", "by-unit", "--as-of", D, "--json", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, unit, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "\"code\": \"FGJ\""));
	e2e_run_free(&run);

	const char *lag[] = {"query", "lagging", "--as-of", D, NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, "zh_CN.UTF-8", lag, &run);
	assert_int_equal(run.status, 0);
	const char *p5 = strstr(run.out, "南部商务区二期"), *p3 = strstr(run.out, "鄞城大道");
	assert_non_null(p5);
	assert_non_null(p3);
	assert_true(p5 < p3);
	assert_non_null(strstr(run.out, "严重滞后"));
	assert_non_null(strstr(run.out, "主体完工"));
	assert_non_null(strstr(run.out, "2026-09-30"));
	e2e_run_free(&run);

	const char *comp[] = {"query", "compliance", "--as-of", D, "--week", "2026-W41", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, comp, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "2 of 3"));
	assert_non_null(strstr(run.out, "奉化江堤防"));
	e2e_run_free(&run);

	/* Usage errors and refusals with their exit codes. */
	const char *bad_week[] = {"query", "compliance", "--week", "2026-W54", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, bad_week, &run);
	assert_int_equal(run.status, LS_INVALID_ARGUMENT);
	e2e_run_free(&run);
	const char *bad_level[] = {"query", "summary", "--level", "county", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, bad_level, &run);
	assert_int_equal(run.status, LS_INVALID_ARGUMENT);
	e2e_run_free(&run);
	const char *viewer_lag[] = {"query", "lagging", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->viewer, NULL, viewer_lag, &run);
	assert_int_equal(run.status, LS_PERMISSION_DENIED);
	e2e_run_free(&run);

	/* Reconcile, twice, and the list. */
	const char *rec[] = {"reconcile", "--month", "2026-09", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, "zh_CN.UTF-8", rec, &run);
	if (run.status != 0)
		fail_msg("reconcile: %d: %s", run.status, run.err);
	assert_non_null(strstr(run.out, "2026-09"));
	assert_non_null(strstr(run.out, "1350"));
	e2e_run_free(&run);
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, rec, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "nothing changed"));
	e2e_run_free(&run);
	const char *show[] = {"reconcile", "--show", "2026-09", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, show, &run);
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.out, "中车产业基地"));
	assert_int_equal(e2e_count_lines(run.out), 9);
	e2e_run_free(&run);
	const char *town_rec[] = {"reconcile", "--month", "2026-08", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->wx, NULL, town_rec, &run);
	assert_int_equal(run.status, LS_PERMISSION_DENIED);
	e2e_run_free(&run);

	/* Disclose, with the page. */
	char page[E2E_PATH_MAX + 16];
	snprintf(page, sizeof page, "%s/q3.html", f->s.dir);
	const char *dis[] = {"disclose", "--quarter", "2026-Q3", "--html", page, NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, "zh_CN.UTF-8", dis, &run);
	if (run.status != 0)
		fail_msg("disclose: %d: %s", run.status, run.err);
	assert_non_null(strstr(run.out, "29.3%"));
	assert_non_null(strstr(run.out, "中车产业基地"));
	e2e_run_free(&run);
	assert_true(e2e_file_contains(page, "2026年第三季度重点项目推进情况"));
	assert_true(e2e_file_contains(page, "中车产业基地"));
	assert_false(e2e_file_contains(page, "需要协调征迁资金"));
	const char *q2[] = {"disclose", "--quarter", "2026-Q2", NULL};
	e2e_cli(f->s.dir, f->s.tcp_url, f->s.admin_token, NULL, q2, &run);
	assert_int_equal(run.status, LS_FAILED_PRECONDITION);
	e2e_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edge_cases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grouped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lagging, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kept_figures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kept_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compliance, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_as_of, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reconcile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disclose, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
