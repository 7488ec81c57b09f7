/* hw/: the bus (mapping, overlap, bounds) and the PL011 as the guest sees it. */
#include <errno.h>
#include <glib.h>

#include "hw/hw.h"

#define UART 0x09000000ull

/* A device that records its last access and answers only at offsets below 0x10. */
struct probe {
    uint64_t offset, value;
    unsigned size, resets, destroys;
};

static bool probe_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct probe *p = opaque;
    p->offset = offset;
    p->size = size;
    *value = 0x1122334455667788ull; /* more bytes than asked: the bus cuts them */
    return offset < 0x10;
}

static bool probe_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct probe *p = opaque;
    p->offset = offset;
    p->size = size;
    p->value = value;
    return offset < 0x10;
}

static void probe_reset(void *opaque)
{
    ((struct probe *)opaque)->resets++;
}

static void probe_destroy(void *opaque)
{
    ((struct probe *)opaque)->destroys++;
}

static const struct hw_ops probe_ops = {.name = "probe",
                                        .read = probe_read,
                                        .write = probe_write,
                                        .reset = probe_reset,
                                        .destroy = probe_destroy};

/* A 32-bit device that records every piece it is given. */
struct piece_log {
    unsigned n;
    uint64_t offset[4], value[4];
    unsigned size[4];
};

static bool piece_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct piece_log *l = opaque;
    l->offset[l->n] = offset;
    l->size[l->n++] = size;
    *value = 0xa0000000u | (uint32_t)offset;
    return true;
}

static bool piece_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct piece_log *l = opaque;
    l->offset[l->n] = offset;
    l->value[l->n] = value;
    l->size[l->n++] = size;
    return true;
}

static const struct hw_ops piece_ops = {
    .name = "piece", .read = piece_read, .write = piece_write, .max_size = 4};

/* A device whose interrupt output is a flag the test sets. */
static bool flag_level(void *opaque)
{
    return *(bool *)opaque;
}

static const struct hw_ops flag_ops = {.name = "flag", .irq_level = flag_level};

struct irq_log {
    unsigned n, irq[8];
    bool level[8];
};

static bool irq_log_set(void *arg, unsigned irq, bool level)
{
    struct irq_log *l = arg;
    l->irq[l->n] = irq;
    l->level[l->n++] = level;
    return true;
}

static bool irq_refuse(void *arg, unsigned irq, bool level)
{
    ++*(unsigned *)arg;
    return false;
}

/* Wired outputs are passed on when they change, once per change, and a reset
 * starts them from low again. */
static void test_bus_irqs(void)
{
    struct hw_bus bus;
    bool a = false, b = false;
    struct irq_log log = {0};
    hw_bus_init(&bus);
    g_assert_cmpint(hw_bus_map(&bus, 0x1000, 0x100, &flag_ops, &a), ==, 0);
    g_assert_cmpint(hw_bus_map(&bus, 0x2000, 0x100, &flag_ops, &b), ==, 0);
    g_assert_cmpint(hw_bus_connect_irq(&bus, 0x1000, 33), ==, 0);
    g_assert_cmpint(hw_bus_connect_irq(&bus, 0x3000, 34), ==, -ENOENT);
    g_assert_cmpint(hw_bus_connect_irq(&bus, 0x2000, 0), ==, -EINVAL);
    hw_bus_sync_irqs(&bus, irq_log_set, &log);
    g_assert_cmpuint(log.n, ==, 0);
    a = b = true; /* b is not wired: nothing for it */
    hw_bus_sync_irqs(&bus, irq_log_set, &log);
    hw_bus_sync_irqs(&bus, irq_log_set, &log);
    g_assert_cmpuint(log.n, ==, 1);
    g_assert_cmpuint(log.irq[0], ==, 33);
    g_assert_true(log.level[0]);
    a = false;
    hw_bus_sync_irqs(&bus, irq_log_set, &log);
    g_assert_cmpuint(log.n, ==, 2);
    g_assert_false(log.level[1]);
    a = true;
    unsigned refused = 0; /* a refused change is offered again */
    g_assert_false(hw_bus_sync_irqs(&bus, irq_refuse, &refused));
    g_assert_false(hw_bus_sync_irqs(&bus, irq_refuse, &refused));
    g_assert_cmpuint(refused, ==, 2);
    g_assert_true(hw_bus_sync_irqs(&bus, irq_log_set, &log));
    hw_bus_reset(&bus); /* the controller forgot the line: it is passed on again */
    hw_bus_sync_irqs(&bus, irq_log_set, &log);
    g_assert_cmpuint(log.n, ==, 4);
    g_assert_true(log.level[3]);
    hw_bus_destroy(&bus);
}

