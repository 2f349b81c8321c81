/* End to end: ReminderService and `luoshi watch`. Notices reach the right
 * inboxes only; each account has its own read cursor; a town reads no other
 * inbox; bad input and wrong roles write nothing; the push socket carries
 * only a topic and a number; a watcher that is killed, and a server that is
 * killed, between notices lose none and show none twice; and the scheduler,
 * ticking every 200 ms, writes a node's reminder once, also across restarts.
 *
 * The registry is loaded from the side before the server starts, so these
 * tests do not depend on the registry's RPCs. It has no projects except in
 * the scheduler's test, so that no rule writes into the inboxes the other
 * tests count. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/reminders.pb-c.h"

#define M_SEND "/luoshi.v1.ReminderService/SendNotice"
#define M_LIST "/luoshi.v1.ReminderService/ListInbox"
#define M_ACK "/luoshi.v1.ReminderService/Ack"
#define M_CURSOR "/luoshi.v1.ReminderService/GetCursor"
#define M_CREATE "/luoshi.v1.AccountService/CreateAccount"

#define TOKEN_MAX 128
#define WAIT_MS 20000

extern char **environ;

/* Units: the office (1, from init), two towns, a department; a second
 * district (5) with a town (6), outside the office's scope. People: a
 * leader in the office, a section chief in the department, and one in the
 * other district. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01'),"
    " (5, 'BL', '北仑区', 'district', NULL, '2026-01-01'),"
    " (6, 'DQ', '大碶街道', 'town', 5, '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', 1, '2026-01-01'),"
    " (2, 'P02', '李科长', 4, '2026-01-01'),"
    " (3, 'P09', '王主任', 6, '2026-01-01');";

typedef struct fx {
	e2e_server s;
	char wx[TOKEN_MAX];     /* town 五乡镇, clerk 1 */
	char wx2[TOKEN_MAX];    /* town 五乡镇, clerk 2 */
	char xy[TOKEN_MAX];     /* town 下应街道 */
	char leader[TOKEN_MAX]; /* leader, bound to 张区长 (L01) */
	pid_t watcher;
	char watch_out[E2E_PATH_MAX + 16];
	char watch_log[E2E_PATH_MAX + 16];
} fx;

/* ---- setting up ------------------------------------------------------------------ */

static int64_t db_count(const e2e_server *s, const char *sql)
{
	e2e_db *db = e2e_db_connect(s);
	int64_t n = e2e_db_int(db, sql, NULL, NULL);
	e2e_db_close(db);
	return n;
}

/* CreateAccount with a unit and a person (either may be NULL). */
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

/* Loads the fixture (and extra SQL, may be NULL) and starts the server. */
static int setup_with(void **state, const char *extra_sql, const char *const *args)
{
	fx *f = calloc(1, sizeof *f);
	if (f == NULL || e2e_server_init(&f->s) != 0)
		goto fail;
	e2e_db *db = e2e_db_connect(&f->s);
	e2e_db_exec(db, FIXTURE);
	if (extra_sql != NULL)
		e2e_db_exec(db, extra_sql);
	e2e_db_ids_given(db);
	e2e_db_close(db);
	if (e2e_server_start(&f->s, args) != 0)
		goto fail;
	snprintf(f->watch_out, sizeof f->watch_out, "%s/watch.out", f->s.dir);
	snprintf(f->watch_log, sizeof f->watch_log, "%s/watch.log", f->s.dir);
	*state = f;
	return 0;
fail:
	if (f != NULL)
		e2e_server_cleanup(&f->s);
	free(f);
	return -1;
}

static int setup(void **state)
{
	static const char *const args[] = {"--rate-limit", "0", NULL};
	if (setup_with(state, NULL, args) != 0)
		return -1;
	fx *f = *state;
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇 clerk 1", "WX", NULL, f->wx);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "五乡镇 clerk 2", "WX", NULL, f->wx2);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_TOWN, "下应 clerk", "XY", NULL, f->xy);
	account(&f->s, LUOSHI__V1__ROLE__ROLE_LEADER, "张区长", NULL, "L01", f->leader);
	return 0;
}

static void watcher_kill(fx *f)
{
	if (f->watcher > 0) {
		kill(f->watcher, SIGKILL);
		waitpid(f->watcher, NULL, 0);
		f->watcher = 0;
	}
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = 0;
	if (f != NULL) {
		watcher_kill(f);
		if (f->s.pid > 0 && e2e_server_stop(&f->s) != 0)
			rc = -1;
		e2e_server_cleanup(&f->s);
		free(f);
	}
	return rc;
}

/* ---- calling ------------------------------------------------------------------------ */

static luoshi_client *client(const fx *f, const char *token)
{
	return e2e_client(f->s.tcp_url, token, 10000);
}

static int send_notice(const fx *f, const char *token, const char *to, const char *text,
                       Luoshi__V1__SendNoticeResponse **out, ls_status *st)
{
	luoshi_client *c = client(f, token);
	Luoshi__V1__SendNoticeRequest req = LUOSHI__V1__SEND_NOTICE_REQUEST__INIT;
	req.to = (char *)to;
	req.text = (char *)text;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_SEND, &req.base, NULL, &m, st);
	luoshi_client_close(c);
	if (out != NULL)
		*out = (Luoshi__V1__SendNoticeResponse *)m;
	else if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

static void send_ok(const fx *f, const char *to, const char *text)
{
	ls_status st;
	int rc = send_notice(f, f->s.admin_token, to, text, NULL, &st);
	if (rc != LS_OK)
		fail_msg("SendNotice %s: %s %s", to, ls_code_name(rc), st.message);
}

/* One ListInbox page; the caller frees it. */
static Luoshi__V1__ListInboxResponse *list(const fx *f, const char *token,
                                           const Luoshi__V1__ListInboxRequest *req)
{
	luoshi_client *c = client(f, token);
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_LIST, &req->base, NULL, &m, &st);
	luoshi_client_close(c);
	if (rc != LS_OK)
		fail_msg("ListInbox: %s %s", ls_code_name(rc), st.message);
	return (Luoshi__V1__ListInboxResponse *)m;
}

static Luoshi__V1__ListInboxResponse *list_all(const fx *f, const char *token, bool unread)
{
	Luoshi__V1__ListInboxRequest req = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
	req.has_unread_only = unread;
	req.unread_only = unread;
	req.has_page_size = true;
	req.page_size = 1000;
	return list(f, token, &req);
}

