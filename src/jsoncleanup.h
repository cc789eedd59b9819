/* Scope-bound release of json-c objects:
 *   _cleanup_json_ struct json_object *doc = NULL;
 * puts doc on every way out of the block (NULL is fine). */
#pragma once

#include <json-c/json.h>

static inline void json_object_putp(struct json_object **o)
{
	json_object_put(*o);
}

#define _cleanup_json_ __attribute__((cleanup(json_object_putp)))
