/* edge-bridge device core (see edge_bridge.h and PROTOCOL.md). */
#include "edge_bridge.h"

/* Samples more than this far behind are skipped, not sent late: a stalled
 * loop then shows up at the host as a sequence gap, which is the truth. */
#define EB_MAX_CATCH_UP_MS 1000u

static size_t put_str(uint8_t *p, const char *s) {
    size_t n = 0;
    while (s[n] && n < 255u) n++;
    p[0] = (uint8_t)n;
    for (size_t i = 0; i < n; i++) p[1 + i] = (uint8_t)s[i];
    return n + 1u;
}

static bool send(eb_device *dev, uint8_t type, const uint8_t *payload, size_t len) {
    uint8_t wire[EB_MAX_WIRE];
    size_t n = eb_frame_encode(type, payload, len, wire);
    return n != 0 && dev->board.write(dev->board.ctx, wire, n);
}

static void send_hello(eb_device *dev) {
    uint8_t p[EB_MAX_PAYLOAD];
    size_t o = 0;
    o += put_str(p + o, dev->cfg.device_id);
    o += put_str(p + o, dev->cfg.firmware);
    eb_put_u32(p + o, dev->cfg.tick_hz); o += 4;
    eb_put_u32(p + o, dev->rate_mhz); o += 4;
    p[o++] = dev->cfg.batch;
    p[o++] = dev->cfg.n_channels;
    for (uint8_t c = 0; c < dev->cfg.n_channels; c++) {
        o += put_str(p + o, dev->cfg.channels[c].name);
        o += put_str(p + o, dev->cfg.channels[c].unit);
        p[o++] = (uint8_t)dev->cfg.channels[c].exponent;
    }
    send(dev, EB_HELLO, p, o);
}

static void send_ack(eb_device *dev, uint8_t token, uint8_t command) {
    uint8_t p[2] = {token, command};
    send(dev, EB_ACK, p, 2);
}

static void send_error(eb_device *dev, uint8_t token, uint8_t code, uint32_t detail, const char *msg) {
    uint8_t p[EB_MAX_PAYLOAD];
    size_t o = 0;
    p[o++] = token;
    p[o++] = code;
    eb_put_u32(p + o, detail); o += 4;
    o += put_str(p + o, msg);
    send(dev, EB_ERROR, p, o);
}

static size_t hello_len(const eb_config *cfg) {
    size_t n = 0, s;
    for (s = 0; cfg->device_id[s]; s++) {} n += 1 + s;
    for (s = 0; cfg->firmware[s]; s++) {} n += 1 + s;
    n += 4 + 4 + 1 + 1;
    for (uint8_t c = 0; c < cfg->n_channels; c++) {
        for (s = 0; cfg->channels[c].name[s]; s++) {} n += 1 + s;
        for (s = 0; cfg->channels[c].unit[s]; s++) {} n += 1 + s;
        n += 1;
    }
    return n;
}

static uint32_t offset_ticks(const eb_device *dev, uint32_t k) {
    return (uint32_t)(((uint64_t)k * dev->cfg.tick_hz * 1000u) / dev->rate_mhz);
}

static void restart_schedule(eb_device *dev, uint32_t now_tick) {
    dev->anchor = now_tick;
    dev->k = 0;
}

bool eb_init(eb_device *dev, const eb_config *cfg, const eb_board *board, uint32_t now_tick) {
    if (cfg->n_channels < 1 || cfg->n_channels > EB_MAX_CHANNELS) return false;
    if (cfg->batch < 1 || cfg->batch > EB_MAX_BATCH) return false;
    if (cfg->tick_hz == 0 || cfg->tick_hz > 4000000u) return false; /* 1000 s of ticks fit in uint32 */
    if (cfg->rate_mhz < cfg->min_rate_mhz || cfg->rate_mhz > cfg->max_rate_mhz || cfg->min_rate_mhz == 0) return false;
    /* seq, tick, n, then per sample a u16 tick offset and the values */
    if (9u + (size_t)cfg->batch * (2u + 4u * cfg->n_channels) > EB_MAX_PAYLOAD) return false;
    if (hello_len(cfg) > EB_MAX_PAYLOAD) return false;
    dev->cfg = *cfg;
    dev->board = *board;
    eb_decoder_init(&dev->rx);
    dev->streaming = false;
    dev->reschedule = false;
    dev->rate_mhz = cfg->rate_mhz;
    dev->seq = 0;
    dev->n_pending = 0;
    dev->pending_len = 0;
    dev->overrun = 0;
    dev->bad_frames = 0;
    restart_schedule(dev, now_tick);
    send_hello(dev); /* announce the boot; nobody may be listening yet */
    return true;
}

static void flush_samples(eb_device *dev) {
    if (dev->n_pending == 0) return;
    uint8_t p[EB_MAX_PAYLOAD];
    eb_put_u32(p, dev->pending_seq);
    eb_put_u32(p + 4, dev->pending_tick);
    p[8] = dev->n_pending;
    for (size_t i = 0; i < dev->pending_len; i++) p[9 + i] = dev->pending[i];
    if (!send(dev, EB_SAMPLES, p, 9u + dev->pending_len)) {
        dev->overrun += dev->n_pending;
    } else if (dev->overrun) {
        uint32_t lost = dev->overrun;
        dev->overrun = 0;
        send_error(dev, 0, EB_ERR_OVERRUN, lost, "link busy: samples dropped");
    }
    dev->n_pending = 0;
    dev->pending_len = 0;
}

