/* A recorded skin-conductance signal used as the host build's "ADC". */
#ifndef EDA_SOURCE_H
#define EDA_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double *us;        /* microsiemens, one per recorded sample */
    size_t n;
    uint32_t rate_hz;  /* rate of the recording */
} eda_source;

/* Load column `column` (by header name) of a CSV file; returns 0 or -1 with
 * a message on stderr. */
int eda_load_csv(eda_source *src, const char *path, const char *column, uint32_t rate_hz);
/* The recording held at `elapsed_us` since boot (zero-order hold, looping),
 * in nanosiemens rounded half up: the host's ADC reading. */
int32_t eda_read_ns(const eda_source *src, uint64_t elapsed_us);
void eda_free(eda_source *src);

#endif
