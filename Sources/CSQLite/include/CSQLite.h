#ifndef WALLETBRIDGE_CSQLITE_H
#define WALLETBRIDGE_CSQLITE_H

#include <sqlite3.h>

/* Opens libsqlite3 (SQLiteLoader.c; CLazyLibrary.h says why it is not linked): NULL when it is usable, otherwise
   why not. Call before the first SQLite function. */
const char *walletbridge_sqlite_open(void);

#endif
