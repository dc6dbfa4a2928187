// Debian's libjemalloc-dev: linking it replaces malloc process-wide, which is the point (the
// memory-regression tests read its statistics through mallctl).
#include <jemalloc/jemalloc.h>
