// zlib, for the tests that read the PNG Chromium renders of the report (Debian's zlib1g-dev).
#include <zlib.h>
