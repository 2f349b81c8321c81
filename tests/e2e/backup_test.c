/* End to end: AdminService/Backup and luoshid --restore. A backup taken
 * while writers keep creating accounts holds every account that got OK
 * before it started and none asked for after it finished; restored into a
 * new path it serves again, whole. Then the refusals: bad file names,
 * roles other than admin, files that exist, restoring over a database in
 * use, from a damaged or foreign file, or over an earlier before-restore
 * copy. And `luoshi admin backup`. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "luoshi/v1/account.pb-c.h"
#include "luoshi/v1/admin.pb-c.h"
#include "luoshi/v1/registry.pb-c.h"

extern char **environ;

#define M_BACKUP "/luoshi.v1.AdminService/Backup"
#define M_GET_BACKUP "/luoshi.v1.AdminService/GetBackup"
#define M_CREATE_PERSON "/luoshi.v1.RegistryService/CreatePerson"

#define TOKEN_MAX 128

/* ---- helpers ------------------------------------------------------------------ */

/* Starts a backup of file; the code, and the job's id on OK. */
static int start_backup(luoshi_client *c, const char *file, int64_t *id, ls_status *st)
{
	Luoshi__V1__BackupRequest req = LUOSHI__V1__BACKUP_REQUEST__INIT;
	req.file = (char *)file;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_BACKUP, &req.base, NULL, &m, st);
	if (rc != LS_OK)
		return rc;
	const Luoshi__V1__BackupJob *j = ((Luoshi__V1__BackupResponse *)m)->job;
	assert_non_null(j);
	assert_true(j->has_id);
	assert_int_equal(j->state, LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_RUNNING);
	assert_string_equal(j->file, file);
	if (id != NULL)
		*id = j->id;
	protobuf_c_message_free_unpacked(m, NULL);
	return LS_OK;
}

static int get_backup(luoshi_client *c, int64_t id, Luoshi__V1__GetBackupResponse **out,
                      ls_status *st)
{
	Luoshi__V1__GetBackupRequest req = LUOSHI__V1__GET_BACKUP_REQUEST__INIT;
	req.has_id = id != 0;
	req.id = id;
	ProtobufCMessage *m;
	int rc = e2e_call(c, M_GET_BACKUP, &req.base, NULL, &m, st);
	*out = (Luoshi__V1__GetBackupResponse *)m;
	return rc;
}

/* Polls job id until it is no longer running (at most 60 s); the last
 * answer, which the caller frees. */
static Luoshi__V1__GetBackupResponse *wait_backup(luoshi_client *c, int64_t id)
{
	uint64_t end = e2e_now_ms() + 60000;
	for (;;) {
		Luoshi__V1__GetBackupResponse *r;
		ls_status st;
		int rc = get_backup(c, id, &r, &st);
		if (rc != LS_OK)
			fail_msg("GetBackup %" PRId64 ": %s %s", id, ls_code_name(rc), st.message);
		assert_non_null(r->job);
		if (r->job->state != LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_RUNNING)
			return r;
		protobuf_c_message_free_unpacked(&r->base, NULL);
		assert_true(e2e_now_ms() < end);
		e2e_poll_pause();
	}
}

/* Backs up file as the admin and waits; returns the path (malloc'd). */
static char *backup_ok(const e2e_server *s, const char *file)
{
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	int64_t id;
	ls_status st;
	int rc = start_backup(c, file, &id, &st);
	if (rc != LS_OK)
		fail_msg("Backup %s: %s %s", file, ls_code_name(rc), st.message);
	Luoshi__V1__GetBackupResponse *r = wait_backup(c, id);
	if (r->job->state != LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_DONE)
		fail_msg("backup %s: %s", file, r->job->error ? r->job->error : "?");
	char *path = strdup(r->job->path);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	luoshi_client_close(c);
	return path;
}

/* PRAGMA integrity_check's first row for the database at path. */
static void assert_integrity_ok(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* The value of sql (one integer) on the database file at path. */
static int64_t file_int(const char *path, const char *sql, const char *p1)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	int64_t v = e2e_db_int(db, sql, p1, NULL);
	sqlite3_close(db);
	return v;
}

