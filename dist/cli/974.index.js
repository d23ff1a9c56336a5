"use strict";
exports.id = 974;
exports.ids = [974];
exports.modules = {

/***/ 974:
/***/ (function (__unused_webpack_module, __webpack_exports__, __webpack_require__) {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  installFetched: () => (/* binding */ installFetched)
});

// EXTERNAL MODULE: ./src/temp.ts
var temp = __webpack_require__(369);
// EXTERNAL MODULE: ./src/apk/fetch/cache.ts
var cache = __webpack_require__(383);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(24);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(760);
// EXTERNAL MODULE: ./src/apk/fetch/concurrency.ts
var concurrency = __webpack_require__(402);
// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __webpack_require__(239);
// EXTERNAL MODULE: ./src/apk/formats/package-file.ts
var package_file = __webpack_require__(484);
// EXTERNAL MODULE: ./src/apk/fetch/fetch.ts + 1 modules
var fetch = __webpack_require__(552);
// EXTERNAL MODULE: ./src/apk/fetch/repository.ts + 1 modules
var fetch_repository = __webpack_require__(614);
// EXTERNAL MODULE: ./src/apk/fetch/transport.ts + 1 modules
var transport = __webpack_require__(718);
// EXTERNAL MODULE: ./src/apk/types.ts
var types = __webpack_require__(443);
;// CONCATENATED MODULE: ./src/apk/fetch/fetch-packages.ts
/**
 * Getting verified package files: from local repositories on disk, from the cache, or over
 * HTTP, each used only after it verifies against its index entry. Apart from the indexes'
 * fetching (fetch.ts): a resolve never loads this, or the package reader it needs.
 */
// fs.promises: Node loads node:fs/promises on its first use.









/** The largest package body taken when the index gives no size (`S:`); else exactly `S:`. */
const MAX_UNSIZED_PACKAGE_BYTES = 1024 * 1024 * 1024;
/**
 * Fetches and verifies the files of `packages` (meta packages with installed size 0 have none),
 * at most `concurrency` downloads at once. Returns the verified files by package identity
 * (none with `onVerified`, which takes each file instead).
 */
async function fetchPackages(packages, repositories, arch, options = {}) {
    const wanted = uniqueIdentities(packages.filter((pkg) => pkg.installedSize > 0));
    const byIndex = new Map(repositories.map((repository) => [repository.index, repository]));
    const ownTransport = options.transport ? undefined : new transport/* HttpTransport */.G({ logger: options.logger });
    const stats = options.stats ?? (0,fetch/* newFetchStats */.cE)();
    // On the first failure, cancel the downloads still running: the build has failed already.
    const cancel = new AbortController();
    const context = {
        arch,
        transport: options.transport ?? ownTransport,
        cache: options.cache,
        logger: options.logger ?? types/* silentLogger */.qq,
        stats,
        signal: cancel.signal,
        staging: options.staging
    };
    const startBytes = stats.downloadedBytes;
    let done = 0;
    let firstError;
    try {
        const files = await (0,concurrency/* mapLimit */.s)(wanted, options.concurrency ?? 6, async (pkg) => {
            try {
                await options.admit?.(pkg, cancel.signal);
                const file = await fetchPackage(pkg, repositoryOf(pkg, byIndex), context);
                options.onVerified?.(pkg, file);
                done++;
                options.onProgress?.(done, wanted.length, stats.downloadedBytes - startBytes);
                return options.onVerified ? undefined : file;
            }
            catch (error) {
                firstError ??= { error };
                cancel.abort();
                throw error;
            }
        });
        const kept = new Map();
        wanted.forEach((pkg, i) => files[i] && kept.set(pkg.checksum, files[i]));
        return kept;
    }
    catch (error) {
        // Report the failure that stopped the build, not a download it cancelled.
        throw firstError ? firstError.error : error;
    }
    finally {
        ownTransport?.close();
    }
}
function uniqueIdentities(packages) {
    const seen = new Set();
    return packages.filter((pkg) => !seen.has(pkg.checksum) && seen.add(pkg.checksum));
}
function repositoryOf(pkg, byIndex) {
    const repository = byIndex.get(pkg.repository);
    if (!repository) {
        throw new errors/* InvalidArgumentError */.Di(`package ${pkg.name}-${pkg.version} comes from repository #${pkg.repository}, which is not among the repositories given; pass the same repositories the indexes came from.`);
    }
    return repository;
}
async function fetchPackage(pkg, repository, context) {
    const label = `${pkg.name}-${pkg.version}`;
    const url = (0,fetch_repository/* packageUrl */.EH)(repository, pkg, context.arch);
    // A local repository is already on disk: caching it would only copy it.
    if (!(0,fetch_repository/* isRemote */.Vx)(repository))
        return readLocalPackage(pkg, url, label, context.staging);
    const cached = await fromCache(pkg, label, context);
    if (cached)
        return cached;
    if (context.staging !== undefined) {
        return downloadToFile(pkg, url, label, context, context.staging);
    }
    const bytes = await download(pkg, url, label, context);
    const file = await verifyDownloaded(bytes, pkg, url, label, context.staging);
    context.stats.packagesDownloaded++;
    await storePackage(pkg, { bytes }, label, context);
    return file;
}
/**
 * A package of a local repository, verified from its file: a large one as a stream, so its
 * bytes never sit whole in memory (readApkPackageFile).
 */
async function readLocalPackage(pkg, file, label, staging) {
    try {
        return await (0,package_file/* readApkPackageFile */.LB)(file, { expected: pkg, label, staging });
    }
    catch (error) {
        if (error instanceof errors/* ApkError */.xE)
            throw notMatching(error, label, file);
        if (!isFileError(error))
            throw error;
        const missing = error.code === 'ENOENT';
        const reason = missing
            ? 'the index lists it but the file is missing; rebuild the repository index'
            : error.message;
        throw new errors/* FetchError */.fk(file, `cannot read package ${label} at ${file}: ${reason}`, {
            cause: error
        });
    }
}
/** An error of a file system call (it names the call), not of the bytes read. */
function isFileError(error) {
    const call = error?.syscall;
    return typeof call === 'string' && !(error instanceof errors/* ApkError */.xE);
}
/** A cached package that verifies; one that does not is removed and fetched again. */
async function fromCache(pkg, label, context) {
    if (!context.cache)
        return undefined;
    const cached = context.cache.packagePath(pkg.checksum);
    try {
        // Not read at all when its size is not the index's: a file grown in a shared cache folder
        // (700 MiB of padding once) was read whole before it failed verification.
        // Not followed: a link (to /dev/zero, say) or a FIFO where a file belongs is not a package.
        const stat = await external_node_fs_.promises.lstat(cached);
        const size = stat.size;
        const expected = pkg.size > 0 ? pkg.size : undefined;
        if (!stat.isFile() || size !== (expected ?? size) || size > MAX_UNSIZED_PACKAGE_BYTES) {
            context.logger.debug(`${label}: the cached file is ${size} bytes, the index says ${pkg.size}; fetching it again`);
            await context.cache.removePackage(pkg.checksum).catch(() => undefined);
            return undefined;
        }
        const file = await (0,package_file/* readApkPackageFile */.LB)(cached, {
            expected: pkg,
            label,
            staging: context.staging
        });
        context.stats.packagesFromCache++;
        return file;
    }
    catch (error) {
        if (isFileError(error)) {
            if (error.code !== 'ENOENT') {
                context.logger.debug(`${label}: cache unreadable (${error.message}); ignoring it`);
            }
            return undefined;
        }
        context.logger.debug(`${label}: cached file failed verification (${error.message}); fetching it again`);
        await context.cache.removePackage(pkg.checksum).catch(() => undefined);
        return undefined;
    }
}
let downloads = 0;
/**
 * A download written to a file of the staging folder as it arrives and verified from there
 * (readApkPackageFile), so a large package never sits whole in memory; the cache gets a copy of
 * the file once it verified. The file is removed whatever happens.
 */
async function downloadToFile(pkg, url, label, context, staging) {
    const temp = external_node_path_.join(staging, `${process.pid}-download-${++downloads}.apk`);
    try {
        await download(pkg, url, label, context, temp);
        const file = await verifyDownloaded(temp, pkg, url, label, staging);
        context.stats.packagesDownloaded++;
        await storePackage(pkg, { file: temp }, label, context);
        return file;
    }
    finally {
        await external_node_fs_.promises.rm(temp, { force: true });
    }
}
/** The body of a package download, or (with `file`) an empty buffer once the file holds it. */
async function download(pkg, url, label, context, file) {
    try {
        const response = await context.transport.get(url, {
            expectedSize: pkg.size > 0 ? pkg.size : undefined,
            maxBytes: MAX_UNSIZED_PACKAGE_BYTES,
            magic: fetch/* GZIP_MAGIC */.Hr,
            what: 'package',
            signal: context.signal,
            file
        });
        context.stats.downloadedBytes += response.size;
        return response.body;
    }
    catch (error) {
        if (error instanceof errors/* FetchError */.fk) {
            throw new errors/* FetchError */.fk(url, `cannot fetch package ${label}: ${error.message}`, {
                status: error.status,
                cause: error
            });
        }
        throw error;
    }
}
/** A download, its bytes or the file it went to, verified against the package's index entry. */
async function verifyDownloaded(downloaded, pkg, source, label, staging) {
    const options = { expected: pkg, label, staging };
    try {
        return typeof downloaded === 'string'
            ? await (0,package_file/* readApkPackageFile */.LB)(downloaded, options)
            : await (0,package_file.readApkPackageAsync)(downloaded, options);
    }
    catch (error) {
        if (!(error instanceof errors/* ApkError */.xE))
            throw error;
        throw notMatching(error, label, source);
    }
}
function notMatching(error, label, source) {
    return new errors/* PackageIntegrityError */.Ur(`package ${label} from ${source} does not match its index entry: ${error.message.replace(/\.+$/, '')}; the repository (or a proxy) served other bytes, and nothing from them was used.`, { cause: error });
}
/** Keeps a verified package in the cache (from memory or from a file); a failure only warns. */
async function storePackage(pkg, from, label, context) {
    if (!context.cache)
        return;
    try {
        if ('bytes' in from)
            await context.cache.writePackage(pkg.checksum, from.bytes);
        else
            await context.cache.writePackageFile(pkg.checksum, from.file);
    }
    catch (error) {
        context.logger.warning(`could not cache ${label}: ${error.message}`);
    }
}

// EXTERNAL MODULE: ./src/released-memory.ts
var released_memory = __webpack_require__(258);
;// CONCATENATED MODULE: ./src/apk/install/queue.ts
/**
 * Feeds a RootInstaller in install order from package files that become ready in any order,
 * and holds back downloads while too much package data waits in memory.
 */



/**
 * The most package data (compressed files, and what they inflate to in memory) a build holds
 * between starting to fetch packages and installing them. Downloads wait for room, so a build's
 * memory does not grow with the number or size of its packages; a package that weighs more than
 * this on its own is fetched alone.
 */
const MEMORY_WINDOW = 8 * 1024 * 1024;
/**
 * What a package may hold in memory while it is fetched, verified and waits for its turn: its
 * file, and the data readApkPackageAsync keeps in memory (inMemoryBudget; more is staged).
 */
function memoryWeight(pkg) {
    return Math.min(MEMORY_WINDOW, Math.max(0, pkg.size) + (0,package_file/* inMemoryBudget */.cp)(pkg.installedSize));
}
/**
 * Feeds an installer in install order from files that become ready in any order (downloads
 * finish as they finish). `admit` is awaited before each package is fetched, in install order;
 * `ready` is called once per package file; `done` waits for the rest.
 */
class InstallQueue {
    installer;
    order;
    window;
    next = 0;
    files = new Map();
    chain = Promise.resolve();
    /** Weight admitted and not installed yet, by package identity. */
    admitted = new Map();
    held = 0;
    waiting = [];
    failure;
    constructor(installer, order, window = MEMORY_WINDOW) {
        this.installer = installer;
        this.order = order;
        this.window = window;
        this.kick();
    }
    /**
     * Resolves once `pkg` may be fetched: when what the packages admitted before it hold, plus
     * its own weight, fits the window (or nothing is held). Call it in install order: admissions
     * are granted first come, first served, so the package the installer waits for is never held
     * back behind a later one. Rejects once the install failed or `signal` aborts.
     */
    admit(pkg, signal) {
        if (this.failure)
            return Promise.reject(this.failure.error);
        if (signal?.aborted)
            return Promise.reject(signal.reason);
        const weight = Math.min(this.window, memoryWeight(pkg));
        return new Promise((resolve, reject) => {
            const onAbort = () => {
                const at = this.waiting.indexOf(entry);
                if (at >= 0)
                    this.waiting.splice(at, 1);
                reject(signal?.reason);
                this.grant();
            };
            const entry = {
                weight,
                resolve: () => {
                    signal?.removeEventListener('abort', onAbort);
                    this.admitted.set(pkg.checksum, (this.admitted.get(pkg.checksum) ?? 0) + weight);
                    this.held += weight;
                    resolve();
                },
                reject: (error) => {
                    signal?.removeEventListener('abort', onAbort);
                    reject(error);
                }
            };
            signal?.addEventListener('abort', onAbort, { once: true });
            this.waiting.push(entry);
            this.grant();
        });
    }
    ready(pkg, file) {
        this.files.set(pkg.checksum, file);
        this.kick();
    }
    /** Resolves when every package is installed; rejects with the first install failure. */
    async done() {
        this.kick();
        await this.chain;
        if (this.next < this.order.length) {
            const pkg = this.order[this.next];
            throw new errors/* InvalidArgumentError */.Di(`${pkg.name}-${pkg.version}: its package file never arrived; nothing was installed.`);
        }
    }
    /** Resolves once no package is being written any more, failed or not. */
    async settled() {
        await this.chain.catch(() => undefined);
    }
    kick() {
        this.chain = this.chain.then(() => this.pump());
        // Seen later by done(); until then the failure must not count as unhandled. Admissions
        // still waiting fail with it, so no download waits for room that will never come.
        this.chain.catch((error) => this.fail(error));
    }
    async pump() {
        while (this.next < this.order.length) {
            const pkg = this.order[this.next];
            const file = this.files.get(pkg.checksum);
            if (pkg.installedSize > 0 && !file)
                return;
            this.next++;
            // Installed packages' bytes are on disk: letting go of the file frees its memory.
            this.files.delete(pkg.checksum);
            await this.installer.add({ pkg, file });
            this.release(pkg);
            // Its compressed and inflated bytes went through memory whole (a larger package's pieces
            // are counted as they pass).
            if (pkg.installedSize <= package_file/* STREAM_ABOVE */.hP)
                (0,released_memory/* letGo */.Ko)(pkg.size + pkg.installedSize);
        }
    }
    release(pkg) {
        const weight = this.admitted.get(pkg.checksum);
        if (weight === undefined)
            return;
        this.admitted.delete(pkg.checksum);
        this.held -= weight;
        this.grant();
    }
    /** Admits waiting packages in order while the first of them fits. */
    grant() {
        while (this.waiting.length > 0) {
            const first = this.waiting[0];
            if (this.held > 0 && this.held + first.weight > this.window)
                return;
            this.waiting.shift();
            first.resolve();
        }
    }
    fail(error) {
        this.failure ??= { error };
        for (const entry of this.waiting.splice(0))
            entry.reject(this.failure.error);
    }
}

// EXTERNAL MODULE: ./src/apk/formats/apkindex.ts + 3 modules
var apkindex = __webpack_require__(359);
// EXTERNAL MODULE: ./src/apk/formats/dependency.ts
var dependency = __webpack_require__(908);
// EXTERNAL MODULE: ./src/apk/solver/solve.ts + 6 modules
var solve = __webpack_require__(415);
// EXTERNAL MODULE: ./src/apk/formats/version.ts
var version = __webpack_require__(769);
;// CONCATENATED MODULE: ./src/apk/install/installed-db.ts
/**
 * The apk database files, byte for byte as apk-tools 2.14 writes them (apk-format.md \u{a7}3.2\u{2013}3.5):
 * `lib/apk/db/installed`, `lib/apk/db/scripts.tar`, `lib/apk/db/triggers`, `etc/apk/world`.
 * Scanners (Trivy, Grype, Syft) read the first one to learn what the image holds.
 */





const DEFAULT_DIR_MODE = 0o755;
const DEFAULT_FILE_MODE = 0o644;
function aclText(acl) {
    const base = `${acl.uid}:${acl.gid}:${acl.mode.toString(8)}`;
    return acl.xattrs ? `${base}:${acl.xattrs}` : base;
}
function isDefault(acl, mode) {
    return acl.uid === 0 && acl.gid === 0 && acl.mode === mode && !acl.xattrs;
}
/** Stanza order: by name (case-insensitive, then bytes), then version as apk sorts them. */
function compareDbPackages(a, b) {
    return (0,solve/* compareNames */.M)(a.name, b.name) || (0,version/* compareVersions */.Zy)(a.version, b.version);
}
/**
 * `lib/apk/db/installed`. apk 2.14 buffers a stanza's `r:`/`q:`/`s:`/`f:` lines and writes them
 * with its first `F:` line, so a package without folders hands them to the next stanza that has
 * one. We reproduce that, to stay byte-identical with apk-tools 2.14.
 */
function formatInstalled(packages) {
    const sorted = [...packages].sort((a, b) => compareDbPackages(a.info, b.info));
    const out = new TextChunks();
    let pending = '';
    for (const pkg of sorted) {
        out.add((0,apkindex/* formatIndexHeader */.h1)(pkg.info));
        if (pkg.replaces.length)
            pending += `r:${(0,dependency/* formatDependencies */.Jh)(pkg.replaces, false)}\n`;
        if (pkg.replacesPriority)
            pending += `q:${pkg.replacesPriority}\n`;
        if (pkg.tag)
            pending += `s:${pkg.tag}\n`;
        if (pkg.flags)
            pending += `f:${pkg.flags}\n`;
        const folders = folderLinesOf(pkg);
        if (folders.length > 0) {
            out.add(pending);
            pending = '';
            out.addBytes(folders);
        }
        out.add('\n');
    }
    return out.bytes();
}
/**
 * The `F:` `M:` `R:` `a:` `Z:` lines of a package's folders and files, in the order it shipped
 * them; a file a later package took over (`removed`) is left out.
 */
function formatFolders(dirs) {
    const out = new TextChunks();
    for (const dir of dirs) {
        out.add(`F:${dir.path}\n`);
        if (!isDefault(dir.acl, DEFAULT_DIR_MODE))
            out.add(`M:${aclText(dir.acl)}\n`);
        for (const file of dir.files) {
            if (file.removed)
                continue;
            out.add(`R:${file.name}\n`);
            if (!isDefault(file.acl, DEFAULT_FILE_MODE))
                out.add(`a:${aclText(file.acl)}\n`);
            if (file.digest)
                out.add(`Z:${file.digest}\n`);
        }
    }
    return out.bytes();
}
/** A package's folder lines, less the files taken over since they were made. */
function folderLinesOf(pkg) {
    const folders = pkg.folders ?? formatFolders(pkg.dirs);
    if (!pkg.removed?.size)
        return folders;
    const removed = pkg.removed;
    const kept = [];
    let dir = '';
    let skipping = false;
    const lines = folders.toString('utf8').split('\n');
    lines.pop(); // after the last line feed
    for (const line of lines) {
        if (line.startsWith('F:')) {
            dir = line.slice(2);
            skipping = false;
        }
        else if (line.startsWith('R:')) {
            const name = line.slice(2);
            skipping = removed.has(dir === '' ? name : `${dir}/${name}`);
        }
        // A skipped file's own lines (`a:`, `Z:`) go with it.
        if (!skipping)
            kept.push(`${line}\n`);
    }
    return Buffer.from(kept.join(''), 'utf8');
}
/**
 * UTF-8 text gathered into Buffers a few KiB at a time: the database of a root of many files
 * never stands whole as one string, whose concatenated pieces took about four times its bytes
 * (9 MiB of heap for 40,000 files).
 */
class TextChunks {
    chunks = [];
    text = '';
    add(text) {
        this.text += text;
        if (this.text.length >= 16 * 1024)
            this.flush();
    }
    addBytes(bytes) {
        this.flush();
        this.chunks.push(bytes);
    }
    bytes() {
        this.flush();
        return Buffer.concat(this.chunks);
    }
    flush() {
        if (this.text === '')
            return;
        this.chunks.push(Buffer.from(this.text, 'utf8'));
        this.text = '';
    }
}
/** `etc/apk/world`: sorted by name, with `@tag`, one per line; empty world is a lone `\n`. */
function formatWorld(world) {
    const byName = new Map();
    for (const dep of world)
        byName.set(dep.name, dep);
    const sorted = [...byName.values()].sort((a, b) => (0,solve/* compareNames */.M)(a.name, b.name));
    if (sorted.length === 0)
        return '\n';
    return sorted.map((dep) => (0,dependency/* formatDependency */.pP)(dep, true)).join('\n') + '\n';
}
/** `lib/apk/db/triggers`: `Q1\u{2026} glob glob` per package with triggers, in install order. */
function formatTriggers(packages) {
    return packages
        .filter((p) => p.triggers.length > 0)
        .map((p) => `${p.checksum} ${p.triggers.join(' ')}\n`)
        .join('');
}
const BLOCK = 512;
function octal(value, digits) {
    return value.toString(8).padStart(digits, '0');
}
/** One GNU-form header exactly as apk's tar writer lays it out (\u{a7}3.3). */
function scriptHeader(name, size, mtime) {
    const header = Buffer.alloc(BLOCK);
    // apk copies the name with strlcpy into the 100-byte field: at most 99 bytes and a NUL.
    header.write(name.slice(0, 99), 0, 'utf8');
    header.write('0000755\0', 100, 'latin1');
    header.write('0000000\0', 108, 'latin1');
    header.write('0000000\0', 116, 'latin1');
    header.write(octal(size, 12), 124, 'latin1');
    header.write(octal(mtime, 12), 136, 'latin1');
    header.write('        ', 148, 'latin1');
    header.write('0', 156, 'latin1');
    header.write('ustar  \0', 257, 'latin1');
    header.write('root', 265, 'latin1');
    header.write('root', 297, 'latin1');
    let sum = 0;
    for (const byte of header)
        sum += byte;
    header.write(`${octal(sum, 6)}\0 `, 148, 'latin1');
    return header;
}
/**
 * `lib/apk/db/scripts.tar`: every stored script, packages in install order, script types in
 * apk's enum order, named `NAME-VERSION.Q1\u{2026}.TYPE`; two zero blocks end it, no record padding.
 */
function formatScriptsTar(packages, fallbackTime) {
    const parts = [];
    for (const pkg of packages) {
        for (const type of types/* SCRIPT_TYPES */.qw) {
            const script = pkg.scripts.get(type);
            if (!script)
                continue;
            const name = `${pkg.name}-${pkg.version}.${pkg.checksum}.${type}`;
            parts.push(scriptHeader(name, script.length, pkg.buildTime || fallbackTime));
            parts.push(script);
            const pad = (BLOCK - (script.length % BLOCK)) % BLOCK;
            if (pad)
                parts.push(Buffer.alloc(pad));
        }
    }
    parts.push(Buffer.alloc(2 * BLOCK));
    return Buffer.concat(parts);
}

// EXTERNAL MODULE: ./src/apk/install/paths.ts
var paths = __webpack_require__(318);
// EXTERNAL MODULE: ./src/files.ts
var files = __webpack_require__(148);
// EXTERNAL MODULE: ./src/root-writer.ts
var root_writer = __webpack_require__(119);
;// CONCATENATED MODULE: ./src/apk/install/database.ts
/**
 * The apk database an install leaves (lib/apk/db/*, etc/apk/*): which files, and what each
 * holds, formatted by installed-db.ts byte for byte as apk-tools 2.14 writes them.
 */




function databaseFiles(plan, options) {
    const out = [
        { rel: 'etc/apk/world', content: formatWorld(options.world) },
        { rel: 'etc/apk/arch', content: `${options.arch}\n` },
        { rel: 'lib/apk/db/installed', content: formatInstalled(plan.packages.map((p) => p.db)) },
        {
            rel: 'lib/apk/db/scripts.tar',
            content: formatScriptsTar(plan.packages.map(({ unit }) => ({
                name: unit.pkg.name,
                version: unit.pkg.version,
                checksum: unit.pkg.checksum,
                buildTime: unit.file?.info.buildTime ?? unit.pkg.buildTime,
                scripts: unit.file?.scripts ?? new Map()
            })), options.sourceDateEpoch ?? 0)
        },
        {
            rel: 'lib/apk/db/triggers',
            content: formatTriggers(plan.packages.map(({ unit }) => ({
                checksum: unit.pkg.checksum,
                triggers: unit.file?.info.triggers ?? unit.pkg.triggers
            })))
        }
    ];
    const remote = options.repositories.filter(fetch_repository/* isRemote */.Vx);
    if (remote.length > 0) {
        const lines = remote.map((r) => (r.tag ? `@${r.tag} ${r.url}` : r.url));
        out.push({ rel: 'etc/apk/repositories', content: lines.join('\n') + '\n' });
    }
    for (const key of options.keys ?? []) {
        if ((0,paths/* maliciousReason */.fv)(key.name) || key.name.includes('/')) {
            throw new errors/* InvalidArgumentError */.Di(`key name '${key.name}' is not a plain file name; rename the key file.`);
        }
        out.push({ rel: `etc/apk/keys/${key.name}`, content: key.pem });
    }
    return out;
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(598);
;// CONCATENATED MODULE: ./src/apk/install/extract.ts
/**
 * One package's archive, entry by entry, into the plan: names checked, symlinks on the way
 * resolved inside the root, hard links and owners settled, as apk_db_install_archive_entry.
 */





/** Longest file name (one path component) Linux file systems hold, in bytes. */
const NAME_MAX = 255;
/** Longest extended attribute value Linux holds (XATTR_SIZE_MAX). */
const XATTR_VALUE_MAX = 64 * 1024;
/**
 * Extended attributes an install keeps, all packages together: they stay in the plan until the
 * image is written, and real packages carry a few bytes of them (file capabilities).
 */
const XATTR_TOTAL_MAX = 1024 * 1024;
/** Where q1 puts its text together: 'Q1' and 28 characters of base64 (20 bytes). */
const q1Text = Buffer.from('Q1' + 'A'.repeat(28), 'latin1');
/**
 * `Q1` + base64 of a hex SHA-1, as one flat string: a root of many files keeps one a file, and
 * `'Q1' + base64` kept two (the concatenation and its right half, 80 bytes against 48).
 */
function q1(hex) {
    const sha1 = Buffer.from(hex, 'hex');
    if (sha1.length !== 20)
        return `Q1${sha1.toString('base64')}`;
    q1Text.write(sha1.toString('base64'), 2, 'latin1');
    return q1Text.toString('latin1');
}
/** apk's xattr digest: SHA-1 over (len, name, len, value), names in byte order. */
function xattrDigest(xattrs) {
    if (xattrs.size === 0)
        return undefined;
    const hash = external_node_crypto_.createHash('sha1');
    for (const name of [...xattrs.keys()].sort()) {
        const value = xattrs.get(name);
        const nameBytes = Buffer.from(name);
        const len = Buffer.alloc(4);
        len.writeUInt32BE(nameBytes.length);
        hash.update(len).update(nameBytes);
        len.writeUInt32BE(value.length);
        hash.update(len).update(value);
    }
    return `Q1${hash.digest('base64')}`;
}
/** One package's archive, entry by entry, as apk_db_install_archive_entry sees it. */
class Extraction {
    plan;
    pkg;
    index;
    dirs = new Map();
    /**
     * Package path \u{2192} what a later hard link in the same package needs, and the file's database
     * record (marked removed if a later entry of the package takes its place).
     */
    files = new Map();
    missingChecksum = false;
    constructor(plan, pkg, index) {
        this.plan = plan;
        this.pkg = pkg;
        this.index = index;
    }
    entry(entry) {
        (0,released_memory/* letGoOfEntries */.L0)(1);
        const name = entry.name;
        const label = this.pkg.label;
        // apk 2.14 skips `../x` silently as a dot name and only warns about the rest; we refuse
        // every such name, so a hostile package fails the build instead of half-installing.
        const reason = (0,paths/* maliciousReason */.fv)(name);
        if (reason) {
            throw new errors/* PathEscapeError */.ZU(`${label}: refusing entry '${name}': ${reason}. The package is malformed or hostile: ` +
                'remove it from the package list.');
        }
        if (name.startsWith('.'))
            return;
        const long = name.split('/').find((part) => Buffer.byteLength(part) > NAME_MAX);
        if (long !== undefined) {
            throw new errors/* UnsupportedEntryError */.uR(`${label}: /${name}: the name '${long.slice(0, 40)}\u2026' is ${Buffer.byteLength(long)} ` +
                `bytes long; file systems hold at most ${NAME_MAX} bytes a name. The package is ` +
                'malformed: leave it out.');
        }
        const base = (0,paths/* baseOf */.bx)(name);
        if (entry.type !== 'directory' && base.startsWith('.keep_') && base.length > 6)
            return;
        const whiteout = name.split('/').find((part) => part.startsWith(paths/* WHITEOUT */.Ic));
        if (whiteout !== undefined) {
            throw new errors/* UnsupportedEntryError */.uR(`${label}: /${name}: '${whiteout}' is an OCI whiteout name, which in an image layer ` +
                'deletes what lower layers hold. The package is malformed or hostile: leave it out.');
        }
        if (entry.type === 'chardev' || entry.type === 'blockdev' || entry.type === 'fifo') {
            const kind = entry.type === 'fifo' ? 'a FIFO' : 'a device node';
            throw new errors/* UnsupportedEntryError */.uR(`${label}: /${name} is ${kind}; witchery does not create ${kind}s (a container runtime ` +
                'provides /dev). Leave the package out, or use one that does not ship it.');
        }
        if (entry.xattrs.size > 0)
            this.countXattrs(entry);
        const ids = this.plan.ids;
        const acl = this.plan.acl(ids.uid(entry.uname, entry.uid), ids.gid(entry.gname, entry.gid), entry.mode, xattrDigest(entry.xattrs));
        if (entry.type === 'directory')
            this.directory(entry, acl);
        else
            this.file(entry, acl);
    }
    /** Refuses an extended attribute Linux could not hold, and more of them than any package has. */
    countXattrs(entry) {
        const where = `${this.pkg.label}: /${entry.name}`;
        for (const [name, value] of entry.xattrs) {
            const problem = (0,paths/* xattrNameProblem */.CN)(name);
            if (problem) {
                throw new errors/* UnsupportedEntryError */.uR(`${where}: an extended attribute ${problem}, which no layer can carry. The package ` +
                    'is malformed or hostile: leave it out.');
            }
            if (value.length > XATTR_VALUE_MAX) {
                throw new errors/* UnsupportedEntryError */.uR(`${where}: its extended attribute ${name.slice(0, 60)} holds ${value.length} bytes; ` +
                    `Linux holds at most ${XATTR_VALUE_MAX}. The package is malformed or hostile: leave it out.`);
            }
            this.plan.xattrBytes += Buffer.byteLength(name) + value.length;
        }
        if (this.plan.xattrBytes > XATTR_TOTAL_MAX) {
            throw new errors/* UnsupportedEntryError */.uR(`${where}: the packages' extended attributes come to more than ${XATTR_TOTAL_MAX} ` +
                'bytes, where real packages carry a few (file capabilities). A package is malformed ' +
                'or hostile: leave it out.');
        }
    }
    directory(entry, acl) {
        let dir = this.dirs.get(entry.name);
        if (!dir) {
            dir = { path: entry.name, acl, files: [] };
            this.dirs.set(entry.name, dir);
            this.pkg.db.dirs.push(dir);
        }
        dir.acl = acl;
        const at = (0,paths/* resolveInRoot */.QD)(entry.name, this.plan.nodes, true, this.pkg.label);
        // A folder reached through a symlink to / is the root itself: its mode and owner are the
        // image's, never a package's (`x -> /`, then a folder `x` of mode 7777, once re-moded it).
        if (at === '')
            return;
        this.ensureParents(at);
        const existing = this.plan.nodes.get(at);
        if (!existing) {
            this.plan.set(at, {
                type: 'directory',
                mode: acl.mode,
                uid: acl.uid,
                gid: acl.gid,
                ownerIndex: this.index,
                owner: this.pkg.unit.pkg.name,
                instances: [acl],
                xattrs: entry.xattrs.size ? entry.xattrs : undefined
            });
        }
        else if (existing.type === 'directory') {
            existing.instances?.push(acl);
        }
        else {
            throw new errors/* FileConflictError */.fJ(`${this.pkg.label}: /${entry.name} is a folder, but ${this.plan.ownerLabel(existing)} ` +
                `installed a ${existing.type} at /${at}. Install only one of the two packages.`);
        }
    }
    /** A folder reached through a symlink may need its parents; apk would fail, we make them. */
    ensureParents(at) {
        const parent = (0,paths/* parentOf */.Pp)(at);
        if (parent === '' || this.plan.nodes.has(parent))
            return;
        this.ensureParents(parent);
        this.plan.set(parent, { type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    }
    file(entry, acl) {
        const label = this.pkg.label;
        // Where it would land first: a way out through a symlink fails even without a dirent.
        const at = (0,paths/* resolveInRoot */.QD)(entry.name, this.plan.nodes, false, label);
        const dirPath = (0,paths/* parentOf */.Pp)(entry.name);
        let dir = this.dirs.get(dirPath);
        if (!dir && dirPath === '') {
            dir = { path: '', acl: { uid: 0, gid: 0, mode: 0o755 }, files: [] };
            this.dirs.set('', dir);
            this.pkg.db.dirs.push(dir);
        }
        if (!dir) {
            // apk 2.14 fails the package here ("no dirent in archive"); so do we, so an image never
            // silently lacks a file.
            throw new errors/* UnsupportedEntryError */.uR(`${label}: /${entry.name}: its folder /${dirPath} does not come before it in the ` +
                'package (no dirent in archive; for example a file under a symlink), as apk-tools also ' +
                'refuses. The package is malformed: leave it out.');
        }
        let digest = entry.sha1 ? q1(entry.sha1) : undefined;
        let linkTarget;
        if (entry.type === 'hardlink') {
            const reason = (0,paths/* maliciousReason */.fv)(entry.linkname);
            if (reason) {
                throw new errors/* PathEscapeError */.ZU(`${label}: hard link /${entry.name} points at '${entry.linkname}': ${reason}. The ` +
                    'package is malformed or hostile: remove it from the package list.');
            }
            const target = this.files.get(entry.linkname);
            if (!target) {
                throw new errors/* UnsupportedEntryError */.uR(`${label}: hard link /${entry.name} points at /${entry.linkname}, which is not a file ` +
                    'earlier in the same package (apk-tools refuses such a link too). The package is ' +
                    'malformed: leave it out.');
            }
            digest = target.digest;
            linkTarget = target.at;
        }
        else if (!entry.sha1) {
            this.missingChecksum = true;
        }
        const parent = (0,paths/* parentOf */.Pp)(at);
        if (parent !== '' && this.plan.nodes.get(parent)?.type !== 'directory') {
            throw new errors/* FileConflictError */.fJ(`${label}: /${entry.name} would land in /${parent}, which is not a folder in the root ` +
                '(a symlink on the way points at nothing). Fix or leave out the package that ships it.');
        }
        const existing = this.plan.nodes.get(at);
        if (existing?.type === 'directory') {
            throw new errors/* FileConflictError */.fJ(`${label}: /${entry.name} is a ${entry.type}, but /${at} is a folder` +
                `${existing.ownerIndex === undefined ? '' : ` of ${this.plan.ownerLabel(existing)}`}. ` +
                'Install only one of the two packages.');
        }
        if (existing && this.plan.decide(existing, this.index, at) === 'skip')
            return;
        if (existing)
            this.takeOver(existing);
        const dbFile = { name: (0,paths/* baseOf */.bx)(entry.name), acl, digest };
        dir.files.push(dbFile);
        this.files.set(entry.name, { digest, at, dbFile });
        this.plan.set(at, {
            type: entry.type === 'file' ? 'file' : entry.type === 'symlink' ? 'symlink' : 'hardlink',
            mode: acl.mode,
            uid: acl.uid,
            gid: acl.gid,
            ownerIndex: this.index,
            owner: this.pkg.unit.pkg.name,
            dbName: entry.name,
            data: entry.type === 'file' ? entry.data : undefined,
            staged: entry.type === 'file' ? entry.staged : undefined,
            written: undefined,
            mtime: entry.mtime,
            linkname: entry.type === 'symlink' ? entry.linkname : linkTarget,
            xattrs: entry.xattrs.size ? entry.xattrs : undefined
        });
    }
    /** The file at `existing` is replaced: its owner's database no longer lists it. */
    takeOver(existing) {
        if (existing.ownerIndex === undefined || existing.dbName === undefined)
            return;
        if (existing.ownerIndex === this.index) {
            const own = this.files.get(existing.dbName);
            if (own)
                own.dbFile.removed = true;
            return;
        }
        const db = this.plan.packages[existing.ownerIndex].db;
        (db.removed ??= new Set()).add(existing.dbName);
    }
    broken(message) {
        this.pkg.db.flags = 'f';
        this.plan.warn(message);
    }
    finish() {
        if (this.missingChecksum) {
            this.broken(`${this.pkg.label}: files without embedded checksums (packages built without them are ` +
                'deprecated by apk); marked f:f in the database');
        }
        // Its database lines as bytes from here on (a later package's take-over goes to `removed`).
        const db = this.pkg.db;
        for (const dir of db.dirs)
            this.plan.installedFolders.add(`/${dir.path}`);
        db.folders = formatFolders(db.dirs);
        db.dirs = [];
    }
}

;// CONCATENATED MODULE: ./src/apk/install/plan.ts
/**
 * The install plan: every path of the root in memory (owner, mode, data, link) as packages are
 * added in install order, with apk 2.14's rules for who owns a path (apk-format.md \u{a7}5.8) and
 * what mode a shared folder ends with (\u{a7}3.6). Nothing here touches the disk.
 */




/** Folders `--initdb` makes that an image needs; apk never re-chmods them (\u{a7}3.6). */
const INITDB_DIRS = [
    ['etc', 0o755],
    ['etc/apk', 0o755],
    ['lib', 0o755],
    ['lib/apk', 0o755],
    ['lib/apk/db', 0o755],
    ['tmp', 0o1777],
    ['var', 0o755]
];
/**
 * Owner names resolved as apk does: against ROOT/etc/passwd and etc/group as they stand when a
 * package extracts (its own files do not count yet), each answer kept for the whole run.
 */
class IdResolver {
    cache = new Map();
    passwd = '';
    group = '';
    snapshot(plan) {
        this.passwd = plan.readFile('etc/passwd')?.toString('utf8') ?? '';
        this.group = plan.readFile('etc/group')?.toString('utf8') ?? '';
    }
    /** apk clears its name cache after every script it runs (a script may add accounts). */
    reset() {
        this.cache.clear();
    }
    uid(name, fallback) {
        return this.lookup(`u:${name}`, name, this.passwd, fallback);
    }
    gid(name, fallback) {
        return this.lookup(`g:${name}`, name, this.group, fallback);
    }
    lookup(key, name, table, fallback) {
        if (name === '')
            return fallback;
        if (!this.cache.has(key))
            this.cache.set(key, findId(table, name));
        return this.cache.get(key) ?? fallback;
    }
}
function findId(table, name) {
    for (const line of table.split('\n')) {
        const fields = line.split(':');
        if (fields[0] === name && fields.length >= 3 && /^\d+$/.test(fields[2]))
            return Number(fields[2]);
    }
    return undefined;
}
function replacesMatch(replaces, pkg) {
    return replaces.some((dep) => dep.name === pkg.name && (0,dependency/* dependencyMatchesVersion */.Vd)(dep, pkg.version));
}
class Plan {
    logger;
    root;
    nodes = new Map();
    packages = [];
    warnings = [];
    ids = new IdResolver();
    /** Paths set since the installer last wrote, in the order they were planned. */
    touched = [];
    /** Bytes of extended attributes (names and values) planned so far (Extraction bounds them). */
    xattrBytes = 0;
    /** addgroup/adduser commands applied so far (accounts.ts bounds them). */
    accountCommands = 0;
    /** Every folder a package shipped (`/path`), in install order: what triggers are matched to. */
    installedFolders = new Set();
    /** The Acls without xattrs handed out so far: a root's files share a handful. */
    acls = new Map();
    /**
     * An owner, group and mode (and xattrs digest) as an Acl, the same object for the same values
     * where there are no xattrs: one object a file took ~50 bytes each for a root of many files.
     * Acls are never changed once made.
     */
    acl(uid, gid, mode, xattrs) {
        if (xattrs !== undefined || uid > 0xffff || gid > 0xffff || mode > 0xffff) {
            return { uid, gid, mode, xattrs };
        }
        const key = (uid * 0x10000 + gid) * 0x10000 + mode;
        let acl = this.acls.get(key);
        if (acl === undefined) {
            acl = { uid, gid, mode, xattrs: undefined };
            this.acls.set(key, acl);
        }
        return acl;
    }
    set(rel, node) {
        this.nodes.set(rel, node);
        this.touched.push(rel);
    }
    /**
     * @param root Where the installer writes the planned paths, with a trailing `/`: a written
     *   file is read back from there.
     */
    constructor(logger, root) {
        this.logger = logger;
        this.root = root;
        for (const [dir, mode] of INITDB_DIRS) {
            this.nodes.set(dir, { type: 'directory', mode, uid: 0, gid: 0, preexisting: true });
        }
    }
    /**
     * Plans one package: `before` runs once the package is known and before its files (apk's
     * pre-install), `after` once its files are planned (post-install).
     */
    add(unit, tag, hooks = {}) {
        const info = unit.file?.info ?? unit.pkg;
        const planned = {
            // The entries are needed only while the package is planned: kept, they would hold every
            // package's data in memory until the install ends.
            unit: { pkg: unit.pkg, file: unit.file && { ...unit.file, entries: [] } },
            label: `${unit.pkg.name}-${unit.pkg.version}`,
            db: {
                info: unit.pkg,
                replaces: info.replaces,
                replacesPriority: info.replacesPriority,
                tag,
                flags: '',
                dirs: []
            }
        };
        this.packages.push(planned);
        hooks.before?.(planned);
        this.ids.snapshot(this);
        const extraction = new Extraction(this, planned, this.packages.length - 1);
        for (const entry of unit.file?.entries ?? [])
            extraction.entry(entry);
        extraction.finish();
        hooks.after?.(planned);
    }
    /**
     * The content of the regular file planned at `rel`, or undefined. The one way scripts read
     * the root (accounts, busybox's applet list), whatever keeps the bytes.
     */
    readFile(rel) {
        const node = this.nodes.get(rel);
        if (node?.type !== 'file')
            return undefined;
        const file = node.staged ?? (node.written ? this.root + rel : undefined);
        if (file !== undefined)
            return readStaged(file);
        return node.data ?? Buffer.alloc(0);
    }
    warn(message) {
        this.warnings.push(message);
        this.logger.warning(message);
    }
    ownerLabel(node) {
        return node.ownerIndex === undefined ? 'the installer' : this.packages[node.ownerIndex].label;
    }
    /**
     * \u{a7}5.8: may package `index` put its file where `node` is? 'take' (overwrite and own it),
     * 'skip' (the old owner keeps it), or a FileConflictError.
     */
    decide(node, index, rel) {
        if (node.ownerIndex === undefined)
            return 'take';
        const incoming = this.packages[index];
        const owner = this.packages[node.ownerIndex];
        const n = incoming.unit.pkg;
        const o = owner.unit.pkg;
        if (n.name === o.name)
            return 'take';
        if (n.origin && n.origin === o.origin)
            return 'take';
        const oPrio = replacesMatch(owner.db.replaces, n) ? owner.db.replacesPriority : -1;
        const nPrio = replacesMatch(incoming.db.replaces, o) ? incoming.db.replacesPriority : -1;
        if (oPrio > nPrio)
            return 'skip';
        if (nPrio >= 0)
            return 'take';
        throw new errors/* FileConflictError */.fJ(`${incoming.label}: trying to overwrite /${rel} owned by ${owner.label}. The two packages ` +
            `ship the same file and neither replaces the other: install only one of ${n.name} and ${o.name}.`);
    }
    /**
     * Lets go of what only the apk database needed (each package's lines, each folder's ACLs as
     * packages shipped it): for after it is written.
     */
    forgetFileRecords() {
        for (const pkg of this.packages) {
            pkg.db.folders = undefined;
            pkg.db.removed = undefined;
        }
        for (const node of this.nodes.values())
            node.instances = undefined;
    }
    /** \u{a7}3.6: a folder apk made gets the smallest owner and the AND of that owner's modes. */
    settleDirectories() {
        for (const node of this.nodes.values()) {
            if (node.type !== 'directory' || node.preexisting || !node.instances?.length)
                continue;
            const owner = node.instances.reduce((a, b) => b.uid < a.uid || (b.uid === a.uid && b.gid < a.gid) ? b : a);
            const same = node.instances.filter((i) => i.uid === owner.uid && i.gid === owner.gid);
            node.uid = owner.uid;
            node.gid = owner.gid;
            node.mode = same.reduce((mode, i) => mode & i.mode, 0o7777);
        }
    }
}
function treeOf(plan) {
    // The plan's nodes themselves, in path order: a node is a FileMeta with more fields (those of
    // the database let go of already), where a copy of each took 6 MiB for 80,000 files.
    const paths = [...plan.nodes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const tree = new Map();
    for (const rel of paths)
        tree.set(rel, plan.nodes.get(rel));
    return tree;
}
/** Scripts read only small files (accounts, applet lists): a staged one past this is refused. */
const MAX_SCRIPT_READ = 16 * 1024 * 1024;
/** A staged file's bytes, for the few files scripts read; a huge one reads as absent. */
function readStaged(file) {
    return external_node_fs_.statSync(file).size > MAX_SCRIPT_READ ? undefined : external_node_fs_.readFileSync(file);
}

;// CONCATENATED MODULE: ./src/apk/install/accounts.ts
/**
 * busybox's `addgroup` and `adduser` (Alpine's build, busybox 1.36), applied to the install plan
 * instead of a chroot: the same ids picked, the same lines in /etc/passwd, /etc/group and
 * /etc/shadow, the same backup files (`passwd-`, \u{2026}) and the same failures. Facts from busybox's
 * loginutils/adduser.c, addgroup.c and libbb/update_passwd.c, with Alpine's patch that gives
 * system accounts /sbin/nologin; account lookups behave as musl's getpwnam/getgrgid on the root.
 */

const FIRST_SYSTEM_ID = 100;
const LAST_SYSTEM_ID = 999;
const LAST_ID = 60000;
const PASSWD = 'etc/passwd';
const GROUP = 'etc/group';
const SHADOW = 'etc/shadow';
const GSHADOW = 'etc/gshadow';
/**
 * The most addgroup/adduser commands one install applies: an image's packages make a few dozen
 * accounts. Each command reads and rewrites the account files, so thousands (a hostile script)
 * took minutes; past this they are reported as not run.
 */
const MAX_ACCOUNT_COMMANDS = 512;
/** busybox's getopt32 for the short and long options an applet takes. */
function getopt(args, withValue, flags, long) {
    const opts = new Map();
    let i = 0;
    for (; i < args.length; i++) {
        const arg = args[i];
        if (arg === '--') {
            i++;
            break;
        }
        if (!arg.startsWith('-') || arg === '-')
            break;
        if (arg.startsWith('--')) {
            const [name, value] = arg.slice(2).split(/=(.*)/s, 2);
            const short = long[name];
            if (!short)
                return undefined;
            if (withValue.includes(short)) {
                const v = value ?? args[++i];
                if (v === undefined)
                    return undefined;
                opts.set(short, v);
            }
            else {
                if (value !== undefined)
                    return undefined;
                opts.set(short, '');
            }
            continue;
        }
        for (let j = 1; j < arg.length; j++) {
            const ch = arg[j];
            if (withValue.includes(ch)) {
                const v = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
                if (v === undefined)
                    return undefined;
                opts.set(ch, v);
                break;
            }
            if (!flags.includes(ch))
                return undefined;
            opts.set(ch, '');
        }
    }
    const positional = args.slice(i);
    // Options after a name would be permuted by GNU getopt; such scripts are not ours to guess.
    if (positional.some((p) => p.startsWith('-')))
        return undefined;
    return { opts, positional };
}
/** Names busybox accepts and that cannot make a path or a line of the files do odd things. */
function plainName(name) {
    return /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(name) && name.length <= 32;
}
/** The account files as they stand in the plan. */
class AccountFiles {
    plan;
    constructor(plan) {
        this.plan = plan;
    }
    lines(rel) {
        const data = this.plan.readFile(rel);
        if (data === undefined)
            return undefined;
        const text = data.toString('utf8');
        const lines = text.split('\n');
        if (lines[lines.length - 1] === '')
            lines.pop();
        return lines;
    }
    passwd() {
        const entries = [];
        for (const line of this.lines(PASSWD) ?? []) {
            const f = line.split(':');
            if (f.length < 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3]))
                continue;
            entries.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), shell: f[6] });
        }
        return entries;
    }
    group() {
        const entries = [];
        for (const line of this.lines(GROUP) ?? []) {
            const f = line.split(':');
            if (f.length < 4 || !/^\d+$/.test(f[2]))
                continue;
            const members = f
                .slice(3)
                .join(':')
                .split(',')
                .filter((m) => m !== '');
            entries.push({ name: f[0], gid: Number(f[2]), members });
        }
        return entries;
    }
    /**
     * libbb's update_passwd: rewrites FILE with the line for `name` replaced (add: `name:rest`
     * appended when no line changed) or `member` added to it; the old file stays as `FILE-`.
     * Returns the number of lines changed, or -1 when FILE is missing (0 for a missing shadow).
     */
    update(rel, name, rest, member) {
        const node = this.plan.nodes.get(rel);
        const shadow = rel.includes('shadow');
        if (node?.type !== 'file')
            return shadow ? 0 : -1;
        const old = this.lines(rel) ?? [];
        const out = [];
        let changed = 0;
        for (const line of old) {
            if (!line.startsWith(`${name}:`)) {
                out.push(line);
            }
            else if (member !== undefined) {
                out.push(`${line}${line.endsWith(':') ? '' : ','}${member}`);
                changed++;
            }
            // adding: an old line for the same name is dropped, and the new one appended below
        }
        if (changed === 0 && member === undefined && rest !== undefined) {
            out.push(`${name}:${rest}`);
            changed++;
        }
        const backup = {
            type: 'file',
            mode: node.mode,
            uid: node.uid,
            gid: node.gid,
            data: this.plan.readFile(rel),
            mtime: node.mtime
        };
        this.plan.set(`${rel}-`, backup);
        this.plan.set(rel, {
            ...node,
            mode: node.mode & 0o777,
            data: Buffer.from(out.map((l) => `${l}\n`).join('')),
            // The new content is in memory; a staged copy of the old one must not be moved in.
            staged: undefined,
            written: undefined,
            mtime: undefined
        });
        return changed;
    }
}
/**
 * busybox follows symlinks to the account files; witchery never writes through one, so a
 * root where etc or an account file is a link is not one it applies accounts to.
 */
