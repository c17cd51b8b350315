// A mount namespace of this process's own, entered while it is still
// single-threaded (unshare(CLONE_NEWNS) fails with EINVAL once a second
// thread exists, and Swift starts threads before any of its code runs).
//
// ImageGate uses it for one thing: where KVM is offered but hangs, it
// bind-mounts an empty read-only file over /dev/kvm (KVMMask.swift), so that
// libvirt's embedded driver, which runs in this process, and the QEMUs it
// starts see KVM as unusable and never probe it. The namespace is a slave of
// the host's: the host's later mounts still arrive here, and nothing mounted
// here reaches the host or any other process.
#define _GNU_SOURCE
#include "host_process.h"
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

static int private_mounts_errno = EAGAIN;

__attribute__((constructor))
static void imagegate_enter_private_mounts(void) {
    if (geteuid() != 0) { private_mounts_errno = EPERM; return; }
    if (access("/dev/kvm", F_OK) != 0) { private_mounts_errno = ENOENT; return; }
    if (unshare(CLONE_NEWNS) != 0) { private_mounts_errno = errno; return; }
    // Until this succeeds, a mount here could propagate to the host: the
    // error is kept, and KVMMask refuses to mount anything.
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) { private_mounts_errno = errno; return; }
    private_mounts_errno = 0;
}

int imagegate_private_mounts_errno(void) {
    return private_mounts_errno;
}
