/* The device core against a capture board: commands, schedule, batching, overruns. */
#include <string.h>

#include "../src/edge_bridge.h"
#include "check.h"

#define MAX_FRAMES 256

typedef struct {
    eb_decoder rx;
    eb_frame frames[MAX_FRAMES];
    int n;
    bool refuse;      /* the link is busy: writes fail */
    uint32_t last_seq_sampled;
} capture;

static bool cap_write(void *ctx, const uint8_t *buf, size_t len) {
    capture *c = ctx;
    if (c->refuse) return false;
    for (size_t i = 0; i < len; i++) {
        eb_rx_result r = eb_decoder_feed(&c->rx, buf[i]);
        CHECK(r == EB_RX_NONE || r == EB_RX_FRAME, "device sent an undecodable frame (%d)", (int)r);
        if (r == EB_RX_FRAME && c->n < MAX_FRAMES) c->frames[c->n++] = c->rx.frame;
    }
    return true;
}

static void cap_sample(void *ctx, uint32_t seq, uint32_t tick, int32_t *values) {
    capture *c = ctx;
    c->last_seq_sampled = seq;
    values[0] = (int32_t)seq * 10;
    values[1] = -(int32_t)(tick & 0xFFFF);
}

static const eb_channel CHANNELS[] = {{"eda", "uS", -3}, {"ppg", "mV", 0}};

static eb_config config(void) {
    eb_config cfg = {"test-01", "1.2.3", 1000000u, 100000u, 1000u, 1000000u, 4, 2, CHANNELS};
    return cfg;
}

static void setup(eb_device *dev, capture *cap, uint32_t now) {
    memset(cap, 0, sizeof *cap);
    eb_decoder_init(&cap->rx);
    eb_config cfg = config();
    eb_board board = {cap, cap_write, cap_sample};
    CHECK(eb_init(dev, &cfg, &board, now), "init");
}

static void command(eb_device *dev, uint8_t type, const uint8_t *payload, size_t len) {
    uint8_t wire[EB_MAX_WIRE];
    size_t n = eb_frame_encode(type, payload, len, wire);
    eb_receive(dev, wire, n);
}

static void test_boot_hello(void) {
    eb_device dev;
    capture cap;
    setup(&dev, &cap, 0);
    CHECK(cap.n == 1 && cap.frames[0].type == EB_HELLO, "boot sends one HELLO, got %d frames", cap.n);
    const uint8_t *p = eb_payload(&cap.frames[0]);
    CHECK(p[0] == 7 && memcmp(p + 1, "test-01", 7) == 0, "device id");
    CHECK(p[8] == 5 && memcmp(p + 9, "1.2.3", 5) == 0, "firmware");
    CHECK(eb_get_u32(p + 14) == 1000000u && eb_get_u32(p + 18) == 100000u, "tick_hz and rate");
    CHECK(p[22] == 4 && p[23] == 2, "batch and channels");
}

static void test_get_hello_and_errors(void) {
    eb_device dev;
    capture cap;
    setup(&dev, &cap, 0);
    uint8_t token = 42;
    command(&dev, EB_CMD_GET_HELLO, &token, 1);
    CHECK(cap.n == 3 && cap.frames[1].type == EB_ACK && cap.frames[2].type == EB_HELLO, "ACK then HELLO");
    CHECK(eb_payload(&cap.frames[1])[0] == 42 && eb_payload(&cap.frames[1])[1] == EB_CMD_GET_HELLO, "ACK names token and command");

    uint8_t bad_rate[5] = {9};
    eb_put_u32(bad_rate + 1, 2000000u);
    command(&dev, EB_CMD_SET_RATE, bad_rate, 5);
    CHECK(cap.frames[3].type == EB_ERROR && eb_payload(&cap.frames[3])[0] == 9 &&
              eb_payload(&cap.frames[3])[1] == EB_ERR_BAD_ARGUMENT && eb_get_u32(eb_payload(&cap.frames[3]) + 2) == 2000000u,
          "out-of-range rate is refused with the token");

    command(&dev, 0x7F, &token, 1);
    CHECK(cap.frames[4].type == EB_ERROR && eb_payload(&cap.frames[4])[1] == EB_ERR_UNKNOWN_COMMAND, "unknown command");

    uint8_t wire[EB_MAX_WIRE];
    size_t n = eb_frame_encode(EB_CMD_START, &token, 1, wire);
    wire[3] ^= 0x01; /* line noise */
    eb_receive(&dev, wire, n);
    CHECK(cap.n == 6 && cap.frames[5].type == EB_ERROR && eb_payload(&cap.frames[5])[1] == EB_ERR_BAD_FRAME,
          "a corrupted command is answered with BAD_FRAME");
    CHECK(!dev.streaming, "the corrupted START was not obeyed");
}

