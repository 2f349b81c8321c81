/* Writes the seed corpus of the fuzz targets: valid requests of most
 * methods (as fuzz_dispatch inputs and as whole envelopes), JSON of every
 * type fuzz_json reads, and CSV files of every kind. The bodies are written
 * as JSON here and packed through the mapping. Run once by hand when the
 * protos or the input layouts change, and commit what it writes:
 *
 *   build-fuzz/tests/fuzz/fuzz_make_corpus tests/fuzz/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "fuzz_common.h"
#include "json.h"
#include "luoshi/v1/rpc.pb-c.h"
#include "rpc.h"

/* One request: a method (its short service and method name), the caller
 * (fuzz_dispatch's roles), whether it carries an idempotency key, and its
 * body as JSON. The codes are those of fuzz_dispatch's district. */
typedef struct seed {
	const char *method;
	int caller;
	int key;
	const char *body;
} seed;

static const seed seeds[] = {
    {"HealthService/Check", FUZZ_VIEWER, 0, "{}"},
    {"ReflectionService/ListServices", FUZZ_VIEWER, 0, "{}"},
    {"ReflectionService/GetServerInfo", FUZZ_ADMIN, 0, "{}"},
    {"AccountService/CreateAccount", FUZZ_ADMIN, 1,
     "{\"role\":\"ROLE_TOWN\",\"name\":\"下应 clerk\",\"unit\":\"XY\"}"},
    {"AccountService/ListAccounts", FUZZ_ADMIN, 0, "{\"pageSize\":2,\"includeRevoked\":true}"},
    {"AccountService/RevokeAccount", FUZZ_ADMIN, 1, "{\"id\":\"3\"}"},
    {"AccountService/WhoAmI", FUZZ_TOWN, 0, "{}"},
    {"RegistryService/CreateUnit", FUZZ_ADMIN, 1,
     "{\"code\":\"ZJJ\",\"name\":\"区住建局\",\"kind\":\"UNIT_DEPARTMENT\",\"parent\":\"office\"}"},
    {"RegistryService/UpdateUnit", FUZZ_ADMIN, 0,
     "{\"unit\":\"五乡镇\",\"name\":\"五乡镇人民政府\",\"parent\":\"office\"}"},
    {"RegistryService/GetUnit", FUZZ_TOWN, 0, "{\"unit\":\"WX\"}"},
    {"RegistryService/ListUnits", FUZZ_ADMIN, 0,
     "{\"pageSize\":3,\"pageToken\":\"2\",\"search\":\"镇\",\"includeInactive\":true}"},
    {"RegistryService/DeactivateUnit", FUZZ_ADMIN, 0, "{\"unit\":\"XY\"}"},
    {"RegistryService/CreatePerson", FUZZ_ADMIN, 1,
     "{\"code\":\"L02\",\"name\":\"李副区长\",\"title\":\"副区长\",\"unit\":\"office\","
     "\"phone\":\"0574-87180002\"}"},
    {"RegistryService/UpdatePerson", FUZZ_ADMIN, 0, "{\"person\":\"张区长\",\"title\":\"区长\"}"},
    {"RegistryService/GetPerson", FUZZ_LEADER, 0, "{\"person\":\"L01\"}"},
    {"RegistryService/ListPeople", FUZZ_ADMIN, 0, "{\"unit\":\"FGJ\",\"search\":\"王\"}"},
    {"RegistryService/DeactivatePerson", FUZZ_ADMIN, 0, "{\"person\":\"F01\"}"},
    {"RegistryService/ListAudit", FUZZ_ADMIN, 0, "{\"pageSize\":5,\"project\":\"P1\"}"},
    {"ProjectService/CreateProject", FUZZ_ADMIN, 1,
     "{\"code\":\"P10\",\"name\":\"新材料产业园\",\"level\":\"LEVEL_DISTRICT\","
     "\"category\":\"CATEGORY_INDUSTRIAL\",\"stage\":\"STAGE_NEW\",\"leadLeader\":\"L01\","
     "\"leadUnit\":\"FGJ\",\"contributingUnits\":[\"XY\",\"WX\"],\"town\":\"WX\","
     "\"totalInvestment\":\"12000\",\"frequency\":\"FREQUENCY_MONTHLY\","
     "\"plannedStart\":\"2026-01-01\",\"plannedFinish\":\"2027-12-31\","
     "\"landClearance\":true}"},
    {"ProjectService/UpdateProject", FUZZ_ADMIN, 0,
     "{\"project\":\"P1\",\"totalInvestment\":\"300000\",\"contributingUnits\":[\"XY\"],"
     "\"setContributingUnits\":true,\"leadLeader\":\"L01\",\"plannedFinish\":\"2028-06-30\"}"},
    {"ProjectService/GetProject", FUZZ_TOWN, 0, "{\"project\":\"中车产业基地\"}"},
    {"ProjectService/ListProjects", FUZZ_DEPARTMENT, 0,
     "{\"pageSize\":2,\"town\":\"WX\",\"level\":\"LEVEL_DISTRICT\"}"},
    {"ProjectService/ArchiveProject", FUZZ_ADMIN, 0, "{\"project\":\"P2\"}"},
    {"ProjectService/SetPlan", FUZZ_ADMIN, 1,
     "{\"project\":\"P1\",\"year\":2026,\"month\":3,\"invested\":\"800\"}"},
    {"ProjectService/ListPlans", FUZZ_LEADER, 0, "{\"project\":\"P1\",\"year\":2026}"},
    {"ScheduleService/CreateNode", FUZZ_ADMIN, 1,
     "{\"project\":\"P1\",\"name\":\"竣工验收\",\"dueDate\":\"2027-10-31\",\"ownerUnit\":\"WX\"}"},
    {"ScheduleService/UpdateNode", FUZZ_ADMIN, 0, "{\"id\":\"1\",\"dueDate\":\"2026-07-31\"}"},
    {"ScheduleService/SetNodeDone", FUZZ_TOWN, 1,
     "{\"id\":\"1\",\"done\":true,\"doneDate\":\"2026-06-01\"}"},
    {"ScheduleService/ListNodes", FUZZ_DEPARTMENT, 0,
     "{\"project\":\"P1\",\"openOnly\":true,\"asOf\":\"2026-07-01\"}"},
    {"ScheduleService/PlanNodes", FUZZ_ADMIN, 0,
     "{\"project\":\"P2\",\"steps\":[{\"name\":\"开工\",\"daysBefore\":365},"
     "{\"name\":\"竣工\",\"daysBefore\":0}],\"ownerUnit\":\"XY\"}"},
    {"ScheduleService/CreateTask", FUZZ_ADMIN, 1,
     "{\"project\":\"P1\",\"description\":\"协调用地指标\",\"unit\":\"FGJ\",\"person\":\"F01\","
     "\"dueDate\":\"2026-09-30\"}"},
    {"ScheduleService/UpdateTask", FUZZ_DEPARTMENT, 0, "{\"id\":\"1\",\"status\":\"TASK_DONE\"}"},
    {"ScheduleService/ListTasks", FUZZ_ADMIN, 0, "{\"unit\":\"FGJ\",\"status\":\"TASK_OPEN\"}"},
    {"ScheduleService/GetAssignments", FUZZ_DEPARTMENT, 0, "{\"days\":30,\"asOf\":\"2026-03-01\"}"},
    {"ProgressService/SubmitUpdate", FUZZ_TOWN, 1,
     "{\"project\":\"P1\",\"week\":\"2026-W10\",\"invested\":\"120\",\"percent\":35,"
     "\"progress\":\"主体施工至三层\",\"output\":\"80\",\"nodesDone\":[\"1\"],"
     "\"nextPlan\":\"继续主体施工\",\"supportNeeded\":\"协调电力接入\"}"},
    {"ProgressService/SubmitUpdate", FUZZ_ADMIN, 0,
     "{\"project\":\"P3\",\"month\":\"2026-02\",\"invested\":\"500\",\"percent\":20,"
     "\"progress\":\"路基施工\",\"photos\":[{\"name\":\"site.png\",\"data\":"
     "\"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==\"}]}"},
    {"ProgressService/SubmitUpdates", FUZZ_TOWN, 1,
     "{\"updates\":[{\"project\":\"P1\",\"week\":\"2026-W11\",\"invested\":\"1\",\"percent\":36,"
     "\"progress\":\"三层\"},{\"project\":\"P1\",\"week\":\"2026-W12\",\"invested\":\"2\","
     "\"percent\":37,\"progress\":\"四层\"},{\"project\":\"P3\",\"date\":\"2026-02-10\","
     "\"invested\":\"3\",\"percent\":21,\"progress\":\"路面\"}],\"dryRun\":false}"},
    {"ProgressService/ListUpdates", FUZZ_ADMIN, 0,
     "{\"project\":\"P1\",\"period\":\"2026-Q1\",\"allRevisions\":true}"},
    {"ProgressService/GetUpdate", FUZZ_TOWN, 0, "{\"project\":\"P1\",\"period\":\"2026-W10\"}"},
    {"ProgressService/GetPhoto", FUZZ_ADMIN, 0, "{\"id\":\"1\"}"},
    {"ProgressService/GetProjectStatus", FUZZ_LEADER, 0,
     "{\"project\":\"P1\",\"asOf\":\"2026-07-15\"}"},
    {"ImportService/ImportRegistry", FUZZ_ADMIN, 1,
     "{\"rows\":[{\"source\":\"units.csv\",\"line\":2,\"unit\":{\"code\":\"GH\",\"name\":"
     "\"区规划分局\",\"kind\":\"UNIT_DEPARTMENT\",\"parent\":\"office\"}},"
     "{\"source\":\"people.csv\",\"line\":2,\"person\":{\"code\":\"G01\",\"name\":\"赵局长\","
     "\"unit\":\"GH\"}},{\"source\":\"projects.csv\",\"line\":2,\"project\":{\"code\":\"P11\","
     "\"name\":\"规划馆\",\"level\":\"LEVEL_TOWN\",\"category\":\"CATEGORY_LIVELIHOOD\","
     "\"stage\":\"STAGE_NEW\",\"leadLeader\":\"L01\",\"leadUnit\":\"GH\",\"town\":\"XY\","
     "\"totalInvestment\":\"900\",\"plannedStart\":\"2026-02-01\","
     "\"plannedFinish\":\"2026-12-31\"}},{\"source\":\"plans.csv\",\"line\":2,\"plan\":{"
     "\"project\":\"P11\",\"year\":2026,\"month\":2,\"invested\":\"100\"}},"
     "{\"source\":\"nodes.csv\",\"line\":2,\"node\":{\"project\":\"P11\",\"name\":\"开工\","
     "\"dueDate\":\"2026-03-01\"}},{\"source\":\"tasks.csv\",\"line\":2,\"task\":{"
     "\"project\":\"P11\",\"description\":\"立项\",\"unit\":\"GH\",\"dueDate\":\"2026-02-15\"}},"
     "{\"source\":\"updates.csv\",\"line\":2,\"update\":{\"project\":\"P11\","
     "\"week\":\"2026-W08\",\"invested\":\"10\",\"percent\":1,\"progress\":\"开工准备\"}}]}"},
    {"ExportService/ExportTables", FUZZ_ADMIN, 0,
     "{\"asOf\":\"2026-03-31\",\"town\":\"WX\",\"pageSize\":1}"},
    {"ReminderService/SendNotice", FUZZ_ADMIN, 1,
     "{\"to\":\"unit:WX\",\"text\":\"请于周五前报送进度\"}"},
    {"ReminderService/ListInbox", FUZZ_TOWN, 0,
     "{\"unreadOnly\":true,\"recipient\":\"RECIPIENT_KIND_UNIT\",\"pageSize\":10}"},
    {"ReminderService/Ack", FUZZ_TOWN, 0, "{\"all\":true}"},
    {"ReminderService/GetCursor", FUZZ_LEADER, 0, "{}"},
    {"ProblemService/RaiseProblem", FUZZ_TOWN, 1,
     "{\"project\":\"P1\",\"title\":\"用地指标不足\",\"detail\":\"需协调\","
     "\"group\":\"GROUP_APPROVAL\",\"dueDate\":\"2026-12-31\"}"},
    {"ProblemService/ListProblems", FUZZ_LEADER, 0,
     "{\"openOnly\":true,\"town\":\"WX\",\"asOf\":\"2026-11-01\"}"},
    {"SupervisionService/LogActivity", FUZZ_LEADER, 1,
     "{\"leader\":\"L01\",\"project\":\"P1\",\"kind\":\"WEEKLY_REVIEW\","
     "\"date\":\"2026-03-02\",\"notes\":\"现场查看\"}"},
    {"SupervisionService/RecordInspection", FUZZ_INSPECTOR, 1,
     "{\"group\":\"DCZ\",\"project\":\"P1\",\"date\":\"2026-03-05\","
     "\"layer\":\"LAYER_LEAD_LEADER\",\"findings\":\"进度滞后\",\"slow\":true}"},
    {"SupervisionService/RecordAccountability", FUZZ_DISCIPLINE, 0,
     "{\"kind\":\"WARNING_TALK\",\"unit\":\"FGJ\",\"project\":\"P1\","
     "\"date\":\"2026-03-10\",\"text\":\"约谈\"}"},
    {"SupervisionService/SetApproval", FUZZ_DEPARTMENT, 0,
     "{\"project\":\"P1\",\"item\":\"施工许可\",\"department\":\"FGJ\","
     "\"submitted\":\"2026-02-01\",\"approved\":\"2026-02-10\",\"visits\":1}"},
    {"SupervisionService/SetClearance", FUZZ_ADMIN, 0,
     "{\"project\":\"P1\",\"month\":\"2026-02\",\"targetM2\":\"5000\","
     "\"clearedM2\":\"1200\",\"households\":\"3\"}"},
    {"SupervisionService/AddFunding", FUZZ_ADMIN, 0,
     "{\"source\":\"国开行\",\"kind\":\"FUNDING_AGREEMENT\",\"project\":\"P1\","
     "\"amount\":\"660000\",\"signed\":\"2026-01-15\",\"termYears\":5}"},
    {"QueryService/Summary", FUZZ_VIEWER, 0,
     "{\"filter\":{\"asOf\":\"2026-06-30\",\"level\":\"LEVEL_DISTRICT\"}}"},
    {"QueryService/Grouped", FUZZ_LEADER, 0,
     "{\"filter\":{\"town\":\"WX\"},\"by\":\"GROUP_BY_TOWN\",\"descending\":true}"},
    {"QueryService/Lagging", FUZZ_ADMIN, 0, "{\"filter\":{\"project\":\"P1\"}}"},
    {"AdminService/Backup", FUZZ_ADMIN, 0, "{\"file\":\"luoshi-2026-11-29.db\"}"},
    {"WebhookService/AddWebhook", FUZZ_ADMIN, 1,
     "{\"unit\":\"WX\",\"kind\":\"WEBHOOK_KIND_DINGTALK\","
     "\"url\":\"https://oapi.dingtalk.com/robot/send?access_token=abc\",\"secret\":\"SEC1\"}"},
    {"WebhookService/ListWebhooks", FUZZ_ADMIN, 0, "{\"unit\":\"WX\",\"pageSize\":5}"},
    {"WebhookService/TestWebhook", FUZZ_ADMIN, 0, "{\"id\":\"1\"}"},
    {"WebhookService/ListFailures", FUZZ_ADMIN, 0, "{\"pageSize\":5}"},
};

