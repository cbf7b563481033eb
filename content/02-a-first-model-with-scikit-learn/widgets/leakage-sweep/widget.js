// Leakage on pure noise: step through the number of noise columns the 40 "best" are
// chosen from, and compare choosing them on all rows (leaky) with choosing them inside
// the pipeline (honest). Mounted by static/js/mount.js, which hands it `w` (see there).

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const container = w.element;
  const uid = w.id;
  const counts = data.features;
  const last = counts.length - 1;
  const seedOptions = data.seeds.map((s) => `<option value="${s.seed}" ${s.seed === data.shown_seed ? "selected" : ""}>
    ${s.seed}</option>`).join("");
  container.innerHTML = `
    <canvas class="leak-canvas" role="img" width="640" height="300"></canvas>
    <ul class="legend">
      <li><span class="swatch" data-token="validation"></span>chosen on all rows, then cross-validated (leaky)</li>
      <li><span class="swatch" data-token="train"></span>chosen inside the pipeline (honest)</li>
      <li><span class="swatch" data-token="grid"></span>chance ± 0.1</li>
    </ul>
    <div class="widget-controls">
      <label for="${uid}-count">Noise columns</label>
      <input id="${uid}-count" class="count-slider" type="range" min="0" max="${last}" step="1" value="${last}">
      <label>Seed <select class="seed-select">${seedOptions}</select></label>
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const canvas = container.querySelector(".leak-canvas");
  const slider = container.querySelector(".count-slider");
  const seedSelect = container.querySelector(".seed-select");
  const readout = container.querySelector(".widget-readout");
  const plot = new Plot(canvas, {
    x: [counts[0] * 0.7, counts[last] * 1.4], y: [0.3, 1.0],
    xLabel: `noise columns to choose ${data.keep} from (log scale)`, yLabel: "cross-validated accuracy",
    xLogEpoch: true,
  });
  const fmt = (v) => v.toFixed(3);
  const range = (values) => `${fmt(Math.min(...values))} to ${fmt(Math.max(...values))}`;

  function draw(colors) {
    const i = Number(slider.value);
    const seed = Number(seedSelect.value);
    const shown = data.seeds.find((s) => s.seed === seed);
    plot.begin(colors);
    const ctx = plot.ctx;
    const [x0, x1] = [plot.px(plot.x[0]), plot.px(plot.x[1])];
    ctx.fillStyle = colors.grid;
    ctx.fillRect(x0, plot.py(data.chance + 0.1), x1 - x0, plot.py(data.chance - 0.1) - plot.py(data.chance + 0.1));
    plot.line(plot.x, [data.chance, data.chance], colors.muted, { width: 1, dash: [3, 3] });
    ctx.globalAlpha = 0.3;
    for (const s of data.seeds) {
      if (s === shown) continue;
      plot.line(counts, s.leaky, colors.validation, { width: 1 });
      plot.line(counts, s.honest, colors.train, { width: 1 });
    }
    ctx.globalAlpha = 1;
    plot.vline(counts[i], colors.highlight, { dash: [4, 4], width: 1.5 });
    plot.line(counts, shown.leaky, colors.validation, { width: 2.5 });
    plot.line(counts, shown.honest, colors.train, { width: 2.5 });
    plot.points(counts, shown.leaky, colors.validation, { radius: 3 });
    plot.points(counts, shown.honest, colors.train, { radius: 3 });
    plot.points([counts[i]], [shown.leaky[i]], colors.validation, { radius: 6 });
    plot.points([counts[i]], [shown.honest[i]], colors.train, { radius: 6 });
    plot.end();

    const n = counts[i].toLocaleString("en");
    const gap = shown.leaky[i] - shown.honest[i];
    let text = `${n} noise columns, ${data.samples} samples, seed ${seed}: leaky ${fmt(shown.leaky[i])}, ` +
      `honest ${fmt(shown.honest[i])}. `;
    text += i === 0
      ? `With only ${data.keep} columns there is nothing to choose, so both are the same.`
      : `Leaky minus honest: ${fmt(gap)}. Over all ${data.seeds.length} seeds at ${n} columns: leaky ` +
        `${range(data.seeds.map((s) => s.leaky[i]))}, honest ${range(data.seeds.map((s) => s.honest[i]))}.`;
    readout.textContent = text;
    slider.setAttribute("aria-valuetext", `${n} noise columns`);
    canvas.setAttribute("aria-label", `Cross-validated accuracy against the number of noise columns for seed ` +
      `${seed}: leaky from ${fmt(shown.leaky[0])} to ${fmt(shown.leaky[last])}, honest from ` +
      `${fmt(shown.honest[0])} to ${fmt(shown.honest[last])}; chance is ${data.chance}.`);
    Object.assign(w.figure.dataset, { features: counts[i], seed, leaky: shown.leaky[i], honest: shown.honest[i] });
  }

  slider.addEventListener("input", w.redraw);
  seedSelect.addEventListener("change", w.redraw);
  return draw;
}
