import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { serverVersion } from './scratch';

/** Where the figures came from. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  pglite: string;
  postgres: string | undefined;
  /** 1, 5 and 15-minute load averages when the bench started: other work competing for the cores. */
  loadAverageAtStart: [number, number, number];
}

/** The installed version of a dependency (its package.json is not always in its exports map: read the file). */
function packageVersion(name: string): string {
  try {
    const path = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function machineInfo(postgresUrl: string | undefined): Promise<MachineInfo> {
  const [l1, l5, l15] = loadavg();
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    pglite: packageVersion('@electric-sql/pglite'),
    postgres: postgresUrl ? await serverVersion(postgresUrl) : undefined,
    loadAverageAtStart: [l1 ?? 0, l5 ?? 0, l15 ?? 0].map((n) => Math.round(n * 100) / 100) as [number, number, number],
  };
}

export function describeMachine(m: MachineInfo): string[] {
  return [
    `cores: ${m.cores} (${m.cpuModel}), memory: ${m.memoryGiB} GiB, ${m.os}`,
    `node ${m.node}, PGlite ${m.pglite}, ${m.postgres ? m.postgres.split(' on ')[0] : 'PostgreSQL: not used'}`,
    `load average at start: ${m.loadAverageAtStart.join(', ')} (1, 5, 15 min)`,
  ];
}
