// Excerpt of Debian linux-libc-dev 6.1.187-1 (amd64): the kernel's uapi headers for x86-64.
// x86_64-linux-gnu/asm/unistd_64.h:
#define __NR_bpf 321
#define __NR_epoll_create1 291
#define __NR_epoll_ctl 233
#define __NR_epoll_pwait 281
#define __NR_eventfd2 290
#define __NR_rseq 334
#define __NR_pidfd_open 434
#define __NR_getrusage 98
// asm-generic/fcntl.h (x86-64's asm/fcntl.h includes it):
#define O_NOFOLLOW	00400000	/* don't follow links */
