/*
 * Thread objects: creation (kernel and user), start, exit, kill, fault death
 * and reaping. Scheduling itself is kernel/core/sched.c.
 *
 * References: the creator gets one; each handle holds one; a started thread
 * holds one on itself until it has been switched out for the last time
 * (thread_reap). The thread's universe and space references are dropped at
 * reap, after its address space can no longer be loaded on any CPU; the
 * universe counts its started threads (universe_thread_starts/_ends), and the
 * last one reaped ends it.
 */
#include <k/hot.h>
#include <k/sched.h>
#include <k/percpu.h>
#include <k/heap.h>
#include <k/log.h>
#include <k/panic.h>
#include <k/futex.h>
#include <k/universe.h>
#include <k/uspace.h>
#include <k/ipc.h>
#include <k/smp.h>
#include <arch/idt.h>
#include <arch/cpu.h>
#include <base/string.h>
#include <base/fmt.h>

static KHOT volatile uint64_t live_threads;
static volatile uint64_t next_id = 1;

static void thread_destroy(struct kobject *o)
{
    struct thread *t = (struct thread *)o;
    /* a thread that never ran still holds its space and its universe */
    if (t->space)
        kobj_put((struct kobject *)t->space);
    if (t->universe)
        kobj_put(universe_kobj(t->universe));
    kfree(t->kstack);
    kfree(t); /* (with its FPU area) */
    __atomic_fetch_sub(&live_threads, 1, __ATOMIC_RELAXED);
}

static void thread_last_handle(struct kobject *o)
{
    thread_kill((struct thread *)o);
}

static struct thread *thread_alloc(unsigned prio, const char *name, int user)
{
    /* A user thread's FPU area follows the struct in the same block (64-byte aligned), so
       that a switch, which saves one thread's area and loads the other's, touches no page
       besides the two structs (each page touched after an address-space switch is a TLB
       refill under emulation). */
    struct thread *t = kzalloc(user ? sizeof *t + 63 + fpu_state_size() : sizeof *t);
    if (!t)
        return NULL;
    t->kstack = kmalloc(KSTACK_SIZE);
    if (!t->kstack) {
        kfree(t);
        return NULL;
    }
    if (user) {
        t->fpu = (void *)(((uint64_t)(t + 1) + 63) & ~63ull);
        fpu_init_state(t->fpu);
    }
    kobj_init(&t->obj, SK_OBJ_THREAD, thread_destroy);
    t->obj.last_handle = thread_last_handle;
    t->kstack_top = (uint64_t)t->kstack + KSTACK_SIZE;
    t->state = THREAD_NEW;
    t->prio = prio;
    t->affinity = ~0ull; /* new threads run anywhere; creators do not pass theirs on */
    t->cpu = (int)this_cpu()->id;
    t->futex_bucket = -1;
    t->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    creds_new(t->creds);
    fmt_snprintf(t->name, sizeof t->name, "%s", name);
    __atomic_fetch_add(&live_threads, 1, __ATOMIC_RELAXED);
    return t;
}

struct thread *kthread_create(void (*fn)(void *), void *arg, unsigned prio, const char *name)
{
    if (prio >= SCHED_PRIOS)
        prio = SCHED_PRIOS - 1;
    struct thread *t = thread_alloc(prio, name, 0);
    if (!t)
        return NULL;
    arch_thread_init_kernel(t, fn, arg);
    thread_start(t);
    return t;
}

sk_error_t thread_create_user(struct universe *u, struct vm_space *s, uint64_t entry,
                              uint64_t stack, uint64_t arg, unsigned prio, uint64_t exit_word,
                              struct thread **out)
{
    char name[16];
    uint64_t id = next_id;
    fmt_snprintf(name, sizeof name, "user-%lu", (unsigned long)id);
    struct thread *t = thread_alloc(prio, name, 1);
    if (!t)
        return SK_ERR_NO_MEMORY;
    kobj_get((struct kobject *)s);
    t->space = s;
    kobj_get(universe_kobj(u));
    t->universe = u;
    t->exit_word = exit_word;
    arch_thread_init_user(t, entry, stack, arg);
    *out = t;
    return SK_OK;
}

