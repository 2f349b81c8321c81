#include "fuzz_common.h"

#include <string.h>

#include "jsontest.pb-c.h"
#include "luoshi/v1/import.pb-c.h"
#include "luoshi/v1/progress.pb-c.h"
#include "luoshi/v1/project.pb-c.h"
#include "luoshi/v1/rpc.pb-c.h"
#include "luoshi/v1/schedule.pb-c.h"
#include "rpc.h"
#include "server.h"

ProtobufCService *const *fuzz_impls(size_t *n)
{
	static ProtobufCService *impls[32];
	ProtobufCService *list[] = {
	    srv_health_service(),  srv_reflection_service(),  srv_import_service(),
	    srv_project_service(), srv_schedule_service(),    srv_progress_service(),
	    srv_query_service(),   srv_export_service(),      srv_reminder_service(),
	    srv_problem_service(), srv_supervision_service(), srv_registry_service(),
	    srv_account_service(), srv_admin_service(),       srv_webhook_service(),
	};
	_Static_assert(sizeof list <= sizeof impls, "fuzz_impls needs a larger array");
	memcpy(impls, list, sizeof list);
	*n = sizeof list / sizeof list[0];
	return impls;
}

size_t fuzz_n_methods(void)
{
	size_t n = 0;
	for (size_t i = 0; i < ls_n_service_descriptors; i++)
		n += ls_service_descriptors[i]->n_methods;
	return n;
}

const ProtobufCMethodDescriptor *fuzz_method(size_t i, char *buf, size_t size)
{
	for (size_t s = 0; s < ls_n_service_descriptors; s++) {
		const ProtobufCServiceDescriptor *sd = ls_service_descriptors[s];
		if (i < sd->n_methods) {
			ls_method_full_name(sd, &sd->methods[i], buf, size);
			return &sd->methods[i];
		}
		i -= sd->n_methods;
	}
	return NULL;
}

long fuzz_method_index(const char *full_name)
{
	char buf[256];
	for (size_t i = 0; i < fuzz_n_methods(); i++) {
		fuzz_method(i, buf, sizeof buf);
		if (strcmp(buf, full_name) == 0)
			return (long)i;
	}
	return -1;
}

/* Every field shape the mapping knows (the test proto of json_test), and
 * the real messages with maps, bytes, oneofs and nesting. */
const ProtobufCMessageDescriptor *const fuzz_json_types[] = {
    &luoshi__test__all__descriptor,
    &luoshi__test__deep__descriptor,
    &luoshi__test__with_required__descriptor,
    &luoshi__v1__request__descriptor,
    &luoshi__v1__response__descriptor,
    &luoshi__v1__import_registry_request__descriptor,
    &luoshi__v1__submit_updates_request__descriptor,
    &luoshi__v1__create_project_request__descriptor,
    &luoshi__v1__plan_nodes_request__descriptor,
};
const size_t fuzz_n_json_types = sizeof fuzz_json_types / sizeof fuzz_json_types[0];

const char *const fuzz_csv_names[8] = {
    "units.csv", "people.csv", "projects.csv", "plans.csv",
    "nodes.csv", "tasks.csv",  "updates.csv",  "registry.csv",
};
