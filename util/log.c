/* Logging: -d items select what is shown, -D FILE sends it to a file. */
#include "util/util.h"

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <string.h>

/* Process-wide log sink: the one piece of mutable global state util/ keeps,
 * set once at start-up, before any other thread or process exists. */
static struct {
    char tag[32];
    uint32_t items;
    FILE *file;
} log_state = {"percore", 0, NULL};

static const struct {
    const char *name;
    const char *help;
} log_item_table[] = {
#define LOG_ITEM_ROW(id, name, help) {name, help},
    LOG_ITEMS(LOG_ITEM_ROW)
#undef LOG_ITEM_ROW
};

bool log_parse_items(const char *list, uint32_t *mask, char **bad)
{
    gchar **parts = g_strsplit(list, ",", -1);
    uint32_t m = 0;
    bool ok = true;
    for (gchar **p = parts; *p && ok; p++) {
        bool found = false;
        for (unsigned i = 0; i < LOG_BIT_COUNT; i++) {
            if (strcmp(*p, log_item_table[i].name) == 0) {
                m |= 1u << i;
                found = true;
            }
        }
        if (!found) {
            *bad = g_strdup(*p);
            ok = false;
        }
    }
    g_strfreev(parts);
    *mask = m;
    return ok;
}

void log_print_items(FILE *out)
{
    fprintf(out, "Log items (comma separated):\n");
    for (unsigned i = 0; i < LOG_BIT_COUNT; i++)
        fprintf(out, "%-12s %s\n", log_item_table[i].name, log_item_table[i].help);
}

int log_init(const char *tag, uint32_t items, const char *file)
{
    g_strlcpy(log_state.tag, tag, sizeof(log_state.tag));
    log_state.items = items;
    if (log_state.file) {
        fclose(log_state.file);
        log_state.file = NULL;
    }
    if (file) {
        log_state.file = fopen(file, "ae");
        if (!log_state.file)
            return -errno;
        setvbuf(log_state.file, NULL, _IOLBF, 0);
    }
    return 0;
}

bool log_enabled(uint32_t item)
{
    return (log_state.items & item) != 0;
}

static void log_vline(FILE *out, const char *fmt, va_list ap)
{
    /* One write per line, so that lines from several processes do not interleave. */
    char buf[8192]; /* a crash report is one message of several lines */
    int n = snprintf(buf, sizeof(buf), "%s: ", log_state.tag);
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(buf) - 2)
        len = sizeof(buf) - 2;
    buf[len++] = '\n';
    fwrite(buf, 1, len, out);
    fflush(out);
}

void log_item(uint32_t item, const char *fmt, ...)
{
    if (!log_enabled(item))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vline(log_state.file ? log_state.file : stderr, fmt, ap);
    va_end(ap);
}

void log_notice(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vline(stderr, fmt, ap);
    va_end(ap);
    if (log_state.file) {
        va_start(ap, fmt);
        log_vline(log_state.file, fmt, ap);
        va_end(ap);
    }
}
