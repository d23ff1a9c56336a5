/**
 * Action inputs → BuildSpec: every input's default, parsing and validation, read from an env map
 * exactly as the runner provides it (action.yml against the code's table: action-yml.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { archNames, hostArch } from '../src/arch.js'
import { actionCommitTime } from '../src/action/commit-time.js'
import { InputError } from '../src/assemble/errors.js'
import { getInput, INPUTS, inputSecrets, readInputs } from '../src/assemble/inputs.js'
import { cliCommitTime } from '../src/cli-build.js'

let work: string
let workspace: string
let runnerTemp: string

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-inputs-'))
  workspace = path.join(work, 'workspace')
  runnerTemp = path.join(work, 'temp')
  fs.mkdirSync(path.join(workspace, 'build/x86_64'), { recursive: true })
  fs.mkdirSync(path.join(workspace, 'build/aarch64'), { recursive: true })
  fs.writeFileSync(path.join(workspace, 'build/x86_64/server'), 'binary')
  fs.writeFileSync(path.join(workspace, 'build/aarch64/server'), 'binary')
  fs.mkdirSync(path.join(workspace, 'site'))
  fs.writeFileSync(path.join(workspace, 'hello'), 'binary')
  fs.mkdirSync(path.join(workspace, 'keys'))
  fs.writeFileSync(path.join(workspace, 'keys/a.rsa.pub'), 'pem')
  fs.writeFileSync(path.join(workspace, 'extra.rsa.pub'), 'pem')
  fs.symlinkSync('loop', path.join(workspace, 'loop'))
  fs.mkdirSync(runnerTemp)
})

afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

/** The env a runner gives the step: INPUT_* (hyphens kept) plus context variables. */
function env(inputs: Record<string, string>, extra: Record<string, string> = {}) {
  const e: Record<string, string> = {
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    ...extra
  }
  for (const [name, value] of Object.entries({ packages: 'curl', ...inputs })) {
    e[`INPUT_${name.toUpperCase()}`] = value
  }
  return e
}

const context = { hostArch: 'x86_64', commitEpoch: () => 1700000000 }

function read(inputs: Record<string, string> = {}, extra: Record<string, string> = {}) {
  return readInputs(env(inputs, extra), context)
}

