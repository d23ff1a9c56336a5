/**
 * The workflows under .github/, offline: actionlint over each (with the runner labels of
 * .github/actionlint.yaml), this action's `with:` keys and outputs checked against action.yml,
 * and proof that the checks bite: a typo'd input, output, matrix key or label fails.
 */
import * as fs from 'node:fs'
import { parse } from 'yaml'
import {
  actionlint,
  configuredLabels,
  formatFindings,
  localActionFindings,
  workflowFiles,
  type ActionMetadata,
  type Finding
} from './support/actionlint.js'

const action = parse(fs.readFileSync('action.yml', 'utf8')) as ActionMetadata
const labels = configuredLabels()
const selfTest = '.github/workflows/self-test.yml'

async function findings(text: string, file: string): Promise<Finding[]> {
  return [...(await actionlint(text, file, labels)), ...localActionFindings(text, file, action)]
}

/** Findings for the self-test workflow with `from` replaced by `to` (which must occur). */
async function mutated(from: string | RegExp, to: string): Promise<string> {
  const text = fs.readFileSync(selfTest, 'utf8')
  const changed = text.replace(from, to)
  expect(changed).not.toBe(text)
  return formatFindings(await findings(changed, selfTest))
}

describe('the workflows', () => {
  it.each(workflowFiles())('%s passes actionlint and the action.yml checks', async (file) => {
    expect(formatFindings(await findings(fs.readFileSync(file, 'utf8'), file))).toBe('')
  })

  it('run this action from the checkout in the self-test, on both architectures', () => {
    const text = fs.readFileSync(selfTest, 'utf8')
    expect(text.match(/uses: \.\/\n/g)?.length).toBeGreaterThanOrEqual(4)
    expect(text).toContain('runs-on: ${{ matrix.runner }}')
    expect(text).toMatch(/runner: ubuntu-24\.04\n/)
    expect(text).toMatch(/runner: ubuntu-24\.04-arm\n/)
  })
})

describe('the checks bite', () => {
  it('on an input the action does not have', async () => {
    expect(await mutated('app: build/hello', 'ap: build/hello')).toMatch(
      /self-test\.yml:\d+:\d+: input "ap" is not defined in action "\.\/"/
    )
  })

  it('on a missing required input', async () => {
    expect(await mutated('packages: ca-certificates-bundle !musl', 'arch: x86_64')).toMatch(
      /missing input "packages" which is required by action "\.\/"/
    )
  })

  it('on an output the action does not set, dotted or in brackets', async () => {
    expect(await mutated('steps.static.outputs.image-id', 'steps.static.outputs.image_id')).toMatch(
      /property "image_id" is not defined in the outputs of step "static"/
    )
    expect(
      await mutated('steps.warm.outputs.cache-hit', "steps.warm.outputs['cache-hits']")
    ).toMatch(/property "cache-hits" is not defined in the outputs of step "warm"/)
  })

  it('on a step, matrix key or context property that does not exist', async () => {
    expect(await mutated('steps.dynamic.outputs.tarball', 'steps.dynamc.outputs.tarball')).toMatch(
      /property "dynamc" is not defined/
    )
    expect(await mutated('${{ matrix.oci-arch }}', '${{ matrix.oci_arch }}')).toMatch(
      /property "oci_arch" is not defined/
    )
    expect(await mutated('${{ github.run_id }}', '${{ github.runid }}')).toMatch(
      /property "runid" is not defined/
    )
  })

  it('on a workflow input that is not declared', async () => {
    const text = [
      'on:',
      '  workflow_dispatch:',
      '    inputs:',
      '      version: {type: string}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - run: echo "${{ inputs.verison }}"',
      ''
    ].join('\n')
    expect(formatFindings(await findings(text, 'typo.yml'))).toMatch(
      /typo\.yml:9:\d+: property "verison" is not defined/
    )
  })

  it('on a runner label .github/actionlint.yaml does not list', async () => {
    expect(labels).toEqual(['ubuntu-24.04', 'ubuntu-24.04-arm'])
    // In the matrix that `runs-on: ${{ matrix.runner }}` expands, and in a plain runs-on.
    expect(await mutated('runner: ubuntu-24.04-arm', 'runner: ubuntu-24.04-arn')).toMatch(
      /label "ubuntu-24\.04-arn" is unknown/
    )
    expect(await mutated('runs-on: ubuntu-24.04\n', 'runs-on: ubuntu-22.04-arm\n')).toMatch(
      /label "ubuntu-22\.04-arm" is unknown/
    )
  })
})

describe('dependabot.yml', () => {
  const config = parse(fs.readFileSync('.github/dependabot.yml', 'utf8')) as {
    version: number
    updates: { 'package-ecosystem': string; directory: string; schedule: { interval: string } }[]
  }

  it('updates the npm packages and the actions weekly', () => {
    expect(config.version).toBe(2)
    expect(config.updates.map((u) => u['package-ecosystem'])).toEqual(['npm', 'github-actions'])
    for (const update of config.updates) {
      expect(update.directory).toBe('/')
      expect(update.schedule.interval).toBe('weekly')
    }
  })
})
