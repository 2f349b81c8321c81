/* AdminService: the server's own administration, for admin accounts.
 *
 * Backup answers at once with a job and copies the database on libuv's work
 * pool, from a read-only connection of its own (store/backup.c). The copy
 * is one read transaction: WAL lets the loop thread go on writing beside
 * it, and the copy holds exactly the commits made before it began. The
 * other way, stepping sqlite3_backup on the loop thread from the writer's
 * connection, would need a handler that answers later, which the
 * dispatcher does not have, and would hold every request while it copies.
 * The client polls GetBackup until the job is DONE or FAILED. */
#include "luoshi/v1/admin.pb-c.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "server.h"
#include "store/backup.h"

#define FILE_MAX_BYTES 200
/* Jobs remembered for GetBackup; older ones are forgotten. */
#define JOBS_KEPT 32

typedef struct backup_job {
	uv_work_t work;
	int64_t id;
	Luoshi__V1__BackupState state;
	char file[FILE_MAX_BYTES + 1];
	char path[PATH_MAX];
	char db[PATH_MAX];
	char started_at[32];
	char finished_at[32];
	/* Written by the worker, read by the loop once it is done. */
	int64_t size;
	ls_status result;
} backup_job;

/* Loop thread only. jobs[(id - 1) % JOBS_KEPT] holds job id. */
static backup_job *jobs[JOBS_KEPT];
static int64_t last_id;
static bool running;

static backup_job *job_find(int64_t id)
{
	if (id <= 0 || id > last_id || id <= last_id - JOBS_KEPT)
		return NULL;
	return jobs[(id - 1) % JOBS_KEPT];
}

/* Fills m from j; m points into j. */
static void to_proto(const backup_job *j, Luoshi__V1__BackupJob *m)
{
	luoshi__v1__backup_job__init(m);
	m->has_id = true;
	m->id = j->id;
	m->has_state = true;
	m->state = j->state;
	m->file = (char *)j->file;
	m->path = (char *)j->path;
	m->started_at = (char *)j->started_at;
	if (j->state == LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_DONE) {
		m->has_size_bytes = true;
		m->size_bytes = j->size;
	}
	if (j->state == LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_FAILED) {
		m->has_error_code = true;
		m->error_code = j->result.code;
		m->error = (char *)j->result.message;
	}
	if (j->finished_at[0] != '\0')
		m->finished_at = (char *)j->finished_at;
}

static void backup_work(uv_work_t *w)
{
	backup_job *j = w->data;
	ls_status_clear(&j->result);
	srv_store_backup(j->db, j->path, &j->size, &j->result);
}

static void backup_done(uv_work_t *w, int status)
{
	backup_job *j = w->data;
	running = false;
	srv_now_iso(j->finished_at);
	if (status != 0 && j->result.code == LS_OK)
		ls_status_set(&j->result, LS_CANCELLED, "the backup was cancelled");
	if (j->result.code == LS_OK) {
		j->state = LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_DONE;
		ls_info("backup %" PRId64 ": wrote %s (%" PRId64 " bytes)", j->id, j->path,
		        j->size);
	} else {
		j->state = LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_FAILED;
		ls_error("backup %" PRId64 ": %s failed: %s", j->id, j->path, j->result.message);
	}
}

/* The directory backups go to: backup-dir, or "backups" beside the
 * database. Created (for the server's user alone) when missing. */
