/*
 * test-irq: IRQ objects and I/O port grants against a real interrupting PCI
 * device, QEMU's "edu" (1234:11e8; its registers: QEMU docs/specs/edu.txt).
 * The test machine (tools/skoll_qemu.py) is a q35 with -device edu; the
 * test finds the device through ECAM at the q35 address, uses its INTx line
 * (level GSI, found by probing PIRQ GSIs 16-23) for ack/nack/timeout/storm
 * and its MSI capability for MSI. Without ECAM or edu (another machine, e.g.
 * the pc case) the device cases are reported as SKIP. Queue access is raw
 * (include/skoll/queue.h) through the small helper below. init hands this
 * program the hardware handle. An interrupt that must come is waited for with
 * no time limit (one that never comes is caught by the runner's timeout).
 */
#include <sk/test.h>

#define MS ((uint64_t)1000000)
#define FOREVER SK_TIMEOUT_NEVER
#define ANSWER_NS (500 * MS) /* a level interrupt nobody answers is rejected then (docs/drivers.md) */
#define ECAM_Q35 ((uint64_t)0xb0000000)
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_ID 0x00
#define EDU_LIVE 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64

static sk_handle_t hw;

/* ---- raw queue access ---- */

static sk_handle_t q;
static struct sk_queue_header *qh;
static struct sk_sqe *sq;
static struct sk_cqe *cq;
#define STASH 32
static struct sk_cqe stash[STASH]; /* completions read but not yet asked for */
static int nstash;

static int queue_setup(void)
{
    struct sk_queue_params p = {.sq_entries = 32, .cq_entries = 32};
    if (sk_queue_create(&p, &q) != SK_OK)
        return 0;
    uint64_t addr;
    if (sk_space_map(SK_THIS_SPACE, p.memory, 0, 0, p.size, SK_PROT_READ | SK_PROT_WRITE, &addr) != SK_OK)
        return 0;
    qh = (struct sk_queue_header *)addr;
    sq = (struct sk_sqe *)(addr + qh->sq_offset);
    cq = (struct sk_cqe *)(addr + qh->cq_offset);
    return 1;
}

static void submit(uint32_t opcode, uint64_t tag, uint64_t a0, uint64_t a1)
{
    uint32_t t = qh->sq_tail;
    struct sk_sqe *e = &sq[t & (qh->sq_entries - 1)];
    *e = (struct sk_sqe){.opcode = opcode, .tag = tag, .args = {a0, a1}};
    __atomic_store_n(&qh->sq_tail, t + 1, __ATOMIC_RELEASE);
    sk_queue_drive(q, 0, 0, NULL);
}

/* Move every unread CQE into the stash. */
static void drain(void)
{
    uint32_t head = qh->cq_head, tail = __atomic_load_n(&qh->cq_tail, __ATOMIC_ACQUIRE);
    while (head != tail && nstash < STASH)
        stash[nstash++] = cq[head++ & (qh->cq_entries - 1)];
    __atomic_store_n(&qh->cq_head, head, __ATOMIC_RELEASE);
}

/* The end of a wait of timeout_ns from now (FOREVER: none). */
static uint64_t wait_end(uint64_t timeout_ns)
{
    uint64_t now;
    sk_clock_get(&now);
    return timeout_ns == FOREVER || now + timeout_ns < now ? FOREVER : now + timeout_ns;
}

/* Drive the queue until a completion comes or end passes; 0 once it has passed. */
static int drive_until(uint64_t end)
{
    uint64_t now = 0;
    if (end != FOREVER) {
        sk_clock_get(&now);
        if (now >= end)
            return 0;
    }
    sk_queue_drive(q, 1, end == FOREVER ? FOREVER : end - now, NULL);
    return 1;
}

/* Wait up to timeout_ns (FOREVER: for ever) for the completion of tag; 1 and *out if it came. */
static int wait_tag(uint64_t tag, uint64_t timeout_ns, struct sk_cqe *out)
{
    uint64_t end = wait_end(timeout_ns);
    for (;;) {
        drain();
        for (int i = 0; i < nstash; i++) {
            if (stash[i].tag == tag) {
                *out = stash[i];
                stash[i] = stash[--nstash];
                return 1;
            }
        }
        if (!drive_until(end))
            return 0;
    }
}

