/* SPDX-License-Identifier: BSD-3-Clause
 *
 * CHECK for the fuzz targets: an assert that holds whatever the build type
 * (release builds define NDEBUG), reporting where it failed, then abort()
 * so libFuzzer keeps the input.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                   \
        }                                                                              \
    } while (0)

#endif
