// ort_compare.js: ONNX Runtime as the outside reference for qarray's integer
// networks. Runs MODEL.onnx with onnxruntime-node (CPU) on the first N
// Fashion-MNIST test images (pixel / 255 as float, 1x1x28x28) and compares
// with the per-image logits qarray wrote (qarray eval -m MODEL -o CSV):
// predicted classes, accuracy, and the logits' differences in LSBs of the
// integer logit (the CSV's scale column). With TAPS.onnx (tests/onnx/taps.py)
// and qarray's codes (qarray eval --codes FILE) it also compares every
// layer's output codes: how many differ and by how many LSBs.
//   node tests/onnx/ort_compare.js ORT_DIR MODEL.onnx QARRAY.csv DATA_DIR N \
//        [TAPS.onnx CODES.bin]
// ORT_DIR holds node_modules/onnxruntime-node. Prints one summary line;
// exit status 1 on a read or run error only (the caller judges the numbers).
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

async function main() {
  const [ortDir, model, csv, dataDir, nArg, tapsModel, codesFile] = process.argv.slice(2);
  const ort = require(path.resolve(ortDir, 'node_modules', 'onnxruntime-node'));
  const img = zlib.gunzipSync(fs.readFileSync(path.join(dataDir, 't10k-images-idx3-ubyte.gz')));
  const lab = zlib.gunzipSync(fs.readFileSync(path.join(dataDir, 't10k-labels-idx1-ubyte.gz')));
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const n = Math.min(Number(nArg), rows.length, img.readUInt32BE(4));
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const inName = sess.inputNames[0], outName = sess.outputNames[0];
  const taps = tapsModel ? await ort.InferenceSession.create(tapsModel, { intraOpNumThreads: 1 }) : null;
  const codes = codesFile ? fs.readFileSync(codesFile) : null;
  const layers = [];
  let pos = 0;
  const gaps = [0, 0, 0, 0];
  let ortTies = 0;
  let samePred = 0, ortOk = 0, qaOk = 0, diffs = 0, total = 0, maxDiff = 0, maxLogit = 0;
  for (let i = 0; i < n; i++) {
    const x = new Float32Array(784);
    for (let j = 0; j < 784; j++) x[j] = img[16 + 784 * i + j] / 255;
    const out = await sess.run({ [inName]: new ort.Tensor('float32', x, [1, 1, 28, 28]) });
    const y = out[outName].data;
    if (taps) {
      const t = await taps.run({ [inName]: new ort.Tensor('float32', x, [1, 1, 28, 28]) });
      const names = taps.outputNames.filter((s) => s.startsWith('tap_'));
      names.forEach((name, j) => {
        const off = Number(name.split('_off')[1]), d = t[name].data;
        const L = layers[j] || (layers[j] = { n: 0, diff: 0, max: 0 });
        for (let e = 0; e < d.length; e++, pos += 4) {
          const q = codes.readInt32LE(pos), dd = Math.abs(q - (d[e] + off));
          L.n++;
          if (dd) L.diff++;
          if (dd > L.max) L.max = dd;
        }
      });
    }
    const r = rows[i], label = lab[8 + i], scale = Number(r[3]);
    let best = 0;
    for (let k = 1; k < y.length; k++) if (y[k] > y[best]) best = k;
    samePred += best === Number(r[2]);
    if (best !== Number(r[2])) {
      // how close the two decisions were: the gap between the two largest
      // logits of each, relative to the largest logit
      const gap = (v) => {
        const s = Array.from(v).sort((a, b) => b - a);
        return (s[0] - s[1]) / Math.max(Math.abs(s[0]), 1e-30);
      };
      const g = Math.max(gap(y), gap(r.slice(4, 4 + y.length).map(Number)));
      gaps[g < 0.001 ? 0 : g < 0.01 ? 1 : g < 0.05 ? 2 : 3]++;
      if (gap(y) === 0) ortTies++;
    }
    ortOk += best === label;
    qaOk += Number(r[2]) === label;
    for (let k = 0; k < y.length; k++) {
      const d = Math.abs(y[k] - Number(r[4 + k]));
      total++;
      // ORT's logits are float32: below half an LSB the two agree
      if (d / scale >= 0.5) diffs++;
      if (d > maxDiff) maxDiff = d;
      if (Math.abs(y[k]) > maxLogit) maxLogit = Math.abs(y[k]);
    }
  }
  const pct = (a) => (100 * a / n).toFixed(2);
  console.log(`${path.basename(model)}: ${n} images; predicted class equal on ${samePred} ` +
    `(${pct(samePred)}%); accuracy onnxruntime ${pct(ortOk)}%, qarray ${pct(qaOk)}%; ` +
    `logits differing by >= 0.5 LSB: ${diffs} of ${total}, largest difference ` +
    `${maxDiff.toPrecision(3)} (${(100 * maxDiff / maxLogit).toFixed(2)}% of the largest logit)`);
  if (samePred < n)
    console.log(`  classes differ on ${n - samePred} images; there the larger of the two ` +
      `gaps between the top two logits, relative to the largest, is below 0.1% on ` +
      `${gaps[0]}, 0.1..1% on ${gaps[1]}, 1..5% on ${gaps[2]}, more on ${gaps[3]}; ` +
      `ONNX Runtime's two largest logits are equal on ${ortTies}`);
  if (codes && pos !== codes.length)
    throw new Error(`${codesFile}: ${codes.length} bytes, the taps read ${pos}`);
  layers.forEach((L, j) => console.log(`  layer ${j}: ${L.diff} of ${L.n} codes differ` +
    (L.diff ? `, by at most ${L.max} LSB` : ' (bit-exact)')));
}

main().catch((err) => {
  console.error(`ort_compare.js: ${err.message}`);
  process.exit(1);
});