static int ack(const fx *f, const char *token, uint64_t seq, bool all, int recipient,
               Luoshi__V1__AckResponse **out, ls_status *st)
{
	luoshi_client *c = client(f, token);
	Luoshi__V1__AckRequest req = LUOSHI__V1__ACK_REQUEST__INIT;
	if (seq > 0) {
		req.has_seq = true;
		req.seq = seq;
	}
	if (all) {
		req.has_all = true;
		req.all = true;
	}
	if (recipient != 0) {
		req.has_recipient = true;
		req.recipient = (Luoshi__V1__RecipientKind)recipient;
	}
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_ACK, &req.base, NULL, &m, st);
	luoshi_client_close(c);
	if (out != NULL)
		*out = (Luoshi__V1__AckResponse *)m;
	else if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

static Luoshi__V1__GetCursorResponse *cursors(const fx *f, const char *token)
{
	luoshi_client *c = client(f, token);
	Luoshi__V1__GetCursorRequest req = LUOSHI__V1__GET_CURSOR_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	int rc = e2e_call(c, M_CURSOR, &req.base, NULL, &m, &st);
	luoshi_client_close(c);
	if (rc != LS_OK)
		fail_msg("GetCursor: %s %s", ls_code_name(rc), st.message);
	return (Luoshi__V1__GetCursorResponse *)m;
}

/* The unit cursor's acked and latest numbers. */
static void unit_cursor(const fx *f, const char *token, uint64_t *acked, uint64_t *latest)
{
	Luoshi__V1__GetCursorResponse *r = cursors(f, token);
	assert_true(r->n_cursors >= 1);
	assert_int_equal(r->cursors[0]->recipient_kind,
	                 LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_UNIT);
	*acked = r->cursors[0]->acked_seq;
	*latest = r->cursors[0]->latest_seq;
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static int64_t reminders_written(const fx *f)
{
	return db_count(&f->s, "SELECT count(*) FROM reminders");
}

/* ---- notices and inboxes ------------------------------------------------------------ */

static void test_notice_reaches_its_inboxes(void **state)
{
	fx *f = *state;
	Luoshi__V1__SendNoticeResponse *r;
	ls_status st;
	assert_int_equal(send_notice(f, f->s.admin_token, "unit:WX", "请于周五前报送进度", &r, &st),
	                 LS_OK);
	assert_string_equal(r->notice, "notice:1");
	assert_int_equal(r->n_deliveries, 1);
	assert_string_equal(r->deliveries[0]->recipient_code, "WX");
	assert_string_equal(r->deliveries[0]->recipient_name, "五乡镇");
	assert_int_equal(r->deliveries[0]->seq, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	Luoshi__V1__ListInboxResponse *in = list_all(f, f->wx, false);
	assert_int_equal(in->n_reminders, 1);
	const Luoshi__V1__Reminder *m = in->reminders[0];
	assert_int_equal(m->seq, 1);
	assert_int_equal(m->kind, LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_NOTICE);
	assert_string_equal(m->text, "请于周五前报送进度");
	assert_string_equal(m->subject, "notice:1");
	assert_int_equal(m->recipient_kind, LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_UNIT);
	assert_string_equal(m->recipient_code, "WX");
	assert_non_null(m->created_at);
	assert_null(in->next_page_token);
	protobuf_c_message_free_unpacked(&in->base, NULL);
	in = list_all(f, f->xy, false);
	assert_int_equal(in->n_reminders, 0);
	protobuf_c_message_free_unpacked(&in->base, NULL);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM reminders WHERE recipient_kind = "
	                                 "'unit' AND recipient_id = 2 AND seq = 1"),
	                 1);
	assert_int_equal(reminders_written(f), 1);
	/* The write is audited, with the request as its "after". */
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'notice' "
	                                 "AND entity_id = 1 AND method = "
	                                 "'/luoshi.v1.ReminderService/SendNotice' AND after LIKE "
	                                 "'%unit:WX%'"),
	                 1);

	/* A person: the leader's account reads the person's inbox too; its
	 * unit (the office) gets nothing. */
	assert_int_equal(send_notice(f, f->s.admin_token, "person:张区长", "明日调研", &r, &st),
	                 LS_OK);
	assert_int_equal(r->n_deliveries, 1);
	assert_int_equal(r->deliveries[0]->recipient_kind,
	                 LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON);
	assert_string_equal(r->deliveries[0]->recipient_code, "L01");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	in = list_all(f, f->leader, false);
	assert_int_equal(in->n_reminders, 1);
	assert_int_equal(in->reminders[0]->recipient_kind,
	                 LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON);
	assert_string_equal(in->reminders[0]->text, "明日调研");
	protobuf_c_message_free_unpacked(&in->base, NULL);
	in = list_all(f, f->s.admin_token, false);
	assert_int_equal(in->n_reminders, 0);
	protobuf_c_message_free_unpacked(&in->base, NULL);

	/* role:town: the units with live town accounts, WX and XY; not DQ in
	 * the other district. */
	assert_int_equal(send_notice(f, f->s.admin_token, "role:town", "镇街通知", &r, &st), LS_OK);
	assert_int_equal(r->n_deliveries, 2);
	assert_string_equal(r->deliveries[0]->recipient_code, "WX");
	assert_int_equal(r->deliveries[0]->seq, 2);
	assert_string_equal(r->deliveries[1]->recipient_code, "XY");
	assert_int_equal(r->deliveries[1]->seq, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* role:leader: the persons of leader accounts. */
	assert_int_equal(send_notice(f, f->s.admin_token, "role:leader", "领导通知", &r, &st),
	                 LS_OK);
	assert_int_equal(r->n_deliveries, 1);
	assert_string_equal(r->deliveries[0]->recipient_code, "L01");
	assert_int_equal(r->deliveries[0]->seq, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* all: every active unit within the office's district, as unit rows. */
	assert_int_equal(send_notice(f, f->s.admin_token, "all", "全区通知", &r, &st), LS_OK);
	assert_int_equal(r->n_deliveries, 4);
	const char *codes[] = {"office", "WX", "XY", "FGJ"};
	const uint64_t seqs[] = {1, 3, 2, 1};
	for (int i = 0; i < 4; i++) {
		assert_string_equal(r->deliveries[i]->recipient_code, codes[i]);
		assert_int_equal(r->deliveries[i]->seq, seqs[i]);
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM reminders WHERE "
	                                 "recipient_kind = 'unit' AND recipient_id IN (5, 6)"),
	                 0);
	assert_int_equal(reminders_written(f), 1 + 1 + 2 + 1 + 4);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log WHERE entity = 'notice'"),
	                 5);
	/* One notice, one subject for all its rows. */
	assert_int_equal(db_count(&f->s, "SELECT count(DISTINCT subject_key) FROM reminders"), 5);
}

