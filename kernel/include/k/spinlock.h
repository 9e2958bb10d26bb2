/* Ticket spinlocks. spin_lock_irqsave disables interrupts on this CPU while held. */
#pragma once
#include <stdint.h>
#include <arch/cpu.h>

struct spinlock {
    volatile uint32_t next;
    volatile uint32_t owner;
};

#define SPINLOCK_INIT {0, 0}

static inline void spin_lock(struct spinlock *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        cpu_relax();
}

static inline int spin_trylock(struct spinlock *l)
{
    uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    uint32_t expect = owner;
    return __atomic_compare_exchange_n(&l->next, &expect, owner + 1, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t f = irq_save();
    spin_lock(l);
    return f;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    spin_unlock(l);
    irq_restore(flags);
}
