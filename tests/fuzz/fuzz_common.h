/* What the fuzz targets and the corpus generator share: the services luoshid
 * serves, the list of every method, and the layout of each target's input. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <protobuf-c/protobuf-c.h>

#include "json.h"

/* A broken promise of the code under test: abort, which libFuzzer reports
 * as a crash with the input that caused it. */
#define FUZZ_CHECK(cond, ...)                                                                  \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fuzz: %s:%d: check failed: %s: ", __FILE__, __LINE__, \
			        #cond);                                                        \
			fprintf(stderr, __VA_ARGS__);                                          \
			fputc('\n', stderr);                                                   \
			abort();                                                               \
		}                                                                              \
	} while (0)

/* The service implementations, as server/main.c's serve() registers them;
 * *n gets their number. A service added to main.c belongs here too
 * (tests/fuzz/run.sh refuses to run while the two lists differ). */
ProtobufCService *const *fuzz_impls(size_t *n);

/* Every method the protos declare: services in ls_service_descriptors order,
 * methods in their declared order. fuzz_dispatch picks one by the first
 * byte of its input, modulo their number. */
size_t fuzz_n_methods(void);

/* The i-th method (i < fuzz_n_methods()); its full name goes into buf. */
const ProtobufCMethodDescriptor *fuzz_method(size_t i, char *buf, size_t size);

/* The index of a method by full name, or -1. */
long fuzz_method_index(const char *full_name);

/* ---- input layouts ------------------------------------------------------ */

/* fuzz_dispatch: [method][flags][request body...]. */
#define FUZZ_FLAG_IDEMPOTENCY 0x01u /* send an idempotency key */
#define FUZZ_CALLER_SHIFT 1         /* bits 1..3: the caller, modulo FUZZ_N_CALLERS */

/* The callers of fuzz_dispatch, by role; 0 is the admin. */
enum {
	FUZZ_ADMIN,
	FUZZ_TOWN,       /* 五乡镇 (WX) */
	FUZZ_DEPARTMENT, /* 区发改局 (FGJ) */
	FUZZ_LEADER,     /* 张区长 (L01) */
	FUZZ_INSPECTOR,
	FUZZ_DISCIPLINE,
	FUZZ_VIEWER,
	FUZZ_N_CALLERS
};

/* fuzz_json: [message type][JSON text...]; the types are fuzz_json_types. */
extern const ProtobufCMessageDescriptor *const fuzz_json_types[];
extern const size_t fuzz_n_json_types;

/* fuzz_csv: [kind and file name][CSV text...]: the low 3 bits are the
 * ls_csv_kind, bits 3..5 pick the file name from fuzz_csv_names. */
extern const char *const fuzz_csv_names[8];

#endif
