/**
 * A small tar writer for test fixtures, written independently of src/ so that tests check the
 * engine's tar reader against bytes it did not produce.
 *
 * Two header styles, matching what the reference repository holds byte for byte:
 * - 'posix' (abuild's packages: GNU tar --format=posix): magic `ustar\0` + `00`, numbers as
 *   7/11 octal digits + NUL, devmajor/devminor `0000000\0` on real entries and NUL on PAX headers;
 * - 'gnu' (`apk index` and lib/apk/db/scripts.tar): magic `ustar  \0`, size and mtime as 12 octal
 *   digits without NUL, devmajor/devminor/prefix NUL.
 */

export type TarType =
  'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'dir' | 'fifo' | 'pax' | 'paxGlobal'

export type TarStyle = 'posix' | 'gnu'

export interface TarHeader {
  /** Written as-is into the 100-byte name field (truncated there; use a PAX `path` for more). */
  name: string
  type: TarType
  mode: number
  uid: number
  gid: number
  uname: string
  gname: string
  size: number
  mtime: number
  linkname?: string
  devmajor?: number
  devminor?: number
}

export const BLOCK = 512

/** Two zero blocks: the end-of-archive marker. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK)

const TYPEFLAG: Record<TarType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  dir: '5',
  fifo: '6',
  pax: 'x',
  paxGlobal: 'g'
}

function putString(block: Buffer, offset: number, length: number, value: string | Buffer): void {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  bytes.copy(block, offset, 0, Math.min(bytes.length, length))
}

/** `digits` octal digits, zero-padded, plus a NUL unless `nul` is false. */
function octal(value: number, digits: number, nul = true): string {
  const text = value.toString(8).padStart(digits, '0')
  if (text.length > digits)
    throw new Error(`tar-writer: ${value} does not fit ${digits} octal digits`)
  return nul ? `${text}\0` : text
}

/** One 512-byte header block with a correct checksum. */
export function tarHeader(h: TarHeader, style: TarStyle = 'posix'): Buffer {
  const block = Buffer.alloc(BLOCK)
  const gnu = style === 'gnu'
  putString(block, 0, 100, h.name)
  putString(block, 100, 8, octal(h.mode & 0o7777, 7))
  putString(block, 108, 8, octal(h.uid, 7))
  putString(block, 116, 8, octal(h.gid, 7))
  putString(block, 124, 12, gnu ? octal(h.size, 12, false) : octal(h.size, 11))
  putString(block, 136, 12, gnu ? octal(h.mtime, 12, false) : octal(h.mtime, 11))
  putString(block, 156, 1, TYPEFLAG[h.type])
  putString(block, 157, 100, h.linkname ?? '')
  putString(block, 257, 8, gnu ? 'ustar  \0' : 'ustar\x0000')
  putString(block, 265, 32, h.uname)
  putString(block, 297, 32, h.gname)
  // GNU tar fills the device fields of every real entry in posix mode, never of a PAX header.
  if (!gnu && h.type !== 'pax' && h.type !== 'paxGlobal') {
    putString(block, 329, 8, octal(h.devmajor ?? 0, 7))
    putString(block, 337, 8, octal(h.devminor ?? 0, 7))
  }
  putString(block, 148, 8, '        ')
  let sum = 0
  for (const byte of block) sum += byte
  putString(block, 148, 8, `${octal(sum, 6)} `)
  return block
}

/** Zero padding that brings `length` up to a whole number of blocks. */
export function padding(length: number): Buffer {
  return Buffer.alloc((BLOCK - (length % BLOCK)) % BLOCK)
}

/** PAX extended header records: `<len> <key>=<value>\n`, len counting the whole record. */
export function paxRecords(records: Array<[string, string | Buffer]>): Buffer {
  return Buffer.concat(
    records.map(([key, value]) => {
      const body = Buffer.concat([
        Buffer.from(` ${key}=`, 'utf8'),
        typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
        Buffer.from('\n')
      ])
      let length = body.length + 1
      while (String(length).length + body.length !== length)
        length = String(length).length + body.length
      return Buffer.concat([Buffer.from(String(length)), body])
    })
  )
}

/** GNU tar's `%d/PaxHeaders/%f` name for the PAX header of `name` (trailing `/` ignored). */
export function paxHeaderName(name: string): string {
  const trimmed = name.replace(/\/+$/, '')
  const slash = trimmed.lastIndexOf('/')
  const dir = slash < 0 ? '.' : trimmed.slice(0, slash)
  const base = slash < 0 ? trimmed : trimmed.slice(slash + 1)
  return `${dir}/PaxHeaders/${base}`
}

/** A regular file's header, owned by root:root, mode 0644 unless `extra` says otherwise. */
export function rootFileHeader(
  name: string,
  mtime: number,
  extra: Partial<TarHeader> = {}
): TarHeader {
  return {
    name,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    uname: 'root',
    gname: 'root',
    size: 0,
    mtime,
    ...extra
  }
}

/** A header (and its data, padded) as blocks. */
export function tarRecord(
  h: TarHeader,
  data: Buffer = Buffer.alloc(0),
  style: TarStyle = 'posix'
): Buffer {
  return Buffer.concat([tarHeader({ ...h, size: data.length }, style), data, padding(data.length)])
}

/** A PAX `x` header for the entry `h`, holding `records`, in GNU tar's posix-format shape. */
export function paxRecord(h: TarHeader, records: Array<[string, string | Buffer]>): Buffer {
  return tarRecord(
    {
      name: paxHeaderName(h.name),
      type: 'pax',
      mode: 0o644,
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      size: 0,
      mtime: h.mtime
    },
    paxRecords(records)
  )
}
