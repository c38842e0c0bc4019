/* edge-bridge device core: hello, commands, sampling schedule, sample frames.
 *
 * The core knows nothing about the board. A board gives it a way to send
 * bytes and a way to read one sample of every channel; the board's main
 * loop feeds it received bytes and calls eb_poll() with the current tick.
 * The Arduino/ESP32 adapter (examples/GsrBand) and the host build
 * (host/main.c) are such boards.
 */
#ifndef EDGE_BRIDGE_H
#define EDGE_BRIDGE_H

#include "edge_bridge_frame.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EB_MAX_CHANNELS 8u
#define EB_MAX_BATCH 16u

typedef struct {
    const char *name;  /* e.g. "eda" */
    const char *unit;  /* e.g. "uS" */
    int8_t exponent;   /* value = raw * 10^exponent, e.g. -3 for raw nanosiemens in uS */
} eb_channel;

typedef struct {
    const char *device_id;
    const char *firmware;
    uint32_t tick_hz;        /* device tick rate; ticks are a free-running uint32 */
    uint32_t rate_mhz;       /* sampling rate at boot, millihertz */
    uint32_t min_rate_mhz;
    uint32_t max_rate_mhz;
    uint8_t batch;           /* samples per SAMPLES frame, 1..EB_MAX_BATCH */
    uint8_t n_channels;      /* 1..EB_MAX_CHANNELS */
    const eb_channel *channels;
} eb_config;

typedef struct {
    void *ctx;
    /* Send bytes to the host; return false if the link could not take them
     * all (the core then counts the frame's samples as an overrun). */
    bool (*write)(void *ctx, const uint8_t *buf, size_t len);
    /* Read one sample of every channel, taken at device tick `tick`. */
    void (*sample)(void *ctx, uint32_t seq, uint32_t tick, int32_t *values);
} eb_board;

typedef struct {
    eb_config cfg;
    eb_board board;
    eb_decoder rx;
    bool streaming;
    bool reschedule;         /* START or SET_RATE: restart the schedule at the next poll */
    uint32_t rate_mhz;
    uint32_t seq;            /* seq of the next sample taken */
    uint32_t anchor;         /* tick of sample k = anchor + k * tick_hz * 1000 / rate_mhz */
    uint32_t k;
    uint8_t n_pending;
    uint32_t pending_seq;
    uint32_t pending_tick;
    uint8_t pending[EB_MAX_PAYLOAD];
    size_t pending_len;
    uint32_t overrun;        /* samples lost since the last OVERRUN report */
    uint32_t bad_frames;     /* frames from the host that failed to decode */
} eb_device;

/* Returns false if the config is invalid (the device then must not run). */
bool eb_init(eb_device *dev, const eb_config *cfg, const eb_board *board, uint32_t now_tick);
/* Bytes received from the host, in any chunking. */
void eb_receive(eb_device *dev, const uint8_t *bytes, size_t n);
/* Take every sample that is due at now_tick; returns ticks until the next one
 * is due (0 if one is due now), or UINT32_MAX when not streaming. */
uint32_t eb_poll(eb_device *dev, uint32_t now_tick);
/* Report a sensor fault on channel ch (e.g. electrodes off), and its end. */
void eb_report_sensor_fault(eb_device *dev, uint8_t ch, const char *message);
void eb_report_sensor_ok(eb_device *dev, uint8_t ch);

#ifdef __cplusplus
}
#endif
#endif