static void test_two_clerks_read_on_their_own(void **state)
{
	fx *f = *state;
	send_ok(f, "unit:WX", "通知一");
	Luoshi__V1__ListInboxResponse *a = list_all(f, f->wx, true);
	Luoshi__V1__ListInboxResponse *b = list_all(f, f->wx2, true);
	assert_int_equal(a->n_reminders, 1);
	assert_int_equal(b->n_reminders, 1);
	assert_string_equal(a->reminders[0]->text, "通知一");
	assert_string_equal(b->reminders[0]->text, "通知一");
	protobuf_c_message_free_unpacked(&a->base, NULL);
	protobuf_c_message_free_unpacked(&b->base, NULL);

	ls_status st;
	Luoshi__V1__AckResponse *ar;
	assert_int_equal(ack(f, f->wx, 1, false, 0, &ar, &st), LS_OK);
	assert_int_equal(ar->n_cursors, 1);
	assert_int_equal(ar->cursors[0]->acked_seq, 1);
	assert_int_equal(ar->cursors[0]->latest_seq, 1);
	assert_int_equal(ar->cursors[0]->unread, 0);
	assert_string_equal(ar->cursors[0]->topic, "u/2/");
	protobuf_c_message_free_unpacked(&ar->base, NULL);
	a = list_all(f, f->wx, true);
	b = list_all(f, f->wx2, true);
	assert_int_equal(a->n_reminders, 0);
	assert_int_equal(b->n_reminders, 1);
	protobuf_c_message_free_unpacked(&a->base, NULL);
	protobuf_c_message_free_unpacked(&b->base, NULL);
	uint64_t acked, latest;
	unit_cursor(f, f->wx2, &acked, &latest);
	assert_int_equal(acked, 0);
	assert_int_equal(latest, 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM reminder_cursors"), 1);

	/* Never backwards; never past the newest. */
	send_ok(f, "unit:WX", "通知二");
	send_ok(f, "unit:WX", "通知三");
	assert_int_equal(ack(f, f->wx, 3, false, 0, NULL, &st), LS_OK);
	assert_int_equal(ack(f, f->wx, 1, false, 0, NULL, &st), LS_OK);
	unit_cursor(f, f->wx, &acked, &latest);
	assert_int_equal(acked, 3);
	assert_int_equal(latest, 3);
	assert_int_equal(ack(f, f->wx2, 4, false, 0, NULL, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "seq");
	unit_cursor(f, f->wx2, &acked, &latest);
	assert_int_equal(acked, 0);
	b = list_all(f, f->wx2, true);
	assert_int_equal(b->n_reminders, 3);
	protobuf_c_message_free_unpacked(&b->base, NULL);
	assert_int_equal(ack(f, f->wx2, 0, true, 0, NULL, &st), LS_OK);
	unit_cursor(f, f->wx2, &acked, &latest);
	assert_int_equal(acked, 3);

	/* The leader's two inboxes, acknowledged apart. */
	send_ok(f, "person:L01", "个人通知");
	send_ok(f, "unit:office", "办公室通知");
	Luoshi__V1__GetCursorResponse *c = cursors(f, f->leader);
	assert_int_equal(c->n_cursors, 2);
	assert_string_equal(c->cursors[0]->recipient_code, "office");
	assert_string_equal(c->cursors[0]->topic, "u/1/");
	assert_int_equal(c->cursors[0]->unread, 1);
	assert_int_equal(c->cursors[1]->recipient_kind,
	                 LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON);
	assert_string_equal(c->cursors[1]->recipient_code, "L01");
	assert_string_equal(c->cursors[1]->topic, "p/1/");
	assert_int_equal(c->cursors[1]->unread, 1);
	protobuf_c_message_free_unpacked(&c->base, NULL);
	assert_int_equal(ack(f, f->leader, 1, false,
	                     LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON, NULL, &st),
	                 LS_OK);
	c = cursors(f, f->leader);
	assert_int_equal(c->cursors[0]->unread, 1);
	assert_int_equal(c->cursors[1]->unread, 0);
	protobuf_c_message_free_unpacked(&c->base, NULL);
	/* A town account has no person's inbox. */
	assert_int_equal(
	    ack(f, f->wx, 1, false, LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON, NULL, &st),
	    LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "recipient");
	assert_int_equal(ack(f, f->wx, 0, false, 0, NULL, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "seq");
	assert_int_equal(ack(f, f->wx, 1, true, 0, NULL, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "seq");
}

/* A town reads its own inbox only: there is no field to name another, and
 * a field the server does not know (a forged "unit id") is ignored. */
static void test_town_reads_only_its_inbox(void **state)
{
	fx *f = *state;
	send_ok(f, "unit:WX", "五乡镇的通知");
	send_ok(f, "unit:XY", "下应的通知");
	send_ok(f, "person:L01", "领导的通知");
	Luoshi__V1__ListInboxResponse *r = list_all(f, f->xy, false);
	assert_int_equal(r->n_reminders, 1);
	assert_string_equal(r->reminders[0]->recipient_code, "XY");
	assert_string_equal(r->reminders[0]->text, "下应的通知");
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* ListInboxRequest with an extra field 50 = 2 (WX's id) appended. */
	Luoshi__V1__ListInboxRequest req = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
	req.has_after_seq = true;
	req.after_seq = 0;
	uint8_t body[64];
	size_t n = luoshi__v1__list_inbox_request__pack(&req, body);
	body[n++] = 0x90; /* field 50, varint */
	body[n++] = 0x03;
	body[n++] = 0x02;
	luoshi_client *c = client(f, f->xy);
	uint8_t *resp;
	size_t resp_len;
	ls_status st;
	assert_int_equal(luoshi_client_call_raw(c, M_LIST, body, n, NULL, &resp, &resp_len, &st),
	                 LS_OK);
	luoshi_client_close(c);
	r = luoshi__v1__list_inbox_response__unpack(NULL, resp_len, resp);
	free(resp);
	assert_non_null(r);
	assert_int_equal(r->n_reminders, 1);
	assert_string_equal(r->reminders[0]->recipient_code, "XY");
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A page token of another inbox's row shows nothing of it either. */
	Luoshi__V1__ListInboxRequest preq = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
	preq.page_token = (char *)"0";
	r = list(f, f->xy, &preq);
	assert_int_equal(r->n_reminders, 1);
	assert_string_equal(r->reminders[0]->recipient_code, "XY");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* Asking for a person's inbox without one is refused. */
	preq.page_token = NULL;
	preq.has_recipient = true;
	preq.recipient = LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON;
	c = client(f, f->xy);
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_LIST, &preq.base, NULL, &m, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "recipient");
	luoshi_client_close(c);
	/* Acknowledging its own seq 1 moves its own cursor only. */
	assert_int_equal(ack(f, f->xy, 1, false, 0, NULL, &st), LS_OK);
	uint64_t acked, latest;
	unit_cursor(f, f->wx, &acked, &latest);
	assert_int_equal(acked, 0);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM reminder_cursors WHERE "
	                                 "recipient_kind = 'unit' AND recipient_id = 3"),
	                 1);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM reminder_cursors"), 1);
}

static void test_paging(void **state)
{
	fx *f = *state;
	for (int i = 1; i <= 7; i++) {
		char text[32];
		snprintf(text, sizeof text, "第%d条", i);
		send_ok(f, "unit:WX", text);
	}
	Luoshi__V1__ListInboxRequest req = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
	req.has_page_size = true;
	req.page_size = 3;
	uint64_t want = 1;
	char token[32] = "";
	int pages = 0;
	for (;;) {
		req.page_token = token[0] ? token : NULL;
		Luoshi__V1__ListInboxResponse *r = list(f, f->wx, &req);
		pages++;
		for (size_t i = 0; i < r->n_reminders; i++) {
			char text[32];
			snprintf(text, sizeof text, "第%" PRIu64 "条", want);
			assert_int_equal(r->reminders[i]->seq, want);
			assert_string_equal(r->reminders[i]->text, text);
			want++;
		}
		assert_int_equal(r->n_reminders, pages < 3 ? 3 : 1);
		bool more = r->next_page_token != NULL;
		if (more)
			snprintf(token, sizeof token, "%s", r->next_page_token);
		protobuf_c_message_free_unpacked(&r->base, NULL);
		if (!more)
			break;
	}
	assert_int_equal(pages, 3);
	assert_int_equal(want, 8);

	/* after_seq, and unread_only over the cursor: the larger wins. */
	ls_status st;
	assert_int_equal(ack(f, f->wx, 5, false, 0, NULL, &st), LS_OK);
	Luoshi__V1__ListInboxRequest q = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
	q.has_after_seq = true;
	q.after_seq = 2;
	Luoshi__V1__ListInboxResponse *r = list(f, f->wx, &q);
	assert_int_equal(r->n_reminders, 5);
	assert_int_equal(r->reminders[0]->seq, 3);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	q.has_unread_only = true;
	q.unread_only = true;
	r = list(f, f->wx, &q);
	assert_int_equal(r->n_reminders, 2);
	assert_int_equal(r->reminders[0]->seq, 6);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	q.after_seq = 6;
	r = list(f, f->wx, &q);
	assert_int_equal(r->n_reminders, 1);
	assert_int_equal(r->reminders[0]->seq, 7);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A page size over the limit is cut to it; a token not given is
	 * refused. */
	Luoshi__V1__ListInboxRequest big = LUOSHI__V1__LIST_INBOX_REQUEST__INIT;
	big.has_page_size = true;
	big.page_size = 100000;
	r = list(f, f->wx, &big);
	assert_int_equal(r->n_reminders, 7);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	big.page_token = (char *)"x1";
	luoshi_client *c = client(f, f->wx);
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_LIST, &big.base, NULL, &m, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "page_token");
	luoshi_client_close(c);
}

/* ---- bad input, roles ---------------------------------------------------------------- */

static void test_validation(void **state)
{
	fx *f = *state;
	send_ok(f, "unit:WX", "先发一条");
	int64_t rows = reminders_written(f);
	int64_t audits = db_count(&f->s, "SELECT count(*) FROM audit_log");
	char long_text[2002];
	memset(long_text, 'x', 2001);
	long_text[2001] = '\0';
	static const struct {
		const char *to;
		const char *text;
		int code;
		const char *field;
	} cases[] = {
	    {NULL, "通知", LS_INVALID_ARGUMENT, "to"},
	    {"", "通知", LS_INVALID_ARGUMENT, "to"},
	    {"team:WX", "通知", LS_INVALID_ARGUMENT, "to"},
	    {"unit:", "通知", LS_INVALID_ARGUMENT, "to"},
	    {"unitWX", "通知", LS_INVALID_ARGUMENT, "to"},
	    {"unit:NOPE", "通知", LS_INVALID_ARGUMENT, "to"},
	    {"person:NOPE", "通知", LS_INVALID_ARGUMENT, "to"},
	    {"role:king", "通知", LS_INVALID_ARGUMENT, "to"},
	    {"everyone", "通知", LS_INVALID_ARGUMENT, "to"},
	    {"unit:WX", NULL, LS_INVALID_ARGUMENT, "text"},
	    {"unit:WX", "", LS_INVALID_ARGUMENT, "text"},
	    {"unit:WX", " \n\t", LS_INVALID_ARGUMENT, "text"},
	    {"unit:WX", "LONG", LS_INVALID_ARGUMENT, "text"},
	    /* Outside the office's district. */
	    {"unit:DQ", "通知", LS_PERMISSION_DENIED, "to"},
	    {"person:P09", "通知", LS_PERMISSION_DENIED, "to"},
	    /* Nobody holds an inspector account. */
	    {"role:inspector", "通知", LS_FAILED_PRECONDITION, "to"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ls_status st;
		const char *text =
		    cases[i].text && strcmp(cases[i].text, "LONG") == 0 ? long_text : cases[i].text;
		int rc = send_notice(f, f->s.admin_token, cases[i].to, text, NULL, &st);
		if (rc != cases[i].code || strcmp(st.field, cases[i].field) != 0)
			fail_msg("case %zu (to %s): %s field '%s' (%s), wanted %s field '%s'", i,
			         cases[i].to ? cases[i].to : "(none)", ls_code_name(rc), st.field,
			         st.message, ls_code_name(cases[i].code), cases[i].field);
	}
	assert_int_equal(reminders_written(f), rows);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log"), audits);
	/* 2000 bytes exactly: 666 Chinese characters and two ASCII ones. */
	char just[2001] = "";
	for (int i = 0; i < 666; i++)
		strcat(just, "通");
	strcat(just, "ok");
	assert_int_equal(strlen(just), 2000);
	ls_status st;
	assert_int_equal(send_notice(f, f->s.admin_token, "unit:XY", just, NULL, &st), LS_OK);
	Luoshi__V1__ListInboxResponse *r = list_all(f, f->xy, false);
	assert_string_equal(r->reminders[0]->text, just);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_role_matrix(void **state)
{
	fx *f = *state;
	struct {
		int role;
		const char *unit;
		const char *person;
		char token[TOKEN_MAX];
	} roles[] = {
	    {LUOSHI__V1__ROLE__ROLE_LEADER, NULL, "P02", ""},
	    {LUOSHI__V1__ROLE__ROLE_TOWN, "WX", NULL, ""},
	    {LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "FGJ", NULL, ""},
	    {LUOSHI__V1__ROLE__ROLE_INSPECTOR, NULL, NULL, ""},
	    {LUOSHI__V1__ROLE__ROLE_DISCIPLINE, NULL, NULL, ""},
	    {LUOSHI__V1__ROLE__ROLE_VIEWER, NULL, NULL, ""},
	};
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		account(&f->s, roles[i].role, "role", roles[i].unit, roles[i].person,
		        roles[i].token);
	int64_t rows = reminders_written(f);
	int64_t audits = db_count(&f->s, "SELECT count(*) FROM audit_log");
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		ls_status st;
		int rc = send_notice(f, roles[i].token, "all", "越权通知", NULL, &st);
		if (rc != LS_PERMISSION_DENIED)
			fail_msg("role %d: SendNotice gave %s", roles[i].role, ls_code_name(rc));
	}
	assert_int_equal(reminders_written(f), rows);
	assert_int_equal(db_count(&f->s, "SELECT count(*) FROM audit_log"), audits);
	/* The admin may; then every role reads and acknowledges its own. */
	send_ok(f, "all", "全区通知");
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		Luoshi__V1__ListInboxResponse *r = list_all(f, roles[i].token, true);
		assert_int_equal(r->n_reminders, 1);
		assert_string_equal(r->reminders[0]->text, "全区通知");
		protobuf_c_message_free_unpacked(&r->base, NULL);
		ls_status st;
		assert_int_equal(ack(f, roles[i].token, 0, true, 0, NULL, &st), LS_OK);
		r = list_all(f, roles[i].token, true);
		assert_int_equal(r->n_reminders, 0);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	/* Unauthenticated: nothing. */
	luoshi_client *c = e2e_client(f->s.tcp_url, NULL, 10000);
	Luoshi__V1__GetCursorRequest req = LUOSHI__V1__GET_CURSOR_REQUEST__INIT;
	ProtobufCMessage *m;
	ls_status st;
	assert_int_equal(e2e_call(c, M_CURSOR, &req.base, NULL, &m, &st), LS_UNAUTHENTICATED);
	luoshi_client_close(c);
}

/* ---- the push socket -------------------------------------------------------------------- */

static atomic_int pipes;

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)ev;
	(void)arg;
	atomic_fetch_add(&pipes, 1);
}

