/*
 * Thread and futex stress (issue 15's tests): many threads, many iterations, results checked
 * (never times). A mutex-protected counter; a condition-variable relay passing a token round a
 * ring of threads; a semaphore-bounded pool; threads made and joined in waves, with detached
 * ones; atomic counters with futex wake/wait done by hand; a barrier reused many times;
 * two processes sharing a process-shared mutex in shared memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUTEX_WAIT_PRIVATE 128 /* (FUTEX_WAIT | FUTEX_PRIVATE_FLAG: musl has no linux/ headers) */
#define FUTEX_WAKE_PRIVATE 129
#define NT 16
#define ITERS 2000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* the relay: thread i waits for token == i, passes it to i + 1 */
static pthread_mutex_t rmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rcv = PTHREAD_COND_INITIALIZER;
static int token, laps_done;
#define RING 8
#define LAPS 200

static void *relay(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int lap = 0; lap < LAPS; lap++) {
        pthread_mutex_lock(&rmu);
        while (token != me)
            pthread_cond_wait(&rcv, &rmu);
        token = (me + 1) % RING;
        if (me == RING - 1)
            laps_done++;
        pthread_cond_broadcast(&rcv);
        pthread_mutex_unlock(&rmu);
    }
    return NULL;
}

static sem_t pool;
static int inside, most;
static pthread_mutex_t pmu = PTHREAD_MUTEX_INITIALIZER;

static void *pooled(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        sem_wait(&pool);
        pthread_mutex_lock(&pmu);
        if (++inside > most)
            most = inside;
        pthread_mutex_unlock(&pmu);
        sched_yield();
        pthread_mutex_lock(&pmu);
        inside--;
        pthread_mutex_unlock(&pmu);
        sem_post(&pool);
    }
    return NULL;
}

static long waves_done;
static void *short_lived(void *arg)
{
    __atomic_add_fetch(&waves_done, 1, __ATOMIC_SEQ_CST);
    return arg;
}

/* a hand-made futex handoff: the word counts up, waiters wait for their value */
static uint32_t word;
static void *futex_waiter(void *arg)
{
    uint32_t want = (uint32_t)(uintptr_t)arg;
    uint32_t v;
    while ((v = __atomic_load_n(&word, __ATOMIC_SEQ_CST)) < want)
        syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
    return NULL;
}

static pthread_barrier_t bar;
static long bar_sum;
static void *barrier_user(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        __atomic_add_fetch(&bar_sum, 1, __ATOMIC_SEQ_CST);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    alarm(120); /* (a lost wake-up ends the case, not the whole run) */
    pthread_t th[64];

    for (int i = 0; i < NT; i++)
        pthread_create(&th[i], NULL, adder, NULL);
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);
    printf("mutex counter: %ld (want %d)\n", counter, NT * ITERS);

    for (int i = 0; i < RING; i++)
        pthread_create(&th[i], NULL, relay, (void *)(intptr_t)i);
    for (int i = 0; i < RING; i++)
        pthread_join(th[i], NULL);
    printf("relay laps: %d (want %d), token back at %d\n", laps_done, LAPS, token);

    sem_init(&pool, 0, 3);
    for (int i = 0; i < 12; i++)
        pthread_create(&th[i], NULL, pooled, NULL);
    for (int i = 0; i < 12; i++)
        pthread_join(th[i], NULL);
    printf("pool: never more than 3 inside: %d, none left inside: %d\n", most <= 3, inside == 0);

    int ok = 1;
    for (int wave = 0; wave < 40; wave++) {
        for (int i = 0; i < 10; i++) {
            if (i % 3 == 0) {
                pthread_attr_t at;
                pthread_attr_init(&at);
                pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
                pthread_t d;
                ok &= pthread_create(&d, &at, short_lived, NULL) == 0;
                pthread_attr_destroy(&at);
                th[i] = 0;
            } else {
                ok &= pthread_create(&th[i], NULL, short_lived, (void *)(intptr_t)i) == 0;
            }
        }
        for (int i = 0; i < 10; i++) {
            void *r;
            if (th[i] && (pthread_join(th[i], &r) != 0 || r != (void *)(intptr_t)i))
                ok = 0;
        }
    }
    for (int i = 0; i < 1000 && __atomic_load_n(&waves_done, __ATOMIC_SEQ_CST) < 400; i++)
        usleep(1000);
    printf("waves: created all %d, ran %ld (want 400)\n", ok, waves_done);

    for (int i = 0; i < 20; i++)
        pthread_create(&th[i], NULL, futex_waiter, (void *)(uintptr_t)(i % 5 + 1));
    for (int v = 1; v <= 5; v++) {
        usleep(2000);
        __atomic_store_n(&word, v, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1 << 30, NULL, NULL, 0);
    }
    for (int i = 0; i < 20; i++)
        pthread_join(th[i], NULL);
    printf("futex waiters all released: 1\n");

    pthread_barrier_init(&bar, NULL, 6);
    for (int i = 0; i < 6; i++)
        pthread_create(&th[i], NULL, barrier_user, NULL);
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    printf("barrier: %ld (want 600)\n", bar_sum);

    /* a process-shared mutex in shared memory, two processes with threads */
    struct shared {
        pthread_mutex_t m;
        long n;
    } *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->m, &ma);
    sh->n = 0;
    pid_t c = fork();
    for (int k = 0; k < 3000; k++) {
        pthread_mutex_lock(&sh->m);
        sh->n++;
        pthread_mutex_unlock(&sh->m);
    }
    if (c == 0)
        _exit(0);
    waitpid(c, NULL, 0);
    printf("shared mutex across processes: %ld (want 6000)\n", sh->n);
    return 0;
}
