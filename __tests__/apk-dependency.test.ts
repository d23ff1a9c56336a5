import {
  dependencyMatchesVersion,
  dependencySatisfiedBy,
  formatDependencies,
  formatDependency,
  parseDependencies,
  parseDependency,
  providedVersion,
  satisfiedByProvider
} from '../src/apk/formats/dependency.js'
import { FormatError } from '../src/apk/errors.js'
import { VersionOp, type PackageInfo } from '../src/apk/types.js'

const { LESS, EQUAL, GREATER, FUZZY, CHECKSUM, ANY } = VersionOp

describe('parseDependency', () => {
  it.each<
    [string, { name: string; op: number; version?: string; conflict: boolean; tag?: string }]
  >([
    ['curl', { name: 'curl', op: ANY, conflict: false }],
    ['so:libc.musl-x86_64.so.1', { name: 'so:libc.musl-x86_64.so.1', op: ANY, conflict: false }],
    ['/bin/sh', { name: '/bin/sh', op: ANY, conflict: false }],
    ['!musl', { name: 'musl', op: ANY, conflict: true }],
    ['curl<8.0', { name: 'curl', op: LESS, version: '8.0', conflict: false }],
    ['curl<=8.0', { name: 'curl', op: LESS | EQUAL, version: '8.0', conflict: false }],
    ['curl=8.0-r1', { name: 'curl', op: EQUAL, version: '8.0-r1', conflict: false }],
    ['curl>=8.0', { name: 'curl', op: GREATER | EQUAL, version: '8.0', conflict: false }],
    ['curl>8.0', { name: 'curl', op: GREATER, version: '8.0', conflict: false }],
    ['curl~8', { name: 'curl', op: FUZZY | EQUAL, version: '8', conflict: false }],
    ['curl=~8', { name: 'curl', op: FUZZY | EQUAL, version: '8', conflict: false }],
    ['curl>~8', { name: 'curl', op: GREATER | FUZZY | EQUAL, version: '8', conflict: false }],
    ['curl=<8', { name: 'curl', op: LESS | EQUAL, version: '8', conflict: false }],
    ['!curl<8', { name: 'curl', op: LESS, version: '8', conflict: true }],
    ['curl@edge', { name: 'curl', op: ANY, conflict: false, tag: 'edge' }],
    [
      'curl@edge>=8.0',
      { name: 'curl', op: GREATER | EQUAL, version: '8.0', conflict: false, tag: 'edge' }
    ],
    [
      'hello><Q1+PWCbW53fJtQ4LSw9BlY0GolOpc=',
      { name: 'hello', op: CHECKSUM, version: 'Q1+PWCbW53fJtQ4LSw9BlY0GolOpc=', conflict: false }
    ]
  ])('%s', (token, expected) => {
    expect(parseDependency(token)).toEqual(expected)
  })

  it.each([
    '',
    '!',
    'curl=',
    'curl>=',
    '=1.0',
    '@tag',
    'curl=1.0_foo',
    'curl<1.0~abc',
    'curl=1.0-x'
  ])('rejects %j with a FormatError', (token) => {
    expect(() => parseDependency(token)).toThrow(FormatError)
  })

  it('names the token in the error', () => {
    expect(() => parseDependency('curl=1.0-x')).toThrow(/curl=1\.0-x/)
  })
})

describe('parseDependencies', () => {
  it('splits on spaces and newlines', () => {
    expect(parseDependencies('a  b\nc>1 \n').map((d) => d.name)).toEqual(['a', 'b', 'c'])
  })

  it('stops at a malformed token, like apk', () => {
    expect(parseDependencies('a b= c').map((d) => d.name)).toEqual(['a'])
  })

  it('returns nothing for an empty list', () => {
    expect(parseDependencies('')).toEqual([])
    expect(parseDependencies('\n')).toEqual([])
  })
})

describe('formatDependency', () => {
  it.each([
    ['curl', 'curl'],
    ['!musl', '!musl'],
    ['curl<8.0', 'curl<8.0'],
    ['curl<=8.0', 'curl<=8.0'],
    ['curl=<8.0', 'curl<=8.0'],
    ['curl=8.0', 'curl=8.0'],
    ['curl>=8.0', 'curl>=8.0'],
    ['curl=>8.0', 'curl>=8.0'],
    ['curl>8.0', 'curl>8.0'],
    ['curl~8', 'curl~8'],
    ['curl=~8', 'curl~8'],
    ['curl><Q1abc=', 'curl><Q1abc='],
    ['curl<>Q1abc=', 'curl><Q1abc='],
    // 2.14 has no spelling for these two masks.
    ['curl>~8', 'curl?8'],
    ['curl<~8', 'curl?8'],
    ['curl@edge>=8', 'curl@edge>=8']
  ])('%s → %s', (token, text) => {
    expect(formatDependency(parseDependency(token))).toBe(text)
  })

  it('drops the tag for index lines', () => {
    expect(formatDependency(parseDependency('curl@edge>=8'), false)).toBe('curl>=8')
  })

  it('joins a list with single spaces', () => {
    expect(formatDependencies(parseDependencies('a  b>1\n!c'))).toBe('a b>1 !c')
  })
})