function inputError(
  inputs: Record<string, string>,
  extra: Record<string, string> = {}
): InputError {
  try {
    read(inputs, extra)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error(`no InputError for ${JSON.stringify(inputs)}`)
}

describe('defaults', () => {
  it('gives a complete spec from `packages` alone', () => {
    const spec = read()
    expect(spec).toEqual({
      packages: ['curl'],
      app: undefined,
      arches: ['x86_64'],
      repositories: [
        'https://dl-cdn.alpinelinux.org/alpine/latest-stable/main',
        'https://dl-cdn.alpinelinux.org/alpine/latest-stable/community'
      ],
      keyFiles: [],
      keyDirs: [],
      fetchAlpineKeys: true,
      allowUntrusted: false,
      image: {
        entrypoint: undefined,
        cmd: undefined,
        env: [],
        workdir: undefined,
        user: 'nonroot',
        labels: {},
        annotations: { 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' }
      },
      tags: ['witchery:latest'],
      output: path.join(workspace, 'image.tar'),
      sourceDateEpoch: 1700000000,
      cacheDir: path.join(runnerTemp, 'witchery-cache'),
      lock: undefined,
      layers: 8,
      credentials: [],
      alpineKeysUrl: undefined,
      scripts: 'native',
      elfNeeds: true,
      linkCheck: 'error',
      sbom: ['spdx', 'cyclonedx']
    })
  })

  it('takes scripts: none as apk --no-scripts', () => {
    expect(read({ scripts: 'none' }).scripts).toBe('none')
  })

  it.each([
    ['spdx', ['spdx']],
    ['cyclonedx', ['cyclonedx']],
    ['CycloneDX, SPDX', ['spdx', 'cyclonedx']],
    ['spdx\nspdx', ['spdx']],
    ['none', []]
  ])('reads sbom %j', (sbom, formats) => {
    expect(read({ sbom }).sbom).toEqual(formats)
  })

  it("uses the runner's arch and epoch 0 when no context is given", () => {
    const spec = readInputs(env({}))
    expect(spec.arches).toEqual([hostArch()])
    expect(spec.sourceDateEpoch).toBe(0)
  })

  it('fills tags and OCI annotations from the GitHub context', () => {
    const spec = read(
      {},
      {
        GITHUB_REPOSITORY: 'Octo-Org/My_Service.JS',
        GITHUB_SERVER_URL: 'https://github.example.com/',
        GITHUB_SHA: 'a'.repeat(40)
      }
    )
    expect(spec.tags).toEqual(['my_service.js:latest'])
    expect(spec.image.annotations).toEqual({
      'org.opencontainers.image.source': 'https://github.example.com/Octo-Org/My_Service.JS',
      'org.opencontainers.image.revision': 'a'.repeat(40),
      'org.opencontainers.image.created': '2023-11-14T22:13:20Z'
    })
  })

  it('makes a repository name a valid image name, else falls back to witchery', () => {
    expect(read({}, { GITHUB_REPOSITORY: 'o/--Weird..Name--' }).tags).toEqual(['weird-name:latest'])
    expect(read({}, { GITHUB_REPOSITORY: 'o/___' }).tags).toEqual(['witchery:latest'])
  })

  it('reads inputs like getInput: INPUT_<NAME> with hyphens kept, trimmed', () => {
    const e = { 'INPUT_FETCH-ALPINE-KEYS': '  false \n', INPUT_PACKAGES: ' curl ' }
    expect(getInput(e, 'fetch-alpine-keys')).toBe('false')
    expect(getInput(e, 'packages')).toBe('curl')
    expect(getInput({}, 'user')).toBe('nonroot')
    expect(getInput({ INPUT_USER: '   ' }, 'user')).toBe('nonroot')
    expect(
      readInputs({ ...env({}), 'INPUT_FETCH-ALPINE-KEYS': 'false' }, context).fetchAlpineKeys
    ).toBe(false)
  })
})

describe('packages', () => {
  it('splits on spaces, newlines and commas', () => {
    expect(read({ packages: 'curl, libssl3>=3.3\nso:libz.so.1  !busybox,,' }).packages).toEqual([
      'curl',
      'libssl3>=3.3',
      'so:libz.so.1',
      '!busybox'
    ])
  })
})

describe('arch', () => {
  it('takes Alpine and OCI names, deduplicated, in order', () => {
    expect(read({ arch: 'amd64, linux/arm64\nx86_64 armv7' }).arches).toEqual([
      'x86_64',
      'aarch64',
      'armv7'
    ])
  })

  it('names the input and every known arch for an unknown one', () => {
    const error = inputError({ arch: 'x86_64 mips' })
    expect(error.message).toBe(
      `input \`arch\`: unknown architecture 'mips'; use one of ${archNames()}`
    )
  })

  it('explains a runner arch Alpine does not build for', () => {
    expect(() => readInputs(env({}), { hostArch: 'sparc' })).toThrow(
      /input `arch`: the runner's architecture 'sparc'/
    )
  })
})

describe('app, app-dest, entrypoint, cmd', () => {
  it('puts a file app in /usr/bin and makes it the entrypoint', () => {
    const spec = read({ app: 'hello' })
    expect(spec.app).toEqual({ source: path.join(workspace, 'hello'), dest: '/usr/bin/hello' })
    expect(spec.image.entrypoint).toEqual(['/usr/bin/hello'])
  })

  it('puts a folder app in /app, with no default entrypoint', () => {
    const spec = read({ app: 'site' })
    expect(spec.app).toEqual({ source: path.join(workspace, 'site'), dest: '/app' })
    expect(spec.image.entrypoint).toBeUndefined()
  })

  it('keeps {arch} in the source and looks at the first arch to tell file from folder', () => {
    const spec = read({ app: 'build/{arch}/server', arch: 'aarch64,x86_64' })
    expect(spec.app).toEqual({
      source: path.join(workspace, 'build/{arch}/server'),
      dest: '/usr/bin/server'
    })
    expect(read({ app: 'out/server-{arch}' }).app?.dest).toBe('/usr/bin/server')
  })

  it('leaves a missing app to the build, assuming a file', () => {
    expect(read({ app: 'not-built-yet' }).app?.dest).toBe('/usr/bin/not-built-yet')
  })

  it('takes app-dest, normalised, and the entrypoint follows it', () => {
    const spec = read({ app: 'hello', 'app-dest': '/opt//svc/./hello' })
    expect(spec.app?.dest).toBe('/opt/svc/hello')
    expect(spec.image.entrypoint).toEqual(['/opt/svc/hello'])
  })

  // It was once the file /usr/local/bin itself (and `/lib/` replaced musl's folder).
  it("takes a file app's app-dest ending in / as the folder it goes in, under its own name", () => {
    const spec = read({ app: 'hello', 'app-dest': '/usr/local/bin/' })
    expect(spec.app?.dest).toBe('/usr/local/bin/hello')
    expect(spec.image.entrypoint).toEqual(['/usr/local/bin/hello'])
    expect(read({ app: 'build/{arch}/server', 'app-dest': '/srv//' }).app?.dest).toBe('/srv/server')
    // A folder's contents land under the folder either way.
    expect(read({ app: 'site', 'app-dest': '/srv/site/' }).app?.dest).toBe('/srv/site')
  })

  it('parses a JSON array or shell-like words, no shell semantics', () => {
    expect(read({ entrypoint: '["/app", "--name", "a b"]' }).image.entrypoint).toEqual([
      '/app',
      '--name',
      'a b'
    ])
    expect(read({ cmd: `--greeting 'hello world' --x="a 'b'" $HOME *` }).image.cmd).toEqual([
      '--greeting',
      'hello world',
      "--x=a 'b'",
      '$HOME',
      '*'
    ])
    expect(read({ cmd: "'' x" }).image.cmd).toEqual(['', 'x'])
  })

  it('lets `[]` remove the default entrypoint', () => {
    expect(read({ app: 'hello', entrypoint: '[]' }).image.entrypoint).toBeUndefined()
    expect(read({ app: 'hello', entrypoint: '/bin/other' }).image.entrypoint).toEqual([
      '/bin/other'
    ])
  })
})

describe('env, workdir, user, labels, annotations', () => {
  it('reads NAME=value lines, skipping blanks and comments', () => {
    const spec = read({ env: 'LOG_LEVEL=info\n\n# comment\n  URL=http://x/?a=b  \nEMPTY=' })
    expect(spec.image.env).toEqual(['LOG_LEVEL=info', 'URL=http://x/?a=b', 'EMPTY='])
  })

  it('takes an absolute workdir and a user', () => {
    const spec = read({ workdir: '/srv/app/', user: '1000:1000' })
    expect(spec.image.workdir).toBe('/srv/app')
    expect(spec.image.user).toBe('1000:1000')
    expect(read({ user: 'root' }).image.user).toBe('root')
    expect(read({ user: '1234' }).image.user).toBe('1234')
  })

  it('reads key=value labels and annotations; given annotations override the defaults', () => {
    const spec = read(
      {
        labels: 'org.opencontainers.image.title=app\nteam = platform',
        annotations: 'org.opencontainers.image.source=https://example.com/src\nnote=a=b'
      },
      { GITHUB_REPOSITORY: 'o/r', GITHUB_SHA: 'abc' }
    )
    expect(spec.image.labels).toEqual({ 'org.opencontainers.image.title': 'app', team: 'platform' })
    expect(spec.image.annotations).toEqual({
      'org.opencontainers.image.source': 'https://example.com/src',
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
      note: 'a=b'
    })
  })
})

describe('tags', () => {
  it('adds :latest where no tag is named and drops duplicates', () => {
    expect(
      read({
        tags: 'ghcr.io/o/app:1.0, ghcr.io/o/app\nlocalhost:5000/app localhost:5000/app:latest app:v1_2.3'
      }).tags
    ).toEqual([
      'ghcr.io/o/app:1.0',
      'ghcr.io/o/app:latest',
      'localhost:5000/app:latest',
      'app:v1_2.3'
    ])
  })
})

describe('branch and repositories', () => {
  it('expands a branch to its main and community repositories', () => {
    expect(read({ branch: 'v3.22' }).repositories).toEqual([
      'https://dl-cdn.alpinelinux.org/alpine/v3.22/main',
      'https://dl-cdn.alpinelinux.org/alpine/v3.22/community'
    ])
    expect(read({ branch: 'edge' }).repositories[0]).toBe(
      'https://dl-cdn.alpinelinux.org/alpine/edge/main'
    )
  })

  it('uses repositories instead of the branch, resolving paths from the workspace', () => {
    const spec = read({
      branch: 'edge',
      repositories:
        'https://mirror.example/alpine/v3.22/main\n# local\n./repo\n@testing https://x.example/testing\nfile:///srv/repo'
    })
    expect(spec.repositories).toEqual([
      'https://mirror.example/alpine/v3.22/main',
      path.join(workspace, 'repo'),
      '@testing https://x.example/testing',
      'file:///srv/repo'
    ])
  })
})

describe('keys, booleans, cache, epoch, output', () => {
  it('sorts key paths into files and folders', () => {
    const spec = read({ keys: 'keys\nextra.rsa.pub\n' })
    expect(spec.keyDirs).toEqual([path.join(workspace, 'keys')])
    expect(spec.keyFiles).toEqual([path.join(workspace, 'extra.rsa.pub')])
  })

  it('reads YAML booleans in every spelling getBooleanInput accepts', () => {
    expect(read({ 'allow-untrusted': 'True', 'fetch-alpine-keys': 'FALSE' })).toMatchObject({
      allowUntrusted: true,
      fetchAlpineKeys: false
    })
  })

  it('reads elf-needs and each link-check mode', () => {
    expect(read({ 'elf-needs': 'False', 'link-check': 'warn' })).toMatchObject({
      elfNeeds: false,
      linkCheck: 'warn'
    })
    expect(read({ 'link-check': 'off' }).linkCheck).toBe('off')
  })

  it('has no cache folder when cache is false', () => {
    expect(read({ cache: 'false' }).cacheDir).toBeUndefined()
  })

  it('takes the epoch from the input, else SOURCE_DATE_EPOCH, else the commit', () => {
    let asked = 0
    const ctx = { hostArch: 'x86_64', commitEpoch: () => (asked++, 42) }
    expect(
      readInputs(env({ 'source-date-epoch': '5' }, { SOURCE_DATE_EPOCH: '6' }), ctx).sourceDateEpoch
    ).toBe(5)
    expect(readInputs(env({}, { SOURCE_DATE_EPOCH: '6' }), ctx).sourceDateEpoch).toBe(6)
    expect(asked).toBe(0)
    const spec = readInputs(env({}), ctx)
    expect(spec.sourceDateEpoch).toBe(42)
    expect(spec.image.annotations['org.opencontainers.image.created']).toBe('1970-01-01T00:00:42Z')
    expect(asked).toBe(1)
  })

  it('resolves the output from the workspace', () => {
    expect(read({ output: 'out/img.tar' }).output).toBe(path.join(workspace, 'out/img.tar'))
    expect(read({ output: '/tmp/x/img.tar' }).output).toBe('/tmp/x/img.tar')
  })
})

const isRoot = process.getuid?.() === 0

/** A repository with one commit at 1650000000, owned by `owner` when given (needs root). */
function commitRepo(owner?: number): string {
  const repo = fs.mkdtempSync(path.join(work, 'git-'))
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      stdio: 'pipe',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.com',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.com',
        GIT_COMMITTER_DATE: '@1650000000 +0000',
        GIT_AUTHOR_DATE: '@1600000000 +0000'
      }
    })
  git('init', '-q')
  fs.writeFileSync(path.join(repo, 'f'), 'x')
  git('add', 'f')
  git('commit', '-q', '-m', 'c')
  if (owner !== undefined) execFileSync('chown', ['-R', String(owner), repo])
  return repo
}

