/**
 * The published SBOM schemas from ../shared/schemas (SPDX 2.3, draft 2019-09; CycloneDX 1.6,
 * draft-07, with the two schemas it references), compiled with ajv and ajv-formats, so
 * `date-time` is checked too; ajv-formats has no `iri-reference` or `idn-email`, so those two
 * are added here (an IRI reference parses as a URL against a base and holds no whitespace; an
 * internationalised email is local@domain without whitespace).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { Ajv2019 } from 'ajv/dist/2019.js'
import addFormatsModule from 'ajv-formats'
import { SHARED } from './shared.js'

export const SCHEMAS = path.join(SHARED, 'schemas')

// ajv-formats is CommonJS: under ESM its function is the default export's default.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv | Ajv2019) => void

function withFormats<T extends Ajv | Ajv2019>(ajv: T): T {
  addFormats(ajv)
  ajv.addFormat('iri-reference', (text: string) => {
    if (/\s/.test(text)) return false
    try {
      new URL(text, 'http://base.invalid/')
      return true
    } catch {
      return false
    }
  })
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/)
  return ajv
}

function readSchema(file: string): object {
  return JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8')) as object
}

let spdx: ValidateFunction | undefined
let cyclonedx: ValidateFunction | undefined

function check(validate: ValidateFunction, document: unknown): string[] {
  if (validate(document)) return []
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
}

/** Schema errors of an SPDX 2.3 JSON document; [] when it is valid. */
export function spdxErrors(document: unknown): string[] {
  if (!spdx) {
    const ajv = withFormats(new Ajv2019({ strict: false, allErrors: true }))
    spdx = ajv.compile(readSchema('spdx-2.3.schema.json'))
  }
  return check(spdx, document)
}

/** Schema errors of a CycloneDX 1.6 JSON BOM; [] when it is valid. */
export function cyclonedxErrors(document: unknown): string[] {
  if (!cyclonedx) {
    const ajv = withFormats(new Ajv({ strict: false, allErrors: true }))
    ajv.addSchema(readSchema('cyclonedx-1.6/spdx.schema.json'))
    ajv.addSchema(readSchema('cyclonedx-1.6/jsf-0.82.schema.json'))
    cyclonedx = ajv.compile(readSchema('cyclonedx-1.6/bom-1.6.schema.json'))
  }
  return check(cyclonedx, document)
}
