/* Exits with status 42 after flushing one line: the driver's END marker shows the status. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("exiting with 42\n");
    exit(42);
}
