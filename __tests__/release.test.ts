/**
 * The release path: CHANGELOG.md's shape, and scripts/release-notes, which the release workflow
 * runs to turn a version's section into the GitHub release notes.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

function releaseNotes(version: string, changelog?: string) {
  const args = ['scripts/release-notes', version, ...(changelog ? [changelog] : [])]
  const run = spawnSync('bash', args, { encoding: 'utf8' })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('CHANGELOG.md', () => {
  const text = fs.readFileSync('CHANGELOG.md', 'utf8')

  it('has an Unreleased section first, then versions with their dates', () => {
    const headings = [...text.matchAll(/^## (.*)$/gm)].map((m) => m[1])
    expect(headings[0]).toBe('[Unreleased]')
    for (const heading of headings.slice(1)) {
      expect(heading).toMatch(/^\[\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\] - \d{4}-\d{2}-\d{2}$/)
    }
  })

  it('gives the notes of the Unreleased section', () => {
    const notes = releaseNotes('Unreleased')
    expect(notes.status).toBe(0)
    expect(notes.stdout).toMatch(/^### Added\n/)
  })
})

describe('scripts/release-notes', () => {
  let changelog: string
  beforeAll(() => {
    changelog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-notes-')), 'CHANGELOG.md')
    fs.writeFileSync(
      changelog,
      [
        '# Changelog',
        '',
        '## [Unreleased]',
        '',
        '## [1.1.0] - 2026-12-01',
        '',
        '### Fixed',
        '',
        '- a thing',
        '',
        '## [1.0.0] - 2026-11-01',
        '',
        '- first',
        ''
      ].join('\n')
    )
  })
  afterAll(() => fs.rmSync(path.dirname(changelog), { recursive: true, force: true }))

  it("prints one version's section without its heading", () => {
    expect(releaseNotes('1.1.0', changelog)).toEqual({
      status: 0,
      stdout: '### Fixed\n\n- a thing\n',
      stderr: ''
    })
    expect(releaseNotes('1.0.0', changelog).stdout).toBe('- first\n')
  })

  it('fails for a version without a section, or with an empty one', () => {
    for (const version of ['1.2.0', '1.1', 'Unreleased']) {
      const notes = releaseNotes(version, changelog)
      expect(notes.status).toBe(1)
      expect(notes.stderr).toContain(`has no section '## [${version}]' with notes`)
    }
  })
})
