#ifndef WALLETBRIDGE_CLIBUSB_H
#define WALLETBRIDGE_CLIBUSB_H

#include <libusb-1.0/libusb.h>

/* Opens libusb (LibUSBLoader.c; CLazyLibrary.h says why it is not linked): NULL when it is usable, otherwise why
   not. Call before the first libusb function. */
const char *walletbridge_libusb_open(void);

#endif
