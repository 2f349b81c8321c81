/* The end-to-end harness: starts a real luoshid in a temporary directory,
 * talks to it with the client library, runs the `luoshi` binary, and stops
 * and removes everything it started.
 *
 * The binaries come from the environment that ctest sets (LUOSHID, LUOSHI,
 * LUOSHI_LOCALEDIR; see tests/CMakeLists.txt). Servers listen only on
 * 127.0.0.1 and on ipc paths inside their directory. Only processes this
 * harness spawned are ever signalled; any still running at exit are killed
 * by an atexit handler, and servers are started with a parent-death signal
 * (util-linux setpriv) so that they die with a test program that crashed. */
#ifndef E2E_HARNESS_H
#define E2E_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>

#include "luoshi_client.h"
#include "store/db.h"

#define E2E_DIR_MAX 64
#define E2E_PATH_MAX 256

/* One luoshid and its directory. */
typedef struct e2e_server {
	char dir[E2E_DIR_MAX];      /* /tmp/luoshi-e2e-XXXXXX */
	char db[E2E_PATH_MAX];      /* DIR/luoshi.db, or a PostgreSQL URL (e2e_on_pg) */
	char log[E2E_PATH_MAX];     /* DIR/luoshid.log */
	char out[E2E_PATH_MAX];     /* DIR/luoshid.out: the server's stdout and stderr */
	char tcp_url[64];           /* tcp://127.0.0.1:PORT */
	char ipc_url[E2E_PATH_MAX]; /* ipc://DIR/rpc.sock */
	char pub_url[E2E_PATH_MAX]; /* ipc://DIR/pub.sock */
	char admin_token[128];      /* from `luoshid init` */
	int port;
	pid_t pid; /* 0 when not running */
} e2e_server;

/* ---- time and polling --------------------------------------------------- */

/* Monotonic milliseconds. */
uint64_t e2e_now_ms(void);

/* Pauses between two looks at a condition being polled (a few ms). */
void e2e_poll_pause(void);

/* The factor (an integer, at least 1) by which the harness multiplies every
 * wait that only bounds how long a process may take: the start-up, init,
 * stop and CLI limits and the timeout_ms of e2e_wait_file_contains,
 * e2e_run_program and e2e_server_wait. From LUOSHI_TEST_TIMEOUT_SCALE (1
 * when unset), which tests/valgrind.sh sets because memcheck slows luoshid
 * down twenty to fifty times. */
int e2e_timeout_scale(void);

/* ---- the server --------------------------------------------------------- */

/* True when the tests run on PostgreSQL: LUOSHI_TEST_PG is set (by
 * tests/pg_server.sh), and each server gets a new database there. */
bool e2e_on_pg(void);

/* Makes the directory and the database (`luoshid --db DIR/luoshi.db init`,
 * or a new PostgreSQL database: e2e_on_pg) and reads the admin token.
 * Returns 0, or -1 after printing why. */
int e2e_server_init(e2e_server *s);

/* Makes s a second server of other's database (a PostgreSQL one, which
 * two servers may share): a directory of its own, other's database URL
 * and admin token, no init. Returns 0, or -1 after printing why. */
int e2e_server_init_beside(e2e_server *s, const e2e_server *other);

/* Spawns luoshid on a free loopback port, its ipc socket and its publish
 * socket, logging at debug level to DIR/luoshid.log, with extra arguments
 * after the harness's own (NULL-terminated, may be NULL), and waits until
 * HealthService/Check answers SERVING (at most 10 s). Retries on a new port
 * when another process took the port first; any other death at start is a
 * failure. Returns 0, or -1 after printing why. */
int e2e_server_start(e2e_server *s, const char *const *extra);

/* Spawns luoshid with exactly args (NULL-terminated, after the program's
 * name), and waits until url answers SERVING (at most 10 s); url becomes
 * s->tcp_url. For servers configured otherwise than by the harness's flags.
 * Returns 0, or -1 after printing why. */
int e2e_server_start_args(e2e_server *s, const char *const *args, const char *url);

