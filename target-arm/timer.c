/* The generic timer (ARM ARM B8) as a Cortex-A15 without EL2 and EL3 shows it: the
 * system counter (CNTPCT, and CNTVCT = CNTPCT - CNTVOFF), the frequency register, the
 * PL0 access controls (CNTKCTL), and the physical and virtual timers (CTL, CVAL, TVAL).
 * The counter comes from the board (env.counter: one host clock every process reads);
 * a write to a timer register tells the board (env.timer_changed), which drives the
 * timers' PPIs and sleeps until the next deadline. Register state lives in the
 * register file (struct arm_cp15), so it is exact at every block boundary. */
#include "target-arm/internal.h"

#define CTL_ENABLE  (1u << 0)
#define CTL_IMASK   (1u << 1)
#define CTL_ISTATUS (1u << 2)

/* CNTKCTL's PL0 access bits (B4.1.26). */
#define KCTL_PL0PCTEN (1u << 0)
#define KCTL_PL0VCTEN (1u << 1)
#define KCTL_PL0VTEN  (1u << 8)
#define KCTL_PL0PTEN  (1u << 9)

/* 32-bit registers: MRC/MCR p15, 0, <Rt>, c14, CRm, opc2 (B4.1.21-B4.1.33). */
#define KEY_CNTFRQ    CP15_KEY(0, 14, 0, 0)
#define KEY_CNTKCTL   CP15_KEY(0, 14, 1, 0)
#define KEY_CNTP_TVAL CP15_KEY(0, 14, 2, 0)
#define KEY_CNTP_CTL  CP15_KEY(0, 14, 2, 1)
#define KEY_CNTV_TVAL CP15_KEY(0, 14, 3, 0)
#define KEY_CNTV_CTL  CP15_KEY(0, 14, 3, 1)
/* 64-bit registers: MRRC/MCRR p15, opc1, <Rt>, <Rt2>, c14 keyed opc1 << 4 | CRm. */
#define KEY64_CNTPCT    0x0eu
#define KEY64_CNTVCT    0x1eu
#define KEY64_CNTP_CVAL 0x2eu
#define KEY64_CNTV_CVAL 0x3eu
#define KEY64_CNTVOFF   0x4eu

static uint64_t timer_pair(uint32_t lo, uint32_t hi)
{
    return (uint64_t)hi << 32 | lo;
}

static uint64_t timer_cntpct(struct arm_cpu *cpu)
{
    return cpu->env.counter ? cpu->env.counter(cpu->env.opaque) : 0;
}

static uint64_t timer_offset(const struct arm_regs *r, enum arm_timer t)
{
    return t == ARM_TIMER_VIRT ? timer_pair(r->cp15.cntvoff_lo, r->cp15.cntvoff_hi) : 0;
}

static uint64_t timer_cval(const struct arm_regs *r, enum arm_timer t)
{
    return t == ARM_TIMER_VIRT ? timer_pair(r->cp15.cntv_cval_lo, r->cp15.cntv_cval_hi)
                               : timer_pair(r->cp15.cntp_cval_lo, r->cp15.cntp_cval_hi);
}

static void timer_set_cval(struct arm_regs *r, enum arm_timer t, uint64_t v)
{
    uint32_t *lo = t == ARM_TIMER_VIRT ? &r->cp15.cntv_cval_lo : &r->cp15.cntp_cval_lo;
    uint32_t *hi = t == ARM_TIMER_VIRT ? &r->cp15.cntv_cval_hi : &r->cp15.cntp_cval_hi;
    *lo = (uint32_t)v;
    *hi = (uint32_t)(v >> 32);
}

static uint32_t *timer_ctl(struct arm_regs *r, enum arm_timer t)
{
    return t == ARM_TIMER_VIRT ? &r->cp15.cntv_ctl : &r->cp15.cntp_ctl;
}

/* ISTATUS (B8.1.5): the condition CNTxCT - CVAL >= 0, as a 64-bit unsigned compare;
 * a disabled timer's status reads 0, as qemu-system-arm's. */
static bool timer_met(const struct arm_regs *r, enum arm_timer t, uint64_t cntpct)
{
    uint32_t ctl = t == ARM_TIMER_VIRT ? r->cp15.cntv_ctl : r->cp15.cntp_ctl;
    return (ctl & CTL_ENABLE) && cntpct - timer_offset(r, t) >= timer_cval(r, t);
}

bool arm_timer_output(const struct arm_regs *r, enum arm_timer t, uint64_t cntpct,
                      uint64_t *deadline)
{
    uint32_t ctl = t == ARM_TIMER_VIRT ? r->cp15.cntv_ctl : r->cp15.cntp_ctl;
    *deadline = UINT64_MAX;
    if (!(ctl & CTL_ENABLE) || (ctl & CTL_IMASK))
        return false;
    if (timer_met(r, t, cntpct))
        return true;
    uint64_t due = timer_cval(r, t) + timer_offset(r, t); /* in CNTPCT terms */
    if (due >= cntpct)
        *deadline = due;
    return false;
}

/* PL0 access (B8.1.2, CNTKCTL): everything is accessible from PL1. */
static bool timer_pl0_ok(struct arm_cpu *cpu, uint32_t need)
{
    if ((cpu->regs->cpsr & 0x1f) != ARM_MODE_USR)
        return true;
    return (cpu->regs->cp15.cntkctl & need) != 0;
}

