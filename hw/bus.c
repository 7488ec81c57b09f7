/* The device bus: a short table of guest-physical windows, each served by one device.
 * Every access is checked here before a device sees it (invariant 6): the device gets
 * an offset inside its window and a size it can rely on. */
#include <errno.h>
#include <string.h>

#include "hw/hw.h"

void hw_bus_init(struct hw_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

/* [base, base + size) is a valid window: not empty, not wrapping past 2^64. */
static bool hw_bus_window_ok(uint64_t base, uint64_t size)
{
    return size != 0 && base + size - 1 >= base;
}

static bool hw_bus_overlaps(const struct hw_region *r, uint64_t base, uint64_t size)
{
    /* Both windows are valid, so their last bytes cannot overflow. */
    return base <= r->base + r->size - 1 && r->base <= base + size - 1;
}

int hw_bus_map(struct hw_bus *bus, uint64_t base, uint64_t size, const struct hw_ops *ops,
               void *opaque)
{
    if (!hw_bus_window_ok(base, size))
        return -EINVAL;
    for (unsigned i = 0; i < bus->n; i++)
        if (hw_bus_overlaps(&bus->region[i], base, size))
            return -EEXIST;
    if (bus->n >= HW_MAX_REGIONS)
        return -ENOSPC;
    bus->region[bus->n++] =
        (struct hw_region){.base = base, .size = size, .ops = ops, .opaque = opaque};
    return 0;
}

static bool hw_bus_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

/* The index of the window holding the whole access, or -1. */
static int hw_bus_index(const struct hw_bus *bus, uint64_t addr, unsigned size)
{
    if (size == 0 || addr + (size - 1) < addr)
        return -1; /* empty, or wraps past 2^64 */
    for (unsigned i = 0; i < bus->n; i++) {
        const struct hw_region *r = &bus->region[i];
        /* The whole access inside the window: an access that straddles its end is
         * nobody's (written so that nothing overflows). */
        if (addr >= r->base && addr - r->base <= r->size - size && size <= r->size)
            return (int)i;
    }
    return -1;
}

const struct hw_region *hw_bus_find(const struct hw_bus *bus, uint64_t addr, unsigned size)
{
    int i = hw_bus_index(bus, addr, size);
    return i < 0 ? NULL : &bus->region[i];
}

/* The window a guest access of a valid size goes to (counted), or NULL. */
static struct hw_region *hw_bus_access(struct hw_bus *bus, uint64_t addr, unsigned size, bool write)
{
    int i = hw_bus_size_ok(size) ? hw_bus_index(bus, addr, size) : -1;
    if (i < 0)
        return NULL;
    struct hw_region *r = &bus->region[i];
    if (write)
        r->writes++;
    else
        r->reads++;
    return r;
}

/* The bytes of an access: a device may answer with a whole register, the bus keeps
 * the size bytes that were asked for. */
static uint64_t hw_bus_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* The size each piece of an access has for this device (see hw_ops.max_size). */
static unsigned hw_bus_piece(const struct hw_region *r, unsigned size)
{
    unsigned max = r->ops->max_size ? r->ops->max_size : 8;
    return size > max ? max : size;
}

bool hw_bus_read(struct hw_bus *bus, uint64_t addr, unsigned size, uint64_t *value)
{
    *value = 0;
    const struct hw_region *r = hw_bus_access(bus, addr, size, false);
    if (!r || !r->ops->read)
        return false;
    unsigned piece = hw_bus_piece(r, size);
    uint64_t v = 0;
    for (unsigned done = 0; done < size; done += piece) {
        uint64_t part = 0;
        if (!r->ops->read(r->opaque, addr - r->base + done, piece, &part))
            return false;
        v |= (part & hw_bus_mask(piece)) << (8 * done);
    }
    *value = v & hw_bus_mask(size);
    return true;
}

bool hw_bus_write(struct hw_bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
    const struct hw_region *r = hw_bus_access(bus, addr, size, true);
    if (!r || !r->ops->write)
        return false;
    unsigned piece = hw_bus_piece(r, size);
    for (unsigned done = 0; done < size; done += piece)
        if (!r->ops->write(r->opaque, addr - r->base + done, piece,
                           (value >> (8 * done)) & hw_bus_mask(piece)))
            return false;
    return true;
}

int hw_bus_connect_irq(struct hw_bus *bus, uint64_t base, unsigned irq)
{
    for (unsigned i = 0; i < bus->n; i++) {
        if (bus->region[i].base != base)
            continue;
        if (!irq || !bus->region[i].ops->irq_level)
            return -EINVAL;
        bus->region[i].irq = irq;
        bus->region[i].irq_level = false;
        return 0;
    }
    return -ENOENT;
}

bool hw_bus_sync_irqs(struct hw_bus *bus, bool (*set)(void *arg, unsigned irq, bool level),
                      void *arg)
{
    bool all = true;
    for (unsigned i = 0; i < bus->n; i++) {
        struct hw_region *r = &bus->region[i];
        if (!r->irq)
            continue;
        bool level = r->ops->irq_level(r->opaque);
        if (level == r->irq_level)
            continue;
        if (set(arg, r->irq, level))
            r->irq_level = level;
        else
            all = false;
    }
    return all;
}

bool hw_bus_next_deadline(struct hw_bus *bus, int64_t *delay_ns)
{
    bool any = false;
    for (unsigned i = 0; i < bus->n; i++) {
        struct hw_region *r = &bus->region[i];
        int64_t d;
        if (r->irq && r->ops->irq_deadline && r->ops->irq_deadline(r->opaque, &d) &&
            (!any || d < *delay_ns)) {
            *delay_ns = d;
            any = true;
        }
    }
    return any;
}

/* True when an earlier window belongs to the same device: a device mapped in several
 * windows (a GIC's distributor and CPU interface) is reset and destroyed once. */
static bool hw_bus_seen(const struct hw_bus *bus, unsigned i)
{
    for (unsigned j = 0; j < i; j++)
        if (bus->region[j].opaque == bus->region[i].opaque &&
            bus->region[j].ops == bus->region[i].ops)
            return true;
    return false;
}

void hw_bus_reset(struct hw_bus *bus)
{
    for (unsigned i = 0; i < bus->n; i++)
        bus->region[i].irq_level = false; /* as the interrupt controller's reset has it */
    for (unsigned i = 0; i < bus->n; i++)
        if (bus->region[i].ops->reset && !hw_bus_seen(bus, i))
            bus->region[i].ops->reset(bus->region[i].opaque);
}

void hw_bus_destroy(struct hw_bus *bus)
{
    for (unsigned i = 0; i < bus->n; i++)
        if (bus->region[i].ops->destroy && !hw_bus_seen(bus, i))
            bus->region[i].ops->destroy(bus->region[i].opaque);
    bus->n = 0;
}