/* JSON for fuzz_json: the index into fuzz_json_types and the text. */
typedef struct json_seed {
	unsigned type;
	const char *text;
} json_seed;

static const json_seed json_seeds[] = {
    {0, "{\"fInt32\":-5,\"fInt64\":\"-9007199254740993\",\"fUint32\":4294967295,"
        "\"fUint64\":\"18446744073709551615\",\"fSint32\":-1,\"fSint64\":\"7\","
        "\"fFixed32\":1,\"fFixed64\":\"2\",\"fSfixed32\":-3,\"fSfixed64\":\"-4\","
        "\"fFloat\":0.1,\"fDouble\":\"NaN\",\"fBool\":true,\"fString\":\"落实\","
        "\"fBytes\":\"AAEC/w==\",\"fEnum\":\"COLOR_BLUE\",\"sub\":{\"name\":\"a\",\"n\":1,"
        "\"tags\":[\"x\",\"y\"]}}"},
    {0, "{\"rInt32\":[1,-2],\"rInt64\":[\"3\",4],\"rFloat\":[1.5,\"-Infinity\"],"
        "\"rDouble\":[1e300,-0.0],\"rBool\":[true,false],\"rString\":[\"\",\"镇\"],"
        "\"rBytes\":[\"\",\"_-8\"],\"rEnum\":[\"COLOR_RED\",2],\"subs\":[{},{\"n\":3}],"
        "\"labels\":{\"k\":\"v\",\"区\":\"\"},\"subsById\":{\"-1\":{\"name\":\"neg\"}},"
        "\"colors\":{\"7\":\"COLOR_GREEN\"},\"flags\":{\"true\":1,\"false\":0},"
        "\"choiceSub\":{\"tags\":[]},\"withDefault\":\"hello\",\"intWithDefault\":7}"},
    {0, "{\"f_int32\":\"12\",\"choice_name\":\"x\",\"bytes_with_default\":\"YWI=\"}"},
    {1, "{\"next\":{\"next\":{\"next\":{\"v\":3},\"v\":2},\"v\":1}}"},
    {2, "{\"id\":1,\"note\":null}"},
    {3, "{\"protocolVersion\":1,\"id\":\"42\",\"method\":\"/luoshi.v1.HealthService/Check\","
        "\"metadata\":{\"authorization\":\"Bearer ls_x\",\"idempotency-key\":\"k1\"},"
        "\"timeoutMs\":5000,\"body\":\"CgJQMQ==\"}"},
    {4, "{\"id\":\"42\",\"status\":{\"code\":3,\"message\":\"percent must be 0 to 100\","
        "\"violations\":[{\"field\":\"percent\",\"description\":\"too big\"}]}}"},
    {5, "{\"rows\":[{\"source\":\"units.csv\",\"line\":2,\"unit\":{\"code\":\"WX\","
        "\"name\":\"五乡镇\",\"kind\":\"UNIT_TOWN\"}},{\"source\":\"plans.csv\",\"line\":3,"
        "\"plan\":{\"project\":\"P1\",\"year\":2026,\"month\":1,\"invested\":\"5\"}}],"
        "\"dryRun\":true}"},
    {6, "{\"updates\":[{\"project\":\"P1\",\"week\":\"2026-W48\",\"invested\":\"1\","
        "\"percent\":50,\"nodesDone\":[\"1\",\"2\"],\"photos\":[{\"name\":\"a.jpg\","
        "\"data\":\"/9j/4AAQ\"}]}]}"},
    {7, "{\"code\":\"P1\",\"name\":\"中车产业基地\",\"level\":\"LEVEL_CITY\","
        "\"category\":\"CATEGORY_SPECIAL_TASK\",\"stage\":2,\"contributingUnits\":[\"a\",\"b\"],"
        "\"totalInvestment\":218900,\"fastTrack\":false}"},
    {8, "{\"project\":\"P2\",\"finishDate\":\"2027-06-30\",\"steps\":[{\"name\":\"开工\","
        "\"daysBefore\":\"365\"}]}"},
};

