/**
 * A real docker-registry (Debian's distribution 2.x) on 127.0.0.1 for push/pull round trips.
 * Returns undefined when the binary is not installed, so tests can skip with a message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string
  close(): Promise<void>
}

export function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo
      server.close(() => resolve(address.port))
    })
  })
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`docker-registry did not listen on ${port} within ${timeoutMs} ms`)
}

export async function startRegistry(): Promise<TestRegistry | undefined> {
  if (!haveTool('docker-registry')) return undefined
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-registry-'))
  const port = await freePort()
  const config = path.join(dir, 'config.yml')
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      ''
    ].join('\n')
  )
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' })
  await waitForPort(port, child, 10000)
  return {
    host: `127.0.0.1:${port}`,
    close: async () => {
      child.kill('SIGTERM')
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
