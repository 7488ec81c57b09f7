/*
 * rtc: the virt board's PL031 real-time clock at 0x09010000 (PrimeCell RTC PL031 TRM,
 * DDI 0224). Prints its ID registers, that RTCDR counts (non-zero, and not going
 * back between two reads), that RTCLR sets the count, and the match interrupt's
 * status bits (RIS, MIS, ICR). Only facts that do not depend on the time are printed:
 * never a count itself.
 *
 * The match is made without a race: RTCMR is written first, then RTCLR with the same
 * value, so the count equals RTCMR at the instant of the load and RIS rises at once.
 * (qemu-system-arm 7.2 reads its clock twice during that load; the two readings would
 * have to fall on either side of a second's edge, a window of nanoseconds, for RIS to
 * stay down.) The RTC's interrupt line (SPI 2) is not enabled at the GIC here; the
 * CPU runs with IRQs masked either way.
 *
 * Left out, because they depend on time: a match reached by counting (qemu-system-arm
 * 7.2 raises it up to a second after the count reaches RTCMR), and the count's value.
 */
#include "guest.h"

#define RTC_BASE 0x09010000u
#define RTC_DR   0x000u
#define RTC_MR   0x004u
#define RTC_LR   0x008u
#define RTC_IMSC 0x010u
#define RTC_RIS  0x014u
#define RTC_MIS  0x018u
#define RTC_ICR  0x01cu
#define RTC_ID   0xfe0u

static inline volatile uint32_t *rtc_reg(uint32_t off)
{
    return (volatile uint32_t *)(RTC_BASE + off);
}

static void print_ids(void)
{
    uint32_t id[8];

    for (int i = 0; i < 8; i++)
        id[i] = *rtc_reg(RTC_ID + 4 * i);
    printf("PeriphID 0x%02x 0x%02x 0x%02x 0x%02x: part 0x%03x, designer 0x%02x, revision %u\n",
           id[0], id[1], id[2], id[3], id[0] | (id[1] & 0xfu) << 8,
           id[1] >> 4 | (id[2] & 0xfu) << 4, id[2] >> 4);
    printf("PCellID 0x%08x\n", id[4] | id[5] << 8 | id[6] << 16 | id[7] << 24);
}

static const char *yes(int b)
{
    return b ? "yes" : "no";
}

static void print_status(const char *what)
{
    printf("%s: RIS 0x%x, MIS 0x%x\n", what, *rtc_reg(RTC_RIS), *rtc_reg(RTC_MIS));
}

int main(void)
{
    print_ids();

    uint32_t t0 = *rtc_reg(RTC_DR);
    uint32_t t1 = *rtc_reg(RTC_DR);
    printf("RTCDR non-zero: %s\n", yes(t0 != 0));
    printf("RTCDR not going back: %s\n", yes((int32_t)(t1 - t0) >= 0));

    const uint32_t load = 0x40000000u;
    *rtc_reg(RTC_IMSC) = 0;
    *rtc_reg(RTC_ICR) = 1;
    *rtc_reg(RTC_MR) = load;
    *rtc_reg(RTC_LR) = load;
    uint32_t t2 = *rtc_reg(RTC_DR);
    printf("RTCLR 0x%08x, RTCMR 0x%08x\n", *rtc_reg(RTC_LR), *rtc_reg(RTC_MR));
    printf("RTCDR counts from RTCLR: %s\n", yes(t2 - load < 0x80000000u));
    print_status("match, masked");
    *rtc_reg(RTC_IMSC) = 1;
    printf("RTCIMSC 0x%x\n", *rtc_reg(RTC_IMSC));
    print_status("match, unmasked");
    *rtc_reg(RTC_ICR) = 1;
    print_status("after RTCICR");
    *rtc_reg(RTC_IMSC) = 0;
    printf("system off\n");
    return 0;
}
