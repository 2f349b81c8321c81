/* luoshid: the central server. Reads its configuration, opens the database,
 * serves the RPC socket on a libuv loop until SIGTERM or SIGINT. */
#include <errno.h>
#include <pthread.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "auth.h"
#include "config.h"
#include "demo.h"
#include "dispatch.h"
#include "http_gateway.h"
#include "log.h"
#include "push.h"
#include "rpc.h"
#include "rpc_server.h"
#include "server.h"
#include "store/backup.h"
#include "store/copy.h"
#include "webhook_deliver.h"

#define PURGE_INTERVAL_MS (3600u * 1000u)

static const char usage[] =
    "usage: luoshid [options]            serve\n"
    "       luoshid [options] init       create the database and the first admin\n"
    "\n"
    "options (each may also be given as \"key = value\" in the --config file):\n"
    "  --config FILE        read options from FILE; flags given here win\n"
    "  --db PATH|URL        the SQLite database (default luoshi.db), or a PostgreSQL\n"
    "                       database's URL (postgresql://...), which several\n"
    "                       luoshid may serve at once\n"
    "  --listen URL         serve RPC on URL; may repeat (default tcp://127.0.0.1:7070)\n"
    "  --publish URL        announce reminders on URL, or none (default tcp://127.0.0.1:7071)\n"
    "  --contexts N         requests handled at once (default 64)\n"
    "  --max-message BYTES  largest request accepted (default 4194304)\n"
    "  --log FILE           log to FILE (default standard error); SIGHUP reopens it\n"
    "  --log-level LEVEL    debug, info, warn or error (default info)\n"
    "  --time-zone TZ       the calendar of periods and reminders (default Asia/Shanghai)\n"
    "  --rate-limit N       requests a second per account, 0 for none (default 200)\n"
    "  --unit-name NAME     init: the root unit's name (default 区领导小组办公室)\n"
    "  --unit-code CODE     init: the root unit's code (default office)\n"
    "  --scheduler-interval-ms MS  how often the reminder scheduler runs (default 60000)\n"
    "  --update-due WHEN    weekly update reminder, \"fri 09:00\" (the default)\n"
    "  --update-overdue WHEN  missing-update reminder the week after (\"mon 09:00\")\n"
    "  --daily-at HH:MM     node, problem and reconciliation reminders (09:00)\n"
    "  --node-overdue-every-days N  repeat overdue reminders every N days (7)\n"
    "  --review-due-day DAY from this weekday (fri), a leader's week without the\n"
    "                       weekly review of a led project is reminded\n"
    "  --visit-due-day N    from this day of the month (20), a month without a\n"
    "                       site visit is reminded (days off move both)\n"
    "  --rectification-due-days N  rectification orders due within N days (3)\n"
    "  --push-coalesce N    announce N or more inboxes at once as one \"all/\" (8; 0: never)\n"
    "  --holidays FILE      holidays and working weekend days (deploy/holidays-2026.conf)\n"
    "  --demo               load the Yinzhou demo district before serving (once: a\n"
    "                       database that has it is left as it is), printing the\n"
    "                       demo accounts' tokens on standard output\n"
    "  --tls-cert FILE      the server's certificate (PEM) for tls+tcp:// listeners\n"
    "  --tls-key FILE       its private key (PEM)\n"
    "  --tls-ca FILE        the CA (PEM) that signs client certificates\n"
    "  --tls-verify-clients require a client certificate signed by --tls-ca\n"
    "  --http URL           serve the dashboard and the JSON API on URL (http://HOST:PORT)\n"
    "  --backup-dir DIR     where AdminService/Backup writes (default: backups/\n"
    "                       beside the database)\n"
    "  --webhook-backoff-ms MS  first webhook retry after MS, doubling (30000)\n"
    "  --webhook-max-attempts N  attempts before a delivery fails (8)\n"
    "  --webhook-timeout-ms MS  per webhook request (10000)\n"
    "  --webhook-concurrency N  webhook requests at once (8)\n"
    "  --webhook-ca-file FILE  CAs for https webhooks (/etc/ssl/certs/ca-certificates.crt)\n"
    "  --public-url URL     the dashboard's address, linked from webhook messages\n"
    "  --restore FILE       copy the backup FILE over --db and exit; refuses while a\n"
    "                       server uses the database, keeps the old one as\n"
    "                       DB.before-restore\n"
    "  --copy-from FILE     copy every row of the SQLite database FILE into --db, a\n"
    "                       new PostgreSQL database, and exit\n"
    "  --help, --version\n";

