/* C start-up (after crt0), the start-info accessors and error names. */
#include <sk/sk.h>

static const struct sk_start_info *start_info;

__attribute__((noreturn)) void sk_start(const struct sk_start_info *si);

void sk_start(const struct sk_start_info *si)
{
    if (si && si->magic == SK_START_MAGIC)
        start_info = si;
    else
        sk_printf("%s: no valid start info at %p\n", "sk_start", (const void *)si);
    sk_thread_exit((uint32_t)main(start_info));
}

const struct sk_start_info *sk_start_info(void)
{
    return start_info;
}

sk_handle_t sk_registry_lane(void)
{
    return start_info ? start_info->registry : 0;
}

int sk_argc(void)
{
    return start_info ? (int)start_info->argc : 0;
}

const char *sk_argv(int i)
{
    if (!start_info || i < 0 || (uint64_t)i >= start_info->argc)
        return NULL;
    return ((const char *const *)start_info->argv)[i];
}

const char *sk_progname(void)
{
    const char *a = sk_argv(0);
    if (!a)
        return "?";
    const char *base = a;
    for (const char *p = a; *p; p++)
        if (*p == '/')
            base = p + 1;
    return base;
}

static const char *const error_names[] = {
#define SK__ERR_NAME(name, value, msg) [value] = #name,
    SK_ERRORS(SK__ERR_NAME)
#undef SK__ERR_NAME
};
static const char *const error_msgs[] = {
#define SK__ERR_MSG(name, value, msg) [value] = msg,
    SK_ERRORS(SK__ERR_MSG)
#undef SK__ERR_MSG
};

const char *sk_error_name(sk_error_t e)
{
    if ((unsigned)e >= SK_ERROR_COUNT || !error_names[e])
        return "SK_ERR_?";
    return error_names[e];
}

const char *sk_strerror(sk_error_t e)
{
    if ((unsigned)e >= SK_ERROR_COUNT || !error_msgs[e])
        return "unknown error";
    return error_msgs[e];
}