function linkedAccountFiles(plan) {
    return ['etc', PASSWD, GROUP, SHADOW, GSHADOW].some((rel) => {
        const type = plan.nodes.get(rel)?.type;
        return type === 'symlink' || type === 'hardlink';
    });
}
/** `addgroup [-g GID] [-S] GROUP` or `addgroup USER GROUP`. */
function addgroup(plan, args) {
    if (linkedAccountFiles(plan) || ++plan.accountCommands > MAX_ACCOUNT_COMMANDS) {
        return 'unsupported';
    }
    const parsed = getopt(args, 'g', 'S', { gid: 'g', system: 'S' });
    if (!parsed || parsed.positional.length < 1 || parsed.positional.length > 2)
        return 'unsupported';
    const { opts, positional } = parsed;
    if (!positional.every(plainName))
        return 'unsupported';
    const files = new AccountFiles(plan);
    if (positional.length === 2) {
        if (opts.has('g'))
            return 1;
        return addMember(files, positional[0], positional[1]);
    }
    let gid;
    if (opts.has('g')) {
        if (!/^\d+$/.test(opts.get('g')))
            return 'unsupported';
        gid = Number(opts.get('g'));
        if (gid > LAST_ID)
            return 1;
    }
    else {
        gid = opts.has('S') ? FIRST_SYSTEM_ID : LAST_SYSTEM_ID + 1;
    }
    return newGroup(files, positional[0], gid, opts.has('g'), opts.has('S'));
}
function newGroup(files, name, wanted, fixed, system) {
    const groups = files.group();
    if (groups.some((g) => g.name === name))
        return 1;
    const max = fixed ? Infinity : system ? LAST_SYSTEM_ID : LAST_ID;
    const taken = new Set(groups.map((g) => g.gid));
    let gid = wanted;
    while (taken.has(gid)) {
        if (fixed || gid === max)
            return 1;
        gid++;
    }
    if (files.update(GROUP, name, `x:${gid}:`, undefined) < 0)
        return 1;
    files.update(GSHADOW, name, '!::', undefined);
    return 0;
}
function addMember(files, user, group) {
    if (!files.passwd().some((p) => p.name === user))
        return 1;
    const entry = files.group().find((g) => g.name === group);
    if (!entry)
        return 1;
    if (entry.members.includes(user))
        return 0;
    if (files.update(GROUP, group, undefined, user) < 0)
        return 1;
    files.update(GSHADOW, group, undefined, user);
    return 0;
}
/**
 * `adduser [-h DIR] [-g GECOS] [-s SHELL] [-G GROUP] [-D] [-S] [-H] [-u UID] [-k SKEL] USER
 * [GROUP]`. A home that would need /etc/skel copied is not applied.
 */
