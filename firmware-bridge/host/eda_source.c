/* CSV loading and zero-order-hold playback of a recorded EDA signal. */
#include "eda_source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int find_column(char *header, const char *column) {
    int idx = 0;
    for (char *tok = strtok(header, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), idx++) {
        if (strcmp(tok, column) == 0) return idx;
    }
    return -1;
}

int eda_load_csv(eda_source *src, const char *path, const char *column, uint32_t rate_hz) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[4096];
    if (!fgets(line, sizeof line, f)) {
        fprintf(stderr, "%s: empty file\n", path);
        fclose(f);
        return -1;
    }
    int col = find_column(line, column);
    if (col < 0) {
        fprintf(stderr, "%s: no column named %s\n", path, column);
        fclose(f);
        return -1;
    }
    size_t cap = 1024;
    src->us = malloc(cap * sizeof *src->us);
    src->n = 0;
    src->rate_hz = rate_hz;
    while (src->us && fgets(line, sizeof line, f)) {
        char *p = line;
        for (int i = 0; i < col && p; i++) {
            p = strchr(p, ',');
            if (p) p++;
        }
        if (!p) continue;
        char *end;
        double v = strtod(p, &end);
        if (end == p) continue; /* an empty or non-numeric cell is skipped */
        if (src->n == cap) {
            cap *= 2;
            double *grown = realloc(src->us, cap * sizeof *src->us);
            if (!grown) break;
            src->us = grown;
        }
        src->us[src->n++] = v;
    }
    fclose(f);
    if (!src->us || src->n == 0) {
        fprintf(stderr, "%s: no samples in column %s\n", path, column);
        eda_free(src);
        return -1;
    }
    return 0;
}

int32_t eda_read_ns(const eda_source *src, uint64_t elapsed_us) {
    size_t i = (size_t)((elapsed_us * src->rate_hz / 1000000u) % src->n);
    return (int32_t)floor(src->us[i] * 1000.0 + 0.5);
}

void eda_free(eda_source *src) {
    free(src->us);
    src->us = NULL;
    src->n = 0;
}
