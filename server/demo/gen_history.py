#!/usr/bin/env python3
"""Writes the demo district's history: server/demo/updates.csv and
server/demo/problems.csv, from the registry files beside them.

Run once, from anywhere, and commit its output:

    python3 server/demo/gen_history.py

The output is the same on every run (a fixed seed, no clock). It is shaped
so that the report's figures, as of 2026-09-30, come out of the data when
the server computes them the way it does for any district:

  * 55 of the 66 district-level projects on track (83%); the other 11 lag
    for the three reasons the status rule knows (a node overdue, behind
    the time elapsed, weeks without an update), some seriously;
  * investment completed in 2026 up to 2026-09-30 against the 2026 plan:
    51% for the new projects, 89% for the continuing ones;
  * the CRRC base (C01): 54000 万元 completed (+35% on 2025's 40000) and
    output 193000 万元 (+32% on 2025's 146200);
  * 88 problems raised by 2026-09-30, 72 of them resolved by then.

The history runs from January 2025 to the week ending 2026-11-22 (monthly
projects: to October 2026). The status rule is that of
common/projstatus.c, written again here only to choose the data; the test
(tests/e2e/demo_test.c) checks the report's numbers, not these.
"""

import csv
import datetime as dt
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
AS_OF = dt.date(2026, 9, 30)
PREV_AS_OF = dt.date(2025, 9, 30)
HISTORY_FROM = dt.date(2025, 1, 1)
LAST_WEEK_END = dt.date(2026, 11, 22)  # a Sunday
LAST_MONTH = (2026, 10)

TARGET_NEW = 510  # permille of the 2026 plan completed by AS_OF
TARGET_CONTINUING = 890
CRRC = "C01"
CRRC_2026, CRRC_2025 = 54000, 40000
CRRC_OUT_2026, CRRC_OUT_2025 = 193000, 146200
RAISED, RESOLVED = 88, 72
DISTRICT_LAGGING = 7  # and 4 seriously lagging: 55 of 66 on track
DISTRICT_SERIOUS = 4

rng = random.Random(20261130)


