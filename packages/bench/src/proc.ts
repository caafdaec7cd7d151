import { readFileSync } from 'node:fs';

/** User plus system CPU seconds of a process (all its threads), from /proc (ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident memory now, kB. */
export function rssKb(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** The kernel's high-water mark of a process's resident memory, kB. */
export function hwmKb(pid: number): number {
  return statusField(pid, 'VmHWM');
}

function statusField(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}
