/* `luoshi update submit|list|show|photo` and `luoshi status`: the progress
 * updates a town office reports every week (or month), and a project's
 * derived status (ProgressService). A submit that cannot reach the server
 * waits in the offline outbox (outbox.h) unless told --no-outbox. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "luoshi/v1/progress.pb-c.h"
#include "outbox.h"
#include "output.h"
#include "period.h"
#include "rpc.h"

#define M_SUBMIT "/luoshi.v1.ProgressService/SubmitUpdate"
#define M_LIST "/luoshi.v1.ProgressService/ListUpdates"
#define M_GET "/luoshi.v1.ProgressService/GetUpdate"
#define M_PHOTO "/luoshi.v1.ProgressService/GetPhoto"
#define M_STATUS "/luoshi.v1.ProgressService/GetProjectStatus"

/* The limits of progress.proto, checked here too so that an update queued
 * offline is not one the server will refuse for its form. */
#define MONEY_MAX 1000000000LL
#define TEXT_MAX_BYTES 2000
#define NAME_MAX_BYTES 200
#define MAX_PHOTOS 4
#define PHOTO_MAX_BYTES (2u * 1024u * 1024u)
#define MAX_NODES 100
/* Room left in a message for the envelope around the request. */
#define ENVELOPE_ROOM 4096u

/* ---- output ------------------------------------------------------------------ */

static void project_text(const char *code, const char *name, char *buf, size_t n)
{
	code = code ? code : "";
	name = name ? name : "";
	snprintf(buf, n, "%s%s%s", code, *code && *name ? " " : "", name);
}

