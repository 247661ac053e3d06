// ONNX Runtime reference for bench/precision.sh: times one exported segmentation model (batch 1,
// fp32, CPU execution provider) and prints {"best_ms", "median_ms", "best_cpu_ms"} as JSON.
//   node bench/node/ort_bench.js MODEL.onnx SIZE [--threads 2] [--repeats 5]
// onnxruntime-node@1.20.1 is installed with --ignore-scripts into segmaker's cache (scripts/install-deps;
// its install script would download CUDA parts, the CPU library ships in the package); set NODE_PATH
// to that node_modules folder.
'use strict';
const ort = require('onnxruntime-node');

async function main() {
  const args = process.argv.slice(2);
  const model = args[0];
  const size = parseInt(args[1], 10);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? parseInt(args[i + 1], 10) : dflt;
  };
  const threads = opt('--threads', 2);
  const repeats = opt('--repeats', 5);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; ++i) data[i] = Math.sin(i) * 2;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, size, size]) };
  await session.run(feeds);  // warm-up
  const ms = [];
  const cpu = [];
  for (let r = 0; r < repeats; ++r) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
  ms.sort((a, b) => a - b);
  console.log(JSON.stringify({ best_ms: ms[0], median_ms: ms[Math.floor(ms.length / 2)], best_cpu_ms: Math.min(...cpu), threads }));
}

main().catch((e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
