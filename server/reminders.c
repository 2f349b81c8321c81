/* ReminderService: the inbox of reminders, read cursors, and notices.
 *
 * An account reads only its own inboxes: its unit's and, when it is bound
 * to a person, the person's. No request names an inbox by id, so there is
 * nothing to forge. Rows are announced on the push socket after the batch
 * that wrote them commits (srv_reminders_announce_later). */
#include "luoshi/v1/reminders.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"
#include "server.h"
#include "store/reminders.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

_Static_assert((int)SRV_RCPT_PERSON == (int)LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON,
               "srv_rcpt_kind follows luoshi.v1.RecipientKind");

/* The kinds as the schema spells them, indexed by luoshi.v1.ReminderKind. */
static const char *const kind_names[] = {
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_UPDATE_DUE] = "update_due",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_UPDATE_OVERDUE] = "update_overdue",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_NODE_DUE] = "node_due",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_NODE_OVERDUE] = "node_overdue",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_PROBLEM_DUE] = "problem_due",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_PROBLEM_OVERDUE] = "problem_overdue",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_RECONCILE_DUE] = "reconcile_due",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_NOTICE] = "notice",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_REVIEW_DUE] = "review_due",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_VISIT_DUE] = "visit_due",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_RECTIFICATION_DUE] = "rectification_due",
    [LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_RECTIFICATION_OVERDUE] = "rectification_overdue",
};

