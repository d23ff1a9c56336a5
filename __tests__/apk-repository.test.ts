import * as path from 'node:path'
import { InvalidArgumentError } from '../src/apk/errors.js'
import {
  alpineRepositories,
  indexUrl,
  isRemote,
  packageUrl,
  parseRepository
} from '../src/apk/fetch/repository.js'
import { emptyPackageInfo, type PackageInfo } from '../src/apk/types.js'

function pkg(name: string, version: string, arch?: string): PackageInfo {
  const checksum = 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAA='
  return { ...emptyPackageInfo(), checksum, name, version, arch, size: 1, installedSize: 1 }
}

describe('parseRepository', () => {
  test('keeps remote URLs as written, with the configured position', () => {
    const repo = parseRepository('https://dl-cdn.alpinelinux.org/alpine/v3.22/main', 3)
    expect(repo).toEqual({ url: 'https://dl-cdn.alpinelinux.org/alpine/v3.22/main', index: 3 })
    expect(isRemote(repo)).toBe(true)
    expect(isRemote(parseRepository('http://127.0.0.1:8080/repo/', 0))).toBe(true)
  })

  test('reads an @tag before the URL (spaces or tabs), stored without the @', () => {
    const repo = parseRepository('@testing\thttps://mirror.example/alpine/edge/testing', 1)
    expect(repo).toEqual({
      url: 'https://mirror.example/alpine/edge/testing',
      tag: 'testing',
      index: 1
    })
    expect(parseRepository('  @local   /srv/repo  ', 0)).toEqual({
      url: '/srv/repo',
      tag: 'local',
      index: 0
    })
  })

  test('turns file:// URLs and paths into absolute paths; relative ones from the cwd', () => {
    expect(parseRepository('file:///srv/apk/main', 0).url).toBe('/srv/apk/main')
    expect(parseRepository('file:///srv/my%20repo', 0).url).toBe('/srv/my repo')
    expect(parseRepository('/srv/apk/main', 0).url).toBe('/srv/apk/main')
    expect(parseRepository('repo/main', 0).url).toBe(path.resolve(process.cwd(), 'repo/main'))
    expect(parseRepository('./repo', 0).url).toBe(path.resolve(process.cwd(), 'repo'))
    // apk strips a bare `file:` prefix too.
    expect(parseRepository('file:repo', 0).url).toBe(path.resolve(process.cwd(), 'repo'))
    expect(isRemote(parseRepository('file:///srv/apk/main', 0))).toBe(false)
  })

  test('refuses ftp:// and other schemes, naming the value and the accepted forms', () => {
    for (const line of ['ftp://mirror.example/alpine/v3.22/main', 's3://bucket/alpine']) {
      let error: unknown
      try {
        parseRepository(line, 0)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as Error).message).toContain(line)
      expect((error as Error).message).toMatch(/https:\/\/.*http:\/\/.*file:\/\/.*path/)
    }
  })

  test('refuses empty lines and lines with extra words', () => {
    expect(() => parseRepository('', 0)).toThrow(InvalidArgumentError)
    expect(() => parseRepository('@tag', 0)).toThrow(InvalidArgumentError)
    expect(() => parseRepository('https://a.example/x https://b.example/y', 0)).toThrow(
      /not a repository/
    )
    expect(() => parseRepository('https://exa mple', 0)).toThrow(InvalidArgumentError)
  })
})

describe('index and package URLs (apk-format §2.3)', () => {
  const remote = parseRepository('https://dl-cdn.alpinelinux.org/alpine/v3.22/main', 0)
  const slashed = parseRepository('https://dl-cdn.alpinelinux.org/alpine/v3.22/main/', 0)

  test('index URL: REPO/ARCH/APKINDEX.tar.gz, with no doubled slash', () => {
    expect(indexUrl(remote, 'x86_64')).toBe(
      'https://dl-cdn.alpinelinux.org/alpine/v3.22/main/x86_64/APKINDEX.tar.gz'
    )
    expect(indexUrl(slashed, 'aarch64')).toBe(
      'https://dl-cdn.alpinelinux.org/alpine/v3.22/main/aarch64/APKINDEX.tar.gz'
    )
    expect(indexUrl(parseRepository('/srv/repo', 0), 'x86_64')).toBe(
      '/srv/repo/x86_64/APKINDEX.tar.gz'
    )
  })

  test("package URL uses the package's own arch when the index gives one", () => {
    expect(packageUrl(remote, pkg('musl', '1.2.5-r10', 'x86_64'), 'x86_64')).toBe(
      'https://dl-cdn.alpinelinux.org/alpine/v3.22/main/x86_64/musl-1.2.5-r10.apk'
    )
    expect(packageUrl(slashed, pkg('alpine-baselayout-data', '3.7.0-r0', 'noarch'), 'x86_64')).toBe(
      'https://dl-cdn.alpinelinux.org/alpine/v3.22/main/noarch/alpine-baselayout-data-3.7.0-r0.apk'
    )
    expect(packageUrl(parseRepository('/srv/repo', 0), pkg('hello', '1.0-r0'), 'armv7')).toBe(
      '/srv/repo/armv7/hello-1.0-r0.apk'
    )
  })
})

describe('alpineRepositories', () => {
  test('main and community of a branch, on the default CDN or a mirror', () => {
    expect(alpineRepositories('v3.22')).toEqual([
      'https://dl-cdn.alpinelinux.org/alpine/v3.22/main',
      'https://dl-cdn.alpinelinux.org/alpine/v3.22/community'
    ])
    expect(alpineRepositories('edge', 'http://127.0.0.1:8080/alpine/')).toEqual([
      'http://127.0.0.1:8080/alpine/edge/main',
      'http://127.0.0.1:8080/alpine/edge/community'
    ])
    expect(alpineRepositories('latest-stable')[0]).toMatch(/\/latest-stable\/main$/)
  })

  test('refuses what is not a branch, saying which forms work', () => {
    for (const bad of ['3.22', 'v3', 'stable', 'v3.22/main', '']) {
      expect(() => alpineRepositories(bad)).toThrow(InvalidArgumentError)
    }
    expect(() => alpineRepositories('3.22')).toThrow(/latest-stable, edge or vX\.Y/)
  })
})
