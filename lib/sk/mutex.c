/*
 * Futex mutex with three states (0 free, 1 held, 2 held and maybe waited on):
 * an uncontended lock and unlock make no system call.
 */
#include <sk/sk.h>

int sk_mutex_trylock(struct sk_mutex *m)
{
    uint64_t expected = 0;
    return sk_atomic_cas(&m->state, &expected, 1);
}

void sk_mutex_lock(struct sk_mutex *m)
{
    uint64_t c = 0;
    if (sk_atomic_cas(&m->state, &c, 1))
        return;
    for (int spin = 0; spin < 100 && c != 0; spin++) {
        sk_cpu_relax();
        c = 0;
        if (sk_atomic_cas(&m->state, &c, 1))
            return;
    }
    /* Mark contended; whoever holds it will wake us. */
    if (c != 2)
        c = sk_atomic_xchg(&m->state, 2);
    while (c != 0) {
        sk_futex_wait(&m->state, 2, SK_TIMEOUT_NEVER);
        c = sk_atomic_xchg(&m->state, 2);
    }
}

void sk_mutex_unlock(struct sk_mutex *m)
{
    if (sk_atomic_xchg(&m->state, 0) == 2)
        sk_futex_wake(&m->state, 1, NULL);
}
