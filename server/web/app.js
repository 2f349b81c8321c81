/* The dashboard: one page, views chosen by the location's hash
 * (#/summary, #/towns, #/leaders, #/lagging, #/project/<code>, #/map,
 * #/disclosure). Every figure comes from the JSON API of luoshid
 * (POST api/v1/<Service>/<Method>); what a token may see is decided there,
 * and a view the server refuses says so instead of its figures. The token
 * lives in sessionStorage only: it ends with the browser tab. */
'use strict';

const TOKEN_KEY = 'luoshi.token';
const state = {
	token: sessionStorage.getItem(TOKEN_KEY),
	who: null,
	filter: {},
	sort: {},
	optionsLoaded: false,
};

/* ---- helpers ---------------------------------------------------------------- */

const $ = (sel, root) => (root || document).querySelector(sel);

function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k === 'class')
			e.className = v;
		else if (k === 'text')
			e.textContent = v;
		else if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else
			e.setAttribute(k, v === true ? '' : v);
	}
	for (const c of children.flat()) {
		if (c === undefined || c === null || c === false)
			continue;
		e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
	const e = document.createElementNS(SVG_NS, tag);
	for (const [k, v] of Object.entries(attrs || {}))
		if (v !== undefined && v !== null)
			e.setAttribute(k, v);
	for (const c of children.flat())
		if (c !== undefined && c !== null)
			e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	return e;
}

/* Numbers from the API: 64-bit integers come as strings, zeros are left
 * out. */
const num = (v) => (v === undefined || v === null ? 0 : Number(v));
const money = (v) => num(v).toLocaleString('zh-CN') + ' 万元';
const permille = (v) => (num(v) / 10).toFixed(1) + '%';
const signedPermille = (v) => (num(v) > 0 ? '+' : '') + permille(v);

const LEVELS = { LEVEL_CITY: '市级', LEVEL_DISTRICT: '区级', LEVEL_TOWN: '镇街道级',
	city: '市级', district: '区级', town: '镇街道级' };
const CATEGORIES = { CATEGORY_INDUSTRIAL: '重大产业项目', CATEGORY_PLATFORM: '重大平台区块',
	CATEGORY_INFRASTRUCTURE: '重大基础设施', CATEGORY_LIVELIHOOD: '民生项目',
	CATEGORY_SPECIAL_TASK: '重大专项任务' };
const STAGES = { STAGE_NEW: '新建', STAGE_CONTINUING: '续建' };
const STATUS = { ON_TRACK: '正常推进', LAGGING: '滞后', SERIOUSLY_LAGGING: '严重滞后',
	on_track: '正常推进', lagging: '滞后', seriously_lagging: '严重滞后' };
const ROLES = { ROLE_ADMIN: '管理员', ROLE_LEADER: '领导', ROLE_TOWN: '乡镇',
	ROLE_DEPARTMENT: '部门', ROLE_INSPECTOR: '督查', ROLE_DISCIPLINE: '纪检',
	ROLE_VIEWER: '查看' };
const NODE_STATUS = { NODE_STATUS_PENDING: ['待完成', 'node-pending'],
	NODE_STATUS_OVERDUE: ['已逾期', 'node-overdue'], NODE_STATUS_DONE: ['已完成', 'node-done'],
	NODE_STATUS_DONE_LATE: ['逾期完成', 'node-done-late'] };
const TASK_STATUS = { TASK_OPEN: '进行中', TASK_DONE: '已完成', TASK_CANCELLED: '已取消' };
const PROBLEM_STATUS = { PROBLEM_OPEN: '未解决', PROBLEM_RESOLVED: '已解决' };

class ApiError extends Error {
	constructor(http, body) {
		super(body.message || ('HTTP ' + http));
		this.http = http;
		this.status = body.status || '';
		this.field = body.field || '';
	}
}

/* Calls one method of the API; the answer's JSON, or an ApiError. */
async function api(method, body) {
	const res = await fetch('api/v1/' + method, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + state.token },
		body: JSON.stringify(body || {}),
		cache: 'no-store',
	});
	let json = {};
	try {
		json = await res.json();
	} catch (e) {
		json = {};
	}
	if (!res.ok) {
		const err = new ApiError(res.status, json);
		if (res.status === 401 && method !== 'AccountService/WhoAmI')
			logout(err.message);
		throw err;
	}
	return json;
}

/* Every page of a list method, its rows under key. */
async function apiAll(method, body, key) {
	let rows = [];
	let token;
	for (let i = 0; i < 100; i++) {
		const r = await api(method, Object.assign({}, body, { pageSize: 1000, pageToken: token }));
		rows = rows.concat(r[key] || []);
		token = r.nextPageToken;
		if (!token)
			break;
	}
	return rows;
}

