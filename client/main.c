/* luoshi: the command line of the 落实 key-project supervision system.
 *
 * main() sets up translations, reads the global options and hands the rest
 * of the command line to a command from the table below; each command
 * group lives in its own cmd_*.c file. */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "outbox.h"
#include "output.h"

#ifndef LUOSHI_VERSION
#define LUOSHI_VERSION "unknown"
#endif
#ifndef LUOSHI_LOCALEDIR
#define LUOSHI_LOCALEDIR "/usr/local/share/locale"
#endif

#define CLI_DEFAULT_SERVER "tcp://127.0.0.1:7070"
/* The longest --timeout accepted: a day. */
#define CLI_MAX_TIMEOUT_MS 86400000LL

static const cli_command commands[] = {
    {"health", cli_cmd_health, N_("check that the server is serving")},
    {"version", cli_cmd_version, N_("show the versions of this client and of the server")},
    {"whoami", cli_cmd_whoami, N_("show the account the token belongs to")},
    {"services", cli_cmd_services, N_("list the server's services and methods")},
    {"call", cli_cmd_call, N_("call any method with a JSON request")},
    {"account", cli_cmd_account, N_("manage accounts and their tokens")},
    {"admin", cli_cmd_admin, N_("administer the server: backups")},
    {"unit", cli_cmd_unit, N_("manage the units of the tree")},
    {"person", cli_cmd_person, N_("manage the people: leaders and responsible persons")},
    {"project", cli_cmd_project, N_("manage key projects")},
    {"plan", cli_cmd_plan, N_("set and list the monthly investment plans")},
    {"node", cli_cmd_node, N_("manage the nodes (milestones) of the plans")},
    {"task", cli_cmd_task, N_("manage the tasks, their units and persons")},
    {"assignments", cli_cmd_assignments, N_("show what your account is assigned")},
    {"import", cli_cmd_import, N_("import the registry from CSV files")},
    {"audit", cli_cmd_audit, N_("show the audit log of every write")},
    {"update", cli_cmd_update, N_("submit and read the weekly progress updates")},
    {"status", cli_cmd_status, N_("show whether a project is on track or lagging")},
    {"outbox", cli_cmd_outbox, N_("the updates waiting to be sent to the server")},
    {"query", cli_cmd_query, N_("the figures of the report: summaries, lagging, compliance")},
    {"reconcile", cli_cmd_reconcile, N_("the monthly reconciliation of plan against actual")},
    {"disclose", cli_cmd_disclose, N_("the quarterly account for publication")},
    {"inbox", cli_cmd_inbox, N_("list the reminders in your inbox")},
    {"ack", cli_cmd_ack, N_("mark reminders as read")},
    {"watch", cli_cmd_watch, N_("show reminders as they arrive")},
    {"notice", cli_cmd_notice, N_("send a notice to units or people")},
    {"webhook", cli_cmd_webhook, N_("post reminders to DingTalk, WeCom or other robots")},
    {"export", cli_cmd_export, N_("export the battle map and the five tables")},
    {"problem", cli_cmd_problem, N_("raise, assign and close problems (销号)")},
    {"activity", cli_cmd_activity, N_("log the leaders' weekly reviews and site visits")},
    {"inspection", cli_cmd_inspection, N_("record and list inspections (督查)")},
    {"rectification", cli_cmd_rectification, N_("order and close rectification (整改)")},
    {"accountability", cli_cmd_accountability, N_("record warning talks, criticism (问责)")},
    {"approval", cli_cmd_approval, N_("set and list approval items (审批服务)")},
    {"clearance", cli_cmd_clearance, N_("set and list land clearance (征迁清零)")},
    {"funding", cli_cmd_funding, N_("add and list financing and loans (资金保障)")},
    {"supervise", cli_cmd_supervise, N_("the figures of supervision, approvals, clearance")},
};

/* ---- settings -------------------------------------------------------------- */

/* What the config file said; strings owned here. */
static struct {
	char *server;
	char *token;
	uint32_t timeout_ms;
	bool timeout_set;
	char *path;
	char *ca, *cert, *key;
} config;

/* What cli_open settled on. */
static const char *server_url;

