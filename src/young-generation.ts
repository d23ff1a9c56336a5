/**
 * Imported first by the action's entry point (`index.ts`), so that V8's young generation stays
 * at its starting size from before any other module is evaluated (keepYoungGenerationSmall).
 *
 * The command line keeps it small as `build` or `install` starts, and leaves a resolve to
 * readApkindex, which keeps it small as the first index is read. Setting a V8 flag changes V8's
 * hash of its flags, and each of Node's built-in modules loaded after that compiles anew instead
 * of from the code cache Node ships it with (zlib, crypto, fs/promises, os and stream took 10 ms
 * instead of 3 to load, https 13 instead of 4, on Node 20 and on Node 24 alike), so setting it
 * late makes a cold resolve 0.90-0.94× the time. Builds set it first all the same, since a build's peak matters more than its start:
 * in a build by the action on Node 24, setting it late let the peak come at 138-146 MiB in 9
 * runs of 40 instead of 2 (the same height; otherwise 120-125), and the command line's synthetic
 * 10 MB build peaked at 79 MiB instead of 69 on Node 20. Loading the common built-in modules
 * before setting it took back only a third of the time, and still 5 runs of 40 came at that
 * height.
 */
import { keepYoungGenerationSmall } from './released-memory.js'

keepYoungGenerationSmall()
