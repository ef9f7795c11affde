// Types of Glimpse's drop-in library (glimpse.js).

/** What `predict` gives for each class, in class order. */
export interface Prediction {
  className: string;
  probability: number;
}

/** Anything `predict` can read pixels from. */
export type ImageSource = HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | OffscreenCanvas | ImageBitmap | ImageData;

export interface LoadOptions {
  /** 'auto' (the default: WebGPU on a hardware GPU, else the CPU), 'cpu' or 'webgpu'. */
  backend?: 'auto' | 'cpu' | 'webgpu';
}

/** A model made on the Glimpse page, ready to classify. */
export class Model {
  /** The class names, in the order `predict` gives them. */
  getClassLabels(): string[];
  getTotalClasses(): number;
  /** The probability of each class, in class order; `flipped` mirrors the image first. */
  predict(source: ImageSource, flipped?: boolean): Promise<Prediction[]>;
  /** The `k` most probable classes, most probable first. */
  predictTopK(source: ImageSource, k?: number, flipped?: boolean): Promise<Prediction[]>;
  /** Stops the worker and frees the model. */
  dispose(): void;
}

/** Loads a `.glimpse` file (the model only, or a whole project): a URL, bytes, a Blob or File. */
export function load(model: string | URL | ArrayBuffer | ArrayBufferView | Blob, options?: LoadOptions): Promise<Model>;

/** The webcam, drawn into `canvas` each `update()`. */
export class Webcam {
  constructor(width?: number, height?: number, flip?: boolean);
  readonly canvas: HTMLCanvasElement;
  readonly webcam: HTMLVideoElement;
  setup(options?: MediaTrackConstraints): Promise<void>;
  play(): Promise<void>;
  update(): void;
  stop(): void;
}
