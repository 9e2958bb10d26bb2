/* The smallest Linux program: one line through stdio, exit status 0. */
#include <stdio.h>

int main(void)
{
    printf("hello, world\n");
    return 0;
}
