import { findArch, hostArch, ARCHES } from '../src/arch.js'

describe('arch table', () => {
  it.each([
    ['x86_64', 'amd64', undefined],
    ['aarch64', 'arm64', 'v8'],
    ['armv7', 'arm', 'v7'],
    ['x86', '386', undefined]
  ])('maps apk %s to OCI %s/%s', (apk, oci, variant) => {
    const a = findArch(apk)
    expect(a?.oci).toBe(oci)
    expect(a?.variant).toBe(variant)
  })

  it('accepts OCI names and platform strings', () => {
    expect(findArch('amd64')?.apk).toBe('x86_64')
    expect(findArch('linux/arm64')?.apk).toBe('aarch64')
    expect(findArch('linux/arm/v6')?.apk).toBe('armhf')
  })

  it('returns undefined for unknown names', () => {
    expect(findArch('mips')).toBeUndefined()
  })

  it('knows the runner it runs on', () => {
    expect(ARCHES.map((a) => a.apk)).toContain(hostArch())
  })
})