/* CSV for fuzz_csv: the first byte (kind | name << 3) and the text. */
typedef struct csv_seed {
	unsigned kind, name;
	const char *text;
} csv_seed;

static const csv_seed csv_seeds[] = {
    {0, 0,
     "\xEF\xBB\xBF"
     "code,name,kind,parent,support_group\r\nwuxiang,五乡镇,town,office,\r\n"
     "fgj,区发改局,department,office,\"综合协调\"\r\n"},
    {0, 1, "code,name,title,unit,phone\nld01,沈卫东,区委书记,office,0574-87180001\n"},
    {3, 2,
     "code,name,level,category,stage,lead_leader,lead_unit,contributing_units,town,"
     "total_investment,frequency,planned_start,planned_finish,land_clearance,fast_track\n"
     "C01,中车产业基地,city,industrial,continuing,ld01,jxj,fgj;zrgh；wuxiang,wuxiang,"
     "450000,weekly,2025-03-01,2028-12-31,false,\n"
     "C02,\"电车, 二期\",CITY,special-task,new,ld01,jxj,,wuxiang,1,monthly,2026-03-01,"
     "2027-12-31,是,0\n"},
    {4, 3, "project,year,month,invested\nC01,2025,3,4400\nC01,2025,4,1.5\n"},
    {0, 4, "project,name,due_date,owner_unit\nC01,\"主体厂房\n封顶\",2027-10-20,jxj\n"},
    {6, 5, "project,description,unit,person,due_date\nC01,落实年度建设资金,czj,czj01,2026-03-31\n"},
    {7, 6,
     "project,week,month,date,invested,percent,progress,output,nodes_done,next_plan,"
     "support_needed\nP1,2026-W48,,,120,35,主体施工,80,12;15,继续,协调\n"
     "P3,,2026-11,,5,101,,,,,\n"},
    {0, 7,
     "kind,code,name,unit_kind,parent,project,year,month,invested\n"
     "unit,GH,区规划分局,department,office,,,,\nplan,,,,,P1,2026,1,100\n"
     "bogus,,,,,,,,\n"},
};

