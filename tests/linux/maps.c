/*
 * /proc/self/maps as Linux writes it: for each mapping of a file, its permissions, the file
 * offset, the device and inode of the file (what stat says of the path shown) and the path,
 * in address order; [stack] too, and a file mapped by the program itself (shared and
 * private, at an offset). Addresses are not printed (Linux randomises them), nor what only
 * Linux has ([vvar], [vdso]) or what depends on the C library's choices (anonymous memory,
 * [heap]).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(void)
{
    int fd = open("/tmp/maps-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char page[4096];
    memset(page, 'x', sizeof page);
    for (int i = 0; i < 4; i++)
        write(fd, page, sizeof page);
    char *sh = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
    char *pv = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 8192);
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off, inode;
        unsigned maj, min;
        char perms[8], name[400] = "";
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %399s", &lo, &hi, perms, &off, &maj, &min,
                   &inode, name) < 7)
            continue;
        if (strcmp(name, "[stack]") == 0) {
            printf("%s [stack]\n", perms);
            continue;
        }
        if (name[0] != '/')
            continue;
        struct stat st;
        int same = stat(name, &st) == 0 && st.st_ino == inode && major(st.st_dev) == maj &&
                   minor(st.st_dev) == min;
        printf("%s %08lx %s (device and inode of the file %d)\n", perms, off, name, same);
    }
    if (f)
        fclose(f);
    munmap(sh, 8192);
    munmap(pv, 4096);
    close(fd);
    unlink("/tmp/maps-file");
    return 0;
}
