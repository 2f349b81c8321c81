/* mixed_bench: a Friday afternoon of reads and writes together.
 *
 * Builds the demo district scaled up as ingest_bench does, starts luoshid on
 * it (durable, no rate limit), and runs --clients threads (default 64), each
 * with its own luoshi_client and the token of a town account of its own,
 * for --seconds (default 60) in a closed loop: --writes percent of the calls
 * (default 20) are SubmitUpdate for a (project, week) of its town no call
 * has used, with a fresh idempotency key; the others are reads, in equal
 * shares: ScheduleService/GetAssignments, ProjectService/GetProject of a
 * project of its town, and QueryService/Summary in the town's scope.
 * Prints throughput, p50 and p99 per kind and overall, every failed call,
 * and luoshid's resident memory (VmRSS) at the start, every --rss-every
 * seconds and at the end. With --runs R the load runs R times on the same
 * server and medians are printed; memory is followed across all of them.
 *
 *   mixed_bench [--luoshid PATH] [--clients N] [--seconds S] [--warmup S]
 *               [--runs R] [--writes PCT] [--towns N] [--projects N]
 *               [--history W] [--rss-every S] [--server-arg ARG]...
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "luoshi/v1/progress.pb-c.h"
#include "luoshi/v1/project.pb-c.h"
#include "luoshi/v1/query.pb-c.h"
#include "luoshi/v1/schedule.pb-c.h"
#include "luoshi_client.h"

#ifndef LUOSHID_PATH
#define LUOSHID_PATH "luoshid"
#endif

#define M_SUBMIT "/luoshi.v1.ProgressService/SubmitUpdate"
#define M_ASSIGN "/luoshi.v1.ScheduleService/GetAssignments"
#define M_PROJECT "/luoshi.v1.ProjectService/GetProject"
#define M_SUMMARY "/luoshi.v1.QueryService/Summary"
#define MAX_SERVER_ARGS 16
#define MAX_SAMPLES 4096
#define PROGRESS_TEXT "设备进场安装，配套管网同步推进，完成年度计划的七成"

enum kind { K_ASSIGN, K_PROJECT, K_SUMMARY, K_SUBMIT, N_KINDS };

typedef struct options {
	const char *luoshid;
	int clients;
	double seconds, warmup, rss_every;
	int runs, writes;
	int towns, projects, history;
	const char *server_args[MAX_SERVER_ARGS + 1];
	int n_server_args;
	const char *pg; /* a PostgreSQL server's URL, or NULL */
	int pg_servers;
} options;

static const char usage[] =
    "usage: mixed_bench [options]\n"
    "  --luoshid PATH     the server to start (default " LUOSHID_PATH ")\n"
    "  --clients N        client threads, each a town account of its own (default 64)\n"
    "  --seconds S        measured time per run (default 60)\n"
    "  --warmup S         unmeasured time before each run (default 2)\n"
    "  --runs R           runs on the same server; medians are reported (default 1)\n"
    "  --writes PCT       percent of calls that are SubmitUpdate (default 20)\n"
    "  --rss-every S      sample luoshid's VmRSS this often (default 10)\n"
    "  --towns N          towns of the district (default 200)\n"
    "  --projects N       projects, spread evenly over the towns (default 20000)\n"
    "  --history W        weeks of updates every project has already (default 2)\n"
    "  --server-arg ARG   one more argument for luoshid (may repeat)\n"
    "  --pg URL           luoshid on PostgreSQL instead: the district copied to a database\n"
    "                     made on the server URL (postgresql://...?host=...)\n"
    "  --pg-servers N     with --pg, N luoshid on that database, 1 or 2 (default 1); each\n"
    "                     client dials all of them\n"
    "  --help\n";

