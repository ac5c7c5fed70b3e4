/* The hidapi functions BridgeUSB calls, opened on first use (CLazyLibrary.h): commands that reach no USB device
   (`--version`, the simulators' TCP and UDP transports, serve) no longer load hidapi and libudev. Prototypes as in
   hidapi/hidapi.h (Debian's libhidapi-dev); the compiler checks each against that declaration. */
#include "CHIDAPI.h"
#include "CLazyLibrary.h"

#define HIDAPI_FUNCTIONS(F, V) \
    F(int, hid_init, (void), ()) \
    F(struct hid_device_info *, hid_enumerate, (unsigned short vendor_id, unsigned short product_id), \
      (vendor_id, product_id)) \
    V(hid_free_enumeration, (struct hid_device_info *devs), (devs)) \
    F(hid_device *, hid_open_path, (const char *path), (path)) \
    F(int, hid_write, (hid_device *dev, const unsigned char *data, size_t length), (dev, data, length)) \
    F(int, hid_read_timeout, (hid_device *dev, unsigned char *data, size_t length, int milliseconds), \
      (dev, data, length, milliseconds)) \
    V(hid_close, (hid_device *dev), (dev)) \
    F(const wchar_t *, hid_error, (hid_device *dev), (dev)) \
    F(const char *, hid_version_str, (void), ())

/* Debian 12's libhidapi-hidraw0 package. */
WALLETBRIDGE_LAZY_TABLE(HIDAPI_FUNCTIONS, lazy_hidapi, "libhidapi-hidraw.so.0")
#define WALLETBRIDGE_LAZY_SELF lazy_hidapi

HIDAPI_FUNCTIONS(WALLETBRIDGE_LAZY_STUB, WALLETBRIDGE_LAZY_VOID_STUB)

const char *walletbridge_hidapi_open(void) { return walletbridge_lazy_library_open(&lazy_hidapi); }
