/* Descriptor hygiene at start-up. */
#ifndef IEVS_FDS_H
#define IEVS_FDS_H

/* Opens /dev/null on whichever of fds 0-2 is closed. */
void fds_sanitize_std(void);
/* Closes every descriptor from lowfd up. */
void fds_close_from(int lowfd);

#endif