/* Wait for the completion of any of the n tags from tag0; returns its index, or -1. */
static int wait_any(uint64_t tag0, unsigned n, uint64_t timeout_ns, struct sk_cqe *out)
{
    uint64_t end = wait_end(timeout_ns);
    for (;;) {
        drain();
        for (int i = 0; i < nstash; i++) {
            if (stash[i].tag >= tag0 && stash[i].tag < tag0 + n) {
                *out = stash[i];
                stash[i] = stash[--nstash];
                return (int)(out->tag - tag0);
            }
        }
        if (!drive_until(end))
            return -1;
    }
}

/* Submit irq_await(irq, seq) with tag and wait for it. Returns the error; *seq_out the value. */
static sk_error_t await_irq(sk_handle_t irq, uint64_t seq, uint64_t tag, uint64_t timeout_ns,
                            uint64_t *seq_out, uint64_t *storms)
{
    struct sk_cqe c;
    submit(SK_OP_irq_await, tag, (uint64_t)irq, seq);
    if (!wait_tag(tag, timeout_ns, &c))
        return SK_ERR_TIMEOUT;
    if (seq_out)
        *seq_out = c.value;
    if (storms)
        *storms = c.value2;
    return (sk_error_t)c.error;
}

static void cancel_tag(uint64_t tag)
{
    submit(SK_OP_cancel, tag ^ 0x8000000000000000ull, tag, 0);
}

/* ---- PCI (ECAM) and the edu device ---- */

static volatile uint8_t *cfg;        /* the edu function's 4 KiB of configuration space */
static volatile uint32_t *edu;       /* BAR0 registers */
static uint32_t intx_gsi;            /* the GSI the edu's INTx arrives on (0: not found) */
static sk_handle_t intx;             /* IRQ object on it */
static uint64_t intx_seq;            /* the last sequence number seen on intx */
static uint64_t tags = 1;
static int ecam_present;             /* a host bridge answered at the q35 ECAM address */

static uint32_t cfg32(unsigned off) { return *(volatile uint32_t *)(cfg + off); }
static void cfg_w32(unsigned off, uint32_t v) { *(volatile uint32_t *)(cfg + off) = v; }
static uint16_t cfg16(unsigned off) { return (uint16_t)(cfg32(off & ~3u) >> (8 * (off & 2))); }
static void cfg_w16(unsigned off, uint16_t v)
{
    uint32_t w = cfg32(off & ~3u), sh = 8 * (off & 2);
    cfg_w32(off & ~3u, (w & ~(0xffffu << sh)) | (uint32_t)v << sh);
}

static void edu_raise(uint32_t bits) { edu[EDU_IRQ_RAISE / 4] = bits; }
static void edu_clear(uint32_t bits) { edu[EDU_IRQ_ACK / 4] = bits; }
static uint32_t edu_status(void) { return edu[EDU_IRQ_STATUS / 4]; }

static sk_handle_t map_phys(uint64_t phys, uint64_t size, volatile void **out)
{
    sk_handle_t m;
    uint64_t addr;
    if (sk_memory_create_physical(hw, phys, size, SK_CACHE_UNCACHED, &m) != SK_OK)
        return 0;
    if (sk_space_map(SK_THIS_SPACE, m, 0, 0, size, SK_PROT_READ | SK_PROT_WRITE, &addr) != SK_OK)
        return 0;
    *out = (volatile void *)addr;
    return m;
}

static void setup(void);