function adduser(plan, args, options) {
    if (linkedAccountFiles(plan) || ++plan.accountCommands > MAX_ACCOUNT_COMMANDS) {
        return 'unsupported';
    }
    const parsed = getopt(args, 'hgsGuk', 'DSH', {
        home: 'h',
        gecos: 'g',
        shell: 's',
        ingroup: 'G',
        'disabled-password': 'D',
        'empty-password': 'D',
        system: 'S',
        'no-create-home': 'H',
        uid: 'u',
        skel: 'k'
    });
    if (!parsed || parsed.positional.length < 1 || parsed.positional.length > 2)
        return 'unsupported';
    const { opts, positional } = parsed;
    if (!positional.every(plainName))
        return 'unsupported';
    const files = new AccountFiles(plan);
    if (opts.size === 0 && positional.length === 2) {
        return addMember(files, positional[0], positional[1]);
    }
    const system = opts.has('S');
    // Without -D (which -S implies) busybox asks for a password on the terminal.
    if (!system && !opts.has('D'))
        return 'unsupported';
    if (opts.has('k'))
        return 'unsupported';
    const gecos = opts.get('g') ?? 'Linux User,,,';
    for (const value of [gecos, opts.get('h') ?? '', opts.get('s') ?? '']) {
        if (value.includes(':') || value.includes('\n'))
            return 'unsupported';
    }
    const name = positional[0];
    const home = opts.get('h') ?? `/home/${name}`;
    const makeHome = !opts.has('H');
    if (makeHome && !homeSupported(plan, home))
        return 'unsupported';
    let uid;
    if (opts.has('u')) {
        if (!/^\d+$/.test(opts.get('u')))
            return 'unsupported';
        uid = Number(opts.get('u'));
        if (uid > LAST_ID)
            return 1;
    }
    const passwd = files.passwd();
    const rootShell = passwd.find((p) => p.uid === 0)?.shell;
    let shell = opts.get('s') ?? (rootShell ? rootShell : '/bin/sh');
    let usegroup = opts.get('G');
    if (system) {
        usegroup ??= 'nogroup';
        if (!opts.has('s'))
            shell = '/sbin/nologin';
    }
    let gid = -1;
    if (usegroup !== undefined) {
        const group = files.group().find((g) => g.name === usegroup);
        if (!group)
            return 1;
        gid = group.gid;
    }
    // passwd_study: the name must be free; then the first free uid (and gid, for a new group).
    if (passwd.some((p) => p.name === name))
        return 1;
    const groups = files.group();
    const max = system ? LAST_SYSTEM_ID : LAST_ID;
    let id = uid ?? (system ? FIRST_SYSTEM_ID : LAST_SYSTEM_ID + 1);
    const uids = new Set(passwd.map((p) => p.uid));
    const gids = new Set(groups.map((g) => g.gid));
    while (uids.has(id) || (gid === -1 && gids.has(id))) {
        if (uid !== undefined || id === max)
            return 1;
        id++;
    }
    if (gid === -1) {
        gid = id;
        if (groups.some((g) => g.name === name))
            return 1;
    }
    if (files.update(PASSWD, name, `x:${id}:${gid}:${gecos}:${home}:${shell}`, undefined) < 0) {
        return 1;
    }
    files.update(SHADOW, name, `!:${options.day}:0:99999:7:::`, undefined);
    if (usegroup !== undefined)
        addMember(files, name, usegroup);
    else
        newGroup(files, name, gid, true, false);
    if (makeHome)
        makeHomeDir(plan, home, id, gid);
    return 0;
}
/** Whether witchery can make `home` as adduser would: an absolute path, no /etc/skel to copy. */
function homeSupported(plan, home) {
    if (!/^\/[A-Za-z0-9_.\-/]*$/.test(home) || /(^|\/)\.\.?(\/|$)/.test(home))
        return false;
    const skel = [...plan.nodes.keys()].some((rel) => rel.startsWith('etc/skel/'));
    if (skel)
        return false;
    const at = locate(plan, home);
    const existing = at === undefined ? undefined : plan.nodes.get(at);
    return existing === undefined || existing.type === 'directory';
}
/** Where an absolute path lands in the root, its parents' symlinks followed. */
function locate(plan, absolute) {
    const rel = absolute.replace(/^\/+/, '').replace(/\/+$/, '');
    if (rel === '')
        return '';
    try {
        return (0,paths/* resolveInRoot */.QD)(rel, plan.nodes, false, 'adduser');
    }
    catch {
        return undefined;
    }
}
/**
 * mkdir(home, 0755) then chown and chmod 02755; with the folder already there only the chown and
 * chmod; with its parent missing, nothing (busybox prints the error and goes on).
 */
