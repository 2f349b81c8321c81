/* Webhooks and their deliveries (migration 010): the rows of
 * WebhookService, and what the delivery engine reads and records. */
#ifndef SRV_STORE_WEBHOOKS_H
#define SRV_STORE_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "reminders.h"
#include "status.h"
#include "store.h"

#define SRV_WEBHOOK_URL_MAX 2000
#define SRV_WEBHOOK_SECRET_MAX 200
#define SRV_WEBHOOK_ERROR_MAX 500

/* Numbered as luoshi.v1.WebhookKind. */
typedef enum srv_webhook_kind {
	SRV_WEBHOOK_DINGTALK = 1,
	SRV_WEBHOOK_WECOM = 2,
	SRV_WEBHOOK_GENERIC = 3,
} srv_webhook_kind;

/* "dingtalk", "wecom", "generic"; NULL for anything else. */
const char *srv_webhook_kind_name(int kind);

/* Numbered as luoshi.v1.DeliveryStatus. */
typedef enum srv_delivery_status {
	SRV_DELIVERY_PENDING = 1,
	SRV_DELIVERY_DELIVERED = 2,
	SRV_DELIVERY_FAILED = 3,
	SRV_DELIVERY_CANCELLED = 4,
} srv_delivery_status;

/* A webhook as WebhookService shows it: without its secret. */
typedef struct srv_webhook {
	int64_t id;
	srv_recipient to;
	int64_t unit_id; /* the unit it belongs to: to's, or the person's unit */
	char to_code[64];
	char to_name[256];
	srv_webhook_kind kind;
	char url[SRV_WEBHOOK_URL_MAX + 1];
	bool secret_set;
	char created_at[40];
	bool removed;
} srv_webhook;

/* One attempt of a delivery. */
typedef struct srv_webhook_attempt {
	char at[40];
	int http_status;                       /* 0: no answer */
	char error[SRV_WEBHOOK_ERROR_MAX + 1]; /* "": delivered */
	int64_t elapsed_ms;
} srv_webhook_attempt;

/* A delivery with its webhook and its latest attempt. */
typedef struct srv_webhook_delivery {
	int64_t id;
	int64_t reminder_id; /* 0: a test message */
	srv_delivery_status status;
	int attempts;
	int64_t next_at; /* unix ms */
	char created_at[40];
	bool has_last;
	srv_webhook_attempt last;
	srv_webhook hook;
} srv_webhook_delivery;

/* What the engine needs to post one delivery. */
typedef struct srv_webhook_job {
	int64_t delivery_id;
	int64_t webhook_id;
	int64_t reminder_id; /* 0: a test message */
	int attempts;        /* made so far */
	srv_webhook_kind kind;
	char url[SRV_WEBHOOK_URL_MAX + 1];
	char secret[SRV_WEBHOOK_SECRET_MAX + 1];
	srv_rcpt_kind to_kind;
	char to_code[64];
	char to_name[256];
	/* the reminder, when there is one */
	char r_kind[32];
	char subject[64];
	char window[64];
	int64_t seq;
	char text[SRV_REMINDER_TEXT_MAX + 1];
	char created_at[40];
	char project_code[64]; /* "" when the reminder is about no project */
	char project_name[256];
} srv_webhook_job;

/* ---- WebhookService ------------------------------------------------------------- */

/* Adds a webhook of to. */
int srv_store_webhook_insert(srv_store *s, const srv_recipient *to, srv_webhook_kind kind,
                             const char *url, const char *secret, const char *now, int64_t by,
                             int64_t *id, ls_status *st);

/* True if to already has a webhook in use posting to url. */
bool srv_store_webhook_duplicate(srv_store *s, const srv_recipient *to, const char *url);

/* Reads webhook id (removed ones too). LS_NOT_FOUND when there is none. */
int srv_store_webhook_get(srv_store *s, int64_t id, srv_webhook *out, ls_status *st);

/* Calls fn for each webhook in use whose unit lies within root (and, when
 * unit is not 0, belongs to unit or to a person of it), id > after, by id,
 * at most limit. */
int srv_store_webhook_list(srv_store *s, int64_t root, int64_t unit, int64_t after, int limit,
                           void (*fn)(void *arg, const srv_webhook *w), void *arg, ls_status *st);

/* Marks the webhook removed and cancels its pending deliveries (how many
 * in *cancelled). */
int srv_store_webhook_remove(srv_store *s, int64_t id, const char *now, int *cancelled,
                             ls_status *st);

/* Queues a test message (a delivery without a reminder). */
int srv_store_webhook_test(srv_store *s, int64_t webhook, const char *now, int64_t *delivery,
                           ls_status *st);

/* Reads a delivery. LS_NOT_FOUND when there is none. */
int srv_store_webhook_delivery_get(srv_store *s, int64_t id, srv_webhook_delivery *out,
                                   ls_status *st);

/* Calls fn for each attempt of a delivery, oldest first. */
int srv_store_webhook_attempts(srv_store *s, int64_t delivery,
                               void (*fn)(void *arg, const srv_webhook_attempt *a), void *arg,
                               ls_status *st);

/* Calls fn for each failed delivery of a webhook whose unit lies within
 * root, id < before (0: no bound), newest first, at most limit. */
int srv_store_webhook_failures(srv_store *s, int64_t root, int64_t before, int limit,
                               void (*fn)(void *arg, const srv_webhook_delivery *d), void *arg,
                               ls_status *st);

/* ---- the delivery engine --------------------------------------------------------- */

/* The pending deliveries due at now_ms (unix ms), soonest first, at most
 * max, in ids; their number in *n. */
int srv_store_webhook_due(srv_store *s, int64_t now_ms, int max, int64_t *ids, int *n,
                          ls_status *st);

/* The earliest next_at of a pending delivery, or -1 when none is pending. */
int64_t srv_store_webhook_next_due(srv_store *s);

/* Reads what posting delivery id needs. LS_NOT_FOUND when it is no longer
 * pending. */
int srv_store_webhook_job(srv_store *s, int64_t id, srv_webhook_job *out, ls_status *st);

/* Records an attempt of a pending delivery and its outcome: status
 * (pending again with next_at, delivered or failed). A delivery no longer
 * pending (cancelled meanwhile) keeps its status; the attempt is kept. */
int srv_store_webhook_record(srv_store *s, int64_t delivery, const srv_webhook_attempt *a,
                             srv_delivery_status status, int64_t next_at, ls_status *st);

/* Calls fn(arg) on every insert into webhook_deliveries, from inside the
 * statement that inserts (a reminder's trigger included): fn may only take
 * note. fn NULL stops it. */
void srv_store_webhook_watch(srv_store *s, void (*fn)(void *arg), void *arg);

/* True while a transaction is open on the store. */
bool srv_store_webhook_in_transaction(srv_store *s);

#endif
