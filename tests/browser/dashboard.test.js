/* End to end: the dashboard in headless Chromium (Debian's /usr/bin/chromium
 * driven by playwright-core). Starts a real luoshid with --http on a
 * loopback port, loads fixture.sql into its database, logs in with the
 * admin token and a viewer's, checks the figures the pages show against the
 * numbers worked out by hand below, follows a project from the lagging list
 * to its page, and saves screenshots into LUOSHI_BROWSER_OUT.
 *
 * Environment (set by tests/browser/CMakeLists.txt): LUOSHID, PLAYWRIGHT_CORE
 * (the installed module's directory), CHROMIUM, LUOSHI_BROWSER_OUT, SQLITE3.
 *
 * The figures, as of D = 2026-10-15 (see fixture.sql):
 *   status: P1 expected (283 of 356 days) 79%, reported 90: on track.
 *           P2 node 主体完工 due 09-30 open: 15 days overdue: LAGGING.
 *           P3 last reported W20 (40%): silent W21..W41 = 21 weeks, and
 *              expected 255*100/330 = 77%, 37 behind: SERIOUSLY LAGGING.
 *           P4 expected 87%, reported 95 in W41: on track.
 *   projects 4, on track 2: 500 per mille = 50.0%.
 *   annual plan P1 1200 + P2 800 + P3 600 + P4 400 = 3000;
 *   completed (2026 periods ended by D) P1 300+200 + P2 100+300 + P3 150 +
 *   P4 100 = 1150; completion 1150/3000 = 383 per mille = 38.3%.
 *   previous (2025 periods ended by D') P2 250 + P4 200 = 450; growth
 *   1150/450 - 1 = 1.5556: +155.6%.
 *   new (P1 P3): plan 1800, completed 650, 361 per mille = 36.1%.
 *   continuing (P2 P4): plan 1200, completed 500, 417 = 41.7%.
 *   problems raised by D: 1, 2, 3 (4 was raised 10-20): 3; resolved 1;
 *   open 2; overdue (open, due before D) problem 2: 1; rate 1/3 = 33.3%.
 *   by town: 东吴镇 TA (P1 P4) 2 projects, both on track: 100.0%, plan
 *   1600, completed 600: 37.5%; 邱隘镇 TB (P2 P3) none on track: 0.0%,
 *   plan 1400, completed 550: 393 = 39.3%.
 *   by leader: 陈区长 L1 (P1 P3) 1800 / 650: 36.1%; 周副区长 L2 (P2 P4)
 *   1200 / 500: 41.7%.
 *   battle map: 4 projects, 4 nodes: done 2 (node 4 done 07-05 after its
 *   06-30: late 1), pending 1 (node 3), overdue 1 (node 2). */
'use strict';

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const LUOSHID = process.env.LUOSHID;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SQLITE3 = process.env.SQLITE3 || 'sqlite3';
const OUT = process.env.LUOSHI_BROWSER_OUT || path.join(process.cwd(), 'screenshots');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const D = '2026-10-15';
let passed = 0, failed = 0;

