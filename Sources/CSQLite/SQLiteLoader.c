/* The SQLite functions BridgeStore (and walletbridge-bench) call, opened on first use (CLazyLibrary.h): device
   commands and the simulators, which keep no database, no longer load it. Prototypes as in sqlite3.h (Debian's
   libsqlite3-dev); the compiler checks each against that declaration. */
#include "CSQLite.h"
#include "CLazyLibrary.h"

#include <dlfcn.h>
#include <pthread.h>

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
    F(int, sqlite3_status64, (int op, sqlite3_int64 *pCurrent, sqlite3_int64 *pHighwater, int resetFlag), \
      (op, pCurrent, pHighwater, resetFlag)) \
    V(sqlite3_free, (void *pointer), (pointer))

/* Debian 12's libsqlite3-0 package; the soname has been libsqlite3.so.0 since SQLite 3.0. */
WALLETBRIDGE_LAZY_TABLE(SQLITE_FUNCTIONS, lazy_sqlite, "libsqlite3.so.0")
#define WALLETBRIDGE_LAZY_SELF lazy_sqlite

SQLITE_FUNCTIONS(WALLETBRIDGE_LAZY_STUB, WALLETBRIDGE_LAZY_VOID_STUB)

/* SQLITE_CONFIG_MEMSTATUS off. With SQLite's default (on, as Debian builds it), every allocation SQLite makes or
   frees takes a process-wide mutex to keep statistics nothing here reads (sqlite3_memory_used and the soft heap
   limit): callgrind counted about 235 lock and unlock calls per transfer (issue 16). sqlite3_config is variadic, so
   it is looked up here rather than given a stub, and it only works before SQLite initializes itself, so it runs
   once, right after the library opened and before any caller can reach another SQLite function. */
static pthread_once_t sqlite_configured = PTHREAD_ONCE_INIT;

static void walletbridge_sqlite_configure(void)
{
    void *library = dlopen(lazy_sqlite.soname, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (library == NULL) return;
    int (*configure)(int, ...) = (int (*)(int, ...))dlsym(library, "sqlite3_config");
    /* SQLITE_MISUSE when SQLite is already initialized (nothing else in this process calls it first): harmless. */
    if (configure != NULL) (void)configure(SQLITE_CONFIG_MEMSTATUS, 0);
    dlclose(library);
}

const char *walletbridge_sqlite_open(void)
{
    const char *error = walletbridge_lazy_library_open(&lazy_sqlite);
    if (error == NULL) pthread_once(&sqlite_configured, walletbridge_sqlite_configure);
    return error;
}
