/* The reminder scheduler: rules that write reminders at their time, in the
 * server's time zone, and the libuv timer that runs them on the loop thread
 * (the one writer).
 *
 * Each rule has occurrences (the weekly update due on Friday 09:00, the
 * daily run at 09:00 ...). A tick at time now fires, per rule, only the
 * latest occurrence after the rule last ran and not after now, so that a
 * server that was down at the scheduled time catches up once. What a rule
 * writes has a window (the ISO week, the node's 7/3/1-day step, the month)
 * and the inbox keeps one reminder per subject, recipient and window, so a
 * rule that runs again writes nothing new. */
#ifndef SRV_SCHEDULER_H
#define SRV_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "status.h"
#include "store/reminders.h"
#include "store/store.h"

/* ---- configuration -------------------------------------------------------------- */

/* The holiday calendar: days off on weekdays and working weekend days. */
typedef struct srv_holidays srv_holidays;

typedef struct srv_sched_config {
	uint32_t interval_ms;        /* scheduler-interval-ms: how often it ticks (60000) */
	int due_wday;                /* update-due: 1 Monday .. 7 Sunday (5) */
	int due_minute;              /* ... its time, minutes after midnight (540) */
	int overdue_wday;            /* update-overdue, in the week after (1) */
	int overdue_minute;          /* (540) */
	int daily_minute;            /* daily-at: nodes, problems, reconciliation (540) */
	int node_overdue_every_days; /* node-overdue-every-days (7); problems, rectifications too */
	/* The leaders' rhythm, checked at daily-at: review-due-day, the
	 * weekday (1 Monday .. 7 Sunday, 5) from which a week without the
	 * weekly review of a led project is reminded; visit-due-day, the day
	 * of the month (1..28, 20) from which a month without a site visit is.
	 * A day off moves either to the next working day. */
	int review_wday;
	int visit_day;
	int rect_due_days; /* rectification-due-days: due soon within (3) */
	/* push-coalesce (8): this many recipients or more announced at once
	 * become one "all/" announcement, on which every watcher pulls; 0:
	 * never. Every announcement costs a write to every subscriber. */
	int push_coalesce;
	srv_holidays *holidays; /* holidays: NULL for none */
} srv_sched_config;

/* The defaults above. */
void srv_sched_config_defaults(srv_sched_config *c);

/* Frees what c holds (the holiday calendar) and sets the defaults again. */
void srv_sched_config_free(srv_sched_config *c);

/* Applies one configuration key if it is the scheduler's
 * (scheduler-interval-ms, update-due, update-overdue, daily-at,
 * node-overdue-every-days, review-due-day, visit-due-day,
 * rectification-due-days, push-coalesce, holidays): LS_OK, or
 * LS_INVALID_ARGUMENT naming
 * the key. LS_NOT_FOUND, with st untouched, for any other key. A holidays
 * file is read here, so that a bad one stops the server at start. */
int srv_sched_config_set(srv_sched_config *c, const char *key, const char *value, ls_status *st);

/* Reads a holiday calendar: lines "YYYY-MM-DD holiday" or "YYYY-MM-DD
 * workday", optionally followed by a name; "#" starts a comment. On success
 * *out belongs to the caller (srv_holidays_free). Errors name the file and
 * line: LS_NOT_FOUND (cannot read), LS_INVALID_ARGUMENT. */
int srv_holidays_load(const char *path, srv_holidays **out, ls_status *st);

/* NULL is a no-op. */
void srv_holidays_free(srv_holidays *h);

/* True if days (since 1970-01-01) is a working day: Monday to Friday unless
 * listed as a holiday, or a weekend day listed as a workday. h may be NULL. */
bool srv_sched_working_day(const srv_holidays *h, int32_t days);

/* ---- the rules ---------------------------------------------------------------------- */

/* A recipient whose inbox got a new reminder, with its number. */
typedef struct srv_announcement {
	srv_recipient to;
	int64_t seq;
} srv_announcement;

typedef struct srv_announce_list {
	srv_announcement *items; /* malloc'd */
	size_t n, cap;
} srv_announce_list;

/* Frees what l holds and empties it. */
void srv_announce_list_fini(srv_announce_list *l);

/* Runs every rule at time now, inside the caller's transaction, and
 * appends each reminder written to out, to be announced once the
 * transaction commits. Fails only on a database error (st filled); the
 * caller then rolls back. */
int srv_scheduler_run(srv_store *s, const srv_sched_config *cfg, time_t now, srv_announce_list *out,
                      ls_status *st);

/* The terminated push topic of a recipient ("u/12/", "p/3/"); buf holds
 * at least 32 bytes. */
#define SRV_TOPIC_ALL "all/" /* everyone: pull your inboxes */
void srv_reminder_topic(const srv_recipient *to, char buf[32]);

/* ---- on the server's loop ---------------------------------------------------------- */

struct srv_server;
typedef struct srv_scheduler srv_scheduler;

/* Starts ticking every srv->cfg.sched.interval_ms on srv->loop, the first
 * tick at once, and a thread that sends the announcements on srv->push;
 * sets srv->scheduler. Each tick is its own transaction; the announcements
 * follow its commit. */
int srv_scheduler_start(struct srv_server *srv, ls_status *st);

/* Stops the timers, and the thread once it has sent what it was given
 * (call it before closing the push socket); srv->scheduler is freed once
 * libuv has closed the timers. Announcements still waiting for a batch's
 * commit are dropped (the inbox keeps the rows). */
void srv_scheduler_stop(struct srv_server *srv);

/* Announces to's newest sequence number once the batch that is running
 * now has committed: what a handler that wrote reminders calls. Reads the
 * number back after the commit, so a batch that rolled back announces
 * nothing new. Without a running scheduler (tests) it does nothing. */
void srv_reminders_announce_later(struct srv_server *srv, const srv_recipient *to);

#endif
