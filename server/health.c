/* HealthService: is the server, or one of its services, serving? */
#include "luoshi/v1/health.pb-c.h"

#include <string.h>

#include "dispatch.h"
#include "rpc.h"
#include "server.h"

static void health_check(Luoshi__V1__HealthService_Service *svc,
                         const Luoshi__V1__HealthCheckRequest *in,
                         Luoshi__V1__HealthCheckResponse_Closure done, void *arg)
{
	(void)svc;
	srv_call *c = arg;
	Luoshi__V1__HealthCheckResponse out = LUOSHI__V1__HEALTH_CHECK_RESPONSE__INIT;
	out.has_status = true;
	out.status = c->srv->stopping ? LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
	                              : LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	if (in->service != NULL && in->service[0] != '\0') {
		const ProtobufCServiceDescriptor *sd = NULL;
		for (size_t i = 0; i < ls_n_service_descriptors; i++)
			if (strcmp(ls_service_descriptors[i]->name, in->service) == 0)
				sd = ls_service_descriptors[i];
		if (sd == NULL) {
			srv_fail(c, LS_NOT_FOUND, "service", "no service is named \"%s\"", in->service);
			return;
		}
		/* A service none of whose methods has a handler is not serving. */
		bool any = false;
		for (unsigned j = 0; j < sd->n_methods; j++)
			any |= srv_dispatch_implemented(sd, j);
		if (!any)
			out.status = LUOSHI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
	}
	done(&out, arg);
}

static Luoshi__V1__HealthService_Service health = LUOSHI__V1__HEALTH_SERVICE__INIT(health_);

ProtobufCService *srv_health_service(void) { return &health.base; }
