#!/bin/sh
# The fixed shell script of `make bench` (docs/bench.md, "The POSIX server"): about 1,000
# processes of ordinary shell work (pipelines, a loop, files made, renamed and removed),
# run by the same busybox on Skoll and on Linux; posixbench times it and counts its processes.
d=/tmp/bench-script
rm -rf $d && mkdir $d && cd $d || exit 1
i=0
while [ $i -lt 125 ]; do
    echo "line $i of the file" > f$i
    cat f$i | grep line | wc -l > /dev/null
    sed -e 's/line/LINE/' f$i > g$i
    mv g$i h$i
    ls > /dev/null
    i=$(expr $i + 1)
    rm -f f$((i - 1))
done
n=$(cat h* | sort | uniq | wc -l)
cd / && rm -rf $d
[ "$n" = 125 ] || { echo "script: $n distinct lines, not 125" >&2; exit 1; }
