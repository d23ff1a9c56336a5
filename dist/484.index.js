export const id = 484;
export const ids = [484];
export const modules = {

/***/ 3484:
/***/ (function (__unused_webpack_module, __webpack_exports__, __webpack_require__) {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   LB: () => (/* binding */ readApkPackageFile),
/* harmony export */   cp: () => (/* binding */ inMemoryBudget),
/* harmony export */   hP: () => (/* binding */ STREAM_ABOVE),
/* harmony export */   readApkPackage: () => (/* binding */ readApkPackage),
/* harmony export */   readApkPackageAsync: () => (/* binding */ readApkPackageAsync)
/* harmony export */ });
/* unused harmony exports apkIdentity, HEAD_INFLATE_LIMIT, dataInflateLimit, STREAM_INLINE_TOTAL */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7975);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_util__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var node_zlib__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(8522);
/* harmony import */ var node_zlib__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(node_zlib__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(7239);
/* harmony import */ var _gzip_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(313);
/* harmony import */ var _pkginfo_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(8503);
/* harmony import */ var _signature_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(655);
/* harmony import */ var _released_memory_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(8258);
/* harmony import */ var _tar_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(9970);
/* harmony import */ var _types_js__WEBPACK_IMPORTED_MODULE_11__ = __webpack_require__(2443);
/**
 * A v2 `.apk` file: signature member(s), the control member (`.PKGINFO` and scripts), the data
 * member. apk hashes the compressed member bytes: the identity (index `C:`) is the SHA-1 of the
 * control member, `datahash` the SHA-256 of the data member. From a repository the trust chain
 * is signed index \u{2192} `C:` \u{2192} `datahash` \u{2192} per-file SHA-1; a local file must carry a `.SIGN`
 * made with a trusted key. Nothing is returned unless every check passed.
 */












/** Package identity: `Q1` + base64(SHA-1 of the control member's compressed bytes). */
function apkIdentity(controlMemberBytes) {
    return `Q1${node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash('sha1').update(controlMemberBytes).digest('base64')}`;
}
/** Problems found while reading: who we are talking about, and how to report. */
class Reporter {
    label;
    nameVersion;
    constructor(nameVersion, label) {
        this.label = label;
        this.nameVersion = nameVersion;
    }
    fail(what, todo, cause) {
        const where = this.label && this.label !== this.nameVersion ? ` (${this.label})` : '';
        return new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .PackageIntegrityError */ .Ur(`${this.nameVersion}: ${what}${where}. ${todo}`, { cause });
    }
}
const REFETCH = 'The file is damaged or not the one the index lists: fetch it again (clear the cache).';
function isControlName(name) {
    return name.startsWith('.') && !name.includes('/');
}
/** The most the signature and control members may inflate to, together. */
const HEAD_INFLATE_LIMIT = 16 * 1024 * 1024;
/**
 * The most a data section may inflate to: the installed size `.PKGINFO` declares (the sum of
 * the files, as abuild counts it) plus room for the tar headers. A genuine package stays far
 * below; a section that inflates past it is refused before it costs more memory or disk.
 */
function dataInflateLimit(installedSize) {
    return installedSize + Math.max(16 * 1024 * 1024, installedSize);
}
/** The signature and control members, inflated (bounded) before anything of the data. */
function readHead(bytes, report) {
    if (bytes.length === 0) {
        throw report.fail('the file is empty (0 bytes), not an .apk', REFETCH);
    }
    const members = asPackageFormat(report, () => leadingMembers(bytes));
    return members;
}
function asPackageFormat(report, read) {
    try {
        return read();
    }
    catch (error) {
        if (!(error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ApkError */ .xE) || error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .PackageIntegrityError */ .Ur)
            throw error;
        throw report.fail(`not a valid .apk file (${error.message})`, REFETCH, error);
    }
}
function splitLayout(stream, report) {
    const { entries, offsets, globalHeaders } = (0,_tar_js__WEBPACK_IMPORTED_MODULE_10__/* .scanTar */ .tZ)(stream.chunks);
    if (globalHeaders.length > 0) {
        throw report.fail(`it holds a PAX global header (tar byte ${globalHeaders[0]}), which no package carries and ` +
            'apk-tools refuses', 'The package is malformed: leave it out.');
    }
    const first = entries.findIndex((e) => !e.name.startsWith('.SIGN.'));
    if (first < 0)
        throw report.fail('the file has no .PKGINFO', REFETCH);
    const controlMember = (0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .memberAt */ .mz)(stream.offsets, offsets[first]);
    const layout = {
        stream,
        signatures: entries.slice(0, first),
        control: [],
        data: [],
        controlMember,
        dataInControl: false
    };
    for (let i = first; i < entries.length; i++) {
        const entry = entries[i];
        if ((0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .memberAt */ .mz)(stream.offsets, offsets[i]) === controlMember && layout.data.length === 0) {
            if (isControlName(entry.name))
                layout.control.push(entry);
            else {
                layout.dataInControl = true;
                layout.data.push(entry);
            }
        }
        else
            layout.data.push(entry);
    }
    return layout;
}
function readInfo(layout, bytes, report, expected) {
    const entry = layout.control.find((e) => e.name === '.PKGINFO' && e.type === 'file');
    if (!entry)
        throw report.fail('the control section has no .PKGINFO', REFETCH);
    let info;
    try {
        info = (0,_pkginfo_js__WEBPACK_IMPORTED_MODULE_7__/* .parsePkginfo */ .I)(entry.data.toString('utf8'));
    }
    catch (error) {
        if (!(error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ApkError */ .xE))
            throw error;
        throw report.fail(`unreadable .PKGINFO (${error.message})`, REFETCH, error);
    }
    // Name the package as the caller knows it: from the index when there is one.
    if (!expected)
        report.nameVersion = `${info.name}-${info.version}`;
    info.size = bytes.length;
    info.checksum = apkIdentity(signedRange(layout, bytes, info));
    return info;
}
/** The control member; for a legacy package without datahash, control and data together. */
function signedRange(layout, bytes, info) {
    const member = layout.stream.members[layout.controlMember];
    return info.datahash === undefined
        ? bytes.subarray(member.start)
        : bytes.subarray(member.start, member.end);
}
function scriptsOf(layout) {
    const scripts = new Map();
    for (const entry of layout.control) {
        const type = entry.name.slice(1);
        if (entry.type === 'file' && _types_js__WEBPACK_IMPORTED_MODULE_11__/* .SCRIPT_TYPES */ .qw.includes(type))
            scripts.set(type, entry.data);
    }
    return scripts;
}
function checkIdentity(info, expected, report) {
    if (info.checksum === expected.checksum)
        return;
    throw report.fail(`identity mismatch: the file holds ${info.name}-${info.version} whose control section ` +
        `hashes to ${info.checksum}, the index says ${expected.checksum}`, REFETCH);
}
function dataSection(layout, bytes) {
    return bytes.subarray(layout.stream.members[layout.controlMember].end);
}
function checkDatahash(layout, bytes, info, report, digest) {
    if (info.datahash === undefined)
        return;
    if (layout.dataInControl) {
        throw report.fail('data entries inside the control section of a package with datahash', REFETCH);
    }
    const actual = digest ?? node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash('sha256').update(dataSection(layout, bytes)).digest('hex');
    if (actual === info.datahash)
        return;
    throw report.fail(`data integrity error: the data section hashes to ${actual}, .PKGINFO datahash says ${info.datahash}`, REFETCH);
}
function sha1Hex(data) {
    return node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash('sha1').update(data).digest('hex');
}
/** What abuild-tar hashes for an entry: file content, or the symlink target as the ustar field holds it. */
function digestedBytes(entry) {
    if (entry.sha1 === undefined)
        return undefined;
    if (entry.type === 'file')
        return entry.data;
    if (entry.type === 'symlink')
        return (0,_tar_js__WEBPACK_IMPORTED_MODULE_10__/* .storedLinkname */ .Bw)(entry);
    return undefined;
}
function checkFileDigests(layout, report, digests) {
    for (const entry of layout.data) {
        const bytes = digestedBytes(entry);
        if (bytes === undefined)
            continue;
        const actual = digests?.get(entry) ?? sha1Hex(bytes);
        if (actual !== entry.sha1) {
            throw report.fail(`checksum mismatch for /${entry.name}: content hashes to ${actual}, the archive says ${entry.sha1}`, REFETCH);
        }
    }
}
/** A local file: apk's rule, the first signature whose key we hold; as apko, we try each such. */
function checkSignature(layout, bytes, info, options, report) {
    const signed = signedRange(layout, bytes, info);
    const names = [];
    const tried = [];
    for (const entry of layout.signatures) {
        const parsed = (0,_signature_js__WEBPACK_IMPORTED_MODULE_8__/* .parseSignatureName */ .dA)(entry.name);
        if (!parsed || entry.type !== 'file')
            continue;
        names.push(parsed.keyName);
        const key = options.keyring?.get(parsed.keyName);
        if (!key)
            continue;
        tried.push(parsed.keyName);
        if ((0,_signature_js__WEBPACK_IMPORTED_MODULE_8__/* .verifyRsaSignature */ .m8)(parsed.alg, signed, key, entry.data))
            return;
    }
    if (tried.length) {
        throw report.fail(`BAD signature: it does not verify with ${tried.join(', ')}`, 'The file was altered or damaged, or a different key carries that name; get the package again.');
    }
    throw report.fail(names.length
        ? `UNTRUSTED signature: signed by ${names.join(', ')}, which is not in the trusted keys`
        : 'the package is not signed', 'Add the signing key to the trusted keys, or allow untrusted local packages if you built it yourself.');
}
function reporterFor(options) {
    const expected = options.expected;
    return new Reporter(expected ? `${expected.name}-${expected.version}` : (options.label ?? 'package'), options.label);
}
/**
 * Reads and verifies an .apk. With `expected` (from a repository): identity, datahash and file
 * digests. Without: datahash, file digests and the package's own signature (unless
 * allowUntrusted). Throws PackageIntegrityError naming the package.
 */
function readApkPackage(bytes, options) {
    const report = reporterFor(options);
    const members = readHead(bytes, report);
    const dataStart = members[members.length - 1].end;
    const info = checkHead(members, bytes, options, report);
    const limit = Math.min(dataInflateLimit(info.installedSize), options.maxInflated ?? Infinity);
    members.push(...asPackageFormat(report, () => inflateFrom(bytes, dataStart, limit)));
    const layout = asPackageFormat(report, () => splitLayout((0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .streamOf */ .mA)(members), report));
    checkFileDigests(layout, report);
    return { info, scripts: scriptsOf(layout), entries: layout.data };
}
/**
 * Every check that needs no inflated data, on the signature and control members alone: the
 * identity or signature, then the datahash over the data's compressed bytes. Only a package
 * that passes them is inflated (a decompression bomb behind a genuine control member fails here).
 */
function checkHead(members, bytes, options, report) {
    const head = asPackageFormat(report, () => splitLayout((0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .streamOf */ .mA)(members), report));
    const dataStart = members[members.length - 1].end;
    const digest = node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash('sha256').update(bytes.subarray(dataStart)).digest('hex');
    return checkPackage(head, bytes, options, report, digest);
}
/**
 * Bytes after the data member that begin no gzip member: apk-tools' gunzip starts a member again
 * there, finds no header and fails, and so does every reader here. zlib on its own passes over
 * them when the first is a zero (padding, it assumes), so its readers count what it took.
 */
function trailingBytes(count) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .FormatError */ .IF(`${count} byte(s) after the data member are not a gzip member (apk-tools refuses them too)`);
}
/** The gzip members from byte `start` to the end, inflating at most `limit` bytes in all. */
function inflateFrom(bytes, start, limit) {
    const members = [];
    let left = limit;
    for (let at = start; at < bytes.length;) {
        if (at > start && bytes[at] === 0)
            throw trailingBytes(bytes.length - at);
        const member = (0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .readGzipMember */ .$2)(bytes, at, left);
        members.push(member);
        left -= member.data.length;
        at = member.end;
    }
    return members;
}
/**
 * The checks before the per-file digests, in apk's order: the package's identity (from a
 * repository) or signature (a local file), then the datahash (`dataDigest` when already made).
 */
