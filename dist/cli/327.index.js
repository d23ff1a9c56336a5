"use strict";
exports.id = 327;
exports.ids = [327];
exports.modules = {

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

/***/ 327:
/***/ (function (__unused_webpack_module, __webpack_exports__, __webpack_require__) {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runBuildCommand: () => (/* binding */ runBuildCommand)
});

// UNUSED EXPORTS: cliCommitTime, expandBooleanFlags, inputsFromArgv

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(421);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(975);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(24);
;// CONCATENATED MODULE: ./src/assemble/commit-time.ts
/**
 * The build epoch's last fallback: HEAD's commit time, when neither the `source-date-epoch`
 * input nor SOURCE_DATE_EPOCH gives one. How git is run is the caller's (the action runs it
 * through @actions/exec, the CLI through node:child_process); what is run and how its answer
 * is read are here, once.
 */

/**
 * `git log -1 --format=%ct`, trusting `dir` for this one command. In a job that runs in a
 * container the workspace belongs to another user, and git refuses such a repository
 * ("detected dubious ownership") unless it is listed in safe.directory; `-c` lists the
 * workspace alone (as given and with symlinks resolved, since git compares either), not `*`.
 */
function commitTimeArgs(dir) {
    const safe = new Set([dir, realPath(dir)]);
    return [...[...safe].flatMap((d) => ['-c', `safe.directory=${d}`]), 'log', '-1', '--format=%ct'];
}
function realPath(dir) {
    try {
        return external_node_fs_.realpathSync(dir);
    }
    catch {
        return dir;
    }
}
/** What `git log -1 --format=%ct` said: seconds, or the problem in git's words. */
function parseCommitTime(exitCode, stdout, stderr = '') {
    const text = stdout.trim();
    const seconds = Number(text);
    if (exitCode === 0 && /^\d+$/.test(text) && Number.isSafeInteger(seconds))
        return { seconds };
    const said = stderr
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l !== '');
    return {
        problem: said ?? (exitCode === 0 ? `git printed '${text}'` : `git exited with ${exitCode}`)
    };
}
/** The warning when the epoch falls back to 0. */
function commitTimeWarning(dir, problem) {
    return (`the build epoch is 0 (1970-01-01): HEAD's commit time cannot be read in ${dir} (${problem}). ` +
        'Set `source-date-epoch` or SOURCE_DATE_EPOCH, or check the repository out before this step.');
}

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(760);
// EXTERNAL MODULE: ./src/arch.ts
var src_arch = __webpack_require__(67);
// EXTERNAL MODULE: ./src/apk/engine.ts + 4 modules
var apk_engine = __webpack_require__(317);
// EXTERNAL MODULE: ./src/assemble/errors.ts
var errors = __webpack_require__(569);
// EXTERNAL MODULE: ./src/variables.ts
var variables = __webpack_require__(494);
;// CONCATENATED MODULE: ./src/assemble/elf.ts
/**
 * Reads what a dynamic loader reads of an ELF file: the header (class, byte order, type,
 * machine), the program headers, PT_INTERP, and from PT_DYNAMIC the DT_NEEDED names, DT_RUNPATH,
 * DT_RPATH and DT_SONAME, whose strings live in DT_STRTAB (an address, mapped to a file offset
 * through the PT_LOAD segments). 32- and 64-bit, little- and big-endian.
 *
 * Only those few regions are read, never the whole file: the link check reads every file of an
 * image this way. A file that is not ELF, or whose header is cut short, is `undefined`; a damaged
 * program header or dynamic section yields what could be read (bounds are checked, never trusted).
 */

const ELF_MAGIC = 0x7f454c46;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
/** Bounds against damaged files: no loader-worthy binary comes near them. */
const MAX_PROGRAM_HEADERS = 4096;
const MAX_DYNAMIC_BYTES = 1024 * 1024;
const MAX_STRING = 4096;
const MAX_INTERP = 4096;
/**
 * The most distinct DT_NEEDED names read from one file (real programs name a few dozen). Repeats
 * are read once, as musl loads a name once: 65,000 of one missing name once made as many problems.
 */
const MAX_NEEDED = 1024;
/** Field readers for one class and byte order. */
class Fields {
    elfClass;
    little;
    constructor(elfClass, little) {
        this.elfClass = elfClass;
        this.little = little;
    }
    u16(buf, at) {
        return this.little ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
    }
    u32(buf, at) {
        return this.little ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
    }
    /** An address, offset or size: 4 bytes in ELFCLASS32, 8 in ELFCLASS64. */
    word(buf, at) {
        if (this.elfClass === 1)
            return this.u32(buf, at);
        const value = this.little ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at);
        // Past 2^53 nothing in a real file can be meant; MAX_SAFE_INTEGER fails every bounds check.
        return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
    }
    get wordSize() {
        return this.elfClass === 1 ? 4 : 8;
    }
}
/** Parses an ELF file through `read`; undefined when it is not ELF or its header is cut short. */
function parseElf(read) {
    const head = read(0, 64);
    if (head.length < 52 || head.readUInt32BE(0) !== ELF_MAGIC)
        return undefined;
    const elfClass = head[4];
    if (elfClass !== 1 && elfClass !== 2)
        return undefined;
    if (elfClass === 2 && head.length < 64)
        return undefined;
    const f = new Fields(elfClass, head[5] === 1);
    const info = {
        elfClass,
        littleEndian: f.little,
        type: f.u16(head, 16),
        machine: f.u16(head, 18),
        needed: []
    };
    const segments = programHeaders(read, head, f);
    const interp = segments.find((s) => s.type === PT_INTERP);
    if (interp && interp.filesz > 0) {
        const bytes = read(interp.offset, Math.min(interp.filesz, MAX_INTERP));
        info.interpreter = cString(bytes, 0);
        // binfmt_elf: ENOEXEC unless 2 <= size <= PATH_MAX and the last byte is NUL.
        if (interp.filesz < 2 || interp.filesz > MAX_INTERP) {
            info.interpreterProblem = `its PT_INTERP is ${interp.filesz} bytes, where Linux takes 2 to ${MAX_INTERP}`;
        }
        else if (bytes.length < interp.filesz || bytes[bytes.length - 1] !== 0) {
            info.interpreterProblem = 'its PT_INTERP does not end in a NUL byte, which Linux requires';
        }
    }
    const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
    if (dynamic)
        readDynamic(read, f, dynamic, segments, info);
    return info;
}
function programHeaders(read, head, f) {
    const phoff = f.word(head, f.elfClass === 2 ? 32 : 28);
    const phentsize = f.u16(head, f.elfClass === 2 ? 54 : 42);
    const phnum = Math.min(f.u16(head, f.elfClass === 2 ? 56 : 44), MAX_PROGRAM_HEADERS);
    const minEntry = f.elfClass === 2 ? 56 : 32;
    if (phnum === 0 || phentsize < minEntry)
        return [];
    const table = read(phoff, phnum * phentsize);
    const segments = [];
    for (let at = 0; at + phentsize <= table.length; at += phentsize) {
        const type = f.u32(table, at);
        segments.push(f.elfClass === 2
            ? {
                type,
                offset: f.word(table, at + 8),
                vaddr: f.word(table, at + 16),
                filesz: f.word(table, at + 32)
            }
            : {
                type,
                offset: f.u32(table, at + 4),
                vaddr: f.u32(table, at + 8),
                filesz: f.u32(table, at + 16)
            });
    }
    return segments;
}
/** Fills needed, runpath, rpath and soname from PT_DYNAMIC. */
function readDynamic(read, f, dynamic, segments, info) {
    const table = read(dynamic.offset, Math.min(dynamic.filesz, MAX_DYNAMIC_BYTES));
    const entrySize = 2 * f.wordSize;
    const names = [];
    let strtab;
    for (let at = 0; at + entrySize <= table.length; at += entrySize) {
        // d_tag is signed; every tag read here is small and positive, so the low word is enough.
        const tag = f.elfClass === 2 ? f.word(table, at) : f.u32(table, at);
        if (tag === DT_NULL)
            break;
        const value = f.word(table, at + f.wordSize);
        if (tag === DT_STRTAB)
            strtab = value;
        else if ([DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(tag)) {
            names.push({ tag, offset: value });
        }
    }
    if (strtab === undefined)
        return;
    const strtabOffset = fileOffset(strtab, segments);
    if (strtabOffset === undefined)
        return;
    for (const { tag, offset } of names) {
        const text = readString(read, strtabOffset + offset);
        if (text === undefined)
            continue;
        if (tag === DT_NEEDED) {
            if (!info.needed.includes(text) && info.needed.length < MAX_NEEDED)
                info.needed.push(text);
        }
        else if (tag === DT_SONAME)
            info.soname = text;
        else if (tag === DT_RPATH)
            info.rpath = text;
        else
            info.runpath = text;
    }
}
/** The file offset of a virtual address, through the PT_LOAD segment that maps it. */
function fileOffset(vaddr, segments) {
    for (const s of segments) {
        if (s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) {
            return s.offset + (vaddr - s.vaddr);
        }
    }
    return undefined;
}
function readString(read, offset) {
    for (let length = 256; length <= MAX_STRING; length *= 4) {
        const buf = read(offset, length);
        const end = buf.indexOf(0);
        if (end >= 0)
            return buf.toString('latin1', 0, end);
        if (buf.length < length)
            return undefined;
    }
    return undefined;
}
function cString(buf, start) {
    const end = buf.indexOf(0, start);
    return buf.toString('latin1', start, end < 0 ? buf.length : end);
}
/** parseElf over bytes in memory. */
function parseElfBuffer(bytes) {
    return parseElf((offset, length) => offset >= bytes.length ? Buffer.alloc(0) : bytes.subarray(offset, offset + length));
}
/**
 * Reads a file's ELF facts, touching only the regions parseElf asks for. Synchronous on
 * purpose: thousands of small reads in a row are several times faster without a promise each.
 * Undefined for a file that is not ELF; errors opening or reading the file are thrown.
 */
function readElfFile(file) {
    const fd = external_node_fs_.openSync(file, 'r');
    try {
        return parseElf((offset, length) => {
            if (!Number.isSafeInteger(offset) || offset < 0 || length <= 0)
                return Buffer.alloc(0);
            const buf = Buffer.alloc(length);
            const read = external_node_fs_.readSync(fd, buf, 0, length, offset);
            return buf.subarray(0, read);
        });
    }
    finally {
        external_node_fs_.closeSync(fd);
    }
}
/** The search path musl uses for this file's needs: DT_RUNPATH when present, else DT_RPATH. */
function searchPath(elf) {
    return elf.runpath ?? elf.rpath;
}
/** Linux reads at most this much of a `#!` line (BINPRM_BUF_SIZE). */
const SHEBANG_BYTES = 256;
/** Parses a `#!` line from the start of a file; undefined when the file does not start with one. */
function parseShebang(head) {
    if (head.length < 3 || head[0] !== 0x23 || head[1] !== 0x21)
        return undefined;
    // binfmt_script: the line ends at a newline or NUL; only spaces and tabs separate or trim.
    let end = 2;
    while (end < head.length && head[end] !== 0x0a && head[end] !== 0)
        end++;
    const line = head.toString('latin1', 2, end).replace(/^[ \t]+|[ \t]+$/g, '');
    const match = /^([^ \t]+)(?:[ \t]+(.*))?$/s.exec(line);
    if (!match)
        return undefined;
    const argument = match[2]?.replace(/^[ \t]+|[ \t]+$/g, '');
    const shebang = { interpreter: match[1].replace(/\r$/, '') };
    if (argument)
        shebang.argument = argument.replace(/\r$/, '');
    if (line.endsWith('\r'))
        shebang.crlf = true;
    return shebang;
}
/** The `#!` line of a file, reading only its first SHEBANG_BYTES. */
function readShebang(file) {
    return parseShebang(readHead(file, SHEBANG_BYTES));
}
/** The first `max` bytes of `file` (all of it when shorter). */
function readHead(file, max) {
    const fd = external_node_fs_.openSync(file, 'r');
    try {
        const buf = Buffer.alloc(max);
        return buf.subarray(0, external_node_fs_.readSync(fd, buf, 0, max, 0));
    }
    finally {
        external_node_fs_.closeSync(fd);
    }
}

;// CONCATENATED MODULE: ./src/assemble/loader.ts
/**
 * Where musl's dynamic loader finds a program's libraries, over the files an image will hold.
 * The rules are musl's `ldso/dynlink.c` (load_library, fixup_rpath, path_open):
 *
 * - names `libc.*`, `libpthread.*`, `librt.*`, `libm.*`, `libdl.*`, `libutil.*`, `libxnet.*`
 *   are the loader itself (musl is libc, libm, libpthread\u{2026} in one file);
 * - a name with a `/` is opened as a path;
 * - otherwise the RUNPATH (else RPATH) of the file that needs it is searched, then those of the
 *   files that loaded that one, up to the program; `$ORIGIN` / `${ORIGIN}` is the folder of the
 *   file (of the program: its real path); a path with any other `$` token is ignored;
 * - then `/etc/ld-musl-ARCH.path` (entries split on `:` and newlines) if the image has it,
 *   else `/lib:/usr/local/lib:/usr/lib`.
 *
 * The view is built from layer entries (the packages' tree and the app), later layers over
 * earlier ones, and resolves symlinks inside the image as the kernel would inside a container.
 */


const DEFAULT_LIBRARY_PATH = ['/lib', '/usr/local/lib', '/usr/lib'];
const MAX_SYMLINKS = 40;
/** The files of an image, by absolute path, from its layer entries. */
class ImageView {
    entries = new Map();
    dirs = new Set(['/']);
    constructor(layers) {
        for (const layer of layers) {
            for (const entry of layer)
                this.add(entry);
        }
    }
    add(entry) {
        const p = `/${entry.path}`;
        this.entries.set(p, entry);
        for (let dir = external_node_path_.posix.dirname(p); !this.dirs.has(dir); dir = external_node_path_.posix.dirname(dir)) {
            this.dirs.add(dir);
        }
    }
    /** The entry at exactly this path, without following a symlink there. */
    entry(p) {
        return this.entries.get(p);
    }
    /** Every entry with its absolute path. */
    *all() {
        yield* this.entries;
    }
    /**
     * The path `p` leads to after following symlinks (in every component, the last one too), or
     * undefined when a component is missing, a loop or too many links are met, or a file is in
     * the way. The result is an absolute path without symlinks, of a file, hardlink or folder.
     */
    resolve(p) {
        let pending = splitPath(p);
        let current = '/';
        let hops = 0;
        while (pending.length > 0) {
            const part = pending.shift();
            if (part === '.' || part === '')
                continue;
            if (part === '..') {
                current = external_node_path_.posix.dirname(current);
                continue;
            }
            const next = external_node_path_.posix.join(current, part);
            const entry = this.entries.get(next);
            if (entry?.type === 'symlink') {
                if (++hops > MAX_SYMLINKS)
                    return undefined;
                const target = entry.linkname ?? '';
                pending = [...splitPath(target), ...pending];
                if (target.startsWith('/'))
                    current = '/';
                continue;
            }
            if (entry === undefined && !this.dirs.has(next))
                return undefined;
            if (entry !== undefined && entry.type !== 'directory' && pending.some((x) => x !== '')) {
                return undefined;
            }
            current = next;
        }
        return { path: current, entry: this.entries.get(current) };
    }
    /** Whether `p` leads to a regular file (or a hardlink to one). */
    isFile(p) {
        const found = this.resolve(p);
        return found?.entry?.type === 'file' || found?.entry?.type === 'hardlink';
    }
}
function splitPath(p) {
    return p.split('/').filter((part) => part !== '');
}
/** musl's LDSO_ARCH, the middle of the loader's name (`ld-musl-x86_64.so.1` \u{2192} `x86_64`). */
function ldsoArch(arch) {
    return arch.muslLoader.replace(/^ld-musl-/, '').replace(/\.so\.1$/, '');
}
/** Whether musl's loader answers `name` itself, without looking for a file. */
function isMuslReserved(name) {
    return /^lib(?:c|pthread|rt|m|dl|util|xnet)\./.test(name);
}
/** glibc's own libraries: a program that needs one was built against glibc. */
function isGlibcLibrary(name) {
    return name === 'libc.so.6' || /^ld-linux.*\.so\.\d+$/.test(name) || name === 'ld64.so.2';
}
/**
 * The folders the loader searches after the RUNPATHs: `/etc/ld-musl-ARCH.path` when the image
 * has it (an empty file means none), else musl's default.
 */
function systemLibraryPath(view, arch, read) {
    const file = `/etc/ld-musl-${ldsoArch(arch)}.path`;
    const found = view.resolve(file);
    const source = found?.entry?.type === 'file' ? found.entry.source : undefined;
    if (source === undefined)
        return DEFAULT_LIBRARY_PATH;
    return [
        ...new Set(read(source)
            .split(/[:\n]/)
            .filter((dir) => dir !== ''))
    ].slice(0, MAX_PATH_FOLDERS);
}
/** The most folders of `/etc/ld-musl-ARCH.path` looked in (a real one lists a few). */
const MAX_PATH_FOLDERS = 256;
/** The most of that file read (the rest is ignored): a package's file is hostile like any other. */
const MAX_PATH_FILE_BYTES = 64 * 1024;
/**
 * The folders of one RUNPATH or RPATH, with `$ORIGIN` expanded to `origin` (the folder of the
 * file that carries it). Empty when the path uses another `$` token: musl then ignores it.
 */
function expandRunpath(runpath, origin) {
    if (/\$(?!ORIGIN|\{ORIGIN\})/.test(runpath))
        return [];
    return runpath
        .replace(/\$\{ORIGIN\}|\$ORIGIN/g, origin)
        .split(/[:\n]/)
        .filter((dir) => dir !== '');
}
/**
 * Finds the library `name` that `needer` needs, as musl would. `loaders` are the files that
 * load `needer` (nearest first), whose RUNPATHs are searched after its own. A library (a file
 * with no interpreter) also finds the libraries beside it: the programs that load such private
 * libraries load their neighbours through their own RUNPATH, which a file-by-file check cannot
 * follow, so that case is taken as met rather than reported falsely.
 */
function locateLibrary(view, needer, name, options) {
    if (options.muslLoader && isMuslReserved(name))
        return { found: 'loader', searched: [] };
    if (name.includes('/')) {
        const p = name.startsWith('/') ? name : external_node_path_.posix.join(external_node_path_.posix.dirname(needer.path), name);
        return { found: view.isFile(p) ? p : undefined, searched: [] };
    }
    // Each folder once, in order (a folder seen before finds nothing new), and no spread of a list
    // a hostile file makes long: RUNPATH `/:/:\u{2026}` or a path file of 130,000 folders once overflowed.
    const seen = new Set();
    const add = (dirs) => {
        for (const dir of dirs)
            seen.add(dir);
    };
    for (const file of [needer, ...(options.loaders ?? [])]) {
        const runpath = searchPath(file.elf);
        if (runpath)
            add(expandRunpath(runpath, external_node_path_.posix.dirname(file.path)));
    }
    if (needer.elf.interpreter === undefined)
        add([external_node_path_.posix.dirname(needer.path)]);
    add(options.systemPath);
    const searched = [...seen];
    for (const dir of searched) {
        const candidate = external_node_path_.posix.join(dir.startsWith('/') ? dir : `/${dir}`, name);
        if (view.isFile(candidate))
            return { found: candidate, searched };
    }
    return { searched };
}

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(455);
// EXTERNAL MODULE: ./src/errors.ts
var src_errors = __webpack_require__(916);
;// CONCATENATED MODULE: ./src/oci/errors.ts
/**
 * Errors of the image writer: what it was given cannot become a valid OCI image. Messages name
 * the entry or reference and say how to fix it.
 */

class ImageError extends src_errors/* WitcheryError */.q {
    constructor(code, message) {
        super(code, message);
    }
}
/** A layer entry, image reference, platform or setting the writer cannot use. */
class ImageSpecError extends ImageError {
    constructor(message) {
        super('IMAGE_SPEC', message);
    }
}
/** A layer entry whose path would climb out of the image root. */
class ImagePathError extends ImageError {
    constructor(message) {
        super('IMAGE_PATH_ESCAPE', message);
    }
}
/** A file of a folder put into the image that no layer can hold (socket, FIFO, device). */
class UnsupportedFileError extends ImageError {
    constructor(message) {
        super('IMAGE_UNSUPPORTED_FILE', message);
    }
}

// EXTERNAL MODULE: ./src/released-memory.ts
var released_memory = __webpack_require__(258);
;// CONCATENATED MODULE: ./src/oci/tar-writer.ts
/**
 * Our own deterministic tar writer: ustar headers, with PAX extended headers only where ustar
 * cannot say it (long paths and link targets, big ids and sizes, xattrs). Numeric owners with
 * empty names, one mtime for every entry that does not carry its own, and no host metadata at
 * all, so the same entries give the same bytes on any machine.
 */




const BLOCK = 512;
/** Largest value of an 8-byte octal field (7 digits + NUL). */
const MAX_OCTAL_8 = 0o7777777;
/** Largest value of a 12-byte octal field (11 digits + NUL). */
const MAX_OCTAL_12 = 0o77777777777;
/** How much of the tar stream is assembled before it is passed on (the parallel gzip's block). */
const ASSEMBLY = 256 * 1024;
const TYPEFLAG = {
    file: '0',
    hardlink: '1',
    symlink: '2',
    directory: '5',
    pax: 'x'
};
/** The two zero blocks that end an archive. */
const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
/** Zero bytes that pad `size` bytes of content to a whole block. */
function padding(size) {
    return Buffer.alloc(paddingSize(size));
}
function paddingSize(size) {
    const rest = size % BLOCK;
    return rest === 0 ? 0 : BLOCK - rest;
}
/**
 * The header blocks of one entry: a PAX `x` header with its records when some field does not
 * fit ustar, then the ustar header itself.
 */
function encodeHeader(header) {
    const name = header.type === 'directory' ? `${header.path}/` : header.path;
    const nameBytes = Buffer.from(name, 'utf8');
    const linkBytes = Buffer.from(header.linkname ?? '', 'utf8');
    const split = splitUstarName(nameBytes);
    const records = [];
    if (!split)
        records.push(paxRecord('path', nameBytes));
    if (linkBytes.length > 100)
        records.push(paxRecord('linkpath', linkBytes));
    if (header.uid > MAX_OCTAL_8)
        records.push(paxRecord('uid', Buffer.from(String(header.uid))));
    if (header.gid > MAX_OCTAL_8)
        records.push(paxRecord('gid', Buffer.from(String(header.gid))));
    if (header.size > MAX_OCTAL_12)
        records.push(paxRecord('size', Buffer.from(String(header.size))));
    for (const key of sortedKeys(header.xattrs)) {
        records.push(paxRecord(`SCHILY.xattr.${key}`, header.xattrs?.get(key) ?? Buffer.alloc(0)));
    }
    const ustar = ustarHeader({
        name: split?.name ?? truncateUtf8(nameBytes, 100),
        prefix: split?.prefix ?? Buffer.alloc(0),
        link: linkBytes.length > 100 ? truncateUtf8(linkBytes, 100) : linkBytes,
        typeflag: TYPEFLAG[header.type],
        mode: header.mode & 0o7777,
        uid: header.uid > MAX_OCTAL_8 ? 0 : header.uid,
        gid: header.gid > MAX_OCTAL_8 ? 0 : header.gid,
        size: header.size > MAX_OCTAL_12 ? 0 : header.size,
        mtime: header.mtime
    });
    if (records.length === 0)
        return ustar;
    const body = Buffer.concat(records);
    const pax = ustarHeader({
        name: paxHeaderName(header.path),
        prefix: Buffer.alloc(0),
        link: Buffer.alloc(0),
        typeflag: TYPEFLAG.pax,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: body.length,
        mtime: header.mtime
    });
    return Buffer.concat([pax, body, padding(body.length), ustar]);
}
function ustarHeader(f) {
    const block = Buffer.alloc(BLOCK);
    f.name.copy(block, 0);
    writeOctal(block, 100, 8, f.mode);
    writeOctal(block, 108, 8, f.uid);
    writeOctal(block, 116, 8, f.gid);
    writeOctal(block, 124, 12, f.size);
    writeOctal(block, 136, 12, f.mtime);
    block.write(f.typeflag, 156, 'latin1');
    f.link.copy(block, 157);
    block.write('ustar\u000000', 257, 'latin1');
    // uname and gname (265, 297) stay empty: owners are numeric only.
    writeOctal(block, 329, 8, 0);
    writeOctal(block, 337, 8, 0);
    f.prefix.copy(block, 345);
    // The checksum is summed with its own field read as spaces.
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of block)
        sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
    return block;
}
function writeOctal(block, offset, width, value) {
    if (!Number.isSafeInteger(value) || value < 0) {
        throw new ImageSpecError(`tar field value ${value} is not a non-negative integer`);
    }
    const digits = value.toString(8).padStart(width - 1, '0');
    if (digits.length > width - 1) {
        throw new ImageSpecError(`tar field value ${value} does not fit ${width - 1} octal digits`);
    }
    block.write(`${digits}\u0000`, offset, 'latin1');
}
/**
 * Splits a name into ustar's prefix (\u{2264}155 bytes) and name (\u{2264}100 bytes) at a `/`; undefined when
 * no split fits and the path needs a PAX record.
 */
