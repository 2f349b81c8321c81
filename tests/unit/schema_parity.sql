-- The fixture of schema_parity_test.c: DML that SQLite and PostgreSQL both
-- read, run statement by statement on both databases. It is cut into
-- stages: "-- @stage N" begins statements that run on the schema of
-- migration N and on every later one. The test runs it twice: once on a
-- database of every migration, once migrating stage by stage, so that the
-- triggers of 005 and 011 (replaced by 013 before the first test's rows
-- come) and the rows the migrations build from what is already there are
-- compared as well.
--
-- Blobs are written CAST('text' AS BLOB): the test gives PostgreSQL a type
-- blob (a domain over bytea) for it. Every row is given its id, but in the
-- tables whose ids are drawn (problem_events, audit_log, webhook_deliveries,
-- webhook_attempts, and idempotency_keys from 014): SQLite draws the
-- highest id plus one, PostgreSQL the identity's next value, which agree
-- only while no id is given and the highest row stays. No statement
-- changes rows of more than one project at a time, so that the stamps of
-- query_dirty come in the same order on both.
--
-- Calendar: 2026-01-01 is a Thursday; the Sundays of January 2026 are the
-- 4th, 11th, 18th and 25th; February and March 2026 and November 2026
-- begin on a Sunday; April 2026 begins on a Wednesday (its Sundays: 5, 12,
-- 19, 26); May 2026 on a Friday (3, 10, 17, 24, 31); 2027-01-03 is a Sunday.

-- @stage 4 ------------------------------------------------------------------

INSERT INTO units(id, code, name, kind, parent_id, active, created_at, support_group) VALUES
    (1, 'C', '市', 'city', NULL, 1, '2025-12-01T08:00:00+08:00', NULL),
    (2, 'D', '区', 'district', 1, 1, '2025-12-01T08:00:00+08:00', NULL),
    (3, 'T1', '东镇', 'town', 2, 1, '2025-12-01T08:00:00+08:00', NULL),
    (4, 'T2', '西镇', 'town', 2, 1, '2025-12-01T08:00:00+08:00', NULL),
    (5, 'DEV', '发改局', 'department', 2, 1, '2025-12-01T08:00:00+08:00', NULL),
    (6, 'SG-F', '资金保障组', 'support_group', 2, 1, '2025-12-01T08:00:00+08:00', 'funding'),
    (7, 'IG', '督查组', 'inspection_group', 2, 1, '2025-12-01T08:00:00+08:00', NULL),
    (8, 'DIS', '纪委', 'discipline', 2, 1, '2025-12-01T08:00:00+08:00', NULL);
INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES
    (10, 'SG-C', '协调组', 'support_group', 2, '2025-12-02T08:00:00+08:00');
UPDATE units SET support_group = 'coordination' WHERE id = 10;

INSERT INTO people(id, code, name, title, unit_id, phone, active, created_at) VALUES
    (1, 'L1', '王一', '副区长', 2, '13800000001', 1, '2025-12-01T09:00:00+08:00'),
    (2, 'L2', '李二', '副区长', 2, '', 1, '2025-12-01T09:00:00+08:00'),
    (3, 'K3', '张三', '', 3, '13800000003', 1, '2025-12-01T09:00:00+08:00');
INSERT INTO people(id, code, name, unit_id, created_at) VALUES
    (4, 'I4', 'Zhao Si', 7, '2025-12-01T09:00:00+08:00');

INSERT INTO accounts(id, name, role, unit_id, token_hash, created_at, created_by, revoked_at,
                     person_id) VALUES
    (1, 'admin', 'admin', 1, CAST('token-of-admin' AS BLOB), '2025-12-01T10:00:00+08:00',
     NULL, NULL, NULL),
    (2, 'clerk', 'town', 3, CAST('token-of-clerk' AS BLOB), '2025-12-01T10:05:00+08:00', 1,
     NULL, 3),
    (3, 'inspector', 'inspector', 7, CAST('token-of-inspector' AS BLOB),
     '2025-12-01T10:10:00+08:00', 1, '2026-06-01T00:00:00+08:00', 4);