/* init + start. */
int e2e_server_up(e2e_server *s, const char *const *extra);

/* Sends SIGTERM and waits for the server to exit (at most 15 s, then
 * SIGKILL). Returns its exit status (0..255), 128+N when killed by signal
 * N, or -1 when nothing was running. Prints the server's stderr when the
 * status is not 0. */
int e2e_server_stop(e2e_server *s);

/* Waits for the exit of a server already signalled; as e2e_server_stop. */
int e2e_server_wait(e2e_server *s, int timeout_ms);

/* True while the server process is alive (not exited, not a zombie). */
bool e2e_server_alive(e2e_server *s);

/* Stops the server if it runs and removes its directory. */
void e2e_server_cleanup(e2e_server *s);

/* cmocka setup/teardown: a fresh server per test (or per group), handed
 * over in *state. The teardown fails when the server does not exit 0 on
 * SIGTERM. */
int e2e_setup(void **state);
int e2e_teardown(void **state);

/* Like e2e_setup, but only makes the directory and the database: the test
 * starts the server itself (e2e_server_start, e2e_server_start_args), and
 * e2e_teardown stops it. */
int e2e_setup_init(void **state);

/* A free TCP port on 127.0.0.1 (bound to port 0 and read back). */
int e2e_free_port(void);

/* A port on 127.0.0.1 where connections are refused for as long as *fd
 * stays open: bound, never listening, so nobody else can take it. Close
 * *fd when done. Returns the port or -1. */
int e2e_closed_port(int *fd);

/* ---- the client library ------------------------------------------------- */

/* Opens a client on url with token (may be NULL) and timeout_ms (0: the
 * library's default). Fails the test when it cannot. */
luoshi_client *e2e_client(const char *url, const char *token, uint32_t timeout_ms);

/* Like e2e_client with max_message (0: the library's default). */
luoshi_client *e2e_client_max(const char *url, const char *token, uint32_t timeout_ms,
                              size_t max_message);

/* Calls method; returns the status code, *resp as luoshi_client_call. */
int e2e_call(luoshi_client *c, const char *method, const ProtobufCMessage *req, const char *key,
             ProtobufCMessage **resp, ls_status *st);

/* CreateAccount as the token's holder. Returns the code; on OK *id and
 * token (when not NULL, of tsize bytes) are filled. */
int e2e_create_account(luoshi_client *c, int role, const char *name, const char *key, int64_t *id,
                       char *token, size_t tsize, ls_status *st);

/* ---- the database, read and written from the side --------------------- */

/* A connection to a server's database, whichever it is: its SQLite file,
 * or its PostgreSQL database (e2e_on_pg). Statements are the store's own
 * (store/db.h): prepare with e2e_db_prepare, bind with srv_bind_*, step
 * with srv_step to SRV_ROW or SRV_DONE, read with srv_col_*. Their SQL
 * must run on both: parameters are written ?N or :name, and a parameter
 * whose type PostgreSQL cannot tell from its place needs a CAST. Bound
 * text and blobs are not copied: keep them until the statement is reset
 * or finalized. */
typedef struct e2e_db e2e_db;

/* Connects to the server's database (a SQLite file read-write, with a busy
 * timeout). Fails the test when it cannot. */
e2e_db *e2e_db_connect(const e2e_server *s);

void e2e_db_close(e2e_db *db);

/* Runs sql, which may hold several statements and no parameters. Fails
 * the test on error. */
void e2e_db_exec(e2e_db *db, const char *sql);

/* Like e2e_db_exec, but returns false on error (e2e_db_errmsg says why). */
bool e2e_db_try_exec(e2e_db *db, const char *sql);

/* The message of the last failure on db. */
const char *e2e_db_errmsg(e2e_db *db);

/* The rows the last statement on db inserted, changed or deleted. */
int64_t e2e_db_changes(e2e_db *db);

/* Opens a transaction that holds the lock every writer of the server takes
 * first (SQLite's BEGIN IMMEDIATE; on PostgreSQL the store's writer lock):
 * the server's writes wait until ROLLBACK or COMMIT. Fails the test when it
 * cannot. */