/* The bus splits an access larger than hw_ops.max_size, lowest address first. */
static void test_bus_split(void)
{
    struct hw_bus bus;
    struct piece_log l = {0};
    hw_bus_init(&bus);
    g_assert_cmpint(hw_bus_map(&bus, 0x2000, 0x100, &piece_ops, &l), ==, 0);
    uint64_t v;
    g_assert_true(hw_bus_read(&bus, 0x2010, 8, &v));
    g_assert_cmpuint(l.n, ==, 2);
    g_assert_cmpuint(l.offset[0], ==, 0x10);
    g_assert_cmpuint(l.offset[1], ==, 0x14);
    g_assert_cmpuint(l.size[0], ==, 4);
    g_assert_cmphex(v, ==, 0xa0000014a0000010ull);
    l.n = 0;
    g_assert_true(hw_bus_write(&bus, 0x2020, 8, 0x1111111122222222ull));
    g_assert_cmpuint(l.n, ==, 2);
    g_assert_cmphex(l.value[0], ==, 0x22222222u);
    g_assert_cmphex(l.value[1], ==, 0x11111111u);
    g_assert_cmpuint(l.offset[1], ==, 0x24);
    l.n = 0;
    g_assert_true(hw_bus_read(&bus, 0x2030, 2, &v)); /* small ones pass whole */
    g_assert_cmpuint(l.n, ==, 1);
    g_assert_cmpuint(l.size[0], ==, 2);
    hw_bus_destroy(&bus);
}

static void test_bus_map(void)
{
    struct hw_bus bus;
    struct probe p = {0};
    hw_bus_init(&bus);
    g_assert_cmpint(hw_bus_map(&bus, 0x1000, 0x100, &probe_ops, &p), ==, 0);
    g_assert_cmpint(hw_bus_map(&bus, 0x1100, 0x100, &probe_ops, &p), ==, 0); /* adjacent */
    g_assert_cmpint(hw_bus_map(&bus, 0x10ff, 2, &probe_ops, &p), ==, -EEXIST);
    g_assert_cmpint(hw_bus_map(&bus, 0x0800, 0x1000, &probe_ops, &p), ==, -EEXIST);
    g_assert_cmpint(hw_bus_map(&bus, 0x0000, ~0ull, &probe_ops, &p), ==, -EEXIST);
    g_assert_cmpint(hw_bus_map(&bus, 0x3000, 0, &probe_ops, &p), ==, -EINVAL);
    g_assert_cmpint(hw_bus_map(&bus, ~0ull - 0xf, 0x20, &probe_ops, &p), ==, -EINVAL);
    g_assert_cmpint(hw_bus_map(&bus, ~0ull - 0xf, 0x10, &probe_ops, &p), ==, 0); /* the top */
    for (unsigned i = bus.n; i < HW_MAX_REGIONS; i++)
        g_assert_cmpint(hw_bus_map(&bus, 0x10000 * (i + 1), 0x10, &probe_ops, &p), ==, 0);
    g_assert_cmpint(hw_bus_map(&bus, 0x9000000, 0x10, &probe_ops, &p), ==, -ENOSPC);

    const struct hw_region *r = hw_bus_find(&bus, 0x1100, 4);
    g_assert_nonnull(r);
    g_assert_cmphex(r->base, ==, 0x1100);
    g_assert_null(hw_bus_find(&bus, 0x0fff, 1));
    g_assert_null(hw_bus_find(&bus, 0x11fe, 4)); /* straddles the window's end */
    g_assert_nonnull(hw_bus_find(&bus, 0x11fc, 4));
    g_assert_nonnull(hw_bus_find(&bus, ~0ull, 1));
    g_assert_null(hw_bus_find(&bus, ~0ull, 2)); /* wraps past 2^64 */
    g_assert_null(hw_bus_find(&bus, 0x1000, 0));

    hw_bus_reset(&bus);
    g_assert_cmpuint(p.resets, ==, 1); /* one device, many windows: reset once */
    hw_bus_destroy(&bus);
    g_assert_cmpuint(p.destroys, ==, 1);
    g_assert_cmpuint(bus.n, ==, 0);
}