/* An announcement is the recipient's terminated topic and the new number:
 * no text. A subscriber of u/2/ does not get u/3/'s, nor u/22/'s. */
static void test_announcements_carry_no_content(void **state)
{
	fx *f = *state;
	nng_socket sub;
	assert_int_equal(nng_sub0_open(&sub), 0);
	assert_int_equal(nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, "u/2/", 4), 0);
	assert_int_equal(nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 5000), 0);
	atomic_store(&pipes, 0);
	assert_int_equal(nng_pipe_notify(sub, NNG_PIPE_EV_ADD_POST, on_pipe, NULL), 0);
	assert_int_equal(nng_dial(sub, f->s.pub_url, NULL, 0), 0);
	uint64_t end = e2e_now_ms() + WAIT_MS;
	while (atomic_load(&pipes) == 0 && e2e_now_ms() < end)
		e2e_poll_pause();
	assert_true(atomic_load(&pipes) > 0);

	send_ok(f, "unit:XY", "不是五乡镇的");
	send_ok(f, "unit:WX", "五乡镇的第一条");
	send_ok(f, "unit:WX", "五乡镇的第二条");
	/* "u/2/1" then "u/2/2", or only "u/2/2" when the two were announced
	 * in one round (the newest number stands for both). */
	char *buf;
	size_t len;
	assert_int_equal(nng_recv(sub, &buf, &len, NNG_FLAG_ALLOC), 0);
	assert_int_equal(len, 5);
	if (memcmp(buf, "u/2/1", 5) == 0) {
		nng_free(buf, len);
		assert_int_equal(nng_recv(sub, &buf, &len, NNG_FLAG_ALLOC), 0);
		assert_int_equal(len, 5);
	}
	assert_memory_equal(buf, "u/2/2", 5);
	nng_free(buf, len);
	assert_int_equal(nng_recv(sub, &buf, &len, NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK), NNG_EAGAIN);
	nng_close(sub);
}