function makeHomeDir(plan, home, uid, gid) {
    const at = locate(plan, home);
    if (at === undefined || at === '')
        return;
    const existing = plan.nodes.get(at);
    if (!existing && plan.nodes.get((0,paths/* parentOf */.Pp)(at))?.type !== 'directory' && (0,paths/* parentOf */.Pp)(at) !== '') {
        return;
    }
    const node = existing ?? { type: 'directory', mode: 0o755, uid: 0, gid: 0 };
    node.uid = uid;
    node.gid = gid;
    node.mode = 0o2755;
    // apk never re-chmods a folder that was there before a package first named it (\u{a7}3.6).
    node.preexisting = true;
    plan.set(at, node);
}

;// CONCATENATED MODULE: ./src/apk/install/busybox-links.ts
/**
 * What busybox's install scripts leave, made natively in the plan: `busybox --install -s` (a
 * symlink to /bin/busybox for every applet the package lists in /etc/busybox-paths.d/busybox,
 * where nothing is yet), Alpine's `bbsuid --install` (busybox-suid: its applets become links to
 * /bin/bbsuid, replacing symlinks) and `mkdir -p`. Paths that resolve outside the root, or whose
 * folder is missing, are skipped as the real commands fail there.
 */

const BUSYBOX = 'bin/busybox';
const BBSUID = 'bin/bbsuid';
const PATHS_FILE = 'etc/busybox-paths.d/busybox';
/** The applets busybox lists, as root-relative paths; undefined when the list is missing. */
function busyboxApplets(plan) {
    const data = plan.readFile(PATHS_FILE);
    if (data === undefined)
        return undefined;
    return data
        .toString('utf8')
        .split('\n')
        .map((line) => line.trim().replace(/^\/+/, ''))
        .filter((rel) => rel !== '' && (0,paths/* maliciousReason */.fv)(rel) === undefined);
}
/** The folder a new entry `rel` would go into, symlinks on the way followed; undefined if none. */
function landing(plan, rel) {
    try {
        const at = (0,paths/* resolveInRoot */.QD)(rel, plan.nodes, false, 'busybox');
        const parent = (0,paths/* parentOf */.Pp)(at);
        if (parent !== '' && plan.nodes.get(parent)?.type !== 'directory')
            return undefined;
        return at;
    }
    catch {
        return undefined;
    }
}
/** `busybox --install -s`: false when the package lists no applets (nothing can be known). */
function installBusyboxLinks(plan) {
    const applets = busyboxApplets(plan);
    if (!applets)
        return false;
    for (const rel of applets) {
        const at = landing(plan, rel);
        // symlink() fails with EEXIST on anything already there, a dangling link included.
        if (at === undefined || plan.nodes.has(at))
            continue;
        plan.set(at, { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '/bin/busybox' });
    }
    return true;
}
/**
 * The applets bbsuid installs: the absolute paths compiled into it that name a busybox applet
 * (bbsuid only ever runs busybox applets), read from the binary itself so any version works.
 */
