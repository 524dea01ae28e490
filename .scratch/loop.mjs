const xs = new Float32Array(524288).map(() => Math.random());
function sum(xs, c) { const s = new Float64Array(c); for (let i = 0; i < xs.length; i += c) for (let k = 0; k < c; k++) s[k] += xs[i + k]; return s; }
function sum2(xs, c) { const s = new Float64Array(c); const n = xs.length; for (let k = 0; k < c; k++) { let a = 0; for (let i = k; i < n; i += c) a += xs[i]; s[k] = a; } return s; }
function sum4(xs, c) { const s = new Float64Array(c); const n = xs.length; for (let k = 0; k < c; k += 4) { let a0 = 0, a1 = 0, a2 = 0, a3 = 0; for (let i = k; i < n; i += c) { a0 += xs[i]; a1 += xs[i + 1]; a2 += xs[i + 2]; a3 += xs[i + 3]; } s[k] = a0; s[k + 1] = a1; s[k + 2] = a2; s[k + 3] = a3; } return s; }
function total(xs) { let a = 0; for (let i = 0; i < xs.length; i++) a += xs[i]; return a; }
for (const [name, f] of [['sum', () => sum(xs, 32)], ['sum strided', () => sum2(xs, 32)], ['sum4', () => sum4(xs, 32)], ['total', () => total(xs)]]) {
  for (let r = 0; r < 5; r++) f();
  const t0 = performance.now();
  for (let r = 0; r < 20; r++) f();
  console.log(name, ((performance.now() - t0) / 20).toFixed(3), 'ms');
}