/* ---- configuration ---------------------------------------------------------- */

/* --demo, or "demo = true": read once, when serving starts. Kept here and not
 * in srv_config, which the rest of the server shares and never needs it. */
static bool opt_demo;
/* --restore FILE: a flag only, never a config key, or every start would
 * restore again. */
static const char *opt_restore;
/* --copy-from FILE: likewise. */
static const char *opt_copy_from;

static void config_defaults(srv_config *c)
{
	memset(c, 0, sizeof *c);
	c->contexts = 64;
	c->max_message = LS_MAX_MESSAGE_DEFAULT;
	c->log_level = LS_LOG_INFO;
	opt_demo = false;
	srv_sched_config_defaults(&c->sched);
	c->rate_limit = 200;
}

static void config_free(srv_config *c)
{
	free(c->config_path);
	free(c->db);
	for (int i = 0; i < c->n_listen; i++)
		free(c->listen[i]);
	free(c->publish);
	free(c->log);
	free(c->time_zone);
	free(c->unit_name);
	free(c->unit_code);
	srv_sched_config_free(&c->sched);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
	free(c->backup_dir);
	free(c->http);
	memset(c, 0, sizeof *c);
}

static int set_string(char **slot, const char *value, ls_status *st)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return ls_status_set(st, LS_RESOURCE_EXHAUSTED, "out of memory");
	free(*slot);
	*slot = copy;
	return LS_OK;
}

static int parse_number(const char *key, const char *value, long long lo, long long hi,
                        long long *out, ls_status *st)
{
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < lo || v > hi)
		return ls_status_field(st, LS_INVALID_ARGUMENT, key,
		                       "%s must be a whole number from %lld to %lld, not \"%s\"", key,
		                       lo, hi, value);
	*out = v;
	return LS_OK;
}