static void config_free(void)
{
	free(config.server);
	free(config.token);
	free(config.path);
	free(config.ca);
	free(config.cert);
	free(config.key);
}

static int config_key(void *arg, const char *key, const char *value, ls_status *st)
{
	const char *path = arg;
	if (strcmp(key, "server") == 0) {
		free(config.server);
		config.server = *value ? cli_xstrdup(value) : NULL;
	} else if (strcmp(key, "token") == 0) {
		free(config.token);
		config.token = *value ? cli_xstrdup(value) : NULL;
	} else if (strcmp(key, "timeout") == 0) {
		long long ms;
		if (!cli_parse_int(value, 0, CLI_MAX_TIMEOUT_MS, &ms))
			return ls_status_set(st, LS_INVALID_ARGUMENT,
			                     _("%s: timeout must be a number of milliseconds, "
			                       "not '%s'"),
			                     path, value);
		config.timeout_ms = (uint32_t)ms;
		config.timeout_set = true;
	} else if (strcmp(key, "ca") == 0 || strcmp(key, "cert") == 0 || strcmp(key, "key") == 0) {
		char **slot =
		    key[0] == 'c' ? (key[1] == 'a' ? &config.ca : &config.cert) : &config.key;
		free(*slot);
		*slot = *value ? cli_xstrdup(value) : NULL;
	} else {
		return ls_status_set(st, LS_INVALID_ARGUMENT,
		                     _("%s: unknown key '%s' (known: server, token, timeout, ca, "
		                       "cert, key)"),
		                     path, key);
	}
	return LS_OK;
}

/* The config file's path: $LUOSHI_CONFIG, else $XDG_CONFIG_HOME/luoshi/config,
 * else ~/.config/luoshi/config. *explicit says whether the user named it. */
static char *config_path(bool *explicit)
{
	const char *env = getenv("LUOSHI_CONFIG");
	*explicit = env != NULL && *env != '\0';
	if (*explicit)
		return cli_xstrdup(env);
	const char *base = getenv("XDG_CONFIG_HOME");
	const char *suffix = "/luoshi/config";
	/* The XDG spec says to ignore a relative XDG_CONFIG_HOME. */
	if (base == NULL || base[0] != '/') {
		base = getenv("HOME");
		suffix = "/.config/luoshi/config";
		if (base == NULL || *base == '\0')
			return NULL;
	}
	size_t n = strlen(base) + strlen(suffix) + 1;
	char *p = cli_xmalloc(n);
	snprintf(p, n, "%s%s", base, suffix);
	return p;
}

/* Reads the config file once. A default file that does not exist is no
 * error; one named by LUOSHI_CONFIG must be there. */
static int config_load(ls_status *st)
{
	static int result = -1;
	static ls_status saved;
	if (result >= 0) {
		*st = saved;
		return result;
	}
	bool explicit;
	ls_status_clear(&saved);
	result = LS_OK;
	config.path = config_path(&explicit);
	if (config.path != NULL && (explicit || access(config.path, F_OK) == 0 || errno != ENOENT))
		result = ls_config_parse(config.path, config_key, config.path, &saved);
	if (result == LS_NOT_FOUND) {
		int err = access(config.path, R_OK) == 0 ? EIO : errno;
		ls_status_set(&saved, LS_NOT_FOUND, _("cannot read the config file %s: %s"),
		              config.path, strerror(err));
	}
	/* The messages name the file; a field would name it twice. */
	saved.field[0] = '\0';
	*st = saved;
	return result;
}

static const char *env_value(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? v : NULL;
}

const char *cli_server(void)
{
	return server_url;
}

void cli_tls_files(const cli_ctx *ctx, const char **ca, const char **cert, const char **key)
{
	*ca = ctx->ca ? ctx->ca : config.ca;
	bool own = ctx->cert != NULL || ctx->key != NULL;
	*cert = own ? ctx->cert : config.cert;
	*key = own ? ctx->key : config.key;
}

