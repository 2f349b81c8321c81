-- The district the dashboard test loads into a fresh database (after
-- `luoshid init`, which made the office, unit 1). The figures the test
-- expects are worked out by hand in dashboard.test.js from these rows, as of
-- D = 2026-10-15 (a Thursday; 2026-W41 is 10-05..10-11, the last week
-- ended by D; D' = 2025-10-15).
INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES
 (2, 'TA', '东吴镇', 'town', 1, '2026-01-01'),
 (3, 'TB', '邱隘镇', 'town', 1, '2026-01-01'),
 (4, 'DEP', '区发改局', 'department', 1, '2026-01-01');
INSERT INTO people(id, code, name, title, unit_id, created_at) VALUES
 (1, 'L1', '陈区长', '区长', 1, '2026-01-01'),
 (2, 'L2', '周副区长', '副区长', 1, '2026-01-01');
INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id, lead_unit_id,
 town_id, total_investment, frequency, planned_start, planned_finish, archived, created_at)
VALUES
 (1, 'P1', '东吴智造产业园', 'district', 'industrial', 'new', 1, 4, 2, 50000, 'weekly',
  '2026-01-05', '2026-12-27', 0, '2026-01-01'),
 (2, 'P2', '邱隘快速路', 'district', 'infrastructure', 'continuing', 2, 4, 3, 80000, 'weekly',
  '2025-03-03', '2027-03-01', 0, '2026-01-01'),
 (3, 'P3', '邱隘科创平台', 'city', 'platform', 'new', 1, 4, 3, 30000, 'weekly',
  '2026-02-02', '2026-12-28', 0, '2026-01-01'),
 (4, 'P4', '东吴安置小区', 'town', 'livelihood', 'continuing', 2, 4, 2, 20000, 'weekly',
  '2025-06-02', '2026-12-28', 0, '2026-01-01');
WITH RECURSIVE m(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM m WHERE m < 12)
INSERT INTO plans(project_id, year, month, invested) SELECT 1, 2026, m, 100 FROM m;
INSERT INTO plans(project_id, year, month, invested) VALUES
 (2, 2026, 1, 400), (2, 2026, 7, 400), (3, 2026, 3, 300), (3, 2026, 9, 300), (4, 2026, 4, 400);
INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date, created_at) VALUES
 (1, 1, '土建开工', '2026-03-31', 4, '2026-03-20', '2026-01-01'),
 (2, 2, '主体完工', '2026-09-30', 4, NULL, '2026-01-01'),
 (3, 3, '厂房结顶', '2026-12-15', 4, NULL, '2026-01-01'),
 (4, 4, '竣工验收', '2026-06-30', 4, '2026-07-05', '2026-01-01');
INSERT INTO tasks(id, project_id, description, unit_id, person_id, due_date, status, created_at)
VALUES (1, 3, '协调科创平台用地指标', 4, 1, '2026-11-30', 'open', '2026-01-01');
INSERT INTO updates(id, project_id, period, period_kind, period_first, period_last, month, year,
 revision, latest, unit_id, invested, output, percent, progress, support_needed, submitted_at)
VALUES
 (1, 1, '2026-W10', 'week', '2026-03-02', '2026-03-08', '2026-03', 2026, 1, 1, 2, 300, NULL,
  30, '厂房基础施工', NULL, '2026-03-09T09:00:00+08:00'),
 (2, 1, '2026-W41', 'week', '2026-10-05', '2026-10-11', '2026-10', 2026, 1, 1, 2, 200, NULL,
  90, '厂房装修', NULL, '2026-10-12T09:00:00+08:00'),
 (3, 2, '2025-W20', 'week', '2025-05-12', '2025-05-18', '2025-05', 2025, 1, 1, 3, 250, NULL,
  20, '路基施工', NULL, '2025-05-19T09:00:00+08:00'),
 (4, 2, '2026-W20', 'week', '2026-05-11', '2026-05-17', '2026-05', 2026, 1, 1, 3, 100, NULL,
  60, '桥梁施工', NULL, '2026-05-18T09:00:00+08:00'),
 (5, 2, '2026-W41', 'week', '2026-10-05', '2026-10-11', '2026-10', 2026, 1, 1, 3, 300, NULL,
  90, '路面施工', NULL, '2026-10-12T09:00:00+08:00'),
 (6, 3, '2026-W20', 'week', '2026-05-11', '2026-05-17', '2026-05', 2026, 1, 1, 3, 150, NULL,
  40, '科创楼主体施工', '需要协调用地指标', '2026-05-18T09:00:00+08:00'),
 (7, 4, '2025-W30', 'week', '2025-07-21', '2025-07-27', '2025-07', 2025, 1, 1, 2, 200, NULL,
  30, '安置房基础', NULL, '2025-07-28T09:00:00+08:00'),
 (8, 4, '2026-W41', 'week', '2026-10-05', '2026-10-11', '2026-10', 2026, 1, 1, 2, 100, NULL,
  95, '室外配套', NULL, '2026-10-12T09:00:00+08:00');
-- An 8x6 red PNG: the photo of P3's update.
INSERT INTO photos(id, update_id, name, content_type, size, data) VALUES
 (1, 6, '科创楼.png', 'image/png', 74,
  X'89504e470d0a1a0a0000000d4948445200000008000000060802000000716748ac0000001149444154789c6338a1a18115310ca4040080f7348145ca22fd0000000049454e44ae426082');
INSERT INTO problems(id, project_id, title, grp, routed_unit_id, due_date, status, raised_at,
 raised_on, resolved_at, resolved_on) VALUES
 (1, 1, '施工用电', 'other', 1, NULL, 'resolved', '2026-03-01T10:00:00+08:00', '2026-03-01',
  '2026-04-01T10:00:00+08:00', '2026-04-01'),
 (2, 2, '征迁资金', 'funding', 1, '2026-10-01', 'open', '2026-09-01T10:00:00+08:00',
  '2026-09-01', NULL, NULL),
 (3, 3, '用地指标', 'approval', 1, '2026-12-31', 'open', '2026-05-10T10:00:00+08:00',
  '2026-05-10', NULL, NULL),
 (4, 4, '竣工备案', 'other', 1, '2026-11-20', 'open', '2026-10-20T10:00:00+08:00',
  '2026-10-20', NULL, NULL);
