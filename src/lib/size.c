#include "lib/size.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* What strconv.ParseFloat takes in base 10: [+-] digits [. digits] [(e|E) [+-] digits], at least one
 * mantissa digit. */
static bool decimal_float(const char *s, size_t len)
{
        size_t i = 0, digits = 0;

        if (i < len && (s[i] == '+' || s[i] == '-'))
                i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
                digits++;
        if (i < len && s[i] == '.')
                for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
                        digits++;
        if (digits == 0)
                return false;
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
                size_t exp_digits = 0;
                i++;
                if (i < len && (s[i] == '+' || s[i] == '-'))
                        i++;
                for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
                        exp_digits++;
                if (exp_digits == 0)
                        return false;
        }
        return i == len;
}

static int lower(int c)
{
        return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int size_parse(const char *s, unsigned flags, int64_t *out)
{
        static const char prefixes[] = "kmgtp";
        size_t len, sep, num_len;
        const char *sfx, *p;
        cleanup_free char *num = NULL;
        double value, base = (flags & SIZE_DECIMAL) ? 1000.0 : 1024.0;
        char *end = NULL;

        if (s == NULL)
                return -EINVAL;
        if ((flags & SIZE_MINUS_ONE) && strcmp(s, "-1") == 0) {
                *out = -1;
                return 0;
        }
        /* go-units: the number ends at the last digit, dot or space; a space there separates the suffix. */
        len = strlen(s);
        for (sep = len; sep > 0; sep--)
                if ((s[sep - 1] >= '0' && s[sep - 1] <= '9') || s[sep - 1] == '.' || s[sep - 1] == ' ')
                        break;
        if (sep == 0)
                return -EINVAL;
        sep--;
        num_len = s[sep] == ' ' ? sep : sep + 1;
        sfx = s + sep + 1;
        if (!decimal_float(s, num_len))
                return -EINVAL;
        num = xstrndup(s, num_len);
        errno = 0;
        value = strtod(num, &end);
        if (end != num + num_len)
                return -EINVAL;
        if (errno == ERANGE && (value > 1.0 || value < -1.0))
                return -ERANGE; /* overflow; an underflow is 0, as for Go */
        if (value < 0)
                return -EINVAL; /* go-units: negative sizes are refused */
        if (*sfx != '\0') {
                size_t sfx_len = strlen(sfx);
                if (sfx_len > 3)
                        return -EINVAL;
                if (lower(sfx[0]) == 'b') {
                        if (sfx_len > 1)
                                return -EINVAL;
                } else {
                        if ((p = strchr(prefixes, lower(sfx[0]))) == NULL)
                                return -EINVAL;
                        if (sfx_len == 2 && lower(sfx[1]) != 'b')
                                return -EINVAL;
                        if (sfx_len == 3 && (lower(sfx[1]) != 'i' || lower(sfx[2]) != 'b'))
                                return -EINVAL;
                        for (long i = 0; i <= p - prefixes; i++)
                                value *= base;
                }
        }
        if (value >= 9223372036854775808.0)
                return -ERANGE;
        *out = (int64_t) value;
        return 0;
}