/* The server's status, as the page says it. */
const REFUSAL = {
	PERMISSION_DENIED: '无权查看',
	NOT_FOUND: '未找到或无权查看',
	UNAUTHENTICATED: '未登录或令牌已失效',
	INVALID_ARGUMENT: '筛选条件有误',
	FAILED_PRECONDITION: '当前状态下无法查看',
	RESOURCE_EXHAUSTED: '请求过于频繁，请稍后再试',
	DEADLINE_EXCEEDED: '服务器响应超时，请稍后再试',
	UNAVAILABLE: '服务器暂不可用，请稍后再试',
};

/* What a refused or failed call shows in place of its figures: the reason
 * in Chinese, the server's own words (in English) on hover. */
function refusal(err) {
	const why = REFUSAL[err.status] || '加载失败';
	return el('p', { class: 'denied', 'data-error': err.status || 'ERROR', title: err.message }, why + '。');
}

/* The filter as QueryFilter wants it. */
function queryFilter() {
	const f = {};
	for (const k of ['asOf', 'level', 'category', 'stage', 'town', 'leader'])
		if (state.filter[k])
			f[k] = state.filter[k];
	return f;
}

function setView(...children) {
	const v = $('#view');
	v.replaceChildren(...children);
	return v;
}

/* A table whose columns sort when their header is clicked. cols: [{key,
 * title, num, value(row) for sorting, cell(row) for showing}]. */
function sortableTable(id, cols, rows) {
	const sort = state.sort[id] || { key: null, desc: false };
	const sorted = rows.slice();
	if (sort.key !== null) {
		const col = cols.find((c) => c.key === sort.key);
		if (col) {
			sorted.sort((a, b) => {
				const x = col.value(a), y = col.value(b);
				const c = typeof x === 'number' && typeof y === 'number' ? x - y
					: String(x).localeCompare(String(y), 'zh-CN');
				return sort.desc ? -c : c;
			});
		}
	}
	const head = el('tr', {}, cols.map((c) => el('th', {
		class: ['sortable', c.num ? 'num' : '', sort.key === c.key ? (sort.desc ? 'sorted-desc' : 'sorted-asc') : ''].join(' ').trim(),
		'data-key': c.key,
		scope: 'col',
		onclick: () => {
			const s = state.sort[id] || { key: null, desc: false };
			state.sort[id] = { key: c.key, desc: s.key === c.key ? !s.desc : c.num };
			route();
		},
	}, c.title)));
	const body = sorted.map((r) => el('tr', {}, cols.map((c) => el('td', { class: c.num ? 'num' : '', 'data-col': c.key }, c.cell(r)))));
	return el('div', { class: 'table-wrap' }, el('table', { id }, el('thead', {}, head), el('tbody', {}, body)));
}

/* ---- charts (plain SVG) -------------------------------------------------------- */

/* Horizontal bars: [{label, value, max, cls, text}] */
function barChart(title, bars) {
	const rowH = 40, labelW = 64, w = 420, barW = w - labelW - 110;
	const h = bars.length * rowH + 10;
	const top = Math.max(1, ...bars.map((b) => num(b.max !== undefined ? b.max : b.value)));
	const g = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': title });
	bars.forEach((b, i) => {
		const y = i * rowH + 8;
		const max = b.max !== undefined ? num(b.max) : null;
		g.append(svg('text', { x: 0, y: y + 20 }, b.label));
		if (max !== null)
			g.append(svg('rect', { class: 'bar-plan', x: labelW, y: y, width: barW * max / top, height: 28 }));
		g.append(svg('rect', { class: b.cls || 'bar-done', x: labelW, y: y + (max !== null ? 6 : 0), width: barW * Math.min(num(b.value), top) / top, height: max !== null ? 16 : 28 }));
		g.append(svg('text', { x: labelW + barW + 8, y: y + 20 }, b.text));
	});
	return el('div', { class: 'card chart' }, el('div', { class: 'label' }, title), g);
}

/* A ring: the share of the first part in the whole. parts: [{label, value, cls}] */
function ringChart(title, parts) {
	const total = parts.reduce((s, p) => s + num(p.value), 0);
	const g = svg('svg', { viewBox: '0 0 360 170', role: 'img', 'aria-label': title });
	const cx = 80, cy = 85, r = 60, c = 2 * Math.PI * r;
	let off = 0;
	g.append(svg('circle', { cx, cy, r, fill: 'none', stroke: '#e5e9f0', 'stroke-width': 26 }));
	for (const p of parts) {
		const len = total ? c * num(p.value) / total : 0;
		if (len > 0)
			g.append(svg('circle', { cx, cy, r, fill: 'none', class: p.cls, style: 'stroke: currentColor', 'stroke-width': 26,
				'stroke-dasharray': `${len} ${c - len}`, 'stroke-dashoffset': -off, transform: `rotate(-90 ${cx} ${cy})` }));
		off += len;
	}
	g.append(svg('text', { x: cx, y: cy + 6, 'text-anchor': 'middle', 'font-weight': 'bold' }, total ? Math.round(100 * num(parts[0].value) / total) + '%' : '—'));
	parts.forEach((p, i) => {
		g.append(svg('rect', { x: 180, y: 30 + i * 36, width: 14, height: 14, class: p.cls, style: 'fill: currentColor' }));
		g.append(svg('text', { x: 202, y: 42 + i * 36 }, `${p.label} ${num(p.value)}`));
	});
	return el('div', { class: 'card chart' }, el('div', { class: 'label' }, title), g);
}