function check(name, fn) {
	return Promise.resolve().then(fn).then(() => {
		passed++;
		console.log('ok   ' + name);
	}, (err) => {
		failed++;
		console.log('FAIL ' + name + '\n     ' + String(err && err.stack || err).split('\n').join('\n     '));
	});
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

/* Polls fn until it returns true or ms pass. */
async function until(what, ms, fn) {
	const end = Date.now() + ms;
	for (;;) {
		if (await fn())
			return;
		if (Date.now() > end)
			throw new Error('timed out waiting for ' + what);
		await new Promise((r) => setImmediate(r));
	}
}

/* A luoshid on its own database and a free port; retried on a new port
 * when another process took it first. */
async function startServer(dir, db) {
	for (let attempt = 0; attempt < 5; attempt++) {
		const port = await freePort();
		const base = `http://127.0.0.1:${port}`;
		const log = fs.openSync(path.join(dir, 'luoshid.out'), 'a');
		const child = spawn(LUOSHID, ['--db', db, '--listen', `ipc://${dir}/rpc.sock`, '--publish', 'none',
			'--http', base, '--log', path.join(dir, 'luoshid.log')], { stdio: ['ignore', log, log] });
		let exited = false;
		child.on('exit', () => { exited = true; });
		try {
			await until('luoshid to serve ' + base, 15000, async () => {
				if (exited)
					return true;
				try {
					return (await fetch(base + '/')).status === 200;
				} catch (e) {
					return false;
				}
			});
		} catch (e) {
			child.kill('SIGKILL');
			throw e;
		}
		if (!exited)
			return { child, base };
	}
	throw new Error('luoshid did not start: see ' + dir);
}

async function stopServer(srv) {
	if (srv.child.exitCode !== null)
		return srv.child.exitCode;
	const done = new Promise((r) => srv.child.once('exit', (code, sig) => r(sig ? 128 : code)));
	srv.child.kill('SIGTERM');
	return done;
}

async function api(base, token, method, body) {
	const res = await fetch(`${base}/api/v1/${method}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
		body: JSON.stringify(body || {}),
	});
	const json = await res.json();
	if (!res.ok)
		throw new Error(`${method}: HTTP ${res.status}: ${json.message}`);
	return json;
}

const text = (page, sel) => page.locator(sel).first().innerText();

/* Waits for the view the hash names to finish loading. */
async function settled(page, view) {
	await page.waitForSelector(`body[data-view="${view}"]:not([data-loading])`);
}

async function login(page, token) {
	await page.waitForSelector('#login-form');
	await page.fill('#token', token);
	await page.click('#login-form button[type=submit]');
}

async function setAsOf(page, day) {
	await page.fill('#filters input[name=asOf]', day);
	await page.dispatchEvent('#filters input[name=asOf]', 'change');
}

async function main() {
	assert.ok(LUOSHID, 'LUOSHID is not set');
	fs.mkdirSync(OUT, { recursive: true });
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luoshi-browser-'));
	const db = path.join(dir, 'luoshi.db');
	const init = execFileSync(LUOSHID, ['--db', db, 'init'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	const admin = (init.match(/ls_[A-Za-z0-9_-]{43}/) || [])[0];
	assert.ok(admin, 'no admin token in the output of init');
	execFileSync(SQLITE3, [db], { input: fs.readFileSync(path.join(__dirname, 'fixture.sql')) });

	const srv = await startServer(dir, db);
	const viewer = (await api(srv.base, admin, 'AccountService/CreateAccount', { role: 'ROLE_VIEWER', name: '会议室大屏' })).token;
	assert.ok(viewer, 'CreateAccount gave no token');

	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
	try {
		const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
		const page = await ctx.newPage();
		const errors = [];
		page.on('pageerror', (e) => errors.push(String(e)));
		await page.goto(srv.base + '/');

		await check('a bad token is refused at the login form', async () => {
			await login(page, 'ls_not-a-token');
			await page.waitForSelector('#login-error:text("令牌无效")');
			assert.equal(await page.isVisible('#nav'), false);
			assert.equal(await page.evaluate(() => sessionStorage.getItem('luoshi.token')), null);
		});

		await check('the admin logs in; the token is kept in sessionStorage only', async () => {
			await login(page, admin);
			await settled(page, 'summary');
			assert.match(await text(page, '#who-name'), /admin（管理员）/);
			assert.equal(await page.evaluate(() => sessionStorage.getItem('luoshi.token')), admin);
			assert.equal(await page.evaluate(() => localStorage.length), 0);
		});

		await check('summary figures as of D', async () => {
			await setAsOf(page, D);
			await settled(page, 'summary');
			assert.match(await text(page, '.as-of'), /截至 2026-10-15（同比：2025-10-15）/);
			assert.equal(await text(page, '[data-k=projects] .value'), '4');
			assert.match(await text(page, '[data-k=projects] .sub'), /滞后 1 个，严重滞后 1 个/);
			assert.equal(await text(page, '[data-k=on-track] .value'), '50.0%');
			assert.equal(await text(page, '[data-k=completed] .value'), '1,150 万元');
			assert.match(await text(page, '[data-k=completed] .sub'), /年度计划 3,000 万元，完成率 38\.3%/);
			assert.equal(await text(page, '[data-k=growth] .value'), '+155.6%');
			assert.match(await text(page, '[data-k=growth] .sub'), /去年同期 450 万元/);
			assert.equal(await text(page, '[data-k=new] .value'), '650 万元');
			assert.match(await text(page, '[data-k=new] .sub'), /计划 1,800 万元，完成率 36\.1%/);
			assert.equal(await text(page, '[data-k=continuing] .value'), '500 万元');
			assert.match(await text(page, '[data-k=continuing] .sub'), /计划 1,200 万元，完成率 41\.7%/);
			assert.equal(await text(page, '[data-k=problems] .value'), '3 / 1');
			assert.match(await text(page, '[data-k=problems] .sub'), /未解决 2，超期 1/);
			assert.equal(await text(page, '[data-k=resolution] .value'), '33.3%');
			assert.equal(await page.locator('.chart svg').count(), 3);
			await page.screenshot({ path: path.join(OUT, 'summary.png'), fullPage: true });
		});

		await check('the town filter changes the summary', async () => {
			await page.selectOption('#filters select[name=town]', 'TA');
			await settled(page, 'summary');
			assert.equal(await text(page, '[data-k=projects] .value'), '2');
			assert.equal(await text(page, '[data-k=on-track] .value'), '100.0%');
			assert.equal(await text(page, '[data-k=completed] .value'), '600 万元');
			await page.selectOption('#filters select[name=town]', '');
			await settled(page, 'summary');
			assert.equal(await text(page, '[data-k=projects] .value'), '4');
		});

		await check('the stage filter changes the summary', async () => {
			await page.selectOption('#filters select[name=stage]', 'STAGE_CONTINUING');
			await settled(page, 'summary');
			assert.equal(await text(page, '[data-k=projects] .value'), '2');
			assert.equal(await text(page, '[data-k=completed] .value'), '500 万元');
			await page.selectOption('#filters select[name=stage]', '');
			await settled(page, 'summary');
		});

		await check('by town, sortable', async () => {
			await page.click('#nav a[data-view=towns]');
			await settled(page, 'towns');
			const rows = async () => page.$$eval('#by-town tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.innerText)));
			let r = await rows();
			assert.equal(r.length, 2);
			const ta = r.find((x) => x[0] === '东吴镇'), tb = r.find((x) => x[0] === '邱隘镇');
			assert.deepEqual([ta[1], ta[2], ta[4], ta[5], ta[6]], ['2', '100.0%', '1,600', '600', '37.5%']);
			assert.deepEqual([tb[1], tb[2], tb[4], tb[5], tb[6]], ['2', '0.0%', '1,400', '550', '39.3%']);
			await page.click('#by-town th[data-key=completion]');
			await settled(page, 'towns');
			r = await rows();
			assert.deepEqual(r.map((x) => x[0]), ['邱隘镇', '东吴镇']);
			await page.click('#by-town th[data-key=completion]');
			await settled(page, 'towns');
			r = await rows();
			assert.deepEqual(r.map((x) => x[0]), ['东吴镇', '邱隘镇']);
			await page.screenshot({ path: path.join(OUT, 'towns.png'), fullPage: true });
		});

		await check('by leader', async () => {
			await page.click('#nav a[data-view=leaders]');
			await settled(page, 'leaders');
			const r = await page.$$eval('#by-leader tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.innerText)));
			const l1 = r.find((x) => x[0] === '陈区长'), l2 = r.find((x) => x[0] === '周副区长');
			assert.deepEqual([l1[4], l1[5], l1[6]], ['1,800', '650', '36.1%']);
			assert.deepEqual([l2[4], l2[5], l2[6]], ['1,200', '500', '41.7%']);
		});

		await check('the leader filter changes the lagging list', async () => {
			await page.click('#nav a[data-view=lagging]');
			await settled(page, 'lagging');
			await page.selectOption('#filters select[name=leader]', 'L2');
			await settled(page, 'lagging');
			assert.equal(await text(page, '[data-k=lagging]'), '1');
			assert.equal(await text(page, '[data-k=seriously-lagging]'), '0');
			assert.deepEqual(await page.$$eval('#lagging a.project-link', (a) => a.map((x) => x.textContent)), ['P2 邱隘快速路']);
			await page.selectOption('#filters select[name=leader]', '');
			await settled(page, 'lagging');
		});

		await check('the lagging list, with reasons', async () => {
			assert.equal(await text(page, '[data-k=lagging]'), '1');
			assert.equal(await text(page, '[data-k=seriously-lagging]'), '1');
			const links = await page.$$eval('#lagging a.project-link', (a) => a.map((x) => x.textContent).sort());
			assert.deepEqual(links, ['P2 邱隘快速路', 'P3 邱隘科创平台']);
			const p2 = page.locator('#lagging tbody tr', { hasText: 'P2 邱隘快速路' });
			assert.equal(await p2.locator('td[data-col=status]').innerText(), '滞后');
			assert.match(await p2.locator('td[data-col=overdue]').innerText(), /主体完工（2026-09-30，逾期 15 天）/);
			const p3 = page.locator('#lagging tbody tr', { hasText: 'P3 邱隘科创平台' });
			assert.equal(await p3.locator('td[data-col=status]').innerText(), '严重滞后');
			assert.notEqual((await p3.locator('td[data-col=reasons]').innerText()).trim(), '');
			await page.screenshot({ path: path.join(OUT, 'lagging.png'), fullPage: true });
		});

		await check('from the lagging list to the project page', async () => {
			await page.click('#lagging a.project-link:text("P3 邱隘科创平台")');
			await settled(page, 'project');
			assert.equal(new URL(page.url()).hash, '#/project/P3');
			assert.equal(await text(page, '[data-k=project-title]'), 'P3 邱隘科创平台');
			assert.equal(await text(page, 'dd[data-k=leader]'), '陈区长');
			assert.equal(await text(page, 'dd[data-k=unit]'), '区发改局');
			assert.equal(await text(page, '[data-k=status]'), '严重滞后');
			assert.match(await text(page, '#project-nodes'), /厂房结顶[\s\S]*2026-12-15/);
			assert.match(await text(page, '#project-updates'), /2026-W20[\s\S]*科创楼主体施工[\s\S]*需协调：需要协调用地指标/);
			const img = page.locator('#project-updates .photos img');
			assert.equal(await img.count(), 1);
			assert.equal(await img.evaluate((i) => i.complete && i.naturalWidth), 8);
			assert.match(await text(page, '#project-problems'), /用地指标[\s\S]*未解决/);
			assert.match(await text(page, '#project-tasks'), /协调科创平台用地指标[\s\S]*区发改局[\s\S]*陈区长/);
			await page.screenshot({ path: path.join(OUT, 'project.png'), fullPage: true });
		});

		await check('the battle map', async () => {
			await page.click('#nav a[data-view=map]');
			await settled(page, 'map');
			assert.equal(await text(page, '[data-k=map-projects]'), '4');
			assert.equal(await text(page, '[data-k=map-nodes]'), '4');
			assert.equal(await text(page, '[data-k=map-done]'), '2');
			assert.equal(await text(page, '[data-k=map-pending]'), '1');
			assert.equal(await text(page, '[data-k=map-overdue]'), '1');
			assert.match(await text(page, '.totals'), /逾期完成 1 个/);
			assert.equal(await page.locator('svg.battle-map .project-row').count(), 4);
			assert.equal(await page.locator('svg.battle-map circle.mark').count(), 4);
			assert.equal(await page.locator('svg.battle-map .node-overdue[data-node="2"]').count(), 1);
			assert.equal(await page.locator('svg.battle-map .node-done-late[data-node="4"]').count(), 1);
			const groups = await page.$$eval('svg.battle-map .group-title', (t) => t.map((x) => x.textContent));
			assert.deepEqual(groups, ['市级项目（1 个）', '区级项目（2 个）', '镇街道级项目（1 个）']);
			await page.screenshot({ path: path.join(OUT, 'battle-map.png'), fullPage: true });
		});

		await check('a project link opens its page after a reload', async () => {
			await page.goto(srv.base + '/#/project/P1');
			await page.reload();
			await settled(page, 'project');
			assert.equal(await text(page, '[data-k=project-title]'), 'P1 东吴智造产业园');
		});

		await check('the viewer sees aggregates, not project rows', async () => {
			await page.click('#logout');
			await page.waitForSelector('#login-form');
			assert.equal(await page.evaluate(() => sessionStorage.getItem('luoshi.token')), null);
			await page.goto(srv.base + '/#/summary');
			await login(page, viewer);
			await settled(page, 'summary');
			assert.match(await text(page, '#who-name'), /会议室大屏（查看）/);
			await setAsOf(page, D);
			await settled(page, 'summary');
			assert.equal(await text(page, '[data-k=projects] .value'), '4');
			assert.equal(await text(page, '[data-k=completed] .value'), '1,150 万元');
			await page.click('#nav a[data-view=lagging]');
			await settled(page, 'lagging');
			await page.waitForSelector('.denied[data-error=PERMISSION_DENIED]');
			/* Said in Chinese; the server's English words only on hover. */
			assert.equal(await text(page, '.denied[data-error=PERMISSION_DENIED]'), '无权查看。');
			assert.match(await page.getAttribute('.denied[data-error=PERMISSION_DENIED]', 'title'), /viewer sees aggregates only/);
			await page.screenshot({ path: path.join(OUT, 'viewer-lagging.png'), fullPage: true });
			await page.goto(srv.base + '/#/project/P3');
			await settled(page, 'project');
			assert.equal(await page.locator('[data-k=project-title]').count(), 0);
			assert.equal(await page.locator('.denied').count(), 1);
		});

		await check('readable on a phone', async () => {
			const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, locale: 'zh-CN' });
			const p = await phone.newPage();
			await p.goto(srv.base + '/');
			await login(p, admin);
			await settled(p, 'summary');
			await setAsOf(p, D);
			await settled(p, 'summary');
			assert.equal(await text(p, '[data-k=projects] .value'), '4');
			const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
			assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
			await p.screenshot({ path: path.join(OUT, 'summary-phone.png'), fullPage: true });
			await phone.close();
		});

		await check('no script errors', async () => {
			assert.deepEqual(errors, []);
		});
	} finally {
		await browser.close();
		const code = await stopServer(srv);
		await check('luoshid exits 0 on SIGTERM', async () => assert.equal(code, 0));
		if (failed === 0)
			fs.rmSync(dir, { recursive: true, force: true });
		else
			console.log('server directory kept: ' + dir);
	}
}

main().then(() => {
	console.log(`screenshots in ${OUT}`);
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed === 0 && passed > 0 ? 0 : 1);
}, (err) => {
	console.log(String(err && err.stack || err));
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
