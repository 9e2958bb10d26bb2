/*
 * init: the first program. The kernel loads bin/init from the boot archive and
 * starts it with the contract of docs/abi.md: start info carrying the archive
 * (memory object, READ | MAP) and the hardware-access handle, and argv =
 * "bin/init" followed by the words of the kernel command line.
 *
 * Today init runs programs from the archive and reports how they ended:
 *   usertests=all          every bin/test-* in the archive, in archive (sorted) order
 *   usertests=a,b,...      bin/a, bin/b, ... (any program, e.g. bench-core)
 *   usertests.timeout=S    seconds each program may run before init kills it (default 600)
 *   <prog>.args=a,b,...    argv[1..] for bin/<prog> (at most 8 words; e.g.
 *                          bench-ipc.args=only,ipc_batch_inflight64_ns)
 * First init prints its plan, "PLAN <prog>" for every program it will run (the
 * runner fails each planned name that never reports, tools/runner.py). Programs
 * then run one after another. Each prints its own plan and PASS/FAIL/SKIP lines;
 * init prints "PASS <prog>" when the program's first thread exited with status 0,
 * "FAIL <prog>: <how it ended>" otherwise, then "usertests: N passed, N failed"
 * (programs), and exits with the number failed.
 *
 * Without usertests= init starts the system: bin/posix --system (the POSIX server,
 * docs/posix.md, with the hardware-access handle), which runs /sbin/init and owns
 * the console and the machine's power; init waits for it. With kconsole on the
 * command line (the kernel's developer console) or qemu_exit (a test boot running
 * self tests only) it starts nothing.
 *   init.end=poweroff|reset  then, instead of exiting, power the machine off or reset it
 *                            (platform_power with the hardware-access handle; the boot
 *                            cases poweroff-* and reset-* in tests/system/boot.list)
 *
 * The hardware-access handle goes only to programs that drive hardware: those
 * named drv-* (drivers), the POSIX server (the serial console and power), the
 * tests of the hardware calls (needs_hw below), and
 * test-fuzz, which makes two MSI IRQ objects with it for its children to fuzz and
 * closes it before any child starts (docs/testing.md). Everything else starts
 * without one.
 *
 * Before anything else init starts bin/registry (docs/registry.md) with one end
 * of a fresh stream, and gives every later program a copy of the other end
 * (sk_start_info.registry). The registry is no test: it is not counted, and
 * init shuts its lane down and waits for it before exiting; only if it does not
 * end cleanly is that counted as a failure.
 */
#include <sk/sk.h>
#include <sk/spawn.h>
#include <base/cpio.h>
#include <base/elf.h>

#define MAX_PROGS 64

static const uint8_t *archive;
static uint64_t archive_size;
/* Running the system (no usertests=): bin/posix with "--system", no test reports. */
static int system_mode;

/* The registry: its process, and the end of its stream that the other programs get. */
static struct sk_process registry;
static sk_handle_t registry_lane;
#define REGISTRY_CLIENT_RIGHTS (SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE)

/* The value of "key=value" among argv[1..], or NULL. */
static const char *arg_value(const char *key)
{
    size_t n = strlen(key);
    for (int i = 1; i < sk_argc(); i++) {
        const char *a = sk_argv(i);
        if (strncmp(a, key, n) == 0 && a[n] == '=')
            return a + n + 1;
    }
    return NULL;
}

static uint64_t parse_seconds(const char *s, uint64_t dflt)
{
    if (!s || !*s)
        return dflt;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > UINT64_MAX / 10 / 1000000000ull)
            return dflt;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    return v;
}

/* 1 if program prog gets the hardware-access handle: drivers, the hardware tests and the
   fuzzer (for IRQ objects only). */
static int needs_hw(const char *prog)
{
    return strncmp(prog, "drv-", 4) == 0 || strcmp(prog, "posix") == 0 || strcmp(prog, "test-irq") == 0 ||
           strcmp(prog, "test-abi") == 0 || strcmp(prog, "test-fuzz") == 0;
}