int cli_open_status(cli_ctx *ctx, luoshi_client **out, ls_status *st)
{
	*out = NULL;
	ls_status_clear(st);
	const char *server = ctx->server ? ctx->server : env_value("LUOSHI_SERVER");
	const char *token = ctx->token ? ctx->token : env_value("LUOSHI_TOKEN");
	const char *ca = ctx->ca, *cert = ctx->cert, *key = ctx->key;
	if (server == NULL || token == NULL || !ctx->timeout_set || ca == NULL || cert == NULL ||
	    key == NULL) {
		int rc = config_load(st);
		if (rc != LS_OK)
			return rc;
		if (server == NULL)
			server = config.server;
		if (token == NULL)
			token = config.token;
		if (!ctx->timeout_set && config.timeout_set) {
			ctx->timeout_ms = config.timeout_ms;
			ctx->timeout_set = true;
		}
		/* A certificate and its key come from the same place. */
		if (ca == NULL)
			ca = config.ca;
		if (cert == NULL && key == NULL) {
			cert = config.cert;
			key = config.key;
		}
	}
	server_url = server ? server : CLI_DEFAULT_SERVER;

	luoshi_client_opts o = {
	    .url = server_url,
	    .token = token,
	    .timeout_ms = ctx->timeout_ms,
	    .ca_file = ca,
	    .cert_file = cert,
	    .key_file = key,
	};
	return luoshi_client_open(out, &o, st);
}

int cli_open(cli_ctx *ctx, luoshi_client **out)
{
	ls_status st;
	int rc = cli_open_status(ctx, out, &st);
	if (rc != LS_OK)
		return cli_print_status(&st);
	/* Updates made while the server was away go first, in order. */
	cli_outbox_auto_flush(*out);
	return LS_OK;
}

int cli_call(luoshi_client *c, const char *method, const ProtobufCMessage *req, const char *key,
             ProtobufCMessage **resp)
{
	char fresh[LUOSHI_KEY_SIZE];
	if (key == CLI_FRESH_KEY) {
		luoshi_new_key(fresh);
		key = fresh;
	}
	ls_status st;
	int rc = luoshi_client_call(c, method, req, key, resp, &st);
	if (rc != LS_OK)
		return cli_print_status(&st);
	return LS_OK;
}

/* ---- option parsing -------------------------------------------------------- */

void cli_getopt_reset(void)
{
	/* 0, not 1: glibc then also forgets its place inside a group of
	 * short options. */
	optind = 0;
	opterr = 0;
}

int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, _("luoshi: %s (try '%s --help')\n"), msg, ctx->path);
	return CLI_EXIT_USAGE;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return 0;
}