function splitUstarName(bytes) {
    if (bytes.length <= 100)
        return { name: bytes, prefix: Buffer.alloc(0) };
    if (bytes.length > 256)
        return undefined;
    // A directory's trailing slash must stay in the name part, so start before it.
    for (let i = bytes.length - 2; i >= 0; i--) {
        if (bytes[i] !== 0x2f)
            continue;
        const prefix = bytes.subarray(0, i);
        const name = bytes.subarray(i + 1);
        if (name.length > 100)
            return undefined;
        if (prefix.length <= 155 && prefix.length > 0)
            return { name, prefix };
    }
    return undefined;
}
/** One `LEN key=value\n` record; LEN counts the whole record, its own digits included. */
function paxRecord(key, value) {
    const rest = Buffer.byteLength(` ${key}=\n`, 'utf8') + value.length;
    let length = rest + String(rest).length;
    if (String(length).length !== String(rest).length)
        length = rest + String(length).length;
    return Buffer.concat([
        Buffer.from(`${length} ${key}=`, 'utf8'),
        value,
        Buffer.from('\n', 'latin1')
    ]);
}
/** The (ignored) name of a PAX header, as Go's archive/tar spells it: `PaxHeaders.0/<base>`. */
function paxHeaderName(entryPath) {
    const base = entryPath.slice(entryPath.lastIndexOf('/') + 1);
    return truncateUtf8(Buffer.from(`PaxHeaders.0/${base}`, 'utf8'), 100);
}
/** At most `max` bytes, cut at a character boundary. */
function truncateUtf8(bytes, max) {
    if (bytes.length <= max)
        return bytes;
    let end = max;
    // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
    while (end > 0 && (bytes[end] & 0xc0) === 0x80)
        end--;
    return bytes.subarray(0, end);
}
function sortedKeys(map) {
    if (!map)
        return [];
    return [...map.keys()].sort(compareBytes);
}
/** Bytewise order of the UTF-8 encodings (JS string order is UTF-16 order, which differs). */
function compareBytes(a, b) {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
/**
 * The tar stream of `entries`, in the order given, ended by two zero blocks. File content is
 * read from `source` as the stream is consumed. Each chunk is a buffer of its own, which the
 * consumer may keep (a stream that queues its writes does).
 */
async function* tarStream(entries, mtime) {
    for await (const chunk of tarChunks(entries, mtime))
        yield Buffer.from(chunk);
}
/**
 * The tar stream of `entries` as views of one buffer that is filled again for every chunk: a
 * chunk is valid only until the next one is asked for, so the consumer must be done with it
 * (hashed, copied) by then. Headers and the content of files read from disk go straight into
 * that buffer, so writing a layer of any size allocates next to nothing per file.
 */
async function* tarChunks(entries, mtime) {
    const out = new Assembly();
    for (const entry of entries) {
        (0,released_memory/* letGoOfEntries */.L0)(1);
        if (entry.type === 'file' && entry.source !== undefined) {
            yield* sourceFileInto(out, entry, mtime);
            continue;
        }
        const content = entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
        yield* out.put(encodeHeader(headerOf(entry, content.length, mtime)));
        yield* out.put(content);
        yield* out.zeros(paddingSize(content.length));
    }
    yield* out.put(END_OF_ARCHIVE);
    if (out.filled > 0)
        yield out.take();
}
function headerOf(entry, size, mtime) {
    return {
        path: entry.path,
        type: entry.type,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        size,
        mtime: entry.mtime ?? mtime,
        linkname: entry.type === 'symlink' || entry.type === 'hardlink' ? entry.linkname : undefined,
        xattrs: entry.xattrs
    };
}
/**
 * Opening never blocks on a FIFO and never follows a symlink: the layer says this path is a
 * regular file, so anything else on disk is an error, not content from somewhere else.
 */
const OPEN_FLAGS = external_node_fs_.constants.O_RDONLY | (external_node_fs_.constants.O_NONBLOCK ?? 0) | (external_node_fs_.constants.O_NOFOLLOW ?? 0);
/**
 * Files up to this size are read with synchronous calls. Node's async fs costs ~150 \u{b5}s per
 * operation in the thread pool; a root of 20,000 small files took 5.5 s that way and 1.0 s
 * like this. Bigger files are read with async calls, where that cost does not matter.
 */
const SMALL_FILE = 1024 * 1024;
const readAsync = (0,external_node_util_.promisify)(external_node_fs_.read);
/** One byte past a file's end: there must be none. */
const PAST_END = Buffer.alloc(1);
/**
 * Header, content and padding of a file read from disk, the content read straight into the
 * assembly buffer. The size in the header is the size when the file was opened; a file that
 * grows or shrinks while it is read is an error, not a corrupt layer.
 */
async function* sourceFileInto(out, entry, mtime) {
    const source = entry.source;
    const fd = openSource(entry, source);
    try {
        const stat = external_node_fs_.fstatSync(fd);
        if (!stat.isFile()) {
            throw new ImageSpecError(`the content of '${entry.path}' comes from '${source}', which is not a regular file`);
        }
        yield* out.put(encodeHeader(headerOf(entry, stat.size, mtime)));
        let read = 0;
        while (read < stat.size) {
            if (out.full)
                yield out.take();
            const room = Math.min(out.room, stat.size - read);
            const n = stat.size <= SMALL_FILE
                ? external_node_fs_.readSync(fd, out.buffer, out.filled, room, null)
                : (await readAsync(fd, out.buffer, out.filled, room, null)).bytesRead;
            if (n === 0)
                break;
            out.filled += n;
            read += n;
        }
        if (read !== stat.size || external_node_fs_.readSync(fd, PAST_END, 0, 1, null) !== 0) {
            throw new ImageSpecError(`'${source}' (for '${entry.path}') changed size while it was read; do not modify the ` +
                'files of an image while it is written');
        }
        yield* out.zeros(paddingSize(stat.size));
    }
    finally {
        external_node_fs_.closeSync(fd);
    }
}
function openSource(entry, source) {
    try {
        return external_node_fs_.openSync(source, OPEN_FLAGS);
    }
    catch (error) {
        if (error.code === 'ELOOP') {
            throw new ImageSpecError(`the content of '${entry.path}' comes from '${source}', which is a symlink on disk; ` +
                'give the path of the file itself');
        }
        throw error;
    }
}
/** The buffer the tar stream is assembled in, passed on a full buffer at a time. */
class Assembly {
    buffer = Buffer.allocUnsafe(ASSEMBLY);
    filled = 0;
    get room() {
        return this.buffer.length - this.filled;
    }
    get full() {
        return this.filled === this.buffer.length;
    }
    /** The bytes assembled so far; the buffer is filled again from its start. */
    take() {
        const chunk = this.buffer.subarray(0, this.filled);
        this.filled = 0;
        return chunk;
    }
    /** Copies `bytes` in, passing on each buffer that fills. */
    *put(bytes) {
        for (let at = 0; at < bytes.length;) {
            if (this.full)
                yield this.take();
            const n = bytes.copy(this.buffer, this.filled, at);
            this.filled += n;
            at += n;
        }
    }
    *zeros(count) {
        for (let left = count; left > 0;) {
            if (this.full)
                yield this.take();
            const n = Math.min(this.room, left);
            this.buffer.fill(0, this.filled, this.filled + n);
            this.filled += n;
            left -= n;
        }
    }
}

;// CONCATENATED MODULE: ./src/oci/tree.ts
/**
 * Layer entries from the two places an image's files come from: the engine's RootTree (owners
 * and modes as the packages declare them, content under the root dir) and a host folder or file
 * (the user's app).
 */




/**
 * One entry per path of the tree, with metadata from the tree only; regular files are read
 * from `root` when the layer is written. The root itself (`''`) is not an entry.
 */
function treeToLayerEntries(root, tree) {
    const entries = [];
    // `prefix + p` is one small cons string over a shared prefix, where path.join built a tree of
    // ten a file: a root of many files kept them all until its layers were written.
    const prefix = external_node_path_.join(root, '/');
    for (const [treePath, meta] of tree) {
        const p = treePath.replace(/^\/+/, '').replace(/\/+$/, '');
        if (p === '' || p === '.')
            continue;
        // Every field from the start (none added later): one object a path, no property array.
        const entry = {
            path: p,
            type: meta.type,
            mode: meta.mode & 0o7777,
            uid: meta.uid,
            gid: meta.gid,
            linkname: meta.type === 'symlink'
                ? meta.linkname
                : meta.type === 'hardlink'
                    ? meta.linkname?.replace(/^\/+/, '')
                    : undefined,
            source: meta.type === 'file' ? prefix + p : undefined,
            content: undefined,
            xattrs: meta.xattrs && meta.xattrs.size > 0 ? meta.xattrs : undefined,
            mtime: undefined
        };
        entries.push(entry);
    }
    return entries;
}
/**
 * The entries of a host folder placed at `dest` (the folder itself becomes `dest`), or of a
 * single file placed as `dest`. The host's owners are never used; modes are normalised the way
 * git stores them: directories 0755, files 0755 when any exec bit is set and 0644 otherwise;
 * a single file is always 0755 (it is the app to run, and artifact downloads lose exec bits).
 * So the image does not depend on the runner's umask, and a non-root user can read and run the
 * app. Symlinks are kept as symlinks with their target text as written: they are never followed
 * while scanning, so none can reach outside `dir`, and inside a container even `../..` stops at
 * the image root. Sockets, FIFOs and devices are refused.
 */
async function scanDirectory(dir, dest, options = {}) {
    const owner = { uid: options.uid ?? 0, gid: options.gid ?? 0 };
    const base = dest.replace(/^\/+/, '').replace(/\/+$/, '');
    // The path the user named is followed: `app: ./current` may well be a symlink to a build.
    const top = await promises_.stat(dir);
    if (top.isFile()) {
        if (base === '') {
            throw new ImageSpecError(`'${dir}' is a file; give the path it takes in the image`);
        }
        // The writer never follows a symlink, so hand it the file the user's path leads to. A
        // single file is the program to run: executable even when a download dropped its exec bit.
        return [fileEntry(base, await promises_.realpath(dir), top.mode | 0o111, owner)];
    }
    if (!top.isDirectory()) {
        throw new UnsupportedFileError(`'${dir}' is neither a file nor a folder; give either`);
    }
    const entries = [];
    if (base !== '')
        entries.push({ path: base, type: 'directory', mode: 0o755, ...owner });
    await scanInto(dir, base, owner, entries);
    return entries;
}
async function scanInto(dir, base, owner, entries) {
    const names = (await folderNames(dir)).sort(compareBytes);
    for (const name of names) {
        const hostPath = external_node_path_.join(dir, name);
        const imagePath = base === '' ? name : `${base}/${name}`;
        const stat = await promises_.lstat(hostPath);
        if (stat.isDirectory()) {
            entries.push({ path: imagePath, type: 'directory', mode: 0o755, ...owner });
            await scanInto(hostPath, imagePath, owner, entries);
        }
        else if (stat.isFile()) {
            entries.push(fileEntry(imagePath, hostPath, stat.mode, owner));
        }
        else if (stat.isSymbolicLink()) {
            const linkname = await promises_.readlink(hostPath);
            entries.push({ path: imagePath, type: 'symlink', mode: 0o777, linkname, ...owner });
        }
        else {
            throw new UnsupportedFileError(`'${hostPath}' is a socket, FIFO or device; an app folder can hold files, folders and symlinks only`);
        }
    }
}
/**
 * The names in a folder of the user's, refusing one that is not UTF-8: Node would hand back a
 * name with U+FFFD in place of its bytes, which names no file (it failed later as ENOENT).
 */
async function folderNames(dir) {
    const names = [];
    for (const raw of await promises_.readdir(dir, { encoding: 'buffer' })) {
        const name = raw.toString('utf8');
        if (!Buffer.from(name, 'utf8').equals(raw)) {
            throw new UnsupportedFileError(`'${external_node_path_.join(dir, raw.toString('latin1'))}' has a name that is not UTF-8, which an ` +
                'image cannot name portably; rename it');
        }
        names.push(name);
    }
    return names;
}
function fileEntry(imagePath, hostPath, hostMode, owner) {
    const mode = (hostMode & 0o111) !== 0 ? 0o755 : 0o644;
    return { path: imagePath, type: 'file', mode, source: hostPath, ...owner };
}

;// CONCATENATED MODULE: ./src/assemble/app.ts
/**
 * Checks that the user's app can run in a musl image of the target arch, before any download:
 * an ELF for another machine, or one that asks for glibc's loader, would only fail at `docker run`.
 */






/** Throws AppError when one ELF file cannot run on `arch` with musl. */
function checkElf(elf, arch, label, options = {}) {
    if (elf.machine !== arch.elfMachine || elf.elfClass !== arch.elfClass) {
        throw new errors/* AppError */.uV(`${label} is built for another machine (ELF machine ${elf.machine}, ${elf.elfClass * 32}-bit), ` +
            `not for ${arch.apk}. Build the app for ${arch.apk}, or set \`arch\` to the app's architecture.`);
    }
    if (elf.interpreter === undefined)
        return;
    const musl = `/lib/${arch.muslLoader}`;
    if (elf.interpreter === musl) {
        if (options.musl === false) {
            throw new errors/* AppError */.uV(`${label} is linked against musl dynamically (its ELF interpreter is ${musl}), but ` +
                '`!musl` in `packages` leaves musl out of the image, so it could not start. Drop ' +
                '`!musl`, or build the app statically (Go: CGO_ENABLED=0; Rust: target ' +
                `${rustTarget(arch)} with -C target-feature=+crt-static; C: -static).`);
        }
        return;
    }
    const glibc = /ld-linux|ld64\.so|ld\.so/.test(elf.interpreter);
    if (glibc) {
        throw new errors/* AppError */.uV(glibcMessage(`${label} is linked against glibc (its ELF interpreter is ${elf.interpreter}), but`, arch));
    }
    throw new errors/* AppError */.uV(`${label} is dynamically linked (its ELF interpreter is ${elf.interpreter}), but the image ` +
        `has musl (/lib/${arch.muslLoader}) and no glibc. ${buildAdvice(arch)}`);
}
/**
 * The message for an app built against glibc: `what` says how we know (`app '\u{2026}' is linked
 * against glibc (its ELF interpreter is \u{2026}), but`), the rest says what to do.
 */
function glibcMessage(what, arch) {
    return `${what} the image has musl (/lib/${arch.muslLoader}) and no glibc. ${buildAdvice(arch)}`;
}
function buildAdvice(arch) {
    return (`Build it for musl (musl-gcc, Alpine's toolchain, Rust target ${rustTarget(arch)}) or ` +
        'statically (Go: CGO_ENABLED=0; Rust: target *-unknown-linux-musl; C: -static).');
}
function rustTarget(arch) {
    const cpu = { x86_64: 'x86_64', aarch64: 'aarch64', x86: 'i686' };
    return `${cpu[arch.apk] ?? arch.apk}-unknown-linux-musl`;
}
/**
 * Checks the app file, or every ELF file in the app folder. Throws AppError for a missing app,
 * a foreign arch, a glibc loader, or musl's loader when the image leaves musl out.
 */
async function checkApp(source, arch, options = {}) {
    const stat = await promises_.stat(source).catch(() => undefined);
    if (!stat) {
        throw new errors/* AppError */.uV(`app '${source}' does not exist. Build the app in an earlier step and give its path ` +
            `(relative to the workspace) in \`app\`.`);
    }
    if (stat.isFile()) {
        const elf = readElfFile(source);
        if (elf)
            checkElf(elf, arch, `app '${source}'`, options);
        return 'file';
    }
    if (!stat.isDirectory()) {
        throw new errors/* AppError */.uV(`app '${source}' is neither a file nor a folder.`);
    }
    for (const file of await listFiles(source)) {
        const elf = readElfFile(file);
        if (elf) {
            checkElf(elf, arch, `'${external_node_path_.relative(source, file)}' in app folder '${source}'`, options);
        }
    }
    return 'folder';
}
async function listFiles(dir) {
    const out = [];
    let names;
    try {
        names = await folderNames(dir);
    }
    catch (error) {
        if (error instanceof UnsupportedFileError)
            throw new errors/* AppError */.uV(`app: ${error.message}`);
        throw error;
    }
    for (const name of names) {
        const full = external_node_path_.join(dir, name);
        const stat = await promises_.lstat(full);
        if (stat.isDirectory())
            out.push(...(await listFiles(full)));
        else if (stat.isFile())
            out.push(full);
    }
    return out.sort();
}

;// CONCATENATED MODULE: ./src/assemble/needs.ts
/**
 * The app's needs become the world. Every ELF file of the app names its libraries (DT_NEEDED);
 * those the app carries itself (beside it, or through a RUNPATH such as `$ORIGIN/../lib`) are
 * met, musl's own names are met by musl, and every other one becomes `so:NAME`, the name
 * Alpine's packages provide (`p:so:libz.so.1=1.3.1`). A script's `#!` interpreter becomes the
 * package that provides its path (`/bin/sh` \u{2192} busybox-binsh, `p:/bin/sh`) or `cmd:NAME`
 * (`/usr/bin/env python3` \u{2192} `cmd:python3`).
 *
 * Needs the world as given already meets add nothing; a need no repository meets fails the
 * build before anything is downloaded, naming the library and the file.
 */







/** Reads the ELF facts and `#!` lines of the app's layer entries. */
function readAppFiles(entries) {
    const files = [];
    for (const entry of entries) {
        if (entry.type !== 'file' || entry.source === undefined)
            continue;
        const file = { path: `/${entry.path}`, source: entry.source, mode: entry.mode };
        file.elf = readElfFile(entry.source);
        // Only a file the kernel would run is a script: `#!` in a data file means nothing.
        if (!file.elf && (entry.mode & 0o111) !== 0)
            file.shebang = readShebang(entry.source);
        files.push(file);
    }
    return files;
}
/** `zlib: so:libz.so.1, needed by /usr/bin/server` */
function describeAdded(added) {
    return `${added.package}: ${added.need}, needed by ${added.neededBy.join(', ')}`;
}
function addNeed(needs, kind, name, by) {
    const need = needs.get(name) ?? { kind, name, neededBy: [] };
    if (!need.neededBy.includes(by))
        need.neededBy.push(by);
    needs.set(name, need);
}
/**
 * What the app needs that it does not carry. `view` holds the app's files only (at their image
 * paths); `label` names an app file in messages. Throws AppError for a file that needs glibc.
 */
function appNeeds(files, view, arch, label) {
    const needs = new Map();
    const systemPath = systemLibraryPath(view, arch, (f) => external_node_fs_.readFileSync(f, 'latin1'));
    for (const file of files) {
        if (file.elf)
            elfNeeds(file, file.elf, view, arch, systemPath, label, needs);
        else if (file.shebang)
            scriptNeeds(file, file.shebang, view, needs);
    }
    return [...needs.values()];
}
function elfNeeds(file, elf, view, arch, systemPath, label, needs) {
    // checkApp has refused foreign machines and foreign loaders; a static file needs nothing.
    if (elf.machine !== arch.elfMachine || elf.elfClass !== arch.elfClass)
        return;
    for (const name of elf.needed) {
        if (isGlibcLibrary(name)) {
            throw new errors/* AppError */.uV(glibcMessage(`${label(file)} is linked against glibc (it needs ${name}), but`, arch));
        }
        const located = locateLibrary(view, { path: file.path, elf }, name, {
            systemPath,
            muslLoader: true
        });
        if (located.found === undefined)
            addNeed(needs, 'library', `so:${name}`, file.path);
    }
}
function scriptNeeds(file, shebang, view, needs) {
    if (shebang.crlf)
        return;
    const interpreter = shebang.interpreter;
    // An interpreter the app carries (`#!/app/bin/python`) is the app's own business.
    if (view.isFile(interpreter))
        return;
    addNeed(needs, 'interpreter', interpreter, file.path);
    if (external_node_path_.posix.basename(interpreter) !== 'env')
        return;
    // A line that cannot run needs nothing a package gives: the link check reports it.
    const command = envTarget(shebang.argument ?? '').command;
    if (command === undefined)
        return;
    if (command.includes('/')) {
        if (!view.isFile(command))
            addNeed(needs, 'interpreter', command, file.path);
    }
    else {
        addNeed(needs, 'command', `cmd:${command}`, file.path);
    }
}
/**
 * The command `env` runs for a `#!/usr/bin/env ARGUMENT` line, or why it runs none. Linux passes
 * ARGUMENT as one argument, so `python3 -u` is one command name to env, which finds no such
 * file (busybox's env and GNU's alike); GNU env's `-S` splits it again.
 */
function envTarget(argument) {
    if (!/[ \t]/.test(argument) || argument.startsWith('-S')) {
        const words = argument.replace(/^-S[ \t]*/, '').split(/[ \t]+/);
        return { command: words.find((w) => w !== '' && !w.startsWith('-') && !w.includes('=')) };
    }
    return {
        problem: `env is given '${argument}' as one argument (Linux passes the rest of a #! line whole), ` +
            "so it looks for a command of that name; name the interpreter's path (#!/usr/bin/python3 " +
            "-u), or use GNU env's -S (busybox's env has none)"
    };
}
/** Whether a resolved package meets `name`: it is its name, or in its `p:` list. */
function meets(pkg, name) {
    return pkg.name === name || pkg.provides.some((p) => p.name === name);
}
/** Packages of untagged repositories that provide `name` (a tagged one needs `name@tag`). */
function untaggedProviders(repos, name) {
    return (0,apk_engine/* providersOf */.Ou)(repos, name).filter((p) => repos.repositories[p.repository]?.tag === undefined);
}
/**
 * The world tokens that meet `needs` the resolved world (`resolved`) leaves unmet. Throws
 * AppError naming every need no repository meets, before anything is downloaded.
 */
function worldAdditions(needs, resolved, repos) {
    const met = (name) => resolved.some((p) => meets(p, name));
    const choices = [];
    const unmet = [];
    for (const need of needs) {
        if (met(need.name))
            continue;
        if (need.kind === 'interpreter') {
            // A path is provided by a package's `p:` entry (busybox-binsh: `p:/bin/sh`); pick the one
            // apk prefers (highest provider_priority, then repository order).
            const byPath = untaggedProviders(repos, need.name);
            if (byPath.length > 0) {
                const best = [...byPath].sort((a, b) => b.providerPriority - a.providerPriority)[0];
                choices.push({ need, token: best.name });
                continue;
            }
            const command = `cmd:${external_node_path_.posix.basename(need.name)}`;
            if (met(command))
                continue;
            if (untaggedProviders(repos, command).length > 0) {
                choices.push({ need, token: command });
                continue;
            }
        }
        else if (untaggedProviders(repos, need.name).length > 0) {
            choices.push({ need, token: need.name });
            continue;
        }
        unmet.push(unmetMessage(need, repos));
    }
    if (unmet.length > 0) {
        throw new errors/* AppError */.uV(`${unmet.join('; ')}. Put what is missing in the app folder (a library beside the ` +
            "program, or in a folder its RUNPATH names, e.g. -Wl,-rpath,'$ORIGIN/../lib'), link it " +
            'statically, add the repository that has it to `repositories`, or set `elf-needs: false`.');
    }
    return choices;
}
function unmetMessage(need, repos) {
    const by = need.neededBy.join(', ');
    const tagged = (0,apk_engine/* providersOf */.Ou)(repos, need.name)
        .map((p) => `${p.name}@${repos.repositories[p.repository]?.tag}`)
        .filter((name) => !name.endsWith('@undefined'));
    const onlyTagged = tagged.length > 0 ? ` (only ${tagged.join(', ')} has it: add that to \`packages\`)` : '';
    if (need.kind === 'library') {
        const library = need.name.slice('so:'.length);
        return `the app file ${by} needs the library ${library}, which no package of the repositories provides (no ${need.name})${onlyTagged}`;
    }
    if (need.kind === 'command') {
        return `the app script ${by} runs ${need.name.slice('cmd:'.length)}, which no package of the repositories provides (no ${need.name})${onlyTagged}`;
    }
    const command = `cmd:${external_node_path_.posix.basename(need.name)}`;
    return `the app script ${by} needs the interpreter ${need.name}, which no package of the repositories provides (neither ${need.name} nor ${command})${onlyTagged}`;
}
/** What each added token brought in: the package of the resolution that meets it. */
function addedNeeds(choices, resolved) {
    return choices.map(({ need, token }) => {
        const pkg = resolved.find((p) => meets(p, token));
        return {
            package: pkg?.name ?? token,
            need: need.name,
            neededBy: need.neededBy,
            token
        };
    });
}

;// CONCATENATED MODULE: ./src/assemble/link-check.ts
/**
 * The link check: after install, every ELF program and library of the image (the packages' and
 * the app's) has its interpreter and each DT_NEEDED library where musl's loader looks, and every
 * script of the app its `#!` interpreter. What would fail at `docker run` with "Error loading
 * shared library" fails the build instead, naming the file, the library and the package that
 * would provide it.
 *
 * Fast by construction: the file list is the layers' entries (no walk of the disk), and of each
 * file only the ELF header, program headers and dynamic strings are read.
 */





const LINK_CHECK_MODES = ['error', 'warn', 'off'];
/** The PATH a script's `env` searches (the image's default PATH). */
const COMMAND_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** Every missing interpreter, library and command of the image made of `layers`. */
function checkLinks(layers, arch) {
    const view = new ImageView(layers.map((l) => l.entries));
    const systemPath = systemLibraryPath(view, arch, (f) => readHead(f, MAX_PATH_FILE_BYTES).toString('latin1'));
    const muslLoader = view.isFile(`/lib/${arch.muslLoader}`);
    const problems = [];
    let elfFiles = 0;
    for (const layer of layers) {
        for (const entry of layer.entries) {
            const p = `/${entry.path}`;
            // A file a later layer replaced is not in the image.
            if (entry.type !== 'file' || entry.source === undefined || view.entry(p) !== entry)
                continue;
            const owner = layer.owner(entry.path);
            const elf = readElfFile(entry.source);
            if (elf) {
                // Firmware and other machines' binaries are never loaded here.
                if (elf.machine !== arch.elfMachine || elf.elfClass !== arch.elfClass)
                    continue;
                elfFiles++;
                if (elf.interpreterProblem !== undefined) {
                    problems.push({
                        file: p,
                        owner,
                        kind: 'unrunnable',
                        name: elf.interpreter ?? '',
                        searched: [],
                        detail: elf.interpreterProblem
                    });
                }
                else if (elf.interpreter !== undefined && !view.isFile(elf.interpreter)) {
                    problems.push({
                        file: p,
                        owner,
                        kind: 'interpreter',
                        name: elf.interpreter,
                        searched: []
                    });
                }
                for (const name of elf.needed) {
                    const located = locateLibrary(view, { path: p, elf }, name, { systemPath, muslLoader });
                    if (located.found === undefined) {
                        problems.push({ file: p, owner, kind: 'library', name, searched: located.searched });
                    }
                }
            }
            else if (layer.app && (entry.mode & 0o111) !== 0) {
                problems.push(...scriptProblems(view, p, owner, entry.source));
            }
        }
    }
    return { problems, elfFiles };
}
function scriptProblems(view, file, owner, source) {
    const shebang = readShebang(source);
    if (!shebang)
        return [];
    const unrunnable = (name, detail) => [
        { file, owner, kind: 'unrunnable', name, searched: [], detail }
    ];
    if (shebang.crlf) {
        return unrunnable(shebang.interpreter, `its #! line ends in a carriage return (CRLF line endings), which Linux takes as part of ` +
            `'${shebang.argument ?? shebang.interpreter}'; save it with LF line endings`);
    }
    if (!view.isFile(shebang.interpreter)) {
        return [{ file, owner, kind: 'interpreter', name: shebang.interpreter, searched: [] }];
    }
    if (external_node_path_.posix.basename(shebang.interpreter) !== 'env')
        return [];
    const target = envTarget(shebang.argument ?? '');
    if (target.problem !== undefined)
        return unrunnable(shebang.interpreter, target.problem);
    const command = target.command;
    if (command === undefined)
        return [];
    const found = command.includes('/')
        ? view.isFile(command)
        : COMMAND_PATH.some((dir) => view.isFile(`${dir}/${command}`));
    return found ? [] : [{ file, owner, kind: 'command', name: command, searched: COMMAND_PATH }];
}
/** The name a package provides for what a problem misses (`so:libz.so.1`, `/bin/sh`\u{2026}), best first. */
function providedNames(problem, arch) {
    if (problem.kind === 'unrunnable')
        return [];
    if (problem.kind === 'library')
        return [`so:${problem.name}`];
    if (problem.kind === 'command')
        return [`cmd:${problem.name}`];
    // musl's loader is in no `p:` list; the package that provides its libc name ships it.
    if (problem.name === `/lib/${arch.muslLoader}`)
        return [`so:libc.musl-${ldsoArch(arch)}.so.1`];
    return [problem.name, `cmd:${external_node_path_.posix.basename(problem.name)}`];
}
/**
 * One line per missing thing: `/usr/bin/server (app) needs libz.so.1, not found in /lib,
 * /usr/local/lib, /usr/lib; add zlib to `packages` (so:libz.so.1)`. Without `providers` (the
 * repositories could not be read again), the line asks for a package providing the name.
 */
function describeProblems(problems, arch, providers) {
    return problems.map((problem) => {
        if (problem.kind === 'unrunnable') {
            return `${problem.file} (${problem.owner}) cannot start: ${problem.detail ?? 'Linux refuses it'}`;
        }
        const what = problem.kind === 'library'
            ? `needs ${problem.name}, not found in ${problem.searched.join(', ') || 'any folder'}`
            : problem.kind === 'command'
                ? `runs ${problem.name} through env, not found in ${problem.searched.join(', ')}`
                : `needs the interpreter ${problem.name}, which is not in the image`;
        const names = providedNames(problem, arch);
        let offer = providers === undefined
            ? `add a package that provides ${names.join(' or ')} to \`packages\` (apk takes the name itself too)`
            : `no package of the repositories provides ${names.join(' or ')}`;
        for (const name of names) {
            const packages = providers?.(name) ?? [];
            if (packages.length > 0) {
                offer = `add ${packages.join(' or ')} to \`packages\` (${name})`;
                break;
            }
        }
        if (problem.kind === 'library' && isMuslReserved(problem.name)) {
            offer = `it is musl's own library: keep musl in the image (drop \`!musl\`)`;
        }
        return `${problem.file} (${problem.owner}) ${what}; ${offer}`;
    });
}
/** The build stops: a program of the image could not start. */
class LinkCheckError extends errors/* BuildError */.zS {
}
/** At most this many lines in an error or warning; the rest is counted. */
const MAX_LINES = 20;
function linkCheckMessage(arch, lines) {
    const shown = lines.slice(0, MAX_LINES);
    const more = lines.length > shown.length ? `\n\u2026 and ${lines.length - shown.length} more` : '';
    return (`${arch}: link check: ${lines.length} missing; these files of the image would fail to start ` +
        `or load (Error loading shared library):\n${shown.join('\n')}${more}\n` +
        'Add the packages named, or put the library in the app folder; `link-check: warn` builds ' +
        'anyway, `link-check: off` skips this check.');
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(598);
;// CONCATENATED MODULE: ./src/oci/documents.ts
/**
 * The JSON documents of an image: config, manifest, image index, the layout's index.json and
 * docker's manifest.json. Keys are written in a fixed order (the order of the image-spec Go
 * structs) and maps sorted, without whitespace, so equal inputs give equal digests.
 */


const MEDIA_TYPES = {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip'
};
/** RFC 3339 in UTC without fractions: `2023-11-14T22:13:20Z`. */
function rfc3339(epochSeconds) {
    return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
/** The same object with its keys in bytewise order; undefined for an empty or missing map. */
function sortedRecord(record) {
    if (!record)
        return undefined;
    const keys = Object.keys(record).sort(compareBytes);
    if (keys.length === 0)
        return undefined;
    const out = {};
    for (const key of keys)
        out[key] = record[key];
    return out;
}
function imageConfig(options) {
    const created = rfc3339(options.createdEpoch);
    const { platform, config } = options;
    return json({
        created,
        architecture: platform.architecture,
        variant: platform.variant,
        os: platform.os,
        config: {
            User: config.user,
            ExposedPorts: exposedPorts(config.exposedPorts),
            Env: config.env,
            Entrypoint: config.entrypoint,
            Cmd: config.cmd,
            WorkingDir: config.workdir,
            Labels: sortedRecord(config.labels),
            StopSignal: config.stopSignal
        },
        rootfs: { type: 'layers', diff_ids: options.written.map((l) => l.diffId) },
        history: options.layers.map((layer) => ({
            created,
            created_by: layer.createdBy,
            comment: layer.comment
        }))
    });
}
/** `8080` \u{2192} `8080/tcp`; the config holds them as a set, `{"8080/tcp":{}}`. */
function exposedPorts(ports) {
    if (!ports || ports.length === 0)
        return undefined;
    const set = {};
    for (const port of ports) {
        const match = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(port.trim());
        if (!match || Number(match[1]) > 65535) {
            throw new ImageSpecError(`exposed port '${port}' is not PORT or PORT/PROTOCOL (tcp, udp, sctp), e.g. 8080/tcp`);
        }
        set[`${Number(match[1])}/${match[2] ?? 'tcp'}`] = {};
    }
    return sortedRecord(set);
}
function imageManifest(config, layers, annotations) {
    return json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: descriptor(config),
        layers: layers.map(descriptor),
        annotations: sortedRecord(annotations)
    });
}
function imageIndex(manifests, annotations) {
    return json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: manifests.map(descriptor),
        annotations: sortedRecord(annotations)
    });
}
/** The key order of image-spec's Descriptor struct. */
function descriptor(d) {
    return {
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        annotations: sortedRecord(d.annotations),
        platform: d.platform && {
            architecture: d.platform.architecture,
            os: d.platform.os,
            variant: d.platform.variant
        },
        artifactType: d.artifactType
    };
}
/** Docker's `manifest.json` for `docker load` on the classic store. */
function dockerManifest(entry) {
    return json([
        {
            Config: `blobs/sha256/${hexOf(entry.config)}`,
            RepoTags: entry.repoTags,
            Layers: entry.layers.map((l) => `blobs/sha256/${hexOf(l)}`)
        }
    ]);
}
function hexOf(digest) {
    return digest.replace(/^sha256:/, '');
}
/** JSON.stringify drops undefined members, which is how optional fields are left out. */
function json(value) {
    return Buffer.from(JSON.stringify(value), 'utf8');
}