/* Run bin/<name>; reports PASS or FAIL <name> and returns 1 if it exited with status 0. */
static int run_one(const char *name, size_t namelen, uint64_t timeout_ns)
{
    char path[96], prog[64];
    if (namelen >= sizeof prog) {
        sk_printf("FAIL %.*s: name too long\n", (int)namelen, name);
        return 0;
    }
    memcpy(prog, name, namelen);
    prog[namelen] = '\0';
    sk_snprintf(path, sizeof path, "bin/%s", prog);
    struct cpio_entry e;
    if (cpio_find(archive, archive_size, path, &e) != 1 || !cpio_is_file(&e)) {
        sk_printf("FAIL %s: not a program of the boot archive\n", prog);
        return 0;
    }
    /* argv: the program's name, then the words of "<prog>.args=" split at commas */
    char key[80], words[128];
    const char *argv[10] = {prog};
    int argc = 1;
    if (system_mode)
        argv[argc++] = "--system";
    sk_snprintf(key, sizeof key, "%s.args", prog);
    const char *extra = arg_value(key);
    if (extra && strlen(extra) < sizeof words) {
        memcpy(words, extra, strlen(extra) + 1);
        for (char *w = words; *w && argc < 10;) {
            argv[argc++] = w;
            while (*w && *w != ',')
                w++;
            if (*w)
                *w++ = '\0';
        }
    }
    struct sk_spawn_args args = {
        .argc = argc,
        .argv = argv,
        .initrd = sk_start_info()->initrd,
        .initrd_rights = SK_RIGHT_READ | SK_RIGHT_MAP,
        .initrd_size = archive_size,
        .hw_access = needs_hw(prog) ? sk_start_info()->hw_access : 0,
        .registry = registry_lane,
        .registry_rights = REGISTRY_CLIENT_RIGHTS,
    };
    struct sk_process p;
    int elf_err = 0;
    sk_error_t err = sk_spawn(e.data, e.size, &args, &p, &elf_err);
    if (err != SK_OK) {
        sk_printf("FAIL %s: spawn failed: %s%s%s\n", prog, sk_error_name(err),
                  elf_err ? ": " : "", elf_err ? elf_strerror(elf_err) : "");
        return 0;
    }
    uint64_t status = 0;
    err = sk_process_wait(&p, timeout_ns, &status);
    if (err == SK_ERR_TIMEOUT) {
        sk_printf("usertests: %s: still running after %lu s, killing it\n", prog,
                  (uint64_t)(timeout_ns / 1000000000u));
        sk_thread_kill(p.thread);
        err = sk_process_wait(&p, 10 * (uint64_t)1000000000, &status);
    }
    char how[64];
    if (err != SK_OK)
        sk_snprintf(how, sizeof how, "lost (%s)", sk_error_name(err));
    else
        sk_exit_describe(status, how, sizeof how);
    int ok = err == SK_OK && status == SK_EXIT_DONE;
    if (system_mode)
        sk_printf("init: %s ended: %s\n", prog, how);
    else if (ok)
        sk_printf("PASS %s\n", prog);
    else
        sk_printf("FAIL %s: %s\n", prog, how);
    sk_process_release(&p);
    return ok;
}

/* Start bin/registry, if the archive has it, serving one end of a new stream. */
static void registry_start(void)
{
    struct cpio_entry e;
    if (cpio_find(archive, archive_size, "bin/registry", &e) != 1 || !cpio_is_file(&e))
        return;
    sk_handle_t l[2];
    sk_error_t err = sk_stream_create(0, 0, l);
    if (err == SK_OK) {
        const char *argv[] = {"registry"};
        struct sk_spawn_args args = {
            .argc = 1,
            .argv = argv,
            .registry = l[1],
            .registry_rights = SK_RIGHT_READ | SK_RIGHT_WRITE,
        };
        int elf_err = 0;
        err = sk_spawn(e.data, e.size, &args, &registry, &elf_err);
        sk_handle_close(l[1]);
        if (err == SK_OK)
            registry_lane = l[0];
        else
            sk_handle_close(l[0]);
    }
    if (err != SK_OK)
        sk_printf("init: registry: cannot start it: %s\n", sk_error_name(err));
}

/* End the registry: shut its lane down (it exits when the lane ends). Returns 1 if it ended
   cleanly (or never ran). */
static int registry_stop(void)
{
    if (!registry_lane)
        return 1;
    sk_lane_shutdown(registry_lane);
    sk_handle_close(registry_lane);
    registry_lane = 0;
    uint64_t status = 0;
    sk_error_t err = sk_process_wait(&registry, 10 * (uint64_t)1000000000, &status);
    if (err == SK_ERR_TIMEOUT) {
        sk_printf("init: registry: still running after its lane was shut down, killing it\n");
        sk_thread_kill(registry.thread);
        err = sk_process_wait(&registry, 10 * (uint64_t)1000000000, &status);
    }
    char how[64];
    if (err != SK_OK)
        sk_snprintf(how, sizeof how, "lost (%s)", sk_error_name(err));
    else
        sk_exit_describe(status, how, sizeof how);
    sk_process_release(&registry);
    int ok = err == SK_OK && status == SK_EXIT_DONE;
    if (!ok)
        sk_printf("init: registry: %s\n", how);
    return ok;
}