static void test_bus_access(void)
{
    struct hw_bus bus;
    struct probe p = {0};
    uint64_t v = 1;
    hw_bus_init(&bus);
    g_assert_cmpint(hw_bus_map(&bus, 0x2000, 0x100, &probe_ops, &p), ==, 0);

    g_assert_true(hw_bus_read(&bus, 0x2004, 2, &v));
    g_assert_cmphex(p.offset, ==, 4);
    g_assert_cmpuint(p.size, ==, 2);
    g_assert_cmphex(v, ==, 0x7788);
    g_assert_true(hw_bus_read(&bus, 0x2008, 8, &v));
    g_assert_cmphex(v, ==, 0x1122334455667788ull);
    g_assert_true(hw_bus_write(&bus, 0x2001, 1, 0xabcd));
    g_assert_cmphex(p.value, ==, 0xcd);

    /* Refused by the device, outside every window, bad sizes, straddling: no answer. */
    g_assert_false(hw_bus_read(&bus, 0x2010, 4, &v));
    g_assert_cmphex(v, ==, 0);
    g_assert_false(hw_bus_write(&bus, 0x2010, 4, 1));
    g_assert_false(hw_bus_read(&bus, 0x1ffc, 4, &v));
    g_assert_false(hw_bus_write(&bus, 0x3000, 4, 1));
    g_assert_false(hw_bus_read(&bus, 0x2000, 3, &v));
    g_assert_false(hw_bus_read(&bus, 0x2000, 16, &v));
    g_assert_false(hw_bus_write(&bus, 0x2000, 0, 1));
    g_assert_false(hw_bus_read(&bus, 0x20fe, 4, &v));
    g_assert_false(hw_bus_read(&bus, ~0ull - 1, 4, &v));
    hw_bus_destroy(&bus);
}

/* ---- PL011 ---- */

struct uart_fixture {
    struct hw_bus bus;
    GByteArray *out;
    void *dev;
    unsigned rx_ready; /* calls of the rx_ready callback */
};

static void uart_tx(void *arg, uint8_t byte)
{
    g_byte_array_append(arg, &byte, 1);
}

static void uart_setup(struct uart_fixture *f, gconstpointer data)
{
    f->out = g_byte_array_new();
    f->dev = pl011_create(uart_tx, f->out);
    f->rx_ready = 0;
    hw_bus_init(&f->bus);
    g_assert_cmpint(hw_bus_map(&f->bus, UART, PL011_SIZE, &pl011_ops, f->dev), ==, 0);
}

static void uart_teardown(struct uart_fixture *f, gconstpointer data)
{
    hw_bus_destroy(&f->bus);
    g_byte_array_unref(f->out);
}

static uint64_t rd(struct uart_fixture *f, uint64_t off, unsigned size)
{
    uint64_t v = 0xdead;
    g_assert_true(hw_bus_read(&f->bus, UART + off, size, &v));
    return v;
}

static void wr(struct uart_fixture *f, uint64_t off, unsigned size, uint64_t v)
{
    g_assert_true(hw_bus_write(&f->bus, UART + off, size, v));
}

static void test_uart_tx(struct uart_fixture *f, gconstpointer data)
{
    wr(f, 0x000, 4, 'h');
    wr(f, 0x000, 1, 'i');   /* strb, as bare-metal code does */
    wr(f, 0x000, 4, 0x10a); /* only the low byte leaves */
    g_assert_cmpuint(f->out->len, ==, 3);
    g_assert_cmpmem(f->out->data, 3, "hi\n", 3);
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0x20); /* RIS: TXRIS up after a byte */
    g_assert_cmphex(rd(f, 0x040, 4), ==, 0);    /* MIS: masked */
    wr(f, 0x038, 4, 0x20);                      /* IMSC: TXIM */
    g_assert_cmphex(rd(f, 0x040, 4), ==, 0x20);
    wr(f, 0x044, 4, 0x20); /* ICR */
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0);
    g_assert_cmphex(rd(f, 0x040, 4), ==, 0);
}