static int parse_options(int argc, char **argv, options *o)
{
	static const struct option longs[] = {
	    {"luoshid", required_argument, NULL, 'l'},
	    {"clients", required_argument, NULL, 'c'},
	    {"seconds", required_argument, NULL, 's'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"runs", required_argument, NULL, 'r'},
	    {"writes", required_argument, NULL, 'x'},
	    {"rss-every", required_argument, NULL, 'm'},
	    {"towns", required_argument, NULL, 't'},
	    {"projects", required_argument, NULL, 'p'},
	    {"history", required_argument, NULL, 'y'},
	    {"server-arg", required_argument, NULL, 'a'},
	    {"pg", required_argument, NULL, 'g'},
	    {"pg-servers", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	*o = (options){.luoshid = LUOSHID_PATH,
	               .clients = 64,
	               .seconds = 60,
	               .warmup = 2,
	               .rss_every = 10,
	               .runs = 1,
	               .writes = 20,
	               .towns = 200,
	               .projects = 20000,
	               .history = 2,
	               .pg_servers = 1};
	int opt;
	bool ok = true;
	while (ok && (opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (opt) {
		case 'l':
			o->luoshid = optarg;
			break;
		case 'c':
			ok = bu_parse_int(optarg, 1, 1024, &o->clients);
			break;
		case 's':
			ok = bu_parse_double(optarg, 1, 36000, &o->seconds);
			break;
		case 'w':
			ok = bu_parse_double(optarg, 0, 600, &o->warmup);
			break;
		case 'r':
			ok = bu_parse_int(optarg, 1, BU_MAX_RUNS, &o->runs);
			break;
		case 'x':
			ok = bu_parse_int(optarg, 0, 100, &o->writes);
			break;
		case 'm':
			ok = bu_parse_double(optarg, 0.5, 3600, &o->rss_every);
			break;
		case 't':
			ok = bu_parse_int(optarg, 1, 5000, &o->towns);
			break;
		case 'p':
			ok = bu_parse_int(optarg, 1, 1000000, &o->projects);
			break;
		case 'y':
			ok = bu_parse_int(optarg, 0, 200, &o->history);
			break;
		case 'a':
			ok = o->n_server_args < MAX_SERVER_ARGS;
			if (ok)
				o->server_args[o->n_server_args++] = optarg;
			break;
		case 'g':
			o->pg = optarg;
			break;
		case 'n':
			ok = bu_parse_int(optarg, 1, 2, &o->pg_servers);
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return 2;
		}
		if (!ok) {
			fprintf(stderr, "mixed_bench: bad value \"%s\"\n%s", optarg, usage);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mixed_bench: unexpected argument \"%s\"\n%s", argv[optind], usage);
		return 2;
	}
	if (o->projects < o->towns) {
		fprintf(stderr, "mixed_bench: --projects must be at least --towns\n");
		return 2;
	}
	return 0;
}

typedef struct rss_sample {
	double t_s; /* since the first run's start */
	long kb;
	const char *what;
} rss_sample;

typedef struct bench {
	const options *o;
	bu_district d;
	bu_fresh *fresh;
	const char *url;
	pid_t server;
	const char *kind_name[N_KINDS];
	uint64_t t0_ns; /* the first run's start */
	double run_offset_s;
	rss_sample rss[MAX_SAMPLES];
	int n_rss;
} bench;

static void sample_rss(bench *b, const char *what)
{
	if (b->n_rss == MAX_SAMPLES)
		return;
	rss_sample *s = &b->rss[b->n_rss++];
	s->t_s = (double)(bu_now_ns() - b->t0_ns) / 1e9;
	s->kb = bu_vmrss_kb(b->server);
	s->what = what;
}

static void tick(void *ctx, double elapsed_s)
{
	(void)elapsed_s;
	sample_rss(ctx, "during");
}

/* ---- one client ------------------------------------------------------------- */

typedef struct client {
	luoshi_client *c;
	int town;
	uint64_t rng;
	uint64_t calls;
} client;

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: cheap, and each thread has its own state. */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ull;
}

static void *client_open(void *ctx, int thread, char *err, size_t n)
{
	bench *b = ctx;
	client *s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	s->town = thread % b->d.n_towns;
	s->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(thread + 1);
	ls_status st;
	luoshi_client_opts o = {
	    .url = b->url, .token = b->d.town_token[s->town], .timeout_ms = BU_CALL_TIMEOUT_MS};
	if (luoshi_client_open(&s->c, &o, &st) != LS_OK) {
		snprintf(err, n, "luoshi_client_open: %s", st.message);
		free(s);
		return NULL;
	}
	return s;
}

static void client_close(void *ctx, void *state)
{
	(void)ctx;
	client *s = state;
	luoshi_client_close(s->c);
	free(s);
}

/* Checks an answer; fills err and returns false when it is not one. */
static bool check(bench *b, client *s, int kind, const ProtobufCMessage *resp, const char *arg,
                  char *err, size_t n)
{
	switch (kind) {
	case K_ASSIGN: {
		const Luoshi__V1__GetAssignmentsResponse *r = (const void *)resp;
		if (r->n_projects == 0) {
			snprintf(err, n, "GetAssignments for town %s listed no project",
			         b->d.town_code[s->town]);
			return false;
		}
		return true;
	}
	case K_PROJECT: {
		const Luoshi__V1__GetProjectResponse *r = (const void *)resp;
		if (r->project == NULL || r->project->code == NULL ||
		    strcmp(r->project->code, arg) != 0) {
			snprintf(err, n, "GetProject %s answered another project", arg);
			return false;
		}
		return true;
	}
	case K_SUMMARY: {
		const Luoshi__V1__SummaryResponse *r = (const void *)resp;
		if (r->figures == NULL) {
			snprintf(err, n, "Summary answered no figures");
			return false;
		}
		return true;
	}
	default: {
		const Luoshi__V1__SubmitUpdateResponse *r = (const void *)resp;
		if (r->update == NULL || r->update->revision != 1) {
			snprintf(err, n, "SubmitUpdate %s wrote no new row", arg);
			return false;
		}
		return true;
	}
	}
}

static bool client_call(void *ctx, void *state, int *kind, char *err, size_t n)
{
	bench *b = ctx;
	client *s = state;
	uint64_t r = next_rand(&s->rng);
	int k = (int)(r % 100) < b->o->writes ? K_SUBMIT : (int)((r >> 32) % 3);
	*kind = k;
	char project[16], week[16], key[LUOSHI_KEY_SIZE];
	Luoshi__V1__GetAssignmentsRequest ga = LUOSHI__V1__GET_ASSIGNMENTS_REQUEST__INIT;
	Luoshi__V1__GetProjectRequest gp = LUOSHI__V1__GET_PROJECT_REQUEST__INIT;
	Luoshi__V1__SummaryRequest sr = LUOSHI__V1__SUMMARY_REQUEST__INIT;
	Luoshi__V1__SubmitUpdateRequest su = LUOSHI__V1__SUBMIT_UPDATE_REQUEST__INIT;
	const char *method;
	const ProtobufCMessage *req;
	const char *use_key = NULL;
	switch (k) {
	case K_ASSIGN:
		method = M_ASSIGN;
		req = &ga.base;
		project[0] = '\0';
		break;
	case K_PROJECT:
		bu_project_code(&b->d, s->town,
		                (int)((r >> 16) % (uint64_t)bu_projects_per_town(&b->d)), project);
		gp.project = project;
		method = M_PROJECT;
		req = &gp.base;
		break;
	case K_SUMMARY:
		project[0] = '\0';
		method = M_SUMMARY;
		req = &sr.base;
		break;
	default:
		bu_fresh_next(b->fresh, s->town, project, week);
		su.project = project;
		su.week = week;
		su.has_invested = true;
		su.invested = 100 + (int64_t)(s->calls % 500);
		su.has_percent = true;
		su.percent = (uint32_t)(s->calls % 101);
		su.progress = (char *)PROGRESS_TEXT;
		luoshi_new_key(key);
		use_key = key;
		method = M_SUBMIT;
		req = &su.base;
		break;
	}
	s->calls++;
	ProtobufCMessage *resp;
	ls_status st;
	int rc = luoshi_client_call(s->c, method, req, use_key, &resp, &st);
	if (rc != LS_OK) {
		snprintf(err, n, "%s: %s: %s", b->kind_name[k], ls_code_name(rc), st.message);
		return false;
	}
	bool ok = check(b, s, k, resp, project, err, n);
	protobuf_c_message_free_unpacked(resp, NULL);
	return ok;
}

/* ---- main ------------------------------------------------------------------- */

static double median_of(const bu_load_result *res, int runs, int kind, int field)
{
	double v[BU_MAX_RUNS];
	for (int r = 0; r < runs; r++) {
		const bu_kind_result *k = kind < 0 ? &res[r].all : &res[r].kind[kind];
		v[r] = field == 0 ? k->rps : field == 1 ? k->p50_us : k->p99_us;
	}
	return bu_median(v, runs);
}

int main(int argc, char **argv)
{
	options o;
	int rc = parse_options(argc, argv, &o);
	if (rc != 0)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	static bench b;
	b.o = &o;
	bu_server srv, pgs[2];
	memset(pgs, 0, sizeof pgs);
	rc = 1;
	if (bu_server_create(&srv, "mixed_bench", o.luoshid) != 0)
		return 1;
	uint64_t t_build = bu_now_ns();
	if (bu_district_build(srv.db, o.towns, o.projects, o.history, &b.d) != 0)
		goto out_srv;
	double build_s = (double)(bu_now_ns() - t_build) / 1e9;
	const char *args[MAX_SERVER_ARGS + 3] = {"--rate-limit", "0"};
	for (int i = 0; i < o.n_server_args; i++)
		args[2 + i] = o.server_args[i];
	/* On PostgreSQL the figures are those of the first server (its CPU,
	 * its VmRSS). */
	char url[2 * sizeof srv.url + 2];
	bu_server *served = &srv;
	if (o.pg != NULL) {
		if (bu_server_to_pg(&srv, o.pg, pgs, o.pg_servers) != 0)
			goto out_district;
		for (int i = 0; i < o.pg_servers; i++)
			if (bu_server_start(&pgs[i], args) != 0)
				goto out_district;
		served = &pgs[0];
		snprintf(url, sizeof url, "%s%s%s", pgs[0].url, o.pg_servers > 1 ? "," : "",
		         o.pg_servers > 1 ? pgs[1].url : "");
	} else {
		if (bu_server_start(&srv, args) != 0)
			goto out_district;
		snprintf(url, sizeof url, "%s", srv.url);
	}
	b.url = url;
	b.server = served->pid;
	b.fresh = bu_fresh_alloc(&b.d, 1 + o.history);
	if (b.fresh == NULL)
		goto out_district;
	b.kind_name[K_ASSIGN] = "GetAssignments";
	b.kind_name[K_PROJECT] = "GetProject";
	b.kind_name[K_SUMMARY] = "Summary";
	b.kind_name[K_SUBMIT] = "SubmitUpdate";

	printf("mixed_bench: %d clients (town accounts) against luoshid %s at %s, durable "
	       "(%s), --rate-limit 0",
	       o.clients, o.luoshid, url,
	       o.pg ? "PostgreSQL, synchronous_commit as the server has it"
	            : "WAL, synchronous=FULL");
	for (int i = 0; i < o.n_server_args; i++)
		printf(" %s", o.server_args[i]);
	printf("\n");
	bu_print_machine(stdout, srv.dir);
	printf("database: %d towns, %d weekly projects (%d a town); plans, 3 nodes, a task and "
	       "%d weeks of updates per project; built in %.1f s\n",
	       o.towns, o.projects, bu_projects_per_town(&b.d), o.history, build_s);
	printf("calls: %d%% SubmitUpdate (a new row each, fresh idempotency key), the rest in "
	       "equal shares GetAssignments, GetProject (a project of the caller's town), %s\n",
	       o.writes, "QueryService/Summary (the town's scope)");
	printf("%d run%s of %.0f s measured after %.1f s warm-up; luoshid's VmRSS every %.0f s\n",
	       o.runs, o.runs == 1 ? "" : "s", o.seconds, o.warmup, o.rss_every);
#ifndef __OPTIMIZE__
	printf("warning: mixed_bench itself was built without optimization\n");
#endif

	static bu_load_result res[BU_MAX_RUNS];
	uint64_t total_errors = 0;
	b.t0_ns = bu_now_ns();
	sample_rss(&b, "start (idle, after start-up)");
	for (int r = 0; r < o.runs; r++) {
		bu_load l = {.threads = o.clients,
		             .warmup_s = o.warmup,
		             .seconds = o.seconds,
		             .n_kinds = N_KINDS,
		             .open = client_open,
		             .call = client_call,
		             .close = client_close,
		             .ctx = &b,
		             .server = served->pid,
		             .tick_s = o.rss_every,
		             .tick = tick};
		if (bu_load_run(&l, &res[r]) != 0)
			goto out_fresh;
		sample_rss(&b, r + 1 < o.runs ? "after a run" : "end (after the last run)");
		const bu_load_result *x = &res[r];
		printf("\nrun %d: %.1f s measured\n", r + 1, x->seconds);
		printf("  %-15s %9s %9s %9s %9s %7s\n", "kind", "calls", "req/s", "p50 µs",
		       "p99 µs", "errors");
		for (int k = 0; k <= N_KINDS; k++) {
			const bu_kind_result *kr = k < N_KINDS ? &x->kind[k] : &x->all;
			printf("  %-15s %9" PRIu64 " %9.0f %9.1f %9.1f %7" PRIu64 "\n",
			       k < N_KINDS ? b.kind_name[k] : "all", kr->calls, kr->rps, kr->p50_us,
			       kr->p99_us, kr->errors);
		}
		for (int e = 0; e < x->n_shown; e++)
			printf("  error: %s\n", x->shown[e]);
		if (x->srv_cpu.known) {
			printf("  luoshid CPU µs/call:");
			for (int g = 0; g < x->srv_cpu.n; g++)
				printf(" %s %.1f", x->srv_cpu.name[g],
				       x->all.calls ? x->srv_cpu.ns[g] / 1000.0 / x->all.calls : 0);
			printf("; %.0f%% of one core in all\n",
			       100.0 * bu_cpu_total(&x->srv_cpu) / 1e9 / x->seconds);
		}
		total_errors += x->all.errors;
	}

	printf("\nmedians over %d run%s\n", o.runs, o.runs == 1 ? "" : "s");
	printf("  %-15s %9s %9s %9s %7s\n", "kind", "req/s", "p50 µs", "p99 µs", "errors");
	for (int k = -1; k < N_KINDS; k++) {
		uint64_t errors = 0;
		for (int r = 0; r < o.runs; r++)
			errors += k < 0 ? res[r].all.errors : res[r].kind[k].errors;
		printf("  %-15s %9.0f %9.1f %9.1f %7" PRIu64 "\n", k < 0 ? "all" : b.kind_name[k],
		       median_of(res, o.runs, k, 0), median_of(res, o.runs, k, 1),
		       median_of(res, o.runs, k, 2), errors);
	}

	printf("\nluoshid VmRSS (KiB):\n");
	long first = b.rss[0].kb, peak = 0, second_half_lo = -1, second_half_hi = -1;
	double half = b.rss[b.n_rss - 1].t_s / 2;
	for (int i = 0; i < b.n_rss; i++) {
		printf("  %7.1f s %9ld  %s\n", b.rss[i].t_s, b.rss[i].kb, b.rss[i].what);
		peak = b.rss[i].kb > peak ? b.rss[i].kb : peak;
		if (b.rss[i].t_s >= half) {
			if (second_half_lo < 0 || b.rss[i].kb < second_half_lo)
				second_half_lo = b.rss[i].kb;
			if (b.rss[i].kb > second_half_hi)
				second_half_hi = b.rss[i].kb;
		}
	}
	long last = b.rss[b.n_rss - 1].kb;
	printf("  start %ld KiB, end %ld KiB, peak %ld KiB; over the second half of the time "
	       "%ld..%ld KiB\n",
	       first, last, peak, second_half_lo, second_half_hi);

	if (total_errors > 0)
		printf("\n%" PRIu64 " calls failed (see the runs above)\n", total_errors);
	else
		printf("\nall calls succeeded\n");
	printf("\nsummary (name | figure | value):\n");
	printf("figure: mixed_bench | all calls req/s, %d clients | %.0f\n", o.clients,
	       median_of(res, o.runs, -1, 0));
	printf("figure: mixed_bench | all calls p50/p99 µs | %.0f / %.0f\n",
	       median_of(res, o.runs, -1, 1), median_of(res, o.runs, -1, 2));
	for (int k = 0; k < N_KINDS; k++)
		printf("figure: mixed_bench | %s req/s, p50/p99 µs | %.0f, %.0f / %.0f\n",
		       b.kind_name[k], median_of(res, o.runs, k, 0), median_of(res, o.runs, k, 1),
		       median_of(res, o.runs, k, 2));
	printf("figure: mixed_bench | errors | %" PRIu64 "\n", total_errors);
	printf("figure: mixed_bench | luoshid VmRSS start / peak / end, MiB | %.1f / %.1f / %.1f\n",
	       first / 1024.0, peak / 1024.0, last / 1024.0);
	rc = total_errors ? 3 : 0;

out_fresh:
	bu_fresh_free(b.fresh);
out_district:
	bu_server_destroy(&pgs[1]);
	bu_server_destroy(&pgs[0]);
	bu_district_free(&b.d);
out_srv:
	bu_server_destroy(&srv);
	return rc;
}