static void find_edu(void)
{
    volatile void *ecam;
    if (!hw || !map_phys(ECAM_Q35, 1u << 20, &ecam)) {
        sk_printf("test-irq: no ECAM at 0x%lx (not a q35?): device cases skipped\n", ECAM_Q35);
        return;
    }
    volatile uint8_t *bus0 = ecam;
    uint32_t host_vendor = *(volatile uint32_t *)bus0 & 0xffff; /* 00:00.0, the host bridge */
    if (host_vendor == 0xffff || host_vendor == 0) {
        sk_printf("test-irq: nothing answers at ECAM 0x%lx (not a q35?): device cases skipped\n",
                  ECAM_Q35);
        return;
    }
    ecam_present = 1;
    for (unsigned fn = 0; fn < 256 && !cfg; fn++) {
        uint32_t id = *(volatile uint32_t *)(bus0 + fn * 4096);
        if ((id & 0xffff) == EDU_VENDOR && id >> 16 == EDU_DEVICE)
            cfg = bus0 + fn * 4096;
    }
    if (!cfg) {
        sk_printf("test-irq: no edu device on bus 0 (run with -device edu): device cases skipped\n");
        return;
    }
    uint32_t bar = cfg32(0x10);
    SK_ASSERT((bar & 1) == 0);      /* a memory BAR */
    SK_ASSERT((bar & ~0xfu) != 0);  /* placed by the firmware */
    cfg_w16(0x04, (uint16_t)((cfg16(0x04) | 0x6) & ~0x400)); /* memory, bus master, INTx on */
    SK_ASSERT(map_phys(bar & ~0xfffu, 4096, (volatile void **)&edu));
    SK_EXPECT_EQ(edu[EDU_ID / 4] & 0xff, 0xed);
    edu[EDU_LIVE / 4] = 0x12345678;
    SK_EXPECT_EQ(edu[EDU_LIVE / 4], ~0x12345678u);
    edu_clear(~0u);
}