/* Applies one option, from a flag or a config line. */
static int config_set(void *arg, const char *key, const char *value, ls_status *st)
{
	srv_config *c = arg;
	long long v;
	if (strcmp(key, "db") == 0)
		return set_string(&c->db, value, st);
	if (strcmp(key, "listen") == 0) {
		if (c->n_listen == SRV_MAX_LISTEN)
			return ls_status_field(st, LS_INVALID_ARGUMENT, key, "at most %d listen URLs",
			                       SRV_MAX_LISTEN);
		if (set_string(&c->listen[c->n_listen], value, st) != LS_OK)
			return st->code;
		c->n_listen++;
		return LS_OK;
	}
	if (strcmp(key, "publish") == 0)
		return set_string(&c->publish, value, st);
	if (strcmp(key, "contexts") == 0) {
		if (parse_number(key, value, 1, 4096, &v, st) != LS_OK)
			return st->code;
		c->contexts = (int)v;
		return LS_OK;
	}
	if (strcmp(key, "max-message") == 0) {
		if (parse_number(key, value, 1024, 1LL << 30, &v, st) != LS_OK)
			return st->code;
		c->max_message = (size_t)v;
		return LS_OK;
	}
	if (strcmp(key, "log") == 0)
		return set_string(&c->log, value, st);
	if (strcmp(key, "log-level") == 0) {
		int level = ls_log_level_from_name(value);
		if (level < 0)
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "log-level is debug, info, warn or error, not \"%s\"",
			                       value);
		c->log_level = level;
		return LS_OK;
	}
	if (strcmp(key, "time-zone") == 0)
		return set_string(&c->time_zone, value, st);
	if (strcmp(key, "rate-limit") == 0) {
		if (parse_number(key, value, 0, 1000000, &v, st) != LS_OK)
			return st->code;
		c->rate_limit = (int)v;
		return LS_OK;
	}
	if (strcmp(key, "unit-name") == 0)
		return set_string(&c->unit_name, value, st);
	if (strcmp(key, "unit-code") == 0)
		return set_string(&c->unit_code, value, st);
	if (strcmp(key, "demo") == 0) {
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "1") == 0)
			opt_demo = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		         strcmp(value, "0") == 0)
			opt_demo = false;
		else
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "demo is true or false, not \"%s\"", value);
		return LS_OK;
	}
	if (strcmp(key, "tls-cert") == 0)
		return set_string(&c->tls_cert, value, st);
	if (strcmp(key, "tls-key") == 0)
		return set_string(&c->tls_key, value, st);
	if (strcmp(key, "tls-ca") == 0)
		return set_string(&c->tls_ca, value, st);
	if (strcmp(key, "tls-verify-clients") == 0) {
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "1") == 0)
			c->tls_verify_clients = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		         strcmp(value, "0") == 0)
			c->tls_verify_clients = false;
		else
			return ls_status_field(st, LS_INVALID_ARGUMENT, key,
			                       "tls-verify-clients is true or false, not \"%s\"",
			                       value);
		return LS_OK;
	}
	if (strcmp(key, "backup-dir") == 0)
		return set_string(&c->backup_dir, value, st);
	if (strcmp(key, "http") == 0)
		return set_string(&c->http, value, st);
	if ((v = srv_webhook_config_set(key, value, st)) != LS_NOT_FOUND)
		return (int)v;
	int sched = srv_sched_config_set(&c->sched, key, value, st);
	if (sched != LS_NOT_FOUND)
		return sched;
	return ls_status_field(st, LS_INVALID_ARGUMENT, key, "unknown option \"%s\"", key);
}

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"db", required_argument, NULL, 0},
    {"listen", required_argument, NULL, 0},
    {"publish", required_argument, NULL, 0},
    {"contexts", required_argument, NULL, 0},
    {"max-message", required_argument, NULL, 0},
    {"log", required_argument, NULL, 0},
    {"log-level", required_argument, NULL, 0},
    {"time-zone", required_argument, NULL, 0},
    {"rate-limit", required_argument, NULL, 0},
    {"unit-name", required_argument, NULL, 0},
    {"unit-code", required_argument, NULL, 0},
    {"scheduler-interval-ms", required_argument, NULL, 0},
    {"update-due", required_argument, NULL, 0},
    {"update-overdue", required_argument, NULL, 0},
    {"daily-at", required_argument, NULL, 0},
    {"node-overdue-every-days", required_argument, NULL, 0},
    {"review-due-day", required_argument, NULL, 0},
    {"visit-due-day", required_argument, NULL, 0},
    {"rectification-due-days", required_argument, NULL, 0},
    {"push-coalesce", required_argument, NULL, 0},
    {"holidays", required_argument, NULL, 0},
    {"demo", no_argument, NULL, 0},
    {"tls-cert", required_argument, NULL, 0},
    {"tls-key", required_argument, NULL, 0},
    {"tls-ca", required_argument, NULL, 0},
    {"tls-verify-clients", no_argument, NULL, 0},
    {"backup-dir", required_argument, NULL, 0},
    {"webhook-backoff-ms", required_argument, NULL, 0},
    {"webhook-max-attempts", required_argument, NULL, 0},
    {"webhook-timeout-ms", required_argument, NULL, 0},
    {"webhook-concurrency", required_argument, NULL, 0},
    {"webhook-ca-file", required_argument, NULL, 0},
    {"public-url", required_argument, NULL, 0},
    {"http", required_argument, NULL, 0},
    {"restore", required_argument, NULL, 0},
    {"copy-from", required_argument, NULL, 0},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Reads the config file (when one is named), then the flags over it, then
 * the defaults under both. Sets *init for the init command. */
