/* The message catalogue's tables and the stress payload. */
#include "shm/msg.h"

#include <string.h>

static const struct msg_info msg_table[MSG_TYPE_COUNT] = {
#define MSG_ROW(type, st, desc) [type] = {#type, desc, sizeof(struct st)},
    MSG_CATALOGUE(MSG_ROW)
#undef MSG_ROW
};

const struct msg_info *msg_info(unsigned type)
{
    if (type == MSG_NONE || type >= MSG_TYPE_COUNT)
        return NULL;
    return &msg_table[type];
}

bool msg_valid(const struct msg_hdr *hdr)
{
    const struct msg_info *info = msg_info(hdr->type);
    return info && hdr->size == info->size;
}

void msg_init(struct msg_hdr *hdr, enum msg_type type)
{
    memset(hdr, 0, sizeof(*hdr));
    hdr->type = (uint16_t)type;
    hdr->size = msg_table[type].size;
}

void msg_pong_for(struct msg_pong *r, const struct msg_ping *p)
{
    msg_init(&r->hdr, MSG_PONG);
    r->token = p->token;
    r->sent_ns = p->sent_ns;
}

/* splitmix64: a cheap bijective mix, so every word differs from seq to seq. */
static uint64_t msg_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t msg_test_sum(const struct msg_test *m)
{
    uint64_t sum = m->seq64 * 0x100000001b3ull;
    for (unsigned i = 0; i < 4; i++)
        sum = (sum ^ m->word[i]) * 0x100000001b3ull;
    return sum;
}

void msg_test_fill(struct msg_test *m, uint64_t seq)
{
    msg_init(&m->hdr, MSG_TEST);
    m->seq64 = seq;
    for (unsigned i = 0; i < 4; i++)
        m->word[i] = msg_mix(seq * 4 + i);
    m->checksum = msg_test_sum(m);
}

bool msg_test_check(const struct msg_test *m, uint64_t seq)
{
    if (!msg_valid(&m->hdr) || m->hdr.type != MSG_TEST || m->seq64 != seq)
        return false;
    for (unsigned i = 0; i < 4; i++)
        if (m->word[i] != msg_mix(seq * 4 + i))
            return false;
    return m->checksum == msg_test_sum(m);
}
