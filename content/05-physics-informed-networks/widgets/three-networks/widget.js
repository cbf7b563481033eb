// Three networks of the same shape, trained on data, on physics and on both: step through
// their recorded snapshots (or press Play) and watch which of them learns what happens
// after the measurements end. The shaded band is the window that has data.

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const uid = w.id;
  const roles = [
    { key: "data", title: "data only", model: data.data },
    { key: "physics", title: "physics only", model: data.physics },
    { key: "hybrid", title: "data and physics", model: data.hybrid },
  ];
  const last = data.steps.length - 1;

  // The controls come first: on a phone the three panels stack, and the slider stays in view.
  w.element.innerHTML = `
    <div class="widget-controls">
      <button type="button" class="widget-button play">Play</button>
      <label for="${uid}-step">Training step</label>
      <input id="${uid}-step" class="step-slider" type="range" min="0" max="${last}" step="1" value="${last}">
    </div>
    <div class="three-networks-panels">
      ${roles.map((r) => `<div><p class="three-networks-title">${r.title}</p>
        <canvas class="net-canvas" data-role="${r.key}" role="img" width="300" height="240"></canvas></div>`).join("")}
    </div>
    <ul class="legend three-networks-legend">
      <li><span class="swatch" data-token="model"></span>network</li>
      <li><span class="swatch" data-token="truth"></span>exact solution</li>
      <li><span class="swatch" data-token="train"></span>measurements</li>
      <li><span class="swatch" data-token="surface"></span>window with data</li>
    </ul>
    <p class="widget-readout" aria-live="polite"></p>`;

  const slider = w.element.querySelector(".step-slider");
  const readout = w.element.querySelector(".widget-readout");
  const canvases = [...w.element.querySelectorAll(".net-canvas")];
  const plots = canvases.map((canvas) => new Plot(canvas, { x: [0, 1], y: [-2, 2], xLabel: "t", yLabel: "u(t)" }));
  const outside = data.grid.map((t) => t > data.data_end);

  function rmsOutside(prediction) {
    let sum = 0, count = 0;
    prediction.forEach((u, i) => { if (outside[i]) { sum += (u - data.truth[i]) ** 2; count += 1; } });
    return Math.sqrt(sum / count);
  }

  function shadeWindow(plot, colors) {
    const ctx = plot.ctx;
    ctx.fillStyle = colors.surface;
    ctx.fillRect(plot.px(0), plot.py(2), plot.px(data.data_end) - plot.px(0), plot.py(-2) - plot.py(2));
  }

  function draw(colors) {
    const i = Number(slider.value);
    const parts = [];
    roles.forEach((r, k) => {
      const plot = plots[k];
      const prediction = r.model.prediction[i];
      plot.begin(colors);
      shadeWindow(plot, colors);
      plot.line(data.grid, data.truth, colors.truth, { width: 1.5, dash: [6, 4] });
      if (r.key !== "physics") plot.points(data.observations.t, data.observations.u, colors.train, { radius: 3 });
      plot.line(data.grid, prediction, colors.model, { width: 2.5 });
      plot.end();
      const error = rmsOutside(prediction);
      parts.push(`${r.title} ${error.toFixed(3)}`);
      canvases[k].setAttribute("aria-label", `The network trained on ${r.title} at step ${data.steps[i]}: ` +
        `root-mean-square error ${error.toFixed(3)} after the data window.`);
    });
    const text = `Step ${data.steps[i].toLocaleString("en")} of ${data.steps[last].toLocaleString("en")}. ` +
      `RMS error after t = ${data.data_end}: ${parts.join(", ")}.`;
    readout.textContent = text;
    slider.setAttribute("aria-valuetext", `step ${data.steps[i]}`);
    w.figure.dataset.step = String(data.steps[i]);
  }

  w.player(w.element.querySelector(".play"), slider, 80);
  return draw;
}