static void test_streaming_schedule(uint32_t boot_tick) {
    eb_device dev;
    capture cap;
    setup(&dev, &cap, boot_tick);
    uint8_t token = 1;
    command(&dev, EB_CMD_START, &token, 1);
    CHECK(cap.frames[cap.n - 1].type == EB_ACK, "START acked");
    int before = cap.n;
    /* 100 Hz with microsecond ticks: one sample every 10000 ticks. */
    uint32_t t0 = boot_tick + 500u;
    uint32_t next = eb_poll(&dev, t0);
    CHECK(next == 10000u, "next sample due in 10000 ticks, got %u", next);
    for (uint32_t ms = 1; ms <= 80; ms++) eb_poll(&dev, t0 + ms * 1000u);
    /* Samples at 0, 10, ..., 80 ms: nine taken, two full batches sent. */
    CHECK(dev.seq == 9, "nine samples taken, got %u", dev.seq);
    CHECK(cap.n - before == 2, "two SAMPLES frames, got %d", cap.n - before);
    for (int f = 0; f < 2; f++) {
        const eb_frame *fr = &cap.frames[before + f];
        CHECK(fr->type == EB_SAMPLES && fr->len == 9u + 4u * 10u, "frame %d: type %02x len %zu", f, fr->type, fr->len);
        CHECK(eb_get_u32(eb_payload(fr)) == (uint32_t)(4 * f), "frame %d seq", f);
        CHECK(eb_get_u32(eb_payload(fr) + 4) == t0 + 40000u * (uint32_t)f, "frame %d base tick", f);
        CHECK(eb_payload(fr)[8] == 4, "frame %d holds 4 samples", f);
        for (int i = 0; i < 4; i++) {
            const uint8_t *s = eb_payload(fr) + 9 + 10 * i;
            uint32_t tick = t0 + 40000u * (uint32_t)f + eb_get_u16(s);
            CHECK(eb_get_u16(s) == 10000u * (uint32_t)i, "frame %d sample %d dt", f, i);
            CHECK((int32_t)eb_get_u32(s + 2) == (4 * f + i) * 10, "frame %d sample %d value 0", f, i);
            CHECK((int32_t)eb_get_u32(s + 6) == -(int32_t)(tick & 0xFFFF), "frame %d sample %d value 1", f, i);
        }
    }
    uint8_t stop = 2;
    command(&dev, EB_CMD_STOP, &stop, 1);
    CHECK(cap.frames[cap.n - 2].type == EB_SAMPLES && eb_payload(&cap.frames[cap.n - 2])[8] == 1,
          "STOP flushes the partial batch");
    CHECK(cap.frames[cap.n - 1].type == EB_ACK, "STOP acked");
    CHECK(eb_poll(&dev, t0 + 200000u) == UINT32_MAX && dev.seq == 9, "nothing sampled while stopped");
}

static void test_set_rate_restarts_schedule(void) {
    eb_device dev;
    capture cap;
    setup(&dev, &cap, 0);
    uint8_t token = 3;
    command(&dev, EB_CMD_START, &token, 1);
    eb_poll(&dev, 0);
    uint8_t arg[5] = {4};
    eb_put_u32(arg + 1, 128000u); /* 128 Hz: 7812.5 ticks, not a whole number */
    command(&dev, EB_CMD_SET_RATE, arg, 5);
    CHECK(cap.frames[cap.n - 3].type == EB_SAMPLES, "samples at the old rate go out first");
    CHECK(cap.frames[cap.n - 2].type == EB_ACK && cap.frames[cap.n - 1].type == EB_HELLO, "ACK then the new HELLO");
    CHECK(eb_get_u32(eb_payload(&cap.frames[cap.n - 1]) + 18) == 128000u, "HELLO reports the new rate");
    uint32_t start = 5000u;
    for (uint32_t t = start; t <= start + 1000000u; t += 100u) eb_poll(&dev, t);
    /* 128 samples in a second, plus the one at the start of the next. */
    CHECK(dev.seq == 1 + 129, "seq after one second at 128 Hz: %u", dev.seq);
}

