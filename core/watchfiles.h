/* SPDX-License-Identifier: MIT */
/* watchfiles.h: the one header applications include. */
#pragma once

#define WATCHFILES_INSIDE
#include "wf-version-macros.h"
#include "wf-version.h"
#include "wf-enum-types.h"
#include "wf-error.h"
#include "wf-types.h"
#include "wf-file-change.h"
#include "wf-ignore-rules.h"
#include "wf-backend-info.h"
#include "wf-status.h"
#include "wf-notify.h"
#include "wf-state.h"
#undef WATCHFILES_INSIDE