static int config_load(srv_config *c, const char *config_path, int argc, char **argv,
                       bool *init, ls_status *st)
{
	config_defaults(c);
	if (config_path != NULL) {
		if (set_string(&c->config_path, config_path, st) != LS_OK ||
		    ls_config_parse(config_path, config_set, c, st) != LS_OK)
			return st->code;
	}
	bool flag_listen = false;
	optind = 0; /* 0, not 1: glibc then forgets the last scan's permutation */
	int opt, idx;
	while ((opt = getopt_long(argc, argv, "c:hV", long_options, &idx)) != -1) {
		if (opt != 0)
			continue;
		const char *key = long_options[idx].name;
		if (strcmp(key, "listen") == 0 && !flag_listen) {
			/* Listen flags replace the file's list instead of adding to it. */
			for (int i = 0; i < c->n_listen; i++) {
				free(c->listen[i]);
				c->listen[i] = NULL;
			}
			c->n_listen = 0;
			flag_listen = true;
		}
		if (strcmp(key, "restore") == 0) {
			opt_restore = optarg;
			continue;
		}
		if (strcmp(key, "copy-from") == 0) {
			opt_copy_from = optarg;
			continue;
		}
		/* A flag without a value (--demo) says yes. */
		if (config_set(c, key, optarg ? optarg : "true", st) != LS_OK)
			return st->code;
	}
	*init = false;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "init") == 0 && !*init)
			*init = true;
		else
			return ls_status_set(st, LS_INVALID_ARGUMENT, "unexpected argument \"%s\"",
			                     argv[i]);
	}
	if (c->db == NULL && set_string(&c->db, "luoshi.db", st) != LS_OK)
		return st->code;
	if (c->n_listen == 0 && config_set(c, "listen", "tcp://127.0.0.1:7070", st) != LS_OK)
		return st->code;
	if (c->publish == NULL && set_string(&c->publish, "tcp://127.0.0.1:7071", st) != LS_OK)
		return st->code;
	if (c->time_zone == NULL && set_string(&c->time_zone, "Asia/Shanghai", st) != LS_OK)
		return st->code;
	return LS_OK;
}

static int apply_time_zone(const char *tz, ls_status *st)
{
	char path[PATH_MAX];
	struct stat sb;
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	if (strstr(tz, "..") != NULL || stat(path, &sb) != 0)
		return ls_status_field(st, LS_INVALID_ARGUMENT, "time-zone",
		                       "unknown time zone \"%s\" (is tzdata installed?)", tz);
	setenv("TZ", tz, 1);
	tzset();
	return LS_OK;
}

/* ---- init -------------------------------------------------------------------- */

static int run_init(srv_config *cfg)
{
	ls_status st;
	ls_status_clear(&st);
	srv_store *store;
	if (srv_store_open(&store, cfg->db, true, &st) != LS_OK) {
		fprintf(stderr, "luoshid: %s\n", st.message);
		return 1;
	}
	int rc = 1;
	if (srv_store_account_count(store) != 0) {
		fprintf(stderr, "luoshid: %s is already initialized; init refuses to run twice\n",
		        cfg->db);
		goto out;
	}
	char now[32], token[SRV_TOKEN_SIZE];
	uint8_t hash[SRV_HASH_SIZE];
	int64_t unit, account;
	srv_now_iso(now);
	srv_token_new(token, hash);
	const char *name = cfg->unit_name ? cfg->unit_name : "区领导小组办公室";
	const char *code = cfg->unit_code ? cfg->unit_code : "office";
	if (srv_store_begin(store, &st) != LS_OK ||
	    srv_store_unit_create_root(store, code, name, "district", now, &unit, &st) != LS_OK ||
	    srv_store_account_insert(store, "admin", SRV_ROLE_ADMIN, unit, 0, hash, 0, now,
	                             &account, &st) != LS_OK ||
	    srv_store_audit(store, now, 0, "init", "account", account, 0, NULL, NULL, &st) != LS_OK ||
	    srv_store_commit(store, &st) != LS_OK) {
		srv_store_rollback(store);
		fprintf(stderr, "luoshid: init: %s\n", st.message);
		goto out;
	}
	printf("initialized %s: root unit %s (%s), admin account %lld\n", cfg->db, name, code,
	       (long long)account);
	printf("admin token: %s\n", token);
	printf("(shown once; the server keeps only its hash)\n");
	rc = 0;
out:
	sodium_memzero(token, sizeof token);
	srv_store_close(store);
	return rc;
}

