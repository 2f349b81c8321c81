/* A new PostgreSQL database for a test, on the server tests/pg_server.sh
 * started. */
#ifndef LS_TEST_PG_DATABASE_H
#define LS_TEST_PG_DATABASE_H

#include <stddef.h>

/* Makes database prefix + tag (lower-cased; a mkdtemp suffix will do) on
 * the server that base names (a libpq URL with a ?host=... part, as
 * LUOSHI_TEST_PG is), puts its name in name and its URL in url. Returns
 * 0, or -1 after printing why. */
int test_pg_database(const char *base, const char *prefix, const char *tag, char name[64],
                     char *url, size_t n);

#endif