function checkPackage(layout, bytes, options, report, dataDigest) {
    const expected = options.expected;
    const info = readInfo(layout, bytes, report, expected);
    if (expected)
        checkIdentity(info, expected, report);
    else if (!options.allowUntrusted)
        checkSignature(layout, bytes, info, options, report);
    checkDatahash(layout, bytes, info, report, dataDigest);
    return info;
}
// ---------------------------------------------------------------------------------------------
// The same checks, with the inflating off the main thread: zlib inflates a data section on
// libuv's thread pool while the main thread hashes the compressed section. The per-file SHA-1
// runs on the main thread: a worker thread for it cost 12 MiB on Node 20 and 21 MiB on Node 24,
// and the build was 2-6% faster without it, the second core being busy inflating packages on
// the thread pool already.
const gunzipAsync = (0,node_util__WEBPACK_IMPORTED_MODULE_3__.promisify)(node_zlib__WEBPACK_IMPORTED_MODULE_4__.gunzip);
/**
 * zlib's output chunk for a data section: its size as the gzip trailer gives it (one chunk, no
 * joining), within sane bounds since the trailer is not trusted yet.
 */
function outputChunk(section) {
    const isize = section.length >= 4 ? section.readUInt32LE(section.length - 4) : 0;
    return Math.min(Math.max(isize + 1, 64 * 1024), 64 * 1024 * 1024);
}
/** Whether a member holds more than signatures: the control member. A cut entry counts too. */
function holdsControl(member) {
    try {
        return (0,_tar_js__WEBPACK_IMPORTED_MODULE_10__/* .scanTar */ .tZ)(member.data).entries.some((e) => !e.name.startsWith('.SIGN.'));
    }
    catch {
        return true;
    }
}
/** The signature and control members, inflated inline (they are small). */
function leadingMembers(bytes) {
    const members = [];
    let start = 0;
    let left = HEAD_INFLATE_LIMIT;
    while (start < bytes.length) {
        const member = (0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .readGzipMember */ .$2)(bytes, start, left);
        members.push(member);
        left -= member.data.length;
        start = member.end;
        if (holdsControl(member))
            break;
    }
    return members;
}
/**
 * The data section inflated on the thread pool, at most `limit` bytes, after every check that
 * needs no inflated data passed.
 */
