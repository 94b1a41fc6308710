/* model_dir.c: where installed models live, apart from the downloader in model.c so that
 * programs which only read models (hooks) do not link libcurl (see model.h). */
#include "model.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "settings.h"
#include "util.h"

int model_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > MODEL_NAME_MAX || name[0] == '.') return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i])) return 0;
    return 1;
}

int model_dir(const char *home, const char *name, char *out, size_t n, mem0_err *err)
{
    if (!model_name_valid(name))
        return err_set(err, MEM0_EINVAL,
                       "bad model name \"%.80s\": use letters, digits, '.', '_' and '-' (at most "
                       "%d, not starting with '.')",
                       name, MODEL_NAME_MAX);
    char h[PATH_MAX];
    if (!home || !*home) {
        settings_home(h, sizeof h);
        home = h;
    }
    if ((size_t)snprintf(out, n, "%s/models/%s", home, name) >= n)
        return err_set(err, MEM0_EINVAL, "model folder path is too long");
    return 0;
}
