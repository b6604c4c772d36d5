/* wf-error.c: the WF_ERROR domain. */
#include "config.h"

#include "wf-error.h"

G_DEFINE_QUARK (wf-error-quark, wf_error)
