/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `BENCH_CPU_PROF_DIR=… npm run bench`):
 * the top functions by self time and by inclusive time, and self time by package.
 * Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile | folder> [top=25]
 * Given a folder (one profile per thread), it summarises the busiest profile: the main thread.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const arg = process.argv[2];
if (arg === undefined) {
  throw new Error('usage: profile-summary.ts <file.cpuprofile | folder> [top]');
}
const top = Number(process.argv[3] ?? '25');

function busyMicros(p: CpuProfile): number {
  const idleIds = new Set(
    p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id),
  );
  return p.samples.reduce((sum, id, i) => sum + (idleIds.has(id) ? 0 : (p.timeDeltas[i] ?? 0)), 0);
}

/** A folder holds one profile per thread; the main thread is the busiest one. */
function pick(path: string): { file: string; profile: CpuProfile } {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(path, f))
    : [path];
  const loaded = files.map((f) => ({
    file: f,
    profile: JSON.parse(readFileSync(f, 'utf8')) as CpuProfile,
  }));
  loaded.sort((a, b) => busyMicros(b.profile) - busyMicros(a.profile));
  const [busiest] = loaded;
  if (busiest === undefined) {
    throw new Error(`no .cpuprofile in ${path}`);
  }
  return busiest;
}

const { file, profile } = pick(arg);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  for (const c of n.children ?? []) {
    parent.set(c, n.id);
  }
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    return url.slice(nm + 'node_modules/'.length);
  }
  const root = url.indexOf('/work/main/');
  return root >= 0 ? url.slice(root + '/work/main/'.length) : url.replace(/^file:\/\//, '');
}

function label(f: CallFrame): string {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  return f.url === '' ? name : `${name}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

function packageOf(f: CallFrame): string {
  if (f.url === '') {
    return f.functionName.startsWith('(') ? f.functionName : '(native/builtin)';
  }
  const nm = f.url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = f.url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? '?');
  }
  if (f.url.startsWith('node:')) {
    return `node:${f.url.slice(5).split('/')[0] ?? ''}`;
  }
  const root = f.url.indexOf('/work/main/');
  return root >= 0 ? `chirp:${f.url.slice(root + 11).split('/')[0] ?? ''}` : '(other)';
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const packages = new Map<string, number>();
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
let total = 0;
let idle = 0;

profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id);
  if (node === undefined) {
    return;
  }
  total += dt;
  if (node.callFrame.functionName === '(idle)') {
    idle += dt;
  }
  add(self, label(node.callFrame), dt);
  add(packages, packageOf(node.callFrame), dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!.callFrame);
    if (!seen.has(l)) {
      seen.add(l);
      add(inclusive, l, dt);
    }
  }
});

function print(title: string, m: Map<string, number>, n: number) {
  console.log(`\n${title}`);
  const rows = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  for (const [k, v] of rows) {
    const pctText = ((100 * v) / total).toFixed(1).padStart(5);
    console.log(`${pctText}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
}

console.log(
  `${file}: ${(total / 1e6).toFixed(1)} s sampled, idle ${((100 * idle) / total).toFixed(1)}%`,
);
print('self time by package', packages, 20);
print('self time by function', self, top);
print('inclusive time by function', inclusive, top);
