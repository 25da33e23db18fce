/** @file Small DOM helpers: typed element lookup, element creation, the status line, yielding. */

/** The element with `id`, checked to be of `type` (a missing or wrong element is a bug in index.html). */
export function byId<T extends HTMLElement>(id: string, type: abstract new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`index.html: #${id} is missing or not a ${type.name}`);
  return found;
}

type Child = Node | string;

/** `el("div", { class: "x" }, "text", child)`: an element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) e.setAttribute(name, value);
  e.append(...children);
  return e;
}

export type StatusKind = "idle" | "busy" | "error";

/** The one-line status at the bottom of the page (`#status`). */
export function setStatus(text: string, kind: StatusKind = "idle"): void {
  const status = byId("status", HTMLElement);
  status.textContent = text;
  status.className = kind === "idle" ? "" : kind;
}

/**
 * Let the browser paint before more work: a frame, then a macrotask (a CPU-interpreter step is
 * synchronous, so without this the page would not redraw until training ends).
 */
export function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** An error as one readable line: its name (WeightError, ShapeMismatch, …) and message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

/** A canvas's backing store sized to its CSS box at the device pixel ratio; returns the CSS size. */
export function fitCanvas(canvas: HTMLCanvasElement): { width: number; height: number; context: CanvasRenderingContext2D } {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext("2d");
  if (!context) throw new Error("no 2D canvas context");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { width, height, context };
}
