import { hostname } from 'node:os';

/**
 * Whether a directory sync lease holder (`<host>:<pid>:<runId>`, see the container's `instanceName`) is certainly
 * gone: it names this host and no process with its id exists any more (`kill(pid, 0)` fails with ESRCH). Any doubt
 * (another host, a live process, a pid reused by an unrelated process, no permission to signal it) answers false,
 * and the lease is then only taken back when it expires. Instances that share a database must have distinct host
 * names (containers in their own PID namespaces included), or one could see another's pid as dead.
 */
export function isLocalHolderGone(holder: string): boolean {
  const parts = holder.split(':');
  if (parts.length < 3) return false;
  const pid = Number(parts[parts.length - 2]);
  const host = parts.slice(0, -2).join(':');
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