function bbsuidApplets(plan) {
    const binary = plan.readFile(BBSUID);
    const applets = new Set((busyboxApplets(plan) ?? []).map(paths/* baseOf */.bx));
    if (!binary)
        return [];
    const found = [];
    for (const text of binary.toString('latin1').split('\0')) {
        const match = /^\/((?:usr\/)?s?bin\/[A-Za-z0-9_.[-]+)$/.exec(text);
        if (!match || match[1] === BUSYBOX || match[1] === BBSUID)
            continue;
        if (applets.has((0,paths/* baseOf */.bx)(match[1])) && !found.includes(match[1]))
            found.push(match[1]);
    }
    return found;
}
/** `bbsuid --install`: each applet path becomes a link to /bin/bbsuid (old symlinks replaced). */
function installBbsuidLinks(plan) {
    for (const rel of bbsuidApplets(plan)) {
        const at = landing(plan, rel);
        if (at === undefined)
            continue;
        const existing = plan.nodes.get(at);
        if (existing && existing.type !== 'symlink')
            continue;
        plan.set(at, { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '/bin/bbsuid' });
    }
}
/** `mkdir -p DIR\u{2026}` as root with umask 022: missing folders 0755, existing ones untouched. */
function makeDirsP(plan, dirs) {
    if (!dirs.every((d) => /^\/[A-Za-z0-9_.\-/]*$/.test(d) && !/(^|\/)\.\.(\/|$)/.test(d))) {
        return false;
    }
    for (const dir of dirs) {
        let current = '';
        for (const part of dir.split('/').filter((p) => p !== '' && p !== '.')) {
            let next;
            try {
                next = (0,paths/* resolveInRoot */.QD)((0,paths/* joinRel */.gN)(current, part), plan.nodes, true, 'mkdir');
            }
            catch {
                break;
            }
            const node = plan.nodes.get(next);
            if (node && node.type !== 'directory')
                break;
            if (!node) {
                plan.set(next, { type: 'directory', mode: 0o755, uid: 0, gid: 0, preexisting: true });
            }
            current = next;
        }
    }
    return true;
}

;// CONCATENATED MODULE: ./src/apk/install/shell-script.ts
/**
 * A deliberately small reader of install scripts. An image has no shell, so witchery never runs
 * one; it reads a script into top-level commands and recognises only plain commands made of
 * literal words, simple variables set earlier in the script, `2>/dev/null`-style redirections
 * and a trailing `|| true`. Everything else (pipes, `&&`, `;`, command substitution, globs,
 * `if`/`case`/loops, functions, here-documents) stays one opaque command that is reported as
 * not run. Reading too little is safe; reading too much would apply what the script never did.
 */
const OPENERS = new Set(['if', 'case', 'for', 'while', 'until', '{', '(']);
const CLOSERS = new Set(['fi', 'esac', 'done', '}', ')']);
/** Redirections that only silence output; they change nothing in the root. */
const SILENT_REDIRECTIONS = new Set([
    '2>/dev/null',
    '>/dev/null',
    '1>/dev/null',
    '2>&1',
    '&>/dev/null'
]);
/**
 * The longest word read, variables expanded: install scripts' words are names, paths and short
 * values. Past it the command is not read (`a=$a$a` twenty-odd times once took 256 MiB).
 */
const MAX_WORD = 4096;
/** Characters that may appear unquoted in a word we read; anything else is shell syntax. */
const PLAIN = /^[A-Za-z0-9_./:,@%+=-]$/;
/** Splits a script into top-level commands; comments and blank lines between them are dropped. */
function splitScript(text) {
    const lines = text.replace(/\\\n/g, '').split('\n');
    const commands = [];
    let current = [];
    let depth = 0;
    let compound = false;
    let heredoc;
    const flush = () => {
        if (current.length > 0)
            commands.push({ text: current.join('\n'), compound });
        current = [];
        compound = false;
        depth = 0;
    };
    for (const line of lines) {
        if (heredoc) {
            current.push(line);
            const end = heredoc.tabs ? line.replace(/^\t+/, '') : line;
            if (end === heredoc.word) {
                heredoc = undefined;
                if (depth <= 0)
                    flush();
            }
            continue;
        }
        const trimmed = line.trim();
        if (current.length === 0 && (trimmed === '' || trimmed.startsWith('#')))
            continue;
        current.push(line);
        for (const token of trimmed.split(/[\s;&|]+/)) {
            if (OPENERS.has(token)) {
                depth++;
                compound = true;
            }
            else if (CLOSERS.has(token)) {
                depth--;
            }
            else if (/^[A-Za-z_][A-Za-z0-9_]*\(\)/.test(token)) {
                // `name() {`: the body that follows opens and closes the depth itself.
                compound = true;
                if (token.endsWith('{'))
                    depth++;
            }
        }
        // `name()` with its body on the next line: keep reading.
        const bodyFollows = /^[A-Za-z_][A-Za-z0-9_]*\s*\(\)\s*$/.test(trimmed);
        const here = /<<(-?)\s*['"]?([A-Za-z0-9_]+)['"]?/.exec(trimmed);
        if (here) {
            heredoc = { word: here[2], tabs: here[1] === '-' };
            compound = true;
            continue;
        }
        if (depth <= 0 && !bodyFollows)
            flush();
    }
    if (current.length > 0) {
        compound = true;
        flush();
    }
    return commands;
}
/** How a command is shown in warnings: its first line, `\u{2026}` when it goes on. */
function commandLabel(command) {
    const lines = command.text.split('\n');
    const first = lines[0].trim();
    return lines.length > 1 ? `${first} \u2026` : first;
}
/**
 * Reads a plain command into words, expanding `$name`/`${name}` from `vars`. Returns undefined
 * for anything that is not a plain command of literal words.
 */
function readSimpleCommand(command, vars) {
    if (command.compound)
        return undefined;
    const tokens = tokenize(command.text.trim(), vars);
    if (!tokens)
        return undefined;
    let words = tokens.filter((t) => !(t.raw && SILENT_REDIRECTIONS.has(t.text)));
    let orTrue = false;
    const n = words.length;
    if (n >= 2 && words[n - 2].raw && words[n - 2].text === '||') {
        const last = words[n - 1];
        if (!last.raw || (last.text !== 'true' && last.text !== ':'))
            return undefined;
        orTrue = true;
        words = words.slice(0, n - 2);
    }
    if (words.some((w) => w.raw && !w.plain))
        return undefined;
    let exec = false;
    if (words.length > 1 && words[0].raw && words[0].text === 'exec') {
        exec = true;
        words = words.slice(1);
    }
    if (words.length === 0)
        return undefined;
    return { words: words.map((w) => w.text), orTrue, exec };
}
/** `name=value` alone on a line: a shell variable the rest of the script may use. */
function readAssignment(command, vars) {
    if (command.compound)
        return undefined;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(command.text.trim());
    if (!match)
        return undefined;
    if (match[2] === '')
        return [match[1], ''];
    const value = tokenize(match[2], vars);
    if (!value || value.length !== 1 || (value[0].raw && !value[0].plain))
        return undefined;
    return [match[1], value[0].text];
}
/** Whitespace-separated words with '\u{2026}', "\u{2026}" and $name expansion; undefined for other syntax. */
function tokenize(text, vars) {
    const tokens = [];
    let i = 0;
    while (i < text.length) {
        while (i < text.length && /[ \t]/.test(text[i]))
            i++;
        if (i >= text.length)
            break;
        if (text[i] === '#')
            break;
        let word = '';
        let raw = true;
        let plain = true;
        while (i < text.length && !/[ \t]/.test(text[i])) {
            const ch = text[i];
            if (ch === "'") {
                const end = text.indexOf("'", i + 1);
                if (end < 0)
                    return undefined;
                word += text.slice(i + 1, end);
                raw = false;
                i = end + 1;
            }
            else if (ch === '"') {
                const end = text.indexOf('"', i + 1);
                if (end < 0)
                    return undefined;
                const inner = expandQuoted(text.slice(i + 1, end), vars);
                if (inner === undefined)
                    return undefined;
                word += inner;
                raw = false;
                i = end + 1;
            }
            else if (ch === '$') {
                const match = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
                const value = match ? vars.get(match[1] ?? match[2]) : undefined;
                // Unknown variables, positional parameters and unquoted values that would split: no.
                if (!match || value === undefined || /\s/.test(value) || value === '')
                    return undefined;
                word += value;
                raw = false;
                i += match[0].length;
            }
            else {
                if (!PLAIN.test(ch))
                    plain = false;
                word += ch;
                i++;
            }
            if (word.length > MAX_WORD)
                return undefined;
        }
        // Quoted or expanded text mixed with shell syntax (`"$x"|y`): not a plain word.
        if (!raw && !plain)
            return undefined;
        tokens.push({ text: word, raw, plain });
    }
    return tokens;
}
/** Text inside "\u{2026}": only $name / ${name} of known variables; `$(`, backquotes, `\` refused. */
function expandQuoted(text, vars) {
    let out = '';
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === '`' || ch === '\\')
            return undefined;
        if (ch !== '$') {
            out += ch;
            continue;
        }
        const match = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
        const value = match ? vars.get(match[1] ?? match[2]) : undefined;
        if (!match || value === undefined)
            return undefined;
        out += value;
        if (out.length > MAX_WORD)
            return undefined;
        i += match[0].length - 1;
    }
    return out;
}

