/* A whole server core in one process: every request decoder, its checks and
 * its handler, on a real database with a small district in it.
 *
 * The input is [method][flags][request body]: the first byte picks one of
 * every method the protos declare (fuzz_method), the second the caller's
 * role and whether an idempotency key goes along (fuzz_common.h), and the
 * rest is the body. It travels in a real envelope through
 * srv_request_decode and srv_dispatch_batch, as luoshid runs it. What must
 * hold: no crash, leak or sanitizer report; every answer is one the client
 * can decode (a status in UTF-8, a body of the method's output type); a
 * write retried with its idempotency key gets the same answer. Database
 * errors are fine. After each input the database goes back to the state it
 * started in, so that an input does the same whatever ran before it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "auth.h"
#include "dispatch.h"
#include "fuzz_common.h"
#include "log.h"
#include "luoshi/v1/account.pb-c.h"
#include "rpc.h"
#include "store_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The district: the root unit (1, office) and the admin come from the
 * store's API as `luoshid init` makes them; the rest is inserted here as
 * the end-to-end tests do. Units: two towns, a department, an inspection
 * group, the discipline commission, the approval support group, and a
 * second district (5) with a town (6) outside the office's scope. */
static const char FIXTURE[] =
    "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES"
    " (2, 'WX', '五乡镇', 'town', 1, '2026-01-01'),"
    " (3, 'XY', '下应街道', 'town', 1, '2026-01-01'),"
    " (4, 'FGJ', '区发改局', 'department', 1, '2026-01-01'),"
    " (5, 'BL', '北仑区', 'district', NULL, '2026-01-01'),"
    " (6, 'DQ', '大碶街道', 'town', 5, '2026-01-01'),"
    " (7, 'DCZ', '督查组', 'inspection_group', 1, '2026-01-01'),"
    " (8, 'JW', '区纪委', 'discipline', 1, '2026-01-01');"
    "INSERT INTO units(id, code, name, kind, parent_id, support_group, created_at) VALUES"
    " (9, 'SPZ', '审批服务组', 'support_group', 1, 'approval', '2026-01-01');"
    "INSERT INTO people(id, code, name, unit_id, created_at) VALUES"
    " (1, 'L01', '张区长', 1, '2026-01-01'),"
    " (2, 'F01', '王科长', 4, '2026-01-01');"
    "INSERT INTO projects(id, code, name, level, category, stage, lead_leader_id,"
    " lead_unit_id, town_id, total_investment, frequency, planned_start, planned_finish,"
    " created_at) VALUES"
    " (1, 'P1', '中车产业基地', 'district', 'industrial', 'continuing', 1, 4, 2, 218900,"
    "  'weekly', '2025-01-01', '2027-12-31', '2026-01-01'),"
    " (2, 'P2', '美康智能健康产业中心', 'district', 'livelihood', 'new', 1, 4, 3, 50000,"
    "  'weekly', '2026-01-05', '2027-06-30', '2026-01-01'),"
    " (3, 'P3', '鄞城大道', 'district', 'infrastructure', 'new', 1, 4, 2, 80000,"
    "  'monthly', '2025-06-01', '2026-12-31', '2026-01-01'),"
    " (9, 'P9', '北仑港区项目', 'district', 'infrastructure', 'new', 1, 5, 6, 1000,"
    "  'weekly', '2026-01-01', '2026-12-31', '2026-01-01');"
    "INSERT INTO project_units(project_id, unit_id) VALUES (1, 3), (2, 2);"
    "INSERT INTO project_leaders(project_id, person_id, since) VALUES"
    " (1, 1, '2026-01-01'), (2, 1, '2026-01-01'), (3, 1, '2026-01-01'),"
    " (9, 1, '2026-01-01');"
    "INSERT INTO plans(project_id, year, month, invested) VALUES"
    " (1, 2026, 1, 1000), (1, 2026, 2, 1200), (3, 2026, 1, 500);"
    "INSERT INTO nodes(id, project_id, name, due_date, owner_unit_id, created_at) VALUES"
    " (1, 1, '地下室完工', '2026-06-30', 2, '2026-01-01'),"
    " (2, 1, '主体结顶', '2026-12-31', 2, '2026-01-01'),"
    " (3, 2, '桩基检测', '2026-03-31', 3, '2026-01-01'),"
    " (4, 9, '北仑节点', '2026-05-31', 6, '2026-01-01');"
    "INSERT INTO tasks(id, project_id, description, unit_id, person_id, due_date,"
    " created_at) VALUES"
    " (1, 1, '落实年度建设资金', 4, 2, '2026-03-31', '2026-01-01'),"
    " (2, 2, '办理施工许可', 3, NULL, '2026-02-01', '2026-01-01');";

