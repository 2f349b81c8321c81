#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_int.h"

/* How long a backup waits for the source to become readable, e.g. while
 * another connection recovers the WAL after a crash. */
#define BUSY_WAIT_MS 5000

/* Maps a SQLite failure on db (NULL when it has none yet) to a status. */
static int sql_status(sqlite3 *db, int rc, const char *what, ls_status *st)
{
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int code;
	switch (rc & 0xff) {
	case SQLITE_FULL:
		code = LS_RESOURCE_EXHAUSTED;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = LS_UNAVAILABLE;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		code = LS_DATA_LOSS;
		break;
	case SQLITE_CANTOPEN:
		code = LS_NOT_FOUND;
		break;
	default:
		code = LS_INTERNAL;
	}
	return ls_status_set(st, code, "%s: %s", what, msg);
}

static int exec(sqlite3 *db, const char *sql, const char *what, ls_status *st)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? LS_OK : sql_status(db, rc, what, st);
}

/* The integer the first column of sql's first row holds; -1 on error. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* PRAGMA integrity_check on db, which name says what it is. */
static int check_integrity(sqlite3 *db, const char *name, ls_status *st)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_status(db, rc, name, st);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(q);
		return sql_status(db, rc, name, st);
	}
	const char *first = (const char *)sqlite3_column_text(q, 0);
	if (first != NULL && strcmp(first, "ok") == 0) {
		sqlite3_finalize(q);
		return LS_OK;
	}
	ls_status_set(st, LS_DATA_LOSS, "%s fails its integrity check: %s", name,
	              first ? first : "?");
	sqlite3_finalize(q);
	return st->code;
}

/* Copies all of src into dst in one step, so that the copy is one read
 * transaction of src: a backup in several steps starts over whenever
 * another connection writes between them, which under steady writes may be
 * for ever. */
static int copy_all(sqlite3 *dst, sqlite3 *src, const char *what, ls_status *st)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL)
		return sql_status(dst, sqlite3_errcode(dst), what, st);
	int rc;
	int waited = 0;
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (waited >= BUSY_WAIT_MS)
			break;
		sqlite3_sleep(50);
		waited += 50;
	}
	int fin = sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		return sql_status(NULL, rc, what, st);
	if (fin != SQLITE_OK)
		return sql_status(dst, fin, what, st);
	return LS_OK;
}

/* Makes a file's directory entry durable: the rename or link into it
 * survives a power cut. */
static void sync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	snprintf(copy, sizeof copy, "%s", path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int sync_file(const char *path, ls_status *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return ls_status_set(st, err == ENOSPC ? LS_RESOURCE_EXHAUSTED : LS_INTERNAL,
		                     "cannot sync %s: %s", path, strerror(err));
	}
	close(fd);
	return LS_OK;
}

/* "DIR/.NAME.partial" for "DIR/NAME": hidden, and beside the final name so
 * that linking it there is atomic. */
static int partial_name(const char *path, char *out, size_t n, ls_status *st)
{
	const char *slash = strrchr(path, '/');
	int len = slash ? snprintf(out, n, "%.*s/.%s.partial", (int)(slash - path), path, slash + 1)
	                : snprintf(out, n, ".%s.partial", path);
	if (len < 0 || (size_t)len >= n)
		return ls_status_set(st, LS_INVALID_ARGUMENT, "the path %s is too long", path);
	return LS_OK;
}

/* ---- backup ------------------------------------------------------------------ */

