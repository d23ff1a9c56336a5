import ts from 'typescript'; import fs from 'node:fs'; import path from 'node:path'
const files = process.argv.slice(2).map(f => path.resolve(f))
const cfg = ts.parseJsonConfigFileContent(ts.readConfigFile('tsconfig.json', ts.sys.readFile).config, ts.sys, process.cwd())
const host = { getScriptFileNames: () => cfg.fileNames, getScriptVersion: () => '1', getScriptSnapshot: f => fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f,'utf8')) : undefined, getCurrentDirectory: () => process.cwd(), getCompilationSettings: () => cfg.options, getDefaultLibFileName: o => ts.getDefaultLibFilePath(o), fileExists: ts.sys.fileExists, readFile: ts.sys.readFile, readDirectory: ts.sys.readDirectory }
const ls = ts.createLanguageService(host)
for (const f of files) {
  const changes = ls.organizeImports({ type: 'file', fileName: f, mode: ts.OrganizeImportsMode.RemoveUnused }, {}, undefined)
  let text = fs.readFileSync(f, 'utf8')
  for (const c of changes) for (const e of [...c.textChanges].sort((a,b)=>b.span.start-a.span.start)) text = text.slice(0,e.span.start)+e.newText+text.slice(e.span.start+e.span.length)
  fs.writeFileSync(f, text)
}
