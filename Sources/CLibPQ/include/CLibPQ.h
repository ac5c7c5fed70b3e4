#ifndef WALLETBRIDGE_CLIBPQ_H
#define WALLETBRIDGE_CLIBPQ_H

/* libpq-fe.h's own includes are quoted, so they resolve beside it: no -I/usr/include/postgresql is needed. */
#include <postgresql/libpq-fe.h>

/* Opens libpq (LibPQLoader.c; CLazyLibrary.h says why it is not linked): NULL when it is usable, otherwise why not.
   Call before the first libpq function. */
const char *walletbridge_libpq_open(void);

#endif
