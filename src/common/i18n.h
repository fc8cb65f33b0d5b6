/* gettext wrappers: every user-facing message goes through _(). */
#ifndef IEVS_I18N_H
#define IEVS_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

#endif
