/* Configuration files: one "key = value" a line, '#' starts a comment,
 * blank lines ignored, keys as the long command-line flags without the
 * dashes ("listen = tcp://127.0.0.1:7070"). A key may repeat where its flag
 * may (listen). Values may be quoted with double quotes to keep spaces at
 * their ends. */
#ifndef LS_CONFIG_H
#define LS_CONFIG_H

#include "status.h"

/* Called once per key in file order. Returns 0 to go on, or a status code
 * (with st filled) to stop. */
typedef int (*ls_config_fn)(void *arg, const char *key, const char *value, ls_status *st);

/* Reads path and calls fn for each key. Returns 0; LS_NOT_FOUND when the
 * file cannot be opened; LS_INVALID_ARGUMENT for a malformed line, with
 * "path:line" in st->field; or what fn returned. */
int ls_config_parse(const char *path, ls_config_fn fn, void *arg, ls_status *st);

#endif
