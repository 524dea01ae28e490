// The drawing area: pointer strokes in the chosen colour on white.

/** Sets up drawing on `canvas`; `onStroke` runs after each stroke ends. Returns a function that clears it. */
export function drawingArea(canvas, colourInput, onStroke) {
  const ctx = canvas.getContext('2d');
  const clear = () => {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const next = at(e);
    ctx.strokeStyle = colourInput.value;
    ctx.lineWidth = canvas.width / 10;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...next);
    ctx.stroke();
    last = next;
  });
  const end = () => {
    if (!last) return;
    last = null;
    onStroke();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return clear;
}
