#include <guestfs.h>

/* A handle without libguestfs's exit handler, which closes every handle
   still open when the process exits, on whatever thread calls exit():
   ImageGate closes each handle itself (Handle.close or its deinit), and the
   two closes of one handle raced. guestfs_create_flags is variadic, which
   Swift cannot call. */
static inline guestfs_h *imagegate_guestfs_create(void) {
  return guestfs_create_flags(GUESTFS_CREATE_NO_CLOSE_ON_EXIT);
}