static int mkdir_p(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		return -1;
	}
	return 0;
}

static int write_file(const char *dir, const char *name, const uint8_t *a, size_t alen,
                      const uint8_t *b, size_t blen)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	int rc = fwrite(a, 1, alen, f) == alen && fwrite(b, 1, blen, f) == blen ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* The body of seed s packed, or NULL after saying why. */
static uint8_t *pack_body(const seed *s, const ProtobufCMethodDescriptor *md, size_t *len)
{
	json_error_t jerr;
	json_t *j = json_loads(s->body, 0, &jerr);
	if (j == NULL) {
		fprintf(stderr, "%s: %s\n", s->method, jerr.text);
		return NULL;
	}
	ProtobufCMessage *m;
	ls_status st;
	int rc = ls_json_to_message(md->input, j, &m, &st);
	json_decref(j);
	if (rc != LS_OK) {
		fprintf(stderr, "%s: %s %s\n", s->method, st.field, st.message);
		return NULL;
	}
	uint8_t *out;
	rc = ls_message_pack(m, &out, len);
	protobuf_c_message_free_unpacked(m, NULL);
	return rc == LS_OK ? out : NULL;
}

/* The envelope luoshi would send for seed s. */
static uint8_t *pack_envelope(const seed *s, const char *method, const uint8_t *body,
                              size_t body_len, size_t *len)
{
	Luoshi__V1__Request env = LUOSHI__V1__REQUEST__INIT;
	Luoshi__V1__Request__MetadataEntry md[3] = {LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT,
	                                            LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT,
	                                            LUOSHI__V1__REQUEST__METADATA_ENTRY__INIT};
	Luoshi__V1__Request__MetadataEntry *mdp[3] = {&md[0], &md[1], &md[2]};
	env.has_protocol_version = true;
	env.protocol_version = LS_PROTOCOL_VERSION;
	env.has_id = true;
	env.id = 7;
	env.method = (char *)method;
	env.metadata = mdp;
	md[env.n_metadata].key = (char *)LS_MD_AUTHORIZATION;
	md[env.n_metadata++].value =
	    (char *)"Bearer ls_q2VbD1dsyJYtMT7g0u4xXPfyYUyNgm4cChpN3xG2Ae8";
	md[env.n_metadata].key = (char *)LS_MD_REQUEST_ID;
	md[env.n_metadata++].value = (char *)"req-1";
	if (s->key) {
		md[env.n_metadata].key = (char *)LS_MD_IDEMPOTENCY_KEY;
		md[env.n_metadata++].value = (char *)"7f3c2a9e-5b1d-4e8a-9c0f-2d6b8a1e4f70";
	}
	env.has_timeout_ms = true;
	env.timeout_ms = 30000;
	env.has_body = true;
	env.body.data = (uint8_t *)body;
	env.body.len = body_len;
	uint8_t *out;
	return ls_message_pack(&env.base, &out, len) == LS_OK ? out : NULL;
}