static int setup_burst(void **state)
{
	static const char *const args[] = {"--rate-limit", "0", "--push-coalesce", "2", NULL};
	return setup_with(state, NULL, args);
}

/* With --push-coalesce 2, a notice to four units is one "all/"
 * announcement, not four; a notice to one unit is that unit's. */
static void test_burst_is_one_announcement(void **state)
{
	fx *f = *state;
	nng_socket sub;
	assert_int_equal(nng_sub0_open(&sub), 0);
	assert_int_equal(nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, "u/2/", 4), 0);
	assert_int_equal(nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, "all/", 4), 0);
	assert_int_equal(nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 5000), 0);
	atomic_store(&pipes, 0);
	assert_int_equal(nng_pipe_notify(sub, NNG_PIPE_EV_ADD_POST, on_pipe, NULL), 0);
	assert_int_equal(nng_dial(sub, f->s.pub_url, NULL, 0), 0);
	uint64_t end = e2e_now_ms() + WAIT_MS;
	while (atomic_load(&pipes) == 0 && e2e_now_ms() < end)
		e2e_poll_pause();
	assert_true(atomic_load(&pipes) > 0);

	Luoshi__V1__SendNoticeResponse *r;
	ls_status st;
	assert_int_equal(send_notice(f, f->s.admin_token, "all", "全区通知", &r, &st), LS_OK);
	assert_int_equal(r->n_deliveries, 4);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	char *buf;
	size_t len;
	assert_int_equal(nng_recv(sub, &buf, &len, NNG_FLAG_ALLOC), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "all/1", 5);
	nng_free(buf, len);
	/* Sent only now: sent at once, on a busy machine it could reach the
	 * announcer in the same round as the four, and rightly be folded into
	 * the "all/" announcement. */
	send_ok(f, "unit:WX", "五乡镇的通知");
	assert_int_equal(nng_recv(sub, &buf, &len, NNG_FLAG_ALLOC), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "u/2/2", 5);
	nng_free(buf, len);
	nng_close(sub);
}