;// CONCATENATED MODULE: ./src/oci/tags.ts
/**
 * Image references as the OCI distribution spec and docker spell them:
 * `[registry[:port]/]path[:tag]`. Checked here, before any layer is written, so a bad tag fails
 * in a second with the rule it broke.
 */

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** One component of a repository path (`ghcr.io/owner/app` has two). */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$/;
const MAX_NAME = 255;
const TAG_RULE = 'a tag is 1 to 128 characters of A-Z a-z 0-9 _ . - and does not start with . or -';
const PATH_RULE = 'each part of the repository path is lowercase letters and digits, separated by ., _, __ or -';
/** Splits and checks `[registry[:port]/]path[:tag]`; throws ImageSpecError naming the rule. */
function parseImageRef(ref) {
    if (ref.includes('@')) {
        throw new ImageSpecError(`image reference '${ref}' has a digest; an image is tagged by name:tag, not by digest`);
    }
    const lastSlash = ref.lastIndexOf('/');
    const colon = ref.indexOf(':', lastSlash + 1);
    const name = colon === -1 ? ref : ref.slice(0, colon);
    const tag = colon === -1 ? 'latest' : ref.slice(colon + 1);
    if (!TAG.test(tag)) {
        throw new ImageSpecError(`invalid tag '${tag}' in image reference '${ref}': ${TAG_RULE}`);
    }
    checkName(name, ref);
    return { name, tag };
}
function checkName(name, ref) {
    if (name === '') {
        throw new ImageSpecError(`image reference '${ref}' has no repository name`);
    }
    if (name.length > MAX_NAME) {
        throw new ImageSpecError(`image reference '${ref}': the repository name is longer than ${MAX_NAME} characters`);
    }
    const parts = name.split('/');
    const host = hasRegistry(parts) ? parts.shift() : undefined;
    if (host !== undefined && !HOST.test(host)) {
        throw new ImageSpecError(`invalid registry '${host}' in image reference '${ref}': give a host name with an optional :port`);
    }
    for (const part of parts) {
        if (PATH_COMPONENT.test(part))
            continue;
        const hint = part !== part.toLowerCase() ? ' (the repository path must be lowercase)' : '';
        throw new ImageSpecError(`invalid repository path '${parts.join('/')}' in image reference '${ref}'${hint}: ${PATH_RULE}`);
    }
}
/** Docker's rule: the first part names a registry when it has a `.` or `:` or is `localhost`. */
function hasRegistry(parts) {
    if (parts.length < 2)
        return false;
    const first = parts[0];
    return first.includes('.') || first.includes(':') || first === 'localhost';
}
/**
 * The fully qualified name containerd stores (`io.containerd.image.name`): docker's short names
 * get their implied registry, `app` \u{2192} `docker.io/library/app`.
 */