/* Runs luoshid with args (NULL-terminated, without argv[0]). */
static void run_luoshid(const char *const *args, e2e_run *r)
{
	char *argv[16];
	int n = 0;
	argv[n++] = getenv("LUOSHID");
	assert_non_null(argv[0]);
	for (int i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	assert_int_equal(e2e_run_program(argv, environ, 60000, r), 0);
}

static bool exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

/* Copies a file byte for byte. */
static void copy_file(const char *from, const char *to)
{
	size_t n;
	char *data = e2e_read_file(from, &n);
	assert_non_null(data);
	FILE *f = fopen(to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	free(data);
}

/* ---- a backup under write load, restored -------------------------------------- */

#define WRITERS 4
#define NAMES_MAX 4000

typedef struct writer {
	const e2e_server *s;
	int index;
	atomic_bool *stop, *backup_started, *backup_done;
	atomic_int oks;
	int n;
	/* Per account created: its name's number, and whether it got OK before
	 * the backup started, or was sent after the backup was done. */
	bool before[NAMES_MAX], after[NAMES_MAX];
	int failed;
	char message[sizeof(ls_status){0}.message + 64];
} writer;

static void *write_accounts(void *arg)
{
	writer *w = arg;
	luoshi_client *c = NULL;
	luoshi_client_opts o = {
	    .url = w->s->tcp_url, .token = w->s->admin_token, .timeout_ms = 10000};
	ls_status st;
	if (luoshi_client_open(&c, &o, &st) != LS_OK) {
		w->failed = 1;
		snprintf(w->message, sizeof w->message, "open: %s", st.message);
		return NULL;
	}
	while (!atomic_load(w->stop) && w->n < NAMES_MAX) {
		char name[48];
		snprintf(name, sizeof name, "writer %d account %d", w->index, w->n);
		bool sent_after = atomic_load(w->backup_done);
		int rc = e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_VIEWER, name, NULL, NULL,
		                            NULL, 0, &st);
		if (rc != LS_OK) {
			w->failed = 1;
			snprintf(w->message, sizeof w->message, "%s: %s %s", name, ls_code_name(rc),
			         st.message);
			break;
		}
		/* Read after the OK: if the backup had not started then, the
		 * commit came before the backup's request. */
		w->before[w->n] = !atomic_load(w->backup_started);
		w->after[w->n] = sent_after;
		w->n++;
		atomic_fetch_add(&w->oks, 1);
	}
	luoshi_client_close(c);
	return NULL;
}

/* Waits until every writer has at least n more OKs than in base[]. */
static void wait_writes(writer *ws, const int *base, int n)
{
	uint64_t end = e2e_now_ms() + 60000;
	for (;;) {
		bool all = true;
		for (int i = 0; i < WRITERS; i++) {
			if (ws[i].failed)
				fail_msg("writer %d: %s", i, ws[i].message);
			if (atomic_load(&ws[i].oks) < base[i] + n)
				all = false;
		}
		if (all)
			return;
		if (e2e_now_ms() >= end)
			fail_msg("the writers made %d, %d, %d and %d accounts; expected %d more "
			         "than %d, %d, %d and %d",
			         atomic_load(&ws[0].oks), atomic_load(&ws[1].oks),
			         atomic_load(&ws[2].oks), atomic_load(&ws[3].oks), n, base[0],
			         base[1], base[2], base[3]);
		e2e_poll_pause();
	}
}

static void test_backup_under_load_and_restore(void **state)
{
	e2e_server *s = *state;
	/* The writers all write as the admin: no rate limit then. */
	const char *extra[] = {"--rate-limit", "0", NULL};
	assert_int_equal(e2e_server_start(s, extra), 0);
	static writer ws[WRITERS];
	atomic_bool stop, started, done;
	atomic_init(&stop, false);
	atomic_init(&started, false);
	atomic_init(&done, false);
	pthread_t th[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		memset(&ws[i], 0, sizeof ws[i]);
		ws[i].s = s;
		ws[i].index = i;
		ws[i].stop = &stop;
		ws[i].backup_started = &started;
		ws[i].backup_done = &done;
		atomic_init(&ws[i].oks, 0);
		if (pthread_create(&th[i], NULL, write_accounts, &ws[i]) != 0)
			abort(); /* nothing could stop the started ones safely */
	}
	int base[WRITERS] = {0};
	wait_writes(ws, base, 20);

	/* The backup, while the writers go on. */
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 10000);
	atomic_store(&started, true);
	int64_t id;
	ls_status st;
	int rc = start_backup(c, "under-load.db", &id, &st);
	if (rc != LS_OK) {
		atomic_store(&stop, true);
		for (int i = 0; i < WRITERS; i++)
			pthread_join(th[i], NULL);
		fail_msg("Backup: %s %s", ls_code_name(rc), st.message);
	}
	Luoshi__V1__GetBackupResponse *r = wait_backup(c, id);
	atomic_store(&done, true);
	for (int i = 0; i < WRITERS; i++)
		base[i] = atomic_load(&ws[i].oks);
	/* Writes go on after it, to be left out of it. */
	wait_writes(ws, base, 10);
	atomic_store(&stop, true);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	luoshi_client_close(c);
	for (int i = 0; i < WRITERS; i++)
		if (ws[i].failed)
			fail_msg("writer %d: %s", i, ws[i].message);

	assert_int_equal(r->job->state, LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_DONE);
	char expected[E2E_PATH_MAX + 32];
	snprintf(expected, sizeof expected, "%s/backups/under-load.db", s->dir);
	assert_string_equal(r->job->path, expected);
	assert_non_null(r->job->finished_at);
	struct stat sb;
	assert_int_equal(stat(expected, &sb), 0);
	assert_true(r->job->has_size_bytes);
	assert_int_equal(r->job->size_bytes, sb.st_size);
	/* For the server's user alone, one file, whole. */
	assert_int_equal(sb.st_mode & 0777, 0600);
	char side[E2E_PATH_MAX + 40];
	snprintf(side, sizeof side, "%s-wal", expected);
	assert_false(exists(side));
	snprintf(side, sizeof side, "%s/backups/.under-load.db.partial", s->dir);
	assert_false(exists(side));
	assert_integrity_ok(expected);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* The backup was audited, with the admin as its author. */
	sqlite3 *db = e2e_db_open(s);
	assert_int_equal(
	    e2e_db_int(db,
	               "SELECT count(*) FROM audit_log WHERE entity = 'backup' AND "
	               "method = ?1 AND account_id = 1 AND after LIKE '%under-load.db%'",
	               M_BACKUP, NULL),
	    1);
	sqlite3_close(db);
	assert_int_equal(e2e_server_stop(s), 0);

	/* Restored into the path of another server, over its own database. */
	e2e_server t;
	assert_int_equal(e2e_server_init(&t), 0);
	char kept[E2E_PATH_MAX + 24];
	snprintf(kept, sizeof kept, "%s.before-restore", t.db);
	e2e_run out;
	const char *args[] = {"--db", t.db, "--restore", expected, NULL};
	run_luoshid(args, &out);
	if (out.status != 0)
		fail_msg("luoshid --restore exited %d: %s", out.status, out.err);
	assert_non_null(strstr(out.out, "restored"));
	assert_non_null(strstr(out.out, kept));
	e2e_run_free(&out);
	/* The database it had is kept: one account, its own admin. */
	assert_int_equal(file_int(kept, "SELECT count(*) FROM accounts", NULL), 1);
	assert_integrity_ok(t.db);

	/* Every account that got OK before the backup started is there; none
	 * asked for after it was done. */
	int n_before = 0, n_after = 0;
	for (int i = 0; i < WRITERS; i++) {
		for (int k = 0; k < ws[i].n; k++) {
			char name[48];
			snprintf(name, sizeof name, "writer %d account %d", i, k);
			int64_t there =
			    file_int(t.db, "SELECT count(*) FROM accounts WHERE name = ?1", name);
			if (ws[i].before[k]) {
				n_before++;
				if (there != 1)
					fail_msg("%s got OK before the backup but is not in it",
					         name);
			}
			if (ws[i].after[k]) {
				n_after++;
				if (there != 0)
					fail_msg("%s was sent after the backup but is in it", name);
			}
		}
	}
	assert_true(n_before >= WRITERS * 20);
	assert_true(n_after >= WRITERS * 10);

	/* It serves again, as the district it was: the old admin's token works,
	 * the new database's does not. */
	assert_int_equal(e2e_server_start(&t, NULL), 0);
	luoshi_client *old = e2e_client(t.tcp_url, s->admin_token, 5000);
	assert_int_equal(e2e_create_account(old, LUOSHI__V1__ROLE__ROLE_TOWN, "after the restore",
	                                    NULL, NULL, NULL, 0, &st),
	                 LS_OK);
	luoshi_client_close(old);
	luoshi_client *fresh = e2e_client(t.tcp_url, t.admin_token, 5000);
	assert_int_equal(e2e_create_account(fresh, LUOSHI__V1__ROLE__ROLE_TOWN, "refused", NULL,
	                                    NULL, NULL, 0, &st),
	                 LS_UNAUTHENTICATED);
	luoshi_client_close(fresh);
	assert_int_equal(e2e_server_stop(&t), 0);
	assert_integrity_ok(t.db);
	e2e_server_cleanup(&t);
}

