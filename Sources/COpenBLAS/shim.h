// CBLAS from Debian's libopenblas-dev (its pkg-config file adds the include path).
#include <cblas.h>
