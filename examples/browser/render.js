// What the page shows: a card per test image, probability bars, one-line errors.
import { bytesCanvas } from './pixels.js';

/** Softmax of one row of logits, in double precision. */
export function softmax(row) {
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function argmax(row) {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

/** The k most probable classes as rows of name, bar and percentage. */
export function bars(probs, names, k = 3) {
  const order = probs
    .map((p, i) => [p, i])
    .sort((a, b) => b[0] - a[0])
    .slice(0, k);
  const el = document.createElement('div');
  el.className = 'bars';
  for (const [p, i] of order) {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = `${Math.max(1, p * 100).toFixed(1)}%`;
    el.append(text('span', names[i]), wrap(bar), text('span', `${(p * 100).toFixed(1)}%`));
  }
  return el;
}

/** A test image's card: the image, the predicted class and its probability, the true class. */
export function card(image, logits, names) {
  const probs = softmax(logits);
  const pred = argmax(logits);
  const el = document.createElement('div');
  el.className = pred === image.label ? 'card right' : 'card wrong';
  el.dataset.index = String(image.index);
  el.dataset.pred = String(pred);
  const info = document.createElement('div');
  info.append(
    text('div', `${names[pred]} ${(probs[pred] * 100).toFixed(0)}%`, 'pred'),
    text('div', `true: ${names[image.label]}`, 'truth'),
  );
  el.append(bytesCanvas(image.bytes), info);
  el.title = probs.map((p, k) => `${names[k]}: ${(p * 100).toFixed(1)}%`).join('\n');
  return el;
}

/** Shows a one-line error at the top of the page (the first line of the message only). */
export function showError(err) {
  const el = document.getElementById('error');
  el.textContent = String(err?.message ?? err).split('\n')[0];
  el.hidden = false;
}

export function clearError() {
  document.getElementById('error').hidden = true;
}

function text(tag, value, className) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (className) el.className = className;
  return el;
}

function wrap(child) {
  const el = document.createElement('div');
  el.append(child);
  return el;
}
