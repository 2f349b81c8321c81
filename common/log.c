#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;   /* NULL: standard error */
static char *log_path;
static int log_level = LS_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int ls_log_open(const char *path)
{
	FILE *f = NULL;
	char *copy = NULL;
	if (path != NULL) {
		if ((copy = strdup(path)) == NULL)
			return -1;
		if ((f = fopen(path, "a")) == NULL) {
			int e = errno;
			free(copy);
			errno = e;
			return -1;
		}
		setvbuf(f, NULL, _IOLBF, 0);
	}
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	free(log_path);
	log_file = f;
	log_path = copy;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int ls_log_reopen(void)
{
	int rc = 0;
	pthread_mutex_lock(&log_lock);
	if (log_path != NULL) {
		FILE *f = fopen(log_path, "a");
		if (f == NULL) {
			rc = -1;
		} else {
			setvbuf(f, NULL, _IOLBF, 0);
			fclose(log_file);
			log_file = f;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void ls_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	free(log_path);
	log_file = NULL;
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

void ls_log_set_level(int level) { log_level = level; }

int ls_log_get_level(void) { return log_level; }

int ls_log_level_from_name(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void ls_log(int level, const char *fmt, ...)
{
	if (level < log_level)
		return;
	struct timeval tv;
	struct tm tm;
	char stamp[48], zone[8];
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);

	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&log_lock);
	FILE *f = log_file ? log_file : stderr;
	fprintf(f, "%s.%03ld%.3s:%s %s %s\n", stamp, (long)(tv.tv_usec / 1000), zone, zone + 3,
	        level_names[level < 0 ? 0 : level > 3 ? 3 : level], line);
	fflush(f);
	pthread_mutex_unlock(&log_lock);
}
