/*
 * The self-test's static app: prints a greeting, then proves the image's CA bundle is there by
 * reading the file SSL_CERT_FILE names (witchery sets it when ca-certificates-bundle is
 * installed). Exit status 1 when it cannot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char *bundle = getenv("SSL_CERT_FILE");
  if (bundle == NULL) {
    fputs("SSL_CERT_FILE is not set\n", stderr);
    return 1;
  }
  FILE *file = fopen(bundle, "r");
  if (file == NULL) {
    perror(bundle);
    return 1;
  }
  char line[256];
  int certificates = 0;
  while (fgets(line, sizeof line, file) != NULL) {
    if (strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0) certificates++;
  }
  fclose(file);
  printf("hello from witchery: %d certificates in %s\n", certificates, bundle);
  return certificates > 0 ? 0 : 1;
}