static struct {
	char dir[128];
	char db[160];
	srv_server srv;
	sqlite3 *snapshot; /* the database as every input finds it */
	char token[FUZZ_N_CALLERS][SRV_TOKEN_SIZE];
	bool verbose; /* LUOSHI_FUZZ_VERBOSE: each input's method, caller and answer */
} F;

static const char *const caller_names[FUZZ_N_CALLERS] = {
    "admin", "town", "department", "leader", "inspector", "discipline", "viewer",
};

/* Time stands still, so that no deadline passes. */
static uint64_t clock_fixed(void)
{
	return 1000000000ull;
}

/* Packs an envelope around body, decodes it as the server does and runs it
 * in a batch of its own. */
static void run(srv_request *r, const char *method, const char *token, const char *key,
                const uint8_t *body, size_t body_len)
{
	Luoshi__V1__Request env = LUOSHI__V1__REQUEST__INIT;
	Luoshi__V1__Request__MetadataEntry md[2] = {LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT,
	                                            LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT};
	Luoshi__V1__Request__MetadataEntry *mdp[2] = {&md[0], &md[1]};
	char bearer[SRV_TOKEN_SIZE + 16];
	snprintf(bearer, sizeof bearer, "Bearer %s", token);
	env.has_protocol_version = true;
	env.protocol_version = LS_PROTOCOL_VERSION;
	env.has_id = true;
	env.id = 1;
	env.method = (char *)method;
	env.metadata = mdp;
	md[env.n_metadata].key = (char *)LS_MD_AUTHORIZATION;
	md[env.n_metadata++].value = bearer;
	if (key != NULL) {
		md[env.n_metadata].key = (char *)LS_MD_IDEMPOTENCY_KEY;
		md[env.n_metadata++].value = (char *)key;
	}
	env.has_body = true;
	env.body.data = (uint8_t *)body;
	env.body.len = body_len;
	uint8_t *packed;
	size_t len;
	FUZZ_CHECK(ls_message_pack(&env.base, &packed, &len) == LS_OK, "pack the envelope");
	memset(r, 0, sizeof *r);
	srv_request_decode(r, packed, len);
	free(packed);
	if (r->status.code != LS_OK)
		return;
	r->recv_ns = clock_fixed();
	srv_request *one = r;
	srv_dispatch_batch(&F.srv, &one, 1, clock_fixed);
}

/* The answer as send_answer (server/rpc_server.c) packs it must unpack as
 * the client unpacks it: the Response, then the body as the method's
 * output. */
