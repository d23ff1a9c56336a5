/*
 * The self-test's dynamic app: linked against libz.so.1, so its DT_NEEDED names a library the
 * image must provide. It prints the version of the zlib the image's loader found.
 */
#include <stdio.h>

const char *zlibVersion(void);

int main(void) {
  printf("zlib %s\n", zlibVersion());
  return 0;
}
