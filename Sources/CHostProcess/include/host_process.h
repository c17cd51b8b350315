#ifndef IMAGEGATE_HOST_PROCESS_H
#define IMAGEGATE_HOST_PROCESS_H

/// Makes the calling process the reaper of its orphaned descendants
/// (prctl PR_SET_CHILD_SUBREAPER, which Swift cannot call: prctl is
/// variadic). Returns 0, or -1 with errno set.
int imagegate_become_child_subreaper(void);

/// 0 when this process entered a mount namespace of its own at load time
/// (see private_mounts.c), so that mounts it makes are seen by nobody else;
/// otherwise the errno that stopped it (EPERM when not root, ENOENT when
/// the host has no /dev/kvm, so nothing would ever be masked).
int imagegate_private_mounts_errno(void);

#endif
