/*
 * registry: the device and service registry (docs/registry.md), the first
 * server init starts. Its start info's `registry` handle is the registry end of
 * the stream whose other end every other process gets; it serves that lane
 * until the lane ends (init shuts it down before it exits), then exits.
 *
 * One thread runs one queue: the registry lane's accept loop (sk_ipc_server),
 * the owner lanes' accepts, every conversation, and one timer heap (lib/sk's
 * struct sk_timers, one kernel timer) for every deadline: stalled requests,
 * watches whose time is up.
 */
#include "registry.h"

#define ACCEPTS 8

static struct sk_queue queue;
static struct sk_ipc_server server;
struct sk_timers reg_timers;

uint64_t reg_now(void)
{
    uint64_t t = 0;
    sk_clock_get(&t);
    return t;
}

uint64_t reg_accept_failures(void)
{
    return server.failures;
}

static void on_request(struct sk_ipc_server *s, sk_handle_t lane, const void *req, uint32_t len)
{
    (void)s;
    conn_request(NULL, lane, req, len);
}

int main(const struct sk_start_info *si)
{
    (void)si;
    sk_handle_t lane = sk_registry_lane();
    if (!lane) {
        sk_printf("registry: started without a service lane\n");
        return 1;
    }
    sk_error_t e = sk_queue_open(&queue, 256, 1024);
    if (e != SK_OK) {
        sk_printf("registry: queue: %s\n", sk_error_name(e));
        return 1;
    }
    sk_timers_init(&reg_timers, &queue);
    e = sk_ipc_server_start(&queue, &server, lane, SK_MSG_FIRST_MAX, ACCEPTS, on_request);
    if (e != SK_OK) {
        sk_printf("registry: accept loop: %s\n", sk_error_name(e));
        return 1;
    }
    while (server.live) {
        e = sk_queue_wait(&queue, SK_TIMEOUT_NEVER);
        if (e != SK_OK && e != SK_ERR_TIMEOUT && e != SK_ERR_ALERTED) {
            sk_printf("registry: queue_drive: %s\n", sk_error_name(e));
            return 1;
        }
        conn_sweep();
    }
    /* The lane ended: nobody can reach us any more. Exiting ends the owner lanes and every
       conversation with us. */
    return 0;
}
