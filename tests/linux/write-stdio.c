/*
 * Output through the different doors: stdio (buffered: the driver's stdout is a file, so it
 * leaves at fflush or exit), writev with several pieces, write to stderr, fprintf to stderr
 * (unbuffered). The order of the merged output is fixed by the flushes.
 */
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
    puts("puts: first line");
    printf("printf: %d %s %c %5.2f|%-4s|%04x\n", -17, "str", 'c', 3.14159, "ab", 0xbeef);
    fflush(stdout);

    char a[] = "writev: one, ", b[] = "two, ", c[] = "three\n";
    struct iovec iov[] = {
        {a, strlen(a)}, {b, strlen(b)}, {NULL, 0}, {c, strlen(c)},
    };
    ssize_t n = writev(STDOUT_FILENO, iov, 4);
    printf("writev returned %zd\n", n);
    fflush(stdout);

    const char e[] = "write: to stderr\n";
    n = write(STDERR_FILENO, e, sizeof e - 1);
    fprintf(stderr, "fprintf(stderr): write returned %zd\n", n);

    n = write(STDOUT_FILENO, "", 0);
    printf("write of 0 bytes returned %zd\n", n);
    puts("puts: last line (left at exit)");
    return 0;
}
