// Adam, weight by weight: how far each weight moves per step (as a multiple of the learning
// rate), with bias correction or without, and the effective learning rate each one gets.
export function mount(w) {
  const { Plot, formatNumber } = w.chart;
  const data = w.data;
  const uid = w.id;
  const n = data.with.length;
  const steps = Array.from({ length: n }, (_, i) => i + 1);
  let corrected = true;

  w.element.innerHTML = `
    <div class="widget-controls">
      <div class="segmented" role="group" aria-label="Bias correction">
        <button type="button" aria-pressed="true" data-corrected="true">With bias correction</button>
        <button type="button" aria-pressed="false" data-corrected="false">Without</button>
      </div>
      <label for="${uid}-step">Step</label>
      <input id="${uid}-step" class="adam-step" type="range" min="1" max="${n}" step="1" value="1">
    </div>
    <div class="widget-panels">
      <div>
        <canvas class="move-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="model"></span>w1 (shallow)</li>
          <li><span class="swatch" data-token="validation"></span>w2 (steep)</li>
          <li><span class="swatch" data-token="truth"></span>one learning rate</li>
        </ul>
      </div>
      <div>
        <canvas class="rate-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="model"></span>w1</li>
          <li><span class="swatch" data-token="validation"></span>w2</li>
        </ul>
      </div>
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const slider = w.element.querySelector(".adam-step");
  const readout = w.element.querySelector(".widget-readout");
  const moveCanvas = w.element.querySelector(".move-canvas");
  const rateCanvas = w.element.querySelector(".rate-canvas");
  const range = (rows) => {
    const values = rows.flat().filter((v) => v > 0);
    return [10 ** Math.floor(Math.log10(Math.min(...values))), 10 ** Math.ceil(Math.log10(Math.max(...values)))];
  };
  const move = new Plot(moveCanvas, { x: [1, n], y: range(data.with.concat(data.without)), xLabel: "step",
    yLabel: "|step| ÷ learning rate (log)", yLog: true });
  const rate = new Plot(rateCanvas, { x: [1, n], y: range(data.effective), xLabel: "step",
    yLabel: "effective rate ÷ learning rate (log)", yLog: true });
  w.element.querySelectorAll(".segmented button").forEach((b) => b.addEventListener("click", () => {
    corrected = b.dataset.corrected === "true";
    w.element.querySelectorAll(".segmented button").forEach((o) => o.setAttribute("aria-pressed", String(o === b)));
    w.redraw();
  }));
  slider.addEventListener("input", w.redraw);

  function draw(colors) {
    const k = Number(slider.value);
    const rows = corrected ? data.with : data.without;
    move.begin(colors);
    move.line([1, n], [1, 1], colors.truth, { width: 1, dash: [2, 3] });
    [colors.model, colors.validation].forEach((c, i) => {
      move.line(steps, rows.map((r) => Math.max(r[i], 1e-12)), c, { width: 2 });
      move.points([k], [Math.max(rows[k - 1][i], 1e-12)], c, { radius: 4.5 });
    });
    move.vline(k, colors.highlight);
    move.end();
    rate.begin(colors);
    [colors.model, colors.validation].forEach((c, i) => {
      rate.line(steps, data.effective.map((r) => r[i]), c, { width: 2 });
      rate.points([k], [data.effective[k - 1][i]], c, { radius: 4.5 });
    });
    rate.vline(k, colors.highlight);
    rate.end();
    const [m1, m2] = rows[k - 1];
    const [e1, e2] = data.effective[k - 1];
    const text = `Step ${k}, ${corrected ? "with" : "without"} bias correction: w1 moves ${formatNumber(m1)} and ` +
      `w2 ${formatNumber(m2)} learning rates. Effective rates: w1 ${formatNumber(e1)}, w2 ${formatNumber(e2)} ` +
      `times the learning rate ${formatNumber(data.lr)}.`;
    readout.textContent = text;
    slider.setAttribute("aria-valuetext", `step ${k}`);
    moveCanvas.setAttribute("aria-label", `Size of each weight's step, as a multiple of the learning rate, over ${n} steps. ${text}`);
    rateCanvas.setAttribute("aria-label", `Each weight's effective learning rate over ${n} steps. ${text}`);
    w.figure.dataset.corrected = String(corrected);
    w.figure.dataset.step = String(k);
  }
  return draw;
}
