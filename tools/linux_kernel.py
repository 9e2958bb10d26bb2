"""Debian's Linux kernel in Skoll's QEMU machine: the part shared by the Linux benchmark
(tools/linux_bench.py, docs/bench.md) and the differential tests' reference run
(tools/linux_ref.py, docs/testing.md).

- fetch_kernel(): the package Debian's `linux-image-amd64` metapackage depends on, fetched with
  `apt-get download` (never installed); only its /boot/vmlinuz-* is kept, as
  build/linux/vmlinuz with build/linux/kernel.txt naming package and version. Once there it is
  reused without asking apt; `refresh` (or removing build/linux) fetches the current one.
- cpio_entry(): one newc record, for initramfs files written without cpio(1) (device nodes
  need no mknod and no root).
- boot(): qemu_cmd() from skoll_qemu.py (TCG, q35, the memory Skoll's tests use) with
  `-kernel vmlinuz -initrd <initramfs>`, the serial port into a log, under a timeout.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from skoll_qemu import qemu_cmd  # noqa: E402

ROOT = os.path.dirname(HERE)
DEFAULT_CACHE = os.path.join(ROOT, "build", "linux")
META_PACKAGE = "linux-image-amd64"
# `quiet` keeps boot messages off the serial port; panic=-1 turns a kernel panic (say, /init
# dying) into a reboot, which -no-reboot turns into QEMU exiting instead of hanging.
APPEND = "console=ttyS0 quiet panic=-1"


class LinuxUnavailable(Exception):
    """The Linux side cannot run here; the message says why and what to do."""


def note(msg):
    print("# linux: " + msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw)


def _kernel_package():
    """The versioned image package the metapackage depends on, or None."""
    pkg = os.environ.get("LINUX_KERNEL_PACKAGE")
    if pkg:
        return pkg
    proc = run(["apt-cache", "depends", META_PACKAGE])
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("Depends: linux-image-"):
            return line.split(":", 1)[1].strip()
    return None


def _apt_update():
    if os.geteuid() != 0:
        return
    note("apt-get update (package lists have no usable %s)" % META_PACKAGE)
    run(["apt-get", "update", "-q"])


def fetch_kernel(cache, refresh=False):
    """Returns (path of vmlinuz, description), downloading only when not cached."""
    vmlinuz = os.path.join(cache, "vmlinuz")
    info = os.path.join(cache, "kernel.txt")
    if not refresh and os.path.exists(vmlinuz) and os.path.exists(info):
        with open(info) as f:
            desc = f.read().strip()
        note("cached kernel %s (%s)" % (os.path.relpath(vmlinuz, ROOT), desc))
        return vmlinuz, desc
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise LinuxUnavailable("apt-get/dpkg-deb not found: the Linux side needs a Debian host")
    os.makedirs(cache, exist_ok=True)
    pkg = _kernel_package()
    if not pkg:
        _apt_update()
        pkg = _kernel_package()
    if not pkg:
        raise LinuxUnavailable("apt knows no package behind %s (run apt-get update?)"
                               % META_PACKAGE)
    with tempfile.TemporaryDirectory(dir=cache, prefix="dl-") as tmp:
        note("downloading %s with apt-get download" % pkg)
        proc = run(["apt-get", "download", "-q", pkg], cwd=tmp)
        if proc.returncode != 0:
            _apt_update()
            proc = run(["apt-get", "download", "-q", pkg], cwd=tmp)
        debs = glob.glob(os.path.join(tmp, "*.deb"))
        if proc.returncode != 0 or not debs:
            tail = " / ".join(proc.stdout.strip().splitlines()[-2:])
            raise LinuxUnavailable("could not download %s (no network or no apt archive?): %s"
                                   % (pkg, tail))
        deb = debs[0]
        version = run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()
        # Only the kernel image: the modules are not needed (initramfs boot, built-in drivers).
        with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb],
                              stdout=subprocess.PIPE) as src:
            ext = subprocess.run(["tar", "-x", "-C", tmp, "--wildcards", "./boot/vmlinuz-*"],
                                 stdin=src.stdout, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
            src.stdout.close()
        images = glob.glob(os.path.join(tmp, "boot", "vmlinuz-*"))
        if ext.returncode != 0 or not images:
            raise LinuxUnavailable("no /boot/vmlinuz-* in %s: %s" % (os.path.basename(deb),
                                                                      ext.stdout.strip()))
        os.replace(images[0], vmlinuz)
        desc = "%s %s, %s" % (pkg, version, os.path.basename(images[0]))
        with open(info, "w") as f:
            f.write(desc + "\n")
    note("kernel cached as %s (%s)" % (os.path.relpath(vmlinuz, ROOT), desc))
    return vmlinuz, desc


def cpio_entry(name, mode, data=b"", rdev=(0, 0), ino=1):
    """One newc record: header, NUL-terminated name and data, each padded to 4 bytes."""
    namez = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0]
    hdr = b"070701" + b"".join(b"%08x" % v for v in fields)
    rec = hdr + namez
    rec += b"\0" * (-len(rec) % 4)
    rec += data
    rec += b"\0" * (-len(rec) % 4)
    return rec


def boot(vmlinuz, initramfs, log, smp, append, timeout, mem=None):
    """Boots the kernel with the serial port into `log` (replaced) under `timeout` seconds.

    mem: the machine's memory (default: Skoll's test machine's, for like-for-like timing).

    Returns (QEMU's exit status, 124 on timeout; its stderr; the serial text with carriage
    returns removed; seconds taken).
    """
    cmd = qemu_cmd("kernel", None, smp=smp, cmdline=append, serial=log,
                   kernel=vmlinuz, initrd=initramfs, **({"mem": mem} if mem else {}))
    if os.path.exists(log):
        os.remove(log)
    start = time.monotonic()
    proc = subprocess.run(["timeout", str(timeout)] + cmd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    secs = time.monotonic() - start
    text = ""
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            text = f.read().replace("\r", "")
    return proc.returncode, proc.stderr.strip(), text, secs