function qualifiedName(ref) {
    const parts = ref.name.split('/');
    let name = ref.name;
    if (!hasRegistry(parts))
        name = parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`;
    return `${name}:${ref.tag}`;
}

;// CONCATENATED MODULE: ./src/assemble/sbom/spdx-ids.ts
/**
 * The identifiers of the SPDX License List 3.28.0 (licenses and exceptions), as CycloneDX 1.6's
 * `spdx.schema.json` enumerates them: the ids a license expression may name without a
 * `LicenseRef-`. A test checks this list against that schema.
 */
const SPDX_LICENSE_LIST_VERSION = '3.28';
const IDS = `
0BSD 3D-Slicer-1.0 AAL Abstyles AdaCore-doc Adobe-2006 Adobe-Display-PostScript Adobe-Glyph
Adobe-Utopia ADSL Advanced-Cryptics-Dictionary AFL-1.1 AFL-1.2 AFL-2.0 AFL-2.1 AFL-3.0 Afmparse
AGPL-1.0 AGPL-1.0-only AGPL-1.0-or-later AGPL-3.0 AGPL-3.0-only AGPL-3.0-or-later Aladdin
ALGLIB-Documentation AMD-newlib AMDPLPA AML AML-glslang AMPAS ANTLR-PD ANTLR-PD-fallback any-OSI
any-OSI-perl-modules Apache-1.0 Apache-1.1 Apache-2.0 APAFML APL-1.0 App-s2p APSL-1.0 APSL-1.1
APSL-1.2 APSL-2.0 Arphic-1999 Artistic-1.0 Artistic-1.0-cl8 Artistic-1.0-Perl Artistic-2.0
Artistic-dist Aspell-RU ASWF-Digital-Assets-1.0 ASWF-Digital-Assets-1.1 Baekmuk Bahyph Barr
bcrypt-Solar-Designer Beerware Bitstream-Charter Bitstream-Vera BitTorrent-1.0 BitTorrent-1.1
blessing BlueOak-1.0.0 Boehm-GC Boehm-GC-without-fee BOLA-1.1 Borceux Brian-Gladman-2-Clause
Brian-Gladman-3-Clause BSD-1-Clause BSD-2-Clause BSD-2-Clause-Darwin BSD-2-Clause-first-lines
BSD-2-Clause-FreeBSD BSD-2-Clause-NetBSD BSD-2-Clause-Patent BSD-2-Clause-pkgconf-disclaimer
BSD-2-Clause-Views BSD-3-Clause BSD-3-Clause-acpica BSD-3-Clause-Attribution BSD-3-Clause-Clear
BSD-3-Clause-flex BSD-3-Clause-HP BSD-3-Clause-LBNL BSD-3-Clause-Modification
BSD-3-Clause-No-Military-License BSD-3-Clause-No-Nuclear-License
BSD-3-Clause-No-Nuclear-License-2014 BSD-3-Clause-No-Nuclear-Warranty BSD-3-Clause-Open-MPI
BSD-3-Clause-Sun BSD-3-Clause-Tso BSD-4-Clause BSD-4-Clause-Shortened BSD-4-Clause-UC
BSD-4.3RENO BSD-4.3TAHOE BSD-Advertising-Acknowledgement BSD-Attribution-HPND-disclaimer
BSD-Inferno-Nettverk BSD-Mark-Modifications BSD-Protection BSD-Source-beginning-file
BSD-Source-Code BSD-Systemics BSD-Systemics-W3Works BSL-1.0 Buddy BUSL-1.1 bzip2-1.0.5
bzip2-1.0.6 C-UDA-1.0 CAL-1.0 CAL-1.0-Combined-Work-Exception Caldera Caldera-no-preamble
CAPEC-tou Catharon CATOSL-1.1 CC-BY-1.0 CC-BY-2.0 CC-BY-2.5 CC-BY-2.5-AU CC-BY-3.0 CC-BY-3.0-AT
CC-BY-3.0-AU CC-BY-3.0-DE CC-BY-3.0-IGO CC-BY-3.0-NL CC-BY-3.0-US CC-BY-4.0 CC-BY-NC-1.0
CC-BY-NC-2.0 CC-BY-NC-2.5 CC-BY-NC-3.0 CC-BY-NC-3.0-DE CC-BY-NC-4.0 CC-BY-NC-ND-1.0
CC-BY-NC-ND-2.0 CC-BY-NC-ND-2.5 CC-BY-NC-ND-3.0 CC-BY-NC-ND-3.0-DE CC-BY-NC-ND-3.0-IGO
CC-BY-NC-ND-4.0 CC-BY-NC-SA-1.0 CC-BY-NC-SA-2.0 CC-BY-NC-SA-2.0-DE CC-BY-NC-SA-2.0-FR
CC-BY-NC-SA-2.0-UK CC-BY-NC-SA-2.5 CC-BY-NC-SA-3.0 CC-BY-NC-SA-3.0-DE CC-BY-NC-SA-3.0-IGO
CC-BY-NC-SA-4.0 CC-BY-ND-1.0 CC-BY-ND-2.0 CC-BY-ND-2.5 CC-BY-ND-3.0 CC-BY-ND-3.0-DE CC-BY-ND-4.0
CC-BY-SA-1.0 CC-BY-SA-2.0 CC-BY-SA-2.0-UK CC-BY-SA-2.1-JP CC-BY-SA-2.5 CC-BY-SA-3.0
CC-BY-SA-3.0-AT CC-BY-SA-3.0-DE CC-BY-SA-3.0-IGO CC-BY-SA-4.0 CC-PDDC CC-PDM-1.0 CC-SA-1.0
CC0-1.0 CDDL-1.0 CDDL-1.1 CDL-1.0 CDLA-Permissive-1.0 CDLA-Permissive-2.0 CDLA-Sharing-1.0
CECILL-1.0 CECILL-1.1 CECILL-2.0 CECILL-2.1 CECILL-B CECILL-C CERN-OHL-1.1 CERN-OHL-1.2
CERN-OHL-P-2.0 CERN-OHL-S-2.0 CERN-OHL-W-2.0 CFITSIO check-cvs checkmk ClArtistic Clips CMU-Mach
CMU-Mach-nodoc CNRI-Jython CNRI-Python CNRI-Python-GPL-Compatible COIL-1.0 Community-Spec-1.0
Condor-1.1 copyleft-next-0.3.0 copyleft-next-0.3.1 Cornell-Lossless-JPEG CPAL-1.0 CPL-1.0
CPOL-1.02 Cronyx Crossword CryptoSwift CrystalStacker CUA-OPL-1.0 Cube curl cve-tou D-FSL-1.0
DEC-3-Clause diffmark DL-DE-BY-2.0 DL-DE-ZERO-2.0 DOC DocBook-DTD DocBook-Schema
DocBook-Stylesheet DocBook-XML Dotseqn DRL-1.0 DRL-1.1 DSDP dtoa dvipdfm ECL-1.0 ECL-2.0
eCos-2.0 EFL-1.0 EFL-2.0 eGenix Elastic-2.0 Entessa EPICS EPL-1.0 EPL-2.0 ErlPL-1.1
ESA-PL-permissive-2.4 ESA-PL-strong-copyleft-2.4 ESA-PL-weak-copyleft-2.4 etalab-2.0 EUDatagrid
EUPL-1.0 EUPL-1.1 EUPL-1.2 Eurosym Fair FBM FDK-AAC Ferguson-Twofish Frameworx-1.0 FreeBSD-DOC
FreeImage FSFAP FSFAP-no-warranty-disclaimer FSFUL FSFULLR FSFULLRSD FSFULLRWD FSL-1.1-ALv2
FSL-1.1-MIT FTL Furuseth fwlw Game-Programming-Gems GCR-docs GD generic-xts GFDL-1.1
GFDL-1.1-invariants-only GFDL-1.1-invariants-or-later GFDL-1.1-no-invariants-only
GFDL-1.1-no-invariants-or-later GFDL-1.1-only GFDL-1.1-or-later GFDL-1.2
GFDL-1.2-invariants-only GFDL-1.2-invariants-or-later GFDL-1.2-no-invariants-only
GFDL-1.2-no-invariants-or-later GFDL-1.2-only GFDL-1.2-or-later GFDL-1.3
GFDL-1.3-invariants-only GFDL-1.3-invariants-or-later GFDL-1.3-no-invariants-only
GFDL-1.3-no-invariants-or-later GFDL-1.3-only GFDL-1.3-or-later Giftware GL2PS Glide Glulxe
GLWTPL gnuplot GPL-1.0 GPL-1.0+ GPL-1.0-only GPL-1.0-or-later GPL-2.0 GPL-2.0+ GPL-2.0-only
GPL-2.0-or-later GPL-2.0-with-autoconf-exception GPL-2.0-with-bison-exception
GPL-2.0-with-classpath-exception GPL-2.0-with-font-exception GPL-2.0-with-GCC-exception GPL-3.0
GPL-3.0+ GPL-3.0-only GPL-3.0-or-later GPL-3.0-with-autoconf-exception
GPL-3.0-with-GCC-exception Graphics-Gems gSOAP-1.3b gtkbook Gutmann HaskellReport HDF5 hdparm
HIDAPI Hippocratic-2.1 HP-1986 HP-1989 HPND HPND-DEC HPND-doc HPND-doc-sell HPND-export-US
HPND-export-US-acknowledgement HPND-export-US-modify HPND-export2-US HPND-Fenneberg-Livingston
HPND-INRIA-IMAG HPND-Intel HPND-Kevlin-Henney HPND-Markus-Kuhn HPND-merchantability-variant
HPND-MIT-disclaimer HPND-Netrek HPND-Pbmplus HPND-sell-MIT-disclaimer-xserver HPND-sell-regexpr
HPND-sell-variant HPND-sell-variant-critical-systems HPND-sell-variant-MIT-disclaimer
HPND-sell-variant-MIT-disclaimer-rev HPND-SMC HPND-UC HPND-UC-export-US HTMLTIDY
hyphen-bulgarian IBM-pibs ICU IEC-Code-Components-EULA IJG IJG-short ImageMagick iMatix Imlib2
Info-ZIP Inner-Net-2.0 InnoSetup Intel Intel-ACPI Interbase-1.0 IPA IPL-1.0 ISC ISC-Veillard
ISO-permission Jam JasPer-2.0 jove JPL-image JPNIC JSON Kastrup Kazlib Knuth-CTAN LAL-1.2
LAL-1.3 Latex2e Latex2e-translated-notice Leptonica LGPL-2.0 LGPL-2.0+ LGPL-2.0-only
LGPL-2.0-or-later LGPL-2.1 LGPL-2.1+ LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0 LGPL-3.0+
LGPL-3.0-only LGPL-3.0-or-later LGPLLR Libpng libpng-1.6.35 libpng-2.0 libselinux-1.0 libtiff
libutil-David-Nugent LiLiQ-P-1.1 LiLiQ-R-1.1 LiLiQ-Rplus-1.1 Linux-man-pages-1-para
Linux-man-pages-copyleft Linux-man-pages-copyleft-2-para Linux-man-pages-copyleft-var
Linux-OpenIB LOOP LPD-document LPL-1.0 LPL-1.02 LPPL-1.0 LPPL-1.1 LPPL-1.2 LPPL-1.3a LPPL-1.3c
lsof Lucida-Bitmap-Fonts LZMA-SDK-9.11-to-9.20 LZMA-SDK-9.22 Mackerras-3-Clause
Mackerras-3-Clause-acknowledgment magaz mailprio MakeIndex man2html Martin-Birgmeier
McPhee-slideshow metamail Minpack MIPS MirOS MIT MIT-0 MIT-advertising MIT-Click MIT-CMU
MIT-enna MIT-feh MIT-Festival MIT-Khronos-old MIT-Modern-Variant MIT-open-group MIT-STK
MIT-testregex MIT-Wu MITNFA MMIXware MMPL-1.0.1 Motosoto MPEG-SSG mpi-permissive mpich2 MPL-1.0
MPL-1.1 MPL-2.0 MPL-2.0-no-copyleft-exception mplus MS-LPL MS-PL MS-RL MTLL MulanPSL-1.0
MulanPSL-2.0 Multics Mup NAIST-2003 NASA-1.3 Naumen NBPL-1.0 NCBI-PD NCGL-UK-2.0 NCL NCSA
Net-SNMP NetCDF Newsletr NGPL ngrep NICTA-1.0 NIST-PD NIST-PD-fallback NIST-PD-TNT NIST-Software
NLOD-1.0 NLOD-2.0 NLPL Nokia NOSL Noweb NPL-1.0 NPL-1.1 NPOSL-3.0 NRL NTIA-PD NTP NTP-0 Nunit
O-UDA-1.0 OAR OCCT-PL OCLC-2.0 ODbL-1.0 ODC-By-1.0 OFFIS OFL-1.0 OFL-1.0-no-RFN OFL-1.0-RFN
OFL-1.1 OFL-1.1-no-RFN OFL-1.1-RFN OGC-1.0 OGDL-Taiwan-1.0 OGL-Canada-2.0 OGL-UK-1.0 OGL-UK-2.0
OGL-UK-3.0 OGTSL OLDAP-1.1 OLDAP-1.2 OLDAP-1.3 OLDAP-1.4 OLDAP-2.0 OLDAP-2.0.1 OLDAP-2.1
OLDAP-2.2 OLDAP-2.2.1 OLDAP-2.2.2 OLDAP-2.3 OLDAP-2.4 OLDAP-2.5 OLDAP-2.6 OLDAP-2.7 OLDAP-2.8
OLFL-1.3 OML OpenMDW-1.0 OpenPBS-2.3 OpenSSL OpenSSL-standalone OpenVision OPL-1.0 OPL-UK-3.0
OPUBL-1.0 OSC-1.0 OSET-PL-2.1 OSL-1.0 OSL-1.1 OSL-2.0 OSL-2.1 OSL-3.0 OSSP PADL
ParaType-Free-Font-1.3 Parity-6.0.0 Parity-7.0.0 PDDL-1.0 PHP-3.0 PHP-3.01 Pixar pkgconf Plexus
pnmstitch PolyForm-Noncommercial-1.0.0 PolyForm-Small-Business-1.0.0 PostgreSQL PPL PSF-2.0
psfrag psutils Python-2.0 Python-2.0.1 python-ldap Qhull QPL-1.0 QPL-1.0-INRIA-2004 radvd Rdisc
RHeCos-1.1 RPL-1.1 RPL-1.5 RPSL-1.0 RSA-MD RSCPL Ruby Ruby-pty SAX-PD SAX-PD-2.0 Saxpath SCEA
SchemeReport Sendmail Sendmail-8.23 Sendmail-Open-Source-1.1 SGI-B-1.0 SGI-B-1.1 SGI-B-2.0
SGI-OpenGL SGMLUG-PM SGP4 SHL-0.5 SHL-0.51 SimPL-2.0 SISSL SISSL-1.2 SL Sleepycat SMAIL-GPL
SMLNJ SMPPL SNIA snprintf SOFA softSurfer Soundex Spencer-86 Spencer-94 Spencer-99 SPL-1.0
ssh-keyscan SSH-OpenSSH SSH-short SSLeay-standalone SSPL-1.0 StandardML-NJ SugarCRM-1.1.3
SUL-1.0 Sun-PPP Sun-PPP-2000 SunPro SWL swrule Symlinks TAPR-OHL-1.0 TCL TCP-wrappers TekHVC
TermReadKey TGPPL-1.0 ThirdEye threeparttable TMate TORQUE-1.1 TOSL TPDL TPL-1.0 TrustedQSL TTWL
TTYP0 TU-Berlin-1.0 TU-Berlin-2.0 Ubuntu-font-1.0 UCAR UCL-1.0 ulem UMich-Merit Unicode-3.0
Unicode-DFS-2015 Unicode-DFS-2016 Unicode-TOU UnixCrypt Unlicense Unlicense-libtelnet
Unlicense-libwhirlpool UnRAR UPL-1.0 URT-RLE Vim Vixie-Cron VOSTROM VSL-1.0 W3C W3C-19980720
W3C-20150513 w3m Watcom-1.0 Widget-Workshop WordNet Wsuipa WTFNMFPL WTFPL wwl wxWindows X11
X11-distribute-modifications-variant X11-no-permit-persons X11-swapped Xdebug-1.03 Xerox Xfig
XFree86-1.1 xinetd xkeyboard-config-Zinoviev xlock Xnet xpp XSkat xzoom YPL-1.0 YPL-1.1 Zed
Zeeff Zend-2.0 Zimbra-1.3 Zimbra-1.4 Zlib zlib-acknowledgement ZPL-1.1 ZPL-2.0 ZPL-2.1
389-exception Asterisk-exception Asterisk-linking-protocols-exception Autoconf-exception-2.0
Autoconf-exception-3.0 Autoconf-exception-generic Autoconf-exception-generic-3.0
Autoconf-exception-macro Bison-exception-1.24 Bison-exception-2.2 Bootloader-exception
CGAL-linking-exception Classpath-exception-2.0 Classpath-exception-2.0-short CLISP-exception-2.0
cryptsetup-OpenSSL-exception Digia-Qt-LGPL-exception-1.1 DigiRule-FOSS-exception
eCos-exception-2.0 erlang-otp-linking-exception Fawkes-Runtime-exception FLTK-exception
fmt-exception Font-exception-2.0 freertos-exception-2.0 GCC-exception-2.0 GCC-exception-2.0-note
GCC-exception-3.1 Gmsh-exception GNAT-exception GNOME-examples-exception GNU-compiler-exception
gnu-javamail-exception GPL-3.0-389-ds-base-exception GPL-3.0-interface-exception
GPL-3.0-linking-exception GPL-3.0-linking-source-exception GPL-CC-1.0 GStreamer-exception-2005
GStreamer-exception-2008 harbour-exception i2p-gpl-java-exception Independent-modules-exception
KiCad-libraries-exception kvirc-openssl-exception LGPL-3.0-linking-exception
libpri-OpenH323-exception Libtool-exception Linux-syscall-note LLGPL LLVM-exception
LZMA-exception mif-exception mxml-exception Nokia-Qt-exception-1.1 OCaml-LGPL-linking-exception
OCCT-exception-1.0 OpenJDK-assembly-exception-1.0 openvpn-openssl-exception PCRE2-exception
polyparse-exception PS-or-PDF-font-exception-20170817 QPL-1.0-INRIA-2004-exception
Qt-GPL-exception-1.0 Qt-LGPL-exception-1.1 Qwt-exception-1.0 romic-exception
RRDtool-FLOSS-exception-2.0 rsync-linking-exception SANE-exception SHL-2.0 SHL-2.1
Simple-Library-Usage-exception sqlitestudio-OpenSSL-exception stunnel-exception SWI-exception
Swift-exception Texinfo-exception u-boot-exception-2.0 UBDL-exception
Universal-FOSS-exception-1.0 vsftpd-openssl-exception WxWindows-exception-3.1
x11vnc-openssl-exception
`;
/** Lowercase id \u{2192} the id as the list spells it (SPDX matches ids case-insensitively). */
const SPDX_IDS = new Map(IDS.split(/\s+/)
    .filter((id) => id !== '')
    .map((id) => [id.toLowerCase(), id]));

;// CONCATENATED MODULE: ./src/assemble/sbom/model.ts
/**
 * What an SBOM of one architecture's image says, whatever its format: the image (the described
 * root), the apk packages its database lists, how they depend on each other, and the app. SPDX
 * and CycloneDX (spdx.ts, cyclonedx.ts) each write this model in their own words; the facts \u{2014}
 * purls, license expressions, the dependency graph \u{2014} are worked out here once.
 */



/** Formats in the order the documents are written and listed. */
const SBOM_FORMATS = ['spdx', 'cyclonedx'];
const SBOM_MEDIA_TYPES = {
    spdx: 'application/spdx+json',
    cyclonedx: 'application/vnd.cyclonedx+json'
};
/** File name endings of the documents written beside the tarball. */
const SBOM_EXTENSIONS = {
    spdx: 'spdx.json',
    cyclonedx: 'cdx.json'
};
/** The tool named as the documents' creator; a test holds the version to package.json's. */
const TOOL = { name: 'witchery', version: '0.1.0' };
/** purl's percent-encoding: everything but unreserved characters (and `/` where allowed). */
function purlEncode(text, keepSlash = false) {
    const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}
/** Qualifiers in canonical form: keys sorted, empty values left out. */
function qualifiers(pairs) {
    const parts = Object.keys(pairs)
        .sort()
        .filter((key) => pairs[key])
        .map((key) => `${key}=${purlEncode(pairs[key], true)}`);
    return parts.length > 0 ? `?${parts.join('&')}` : '';
}
/** `pkg:apk/alpine/NAME@VERSION?arch=ARCH&distro=alpine-X.Y.Z` */
function apkPurl(pkg, arch, alpineVersion) {
    const distro = alpineVersion ? `alpine-${alpineVersion}` : undefined;
    return (`pkg:apk/alpine/${purlEncode(pkg.name)}@${purlEncode(pkg.version)}` +
        qualifiers({ arch: pkg.arch ?? arch, distro }));
}
/** `pkg:oci/NAME@sha256%3A\u{2026}?arch=amd64&repository_url=REGISTRY/PATH&tag=TAG` */
function ociPurl(image, tag) {
    const ref = parseImageRef(tag);
    const name = ref.name.slice(ref.name.lastIndexOf('/') + 1);
    return (`pkg:oci/${purlEncode(name)}@${purlEncode(image.manifestDigest)}` +
        qualifiers({ arch: image.ociArch, repository_url: ref.name, tag: ref.tag }));
}
/** The image's name without its tag (`ghcr.io/acme/hello`): the first reference's. */
function imageName(image) {
    return image.tags.length > 0 ? parseImageRef(image.tags[0]).name : 'image';
}
/**
 * Alpine's `L:` as an SPDX expression: ids from the SPDX list (spelled as the list does),
 * `LicenseRef-\u{2026}`, `AND`, `OR`, `WITH` and parentheses. Anything else (`GPL2+`, `custom`,
 * `MIT/X11`) becomes `LicenseRef-` plus the field made an idstring.
 */
function licenseOf(field) {
    const text = field.trim();
    if (text === '')
        return {};
    const expression = spdxExpression(text);
    if (expression)
        return { expression };
    const id = `LicenseRef-${text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unknown'}`;
    return { expression: id, ref: { id, text } };
}
/** The canonical spelling of `text` if it is an SPDX license expression; else undefined. */
function spdxExpression(text) {
    const tokens = text
        .replace(/[()]/g, ' $& ')
        .split(/\s+/)
        .filter((t) => t !== '');
    let pos = 0;
    const out = [];
    // expr := term ((AND|OR) term)* ; term := '(' expr ')' | id ['+'] [WITH id]
    const term = () => {
        if (tokens[pos] === '(') {
            out.push('(');
            pos++;
            if (!expr() || tokens[pos] !== ')')
                return false;
            out.push(')');
            pos++;
            return true;
        }
        const license = licenseId(tokens[pos] ?? '');
        if (!license)
            return false;
        out.push(license);
        pos++;
        if (tokens[pos] === 'WITH') {
            const exception = SPDX_IDS.get((tokens[pos + 1] ?? '').toLowerCase());
            if (!exception)
                return false;
            out.push('WITH', exception);
            pos += 2;
        }
        return true;
    };
    const expr = () => {
        if (!term())
            return false;
        while (tokens[pos] === 'AND' || tokens[pos] === 'OR') {
            out.push(tokens[pos]);
            pos++;
            if (!term())
                return false;
        }
        return true;
    };
    if (!expr() || pos !== tokens.length)
        return undefined;
    return out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
}
function licenseId(token) {
    if (/^LicenseRef-[A-Za-z0-9.-]+$/.test(token))
        return token;
    const plus = token.endsWith('+') ? '+' : '';
    const known = SPDX_IDS.get(token.slice(0, token.length - plus.length).toLowerCase());
    return known && known + plus;
}
/**
 * A package's `U:` as a web address both schemas take (an IRI), normalised, or undefined: a
 * field that looks like one but does not parse (`http://[x`) failed CycloneDX's schema.
 */
function webUrl(field) {
    if (!/^https?:\/\/\S+$/.test(field))
        return undefined;
    try {
        return new URL(field).href;
    }
    catch {
        return undefined;
    }
}
/**
 * The `LicenseRef-`s of one document: each license text that is not an SPDX expression gets one
 * of its own (`GPL2+` and `GPL2` both make `LicenseRef-GPL2`: the second becomes
 * `LicenseRef-GPL2-2`), and a field that names a `LicenseRef-` itself gets it defined, with the
 * field as its text (SPDX refuses one that is used and not defined).
 */
class LicenseRefs {
    idOfText = new Map();
    textOfId = new Map();
    /** The package's license as an expression of this document, defining what it uses. */
    expressionOf(field) {
        const license = licenseOf(field);
        if (license.ref)
            return this.define(license.ref);
        for (const token of license.expression?.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) {
            if (!this.textOfId.has(token))
                this.textOfId.set(token, field.trim());
        }
        return license.expression;
    }
    define(ref) {
        const known = this.idOfText.get(ref.text);
        if (known !== undefined)
            return known;
        let id = ref.id;
        for (let n = 2; this.textOfId.has(id); n++)
            id = `${ref.id}-${n}`;
        this.idOfText.set(ref.text, id);
        this.textOfId.set(id, ref.text);
        return id;
    }
    /** Every `LicenseRef-` the document uses, with its text. */
    all() {
        return [...this.textOfId].map(([id, text]) => ({ id, text }));
    }
}
/** `Name <email>` \u{2192} its parts; a field without `<\u{2026}>` is all name. */
function personOf(field) {
    const text = (field ?? '').trim();
    if (text === '')
        return undefined;
    const match = /^(.*?)\s*<([^<>]*)>\s*$/.exec(text);
    if (!match)
        return { name: text };
    return { name: match[1] || match[2], email: match[2] || undefined };
}
/** `Q1\u{2026}` (base64 SHA-1 of the package's control section, apk's identity) as hex. */
function checksumHex(checksum) {
    if (!checksum.startsWith('Q1'))
        return undefined;
    const bytes = Buffer.from(checksum.slice(2), 'base64');
    return bytes.length === 20 ? bytes.toString('hex') : undefined;
}
/**
 * The installed package that satisfies a dependency: one of that name, else one that provides
 * it (`so:libc.musl-x86_64.so.1`, `cmd:\u{2026}`), the first by name when several do.
 */
function satisfier(dep, byName, providers) {
    if (dep.conflict)
        return undefined;
    return byName.get(dep.name) ?? providers.get(dep.name)?.[0];
}
/** `D:` and `p:` of the installed set, resolved to packages as apk resolved them. */
function dependencyGraph(packages, world) {
    const byName = new Map(packages.map((p) => [p.name, p]));
    const providers = new Map();
    const sorted = [...packages].sort((a, b) => compare(a.name, b.name));
    for (const pkg of sorted) {
        for (const provided of pkg.provides) {
            const list = providers.get(provided.name) ?? [];
            list.push(pkg);
            providers.set(provided.name, list);
        }
    }
    const resolve = (deps, self) => {
        const names = new Set();
        for (const dep of deps) {
            const found = satisfier(dep, byName, providers);
            if (found && found.name !== self)
                names.add(found.name);
        }
        return [...names].sort(compare);
    };
    const depends = new Map();
    for (const pkg of packages)
        depends.set(pkg.name, resolve(pkg.depends, pkg.name));
    return { depends, world: resolve(world) };
}
function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
/** SHA-256 hex of a document's bytes: where a namespace or serial number comes from. */
function contentHash(bytes) {
    return (0,external_node_crypto_.createHash)('sha256').update(bytes).digest('hex');
}
/** Canonical JSON text of a document: two-space indented, with a final newline. */
function documentBytes(document) {
    return Buffer.from(`${JSON.stringify(document, null, 2)}\n`, 'utf8');
}

;// CONCATENATED MODULE: ./src/assemble/sbom/cyclonedx.ts


const APP_REF = 'witchery:app';
const EMAIL = /^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/;
function cyclonedxDocument(input) {
    const { image } = input;
    const imageRef = image.tags.length > 0 ? ociPurl(image, image.tags[0]) : 'witchery:image';
    const refs = new Map(input.packages.map((p) => [p.name, apkPurl(p, image.arch, input.alpineVersion)]));
    const components = input.packages.map((p) => apkComponent(p, refs.get(p.name)));
    if (input.app)
        components.push(appComponent(input.app));
    const graph = dependencyGraph(input.packages, input.world);
    const rootDepends = graph.world.map((name) => refs.get(name));
    if (input.app)
        rootDepends.push(APP_REF);
    const dependencies = [{ ref: imageRef, dependsOn: rootDepends }];
    for (const pkg of input.packages) {
        const on = (graph.depends.get(pkg.name) ?? []).map((name) => refs.get(name));
        dependencies.push({ ref: refs.get(pkg.name), dependsOn: on });
    }
    if (input.app)
        dependencies.push({ ref: APP_REF, dependsOn: [] });
    const bom = {
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        serialNumber: '',
        version: 1,
        metadata: {
            timestamp: rfc3339(input.createdEpoch),
            tools: { components: [{ type: 'application', name: TOOL.name, version: TOOL.version }] },
            component: {
                type: 'container',
                'bom-ref': imageRef,
                name: imageName(image),
                version: image.manifestDigest,
                hashes: [{ alg: 'SHA-256', content: image.manifestDigest.replace(/^sha256:/, '') }],
                purl: image.tags.length > 0 ? imageRef : undefined,
                properties: properties([
                    ...image.tags.map((tag) => ({ name: 'witchery:image:tag', value: tag })),
                    { name: 'witchery:image:arch', value: image.arch }
                ])
            }
        },
        components,
        dependencies
    };
    bom.serialNumber = `urn:uuid:${nameBasedUuid(contentHash(documentBytes(bom)))}`;
    return documentBytes(bom);
}
/** CycloneDX 1.6's longest component version. */
const MAX_VERSION = 1024;
function apkComponent(pkg, purl) {
    const license = licenseOf(pkg.license);
    const maintainer = personOf(pkg.maintainer);
    const sha1 = checksumHex(pkg.checksum);
    const contact = maintainer && {
        name: maintainer.name,
        email: maintainer.email && EMAIL.test(maintainer.email) ? maintainer.email : undefined
    };
    return {
        type: 'library',
        'bom-ref': purl,
        supplier: contact && { name: contact.name, contact: [contact] },
        name: pkg.name,
        // The schema holds 1,024 characters; a longer (valid) apk version stays in the purl.
        version: pkg.version.length <= MAX_VERSION ? pkg.version : undefined,
        description: pkg.description || undefined,
        // apk's identity of the package: the SHA-1 of its control section (`C:` in the db).
        hashes: sha1 ? [{ alg: 'SHA-1', content: sha1 }] : undefined,
        licenses: license.expression ? [{ expression: license.expression }] : undefined,
        purl,
        externalReferences: webUrl(pkg.url) && [{ type: 'website', url: webUrl(pkg.url) }],
        properties: properties([
            { name: 'witchery:apk:arch', value: pkg.arch ?? '' },
            { name: 'witchery:apk:origin', value: pkg.origin ?? '' },
            { name: 'witchery:apk:checksum', value: pkg.checksum },
            { name: 'witchery:apk:license', value: pkg.license }
        ])
    };
}
function appComponent(app) {
    return {
        type: 'application',
        'bom-ref': APP_REF,
        name: app.name,
        components: [...app.files]
            .sort((a, b) => compare(a.path, b.path))
            .map((file) => ({
            type: 'file',
            'bom-ref': `witchery:app:/${file.path}`,
            name: `/${file.path}`,
            hashes: [
                { alg: 'SHA-1', content: file.sha1 },
                { alg: 'SHA-256', content: file.sha256 }
            ]
        })),
        properties: properties([{ name: 'witchery:app:path', value: app.dest }])
    };
}
function properties(list) {
    const kept = list.filter((p) => p.value !== '');
    return kept.length > 0 ? kept : undefined;
}
/** A UUID (version 5 layout: name-based, SHA) from the first 128 bits of a hex hash. */
function nameBasedUuid(hex) {
    const bytes = Buffer.from(hex.slice(0, 32), 'hex');
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const h = bytes.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

;// CONCATENATED MODULE: ./src/assemble/sbom/spdx.ts
/**
 * The model as an SPDX 2.3 JSON document. The image is the package the document DESCRIBES; it
 * CONTAINS every apk package and the app; packages DEPENDS_ON what their `D:` resolves to; the
 * app CONTAINS its files. The namespace ends in a hash of the document itself, so equal inputs
 * give equal bytes and different documents different namespaces.
 */




const NOASSERTION = 'NOASSERTION';
const NAMESPACE_BASE = 'https://witchery.dev/spdx';
const IMAGE_ID = 'SPDXRef-Image';
const APP_ID = 'SPDXRef-Application';
function spdxDocument(input) {
    const name = imageName(input.image);
    const ids = packageIds(input.packages);
    const licenseRefs = new LicenseRefs();
    const packages = [imagePackage(input)];
    for (const pkg of input.packages) {
        packages.push(apkPackage(pkg, ids.get(pkg.name), input, licenseRefs));
    }
    const files = input.app ? appFiles(input.app) : [];
    if (input.app)
        packages.push(appPackage(input.app));
    const relationships = [rel('SPDXRef-DOCUMENT', 'DESCRIBES', IMAGE_ID)];
    for (const pkg of input.packages) {
        relationships.push(rel(IMAGE_ID, 'CONTAINS', ids.get(pkg.name)));
    }
    if (input.app)
        relationships.push(rel(IMAGE_ID, 'CONTAINS', APP_ID));
    const graph = dependencyGraph(input.packages, input.world);
    for (const pkg of input.packages) {
        for (const dep of graph.depends.get(pkg.name) ?? []) {
            relationships.push(rel(ids.get(pkg.name), 'DEPENDS_ON', ids.get(dep)));
        }
    }
    for (const file of files)
        relationships.push(rel(APP_ID, 'CONTAINS', file.SPDXID));
    const document = {
        spdxVersion: 'SPDX-2.3',
        dataLicense: 'CC0-1.0',
        SPDXID: 'SPDXRef-DOCUMENT',
        name: `${name} ${input.image.arch}`,
        documentNamespace: '',
        creationInfo: {
            created: rfc3339(input.createdEpoch),
            creators: [`Tool: ${TOOL.name}-${TOOL.version}`],
            licenseListVersion: SPDX_LICENSE_LIST_VERSION
        },
        packages,
        files: files.length > 0 ? files : undefined,
        hasExtractedLicensingInfos: licenseRefs.all().length > 0
            ? licenseRefs
                .all()
                .sort((a, b) => compare(a.id, b.id))
                .map((ref) => ({ licenseId: ref.id, extractedText: ref.text, name: ref.text }))
            : undefined,
        relationships
    };
    // The namespace must be unique to this document: a hash of everything else in it.
    const hash = contentHash(documentBytes(document));
    document.documentNamespace = `${NAMESPACE_BASE}/${name}/${input.image.arch}-${hash}`;
    return documentBytes(document);
}
function rel(from, type, to) {
    return { spdxElementId: from, relationshipType: type, relatedSpdxElement: to };
}
/** `SPDXRef-Package-apk-NAME`, the name made an idstring, unique within the document. */
function packageIds(packages) {
    const ids = new Map();
    const used = new Set();
    for (const pkg of packages) {
        const base = `SPDXRef-Package-apk-${pkg.name.replace(/[^A-Za-z0-9.-]/g, '-')}`;
        let id = base;
        for (let n = 2; used.has(id); n++)
            id = `${base}-${n}`;
        used.add(id);
        ids.set(pkg.name, id);
    }
    return ids;
}
function imagePackage(input) {
    const { image } = input;
    return {
        SPDXID: IMAGE_ID,
        name: imageName(image),
        versionInfo: image.manifestDigest,
        downloadLocation: NOASSERTION,
        filesAnalyzed: false,
        checksums: [
            { algorithm: 'SHA256', checksumValue: image.manifestDigest.replace(/^sha256:/, '') }
        ],
        licenseConcluded: NOASSERTION,
        licenseDeclared: NOASSERTION,
        copyrightText: NOASSERTION,
        externalRefs: image.tags.map((tag) => ({
            referenceCategory: 'PACKAGE-MANAGER',
            referenceType: 'purl',
            referenceLocator: ociPurl(image, tag)
        })),
        primaryPackagePurpose: 'CONTAINER'
    };
}
function apkPackage(pkg, id, input, licenseRefs) {
    const license = licenseRefs.expressionOf(pkg.license);
    const maintainer = personOf(pkg.maintainer);
    const sha1 = checksumHex(pkg.checksum);
    return {
        SPDXID: id,
        name: pkg.name,
        versionInfo: pkg.version,
        supplier: maintainer ? spdxPerson(maintainer) : NOASSERTION,
        downloadLocation: NOASSERTION,
        filesAnalyzed: false,
        // apk's identity of the package: the SHA-1 of its control section (`C:` in the db).
        checksums: sha1 ? [{ algorithm: 'SHA1', checksumValue: sha1 }] : undefined,
        homepage: webUrl(pkg.url),
        sourceInfo: pkg.origin ? `built from the Alpine origin package ${pkg.origin}` : undefined,
        licenseConcluded: NOASSERTION,
        licenseDeclared: license ?? NOASSERTION,
        copyrightText: NOASSERTION,
        description: pkg.description || undefined,
        externalRefs: [
            {
                referenceCategory: 'PACKAGE-MANAGER',
                referenceType: 'purl',
                referenceLocator: apkPurl(pkg, input.image.arch, input.alpineVersion)
            }
        ]
    };
}
/** `Person: Name (email)`, the form SPDX gives for a supplier. */
function spdxPerson(person) {
    const name = person.name.replace(/[()]/g, '');
    return person.email ? `Person: ${name} (${person.email})` : `Person: ${name}`;
}
function appPackage(app) {
    return {
        SPDXID: APP_ID,
        name: app.name,
        downloadLocation: NOASSERTION,
        filesAnalyzed: true,
        packageVerificationCode: { packageVerificationCodeValue: verificationCode(app) },
        licenseConcluded: NOASSERTION,
        licenseDeclared: NOASSERTION,
        copyrightText: NOASSERTION,
        comment: `installed at ${app.dest}`,
        primaryPackagePurpose: 'APPLICATION'
    };
}
/** SPDX's package verification code: SHA-1 of the files' sorted SHA-1s, concatenated. */
function verificationCode(app) {
    const sums = app.files.map((f) => f.sha1).sort();
    return (0,external_node_crypto_.createHash)('sha1').update(sums.join('')).digest('hex');
}
function appFiles(app) {
    return [...app.files]
        .sort((a, b) => compare(a.path, b.path))
        .map((file, i) => ({
        SPDXID: `SPDXRef-File-app-${i + 1}`,
        fileName: `./${file.path}`,
        checksums: [
            { algorithm: 'SHA1', checksumValue: file.sha1 },
            { algorithm: 'SHA256', checksumValue: file.sha256 }
        ],
        licenseConcluded: NOASSERTION,
        copyrightText: NOASSERTION
    }));
}

;// CONCATENATED MODULE: ./src/assemble/sbom/sbom.ts
/**
 * SBOMs of a build: what goes into them is read from each root the way a scanner reads the image
 * (`lib/apk/db/installed`, `etc/apk/world`) plus the app's files; the documents are made once the
 * image digests are known, attached to the image as referrers and written beside the tarball.
 */









/** What a root's apk database says is installed, and the world it was asked for. */
async function readRootPackages(root) {
    const installed = await promises_.readFile(external_node_path_.join(root, 'lib/apk/db/installed'), 'utf8');
    const world = await promises_.readFile(external_node_path_.join(root, 'etc/apk/world'), 'utf8').catch(() => '');
    return {
        packages: (0,apk_engine/* parseInstalledDatabase */.pt)(installed),
        world: (0,apk_engine/* parseWorld */.yG)(world.split(/\s+/).filter((t) => t !== ''))
    };
}
/**
 * SHA-1 and SHA-256 of each regular file of the app layer, by image path. Files on disk are
 * hashed as a stream, so an app of any size costs no more memory than a read buffer.
 */
async function hashAppFiles(entries) {
    const files = [];
    for (const entry of entries) {
        if (entry.type !== 'file')
            continue;
        const sha1 = (0,external_node_crypto_.createHash)('sha1');
        const sha256 = (0,external_node_crypto_.createHash)('sha256');
        const chunks = entry.content !== undefined
            ? [entry.content]
            : entry.source
                ? (0,external_node_fs_.createReadStream)(entry.source)
                : [];
        for await (const chunk of chunks) {
            sha1.update(chunk);
            sha256.update(chunk);
        }
        files.push({ path: entry.path, sha1: sha1.digest('hex'), sha256: sha256.digest('hex') });
    }
    return files;
}
/** The documents of one architecture's image, in the formats asked for. */
function sbomDocuments(input, formats) {
    return formats.map((format) => ({
        arch: input.image.arch,
        format,
        mediaType: SBOM_MEDIA_TYPES[format],
        content: format === 'spdx' ? spdxDocument(input) : cyclonedxDocument(input)
    }));
}
/** `image.tar` \u{2192} `image.x86_64.spdx.json`, beside it. */
function sbomPath(tarball, arch, format) {
    const base = external_node_path_.basename(tarball).replace(/\.tar$/, '');
    return external_node_path_.join(external_node_path_.dirname(tarball), `${base}.${arch}.${SBOM_EXTENSIONS[format]}`);
}
/** The document's file name inside the image's referrer (its layer title). */
function sbomTitle(arch, format) {
    return `sbom.${arch}.${SBOM_EXTENSIONS[format]}`;
}

;// CONCATENATED MODULE: ./src/assemble/inputs.ts
/**
 * Action inputs \u{2192} BuildSpec. `readInputs` reads an env map the way @actions/core's getInput
 * does (`INPUT_<NAME>`, trimmed), so the runner, the CLI and tests all go through the same
 * parsing and validation. Every problem is an InputError that names the input and the fix.
 */











/**
 * The one table of inputs and their literal defaults. action.yml must agree with it (a test
 * checks), because the runner applies action.yml's defaults and direct callers get these.
 */
const INPUTS = {
    packages: { required: true, list: true },
    app: {},
    'app-dest': {},
    'elf-needs': { default: 'true' },
    'link-check': { default: 'error' },
    entrypoint: {},
    cmd: {},
    env: { list: true },
    workdir: {},
    user: { default: 'nonroot' },
    labels: { list: true },
    annotations: { list: true },
    tags: { list: true },
    branch: { default: 'latest-stable' },
    repositories: { list: true },
    'repository-auth': { list: true },
    keys: { list: true },
    'fetch-alpine-keys': { default: 'true' },
    'allow-untrusted': { default: 'false' },
    arch: { list: true },
    cache: { default: 'true' },
    'source-date-epoch': {},
    output: { default: 'image.tar' },
    lock: {},
    'lock-update': { default: 'false' },
    layers: { default: '8' },
    scripts: { default: 'native' },
    sbom: { default: 'spdx,cyclonedx', list: true }
};
/** The largest epoch a tar header holds (11 octal digits): 2242-03-16. */
const MAX_EPOCH = 0o77777777777;
/** `getInput` semantics over an env map, plus the table's default for an empty value. */
function getInput(env, name) {
    const value = (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
    if (value !== '')
        return value;
    const definition = INPUTS[name];
    return definition.default ?? '';
}
function readInputs(env = process.env, context = {}) {
    const workspace = env.GITHUB_WORKSPACE || process.cwd();
    const input = (name) => getInput(env, name);
    // Inputs that hold one path: a line break in one is a mistake, never part of a path.
    const onePath = (name) => oneLine(name, input(name));
    const packages = parsePackages(input('packages'));
    const arches = parseArches(input('arch'), context.hostArch ?? (0,src_arch/* hostArch */.LY)());
    const app = parseApp(onePath('app'), onePath('app-dest'), workspace, arches[0]);
    const sourceDateEpoch = parseEpoch(input('source-date-epoch'), env, context);
    const keys = parseKeys(input('keys'), workspace);
    const cache = parseBoolean('cache', input('cache'));
    const repositoryLines = splitLines(input('repositories')).map(({ line }) => line);
    return {
        packages,
        app: app?.spec,
        arches,
        repositories: parseRepositories(input('repositories'), input('branch'), workspace),
        credentials: parseCredentials(env, repositoryLines),
        keyFiles: keys.files,
        keyDirs: keys.dirs,
        fetchAlpineKeys: parseBoolean('fetch-alpine-keys', input('fetch-alpine-keys')),
        allowUntrusted: parseBoolean('allow-untrusted', input('allow-untrusted')),
        image: parseImage(env, input, onePath('workdir'), app, sourceDateEpoch),
        tags: parseTags(input('tags'), env.GITHUB_REPOSITORY),
        output: parseOutput(onePath('output'), workspace),
        sourceDateEpoch,
        cacheDir: cache ? external_node_path_.join(env.RUNNER_TEMP || external_node_os_.tmpdir(), 'witchery-cache') : undefined,
        lock: parseLockInput(onePath('lock'), input('lock-update'), workspace),
        layers: parseLayers(input('layers')),
        alpineKeysUrl: (env[variables/* ALPINE_KEYS_URL_VARIABLE */.E] ?? '').trim() || undefined,
        scripts: parseScripts(input('scripts')),
        elfNeeds: parseBoolean('elf-needs', input('elf-needs')),
        linkCheck: parseLinkCheck(input('link-check')),
        sbom: parseSbom(input('sbom'))
    };
}
function parseLockInput(file, update, workspace) {
    const updating = parseBoolean('lock-update', update);
    if (file === '') {
        if (updating) {
            throw new errors/* InputError */.dz('lock-update', 'is true but `lock` is not set; give the lock file too');
        }
        return undefined;
    }
    const resolved = external_node_path_.resolve(workspace, file);
    if (file.endsWith('/') || statPath('lock', file, resolved)?.isDirectory()) {
        throw new errors/* InputError */.dz('lock', `'${file}' is a folder; give the lock file's path, e.g. witchery.lock.json`);
    }
    return { path: resolved, update: updating };
}
/** The most layers Docker and containerd unpack without trouble is 127; the app takes one more. */
const MAX_LAYERS = 100;
function parseLayers(text) {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < 1 || value > MAX_LAYERS) {
        throw new errors/* InputError */.dz('layers', `'${text}' is not a number of layers from 1 to ${MAX_LAYERS}; 1 puts every package in one layer`);
    }
    return value;
}
/**
 * Every secret the inputs and variables hold, as the step log must never show it: the
 * credentials of `repositories` URLs, of `repository-auth` and its variable, and of the proxy
 * variables. Never throws: it runs before any input is checked, so a malformed line is masked
 * whole rather than parsed.
 */
function inputSecrets(env) {
    const secrets = new Set();
    const credentials = [];
    const repositories = splitLines(getInput(env, 'repositories')).map(({ line }) => line);
    credentials.push(...repositoryCredentials(repositories));
    const proxies = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'].map((n) => env[n] ?? '');
    credentials.push(...repositoryCredentials(proxies.filter((p) => p.includes('://'))));
    for (const proxy of proxies) {
        // Userinfo that is not one (an unencoded `/` in the password): masked whole, to the last @.
        const userinfo = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(\S*)@/.exec(proxy.trim())?.[1];
        if (userinfo !== undefined && userinfo.includes('/'))
            secrets.add(userinfo);
    }
    for (const text of authTexts(env)) {
        for (const { line } of splitLines(text)) {
            const given = /\s/.test(line) ? line.replace(/^\S+\s+/, '') : line;
            try {
                credentials.push(...parseAuthLines(line, 'x'));
            }
            catch {
                if (given !== '')
                    secrets.add(given);
            }
        }
    }
    for (const secret of credentialSecrets(credentials))
        secrets.add(secret);
    return [...secrets];
}
function authTexts(env) {
    return [getInput(env, 'repository-auth'), env[REPOSITORY_AUTH_VARIABLE] ?? ''];
}
/** `repository-auth` lines (input, then variable) and the credentials in repository URLs. */
function parseCredentials(env, repositoryLines) {
    const credentials = [];
    const sources = [
        [getInput(env, 'repository-auth'), 'input `repository-auth`'],
        [env[variables/* REPOSITORY_AUTH_VARIABLE */.l] ?? '', variables/* REPOSITORY_AUTH_VARIABLE */.l]
    ];
    for (const [text, source] of sources) {
        try {
            credentials.push(...(0,apk_engine/* parseAuthLines */.zx)(text, source));
        }
        catch (error) {
            throw new errors/* InputError */.dz('repository-auth', error.message);
        }
    }
    credentials.push(...(0,apk_engine/* repositoryCredentials */.p_)(repositoryLines));
    try {
        // Two different credentials for one host and path cannot both be sent.
        new apk_engine/* RepositoryAuth */.Xs(credentials);
    }
    catch (error) {
        throw new errors/* InputError */.dz('repository-auth', error.message);
    }
    return credentials;
}
function parseScripts(text) {
    if (text === 'native' || text === 'none')
        return text;
    throw new errors/* InputError */.dz('scripts', `'${text}' is not a scripts mode; use native (apply what install scripts' account and ` +
        'busybox idioms leave) or none (run nothing, as apk --no-scripts)');
}
function parseLinkCheck(text) {
    const mode = LINK_CHECK_MODES.find((m) => m === text);
    if (mode)
        return mode;
    throw new errors/* InputError */.dz('link-check', `'${text}' is not a link check mode; use error (fail the build), warn or off`);
}
/** `spdx`, `cyclonedx`, both (in any order, each once), or `none`. */
function parseSbom(text) {
    const words = splitList(text).map((w) => w.toLowerCase());
    const fix = 'use spdx, cyclonedx, both (spdx,cyclonedx) or none';
    if (words.length === 1 && words[0] === 'none')
        return [];
    if (words.length === 0)
        throw new errors/* InputError */.dz('sbom', `is empty; ${fix}`);
    for (const word of words) {
        if (!SBOM_FORMATS.includes(word)) {
            const none = word === 'none' ? ' (none cannot be combined with a format)' : '';
            throw new errors/* InputError */.dz('sbom', `'${word}' is not an SBOM format${none}; ${fix}`);
        }
    }
    return SBOM_FORMATS.filter((format) => words.includes(format));
}
/** Whether the build epoch must come from the commit: no input and no SOURCE_DATE_EPOCH. */
function needsCommitEpoch(env) {
    return getInput(env, 'source-date-epoch') === '' && (env.SOURCE_DATE_EPOCH ?? '').trim() === '';
}
/** Splits a list input on whitespace, newlines and commas. */
function splitList(text) {
    return text.split(/[\s,]+/).filter((t) => t !== '');
}
/** Lines of a multiline input, without blank lines and `#` comments. */
function splitLines(text) {
    return text
        .split(/\r?\n/)
        .map((line, i) => ({ line: line.trim(), number: i + 1 }))
        .filter(({ line }) => line !== '' && !line.startsWith('#'));
}
function parsePackages(text) {
    const tokens = splitList(text);
    if (tokens.length === 0) {
        throw new errors/* InputError */.dz('packages', 'no packages given; name at least one Alpine package, e.g. `packages: ca-certificates-bundle`');
    }
    for (const token of tokens) {
        try {
            (0,apk_engine/* parseDependency */.d6)(token);
        }
        catch (error) {
            throw new errors/* InputError */.dz('packages', `'${token}' is not a package name or apk constraint (${error.message}); ` +
                'write names like `curl`, `libssl3>=3.3`, `so:libz.so.1` or `!busybox`');
        }
    }
    return tokens;
}
function parseArches(text, fallback) {
    const names = splitList(text);
    const arches = [];
    for (const name of names.length > 0 ? names : [fallback]) {
        const arch = (0,src_arch/* findArch */.YM)(name);
        if (!arch) {
            const what = names.length > 0
                ? `unknown architecture '${name}'`
                : `the runner's architecture '${name}' is not one Alpine builds for`;
            throw new errors/* InputError */.dz('arch', `${what}; use one of ${(0,src_arch/* archNames */.HS)()}`);
        }
        if (!arches.includes(arch.apk))
            arches.push(arch.apk);
    }
    return arches;
}
function parseBoolean(name, text) {
    if (['true', 'True', 'TRUE'].includes(text))
        return true;
    if (['false', 'False', 'FALSE'].includes(text))
        return false;
    throw new errors/* InputError */.dz(name, `'${text}' is not a boolean; use true or false`);
}
function parseApp(source, dest, workspace, firstArch) {
    if (source === '') {
        if (dest !== '')
            throw new errors/* InputError */.dz('app-dest', 'is set but `app` is not; give the app too');
        return undefined;
    }
    const resolved = external_node_path_.resolve(workspace, source);
    // A missing app is the build's to report (with how to build it); assume a file meanwhile.
    const stat = statPath('app', source, resolved.replaceAll('{arch}', firstArch));
    const kind = stat?.isDirectory() ? 'folder' : 'file';
    const name = appFileName(resolved);
    const defaultDest = kind === 'folder' ? '/app' : `/usr/bin/${name}`;
    // A file's `app-dest` ending in / is the folder it goes in, under its own name (as COPY does).
    const given = kind === 'file' && dest.endsWith('/') ? `${dest}${name}` : dest;
    return {
        spec: { source: resolved, dest: absoluteImagePath('app-dest', given || defaultDest) },
        kind
    };
}
/** The app's file name in the image: `{arch}` dropped, so every arch lands at one path. */
function appFileName(source) {
    const name = external_node_path_.basename(source)
        .replaceAll('{arch}', '')
        .replace(/^[-_.]+|[-_.]+$/g, '');
    return name || 'app';
}
function absoluteImagePath(input, value) {
    if (!value.startsWith('/')) {
        throw new errors/* InputError */.dz(input, `'${value}' is not an absolute path in the image; start it with /`);
    }
    const normalized = external_node_path_.posix.normalize(value).replace(/(.)\/+$/, '$1');
    if (normalized === '/' && input === 'app-dest') {
        throw new errors/* InputError */.dz(input, 'the app cannot replace the image root; give a folder such as /app');
    }
    return normalized;
}
function parseEpoch(text, env, context) {
    if (text !== '')
        return epochFrom(text, 'input `source-date-epoch`');
    const fromEnv = (env.SOURCE_DATE_EPOCH ?? '').trim();
    if (fromEnv !== '')
        return epochFrom(fromEnv, 'environment variable SOURCE_DATE_EPOCH');
    return context.commitEpoch?.() ?? 0;
}
function epochFrom(text, where) {
    const seconds = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(seconds)) {
        throw new errors/* InputError */.dz('source-date-epoch', `${where} is '${text}', not a number of seconds since 1970; use e.g. 1700000000 or leave it empty for the commit time`);
    }
    if (seconds > MAX_EPOCH) {
        throw new errors/* InputError */.dz('source-date-epoch', `${where} is ${text}, past ${MAX_EPOCH} (${rfc3339(MAX_EPOCH)}), the last time a tar header can hold; use a time in seconds, not milliseconds`);
    }
    return seconds;
}
function parseKeys(text, workspace) {
    const files = [];
    const dirs = [];
    for (const { line } of splitLines(text)) {
        const resolved = external_node_path_.resolve(workspace, line);
        const stat = statPath('keys', line, resolved);
        if (!stat) {
            throw new errors/* InputError */.dz('keys', `'${line}' does not exist; give PEM public key files or folders of them, one per line (relative to the workspace)`);
        }
        ;
        (stat.isDirectory() ? dirs : files).push(resolved);
    }
    return { files, dirs };
}
function parseRepositories(text, branch, workspace) {
    const lines = splitLines(text);
    if (lines.length === 0)
        return (0,apk_engine/* alpineRepositories */.UM)(parseBranch(branch));
    return lines.map(({ line }, i) => parseRepositoryLine(line, i, workspace));
}
function parseBranch(branch) {
    if (/^(?:latest-stable|edge|v\d+\.\d+)$/.test(branch))
        return branch;
    throw new errors/* InputError */.dz('branch', `'${branch}' is not an Alpine branch; use latest-stable, edge or vX.Y (e.g. v3.22), or give \`repositories\``);
}
/**
 * `[@tag ]URL-or-path`, checked by the engine's own parser; a relative path is taken from the
 * workspace rather than the current directory.
 */
function parseRepositoryLine(line, index, workspace) {
    // Credentials go to spec.credentials; the repository is known by its public URL only.
    const written = (0,apk_engine/* publicUrl */.x6)(line);
    const match = /^(@\S+\s+)?(\S+)$/.exec(written);
    if (match && match[1] === undefined && match[2].startsWith('@')) {
        throw new errors/* InputError */.dz('repositories', `line '${written}' has a tag but no repository; write the tag, a space and the URL or path (e.g. @testing https://dl-cdn.alpinelinux.org/alpine/edge/testing)`);
    }
    const isPath = match !== null && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(match[2]);
    const resolved = match && isPath ? `${match[1] ?? ''}${external_node_path_.resolve(workspace, match[2])}` : written;
    try {
        (0,apk_engine/* parseRepository */.SU)(resolved, index);
    }
    catch (error) {
        throw new errors/* InputError */.dz('repositories', error.message);
    }
    return resolved;
}
function parseImage(env, input, workdir, app, epoch) {
    const entrypoint = parseCommand('entrypoint', input('entrypoint'));
    const defaultEntrypoint = app?.kind === 'file' ? [app.spec.dest] : undefined;
    return {
        entrypoint: entrypoint === undefined ? defaultEntrypoint : emptyToUndefined(entrypoint),
        cmd: emptyToUndefined(parseCommand('cmd', input('cmd'))),
        env: parseEnv(input('env')),
        workdir: workdir === '' ? undefined : absoluteImagePath('workdir', workdir),
        user: parseUser(input('user')),
        labels: parsePairs('labels', input('labels')),
        annotations: {
            ...defaultAnnotations(env, epoch),
            ...parsePairs('annotations', input('annotations'))
        }
    };
}
function emptyToUndefined(words) {
    return words && words.length > 0 ? words : undefined;
}
/**
 * A command as a JSON array (`["/app", "--serve"]`) or as words split on whitespace, where
 * '\u{2026}' and "\u{2026}" group words. No shell semantics: no escapes, variables or globs.
 */
function parseCommand(input, text) {
    if (text === '')
        return undefined;
    if (text.startsWith('['))
        return parseJsonCommand(input, text);
    const words = [];
    let word = '';
    let inWord = false;
    let quote;
    for (const ch of text) {
        if (quote !== undefined) {
            if (ch === quote)
                quote = undefined;
            else
                word += ch;
        }
        else if (ch === '"' || ch === "'") {
            quote = ch;
            inWord = true;
        }
        else if (/\s/.test(ch)) {
            if (inWord)
                words.push(word);
            word = '';
            inWord = false;
        }
        else {
            word += ch;
            inWord = true;
        }
    }
    if (quote !== undefined) {
        throw new errors/* InputError */.dz(input, `unterminated ${quote} in '${text}'; close the quote, or give a JSON array such as ["/app", "--flag"]`);
    }
    if (inWord)
        words.push(word);
    return words;
}
function parseJsonCommand(input, text) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch (error) {
        throw new errors/* InputError */.dz(input, `looks like a JSON array but does not parse (${error.message}); write e.g. ["/app", "--serve"]`);
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw new errors/* InputError */.dz(input, `must be a JSON array of strings, e.g. ["/app", "--serve"]`);
    }
    return value;
}
function parseEnv(text) {
    return splitLines(text).map(({ line, number }) => {
        const eq = line.indexOf('=');
        const name = eq < 0 ? line : line.slice(0, eq);
        if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            throw new errors/* InputError */.dz('env', `line ${number} '${line}' is not NAME=value; write one variable per line, e.g. LOG_LEVEL=info`);
        }
        return line;
    });
}
function parsePairs(input, text) {
    const pairs = {};
    for (const { line, number } of splitLines(text)) {
        const eq = line.indexOf('=');
        const key = eq < 0 ? '' : line.slice(0, eq).trim();
        if (key === '' || /\s/.test(key)) {
            throw new errors/* InputError */.dz(input, `line ${number} '${line}' is not key=value; write one per line, e.g. org.opencontainers.image.title=app`);
        }
        pairs[key] = line.slice(eq + 1).trim();
    }
    return pairs;
}
function parseUser(user) {
    if (/^(?:\d+(?::\d+)?|[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?)$/.test(user)) {
        return user;
    }
    throw new errors/* InputError */.dz('user', `'${user}' is not a user; use nonroot, root, a uid or uid:gid`);
}
/** OCI annotations every image gets unless the `annotations` input sets them. */
function defaultAnnotations(env, epoch) {
    const annotations = {};
    if (env.GITHUB_REPOSITORY) {
        const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
        annotations['org.opencontainers.image.source'] = `${server}/${env.GITHUB_REPOSITORY}`;
    }
    if (env.GITHUB_SHA)
        annotations['org.opencontainers.image.revision'] = env.GITHUB_SHA;
    annotations['org.opencontainers.image.created'] = rfc3339(epoch);
    return annotations;
}
function parseTags(text, repository) {
    const given = splitList(text);
    const refs = given.length > 0 ? given : [`${defaultImageName(repository)}:latest`];
    const tags = [];
    for (const ref of refs) {
        const tag = normalizeTag(ref);
        if (!tags.includes(tag))
            tags.push(tag);
    }
    return tags;
}
/** Checks an image reference and gives it `:latest` when it names no tag. */
function normalizeTag(ref) {
    const fix = 'write e.g. ghcr.io/owner/app:1.0 (lowercase repository, optional registry and tag)';
    if (ref.includes('@')) {
        throw new errors/* InputError */.dz('tags', `'${ref}' has a digest; a tag names the image, give name:tag; ${fix}`);
    }
    let parsed;
    try {
        if (ref.length > 255)
            throw new Error('it is longer than 255 characters');
        parsed = parseImageRef(ref);
    }
    catch (error) {
        const reason = error.message;
        throw new errors/* InputError */.dz('tags', `'${ref}' is not an image reference; ${fix} (${reason})`);
    }
    return `${parsed.name}:${parsed.tag}`;
}
/** The repository's name, made a valid image name (`Owner/My.Repo` \u{2192} `my.repo`). */
function defaultImageName(repository) {
    const name = (repository ?? '')
        .slice((repository ?? '').indexOf('/') + 1)
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/[._-]{2,}/g, '-')
        .replace(/^[._-]+|[._-]+$/g, '');
    return PATH_COMPONENT.test(name) ? name : 'witchery';
}
/** The nearest existing ancestor of `target` when it is not a folder (so nothing goes under it). */
function fileAbove(target) {
    for (let dir = external_node_path_.dirname(target);; dir = external_node_path_.dirname(dir)) {
        // One that cannot be looked at is left to the caller's own look, which names the input.
        const stat = statOrUndefined(dir);
        if (stat)
            return stat.isDirectory() ? undefined : dir;
        if (external_node_path_.dirname(dir) === dir)
            return undefined;
    }
}
function statOrUndefined(file) {
    try {
        return external_node_fs_.statSync(file, { throwIfNoEntry: false });
    }
    catch {
        return undefined;
    }
}
/**
 * What is at a path input's path (`given` as written, `resolved` from the workspace): undefined
 * when nothing is. A path under a file, or one this job cannot look at, is the input's error.
 */
