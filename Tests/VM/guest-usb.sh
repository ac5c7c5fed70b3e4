# Runs inside the VM (Tests/VM/vm-run.sh), chrooted into the host's root: the project's own binaries against the
# guest kernel's USB stack, the simulators behind real USB gadgets. Each result is one line on the console,
#   WBVM <scenario> <step> <exit status> <standard output, one line>
# which Tests/VMTests reads and checks. Nothing here decides pass or fail.
wb=/work/main/.build/debug/walletbridge
typed=/work/main/Tests/VM/typed-data.json
path="m/44'/60'/0'/0/0"

# One command: its exit status and its one-line JSON answer.
step() {
    scenario=$1; name=$2; shift 2
    timeout 60 "$@" > /tmp/step.out 2> /tmp/step.err
    status=$?
    echo "WBVM $scenario $name $status $(tr -d '\n' < /tmp/step.out)"
    # A crash's backtrace (or any error's guidance) goes to the console for whoever reads the log.
    [ "$status" -eq 0 ] || [ "$status" -eq 1 ] || head -60 /tmp/step.err | sed "s/^/WBVM-STDERR $scenario $name: /"
}

# Starts a simulator in the background and waits for its ready line; its pid is in $sim.
start_sim() {
    log=$1; shift
    "$@" > "/tmp/$log.out" 2> "/tmp/$log.err" &
    sim=$!
    for i in $(seq 1 200); do [ -s "/tmp/$log.out" ] && break; sleep 0.05; done
}

stop_sim() { kill -INT "$1"; wait "$1" 2>/dev/null; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# 1. A Ledger on the dashboard: enumerate, then a command that needs the Ethereum app (the host opens it, the device
#    re-enumerates, the command completes on the new node), then every device command.
start_sim ledger1 $wb simulate ledger --usb --app dashboard --blind-signing on
echo "WBVM ledger ready 0 $(cat /tmp/ledger1.out)"
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
(timeout 60 $wb sign-message --transport hid --path "$path" --message "unplugged" --timeout 20 > /tmp/unplug.out 2>/tmp/unplug.err; echo $? > /tmp/unplug.status) &
signer=$!
sleep 2
echo "" > "$udc_file"
wait $signer
echo "WBVM unplug sign-message $(cat /tmp/unplug.status) $(tr -d '\n' < /tmp/unplug.out)"
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
echo "WBVM end all 0"