/*
 * Call fn(name, length, arg) for each program of the list: every bin/test-* of the archive
 * (in archive order) for "all", else each comma-separated name. Returns 0, or -1 if the
 * archive is malformed.
 */
static int for_each_program(const char *list, void (*fn)(const char *, size_t, uint64_t),
                            uint64_t arg)
{
    if (strcmp(list, "all") == 0) {
        size_t off = 0;
        struct cpio_entry e;
        int rc;
        while ((rc = cpio_next(archive, archive_size, &off, &e)) == 1)
            if (e.namelen > 9 && strncmp(e.name, "bin/test-", 9) == 0 && cpio_is_file(&e))
                fn(e.name + 4, e.namelen - 4, arg);
        return rc < 0 ? -1 : 0;
    }
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n)
            fn(p, n, arg);
        p += n + (comma ? 1 : 0);
    }
    return 0;
}

static int npass, nfail;

static void plan_one(const char *name, size_t n, uint64_t unused)
{
    (void)unused;
    sk_printf("PLAN %.*s\n", (int)n, name);
}

static void run_counted(const char *name, size_t n, uint64_t timeout_ns)
{
    if (run_one(name, n, timeout_ns))
        npass++;
    else
        nfail++;
}

/* Run the programs of usertests=; returns the number that failed. */
static int run_tests(const struct sk_start_info *si)
{
    const char *list = arg_value("usertests");
    if (!list) {
        /* kconsole: the developer's kernel console has the serial port; qemu_exit: a test
           boot with no programs (self tests only). No system then. */
        for (int i = 1; i < sk_argc(); i++)
            if (strcmp(sk_argv(i), "kconsole") == 0 || strcmp(sk_argv(i), "qemu_exit") == 0) {
                sk_printf("init: %s: the system is not started\n", sk_argv(i));
                return 0;
            }
        system_mode = 1;
    }
    if (!si || !si->initrd) {
        sk_printf("init: no boot archive\n");
        return 1;
    }
    uint64_t addr;
    archive_size = si->initrd_size;
    sk_error_t err = sk_space_map(SK_THIS_SPACE, si->initrd, 0, 0, sk_page_round_up(archive_size),
                                  SK_PROT_READ, &addr);
    if (err != SK_OK) {
        sk_printf("init: cannot map the boot archive: %s\n", sk_error_name(err));
        return 1;
    }
    archive = (const uint8_t *)addr;
    uint64_t timeout_ns = parse_seconds(arg_value("usertests.timeout"), 600) * 1000000000u;
    registry_start();
    if (system_mode) {
        /* the system: the POSIX server runs /sbin/init and owns the machine's power */
        int ok = run_one("posix", 5, SK_TIMEOUT_NEVER);
        registry_stop();
        return !ok;
    }

    /* the plan first, so that the runner knows what must report even if init dies */
    if (for_each_program(list, plan_one, 0) < 0) {
        sk_printf("usertests: the boot archive is malformed\n");
        nfail++;
    }
    for_each_program(list, run_counted, timeout_ns);
    if (!registry_stop())
        nfail++;
    sk_printf("usertests: %d passed, %d failed\n", npass, nfail);
    return nfail;
}

int main(const struct sk_start_info *si)
{
    int failed = run_tests(si);
    const char *end = arg_value("init.end");
    if (!end)
        return failed;
    uint32_t action = strcmp(end, "poweroff") == 0 ? SK_POWER_OFF
                      : strcmp(end, "reset") == 0  ? SK_POWER_RESET
                                                   : 0;
    if (!action) {
        sk_printf("init: unknown init.end=%s (poweroff, reset)\n", end);
        return failed + 1;
    }
    sk_printf("init: %s\n", action == SK_POWER_OFF ? "powering off" : "resetting");
    sk_error_t err = sk_platform_power(si ? si->hw_access : 0, action);
    sk_printf("init: platform_power: %s\n", sk_error_name(err)); /* it returned: it failed */
    return failed + 1;
}