async function inflateData(bytes, dataStart, limit, report, 
/** Past `limit`, return 'larger' instead of failing (the caller streams it instead). */
soft = false) {
    if (dataStart >= bytes.length)
        return undefined;
    const section = bytes.subarray(dataStart);
    const chunkSize = Math.max(64, Math.min(outputChunk(section), limit + 1));
    let data;
    try {
        // With `info`, zlib gives its engine too, which counts the compressed bytes it took.
        const options = { chunkSize, maxOutputLength: (0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .outputLimit */ .pX)(limit), info: true };
        const inflated = (await gunzipAsync(section, options));
        data = inflated.buffer;
        const taken = inflated.engine.bytesWritten;
        if (taken < section.length) {
            throw report.fail(`not a valid .apk file (${trailingBytes(section.length - taken).message})`, REFETCH);
        }
    }
    catch (error) {
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .PackageIntegrityError */ .Ur)
            throw error;
        if (error.code === 'ERR_BUFFER_TOO_LARGE') {
            if (soft)
                return 'larger';
            throw tooLargeData(limit, report);
        }
        // Damaged: read it again inline, which names the member and the fault as readApkPackage does.
        asPackageFormat(report, () => inflateFrom(bytes, dataStart, limit));
        const message = error.message;
        throw report.fail(`not a valid .apk file (data section: ${message})`, REFETCH, error);
    }
    return { start: dataStart, end: bytes.length, data };
}
/**
 * readApkPackage with the data section inflated on the thread pool: the same checks, the same
 * errors, the same result.
 */