/* ---- restore ----------------------------------------------------------------- */

/* Copies a backup over the database, for an operator at the console: the
 * store does the work and the checks; this says what happened. */
static int run_restore(srv_config *cfg, const char *file)
{
	ls_status st;
	srv_restore_info info;
	ls_status_clear(&st);
	if (srv_store_restore(cfg->db, file, &info, &st) != LS_OK) {
		fprintf(stderr, "luoshid: restore: %s\n", st.message);
		return 1;
	}
	printf("restored %s from %s (%lld bytes, schema %d, %lld accounts)\n", cfg->db, file,
	       (long long)info.size, info.version, (long long)info.accounts);
	if (info.kept[0] != '\0')
		printf("the previous database is kept as %s\n", info.kept);
	return 0;
}

/* ---- copy-from ----------------------------------------------------------------- */

/* Moves a district from its SQLite file to a new PostgreSQL database. */
static int run_copy_from(srv_config *cfg, const char *file)
{
	ls_status st;
	ls_status_clear(&st);
	srv_store *store;
	srv_copy_info info;
	if (!srv_store_is_url(cfg->db)) {
		fprintf(stderr, "luoshid: --copy-from: --db must be a PostgreSQL database's URL\n");
		return 2;
	}
	if (srv_store_open(&store, cfg->db, true, &st) != LS_OK) {
		fprintf(stderr, "luoshid: %s\n", st.message);
		return 1;
	}
	int rc = srv_store_copy_from_sqlite(store, file, &info, &st);
	srv_store_close(store);
	if (rc != LS_OK) {
		fprintf(stderr, "luoshid: --copy-from: %s\n", st.message);
		return 1;
	}
	printf("copied %lld rows of %d tables from %s\n", (long long)info.rows, info.tables, file);
	return 0;
}

/* ---- serving ----------------------------------------------------------------- */

typedef struct srv_daemon {
	srv_server srv;
	uv_loop_t loop;
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t purge;
	srv_http *http;
	int argc;
	char **argv;
} srv_daemon;

static srv_daemon *the_daemon(srv_server *srv)
{
	return (srv_daemon *)((char *)srv - offsetof(srv_daemon, srv));
}

/* The last resort of a stop: every answer is sent and the database closed,
 * so if nng still has not let go after this long, leave without it. */
#define STOP_WATCHDOG_S 10

static void *stop_watchdog(void *arg)
{
	(void)arg;
	sleep(STOP_WATCHDOG_S);
	ls_error("the network layer did not close in %d s; exiting without it",
	         STOP_WATCHDOG_S);
	_exit(0);
}

static void on_drained(srv_server *srv)
{
	srv_daemon *d = the_daemon(srv);
	pthread_t watchdog;
	srv_scheduler_stop(srv);
	srv_webhook_stop(srv);
	/* The database closes first: what was acknowledged is on disk whatever
	 * happens while the sockets close. */
	srv_store_close(srv->store);
	srv->store = NULL;
	if (pthread_create(&watchdog, NULL, stop_watchdog, NULL) == 0)
		pthread_detach(watchdog);
	srv_http_close(d->http); /* feeds the rpc queue: closed before it */
	d->http = NULL;
	srv_rpc_close(srv->rpc);
	srv->rpc = NULL;
	srv_push_close(srv->push);
	srv->push = NULL;
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
	uv_close((uv_handle_t *)&d->purge, NULL);
}