const COLORS = { green: '#2e9d4a', amber: '#f0a500', red: '#d93025' };

/* ---- views ------------------------------------------------------------------ */

function card(key, label, value, sub) {
	return el('div', { class: 'card', 'data-k': key }, el('div', { class: 'label' }, label),
		el('div', { class: 'value' }, value), sub ? el('div', { class: 'sub' }, sub) : null);
}

async function viewSummary() {
	const s = await api('QueryService/Summary', { filter: queryFilter() });
	const f = s.figures || {};
	const m = f.money || {}, mn = f.moneyNew || {}, mc = f.moneyContinuing || {};
	const p = f.problems || {};
	const ring = ringChart('项目推进状态', [
		{ label: '正常推进', value: f.onTrack, cls: 'c-green' },
		{ label: '滞后', value: f.lagging, cls: 'c-amber' },
		{ label: '严重滞后', value: f.seriouslyLagging, cls: 'c-red' },
	]);
	ring.querySelectorAll('.c-green').forEach((e) => e.setAttribute('color', COLORS.green));
	ring.querySelectorAll('.c-amber').forEach((e) => e.setAttribute('color', COLORS.amber));
	ring.querySelectorAll('.c-red').forEach((e) => e.setAttribute('color', COLORS.red));
	return setView(
		el('h2', {}, '总览'),
		el('p', { class: 'as-of' }, `截至 ${s.asOf || ''}（同比：${s.previousAsOf || '—'}）`),
		el('div', { class: 'cards' },
			card('projects', '重点项目', String(num(f.projects)), `滞后 ${num(f.lagging)} 个，严重滞后 ${num(f.seriouslyLagging)} 个`),
			card('on-track', '正常推进占比', permille(f.onTrackPermille), `正常推进 ${num(f.onTrack)} 个`),
			card('completed', '年度投资完成', money(m.completedYtd), `年度计划 ${money(m.annualPlan)}，完成率 ${permille(m.completionPermille)}`),
			card('growth', '投资同比增长', signedPermille(m.growthPermille), `去年同期 ${money(m.previousYtd)}`),
			card('new', '新建项目完成', money(mn.completedYtd), `计划 ${money(mn.annualPlan)}，完成率 ${permille(mn.completionPermille)}`),
			card('continuing', '续建项目完成', money(mc.completedYtd), `计划 ${money(mc.annualPlan)}，完成率 ${permille(mc.completionPermille)}`),
			card('problems', '问题提出 / 解决', `${num(p.raised)} / ${num(p.resolved)}`, `未解决 ${num(p.open)}，超期 ${num(p.overdue)}`),
			card('resolution', '问题解决率', permille(p.ratePermille), null)),
		el('div', { class: 'charts' },
			ring,
			barChart('投资完成与年度计划（万元）', [
				{ label: '全部', value: m.completedYtd, max: m.annualPlan, text: `${num(m.completedYtd)} / ${num(m.annualPlan)}` },
				{ label: '新建', value: mn.completedYtd, max: mn.annualPlan, text: `${num(mn.completedYtd)} / ${num(mn.annualPlan)}` },
				{ label: '续建', value: mc.completedYtd, max: mc.annualPlan, text: `${num(mc.completedYtd)} / ${num(mc.annualPlan)}` },
			]),
			barChart('问题（个）', [
				{ label: '提出', value: p.raised, cls: 'bar-done', text: String(num(p.raised)) },
				{ label: '已解决', value: p.resolved, cls: 'bar-green', text: String(num(p.resolved)) },
				{ label: '未解决', value: p.open, cls: 'bar-amber', text: String(num(p.open)) },
				{ label: '超期', value: p.overdue, cls: 'bar-red', text: String(num(p.overdue)) },
			])));
}

