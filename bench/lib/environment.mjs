// What the numbers were measured on: CPU, cores, memory, OS, Node and V8, the git commit,
// and the date. Printed at the top of every report.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuFlags() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((entry) => entry.startsWith('flags'));
    const flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
    return ['sse4_1', 'avx', 'avx2', 'fma', 'avx512f', 'avx512vnni'].filter((flag) => flags.has(flag));
  } catch {
    return [];
  }
}

function gitCommit(directory) {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: directory, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: directory, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty === '' ? commit : `${commit} (with uncommitted changes)`;
  } catch {
    return null;
  }
}

export function describeEnvironment(directory) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model?.trim() ?? 'unknown CPU',
    logicalCores: cpus.length,
    cpuFlags: cpuFlags(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    commit: gitCommit(directory),
  };
}

export function environmentLine(environment) {
  const flags = environment.cpuFlags.length > 0 ? ` [${environment.cpuFlags.join(' ')}]` : '';
  return (
    `${environment.cpu}${flags}, ${environment.logicalCores} logical cores, ${environment.memoryGiB} GiB; ${environment.os}; ` +
    `Node ${environment.node} (V8 ${environment.v8}); ${environment.date}` +
    (environment.commit ? `; commit ${environment.commit}` : '')
  );
}