static void timer_changed(struct arm_cpu *cpu)
{
    if (cpu->env.timer_changed)
        cpu->env.timer_changed(cpu->env.opaque);
}

/* Which timer a 32-bit key names, and the CNTKCTL bit that opens it to PL0. */
static enum arm_timer timer_of_key(uint32_t key, uint32_t *pl0_bit)
{
    bool virt = ((key >> 4) & 15) == 3;
    *pl0_bit = virt ? KCTL_PL0VTEN : KCTL_PL0PTEN;
    return virt ? ARM_TIMER_VIRT : ARM_TIMER_PHYS;
}

int arm_timer_read(struct arm_cpu *cpu, uint32_t key, uint32_t *value)
{
    struct arm_regs *r = cpu->regs;
    uint32_t pl0;
    enum arm_timer t = timer_of_key(key, &pl0);
    switch (key) {
    case KEY_CNTFRQ:
        if (!timer_pl0_ok(cpu, KCTL_PL0PCTEN | KCTL_PL0VCTEN))
            return -1;
        *value = r->cp15.cntfrq;
        return 0;
    case KEY_CNTKCTL:
        if (!timer_pl0_ok(cpu, 0))
            return -1;
        *value = r->cp15.cntkctl;
        return 0;
    case KEY_CNTP_CTL:
    case KEY_CNTV_CTL:
        if (!timer_pl0_ok(cpu, pl0))
            return -1;
        *value = (*timer_ctl(r, t) & (CTL_ENABLE | CTL_IMASK)) |
                 (timer_met(r, t, timer_cntpct(cpu)) ? CTL_ISTATUS : 0);
        return 0;
    case KEY_CNTP_TVAL:
    case KEY_CNTV_TVAL: /* TimerValue = CompareValue - Count, low 32 bits (B8.1.5) */
        if (!timer_pl0_ok(cpu, pl0))
            return -1;
        *value = (uint32_t)(timer_cval(r, t) - (timer_cntpct(cpu) - timer_offset(r, t)));
        return 0;
    default: return -1;
    }
}

int arm_timer_write(struct arm_cpu *cpu, uint32_t key, uint32_t value)
{
    struct arm_regs *r = cpu->regs;
    uint32_t pl0;
    enum arm_timer t = timer_of_key(key, &pl0);
    switch (key) {
    case KEY_CNTFRQ: /* writable at the highest PL, PL1 here */
    case KEY_CNTKCTL:
        if (!timer_pl0_ok(cpu, 0))
            return -1;
        if (key == KEY_CNTFRQ)
            r->cp15.cntfrq = value;
        else
            r->cp15.cntkctl = value & 0x3ffu;
        return 0;
    case KEY_CNTP_CTL:
    case KEY_CNTV_CTL:
        if (!timer_pl0_ok(cpu, pl0))
            return -1;
        *timer_ctl(r, t) = value & (CTL_ENABLE | CTL_IMASK);
        break;
    case KEY_CNTP_TVAL:
    case KEY_CNTV_TVAL: /* CompareValue = Count + SignExtend(TimerValue) */
        if (!timer_pl0_ok(cpu, pl0))
            return -1;
        timer_set_cval(r, t,
                       timer_cntpct(cpu) - timer_offset(r, t) + (uint64_t)(int64_t)(int32_t)value);
        break;
    default: return -1;
    }
    timer_changed(cpu);
    return 0;
}

bool arm_timer_key64(uint32_t key)
{
    return (key & 15) == 14;
}

int arm_timer_read64(struct arm_cpu *cpu, uint32_t key, uint64_t *value)
{
    struct arm_regs *r = cpu->regs;
    switch (key) {
    case KEY64_CNTPCT:
        if (!timer_pl0_ok(cpu, KCTL_PL0PCTEN))
            return -1;
        *value = timer_cntpct(cpu);
        return 0;
    case KEY64_CNTVCT:
        if (!timer_pl0_ok(cpu, KCTL_PL0VCTEN))
            return -1;
        *value = timer_cntpct(cpu) - timer_offset(r, ARM_TIMER_VIRT);
        return 0;
    case KEY64_CNTP_CVAL:
    case KEY64_CNTV_CVAL: {
        enum arm_timer t = key == KEY64_CNTV_CVAL ? ARM_TIMER_VIRT : ARM_TIMER_PHYS;
        if (!timer_pl0_ok(cpu, t == ARM_TIMER_VIRT ? KCTL_PL0VTEN : KCTL_PL0PTEN))
            return -1;
        *value = timer_cval(r, t);
        return 0;
    }
    default: return -1; /* CNTVOFF is Hyp's (B4.1.34): no Hyp mode here */
    }
}

int arm_timer_write64(struct arm_cpu *cpu, uint32_t key, uint64_t value)
{
    if (key != KEY64_CNTP_CVAL && key != KEY64_CNTV_CVAL)
        return -1; /* the counters are read-only; CNTVOFF is Hyp's */
    enum arm_timer t = key == KEY64_CNTV_CVAL ? ARM_TIMER_VIRT : ARM_TIMER_PHYS;
    if (!timer_pl0_ok(cpu, t == ARM_TIMER_VIRT ? KCTL_PL0VTEN : KCTL_PL0PTEN))
        return -1;
    timer_set_cval(cpu->regs, t, value);
    timer_changed(cpu);
    return 0;
}
