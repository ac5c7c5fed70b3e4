# Runs inside the VM (Tests/VM/vm-run.sh), chrooted into the host's root: the project's own binaries against the
# guest kernel's USB stack, the simulators behind real USB gadgets. Each result is one line on the console,
#   WBVM <scenario> <step> <exit status> <standard output, one line>
# which Tests/VMTests reads and checks. Nothing here decides pass or fail.
# The repository this script is in (wherever it was cloned), and the guest's writable scratch folder.
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${TMPDIR:-/run/wbvm}
wb=$repo/.build/debug/walletbridge
typed=$repo/Tests/VM/typed-data.json
path="m/44'/60'/0'/0/0"

# One command: its exit status and its one-line JSON answer.
step() {
    scenario=$1; name=$2; shift 2
    timeout 60 "$@" > $work/step.out 2> $work/step.err
    status=$?
    echo "WBVM $scenario $name $status $(tr -d '\n' < $work/step.out)"
    # A crash's backtrace (or any error's guidance) goes to the console for whoever reads the log.
    [ "$status" -eq 0 ] || [ "$status" -eq 1 ] || head -60 $work/step.err | sed "s/^/WBVM-STDERR $scenario $name: /"
}

# Starts a simulator in the background and waits for its ready line; its pid is in $sim.
start_sim() {
    log=$1; shift
    "$@" > "$work/$log.out" 2> "$work/$log.err" &
    sim=$!
    for i in $(seq 1 200); do [ -s "$work/$log.out" ] && break; sleep 0.05; done
}

