// Runs a WASI preview 1 module with Node.js's node:wasi (V8): compiled once, then
// instantiated and started REPS times, each run timed (wall
// and the process's CPU); prints one line of JSON.
// node wasi.mjs MODULE REPS STDIN|- INPUTDIR|- OUTFILE [ARGS...]
import { readFileSync, openSync, closeSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { performance } from 'node:perf_hooks';

const [wasmPath, reps, stdinPath, inputDir, outPath, ...args] = process.argv.slice(2);
const t0 = performance.now();
const mod = await WebAssembly.compile(readFileSync(wasmPath));
const compileMs = performance.now() - t0;
const runs = [];
const cpu = [];
let code = 0;
for (let i = 0; i < Number(reps); i++) {
  const stdin = openSync(stdinPath === '-' ? '/dev/null' : stdinPath, 'r');
  const stdout = openSync(outPath, 'w');
  const opts = { version: 'preview1', args: ['job', ...args], env: {}, stdin, stdout, stderr: 2, returnOnExit: true };
  if (inputDir !== '-') opts.preopens = { '/input': inputDir };
  const wasi = new WASI(opts);
  const t = performance.now();
  const c = process.cpuUsage();
  const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
  code = wasi.start(inst);
  runs.push(performance.now() - t);
  const dc = process.cpuUsage(c); // every thread of the process: V8's compilers too
  cpu.push((dc.user + dc.system) / 1000);
  closeSync(stdin);
  closeSync(stdout);
  if (code !== 0) break;
}
console.log(JSON.stringify({ compile_ms: compileMs, runs_ms: runs, cpu_ms: cpu, exit: code }));
