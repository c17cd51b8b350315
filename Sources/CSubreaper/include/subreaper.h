#ifndef IMAGEGATE_SUBREAPER_H
#define IMAGEGATE_SUBREAPER_H

/// Makes the calling process the reaper of its orphaned descendants
/// (prctl PR_SET_CHILD_SUBREAPER, which Swift cannot call: prctl is
/// variadic). Returns 0, or -1 with errno set.
int imagegate_become_child_subreaper(void);

#endif
