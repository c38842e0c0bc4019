/* edge-bridge protocol v1: CRC-16, COBS and frames (see PROTOCOL.md).
 *
 * Portable C99, no allocation, no platform headers beyond <stdint.h>,
 * <stddef.h> and <stdbool.h>, so the same code runs on an AVR, an ESP32 and
 * the host build.
 */
#ifndef EDGE_BRIDGE_FRAME_H
#define EDGE_BRIDGE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EB_PROTO_VERSION 1u
/* A decoded frame (version, type, payload, CRC) is at most this long, so its
 * COBS form needs one code byte per 254 data bytes plus one. */
#define EB_MAX_FRAME 254u
#define EB_MAX_PAYLOAD (EB_MAX_FRAME - 4u)
#define EB_MAX_COBS (EB_MAX_FRAME + 2u)
/* Leading and trailing delimiter around the COBS bytes. */
#define EB_MAX_WIRE (EB_MAX_COBS + 2u)

/* Frame types. Device to host: */
#define EB_HELLO 0x01u
#define EB_SAMPLES 0x02u
#define EB_ACK 0x03u
#define EB_ERROR 0x04u
/* Host to device: */
#define EB_CMD_GET_HELLO 0x10u
#define EB_CMD_START 0x11u
#define EB_CMD_STOP 0x12u
#define EB_CMD_SET_RATE 0x13u

/* Error codes carried by EB_ERROR frames. */
#define EB_ERR_BAD_FRAME 1u
#define EB_ERR_UNKNOWN_COMMAND 2u
#define EB_ERR_BAD_ARGUMENT 3u
#define EB_ERR_UNSUPPORTED_VERSION 4u
#define EB_ERR_OVERRUN 5u
#define EB_ERR_SENSOR 6u          /* a channel's sensor failed (detail = channel), e.g. electrodes off */
#define EB_ERR_SENSOR_OK 7u       /* that fault cleared: not an error, a status in the same frame type */

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor. */
uint16_t eb_crc16_update(uint16_t crc, const uint8_t *data, size_t len);
uint16_t eb_crc16(const uint8_t *data, size_t len);

/* COBS. encode writes at most len + len/254 + 1 bytes and never a zero;
 * decode returns the decoded length, or -1 if the input is not valid COBS
 * or does not fit in out_cap. Neither handles the 0x00 delimiter. */
size_t eb_cobs_encode(const uint8_t *in, size_t len, uint8_t *out);
int eb_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t out_cap);

/* Build a whole frame on the wire: 00, COBS(version, type, payload, CRC LE), 00.
 * Returns the number of bytes written to wire (at most EB_MAX_WIRE), or 0 if
 * the payload is longer than EB_MAX_PAYLOAD. */
size_t eb_frame_encode(uint8_t type, const uint8_t *payload, size_t len, uint8_t *wire);

typedef enum {
    EB_RX_NONE = 0,       /* need more bytes */
    EB_RX_FRAME,          /* a good frame is in the decoder's frame */
    EB_RX_BAD_COBS,       /* bytes between delimiters are not valid COBS */
    EB_RX_TOO_LONG,       /* more bytes than any frame can have */
    EB_RX_TOO_SHORT,      /* fewer than version + type + CRC */
    EB_RX_BAD_CRC,
    EB_RX_BAD_VERSION     /* CRC good, version unknown: answer UNSUPPORTED_VERSION */
} eb_rx_result;

typedef struct {
    uint8_t version;
    uint8_t type;
    size_t len;             /* payload length; the payload is data + 2 (see eb_payload) */
    uint8_t data[EB_MAX_FRAME];
} eb_frame;

/* No pointer inside eb_frame, so frames can be copied freely. */
static inline const uint8_t *eb_payload(const eb_frame *f) { return f->data + 2; }

/* Incremental decoder: feed bytes one at a time, whatever chunks they came in. */
typedef struct {
    uint8_t buf[EB_MAX_COBS];
    size_t len;
    bool overflow;
    eb_frame frame;
} eb_decoder;

void eb_decoder_init(eb_decoder *d);
eb_rx_result eb_decoder_feed(eb_decoder *d, uint8_t byte);

/* Little-endian field helpers, shared by the device core and the tests. */
static inline void eb_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void eb_put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint16_t eb_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }
static inline uint32_t eb_get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

#ifdef __cplusplus
}
#endif
#endif
