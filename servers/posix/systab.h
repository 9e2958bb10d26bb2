/*
 * The Linux x86-64 system call table, listed once (docs/posix.md). Every number
 * Linux defines is here with its status:
 *   OK       complete: Linux's behaviour for every argument
 *   PARTIAL  works for what is noted; the rest fails cleanly as noted
 *   NOSYS    returns -ENOSYS (logged once per process by name)
 *   PROBED   returns -ENOSYS without a log line: C libraries try it at start-up and fall
 *            back (glibc's rseq registration, clone3 before clone)
 * OK and PARTIAL calls have a handler sys_<name> (calls.h). docs/linux-abi.md is
 * generated from this list (tools/gen_linux_abi.py).
 *
 * X(number, name, status, "note")
 */
#pragma once

#define LINUX_SYSCALLS(X) \
    X(0, read, OK, "") \
    X(1, write, OK, "") \
    X(2, open, PARTIAL, "tmpfs, devices and procfs, with permission checks; O_TMPFILE") \
    X(3, close, OK, "") \
    X(4, stat, OK, "") \
    X(5, fstat, OK, "") \
    X(6, lstat, OK, "") \
    X(7, poll, OK, "") \
    X(8, lseek, PARTIAL, "no SEEK_DATA/SEEK_HOLE") \
    X(9, mmap, PARTIAL, "private file mappings are copy-on-write snapshots; no MAP_GROWSDOWN") \
    X(10, mprotect, OK, "") \
    X(11, munmap, OK, "") \
    X(12, brk, OK, "") \
    X(13, rt_sigaction, OK, "") \
    X(14, rt_sigprocmask, OK, "") \
    X(15, rt_sigreturn, PARTIAL, "the FXSAVE part of the FPU state is saved and restored; AVX upper halves are kept, not saved") \
    X(16, ioctl, PARTIAL, "terminals (termios, window size, job control, FIONREAD), pipes FIONREAD; others ENOTTY") \
    X(17, pread64, OK, "") \
    X(18, pwrite64, OK, "") \
    X(19, readv, OK, "") \
    X(20, writev, OK, "") \
    X(21, access, PARTIAL, "root: only the execute bit is checked") \
    X(22, pipe, OK, "") \
    X(23, select, OK, "") \
    X(24, sched_yield, OK, "") \
    X(25, mremap, PARTIAL, "shrink, grow in place, move, MREMAP_FIXED, MREMAP_DONTUNMAP (a private file mapping's old range keeps a copy of what it held, not the file's pages)") \
    X(26, msync, OK, "") \
    X(27, mincore, NOSYS, "") \
    X(28, madvise, PARTIAL, "MADV_DONTNEED and MADV_FREE give private anonymous pages back as zeros; private file pages are kept; the rest is advice") \
    X(29, shmget, OK, "") \
    X(30, shmat, OK, "") \
    X(31, shmctl, PARTIAL, "IPC_STAT/SET/RMID/INFO, SHM_STAT/INFO/LOCK/UNLOCK; SHM_INFO reports only the ids in use") \
    X(32, dup, OK, "") \
    X(33, dup2, OK, "") \
    X(34, pause, OK, "") \
    X(35, nanosleep, OK, "") \
    X(36, getitimer, OK, "ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF (the CPU-time ones count user and system time alike)") \
    X(37, alarm, OK, "") \
    X(38, setitimer, OK, "ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF, the CPU-time ones looked at every 4 ms (Linux's tick) and counting user and system time alike") \
    X(39, getpid, OK, "") \
    X(40, sendfile, OK, "") \
    X(41, socket, PARTIAL, "AF_UNIX (stream, datagram, seqpacket); other families EAFNOSUPPORT until the network stack exists") \
    X(42, connect, OK, "") \
    X(43, accept, OK, "") \
    X(44, sendto, PARTIAL, "AF_UNIX; MSG_OOB is EOPNOTSUPP") \
    X(45, recvfrom, PARTIAL, "AF_UNIX; MSG_OOB is EOPNOTSUPP") \
    X(46, sendmsg, PARTIAL, "AF_UNIX with SCM_RIGHTS and SCM_CREDENTIALS; MSG_OOB is EOPNOTSUPP") \
    X(47, recvmsg, PARTIAL, "AF_UNIX with SCM_RIGHTS and SCM_CREDENTIALS; MSG_OOB is EOPNOTSUPP") \
    X(48, shutdown, OK, "") \
    X(49, bind, OK, "") \
    X(50, listen, OK, "") \
    X(51, getsockname, OK, "") \
    X(52, getpeername, OK, "") \
    X(53, socketpair, PARTIAL, "AF_UNIX") \
    X(54, setsockopt, PARTIAL, "SOL_SOCKET options of AF_UNIX sockets") \
    X(55, getsockopt, PARTIAL, "SOL_SOCKET options of AF_UNIX sockets") \
    X(56, clone, PARTIAL, "new processes (fork and vfork flag sets) and threads (CLONE_THREAD with VM, SIGHAND, FS and FILES, as pthread_create); other partial sharing: ENOSYS") \
    X(57, fork, OK, "") \
    X(58, vfork, PARTIAL, "the parent waits for the child's exec or exit; the child runs on a copy-on-write copy, not the parent's memory") \
    X(59, execve, OK, "") \
    X(60, exit, OK, "") \
    X(61, wait4, PARTIAL, "exits, stops and continues; rusage holds the user time only") \
    X(62, kill, OK, "") \
    X(63, uname, OK, "") \
    X(64, semget, OK, "") \
    X(65, semop, OK, "") \
    X(66, semctl, OK, "") \
    X(67, shmdt, OK, "") \
    X(68, msgget, OK, "") \
    X(69, msgsnd, OK, "") \
    X(70, msgrcv, PARTIAL, "MSG_COPY is EINVAL") \
    X(71, msgctl, OK, "") \
    X(72, fcntl, PARTIAL, "no F_SETOWN/F_SETSIG/F_GETPIPE_SZ/leases/notify/seals") \
    X(73, flock, OK, "") \
    X(74, fsync, OK, "") \
    X(75, fdatasync, OK, "") \
    X(76, truncate, OK, "") \
    X(77, ftruncate, OK, "") \
    X(78, getdents, NOSYS, "") \
    X(79, getcwd, OK, "") \
    X(80, chdir, OK, "") \
    X(81, fchdir, OK, "") \
    X(82, rename, OK, "") \
    X(83, mkdir, OK, "") \
    X(84, rmdir, OK, "") \
    X(85, creat, PARTIAL, "as open") \
    X(86, link, OK, "") \
    X(87, unlink, OK, "") \
    X(88, symlink, OK, "") \
    X(89, readlink, OK, "") \
    X(90, chmod, OK, "") \
    X(91, fchmod, OK, "") \
    X(92, chown, OK, "") \
    X(93, fchown, OK, "") \
    X(94, lchown, OK, "") \
    X(95, umask, OK, "") \
    X(96, gettimeofday, PARTIAL, "as clock_gettime") \
    X(97, getrlimit, PARTIAL, "as prlimit64") \
    X(98, getrusage, PARTIAL, "user time (the threads' CPU time); system time and the counts read 0") \
    X(99, sysinfo, PARTIAL, "shared and buffer RAM 0; load averages as /proc/loadavg") \
    X(100, times, PARTIAL, "user time (the threads' CPU time); system time reads 0") \
    X(101, ptrace, NOSYS, "") \
    X(102, getuid, OK, "") \
    X(103, syslog, PARTIAL, "the POSIX server's own log (its diagnostics); READ is READ_CLEAR without waiting") \
    X(104, getgid, OK, "") \
    X(105, setuid, OK, "") \
    X(106, setgid, OK, "") \
    X(107, geteuid, OK, "") \
    X(108, getegid, OK, "") \
    X(109, setpgid, OK, "") \
    X(110, getppid, OK, "") \
    X(111, getpgrp, OK, "") \
    X(112, setsid, OK, "") \
    X(113, setreuid, OK, "") \
    X(114, setregid, OK, "") \
    X(115, getgroups, OK, "") \
    X(116, setgroups, OK, "") \
    X(117, setresuid, OK, "") \
    X(118, getresuid, OK, "") \
    X(119, setresgid, OK, "") \
    X(120, getresgid, OK, "") \
    X(121, getpgid, OK, "") \
    X(122, setfsuid, NOSYS, "") \
    X(123, setfsgid, NOSYS, "") \
    X(124, getsid, OK, "") \
    X(125, capget, PARTIAL, "root has every capability, other users none") \
    X(126, capset, PARTIAL, "accepted when it raises nothing; capability sets are not kept") \
    X(127, rt_sigpending, OK, "") \
    X(128, rt_sigtimedwait, OK, "") \
    X(129, rt_sigqueueinfo, OK, "") \
    X(130, rt_sigsuspend, OK, "") \
    X(131, sigaltstack, OK, "") \
    X(132, utime, OK, "") \
    X(133, mknod, PARTIAL, "regular files, FIFOs and sockets; device nodes are created but open gives ENXIO") \
    X(134, uselib, NOSYS, "") \
    X(135, personality, NOSYS, "") \
    X(136, ustat, NOSYS, "") \
    X(137, statfs, OK, "each file system's type and mount flags; tmpfs sized as half the memory") \
    X(138, fstatfs, OK, "as statfs (pipes: pipefs)") \
    X(139, sysfs, NOSYS, "") \
    X(140, getpriority, OK, "") \
    X(141, setpriority, PARTIAL, "the nice value is kept, inherited and shown (ps, top); the scheduler does not weigh it yet") \
    X(142, sched_setparam, PARTIAL, "priority 0 (SCHED_OTHER); real-time policies EPERM") \
    X(143, sched_getparam, OK, "") \
    X(144, sched_setscheduler, PARTIAL, "SCHED_OTHER, SCHED_BATCH, SCHED_IDLE (all run as OTHER); SCHED_FIFO and SCHED_RR: EPERM") \
    X(145, sched_getscheduler, OK, "") \
    X(146, sched_get_priority_max, OK, "") \
    X(147, sched_get_priority_min, OK, "") \
    X(148, sched_rr_get_interval, NOSYS, "") \
    X(149, mlock, OK, "RLIMIT_MEMLOCK kept; memory is never paged out, so locking changes nothing else") \
    X(150, munlock, OK, "") \
    X(151, mlockall, PARTIAL, "MCL_FUTURE locks later mappings without checking RLIMIT_MEMLOCK") \
    X(152, munlockall, OK, "") \
    X(153, vhangup, NOSYS, "") \
    X(154, modify_ldt, NOSYS, "") \
    X(155, pivot_root, NOSYS, "") \
    X(156, _sysctl, NOSYS, "") \
    X(157, prctl, PARTIAL, "PR_SET/GET_NAME, PDEATHSIG, DUMPABLE, CHILD_SUBREAPER; other options EINVAL") \
    X(158, arch_prctl, PARTIAL, "FS and GS base only") \
    X(159, adjtimex, NOSYS, "") \
    X(160, setrlimit, PARTIAL, "as prlimit64") \
    X(161, chroot, NOSYS, "") \
    X(162, sync, OK, "") \
    X(163, acct, NOSYS, "") \
    X(164, settimeofday, PARTIAL, "the time; the kernel time zone is not kept") \
    X(165, mount, PARTIAL, "proc and tmpfs; MS_RDONLY, NOSUID (kept, setuid exec is not built), NODEV, NOEXEC, NOATIME kept and changed by MS_REMOUNT; the data string (size=, mode=) is ignored; bind mounts EINVAL") \
    X(166, umount2, PARTIAL, "EBUSY while a file of it is open or mapped, a process works in it or runs from it; MNT_DETACH unmounts at once") \
    X(167, swapon, NOSYS, "") \
    X(168, swapoff, NOSYS, "") \
    X(169, reboot, PARTIAL, "power off and halt end every process and the server and power the machine off (halt too); RESTART and RESTART2 reset it; KEXEC and SW_SUSPEND: EINVAL") \
    X(170, sethostname, OK, "") \
    X(171, setdomainname, OK, "") \
    X(172, iopl, NOSYS, "") \
    X(173, ioperm, NOSYS, "") \
    X(174, create_module, NOSYS, "") \
    X(175, init_module, NOSYS, "") \
    X(176, delete_module, NOSYS, "") \
    X(177, get_kernel_syms, NOSYS, "") \
    X(178, query_module, NOSYS, "") \
    X(179, quotactl, NOSYS, "") \
    X(180, nfsservctl, NOSYS, "") \
    X(181, getpmsg, NOSYS, "") \
    X(182, putpmsg, NOSYS, "") \
    X(183, afs_syscall, NOSYS, "") \
    X(184, tuxcall, NOSYS, "") \
    X(185, security, NOSYS, "") \
    X(186, gettid, OK, "") \
    X(187, readahead, NOSYS, "") \
    X(188, setxattr, NOSYS, "") \
    X(189, lsetxattr, NOSYS, "") \
    X(190, fsetxattr, NOSYS, "") \
    X(191, getxattr, NOSYS, "") \
    X(192, lgetxattr, NOSYS, "") \
    X(193, fgetxattr, NOSYS, "") \
    X(194, listxattr, NOSYS, "") \
    X(195, llistxattr, NOSYS, "") \
    X(196, flistxattr, NOSYS, "") \
    X(197, removexattr, NOSYS, "") \
    X(198, lremovexattr, NOSYS, "") \
    X(199, fremovexattr, NOSYS, "") \
    X(200, tkill, OK, "") \
    X(201, time, PARTIAL, "as clock_gettime") \
    X(202, futex, PARTIAL, "WAIT, WAKE, WAIT_BITSET, WAKE_BITSET, REQUEUE, CMP_REQUEUE, WAKE_OP, private and shared (keyed by memory object across processes), timeouts, CLOCK_REALTIME; the priority-inheritance calls: ENOSYS") \
    X(203, sched_setaffinity, OK, "") \
    X(204, sched_getaffinity, OK, "") \
    X(205, set_thread_area, NOSYS, "") \
    X(206, io_setup, NOSYS, "") \
    X(207, io_destroy, NOSYS, "") \
    X(208, io_getevents, NOSYS, "") \
    X(209, io_submit, NOSYS, "") \
    X(210, io_cancel, NOSYS, "") \
    X(211, get_thread_area, NOSYS, "") \
    X(212, lookup_dcookie, NOSYS, "") \
    X(213, epoll_create, OK, "") \
    X(214, epoll_ctl_old, NOSYS, "") \
    X(215, epoll_wait_old, NOSYS, "") \
    X(216, remap_file_pages, NOSYS, "") \
    X(217, getdents64, OK, "") \
    X(218, set_tid_address, OK, "") \
    X(219, restart_syscall, OK, "") \
    X(220, semtimedop, OK, "") \
    X(221, fadvise64, OK, "advice checked and taken (tmpfs data is always in memory)") \
    X(222, timer_create, PARTIAL, "CPU-time clocks are looked at every 4 ms; other processes' CPU clocks are EINVAL") \
    X(223, timer_settime, OK, "") \
    X(224, timer_gettime, OK, "") \
    X(225, timer_getoverrun, OK, "") \
    X(226, timer_delete, OK, "") \
    X(227, clock_settime, OK, "") \
    X(228, clock_gettime, OK, "") \
    X(229, clock_getres, OK, "") \
    X(230, clock_nanosleep, PARTIAL, "the CPU-time clocks sleep as the monotonic one") \
    X(231, exit_group, OK, "") \
    X(232, epoll_wait, OK, "") \
    X(233, epoll_ctl, PARTIAL, "EPOLLEXCLUSIVE wakes every waiter; Linux's wakeup-path limits are not enforced; one watch limit for all users") \
    X(234, tgkill, OK, "") \
    X(235, utimes, OK, "") \
    X(236, vserver, NOSYS, "") \
    X(237, mbind, NOSYS, "") \
    X(238, set_mempolicy, NOSYS, "") \
    X(239, get_mempolicy, NOSYS, "") \
    X(240, mq_open, NOSYS, "") \
    X(241, mq_unlink, NOSYS, "") \
    X(242, mq_timedsend, NOSYS, "") \
    X(243, mq_timedreceive, NOSYS, "") \
    X(244, mq_notify, NOSYS, "") \
    X(245, mq_getsetattr, NOSYS, "") \
    X(246, kexec_load, NOSYS, "") \
    X(247, waitid, PARTIAL, "P_ALL, P_PID, P_PGID, P_PIDFD; rusage and si_utime hold the user time only") \
    X(248, add_key, NOSYS, "") \
    X(249, request_key, NOSYS, "") \
    X(250, keyctl, NOSYS, "") \
    X(251, ioprio_set, NOSYS, "") \
    X(252, ioprio_get, NOSYS, "") \
    X(253, inotify_init, OK, "") \
    X(254, inotify_add_watch, PARTIAL, "events of tmpfs files and directories; a file reached by a path call (chmod, truncate) tells only its own watches, not the watches of its directory") \
    X(255, inotify_rm_watch, OK, "") \
    X(256, migrate_pages, NOSYS, "") \
    X(257, openat, PARTIAL, "as open") \
    X(258, mkdirat, OK, "") \
    X(259, mknodat, PARTIAL, "regular files, FIFOs and sockets; device nodes are created but open gives ENXIO") \
    X(260, fchownat, OK, "") \
    X(261, futimesat, OK, "") \
    X(262, newfstatat, OK, "") \
    X(263, unlinkat, OK, "") \
    X(264, renameat, OK, "") \
    X(265, linkat, OK, "AT_EMPTY_PATH for root (an O_TMPFILE file's first name)") \
    X(266, symlinkat, OK, "") \
    X(267, readlinkat, OK, "") \
    X(268, fchmodat, OK, "") \
    X(269, faccessat, PARTIAL, "as access") \
    X(270, pselect6, OK, "") \
    X(271, ppoll, OK, "") \
    X(272, unshare, NOSYS, "") \
    X(273, set_robust_list, OK, "") \
    X(274, get_robust_list, OK, "") \
    X(275, splice, NOSYS, "") \
    X(276, tee, NOSYS, "") \
    X(277, sync_file_range, NOSYS, "") \
    X(278, vmsplice, NOSYS, "") \
    X(279, move_pages, NOSYS, "") \
    X(280, utimensat, OK, "") \
    X(281, epoll_pwait, OK, "") \
    X(282, signalfd, OK, "") \
    X(283, timerfd_create, PARTIAL, "TFD_TIMER_CANCEL_ON_SET is accepted, a clock change never cancels") \
    X(284, eventfd, OK, "") \
    X(285, fallocate, NOSYS, "") \
    X(286, timerfd_settime, OK, "") \
    X(287, timerfd_gettime, OK, "") \
    X(288, accept4, OK, "") \
    X(289, signalfd4, OK, "") \
    X(290, eventfd2, OK, "") \
    X(291, epoll_create1, OK, "") \
    X(292, dup3, OK, "") \
    X(293, pipe2, PARTIAL, "O_DIRECT (packet mode) is accepted but ignored") \
    X(294, inotify_init1, OK, "") \
    X(295, preadv, OK, "") \
    X(296, pwritev, OK, "") \
    X(297, rt_tgsigqueueinfo, OK, "") \
    X(298, perf_event_open, NOSYS, "") \
    X(299, recvmmsg, NOSYS, "") \
    X(300, fanotify_init, NOSYS, "") \
    X(301, fanotify_mark, NOSYS, "") \
    X(302, prlimit64, PARTIAL, "every limit kept, inherited and reported; enforced: RLIMIT_NOFILE, RLIMIT_NPROC") \
    X(303, name_to_handle_at, NOSYS, "") \
    X(304, open_by_handle_at, NOSYS, "") \
    X(305, clock_adjtime, NOSYS, "") \
    X(306, syncfs, OK, "") \
    X(307, sendmmsg, NOSYS, "") \
    X(308, setns, NOSYS, "") \
    X(309, getcpu, OK, "the CPU the thread last ran on; node 0") \
    X(310, process_vm_readv, NOSYS, "") \
    X(311, process_vm_writev, NOSYS, "") \
    X(312, kcmp, NOSYS, "") \
    X(313, finit_module, NOSYS, "") \
    X(314, sched_setattr, NOSYS, "") \
    X(315, sched_getattr, NOSYS, "") \
    X(316, renameat2, PARTIAL, "RENAME_NOREPLACE, RENAME_EXCHANGE; RENAME_WHITEOUT is EINVAL") \
    X(317, seccomp, NOSYS, "") \
    X(318, getrandom, PARTIAL, "not cryptographic; at most 64 KiB per call") \
    X(319, memfd_create, PARTIAL, "MFD_CLOEXEC and MFD_ALLOW_SEALING with every seal; MFD_HUGETLB is EINVAL") \
    X(320, kexec_file_load, NOSYS, "") \
    X(321, bpf, NOSYS, "") \
    X(322, execveat, NOSYS, "") \
    X(323, userfaultfd, NOSYS, "") \
    X(324, membarrier, NOSYS, "") \
    X(325, mlock2, OK, "as mlock (MLOCK_ONFAULT accepted)") \
    X(326, copy_file_range, NOSYS, "") \
    X(327, preadv2, PARTIAL, "RWF_HIPRI/DSYNC/SYNC accepted; RWF_NOWAIT EOPNOTSUPP") \
    X(328, pwritev2, PARTIAL, "RWF_HIPRI/DSYNC/SYNC accepted, RWF_APPEND; RWF_NOWAIT EOPNOTSUPP") \
    X(329, pkey_mprotect, NOSYS, "") \
    X(330, pkey_alloc, NOSYS, "") \
    X(331, pkey_free, NOSYS, "") \
    X(332, statx, PARTIAL, "the basic stats and the mount id whatever the mask; no birth time (as tmpfs in Linux 6.1)") \
    X(333, io_pgetevents, NOSYS, "") \
    X(334, rseq, PROBED, "glibc registers rseq at start-up and goes on without it") \
    X(424, pidfd_send_signal, PARTIAL, "info NULL only (a given siginfo: EINVAL)") \
    X(425, io_uring_setup, NOSYS, "") \
    X(426, io_uring_enter, NOSYS, "") \
    X(427, io_uring_register, NOSYS, "") \
    X(428, open_tree, NOSYS, "") \
    X(429, move_mount, NOSYS, "") \
    X(430, fsopen, NOSYS, "") \
    X(431, fsconfig, NOSYS, "") \
    X(432, fsmount, NOSYS, "") \
    X(433, fspick, NOSYS, "") \
    X(434, pidfd_open, PARTIAL, "poll readiness once the process has ended; waitid P_PIDFD; a PIDFD_NONBLOCK pidfd does not make waitid EAGAIN") \
    X(435, clone3, PROBED, "glibc and musl fall back to clone") \
    X(436, close_range, OK, "") \
    X(437, openat2, NOSYS, "") \
    X(438, pidfd_getfd, OK, "") \
    X(439, faccessat2, PARTIAL, "as access") \
    X(440, process_madvise, NOSYS, "") \
    X(441, epoll_pwait2, OK, "") \
    X(442, mount_setattr, NOSYS, "") \
    X(443, quotactl_fd, NOSYS, "") \
    X(444, landlock_create_ruleset, NOSYS, "") \
    X(445, landlock_add_rule, NOSYS, "") \
    X(446, landlock_restrict_self, NOSYS, "") \
    X(447, memfd_secret, NOSYS, "") \
    X(448, process_mrelease, NOSYS, "") \
    X(449, futex_waitv, NOSYS, "") \
    X(450, set_mempolicy_home_node, NOSYS, "")

#define LINUX_SYSCALL_MAX 451 /* one more than the highest number */
