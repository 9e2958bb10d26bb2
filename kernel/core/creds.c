/*
 * Credentials: 16 bytes that name a thread or a token for IPC's imbue/extract
 * (docs/ipc.md). Each is a fresh 64-bit sequence number (never repeated in a
 * boot) beside a per-boot value, so credentials from different boots differ too.
 * Tokens are objects that carry nothing else.
 */
#include <k/ipc.h>
#include <k/sched.h>
#include <k/syscall.h>
#include <k/universe.h>
#include <k/thread.h>
#include <k/heap.h>
#include <k/uspace.h>
#include <arch/cpu.h>
#include <base/string.h>

struct token {
    struct kobject obj; /* SK_OBJ_TOKEN */
    uint8_t creds[SK_CREDENTIALS_SIZE];
};

static volatile uint64_t next_seq = 1;
static uint64_t boot_value;

void creds_new(uint8_t out[SK_CREDENTIALS_SIZE])
{
    uint64_t v = __atomic_load_n(&boot_value, __ATOMIC_RELAXED);
    if (!v) {
        uint64_t want = (rdtsc() * 0x9e3779b97f4a7c15ull) | 1, zero = 0;
        __atomic_compare_exchange_n(&boot_value, &zero, want, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
        v = __atomic_load_n(&boot_value, __ATOMIC_RELAXED);
    }
    uint64_t seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
    memcpy(out, &seq, 8);
    memcpy(out + 8, &v, 8);
}

sk_error_t creds_of(struct kobject *o, uint8_t out[SK_CREDENTIALS_SIZE])
{
    if (o->type == SK_OBJ_THREAD)
        memcpy(out, ((struct thread *)o)->creds, SK_CREDENTIALS_SIZE);
    else if (o->type == SK_OBJ_TOKEN)
        memcpy(out, ((struct token *)o)->creds, SK_CREDENTIALS_SIZE);
    else
        return SK_ERR_WRONG_TYPE;
    return SK_OK;
}

static void token_destroy(struct kobject *o)
{
    kfree(o);
}

/* token_create() -> handle (READ TRANSFER DUPLICATE) */
SYSCALL_DEFINE(token_create)
{
    SYSCALL_UNUSED_ARGS;
    struct token *t = kzalloc(sizeof *t);
    if (!t)
        return SK_ERR_NO_MEMORY;
    kobj_init(&t->obj, SK_OBJ_TOKEN, token_destroy);
    creds_new(t->creds);
    sk_handle_t h;
    sk_error_t err = universe_insert(thread_universe(current_thread()), &t->obj,
                                     SK_RIGHT_READ | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE, &h);
    kobj_put(&t->obj);
    if (!err)
        *ret = (uint64_t)h;
    return err;
}

/* credentials_get(thread or token, out[16]): needs READ. */
SYSCALL_DEFINE(credentials_get)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_NONE, SK_RIGHT_READ, &o, NULL);
    if (err)
        return err;
    uint8_t c[SK_CREDENTIALS_SIZE];
    err = creds_of(o, c);
    kobj_put(o);
    if (!err)
        err = copy_to_user(a1, c, sizeof c);
    return err;
}
