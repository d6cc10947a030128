/**
 * Process plumbing shared by the benchmark runners (`run.mjs`, `reset-flow.mjs`): server child processes, CPU
 * accounting from /proc, and waiting for a quiet machine.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Starts a server child process and waits for the port it reports over IPC. */
export function startServer(name, argv, logFile) {
  const logFd = logFile ? openSync(logFile, 'w') : 'ignore';
  const child = spawn(process.execPath, argv, { cwd: rootDir, stdio: ['ignore', logFd, 'inherit', 'ipc'] });
  if (typeof logFd === 'number') closeSync(logFd);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} server exited early (${code})`)));
    child.once('message', (message) => {
      resolve({
        name,
        port: message.port,
        cpuSeconds: () => processCpuSeconds(child.pid),
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** On a shared machine, waits (up to --quiet-timeout seconds) until other processes leave the CPUs alone. */
export async function waitForQuiet(quietTimeout, disturbedShare) {
  const deadline = Date.now() + quietTimeout * 1000;
  for (let announced = false; ; ) {
    const before = systemCpuSeconds();
    await sleep(1000);
    const busy = systemCpuSeconds() - before;
    if (!(busy > disturbedShare) || Date.now() >= deadline) return;
    if (!announced) console.log(`  waiting for other processes to finish (they use ${percent(busy)} of a core)`);
    announced = true;
  }
}

/** CPU time spent by the whole machine (every core, not idle), from /proc/stat (Linux). */
export function systemCpuSeconds() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
    const busy = fields.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
    return busy / 100;
  } catch {
    return Number.NaN;
  }
}

/** User + system CPU time of a process, from /proc (Linux). */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat; here, after the name, at indexes 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export function runToEnd(command, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: rootDir, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${argv.join(' ')} exited ${code}`)),
    );
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function percent(share) {
  return Number.isNaN(share) ? 'n/a' : `${Math.round(share * 100)}%`;
}