-- P1 city, weekly; P2 district, monthly, clearance; P3 town, a start that
-- runs past February and a finish with a time; P7 town, whose weeks end on
-- each of the slots 1..6 of their months in turn; P4 no dates SQLite reads.
INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id, lead_unit_id,
                     town_id, total_investment, frequency, planned_start, planned_finish,
                     land_clearance, fast_track, fast_track_set, archived, created_at) VALUES
    (1, 'P1', '智能制造园', 'city', 'industrial', 'new', 1, 5, 3, 5000, 'weekly',
     '2026-01-01', '2027-12-31', 0, 1, 1, 0, '2025-12-05T10:00:00+08:00'),
    (2, 'P2', '孵化平台', 'district', 'platform', 'continuing', 2, 5, 4, 800, 'monthly',
     '2025-03-01', '2026-12-31', 1, 0, 0, 0, '2025-12-05T10:00:00+08:00'),
    (3, 'P3', '东镇道路', 'town', 'infrastructure', 'new', 1, 3, 3, 1200, 'weekly',
     '2026-02-30', '2026-12-31 18:00', 0, 0, 1, 0, '2025-12-05T10:00:00+08:00'),
    (7, 'P7', '西镇园区', 'town', 'industrial', 'continuing', 2, 4, 4, 300, 'weekly',
     '2026-01-01', '2026-12-31', 0, 0, 0, 0, '2025-12-05T10:00:00+08:00');
INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id, lead_unit_id,
                     total_investment, planned_start, planned_finish, created_at) VALUES
    (4, 'P4', '民生实事', 'district', 'livelihood', 'continuing', 2, 5, 0, 'TBD', 'TBD',
     '2025-12-06T10:00:00+08:00');

INSERT INTO project_units(project_id, unit_id) VALUES (1, 5), (1, 3), (2, 4), (3, 6);
INSERT INTO project_leaders(id, project_id, person_id, since, changed_by) VALUES
    (1, 1, 1, '2025-12-05', NULL), (2, 2, 2, '2025-12-05', NULL), (3, 3, 1, '2025-12-05', 1);

INSERT INTO plans(project_id, year, month, invested) VALUES
    (1, 2026, 1, 100), (1, 2026, 3, 200), (1, 2026, 6, 300), (2, 2026, 1, 500),
    (2, 2025, 12, 80);

INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date, created_at) VALUES
    (1, 1, '土地摘牌', '2026-02-15', 5, '2026-02-10', '2025-12-05T11:00:00+08:00'),
    (2, 1, '主体封顶', '2026-09-30', 5, NULL, '2025-12-05T11:00:00+08:00'),
    (3, 2, '验收', '2026-03-31', 4, NULL, '2025-12-05T11:00:00+08:00'),
    (4, 3, '通车', '2026-12-20', 3, NULL, '2025-12-05T11:00:00+08:00');

INSERT INTO tasks(id, project_id, description, unit_id, person_id, due_date, status, done_date,
                  created_at) VALUES
    (1, 1, '办理规划许可', 5, 1, '2026-01-31', 'open', NULL, '2025-12-05T12:00:00+08:00'),
    (2, 1, '管线迁改', 3, NULL, '2026-02-28', 'open', NULL, '2025-12-05T12:00:00+08:00'),
    (3, 2, '设备采购', 4, 2, '2026-04-30', 'open', NULL, '2025-12-05T12:00:00+08:00');
UPDATE tasks SET status = 'done', done_date = '2026-01-20' WHERE id = 1;
UPDATE tasks SET status = 'cancelled' WHERE id = 2;

-- P1's first weeks; P2's months, one of them of the year before.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    next_plan, support_needed, submitted_at) VALUES
    (1, 1, '2026-W02', 'week', '2026-01-05', '2026-01-11', '2026-01', 2026, 1, 1, 5, 1, 10, 2,
     5, '场平完成', '桩基', NULL, '2026-01-12T09:00:00+08:00'),
    (2, 1, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 1, 1, 5, 1, 20, 4,
     10, '桩基 40%', NULL, '供电', '2026-03-09T09:00:00+08:00'),
    (10, 2, '2026-01', 'month', '2026-01-01', '2026-01-31', '2026-01', 2026, 1, 1, 4, 2, 200,
     50, 40, '装修', NULL, NULL, '2026-02-03T09:00:00+08:00'),
    (11, 2, '2026-02', 'month', '2026-02-01', '2026-02-28', '2026-02', 2026, 1, 1, 4, 2, 150,
     NULL, 50, '设备进场', NULL, NULL, '2026-03-02T09:00:00+08:00'),
    (12, 2, '2025-12', 'month', '2025-12-01', '2025-12-31', '2025-12', 2025, 1, 1, 4, 2, 90, 30,
     30, '主体', NULL, NULL, '2026-01-05T09:00:00+08:00');
