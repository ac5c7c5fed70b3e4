/* The SQLite functions BridgeStore (and walletbridge-bench) call, opened on first use (CLazyLibrary.h): device
   commands and the simulators, which keep no database, no longer load it. Prototypes as in sqlite3.h (Debian's
   libsqlite3-dev); the compiler checks each against that declaration. */
#include "CSQLite.h"
#include "CLazyLibrary.h"

#define SQLITE_FUNCTIONS(F, V) \
    F(int, sqlite3_open_v2, (const char *filename, sqlite3 **ppDb, int flags, const char *zVfs), \
      (filename, ppDb, flags, zVfs)) \
    F(int, sqlite3_close, (sqlite3 *db), (db)) \
    F(int, sqlite3_busy_timeout, (sqlite3 *db, int ms), (db, ms)) \
    F(int, sqlite3_exec, (sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg, \
      char **errmsg), (db, sql, callback, arg, errmsg)) \
    F(int, sqlite3_prepare_v2, (sqlite3 *db, const char *zSql, int nByte, sqlite3_stmt **ppStmt, const char **pzTail), \
      (db, zSql, nByte, ppStmt, pzTail)) \
    F(int, sqlite3_prepare_v3, (sqlite3 *db, const char *zSql, int nByte, unsigned int prepFlags, \
      sqlite3_stmt **ppStmt, const char **pzTail), (db, zSql, nByte, prepFlags, ppStmt, pzTail)) \
    F(int, sqlite3_step, (sqlite3_stmt *pStmt), (pStmt)) \
    F(int, sqlite3_reset, (sqlite3_stmt *pStmt), (pStmt)) \
    F(int, sqlite3_finalize, (sqlite3_stmt *pStmt), (pStmt)) \
    F(int, sqlite3_clear_bindings, (sqlite3_stmt *pStmt), (pStmt)) \
    F(int, sqlite3_bind_parameter_count, (sqlite3_stmt *pStmt), (pStmt)) \
    F(int, sqlite3_bind_null, (sqlite3_stmt *pStmt, int index), (pStmt, index)) \
    F(int, sqlite3_bind_int64, (sqlite3_stmt *pStmt, int index, sqlite3_int64 value), (pStmt, index, value)) \
    F(int, sqlite3_bind_text, (sqlite3_stmt *pStmt, int index, const char *text, int bytes, void (*destructor)(void *)), \
      (pStmt, index, text, bytes, destructor)) \
    F(int, sqlite3_bind_text64, (sqlite3_stmt *pStmt, int index, const char *text, sqlite3_uint64 bytes, \
      void (*destructor)(void *), unsigned char encoding), (pStmt, index, text, bytes, destructor, encoding)) \
    F(int, sqlite3_bind_blob, (sqlite3_stmt *pStmt, int index, const void *blob, int bytes, void (*destructor)(void *)), \
      (pStmt, index, blob, bytes, destructor)) \
    F(int, sqlite3_bind_blob64, (sqlite3_stmt *pStmt, int index, const void *blob, sqlite3_uint64 bytes, \
      void (*destructor)(void *)), (pStmt, index, blob, bytes, destructor)) \
    F(int, sqlite3_bind_zeroblob, (sqlite3_stmt *pStmt, int index, int bytes), (pStmt, index, bytes)) \
    F(int, sqlite3_column_count, (sqlite3_stmt *pStmt), (pStmt)) \
    F(int, sqlite3_column_type, (sqlite3_stmt *pStmt, int column), (pStmt, column)) \
    F(sqlite3_int64, sqlite3_column_int64, (sqlite3_stmt *pStmt, int column), (pStmt, column)) \
    F(const unsigned char *, sqlite3_column_text, (sqlite3_stmt *pStmt, int column), (pStmt, column)) \
    F(const void *, sqlite3_column_blob, (sqlite3_stmt *pStmt, int column), (pStmt, column)) \
    F(int, sqlite3_column_bytes, (sqlite3_stmt *pStmt, int column), (pStmt, column)) \
    F(const char *, sqlite3_column_name, (sqlite3_stmt *pStmt, int column), (pStmt, column)) \
    F(int, sqlite3_changes, (sqlite3 *db), (db)) \
    F(sqlite3_int64, sqlite3_last_insert_rowid, (sqlite3 *db), (db)) \
    F(int, sqlite3_get_autocommit, (sqlite3 *db), (db)) \
    F(const char *, sqlite3_errmsg, (sqlite3 *db), (db)) \
    F(const char *, sqlite3_errstr, (int code), (code)) \
    V(sqlite3_free, (void *pointer), (pointer))

/* Debian 12's libsqlite3-0 package; the soname has been libsqlite3.so.0 since SQLite 3.0. */
WALLETBRIDGE_LAZY_TABLE(SQLITE_FUNCTIONS, lazy_sqlite, "libsqlite3.so.0")
#define WALLETBRIDGE_LAZY_SELF lazy_sqlite

SQLITE_FUNCTIONS(WALLETBRIDGE_LAZY_STUB, WALLETBRIDGE_LAZY_VOID_STUB)

const char *walletbridge_sqlite_open(void) { return walletbridge_lazy_library_open(&lazy_sqlite); }
