/* The libpq functions BridgePostgres calls, opened on first use (CLazyLibrary.h). Prototypes as in libpq-fe.h
   (Debian's libpq-dev); the compiler checks each against that declaration. */
#include "CLibPQ.h"
#include "CLazyLibrary.h"

#define LIBPQ_FUNCTIONS(F, V) \
    F(int, PQbackendPID, (const PGconn *conn), (conn)) \
    V(PQclear, (PGresult *res), (res)) \
    F(char *, PQcmdTuples, (PGresult *res), (res)) \
    F(PGconn *, PQconnectdbParams, (const char *const *keywords, const char *const *values, int expand_dbname), \
      (keywords, values, expand_dbname)) \
    V(PQconninfoFree, (PQconninfoOption *options), (options)) \
    F(PQconninfoOption *, PQconninfoParse, (const char *conninfo, char **errmsg), (conninfo, errmsg)) \
    F(char *, PQerrorMessage, (const PGconn *conn), (conn)) \
    F(PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query)) \
    F(PGresult *, PQexecParams, (PGconn *conn, const char *command, int nParams, const Oid *paramTypes, \
      const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat), \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat)) \
    F(PGresult *, PQexecPrepared, (PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues, \
      const int *paramLengths, const int *paramFormats, int resultFormat), \
      (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat)) \
    V(PQfinish, (PGconn *conn), (conn)) \
    F(char *, PQfname, (const PGresult *res, int field_num), (res, field_num)) \
    V(PQfreemem, (void *ptr), (ptr)) \
    F(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    F(int, PQgetlength, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    F(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    F(int, PQnfields, (const PGresult *res), (res)) \
    F(int, PQntuples, (const PGresult *res), (res)) \
    F(PGPing, PQping, (const char *conninfo), (conninfo)) \
    F(PGresult *, PQprepare, (PGconn *conn, const char *stmtName, const char *query, int nParams, \
      const Oid *paramTypes), (conn, stmtName, query, nParams, paramTypes)) \
    V(PQreset, (PGconn *conn), (conn)) \
    F(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode)) \
    F(char *, PQresultErrorMessage, (const PGresult *res), (res)) \
    F(ExecStatusType, PQresultStatus, (const PGresult *res), (res)) \
    F(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn *conn, PQnoticeProcessor proc, void *arg), (conn, proc, arg)) \
    F(ConnStatusType, PQstatus, (const PGconn *conn), (conn)) \
    F(PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn))

/* Debian 12's libpq5 package; the soname has been libpq.so.5 since PostgreSQL 8.1. */
WALLETBRIDGE_LAZY_TABLE(LIBPQ_FUNCTIONS, lazy_libpq, "libpq.so.5")
#define WALLETBRIDGE_LAZY_SELF lazy_libpq

LIBPQ_FUNCTIONS(WALLETBRIDGE_LAZY_STUB, WALLETBRIDGE_LAZY_VOID_STUB)

const char *walletbridge_libpq_open(void) { return walletbridge_lazy_library_open(&lazy_libpq); }