bool cli_parse_int(const char *s, long long min, long long max, long long *out)
{
	/* strtoll would also take spaces and a '+' in front. */
	if (s == NULL ||
	    !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool cli_key_valid(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return false;
	return true;
}

int cli_key_option(const cli_ctx *ctx, const char *arg, const char **key)
{
	if (!cli_key_valid(arg))
		return cli_usage_error(ctx, _("--key takes 1 to 128 printable characters "
		                              "without spaces"));
	*key = arg;
	return LS_OK;
}

int cli_one_arg(const cli_ctx *ctx, int argc, char **argv, const char *missing,
                const char **out)
{
	if (optind >= argc)
		return cli_usage_error(ctx, "%s", missing);
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	*out = argv[optind];
	return LS_OK;
}

/* The message in m's field named name; NULL when there is none. */
static const ProtobufCMessage *message_field(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	return *(const ProtobufCMessage *const *)(const void *)((const char *)m + f->offset);
}

/* The text field "code" of m; "" when there is none. */
static const char *code_field(const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "code");
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
		return "";
	const char *code = *(const char *const *)(const void *)((const char *)m + f->offset);
	return code != NULL ? code : "";
}

int cli_call_show(cli_ctx *ctx, const char *method, const ProtobufCMessage *req, const char *key,
                  const char *field, const char *done_fmt,
                  void (*show)(const ProtobufCMessage *row))
{
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, method, req, key, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const ProtobufCMessage *row = message_field(m, field);
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else if (row != NULL) {
		if (done_fmt != NULL)
			printf(done_fmt, code_field(row));
		show(row);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* The option argv[optind - 1] named, without any "=value". */
static const char *option_text(char **argv, char *buf, size_t n)
{
	const char *a = argv[optind - 1];
	if (strncmp(a, "--", 2) == 0) {
		size_t len = strcspn(a, "=");
		snprintf(buf, n, "%.*s", (int)len, a);
	} else if (optopt > 0 && optopt < 0x80) {
		snprintf(buf, n, "-%c", optopt);
	} else {
		snprintf(buf, n, "%s", a);
	}
	return buf;
}

/* True if arg is "--name=value" for a long option without a value. */
static bool takes_no_value(const char *arg, const struct option *longopts)
{
	const char *eq = strchr(arg, '=');
	if (strncmp(arg, "--", 2) != 0 || eq == NULL)
		return false;
	size_t len = (size_t)(eq - arg) - 2;
	for (const struct option *o = longopts; o->name != NULL; o++)
		if (strncmp(o->name, arg + 2, len) == 0 && o->has_arg == no_argument)
			return true;
	return false;
}

int cli_getopt(cli_ctx *ctx, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
	/* A leading ':' (after any '+') makes a missing value return ':'. */
	char spec[64];
	bool stop = shortopts[0] == '+';
	snprintf(spec, sizeof spec, "%s:%s", stop ? "+" : "", shortopts + stop);
	for (;;) {
		int c = getopt_long(argc, argv, spec, longopts, NULL);
		char name[64];
		long long ms;
		switch (c) {
		case CLI_OPT_SERVER:
			if (*optarg == '\0')
				return cli_usage_error(ctx, _("--server needs a URL")), '?';
			ctx->server = optarg;
			break;
		case CLI_OPT_TOKEN:
			if (*optarg == '\0')
				return cli_usage_error(ctx, _("--token needs a token")), '?';
			ctx->token = optarg;
			break;
		case CLI_OPT_TIMEOUT:
			if (!cli_parse_int(optarg, 0, CLI_MAX_TIMEOUT_MS, &ms))
				return cli_usage_error(
				           ctx,
				           _("--timeout takes milliseconds from 0 to %lld, "
				             "not '%s'"),
				           CLI_MAX_TIMEOUT_MS, optarg),
				       '?';
			ctx->timeout_ms = (uint32_t)ms;
			ctx->timeout_set = true;
			break;
		case CLI_OPT_JSON:
			ctx->json = true;
			break;
		case ':':
			return cli_usage_error(ctx, _("option '%s' needs a value"),
			                       option_text(argv, name, sizeof name)),
			       '?';
		case '?':
			option_text(argv, name, sizeof name);
			if (takes_no_value(argv[optind - 1], longopts))
				return cli_usage_error(ctx, _("option '%s' takes no value"), name),
				       '?';
			return cli_usage_error(ctx, _("unknown option '%s'"), name), '?';
		default:
			return c;
		}
	}
}

void cli_enter(cli_ctx *ctx, const char *name)
{
	size_t n = strlen(ctx->path);
	snprintf(ctx->path + n, sizeof ctx->path - n, " %s", name);
}

int cli_dispatch(cli_ctx *ctx, const cli_command *table, size_t n, int argc, char **argv)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(table[i].name, argv[0]) == 0) {
			cli_enter(ctx, argv[0]);
			return table[i].run(ctx, argc, argv);
		}
	}
	if (strchr(ctx->path, ' ') != NULL)
		return cli_usage_error(ctx, _("unknown subcommand '%s'"), argv[0]);
	return cli_usage_error(ctx, _("unknown command '%s'"), argv[0]);
}

/* ---- the top level --------------------------------------------------------- */

