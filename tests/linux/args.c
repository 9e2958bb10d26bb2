/*
 * What a Linux program is started with: argc and argv, one variable of the environment the
 * driver sets (SKOLL_TEST_VAR) and the environment's size, and the auxiliary vector entries
 * that do not depend on addresses (AT_PAGESZ, AT_UID, AT_EUID, AT_GID, AT_SECURE) plus the
 * string AT_EXECFN points to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] \"%s\"\n", i, argv[i]);
    printf("argv[%d] %s\n", argc, argv[argc] ? "not NULL" : "NULL");
    const char *v = getenv("SKOLL_TEST_VAR");
    printf("SKOLL_TEST_VAR %s%s%s\n", v ? "\"" : "", v ? v : "unset", v ? "\"" : "");
    int n = 0;
    while (environ[n])
        n++;
    printf("environment: %d variables\n", n);
    printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
    printf("AT_UID %lu\n", getauxval(AT_UID));
    printf("AT_EUID %lu\n", getauxval(AT_EUID));
    printf("AT_GID %lu\n", getauxval(AT_GID));
    printf("AT_SECURE %lu\n", getauxval(AT_SECURE));
    const char *fn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN \"%s\"\n", fn ? fn : "(none)");
    return 0;
}