static void test_overrun_and_catch_up(void) {
    eb_device dev;
    capture cap;
    setup(&dev, &cap, 0);
    uint8_t token = 1;
    command(&dev, EB_CMD_START, &token, 1);
    eb_poll(&dev, 0);
    cap.refuse = true; /* samples 1..8 are lost on a busy link */
    eb_poll(&dev, 80000u);
    cap.refuse = false;
    int before = cap.n;
    eb_poll(&dev, 120000u); /* samples 9..12: one more full batch */
    CHECK(cap.n - before == 2, "a SAMPLES frame then an OVERRUN report, got %d frames", cap.n - before);
    CHECK(eb_get_u32(eb_payload(&cap.frames[before])) == 8, "seq jumps over the lost samples, to %u",
          eb_get_u32(eb_payload(&cap.frames[before])));
    CHECK(cap.frames[before + 1].type == EB_ERROR && eb_payload(&cap.frames[before + 1])[1] == EB_ERR_OVERRUN &&
              eb_get_u32(eb_payload(&cap.frames[before + 1]) + 2) == 8,
          "OVERRUN counts the 8 lost samples");
    /* A loop stalled for 5 s skips what is more than 1 s late instead of bursting it. */
    uint32_t seq_before = dev.seq;
    before = cap.n;
    uint32_t carried = dev.n_pending; /* taken before the stall, sent with the next frame */
    eb_poll(&dev, 120000u + 5000000u);
    CHECK(dev.seq == seq_before + 500, "seq advances by every scheduled sample: %u", dev.seq - seq_before);
    CHECK(cap.last_seq_sampled == dev.seq - 1, "the newest sample was taken");
    uint32_t sent = dev.n_pending, reported = 0;
    for (int i = before; i < cap.n; i++) {
        if (cap.frames[i].type == EB_SAMPLES) sent += eb_payload(&cap.frames[i])[8];
        if (cap.frames[i].type == EB_ERROR && eb_payload(&cap.frames[i])[1] == EB_ERR_OVERRUN)
            reported += eb_get_u32(eb_payload(&cap.frames[i]) + 2);
    }
    CHECK(sent == carried + 101 && reported == 399, "the last second is sent (%u), the rest reported skipped (%u)", sent, reported);
}

static void test_split_receive(void) {
    /* The same command bytes, one at a time or in one go, do the same thing. */
    eb_device a, b;
    capture ca, cb;
    setup(&a, &ca, 0);
    setup(&b, &cb, 0);
    uint8_t wire[2 * EB_MAX_WIRE], token = 5;
    size_t n = eb_frame_encode(EB_CMD_GET_HELLO, &token, 1, wire);
    n += eb_frame_encode(EB_CMD_START, &token, 1, wire + n);
    eb_receive(&a, wire, n);
    for (size_t i = 0; i < n; i++) eb_receive(&b, wire + i, 1);
    CHECK(ca.n == cb.n && ca.n == 4 && a.streaming && b.streaming, "%d vs %d frames", ca.n, cb.n);
}

static void test_bad_config(void) {
    eb_device dev;
    capture cap;
    memset(&cap, 0, sizeof cap);
    eb_board board = {&cap, cap_write, cap_sample};
    eb_config cfg = config();
    cfg.batch = 0;
    CHECK(!eb_init(&dev, &cfg, &board, 0), "batch 0 refused");
    cfg = config();
    cfg.batch = 16;
    cfg.n_channels = 8; /* 16 samples of 8 channels do not fit a frame */
    CHECK(!eb_init(&dev, &cfg, &board, 0), "oversized batch refused");
}

int run_core_tests(void) {
    test_boot_hello();
    test_get_hello_and_errors();
    test_streaming_schedule(0);
    test_streaming_schedule(0xFFFFFFFFu - 25000u); /* the tick counter wraps mid-stream */
    test_set_rate_restarts_schedule();
    test_overrun_and_catch_up();
    test_split_receive();
    test_bad_config();
    return 0;
}