describe.each([
  ['the action (@actions/exec)', actionCommitTime],
  ['the CLI (node:child_process)', cliCommitTime]
])('commit time read by %s', (_, commitTime) => {
  it("reads HEAD's commit time with git", async () => {
    expect(await commitTime(commitRepo())).toEqual({ seconds: 1650000000 })
  })

  // A job in a container: the checkout belongs to the runner's user, git runs as another.
  ;(isRoot ? it : it.skip)('reads it in a repository another user owns', async () => {
    const repo = commitRepo(12345)
    const plain = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: repo, encoding: 'utf8' })
    expect(plain.status).not.toBe(0)
    expect(plain.stderr).toMatch(/dubious ownership/)
    expect(await commitTime(repo)).toEqual({ seconds: 1650000000 })
    // Through a symlink to it, too: git may compare either path.
    const link = path.join(work, `link-${path.basename(repo)}`)
    fs.symlinkSync(repo, link)
    expect(await commitTime(link)).toEqual({ seconds: 1650000000 })
  })

  ;(isRoot ? it : it.skip)(
    'trusts only that repository, not its subfolders or others',
    async () => {
      const repo = commitRepo(12345)
      fs.mkdirSync(path.join(repo, 'sub'))
      const result = await commitTime(path.join(repo, 'sub'))
      expect(result.seconds).toBeUndefined()
      expect(result).toMatchObject({ problem: expect.stringMatching(/dubious ownership/) })
    }
  )

  it('says why outside a repository', async () => {
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-nogit-'))
    try {
      expect(await commitTime(plain)).toEqual({
        problem: expect.stringMatching(/not a git repository/)
      })
      expect(await commitTime(path.join(plain, 'missing'))).toEqual({
        problem: expect.stringMatching(/missing/)
      })
    } finally {
      fs.rmSync(plain, { recursive: true })
    }
  })
})