;// CONCATENATED MODULE: ./src/apk/install/scripts-native.ts
/**
 * Install scripts without a shell. apk-tools runs `.pre-install` before a package's files,
 * `.post-install` after them and `.trigger` at the end of the commit, each with the root's
 * /bin/sh in a chroot. An image has no shell to spare, so witchery reads each script
 * (shell-script.ts) and applies, in the same order, only the commands it knows exactly: busybox's
 * `addgroup`/`adduser` (accounts.ts), `busybox --install -s`, `mkdir -p`, busybox's own trigger
 * (busybox-links.ts), `exit`, `true`, variables. Every other command is not run and is reported.
 * A command is applied only where the real one would run: the script's interpreter and the
 * command must be in the root at that moment (busybox's applet links, for `adduser`).
 */





/** The scripts of a fresh install, in the order apk runs them. */
const FRESH_INSTALL = ['pre-install', 'post-install', 'trigger'];
/** Shell builtins: they run without any file in the root, so they are never "not found". */
const BUILTINS = new Set(('. : [ [[ alias bg break cd chdir command continue echo eval exec exit export false fg ' +
    'getopts hash help history jobs kill let local printf pwd read readonly return set shift ' +
    'source test times trap true type ulimit umask unalias unset wait').split(' '));
/** SHA-256 of busybox's `.trigger` in Alpine 3.19 (busybox 1.36.1-r15), applied as a whole. */
const KNOWN_BUSYBOX_TRIGGERS = new Set([
    '0d63b08ed79c5a2348548852c9674c5c947abe2c97691162bd94a887ebd7d1f0'
]);
const EXEC_DIR = 'lib/apk/exec';
const SEARCH_PATH = ['usr/sbin', 'usr/bin', 'sbin', 'bin'];
class NativeScripts {
    plan;
    mode;
    day;
    skipped = [];
    constructor(plan, mode, 
    /** Days since 1970 for new shadow lines (the build epoch, so builds repeat). */
    day) {
        this.plan = plan;
        this.mode = mode;
        this.day = day;
    }
    preInstall(pkg) {
        this.run(pkg, 'pre-install', []);
    }
    postInstall(pkg) {
        this.run(pkg, 'post-install', []);
    }
    /** Every package's `.trigger` whose globs match a folder packages installed into. */
    triggers() {
        const dirs = this.plan.installedFolders;
        for (const pkg of this.plan.packages) {
            const globs = pkg.unit.file?.info.triggers ?? pkg.unit.pkg.triggers;
            const matched = [...dirs].filter((dir) => globs.some((glob) => globMatches(glob, dir)));
            if (matched.length > 0)
                this.run(pkg, 'trigger', matched);
        }
    }
    run(pkg, type, args) {
        const script = pkg.unit.file?.scripts.get(type);
        if (!script || !FRESH_INSTALL.includes(type))
            return;
        if (this.mode === 'none') {
            this.skipped.push({ package: pkg.label, script: type });
            return;
        }
        // apk writes the script into lib/apk/exec (made 0700) before it runs it.
        if (!this.plan.nodes.has(EXEC_DIR)) {
            this.plan.set(EXEC_DIR, { type: 'directory', mode: 0o700, uid: 0, gid: 0, preexisting: true });
        }
        new ScriptRun(this.plan, pkg, type, this.day, this.skipped).run(script, args);
        // apk forgets the owner names it looked up: a script may have added accounts.
        this.plan.ids.reset();
    }
}
/** One script's run. */
class ScriptRun {
    plan;
    pkg;
    type;
    day;
    skipped;
    vars = new Map();
    constructor(plan, pkg, type, day, skipped) {
        this.plan = plan;
        this.pkg = pkg;
        this.type = type;
        this.day = day;
        this.skipped = skipped;
    }
    run(script, args) {
        const text = script.toString('utf8');
        const interpreter = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(text);
        const shell = interpreter ? this.resolve(interpreter[1]) : undefined;
        if (!interpreter || (interpreter[1] !== '/bin/sh' && interpreter[2] !== 'sh')) {
            this.skip(interpreter ? `${interpreter[0]} (not a /bin/sh script)` : '(no #! line)');
            return;
        }
        if (shell !== BUSYBOX) {
            // apk-tools cannot run it either: exec of the interpreter fails in the chroot.
            this.skip(`${interpreter[0]} (no busybox shell in the root yet, so apk-tools could not run it either)`);
            return;
        }
        if (this.type === 'trigger' && this.isKnownBusyboxTrigger(script)) {
            this.busyboxTrigger(args);
            return;
        }
        for (const command of splitScript(text)) {
            if (this.command(command) === 'stop')
                return;
        }
    }
    skip(command) {
        this.skipped.push({ package: this.pkg.label, script: this.type, command });
    }
    command(command) {
        const assignment = readAssignment(command, this.vars);
        if (assignment) {
            this.vars.set(assignment[0], assignment[1]);
            return 'next';
        }
        const simple = readSimpleCommand(command, this.vars);
        if (!simple) {
            this.skip(commandLabel(command));
            return 'next';
        }
        const [name, ...rest] = simple.words;
        if (name === 'exit' && rest.length <= 1 && /^\d*$/.test(rest[0] ?? ''))
            return 'stop';
        if (name === 'true' || name === ':')
            return simple.exec ? 'stop' : 'next';
        const outcome = this.external(name, rest);
        if (outcome === 'unsupported')
            this.skip(commandLabel(command));
        return simple.exec ? 'stop' : 'next';
    }
    /** A command found through PATH (or given as a path) in the root, if it is busybox's. */
    external(name, args) {
        if (!name.includes('/') && BUILTINS.has(name))
            return 'unsupported';
        const found = name.includes('/') ? this.resolveCommand(name) : this.search(name);
        // Not in the root: the shell says "not found" and the script goes on, as under apk-tools.
        if (!found)
            return 127;
        if (found.target !== BUSYBOX || this.plan.nodes.get(BUSYBOX)?.ownerIndex === undefined) {
            return 'unsupported';
        }
        const applet = found.invokedAs === 'busybox' ? args.shift() : found.invokedAs;
        return this.applet(applet ?? '', args);
    }
    applet(applet, args) {
        switch (applet) {
            case 'addgroup':
                return addgroup(this.plan, args);
            case 'adduser':
                return adduser(this.plan, args, { day: this.day });
            case 'mkdir':
                if (args[0] !== '-p' || args.length < 2)
                    return 'unsupported';
                return makeDirsP(this.plan, args.slice(1)) ? 0 : 'unsupported';
            case '--install':
                if (args.length !== 1 || args[0] !== '-s')
                    return 'unsupported';
                return installBusyboxLinks(this.plan) ? 0 : 'unsupported';
            default:
                return 'unsupported';
        }
    }
    /**
     * busybox's trigger: for folders under /lib/modules it would run depmod (not applied);
     * for any other folder it runs `bbsuid --install` (busybox-suid), `busybox-extras --install
     * -s` and `busybox --install -s`, each only when that binary is in the root.
     */
    busyboxTrigger(args) {
        let install = false;
        for (const dir of args) {
            if (globMatches('/lib/modules/*', dir)) {
                if (this.plan.nodes.get(dir.slice(1))?.type === 'directory') {
                    this.skip(`/bin/busybox depmod ${dir.slice('/lib/modules/'.length)}`);
                }
            }
            else {
                install = true;
            }
        }
        if (!install)
            return;
        if (this.plan.nodes.has(BBSUID))
            installBbsuidLinks(this.plan);
        if (this.plan.nodes.has('bin/busybox-extras'))
            this.skip('/bin/busybox-extras --install -s');
        if (!installBusyboxLinks(this.plan))
            this.skip('/bin/busybox --install -s');
    }
    isKnownBusyboxTrigger(script) {
        if (this.pkg.unit.pkg.name !== 'busybox')
            return false;
        const digest = external_node_crypto_.createHash('sha256').update(script).digest('hex');
        return KNOWN_BUSYBOX_TRIGGERS.has(digest);
    }
    /** PATH=/usr/sbin:/usr/bin:/sbin:/bin, as apk sets it for scripts. */
    search(name) {
        if (!/^[A-Za-z0-9_.+[-]+$/.test(name))
            return undefined;
        for (const dir of SEARCH_PATH) {
            const found = this.resolveCommand(`/${dir}/${name}`);
            if (found)
                return found;
        }
        return undefined;
    }
    resolveCommand(path) {
        const target = this.resolve(path);
        if (target === undefined || this.plan.nodes.get(target)?.type !== 'file')
            return undefined;
        return { target, invokedAs: path.slice(path.lastIndexOf('/') + 1) };
    }
    /** Where an absolute path ends up in the root, every symlink followed; undefined if nowhere. */
    resolve(path) {
        if (!path.startsWith('/'))
            return undefined;
        const rel = path.replace(/^\/+/, '');
        try {
            const at = (0,paths/* resolveInRoot */.QD)(rel, this.plan.nodes, true, this.pkg.label);
            return this.plan.nodes.has(at) ? at : undefined;
        }
        catch {
            return undefined;
        }
    }
}
/** fnmatch(3) with FNM_PATHNAME for apk's trigger globs: `*`, `?` and `[\u{2026}]` stop at `/`. */
function globMatches(glob, path) {
    let pattern = '^';
    for (let i = 0; i < glob.length; i++) {
        const ch = glob[i];
        if (ch === '*')
            pattern += '[^/]*';
        else if (ch === '?')
            pattern += '[^/]';
        else if (ch === '[') {
            const end = glob.indexOf(']', i + 2);
            if (end < 0)
                pattern += '\\[';
            else {
                const body = glob
                    .slice(i + 1, end)
                    .replace(/^!/, '^')
                    .replace(/\\/g, '\\\\');
                pattern += `(?!/)[${body}]`;
                i = end;
            }
        }
        else
            pattern += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`${pattern}$`).test(path);
}

// EXTERNAL MODULE: ./src/apk/install/skipped.ts
var skipped = __webpack_require__(702);
;// CONCATENATED MODULE: ./src/apk/install/root-installer.ts
/**
 * What `apk --root ROOT --initdb add` does once the packages are chosen and verified: lay their
 * files into ROOT and write the apk database, as apk-tools 2.14 does (apk-format.md \u{a7}1.6, \u{a7}3,
 * \u{a7}5.8). Package by package in install order, each is planned in memory first (names checked,
 * symlinks on the way resolved inside the root, ownership conflicts decided) and only then
 * written, so nothing is ever written through a path that leaves the root; a failure later on
 * takes away everything written (RootInstaller.abort), leaving the root as it was found.
 *
 * Choices (apk-format.md \u{a7}9): byte-exact with 2.14's database; `--initdb` makes only what an
 * image needs (no dev nodes, proc, var/cache or lock file, as `apk --no-cache` in a container
 * build); install scripts are never run, but what their known idioms leave (accounts, busybox's
 * links) is planned at the moment apk would run them (scripts-native.ts); device nodes and
 * FIFOs are refused.
 */














/**
 * Creates the root (it must be empty or missing) and what `--initdb` makes. Returns the topmost
 * folder made on the way (the root or a parent), so a failed install can take it away again.
 */
async function initRoot(root) {
    const stat = await external_node_fs_.promises.lstat(root).catch(() => undefined);
    if (stat && !stat.isDirectory()) {
        throw new errors/* InvalidArgumentError */.Di(`root ${root} exists and is not a folder: give an empty or missing folder.`);
    }
    if (stat && (await external_node_fs_.promises.readdir(root)).length > 0) {
        throw new errors/* InvalidArgumentError */.Di(`root ${root} is not empty: witchery installs into a fresh root (as apk --initdb); give an ` +
            'empty or missing folder.');
    }
    try {
        return await (0,files/* makeDirs */.X2)(root);
    }
    catch (error) {
        if (!(error instanceof files/* NotAFolderError */.HT))
            throw error;
        throw new errors/* InvalidArgumentError */.Di(`cannot make the root ${root}: ${error.message}. Give an empty or missing folder whose ` +
            'parents are folders.');
    }
}
/**
 * Installs packages one at a time, in install order, writing each as soon as it is planned, so
 * a build can install the first packages while later ones are still being verified. Any
 * failure empties the root again (abort): what was written never outlives a failed install.
 */
class RootInstaller {
    root;
    options;
    made;
    plan;
    scripts;
    onDisk = new Set(INITDB_DIRS.map(([dir]) => dir));
    chown;
    writer;
    /** Takes the root's signal handling off (begin put it on). */
    forget;
    constructor(root, options, 
    /** The topmost folder begin() made, when it made the root. */
    made) {
        this.root = root;
        this.options = options;
        this.made = made;
        // Stopped by SIGINT or SIGTERM meanwhile, the root is left as it was found (a half-made
        // one made a second `install --root` fail with "not empty").
        this.forget = made !== undefined ? (0,temp/* removeOnSignal */.QF)(made) : (0,temp/* emptyOnSignal */.v0)(root);
        this.plan = new Plan(options.logger ?? types/* silentLogger */.qq, external_node_path_.join(root, '/'));
        const day = Math.floor((options.sourceDateEpoch ?? 0) / 86400);
        this.scripts = new NativeScripts(this.plan, options.scripts ?? 'native', day);
        this.chown = options.chown ?? process.getuid?.() === 0;
        this.writer = new root_writer/* RootWriter */.c(root, { refuse: (refusal) => this.refusal(refusal) });
        for (const [dir] of INITDB_DIRS)
            this.writer.mkdir(dir);
    }
    /** Prepares `root`, which must be empty or missing. */
    static async begin(root, options) {
        return new RootInstaller(root, options, await initRoot(root));
    }
    /** Plans one package (the next in install order) and writes what it adds or takes over. */
    async add(unit) {
        if (!unit.file && unit.pkg.installedSize > 0) {
            throw new errors/* InvalidArgumentError */.Di(`${unit.pkg.name}-${unit.pkg.version}: no package file was given to install.`);
        }
        this.plan.add(unit, this.options.tags?.get(unit.pkg), {
            before: (pkg) => this.scripts.preInstall(pkg),
            after: (pkg) => this.scripts.postInstall(pkg)
        });
        this.writeTouched();
    }
    /** Settles folder modes, writes the apk database, and returns what was installed. */
    async finish() {
        this.scripts.triggers();
        this.plan.settleDirectories();
        this.writeDatabase();
        this.settleOnDisk();
        const plan = this.plan;
        // The database is on disk: its records of every file (names, digests) go before the tree
        // is made, so that a root of many files never holds both (80,000 files: 70 MiB of heap as
        // the tree was made, 47 without them).
        plan.forgetFileRecords();
        if (plan.nodes.size > released_memory/* COLLECT_EVERY_ENTRIES */.sY)
            (0,released_memory/* collectNow */.V3)();
        const scriptsSkipped = this.scripts.skipped;
        // Returned, not logged: the caller reports it once, in its own words and place (the build
        // in its warnings and summary, `witchery install` after installing).
        if (scriptsSkipped.length > 0)
            plan.warnings.push((0,skipped/* skippedWarning */.F)(scriptsSkipped));
        const installed = plan.packages.map((p) => p.unit.pkg).sort(compareDbPackages);
        this.forget();
        return { tree: treeOf(plan), installed, scriptsSkipped, warnings: plan.warnings };
    }
    /** Takes away everything this install wrote: the root as it was found (missing or empty). */
    async abort() {
        this.forget();
        if (this.made) {
            (0,temp/* removeTree */.dM)(this.made);
            return;
        }
        for (const name of await external_node_fs_.promises.readdir(this.root).catch(() => [])) {
            (0,temp/* removeTree */.dM)(external_node_path_.join(this.root, name));
        }
    }
    /**
     * The apk database files: planned as the installer's own paths and written like any other,
     * over a package's copy of the same path (a package's own key file is kept).
     */
    writeDatabase() {
        const plan = this.plan;
        for (const file of databaseFiles(plan, this.options)) {
            const existing = plan.nodes.get(file.rel);
            if (existing && file.rel.startsWith('etc/apk/keys/'))
                continue;
            if (existing && existing.type !== 'file') {
                throw new errors/* FileConflictError */.fJ(`${plan.ownerLabel(existing)} ships /${file.rel} as a ${existing.type}; the apk ` +
                    'database needs that path. Leave the package out.');
            }
            const parent = (0,paths/* parentOf */.Pp)(file.rel);
            const folder = plan.nodes.get(parent);
            if (!folder) {
                plan.set(parent, { type: 'directory', mode: 0o755, uid: 0, gid: 0 });
            }
            else if (folder.type !== 'directory') {
                throw new errors/* PathEscapeError */.ZU(`${plan.ownerLabel(folder)} ships /${parent} as a ${folder.type}, where the apk ` +
                    `database needs a folder (for /${file.rel}); witchery does not write through it. ` +
                    `Leave ${plan.ownerLabel(folder)} out.`);
            }
            const data = typeof file.content === 'string' ? Buffer.from(file.content) : file.content;
            plan.set(file.rel, { type: 'file', mode: 0o644, uid: 0, gid: 0, data });
        }
        this.writeTouched();
    }
    /**
     * Writes the paths planned since the last call: folders, then files, then links. The calls
     * are synchronous: one package's files in one go between two turns of the event loop, which
     * leaves the thread pool to the inflating and measured cheaper than five trips to it a file.
     */
    writeTouched() {
        const rels = [...new Set(this.plan.touched.splice(0))];
        const nodes = rels.map((rel) => [rel, this.plan.nodes.get(rel)]);
        const writer = this.writer;
        for (const [rel, node] of nodes) {
            if (node.type !== 'directory' || this.onDisk.has(rel))
                continue;
            writer.mkdir(rel);
            this.onDisk.add(rel);
        }
        for (const [rel, node] of nodes) {
            if (node.type !== 'file')
                continue;
            this.replace(rel);
            if (node.staged)
                writer.moveIn(rel, node.staged, this.attributes(node));
            else
                writer.writeFile(rel, node.data ?? Buffer.alloc(0), this.attributes(node));
            // From here the root holds the bytes: memory holds no package's data past its install.
            node.written = true;
            node.staged = undefined;
            node.data = undefined;
        }
        for (const [rel, node] of nodes) {
            if (node.type !== 'symlink')
                continue;
            this.replace(rel);
            writer.symlink(rel, node.linkname ?? '', this.owner(node));
        }
        for (const [rel, node] of nodes) {
            if (node.type !== 'hardlink')
                continue;
            this.replace(rel);
            writer.hardlink(rel, node.linkname ?? '');
        }
    }
    /** A path a later package takes over: the old file goes first (never written through). */
    replace(rel) {
        if (this.onDisk.has(rel))
            this.writer.remove(rel);
        this.onDisk.add(rel);
    }
    owner(node) {
        return this.chown ? { uid: node.uid, gid: node.gid } : undefined;
    }
    attributes(node) {
        return { mode: this.diskMode(node), owner: this.owner(node), mtime: node.mtime };
    }
    /**
     * The mode on disk. As root it is the package's. Without root the files stay the runner
     * user's, so they keep that user's read and write bits (a folder its search bit too), or a
     * file such as busybox-suid's 04111 /bin/bbsuid could not be read back to check or pack it.
     * The image never sees this: layers take their modes from the plan, not from the disk.
     */
    diskMode(node) {
        if (this.chown)
            return node.mode;
        return node.mode | (node.type === 'directory' ? 0o700 : 0o600);
    }
    /** The error for a write the root writer refused: who put what in the way. */
    refusal(refusal) {
        const inTheWay = this.plan.nodes.get(refusal.at);
        const who = inTheWay ? this.plan.ownerLabel(inTheWay) : 'something outside witchery';
        const what = inTheWay ? `a ${inTheWay.type}` : `${refusal.found}`;
        return new errors/* PathEscapeError */.ZU(`refusing to write /${refusal.rel}: /${refusal.at} is ${what} (from ${who}), not a folder ` +
            'inside the root, and writing through it could land outside the root. The package is ' +
            'malformed or hostile: remove it from the package list.');
    }
    /** Final folder owners and modes, deepest first (a folder may be read-only for its owner). */
    settleOnDisk() {
        // The folders' paths alone, deepest first (not a [path, node] pair for every path).
        const dirs = [];
        for (const [rel, node] of this.plan.nodes) {
            if (node.type === 'directory' && rel !== '')
                dirs.push(rel);
        }
        dirs.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
        for (const rel of dirs) {
            const node = this.plan.nodes.get(rel);
            this.writer.settleFolder(rel, { mode: this.diskMode(node), owner: this.owner(node) });
        }
    }
}
/**
 * Installs `units` (in install order, verified) into `root`, which must be empty or missing,
 * and writes the apk database. On any failure (a package that would escape the root, a device
 * node, a file conflict) the root is left as it was found.
 */
async function installPackages(root, units, options) {
    const installer = await RootInstaller.begin(root, options);
    try {
        for (const unit of units)
            await installer.add(unit);
        return await installer.finish();
    }
    catch (error) {
        await installer.abort();
        throw error;
    }
}

;// CONCATENATED MODULE: ./src/apk/install/install-fetched.ts






/** Installs `resolution` into `root`, its packages fetched through `transport`. */
async function installFetched(root, repos, resolution, options, transport) {
    const logger = options.logger ?? types/* silentLogger */.qq;
    const fetch = repos.stats;
    // The keys that signed the indexes go into etc/apk/keys, so apk in a derived image trusts them.
    const signers = [...new Set(repos.indexes.map((i) => i.signer).filter((s) => s !== undefined))];
    const keys = signers
        .map((name) => ({ name, pem: repos.keyring.pemOf(name) ?? '' }))
        .filter((k) => k.pem !== '');
    const installer = await RootInstaller.begin(root, {
        arch: repos.arch,
        world: resolution.world,
        repositories: repos.repositories,
        keys,
        tags: resolution.tags,
        sourceDateEpoch: options.sourceDateEpoch,
        scripts: options.scripts,
        logger
    });
    // Packages go in, in install order, while later ones are still downloading and verifying.
    const queue = new InstallQueue(installer, resolution.packages);
    // Large files stream here while they verify, and move into the root from here.
    const staging = await (0,temp/* makeWorkDir */.dW)('stage');
    try {
        await fetchPackages(resolution.packages, repos.repositories, repos.arch, {
            transport,
            cache: options.cacheDir ? new cache/* PackageCache */.h(options.cacheDir) : undefined,
            concurrency: options.concurrency,
            logger,
            stats: fetch,
            staging: staging.dir,
            // Downloads wait while the verified packages not installed yet fill the memory window.
            admit: (pkg, signal) => queue.admit(pkg, signal),
            onVerified: (pkg, file) => queue.ready(pkg, file)
        });
        await queue.done();
        return { ...(await installer.finish()), fetch };
    }
    catch (error) {
        await queue.settled();
        await installer.abort();
        throw error;
    }
    finally {
        await staging.release();
    }
}


/***/ }),

