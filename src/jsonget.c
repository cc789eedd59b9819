/* Typed access to a parsed JSON document (see jsonget.h). */
#include "jsonget.h"

#include <json-c/json.h>
#include <math.h>

struct json_object *jsonget_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

struct json_object *jsonget_obj(struct json_object *o, const char *key)
{
	struct json_object *v = jsonget_member(o, key);

	return json_object_is_type(v, json_type_object) ? v : NULL;
}

struct json_object *jsonget_arr(struct json_object *o, const char *key)
{
	struct json_object *v = jsonget_member(o, key);

	return json_object_is_type(v, json_type_array) ? v : NULL;
}

const char *jsonget_str(struct json_object *o, const char *key)
{
	struct json_object *v = jsonget_member(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool jsonget_int(struct json_object *o, const char *key, int64_t *ret)
{
	struct json_object *v = jsonget_member(o, key);
	double d;

	if (json_object_is_type(v, json_type_int)) {
		*ret = json_object_get_int64(v);
		return true;
	}
	if (!json_object_is_type(v, json_type_double))
		return false;
	d = json_object_get_double(v);
	/* Converting a double outside int64_t is undefined behaviour: -2^63
	 * is exact, 2^63 is the first value past the top. */
	if (!isfinite(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
		return false;
	*ret = (int64_t)d;
	return true;
}

int64_t jsonget_int_or(struct json_object *o, const char *key, int64_t def)
{
	int64_t v;

	return jsonget_int(o, key, &v) ? v : def;
}

bool jsonget_num(struct json_object *o, const char *key, double *ret)
{
	struct json_object *v = jsonget_member(o, key);

	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return false;
	*ret = json_object_get_double(v);
	return true;
}

bool jsonget_bool(struct json_object *o, const char *key, bool *ret)
{
	struct json_object *v = jsonget_member(o, key);

	if (!json_object_is_type(v, json_type_boolean))
		return false;
	*ret = json_object_get_boolean(v);
	return true;
}

const char *jsonget_scalar(struct json_object *o, const char *key, const char *def)
{
	struct json_object *v = jsonget_member(o, key);

	if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int))
		return json_object_get_string(v);
	return def;
}