static void take_sample(eb_device *dev, uint32_t tick) {
    int32_t values[EB_MAX_CHANNELS];
    if (dev->n_pending && (uint32_t)(tick - dev->pending_tick) > 0xFFFFu) flush_samples(dev);
    dev->board.sample(dev->board.ctx, dev->seq, tick, values);
    if (dev->n_pending == 0) {
        dev->pending_seq = dev->seq;
        dev->pending_tick = tick;
    }
    uint8_t *p = dev->pending + dev->pending_len;
    eb_put_u16(p, (uint16_t)(tick - dev->pending_tick));
    for (uint8_t c = 0; c < dev->cfg.n_channels; c++) eb_put_u32(p + 2 + 4u * c, (uint32_t)values[c]);
    dev->pending_len += 2u + 4u * dev->cfg.n_channels;
    dev->n_pending++;
    dev->seq++;
    if (dev->n_pending >= dev->cfg.batch) flush_samples(dev);
}

static void advance(eb_device *dev) {
    dev->k++;
    /* rate_mhz samples take exactly 1000 s: move the anchor so k stays small. */
    if (dev->k >= dev->rate_mhz) {
        dev->anchor += dev->cfg.tick_hz * 1000u;
        dev->k -= dev->rate_mhz;
    }
}

uint32_t eb_poll(eb_device *dev, uint32_t now_tick) {
    if (!dev->streaming) return UINT32_MAX;
    if (dev->reschedule) {
        /* The first sample after START or SET_RATE is taken now. */
        restart_schedule(dev, now_tick);
        dev->reschedule = false;
    }
    uint32_t max_behind = (uint32_t)((uint64_t)dev->cfg.tick_hz * EB_MAX_CATCH_UP_MS / 1000u);
    for (;;) {
        uint32_t due = dev->anchor + offset_ticks(dev, dev->k);
        int32_t late = (int32_t)(now_tick - due);
        if (late < 0) return (uint32_t)(-late);
        if ((uint32_t)late > max_behind) {
            /* Skipped samples still use up their sequence numbers. */
            flush_samples(dev);
            dev->seq++;
            dev->overrun++;
            advance(dev);
            continue;
        }
        take_sample(dev, due);
        advance(dev);
    }
}

static void handle(eb_device *dev, const eb_frame *f) {
    if (f->type < EB_CMD_GET_HELLO) {
        send_error(dev, 0, EB_ERR_UNKNOWN_COMMAND, f->type, "not a command");
        return;
    }
    if (f->len < 1) {
        send_error(dev, 0, EB_ERR_BAD_ARGUMENT, f->type, "missing token");
        return;
    }
    uint8_t token = eb_payload(f)[0];
    switch (f->type) {
    case EB_CMD_GET_HELLO:
        send_ack(dev, token, f->type);
        send_hello(dev);
        break;
    case EB_CMD_START:
        if (!dev->streaming) {
            dev->streaming = true;
            dev->reschedule = true;
        }
        send_ack(dev, token, f->type);
        break;
    case EB_CMD_STOP:
        if (dev->streaming) {
            flush_samples(dev);
            dev->streaming = false;
        }
        send_ack(dev, token, f->type);
        break;
    case EB_CMD_SET_RATE: {
        if (f->len != 5) {
            send_error(dev, token, EB_ERR_BAD_ARGUMENT, f->type, "SET_RATE takes token and uint32 mHz");
            break;
        }
        uint32_t rate = eb_get_u32(eb_payload(f) + 1);
        if (rate < dev->cfg.min_rate_mhz || rate > dev->cfg.max_rate_mhz) {
            send_error(dev, token, EB_ERR_BAD_ARGUMENT, rate, "rate out of range");
            break;
        }
        flush_samples(dev);
        bool was = dev->streaming;
        dev->rate_mhz = rate;
        if (was) dev->reschedule = true;
        send_ack(dev, token, f->type);
        send_hello(dev); /* the new configuration, before any sample taken at it */
        break;
    }
    default:
        send_error(dev, token, EB_ERR_UNKNOWN_COMMAND, f->type, "unknown command");
    }
}

void eb_receive(eb_device *dev, const uint8_t *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        eb_rx_result r = eb_decoder_feed(&dev->rx, bytes[i]);
        if (r == EB_RX_NONE) continue;
        if (r == EB_RX_FRAME) {
            handle(dev, &dev->rx.frame);
        } else if (r == EB_RX_BAD_VERSION) {
            send_error(dev, 0, EB_ERR_UNSUPPORTED_VERSION, dev->rx.frame.version, "protocol version not supported");
        } else {
            dev->bad_frames++;
            send_error(dev, 0, EB_ERR_BAD_FRAME, dev->bad_frames, "frame failed to decode");
        }
    }
}

void eb_report_sensor_fault(eb_device *dev, uint8_t ch, const char *message) {
    send_error(dev, 0, EB_ERR_SENSOR, ch, message);
}

void eb_report_sensor_ok(eb_device *dev, uint8_t ch) {
    send_error(dev, 0, EB_ERR_SENSOR_OK, ch, "sensor ok");
}
