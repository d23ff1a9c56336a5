/**
 * Real packages made from real bytes on this machine, shaped like the reference repository's:
 * musl (Debian's musl loader), hello (compiled with musl-gcc), ca-certificates-bundle (the
 * host's CA bundle) and alpine-baselayout-data. Each function returns an ApkSpec for
 * buildApk. Plus small synthetic specs for solver and installer tests.
 */
import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { ApkSpec } from './apk-builder.js'

/** Debian's musl: the dynamic loader is libc itself. */
export const MUSL_LIBC = '/usr/lib/x86_64-linux-musl/libc.so'
export const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
export const HELLO_MESSAGE = 'hello from witchery'

const MAINTAINER = 'Witchery Tests <tests@witchery.invalid>'
const COMMIT = '0'.repeat(40)

/** musl's loader file name per Alpine arch (the same names src/arch.ts lists). */
const MUSL_LOADER: Record<string, string> = {
  x86_64: 'ld-musl-x86_64.so.1',
  x86: 'ld-musl-i386.so.1',
  aarch64: 'ld-musl-aarch64.so.1',
  armv7: 'ld-musl-armhf.so.1',
  armhf: 'ld-musl-armhf.so.1',
  ppc64le: 'ld-musl-powerpc64le.so.1',
  s390x: 'ld-musl-s390x.so.1',
  riscv64: 'ld-musl-riscv64.so.1',
  loongarch64: 'ld-musl-loongarch64.so.1'
}

function muslLoaderName(arch: string): string {
  const name = MUSL_LOADER[arch]
  if (!name) throw new Error(`packages: no musl loader name for arch '${arch}'`)
  return name
}

/** Fields every real package here shares, so its index stanza has the fixture's letters. */
function common(
  name: string
): Pick<ApkSpec, 'url' | 'license' | 'origin' | 'maintainer' | 'commit'> {
  return {
    url: `https://example.com/${name}`,
    license: 'MIT',
    origin: name,
    maintainer: MAINTAINER,
    commit: COMMIT
  }
}

function readHostFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file)
  } catch (error) {
    throw new Error(`packages: ${what} needs ${file} (${(error as Error).message})`)
  }
}

/** Path of the cached musl-gcc build of `source`, compiling it on first use. */
function muslBuild(source: string, flags: string[]): string {
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify([source, flags]))
    .digest('hex')
    .slice(0, 24)
  const cacheDir = path.join(os.tmpdir(), 'witchery-musl-cache')
  const cached = path.join(cacheDir, `${key}.bin`)
  if (fs.existsSync(cached)) return cached
  fs.mkdirSync(cacheDir, { recursive: true })
  const work = fs.mkdtempSync(path.join(cacheDir, 'build-'))
  try {
    fs.writeFileSync(path.join(work, 'main.c'), source)
    execFileSync('musl-gcc', [...flags, '-o', path.join(work, 'out'), path.join(work, 'main.c')], {
      stdio: ['ignore', 'ignore', 'pipe']
    })
    // rename is atomic: parallel workers never see half a binary.
    fs.renameSync(path.join(work, 'out'), cached)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  return cached
}

const DEFAULT_FLAGS = ['-Os', '-s']

/**
 * Compiles C `source` with musl-gcc into `outPath` (mode 0755) and returns `outPath`. The binary
 * is cached in os.tmpdir() by a hash of source and flags, so repeated calls cost a file copy.
 */
export function compileMusl(
  source: string,
  outPath: string,
  flags: string[] = DEFAULT_FLAGS
): string {
  const cached = muslBuild(source, flags)
  fs.mkdirSync(path.dirname(outPath), { recursive: true })
  fs.copyFileSync(cached, outPath)
  fs.chmodSync(outPath, 0o755)
  return outPath
}

/** The bytes of a musl-gcc build of `source` (cached like compileMusl). */
export function compileMuslBytes(source: string, flags: string[] = DEFAULT_FLAGS): Buffer {
  return fs.readFileSync(muslBuild(source, flags))
}

export const HELLO_SOURCE = `#include <stdio.h>

int main(void)
{
	puts("${HELLO_MESSAGE}");
	return 0;
}
`

/**
 * musl: the loader as lib/ld-musl-<arch>.so.1 plus the libc.musl-<arch>.so.1 symlink, providing
 * so:libc.musl-<arch>.so.1=1. The bytes are always the host's x86_64 musl; other arches get the
 * right names only (enough for multi-arch metadata tests).
 */