SK_TEST(bad_arguments)
{
    setup();
    SK_ASSERT(hw);
    sk_handle_t h = 0, weak_hw, mem;
    SK_ASSERT_OK(sk_memory_create(4096, 0, &mem));
    SK_ASSERT_OK(sk_handle_dup(hw, SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE, &weak_hw));
    struct sk_irq_msi msi = {0}, bad_msi = {.reserved = 1};
    SK_EXPECT_ERR(sk_irq_create(0x7fff1234, 5, SK_IRQ_ISA, &h), SK_ERR_BAD_HANDLE);
    SK_EXPECT_ERR(sk_irq_create(mem, 5, SK_IRQ_ISA, &h), SK_ERR_WRONG_TYPE);
    SK_EXPECT_ERR(sk_irq_create(weak_hw, 5, SK_IRQ_ISA, &h), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_irq_create(hw, 5, 3, &h), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_irq_create(hw, 5, 1u << 20, &h), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_irq_create(hw, 5, SK_IRQ_ISA | SK_IRQ_LEVEL, &h), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_irq_create(hw, 16, SK_IRQ_ISA, &h), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_irq_create(hw, ~0ull, SK_IRQ_ISA, &h), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_irq_create(hw, 1000, SK_IRQ_GSI, &h), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_irq_create(hw, 1ull << 40, SK_IRQ_GSI, &h), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_irq_create(hw, 0, SK_IRQ_ISA, &h), SK_ERR_BUSY);   /* the PIT */
    SK_EXPECT_ERR(sk_irq_create(hw, 0, SK_IRQ_MSI, &h), SK_ERR_FAULT);
    SK_EXPECT_ERR(sk_irq_create(hw, 0xffff800000000000ull, SK_IRQ_MSI, &h), SK_ERR_FAULT);
    SK_EXPECT_ERR(sk_irq_create(hw, (uint64_t)&bad_msi, SK_IRQ_MSI, &h), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_irq_create(hw, (uint64_t)&msi, SK_IRQ_MSI | SK_IRQ_LEVEL, &h), SK_ERR_INVALID);
    /* a read-only MSI struct: the kernel cannot write the answer, nothing is left behind */
    void *ro;
    SK_ASSERT_OK(sk_mem_map_anon(4096, SK_PROT_READ | SK_PROT_WRITE, &ro, NULL));
    SK_ASSERT_OK(sk_space_protect(SK_THIS_SPACE, (uint64_t)ro, 4096, SK_PROT_READ));
    SK_EXPECT_ERR(sk_irq_create(hw, (uint64_t)ro, SK_IRQ_MSI, &h), SK_ERR_FAULT);
    SK_EXPECT_ERR(sk_irq_create(hw, (uint64_t)ro + 4090, SK_IRQ_MSI, &h), SK_ERR_FAULT); /* crosses the end */
    sk_mem_unmap(ro, 4096);

    /* an unshared ISA line to try the other calls on (ISA 5: nothing on a q35 uses it) */
    sk_handle_t irq, irq_wait_only, irq_signal_only;
    SK_ASSERT_OK(sk_irq_create(hw, 5, SK_IRQ_ISA, &irq));
    uint64_t info;
    SK_ASSERT_OK(sk_handle_info(irq, &info));
    SK_EXPECT_EQ(SK_INFO_TYPE(info), SK_OBJ_IRQ);
    SK_ASSERT_OK(sk_handle_dup(irq, SK_RIGHT_WAIT, &irq_wait_only));
    SK_ASSERT_OK(sk_handle_dup(irq, SK_RIGHT_SIGNAL, &irq_signal_only));
    SK_EXPECT_ERR(sk_irq_ack(0x7fff1234, 1), SK_ERR_BAD_HANDLE);
    SK_EXPECT_ERR(sk_irq_ack(mem, 1), SK_ERR_WRONG_TYPE);
    SK_EXPECT_ERR(sk_irq_ack(irq_wait_only, 1), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_irq_nack(irq_wait_only, 1), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_irq_ack(irq, 0), SK_ERR_INVALID);  /* no interrupt yet */
    SK_EXPECT_ERR(sk_irq_ack(irq, 1), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_irq_nack(irq, ~0ull), SK_ERR_INVALID);
    SK_EXPECT_EQ(await_irq(0x7fff1234, 0, tags++, FOREVER, NULL, NULL), SK_ERR_BAD_HANDLE);
    SK_EXPECT_EQ(await_irq(mem, 0, tags++, FOREVER, NULL, NULL), SK_ERR_WRONG_TYPE);
    SK_EXPECT_EQ(await_irq(irq_signal_only, 0, tags++, FOREVER, NULL, NULL), SK_ERR_NO_RIGHTS);

    SK_EXPECT_ERR(sk_ioport_grant(0x7fff1234, 0x70, 2), SK_ERR_BAD_HANDLE);
    SK_EXPECT_ERR(sk_ioport_grant(mem, 0x70, 2), SK_ERR_WRONG_TYPE);
    SK_EXPECT_ERR(sk_ioport_grant(weak_hw, 0x70, 2), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0x70, 0), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0x10000, 1), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0xffff, 2), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0, 0x10001), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_ioport_grant(hw, ~0ull, 2), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_ioport_grant(hw, 2, ~0ull), SK_ERR_OUT_OF_RANGE);
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0xf4, 1), SK_ERR_BUSY);    /* debug exit */
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0xcfc, 4), SK_ERR_BUSY);   /* PCI configuration */
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0x20, 2), SK_ERR_BUSY);    /* PIC */
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0x40, 4), SK_ERR_BUSY);    /* PIT */
    SK_EXPECT_ERR(sk_ioport_grant(hw, 0, 0x10000), SK_ERR_BUSY);
    sk_handle_close(irq_wait_only);
    sk_handle_close(irq_signal_only);
    sk_handle_close(irq);
    sk_handle_close(weak_hw);
    sk_handle_close(mem);
}

