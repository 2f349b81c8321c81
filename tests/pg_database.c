#include "pg_database.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

int test_pg_database(const char *base, const char *prefix, const char *tag, char name[64],
                     char *url, size_t n)
{
	const char *query = base ? strchr(base, '?') : NULL;
	if (query == NULL) {
		fprintf(stderr, "test: no PostgreSQL URL with ?host=...: %s\n",
		        base ? base : "(none)");
		return -1;
	}
	snprintf(name, 64, "%s%s", prefix, tag);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	int w = snprintf(url, n, "postgresql:///%s%s", name, query);
	if (w < 0 || (size_t)w >= n) {
		fprintf(stderr, "test: the URL of database %s is too long\n", name);
		return -1;
	}
	char sql[96];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	PGconn *c = PQconnectdb(base);
	PGresult *r = PQexec(c, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "test: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}
