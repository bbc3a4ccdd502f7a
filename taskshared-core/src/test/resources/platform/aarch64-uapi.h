// Excerpt of Debian linux-libc-dev 6.1.192-2 (arm64): the kernel's uapi headers for aarch64.
// asm-generic/unistd.h (aarch64's asm/unistd.h includes it):
#define __NR_bpf 280
#define __NR_epoll_create1 20
#define __NR_epoll_ctl 21
#define __NR_epoll_pwait 22
#define __NR_eventfd2 19
#define __NR_rseq 293
#define __NR_pidfd_open 434
#define __NR_getrusage 165
// aarch64-linux-gnu/asm/fcntl.h:
#define O_NOFOLLOW	0100000	/* don't follow links */
// linux/eventpoll.h: EPOLL_PACKED is empty except on __x86_64__
 * UML/x86_64 needs the same packing as x86_64
 */
#ifdef __x86_64__
#define EPOLL_PACKED __attribute__((packed))
#else
#define EPOLL_PACKED
#endif

struct epoll_event {
	__poll_t events;
	__u64 data;
} EPOLL_PACKED;
