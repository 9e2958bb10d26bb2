/*
 * Permissions: a child gives up root (setgid, setuid) and then meets the owner, group and
 * other bits of files and directories, directory search and write permission, chmod and
 * chown of another's file, kill of another user's process, and the set*id rules.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    umask(0);
    close(open("secret", O_CREAT | O_WRONLY, 0600));
    close(open("public", O_CREAT | O_WRONLY, 0644));
    close(open("groupw", O_CREAT | O_WRONLY, 0664));
    chown("groupw", 0, 100);
    mkdir("closed", 0700);
    mkdir("open", 0777);
    mkdir("ro", 0755);
    close(open("closed/inner", O_CREAT | O_WRONLY, 0644));
    pid_t c = fork();
    if (c == 0) {
        SHOW("setgid 100", setgid(100));
        SHOW("setuid 1000", setuid(1000));
        printf("ids %d %d %d %d\n", (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
        SHOW("open secret", open("secret", O_RDONLY));
        SHOW("open public read", open("public", O_RDONLY) >= 0);
        SHOW("open public write", open("public", O_WRONLY));
        SHOW("open group-writable for write", open("groupw", O_WRONLY) >= 0);
        SHOW("access public W_OK", access("public", W_OK));
        SHOW("access public R_OK", access("public", R_OK));
        SHOW("stat inside closed dir", access("closed/inner", F_OK));
        SHOW("create in ro dir", open("ro/x", O_CREAT | O_WRONLY, 0644));
        SHOW("create in open dir", open("open/x", O_CREAT | O_WRONLY, 0644) >= 0);
        SHOW("mkdir in ro dir", mkdir("ro/d", 0755));
        SHOW("unlink in ro dir", unlink("public"));
        SHOW("chmod another's file", chmod("public", 0666));
        SHOW("chown to me", chown("open/x", 1000, 100));
        SHOW("chown another's file", chown("public", 1000, 100));
        SHOW("kill root's process", kill(getppid(), 0));
        SHOW("setuid back to 0", setuid(0));
        SHOW("setreuid to 0", setreuid(-1, 0));
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    struct stat s;
    stat("open/x", &s);
    printf("child's file owner %d group %d\n", (int)s.st_uid, (int)s.st_gid);
    SHOW("root reads the secret", open("secret", O_RDONLY) >= 0);
    SHOW("root executes a non-executable", access("public", X_OK));
    return 0;
}