/* Find the GSI of the edu's INTx: a level IRQ object on each PIRQ GSI, one interrupt. */
static void find_intx(void)
{
    if (!edu)
        return;
    sk_handle_t probe[8];
    uint64_t tag0 = tags;
    for (unsigned i = 0; i < 8; i++) {
        SK_ASSERT_OK(sk_irq_create(hw, 16 + i, SK_IRQ_GSI | SK_IRQ_LEVEL, &probe[i]));
        submit(SK_OP_irq_await, tag0 + i, (uint64_t)probe[i], 0);
    }
    tags += 8;
    edu_raise(1);
    /* the first probe to complete is on the edu's line (waiting on each in turn would
       leave the line asserted for seconds, re-raised every time the kernel's answer
       timeout gives it back) */
    struct sk_cqe c = {0};
    int found = wait_any(tag0, 8, FOREVER, &c);
    SK_ASSERT(found >= 0 && c.error == SK_OK);
    SK_EXPECT_EQ(c.value, 1);
    SK_EXPECT_EQ(edu_status(), 1);
    intx_gsi = 16 + (unsigned)found;
    intx = probe[found];
    intx_seq = c.value;
    edu_clear(1);
    SK_EXPECT_EQ(edu_status(), 0);
    SK_EXPECT_OK(sk_irq_ack(intx, intx_seq));
    SK_EXPECT_OK(sk_irq_ack(intx, intx_seq)); /* a repeated answer changes nothing */
    /* the other probes were never interrupted: cancel their awaits */
    for (unsigned i = 0; i < 8; i++) {
        if ((int)i == found)
            continue;
        cancel_tag(tag0 + i);
        SK_EXPECT(wait_tag(tag0 + i, FOREVER, &c));
        SK_EXPECT_EQ(c.error, SK_ERR_CANCELLED);
        sk_handle_close(probe[i]);
    }
    sk_printf("test-irq: edu INTx on GSI %u\n", intx_gsi);
}

/*
 * What every case needs, done once by whichever case runs first (the harness
 * does not promise an order): the hardware handle, a queue, the edu device and
 * its INTx line.
 */
static void setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    const struct sk_start_info *si = sk_start_info();
    SK_ASSERT(si && si->hw_access);
    hw = si->hw_access;
    SK_ASSERT(queue_setup());
    find_edu();
    find_intx();
}

SK_TEST(hw_handle)
{
    setup();
    SK_ASSERT(hw);
    uint64_t info;
    SK_ASSERT_OK(sk_handle_info(hw, &info));
    SK_EXPECT_EQ(SK_INFO_TYPE(info), SK_OBJ_HW_ACCESS);
    SK_EXPECT(SK_INFO_RIGHTS(info) & SK_RIGHT_MANAGE);
}

/* On a q35 (ECAM present) the test machine's edu and its line must be found. */
SK_TEST(edu_found)
{
    setup();
    if (!ecam_present)
        SK_SKIP("no ECAM at 0x%lx: not a q35", ECAM_Q35);
    SK_EXPECT(edu != NULL);
    SK_EXPECT(intx != 0);
}

/* Raise, await, clear the device, ack: several rounds on the level line. */
SK_TEST(intx_ack)
{
    setup();
    if (!intx)
        SK_SKIP("no edu INTx line (not a q35 with -device edu)");
    for (uint32_t round = 0; round < 5; round++) {
        uint32_t bit = 1u << (round + 1);
        edu_raise(bit);
        uint64_t seq = 0;
        SK_ASSERT_EQ(await_irq(intx, intx_seq, tags++, FOREVER, &seq, NULL), SK_OK);
        SK_EXPECT_EQ(seq, intx_seq + 1);
        SK_EXPECT_EQ(edu_status(), bit);
        edu_clear(bit);
        SK_EXPECT_EQ(edu_status(), 0);
        intx_seq = seq;
        SK_EXPECT_OK(sk_irq_ack(intx, seq));
    }
    /* an await for a sequence already passed completes at once */
    uint64_t seq = 0;
    SK_EXPECT_EQ(await_irq(intx, intx_seq - 1, tags++, FOREVER, &seq, NULL), SK_OK);
    SK_EXPECT_EQ(seq, intx_seq);
}

