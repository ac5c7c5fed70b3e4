/* The libusb functions BridgeUSB calls, opened on first use (CLazyLibrary.h): commands that reach no USB device no
   longer load libusb and libudev. Prototypes as in libusb-1.0/libusb.h (Debian's libusb-1.0-0-dev); the compiler
   checks each against that declaration. */
#include "CLibUSB.h"
#include "CLazyLibrary.h"

#define LIBUSB_FUNCTIONS(F, V) \
    F(int, libusb_init, (libusb_context **ctx), (ctx)) \
    F(const struct libusb_version *, libusb_get_version, (void), ()) \
    F(const char *, libusb_error_name, (int errcode), (errcode)) \
    F(ssize_t, libusb_get_device_list, (libusb_context *ctx, libusb_device ***list), (ctx, list)) \
    V(libusb_free_device_list, (libusb_device **list, int unref_devices), (list, unref_devices)) \
    F(int, libusb_get_configuration, (libusb_device_handle *dev, int *config), (dev, config)) \
    F(int, libusb_get_device_descriptor, (libusb_device *dev, struct libusb_device_descriptor *desc), (dev, desc)) \
    F(int, libusb_get_config_descriptor, (libusb_device *dev, uint8_t config_index, \
      struct libusb_config_descriptor **config), (dev, config_index, config)) \
    V(libusb_free_config_descriptor, (struct libusb_config_descriptor *config), (config)) \
    F(uint8_t, libusb_get_bus_number, (libusb_device *dev), (dev)) \
    F(int, libusb_get_port_numbers, (libusb_device *dev, uint8_t *port_numbers, int port_numbers_len), \
      (dev, port_numbers, port_numbers_len)) \
    F(int, libusb_open, (libusb_device *dev, libusb_device_handle **dev_handle), (dev, dev_handle)) \
    V(libusb_close, (libusb_device_handle *dev_handle), (dev_handle)) \
    F(int, libusb_set_configuration, (libusb_device_handle *dev_handle, int configuration), \
      (dev_handle, configuration)) \
    F(int, libusb_claim_interface, (libusb_device_handle *dev_handle, int interface_number), \
      (dev_handle, interface_number)) \
    F(int, libusb_release_interface, (libusb_device_handle *dev_handle, int interface_number), \
      (dev_handle, interface_number)) \
    F(int, libusb_set_auto_detach_kernel_driver, (libusb_device_handle *dev_handle, int enable), (dev_handle, enable)) \
    F(int, libusb_interrupt_transfer, (libusb_device_handle *dev_handle, unsigned char endpoint, unsigned char *data, \
      int length, int *actual_length, unsigned int timeout), \
      (dev_handle, endpoint, data, length, actual_length, timeout)) \
    F(int, libusb_get_string_descriptor_ascii, (libusb_device_handle *dev_handle, uint8_t desc_index, \
      unsigned char *data, int length), (dev_handle, desc_index, data, length))

/* Debian 12's libusb-1.0-0 package. */
WALLETBRIDGE_LAZY_TABLE(LIBUSB_FUNCTIONS, lazy_libusb, "libusb-1.0.so.0")
#define WALLETBRIDGE_LAZY_SELF lazy_libusb

LIBUSB_FUNCTIONS(WALLETBRIDGE_LAZY_STUB, WALLETBRIDGE_LAZY_VOID_STUB)

const char *walletbridge_libusb_open(void) { return walletbridge_lazy_library_open(&lazy_libusb); }
