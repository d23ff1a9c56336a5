import { parseDependencies } from '../src/apk/formats/dependency.js'
import { FormatError, UnsatisfiableError } from '../src/apk/errors.js'
import { solve, type Solution } from '../src/apk/solver/solve.js'
import { emptyPackageInfo, type RepoPackage, type Repository } from '../src/apk/types.js'

/**
 * Scenarios for the solver. Repositories are APKINDEX text (only the letters the solver reads:
 * C P V I k D p i A); a missing I: means 1 (a real package). Several come from apk-tools' own test
 * corpus (test/*.repo + *.test); their expectations are apk's `(n/m) Installing` order.
 */
function stanzas(text: string, repository: number): RepoPackage[] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((block) => {
      const pkg: RepoPackage = { ...emptyPackageInfo(), size: 1, installedSize: 1, repository }
      for (const raw of block.split('\n')) {
        const line = raw.trim()
        const value = line.slice(2)
        switch (line[0]) {
          case 'C':
            pkg.checksum = value
            break
          case 'P':
            pkg.name = value
            break
          case 'V':
            pkg.version = value
            break
          case 'A':
            pkg.arch = value
            break
          case 'I':
            pkg.installedSize = Number(value)
            break
          case 'k':
            pkg.providerPriority = Number(value)
            break
          case 'D':
            pkg.depends.push(...parseDependencies(value))
            break
          case 'p':
            pkg.provides.push(...parseDependencies(value))
            break
          case 'i':
            pkg.installIf.push(...parseDependencies(value))
            break
        }
      }
      return pkg
    })
}

interface Repo {
  text: string
  tag?: string
}

function resolve(world: string, repos: Repo[], arch?: string): Solution {
  const repositories: Repository[] = repos.map((r, index) => ({
    url: `repo${index}`,
    index,
    tag: r.tag
  }))
  const packages = repos.flatMap((r, index) => stanzas(r.text, index))
  return solve(parseDependencies(world), packages, { repositories, arch })
}

function installs(world: string, ...repos: (string | Repo)[]): string[] {
  const solution = resolve(
    world,
    repos.map((r) => (typeof r === 'string' ? { text: r } : r))
  )
  return solution.packages.map((p) => `${p.name}-${p.version}`)
}

function problems(world: string, ...repos: (string | Repo)[]): string[] {
  try {
    installs(world, ...repos)
  } catch (err) {
    expect(err).toBeInstanceOf(UnsatisfiableError)
    return (err as UnsatisfiableError).problems
  }
  throw new Error(`'${world}' resolved, but it should not`)
}

// apk-tools test/basic.repo
const BASIC = `
P:a
V:1
D:b

P:a
V:2
D:b

P:b
V:1

P:b
V:2

P:broken
V:1
D:missing-dependency
`

// apk-tools test/conflict.repo (as conflict1/conflict2 use it)
const CONFLICT = `
P:a
V:1
D:!b>1

P:b
V:1

P:b
V:2
`

// apk-tools test/provides.repo
const PROVIDES = `
P:libfoo
V:1
p:so:foo.so.1=1.0

P:libfoo
V:2
p:so:foo.so.2=1.0

P:app
V:2
D:so:foo.so.1

P:app2
V:2
D:so:foo.so.2

P:mymailreader
V:0.1

P:mymailreader
V:1
p:mail-reader
k:1

P:mailreadplus
V:1
p:mail-reader
k:2

P:server-a
V:1
p:theservice=1

P:server-b
V:1
p:theservice=2

P:selfconflicting
V:1
p:selfprovided=2 selfprovided=3

P:conflicted-provider-a
V:0.1
p:conflicted-provider

P:conflicted-provider-b
V:0.1
p:conflicted-provider conflicted-provider-2

P:conflicted-dep
V:0.1
D:conflicted-provider

P:conflicted-parent
V:0.1
D:conflicted-dep

P:self-provide
V:0.1
p:self-provide

P:conflicted-dep-2
V:0.1
D:conflicted-provider-2

P:pulseaudio-alsa
V:1
k:10

P:pulseaudio
V:1
k:10

P:pipewire-pulse
V:1
k:1
p:pulseaudio=1 pulseaudio-alsa=1

P:sane-backends
V:1

P:sane-backend-hpaio
V:1
i:sane-backends
p:hplip-sane

P:testp
V:0.1-r0
p:foopkg

P:testq
V:0.1-r0
p:foopkg

P:testr
V:0.1-r0
D:foopkg
`

