/* Start-up hygiene of the shell: file descriptors, environment, signals. */
#ifndef IEVS_HYGIENE_H
#define IEVS_HYGIENE_H

#endif
