/// The udev rules `udev install` writes: a copy of the files in the repository's `udev/` folder, carried in the binary
/// so it installs them from anywhere. `UdevTests` keeps the copy identical to the files.
enum UdevRules {
    /// One rules file: its name in `/etc/udev/rules.d` and its text.
    struct File: Sendable {
        let name: String
        let contents: String
    }

    static let files = [ledger, trezor]

    static let ledger = File(name: "20-walletbridge-ledger.rules", contents: #"""
        # Ledger hardware wallets, for WalletBridge (https://github.com/LedgerHQ/udev-rules, 20-hw1.rules @f474382e).
        # Install into /etc/udev/rules.d (`sudo walletbridge udev install`), then replug the device.
        #
        # Desktops: TAG+="uaccess" lets the user logged in at the seat open the device (systemd-logind; the file must
        # sort before 73-seat-late.rules, hence "20-").
        # Headless stations (no seat, e.g. a service account over SSH): GROUP="plugdev", MODE="0660"; add the user to
        # plugdev (`sudo usermod -aG plugdev USER`, then log in again).
        # Unlike Ledger's own hidraw rule (MODE="0666"), the nodes are not opened to every local user.

        # HW.1, Nano (the old vendor id 0x2581)
        SUBSYSTEMS=="usb", ATTRS{idVendor}=="2581", ATTRS{idProduct}=="1b7c|2b7c|3b7c|4b7c", TAG+="uaccess", GROUP="plugdev", MODE="0660"

        # Blue, Nano S, Nano X, Nano S Plus, Stax, Flex, Nano Gen5: every product id of vendor 0x2c97 (libusb/WebUSB nodes)
        SUBSYSTEMS=="usb", ATTRS{idVendor}=="2c97", TAG+="uaccess", GROUP="plugdev", MODE="0660"

        # The hidraw nodes that hidapi's hidraw backend (and so WalletBridge) opens
        KERNEL=="hidraw*", ATTRS{idVendor}=="2c97", TAG+="uaccess", GROUP="plugdev", MODE="0660"

        """#)

    static let trezor = File(name: "51-walletbridge-trezor.rules", contents: #"""
        # Trezor hardware wallets, for WalletBridge (https://github.com/trezor/trezor-common, udev/51-trezor.rules @8c57bdfb,
        # identical to trezor/trezor-firmware common/udev/51-trezor.rules).
        # Install into /etc/udev/rules.d (`sudo walletbridge udev install`), then replug the device.
        #
        # Desktops: TAG+="uaccess" lets the user logged in at the seat open the device (systemd-logind; the file must
        # sort before 73-seat-late.rules, hence "51-").
        # Headless stations (no seat): GROUP="plugdev", MODE="0660"; add the user to plugdev.

        # Trezor One with firmware < 1.7.0 or bootloader < 1.6.0 (USB HID)
        SUBSYSTEM=="usb", ATTR{idVendor}=="534c", ATTR{idProduct}=="0001", TAG+="uaccess", GROUP="plugdev", MODE="0660", SYMLINK+="trezor%n"
        KERNEL=="hidraw*", ATTRS{idVendor}=="534c", ATTRS{idProduct}=="0001", TAG+="uaccess", GROUP="plugdev", MODE="0660"

        # Trezor One >= 1.7.0, Model T, Safe 3/5/7 (WebUSB through libusb), and their bootloaders (53c0)
        SUBSYSTEM=="usb", ATTR{idVendor}=="1209", ATTR{idProduct}=="53c0", TAG+="uaccess", GROUP="plugdev", MODE="0660", SYMLINK+="trezor%n"
        SUBSYSTEM=="usb", ATTR{idVendor}=="1209", ATTR{idProduct}=="53c1", TAG+="uaccess", GROUP="plugdev", MODE="0660", SYMLINK+="trezor%n"
        KERNEL=="hidraw*", ATTRS{idVendor}=="1209", ATTRS{idProduct}=="53c1", TAG+="uaccess", GROUP="plugdev", MODE="0660"

        """#)
}
