# Skoll build. See docs/build.md. User verbs: all (default), run, test, bench, bench-linux,
# bench-readme, fuzz, debug, unit, user, linux-tests, linux-golden, release, clean.
# CONFIG=debug (default: -O1, assertions) or CONFIG=release (-O2, no assertions).

CONFIG ?= debug
ifeq ($(CONFIG),debug)
OUT := build
OPT := -O1 -DSKOLL_DEBUG
else ifeq ($(CONFIG),release)
OUT := build/release
OPT := -O2 -DNDEBUG
else
$(error CONFIG must be debug or release)
endif

CC := gcc
LD := ld
QEMU := qemu-system-x86_64
SETUP_STAMP := build/.setup-done

WARN := -Wall -Wextra -Werror
KINC := -Iinclude -Ikernel/include -Ikernel/arch/x86_64/include -Ilib/base/include
KCFLAGS := -std=gnu11 $(OPT) -g $(WARN) -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls -fno-asynchronous-unwind-tables -ffunction-sections -MMD -MP $(KINC)
KASFLAGS := -g $(KINC) -D__ASSEMBLER__ -MMD -MP
KLDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	-T kernel/arch/x86_64/linker.ld
ifeq ($(CONFIG),release)
KCFLAGS += -flto -flto-partition=one
KLINK = $(CC) $(KCFLAGS) -nostdlib -static -no-pie $(patsubst %,-Wl$(comma)%,-z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments) -Wl,-T,kernel/arch/x86_64/linker.ld
else
KLINK = $(LD) $(KLDFLAGS)
endif
comma := ,

KSRC := $(shell find kernel lib/base -name '*.c' -o -name '*.S' | sort)
KOBJ := $(patsubst %,$(OUT)/obj/%.o,$(KSRC))

ISO_DIR := $(OUT)/iso
INITRD := $(OUT)/initrd.cpio

.PHONY: all run test bench bench-linux bench-readme debug fuzz clean setup release unit user \
	linux-tests linux-golden linux-abi
all: $(SETUP_STAMP) $(OUT)/skoll.elf user $(OUT)/skoll.iso

# Setup: tools/setup.sh installs the Debian packages the build and tests use. A fresh Debian 12
# has only make and gcc (with binutils: ld, ar, objcopy, nm); every rule that runs anything else
# (cpio, python3, pkg-config/Check, QEMU, GRUB, xorriso, musl-gcc) has the stamp as an order-only
# prerequisite, and the verbs that use such rules list it first so that setup is what they do first.
setup: $(SETUP_STAMP)
$(SETUP_STAMP): tools/setup.sh
	@tools/setup.sh
	@mkdir -p build && touch $@

# A recipe that fails (or is interrupted) must not leave a target that looks up to date.
.DELETE_ON_ERROR:

# V=1 shows full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(OUT)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(OUT)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# Two-pass link: pass 1 with an empty symbol table, then the real table. The table
# sits after all text, so text addresses cannot move; the build checks that.
$(OUT)/skoll.elf: $(KOBJ) kernel/arch/x86_64/linker.ld kernel/arch/x86_64/hot.ld tools/gen-ksyms.sh
	@mkdir -p $(OUT)
	@$(if $(Q),echo "  LD      $@")
	$(Q)tools/gen-ksyms.sh > $(OUT)/ksyms0.S
	$(Q)$(CC) -c $(OUT)/ksyms0.S -o $(OUT)/ksyms0.o
	$(Q)$(KLINK) -o $(OUT)/skoll.pass1.elf $(KOBJ) $(OUT)/ksyms0.o
	$(Q)tools/gen-ksyms.sh $(OUT)/skoll.pass1.elf > $(OUT)/ksyms.S
	$(Q)$(CC) -c $(OUT)/ksyms.S -o $(OUT)/ksyms.o
	$(Q)$(KLINK) -o $@.tmp $(KOBJ) $(OUT)/ksyms.o
	@tools/gen-ksyms.sh $@.tmp | cmp -s - $(OUT)/ksyms.S || \
		{ echo "ksyms: text moved between link passes"; rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

# User programs (docs/runtime.md): servers/<name>/*.c -> <name>, tests/system/test-*.c and
# tests/bench/bench-*.c -> one program each, tests/fuzz/*.c -> test-fuzz (the fuzzer, run
# with the system tests: docs/testing.md); all linked with lib/sk (crt0 + libsk.a) at
# 0x400000 by lib/sk/user.ld, and packed into the boot archive as bin/<name>.
USER_DIR := $(OUT)/user
UOBJ := $(OUT)/uobj
USER_CFLAGS := -std=gnu11 $(OPT) -g $(WARN) -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -fcf-protection=none -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-Iinclude -Ilib/base/include -Ilib/sk/include -MMD -MP
USER_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,lib/sk/user.ld -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,--build-id=none
LIBSK_SRC := $(sort $(wildcard lib/sk/*.c)) lib/base/cpio.c lib/base/elf.c lib/base/fmt.c lib/base/string.c
LIBSK_OBJ := $(patsubst %,$(UOBJ)/%.o,$(LIBSK_SRC))
LIBSK := $(OUT)/libsk.a
CRT0 := $(UOBJ)/lib/sk/crt0.S.o
USER_SERVERS := $(notdir $(wildcard servers/*))
USER_TESTS := $(basename $(notdir $(wildcard tests/system/test-*.c)))
USER_BENCHES := $(basename $(notdir $(wildcard tests/bench/bench-*.c)))
USER_FUZZ := $(if $(wildcard tests/fuzz/*.c),test-fuzz)
USER_PROGS := $(USER_SERVERS) $(USER_TESTS) $(USER_FUZZ) $(USER_BENCHES)
USER_ELFS := $(patsubst %,$(USER_DIR)/%.elf,$(USER_PROGS))
user: $(USER_ELFS)

$(UOBJ)/%.c.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -c $< -o $@
$(UOBJ)/%.S.o: %.S Makefile
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -D__ASSEMBLER__ -c $< -o $@
$(LIBSK): $(LIBSK_OBJ)
	rm -f $@ && ar rcs $@ $^
# user_prog(name, sources): link one program.
define user_prog
$(USER_DIR)/$(1).elf: $(patsubst %,$(UOBJ)/%.o,$(2)) $(CRT0) $(LIBSK) lib/sk/user.ld
	@mkdir -p $(USER_DIR)
	$(CC) $(USER_LDFLAGS) -o $$@ $(CRT0) $(patsubst %,$(UOBJ)/%.o,$(2)) $(LIBSK) -lgcc
endef
$(foreach p,$(USER_SERVERS),$(eval $(call user_prog,$(p),$(sort $(wildcard servers/$(p)/*.c)))))
$(foreach p,$(USER_TESTS),$(eval $(call user_prog,$(p),tests/system/$(p).c)))
$(foreach p,$(USER_BENCHES),$(eval $(call user_prog,$(p),tests/bench/$(p).c)))
$(foreach p,$(USER_FUZZ),$(eval $(call user_prog,$(p),$(sort $(wildcard tests/fuzz/*.c)))))
-include $(shell find $(UOBJ) -name '*.d' 2>/dev/null)

# Linux programs (docs/build.md, "The boot archive"): every tests/linux/<name>.c is an ordinary
# Linux program, built static twice, with musl (musl-gcc) and with glibc (gcc), into
# $(OUT)/linux-tests/{musl,glibc}/<name>, and packed as usr/lib/skoll-tests/{musl,glibc}/<name>.
LINUX_TESTS := $(basename $(notdir $(wildcard tests/linux/*.c)))
LINUX_TEST_DIR := $(OUT)/linux-tests
# the programs of tests/linux/dyn.list also dynamically linked, into $(LINUX_TEST_DIR)/dyn/
LINUX_DYN_TESTS := $(shell grep -v '^\#' tests/linux/dyn.list)
LINUX_TEST_BINS := $(foreach v,musl glibc,$(patsubst %,$(LINUX_TEST_DIR)/$(v)/%,$(LINUX_TESTS))) \
	$(patsubst %,$(LINUX_TEST_DIR)/dyn/%,$(LINUX_DYN_TESTS))
LINUX_CFLAGS := -static -O2 -std=gnu11 $(WARN)
LINUX_TEST_DEPS := $(wildcard tests/linux/*.h) Makefile
$(LINUX_TEST_DIR)/musl/%: tests/linux/%.c $(LINUX_TEST_DEPS) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	musl-gcc $(LINUX_CFLAGS) -o $@ $<
$(LINUX_TEST_DIR)/glibc/%: tests/linux/%.c $(LINUX_TEST_DEPS) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LINUX_CFLAGS) -o $@ $<
$(LINUX_TEST_DIR)/dyn/%: tests/linux/%.c $(LINUX_TEST_DEPS) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -static,$(LINUX_CFLAGS)) -o $@ $<
linux-tests: $(SETUP_STAMP) $(LINUX_TEST_BINS)

# The boot archive: initrd/ plus bin/<program> (debug info stripped) for every user program,
# then the Linux part (tools/initrd-linux.sh: busybox and its applet links, empty directories,
# the Linux test programs and driver). Owned by root (-R 0:0) whoever builds it. No pipelines
# (sh has no pipefail): each step is a command of its own, and the archive is written beside the
# target and renamed, so a failure leaves no archive behind.
# Debian's own programs that are not static (docs/build.md): downloaded and unpacked, never
# installed on the build machine; the download is kept in build/debs.
DEB_PKGS := bash libtinfo6
$(OUT)/debroot.stamp: tools/debian-pkgs.sh Makefile | $(SETUP_STAMP)
	tools/debian-pkgs.sh build/debs $(OUT)/debroot $(DEB_PKGS)
	touch $@

LINUX_TEST_FILES := tests/linux/cases.list tests/linux/dyn.list tests/linux/driver.sh \
	$(wildcard tests/linux/sh/*.sh) tests/linux/bench/script.sh
$(INITRD): $(shell find initrd -type f 2>/dev/null) $(USER_ELFS) $(LINUX_TEST_BINS) $(LINUX_TEST_FILES) \
		tools/initrd-linux.sh $(wildcard /bin/busybox) $(OUT)/debroot.stamp | $(SETUP_STAMP)
	@mkdir -p $(OUT)
	rm -rf $(OUT)/initrd-root && mkdir -p $(OUT)/initrd-root/bin && cp -R initrd/. $(OUT)/initrd-root/
	$(foreach p,$(USER_PROGS),objcopy --strip-debug $(USER_DIR)/$(p).elf $(OUT)/initrd-root/bin/$(p) &&) true
	DEBROOT=$(OUT)/debroot tools/initrd-linux.sh $(OUT)/initrd-root $(LINUX_TEST_DIR) $(LINUX_TESTS)
	cd $(OUT)/initrd-root && find . -mindepth 1 -printf '%P\n' > ../initrd.found
	LC_ALL=C sort $(OUT)/initrd.found > $(OUT)/initrd.list
	cd $(OUT)/initrd-root && cpio -o -H newc -R 0:0 --quiet < ../initrd.list > $(abspath $@).tmp || \
		{ rm -f $(abspath $@).tmp; exit 1; }
	mv $@.tmp $@

# ISO with GRUB for BIOS and UEFI. GRUB_CMDLINE selects the kernel command line.
GRUB_CMDLINE ?=
$(OUT)/skoll.iso: $(OUT)/skoll.elf $(INITRD) tools/mkiso.sh | $(SETUP_STAMP)
	tools/mkiso.sh $@ $(OUT)/skoll.elf $(INITRD) "$(GRUB_CMDLINE)"

# Host unit tests: every tests/unit/*.c plus the pure modules (kernel/lib, lib/base parsers and
# fmt) and lib/sk's spawner, threads and heap over a model kernel (test_sk.c). test_elf and
# test_sk also read the user programs of this build.
UNIT_DIR := build/unit
UNIT_TESTS := $(sort $(wildcard tests/unit/*.c))
UNIT_MODULES := $(sort $(wildcard kernel/lib/*.c)) lib/base/cpio.c lib/base/elf.c lib/base/fmt.c \
	$(addprefix lib/sk/,heap.c mem.c mutex.c print.c queue.c spawn.c thread.c) servers/registry/check.c
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fsanitize=address,undefined -fno-sanitize-recover=all \
	$(KINC) -Ilib/sk/include -I$(UNIT_DIR) -DSKOLL_HOST_TEST -DSKOLL_USER_ELF_DIR='"$(USER_DIR)"'
$(UNIT_DIR)/suites.h: $(UNIT_TESTS)
	@mkdir -p $(UNIT_DIR)
	sed -n 's/.*Suite \*suite_\([a-z0-9_]*\)(void).*/SUITE(\1)/p' $(UNIT_TESTS) > $@
# (headers too: lib/sk's carry inline code, e.g. the submit fast path in sk/queue.h)
UNIT_HEADERS := $(wildcard include/skoll/*.h include/skoll/proto/*.h lib/sk/include/sk/*.h tests/unit/*.h \
	servers/registry/check.h)
$(UNIT_DIR)/unit_tests: $(UNIT_TESTS) $(UNIT_MODULES) $(UNIT_HEADERS) $(UNIT_DIR)/suites.h | $(SETUP_STAMP) $(USER_ELFS)
	$(CC) $(HOST_CFLAGS) -o $@ $(UNIT_TESTS) $(UNIT_MODULES) $$(pkg-config --cflags --libs check)
unit: $(SETUP_STAMP) $(UNIT_DIR)/unit_tests
	$(UNIT_DIR)/unit_tests
	tools/pyunit.py

release: $(SETUP_STAMP)
	$(MAKE) CONFIG=release all

run: $(SETUP_STAMP) all
	tools/qemu.py run $(OUT)

debug: $(SETUP_STAMP) all
	tools/qemu.py debug $(OUT)

test: $(SETUP_STAMP) all $(UNIT_DIR)/unit_tests
	tools/gen_linux_abi.py --check
	$(MAKE) CONFIG=release build/release/skoll.elf build/release/initrd.cpio
	tools/test.sh

# Benchmarks run the release build.
bench: $(SETUP_STAMP) all
	$(MAKE) CONFIG=release build/release/skoll.elf build/release/initrd.cpio
	tools/bench.py build/release

# The in-system fuzzer for as long as asked (docs/testing.md): FUZZ_CALLS system calls and queue
# operations, FUZZ_SEED (default: a new one, printed), FUZZ_PROCS processes at a time with
# FUZZ_THREADS threads each, at FUZZ_SMP CPUs; in the CONFIG build (debug or release).
FUZZ_CALLS ?= 1000000
FUZZ_SEED ?=
FUZZ_PROCS ?= 2
FUZZ_THREADS ?= 3
FUZZ_SMP ?= 2
fuzz: $(SETUP_STAMP) $(OUT)/skoll.elf $(INITRD)
	tools/fuzz.py $(OUT) --calls $(FUZZ_CALLS) --procs $(FUZZ_PROCS) --threads $(FUZZ_THREADS) \
		--smp $(FUZZ_SMP) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

# The Linux reference figures alone (docs/bench.md); `make bench` runs them too.
bench-linux: $(SETUP_STAMP)
	tools/linux_bench.py

# The differential tests' golden files (docs/testing.md): the driver's cases run on Debian's
# Linux kernel with this build's boot archive; tests/linux/golden/ is rewritten (and committed).
linux-golden: $(SETUP_STAMP) $(INITRD)
	tools/linux_ref.py --archive $(INITRD)

# The README's "Last run" figures, printed from the committed results file (docs/bench.md).
bench-readme: $(SETUP_STAMP)
	tools/bench_readme.py

# docs/linux-abi.md from the POSIX server's system call table (docs/posix.md).
linux-abi: $(SETUP_STAMP)
	tools/gen_linux_abi.py

clean:
	rm -rf build

$(KOBJ): Makefile

-include $(KOBJ:.o=.d)
