// Learning the damping ζ: step through training (or press Play) and follow the estimate
// from its starting guess to the true value, beside the network's curve at that step.

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const uid = w.id;
  const last = data.snapshot_steps.length - 1;
  const finalStep = data.step[data.step.length - 1];

  w.element.innerHTML = `
    <div class="widget-panels">
      <div>
        <canvas class="zeta-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="model"></span>estimate of ζ</li>
          <li><span class="swatch" data-token="truth"></span>true ζ</li>
          <li><span class="swatch" data-token="highlight"></span>this step</li>
        </ul>
      </div>
      <div>
        <canvas class="fit-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="model"></span>network</li>
          <li><span class="swatch" data-token="truth"></span>exact solution</li>
          <li><span class="swatch" data-token="train"></span>measurements</li>
        </ul>
      </div>
    </div>
    <div class="widget-controls">
      <button type="button" class="widget-button play">Play</button>
      <label for="${uid}-step">Training step</label>
      <input id="${uid}-step" class="step-slider" type="range" min="0" max="${last}" step="1" value="${last}">
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const slider = w.element.querySelector(".step-slider");
  const readout = w.element.querySelector(".widget-readout");
  const zetaCanvas = w.element.querySelector(".zeta-canvas");
  const fitCanvas = w.element.querySelector(".fit-canvas");
  const zetaTop = Math.ceil(Math.max(...data.zeta, data.zeta_true) * 20) / 20;
  const zetaPlot = new Plot(zetaCanvas, {
    x: [0, finalStep], y: [0, zetaTop], xLabel: "training step (log scale)", yLabel: "ζ", xLogEpoch: true,
  });
  const fitPlot = new Plot(fitCanvas, { x: [0, 1], y: [-1.5, 1.5], xLabel: "t", yLabel: "u(t)" });

  // ζ at a step: the logged value at or just before it.
  function zetaAt(step) {
    let k = 0;
    while (k + 1 < data.step.length && data.step[k + 1] <= step) k += 1;
    return data.zeta[k];
  }

  function draw(colors) {
    const i = Number(slider.value);
    const step = data.snapshot_steps[i];
    const zeta = zetaAt(step);
    zetaPlot.begin(colors);
    zetaPlot.line([0, finalStep], [data.zeta_true, data.zeta_true], colors.truth, { width: 1.5, dash: [6, 4] });
    zetaPlot.line(data.step, data.zeta, colors.model, { width: 2.5 });
    zetaPlot.vline(step, colors.highlight, { width: 1.5 });
    zetaPlot.points([step], [zeta], colors.highlight, { radius: 4.5 });
    zetaPlot.end();

    fitPlot.begin(colors);
    fitPlot.line(data.grid, data.truth, colors.truth, { width: 1.5, dash: [6, 4] });
    fitPlot.points(data.observations.t, data.observations.u, colors.train, { radius: 2.5 });
    fitPlot.line(data.grid, data.prediction[i], colors.model, { width: 2.5 });
    fitPlot.end();

    const off = (100 * Math.abs(zeta - data.zeta_true)) / data.zeta_true;
    const text = `Step ${step.toLocaleString("en")}: ζ = ${zeta.toFixed(4)}, ${off.toFixed(1)}% from the true ` +
      `${data.zeta_true}.`;
    readout.textContent = text;
    slider.setAttribute("aria-valuetext", `step ${step}`);
    zetaCanvas.setAttribute("aria-label", `The estimate of ζ over ${finalStep} steps, from ${data.zeta[0]} to ` +
      `${data.zeta[data.zeta.length - 1].toFixed(4)}; the true value is ${data.zeta_true}.`);
    fitCanvas.setAttribute("aria-label", `The network's curve at step ${step} over ` +
      `${data.observations.t.length} measurements.`);
    w.figure.dataset.step = String(step);
    w.figure.dataset.zeta = zeta.toFixed(5);
  }

  w.player(w.element.querySelector(".play"), slider, 80);
  return draw;
}
