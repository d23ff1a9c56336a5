/**
 * The install-script reader: top-level commands, and plain commands read into words only when
 * nothing in them is shell syntax witchery does not follow.
 */
import {
  commandLabel,
  readAssignment,
  readSimpleCommand,
  splitScript
} from '../src/apk/install/shell-script.js'
import { globMatches } from '../src/apk/install/scripts-native.js'

const none = new Map<string, string>()

function words(text: string, vars: ReadonlyMap<string, string> = none): string[] | undefined {
  const [command] = splitScript(text)
  return readSimpleCommand(command, vars)?.words
}

describe('splitScript', () => {
  it('drops comments and blank lines and keeps one entry per top-level command', () => {
    const commands = splitScript(
      '#!/bin/sh\n\n# make the account\naddgroup -S x 2>/dev/null\nadduser -S \\\n\t-D x\n\nexit 0\n'
    )
    expect(commands.map((c) => c.text)).toEqual([
      'addgroup -S x 2>/dev/null',
      'adduser -S \t-D x',
      'exit 0'
    ])
    expect(commands.every((c) => !c.compound)).toBe(true)
  })

  it('keeps if, case, loops, functions and here-documents whole, nested or not', () => {
    const script = [
      'f() {',
      '\tcat <<__EOF__',
      'case x in',
      '__EOF__',
      '}',
      'if [ -x /sbin/rc ]; then',
      '\tif true; then addgroup -S inner; fi',
      'fi',
      'for i in "$@"; do',
      '\tcase "$i" in',
      '\t\t*) x=1;;',
      '\tesac',
      'done',
      'g()',
      '{',
      '\taddgroup -S in-g',
      '}',
      'addgroup -S outer'
    ].join('\n')
    const commands = splitScript(script)
    expect(commands.map(commandLabel)).toEqual([
      'f() { …',
      'if [ -x /sbin/rc ]; then …',
      'for i in "$@"; do …',
      'g() …',
      'addgroup -S outer'
    ])
    expect(commands.map((c) => c.compound)).toEqual([true, true, true, true, false])
  })

  it('treats an unterminated construct as one command to the end', () => {
    const commands = splitScript('if true; then\naddgroup -S x\n')
    expect(commands).toHaveLength(1)
    expect(commands[0].compound).toBe(true)
  })
})

describe('readSimpleCommand', () => {
  it('reads literal words, quotes, silent redirections and a trailing || true', () => {
    expect(words('adduser -S -D -H -h /var/empty -g "NTP daemon" ntp 2>/dev/null')).toEqual([
      'adduser',
      '-S',
      '-D',
      '-H',
      '-h',
      '/var/empty',
      '-g',
      'NTP daemon',
      'ntp'
    ])
    const [cmd] = splitScript("addgroup -S 'www-data' >/dev/null 2>&1 || true")
    expect(readSimpleCommand(cmd, none)).toEqual({
      words: ['addgroup', '-S', 'www-data'],
      orTrue: true,
      exec: false
    })
    expect(readSimpleCommand(splitScript('exec /bin/busybox --install -s')[0], none)).toEqual({
      words: ['/bin/busybox', '--install', '-s'],
      orTrue: false,
      exec: true
    })
  })

  it('expands variables the script set, and nothing else', () => {
    const vars = new Map([
      ['user', 'dhcpcd'],
      ['spaced', 'a b']
    ])
    expect(words('adduser -h /var/lib/$user -G ${user} "$user"', vars)).toEqual([
      'adduser',
      '-h',
      '/var/lib/dhcpcd',
      '-G',
      'dhcpcd',
      'dhcpcd'
    ])
    expect(words('adduser $1', vars)).toBeUndefined()
    expect(words('adduser $other', vars)).toBeUndefined()
    // Unquoted, it would split into two words: not ours to guess.
    expect(words('adduser $spaced', vars)).toBeUndefined()
    expect(words('adduser "$spaced"', vars)).toEqual(['adduser', 'a b'])
  })

  it.each([
    'addgroup -S a; addgroup -S b',
    'addgroup -S a && adduser -S a',
    'addgroup -S a || exit 1',
    'addgroup -S $(id -un)',
    'addgroup -S `id -un`',
    'echo x > /etc/motd',
    'echo x >> /etc/motd',
    'cat < /etc/passwd',
    'rm -f /etc/*.conf',
    'addgroup -S "a"b|c',
    'addgroup -S a &',
    'adduser "unterminated'
  ])('refuses %s', (text) => {
    expect(words(text)).toBeUndefined()
  })

  it('reads name=value alone as an assignment', () => {
    const [cmd] = splitScript('group=dhcpcd')
    expect(readAssignment(cmd, none)).toEqual(['group', 'dhcpcd'])
    expect(readAssignment(splitScript('do_bb_install=')[0], none)).toEqual(['do_bb_install', ''])
    expect(readAssignment(splitScript('x=$(id)')[0], none)).toBeUndefined()
    expect(readAssignment(splitScript('X=1 adduser a')[0], none)).toBeUndefined()
  })

  // Doubling a variable line by line once grew it to hundreds of MiB from a 200-byte script.
  it('reads no word longer than 4 KiB, however it is made', () => {
    const vars = new Map<string, string>()
    const script = [
      'a=xxxxxxxxxxxxxxxx',
      ...Array<string>(40).fill('a=$a$a'),
      'b="$a"',
      'adduser $a'
    ]
    const commands = splitScript(script.join('\n'))
    let last = 0
    for (const command of commands.slice(0, 41)) {
      const assignment = readAssignment(command, vars)
      if (assignment === undefined) break
      vars.set(...assignment)
      last = assignment[1].length
    }
    expect(last).toBe(4096)
    expect(vars.get('a')?.length).toBe(4096)
    // The next doubling, a quoted copy twice over and a command word past the bound: not read.
    expect(readAssignment(splitScript('a=$a$a')[0], vars)).toBeUndefined()
    expect(readAssignment(splitScript('b="$a$a"')[0], vars)).toBeUndefined()
    expect(words(`adduser ${'y'.repeat(4097)}`)).toBeUndefined()
    expect(words(`adduser ${'y'.repeat(4096)}`)).toEqual(['adduser', 'y'.repeat(4096)])
  })
})

describe('trigger globs', () => {
  it.each([
    ['/usr/bin', '/usr/bin', true],
    ['/lib/modules/*', '/lib/modules/6.6.1-0-lts', true],
    ['/lib/modules/*', '/lib/modules/6.6.1-0-lts/kernel', false],
    ['/usr/share/icons/*', '/usr/share/icons', false],
    ['/usr/lib/gdk-pixbuf-?.*/*/loaders', '/usr/lib/gdk-pixbuf-2.10.0/loaders', false],
    ['/usr/lib/gdk-pixbuf-?.*/*/loaders', '/usr/lib/gdk-pixbuf-2.10.0/2.10.0/loaders', true],
    ['/etc/[ab]*', '/etc/apk', true],
    ['/etc/[!ab]*', '/etc/apk', false]
  ])('%s matches %s: %s', (glob, dir, matches) => {
    expect(globMatches(glob, dir)).toBe(matches)
  })
})
