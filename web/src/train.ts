/**
 * @file The Train tab: `npm start`'s synthetic-motion experiment live in the page. The
 * temporal UniFormerV2 and the per-frame baseline train with the library's own loop
 * (`wg.motion.trainMotion`); its `onStep` callback feeds the charts, yields to the browser and
 * is where Stop takes effect (between steps: a step on the GPU cannot be cut short). After
 * training, held-out clips are classified and shown animated with their predictions.
 */
import * as wg from "../../src/index.js";
import { configureBackendSelect, selectedBackend, type AdapterProbe } from "./adapter.js";
import { LineChart } from "./chart.js";
import { ClipGallery, type ClipView } from "./clips.js";
import { byId, describeError, el, setStatus, yieldToBrowser } from "./dom.js";

/**
 * Steps a model by default. Measured on SwiftShader (Chromium's software WebGPU, 2 cores,
 * batch 16): a temporal step takes 1.3–2.2 s, a per-frame one 0.7 s, and the first step 20–50 s
 * while the shaders compile; 80 steps of both take 3–4 minutes. The temporal model reaches
 * about 99 % held-out after 80 steps (70 % after 60; the CLI's 150 reach 100 %).
 */
export const DEFAULT_STEPS = 80;
const TRAIN_CLIPS = 512;
const TEST_CLIPS = 128;
const SHOWN_CLIPS = 8;
const SMOOTHING = 10;

type ModelId = "temporal" | "per-frame";

const MODELS: Record<ModelId, { readonly title: string; readonly short: string; readonly color: string; readonly perFrame: boolean }> = {
  temporal: { title: "UniFormerV2 (temporal)", short: "temporal", color: "#2f6fdb", perFrame: false },
  "per-frame": { title: "per-frame baseline", short: "per-frame", color: "#e07b24", perFrame: true },
};

interface Settings {
  readonly steps: number;
  readonly batch: number;
  readonly seed: number;
  readonly backend: wg.Backend;
  readonly models: readonly ModelId[];
}

/** Thrown from `onStep` to leave the training loop after the current step. */
class StopRequested extends Error {}

const STAT_NAMES = ["state", "step", "loss", "batch accuracy", "clips/s", "first step", "program", "held-out accuracy"] as const;
type StatName = (typeof STAT_NAMES)[number];

/** One model's live numbers, shown as a card. */
class StatCard {
  readonly element: HTMLElement;
  private readonly values = new Map<StatName, HTMLElement>();

  constructor(model: ModelId) {
    const list = el("dl");
    for (const name of STAT_NAMES) {
      const value = el("dd", {}, "—");
      this.values.set(name, value);
      list.append(el("dt", {}, name), value);
    }
    this.element = el("div", { class: `stat-card ${model}`, id: `train-card-${model}` }, el("h3", {}, MODELS[model].title), list);
  }

