/* The server's shared types: its configuration, the server itself, and the
 * call a handler works on. */
#ifndef SRV_SERVER_H
#define SRV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>
#include <uv.h>

#include "scheduler.h"
#include "status.h"
#include "store/store.h"

#define SRV_MAX_LISTEN 8

typedef struct srv_config {
	char *config_path;
	char *db;
	char *listen[SRV_MAX_LISTEN];
	int n_listen;
	char *publish;
	int contexts;
	size_t max_message;
	char *log;
	int log_level;
	char *time_zone;
	int rate_limit; /* requests per second per account; 0: none */
	char *unit_name; /* init */
	char *unit_code; /* init */
	srv_sched_config sched; /* the reminder scheduler (scheduler.h) */
	char *tls_cert, *tls_key, *tls_ca; /* PEM files of the tls+tcp:// listeners */
	bool tls_verify_clients; /* mutual TLS: clients show a certificate of tls_ca */
	char *backup_dir; /* where Backup writes; NULL: "backups" beside the database */
	char *http; /* the dashboard and JSON gateway's URL (http://HOST:PORT); NULL: none */
} srv_config;

typedef struct srv_rpc srv_rpc;
typedef struct srv_push srv_push;

typedef struct srv_server {
	uv_loop_t *loop;
	srv_config cfg;
	srv_store *store;
	srv_rpc *rpc;
	srv_push *push;
	srv_scheduler *scheduler; /* NULL when not running (tests) */
	bool stopping;
} srv_server;

/* One request as a handler sees it. The handler is called with the call as
 * its closure_data; it answers either through the generated closure
 * (srv_reply) with its response message, or with srv_fail. */
typedef struct srv_call {
	srv_server *srv;
	const char *method;        /* "/luoshi.v1.AccountService/CreateAccount" */
	const srv_account *caller; /* NULL for calls that need no token */
	ls_status status;
	uint8_t *body; /* the packed response, malloc'd, when status is OK */
	size_t body_len;
	bool answered;
	bool discard;  /* answer OK but undo every write (dry runs) */
	bool scoped;   /* scope below is filled */
	srv_scope scope;
} srv_call;

/* The closure every generated handler signature takes: packs m as the
 * call's response. */
void srv_reply(const ProtobufCMessage *m, void *call);

/* Fails the call with code, naming field (may be NULL). Returns code. */
int srv_fail(srv_call *c, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fails the call with PERMISSION_DENIED unless the caller has one of the
 * roles; the list ends with SRV_ROLE_NONE. Returns 0 if allowed. */
int srv_require_role(srv_call *c, ...);

/* The current time as ISO 8601 with the server's offset
 * ("2026-11-29T22:03:11+08:00"). buf must hold 32 bytes. */
void srv_now_iso(char buf[32]);

/* Appends the audit row of a write by the call's caller; before and after
 * are converted to JSON (either may be NULL); project is the project the
 * row concerns (0: none). Fails the call on error. */
int srv_audit(srv_call *c, const char *entity, int64_t entity_id, int64_t project,
              const ProtobufCMessage *before, const ProtobufCMessage *after);

/* The caller's scope (what it may read), computed once per call. */
const srv_scope *srv_call_scope(srv_call *c);

/* Runs another method's handler inside the current call, as the same
 * caller and in the same transaction: how a batch RPC (an import) reuses
 * the single-row handlers instead of writing them twice. in must be of the
 * method's input type. On return sub->status holds the outcome and, when
 * OK, sub->body the packed response (the caller frees it). The writes of a
 * failed sub-call are not undone here: the caller decides (a savepoint of
 * its own, or failing the whole call). */
void srv_call_method(srv_call *parent, const char *full_name, const ProtobufCMessage *in,
                     srv_call *sub);

/* Each service file gives its implementation; main.c registers them. */
ProtobufCService *srv_health_service(void);
ProtobufCService *srv_reflection_service(void);
ProtobufCService *srv_account_service(void);
ProtobufCService *srv_admin_service(void);
ProtobufCService *srv_registry_service(void);
ProtobufCService *srv_import_service(void);
ProtobufCService *srv_project_service(void);
ProtobufCService *srv_schedule_service(void);
ProtobufCService *srv_progress_service(void);
ProtobufCService *srv_query_service(void);
ProtobufCService *srv_export_service(void);
ProtobufCService *srv_reminder_service(void);
ProtobufCService *srv_problem_service(void);
ProtobufCService *srv_supervision_service(void);
ProtobufCService *srv_webhook_service(void);

/* problems.c, for GetAssignments: the open problems that are the caller's
 * (see srv_store_problems_assigned), at most max of them, as messages whose
 * days_left count from as_of, in *out (n of them; free with
 * srv_problems_free); *count counts them all. Fails the call on error. */
struct Luoshi__V1__Problem;
int srv_problems_assigned(srv_call *c, int32_t as_of, size_t max, struct Luoshi__V1__Problem ***out,
                          size_t *n, uint32_t *count);
void srv_problems_free(struct Luoshi__V1__Problem **v, size_t n);

/* supervision.c, for GetAssignments: the open rectification orders given
 * to the caller's unit (a town's or department's), at most max, soonest due
 * first, days_left from as_of, in *out (n of them; free with
 * srv_rectifications_free); *count counts them all. Fails the call on
 * error. */
struct Luoshi__V1__Rectification;
int srv_rectifications_assigned(srv_call *c, int32_t as_of, size_t max,
                                struct Luoshi__V1__Rectification ***out, size_t *n,
                                uint32_t *count);
void srv_rectifications_free(struct Luoshi__V1__Rectification **v, size_t n);

#endif