static void check_answer(const srv_request *r, const ProtobufCMethodDescriptor *md)
{
	const ls_status *st = &r->status;
	FUZZ_CHECK(st->code >= LS_OK && st->code <= LS_CODE_MAX, "code %d", st->code);
	Luoshi__V1__Status status = LUOSHI__V1__STATUS__INIT;
	Luoshi__V1__FieldViolation fv = LUOSHI__V1__FIELD_VIOLATION__INIT;
	Luoshi__V1__FieldViolation *fvs[1] = {&fv};
	Luoshi__V1__Response resp = LUOSHI__V1__RESPONSE__INIT;
	status.has_code = true;
	status.code = st->code;
	if (st->code != LS_OK) {
		status.message = (char *)st->message;
		if (st->field[0] != '\0') {
			fv.field = (char *)st->field;
			fv.description = (char *)st->message;
			status.n_violations = 1;
			status.violations = fvs;
		}
	}
	resp.status = &status;
	if (st->code == LS_OK && r->body != NULL) {
		resp.has_body = true;
		resp.body.data = r->body;
		resp.body.len = r->body_len;
	}
	uint8_t *packed;
	size_t len;
	FUZZ_CHECK(ls_message_pack(&resp.base, &packed, &len) == LS_OK, "pack the response");
	ProtobufCMessage *m = NULL;
	ls_status cst;
	ls_status_clear(&cst);
	int rc =
	    ls_message_unpack(&luoshi__v1__response__descriptor, packed, len, "response", &m, &cst);
	free(packed);
	FUZZ_CHECK(rc == LS_OK, "the client cannot read the answer (%s %s): %s",
	           ls_code_name(st->code), st->message, cst.message);
	protobuf_c_message_free_unpacked(m, NULL);
	if (st->code != LS_OK)
		return;
	rc = ls_message_unpack(md->output, r->body, r->body_len, "response body", &m, &cst);
	FUZZ_CHECK(rc == LS_OK, "the client cannot read the %s: %s", md->output->name, cst.message);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void db_copy(sqlite3 *to, sqlite3 *from)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	FUZZ_CHECK(b != NULL, "backup: %s", sqlite3_errmsg(to));
	int rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	FUZZ_CHECK(rc == SQLITE_DONE, "backup: %s", sqlite3_errstr(rc));
}

static void make_account(int who, Luoshi__V1__Role role, const char *unit, const char *person)
{
	Luoshi__V1__CreateAccountRequest in = LUOSHI__V1__CREATE_ACCOUNT_REQUEST__INIT;
	in.has_role = true;
	in.role = role;
	in.name = (char *)"fuzz";
	in.unit = (char *)unit;
	in.person = (char *)person;
	uint8_t *body;
	size_t len;
	FUZZ_CHECK(ls_message_pack(&in.base, &body, &len) == LS_OK, "pack");
	srv_request r;
	run(&r, "/luoshi.v1.AccountService/CreateAccount", F.token[FUZZ_ADMIN], NULL, body, len);
	free(body);
	FUZZ_CHECK(r.status.code == LS_OK, "CreateAccount %d: %s", (int)role, r.status.message);
	ProtobufCMessage *m;
	ls_status st;
	FUZZ_CHECK(ls_message_unpack(&luoshi__v1__create_account_response__descriptor, r.body,
	                             r.body_len, "response", &m, &st) == LS_OK,
	           "unpack");
	const Luoshi__V1__CreateAccountResponse *out = (Luoshi__V1__CreateAccountResponse *)m;
	FUZZ_CHECK(out->token != NULL && strlen(out->token) < SRV_TOKEN_SIZE, "token");
	snprintf(F.token[who], SRV_TOKEN_SIZE, "%s", out->token);
	protobuf_c_message_free_unpacked(m, NULL);
	srv_request_reset(&r);
}