describe('dependencyMatchesVersion', () => {
  it.each<[string, string | undefined, boolean]>([
    ['curl', '8.14.1-r2', true],
    ['curl', undefined, true],
    ['curl>8.0', '8.14.1-r2', true],
    ['curl<8.0', '8.14.1-r2', false],
    ['curl>=8.14.1-r2', '8.14.1-r2', true],
    ['curl>8.14.1-r2', '8.14.1-r2', false],
    ['curl<=8.14.1-r2', '8.14.1-r2', true],
    ['curl=8.14.1-r2', '8.14.1-r2', true],
    ['curl=8.14.1', '8.14.1-r2', false],
    ['curl~8.14', '8.14.1-r2', true],
    ['curl~8.1', '8.14.1-r2', false],
    ['curl>~8.14', '8.14.1-r2', true],
    ['curl>~8.14', '8.13', false],
    // A versioned constraint is never satisfied by an unversioned provide.
    ['curl>0', undefined, false],
    ['curl=1', undefined, false],
    // A conflict inverts the answer.
    ['!curl', '8.0', false],
    ['!curl', undefined, false],
    ['!curl<8.0', '8.14.1-r2', true],
    ['!curl<8.0', '7.0', false],
    ['!curl>0', undefined, true]
  ])('%s vs %s → %s', (token, version, expected) => {
    expect(dependencyMatchesVersion(parseDependency(token), version)).toBe(expected)
  })
})

function pkg(name: string, version: string, provides = '', checksum = ''): PackageInfo {
  return {
    checksum,
    name,
    version,
    size: 1,
    installedSize: 1,
    description: '',
    url: '',
    license: '',
    buildTime: 0,
    providerPriority: 0,
    depends: [],
    provides: parseDependencies(provides),
    installIf: [],
    replaces: [],
    replacesPriority: 0,
    triggers: []
  }
}

describe('the satisfaction test of a provider', () => {
  const busybox = pkg('busybox', '1.37.0-r19', 'cmd:sh=1.37.0-r19 /bin/sh')
  const musl = pkg(
    'musl',
    '1.2.5-r10',
    'so:libc.musl-x86_64.so.1=1',
    'Q1+PWCbW53fJtQ4LSw9BlY0GolOpc='
  )

  it('finds the version a package provides a name under', () => {
    expect(providedVersion(busybox, 'busybox')).toBe('1.37.0-r19')
    expect(providedVersion(busybox, 'cmd:sh')).toBe('1.37.0-r19')
    expect(providedVersion(busybox, '/bin/sh')).toBeNull()
    expect(providedVersion(busybox, 'musl')).toBeUndefined()
  })

  it.each<[string, PackageInfo | undefined, boolean]>([
    ['busybox', busybox, true],
    ['busybox>2', busybox, false],
    ['cmd:sh>=1', busybox, true],
    ['/bin/sh', busybox, true],
    ['/bin/sh>=1', busybox, false],
    ['!/bin/sh', busybox, false],
    ['so:libc.musl-x86_64.so.1', musl, true],
    ['so:libc.musl-x86_64.so.1>=1', musl, true],
    ['so:libc.musl-x86_64.so.1>1', musl, false],
    // A package that does not provide the name satisfies only a conflict; so does no package.
    ['musl', busybox, false],
    ['!musl', busybox, true],
    ['!musl', undefined, true],
    ['musl', undefined, false],
    // The checksum form compares the identity, whatever its spelling.
    ['musl><Q1+PWCbW53fJtQ4LSw9BlY0GolOpc=', musl, true],
    ['musl><X1F8F5826D6E777C9B50E0B4B0F41958D06A253A97', musl, true],
    ['musl><Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=', musl, false]
  ])('%s by %#', (token, provider, expected) => {
    expect(dependencySatisfiedBy(parseDependency(token), provider)).toBe(expected)
  })

  it('takes an explicit provider', () => {
    const dep = parseDependency('cmd:sh>2')
    expect(satisfiedByProvider(dep, busybox.checksum, '1.37.0-r19')).toBe(false)
    expect(satisfiedByProvider(dep, busybox.checksum, '3')).toBe(true)
    // An unversioned provide meets only an unversioned dependency.
    expect(satisfiedByProvider(dep, busybox.checksum, undefined)).toBe(false)
    expect(satisfiedByProvider(parseDependency('cmd:sh'), busybox.checksum, undefined)).toBe(true)
    const identity = parseDependency(`musl><${musl.checksum}`)
    expect(satisfiedByProvider(identity, musl.checksum, undefined)).toBe(true)
    expect(satisfiedByProvider(identity, busybox.checksum, '1.2.5-r10')).toBe(false)
  })
})
