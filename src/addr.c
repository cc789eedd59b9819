/* Addresses and endpoints to text and back; see addr.h. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

const char *addr_str(int family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *addr_endpoint_str(int family, const uint8_t *addr, uint16_t port,
			      char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	addr_str(family, addr, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

const char *addr_listener_str(int family, const uint8_t *addr, uint16_t port, const char *path,
			      char *buf, size_t len)
{
	if (family == AF_UNIX) {
		snprintf(buf, len, "%s", path ? path : "");
		return buf;
	}
	return addr_endpoint_str(family, addr, port, buf, len);
}

int addr_endpoint_parse(const char *s, int *ret_family, uint8_t ret_addr[16],
			uint16_t *ret_port, bool *ret_wildcard)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *portstr;
	uint8_t addr[16] = { 0 };
	int family = 0;
	bool wildcard = false;
	uint64_t port;
	size_t hl;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		if (inet_pton(AF_INET6, host, addr) != 1)
			return -EINVAL;
		family = AF_INET6;
		portstr = rb + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = 0;
		if (strcmp(host, "*") == 0)
			wildcard = true;
		else if (inet_pton(AF_INET, host, addr) == 1)
			family = AF_INET;
		else
			return -EINVAL;
		portstr = colon + 1;
	}
	if (text_parse_u64(portstr, strlen(portstr), 65535, &port) < 0)
		return -EINVAL;

	*ret_family = family;
	memcpy(ret_addr, addr, 16);
	*ret_port = (uint16_t)port;
	*ret_wildcard = wildcard;
	return 0;
}