  set(name: StatName, text: string): void {
    this.values.get(name)!.textContent = text;
  }
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

function readInt(input: HTMLInputElement, what: string, min: number, max: number): number {
  const n = Number(input.value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} must be a whole number from ${min} to ${max}, got "${input.value}"`);
  return n;
}

export function initTrainTab(probe: AdapterProbe): void {
  const steps = byId("train-steps", HTMLInputElement);
  const batch = byId("train-batch", HTMLInputElement);
  const seed = byId("train-seed", HTMLInputElement);
  const models = byId("train-models", HTMLSelectElement);
  const backend = byId("train-backend", HTMLSelectElement);
  const start = byId("train-start", HTMLButtonElement);
  const stop = byId("train-stop", HTMLButtonElement);
  const stats = byId("train-stats", HTMLElement);
  const note = byId("clips-note", HTMLElement);
  const inputs = [steps, batch, seed, models, backend];

  steps.value = String(DEFAULT_STEPS);
  configureBackendSelect(backend, probe);
  const lossChart = new LineChart(byId("chart-loss", HTMLCanvasElement), { formatY: (y) => y.toFixed(2) });
  const accuracyChart = new LineChart(byId("chart-accuracy", HTMLCanvasElement), {
    yRange: [0, 1],
    formatY: (y) => `${Math.round(100 * y)}%`,
    guides: [{ y: 1 / wg.syntheticMotion.DIRECTIONS.length, label: "chance" }],
  });
  const task = wg.motion.MOTION_TASK;
  const gallery = new ClipGallery(byId("clip-gallery", HTMLElement), task.frames, task.size);
  // Stop aborts the run's signal; training stops between steps (see `trainMotion`).
  let run = new AbortController();

  // Before any run: the held-out clips of the default seed, without predictions.
  const preview = wg.motion.motionData(0, 0, SHOWN_CLIPS);
  gallery.show(preview.test.map((c) => ({ video: c.video, truth: wg.syntheticMotion.DIRECTIONS[c.label]!, predictions: [] })));
  note.textContent = "Press Start: each model trains, then classifies held-out clips it never saw; their predictions appear under each clip.";

  stop.addEventListener("click", () => {
    run.abort();
    stop.disabled = true;
    stop.textContent = "Stopping…";
    setStatus("stopping after the current step…", "busy");
  });

  start.addEventListener("click", async () => {
    let settings: Settings;
    try {
      const choice = models.value;
      settings = {
        steps: readInt(steps, "Steps", 1, 2000),
        batch: readInt(batch, "Batch", 1, TRAIN_CLIPS),
        seed: readInt(seed, "Seed", 0, 2 ** 31 - 1),
        backend: selectedBackend(backend),
        models: choice === "both" ? ["temporal", "per-frame"] : choice === "per-frame" ? ["per-frame"] : ["temporal"],
      };
    } catch (error) {
      setStatus(describeError(error), "error");
      return;
    }
    run = new AbortController();
    start.disabled = true;
    stop.disabled = false;
    stop.textContent = "Stop";
    inputs.forEach((i) => (i.disabled = true));
    try {
      await runExperiment(settings);
    } catch (error) {
      if (error instanceof StopRequested) setStatus("stopped", "idle");
      else {
        console.error(error);
        setStatus(`training failed: ${describeError(error)}`, "error");
      }
    } finally {
      start.disabled = false;
      stop.disabled = true;
      stop.textContent = "Stop";
      inputs.forEach((i) => (i.disabled = false));
    }
  });

  async function runExperiment(s: Settings): Promise<void> {
    const t0 = performance.now();
    lossChart.reset(s.steps);
    accuracyChart.reset(s.steps);
    const cards = new Map(s.models.map((m) => [m, new StatCard(m)] as const));
    stats.replaceChildren(...[...cards.values()].map((c) => c.element));
    for (const m of s.models) {
      lossChart.addSeries(MODELS[m].title, MODELS[m].color);
      accuracyChart.addSeries(MODELS[m].title, MODELS[m].color);
      cards.get(m)!.set("state", "waiting");
    }
    setStatus(`making ${TRAIN_CLIPS} training and ${TEST_CLIPS} held-out clips (seed ${s.seed})…`, "busy");
    await yieldToBrowser();
    const data = wg.motion.motionData(s.seed, TRAIN_CLIPS, TEST_CLIPS);
    const shown = data.test.slice(0, SHOWN_CLIPS);
    const predictions: ClipView["predictions"][number][][] = shown.map(() => []);
    const showClips = () =>
      gallery.show(shown.map((c, i) => ({ video: c.video, truth: wg.syntheticMotion.DIRECTIONS[c.label]!, predictions: predictions[i]! })));
    showClips();
    note.textContent = `The first ${SHOWN_CLIPS} of ${TEST_CLIPS} held-out clips (seed ${s.seed}); predictions appear as each model finishes.`;

    for (const [i, m] of s.models.entries()) {
      const card = cards.get(m)!;
      if (run.signal.aborted) {
        // Stop was pressed while the previous model was being evaluated.
        for (const rest of s.models.slice(i)) cards.get(rest)!.set("state", "not run (stopped)");
        throw new StopRequested();
      }
      let params: Map<string, wg.AnyTensor>;
      try {
        params = await trainModel(m, s, data, card);
      } catch (error) {
        for (const later of s.models.slice(i + 1)) cards.get(later)!.set("state", error instanceof StopRequested ? "not run (stopped)" : "not run");
        throw error;
      }
      card.set("state", "evaluating on held-out clips…");
      setStatus(`${MODELS[m].title}: classifying ${data.test.length} held-out clips…`, "busy");
      await yieldToBrowser();
      const evaluation = await wg.motion.evaluateMotion(params, data.test, { backend: s.backend, perFrame: MODELS[m].perFrame });
      card.set("held-out accuracy", `${percent(evaluation.accuracy)} of ${data.test.length} clips`);
      card.set("state", "done");
      const classes = wg.syntheticMotion.DIRECTIONS.length;
      shown.forEach((clip, j) => {
        const p = evaluation.predictions[j]!;
        predictions[j]!.push({ model: MODELS[m].short, label: wg.syntheticMotion.DIRECTIONS[p]!, probability: evaluation.probabilities[j * classes + p]!, correct: p === clip.label });
      });
      showClips();
    }
    setStatus(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** Train one model; resolves to its parameters (official keys) for evaluation. */
  async function trainModel(m: ModelId, s: Settings, data: wg.motion.MotionData, card: StatCard): Promise<Map<string, wg.AnyTensor>> {
    const { perFrame, title } = MODELS[m];
    const signal = run.signal;
    const options = { data, steps: s.steps, batch: s.batch, seed: s.seed, backend: s.backend, perFrame, signal };
    const { trainer, initialParams } = wg.motion.motionTrainer(options);
    const where = s.backend.label;
    card.set("state", `first step (${s.backend.firstRun})…`);
    setStatus(`${title}: first step on ${where} (includes ${s.backend.firstRun})…`, "busy");
    await yieldToBrowser();
    const recent: number[] = [];
    const t0 = performance.now();
    let firstStepDone = 0;
    try {
      await wg.motion.trainMotion(
        {
          ...options,
          onStep: async (report, accuracy, t) => {
            const now = performance.now();
            if (firstStepDone === 0) {
              firstStepDone = now;
              card.set("first step", `${((now - t0) / 1000).toFixed(2)} s (with ${s.backend.firstRun})`);
              if (t.kernels !== undefined) card.set("program", `${t.kernels} kernels a step, ${((t.deviceBytes ?? 0) / 2 ** 20).toFixed(1)} MiB on the GPU`);
              else card.set("program", "interpreted graph (no kernels)");
            }
            recent.push(accuracy);
            if (recent.length > SMOOTHING) recent.shift();
            const smoothed = recent.reduce((a, b) => a + b, 0) / recent.length;
            lossChart.push(title, report.step, report.loss);
            accuracyChart.push(title, report.step, smoothed);
            const steady = report.step - 1;
            const seconds = (now - firstStepDone) / 1000;
            card.set("state", "training");
            card.set("step", `${report.step} / ${s.steps}  (lr ${report.lr.toExponential(1)})`);
            card.set("loss", report.loss.toFixed(4));
            card.set("batch accuracy", percent(smoothed));
            if (steady > 0) card.set("clips/s", `${((steady * s.batch) / seconds).toFixed(1)}  (${(seconds / steady).toFixed(3)} s a step)`);
            setStatus(`${title}: step ${report.step} of ${s.steps} on ${where}`, "busy");
            await yieldToBrowser();
          },
        },
        trainer,
      );
      if (signal.aborted) {
        card.set("state", `stopped after step ${trainer.step}`);
        throw new StopRequested();
      }
      return new Map([...initialParams, ...Object.entries(await trainer.parameters())]);
    } catch (error) {
      if (!(error instanceof StopRequested)) card.set("state", `failed: ${describeError(error)}`);
      throw error;
    } finally {
      trainer.dispose();
    }
  }
}