// apk-tools test/installif1.repo (its libiif entry left out: installif1/2 expect no such package)
const INSTALLIF1 = `
P:app
V:1
D:lib

P:lib
V:1

P:foo
V:1

P:bar
V:1

P:appiif1
V:1
D:app
i:app foo

P:appiif2
V:1
D:app
i:app bar
`

// apk-tools test/installif8.repo
const INSTALLIF8 = `
P:foo
V:1
i:bar=1 !baz

P:bar
V:1

P:baz
V:1
`

// apk-tools test/pinning-basic.repo, and an overlay shaped after what pinning*.test expect of it
const PINNING_BASIC = `
P:a
V:2
D:b

P:b
V:2

P:c
V:2
D:a>=2

C:Q1c2FtZXZlci1iYXNpYy0xMDAwMDAwMDA=
P:samever
V:10
`
const PINNING_OVERLAY = `
P:a
V:3
D:b

P:b
V:3

P:c
V:3
D:a>=3

C:Q1c2FtZXZlci10ZXN0aW5nLTEwMDAwMDA=
P:samever
V:10
`

// The /bin/sh providers of Alpine (apk-tools test/solver/provides-prio.repo has the same shape)
const BINSH = `
P:busybox-binsh
V:1.37.0-r23
k:100
p:/bin/sh cmd:sh=1.37.0-r23

P:dash-binsh
V:0.5.12-r3
k:60
p:/bin/sh cmd:sh=0.5.12-r3

P:yash-binsh
V:2.58.1-r0
k:50
p:/bin/sh cmd:sh=2.58.1-r0
`

describe('apk-tools corpus: basic, conflicts, fuzzy', () => {
  it('basic1: the newest version, dependencies first', () => {
    expect(installs('a', BASIC)).toEqual(['b-2', 'a-2'])
  })

  it('a version constraint picks an older package and keeps its dependency newest', () => {
    expect(installs('a<2', BASIC)).toEqual(['b-2', 'a-1'])
    expect(installs('a=1 b<2', BASIC)).toEqual(['b-1', 'a-1'])
  })

  it('names a missing dependency and who needs it', () => {
    expect(problems('broken', BASIC)).toEqual([
      'missing-dependency (no such package):\n    required by: broken-1[missing-dependency]'
    ])
  })

  it('conflict1: a conflict steers the version of another world package', () => {
    expect(installs('a b', CONFLICT)).toEqual(['b-1', 'a-1'])
  })

  it('conflict2: a conflict with a world constraint', () => {
    expect(problems('a b>1', CONFLICT)).toEqual([
      'b-2:\n    breaks: a-1[!b>1]\n    satisfies: world[b>1]'
    ])
  })

  it('a world conflict with a dependency fails; with an unrelated name it is a no-op', () => {
    expect(problems('a !b', BASIC)).toEqual(['b-2:\n    breaks: world[!b]\n    satisfies: a-2[b]'])
    expect(installs('a !c', CONFLICT)).toEqual(['a-1'])
  })

  const FUZZY = `
P:a
V:2.2

P:a
V:2.10
`
  it('fuzzy1-3: ~ matches a version prefix (2.14 semantics)', () => {
    expect(installs('a~2.2', FUZZY)).toEqual(['a-2.2'])
    expect(installs('a>~2.5', FUZZY)).toEqual(['a-2.10'])
    expect(problems('a~2.4', FUZZY)).toEqual(['a-2.10:\n    breaks: world[a~2.4]'])
  })
})

