/* sk-fuzz.h: the libFuzzer entry point every target in tests/fuzz defines
 * (tests/fuzz/run builds and runs them). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

G_END_DECLS