/* ---- the watcher ----------------------------------------------------------------------- */

/* Starts `luoshi watch` as token on the server's ipc URL (the same across
 * restarts); --exec appends "seq|kind|text" to watch.out. */
static void watcher_start(fx *f, const char *token)
{
	const char *luoshi = getenv("LUOSHI");
	assert_non_null(luoshi);
	char cmd[E2E_PATH_MAX + 128];
	snprintf(cmd, sizeof cmd,
	         "printf '%%s|%%s|%%s\\n' \"$LUOSHI_REMINDER_SEQ\" \"$LUOSHI_REMINDER_KIND\" "
	         "\"$LUOSHI_REMINDER_TEXT\" >> '%s'",
	         f->watch_out);
	char *argv[] = {(char *)luoshi,
	                (char *)"watch",
	                (char *)"--poll",
	                (char *)"1000",
	                (char *)"--exec",
	                cmd,
	                NULL};
	char srv[E2E_PATH_MAX + 32], tok[TOKEN_MAX + 16], home[E2E_PATH_MAX + 8];
	char xdg[E2E_PATH_MAX + 24], ld[E2E_PATH_MAX + 32], kept[3][512];
	char *env[16];
	int n = 0;
	env[n++] = (char *)"PATH=/usr/local/bin:/usr/bin:/bin";
	env[n++] = (char *)"LANG=C";
	snprintf(srv, sizeof srv, "LUOSHI_SERVER=%s", f->s.ipc_url);
	env[n++] = srv;
	snprintf(tok, sizeof tok, "LUOSHI_TOKEN=%s", token);
	env[n++] = tok;
	snprintf(home, sizeof home, "HOME=%s", f->s.dir);
	env[n++] = home;
	snprintf(xdg, sizeof xdg, "XDG_CONFIG_HOME=%s", f->s.dir);
	env[n++] = xdg;
	if (getenv("LUOSHI_LOCALEDIR") != NULL) {
		snprintf(ld, sizeof ld, "LUOSHI_LOCALEDIR=%s", getenv("LUOSHI_LOCALEDIR"));
		env[n++] = ld;
	}
	static const char *const keep[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
	for (int i = 0; i < 3; i++) {
		if (getenv(keep[i]) != NULL) {
			snprintf(kept[i], sizeof kept[i], "%s=%s", keep[i], getenv(keep[i]));
			env[n++] = kept[i];
		}
	}
	env[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, f->watch_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid;
	int rc = posix_spawn(&pid, luoshi, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(rc, 0);
	f->watcher = pid;
}

/* Waits until the watcher has shown and acknowledged everything of WX:
 * its account's cursor reaches the newest reminder. */
static void wait_caught_up(fx *f, uint64_t latest_wanted)
{
	uint64_t end = e2e_now_ms() + WAIT_MS, acked = 0, latest = 0;
	while (e2e_now_ms() < end) {
		unit_cursor(f, f->wx, &acked, &latest);
		if (latest == latest_wanted && acked == latest)
			return;
		e2e_poll_pause();
	}
	char *log = e2e_read_file(f->watch_log, NULL);
	fail_msg("the watcher read up to %" PRIu64 " of %" PRIu64 " (wanted %" PRIu64 ")\n%s",
	         acked, latest, latest_wanted, log ? log : "");
}

static void send_wx(fx *f, int from, int to)
{
	for (int i = from; i <= to; i++) {
		char text[64];
		snprintf(text, sizeof text, "五乡镇通知 %d", i);
		send_ok(f, "unit:WX", text);
	}
}

static void restart_server(fx *f)
{
	static const char *const args[] = {"--rate-limit", "0", NULL};
	assert_int_equal(e2e_server_start(&f->s, args), 0);
}

static void kill_server(fx *f)
{
	kill(f->s.pid, SIGKILL);
	assert_int_equal(e2e_server_wait(&f->s, 15000), 128 + SIGKILL);
}

static void test_watch_survives_kills(void **state)
{
	fx *f = *state;
	watcher_start(f, f->wx);
	send_wx(f, 1, 3);
	wait_caught_up(f, 3);
	assert_true(e2e_file_contains(f->watch_out, "3|notice|五乡镇通知 3\n"));

	/* The watcher killed outright; two notices while it is away. */
	watcher_kill(f);
	send_wx(f, 4, 5);
	watcher_start(f, f->wx);
	wait_caught_up(f, 5);

	/* The server killed outright under a running watcher, and back. */
	kill_server(f);
	restart_server(f);
	send_wx(f, 6, 7);
	wait_caught_up(f, 7);

	/* Both killed; notices while the watcher is away. */
	kill_server(f);
	watcher_kill(f);
	restart_server(f);
	send_wx(f, 8, 9);
	watcher_start(f, f->wx);
	wait_caught_up(f, 9);

	/* The server stopped cleanly and started again; the watcher waits. */
	assert_int_equal(e2e_server_stop(&f->s), 0);
	restart_server(f);
	send_wx(f, 10, 10);
	wait_caught_up(f, 10);

	/* The watcher stops on SIGTERM, cleanly. */
	kill(f->watcher, SIGTERM);
	int ws;
	assert_int_equal(waitpid(f->watcher, &ws, 0), f->watcher);
	f->watcher = 0;
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);

	/* What it showed is the inbox: each once, in order, none missing. */
	Luoshi__V1__ListInboxResponse *r = list_all(f, f->wx2, false);
	assert_int_equal(r->n_reminders, 10);
	char want[2048] = "";
	for (size_t i = 0; i < r->n_reminders; i++) {
		char line[160];
		snprintf(line, sizeof line, "%" PRIu64 "|notice|%s\n", r->reminders[i]->seq,
		         r->reminders[i]->text);
		strcat(want, line);
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	char *got = e2e_read_file(f->watch_out, NULL);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	/* The other clerk's cursor did not move. */
	uint64_t acked, latest;
	unit_cursor(f, f->wx2, &acked, &latest);
	assert_int_equal(acked, 0);
	assert_int_equal(latest, 10);
}

/* Two watchers of one town, one per clerk: each shows every notice. */
static void test_two_watchers(void **state)
{
	fx *f = *state;
	watcher_start(f, f->wx);
	pid_t first = f->watcher;
	char out1[sizeof f->watch_out];
	snprintf(out1, sizeof out1, "%s", f->watch_out);
	snprintf(f->watch_out, sizeof f->watch_out, "%s/watch2.out", f->s.dir);
	watcher_start(f, f->wx2);
	pid_t second = f->watcher;
	send_wx(f, 1, 4);
	uint64_t end = e2e_now_ms() + WAIT_MS;
	while (e2e_now_ms() < end && !(e2e_file_contains(out1, "4|notice|") &&
	                               e2e_file_contains(f->watch_out, "4|notice|")))
		e2e_poll_pause();
	const char *want = "1|notice|五乡镇通知 1\n2|notice|五乡镇通知 2\n3|notice|五乡镇通知 3\n"
	                   "4|notice|五乡镇通知 4\n";
	/* Each acknowledges after it shows: wait for both cursors. */
	uint64_t acked1 = 0, acked2 = 0, latest;
	end = e2e_now_ms() + WAIT_MS;
	while ((acked1 < 4 || acked2 < 4) && e2e_now_ms() < end) {
		e2e_poll_pause();
		unit_cursor(f, f->wx, &acked1, &latest);
		unit_cursor(f, f->wx2, &acked2, &latest);
	}
	assert_int_equal(acked1, 4);
	assert_int_equal(acked2, 4);
	kill(first, SIGTERM);
	kill(second, SIGTERM);
	int ws1, ws2;
	assert_int_equal(waitpid(first, &ws1, 0), first);
	assert_int_equal(waitpid(second, &ws2, 0), second);
	f->watcher = 0;
	assert_true(WIFEXITED(ws1) && WEXITSTATUS(ws1) == 0);
	assert_true(WIFEXITED(ws2) && WEXITSTATUS(ws2) == 0);
	char *a = e2e_read_file(out1, NULL), *b = e2e_read_file(f->watch_out, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, want);
	assert_string_equal(b, want);
	free(a);
	free(b);
}

/* ---- the command line ------------------------------------------------------------------- */

static void cli(const fx *f, const char *token, const char *lang, const char *const *args, int want,
                e2e_run *r)
{
	e2e_cli(f->s.dir, f->s.tcp_url, token, lang, args, r);
	if (r->status != want)
		fail_msg("luoshi %s %s: exit %d, wanted %d\nstdout: %s\nstderr: %s", args[0],
		         args[1] ? args[1] : "", r->status, want, r->out, r->err);
}

static void test_cli(void **state)
{
	fx *f = *state;
	e2e_run r;
	const char *send[] = {"notice", "send", "--to", "unit:五乡镇", "周五前报送", NULL};
	cli(f, f->s.admin_token, NULL, send, 0, &r);
	assert_non_null(strstr(r.out, "Notice notice:1 sent to 1 inbox."));
	assert_non_null(strstr(r.out, "WX 五乡镇"));
	e2e_run_free(&r);
	const char *send2[] = {"notice", "send", "--to", "role:town", "第二条", NULL};
	cli(f, f->s.admin_token, "zh_CN.UTF-8", send2, 0, &r);
	e2e_run_free(&r);

	const char *inbox[] = {"inbox", NULL};
	cli(f, f->wx, NULL, inbox, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 3);
	assert_non_null(strstr(r.out, "周五前报送"));
	assert_non_null(strstr(r.out, "第二条"));
	assert_non_null(strstr(r.out, "notice"));
	e2e_run_free(&r);
	cli(f, f->wx, "zh_CN.UTF-8", inbox, 0, &r);
	assert_non_null(strstr(r.out, "通知"));
	assert_non_null(strstr(r.out, "五乡镇"));
	e2e_run_free(&r);

	const char *ack1[] = {"ack", "1", NULL};
	cli(f, f->wx, NULL, ack1, 0, &r);
	assert_non_null(strstr(r.out, "WX 五乡镇"));
	e2e_run_free(&r);
	const char *unread[] = {"inbox", "--unread", "--json", NULL};
	cli(f, f->wx, NULL, unread, 0, &r);
	assert_non_null(strstr(r.out, "\"seq\": \"2\""));
	assert_null(strstr(r.out, "\"seq\": \"1\""));
	assert_non_null(strstr(r.out, "REMINDER_KIND_NOTICE"));
	e2e_run_free(&r);
	const char *ack_all[] = {"ack", "--all", NULL};
	cli(f, f->wx, NULL, ack_all, 0, &r);
	e2e_run_free(&r);
	const char *unread_plain[] = {"inbox", "--unread", NULL};
	cli(f, f->wx, NULL, unread_plain, 0, &r);
	assert_string_equal(r.out, "No unread reminders.\n");
	e2e_run_free(&r);
	/* The other clerk still has both. */
	cli(f, f->wx2, NULL, unread_plain, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 3);
	e2e_run_free(&r);
	const char *limit[] = {"inbox", "--limit", "1", NULL};
	cli(f, f->wx2, NULL, limit, 0, &r);
	assert_int_equal(e2e_count_lines(r.out), 2);
	e2e_run_free(&r);

	/* Errors: the exit code is the status. */
	const char *beyond[] = {"ack", "9", NULL};
	cli(f, f->wx, NULL, beyond, LS_INVALID_ARGUMENT, &r);
	assert_non_null(strstr(r.err, "seq"));
	e2e_run_free(&r);
	const char *person[] = {"ack", "p1", NULL};
	cli(f, f->wx, NULL, person, LS_INVALID_ARGUMENT, &r);
	assert_non_null(strstr(r.err, "recipient"));
	e2e_run_free(&r);
	const char *badseq[] = {"ack", "x", NULL};
	cli(f, f->wx, NULL, badseq, LS_INVALID_ARGUMENT, &r);
	e2e_run_free(&r);
	const char *noto[] = {"notice", "send", "文本", NULL};
	cli(f, f->s.admin_token, NULL, noto, LS_INVALID_ARGUMENT, &r);
	assert_non_null(strstr(r.err, "--to"));
	e2e_run_free(&r);
	const char *denied[] = {"notice", "send", "--to", "all", "越权", NULL};
	cli(f, f->wx, NULL, denied, LS_PERMISSION_DENIED, &r);
	e2e_run_free(&r);
	const char *bad_to[] = {"notice", "send", "--to", "unit:不存在", "文本", NULL};
	cli(f, f->s.admin_token, NULL, bad_to, LS_INVALID_ARGUMENT, &r);
	assert_non_null(strstr(r.err, "to"));
	e2e_run_free(&r);
	assert_int_equal(reminders_written(f), 3);

	const char *helps[][4] = {{"inbox", "--help", NULL, NULL},
	                          {"ack", "--help", NULL, NULL},
	                          {"watch", "--help", NULL, NULL},
	                          {"notice", "--help", NULL, NULL},
	                          {"notice", "send", "--help", NULL}};
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		cli(f, NULL, NULL, helps[i], 0, &r);
		assert_non_null(strstr(r.out, "Usage: luoshi"));
		e2e_run_free(&r);
	}
	cli(f, NULL, "zh_CN.UTF-8", helps[2], 0, &r);
	assert_non_null(strstr(r.out, "用法"));
	e2e_run_free(&r);
}

/* ---- the scheduler, end to end ------------------------------------------------------------ */

/* A project (monthly, so no weekly reminder) with three nodes of 区发改局:
 * one due tomorrow, one done, one a month away. */
static char scheduler_sql[1024];
static char daily_at[8];

static int setup_scheduler(void **state)
{
	/* Tomorrow in the server's zone; daily-at an hour ago there, so that no
	 * daily time passes while the test runs. */
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	time_t now = time(NULL);
	struct tm tm;
	time_t tomorrow_t = now + 24 * 3600, later_t = now + 30 * 24 * 3600, hour_ago = now - 3600;
	char tomorrow[16], later[16];
	localtime_r(&tomorrow_t, &tm);
	strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", &tm);
	localtime_r(&later_t, &tm);
	strftime(later, sizeof later, "%Y-%m-%d", &tm);
	localtime_r(&hour_ago, &tm);
	strftime(daily_at, sizeof daily_at, "%H:%M", &tm);
	snprintf(scheduler_sql, sizeof scheduler_sql,
	         "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
	         " lead_unit_id, town_id, total_investment, frequency, planned_start,"
	         " planned_finish, created_at) VALUES (1, 'P1', '中车产业基地', 'district',"
	         " 'industrial', 'new', 1, 4, 2, 1000, 'monthly', '2026-01-01', '2030-12-31',"
	         " '2026-01-01');"
	         "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, done_date,"
	         " created_at) VALUES (1, 1, '土地摘牌', '%s', 4, NULL, '2026-01-01'),"
	         " (2, 1, '已完成', '%s', 4, '2026-01-01', '2026-01-01'),"
	         " (3, 1, '远期节点', '%s', 4, NULL, '2026-01-01');",
	         tomorrow, tomorrow, later);
	const char *args[] = {"--scheduler-interval-ms", "200", "--daily-at", daily_at, NULL};
	return setup_with(state, scheduler_sql, args);
}

/* Waits until every rule has run for two seconds more (its recorded run
 * time, in seconds, is 2 past now): some ten ticks at 200 ms. */
static void wait_ticks(fx *f)
{
	int64_t start = (int64_t)time(NULL);
	uint64_t end = e2e_now_ms() + WAIT_MS;
	while (e2e_now_ms() < end) {
		if (db_count(&f->s, "SELECT count(*) FROM scheduler_state") == 3 &&
		    db_count(&f->s, "SELECT min(last_run) FROM scheduler_state") >= start + 2)
			return;
		e2e_poll_pause();
	}
	fail_msg("the scheduler did not tick");
}

static void test_scheduler_node_due(void **state)
{
	fx *f = *state;
	char fgj[TOKEN_MAX];
	account(&f->s, LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "发改局", "FGJ", NULL, fgj);
	wait_ticks(f);
	const char *node_rows = "SELECT count(*) FROM reminders WHERE kind = 'node_due' AND "
	                        "subject_key = 'node:1' AND recipient_kind = 'unit' AND "
	                        "recipient_id = 4";
	assert_int_equal(db_count(&f->s, node_rows), 1);
	assert_int_equal(reminders_written(f), 1);
	Luoshi__V1__ListInboxResponse *r = list_all(f, fgj, true);
	assert_int_equal(r->n_reminders, 1);
	assert_int_equal(r->reminders[0]->kind, LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_NODE_DUE);
	assert_int_equal(r->reminders[0]->seq, 1);
	assert_string_equal(r->reminders[0]->subject, "node:1");
	assert_non_null(
	    strstr(r->reminders[0]->text, "【节点提醒】中车产业基地（P1）的节点「土地摘牌」"));
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Restarts, clean and not: still one. */
	assert_int_equal(e2e_server_stop(&f->s), 0);
	const char *args[] = {"--scheduler-interval-ms", "200", "--daily-at", daily_at, NULL};
	assert_int_equal(e2e_server_start(&f->s, args), 0);
	wait_ticks(f);
	kill(f->s.pid, SIGKILL);
	assert_int_equal(e2e_server_wait(&f->s, 15000), 128 + SIGKILL);
	assert_int_equal(e2e_server_start(&f->s, args), 0);
	wait_ticks(f);
	assert_int_equal(db_count(&f->s, node_rows), 1);
	assert_int_equal(reminders_written(f), 1);
	r = list_all(f, fgj, false);
	assert_int_equal(r->n_reminders, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_notice_reaches_its_inboxes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_clerks_read_on_their_own, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_town_reads_only_its_inbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_role_matrix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_announcements_carry_no_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_burst_is_one_announcement, setup_burst, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_survives_kills, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_watchers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scheduler_node_due, setup_scheduler, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
