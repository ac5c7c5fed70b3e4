# WalletBridge: `make run` (the demo) and `make test` (what CI runs). See README.md.

# bash for pipefail: a failing `swift test` must fail `make test` even though its output is piped.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec

# The Debian 12 packages the C system-library targets need (Package.swift names them as providers).
DEBIAN_PACKAGES := pkg-config libstdc++-12-dev libhidapi-dev libusb-1.0-0-dev libsecp256k1-dev libssl-dev nettle-dev \
	libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev \
	libpq-dev postgresql \
	qemu-system-x86 busybox-static kmod cpio udev chromium chromium-driver

TEST_LOG := .build/test-output.log

## RELEASE: how optimized builds are made (issue 16; `make bench-cli` shows the figures). The Swift runtime and
## FoundationEssentials are linked into the binary (--static-swift-stdlib): one file to copy, and nothing of the toolchain's to
## load at start. The binary stays position-independent (ASLR), but its ~100,000 relative relocations are packed
## (-z pack-relative-relocs, DT_RELR, which Debian 12's glibc 2.36 applies; the toolchain's lld writes it, gold
## cannot): the start-up no longer reads a 1.9 MB relocation table. The C++ runtime that the Swift runtime uses is
## linked in too: `--static-swift-stdlib` names `-lstdc++` itself, so the linker first finds STATIC_CXX's
## libstdc++.so, a one-line linker script (made by `static-cxx`) that names GCC's libstdc++.a instead; loading and
## relocating libstdc++.so.6 cost about half a millisecond of every start. And the binary's own symbols are not
## exported (`--no-export-dynamic` undoes the `-export-dynamic` that `--static-swift-stdlib` adds): nothing dlopens
## against them, and the runtime's start-up `dladdr` calls scanned their 9,000 entries one by one.
STATIC_CXX := $(CURDIR)/.build/static-libstdc++
RELEASE := -c release --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
	-Xlinker -L$(STATIC_CXX) -Xlinker --no-export-dynamic

.PHONY: static-cxx deps interop-tools vm-kernel build test bench bench-http bench-http-tools bench-instructions profile-transfers bench-cli fuzz run install uninstall clean

## PREFIX: where `make install` puts bin/walletbridge (default /usr/local)
PREFIX ?= /usr/local

## deps: install the missing Debian packages (quiet when nothing is missing)
## static-cxx: the linker script that makes release builds take libstdc++.a (see RELEASE; GCC's libstdc++-12-dev).
static-cxx: deps
	@archive=$$($(CC) -print-file-name=libstdc++.a); \
	case "$$archive" in /*) ;; *) echo "static-cxx: $(CC) knows no libstdc++.a (Debian: libstdc++-12-dev)" >&2; exit 1 ;; esac; \
	mkdir -p "$(STATIC_CXX)"; echo "INPUT($$archive)" > "$(STATIC_CXX)/libstdc++.so.new"; \
	cmp -s "$(STATIC_CXX)/libstdc++.so.new" "$(STATIC_CXX)/libstdc++.so" && rm "$(STATIC_CXX)/libstdc++.so.new" \
		|| mv "$(STATIC_CXX)/libstdc++.so.new" "$(STATIC_CXX)/libstdc++.so"

deps:
	@missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
		status=$$(dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null || true); \
		[ "$$status" = "install ok installed" ] || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		echo "Installing missing Debian packages:$$missing"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

## INTEROP_TOOLS: the vendors' tools the interop suite runs, one PyPI virtual environment each
## (.build/interop/NAME), as NAME:REQUIREMENTS; a requirement after `!` is installed without its dependencies
## (speculos: only its REST client, speculos.client, is used, so the emulator's Qt and pygame are not installed)
INTEROP_TOOLS := trezor-0.20:trezor==0.20.2 trezor-0.13:trezor==0.13.10 hwi:hwi==3.2.0,ledgercomm==1.2.1 \
	speculos:requests==2.34.2,pillow==12.1.0,flask==3.1.3,flask-cors==6.0.5,flask-restful==0.3.10,jsonschema==4.26.0,construct==2.10.70,!speculos==0.27.1

## interop-tools: create the interop suite's virtual environments from PyPI (trezorctl 0.20 and 0.13, HWI with
## ledgercomm; Tests/InteropTests). Kept while their requirements stay the same; a failed install leaves no stamp, so
## the tests that need it are reported skipped with the reason, and the next run tries again.
interop-tools:
	@for tool in $(INTEROP_TOOLS); do \
		name=$${tool%%:*}; requirements=$$(echo "$${tool#*:}" | tr ',' ' '); dir=.build/interop/$$name; \
		if [ "$$(cat $$dir/.installed 2>/dev/null)" != "$$requirements" ]; then \
			rm -rf "$$dir"; echo "Creating $$dir: $$requirements (PyPI)"; \
			with=$$(echo " $$requirements" | sed 's/ ![^ ]*//g'); without=$$(echo " $$requirements" | { grep -o ' ![^ ]*' || true; } | tr -d '!'); \
			if python3 -m venv "$$dir" && "$$dir/bin/pip" install -q --disable-pip-version-check $$with \
				&& { [ -z "$$without" ] || "$$dir/bin/pip" install -q --disable-pip-version-check --no-deps $$without; }; then \
				echo "$$requirements" > "$$dir/.installed"; \
			else \
				echo "WARNING: could not install $$requirements; the interop tests that need it will be skipped"; \
			fi; \
		fi; \
	done

