// Images as the run's model reads them: 32x32 RGB bytes (HWC), scaled to [0, 1] and, when the run
// normalised its data, standardised with the dataset's per-channel mean and std.

export const SIDE = 32;
export const PIXELS = SIDE * SIDE * 3;

/** The bytes of a base64 string (test-images.json carries each image's raw 3072 bytes so). */
export function base64Bytes(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Float32 model input of n images' bytes, exactly as the repo's data loader computes it (pixelTable). */
export function normalise(bytes, info) {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const c = i % 3;
    out[i] = info.normalize ? (bytes[i] / 255 - info.mean[c]) / info.std[c] : bytes[i] / 255;
  }
  return out;
}

/** RGB bytes of a 32x32 canvas region drawn from `source` (its centred square, resized smoothly). */
export function squareBytes(source, width, height) {
  const canvas = document.createElement('canvas');
  canvas.width = SIDE;
  canvas.height = SIDE;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  // White under transparent pixels, as the drawing area shows them.
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, SIDE, SIDE);
  const side = Math.min(width, height);
  ctx.drawImage(source, (width - side) / 2, (height - side) / 2, side, side, 0, 0, SIDE, SIDE);
  return rgbOf(ctx.getImageData(0, 0, SIDE, SIDE).data);
}

/** RGB bytes of a file the browser can decode as an image; a one-line error naming the file otherwise. */
export async function fileBytes(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    const kind = file.type ? ` (${file.type})` : '';
    throw new Error(
      `${file.name}${kind} is not an image this browser can read; drop a PNG, JPEG, GIF or WebP, or a .safetensors checkpoint`,
    );
  }
  try {
    return squareBytes(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** A 32x32 canvas showing RGB bytes. */
export function bytesCanvas(bytes) {
  const canvas = document.createElement('canvas');
  canvas.width = SIDE;
  canvas.height = SIDE;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(SIDE, SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) {
    image.data[4 * p] = bytes[3 * p];
    image.data[4 * p + 1] = bytes[3 * p + 1];
    image.data[4 * p + 2] = bytes[3 * p + 2];
    image.data[4 * p + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

function rgbOf(rgba) {
  const out = new Uint8Array(PIXELS);
  for (let p = 0; p < SIDE * SIDE; p++) {
    out[3 * p] = rgba[4 * p];
    out[3 * p + 1] = rgba[4 * p + 1];
    out[3 * p + 2] = rgba[4 * p + 2];
  }
  return out;
}