/***/ 318:
/***/ (function (__unused_webpack_module, __webpack_exports__, __webpack_require__) {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CN: () => (/* binding */ xattrNameProblem),
/* harmony export */   Ic: () => (/* binding */ WHITEOUT),
/* harmony export */   Pp: () => (/* binding */ parentOf),
/* harmony export */   QD: () => (/* binding */ resolveInRoot),
/* harmony export */   bx: () => (/* binding */ baseOf),
/* harmony export */   fv: () => (/* binding */ maliciousReason),
/* harmony export */   gN: () => (/* binding */ joinRel)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(239);
/**
 * Path rules of the installer: which archive names apk refuses, and how a package path maps to
 * a place inside the root when earlier packages put symlinks on the way. Nothing here touches
 * the disk; the plan is checked in memory before the first byte is written.
 */

/** Symlink hops allowed while resolving one path (Linux's own limit is 40). */
const MAX_HOPS = 40;
/**
 * Why apk 2.14 would call `name` malicious, or undefined when it is fine: absolute, control
 * characters, `.`/`..` components (apk checks `./`, `../`, `/./`, `/../`; we also refuse a
 * trailing `/..` and empty components, which resolve the same way).
 */
function maliciousReason(name) {
    if (name.startsWith('/'))
        return 'it is an absolute path';
    if (hasControlCharacter(name))
        return 'it contains a control character';
    for (const part of name.split('/')) {
        if (part === '..')
            return 'it climbs out with `..`';
        if (part === '.' || part === '')
            return 'it has an empty or `.` component';
    }
    return undefined;
}
function hasControlCharacter(text) {
    for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code < 0x20 || code === 0x7f)
            return true;
    }
    return false;
}
/** Parent folder of a root-relative path (`''` is the root). */
function parentOf(rel) {
    const slash = rel.lastIndexOf('/');
    return slash < 0 ? '' : rel.slice(0, slash);
}
function baseOf(rel) {
    return rel.slice(rel.lastIndexOf('/') + 1);
}
function joinRel(dir, name) {
    return dir === '' ? name : `${dir}/${name}`;
}
/**
 * Where `rel` (a package path, already checked by maliciousReason) lands in the root: each
 * component that is a planned symlink is followed as a container would see it (absolute targets
 * start at the root). A symlink that climbs above the root is refused, so nothing is ever written
 * through a link to a place outside it. `followLast` also follows the final component (for
 * directory entries: `mkdir` of an existing link to a folder uses that folder).
 */