INSERT INTO update_nodes(update_id, node_id) VALUES (1, 1), (10, 3);
INSERT INTO photos(id, update_id, name, content_type, size, data) VALUES
    (1, 1, 'site.jpg', 'image/jpeg', 9, CAST('jpeg data' AS BLOB));
INSERT INTO period_locks(month, locked_at, locked_by) VALUES
    ('2025-12', '2026-01-10T17:00:00+08:00', 1);

INSERT INTO problems(id, project_id, title, detail, grp, routed_unit_id, assignee_unit_id,
                     assignee_person_id, due_date, status, escalated, resolution, raised_by,
                     raised_at, raised_on, resolved_at, resolved_on) VALUES
    (1, 1, '用电指标不足', '需增容 2000kVA', 'coordination', 10, 5, 1, '2026-02-20', 'open', 0,
     NULL, 2, '2026-01-12T10:00:00+08:00', '2026-01-12', NULL, NULL),
    (2, 1, '贷款未到位', '', 'funding', 6, NULL, NULL, '2026-03-31', 'open', 0, NULL, 2,
     '2026-01-20T10:00:00+08:00', '2026-01-20', NULL, NULL),
    (3, 2, '审批慢', '', 'other', 2, NULL, NULL, NULL, 'open', 0, NULL, 1,
     '2026-02-01T10:00:00+08:00', '2026-02-01', NULL, NULL);
UPDATE problems SET status = 'resolved', resolution = '已协调', resolved_at =
    '2026-02-25T16:00:00+08:00', resolved_on = '2026-02-25' WHERE id = 2;
INSERT INTO problem_events(problem_id, at, account_id, kind, text) VALUES
    (1, '2026-01-12T10:00:00+08:00', 2, 'raised', ''),
    (1, '2026-01-13T10:00:00+08:00', 1, 'assigned', '发改局'),
    (2, '2026-01-20T10:00:00+08:00', 2, 'raised', ''),
    (2, '2026-02-25T16:00:00+08:00', 1, 'resolved', '已协调');

INSERT INTO reminders(id, recipient_kind, recipient_id, seq, kind, subject_key, window_key, text,
                      created_at, created_by) VALUES
    (1, 'unit', 3, 1, 'update_due', 'project:1', '2026-W02', '请报送周进展',
     '2026-01-09T09:00:00+08:00', NULL),
    (2, 'unit', 5, 1, 'node_due', 'node:1', 'd7', '节点临近', '2026-02-08T09:00:00+08:00', NULL),
    (3, 'person', 1, 1, 'notice', 'notice:1', 'n1', '通知', '2026-02-09T09:00:00+08:00', 1);
INSERT INTO reminder_cursors(account_id, recipient_kind, recipient_id, acked_seq) VALUES
    (2, 'unit', 3, 0), (1, 'person', 1, 1);
UPDATE reminder_cursors SET acked_seq = 1 WHERE account_id = 2;
INSERT INTO scheduler_state(rule, last_run, last_run_at) VALUES
    ('update_due', 1767920400, '2026-01-09T09:00:00+08:00'),
    ('node_due', 1770512400, '2026-02-08T09:00:00+08:00');

-- Two written in the same second, the later account first: 014 numbers
-- them by account. The first one written is taken out and written again.
INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, created_at) VALUES
    (1, CAST('key-c' AS BLOB), CAST('req-1' AS BLOB), CAST('sealed-1' AS BLOB), 1767920400);
INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, created_at) VALUES
    (2, CAST('key-b' AS BLOB), CAST('req-2' AS BLOB), CAST('sealed-2' AS BLOB), 1767920500),
    (1, CAST('key-a' AS BLOB), CAST('req-3' AS BLOB), CAST('sealed-3' AS BLOB), 1767920500);
DELETE FROM idempotency_keys WHERE created_at < 1767920450 AND account_id = 1;
INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, created_at) VALUES
    (1, CAST('key-c' AS BLOB), CAST('req-4' AS BLOB), CAST('sealed-4' AS BLOB), 1767920400);

INSERT INTO audit_log(at, account_id, method, entity, entity_id, before, after, project_id)
VALUES ('2025-12-05T10:00:00+08:00', 1, 'CreateProject', 'project', 1, NULL,
        '{"code":"P1"}', 1),
       ('2026-01-12T09:00:00+08:00', 1, 'SubmitUpdate', 'update', 1, NULL, '{"id":1}', 1);

-- @stage 10 -----------------------------------------------------------------
-- 005's triggers (query_projects, query_months) and 006..010's tables.