static Luoshi__V1__ReminderKind kind_of(const char *name)
{
	for (size_t i = 1; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (strcmp(kind_names[i], name) == 0)
			return (Luoshi__V1__ReminderKind)i;
	return LUOSHI__V1__REMINDER_KIND__REMINDER_KIND_UNSPECIFIED;
}

/* Fills m from r; m points into r, so r must outlive m. */
static void reminder_to_proto(const srv_reminder *r, Luoshi__V1__Reminder *m)
{
	luoshi__v1__reminder__init(m);
	m->has_id = true;
	m->id = r->id;
	m->has_seq = true;
	m->seq = (uint64_t)r->seq;
	m->has_kind = true;
	m->kind = kind_of(r->kind);
	m->subject = (char *)r->subject;
	m->window = (char *)r->window;
	m->text = (char *)r->text;
	m->created_at = (char *)r->created_at;
	m->has_recipient_kind = true;
	m->recipient_kind = (Luoshi__V1__RecipientKind)r->to.kind;
	m->recipient_code = (char *)r->to_code;
	m->recipient_name = (char *)r->to_name;
}

/* The caller's inboxes: its unit's, then its person's when it has one. */
static int own_recipients(const srv_call *c, srv_recipient to[2])
{
	to[0] = (srv_recipient){SRV_RCPT_UNIT, c->caller->unit_id};
	if (c->caller->person_id <= 0)
		return 1;
	to[1] = (srv_recipient){SRV_RCPT_PERSON, c->caller->person_id};
	return 2;
}

/* One of the caller's inboxes, as the request names it (absent: the unit's).
 * Fails the call when it names none of them. */
static int pick_recipient(srv_call *c, bool has, Luoshi__V1__RecipientKind kind, srv_recipient *out)
{
	srv_recipient own[2];
	int n = own_recipients(c, own);
	if (!has || kind == LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_UNIT) {
		*out = own[0];
		return LS_OK;
	}
	if (kind != LUOSHI__V1__RECIPIENT_KIND__RECIPIENT_KIND_PERSON)
		return srv_fail(c, LS_INVALID_ARGUMENT, "recipient",
		                "recipient is RECIPIENT_KIND_UNIT or RECIPIENT_KIND_PERSON");
	if (n < 2)
		return srv_fail(
		    c, LS_INVALID_ARGUMENT, "recipient",
		    "this account is not bound to a person, so it has no person's inbox");
	*out = own[1];
	return LS_OK;
}

/* ---- cursors ------------------------------------------------------------------ */

typedef struct cursor_buf {
	Luoshi__V1__Cursor msg;
	char code[64];
	char name[256];
	char topic[32];
} cursor_buf;

/* Reads the caller's cursor of to into b. */
static int cursor_read(srv_call *c, const srv_recipient *to, cursor_buf *b)
{
	srv_store *s = c->srv->store;
	int64_t unit, acked, latest;
	luoshi__v1__cursor__init(&b->msg);
	if (srv_store_reminder_recipient(s, to, b->code, b->name, &unit, &c->status) != LS_OK ||
	    srv_store_reminder_cursor(s, c->caller->id, to, &acked, &c->status) != LS_OK ||
	    srv_store_reminder_latest(s, to, &latest, &c->status) != LS_OK) {
		if (c->status.code == LS_OK)
			srv_fail(c, LS_INTERNAL, NULL, "the account's %s cannot be read",
			         srv_rcpt_kind_name(to->kind));
		return c->status.code;
	}
	srv_reminder_topic(to, b->topic);
	b->msg.has_recipient_kind = true;
	b->msg.recipient_kind = (Luoshi__V1__RecipientKind)to->kind;
	b->msg.recipient_code = b->code;
	b->msg.recipient_name = b->name;
	b->msg.has_acked_seq = true;
	b->msg.acked_seq = (uint64_t)acked;
	b->msg.has_latest_seq = true;
	b->msg.latest_seq = (uint64_t)latest;
	b->msg.has_unread = true;
	b->msg.unread = latest > acked ? (uint64_t)(latest - acked) : 0;
	b->msg.topic = b->topic;
	return LS_OK;
}

/* Reads every cursor of the caller into bufs and ptrs. Returns how many,
 * or -1 after failing the call. */
static int cursors_read(srv_call *c, cursor_buf bufs[2], Luoshi__V1__Cursor *ptrs[2])
{
	srv_recipient own[2];
	int n = own_recipients(c, own);
	for (int i = 0; i < n; i++) {
		if (cursor_read(c, &own[i], &bufs[i]) != LS_OK)
			return -1;
		ptrs[i] = &bufs[i].msg;
	}
	return n;
}

static void reminder_get_cursor(Luoshi__V1__ReminderService_Service *svc,
                                const Luoshi__V1__GetCursorRequest *in,
                                Luoshi__V1__GetCursorResponse_Closure done, void *arg)
{
	(void)svc;
	(void)in;
	srv_call *c = arg;
	cursor_buf bufs[2];
	Luoshi__V1__Cursor *ptrs[2];
	int n = cursors_read(c, bufs, ptrs);
	if (n < 0)
		return;
	Luoshi__V1__GetCursorResponse out = LUOSHI__V1__GET_CURSOR_RESPONSE__INIT;
	out.n_cursors = (size_t)n;
	out.cursors = ptrs;
	done(&out, arg);
}

/* ---- ack ------------------------------------------------------------------------ */

static void reminder_ack(Luoshi__V1__ReminderService_Service *svc, const Luoshi__V1__AckRequest *in,
                         Luoshi__V1__AckResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	bool all = in->has_all && in->all;
	if (all && in->has_seq) {
		srv_fail(c, LS_INVALID_ARGUMENT, "seq", "give either seq or all, not both");
		return;
	}
	if (all) {
		srv_recipient own[2];
		int n = own_recipients(c, own);
		for (int i = 0; i < n; i++) {
			int64_t latest;
			if (srv_store_reminder_latest(s, &own[i], &latest, &c->status) != LS_OK ||
			    (latest > 0 &&
			     srv_store_reminder_cursor_advance(s, c->caller->id, &own[i], latest,
			                                       &c->status) != LS_OK))
				return;
		}
	} else {
		if (!in->has_seq || in->seq == 0 || in->seq > INT64_MAX) {
			srv_fail(
			    c, LS_INVALID_ARGUMENT, "seq",
			    "seq is required (the number of the reminder read, from 1), or all");
			return;
		}
		srv_recipient to;
		int64_t latest;
		if (pick_recipient(c, in->has_recipient, in->recipient, &to) != LS_OK ||
		    srv_store_reminder_latest(s, &to, &latest, &c->status) != LS_OK)
			return;
		/* A cursor past the newest row would hide the next ones. */
		if ((int64_t)in->seq > latest) {
			srv_fail(c, LS_INVALID_ARGUMENT, "seq",
			         "seq %" PRIu64 " is beyond the newest reminder of the %s's inbox "
			         "(%" PRId64 ")",
			         in->seq, srv_rcpt_kind_name(to.kind), latest);
			return;
		}
		if (srv_store_reminder_cursor_advance(s, c->caller->id, &to, (int64_t)in->seq,
		                                      &c->status) != LS_OK)
			return;
	}
	cursor_buf bufs[2];
	Luoshi__V1__Cursor *ptrs[2];
	int n = cursors_read(c, bufs, ptrs);
	if (n < 0)
		return;
	Luoshi__V1__AckResponse out = LUOSHI__V1__ACK_RESPONSE__INIT;
	out.n_cursors = (size_t)n;
	out.cursors = ptrs;
	done(&out, arg);
}

/* ---- the inbox ------------------------------------------------------------------ */

typedef struct rows {
	srv_reminder *v;
	int n, cap;
} rows;

static void collect(void *arg, const srv_reminder *r)
{
	rows *p = arg;
	if (p->n < p->cap)
		p->v[p->n++] = *r;
}

static void reminder_list_inbox(Luoshi__V1__ReminderService_Service *svc,
                                const Luoshi__V1__ListInboxRequest *in,
                                Luoshi__V1__ListInboxResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	srv_inbox_query q = {0};
	if (in->has_recipient) {
		if (pick_recipient(c, true, in->recipient, &q.to[0]) != LS_OK)
			return;
		q.n_to = 1;
	} else {
		q.n_to = own_recipients(c, q.to);
	}
	if (in->has_after_seq && in->after_seq > INT64_MAX) {
		srv_fail(c, LS_INVALID_ARGUMENT, "after_seq", "after_seq is too large");
		return;
	}
	for (int i = 0; i < q.n_to; i++) {
		int64_t acked = 0;
		if (in->has_unread_only && in->unread_only &&
		    srv_store_reminder_cursor(s, c->caller->id, &q.to[i], &acked, &c->status) !=
		        LS_OK)
			return;
		int64_t after = in->has_after_seq ? (int64_t)in->after_seq : 0;
		q.after_seq[i] = after > acked ? after : acked;
	}
	int size = in->has_page_size && in->page_size > 0 ? (int)in->page_size : PAGE_DEFAULT;
	if (in->has_page_size && in->page_size > PAGE_MAX)
		size = PAGE_MAX;
	if (in->page_token != NULL && in->page_token[0] != '\0') {
		char *end;
		long long v = strtoll(in->page_token, &end, 10);
		if (*end != '\0' || v < 0) {
			srv_fail(c, LS_INVALID_ARGUMENT, "page_token",
			         "page_token is not one this server gave");
			return;
		}
		q.after_id = v;
	}
	/* One row more than asked tells whether another page follows. */
	q.limit = size + 1;
	rows p = {.cap = size + 1};
	p.v = malloc((size_t)p.cap * sizeof *p.v);
	Luoshi__V1__Reminder *msgs = malloc((size_t)p.cap * sizeof *msgs);
	Luoshi__V1__Reminder **ptrs = malloc((size_t)p.cap * sizeof *ptrs);
	if (p.v == NULL || msgs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	if (srv_store_reminder_list(s, &q, collect, &p, &c->status) < 0)
		goto out;
	int shown = p.n > size ? size : p.n;
	for (int i = 0; i < shown; i++) {
		reminder_to_proto(&p.v[i], &msgs[i]);
		ptrs[i] = &msgs[i];
	}
	Luoshi__V1__ListInboxResponse resp = LUOSHI__V1__LIST_INBOX_RESPONSE__INIT;
	resp.n_reminders = (size_t)shown;
	resp.reminders = ptrs;
	char next[24];
	if (p.n > size) {
		snprintf(next, sizeof next, "%" PRId64, p.v[size - 1].id);
		resp.next_page_token = next;
	}
	done(&resp, arg);
out:
	free(p.v);
	free(msgs);
	free(ptrs);
}

/* ---- notices ------------------------------------------------------------------------ */

/* The recipients "to" names, within the caller's scope. *out is malloc'd.
 * Fails the call otherwise. */
static int notice_recipients(srv_call *c, const char *to, srv_recipient **out, size_t *n)
{
	srv_store *s = c->srv->store;
	int64_t root = srv_call_scope(c)->root;
	*out = NULL;
	*n = 0;
	if (strcmp(to, "all") == 0)
		return srv_store_reminder_all_units(s, root, out, n, &c->status);
	const char *colon = strchr(to, ':');
	size_t plen = colon ? (size_t)(colon - to) : 0;
	const char *value = colon ? colon + 1 : "";
	if (colon != NULL && *value != '\0' && plen == 4 && strncmp(to, "role", 4) == 0) {
		srv_role role = srv_role_from_name(value);
		if (role == SRV_ROLE_NONE)
			return srv_fail(c, LS_INVALID_ARGUMENT, "to",
			                "to: unknown role \"%s\" (admin, leader, town, department, "
			                "inspector, discipline or viewer)",
			                value);
		return srv_store_reminder_role_recipients(s, role, root, out, n, &c->status);
	}
	bool unit = colon != NULL && plen == 4 && strncmp(to, "unit", 4) == 0;
	bool person = colon != NULL && plen == 6 && strncmp(to, "person", 6) == 0;
	if ((!unit && !person) || *value == '\0')
		return srv_fail(c, LS_INVALID_ARGUMENT, "to",
		                "to is unit:CODE, person:CODE, role:ROLE or all, not \"%s\"", to);
	srv_recipient r = {unit ? SRV_RCPT_UNIT : SRV_RCPT_PERSON, 0};
	if (srv_store_resolve(s, unit ? SRV_UNIT : SRV_PERSON, value, "to", &r.id, &c->status) !=
	    LS_OK)
		return c->status.code;
	char code[64], name[256];
	int64_t unit_id;
	if (srv_store_reminder_recipient(s, &r, code, name, &unit_id, &c->status) != LS_OK) {
		if (c->status.code == LS_OK)
			srv_fail(c, LS_INTERNAL, NULL, "the recipient cannot be read back");
		return c->status.code;
	}
	if (!srv_store_unit_within(s, unit_id, root))
		return srv_fail(c, LS_PERMISSION_DENIED, "to", "to: %s %s lies outside your scope",
		                unit ? "unit" : "person", code);
	if ((*out = malloc(sizeof **out)) == NULL)
		return srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	**out = r;
	*n = 1;
	return LS_OK;
}

typedef struct delivery_buf {
	Luoshi__V1__Delivery msg;
	char code[64];
	char name[256];
} delivery_buf;

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static void reminder_send_notice(Luoshi__V1__ReminderService_Service *svc,
                                 const Luoshi__V1__SendNoticeRequest *in,
                                 Luoshi__V1__SendNoticeResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	srv_store *s = c->srv->store;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (in->to == NULL || in->to[0] == '\0') {
		srv_fail(c, LS_INVALID_ARGUMENT, "to",
		         "to is required: unit:CODE, person:CODE, role:ROLE or all");
		return;
	}
	if (in->text == NULL || blank(in->text)) {
		srv_fail(c, LS_INVALID_ARGUMENT, "text", "text is required");
		return;
	}
	if (strlen(in->text) > SRV_REMINDER_TEXT_MAX) {
		srv_fail(c, LS_INVALID_ARGUMENT, "text", "text is longer than %d bytes",
		         SRV_REMINDER_TEXT_MAX);
		return;
	}
	srv_recipient *to;
	size_t n;
	if (notice_recipients(c, in->to, &to, &n) != LS_OK)
		return;
	delivery_buf *bufs = NULL;
	Luoshi__V1__Delivery **ptrs = NULL;
	if (n == 0) {
		srv_fail(c, LS_FAILED_PRECONDITION, "to", "to: %s names no active unit or person",
		         in->to);
		goto out;
	}
	bufs = malloc(n * sizeof *bufs);
	ptrs = malloc(n * sizeof *ptrs);
	if (bufs == NULL || ptrs == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	/* Every row of one notice shares its subject and window: the id of
	 * its first row, which no other notice can have. */
	int64_t id;
	if (srv_store_reminder_next_id(s, &id, &c->status) != LS_OK)
		goto out;
	char subject[40], window[32], now[32];
	snprintf(subject, sizeof subject, "notice:%" PRId64, id);
	snprintf(window, sizeof window, "n%" PRId64, id);
	srv_now_iso(now);
	for (size_t i = 0; i < n; i++) {
		int64_t seq, unit;
		if (srv_store_reminder_add(s, &to[i], "notice", subject, window, in->text, now,
		                           c->caller->id, &seq, &c->status) != LS_OK ||
		    srv_store_reminder_recipient(s, &to[i], bufs[i].code, bufs[i].name, &unit,
		                                 &c->status) != LS_OK) {
			if (c->status.code == LS_OK)
				srv_fail(c, LS_INTERNAL, NULL, "a recipient cannot be read back");
			goto out;
		}
		luoshi__v1__delivery__init(&bufs[i].msg);
		bufs[i].msg.has_recipient_kind = true;
		bufs[i].msg.recipient_kind = (Luoshi__V1__RecipientKind)to[i].kind;
		bufs[i].msg.recipient_code = bufs[i].code;
		bufs[i].msg.recipient_name = bufs[i].name;
		bufs[i].msg.has_seq = true;
		bufs[i].msg.seq = (uint64_t)seq;
		ptrs[i] = &bufs[i].msg;
	}
	if (srv_audit(c, "notice", id, 0, NULL, &in->base) != LS_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		srv_reminders_announce_later(c->srv, &to[i]);
	Luoshi__V1__SendNoticeResponse resp = LUOSHI__V1__SEND_NOTICE_RESPONSE__INIT;
	resp.notice = subject;
	resp.n_deliveries = n;
	resp.deliveries = ptrs;
	done(&resp, arg);
out:
	free(to);
	free(bufs);
	free(ptrs);
}

static Luoshi__V1__ReminderService_Service reminders =
    LUOSHI__V1__REMINDER_SERVICE__INIT(reminder_);

ProtobufCService *srv_reminder_service(void)
{
	return &reminders.base;
}