describe('apk-tools corpus: provides', () => {
  it('provides1: a versioned so: provide pulls its package', () => {
    expect(installs('app', PROVIDES)).toEqual(['libfoo-1', 'app-2'])
  })

  it('provides2: the highest provider_priority wins among unversioned provides', () => {
    expect(installs('mail-reader', PROVIDES)).toEqual(['mailreadplus-1'])
  })

  it('provides3/4/8: a provider named in the world wins; unversioned provides coexist', () => {
    expect(installs('mail-reader mymailreader', PROVIDES)).toEqual(['mymailreader-1'])
    expect(installs('mymailreader mailreadplus', PROVIDES)).toEqual([
      'mailreadplus-1',
      'mymailreader-1'
    ])
    expect(installs('mail-reader mailreadplus', PROVIDES)).toEqual(['mailreadplus-1'])
  })

  it('provides5: two packages providing one name with a version conflict', () => {
    expect(problems('server-a server-b', PROVIDES)).toEqual([
      'server-a-1:\n    conflicts: server-b-1[theservice=1]\n    satisfies: world[server-a]',
      'server-b-1:\n    conflicts: server-a-1[theservice=2]\n    satisfies: world[server-b]'
    ])
  })

  it('provides6: two versions of one package pulled in by different sonames', () => {
    expect(problems('app app2', PROVIDES)).toEqual([
      'libfoo-1:\n    conflicts: libfoo-2\n    satisfies: app-2[so:foo.so.1]',
      'libfoo-2:\n    conflicts: libfoo-1\n    satisfies: app2-2[so:foo.so.2]'
    ])
  })

  it('provides7: a package providing one name twice conflicts with itself', () => {
    expect(problems('selfconflicting', PROVIDES)).toEqual([
      'selfconflicting-1:\n    conflicts: selfconflicting-1[selfprovided=2] selfconflicting-1[selfprovided=3]\n    satisfies: world[selfconflicting]'
    ])
  })

  const note = "    note: please select one of the 'provided by' packages explicitly"
  it('provides9-11: an ambiguous virtual name must be chosen explicitly', () => {
    expect(problems('conflicted-provider', PROVIDES)).toEqual([
      `conflicted-provider (virtual):\n${note}\n    provided by: conflicted-provider-a conflicted-provider-b\n    required by: world[conflicted-provider]`
    ])
    const viaDep = [
      `conflicted-provider (virtual):\n${note}\n    provided by: conflicted-provider-a conflicted-provider-b\n    required by: conflicted-dep-0.1[conflicted-provider]`
    ]
    expect(problems('conflicted-dep', PROVIDES)).toEqual(viaDep)
    expect(problems('conflicted-parent', PROVIDES)).toEqual(viaDep)
  })

  it('naming one of the providers settles the ambiguity', () => {
    expect(installs('conflicted-dep conflicted-provider-b', PROVIDES)).toEqual([
      'conflicted-provider-b-0.1',
      'conflicted-dep-0.1'
    ])
  })

  it('provides12: a package providing its own name unversioned conflicts with itself', () => {
    expect(problems('self-provide', PROVIDES)).toEqual([
      'self-provide-0.1:\n    conflicts: self-provide-0.1[self-provide]\n    satisfies: world[self-provide]'
    ])
  })

  it('provides13: real packages beat a provider of the same names', () => {
    expect(installs('pulseaudio pulseaudio-alsa', PROVIDES)).toEqual([
      'pulseaudio-1',
      'pulseaudio-alsa-1'
    ])
  })

  it('provides14/15: an unversioned provide without k is never picked on its own', () => {
    expect(problems('hplip-sane', PROVIDES)).toEqual([
      `hplip-sane (virtual):\n${note}\n    provided by: sane-backend-hpaio\n    required by: world[hplip-sane]`
    ])
    expect(problems('hplip-sane sane-backend-hpaio sane-backends nonexistent', PROVIDES)).toEqual([
      'nonexistent (no such package):\n    required by: world[nonexistent]'
    ])
  })

  it('provides16/17: a dependency on an ambiguous virtual name', () => {
    expect(problems('testr', PROVIDES)).toEqual([
      `foopkg (virtual):\n${note}\n    provided by: testp testq\n    required by: testr-0.1-r0[foopkg]`
    ])
    expect(installs('testp testr', PROVIDES)).toEqual(['testp-0.1-r0', 'testr-0.1-r0'])
  })
})