static void on_stop(uv_signal_t *h, int signum)
{
	srv_daemon *d = h->data;
	if (d->srv.stopping)
		return;
	ls_info("signal %d: finishing the requests in flight, then stopping",
	        signum);
	d->srv.stopping = true;
	srv_rpc_drain(d->srv.rpc, on_drained);
}

static void on_hup(uv_signal_t *h, int signum)
{
	(void)signum;
	srv_daemon *d = h->data;
	srv_config fresh;
	ls_status st;
	bool init;
	ls_status_clear(&st);
	if (ls_log_reopen() != 0)
		ls_error("SIGHUP: cannot reopen the log: %s", strerror(errno));
	if (config_load(&fresh, d->srv.cfg.config_path, d->argc, d->argv, &init, &st) != LS_OK) {
		ls_error("SIGHUP: configuration not reloaded: %s", st.message);
		config_free(&fresh);
		return;
	}
	/* The log can change while serving; sockets and the database need a
	 * restart. */
	if ((fresh.log == NULL) != (d->srv.cfg.log == NULL) ||
	    (fresh.log && strcmp(fresh.log, d->srv.cfg.log) != 0)) {
		if (ls_log_open(fresh.log) == 0) {
			char *tmp = d->srv.cfg.log;
			d->srv.cfg.log = fresh.log;
			fresh.log = tmp;
		} else {
			ls_error("SIGHUP: cannot open log %s: %s", fresh.log, strerror(errno));
		}
	}
	d->srv.cfg.log_level = fresh.log_level;
	ls_log_set_level(fresh.log_level);
	d->srv.cfg.rate_limit = fresh.rate_limit;
	/* The reminder rules and holidays take effect at the next tick. */
	srv_sched_config sched = d->srv.cfg.sched;
	d->srv.cfg.sched = fresh.sched;
	fresh.sched = sched;
	ls_info("SIGHUP: log reopened, configuration reloaded");
	config_free(&fresh);
}

static void on_purge(uv_timer_t *t)
{
	srv_daemon *d = t->data;
	ls_status st;
	if (srv_store_begin(d->srv.store, &st) != LS_OK)
		return;
	int n = srv_dispatch_purge_keys(&d->srv);
	if (srv_store_commit(d->srv.store, &st) == LS_OK && n > 0)
		ls_info("purged %d expired idempotency keys", n);
}