async function viewGrouped(by) {
	const r = await api('QueryService/Grouped', { filter: queryFilter(), by });
	const rows = r.rows || [];
	const first = by === 'GROUP_BY_TOWN' ? '乡镇' : '领衔领导';
	const f = (row) => row.figures || {};
	const cols = [
		{ key: 'name', title: first, value: (x) => x.name || '', cell: (x) => x.name || '（未归属）' },
		{ key: 'projects', title: '项目数', num: true, value: (x) => num(f(x).projects), cell: (x) => num(f(x).projects) },
		{ key: 'onTrack', title: '正常推进占比', num: true, value: (x) => num(f(x).onTrackPermille), cell: (x) => permille(f(x).onTrackPermille) },
		{ key: 'lagging', title: '滞后', num: true, value: (x) => num(f(x).lagging) + num(f(x).seriouslyLagging), cell: (x) => `${num(f(x).lagging)} + ${num(f(x).seriouslyLagging)}` },
		{ key: 'plan', title: '年度计划（万元）', num: true, value: (x) => num((f(x).money || {}).annualPlan), cell: (x) => num((f(x).money || {}).annualPlan).toLocaleString('zh-CN') },
		{ key: 'completed', title: '已完成（万元）', num: true, value: (x) => num((f(x).money || {}).completedYtd), cell: (x) => num((f(x).money || {}).completedYtd).toLocaleString('zh-CN') },
		{ key: 'completion', title: '完成率', num: true, value: (x) => num((f(x).money || {}).completionPermille), cell: (x) => permille((f(x).money || {}).completionPermille) },
		{ key: 'growth', title: '同比', num: true, value: (x) => num((f(x).money || {}).growthPermille), cell: (x) => signedPermille((f(x).money || {}).growthPermille) },
		{ key: 'problems', title: '问题 提出/解决', num: true, value: (x) => num((f(x).problems || {}).raised), cell: (x) => `${num((f(x).problems || {}).raised)} / ${num((f(x).problems || {}).resolved)}` },
	];
	const id = by === 'GROUP_BY_TOWN' ? 'by-town' : 'by-leader';
	return setView(el('h2', {}, by === 'GROUP_BY_TOWN' ? '分乡镇' : '分领衔领导'),
		el('p', { class: 'as-of' }, `截至 ${r.asOf || ''}；点击表头排序`),
		sortableTable(id, cols, rows));
}

const REASONS = { node_overdue: '节点逾期', behind_schedule: '进度滞后', silent: '未按期报送' };

/* The rules that fired, in Chinese; the server's own words as the tip. */
function reasonText(st) {
	return (st.reasons || []).map((x) => REASONS[x.code] || x.detail || x.code).join('；');
}

async function viewLagging() {
	const r = await api('QueryService/Lagging', { filter: queryFilter() });
	const rows = r.projects || [];
	const cols = [
		{ key: 'code', title: '项目', value: (x) => x.status.projectCode, cell: (x) => el('a', { href: '#/project/' + encodeURIComponent(x.status.projectCode), class: 'project-link' }, `${x.status.projectCode} ${x.status.projectName || ''}`) },
		{ key: 'status', title: '状态', value: (x) => x.status.status, cell: (x) => el('span', { class: 'status-' + x.status.status }, STATUS[x.status.status] || '') },
		{ key: 'reasons', title: '滞后原因', value: (x) => reasonText(x.status), cell: (x) => reasonText(x.status) },
		{ key: 'town', title: '乡镇', value: (x) => x.townName || '', cell: (x) => x.townName || '' },
		{ key: 'leader', title: '领衔领导', value: (x) => x.leadLeaderName || '', cell: (x) => x.leadLeaderName || '' },
		{ key: 'unit', title: '责任单位', value: (x) => x.leadUnitName || '', cell: (x) => x.leadUnitName || '' },
		{ key: 'overdue', title: '逾期节点', num: true, value: (x) => (x.overdueNodes || []).length, cell: (x) => (x.overdueNodes || []).map((n) => `${n.name}（${n.dueDate}，逾期 ${num(n.days)} 天）`).join('；') || '0' },
	];
	return setView(el('h2', {}, '滞后项目'),
		el('p', { class: 'as-of' }, `截至 ${r.asOf || ''}：滞后 `, el('b', { 'data-k': 'lagging' }, String(num(r.lagging))), ' 个，严重滞后 ', el('b', { 'data-k': 'seriously-lagging' }, String(num(r.seriouslyLagging))), ' 个'),
		rows.length ? sortableTable('lagging', cols.map((c) => Object.assign({}, c, { value: c.value })), rows.map((x) => Object.assign({ status: {} }, x))) : el('p', {}, '没有滞后项目。'));
}

/* One section of the project page: its own call, its own refusal. */
async function section(title, id, load) {
	const box = el('section', { id }, el('h3', {}, title));
	try {
		box.append(await load());
	} catch (err) {
		box.append(refusal(err));
	}
	return box;
}