## vm-kernel: the Debian kernel the VM suite boots (Tests/VM), the version Debian's linux-image-amd64 names,
## downloaded with apt-get and extracted (not installed) under .build/vm, kept until that version changes. A failed
## download leaves no `.ready` stamp: the VM tests are then reported skipped with the reason.
vm-kernel:
	@version=$$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-//p' | head -1); \
	dir=.build/vm/kernel-$$version; \
	if [ -n "$$version" ] && [ ! -f "$$dir/.ready" ]; then \
		echo "Extracting linux-image-$$version into $$dir (Debian)"; \
		rm -rf "$$dir" .build/vm/download && mkdir -p "$$dir" .build/vm/download; \
		if (cd .build/vm/download && apt-get download -q "linux-image-$$version" >/dev/null 2>&1) \
			&& dpkg-deb -x .build/vm/download/linux-image-$$version*.deb "$$dir" \
			&& depmod -b "$$dir" "$$version"; then \
			echo "$$version" > "$$dir/.ready"; ln -sfn "kernel-$$version" .build/vm/kernel; \
		else \
			echo "WARNING: could not get linux-image-$$version; the VM tests will be skipped"; \
		fi; \
		rm -rf .build/vm/download; \
	fi

## build: compile everything (debug)
build: deps
	swift build

## test: build, run all tests, end with the summary lines; non-zero exit on any failure
test: deps interop-tools vm-kernel
	swift build --build-tests
	@mkdir -p .build
	@status=0; swift test 2>&1 | tee $(TEST_LOG) || status=$$?; \
	echo; echo "== Test summary =="; \
	grep -E '✘ Test .* failed after' $(TEST_LOG) || true; \
	grep -E 'Executed [0-9]+ tests?' $(TEST_LOG) | tail -n 1 || true; \
	grep -E 'Test run with' $(TEST_LOG) || true; \
	total=$$(grep -oE 'Test run with [0-9]+ tests?' $(TEST_LOG) | grep -oE '[0-9]+' | tail -n 1); \
	failed=$$(grep -E '✘ Test .* failed after' $(TEST_LOG) | grep -vc 'Test run with' || true); \
	if [ -n "$$total" ]; then echo "$$((total - failed)) passed, $$failed failed"; fi; \
	exit $$status

## bench: the crypto, ledger, trezor and approvals benchmarks, optimized build
bench: deps static-cxx
	swift build $(RELEASE) --product walletbridge-bench
	.build/release/walletbridge-bench crypto
	.build/release/walletbridge-bench ledger
	.build/release/walletbridge-bench trezor
	.build/release/walletbridge-bench approvals

## bench-http: HTTP load with wrk on loopback: `serve --demo` (balance reads, small transfers) on SQLite and on
## PostgreSQL (one and two instances) beside bare libmicrohttpd handlers in C and in Swift, in one run of about
## 1.5 minutes (Benchmarks/http/bench-http.sh; README "HTTP load")
bench-http: bench-http-tools static-cxx
	swift build $(RELEASE) --product walletbridge
	swift build $(RELEASE) --product walletbridge-bench
	Benchmarks/http/bench-http.sh .build/release

