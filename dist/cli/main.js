/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
/******/ 	var __webpack_modules__ = ({

/***/ 317:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  xE: () => (/* reexport */ errors/* ApkError */.xE),
  hu: () => (/* reexport */ errors/* LockedPackageError */.hu),
  Xs: () => (/* reexport */ auth/* RepositoryAuth */.Xs),
  UM: () => (/* reexport */ fetch_repository/* alpineRepositories */.UM),
  MP: () => (/* reexport */ solve/* compareNames */.M),
  Zy: () => (/* reexport */ version/* compareVersions */.Zy),
  Oq: () => (/* binding */ firstPackageNamed),
  mp: () => (/* binding */ installResolution),
  kI: () => (/* binding */ installSources),
  cE: () => (/* reexport */ fetch/* newFetchStats */.cE),
  Sy: () => (/* binding */ openRepositories),
  zx: () => (/* reexport */ auth/* parseAuthLines */.zx),
  d6: () => (/* reexport */ dependency/* parseDependency */.d6),
  pt: () => (/* binding */ parseInstalledDatabase),
  SU: () => (/* reexport */ fetch_repository/* parseRepository */.SU),
  yG: () => (/* binding */ parseWorld),
  Ou: () => (/* binding */ providersOf),
  x6: () => (/* reexport */ auth/* publicUrl */.x6),
  p_: () => (/* reexport */ auth/* repositoryCredentials */.p_),
  lc: () => (/* binding */ resolveLocked),
  h_: () => (/* binding */ resolveWorld),
  FE: () => (/* reexport */ skipped/* skippedWarning */.F),
  uv: () => (/* reexport */ apkindex/* validChecksum */.uv)
});

// UNUSED EXPORTS: ALPINE_KEYS_URL, FetchError, FileConflictError, FormatError, IndexSignatureError, InvalidArgumentError, PackageCache, PackageIntegrityError, PathEscapeError, UnsatisfiableError, UnsupportedEntryError, UntrustedKeyError, credentialSecrets, engineAuth, packageWithChecksum, splitCredentials

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(24);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(760);
// EXTERNAL MODULE: ./src/released-memory.ts
var released_memory = __nccwpck_require__(258);
// EXTERNAL MODULE: ./src/arch.ts
var src_arch = __nccwpck_require__(67);
// EXTERNAL MODULE: ./src/apk/formats/apkindex.ts + 3 modules
var apkindex = __nccwpck_require__(359);
// EXTERNAL MODULE: ./src/apk/fetch/cache.ts
var cache = __nccwpck_require__(383);
// EXTERNAL MODULE: ./src/apk/formats/dependency.ts
var dependency = __nccwpck_require__(908);
// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __nccwpck_require__(239);
// EXTERNAL MODULE: ./src/apk/fetch/fetch.ts + 1 modules
var fetch = __nccwpck_require__(552);
// EXTERNAL MODULE: ./src/apk/install/skipped.ts
var skipped = __nccwpck_require__(702);
// EXTERNAL MODULE: ./src/sha.ts + 1 modules
var sha = __nccwpck_require__(627);
;// CONCATENATED MODULE: ./src/apk/keys/alpine-keys.ts
/**
 * Alpine's package signing keys, pinned by fingerprint: SHA-256 of the DER SubjectPublicKeyInfo.
 * Keys are fetched at run time and accepted only if they hash to the value here, so this table
 * is the root of trust for Alpine repositories. Source: the keys Alpine publishes at
 * https://alpinelinux.org/keys/ and in aports' `alpine-keys` package.
 */
const ALPINE_KEYS = [
    {
        name: 'alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub',
        archs: ['x86', 'x86_64'],
        bits: 2048,
        spkiSha256: '4e0c26751a474db486b0a8f37e37ff02e12465e8cea8ef08614ac173cb870f28'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-5243ef4b.rsa.pub',
        archs: ['x86'],
        bits: 2048,
        spkiSha256: '40e738cce781c04cac98adf11a1574efdf84209661f6c93098013a0b4809ca00'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-524d27bb.rsa.pub',
        archs: ['armhf', 'armv7'],
        bits: 2048,
        spkiSha256: 'cc0b5f10577afdbb3ec288feae97d5681d508cd7086e45693a938e92322d5c5c'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-5261cecb.rsa.pub',
        archs: ['x86_64'],
        bits: 2048,
        spkiSha256: 'bb1f0937c138e81a838e0958c4c756547dac85794e38bf1a5536a0808dcf95f2'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-58199dcc.rsa.pub',
        archs: ['aarch64'],
        bits: 2048,
        spkiSha256: '635a0325ac8c11ec329698586cd2a8e54c18ba376d5d4bc215a489e1a774fb88'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-58cbb476.rsa.pub',
        archs: ['ppc64le'],
        bits: 2048,
        spkiSha256: 'f3d1a46b632166cee03485c05b63fd8687a7a7d8b1d27528718029c63a955319'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-58e4f17d.rsa.pub',
        archs: ['s390x'],
        bits: 2048,
        spkiSha256: '556c20b04b6b517652477f20108350367c125994f07196d765bd836063ffc236'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-5e69ca50.rsa.pub',
        archs: ['mips64'],
        bits: 2048,
        spkiSha256: 'cae5d12519633b68c607cad9411669b3b18c041b123e8f08e49260697ee2c336'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-60ac2099.rsa.pub',
        archs: ['riscv64'],
        bits: 2048,
        spkiSha256: 'c0bd6da992b7158927aae7c11fc416a2c7d63fd2a47db238a0e8f636ebf2fc9d'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub',
        archs: ['x86_64'],
        bits: 4096,
        spkiSha256: '8a70fc55f1a6fb2a392ad5a3e71aff82a637b2b33659c046f6b6a909bb5d1ab7'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-61666e3f.rsa.pub',
        archs: ['x86'],
        bits: 4096,
        spkiSha256: '06216db06044f26845ff610f2c253863b9e01fbd4c5557871b8bfa2f5ac96e95'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-616a9724.rsa.pub',
        archs: ['armhf'],
        bits: 4096,
        spkiSha256: '4cff6544e8548bd10f959de619ab2184867c8016f03a5c6b8da6f3e88bfb1625'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-616abc23.rsa.pub',
        archs: ['ppc64le'],
        bits: 4096,
        spkiSha256: '654f5e12a67c95bedf92da80b6257abba7fe1df6698820825d793a33d677e3a1'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-616ac3bc.rsa.pub',
        archs: ['s390x'],
        bits: 4096,
        spkiSha256: '2ace5cf3235c095544c26ec946611836f39324aa264f75862fe0332eb17f0975'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-616adfeb.rsa.pub',
        archs: ['armv7'],
        bits: 4096,
        spkiSha256: '45d409999dd3e16dfce19757fc48f238ae775d17ca319e08e474a471f1ab6521'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub',
        archs: ['aarch64'],
        bits: 4096,
        spkiSha256: '479f16f4170a9ea0c65e1de854860949b1a549cfa1f43552f7a2e821c9e2f409'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-616db30d.rsa.pub',
        archs: ['riscv64'],
        bits: 4096,
        spkiSha256: '32246c9a9673e3f6e7bef6c96031883d23078f41094ea6636d19a697f356420a'
    },
    {
        name: 'alpine-devel@lists.alpinelinux.org-66ba20fe.rsa.pub',
        archs: ['loongarch64'],
        bits: 4096,
        spkiSha256: 'cda03d97275759b9af27883bf8613abcfd2ca42860bf2dcf985bacbddfcf1c9a'
    }
];
const PINS = new Map(ALPINE_KEYS.map((k) => [k.name, k.spkiSha256]));
/** The pinned SPKI SHA-256 of an Alpine key name, or undefined for a name Alpine does not use. */
function alpineKeyPin(name) {
    return PINS.get(name);
}

;// CONCATENATED MODULE: ./src/apk/keys/rsa-key.ts
/**
 * An RSA public key read from its DER SubjectPublicKeyInfo (RFC 5280 \u{a7}4.1, RFC 8017 A.1.1), by
 * hand: a resolve checks an index's signature with BigInt arithmetic (formats/signature.ts) and
 * never loads `node:crypto`. The reading is strict DER, as a key file may be anything: every
 * length within its parent and filling it, the integers minimal and positive, and the sizes
 * bounded (as OpenSSL bounds them), so a hostile key cannot make a check run long.
 */
/** OpenSSL's bounds: moduli of at most 16384 bits, exponents of at most 64. */
const MAX_MODULUS_BITS = 16384;
const MAX_EXPONENT_BITS = 64;
/** The smallest modulus taken (OpenSSL refuses to make smaller). */
const MIN_MODULUS_BITS = 512;
/** DER of the rsaEncryption algorithm identifier's OID, 1.2.840.113549.1.1.1. */
const RSA_ENCRYPTION_OID = Buffer.from('06092a864886f70d010101', 'hex');
/** The length of the DER header (tag and length) of the SEQUENCE at `at`, or 0 for none. */
function sequenceHeader(der, at) {
    if (der[at] !== 0x30 || at + 1 >= der.length)
        return 0;
    const first = der[at + 1];
    return first < 0x80 ? 2 : 2 + (first & 0x7f);
}
/**
 * Whether `der` starts like an RSA SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { rsaEncryption \u{2026}
 * (a key of another kind is not a key to apk; a damaged RSA key is an error when it is used).
 */
function isRsaSpki(der) {
    const outer = sequenceHeader(der, 0);
    const algorithm = outer && sequenceHeader(der, outer);
    if (!algorithm)
        return false;
    const oid = outer + algorithm;
    return der.subarray(oid, oid + RSA_ENCRYPTION_OID.length).equals(RSA_ENCRYPTION_OID);
}
/** Why a key could not be read (the caller names the key and the fix). */
class RsaKeyError extends Error {
}
/** The element of tag `tag` at `at`, which must end by `limit`. */
function rsa_key_element(der, at, limit, tag, what) {
    if (at + 2 > limit || der[at] !== tag)
        throw new RsaKeyError(`no ${what} where one is due`);
    let length = der[at + 1];
    let start = at + 2;
    if (length & 0x80) {
        const count = length & 0x7f;
        // DER: the long form only from 128 on, in the fewest bytes; two bytes hold any key here.
        if (count === 0 || count > 2 || start + count > limit) {
            throw new RsaKeyError(`the ${what}'s length is not one DER allows here`);
        }
        length = 0;
        for (let i = 0; i < count; i++)
            length = length * 256 + der[start + i];
        if (length < 0x80 || (count === 2 && length < 0x100)) {
            throw new RsaKeyError(`the ${what}'s length is not in its shortest form`);
        }
        start += count;
    }
    if (start + length > limit)
        throw new RsaKeyError(`the ${what} runs past its end`);
    return { start, end: start + length };
}
/** The positive INTEGER `e` holds, of at most `maxBits` bits. */
function positiveInteger(der, e, maxBits, what) {
    const length = e.end - e.start;
    if (length === 0)
        throw new RsaKeyError(`the ${what} is empty`);
    const first = der[e.start];
    if (first & 0x80)
        throw new RsaKeyError(`the ${what} is negative`);
    if (first === 0 && length > 1 && !(der[e.start + 1] & 0x80)) {
        throw new RsaKeyError(`the ${what} is not in its shortest form`);
    }
    const digits = der.subarray(e.start, e.end).toString('hex');
    const value = BigInt(`0x${digits}`);
    if (value === 0n)
        throw new RsaKeyError(`the ${what} is zero`);
    if (value.toString(2).length > maxBits) {
        throw new RsaKeyError(`the ${what} is longer than ${maxBits} bits`);
    }
    return value;
}
/**
 * The RSA public key in `der`, a SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { rsaEncryption,
 * NULL or nothing }, BIT STRING { SEQUENCE { INTEGER n, INTEGER e } } }. Throws RsaKeyError.
 */
function readRsaPublicKey(der) {
    const outer = rsa_key_element(der, 0, der.length, 0x30, 'key sequence');
    if (outer.end !== der.length)
        throw new RsaKeyError('bytes follow the key');
    const algorithm = rsa_key_element(der, outer.start, outer.end, 0x30, 'algorithm identifier');
    const oidEnd = algorithm.start + RSA_ENCRYPTION_OID.length;
    if (oidEnd > algorithm.end || !der.subarray(algorithm.start, oidEnd).equals(RSA_ENCRYPTION_OID)) {
        throw new RsaKeyError('it is not an RSA key (rsaEncryption)');
    }
    // RFC 3279 \u{a7}2.3.1: the parameters are NULL; some writers leave them out.
    const parameters = der.subarray(oidEnd, algorithm.end);
    if (!(parameters.length === 0 ||
        (parameters.length === 2 && parameters[0] === 0x05 && parameters[1] === 0))) {
        throw new RsaKeyError("rsaEncryption's parameters are not NULL");
    }
    const bits = rsa_key_element(der, algorithm.end, outer.end, 0x03, 'key bit string');
    if (bits.end !== outer.end)
        throw new RsaKeyError('bytes follow the key bit string');
    if (bits.start === bits.end || der[bits.start] !== 0) {
        throw new RsaKeyError('the key bit string is not whole bytes');
    }
    const body = rsa_key_element(der, bits.start + 1, bits.end, 0x30, 'RSAPublicKey sequence');
    if (body.end !== bits.end)
        throw new RsaKeyError('bytes follow the RSAPublicKey');
    const modulus = rsa_key_element(der, body.start, body.end, 0x02, 'modulus');
    const exponent = rsa_key_element(der, modulus.end, body.end, 0x02, 'exponent');
    if (exponent.end !== body.end)
        throw new RsaKeyError('bytes follow the exponent');
    const n = positiveInteger(der, modulus, MAX_MODULUS_BITS, 'modulus');
    const e = positiveInteger(der, exponent, MAX_EXPONENT_BITS, 'exponent');
    const modulusBits = n.toString(2).length;
    if (modulusBits < MIN_MODULUS_BITS) {
        throw new RsaKeyError(`the modulus has ${modulusBits} bits, fewer than ${MIN_MODULUS_BITS}`);
    }
    if (!(n & 1n))
        throw new RsaKeyError('the modulus is even');
    if (e < 3n || !(e & 1n) || e >= n)
        throw new RsaKeyError('the exponent is not an odd number from 3 below the modulus');
    return { n, e, size: Math.ceil(modulusBits / 8), der };
}

;// CONCATENATED MODULE: ./src/apk/keys/keyring.ts
/**
 * The trusted signing keys. apk finds a key by the file name a `.SIGN.` entry names, so the
 * keyring is a map from file name to public key. Keys the user gives are trusted as given;
 * Alpine's keys may also be fetched on demand, and are accepted only if their fingerprint is
 * pinned in alpine-keys.ts. A key carrying an Alpine key's name must always match the pin, so a
 * swapped file cannot impersonate Alpine.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.






const PEM_PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/;
/**
 * Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) holding an RSA key; undefined otherwise. The
 * key itself is read when it is first used (keyOf).
 */
function parsePublicKey(bytes) {
    const block = PEM_PUBLIC_KEY.exec(bytes.toString('utf8'));
    if (!block)
        return undefined;
    const der = Buffer.from(block[1].replace(/\s+/g, ''), 'base64');
    if (!isRsaSpki(der))
        return undefined;
    // Only the public block is kept (and later copied into the image): a key file that also
    // holds anything else, a private key above all, never reaches the image.
    return {
        pem: `${block[0]}\n`,
        der,
        fingerprint: (0,sha/* shaDigest */.h)('sha256', der).toString('hex')
    };
}
/** The RSA key of a loaded key, read on first use. */
function keyOf(name, loaded) {
    if (loaded.key)
        return loaded.key;
    let key;
    try {
        key = readRsaPublicKey(loaded.der);
    }
    catch (error) {
        if (!(error instanceof RsaKeyError))
            throw error;
        throw new errors/* UntrustedKeyError */.Ms(`key ${name} is not a valid RSA public key (${error.message}); replace the ` +
            `file with the repository's .rsa.pub.`, { cause: error });
    }
    loaded.key = key;
    return key;
}
/** Whether `bytes` hold Alpine's key `name`: an RSA public key whose fingerprint is its pin. */
function matchesAlpinePin(name, bytes) {
    const pin = alpineKeyPin(name);
    return pin !== undefined && parsePublicKey(bytes)?.fingerprint === pin;
}
function checkPin(name, loaded, origin) {
    const pin = alpineKeyPin(name);
    if (pin === undefined || pin === loaded.fingerprint)
        return;
    throw new errors/* UntrustedKeyError */.Ms(`key ${name} (${origin}) has SPKI SHA-256 ${loaded.fingerprint}, but Alpine's key of that ` +
        `name is pinned to ${pin}. The file is not Alpine's key: replace it with the real one ` +
        `(https://alpinelinux.org/keys/${name}) or remove it.`);
}
/** A PEM public key is a few hundred bytes; a larger file in a keys folder is not one. */
const KEY_FILE_LIMIT = 64 * 1024;
/**
 * A keys folder entry's bytes: undefined for what is not a regular file of key size (looked at
 * before it is opened: opening a FIFO would wait for a writer). Read synchronously: a few hundred
 * bytes each, and Alpine's 18 keys took 5-6 ms of a cold start read side by side through the
 * thread pool, under 1 ms so.
 */
function readKeyFile(file) {
    let stat;
    try {
        stat = (0,external_node_fs_.statSync)(file);
    }
    catch {
        return undefined;
    }
    if (!stat.isFile() || stat.size > KEY_FILE_LIMIT)
        return undefined;
    try {
        return (0,external_node_fs_.readFileSync)(file);
    }
    catch (error) {
        throw new errors/* InvalidArgumentError */.Di(`cannot read key file '${file}': ${error.message}. Make it readable, or move ` +
            `it out of the keys folder.`);
    }
}
class Keyring {
    keys = new Map();
    /**
     * Keys folder entries not read yet, by file name: the files of that name, in the order the
     * folders were given. Read when a key of that name is first needed.
     */
    unread = new Map();
    fetching = new Map();
    fetchAlpineKey;
    constructor(fetchAlpineKey) {
        this.fetchAlpineKey = fetchAlpineKey;
    }
    static async load(options) {
        const keyring = new Keyring(options.fetchAlpineKey);
        if (options.keysDir !== undefined)
            await keyring.loadDir(options.keysDir);
        for (const dir of options.keysDirs ?? [])
            await keyring.loadDir(dir);
        for (const file of options.keyFiles ?? [])
            await keyring.loadFile(file);
        return keyring;
    }
    async loadDir(dir) {
        let names;
        try {
            // On this thread: a folder of a few files, read before anything else can go on.
            names = (0,external_node_fs_.readdirSync)(dir);
        }
        catch (error) {
            throw new errors/* InvalidArgumentError */.Di(`cannot read keys folder '${dir}': ${error.message}. Give an existing folder of .rsa.pub files.`);
        }
        // Nothing is read yet: as apk opens the key a signature names, each file is read when a key
        // of its name is first needed (settle). Alpine's 18 keys took 3-4 ms of a cold start read,
        // and an index needs one.
        for (const name of names) {
            if (name.startsWith('.'))
                continue;
            const files = this.unread.get(name);
            if (files === undefined)
                this.unread.set(name, [external_node_path_.join(dir, name)]);
            else
                files.push(external_node_path_.join(dir, name));
        }
    }
    /**
     * The key of this name, once the keys folders' files of that name are read. Like apk 3.0,
     * files in a keys folder that are not public keys are simply not keys; one that cannot be read,
     * an Alpine-named one off its pin, or two different keys of one name, are errors, as they are
     * met.
     */
    settle(name) {
        const files = this.unread.get(name);
        if (files !== undefined) {
            for (const file of files) {
                const bytes = readKeyFile(file);
                const loaded = bytes && parsePublicKey(bytes);
                if (loaded)
                    this.add(name, loaded, file);
            }
            // Only once all were read: after an error, the next use meets it again.
            this.unread.delete(name);
        }
        return this.keys.get(name);
    }
    async loadFile(file) {
        let bytes;
        try {
            bytes = await external_node_fs_.promises.readFile(file);
        }
        catch (error) {
            throw new errors/* InvalidArgumentError */.Di(`cannot read key file '${file}': ${error.message}`);
        }
        const loaded = parsePublicKey(bytes);
        if (!loaded) {
            throw new errors/* InvalidArgumentError */.Di(`key file '${file}' is not an RSA public key in PEM form (-----BEGIN PUBLIC KEY-----); ` +
                `give the repository's .rsa.pub file (openssl rsa -pubout writes one).`);
        }
        // A folder's file of the same name was given first: it is compared first.
        this.settle(external_node_path_.basename(file));
        this.add(external_node_path_.basename(file), loaded, file);
    }
    add(name, loaded, origin) {
        checkPin(name, loaded, origin);
        const existing = this.keys.get(name);
        if (existing && existing.fingerprint !== loaded.fingerprint) {
            throw new errors/* InvalidArgumentError */.Di(`two different keys are named ${name} (the second is ${origin}); apk finds keys by ` +
                `file name, so give each key once.`);
        }
        if (!existing)
            this.keys.set(name, loaded);
    }
    /** A key already in the keyring (local, or fetched and verified earlier). */
    get(keyName) {
        const loaded = this.settle(keyName);
        return loaded && keyOf(keyName, loaded);
    }
    /**
     * A local key by name; else, for one of Alpine's key names, the fetched key if its
     * fingerprint is pinned. Undefined when no such key can be had. Throws UntrustedKeyError when
     * a fetched key does not match its pin.
     */
    async resolve(keyName) {
        const local = this.get(keyName);
        if (local)
            return local;
        if (!this.fetchAlpineKey || alpineKeyPin(keyName) === undefined)
            return undefined;
        let pending = this.fetching.get(keyName);
        if (!pending) {
            pending = this.fetchPinned(keyName);
            this.fetching.set(keyName, pending);
            // A failed fetch may be retried by a later call.
            pending.then((key) => key ?? this.fetching.delete(keyName), () => this.fetching.delete(keyName));
        }
        return pending;
    }
    async fetchPinned(keyName) {
        const fetch = this.fetchAlpineKey;
        const bytes = await fetch(keyName);
        if (bytes === undefined)
            return undefined;
        const loaded = parsePublicKey(bytes);
        if (!loaded) {
            throw new errors/* UntrustedKeyError */.Ms(`the downloaded key ${keyName} is not an RSA public key in PEM form; it cannot be ` +
                `trusted. Put Alpine's ${keyName} in your keys instead.`);
        }
        checkPin(keyName, loaded, 'downloaded');
        this.keys.set(keyName, loaded);
        return keyOf(keyName, loaded);
    }
    /** Names of the keys in the keyring, sorted (every keys folder's file read). */
    names() {
        for (const name of [...this.unread.keys()])
            this.settle(name);
        return [...this.keys.keys()].sort();
    }
    /** The key's PEM public-key block as loaded or downloaded, with a final newline. */
    pemOf(keyName) {
        return this.settle(keyName)?.pem;
    }
    /** SPKI SHA-256 of a key in the keyring. */
    fingerprintOf(keyName) {
        return this.settle(keyName)?.fingerprint;
    }
}

// EXTERNAL MODULE: ./src/files.ts
var files = __nccwpck_require__(148);
;// CONCATENATED MODULE: ./src/apk/keys/key-cache.ts
/**
 * Alpine's keys kept beside the cached indexes (`<cache>/indexes/keys/<name>`), so a warm run
 * verifies its indexes without reaching alpinelinux.org. A key is kept only when its fingerprint
 * is the pinned one, and a kept file is used only when it still is: a cache entry, hostile or
 * damaged, can never put another key in the keyring, only cost a download.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.




/** Where Alpine's key `name` is kept under the cache folder `cacheDir`. */
function cachedKeyPath(cacheDir, name) {
    return external_node_path_.join(cacheDir, 'indexes', 'keys', name);
}
/** The kept copy of Alpine's key `name`, if there is one that matches its pin. */
async function readCachedAlpineKey(cacheDir, name) {
    // A key is a few hundred bytes; anything that is not a small regular file is not one.
    const file = cachedKeyPath(cacheDir, name);
    const bytes = await (0,files/* readRegularFile */.XF)(file, KEY_FILE_LIMIT).catch(() => undefined);
    return bytes !== undefined && matchesAlpinePin(name, bytes) ? bytes : undefined;
}
/** Keeps Alpine's key `name` when it matches its pin; a cache that cannot be written is no error. */
async function keepAlpineKey(cacheDir, name, bytes) {
    if (!matchesAlpinePin(name, bytes))
        return;
    await (0,files/* writeThroughTemp */.B7)(cachedKeyPath(cacheDir, name), (temp) => external_node_fs_.promises.writeFile(temp, bytes)).catch(() => undefined);
}

// EXTERNAL MODULE: ./src/apk/fetch/repository.ts + 1 modules
var fetch_repository = __nccwpck_require__(614);
// EXTERNAL MODULE: ./src/apk/solver/graph.ts + 2 modules
var solver_graph = __nccwpck_require__(583);
// EXTERNAL MODULE: ./src/apk/solver/solve.ts + 6 modules
var solve = __nccwpck_require__(415);
// EXTERNAL MODULE: ./src/apk/fetch/transport.ts + 1 modules
var fetch_transport = __nccwpck_require__(718);
// EXTERNAL MODULE: ./src/apk/fetch/auth.ts
var auth = __nccwpck_require__(75);
// EXTERNAL MODULE: ./src/apk/types.ts
var types = __nccwpck_require__(443);
// EXTERNAL MODULE: ./src/apk/formats/version.ts
var version = __nccwpck_require__(769);
;// CONCATENATED MODULE: ./src/apk/engine.ts
/**
 * The engine's front door: what `apk --root ROOT --initdb --arch A --keys-dir K --repository R add
 * WORLD\u{2026}` does, in three steps a caller can stop between (the action restores its package cache
 * after resolving): open the repositories, resolve the world, install it.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.


















// What the rest of witchery may use of the engine: this file is the one door into src/apk/.




// Credentials: publicUrl is what any URL written to a log, an error or a file goes through.





const ALPINE_KEYS_URL = 'https://alpinelinux.org/keys/';
/** A PEM public key is under 1 KiB; anything past this is not one. */
const MAX_KEY_BYTES = 64 * 1024;
/**
 * The most the alpine-keys package may take, file and inflated (Alpine's: 13 and 14 KB). Its
 * index is not verified (the key to verify it is what is looked for), so what it claims is not
 * trusted for an allocation: once, a 714 KB package claiming 700 MiB took 1.4 GiB.
 */
const MAX_KEYS_PACKAGE_BYTES = 1024 * 1024;
const MAX_KEYS_PACKAGE_INFLATED = 4 * 1024 * 1024;
/** The part of opened repositories an install needs (InstallSources), holding no index. */
function installSources(repos) {
    const { arch, repositories, keyring, stats } = repos;
    const indexes = repos.indexes.map(({ signer }) => ({ signer }));
    return { arch, repositories, indexes, keyring, stats };
}
function checkArch(arch) {
    if (!(0,src_arch/* findArch */.YM)(arch) || (0,src_arch/* findArch */.YM)(arch)?.apk !== arch) {
        throw new errors/* InvalidArgumentError */.Di(`unknown arch '${arch}': use one of ${(0,src_arch/* archNames */.HS)()}.`);
    }
}
/**
 * The packages a `lib/apk/db/installed` lists, as scanners read them: each stanza's index header
 * (`C P V A \u{2026} D p i`); the file lines that follow are skipped.
 */
function parseInstalledDatabase(text) {
    const db = { url: 'lib/apk/db/installed', index: 0 };
    return (0,apkindex/* parseApkindexText */.J_)(text, db).map(({ repository: _repository, ...info }) => info);
}
/** Parses world tokens (`curl`, `libssl3>=3.3`, `so:libz.so.1`, `!busybox`). */
function parseWorld(tokens) {
    return tokens.map((token) => {
        try {
            return (0,dependency/* parseDependency */.d6)(token);
        }
        catch (error) {
            throw new errors/* InvalidArgumentError */.Di(`'${token}' is not a package name or apk constraint (name, name>=1.2, so:libz.so.1, !name): ${error.message}`);
        }
    });
}
async function loadKeyring(options, transport) {
    const keyFiles = options.keyFiles ?? [];
    const fetchAlpineKey = options.fetchAlpineKeys === false
        ? undefined
        : (name) => fetchAlpineKeyFile(name, options, transport);
    // A keys folder is read as apk reads one: files that are not public keys are not keys.
    return Keyring.load({ keysDirs: options.keyDirs, keyFiles, fetchAlpineKey });
}
/**
 * Gets one of Alpine's keys: from the cache folder, else from alpinelinux.org, else from the
 * `alpine-keys` package of a configured repository, and keeps a downloaded one in the cache.
 * Where it came from does not matter: the keyring accepts it only if its fingerprint is pinned.
 */
async function fetchAlpineKeyFile(name, options, transport) {
    const cacheDir = options.cacheDir;
    const cached = cacheDir === undefined ? undefined : await readCachedAlpineKey(cacheDir, name);
    if (cached !== undefined)
        return cached;
    const key = await downloadAlpineKeyFile(name, options, transport);
    if (key !== undefined && cacheDir !== undefined)
        await keepAlpineKey(cacheDir, name, key);
    return key;
}
async function downloadAlpineKeyFile(name, options, transport) {
    const logger = options.logger ?? types/* silentLogger */.qq;
    const url = (options.alpineKeysUrl ?? ALPINE_KEYS_URL) + encodeURIComponent(name);
    try {
        // One attempt: the alpine-keys package of a configured repository is the fallback.
        return (await transport.get(url, { retries: 0, maxBytes: MAX_KEY_BYTES, what: 'key' })).body;
    }
    catch (error) {
        logger.debug(`could not fetch key ${name} from ${url}: ${error.message}`);
    }
    for (const [i, line] of options.repositories.entries()) {
        const key = await keyFromAlpineKeysPackage(name, (0,fetch_repository/* parseRepository */.SU)(line, i), options, transport);
        if (key)
            return key;
    }
    return undefined;
}
async function keyFromAlpineKeysPackage(name, repository, options, transport) {
    const logger = options.logger ?? types/* silentLogger */.qq;
    try {
        const indexBytes = await readSource((0,fetch_repository/* indexUrl */.E5)(repository, options.arch), repository, transport);
        const index = await (0,apkindex/* readApkindex */.t5)(indexBytes, repository, {
            keyring: await Keyring.load({}),
            allowUntrusted: true
        });
        const row = index.table.rowOfName('alpine-keys');
        if (row < 0)
            return undefined;
        const pkg = index.table.package(row);
        const bytes = await readSource((0,fetch_repository/* packageUrl */.EH)(repository, pkg, options.arch), repository, transport, {
            maxBytes: MAX_KEYS_PACKAGE_BYTES,
            what: 'alpine-keys package'
        });
        const { readApkPackage } = await __nccwpck_require__.e(/* import() */ 484).then(__nccwpck_require__.bind(__nccwpck_require__, 484));
        const file = readApkPackage(bytes, { expected: pkg, maxInflated: MAX_KEYS_PACKAGE_INFLATED });
        const entry = file.entries.find((e) => e.type === 'file' && external_node_path_.posix.basename(e.name) === name && /apk\/keys/.test(e.name));
        return entry?.data;
    }
    catch (error) {
        logger.debug(`no key ${name} from alpine-keys in ${repository.url}: ${error.message}`);
        return undefined;
    }
}
async function readSource(url, repository, transport, limit) {
    if ((0,fetch_repository/* isRemote */.Vx)(repository))
        return (await transport.get(url, limit ?? {})).body;
    if (limit !== undefined) {
        const { size } = await external_node_fs_.promises.stat(url);
        if (size > limit.maxBytes) {
            throw new errors/* FormatError */.IF(`the ${limit.what} ${url} is ${size} bytes, more than ${limit.maxBytes}`);
        }
    }
    return external_node_fs_.promises.readFile(url);
}
/** The credentials the options carry: given ones and those written in repository URLs. */
function engineAuth(options) {
    return new auth/* RepositoryAuth */.Xs([
        ...(options.auth ?? []),
        ...(0,auth/* repositoryCredentials */.p_)(options.repositories)
    ]);
}
/** The caller's transport, or one of the engine's own with the credentials (closed by `done`). */
function transportFor(options) {
    if (options.transport)
        return { transport: options.transport, done: () => undefined };
    const transport = new fetch_transport/* HttpTransport */.G({ logger: options.logger, auth: engineAuth(options) });
    return { transport, done: () => transport.close() };
}
/** Fetches and verifies every repository's index for one arch. */
async function openRepositories(options) {
    checkArch(options.arch);
    if (options.repositories.length === 0) {
        throw new errors/* InvalidArgumentError */.Di('no repositories: give at least one repository URL or path.');
    }
    const logger = options.logger ?? types/* silentLogger */.qq;
    const { transport, done } = transportFor(options);
    try {
        const repositories = options.repositories.map((line, i) => (0,fetch_repository/* parseRepository */.SU)(line, i));
        const keyring = await loadKeyring(options, transport);
        const stats = (0,fetch/* newFetchStats */.cE)();
        const indexes = await (0,fetch/* fetchIndexes */.ZQ)(repositories, options.arch, {
            stats,
            transport,
            cache: options.cacheDir ? new cache/* PackageCache */.h(options.cacheDir) : undefined,
            keyring,
            allowUntrusted: options.allowUntrusted,
            packageDetails: options.packageDetails,
            maxAgeSeconds: options.indexMaxAgeSeconds,
            logger
        });
        const tables = indexes.map((index) => index.table);
        // The indexes' files and inflated bytes are garbage now: returned before a graph is built.
        (0,released_memory/* letGoAtOnce */.G2)(indexes.reduce((sum, index) => sum + index.bytesRead, 0));
        return {
            arch: options.arch,
            repositories,
            indexes,
            tables,
            get packages() {
                return tables.flatMap((table) => table.all());
            },
            keyring,
            stats
        };
    }
    finally {
        // Alpine keys are fetched while the indexes verify; after that the transport has no use.
        done();
    }
}
/**
 * Packages of the opened repositories that provide `name`, as their own name or in their `p:`
 * list (`so:libz.so.1`, `cmd:python3`, and paths: busybox-binsh has `p:/bin/sh`), in database
 * order, one per name, version and repository.
 */
function providersOf(repos, name) {
    const seen = new Set();
    const found = [];
    const graph = (0,solver_graph/* graphOf */.cQ)(repos.tables, repos.repositories, repos.arch);
    for (const pkg of graph.packagesProviding(name)) {
        const id = `${pkg.name}-${pkg.version}@${pkg.repository}`;
        if (seen.has(id))
            continue;
        seen.add(id);
        found.push(pkg);
    }
    return found;
}
/** The package of the first table in which `rowOf` finds a row (-1: none), made whole. */
function firstFound(repos, rowOf) {
    for (const table of repos.tables) {
        const row = rowOf(table);
        if (row >= 0)
            return table.package(row);
    }
    return undefined;
}
/** The first package named `name` in database order, if any repository has one. */
function firstPackageNamed(repos, name) {
    return firstFound(repos, (table) => table.rowOfName(name));
}
/** The package with this identity (`C:`) in database order, if any repository has it. */
function packageWithChecksum(repos, checksum) {
    return firstFound(repos, (table) => table.rowOfChecksum(checksum));
}
/** Resolves the world against opened repositories, as `apk add --simulate` would. */
function resolveWorld(repos, world) {
    const deps = parseWorld(world);
    const solution = (0,solve/* solve */.k)(deps, repos.tables, {
        repositories: repos.repositories,
        arch: repos.arch
    });
    return { world: deps, packages: solution.packages, tags: solution.tags };
}
/**
 * Fetches, verifies and installs a resolution into `root`, writing the apk database. The
 * installer, the package reader and the packages' fetching (a fifth of the command line's code)
 * load here, on first use: a resolve never needs them, and compiles that much less at start
 * (`witchery --help` took 0.95x the time on Node 20).
 */
async function installResolution(root, repos, resolution, options) {
    const { installFetched } = await Promise.all(/* import() */[__nccwpck_require__.e(484), __nccwpck_require__.e(974)]).then(__nccwpck_require__.bind(__nccwpck_require__, 974));
    const { transport, done } = transportFor(options);
    try {
        return await installFetched(root, repos, resolution, options, transport);
    }
    finally {
        done();
    }
}
/**
 * The resolution of a lock: exactly `locked`, in the order apk would install them. Each package
 * is taken from the opened indexes by its checksum or, when its repository no longer lists it
 * (Alpine keeps only the newest build of a package), from the package cache (or a local
 * repository's folder), verified against the locked checksum before anything of it is used.
 * No package other than the locked ones is ever a candidate: the solver only orders them and
 * checks that they satisfy `world`. Throws LockedPackageError when a package cannot be had or
 * the lock does not match the world.
 */
async function resolveLocked(repos, world, locked, options) {
    const logger = options.logger ?? types/* silentLogger */.qq;
    const candidates = [];
    const missing = [];
    for (const lock of locked) {
        const repository = repos.repositories.find((r) => r.index === lock.repository);
        if (!repository) {
            throw new errors/* InvalidArgumentError */.Di(`locked package ${lock.name}-${lock.version} names repository #${lock.repository}, which is not configured.`);
        }
        const inIndex = packageWithChecksum(repos, lock.checksum);
        if (inIndex && inIndex.name === lock.name && inIndex.version === lock.version) {
            candidates.push(inIndex);
            continue;
        }
        const kept = await lockedFromStore(lock, repository, repos.arch, options);
        if (!kept) {
            missing.push(lock);
            continue;
        }
        logger.warning(`${lock.name}-${lock.version} is no longer in ${repository.url}; using the ${(0,fetch_repository/* isRemote */.Vx)(repository) ? 'cached copy' : 'file still in the folder'}, verified against the locked checksum ${lock.checksum}`);
        candidates.push(kept);
    }
    if (missing.length > 0) {
        const names = missing.map((p) => `${p.name}-${p.version}`);
        throw new errors/* LockedPackageError */.hu(`locked ${missing.length === 1 ? 'package' : 'packages'} ${names.join(', ')} ` +
            `${missing.length === 1 ? 'is' : 'are'} no longer in the repositories and not in the cache`, names);
    }
    return orderLocked(repos, world, candidates);
}
/** The solver over the locked packages alone: apk's install order, tags, and the world check. */
function orderLocked(repos, world, candidates) {
    const deps = parseWorld(world);
    let solution;
    try {
        solution = (0,solve/* solve */.k)(deps, candidates, { repositories: repos.repositories, arch: repos.arch });
    }
    catch (error) {
        if (!(error instanceof errors/* UnsatisfiableError */.jW))
            throw error;
        throw new errors/* LockedPackageError */.hu(`the packages asked for are not satisfied by the locked packages alone:\n${error.message}`, [], { cause: error });
    }
    const chosen = new Set(solution.packages);
    const unused = candidates.filter((p) => !chosen.has(p));
    if (unused.length > 0) {
        const names = unused.map((p) => `${p.name}-${p.version}`);
        throw new errors/* LockedPackageError */.hu(`the lock holds ${names.join(', ')}, which the packages asked for no longer need`, names);
    }
    return { world: deps, packages: solution.packages, tags: solution.tags };
}
/**
 * A locked package its repository no longer lists: from the cache (remote repositories) or the
 * repository's folder (local ones), only if its bytes hash to the locked checksum.
 */
async function lockedFromStore(lock, repository, arch, options) {
    const logger = options.logger ?? types/* silentLogger */.qq;
    const label = `${lock.name}-${lock.version}`;
    let bytes;
    try {
        if ((0,fetch_repository/* isRemote */.Vx)(repository)) {
            if (!options.cacheDir)
                return undefined;
            bytes = await new cache/* PackageCache */.h(options.cacheDir).readPackage(lock.checksum);
        }
        else {
            bytes = await external_node_fs_.promises.readFile((0,fetch_repository/* packageUrl */.EH)(repository, { ...(0,types/* emptyPackageInfo */.Us)(), ...lock }, arch));
        }
    }
    catch (error) {
        logger.debug(`${label}: no stored copy (${error.message})`);
        return undefined;
    }
    if (!bytes)
        return undefined;
    const expected = { ...(0,types/* emptyPackageInfo */.Us)(), ...lock };
    try {
        const { readApkPackageAsync } = await __nccwpck_require__.e(/* import() */ 484).then(__nccwpck_require__.bind(__nccwpck_require__, 484));
        const file = await readApkPackageAsync(bytes, { expected, label });
        if (file.info.name !== lock.name || file.info.version !== lock.version)
            return undefined;
        // The index stanza apk would have written is made from .PKGINFO and the file: the same fields.
        return {
            ...file.info,
            checksum: lock.checksum,
            size: bytes.length,
            repository: repository.index
        };
    }
    catch (error) {
        logger.debug(`${label}: stored copy does not verify (${error.message})`);
        return undefined;
    }
}


/***/ }),

/***/ 239:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BR: () => (/* binding */ IndexSignatureError),
/* harmony export */   Di: () => (/* binding */ InvalidArgumentError),
/* harmony export */   IF: () => (/* binding */ FormatError),
/* harmony export */   Ms: () => (/* binding */ UntrustedKeyError),
/* harmony export */   Ur: () => (/* binding */ PackageIntegrityError),
/* harmony export */   ZU: () => (/* binding */ PathEscapeError),
/* harmony export */   fJ: () => (/* binding */ FileConflictError),
/* harmony export */   fk: () => (/* binding */ FetchError),
/* harmony export */   hu: () => (/* binding */ LockedPackageError),
/* harmony export */   jW: () => (/* binding */ UnsatisfiableError),
/* harmony export */   uR: () => (/* binding */ UnsupportedEntryError),
/* harmony export */   xE: () => (/* binding */ ApkError)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(916);
/**
 * Typed errors of the APK engine. Each message says what was wrong, where, and what to do.
 * `code` is stable and meant for programs; `message` is for people.
 */

class ApkError extends _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .WitcheryError */ .q {
    constructor(code, message, options) {
        super(code, message, options);
    }
}
/** Bytes that are not a well-formed gzip/tar/APKINDEX/.PKGINFO. */
class FormatError extends ApkError {
    constructor(message, options) {
        super('FORMAT', message, options);
    }
}
/** An index whose signature is missing, made with an unknown key, or wrong. */
class IndexSignatureError extends ApkError {
    constructor(message, options) {
        super('INDEX_SIGNATURE', message, options);
    }
}
/** A package whose identity, datahash, signature or file checksum does not match. */
class PackageIntegrityError extends ApkError {
    constructor(message, options) {
        super('PACKAGE_INTEGRITY', message, options);
    }
}
/** A signing key that could not be obtained, or whose fingerprint is not pinned. */
class UntrustedKeyError extends ApkError {
    constructor(message, options) {
        super('UNTRUSTED_KEY', message, options);
    }
}
/** A download that failed after its retries. */
class FetchError extends ApkError {
    url;
    status;
    constructor(url, message, options) {
        super('FETCH', message, options);
        this.url = url;
        this.status = options?.status;
    }
}
/** A world that cannot be satisfied; `problems` lists each reason, apk-style. */
class UnsatisfiableError extends ApkError {
    problems;
    constructor(problems) {
        super('UNSATISFIABLE', `unable to select packages:\n${problems.map((p) => `  ${p}`).join('\n')}`);
        this.problems = problems;
    }
}
/** A package entry that would land outside the target root. */
class PathEscapeError extends ApkError {
    constructor(message) {
        super('PATH_ESCAPE', message);
    }
}
/** Two packages that ship the same path without `replaces`. */
class FileConflictError extends ApkError {
    constructor(message) {
        super('FILE_CONFLICT', message);
    }
}
/** An entry the engine refuses to install (device nodes, FIFOs). */
class UnsupportedEntryError extends ApkError {
    constructor(message) {
        super('UNSUPPORTED_ENTRY', message);
    }
}
/** An option given to the engine that cannot work (bad arch, bad repository string\u{2026}). */
class InvalidArgumentError extends ApkError {
    constructor(message) {
        super('INVALID_ARGUMENT', message);
    }
}
/**
 * Locked packages that cannot be installed as locked: gone from the repository and from the
 * cache, or not what the world asks for. `packages` names them (`name-version`).
 */
class LockedPackageError extends ApkError {
    packages;
    constructor(message, packages, options) {
        super('LOCKED_PACKAGE', message, options);
        this.packages = packages;
    }
}


/***/ }),

/***/ 75:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   HB: () => (/* binding */ maskedUrl),
/* harmony export */   Xs: () => (/* binding */ RepositoryAuth),
/* harmony export */   p_: () => (/* binding */ repositoryCredentials),
/* harmony export */   uQ: () => (/* binding */ decodeUserinfo),
/* harmony export */   x6: () => (/* binding */ publicUrl),
/* harmony export */   zx: () => (/* binding */ parseAuthLines)
/* harmony export */ });
/* unused harmony exports splitCredentials, credentialSecrets */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(239);
/**
 * Credentials for private repositories: HTTP basic auth, from a repository URL's userinfo
 * (`https://user:token@host/path`, as apk-tools takes them) or from `HOST[/PATH] USER:TOKEN`
 * lines. A credential belongs to a host (and a path prefix) and is sent only there. Everywhere
 * else (logs, errors, caches, the image's etc/apk/repositories) URLs go without userinfo:
 * repository strings are split into a public URL and credentials the moment they are parsed.
 */

/**
 * `scheme://userinfo@` \u{2014} userinfo runs to the last `@` before the path; also after `http:` or
 * `https:` with one slash or none, which URL parsers take as `//` (`https:/user:token@host`).
 */
const USERINFO = /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/|\bhttps?:\/?)[^/?#\s]*@/gi;
/** The URL without its userinfo (`https://u:p@host/x` \u{2192} `https://host/x`); other text as is. */
function publicUrl(text) {
    return text.replace(USERINFO, '$1');
}
/**
 * publicUrl, for text that is to be one URL but may not parse: everything from `scheme://` to
 * the last `@` goes (a password with an unencoded `/` would otherwise be shown from it on).
 */
function maskedUrl(text) {
    return publicUrl(text).replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)\S*@/, '$1');
}
/** Percent-decoded userinfo; a malformed escape is kept as written rather than thrown. */
function decodeUserinfo(text) {
    try {
        return decodeURIComponent(text);
    }
    catch {
        return text;
    }
}
function withSlash(pathname) {
    return pathname.endsWith('/') ? pathname : `${pathname}/`;
}
/**
 * Splits the credentials out of an http(s) repository URL. `url` is the public URL; the
 * credentials hold for the URL's host under the repository's path.
 */
function splitCredentials(location) {
    const url = publicUrl(location);
    const match = /^https?:\/\/([^/?#\s]*)@/i.exec(location);
    if (!match)
        return { url };
    let parsed;
    try {
        parsed = new URL(url);
    }
    catch {
        return { url };
    }
    const userinfo = match[1];
    const colon = userinfo.indexOf(':');
    const username = decodeUserinfo(colon < 0 ? userinfo : userinfo.slice(0, colon));
    const password = decodeUserinfo(colon < 0 ? '' : userinfo.slice(colon + 1));
    if (username === '' && password === '')
        return { url };
    return {
        url,
        credentials: {
            protocol: parsed.protocol === 'http:' ? 'http:' : 'https:',
            host: parsed.host,
            path: withSlash(parsed.pathname),
            username,
            password
        }
    };
}
/** The credentials written in repository lines (`[@tag ]URL`), for the hosts they name. */
function repositoryCredentials(lines) {
    const found = [];
    for (const line of lines) {
        const location = line.trim().split(/\s+/).at(-1) ?? '';
        const { credentials } = splitCredentials(location);
        if (credentials)
            found.push(credentials);
    }
    return found;
}
const AUTH_FORM = 'HOST USER:TOKEN (e.g. gitlab.example.com deploy-token:\u2026), one per line';
/**
 * Parses `HOST[:PORT][/PATH] USER:TOKEN` lines (blank lines and `#` comments skipped); HOST may
 * also be written as a URL. Messages name the line and the host, never the credentials.
 */
function parseAuthLines(text, source) {
    const entries = [];
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            continue;
        const where = `line ${i + 1} of ${source}`;
        const match = /^(\S+)\s+(\S.*)$/.exec(line);
        if (!match) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InvalidArgumentError */ .Di(`${where} is not ${AUTH_FORM}: give the host, a space and the credentials.`);
        }
        const target = authTarget(match[1], where);
        const credentials = match[2].trim();
        const colon = credentials.indexOf(':');
        if (colon <= 0) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InvalidArgumentError */ .Di(`${where} (for ${target.host}): the credentials are not USER:TOKEN; write ${AUTH_FORM}.`);
        }
        entries.push({
            ...target,
            username: credentials.slice(0, colon),
            password: credentials.slice(colon + 1)
        });
    }
    return entries;
}
function authTarget(text, where) {
    const written = publicUrl(text);
    let url;
    try {
        url = new URL(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(written) ? written : `https://${written}`);
    }
    catch {
        url = undefined;
    }
    if (!url || url.host === '' || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InvalidArgumentError */ .Di(`${where}: '${written}' is not a host; write ${AUTH_FORM}.`);
    }
    // A bare HOST is https: plain http takes a URL that says so.
    return {
        protocol: url.protocol === 'http:' ? 'http:' : 'https:',
        host: url.host,
        path: withSlash(url.pathname)
    };
}
/**
 * The strings a log must never show for these credentials: the secret as given and as it may
 * be written in a URL, and the Authorization value. The password is the secret; with none,
 * the user name is (a token written as `https://TOKEN@host/`).
 */
function credentialSecrets(credentials) {
    const secrets = new Set();
    for (const c of credentials) {
        const secret = c.password !== '' ? c.password : c.username;
        if (secret === '')
            continue;
        secrets.add(secret);
        secrets.add(encodeURIComponent(secret));
        secrets.add(basic(c));
    }
    return [...secrets];
}
function basic(c) {
    return Buffer.from(`${c.username}:${c.password}`).toString('base64');
}
/** Basic auth by host and path prefix: the longest prefix of the request's path wins. */
class RepositoryAuth {
    entries = [];
    constructor(credentials = []) {
        for (const c of credentials)
            this.add(c);
    }
    get size() {
        return this.entries.length;
    }
    add(c) {
        const same = this.entries.find((e) => e.protocol === c.protocol && e.host === c.host && e.path === c.path);
        if (!same) {
            this.entries.push(c);
        }
        else if (same.username !== c.username || same.password !== c.password) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InvalidArgumentError */ .Di(`two different credentials are given for ${c.protocol === 'http:' ? 'http://' : ''}` +
                `${c.host}${c.path}; give one per host and path.`);
        }
    }
    /** The credentials for `url`, if any are given for its scheme, host and path. */
    credentialsFor(url) {
        let best;
        for (const e of this.entries) {
            if (e.protocol !== url.protocol || e.host !== url.host)
                continue;
            if (!withSlash(url.pathname).startsWith(e.path))
                continue;
            if (!best || e.path.length > best.path.length)
                best = e;
        }
        return best;
    }
    authorizationFor(url) {
        const c = this.credentialsFor(url);
        return c ? `Basic ${basic(c)}` : undefined;
    }
}


/***/ }),

/***/ 383:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   h: () => (/* binding */ PackageCache)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(24);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _files_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(148);
/* harmony import */ var _lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(200);
/**
 * The on-disk cache of indexes and package files, shared by builds that may run at the same
 * time. Nothing read from here is trusted: callers verify every byte as if it were downloaded.
 *
 * Layout:
 *   DIR/indexes/<sha256(url) hex>.tar.gz   index bytes
 *   DIR/indexes/<sha256(url) hex>.json     { url, etag, lastModified, fetchedAt, size, sha256 }
 *   DIR/packages/<base64url(identity)>.apk package bytes, by identity (`Q1\u{2026}`)
 * Every file is written to a unique temporary name in its folder and renamed into place, so a
 * reader sees a whole old file or a whole new one, never a mix.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.




class PackageCache {
    dir;
    indexDir;
    packageDir;
    constructor(dir) {
        this.dir = node_path__WEBPACK_IMPORTED_MODULE_1__.resolve(dir);
        this.indexDir = node_path__WEBPACK_IMPORTED_MODULE_1__.join(this.dir, 'indexes');
        this.packageDir = node_path__WEBPACK_IMPORTED_MODULE_1__.join(this.dir, 'packages');
    }
    /** The cached index for `url`, or undefined when absent, unreadable or inconsistent. */
    async readIndex(url) {
        const base = node_path__WEBPACK_IMPORTED_MODULE_1__.join(this.indexDir, urlKey(url));
        const metaText = await readIfExists(`${base}.json`, MAX_META_BYTES);
        const meta = metaText && parseMeta(metaText.toString('utf8'));
        if (!meta || meta.url !== url)
            return undefined;
        // Its size is looked at before it is read: a file grown in a shared cache is not read whole.
        const bytes = await readIfExists(`${base}.tar.gz`, meta.size);
        if (bytes === undefined || meta.size !== bytes.length || sha256(bytes) !== meta.sha256) {
            return undefined;
        }
        const cached = { url, bytes, fetchedAt: meta.fetchedAt };
        if (meta.etag !== undefined)
            cached.etag = meta.etag;
        if (meta.lastModified !== undefined)
            cached.lastModified = meta.lastModified;
        return cached;
    }
    /** Stores an index (bytes first, then the metadata that vouches for them). */
    async writeIndex(url, bytes, meta = {}) {
        const base = node_path__WEBPACK_IMPORTED_MODULE_1__.join(this.indexDir, urlKey(url));
        const stored = {
            url,
            etag: meta.etag,
            lastModified: meta.lastModified,
            fetchedAt: meta.fetchedAt ?? Date.now(),
            size: bytes.length,
            sha256: sha256(bytes)
        };
        await writeAtomic(`${base}.tar.gz`, bytes);
        await writeAtomic(`${base}.json`, Buffer.from(`${JSON.stringify(stored, null, 2)}\n`));
    }
    async removeIndex(url) {
        const base = node_path__WEBPACK_IMPORTED_MODULE_1__.join(this.indexDir, urlKey(url));
        await removeIfExists(`${base}.json`);
        await removeIfExists(`${base}.tar.gz`);
    }
    /**
     * The cached file of a package identity; undefined when absent or larger than `maxBytes` (by
     * default the most an unsized download may have, 1 GiB).
     */
    async readPackage(checksum, maxBytes = 1024 * 1024 * 1024) {
        return readIfExists(this.packagePath(checksum), maxBytes);
    }
    async writePackage(checksum, bytes) {
        await writeAtomic(this.packagePath(checksum), bytes);
    }
    /** Stores a package from a file (a copy: `source` stays where it is). */
    async writePackageFile(checksum, source) {
        await (0,_files_js__WEBPACK_IMPORTED_MODULE_2__/* .writeThroughTemp */ .B7)(this.packagePath(checksum), (temp) => node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.copyFile(source, temp, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.COPYFILE_EXCL));
    }
    async removePackage(checksum) {
        await removeIfExists(this.packagePath(checksum));
    }
    /** Where a package identity is stored; base64url keeps `/` and `+` out of file names. */
    packagePath(checksum) {
        return node_path__WEBPACK_IMPORTED_MODULE_1__.join(this.packageDir, `${Buffer.from(checksum, 'utf8').toString('base64url')}.apk`);
    }
}
function urlKey(url) {
    return sha256(Buffer.from(url, 'utf8'));
}
function sha256(bytes) {
    return (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .crypto */ .Et)().createHash('sha256').update(bytes).digest('hex');
}
/** A header value Node sends (`If-None-Match`, `If-Modified-Since`): no control characters. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,1024}$/;
/** The most a metadata file holds: a URL and a few validators. */
const MAX_META_BYTES = 64 * 1024;
function parseMeta(text) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    const meta = value;
    if (typeof meta !== 'object' ||
        meta === null ||
        typeof meta.url !== 'string' ||
        typeof meta.fetchedAt !== 'number' ||
        typeof meta.size !== 'number' ||
        typeof meta.sha256 !== 'string' ||
        (meta.etag !== undefined && typeof meta.etag !== 'string') ||
        (meta.lastModified !== undefined && typeof meta.lastModified !== 'string')) {
        return undefined;
    }
    // A validator the request could not carry would fail every revalidation before it is sent,
    // and the stale copy would be used as if the mirror were down: dropped, it is downloaded anew.
    const stored = meta;
    if (stored.etag !== undefined && !HEADER_VALUE.test(stored.etag))
        stored.etag = undefined;
    if (stored.lastModified !== undefined && !HEADER_VALUE.test(stored.lastModified)) {
        stored.lastModified = undefined;
    }
    return stored;
}
/**
 * The file's bytes; undefined when it is missing, larger than `maxBytes`, or not a regular file
 * (a restored cache entry may hold a FIFO or a link to /dev/zero where a file belongs).
 */
async function readIfExists(file, maxBytes) {
    return (0,_files_js__WEBPACK_IMPORTED_MODULE_2__/* .readRegularFile */ .XF)(file, maxBytes);
}
async function removeIfExists(file) {
    await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.rm(file, { force: true });
}
/** Writes `bytes` to `file`; see writeThroughTemp. */
async function writeAtomic(file, bytes) {
    await (0,_files_js__WEBPACK_IMPORTED_MODULE_2__/* .writeThroughTemp */ .B7)(file, (temp) => node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.writeFile(temp, bytes, { flag: 'wx' }));
}


/***/ }),

/***/ 402:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   s: () => (/* binding */ mapLimit)
/* harmony export */ });
/**
 * Bounded parallelism for downloads: enough requests in flight to hide latency, few enough not
 * to hammer a mirror.
 */
/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order in the
 * result. On the first failure no new work starts; the returned promise rejects with that error
 * once the calls already in flight have settled (so nothing keeps writing after we return).
 */
async function mapLimit(items, limit, fn) {
    const results = new Array(items.length);
    const width = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
    let next = 0;
    let failure;
    async function worker() {
        while (failure === undefined && next < items.length) {
            const i = next++;
            try {
                results[i] = await fn(items[i], i);
            }
            catch (error) {
                failure ??= { error };
            }
        }
    }
    await Promise.all(Array.from({ length: width }, () => worker()));
    if (failure !== undefined)
        throw failure.error;
    return results;
}


/***/ }),

/***/ 552:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Hr: () => (/* binding */ GZIP_MAGIC),
  ZQ: () => (/* binding */ fetchIndexes),
  cE: () => (/* binding */ newFetchStats)
});

// UNUSED EXPORTS: MAX_INDEX_BYTES

// EXTERNAL MODULE: ./src/apk/formats/apkindex.ts + 3 modules
var apkindex = __nccwpck_require__(359);
// EXTERNAL MODULE: ./src/released-memory.ts
var released_memory = __nccwpck_require__(258);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(24);
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
    const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = external_node_fs_.constants;
    const fd = external_node_fs_.openSync(file, O_RDONLY | O_NONBLOCK | (options.noFollow ? O_NOFOLLOW : 0));
    try {
        const stat = external_node_fs_.fstatSync(fd);
        if (!accept(stat))
            return undefined;
        const bytes = Buffer.allocUnsafe(stat.size);
        let read = 0;
        while (read < bytes.length) {
            const n = external_node_fs_.readSync(fd, bytes, read, bytes.length - read, read);
            if (n === 0)
                break;
            read += n;
        }
        return bytes.subarray(0, read);
    }
    finally {
        external_node_fs_.closeSync(fd);
    }
}

// EXTERNAL MODULE: ./src/apk/fetch/concurrency.ts
var concurrency = __nccwpck_require__(402);
// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __nccwpck_require__(239);
// EXTERNAL MODULE: ./src/apk/fetch/repository.ts + 1 modules
var fetch_repository = __nccwpck_require__(614);
// EXTERNAL MODULE: ./src/apk/fetch/transport.ts + 1 modules
var transport = __nccwpck_require__(718);
// EXTERNAL MODULE: ./src/apk/types.ts
var types = __nccwpck_require__(443);
;// CONCATENATED MODULE: ./src/apk/fetch/fetch.ts
/**
 * Getting verified indexes: from local repositories on disk, from the cache, or over HTTP. Bytes
 * are used only after they verify against the keyring. Package files: fetch-packages.ts.
 */








/**
 * The largest index body taken, refused as the bytes arrive. Alpine's largest index is about
 * 2 MB: this is generous, and stops a mirror that sends an endless body.
 */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
/** Every index and package starts with a gzip member. */
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
function newFetchStats() {
    return {
        downloadedBytes: 0,
        packagesFromCache: 0,
        packagesDownloaded: 0,
        indexesRevalidated: 0,
        indexesDownloaded: 0,
        indexesOffline: 0
    };
}
/**
 * Fetches and verifies the index of every repository for `arch`, in configured order. A
 * package identity offered by several repositories is attributed to the first of them.
 */
async function fetchIndexes(repositories, arch, options) {
    const ownTransport = options.transport ? undefined : new transport/* HttpTransport */.G({ logger: options.logger });
    const context = {
        arch,
        transport: options.transport ?? ownTransport,
        cache: options.cache,
        verify: (bytes, repository) => (0,apkindex/* readApkindex */.t5)(bytes, repository, {
            keyring: options.keyring,
            allowUntrusted: options.allowUntrusted,
            packageDetails: options.packageDetails
        }),
        maxAgeMs: Math.max(0, options.maxAgeSeconds ?? 0) * 1000,
        logger: options.logger ?? types/* silentLogger */.qq,
        stats: options.stats ?? newFetchStats()
    };
    // Indexes are read side by side: a small one (a main's) scanning first would grow V8's young
    // generation before a large one's size is known (readApkindex), so several keep it small now.
    if (repositories.length > 1)
        (0,released_memory/* keepYoungGenerationSmall */.Dd)();
    try {
        const indexes = await (0,concurrency/* mapLimit */.s)(repositories, 4, (repository) => (0,fetch_repository/* isRemote */.Vx)(repository)
            ? fetchRemoteIndex(repository, context)
            : readLocalIndex(repository, context));
        attributeToFirstRepository(indexes);
        return indexes;
    }
    finally {
        ownTransport?.close();
    }
}
function attributeToFirstRepository(indexes) {
    // The first index's packages are all its own: only later ones are looked up.
    if (indexes.length < 2)
        return;
    const first = new Map();
    indexes.forEach((index, i) => {
        const table = index.table;
        for (let row = 0, rows = table.count; row < rows; row++) {
            const checksum = table.checksum(row);
            const earlier = i === 0 ? undefined : first.get(checksum);
            if (earlier !== undefined)
                table.setRepository(row, earlier);
            else if (i < indexes.length - 1)
                first.set(checksum, index.repository.index);
        }
    });
}
function missingIndex(url, repository, arch, cause) {
    return new errors/* FetchError */.fk(url, `no index at ${url}: is ${arch} built in this repository (${repository.url})? Check the repository URL/branch and the arch.`, { status: 404, cause });
}
/**
 * A local index file's bytes, read on this thread (a few reads of a file the system most likely
 * holds: through the thread pool, its open, stat, reads and close each waited for a turn of the
 * event loop). Only a regular file of at most MAX_INDEX_BYTES: a FIFO would block a read for
 * ever, and a device such as /dev/zero (of size 0) would never end.
 */
function readIndexFile(file) {
    return readFileSyncIf(file, (stat) => {
        if (!stat.isFile()) {
            throw new errors/* FetchError */.fk(file, `${file} is not a regular file, so it is not a repository index. Check the repository path.`);
        }
        if (stat.size > MAX_INDEX_BYTES) {
            throw new errors/* FetchError */.fk(file, `${file} is ${stat.size} bytes, more than the ${MAX_INDEX_BYTES} an index may have: it ` +
                'is not a repository index. Check the repository path.');
        }
        return true;
    });
}
async function readLocalIndex(repository, context) {
    const file = (0,fetch_repository/* indexUrl */.E5)(repository, context.arch);
    let bytes;
    try {
        bytes = readIndexFile(file);
    }
    catch (error) {
        if (error instanceof errors/* FetchError */.fk)
            throw error;
        if (error.code === 'ENOENT') {
            throw missingIndex(file, repository, context.arch, error);
        }
        throw new errors/* FetchError */.fk(file, `cannot read index ${file}: ${error.message}`, {
            cause: error
        });
    }
    return context.verify(bytes, repository);
}
async function fetchRemoteIndex(repository, context) {
    const url = (0,fetch_repository/* indexUrl */.E5)(repository, context.arch);
    let cached = await readCachedIndex(url, context);
    // A restored cache says when it fetched: a time to come (a hostile entry's, to keep an old
    // index in use for ever) is no reason to skip asking the server.
    const age = cached ? Date.now() - cached.fetchedAt : -1;
    if (cached && age >= 0 && age < context.maxAgeMs) {
        const index = await verifyCached(cached.bytes, repository, url, context);
        if (index) {
            context.logger.debug(`${url}: using the cached index (younger than the max age)`);
            return index;
        }
        cached = undefined;
    }
    let response;
    try {
        response = await getIndex(url, repository, context, cached);
    }
    catch (error) {
        const offline = cached && unreachable(error) ? await offlineIndex(cached, repository, context) : undefined;
        if (!offline)
            throw error;
        return offline;
    }
    if (response.status === 304 && cached) {
        const index = await verifyCached(cached.bytes, repository, url, context);
        if (index) {
            context.stats.indexesRevalidated++;
            // A 304 may omit the validators; keep the ones the cached copy came with.
            await storeIndex(url, cached.bytes, {
                etag: response.etag ?? cached.etag,
                lastModified: response.lastModified ?? cached.lastModified
            }, context);
            return index;
        }
        // The server says our copy is current, but our copy does not verify: fetch it whole, once.
        return downloadIndex(url, repository, context, await getIndex(url, repository, context));
    }
    return downloadIndex(url, repository, context, response);
}
/**
 * Whether a failed index download means the repository cannot be reached now (DNS, refused,
 * reset, timeouts, 5xx after the retries), rather than that it answered "no" (404, 401, 403\u{2026}).
 */
function unreachable(error) {
    if (!(error instanceof errors/* FetchError */.fk))
        return false;
    return error.status === undefined || error.status >= 500;
}
/**
 * apk-tools' behaviour with a cache: when the repository is down, its cached index is used, with
 * a warning. The bytes are verified against the keyring like a fresh download.
 */
async function offlineIndex(cached, repository, context) {
    const url = (0,fetch_repository/* indexUrl */.E5)(repository, context.arch);
    const index = await verifyCached(cached.bytes, repository, url, context);
    if (!index)
        return undefined;
    context.stats.indexesOffline++;
    context.logger.warning(`${repository.url} cannot be reached; using its cached index of ${new Date(cached.fetchedAt).toISOString()} (packages not in the cache will fail to download)`);
    return index;
}
async function downloadIndex(url, repository, context, response) {
    context.stats.downloadedBytes += response.body.length;
    context.stats.indexesDownloaded++;
    const index = await context.verify(response.body, repository);
    await storeIndex(url, response.body, response, context);
    return index;
}
async function getIndex(url, repository, context, cached) {
    try {
        return await context.transport.get(url, {
            etag: cached?.etag,
            lastModified: cached?.lastModified,
            maxBytes: MAX_INDEX_BYTES,
            magic: GZIP_MAGIC,
            what: 'index'
        });
    }
    catch (error) {
        if (error instanceof errors/* FetchError */.fk && error.status === 404) {
            throw missingIndex(url, repository, context.arch, error);
        }
        throw error;
    }
}
/** Verifies cached bytes; a failure only means "not usable", and the entry is dropped. */
async function verifyCached(bytes, repository, url, context) {
    try {
        return await context.verify(bytes, repository);
    }
    catch (error) {
        context.logger.debug(`${url}: cached index failed verification (${error.message}); fetching it again`);
        await context.cache?.removeIndex(url).catch(() => undefined);
        return undefined;
    }
}
async function readCachedIndex(url, context) {
    if (!context.cache)
        return undefined;
    try {
        return await context.cache.readIndex(url);
    }
    catch (error) {
        context.logger.debug(`${url}: cache unreadable (${error.message}); ignoring it`);
        return undefined;
    }
}
async function storeIndex(url, bytes, validators, context) {
    if (!context.cache)
        return;
    try {
        await context.cache.writeIndex(url, bytes, {
            etag: validators.etag,
            lastModified: validators.lastModified,
            fetchedAt: Date.now()
        });
    }
    catch (error) {
        context.logger.warning(`could not cache ${url}: ${error.message}`);
    }
}


/***/ }),

/***/ 614:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  UM: () => (/* binding */ alpineRepositories),
  E5: () => (/* binding */ indexUrl),
  Vx: () => (/* binding */ isRemote),
  EH: () => (/* binding */ packageUrl),
  SU: () => (/* binding */ parseRepository)
});

// UNUSED EXPORTS: ALPINE_MIRROR

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(760);
;// CONCATENATED MODULE: external "node:url"
const external_node_url_namespaceObject = require("node:url");
// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __nccwpck_require__(239);
// EXTERNAL MODULE: ./src/apk/fetch/auth.ts
var auth = __nccwpck_require__(75);
;// CONCATENATED MODULE: ./src/apk/fetch/repository.ts
/**
 * Repository strings and the URLs apk derives from them (apk-tools 2.14 semantics): where a
 * repository's index lives, where a package file lives, and Alpine's default repositories.
 */




const ALPINE_MIRROR = 'https://dl-cdn.alpinelinux.org/alpine';
const ACCEPTED_FORMS = 'an https:// or http:// URL, a file:// URL, or a path, optionally after @tag';
/**
 * Parses one repository line, `[@tag ]URL`. Remote URLs are kept as written, minus any
 * credentials (auth.ts takes those); `file://` URLs and paths become absolute paths (relative
 * ones are taken from the current directory, like apk).
 */
function parseRepository(line, index) {
    const match = /^(?:@(\S+)\s+)?([^@\s]\S*)$/.exec(line.trim());
    if (!match) {
        throw new errors/* InvalidArgumentError */.Di(`'${(0,auth/* publicUrl */.x6)(line)}' is not a repository: write ${ACCEPTED_FORMS} (e.g. @testing https://dl-cdn.alpinelinux.org/alpine/edge/testing).`);
    }
    const [, tag, location] = match;
    const repository = { url: normalizeLocation((0,auth/* publicUrl */.x6)(location)), index };
    if (tag !== undefined)
        repository.tag = tag;
    return repository;
}
function normalizeLocation(location) {
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(location)?.[1].toLowerCase();
    if (scheme === 'http' || scheme === 'https')
        return checkHttpUrl(location);
    if (scheme === 'file')
        return external_node_path_.resolve(filePath(location));
    if (scheme !== undefined && location.slice(scheme.length + 1).startsWith('//')) {
        throw new errors/* InvalidArgumentError */.Di(`repository '${location}' uses ${scheme}://, which is not supported: use ${ACCEPTED_FORMS}.`);
    }
    return external_node_path_.resolve(location);
}
function checkHttpUrl(location) {
    // `https:/host/x` parses as https://host/x, but would be taken for a local path elsewhere.
    if (!/^https?:\/\//i.test(location)) {
        throw new errors/* InvalidArgumentError */.Di(`repository '${location}' is not a valid URL (it needs // after the scheme): use ${ACCEPTED_FORMS}.`);
    }
    try {
        new URL(location);
    }
    catch {
        throw new errors/* InvalidArgumentError */.Di(`repository '${location}' is not a valid URL: use ${ACCEPTED_FORMS}.`);
    }
    return location;
}
/** `file:///abs`, `file://localhost/abs`, and apk's bare `file:path` (the prefix is stripped). */
function filePath(location) {
    if (!location.toLowerCase().startsWith('file://'))
        return location.slice('file:'.length);
    try {
        return (0,external_node_url_namespaceObject.fileURLToPath)(location);
    }
    catch (error) {
        throw new errors/* InvalidArgumentError */.Di(`repository '${location}' is not a usable file:// URL (${error.message}): write file:///absolute/path or a plain path.`);
    }
}
/** True for http:// and https:// repositories; local ones are read from disk. */
function isRemote(repository) {
    return /^https?:\/\//i.test(repository.url);
}
function withSlash(url) {
    return url.endsWith('/') ? url : `${url}/`;
}
/** `REPO/ARCH/APKINDEX.tar.gz` (a path for local repositories). */
function indexUrl(repository, arch) {
    return `${withSlash(repository.url)}${arch}/APKINDEX.tar.gz`;
}
/** `REPO/ARCH/NAME-VERSION.apk`, where ARCH is the package's own `A:` when the index gives one. */
function packageUrl(repository, pkg, arch) {
    return `${withSlash(repository.url)}${pkg.arch ?? arch}/${pkg.name}-${pkg.version}.apk`;
}
/** Alpine's `main` and `community` repositories of one branch (`v3.22`, `edge`, `latest-stable`). */
function alpineRepositories(branch, mirror = ALPINE_MIRROR) {
    if (!/^(v\d+\.\d+|edge|latest-stable)$/.test(branch)) {
        throw new errors/* InvalidArgumentError */.Di(`'${branch}' is not an Alpine branch: use latest-stable, edge or vX.Y (e.g. v3.22).`);
    }
    const base = mirror.replace(/\/+$/, '');
    return [`${base}/${branch}/main`, `${base}/${branch}/community`];
}


/***/ }),

/***/ 718:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  G: () => (/* binding */ HttpTransport)
});

// UNUSED EXPORTS: DEFAULT_MAX_BODY

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(24);
// EXTERNAL MODULE: ./src/lazy-builtins.ts + 1 modules
var lazy_builtins = __nccwpck_require__(200);
// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __nccwpck_require__(239);
// EXTERNAL MODULE: ./src/apk/types.ts
var types = __nccwpck_require__(443);
// EXTERNAL MODULE: ./src/apk/fetch/auth.ts
var auth = __nccwpck_require__(75);
;// CONCATENATED MODULE: ./src/apk/fetch/proxy.ts
/**
 * Proxy selection as CI runners configure it, with the curl/wget conventions (HTTPS_PROXY,
 * HTTP_PROXY, NO_PROXY, lower case first), and the credentials a proxy URL carries.
 */



/** The proxy for `target`, or undefined for a direct connection. */
function proxyFor(target, env) {
    const name = target.protocol === 'https:' ? 'https_proxy' : 'http_proxy';
    const raw = (env[name] ?? env[name.toUpperCase()] ?? '').trim();
    if (raw === '')
        return undefined;
    if (bypassesProxy(target, env.no_proxy ?? env.NO_PROXY ?? ''))
        return undefined;
    return parseProxyUrl(raw, name);
}
function parseProxyUrl(raw, variable) {
    // Messages show the proxy without the password it may carry.
    const written = raw.includes('://') ? raw : `http://${raw}`;
    const shown = (0,auth/* maskedUrl */.HB)(written);
    let proxy;
    try {
        proxy = new URL(written);
    }
    catch {
        throw new errors/* InvalidArgumentError */.Di(`${variable}='${shown}' is not a URL: write http://[user:password@]host:port.`);
    }
    if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
        throw new errors/* InvalidArgumentError */.Di(`${variable}='${shown}' uses ${proxy.protocol}//, which is not supported: use an http:// or https:// proxy.`);
    }
    return proxy;
}
/** `Proxy-Authorization` value for credentials written in the proxy URL. */
function proxyAuthorization(proxy) {
    if (proxy.username === '' && proxy.password === '')
        return undefined;
    const user = (0,auth/* decodeUserinfo */.uQ)(proxy.username);
    const password = (0,auth/* decodeUserinfo */.uQ)(proxy.password);
    return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
function bareHostname(url) {
    return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}
function portOf(url) {
    return url.port || (url.protocol === 'https:' ? '443' : '80');
}
/**
 * NO_PROXY: comma- or space-separated entries; `*` matches everything; `example.com` and
 * `.example.com` match the domain and its subdomains; `host:port` matches that port only; IP
 * addresses match exactly, and `a.b.c.d/n` matches an IPv4 range.
 */
function bypassesProxy(target, noProxy) {
    const host = bareHostname(target);
    const port = portOf(target);
    return noProxy
        .split(/[\s,]+/)
        .map((entry) => entry.trim().toLowerCase())
        .filter((entry) => entry !== '')
        .some((entry) => entry === '*' || entryMatches(parseEntry(entry), host, port));
}
function parseEntry(entry) {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed)
        return { host: bracketed[1], port: bracketed[2] };
    const hostPort = /^([^:]+):(\d+)$/.exec(entry);
    if (hostPort)
        return { host: hostPort[1], port: hostPort[2] };
    return { host: entry };
}
function entryMatches(entry, host, port) {
    if (entry.port !== undefined && entry.port !== port)
        return false;
    if (entry.host.includes('/'))
        return inIpv4Range(host, entry.host);
    if ((0,lazy_builtins/* net */.AD)().isIP(host) !== 0)
        return host === entry.host;
    const domain = entry.host.replace(/^\*?\./, '');
    return host === domain || host.endsWith(`.${domain}`);
}
function inIpv4Range(host, cidr) {
    const [base, bitsText] = cidr.split('/');
    const bits = Number(bitsText);
    if (!(0,lazy_builtins/* net */.AD)().isIPv4(host) ||
        !(0,lazy_builtins/* net */.AD)().isIPv4(base) ||
        !Number.isInteger(bits) ||
        bits < 0 ||
        bits > 32) {
        return false;
    }
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (ipv4ToInt(host) & mask) >>> 0 === (ipv4ToInt(base) & mask) >>> 0;
}
function ipv4ToInt(ip) {
    return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

// EXTERNAL MODULE: ./src/released-memory.ts
var released_memory = __nccwpck_require__(258);
;// CONCATENATED MODULE: ./src/apk/fetch/transport.ts
/**
 * HTTP(S) downloads for the engine, on node:http/node:https alone: retries with backoff,
 * conditional requests, redirects, truncation checks and the proxy variables CI runners set.
 * Local repositories never come here; fetch.ts reads them from disk.
 */






/** The largest body taken when the caller names no size: more than any index or key. */
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_USER_AGENT = `witchery (node ${process.version})`;
/** Why one attempt failed, and whether another attempt could succeed. */
class AttemptError extends Error {
    retryable;
    extra;
    constructor(message, retryable, extra = {}) {
        super(message, { cause: extra.cause });
        this.retryable = retryable;
        this.extra = extra;
    }
}
class HttpTransport {
    timeoutMs;
    deadlineMs;
    retries;
    backoffMs;
    maxBackoffMs;
    userAgent;
    env;
    ca;
    logger;
    auth;
    httpAgentMade;
    httpsAgentMade;
    /** One agent per proxy and origin: tunnels with TLS inside, kept alive and reused. */
    tunnelAgents = new Map();
    constructor(options = {}) {
        this.timeoutMs = options.timeoutMs ?? 30_000;
        this.deadlineMs = options.deadlineMs ?? 600_000;
        this.retries = Math.max(0, options.retries ?? 4);
        this.backoffMs = options.backoffMs ?? 500;
        this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
        this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
        this.env = options.env ?? process.env;
        this.ca = options.ca;
        this.logger = options.logger ?? types/* silentLogger */.qq;
        this.auth = options.auth;
    }
    // Keep-alive: a build fetches dozens of packages from one mirror. Made on the first request:
    // a transport that never sends one loads no network module.
    get httpAgent() {
        return (this.httpAgentMade ??= new (lazy_builtins/* http */.LV().Agent)({ keepAlive: true }));
    }
    get httpsAgent() {
        return (this.httpsAgentMade ??= new (lazy_builtins/* https */.Ov().Agent)({ keepAlive: true, ca: this.ca }));
    }
    /**
     * GETs `url`: 200 with the body, or 304 when `etag`/`lastModified` still match. Transient
     * failures are retried; anything else, or the last failure, is a FetchError naming the URL.
     */
    async get(url, options = {}) {
        checkHttpUrl(url);
        const retries = Math.max(0, options.retries ?? this.retries);
        for (let attempt = 0;; attempt++) {
            throwIfAborted(url, options.signal);
            try {
                return await this.attempt(url, options);
            }
            catch (error) {
                if (error instanceof errors/* InvalidArgumentError */.Di)
                    throw error;
                const failure = asAttemptError(error, url);
                if (options.signal?.aborted)
                    throwIfAborted(url, options.signal);
                if (!failure.retryable)
                    throw finalError(url, failure);
                if (attempt >= retries)
                    throw exhaustedError(url, failure, attempt + 1);
                const delay = this.delayFor(attempt, failure.extra.retryAfterMs);
                this.logger.debug(`${url}: ${failure.message}; retrying in ${delay} ms (attempt ${attempt + 2} of ${retries + 1})`);
                await sleep(delay, url, options.signal);
            }
        }
    }
    /** Closes idle keep-alive connections. */
    close() {
        this.httpAgentMade?.destroy();
        this.httpsAgentMade?.destroy();
        for (const agent of this.tunnelAgents.values())
            agent.destroy();
        this.tunnelAgents.clear();
    }
    delayFor(attempt, retryAfterMs) {
        if (retryAfterMs !== undefined)
            return Math.min(retryAfterMs, this.maxBackoffMs);
        const ceiling = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** attempt);
        // Jitter spreads the retries of parallel downloads that failed together.
        return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    }
    /**
     * One attempt, redirects included. Credentials chosen for the first URL follow redirects
     * within its origin only; at another origin only that origin's own credentials (if given) go.
     */
    async attempt(url, options) {
        const conditional = options.etag !== undefined || options.lastModified !== undefined;
        let current = new URL(url);
        let authOrigin = current.origin;
        let authorization = this.auth?.authorizationFor(current);
        for (let hop = 0;; hop++) {
            const response = await this.request(current, options, authorization);
            if (REDIRECTS.has(response.status) && response.headers.location) {
                if (hop >= MAX_REDIRECTS) {
                    throw new AttemptError(`more than ${MAX_REDIRECTS} redirects`, false);
                }
                current = redirectTarget(current, response.headers.location);
                if (current.origin !== authOrigin) {
                    authOrigin = current.origin;
                    authorization = this.auth?.authorizationFor(current);
                }
                continue;
            }
            return toTransportResponse(current, response, conditional, authorization !== undefined);
        }
    }
    async request(target, options, authorization) {
        const route = this.routeFor(target);
        return new Promise((resolve, reject) => {
            let request;
            try {
                request = this.makeRequest(target, route, options, authorization);
            }
            catch (error) {
                // Nothing was sent (a header Node refuses, say): not the network's fault, no retry, and
                // made before the exchange, so no timer of one is left armed.
                reject(new AttemptError(`cannot send the request: ${error.message}`, false));
                return;
            }
            const limits = { idleMs: this.timeoutMs, deadlineMs: this.deadlineMs };
            const exchange = new Exchange(limits, options, resolve, reject);
            exchange.attach(request);
        });
    }
    routeFor(target) {
        const proxy = proxyFor(target, this.env);
        if (!proxy)
            return { kind: 'direct' };
        if (target.protocol === 'http:')
            return { kind: 'proxy', proxy };
        return { kind: 'tunnel', agent: this.tunnelAgent(proxy, target) };
    }
    /**
     * The agent for HTTPS to `target` through `proxy`: each of its connections is a CONNECT tunnel
     * with TLS inside, and like any keep-alive connection it serves the next request, so a build's
     * downloads through a proxy do not each pay a CONNECT and a TLS handshake.
     */
    tunnelAgent(proxy, target) {
        const key = `${proxy.href} ${target.host}`;
        const known = this.tunnelAgents.get(key);
        if (known !== undefined)
            return known;
        const agent = new (tunnelAgentClass())(() => this.openTunnel(proxy, target, undefined), this.ca);
        this.tunnelAgents.set(key, agent);
        return agent;
    }
    requestHeaders(options) {
        const headers = {
            'User-Agent': this.userAgent,
            Accept: '*/*',
            'Accept-Encoding': 'identity'
        };
        if (options.etag !== undefined)
            headers['If-None-Match'] = options.etag;
        if (options.lastModified !== undefined)
            headers['If-Modified-Since'] = options.lastModified;
        return headers;
    }
    makeRequest(target, route, options, authorization) {
        const headers = this.requestHeaders(options);
        if (authorization !== undefined)
            headers.Authorization = authorization;
        const host = bareHostname(target);
        const port = Number(portOf(target));
        const path = `${target.pathname}${target.search}`;
        if (route.kind === 'tunnel') {
            return lazy_builtins/* https */.Ov().request({ host, port, path, headers, agent: route.agent });
        }
        if (route.kind === 'proxy') {
            const auth = proxyAuthorization(route.proxy);
            if (auth)
                headers['Proxy-Authorization'] = auth;
            headers.Host = target.host;
            const viaTls = route.proxy.protocol === 'https:';
            return (viaTls ? lazy_builtins/* https */.Ov() : lazy_builtins/* http */.LV()).request({
                host: bareHostname(route.proxy),
                port: Number(portOf(route.proxy)),
                path: `${target.origin}${path}`,
                headers,
                agent: viaTls ? this.httpsAgent : this.httpAgent
            });
        }
        const secure = target.protocol === 'https:';
        return (secure ? lazy_builtins/* https */.Ov() : lazy_builtins/* http */.LV()).request({
            host,
            port,
            path,
            headers,
            agent: secure ? this.httpsAgent : this.httpAgent
        });
    }
    /** CONNECT host:port through the proxy; resolves with the raw tunnel socket. */
    openTunnel(proxy, target, signal) {
        const authority = `${target.hostname}:${portOf(target)}`;
        const headers = { Host: authority, 'User-Agent': this.userAgent };
        const auth = proxyAuthorization(proxy);
        if (auth)
            headers['Proxy-Authorization'] = auth;
        const viaTls = proxy.protocol === 'https:';
        return new Promise((resolve, reject) => {
            const request = (viaTls ? lazy_builtins/* https */.Ov() : lazy_builtins/* http */.LV()).request({
                host: bareHostname(proxy),
                port: Number(portOf(proxy)),
                method: 'CONNECT',
                path: authority,
                headers,
                agent: false,
                ca: viaTls ? this.ca : undefined
            });
            const fail = (error) => {
                cleanup();
                request.destroy();
                reject(error);
            };
            const timer = setTimeout(() => fail(new AttemptError(`proxy ${proxy.host} did not answer in ${this.timeoutMs} ms`, true)), this.timeoutMs);
            const onAbort = () => fail(abortedError(signal));
            signal?.addEventListener('abort', onAbort);
            const cleanup = () => {
                clearTimeout(timer);
                signal?.removeEventListener('abort', onAbort);
            };
            request.once('connect', (response, socket, head) => {
                cleanup();
                const status = response.statusCode ?? 0;
                if (status !== 200) {
                    socket.destroy();
                    reject(proxyRefusal(proxy, authority, status));
                    return;
                }
                if (head.length > 0)
                    socket.unshift(head);
                resolve(socket);
            });
            request.once('error', fail);
            request.end();
        });
    }
}
let tunnelAgent;
/** The TunnelAgent class, made once https is loaded: its base class is https.Agent. */
function tunnelAgentClass() {
    return (tunnelAgent ??= class extends lazy_builtins/* https */.Ov().Agent {
        open;
        trusted;
        constructor(open, trusted) {
            super({ keepAlive: true, ca: trusted });
            this.open = open;
            this.trusted = trusted;
        }
        // Node's Agent takes the socket from the callback when createConnection returns nothing.
        createConnection(options, callback) {
            const host = options.host ?? '';
            const servername = lazy_builtins/* net */.AD().isIP(host) === 0 ? host : undefined;
            this.open().then((raw) => {
                const socket = lazy_builtins/* tls */.md().connect({ socket: raw, host, servername, ca: this.trusted });
                socket.once('close', () => raw.destroy());
                callback?.(null, socket);
            }, 
            // On an error Node's Agent reads no socket.
            (error) => callback?.(error, undefined));
            return undefined;
        }
    });
}
/**
 * One request/response: an idle timer reset by every byte, the abort signal, and body checks.
 * Settles exactly once and tears the connection down on failure.
 */
class Exchange {
    options;
    resolve;
    reject;
    settled = false;
    timer;
    deadline;
    request;
    signal;
    /** GetOptions.file while the body is written to it. */
    fd;
    onAbort = () => this.fail(abortedError(this.signal));
    constructor(limits, options, resolve, reject) {
        this.options = options;
        this.resolve = resolve;
        this.reject = reject;
        this.signal = options.signal;
        this.timer = setTimeout(() => this.fail(new AttemptError(`no data for ${limits.idleMs} ms (timed out)`, true)), limits.idleMs);
        this.deadline = setTimeout(() => this.fail(new AttemptError(`not complete after ${limits.deadlineMs} ms (the server sends too slowly)`, true)), limits.deadlineMs);
        this.signal?.addEventListener('abort', this.onAbort);
    }
    attach(request) {
        this.request = request;
        request.on('error', (error) => this.fail(error));
        request.on('response', (response) => this.onResponse(response));
        request.end();
    }
    touch() {
        this.timer.refresh();
    }
    onResponse(response) {
        this.touch();
        const status = response.statusCode ?? 0;
        if (status !== 200) {
            response.on('error', (error) => this.fail(error));
            // Only the status and headers matter; drain so the connection can be reused.
            response.resume();
            this.succeed({ status, headers: response.headers, body: Buffer.alloc(0), size: 0 });
            return;
        }
        this.collect(response);
    }
    collect(response) {
        const { expectedSize, magic } = this.options;
        const limit = expectedSize ?? this.options.maxBytes ?? DEFAULT_MAX_BODY;
        const declared = declaredLength(response.headers);
        if (declared !== undefined && declared > limit) {
            this.fail(tooLarge(this.options, limit, `the server announces ${declared} bytes`));
            return;
        }
        if (this.options.file !== undefined && !this.openFile(this.options.file))
            return;
        const chunks = [];
        let received = 0;
        // A connection lost mid-body surfaces as 'error' (aborted) or as 'close' without 'end'.
        response.on('error', () => this.fail(truncated(received, declared)));
        response.on('data', (chunk) => {
            this.touch();
            received += chunk.length;
            // Into the file, the first bytes kept for the magic check; else all kept.
            if (this.fd === undefined || received - chunk.length < (magic?.length ?? 0)) {
                chunks.push(chunk);
            }
            if (this.fd !== undefined) {
                if (!this.writeFile(chunk))
                    return;
                // In the file now: a download to a file passes through memory in such pieces.
                (0,released_memory/* letGo */.Ko)(chunk.length);
            }
            if (received > limit) {
                chunks.length = 0;
                const what = `more than ${limit} bytes arrived`;
                this.fail(expectedSize === undefined
                    ? tooLarge(this.options, limit, what)
                    : sizeMismatch(`more than the expected ${expectedSize} bytes`));
            }
            else if (magic && received - chunk.length < magic.length) {
                const head = Buffer.concat(chunks).subarray(0, magic.length);
                if (!magic.subarray(0, head.length).equals(head))
                    this.fail(notMagic(this.options, head));
            }
        });
        response.on('end', () => {
            if (!response.complete || (declared !== undefined && received !== declared)) {
                this.fail(truncated(received, declared));
            }
            else if (expectedSize !== undefined && received !== expectedSize) {
                this.fail(sizeMismatch(`${received} bytes where ${expectedSize} were expected`));
            }
            else {
                const body = this.fd === undefined ? Buffer.concat(chunks) : Buffer.alloc(0);
                this.succeed({ status: 200, headers: response.headers, body, size: received });
            }
        });
        response.on('close', () => {
            if (!response.complete)
                this.fail(truncated(received, declared));
        });
    }
    succeed(response) {
        if (this.settled)
            return;
        this.finish();
        this.resolve(response);
    }
    fail(error) {
        if (this.settled)
            return;
        this.finish();
        this.request?.destroy();
        this.reject(error);
    }
    finish() {
        this.settled = true;
        clearTimeout(this.timer);
        clearTimeout(this.deadline);
        this.signal?.removeEventListener('abort', this.onAbort);
        if (this.fd !== undefined)
            external_node_fs_.closeSync(this.fd);
        this.fd = undefined;
    }
    /** Opens GetOptions.file afresh (a retry starts over); false, and failed, when it cannot. */
    openFile(file) {
        try {
            this.fd = external_node_fs_.openSync(file, 'w', 0o600);
            return true;
        }
        catch (error) {
            this.fail(cannotWrite(file, error));
            return false;
        }
    }
    writeFile(chunk) {
        try {
            for (let done = 0; done < chunk.length;) {
                done += external_node_fs_.writeSync(this.fd, chunk, done, chunk.length - done);
            }
            return true;
        }
        catch (error) {
            this.fail(cannotWrite(this.options.file, error));
            return false;
        }
    }
}
/** The download's file cannot be written (a full disk): not retried. */
function cannotWrite(file, error) {
    return new AttemptError(`cannot write ${file}: ${error.message}`, false, {
        cause: error
    });
}
function declaredLength(headers) {
    const value = headers['content-length'];
    if (value === undefined || headers['transfer-encoding'] !== undefined)
        return undefined;
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
function truncated(received, declared) {
    const of = declared === undefined ? '' : ` of ${declared}`;
    return new AttemptError(`connection closed after ${received}${of} bytes (truncated body)`, true);
}
/** A body past its bound: a mirror that never ends, or not the file asked for. Not retried. */
function tooLarge(options, limit, what) {
    const thing = options.what ?? 'file';
    const article = /^[aeiou]/.test(thing) ? 'an' : 'a';
    return new AttemptError(`${what}; at most ${limit} bytes are taken for ${article} ${thing}: the server sends ` +
        'something else or a body that never ends; check the repository URL and the mirror', false);
}
/** A body that does not start as the format must (an HTML error page for an index). */
function notMagic(options, head) {
    const thing = options.what ?? 'file';
    return new AttemptError(`the ${thing} does not start like gzip data (first bytes ${head.toString('hex')}): the ` +
        'server answers with something else (an error page?); check the repository URL', false);
}
function sizeMismatch(what) {
    return new AttemptError(`received ${what} (truncated or wrong file)`, true);
}
function toTransportResponse(url, response, conditional, authorized) {
    const { status, headers } = response;
    if (status === 200 || (status === 304 && conditional)) {
        const result = {
            status,
            body: response.body,
            size: response.size,
            url: url.href
        };
        if (typeof headers.etag === 'string')
            result.etag = headers.etag;
        if (typeof headers['last-modified'] === 'string')
            result.lastModified = headers['last-modified'];
        return result;
    }
    throw statusError(url, response, authorized);
}
function statusError(url, response, authorized) {
    const { status, headers } = response;
    const reason = lazy_builtins/* http */.LV().STATUS_CODES[status];
    const label = `HTTP ${status}${reason ? ` ${reason}` : ''}`;
    if (status >= 500 || status === 408 || status === 429) {
        return new AttemptError(`server answered ${label}`, true, {
            status,
            retryAfterMs: parseRetryAfter(headers['retry-after'])
        });
    }
    const final = finalStatusMessage(url, status, label, authorized);
    return new AttemptError(`server answered ${label}`, false, { status, final });
}
function finalStatusMessage(target, status, label, authorized) {
    const url = target.href;
    if (status === 404 || status === 410) {
        return `not found: ${url} \u2014 check the repository URL/branch and arch`;
    }
    if ((status === 401 || status === 403) && authorized) {
        return `${url} answered ${label}: the credentials given for ${target.host} were refused; check the user and token (and that the token may read this repository)`;
    }
    if (status === 401 || status === 403) {
        return `${url} answered ${label}: the server refuses this download without credentials, and none are given for ${target.host}; give them as \`repository-auth\` (${target.host} USER:TOKEN) or in the repository URL (https://USER:TOKEN@host/\u2026), or check the repository URL`;
    }
    if (status === 407) {
        return `${url}: the proxy wants credentials (${label}); put them in the proxy URL, e.g. HTTPS_PROXY=http://user:password@proxy:3128`;
    }
    return `${url} answered ${label}, which the engine cannot use; check the repository URL`;
}
/** Retry-After as delay-seconds or an HTTP date, in ms. */
function parseRetryAfter(value) {
    if (value === undefined)
        return undefined;
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed))
        return Number(trimmed) * 1000;
    const date = Date.parse(trimmed);
    return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
function redirectTarget(from, location) {
    let next;
    try {
        next = new URL(location, from);
    }
    catch {
        throw new AttemptError(`redirect to an invalid location '${location}'`, false);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new AttemptError(`redirect to unsupported ${next.protocol} URL ${next.href}`, false);
    }
    if (from.protocol === 'https:' && next.protocol === 'http:') {
        throw new AttemptError(`redirect from https to ${next.href} refused (a downgrade to plain http)`, false, {
            final: `${from.href} redirects to ${next.href}: refusing an https\u2192http downgrade; use an https mirror`
        });
    }
    return next;
}
function proxyRefusal(proxy, authority, status) {
    const message = `proxy ${proxy.host} answered ${status} to CONNECT ${authority}`;
    if (status === 407) {
        return new AttemptError(message, false, {
            status,
            final: `${message}: the proxy wants credentials; put them in the proxy URL, e.g. HTTPS_PROXY=http://user:password@proxy:3128`
        });
    }
    return new AttemptError(message, status >= 500 || status === 408 || status === 429, { status });
}
/** Network failures that will not heal by waiting. */
const PERMANENT_CODES = new Set(['ENOTFOUND', 'ERR_INVALID_URL', 'ERR_TLS_CERT_ALTNAME_INVALID']);
function asAttemptError(error, url) {
    if (error instanceof AttemptError)
        return error;
    const err = error;
    const code = typeof err?.code === 'string' ? err.code : '';
    const message = code && !String(err.message).includes(code) ? `${err.message} (${code})` : err.message;
    const permanent = PERMANENT_CODES.has(code) || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
    if (code === 'ENOTFOUND') {
        const host = new URL(url).hostname;
        return new AttemptError(message, false, {
            cause: error,
            final: `cannot resolve host ${host} for ${url}: check the repository URL, DNS, or the proxy settings (HTTPS_PROXY, NO_PROXY)`
        });
    }
    return new AttemptError(String(message), !permanent, { cause: error });
}
function finalError(url, failure) {
    const message = failure.extra.final ?? `cannot download ${url}: ${failure.message}`;
    return new errors/* FetchError */.fk(url, message, {
        status: failure.extra.status,
        cause: failure.extra.cause ?? failure
    });
}
function exhaustedError(url, failure, attempts) {
    return new errors/* FetchError */.fk(url, `cannot download ${url} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${failure.message}; check the mirror, the network or the proxy settings`, { status: failure.extra.status, cause: failure.extra.cause ?? failure });
}
function checkHttpUrl(url) {
    let parsed;
    try {
        parsed = new URL(url);
    }
    catch {
        parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        throw new errors/* InvalidArgumentError */.Di(`'${url}' is not an http:// or https:// URL; local repositories are read from disk, not downloaded.`);
    }
}
function abortedError(signal) {
    return new AttemptError('cancelled', false, { cause: signal?.reason });
}
function throwIfAborted(url, signal) {
    if (signal?.aborted) {
        throw new errors/* FetchError */.fk(url, `download of ${url} was cancelled`, { cause: signal.reason });
    }
}
function sleep(ms, url, signal) {
    return new Promise((resolve, reject) => {
        const onAbort = () => {
            clearTimeout(timer);
            reject(new errors/* FetchError */.fk(url, `download of ${url} was cancelled`, { cause: signal?.reason }));
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
        }, ms);
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}


/***/ }),

/***/ 359:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  h1: () => (/* binding */ formatIndexHeader),
  J_: () => (/* binding */ parseApkindexText),
  t5: () => (/* binding */ readApkindex),
  uv: () => (/* binding */ validChecksum)
});

// UNUSED EXPORTS: INDEX_INFLATE_LIMIT, MAX_SIGNATURES, MAX_SIGNATURE_MEMBERS, SIGNATURE_MEMBER_LIMIT, SMALL_INDEX, SMALL_INFLATE_LIMIT, readIndexTable

// EXTERNAL MODULE: ./src/apk/formats/dependency.ts
var dependency = __nccwpck_require__(908);
// EXTERNAL MODULE: ./src/apk/formats/version.ts
var formats_version = __nccwpck_require__(769);
// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __nccwpck_require__(239);
// EXTERNAL MODULE: ./src/apk/formats/gzip.ts + 1 modules
var gzip = __nccwpck_require__(220);
// EXTERNAL MODULE: ./src/apk/formats/pkginfo.ts
var pkginfo = __nccwpck_require__(503);
// EXTERNAL MODULE: ./src/sha.ts + 1 modules
var sha = __nccwpck_require__(627);
// EXTERNAL MODULE: ./src/released-memory.ts
var released_memory = __nccwpck_require__(258);
;// CONCATENATED MODULE: ./src/apk/formats/index-scan-wasm.ts
// Generated by scripts/build-wasm.mjs from src/apk/formats/assembly/index-scan.ts: do not edit.
/** The index scan, compiled to WebAssembly (AssemblyScript, -O3, stub runtime), base64. */
const INDEX_SCAN_WASM = 'AGFzbQEAAAABNglgAAF/YAF/AX9gAn9/AX9gA39/fwF/YAR/f39/AGAAAGADf39/AGACf38AYAZ/f39/f38BfwMmJQMCBgcE' +
    'BQAAAAEAAQEBAAAAAAAAAAAAAAIAAQgEAAMFAAIBAAAFAwEAAQaaAjV/AUEAC38BQYCABAt/AUEAC38BQQALfwFBAAt/AUEA' +
    'C38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/' +
    'AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBfwt/AUF/C38BQX8LfwFBfwt/AUF/C3wBRAAAAAAA' +
    'AAAAC3wBRAAAAAAAAAAAC38BQQALfwFBfwt/AUF/C38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/' +
    'AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEACwfhAhwEaW5pdAAcDHJlc2VydmVJbnB1dAAMBHNjYW4ACQdjb2x1' +
    'bW5zACIKam9pblZhbHVlcwAaCGpvaW5lZEF0ABkKZGFtYWdlZFJvdwAgCW91dEtleXNBdAATDG91dERldGFpbHNBdAAXCG91' +
    'dElkc0F0ABUPb3V0SWRzTGVuZ3RoTm93ABQKb3V0U2l6ZXNBdAAPD291dFByaW9yaXRpZXNBdAAQCW91dEVuZHNBdAAWCm91' +
    'dExpc3RzQXQAEQ1vdXRMaXN0TGVuZ3RoABIGcm93c0F0AAoLcG9zaXRpb25zQXQADgdpbmZvc0F0AB0KdmFsdWVUYWJsZQAH' +
    'CnRva2VuVGFibGUACA5yZXNlcnZlU2NyYXRjaAALCmtleVNjcmF0Y2gAGAh3YXNBZGRlZAAGCnByb2JlQ291bnQADQtmYWls' +
    'dXJlS2luZAAkCWdyb3dDb3VudAAjBm1lbW9yeQIACAEFDAEYCuBHJYwFAg9/An4jBK0hEyACIAFrrSESIAEhAwNAIANBA2oi' +
    'BCACTQRAIAMtAAAgAy0AAUEIdHIgAy0AAkEQdHIiAyAHciEHIAOtIBIgE358IhJC/////weDIBJCH4h8IhJC/////weDIBJC' +
    'H4h8IRIgBCEDDAELCyAAKAIAIQwgACgCCCEJIAAoAgwhDSAAKAIcIQ4gAiABayEEIAIgA0sEQCADLQAAIQUgA0EBaiACSQRA' +
    'IAUgAy0AAUEIdHIhBQsgBSAHciEHIAWtIBIgE358IhJC/////weDIBJCH4h8IhJC/////weDIBJCH4h8IRILIBJC/////wd9' +
    'IBIgEkL/////B1obpyICIAJBEHZzQeuUr694bCICIAJBDXZzQbXcypV8bCICIAJBEHZzIgogACgCBCIPcSEIA0AgDCAIQQJ0' +
    'aigCACICBEAgDSACQQFrIgtBAnQiAmooAgAgCkYEQCAJIAtBAWpBAnRqKAIAIAIgCWooAgAiA2sgBEYEQCAEIQJBACEFAkAg' +
    'AyAOaiIGIAEiA0YNACAGQQdxIANBB3FGBEADQCAGQQdxBEBBACEFIAJFDQMgBi0AACIQIAMtAAAiEWshBSAQIBFHDQMgAkEB' +
    'ayECIAZBAWohBiADQQFqIQMMAQsLA0AgAkEITwRAIAYpAwAgAykDAFEEQCAGQQhqIQYgA0EIaiEDIAJBCGshAgwCCwsLCwNA' +
    'IAIiBUEBayECIAUEQCAGLQAAIhAgAy0AACIRayEFIBAgEUcNAiAGQQFqIQYgA0EBaiEDDAELC0EAIQULBUEBIQULIAVFBEBB' +
    'ACQFIAsPCwsgCEEBaiAPcSEIDAELCyAAIAEgBCAKIAggB0GAgYIEcUEARxAbC4oGAgF+Bn8CQAJAIwBBD2pBcHEiA61CKHwi' +
    'AiMBrEIQhlYNACACpyQAPwAiBCACQv//A3xCEIinIgVIBEAgBSAEIARBAXVqIgYgBSAGShsiBSMBIgYgBSAGSBsgBGtAAEEA' +
    'SA0CIwJBAWokAgtBwAAgACAAQcAASRshBEGAASEAA0AgBLggALhEAAAAAAAA6D+iZARAIABBAXQhAAwBCwsjAEEPakFwcSIF' +
    'rSAAQQJ0rXwiAiMBrEIQhlYNACACpyQAPwAiBiACQv//A3xCEIinIgdIBEAgByAGIAZBAXVqIgggByAIShsiByMBIgggByAI' +
    'SBsgBmtAAEEASA0CIwJBAWokAgsgAyAFNgIAIAMgAEEBazYCBCMAQQ9qQXBxIgCtIARBAWpBAnStfCICIwGsQhCGVg0AIAKn' +
    'JAA/ACIFIAJC//8DfEIQiKciBkgEQCAGIAUgBUEBdWoiByAGIAdKGyIGIwEiByAGIAdIGyAFa0AAQQBIDQIjAkEBaiQCCyAA' +
    'QQA2AgAgAyAANgIIIwBBD2pBcHEiAK0gBEECdK18IgIjAaxCEIZWDQAgAqckAD8AIgUgAkL//wN8QhCIpyIGSARAIAYgBSAF' +
    'QQF1aiIHIAYgB0obIgYjASIHIAYgB0gbIAVrQABBAEgNAiMCQQFqJAILIAMgADYCDCMAQQ9qQXBxIgCtIAStfCICIwGsQhCG' +
    'Vg0AIAKnJAA/ACIFIAJC//8DfEIQiKciBkgEQCAGIAUgBUEBdWoiByAGIAdKGyIGIwEiByAGIAdIGyAFa0AAQQBIDQIjAkEB' +
    'aiQCCyADIAA2AhAgAyAENgIUIANBADYCGCMAQQ9qQXBxIgCtQYAIIAEgBGwiASABQYAISRsiAa18IgIjAaxCEIZWDQAgAqck' +
    'AD8AIgQgAkL//wN8QhCIpyIFSARAIAUgBCAEQQF1aiIGIAUgBkobIgUjASIGIAUgBkgbIARrQABBAEgNAiMCQQFqJAILIAMg' +
    'ADYCHCADIAE2AiAgA0EANgIkIAMPC0EBJAMAC0ECJAMAC8wDAQd/IxggABADA0AgASACSQRAIAEhAwNAIAIgA0sEfyADLQAA' +
    'QSBHBUEACwRAIANBAWohAwwBCwsgASADSQRAIwwgASADEAAhByMFBEACQCABIQQCQANAIAEgA0kEQCABLQAAQYABTw0CIAFB' +
    'AWohAQwBCwsgBC0AAEEhRiIIIARqIgUhBANAIAMgBEsEfwJ/QQEgBC0AACIBQTxGDQAaQQIgAUE9Rg0AGkEEIAFBPkYNABpB' +
    'CiABQf4ARg0AGkEACwVBAQtFBEAgBEEBaiEEDAELCyAEIAVGDQAgBSEBA0AgASAESQRAIAEtAABBwABGDQIgAUEBaiEBDAEL' +
    'C0EHIQYgAyAESwR/QQAhBiAEIQEDQCABIANJBEACf0EBIAEtAAAiCUE8Rg0AGkECIAlBPUYNABpBBCAJQT5GDQAaQQogCUH+' +
    'AEYNABpBAAsiCQRAIAYgCXIhBiABQQFqIQEMAgsLCyAGQQVxQQVGBH9BAAUgASADECELRQ0BIwsgASADEAAFQX8LIQEgByAG' +
    'QQh0IAhBEHRyIwsgBSAEEAAgARAEDAELIAdBAUF/QX8QBAsLIxggACAHQQFqQQJ0chADCyADQQFqIQEMAQsLC9UBAgd/AX4g' +
    'ACgCCCICIAAoAgRGBEAgACgCACEEIwBBD2pBcHEiA61BgCAgAkEBdCIFIAVBgCBJGyIGQQJ0rXwiCSMBrEIQhlYEQEEBJAMA' +
    'CyAJpyQAPwAiBSAJQv//A3xCEIinIgdIBEAgByAFIAVBAXVqIgggByAIShsiByMBIgggByAISBsgBWtAAEEASARAQQIkAwAL' +
    'IwJBAWokAgsgAyAEIAJBAnT8CgAAIAAgAzYCACAAIAY2AgQLIAAoAgAgAkECdGogATYCACAAIAJBAWo2AggLjQMCAX4FfyAA' +
    'QQFqIgUjCksEQCMAQQ9qQXBxIgatQYAIIwpBAXQiByAHQYAISRsiByAFIAUgB0kbIgVBAnStfCIEIwGsQhCGVgRAQQEkAwAL' +
    'IASnJAA/ACIHIARC//8DfEIQiKciCEgEQCAIIAcgB0EBdWoiCSAIIAlKGyIIIwEiCSAIIAlIGyAHa0AAQQBIBEBBAiQDAAsj' +
    'AkEBaiQCCyAGIwkjCkECdPwKAAAgBiQJIAUkCgsjCSAAQQJ0akF/IAAgAUH/AXEbNgIAIAAjCGsiACMHTwRAIwBBD2pBcHEi' +
    'Ba1BgAgjB0EBdCIGIAZBgAhJGyIGQQxsrXwiBCMBrEIQhlYEQEEBJAMACyAEpyQAPwAiByAEQv//A3xCEIinIghIBEAgCCAH' +
    'IAdBAXVqIgkgCCAJShsiCCMBIgkgCCAJSBsgB2tAAEEASARAQQIkAwALIwJBAWokAgsgBSMGIwdBDGz8CgAAIAUkBiAGJAcL' +
    'IwYgAEEMbGoiACABNgIAIAAgAjYCBCAAIAM2AggLBwBBwAwkAAsEACMFCwQAIwsLBAAjDAvtBAIFfwF8QQAkGUEAJBUjDCgC' +
    'GCQIQQAkFyMYQQA2AghBACQmIw0gAGohBCMNIQADQCAAIARJBEACQCAAIQEDQCABIARJBH8gAS0AAEEKRwVBAAsEQCABQQFq' +
    'IQEMAQsLIAEgBEYNACMaQQFqJBogACECIAFBAWohACABIAJrQQJJBEAjGQRAEB8LQQAkGQwDCyMZRQRAQQEkGSMaJBtBfyQc' +
    'QX8kHUF/JB5BfyQfQX8kIEQAAAAAAAAAACQhRAAAAAAAAAAAJCJBACQjQX8kJEF/JCUjGCgCCCQmC0QAAAAAAAAAACEGIAJB' +
    'AmoiAyMNayEFAkACQAJAAkACQAJAAkACQAJAAkACQAJAIAItAAAiAkHBAGsONAMKAAYKCgoKBAoKCQoKCgEKCgkJCQIKCgoK' +
    'CgoKCgoKCgoJCgoKCgoICgUKCQoJBwoKCgkKCyAFJBwgASMNayQdDAoLIwsgAyABEAAkHgwJCyMLIAMgARAAJB8MCAsjCyAD' +
    'IAEQACQgDAcLA0AgASADSwRAIAMtAABBMGsiAkEJTQRAIAZEAAAAAAAAJECiIAK4oCEGIANBAWohAwwCCwsLIAYkIQwGCwNA' +
    'IAEgA0sEQCADLQAAQTBrIgJBCU0EQCAGRAAAAAAAACRAoiACuKAhBiADQQFqIQMMAgsLCyAGJCIMBQtBACADIAEQAgwEC0EB' +
    'IAMgARACDAMLQQIgAyABEAIMAgsjJEEASARAIAVBAmskJAsgASMNayQlDAELIAJBxgBGIAJB4QBrQRpJciACQc0ARnIgAkHS' +
    'AEZyIAJB2gBGcg0AIyNBAXIkIwsMAgsLCyMVCwQAIw8LoAECAX4DfyAAIzRLBEBBgAggACM0QQF0IgIgACACSxsiACAAQYAI' +
    'TRskNCMAQQ9qQXBxIgCtIzStfCIBIwGsQhCGVgRAQQEkAwALIAGnJAA/ACICIAFC//8DfEIQiKciA0gEQCADIAIgAkEBdWoi' +
    'BCADIARKGyIDIwEiBCADIARIGyACa0AAQQBIBEBBAiQDAAsjAkEBaiQCCyAAJDMLIzMLjgICAX4DfyAAIw5LBEBBgIAGIAAg' +
    'AEECdmoiACAAQYCABk0bJA4jAEEPakFwcSIArSMOrXwiASMBrEIQhlYEQEEBJAMACyABpyQAPwAiAiABQv//A3xCEIinIgNI' +
    'BEAgAyACIAJBAXVqIgQgAyAEShsiAyMBIgQgAyAESBsgAmtAAEEASARAQQIkAwALIwJBAWokAgsgACQNIwBBD2pBcHEiAK0j' +
    'Dq18IgEjAaxCEIZWBEBBASQDAAsgAackAD8AIgIgAUL//wN8QhCIpyIDSARAIAMgAiACQQF1aiIEIAMgBEobIgMjASIEIAMg' +
    'BEgbIAJrQABBAEgEQEECJAMACyMCQQFqJAILIAAkFgsjDQtiAQV/IAAoAgAhAyAAKAIEIQIgACgCDCEEQQAhAANAIAAgAk0E' +
    'QCADIABBAnRqKAIAIgUEQCABIAAgBCAFQQFrQQJ0aigCACACcWsgAnFBAWpqIQELIABBAWohAAwBCwsgAQsEACMJCwQAIygL' +
    'BAAjKQsHACMwKAIACwcAIzAoAggLBAAjKwsEACMuCwQAIy0LBAAjKgsEACMsCw0AIAAjMyMzIAFqEAALBAAjMQuYAgIHfwF+' +
    'IwsoAggiAiMLKAIYIgRBAnRqKAIAIAIgAEECdGooAgBrIAQgAGtqIgMjMksEQEGAgAEgAyADQQF2aiIBIAFBgIABTRskMiMA' +
    'QQ9qQXBxIgGtIzKtfCIIIwGsQhCGVgRAQQEkAwALIAinJAA/ACIFIAhC//8DfEIQiKciBkgEQCAGIAUgBUEBdWoiByAGIAdK' +
    'GyIGIwEiByAGIAdIGyAFa0AAQQBIBEBBAiQDAAsjAkEBaiQCCyABJDELIwsoAhwhBSMxIQEDQCAAIARJBEAgASACIABBAnRq' +
    'KAIAIgYgBWogAiAAQQFqIgBBAnRqKAIAIAZrIgb8CgAAIAEgBmoiAUEKOgAAIAFBAWohAQwBCwsgAwvVBwIBfgh/AkACQCAA' +
    'KAIYIgcgACgCFCIIRgRAIAAoAgghCSMAQQ9qQXBxIgqtIAggCEEBdmoiCEEBakECdK18IgYjAaxCEIZWDQEgBqckAD8AIgsg' +
    'BkL//wN8QhCIpyIMSARAIAwgCyALQQF1aiINIAwgDUobIgwjASINIAwgDUgbIAtrQABBAEgNAyMCQQFqJAILIAogCSAHQQFq' +
    'QQJ0/AoAACAAIAo2AgggACgCDCEJIwBBD2pBcHEiCq0gCEECdK18IgYjAaxCEIZWDQEgBqckAD8AIgsgBkL//wN8QhCIpyIM' +
    'SARAIAwgCyALQQF1aiINIAwgDUobIgwjASINIAwgDUgbIAtrQABBAEgNAyMCQQFqJAILIAogCSAHQQJ0/AoAACAAIAo2Agwg' +
    'ACgCECEJIwBBD2pBcHEiCq0gCK18IgYjAaxCEIZWDQEgBqckAD8AIgsgBkL//wN8QhCIpyIMSARAIAwgCyALQQF1aiINIAwg' +
    'DUobIgwjASINIAwgDUgbIAtrQABBAEgNAyMCQQFqJAILIAogCSAH/AoAACAAIAo2AhAgACAINgIUCyAAKAIgIgitIAAoAiQi' +
    'Ca0gAq18VARAIAAoAhwhCiMAQQ9qQXBxIgutIAggCEEBdmoiCCACIAlqIgwgCCAMSxsiCK18IgYjAaxCEIZWDQEgBqckAD8A' +
    'IgwgBkL//wN8QhCIpyINSARAIA0gDCAMQQF1aiIOIA0gDkobIg0jASIOIA0gDkgbIAxrQABBAEgNAyMCQQFqJAILIAsgCiAJ' +
    '/AoAACAAIAs2AhwgACAINgIgCyAJIAAoAhxqIAEgAvwKAAAgACACIAlqIgE2AiQgACgCCCAHQQFqIgJBAnRqIAE2AgAgACgC' +
    'DCAHQQJ0aiADNgIAIAcgACgCEGogBToAACAAIAI2AhggArggACgCBEEBaiIBuEQAAAAAAADoP6JkBEAgAUEBdCIBQQFrIQMj' +
    'AEEPakFwcSIErSABQQJ0rXwiBiMBrEIQhlYNASAGpyQAPwAiASAGQv//A3xCEIinIgJIBEAgAiABIAFBAXVqIgUgAiAFShsi' +
    'AiMBIgUgAiAFSBsgAWtAAEEASA0DIwJBAWokAgsgACgCDCEFIAAoAhghCEEAIQIDQCACIAhJBEAgBSACQQJ0aigCACADcSEB' +
    'A0AgBCABQQJ0aigCAARAIAFBAWogA3EhAQwBCwsgBCABQQJ0aiACQQFqIgI2AgAMAQsLIAAgBDYCACAAIAM2AgQFIAAoAgAg' +
    'BEECdGogB0EBajYCAAtBASQFIAcPC0EBJAMAC0ECJAMAC5ADAQF+IABB//+//wdwQYCAQGskBCADJAEgAUEQEAEkCyACQRgQ' +
    'ASQMIAFBAnZBHhABJBMjAEEPakFwcSIArUIMfCIEIwGsQhCGVgRAQQEkAwALIASnJAA/ACIBIARC//8DfEIQiKciAkgEQCAC' +
    'IAEgAUEBdWoiAyACIANKGyICIwEiAyACIANIGyABa0AAQQBIBEBBAiQDAAsjAkEBaiQCCyAAJBgjAEEPakFwcSIArUIMfCIE' +
    'IwGsQhCGVgRAQQEkAwALIASnJAA/ACIBIARC//8DfEIQiKciAkgEQCACIAEgAUEBdWoiAyACIANKGyICIwEiAyACIANIGyAB' +
    'a0AAQQBIBEBBAiQDAAsjAkEBaiQCCyAAJDBBgAgkByMAQQ9qQXBxIgCtQoDgAHwiBCMBrEIQhlYEQEEBJAMACyAEpyQAPwAi' +
    'ASAEQv//A3xCEIinIgJIBEAgAiABIAFBAXVqIgMgAiADShsiAiMBIgMgAiADSBsgAWtAAEEASARAQQIkAwALIwJBAWokAgsg' +
    'ACQGCwQAIwYL9AcBBn8gAC0AACEDIAEgAGsiBEEBSwR/IAAtAAEFQQALIQUgA0HRAEYgBEEeRnEgBUExRnEEQCAAQQJqIQMD' +
    'QCADIAFBAWtJBEAgAy0AACIEQeEAa0EaSSAEQcEAa0EaSXIgBEEwa0EKSXIgBEErRnIgBEEvRnJFBEBBAA8LIANBAWohAwwB' +
    'CwsgAUEBay0AAEE9RwRAQQAPCyACIABBHvwKAABBHg8LIANB2ABGIARBKkZxIAVBMUZxBEAgAEECaiEDA0AgASADSwRAAkAg' +
    'Ay0AACIFQTBrIgRBCkkNACAFQSByIgVB1wBrIQQgBUHhAGtBBkkNAEF/IQQLIARBAEgEQEEADwsgA0EBaiEDDAELCyACQdEA' +
    'OgAAIAJBMToAASACQQJqIQJBACEBA0AgAUEHSARAAkAgAEECaiIEIAFBA2wiBUEBdGoiBi0AACIHQTBrIgNBCkkNACAHQSBy' +
    'QeEAayIDQQZJBEAgA0EKaiEDDAELQX8hAwsgA0EEdCEHAkAgBi0AASIGQTBrIgNBCkkNACAGQSByQeEAayIDQQZJBEAgA0EK' +
    'aiEDDAELQX8hAwsgAyAHckEQdCEGAkAgBCAFQQFqQQF0aiIHLQAAIghBMGsiA0EKSQ0AIAhBIHJB4QBrIgNBBkkEQCADQQpq' +
    'IQMMAQtBfyEDCyADQQR0IQgCQCAHLQABIgdBMGsiA0EKSQ0AIAdBIHJB4QBrIgNBBkkEQCADQQpqIQMMAQtBfyEDCyACIAYg' +
    'AyAIckEIdHIgAUEGSAR/AkAgBCAFQQJqQQF0aiIELQAAIgVBMGsiA0EKSQ0AIAVBIHJB4QBrIgNBBkkEQCADQQpqIQMMAQtB' +
    'fyEDCyADQQR0IQUCQCAELQABIgRBMGsiA0EKSQ0AIARBIHJB4QBrIgNBBkkEQCADQQpqIQMMAQtBfyEDCyADIAVyBUEAC3Ii' +
    'A0ESdiIEQawLKAIAQQF2SQR/IARBAXRBsAtqLwEABUF/CzoAACACIANBDHZBP3EiBEGsCygCAEEBdk8Ef0F/BSAEQQF0QbAL' +
    'ai8BAAs6AAEgAiADQQZ2QT9xIgRBrAsoAgBBAXZPBH9BfwUgBEEBdEGwC2ovAQALOgACIAIgAUEGSAR/IANBP3EiA0GsCygC' +
    'AEEBdk8Ef0F/BSADQQF0QbALai8BAAsFQT0LOgADIAJBBGohAiABQQFqIQEMAQsLQR4PCyAEQSBGBEAgACEDA0AgASADSwRA' +
    'AkAgAy0AACIFQTBrIgRBCkkNACAFQSByIgVB1wBrIQQgBUHhAGtBBkkNAEF/IQQLIARBAEgEQEEADwsgA0EBaiEDDAELCyAC' +
    'IABBIPwKAABBIA8LQQAL5AcCBX8BfgJAAkAjFSMURgRAIwBBD2pBcHEiAK1BgAIjFEEBdCIBIAFBgAJJGyIBQSRsrXwiBSMB' +
    'rEIQhlYNASAFpyQAPwAiAiAFQv//A3xCEIinIgNIBEAgAyACIAJBAXVqIgQgAyAEShsiAyMBIgQgAyAESBsgAmtAAEEASA0D' +
    'IwJBAWokAgsgACMPIxVBJGz8CgAAIAAkDyMAQQ9qQXBxIgCtIAFBBHStfCIFIwGsQhCGVg0BIAWnJAA/ACICIAVC//8DfEIQ' +
    'iKciA0gEQCADIAIgAkEBdWoiBCADIARKGyIDIwEiBCADIARIGyACa0AAQQBIDQMjAkEBaiQCCyAAIxAjFUEEdPwKAAAgACQQ' +
    'IwBBD2pBcHEiAK0gAUEFdK18IgUjAaxCEIZWDQEgBackAD8AIgIgBUL//wN8QhCIpyIDSARAIAMgAiACQQF1aiIEIAMgBEob' +
    'IgMjASIEIAMgBEgbIAJrQABBAEgNAyMCQQFqJAILIAAjESMVQQV0/AoAACAAJBEjAEEPakFwcSIArSABrXwiBSMBrEIQhlYN' +
    'ASAFpyQAPwAiAiAFQv//A3xCEIinIgNIBEAgAyACIAJBAXVqIgQgAyAEShsiAyMBIgQgAyAESBsgAmtAAEEASA0DIwJBAWok' +
    'AgsgACMSIxX8CgAAIAAkEiMAQQ9qQXBxIgCtIAGtfCIFIwGsQhCGVg0BIAWnJAA/ACICIAVC//8DfEIQiKciA0gEQCADIAIg' +
    'AkEBdWoiBCADIARKGyIDIwEiBCADIARIGyACa0AAQQBIDQMjAkEBaiQCCyAAIycjFfwKAAAgACQnIAEkFAsjDyMVQSRsaiEA' +
    'IyMiASABQQRyIx5BAEgEf0EABSMLKAIIIgEjHiICQQFqQQJ0aigCACABIAJBAnRqKAIAawtFIx9BAEhyBH9BAAUjCygCCCIB' +
    'Ix8iAkEBakECdGooAgAgASACQQJ0aigCAGsLGyEBIxEjFUEFdGohAiMSIxVqIxxBAEgEf0EABSMNIxxqIw0jHWogAhAeCyID' +
    'OgAAIycjFWogAwR/IAFBAXEEfyABBSMTIAIgAiADahAAGiABIAFBEHIjBRsLBSABQQhyCyIBQRFxRToAACAAIAE2AgAgACMb' +
    'NgIEIAAjHjYCCCAAIx82AgwgACMgNgIQIyRBAEgEQCAAQX82AhQgAEF/NgIYBSMWIxdqIw0jJGojJSMkayIB/AoAACAAIxc2' +
    'AhQjFyABaiQXIAAjFzYCGAsgACMmNgIcIAAjGCgCCDYCICMQIxVBBHRqIgAjITkDACAAIyI5AwgjFUEBaiQVDwtBASQDAAtB' +
    'AiQDAAsuAQF/A0AgACMVSQRAIw8gAEEkbGooAgBBDHEEQCAADwsgAEEBaiEADAELC0F/C9sEAQZ/AkAgACABTwR/QQAFIAAt' +
    'AABBMGtBCkkLRQ0AA0AgACABSQR/IAAtAABBMGtBCkkFQQALBEAgAEEBaiEADAELCwNAIAAgAUkEfyAALQAAQS5GBUEACwRA' +
    'IAEgAEEBaiIATQR/QQAFIAAtAABBMGtBCkkLRQ0CA0AgACABSQR/IAAtAABBMGtBCkkFQQALBEAgAEEBaiEADAELCwwBCwsg' +
    'ACABSQR/IAAtAABB4QBrQf8BcUEaSQVBAAsEQCAAQQFqIAFJBH8gAC0AAUHfAEcFQQALBH8gAC0AAUEtRwVBAAsNASAAQQFq' +
    'IQALA0AgACABSQR/IAAtAABB3wBGBUEACwRAIABBAWohAEEAIQZBACEDA0AgA0GMCygCAEgEQAJAQQAhBAJAQYQLKAIAIANB' +
    'AnRqKAIAIgVBFGsoAhBBAXYiByAAaiABSw0AQQAhAgNAIAIgB0kEQCACIAVBFGsoAhBBAXZPBH9BfwUgBSACQQF0ai8BAAsg' +
    'ACACai0AAEcNAiACQQFqIQIMAQsLQQEhBAsgBARAIAAgBUEUaygCEEEBdmohAEEBIQYMAQsgA0EBaiEDDAILCwsgBkUNAgNA' +
    'IAAgAUkEfyAALQAAQTBrQQpJBUEACwRAIABBAWohAAwBCwsMAQsLIAAgAUkEQCAAQQJqIAFPBH9BAQUgAC0AAEEtRwsEf0EB' +
    'BSAALQABQfIARwsNASAALQACQTBrQQpPDQEgAEECaiEAA0AgACABSQR/IAAtAABBMGtBCkkFQQALBEAgAEEBaiEADAELCwsg' +
    'ACABRg8LQQALqggCCX8BfgJAAkAjFSMvSwRAIxQkLyMAQQ9qQXBxIgWtIy9BA3QiB618IgojAaxCEIZWDQEgCqckAD8AIgQg' +
    'CkL//wN8QhCIpyIDSARAIAMgBCAEQQF1aiICIAIgA0gbIgMjASICIAIgA0obIARrQABBAEgNAyMCQQFqJAILIAUkKCMAQQ9q' +
    'QXBxIgWtIAetfCIKIwGsQhCGVg0BIAqnJAA/ACIEIApC//8DfEIQiKciA0gEQCADIAQgBEEBdWoiAiACIANIGyIDIwEiAiAC' +
    'IANKGyAEa0AAQQBIDQMjAkEBaiQCCyAFJCkjAEEPakFwcSIFrSMvQQxsIgatfCIKIwGsQhCGVg0BIAqnJAA/ACIEIApC//8D' +
    'fEIQiKciA0gEQCADIAQgBEEBdWoiAiACIANIGyIDIwEiAiACIANKGyAEa0AAQQBIDQMjAkEBaiQCCyAFJCojAEEPakFwcSIF' +
    'rSAGrXwiCiMBrEIQhlYNASAKpyQAPwAiBCAKQv//A3xCEIinIgNIBEAgAyAEIARBAXVqIgIgAiADSBsiAyMBIgIgAiADShsg' +
    'BGtAAEEASA0DIwJBAWokAgsgBSQrIwBBD2pBcHEiBa0gB618IgojAaxCEIZWDQEgCqckAD8AIgQgCkL//wN8QhCIpyIDSARA' +
    'IAMgBCAEQQF1aiICIAIgA0gbIgMjASICIAIgA0obIARrQABBAEgNAyMCQQFqJAILIAUkLCMAQQ9qQXBxIgWtIy9BIWytfCIK' +
    'IwGsQhCGVg0BIAqnJAA/ACIEIApC//8DfEIQiKciA0gEQCADIAQgBEEBdWoiAiACIANIGyIDIwEiAiACIANKGyAEa0AAQQBI' +
    'DQMjAkEBaiQCCyAFJC0LIzBBADYCCEEAJC4jGCgCACEGA0AgCCMVSQRAIycgCGotAAAEQCABQQN0IgMjKGojECAIQQR0aiIC' +
    'KwMAOQMAIykgA2ogAisDCDkDACMrIAFBDGxqIgIjDyAIQSRsaiIEKAIINgIAIAIgBCgCDDYCBCACIAQoAhA2AggjLCADaiID' +
    'QX8gBCgCFCICIxZqIAJBAEgbNgIAIAMjFiAEKAIYajYCBCMtIy5qIgMjESAIQQV0aiMSIAhqLQAAIgL8CgAAIAIgA2pBCjoA' +
    'ACMuIAJBAWpqJC4gBCgCHCECIAQoAiAhBUEAIQcDQCAHQQNJBEBBACEJIAIhAwNAIAMgBUkEQCAHIAYgA0ECdGooAgAiBEED' +
    'cUYEQCAEQQJ2IgQEQCAJRQRAIwkgBEEBa0ECdGooAgAiBEEASARAQQEhCQUjMCAEEAMLCwVBACEJCwsgA0EBaiEDDAELCyMq' +
    'IAFBDGxqIAdBAnRqIAAjMCgCCGo2AgAgB0EBaiEHDAELCyABQQFqIQELIAhBAWohCAwBCwsgAQ8LQQEkAwALQQIkAwALBAAj' +
    'AgsEACMDCwvXAxgAQYwICwEcAEGYCAsRAgAAAAoAAABhAGwAcABoAGEAQawICwEcAEG4CAsPAgAAAAgAAABiAGUAdABhAEHM' +
    'CAsBHABB2AgLDQIAAAAGAAAAcAByAGUAQewICwEcAEH4CAsLAgAAAAQAAAByAGMAQYwJCwEcAEGYCQsNAgAAAAYAAABjAHYA' +
    'cwBBrAkLARwAQbgJCw0CAAAABgAAAHMAdgBuAEHMCQsBHABB2AkLDQIAAAAGAAAAZwBpAHQAQewJCwEcAEH4CQsLAgAAAAQA' +
    'AABoAGcAQYwKCwEcAEGYCgsJAgAAAAIAAABwAEGsCgsBPABBuAoLKgEAAAAkAAAAIAQAAEAEAABgBAAAgAQAAKAEAADABAAA' +
    '4AQAAAAFAAAgBQBB7AoLASwAQfgKCxUEAAAAEAAAAEAFAABABQAAJAAAAAkAQZwLCwGcAEGoCwuHAQIAAACAAAAAQQBCAEMA' +
    'RABFAEYARwBIAEkASgBLAEwATQBOAE8AUABRAFIAUwBUAFUAVgBXAFgAWQBaAGEAYgBjAGQAZQBmAGcAaABpAGoAawBsAG0A' +
    'bgBvAHAAcQByAHMAdAB1AHYAdwB4AHkAegAwADEAMgAzADQANQA2ADcAOAA5ACsALw==';

// EXTERNAL MODULE: ./src/wasm.ts
var wasm = __nccwpck_require__(739);
;// CONCATENATED MODULE: ./src/apk/formats/index-scan.ts
/**
 * The WebAssembly side of the index scan (assembly/index-scan.ts), as JavaScript sees it: one
 * instance per index read, its memory read through views made again whenever it grew. What the
 * scan emits (rows, list entries, new keys) is read here and turned into strings and numbers by
 * the caller (apkindex.ts), which decides everything about validity.
 */



/**
 * The most memory one index's scan may take: its tables of distinct values and tokens, and a
 * chunk of the index. Alpine's largest index takes 6 MiB. A backstop: MAX_DISTINCT bounds the
 * tables first (8 million tiny tokens took the module about 1 GiB), and an index of only a few
 * long stanzas holds its longest in memory with its kept lines (2.5 times its size).
 */
const SCAN_MEMORY_LIMIT = 1024 * 1024 * 1024;
/**
 * The most distinct values, and distinct dependency tokens, one index may hold. Alpine's
 * largest (v3.19 community) holds 46,000 values and 36,000 tokens; each one costs the scan's
 * tables and a string or a Dependency object, so this bounds the memory an index of tiny
 * distinct tokens takes (a 40 MB one held 8 million, and took 1.6 GB in the JavaScript scan).
 */
const MAX_DISTINCT = 2_000_000;
/** The scan's memory or tables would pass their limit: the index is no real repository's. */
class ScanLimitError extends errors/* FormatError */.IF {
}
/** Compiled once a process, instantiated per index. */
const instantiate = (0,wasm/* instantiateWasm */.n)(INDEX_SCAN_WASM);
/**
 * This process's random point for the tables' hash (assembly/index-scan.ts, key()), so which
 * contents share a slot cannot be worked out beforehand (with a fixed hash, tokens that collide
 * are cheap to make, and a hostile index of them made the scan quadratic). The numbering of keys
 * does not depend on it. From Math.random, which V8 seeds from the system's entropy in each
 * process: an index's author never sees its output, and `node:crypto` (4-9 ms to load) stays out
 * of a resolve.
 */
const SEED = Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
// Fields of a table (assembly/index-scan.ts, T_*), in 32-bit words.
const T_STARTS = 2;
const T_COUNT = 6;
const T_OWN = 7;
/**
 * The fields of a row this side reads, in 32-bit words (assembly/index-scan.ts, ROW and R_*; the
 * rest, the kept lines' place and the list entries, reach it as columns).
 */
const ROW = 9;
const R_FLAGS = 0;
const R_LINE = 1;
const R_NAME = 2;
const R_VERSION = 3;
/**
 * A row flag (assembly/index-scan.ts): no name or version. A damaged row without it has no
 * identity of a form apk writes; the other flags (uninstallable, an identity met before) the
 * module acts on itself.
 */
const NO_NAME_OR_VERSION = 4;
/** The status of a token parsed by the scan (its infos: PackageTable's TOKEN_WORDS each). */
const PLAIN = 0;
class IndexScanMemory {
    limit;
    x;
    buffer;
    /** Views over the whole memory, as it is now. */
    u8 = Buffer.alloc(0);
    i32 = new Int32Array(0);
    u32 = new Uint32Array(0);
    f64 = new Float64Array(0);
    values;
    tokens;
    /**
     * @param valueHint how many distinct values to make room for
     * @param tokenHint how many distinct tokens
     * @param limit the most bytes of memory it may take
     * @param seed whence the tables' hash's random point (for tests: the process's own otherwise)
     */
    constructor(valueHint, tokenHint, limit = SCAN_MEMORY_LIMIT, seed = SEED) {
        this.limit = limit;
        this.x = instantiate();
        const pages = Math.floor(limit / 65536);
        this.bounded(() => this.x.init(seed, Math.max(0, Math.ceil(valueHint)), Math.max(0, Math.ceil(tokenHint)), pages));
        this.values = this.x.valueTable();
        this.tokens = this.x.tokenTable();
        this.views();
    }
    /** Runs `call` into the module, a trap (memory past the limit) made a ScanLimitError. */
    bounded(call) {
        try {
            return call();
        }
        catch (error) {
            // Only the module's allocator traps on purpose; anything else is a fault of this code.
            const kind = this.x.failureKind();
            if (!(0,wasm/* wasmTrapped */.P)(error) || kind === 0)
                throw error;
            // (The tables are there unless init itself ran out; the memory may have grown first.)
            this.views();
            const met = this.tokens === undefined
                ? ''
                : ` (${this.count(this.values)} values, ${this.count(this.tokens)} tokens so far)`;
            const mib = (bytes) => `${Math.round(bytes / 1048576)} MiB`;
            throw new ScanLimitError(kind === 1
                ? `reading it took more than ${mib(this.limit)} for its tables of distinct names, ` +
                    `versions and dependencies${met}, which no real repository's index needs`
                : `the system gave no more memory to read it, at ${mib(this.u8.length)}${met}`, { cause: error });
        }
    }
    /** How many times the memory grew so far. */
    get growCount() {
        return this.x.growCount();
    }
    /**
     * Refuses an index past MAX_DISTINCT (`max`) distinct values or tokens; called after each
     * chunk, so the tables pass it by one chunk's worth at most.
     */
    checkDistinct(max = MAX_DISTINCT) {
        const values = this.count(this.values);
        const tokens = this.count(this.tokens);
        if (values <= max && tokens <= max)
            return;
        throw new ScanLimitError(`it holds more than ${max} distinct ${values > max ? 'names and versions' : 'dependency tokens'} ` +
            `(${values} and ${tokens} so far; Alpine's community index holds 46,000 and 36,000), ` +
            "which no real repository's index does");
    }
    views() {
        const buffer = this.x.memory.buffer;
        if (buffer === this.buffer)
            return;
        this.buffer = buffer;
        this.u8 = Buffer.from(buffer);
        this.i32 = new Int32Array(buffer);
        this.u32 = new Uint32Array(buffer);
        this.f64 = new Float64Array(buffer);
    }
    /**
     * Scans `bytes`, or pieces of them one after another (whole lines from a line's start); returns
     * how many rows it emitted.
     */
    scan(bytes) {
        // Pieces are copied in one after another: the same as their concatenation, one copy fewer.
        const parts = Buffer.isBuffer(bytes) ? [bytes] : bytes;
        let length = 0;
        for (const part of parts)
            length += part.length;
        let at = this.bounded(() => this.x.reserveInput(length));
        this.views();
        for (const part of parts)
            at += part.copy(this.u8, at);
        const rows = this.bounded(() => this.x.scan(length));
        this.views();
        return rows;
    }
    /** Where the last scan's rows and identities are (byte offsets). */
    get rowsAt() {
        return this.x.rowsAt();
    }
    /** Where the parse results of the tokens the last scan met first are: TOKEN_WORDS each. */
    get infosAt() {
        return this.x.infosAt();
    }
    /**
     * Where the positions of token keys are (an Int32Array index): a plain token's is its key, and
     * the caller writes each one it parses there before columns().
     */
    get positions() {
        return this.x.positionsAt() >>> 2;
    }
    /**
     * The values of table `values` from key `first` on as strings, made by one call: their bytes
     * joined by newlines (which no value holds) read as UTF-8, which reads each value as it would
     * alone (a malformed sequence's replacement stops at the newline after it). Nearly always
     * ASCII, so one-byte strings; a value of a byte above 0x7f once cost each of them a test here.
     */
    valuesFrom(first) {
        const length = this.bounded(() => this.x.joinValues(first));
        this.views();
        const at = this.x.joinedAt();
        const parts = this.u8.toString('utf8', at, at + length).split('\n');
        parts.length = this.count(this.values) - first;
        return parts;
    }
    /** The first row of the last scan that makes the index damaged (its flags say why), or -1. */
    get damagedRow() {
        return this.x.damagedRow();
    }
    /**
     * The kept rows of the last scan as columns, `base` added to their lists' ends: views of the
     * memory, valid until the next call; the identities as one string.
     */
    columns(base) {
        const rows = this.bounded(() => this.x.columns(base));
        this.views();
        const sizes = this.x.outSizesAt() >>> 3;
        const priorities = this.x.outPrioritiesAt() >>> 3;
        const ends = this.x.outEndsAt() >>> 2;
        const lists = this.x.outListsAt() >>> 2;
        const keys = this.x.outKeysAt() >>> 2;
        const details = this.x.outDetailsAt() >>> 2;
        const ids = this.x.outIdsAt();
        return {
            rows,
            installedSizes: this.f64.subarray(sizes, sizes + rows),
            priorities: this.f64.subarray(priorities, priorities + rows),
            listEnds: this.i32.subarray(ends, ends + rows * 3),
            lists: this.i32.subarray(lists, lists + this.x.outListLength()),
            keys: this.i32.subarray(keys, keys + rows * 3),
            details: this.i32.subarray(details, details + rows * 2),
            identities: this.u8.toString('latin1', ids, ids + this.x.outIdsLengthNow())
        };
    }
    /** How many keys table `t` holds. */
    count(t) {
        return this.u32[(t >>> 2) + T_COUNT];
    }
    /** Where the copy of key `k` of table `t` starts in memory; it ends where key k + 1's starts. */
    keyStart(t, k) {
        return this.u32[(t >>> 2) + T_OWN] + this.u32[(this.u32[(t >>> 2) + T_STARTS] >>> 2) + k];
    }
    /** The key of `bytes` in table `t`; `added` tells whether it was new. */
    key(t, bytes) {
        const at = this.bounded(() => this.x.reserveScratch(bytes.length));
        this.views();
        this.u8.set(bytes, at);
        const k = this.bounded(() => this.x.keyScratch(t, bytes.length));
        this.views();
        return k;
    }
    /** Whether the last key() met its content for the first time. */
    get added() {
        return this.x.wasAdded() !== 0;
    }
    /** Slots a lookup of every key of table `t` looks at, all together (for tests). */
    probeCount(t) {
        return this.x.probeCount(t);
    }
}

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __nccwpck_require__(522);
;// CONCATENATED MODULE: ./src/apk/formats/index-details.ts
/**
 * The lines of an index that only a whole package needs (S T U L o m t c: size, description,
 * URL, licence, origin, maintainer, build time, commit), kept apart from the index so that its
 * bytes can go once it is read. They are half an index's bytes, and they sit together in a
 * stanza (apk writes S I T U L o m t c in a row): each stanza's run of them, from the first to
 * the last, is copied once, as it is, into blocks of a megabyte (of 64 KiB, deflated, for a large
 * index).
 */

/** A block's size: runs are copied into blocks this large (a longer run gets its own). */
const BLOCK = 1024 * 1024;
/** A packed block's size before it is deflated: small, so that making one package whole is quick. */
const PACKED_BLOCK = 64 * 1024;
/** The kept lines of every package of one index, in table row order. */
class IndexDetails {
    blocks;
    rows;
    packed;
    lastBlock = -1;
    lastBytes;
    constructor(blocks, 
    /** Per row: the block of its run (-1: none), where the run starts, where it ends. */
    rows, 
    /** Whether the blocks are deflated (raw deflate), each on its own. */
    packed = false) {
        this.blocks = blocks;
        this.rows = rows;
        this.packed = packed;
    }
    bytesOf(block) {
        if (!this.packed)
            return this.blocks[block];
        if (this.lastBlock !== block) {
            this.lastBytes = external_node_zlib_.inflateRawSync(this.blocks[block]);
            this.lastBlock = block;
        }
        return this.lastBytes;
    }
    /**
     * Calls `each` with the letter and the value's bytes [start, end) of each line of row `row`'s
     * run, in the stanza's order (lines of other letters inside the run are passed too).
     */
    lines(row, each) {
        if (row * 3 >= this.rows.length)
            return;
        const block = this.rows[row * 3];
        if (block < 0)
            return;
        const bytes = this.bytesOf(block);
        const last = this.rows[row * 3 + 2];
        let pos = this.rows[row * 3 + 1];
        while (pos < last) {
            let end = bytes.indexOf(0x0a, pos);
            if (end < 0 || end > last)
                end = last;
            if (end - pos >= 2)
                each(bytes[pos], bytes, pos + 2, end);
            pos = end + 1;
        }
    }
}
/** No lines for any row: an index read without its packages' details. */
const NO_DETAILS = new IndexDetails([], new Int32Array(0));
/**
 * Gathers the kept lines while an index is scanned, stanza by stanza. With `pack` (a large
 * index), each block is deflated as soon as it is full (zlib level 1, on this thread: on the
 * thread pool, zlib's memory stays in arenas of its threads), into a fifth of its size or so,
 * and the block is filled again.
 */
class IndexDetailsBuilder {
    pack;
    blocks = [];
    block;
    used = 0;
    rows = [];
    constructor(pack = false) {
        this.pack = pack;
    }
    /**
     * The rows read, in order: row i's kept lines are bytes [runs[2i], runs[2i + 1]) of `bytes`
     * (-1: it has none). Runs that follow one another in `bytes` are copied together, as many as
     * the block being filled holds: one copy for most of a piece of the index, not one a row.
     */
    addRows(bytes, runs) {
        let i = 0;
        while (i < runs.length) {
            const first = runs[i];
            if (first < 0) {
                this.rows.push(-1, 0, 0);
                i += 2;
                continue;
            }
            this.makeRoom(runs[i + 1] - first);
            const block = this.block;
            const room = block.length - this.used;
            const number = this.blocks.length - (this.pack ? 0 : 1);
            let last = first;
            do {
                const end = runs[i + 1];
                this.rows.push(number, this.used + runs[i] - first, this.used + end - first);
                last = end;
                i += 2;
            } while (i < runs.length && runs[i] === last && runs[i + 1] - first <= room);
            bytes.copy(block, this.used, first, last);
            this.used += last - first;
        }
    }
    /** A block with room for `length` more bytes. */
    makeRoom(length) {
        if (this.block !== undefined && this.used + length <= this.block.length)
            return;
        this.close();
        const size = this.pack ? PACKED_BLOCK : BLOCK;
        if (this.block === undefined || !this.pack || length > size) {
            this.block = Buffer.allocUnsafeSlow(Math.max(size, length));
        }
        if (!this.pack)
            this.blocks.push(this.block);
        this.used = 0;
    }
    /** Packs the block being filled, if there is one and blocks are packed. */
    close() {
        if (!this.pack || this.block === undefined || this.used === 0)
            return;
        this.blocks.push(Buffer.from(external_node_zlib_.deflateRawSync(this.block.subarray(0, this.used), { level: 1 })));
        this.used = 0;
    }
    /** What was gathered; the last block cut to what it holds. Nothing points into the index. */
    finish() {
        const blocks = this.blocks;
        if (this.pack) {
            this.close();
            this.block = undefined;
            return new IndexDetails(blocks, Int32Array.from(this.rows), true);
        }
        if (blocks.length > 0) {
            const exact = Buffer.allocUnsafeSlow(this.used);
            this.block.copy(exact, 0, 0, this.used);
            blocks[blocks.length - 1] = exact;
        }
        return new IndexDetails(blocks, Int32Array.from(this.rows));
    }
}

// EXTERNAL MODULE: ./src/apk/formats/signature.ts
var signature = __nccwpck_require__(655);
// EXTERNAL MODULE: ./src/apk/formats/tar.ts
var tar = __nccwpck_require__(970);
// EXTERNAL MODULE: ./src/apk/formats/package-table.ts
var package_table = __nccwpck_require__(92);
;// CONCATENATED MODULE: ./src/apk/formats/apkindex.ts
/**
 * `APKINDEX.tar.gz`: a signature member (`.SIGN.RSA*.<key>`), then the unsigned index
 * (`DESCRIPTION`, `APKINDEX`) whose compressed bytes, to EOF, are what the signature covers.
 * The `APKINDEX` text is parsed as apk-tools 2.14 reads it, and written back in its canonical
 * letter order by formatIndexHeader.
 */












/**
 * The most a signature member may inflate to: one `.SIGN.*` entry is well under 2 KiB, so a
 * member past this is not signatures (a gzip bomb put in front of a signed index, for one).
 */
const SIGNATURE_MEMBER_LIMIT = 1024 * 1024;
/**
 * The most gzip members of signatures, and signatures in all, an index may start with. abuild
 * and apko write one member with one signature (a few for a key rotation). Each new member moves
 * the signed bytes, so every signature so far is checked again: without a bound, a few hundred KB
 * of members took minutes (each check hashes the rest of the file).
 */
const MAX_SIGNATURE_MEMBERS = 4;
const MAX_SIGNATURES = 8;
/**
 * The most an index may inflate to. Alpine's largest (edge/community) is about 2 MB compressed
 * and a few times that inflated: this leaves ample room and still bounds the memory a hostile
 * mirror can make the build spend.
 */
const INDEX_INFLATE_LIMIT = 128 * 1024 * 1024;
const NEWLINE = 0x0a;
/** A blank line: a stanza has just ended. */
const STANZA_END = Buffer.from('\n\n');
/** Whether `value` is a package identity as an index or database writes one (`Q1\u{2026}=`, or MD5 hex). */
function validChecksum(value) {
    return /^Q1[A-Za-z0-9+/]{27}=$/.test(value) || /^[0-9a-fA-F]{32}$/.test(value);
}
/** Whether any of bytes [start, end) is not ASCII. */
function hasHighByte(bytes, start, end) {
    for (let i = start; i < end; i++)
        if (bytes[i] >= 0x80)
            return true;
    return false;
}
/** Bytes [start, end) as a string of their own: UTF-8 when any byte is not ASCII. */
function decode(bytes, start, end) {
    return bytes.toString(hasHighByte(bytes, start, end) ? 'utf8' : 'latin1', start, end);
}
/** An index longer than this keeps its details deflated (IndexDetailsBuilder). */
const PACK_DETAILS_ABOVE = 4 * 1024 * 1024;
/** A size hint (a tar header's) larger than this is taken as this. */
const SIZE_HINT_CAP = 16 * 1024 * 1024;
/**
 * The most bytes (but for one stanza longer than this) the scan reads at a time: its memory holds
 * a copy of them, and of their kept lines.
 */
const SCAN_CHUNK = 64 * 1024;
/** An index file up to this size leaves V8's young generation to grow (readApkindex). */
const SMALL_INDEX = 1024 * 1024;
/**
 * What a small index file (SMALL_INDEX) may inflate to on the main thread, in one buffer a member
 * (v3.22 main's 0.5 MB inflate to 2.3 MB); past it, it is read again as a stream.
 */
const SMALL_INFLATE_LIMIT = 16 * 1024 * 1024;
/** Waiting pieces up to this size are kept as they are, and joined when a blank line comes. */
const JOIN_ABOVE = 1024 * 1024;
/**
 * The bytes of an unfinished stanza. Pieces are kept as they come; once they add up to more than
 * JOIN_ABOVE (a stanza that goes on: a hostile index with no blank line), each one is copied
 * into one buffer as large as what can still come, so the bytes are in memory once, not twice
 * when they are finally joined.
 */
class Waiting {
    pieces = [];
    whole;
    length = 0;
    /** Adds a piece; `toCome`: how many bytes can still come after it. */
    add(piece, toCome) {
        if (this.whole === undefined && this.length + piece.length > JOIN_ABOVE) {
            const size = Math.min(this.length + piece.length + toCome, INDEX_INFLATE_LIMIT);
            const whole = Buffer.allocUnsafeSlow(Math.max(size, this.length + piece.length));
            let at = 0;
            for (const held of this.pieces)
                at += held.copy(whole, at);
            this.pieces = [];
            this.whole = whole;
        }
        if (this.whole === undefined)
            this.pieces.push(piece);
        else
            this.append(piece);
        this.length += piece.length;
    }
    append(piece) {
        let whole = this.whole;
        if (this.length + piece.length > whole.length) {
            // More came than was said: grown, a rare copy.
            const larger = Buffer.allocUnsafeSlow(Math.ceil((this.length + piece.length) * 1.5));
            whole.copy(larger, 0, 0, this.length);
            whole = larger;
            this.whole = larger;
        }
        piece.copy(whole, this.length);
    }
    empty() {
        return this.length === 0;
    }
    endsLine() {
        if (this.length === 0)
            return false;
        if (this.whole !== undefined)
            return this.whole[this.length - 1] === NEWLINE;
        const last = this.pieces[this.pieces.length - 1];
        return last[last.length - 1] === NEWLINE;
    }
    /**
     * Everything waiting, then `head`, as the pieces they are (none is copied); nothing waits
     * after. Undefined when they are held as one buffer: take() then.
     */
    takePieces(head) {
        if (this.whole !== undefined)
            return undefined;
        const pieces = [...this.pieces, head];
        this.pieces = [];
        this.length = 0;
        return pieces;
    }
    /** Everything waiting, then `head`, as one buffer; nothing waits after. */
    take(head) {
        let bytes;
        if (this.whole !== undefined) {
            this.append(head);
            bytes = this.whole.subarray(0, this.length + head.length);
        }
        else if (this.pieces.length === 0) {
            bytes = head;
        }
        else if (this.pieces.length === 1 && head.length === 0) {
            bytes = this.pieces[0];
        }
        else {
            bytes = Buffer.concat([...this.pieces, head]);
        }
        this.pieces = [];
        this.whole = undefined;
        this.length = 0;
        return bytes;
    }
}
/**
 * One pass over the index bytes, reading what the solver needs of every stanza (C P V A I k D p
 * i) into a PackageTable, and the rest (S T U L o m t c) into IndexDetails, for when a package is
 * made. The bytes are scanned in WebAssembly (index-scan.ts), which recognises equal values and
 * tokens in place and numbers them, and checks each stanza as apk does; here each distinct value
 * becomes one shared string (UTF-8 where it holds non-ASCII bytes), each token a few numbers the
 * table makes a frozen Dependency of when it is read, and the kept stanzas rows. The details are
 * copied out, so nothing kept holds on to the index: it can go once it is read.
 */
class IndexScanner {
    repository;
    expected;
    maxDistinct;
    /** The scan's memory; gone once the index is read. */
    scanner;
    /** The distinct values' strings, by key. */
    values = [];
    /** How many of the scan's token keys the table has (a token's number is its key). */
    tokensTaken = 0;
    /** Undefined when the packages' details are not kept (ReadApkindexOptions.packageDetails). */
    details;
    /** The finished details, for the table's packages (a holder: the table must not keep `this`). */
    madeDetails = {};
    table;
    /** Bytes after the last blank line: an unfinished stanza, scanned with what comes next. */
    waiting = new Waiting();
    /** Bytes received so far. */
    received = 0;
    firstLine = 0;
    /**
     * @param expected how long the index is, or about (to size its lookup tables)
     */
    constructor(repository, expected, 
    /** The most distinct values or tokens (MAX_DISTINCT; less in tests). */
    maxDistinct = MAX_DISTINCT, keepDetails = true) {
        this.repository = repository;
        this.expected = expected;
        this.maxDistinct = maxDistinct;
        // What a tar header says is only a hint, capped: a lying one must not reserve gigabytes.
        const hint = Math.min(expected, SIZE_HINT_CAP);
        // Sized for Alpine's indexes, which hold one distinct value (a name, version or arch, of a
        // P V A line or of a token) per 131-166 bytes, and one distinct token per 172-214 bytes
        // (v3.12 main to v3.19 community): the densest fits without growing. Others grow them.
        this.scanner = new IndexScanMemory(hint / 125, hint / 160);
        // A large index (community's: 3.9 MB of such lines) keeps them deflated: 5 to 1, for 5 ms a
        // megabyte; a small one (a main's), as they are, which is quicker to read.
        this.details = keepDetails ? new IndexDetailsBuilder(hint > PACK_DETAILS_ABOVE) : undefined;
        const made = this.madeDetails;
        // Set when the scan ends, before anyone has the table.
        this.table = new package_table/* PackageTable */.Ny((table, row) => materialize(table, row, made.details), this.values);
        this.table.unique = true;
    }
    /** apk's version check, remembered: versions repeat across tokens (`=1`, `=24.09-r0`). */
    validVersions = new Map();
    validVersion = (version) => {
        let valid = this.validVersions.get(version);
        if (valid === undefined) {
            valid = (0,formats_version/* isValidVersion */.ri)(version);
            this.validVersions.set(version, valid);
        }
        return valid;
    };
    /** The strings of the values the last scan met first. */
    takeValues(memory) {
        const t = memory.values;
        const count = memory.count(t);
        const first = this.values.length;
        if (count === first)
            return;
        // One call makes them all strings (a string each: thousands of calls took 5-11 ms cold).
        const made = memory.valuesFrom(first);
        for (let i = 0; i < made.length; i++)
            this.values.push(made[i]);
    }
    /**
     * The key of `value`, known by its bytes as the scan's values are (so a name in a token and in
     * a P: line is one string, `values[key]`).
     */
    intern(memory, value) {
        const k = memory.key(memory.values, Buffer.from(value, 'utf8'));
        if (memory.added)
            this.values.push(value);
        return k;
    }
    /**
     * The tokens the last scan met first, numbered by their keys: those it parsed as it left them
     * (the table makes each a Dependency when it is read), the others parsed here as apk does.
     * Each one the scan did not parse has its position (its key, or -1: malformed) set in the scan,
     * for columns().
     */
    takeTokens(memory) {
        const t = memory.tokens;
        const count = memory.count(t);
        const first = this.tokensTaken;
        if (count === first)
            return;
        const infos = memory.infosAt >>> 2;
        this.table.addTokenWords(memory.i32, infos, count - first);
        const words = this.table.tokenWords;
        const positions = memory.positions;
        for (let k = first; k < count; k++) {
            if ((words[k * package_table/* TOKEN_WORDS */.Up] & 0xff) === PLAIN)
                continue;
            const start = memory.keyStart(t, k);
            const dep = this.parsed(memory, decode(memory.u8, start, memory.keyStart(t, k + 1)));
            // Written after parsed(), which may have grown the memory (and made new views).
            if (dep !== undefined) {
                this.table.setToken(k, Object.freeze(dep), this.parsedNameKey);
                memory.i32[positions + k] = k;
            }
        }
        this.tokensTaken = count;
    }
    /** The key of the name of the token parsed() parsed last. */
    parsedNameKey = -1;
    /** A token the scan left to this side, parsed as apk does; undefined when malformed. */
    parsed(memory, text) {
        let parsed;
        try {
            parsed = (0,dependency/* parseDependency */.d6)(text, this.validVersion);
        }
        catch (error) {
            if (!(error instanceof errors/* FormatError */.IF))
                throw error;
            return undefined;
        }
        // Names and versions repeat across tokens (`so:libc.musl-x86_64.so.1=1`, `!name`).
        this.parsedNameKey = this.intern(memory, parsed.name);
        parsed.name = this.values[this.parsedNameKey];
        if (parsed.version !== undefined) {
            parsed.version = this.values[this.intern(memory, parsed.version)];
        }
        return parsed;
    }
    /** The stanza being read, for an error. */
    where() {
        return `index of ${this.repository.url}, stanza at line ${this.firstLine}`;
    }
    /**
     * The rows of the last scan: refused at the first damaged one (no name or version, or no
     * identity of a form apk writes), as apk would; else those kept (installable, their identity
     * met first) appended as columns the scan makes.
     */
    takeRows(memory, rows) {
        if (rows > 0) {
            const damaged = memory.damagedRow;
            if (damaged >= 0)
                this.refuse(memory, damaged);
        }
        const columns = memory.columns(this.table.listCount());
        this.table.addColumns(columns, this.repository.index);
        this.details?.addRows(memory.u8, columns.details);
    }
    /** Throws the error of damaged row `row` of the last scan. */
    refuse(memory, row) {
        const r = (memory.rowsAt >>> 2) + row * ROW;
        this.firstLine = memory.i32[r + R_LINE];
        if ((memory.i32[r + R_FLAGS] & NO_NAME_OR_VERSION) !== 0) {
            throw new errors/* FormatError */.IF(`${this.where()}: no P: (name) or V: (version) line; the index is damaged.`);
        }
        const name = this.values[memory.i32[r + R_NAME]];
        const version = this.values[memory.i32[r + R_VERSION]];
        throw new errors/* FormatError */.IF(`${this.where()} (${name}-${version}): missing or malformed C: identity; the index is damaged.`);
    }
    /**
     * Reads the next piece of the index. Only whole stanzas are scanned: the pieces are cut after
     * the last blank line, and what follows waits for the next one (a stanza's kept lines are
     * copied out of one buffer). Waiting pieces are joined once, when a blank line comes.
     */
    push(piece) {
        this.received += piece.length;
        let cut = piece.lastIndexOf(STANZA_END);
        if (cut >= 0)
            cut += STANZA_END.length;
        else if (piece[0] === NEWLINE && this.waiting.endsLine())
            cut = 1;
        if (cut < 0) {
            this.waiting.add(piece, this.toCome());
            return;
        }
        let head = piece.subarray(0, cut);
        let spanning;
        if (!this.waiting.empty()) {
            // The stanza begun in what waits ends at this piece's first blank line: that chunk is
            // scanned from the pieces as they are (joining them copied this piece once more).
            const first = head.indexOf(STANZA_END);
            const end = first + STANZA_END.length;
            spanning = first >= 0 ? this.waiting.takePieces(head.subarray(0, end)) : undefined;
            head = spanning !== undefined ? head.subarray(end) : this.waiting.take(head);
        }
        if (cut < piece.length) {
            this.waiting.add(piece.subarray(cut), this.toCome());
        }
        if (spanning !== undefined)
            this.scan(spanning);
        this.scan(head);
    }
    /** How many bytes of the index can still come, as far as its size is known. */
    toCome() {
        return Math.max(0, this.expected - this.received);
    }
    /** The index ended: reads what is left, and returns the table. */
    end() {
        this.scan(this.waiting.take(Buffer.alloc(0)));
        // The scan's memory (the tables of distinct bytes, the last piece) goes with it.
        this.scanner = undefined;
        this.madeDetails.details = this.details?.finish() ?? NO_DETAILS;
        this.table.seal();
        return this.table;
    }
    /**
     * Scans `bytes`, which start at a stanza's start (pieces are cut after blank lines), in chunks
     * of about SCAN_CHUNK, each cut after a blank line too, so every row's offsets point into its
     * chunk. The scan copies each chunk into its memory: in chunks, that copy stays small.
     */
    scan(bytes) {
        try {
            if (Buffer.isBuffer(bytes))
                this.scanChunks(bytes);
            else
                this.scanChunk(bytes);
        }
        catch (error) {
            if (!(error instanceof ScanLimitError))
                throw error;
            throw new ScanLimitError(`index of ${this.repository.url} is refused: ${error.message}. Check the repository URL.`, { cause: error });
        }
    }
    scanChunks(bytes) {
        for (let start = 0; start < bytes.length;) {
            let end = bytes.length;
            if (end - start > SCAN_CHUNK) {
                const cut = bytes.lastIndexOf(STANZA_END, start + SCAN_CHUNK - STANZA_END.length);
                if (cut >= start)
                    end = cut + STANZA_END.length;
                else {
                    const next = bytes.indexOf(STANZA_END, start);
                    if (next >= 0)
                        end = next + STANZA_END.length;
                }
            }
            this.scanChunk(bytes.subarray(start, end));
            start = end;
        }
    }
    /** Scans one chunk (or the pieces it is made of) and takes what the scan met. */
    scanChunk(chunk) {
        const memory = this.scanner;
        const rows = memory.scan(chunk);
        // Before any string or token of them is made.
        memory.checkDistinct(this.maxDistinct);
        this.takeValues(memory);
        this.takeTokens(memory);
        this.takeRows(memory, rows);
    }
}
/**
 * Row `row` as a whole package: the table's fields, and the stanza's other lines from the
 * details (a repeated letter: the last one counts, as in apk).
 */
function materialize(table, row, details) {
    const pkg = {
        checksum: table.checksum(row),
        name: table.name(row),
        version: table.version(row),
        arch: table.arch(row),
        size: 0,
        installedSize: table.installedSizes[row],
        description: '',
        url: '',
        license: '',
        origin: undefined,
        maintainer: undefined,
        buildTime: 0,
        commit: undefined,
        providerPriority: table.priorities[row],
        depends: table.dependencies(row, package_table/* DEPENDS */.iS),
        provides: table.dependencies(row, package_table/* PROVIDES */.ZN),
        installIf: table.dependencies(row, package_table/* INSTALL_IF */.wU),
        replaces: package_table/* NO_DEPENDENCIES */.aL,
        replacesPriority: 0,
        triggers: package_table/* NO_TRIGGERS */._n,
        repository: table.repositories[row]
    };
    details.lines(row, (letter, bytes, start, end) => {
        const value = () => decode(bytes, start, end);
        switch (letter) {
            case 0x53: // S
                pkg.size = (0,pkginfo/* leadingUint */.f)(value());
                break;
            case 0x54: // T
                pkg.description = value();
                break;
            case 0x55: // U
                pkg.url = value();
                break;
            case 0x4c: // L
                pkg.license = value();
                break;
            case 0x6f: // o
                pkg.origin = value();
                break;
            case 0x6d: // m
                pkg.maintainer = value();
                break;
            case 0x74: // t
                pkg.buildTime = (0,pkginfo/* leadingUint */.f)(value());
                break;
            case 0x63: // c
                pkg.commit = value();
                break;
        }
    });
    return pkg;
}
/**
 * Parses APKINDEX bytes as apk 2.14 does: `X:value` lines, a line shorter than 2 bytes ends a
 * stanza, and a last stanza with no blank line after it is dropped (apk drops it too).
 * A stanza with an unknown uppercase letter describes a package this reader cannot install
 * correctly; apk marks it uninstallable, we leave it out (no error). Lowercase unknown letters
 * and database-only letters are ignored. A repeated identity keeps its first stanza. The bytes
 * may come in pieces, cut anywhere (as an index inflates): the table is the same.
 */
function readIndexTable(bytes, repository, 
/** The most distinct values or tokens it may hold (MAX_DISTINCT). */
maxDistinct = MAX_DISTINCT) {
    const pieces = Array.isArray(bytes) ? bytes : [bytes];
    const scanner = new IndexScanner(repository, pieces.reduce((sum, piece) => sum + piece.length, 0), maxDistinct);
    for (const piece of pieces)
        scanner.push(piece);
    return scanner.end();
}
/** The same from text: every package made at once. */
function parseApkindexText(text, repository) {
    return readIndexTable(Buffer.from(text, 'utf8'), repository).all();
}
/**
 * The canonical index header of a package (`C P V A S I T U L o m t c k D p i`), each line
 * ending in `\n`, no blank line after: what `apk index` writes and each stanza of
 * lib/apk/db/installed starts with.
 */
function formatIndexHeader(pkg) {
    let out = `C:${pkg.checksum}\nP:${pkg.name}\nV:${pkg.version}\n`;
    if (pkg.arch !== undefined)
        out += `A:${pkg.arch}\n`;
    out += `S:${pkg.size}\nI:${pkg.installedSize}\nT:${pkg.description}\nU:${pkg.url}\n`;
    out += `L:${pkg.license}\n`;
    if (pkg.origin !== undefined)
        out += `o:${pkg.origin}\n`;
    if (pkg.maintainer !== undefined)
        out += `m:${pkg.maintainer}\n`;
    if (pkg.buildTime)
        out += `t:${pkg.buildTime}\n`;
    if (pkg.commit !== undefined)
        out += `c:${pkg.commit}\n`;
    if (pkg.providerPriority)
        out += `k:${pkg.providerPriority}\n`;
    if (pkg.depends.length)
        out += `D:${(0,dependency/* formatDependencies */.Jh)(pkg.depends, false)}\n`;
    if (pkg.provides.length)
        out += `p:${(0,dependency/* formatDependencies */.Jh)(pkg.provides, false)}\n`;
    if (pkg.installIf.length)
        out += `i:${(0,dependency/* formatDependencies */.Jh)(pkg.installIf, false)}\n`;
    return out;
}
/** A FormatError of the container, reworded for the user with the repository named. */
function indexFormatError(repository, error) {
    // The scan's bounds name the repository already, and say what to do.
    if (error instanceof ScanLimitError)
        return error;
    return new errors/* FormatError */.IF(`index of ${repository.url} is not a valid APKINDEX.tar.gz (${error.message}); check ` +
        `the repository URL, or fetch the index again if the download was damaged.`, { cause: error });
}
async function asIndexFormat(repository, read) {
    try {
        return await read();
    }
    catch (error) {
        throw error instanceof errors/* FormatError */.IF ? indexFormatError(repository, error) : error;
    }
}
/** The `.SIGN.*` entries of the gzip member at `start`; undefined when it holds other entries. */
function signatureMember(bytes, start) {
    let member;
    try {
        member = (0,gzip/* readGzipMember */.$2)(bytes, start, SIGNATURE_MEMBER_LIMIT);
    }
    catch (error) {
        // Too large to be signatures: treated as the first member that is not one.
        if (error instanceof gzip/* GzipLimitError */.Kd)
            return undefined;
        throw error;
    }
    const entries = (0,tar/* scanTar */.tZ)(member.data).entries;
    if (entries.some((e) => !e.name.startsWith('.SIGN.')))
        return undefined;
    const signatures = [];
    for (const entry of entries) {
        const parsed = (0,signature/* parseSignatureName */.dA)(entry.name);
        if (parsed && entry.type === 'file')
            signatures.push({ ...parsed, sig: entry.data });
    }
    return { signatures, end: member.end };
}
function untrusted(repository, signatures) {
    if (signatures.length === 0) {
        return new errors/* IndexSignatureError */.BR(`index of ${repository.url} is not signed (no .SIGN.RSA entry); refusing it. Use a ` +
            `signed repository, or allow untrusted repositories only for one you control.`);
    }
    const names = signatures.map((s) => s.keyName).join(', ');
    return new errors/* IndexSignatureError */.BR(`index of ${repository.url} is signed by ${names}, which is not in the trusted keys; ` +
        `add it with \`keys:\` or use a repository you trust.`);
}
function badSignature(repository, tried) {
    return new errors/* IndexSignatureError */.BR(`index of ${repository.url} does not verify with ${tried.join(', ')} (BAD signature): the ` +
        `index was altered or damaged, or a different key carries that name. Fetch it again, and ` +
        `check that the key file is the repository's.`);
}
async function resolveKey(keyring, name, repository) {
    try {
        return await keyring.resolve(name);
    }
    catch (error) {
        if (!(error instanceof errors/* ApkError */.xE))
            throw error;
        // The key is the problem (a downloaded Alpine key that is not PEM or not the pinned one).
        if (error instanceof errors/* UntrustedKeyError */.Ms) {
            throw new errors/* UntrustedKeyError */.Ms(`index of ${repository.url} is signed by ${name}, which could not be trusted: ${error.message}`, { cause: error });
        }
        throw new errors/* IndexSignatureError */.BR(`index of ${repository.url} is signed by ${name}, which could not be trusted: ${error.message}`, { cause: error });
    }
}
/**
 * The name of the key that verifies `signed`, or the error to report. Like apk, a signature
 * counts only if its key is trusted; unlike apk (but as apko), each signature with an available
 * key is tried, local keys first, then Alpine keys fetched against their pins.
 */
async function checkSignatures(signatures, signed, repository, keyring) {
    const tried = [];
    // The signed bytes are hashed once per algorithm, however many signatures use it (the check
    // on a digest is the exact one verifyRsaSignature ends with).
    const digests = new Map();
    const check = (s, key) => {
        tried.push(s.keyName);
        let digest = digests.get(s.alg);
        if (digest === undefined) {
            digest = (0,sha/* shaDigest */.h)(s.alg, signed);
            digests.set(s.alg, digest);
        }
        return (0,signature/* verifyRsaDigest */.WZ)(s.alg, digest, key, s.sig);
    };
    for (const s of signatures) {
        const key = keyring.get(s.keyName);
        if (key && check(s, key))
            return s.keyName;
    }
    for (const s of signatures) {
        if (keyring.get(s.keyName))
            continue;
        const key = await resolveKey(keyring, s.keyName, repository);
        if (key && check(s, key))
            return s.keyName;
    }
    return tried.length ? badSignature(repository, tried) : untrusted(repository, signatures);
}
/**
 * Reads the signature members one at a time and checks their signatures over every byte after
 * them, so nothing signed is decompressed before it is verified. apk resets the digest at each
 * gzip boundary inside the signature section: the signed bytes start after the last signature
 * member. Damage past a signature member is a signature failure, since those bytes are signed.
 */
async function verifySignedIndex(bytes, repository, keyring) {
    const signatures = [];
    let start = 0;
    let members = 0;
    let failure;
    for (;;) {
        let member;
        try {
            member = start < bytes.length ? signatureMember(bytes, start) : undefined;
        }
        catch (error) {
            if (failure && error instanceof errors/* FormatError */.IF)
                throw failure;
            throw error;
        }
        if (!member)
            throw failure ?? untrusted(repository, signatures);
        signatures.push(...member.signatures);
        if (++members > MAX_SIGNATURE_MEMBERS || signatures.length > MAX_SIGNATURES) {
            throw new errors/* IndexSignatureError */.BR(`index of ${repository.url} starts with more than ${MAX_SIGNATURE_MEMBERS} gzip members ` +
                `of signatures or more than ${MAX_SIGNATURES} signatures, where apk-tools writes one; ` +
                'refusing it. The repository is damaged or hostile.');
        }
        start = member.end;
        const result = await checkSignatures(signatures, bytes.subarray(start), repository, keyring);
        if (typeof result === 'string')
            return { signer: result, signedStart: start };
        failure = result;
    }
}
/** A sink that keeps nothing. */
const DISCARD = { write: () => { }, close: () => { } };
/**
 * The index after the signatures, read as apk reads the whole file: one tar stream, inflated off
 * the main thread and scanned as it comes, so neither the inflated index nor its text is ever
 * whole in memory. A small file (SMALL_INDEX) is inflated on the main thread a member at a time,
 * up to SMALL_INFLATE_LIMIT, then scanned in the same pieces: handing 2.3 MB on from the thread
 * pool took longer than inflating it (on v3.22 main, a cold resolve took 0.96-0.97\u{d7} the time on
 * Node 20, the same on Node 24). When verified, the first entry after the signatures must start
 * the member the signature covers. The last `APKINDEX` and `DESCRIPTION` files count.
 */
async function readIndexStream(bytes, repository, signedStart, keepDetails) {
    if (bytes.length <= SMALL_INDEX) {
        try {
            return await readIndexWith(repository, signedStart, keepDetails, (push, member) => (0,gzip/* inflateGzipMembers */.lT)(bytes, SMALL_INFLATE_LIMIT, push, member));
        }
        catch (error) {
            // Past what a small file inflates to whole: read again as a stream, to the index's limit.
            const cause = error instanceof errors/* FormatError */.IF ? error.cause : undefined;
            if (!(cause instanceof gzip/* GzipLimitError */.Kd && cause.limit <= SMALL_INFLATE_LIMIT))
                throw error;
        }
    }
    return readIndexWith(repository, signedStart, keepDetails, (push, member) => (0,gzip/* streamGzipMembers */.wN)(bytes, INDEX_INFLATE_LIMIT, push, member));
}
/** readIndexStream with `inflate` handing on the file's inflated pieces and members' places. */
async function readIndexWith(repository, signedStart, keepDetails, inflate) {
    // Where each member starts in the file, and where its data starts in the inflated stream.
    const memberStarts = [];
    const memberOffsets = [];
    let first = true;
    let description = '';
    let table;
    let textBytes = 0;
    // A damaged stanza is the index's text at fault, not its container: its error passes as it is,
    // once the container has been read whole and found sound.
    let stanzaError;
    const startsIndex = (entry, at) => {
        if (!first || entry.name.startsWith('.SIGN.'))
            return first;
        first = false;
        const member = (0,gzip/* memberAt */.mz)(memberOffsets, at);
        if (signedStart !== undefined && memberStarts[member] !== signedStart) {
            throw new errors/* FormatError */.IF('the signature and the index do not sit in separate gzip members');
        }
        return false;
    };
    const reader = new tar/* TarStreamReader */.TW({
        body: (entry, at) => {
            if (startsIndex(entry, at))
                return DISCARD;
            if (entry.name === 'DESCRIPTION') {
                const pieces = [];
                return {
                    write: (piece) => pieces.push(Buffer.from(piece)),
                    close: () => (description = Buffer.concat(pieces).toString('utf8'))
                };
            }
            if (entry.name !== 'APKINDEX')
                return DISCARD;
            // The last APKINDEX counts: one after this one replaces its table, or its error.
            const scanner = new IndexScanner(repository, entry.size, MAX_DISTINCT, keepDetails);
            table = undefined;
            stanzaError = undefined;
            let failed = false;
            return {
                write: (piece) => {
                    if (failed)
                        return;
                    try {
                        scanner.push(piece);
                    }
                    catch (error) {
                        failed = true;
                        stanzaError = error;
                    }
                    (0,released_memory/* letGoOfScanned */.bQ)(piece.length);
                },
                close: () => {
                    if (failed)
                        return;
                    try {
                        table = scanner.end();
                        textBytes = entry.size;
                    }
                    catch (error) {
                        stanzaError = error;
                    }
                }
            };
        },
        entry: (entry, at) => void startsIndex(entry, at)
    });
    try {
        await inflate((piece) => reader.push(piece), (place) => {
            memberStarts.push(place.start);
            memberOffsets.push(place.offset);
        });
        reader.end();
        if (first)
            throw new errors/* FormatError */.IF('it holds no APKINDEX entry');
    }
    catch (error) {
        throw error instanceof errors/* FormatError */.IF ? indexFormatError(repository, error) : error;
    }
    if (stanzaError !== undefined)
        throw stanzaError;
    if (table === undefined) {
        throw new errors/* FormatError */.IF(`index of ${repository.url} has no APKINDEX entry; it is not a package index. Check the repository URL.`);
    }
    return { description, table, textBytes };
}
/** Verifies and parses an APKINDEX.tar.gz. Throws IndexSignatureError or FormatError. */
async function readApkindex(bytes, repository, options) {
    // Reading a large index is the first thing that would grow V8's young generation, which then
    // stays large. A small one alone (a main's, 0.5 MB) is left to V8: it peaks far below the
    // bound, and sooner (0.92-0.96\u{d7} the time on v3.22 main), with Node's built-in modules loaded
    // after it still from their code cache (a V8 flag set at run time makes them compile anew).
    // Several read side by side have it set before any is read (fetchIndexes).
    if (bytes.length > SMALL_INDEX)
        (0,released_memory/* keepYoungGenerationSmall */.Dd)();
    let verified;
    if (!options.allowUntrusted) {
        verified = await asIndexFormat(repository, () => verifySignedIndex(bytes, repository, options.keyring));
    }
    const read = await readIndexStream(bytes, repository, verified?.signedStart, options.packageDetails ?? true);
    return indexOf(repository, read.description, read.table, verified?.signer, bytes.length + read.textBytes);
}
/**
 * The index as callers keep it. Made apart from readApkindex: a getter made there would share
 * its scope, and with it the downloaded file's bytes, for as long as the index lives.
 */
function indexOf(repository, description, table, signer, bytesRead) {
    const index = {
        repository,
        description,
        table,
        get packages() {
            return table.all();
        },
        bytesRead
    };
    if (signer !== undefined)
        index.signer = signer;
    return index;
}


/***/ }),

/***/ 908:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Jh: () => (/* binding */ formatDependencies),
/* harmony export */   R1: () => (/* binding */ satisfiedByProvider),
/* harmony export */   Vd: () => (/* binding */ dependencyMatchesVersion),
/* harmony export */   d6: () => (/* binding */ parseDependency),
/* harmony export */   fb: () => (/* binding */ parseDependencies),
/* harmony export */   pP: () => (/* binding */ formatDependency)
/* harmony export */ });
/* unused harmony exports formatOp, checksumMatches, providedVersion, dependencySatisfiedBy */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(239);
/* harmony import */ var _types_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(443);
/* harmony import */ var _version_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(769);
/**
 * Dependency tokens (`D:`, `p:`, `i:`, `r:`, world, command line) as apk-tools 2.14 reads, writes
 * and tests them: `[!]name[@tag][OP version]`, where OP is a run of `<`, `>`, `=`, `~` whose bits
 * accumulate.
 */



const SEPARATORS = /[ \n]+/;
/** The bits of one operator character (`<`, `>`, `=`, `~`), or 0 for any other. */
function opBit(code) {
    switch (code) {
        case 0x3c: // <
            return _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.LESS;
        case 0x3e: // >
            return _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.GREATER;
        case 0x3d: // =
            return _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.EQUAL;
        case 0x7e: // ~
            return _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.FUZZY | _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.EQUAL;
    }
    return 0;
}
/** apk validates the version unless both `<` and `>` are set (the checksum form, or nonsense like `<>=`). */
function skipsVersionCheck(op) {
    return (op & _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.CHECKSUM) === _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.CHECKSUM;
}
/**
 * Parses one token. Throws FormatError for an empty name, an operator without a version, or a
 * bad version. `validVersion` is apk's version check (a reader of many tokens may remember it).
 */
function parseDependency(token, validVersion = _version_js__WEBPACK_IMPORTED_MODULE_2__/* .isValidVersion */ .ri) {
    const conflict = token.charCodeAt(0) === 0x21; // !
    const nameStart = conflict ? 1 : 0;
    let opStart = nameStart;
    while (opStart < token.length && opBit(token.charCodeAt(opStart)) === 0)
        opStart++;
    let op = _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.ANY;
    let version;
    if (opStart < token.length) {
        op = 0;
        let opEnd = opStart;
        for (let bit; opEnd < token.length && (bit = opBit(token.charCodeAt(opEnd))) !== 0; opEnd++) {
            op |= bit;
        }
        version = token.slice(opEnd);
        if (version === '') {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`dependency '${token}': operator without a version`);
        }
        if (!skipsVersionCheck(op) && !validVersion(version)) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`dependency '${token}': '${version}' is not a valid version`);
        }
    }
    const at = token.indexOf('@', nameStart);
    const tagged = at >= 0 && at < opStart;
    const name = token.slice(nameStart, tagged ? at : opStart);
    if (name === '')
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`dependency '${token}': missing package name`);
    // Each shape made whole by one literal: a property added after it is made goes to a separate
    // store, which for the tens of thousands of tokens of an index cost a megabyte and more.
    const dep = version === undefined ? { name, op, conflict } : { name, op, conflict, version };
    if (tagged)
        dep.tag = token.slice(at + 1, opStart);
    return dep;
}
/**
 * Parses a space/newline separated list. Like apk, a malformed token ends the list: the tokens
 * before it are returned, the rest is dropped.
 */
function parseDependencies(text) {
    const deps = [];
    for (const token of text.split(SEPARATORS)) {
        if (token === '')
            continue;
        try {
            deps.push(parseDependency(token));
        }
        catch (err) {
            if (err instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF)
                break;
            throw err;
        }
    }
    return deps;
}
/** The operator as apk-tools 2.14 prints it; `?` for masks it has no spelling for (`>~`, `<~`). */
function formatOp(op) {
    switch (op) {
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.LESS:
            return '<';
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.LESS | _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.EQUAL:
            return '<=';
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.EQUAL | _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.FUZZY:
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.FUZZY:
            return '~';
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.EQUAL:
            return '=';
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.GREATER | _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.EQUAL:
            return '>=';
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.GREATER:
            return '>';
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.CHECKSUM:
            return '><';
        case _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.ANY:
            return '';
        default:
            return '?';
    }
}
/** Serializes a token the way apk writes world, the db and indexes (indexes drop the tag). */
function formatDependency(dep, withTag = true) {
    let out = dep.conflict ? '!' : '';
    out += dep.name;
    if (withTag && dep.tag)
        out += `@${dep.tag}`;
    if (dep.version !== undefined)
        out += formatOp(dep.op) + dep.version;
    return out;
}
function formatDependencies(deps, withTag = true) {
    return deps.map((d) => formatDependency(d, withTag)).join(' ');
}
/**
 * Whether a provider at `version` satisfies `dep` (undefined = an unversioned provide).
 * Any-version constraints accept everything; a versioned constraint never accepts an
 * unversioned provide; a conflict inverts the answer. The checksum form (`><Q1\u{2026}`) needs the
 * package identity: use dependencySatisfiedBy for it.
 */
function dependencyMatchesVersion(dep, version) {
    if (dep.op === _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.ANY)
        return !dep.conflict;
    if (dep.op === _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.CHECKSUM || version === undefined || dep.version === undefined) {
        return dep.conflict;
    }
    const fuzzy = (dep.op & _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.FUZZY) !== 0;
    const matches = ((0,_version_js__WEBPACK_IMPORTED_MODULE_2__/* .compareVersionBits */ .OS)(version, dep.version, fuzzy) & dep.op) !== 0;
    return matches !== dep.conflict;
}
/** The identity as lowercase hex, whichever spelling it has (`Q1`+base64, `X1`+hex, bare MD5 hex). */
function identityHex(id) {
    if (id.startsWith('Q1'))
        return Buffer.from(id.slice(2), 'base64').toString('hex');
    if (id.startsWith('X1'))
        return id.slice(2).toLowerCase();
    return id.toLowerCase();
}
/** Whether the `><` checksum form names exactly this package identity. */
function checksumMatches(dep, checksum) {
    if (dep.version === undefined || checksum === '')
        return false;
    return identityHex(dep.version) === identityHex(checksum);
}
/**
 * The version under which `pkg` provides `name`: its own version for its own name, the provided
 * version for a versioned provide, `null` for an unversioned provide, `undefined` when it does not
 * provide the name at all.
 */
function providedVersion(pkg, name) {
    if (pkg.name === name)
        return pkg.version;
    const provide = pkg.provides.find((p) => p.name === name);
    if (provide === undefined)
        return undefined;
    return provide.version ?? null;
}
/**
 * apk's satisfaction test of `dep` by a provider: a package (its identity `checksum`) chosen for
 * `dep.name` under `version` (the package version, a provided version, or undefined for an
 * unversioned provide).
 */
function satisfiedByProvider(dep, checksum, version) {
    if (dep.op === _types_js__WEBPACK_IMPORTED_MODULE_1__/* .VersionOp */ .e2.CHECKSUM)
        return checksumMatches(dep, checksum) !== dep.conflict;
    return dependencyMatchesVersion(dep, version);
}
/**
 * Whether installing `pkg` satisfies `dep` (apk_dep_analyze): through its own name or a provide of
 * `dep.name`. A package that does not provide the name at all satisfies only a conflict.
 */
function dependencySatisfiedBy(dep, pkg) {
    if (pkg === undefined)
        return dep.conflict;
    const version = providedVersion(pkg, dep.name);
    if (version === undefined)
        return dep.conflict;
    return satisfiedByProvider(dep, pkg.checksum, version ?? undefined);
}


/***/ }),

/***/ 220:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Kd: () => (/* binding */ GzipLimitError),
  lT: () => (/* binding */ inflateGzipMembers),
  mz: () => (/* binding */ memberAt),
  pX: () => (/* binding */ outputLimit),
  $2: () => (/* binding */ readGzipMember),
  wN: () => (/* binding */ streamGzipMembers),
  mA: () => (/* binding */ streamOf)
});

// UNUSED EXPORTS: DEFAULT_INFLATE_LIMIT, splitGzipMembers

;// CONCATENATED MODULE: external "node:buffer"
const external_node_buffer_namespaceObject = require("node:buffer");
// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __nccwpck_require__(522);
// EXTERNAL MODULE: ./src/crc32.ts
var crc32 = __nccwpck_require__(80);
// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __nccwpck_require__(239);
;// CONCATENATED MODULE: ./src/apk/formats/gzip.ts
/**
 * Multi-member gzip, as APK files use it: each member is hashed by its compressed bytes, so we
 * need the exact byte range of every member, which zlib's gunzip does not report. We parse each
 * member header ourselves (RFC 1952), inflate the raw deflate stream, and check the trailer.
 */




const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
const TRAILER = 8;
// Larger than zlib's 16 KiB default: fewer pieces to join for big members, and still one
// piece for the small signature and control members.
const CHUNK = 128 * 1024;
/**
 * zlib's maxOutputLength for a bound: at least 1 (0 is refused), at most a Buffer's largest
 * length (a package that says it installs more, or an Infinity, failed with ERR_OUT_OF_RANGE).
 */
function outputLimit(limit) {
    return Math.max(1, Math.min(limit, external_node_buffer_namespaceObject.constants.MAX_LENGTH));
}
function skipZeroTerminated(buf, pos, what, start) {
    const nul = buf.indexOf(0, pos);
    if (nul < 0)
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: unterminated ${what}`);
    return nul + 1;
}
/** Returns the offset of the deflate data after the member header at `start`. */
function parseHeader(buf, start) {
    if (buf[start] !== 0x1f || (start + 1 < buf.length && buf[start + 1] !== 0x8b)) {
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: not gzip data (bad magic)`);
    }
    if (buf.length - start < 10) {
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: truncated header`);
    }
    if (buf[start + 2] !== 8) {
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: unknown compression method`);
    }
    const flags = buf[start + 3];
    if (flags & FRESERVED)
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: reserved flags set`);
    let pos = start + 10;
    if (flags & FEXTRA) {
        if (pos + 2 > buf.length)
            throw new errors/* FormatError */.IF(`gzip member at byte ${start}: truncated header`);
        pos += 2 + buf.readUInt16LE(pos);
    }
    if (flags & FNAME)
        pos = skipZeroTerminated(buf, pos, 'file name', start);
    if (flags & FCOMMENT)
        pos = skipZeroTerminated(buf, pos, 'comment', start);
    if (flags & FHCRC) {
        if (pos + 2 > buf.length)
            throw new errors/* FormatError */.IF(`gzip member at byte ${start}: truncated header`);
        const expected = buf.readUInt16LE(pos);
        if (((0,crc32/* crc32 */.Q)(buf.subarray(start, pos)) & 0xffff) !== expected) {
            throw new errors/* FormatError */.IF(`gzip member at byte ${start}: header CRC mismatch`);
        }
        pos += 2;
    }
    if (pos > buf.length)
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: truncated header`);
    return pos;
}
/** Default bound on what one inflate may produce, when the caller names none. */
const DEFAULT_INFLATE_LIMIT = 64 * 1024 * 1024;
/**
 * A member that inflates to more than the caller allows: a damaged file or a decompression
 * bomb. Nothing beyond the limit is ever held in memory.
 */
class GzipLimitError extends errors/* FormatError */.IF {
    limit;
    constructor(start, limit) {
        super(`gzip member at byte ${start}: inflates to more than ${limit} bytes, more than it may ` +
            'hold (a damaged file or a decompression bomb)');
        this.limit = limit;
    }
}
/** zlib's complaint about a member's deflate data, as a FormatError naming the member. */
function deflateError(start, error) {
    return new errors/* FormatError */.IF(`gzip member at byte ${start}: ${error.message || 'corrupt deflate data'}`, { cause: error });
}
/**
 * Checks the trailer of the member at `start`, whose deflate data ends at `trailer`, against
 * what it inflated to (`size` bytes, and their CRC-32 as `crc` gives it); returns where the
 * member ends.
 */
function checkTrailer(buf, start, trailer, size, crc) {
    if (trailer + TRAILER > buf.length) {
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: truncated (no trailer)`);
    }
    if (buf.readUInt32LE(trailer + 4) !== size % 0x100000000) {
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: length mismatch (ISIZE)`);
    }
    if (buf.readUInt32LE(trailer) !== crc()) {
        throw new errors/* FormatError */.IF(`gzip member at byte ${start}: CRC mismatch, the data is corrupt`);
    }
    return trailer + TRAILER;
}
/**
 * @param sizeHint what the member probably inflates to (a trailer's ISIZE). When it is large,
 *   the output goes into one buffer of that size plus one byte, so a big member is not made of
 *   pieces that are then copied into one buffer: that doubled its memory for a moment.
 */
function inflateMember(buf, start, deflateStart, limit, sizeHint = 0) {
    let result;
    try {
        // info: true exposes how much input the deflate stream consumed: that is where it ends.
        result = external_node_zlib_.inflateRawSync(buf.subarray(deflateStart), {
            info: true,
            // zlib takes chunks of 64 bytes or more, and output of at most a Buffer's largest length.
            chunkSize: Math.max(64, sizeHint > CHUNK ? Math.min(sizeHint, limit) + 1 : Math.min(CHUNK, limit + 1)),
            maxOutputLength: outputLimit(limit)
        });
    }
    catch (error) {
        if (error.code === 'ERR_BUFFER_TOO_LARGE') {
            throw new GzipLimitError(start, limit);
        }
        throw deflateError(start, error);
    }
    if (result.buffer.length > limit)
        throw new GzipLimitError(start, limit);
    const trailer = deflateStart + result.engine.bytesWritten;
    let data = result.buffer;
    const end = checkTrailer(buf, start, trailer, data.length, () => (0,crc32/* crc32 */.Q)(data));
    // A hint far above what came out would keep its whole allocation alive behind the data.
    if (data.buffer.byteLength > 2 * data.length + CHUNK)
        data = Buffer.from(data);
    return { start, end, data };
}
/** The size a file's last member says it inflates to (its trailer's ISIZE): a hint only. */
function lastMemberSize(buf) {
    return buf.length >= 4 ? buf.readUInt32LE(buf.length - 4) : 0;
}
/**
 * Splits concatenated gzip members and inflates each. Any bytes after the last member that are
 * not another member are an error, as they are for apk.
 */
function splitGzipMembers(buf, limit = DEFAULT_INFLATE_LIMIT) {
    if (buf.length === 0)
        throw new FormatError('empty file, expected gzip data');
    const members = [];
    let start = 0;
    let left = limit;
    // The last member's size, from the file's last bytes: a signed index's member is its last. Not
    // for the first member (the signatures): room for a whole index would be made for a few
    // hundred bytes, and freeing that much makes glibc keep more of what is freed later.
    const lastSize = lastMemberSize(buf);
    while (start < buf.length) {
        const hint = members.length > 0 ? lastSize : 0;
        const member = inflateMember(buf, start, parseHeader(buf, start), left, hint);
        left -= member.data.length;
        members.push(member);
        start = member.end;
    }
    return members;
}
/**
 * Inflates the one member that starts at byte `start` (a file's first members can be read
 * alone), at most `limit` bytes of it.
 */
function readGzipMember(buf, start, limit = DEFAULT_INFLATE_LIMIT) {
    if (start >= buf.length)
        throw new errors/* FormatError */.IF(`no gzip member at byte ${start}: end of file`);
    return inflateMember(buf, start, parseHeader(buf, start), limit);
}
/** zlib's output piece for a member streamed: a few of them in memory at a time. */
const STREAM_CHUNK = 256 * 1024;
/**
 * Inflates the member at `start` off the main thread, handing each piece to `push` as it comes
 * (in order; `push` may throw to stop), at most `limit` bytes; checks the trailer as
 * inflateMember does. Returns where the member ends and how much it held.
 */
async function streamMember(buf, start, limit, push) {
    const deflateStart = parseHeader(buf, start);
    const inflate = external_node_zlib_.createInflateRaw({ chunkSize: STREAM_CHUNK });
    let size = 0;
    let crc = 0;
    // The handlers get no hold on `buf`: what they share with this function lives as long as the
    // stream does.
    const done = new Promise((resolve, reject) => {
        // A piece is handed on after zlib's callback returns, so that the next one inflates on the
        // thread pool meanwhile. The stream pauses while two wait: memory stays a few pieces.
        const waiting = [];
        let failed = false;
        let ended = false;
        const stop = (error) => {
            if (failed)
                return;
            failed = true;
            inflate.destroy();
            reject(error);
        };
        const drain = () => {
            while (waiting.length > 0 && !failed) {
                try {
                    push(waiting.shift());
                }
                catch (error) {
                    stop(error);
                }
            }
            if (failed)
                return;
            if (ended)
                resolve();
            else
                inflate.resume();
        };
        inflate.on('data', (piece) => {
            size += piece.length;
            if (size > limit)
                return stop(new GzipLimitError(start, limit));
            crc = (0,crc32/* crc32 */.Q)(piece, crc);
            waiting.push(piece);
            if (waiting.length === 1)
                queueMicrotask(drain);
            else
                inflate.pause();
        });
        inflate.on('error', (error) => stop(deflateError(start, error)));
        inflate.on('end', () => {
            ended = true;
            if (waiting.length === 0 && !failed)
                resolve();
        });
    });
    inflate.end(buf.subarray(deflateStart));
    try {
        await done;
    }
    finally {
        // zlib keeps the input it did not use (the trailer, any member after) until it is closed.
        inflate.close();
    }
    const end = checkTrailer(buf, start, deflateStart + inflate.bytesWritten, size, () => crc);
    return { end, size };
}
/**
 * splitGzipMembers as a stream: every member of `buf` is inflated in turn, off the main thread,
 * and its pieces handed to `push` as they come, so the inflated data is never whole in memory.
 * `member` is told each member's place before its first piece. The same checks and errors, at
 * most `limit` bytes in all.
 */
async function streamGzipMembers(buf, limit, push, member = () => { }) {
    if (buf.length === 0)
        throw new errors/* FormatError */.IF('empty file, expected gzip data');
    let start = 0;
    let offset = 0;
    while (start < buf.length) {
        member({ start, offset });
        const { end, size } = await streamMember(buf, start, limit - offset, push);
        offset += size;
        start = end;
    }
}
/**
 * streamGzipMembers on this thread, for a small file: each member is inflated whole (with
 * readGzipMember's checks; the second, an index's after its signatures, into one buffer of the
 * size its file's last trailer gives) and its data handed to `push` in pieces. Its members' data
 * is at most `limit` bytes together, and in memory one member at a time. (The trailer's size for
 * every member after the first made a file of 50,000 empty members with a lying last trailer
 * allocate 16 MiB for each: 4 s.)
 */
function inflateGzipMembers(buf, limit, push, member = () => { }) {
    if (buf.length === 0)
        throw new errors/* FormatError */.IF('empty file, expected gzip data');
    const lastSize = lastMemberSize(buf);
    let start = 0;
    let offset = 0;
    for (let index = 0; start < buf.length; index++) {
        member({ start, offset });
        const hint = index === 1 ? lastSize : 0;
        const { data, end } = inflateMember(buf, start, parseHeader(buf, start), limit - offset, hint);
        for (let at = 0; at < data.length; at += STREAM_CHUNK) {
            push(data.subarray(at, at + STREAM_CHUNK));
        }
        offset += data.length;
        start = end;
    }
}
/** Inflated members as one stream, with where each member's data starts in it. */
function streamOf(members) {
    const offsets = [];
    let total = 0;
    for (const member of members) {
        offsets.push(total);
        total += member.data.length;
    }
    return { members, chunks: members.map((m) => m.data), offsets };
}
/**
 * Index of the member whose data holds stream offset `offset`, given where each member's data
 * starts (a GzipStream's `offsets`, or the MemberPlaces' as members are streamed).
 */
function memberAt(offsets, offset) {
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (offsets[mid] <= offset)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}


/***/ }),

/***/ 92:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Ny: () => (/* binding */ PackageTable),
/* harmony export */   Up: () => (/* binding */ TOKEN_WORDS),
/* harmony export */   Xi: () => (/* binding */ tableOfPackages),
/* harmony export */   ZN: () => (/* binding */ PROVIDES),
/* harmony export */   _n: () => (/* binding */ NO_TRIGGERS),
/* harmony export */   aL: () => (/* binding */ NO_DEPENDENCIES),
/* harmony export */   iS: () => (/* binding */ DEPENDS),
/* harmony export */   q8: () => (/* binding */ ROW_KEYS),
/* harmony export */   wU: () => (/* binding */ INSTALL_IF)
/* harmony export */ });
/* unused harmony export TOKEN_MADE */
/** Which of a row's three dependency lists. */
const DEPENDS = 0;
const PROVIDES = 1;
const INSTALL_IF = 2;
/** Numbers per row in `rowKeys`. */
const ROW_KEYS = 3;
/** Numbers per token in `tokenWords`, and the first one of a token made already. */
const TOKEN_WORDS = 3;
const TOKEN_MADE = 255;
/** The empty list most packages have for most dependency fields: shared, frozen. */
const NO_DEPENDENCIES = Object.freeze([]);
const NO_TRIGGERS = Object.freeze([]);
/** A typed array twice as long, its first `used` numbers copied. */
function grown(array, used, make) {
    const larger = make(Math.max(16, array.length * 2));
    larger.set(array.subarray(0, used));
    return larger;
}
class PackageTable {
    materialize;
    strings;
    /**
     * The rows' identities (`C:`) as blocks of text, each row's a slice of one (checksum()): the
     * scan gives them so, a line each, and a resolve from one index reads few of them. Made one
     * string each, v3.22 main's 5,600 took 0.4 MB of a cold resolve's young allocations; kept as
     * text, it took 0.987x [0.956, 1.003] the time on Node 20 and 0.949x [0.944, 0.956] on Node 24
     * (31 rounds, the code cache off); main + community, which compares them, 1.007x / 1.035x
     * [0.997, 1.046] (15 rounds), its peak the same.
     */
    idTexts = [];
    /** Per row: which block its identity is in, and where it starts and ends there. */
    idBlock = new Int32Array(0);
    idStart = new Int32Array(0);
    idEnd = new Int32Array(0);
    /**
     * Each row's name, version and arch, ROW_KEYS numbers per row: keys into `strings` (see below;
     * -1: no arch). A row's strings are the index's own, one per distinct value, not one per row.
     */
    rowKeys = new Int32Array(0);
    rowsUsed = 0;
    // The numbers are in typed arrays, 4 or 8 bytes each and no more: main + community's indexes
    // have 23,000 rows and over 100,000 list entries. Each has spare room past its rows until seal.
    installedSizes = new Float64Array(0);
    priorities = new Float64Array(0);
    repositories = new Int32Array(0);
    /** Where each row's depends, provides and install_if start in `lists`: 3 per row, then the end. */
    listStarts = new Int32Array(16);
    /** Token numbers (see token()) of every row's lists, one after the other. */
    lists = new Int32Array(0);
    listsUsed = 0;
    /**
     * The distinct dependency tokens, TOKEN_WORDS numbers each: how it reads (as the index scan
     * left it: its PLAIN | op << 8 | conflict << 16; or TOKEN_MADE), its name's key into
     * `strings`, its version's (-1: none).
     * A plain token becomes a Dependency only when asked for (token()): of an index's tens of
     * thousands, a resolve reads a few hundred. Names are keys into `strings`, where one string
     * stands for every use of one name (an index's, as its scan met them: equal bytes, one key), so
     * the solver's graph numbers names by key rather than looking each string up.
     */
    tokenWords = new Int32Array(0);
    tokenWordsUsed = 0;
    /** The tokens made so far, and those made when read (TOKEN_MADE), by number. */
    tokens = new Map();
    /** Each identity (`C:`) is on one row at most, as in an index. */
    unique = false;
    objects = [];
    made = 0;
    byChecksum;
    /**
     * @param materialize makes row `row`'s whole package (called once per row)
     * @param strings the names and versions the tokens' and rows' keys stand for
     */
    constructor(materialize, strings) {
        this.materialize = materialize;
        this.strings = strings;
    }
    /** How many tokens there are (some numbers may be malformed tokens no list points to). */
    get tokenCount() {
        return this.tokenWordsUsed / TOKEN_WORDS;
    }
    /** Appends `count` tokens' words from `words` at `at`. */
    addTokenWords(words, at, count) {
        const used = this.tokenWordsUsed;
        const length = count * TOKEN_WORDS;
        while (used + length > this.tokenWords.length) {
            this.tokenWords = grown(this.tokenWords, used, (n) => new Int32Array(n));
        }
        this.tokenWords.set(words.subarray(at, at + length), used);
        this.tokenWordsUsed = used + length;
    }
    /** Sets token `i` to `dep`, made already, whose name is `nameKey`. */
    setToken(i, dep, nameKey) {
        this.tokenWords[i * TOKEN_WORDS] = TOKEN_MADE;
        this.tokenWords[i * TOKEN_WORDS + 1] = nameKey;
        this.tokenWords[i * TOKEN_WORDS + 2] = -1;
        this.tokens.set(i, dep);
    }
    /** How many tokens have been made Dependency objects so far. */
    get madeTokenCount() {
        return this.tokens.size;
    }
    /** Token `i`, made on first use and the same (frozen) object after. */
    token(i) {
        let dep = this.tokens.get(i);
        if (dep !== undefined)
            return dep;
        const at = i * TOKEN_WORDS;
        const word = this.tokenWords[at];
        const name = this.strings[this.tokenWords[at + 1]];
        const version = this.tokenWords[at + 2];
        const op = (word >>> 8) & 0xff;
        const conflict = word >>> 16 === 1;
        // The two shapes parseDependency makes. Shared by every package that lists the token, so
        // frozen: nobody may change it.
        dep = Object.freeze(version < 0 ? { name, op, conflict } : { name, op, conflict, version: this.strings[version] });
        this.tokens.set(i, dep);
        return dep;
    }
    get count() {
        return this.rowsUsed;
    }
    /** Row `row`'s name. */
    name(row) {
        return this.strings[this.rowKeys[row * ROW_KEYS]];
    }
    /** Row `row`'s version. */
    version(row) {
        return this.strings[this.rowKeys[row * ROW_KEYS + 1]];
    }
    /** Row `row`'s arch, or undefined (no A: line). */
    arch(row) {
        const key = this.rowKeys[row * ROW_KEYS + 2];
        return key < 0 ? undefined : this.strings[key];
    }
    /** How many list entries the table holds so far. */
    listCount() {
        return this.listsUsed;
    }
    /**
     * Adds `columns.rows` rows, of one repository or each of its own: their keys, identities
     * (`checksums`, else the columns' `identities` text), numbers and lists, whose ends count from
     * listCount().
     */
    addColumns(columns, repository, checksums) {
        const rows = columns.rows;
        const at = this.rowsUsed;
        this.addIdentities(at, rows, checksums ?? columns.identities);
        while ((at + rows) * ROW_KEYS > this.rowKeys.length) {
            this.rowKeys = grown(this.rowKeys, at * ROW_KEYS, (n) => new Int32Array(n));
        }
        this.rowKeys.set(columns.keys, at * ROW_KEYS);
        this.rowsUsed = at + rows;
        while (at + rows > this.repositories.length) {
            const f64 = (n) => new Float64Array(n);
            this.installedSizes = grown(this.installedSizes, at, f64);
            this.priorities = grown(this.priorities, at, f64);
            this.repositories = grown(this.repositories, at, (n) => new Int32Array(n));
        }
        this.installedSizes.set(columns.installedSizes, at);
        this.priorities.set(columns.priorities, at);
        if (typeof repository === 'number')
            this.repositories.fill(repository, at, at + rows);
        else
            this.repositories.set(repository, at);
        while ((at + rows) * 3 + 1 > this.listStarts.length) {
            this.listStarts = grown(this.listStarts, at * 3 + 1, (n) => new Int32Array(n));
        }
        this.listStarts.set(columns.listEnds, at * 3 + 1);
        const used = this.listsUsed;
        while (used + columns.lists.length > this.lists.length) {
            this.lists = grown(this.lists, used, (n) => new Int32Array(n));
        }
        this.lists.set(columns.lists, used);
        this.listsUsed = used + columns.lists.length;
    }
    /**
     * Rows `at` to `at + rows`'s identities: `ids` one each, or a text of them, each followed by a
     * line feed (the columns' own, kept as it is).
     */
    addIdentities(at, rows, ids) {
        while (at + rows > this.idBlock.length) {
            const i32 = (n) => new Int32Array(n);
            this.idBlock = grown(this.idBlock, at, i32);
            this.idStart = grown(this.idStart, at, i32);
            this.idEnd = grown(this.idEnd, at, i32);
        }
        const block = this.idTexts.length;
        let text = '';
        if (typeof ids === 'string') {
            text = ids;
            let start = 0;
            for (let row = at; row < at + rows; row++) {
                let end = text.indexOf('\n', start);
                if (end < 0)
                    end = text.length;
                this.idStart[row] = start;
                this.idEnd[row] = end;
                start = end + 1;
            }
        }
        else {
            for (let i = 0; i < rows; i++) {
                this.idStart[at + i] = text.length;
                text += ids[i];
                this.idEnd[at + i] = text.length;
            }
        }
        this.idBlock.fill(block, at, at + rows);
        this.idTexts.push(text);
    }
    /** Row `row`'s identity (`C:`), or '' when it has none. */
    checksum(row) {
        return this.idTexts[this.idBlock[row]].slice(this.idStart[row], this.idEnd[row]);
    }
    /** Gives back the spare room of the number columns, once every row is added. */
    seal() {
        const rows = this.count;
        this.installedSizes = this.installedSizes.slice(0, rows);
        this.priorities = this.priorities.slice(0, rows);
        this.repositories = this.repositories.slice(0, rows);
        this.listStarts = this.listStarts.slice(0, rows * 3 + 1);
        this.lists = this.lists.slice(0, this.listsUsed);
        this.rowKeys = this.rowKeys.slice(0, rows * ROW_KEYS);
        this.tokenWords = this.tokenWords.slice(0, this.tokenWordsUsed);
        this.idBlock = this.idBlock.slice(0, rows);
        this.idStart = this.idStart.slice(0, rows);
        this.idEnd = this.idEnd.slice(0, rows);
    }
    /** The tokens of one of a row's lists (DEPENDS, PROVIDES or INSTALL_IF), as a new array. */
    dependencies(row, which) {
        const start = this.listStarts[row * 3 + which];
        const end = this.listStarts[row * 3 + which + 1];
        if (start === end)
            return NO_DEPENDENCIES;
        // Filled by index: pushing would leave spare room.
        const out = new Array(end - start);
        for (let i = start; i < end; i++)
            out[i - start] = this.token(this.lists[i]);
        return out;
    }
    /** Row `row` as a whole package, made on first use and the same object after. */
    package(row) {
        // Filled up front: writing a few rows far apart into an empty array would make it sparse.
        if (this.objects.length < this.count) {
            for (let i = this.objects.length; i < this.count; i++)
                this.objects.push(undefined);
        }
        let pkg = this.objects[row];
        if (pkg === undefined) {
            pkg = this.materialize(this, row);
            this.objects[row] = pkg;
            this.made++;
        }
        return pkg;
    }
    /** How many rows have been made whole packages so far. */
    get madeCount() {
        return this.made;
    }
    /** Every row as a package, in order (makes them all: for tests and small tables). */
    all() {
        const out = [];
        for (let row = 0; row < this.count; row++)
            out.push(this.package(row));
        return out;
    }
    /** The row with this identity (`C:`), or -1. */
    rowOfChecksum(checksum) {
        if (this.byChecksum === undefined) {
            const rows = new Map();
            for (let row = 0; row < this.count; row++) {
                const c = this.checksum(row);
                if (!rows.has(c))
                    rows.set(c, row);
            }
            this.byChecksum = rows;
        }
        return this.byChecksum.get(checksum) ?? -1;
    }
    /** The first row named `name`, or -1. */
    rowOfName(name) {
        for (let row = 0; row < this.rowsUsed; row++)
            if (this.name(row) === name)
                return row;
        return -1;
    }
    /** Moves a row to another repository (the first that carries its identity). */
    setRepository(row, repository) {
        this.repositories[row] = repository;
        const pkg = this.objects[row];
        if (pkg !== undefined)
            pkg.repository = repository;
    }
}
/**
 * A table over packages already made (a lock's candidates, a test's list): rows point at the
 * same objects, and their Dependency objects become the tokens.
 */
function tableOfPackages(packages) {
    const positions = new Map();
    const lists = [];
    const strings = [];
    const keys = new Map();
    const keyOf = (name) => {
        let key = keys.get(name);
        if (key === undefined) {
            key = strings.length;
            strings.push(name);
            keys.set(name, key);
        }
        return key;
    };
    const table = new PackageTable((_, row) => packages[row], strings);
    const rows = packages.length;
    const columns = {
        rows,
        installedSizes: new Float64Array(rows),
        priorities: new Float64Array(rows),
        listEnds: new Int32Array(rows * 3),
        lists: new Int32Array(0)
    };
    const repositories = new Int32Array(rows);
    const made = [];
    const rowKeys = new Int32Array(rows * ROW_KEYS);
    packages.forEach((pkg, row) => {
        rowKeys[row * ROW_KEYS] = keyOf(pkg.name);
        rowKeys[row * ROW_KEYS + 1] = keyOf(pkg.version);
        rowKeys[row * ROW_KEYS + 2] = pkg.arch === undefined ? -1 : keyOf(pkg.arch);
        columns.installedSizes[row] = pkg.installedSize;
        columns.priorities[row] = pkg.providerPriority;
        repositories[row] = pkg.repository;
        [pkg.depends, pkg.provides, pkg.installIf].forEach((deps, which) => {
            for (const dep of deps) {
                let at = positions.get(dep);
                if (at === undefined) {
                    at = made.length;
                    made.push(dep);
                    positions.set(dep, at);
                }
                lists.push(at);
            }
            columns.listEnds[row * 3 + which] = lists.length;
        });
    });
    table.addTokenWords(new Int32Array(made.length * TOKEN_WORDS), 0, made.length);
    made.forEach((dep, i) => table.setToken(i, dep, keyOf(dep.name)));
    columns.lists = Int32Array.from(lists);
    table.addColumns({ ...columns, keys: rowKeys }, repositories, packages.map((pkg) => pkg.checksum));
    table.seal();
    return table;
}


/***/ }),

/***/ 503:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   I: () => (/* binding */ parsePkginfo),
/* harmony export */   f: () => (/* binding */ leadingUint)
/* harmony export */ });
/* harmony import */ var _dependency_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(908);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(239);
/* harmony import */ var _types_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(443);
/**
 * `.PKGINFO`, the control file of a package: `key = value` lines, split at the first ` = `.
 * Comments (`#`), lines without ` = ` and unknown keys are ignored, as apk does. Dependency
 * keys (`depend`, `provides`, `install_if`, `replaces`) accumulate over lines; each `triggers`
 * line replaces the list.
 */



/** apk reads numbers as leading decimal digits; anything else counts as 0. */
function leadingUint(text) {
    let value = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i) - 0x30;
        if (c < 0 || c > 9)
            break;
        value = value * 10 + c;
    }
    return value;
}
function applyLine(info, key, value) {
    switch (key) {
        case 'pkgname':
            info.name = value;
            break;
        case 'pkgver':
            info.version = value;
            break;
        case 'pkgdesc':
            info.description = value;
            break;
        case 'url':
            info.url = value;
            break;
        case 'builddate':
            info.buildTime = leadingUint(value);
            break;
        case 'size':
            info.installedSize = leadingUint(value);
            break;
        case 'arch':
            info.arch = value;
            break;
        case 'origin':
            info.origin = value;
            break;
        case 'commit':
            info.commit = value;
            break;
        case 'maintainer':
            info.maintainer = value;
            break;
        case 'license':
            info.license = value;
            break;
        case 'depend':
            info.depends.push(...(0,_dependency_js__WEBPACK_IMPORTED_MODULE_0__/* .parseDependencies */ .fb)(value));
            break;
        case 'provides':
            info.provides.push(...(0,_dependency_js__WEBPACK_IMPORTED_MODULE_0__/* .parseDependencies */ .fb)(value));
            break;
        case 'install_if':
            info.installIf.push(...(0,_dependency_js__WEBPACK_IMPORTED_MODULE_0__/* .parseDependencies */ .fb)(value));
            break;
        case 'replaces':
            info.replaces.push(...(0,_dependency_js__WEBPACK_IMPORTED_MODULE_0__/* .parseDependencies */ .fb)(value));
            break;
        case 'provider_priority':
            info.providerPriority = leadingUint(value);
            break;
        case 'replaces_priority':
            info.replacesPriority = leadingUint(value);
            break;
        case 'triggers':
            info.triggers = value.split(' ').filter((glob) => glob !== '');
            break;
        case 'datahash':
            info.datahash = value.toLowerCase();
            break;
        // packager and unknown keys: ignored, as apk does.
    }
}
/**
 * Parses `.PKGINFO` text. `checksum` is '' and `size` 0: they describe the .apk file, which the
 * caller knows. Throws FormatError when pkgname or pkgver is missing.
 */
function parsePkginfo(text) {
    const info = (0,_types_js__WEBPACK_IMPORTED_MODULE_2__/* .emptyPackageInfo */ .Us)();
    for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#'))
            continue;
        const split = line.indexOf(' = ');
        if (split < 0)
            continue;
        applyLine(info, line.slice(0, split), line.slice(split + 3));
    }
    if (!info.name)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .FormatError */ .IF('.PKGINFO has no pkgname line');
    if (!info.version)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .FormatError */ .IF(`.PKGINFO of ${info.name} has no pkgver line`);
    return info;
}


/***/ }),

/***/ 655:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   WZ: () => (/* binding */ verifyRsaDigest),
/* harmony export */   dA: () => (/* binding */ parseSignatureName),
/* harmony export */   m8: () => (/* binding */ verifyRsaSignature)
/* harmony export */ });
/* harmony import */ var _lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(200);
/* harmony import */ var _sha_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(627);


/** DER DigestInfo prefixes (RFC 8017 \u{a7}9.2 note 1). */
const DIGEST_INFO = {
    sha1: Buffer.from('3021300906052b0e03021a05000414', 'hex'),
    sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
    sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex')
};
/** `.SIGN.` TYPE prefixes in the order apk matches them. DSA is obsolete and unsupported. */
const SIGN_TYPES = [
    ['RSA512', 'sha512'],
    ['RSA256', 'sha256'],
    ['RSA', 'sha1'],
    ['DSA', undefined]
];
/** Parses `.SIGN.RSA.<key>`, `.SIGN.RSA256.<key>`, `.SIGN.RSA512.<key>`; undefined otherwise. */
function parseSignatureName(name) {
    if (!name.startsWith('.SIGN.'))
        return undefined;
    const rest = name.slice('.SIGN.'.length);
    for (const [type, alg] of SIGN_TYPES) {
        if (!rest.startsWith(`${type}.`))
            continue;
        const keyName = rest.slice(type.length + 1);
        return alg && keyName ? { alg, keyName } : undefined;
    }
    return undefined;
}
function parts(data) {
    return Array.isArray(data) ? data : [data];
}
/** OpenSSL's object for each key, made on its first package check (null: OpenSSL refused it). */
const opensslKeys = new WeakMap();
function opensslKey(key) {
    let made = opensslKeys.get(key);
    if (made === undefined) {
        try {
            made = (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__/* .crypto */ .Et)().createPublicKey({ key: key.der, format: 'der', type: 'spki' });
        }
        catch {
            made = null;
        }
        opensslKeys.set(key, made);
    }
    return made ?? undefined;
}
function opensslVerify(alg, data, key, sig) {
    const made = opensslKey(key);
    if (made === undefined)
        return false;
    try {
        const verifier = (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__/* .crypto */ .Et)().createVerify(alg);
        for (const part of parts(data))
            verifier.update(part);
        return verifier.verify({ key: made, padding: (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__/* .crypto */ .Et)().constants.RSA_PKCS1_PADDING }, sig);
    }
    catch {
        return false;
    }
}
/**
 * Verifies an RSA PKCS#1 v1.5 signature over the concatenation of `data`: OpenSSL first, then,
 * when it says no, the maths (a bad signature, or a policy that forbids SHA-1).
 */
function verifyRsaSignature(alg, data, key, sig) {
    if (opensslVerify(alg, data, key, sig))
        return true;
    return verifyRsaDigest(alg, (0,_sha_js__WEBPACK_IMPORTED_MODULE_1__/* .shaDigest */ .h)(alg, data), key, sig);
}
function bigIntOf(bytes) {
    return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}
function modPow(base, exponent, modulus) {
    let result = 1n;
    let b = base % modulus;
    let e = exponent;
    while (e > 0n) {
        if (e & 1n)
            result = (result * b) % modulus;
        b = (b * b) % modulus;
        e >>= 1n;
    }
    return result;
}
function bytesOf(value, length) {
    const hex = value.toString(16);
    if (hex.length > length * 2)
        return undefined;
    return Buffer.from(hex.padStart(length * 2, '0'), 'hex');
}
/** EMSA-PKCS1-v1_5 encoding of a digest for a modulus of `length` bytes. */
function encodedMessage(alg, digest, length) {
    const t = Buffer.concat([DIGEST_INFO[alg], digest]);
    const padding = length - t.length - 3;
    if (padding < 8)
        return undefined;
    return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(padding, 0xff), Buffer.from([0]), t]);
}
/**
 * The manual check, on a precomputed digest: RSAVP1 with BigInt, then a byte-for-byte compare
 * with the one valid encoding.
 */
function verifyRsaDigest(alg, digest, key, sig) {
    if (digest.length !== _sha_js__WEBPACK_IMPORTED_MODULE_1__/* .SHA_LENGTH */ .U[alg])
        return false;
    if (sig.length !== key.size)
        return false;
    const s = bigIntOf(sig);
    if (s >= key.n)
        return false;
    const em = bytesOf(modPow(s, key.e, key.n), key.size);
    const expected = encodedMessage(alg, digest, key.size);
    return em !== undefined && expected !== undefined && em.equals(expected);
}


/***/ }),

/***/ 970:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Bw: () => (/* binding */ storedLinkname),
/* harmony export */   TW: () => (/* binding */ TarStreamReader),
/* harmony export */   tZ: () => (/* binding */ scanTar)
/* harmony export */ });
/* unused harmony export readTarEntries */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(239);
/**
 * The tar reader of apk-tools (io_archive.c), rule for rule: ustar magic required, octal fields
 * with NUL/space padding, prefix + name, PAX `path`/`linkpath`/`SCHILY.xattr.*`/
 * `APK-TOOLS.checksum.SHA1`, GNU `L` long names, and apk's end-of-archive rule: the second
 * header block whose first byte is NUL ends the archive, adjacent or not. APK members are cut
 * tars, so a stream that simply stops on a block boundary is fine.
 */

const BLOCK = 512;
// apk refuses names and link targets of PATH_MAX - 10 bytes or more.
const MAX_PATH = 4096 - 10;
const TYPES = {
    '0': 'file',
    '7': 'file',
    '1': 'hardlink',
    '2': 'symlink',
    '3': 'chardev',
    '4': 'blockdev',
    '5': 'directory',
    '6': 'fifo'
};
/** What the ustar linkname field held when PAX `linkpath` replaced it (abuild hashes the field). */
const linkFields = new WeakMap();
/** The symlink target as the 100-byte ustar field stored it, which is what abuild-tar hashes. */
function storedLinkname(entry) {
    return linkFields.get(entry) ?? entry.linkname;
}
function cString(buf, start, length) {
    let end = start;
    const limit = start + length;
    while (end < limit && buf[end] !== 0)
        end++;
    return buf.toString('utf8', start, end);
}
/**
 * An octal field as apk 2.14 reads it: digits from the first byte, then only NUL or space to the
 * end of the field. A leading space or a base-256 value (high bit set) is a format error.
 */
function octal(buf, start, length, field, at) {
    const limit = start + length;
    if (buf[start] & 0x80) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar header at byte ${at}: base-256 ${field} is not supported`);
    }
    let i = start;
    let value = 0;
    while (i < limit && buf[i] >= 0x30 && buf[i] <= 0x37)
        value = value * 8 + (buf[i++] - 0x30);
    for (; i < limit; i++) {
        if (buf[i] !== 0 && buf[i] !== 0x20) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar header at byte ${at}: ${field} is not an octal number`);
        }
    }
    return value;
}
function numbersOf(header, at) {
    return {
        size: octal(header, 124, 12, 'size', at),
        mode: octal(header, 100, 8, 'mode', at) & 0o7777,
        uid: octal(header, 108, 8, 'uid', at),
        gid: octal(header, 116, 8, 'gid', at),
        mtime: octal(header, 136, 12, 'mtime', at),
        devmajor: octal(header, 329, 8, 'devmajor', at),
        devminor: octal(header, 337, 8, 'devminor', at)
    };
}
function hasUstarMagic(header) {
    return (header[257] === 0x75 &&
        header[258] === 0x73 &&
        header[259] === 0x74 &&
        header[260] === 0x61 &&
        header[261] === 0x72);
}
/** PAX records `LEN KEY=VALUE\n`; like apk, a malformed record ends the list silently. */
function parsePax(data, pending) {
    let pos = 0;
    while (pos < data.length) {
        const space = data.indexOf(0x20, pos);
        if (space < 0)
            return;
        const len = Number(data.toString('latin1', pos, space));
        if (!Number.isInteger(len) || len <= 0 || pos + len > data.length)
            return;
        const end = pos + len - 1;
        if (data[end] !== 0x0a)
            return;
        const eq = data.indexOf(0x3d, space + 1);
        if (eq < 0 || eq > end)
            return;
        applyPaxRecord(data.toString('utf8', space + 1, eq), data.subarray(eq + 1, end), pending);
        pos += len;
    }
}
function applyPaxRecord(key, value, pending) {
    if (key === 'path')
        pending.path = value.toString('utf8');
    else if (key === 'linkpath')
        pending.linkpath = value.toString('utf8');
    else if (key.startsWith('SCHILY.xattr.')) {
        pending.xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value));
    }
    else if (key === 'APK-TOOLS.checksum.SHA1') {
        const hex = value.toString('latin1');
        // A digest that is not 40 hex digits counts as none, as in apk.
        pending.sha1 = /^[0-9a-fA-F]{40}$/.test(hex) ? hex.toLowerCase() : undefined;
    }
    // APK-TOOLS.checksum.MD5 (2.14 legacy) and every other key are ignored.
}
function freshPending() {
    return { xattrs: new Map() };
}
function stripTrailingSlashes(name) {
    let end = name.length;
    while (end > 1 && name.charCodeAt(end - 1) === 0x2f)
        end--;
    return end === name.length ? name : name.slice(0, end);
}
function entryName(header, pending) {
    if (pending.path !== undefined)
        return pending.path;
    const name = cString(header, 0, 100);
    if (header[345] !== 0)
        return `${cString(header, 345, 155)}/${name}`;
    return pending.longName ?? name;
}
function buildEntry(header, at, type, numbers, data, pending) {
    const name = stripTrailingSlashes(entryName(header, pending));
    const isLink = type === 'symlink' || type === 'hardlink';
    const field = isLink ? cString(header, 157, 100) : '';
    const linkname = isLink ? (pending.linkpath ?? field) : '';
    if (Buffer.byteLength(name) >= MAX_PATH || Buffer.byteLength(linkname) >= MAX_PATH) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar entry at byte ${at}: name or link target too long`);
    }
    const entry = {
        name,
        type,
        mode: numbers.mode,
        uid: numbers.uid,
        gid: numbers.gid,
        uname: cString(header, 265, 32),
        gname: cString(header, 297, 32),
        size: numbers.size,
        mtime: numbers.mtime,
        linkname,
        xattrs: pending.xattrs,
        devmajor: numbers.devmajor,
        devminor: numbers.devminor,
        data: type === 'file' ? data : Buffer.alloc(0)
    };
    if (pending.sha1 !== undefined)
        entry.sha1 = pending.sha1;
    if (pending.linkpath !== undefined && isLink)
        linkFields.set(entry, field);
    return entry;
}
/**
 * The tar stream as a list of buffers (one per gzip member), read front to back. A range inside
 * one buffer is returned without copying; one that crosses buffers is copied together.
 */
class Stream {
    chunks;
    length;
    chunk = 0;
    chunkStart = 0;
    constructor(chunks) {
        this.chunks = chunks;
        this.length = chunks.reduce((sum, c) => sum + c.length, 0);
    }
    /** Bytes [pos, pos + length); pos never goes backwards between calls. */
    read(pos, length) {
        while (this.chunk < this.chunks.length - 1 &&
            pos >= this.chunkStart + this.chunks[this.chunk].length) {
            this.chunkStart += this.chunks[this.chunk].length;
            this.chunk++;
        }
        const current = this.chunks[this.chunk];
        const offset = pos - this.chunkStart;
        if (offset + length <= current.length)
            return current.subarray(offset, offset + length);
        const parts = [current.subarray(offset)];
        let have = current.length - offset;
        for (let i = this.chunk + 1; have < length && i < this.chunks.length; i++) {
            const piece = this.chunks[i].subarray(0, length - have);
            parts.push(piece);
            have += piece.length;
        }
        return Buffer.concat(parts, length);
    }
}
/** After the end-of-archive blocks only zero-name blocks may follow, and no partial block. */
function checkAfterEnd(stream, pos) {
    for (; pos + BLOCK <= stream.length; pos += BLOCK) {
        if (stream.read(pos, 1)[0] !== 0) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar data at byte ${pos} after end of archive`);
        }
    }
    if (pos < stream.length)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`partial tar block at byte ${pos}`);
}
/**
 * Reads a tar stream given whole or in pieces (the data of consecutive gzip members), and
 * returns each entry with the stream offset of its own header block.
 */
function scanTar(input, options = {}) {
    const stream = new Stream(Array.isArray(input) ? input : [input]);
    const entries = [];
    const offsets = [];
    const globalHeaders = [];
    let pending = freshPending();
    let zeroBlocks = 0;
    let pos = 0;
    while (pos + BLOCK <= stream.length) {
        const header = stream.read(pos, BLOCK);
        if (header[0] === 0) {
            pos += BLOCK;
            if (++zeroBlocks === 2) {
                checkAfterEnd(stream, pos);
                return { entries, offsets, ended: true, globalHeaders };
            }
            continue;
        }
        if (!hasUstarMagic(header)) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar header at byte ${pos}: no ustar magic, not a tar archive`);
        }
        const numbers = numbersOf(header, pos);
        const size = numbers.size;
        const dataStart = pos + BLOCK;
        if (dataStart + size > stream.length) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar entry at byte ${pos}: truncated (${size} bytes of data expected)`);
        }
        const typeflag = String.fromCharCode(header[156]);
        const type = TYPES[typeflag];
        if (type) {
            const data = type === 'file' ? stream.read(dataStart, size) : Buffer.alloc(0);
            entries.push(buildEntry(header, pos, type, numbers, data, pending));
            offsets.push(pos);
            pending = freshPending();
        }
        else if (typeflag === 'x') {
            pending.path = pending.linkpath = pending.sha1 = undefined;
            pending.xattrs = new Map();
            parsePax(stream.read(dataStart, size), pending);
        }
        else if (typeflag === 'L') {
            const longName = stream.read(dataStart, size);
            pending.longName = cString(longName, 0, size);
        }
        else if (typeflag === 'g') {
            globalHeaders.push(pos);
        }
        // 'g', 'K' and unknown types are skipped; their PAX/long name state carries over, as in apk.
        pos = Math.min(stream.length, dataStart + Math.ceil(size / BLOCK) * BLOCK);
    }
    if (pos < stream.length)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`partial tar block at byte ${pos}`);
    if (options.requireEnd)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF('tar archive ends without end-of-archive blocks');
    return { entries, offsets, ended: false, globalHeaders };
}
/** apk's reading of a tar stream; a tar cut without end-of-archive blocks is accepted. */
function readTarEntries(buf, options = {}) {
    return scanTar(buf, options).entries;
}
/** PAX and long-name records are small; a larger one is not a package's. */
const MAX_META = 1024 * 1024;
/**
 * The same reading as scanTar, fed chunk by chunk: a file's contents go to a sink as they
 * arrive instead of into memory, so a tar of any size is read in bounded memory. Headers, PAX
 * and long names, apk's end-of-archive rule, and the errors are scanTar's.
 */
class TarStreamReader {
    handlers;
    state = 'header';
    held = [];
    heldBytes = 0;
    /** Bytes still wanted by the current state. */
    left = BLOCK;
    /** Stream offset of the next byte pushed. */
    pos = 0;
    zeroBlocks = 0;
    pending = freshPending();
    meta;
    body;
    /** The entry whose data is being skipped, and the padding after that data. */
    skipped;
    globalHeaders = [];
    constructor(handlers) {
        this.handlers = handlers;
    }
    push(chunk) {
        let at = 0;
        while (at < chunk.length) {
            const take = Math.min(this.left, chunk.length - at);
            const piece = chunk.subarray(at, at + take);
            at += take;
            this.pos += take;
            this.left -= take;
            if (this.state === 'body') {
                this.body?.sink.write(piece);
                if (this.left === 0)
                    this.closeBody();
            }
            else if (this.state === 'skip') {
                if (this.left === 0)
                    this.expectHeader();
            }
            else {
                this.held.push(piece);
                this.heldBytes += take;
                if (this.left === 0)
                    this.complete();
            }
        }
    }
    /** The stream ended: fails on a cut entry or a partial block. */
    end() {
        // The data of an entry skipped (a directory's, a global header's) counts as scanTar counts
        // it; only the padding after it may be cut.
        if (this.state === 'skip' && this.skipped !== undefined && this.left > this.skipped.padding) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar entry at byte ${this.skipped.at}: truncated (its data is cut short)`);
        }
        // An extended header whose padding alone is cut: read, as scanTar reads it (it names an
        // entry that never comes); the two readers once disagreed on such a stream.
        if (this.state === 'meta' && this.meta !== undefined && this.heldBytes >= this.meta.size) {
            this.completeMeta(this.take());
        }
        if (this.state === 'body' || this.state === 'meta') {
            const at = this.body?.at ?? this.pos - this.heldBytes - BLOCK;
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar entry at byte ${at}: truncated (its data is cut short)`);
        }
        if (this.heldBytes > 0) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`partial tar block at byte ${this.pos - this.heldBytes}`);
        }
        return { ended: this.state === 'ended' };
    }
    take() {
        const whole = this.held.length === 1 ? this.held[0] : Buffer.concat(this.held);
        this.held = [];
        this.heldBytes = 0;
        return whole;
    }
    expectHeader() {
        this.skipped = undefined;
        this.state = this.zeroBlocks >= 2 ? 'ended' : 'header';
        this.left = BLOCK;
    }
    /** Skips `size` bytes of data plus the padding to the next block; `at`: the entry's header. */
    skip(size, at) {
        const span = Math.ceil(size / BLOCK) * BLOCK;
        if (span === 0)
            return this.expectHeader();
        this.state = 'skip';
        this.left = span;
        this.skipped = { at, padding: span - size };
    }
    complete() {
        const block = this.take();
        const at = this.pos - block.length;
        if (this.state === 'ended') {
            if (block[0] !== 0)
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar data at byte ${at} after end of archive`);
            this.left = BLOCK;
            return;
        }
        if (this.state === 'meta')
            return this.completeMeta(block);
        this.header(block, at);
    }
    header(header, at) {
        if (header[0] === 0) {
            this.zeroBlocks++;
            return this.expectHeader();
        }
        if (!hasUstarMagic(header)) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar header at byte ${at}: no ustar magic, not a tar archive`);
        }
        const numbers = numbersOf(header, at);
        const typeflag = String.fromCharCode(header[156]);
        const type = TYPES[typeflag];
        if (type) {
            const entry = buildEntry(header, at, type, numbers, Buffer.alloc(0), this.pending);
            this.pending = freshPending();
            if (type !== 'file') {
                this.handlers.entry(entry, at);
                return this.skip(numbers.size, at);
            }
            this.body = { entry, sink: this.handlers.body(entry, at), at };
            this.state = 'body';
            this.left = numbers.size;
            if (numbers.size === 0)
                this.closeBody();
            return;
        }
        if (typeflag === 'x' || typeflag === 'L') {
            if (numbers.size > MAX_META) {
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .FormatError */ .IF(`tar header at byte ${at}: a ${numbers.size}-byte extended header`);
            }
            this.meta = { typeflag, size: numbers.size };
            this.state = 'meta';
            this.left = Math.ceil(numbers.size / BLOCK) * BLOCK;
            if (this.left === 0)
                this.completeMeta(Buffer.alloc(0));
            return;
        }
        if (typeflag === 'g')
            this.globalHeaders.push(at);
        this.skip(numbers.size, at);
    }
    completeMeta(block) {
        const meta = this.meta;
        const data = block.subarray(0, meta.size);
        if (meta.typeflag === 'x') {
            this.pending.path = this.pending.linkpath = this.pending.sha1 = undefined;
            this.pending.xattrs = new Map();
            parsePax(data, this.pending);
        }
        else {
            this.pending.longName = cString(data, 0, meta.size);
        }
        this.expectHeader();
    }
    closeBody() {
        const body = this.body;
        this.body = undefined;
        body.sink.close();
        this.handlers.entry(body.entry, body.at);
        const padding = (BLOCK - (body.entry.size % BLOCK)) % BLOCK;
        if (padding === 0)
            return this.expectHeader();
        this.skipped = undefined;
        this.state = 'skip';
        this.left = padding;
    }
}


/***/ }),

/***/ 769:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   OS: () => (/* binding */ compareVersionBits),
/* harmony export */   Zy: () => (/* binding */ compareVersions),
/* harmony export */   ri: () => (/* binding */ isValidVersion)
/* harmony export */ });
/* unused harmony export fuzzyMatch */
/**
 * APK version strings, ordered the way apk-tools 2.14 orders them.
 *
 * Grammar (Gentoo style): `digits{.digits}[letter]{_suffix[digits]}[-rN]`. A version is read as a
 * stream of typed tokens; two versions are compared token by token, by type and then by value.
 * The quirks of apk-tools 2.14 are kept on purpose, because the solver must pick exactly the
 * package apk would pick:
 * - after a `.`, a number with leading zeros is read as a negative "zero run" token (a `0` followed
 *   by k more zeros is worth \u{2212}k) and then the remaining digits, so `1.0 > 1.00` and `1.05 < 1.5`;
 * - when one version runs out first, it is the smaller one unless the other continues with a
 *   pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`), or with an unknown suffix;
 * - an invalid token ends the comparison with the same ad-hoc result apk gives;
 * - fuzzy matching (`~`) succeeds whenever every token compared so far was equal.
 */
/** Token types, in the order apk-tools numbers them: a later type may not precede an earlier one. */
var Tok;
(function (Tok) {
    Tok[Tok["Invalid"] = -1] = "Invalid";
    Tok[Tok["DigitOrZero"] = 0] = "DigitOrZero";
    Tok[Tok["Digit"] = 1] = "Digit";
    Tok[Tok["Letter"] = 2] = "Letter";
    Tok[Tok["Suffix"] = 3] = "Suffix";
    Tok[Tok["SuffixNo"] = 4] = "SuffixNo";
    Tok[Tok["RevisionNo"] = 5] = "RevisionNo";
    Tok[Tok["End"] = 6] = "End";
})(Tok || (Tok = {}));
const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];
/** Bits a comparison yields; they match VersionOp in types.ts so a result can be tested against a mask. */
const LESS = 1;
const EQUAL = 2;
const GREATER = 4;
function isDigit(c) {
    return c >= 0x30 && c <= 0x39;
}
function isLower(c) {
    return c >= 0x61 && c <= 0x7a;
}
/** Whether token type `next` may follow `prev` even though it numbers lower. */
function mayGoBack(next, prev) {
    return ((next === Tok.DigitOrZero && prev === Tok.Digit) ||
        (next === Tok.Suffix && prev === Tok.SuffixNo) ||
        (next === Tok.Digit && prev === Tok.Letter));
}
/** Reads one version string token by token, keeping apk's state machine. */
class VersionReader {
    text;
    type = Tok.Digit;
    pos = 0;
    constructor(text) {
        this.text = text;
    }
    /** Decides the type of the token that starts at the cursor (consuming its separator). */
    advanceType() {
        const s = this.text;
        const c = s.charCodeAt(this.pos);
        let next;
        if (this.pos >= s.length) {
            next = Tok.End;
        }
        else if ((this.type === Tok.Digit || this.type === Tok.DigitOrZero) && isLower(c)) {
            next = Tok.Letter;
        }
        else if (this.type === Tok.Letter && isDigit(c)) {
            next = Tok.Digit;
        }
        else if (this.type === Tok.Suffix && isDigit(c)) {
            next = Tok.SuffixNo;
        }
        else {
            next = this.separatorType();
            this.pos++;
        }
        if (next < this.type && !mayGoBack(next, this.type))
            next = Tok.Invalid;
        this.type = next;
    }
    separatorType() {
        const s = this.text;
        switch (s[this.pos]) {
            case '.':
                return Tok.DigitOrZero;
            case '_':
                return Tok.Suffix;
            case '-':
                if (s[this.pos + 1] === 'r') {
                    this.pos++;
                    return Tok.RevisionNo;
                }
                return Tok.Invalid;
            default:
                return Tok.Invalid;
        }
    }
    readNumber() {
        const s = this.text;
        const start = this.pos;
        while (this.pos < s.length && isDigit(s.charCodeAt(this.pos)))
            this.pos++;
        const digits = s.slice(start, this.pos);
        if (digits.length === 0)
            return 0;
        // apk-tools 2.14 compares these as 64-bit integers; past 15 digits a double would round.
        return digits.length <= 15 ? Number(digits) : longNumber(digits);
    }
    /** A run of zeros after `.`: every zero that another zero follows counts \u{2212}1, the rest is a number. */
    readZeroRun() {
        const s = this.text;
        let zeros = 0;
        while (this.pos + zeros + 1 < s.length && s[this.pos + zeros + 1] === '0')
            zeros++;
        this.pos += zeros;
        return -zeros;
    }
    readSuffix() {
        const rest = this.text.slice(this.pos);
        const pre = PRE_SUFFIXES.findIndex((p) => rest.startsWith(p));
        if (pre >= 0) {
            this.pos += PRE_SUFFIXES[pre].length;
            return pre - PRE_SUFFIXES.length;
        }
        const post = POST_SUFFIXES.findIndex((p) => rest.startsWith(p));
        if (post >= 0) {
            this.pos += POST_SUFFIXES[post].length;
            return post;
        }
        return undefined;
    }
    /** Reads the value of the current token and moves on to the next one. */
    next() {
        if (this.pos >= this.text.length) {
            this.type = Tok.End;
            return 0;
        }
        let value;
        let forced;
        switch (this.type) {
            case Tok.DigitOrZero:
                if (this.text[this.pos] === '0') {
                    value = this.readZeroRun();
                    forced = Tok.Digit;
                    break;
                }
                value = this.readNumber();
                break;
            case Tok.Digit:
            case Tok.SuffixNo:
            case Tok.RevisionNo:
                value = this.readNumber();
                break;
            case Tok.Letter:
                value = this.text.charCodeAt(this.pos++);
                break;
            case Tok.Suffix: {
                const suffix = this.readSuffix();
                if (suffix === undefined) {
                    this.type = Tok.Invalid;
                    return -1;
                }
                value = suffix;
                break;
            }
            default:
                this.type = Tok.Invalid;
                return -1;
        }
        if (this.pos >= this.text.length)
            this.type = Tok.End;
        else if (forced !== undefined)
            this.type = forced;
        else
            this.advanceType();
        return value;
    }
    /** A copy at the same position, to peek at the next token's value. */
    clone() {
        const copy = new VersionReader(this.text);
        copy.type = this.type;
        copy.pos = this.pos;
        return copy;
    }
}
/**
 * Compares two versions and returns apk's result bit: 1 (LESS), 2 (EQUAL) or 4 (GREATER).
 * With `fuzzy`, versions whose compared tokens are all equal count as EQUAL whichever runs out.
 */
function compareVersionBits(a, b, fuzzy = false) {
    const ra = new VersionReader(a);
    const rb = new VersionReader(b);
    let av = 0;
    let bv = 0;
    while (ra.type === rb.type && ra.type !== Tok.End && ra.type !== Tok.Invalid && av == bv) {
        av = ra.next();
        bv = rb.next();
    }
    if (av < bv)
        return LESS;
    if (av > bv)
        return GREATER;
    if (ra.type === rb.type || fuzzy)
        return EQUAL;
    return ranOutFirst(ra, rb);
}
/** The leading tokens are equal and one side goes on: it is greater unless it goes on with a pre-release. */
function ranOutFirst(ra, rb) {
    if (ra.type === Tok.Suffix && ra.clone().next() < 0)
        return LESS;
    if (rb.type === Tok.Suffix && rb.clone().next() < 0)
        return GREATER;
    if (ra.type > rb.type)
        return LESS;
    if (rb.type > ra.type)
        return GREATER;
    return EQUAL;
}
/** Orders two versions as apk-tools 2.14 does: -1 if a < b, 0 if equal, 1 if a > b. */
/**
 * Long digit runs as BigInts, made once each: a hostile index repeats one in every comparison,
 * and making a BigInt of 200,000 digits each time took a minute over 2,000 providers.
 */
const longNumbers = new Map();
const LONG_NUMBERS_KEPT = 4096;
function longNumber(digits) {
    let value = longNumbers.get(digits);
    if (value === undefined) {
        if (longNumbers.size >= LONG_NUMBERS_KEPT)
            longNumbers.clear();
        value = BigInt(digits);
        longNumbers.set(digits, value);
    }
    return value;
}
function compareVersions(a, b) {
    const r = compareVersionBits(a, b);
    return r === LESS ? -1 : r === GREATER ? 1 : 0;
}
/** Whether apk-tools 2.14 accepts `v` as a version (it reads to the end without an invalid token). */
function isValidVersion(v) {
    const r = new VersionReader(v);
    while (r.type !== Tok.End && r.type !== Tok.Invalid)
        r.next();
    return r.type === Tok.End;
}
/** The `~` test of apk-tools 2.14: true when every token both versions share is equal (`1.2 ~ 1.2.3`). */
function fuzzyMatch(a, b) {
    return compareVersionBits(a, b, true) === EQUAL;
}


/***/ }),

/***/ 702:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   F: () => (/* binding */ skippedWarning)
/* harmony export */ });
/** The warning for script commands (or, with `scripts: none`, whole scripts) not run. */
function skippedWarning(skipped) {
    if (skipped.every((s) => s.command === undefined)) {
        const byPackage = new Map();
        for (const s of skipped)
            byPackage.set(s.package, [...(byPackage.get(s.package) ?? []), s.script]);
        const list = [...byPackage].map(([pkg, types]) => `${pkg} (${types.join(', ')})`);
        return `install scripts were not run (scripts: none): ${list.join(', ')}`;
    }
    const list = skipped.map((s) => `${s.package}.${s.script}: ${s.command ?? '(whole script)'}`);
    return `install script commands not run (no shell; only account and busybox idioms are applied): ${list.join('; ')}`;
}


/***/ }),

/***/ 583:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  iS: () => (/* reexport */ package_table/* DEPENDS */.iS),
  wU: () => (/* reexport */ package_table/* INSTALL_IF */.wU),
  NX: () => (/* binding */ NO_PKG),
  fv: () => (/* binding */ N_CHANGESET_PROCESSED),
  fX: () => (/* binding */ N_HAS_AUTO_SELECTABLE),
  ft: () => (/* binding */ N_HAS_IIF),
  dX: () => (/* binding */ N_HAS_OPTIONS),
  fH: () => (/* binding */ N_HAS_VIRTUAL_PROVIDES),
  kU: () => (/* binding */ N_IIF_NEEDED),
  Mg: () => (/* binding */ N_IN_DIRTY),
  VK: () => (/* binding */ N_IN_UNRESOLVED),
  m8: () => (/* binding */ N_LOCKED),
  eN: () => (/* binding */ N_NO_IIF),
  D: () => (/* binding */ N_REEVALUATE_DEPS),
  ru: () => (/* binding */ N_REEVALUATE_IIF),
  ML: () => (/* binding */ N_REVERSE_DEPS_DONE),
  fz: () => (/* binding */ N_SEEN),
  ZF: () => (/* binding */ OWN),
  ZN: () => (/* reexport */ package_table/* PROVIDES */.ZN),
  W7: () => (/* binding */ P_DEPENDENCIES_MERGED),
  bk: () => (/* binding */ P_DEPENDENCIES_USED),
  sG: () => (/* binding */ P_ERROR),
  Ww: () => (/* binding */ P_IIF_FAILED),
  o4: () => (/* binding */ P_IIF_TRIGGERED),
  sb: () => (/* binding */ P_IN_CHANGESET),
  yS: () => (/* binding */ P_SELECTABLE),
  nS: () => (/* binding */ P_TAG_OK),
  EM: () => (/* binding */ P_TAG_PREFERRED),
  Yo: () => (/* binding */ graphFor),
  cQ: () => (/* binding */ graphOf),
  ci: () => (/* binding */ isProvided),
  Zk: () => (/* binding */ isProvidedByChosen),
  CW: () => (/* binding */ normalizeTag),
  XF: () => (/* binding */ packageTag),
  P6: () => (/* binding */ pinningMaskRepos)
});

// UNUSED EXPORTS: P_SEEN, SolverGraph, buildGraph

// EXTERNAL MODULE: ./src/apk/formats/dependency.ts
var dependency = __nccwpck_require__(908);
// EXTERNAL MODULE: ./src/apk/formats/package-table.ts
var package_table = __nccwpck_require__(92);
// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __nccwpck_require__(239);
// EXTERNAL MODULE: ./src/wasm.ts
var wasm = __nccwpck_require__(739);
;// CONCATENATED MODULE: ./src/apk/solver/graph-build-wasm.ts
// Generated by scripts/build-wasm.mjs from src/apk/solver/assembly/graph-build.ts: do not edit.
/** The solver graph's build, compiled to WebAssembly (AssemblyScript, -O3, stub runtime), base64. */
const GRAPH_BUILD_WASM = 'AGFzbQEAAAABLwhgAAF/YAJ/fwF/YAR/f39/AGABfwBgA39/fwBgAABgBX9/f39/AGAEf39/fwF/AyIhAQEEAgUAAwAAAAAC' +
    'AAAAAAAAAAAAAAAAAAAAAAYDAAcABQMBAAAGqAEhfwFBAAt/AUGAgAQLfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQAL' +
    'fwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38B' +
    'QQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAsH5gIdBGluaXQAHA1yZXNlcnZl' +
    'VGFibGVzAAsKc3RhcnRUYWJsZQAGCXJvd0tleXNBdAAHDGxpc3RTdGFydHNBdAAZB2xpc3RzQXQAGAx0b2tlbldvcmRzQXQA' +
    'BQZrZWVwQXQAGwhwcmVzZXRBdAATCWtleU5hbWVBdAAaCGFkZFRhYmxlAB8MbmFtZUNvdW50Tm93ABcGZmluaXNoAB0JcGtn' +
    'TmFtZUF0ABQOcGtnTGlzdFN0YXJ0QXQAFgpwa2dMaXN0c0F0ABUJZGVwTmFtZUF0AB4LcHJvdlN0YXJ0QXQADwlwcm92UGtn' +
    'QXQAEAlwcm92RGVwQXQAEgpwcm92TGVuZ3RoABELcmRlcFN0YXJ0QXQADQdyZGVwc0F0AAwKcmRlcExlbmd0aAAOC3JpaWZT' +
    'dGFydEF0AAkHcmlpZnNBdAAICnJpaWZMZW5ndGgACgtmYWlsdXJlS2luZAAgBm1lbW9yeQIACAEECqohIaABAgV/AX4jAEEP' +
    'akFwcSIErSAAQQJ0rXwiByMBrEIQhlYEQEEBJAMACyAHpyQAPwAiAiAHQv//A3xCEIinIgVIBEAgBSACIAJBAXVqIgYgBSAG' +
    'ShsiBSMBIgYgBSAGSBsgAmtAAEEASARAQQIkAwALIwJBAWokAgsgAQRAA0AgACADSgRAIAQgA0ECdGogATYCACADQQFqIQMM' +
    'AQsLCyAEC8QEAgF+BX8CQAJAIwBBD2pBcHEiA61CFHwiAiMBrEIQhlYNACACpyQAPwAiBCACQv//A3xCEIinIgVIBEAgBSAE' +
    'IARBAXVqIgYgBSAGShsiBSMBIgYgBSAGSBsgBGtAAEEASA0CIwJBAWokAgsjAEEPakFwcSIErUEBIAAgAEEBTBtBAnQiAK18' +
    'IgIjAaxCEIZWDQAgAqckAD8AIgUgAkL//wN8QhCIpyIGSARAIAYgBSAFQQF1aiIHIAYgB0obIgYjASIHIAYgB0gbIAVrQABB' +
    'AEgNAiMCQQFqJAILIAMgBDYCACMAQQ9qQXBxIgStIACtfCICIwGsQhCGVg0AIAKnJAA/ACIAIAJC//8DfEIQiKciBUgEQCAF' +
    'IAAgAEEBdWoiBiAFIAZKGyIFIwEiBiAFIAZIGyAAa0AAQQBIDQIjAkEBaiQCCyADIAQ2AgQjAEEPakFwcSIArUEBIAEgAUEB' +
    'TBtBAnQiAa18IgIjAaxCEIZWDQAgAqckAD8AIgQgAkL//wN8QhCIpyIFSARAIAUgBCAEQQF1aiIGIAUgBkobIgUjASIGIAUg' +
    'BkgbIARrQABBAEgNAiMCQQFqJAILIAMgADYCCCMAQQ9qQXBxIgCtIAGtfCICIwGsQhCGVg0AIAKnJAA/ACIBIAJC//8DfEIQ' +
    'iKciBEgEQCAEIAEgAUEBdWoiBSAEIAVKGyIEIwEiBSAEIAVIGyABa0AAQQBIDQIjAkEBaiQCCyADIAA2AgwgA0EANgIQIAMP' +
    'C0EBJAMAC0ECJAMAC6gDAgh/AX4gACgCACEHIAAoAgghCCAAKAIMIQkjAEEPakFwcSIFrSACQQFqQQJ0rXwiCyMBrEIQhlYE' +
    'QEEBJAMACyALpyQAPwAiAyALQv//A3xCEIinIgRIBEAgBCADIANBAXVqIgogBCAKShsiBCMBIgogBCAKSBsgA2tAAEEASARA' +
    'QQIkAwALIwJBAWokAgsjAEEPakFwcSIKrUEBIAAoAhAiACAAQQFMG0ECdK18IgsjAaxCEIZWBEBBASQDAAsgC6ckAD8AIgAg' +
    'C0L//wN8QhCIpyIDSARAIAMgACAAQQF1aiIEIAMgBEobIgMjASIEIAMgBEgbIABrQABBAEgEQEECJAMACyMCQQFqJAILQQAh' +
    'AANAIAEgBkoEQCAGQQJ0IgMgBWogADYCACADIAdqKAIAQQFrIQQDQCAEQQBOBEAgACIDQQFqIQAgCiADQQJ0aiAEQQJ0IgMg' +
    'CWooAgA2AgAgAyAIaigCACEEDAELCyAGQQFqIQYMAQsLA0AgASACTARAIAUgAUECdGogADYCACABQQFqIQEMAQsLIAUkBCAK' +
    'JAUgACQGC+cBAQZ/IAAoAgAhByAAKAIIIQQgACgCDCEFIAAoAgQiCCABQQJ0aigCAEEBayIGQQBOBH8gAiAFIAZBAnRqKAIA' +
    'RgVBAAsEQA8LIAMEQCAHIAFBAnRqKAIAQQFrIQMDQCADQQBOBEAgAiAFIANBAnRqKAIARgRADwsgBCADQQJ0aigCACEDDAEL' +
    'CwsgACAAKAIQIgNBAWoiCTYCECADQQJ0IgAgBGpBfzYCACAAIAVqIAI2AgAgBkEASARAIAcgAUECdGogCTYCAAUgBCAGQQJ0' +
    'aiADNgIACyAIIAFBAnRqIANBAWo2AgALBwBBgAgkAAsEACMTCw4AIxZBACAAQQJ0/AsACwQAIxALBAAjHwsEACMeCwQAIyAL' +
    'oQYCAX4FfwJAAkAjAEEPakFwcSIFrUEBIAAgAEEBTBsiBkEMbK18IgQjAaxCEIZWDQAgBKckAD8AIgcgBEL//wN8QhCIpyII' +
    'SARAIAggByAHQQF1aiIJIAggCUobIggjASIJIAggCUgbIAdrQABBAEgNAiMCQQFqJAILIAUkECMAQQ9qQXBxIgWtIABBA2xB' +
    'AWpBAnStfCIEIwGsQhCGVg0AIASnJAA/ACIAIARC//8DfEIQiKciB0gEQCAHIAAgAEEBdWoiCCAHIAhKGyIHIwEiCCAHIAhI' +
    'GyAAa0AAQQBIDQIjAkEBaiQCCyAFJBEjAEEPakFwcSIArUEBIAEgAUEBTBtBAnStfCIEIwGsQhCGVg0AIASnJAA/ACIBIARC' +
    '//8DfEIQiKciBUgEQCAFIAEgAUEBdWoiByAFIAdKGyIFIwEiByAFIAdIGyABa0AAQQBIDQIjAkEBaiQCCyAAJBIjAEEPakFw' +
    'cSIArUEBIAIgAkEBTBtBDGytfCIEIwGsQhCGVg0AIASnJAA/ACIBIARC//8DfEIQiKciAkgEQCACIAEgAUEBdWoiBSACIAVK' +
    'GyICIwEiBSACIAVIGyABa0AAQQBIDQIjAkEBaiQCCyAAJBMjAEEPakFwcSIArSAGrXwiBCMBrEIQhlYNACAEpyQAPwAiASAE' +
    'Qv//A3xCEIinIgJIBEAgAiABIAFBAXVqIgUgAiAFShsiAiMBIgUgAiAFSBsgAWtAAEEASA0CIwJBAWokAgsgACQUIwBBD2pB' +
    'cHEiAK1BASADIANBAUwbQQJ0IgGtfCIEIwGsQhCGVg0AIASnJAA/ACICIARC//8DfEIQiKciA0gEQCADIAIgAkEBdWoiBSAD' +
    'IAVKGyIDIwEiBSADIAVIGyACa0AAQQBIDQIjAkEBaiQCCyAAJBUjAEEPakFwcSIArSABrXwiBCMBrEIQhlYNACAEpyQAPwAi' +
    'ASAEQv//A3xCEIinIgJIBEAgAiABIAFBAXVqIgMgAiADShsiAiMBIgMgAiADSBsgAWtAAEEASA0CIwJBAWokAgsgACQWDwtB' +
    'ASQDAAtBAiQDAAsEACMcCwQAIxsLBAAjHQsEACMXCwQAIxgLBAAjGgsEACMZCwQAIxULBAAjCQsEACMLCwQAIwoLBAAjBwsE' +
    'ACMSCwQAIxELBAAjFgsEACMUC6cDAgF+A38gBCQBIwBBD2pBcHEiBK1BASAAIABBAUwbQQJ0rXwiBSMBrEIQhlYEQEEBJAMA' +
    'CyAFpyQAPwAiBiAFQv//A3xCEIinIgdIBEAgByAGIAZBAXVqIgggByAIShsiByMBIgggByAISBsgBmtAAEEASARAQQIkAwAL' +
    'IwJBAWokAgsgBCQJIABBA2xBAWpBABAAJAojAEEPakFwcSIArUEBIAMgA0EBTBtBAnStfCIFIwGsQhCGVgRAQQEkAwALIAWn' +
    'JAA/ACIEIAVC//8DfEIQiKciBkgEQCAGIAQgBEEBdWoiByAGIAdKGyIGIwEiByAGIAdIGyAEa0AAQQBIBEBBAiQDAAsjAkEB' +
    'aiQCCyAAJAsgAUF/EAAkDCMAQQ9qQXBxIgCtQQEgAiACQQFMG618IgUjAaxCEIZWBEBBASQDAAsgBackAD8AIgEgBUL//wN8' +
    'QhCIpyIESARAIAQgASABQQF1aiIGIAQgBkobIgQjASIGIAQgBkgbIAFrQABBAEgEQEECJAMACyMCQQFqJAILIAAkDSACIAMQ' +
    'ASQOIAIgAxABJA8L5gYCCn8BfiAAQQFqQQAQACEGA0AgASMISARAIAYjCSABQQJ0aigCAEEBakECdGoiAiACKAIAQQFqNgIA' +
    'IwogAUEDbEEBakECdGooAgAhAgNAIAIjCiABQQNsQQJqQQJ0aigCAEgEQCAGIwwjCyACQQJ0aigCAEECdGooAgBBAWpBAnRq' +
    'IgMgAygCAEEBajYCACACQQFqIQIMAQsLIAFBAWohAQwBCwtBACEBA0AgACABSgRAIAYgAUEBaiICQQJ0aiIDIAMoAgAgBiAB' +
    'QQJ0aigCAGo2AgAgAiEBDAELCyAGIABBAnRqKAIAIQUjAEEPakFwcSIErUEBIwciASABQQFMG0ECdK18IgsjAaxCEIZWBEBB' +
    'ASQDAAsgC6ckAD8AIgEgC0L//wN8QhCIpyICSARAIAIgASABQQF1aiIDIAIgA0obIgIjASIDIAIgA0gbIAFrQABBAEgEQEEC' +
    'JAMACyMCQQFqJAILIAQgBiMHQQJ0/AoAACMAQQ9qQXBxIgOtQQEgBSAFQQFMG0ECdCIBrXwiCyMBrEIQhlYEQEEBJAMACyAL' +
    'pyQAPwAiAiALQv//A3xCEIinIgdIBEAgByACIAJBAXVqIgggByAIShsiByMBIgggByAISBsgAmtAAEEASARAQQIkAwALIwJB' +
    'AWokAgsjAEEPakFwcSICrSABrXwiCyMBrEIQhlYEQEEBJAMACyALpyQAPwAiASALQv//A3xCEIinIgdIBEAgByABIAFBAXVq' +
    'IgggByAIShsiByMBIgggByAISBsgAWtAAEEASARAQQIkAwALIwJBAWokAgtBACEBA0AgASMISARAIAQjCSABQQJ0aigCAEEC' +
    'dGoiBygCACEIIAcgCEEBajYCACAIQQJ0IgcgA2ogATYCACACIAdqQX82AgAjCiABQQNsQQFqQQJ0aigCACEHA0AgByMKIAFB' +
    'A2xBAmpBAnRqKAIASARAIAQjDCMLIAdBAnRqKAIAIghBAnRqKAIAQQJ0aiIJKAIAIQogCSAKQQFqNgIAIApBAnQiCSADaiAB' +
    'NgIAIAIgCWogCDYCACAHQQFqIQcMAQsLIAFBAWohAQwBCwsgBiQXIAMkGCACJBkgBSQaIw4jByAAEAIjBCQbIwUkHCMGJB0j' +
    'DyMHIAAQAiMEJB4jBSQfIwYkIAsEACMMC+4EAQx/A0AgACANSgRAIAIEfyMUIA1qLQAABUEBCwRAIwgiDkEBaiQIIxAgDUEM' +
    'bGooAgAiBkECdCIEIxZqKAIAQQFrIgVBAEgEQCADBEAjFSAEaigCACEFCyAFQQBIBEAjByIFQQFqJAcLIxYgBkECdGogBUEB' +
    'ajYCAAsjCSAOQQJ0aiAFNgIAQQAhBQNAIAVBA0gEQCMKIA5BA2wgBWpBAnRqKAIAIQwjESANQQNsIAVqIgRBAWpBAnRqKAIA' +
    'IQsjESAEQQJ0aigCACIIIQ8DQCALIA9KBEAjDCMSIA9BAnRqKAIAIgQgAWoiCkECdGoiBigCAEEASARAIxMgBEEDbEEBakEC' +
    'dGooAgAiB0ECdCIJIxZqKAIAQQFrIgRBAEgEQCADBEAjFSAJaigCACEECyAEQQBIBEAjByIEQQFqJAcLIxYgB0ECdGogBEEB' +
    'ajYCAAsgBiAENgIACyMLIAwgD2ogCGtBAnRqIAo2AgAgD0EBaiEPDAELCyMKIA5BA2wgBWpBAWpBAnRqIAsgDGogCGs2AgAg' +
    'BUEBaiEFDAELCyMJIA5BAnRqKAIAIgYjDWotAABBAEchBCMNIAZqQQE6AAAjCiAOQQxsaigCACEFA0AgBSMKIA5BA2xBAWpB' +
    'AnRqKAIASARAIw4jDCMLIAVBAnRqKAIAQQJ0aigCACAGIAQQAyAFQQFqIQUMAQsLIwogDkEDbEECakECdGooAgAhBQNAIAUj' +
    'CiAOQQNsQQNqQQJ0aigCAEgEQCMPIwwjCyAFQQJ0aigCAEECdGooAgAgBiAEEAMgBUEBaiEFDAELCwsgDUEBaiENDAELCyMI' +
    'CwQAIwML';

;// CONCATENATED MODULE: ./src/apk/solver/graph-build.ts
/**
 * The WebAssembly side of the solver graph's build (assembly/graph-build.ts), as JavaScript sees
 * it: one instance per graph, told the totals first, then each table in order, its results
 * copied out at the end (so the graph keeps plain typed arrays and the module's memory goes).
 */




const instantiate = (0,wasm/* instantiateWasm */.n)(GRAPH_BUILD_WASM);
class GraphBuildMemory {
    sizes;
    x;
    packages = 0;
    /**
     * @param limitPages the most memory the module may take, in pages of 64 KiB (a wasm32
     *   module's whole range by default: the tables it is built from are bounded already)
     */
    constructor(sizes, limitPages = 65536) {
        this.sizes = sizes;
        this.x = instantiate();
        this.bounded(() => this.x.init(sizes.rows, sizes.tokens, sizes.names, sizes.entries, limitPages));
        const { rows, entries, tokens, keys } = sizes.largest;
        this.bounded(() => this.x.reserveTables(rows, entries, tokens, keys));
    }
    bounded(call) {
        try {
            return call();
        }
        catch (error) {
            if (!(0,wasm/* wasmTrapped */.P)(error) || this.x.failureKind() === 0)
                throw error;
            throw new errors/* FormatError */.IF(`the solver's graph of ${this.sizes.rows} packages and ${this.sizes.tokens} dependency ` +
                `tokens needs more memory than ${this.x.failureKind() === 1 ? 'its limit' : 'the system gave'}; ` +
                'the repositories are too large together: use fewer of them', { cause: error });
        }
    }
    i32(at, length) {
        return new Int32Array(this.x.memory.buffer, at, length);
    }
    /**
     * Adds a table's rows as packages; returns the names each of its keys became, plus one (0: a
     * key that names nothing; a view, valid until the next call).
     */
    addTable(input) {
        const { rows } = input;
        const entries = input.listStarts[rows * 3];
        const tokens = input.tokenWords.length / package_table/* TOKEN_WORDS */.Up;
        this.x.startTable(input.keys);
        this.i32(this.x.rowKeysAt(), rows * package_table/* ROW_KEYS */.q8).set(input.rowKeys);
        this.i32(this.x.listStartsAt(), rows * 3 + 1).set(input.listStarts.subarray(0, rows * 3 + 1));
        this.i32(this.x.listsAt(), entries).set(input.lists.subarray(0, entries));
        this.i32(this.x.tokenWordsAt(), tokens * package_table/* TOKEN_WORDS */.Up).set(input.tokenWords);
        if (input.keep !== undefined) {
            new Uint8Array(this.x.memory.buffer, this.x.keepAt(), rows).set(input.keep);
        }
        if (input.preset !== undefined)
            this.i32(this.x.presetAt(), input.keys).set(input.preset);
        this.packages = this.x.addTable(rows, input.base, input.keep !== undefined ? 1 : 0, input.preset !== undefined ? 1 : 0);
        return this.i32(this.x.keyNameAt(), input.keys);
    }
    /** The module's memory, in bytes. */
    get memoryBytes() {
        return this.x.memory.buffer.byteLength;
    }
    /** How many names the tables added so far hold. */
    get nameCount() {
        return this.x.nameCountNow();
    }
    /** Lays out providers and reverse edges with room for `capacity` names; copies it all out. */
    finish(capacity) {
        this.bounded(() => this.x.finish(capacity));
        const x = this.x;
        const copy = (at, length) => this.i32(at, length).slice();
        const p = this.packages;
        return {
            pkgName: copy(x.pkgNameAt(), p),
            pkgListStart: copy(x.pkgListStartAt(), p * 3 + 1),
            pkgLists: copy(x.pkgListsAt(), this.i32(x.pkgListStartAt(), p * 3 + 1)[p * 3]),
            depName: copy(x.depNameAt(), this.sizes.tokens),
            provStart: copy(x.provStartAt(), capacity + 1),
            provPkg: copy(x.provPkgAt(), x.provLength()),
            provDep: copy(x.provDepAt(), x.provLength()),
            rdepStart: copy(x.rdepStartAt(), capacity + 1),
            rdeps: copy(x.rdepsAt(), x.rdepLength()),
            riifStart: copy(x.riifStartAt(), capacity + 1),
            riifs: copy(x.riifsAt(), x.riifLength())
        };
    }
}

// EXTERNAL MODULE: ./src/released-memory.ts
var released_memory = __nccwpck_require__(258);
;// CONCATENATED MODULE: ./src/apk/solver/graph.ts
/**
 * The solver's view of a package database: every name with its providers and reverse edges, every
 * package with its resolved dependency names, and the repository tags. It mirrors apk-tools'
 * `apk_name` / `apk_package` / `repo_tags`, including their per-solve state, so core.ts can
 * follow apk's algorithm step by step.
 *
 * Names and packages are numbers, and everything about them sits in columns (typed arrays, and
 * plain arrays for strings): main + community has 52,000 names and 23,000 packages, and one object
 * per name, package, provider and dependency, each with lists of its own, took 21 MiB; columns
 * take a fraction of that, and there is nothing for the collector to trace. The lists (a name's
 * providers and reverse edges, a package's depends, provides and install_if) are ranges of one
 * array each, `start[i]` to `start[i + 1]`.
 */






/** No package: a name nothing was chosen for, or the world as a dependent. */
const NO_PKG = -1;
/** Where a provider's version comes from: the package's own (else a provides token's number). */
const OWN = -1;
// Name state bits (apk's `apk_solver_name_state`).
const N_SEEN = 1;
const N_LOCKED = 2;
const N_HAS_VIRTUAL_PROVIDES = 4;
const N_REEVALUATE_DEPS = 8;
const N_REEVALUATE_IIF = 16;
const N_HAS_IIF = 32;
const N_NO_IIF = 64;
const N_IIF_NEEDED = 128;
const N_HAS_OPTIONS = 256;
const N_REVERSE_DEPS_DONE = 512;
const N_HAS_AUTO_SELECTABLE = 1024;
const N_IN_DIRTY = 2048;
const N_IN_UNRESOLVED = 4096;
const N_CHANGESET_PROCESSED = 8192;
// Package state bits (apk's `apk_solver_package_state`).
const P_SEEN = 1;
const P_SELECTABLE = 2;
const P_IIF_TRIGGERED = 4;
const P_IIF_FAILED = 8;
const P_TAG_OK = 16;
const P_TAG_PREFERRED = 32;
const P_DEPENDENCIES_MERGED = 64;
const P_DEPENDENCIES_USED = 128;
const P_ERROR = 256;
const P_IN_CHANGESET = 512;
/** How many names are looked up one by one after the build before a map of them is made. */
const LOOKUPS_WITHOUT_MAP = 8;
/** At most 31 repositories (apk allows 32), so a repository bitmask fits a 32-bit integer. */
const MAX_REPOSITORIES = 31;
/** A tag as written in a repositories line or a world dependency, without the `@`. */
function normalizeTag(tag) {
    if (tag === undefined)
        return '';
    return tag.startsWith('@') ? tag.slice(1) : tag;
}
function archFits(pkgArch, arch) {
    return pkgArch === undefined || pkgArch === '' || pkgArch === arch || pkgArch === 'noarch';
}
/**
 * The graph. Names and packages are numbered from 0 in the order they are met; their state is
 * reset in place between solves (fresh state per solve was slower: V8 pretenures it).
 */
class SolverGraph {
    arch;
    /** Tag names by id; id 0 is the untagged default. */
    tags = [''];
    /** For each tag id, the bitmask of repositories carrying that tag. */
    tagRepos = [0];
    // --- names ---
    nameCount = 0;
    names = [];
    /** Names looked up after the build, and how many lookups there were (see find). */
    found = new Map();
    lookups = 0;
    /** Every name by its string, once more than a few were looked up. */
    ids;
    /** Each name's providers: entries `provStart[n]` to `provStart[n + 1]`. */
    provStart = new Int32Array(1);
    /** The providing package of each provider entry. */
    provPkg = new Int32Array(0);
    /** Where its version comes from: OWN (the package's), or the provides token (see versionOf). */
    provDep = new Int32Array(0);
    /** Names of packages that depend on a name (conflicts too), in database order. */
    rdepStart = new Int32Array(1);
    rdeps = new Int32Array(0);
    /** Names of packages whose install_if mentions a name. */
    riifStart = new Int32Array(1);
    riifs = new Int32Array(0);
    // --- name state ---
    nflags = new Int32Array(0);
    chosenPkg = new Int32Array(0);
    /** Where the chosen provider's version comes from, as provDep. */
    chosenDep = new Int32Array(0);
    requirers = new Int32Array(0);
    mergeDepends = new Int32Array(0);
    mergeProvides = new Int32Array(0);
    orderId = new Int32Array(0);
    // --- dependencies: every table's tokens, one after the other ---
    /** The tokens made so far (see dep()). */
    deps = [];
    /** Where each table's tokens start. */
    tokenBases = [];
    /** The name of each dependency, or -1 until a package's list uses it. */
    depName = new Int32Array(0);
    // --- packages ---
    packageCount = 0;
    pkgName = new Int32Array(0);
    /** Bit i set: the package is in the i-th configured repository. */
    pkgRepos = new Int32Array(0);
    pkgVersion = [];
    pkgPriority = new Float64Array(0);
    /** False when the package cannot be installed at all (wrong arch). */
    pkgInstallable = new Int32Array(0);
    pkgEmpty = new Int32Array(0);
    /** Each package's depends, provides and install_if, as dependency numbers: 3 per package. */
    pkgListStart = new Int32Array(1);
    pkgLists = new Int32Array(0);
    pkgTable = new Int32Array(0);
    pkgRow = new Int32Array(0);
    tables = [];
    // --- package state ---
    pflags = new Int32Array(0);
    conflicts = new Int32Array(0);
    pinningAllowed = new Int32Array(0);
    pinningPreferred = new Int32Array(0);
    // --- building ---
    repoBits = new Map();
    constructor(repositories, arch) {
        this.arch = arch;
        if (repositories.length > MAX_REPOSITORIES) {
            throw new errors/* InvalidArgumentError */.Di(`${repositories.length} repositories configured; at most ${MAX_REPOSITORIES} are supported`);
        }
        const ordered = [...repositories].sort((a, b) => a.index - b.index);
        ordered.forEach((repo, position) => {
            const bit = 1 << position;
            this.repoBits.set(repo.index, bit);
            const tag = normalizeTag(repo.tag);
            let id = this.tags.indexOf(tag);
            if (id < 0) {
                id = this.tags.length;
                this.tags.push(tag);
                this.tagRepos.push(0);
            }
            this.tagRepos[id] |= bit;
        });
    }
    /** The id of a configured tag, or -1. */
    tagId(tag) {
        return this.tags.indexOf(tag);
    }
    /** The name's number, a new name (with no providers) when nothing mentioned it yet. */
    name(name) {
        const id = this.find(name);
        if (id >= 0)
            return id;
        const n = this.newName(name);
        if (this.ids !== undefined)
            this.ids.set(name, n);
        else
            this.found.set(name, n);
        this.nameAdded(n);
        return n;
    }
    /**
     * The number of an existing name, or -1. The build numbers names by their tables' keys and
     * makes no map of them all (on main + community, 52,000 names took 1.8 MiB as a map, held
     * through the solve): the first few names asked for afterwards (a resolve's world) are looked
     * for one by one (0.1-0.4 ms each), and the map is made only once more are.
     */
    find(name) {
        if (this.ids !== undefined)
            return this.ids.get(name) ?? -1;
        const id = this.found.get(name);
        if (id !== undefined)
            return id;
        if (++this.lookups > LOOKUPS_WITHOUT_MAP) {
            this.ids = new Map();
            for (let n = this.nameCount - 1; n >= 0; n--)
                this.ids.set(this.names[n], n);
            return this.ids.get(name) ?? -1;
        }
        const n = this.names.indexOf(name);
        if (n >= 0)
            this.found.set(name, n);
        return n;
    }
    newName(name) {
        const n = this.nameCount++;
        if (n < this.names.length)
            this.names[n] = name;
        else
            this.names.push(name);
        return n;
    }
    /** Every name some package provides. */
    providedNames() {
        const out = [];
        for (let n = 0; n < this.nameCount; n++) {
            if (this.provStart[n + 1] > this.provStart[n])
                out.push(this.names[n]);
        }
        return out;
    }
    /** The packages providing `name`, each once, in database order. */
    packagesProviding(name) {
        const n = this.find(name);
        if (n < 0)
            return [];
        // A set: `so:libc.musl-x86_64.so.1` has thousands of providers in main + community.
        const out = new Set();
        for (let e = this.provStart[n]; e < this.provStart[n + 1]; e++) {
            out.add(this.pkg(this.provPkg[e]));
        }
        return [...out];
    }
    /**
     * The version `pkg` provides a name under: its own (`source` OWN) or a provides token's;
     * undefined for an unversioned provide, or no package.
     */
    versionOf(pkg, source) {
        if (pkg === NO_PKG)
            return undefined;
        return source === OWN ? this.pkgVersion[pkg] : this.dep(source).version;
    }
    /** Dependency `d` (a token of one of the tables), made on first use. */
    dep(d) {
        let dep = this.deps[d];
        if (dep === undefined) {
            let t = this.tokenBases.length - 1;
            while (this.tokenBases[t] > d)
                t--;
            dep = this.tables[t].token(d - this.tokenBases[t]);
            this.deps[d] = dep;
        }
        return dep;
    }
    /** The version of provider entry `e`. */
    provVersion(e) {
        return this.versionOf(this.provPkg[e], this.provDep[e]);
    }
    /** The version of the provider chosen for `name` (undefined: none, or unversioned). */
    chosenVersion(name) {
        return this.versionOf(this.chosenPkg[name], this.chosenDep[name]);
    }
    /** The whole package (made on first use). */
    pkg(p) {
        return this.tables[this.pkgTable[p]].package(this.pkgRow[p]);
    }
    /** Package `p`'s identity (`C:`), read from its table's row. */
    checksumOf(p) {
        return this.tables[this.pkgTable[p]].checksum(this.pkgRow[p]);
    }
    /** Forgets the state of the previous solve. */
    resetState() {
        this.nflags.fill(0);
        this.chosenPkg.fill(NO_PKG);
        this.chosenDep.fill(OWN);
        this.requirers.fill(0);
        this.mergeDepends.fill(0);
        this.mergeProvides.fill(0);
        this.orderId.fill(0);
        this.pflags.fill(0);
        this.conflicts.fill(0);
        this.pinningAllowed.fill(0);
        this.pinningPreferred.fill(0);
    }
    /** A package from a repository the options did not list counts as an untagged repository. */
    repoBit(index) {
        let bit = this.repoBits.get(index);
        if (bit === undefined) {
            bit = 1 << Math.min(this.repoBits.size, MAX_REPOSITORIES);
            this.repoBits.set(index, bit);
            this.tagRepos[0] |= bit;
        }
        return bit;
    }
    /**
     * Builds the graph from the tables' rows, in order. The part that visits every list entry
     * (names, lists, providers, reverse edges) runs in WebAssembly (graph-build.ts); here, each
     * row's own fields, and which identities merge. Returns how much memory the module took, which
     * goes once it is collected.
     */
    build(tables) {
        // Every column is made at its full size up front, so the build leaves no grown copies behind.
        let rows = 0;
        let tokens = 0;
        let entries = 0;
        const largest = { rows: 0, entries: 0, tokens: 0, keys: 0 };
        for (const table of tables) {
            const tableEntries = table.listStarts[table.count * 3];
            rows += table.count;
            tokens += table.tokenCount;
            entries += tableEntries;
            largest.rows = Math.max(largest.rows, table.count);
            largest.entries = Math.max(largest.entries, tableEntries);
            largest.tokens = Math.max(largest.tokens, table.tokenCount);
            largest.keys = Math.max(largest.keys, table.strings.length);
        }
        // Names are packages' own names and dependencies' names: at most one per row and token.
        const w = new GraphBuildMemory({ rows, tokens, names: rows + tokens, entries, largest });
        this.names = new Array(rows + tokens);
        this.pkgRepos = new Int32Array(rows);
        this.pkgVersion = new Array(rows);
        this.pkgPriority = new Float64Array(rows);
        this.pkgInstallable = new Int32Array(rows);
        this.pkgEmpty = new Int32Array(rows);
        this.pkgTable = new Int32Array(rows);
        this.pkgRow = new Int32Array(rows);
        this.deps = new Array(tokens);
        const byChecksum = new Map();
        /** The names of the tables so far by string, from the second table on. */
        let earlier;
        let base = 0;
        tables.forEach((table, t) => {
            this.tables.push(table);
            const last = t === tables.length - 1;
            this.tokenBases.push(base);
            const keep = this.addRows(table, t, byChecksum, last);
            // A table's keys are distinct names, so only a name of an earlier table can be met again.
            let preset;
            if (t > 0) {
                if (earlier === undefined) {
                    earlier = new Map();
                    for (let n = this.nameCount - 1; n >= 0; n--)
                        earlier.set(this.names[n], n);
                }
                preset = new Int32Array(table.strings.length);
                for (let key = 0; key < table.strings.length; key++) {
                    preset[key] = earlier.get(table.strings[key]) ?? -1;
                }
            }
            const before = w.nameCount;
            const keyNames = w.addTable({
                rows: table.count,
                rowKeys: table.rowKeys.subarray(0, table.count * package_table/* ROW_KEYS */.q8),
                listStarts: table.listStarts,
                lists: table.lists,
                tokenWords: table.tokenWords.subarray(0, table.tokenCount * package_table/* TOKEN_WORDS */.Up),
                keys: table.strings.length,
                base,
                keep,
                preset
            });
            for (let key = 0; key < keyNames.length; key++) {
                const n = keyNames[key] - 1;
                if (n < before)
                    continue;
                this.names[n] = table.strings[key];
                if (!last)
                    earlier?.set(table.strings[key], n);
            }
            this.nameCount = w.nameCount;
            base += table.tokenCount;
        });
        this.finish(w);
        return w.memoryBytes;
    }
    /**
     * Each row's own fields, as a package, in order: a row whose identity an earlier one has
     * (another repository's copy) only adds its repository to that package, as apk merges them.
     * Returns which rows became packages, unless all did.
     */
    addRows(table, t, byChecksum, last) {
        // An index's table has each identity once: only earlier tables' are looked up, and only
        // for a later table need they be kept.
        const lookUp = t > 0 || !table.unique;
        const record = !last || !table.unique;
        const keep = lookUp ? new Uint8Array(table.count) : undefined;
        let repository = -1;
        let bit = 0;
        for (let row = 0, rows = table.count; row < rows; row++) {
            if (table.repositories[row] !== repository) {
                repository = table.repositories[row];
                bit = this.repoBit(repository);
            }
            // Read only where identities are compared (a table's own are distinct; checksumOf()).
            const checksum = lookUp || record ? table.checksum(row) : '';
            if (checksum !== '') {
                const same = lookUp ? byChecksum.get(checksum) : undefined;
                if (same !== undefined) {
                    this.pkgRepos[same] |= bit;
                    continue;
                }
            }
            if (keep !== undefined)
                keep[row] = 1;
            const p = this.packageCount++;
            if (record && checksum !== '')
                byChecksum.set(checksum, p);
            this.pkgRepos[p] = bit;
            this.pkgVersion[p] = table.version(row);
            this.pkgPriority[p] = table.priorities[row];
            this.pkgInstallable[p] =
                this.arch === undefined || archFits(table.arch(row), this.arch) ? 1 : 0;
            this.pkgEmpty[p] = table.installedSizes[row] === 0 ? 1 : 0;
            this.pkgTable[p] = t;
            this.pkgRow[p] = row;
        }
        return keep;
    }
    /** Takes the module's columns, and sizes every column to what it holds. */
    finish(w) {
        const names = this.nameCount;
        this.names.length = names;
        const capacity = names + 16;
        const c = w.finish(capacity);
        this.pkgName = c.pkgName;
        this.pkgListStart = c.pkgListStart;
        this.pkgLists = c.pkgLists;
        this.depName = c.depName;
        this.provStart = c.provStart;
        this.provPkg = c.provPkg;
        this.provDep = c.provDep;
        this.rdepStart = c.rdepStart;
        this.rdeps = c.rdeps;
        this.riifStart = c.riifStart;
        this.riifs = c.riifs;
        const count = this.packageCount;
        if (count < this.pkgRepos.length) {
            // Identities met in several repositories: fewer packages than rows.
            this.pkgRepos = this.pkgRepos.slice(0, count);
            this.pkgVersion.length = count;
            this.pkgPriority = this.pkgPriority.slice(0, count);
            this.pkgInstallable = this.pkgInstallable.slice(0, count);
            this.pkgEmpty = this.pkgEmpty.slice(0, count);
            this.pkgTable = this.pkgTable.slice(0, count);
            this.pkgRow = this.pkgRow.slice(0, count);
        }
        this.pflags = new Int32Array(count);
        this.conflicts = new Int32Array(count);
        this.pinningAllowed = new Int32Array(count);
        this.pinningPreferred = new Int32Array(count);
        this.nflags = new Int32Array(capacity);
        this.chosenPkg = new Int32Array(capacity).fill(NO_PKG);
        this.chosenDep = new Int32Array(capacity).fill(OWN);
        this.requirers = new Int32Array(capacity);
        this.mergeDepends = new Int32Array(capacity);
        this.mergeProvides = new Int32Array(capacity);
        this.orderId = new Int32Array(capacity);
    }
    /** Room for a name added after the build (a world name nothing mentions): no edges. */
    nameAdded(n) {
        if (n + 1 < this.provStart.length)
            return;
        const size = (n + 1) * 2;
        const ends = (a) => {
            const larger = new Int32Array(size + 1);
            larger.set(a);
            larger.fill(a[a.length - 1], a.length);
            return larger;
        };
        this.provStart = ends(this.provStart);
        this.rdepStart = ends(this.rdepStart);
        this.riifStart = ends(this.riifStart);
        const state = (a, fill) => {
            const larger = new Int32Array(size).fill(fill);
            larger.set(a);
            return larger;
        };
        this.nflags = state(this.nflags, 0);
        this.chosenPkg = state(this.chosenPkg, NO_PKG);
        this.requirers = state(this.requirers, 0);
        this.mergeDepends = state(this.mergeDepends, 0);
        this.mergeProvides = state(this.mergeProvides, 0);
        this.orderId = state(this.orderId, 0);
        this.chosenDep = state(this.chosenDep, OWN);
    }
}
/**
 * The build's memory worth a collection of its own, once the graph is built: main + community's
 * takes 7 MiB (a collection, 8 ms on Node 24), v3.22 main's 1.8 MiB.
 */
const COLLECT_GRAPH_BUILD = 4 * 1024 * 1024;
function tablesOf(source) {
    if (source.length === 0)
        return [];
    if (source[0] instanceof package_table/* PackageTable */.Ny)
        return source;
    return [(0,package_table/* tableOfPackages */.Xi)(source)];
}
/**
 * Builds the graph from packages in database order (repositories in configured order, index
 * stanzas in order). `arch`, when given, makes packages of another arch uninstallable.
 */
function buildGraph(source, repositories, arch) {
    const graph = new SolverGraph(repositories, arch);
    const moduleMemory = graph.build(tablesOf(source));
    // The module's memory goes back to the system only when V8 collects it, and the solve that
    // follows would peak above it: 5 MiB on main + community.
    if (moduleMemory >= COLLECT_GRAPH_BUILD)
        (0,released_memory/* collectNow */.V3)();
    return graph;
}
const cache = new WeakMap();
function cacheKey(source, repositories, arch) {
    const repos = repositories.map((r) => `${r.index}@${normalizeTag(r.tag)}`).join(',');
    return `${arch ?? ''}|${repos}|${source.length}`;
}
/**
 * The graph for this package source, built once per source (and repositories/arch) and kept:
 * building it is the larger part of a solve on a full index. The source must not change between
 * calls; a different length rebuilds it. Its solver state is what the last solve left: see
 * graphFor.
 */
function graphOf(source, repositories, arch) {
    const key = cacheKey(source, repositories, arch);
    const hit = cache.get(source);
    if (hit !== undefined && hit.key === key)
        return hit.graph;
    const graph = buildGraph(source, repositories, arch);
    cache.set(source, { key, graph });
    return graph;
}
/** graphOf, with fresh solver state for a new solve. */
function graphFor(source, repositories, arch) {
    const hit = cache.get(source);
    const graph = graphOf(source, repositories, arch);
    if (hit?.graph === graph)
        graph.resetState();
    return graph;
}
/** The repositories (bitmask) that the tags in `mask` allow. */
function pinningMaskRepos(graph, mask) {
    let repos = 0;
    for (let id = 0; id < graph.tags.length; id++) {
        if (mask & (1 << id))
            repos |= graph.tagRepos[id];
    }
    return repos;
}
/**
 * apk's test of a dependency against a provider of its name, chosen or offered: package `pkg`
 * (NO_PKG: none) providing it under `version`. `dependent` is the package that has the dependency
 * (NO_PKG: the world).
 */
function isProvided(graph, dep, pkg, version, dependent) {
    if (pkg === NO_PKG)
        return dep.conflict;
    // A package that provides a name it also conflicts with does not conflict with itself.
    if (dep.conflict && dependent === pkg)
        return true;
    return (0,dependency/* satisfiedByProvider */.R1)(dep, graph.checksumOf(pkg), version);
}
/** isProvided against the provider chosen for the dependency's name. */
function isProvidedByChosen(graph, dep, name, dependent) {
    return isProvided(graph, dep, graph.chosenPkg[name], graph.chosenVersion(name), dependent);
}
/** The tag a chosen package installs under (apk's `get_tag`): the first allowed tag carrying it. */
function packageTag(graph, pkg) {
    for (let id = 0; id < graph.tags.length; id++) {
        if (graph.pinningAllowed[pkg] & (1 << id) && graph.pkgRepos[pkg] & graph.tagRepos[id])
            return id;
    }
    return 0;
}


/***/ }),

/***/ 415:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  M: () => (/* binding */ compareNames),
  k: () => (/* binding */ solve)
});

// EXTERNAL MODULE: ./src/apk/errors.ts
var errors = __nccwpck_require__(239);
// EXTERNAL MODULE: ./src/apk/solver/graph.ts + 2 modules
var solver_graph = __nccwpck_require__(583);
;// CONCATENATED MODULE: ./src/apk/solver/changeset.ts
/**
 * apk's changeset for a fresh install (`generate_changeset` in solver.c): walk the world in sorted
 * order; for each chosen package first its dependencies (in `D:` order), then the package, then
 * any install_if package all of whose conditions are now in the changeset. Each package once.
 */

class ChangesetBuilder {
    graph;
    markError;
    changes = [];
    constructor(graph, markError) {
        this.graph = graph;
        this.markError = markError;
    }
    genDep(parent, dep, name) {
        const g = this.graph;
        const chosen = g.chosenPkg[name];
        if (!(0,solver_graph/* isProvidedByChosen */.Zk)(g, dep, name, parent))
            this.markError(parent);
        this.genNameChange(name);
        if (chosen !== solver_graph/* NO_PKG */.NX && g.pflags[chosen] & solver_graph/* P_ERROR */.sG)
            this.markError(parent);
    }
    processed(name) {
        this.graph.nflags[name] |= solver_graph/* N_CHANGESET_PROCESSED */.fv;
    }
    genNameChange(name) {
        const g = this.graph;
        if (g.nflags[name] & solver_graph/* N_CHANGESET_PROCESSED */.fv)
            return;
        this.processed(name);
        const pkg = g.chosenPkg[name];
        if (pkg === solver_graph/* NO_PKG */.NX || g.pflags[pkg] & solver_graph/* P_IN_CHANGESET */.sb)
            return;
        g.pflags[pkg] |= solver_graph/* P_IN_CHANGESET */.sb;
        this.processed(g.pkgName[pkg]);
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < ls[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
            this.processed(g.depName[g.pkgLists[i]]);
        }
        for (let i = ls[pkg * 3 + solver_graph/* DEPENDS */.iS]; i < ls[pkg * 3 + solver_graph/* DEPENDS */.iS + 1]; i++) {
            const d = g.pkgLists[i];
            this.genDep(pkg, g.dep(d), g.depName[d]);
        }
        this.changes.push(pkg);
        this.checkReverseInstallIf(pkg);
    }
    checkReverseInstallIf(pkg) {
        const g = this.graph;
        this.checkNameInstallIf(g.pkgName[pkg]);
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < ls[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
            this.checkNameInstallIf(g.depName[g.pkgLists[i]]);
        }
    }
    checkNameInstallIf(name) {
        const g = this.graph;
        for (let i = g.riifStart[name]; i < g.riifStart[name + 1]; i++) {
            this.checkInstallByIif(g.riifs[i]);
        }
    }
    /** An install_if package joins right after the last package that completes its condition. */
    checkInstallByIif(name) {
        const g = this.graph;
        const pkg = g.chosenPkg[name];
        if (pkg === solver_graph/* NO_PKG */.NX)
            return;
        if ((g.nflags[name] & (solver_graph/* N_SEEN */.fz | solver_graph/* N_CHANGESET_PROCESSED */.fv)) !== solver_graph/* N_SEEN */.fz)
            return;
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* INSTALL_IF */.wU]; i < ls[pkg * 3 + solver_graph/* INSTALL_IF */.wU + 1]; i++) {
            const d = g.pkgLists[i];
            const dep = g.dep(d);
            const n = g.depName[d];
            if (!dep.conflict && !(g.nflags[n] & solver_graph/* N_CHANGESET_PROCESSED */.fv))
                return;
            if (!(0,solver_graph/* isProvidedByChosen */.Zk)(g, dep, n, pkg))
                return;
        }
        this.genNameChange(name);
    }
}
/** The packages to install in apk's order; marks errors on the solver for unmet dependencies. */
function generateChangeset(graph, world, markError) {
    const builder = new ChangesetBuilder(graph, markError);
    for (const d of world)
        builder.genDep(solver_graph/* NO_PKG */.NX, d.dep, d.name);
    return builder.changes;
}

// EXTERNAL MODULE: ./src/apk/formats/version.ts
var version = __nccwpck_require__(769);
// EXTERNAL MODULE: ./src/wasm.ts
var wasm = __nccwpck_require__(739);
;// CONCATENATED MODULE: ./src/apk/solver/discover-wasm.ts
// Generated by scripts/build-wasm.mjs from src/apk/solver/assembly/discover.ts: do not edit.
/** The solver's discovery, compiled to WebAssembly (AssemblyScript, -O3, stub runtime), base64. */
const DISCOVER_WASM = 'AGFzbQEAAAABIwZgAAF/YAF/AGABfwF/YAAAYAh/f39/f39/fwBgA39/fwF/AxkYAgEBAwAAAAAAAAAAAAAAAAAAAAAEBQAA' +
    'BQMBAAAGexh/AUEAC38BQYCABAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38B' +
    'QQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEACweTAhUEaW5pdAAUC3By' +
    'b3ZTdGFydEF0AAcJcHJvdlBrZ0F0AAgLcmlpZlN0YXJ0QXQABgdyaWlmc0F0AAUJcGtnTmFtZUF0AAoKcGtnUmVwb3NBdAAJ' +
    'EHBrZ0luc3RhbGxhYmxlQXQADQpwa2dFbXB0eUF0AA4OcGtnTGlzdFN0YXJ0QXQADApwa2dMaXN0c0F0AAsJZGVwTmFtZUF0' +
    'ABYHd29ybGRBdAAECG5mbGFnc0F0ABMJb3JkZXJJZEF0ABIIcGZsYWdzQXQAERBwaW5uaW5nQWxsb3dlZEF0ABAScGlubmlu' +
    'Z1ByZWZlcnJlZEF0AA8IZGlzY292ZXIAFQtmYWlsdXJlS2luZAAXBm1lbW9yeQIACAEDCscKGIIBAgF+A38jAEEPakFwcSIC' +
    'rUEBIAAgAEEBTBtBAnStfCIBIwGsQhCGVgRAQQEkAwALIAGnJAA/ACIAIAFC//8DfEIQiKciA0gEQCADIAAgAEEBdWoiBCAD' +
    'IARKGyIDIwEiBCADIARIGyAAa0AAQQBIBEBBAiQDAAsjAkEBaiQCCyACC9kGAQp/IxAgAEECdGooAgBBAXEEQA8LIABBAnQi' +
    'AiMQaiIBIAEoAgBBAXI2AgAjBCAAQQFqQQJ0aigCACEIQQEhCSMEIAJqKAIAIgEhCgNAIAggCkoEQCMSIwUgCkECdGooAgAi' +
    'BkECdGooAgBBAXFFBEAgBkECdCIFIxNqQQE2AgAjFCAFakEBNgIAIxIgBWoiAygCAEEBciICQQJyIAJBfXEjCiAFaigCABsi' +
    'AkEIciACQXdxIwwgBkEDbCIEQQJqQQJ0aigCACMMIARBA2pBAnRqKAIARhshAiADIAJBMHIgAkFPcSMLIAVqKAIAQQBHIgIE' +
    'fyACBSMWIwkgBkECdGooAgBxCxs2AgAjDCAEQQFqQQJ0aigCACEDIwwgBEECdGooAgAhBANAIAMgBEoEQCMQIw4jDSAEQQJ0' +
    'aigCAEECdGooAgAiAkECdGooAgBBAXFFBEAgAhABCyAEQQFqIQQMAQsLCyAJQQAjEiAGQQJ0aigCAEEIcRshCSAKQQFqIQoM' +
    'AQsLIAkEQCMQIABBAnRqIgIgAigCAEHAAHI2AgAFIxAgAEECdGoiAiACKAIAQb9/cTYCAAsgABACIAEhAgNAIAIgCEgEQCMF' +
    'IAJBAnRqKAIAIgdBAnQiBiMIaigCABACIwwgB0EDbCIDQQFqQQJ0aigCACEFIwwgA0ECakECdGooAgAgBWshBCMVIAZqKAIA' +
    'IQkDQCAEIAlKBEAjECMOIw0gBSAJakECdGooAgBBAnRqKAIAIgNBAnRqKAIAQQFxRQRAIAMQAQsgCUEBaiEDIxUgB0ECdGoo' +
    'AgAhCgNAIAQgCkoEfyMQIw4jDSAFIApqQQJ0aigCAEECdGooAgBBAnRqKAIAQQFxBUEACwRAIApBAWohCgwBCwsjFSAHQQJ0' +
    'aiAKNgIAIAogAyADIApIGyEJDAELCyACQQFqIQIMAQsLIxdBAWokFyMRIABBAnRqIxc2AgADQCABIAhIBEAjDCMFIAFBAnRq' +
    'KAIAQQNsIgBBA2pBAnRqKAIAIQMjDCAAQQJqQQJ0aigCACEAA0AgACADSARAIxAjDiMNIABBAnRqKAIAQQJ0aigCACICQQJ0' +
    'aigCAEEBcUUEQCACEAELIABBAWohAAwBCwsgAUEBaiEBDAELCwtWAQJ/IwYgAEEBakECdGooAgAhASMGIABBAnRqKAIAIQAD' +
    'QCAAIAFIBEAjECMHIABBAnRqKAIAIgJBAnRqKAIAQQFxRQRAIAIQAQsgAEEBaiEADAELCwsHAEGACCQACwQAIw8LBAAjBwsE' +
    'ACMGCwQAIwQLBAAjBQsEACMJCwQAIwgLBAAjDQsEACMMCwQAIwoLBAAjCwsEACMUCwQAIxMLBAAjEgsEACMRCwQAIxALfQAg' +
    'ByQBIABBAWoiBxAAJAQgBxAAJAYgABAAJBAgABAAJBEgAhAAJAUgAxAAJAcgARAAJAggARAAJAkgARAAJAogARAAJAsgARAA' +
    'JBIgARAAJBMgARAAJBQgARAAJBUgAUEDbEEBahAAJAwgBBAAJA0gBRAAJA4gBhAAJA8LLwEBfyABJBYgAiQXA0AgACADSgRA' +
    'Iw8gA0ECdGooAgAQASADQQFqIQMMAQsLIxcLBAAjDgsEACMDCw==';

;// CONCATENATED MODULE: ./src/apk/solver/discover.ts
/**
 * The solver's discovery (assembly/discover.ts) as JavaScript sees it: one instance per solve,
 * the graph's columns copied in, the world's names discovered in order, and the state discovery
 * sets (the names' and packages' flags, the names' order, the packages' pinning) copied back, so
 * the module's memory goes with the call.
 */



const instantiate = (0,wasm/* instantiateWasm */.n)(DISCOVER_WASM);
/**
 * apk's `discover_name` for each of `world` (name numbers, in order) over `graph`, whose state
 * it updates; `defaultRepos` are the default pinning's repositories and `orderCount` the names
 * numbered so far. Returns the names numbered after. A chain of dependencies deeper than the
 * stack throws V8's RangeError, as the JavaScript discovery did (solve.ts names it).
 */
function discoverWorld(graph, world, defaultRepos, orderCount, limitPages = 65536) {
    const x = instantiate();
    const names = graph.nflags.length;
    const packages = graph.pflags.length;
    try {
        x.init(names, packages, graph.provPkg.length, graph.riifs.length, graph.pkgLists.length, graph.depName.length, world.length, limitPages);
    }
    catch (error) {
        if (!(0,wasm/* wasmTrapped */.P)(error) || x.failureKind() === 0)
            throw error;
        throw new errors/* FormatError */.IF(`the solver's discovery over ${names} names and ${packages} packages needs more memory ` +
            `than ${x.failureKind() === 1 ? 'its limit' : 'the system gave'}; the repositories are ` +
            'too large together: use fewer of them', { cause: error });
    }
    const view = (at, length) => new Int32Array(x.memory.buffer, at, length);
    view(x.provStartAt(), names + 1).set(graph.provStart.subarray(0, names + 1));
    view(x.riifStartAt(), names + 1).set(graph.riifStart.subarray(0, names + 1));
    view(x.nflagsAt(), names).set(graph.nflags);
    view(x.orderIdAt(), names).set(graph.orderId);
    view(x.provPkgAt(), graph.provPkg.length).set(graph.provPkg);
    view(x.riifsAt(), graph.riifs.length).set(graph.riifs);
    view(x.pkgNameAt(), packages).set(graph.pkgName.subarray(0, packages));
    view(x.pkgReposAt(), packages).set(graph.pkgRepos.subarray(0, packages));
    view(x.pkgInstallableAt(), packages).set(graph.pkgInstallable.subarray(0, packages));
    view(x.pkgEmptyAt(), packages).set(graph.pkgEmpty.subarray(0, packages));
    view(x.pflagsAt(), packages).set(graph.pflags);
    view(x.pinningAllowedAt(), packages).set(graph.pinningAllowed);
    view(x.pinningPreferredAt(), packages).set(graph.pinningPreferred);
    view(x.pkgListStartAt(), packages * 3 + 1).set(graph.pkgListStart.subarray(0, packages * 3 + 1));
    view(x.pkgListsAt(), graph.pkgLists.length).set(graph.pkgLists);
    view(x.depNameAt(), graph.depName.length).set(graph.depName);
    view(x.worldAt(), world.length).set(world);
    const count = x.discover(world.length, defaultRepos, orderCount);
    graph.nflags.set(view(x.nflagsAt(), names));
    graph.orderId.set(view(x.orderIdAt(), names));
    graph.pflags.set(view(x.pflagsAt(), packages));
    graph.pinningAllowed.set(view(x.pinningAllowedAt(), packages));
    graph.pinningPreferred.set(view(x.pinningPreferredAt(), packages));
    return count;
}

;// CONCATENATED MODULE: ./src/apk/solver/name-heap.ts
/**
 * A heap of names, each pushed with three numbers and taken largest first (the first number
 * first, then the second, then the third). The solver keeps its unresolved names in two of them
 * (core.ts, nextName): an entry is what a name was when pushed, and one that no longer holds is
 * dropped when it comes to the top, so nothing is ever looked for inside.
 */
class NameHeap {
    names = new Int32Array(64);
    firsts = new Int32Array(64);
    seconds = new Int32Array(64);
    thirds = new Int32Array(64);
    /** How many entries there are. */
    size = 0;
    /** The top entry's name (-1: empty) and numbers. */
    get name() {
        return this.size > 0 ? this.names[0] : -1;
    }
    get first() {
        return this.firsts[0];
    }
    get second() {
        return this.seconds[0];
    }
    get third() {
        return this.thirds[0];
    }
    push(name, first, second, third) {
        if (this.size === this.names.length)
            this.grow();
        let at = this.size++;
        // Up from the end while the parent comes after the new entry.
        while (at > 0) {
            const parent = (at - 1) >> 1;
            if (this.compare(first, second, third, parent) <= 0)
                break;
            this.move(parent, at);
            at = parent;
        }
        this.put(at, name, first, second, third);
    }
    /** Takes the top entry away. */
    pop() {
        if (this.size === 0)
            return;
        const last = --this.size;
        if (last === 0)
            return;
        const name = this.names[last];
        const first = this.firsts[last];
        const second = this.seconds[last];
        const third = this.thirds[last];
        let at = 0;
        // Down from the top while a child comes before the moved entry.
        for (;;) {
            let child = 2 * at + 1;
            if (child >= last)
                break;
            const right = child + 1;
            if (right < last &&
                this.compare(this.firsts[right], this.seconds[right], this.thirds[right], child) > 0) {
                child = right;
            }
            if (this.compare(first, second, third, child) >= 0)
                break;
            this.move(child, at);
            at = child;
        }
        this.put(at, name, first, second, third);
    }
    /**
     * Above 0 when (first, second, third) comes before the entry at `at`, below 0 when after, 0
     * when they are the same numbers.
     */
    compare(first, second, third, at) {
        if (first !== this.firsts[at])
            return first - this.firsts[at];
        if (second !== this.seconds[at])
            return second - this.seconds[at];
        return third - this.thirds[at];
    }
    move(from, to) {
        this.put(to, this.names[from], this.firsts[from], this.seconds[from], this.thirds[from]);
    }
    put(at, name, first, second, third) {
        this.names[at] = name;
        this.firsts[at] = first;
        this.seconds[at] = second;
        this.thirds[at] = third;
    }
    grow() {
        const larger = (a) => {
            const b = new Int32Array(a.length * 2);
            b.set(a);
            return b;
        };
        this.names = larger(this.names);
        this.firsts = larger(this.firsts);
        this.seconds = larger(this.seconds);
        this.thirds = larger(this.thirds);
    }
}

;// CONCATENATED MODULE: ./src/apk/solver/core.ts
/**
 * The solver proper: apk-tools 2.14 `solver.c` ported function by function (apply_constraint,
 * reconsider_name, compare_providers, assign_name, select_package and the name queues; its
 * discover_name runs in WebAssembly, discover.ts) over the graph of graph.ts. solve.ts drives it.
 *
 * Names and packages are numbers into the graph's columns. A provider is a package and the
 * version it provides a name under (undefined: unversioned); a dependency is its token and the
 * number of its name.
 */




const DEFAULT_PINNING = 1;
/** An unversioned side ties with everything, like apk's comparison with a null version. */
function versionOrder(a, b) {
    if (a === undefined || b === undefined)
        return 0;
    return (0,version/* compareVersions */.Zy)(a, b);
}
/** 1 when only A has the flag, -1 when only B has it, else 0. */
function flagOrder(a, b, flag) {
    return (a & flag ? 1 : 0) - (b & flag ? 1 : 0);
}
function lowestBit(mask) {
    return mask === 0 ? 0 : 32 - Math.clz32(mask & -mask);
}
class Solver {
    graph;
    errors = 0;
    orderCount = 0;
    dirty = [];
    dirtyHead = 0;
    /**
     * Unresolved names, as apk's list: added at the head (the newest come first), each taken out
     * where it stands. A name's place is when it was added (`unresolvedAt`, larger: nearer the
     * head). apk picks the next name by a scan of the whole list (nextName), which made a package
     * of 40,000 dependencies take 5 s, four times as long for each doubling; here two heaps give
     * the same name: the forced names by place, and every name by apk's order. A name is pushed
     * whenever what they order it by may have changed (queueUnresolved), and an entry that no
     * longer holds is dropped when it reaches the top.
     */
    added = 0;
    unresolvedAt;
    forcedNames = new NameHeap();
    orderedNames = new NameHeap();
    pinningInherit = 0;
    /** Per package: 0 not yet known, 1 no unversioned provides, 2 some (hasUnversionedProvides). */
    unversionedProvides;
    defaultRepos;
    nflags;
    pflags;
    constructor(graph) {
        this.graph = graph;
        this.defaultRepos = (0,solver_graph/* pinningMaskRepos */.P6)(graph, DEFAULT_PINNING);
        this.nflags = graph.nflags;
        this.pflags = graph.pflags;
        this.unresolvedAt = new Int32Array(graph.nflags.length);
        this.unversionedProvides = new Uint8Array(graph.pflags.length);
    }
    nameIs(name, flag) {
        return (this.nflags[name] & flag) !== 0;
    }
    setName(name, flag, on) {
        this.nflags[name] = on ? this.nflags[name] | flag : this.nflags[name] & ~flag;
    }
    pkgIs(pkg, flag) {
        return (this.pflags[pkg] & flag) !== 0;
    }
    setPkg(pkg, flag, on) {
        this.pflags[pkg] = on ? this.pflags[pkg] | flag : this.pflags[pkg] & ~flag;
    }
    isProviderAutoSelectable(pkg, version) {
        // Unversioned provides are only picked when something names the real package, or with k > 0.
        if (version !== undefined)
            return true;
        if (pkg === solver_graph/* NO_PKG */.NX)
            return false;
        const g = this.graph;
        return g.pkgPriority[pkg] > 0 || g.requirers[g.pkgName[pkg]] > 0;
    }
    /** apk's `compare_providers` without the upgrade/installed criteria: > 0 when A is better. */
    compareProviders(a, versionA, b, versionB) {
        if (a === solver_graph/* NO_PKG */.NX || b === solver_graph/* NO_PKG */.NX)
            return (a !== solver_graph/* NO_PKG */.NX ? 1 : 0) - (b !== solver_graph/* NO_PKG */.NX ? 1 : 0);
        const g = this.graph;
        const fa = this.pflags[a];
        const fb = this.pflags[b];
        const bySelectable = flagOrder(fa, fb, solver_graph/* P_SELECTABLE */.yS);
        if (bySelectable !== 0)
            return bySelectable;
        const byUsed = flagOrder(fa, fb, solver_graph/* P_DEPENDENCIES_USED */.bk);
        if (byUsed !== 0)
            return byUsed;
        const byConflicts = g.conflicts[b] - g.conflicts[a];
        if (byConflicts !== 0)
            return byConflicts;
        const byTagOk = flagOrder(fa, fb, solver_graph/* P_TAG_OK */.nS);
        if (byTagOk !== 0)
            return byTagOk;
        const byTagPreferred = flagOrder(fa, fb, solver_graph/* P_TAG_PREFERRED */.EM);
        if (byTagPreferred !== 0)
            return byTagPreferred;
        const byRequested = versionOrder(versionA, versionB);
        if (byRequested !== 0)
            return byRequested;
        if (g.pkgName[a] === g.pkgName[b]) {
            const byPrincipal = versionOrder(g.pkgVersion[a], g.pkgVersion[b]);
            if (byPrincipal !== 0)
                return byPrincipal;
        }
        const byPriority = g.pkgPriority[a] - g.pkgPriority[b];
        if (byPriority !== 0)
            return byPriority;
        // Lowest repository wins: compare the first set bit.
        return lowestBit(g.pkgRepos[b]) - lowestBit(g.pkgRepos[a]);
    }
    markError(pkg) {
        if (pkg === solver_graph/* NO_PKG */.NX || this.pkgIs(pkg, solver_graph/* P_ERROR */.sG))
            return;
        this.setPkg(pkg, solver_graph/* P_ERROR */.sG, true);
        this.errors++;
    }
    queueDirty(name) {
        const f = this.nflags[name];
        if (f & (solver_graph/* N_IN_DIRTY */.Mg | solver_graph/* N_LOCKED */.m8))
            return;
        if (this.graph.requirers[name] === 0 && !(f & solver_graph/* N_REEVALUATE_IIF */.ru))
            return;
        this.nflags[name] = f | solver_graph/* N_IN_DIRTY */.Mg;
        this.dirty.push(name);
    }
    /**
     * apk's `queue_unresolved`, called after everything that may change whether a name is forced
     * or how it is ordered (reconsiderName, a name's first requirer): so it also offers the name to
     * the heaps as it now stands.
     */
    queueUnresolved(name) {
        const f = this.nflags[name];
        if (f & solver_graph/* N_LOCKED */.m8)
            return;
        const want = this.graph.requirers[name] > 0 || (f & (solver_graph/* N_HAS_IIF */.ft | solver_graph/* N_IIF_NEEDED */.kU)) !== 0;
        if (!want) {
            if (f & solver_graph/* N_IN_UNRESOLVED */.VK)
                this.dropUnresolved(name);
            return;
        }
        if (!(f & solver_graph/* N_IN_UNRESOLVED */.VK)) {
            this.nflags[name] = f | solver_graph/* N_IN_UNRESOLVED */.VK;
            this.unresolvedAt[name] = ++this.added;
        }
        const at = this.unresolvedAt[name];
        if (this.isForced(name))
            this.forcedNames.push(name, at, 0, 0);
        const auto = (f & solver_graph/* N_HAS_AUTO_SELECTABLE */.fX) !== 0 ? 1 : 0;
        this.orderedNames.push(name, auto, this.graph.orderId[name], at);
    }
    dropUnresolved(name) {
        this.setName(name, solver_graph/* N_IN_UNRESOLVED */.VK, false);
    }
    /**
     * Whether the name's choice is forced: all its reverse dependencies resolved, required, and a
     * single auto-selectable option.
     */
    isForced(name) {
        const f = this.nflags[name];
        const forced = solver_graph/* N_REVERSE_DEPS_DONE */.ML | solver_graph/* N_HAS_AUTO_SELECTABLE */.fX;
        return (f & forced) === forced && this.graph.requirers[name] > 0 && !(f & solver_graph/* N_HAS_OPTIONS */.dX);
    }
    /** Whether a heap's top entry, pushed for a name at place `at`, is still that name's. */
    stillUnresolved(name, at) {
        return this.nameIs(name, solver_graph/* N_IN_UNRESOLVED */.VK) && this.unresolvedAt[name] === at;
    }
    reevaluateReverseDeps(name) {
        const g = this.graph;
        for (let i = g.rdepStart[name]; i < g.rdepStart[name + 1]; i++) {
            const name0 = g.rdeps[i];
            if (!this.nameIs(name0, solver_graph/* N_SEEN */.fz))
                continue;
            this.setName(name0, solver_graph/* N_REEVALUATE_DEPS */.D, true);
            this.queueDirty(name0);
        }
    }
    reevaluateReverseInstallIf(name) {
        const g = this.graph;
        for (let i = g.riifStart[name]; i < g.riifStart[name + 1]; i++) {
            const name0 = g.riifs[i];
            if ((this.nflags[name0] & (solver_graph/* N_SEEN */.fz | solver_graph/* N_NO_IIF */.eN)) !== solver_graph/* N_SEEN */.fz)
                continue;
            this.setName(name0, solver_graph/* N_REEVALUATE_IIF */.ru, true);
            this.queueDirty(name0);
        }
    }
    reevaluateReverseInstallIfPkg(pkg) {
        const g = this.graph;
        this.reevaluateReverseInstallIf(g.pkgName[pkg]);
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < ls[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
            this.reevaluateReverseInstallIf(g.depName[g.pkgLists[i]]);
        }
    }
    disqualifyPackage(pkg) {
        const g = this.graph;
        this.setPkg(pkg, solver_graph/* P_SELECTABLE */.yS, false);
        this.reevaluateReverseDeps(g.pkgName[pkg]);
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < ls[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
            this.reevaluateReverseDeps(g.depName[g.pkgLists[i]]);
        }
        this.reevaluateReverseInstallIfPkg(pkg);
    }
    dependencySatisfiable(dependent, d) {
        const g = this.graph;
        const name = g.depName[d];
        const dep = g.dep(d);
        if (this.nameIs(name, solver_graph/* N_LOCKED */.m8))
            return (0,solver_graph/* isProvidedByChosen */.Zk)(g, dep, name, dependent);
        if (g.requirers[name] === 0 && (0,solver_graph/* isProvided */.ci)(g, dep, solver_graph/* NO_PKG */.NX, undefined, dependent))
            return true;
        for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
            const pkg = g.provPkg[e];
            if (this.pkgIs(pkg, solver_graph/* P_SELECTABLE */.yS) && (0,solver_graph/* isProvided */.ci)(g, dep, pkg, g.provVersion(e), dependent)) {
                return true;
            }
        }
        return false;
    }
    /**
     * apk's `discover_name` for each world name in order: depth first over dependencies, reverse
     * install_if, provides and install_if conditions, marking what it reaches; a name gets its id
     * after its dependencies, so world names get the largest. It visits most of an index, so it
     * runs in WebAssembly (discover.ts).
     */
    discoverWorld(names) {
        this.orderCount = discoverWorld(this.graph, names, this.defaultRepos, this.orderCount);
    }
    nameRequirersChanged(name) {
        this.queueUnresolved(name);
        this.reevaluateReverseInstallIf(name);
        this.queueDirty(name);
    }
    inheritPinning(pkg, parent) {
        const g = this.graph;
        if (parent !== solver_graph/* NO_PKG */.NX) {
            g.pinningAllowed[pkg] |= g.pinningAllowed[parent];
        }
        else {
            // A world dependency: its tag is allowed and also preferred.
            g.pinningAllowed[pkg] |= this.pinningInherit;
            g.pinningPreferred[pkg] = this.pinningInherit;
            const preferred = (g.pkgRepos[pkg] & (0,solver_graph/* pinningMaskRepos */.P6)(g, g.pinningPreferred[pkg])) !== 0;
            this.setPkg(pkg, solver_graph/* P_TAG_PREFERRED */.EM, preferred);
        }
        if ((g.pkgRepos[pkg] & (0,solver_graph/* pinningMaskRepos */.P6)(g, g.pinningAllowed[pkg])) !== 0) {
            this.setPkg(pkg, solver_graph/* P_TAG_OK */.nS, true);
        }
    }
    /** apk's `apply_constraint`: dependency `dep` on `name`, of `parent` (NO_PKG: the world). */
    applyConstraint(parent, dep, name) {
        const g = this.graph;
        if (!dep.conflict) {
            g.requirers[name]++;
            if (g.requirers[name] === 1)
                this.nameRequirersChanged(name);
        }
        for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
            const pkg0 = g.provPkg[e];
            const provided = (0,solver_graph/* isProvided */.ci)(g, dep, pkg0, g.provVersion(e), parent);
            if (!provided)
                g.conflicts[pkg0]++;
            if (this.pkgIs(pkg0, solver_graph/* P_SELECTABLE */.yS) && g.conflicts[pkg0] > 0)
                this.disqualifyPackage(pkg0);
            if (provided)
                this.inheritPinning(pkg0, parent);
        }
    }
    applyDependency(parent, d) {
        this.applyConstraint(parent, this.graph.dep(d), this.graph.depName[d]);
    }
    /**
     * Provides transitivity: every remaining provider of `name` must also provide `mustProvide`
     * (or, with `skipVirtuals`, provide some name without a version). Asked for each name a chosen
     * package provides, of each other provider: scanning that provider's provides each time made a
     * package of 2,000 provides take 13 s (the work grew with the cube), so the shorter of the two
     * lists is searched, and whether a package has an unversioned provides is found once.
     */
    excludeNonProviders(name, mustProvide, skipVirtuals) {
        if (name === mustProvide)
            return;
        const g = this.graph;
        for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
            const pkg = g.provPkg[e];
            if (g.pkgName[pkg] === mustProvide || !this.pkgIs(pkg, solver_graph/* P_SELECTABLE */.yS))
                continue;
            if (skipVirtuals && g.provVersion(e) === undefined)
                continue;
            const keeps = (skipVirtuals && this.hasUnversionedProvides(pkg)) || this.provides(pkg, mustProvide);
            if (!keeps)
                this.disqualifyPackage(pkg);
        }
    }
    /** Whether `pkg` lists `name` among its provides (its own name aside). */
    provides(pkg, name) {
        const g = this.graph;
        const first = g.pkgListStart[pkg * 3 + solver_graph/* PROVIDES */.ZN];
        const end = g.pkgListStart[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1];
        if (end - first <= g.provStart[name + 1] - g.provStart[name]) {
            for (let i = first; i < end; i++)
                if (g.depName[g.pkgLists[i]] === name)
                    return true;
            return false;
        }
        // The name's providers list each package once per provides entry naming it (OWN: its own).
        for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
            if (g.provPkg[e] === pkg && g.provDep[e] !== solver_graph/* OWN */.ZF)
                return true;
        }
        return false;
    }
    /** Whether `pkg` provides a name without a version (worked out once a solve per package). */
    hasUnversionedProvides(pkg) {
        let known = this.unversionedProvides[pkg];
        if (known === 0) {
            const g = this.graph;
            known = 1;
            for (let i = g.pkgListStart[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < g.pkgListStart[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
                if (g.dep(g.pkgLists[i]).version === undefined) {
                    known = 2;
                    break;
                }
            }
            this.unversionedProvides[pkg] = known;
        }
        return known === 2;
    }
    /** Re-runs the install_if test of a package once every name it mentions is decided. */
    evaluateInstallIf(pkg) {
        const g = this.graph;
        this.setPkg(pkg, solver_graph/* P_IIF_TRIGGERED */.o4, true);
        this.setPkg(pkg, solver_graph/* P_IIF_FAILED */.Ww, false);
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* INSTALL_IF */.wU]; i < ls[pkg * 3 + solver_graph/* INSTALL_IF */.wU + 1]; i++) {
            const d = g.pkgLists[i];
            const name = g.depName[d];
            const dep = g.dep(d);
            if (!this.nameIs(name, solver_graph/* N_LOCKED */.m8)) {
                if (dep.conflict) {
                    // A conflict can only be settled once that name is resolved, so resolve it.
                    this.setName(name, solver_graph/* N_IIF_NEEDED */.kU, true);
                    this.queueUnresolved(name);
                }
                this.setPkg(pkg, solver_graph/* P_IIF_TRIGGERED */.o4, false);
                return;
            }
            if (!(0,solver_graph/* isProvidedByChosen */.Zk)(g, dep, name, pkg)) {
                this.setPkg(pkg, solver_graph/* P_IIF_TRIGGERED */.o4, false);
                this.setPkg(pkg, solver_graph/* P_IIF_FAILED */.Ww, true);
                return;
            }
        }
    }
    dependsSatisfiable(pkg) {
        const g = this.graph;
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* DEPENDS */.iS]; i < ls[pkg * 3 + solver_graph/* DEPENDS */.iS + 1]; i++) {
            if (!this.dependencySatisfiable(pkg, g.pkgLists[i]))
                return false;
        }
        return true;
    }
    reconsiderName(name) {
        const g = this.graph;
        const reevaluateDeps = this.nameIs(name, solver_graph/* N_REEVALUATE_DEPS */.D);
        const reevaluateIif = this.nameIs(name, solver_graph/* N_REEVALUATE_IIF */.ru);
        this.nflags[name] &= ~(solver_graph/* N_REEVALUATE_DEPS */.D | solver_graph/* N_REEVALUATE_IIF */.ru);
        let firstCandidate = solver_graph/* NO_PKG */.NX;
        let numOptions = 0;
        let numTagNotOk = 0;
        let hasIif = false;
        let noIif = true;
        let hasAutoSelectable = false;
        const ls = g.pkgListStart;
        for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
            const pkg = g.provPkg[e];
            this.setPkg(pkg, solver_graph/* P_DEPENDENCIES_MERGED */.W7, false);
            if (reevaluateDeps) {
                if (!this.pkgIs(pkg, solver_graph/* P_SELECTABLE */.yS))
                    continue;
                if (!this.dependsSatisfiable(pkg))
                    this.disqualifyPackage(pkg);
            }
            if (!this.pkgIs(pkg, solver_graph/* P_SELECTABLE */.yS))
                continue;
            if (reevaluateIif && !this.pkgIs(pkg, solver_graph/* P_IIF_TRIGGERED */.o4 | solver_graph/* P_IIF_FAILED */.Ww)) {
                this.evaluateInstallIf(pkg);
            }
            const triggered = this.pkgIs(pkg, solver_graph/* P_IIF_TRIGGERED */.o4);
            if (reevaluateIif && triggered) {
                for (let i = ls[pkg * 3 + solver_graph/* INSTALL_IF */.wU]; i < ls[pkg * 3 + solver_graph/* INSTALL_IF */.wU + 1]; i++) {
                    this.inheritPinning(pkg, g.chosenPkg[g.depName[g.pkgLists[i]]]);
                }
            }
            hasIif ||= triggered;
            noIif &&= this.pkgIs(pkg, solver_graph/* P_IIF_FAILED */.Ww);
            hasAutoSelectable ||= triggered;
            if (g.requirers[name] === 0)
                continue;
            this.setPkg(pkg, solver_graph/* P_DEPENDENCIES_MERGED */.W7, true);
            if (firstCandidate === solver_graph/* NO_PKG */.NX)
                firstCandidate = pkg;
            this.mergeCandidate(pkg, g.provVersion(e), numOptions);
            if (!this.pkgIs(pkg, solver_graph/* P_TAG_OK */.nS))
                numTagNotOk++;
            numOptions++;
            hasAutoSelectable ||= this.isProviderAutoSelectable(pkg, g.provVersion(e));
        }
        this.setName(name, solver_graph/* N_HAS_OPTIONS */.dX, numOptions > 1 || numTagNotOk > 0);
        this.setName(name, solver_graph/* N_HAS_IIF */.ft, hasIif);
        this.setName(name, solver_graph/* N_NO_IIF */.eN, noIif);
        this.setName(name, solver_graph/* N_HAS_AUTO_SELECTABLE */.fX, hasAutoSelectable);
        if (firstCandidate !== solver_graph/* NO_PKG */.NX)
            this.propagateCommon(name, firstCandidate, numOptions);
        let reverseDepsDone = true;
        for (let i = g.rdepStart[name]; i < g.rdepStart[name + 1] && reverseDepsDone; i++) {
            reverseDepsDone = (this.nflags[g.rdeps[i]] & (solver_graph/* N_SEEN */.fz | solver_graph/* N_LOCKED */.m8)) !== solver_graph/* N_SEEN */.fz;
        }
        this.setName(name, solver_graph/* N_REVERSE_DEPS_DONE */.ML, reverseDepsDone);
        this.queueUnresolved(name);
    }
    /** Counts, per dependency and provided name, how many candidates share it (apk's merge_index). */
    mergeCandidate(pkg, version, numOptions) {
        const g = this.graph;
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* DEPENDS */.iS]; i < ls[pkg * 3 + solver_graph/* DEPENDS */.iS + 1]; i++) {
            const d = g.pkgLists[i];
            const n = g.depName[d];
            if (!g.dep(d).conflict && g.mergeDepends[n] === numOptions)
                g.mergeDepends[n]++;
        }
        const own = g.pkgName[pkg];
        if (g.mergeProvides[own] === numOptions) {
            g.mergeProvides[own]++;
            if (version === undefined)
                this.setName(own, solver_graph/* N_HAS_VIRTUAL_PROVIDES */.fH, true);
        }
        for (let i = ls[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < ls[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
            const d = g.pkgLists[i];
            const n = g.depName[d];
            if (g.mergeProvides[n] === numOptions) {
                g.mergeProvides[n]++;
                if (g.dep(d).version === undefined)
                    this.setName(n, solver_graph/* N_HAS_VIRTUAL_PROVIDES */.fH, true);
            }
        }
    }
    /** Applies what every remaining candidate of `name` has in common. */
    propagateCommon(name, pkg, numOptions) {
        const g = this.graph;
        for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
            const pkg0 = g.provPkg[e];
            this.setPkg(pkg0, solver_graph/* P_DEPENDENCIES_USED */.bk, this.pkgIs(pkg0, solver_graph/* P_DEPENDENCIES_MERGED */.W7));
        }
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* DEPENDS */.iS]; i < ls[pkg * 3 + solver_graph/* DEPENDS */.iS + 1]; i++) {
            const d = g.pkgLists[i];
            const n = g.depName[d];
            const complete = takeMerge(g.mergeDepends, n, numOptions);
            if (!complete)
                continue;
            if (numOptions === 1) {
                this.applyDependency(pkg, d);
            }
            else if (g.requirers[n] === 0) {
                // A name every candidate depends on is required whichever candidate wins.
                g.requirers[n]++;
                this.nameRequirersChanged(n);
                for (let e = g.provStart[n]; e < g.provStart[n + 1]; e++) {
                    this.inheritPinning(g.provPkg[e], pkg);
                }
            }
        }
        const own = g.pkgName[pkg];
        if (takeMerge(g.mergeProvides, own, numOptions)) {
            this.excludeNonProviders(own, name, this.nameIs(own, solver_graph/* N_HAS_VIRTUAL_PROVIDES */.fH));
        }
        for (let i = ls[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < ls[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
            const n = g.depName[g.pkgLists[i]];
            if (takeMerge(g.mergeProvides, n, numOptions)) {
                this.excludeNonProviders(n, name, this.nameIs(n, solver_graph/* N_HAS_VIRTUAL_PROVIDES */.fH));
            }
        }
        this.setName(own, solver_graph/* N_HAS_VIRTUAL_PROVIDES */.fH, false);
        for (let i = ls[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < ls[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
            this.setName(g.depName[g.pkgLists[i]], solver_graph/* N_HAS_VIRTUAL_PROVIDES */.fH, false);
        }
    }
    /** apk's `assign_name`: `pkg` (NO_PKG: none) provides `name` under the version of `source`. */
    assignName(name, pkg, source) {
        const g = this.graph;
        const version = g.versionOf(pkg, source);
        if (this.nameIs(name, solver_graph/* N_LOCKED */.m8)) {
            // Two packages may both provide a name without a version; anything else is a conflict.
            if (version === undefined && g.chosenVersion(name) === undefined)
                return;
            this.markError(pkg);
            this.markError(g.chosenPkg[name]);
            return;
        }
        this.setName(name, solver_graph/* N_LOCKED */.m8, true);
        g.chosenPkg[name] = pkg;
        g.chosenDep[name] = source;
        if (this.nameIs(name, solver_graph/* N_IN_UNRESOLVED */.VK))
            this.dropUnresolved(name);
        this.setName(name, solver_graph/* N_IN_DIRTY */.Mg, false);
        const ls = g.pkgListStart;
        if (pkg !== solver_graph/* NO_PKG */.NX && g.requirers[name] === 0 && this.pkgIs(pkg, solver_graph/* P_IIF_TRIGGERED */.o4)) {
            for (let i = ls[pkg * 3 + solver_graph/* INSTALL_IF */.wU]; i < ls[pkg * 3 + solver_graph/* INSTALL_IF */.wU + 1]; i++) {
                const d = g.pkgLists[i];
                if (!this.nameIs(g.depName[d], solver_graph/* N_LOCKED */.m8))
                    this.applyDependency(pkg, d);
            }
        }
        for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
            const pkg0 = g.provPkg[e];
            if (pkg0 === pkg)
                continue;
            if (version === undefined && g.provVersion(e) === undefined)
                continue;
            this.disqualifyPackage(pkg0);
        }
        this.reevaluateReverseDeps(name);
        if (pkg !== solver_graph/* NO_PKG */.NX)
            this.reevaluateReverseInstallIfPkg(pkg);
        else
            this.reevaluateReverseInstallIf(name);
    }
    /** The provider entry to pick for `name`, or -1 for none. */
    bestProvider(name) {
        const g = this.graph;
        let chosen = -1;
        const required = g.requirers[name] > 0;
        if (!required && !this.nameIs(name, solver_graph/* N_HAS_IIF */.ft))
            return chosen;
        for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
            const pkg = g.provPkg[e];
            if (!required) {
                const wanted = solver_graph/* P_IIF_TRIGGERED */.o4 | solver_graph/* P_TAG_OK */.nS | solver_graph/* P_SELECTABLE */.yS;
                if ((this.pflags[pkg] & wanted) !== wanted)
                    continue;
            }
            const version = g.provVersion(e);
            if (!this.isProviderAutoSelectable(pkg, version))
                continue;
            const best = chosen < 0 ? solver_graph/* NO_PKG */.NX : g.provPkg[chosen];
            const bestVersion = chosen < 0 ? undefined : g.provVersion(chosen);
            if (this.compareProviders(pkg, version, best, bestVersion) > 0)
                chosen = e;
        }
        return chosen;
    }
    selectPackage(name) {
        const g = this.graph;
        const best = this.bestProvider(name);
        if (best < 0) {
            this.assignName(name, solver_graph/* NO_PKG */.NX, solver_graph/* OWN */.ZF);
            if (g.requirers[name] > 0)
                this.errors++;
            return;
        }
        const pkg = g.provPkg[best];
        // Selecting a broken or disallowed package records the error and goes on, like apk.
        if (!this.pkgIs(pkg, solver_graph/* P_SELECTABLE */.yS) || !this.pkgIs(pkg, solver_graph/* P_TAG_OK */.nS))
            this.markError(pkg);
        this.assignName(g.pkgName[pkg], pkg, solver_graph/* OWN */.ZF);
        const ls = g.pkgListStart;
        for (let i = ls[pkg * 3 + solver_graph/* PROVIDES */.ZN]; i < ls[pkg * 3 + solver_graph/* PROVIDES */.ZN + 1]; i++) {
            const d = g.pkgLists[i];
            this.assignName(g.depName[d], pkg, d);
        }
        for (let i = ls[pkg * 3 + solver_graph/* DEPENDS */.iS]; i < ls[pkg * 3 + solver_graph/* DEPENDS */.iS + 1]; i++) {
            this.applyDependency(pkg, g.pkgLists[i]);
        }
    }
    /** Drains the dirty queue: every name whose inputs changed is reconsidered. */
    drainDirty() {
        while (this.dirtyHead < this.dirty.length) {
            const name = this.dirty[this.dirtyHead++];
            if (!this.nameIs(name, solver_graph/* N_IN_DIRTY */.Mg))
                continue;
            this.setName(name, solver_graph/* N_IN_DIRTY */.Mg, false);
            this.reconsiderName(name);
        }
        this.dirty.length = 0;
        this.dirtyHead = 0;
    }
    /**
     * The next name to decide, as apk's scan of its unresolved list finds it: the first (newest)
     * whose choice is forced; otherwise the first of those with an auto-selectable provider, else
     * of all, with the highest discovery id. -1: none left.
     */
    nextName() {
        const forced = this.forcedNames;
        for (; forced.size > 0; forced.pop()) {
            const name = forced.name;
            if (this.stillUnresolved(name, forced.first) && this.isForced(name))
                return name;
        }
        const ordered = this.orderedNames;
        for (; ordered.size > 0; ordered.pop()) {
            const name = ordered.name;
            const auto = this.nameIs(name, solver_graph/* N_HAS_AUTO_SELECTABLE */.fX) ? 1 : 0;
            if (this.stillUnresolved(name, ordered.third) && ordered.first === auto)
                return name;
        }
        return -1;
    }
    applyWorld(world, tagIds) {
        world.forEach((d, i) => {
            this.pinningInherit = 1 << tagIds[i];
            this.applyConstraint(solver_graph/* NO_PKG */.NX, d.dep, d.name);
        });
        this.pinningInherit = 0;
    }
}
/** Reads and resets a merge counter: true when all `numOptions` candidates shared the name. */
function takeMerge(counters, name, numOptions) {
    const complete = counters[name] === numOptions;
    counters[name] = 0;
    return complete;
}

// EXTERNAL MODULE: ./src/apk/formats/dependency.ts
var dependency = __nccwpck_require__(908);
;// CONCATENATED MODULE: ./src/apk/solver/explain.ts
/**
 * Explains a failed solve the way apk-tools 2.14 does (`apk_solver_print_errors`): names the world
 * or a chosen package needs but nothing provides, then each package of the attempted changeset
 * with what masks it, what it conflicts with, which dependencies it breaks and which it satisfies.
 * Each problem is one block: a label line and indented `key: item item\u{2026}` lines.
 */


const PRESENT = 1;
const MISSING = 2;
const VIRTUAL_ONLY = 4;
const INSTALLIF = 8;
const SATISFIES = 1;
const CONFLICTS = 2;
/**
 * The most items one line of a problem lists, and the most problems listed: a hostile index can
 * make thousands (a package providing one name 2,000 times made 4 million conflicts, 144 MB).
 */
const MAX_ITEMS = 32;
const MAX_PROBLEMS = 64;
/**
 * Steps (dependencies and providers looked at) the whole explanation may take; past them it
 * stops and says so. A real failure takes a few thousand; a hub of 16,000 dependencies with one
 * missing name took 28 s before this bound.
 */
const WORK_BUDGET = 5_000_000;
/** One problem block under construction. */
class Problem {
    label;
    lines = [];
    constructor(label) {
        this.label = label;
    }
    add(key, item) {
        const last = this.lines[this.lines.length - 1];
        if (last !== undefined && last[0] === key) {
            if (last[1].length < MAX_ITEMS)
                last[1].push(item);
            else
                last[2]++;
        }
        else
            this.lines.push([key, [item], 0]);
    }
    get empty() {
        return this.lines.length === 0;
    }
    toString() {
        const body = this.lines.map(([key, items, more]) => {
            const rest = more > 0 ? ` \u2026 and ${more} more` : '';
            return `\n    ${key} ${items.join(' ')}${rest}`;
        });
        return `${this.label}:${body.join('')}`;
    }
}
/** A package's dependencies of one kind (DEPENDS, PROVIDES, INSTALL_IF), as world deps are. */
function listOf(graph, pkg, which) {
    const out = [];
    const ls = graph.pkgListStart;
    for (let i = ls[pkg * 3 + which]; i < ls[pkg * 3 + which + 1]; i++) {
        const d = graph.pkgLists[i];
        out.push({ dep: graph.dep(d), name: graph.depName[d] });
    }
    return out;
}
/** The package numbers providing `name`, one per provider entry, with the versions. */
function providersOf(graph, name) {
    const out = [];
    for (let e = graph.provStart[name]; e < graph.provStart[name + 1]; e++) {
        out.push({ pkg: graph.provPkg[e], version: graph.provVersion(e) });
    }
    return out;
}
function reverseDepends(graph, name) {
    return Array.from(graph.rdeps.subarray(graph.rdepStart[name], graph.rdepStart[name + 1]));
}
function reverseInstallIf(graph, name) {
    return Array.from(graph.riifs.subarray(graph.riifStart[name], graph.riifStart[name + 1]));
}
class FailureReport {
    graph;
    world;
    changeset;
    nameFlags = new Map();
    pkgFlags = new Map();
    marked;
    problems = [];
    left = WORK_BUDGET;
    provided;
    suggested = 0;
    constructor(graph, world, changeset) {
        this.graph = graph;
        this.world = world;
        this.changeset = changeset;
        this.marked = new Set(changeset);
    }
    pkgVer(pkg) {
        const whole = this.graph.pkg(pkg);
        return `${whole.name}-${whole.version}`;
    }
    depText(owner, dep) {
        return `${owner === solver_graph/* NO_PKG */.NX ? 'world' : this.pkgVer(owner)}[${(0,dependency/* formatDependency */.pP)(dep)}]`;
    }
    /** apk_dep_analyze: how `dep` (of `dependent`) relates to installing `pkg`. */
    analyzeDep(dependent, dep, pkg) {
        const g = this.graph;
        if (dep.name === g.names[g.pkgName[pkg]]) {
            const provided = (0,solver_graph/* isProvided */.ci)(g, dep, pkg, g.pkg(pkg).version, dependent);
            return provided ? SATISFIES : CONFLICTS;
        }
        const provide = listOf(g, pkg, solver_graph/* PROVIDES */.ZN).find((p) => g.names[p.name] === dep.name);
        if (provide === undefined)
            return 0;
        return (0,solver_graph/* isProvided */.ci)(g, dep, pkg, provide.dep.version, dependent) ? SATISFIES : CONFLICTS;
    }
    isNameConcrete(pkg, name) {
        if (this.graph.pkgName[pkg] === name)
            return true;
        return listOf(this.graph, pkg, solver_graph/* PROVIDES */.ZN).some((d) => d.name === name && d.dep.version !== undefined);
    }
    flags(name) {
        return this.nameFlags.get(name) ?? 0;
    }
    flag(name, state) {
        this.nameFlags.set(name, this.flags(name) | state);
    }
    /** Marks which names the attempted changeset makes present, as apk's error printer does. */
    discoverDeps(deps) {
        for (const d of deps)
            if (!d.dep.conflict)
                this.discoverName(d.name, PRESENT);
    }
    discoverName(name, pkgState) {
        const g = this.graph;
        for (const { pkg } of providersOf(g, name)) {
            if (!this.marked.has(pkg))
                continue;
            let state = pkgState;
            if (g.pkg(pkg).providerPriority === 0 && !this.isNameConcrete(pkg, name)) {
                state = VIRTUAL_ONLY;
            }
            const seen = this.pkgFlags.get(pkg) ?? 0;
            if (seen & state)
                continue;
            this.pkgFlags.set(pkg, seen | state);
            this.flag(g.pkgName[pkg], state);
            const provides = listOf(g, pkg, solver_graph/* PROVIDES */.ZN);
            for (const d of provides) {
                const unversionedIif = state === INSTALLIF && d.dep.version === undefined;
                this.flag(d.name, unversionedIif ? VIRTUAL_ONLY : state);
            }
            this.discoverDeps(listOf(g, pkg, solver_graph/* DEPENDS */.iS));
            if (state === PRESENT || state === INSTALLIF) {
                this.discoverReverseIif(g.pkgName[pkg]);
                for (const d of provides)
                    this.discoverReverseIif(d.name);
            }
        }
    }
    discoverReverseIif(name) {
        const g = this.graph;
        for (const name0 of reverseInstallIf(g, name)) {
            for (const { pkg } of providersOf(g, name0)) {
                const installIf = listOf(g, pkg, solver_graph/* INSTALL_IF */.wU);
                if (!this.marked.has(pkg) || installIf.length === 0)
                    continue;
                const ok = installIf.every((d) => d.dep.conflict !== ((this.flags(d.name) & (PRESENT | INSTALLIF)) !== 0));
                if (!ok)
                    continue;
                this.discoverName(g.pkgName[pkg], INSTALLIF);
                for (const d of listOf(g, pkg, solver_graph/* PROVIDES */.ZN))
                    this.discoverName(d.name, INSTALLIF);
            }
        }
    }
    analyzeDeps(deps) {
        for (const d of deps) {
            if (d.dep.conflict)
                continue;
            if (this.flags(d.name) & (INSTALLIF | PRESENT | MISSING))
                continue;
            this.flag(d.name, MISSING);
            this.analyzeMissingName(d.name);
        }
    }
    analyzeMissingName(name) {
        const g = this.graph;
        const text = g.names[name];
        const provided = g.provStart[name + 1] > g.provStart[name];
        let problem;
        if (provided) {
            problem = new Problem(`${text} (virtual)`);
            problem.add('note:', "please select one of the 'provided by' packages explicitly");
            for (const item of this.providedBy(name))
                problem.add('provided by:', item);
        }
        else {
            problem = new Problem(`${text} (no such package)`);
        }
        for (const item of this.requiredBy(name))
            problem.add('required by:', item);
        // Suggestions for the first few names only: each looks at every name of the index.
        if (!provided && this.suggested++ < MAX_SUGGESTED) {
            this.provided ??= g.providedNames();
            const close = suggestNames(g, text, this.provided);
            if (close.length > 0)
                problem.add('did you mean:', `${close.join(', ')}?`);
        }
        this.problems.push(problem.toString());
    }
    requiredBy(name) {
        const g = this.graph;
        const items = [];
        for (const d of this.world) {
            if (d.name === name && !d.dep.conflict)
                items.push(this.depText(solver_graph/* NO_PKG */.NX, d.dep));
        }
        const visited = new Set();
        for (const name0 of reverseDepends(g, name)) {
            // apk looks at the first marked provider of each reverse dependency only.
            const pkg0 = providersOf(g, name0)
                .map((p) => p.pkg)
                .find((pkg) => this.marked.has(pkg) && !visited.has(pkg));
            if (pkg0 === undefined)
                continue;
            visited.add(pkg0);
            const dep = listOf(g, pkg0, solver_graph/* DEPENDS */.iS).find((d) => d.name === name && !d.dep.conflict);
            if (dep !== undefined)
                items.push(this.depText(pkg0, dep.dep));
        }
        return items;
    }
    /** Takes `steps` of the work budget; false once it is spent. */
    spend(steps) {
        this.left -= steps;
        return this.left > 0;
    }
    analyzePackage(pkg) {
        const problem = new Problem(this.pkgVer(pkg));
        this.pinningErrors(problem, pkg);
        this.conflicts(problem, pkg);
        this.deps(problem, pkg, CONFLICTS);
        if (!problem.empty)
            this.deps(problem, pkg, SATISFIES);
        if (!problem.empty)
            this.problems.push(problem.toString());
    }
    pinningErrors(problem, pkg) {
        const g = this.graph;
        if (g.pkgInstallable[pkg] === 0)
            problem.add('masked in:', `arch ${g.pkg(pkg).arch ?? ''}`);
        const tag = (0,solver_graph/* packageTag */.XF)(g, pkg);
        if (g.pkgRepos[pkg] & (0,solver_graph/* pinningMaskRepos */.P6)(g, 1 | (1 << tag)))
            return;
        g.tags.forEach((name, id) => {
            if (g.pkgRepos[pkg] & g.tagRepos[id])
                problem.add('masked in:', `@${name}`);
        });
    }
    conflicts(problem, pkg) {
        const g = this.graph;
        for (const p of providersOf(g, g.pkgName[pkg])) {
            if (p.pkg === pkg || !this.marked.has(p.pkg))
                continue;
            problem.add('conflicts:', this.pkgVer(p.pkg));
        }
        // Each provided name and version once: one listed thousands of times says no more.
        const seen = new Set();
        for (const d of listOf(g, pkg, solver_graph/* PROVIDES */.ZN)) {
            const key = `${d.name} ${d.dep.version ?? ''}`;
            if (seen.has(key))
                continue;
            seen.add(key);
            let once = true;
            const providers = providersOf(g, d.name);
            if (!this.spend(providers.length))
                return;
            for (const p of providers) {
                const other = p.pkg;
                if (!this.marked.has(other))
                    continue;
                if (d.dep.version === undefined && p.version === undefined)
                    continue;
                if (once && other === pkg && p.version === d.dep.version) {
                    once = false;
                    continue;
                }
                problem.add('conflicts:', `${this.pkgVer(other)}[${(0,dependency/* formatDependency */.pP)(d.dep)}]`);
            }
        }
    }
    /** The world and changeset dependencies that `pkg` breaks (or satisfies). */
    deps(problem, pkg, match) {
        const g = this.graph;
        const key = match === SATISFIES ? 'satisfies:' : 'breaks:';
        for (const d of this.world) {
            if (this.analyzeDep(solver_graph/* NO_PKG */.NX, d.dep, pkg) & match) {
                problem.add(key, this.depText(solver_graph/* NO_PKG */.NX, d.dep));
            }
        }
        const visited = new Set();
        const names = [g.pkgName[pkg], ...listOf(g, pkg, solver_graph/* PROVIDES */.ZN).map((d) => d.name)];
        for (const name of names) {
            for (const name0 of reverseDepends(g, name)) {
                for (const p0 of providersOf(g, name0)) {
                    const pkg0 = p0.pkg;
                    if (!this.marked.has(pkg0) || visited.has(pkg0))
                        continue;
                    visited.add(pkg0);
                    const depends = listOf(g, pkg0, solver_graph/* DEPENDS */.iS);
                    if (!this.spend(depends.length))
                        return;
                    for (const d0 of depends) {
                        if (this.analyzeDep(pkg0, d0.dep, pkg) & match) {
                            problem.add(key, this.depText(pkg0, d0.dep));
                        }
                    }
                }
            }
        }
    }
    run() {
        this.discoverDeps(this.world);
        this.analyzeDeps(this.world);
        for (const pkg of this.changeset) {
            if (this.left <= 0 || this.problems.length >= MAX_PROBLEMS)
                break;
            this.analyzePackage(pkg);
            this.analyzeDeps(listOf(this.graph, pkg, solver_graph/* DEPENDS */.iS));
        }
        if (this.problems.length === 0) {
            this.problems.push('the solver found no consistent set of packages but no single cause');
        }
        if (this.left <= 0 || this.problems.length > MAX_PROBLEMS) {
            const shown = this.problems.slice(0, MAX_PROBLEMS);
            shown.push('and more: the explanation stops here (the repositories make it too large to list)');
            return shown;
        }
        return this.problems;
    }
    /** apk's "provided by" list: a package name when all its versions provide the name, else name-version. */
    providedBy(name) {
        const g = this.graph;
        const refs = new Map();
        const providers = providersOf(g, name);
        for (const p of providers) {
            const real = g.pkgName[p.pkg];
            refs.set(real, (refs.get(real) ?? 0) + 1);
        }
        const items = [];
        for (const p of providers) {
            const own = g.pkgName[p.pkg];
            const count = refs.get(own) ?? 0;
            if (count === g.provStart[own + 1] - g.provStart[own]) {
                items.push(g.names[own]);
                refs.set(own, 0);
            }
            else if (count > 0) {
                items.push(this.pkgVer(p.pkg));
                refs.set(own, count - 1);
            }
        }
        return items;
    }
}
/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
function editDistance(a, b) {
    let before = [];
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
                cur[j] = Math.min(cur[j], before[j - 2] + 1);
            }
        }
        before = prev;
        prev = cur;
    }
    return prev[b.length];
}
const MAX_SUGGESTIONS = 5;
/** Missing names that get suggestions. */
const MAX_SUGGESTED = 8;
/**
 * Names from the index close to a name nothing provides: a few typos away, or one extending the
 * other. Closest first, then alphabetical.
 */
function suggestNames(graph, wanted, provided = graph.providedNames()) {
    const limit = wanted.length <= 4 ? 1 : wanted.length <= 8 ? 2 : 3;
    const scored = [];
    for (const name of provided) {
        if (name === wanted)
            continue;
        if (Math.abs(name.length - wanted.length) > limit) {
            // Too far apart to be a typo (no edit distance to work out): only a prefix pair counts.
            if (isPrefixPair(name, wanted))
                scored.push([limit + 1, name]);
            continue;
        }
        const distance = editDistance(wanted, name);
        if (distance <= limit)
            scored.push([distance, name]);
        else if (isPrefixPair(name, wanted))
            scored.push([limit + 1, name]);
    }
    scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
    return scored.slice(0, MAX_SUGGESTIONS).map(([, name]) => name);
}
function isPrefixPair(name, wanted) {
    const min = 3;
    if (wanted.length < min)
        return false;
    return name.startsWith(wanted) || (name.length >= min && wanted.startsWith(name));
}
/** apk-style problem blocks for a solve that ended with errors. */
function explainFailure(graph, world, changeset) {
    return new FailureReport(graph, world, changeset).run();
}

;// CONCATENATED MODULE: ./src/apk/solver/solve.ts
/**
 * Dependency resolution for a fresh install, ported structurally from apk-tools 2.14 `solver.c`
 * so the same world picks the same packages: names are discovered depth-first from the world and
 * numbered in post-order, world constraints disqualify providers, a dirty queue propagates what
 * is known, and when nothing more can be deduced the solver commits to one name (a forced one if
 * any, else the highest-numbered, i.e. closest to the world) and picks its best provider.
 * The result is apk's changeset: dependencies first, in `D:` order, then the package, then the
 * install_if packages that became complete.
 */





/** World order: by name, case-insensitive first (apk sorts world in place before solving). */
function compareNames(a, b) {
    const la = a.toLowerCase();
    const lb = b.toLowerCase();
    if (la !== lb)
        return la < lb ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
}
/** `apk add` semantics: a later dependency on the same name replaces the earlier one. */
function mergeWorld(world) {
    const byName = new Map();
    for (const dep of world)
        byName.set(dep.name, dep);
    return [...byName.values()].sort((a, b) => compareNames(a.name, b.name));
}
/** The world's tags must name configured repositories, as apk checks before solving. */
function worldTagIds(graph, world) {
    const problems = [];
    const ids = world.map((dep) => {
        const tag = (0,solver_graph/* normalizeTag */.CW)(dep.tag);
        const id = graph.tagId(tag);
        if (tag !== '' && (id < 0 || graph.tagRepos[id] === 0)) {
            problems.push(`world[${dep.name}@${tag}]: no repository is tagged @${tag}; tag a repository @${tag} or drop the tag`);
        }
        return Math.max(id, 0);
    });
    return { ids, problems };
}
/**
 * Resolves `world` against `packages` (the opened indexes' tables, or packages already made; in
 * database order: repositories in configured order, index stanzas in order) exactly as apk-tools 2.14 would for an empty root, and returns the packages to
 * install in apk's changeset order. Throws UnsatisfiableError with apk-style problems when the
 * world cannot be satisfied or leaves a choice apk refuses to make.
 */
function solve(world, packages, options) {
    try {
        return solveWorld(world, packages, options);
    }
    catch (error) {
        // Discovery, the changeset and the explanation follow dependencies depth first, as apk does;
        // a chain thousands of packages deep (no real repository has one) runs out of stack.
        if (error instanceof RangeError && /call stack/i.test(error.message)) {
            throw new errors/* FormatError */.IF('the repositories list dependencies that nest thousands of packages deep, deeper than ' +
                'the solver follows; an index is damaged or hostile: check the repositories', { cause: error });
        }
        throw error;
    }
}
function solveWorld(world, packages, options) {
    const graph = (0,solver_graph/* graphFor */.Yo)(packages, options.repositories, options.arch);
    const sortedWorld = mergeWorld(world);
    const { ids, problems } = worldTagIds(graph, sortedWorld);
    if (problems.length > 0)
        throw new errors/* UnsatisfiableError */.jW(problems);
    const worldDeps = sortedWorld.map((dep) => ({ dep, name: graph.name(dep.name) }));
    const solver = new Solver(graph);
    solver.discoverWorld(worldDeps.map((d) => d.name));
    solver.applyWorld(worldDeps, ids);
    for (;;) {
        solver.drainDirty();
        const name = solver.nextName();
        if (name < 0)
            break;
        solver.selectPackage(name);
    }
    const changeset = generateChangeset(graph, worldDeps, (pkg) => solver.markError(pkg));
    if (solver.errors > 0) {
        throw new errors/* UnsatisfiableError */.jW(explainFailure(graph, worldDeps, changeset));
    }
    const tags = new Map();
    const chosen = changeset.map((pkg) => graph.pkg(pkg));
    changeset.forEach((pkg, i) => {
        const tag = (0,solver_graph/* packageTag */.XF)(graph, pkg);
        if (tag !== 0)
            tags.set(chosen[i], graph.tags[tag]);
    });
    return { packages: chosen, tags };
}


/***/ }),

/***/ 443:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Us: () => (/* binding */ emptyPackageInfo),
/* harmony export */   e2: () => (/* binding */ VersionOp),
/* harmony export */   qq: () => (/* binding */ silentLogger),
/* harmony export */   qw: () => (/* binding */ SCRIPT_TYPES)
/* harmony export */ });
/** Bits of a dependency's version operator, as apk-tools defines them. */
const VersionOp = {
    LESS: 1,
    EQUAL: 2,
    GREATER: 4,
    FUZZY: 8,
    /** `<>` / `><`: the "version" is a package identity (Q1\u{2026}). */
    CHECKSUM: 1 | 4,
    /** No operator: any version satisfies. */
    ANY: 1 | 2 | 4
};
/** A PackageInfo with every field empty, for parsers to fill in. */
function emptyPackageInfo() {
    return {
        checksum: '',
        name: '',
        version: '',
        size: 0,
        installedSize: 0,
        description: '',
        url: '',
        license: '',
        buildTime: 0,
        providerPriority: 0,
        depends: [],
        provides: [],
        installIf: [],
        replaces: [],
        replacesPriority: 0,
        triggers: []
    };
}
/** Script types in apk's enum order (the order scripts.tar stores them). */
const SCRIPT_TYPES = [
    'pre-install',
    'post-install',
    'pre-deinstall',
    'post-deinstall',
    'pre-upgrade',
    'post-upgrade',
    'trigger'
];
const silentLogger = {
    info: () => undefined,
    warning: () => undefined,
    debug: () => undefined
};


/***/ }),

/***/ 67:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   HS: () => (/* binding */ archNames),
/* harmony export */   LY: () => (/* binding */ hostArch),
/* harmony export */   YM: () => (/* binding */ findArch)
/* harmony export */ });
/* unused harmony export ARCHES */
/**
 * The one table of architectures: Alpine's names, OCI platform names, the musl loader
 * and the ELF machine number of each. Shared by the engine, the image writer and the action.
 */
const ARCHES = [
    { apk: 'x86_64', oci: 'amd64', muslLoader: 'ld-musl-x86_64.so.1', elfMachine: 62, elfClass: 2 },
    { apk: 'x86', oci: '386', muslLoader: 'ld-musl-i386.so.1', elfMachine: 3, elfClass: 1 },
    {
        apk: 'aarch64',
        oci: 'arm64',
        variant: 'v8',
        muslLoader: 'ld-musl-aarch64.so.1',
        elfMachine: 183,
        elfClass: 2
    },
    {
        apk: 'armv7',
        oci: 'arm',
        variant: 'v7',
        muslLoader: 'ld-musl-armhf.so.1',
        elfMachine: 40,
        elfClass: 1
    },
    {
        apk: 'armhf',
        oci: 'arm',
        variant: 'v6',
        muslLoader: 'ld-musl-armhf.so.1',
        elfMachine: 40,
        elfClass: 1
    },
    {
        apk: 'ppc64le',
        oci: 'ppc64le',
        muslLoader: 'ld-musl-powerpc64le.so.1',
        elfMachine: 21,
        elfClass: 2
    },
    { apk: 's390x', oci: 's390x', muslLoader: 'ld-musl-s390x.so.1', elfMachine: 22, elfClass: 2 },
    {
        apk: 'riscv64',
        oci: 'riscv64',
        muslLoader: 'ld-musl-riscv64.so.1',
        elfMachine: 243,
        elfClass: 2
    },
    {
        apk: 'loongarch64',
        oci: 'loong64',
        muslLoader: 'ld-musl-loongarch64.so.1',
        elfMachine: 258,
        elfClass: 2
    }
];
/** Node's `process.arch` \u{2192} Alpine arch, for the "runner's arch" default. */
const NODE_ARCH = {
    x64: 'x86_64',
    ia32: 'x86',
    arm64: 'aarch64',
    arm: 'armv7',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loongarch64'
};
/**
 * Looks an arch up by Alpine name, or by OCI name (`amd64`, `arm64`, `linux/arm/v7`).
 * Returns undefined for an unknown name.
 */
function findArch(name) {
    const n = name.trim().replace(/^linux\//, '');
    const byApk = ARCHES.find((a) => a.apk === n);
    if (byApk)
        return byApk;
    const [oci, variant] = n.split('/');
    return ARCHES.find((a) => a.oci === oci && (variant === undefined || a.variant === variant || (!a.variant && !variant)));
}
/** The Alpine arch of the machine this runs on. */
function hostArch() {
    return NODE_ARCH[process.arch] ?? process.arch;
}
function archNames() {
    return ARCHES.map((a) => a.apk).join(', ');
}


/***/ }),

/***/ 569:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Ku: () => (/* binding */ LockError),
/* harmony export */   dz: () => (/* binding */ InputError),
/* harmony export */   uV: () => (/* binding */ AppError),
/* harmony export */   zS: () => (/* binding */ BuildError)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(916);
/**
 * Errors of the image assembly: problems with what the user asked for, found before or around
 * the engine's work. Each names the setting (`input`) it is about when there is one, so the
 * action and the CLI can point at it.
 */

/** A bad input value: the message starts with the input's name and says how to fix it. */
class InputError extends _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .WitcheryError */ .q {
    constructor(input, problem) {
        super('INPUT', `input \`${input}\`: ${problem}`, { input });
    }
}
/** The build cannot go on with what it was given (a setting, or what the packages left). */
class BuildError extends _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .WitcheryError */ .q {
    constructor(message, input) {
        super('BUILD', message, { input });
    }
}
/** The app to put in the image cannot work there (missing, wrong arch, linked against glibc). */
class AppError extends BuildError {
    constructor(message) {
        super(message, 'app');
    }
}
/**
 * The lock file cannot be honoured: a locked package is gone from the repositories and the
 * cache, the lock has no entry for an arch, or `packages` asks for what the lock does not hold.
 * The message names the packages and the way out (`lock-update`).
 */
class LockError extends _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .WitcheryError */ .q {
    packages;
    constructor(message, packages = [], options) {
        super('LOCK', message, options);
        this.packages = packages;
    }
}


/***/ }),

/***/ 319:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   C: () => (/* binding */ output),
/* harmony export */   X: () => (/* binding */ outputQueued)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(24);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/**
 * The command line's standard output and error, written with `fs.writeSync` to descriptors 1
 * and 2 rather than through `process.stdout` and `process.stderr`: Node makes those streams on
 * their first use, and for a pipe or a terminal that loads its `net` module (with its
 * diagnostics and performance hooks), 3-4 ms of a cold resolve whose output is read through a
 * pipe. On Windows (where a console takes text through its own calls), and for what a
 * descriptor will not take at once (EAGAIN: a non-blocking pipe whose reader lags), the streams
 * do the writing, and wait for the reader.
 */

/** Whether each stream took over: its writes may still be queued. */
const streamed = { out: false, err: false };
function stream(which) {
    streamed[which] = true;
    return which === 'out' ? process.stdout : process.stderr;
}
function write(fd, which, text) {
    if (process.platform === 'win32' || streamed[which]) {
        stream(which).write(text);
        return;
    }
    const bytes = Buffer.from(text, 'utf8');
    let at = 0;
    try {
        while (at < bytes.length)
            at += node_fs__WEBPACK_IMPORTED_MODULE_0__.writeSync(fd, bytes, at);
    }
    catch (error) {
        const code = error.code;
        // The reader has gone (`witchery resolve \u{2026} | head -1`): what is left has no one to read it.
        if (code === 'EPIPE')
            return;
        if (code !== 'EAGAIN')
            throw error;
        stream(which).write(bytes.subarray(at));
    }
}
/** Where the command line writes: standard output and error. Tests put their own in. */
const output = {
    out: (text) => write(1, 'out', text),
    err: (text) => write(2, 'err', text)
};
/** Whether output is still queued in a stream (the process must then not end at once). */
function outputQueued() {
    return ((streamed.out && process.stdout.writableLength > 0) ||
        (streamed.err && process.stderr.writableLength > 0));
}


/***/ }),

/***/ 80:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Q: () => (/* binding */ crc32)
/* harmony export */ });
/* unused harmony export tableCrc32 */
/* harmony import */ var node_zlib__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(522);
/* harmony import */ var node_zlib__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_zlib__WEBPACK_IMPORTED_MODULE_0__);
/**
 * CRC-32 (IEEE), as gzip trailers carry it: the engine checks gzip members with it and the
 * image writer joins its parallel-deflated blocks into one gzip stream with it.
 */

// zlib.crc32 exists from Node 20.15/22.2; older Node 20 releases fall back to a table.
const nativeCrc32 = node_zlib__WEBPACK_IMPORTED_MODULE_0__.crc32;
let crcTable;
/** CRC-32 computed in JavaScript: the fallback where zlib.crc32 is missing (exported for tests). */
function tableCrc32(data, value = 0) {
    if (!crcTable) {
        crcTable = new Uint32Array(256);
        for (let n = 0; n < 256; n++) {
            let c = n;
            for (let k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
            crcTable[n] = c >>> 0;
        }
    }
    let crc = (value ^ 0xffffffff) >>> 0;
    for (let i = 0; i < data.length; i++)
        crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
}
/** CRC-32 of `data`, continuing from `value` (the CRC of what came before). */
function crc32(data, value = 0) {
    return nativeCrc32 ? nativeCrc32(data, value) >>> 0 : tableCrc32(data, value);
}


/***/ }),

/***/ 916:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   q: () => (/* binding */ WitcheryError)
/* harmony export */ });
/**
 * The one base of witchery's errors. Each layer names its own (src/apk/errors.ts,
 * src/oci/errors.ts, src/assemble/errors.ts); all of them carry a stable `code` for programs,
 * a message for people that says what was wrong and what to do, and, where the problem is a
 * setting, the action input or CLI option it is about (`input`).
 */
class WitcheryError extends Error {
    code;
    /** The action input / CLI option the problem is about, when there is one. */
    input;
    constructor(code, message, options) {
        super(message, options?.cause === undefined ? undefined : { cause: options.cause });
        this.name = new.target.name;
        this.code = code;
        this.input = options?.input;
    }
}


/***/ }),

/***/ 148:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   B7: () => (/* binding */ writeThroughTemp),
/* harmony export */   HT: () => (/* binding */ NotAFolderError),
/* harmony export */   X2: () => (/* binding */ makeDirs),
/* harmony export */   XF: () => (/* binding */ readRegularFile)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(24);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(916);
/* harmony import */ var _lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(200);
/* harmony import */ var _temp_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(369);
/**
 * File-system helpers every layer uses: making folders, and writing a file so nobody ever sees
 * it half written.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.





/** A folder that cannot be made because a file stands where one of its folders must be. */
class NotAFolderError extends _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .WitcheryError */ .q {
    file;
    constructor(file, dir) {
        super('NOT_A_FOLDER', `${file} is a file, not a folder, so ${dir} cannot be made inside it`);
        this.file = file;
    }
}
/**
 * `mkdir -p` one level at a time. Node 20's recursive `fs.mkdir` never settles for some paths
 * (under /proc, for one), which would hang a build on a bad output path instead of failing it.
 * Returns the topmost folder it made (undefined when `dir` existed), so a caller can undo it.
 */
async function makeDirs(dir, mode = 0o755) {
    const absolute = node_path__WEBPACK_IMPORTED_MODULE_1__.resolve(dir);
    const missing = [];
    let current = absolute;
    while (!(await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.stat(current).catch(() => undefined))) {
        missing.unshift(current);
        const parent = node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(current);
        if (parent === current)
            break;
        current = parent;
    }
    if (missing.length > 0 && current !== missing[0]) {
        const stat = await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.stat(current).catch(() => undefined);
        if (stat && !stat.isDirectory())
            throw new NotAFolderError(current, absolute);
    }
    let made;
    for (const part of missing) {
        const created = await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.mkdir(part, { mode }).then(() => true, (error) => {
            if (error.code !== 'EEXIST')
                throw error;
            return false;
        });
        if (created)
            made ??= part;
    }
    return made;
}
/** `.NAME.<owner>.<12 hex>.tmp`: the temporary writeThroughTemp writes NAME through. */
function tempPattern(base) {
    const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^\\.${escaped}\\.${_temp_js__WEBPACK_IMPORTED_MODULE_4__/* .OWNER_SOURCE */ .WM}\\.[0-9a-f]{12}\\.tmp$`);
}
/**
 * Writes `file` through a temporary name unique to this process and call, in the same folder,
 * then renames it into place: no reader, and no other process writing the same file, sees a
 * partial result, and a failed write leaves nothing behind. The temporary is removed on
 * SIGINT/SIGTERM too; with `removeStale`, those of dead processes are removed first (the
 * tarball: a killed build leaves a large one).
 */
async function writeThroughTemp(file, write, options = {}) {
    const dir = node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(file);
    await makeDirs(dir);
    const base = node_path__WEBPACK_IMPORTED_MODULE_1__.basename(file);
    if (options.removeStale)
        (0,_temp_js__WEBPACK_IMPORTED_MODULE_4__/* .removeStale */ .sq)(dir, tempPattern(base));
    const temp = node_path__WEBPACK_IMPORTED_MODULE_1__.join(dir, `.${base}.${(0,_temp_js__WEBPACK_IMPORTED_MODULE_4__/* .owner */ .eC)()}.${(0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .crypto */ .Et)().randomBytes(6).toString('hex')}.tmp`);
    const forget = (0,_temp_js__WEBPACK_IMPORTED_MODULE_4__/* .removeOnSignal */ .QF)(temp);
    try {
        await write(temp);
        await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.rename(temp, file);
    }
    catch (error) {
        await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.rm(temp, { force: true });
        throw error;
    }
    finally {
        forget();
    }
}
/**
 * The bytes of `file` when it is a regular file of at most `maxBytes` (its last component not a
 * symlink); undefined when it is missing, larger, or anything else. For files of a folder that
 * may be hostile (a restored cache): a FIFO there would block a plain read for ever, and a link
 * to /dev/zero would fill memory. (regular-file.ts's readFileSyncIf: the same on this thread.)
 */
async function readRegularFile(file, maxBytes) {
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = node_fs__WEBPACK_IMPORTED_MODULE_0__.constants;
    let handle;
    try {
        handle = await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    }
    catch (error) {
        const code = error.code;
        if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR')
            return undefined;
        throw error;
    }
    try {
        const stat = await handle.stat();
        if (!stat.isFile() || stat.size > maxBytes)
            return undefined;
        const bytes = Buffer.allocUnsafe(stat.size);
        let at = 0;
        while (at < bytes.length) {
            const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
            if (bytesRead === 0)
                break;
            at += bytesRead;
        }
        return bytes.subarray(0, at);
    }
    finally {
        await handle.close();
    }
}


/***/ }),

/***/ 200:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Et: () => (/* binding */ lazy_builtins_crypto),
  LV: () => (/* binding */ http),
  Ov: () => (/* binding */ https),
  AD: () => (/* binding */ net),
  md: () => (/* binding */ tls),
  v8: () => (/* binding */ v8),
  vm: () => (/* binding */ vm)
});

;// CONCATENATED MODULE: external "node:module"
const external_node_module_namespaceObject = require("node:module");
;// CONCATENATED MODULE: ./src/lazy-builtins.ts
/**
 * Node's built-in modules that only some runs need, loaded on first use. Loading `node:https`
 * (which brings tls, net and http) takes 8-12 ms of a cold start, on Node 20 and 24: a resolve or
 * a build from local repositories opens no connection. `node:crypto` (4-9 ms, OpenSSL's set-up)
 * hashes packages and cache entries, and nothing in a resolve from a local repository. `node:v8`
 * (0.5-1 ms once zlib's streams are loaded) sets a flag or reaches the collector only for large
 * indexes and builds.
 */

const load = (0,external_node_module_namespaceObject.createRequire)(require("url").pathToFileURL(__filename).href);
/** A getter for module `id`: loaded by the first call, the same module after. */
function lazy(id) {
    let loaded;
    return () => (loaded ??= load(id));
}
const lazy_builtins_crypto = lazy('node:crypto');
const http = lazy('node:http');
const https = lazy('node:https');
const net = lazy('node:net');
const tls = lazy('node:tls');
const v8 = lazy('node:v8');
const vm = lazy('node:vm');


/***/ }),

/***/ 258:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Dd: () => (/* binding */ keepYoungGenerationSmall),
/* harmony export */   Ez: () => (/* binding */ mappedBuffer),
/* harmony export */   G2: () => (/* binding */ letGoAtOnce),
/* harmony export */   Ko: () => (/* binding */ letGo),
/* harmony export */   L0: () => (/* binding */ letGoOfEntries),
/* harmony export */   V3: () => (/* binding */ collectNow),
/* harmony export */   bQ: () => (/* binding */ letGoOfScanned),
/* harmony export */   iF: () => (/* binding */ shrinkHeap),
/* harmony export */   sY: () => (/* binding */ COLLECT_EVERY_ENTRIES)
/* harmony export */ });
/* unused harmony exports COLLECT_AFTER, COLLECT_AT_ONCE, COLLECT_WHILE_SCANNING, collectionsRun */
/* harmony import */ var _lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(200);
/**
 * Returning the memory of large Buffers the build has let go of.
 *
 * A Buffer's bytes live outside V8's heap and go back to the system only when V8 collects the
 * Buffer object. V8 lets tens of megabytes of such bytes wait for its next collection (its soft
 * limit for memory outside the heap is 64 MB), and Node 24's young generation, larger than
 * Node 20's, makes collections rarer still. A build passes every package's compressed and
 * inflated bytes, and every compressed layer block, through Buffers: while it held at most
 * 8 MiB of package data, up to 66 MiB of Buffers waited on Node 24, nearly all let go of.
 *
 * Code that lets go of large Buffers counts their bytes with `letGo`; once COLLECT_AFTER bytes
 * have been let go of, a full collection (about 8 ms on a build's small heap) returns them. The
 * collection is V8's own `gc`: the program's, when Node was started with `--expose-gc`, else
 * one reached without that start-up flag (the flag set at run time, the function taken from a
 * new context, the flag cleared again). Where neither works, nothing changes but the peak.
 */

/**
 * Bytes let go of between two collections. At 32 MiB, a build of 80,000 one-line files on Node
 * 24 held up to that much of its layer's deflated blocks when its peak came, and the peak went
 * over 150 MiB in half the runs (148-159, 8 runs); at 16 MiB it was 139-143, in 1.01x the time.
 * The release build took 1.02x / 0.99x the time (Node 20 / 24), its peak the same or lower.
 */
const COLLECT_AFTER = 16 * 1024 * 1024;
let collect;
let collections = 0;
/** V8's full collection, or null where it cannot be had. */
function collector() {
    if (collect !== undefined)
        return collect;
    collect = null;
    const own = globalThis.gc;
    if (typeof own === 'function') {
        collect = own;
        return collect;
    }
    try {
        (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__.v8)().setFlagsFromString('--expose-gc');
        const gc = (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__.vm)().runInNewContext('gc');
        if (typeof gc === 'function')
            collect = gc;
    }
    catch {
        // Not possible here: the peak is V8's to choose.
    }
    finally {
        // Only the context made above gets `gc`; later ones, and the program's own, do not.
        (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__.v8)().setFlagsFromString('--no-expose-gc');
    }
    return collect;
}
/** Counts `bytes` of Buffers let go of; collects once COLLECT_AFTER have added up. */
function letGo(bytes) {
    count(letGone, bytes, COLLECT_AFTER);
}
/** What letGo and letGoAtOnce counted, together. */
const letGone = { pending: 0 };
/** Adds `bytes` to what `tally` waits for; collects once that comes to `limit`. */
function count(tally, bytes, limit) {
    if (!(bytes > 0))
        return;
    tally.pending += bytes;
    if (tally.pending < limit)
        return;
    tally.pending = 0;
    if (collectNow())
        collections++;
}
/**
 * Bytes let go of at once that are worth a collection of their own (letGoAtOnce). A full
 * collection then takes 8-10 ms, a twentieth of a cold resolve on v3.22 main, whose index (2.8
 * MB read) is far from making the peak; main + community's (12 MiB) are collected.
 */
const COLLECT_AT_ONCE = 8 * 1024 * 1024;
/**
 * Counts `bytes` of Buffers let go of together, at a moment when the next step is about to build
 * something large (the indexes' files and inflated bytes, once their tables are read: 12 MiB on
 * main + community). With what letGo counted, COLLECT_AT_ONCE of them are collected at once;
 * else they would wait under what that step builds, as live as ever to the system.
 */
function letGoAtOnce(bytes) {
    count(letGone, bytes, COLLECT_AT_ONCE);
}
/** Bytes of an index's text scanned between two collections (letGoOfScanned). */
const COLLECT_WHILE_SCANNING = 4 * 1024 * 1024;
/** What letGoOfScanned counted: apart from letGo's, whose limit is much higher. */
const scanned = { pending: 0 };
/**
 * Counts `bytes` of an index's inflated text that were scanned and let go of; every
 * COLLECT_WHILE_SCANNING, a full collection. The pieces and what the scan leaves behind live
 * through a few collections of the young generation while they are scanned, so they are moved
 * to the old one, which V8 collects only once the index is read: community's index (7.5 MB of
 * text) then held as much again, and the resolve peaked there on Node 24.
 */
function letGoOfScanned(bytes) {
    count(scanned, bytes, COLLECT_WHILE_SCANNING);
}
/** Entries installed or written between two collections (letGoOfEntries). */
const COLLECT_EVERY_ENTRIES = 8192;
/** What letGoOfEntries counted. */
const entriesTally = { pending: 0 };
/**
 * Counts `entries` entries of packages installed or of a layer written; every
 * COLLECT_EVERY_ENTRIES, a full collection (20-40 ms). Each entry leaves garbage behind (its
 * names, its tar header, its database lines as they are made), which V8 promotes and then lets
 * pile up in its old generation: a build of 50,000 one-line files (50 packages of 1,000) peaked
 * at 353 MiB on Node 20, 176 of it V8's heap pages, of which heap snapshots found 42-53 MiB live.
 * With these collections and one each side of the layers' making (build.ts), at 174-177 MiB. A
 * root of a few thousand files, as most are, meets none.
 */
function letGoOfEntries(entries) {
    count(entriesTally, entries, COLLECT_EVERY_ENTRIES);
}
/**
 * A collection that also gives back what V8 grew the heap by, its young generation above all:
 * made for the moment a large structure has just been let go of. Making the solver's graph of
 * main + community grows the young generation to 64 MiB on Node 24 (32 on Node 20), and V8 keeps
 * it at that size, a few MiB of it live, through the install and the image writing. This is V8's
 * last-resort collection, several full ones in a row (tens of milliseconds), then an ordinary
 * full one: Node 20's `gc` takes the options for something less and collects nothing old.
 */
function shrinkHeap() {
    const gc = collector();
    if (gc === null)
        return;
    gc({ type: 'major', flavor: 'last-resort' });
    gc();
    collections++;
}
/** A full collection now (letGo's; tests check what is still held); false where none can run. */
function collectNow() {
    const gc = collector();
    if (gc === null)
        return false;
    gc();
    return true;
}
/** ArrayBuffer's constructor with ES2024's options (a resizable ArrayBuffer). */
const ResizableArrayBuffer = ArrayBuffer;
/**
 * A Buffer of `size` bytes whose memory V8 maps from the system itself, and unmaps when the
 * Buffer is collected, rather than taking it from malloc: a resizable ArrayBuffer (never resized
 * here, its maximum is its size) is made that way. Once a large Buffer has been freed, glibc
 * serves Buffers up to that size from its main heap and keeps up to twice that much of what is
 * freed there; Buffers of many sizes coming and going, as packages do, leave that heap much
 * larger than what is live. Reading packages into these, the release build beside community's
 * index peaked at 122 MiB instead of 132 on Node 24 (median of 10 pairs; highest 132 instead of
 * 142), in 1.02\u{d7} the time. Node 20 showed no change.
 */
function mappedBuffer(size) {
    return Buffer.from(new ResizableArrayBuffer(size, { maxByteLength: size }));
}
/** V8's growth factor of the young generation, 1: it keeps the size it starts with. */
const SMALL_YOUNG_GENERATION = '--semi-space-growth-factor=1';
/** Its default (the same on Node 20 and 24). */
const DEFAULT_YOUNG_GENERATION = '--semi-space-growth-factor=2';
let youngGenerationKept = false;
/**
 * Keeps V8's young generation at the size it has (1 MiB, as Node starts), for the rest of the
 * process. V8 grows it while most objects outlive their first collection, as nearly all do while
 * an index is read and its solver graph made (up to 32 MiB on Node 20 and 64 MiB on Node 24),
 * and then keeps it at that size through the install and the image. Kept small, reading main +
 * community's indexes peaks at 115 MiB instead of 145 on Node 20 (129 instead of 159 on Node
 * 24) in the same time, and the real build at 109 instead of 137 (130 instead of 147) in
 * 1.03-1.04\u{d7} the time: it collects more often.
 *
 * readApkindex calls this as an index starts to be read, the first of what grows it; the action
 * calls it first thing, the command line as a build or install starts. Why not always first
 * thing (setting a V8 flag costs Node's built-in modules their code cache): young-generation.ts.
 */
function keepYoungGenerationSmall() {
    if (youngGenerationKept)
        return;
    youngGenerationKept = true;
    (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__.v8)().setFlagsFromString(SMALL_YOUNG_GENERATION);
    // Back to V8's default as the process exits, before any other exit listener: the command
    // line's code cache writes its entry then (code-cache.ts), which V8 stamps with its flags and
    // refuses to a process whose flags differ, as every new one's do from a set flag.
    process.prependListener('exit', () => (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__.v8)().setFlagsFromString(DEFAULT_YOUNG_GENERATION));
}
/**
 * How many collections letGo, letGoAtOnce, letGoOfScanned and shrinkHeap have run (for tests and
 * the bench).
 */
function collectionsRun() {
    return collections;
}


/***/ }),

/***/ 627:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  U: () => (/* binding */ SHA_LENGTH),
  h: () => (/* binding */ shaDigest)
});

;// CONCATENATED MODULE: ./src/sha-wasm.ts
// Generated by scripts/build-wasm.mjs from src/assembly/sha.ts: do not edit.
/** SHA-1, SHA-256 and SHA-512, compiled to WebAssembly (AssemblyScript, -O3, stub runtime), base64. */
const SHA_WASM = 'AGFzbQEAAAABCQJgAX8AYAABfwMKCQAAAAAAAAEBAQUDAQACBmATfwFBAAt/AUEAC34BQgALfwFBAAt/AUEAC38BQQALfwFB' +
    'AAt/AUEAC38BQQALfwFBAAt/AUEAC34BQgALfgFCAAt+AUIAC34BQgALfgFCAAt+AUIAC34BQgALfgFCAAsHOgYHaW5wdXRB' +
    'dAAGCWNodW5rU2l6ZQAIBXN0YXJ0AAIGdXBkYXRlAAEGZmluaXNoAAcGbWVtb3J5AgAMAQIKolMJIQAjAEEBRgRAIAAQBQUj' +
    'AEGAAkYEQCAAEAQFIAAQAwsLC78BAQN/QcAAQYABIwBBgARHGyECQYAIIQEjAkGAgAQgAEEAIABBAEobIgAgAEGAgAROGyIA' +
    'rHwkAiMBQQBKBEAjAUGAiARqQYAIIAIjAWsiASAAIAAgAUobIgP8CgAAIwEgA2okASADQYAIaiEBIAAgA2shACMBIAJIBEAP' +
    'C0GAiAQQAEEAJAELA0AgACACTgRAIAEQACABIAJqIQEgACACayEADAELCyAAQQBKBEBBgIgEIAEgAPwKAAAgACQBCwvvAQAg' +
    'ACQAQQAkAUIAJAIgAEEBRgRAQYHGlLoGJANBide2/n4kBEH+uevFeSQFQfaoyYEBJAZB8MPLnnwkBwUgAEGAAkYEQEHnzKfQ' +
    'BiQDQYXdntt7JARB8ua74wMkBUG66r+qeiQGQf+kuYgFJAdBjNGV2HkkCEGrs4/8ASQJQZmag98FJAoFQoiS853/zPmE6gAk' +
    'C0K7zqqm2NDrs7t/JAxCq/DT9K/uvLc8JA1C8e30+KWn/aelfyQOQtGFmu/6z5SH0QAkD0Kf2PnZwpHagpt/JBBC6/qG2r+1' +
    '9sEfJBFC+cL4m5Gjs/DbACQSCwsLqQQCCn4DfwNAIAxBEEkEQCAMQQN0IgsgAGopAwAiAUIgiKchDSALQYCJBGogDUEIdkGA' +
    '/gNxIA1BGHQgDUGA/gNxQQh0cnIgDUEYdnKtIAGnIgtBCHZBgP4DcSALQRh0IAtBgP4DcUEIdHJyIAtBGHZyrUIghoQ3AwAg' +
    'DEEBaiEMDAELC0EQIQADQCAAQdAASQRAIABBA3QiC0HwiARqKQMAIQEgC0GAiQRqIAtByIgEaikDACALQYCIBGopAwAgC0GI' +
    'iARqKQMAIgJCP4YgAkIBiHwgAkI4hiACQgiIfIUgAkIHiIV8fCABQi2GIAFCE4h8IAFCA4YgAUI9iHyFIAFCBoiFfDcDACAA' +
    'QQFqIQAMAQsLIwshCCMMIQQjDSECIw4hBiMPIQcjECEBIxEhAyMSIQVBACEAA0AgAEHQAEkEQCAAQQN0IgtBgIkEaikDACAL' +
    'QcCQBGopAwAgBSAHQheGIAdCKYh8IAdCMoYgB0IOiHwgB0IuhiAHQhKIfIWFfCADIAcgASADhYOFfHx8IQogBCAIgyACIAQg' +
    'CISDhCAIQhmGIAhCJ4h8IAhCJIYgCEIciHwgCEIehiAIQiKIfIWFfCADIQUgASEDIAchASAGIAp8IQcgAiEGIAQhAiAIIQQg' +
    'CnwhCCAAQQFqIQAMAQsLIwsgCHwkCyMMIAR8JAwjDSACfCQNIw4gBnwkDiMPIAd8JA8jECABfCQQIxEgA3wkESMSIAV8JBIL' +
    '9wMBCn8DQCACQRBJBEAgAkECdCIBIABqKAIAIQMgAUGAiQRqIANBCHZBgP4DcSADQRh0IANBgP4DcUEIdHJyIANBGHZyNgIA' +
    'IAJBAWohAgwBCwtBECEAA0AgAEHAAEkEQCAAQQJ0IgFB+IgEaigCACECIAFBgIkEaiABQeSIBGooAgAgAUHAiARqKAIAIAFB' +
    'xIgEaigCACIBQRl0IAFBB3ZqIAFBDnQgAUESdmpzIAFBA3ZzamogAkEPdCACQRF2aiACQQ10IAJBE3ZqcyACQQp2c2o2AgAg' +
    'AEEBaiEADAELCyMDIQQjBCEAIwUhASMGIQYjByEFIwghAyMJIQIjCiEHA0AgCEHAAEkEQCAIQQJ0IglBgIkEaigCACAJQcCO' +
    'BGooAgAgByAFQQd0IAVBGXZqIAVBGnQgBUEGdmogBUEVdCAFQQt2anNzaiACIAUgAiADc3FzampqIQkgACAEcSABIAAgBHJx' +
    'ciAEQQp0IARBFnZqIARBHnQgBEECdmogBEETdCAEQQ12anNzaiEKIAIhByADIQIgBSEDIAYgCWohBSABIQYgACEBIAQhACAJ' +
    'IApqIQQgCEEBaiEIDAELCyMDIARqJAMjBCAAaiQEIwUgAWokBSMGIAZqJAYjByAFaiQHIwggA2okCCMJIAJqJAkjCiAHaiQK' +
    'C/w8AQd/QYCJBCAAKAIAIgFBCHZBgP4DcSABQRh0IAFBgP4DcUEIdHJyIAFBGHZyIgE2AgBBhIkEIAAoAgQiAkEIdkGA/gNx' +
    'IAJBGHQgAkGA/gNxQQh0cnIgAkEYdnIiAjYCAEGIiQQgACgCCCIDQQh2QYD+A3EgA0EYdCADQYD+A3FBCHRyciADQRh2ciID' +
    'NgIAIAMgAiMHIAEjAyIBQQV0IAFBG3ZqIwYiAiMEIgMgAiMFIgRzcXNqQZnzidQFampqIgVBBXQgBUEbdmogBCABIANBHnQg' +
    'A0ECdmoiAyAEc3FzakGZ84nUBWpqIAJqIgJBBXQgAkEbdmogAyAFIAFBHnQgAUECdmoiASADc3FzakGZ84nUBWpqIARqIQRB' +
    'jIkEIAAoAgwiBkEIdkGA/gNxIAZBGHQgBkGA/gNxQQh0cnIgBkEYdnIiBjYCAEGQiQQgACgCECIHQQh2QYD+A3EgB0EYdCAH' +
    'QYD+A3FBCHRyciAHQRh2ciIHNgIAIAEgByADIAYgBEEFdCAEQRt2aiABIAIgBUEedCAFQQJ2aiIDIAFzcXNqQZnzidQFampq' +
    'IgFBBXQgAUEbdmogAyAEIAJBHnQgAkECdmoiAiADc3FzakGZ84nUBWpqaiEFQZSJBCAAKAIUIgZBCHZBgP4DcSAGQRh0IAZB' +
    'gP4DcUEIdHJyIAZBGHZyIgY2AgBBmIkEIAAoAhgiB0EIdkGA/gNxIAdBGHQgB0GA/gNxQQh0cnIgB0EYdnIiBzYCACACIAcg' +
    'AyAGIAVBBXQgBUEbdmogAiABIARBHnQgBEECdmoiAyACc3FzakGZ84nUBWpqaiICQQV0IAJBG3ZqIAMgBSABQR50IAFBAnZq' +
    'IgEgA3Nxc2pBmfOJ1AVqamohBEGciQQgACgCHCIGQQh2QYD+A3EgBkEYdCAGQYD+A3FBCHRyciAGQRh2ciIGNgIAQaCJBCAA' +
    'KAIgIgdBCHZBgP4DcSAHQRh0IAdBgP4DcUEIdHJyIAdBGHZyIgc2AgAgASAHIAMgBiAEQQV0IARBG3ZqIAEgAiAFQR50IAVB' +
    'AnZqIgMgAXNxc2pBmfOJ1AVqamoiAUEFdCABQRt2aiADIAQgAkEedCACQQJ2aiICIANzcXNqQZnzidQFampqIQVBpIkEIAAo' +
    'AiQiBkEIdkGA/gNxIAZBGHQgBkGA/gNxQQh0cnIgBkEYdnIiBjYCAEGoiQQgACgCKCIHQQh2QYD+A3EgB0EYdCAHQYD+A3FB' +
    'CHRyciAHQRh2ciIHNgIAIAIgByADIAYgBUEFdCAFQRt2aiACIAEgBEEedCAEQQJ2aiIDIAJzcXNqQZnzidQFampqIgJBBXQg' +
    'AkEbdmogAyAFIAFBHnQgAUECdmoiASADc3FzakGZ84nUBWpqaiEEQayJBCAAKAIsIgZBCHZBgP4DcSAGQRh0IAZBgP4DcUEI' +
    'dHJyIAZBGHZyIgY2AgBBsIkEIAAoAjAiB0EIdkGA/gNxIAdBGHQgB0GA/gNxQQh0cnIgB0EYdnIiBzYCACABIAcgAyAGIARB' +
    'BXQgBEEbdmogASACIAVBHnQgBUECdmoiAyABc3FzakGZ84nUBWpqaiIBQQV0IAFBG3ZqIAMgBCACQR50IAJBAnZqIgIgA3Nx' +
    'c2pBmfOJ1AVqamohBUG0iQQgACgCNCIGQQh2QYD+A3EgBkEYdCAGQYD+A3FBCHRyciAGQRh2ciIGNgIAQbiJBCAAKAI4IgdB' +
    'CHZBgP4DcSAHQRh0IAdBgP4DcUEIdHJyIAdBGHZyIgc2AgAgAiAHIAMgBiAFQQV0IAVBG3ZqIAIgASAEQR50IARBAnZqIgMg' +
    'AnNxc2pBmfOJ1AVqamoiAkEFdCACQRt2aiADIAUgAUEedCABQQJ2aiIBIANzcXNqQZnzidQFampqIQRBvIkEIAAoAjwiAEEI' +
    'dkGA/gNxIABBGHQgAEGA/gNxQQh0cnIgAEEYdnIiADYCAEGAiQRBgIkEKAIAQYiJBCgCAEG0iQQoAgBBoIkEKAIAc3NzIgZB' +
    'AXQgBkEfdmoiBjYCACABIAMgBEEFdCAEQRt2aiABIAIgBUEedCAFQQJ2aiIDIAFzcXNqQZnzidQFaiAAamoiAEEFdCAAQRt2' +
    'aiADIAQgAkEedCACQQJ2aiIBIANzcXNqQZnzidQFaiAGamohAkGEiQRBhIkEKAIAQYyJBCgCAEG4iQQoAgBBpIkEKAIAc3Nz' +
    'IgVBAXQgBUEfdmoiBTYCAEGIiQRBiIkEKAIAQZCJBCgCAEG8iQQoAgBBqIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAMg' +
    'AkEFdCACQRt2aiABIAAgBEEedCAEQQJ2aiIDIAFzcXNqQZnzidQFaiAFamoiAUEFdCABQRt2aiADIAIgAEEedCAAQQJ2aiIA' +
    'IANzcXNqQZnzidQFaiAGamohBEGMiQRBjIkEKAIAQZSJBCgCAEGAiQQoAgBBrIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGQ' +
    'iQRBkIkEKAIAQZiJBCgCAEGEiQQoAgBBsIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAMgBEEFdCAEQRt2aiAAIAEgAkEe' +
    'dCACQQJ2aiICIABzcXNqQZnzidQFaiAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHMgAnNqQaHX5/YGaiAGamohA0GU' +
    'iQRBlIkEKAIAQZyJBCgCAEGIiQQoAgBBtIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGYiQRBmIkEKAIAQaCJBCgCAEGMiQQo' +
    'AgBBuIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHMgAXNqQaHX5/YGaiAF' +
    'amoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3MgAnNqQaHX5/YGaiAGamohBEGciQRBnIkEKAIAQaSJBCgCAEGQiQQoAgBB' +
    'vIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGgiQRBoIkEKAIAQaiJBCgCAEGUiQQoAgBBgIkEKAIAc3NzIgZBAXQgBkEfdmoi' +
    'BjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXMgAHNqQaHX5/YGaiAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZq' +
    'IgEgBHMgAnNqQaHX5/YGaiAGamohA0GkiQRBpIkEKAIAQayJBCgCAEGYiQQoAgBBhIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYC' +
    'AEGoiQRBqIkEKAIAQbCJBCgCAEGciQQoAgBBiIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50' +
    'IARBAnZqIgIgAHMgAXNqQaHX5/YGaiAFamoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3MgAnNqQaHX5/YGaiAGamohBEGs' +
    'iQRBrIkEKAIAQbSJBCgCAEGgiQQoAgBBjIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGwiQRBsIkEKAIAQbiJBCgCAEGkiQQo' +
    'AgBBkIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXMgAHNqQaHX5/YGaiAF' +
    'amoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHMgAnNqQaHX5/YGaiAGamohA0G0iQRBtIkEKAIAQbyJBCgCAEGoiQQoAgBB' +
    'lIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEG4iQRBuIkEKAIAQYCJBCgCAEGsiQQoAgBBmIkEKAIAc3NzIgZBAXQgBkEfdmoi' +
    'BjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHMgAXNqQaHX5/YGaiAFamoiAUEFdCABQRt2aiAAQR50IABBAnZq' +
    'IgAgA3MgAnNqQaHX5/YGaiAGamohBEG8iQRBvIkEKAIAQYSJBCgCAEGwiQQoAgBBnIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYC' +
    'AEGAiQRBgIkEKAIAQYiJBCgCAEG0iQQoAgBBoIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAIgBEEFdCAEQRt2aiADQR50' +
    'IANBAnZqIgIgAXMgAHNqQaHX5/YGaiAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHMgAnNqQaHX5/YGaiAGamohA0GE' +
    'iQRBhIkEKAIAQYyJBCgCAEG4iQQoAgBBpIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGIiQRBiIkEKAIAQZCJBCgCAEG8iQQo' +
    'AgBBqIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHMgAXNqQaHX5/YGaiAF' +
    'amoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3MgAnNqQaHX5/YGaiAGamohBEGMiQRBjIkEKAIAQZSJBCgCAEGAiQQoAgBB' +
    'rIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGQiQRBkIkEKAIAQZiJBCgCAEGEiQQoAgBBsIkEKAIAc3NzIgZBAXQgBkEfdmoi' +
    'BjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXMgAHNqQaHX5/YGaiAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZq' +
    'IgEgBHMgAnNqQaHX5/YGaiAGamohA0GUiQRBlIkEKAIAQZyJBCgCAEGIiQQoAgBBtIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYC' +
    'AEGYiQRBmIkEKAIAQaCJBCgCAEGMiQQoAgBBuIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50' +
    'IARBAnZqIgIgAHMgAXNqQaHX5/YGaiAFamoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3MgAnNqQaHX5/YGaiAGamohBEGc' +
    'iQRBnIkEKAIAQaSJBCgCAEGQiQQoAgBBvIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGgiQRBoIkEKAIAQaiJBCgCAEGUiQQo' +
    'AgBBgIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXMgAHNqQaHX5/YGaiAF' +
    'amoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHEgAiABIARycXJqQaSGkYcHayAGamohA0GkiQRBpIkEKAIAQayJBCgCAEGY' +
    'iQQoAgBBhIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGoiQRBqIkEKAIAQbCJBCgCAEGciQQoAgBBiIkEKAIAc3NzIgZBAXQg' +
    'BkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHEgASAAIAJycXJqQaSGkYcHayAFamoiAUEFdCABQRt2' +
    'aiAAQR50IABBAnZqIgAgA3EgAiAAIANycXJqQaSGkYcHayAGamohBEGsiQRBrIkEKAIAQbSJBCgCAEGgiQQoAgBBjIkEKAIA' +
    'c3NzIgVBAXQgBUEfdmoiBTYCAEGwiQRBsIkEKAIAQbiJBCgCAEGkiQQoAgBBkIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAA' +
    'IAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXEgACABIAJycXJqQaSGkYcHayAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZq' +
    'IgEgBHEgAiABIARycXJqQaSGkYcHayAGamohA0G0iQRBtIkEKAIAQbyJBCgCAEGoiQQoAgBBlIkEKAIAc3NzIgVBAXQgBUEf' +
    'dmoiBTYCAEG4iQRBuIkEKAIAQYCJBCgCAEGsiQQoAgBBmIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2' +
    'aiAEQR50IARBAnZqIgIgAHEgASAAIAJycXJqQaSGkYcHayAFamoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3EgAiAAIANy' +
    'cXJqQaSGkYcHayAGamohBEG8iQRBvIkEKAIAQYSJBCgCAEGwiQQoAgBBnIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGAiQRB' +
    'gIkEKAIAQYiJBCgCAEG0iQQoAgBBoIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZq' +
    'IgIgAXEgACABIAJycXJqQaSGkYcHayAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHEgAiABIARycXJqQaSGkYcHayAG' +
    'amohA0GEiQRBhIkEKAIAQYyJBCgCAEG4iQQoAgBBpIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGIiQRBiIkEKAIAQZCJBCgC' +
    'AEG8iQQoAgBBqIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHEgASAAIAJy' +
    'cXJqQaSGkYcHayAFamoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3EgAiAAIANycXJqQaSGkYcHayAGamohBEGMiQRBjIkE' +
    'KAIAQZSJBCgCAEGAiQQoAgBBrIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGQiQRBkIkEKAIAQZiJBCgCAEGEiQQoAgBBsIkE' +
    'KAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXEgACABIAJycXJqQaSGkYcHayAF' +
    'amoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHEgAiABIARycXJqQaSGkYcHayAGamohA0GUiQRBlIkEKAIAQZyJBCgCAEGI' +
    'iQQoAgBBtIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGYiQRBmIkEKAIAQaCJBCgCAEGMiQQoAgBBuIkEKAIAc3NzIgZBAXQg' +
    'BkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHEgASAAIAJycXJqQaSGkYcHayAFamoiAUEFdCABQRt2' +
    'aiAAQR50IABBAnZqIgAgA3EgAiAAIANycXJqQaSGkYcHayAGamohBEGciQRBnIkEKAIAQaSJBCgCAEGQiQQoAgBBvIkEKAIA' +
    'c3NzIgVBAXQgBUEfdmoiBTYCAEGgiQRBoIkEKAIAQaiJBCgCAEGUiQQoAgBBgIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAA' +
    'IAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXEgACABIAJycXJqQaSGkYcHayAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZq' +
    'IgEgBHEgAiABIARycXJqQaSGkYcHayAGamohA0GkiQRBpIkEKAIAQayJBCgCAEGYiQQoAgBBhIkEKAIAc3NzIgVBAXQgBUEf' +
    'dmoiBTYCAEGoiQRBqIkEKAIAQbCJBCgCAEGciQQoAgBBiIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2' +
    'aiAEQR50IARBAnZqIgIgAHEgASAAIAJycXJqQaSGkYcHayAFamoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3EgAiAAIANy' +
    'cXJqQaSGkYcHayAGamohBEGsiQRBrIkEKAIAQbSJBCgCAEGgiQQoAgBBjIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGwiQRB' +
    'sIkEKAIAQbiJBCgCAEGkiQQoAgBBkIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZq' +
    'IgIgAXEgACABIAJycXJqQaSGkYcHayAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHMgAnNqQar89KwDayAGamohA0G0' +
    'iQRBtIkEKAIAQbyJBCgCAEGoiQQoAgBBlIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEG4iQRBuIkEKAIAQYCJBCgCAEGsiQQo' +
    'AgBBmIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHMgAXNqQar89KwDayAF' +
    'amoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3MgAnNqQar89KwDayAGamohBEG8iQRBvIkEKAIAQYSJBCgCAEGwiQQoAgBB' +
    'nIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGAiQRBgIkEKAIAQYiJBCgCAEG0iQQoAgBBoIkEKAIAc3NzIgZBAXQgBkEfdmoi' +
    'BjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXMgAHNqQar89KwDayAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZq' +
    'IgEgBHMgAnNqQar89KwDayAGamohA0GEiQRBhIkEKAIAQYyJBCgCAEG4iQQoAgBBpIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYC' +
    'AEGIiQRBiIkEKAIAQZCJBCgCAEG8iQQoAgBBqIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50' +
    'IARBAnZqIgIgAHMgAXNqQar89KwDayAFamoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3MgAnNqQar89KwDayAGamohBEGM' +
    'iQRBjIkEKAIAQZSJBCgCAEGAiQQoAgBBrIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGQiQRBkIkEKAIAQZiJBCgCAEGEiQQo' +
    'AgBBsIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXMgAHNqQar89KwDayAF' +
    'amoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHMgAnNqQar89KwDayAGamohA0GUiQRBlIkEKAIAQZyJBCgCAEGIiQQoAgBB' +
    'tIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGYiQRBmIkEKAIAQaCJBCgCAEGMiQQoAgBBuIkEKAIAc3NzIgZBAXQgBkEfdmoi' +
    'BjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHMgAXNqQar89KwDayAFamoiAUEFdCABQRt2aiAAQR50IABBAnZq' +
    'IgAgA3MgAnNqQar89KwDayAGamohBEGciQRBnIkEKAIAQaSJBCgCAEGQiQQoAgBBvIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYC' +
    'AEGgiQRBoIkEKAIAQaiJBCgCAEGUiQQoAgBBgIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACAAIAIgBEEFdCAEQRt2aiADQR50' +
    'IANBAnZqIgIgAXMgAHNqQar89KwDayAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZqIgEgBHMgAnNqQar89KwDayAGamohA0Gk' +
    'iQRBpIkEKAIAQayJBCgCAEGYiQQoAgBBhIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGoiQRBqIkEKAIAQbCJBCgCAEGciQQo' +
    'AgBBiIkEKAIAc3NzIgZBAXQgBkEfdmoiBjYCACABIAIgA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHMgAXNqQar89KwDayAF' +
    'amoiAUEFdCABQRt2aiAAQR50IABBAnZqIgAgA3MgAnNqQar89KwDayAGamohBEGsiQRBrIkEKAIAQbSJBCgCAEGgiQQoAgBB' +
    'jIkEKAIAc3NzIgVBAXQgBUEfdmoiBTYCAEGwiQRBsIkEKAIAQbiJBCgCAEGkiQQoAgBBkIkEKAIAc3NzIgZBAXQgBkEfdmoi' +
    'BjYCACAAIAIgBEEFdCAEQRt2aiADQR50IANBAnZqIgIgAXMgAHNqQar89KwDayAFamoiAEEFdCAAQRt2aiABQR50IAFBAnZq' +
    'IgEgBHMgAnNqQar89KwDayAGamohAyABQbiJBCgCAEGAiQQoAgBBrIkEKAIAQZiJBCgCAHNzcyIFQQF0IAVBH3ZqIAJBtIkE' +
    'KAIAQbyJBCgCAEGoiQQoAgBBlIkEKAIAc3NzIgJBAXQgAkEfdmogA0EFdCADQRt2aiAEQR50IARBAnZqIgIgAHMgAXNqQar8' +
    '9KwDa2pqIgFBBXQgAUEbdmogAEEedCAAQQJ2aiIAIANzIAJzakGq/PSsA2tqaiEEIwMgAkG8iQQoAgBBhIkEKAIAQbCJBCgC' +
    'AEGciQQoAgBzc3MiAkEBdCACQR92aiAEQQV0IARBG3ZqIANBHnQgA0ECdmoiAiABcyAAc2pBqvz0rANrampqJAMjBCAEaiQE' +
    'IwUgAUEedCABQQJ2amokBSMGIAJqJAYjByAAaiQHCwUAQYAIC5wKAgF/AX4jAUGAiARqQYABOgAAIwFBAWokASMBQcAAQYAB' +
    'IwBBgARHGyIAQRBBCCMAQYAERhtrSgRAIwFBgIgEakEAIAAjAWv8CwBBgIgEEABBACQBCyMBQYCIBGpBACAAIwFr/AsAIwBB' +
    'gARGBEBB8IgEIwJCPYinQRh0rUIghjcDAAsgAEH4hwRqIwJCA4YiAUIgiKciAEEIdkGA/gNxIABBGHQgAEGA/gNxQQh0cnIg' +
    'AEEYdnKtIAGnIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyrUIghoQ3AwBBgIgEEABBACQBIwBBgARGBEBBgI4E' +
    'IwsiAUIgiKciAEEIdkGA/gNxIABBGHQgAEGA/gNxQQh0cnIgAEEYdnKtIAGnIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJy' +
    'IABBGHZyrUIghoQ3AwBBiI4EIwwiAUIgiKciAEEIdkGA/gNxIABBGHQgAEGA/gNxQQh0cnIgAEEYdnKtIAGnIgBBCHZBgP4D' +
    'cSAAQRh0IABBgP4DcUEIdHJyIABBGHZyrUIghoQ3AwBBkI4EIw0iAUIgiKciAEEIdkGA/gNxIABBGHQgAEGA/gNxQQh0cnIg' +
    'AEEYdnKtIAGnIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyrUIghoQ3AwBBmI4EIw4iAUIgiKciAEEIdkGA/gNx' +
    'IABBGHQgAEGA/gNxQQh0cnIgAEEYdnKtIAGnIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyrUIghoQ3AwBBoI4E' +
    'Iw8iAUIgiKciAEEIdkGA/gNxIABBGHQgAEGA/gNxQQh0cnIgAEEYdnKtIAGnIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJy' +
    'IABBGHZyrUIghoQ3AwBBqI4EIxAiAUIgiKciAEEIdkGA/gNxIABBGHQgAEGA/gNxQQh0cnIgAEEYdnKtIAGnIgBBCHZBgP4D' +
    'cSAAQRh0IABBgP4DcUEIdHJyIABBGHZyrUIghoQ3AwBBsI4EIxEiAUIgiKciAEEIdkGA/gNxIABBGHQgAEGA/gNxQQh0cnIg' +
    'AEEYdnKtIAGnIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyrUIghoQ3AwBBuI4EIxIiAUIgiKciAEEIdkGA/gNx' +
    'IABBGHQgAEGA/gNxQQh0cnIgAEEYdnKtIAGnIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyrUIghoQ3AwAFQYCO' +
    'BCMDIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyNgIAQYSOBCMEIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJy' +
    'IABBGHZyNgIAQYiOBCMFIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyNgIAQYyOBCMGIgBBCHZBgP4DcSAAQRh0' +
    'IABBgP4DcUEIdHJyIABBGHZyNgIAQZCOBCMHIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyNgIAQZSOBCMIIgBB' +
    'CHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyNgIAQZiOBCMJIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZy' +
    'NgIAQZyOBCMKIgBBCHZBgP4DcSAAQRh0IABBgP4DcUEIdHJyIABBGHZyNgIAC0GAjgQLBgBBgIAECwuRBwIAQcCOBAuAApgv' +
    'ikKRRDdxz/vAtaXbtelbwlY58RHxWaSCP5LVXhyrmKoH2AFbgxK+hTEkw30MVXRdvnL+sd6Apwbcm3Txm8HBaZvkhke+78ad' +
    'wQ/MoQwkbyzpLaqEdErcqbBc2oj5dlJRPphtxjGoyCcDsMd/Wb/zC+DGR5Gn1VFjygZnKSkUhQq3JzghGy78bSxNEw04U1Rz' +
    'CmW7Cmp2LsnCgYUscpKh6L+iS2YaqHCLS8KjUWzHGeiS0SQGmdaFNQ70cKBqEBbBpBkIbDceTHdIJ7W8sDSzDBw5SqrYTk/K' +
    'nFvzby5o7oKPdG9jpXgUeMiECALHjPr/vpDrbFCk96P5vvJ4ccYAQcCQBAuABSKuKNeYL4pCzWXvI5FEN3EvO03sz/vAtbzb' +
    'iYGl27XpOLVI81vCVjkZ0AW28RHxWZtPGa+kgj+SGIFt2tVeHKtCAgOjmKoH2L5vcEUBW4MSjLLkTr6FMSTitP/Vw30MVW+J' +
    'e/J0Xb5ysZYWO/6x3oA1Esclpwbcm5Qmac908ZvB0krxnsFpm+TjJU84hke+77XVjIvGncEPZZysd8yhDCR1AitZbyzpLYPk' +
    'pm6qhHRK1PtBvdypsFy1UxGD2oj5dqvfZu5SUT6YEDK0LW3GMag/IfuYyCcDsOQO777Hf1m/wo+oPfML4MYlpwqTR5Gn1W+C' +
    'A+BRY8oGcG4OCmcpKRT8L9JGhQq3JybJJlw4IRsu7SrEWvxtLE3fs5WdEw04U95jr4tUcwplqLJ3PLsKanbmru1HLsnCgTs1' +
    'ghSFLHKSZAPxTKHov6IBMEK8S2YaqJGX+NBwi0vCML5UBqNRbMcYUu/WGeiS0RCpZVUkBpnWKiBxV4U1DvS40bsycKBqEMjQ' +
    '0rgWwaQZU6tBUQhsNx6Z647fTHdIJ6hIm+G1vLA0Y1rJxbMMHDnLikHjSqrYTnPjY3dPypxbo7iy1vNvLmj8su9d7oKPdGAv' +
    'F0NvY6V4cqvwoRR4yITsOWQaCALHjCgeYyP6/76Q6b2C3utsUKQVecay96P5vitTcuPyeHHGnGEm6s4+J8oHwsAhx7iG0R7r' +
    '4M3WfdrqeNFu7n9PffW6bxdyqmfwBqaYyKLFfWMKrg35vgSYPxEbRxwTNQtxG4R9BCP1d9sokyTHQHuryjK8vskVCr6ePEwN' +
    'EJzEZx1DtkI+y77UxUwqfmX8nCl/Wez61jqrb8tfF1hHSowZRGw=';

// EXTERNAL MODULE: ./src/wasm.ts
var wasm = __nccwpck_require__(739);
;// CONCATENATED MODULE: ./src/sha.ts
/**
 * SHA-1, SHA-256 and SHA-512 of bytes at hand, in WebAssembly (assembly/sha.ts), for what a
 * resolve hashes: an index's signed bytes (0.5-2 MB) and its keys. `node:crypto` does the same
 * faster, but its first load is OpenSSL's set-up, 4-9 ms of a cold start on Node 20 and 24, which
 * a resolve from a local repository otherwise never needs. The module (a few KB) is compiled on
 * first use and kept for the process; one digest is made at a time (the calls are synchronous).
 */


const KIND = { sha1: 1, sha256: 256, sha512: 512 };
/** Each digest's length in bytes. */
const SHA_LENGTH = {
    sha1: 20,
    sha256: 32,
    sha512: 64
};
const instantiate = (0,wasm/* instantiateWasm */.n)(SHA_WASM);
/** The one instance, made on first use. */
let loaded;
function instance() {
    if (loaded)
        return loaded;
    const exports = instantiate();
    // The module's memory never grows, so one view of it serves every call.
    loaded = {
        exports,
        memory: new Uint8Array(exports.memory.buffer),
        input: exports.inputAt(),
        chunk: exports.chunkSize()
    };
    return loaded;
}
/** The digest of `data` (the pieces in order, as one message). */
function shaDigest(alg, data) {
    const { exports, memory, input, chunk } = instance();
    exports.start(KIND[alg]);
    for (const piece of Array.isArray(data) ? data : [data]) {
        for (let at = 0; at < piece.length; at += chunk) {
            const length = Math.min(chunk, piece.length - at);
            memory.set(piece.subarray(at, at + length), input);
            exports.update(length);
        }
    }
    const out = exports.finish();
    return Buffer.from(memory.subarray(out, out + SHA_LENGTH[alg]));
}


/***/ }),

/***/ 369:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   QF: () => (/* binding */ removeOnSignal),
/* harmony export */   WM: () => (/* binding */ OWNER_SOURCE),
/* harmony export */   dM: () => (/* binding */ removeTree),
/* harmony export */   dW: () => (/* binding */ makeWorkDir),
/* harmony export */   eC: () => (/* binding */ owner),
/* harmony export */   fQ: () => (/* binding */ tempRoot),
/* harmony export */   sq: () => (/* binding */ removeStale),
/* harmony export */   v0: () => (/* binding */ emptyOnSignal)
/* harmony export */ });
/* unused harmony export FOREIGN_STALE_MS */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(24);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_os__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__nccwpck_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(916);
/**
 * witchery's temporaries: the build's work folder (roots, layers), the image writer's staging
 * folder and the tarball's temporary name. Each carries its owner in its name (`owner()`: the
 * process id, and on Linux the PID namespace's number), so that:
 *
 * - SIGINT and SIGTERM (how GitHub cancels a step) remove the live ones before the process
 *   ends, with the exit code a shell gives a signalled process (130, 143);
 * - a later run removes those a killed run left (its process is gone), and only those: a
 *   temporary of a run still going is never touched, even one of a container sharing the
 *   folder, whose process ids mean nothing here.
 *
 * They go under RUNNER_TEMP when it is set (the runner empties it after every job), else under
 * the system's temporary folder.
 */




/**
 * What a signal takes away: each path removed, or, for a folder that was there (empty) before
 * this run wrote into it (a root given to install), emptied.
 */
const live = new Map();
const SIGNALS = { SIGINT: 2, SIGTERM: 15 };
let handling = false;
function onSignal(signal) {
    for (const [target, how] of live) {
        const paths = how === 'remove' ? [target] : safeNames(target).map((n) => node_path__WEBPACK_IMPORTED_MODULE_2__.join(target, n));
        for (const p of paths)
            removeTree(p);
    }
    live.clear();
    process.exit(128 + SIGNALS[signal]);
}
const handlers = {
    SIGINT: () => onSignal('SIGINT'),
    SIGTERM: () => onSignal('SIGTERM')
};
/**
 * While temporaries are live, their times are set to now every HEARTBEAT_MS: a run of another
 * PID namespace, which cannot ask whether this process runs, sees them change (FOREIGN_STALE_MS).
 */
const HEARTBEAT_MS = 5 * 60 * 1000;
let heartbeat;
function beat() {
    const now = new Date();
    for (const [target, how] of live) {
        if (how === 'remove')
            node_fs__WEBPACK_IMPORTED_MODULE_0__.utimes(target, now, now, () => { });
    }
}
function watchSignals(on) {
    if (on === handling)
        return;
    handling = on;
    for (const signal of Object.keys(handlers)) {
        if (on)
            process.on(signal, handlers[signal]);
        else
            process.off(signal, handlers[signal]);
    }
    if (on)
        heartbeat = setInterval(beat, HEARTBEAT_MS).unref();
    else
        clearInterval(heartbeat);
}
function safeNames(dir) {
    try {
        return node_fs__WEBPACK_IMPORTED_MODULE_0__.readdirSync(dir);
    }
    catch {
        return [];
    }
}
/**
 * Empties `dir` (a folder that was there, and empty, before this run wrote into it) if the
 * process is stopped by SIGINT or SIGTERM before the returned function is called.
 */
function emptyOnSignal(dir) {
    return onSignalDo(dir, 'empty');
}
/**
 * Removes `target` (a file or folder) if the process is stopped by SIGINT or SIGTERM before the
 * returned function is called. While nothing is registered, the signals keep their defaults.
 */
function removeOnSignal(target) {
    return onSignalDo(target, 'remove');
}
function onSignalDo(target, how) {
    live.set(target, how);
    watchSignals(true);
    return () => {
        live.delete(target);
        if (live.size === 0)
            watchSignals(false);
    };
}
/** Where temporaries go: RUNNER_TEMP when set, else the system's temporary folder. */
function tempRoot(env = process.env) {
    return env.RUNNER_TEMP || node_os__WEBPACK_IMPORTED_MODULE_1__.tmpdir();
}
/** The number Linux gives this process's PID namespace, '' where there is none to read. */
let namespace;
function pidNamespace() {
    if (namespace === undefined) {
        try {
            namespace = /^pid:\[(\d+)\]$/.exec(node_fs__WEBPACK_IMPORTED_MODULE_0__.readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
        }
        catch {
            namespace = '';
        }
    }
    return namespace;
}
/**
 * This process as its temporaries name it: `<pid>_<namespace>`, or `<pid>` where there is no
 * namespace to read. A process id alone says nothing across PID namespaces: containers sharing
 * a /tmp each number their processes from 1, so another one's live build looked abandoned.
 */
function owner() {
    const ns = pidNamespace();
    return ns ? `${process.pid}_${ns}` : String(process.pid);
}
/** A regular expression's source for an owner() in a name, as one group. */
const OWNER_SOURCE = '(\\d+(?:_\\d+)?)';
/**
 * How long a temporary of another PID namespace must have stood unchanged before it is taken for
 * abandoned: its process cannot be asked after from here, but a live one sets its temporaries'
 * times every HEARTBEAT_MS.
 */
const FOREIGN_STALE_MS = 60 * 60 * 1000;
/**
 * Whether the owner named `named` is gone: a process of this PID namespace (or of a name without
 * one, written before namespaces were named) that no longer runs; one of another namespace once
 * its temporary has not changed for FOREIGN_STALE_MS.
 */
function gone(named, modified) {
    const [pid, ns = ''] = named.split('_');
    if (ns === '' || ns === pidNamespace())
        return !isRunning(Number(pid));
    return Date.now() - modified > FOREIGN_STALE_MS;
}
/** Whether a process with this id runs (a process of another user counts as running). */
function isRunning(pid) {
    if (pid === process.pid)
        return true;
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (error) {
        return error.code === 'EPERM';
    }
}
/**
 * Removes the entries of `dir` whose name `pattern` matches with an owner (OWNER_SOURCE) as its
 * first group, when that owner is gone: what a killed run of the same naming scheme left.
 * Returns the paths removed. A folder that cannot be read, an entry of another user, and one
 * that cannot be removed are left alone.
 */
function removeStale(dir, pattern) {
    let names;
    try {
        names = node_fs__WEBPACK_IMPORTED_MODULE_0__.readdirSync(dir);
    }
    catch {
        return [];
    }
    const removed = [];
    const uid = process.getuid?.();
    for (const name of names) {
        const match = pattern.exec(name);
        if (!match)
            continue;
        const target = node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, name);
        try {
            const stat = node_fs__WEBPACK_IMPORTED_MODULE_0__.lstatSync(target);
            // Only this user's: in a shared folder (/tmp) another user's is not ours to judge.
            if (uid !== undefined && stat.uid !== uid)
                continue;
            if (!gone(match[1], stat.mtimeMs))
                continue;
            removeTree(target);
            removed.push(target);
        }
        catch {
            // One that cannot be removed (or looked at) is left: it must not fail this run.
        }
    }
    return removed;
}
/**
 * Removes a file or folder tree, one entry at a time. Node 20's `fs.promises.rm` starts an
 * operation for every entry of a folder at once: removing a root of 40,000 files took ~90 MiB
 * more than this, which walks it in constant memory, and faster (on tmpfs, 0.29 s against 0.42 s
 * on Node 20, 0.14 s against 0.42 s on Node 24). It holds the thread meanwhile, which only ever
 * comes at the end of a run or of a failed one.
 */
function removeTree(target) {
    node_fs__WEBPACK_IMPORTED_MODULE_0__.rmSync(target, { recursive: true, force: true });
}
/** A work folder's prefix: `witchery-<kind>-<owner>-`. */
function prefixOf(kind) {
    return `witchery-${kind}-${owner()}-`;
}
/**
 * Makes a fresh work folder `witchery-<kind>-<owner>-XXXXXX` under tempRoot(), first removing
 * the ones of the same kind that dead runs left. It is removed on SIGINT/SIGTERM until
 * `release` is called; the caller removes it when done.
 */
async function makeWorkDir(kind) {
    const root = tempRoot();
    removeStale(root, new RegExp(`^witchery-${kind}-${OWNER_SOURCE}-`));
    // The handlers go on before the folder exists, and the folder is made in one synchronous
    // step: a signal at any moment finds no folder, or one it knows to remove. (Made after an
    // await, the folder stood for a moment with the signals' default, which leaves it behind.)
    watchSignals(true);
    let dir;
    try {
        dir = node_fs__WEBPACK_IMPORTED_MODULE_0__.mkdtempSync(node_path__WEBPACK_IMPORTED_MODULE_2__.join(root, prefixOf(kind)));
    }
    catch (error) {
        if (live.size === 0)
            watchSignals(false);
        const where = process.env.RUNNER_TEMP ? 'RUNNER_TEMP' : "the system's temporary folder";
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .WitcheryError */ .q('WORK_DIR', `cannot make a work folder in ${root} (${where}): ${error.message}. Point ` +
            'RUNNER_TEMP (or TMPDIR) at a folder that exists and can be written.', { cause: error });
    }
    const forget = removeOnSignal(dir);
    return {
        dir,
        release: async () => {
            try {
                removeTree(dir);
            }
            finally {
                // Even when the folder cannot be removed, the signal handlers come off.
                forget();
            }
        }
    };
}


/***/ }),

/***/ 494:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   E: () => (/* binding */ ALPINE_KEYS_URL_VARIABLE),
/* harmony export */   l: () => (/* binding */ REPOSITORY_AUTH_VARIABLE)
/* harmony export */ });
/** Environment variables witchery reads besides the action's inputs, for the CLI and the action. */
/** Where the command line (and a workflow's `env:`) gives `repository-auth` lines. */
const REPOSITORY_AUTH_VARIABLE = 'WITCHERY_REPOSITORY_AUTH';
/** Where Alpine's keys are fetched from instead of alpinelinux.org (the pins still apply). */
const ALPINE_KEYS_URL_VARIABLE = 'WITCHERY_ALPINE_KEYS_URL';


/***/ }),

/***/ 739:
/***/ (function (__unused_webpack_module, __webpack_exports__, __nccwpck_require__) {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   P: () => (/* binding */ wasmTrapped),
/* harmony export */   n: () => (/* binding */ instantiateWasm)
/* harmony export */ });
/**
 * WebAssembly modules (the engine's index scan, solver graph's build and solver's discovery, and
 * the digests of sha.ts): compiled once a process from their base64 (a few KB: about a
 * millisecond), instantiated per use, with no imports.
 */
const wasmApi = globalThis.WebAssembly;
/** A function that makes a new instance of the module in `base64`, compiled on first use. */
function instantiateWasm(base64) {
    let compiled;
    return () => {
        compiled ??= new wasmApi.Module(Buffer.from(base64, 'base64'));
        return new wasmApi.Instance(compiled, {}).exports;
    };
}
/** Whether `error` is a module's trap. */
function wasmTrapped(error) {
    return error instanceof wasmApi.RuntimeError;
}


/***/ }),

/***/ 421:
/***/ (function (module) {

module.exports = require("node:child_process");

/***/ }),

/***/ 598:
/***/ (function (module) {

module.exports = require("node:crypto");

/***/ }),

/***/ 24:
/***/ (function (module) {

module.exports = require("node:fs");

/***/ }),

/***/ 455:
/***/ (function (module) {

module.exports = require("node:fs/promises");

/***/ }),

/***/ 161:
/***/ (function (module) {

module.exports = require("node:os");

/***/ }),

/***/ 760:
/***/ (function (module) {

module.exports = require("node:path");

/***/ }),

/***/ 975:
/***/ (function (module) {

module.exports = require("node:util");

/***/ }),

/***/ 522:
/***/ (function (module) {

module.exports = require("node:zlib");

/***/ })

/******/ 	});
/************************************************************************/
/******/ 	// The module cache
/******/ 	var __webpack_module_cache__ = {};
/******/ 	
/******/ 	// The require function
/******/ 	function __nccwpck_require__(moduleId) {
/******/ 		// Check if module is in cache
/******/ 		var cachedModule = __webpack_module_cache__[moduleId];
/******/ 		if (cachedModule !== undefined) {
/******/ 			return cachedModule.exports;
/******/ 		}
/******/ 		// Create a new module (and put it into the cache)
/******/ 		var module = __webpack_module_cache__[moduleId] = {
/******/ 			// no module.id needed
/******/ 			// no module.loaded needed
/******/ 			exports: {}
/******/ 		};
/******/ 	
/******/ 		// Execute the module function
/******/ 		var threw = true;
/******/ 		try {
/******/ 			__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 			threw = false;
/******/ 		} finally {
/******/ 			if(threw) delete __webpack_module_cache__[moduleId];
/******/ 		}
/******/ 	
/******/ 		// Return the exports of the module
/******/ 		return module.exports;
/******/ 	}
/******/ 	
/******/ 	// expose the modules object (__webpack_modules__)
/******/ 	__nccwpck_require__.m = __webpack_modules__;
/******/ 	
/************************************************************************/
/******/ 	/* webpack/runtime/asset-relocator-loader */
/******/ 	if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = __dirname + "/";
/******/ 	
/******/ 	/* webpack/runtime/compat get default export */
/******/ 	(() => {
/******/ 		// getDefaultExport function for compatibility with non-harmony modules
/******/ 		__nccwpck_require__.n = (module) => {
/******/ 			var getter = module && module.__esModule ?
/******/ 				() => (module['default']) :
/******/ 				() => (module);
/******/ 			__nccwpck_require__.d(getter, { a: getter });
/******/ 			return getter;
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/define property getters */
/******/ 	(() => {
/******/ 		// define getter functions for harmony exports
/******/ 		__nccwpck_require__.d = (exports, definition) => {
/******/ 			for(var key in definition) {
/******/ 				if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 					Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 				}
/******/ 			}
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/ensure chunk */
/******/ 	(() => {
/******/ 		__nccwpck_require__.f = {};
/******/ 		// This file contains only the entry chunk.
/******/ 		// The chunk loading function for additional chunks
/******/ 		__nccwpck_require__.e = (chunkId) => {
/******/ 			return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 				__nccwpck_require__.f[key](chunkId, promises);
/******/ 				return promises;
/******/ 			}, []));
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/get javascript chunk filename */
/******/ 	(() => {
/******/ 		// This function allow to reference async chunks
/******/ 		__nccwpck_require__.u = (chunkId) => {
/******/ 			// return url for filenames based on template
/******/ 			return "" + chunkId + ".index.js";
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/hasOwnProperty shorthand */
/******/ 	(() => {
/******/ 		__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/require chunk loading */
/******/ 	(() => {
/******/ 		// no baseURI
/******/ 		
/******/ 		// object to store loaded chunks
/******/ 		// "1" means "loaded", otherwise not loaded yet
/******/ 		var installedChunks = {
/******/ 			792: 1
/******/ 		};
/******/ 		
/******/ 		// no on chunks loaded
/******/ 		
/******/ 		var installChunk = (chunk) => {
/******/ 			var moreModules = chunk.modules, chunkIds = chunk.ids, runtime = chunk.runtime;
/******/ 			for(var moduleId in moreModules) {
/******/ 				if(__nccwpck_require__.o(moreModules, moduleId)) {
/******/ 					__nccwpck_require__.m[moduleId] = moreModules[moduleId];
/******/ 				}
/******/ 			}
/******/ 			if(runtime) runtime(__nccwpck_require__);
/******/ 			for(var i = 0; i < chunkIds.length; i++)
/******/ 				installedChunks[chunkIds[i]] = 1;
/******/ 		
/******/ 		};
/******/ 		
/******/ 		// require() chunk loading for javascript
/******/ 		__nccwpck_require__.f.require = (chunkId, promises) => {
/******/ 			// "1" is the signal for "already loaded"
/******/ 			if(!installedChunks[chunkId]) {
/******/ 				if(true) { // all chunks have JS
/******/ 					installChunk(require("./" + __nccwpck_require__.u(chunkId)));
/******/ 				} else installedChunks[chunkId] = 1;
/******/ 			}
/******/ 		};
/******/ 		
/******/ 		// no external install chunk
/******/ 		
/******/ 		// no HMR
/******/ 		
/******/ 		// no HMR manifest
/******/ 	})();
/******/ 	
/************************************************************************/
var __webpack_exports__ = {};

// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __nccwpck_require__(975);
// EXTERNAL MODULE: ./src/arch.ts
var arch = __nccwpck_require__(67);
// EXTERNAL MODULE: ./src/apk/engine.ts + 4 modules
var engine = __nccwpck_require__(317);
// EXTERNAL MODULE: ./src/assemble/errors.ts
var errors = __nccwpck_require__(569);
// EXTERNAL MODULE: ./src/variables.ts
var variables = __nccwpck_require__(494);
// EXTERNAL MODULE: ./src/cli-output.ts
var cli_output = __nccwpck_require__(319);
;// CONCATENATED MODULE: ./src/cli-log.ts

function stderrLogger(quiet = false) {
    return {
        info: (m) => {
            if (!quiet)
                cli_output/* output */.C.err(`${m}\n`);
        },
        warning: (m) => cli_output/* output */.C.err(`WARNING: ${m}\n`),
        debug: (m) => {
            if (process.env.WITCHERY_DEBUG)
                cli_output/* output */.C.err(`debug: ${m}\n`);
        }
    };
}

// EXTERNAL MODULE: ./src/released-memory.ts
var released_memory = __nccwpck_require__(258);
;// CONCATENATED MODULE: ./src/cli.ts
/**
 * The witchery command line: the engine and the image build, for local use and for tests.
 *   witchery install --root DIR --arch A --repository R\u{2026} [--keys-dir K] [--allow-untrusted] [--cache-dir C] WORLD\u{2026}
 *   witchery resolve --arch A --repository R\u{2026} [--keys-dir K] [--allow-untrusted] WORLD\u{2026}
 *   witchery build [action inputs as --name value] PACKAGE\u{2026}
 */








const USAGE = `usage:
  witchery install --root DIR --arch ARCH --repository REPO... [--keys-dir DIR]... [--key FILE]...
                   [--allow-untrusted] [--cache-dir DIR] [--no-alpine-keys] [--no-scripts] WORLD...
  witchery resolve --arch ARCH --repository REPO... [--keys-dir DIR]... [--key FILE]...
                   [--allow-untrusted] [--cache-dir DIR] [--no-alpine-keys] WORLD...
  witchery build [--output FILE] [--app PATH] [--arch ARCH] [--repositories REPO]... [--branch B]
                 [--entrypoint ...] [--cmd ...] [--env K=V]... [--tags REF]... PACKAGE...
                 (every action input is an option of the same name; see the README)

WORLD is a package name or apk constraint: curl, libssl3>=3.3, so:libz.so.1, !busybox.`;
const engineFlags = {
    root: { type: 'string' },
    arch: { type: 'string' },
    repository: { type: 'string', short: 'X', multiple: true },
    'keys-dir': { type: 'string', multiple: true },
    key: { type: 'string', multiple: true },
    'allow-untrusted': { type: 'boolean' },
    'cache-dir': { type: 'string' },
    'no-alpine-keys': { type: 'boolean' },
    'no-scripts': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' }
};
class UsageError extends Error {
}
function engineOptionsFrom(argv) {
    const { values, positionals } = (0,external_node_util_.parseArgs)({
        args: argv,
        options: engineFlags,
        allowPositionals: true
    });
    if (!values.repository?.length)
        throw new UsageError('give at least one --repository');
    if (positionals.length === 0)
        throw new UsageError('give at least one package to add');
    return {
        world: positionals,
        root: values.root,
        options: {
            arch: values.arch ?? (0,arch/* hostArch */.LY)(),
            repositories: values.repository,
            // Like apk, credentials may be in a repository URL; this variable keeps them off the command line.
            auth: (0,engine/* parseAuthLines */.zx)(process.env[variables/* REPOSITORY_AUTH_VARIABLE */.l] ?? '', variables/* REPOSITORY_AUTH_VARIABLE */.l),
            keyDirs: values['keys-dir'],
            keyFiles: values.key,
            allowUntrusted: values['allow-untrusted'],
            cacheDir: values['cache-dir'],
            fetchAlpineKeys: !values['no-alpine-keys'],
            scripts: values['no-scripts'] ? 'none' : 'native',
            alpineKeysUrl: process.env[variables/* ALPINE_KEYS_URL_VARIABLE */.E],
            logger: stderrLogger(values.quiet)
        }
    };
}
async function resolveCommand(argv) {
    // install's own options mean nothing to a resolve: refused rather than ignored.
    for (const flag of ['--root', '--no-scripts']) {
        if (argv.some((a) => a === flag || a.startsWith(`${flag}=`))) {
            throw new UsageError(`${flag} is an option of install, not of resolve`);
        }
    }
    const { options, world } = engineOptionsFrom(argv);
    // Names and versions are all it shows: the packages' other lines are not kept.
    const repos = await (0,engine/* openRepositories */.Sy)({ ...options, packageDetails: false });
    const resolution = (0,engine/* resolveWorld */.h_)(repos, world);
    const lines = resolution.packages.map((p) => `${p.name}-${p.version}`).sort();
    cli_output/* output */.C.out(lines.map((l) => `${l}\n`).join(''));
}
async function installCommand(argv) {
    const { options, world, root } = engineOptionsFrom(argv);
    if (!root)
        throw new UsageError('give --root DIR, the folder to install into');
    const repos = await (0,engine/* openRepositories */.Sy)(options);
    const resolution = (0,engine/* resolveWorld */.h_)(repos, world);
    const result = await (0,engine/* installResolution */.mp)(root, repos, resolution, options);
    for (const pkg of result.installed)
        options.logger?.info(`installed ${pkg.name}-${pkg.version}`);
    if (result.scriptsSkipped.length > 0) {
        options.logger?.warning((0,engine/* skippedWarning */.FE)(result.scriptsSkipped));
    }
    options.logger?.info(`OK: ${result.installed.length} packages in ${root}`);
}
/** Runs one command line; the exit code: 0 success, 1 the work failed, 2 a usage error. */
async function main(argv) {
    const [command, ...rest] = argv;
    try {
        const known = ['install', 'resolve', 'build'].includes(command ?? '');
        if (known && rest.some((a) => a === '--help' || a === '-h')) {
            cli_output/* output */.C.out(`${USAGE}\n`);
            return 0;
        }
        // A build's or an install's peak matters more than its start: V8's young generation is kept
        // small from here on. A resolve leaves it to readApkindex (young-generation.ts says why).
        if (command === 'build' || command === 'install')
            (0,released_memory/* keepYoungGenerationSmall */.Dd)();
        switch (command) {
            case 'install':
                await installCommand(rest);
                return 0;
            case 'resolve':
                await resolveCommand(rest);
                return 0;
            case 'build': {
                // Loaded for `build` only: the image assembly is most of the command line's code.
                const { runBuildCommand } = await __nccwpck_require__.e(/* import() */ 327).then(__nccwpck_require__.bind(__nccwpck_require__, 327));
                await runBuildCommand(rest, stderrLogger());
                return 0;
            }
            case '--help':
            case '-h':
            case 'help':
                cli_output/* output */.C.out(`${USAGE}\n`);
                return 0;
            default:
                throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
        }
    }
    catch (error) {
        return report(error);
    }
}
/** Wrong or missing options and values: the parser's errors, ours, and bad input values. */
function isUsageError(error) {
    const code = error?.code;
    return (error instanceof UsageError ||
        error instanceof errors/* InputError */.dz ||
        (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')));
}
function report(error) {
    const message = error instanceof Error ? error.message : String(error);
    if (isUsageError(error)) {
        cli_output/* output */.C.err(`witchery: ${oneLine(message)} (witchery --help shows the usage)\n`);
        return 2;
    }
    cli_output/* output */.C.err(`ERROR: ${message}\n`);
    if (process.env.WITCHERY_DEBUG && error instanceof Error && !(error instanceof engine/* ApkError */.xE)) {
        cli_output/* output */.C.err(`${error.stack}\n`);
    }
    return 1;
}
function oneLine(text) {
    return text.replace(/\s*\n\s*/g, ' ');
}

;// CONCATENATED MODULE: ./src/cli-main.ts
/**
 * The command line's work (dist/cli/main.js, which the program dist/cli/index.js runs through
 * the code cache, cli-bin.ts): the command line (cli.ts, which tests import and which runs
 * nothing by itself) on the process's arguments.
 */


main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // All the work is done and awaited by now: what Node would still do before it exits is V8's
    // housekeeping (a scavenge it had scheduled as a task, then taking the heap apart), 2-3% of a
    // cold resolve on Node 20 and 24. So the process exits at once, unless output is still queued
    // (cli-output.ts writes synchronously, except on Windows and to a reader that lags): then it
    // ends as usual, once that is written.
    if (!(0,cli_output/* outputQueued */.X)())
        process.exit(code);
});

module.exports = __webpack_exports__;
/******/ })()
;