/* Typed, forgiving access to a parsed JSON document: every getter answers
 * "absent" (NULL, false, the default) for a missing key, a value of another
 * type or a number out of range, so that a document from an older or newer
 * daemon, or a corrupt one, renders with gaps, never a crash. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct json_object;

/* o[key] of any type; NULL when o is not an object or has no such key. */
struct json_object *jsonget_member(struct json_object *o, const char *key);
/* o[key] when it is an object, an array, a string. */
struct json_object *jsonget_obj(struct json_object *o, const char *key);
struct json_object *jsonget_arr(struct json_object *o, const char *key);
const char *jsonget_str(struct json_object *o, const char *key);
/* o[key] as an integer: an int, or a double that is finite and within
 * int64_t (cut towards zero). false otherwise, *ret untouched. */
bool jsonget_int(struct json_object *o, const char *key, int64_t *ret);
int64_t jsonget_int_or(struct json_object *o, const char *key, int64_t def);
/* o[key] as a double: an int or a double. */
bool jsonget_num(struct json_object *o, const char *key, double *ret);
bool jsonget_bool(struct json_object *o, const char *key, bool *ret);
/* A string or an int as text ("host", "4026531840": netns ids come as
 * either); def otherwise. */
const char *jsonget_scalar(struct json_object *o, const char *key, const char *def);