describe('provider selection (compare_providers)', () => {
  it('/bin/sh: all provides unversioned, the highest provider_priority wins', () => {
    expect(installs('/bin/sh', BINSH)).toEqual(['busybox-binsh-1.37.0-r23'])
  })

  it('cmd:sh: the highest provided version beats provider_priority', () => {
    expect(installs('cmd:sh', BINSH)).toEqual(['yash-binsh-2.58.1-r0'])
  })

  it('naming a provider in the world wins over priority', () => {
    expect(installs('/bin/sh dash-binsh', BINSH)).toEqual(['dash-binsh-0.5.12-r3'])
  })

  it('a versioned constraint on a provided name filters by the provided version', () => {
    expect(installs('cmd:sh<1', BINSH)).toEqual(['dash-binsh-0.5.12-r3'])
    expect(installs('cmd:sh~1.37', BINSH)).toEqual(['busybox-binsh-1.37.0-r23'])
  })

  it('a versioned constraint is never satisfied by an unversioned provide', () => {
    expect(problems('/bin/sh>1', BINSH)).toEqual([
      'busybox-binsh-1.37.0-r23:\n    breaks: world[/bin/sh>1]'
    ])
  })

  it('equal candidates: the first repository wins', () => {
    const a = `
C:Q1YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=
P:dup
V:1
`
    const b = `
C:Q1YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI=
P:dup
V:1
`
    const solution = resolve('dup', [{ text: a }, { text: b }])
    expect(solution.packages.map((p) => p.repository)).toEqual([0])
    const swapped = resolve('dup', [{ text: b }, { text: a }])
    expect(swapped.packages.map((p) => p.checksum)).toEqual(['Q1YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI='])
  })

  it('a newer version wins over the repository order', () => {
    expect(installs('b', 'P:b\nV:1', 'P:b\nV:2')).toEqual(['b-2'])
  })

  it('= and >= and <= pick the matching version', () => {
    const repo = 'P:x\nV:1.0-r0\n\nP:x\nV:1.1-r0\n\nP:x\nV:2.0-r0'
    expect(installs('x=1.1-r0', repo)).toEqual(['x-1.1-r0'])
    expect(installs('x<=1.1-r0', repo)).toEqual(['x-1.1-r0'])
    expect(installs('x>=1.1', repo)).toEqual(['x-2.0-r0'])
    expect(installs('x<2', repo)).toEqual(['x-1.1-r0'])
    expect(installs('x~1', repo)).toEqual(['x-1.1-r0'])
  })

  it('the checksum form selects one identity', () => {
    const repo = `
C:Q1b2xkb2xkb2xkb2xkb2xkb2xkb2xkb2w=
P:x
V:1

C:Q1bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmU=
P:x
V:2
`
    expect(installs('x><Q1b2xkb2xkb2xkb2xkb2xkb2xkb2xkb2w=', repo)).toEqual(['x-1'])
  })

  it('so:, cmd: and pc: names are ordinary provided names', () => {
    const repo = `
P:zlib
V:1.3.1-r2
p:so:libz.so.1=1.3.1

P:zlib-dev
V:1.3.1-r2
D:zlib=1.3.1-r2
p:pc:zlib=1.3.1

P:pigz
V:2.8-r1
D:so:libz.so.1
p:cmd:pigz=2.8-r1 cmd:unpigz=2.8-r1
`
    expect(installs('pc:zlib', repo)).toEqual(['zlib-1.3.1-r2', 'zlib-dev-1.3.1-r2'])
    expect(installs('cmd:unpigz', repo)).toEqual(['zlib-1.3.1-r2', 'pigz-2.8-r1'])
    expect(installs('pc:zlib>=1.3', repo)).toEqual(['zlib-1.3.1-r2', 'zlib-dev-1.3.1-r2'])
    expect(problems('pc:zlib>=2', repo)).toEqual([
      'zlib-dev-1.3.1-r2:\n    breaks: world[pc:zlib>=2]'
    ])
  })

  it('an empty world installs nothing', () => {
    expect(installs('', BASIC)).toEqual([])
  })

  it('packages built for another arch are never selected when an arch is given', () => {
    const repo = 'P:x\nV:2\nA:aarch64\n\nP:x\nV:1\nA:x86_64\n\nP:y\nV:1\nA:noarch'
    const solution = resolve('x y', [{ text: repo }], 'x86_64')
    expect(solution.packages.map((p) => `${p.name}-${p.version}`)).toEqual(['x-1', 'y-1'])
  })
})