export function muslPackage(arch = 'x86_64', version = '1.2.3-r0'): ApkSpec {
  const loader = muslLoaderName(arch)
  const soname = `libc.musl-${arch}.so.1`
  return {
    name: 'musl',
    version,
    arch,
    description: 'the musl c library (libc) implementation',
    ...common('musl'),
    provides: [`so:${soname}=1`],
    files: [
      { path: `lib/${loader}`, content: readHostFile(MUSL_LIBC, 'muslPackage'), mode: 0o755 },
      { path: `lib/${soname}`, type: 'symlink', target: loader }
    ]
  }
}

/**
 * hello: usr/bin/hello, a musl-gcc build that prints "hello from witchery". Depends on
 * so:libc.musl-x86_64.so.1 and, like the fixture's hello, alpine-baselayout-data>=3.0 (turn that
 * off with `baselayout: false`).
 */
export function helloPackage(version = '1.1-r0', options: { baselayout?: boolean } = {}): ApkSpec {
  const depends = ['so:libc.musl-x86_64.so.1']
  if (options.baselayout ?? true) depends.push('alpine-baselayout-data>=3.0')
  return {
    name: 'hello',
    version,
    arch: 'x86_64',
    description: 'tiny hello world test program',
    ...common('hello'),
    depends,
    provides: [`cmd:hello=${version}`],
    files: [{ path: 'usr/bin/hello', content: compileMuslBytes(HELLO_SOURCE), mode: 0o755 }]
  }
}

/** ca-certificates-bundle: the host's CA bundle and the etc/ssl/cert.pem symlink to it. */
export function caBundlePackage(version = '20240226-r0'): ApkSpec {
  return {
    name: 'ca-certificates-bundle',
    version,
    arch: 'x86_64',
    description: 'Pre generated bundle of Mozilla certificates',
    ...common('ca-certificates-bundle'),
    files: [
      {
        path: 'etc/ssl/certs/ca-certificates.crt',
        content: readHostFile(HOST_CA_BUNDLE, 'caBundlePackage')
      },
      { path: 'etc/ssl/cert.pem', type: 'symlink', target: 'certs/ca-certificates.crt' }
    ]
  }
}

const PASSWD = `root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
`

const GROUP = `root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
shadow:x:42:
nogroup:x:65533:
nobody:x:65534:
`

const SHADOW = `root:*::0:::::
bin:!::0:::::
daemon:!::0:::::
nobody:!::0:::::
`

const OS_RELEASE = `NAME="Witchery Test Linux"
ID=alpine
VERSION_ID=3.22.0
PRETTY_NAME="Witchery Test Linux (Alpine-like test data)"
HOME_URL="https://example.com/"
`

/** alpine-baselayout-data: passwd, group, os-release, shadow (0:42 shadow, 0640) and tmp/ (1777). */
export function baselayoutDataPackage(version = '3.6.8-r1'): ApkSpec {
  return {
    name: 'alpine-baselayout-data',
    version,
    arch: 'x86_64',
    description: 'Alpine base dir structure and init scripts (data files)',
    ...common('alpine-baselayout-data'),
    files: [
      { path: 'etc/passwd', content: PASSWD },
      { path: 'etc/group', content: GROUP },
      { path: 'etc/os-release', content: OS_RELEASE },
      { path: 'etc/shadow', content: SHADOW, mode: 0o640, uid: 0, gid: 42, gname: 'shadow' },
      { path: 'tmp', type: 'dir', mode: 0o1777 }
    ]
  }
}

/**
 * A small synthetic package: one file usr/share/<name>/VERSION holding "<name> <version>\n",
 * arch x86_64. `extra` overrides or adds any field (depends, provides, files: [] for a meta package…).
 */
export function synthetic(name: string, version = '1.0-r0', extra: Partial<ApkSpec> = {}): ApkSpec {
  return {
    name,
    version,
    arch: 'x86_64',
    files: [{ path: `usr/share/${name}/VERSION`, content: `${name} ${version}\n` }],
    ...extra
  }
}

/** A meta package: no files, installed size 0, only dependencies. */
export function metaPackage(
  name: string,
  version: string,
  depends: string[],
  extra: Partial<ApkSpec> = {}
): ApkSpec {
  return synthetic(name, version, { files: [], depends, ...extra })
}
