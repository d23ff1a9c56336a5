/**
 * action.yml against what the runner accepts (actions/runner's action_yaml.json and
 * ActionManifestManager: a JavaScript action names `using` and `main`) and against the code: the
 * inputs of the INPUTS table with the same defaults, each default one the code parses, the
 * outputs the action sets, and a description for every input and output.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseDocument } from 'yaml'
import { InputError } from '../src/assemble/errors.js'
import { INPUTS, readInputs, type InputName } from '../src/assemble/inputs.js'
import { OUTPUT_NAMES } from '../src/action/outputs.js'

interface ActionYml {
  name?: unknown
  description?: unknown
  author?: unknown
  branding?: { icon?: unknown; color?: unknown }
  inputs: Record<string, Record<string, unknown>>
  outputs: Record<string, Record<string, unknown>>
  runs: Record<string, unknown>
}

/** Parsed strictly: a duplicate key or any YAML error fails here, as it would on the runner. */
function loadActionYml(): ActionYml {
  const doc = parseDocument(fs.readFileSync('action.yml', 'utf8'), { uniqueKeys: true })
  if (doc.errors.length > 0) throw doc.errors[0]
  return doc.toJS() as ActionYml
}

const action = loadActionYml()
const inputs = Object.entries(action.inputs)
const outputs = Object.entries(action.outputs)

/** YAML 1.2 core-schema booleans: what the action's boolean inputs accept. */
const BOOLEAN_SPELLINGS = ['true', 'True', 'TRUE', 'false', 'False', 'FALSE']
/** The colors GitHub Marketplace takes for `branding.color`. */
const BRANDING_COLORS = [
  'white',
  'black',
  'yellow',
  'blue',
  'green',
  'orange',
  'red',
  'purple',
  'gray-dark'
]

describe('action.yml, as the runner reads it', () => {
  it('has only the keys of an action manifest, with a name and a description', () => {
    for (const key of Object.keys(action)) {
      expect(['name', 'description', 'author', 'inputs', 'outputs', 'runs', 'branding']).toContain(
        key
      )
    }
    expect(action.name).toBe('witchery')
    expect(typeof action.description).toBe('string')
    expect(String(action.description).length).toBeGreaterThan(20)
  })

  it('runs dist/index.js on node24, and that file is committed', () => {
    expect(action.runs.using).toBe('node24')
    expect(action.runs.main).toBe('dist/index.js')
    for (const key of Object.keys(action.runs)) {
      expect(['using', 'main', 'pre', 'pre-if', 'post', 'post-if']).toContain(key)
    }
    for (const entry of ['main', 'pre', 'post'] as const) {
      const file = action.runs[entry]
      if (file !== undefined) expect(fs.statSync(String(file)).isFile()).toBe(true)
    }
  })

  it('describes every input, with only the keys an input takes', () => {
    expect(inputs.length).toBeGreaterThan(0)
    for (const [name, input] of inputs) {
      // The runner lowercases input names; INPUT_<NAME> keeps the hyphens.
      expect({ name, ok: /^[a-z][a-z0-9-]*$/.test(name) }).toEqual({ name, ok: true })
      for (const key of Object.keys(input)) {
        expect({ name, key, ok: ['description', 'required', 'default'].includes(key) }).toEqual({
          name,
          key,
          ok: true
        })
      }
      expect({ name, description: typeof input.description }).toEqual({
        name,
        description: 'string'
      })
      expect(String(input.description).trim().length).toBeGreaterThan(20)
      if ('required' in input)
        expect({ name, required: typeof input.required }).toEqual({
          name,
          required: 'boolean'
        })
      if ('default' in input) {
        // A string, and a literal one: an input default may not read `inputs` or `steps`.
        expect({ name, default: typeof input.default }).toEqual({ name, default: 'string' })
        expect(String(input.default)).not.toContain('${{')
      }
    }
  })

  it('describes every output; a JavaScript action sets them, so none has a value', () => {
    expect(outputs.length).toBeGreaterThan(0)
    for (const [name, output] of outputs) {
      expect({ name, keys: Object.keys(output) }).toEqual({ name, keys: ['description'] })
      expect(String(output.description).trim().length).toBeGreaterThan(10)
    }
  })

  it('has Marketplace branding', () => {
    expect(typeof action.branding?.icon).toBe('string')
    expect(BRANDING_COLORS).toContain(action.branding?.color)
  })
})

describe('action.yml against the code', () => {
  let workspace: string
  beforeAll(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-action-yml-'))
  })
  afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }))

  /** The env the runner gives the step when only `with` is set: action.yml's defaults apply. */
  function runnerEnv(withInputs: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: workspace }
    for (const [name, input] of inputs) {
      if (typeof input.default === 'string') env[`INPUT_${name.toUpperCase()}`] = input.default
    }
    for (const [name, value] of Object.entries(withInputs))
      env[`INPUT_${name.toUpperCase()}`] = value
    return env
  }

  it('declares exactly the inputs of the INPUTS table, with the same defaults', () => {
    expect(inputs.map(([name]) => name).sort()).toEqual(Object.keys(INPUTS).sort())
    for (const [name, definition] of Object.entries(INPUTS)) {
      const declared = action.inputs[name]
      expect({ name, required: declared.required ?? false, default: declared.default }).toEqual({
        name,
        required: 'required' in definition ? definition.required : false,
        default: 'default' in definition ? definition.default : undefined
      })
    }
  })

  it('gives only defaults the code accepts: a step with just the required inputs parses', () => {
    const spec = readInputs(runnerEnv({ packages: 'ca-certificates-bundle' }), {
      hostArch: 'x86_64',
      commitEpoch: () => 0
    })
    expect(spec.packages).toEqual(['ca-certificates-bundle'])
    expect(spec.output).toBe(path.join(workspace, 'image.tar'))
  })

  it('gives boolean inputs boolean defaults, in a spelling the code parses', () => {
    const booleans = inputs.filter(([, input]) => /^(true|false)$/i.test(String(input.default)))
    expect(booleans.map(([name]) => name).sort()).toEqual([
      'allow-untrusted',
      'cache',
      'elf-needs',
      'fetch-alpine-keys',
      'lock-update'
    ])
    for (const [name, input] of booleans) {
      expect(BOOLEAN_SPELLINGS).toContain(input.default)
      const parse = (value: string) =>
        // lock-update needs a lock to update.
        readInputs(runnerEnv({ packages: 'musl', lock: 'witchery.lock.json', [name]: value }), {
          hostArch: 'x86_64',
          commitEpoch: () => 0
        })
      for (const spelling of BOOLEAN_SPELLINGS) expect(() => parse(spelling)).not.toThrow()
      const error = (() => {
        try {
          parse('maybe')
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).input).toBe(name as InputName)
    }
  })

  it('declares exactly the outputs the action sets, in the same order', () => {
    expect(outputs.map(([name]) => name)).toEqual([...OUTPUT_NAMES])
  })
})