async function readApkPackageAsync(bytes, options) {
    const report = reporterFor(options);
    const members = readHead(bytes, report);
    const dataStart = members[members.length - 1].end;
    const info = checkHead(members, bytes, options, report);
    const limit = dataInflateLimit(info.installedSize);
    const staging = info.datahash !== undefined ? options.staging : undefined;
    // What the install queue weighed it at (memoryWeight), by the smaller of the installed sizes the
    // index and the file give: no more stays in memory, or the queue's window would not hold.
    const budget = inMemoryBudget(Math.min(info.installedSize, options.expected?.installedSize ?? Infinity));
    const stream = async () => {
        const head = asPackageFormat(report, () => splitLayout((0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .streamOf */ .mA)(members), report));
        const source = { bytes, start: dataStart };
        const streamed = await streamData(source, limit, staging, report, budget);
        const layout = { ...head, data: streamed.entries };
        checkFileDigests(layout, report, streamed.digests);
        return { info, scripts: scriptsOf(layout), entries: layout.data };
    };
    if (staging !== undefined && info.installedSize > STREAM_ABOVE)
        return stream();
    // Whole, when it fits its budget; else (tar headers past the slack, or an installed size that
    // says less than the data holds) as a stream, its larger files staged.
    const whole = staging !== undefined ? Math.min(limit, budget) : limit;
    const data = await inflateData(bytes, dataStart, whole, report, staging !== undefined);
    if (data === 'larger')
        return stream();
    if (data)
        members.push(data);
    const layout = asPackageFormat(report, () => splitLayout((0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .streamOf */ .mA)(members), report));
    checkFileDigests(layout, report);
    return { info, scripts: scriptsOf(layout), entries: layout.data };
}
// ---------------------------------------------------------------------------------------------
// Large packages: the data section inflated as a stream, each large file written to the
// staging folder as it arrives and hashed on the way, so memory stays bounded whatever the
// package holds. Only after the datahash matched (checkHead), so only genuine bytes get here.
/**
 * Packages that install more than this are streamed when a staging folder is given. Smaller
 * ones are inflated whole on the thread pool, which is faster; the install queue's memory
 * window (install/queue.ts) bounds how many of them are in memory at once.
 */