sk_error_t thread_start(struct thread *t)
{
    static struct spinlock start_lock = SPINLOCK_INIT;
    uint64_t f = spin_lock_irqsave(&start_lock);
    int startable = t->state == THREAD_NEW && !t->kill && !t->started;
    t->started = 1;
    spin_unlock_irqrestore(&start_lock, f);
    if (!startable)
        return SK_ERR_BUSY;
    /* a user thread counts in its universe from now until it is reaped */
    if (t->universe && universe_thread_starts(t->universe) != SK_OK) {
        t->kill = 1;
        return SK_ERR_DEAD;
    }
    kobj_get(&t->obj); /* the running thread's reference to itself, dropped at reap */
    sched_wake(t);
    return SK_OK;
}

struct universe *thread_universe(struct thread *t)
{
    return t->universe;
}

struct vm_space *thread_space(struct thread *t)
{
    return t->space;
}

uint64_t thread_count(void)
{
    return __atomic_load_n(&live_threads, __ATOMIC_RELAXED);
}

void thread_exit(uint64_t status)
{
    struct thread *t = current_thread();
    t->exit_status = status;
    /* observers first: whoever the exit word wakes finds the thread dead */
    observe_thread_exit(t, status);
    if (t->exit_word && t->space) {
        /* the status goes to the thread's own space: we are still running in it */
        uint32_t n;
        if (copy_to_user(t->exit_word, &status, sizeof status) == SK_OK)
            futex_wake_user(t->exit_word, UINT32_MAX, &n);
    }
    if (t->on_exit)
        t->on_exit(t, status);
    irq_disable();
    t->state = THREAD_DEAD;
    sched_yield();
    panic("dead thread %s ran again", t->name);
}

void kthread_exit(int code);
void kthread_exit(int code)
{
    thread_exit(SK_EXIT_DONE | (uint32_t)code);
}

void thread_kill(struct thread *t)
{
    /* a full barrier between the store and the load of the state: a thread stopping for
       an observer sets its state, then looks at kill (kernel/core/observe.c) */
    __atomic_store_n(&t->kill, 1, __ATOMIC_SEQ_CST);
    int state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
    if (state == THREAD_NEW) {
        /* never started: it just never will (thread_start refuses killed threads) */
        if (thread_is_user(t))
            observe_thread_exit(t, SK_EXIT_DONE | SK_EXIT_KILLED);
        return;
    }
    if (state == THREAD_BLOCKED) {
        futex_cancel_wait(t);
        sched_wake(t);
    } else if (state == THREAD_RUNNING && t != current_thread()) {
        /* make it pass through the return-to-user path, where it dies */
        smp_send_ipi((unsigned)t->cpu, VEC_IPI_RESCHED);
    }
}

void thread_reap(struct thread *t)
{
    if (t->space)
        kobj_put((struct kobject *)t->space);
    if (t->universe) {
        universe_thread_ends(t->universe); /* the last one ends the universe */
        kobj_put(universe_kobj(t->universe));
    }
    t->space = NULL;
    t->universe = NULL;
    kobj_put(&t->obj);
}

void thread_user_fault(struct trap_frame *tf)
{
    if (!observe_fault(tf))
        thread_die_from_fault(tf);
}

void thread_die_from_fault(struct trap_frame *tf)
{
    struct thread *t = current_thread();
    extern const char *idt_exception_name(unsigned vector);
    log_warn("thread %s (id %lu) killed: %s (vector %lu, error 0x%lx) at rip 0x%lx", t->name,
             (unsigned long)t->id, idt_exception_name((unsigned)tf->vector), tf->vector, tf->error,
             tf->rip);
    if (tf->vector == 14)
        log_warn("  fault address 0x%lx", read_cr2());
    thread_exit(SK_EXIT_DONE | SK_EXIT_FAULT | (tf->vector & 0xff) << 32);
}
