// Turns the camera and image files into RGBA frames for the worker. Pixels go as they are:
// cropping, resizing and normalising happen in the Rust core.

/** The video's current frame as {rgba (ArrayBuffer), width, height}, or null before it plays. */
export function grab(video) {
  const { videoWidth: width, videoHeight: height } = video;
  if (!width || !height) return null;
  grab.canvas ??= new OffscreenCanvas(width, height);
  const canvas = grab.canvas;
  if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(video, 0, 0, width, height);
  return { rgba: context.getImageData(0, 0, width, height).data.buffer, width, height };
}

/** A file's pixels, or an Error naming the file when the browser cannot read it as an image. */
export async function decode(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${file.name} is not an image this browser can read.`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
  return { rgba: data.buffer, width, height };
}