describe('install_if', () => {
  it('installif1: a package joins once all its conditions are installed', () => {
    expect(installs('foo app', INSTALLIF1)).toEqual(['lib-1', 'app-1', 'foo-1', 'appiif1-1'])
  })

  it('installif2: each joins right after the last package it waits for', () => {
    expect(installs('foo app bar', INSTALLIF1)).toEqual([
      'lib-1',
      'app-1',
      'bar-1',
      'appiif2-1',
      'foo-1',
      'appiif1-1'
    ])
  })

  it('installif8/9: a conflict condition is tested against what gets installed', () => {
    expect(installs('bar', INSTALLIF8)).toEqual(['bar-1', 'foo-1'])
    expect(installs('bar baz', INSTALLIF8)).toEqual(['bar-1', 'baz-1'])
  })

  it('a world conflict keeps an install_if package out', () => {
    expect(installs('foo app !appiif1', INSTALLIF1)).toEqual(['lib-1', 'app-1', 'foo-1'])
  })

  it('a versioned condition must match the chosen version', () => {
    const repo = 'P:base\nV:1\n\nP:base\nV:2\n\nP:extra\nV:1\ni:base=1'
    expect(installs('base', repo)).toEqual(['base-2'])
    expect(installs('base<2', repo)).toEqual(['base-1', 'extra-1'])
  })
})

describe('changeset order', () => {
  it('world sorted, dependencies depth-first in D: order, then install_if (apk-format §5.6)', () => {
    const repo = `
P:base
V:1
D:/bin/sh

P:noFiles
V:1
I:0

P:sh
V:1
p:/bin/sh

P:zafter
V:1
i:base noFiles
`
    expect(installs('sh noFiles base', repo)).toEqual(['sh-1', 'base-1', 'noFiles-1', 'zafter-1'])
  })

  it('dependencies come in D: order, each package once', () => {
    const repo = `
P:top
V:1
D:z y x

P:x
V:1
D:shared

P:y
V:1
D:shared

P:z
V:1

P:shared
V:1
`
    expect(installs('top', repo)).toEqual(['z-1', 'shared-1', 'y-1', 'x-1', 'top-1'])
  })

  it('the world is sorted case-insensitively, whatever order it was given in', () => {
    const repo = 'P:B\nV:1\n\nP:a\nV:1\n\nP:c\nV:1'
    expect(installs('c B a', repo)).toEqual(['a-1', 'B-1', 'c-1'])
  })

  it('is deterministic', () => {
    const first = installs('foo app bar', INSTALLIF1)
    for (let i = 0; i < 5; i++) expect(installs('bar foo app', INSTALLIF1)).toEqual(first)
  })

  it('a later world entry on the same name replaces the earlier one, like apk add', () => {
    expect(installs('a a<2', BASIC)).toEqual(['b-2', 'a-1'])
  })
})