void e2e_db_begin_write(e2e_db *db);

/* After rows were inserted with their ids given: on PostgreSQL, moves the
 * sequence of every identity column past the largest id in its table (if
 * not past it already), so that the server's next insert does not draw one
 * of them; SQLite takes the largest rowid plus one by itself. */
void e2e_db_ids_given(e2e_db *db);

/* Prepares sql. Fails the test when it does not prepare. */
srv_q *e2e_db_prepare(e2e_db *db, const char *sql);

/* A statement whose rows are the names of the tables of the server's
 * schema (one column), by name. Finalize it. */
srv_q *e2e_db_tables(e2e_db *db);

/* Steps q once and fails the test unless that gives want (SRV_ROW or
 * SRV_DONE). */
void e2e_db_step(srv_q *q, int want);

/* Makes q ready to run again, with its bindings cleared. */
void e2e_db_reset(srv_q *q);

void e2e_db_finalize(srv_q *q);

/* The integer the first column of the first row of sql gives, with the
 * optional text parameters p1 and p2 bound to ?1 and ?2. Fails the test on
 * error or when there is no row. */
int64_t e2e_db_int_any(e2e_db *db, const char *sql, const char *p1, const char *p2);

/* The number of rows in the accounts table. */
int64_t e2e_count_accounts(const e2e_server *s);

/* ---- the SQLite file itself ---------------------------------------------- */

/* For what only SQLite has (its file, its locks, its PRAGMAs): opens the
 * server's database file read-write with a busy timeout. Fails the test
 * when it cannot. */
sqlite3 *e2e_db_open(const e2e_server *s);

/* e2e_db_int_any on a SQLite handle. */
int64_t e2e_db_int_lite(sqlite3 *db, const char *sql, const char *p1, const char *p2);

/* Either: e2e_db_int(db, sql, p1, p2) with db an e2e_db * or a sqlite3 *. */
#define e2e_db_int(db, sql, p1, p2) \
	_Generic((db), sqlite3 * : e2e_db_int_lite, e2e_db * : e2e_db_int_any)(db, sql, p1, p2)

/* ---- files -------------------------------------------------------------- */

/* The whole file, NUL-terminated (length in *len when not NULL); NULL when
 * it cannot be read. Free it. */
char *e2e_read_file(const char *path, size_t *len);

/* True when the file holds needle (bytes). A missing file holds nothing. */
bool e2e_file_contains(const char *path, const char *needle);

/* Polls until the file holds needle, at most timeout_ms. */
bool e2e_wait_file_contains(const char *path, const char *needle, int timeout_ms);

/* Writes text to path. Returns 0 or -1. */
int e2e_write_file(const char *path, const char *text);

/* ---- running programs ---------------------------------------------------- */

typedef struct e2e_run {
	char *out;  /* standard output, NUL-terminated */
	char *err;  /* standard error, NUL-terminated */
	int status; /* exit status; 128+N when killed by signal N; -1 on failure */
} e2e_run;

/* Runs argv (argv[0] a path) with exactly the environment envp (NULL
 * terminated), standard input /dev/null, capturing both outputs. Gives up
 * and kills it after timeout_ms. Returns 0, or -1 when it could not run. */
int e2e_run_program(char *const *argv, char *const *envp, int timeout_ms, e2e_run *r);

/* Runs the `luoshi` binary with args (NULL-terminated, without argv[0])
 * against server (LUOSHI_SERVER; NULL: unset), token (LUOSHI_TOKEN; NULL:
 * unset) and lang (LANG; NULL: C). HOME and XDG_CONFIG_HOME point into the
 * server directory dir (may be NULL: /nonexistent), so no user config file
 * is read. Fails the test when it cannot run. */
void e2e_cli(const char *dir, const char *server, const char *token, const char *lang,
             const char *const *args, e2e_run *r);

void e2e_run_free(e2e_run *r);

/* The number of lines of s (newline-terminated ones, plus a last one
 * without a newline). */
int e2e_count_lines(const char *s);

#endif
