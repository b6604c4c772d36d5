/* SPDX-License-Identifier: MIT */
/* watchfiles-backend.h: everything a backend module needs, and nothing else.
 * Backend sources define WATCHFILES_BACKEND_COMPILATION and include this. */
#pragma once

#define WATCHFILES_INSIDE
#include "wf-version-macros.h"
#include "wf-version.h"
#include "wf-error.h"
#include "wf-types.h"
#include "wf-ignore-rules.h"
#include "wf-sink.h"
#include "wf-backend.h"
#undef WATCHFILES_INSIDE