function statPath(input, given, resolved) {
    const file = fileAbove(resolved);
    if (file) {
        throw new errors/* InputError */.dz(input, `'${given}' lies under ${file}, which is a file, not a folder; give a path in a folder`);
    }
    try {
        return external_node_fs_.statSync(resolved, { throwIfNoEntry: false });
    }
    catch (error) {
        throw new errors/* InputError */.dz(input, `cannot look at '${given}': ${error.message}; give a path this job can read`);
    }
}
/** A one-line input's value; a line break or other control character in it is refused. */
function oneLine(input, value) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) {
        throw new errors/* InputError */.dz(input, `${JSON.stringify(value)} holds a line break or another control character; give one ` +
            'path, on one line');
    }
    return value;
}
function parseOutput(text, workspace) {
    if (text.endsWith('/')) {
        throw new errors/* InputError */.dz('output', `'${text}' is a folder; give the tarball's file path, e.g. image.tar`);
    }
    const resolved = external_node_path_.resolve(workspace, text);
    if (statPath('output', text, resolved)?.isDirectory()) {
        throw new errors/* InputError */.dz('output', `'${text}' is an existing folder; give a file path, e.g. image.tar`);
    }
    return resolved;
}

// EXTERNAL MODULE: ./src/files.ts
var files = __webpack_require__(148);
// EXTERNAL MODULE: ./src/temp.ts
var temp = __webpack_require__(369);
;// CONCATENATED MODULE: ./src/oci/archive.ts
/**
 * The OCI archive file, written front to back in one go: a layer blob streams straight into it
 * as it is compressed, and its tar header, which needs the digest and size known only at the
 * end, is written afterwards into the block kept for it. Nothing is staged and copied again.
 */




