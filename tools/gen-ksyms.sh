#!/bin/sh
# Emit the kernel symbol table as assembly from an ELF (or an empty table with no argument).
# Only text symbols are kept, sorted by address; see kernel/core/ksyms.c for the layout.
# nm runs on its own (not in a pipeline, whose status would be awk's) so that a failure of nm
# fails the build rather than giving an empty table.
set -e
syms=
if [ -n "$1" ]; then
    syms=$(nm -n --defined-only "$1")
fi
printf '%s\n' "$syms" |
    awk '$2 ~ /^[tTwW]$/ && $3 !~ /^\./ && $3 !~ /^isr_stub_/ { print $1, $3 }' | awk '
BEGIN { n = 0 }
{ addr[n] = $1; name[n] = $2; n++ }
END {
    print "\t.section .ksyms, \"a\""
    print "\t.balign 8"
    print "\t.global ksyms_count, ksyms_addrs, ksyms_name_offsets, ksyms_names"
    print "ksyms_count:\t.quad " n
    print "ksyms_addrs:"
    for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
    print "ksyms_name_offsets:"
    off = 0
    for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
    print "ksyms_names:"
    for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}'
