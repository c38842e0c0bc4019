// Runs the GsrBand example's setup() and a few loop() turns on the host.
#include "Arduino.h"

StubSerial Serial;
static unsigned long now_us = 0;
int analogRead(uint8_t) { return 300; }
unsigned long micros() { return now_us; }

void setup();
void loop();

int main() {
    setup();
    for (int i = 0; i < 1000; i++) {
        now_us += 1000;
        loop();
    }
    return 0;
}
