/* The Yinzhou demo district: the CSV files of server/demo, built into the
 * binary, loaded by `luoshid --demo` through the import and account
 * handlers, exactly as an administrator would load them. */
#ifndef SRV_DEMO_H
#define SRV_DEMO_H

#include <stddef.h>
#include <stdio.h>

#include "server.h"

/* One embedded file: its base name ("projects.csv") and its bytes (not
 * NUL-terminated; len of them). */
typedef struct srv_demo_file {
	const char *name;
	const char *text;
	size_t len;
} srv_demo_file;

/* Generated at build time from the CSV files of server/demo by embed.cmake,
 * sorted by name. */
extern const srv_demo_file srv_demo_files[];
extern const size_t srv_demo_n_files;

/* Loads the demo into srv->store, which must be open, initialized (it
 * needs a live admin account to act as) and outside a transaction; the
 * dispatch table must be built (srv_dispatch_init). Everything is written in
 * one transaction or nothing is. Once committed, each new account's role,
 * unit, token and name go to out, one line each ("demo account: role=town
 * unit=wuxiang token=... name=五乡镇"); the tokens are shown only there.
 * When the demo's first unit exists already, nothing is written and out
 * gets one line saying so. Returns LS_OK, or a status whose message names
 * the file, line and field at fault (every bad row is also logged). */
int srv_demo_load(srv_server *srv, FILE *out, ls_status *st);

#endif