static void cleanup(void)
{
	srv_dispatch_fini();
	srv_store_close(F.srv.store);
	sqlite3_close(F.snapshot);
	char path[200];
	static const char *const files[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s%s", F.db, files[i]);
		unlink(path);
	}
	rmdir(F.dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(sodium_init() >= 0, "libsodium");
	F.verbose = getenv("LUOSHI_FUZZ_VERBOSE") != NULL;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	/* Handlers log their refusals; only errors are worth reading here. */
	ls_log_set_level(LS_LOG_ERROR);

	/* Commits fsync: a memory file system makes that free. run.sh gives a
	 * directory of its own, which it removes even after a crash. */
	const char *base = getenv("LUOSHI_FUZZ_TMP");
	if (base == NULL || base[0] == '\0')
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(F.dir, sizeof F.dir, "%s/luoshi-fuzz-XXXXXX", base);
	FUZZ_CHECK(mkdtemp(F.dir) != NULL, "mkdtemp %s", F.dir);
	snprintf(F.db, sizeof F.db, "%s/fuzz.db", F.dir);
	atexit(cleanup);

	ls_status st;
	ls_status_clear(&st);
	F.srv.cfg.db = F.db;
	F.srv.cfg.max_message = LS_MAX_MESSAGE_DEFAULT;
	FUZZ_CHECK(srv_store_open(&F.srv.store, F.db, true, &st) == LS_OK, "open: %s", st.message);
	srv_store *s = F.srv.store;
	uint8_t hash[SRV_HASH_SIZE];
	int64_t unit, id;
	srv_token_new(F.token[FUZZ_ADMIN], hash);
	FUZZ_CHECK(srv_store_begin(s, &st) == LS_OK &&
	               srv_store_unit_create_root(s, "office", "区领导小组办公室", "district",
	                                          "2026-01-01", &unit, &st) == LS_OK &&
	               srv_store_account_insert(s, "admin", SRV_ROLE_ADMIN, unit, 0, hash, 0,
	                                        "2026-01-01", &id, &st) == LS_OK &&
	               srv_store_commit(s, &st) == LS_OK,
	           "init: %s", st.message);
	char *err = NULL;
	FUZZ_CHECK(sqlite3_exec(s->db, FIXTURE, NULL, NULL, &err) == SQLITE_OK, "fixture: %s", err);

	size_t n;
	ProtobufCService *const *impls = fuzz_impls(&n);
	FUZZ_CHECK(srv_dispatch_init(impls, n) == LS_OK, "srv_dispatch_init");
	make_account(FUZZ_TOWN, LUOSHI__V1__ROLE__ROLE_TOWN, "WX", NULL);
	make_account(FUZZ_DEPARTMENT, LUOSHI__V1__ROLE__ROLE_DEPARTMENT, "FGJ", NULL);
	make_account(FUZZ_LEADER, LUOSHI__V1__ROLE__ROLE_LEADER, NULL, "L01");
	make_account(FUZZ_INSPECTOR, LUOSHI__V1__ROLE__ROLE_INSPECTOR, "DCZ", NULL);
	make_account(FUZZ_DISCIPLINE, LUOSHI__V1__ROLE__ROLE_DISCIPLINE, "JW", NULL);
	make_account(FUZZ_VIEWER, LUOSHI__V1__ROLE__ROLE_VIEWER, NULL, NULL);

	FUZZ_CHECK(sqlite3_open(":memory:", &F.snapshot) == SQLITE_OK, "snapshot");
	db_copy(F.snapshot, s->db);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	char method[256];
	const ProtobufCMethodDescriptor *md =
	    fuzz_method(data[0] % fuzz_n_methods(), method, sizeof method);
	unsigned flags = data[1];
	const char *token = F.token[(flags >> FUZZ_CALLER_SHIFT) % FUZZ_N_CALLERS];
	const char *key = (flags & FUZZ_FLAG_IDEMPOTENCY) ? "fuzz-key-1" : NULL;

	sqlite3 *db = F.srv.store->db;
	int changes = sqlite3_total_changes(db);
	srv_request r;
	run(&r, method, token, key, data + 2, size - 2);
	check_answer(&r, md);
	if (F.verbose)
		fprintf(stderr, "fuzz_dispatch: %s as %s -> %s %s %s\n", method,
		        caller_names[(flags >> FUZZ_CALLER_SHIFT) % FUZZ_N_CALLERS],
		        ls_code_name(r.status.code), r.status.field, r.status.message);
	if (key != NULL && r.status.code == LS_OK && r.wrote) {
		/* The retry is answered from the record, word for word. */
		srv_request again;
		run(&again, method, token, key, data + 2, size - 2);
		FUZZ_CHECK(again.status.code == LS_OK, "the retry got %s: %s",
		           ls_code_name(again.status.code), again.status.message);
		FUZZ_CHECK(!again.wrote, "the retry wrote again");
		FUZZ_CHECK(again.body_len == r.body_len &&
		               (r.body_len == 0 || memcmp(again.body, r.body, r.body_len) == 0),
		           "the retry got another answer");
		srv_request_reset(&again);
	}
	srv_request_reset(&r);
	/* Rows written and rolled back count too: no change at all means
	 * the database is as it was. */
	if (sqlite3_total_changes(db) != changes)
		db_copy(db, F.snapshot);
	return 0;
}
