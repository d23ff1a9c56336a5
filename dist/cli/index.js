#!/usr/bin/env node
/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = require("node:path");
;// CONCATENATED MODULE: external "node:url"
const external_node_url_namespaceObject = require("node:url");
;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = require("node:crypto");
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = require("node:fs");
;// CONCATENATED MODULE: external "node:module"
const external_node_module_namespaceObject = require("node:module");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = require("node:os");
;// CONCATENATED MODULE: external "node:vm"
const external_node_vm_namespaceObject = require("node:vm");
;// CONCATENATED MODULE: ./src/regular-file.ts
/**
 * A whole file read on this thread, from a folder that may be hostile (a local repository's
 * index, the command line's code cache). files.ts's readRegularFile is the same for async code.
 */

/**
 * The bytes of `file` if `accept` takes its stat (it may throw to refuse with its own error),
 * else undefined; what it held when opened (a file still growing is cut there). It is opened
 * without waiting, since a FIFO put there would block a read for ever, and with `noFollow` not
 * through a last link; `accept` must refuse what is not a regular file (a device such as
 * /dev/zero, of size 0, would never end). An error opening it is thrown as it is.
 */
function readFileSyncIf(file, accept, options = {}) {
    const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = external_node_fs_namespaceObject.constants;
    const fd = external_node_fs_namespaceObject.openSync(file, O_RDONLY | O_NONBLOCK | (options.noFollow ? O_NOFOLLOW : 0));
    try {
        const stat = external_node_fs_namespaceObject.fstatSync(fd);
        if (!accept(stat))
            return undefined;
        const bytes = Buffer.allocUnsafe(stat.size);
        let read = 0;
        while (read < bytes.length) {
            const n = external_node_fs_namespaceObject.readSync(fd, bytes, read, bytes.length - read, read);
            if (n === 0)
                break;
            read += n;
        }
        return bytes.subarray(0, read);
    }
    finally {
        external_node_fs_namespaceObject.closeSync(fd);
    }
}

;// CONCATENATED MODULE: ./src/code-cache.ts
/**
 * V8's compiled code of the command line, kept between runs (as Python keeps `__pycache__`, and
 * as Node 22's `module.enableCompileCache()` does, which Node 20 lacks). The program's bundle is
 * 400 KB of JavaScript: compiling it, and then each function it calls the first time, is 10-20 ms
 * of every run, a tenth of a cold `resolve`. V8 serialises what it compiled (`createCachedData`)
 * and a later run hands it back (`cachedData`), checked by V8 against its own version, flags and
 * the source's length, and refused (then made again) when any differs.
 *
 * An entry is named by the SHA-256 of the bundle (V8 checks only its length), the Node version and
 * the architecture. V8 does not check an entry's bytes beyond a header, so what it reads is run
 * as code: an entry is trusted only as the user's own files are. It is read only from a folder
 * owned by this user and written by no one else, only a regular file (no link followed) owned by
 * this user and writable by no one else, and only to MAX_ENTRY bytes. Anything else is passed
 * over, never an error: the cache only saves time. An entry is written once, whole (a file of its
 * own renamed into place), and the folder kept to KEEP entries.
 *
 * Where: `WITCHERY_CODE_CACHE` (a folder, or `off`), else `$XDG_CACHE_HOME/witchery/code`
 * (`~/.cache/witchery/code`; `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows).
 */







