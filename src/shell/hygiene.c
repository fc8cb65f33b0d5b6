/* Start-up hygiene of the shell. */
#include "config.h"

#include "hygiene.h"