## bench-http-tools: wrk, curl, perf and valgrind from Debian, for bench-http, profile-transfers and bench-instructions
bench-http-tools: deps
	@for package in wrk curl linux-perf valgrind; do \
		status=$$(dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null || true); \
		if [ "$$status" != "install ok installed" ]; then \
			sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
			echo "Installing missing Debian package: $$package"; \
			$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update; \
			$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$package; \
		fi; \
	done

## bench-instructions: instructions per balance read and per transfer under valgrind's callgrind, beside the bare
## handlers in C and Swift: figures that do not drift with the shared VM's speed (Benchmarks/http/count-instructions.sh,
## about a minute)
bench-instructions: bench-http-tools static-cxx
	swift build $(RELEASE) --product walletbridge
	swift build $(RELEASE) --product walletbridge-bench
	Benchmarks/http/count-instructions.sh .build/release

## profile-transfers: bench-http without PostgreSQL, with the SQLite transfers recorded by `perf record` and grouped
## into where a transfer's CPU time goes (Benchmarks/README.md, "Where a transfer's time goes")
profile-transfers: bench-http-tools static-cxx
	swift build $(RELEASE) --product walletbridge
	swift build $(RELEASE) --product walletbridge-bench
	PG=0 PROFILE=1 Benchmarks/http/bench-http.sh .build/release

## bench-cli: whole-process wall time, CPU time and peak RSS (median of RUNS runs, default 15) of `walletbridge
## --version`, `xpub` against `simulate ledger` and `address` against `simulate trezor`, beside HWI's getxpub and
## trezorctl on the same simulators, with the binary's size and shared libraries (Benchmarks/cli/bench-cli.sh)
bench-cli: deps interop-tools static-cxx
	@status=$$(dpkg-query -W -f='$${Status}' time 2>/dev/null || true); \
	if [ "$$status" != "install ok installed" ] || [ ! -x /usr/bin/time ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		echo "Installing missing Debian package: time"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y time; \
	fi
	swift build $(RELEASE) --product walletbridge
	Benchmarks/cli/bench-cli.sh .build/release

## FUZZ_RUNS: inputs per fuzz target for `make fuzz` (default 1,000,000)
FUZZ_RUNS ?= 1000000

## fuzz: libFuzzer on the JSON parser, the CRM request decoder and signature check, and MinorUnits.parse,
## FUZZ_RUNS inputs each (not part of `make test`; Fuzz/README.md). A crash stops it and leaves crash-* in .build-fuzz/.
fuzz: deps
	swift build -c release --product walletbridge-fuzz --scratch-path .build-fuzz \
		-Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
	@for target in json crm money; do \
		mkdir -p .build-fuzz/corpus/$$target; \
		cp Fuzz/seeds/$$target/* .build-fuzz/corpus/$$target/; \
		echo "== fuzz $$target: $(FUZZ_RUNS) inputs"; \
		(cd .build-fuzz && WALLETBRIDGE_FUZZ_TARGET=$$target ./release/walletbridge-fuzz -runs=$(FUZZ_RUNS) \
			-max_len=4096 -timeout=10 -print_final_stats=1 corpus/$$target 2>&1 \
			| grep -E '^(Done|stat::number_of_executed_units|==[0-9]+==|SUMMARY)|DONE|crash|deadly' ); \
	done

## run: build, then start the demo service (SQLite under ./var/, simulated operator devices) until Ctrl-C
run: build
	"$$(swift build --show-bin-path)/walletbridge" serve --demo

## install: build optimized and copy walletbridge to $(PREFIX)/bin (e.g. `make install PREFIX=$$HOME/.local`)
install: deps static-cxx
	swift build $(RELEASE) --product walletbridge
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 "$$(swift build $(RELEASE) --show-bin-path)/walletbridge" "$(DESTDIR)$(PREFIX)/bin/walletbridge"
	@echo "Installed $(DESTDIR)$(PREFIX)/bin/walletbridge"

## uninstall: remove $(PREFIX)/bin/walletbridge
uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/walletbridge"

## clean: remove build products
clean:
	rm -rf .build