static void test_uart_regs(struct uart_fixture *f, gconstpointer data)
{
    /* FR: TX FIFO empty and never full, RX FIFO empty, not busy. */
    uint64_t fr = rd(f, 0x018, 4);
    g_assert_cmphex(fr, ==, 0x90);
    g_assert_cmphex(fr & 0x20, ==, 0);           /* TXFF */
    g_assert_cmphex(fr & 0x08, ==, 0);           /* BUSY */
    g_assert_cmphex(rd(f, 0x019, 1), ==, 0x90);  /* a byte inside FR is FR's, as in qemu */
    g_assert_cmphex(rd(f, 0x000, 4), ==, 0);     /* nothing received */
    g_assert_cmphex(rd(f, 0x030, 4), ==, 0x300); /* CR: TXE | RXE after reset */
    g_assert_cmphex(rd(f, 0x034, 4), ==, 0x12);  /* IFLS */
    const struct {
        uint64_t off, v;
    } rw[] = {
        {0x020, 0x12},  {0x024, 0x27}, {0x028, 0x04},  {0x02c, 0x70},
        {0x030, 0x301}, {0x034, 0x09}, {0x038, 0x7ff}, {0x048, 0x4},
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(rw); i++) {
        wr(f, rw[i].off, 4, rw[i].v);
        g_assert_cmphex(rd(f, rw[i].off, 4), ==, rw[i].v);
    }
    wr(f, 0x004, 4, 0); /* ECR */
    g_assert_cmphex(rd(f, 0x004, 4), ==, 0);
    /* An 8-byte access is two 4-byte ones: IBRD then FBRD. */
    g_assert_cmphex(rd(f, 0x024, 8), ==, 0x0000000400000027ull);
    wr(f, 0x024, 8, 0x0000001100000022ull);
    g_assert_cmphex(rd(f, 0x024, 4), ==, 0x22);
    g_assert_cmphex(rd(f, 0x028, 4), ==, 0x11);
    hw_bus_reset(&f->bus);
    g_assert_cmphex(rd(f, 0x030, 4), ==, 0x300);
    g_assert_cmphex(rd(f, 0x024, 4), ==, 0);
    g_assert_cmphex(rd(f, 0x038, 4), ==, 0);
}

static void test_uart_ids(struct uart_fixture *f, gconstpointer data)
{
    static const uint8_t id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++)
        g_assert_cmphex(rd(f, 0xfe0 + 4 * i, 4), ==, id[i]);
}

/* Reserved and write-only offsets read 0, writes there and to read-only registers
 * change nothing; none of it faults or crashes. */
static void test_uart_bad_offsets(struct uart_fixture *f, gconstpointer data)
{
    const uint64_t reserved[] = {0x008, 0x00c, 0x010, 0x014, 0x01c, 0x04c, 0x100, 0xfdc};
    for (unsigned i = 0; i < G_N_ELEMENTS(reserved); i++) {
        g_assert_cmphex(rd(f, reserved[i], 4), ==, 0);
        wr(f, reserved[i], 4, 0xffffffff);
        g_assert_cmphex(rd(f, reserved[i], 4), ==, 0);
    }
    g_assert_cmphex(rd(f, 0x044, 4), ==, 0); /* ICR is write-only */
    wr(f, 0x018, 4, 0);                      /* FR is read-only */
    g_assert_cmphex(rd(f, 0x018, 4), ==, 0x90);
    wr(f, 0x03c, 4, 0x7ff); /* RIS, MIS too */
    wr(f, 0x040, 4, 0x7ff);
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0);
    wr(f, 0xfe0, 4, 0);
    g_assert_cmphex(rd(f, 0xfe0, 4), ==, 0x11);
    g_assert_cmpuint(f->out->len, ==, 0);
    uint64_t v;
    g_assert_false(hw_bus_read(&f->bus, UART + PL011_SIZE, 4, &v)); /* past the window */
    g_assert_false(hw_bus_read(&f->bus, UART + 0xffe, 4, &v));
}

static void uart_rx_ready(void *arg)
{
    ((struct uart_fixture *)arg)->rx_ready++;
}

/* FEN clear: a one-byte holding register. RXFE/RXFF, DR pop, RXRIS, can_receive. */
static void test_uart_rx_nofifo(struct uart_fixture *f, gconstpointer data)
{
    pl011_set_rx_ready(f->dev, uart_rx_ready, f);
    g_assert_cmpuint(pl011_can_receive(f->dev), ==, 1);
    g_assert_cmpuint(pl011_receive(f->dev, (const uint8_t *)"xy", 2), ==, 1);
    g_assert_cmpuint(pl011_can_receive(f->dev), ==, 0);
    g_assert_cmpuint(pl011_receive(f->dev, (const uint8_t *)"y", 1), ==, 0); /* full */
    g_assert_cmphex(rd(f, 0x018, 4), ==, 0xc0); /* FR: RXFF | TXFE, RXFE clear */
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0x10); /* RIS: RXRIS */
    g_assert_cmphex(rd(f, 0x040, 4), ==, 0);    /* MIS: masked */
    wr(f, 0x038, 4, 0x50);                      /* IMSC: RXIM | RTIM */
    g_assert_cmphex(rd(f, 0x040, 4), ==, 0x10);
    g_assert_cmpuint(f->rx_ready, ==, 0);
    g_assert_cmphex(rd(f, 0x000, 4), ==, 'x'); /* error bits 11:8 clear */
    g_assert_cmpuint(f->rx_ready, ==, 1);      /* room again: the backend is told */
    g_assert_cmphex(rd(f, 0x018, 4), ==, 0x90);
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0); /* emptied: RXRIS down */
    g_assert_cmphex(rd(f, 0x040, 4), ==, 0);
    g_assert_cmphex(rd(f, 0x000, 4), ==, 0); /* empty FIFO reads 0 */
    g_assert_cmpuint(pl011_can_receive(f->dev), ==, 1);
}