describe('repository tags (pinning)', () => {
  const repos: Repo[] = [{ text: PINNING_BASIC }, { text: PINNING_OVERLAY, tag: 'testing' }]
  const run = (world: string): string[] => {
    const s = resolve(world, repos)
    return s.packages.map(
      (p) => `${p.name}${s.tags.has(p) ? `@${s.tags.get(p)}` : ''}-${p.version}`
    )
  }

  it('pinning1: packages from tagged repositories are not used without the tag', () => {
    expect(run('a')).toEqual(['b-2', 'a-2'])
  })

  it('pinning2: name@tag allows the tagged repository for it and its dependencies', () => {
    expect(run('a@testing')).toEqual(['b-2', 'a@testing-3'])
  })

  it('pinning3: each world tag is also preferred', () => {
    expect(run('a@testing b@testing')).toEqual(['b@testing-3', 'a@testing-3'])
  })

  it('pinning4: a dependency takes the tagged version only when it must', () => {
    expect(run('c@testing')).toEqual(['b-2', 'a@testing-3', 'c@testing-3'])
  })

  it('pinning13: the same version in both: the tagged one', () => {
    const s = resolve('samever@testing', repos)
    expect(s.packages.map((p) => p.repository)).toEqual([1])
    expect(s.tags.get(s.packages[0])).toBe('testing')
  })

  // One identity in two repositories is one package, as apk merges it: of the first repository,
  // and allowed by either's tag, also when the packages come as one list (one table, in which an
  // identity can come twice, unlike an index's).
  it('one identity in two repositories is one package, of the first, allowed by either', () => {
    const same = 'C:Q1SAMESAMESAMESAMESAMESAMESAM=\nP:dup\nV:1'
    const both = [{ text: same, tag: 'testing' }, { text: same }]
    const s = resolve('dup', both)
    expect(s.packages.map((p) => `${p.name}-${p.version}:${p.repository}`)).toEqual(['dup-1:0'])
    expect(s.tags.has(s.packages[0])).toBe(false)
  })

  it('a tag that no repository has is refused', () => {
    const err = (() => {
      try {
        resolve('a@edge', repos)
      } catch (e) {
        return e as UnsatisfiableError
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(UnsatisfiableError)
    expect(err?.problems[0]).toMatch(/world\[a@edge\].*@edge/)
  })

  it('a package only in a tagged repository is masked without the tag', () => {
    const only = [{ text: 'P:other\nV:1' }, { text: 'P:newpkg\nV:1', tag: 'testing' }]
    let problemsSeen: string[] = []
    try {
      resolve('newpkg', only)
    } catch (e) {
      problemsSeen = (e as UnsatisfiableError).problems
    }
    expect(problemsSeen).toEqual([
      'newpkg-1:\n    masked in: @testing\n    satisfies: world[newpkg]'
    ])
    expect(resolve('newpkg@testing', only).packages.map((p) => p.name)).toEqual(['newpkg'])
  })
})

describe('errors read like apk', () => {
  const repo = `
P:curl
V:8.14.1-r2
D:so:libc.musl-x86_64.so.1

P:curlftpfs
V:0.9.2-r3

P:musl
V:1.2.5-r10
p:so:libc.musl-x86_64.so.1=1

P:busybox
V:1.37.0-r19
D:so:libc.musl-x86_64.so.1
`

  it('an unknown name, with close names from the index', () => {
    expect(problems('crul', repo)).toEqual([
      'crul (no such package):\n    required by: world[crul]\n    did you mean: curl?'
    ])
    expect(problems('cur', repo)).toEqual([
      'cur (no such package):\n    required by: world[cur]\n    did you mean: curl, curlftpfs?'
    ])
    expect(problems('zzzzzz', repo)).toEqual([
      'zzzzzz (no such package):\n    required by: world[zzzzzz]'
    ])
  })

  it('a version nothing has', () => {
    expect(problems('curl<8.0', repo)).toEqual(['curl-8.14.1-r2:\n    breaks: world[curl<8.0]'])
  })

  it('a world conflict with a dependency names the chain that needs it', () => {
    expect(problems('busybox !musl', repo)).toEqual([
      'musl-1.2.5-r10:\n    breaks: world[!musl]\n    satisfies: busybox-1.37.0-r19[so:libc.musl-x86_64.so.1]'
    ])
  })

  it('the error message lists every problem', () => {
    try {
      installs('busybox !musl nosuch', repo)
    } catch (e) {
      expect((e as Error).message).toBe(
        'unable to select packages:\n' +
          '  nosuch (no such package):\n    required by: world[nosuch]\n' +
          '  musl-1.2.5-r10:\n    breaks: world[!musl]\n    satisfies: busybox-1.37.0-r19[so:libc.musl-x86_64.so.1]'
      )
      return
    }
    throw new Error('expected a failure')
  })
})

// A hostile repository's index is as large as it likes: the solver's work must grow with it,
// not with its square.
describe('work that grows with the index, not its square', () => {
  const plain = (m: number, extra: (i: number) => string = () => '') =>
    [
      `P:h\nV:1\nD:${Array.from({ length: m }, (_, i) => `p${i}`).join(' ')}`,
      ...Array.from({ length: m }, (_, i) => `P:p${i}\nV:1${extra(i)}`)
    ].join('\n\n')

  /** The quickest of three runs of `work`, in milliseconds. */
  const quicker = (work: () => void) =>
    Math.min(
      ...[0, 1, 2].map(() => {
        const started = performance.now()
        work()
        return performance.now() - started
      })
    )

  // Taking a name out of the unresolved list once filtered the whole list (32,000 took 10 s);
  // then the next name to decide was found by a scan of the whole list, as apk finds it: 40,000
  // took 5 s, four times as long for each doubling. The work must grow with the list.
  it('resolves a package of 40,000 dependencies in time that grows with their number', () => {
    const small = quicker(() => expect(installs('h', plain(5000))).toHaveLength(5001))
    const large = quicker(() => expect(installs('h', plain(40000))).toHaveLength(40001))
    // Eight times the dependencies: 9-12 times the time here (with the collector); with the
    // square it was 64. (Four times, against a bound of 8, once measured 8.4 on a busy machine.)
    expect(large / small).toBeLessThan(24)
  })

  // Each name a chosen package provides was checked against its other providers by a scan of
  // their provides: a package of 2,000 provides took 13 s, eight times as long for each doubling.
  it('resolves a package of 2,000 provides in time that grows at most with their square', () => {
    const provides = (m: number) => {
      const cmds = Array.from({ length: m }, (_, i) => `cmd:c${i}`)
      return [
        'P:h\nV:1\nD:u',
        `P:u\nV:1\np:${cmds.map((c) => `${c}=1`).join(' ')}`,
        `P:v\nV:1\nD:${cmds.join(' ')}`
      ].join('\n\n')
    }
    const small = quicker(() => expect(installs('h v', provides(500))).toHaveLength(3))
    const large = quicker(() => expect(installs('h v', provides(2000))).toHaveLength(3))
    // Four times the provides: 8-16 times the time here; with the cube it was 64.
    expect(large / small).toBeLessThan(32)
  })

  // A chain this deep once escaped as a raw RangeError (the stack ran out in discovery).
  it('fails cleanly on a dependency chain thousands deep', () => {
    const chain = Array.from(
      { length: 20000 },
      (_, i) => `P:c${i}\nV:1${i < 19999 ? `\nD:c${i + 1}` : ''}`
    ).join('\n\n')
    let error: unknown
    try {
      installs('c0', chain)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(FormatError)
    expect((error as Error).message).toMatch(/nest thousands of packages deep/)
  })

  // One package providing x=1 2,000 times once made 4 million conflicts (a 36 MB message), and
  // a hub of 16,000 dependencies with one missing took 28 s to explain.
  it('keeps an explanation bounded', () => {
    const provides = Array.from({ length: 2000 }, () => 'x=1').join(' ')
    const started = Date.now()
    const many = problems('a b', `P:a\nV:1\np:${provides}\n\nP:b\nV:1\np:x=2\nD:!x`)
    expect(many.join('\n').length).toBeLessThan(20000)
    const hub = plain(16000, (i) => (i === 0 ? '\nD:missing' : ''))
    const missing = problems('h', hub)
    expect(missing[0]).toMatch(/^missing \(no such package\):\n {4}required by: p0-1\[missing\]/)
    expect(missing.join('\n').length).toBeLessThan(200000)
    expect(Date.now() - started).toBeLessThan(10000)
  })
})