static int serve(srv_daemon *d)
{
	srv_server *srv = &d->srv;
	ls_status st;
	int rc = 1;
	ls_status_clear(&st);

	ProtobufCService *impls[] = {srv_health_service(), srv_reflection_service(),
	                             srv_import_service(),
	                             srv_project_service(),
	                             srv_schedule_service(),
	                             srv_progress_service(),
	                             srv_query_service(),
	                             srv_export_service(),
	                             srv_reminder_service(),
	                             srv_problem_service(),
	                             srv_supervision_service(),
	                             srv_registry_service(),
	                             srv_account_service(),
	                             srv_webhook_service(),
	                             srv_admin_service()};
	if (srv_store_open(&srv->store, srv->cfg.db, false, &st) != LS_OK) {
		ls_error("%s%s", st.message,
		         st.code == LS_NOT_FOUND ? " (create it with: luoshid --db PATH init)" : "");
		goto fail_store;
	}
	if (srv_store_account_count(srv->store) <= 0) {
		ls_error("%s has no accounts yet; run: luoshid --db %s init", srv->cfg.db,
		         srv->cfg.db);
		goto fail_dispatch;
	}
	if (srv_dispatch_init(impls, sizeof impls / sizeof impls[0]) != LS_OK) {
		ls_error("out of memory");
		goto fail_dispatch;
	}
	/* Before the sockets open, so that no client sees half a demo; a demo
	 * that cannot load stops the server. */
	if (opt_demo && srv_demo_load(srv, stdout, &st) != LS_OK) {
		ls_error("%s; the server does not start", st.message);
		goto fail_loop;
	}
	if (uv_loop_init(&d->loop) != 0) {
		ls_error("libuv: cannot create the loop");
		goto fail_loop;
	}
	srv->loop = &d->loop;
	if (srv_rpc_open(srv, &srv->rpc, &st) != LS_OK) {
		ls_error("%s", st.message);
		goto fail_rpc;
	}
	if (srv_push_open(&srv->cfg, &srv->push, &st) != LS_OK) {
		ls_error("%s", st.message);
		goto fail_push;
	}
	if (srv->cfg.http && srv_http_open(srv, srv->cfg.http, &d->http, &st) != LS_OK) {
		ls_error("%s", st.message);
		goto fail_http;
	}
	uv_signal_init(srv->loop, &d->sigterm);
	uv_signal_init(srv->loop, &d->sigint);
	uv_signal_init(srv->loop, &d->sighup);
	uv_timer_init(srv->loop, &d->purge);
	d->sigterm.data = d->sigint.data = d->sighup.data = d->purge.data = d;
	uv_signal_start(&d->sigterm, on_stop, SIGTERM);
	uv_signal_start(&d->sigint, on_stop, SIGINT);
	uv_signal_start(&d->sighup, on_hup, SIGHUP);
	uv_timer_start(&d->purge, on_purge, 0, PURGE_INTERVAL_MS);
	if (srv_scheduler_start(srv, &st) != LS_OK)
		ls_warn("%s: no reminders will be scheduled", st.message);
	if (srv_webhook_start(srv, &st) != LS_OK)
		ls_warn("%s: no reminders will be posted to webhooks", st.message);

	ls_info("luoshid %s serving %s (schema %d, %d contexts, max message %zu bytes)",
	        LUOSHI_VERSION, srv->cfg.db, srv_store_version(srv->store), srv->cfg.contexts,
	        srv->cfg.max_message);
	uv_run(srv->loop, UV_RUN_DEFAULT);
	ls_info("stopped");
	rc = 0;
	goto done;

fail_http:
	srv_push_close(srv->push);
fail_push:
	srv_rpc_close(srv->rpc);
	uv_run(srv->loop, UV_RUN_DEFAULT); /* lets the closed handles finish */
fail_rpc:
done:
	if (uv_loop_close(&d->loop) != 0)
		ls_warn("libuv: handles left open at exit");
fail_loop:
	srv_dispatch_fini();
fail_dispatch:
	srv_store_close(srv->store);
fail_store:
	return rc;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	int opt, idx;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "c:hV", long_options, &idx)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("luoshid %s\n", LUOSHI_VERSION);
			return 0;
		case '?':
			fputs(usage, stderr);
			return 2;
		}
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "luoshid: libsodium cannot start\n");
		return 1;
	}

	static srv_daemon d;
	ls_status st;
	bool init;
	ls_status_clear(&st);
	d.argc = argc;
	d.argv = argv;
	if (config_load(&d.srv.cfg, config_path, argc, argv, &init, &st) != LS_OK) {
		fprintf(stderr, "luoshid: %s\n", st.message);
		config_free(&d.srv.cfg);
		return 2;
	}
	if (apply_time_zone(d.srv.cfg.time_zone, &st) != LS_OK) {
		fprintf(stderr, "luoshid: %s\n", st.message);
		config_free(&d.srv.cfg);
		return 2;
	}
	ls_log_set_level(d.srv.cfg.log_level);
	int rc;
	if (init) {
		rc = run_init(&d.srv.cfg);
	} else if (opt_restore != NULL) {
		rc = run_restore(&d.srv.cfg, opt_restore);
	} else if (opt_copy_from != NULL) {
		rc = run_copy_from(&d.srv.cfg, opt_copy_from);
	} else if (d.srv.cfg.log != NULL && ls_log_open(d.srv.cfg.log) != 0) {
		fprintf(stderr, "luoshid: cannot open log %s: %s\n", d.srv.cfg.log, strerror(errno));
		rc = 1;
	} else {
		rc = serve(&d);
	}
	ls_log_close();
	config_free(&d.srv.cfg);
	return rc;
}