/* Two sinks share the line: one says "not mine", the other "mine"; the line comes back. */
SK_TEST(shared_nack)
{
    setup();
    if (!intx)
        SK_SKIP("no edu INTx line (not a q35 with -device edu)");
    sk_handle_t other, edge;
    SK_EXPECT_ERR(sk_irq_create(hw, intx_gsi, SK_IRQ_GSI, &edge), SK_ERR_BUSY); /* other mode */
    SK_ASSERT_OK(sk_irq_create(hw, intx_gsi, SK_IRQ_GSI | SK_IRQ_LEVEL, &other));
    for (int round = 0; round < 3; round++) {
        uint64_t t1 = tags++, t2 = tags++;
        struct sk_cqe c1, c2;
        submit(SK_OP_irq_await, t1, (uint64_t)intx, intx_seq);
        submit(SK_OP_irq_await, t2, (uint64_t)other, (uint64_t)round);
        edu_raise(0x100);
        SK_ASSERT(wait_tag(t1, FOREVER, &c1) && wait_tag(t2, FOREVER, &c2));
        SK_EXPECT_EQ(c1.error, SK_OK);
        SK_EXPECT_EQ(c2.error, SK_OK);
        SK_EXPECT_EQ(c1.value, intx_seq + 1);
        SK_EXPECT_EQ(c2.value, (uint64_t)round + 1);
        intx_seq = c1.value;
        SK_EXPECT_OK(sk_irq_nack(other, c2.value));
        edu_clear(0x100);
        SK_EXPECT_OK(sk_irq_ack(intx, intx_seq));
    }
    sk_handle_close(other);
}

/* Nobody answers: after the answer timeout the kernel unmasks, and the still-raised line fires again. */
SK_TEST(answer_timeout)
{
    setup();
    if (!intx)
        SK_SKIP("no edu INTx line (not a q35 with -device edu)");
    /* t0 is before the interrupt, so the line comes back ANSWER_NS after it at the earliest */
    uint64_t seq = 0, t0 = 0, t1 = 0;
    sk_clock_get(&t0);
    edu_raise(0x200);
    SK_ASSERT_EQ(await_irq(intx, intx_seq, tags++, FOREVER, &seq, NULL), SK_OK);
    SK_ASSERT_EQ(await_irq(intx, seq, tags++, FOREVER, &seq, NULL), SK_OK);
    sk_clock_get(&t1);
    SK_EXPECT(t1 - t0 >= ANSWER_NS); /* never early: the line stayed masked meanwhile */
    edu_clear(0x200);
    SK_EXPECT_OK(sk_irq_ack(intx, seq));
    intx_seq = seq;
    sk_printf("test-irq: unanswered interrupt: line back after %lu ms\n", (t1 - t0) / MS);
}

static volatile uint64_t helper_loops, helper_stop;
static int busy_helper(void *arg)
{
    (void)arg;
    while (!sk_atomic_load(&helper_stop)) {
        sk_atomic_add(&helper_loops, 1);
        sk_nop();
    }
    return 0;
}

/*
 * A storm: the device keeps its level line raised and the driver says "not mine" every time.
 * It runs for at least 1.5 s and until the kernel has masked the line for a storm and the
 * other thread has run a while (however slowly the host runs the guest).
 */
SK_TEST(storm)
{
    setup();
    if (!intx)
        SK_SKIP("no edu INTx line (not a q35 with -device edu)");
    struct sk_thread *helper;
    SK_ASSERT_OK(sk_thread_spawn(busy_helper, NULL, 0, &helper));
    uint64_t start, now, interrupts = 0, storms = 0, seq = intx_seq, loops = 0;
    edu_raise(0x400);
    sk_clock_get(&start);
    uint64_t loops0 = sk_atomic_load(&helper_loops);
    do {
        uint64_t t = tags++;
        struct sk_cqe c;
        submit(SK_OP_irq_await, t, (uint64_t)intx, seq);
        if (!wait_tag(t, 200 * MS, &c)) { /* masked for a back-off meanwhile */
            cancel_tag(t);
            struct sk_cqe cc;
            SK_ASSERT(wait_tag(t ^ 0x8000000000000000ull, FOREVER, &cc)); /* the cancel's */
            SK_ASSERT(wait_tag(t, FOREVER, &c)); /* the await's: cancelled, or just in */
        }
        if (c.error == SK_OK) {
            interrupts += c.value - seq;
            seq = c.value;
            storms = c.value2;
            SK_EXPECT_OK(sk_irq_nack(intx, seq));
        } else {
            SK_EXPECT_EQ(c.error, SK_ERR_CANCELLED);
        }
        sk_clock_get(&now);
        loops = sk_atomic_load(&helper_loops) - loops0;
    } while (now - start < 1500 * MS || storms < 1 || loops <= 1000);
    edu_clear(0x400);
    sk_printf("test-irq: storm: %lu interrupts in %lu ms, line masked %lu times, helper ran %lu loops\n",
              interrupts, (now - start) / MS, storms, loops);
    SK_EXPECT(interrupts >= 8);       /* the first 8 before the kernel gave up */
    SK_EXPECT(interrupts < 200);      /* and far fewer than an unmasked storm */
    sk_atomic_store(&helper_stop, 1);
    sk_thread_join(helper);
    /* after the back-off the line works again, and an ack resets the back-off */
    drain();
    nstash = 0;
    edu_raise(0x800);
    uint64_t s = 0;
    SK_ASSERT_EQ(await_irq(intx, seq, tags++, FOREVER, &s, NULL), SK_OK);
    SK_EXPECT_EQ(edu_status(), 0x800);
    edu_clear(0x800);
    SK_EXPECT_OK(sk_irq_ack(intx, s));
    intx_seq = s;
    edu_raise(0x1000);
    SK_ASSERT_EQ(await_irq(intx, s, tags++, FOREVER, &s, NULL), SK_OK);
    edu_clear(0x1000);
    SK_EXPECT_OK(sk_irq_ack(intx, s));
    intx_seq = s;
}

