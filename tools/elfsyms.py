"""Function symbols of an ELF file, for the profilers (tools/profile.py, tools/insn-profile.py)."""
import bisect
import subprocess


def symbols(elf):
    """Sorted (address, name) of the function symbols of elf."""
    out = subprocess.run(["nm", "-C", "--defined-only", elf], capture_output=True, text=True,
                         check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return syms


def resolve(syms, addrs, addr):
    """The name of the function of syms (addrs: their addresses) that holds addr, or "?"."""
    i = bisect.bisect_right(addrs, addr) - 1
    return syms[i][1] if i >= 0 else "?"