/* FEN set: 16 entries in order, RXFF at 16, ICR, and flush when FEN changes. */
static void test_uart_rx_fifo(struct uart_fixture *f, gconstpointer data)
{
    const uint8_t in[20] = "abcdefghijklmnopqrst";
    wr(f, 0x02c, 4, 0x70); /* LCR_H: 8 bits, FEN */
    g_assert_cmpuint(pl011_can_receive(f->dev), ==, 16);
    g_assert_cmpuint(pl011_receive(f->dev, in, 3), ==, 3);
    g_assert_cmpuint(pl011_can_receive(f->dev), ==, 13);
    g_assert_cmphex(rd(f, 0x018, 4), ==, 0x80); /* neither empty nor full */
    g_assert_cmpuint(pl011_receive(f->dev, in + 3, 17), ==, 13);
    g_assert_cmphex(rd(f, 0x018, 4), ==, 0xc0);
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0x10);
    wr(f, 0x044, 4, 0x10); /* ICR: RXRIS stays clear while data waits, as in qemu */
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0);
    for (unsigned i = 0; i < 16; i++) {
        g_assert_cmphex(rd(f, 0x018, 4) & 0x10, ==, 0);
        g_assert_cmphex(rd(f, 0x000, 1), ==, in[i]);
    }
    g_assert_cmphex(rd(f, 0x018, 4), ==, 0x90);
    /* Wrap-around, then a FEN change empties the FIFO. */
    g_assert_cmpuint(pl011_receive(f->dev, in, 5), ==, 5);
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0x10); /* refilled: RXRIS up again */
    g_assert_cmphex(rd(f, 0x000, 4), ==, 'a');
    wr(f, 0x02c, 4, 0x70); /* same FEN: nothing flushed */
    g_assert_cmphex(rd(f, 0x000, 4), ==, 'b');
    wr(f, 0x02c, 4, 0x60); /* FEN off: flushed */
    g_assert_cmphex(rd(f, 0x018, 4), ==, 0x90);
    g_assert_cmphex(rd(f, 0x000, 4), ==, 0);
    g_assert_cmpuint(pl011_can_receive(f->dev), ==, 1);
    /* A reset empties it too. */
    g_assert_cmpuint(pl011_receive(f->dev, in, 1), ==, 1);
    hw_bus_reset(&f->bus);
    g_assert_cmphex(rd(f, 0x018, 4), ==, 0x90);
    g_assert_cmphex(rd(f, 0x03c, 4), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hw/bus-irqs", test_bus_irqs);
    g_test_add_func("/hw/bus/map", test_bus_map);
    g_test_add_func("/hw/bus/access", test_bus_access);
    g_test_add_func("/hw/bus/split", test_bus_split);
    g_test_add("/hw/pl011/tx", struct uart_fixture, NULL, uart_setup, test_uart_tx, uart_teardown);
    g_test_add("/hw/pl011/regs", struct uart_fixture, NULL, uart_setup, test_uart_regs,
               uart_teardown);
    g_test_add("/hw/pl011/ids", struct uart_fixture, NULL, uart_setup, test_uart_ids,
               uart_teardown);
    g_test_add("/hw/pl011/bad-offsets", struct uart_fixture, NULL, uart_setup,
               test_uart_bad_offsets, uart_teardown);
    g_test_add("/hw/pl011/rx-nofifo", struct uart_fixture, NULL, uart_setup, test_uart_rx_nofifo,
               uart_teardown);
    g_test_add("/hw/pl011/rx-fifo", struct uart_fixture, NULL, uart_setup, test_uart_rx_fifo,
               uart_teardown);
    return g_test_run();
}
