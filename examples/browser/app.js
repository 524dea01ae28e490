// The demo page of `archai-ts serve RUN`: the run's checkpoint in the browser, classifying its test
// images and the user's own, on the backend chosen with ?backend= (default wasm).
import { createModel, readSafetensors, setBackend, tf } from '/lib/archai-ts.js';
import { drawingArea } from './draw.js';
import { base64Bytes, bytesCanvas, fileBytes, normalise, PIXELS, squareBytes } from './pixels.js';
import { argmax, bars, card, clearError, showError, softmax } from './render.js';

const $ = (id) => document.getElementById(id);
const backendName = new URLSearchParams(location.search).get('backend') ?? 'wasm';

/** For tests and the console: the state of the page once `ready` has resolved. */
const demo = { ready: null, info: null, backend: null, logits: null, images: [], last: null };
window.archaiDemo = demo;
let model = null;

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** Logits of RGB byte images, one row each. */
async function classify(byteImages) {
  const input = new Uint8Array(byteImages.length * PIXELS);
  for (const [i, b] of byteImages.entries()) input.set(b, i * PIXELS);
  const logits = tf.tidy(() =>
    model.forward(tf.tensor4d(normalise(input, demo.info), [byteImages.length, 32, 32, 3]), { training: false }),
  );
  try {
    return await logits.array();
  } finally {
    logits.dispose();
  }
}

/** Weights into the model: a training checkpoint as it is (its `model.` entries) or plain weights. */
async function loadWeights(source, label) {
  const tensors = await readSafetensors(source);
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`${label} does not fit ${demo.info.model}: ${e.message}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

async function showTestImages() {
  const grid = $('grid');
  grid.replaceChildren();
  if (demo.images.length === 0) return;
  const t0 = performance.now();
  demo.logits = await classify(demo.images.map((im) => im.bytes));
  const ms = performance.now() - t0;
  const names = demo.info.classNames;
  grid.append(...demo.images.map((im, i) => card(im, demo.logits[i], names)));
  const right = demo.images.filter((im, i) => argmax(demo.logits[i]) === im.label).length;
  $('accuracy').textContent = `${right} of ${demo.images.length} right · ${ms.toFixed(0)} ms in the browser`;
}

/** Classifies one image and shows what the model saw and its top classes. */
async function showResult(bytes, label) {
  const [logits] = await classify([bytes]);
  const probs = softmax(logits);
  demo.last = { label, pred: argmax(logits), probs, logits };
  const preview = bytesCanvas(bytes);
  preview.id = 'preview';
  preview.title = `${label} as the model sees it (32x32)`;
  const result = $('result');
  result.replaceChildren(preview, bars(probs, demo.info.classNames, 5));
  result.dataset.pred = String(demo.last.pred);
}

async function handleFile(file) {
  clearError();
  try {
    if (file.name.toLowerCase().endsWith('.safetensors')) {
      await loadWeights(await file.arrayBuffer(), file.name);
      $('status').textContent = `${statusLine()} · weights from ${file.name}`;
      await showTestImages();
    } else {
      await showResult(await fileBytes(file), file.name);
    }
  } catch (e) {
    showError(e);
  }
}

function statusLine() {
  const b = demo.backend;
  const detail = b.kernels ? ` (${b.kernels} kernels)` : b.adapter ? ` (${b.adapter.architecture || b.adapter.vendor || 'adapter'})` : '';
  return `${b.name}${detail} · ${demo.info.checkpoint} checkpoint`;
}

function wireInputs() {
  const canvas = $('draw');
  const classifyDrawing = () => showResult(squareBytes(canvas, canvas.width, canvas.height), 'drawing').catch(showError);
  const clear = drawingArea(canvas, $('colour'), classifyDrawing);
  $('clear').addEventListener('click', clear);
  $('classify').addEventListener('click', classifyDrawing);
  $('file').addEventListener('change', (e) => e.target.files[0] && handleFile(e.target.files[0]));
  const overlay = $('drop');
  window.addEventListener('dragover', (e) => {
    e.preventDefault();
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', (e) => {
    if (e.relatedTarget == null) overlay.hidden = true;
  });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    overlay.hidden = true;
    const file = e.dataTransfer?.files[0];
    if (file) handleFile(file);
  });
}

async function showRun() {
  $('config').textContent = await fetch('/run/config.yaml').then((r) => r.text());
  const curves = $('curves-img');
  curves.addEventListener('error', () => curves.replaceWith('No curves yet (curves.svg appears after the first epoch).'));
  const metrics = await fetch('/run/metrics.jsonl').then((r) => (r.ok ? r.text() : ''));
  const lines = metrics.trim().split('\n').filter(Boolean);
  if (lines.length === 0) return;
  const last = JSON.parse(lines.at(-1));
  const top1 = last.test_top1 == null ? '' : `, test top-1 ${(last.test_top1 * 100).toFixed(1)}%`;
  $('summary').textContent = `epoch ${last.epoch}${top1}`;
}

async function main() {
  $('backend').value = backendName;
  $('backend').addEventListener('change', (e) => {
    location.search = `?backend=${e.target.value}`;
  });
  wireInputs();
  try {
    demo.info = await getJson('/run/info.json');
    $('model').textContent = `${demo.info.model} · ${demo.info.dataset}`;
    demo.backend = await setBackend(backendName);
    model = createModel(demo.info.model, demo.info.modelOptions);
    await loadWeights('/run/checkpoint.safetensors', `the run's ${demo.info.checkpoint} checkpoint`);
    $('status').textContent = statusLine();
    const { images } = await getJson('/run/test-images.json');
    demo.images = images.map((im) => ({ index: im.index, label: im.label, bytes: base64Bytes(im.pixels) }));
    if (demo.info.testImagesNote)
      Object.assign($('test-note'), { hidden: false, textContent: `No test images: ${demo.info.testImagesNote}` });
    await showTestImages();
    await showRun();
    document.body.dataset.state = 'ready';
  } catch (e) {
    showError(e);
    $('status').textContent = 'Not ready.';
    document.body.dataset.state = 'error';
  }
}

demo.ready = main();