/* ---- validation and roles ------------------------------------------------------ */

/* The names in DIR, for "nothing was written there". */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int64_t audit_rows(const e2e_server *s)
{
	sqlite3 *db = e2e_db_open(s);
	int64_t n = e2e_db_int(db, "SELECT count(*) FROM audit_log", NULL, NULL);
	sqlite3_close(db);
	return n;
}

static void test_file_validation(void **state)
{
	e2e_server *s = *state;
	char dir[E2E_PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/backups", s->dir);
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	int64_t audits = audit_rows(s);
	ls_status st;
	static const char *const bad[] = {"",     "../escape.db", "sub/dir.db",    "/etc/passwd",
	                                  "a..b", ".hidden.db",   "line\nbreak.db"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = start_backup(c, bad[i], NULL, &st);
		if (rc != LS_INVALID_ARGUMENT)
			fail_msg("file \"%s\": %s %s", bad[i], ls_code_name(rc), st.message);
		assert_string_equal(st.field, "file");
	}
	/* Absent altogether. */
	Luoshi__V1__BackupRequest req = LUOSHI__V1__BACKUP_REQUEST__INIT;
	ProtobufCMessage *m;
	assert_int_equal(e2e_call(c, M_BACKUP, &req.base, NULL, &m, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "file");
	/* Too long. */
	char longname[260];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(start_backup(c, longname, NULL, &st), LS_INVALID_ARGUMENT);
	assert_int_equal(count_entries(dir), 0);
	char escaped[E2E_PATH_MAX + 16];
	snprintf(escaped, sizeof escaped, "%s/escape.db", s->dir);
	assert_false(exists(escaped));
	assert_int_equal(audit_rows(s), audits);

	/* A name taken: ALREADY_EXISTS, the file untouched. */
	char *path = backup_ok(s, "taken.db");
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(start_backup(c, "taken.db", NULL, &st), LS_ALREADY_EXISTS);
	assert_string_equal(st.field, "file");
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(before.st_mtime, after.st_mtime);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(audit_rows(s), audits + 1);
	free(path);

	/* GetBackup: an id is required, and unknown ones are NOT_FOUND. */
	Luoshi__V1__GetBackupResponse *r;
	assert_int_equal(get_backup(c, 0, &r, &st), LS_INVALID_ARGUMENT);
	assert_string_equal(st.field, "id");
	assert_int_equal(get_backup(c, 99, &r, &st), LS_NOT_FOUND);
	assert_int_equal(get_backup(c, 1, &r, &st), LS_OK);
	assert_int_equal(r->job->state, LUOSHI__V1__BACKUP_STATE__BACKUP_STATE_DONE);
	assert_string_equal(r->job->file, "taken.db");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	luoshi_client_close(c);
}

static void test_roles(void **state)
{
	e2e_server *s = *state;
	luoshi_client *admin = e2e_client(s->tcp_url, s->admin_token, 5000);
	ls_status st;
	/* A leader's account needs a person. */
	Luoshi__V1__CreatePersonRequest pq = LUOSHI__V1__CREATE_PERSON_REQUEST__INIT;
	pq.code = (char *)"P01";
	pq.name = (char *)"张区长";
	pq.title = (char *)"副区长";
	pq.unit = (char *)"office";
	ProtobufCMessage *m;
	int rc = e2e_call(admin, M_CREATE_PERSON, &pq.base, NULL, &m, &st);
	if (rc != LS_OK)
		fail_msg("CreatePerson: %s %s", ls_code_name(rc), st.message);
	protobuf_c_message_free_unpacked(m, NULL);

	static const int roles[] = {
	    LUOSHI__V1__ROLE__ROLE_LEADER,     LUOSHI__V1__ROLE__ROLE_TOWN,
	    LUOSHI__V1__ROLE__ROLE_DEPARTMENT, LUOSHI__V1__ROLE__ROLE_INSPECTOR,
	    LUOSHI__V1__ROLE__ROLE_DISCIPLINE, LUOSHI__V1__ROLE__ROLE_VIEWER,
	};
	/* A job for GetBackup to be refused on. */
	char *path = backup_ok(s, "by-admin.db");
	free(path);
	int64_t audits = audit_rows(s);
	char dir[E2E_PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/backups", s->dir);
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		Luoshi__V1__CreateAccountRequest req = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
		req.has_role = true;
		req.role = (Luoshi__V1__Role)roles[i];
		req.name = (char *)"not an admin";
		if (roles[i] == LUOSHI__V1__ROLE__ROLE_LEADER)
			req.person = (char *)"P01";
		assert_int_equal(e2e_call(admin, "/luoshi.v1.AccountService/CreateAccount",
		                          &req.base, NULL, &m, &st),
		                 LS_OK);
		char token[TOKEN_MAX];
		snprintf(token, sizeof token, "%s",
		         ((Luoshi__V1__CreateAccountResponse *)m)->token);
		protobuf_c_message_free_unpacked(m, NULL);
		audits++;

		luoshi_client *c = e2e_client(s->tcp_url, token, 5000);
		rc = start_backup(c, "by-someone-else.db", NULL, &st);
		if (rc != LS_PERMISSION_DENIED)
			fail_msg("role %d: Backup answered %s", roles[i], ls_code_name(rc));
		Luoshi__V1__GetBackupResponse *r;
		assert_int_equal(get_backup(c, 1, &r, &st), LS_PERMISSION_DENIED);
		luoshi_client_close(c);
		/* Nothing written: no file, no audit row. */
		assert_int_equal(count_entries(dir), 1);
		assert_int_equal(audit_rows(s), audits);
	}
	luoshi_client_close(admin);
}

static void test_backup_dir_config(void **state)
{
	e2e_server *s = *state;
	char dir[E2E_PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/elsewhere", s->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	const char *extra[] = {"--backup-dir", dir, NULL};
	assert_int_equal(e2e_server_start(s, extra), 0);
	char *path = backup_ok(s, "here.db");
	char expected[E2E_PATH_MAX + 32];
	snprintf(expected, sizeof expected, "%s/here.db", dir);
	assert_string_equal(path, expected);
	assert_integrity_ok(path);
	free(path);
	snprintf(expected, sizeof expected, "%s/backups", s->dir);
	assert_false(exists(expected));
}

/* ---- restore's refusals ------------------------------------------------------- */

static void expect_refusal(const char *db, const char *file, const char *word)
{
	e2e_run out;
	const char *args[] = {"--db", db, "--restore", file, NULL};
	run_luoshid(args, &out);
	/* 1: refused; anything else would be a crash or a sanitizer's report. */
	if (out.status != 1 || strstr(out.err, word) == NULL)
		fail_msg("restore of %s over %s exited %d, expected a refusal naming \"%s\": %s",
		         file, db, out.status, word, out.err);
	e2e_run_free(&out);
}

static void test_restore_refusals(void **state)
{
	e2e_server *s = *state;
	char *good = backup_ok(s, "good.db");
	luoshi_client *c = e2e_client(s->tcp_url, s->admin_token, 5000);
	ls_status st;
	assert_int_equal(e2e_create_account(c, LUOSHI__V1__ROLE__ROLE_TOWN, "after the backup",
	                                    NULL, NULL, NULL, 0, &st),
	                 LS_OK);
	luoshi_client_close(c);
	char kept[E2E_PATH_MAX + 24];
	snprintf(kept, sizeof kept, "%s.before-restore", s->db);

	/* While the server holds the database. */
	expect_refusal(s->db, good, "in use");
	assert_false(exists(kept));
	assert_int_equal(e2e_count_accounts(s), 2);
	assert_int_equal(e2e_server_stop(s), 0);

	/* From files that are not a good luoshi database. */
	char bad[E2E_PATH_MAX + 16];
	snprintf(bad, sizeof bad, "%s/garbage.db", s->dir);
	assert_int_equal(e2e_write_file(bad, "this is not a database\n"), 0);
	expect_refusal(s->db, bad, "not a database");
	char foreign[E2E_PATH_MAX + 16];
	snprintf(foreign, sizeof foreign, "%s/foreign.db", s->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(foreign, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	expect_refusal(s->db, foreign, "not a luoshi database");
	char missing[E2E_PATH_MAX + 16];
	snprintf(missing, sizeof missing, "%s/missing.db", s->dir);
	expect_refusal(s->db, missing, "missing.db");
	/* A copy damaged in its middle: the integrity check finds it. */
	char damaged[E2E_PATH_MAX + 16];
	snprintf(damaged, sizeof damaged, "%s/damaged.db", s->dir);
	copy_file(good, damaged);
	FILE *f = fopen(damaged, "r+b");
	assert_non_null(f);
	struct stat sb;
	assert_int_equal(stat(damaged, &sb), 0);
	assert_true(sb.st_size > 8 * 4096);
	char junk[4096];
	memset(junk, 0x5a, sizeof junk);
	for (long page = 2; page * 4096 < sb.st_size; page += 3) {
		assert_int_equal(fseek(f, page * 4096, SEEK_SET), 0);
		assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
	}
	assert_int_equal(fclose(f), 0);
	expect_refusal(s->db, damaged, "damaged.db");
	/* Nothing of that touched the database. */
	assert_false(exists(kept));
	assert_int_equal(e2e_count_accounts(s), 2);

	/* A good restore, then a second one, which would overwrite the first's
	 * before-restore copy: refused. */
	e2e_run out;
	const char *args[] = {"--db", s->db, "--restore", good, NULL};
	run_luoshid(args, &out);
	assert_int_equal(out.status, 0);
	e2e_run_free(&out);
	assert_int_equal(e2e_count_accounts(s), 1);
	assert_int_equal(file_int(kept, "SELECT count(*) FROM accounts", NULL), 2);
	expect_refusal(s->db, good, "before-restore");
	assert_int_equal(file_int(kept, "SELECT count(*) FROM accounts", NULL), 2);
	free(good);
}

/* ---- the command line -------------------------------------------------------------- */

static void test_cli(void **state)
{
	e2e_server *s = *state;
	e2e_run r;
	const char *args[] = {"admin", "backup", "命令行.db", NULL};
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, args, &r);
	if (r.status != 0)
		fail_msg("luoshi admin backup exited %d: %s", r.status, r.err);
	char path[E2E_PATH_MAX + 32], line[E2E_PATH_MAX + 96];
	snprintf(path, sizeof path, "%s/backups/命令行.db", s->dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	snprintf(line, sizeof line, "Backup written on the server: %s (%lld bytes)\n", path,
	         (long long)sb.st_size);
	assert_string_equal(r.out, line);
	e2e_run_free(&r);
	assert_integrity_ok(path);

	/* Chinese, and JSON. */
	const char *zh[] = {"admin", "backup", "zh.db", NULL};
	e2e_cli(s->dir, s->tcp_url, s->admin_token, "zh_CN.UTF-8", zh, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "备份"));
	e2e_run_free(&r);
	const char *json[] = {"--json", "admin", "backup", "json.db", NULL};
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, json, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"state\": \"BACKUP_STATE_DONE\""));
	assert_non_null(strstr(r.out, "\"file\": \"json.db\""));
	e2e_run_free(&r);

	/* Refusals and usage. */
	const char *taken[] = {"admin", "backup", "命令行.db", NULL};
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, taken, &r);
	assert_int_equal(r.status, LS_ALREADY_EXISTS);
	assert_non_null(strstr(r.err, "already exists"));
	e2e_run_free(&r);
	const char *escape[] = {"admin", "backup", "../x.db", NULL};
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, escape, &r);
	assert_int_equal(r.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(r.err, "file"));
	e2e_run_free(&r);
	const char *none[] = {"admin", "backup", NULL};
	e2e_cli(s->dir, s->tcp_url, s->admin_token, NULL, none, &r);
	assert_int_equal(r.status, LS_INVALID_ARGUMENT);
	assert_non_null(strstr(r.err, "no FILE given"));
	e2e_run_free(&r);
	const char *help[] = {"admin", "backup", "--help", NULL};
	e2e_cli(s->dir, NULL, NULL, NULL, help, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "luoshid --db PATH --restore FILE"));
	e2e_run_free(&r);
	const char *group[] = {"admin", "--help", NULL};
	e2e_cli(s->dir, NULL, NULL, NULL, group, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "backup"));
	e2e_run_free(&r);
	/* Three backups were written: nothing else is in the directory. */
	char dir[E2E_PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/backups", s->dir);
	assert_int_equal(count_entries(dir), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_backup_under_load_and_restore, e2e_setup_init,
	                                    e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_file_validation, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_roles, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_backup_dir_config, e2e_setup_init, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_restore_refusals, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_cli, e2e_setup, e2e_teardown),
	};
	return cmocka_run_group_tests_name("e2e_backup", tests, NULL, NULL);
}
