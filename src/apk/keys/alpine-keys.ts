/**
 * Alpine's package signing keys, pinned by fingerprint: SHA-256 of the DER SubjectPublicKeyInfo.
 * Keys are fetched at run time and accepted only if they hash to the value here, so this table
 * is the root of trust for Alpine repositories. Source: the keys Alpine publishes at
 * https://alpinelinux.org/keys/ and in aports' `alpine-keys` package.
 */

export interface AlpineKey {
  /** File name, as `.SIGN.RSA.<name>` refers to it. */
  name: string
  /** Alpine arches whose packages this key signs. */
  archs: readonly string[]
  /** RSA modulus size. */
  bits: number
  /** Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo. */
  spkiSha256: string
}

export const ALPINE_KEYS: readonly AlpineKey[] = [
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
]

const PINS: ReadonlyMap<string, string> = new Map(ALPINE_KEYS.map((k) => [k.name, k.spkiSha256]))

/** The pinned SPKI SHA-256 of an Alpine key name, or undefined for a name Alpine does not use. */
export function alpineKeyPin(name: string): string | undefined {
  return PINS.get(name)
}