/* Cancel a pending await; close an IRQ handle under a pending await. */
SK_TEST(cancel)
{
    setup();
    SK_ASSERT(hw);
    sk_handle_t irq;
    SK_ASSERT_OK(sk_irq_create(hw, 5, SK_IRQ_ISA, &irq));
    struct sk_cqe c;
    uint64_t t = tags++;
    submit(SK_OP_irq_await, t, (uint64_t)irq, 0);
    SK_EXPECT(!wait_tag(t, 20 * MS, &c)); /* (nothing raises ISA 5) */
    cancel_tag(t);
    SK_ASSERT(wait_tag(t, FOREVER, &c));
    SK_EXPECT_EQ(c.error, SK_ERR_CANCELLED);
    t = tags++;
    submit(SK_OP_irq_await, t, (uint64_t)irq, 1000);
    SK_EXPECT_OK(sk_handle_close(irq));
    SK_ASSERT(wait_tag(t, FOREVER, &c));
    SK_EXPECT_EQ(c.error, SK_ERR_DEAD);
}

/* MSI: the kernel picks the vector, the test programs the edu's MSI capability. */
SK_TEST(msi)
{
    setup();
    if (!edu)
        SK_SKIP("no edu device (not a q35 with -device edu)");
    unsigned cap = cfg[0x34] & 0xfc;
    while (cap && cfg[cap] != 0x05)
        cap = cfg[cap + 1] & 0xfc;
    SK_ASSERT(cap);
    struct sk_irq_msi msi = {0};
    sk_handle_t irq;
    SK_ASSERT_OK(sk_irq_create(hw, (uint64_t)&msi, SK_IRQ_MSI, &irq));
    SK_EXPECT_EQ(msi.address & 0xfff00000ull, 0xfee00000ull);
    SK_EXPECT(msi.data >= 32 && msi.data < 256);
    uint16_t ctl = cfg16(cap + 2);
    cfg_w32(cap + 4, (uint32_t)msi.address);
    if (ctl & 0x80) { /* 64-bit address */
        cfg_w32(cap + 8, (uint32_t)(msi.address >> 32));
        cfg_w16(cap + 12, (uint16_t)msi.data);
    } else {
        cfg_w16(cap + 8, (uint16_t)msi.data);
    }
    cfg_w16(cap + 2, (uint16_t)((ctl & ~0x70u) | 1)); /* one vector, enabled */
    cfg_w16(0x04, cfg16(0x04) | 0x400);               /* INTx off */
    uint64_t seq = 0;
    for (uint32_t round = 0; round < 4; round++) {
        edu_raise(1);
        uint64_t s = 0;
        SK_ASSERT_EQ(await_irq(irq, seq, tags++, FOREVER, &s, NULL), SK_OK);
        SK_EXPECT_EQ(s, seq + 1);
        edu_clear(1);
        SK_EXPECT_OK(sk_irq_ack(irq, s));
        seq = s;
    }
    cfg_w16(cap + 2, ctl & ~1u);
    cfg_w16(0x04, cfg16(0x04) & ~0x400);
    sk_handle_close(irq);
    sk_printf("test-irq: MSI address 0x%lx data 0x%x: 4 interrupts\n", msi.address, msi.data);
}

