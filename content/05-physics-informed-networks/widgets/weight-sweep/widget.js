// The weight λ on the physics term: slide through the recorded sweep and see the trained
// curve for each value, and where that value sits on the error-against-λ chart.

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const uid = w.id;
  const sweep = data.sweep;
  const last = sweep.length - 1;
  const start = Math.max(0, sweep.findIndex((s) => s.weight === 1));

  w.element.innerHTML = `
    <div class="widget-controls">
      <label for="${uid}-lambda">λ</label>
      <input id="${uid}-lambda" class="lambda-slider" type="range" min="0" max="${last}" step="1" value="${start}">
      <output class="lambda-value" for="${uid}-lambda"></output>
    </div>
    <div class="widget-panels">
      <div>
        <canvas class="fit-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="model"></span>network</li>
          <li><span class="swatch" data-token="truth"></span>exact solution</li>
          <li><span class="swatch" data-token="train"></span>measurements</li>
        </ul>
      </div>
      <div>
        <canvas class="error-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="validation"></span>RMS error outside the window</li>
          <li><span class="swatch" data-token="train"></span>inside it</li>
          <li><span class="swatch" data-token="highlight"></span>this λ</li>
        </ul>
      </div>
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const slider = w.element.querySelector(".lambda-slider");
  const value = w.element.querySelector(".lambda-value");
  const readout = w.element.querySelector(".widget-readout");
  const fitCanvas = w.element.querySelector(".fit-canvas");
  const errorCanvas = w.element.querySelector(".error-canvas");
  const weights = sweep.map((s) => s.weight);
  const outsideErrors = sweep.map((s) => s.rms_outside);
  const insideErrors = sweep.map((s) => s.rms_inside);
  const errors = [...outsideErrors, ...insideErrors];
  const fitPlot = new Plot(fitCanvas, { x: [0, 1], y: [-2, 2], xLabel: "t", yLabel: "u(t)" });
  const errorPlot = new Plot(errorCanvas, {
    x: [1, 1], y: [10 ** Math.floor(Math.log10(Math.min(...errors))), 10 ** Math.ceil(Math.log10(Math.max(...errors)))],
    xLabel: "log₁₀ λ", yLabel: "RMS error (log)", yLog: true,
  });
  // The chart's x is log10(λ), drawn on a plain axis.
  const logWeights = weights.map((v) => Math.log10(v));
  errorPlot.x = [logWeights[0] - 0.3, logWeights[last] + 0.3];

  function draw(colors) {
    const i = Number(slider.value);
    const s = sweep[i];
    fitPlot.begin(colors);
    const ctx = fitPlot.ctx;
    ctx.fillStyle = colors.surface;
    ctx.fillRect(fitPlot.px(0), fitPlot.py(2), fitPlot.px(data.data_end) - fitPlot.px(0), fitPlot.py(-2) - fitPlot.py(2));
    fitPlot.line(data.grid, data.truth, colors.truth, { width: 1.5, dash: [6, 4] });
    fitPlot.points(data.observations.t, data.observations.u, colors.train, { radius: 3 });
    fitPlot.line(data.grid, s.prediction, colors.model, { width: 2.5 });
    fitPlot.end();

    errorPlot.begin(colors);
    errorPlot.line(logWeights, outsideErrors, colors.validation);
    errorPlot.points(logWeights, outsideErrors, colors.validation);
    errorPlot.line(logWeights, insideErrors, colors.train);
    errorPlot.points(logWeights, insideErrors, colors.train, { filled: false });
    errorPlot.vline(logWeights[i], colors.highlight, { width: 2 });
    errorPlot.end();

    value.textContent = `${s.weight}`;
    const text = `λ = ${s.weight}: RMS error ${s.rms_inside.toFixed(4)} inside the data window and ` +
      `${s.rms_outside.toFixed(4)} outside it.`;
    readout.textContent = text;
    slider.setAttribute("aria-valuetext", `λ = ${s.weight}`);
    fitCanvas.setAttribute("aria-label", `The network trained with λ = ${s.weight}, over the measurements.`);
    errorCanvas.setAttribute("aria-label", `RMS error against λ from ${weights[0]} to ${weights[last]}, ` +
      `log scales; the marker is at λ = ${s.weight}.`);
    w.figure.dataset.weight = String(s.weight);
  }

  slider.addEventListener("input", w.redraw);
  return draw;
}