async function photoImg(ref) {
	const r = await api('ProgressService/GetPhoto', { id: ref.id });
	return el('img', { src: `data:${ref.contentType || 'image/jpeg'};base64,${r.data || ''}`, alt: ref.name || '照片', title: ref.name || '' });
}

async function viewProject(code) {
	setView(el('p', { class: 'loading' }, '加载中…'));
	let p;
	try {
		p = (await api('ProjectService/GetProject', { project: code })).project || {};
	} catch (err) {
		return setView(el('h2', {}, '项目 ' + code), refusal(err));
	}
	const facts = el('dl', { class: 'facts' },
		el('dt', {}, '级别 / 类别 / 阶段'), el('dd', {}, `${LEVELS[p.level] || ''} / ${CATEGORIES[p.category] || ''} / ${STAGES[p.stage] || ''}`),
		el('dt', {}, '领衔领导'), el('dd', { 'data-k': 'leader' }, p.leadLeaderName || '—'),
		el('dt', {}, '责任单位'), el('dd', { 'data-k': 'unit' }, p.leadUnitName || '—'),
		el('dt', {}, '所在乡镇'), el('dd', {}, p.townName || '—'),
		el('dt', {}, '总投资'), el('dd', {}, money(p.totalInvestment)),
		el('dt', {}, '计划工期'), el('dd', {}, `${p.plannedStart || '?'} 至 ${p.plannedFinish || '?'}`));
	const status = await section('推进状态', 'project-status', async () => {
		const s = (await api('ProgressService/GetProjectStatus', { project: code, asOf: state.filter.asOf || undefined })).status || {};
		return el('p', {}, el('span', { class: 'status-' + s.status, 'data-k': 'status' }, STATUS[s.status] || '—'),
			`；形象进度 ${num(s.percent)}%（应达 ${num(s.expectedPercent)}%）`, reasonText(s) ? '；' + reasonText(s) : '');
	});
	const nodes = await section('节点', 'project-nodes', async () => {
		const rows = await apiAll('ScheduleService/ListNodes', { project: code, asOf: state.filter.asOf || undefined }, 'nodes');
		return el('div', { class: 'table-wrap' }, el('table', {},
			el('thead', {}, el('tr', {}, el('th', {}, '节点'), el('th', {}, '计划完成'), el('th', {}, '完成'), el('th', {}, '负责单位'))),
			el('tbody', {}, rows.map((n) => el('tr', {}, el('td', {}, n.name), el('td', {}, n.dueDate || ''),
				el('td', {}, n.done ? `已完成 ${n.doneDate || ''}` : (num(n.daysLeft) < 0 ? `逾期 ${-num(n.daysLeft)} 天` : `剩 ${num(n.daysLeft)} 天`)),
				el('td', {}, n.ownerUnitName || ''))))));
	});
	const updates = await section('进展报送', 'project-updates', async () => {
		const rows = await apiAll('ProgressService/ListUpdates', { project: code }, 'updates');
		const list = el('div', {});
		for (const u of rows) {
			const photos = el('div', { class: 'photos' });
			for (const ref of (u.photos || []).slice(0, 6)) {
				try {
					photos.append(await photoImg(ref));
				} catch (err) {
					photos.append(refusal(err));
				}
			}
			list.append(el('div', { class: 'card update' },
				el('div', { class: 'label' }, `${u.period} · ${u.unitName || ''} · ${u.accountName || ''}`),
				el('div', {}, `本期投资 ${money(u.invested)}，形象进度 ${num(u.percent)}%`),
				u.progress ? el('div', {}, u.progress) : null,
				u.supportNeeded ? el('div', {}, '需协调：' + u.supportNeeded) : null,
				photos));
		}
		return rows.length ? list : el('p', {}, '暂无报送。');
	});
	const problems = await section('问题', 'project-problems', async () => {
		const rows = await apiAll('ProblemService/ListProblems', { project: code }, 'problems');
		return rows.length ? el('div', { class: 'table-wrap' }, el('table', {},
			el('thead', {}, el('tr', {}, el('th', {}, '问题'), el('th', {}, '状态'), el('th', {}, '承办'), el('th', {}, '期限'))),
			el('tbody', {}, rows.map((x) => el('tr', {}, el('td', {}, x.title), el('td', {}, PROBLEM_STATUS[x.status] || ''),
				el('td', {}, [x.assigneeUnitName || x.routedUnitName || '', x.assigneePersonName || ''].filter(Boolean).join(' · ')),
				el('td', {}, x.dueDate || '')))))) : el('p', {}, '暂无问题。');
	});
	const tasks = await section('任务', 'project-tasks', async () => {
		const rows = await apiAll('ScheduleService/ListTasks', { project: code, asOf: state.filter.asOf || undefined }, 'tasks');
		return rows.length ? el('div', { class: 'table-wrap' }, el('table', {},
			el('thead', {}, el('tr', {}, el('th', {}, '任务'), el('th', {}, '责任单位'), el('th', {}, '责任人'), el('th', {}, '期限'), el('th', {}, '状态'))),
			el('tbody', {}, rows.map((t) => el('tr', {}, el('td', {}, t.description), el('td', {}, t.unitName || ''), el('td', {}, t.personName || ''),
				el('td', {}, t.dueDate || ''), el('td', {}, TASK_STATUS[t.status] || '')))))) : el('p', {}, '暂无任务。');
	});
	return setView(el('h2', { 'data-k': 'project-title' }, `${p.code || code} ${p.name || ''}`), facts, status, nodes, updates, problems, tasks);
}

