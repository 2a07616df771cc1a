// score.mjs scores the rows of a CSV file with an ONNX model in
// onnxruntime-node and prints JSON with the labels and probabilities as
// `trainer predict --proba --format json` names them ("predictions",
// "probabilities"), plus timings.
//
//   node score.mjs --tools DIR --model model.onnx --input rows.csv \
//        --features '["f0","f1",...]' [--repeat N] [--no-rows]
//
// --tools is the folder onnxruntime-node was installed into (the project's
// .tools, see `make tools`). --features is a JSON array of the CSV columns
// fed to the model, in the model's order (metadata.json's "features").
// --repeat runs the batch N times and reports the fastest in
// batch_seconds. --no-rows leaves predictions and probabilities out
// (benchmarks). empty_run_seconds is the fastest of five runs on zero rows:
// the cost of a call apart from the rows.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    tools: { type: 'string' },
    model: { type: 'string' },
    input: { type: 'string' },
    features: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    'no-rows': { type: 'boolean', default: false },
  },
});
for (const k of ['tools', 'model', 'input', 'features']) {
  if (!a[k]) {
    console.error(`score.mjs: --${k} is required`);
    process.exit(2);
  }
}
const require = createRequire(join(a.tools, 'package.json'));
const ort = require('onnxruntime-node');

// parseCSV reads a header row and numeric rows; fields may be quoted.
function parseCSV(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const split = (line) => {
    const out = [];
    let cur = '', q = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (q) {
        if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
        else if (ch === '"') q = false;
        else cur += ch;
      } else if (ch === '"') q = true;
      else if (ch === ',') { out.push(cur); cur = ''; }
      else cur += ch;
    }
    out.push(cur);
    return out;
  };
  return { header: split(lines[0]), rows: lines.slice(1).map(split) };
}

const features = JSON.parse(a.features);
const { header, rows } = parseCSV(readFileSync(a.input, 'utf8'));
const cols = features.map((f) => {
  const i = header.indexOf(f);
  if (i < 0) {
    console.error(`score.mjs: ${a.input} has no column ${JSON.stringify(f)}`);
    process.exit(1);
  }
  return i;
});
const nf = features.length;
const x = new Float32Array(rows.length * nf);
rows.forEach((r, i) => cols.forEach((c, j) => { x[i * nf + j] = Number(r[c]); }));

const t0 = performance.now();
const session = await ort.InferenceSession.create(a.model, { executionProviders: ['cpu'] });
const loadSeconds = (performance.now() - t0) / 1000;
const input = session.inputNames[0];

let empty = Infinity;
for (let i = 0; i < 5; i++) {
  const s = performance.now();
  await session.run({ [input]: new ort.Tensor('float32', new Float32Array(0), [0, nf]) });
  empty = Math.min(empty, (performance.now() - s) / 1000);
}

let best = Infinity, out;
for (let i = 0; i < Math.max(1, Number(a.repeat)); i++) {
  const s = performance.now();
  out = await session.run({ [input]: new ort.Tensor('float32', x, [rows.length, nf]) });
  best = Math.min(best, (performance.now() - s) / 1000);
}
const labels = out.output_label.data;
const proba = out.output_probability.data;
const C = out.output_probability.dims[1];
const doc = {
  rows: rows.length,
  load_seconds: loadSeconds,
  empty_run_seconds: empty,
  batch_seconds: best,
  onnxruntime_version: ort.env.versions.node,
};
if (!a['no-rows']) {
  doc.predictions = Array.from(labels);
  doc.probabilities = [];
  for (let i = 0; i < rows.length; i++) doc.probabilities.push(Array.from(proba.subarray(i * C, (i + 1) * C)));
}
process.stdout.write(JSON.stringify(doc) + '\n');
