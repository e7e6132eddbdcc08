// ort_bench.js: ONNX Runtime's inference speed on a model `qarray export
// --onnx` wrote (made batchable by tests/tools/onnx_batch.py), the yardstick
// of `qarray eval` in `make bench` (tests/bench_func.c). Runs the first N
// Fashion-MNIST test images (pixel / 255 as float) in batches of B on T
// threads (intraOpNumThreads; one inter-op thread), after one warm-up
// batch, R times, and prints one line: "ort IMAGES_PER_S images/s ...",
// the median of the R runs. The input tensors are made before the clock
// starts, as qarray eval has its images in memory.
//   node tests/tools/ort_bench.js ORT_DIR MODEL.onnx DATA_DIR N B T R
// ORT_DIR holds node_modules/onnxruntime-node. Exit status 1 on an error.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

async function main() {
  const [ortDir, model, dataDir, nArg, bArg, tArg, rArg] = process.argv.slice(2);
  const ort = require(path.resolve(ortDir, 'node_modules', 'onnxruntime-node'));
  const img = zlib.gunzipSync(fs.readFileSync(path.join(dataDir, 't10k-images-idx3-ubyte.gz')));
  const n = Math.min(Number(nArg), img.readUInt32BE(4));
  const B = Number(bArg), T = Number(tArg), R = Number(rArg);
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: T, interOpNumThreads: 1, executionMode: 'sequential',
  });
  const inName = sess.inputNames[0];
  const batches = [];
  for (let i = 0; i < n; i += B) {
    const b = Math.min(B, n - i);
    const x = new Float32Array(b * 784);
    for (let j = 0; j < b * 784; j++) x[j] = img[16 + 784 * i + j] / 255;
    batches.push(new ort.Tensor('float32', x, [b, 1, 28, 28]));
  }
  await sess.run({ [inName]: batches[0] });
  const times = [];
  for (let r = 0; r < R; r++) {
    const t0 = process.hrtime.bigint();
    for (const x of batches) await sess.run({ [inName]: x });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const s = times[Math.floor(times.length / 2)];
  console.log(`ort ${(n / s).toFixed(0)} images/s (${n} images in ${s.toFixed(3)} s, batch ${B}, ` +
              `${T} threads, median of ${R}, onnxruntime-node ${ort.env.versions.common})`);
}

main().catch((err) => { console.error(err.message || err); process.exit(1); });