-- A new revision of P1's week 10: the old one's flag cleared (its money
-- taken out), the new one added (newest: same day, higher revision).
UPDATE updates SET latest = 0 WHERE id = 2;
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (3, 1, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 2, 1, 5, 1, 25, 5,
     12, '桩基 45%', '2026-03-10T10:00:00+08:00');
-- A later week, sent before it ended (settled on the sending day), no output.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (4, 1, '2026-W14', 'week', '2026-03-30', '2026-04-05', '2026-04', 2026, 1, 1, 5, 1, 30, NULL,
     15, '主体施工', '2026-04-03T18:00:00+08:00');
-- An earlier week sent late: not the newest.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (5, 1, '2026-W05', 'week', '2026-01-26', '2026-02-01', '2026-01', 2026, 1, 1, 5, 1, 7, 1, 6,
     '桩基', '2026-02-02T08:00:00+08:00');
-- P3's first week.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (20, 3, '2026-W20', 'week', '2026-05-11', '2026-05-17', '2026-05', 2026, 1, 1, 3, 2, 100, 20,
     20, '路基', '2026-05-18T09:00:00+08:00');
-- P7's weeks ending on the 4th Sunday of January and after the 5th of
-- August (slots 4 and 6); its week 53, which ends in 2027 and counts in
-- no month until its last day is moved into 2026; a revision written as
-- superseded (not counted) and one counted, both removed again, and one
-- naming a year its last day is not in (not counted), removed.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (30, 7, '2026-W04', 'week', '2026-01-19', '2026-01-25', '2026-01', 2026, 1, 1, 4, 2, 8, 2, 5,
     '开工', '2026-01-26T09:00:00+08:00'),
    (31, 7, '2026-08', 'month', '2026-08-01', '2026-08-31', '2026-08', 2026, 1, 1, 4, 2, 12, 1,
     30, '厂房', '2026-09-01T09:00:00+08:00'),
    (36, 7, '2026-W53', 'week', '2026-12-28', '2027-01-03', '2026-12', 2026, 1, 1, 4, 2, 5, 1,
     90, '收尾', '2027-01-04T09:00:00+08:00'),
    (38, 7, '2026-W03', 'week', '2026-01-12', '2026-01-18', '2026-01', 2026, 1, 0, 4, 2, 3, 0, 4,
     '准备', '2026-01-19T09:00:00+08:00'),
    (39, 7, '2026-W06', 'week', '2026-02-02', '2026-02-08', '2026-02', 2026, 1, 1, 4, 2, 2, 1, 6,
     '基础', '2026-02-09T09:00:00+08:00'),
    (42, 7, '2026-W52', 'week', '2026-12-21', '2026-12-27', '2026-12', 2027, 1, 1, 4, 2, 1, 1, 80,
     '错年', '2026-12-28T09:00:00+08:00');
UPDATE updates SET period_last = '2026-12-31' WHERE id = 36;
DELETE FROM updates WHERE id = 39;
DELETE FROM updates WHERE id = 38;
DELETE FROM updates WHERE id = 42;
-- P2's February moved to P4 by hand, and its January's money corrected.
UPDATE updates SET project_id = 4 WHERE id = 11;
UPDATE updates SET invested = 210, output = 55 WHERE id = 10;
-- Changed by hand without touching the money: the newest found again only.
UPDATE updates SET progress = '装修完成' WHERE id = 10;
UPDATE updates SET submitted_at = '2026-02-04T09:00:00+08:00' WHERE id = 10;

INSERT INTO plans(project_id, year, month, invested) VALUES (1, 2026, 11, 50);
INSERT INTO plans(project_id, year, month, invested) VALUES (1, 2026, 6, 350)
    ON CONFLICT (project_id, year, month) DO UPDATE SET invested = excluded.invested;
DELETE FROM plans WHERE project_id = 2 AND year = 2025 AND month = 12;

INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id, lead_unit_id,
                     town_id, total_investment, planned_start, planned_finish, created_at) VALUES
    (5, 'P5', '专项任务', 'city', 'special_task', 'new', 1, 2, NULL, 10, '1969-12-31',
     '1970-01-02', '2026-03-01T10:00:00+08:00');
UPDATE projects SET frequency = 'weekly', town_id = 3, name = '孵化平台二期' WHERE id = 2;

UPDATE problems SET office_id = 2, escalated = 1 WHERE id = 1;
INSERT INTO problems(id, project_id, title, grp, routed_unit_id, due_date, raised_by, raised_at,
                     raised_on, office_id) VALUES
    (4, 3, '征迁户未签约', 'clearance', 3, '2026-04-30', 2, '2026-03-05T10:00:00+08:00',
     '2026-03-05', 2);