/* ---- I/O ports ---- */

static uint8_t port_in(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static void port_out(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static int read_rtc_seconds(void *arg)
{
    (void)arg;
    port_out(0x70, 0x00); /* CMOS index 0: seconds (NMI stays enabled) */
    return port_in(0x71);
}

static int read_port_80(void *arg)
{
    (void)arg;
    return port_in(0x80);
}

/* Without a grant a port access faults (#GP); with one it works, for every thread of the process. */
SK_TEST(ioports)
{
    setup();
    SK_ASSERT(hw);
    struct sk_thread *t;
    SK_ASSERT_OK(sk_thread_spawn(read_rtc_seconds, NULL, 0, &t));
    uint64_t st = sk_thread_join(t);
    SK_EXPECT(st & SK_EXIT_FAULT);
    SK_EXPECT_EQ((st >> 32) & 0xff, 13); /* #GP */

    SK_ASSERT_OK(sk_ioport_grant(hw, 0x70, 2));
    uint8_t s = (uint8_t)read_rtc_seconds(NULL); /* this thread: at once */
    SK_EXPECT((s & 0x0f) <= 9 && s < 0x60);      /* BCD seconds (or binary < 60) */
    SK_ASSERT_OK(sk_thread_spawn(read_rtc_seconds, NULL, 0, &t)); /* the universe's other threads */
    st = sk_thread_join(t);
    SK_EXPECT(!(st & SK_EXIT_FAULT));
    /* a port next to the grant is still refused */
    SK_ASSERT_OK(sk_thread_spawn(read_port_80, NULL, 0, &t));
    st = sk_thread_join(t);
    SK_EXPECT(st & SK_EXIT_FAULT);
    SK_EXPECT_OK(sk_ioport_grant(hw, 0x70, 2)); /* granting twice is harmless */
    sk_printf("test-irq: RTC seconds 0x%x through granted ports\n", s);
}

/*
 * COM1 is user space's unless the kernel console reads it (kconsole, noinit): its ports and ISA
 * IRQ 4 can be granted, and the UART's transmitter-empty interrupt comes through the IRQ object.
 * Only IER is changed (docs/drivers.md: a driver leaves the line settings to the kernel, which
 * keeps writing its lines meanwhile).
 */
SK_TEST(com1_for_user_space)
{
    setup();
    SK_ASSERT(hw);
    sk_handle_t irq;
    sk_error_t e = sk_ioport_grant(hw, 0x3f8, 8);
    if (e == SK_ERR_BUSY) {
        SK_EXPECT_ERR(sk_irq_create(hw, 4, SK_IRQ_ISA, &irq), SK_ERR_BUSY);
        SK_EXPECT_ERR(sk_ioport_grant(hw, 0x3f0, 0x10), SK_ERR_BUSY);
        SK_SKIP("the kernel console owns COM1 (kconsole or noinit)");
    }
    SK_ASSERT_OK(e);
    SK_ASSERT_OK(sk_irq_create(hw, 4, SK_IRQ_ISA, &irq));
    SK_EXPECT_EQ(port_in(0x3fb), 0x03); /* LCR: 8N1, as the kernel set it */
    port_out(0x3f9, 0x02);              /* IER: transmitter holding register empty */
    uint64_t seq = 0;
    SK_EXPECT_OK(await_irq(irq, 0, tags++, FOREVER, &seq, NULL));
    SK_EXPECT(seq >= 1);
    port_out(0x3f9, 0x00);
    (void)port_in(0x3fa); /* IIR: reading it ends a transmitter-empty interrupt */
    sk_handle_close(irq);
    sk_printf("test-irq: COM1 transmitter-empty interrupt %lu through ISA IRQ 4\n", seq);
}

SK_TEST_MAIN()
