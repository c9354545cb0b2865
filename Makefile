# thptrace build.  Outputs go under $(BUILD); the tool itself is ./thptrace.
#   make              build ./thptrace and the demo workload
#   sudo make demo    install what is missing, build, run the demo under thptrace
#   sudo make test    everything: unit, live (root), fuzz, ASan/UBSan, QEMU matrix
#   make unit         unit tests only (no root needed)
#   sudo make live    the live tests on this kernel
#   make SAN=1 unit   unit tests under ASan+UBSan (objects in build/san)
#   sudo make vmtest  the QEMU kernel matrix
#   make V=1          show full commands
#   make install      the binary, man page, bash completion, systemd unit and
#                     logrotate snippet (PREFIX, DESTDIR, SYSCONFDIR)
#   make deb          a Debian package, built from a copy of this tree in build/deb

# The architecture: this machine's (uname -m: x86_64 -> x86, aarch64 ->
# arm64), or another one given on the command line: `make ARCH=arm64` on an
# x86_64 machine cross-builds with Debian's cross toolchain and multiarch
# libraries (gcc-aarch64-linux-gnu, libbpf-dev:arm64, libelf-dev:arm64,
# zlib1g-dev:arm64; tests/install-deps), statically linked, everything
# under build/arm64/ (the tool is build/arm64/thptrace).  The BPF object is
# the same clang -target bpf, with -D__TARGET_ARCH_arm64 and
# vmlinux/arm64/vmlinux.h; the skeleton comes from this machine's bpftool.
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH := $(HOST_ARCH)
VMLINUX_DIR := vmlinux/$(ARCH)
ifeq ($(wildcard $(VMLINUX_DIR)/vmlinux.h),)
$(error no $(VMLINUX_DIR)/vmlinux.h for architecture '$(ARCH)'; see README "Regenerating vmlinux.h")
endif
# GNU triplet of each architecture, for the cross compilers
TRIPLET_x86 := x86_64-linux-gnu
TRIPLET_arm64 := aarch64-linux-gnu
ifneq ($(ARCH),$(HOST_ARCH))
CROSS := 1
CROSS_COMPILE ?= $(TRIPLET_$(ARCH))-
ifneq ($(origin CC),command line)
CC := $(CROSS_COMPILE)gcc
endif
# the workloads, built by clang for the target (lld, as natively)
CLANG_TARGET := --target=$(TRIPLET_$(ARCH))
STATIC ?= 1
BUILD ?= build/$(ARCH)
endif

PREFIX ?= /usr/local
DESTDIR ?=
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool

ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BIN := $(BUILD)/thptrace
else ifeq ($(CROSS),1)
SANFLAGS :=
BIN := $(BUILD)/thptrace
else
BUILD ?= build
SANFLAGS :=
BIN := thptrace
endif

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror=implicit-function-declaration -std=gnu11 $(SANFLAGS)
CPPFLAGS += -I$(BUILD) -Ibpf -Isrc -D_GNU_SOURCE
LDFLAGS += $(SANFLAGS)
LDLIBS := -lbpf -lelf -lz
# STATIC=1 (the default when cross-building): one self-contained binary,
# which a busybox initramfs runs as it is (make vmtest's arm64 rows).
ifeq ($(STATIC),1)
LDFLAGS += -static
WL_LDFLAGS := -static
endif

