/* Just enough of the Arduino API to compile examples/GsrBand on the host (`make test`). */
#ifndef ARDUINO_STUB_H
#define ARDUINO_STUB_H
#include <stddef.h>
#include <stdint.h>

#define A0 14
struct StubSerial {
    void begin(unsigned long) {}
    int available() { return 0; }
    int read() { return -1; }
    int availableForWrite() { return 64; }
    size_t write(const uint8_t *, size_t len) { return len; }
};
extern StubSerial Serial;
int analogRead(uint8_t pin);
unsigned long micros();
#endif
