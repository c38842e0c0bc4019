/* Golden vectors from vectors/golden.txt, the file the Python tests read too. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "../src/edge_bridge_frame.h"
#include "check.h"

#define MAX_BYTES 4096

static const char *field(char *line, const char *key) {
    /* Fields are "key=value" separated by single spaces. */
    size_t klen = strlen(key);
    for (char *p = line; (p = strstr(p, key)) != NULL; p += klen) {
        if ((p == line || p[-1] == ' ') && p[klen] == '=') return p + klen + 1;
    }
    return NULL;
}

static long hex_field(char *line, const char *key, uint8_t *out) {
    const char *v = field(line, key);
    if (!v) return -1;
    if (v[0] == '-' && (v[1] == ' ' || v[1] == '\0' || v[1] == '\n')) return 0;
    long n = 0;
    while (v[0] && v[1] && v[0] != ' ' && v[0] != '\n' && n < MAX_BYTES) {
        char b[3] = {v[0], v[1], 0};
        out[n++] = (uint8_t)strtoul(b, NULL, 16);
        v += 2;
    }
    return n;
}

static void word_field(char *line, const char *key, char *out, size_t cap) {
    const char *v = field(line, key);
    size_t n = 0;
    while (v && v[n] && v[n] != ' ' && v[n] != '\n' && n + 1 < cap) { out[n] = v[n]; n++; }
    out[n] = 0;
}

static const char *rx_name(eb_rx_result r) {
    switch (r) {
    case EB_RX_FRAME: return "frame";
    case EB_RX_BAD_COBS: return "bad_cobs";
    case EB_RX_TOO_LONG: return "too_long";
    case EB_RX_TOO_SHORT: return "too_short";
    case EB_RX_BAD_CRC: return "bad_crc";
    case EB_RX_BAD_VERSION: return "bad_version";
    default: return "none";
    }
}

static void test_crc(char *line) {
    static uint8_t data[MAX_BYTES], crc[2];
    long n = hex_field(line, "data", data);
    hex_field(line, "crc", crc);
    uint16_t want = (uint16_t)(crc[0] << 8 | crc[1]);
    CHECK(eb_crc16(data, (size_t)n) == want, "crc of %ld bytes: got %04x want %04x", n, eb_crc16(data, (size_t)n), want);
    /* Incremental update over a split gives the same CRC. */
    uint16_t c = eb_crc16_update(0xFFFF, data, (size_t)n / 2);
    c = eb_crc16_update(c, data + n / 2, (size_t)(n - n / 2));
    CHECK(c == want, "split crc of %ld bytes: got %04x", n, c);
}

static void test_cobs(char *line) {
    static uint8_t dec[MAX_BYTES], enc[MAX_BYTES], out[MAX_BYTES];
    long nd = hex_field(line, "decoded", dec), ne = hex_field(line, "encoded", enc);
    size_t n = eb_cobs_encode(dec, (size_t)nd, out);
    CHECK(n == (size_t)ne && memcmp(out, enc, n) == 0, "cobs encode of %ld bytes: got %zu bytes", nd, n);
    int m = eb_cobs_decode(enc, (size_t)ne, out, sizeof out);
    CHECK(m == nd && memcmp(out, dec, (size_t)nd) == 0, "cobs decode of %ld bytes: got %d", ne, m);
}

static void test_frame(char *line) {
    static uint8_t payload[MAX_BYTES], wire[MAX_BYTES], type[1], out[EB_MAX_WIRE];
    char name[64];
    word_field(line, "name", name, sizeof name);
    long np = hex_field(line, "payload", payload), nw = hex_field(line, "wire", wire);
    hex_field(line, "type", type);
    size_t n = eb_frame_encode(type[0], payload, (size_t)np, out);
    CHECK(n == (size_t)nw && memcmp(out, wire, n) == 0, "%s: encoded %zu bytes, golden %ld", name, n, nw);
    /* Decode byte by byte: exactly one frame, at the final delimiter. */
    eb_decoder d;
    eb_decoder_init(&d);
    int frames = 0;
    for (long i = 0; i < nw; i++) {
        eb_rx_result r = eb_decoder_feed(&d, wire[i]);
        if (r == EB_RX_NONE) continue;
        CHECK(r == EB_RX_FRAME && i == nw - 1, "%s: %s at byte %ld", name, rx_name(r), i);
        frames++;
        CHECK(d.frame.type == type[0] && d.frame.len == (size_t)np && memcmp(eb_payload(&d.frame), payload, (size_t)np) == 0,
              "%s: decoded type %02x, %zu payload bytes", name, d.frame.type, d.frame.len);
    }
    CHECK(frames == 1, "%s: %d frames decoded", name, frames);
}

static void test_reject(char *line) {
    static uint8_t wire[MAX_BYTES];
    char name[64], reason[32];
    word_field(line, "name", name, sizeof name);
    word_field(line, "reason", reason, sizeof reason);
    long nw = hex_field(line, "wire", wire);
    eb_decoder d;
    eb_decoder_init(&d);
    int results = 0;
    for (long i = 0; i < nw; i++) {
        eb_rx_result r = eb_decoder_feed(&d, wire[i]);
        if (r == EB_RX_NONE) continue;
        results++;
        CHECK(strcmp(rx_name(r), reason) == 0, "%s: got %s, golden %s", name, rx_name(r), reason);
    }
    CHECK(results == 1, "%s: %d results", name, results);
}

static void test_stream(char *line) {
    static uint8_t bytes[MAX_BYTES];
    char name[64], frames[128], got[128] = "";
    word_field(line, "name", name, sizeof name);
    word_field(line, "frames", frames, sizeof frames);
    long n = hex_field(line, "bytes", bytes);
    int counts[EB_RX_BAD_VERSION + 1] = {0};
    eb_decoder d;
    eb_decoder_init(&d);
    for (long i = 0; i < n; i++) {
        eb_rx_result r = eb_decoder_feed(&d, bytes[i]);
        counts[r]++;
        if (r == EB_RX_FRAME) {
            char t[4];
            snprintf(t, sizeof t, "%s%02x", got[0] ? "," : "", d.frame.type);
            strncat(got, t, sizeof got - strlen(got) - 1);
        }
    }
    CHECK(strcmp(got, frames) == 0, "%s: frames %s, golden %s", name, got, frames);
    for (int r = EB_RX_BAD_COBS; r <= EB_RX_BAD_VERSION; r++) {
        char want[16] = "0";
        word_field(line, rx_name((eb_rx_result)r), want, sizeof want);
        if (!want[0]) strcpy(want, "0");
        CHECK(counts[r] == atoi(want), "%s: %d %s, golden %s", name, counts[r], rx_name((eb_rx_result)r), want);
    }
}

int run_vector_tests(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    static char line[3 * MAX_BYTES];
    int vectors = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        vectors++;
        if (strncmp(line, "crc ", 4) == 0) test_crc(line);
        else if (strncmp(line, "cobs ", 5) == 0) test_cobs(line);
        else if (strncmp(line, "frame ", 6) == 0) test_frame(line);
        else if (strncmp(line, "reject ", 7) == 0) test_reject(line);
        else if (strncmp(line, "stream ", 7) == 0) test_stream(line);
        else CHECK(0, "unknown vector kind: %.20s", line);
    }
    fclose(f);
    return vectors;
}
