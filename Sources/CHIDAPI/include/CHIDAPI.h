#ifndef WALLETBRIDGE_CHIDAPI_H
#define WALLETBRIDGE_CHIDAPI_H

#include <hidapi/hidapi.h>

/* Opens hidapi's hidraw backend (HIDAPILoader.c; CLazyLibrary.h says why it is not linked): NULL when it is usable,
   otherwise why not. Call before the first hidapi function. */
const char *walletbridge_hidapi_open(void);

#endif