UPDATE accounts SET expires_at = '2026-12-31T23:59:59+08:00' WHERE id = 2;

INSERT INTO leader_activities(id, person_id, project_id, kind, date, notes, account_id,
                              created_at) VALUES
    (1, 1, 1, 'weekly_review', '2026-03-02', '听取汇报', 1, '2026-03-02T18:00:00+08:00'),
    (2, 1, 1, 'site_visit', '2026-03-18', '', 1, '2026-03-18T18:00:00+08:00'),
    (3, 2, 2, 'coordination', '2026-03-20', '协调用电', NULL, '2026-03-20T18:00:00+08:00');
INSERT INTO activity_problems(activity_id, problem_id) VALUES (2, 1), (3, 3);
INSERT INTO inspections(id, group_unit_id, project_id, date, layer, findings, slow, account_id,
                        created_at) VALUES
    (1, 7, 1, '2026-03-15', 'lead_leader', '进度滞后', 1, 3, '2026-03-15T17:00:00+08:00'),
    (2, 7, 3, '2026-03-16', 'unit_itself', '', 0, 3, '2026-03-16T17:00:00+08:00');
INSERT INTO rectifications(id, inspection_id, owner_unit_id, due_date, text, ordered_on, status,
                           done_date, account_id, created_at) VALUES
    (1, 1, 5, '2026-04-15', '倒排工期', '2026-03-15', 'open', NULL, 3,
     '2026-03-15T17:05:00+08:00'),
    (2, 2, 3, '2026-03-31', '完善台账', '2026-03-16', 'open', NULL, 3,
     '2026-03-16T17:05:00+08:00');
UPDATE rectifications SET status = 'done', done_date = '2026-03-28' WHERE id = 2;
INSERT INTO accountability(id, kind, person_id, unit_id, project_id, inspection_id, date, text,
                           account_id, created_at) VALUES
    (1, 'warning_talk', 1, NULL, 1, 1, '2026-03-20', '约谈', 3, '2026-03-20T10:00:00+08:00'),
    (2, 'criticism', NULL, 5, 1, NULL, '2026-03-21', '通报批评', 3,
     '2026-03-21T10:00:00+08:00');
INSERT INTO approvals(id, project_id, item, unit_id, submitted, approved, visits, created_at,
                      updated_at) VALUES
    (1, 1, '施工许可', 5, '2026-01-05', '2026-01-20', 1, '2026-01-05T09:00:00+08:00',
     '2026-01-20T09:00:00+08:00'),
    (2, 3, '用地预审', 5, '2026-02-01', NULL, 2, '2026-02-01T09:00:00+08:00',
     '2026-02-01T09:00:00+08:00');
INSERT INTO clearance(id, project_id, month, target_m2, cleared_m2, demolished_m2, households,
                      updated_at) VALUES
    (1, 2, '2026-01', 12000, 3000, 500, 12, '2026-02-01T09:00:00+08:00'),
    (2, 2, '2026-02', 12000, 7000, 800, 20, '2026-03-01T09:00:00+08:00');
UPDATE clearance SET cleared_m2 = 7500 WHERE id = 2;
INSERT INTO funding(id, source, kind, project_id, unit_id, amount, signed, term_years, text,
                    account_id, created_at) VALUES
    (1, '国家开发银行', 'loan', 1, NULL, 20000, '2026-02-10', 15, '', 1,
     '2026-02-10T09:00:00+08:00'),
    (2, '农业发展银行', 'agreement', NULL, 3, 50000, '2026-03-01', NULL, '战略合作', 1,
     '2026-03-01T09:00:00+08:00');

