/* Host build of the edge-bridge reference firmware.
 *
 * Runs the same portable core as the Arduino/ESP32 adapter, on a
 * pseudo-terminal instead of a UART, with a real EDA recording as its ADC:
 *
 *   edge-bridge-host --eda FILE [--column EDA] [--file-rate 100]
 *                    (--fd N | --link PATH) [--rate 128] [--batch 4]
 *                    [--device-id ID] [--tick-offset TICKS]
 *
 * --fd N uses an inherited pty master (tests open the pty with os.openpty
 * and keep the slave); --link PATH creates a pty, keeps its slave open so the
 * "device" stays plugged in, and points the symlink PATH at the slave, like
 * udev's /dev/serial/by-id links. Closing the master (exit) is an unplug.
 * Prints "ready <slave path>" on stdout once it is serving.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../src/edge_bridge.h"
#include "eda_source.h"

#define TICK_HZ 1000000u /* microseconds, like Arduino micros() */

typedef struct {
    int fd;
    eda_source eda;
    uint32_t tick_offset;
    uint64_t elapsed_us;     /* since boot, not wrapping, at last_tick */
    uint32_t last_tick;
    unsigned long frames_dropped;
} host_board;

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static uint64_t monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool board_write(void *ctx, const uint8_t *buf, size_t len) {
    host_board *b = ctx;
    ssize_t n = write(b->fd, buf, len);
    if (n == (ssize_t)len) return true;
    /* Full buffer (nobody reading) or no slave open: the bytes go nowhere,
     * as they would from a UART with no host attached. */
    b->frames_dropped++;
    return false;
}

static void board_sample(void *ctx, uint32_t seq, uint32_t tick, int32_t *values) {
    (void)seq;
    host_board *b = ctx;
    b->elapsed_us += (uint32_t)(tick - b->last_tick);
    b->last_tick = tick;
    values[0] = eda_read_ns(&b->eda, b->elapsed_us);
}

static int make_raw(int fd) {
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -1;
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}

static int open_linked_pty(const char *link_path, int *slave_out) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        perror("posix_openpt");
        return -1;
    }
    const char *name = ptsname(master);
    int slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
    if (slave < 0 || make_raw(slave) != 0) {
        perror("open pty slave");
        return -1;
    }
    unlink(link_path);
    if (symlink(name, link_path) != 0) {
        perror(link_path);
        return -1;
    }
    *slave_out = slave;
    return master;
}

static void usage(void) {
    fprintf(stderr,
            "usage: edge-bridge-host --eda FILE [--column EDA] [--file-rate HZ] (--fd N | --link PATH)\n"
            "                        [--rate HZ] [--batch N] [--device-id ID] [--tick-offset TICKS]\n");
}

int main(int argc, char **argv) {
    const char *eda_path = NULL, *column = "EDA", *link_path = NULL, *device_id = "bridge-host";
    int fd = -1, slave = -1;
    double rate_hz = 128.0;
    unsigned long file_rate = 100, batch = 4, tick_offset = 0;
    static const struct option opts[] = {
        {"eda", required_argument, 0, 'e'},       {"column", required_argument, 0, 'c'},
        {"file-rate", required_argument, 0, 'F'}, {"fd", required_argument, 0, 'f'},
        {"link", required_argument, 0, 'l'},      {"rate", required_argument, 0, 'r'},
        {"batch", required_argument, 0, 'b'},     {"device-id", required_argument, 0, 'd'},
        {"tick-offset", required_argument, 0, 't'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (c) {
        case 'e': eda_path = optarg; break;
        case 'c': column = optarg; break;
        case 'F': file_rate = strtoul(optarg, NULL, 10); break;
        case 'f': fd = atoi(optarg); break;
        case 'l': link_path = optarg; break;
        case 'r': rate_hz = strtod(optarg, NULL); break;
        case 'b': batch = strtoul(optarg, NULL, 10); break;
        case 'd': device_id = optarg; break;
        case 't': tick_offset = strtoul(optarg, NULL, 0); break;
        default: usage(); return 2;
        }
    }
    if (!eda_path || (fd < 0) == (link_path == NULL) || file_rate == 0) {
        usage();
        return 2;
    }

    host_board board = {.fd = -1, .tick_offset = (uint32_t)tick_offset, .last_tick = (uint32_t)tick_offset};
    if (eda_load_csv(&board.eda, eda_path, column, (uint32_t)file_rate) != 0) return 1;
    if (link_path) {
        fd = open_linked_pty(link_path, &slave);
        if (fd < 0) return 1;
    }
    board.fd = fd;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    static const eb_channel channels[] = {{"eda", "uS", -3}};
    eb_config cfg = {
        .device_id = device_id,
        .firmware = "edge-bridge-host 1.0.0",
        .tick_hz = TICK_HZ,
        .rate_mhz = (uint32_t)(rate_hz * 1000.0 + 0.5),
        .min_rate_mhz = 1000u,
        .max_rate_mhz = 1000000u,
        .batch = (uint8_t)batch,
        .n_channels = 1,
        .channels = channels,
    };
    const uint64_t boot_us = monotonic_us();
    eb_board ops = {.ctx = &board, .write = board_write, .sample = board_sample};
    eb_device dev;
    if (!eb_init(&dev, &cfg, &ops, (uint32_t)tick_offset)) {
        fprintf(stderr, "invalid configuration (rate %.3f Hz, batch %lu)\n", rate_hz, batch);
        return 2;
    }
    printf("ready %s\n", link_path ? ptsname(fd) : (ttyname(fd) ? ttyname(fd) : "fd"));
    fflush(stdout);

    bool host_present = true;
    while (!stop_requested) {
        uint32_t now = (uint32_t)tick_offset + (uint32_t)(monotonic_us() - boot_us);
        uint32_t wait_ticks = eb_poll(&dev, now);
        int timeout_ms = wait_ticks == UINT32_MAX ? 100 : (int)((wait_ticks + 999u) / 1000u);
        if (timeout_ms > 100) timeout_ms = 100;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = host_present ? poll(&pfd, 1, timeout_ms) : poll(NULL, 0, timeout_ms);
        host_present = true;
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            break;
        }
        if (r == 0) continue;
        if (pfd.revents & POLLIN) {
            uint8_t buf[512];
            ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0) {
                eb_receive(&dev, buf, (size_t)n);
                continue;
            }
        }
        /* POLLHUP or EIO: no slave open. Wait out the interval instead of spinning. */
        host_present = false;
    }
    fprintf(stderr, "edge-bridge-host: seq %lu, frames dropped %lu, bad frames from host %lu\n",
            (unsigned long)dev.seq, board.frames_dropped, (unsigned long)dev.bad_frames);
    if (link_path) unlink(link_path);
    if (slave >= 0) close(slave);
    close(fd);
    eda_free(&board.eda);
    return 0;
}