static int usage(void)
{
	printf(_("Usage: luoshi [OPTIONS] COMMAND [SUBCOMMAND] [ARGS]\n"
	         "\n"
	         "The command line of luoshi, the key-project supervision system.\n"
	         "\n"
	         "Options (also accepted after the command):\n"
	         "  --server URL   the server (tcp://HOST:PORT, ipc:///PATH; several: URL1,URL2)\n"
	         "  --token TOKEN  the access token of your account\n"
	         "  --timeout MS   deadline of each call in milliseconds; 0: none, wait 30 s\n"
	         "  --json         print responses as JSON instead of tables\n"
	         "  -h, --help     show this help and exit\n"
	         "  --version      show the client's version and exit\n"
	         "\n"
	         "Commands:\n"));
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		cli_table_kv(t, commands[i].name, _(commands[i].summary));
	cli_table_kv(t, "help", _("show the help of a command"));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("TLS options, for tls+tcp:// servers (before the command only: after it,\n"
	        "--key is a command's idempotency key):\n"
	        "  --ca FILE      the CA certificate (PEM) that signed the server's certificate\n"
	        "  --cert FILE    this client's certificate (PEM), for servers that require one\n"
	        "  --key FILE     the private key (PEM) of --cert\n"
	        "The config file takes them as \"ca = FILE\", \"cert = FILE\", \"key = FILE\".\n"
	        "\n"),
	      stdout);
	printf(_("Settings come from the options, else the environment (LUOSHI_SERVER,\n"
	         "LUOSHI_TOKEN), else the config file, else the server is %s.\n"
	         "The config file is $LUOSHI_CONFIG, else $XDG_CONFIG_HOME/luoshi/config,\n"
	         "else ~/.config/luoshi/config, with lines such as \"server = URL\",\n"
	         "\"token = TOKEN\" and \"timeout = MS\".\n"
	         "\n"
	         "Exit status: 0 on success; otherwise the gRPC status code of the error,\n"
	         "such as 3 (INVALID_ARGUMENT) for a usage error, 14 (UNAVAILABLE) when the\n"
	         "server cannot be reached, 16 (UNAUTHENTICATED) for a bad token.\n"
	         "\n"
	         "Run 'luoshi COMMAND --help' for the help of a command.\n"),
	       CLI_DEFAULT_SERVER);
	return 0;
}

/* `luoshi help [COMMAND...]`: the same as `luoshi COMMAND... --help`. */
static int run_help(cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return usage();
	char **args = cli_xmalloc((size_t)(argc + 1) * sizeof *args);
	for (int i = 1; i < argc; i++)
		args[i - 1] = argv[i];
	args[argc - 1] = (char *)"--help";
	args[argc] = NULL;
	int rc = cli_dispatch(ctx, commands, sizeof commands / sizeof commands[0], argc, args);
	free(args);
	return rc;
}

static void setup_translations(void)
{
	setlocale(LC_ALL, "");
	const char *dir = getenv("LUOSHI_LOCALEDIR");
	bindtextdomain("luoshi", dir != NULL && *dir != '\0' ? dir : LUOSHI_LOCALEDIR);
	textdomain("luoshi");
}

int main(int argc, char **argv)
{
	setup_translations();

	cli_ctx ctx = {0};
	snprintf(ctx.path, sizeof ctx.path, "luoshi");

	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"version", no_argument, NULL, CLI_OPT_VERSION},
	    {"ca", required_argument, NULL, CLI_OPT_CA},
	    {"cert", required_argument, NULL, CLI_OPT_CERT},
	    {"key", required_argument, NULL, CLI_OPT_TLS_KEY},
	    {NULL, 0, NULL, 0},
	};
	int c, rc;
	cli_getopt_reset();
	while ((c = cli_getopt(&ctx, argc, argv, "+h", opts)) != -1) {
		switch (c) {
		case 'h':
			return usage();
		case CLI_OPT_VERSION:
			printf("luoshi %s\n", LUOSHI_VERSION);
			return 0;
		case CLI_OPT_CA:
		case CLI_OPT_CERT:
		case CLI_OPT_TLS_KEY:
			if (*optarg == '\0')
				return cli_usage_error(&ctx,
				                       _("--ca, --cert and --key need a file"));
			*(c == CLI_OPT_CA     ? &ctx.ca
			  : c == CLI_OPT_CERT ? &ctx.cert
			                      : &ctx.key) = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(&ctx, _("no command given"));

	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "help") == 0)
		rc = run_help(&ctx, argc, argv);
	else
		rc = cli_dispatch(&ctx, commands, sizeof commands / sizeof commands[0], argc, argv);
	config_free();

	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, _("luoshi: cannot write the output: %s\n"), strerror(errno));
		if (rc == LS_OK)
			rc = LS_UNKNOWN;
	}
	return rc;
}