-- Webhooks of T1 (the second written first and the first changed, so
-- that PostgreSQL's heap holds them out of order), one removed; one of
-- person 1.
INSERT INTO webhooks(id, recipient_kind, recipient_id, kind, url, secret, created_at,
                     created_by, removed_at) VALUES
    (2, 'unit', 3, 'generic', 'https://example.org/hook', 's2', '2026-03-01T09:00:00+08:00', 1,
     NULL);
INSERT INTO webhooks(id, recipient_kind, recipient_id, kind, url, secret, created_at,
                     created_by, removed_at) VALUES
    (1, 'unit', 3, 'dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=x', 'SEC1',
     '2026-03-01T08:00:00+08:00', 1, NULL),
    (3, 'unit', 3, 'wecom', 'https://qyapi.weixin.qq.com/x', '', '2026-03-01T08:30:00+08:00', 1,
     '2026-03-02T08:00:00+08:00'),
    (4, 'person', 1, 'wecom', 'https://qyapi.weixin.qq.com/y', '', '2026-03-01T08:40:00+08:00',
     1, NULL);
UPDATE webhooks SET secret = 'SEC1b' WHERE id = 1;
-- Reminders of the new kinds: to T1 (two webhooks), to person 1 (one), to
-- DEV (none).
INSERT INTO reminders(id, recipient_kind, recipient_id, seq, kind, subject_key, window_key, text,
                      created_at, created_by) VALUES
    (4, 'unit', 3, 2, 'rectification_due', 'rectification:2', 'd3', '整改临期',
     '2026-03-28T09:00:00+08:00', NULL),
    (5, 'person', 1, 2, 'review_due', 'leader:1', '2026-W12', '本周未专题了解',
     '2026-03-23T09:00:00+08:00', NULL),
    (6, 'unit', 5, 2, 'rectification_overdue', 'rectification:1', 'o1', '整改逾期',
     '2026-04-16T09:00:00+08:00', NULL);
-- A test message (no reminder), and the attempts of two deliveries.
INSERT INTO webhook_deliveries(webhook_id, reminder_id, status, attempts, next_at, created_at)
VALUES (2, NULL, 'pending', 0, 1774000000000, '2026-03-29T09:00:00+08:00');
UPDATE webhook_deliveries SET status = 'delivered', attempts = 1,
    done_at = '2026-03-28T09:00:02+08:00' WHERE webhook_id = 1 AND reminder_id = 4;
UPDATE webhook_deliveries SET status = 'failed', attempts = 2, next_at = 1774650000000,
    done_at = '2026-03-28T09:10:00+08:00' WHERE webhook_id = 2 AND reminder_id = 4;
INSERT INTO webhook_attempts(delivery_id, at, http_status, error, elapsed_ms) VALUES
    (1, '2026-03-28T09:00:02+08:00', 200, NULL, 120),
    (2, '2026-03-28T09:00:02+08:00', NULL, 'connection refused', 3),
    (2, '2026-03-28T09:10:00+08:00', 500, 'HTTP 500', 250);

-- January's reconciliation of the district.
INSERT INTO snapshots(id, month, root_unit_id, as_of, created_at, created_by) VALUES
    (1, '2026-01', 2, '2026-01-31', '2026-02-05T10:00:00+08:00', 1);
INSERT INTO snapshot_rows(snapshot_id, project_id, code, name, level, category, stage, town_code,
                          town_name, leader_name, lead_unit_name, annual_plan, planned_month,
                          planned_ytd, completed_month, completed_ytd, output_month, output_ytd,
                          percent, expected_percent, status, reasons, last_period, progress,
                          nodes_due, nodes_done, problems_raised, problems_resolved,
                          problems_open, problems_overdue) VALUES
    (1, 1, 'P1', '智能制造园', 'city', 'industrial', 'new', 'T1', '东镇', '王一', '发改局', 600,
     100, 100, 17, 17, 3, 3, 6, 8, 'lagging', '投资完成率低于 80%', '2026-W05', '桩基', 0, 0, 2,
     0, 2, 0),
    (1, 2, 'P2', '孵化平台', 'district', 'platform', 'continuing', 'T2', '西镇', '李二', '发改局',
     500, 500, 500, 200, 200, 50, 50, 40, 40, 'on_track', '', '2026-01', '装修', 0, 0, 0, 0, 0,
     0);
INSERT INTO period_locks(month, locked_at, locked_by) VALUES
    ('2026-01', '2026-02-05T10:00:00+08:00', 1);

INSERT INTO audit_log(at, account_id, method, entity, entity_id, before, after, project_id)
VALUES ('2026-03-10T10:00:00+08:00', 1, 'SubmitUpdate', 'update', 3, NULL, '{"id":3}', 1);

-- @stage 12 -----------------------------------------------------------------
-- 011's triggers on updates, and 012's stamps of every table they watch.

-- P7's weeks ending on slots 1, 3, 2 and 4 (in one statement, the newest
-- found row by row), one superseded and one of the wrong year; its weeks
-- of slots 4 and 6 and of the wrong year changed; its week 53 no longer
-- counted, then counted again; the week of slot 4, the superseded one and
-- the one of the wrong year removed.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (32, 7, '2026-W14', 'week', '2026-03-30', '2026-04-05', '2026-04', 2026, 1, 1, 4, 2, 4, 2, 10,
     '基础', '2026-04-06T09:00:00+08:00'),
    (33, 7, '2026-W20', 'week', '2026-05-11', '2026-05-17', '2026-05', 2026, 1, 1, 4, 2, 3, 1, 12,
     '主体', '2026-05-18T09:00:00+08:00'),
    (34, 7, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 1, 1, 4, 2, 6, NULL,
     8, '桩基', '2026-03-09T09:00:00+08:00'),
    (35, 7, '2026-W30', 'week', '2026-07-20', '2026-07-26', '2026-07', 2026, 1, 1, 4, 2, 9, 1, 50,
     '安装', '2026-07-27T09:00:00+08:00'),
    (41, 7, '2026-W31', 'week', '2026-07-27', '2026-08-02', '2026-07', 2026, 1, 0, 4, 2, 1, 0, 51,
     '安装', '2026-08-03T09:00:00+08:00'),
    (43, 7, '2026-W51', 'week', '2026-12-14', '2026-12-20', '2026-12', 2027, 1, 1, 4, 2, 1, 1, 79,
     '错年', '2026-12-21T09:00:00+08:00');