const STREAM_ABOVE = 8 * 1024 * 1024;
/** Files up to this size stay in memory, while the package's in-memory total allows. */
const INLINE_FILE = 1024 * 1024;
/** The most of a streamed package's files kept in memory; the rest are staged on disk. */
const STREAM_INLINE_TOTAL = 8 * 1024 * 1024;
/**
 * What a package inflated whole may hold beyond its installed size (tar headers and padding):
 * one that holds more is streamed instead.
 */
const IN_MEMORY_SLACK = 256 * 1024;
/**
 * The most of a package's data that stays in memory while it waits to be installed, by its
 * installed size: what the install queue weighs it at (with its file's size).
 */
function inMemoryBudget(installedSize) {
    return installedSize > STREAM_ABOVE ? STREAM_INLINE_TOTAL : installedSize + IN_MEMORY_SLACK;
}
let stagedFiles = 0;
/** A file's contents, kept in memory or written to a staging file, hashed as they pass. */
class BodySink {
    entry;
    digests;
    hash = node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash('sha1');
    parts = [];
    fd;
    constructor(entry, digests, staged) {
        this.entry = entry;
        this.digests = digests;
        if (staged !== undefined) {
            this.fd = node_fs__WEBPACK_IMPORTED_MODULE_1__.openSync(staged, 'wx', 0o600);
            entry.staged = staged;
        }
    }
    write(chunk) {
        this.hash.update(chunk);
        if (this.fd === undefined) {
            this.parts.push(chunk);
            return;
        }
        for (let done = 0; done < chunk.length;) {
            done += node_fs__WEBPACK_IMPORTED_MODULE_1__.writeSync(this.fd, chunk, done, chunk.length - done);
        }
    }
    close() {
        this.digests.set(this.entry, this.hash.digest('hex'));
        if (this.fd === undefined)
            this.entry.data = Buffer.concat(this.parts);
        else
            node_fs__WEBPACK_IMPORTED_MODULE_1__.closeSync(this.fd);
        this.closed = true;
    }
    /** For a read that failed before this file's end: its descriptor closed, its file removed. */
    discard() {
        if (this.closed)
            return;
        this.closed = true;
        if (this.fd !== undefined)
            node_fs__WEBPACK_IMPORTED_MODULE_1__.closeSync(this.fd);
        if (this.entry.staged !== undefined)
            node_fs__WEBPACK_IMPORTED_MODULE_1__.rmSync(this.entry.staged, { force: true });
    }
    closed = false;
}
async function streamData(source, limit, staging, report, 
/** The most of the files' bytes kept in memory; the rest are staged. */
inlineTotal = STREAM_INLINE_TOTAL) {
    const entries = [];
    const digests = new Map();
    let inline = 0;
    let current;
    const reader = new _tar_js__WEBPACK_IMPORTED_MODULE_10__/* .TarStreamReader */ .TW({
        body: (entry) => {
            const keep = entry.size <= INLINE_FILE && inline + entry.size <= inlineTotal;
            if (keep)
                inline += entry.size;
            const staged = keep ? undefined : node_path__WEBPACK_IMPORTED_MODULE_2__.join(staging, `${process.pid}-${++stagedFiles}`);
            current = new BodySink(entry, digests, staged);
            return current;
        },
        entry: (entry) => entries.push(entry)
    });
    let inflated = 0;
    try {
        await inflateInto(reader, source, (chunk) => {
            inflated += chunk.length;
            if (inflated > limit)
                throw tooLargeData(limit, report);
        });
        reader.end();
    }
    catch (error) {
        // The file being written when the read failed is not among the entries yet.
        current?.discard();
        for (const entry of entries)
            if (entry.staged)
                node_fs__WEBPACK_IMPORTED_MODULE_1__.rmSync(entry.staged, { force: true });
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .PackageIntegrityError */ .Ur)
            throw error;
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ApkError */ .xE) {
            throw report.fail(`not a valid .apk file (${error.message})`, REFETCH, error);
        }
        const message = error.message;
        throw report.fail(`not a valid .apk file (data section: ${message})`, REFETCH, error);
    }
    if (reader.globalHeaders.length > 0) {
        throw report.fail(`it holds a PAX global header (tar byte ${reader.globalHeaders[0]}), which no package ` +
            'carries and apk-tools refuses', 'The package is malformed: leave it out.');
    }
    return { entries, digests };
}
/**
 * Inflates a data section into `reader`, calling `check` on each inflated chunk first (it throws
 * to stop). From a file, the compressed bytes are hashed on the way and must match `datahash`.
 */