int srv_store_backup(const char *db_path, const char *dst_path, int64_t *size, ls_status *st)
{
	char tmp[PATH_MAX];
	sqlite3 *src = NULL, *dst = NULL;
	struct stat sb;
	*size = 0;
	if (partial_name(dst_path, tmp, sizeof tmp, st) != LS_OK)
		return st->code;
	if (lstat(dst_path, &sb) == 0)
		return ls_status_field(st, LS_ALREADY_EXISTS, "file", "%s already exists",
		                       dst_path);

	/* A partial file is left only by a backup that died; only one runs at a
	 * time, so it is nobody's. Created here first, for its mode: a copy of
	 * the database is for the server's user alone. */
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return ls_status_set(st, errno == ENOSPC ? LS_RESOURCE_EXHAUSTED : LS_INTERNAL,
		                     "cannot create %s: %s", tmp, strerror(errno));
	close(fd);

	int rc = sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		sql_status(src, rc, "backup: cannot open the database", st);
		goto fail;
	}
	sqlite3_busy_timeout(src, BUSY_WAIT_MS);
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		sql_status(dst, rc, "backup: cannot open the copy", st);
		goto fail;
	}
	/* The copy takes the source's header, WAL mode included; a backup is
	 * better as one file that needs no -wal or -shm beside it. */
	if (copy_all(dst, src, "backup", st) != LS_OK ||
	    exec(dst, "PRAGMA journal_mode = DELETE", "backup: journal mode", st) != LS_OK ||
	    check_integrity(dst, "the copy", st) != LS_OK)
		goto fail;
	sqlite3_close(src);
	src = NULL;
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK) {
		ls_status_set(st, LS_INTERNAL, "backup: cannot close the copy: %s",
		              sqlite3_errstr(rc));
		goto fail;
	}
	if (sync_file(tmp, st) != LS_OK)
		goto fail;
	/* link() never replaces: a file that appeared meanwhile is kept. */
	if (link(tmp, dst_path) != 0) {
		if (errno == EEXIST)
			ls_status_field(st, LS_ALREADY_EXISTS, "file", "%s already exists",
			                dst_path);
		else
			ls_status_set(st, errno == ENOSPC ? LS_RESOURCE_EXHAUSTED : LS_INTERNAL,
			              "cannot create %s: %s", dst_path, strerror(errno));
		goto fail;
	}
	unlink(tmp);
	sync_dir_of(dst_path);
	if (stat(dst_path, &sb) == 0)
		*size = (int64_t)sb.st_size;
	return LS_OK;

fail:
	sqlite3_close(dst);
	sqlite3_close(src);
	unlink(tmp);
	return st->code;
}

/* ---- restore ----------------------------------------------------------------- */

/* Opens the backup file and checks that it is whole and is a database of
 * ours that this server can serve. */
static int open_checked(const char *file, sqlite3 **out, srv_restore_info *info, ls_status *st)
{
	struct stat sb;
	*out = NULL;
	if (stat(file, &sb) != 0)
		return ls_status_set(st, LS_NOT_FOUND, "cannot read %s: %s", file, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return ls_status_set(st, LS_INVALID_ARGUMENT, "%s is not a regular file", file);
	sqlite3 *db;
	int rc = sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		sql_status(db, rc, file, st);
		sqlite3_close(db);
		return st->code;
	}
	sqlite3_busy_timeout(db, BUSY_WAIT_MS);
	if (check_integrity(db, file, st) != LS_OK) {
		sqlite3_close(db);
		return st->code;
	}
	int newest = srv_n_migrations ? srv_migrations[srv_n_migrations - 1].version : 0;
	info->version = (int)query_int(db, "PRAGMA user_version");
	info->accounts = query_int(db, "SELECT count(*) FROM accounts");
	if (info->version <= 0 || info->accounts < 0) {
		sqlite3_close(db);
		return ls_status_set(st, LS_FAILED_PRECONDITION, "%s is not a luoshi database",
		                     file);
	}
	if (info->version > newest) {
		sqlite3_close(db);
		return ls_status_set(st, LS_FAILED_PRECONDITION,
		                     "%s has schema %d, newer than this server's %d: restore it "
		                     "with a newer luoshid",
		                     file, info->version, newest);
	}
	*out = db;
	return LS_OK;
}

/* Takes the database at path for this connection alone, for as long as it
 * stays open. A luoshid serving it keeps a connection open all the time,
 * and in WAL mode every open connection holds a shared lock: the exclusive
 * one is then refused at once. */
static int lock_exclusive(const char *path, sqlite3 **out, ls_status *st)
{
	sqlite3 *db;
	*out = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		sql_status(db, rc, path, st);
		sqlite3_close(db);
		return st->code;
	}
	if (exec(db, "PRAGMA locking_mode = EXCLUSIVE", path, st) != LS_OK)
		goto fail;
	rc = sqlite3_exec(db, "BEGIN EXCLUSIVE; SELECT count(*) FROM sqlite_schema; COMMIT", NULL,
	                  NULL, NULL);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		ls_status_set(st, LS_UNAVAILABLE,
		              "%s is in use by another process (is luoshid running? stop it "
		              "first)",
		              path);
		goto fail;
	}
	if (rc != SQLITE_OK) {
		sql_status(db, rc, path, st);
		goto fail;
	}
	*out = db;
	return LS_OK;

fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return st->code;
}

/* Copies the locked database to path, which must not exist. */
static int keep_copy(sqlite3 *db, const char *path, ls_status *st)
{
	char tmp[PATH_MAX];
	struct stat sb;
	if (lstat(path, &sb) == 0)
		return ls_status_set(st, LS_ALREADY_EXISTS,
		                     "%s already exists (from an earlier restore?): move it away "
		                     "first",
		                     path);
	if (partial_name(path, tmp, sizeof tmp, st) != LS_OK)
		return st->code;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return ls_status_set(st, LS_INTERNAL, "cannot create %s: %s", tmp, strerror(errno));
	close(fd);
	sqlite3 *copy;
	int rc = sqlite3_open_v2(tmp, &copy, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		sql_status(copy, rc, tmp, st);
		sqlite3_close(copy);
		unlink(tmp);
		return st->code;
	}
	if (copy_all(copy, db, "keeping the old database", st) != LS_OK ||
	    exec(copy, "PRAGMA journal_mode = DELETE", tmp, st) != LS_OK) {
		sqlite3_close(copy);
		unlink(tmp);
		return st->code;
	}
	sqlite3_close(copy);
	if (sync_file(tmp, st) != LS_OK || rename(tmp, path) != 0) {
		if (st->code == LS_OK)
			ls_status_set(st, LS_INTERNAL, "cannot create %s: %s", path,
			              strerror(errno));
		unlink(tmp);
		return st->code;
	}
	sync_dir_of(path);
	return LS_OK;
}

int srv_store_restore(const char *db_path, const char *file, srv_restore_info *info, ls_status *st)
{
	if (srv_store_is_url(db_path))
		return ls_status_set(st, LS_FAILED_PRECONDITION,
		                     "the database is PostgreSQL's: restore it with PostgreSQL's own "
		                     "tools (pg_restore); luoshid restores SQLite databases only");
	sqlite3 *src = NULL, *db = NULL;
	struct stat sb;
	memset(info, 0, sizeof *info);
	if (open_checked(file, &src, info, st) != LS_OK)
		return st->code;
	bool existed = stat(db_path, &sb) == 0;
	if (lock_exclusive(db_path, &db, st) != LS_OK)
		goto out;
	if (existed) {
		int n = snprintf(info->kept, sizeof info->kept, "%s.before-restore", db_path);
		if (n < 0 || (size_t)n >= sizeof info->kept) {
			ls_status_set(st, LS_INVALID_ARGUMENT, "the path %s is too long", db_path);
			goto out;
		}
		if (keep_copy(db, info->kept, st) != LS_OK) {
			info->kept[0] = '\0';
			goto out;
		}
	}
	/* synchronous=FULL as the server runs it: the restored pages are on
	 * disk when the copy commits. */
	if (exec(db, "PRAGMA synchronous = FULL", db_path, st) != LS_OK ||
	    copy_all(db, src, "restore", st) != LS_OK ||
	    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", db_path, st) != LS_OK ||
	    check_integrity(db, db_path, st) != LS_OK)
		goto out;
	int64_t accounts = query_int(db, "SELECT count(*) FROM accounts");
	if (accounts != info->accounts) {
		ls_status_set(st, LS_DATA_LOSS,
		              "%s holds %lld accounts after the restore, not %lld", db_path,
		              (long long)accounts, (long long)info->accounts);
		goto out;
	}

out:
	sqlite3_close(src);
	if (db != NULL && sqlite3_close(db) != SQLITE_OK && st->code == LS_OK)
		ls_status_set(st, LS_INTERNAL, "cannot close %s", db_path);
	/* Opening the lock created an empty database where there was none. */
	if (st->code != LS_OK && !existed && db != NULL)
		unlink(db_path);
	if (st->code == LS_OK && stat(db_path, &sb) == 0)
		info->size = (int64_t)sb.st_size;
	return st->code;
}