describe('every validation error names its input and the fix', () => {
  const cases: [string, Record<string, string>, RegExp, Record<string, string>?][] = [
    ['packages', { packages: '' }, /no packages given; name at least one/],
    ['packages', { packages: ' , \n' }, /no packages given/],
    [
      'packages',
      { packages: 'curl libssl3>=' },
      /'libssl3>=' is not a package name or apk constraint \(.*operator without a version\)/
    ],
    ['packages', { packages: '@edge' }, /'@edge' is not a package name/],
    ['arch', { arch: 'mips' }, /unknown architecture 'mips'; use one of x86_64, x86, aarch64/],
    ['app-dest', { 'app-dest': '/x' }, /is set but `app` is not/],
    [
      'app-dest',
      { app: 'hello', 'app-dest': 'usr/bin/hello' },
      /'usr\/bin\/hello' is not an absolute path in the image; start it with \//
    ],
    ['app-dest', { app: 'site', 'app-dest': '/' }, /cannot replace the image root/],
    // One-line inputs once took a line break as part of the path or the working folder.
    [
      'app-dest',
      { app: 'hello', 'app-dest': '/usr/bin/a\n/usr/bin/b' },
      /"\/usr\/bin\/a\\n\/usr\/bin\/b" holds a line break or another control character; give one path, on one line/
    ],
    // A path under a file once failed as a raw ENOTDIR.
    [
      'app',
      { app: 'hello/server' },
      /'hello\/server' lies under .*hello, which is a file, not a folder/
    ],
    ['app', { app: 'loop' }, /cannot look at 'loop': ELOOP.*; give a path this job can read/],
    ['app', { app: 'x'.repeat(5000) }, /cannot look at 'x+': ENAMETOOLONG/],
    ['app', { app: 'a\tb' }, /holds a line break or another control character/],
    ['entrypoint', { entrypoint: '["/app", 1]' }, /must be a JSON array of strings/],
    ['entrypoint', { entrypoint: '["/app"' }, /looks like a JSON array but does not parse/],
    [
      'cmd',
      { cmd: `--name 'unclosed` },
      /unterminated ' in .*close the quote, or give a JSON array/
    ],
    ['cmd', { cmd: '"/bin/app' }, /unterminated " in/],
    ['env', { env: 'GOOD=1\nBAD LINE' }, /line 2 'BAD LINE' is not NAME=value/],
    ['env', { env: '1X=2' }, /line 1 '1X=2' is not NAME=value/],
    ['workdir', { workdir: 'srv' }, /'srv' is not an absolute path in the image/],
    ['workdir', { workdir: '/app\n/data' }, /holds a line break or another control character/],
    ['user', { user: 'no body' }, /'no body' is not a user; use nonroot, root, a uid or uid:gid/],
    ['labels', { labels: 'novalue' }, /line 1 'novalue' is not key=value/],
    ['labels', { labels: '=x' }, /line 1 '=x' is not key=value/],
    ['annotations', { annotations: 'a b=c' }, /line 1 'a b=c' is not key=value/],
    [
      'tags',
      { tags: 'ghcr.io/O/App:1' },
      /'ghcr.io\/O\/App:1' is not an image reference; write e\.g\./
    ],
    ['tags', { tags: 'app@sha256:abc' }, /has a digest/],
    ['tags', { tags: 'app:-bad' }, /is not an image reference/],
    [
      'branch',
      { branch: '3.22' },
      /'3.22' is not an Alpine branch; use latest-stable, edge or vX\.Y/
    ],
    [
      'repositories',
      { repositories: 'ftp://example.com/alpine' },
      /ftp:\/\/, which is not supported/
    ],
    ['repositories', { repositories: 'https://a b c' }, /is not a repository/],
    // A tag alone once became a folder path named '@testing' and failed as a download.
    ['repositories', { repositories: '@testing' }, /line '@testing' has a tag but no repository/],
    [
      'repository-auth',
      { 'repository-auth': 'gitlab.example.com' },
      /line 1 of input `repository-auth` is not HOST USER:TOKEN/
    ],
    [
      'repository-auth',
      { 'repository-auth': '# comment\ngitlab.example.com s3cr3t-token' },
      /line 2 of input `repository-auth` \(for gitlab.example.com\): the credentials are not USER:TOKEN/
    ],
    ['repository-auth', { 'repository-auth': 'ftp://host u:p' }, /'ftp:\/\/host' is not a host/],
    [
      'repository-auth',
      {},
      /line 1 of WITCHERY_REPOSITORY_AUTH is not HOST USER:TOKEN/,
      { WITCHERY_REPOSITORY_AUTH: 'just-a-token' }
    ],
    [
      'repository-auth',
      { repositories: 'https://u:pw-one@h.example/r', 'repository-auth': 'h.example/r u:pw-two' },
      /two different credentials are given for h.example\/r\//
    ],
    [
      'keys',
      { keys: 'keys\nmissing.pub' },
      /'missing.pub' does not exist; give PEM public key files or folders/
    ],
    ['keys', { keys: 'hello/a.rsa.pub' }, /'hello\/a.rsa.pub' lies under .*hello, which is a file/],
    [
      'fetch-alpine-keys',
      { 'fetch-alpine-keys': 'yes' },
      /'yes' is not a boolean; use true or false/
    ],
    ['allow-untrusted', { 'allow-untrusted': '1' }, /'1' is not a boolean/],
    ['cache', { cache: 'on' }, /'on' is not a boolean/],
    ['elf-needs', { 'elf-needs': 'no' }, /'no' is not a boolean; use true or false/],
    [
      'link-check',
      { 'link-check': 'strict' },
      /'strict' is not a link check mode; use error \(fail the build\), warn or off/
    ],
    [
      'source-date-epoch',
      { 'source-date-epoch': '2024-01-01' },
      /input `source-date-epoch` is '2024-01-01', not a number of seconds/
    ],
    [
      'source-date-epoch',
      {},
      /environment variable SOURCE_DATE_EPOCH is 'soon'/,
      { SOURCE_DATE_EPOCH: 'soon' }
    ],
    // Both were once caught only after the install, the second as "Invalid time value".
    [
      'source-date-epoch',
      { 'source-date-epoch': '8589934592' },
      /is 8589934592, past 8589934591 \(2242-03-16T12:56:31Z\), the last time a tar header can hold/
    ],
    [
      'source-date-epoch',
      {},
      /SOURCE_DATE_EPOCH is 1700000000000, past 8589934591/,
      { SOURCE_DATE_EPOCH: '1700000000000' }
    ],
    ['source-date-epoch', { 'source-date-epoch': '9'.repeat(40) }, /not a number of seconds/],
    ['output', { output: 'out/' }, /'out\/' is a folder; give the tarball's file path/],
    ['output', { output: 'site' }, /'site' is an existing folder; give a file path/],
    ['lock', { lock: 'site' }, /'site' is a folder; give the lock file's path/],
    ['lock', { lock: 'hello/w.lock' }, /'hello\/w.lock' lies under .*hello, which is a file/],
    ['lock', { lock: 'a.lock\rb' }, /holds a line break or another control character/],
    ['output', { output: 'a.tar\nb.tar' }, /holds a line break or another control character/],
    ['lock-update', { 'lock-update': 'true' }, /is true but `lock` is not set/],
    ['lock-update', { lock: 'w.lock', 'lock-update': 'yes' }, /'yes' is not a boolean/],
    ['layers', { layers: '0' }, /'0' is not a number of layers from 1 to 100/],
    ['layers', { layers: 'many' }, /'many' is not a number of layers/],
    ['scripts', { scripts: 'all' }, /'all' is not a scripts mode; use native .* or none/],
    ['sbom', { sbom: 'syft' }, /'syft' is not an SBOM format; use spdx, cyclonedx, both/],
    ['sbom', { sbom: 'spdx,none' }, /'none' is not an SBOM format \(none cannot be combined/]
  ]

  it.each(cases)('%s: %j', (...[input, inputs, message, extra]) => {
    const error = inputError(inputs, extra)
    expect(error.input).toBe(input)
    expect(error.message.startsWith(`input \`${input}\`: `)).toBe(true)
    expect(error.message).toMatch(message)
  })

  it('never repeats a credential in a message', () => {
    for (const [, inputs, , extra] of cases) {
      const message = inputError(inputs, extra).message
      for (const secret of ['s3cr3t-token', 'just-a-token', 'pw-one', 'pw-two']) {
        expect(message).not.toMatch(new RegExp(`\\b${secret}\\b`))
      }
    }
    const bad = inputError({ repositories: 'https://user:hunter2@host.example/a b' })
    expect(bad.message).not.toContain('hunter2')
  })

  it('covers every input that can be wrong', () => {
    const alwaysValid = new Set<string>()
    const covered = new Set(cases.map(([input]) => input))
    for (const name of Object.keys(INPUTS)) {
      if (!alwaysValid.has(name)) expect([name, covered.has(name)]).toEqual([name, true])
    }
  })
})

describe('credentials for private repositories', () => {
  it('takes them out of repository URLs: the spec lists public URLs only', () => {
    const spec = read({
      repositories:
        'https://deploy:p%40ss@gitlab.example.com/api/v4/projects/7/packages/alpine\n@own http://tok@127.0.0.1:8080/repo'
    })
    expect(spec.repositories).toEqual([
      'https://gitlab.example.com/api/v4/projects/7/packages/alpine',
      '@own http://127.0.0.1:8080/repo'
    ])
    expect(spec.credentials).toEqual([
      {
        protocol: 'https:',
        host: 'gitlab.example.com',
        path: '/api/v4/projects/7/packages/alpine/',
        username: 'deploy',
        password: 'p@ss'
      },
      { protocol: 'http:', host: '127.0.0.1:8080', path: '/repo/', username: 'tok', password: '' }
    ])
    expect(JSON.stringify(spec)).not.toMatch(/p%40ss|deploy:/)
  })

  it('reads `repository-auth` and WITCHERY_REPOSITORY_AUTH lines', () => {
    const spec = read(
      {
        'repository-auth':
          'gitlab.example.com deploy:tok:en\n\n# a comment\nhttps://mirror.example:8443/alpine ci:x'
      },
      { WITCHERY_REPOSITORY_AUTH: 'cloudsmith.example u:k' }
    )
    expect(spec.credentials).toEqual([
      {
        protocol: 'https:',
        host: 'gitlab.example.com',
        path: '/',
        username: 'deploy',
        password: 'tok:en'
      },
      {
        protocol: 'https:',
        host: 'mirror.example:8443',
        path: '/alpine/',
        username: 'ci',
        password: 'x'
      },
      { protocol: 'https:', host: 'cloudsmith.example', path: '/', username: 'u', password: 'k' }
    ])
  })

  it('lists every secret to mask, even in lines that do not parse', () => {
    const secrets = inputSecrets(
      env(
        {
          repositories: 'https://deploy:p%40ss@host.example/r\nhttps://TOKEN1@other.example/r',
          'repository-auth': 'a.example u:pw1\nb.example broken-no-colon'
        },
        {
          WITCHERY_REPOSITORY_AUTH: 'only-a-token',
          HTTPS_PROXY: 'http://px:proxy-pw@proxy:3128',
          http_proxy: 'http://px:slash/proxy-pw@proxy:3128'
        }
      )
    )
    expect(secrets).toContain('px:slash/proxy-pw')
    for (const secret of [
      'p@ss',
      'p%40ss',
      'TOKEN1',
      'pw1',
      'broken-no-colon',
      'only-a-token',
      'proxy-pw'
    ]) {
      expect(secrets).toContain(secret)
    }
    expect(secrets).toContain(Buffer.from('u:pw1').toString('base64'))
    expect(secrets).not.toContain('deploy')
  })

  it('reads WITCHERY_ALPINE_KEYS_URL in the action too', () => {
    const spec = read({}, { WITCHERY_ALPINE_KEYS_URL: 'http://127.0.0.1:1/keys/' })
    expect(spec.alpineKeysUrl).toBe('http://127.0.0.1:1/keys/')
  })
})

describe('README claims about inputs', () => {
  it('env: each line is trimmed, the rest after the first = is kept as written', () => {
    expect(read({ env: '  A= b c  \nB=x=y\t' }).image.env).toEqual(['A= b c', 'B=x=y'])
  })

  it("the Usage example's image name works for an owner and repository with capitals", () => {
    const readme = fs.readFileSync(path.resolve('README.md'), 'utf8')
    const usage = readme.slice(readme.indexOf('## Usage'), readme.indexOf('## Inputs'))
    const step = /run: (echo "IMAGE=.*" >> "\$GITHUB_ENV")/.exec(usage)
    expect(step).not.toBeNull()
    const envFile = path.join(work, 'github-env')
    fs.writeFileSync(envFile, '')
    execFileSync('bash', ['-c', (step as RegExpExecArray)[1]], {
      env: { PATH: process.env.PATH, GITHUB_REPOSITORY: 'Acme/Hello.World', GITHUB_ENV: envFile }
    })
    const image = /^IMAGE=(.*)$/m.exec(fs.readFileSync(envFile, 'utf8'))?.[1]
    expect(image).toBe('ghcr.io/acme/hello.world')
    const tags = /tags: (.*)/.exec(usage)?.[1] ?? ''
    const given = tags
      .replace('${{ env.IMAGE }}', image as string)
      .replace('${{ github.sha }}', 'abc123')
    expect(read({ tags: given }).tags).toEqual(['ghcr.io/acme/hello.world:abc123'])
    // What the README used to show, and still warns about.
    expect(() => read({ tags: 'ghcr.io/Acme/Hello.World:abc123' })).toThrow(InputError)
  })
})
