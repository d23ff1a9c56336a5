/** Image references: the distribution spec's grammar, and errors that name the rule broken. */
import { ImageSpecError } from '../src/oci/errors.js'
import { parseImageRef, qualifiedName } from '../src/oci/tags.js'

describe('parseImageRef', () => {
  it.each([
    ['app', 'app', 'latest'],
    ['app:1.2', 'app', '1.2'],
    ['ghcr.io/owner/app:v1.2.3-rc.1', 'ghcr.io/owner/app', 'v1.2.3-rc.1'],
    ['localhost:5000/app', 'localhost:5000/app', 'latest'],
    ['localhost:5000/team/app:_build', 'localhost:5000/team/app', '_build'],
    ['127.0.0.1:5000/a/b/c:x', '127.0.0.1:5000/a/b/c', 'x'],
    ['Registry.Example.COM/o/app:1', 'Registry.Example.COM/o/app', '1'],
    ['my-org/my_app__x.y:TAG', 'my-org/my_app__x.y', 'TAG'],
    [`app:${'t'.repeat(128)}`, 'app', 't'.repeat(128)]
  ])('%s → %s : %s', (ref, name, tag) => {
    expect(parseImageRef(ref)).toEqual({ name, tag })
  })

  it.each([
    ['app:v1+beta', /invalid tag 'v1\+beta' in image reference 'app:v1\+beta': a tag is 1 to 128/],
    ['app:-x', /invalid tag '-x'.*does not start with \. or -/],
    ['app:.x', /invalid tag '\.x'/],
    ['app:', /invalid tag ''/],
    [`app:${'t'.repeat(129)}`, /invalid tag 't{129}'/],
    ['ghcr.io/Owner/App:1', /repository path 'Owner\/App'.*must be lowercase/],
    ['app--:1', /invalid repository path 'app--'/],
    ['ghcr.io//app:1', /invalid repository path '\/app'/],
    ['bad_host:5000/app:1', /invalid registry 'bad_host:5000'/],
    ['app@sha256:' + 'a'.repeat(64), /has a digest/],
    [':1', /has no repository name/],
    [`${'a'.repeat(256)}:1`, /longer than 255/]
  ])('refuses %s', (ref, message) => {
    expect(() => parseImageRef(ref)).toThrow(ImageSpecError)
    expect(() => parseImageRef(ref)).toThrow(message)
  })
})

describe('qualifiedName', () => {
  it.each([
    ['app', 'docker.io/library/app:latest'],
    ['owner/app:1', 'docker.io/owner/app:1'],
    ['ghcr.io/owner/app:1', 'ghcr.io/owner/app:1'],
    ['localhost/app:1', 'localhost/app:1']
  ])('%s → %s', (ref, full) => {
    expect(qualifiedName(parseImageRef(ref))).toBe(full)
  })
})
