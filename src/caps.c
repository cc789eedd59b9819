/* Capability handling through libcap-ng (see caps.h). */
#include <cap-ng.h>
#include <errno.h>
#include <sys/prctl.h>

#include "caps.h"

bool caps_have(int cap)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_PERMITTED, (unsigned)cap) != 0;
}

int caps_keep_only(const int *caps)
{
	capng_clear(CAPNG_SELECT_BOTH);
	for (const int *c = caps; *c >= 0; c++)
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)*c) < 0)
			return -EINVAL;
	/* CAPNG_SELECT_CAPS changes effective, permitted and inheritable
	 * (all cleared but what was added); the ambient set is cleared apart,
	 * and the bounding set is left to the service manager (dropping from
	 * it needs CAP_SETPCAP, which nobody here holds). */
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return -EPERM;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int caps_drop_all(void)
{
	static const int none[] = { -1 };

	return caps_keep_only(none);
}
