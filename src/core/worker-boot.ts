// Starting a worker thread on one of our own modules, both from the built JavaScript and from the
// TypeScript sources (tsx): a worker does not inherit the loader hooks, so under tsx it registers
// tsx itself before importing the module.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running module `name` (without extension) beside the module at `here` (its import.meta.url). */
export function startModuleWorker(here: string, name: string, options: WorkerOptions = {}): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), options);
  const url = new URL(`./${name}.ts`, here).href;
  let tsx = 'tsx/esm/api';
  try {
    tsx = import.meta.resolve(tsx);
  } catch {
    // left bare: resolved from the working directory
  }
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