const archive_BLOCK = 512;
class ArchiveWriter {
    handle;
    mtime;
    position = 0;
    paths = new Set();
    constructor(handle, mtime) {
        this.handle = handle;
        this.mtime = mtime;
    }
    /**
     * Creates `path` for an archive whose entries all carry `mtime`: made new, never written
     * through a file or link already at that name.
     */
    static async create(path, mtime) {
        const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = external_node_fs_.constants;
        return new ArchiveWriter(await promises_.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644), mtime);
    }
    /** Whether an entry of this path was written (blobs named by digest are written once). */
    has(path) {
        return this.paths.has(path);
    }
    async directory(path) {
        this.paths.add(path);
        await this.append(encodeHeader(this.header(path, 'directory', 0o755, 0)));
    }
    async file(path, content) {
        if (this.paths.has(path))
            return;
        this.paths.add(path);
        await this.append(encodeHeader(this.header(path, 'file', 0o644, content.length)));
        await this.append(content);
        await this.append(padding(content.length));
    }
    /**
     * A file whose bytes `produce` writes, and whose name it returns once they are all written
     * (a blob's name is its digest). A blob already in the archive is cut off again.
     */
    async blob(produce) {
        const start = this.position;
        this.position += archive_BLOCK;
        const path = await produce((chunk) => this.append(chunk));
        const size = this.position - start - archive_BLOCK;
        if (this.paths.has(path)) {
            await this.handle.truncate(start);
            this.position = start;
            return size;
        }
        const header = encodeHeader(this.header(path, 'file', 0o644, size));
        if (header.length !== archive_BLOCK) {
            throw new ImageSpecError(`blob '${path}' is ${size} bytes, more than a tar header written in place can hold (8 GiB); split the image into smaller layers`);
        }
        await this.writeAt(header, start);
        this.paths.add(path);
        await this.append(padding(size));
        return size;
    }
    /** Ends the archive and closes the file; returns its size. */
    async close() {
        await this.append(END_OF_ARCHIVE);
        await this.handle.close();
        return this.position;
    }
    /** Closes the file after a failure (the caller removes it). */
    async abandon() {
        await this.handle.close().catch(() => undefined);
    }
    header(path, type, mode, size) {
        return { path, type, mode, uid: 0, gid: 0, size, mtime: this.mtime };
    }
    async append(bytes) {
        await this.writeAt(bytes, this.position);
        this.position += bytes.length;
    }
    /** A write may take part of the buffer only: the rest is written too. */
    async writeAt(bytes, position) {
        let at = 0;
        while (at < bytes.length) {
            const { bytesWritten } = await this.handle.write(bytes, at, bytes.length - at, position + at);
            at += bytesWritten;
        }
    }
}

// EXTERNAL MODULE: ./src/apk/install/paths.ts
var paths = __webpack_require__(318);
;// CONCATENATED MODULE: ./src/oci/entries.ts
/**
 * Turns the entries of a layer into the order a tar extractor needs: checked paths, every parent
 * directory present, hardlinks after the file they point at, all sorted bytewise by path so the
 * layer is the same whatever order the caller listed it in.
 */




function normalizeEntries(entries, options = {}) {
    const byPath = new Map();
    for (const entry of entries) {
        checkEntry(entry);
        if (byPath.has(entry.path)) {
            throw new ImageSpecError(`the layer lists '${entry.path}' twice; give each path once per layer`);
        }
        byPath.set(entry.path, entry);
    }
    addParents(byPath, options);
    orderHardlinks(byPath);
    return sortByPath([...byPath.values()]);
}
/**
 * A character at or past U+D800 in UTF-16: up to there, JS's string order (UTF-16 code units) is
 * the order of the UTF-8 bytes.
 */
const PAST_UTF8_ORDER = /[\ud800-\uffff]/;
/** Bytewise by path; a parent is a prefix of its children, so it always comes first. */
function sortByPath(entries) {
    // Nearly always so: the strings compared as they are, where a UTF-8 key for each entry cost
    // 13 MiB for a layer of 80,000 files.
    if (!entries.some((entry) => PAST_UTF8_ORDER.test(entry.path))) {
        return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }
    const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.path, 'utf8') }));
    keyed.sort((a, b) => Buffer.compare(a.key, b.key));
    return keyed.map((k) => k.entry);
}
/** Throws for a path or field a tar extractor would misread or that would leave the root. */
function checkEntry(entry) {
    checkPath(entry.path, 'path');
    if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) {
        throw new ImageSpecError(`'${entry.path}' has mode ${entry.mode}; give permission bits between 0 and 0o7777`);
    }
    for (const [field, id] of [
        ['uid', entry.uid],
        ['gid', entry.gid]
    ]) {
        if (!Number.isSafeInteger(id) || id < 0) {
            throw new ImageSpecError(`'${entry.path}' has ${field} ${id}; give a non-negative integer`);
        }
    }
    if (entry.mtime !== undefined && (!Number.isSafeInteger(entry.mtime) || entry.mtime < 0)) {
        throw new ImageSpecError(`'${entry.path}' has mtime ${entry.mtime}; give whole seconds since 1970, or none`);
    }
    for (const name of entry.xattrs?.keys() ?? []) {
        const reason = (0,paths/* xattrNameProblem */.CN)(name);
        if (reason)
            throw new ImageSpecError(`'${entry.path}' has an extended attribute ${reason}`);
    }
    if (entry.type === 'symlink')
        checkLinkname(entry, 'symlink');
    if (entry.type === 'hardlink') {
        checkLinkname(entry, 'hardlink');
        checkPath(entry.linkname, `hardlink target of '${entry.path}'`);
    }
    if (entry.type === 'file' && (entry.source === undefined) === (entry.content === undefined)) {
        throw new ImageSpecError(`file '${entry.path}' needs exactly one of source (a host path) or content (bytes)`);
    }
}
function checkLinkname(entry, kind) {
    if (!entry.linkname || entry.linkname.includes('\0')) {
        throw new ImageSpecError(`${kind} '${entry.path}' needs a target without NUL bytes`);
    }
}
function checkPath(p, what) {
    const fix = 'paths are relative to the image root, like usr/bin/app';
    if (p === '' || p.includes('\0') || p.startsWith('/') || p.endsWith('/')) {
        throw new ImageSpecError(`${what} '${p}' is not a clean relative path; ${fix}`);
    }
    for (const part of p.split('/')) {
        if (part === '..')
            throw new ImagePathError(`${what} '${p}' climbs out of the image root`);
        if (part === '' || part === '.') {
            throw new ImageSpecError(`${what} '${p}' has an empty or '.' part; ${fix}`);
        }
        if (part.startsWith(paths/* WHITEOUT */.Ic)) {
            throw new ImageSpecError(`${what} '${p}' has a part named ${paths/* WHITEOUT */.Ic}\u2026, which in a layer deletes what lower ` +
                'layers hold (an OCI whiteout); rename it');
        }
    }
}
function addParents(byPath, options) {
    for (const entry of [...byPath.values()]) {
        let child = entry.path;
        for (let cut = child.lastIndexOf('/'); cut > 0; cut = child.lastIndexOf('/')) {
            const parent = child.slice(0, cut);
            const existing = byPath.get(parent);
            if (existing) {
                if (existing.type !== 'directory') {
                    throw new ImageSpecError(`'${entry.path}' is under '${parent}', which this layer makes a ${existing.type}`);
                }
                break;
            }
            byPath.set(parent, parentEntry(parent, options));
            child = parent;
        }
    }
}
function parentEntry(parent, options) {
    const inherited = options.parentDir?.(parent);
    if (inherited && inherited.type !== 'directory') {
        // A folder here would replace it once unpacked (bin -> usr/bin becoming a folder of one file).
        let fix = 'give a path in another folder';
        if (inherited.type === 'symlink') {
            const link = inherited.linkname ?? '';
            const target = link.startsWith('/') ? link : `/${external_node_path_.posix.join(external_node_path_.posix.dirname(parent), link)}`;
            fix = `give a path under its target, ${external_node_path_.posix.normalize(target)} (for the app: \`app-dest\`)`;
        }
        throw new ImageSpecError(`'/${parent}' is a ${inherited.type} in a lower layer, and a folder in this layer would ` +
            `replace it; ${fix}`);
    }
    if (inherited) {
        return {
            path: parent,
            type: 'directory',
            mode: inherited.mode,
            uid: inherited.uid,
            gid: inherited.gid,
            xattrs: inherited.xattrs,
            mtime: inherited.mtime
        };
    }
    return { path: parent, type: 'directory', mode: 0o755, uid: 0, gid: 0 };
}
/**
 * Extractors create a hardlink by linking to a path they already wrote, so in sorted order the
 * first path of each group of links must carry the content. That path becomes the file (with
 * the target's owner, mode and content: they share one inode) and every other path links to it.
 */
function orderHardlinks(byPath) {
    const groups = new Map();
    for (const entry of byPath.values()) {
        if (entry.type !== 'hardlink')
            continue;
        const target = resolveHardlink(entry, byPath);
        const group = groups.get(target) ?? [target];
        group.push(entry.path);
        groups.set(target, group);
    }
    for (const [target, paths] of groups) {
        const file = byPath.get(target);
        const first = [...paths].sort(compareBytes)[0];
        for (const p of paths) {
            if (p === first) {
                byPath.set(p, { ...file, path: p });
            }
            else {
                byPath.set(p, {
                    path: p,
                    type: 'hardlink',
                    mode: file.mode,
                    uid: file.uid,
                    gid: file.gid,
                    linkname: first,
                    mtime: file.mtime
                });
            }
        }
    }
}
/** Follows a chain of hardlinks to the regular file at its end, in this layer. */
function resolveHardlink(entry, byPath) {
    const seen = new Set([entry.path]);
    let target = entry.linkname;
    for (;;) {
        const next = byPath.get(target);
        if (!next || (next.type !== 'file' && next.type !== 'hardlink')) {
            throw new ImageSpecError(`hardlink '${entry.path}' points at '${target}', which is not a regular file in the ` +
                'same layer; a layer can only link to its own files');
        }
        if (next.type === 'file')
            return target;
        if (seen.has(target)) {
            throw new ImageSpecError(`hardlink '${entry.path}' is part of a loop of hardlinks`);
        }
        seen.add(target);
        target = next.linkname;
    }
}

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __webpack_require__(522);
// EXTERNAL MODULE: ./src/crc32.ts
var crc32 = __webpack_require__(80);
;// CONCATENATED MODULE: ./src/oci/parallel-gzip.ts
/**
 * gzip on every core, with the same bytes on every run (the scheme of pigz): the input is cut
 * into blocks at fixed offsets, each block is deflated on its own in libuv's thread pool, primed
 * with the 32 KiB of input before it (so the ratio barely suffers) and ended with a sync flush
 * (so the blocks join into one deflate stream); the last block ends the stream. The output is
 * one ordinary gzip member. The bytes depend on the input, the level, BLOCK and the zlib that
 * Node bundles, never on timing or the number of cores.
 */





/** Input bytes per independently deflated block. Changing it changes every layer digest. */
const parallel_gzip_BLOCK = 256 * 1024;
/** Deflate's window: the history each block is primed with. */
const WINDOW = 32 * 1024;
const deflateRaw = (0,external_node_util_.promisify)(external_node_zlib_.deflateRaw);
/** Blocks compressing at once: enough to keep every core busy, few enough to bound memory. */
function defaultInFlight() {
    const cores = typeof external_node_os_.availableParallelism === 'function' ? external_node_os_.availableParallelism() : 2;
    return Math.max(2, cores * 2);
}
/**
 * The gzip header zlib writes for a stream with no name, no mtime and the OS byte pinned to
 * Unix (zlib writes the build platform's: 3 on Linux, 19 on macOS, 10 on Windows).
 */
function gzipHeader(level) {
    // zlib's XFL: 2 for the slowest level, 4 for the fastest ones.
    const xfl = level === 9 ? 2 : level < 2 ? 4 : 0;
    return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}
class ParallelGzip {
    level;
    sink;
    inFlight;
    block = Buffer.allocUnsafe(parallel_gzip_BLOCK);
    filled = 0;
    /** The last WINDOW bytes of the previous block: the next block's dictionary. */
    history;
    /**
     * Where the history is kept, reused for every block: zlib copies a dictionary when the
     * deflate is set up, before deflateRaw returns, so it may be overwritten right after.
     */
    window = Buffer.allocUnsafe(WINDOW);
    pending = [];
    /** Blocks whose deflate is done, filled again instead of allocating new ones. */
    spare = [];
    crc = 0;
    size = 0;
    started = false;
    constructor(level, sink, inFlight = defaultInFlight()) {
        this.level = level;
        this.sink = sink;
        this.inFlight = inFlight;
    }
    /** Takes `chunk` (copied: the caller may reuse it); resolves once it may send more. */
    async write(chunk) {
        this.crc = (0,crc32/* crc32 */.Q)(chunk, this.crc);
        this.size += chunk.length;
        let at = 0;
        while (at < chunk.length) {
            const n = Math.min(parallel_gzip_BLOCK - this.filled, chunk.length - at);
            chunk.copy(this.block, this.filled, at, at + n);
            this.filled += n;
            at += n;
            if (this.filled === parallel_gzip_BLOCK)
                await this.dispatch(false);
        }
    }
    /** Deflates what is left, ends the stream and sends the trailer. */
    async end() {
        await this.dispatch(true);
        while (this.pending.length > 0)
            await this.emitNext();
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32LE(this.crc, 0);
        trailer.writeUInt32LE(this.size % 0x100000000, 4);
        await this.emit(trailer);
    }
    async dispatch(last) {
        const input = this.block.subarray(0, this.filled);
        const options = {
            level: this.level,
            finishFlush: last ? external_node_zlib_.constants.Z_FINISH : external_node_zlib_.constants.Z_SYNC_FLUSH
        };
        if (this.history !== undefined)
            options.dictionary = this.history;
        const result = deflateRaw(input, options);
        // Kept from rejecting unobserved while earlier blocks are awaited; rethrown when its turn comes.
        result.catch(() => undefined);
        this.pending.push({ deflated: result, block: this.block });
        if (!last) {
            input.copy(this.window, 0, input.length - WINDOW);
            this.history = this.window;
            this.block = this.spare.pop() ?? Buffer.allocUnsafe(parallel_gzip_BLOCK);
            this.filled = 0;
        }
        while (this.pending.length >= this.inFlight)
            await this.emitNext();
    }
    /** Sends the oldest block's output once deflated; its input block is free again. */
    async emitNext() {
        const { deflated, block } = this.pending.shift();
        const bytes = await deflated;
        this.spare.push(block);
        await this.emit(bytes);
        // The deflate's output pieces and the buffer they were joined into.
        (0,released_memory/* letGo */.Ko)(2 * bytes.length);
    }
    async emit(bytes) {
        if (!this.started) {
            this.started = true;
            await this.sink(gzipHeader(this.level));
        }
        if (bytes.length > 0)
            await this.sink(bytes);
    }
}

;// CONCATENATED MODULE: ./src/oci/layer.ts
/**
 * Writes one layer blob in a single pass: the tar stream is hashed (diff_id) on its way into
 * gzip, which deflates blocks on every core (parallel-gzip.ts), and the gzip stream is hashed
 * (digest) on its way into the archive. No byte is read twice.
 */



/**
 * zlib's own default. Measured on 52 MB of libraries, binaries and docs (2 shared cores, whole
 * writeImage): level 1 took 1.2 s (43 MB/s) for a blob of 39.6%, level 6 1.6 s (33 MB/s) for
 * 36.5%, level 9 5.3 s (10 MB/s) for 36.4%. 6 is 8% smaller than 1 for a third more time; 9 buys
 * nothing. Layers are pulled far more often than they are built.
 */
const DEFAULT_GZIP_LEVEL = 6;
/**
 * Writes the tar of `entries` (already normalized and ordered), gzipped, into `archive` as
 * `blobs/sha256/<hex digest>`, and returns its digests and sizes.
 */
async function writeLayer(entries, archive, options) {
    const tarHash = (0,external_node_crypto_.createHash)('sha256');
    const gzipHash = (0,external_node_crypto_.createHash)('sha256');
    let uncompressedSize = 0;
    let hex = '';
    const size = await archive.blob(async (write) => {
        const gzip = new ParallelGzip(options.gzipLevel, async (chunk) => {
            gzipHash.update(chunk);
            await write(chunk);
        });
        // Each chunk is hashed and copied into the gzip's block before the next is asked for.
        for await (const chunk of tarChunks(entries, options.mtime)) {
            tarHash.update(chunk);
            uncompressedSize += chunk.length;
            await gzip.write(chunk);
        }
        await gzip.end();
        hex = gzipHash.digest('hex');
        return `blobs/sha256/${hex}`;
    });
    return {
        digest: `sha256:${hex}`,
        diffId: `sha256:${tarHash.digest('hex')}`,
        size,
        uncompressedSize,
        entries: entries.length
    };
}

;// CONCATENATED MODULE: ./src/oci/referrers.ts
/**
 * Referrers: documents about an image (an SBOM, a signature) stored beside it in the layout as
 * OCI 1.1 artifact manifests. Each is an image manifest whose `artifactType` names the document,
 * whose config is the empty descriptor (`{}`), whose one layer is the document, and whose
 * `subject` is the manifest it describes. They are listed in the layout's index.json without a
 * `org.opencontainers.image.ref.name`, so a tag still names only the image, while tools that copy
 * a layout with its referrers find them there.
 */


/** The empty JSON object, the config of an artifact manifest (image-spec 1.1 "empty descriptor"). */
const EMPTY_CONFIG = { mediaType: 'application/vnd.oci.empty.v1+json', bytes: '{}' };
/** A media type as RFC 6838 allows (`type/subtype`, restricted name characters). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
/** Writes each referrer's document, config and manifest; returns them in the order given. */
async function writeReferrers(specs, subjects, writeBlob) {
    const written = [];
    for (const spec of specs) {
        const subject = subjects[spec.subject];
        if (!subject) {
            throw new ImageSpecError(`a referrer names platform ${spec.subject}, but the image has ${subjects.length}`);
        }
        if (!MEDIA_TYPE.test(spec.artifactType)) {
            throw new ImageSpecError(`artifact type '${spec.artifactType}' is not a media type such as application/spdx+json`);
        }
        const config = await writeBlob(EMPTY_CONFIG.mediaType, Buffer.from(EMPTY_CONFIG.bytes));
        const layer = await writeBlob(spec.artifactType, spec.content);
        const title = spec.title && { 'org.opencontainers.image.title': spec.title };
        const manifest = await writeBlob(MEDIA_TYPES.manifest, artifactManifest({
            artifactType: spec.artifactType,
            config,
            layer: { ...layer, annotations: title || undefined },
            subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
            annotations: spec.annotations
        }));
        written.push({
            subject: subject.digest,
            artifactType: spec.artifactType,
            digest: manifest.digest,
            documentDigest: layer.digest,
            descriptor: {
                ...manifest,
                artifactType: spec.artifactType,
                annotations: sortedRecord(spec.annotations)
            }
        });
    }
    return written;
}
/** An image manifest used for an artifact, keys in image-spec's Manifest struct order. */
function artifactManifest(parts) {
    const plain = (d) => ({
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        annotations: sortedRecord(d.annotations)
    });
    return json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        artifactType: parts.artifactType,
        config: plain(parts.config),
        layers: [plain(parts.layer)],
        subject: plain(parts.subject),
        annotations: sortedRecord(parts.annotations)
    });
}

;// CONCATENATED MODULE: ./src/oci/image.ts
/**
 * Writes an image, single- or multi-arch, as one OCI archive tarball that skopeo, podman, umoci
 * and `docker load` all read. It is written front to back under a temporary name next to the
 * output and renamed at the end (a failure leaves nothing): the blobs directories, each
 * platform's layers as they are compressed, its config and manifest, then index.json,
 * manifest.json and oci-layout.
 */