# System include dirs as clang sees them, so <asm/...> resolves for BPF builds.
CLANG_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX_DIR) -Ibpf \
	$(CLANG_SYS_INCLUDES) -Wall -Wno-unused-function

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# src/ by role (README "Layout"): cli/ commands and the live run loop, probe/
# the BPF side of user space, host/ what is read from /proc and sysfs,
# model/ the pure region state machine, pipeline/ the one path from an event
# to the sinks, sinks/ text, JSON and SVG, util/ small helpers.
# Files that need the BPF skeleton; everything else is plain C that the unit
# tests link against without BPF.
SRCS := $(wildcard src/*/*.c)
HDRS := $(wildcard src/*/*.h)
SKEL_SRCS := $(filter-out src/cli/report.c,$(wildcard src/cli/*.c)) src/probe/probes.c src/probe/loader.c
CORE_SRCS := $(filter-out $(SKEL_SRCS),$(SRCS))
SKEL_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(SKEL_SRCS))
CORE_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(CORE_SRCS))
CORE_LIB := $(BUILD)/libthpcore.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

ifeq ($(CROSS),1)
WL_DIR := $(BUILD)
else
WL_DIR := build
endif
DEMO := $(WL_DIR)/thp_demo
LIVES := $(WL_DIR)/thp_lives
RESIDENT := $(WL_DIR)/thp_resident
SHORT := $(WL_DIR)/thp_short
ANON := $(WL_DIR)/thp_anon

.PHONY: all clean install deb test unit live vmtest cross-arm64 demo fuzz bench deps
.DELETE_ON_ERROR:

all: $(BIN) $(DEMO) $(LIVES) $(ANON)

$(BUILD) $(BUILD)/tests build/fuzz:
	$(Q)mkdir -p $@

# Linked by bpftool, which keeps BTF and line info but drops DWARF: the
# skeleton embeds 155 KB instead of 860 KB, and libbpf parses it at every start.
$(BUILD)/thptrace.bpf.o: bpf/thptrace.bpf.c $(wildcard bpf/*.bpf.h) bpf/thptrace.h $(VMLINUX_DIR)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(BUILD)/thptrace.tmp.bpf.o
	$(Q)$(BPFTOOL) gen object $@ $(BUILD)/thptrace.tmp.bpf.o

$(BUILD)/thptrace.skel.h: $(BUILD)/thptrace.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name thptrace_bpf > $@

$(SKEL_OBJS): $(BUILD)/thptrace.skel.h

$(BUILD)/%.o: src/%.c $(HDRS) bpf/thptrace.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@) && $(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(SKEL_OBJS) $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(SKEL_OBJS) $(CORE_LIB) $(LDLIBS) -o $@

# The demo's first loadable segment must span an aligned 2 MiB region: lld
# puts read-only data first, and the page size pins the alignment.  -z now:
# lazy binding would read .dynsym/.dynstr (inside that region) and refault it.
$(DEMO): tests/workloads/thp_demo.c
	$(call msg,DEMO,$@)
	$(Q)mkdir -p $(WL_DIR) && $(CLANG) $(CLANG_TARGET) -O2 -Wall -Wextra -fuse-ld=lld $(WL_LDFLAGS) \
		-Wl,-z,max-page-size=0x200000 -Wl,-z,separate-loadable-segments -Wl,-z,now $< -o $@

# Region lives and losses (tests/live/test_lives.sh).
$(LIVES): tests/workloads/thp_lives.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(WL_DIR) && $(CC) -O2 -Wall -Wextra $(WL_LDFLAGS) $< -o $@

# Anonymous and multi-size THP (tests/live/test_anon.sh, issue 13).
$(ANON): tests/workloads/thp_anon.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(WL_DIR) && $(CC) -O2 -Wall -Wextra $(WL_LDFLAGS) $< -o $@

# A process that has THP before thptrace attaches (issue 18).
$(RESIDENT): tests/workloads/thp_resident.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(WL_DIR) && $(CC) -O2 -Wall -Wextra $(WL_LDFLAGS) $< -o $@

$(SHORT): tests/workloads/thp_short.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(WL_DIR) && $(CC) -O2 -Wall -Wextra $(WL_LDFLAGS) $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(CORE_LIB) | $(BUILD)/tests
	$(call msg,UNIT,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit $< $(CORE_LIB) $(LDFLAGS) -lcmocka $(LDLIBS) -o $@

unit: $(UNIT_BINS)
	$(Q)tests/run-unit $(UNIT_BINS)

live: $(BIN) $(DEMO) $(LIVES) $(RESIDENT) $(SHORT) $(ANON)
	$(Q)THPTRACE=$(abspath $(BIN)) DEMO=$(abspath $(DEMO)) LIVES=$(abspath $(LIVES)) ANON=$(abspath $(ANON)) RESIDENT=$(abspath $(RESIDENT)) SHORT=$(abspath $(SHORT)) tests/run-live

# The QEMU matrix: Debian's x86 kernels and its arm64 6.12 and 6.1 (under
# qemu-system-aarch64 TCG), which take the cross-built build/arm64/
# (cross-arm64); tests/vm/README.md.
vmtest: thptrace $(DEMO) $(LIVES) $(ANON) cross-arm64
	$(Q)tests/vm/vmtest

# The arm64 tool and workloads, cross-built on an x86_64 machine
# (natively on arm64: the tool is ./thptrace and this does nothing).
cross-arm64:
ifeq ($(HOST_ARCH),arm64)
	@:
else
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 SAN= all
endif

build/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(CORE_SRCS) $(HDRS) | build/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -Ibuild $< $(CORE_SRCS) $(LDLIBS) -o $@

fuzz: $(FUZZ_BINS)
	$(Q)tests/run-fuzz $(FUZZ_BINS)

# Each stage prints "STAGE: N passed, N failed"; tests/run-all adds them up.
test: deps
	$(Q)tests/run-all

deps:
	$(Q)tests/install-deps

# A fresh machine may lack the compilers: install them before building.
demo: deps
	$(Q)$(MAKE) --no-print-directory $(BIN) $(DEMO)
	$(Q)THPTRACE_OPTS="$(THPTRACE_OPTS)" tests/demo

bench: thptrace $(DEMO)
	$(Q)bench/run

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/thptrace
	install -m 0644 man/thptrace.8 $(DESTDIR)$(MANDIR)/man8/thptrace.8
	install -m 0644 contrib/bash-completion/thptrace $(DESTDIR)$(BASHCOMPDIR)/thptrace
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	sed 's|/usr/bin/thptrace|$(PREFIX)/bin/thptrace|' contrib/systemd/thptrace.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/thptrace.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/thptrace.service
	install -m 0644 contrib/logrotate/thptrace $(DESTDIR)$(SYSCONFDIR)/logrotate.d/thptrace
	install -d $(DESTDIR)$(PREFIX)/share/thptrace/lnav
	install -m 0644 schema/thptrace-events.schema.json $(DESTDIR)$(PREFIX)/share/thptrace/
	install -m 0644 contrib/lnav/thptrace.json $(DESTDIR)$(PREFIX)/share/thptrace/lnav/

# The Debian package (debian/), built by dpkg-buildpackage from a copy of
# this tree (less .git, build/ and ./thptrace), so that nothing it makes
# lands in the tree: build/deb/thptrace_<version>_<arch>.deb, its log in
# build/deb/build.log.  Needs dpkg-dev and debhelper (tests/install-deps).
# Always the release build: SAN (the sanitizer pass of make test) is left out.
deb:
	$(Q)rm -rf build/deb && mkdir -p build/deb/src
	$(Q)tar -c --exclude-vcs --exclude=./build --exclude=./thptrace . | tar -x -C build/deb/src
	$(Q)cd build/deb/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN \
		dpkg-buildpackage -b -us -uc -Jauto >../build.log 2>&1 || \
		{ tail -n 20 ../build.log; echo "make deb: dpkg-buildpackage failed; see build/deb/build.log" >&2; exit 1; }
	$(Q)ls build/deb/*.deb

clean:
	rm -rf build thptrace
