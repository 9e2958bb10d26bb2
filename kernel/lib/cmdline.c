/* Command-line word lookup. Pure code, unit-tested on the host. */
#include <k/cmdline.h>
#include <base/string.h>

/* Find the word for key; returns a pointer just after the key or NULL. */
static const char *find(const char *c, const char *key)
{
    size_t klen = strlen(key);
    while (*c) {
        while (*c == ' ')
            c++;
        const char *w = c;
        while (*c && *c != ' ')
            c++;
        if ((size_t)(c - w) >= klen && memcmp(w, key, klen) == 0 &&
            (w[klen] == '=' || w + klen == c))
            return w + klen;
    }
    return NULL;
}

int cmdline_has(const char *cmdline, const char *key)
{
    return find(cmdline, key) != NULL;
}

int cmdline_get(const char *cmdline, const char *key, char *out, size_t outsz)
{
    const char *p = find(cmdline, key);
    if (!p || *p != '=')
        return -1;
    p++;
    size_t n = 0;
    while (p[n] && p[n] != ' ')
        n++;
    if (outsz) {
        size_t k = n < outsz - 1 ? n : outsz - 1;
        memcpy(out, p, k);
        out[k] = '\0';
    }
    return (int)n;
}

int cmdline_get_num(const char *cmdline, const char *key, uint64_t max, uint64_t *out)
{
    const char *p = find(cmdline, key);
    if (!p || *p != '=')
        return 0;
    p++;
    uint64_t v = 0;
    if (*p == '\0' || *p == ' ')
        return -1;
    for (; *p && *p != ' '; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (*p < '0' || *p > '9' || d > max || v > (max - d) / 10) /* (v * 10 + d > max) */
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int cmdline_list_contains(const char *list, const char *item)
{
    size_t ilen = strlen(item);
    const char *p = list;
    while (*p) {
        const char *s = p;
        while (*p && *p != ',')
            p++;
        if ((size_t)(p - s) == ilen && memcmp(s, item, ilen) == 0)
            return 1;
        if (*p == ',')
            p++;
    }
    return 0;
}
