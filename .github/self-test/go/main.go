// The self-test's multi-arch app: a static Go binary, built for each architecture, that says
// which one it is and counts the certificates in the image's CA bundle.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

func main() {
	bundle := os.Getenv("SSL_CERT_FILE")
	pem, err := os.ReadFile(bundle)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot read SSL_CERT_FILE:", err)
		os.Exit(1)
	}
	certificates := strings.Count(string(pem), "-----BEGIN CERTIFICATE-----")
	fmt.Printf("hello from witchery on %s/%s: %d certificates in %s\n", runtime.GOOS, runtime.GOARCH, certificates, bundle)
	if certificates == 0 {
		os.Exit(1)
	}
}