const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';
const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';
/** The largest mtime a ustar header holds (11 octal digits): the year 2242. */
const image_MAX_EPOCH = 0o77777777777;
async function writeImage(options) {
    checkOptions(options);
    const refs = uniqueRefs(options.tags);
    const gzipLevel = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
    // The writer stages nothing now, but killed runs of versions that staged blobs left folders.
    (0,temp/* removeStale */.sq)((0,temp/* tempRoot */.fQ)(), new RegExp(`^witchery-oci-${temp/* OWNER_SOURCE */.WM}-`));
    let result;
    await (0,files/* writeThroughTemp */.B7)(options.output, async (temp) => {
        const archive = await ArchiveWriter.create(temp, options.createdEpoch);
        try {
            result = await writeArchive(archive, options, refs, gzipLevel);
        }
        catch (error) {
            await archive.abandon();
            throw error;
        }
    }, { removeStale: true });
    return { tarball: options.output, ...result };
}
async function writeArchive(archive, options, refs, gzipLevel) {
    await archive.directory('blobs');
    await archive.directory('blobs/sha256');
    const written = [];
    for (const image of options.images) {
        // One image: its manifest is the top object and takes the image-wide annotations too.
        const annotations = options.images.length === 1
            ? { ...options.annotations, ...image.annotations }
            : image.annotations;
        const settings = { createdEpoch: options.createdEpoch, gzipLevel, annotations };
        written.push(await writePlatform(image, archive, settings));
    }
    const top = await topDescriptor(written, archive, options.annotations);
    const manifests = written.map((w) => w.manifest);
    const referrers = options.referrers
        ? await writeReferrers(await options.referrers({ digest: top.digest, manifests }), written.map((w) => w.descriptor), (mediaType, bytes) => writeBlob(archive, mediaType, bytes))
        : [];
    await writeLayoutFiles(archive, top, refs, written[0].manifest, referrers);
    const size = await archive.close();
    return { digest: top.digest, manifests, size, referrers };
}
function checkOptions(options) {
    if (options.images.length === 0) {
        throw new ImageSpecError('writeImage needs at least one platform image');
    }
    const epoch = options.createdEpoch;
    if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > image_MAX_EPOCH) {
        throw new ImageSpecError(`created epoch ${epoch} is not a whole number of seconds between 0 and ${image_MAX_EPOCH}`);
    }
    const level = options.gzipLevel;
    if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > 9)) {
        throw new ImageSpecError(`gzip level ${level} is not a whole number from 0 to 9`);
    }
    const seen = new Set();
    for (const { platform } of options.images) {
        const key = [platform.os, platform.architecture, platform.variant ?? ''].join('/');
        if (seen.has(key)) {
            throw new ImageSpecError(`platform ${key} is given twice; give each platform once`);
        }
        seen.add(key);
    }
}
/** Parsed tags, each full reference once, in the order given. */
function uniqueRefs(tags) {
    const refs = [];
    for (const tag of tags) {
        const ref = parseImageRef(tag);
        if (!refs.some((r) => r.name === ref.name && r.tag === ref.tag))
            refs.push(ref);
    }
    return refs;
}
/** Layers, config and manifest of one platform, into the archive. */
async function writePlatform(image, archive, options) {
    const below = new Map();
    const layers = [];
    for (const layer of image.layers) {
        const entries = normalizeEntries(layer.entries, { parentDir: (p) => below.get(p) });
        // One after another into the archive; each layer's compression uses every core.
        layers.push(await writeLayer(entries, archive, {
            mtime: options.createdEpoch,
            gzipLevel: options.gzipLevel
        }));
        for (const entry of entries)
            below.set(entry.path, entry);
    }
    const config = await writeBlob(archive, MEDIA_TYPES.config, imageConfig({
        platform: image.platform,
        config: image.config,
        layers: image.layers,
        written: layers,
        createdEpoch: options.createdEpoch
    }));
    const layerDescriptors = layers.map((l) => ({
        mediaType: MEDIA_TYPES.layer,
        digest: l.digest,
        size: l.size
    }));
    const manifest = await writeBlob(archive, MEDIA_TYPES.manifest, imageManifest(config, layerDescriptors, options.annotations));
    return {
        manifest: {
            platform: image.platform,
            digest: manifest.digest,
            configDigest: config.digest,
            layers
        },
        descriptor: { ...manifest, platform: image.platform }
    };
}
/** The manifest itself for one platform; for several, a nested index listing them. */
async function topDescriptor(written, archive, annotations) {
    if (written.length === 1)
        return written[0].descriptor;
    const index = imageIndex(written.map((w) => w.descriptor), annotations);
    return writeBlob(archive, MEDIA_TYPES.index, index);
}
async function writeBlob(archive, mediaType, bytes) {
    const hex = (0,external_node_crypto_.createHash)('sha256').update(bytes).digest('hex');
    await archive.file(`blobs/sha256/${hex}`, bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}
/**
 * `oci-layout`, `index.json` with one descriptor per tag and then one per referrer (untagged:
 * `oci-archive:FILE:TAG` still picks the image), and docker's `manifest.json`, which lists the
 * image only.
 * manifest.json lists the first platform only: docker's classic store loads one config per
 * entry and cannot hold an index, and entries sharing a tag would leave it on the last one
 * loaded. Docker with the containerd store, podman and skopeo read index.json and get all.
 */
async function writeLayoutFiles(archive, top, refs, first, referrers) {
    const tagged = refs.length === 0
        ? [top]
        : refs.map((ref) => ({
            ...top,
            annotations: { [CONTAINERD_NAME]: qualifiedName(ref), [REF_NAME]: ref.tag }
        }));
    const descriptors = [...tagged, ...referrers.map((r) => r.descriptor)];
    await archive.file('index.json', imageIndex(descriptors, undefined));
    const manifestJson = dockerManifest({
        config: first.configDigest,
        repoTags: refs.map((ref) => `${ref.name}:${ref.tag}`),
        layers: first.layers.map((l) => l.digest)
    });
    await archive.file('manifest.json', manifestJson);
    await archive.file('oci-layout', Buffer.from(OCI_LAYOUT));
}

// EXTERNAL MODULE: ./src/root-writer.ts
var root_writer = __webpack_require__(119);
;// CONCATENATED MODULE: ./src/assemble/rootfs.ts


const NONROOT = { name: 'nonroot', uid: 65532, gid: 65532, home: 'home/nonroot' };
/** What the config's `User` field should say for a user setting. */
function configUser(user) {
    if (user === NONROOT.name)
        return `${NONROOT.uid}:${NONROOT.gid}`;
    if (user === 'root')
        return '0:0';
    return user;
}
/**
 * Writes accounts, home and os-release into `root` and records them in `tree`
 * (owners and modes for the image come from the tree, never from the host). Returns the paths
 * it made or changed: they belong with the image's metadata, not with any package's layer.
 */
async function finishRootfs(root, tree, options) {
    const writer = writerFor(root, tree);
    const written = new Set();
    const note = (rel, changed) => changed && written.add(rel);
    note('etc', ensureDir(writer, tree, 'etc', 0o755));
    note('etc/passwd', appendLines(writer, tree, 'etc/passwd', passwdLines(options.user), 0o644));
    note('etc/group', appendLines(writer, tree, 'etc/group', groupLines(options.user), 0o644));
    if (options.user === NONROOT.name) {
        note('home', ensureDir(writer, tree, 'home', 0o755));
        note(NONROOT.home, ensureDir(writer, tree, NONROOT.home, 0o755, NONROOT.uid, NONROOT.gid));
    }
    const osReleaseText = osRelease(options.alpineVersion);
    note('etc/os-release', writeIfAbsent(writer, tree, 'etc/os-release', osReleaseText));
    if (options.alpineVersion) {
        const release = `${options.alpineVersion}\n`;
        note('etc/alpine-release', writeIfAbsent(writer, tree, 'etc/alpine-release', release));
    }
    return written;
}
function passwdLines(user) {
    const lines = ['root:x:0:0:root:/root:/sbin/nologin'];
    if (user === NONROOT.name) {
        lines.push(`nonroot:x:${NONROOT.uid}:${NONROOT.gid}:nonroot:/${NONROOT.home}:/sbin/nologin`);
    }
    return lines;
}
function groupLines(user) {
    const lines = ['root:x:0:root'];
    if (user === NONROOT.name)
        lines.push(`nonroot:x:${NONROOT.gid}:`);
    return lines;
}
function osRelease(version) {
    const lines = ['NAME="Alpine Linux"', 'ID=alpine'];
    if (version) {
        const [major, minor] = version.split('.');
        lines.push(`VERSION_ID=${version}`, `PRETTY_NAME="Alpine Linux v${major}.${minor}"`);
    }
    else {
        lines.push('PRETTY_NAME="Alpine Linux"');
    }
    lines.push('HOME_URL="https://alpinelinux.org/"', 'BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"');
    return lines.join('\n') + '\n';
}
const ALPINE_SIGNER = /^alpine-devel@lists\.alpinelinux\.org-/;
/** The packages whose version is Alpine's release, in the order they are asked. */
const RELEASE_PACKAGES = ['alpine-release', 'alpine-base'];
/**
 * Alpine's release, from every source there is: an index DESCRIPTION (`v3.22.2-206-g\u{2026}`, or a
 * bare `3.19.1` from an index Alpine signed, as a release repository's is), the version of the
 * `alpine-release` or `alpine-base` package (`3.19.1-r0`), else a branch URL (`/v3.22/`).
 * Undefined when none names it: scanners then cannot tell which Alpine the image is.
 */
function alpineRelease(sources) {
    for (const { description, signer } of sources.indexes) {
        const text = description.trim();
        const tagged = /^v(\d+\.\d+(?:\.\d+)?)(?:[-_]|$)/.exec(text);
        if (tagged)
            return tagged[1];
        const bare = /^(\d+\.\d+(?:\.\d+)?)(?:-|$)/.exec(text);
        if (bare && signer && ALPINE_SIGNER.test(signer))
            return bare[1];
    }
    for (const name of RELEASE_PACKAGES) {
        const pkg = sources.packages.find((p) => p.name === name);
        const version = pkg && /^(\d+\.\d+(?:\.\d+)?(?:_[a-z]+\d*)?)-r\d+$/.exec(pkg.version);
        if (version)
            return version[1];
    }
    for (const repo of sources.repositories) {
        const fromUrl = /\/v(\d+\.\d+)\//.exec(repo.endsWith('/') ? repo : `${repo}/`);
        if (fromUrl)
            return fromUrl[1];
    }
    return undefined;
}
/** The warning a build gives when no source names the Alpine release. */
const UNKNOWN_RELEASE_WARNING = 'the Alpine release is unknown (no index DESCRIPTION, alpine-release or alpine-base package, ' +
    'or /vX.Y/ repository URL names it), so /etc/os-release has no VERSION_ID and there is no ' +
    '/etc/alpine-release: scanners such as Trivy will not detect the OS and will skip its ' +
    "packages. Use Alpine's repositories (a /vX.Y/ branch URL) or a repository that carries " +
    'alpine-release.';
/**
 * The writer for `root`: every write goes through the one guard (src/root-writer.ts), which
 * refuses a symlink or file where a folder or plain file must be \u{2014} a package may ship
 * `etc/passwd -> /etc/passwd`, and writing through it would touch the host. Every `user`
 * setting writes root's accounts, so only leaving the package out helps.
 */
function writerFor(root, tree) {
    return new root_writer/* RootWriter */.c(root, {
        refuse: ({ rel, at, found }) => {
            const owner = tree.get(at)?.owner;
            const shipper = owner ? `package ${owner}` : 'a package';
            const what = found === 'missing' ? 'missing' : `a ${found === 'other' ? 'special file' : found}`;
            return new errors/* BuildError */.zS(`cannot write /${rel} in the image: /${at} is ${what} shipped by ${shipper}, and the ` +
                `image's accounts are written for every \`user\`, root included. Leave ${owner ?? 'that package'} out of the image: remove it, or the package that depends on it, from \`packages\`.`);
        }
    });
}
function ensureDir(writer, tree, rel, mode, uid = 0, gid = 0) {
    if (tree.has(rel))
        return false;
    writer.mkdirs(rel);
    tree.set(rel, { type: 'directory', mode, uid, gid });
    return true;
}
/** Appends each line whose account name is not yet in the file. */
function appendLines(writer, tree, rel, lines, mode) {
    // Bytes, not text: a package's line that is not UTF-8 stays as it was (latin1 maps each byte
    // to one character, enough to find the names, which are ASCII).
    const existing = writer.readFile(rel) ?? Buffer.alloc(0);
    const names = new Set(existing
        .toString('latin1')
        .split('\n')
        .map((l) => l.split(':')[0]));
    const missing = lines.filter((l) => !names.has(l.split(':')[0]));
    if (missing.length === 0)
        return false;
    const newline = existing.length === 0 || existing[existing.length - 1] === 0x0a ? '' : '\n';
    const added = Buffer.from(`${newline}${missing.join('\n')}\n`);
    const onDisk = tree.get(rel)?.mode ?? mode;
    writer.writeFile(rel, Buffer.concat([existing, added]), { mode: onDisk }, true);
    if (!tree.has(rel))
        tree.set(rel, { type: 'file', mode, uid: 0, gid: 0 });
    return true;
}
function writeIfAbsent(writer, tree, rel, text) {
    if (tree.has(rel))
        return false;
    writer.writeFile(rel, text, { mode: 0o644 }, true);
    tree.set(rel, { type: 'file', mode: 0o644, uid: 0, gid: 0 });
    return true;
}

;// CONCATENATED MODULE: ./src/assemble/config.ts

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
function config_imageConfig(spec, facts) {
    const env = [...spec.image.env];
    const has = (name) => env.some((e) => e.startsWith(`${name}=`));
    if (!has('PATH'))
        env.unshift(`PATH=${DEFAULT_PATH}`);
    if (facts.hasCaBundle && !has('SSL_CERT_FILE'))
        env.push(`SSL_CERT_FILE=${CA_BUNDLE}`);
    return {
        entrypoint: spec.image.entrypoint,
        cmd: spec.image.cmd,
        env,
        workdir: spec.image.workdir,
        user: configUser(spec.image.user),
        labels: spec.image.labels
    };
}

;// CONCATENATED MODULE: ./src/assemble/layers.ts

/** The default of the `layers` input; README says why. */
const DEFAULT_LAYERS = 8;
/** The time of every folder of the Alpine part: fixed, so a folder is the same in every layer. */
const FOLDER_MTIME = 0;
/** The layers of the Alpine part, bottom first. */
function partitionLayers(input) {
    const { entries, owners } = datedEntries(input);
    if (input.layers <= 1) {
        return [
            {
                layer: {
                    entries,
                    createdBy: input.createdBy,
                    comment: `${input.installed.length} Alpine packages`
                },
                packages: input.installed.map((p) => p.name).sort()
            }
        ];
    }
    const groups = rankGroups(input.installed);
    const own = groups.length <= input.layers ? groups : groups.slice(0, input.layers - 1);
    const shared = groups.slice(own.length);
    const layerOfPackage = new Map();
    own.forEach((g, i) => g.packages.forEach((p) => layerOfPackage.set(p.name, i)));
    shared.forEach((g) => g.packages.forEach((p) => layerOfPackage.set(p.name, own.length)));
    const metaLayer = own.length + (shared.length > 0 ? 1 : 0);
    // Each entry's layer by its place in `entries`: arrays, where maps and sets of every path
    // took 37 MiB of heap for a root of 80,000 files.
    const layerOf = new Int32Array(entries.length);
    entries.forEach((entry, i) => {
        const owner = owners[i];
        layerOf[i] =
            owner === undefined || input.written.has(entry.path)
                ? metaLayer
                : (layerOfPackage.get(owner) ?? metaLayer);
    });
    moveHardlinks(entries, layerOf);
    const folders = new Map();
    entries.forEach((entry, i) => {
        if (entry.type === 'directory')
            folders.set(entry.path, i);
    });
    const specs = [];
    const groupsOf = (i) => (i < own.length ? [own[i]] : i === metaLayer ? [] : shared);
    for (let i = 0; i <= metaLayer; i++) {
        const layerEntries = withFolders(entries, layerOf, i, folders);
        if (layerEntries.length === 0)
            continue;
        const packages = groupsOf(i)
            .flatMap((g) => g.packages.map((p) => p.name))
            .sort();
        specs.push({
            layer: {
                entries: layerEntries,
                createdBy: i === metaLayer
                    ? 'witchery: apk database and /etc'
                    : `witchery: apk add ${packages.join(' ')}`,
                comment: i === metaLayer ? 'metadata' : `${packages.length} Alpine packages`
            },
            packages: i === metaLayer ? [] : packages
        });
    }
    return specs;
}
/**
 * Every path of the tree as a layer entry (in the tree's order), with the time the policy above
 * gives it, and beside each the package that owns it (undefined: witchery or the installer).
 */
function datedEntries(input) {
    const buildTime = new Map(input.installed.map((p) => [p.name, p.buildTime]));
    const entries = treeToLayerEntries(input.root, input.tree);
    const owners = entries.map((entry) => input.tree.get(entry.path)?.owner);
    entries.forEach((entry, i) => {
        const owner = owners[i];
        if (entry.type === 'directory')
            entry.mtime = FOLDER_MTIME;
        else if (owner === undefined || input.written.has(entry.path))
            entry.mtime = input.epoch;
        else
            entry.mtime = Math.min(buildTime.get(owner) || input.epoch, input.epoch);
    });
    return { entries, owners };
}
/**
 * Groups by origin, heaviest first: installed size times (1 + the number of installed packages
 * that depend on the group, directly or not). Ties go by origin name, so the order is stable.
 */
function rankGroups(installed) {
    const popularity = dependents(installed);
    const byKey = new Map();
    for (const pkg of installed) {
        if (pkg.installedSize === 0)
            continue;
        const key = pkg.origin || pkg.name;
        const group = byKey.get(key) ?? { key, packages: [], size: 0, popularity: 0 };
        group.packages.push(pkg);
        group.size += pkg.installedSize;
        group.popularity = Math.max(group.popularity, popularity.get(pkg.name) ?? 0);
        byKey.set(key, group);
    }
    const score = (g) => g.size * (1 + g.popularity);
    return [...byKey.values()].sort((a, b) => score(b) - score(a) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
/** For each package, how many installed packages need it, directly or through others. */
function dependents(installed) {
    const provider = new Map();
    for (const pkg of installed) {
        for (const p of pkg.provides)
            if (!provider.has(p.name))
                provider.set(p.name, pkg.name);
    }
    for (const pkg of installed)
        provider.set(pkg.name, pkg.name);
    const needs = new Map();
    for (const pkg of installed) {
        const deps = pkg.depends
            .filter((d) => !d.conflict)
            .map((d) => provider.get(d.name))
            .filter((n) => n !== undefined && n !== pkg.name);
        needs.set(pkg.name, deps);
    }
    const count = new Map();
    for (const pkg of installed) {
        const seen = new Set();
        const stack = [...(needs.get(pkg.name) ?? [])];
        while (stack.length > 0) {
            const name = stack.pop();
            if (seen.has(name))
                continue;
            seen.add(name);
            stack.push(...(needs.get(name) ?? []));
        }
        for (const name of seen)
            count.set(name, (count.get(name) ?? 0) + 1);
    }
    return count;
}
/** A hard link goes where the file it links to goes: a layer can only link to its own files. */
function moveHardlinks(entries, layerOf) {
    if (!entries.some((entry) => entry.type === 'hardlink'))
        return;
    const indexOf = new Map();
    entries.forEach((entry, i) => indexOf.set(entry.path, i));
    entries.forEach((entry, i) => {
        if (entry.type !== 'hardlink')
            return;
        let target = entry.linkname === undefined ? undefined : indexOf.get(entry.linkname);
        const seen = new Set([i]);
        while (target !== undefined && entries[target].type === 'hardlink' && !seen.has(target)) {
            seen.add(target);
            const next = entries[target].linkname;
            target = next === undefined ? undefined : indexOf.get(next);
        }
        if (target !== undefined)
            layerOf[i] = layerOf[target];
    });
}
/**
 * The entries of layer `layer` plus every folder above them (`folders`: each folder entry's
 * place), in the order of `entries`.
 */
function withFolders(entries, layerOf, layer, folders) {
    const picked = new Uint8Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
        if (layerOf[i] !== layer)
            continue;
        picked[i] = 1;
        const p = entries[i].path;
        for (let cut = p.lastIndexOf('/'); cut > 0; cut = p.lastIndexOf('/', cut - 1)) {
            const parent = folders.get(p.slice(0, cut));
            if (parent === undefined)
                continue;
            if (picked[parent] === 1)
                break;
            picked[parent] = 1;
        }
    }
    const out = [];
    for (let i = 0; i < entries.length; i++)
        if (picked[i] === 1)
            out.push(entries[i]);
    return out;
}

;// CONCATENATED MODULE: ./src/assemble/lock.ts
/**
 * The lock file: what shapes an image's Alpine part, per arch: each package's name, version,
 * index checksum (`C:`) and repository, and the Alpine release written into os-release. With
 * the same lock and app, a build gives the same digest whatever the repositories serve later.
 *
 * The format is JSON written by hand for diffs that read well in a pull request: keys in a fixed
 * order, arches sorted, packages sorted by name with one package per line. Repository URLs are
 * written without credentials (user:password@); local repositories are written relative to the
 * lock file's folder, so a lock committed with the workspace works on any runner.
 */





const LOCK_VERSION = 1;
/** The lock at `file`, or undefined when there is none. Malformed content is an InputError. */
async function readLock(file) {
    let text;
    try {
        text = await promises_.readFile(file, 'utf8');
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return undefined;
        throw new errors/* InputError */.dz('lock', `cannot read '${file}': ${error.message}`);
    }
    return parseLock(text, file);
}
function parseLock(text, file) {
    const bad = (problem) => new errors/* InputError */.dz('lock', `'${file}' is not a witchery lock file (${problem}); fix it, or delete it (or set ` +
        '`lock-update: true`) to write a new one');
    let value;
    try {
        value = JSON.parse(text);
    }
    catch (error) {
        throw bad(`not JSON: ${error.message}`);
    }
    const top = value;
    if (typeof top !== 'object' || top === null)
        throw bad('not a JSON object');
    if (top.lockVersion !== LOCK_VERSION) {
        throw bad(`lockVersion is ${JSON.stringify(top.lockVersion)}, this witchery reads ${LOCK_VERSION}`);
    }
    if (!isStringArray(top.packages))
        throw bad('`packages` is not a list of strings');
    if (typeof top.arches !== 'object' || top.arches === null || Array.isArray(top.arches)) {
        throw bad('`arches` is not an object');
    }
    const arches = {};
    for (const [arch, raw] of Object.entries(top.arches)) {
        const entry = raw;
        if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.packages)) {
            throw bad(`arch ${arch} has no \`packages\` list`);
        }
        // It becomes /etc/os-release's VERSION_ID: a release number and nothing else.
        if (entry.alpine !== undefined &&
            !(typeof entry.alpine === 'string' && RELEASE.test(entry.alpine))) {
            throw bad(`arch ${arch}: \`alpine\` is not an Alpine release such as 3.22.2`);
        }
        const packages = entry.packages.map((p, i) => {
            const pkg = p;
            for (const field of ['name', 'version', 'checksum', 'repository']) {
                if (typeof pkg?.[field] !== 'string' || pkg[field] === '') {
                    throw bad(`arch ${arch}, package #${i + 1}: \`${field}\` is missing`);
                }
            }
            // They make a package file's path in a local repository: no `/`, no `..`.
            for (const field of ['name', 'version']) {
                if (!PACKAGE_WORD.test(pkg[field])) {
                    throw bad(`arch ${arch}, package #${i + 1}: \`${field}\` is not a package ${field}`);
                }
            }
            if (!(0,apk_engine/* validChecksum */.uv)(pkg.checksum)) {
                throw bad(`arch ${arch}, package #${i + 1}: \`checksum\` is not an apk identity (Q1\u2026=)`);
            }
            return {
                name: pkg.name,
                version: pkg.version,
                checksum: pkg.checksum,
                repository: pkg.repository
            };
        });
        arches[arch] = { alpine: entry.alpine, packages };
    }
    return { world: top.packages, arches };
}
/** An Alpine release (`3.22.2`), as os-release's VERSION_ID takes it. */
const RELEASE = /^\d+\.\d+(?:\.\d+)?$/;
/** A package name or version as a file name holds it: apk's characters, not `.`-only. */
const PACKAGE_WORD = /^(?!\.+$)[A-Za-z0-9._+~-]+$/;
function isStringArray(value) {
    return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
function comparePackages(a, b) {
    return (0,apk_engine/* compareNames */.MP)(a.name, b.name) || (0,apk_engine/* compareVersions */.Zy)(a.version, b.version);
}
/** The file's text: stable key order, sorted, one package per line, ending with a newline. */
function formatLock(lock) {
    const lines = ['{', `  "lockVersion": ${LOCK_VERSION},`];
    lines.push(`  "packages": ${JSON.stringify(lock.world)},`);
    lines.push('  "arches": {');
    const arches = Object.keys(lock.arches).sort();
    arches.forEach((arch, a) => {
        const entry = lock.arches[arch];
        lines.push(`    ${JSON.stringify(arch)}: {`);
        if (entry.alpine !== undefined)
            lines.push(`      "alpine": ${JSON.stringify(entry.alpine)},`);
        lines.push('      "packages": [');
        const packages = [...entry.packages].sort(comparePackages);
        packages.forEach((p, i) => {
            const fields = {
                name: p.name,
                version: p.version,
                checksum: p.checksum,
                repository: p.repository
            };
            lines.push(`        ${JSON.stringify(fields)}${i < packages.length - 1 ? ',' : ''}`);
        });
        lines.push('      ]');
        lines.push(`    }${a < arches.length - 1 ? ',' : ''}`);
    });
    lines.push('  }', '}');
    return `${lines.join('\n')}\n`;
}
/** Writes the lock unless the file already says exactly this; true when it wrote. */
async function writeLock(file, lock) {
    const text = formatLock(lock);
    const existing = await promises_.readFile(file, 'utf8').catch(() => undefined);
    if (existing === text)
        return false;
    try {
        await (0,files/* writeThroughTemp */.B7)(file, (temp) => promises_.writeFile(temp, text, { flag: 'wx' }));
    }
    catch (error) {
        throw new errors/* InputError */.dz('lock', `cannot write '${file}': ${error.message}; give a path in a writable folder`);
    }
    return true;
}
/**
 * How a configured repository (`[@tag ]URL-or-path`, as in BuildSpec.repositories) is written
 * in a lock: a URL without its credentials, or a path relative to the lock file's folder.
 */
function lockRepository(configured, lockFile) {
    // parseRepository keeps a URL as written minus its credentials (publicUrl).
    const url = (0,apk_engine/* parseRepository */.SU)(configured, 0).url;
    if (/^https?:\/\//i.test(url))
        return url;
    const relative = external_node_path_.relative(external_node_path_.dirname(lockFile), url).split(external_node_path_.sep).join('/');
    return relative === '' ? '.' : relative;
}
/** The lock's section for one arch, from the packages a build installed. */
function archLock(packages, repositories, lockFile, alpine) {
    const entries = packages.map((p) => ({
        name: p.name,
        version: p.version,
        checksum: p.checksum,
        repository: lockRepository(repositories[p.repository], lockFile)
    }));
    const lock = { packages: entries.sort(comparePackages) };
    if (alpine !== undefined)
        lock.alpine = alpine;
    return lock;
}
/**
 * The engine's view of one arch of the lock: each package with the index of the configured
 * repository it names. A lock for another arch, or naming a repository no longer configured,
 * cannot be honoured.
 */
function lockedPackages(lock, arch, repositories, lockFile) {
    const section = lock.arches[arch];
    if (!section) {
        throw new errors/* LockError */.Ku(`the lock file '${lockFile}' has no packages for ${arch} (it has ${Object.keys(lock.arches).join(', ') || 'none'}). ${UPDATE_HINT}`);
    }
    const written = repositories.map((r) => lockRepository(r, lockFile));
    return section.packages.map((p) => {
        const repository = written.indexOf(p.repository);
        if (repository < 0) {
            throw new errors/* LockError */.Ku(`the lock file '${lockFile}' takes ${p.name}-${p.version} from ${p.repository}, which is ` +
                `not among the repositories given (${written.join(', ')}). Add it back, or ${UPDATE_HINT_LOWER}`);
        }
        return { name: p.name, version: p.version, checksum: p.checksum, repository };
    });
}
const UPDATE_HINT = 'Set `lock-update: true` (CLI `--lock-update`) to resolve afresh and rewrite the lock.';
const UPDATE_HINT_LOWER = 'set `lock-update: true` (CLI `--lock-update`) to resolve afresh and rewrite the lock.';
/** Added, removed, upgraded, downgraded and rebuilt packages, per arch, sorted. */
function diffLocks(before, after) {
    const changes = [];
    const arches = new Set([...Object.keys(before?.arches ?? {}), ...Object.keys(after.arches)]);
    for (const arch of [...arches].sort()) {
        const old = byName(before?.arches[arch]?.packages ?? []);
        const now = byName(after.arches[arch]?.packages ?? []);
        const names = [...new Set([...old.keys(), ...now.keys()])].sort(apk_engine/* compareNames */.MP);
        for (const name of names) {
            const a = old.get(name);
            const b = now.get(name);
            if (!a && b)
                changes.push({ arch, name, change: 'added', to: b.version });
            else if (a && !b)
                changes.push({ arch, name, change: 'removed', from: a.version });
            else if (a && b && a.version !== b.version) {
                const change = (0,apk_engine/* compareVersions */.Zy)(a.version, b.version) < 0 ? 'upgraded' : 'downgraded';
                changes.push({ arch, name, change, from: a.version, to: b.version });
            }
            else if (a && b && a.checksum !== b.checksum) {
                changes.push({ arch, name, change: 'rebuilt', from: a.version, to: b.version });
            }
        }
    }
    return changes;
}
function byName(entries) {
    return new Map(entries.map((e) => [e.name, e]));
}

;// CONCATENATED MODULE: ./src/assemble/build.ts
/**
 * The build, as a short story: check the app, open the repositories and resolve the world for
 * every arch, let the caller restore caches, install each root, finish it, write the image.
 * Shared by the action and the CLI.
 */




















/** Fails fast, before any download, when the tarball could not be written where asked. */
/**
 * Checks, before any download, that a file can be written where `input` says: the tarball, and
 * a lock the build will write (one found unwritable after the image would fail a finished build).
 */
async function checkWritable(file, what, input) {
    const probe = external_node_path_.join(external_node_path_.dirname(file), `.${external_node_path_.basename(file)}.probe-${process.pid}`);
    try {
        await (0,files/* makeDirs */.X2)(external_node_path_.dirname(file));
        await promises_.writeFile(probe, '', { flag: 'wx' });
        await promises_.rm(probe, { force: true });
    }
    catch (error) {
        throw new errors/* BuildError */.zS(`cannot write ${what} '${file}': ${error.message}. Give a path in a ` +
            'writable folder (the workspace or RUNNER_TEMP).', input);
    }
}
/**
 * Reads the repositories for one arch and resolves its world (the lock's, or the packages and
 * the app's needs). Returns what the install needs, and none of the indexes: the tables and the
 * solver's graph (tens of MiB for main + community) are let go when this returns.
 */
async function planArch(spec, arch, locked, options) {
    const { logger } = options;
    logger.info(`${arch.apk}: reading ${spec.repositories.length} repositories`);
    const engine = engineOptions(spec, arch.apk, options);
    const repos = await (0,apk_engine/* openRepositories */.Sy)(engine);
    const appEntries = spec.app
        ? await scanDirectory(appSource(spec.app.source, arch), spec.app.dest.replace(/^\/+/, ''))
        : undefined;
    let world = imageWorld(spec.packages);
    // What the world as given resolves to decides which of the app's needs it already meets.
    let given = locked ? undefined : (0,apk_engine/* resolveWorld */.h_)(repos, world);
    let additions = [];
    if (spec.app && appEntries && spec.elfNeeds !== false) {
        const base = given?.packages ?? resolvedOrNothing(repos, world);
        additions = appWorldAdditions(spec.app.source, appEntries, arch, repos, base);
        const tokens = additions.map((a) => a.token).filter((t) => !world.includes(t));
        if (tokens.length > 0) {
            world = [...world, ...new Set(tokens)];
            given = undefined;
        }
    }
    const resolution = locked
        ? await resolveFromLock(spec, locked, repos, engine, world)
        : (given ?? (0,apk_engine/* resolveWorld */.h_)(repos, world));
    const added = addedNeeds(additions, resolution.packages);
    for (const a of added)
        logger.info(`${arch.apk}: ${describeAdded(a)}`);
    logger.info(`${arch.apk}: ${resolution.packages.length} packages ${locked ? 'locked' : 'resolved'}`);
    const found = alpineRelease({
        indexes: repos.indexes,
        repositories: spec.repositories,
        packages: [
            ...resolution.packages,
            ...RELEASE_PACKAGES.flatMap((name) => (0,apk_engine/* firstPackageNamed */.Oq)(repos, name) ?? [])
        ]
    });
    const alpine = locked ? (locked.arches[arch.apk]?.alpine ?? found) : found;
    // A link check that fails opens the repositories again to name providers.
    return { arch, sources: (0,apk_engine/* installSources */.kI)(repos), resolution, alpine, appEntries, added };
}
async function build(spec, options) {
    const { logger } = options;
    const arches = spec.arches.map(archInfo);
    const musl = !leavesOutMusl(spec.packages);
    for (const arch of arches) {
        if (spec.app)
            await checkApp(appSource(spec.app.source, arch), arch, { musl });
    }
    await checkWritable(spec.output, 'the tarball', 'output');
    const previous = spec.lock ? await lockBefore(spec.lock, logger) : undefined;
    const locked = spec.lock?.update ? undefined : previous;
    if (spec.lock && !locked)
        await checkWritable(spec.lock.path, 'the lock file', 'lock');
    if (locked) {
        logger.info(`installing the packages locked in ${spec.lock?.path}`);
        await options.onLocked?.(arches.map((a) => ({ arch: a.apk, packages: locked.arches[a.apk]?.packages ?? [] })));
    }
    const plans = [];
    // One arch at a time, each in its own call: nothing of its indexes outlives it.
    for (const arch of arches)
        plans.push(await planArch(spec, arch, locked, options));
    // Every index and graph let go of: the heap V8 grew to read them goes back too.
    (0,released_memory/* shrinkHeap */.iF)();
    await options.onResolved?.(plans.map((p) => ({ arch: p.arch.apk, packages: p.resolution.packages })));
    const workDir = await (0,temp/* makeWorkDir */.dW)('build');
    const work = workDir.dir;
    try {
        const fetch = (0,apk_engine/* newFetchStats */.cE)();
        const images = [];
        const layerPackages = [];
        const perArch = [];
        const sboms = [];
        for (const plan of plans) {
            const built = await buildArch(spec, plan, external_node_path_.join(work, plan.arch.apk), options, fetch);
            images.push(built.image);
            layerPackages.push(built.layerPackages);
            perArch.push(built.record);
            if (built.sbom)
                sboms.push(built.sbom);
        }
        logger.info(`writing ${spec.output}`);
        const documents = [];
        const written = await writeImage({
            images,
            output: spec.output,
            tags: spec.tags,
            createdEpoch: spec.sourceDateEpoch,
            annotations: spec.image.annotations,
            referrers: sboms.length > 0
                ? async ({ manifests }) => {
                    documents.push(...makeSboms(spec, plans, sboms, manifests));
                    return documents.map((d) => sbomReferrer(spec, d, plans));
                }
                : undefined
        });
        const sbom = await writeSbomFiles(spec, documents, written.referrers);
        const archResults = perArch.map((record, i) => ({
            ...record,
            manifestDigest: written.manifests[i].digest,
            configDigest: written.manifests[i].configDigest,
            layers: written.manifests[i].layers.map((layer, j) => ({
                digest: layer.digest,
                diffId: layer.diffId,
                size: layer.size,
                createdBy: images[i].layers[j].createdBy,
                ...(layerPackages[i][j] ? { packages: layerPackages[i][j] } : {})
            }))
        }));
        const lock = spec.lock ? await updateLock(spec, spec.lock, plans, previous) : undefined;
        if (lock)
            logger.info(lockMessage(lock));
        return {
            tarball: written.tarball,
            digest: written.digest,
            imageId: written.manifests[0].configDigest,
            size: written.size,
            tags: spec.tags,
            arches: archResults,
            fetch,
            sbom,
            warnings: archResults.flatMap(archWarnings),
            lock
        };
    }
    finally {
        await workDir.release();
    }
}
async function buildArch(spec, plan, root, options, fetch) {
    const { arch, sources, resolution } = plan;
    const installed = await (0,apk_engine/* installResolution */.mp)(root, sources, resolution, engineOptions(spec, arch.apk, options));
    addFetchStats(fetch, installed.fetch);
    const written = await finishRootfs(root, installed.tree, {
        user: spec.image.user,
        alpineVersion: plan.alpine
    });
    // A root of many files leaves its install's garbage (the database's text, the tree's making)
    // and then its layers' making (entries, sort keys, the database read back for the SBOM) in
    // V8's old generation, which it grows rather than collects: collected here, and after the
    // layers are made (see letGoOfEntries). A root of a few thousand files skips both.
    const many = installed.tree.size > released_memory/* COLLECT_EVERY_ENTRIES */.sY;
    if (many)
        (0,released_memory/* collectNow */.V3)();
    const parts = partitionLayers({
        root,
        tree: installed.tree,
        installed: installed.installed,
        written,
        epoch: spec.sourceDateEpoch,
        layers: spec.layers ?? DEFAULT_LAYERS,
        createdBy: `witchery: apk add ${spec.packages.join(' ')}`
    });
    const layers = parts.map((p) => p.layer);
    const layerPackages = parts.map((p) => p.packages);
    let sbom;
    if (spec.sbom.length > 0) {
        sbom = { ...(await readRootPackages(root)), alpineVersion: plan.alpine };
    }
    if (many)
        (0,released_memory/* collectNow */.V3)();
    const checked = layers.map((layer) => ({
        entries: layer.entries,
        owner: (p) => installed.tree.get(p)?.owner ?? 'witchery'
    }));
    if (spec.app && plan.appEntries) {
        const source = appSource(spec.app.source, arch);
        layers.push({
            entries: plan.appEntries,
            createdBy: `witchery: COPY ${external_node_path_.basename(source)} ${spec.app.dest}`,
            comment: 'app'
        });
        layerPackages.push(undefined);
        checked.push({ entries: plan.appEntries, owner: () => 'app', app: true });
        if (sbom) {
            const name = external_node_path_.posix.basename(spec.app.dest);
            sbom.app = { name, dest: spec.app.dest, files: await hashAppFiles(plan.appEntries) };
        }
    }
    const linkProblems = await linkCheck(spec, plan, checked, options);
    const hasCaBundle = installed.tree.has('etc/ssl/certs/ca-certificates.crt');
    return {
        image: {
            platform: { architecture: arch.oci, os: 'linux', variant: arch.variant },
            layers,
            config: config_imageConfig(spec, { hasCaBundle }),
            annotations: spec.image.annotations
        },
        layerPackages,
        record: {
            arch: arch.apk,
            packages: installed.installed.map((p) => ({
                name: p.name,
                version: p.version,
                arch: p.arch ?? arch.apk,
                license: p.license,
                size: p.installedSize
            })),
            scriptsSkipped: installed.scriptsSkipped,
            alpineRelease: plan.alpine,
            appNeeds: plan.added.map((a) => ({
                package: a.package,
                need: a.need,
                neededBy: a.neededBy
            })),
            linkProblems
        },
        sbom
    };
}
/** What a build warns about for one arch: scripts not (fully) applied, an unknown release. */
function archWarnings(a) {
    const warnings = [];
    // In the engine's words, as `witchery install` says it.
    if (a.scriptsSkipped.length > 0)
        warnings.push(`${a.arch}: ${(0,apk_engine/* skippedWarning */.FE)(a.scriptsSkipped)}`);
    if (a.alpineRelease === undefined)
        warnings.push(`${a.arch}: ${UNKNOWN_RELEASE_WARNING}`);
    if (a.linkProblems.length > 0)
        warnings.push(linkCheckMessage(a.arch, a.linkProblems));
    return warnings;
}
/** The packages `world` resolves to, or none when it does not resolve (the lock decides then). */
function resolvedOrNothing(repos, world) {
    try {
        return (0,apk_engine/* resolveWorld */.h_)(repos, world).packages;
    }
    catch {
        return [];
    }
}
/** Every arch's documents, now that each names its image manifest's digest. */
function makeSboms(spec, plans, sources, manifests) {
    return sources.flatMap((source, i) => sbomDocuments({
        ...source,
        image: {
            arch: plans[i].arch.apk,
            ociArch: plans[i].arch.oci,
            manifestDigest: manifests[i].digest,
            tags: spec.tags
        },
        createdEpoch: spec.sourceDateEpoch
    }, spec.sbom));
}
function sbomReferrer(spec, document, plans) {
    return {
        subject: plans.findIndex((p) => p.arch.apk === document.arch),
        artifactType: document.mediaType,
        content: document.content,
        title: sbomTitle(document.arch, document.format),
        annotations: { 'org.opencontainers.image.created': rfc3339(spec.sourceDateEpoch) }
    };
}
/**
 * What the app needs that the packages `base` (the world as given, resolved) do not meet, as
 * world tokens. Throws AppError, before any download, for a need no repository meets.
 */
function appWorldAdditions(source, appEntries, arch, repos, base) {
    const files = readAppFiles(appEntries);
    const single = appEntries.length === 1;
    const from = appSource(source, arch);
    const label = (file) => single ? `app '${from}'` : `'${file.path}' of app folder '${from}'`;
    const needs = appNeeds(files, new ImageView([appEntries]), arch, label);
    return worldAdditions(needs, base, repos);
}
/**
 * Runs the link check over the image's layers: throws LinkCheckError with `link-check: error`
 * (the default), returns the problems as lines with `warn`, nothing with `off`.
 */
async function linkCheck(spec, plan, layers, options) {
    const mode = spec.linkCheck ?? 'error';
    if (mode === 'off')
        return [];
    const { problems, elfFiles } = checkLinks(layers, plan.arch);
    options.logger.info(`${plan.arch.apk}: link check: ${elfFiles} ELF files, ${problems.length} missing`);
    if (problems.length === 0)
        return [];
    const lines = describeProblems(problems, plan.arch, await providerNames(spec, plan, options));
    if (mode === 'error')
        throw new LinkCheckError(linkCheckMessage(plan.arch.apk, lines));
    // Warned once, with the build's other warnings (archWarnings).
    return lines;
}
/**
 * Names of the packages providing a name, to suggest for a missing library or command. The
 * indexes were let go after resolving, so they are opened again: from the cache or local paths
 * as they are, without revalidating (the suggestions come from what was resolved against where
 * the cache holds it). The suggestions never decide the build: when the indexes cannot be read
 * again, for any reason, the problems are still reported, with a generic hint.
 */
async function providerNames(spec, plan, options) {
    let repos;
    try {
        repos = await (0,apk_engine/* openRepositories */.Sy)({
            ...engineOptions(spec, plan.arch.apk, options),
            indexMaxAgeSeconds: Number.MAX_SAFE_INTEGER
        });
    }
    catch (error) {
        options.logger.warning(`${plan.arch.apk}: link check: could not read the repositories again to name the ` +
            `packages to add (${error.message})`);
        return undefined;
    }
    return (name) => [...new Set((0,apk_engine/* providersOf */.Ou)(repos, name).map((p) => p.name))];
}
/**
 * Each document beside the tarball. The tarball is already in place, so a failure here takes it
 * (and the documents written so far) away again: a failed build leaves nothing half done.
 */
async function writeSbomFiles(spec, documents, referrers) {
    const records = [];
    try {
        for (const [i, document] of documents.entries()) {
            const file = sbomPath(spec.output, document.arch, document.format);
            await (0,files/* writeThroughTemp */.B7)(file, (temp) => promises_.writeFile(temp, document.content));
            records.push({
                arch: document.arch,
                format: document.format,
                path: file,
                digest: referrers[i].documentDigest,
                referrer: referrers[i].digest
            });
        }
    }
    catch (error) {
        for (const record of records)
            await promises_.rm(record.path, { force: true });
        await promises_.rm(spec.output, { force: true });
        throw new errors/* BuildError */.zS(`cannot write the SBOM beside the tarball '${spec.output}': ${error.message}. ` +
            'Give an `output` in a writable folder, or set `sbom: none`.', 'output');
    }
    return records;
}
/**
 * The world of an image: the packages asked for, plus musl, which every image carries (the app
 * links against it). `!musl` in the list leaves it out, for fully static apps.
 */
function imageWorld(packages) {
    const namesMusl = packages.some((p) => /^!?musl(?:[@<>=~]|$)/.test(p));
    return namesMusl ? packages : [...packages, 'musl'];
}
/** Whether the list says `!musl`, so the image has no musl loader for a dynamic app. */
function leavesOutMusl(packages) {
    return packages.some((p) => /^!musl(?:@\S+)?$/.test(p));
}
function archInfo(name) {
    const arch = (0,src_arch/* findArch */.YM)(name);
    if (!arch)
        throw new errors/* BuildError */.zS(`unknown architecture '${name}'`, 'arch');
    return arch;
}
/** `{arch}` in the app path picks the build of each architecture. */
function appSource(source, arch) {
    return source.replaceAll('{arch}', arch.apk);
}
function engineOptions(spec, arch, options) {
    return {
        arch,
        repositories: spec.repositories,
        auth: spec.credentials,
        alpineKeysUrl: spec.alpineKeysUrl,
        keyDirs: spec.keyDirs,
        keyFiles: spec.keyFiles,
        allowUntrusted: spec.allowUntrusted,
        fetchAlpineKeys: spec.fetchAlpineKeys,
        cacheDir: spec.cacheDir,
        sourceDateEpoch: spec.sourceDateEpoch,
        scripts: spec.scripts,
        logger: options.logger,
        ...options.engine
    };
}
function addFetchStats(total, add) {
    for (const key of Object.keys(total)) {
        total[key] += add[key] ?? 0;
    }
}
/**
 * The lock as it stands before the build. With `lock-update` an unreadable lock is only the
 * "before" of the change list, so it is replaced with a warning instead of failing the build.
 */
async function lockBefore(lock, logger) {
    if (!lock.update)
        return readLock(lock.path);
    try {
        return await readLock(lock.path);
    }
    catch (error) {
        logger.warning(`${error.message}; lock-update writes a new one`);
        return undefined;
    }
}
/** The locked packages of one arch, as the engine installs them; lock problems as LockError. */
async function resolveFromLock(spec, lock, repos, engine, world) {
    const file = spec.lock?.path ?? '';
    const packages = lockedPackages(lock, repos.arch, spec.repositories, file);
    try {
        return await (0,apk_engine/* resolveLocked */.lc)(repos, world, packages, engine);
    }
    catch (error) {
        if (!(error instanceof apk_engine/* LockedPackageError */.hu))
            throw error;
        throw new errors/* LockError */.Ku(`${repos.arch}: ${error.message}. ${lockAdvice(error, file)}`, error.packages, {
            cause: error
        });
    }
}
function lockAdvice(error, file) {
    if (/no longer in the repositories/.test(error.message)) {
        return (`The lock file '${file}' pins them, but Alpine keeps only the newest build of each ` +
            `package on its mirrors and the cache does not hold these. ${UPDATE_HINT}`);
    }
    return `The lock file '${file}' was made for other \`packages\`. ${UPDATE_HINT}`;
}
/** Writes the lock after a successful build (when absent, or with `lock-update`). */
async function updateLock(spec, lockSpec, plans, previous) {
    if (previous && !lockSpec.update)
        return { path: lockSpec.path, status: 'used', changes: [] };
    const lock = { world: spec.packages, arches: {} };
    for (const plan of plans) {
        lock.arches[plan.arch.apk] = archLock(plan.resolution.packages, spec.repositories, lockSpec.path, plan.alpine);
    }
    await writeLock(lockSpec.path, lock);
    return {
        path: lockSpec.path,
        status: previous ? 'updated' : 'written',
        changes: diffLocks(previous, lock)
    };
}
function lockMessage(lock) {
    if (lock.status === 'used')
        return `installed exactly what ${lock.path} locks`;
    const what = lock.status === 'written' ? 'wrote' : 'updated';
    return `${what} ${lock.path}: ${lock.changes.length} change${lock.changes.length === 1 ? '' : 's'}`;
}

// EXTERNAL MODULE: ./src/cli-output.ts
var cli_output = __webpack_require__(319);
;// CONCATENATED MODULE: ./src/cli-build.ts
/**
 * `witchery build`: the action's inputs as command-line options of the same names
 * (`--app-dest /app`, `--tags a:1 --tags a:latest`), parsed and validated by the very code the
 * action uses. Positional arguments are added to `packages`.
 */







/** Inputs that take true/false: on the command line also bare flags, like `install`'s. */
const BOOLEAN_INPUTS = new Set([
    'allow-untrusted',
    'fetch-alpine-keys',
    'cache',
    'lock-update',
    'elf-needs'
]);
function flags() {
    const out = { 'cache-dir': { type: 'string', multiple: true } };
    for (const name of Object.keys(INPUTS))
        out[name] = { type: 'string', multiple: true };
    return out;
}
/**
 * Words after a bare boolean option that read as an attempt at its value rather than a package
 * (`--cache maybe`, `--cache no`): taken as the value, so the input check refuses them (exit 2)
 * instead of a build that looks for a package named `maybe`.
 */
const BOOLEAN_LOOKALIKES = /^(?:yes|no|y|n|on|off|t|f|1|0|enabled?|disabled?|maybe|none|null)$/i;
/**
 * `--allow-untrusted` alone means true; `--allow-untrusted false` and `--allow-untrusted=false`
 * still work. Rewritten to the `=` form so parseArgs never takes a package as the value.
 */
function expandBooleanFlags(argv) {
    const out = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === '--') {
            out.push(...argv.slice(i));
            break;
        }
        const name = arg.startsWith('--') ? arg.slice(2) : '';
        if (!BOOLEAN_INPUTS.has(name)) {
            out.push(arg);
        }
        else if (/^(?:true|false)$/i.test(argv[i + 1] ?? '') ||
            BOOLEAN_LOOKALIKES.test(argv[i + 1] ?? '')) {
            out.push(`${arg}=${argv[++i]}`);
        }
        else {
            out.push(`${arg}=true`);
        }
    }
    return out;
}
function parse(argv) {
    return (0,external_node_util_.parseArgs)({ args: expandBooleanFlags(argv), options: flags(), allowPositionals: true });
}
/** The env map the action would see for these options. */
function inputsFromArgv(argv) {
    const { values, positionals } = parse(argv);
    const env = {};
    for (const name of Object.keys(INPUTS)) {
        const given = values[name];
        if (!given?.length)
            continue;
        // Joined, two values of a one-value option would read as one (`--output a --output b`).
        const definition = INPUTS[name];
        if (given.length > 1 && !definition.list) {
            throw new errors/* InputError */.dz(name, `--${name} is given ${given.length} times; give it once`);
        }
        env[`INPUT_${name.toUpperCase()}`] = given.join('\n');
    }
    if (positionals.length > 0) {
        env.INPUT_PACKAGES = [env.INPUT_PACKAGES ?? '', ...positionals].join('\n').trim();
    }
    return env;
}
/** The CLI's commit-time reader: git through node:child_process (no @actions/* in the CLI). */
const cliCommitTime = (dir) => new Promise((resolve) => {
    (0,external_node_child_process_.execFile)('git', commitTimeArgs(dir), { cwd: dir }, (error, stdout, stderr) => {
        if (error && typeof error.code === 'string') {
            resolve({ problem: `cannot run git in ${dir}: ${error.message}` });
            return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve(parseCommitTime(code, String(stdout ?? ''), String(stderr ?? '')));
    });
});
async function runBuildCommand(argv, logger) {
    const inputs = inputsFromArgv(argv);
    const { values } = parse(argv);
    const env = { ...process.env, ...inputs };
    let headEpoch = 0;
    if (needsCommitEpoch(env)) {
        const head = await cliCommitTime(process.cwd());
        if (head.seconds === undefined)
            logger.warning(commitTimeWarning(process.cwd(), head.problem));
        headEpoch = head.seconds ?? 0;
    }
    const spec = readInputs(env, { commitEpoch: () => headEpoch });
    const cacheDirs = values['cache-dir'] ?? [];
    if (cacheDirs.length > 1) {
        throw new errors/* InputError */.dz('cache', `--cache-dir is given ${cacheDirs.length} times; give it once`);
    }
    const cacheDir = cacheDirs[0];
    if (cacheDir)
        spec.cacheDir = cacheDir;
    const result = await build(spec, { logger });
    for (const warning of result.warnings)
        logger.warning(warning);
    cli_output/* output */.C.out(`${JSON.stringify({
        tarball: result.tarball,
        digest: result.digest,
        imageId: result.imageId,
        size: result.size,
        tags: result.tags,
        packages: result.arches.flatMap((a) => a.packages),
        sbom: result.sbom,
        ...(result.lock ? { lockChanges: result.lock.changes } : {})
    }, null, 2)}\n`);
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