async function inflateInto(reader, source, check) {
    const gunzip = node_zlib__WEBPACK_IMPORTED_MODULE_4__.createGunzip({ chunkSize: 256 * 1024 });
    const file = 'file' in source
        ? node_fs__WEBPACK_IMPORTED_MODULE_1__.createReadStream(source.file, { start: source.start, highWaterMark: 256 * 1024 })
        : undefined;
    const hash = node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash('sha256');
    let compressed = 'file' in source ? 0 : source.bytes.length - source.start;
    await new Promise((resolve, reject) => {
        const stop = (error) => {
            file?.destroy();
            gunzip.destroy();
            reject(error);
        };
        gunzip.on('data', (chunk) => {
            try {
                check(chunk);
                reader.push(chunk);
                // Written out or copied by now: a large package passes through in such pieces.
                (0,_released_memory_js__WEBPACK_IMPORTED_MODULE_9__/* .letGo */ .Ko)(chunk.length);
            }
            catch (error) {
                stop(error);
            }
        });
        gunzip.on('error', stop);
        gunzip.on('end', resolve);
        if (!file) {
            gunzip.end(source.bytes.subarray(source.start));
            return;
        }
        file.on('error', stop);
        file.on('data', (chunk) => {
            compressed += chunk.length;
            hash.update(chunk);
            (0,_released_memory_js__WEBPACK_IMPORTED_MODULE_9__/* .letGo */ .Ko)(chunk.length);
        });
        file.pipe(gunzip);
    });
    if (gunzip.bytesWritten < compressed)
        throw trailingBytes(compressed - gunzip.bytesWritten);
    if ('file' in source) {
        const actual = hash.digest('hex');
        if (actual !== source.datahash) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .FormatError */ .IF(`the data section changed while it was read (it hashes to ${actual} now, ${source.datahash} before)`);
        }
    }
}
// ---------------------------------------------------------------------------------------------
// A package file on disk (a local repository, the cache): one that installs more than
// STREAM_ABOVE is verified from the file, so neither its compressed bytes nor its data sit
// whole in memory. Smaller ones are read whole and take the path above, which is faster.
/** The first bytes read for a file's signature and control members; more when they are longer. */
const HEAD_READ = 256 * 1024;
/** The most read for them: the control members inflate to HEAD_INFLATE_LIMIT at most. */
const HEAD_READ_LIMIT = HEAD_INFLATE_LIMIT + 1024 * 1024;
/**
 * readApkPackageAsync for a file: the same checks, the same errors, the same result. With
 * `staging`, a package file larger than STREAM_ABOVE whose data section has a `datahash` is
 * checked and inflated from the file as a stream; every other file is read whole first.
 */
