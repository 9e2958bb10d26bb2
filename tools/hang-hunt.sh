#!/bin/bash
# Hunt rare hangs: boot N kernels in parallel (each with a GDB stub) and, for any
# still running after T seconds, print both CPUs' backtraces and scheduler state.
# usage: N=4 T=70 SMP=2 CPU=max OUT=build CMDLINE="selftest=all usertests=all qemu_exit" tools/hang-hunt.sh
cd "$(dirname "$0")/.."
N=${N:-3}; T=${T:-60}; SMP=${SMP:-2}; CPU=${CPU:-max}
CMDLINE=${CMDLINE:-"selftest=all usertests=all expect_cpus=$SMP qemu_exit"}
for i in $(seq 1 "$N"); do
    rm -f "/tmp/hang$i.log"
    timeout 300 qemu-system-x86_64 -gdb tcp::$((1240 + i)) -accel tcg -cpu "$CPU" -M q35 -m 128M \
        -smp "$SMP" -kernel ${OUT:-build}/skoll.elf -initrd ${OUT:-build}/initrd.cpio -append "$CMDLINE" \
        -serial file:/tmp/hang$i.log -display none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=4 -device edu -monitor none >/dev/null 2>&1 &
    echo $! > "/tmp/hang$i.pid"
done
sleep "$T"
for i in $(seq 1 "$N"); do
    pid=$(cat "/tmp/hang$i.pid")
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "boot $i ended: $(grep -E 'usertests: [0-9]|no_page_leak' /tmp/hang$i.log | tr '\n' ' ')"
        # a boot with a failure keeps its log (the next run overwrites hang$i.log)
        if tr -d '\r' < "/tmp/hang$i.log" | grep -qE 'FAIL|PANIC| [1-9][0-9]* failed$'; then
            keep="/tmp/hang-failed-$(date +%H%M%S)-$i.log"
            cp "/tmp/hang$i.log" "$keep"
            echo "  failures: $(grep -E 'FAIL|PANIC' "$keep" | head -3 | tr '\n' ' ') (log kept: $keep)"
        fi
        continue
    fi
    echo "=== boot $i still running (log /tmp/hang$i.log); last lines:"
    tail -3 "/tmp/hang$i.log"
    cmds=(-ex "set pagination off" -ex "target remote localhost:$((1240 + i))")
    for c in $(seq 0 $((SMP - 1))); do
        cmds+=(-ex "thread $((c + 1))" -ex "bt 8"
               -ex "printf \"cpu$c current %s state %d, run queue %d, idling %d\\n\", cpus[$c].current->name, cpus[$c].current->state, cpus[$c].rq.count, cpus[$c].idling")
    done
    timeout 30 gdb -batch "${cmds[@]}" -ex detach ${OUT:-build}/skoll.elf 2>&1 | grep -vE '^\[New|warning|^$'
    kill "$pid"
done