static int backup_dir(srv_call *c, char *out, size_t n)
{
	const srv_config *cfg = &c->srv->cfg;
	int len;
	if (cfg->backup_dir != NULL) {
		len = snprintf(out, n, "%s", cfg->backup_dir);
	} else {
		char db[PATH_MAX];
		snprintf(db, sizeof db, "%s", cfg->db);
		len = snprintf(out, n, "%s/backups", dirname(db));
	}
	if (len < 0 || (size_t)len >= n)
		return srv_fail(c, LS_FAILED_PRECONDITION, NULL,
		                "the backup directory's path is too long");
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return srv_fail(c, LS_FAILED_PRECONDITION, NULL,
		                "cannot create the backup directory %s: %s", out, strerror(errno));
	struct stat sb;
	if (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return srv_fail(c, LS_FAILED_PRECONDITION, NULL,
		                "the backup directory %s is not a directory", out);
	return LS_OK;
}

/* A plain name inside the backup directory, nothing that leads out of it
 * or hides in it. */
static int check_file(srv_call *c, const char *file)
{
	if (file == NULL || file[0] == '\0')
		return srv_fail(c, LS_INVALID_ARGUMENT, "file",
		                "file is required: a file name under the server's backup "
		                "directory");
	if (strlen(file) > FILE_MAX_BYTES)
		return srv_fail(c, LS_INVALID_ARGUMENT, "file", "file is longer than %d bytes",
		                FILE_MAX_BYTES);
	if (strchr(file, '/') != NULL || strstr(file, "..") != NULL)
		return srv_fail(c, LS_INVALID_ARGUMENT, "file",
		                "file is a plain file name, without '/' or \"..\"");
	if (file[0] == '.')
		return srv_fail(c, LS_INVALID_ARGUMENT, "file", "file may not start with '.'");
	for (const unsigned char *p = (const unsigned char *)file; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return srv_fail(c, LS_INVALID_ARGUMENT, "file",
			                "file may not hold control characters");
	return LS_OK;
}

static void admin_backup(Luoshi__V1__AdminService_Service *svc, const Luoshi__V1__BackupRequest *in,
                         Luoshi__V1__BackupResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK ||
	    check_file(c, in->file) != LS_OK)
		return;
	if (c->srv->loop == NULL || c->srv->stopping) {
		srv_fail(c, LS_UNAVAILABLE, NULL, "the server is not taking backups now");
		return;
	}
	if (running) {
		srv_fail(c, LS_FAILED_PRECONDITION, NULL,
		         "backup job %" PRId64 " is still running; wait for it", last_id);
		return;
	}
	if (srv_store_is_url(c->srv->cfg.db)) {
		srv_fail(c, LS_FAILED_PRECONDITION, NULL,
		         "the database is PostgreSQL's: back it up with PostgreSQL's own tools "
		         "(pg_dump, pg_basebackup); luoshid backs up SQLite databases only");
		return;
	}
	char dir[PATH_MAX];
	if (backup_dir(c, dir, sizeof dir) != LS_OK)
		return;
	backup_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		srv_fail(c, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	int len = snprintf(j->path, sizeof j->path, "%s/%s", dir, in->file);
	if (len < 0 || (size_t)len >= sizeof j->path) {
		free(j);
		srv_fail(c, LS_INVALID_ARGUMENT, "file", "the backup's path is too long");
		return;
	}
	struct stat sb;
	if (lstat(j->path, &sb) == 0) {
		srv_fail(c, LS_ALREADY_EXISTS, "file", "%s already exists on the server", j->path);
		free(j);
		return;
	}
	snprintf(j->file, sizeof j->file, "%s", in->file);
	snprintf(j->db, sizeof j->db, "%s", c->srv->cfg.db);
	j->id = last_id + 1;
	j->state = LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_RUNNING;
	srv_now_iso(j->started_at);
	j->work.data = j;

	/* Audited before it starts: a copy of every record leaves the
	 * database, and who asked for it belongs in the log. */
	Luoshi__V1__BackupJob m;
	to_proto(j, &m);
	if (srv_audit(c, "backup", j->id, 0, NULL, &m.base) != LS_OK) {
		free(j);
		return;
	}
	if (uv_queue_work(c->srv->loop, &j->work, backup_work, backup_done) != 0) {
		free(j);
		srv_fail(c, LS_INTERNAL, NULL, "cannot start the backup");
		return;
	}
	running = true;
	last_id = j->id;
	free(jobs[(j->id - 1) % JOBS_KEPT]);
	jobs[(j->id - 1) % JOBS_KEPT] = j;
	ls_info("backup %" PRId64 ": %s started by account %" PRId64, j->id, j->path,
	        c->caller->id);

	Luoshi__V1__BackupResponse out = LUOSHI__V1__BACKUP_RESPONSE__INIT;
	out.job = &m;
	done(&out, arg);
}

static void admin_get_backup(Luoshi__V1__AdminService_Service *svc,
                             const Luoshi__V1__GetBackupRequest *in,
                             Luoshi__V1__GetBackupResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	if (srv_require_role(c, SRV_ROLE_ADMIN, SRV_ROLE_NONE) != LS_OK)
		return;
	if (!in->has_id || in->id <= 0) {
		srv_fail(c, LS_INVALID_ARGUMENT, "id", "id is required and positive");
		return;
	}
	const backup_job *j = job_find(in->id);
	if (j == NULL) {
		srv_fail(c, LS_NOT_FOUND, "id",
		         "no backup job %" PRId64 " (jobs are forgotten when the server restarts)",
		         in->id);
		return;
	}
	Luoshi__V1__BackupJob m;
	to_proto(j, &m);
	Luoshi__V1__GetBackupResponse out = LUOSHI__V1__GET_BACKUP_RESPONSE__INIT;
	out.job = &m;
	done(&out, arg);
}

static Luoshi__V1__AdminService_Service admin = LUOSHI__V1__ADMIN_SERVICE__INIT(admin_);

ProtobufCService *srv_admin_service(void)
{
	return &admin.base;
}
