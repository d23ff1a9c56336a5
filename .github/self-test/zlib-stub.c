/*
 * Only for the linker on the runner, which has no zlib built for musl: a libz.so.1 with the one
 * symbol the app calls. It never goes into the image; there the app loads Alpine's zlib.
 */
const char *zlibVersion(void) { return "stub"; }