UPDATE updates SET invested = invested + 1 WHERE project_id = 7 AND id IN (30, 31, 43);
UPDATE updates SET latest = 0 WHERE id = 36;
UPDATE updates SET latest = 1 WHERE id = 36;
DELETE FROM updates WHERE id = 35;
DELETE FROM updates WHERE id = 41;
DELETE FROM updates WHERE id = 43;

-- The week that ends in 2027 but is 2026's (its Thursday's): the newest of
-- P1, counted in no month.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (6, 1, '2026-W53', 'week', '2026-12-28', '2027-01-03', '2026-12', 2026, 1, 1, 5, 1, 40, 8, 30,
     '竣工验收', '2027-01-04T09:00:00+08:00');
-- P3's week ending on May's 5th Sunday, removed again in the next stage.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (21, 3, '2026-W22', 'week', '2026-05-25', '2026-05-31', '2026-05', 2026, 1, 1, 3, 2, 60, 4,
     25, '路面', '2026-06-01T09:00:00+08:00');
-- P3's May as a month, ending the day its week 22 ends, with the same
-- revision and no money: of the two, the newest is the one added last
-- (SQLite walks updates_project_last backwards), once it is looked for
-- again.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (22, 3, '2026-05', 'month', '2026-05-01', '2026-05-31', '2026-05', 2026, 1, 1, 3, 2, 0, 0,
     24, '月报', '2026-06-02T09:00:00+08:00');
UPDATE updates SET percent = 26 WHERE id = 21;
UPDATE updates SET invested = 12 WHERE id = 1;
UPDATE updates SET percent = 16 WHERE id = 4;
-- P2's February back from P4.
UPDATE updates SET project_id = 2 WHERE id = 11;

INSERT INTO plans(project_id, year, month, invested) VALUES (3, 2026, 5, 120);
UPDATE plans SET month = 12 WHERE project_id = 1 AND year = 2026 AND month = 11;
UPDATE plans SET project_id = 3 WHERE project_id = 2 AND year = 2026 AND month = 1;

UPDATE projects SET lead_leader_id = 2 WHERE id = 1;
UPDATE projects SET archived = 1 WHERE id = 4;
-- P5 renumbered (its query row gone first, which points to it), then removed.
DELETE FROM query_projects WHERE id = 5;
UPDATE projects SET id = 6 WHERE id = 5;
DELETE FROM projects WHERE id = 6;

UPDATE nodes SET done_date = '2026-09-28' WHERE id = 2;
UPDATE nodes SET owner_unit_id = 3 WHERE id = 4;
UPDATE nodes SET project_id = 3 WHERE id = 3;
INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) VALUES
    (5, 2, '试运行', '2026-06-30', 4, '2026-04-01T09:00:00+08:00'),
    (6, 2, '临时节点', '2026-07-31', 4, '2026-04-01T09:00:00+08:00');
DELETE FROM nodes WHERE id = 5;

UPDATE problems SET assignee_unit_id = 6 WHERE id = 3;
UPDATE problems SET due_date = '2026-04-15' WHERE id = 3;
UPDATE problems SET status = 'resolved', resolution = '已签约',
    resolved_at = '2026-04-20T12:00:00+08:00', resolved_on = '2026-04-20' WHERE id = 4;
