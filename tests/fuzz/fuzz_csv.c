/* The CSV importers (common/csvrows.c): CSV text of the kind and under the
 * file name the first byte picks (fuzz_common.h), converted to import rows
 * and sorted into import order, as `luoshi import` does before it sends
 * them. What must hold besides no crash or leak: every row has a kind and
 * its strings are UTF-8 (the server would refuse anything else), the rows
 * pack, and every error is one line of UTF-8 text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvrows.h"
#include "fuzz_common.h"
#include "rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *what, const char *s)
{
	if (s == NULL)
		return;
	FUZZ_CHECK(ls_utf8_valid(s, strlen(s)), "%s is not UTF-8", what);
	FUZZ_CHECK(strchr(s, '\n') == NULL, "%s is more than one line: %s", what, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	ls_csv_kind kind = (ls_csv_kind)(data[0] & 7u);
	const char *name = fuzz_csv_names[(data[0] >> 3) & 7u];
	Luoshi__V1__ImportRegistryRequest *req = ls_csvrows_request_new();
	FUZZ_CHECK(req != NULL, "out of memory");
	ls_csv_errors errs = LS_CSV_ERRORS_INIT;
	long n =
	    ls_csvrows_parse(name, (const char *)data + 1, size - 1, kind, req, &errs, NULL, NULL);
	FUZZ_CHECK(n >= 0, "out of memory");
	FUZZ_CHECK((size_t)n == ls_csv_errors_total(&errs), "%ld errors returned, %zu kept", n,
	           ls_csv_errors_total(&errs));
	FUZZ_CHECK(errs.n <= LS_CSVROWS_MAX_ERRORS, "%zu errors kept", errs.n);
	for (size_t i = 0; i < errs.n; i++) {
		check_text("an error's source", errs.v[i].source);
		check_text("an error's column", errs.v[i].column);
		check_text("an error's message", errs.v[i].message);
		FUZZ_CHECK(errs.v[i].message != NULL, "an error without a message");
	}

	ls_csvrows_sort(req);
	int last = LS_CSV_AUTO;
	for (size_t i = 0; i < req->n_rows; i++) {
		int k = ls_csv_row_kind(req->rows[i]);
		FUZZ_CHECK(k != LS_CSV_AUTO, "row %zu has no kind", i);
		FUZZ_CHECK(kind == LS_CSV_AUTO || k == (int)kind, "row %zu is a %s, not a %s", i,
		           ls_csv_kind_name((ls_csv_kind)k), ls_csv_kind_name(kind));
		FUZZ_CHECK(k >= last, "row %zu is out of import order", i);
		last = k;
	}
	ls_status st;
	ls_status_clear(&st);
	FUZZ_CHECK(ls_message_check_utf8(&req->base, &st) == LS_OK, "a row is not UTF-8: %s",
	           st.field);
	uint8_t *packed;
	size_t len;
	FUZZ_CHECK(ls_message_pack(&req->base, &packed, &len) == LS_OK, "pack");
	free(packed);

	ls_csv_errors_fini(&errs);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	return 0;
}
