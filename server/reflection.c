/* ReflectionService: what the server offers, read from the generated
 * descriptors, and what a client needs to know about it. */
#include "luoshi/v1/reflection.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dispatch.h"
#include "rpc.h"
#include "server.h"

static void reflection_list_services(Luoshi__V1__ReflectionService_Service *svc,
                                     const Luoshi__V1__ListServicesRequest *in,
                                     Luoshi__V1__ListServicesResponse_Closure done, void *arg)
{
	(void)svc;
	(void)in;
	size_t n_svc = ls_n_service_descriptors, n_methods = 0;
	for (size_t i = 0; i < n_svc; i++)
		n_methods += ls_service_descriptors[i]->n_methods;

	/* Everything in a few arrays, freed together at the end. */
	Luoshi__V1__ServiceInfo *infos = calloc(n_svc, sizeof *infos);
	Luoshi__V1__ServiceInfo **info_ptrs = calloc(n_svc, sizeof *info_ptrs);
	Luoshi__V1__MethodInfo *minfos = calloc(n_methods, sizeof *minfos);
	Luoshi__V1__MethodInfo **mptrs = calloc(n_methods, sizeof *mptrs);
	char (*names)[256] = calloc(n_methods, sizeof *names);
	if (!infos || !info_ptrs || !minfos || !mptrs || !names) {
		srv_fail(arg, LS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < n_svc; i++) {
		const ProtobufCServiceDescriptor *sd = ls_service_descriptors[i];
		luoshi__v1__service_info__init(&infos[i]);
		infos[i].name = (char *)sd->name;
		infos[i].methods = &mptrs[k];
		infos[i].n_methods = sd->n_methods;
		info_ptrs[i] = &infos[i];
		for (unsigned j = 0; j < sd->n_methods; j++, k++) {
			const ProtobufCMethodDescriptor *md = &sd->methods[j];
			Luoshi__V1__MethodInfo *m = &minfos[k];
			luoshi__v1__method_info__init(m);
			ls_method_full_name(sd, md, names[k], sizeof names[k]);
			m->name = (char *)md->name;
			m->full_name = names[k];
			m->input_type = (char *)md->input->name;
			m->output_type = (char *)md->output->name;
			m->has_implemented = true;
			m->implemented = srv_dispatch_implemented(sd, j);
			mptrs[k] = m;
		}
	}
	Luoshi__V1__ListServicesResponse out = LUOSHI__V1__LIST_SERVICES_RESPONSE__INIT;
	out.n_services = n_svc;
	out.services = info_ptrs;
	done(&out, arg);
out:
	free(infos);
	free(info_ptrs);
	free(minfos);
	free(mptrs);
	free(names);
}

static void reflection_get_server_info(Luoshi__V1__ReflectionService_Service *svc,
                                       const Luoshi__V1__GetServerInfoRequest *in,
                                       Luoshi__V1__GetServerInfoResponse_Closure done,
                                       void *arg)
{
	(void)svc;
	(void)in;
	srv_call *c = arg;
	const srv_config *cfg = &c->srv->cfg;
	char now[32];
	srv_now_iso(now);
	char *urls[1] = {cfg->publish};
	Luoshi__V1__GetServerInfoResponse out = LUOSHI__V1__GET_SERVER_INFO_RESPONSE__INIT;
	out.version = (char *)LUOSHI_VERSION;
	out.has_protocol_version = true;
	out.protocol_version = LS_PROTOCOL_VERSION;
	out.has_max_message_bytes = true;
	out.max_message_bytes = cfg->max_message;
	if (c->srv->push != NULL) {
		out.n_push_urls = 1;
		out.push_urls = urls;
	}
	out.time_zone = cfg->time_zone;
	out.server_time = now;
	done(&out, arg);
}

static Luoshi__V1__ReflectionService_Service reflection =
    LUOSHI__V1__REFLECTION_SERVICE__INIT(reflection_);

ProtobufCService *srv_reflection_service(void) { return &reflection.base; }
