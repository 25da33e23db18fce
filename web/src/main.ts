/**
 * @file The demo page's entry: probe WebGPU, set up the three tabs (Train, Classify, Inspect),
 * and expose `window.wgtDemo` for automated tests: `ready` resolves once the first view is
 * rendered and the adapter probed; `lib` is the library itself.
 */
import * as wg from "../../src/index.js";
import { probeAdapter, type AdapterProbe } from "./adapter.js";
import { initClassifyTab } from "./classify.js";
import { byId, el, setStatus } from "./dom.js";
import { initInspectTab } from "./inspect.js";
import { initTrainTab } from "./train.js";

export interface DemoHandle {
  readonly ready: Promise<void>;
  readonly lib: typeof wg;
}

declare global {
  interface Window {
    wgtDemo: DemoHandle;
  }
}

const TABS = ["train", "classify", "inspect"] as const;

function selectTab(name: string): void {
  for (const tab of TABS) {
    const button = byId(`tab-${tab}`, HTMLButtonElement);
    const selected = tab === name;
    button.setAttribute("aria-selected", String(selected));
    byId(`panel-${tab}`, HTMLElement).hidden = !selected;
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

function showBanner(probe: AdapterProbe): void {
  const banner = byId("gpu-banner", HTMLElement);
  if (probe.ok) {
    banner.hidden = true;
    return;
  }
  banner.replaceChildren(el("b", {}, probe.title), " ", probe.detail);
  banner.hidden = false;
}

async function start(): Promise<void> {
  for (const tab of TABS) byId(`tab-${tab}`, HTMLButtonElement).addEventListener("click", () => selectTab(tab));
  const initial = TABS.find((t) => location.hash === `#${t}`) ?? "train";
  selectTab(initial);
  setStatus("probing WebGPU…", "busy");
  const probe = await probeAdapter();
  showBanner(probe);
  initTrainTab(probe);
  initClassifyTab(probe);
  initInspectTab(probe);
  if (probe.ok) {
    const { info } = probe.context;
    setStatus(`ready — WebGPU on ${[info.vendor, info.architecture, info.description].filter(Boolean).join(" ") || "an unnamed adapter"}${info.software ? " (software)" : ""}`);
  } else {
    setStatus("ready — no WebGPU: the CPU interpreter runs everything", "idle");
  }
  // Resolve after the browser has painted the first view.
  await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
}

const ready = start();
ready.catch((error: unknown) => {
  console.error(error);
  setStatus(`the page failed to start: ${error instanceof Error ? error.message : String(error)}`, "error");
});
window.wgtDemo = { ready, lib: wg };
