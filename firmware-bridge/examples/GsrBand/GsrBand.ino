// A home-made GSR band (Grove GSR sensor on A0) speaking edge-bridge v1.
//
// This file is the whole board adapter: it gives the portable core a way to
// write bytes (Serial) and to read a sample (analogRead), and runs its loop.
// Install this folder's parent (firmware-bridge/) as an Arduino library,
// open this example, build for an Uno/Nano or an ESP32.
#include <Arduino.h>
#include <edge_bridge.h>

#if defined(ESP32)
static const uint8_t ADC_BITS = 12;  // the ESP32 ADC reads 0..4095
#else
static const uint8_t ADC_BITS = 10;  // AVR boards read 0..1023
#endif
static const uint8_t GSR_PIN = A0;
static const int32_t OPEN_CIRCUIT_ADC10 = 510;  // Grove: at or above mid-scale there is no skin

static eb_device device;
static bool electrodes_off = false;

// Grove GSR: R_skin = ((1024 + 2 * adc) * 10000) / (512 - adc) ohms, adc on 10 bits.
// Returns conductance in units of 0.01 uS (exponent -2 in the hello), or -1 if open.
static int32_t grove_centi_us(int32_t adc10) {
  if (adc10 >= OPEN_CIRCUIT_ADC10) return -1;
  int32_t ohms = ((1024L + 2L * adc10) * 10000L) / (512L - adc10);
  return (int32_t)(100000000LL / ohms);  // 1e6 uS per siemens, times 100
}

static bool board_write(void *ctx, const uint8_t *buf, size_t len) {
  (void)ctx;
  // Never block the sampling loop on a slow or absent host: refuse instead,
  // and the core reports the lost samples as an OVERRUN.
  if ((size_t)Serial.availableForWrite() < len) return false;
  return Serial.write(buf, len) == len;
}

static void board_sample(void *ctx, uint32_t seq, uint32_t tick, int32_t *values) {
  (void)ctx; (void)seq; (void)tick;
  int32_t adc10 = (int32_t)analogRead(GSR_PIN) >> (ADC_BITS - 10);
  int32_t g = grove_centi_us(adc10);
  bool off = g < 0;
  if (off != electrodes_off) {
    electrodes_off = off;
    if (off) eb_report_sensor_fault(&device, 0, "electrodes open");
    else eb_report_sensor_ok(&device, 0);
  }
  values[0] = off ? 0 : g;
}

static const eb_channel CHANNELS[] = {{"eda", "uS", -2}};

void setup() {
  Serial.begin(115200);
  eb_config cfg = {};
  cfg.device_id = "grove-gsr-01";
  cfg.firmware = "GsrBand 1.0.0";
  cfg.tick_hz = 1000000UL;  // micros()
  cfg.rate_mhz = 10000UL;   // 10 Hz until the host asks for more
  cfg.min_rate_mhz = 1000UL;
  cfg.max_rate_mhz = 200000UL;
  cfg.batch = 1;
  cfg.n_channels = 1;
  cfg.channels = CHANNELS;
  eb_board board = {nullptr, board_write, board_sample};
  eb_init(&device, &cfg, &board, (uint32_t)micros());
}

void loop() {
  uint8_t buf[32];
  size_t n = 0;
  while (Serial.available() && n < sizeof buf) buf[n++] = (uint8_t)Serial.read();
  if (n) eb_receive(&device, buf, n);
  eb_poll(&device, (uint32_t)micros());
}
