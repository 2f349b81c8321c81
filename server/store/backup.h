/* Backups and restores of the whole database, through SQLite's online
 * backup API. Both work on connections of their own, never on the server's
 * srv_store, so a backup can run on any thread while the server writes. */
#ifndef SRV_STORE_BACKUP_H
#define SRV_STORE_BACKUP_H

#include <limits.h>
#include <stdint.h>

#include "status.h"

/* Copies the database at db_path, as one consistent snapshot (one read
 * transaction: every commit before it, none after), to dst_path, which must
 * not exist yet. The copy is a single file in rollback-journal mode, made
 * under a hidden temporary name beside dst_path, checked with PRAGMA
 * integrity_check, synced and only then linked to dst_path: dst_path is
 * either absent or complete, and never overwritten (LS_ALREADY_EXISTS).
 * *size gets the copy's bytes. Other failures: LS_RESOURCE_EXHAUSTED (the
 * disk is full), LS_UNAVAILABLE (the database stayed locked), LS_DATA_LOSS
 * (the copy fails its check), LS_INTERNAL. Thread-safe; blocking. */
int srv_store_backup(const char *db_path, const char *dst_path, int64_t *size, ls_status *st);

/* What srv_store_restore did. */
typedef struct srv_restore_info {
	int64_t size;        /* bytes of the restored database */
	int version;         /* its schema version */
	int64_t accounts;    /* its accounts, for the operator to recognise it */
	char kept[PATH_MAX]; /* db_path.before-restore, or "" when there was no database */
} srv_restore_info;

/* Puts the backup file in place of the database at db_path, for luoshid
 * --restore. In this order, stopping at the first failure with db_path
 * untouched: file must pass PRAGMA integrity_check and be a luoshi database
 * of a schema this server knows (LS_DATA_LOSS, LS_FAILED_PRECONDITION);
 * db_path is locked exclusively, which fails while any other process (a
 * running luoshid) has it open (LS_UNAVAILABLE); the current database is
 * copied to db_path.before-restore, which must not exist yet
 * (LS_ALREADY_EXISTS). Then file is copied into db_path inside one write
 * transaction of the locked connection, so that a crash leaves either the
 * old database or the new one, and the result is checked again. */
int srv_store_restore(const char *db_path, const char *file, srv_restore_info *info, ls_status *st);

#endif
