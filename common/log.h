/* Logging: one line per event, to a file or standard error, safe from any
 * thread. ls_log_reopen lets logrotate move the file away (SIGHUP). */
#ifndef LS_LOG_H
#define LS_LOG_H

enum { LS_LOG_DEBUG, LS_LOG_INFO, LS_LOG_WARN, LS_LOG_ERROR };

/* Sends the log to path (appending), or to standard error when path is NULL.
 * Returns 0, or -1 with errno set when the file cannot be opened. */
int ls_log_open(const char *path);

/* Closes and opens the log file again; a no-op for standard error. Returns 0
 * or -1; on failure the old file stays in use. */
int ls_log_reopen(void);

/* Closes the log file; later lines go to standard error. */
void ls_log_close(void);

void ls_log_set_level(int level);
int ls_log_get_level(void);

/* "debug", "info", "warn", "error" to its level; -1 for anything else. */
int ls_log_level_from_name(const char *name);

/* Writes "2026-11-29T14:03:11.123+08:00 INFO message" when level is at or
 * above the set level. */
void ls_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ls_debug(...) ls_log(LS_LOG_DEBUG, __VA_ARGS__)
#define ls_info(...) ls_log(LS_LOG_INFO, __VA_ARGS__)
#define ls_warn(...) ls_log(LS_LOG_WARN, __VA_ARGS__)
#define ls_error(...) ls_log(LS_LOG_ERROR, __VA_ARGS__)

#endif
