/* Capabilities of this process (libcap-ng): what it holds, keeping only
 * some, dropping all. */
#pragma once

#include <stdbool.h>

/* Whether the process holds cap (CAP_*) in its permitted set. */
bool caps_have(int cap);

/* Keeps only the capabilities listed (effective and permitted; -1 ends the
 * list), clears the inheritable and ambient sets, and sets
 * PR_SET_NO_NEW_PRIVS: for good. 0 or -errno. */
int caps_keep_only(const int *caps);

/* caps_keep_only with an empty list: no capability left in any set. */
int caps_drop_all(void);