stop_sim() { kill -INT "$1"; wait "$1" 2>/dev/null; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# 1. A Ledger on the dashboard: enumerate, then a command that needs the Ethereum app (the host opens it, the device
#    re-enumerates, the command completes on the new node), then every device command.
start_sim ledger1 $wb simulate ledger --usb --app dashboard --blind-signing on
echo "WBVM ledger ready 0 $(cat $work/ledger1.out)"
step ledger enumerate-dashboard $wb enumerate
step ledger address $wb address --transport hid --path "$path"
step ledger enumerate-ethereum $wb enumerate
step ledger sign-message $wb sign-message --transport hid --path "$path" --message "VM over hidraw"
step ledger sign-typed-data $wb sign-typed-data --transport hid --path "$path" --file "$typed"
step ledger xpub $wb xpub --transport hid --path "m/84'/0'/0'"
step ledger enumerate-bitcoin $wb enumerate
stop_sim $sim
step ledger enumerate-unplugged $wb enumerate

# 2. Unplug mid-exchange: the gadget unbound from its UDC while a slow signature waits; then plugged back.
start_sim ledger2 $wb simulate ledger --usb --delay-ms 4000
udc_file=$(ls -d /sys/kernel/config/usb_gadget/walletbridge-ledger-*/UDC | head -1)
udc=$(cat "$udc_file")
began=$(now_ms)
(timeout 60 $wb sign-message --transport hid --path "$path" --message "unplugged" --timeout 20 > $work/unplug.out 2>$work/unplug.err; echo $? > $work/unplug.status) &
signer=$!
sleep 2
echo "" > "$udc_file"
wait $signer
echo "WBVM unplug sign-message $(cat $work/unplug.status) $(tr -d '\n' < $work/unplug.out)"
echo "WBVM unplug elapsed-ms 0 $(( $(now_ms) - began ))"
echo "$udc" > "$udc_file"
sleep 1
step unplug address-after-replug $wb address --transport hid --path "$path"
stop_sim $sim

# 3. Two Ledgers: -2 listing both; --device picks each.
start_sim ledgerA $wb simulate ledger --usb --serial 000A
pidA=$sim
start_sim ledgerB $wb simulate ledger --usb --serial 000B --mnemonic "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
pidB=$sim
step two address $wb address --transport hid --path "$path"
for id in $($wb enumerate | tr ',' '\n' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p'); do
    step two "address-$id" $wb address --device "$id" --path "$path"
done

# 4. A user without permission on the device node: -12 with the hint.
first=$($wb enumerate | tr ',' '\n' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)
step permission address-as-nobody setpriv --reuid=65534 --regid=65534 --clear-groups $wb address --device "$first" --path "$path"
stop_sim $pidA
stop_sim $pidB

# 5. A Trezor (gadgetfs: WebUSB interface 0, endpoints 0x01/0x81) beside a Ledger: enumerate lists both with their
#    ids; every device command over libusb; a second process while the first holds the interface: -4.
start_sim ledger5 $wb simulate ledger --usb
ledger=$sim
start_sim trezor $wb simulate trezor --usb --delay-ms 1000
trezor=$sim
echo "WBVM trezor ready 0 $(cat $work/trezor.out)"
step trezor enumerate-both $wb enumerate
stop_sim $ledger
(timeout 60 $wb address --transport webusb --path "$path" > $work/first.out 2>/dev/null; echo $? > $work/first.status) &
first=$!
sleep 1.5
step trezor second-process $wb address --transport webusb --path "$path"
wait $first
echo "WBVM trezor first-process $(cat $work/first.status) $(tr -d '\n' < $work/first.out)"
stop_sim $trezor
start_sim trezor2 $wb simulate trezor --usb
step trezor address $wb address --transport webusb --path "$path"
step trezor xpub $wb xpub --transport webusb --path "m/84'/0'/0'"
step trezor sign-message $wb sign-message --transport webusb --path "$path" --message "VM over WebUSB"
step trezor sign-typed-data $wb sign-typed-data --transport webusb --path "$path" --file "$typed"
stop_sim $sim

# 5b. A Trezor One on its legacy HID firmware (534c:0001, a configfs HID gadget): found on hidraw, the report-id
#     probe settles, and it answers.
start_sim trezor1 $wb simulate trezor --usb --model one --legacy-hid
echo "WBVM trezor-one ready 0 $(cat $work/trezor1.out)"
step trezor-one enumerate $wb enumerate
step trezor-one address $wb address --transport hid --path "$path"
stop_sim $sim

# 6. The operator flow: the demo service, a large transfer held for two approvals, both given on a gadget Ledger
#    through hidraw (alice and bob are two paths of the simulator's seed), and the CRM sees it completed.
start_sim ledger6 $wb simulate ledger --usb
ledger=$sim
export XDG_STATE_HOME=$work/state
$wb serve --demo --db $work/demo.sqlite --listen 127.0.0.1:8080 > $work/serve.out 2> $work/serve.err &
server=$!
for i in $(seq 1 200); do grep -q "demo-large-0001" $work/serve.err 2>/dev/null && break; sleep 0.1; done
held=$(grep "PATCH" $work/serve.err | grep "demo-large-0001" | sed 's/^ *//')
echo "WBVM operator transfer 0 $(sh -c "$held" | tr -d '\n')"
step operator approve-alice $wb operator approve demo-large-0001 --server http://127.0.0.1:8080 --transport hid --path "m/44'/60'/0'/0/0"
step operator approve-bob $wb operator approve demo-large-0001 --server http://127.0.0.1:8080 --transport hid --path "m/44'/60'/1'/0/0"
key=$(sed -n "s/.*-H 'key: \([^']*\)'.*/\1/p" $work/serve.err | head -1)
echo "WBVM operator order 0 $(curl -s 'http://127.0.0.1:8080/wallets/order?order_id=demo-large-0001' -H "key: $key" | tr -d '\n')"
kill -TERM $server; wait $server
stop_sim $ledger

# 7. enumerate --watch: a Ledger plugged in on the dashboard (added), its app switched by a command (changed),
#    unplugged (removed), in that order.
$wb enumerate --watch > $work/watch.out 2> $work/watch.err &
watcher=$!
sleep 3
start_sim ledger7 $wb simulate ledger --usb --app dashboard
sleep 4
step watch address $wb address --transport hid --path "$path"
sleep 4
stop_sim $sim
sleep 6
kill -INT $watcher; wait $watcher
n=0
while read -r line; do echo "WBVM watch event-$n 0 $line"; n=$((n + 1)); done < $work/watch.out

# 9. udev: a user in plugdev cannot open the Ledger until `walletbridge udev install` puts the rules in place (udevd
#    running in the guest applies them to the device already plugged in); then the same user succeeds.
if [ -x /lib/systemd/systemd-udevd ] && getent group plugdev > /dev/null; then
    # udevd and udevadm refuse to act in a chroot unless told (systemd src/basic/virt.c `running_in_chroot`).
    export SYSTEMD_IGNORE_CHROOT=1
    mount -t tmpfs tmpfs /etc/udev/rules.d
    /lib/systemd/systemd-udevd --daemon > /dev/null 2>&1
    udevadm settle
    start_sim ledger9 $wb simulate ledger --usb
    plugdev=$(getent group plugdev | cut -d: -f3)
    as_user="setpriv --reuid=65534 --regid=65534 --groups=$plugdev"
    first=$($wb enumerate | tr ',' '\n' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)
    step udev address-before-rules $as_user $wb address --device "$first" --path "$path"
    step udev install $wb udev install
    udevadm settle
    step udev address-after-rules $as_user $wb address --device "$first" --path "$path"
    stop_sim $sim
    udevadm control --exit
else
    echo "WBVM udev unavailable 0 {}"
fi

# 8. The wire against the bridge's CPU per exchange on the real path (debug build, emulated CPU: figures to read
#    side by side, not to compare with a desk's).
start_sim ledger8 $wb simulate ledger --usb
ledger=$sim
start_sim trezor8 $wb simulate trezor --usb
trezor=$sim
timeout 120 $repo/.build/debug/walletbridge-bench usb --count 100 > $work/bench.out 2>&1
status=$?
n=0
while read -r line; do echo "WBVM bench line-$n $status $line"; n=$((n + 1)); done < $work/bench.out
stop_sim $ledger
stop_sim $trezor
echo "WBVM end all 0"