/* The battle map: the drawing of `luoshi export --battle-map`, from the same
 * ExportService rows. */
const MAP = { labelW: 320, rowH: 26, groupH: 30, axisH: 44 };

function dayNum(s) {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
	return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) / 86400000 : null;
}

async function viewMap() {
	const f = queryFilter();
	let token, projects = [], nodes = [], asOf = '', year = new Date().getFullYear();
	for (let i = 0; i < 100; i++) {
		const r = await api('ExportService/ExportTables', Object.assign({}, f, { pageSize: 1000, pageToken: token }));
		projects = projects.concat(r.projects || []);
		nodes = nodes.concat(r.planNodes || []);
		asOf = r.asOf || asOf;
		year = r.year || year;
		token = r.nextPageToken;
		if (!token)
			break;
	}
	const first = Date.UTC(year, 0, 1) / 86400000, last = Date.UTC(year + 1, 0, 1) / 86400000 - 1;
	const width = 960;
	const x = (d) => MAP.labelW + (d - first) * width / (last - first + 1);
	const groups = [];
	for (const [lv, label] of [['LEVEL_CITY', '市级'], ['LEVEL_DISTRICT', '区级'], ['LEVEL_TOWN', '镇街道级'], [null, '其他']]) {
		const ps = projects.filter((p) => (lv ? p.level === lv : !LEVELS[p.level]));
		if (ps.length)
			groups.push({ title: `${label}项目（${ps.length} 个）`, ps });
	}
	const t = { all: 0, done: 0, late: 0, pending: 0, overdue: 0 };
	for (const n of nodes) {
		t.all++;
		if (n.status === 'NODE_STATUS_DONE') t.done++;
		else if (n.status === 'NODE_STATUS_DONE_LATE') { t.done++; t.late++; }
		else if (n.status === 'NODE_STATUS_OVERDUE') t.overdue++;
		else t.pending++;
	}
	let height = MAP.axisH + 8;
	for (const g of groups)
		height += MAP.groupH + g.ps.length * MAP.rowH;
	const W = MAP.labelW + width + 16, H = height + 24;
	const s = svg('svg', { class: 'battle-map', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' });
	const axis = svg('g', { class: 'axis' });
	for (let m = 0; m < 12; m++) {
		const a = Date.UTC(year, m, 1) / 86400000, b = Date.UTC(year, m + 1, 1) / 86400000;
		axis.append(svg('rect', { class: 'month' + (m % 2 ? ' even' : ''), x: x(a), y: MAP.axisH, width: x(b) - x(a), height: height - MAP.axisH }));
		axis.append(svg('text', { class: 'month-label', x: (x(a) + x(b)) / 2, y: MAP.axisH - 8 }, `${m + 1}月`));
		axis.append(svg('line', { class: 'grid', x1: x(a), y1: MAP.axisH - 4, x2: x(a), y2: height }));
	}
	axis.append(svg('text', { class: 'year-label', x: MAP.labelW + 4, y: 16 }, `${year}年`));
	s.append(axis);
	let y = MAP.axisH;
	for (const g of groups) {
		const gg = svg('g', { class: 'group' });
		gg.append(svg('rect', { class: 'group-band', x: 0, y: y + 2, width: MAP.labelW + width, height: MAP.groupH - 4 }));
		gg.append(svg('text', { class: 'group-title', x: 8, y: y + MAP.groupH / 2 + 5 }, g.title));
		y += MAP.groupH;
		g.ps.forEach((p, k) => {
			const cy = y + MAP.rowH / 2;
			const row = svg('g', { class: 'project-row', 'data-code': p.code });
			row.append(svg('rect', { class: 'row' + (k % 2 ? ' odd' : ''), x: 0, y, width: MAP.labelW + width, height: MAP.rowH }));
			const a = dayNum(p.plannedStart), b = dayNum(p.plannedFinish);
			if (a !== null && b !== null && b >= first && a <= last)
				row.append(svg('rect', { class: 'span', x: x(Math.max(a, first)), y: cy - 3, width: x(Math.min(b, last) + 1) - x(Math.max(a, first)), height: 6 }));
			let label = `${p.code} ${p.name || ''}`;
			if (label.length > 22)
				label = label.slice(0, 21) + '…';
			const name = svg('text', { class: 'name', x: 8, y: cy + 4.5 }, svg('title', {}, `${p.code} ${p.name || ''} · 领衔领导 ${p.leadLeaderName || ''} · 责任单位 ${p.leadUnitName || ''}`), label);
			name.addEventListener('click', () => { location.hash = '#/project/' + encodeURIComponent(p.code); });
			row.append(name);
			for (const n of nodes.filter((z) => z.projectCode === p.code)) {
				const d = dayNum(n.dueDate);
				if (d === null)
					continue;
				const [word, cls] = NODE_STATUS[n.status] || NODE_STATUS.NODE_STATUS_PENDING;
				const tip = svg('title', {}, `${n.name}：计划 ${n.dueDate}${n.doneDate ? '，完成 ' + n.doneDate : ''}，${word}${n.ownerUnitName ? '，' + n.ownerUnitName : ''}`);
				if (d < first || d > last) {
					const px = d < first ? MAP.labelW + 2 : MAP.labelW + width - 2, dir = d < first ? 1 : -1;
					row.append(svg('polygon', { class: `mark ${cls} off-axis`, 'data-node': n.nodeId, points: `${px},${cy} ${px + dir * 9},${cy - 6} ${px + dir * 9},${cy + 6}` }, tip));
				} else {
					row.append(svg('circle', { class: `mark ${cls}`, 'data-node': n.nodeId, cx: x(d), cy, r: 6 }, tip));
				}
			}
			gg.append(row);
			y += MAP.rowH;
		});
		s.append(gg);
	}
	const today = dayNum(asOf);
	if (today !== null && today >= first && today <= last) {
		const tx = x(today) + (x(today + 1) - x(today)) / 2;
		s.append(svg('line', { class: 'today', x1: tx, y1: MAP.axisH - 4, x2: tx, y2: height + 4 }));
		s.append(svg('text', { class: 'today-label', x: tx, y: height + 18 }, `今日 ${asOf}`));
	}
	return setView(el('h2', {}, '重点项目攻坚作战图'),
		el('p', { class: 'totals' }, `截至 ${asOf}：项目 `, el('b', { 'data-k': 'map-projects' }, String(projects.length)),
			` 个；节点 `, el('b', { 'data-k': 'map-nodes' }, String(t.all)), ` 个，其中已完成 `, el('b', { 'data-k': 'map-done' }, String(t.done)),
			` 个（逾期完成 ${t.late} 个），待完成 `, el('b', { 'data-k': 'map-pending' }, String(t.pending)), ' 个，已逾期 ',
			el('b', { 'data-k': 'map-overdue' }, String(t.overdue)), ' 个'),
		el('p', { class: 'legend' }, el('span', {}, el('i', { class: 'node-done' }), '已完成'), el('span', {}, el('i', { class: 'node-done-late' }), '逾期完成'),
			el('span', {}, el('i', { class: 'node-pending' }), '待完成'), el('span', {}, el('i', { class: 'node-overdue' }), '已逾期'), el('span', {}, '红色虚线：今日')),
		el('div', { class: 'map-wrap' }, s));
}

function currentQuarter() {
	const d = new Date();
	const q = Math.floor(d.getMonth() / 3) + 1;
	return q === 1 ? `${d.getFullYear() - 1}-Q4` : `${d.getFullYear()}-Q${q - 1}`;
}

async function viewDisclosure(quarter) {
	const q = quarter || currentQuarter();
	const picker = el('form', { class: 'quarter', onsubmit: (e) => { e.preventDefault(); location.hash = '#/disclosure/' + $('#quarter').value; } },
		el('label', {}, '季度 ', el('input', { id: 'quarter', value: q, pattern: '\\d{4}-Q[1-4]', size: 8 })), ' ', el('button', { type: 'submit' }, '查看'));
	let body;
	try {
		const r = await api('QueryService/Disclose', { quarter: q });
		const t = r.totals || {};
		body = el('div', {},
			el('p', {}, `${r.unitName || ''} ${r.quarter}（${(r.months || []).join('、')}）：项目 ${num(t.projects)} 个，正常推进 ${permille(t.onTrackPermille)}，投资完成 ${money(t.completedYtd)} / 计划 ${money(t.annualPlan)}，问题解决率 ${permille(t.resolutionPermille)}`),
			el('div', { class: 'table-wrap' }, el('table', {},
				el('thead', {}, el('tr', {}, el('th', {}, '项目'), el('th', {}, '乡镇'), el('th', {}, '责任单位'), el('th', { class: 'num' }, '完成投资（万元）'), el('th', { class: 'num' }, '完成率'), el('th', {}, '状态'))),
				el('tbody', {}, (r.rows || []).map((x) => el('tr', {}, el('td', {}, `${x.projectCode} ${x.projectName || ''}`), el('td', {}, x.townName || ''), el('td', {}, x.leadUnitName || ''),
					el('td', { class: 'num' }, num(x.completedYtd).toLocaleString('zh-CN')), el('td', { class: 'num' }, permille(x.completionPermille)),
					el('td', { class: 'status-' + x.status }, STATUS[x.status] || '')))))));
	} catch (err) {
		body = refusal(err);
	}
	return setView(el('h2', {}, '公开报告'), picker, body);
}

/* ---- filters ---------------------------------------------------------------- */

/* Towns and leaders come from the grouped figures, which every role that
 * sees figures may read. */
async function loadFilterOptions() {
	if (state.optionsLoaded)
		return;
	state.optionsLoaded = true;
	for (const [by, name] of [['GROUP_BY_TOWN', 'town'], ['GROUP_BY_LEADER', 'leader']]) {
		try {
			const r = await api('QueryService/Grouped', { by });
			const sel = $(`#filters select[name=${name}]`);
			sel.replaceChildren(el('option', { value: '' }, '全部'));
			for (const row of r.rows || [])
				if (row.code)
					sel.append(el('option', { value: row.code }, row.name || row.code));
			sel.value = state.filter[name] || '';
		} catch (err) {
			/* A role that may not see groups has no such filter to pick. */
		}
	}
}

function readFilters() {
	const form = $('#filters');
	state.filter = {};
	for (const k of ['asOf', 'level', 'category', 'stage', 'town', 'leader'])
		state.filter[k] = form.elements[k].value;
}

/* ---- login and routing ------------------------------------------------------ */

function showLogin(message) {
	$('#login').hidden = false;
	$('#nav').hidden = true;
	$('#who').hidden = true;
	$('#filters').hidden = true;
	$('#view').replaceChildren();
	$('#login-error').textContent = message || '';
	$('#token').focus();
}

function logout(message) {
	sessionStorage.removeItem(TOKEN_KEY);
	state.token = null;
	state.who = null;
	state.optionsLoaded = false;
	state.filter = {};
	$('#filters').reset();
	showLogin(message);
}

async function login(token) {
	state.token = token;
	try {
		state.who = (await api('AccountService/WhoAmI', {})).account || {};
	} catch (err) {
		state.token = null;
		showLogin(err.http === 401 ? '令牌无效或已失效，请核对后重试。' : err.http === 429 ? '失败次数过多，请稍后再试。' : '登录失败：' + err.message);
		return false;
	}
	sessionStorage.setItem(TOKEN_KEY, token);
	$('#login').hidden = true;
	$('#nav').hidden = false;
	$('#who').hidden = false;
	$('#filters').hidden = false;
	$('#who-name').textContent = `${state.who.name || ''}（${ROLES[state.who.role] || state.who.role || ''}）`;
	await loadFilterOptions();
	return true;
}

let routing = 0;
async function route() {
	if (!state.token || !state.who)
		return;
	const hash = location.hash || '#/summary';
	const parts = hash.replace(/^#\/?/, '').split('/');
	const view = parts[0] || 'summary';
	for (const a of document.querySelectorAll('#nav a'))
		a.classList.toggle('active', a.dataset.view === view);
	$('#filters').hidden = view === 'disclosure';
	const mine = ++routing;
	document.body.dataset.loading = '1';
	setView(el('p', { class: 'loading' }, '加载中…'));
	try {
		switch (view) {
		case 'towns': await viewGrouped('GROUP_BY_TOWN'); break;
		case 'leaders': await viewGrouped('GROUP_BY_LEADER'); break;
		case 'lagging': await viewLagging(); break;
		case 'project': await viewProject(decodeURIComponent(parts.slice(1).join('/'))); break;
		case 'map': await viewMap(); break;
		case 'disclosure': await viewDisclosure(parts[1]); break;
		default: await viewSummary();
		}
	} catch (err) {
		if (mine === routing && state.token)
			setView(refusal(err));
	}
	if (mine === routing) {
		document.body.dataset.view = view;
		delete document.body.dataset.loading;
	}
}

document.addEventListener('DOMContentLoaded', async () => {
	$('#login-form').addEventListener('submit', async (e) => {
		e.preventDefault();
		if (await login($('#token').value.trim())) {
			$('#token').value = '';
			route();
		}
	});
	$('#logout').addEventListener('click', () => logout(''));
	$('#filters').addEventListener('change', () => { readFilters(); route(); });
	$('#filters').addEventListener('reset', () => setTimeout(() => { readFilters(); route(); }, 0));
	window.addEventListener('hashchange', route);
	if (state.token && (await login(state.token)))
		route();
	else
		showLogin('');
});
