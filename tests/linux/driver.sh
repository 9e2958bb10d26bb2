#!/bin/sh
# The differential test driver (docs/testing.md, "Differential tests against Linux"): runs the
# same cases on Linux (tools/linux_ref.py boots it as the initramfs's init) and on Skoll (the
# POSIX server starts it as its init program), framing each case's output in marker lines that
# the host splits and compares with tests/linux/golden/:
#   === PLAN <case>                     every case about to run, first
#   === BEGIN <case>
#   ...                                 its stdout and stderr merged, as written
#   === END <case> status <n>[ noeol]   its exit status (128+signal if killed); noeol: the
#                                       output lacked a final newline, the driver added one
#   === DONE
# then it powers the machine off. Arguments, if any, are shell patterns choosing the cases
# ("musl/*", "sh/echo"); none runs them all. Each case runs in an empty directory /tmp/case,
# with stdin from /dev/null, stdout and stderr into a file (so not a terminal on either
# system), and only this environment:
T=/usr/lib/skoll-tests
ENV="PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root SKOLL_TEST_VAR='a value'"

# As Linux's first process nothing is mounted; Skoll's server provides these itself.
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
[ -e /proc/self ] || mount -t proc proc /proc
# ptys: devpts as Debian mounts it (the tty group, 0620)
[ -e /dev/pts/ptmx ] || { mkdir -p /dev/pts && mount -t devpts -o gid=5,mode=620,ptmxmode=000 devpts /dev/pts; }
# /dev/fd as udev makes it (bash's process substitution)
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
# POSIX shared memory: a tmpfs at /dev/shm, as Debian has
[ -d /dev/shm ] || { mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 tmpfs /dev/shm; }

# list: every case as "<name> <command>"
list() {
    while read -r name prog args; do
        case "$name" in '' | '#'*) continue ;; esac
        for v in musl glibc; do
            echo "$v/$name $T/$v/$prog $args"
        done
        # (dyn.list: the case also runs dynamically linked)
        if grep -qx "$name" $T/dyn.list; then
            echo "dyn/$name $T/dyn/$prog $args"
        fi
    done < $T/cases.list
    for f in $T/sh/*.sh; do
        [ -e "$f" ] || continue
        n=${f##*/}
        echo "sh/${n%.sh} /bin/sh $f"
    done
}

# chosen <name> [patterns...]: whether the patterns choose the case (none: all do)
chosen() {
    n=$1
    shift
    [ $# -eq 0 ] && return 0
    for p in "$@"; do
        case "$n" in $p) return 0 ;; esac
    done
    return 1
}

list > /tmp/skoll-cases
while read -r name cmd; do
    chosen "$name" "$@" && echo "=== PLAN $name"
done < /tmp/skoll-cases
while read -r name cmd; do
    chosen "$name" "$@" || continue
    echo "=== BEGIN $name"
    rm -rf /tmp/case && mkdir /tmp/case && cd /tmp/case
    eval "env -i $ENV $cmd" < /dev/null > /tmp/skoll-case.out 2>&1
    st=$?
    cd /
    cat /tmp/skoll-case.out
    eol=
    if [ -s /tmp/skoll-case.out ] && [ -n "$(tail -c 1 /tmp/skoll-case.out)" ]; then
        echo
        eol=" noeol"
    fi
    echo "=== END $name status $st$eol"
done < /tmp/skoll-cases
rm -rf /tmp/case /tmp/skoll-case.out /tmp/skoll-cases
echo "=== DONE"
sync
poweroff -f
