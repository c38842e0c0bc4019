/* C unit tests of the edge-bridge core: `make test` builds and runs them. */
#include <stdio.h>

#include "check.h"

int check_failures = 0;
int check_count = 0;

int main(int argc, char **argv) {
    const char *vectors = argc > 1 ? argv[1] : "vectors/golden.txt";
    int n = run_vector_tests(vectors);
    if (n <= 0) {
        fprintf(stderr, "no golden vectors read from %s\n", vectors);
        return 1;
    }
    run_core_tests();
    printf("%d golden vectors, %d checks, %d failures\n", n, check_count, check_failures);
    return check_failures ? 1 : 0;
}