INSERT INTO problems(id, project_id, title, grp, routed_unit_id, raised_at, raised_on) VALUES
    (5, 2, '临时问题', 'other', 2, '2026-04-21T10:00:00+08:00', '2026-04-21'),
    (6, 2, '重复问题', 'other', 2, '2026-04-21T11:00:00+08:00', '2026-04-21');
DELETE FROM problems WHERE id = 5;
UPDATE problems SET project_id = 1 WHERE id = 6;

INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES
    (11, 'TMP', '临时办', 'department', 2, '2026-04-01T08:00:00+08:00'),
    (12, 'TMP2', '临时办二', 'department', 2, '2026-04-01T08:00:00+08:00');
UPDATE units SET active = 0 WHERE id = 8;
DELETE FROM units WHERE id = 11;
INSERT INTO people(id, code, name, unit_id, created_at) VALUES
    (5, 'X5', '临时人', 12, '2026-04-01T09:00:00+08:00'),
    (6, 'X6', '临时人二', 12, '2026-04-01T09:00:00+08:00');
UPDATE people SET phone = '13900000002' WHERE id = 2;
DELETE FROM people WHERE id = 5;

-- @stage 13 -----------------------------------------------------------------
-- 013's query_amount, from plans and updates.

-- The output of P7's weeks of every slot changed; its week 53 moved back
-- into 2027 (no longer counted), then removed.
UPDATE updates SET output = coalesce(output, 0) + 1 WHERE project_id = 7;
UPDATE updates SET period_last = '2027-01-03' WHERE id = 36;
DELETE FROM updates WHERE id = 36;

INSERT INTO plans(project_id, year, month, invested) VALUES (1, 2027, 1, 60);
INSERT INTO plans(project_id, year, month, invested) VALUES (1, 2026, 3, 220)
    ON CONFLICT (project_id, year, month) DO UPDATE SET invested = excluded.invested;
DELETE FROM plans WHERE project_id = 3 AND year = 2026 AND month = 5;

-- P1's week ending on November's 5th Sunday; one with no money at all (no
-- slot row); P3's May week removed; P1's superseded revision removed.
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (7, 1, '2026-W48', 'week', '2026-11-23', '2026-11-29', '2026-11', 2026, 1, 1, 5, 1, 50, 10,
     40, '安装', '2026-11-30T09:00:00+08:00');
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
                    revision, latest, unit_id, account_id, invested, output, percent, progress,
                    submitted_at) VALUES
    (8, 1, '2026-W49', 'week', '2026-11-30', '2026-12-06', '2026-12', 2026, 1, 1, 5, 1, 0, 0, 41,
     '停工', '2026-12-07T09:00:00+08:00');
UPDATE updates SET output = 3 WHERE id = 5;
DELETE FROM updates WHERE id = 21;
DELETE FROM updates WHERE id = 2;
-- P2's December of 2025: flag cleared (only the old row counts out), set
-- again (only the new one counts in); then a change that no money trigger
-- watches.
UPDATE updates SET latest = 0 WHERE id = 12;
UPDATE updates SET latest = 1 WHERE id = 12;
UPDATE updates SET next_plan = '验收' WHERE id = 12;

-- @stage 14 -----------------------------------------------------------------

INSERT INTO idempotency_keys(account_id, key_hash, request_hash, response, created_at) VALUES
    (3, CAST('key-d' AS BLOB), CAST('req-5' AS BLOB), CAST('sealed-5' AS BLOB), 1767920600);
DELETE FROM idempotency_keys WHERE account_id = 2;
INSERT INTO reminders(id, recipient_kind, recipient_id, seq, kind, subject_key, window_key, text,
                      created_at, created_by) VALUES
    (7, 'unit', 3, 3, 'visit_due', 'leader:1', '2026-12', '本月未现场调研',
     '2026-12-21T09:00:00+08:00', NULL);
UPDATE webhooks SET removed_at = '2026-12-22T09:00:00+08:00' WHERE id = 1;
INSERT INTO reminders(id, recipient_kind, recipient_id, seq, kind, subject_key, window_key, text,
                      created_at, created_by) VALUES
    (8, 'unit', 3, 4, 'notice', 'notice:8', 'n8', '年终总结', '2026-12-23T09:00:00+08:00', 1);
INSERT INTO audit_log(at, account_id, method, entity, entity_id, before, after, project_id)
VALUES ('2026-12-23T09:00:00+08:00', 1, 'SendNotice', 'reminder', 8, NULL, NULL, NULL);