static void update_rows(cli_table *t, const Luoshi__V1__Update *u)
{
	char buf[512];
	if (u->has_id)
		cli_table_kvf(t, _("Update ID"), "%" PRId64, u->id);
	project_text(u->project_code, u->project_name, buf, sizeof buf);
	cli_table_kv(t, _("Project"), buf);
	if (u->period != NULL)
		cli_table_kv(t, _("Period"), u->period);
	if (u->has_revision)
		cli_table_kvf(t, _("Revision"), "%u%s", u->revision,
		              u->has_latest && !u->latest ? _(" (superseded)") : "");
	project_text(u->unit_code, u->unit_name, buf, sizeof buf);
	cli_table_kv(t, _("Reporting unit"), buf);
	if (u->account_name != NULL)
		cli_table_kv(t, _("Submitted by"), u->account_name);
	if (u->submitted_at != NULL)
		cli_table_kv(t, _("Submitted at"), u->submitted_at);
	if (u->has_invested)
		cli_table_kvf(t, _("Invested in the period (万元)"), "%" PRId64, u->invested);
	if (u->has_ytd_invested)
		cli_table_kvf(t, _("Invested this year (万元)"), "%" PRId64, u->ytd_invested);
	if (u->has_total_invested)
		cli_table_kvf(t, _("Invested since the start (万元)"), "%" PRId64,
		              u->total_invested);
	if (u->has_output)
		cli_table_kvf(t, _("Output value (万元)"), "%" PRId64, u->output);
	if (u->has_percent)
		cli_table_kvf(t, _("Percent complete"), "%u%%", u->percent);
	if (u->progress != NULL)
		cli_table_kv(t, _("Progress"), u->progress);
	if (u->n_nodes_done > 0) {
		size_t used = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < u->n_nodes_done && used < sizeof buf; i++) {
			int w = snprintf(buf + used, sizeof buf - used, "%s%" PRId64, i ? ", " : "",
			                 u->nodes_done[i]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		cli_table_kv(t, _("Nodes done"), buf);
	}
	if (u->next_plan != NULL)
		cli_table_kv(t, _("Next plan"), u->next_plan);
	if (u->support_needed != NULL)
		cli_table_kv(t, _("Support needed"), u->support_needed);
	for (size_t i = 0; i < u->n_photos; i++) {
		const Luoshi__V1__PhotoRef *p = u->photos[i];
		cli_table_kvf(t, _("Photo"), "%" PRId64 "  %s  %s  %u", p->id,
		              p->name ? p->name : "", p->content_type ? p->content_type : "",
		              p->size);
	}
}

static void print_update(const Luoshi__V1__Update *u)
{
	cli_table *t = cli_table_alloc(2, NULL);
	update_rows(t, u);
	cli_table_print(t, stdout, 0);
	cli_table_free(t);
}

/* ---- reading files ----------------------------------------------------------- */

/* Reads at most max + 1 bytes of path into a malloc'd buffer. */
static int read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	uint8_t *buf = cli_xmalloc(max + 1);
	size_t n = fread(buf, 1, max + 1, f);
	int err = ferror(f) ? EIO : 0;
	fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

static bool is_image(const uint8_t *d, size_t n)
{
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	return (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) ||
	       (n >= sizeof png && memcmp(d, png, sizeof png) == 0);
}

static int photo_error(const char *fmt, const char *path, const char *why)
{
	ls_status st;
	char msg[sizeof st.message];
	snprintf(msg, sizeof msg, fmt, path, why);
	ls_status_field(&st, LS_INVALID_ARGUMENT, "--photo", "%s", msg);
	return cli_print_status(&st);
}

/* Loads a photo file into p, checked as the server will check it. */
static int load_photo(const char *path, Luoshi__V1__Photo *p)
{
	uint8_t *data;
	size_t len;
	if (read_file(path, PHOTO_MAX_BYTES, &data, &len) != 0)
		return photo_error(_("cannot read the photo %s: %s"), path, strerror(errno));
	if (len > PHOTO_MAX_BYTES) {
		free(data);
		return photo_error(_("the photo %s is larger than %s"), path, "2 MiB");
	}
	if (!is_image(data, len)) {
		free(data);
		return photo_error(_("the photo %s is %s"), path,
		                   len == 0 ? _("empty") : _("neither a JPEG nor a PNG image"));
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strlen(base) > NAME_MAX_BYTES) {
		free(data);
		return photo_error(_("the photo's file name %s is longer than %s bytes"), base,
		                   "200");
	}
	luoshi__v1__photo__init(p);
	p->name = (char *)base;
	p->has_data = true;
	p->data.data = data;
	p->data.len = len;
	return LS_OK;
}

/* Parses "12,15,20" into ids. */
static bool parse_ids(const char *s, int64_t *ids, size_t max, size_t *n)
{
	*n = 0;
	const char *p = s;
	for (;;) {
		size_t len = strcspn(p, ",");
		char one[24];
		long long v;
		if (len == 0 || len >= sizeof one || *n == max)
			return false;
		memcpy(one, p, len);
		one[len] = '\0';
		if (!cli_parse_int(one, 1, INT64_MAX, &v))
			return false;
		ids[(*n)++] = v;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

/* ---- submit ------------------------------------------------------------------- */

static int queue_update(cli_ctx *ctx, const uint8_t *body, size_t len, const char *key,
                        const char *project, const char *period, const ls_status *why)
{
	cli_outbox *o;
	ls_status st;
	int64_t id;
	if (cli_outbox_open(&o, true, &st) != LS_OK ||
	    cli_outbox_add(o, M_SUBMIT, key, body, len, project, period, &id, &st) != LS_OK) {
		cli_outbox_close(o);
		/* Neither sent nor kept: say both. */
		cli_print_status(why);
		return cli_print_status(&st);
	}
	cli_outbox_close(o);
	if (ctx->json) {
		json_t *j = json_object();
		if (j == NULL)
			cli_out_of_memory();
		char idtext[24];
		snprintf(idtext, sizeof idtext, "%lld", (long long)id);
		json_object_set_new(j, "queued", json_true());
		json_object_set_new(j, "outboxId", json_string(idtext));
		json_object_set_new(j, "project", json_string(project));
		json_object_set_new(j, "period", json_string(period));
		json_object_set_new(j, "reason", json_string(why->message));
		return cli_print_json(j);
	}
	printf(_("The server cannot be reached (%s).\n"
	         "The update for %s, %s, is queued in the outbox as #%lld: it is sent by the\n"
	         "next command that reaches the server, or by 'luoshi outbox flush'.\n"),
	       why->message, project, period, (long long)id);
	return LS_OK;
}

static int run_submit(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_WEEK,
		OPT_MONTH,
		OPT_INVESTED,
		OPT_PERCENT,
		OPT_PROGRESS,
		OPT_OUTPUT,
		OPT_NODES,
		OPT_NEXT,
		OPT_SUPPORT,
		OPT_PHOTO,
		OPT_NO_OUTBOX,
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"week", required_argument, NULL, OPT_WEEK},
	    {"month", required_argument, NULL, OPT_MONTH},
	    {"invested", required_argument, NULL, OPT_INVESTED},
	    {"percent", required_argument, NULL, OPT_PERCENT},
	    {"progress", required_argument, NULL, OPT_PROGRESS},
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    {"nodes-done", required_argument, NULL, OPT_NODES},
	    {"next", required_argument, NULL, OPT_NEXT},
	    {"support", required_argument, NULL, OPT_SUPPORT},
	    {"photo", required_argument, NULL, OPT_PHOTO},
	    {"no-outbox", no_argument, NULL, OPT_NO_OUTBOX},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__SubmitUpdateRequest req = LUOSHI__V1__SUBMIT_UPDATE_REQUEST__INIT;
	const char *photo_paths[MAX_PHOTOS];
	size_t n_photos = 0;
	int64_t nodes[MAX_NODES];
	size_t n_nodes = 0;
	bool no_outbox = false;
	const char *key = NULL;
	long long v;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi update submit --project P [--week 2026-W48 | --month 2026-11]\n"
			    "           --invested N --percent N --progress TEXT [--output N]\n"
			    "           [--nodes-done ID,...] [--next TEXT] [--support TEXT]\n"
			    "           [--photo FILE]... [--no-outbox] [--key KEY]\n"
			    "\n"
			    "Reports a project's progress for a period. Reporting again for the\n"
			    "same project and period makes a new revision; the old ones are kept.\n"
			    "Without --week or --month the update is for the current week (or month,\n"
			    "for projects that report monthly) in the reporting time zone\n"
			    "($LUOSHI_TIME_ZONE, by default Asia/Shanghai).\n"
			    "\n"
			    "When the server cannot be reached, the update is queued in the outbox\n"
			    "with its period fixed now, and sent by the next command that reaches\n"
			    "the server ('luoshi outbox' shows it).\n"
			    "\n"
			    "Options:\n"
			    "  --project P         the project's code or unique name\n"
			    "  --week W            an ISO week, such as 2026-W48\n"
			    "  --month M           a month, such as 2026-11 (monthly projects)\n"
			    "  --invested N        investment completed in the period, 万元\n"
			    "  --percent N         percent complete, 0 to 100\n"
			    "  --progress TEXT     the visible progress in words (形象进度)\n"
			    "  --output N          output value in the period, 万元\n"
			    "  --nodes-done IDS    nodes completed, by ID, separated by commas\n"
			    "  --next TEXT         the plan for the next period\n"
			    "  --support TEXT      the support needed\n"
			    "  --photo FILE        a site photo, JPEG or PNG, at most 2 MiB; up to 4\n"
			    "  --no-outbox         fail (exit 14) instead of queueing when the\n"
			    "                      server cannot be reached\n"
			    "  --key KEY           the idempotency key, to retry an earlier submit\n"
			    "                      safely\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_WEEK:
			req.week = optarg;
			break;
		case OPT_MONTH:
			req.month = optarg;
			break;
		case OPT_INVESTED:
			if (!cli_parse_int(optarg, 0, MONEY_MAX, &v))
				return cli_usage_error(
				    ctx, _("--invested takes 万元 from 0 to %lld, not '%s'"),
				    MONEY_MAX, optarg);
			req.has_invested = true;
			req.invested = v;
			break;
		case OPT_PERCENT:
			if (!cli_parse_int(optarg, 0, 100, &v))
				return cli_usage_error(ctx, _("--percent takes 0 to 100, not '%s'"),
				                       optarg);
			req.has_percent = true;
			req.percent = (uint32_t)v;
			break;
		case OPT_PROGRESS:
			req.progress = optarg;
			break;
		case OPT_OUTPUT:
			if (!cli_parse_int(optarg, 0, MONEY_MAX, &v))
				return cli_usage_error(
				    ctx, _("--output takes 万元 from 0 to %lld, not '%s'"),
				    MONEY_MAX, optarg);
			req.has_output = true;
			req.output = v;
			break;
		case OPT_NODES:
			if (!parse_ids(optarg, nodes, MAX_NODES, &n_nodes))
				return cli_usage_error(
				    ctx,
				    _("--nodes-done takes up to %d node IDs separated by commas, "
				      "not '%s'"),
				    MAX_NODES, optarg);
			break;
		case OPT_NEXT:
			req.next_plan = optarg;
			break;
		case OPT_SUPPORT:
			req.support_needed = optarg;
			break;
		case OPT_PHOTO:
			if (n_photos == MAX_PHOTOS)
				return cli_usage_error(ctx, _("at most %d photos"), MAX_PHOTOS);
			photo_paths[n_photos++] = optarg;
			break;
		case OPT_NO_OUTBOX:
			no_outbox = true;
			break;
		case CLI_OPT_KEY:
			if (!cli_key_valid(optarg))
				return cli_usage_error(
				    ctx, _("--key takes 1 to 128 printable characters "
				           "without spaces"));
			key = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	if (req.project == NULL || req.project[0] == '\0')
		return cli_usage_error(ctx, _("--project is required"));
	if (!req.has_invested)
		return cli_usage_error(ctx, _("--invested is required"));
	if (!req.has_percent)
		return cli_usage_error(ctx, _("--percent is required"));
	if (req.progress == NULL || req.progress[0] == '\0')
		return cli_usage_error(ctx, _("--progress is required"));
	const char *texts[][2] = {{"--progress", req.progress},
	                          {"--next", req.next_plan},
	                          {"--support", req.support_needed}};
	for (size_t i = 0; i < 3; i++)
		if (texts[i][1] != NULL && strlen(texts[i][1]) > TEXT_MAX_BYTES)
			return cli_usage_error(ctx, _("%s is %zu bytes; at most %d are allowed"),
			                       texts[i][0], strlen(texts[i][1]), TEXT_MAX_BYTES);
	if (req.week != NULL && req.month != NULL)
		return cli_usage_error(ctx, _("give --week or --month, not both"));

	/* The period, fixed now: whatever happens to this request later, it
	 * is for the period of the moment it was made. */
	int32_t today;
	const char *zone;
	if (!cli_outbox_today(&today, &zone))
		return cli_usage_error(ctx, _("unknown time zone '%s' in LUOSHI_TIME_ZONE"), zone);
	char period[32], date[11];
	ls_period per;
	if (req.week != NULL || req.month != NULL) {
		const char *text = req.week ? req.week : req.month;
		ls_period_kind kind = req.week ? LS_PERIOD_WEEK : LS_PERIOD_MONTH;
		if (!ls_period_parse(text, &per) || per.kind != kind)
			return cli_usage_error(ctx,
			                       req.week
			                           ? _("--week takes an ISO week that exists, such "
			                               "as 2026-W48, not '%s'")
			                           : _("--month takes a month such as 2026-11, "
			                               "not '%s'"),
			                       text);
		if (per.first > today)
			return cli_usage_error(ctx, _("%s has not begun yet"), text);
		ls_period_format(&per, period);
	} else {
		ls_date_format(today, date);
		req.date = date;
		ls_period w, m;
		ls_period_of(LS_PERIOD_WEEK, today, &w);
		ls_period_of(LS_PERIOD_MONTH, today, &m);
		char wt[9], mt[9];
		ls_period_format(&w, wt);
		ls_period_format(&m, mt);
		snprintf(period, sizeof period, "%s/%s", wt, mt);
	}

	Luoshi__V1__Photo photos[MAX_PHOTOS];
	Luoshi__V1__Photo *photo_ptrs[MAX_PHOTOS];
	int rc = LS_OK;
	for (size_t i = 0; i < n_photos; i++) {
		if ((rc = load_photo(photo_paths[i], &photos[i])) != LS_OK) {
			for (size_t k = 0; k < i; k++)
				free(photos[k].data.data);
			return rc;
		}
		photo_ptrs[i] = &photos[i];
	}
	req.n_photos = n_photos;
	req.photos = photo_ptrs;
	req.n_nodes_done = n_nodes;
	req.nodes_done = nodes;

	/* Packed once: the first send, every retry and the outbox all carry
	 * these very bytes under the one key, which is what lets the server
	 * tell a retry from a new update. */
	uint8_t *body = NULL;
	size_t len = 0;
	char fresh[LUOSHI_KEY_SIZE];
	luoshi_client *client = NULL;
	ProtobufCMessage *m = NULL;
	ls_status st;
	if (key == NULL) {
		luoshi_new_key(fresh);
		key = fresh;
	}
	if (ls_message_pack(&req.base, &body, &len) != LS_OK)
		cli_out_of_memory();
	if (len + ENVELOPE_ROOM > LS_MAX_MESSAGE_DEFAULT) {
		ls_status_field(&st, LS_RESOURCE_EXHAUSTED, "--photo",
		                _("the update with its photos is %zu bytes; one request may carry "
		                  "at most %u: send fewer or smaller photos"),
		                len, LS_MAX_MESSAGE_DEFAULT - ENVELOPE_ROOM);
		rc = cli_print_status(&st);
		goto out;
	}

	rc = cli_open_status(ctx, &client, &st);
	if (rc == LS_OK) {
		cli_outbox_auto_flush(client);
		uint8_t *resp = NULL;
		size_t resp_len = 0;
		rc =
		    luoshi_client_call_raw(client, M_SUBMIT, body, len, key, &resp, &resp_len, &st);
		if (rc == LS_OK &&
		    ls_message_unpack(&luoshi__v1__submit_update_response__descriptor,
		                      resp ? resp : (const uint8_t *)"", resp_len, "response", &m,
		                      &st) != LS_OK)
			rc = ls_status_set(&st, LS_INTERNAL,
			                   _("malformed response from the server: %s"), st.message);
		free(resp);
	}
	/* No answer, or none in time: the request may or may not have arrived,
	 * and either way the key makes sending it again safe. */
	if ((rc == LS_UNAVAILABLE || rc == LS_DEADLINE_EXCEEDED) && !no_outbox) {
		rc = queue_update(ctx, body, len, key, req.project, period, &st);
		goto out;
	}
	if (rc != LS_OK) {
		rc = cli_print_status(&st);
		goto out;
	}
	const Luoshi__V1__SubmitUpdateResponse *r = (Luoshi__V1__SubmitUpdateResponse *)m;
	if (ctx->json)
		rc = cli_print_message_json(m);
	else if (r->update != NULL)
		print_update(r->update);
	if (r->update != NULL) {
		cli_outbox *o;
		if (cli_outbox_open(&o, false, &st) == LS_OK) {
			int dropped = cli_outbox_drop_superseded(
			    o, r->update->project_code, r->update->project_name, r->update->period);
			if (dropped > 0) {
				fflush(stdout);
				fprintf(
				    stderr,
				    _("luoshi: outbox: %d refused update(s) for %s %s superseded "
				      "by this one and removed\n"),
				    dropped, r->update->project_code, r->update->period);
			}
			cli_outbox_close(o);
		}
	}
out:
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	luoshi_client_close(client);
	free(body);
	for (size_t i = 0; i < n_photos; i++)
		free(photos[i].data.data);
	return rc;
}

/* ---- list -------------------------------------------------------------------- */

/* One update of `update list`. */
static void update_row(cli_table *t, const ProtobufCMessage *m)
{
	const Luoshi__V1__Update *u = (const Luoshi__V1__Update *)m;
	char id[24], rev[16], inv[24], ytd[24], tot[24], pct[8], proj[512], unit[512];
	snprintf(id, sizeof id, "%" PRId64, u->id);
	snprintf(rev, sizeof rev, "%u%s", u->revision, u->has_latest && !u->latest ? "*" : "");
	snprintf(inv, sizeof inv, "%" PRId64, u->invested);
	snprintf(ytd, sizeof ytd, "%" PRId64, u->ytd_invested);
	snprintf(tot, sizeof tot, "%" PRId64, u->total_invested);
	snprintf(pct, sizeof pct, "%u%%", u->percent);
	project_text(u->project_code, u->project_name, proj, sizeof proj);
	project_text(u->unit_code, u->unit_name, unit, sizeof unit);
	const char *cells[10] = {id,  proj, u->period, rev,  inv,
	                         ytd, tot,  pct,       unit, u->submitted_at};
	cli_table_add(t, cells);
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_PROJECT = CLI_OPT_FIRST_LOCAL,
		OPT_PERIOD,
		OPT_TOWN,
		OPT_ALL,
		OPT_LIMIT,
	};
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"period", required_argument, NULL, OPT_PERIOD},
	    {"town", required_argument, NULL, OPT_TOWN},
	    {"all-revisions", no_argument, NULL, OPT_ALL},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__ListUpdatesRequest base = LUOSHI__V1__LIST_UPDATES_REQUEST__INIT;
	long long limit = 0;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi update list [--project P] [--period X] [--town T]\n"
			    "                          [--all-revisions] [--limit N]\n"
			    "\n"
			    "Lists the updates of the projects you may read, the latest revision\n"
			    "of each period, page by page until the end.\n"
			    "\n"
			    "Options:\n"
			    "  --project P       one project, by code or unique name\n"
			    "  --period X        a week (2026-W48), a month (2026-11: its weeks too)\n"
			    "                    or a quarter (2026-Q4)\n"
			    "  --town T          the projects standing in a town, by code or name\n"
			    "  --all-revisions   every revision, not only the latest\n"
			    "  --limit N         stop after N updates\n"));
		case OPT_PROJECT:
			base.project = optarg;
			break;
		case OPT_PERIOD:
			base.period = optarg;
			break;
		case OPT_TOWN:
			base.town = optarg;
			break;
		case OPT_ALL:
			base.has_all_revisions = true;
			base.all_revisions = true;
			break;
		case OPT_LIMIT:
			if (!cli_parse_int(optarg, 1, INT32_MAX, &limit))
				return cli_usage_error(
				    ctx, _("--limit takes a positive number, not '%s'"), optarg);
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);

	const char *headers[] = {_("ID"),  _("Project"), _("Period"),  _("Rev"),  _("Invested"),
	                         _("YTD"), _("Total"),   _("Percent"), _("Unit"), _("Submitted")};
	return cli_list(ctx, M_LIST, &base.base, "updates", limit, 10, headers, update_row,
	                _("No updates."));
}

