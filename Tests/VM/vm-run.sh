#!/bin/bash
# Boots a throwaway VM (QEMU, software emulation) on the Debian kernel `make vm-kernel` extracted, with the host's
# root shared read-only over 9p, and runs GUEST_SCRIPT inside it (chrooted into the host's root, so the project's own
# binaries and the host's hidapi/libusb run against the guest's kernel), then powers off. The guest's only writable
# places are tmpfs: /run (its scratch folder /run/wbvm is TMPDIR and the working directory), /dev and /sys/kernel/config.
# ../shared/reference/kernel-usb-vm.md records why it is shaped this way.
#
#   Tests/VM/vm-run.sh GUEST_SCRIPT [NAME=VALUE ...]
#
# NAME=VALUE pairs reach GUEST_SCRIPT as environment variables. Everything the guest prints comes back on standard
# output (the serial console). Exit status: 0 when the guest script ran to its end, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
kernel_dir="$repo/.build/vm/kernel"
version=$(cat "$kernel_dir/.ready" 2>/dev/null || true)
[ -n "$version" ] || { echo "no kernel: run 'make vm-kernel'" >&2; exit 2; }
script=$(realpath "$1"); shift

# The modules, each after what it depends on, in the order modprobe would load them.
modules="virtio_pci 9pnet_virtio 9p usbhid hid_generic dummy_hcd libcomposite usb_f_hid gadgetfs"
initramfs="$repo/.build/vm/initramfs-$version.cpio.gz"
if [ ! -f "$initramfs" ] || [ "$initramfs" -ot "$0" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work"/{bin,dev,proc,sys,host,modules}
    cp /bin/busybox "$work/bin/busybox"
    for tool in sh mount umount mkdir insmod chroot poweroff cat echo sleep mknod ln ifconfig; do ln -s busybox "$work/bin/$tool"; done
    : > "$work/modules/order"
    for module in $modules; do
        modprobe -d "$kernel_dir" -S "$version" --show-depends "$module" | while read -r verb path rest; do
            [ "$verb" = insmod ] || continue
            name=$(basename "$path")
            grep -qx "$name" "$work/modules/order" && continue
            cp "$path" "$work/modules/$name"
            echo "$name" >> "$work/modules/order"
        done
    done
    cat > "$work/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for name in $(cat /modules/order); do
    case "$name" in
        dummy_hcd.ko) insmod /modules/$name num=2 ;;
        *) insmod /modules/$name ;;
    esac
done
ifconfig lo 127.0.0.1 up
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostroot /host
mount --bind /dev /host/dev
mount --bind /proc /host/proc
mount --bind /sys /host/sys
mount -t configfs none /host/sys/kernel/config
mount -t tmpfs tmpfs /host/run
mkdir -p /host/run/wbvm
mkdir -p /host/dev/gadget
mount -t gadgetfs gadgetfs /host/dev/gadget
echo "WBVM-BOOTED"
chroot /host /bin/sh -c "cd /run/wbvm && TMPDIR=/run/wbvm exec /bin/sh $wb_script" && echo "WBVM-DONE"
poweroff -f
INIT
    chmod +x "$work/init"
    (cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$initramfs.tmp"
    mv "$initramfs.tmp" "$initramfs"
fi

append="console=ttyS0 quiet loglevel=3 panic=-1 wb_script=$script"
for pair in "$@"; do append="$append $pair"; done
output=$(mktemp)
timeout "${WBVM_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -smp 1 -m 1536 -nographic -no-reboot -nic none \
    -kernel "$kernel_dir/boot/vmlinuz-$version" -initrd "$initramfs" -append "$append" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap </dev/null | tee "$output" || true
grep -q "^WBVM-DONE" "$output"; status=$?
rm -f "$output"
exit $status