/** The variable that moves the cache (a folder) or turns it off (`off`). */
const CODE_CACHE_VARIABLE = 'WITCHERY_CODE_CACHE';
/** The largest entry read: the command line's is ~0.3 MB. */
const MAX_ENTRY = 32 * 1024 * 1024;
/** How many entries a folder keeps (each bundle and Node version has its own). */
const KEEP = 8;
/** A temporary file left by a killed writer is removed after this long (ms). */
const STALE_TEMPORARY = 60 * 60 * 1000;
const SUFFIX = '.v8cache';
/** Where the cache is, or undefined when it is off or there is no home to keep it in. */
function codeCacheFolder(env = process.env, platform = process.platform, home = external_node_os_namespaceObject.homedir) {
    const chosen = env[CODE_CACHE_VARIABLE];
    if (chosen !== undefined && chosen !== '') {
        return chosen === 'off' ? undefined : external_node_path_namespaceObject.resolve(chosen);
    }
    let base;
    try {
        if (platform === 'win32')
            base = env.LOCALAPPDATA;
        else if (platform === 'darwin')
            base = external_node_path_namespaceObject.join(home(), 'Library', 'Caches');
        // The XDG spec: a relative XDG_CACHE_HOME is invalid and is ignored.
        else if (env.XDG_CACHE_HOME && external_node_path_namespaceObject.isAbsolute(env.XDG_CACHE_HOME))
            base = env.XDG_CACHE_HOME;
        else
            base = external_node_path_namespaceObject.join(home(), '.cache');
    }
    catch {
        // No home folder (os.homedir throws for a user without one).
        return undefined;
    }
    return base && external_node_path_namespaceObject.isAbsolute(base) ? external_node_path_namespaceObject.join(base, 'witchery', 'code') : undefined;
}
/** The entry's name for `source` on this Node. */
function entryName(source) {
    const sum = (0,external_node_crypto_namespaceObject.createHash)('sha256').update(source).digest('hex').slice(0, 32);
    return `${sum}-${process.version}-${process.arch}${SUFFIX}`;
}
const getuid = process.getuid?.bind(process);
/** Whether a file or folder's owner and mode let only this user change it. */
function ownOnly(stat) {
    if (getuid !== undefined && stat.uid !== getuid())
        return false;
    return process.platform === 'win32' || (stat.mode & 0o022) === 0;
}
/** Whether `folder` is a folder (not a link) only this user can change. */
function trustedFolder(folder) {
    try {
        const stat = external_node_fs_namespaceObject.lstatSync(folder);
        return stat.isDirectory() && ownOnly(stat);
    }
    catch {
        return false;
    }
}
/** The entry `name` in `folder`, if there is one it can trust (see above). */
function readEntry(folder, name) {
    if (!trustedFolder(folder))
        return undefined;
    try {
        let size = 0;
        const accept = (stat) => {
            size = stat.size;
            return stat.isFile() && ownOnly(stat) && size > 0 && size <= MAX_ENTRY;
        };
        const data = readFileSyncIf(external_node_path_namespaceObject.join(folder, name), accept, { noFollow: true });
        // One cut short while read is not the entry that was written.
        return data !== undefined && data.length === size ? data : undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * Writes entry `name` (a file of its own, renamed into place: a reader sees all of it or none)
 * and keeps the folder to KEEP entries; false when it could not (nothing is left behind then).
 */
function writeEntry(folder, name, data) {
    if (data.length === 0 || data.length > MAX_ENTRY)
        return false;
    let temporary;
    try {
        external_node_fs_namespaceObject.mkdirSync(folder, { recursive: true, mode: 0o700 });
        if (!trustedFolder(folder))
            return false;
        temporary = external_node_path_namespaceObject.join(folder, `.${(0,external_node_crypto_namespaceObject.randomBytes)(8).toString('hex')}.tmp`);
        external_node_fs_namespaceObject.writeFileSync(temporary, data, { mode: 0o600, flag: 'wx' });
        external_node_fs_namespaceObject.renameSync(temporary, external_node_path_namespaceObject.join(folder, name));
        temporary = undefined;
        prune(folder, name);
        return true;
    }
    catch {
        return false;
    }
    finally {
        if (temporary !== undefined)
            external_node_fs_namespaceObject.rmSync(temporary, { force: true });
    }
}
/** Removes all but the KEEP newest entries (`kept` among them), and old temporary files. */
function prune(folder, kept) {
    const now = Date.now();
    const entries = [];
    for (const entry of external_node_fs_namespaceObject.readdirSync(folder, { withFileTypes: true })) {
        if (!entry.isFile())
            continue;
        const file = external_node_path_namespaceObject.join(folder, entry.name);
        const mtime = external_node_fs_namespaceObject.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
        if (mtime === undefined)
            continue;
        if (entry.name.endsWith('.tmp') && entry.name.startsWith('.')) {
            if (now - mtime > STALE_TEMPORARY)
                external_node_fs_namespaceObject.rmSync(file, { force: true });
        }
        else if (entry.name.endsWith(SUFFIX) && entry.name !== kept) {
            entries.push({ name: entry.name, mtime });
        }
    }
    entries.sort((a, b) => b.mtime - a.mtime);
    for (const old of entries.slice(KEEP - 1))
        external_node_fs_namespaceObject.rmSync(external_node_path_namespaceObject.join(folder, old.name), { force: true });
}
const load = (0,external_node_module_namespaceObject.createRequire)(require("url").pathToFileURL(__filename).href);
/** v8.cachedDataVersionTag(); node:v8 is loaded only by a run that may write an entry. */
function versionTag() {
    return load('node:v8').cachedDataVersionTag();
}
/** Compiles CommonJS script `file` with its entry in `folder` (undefined: no cache). */
function compileCached(file, folder) {
    const source = external_node_fs_namespaceObject.readFileSync(file);
    const name = folder === undefined ? undefined : entryName(source);
    const cached = folder === undefined || name === undefined ? undefined : readEntry(folder, name);
    // The wrapper Node's loader puts around a module, on the source's first line so that lines in
    // stack traces stay the file's (a first line `#!\u{2026}` is a comment only at a script's start).
    const text = source.toString('utf8').replace(/^#!.*/, '');
    const script = new external_node_vm_namespaceObject.Script(`(function (exports, require, module, __filename, __dirname) { ${text}\n})`, { filename: file, cachedData: cached });
    const status = folder === undefined
        ? 'off'
        : cached === undefined
            ? 'none'
            : script.cachedDataRejected
                ? 'rejected'
                : 'accepted';
    // V8's tag of its version and flags now: an entry made when it differs (a flag set meanwhile)
    // would be refused by every run after, and made again by each.
    const tag = status === 'none' || status === 'rejected' ? versionTag() : undefined;
    return {
        status,
        run() {
            const module = { exports: {} };
            const run = script.runInThisContext();
            run(module.exports, (0,external_node_module_namespaceObject.createRequire)(file), module, file, external_node_path_namespaceObject.dirname(file));
            return module.exports;
        },
        save() {
            if (status === 'off' || status === 'accepted' || folder === undefined || !name)
                return false;
            if (tag === undefined || versionTag() !== tag)
                return false;
            return writeEntry(folder, name, script.createCachedData());
        }
    };
}

;// CONCATENATED MODULE: ./src/cli-bin.ts
/**
 * The `witchery` program (dist/cli/index.js): runs the command line's bundle (dist/cli/main.js,
 * from cli-main.ts) with V8's code of it kept from an earlier run (code-cache.ts). With an
 * entry, a cold `resolve python3` on Alpine v3.22 main took 0.93-0.94x the time on Node 20 and
 * 0.87-0.89x on Node 24 (21 and 41 rounds, in two hours of the machine).
 *
 * The entry is written at the end of the first run of a command that does the engine's work
 * (resolve, install, build) and ends well, so that it holds the code such a run compiles; a
 * `--help` first would keep little of it. Later runs only read it.
 */



const WORK = new Set(['resolve', 'install', 'build']);
const bundle = external_node_path_namespaceObject.join(external_node_path_namespaceObject.dirname((0,external_node_url_namespaceObject.fileURLToPath)(require("url").pathToFileURL(__filename).href)), 'main.js');
let script;
try {
    script = compileCached(bundle, codeCacheFolder());
}
catch (error) {
    // The program's own files, not the user's input: an install missing or damaging main.js.
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`witchery: cannot load its own code, ${bundle} (${reason}); reinstall it\n`);
    process.exit(1);
}
if ((script.status === 'none' || script.status === 'rejected') && WORK.has(process.argv[2])) {
    process.once('exit', (code) => {
        if (code === 0)
            script.save();
    });
}
script.run();

module.exports = __webpack_exports__;
/******/ })()
;