static int requests(const char *top)
{
	char ddir[512], edir[512];
	snprintf(ddir, sizeof ddir, "%s/fuzz_dispatch", top);
	snprintf(edir, sizeof edir, "%s/fuzz_envelope", top);
	if (mkdir_p(ddir) != 0 || mkdir_p(edir) != 0)
		return -1;
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		const seed *s = &seeds[i];
		char full[256];
		snprintf(full, sizeof full, "/luoshi.v1.%s", s->method);
		long idx = fuzz_method_index(full);
		if (idx < 0 || idx > 255) {
			fprintf(stderr, "%s: no such method (or past the first 256)\n", full);
			return -1;
		}
		char name[256];
		const ProtobufCMethodDescriptor *md = fuzz_method((size_t)idx, name, sizeof name);
		size_t blen, elen;
		uint8_t *body = pack_body(s, md, &blen);
		if (body == NULL)
			return -1;
		uint8_t head[2] = {(uint8_t)idx,
		                   (uint8_t)((s->key ? FUZZ_FLAG_IDEMPOTENCY : 0) |
		                             (unsigned)s->caller << FUZZ_CALLER_SHIFT)};
		char file[128];
		snprintf(file, sizeof file, "%02zu-%s", i, strchr(s->method, '/') + 1);
		uint8_t *env = pack_envelope(s, full, body, blen, &elen);
		int rc = env == NULL || write_file(ddir, file, head, 2, body, blen) != 0 ||
		         write_file(edir, file, env, elen, NULL, 0) != 0;
		free(body);
		free(env);
		if (rc)
			return -1;
	}
	return 0;
}

