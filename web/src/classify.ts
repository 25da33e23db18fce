/**
 * @file The Classify tab: a video file through UniFormerV2, prepared exactly as
 * `wgtensor classify` prepares it — the library's own sampling (`neededFrames`), views
 * (`classifyFrames`: short-side resize, crops, normalisation, softmax averaged over views) —
 * with frames decoded by the page (video.ts) instead of ffmpeg.
 */
import * as wg from "../../src/index.js";
import { configureBackendSelect, selectedBackend, type AdapterProbe } from "./adapter.js";
import { byId, describeError, el, setStatus, yieldToBrowser } from "./dom.js";
import { configFromJson, describeConfig, FROM_JSON, modelChoices, TINY, TINY_CONFIG } from "./models.js";
import { probeVideo, readFrames, type VideoInfo } from "./video.js";

type Config = wg.uniformerv2.UniFormerV2Config;

function parseViews(value: string): wg.uniformerv2.ViewSpec {
  return value === "3x4" ? { crops: 3, clips: 4 } : { crops: 1, clips: 1 };
}

export function initClassifyTab(probe: AdapterProbe): void {
  const videoInput = byId("classify-video", HTMLInputElement);
  const modelSelect = byId("classify-model", HTMLSelectElement);
  const weightsInput = byId("classify-weights", HTMLInputElement);
  const configRow = byId("classify-config-row", HTMLElement);
  const configInput = byId("classify-config", HTMLInputElement);
  const viewsSelect = byId("classify-views", HTMLSelectElement);
  const backendSelect = byId("classify-backend", HTMLSelectElement);
  const run = byId("classify-run", HTMLButtonElement);
  const modelNote = byId("classify-model-note", HTMLElement);
  const preview = byId("classify-preview", HTMLVideoElement);
  const videoInfo = byId("classify-video-info", HTMLElement);
  const frameStrip = byId("classify-frames", HTMLElement);
  const topList = byId("classify-top", HTMLOListElement);
  const topNote = byId("classify-top-note", HTMLElement);
  const logBox = byId("classify-log", HTMLElement);
  const errorBox = byId("classify-error", HTMLElement);

  for (const c of modelChoices()) modelSelect.append(el("option", { value: c.value }, c.text));
  configureBackendSelect(backendSelect, probe);
  let info: Promise<VideoInfo> | undefined;

  const log = (line: string) => {
    logBox.textContent += `${line}\n`;
    logBox.scrollTop = logBox.scrollHeight;
  };

  /** What the model choice means, before anything runs. */
  const describeChoice = () => {
    const choice = modelSelect.value;
    configRow.hidden = choice !== FROM_JSON;
    const weights = weightsInput.files?.[0];
    if (choice === TINY) {
      modelNote.textContent = weights
        ? `Tiny model (${describeConfig(TINY_CONFIG)}) with weights from ${weights.name}.`
        : `Tiny model with random weights (${describeConfig(TINY_CONFIG)}): its labels are meaningless — it only shows that decoding, sampling, cropping and the forward pass work. Give a checkpoint and its preset or config for real predictions.`;
    } else if (choice === FROM_JSON) {
      modelNote.textContent = "Choose a config JSON (the official constructor's arguments, bare or under \"constructor_args\") and its checkpoint.";
    } else {
      modelNote.textContent = `Preset ${choice}: ${describeConfig(wg.uniformerv2.preset(choice))}. Needs its released checkpoint (.pth or .safetensors).`;
    }
  };
  modelSelect.addEventListener("change", describeChoice);
  weightsInput.addEventListener("change", describeChoice);
  describeChoice();

  videoInput.addEventListener("change", () => {
    const file = videoInput.files?.[0];
    topList.replaceChildren();
    topNote.hidden = true;
    frameStrip.replaceChildren();
    if (!file) return;
    videoInfo.textContent = `opening ${file.name}…`;
    videoInfo.className = "note";
    info = probeVideo(preview, file);
    info.then(
      (v) => (videoInfo.textContent = describeVideo(file.name, v)),
      (error: unknown) => {
        videoInfo.textContent = `${file.name}: ${describeError(error)}`;
        videoInfo.className = "note error";
      },
    );
  });

  run.addEventListener("click", async () => {
    run.disabled = true;
    setStatus("classify: preparing…", "busy");
    logBox.textContent = "";
    errorBox.hidden = true;
    topNote.hidden = true;
    topList.replaceChildren();
    try {
      await classify();
    } catch (error) {
      console.error(error);
      errorBox.textContent = describeError(error);
      errorBox.hidden = false;
      setStatus(`classify failed: ${describeError(error)}`, "error");
    } finally {
      run.disabled = false;
    }
  });

  async function chosenConfig(): Promise<Config> {
    const choice = modelSelect.value;
    if (choice === TINY) return TINY_CONFIG;
    if (choice === FROM_JSON) {
      const file = configInput.files?.[0];
      if (!file) throw new Error("choose a config JSON file (or another model)");
      return configFromJson(await file.text(), file.name);
    }
    return wg.uniformerv2.preset(choice);
  }

  /** The checkpoint's parameters, or random ones (the tiny model only). */
  async function chosenWeights(config: Config): Promise<{ params: wg.uniformerv2.UniFormerV2Params; random: boolean }> {
    const file = weightsInput.files?.[0];
    if (!file) {
      if (modelSelect.value !== TINY) throw new Error(`${modelSelect.value === FROM_JSON ? "this config" : `preset ${modelSelect.value}`} needs its checkpoint: choose a .pth or .safetensors file (or pick the tiny random model)`);
      log("weights: random (seed 0): the labels below are meaningless");
      return { params: wg.uniformerv2.initParams(config, wg.Key.fromSeed(0)), random: true };
    }
    const t0 = performance.now();
    setStatus(`reading ${file.name} (${(file.size / 2 ** 20).toFixed(1)} MiB)…`, "busy");
    await yieldToBrowser();
    // WeightFileError (not a checkpoint) and WeightError (keys, shapes) name the file and the problem.
    const { params, report } = await wg.uniformerv2.loadWeights(config, file);
    log(
      `weights: ${file.name}: ${report.ignored.length} counter buffer(s) ignored` +
        `${report.unexpected.length ? `, ${report.unexpected.length} unexpected key(s): ${report.unexpected.slice(0, 5).join(", ")}${report.unexpected.length > 5 ? ", …" : ""}` : ""}` +
        ` (${((performance.now() - t0) / 1000).toFixed(2)} s)`,
    );
    return { params, random: false };
  }

  async function classify(): Promise<void> {
    const file = videoInput.files?.[0];
    if (!file || !info) throw new Error("choose a video file first");
    const config = await chosenConfig();
    log(`model: ${describeConfig(config)}`);
    const { params, random } = await chosenWeights(config);
    const video = await info;
    const views = parseViews(viewsSelect.value);
    const backend = selectedBackend(backendSelect);

    const indices = wg.uniformerv2.neededFrames(video.frameCount, config.frames, views.clips);
    setStatus(`decoding ${indices.length} frame(s) of ${file.name}…`, "busy");
    frameStrip.replaceChildren();
    const t0 = performance.now();
    const frames = await readFrames(preview, video, indices, (index, rgba) => frameStrip.append(thumbnail(index, rgba)));
    log(`decode: ${describeVideo(file.name, video)}; read ${indices.length} sampled frame(s): ${indices.join(", ")} (${((performance.now() - t0) / 1000).toFixed(2)} s)`);

    setStatus(`classifying on ${backend.label}…`, "busy");
    await yieldToBrowser();
    const result = await wg.uniformerv2.classifyFrames(frames, config, params, {
      views,
      backend,
      top: 5,
      labels: wg.uniformerv2.defaultLabels(config.numClasses),
      log,
    });
    log(`forward: ${result.views} view(s), ${result.batch} per pass, ${result.seconds.forward.toFixed(2)} s in all`);
    topList.replaceChildren(
      ...result.top.map((p) =>
        el(
          "li",
          {},
          el("div", { class: "row" }, el("span", {}, `${p.label}`), el("span", {}, `${(100 * p.probability).toFixed(2)}%`)),
          el("div", { class: "bar" }, el("div", { style: `width: ${Math.max(0.5, 100 * p.probability).toFixed(2)}%` })),
        ),
      ),
    );
    topNote.textContent = random ? "random weights: these labels mean nothing" : `softmax averaged over ${result.views} view(s)`;
    topNote.hidden = false;
    setStatus(`classified ${file.name}: ${result.top[0]?.label ?? "?"} (${result.views} view(s), forward ${result.seconds.forward.toFixed(2)} s)`);
  }
}

function describeVideo(name: string, v: VideoInfo): string {
  return `${name}: ${v.width}×${v.height}, ${v.duration.toFixed(2)} s, ${v.fps.toFixed(2)} fps (${v.fpsNote}) → ${v.frameCount} frames`;
}

/** A small picture of a decoded frame, labelled with its index. */
function thumbnail(index: number, rgba: ImageData): HTMLCanvasElement {
  const canvas = el("canvas", { title: `frame ${index}` });
  canvas.width = rgba.width;
  canvas.height = rgba.height;
  canvas.getContext("2d")?.putImageData(rgba, 0, 0);
  return canvas;
}
