/* CRC-16, COBS and frame encode/decode for the edge-bridge protocol. */
#include "edge_bridge_frame.h"

uint16_t eb_crc16_update(uint16_t crc, const uint8_t *data, size_t len) {
    /* Bitwise rather than a 512-byte table: small frames, small MCUs. */
    for (size_t i = 0; i < len; i++) {
        uint32_t c = crc ^ ((uint32_t)data[i] << 8);
        for (int b = 0; b < 8; b++) {
            c = (c & 0x8000u) ? ((c << 1) ^ 0x1021u) : (c << 1);
        }
        crc = (uint16_t)(c & 0xFFFFu);
    }
    return crc;
}

uint16_t eb_crc16(const uint8_t *data, size_t len) { return eb_crc16_update(0xFFFFu, data, len); }

size_t eb_cobs_encode(const uint8_t *in, size_t len, uint8_t *out) {
    size_t code_at = 0, o = 1;
    uint8_t code = 1;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = in[i];
            /* A full block ends without an implied zero; open the next one
             * only if input remains, so the encoding stays canonical. */
            if (++code == 0xFFu && i + 1u < len) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    return o;
}

int eb_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t out_cap) {
    size_t i = 0, o = 0;
    while (i < len) {
        uint8_t code = in[i++];
        if (code == 0) return -1;
        size_t run = (size_t)code - 1u;
        if (run > len - i) return -1;
        if (o + run > out_cap) return -1;
        for (size_t k = 0; k < run; k++) {
            if (in[i] == 0) return -1;
            out[o++] = in[i++];
        }
        if (code != 0xFFu && i < len) {
            if (o >= out_cap) return -1;
            out[o++] = 0;
        }
    }
    return (int)o;
}

size_t eb_frame_encode(uint8_t type, const uint8_t *payload, size_t len, uint8_t *wire) {
    uint8_t raw[EB_MAX_FRAME];
    if (len > EB_MAX_PAYLOAD) return 0;
    raw[0] = EB_PROTO_VERSION;
    raw[1] = type;
    for (size_t i = 0; i < len; i++) raw[2 + i] = payload[i];
    eb_put_u16(raw + 2 + len, eb_crc16(raw, 2 + len));
    wire[0] = 0;
    size_t n = eb_cobs_encode(raw, len + 4u, wire + 1);
    wire[1 + n] = 0;
    return n + 2u;
}

void eb_decoder_init(eb_decoder *d) {
    d->len = 0;
    d->overflow = false;
}

static eb_rx_result finish(eb_decoder *d) {
    eb_frame *f = &d->frame;
    int n = eb_cobs_decode(d->buf, d->len, f->data, sizeof f->data);
    if (n < 0) return EB_RX_BAD_COBS;
    if (n < 4) return EB_RX_TOO_SHORT;
    size_t body = (size_t)n - 2u;
    if (eb_crc16(f->data, body) != eb_get_u16(f->data + body)) return EB_RX_BAD_CRC;
    f->version = f->data[0];
    f->type = f->data[1];
    f->len = body - 2u;
    return f->version == EB_PROTO_VERSION ? EB_RX_FRAME : EB_RX_BAD_VERSION;
}

eb_rx_result eb_decoder_feed(eb_decoder *d, uint8_t byte) {
    if (byte != 0) {
        if (d->len < sizeof d->buf) {
            d->buf[d->len++] = byte;
        } else {
            d->overflow = true; /* keep swallowing until the next delimiter */
        }
        return EB_RX_NONE;
    }
    if (d->len == 0 && !d->overflow) return EB_RX_NONE; /* empty frame: back-to-back delimiters */
    eb_rx_result r = d->overflow ? EB_RX_TOO_LONG : finish(d);
    d->len = 0;
    d->overflow = false;
    return r;
}
