/* Small host helpers: sizes, process identity, clocks. */
#include "util/util.h"

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool util_parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
    if (!s || !g_ascii_isdigit(*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    /* A fraction ("1.5G") as qemu takes it: whole bytes, rounded down. */
    double frac = 0;
    if (*end == '.') {
        char *fend;
        frac = g_ascii_strtod(end, &fend);
        if (fend == end + 1 || !g_ascii_isdigit(end[1]))
            return false;
        end = fend;
    }
    uint64_t unit = default_unit;
    if (*end) {
        switch (*end) {
        case 'k':
        case 'K': unit = 1ull << 10; break;
        case 'm':
        case 'M': unit = 1ull << 20; break;
        case 'g':
        case 'G': unit = 1ull << 30; break;
        case 't':
        case 'T': unit = 1ull << 40; break;
        case 'b':
        case 'B': unit = 1; break;
        default: return false;
        }
        if (end[1])
            return false;
    }
    if (v > UINT64_MAX / unit || (frac > 0 && v + 1 > UINT64_MAX / unit))
        return false;
    *out = v * unit + (uint64_t)(frac * (double)unit);
    return true;
}

bool util_proc_starttime(pid_t pid, uint64_t *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* comm (field 2) may hold spaces and ')': fields resume after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    p++;
    /* After ')' come fields 3..; starttime is field 22, the 20th from here. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return false;
    }
    return sscanf(p, " %" SCNu64, start) == 1;
}

bool util_parse_options(int argc, char **argv, const char *summary,
                        const struct _GOptionEntry *entries)
{
    GOptionContext *ctx = g_option_context_new(summary);
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    bool ok = g_option_context_parse(ctx, &argc, &argv, &err);
    g_option_context_free(ctx);
    if (!ok) {
        log_notice("%s", err->message);
        g_error_free(err);
    }
    return ok;
}

uint64_t util_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