static int json_files(const char *top)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/fuzz_json", top);
	if (mkdir_p(dir) != 0)
		return -1;
	for (size_t i = 0; i < sizeof json_seeds / sizeof json_seeds[0]; i++) {
		const json_seed *s = &json_seeds[i];
		char file[64];
		snprintf(file, sizeof file, "%02zu-%s", i, fuzz_json_types[s->type]->short_name);
		uint8_t head = (uint8_t)s->type;
		if (write_file(dir, file, &head, 1, (const uint8_t *)s->text, strlen(s->text)) != 0)
			return -1;
	}
	return 0;
}

static int csv_files(const char *top)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/fuzz_csv", top);
	if (mkdir_p(dir) != 0)
		return -1;
	for (size_t i = 0; i < sizeof csv_seeds / sizeof csv_seeds[0]; i++) {
		const csv_seed *s = &csv_seeds[i];
		char file[64];
		snprintf(file, sizeof file, "%02zu-%s", i, fuzz_csv_names[s->name]);
		uint8_t head = (uint8_t)(s->kind | s->name << 3);
		if (write_file(dir, file, &head, 1, (const uint8_t *)s->text, strlen(s->text)) != 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	if (mkdir_p(argv[1]) != 0 || requests(argv[1]) != 0 || json_files(argv[1]) != 0 ||
	    csv_files(argv[1]) != 0)
		return 1;
	return 0;
}
