/* A minimal test harness: CHECK records a failure and carries on. */
#ifndef CHECK_H
#define CHECK_H
#include <stdio.h>

extern int check_failures;
extern int check_count;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        check_count++;                                                          \
        if (!(cond)) {                                                          \
            check_failures++;                                                   \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

int run_vector_tests(const char *path);
int run_core_tests(void);
#endif