async function readApkPackageFile(file, options) {
    const size = (await node_fs__WEBPACK_IMPORTED_MODULE_1__.promises.stat(file)).size;
    if (!options.staging || size <= STREAM_ABOVE) {
        return readApkPackageAsync(await readWhole(file, size), options);
    }
    const report = reporterFor(options);
    const { bytes, members } = await readHeadFrom(file, size, report);
    const head = asPackageFormat(report, () => splitLayout((0,_gzip_js__WEBPACK_IMPORTED_MODULE_6__/* .streamOf */ .mA)(members), report));
    const pkginfo = head.control.find((e) => e.name === '.PKGINFO' && e.type === 'file');
    const declared = pkginfo && declaredData(pkginfo.data);
    // A legacy package signs control and data together, and a small one is faster whole.
    if (!declared || declared.datahash === undefined || declared.installedSize <= STREAM_ABOVE) {
        return readApkPackageAsync(await readWhole(file, size), options);
    }
    const dataStart = members[members.length - 1].end;
    const digest = await hashFileFrom(file, dataStart);
    const info = checkPackage(head, bytes, options, report, digest);
    info.size = size;
    const limit = dataInflateLimit(info.installedSize);
    const source = { file, start: dataStart, datahash: info.datahash };
    const streamed = await streamData(source, limit, options.staging, report);
    const layout = { ...head, data: streamed.entries };
    checkFileDigests(layout, report, streamed.digests);
    return { info, scripts: scriptsOf(layout), entries: layout.data };
}
/**
 * The first `size` bytes of `file` (all of it, unless it changed since it was measured), in
 * memory mapped for them alone (mappedBuffer): packages of every size come and go.
 */
async function readWhole(file, size) {
    const bytes = (0,_released_memory_js__WEBPACK_IMPORTED_MODULE_9__/* .mappedBuffer */ .Ez)(size);
    const handle = await node_fs__WEBPACK_IMPORTED_MODULE_1__.promises.open(file, 'r');
    try {
        let at = 0;
        while (at < size) {
            const { bytesRead } = await handle.read(bytes, at, size - at, at);
            if (bytesRead === 0)
                break;
            at += bytesRead;
        }
        return at === size ? bytes : bytes.subarray(0, at);
    }
    finally {
        await handle.close();
    }
}
/** What a `.PKGINFO` says of the data, or undefined when it does not parse (checked later). */
function declaredData(text) {
    try {
        return (0,_pkginfo_js__WEBPACK_IMPORTED_MODULE_7__/* .parsePkginfo */ .I)(text.toString('utf8'));
    }
    catch {
        return undefined;
    }
}
/**
 * The signature and control members from the start of `file`: read a little first, more when
 * they do not end within it (a member cut short reads as damaged), up to what they may hold.
 */
async function readHeadFrom(file, size, report) {
    const handle = await node_fs__WEBPACK_IMPORTED_MODULE_1__.promises.open(file, 'r');
    try {
        for (let want = HEAD_READ;; want *= 4) {
            const length = Math.min(want, size, HEAD_READ_LIMIT);
            const bytes = Buffer.allocUnsafe(length);
            const { bytesRead } = await handle.read(bytes, 0, length, 0);
            const prefix = bytes.subarray(0, bytesRead);
            try {
                return { bytes: prefix, members: readHead(prefix, report) };
            }
            catch (error) {
                if (bytesRead < length || length === size || length === HEAD_READ_LIMIT)
                    throw error;
            }
        }
    }
    finally {
        await handle.close();
    }
}
/** The SHA-256 of `file` from byte `start` to its end, read as a stream. */
async function hashFileFrom(file, start) {
    const hash = node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash('sha256');
    for await (const chunk of node_fs__WEBPACK_IMPORTED_MODULE_1__.createReadStream(file, { start, highWaterMark: 256 * 1024 })) {
        hash.update(chunk);
        (0,_released_memory_js__WEBPACK_IMPORTED_MODULE_9__/* .letGo */ .Ko)(chunk.length);
    }
    return hash.digest('hex');
}
function tooLargeData(limit, report) {
    return report.fail(`the data section inflates to more than ${limit} bytes, far beyond the installed size ` +
        'the package declares (a decompression bomb or a damaged file)', REFETCH);
}


/***/ })

};