def read(name):
    with open(os.path.join(HERE, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def day(s):
    return dt.date.fromisoformat(s)


# ---- periods ---------------------------------------------------------------


def week_of(d):
    """(iso year, week, monday, sunday, thursday) of the week holding d."""
    y, w, _ = d.isocalendar()
    monday = d - dt.timedelta(days=d.weekday())
    return y, w, monday, monday + dt.timedelta(days=6), monday + dt.timedelta(days=3)


def month_last(y, m):
    n = dt.date(y + (m == 12), m % 12 + 1, 1)
    return n - dt.timedelta(days=1)


class Period:
    def __init__(self, text, first, last, year, month, monthly):
        self.text, self.first, self.last = text, first, last
        self.year, self.month, self.monthly = year, month, monthly
        if monthly:
            self.submitted = last  # the month's last day
        else:
            self.submitted = first + dt.timedelta(days=4)  # the Friday
        # A node reported done by the update is done on this day, as the
        # server dates it: the period's last day, or the sending day.
        self.done_on = min(last, self.submitted)


def periods(start, finish, monthly):
    """The periods a project reports, from the one holding its start (the
    ground-breaking is reported in its own week) to its finish or the end
    of the history."""
    out = []
    if monthly:
        y, m = start.year, start.month
        y, m = max((y, m), (HISTORY_FROM.year, HISTORY_FROM.month))
        while (y, m) <= LAST_MONTH and dt.date(y, m, 1) <= finish:
            out.append(Period("%04d-%02d" % (y, m), dt.date(y, m, 1), month_last(y, m), y,
                              m, True))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    d = max(start, HISTORY_FROM)
    monday = d - dt.timedelta(days=d.weekday())
    while monday + dt.timedelta(days=6) <= LAST_WEEK_END and monday <= finish:
        y, w, _, sunday, thursday = week_of(monday)
        out.append(Period("%04d-W%02d" % (y, w), monday, sunday, thursday.year,
                          thursday.month, False))
        monday += dt.timedelta(days=7)
    return out


def expected(start, finish, d):
    if d >= finish:
        return 100
    if d <= start:
        return 0
    return (d - start).days * 100 // (finish - start).days


def counts(p, as_of):
    """Whether p's period counts in the year to date of as_of: of as_of's
    year, ended by it."""
    return p.year == as_of.year and p.last <= as_of


# ---- the registry ----------------------------------------------------------

projects = read("projects.csv")
plans = {}
for r in read("plans.csv"):
    plans[(r["project"], int(r["year"]), int(r["month"]))] = int(r["invested"])
nodes = {}
for r in read("nodes.csv"):
    nodes.setdefault(r["project"], []).append((day(r["due_date"]), r["name"]))
units = {r["code"]: r for r in read("units.csv")}


def plan_year(code, y):
    return sum(plans.get((code, y, m), 0) for m in range(1, 13))


# ---- who lags on 2026-09-30, and why ---------------------------------------


def started(p):
    return day(p["planned_start"]) <= AS_OF - dt.timedelta(days=45)


def reasons_possible(p):
    """The reasons p can be made to lag for, seriously or not."""
    start, finish = day(p["planned_start"]), day(p["planned_finish"])
    out = []
    due = [d for d, _ in nodes.get(p["code"], [])]
    if any(dt.date(2026, 9, 3) <= d < AS_OF for d in due):
        out.append(("node", False))
    if any(dt.date(2026, 6, 15) <= d < dt.date(2026, 8, 25) for d in due):
        out.append(("node", True))
    if finish > AS_OF + dt.timedelta(days=60):
        out.append(("behind", False))
        out.append(("behind", True))
        out.append(("silent", False))
        out.append(("silent", True))
    return out


def choose_laggards(level, n_lag, n_serious):
    pool = [p for p in projects if p["level"] == level and started(p)
            and p["code"] != CRRC and reasons_possible(p)]
    rng.shuffle(pool)
    chosen = {}
    for serious, n in ((True, n_serious), (False, n_lag)):
        for p in pool:
            if n == 0:
                break
            if p["code"] in chosen:
                continue
            rs = [r for r in reasons_possible(p) if r[1] == serious]
            if not rs:
                continue
            # Vary the reasons: prefer one not used much yet.
            used = [r[0] for r in chosen.values()]
            rs.sort(key=lambda r: (used.count(r[0]), rng.random()))
            chosen[p["code"]] = rs[0]
            n -= 1
        assert n == 0, "not enough projects can lag"
    return chosen


laggards = {}
laggards.update(choose_laggards("district", DISTRICT_LAGGING, DISTRICT_SERIOUS))
laggards.update(choose_laggards("city", 3, 1))
laggards.update(choose_laggards("town", 15, 6))

# ---- percent complete, nodes, the periods reported -------------------------

PHASES = {
    "industrial": ["场地平整", "桩基施工", "基础施工", "主体结构施工", "主体结构封顶",
                   "钢结构吊装", "厂房屋面施工", "设备基础施工", "设备进场安装", "设备调试"],
    "platform": ["前期配套施工", "桩基施工", "地下室施工", "主体结构施工", "幕墙施工",
                 "室内装修", "景观绿化", "招商运营筹备"],
    "infrastructure": ["管线迁改", "路基施工", "桥梁下部结构施工", "桥梁上部结构施工",
                       "路面施工", "附属工程施工", "交通设施安装"],
    "livelihood": ["场地清表", "基础施工", "主体结构施工", "二次结构砌筑", "外立面施工",
                   "室内装修", "室外配套施工", "竣工验收准备"],
    "special_task": ["摸底排查", "方案编制", "分片推进", "集中攻坚", "整治提升",
                     "巡查复核", "验收销号"],
}


def progress_text(p, percent):
    steps = PHASES[p["category"]]
    i = min(len(steps) - 1, percent * len(steps) // 101)
    return steps[i] + ("，已完成" if percent >= 100 else "")


class Plan:
    """One project's history, as the generator builds it."""

    def __init__(self, p):
        self.p = p
        self.code = p["code"]
        self.start, self.finish = day(p["planned_start"]), day(p["planned_finish"])
        self.monthly = p["frequency"] == "monthly"
        self.reason = laggards.get(self.code)
        self.periods = periods(self.start, self.finish, self.monthly)
        self.skip = set()
        if self.reason and self.reason[0] == "silent":
            self.silence()
        self.reported = [q for q in self.periods if q.text not in self.skip]
        self.percents()
        self.nodes_done()

    def silence(self):
        """Stops the updates before AS_OF: lagging at 2-3 silent weeks
        (1 month), seriously at 5-6 weeks (2 months); they resume in
        October, after the office chased the town."""
        serious = self.reason[1]
        if self.monthly:
            gone = [(2026, 9)] if not serious else [(2026, 8), (2026, 9)]
            gone = ["%04d-%02d" % g for g in gone]
            # The status of 09-30 reads August's update when September's
            # is missing: one more month back for the rule to see it.
            gone = ["2026-08"] + gone if not serious else ["2026-07"] + gone
            self.skip.update(gone)
            return
        n = rng.choice((2, 3)) if not serious else rng.choice((5, 6))
        for q in self.periods:
            if q.last < AS_OF and q.last > AS_OF - dt.timedelta(days=3 + 7 * n):
                self.skip.add(q.text)

    def percents(self):
        offset = rng.uniform(-2, 5)
        lag_to = 0
        if self.reason and self.reason[0] == "behind":
            lag_to = rng.uniform(-17, -12.5) if not self.reason[1] else rng.uniform(-30, -22)
        prev = 0
        self.percent = {}
        for q in self.reported:
            offset = max(-4.0, min(7.0, offset + rng.uniform(-1.2, 1.2)))
            o = offset
            if lag_to:
                # Falls behind little by little, and stays behind.
                t0 = max(self.start, dt.date(2025, 6, 1))
                t = (q.last - t0).days / (AS_OF - t0).days
                t = max(0.0, min(1.0, t))
                o = offset * (1 - t) + lag_to * t
            e = expected(self.start, self.finish, q.last)
            v = int(round(e + o)) if e < 100 else 100
            if q.last >= self.finish and not lag_to:
                v = 100
            v = max(prev, min(100 if q.last >= self.finish else 99, max(0, v)))
            if lag_to and q.last >= self.finish:
                v = max(prev, min(v, 95))
            self.percent[q.text] = v
            prev = v
        # Nothing after the period that reported it complete.
        done = [q for q in self.reported if self.percent[q.text] >= 100]
        if done:
            end = done[0].last
            self.reported = [q for q in self.reported if q.last <= end]

    def nodes_done(self):
        """Each node is reported done by the last update sent on or before
        its due date (the first update, for a node due before it); the node
        that makes a project lag is done late, in October."""
        self.done = {}
        late = None
        if self.reason and self.reason[0] == "node":
            lo, hi = ((dt.date(2026, 9, 3), AS_OF) if not self.reason[1]
                      else (dt.date(2026, 6, 15), dt.date(2026, 8, 25)))
            cands = [n for n in nodes.get(self.code, []) if lo <= n[0] < hi]
            late = cands[0]
        complete = any(self.percent[q.text] >= 100 for q in self.reported)
        for due, name in sorted(nodes.get(self.code, [])):
            if due > LAST_WEEK_END and not complete:
                continue  # still ahead
            if (due, name) == late:
                after = [q for q in self.reported if q.done_on >= dt.date(2026, 10, 12)]
                if after:
                    self.done.setdefault(after[0].text, []).append(name)
                continue
            before = [q for q in self.reported if q.done_on <= due]
            if before:
                q = before[-1]
            else:
                after = [q for q in self.reported if q.done_on > due]
                if not after:
                    continue
                q = after[0]
            self.done.setdefault(q.text, []).append(name)


plans_by_code = {p["code"]: Plan(p) for p in projects}

# ---- the status each project gets on AS_OF (the rule of projstatus.c) ------


def status_on(pl, as_of):
    due_open = []
    done_on = {}
    for q in pl.reported:
        for name in pl.done.get(q.text, []):
            done_on[name] = q.done_on
    for due, name in nodes.get(pl.code, []):
        if due < as_of and not (name in done_on and done_on[name] <= as_of):
            due_open.append((as_of - due).days)
    level = 1
    if due_open:
        level = max(level, 3 if max(due_open) > 30 else 2)
    seen = [q for q in pl.reported if q.first <= as_of and q.submitted <= as_of]
    last = max(seen, key=lambda q: q.last) if seen else None
    pct = pl.percent[last.text] if last else 0
    behind = expected(pl.start, pl.finish, as_of) - pct
    if behind >= 10:
        level = max(level, 3 if behind >= 20 else 2)
    if not (last and pct >= 100):
        frm = pl.start
        if last and last.last + dt.timedelta(days=1) > frm:
            frm = last.last + dt.timedelta(days=1)
        n = 0
        if pl.monthly:
            y, m = frm.year, frm.month
            if frm.day != 1:
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            while month_last(y, m) < as_of:
                n += 1
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        else:
            p = frm + dt.timedelta(days=(7 - frm.weekday()) % 7)
            while p + dt.timedelta(days=6) < as_of:
                n += 1
                p += dt.timedelta(days=7)
        if n >= (1 if pl.monthly else 2):
            level = max(level, 3 if n >= (2 if pl.monthly else 4) else 2)
    return level


for pl in plans_by_code.values():
    want = 1 if pl.reason is None else (3 if pl.reason[1] else 2)
    got = status_on(pl, AS_OF)
    assert got == want, (pl.code, pl.reason, got, want)

# ---- money -----------------------------------------------------------------

CNY = {2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17)}


def weight(pl, q):
    """How much of its month's plan a period gets: the plan month, shared
    by the periods of the month, with noise and a pause at the Spring
    Festival."""
    plan = plans.get((pl.code, q.year, q.month), 0)
    if plan == 0:
        return 0.0
    share = 1.0 if q.monthly else 7 / month_last(q.year, q.month).day
    w = plan * share * rng.uniform(0.65, 1.35)
    cny = CNY.get(q.year)
    if cny and abs((q.first - cny).days) <= 10:
        w *= 0.25
    return w


def spread(total, ws):
    """Splits total into whole 万元 in proportion to ws."""
    s = sum(ws)
    if total == 0 or s == 0:
        return [0] * len(ws)
    raw = [total * w / s for w in ws]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(ws)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


invested = {}  # (code, period) -> 万元
output = {}
ytd = {}  # code -> 2026 completed by AS_OF, before scaling

for pl in plans_by_code.values():
    for q in pl.reported:
        invested[(pl.code, q.text)] = weight(pl, q)

# The year 2026 to AS_OF: each project a share of its plan, then every
# stage scaled to its figure. pace: how far a project runs ahead of (or
# behind) its plan, which it keeps in the rest of its history.
pace = {}
for stage, target in (("new", TARGET_NEW), ("continuing", TARGET_CONTINUING)):
    members = [pl for pl in plans_by_code.values() if pl.p["stage"] == stage]
    plan_total = sum(plan_year(pl.code, 2026) for pl in members)
    goal = (plan_total * target + 500) // 1000
    free = []
    fixed = 0
    for pl in members:
        if pl.code == CRRC:
            fixed += CRRC_2026
            continue
        ws = [invested[(pl.code, q.text)] for q in pl.reported if counts(q, AS_OF)]
        perf = rng.uniform(0.8, 1.15) if pl.reason is None else rng.uniform(0.55, 0.8)
        free.append((pl, sum(ws) * perf))
    raw_total = sum(v for _, v in free)
    k = (goal - fixed) / raw_total
    amounts = {pl.code: int(v * k) for pl, v in free}
    amounts[max(free, key=lambda x: x[1])[0].code] += goal - fixed - sum(amounts.values())
    if any(pl.code == CRRC for pl in members):
        amounts[CRRC] = CRRC_2026
    for pl in members:
        qs = [q for q in pl.reported if counts(q, AS_OF)]
        raw = sum(invested[(pl.code, q.text)] for q in qs)
        pace[pl.code] = amounts.get(pl.code, 0) / raw if raw else 1.0
        parts = spread(amounts.get(pl.code, 0), [invested[(pl.code, q.text)] for q in qs])
        for q, v in zip(qs, parts):
            invested[(pl.code, q.text)] = v
    check = sum(invested[(pl.code, q.text)] for pl in members for q in pl.reported
                if counts(q, AS_OF))
    assert check == goal and (check * 1000 + plan_total // 2) // plan_total == target

# The rest of the history (2025, and 2026 after AS_OF): the plan with its
# noise at the project's pace, a little slower in its first year, as whole
# 万元; the CRRC base's 2025 to 2025-09-30 is fixed.
for pl in plans_by_code.values():
    rest = [q for q in pl.reported if not counts(q, AS_OF)]
    if pl.code == CRRC:
        qs = [q for q in rest if counts(q, PREV_AS_OF)]
        parts = spread(CRRC_2025, [invested[(pl.code, q.text)] for q in qs])
        for q, v in zip(qs, parts):
            invested[(pl.code, q.text)] = v
        rest = [q for q in rest if not counts(q, PREV_AS_OF)]
    for q in rest:
        f = pace.get(pl.code, 1.0) * (0.85 if q.year == 2025 else 1.0)
        invested[(pl.code, q.text)] = int(round(invested[(pl.code, q.text)] * f))

# Output value: the CRRC base and the industrial projects already producing.
producing = [pl for pl in plans_by_code.values()
             if pl.p["category"] == "industrial" and pl.p["stage"] == "continuing"
             and pl.start < dt.date(2025, 7, 1)]
for pl in producing:
    for year, as_of in ((2025, PREV_AS_OF), (2026, AS_OF)):
        qs = [q for q in pl.reported if q.year == year]
        ws = [rng.uniform(0.8, 1.2) * (1 + 0.08 * i / max(1, len(qs))) for i in range(len(qs))]
        if pl.code == CRRC:
            total = CRRC_OUT_2025 if year == 2025 else CRRC_OUT_2026
            inside = [i for i, q in enumerate(qs) if counts(q, as_of)]
            parts = spread(total, [ws[i] for i in inside])
            for i, v in zip(inside, parts):
                output[(pl.code, qs[i].text)] = v
            per = total / max(1, len(inside))
            for i, q in enumerate(qs):
                if i not in inside:
                    output[(pl.code, q.text)] = int(per * ws[i])
        else:
            base = plan_year(pl.code, year) * rng.uniform(0.8, 1.6) / max(1, len(qs))
            for i, q in enumerate(qs):
                output[(pl.code, q.text)] = int(base * ws[i])

crrc = plans_by_code[CRRC]
assert sum(invested[(CRRC, q.text)] for q in crrc.reported if counts(q, AS_OF)) == CRRC_2026
assert sum(invested[(CRRC, q.text)] for q in crrc.reported if counts(q, PREV_AS_OF)) == CRRC_2025
assert sum(output[(CRRC, q.text)] for q in crrc.reported if counts(q, AS_OF)) == CRRC_OUT_2026
assert sum(output[(CRRC, q.text)] for q in crrc.reported
           if counts(q, PREV_AS_OF)) == CRRC_OUT_2025


# ---- the updates file ------------------------------------------------------

def stamp(d, minute):
    return "%sT%02d:%02d:00+08:00" % (d.isoformat(), 15 + minute // 60 % 4, minute % 60)


rows = []
for p in projects:
    pl = plans_by_code[p["code"]]
    unit = p["town"] or p["lead_unit"]
    for q in pl.reported:
        pct = pl.percent[q.text]
        rows.append({
            "project": p["code"],
            "period": q.text,
            "unit": unit,
            "invested": invested[(p["code"], q.text)],
            "output": output.get((p["code"], q.text), ""),
            "percent": pct,
            "progress": progress_text(p, pct),
            "nodes_done": ";".join(pl.done.get(q.text, [])),
            "submitted_at": stamp(q.submitted, rng.randrange(240)),
        })
with open(os.path.join(HERE, "updates.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)

# ---- problems --------------------------------------------------------------

# What a problem is about, by group: title (with {n} for the project's
# name), the departments that take it on, and how it was solved.
KINDS = {
    "clearance": [
        ("{n}剩余征迁户未签约", ["zsb"], "区征收办会同属地镇街逐户攻坚，完成签约腾空"),
        ("{n}红线内违章建筑未拆除", ["zfj", "zsb"], "综合执法联合属地依法拆除，场地移交施工单位"),
        ("{n}施工范围内坟墓迁移", ["nyj"], "属地镇街做通家属工作，完成迁移安置"),
        ("{n}地块内企业搬迁补偿争议", ["zsb", "zrgh"], "第三方评估复核补偿标准，签订搬迁协议"),
    ],
    "approval": [
        ("{n}施工许可办理周期长", ["spj"], "审批服务组提前介入，容缺受理，三个工作日内发证"),
        ("{n}用地预审和规划选址未批复", ["zrgh"], "规划分局并联审查，完成用地预审"),
        ("{n}环评批复滞后", ["sthj"], "生态环境分局提前辅导，召开技术评审会后批复"),
        ("{n}初步设计及概算审批", ["fgj", "zjj"], "发改、住建联合审查，概算核定下达"),
        ("{n}节能审查意见未出具", ["fgj"], "开通绿色通道，出具节能审查意见"),
    ],
    "funding": [
        ("{n}年度建设资金缺口", ["czj"], "财政局调度专项债资金，分批拨付到位"),
        ("{n}项目贷款审批进度慢", ["jrb"], "金融办组织银企对接，贷款审批通过并首笔放款"),
        ("{n}政策性补助资金未兑付", ["czj", "jxj"], "完成资金绩效审核，补助资金兑付到位"),
    ],
    "coordination": [
        ("{n}施工用电双回路接入", ["gdgs"], "供电公司优化接入方案，双回路供电接通"),
        ("{n}配套道路与项目路网衔接", ["jtj", "zjj"], "交通局调整配套道路设计，实现路网无缝衔接"),
        ("{n}施工用水及排水接驳", ["zjj"], "住建局协调水务集团，完成临时用水和排水接驳"),
        ("{n}河道改线影响施工进度", ["slj"], "水利局审定改线方案，完成河道临时改道"),
        ("{n}燃气管线迁改", ["zjj"], "协调燃气公司制定迁改方案并实施完成"),
        ("{n}施工期间交通组织", ["jtj"], "交警、交通部门联合制定交通组织方案并实施"),
    ],
    "other": [
        ("{n}周边居民对施工噪声投诉", [], "属地镇街牵头约谈施工单位，调整夜间作业时间"),
        ("{n}招商地块意向企业落地条件协调", [], "领导小组办公室牵头专题协调，明确落地条件"),
    ],
}
GROUPS = ["clearance", "approval", "funding", "coordination", "other"]
GROUP_WEIGHTS = [20, 24, 14, 34, 8]


def problem_dates(when):
    """raised, due; when is the day it was raised."""
    return when, when + dt.timedelta(days=rng.choice((15, 20, 30, 30, 45, 60)))


candidates = [p for p in projects if day(p["planned_start"]) <= dt.date(2026, 8, 15)]
laggard_projects = [p for p in candidates if p["code"] in laggards]
others = [p for p in candidates if p["code"] not in laggards]

problems = []


def add_problem(p, raised, resolved, due=None, group=None):
    group = group or rng.choices(GROUPS, GROUP_WEIGHTS)[0]
    title, owners, how = rng.choice(KINDS[group])
    r, d = problem_dates(raised)
    if due is not None:
        d = due
    owner = rng.choice(owners) if owners and rng.random() < 0.85 else ""
    problems.append({
        "project": p["code"],
        "group": group,
        "title": title.format(n=p["name"]),
        "detail": "",
        "assignee": owner,
        "due_date": d.isoformat(),
        "raised_at": stamp(r, rng.randrange(240)).replace("T15", "T09").replace("T16", "T10")
        .replace("T17", "T11").replace("T18", "T14"),
        "assigned_at": stamp(r + dt.timedelta(days=1), rng.randrange(240)) if owner else "",
        "resolved_at": stamp(resolved, rng.randrange(240)) if resolved else "",
        "resolution": how if resolved else "",
    })


def rand_day(lo, hi):
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


# The campaign begins in spring: problems from February 2026. 72 raised and
# resolved by AS_OF; 16 raised by AS_OF and open on it, 6 of them overdue
# (4 of those closed in October); 9 raised after AS_OF.
for i in range(RESOLVED):
    p = rng.choice(laggard_projects if i % 5 == 0 else others)
    raised = rand_day(dt.date(2026, 2, 24), dt.date(2026, 9, 10))
    r, due = problem_dates(raised)
    close = min(AS_OF, rand_day(raised + dt.timedelta(days=4), due + dt.timedelta(days=8)))
    add_problem(p, raised, close, due=due)
for i in range(RAISED - RESOLVED):
    overdue = i < 6
    p = rng.choice(laggard_projects if i % 2 == 0 else others)
    if overdue:
        raised = rand_day(dt.date(2026, 6, 20), dt.date(2026, 8, 20))
        due = min(AS_OF - dt.timedelta(days=3), raised + dt.timedelta(days=30))
        close = rand_day(dt.date(2026, 10, 9), dt.date(2026, 10, 30)) if i < 4 else None
    else:
        raised = rand_day(dt.date(2026, 9, 1), AS_OF - dt.timedelta(days=1))
        due = raised + dt.timedelta(days=rng.choice((30, 45, 60)))
        close = rand_day(due - dt.timedelta(days=25), due) if i % 3 == 0 else None
    add_problem(p, raised, close, due=due)
for i in range(9):
    p = rng.choice(others)
    raised = rand_day(dt.date(2026, 10, 8), dt.date(2026, 11, 13))
    r, due = problem_dates(raised)
    close = rand_day(raised + dt.timedelta(days=5), dt.date(2026, 11, 20)) if i < 4 else None
    add_problem(p, raised, close, due=due)

problems.sort(key=lambda x: x["raised_at"])
assert sum(1 for x in problems if x["raised_at"][:10] <= "2026-09-30") == RAISED
assert sum(1 for x in problems if x["resolved_at"] and x["resolved_at"][:10] <= "2026-09-30") \
    == RESOLVED
with open(os.path.join(HERE, "problems.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(problems[0].keys()), lineterminator="\n")
    w.writeheader()
    w.writerows(problems)

print("updates.csv: %d rows; problems.csv: %d rows" % (len(rows), len(problems)))