/* ---- show ---------------------------------------------------------------------- */

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_PERIOD };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"period", required_argument, NULL, OPT_PERIOD},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__GetUpdateRequest req = LUOSHI__V1__GET_UPDATE_REQUEST__INIT;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi update show ID\n"
			    "       luoshi update show --project P --period X\n"
			    "\n"
			    "Shows an update (by its ID, or the latest revision of a project's week\n"
			    "or month) with its sums for the year and since the start, and every\n"
			    "revision of its period.\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_PERIOD:
			req.period = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	long long id;
	if (optind < argc) {
		if (req.project != NULL || req.period != NULL)
			return cli_usage_error(ctx, _("give an ID, or --project and --period"));
		if (argc - optind > 1)
			return cli_usage_error(ctx, _("unexpected argument '%s'"),
			                       argv[optind + 1]);
		if (!cli_parse_int(argv[optind], 1, INT64_MAX, &id))
			return cli_usage_error(
			    ctx, _("the update ID must be a positive number, not '%s'"),
			    argv[optind]);
		req.has_id = true;
		req.id = id;
	} else if (req.project == NULL || req.period == NULL) {
		return cli_usage_error(ctx, _("give an ID, or --project and --period"));
	}
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_GET, &req.base, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__GetUpdateResponse *r = (Luoshi__V1__GetUpdateResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else {
		if (r->update != NULL)
			print_update(r->update);
		if (r->n_revisions > 0) {
			printf("\n%s\n", _("Revisions:"));
			const char *headers[] = {_("Rev"),      _("ID"),   _("Invested"),
			                         _("Percent"),  _("Unit"), _("Submitted by"),
			                         _("Submitted")};
			cli_table *t = cli_table_alloc(7, headers);
			for (size_t i = 0; i < r->n_revisions; i++) {
				const Luoshi__V1__Update *u = r->revisions[i];
				char rev[16], idt[24], inv[24], pct[8], unit[512];
				snprintf(rev, sizeof rev, "%u%s", u->revision,
				         u->has_latest && u->latest ? _(" (latest)") : "");
				snprintf(idt, sizeof idt, "%" PRId64, u->id);
				snprintf(inv, sizeof inv, "%" PRId64, u->invested);
				snprintf(pct, sizeof pct, "%u%%", u->percent);
				project_text(u->unit_code, u->unit_name, unit, sizeof unit);
				const char *cells[7] = {
				    rev, idt, inv, pct, unit, u->account_name, u->submitted_at};
				cli_table_add(t, cells);
			}
			cli_table_print(t, stdout, 2);
			cli_table_free(t);
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- photo ----------------------------------------------------------------------- */

static int run_photo(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_OUT = CLI_OPT_FIRST_LOCAL };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"out", required_argument, NULL, OPT_OUT},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "ho:", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(
			    _("Usage: luoshi update photo ID --out FILE\n"
			      "\n"
			      "Saves a site photo of an update (the IDs are in 'luoshi update\n"
			      "show') to FILE, byte for byte; '-' writes it to standard\n"
			      "output.\n"));
		case 'o':
		case OPT_OUT:
			out = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no photo ID given"));
	if (argc - optind > 1)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind + 1]);
	long long id;
	if (!cli_parse_int(argv[optind], 1, INT64_MAX, &id))
		return cli_usage_error(ctx, _("the photo ID must be a positive number, not '%s'"),
		                       argv[optind]);
	if (out == NULL || out[0] == '\0')
		return cli_usage_error(ctx, _("--out FILE is required"));

	Luoshi__V1__GetPhotoRequest req = LUOSHI__V1__GET_PHOTO_REQUEST__INIT;
	req.has_id = true;
	req.id = id;
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_PHOTO, &req.base, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__GetPhotoResponse *r = (Luoshi__V1__GetPhotoResponse *)m;
	bool to_stdout = strcmp(out, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(out, "wb");
	if (f == NULL) {
		ls_status st;
		ls_status_field(&st, LS_INVALID_ARGUMENT, "--out", _("cannot write %s: %s"), out,
		                strerror(errno));
		rc = cli_print_status(&st);
	} else {
		size_t len = r->has_data ? r->data.len : 0;
		bool ok = len == 0 || fwrite(r->data.data, 1, len, f) == len;
		if (!to_stdout && fclose(f) != 0)
			ok = false;
		if (!ok) {
			ls_status st;
			ls_status_field(&st, LS_INTERNAL, "--out", _("cannot write %s: %s"), out,
			                strerror(errno));
			rc = cli_print_status(&st);
		} else if (!to_stdout) {
			const Luoshi__V1__PhotoRef *p = r->photo;
			printf(_("Saved photo %lld (%s, %s, %zu bytes) to %s.\n"), id,
			       p && p->name ? p->name : "",
			       p && p->content_type ? p->content_type : "", len, out);
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ---- the group ------------------------------------------------------------------- */

static const cli_command subcommands[] = {
    {"submit", run_submit, N_("report a project's progress for a week or month")},
    {"list", run_list, N_("list updates")},
    {"show", run_show, N_("show an update with its revisions and sums")},
    {"photo", run_photo, N_("save a site photo of an update to a file")},
};

static int group_help(void)
{
	fputs(_("Usage: luoshi update SUBCOMMAND [OPTIONS]\n"
	        "\n"
	        "Progress updates: what a town office reports for each of its projects\n"
	        "every week (or month).\n"
	        "\n"
	        "Subcommands:\n"),
	      stdout);
	cli_table *t = cli_table_alloc(2, NULL);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		cli_table_kv(t, subcommands[i].name, _(subcommands[i].summary));
	cli_table_print(t, stdout, 2);
	cli_table_free(t);
	putchar('\n');
	fputs(_("Run 'luoshi update SUBCOMMAND --help' for the help of a subcommand.\n"), stdout);
	return 0;
}

int cli_cmd_update(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
	int c;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "+h", opts)) != -1) {
		if (c == 'h')
			return group_help();
		return CLI_EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error(ctx, _("no subcommand given"));
	return cli_dispatch(ctx, subcommands, sizeof subcommands / sizeof subcommands[0],
	                    argc - optind, argv + optind);
}

/* ---- status ------------------------------------------------------------------------ */

/* Marked for translation in the "status" context. */
static const char *const status_names[] = {
    NC_("status", "unspecified"),
    NC_("status", "on track"),
    NC_("status", "lagging"),
    NC_("status", "seriously lagging"),
};

/* A reason in words, from the figures, so that it reads in the user's
 * language; the server's own words for a code this client does not know. */
static void reason_text(const Luoshi__V1__ProjectStatusInfo *s, const Luoshi__V1__StatusReason *r,
                        char *buf, size_t n)
{
	const char *code = r->code ? r->code : "";
	if (strcmp(code, "node_overdue") == 0)
		snprintf(buf, n, _("%u node(s) overdue, the oldest by %u day(s)"), s->overdue_nodes,
		         s->max_days_overdue);
	else if (strcmp(code, "behind_schedule") == 0)
		snprintf(buf, n,
		         _("%u%% complete against %u%% of the planned time elapsed: %d points "
		           "behind"),
		         s->has_percent ? s->percent : 0, s->expected_percent, s->behind);
	else if (strcmp(code, "silent") == 0)
		snprintf(buf, n, _("%u period(s) without an update"), s->silent_periods);
	else
		snprintf(buf, n, "%s", r->detail ? r->detail : code);
}

int cli_cmd_status(cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PROJECT = CLI_OPT_FIRST_LOCAL, OPT_AS_OF };
	static const struct option opts[] = {
	    CLI_GLOBAL_OPTIONS,
	    {"project", required_argument, NULL, OPT_PROJECT},
	    {"as-of", required_argument, NULL, OPT_AS_OF},
	    {NULL, 0, NULL, 0},
	};
	Luoshi__V1__GetProjectStatusRequest req = LUOSHI__V1__GET_PROJECT_STATUS_REQUEST__INIT;
	int c;
	int32_t day;
	cli_getopt_reset();
	while ((c = cli_getopt(ctx, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(_(
			    "Usage: luoshi status --project P [--as-of YYYY-MM-DD]\n"
			    "\n"
			    "Shows whether a project is on track, lagging or seriously lagging, and\n"
			    "why: its overdue nodes, its percent complete against the planned time\n"
			    "elapsed, and the periods it has gone without an update (the rule is in\n"
			    "README.md). --as-of gives the status on a past day.\n"));
		case OPT_PROJECT:
			req.project = optarg;
			break;
		case OPT_AS_OF:
			if (!ls_date_parse(optarg, &day))
				return cli_usage_error(
				    ctx, _("--as-of takes a date (YYYY-MM-DD), not '%s'"), optarg);
			req.as_of = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, _("unexpected argument '%s'"), argv[optind]);
	if (req.project == NULL || req.project[0] == '\0')
		return cli_usage_error(ctx, _("--project is required"));
	luoshi_client *client;
	int rc = cli_open(ctx, &client);
	if (rc != LS_OK)
		return rc;
	ProtobufCMessage *m;
	rc = cli_call(client, M_STATUS, &req.base, NULL, &m);
	luoshi_client_close(client);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__GetProjectStatusResponse *r = (Luoshi__V1__GetProjectStatusResponse *)m;
	if (ctx->json) {
		rc = cli_print_message_json(m);
	} else if (r->status != NULL) {
		const Luoshi__V1__ProjectStatusInfo *s = r->status;
		char buf[512];
		cli_table *t = cli_table_alloc(2, NULL);
		project_text(s->project_code, s->project_name, buf, sizeof buf);
		cli_table_kv(t, _("Project"), buf);
		int level = s->has_status && s->status >= 0 && s->status <= 3 ? (int)s->status : 0;
		cli_table_kv(t, _("Status"), cli_pgettext("status", status_names[level]));
		if (s->as_of != NULL)
			cli_table_kv(t, _("As of"), s->as_of);
		if (s->has_percent)
			cli_table_kvf(t, _("Percent complete"), "%u%%", s->percent);
		else
			cli_table_kv(t, _("Percent complete"), _("nothing reported"));
		cli_table_kvf(t, _("Time elapsed"), "%u%%", s->expected_percent);
		cli_table_kvf(t, _("Behind (points)"), "%d", s->behind);
		cli_table_kvf(t, _("Overdue nodes"), "%u", s->overdue_nodes);
		if (s->overdue_nodes > 0)
			cli_table_kvf(t, _("Days overdue, oldest"), "%u", s->max_days_overdue);
		cli_table_kvf(t, _("Periods without update"), "%u", s->silent_periods);
		if (s->last_period != NULL)
			cli_table_kv(t, _("Last reported period"), s->last_period);
		for (size_t i = 0; i < s->n_reasons; i++) {
			reason_text(s, s->reasons[i], buf, sizeof buf);
			cli_table_kv(t, _("Reason"), buf);
		}
		cli_table_print(t, stdout, 0);
		cli_table_free(t);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}