function resolveInRoot(rel, nodes, followLast, context) {
    const state = { hops: 0 };
    const parts = rel.split('/');
    const last = parts.pop();
    const parent = walk('', parts, nodes, state, rel, context);
    const here = joinRel(parent, last);
    const at = followLast ? walk(parent, [last], nodes, state, rel, context) : here;
    // The name itself when nothing on the way changed it (nearly always): one string for the
    // path's key in the plan and the package's name for it, not a second one built from its parts.
    return at === rel ? rel : at;
}
function walk(start, parts, nodes, state, original, context) {
    let current = start;
    for (const part of parts) {
        if (part === '' || part === '.')
            continue;
        if (part === '..') {
            if (current === '')
                throw escape(original, context);
            current = parentOf(current);
            continue;
        }
        const next = joinRel(current, part);
        const node = nodes.get(next);
        if (node?.type !== 'symlink') {
            current = next;
            continue;
        }
        if (++state.hops > MAX_HOPS) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PathEscapeError */ .ZU(`${context}: /${original} goes through more than ${MAX_HOPS} symlinks; ` +
                'fix the symlink loop in the package.');
        }
        const target = node.linkname ?? '';
        const from = target.startsWith('/') ? '' : current;
        current = walk(from, target.split('/'), nodes, state, original, context);
    }
    return current;
}
function escape(original, context) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PathEscapeError */ .ZU(`${context}: /${original} goes through a symlink that points above the root; refusing to ` +
        'write outside it. The package is malformed or hostile: remove it from the package list.');
}
/**
 * The prefix that makes an image layer's entry an OCI whiteout: a package file so named would
 * delete what lower layers hold once the root is an image, so neither the install nor the image
 * writer takes one.
 */
const WHITEOUT = '.wh.';
/**
 * Why an extended attribute's name cannot go in a layer (a PAX `SCHILY.xattr.NAME` record, which
 * Go's tar reader refuses with a NUL or `=` in it), or undefined.
 */
function xattrNameProblem(name) {
    if (name === '' || name.includes('\0') || name.includes('=')) {
        return `named ${JSON.stringify(name)}: a name must be non-empty, without NUL or =`;
    }
    if (Buffer.byteLength(name) > 255)
        return `named ${name.slice(0, 40)}\u2026, longer than 255 bytes`;
    return undefined;
}


/***/ }),

/***/ 119:
/***/ (function (__unused_webpack_module, __webpack_exports__, __webpack_require__) {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   c: () => (/* binding */ RootWriter)
/* harmony export */ });
/* unused harmony export UnsafeWriteError */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(24);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(916);
/**
 * The one way witchery writes into a root folder: package files, the apk database, the image's
 * accounts, homes and os-release. A package may ship a symlink (or a file) where a folder is
 * expected \u{2014} `etc/apk/keys -> /home/runner`, `etc -> ../../..` \u{2014} and a write that followed it
 * would land on the host. So every write here:
 *
 * - checks each parent of the path, root downwards: it must be a real folder (lstat, never a
 *   symlink). Folders this writer made itself, or checked once already, are not checked again;
 *   every write into the root goes through one writer, so they cannot change in between;
 * - opens the last component with O_NOFOLLOW, and creates it with O_EXCL where it must be new,
 *   so a symlink put at the path itself is refused too.
 *
 * A refusal is an error made by the caller's `refuse`, which names who shipped the offending
 * path (the installer names the package, the image assembly says what to leave out).
 */



const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC, O_WRONLY } = node_fs__WEBPACK_IMPORTED_MODULE_0__.constants;
/** The refusal the writer throws when the caller gives no `refuse` of its own. */
class UnsafeWriteError extends _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .WitcheryError */ .q {
    constructor(message) {
        super('PATH_ESCAPE', message);
    }
}
function describe(found) {
    if (found === 'symlink')
        return 'a symlink';
    if (found === 'file')
        return 'a file';
    if (found === 'missing')
        return 'missing';
    return 'not a folder';
}
function defaultRefusal(refusal) {
    return new UnsafeWriteError(`refusing to write /${refusal.rel}: /${refusal.at} is ${describe(refusal.found)}, not a ` +
        'folder inside the root, and writing through it could land outside the root.');
}
function errnoOf(error) {
    return error?.code;
}
class RootWriter {
    root;
    /** Root-relative folders known to be real folders of the root ('' is the root itself). */
    folders = new Set(['']);
    refuse;
    constructor(root, options = {}) {
        this.root = root;
        this.refuse = options.refuse ?? defaultRefusal;
    }
    /** The host path of a root-relative path (no checks: for reading what the writer made). */
    hostPath(rel) {
        return rel === '' ? this.root : node_path__WEBPACK_IMPORTED_MODULE_1__.join(this.root, rel);
    }
    /**
     * Makes the folder `rel` (its parent must exist); an existing real folder is fine. `target`
     * is what the caller set out to make, for messages.
     */
    mkdir(rel, mode = 0o755, target = rel) {
        if (this.folders.has(rel))
            return;
        this.checkParents(rel, target);
        try {
            node_fs__WEBPACK_IMPORTED_MODULE_0__.mkdirSync(this.hostPath(rel), { mode });
        }
        catch (error) {
            if (errnoOf(error) !== 'EEXIST')
                throw error;
            this.checkFolder(rel, target);
        }
        this.folders.add(rel);
    }
    /** Makes `rel` and every missing folder above it. */
    mkdirs(rel, mode = 0o755) {
        const parts = rel.split('/');
        for (let i = 1; i <= parts.length; i++)
            this.mkdir(parts.slice(0, i).join('/'), mode, rel);
    }
    /**
     * Writes a new file at `rel` (nothing may be there: remove a file being replaced first), or,
     * with `replace`, truncates a plain file that is there. Never follows a symlink at `rel`.
     */
    writeFile(rel, data, attributes, replace = false) {
        const fd = this.open(rel, replace);
        try {
            const bytes = typeof data === 'string' ? Buffer.from(data) : data;
            for (let done = 0; done < bytes.length;) {
                done += node_fs__WEBPACK_IMPORTED_MODULE_0__.writeSync(fd, bytes, done, bytes.length - done);
            }
            this.settleOpen(fd, attributes);
        }
        finally {
            node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync(fd);
        }
    }
    /**
     * Moves the host file `source` (a staging file of this run) to the new path `rel`: renamed
     * when on the same file system, else copied. The source must not be reachable by packages.
     */
    moveIn(rel, source, attributes) {
        this.checkParents(rel);
        const target = this.hostPath(rel);
        try {
            node_fs__WEBPACK_IMPORTED_MODULE_0__.linkSync(source, target);
            node_fs__WEBPACK_IMPORTED_MODULE_0__.rmSync(source, { force: true });
        }
        catch (error) {
            const code = errnoOf(error);
            if (code === 'EEXIST')
                throw error;
            // Another file system (EXDEV) or links not allowed: copy, never following a link at rel.
            node_fs__WEBPACK_IMPORTED_MODULE_0__.copyFileSync(source, target, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.COPYFILE_EXCL);
            node_fs__WEBPACK_IMPORTED_MODULE_0__.rmSync(source, { force: true });
        }
        const fd = this.openExisting(rel, O_WRONLY);
        try {
            this.settleOpen(fd, attributes);
        }
        finally {
            node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync(fd);
        }
    }
    /** The contents of the plain file at `rel`, or undefined when there is none. */
    readFile(rel) {
        this.checkParents(rel);
        let fd;
        try {
            fd = node_fs__WEBPACK_IMPORTED_MODULE_0__.openSync(this.hostPath(rel), O_RDONLY | O_NOFOLLOW);
        }
        catch (error) {
            if (errnoOf(error) === 'ENOENT')
                return undefined;
            if (errnoOf(error) === 'ELOOP')
                throw this.refuse({ rel, at: rel, found: 'symlink' });
            throw error;
        }
        try {
            if (!node_fs__WEBPACK_IMPORTED_MODULE_0__.fstatSync(fd).isFile())
                throw this.refuse({ rel, at: rel, found: 'other' });
            return node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync(fd);
        }
        finally {
            node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync(fd);
        }
    }
    /** Makes the symlink `rel` \u{2192} `target` (the target is never followed here). */
    symlink(rel, target, owner) {
        this.checkParents(rel);
        node_fs__WEBPACK_IMPORTED_MODULE_0__.symlinkSync(target, this.hostPath(rel));
        if (owner)
            node_fs__WEBPACK_IMPORTED_MODULE_0__.lchownSync(this.hostPath(rel), owner.uid, owner.gid);
    }
    /** Makes the hard link `rel` to the file at `target` (root-relative). */
    hardlink(rel, target) {
        this.checkParents(rel);
        this.checkParents(target);
        node_fs__WEBPACK_IMPORTED_MODULE_0__.linkSync(this.hostPath(target), this.hostPath(rel));
    }
    /** Removes a file or link at `rel`, if any (never a folder, never through a link). */
    remove(rel) {
        this.checkParents(rel);
        node_fs__WEBPACK_IMPORTED_MODULE_0__.rmSync(this.hostPath(rel), { force: true });
    }
    /** Final mode and owner of a folder this writer made or checked. */
    settleFolder(rel, attributes) {
        const fd = this.openExisting(rel, O_RDONLY | O_DIRECTORY);
        try {
            this.settleOpen(fd, attributes);
        }
        finally {
            node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync(fd);
        }
    }
    open(rel, replace) {
        this.checkParents(rel);
        const flags = O_WRONLY | O_CREAT | O_NOFOLLOW | (replace ? O_TRUNC : O_EXCL);
        try {
            const fd = node_fs__WEBPACK_IMPORTED_MODULE_0__.openSync(this.hostPath(rel), flags, 0o600);
            if (replace && !node_fs__WEBPACK_IMPORTED_MODULE_0__.fstatSync(fd).isFile()) {
                node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync(fd);
                throw this.refuse({ rel, at: rel, found: 'other' });
            }
            return fd;
        }
        catch (error) {
            if (errnoOf(error) === 'ELOOP')
                throw this.refuse({ rel, at: rel, found: 'symlink' });
            if (errnoOf(error) === 'EISDIR')
                throw this.refuse({ rel, at: rel, found: 'other' });
            throw error;
        }
    }
    openExisting(rel, flags) {
        this.checkParents(rel);
        try {
            return node_fs__WEBPACK_IMPORTED_MODULE_0__.openSync(this.hostPath(rel), flags | O_NOFOLLOW);
        }
        catch (error) {
            if (errnoOf(error) === 'ELOOP')
                throw this.refuse({ rel, at: rel, found: 'symlink' });
            if (errnoOf(error) === 'ENOTDIR')
                throw this.refuse({ rel, at: rel, found: 'file' });
            throw error;
        }
    }
    settleOpen(fd, attributes) {
        if (attributes.owner)
            node_fs__WEBPACK_IMPORTED_MODULE_0__.fchownSync(fd, attributes.owner.uid, attributes.owner.gid);
        node_fs__WEBPACK_IMPORTED_MODULE_0__.fchmodSync(fd, attributes.mode);
        if (attributes.mtime !== undefined) {
            node_fs__WEBPACK_IMPORTED_MODULE_0__.futimesSync(fd, attributes.mtime, attributes.mtime);
        }
    }
    /** Every folder above `rel` must be a real folder of the root. */
    checkParents(rel, target = rel) {
        const slash = rel.lastIndexOf('/');
        if (slash < 0)
            return;
        const parent = rel.slice(0, slash);
        if (this.folders.has(parent))
            return;
        this.checkParents(parent, target);
        this.checkFolder(parent, target);
        this.folders.add(parent);
    }
    checkFolder(folder, rel) {
        let stat;
        try {
            stat = node_fs__WEBPACK_IMPORTED_MODULE_0__.lstatSync(this.hostPath(folder));
        }
        catch (error) {
            if (errnoOf(error) === 'ENOENT')
                throw this.refuse({ rel, at: folder, found: 'missing' });
            throw error;
        }
        if (stat.isDirectory())
            return;
        const found = stat.isSymbolicLink() ? 'symlink' : stat.isFile() ? 'file' : 'other';
        throw this.refuse({ rel, at: folder, found });
    }
}


/***/ })

};
;