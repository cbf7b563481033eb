// The weights of one run on the (w1, w2) plane; a slider (or Play) picks the step.
export function mount(w) {
  const { Plot, formatLoss } = w.chart;
  const data = w.data;
  const last = data.step.length - 1;
  w.element.innerHTML = `<canvas class="step-path-canvas" role="img" width="640" height="320"></canvas>
    <ul class="legend"><li><span class="swatch" data-token="train"></span>weights of run ${data.run}</li>
      <li><span class="swatch" data-token="highlight"></span>the step shown</li></ul>
    <div class="widget-controls">
      <button type="button" class="play">Play</button>
      <label for="${w.id}-step">Step</label>
      <input id="${w.id}-step" type="range" min="0" max="${last}" step="1" value="${last}">
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;
  const canvas = w.element.querySelector("canvas");
  const slider = w.element.querySelector("input");
  const readout = w.element.querySelector(".widget-readout");
  const w1 = data.w.map((p) => p[0]);
  const w2 = data.w.map((p) => p[1]);
  const plot = new Plot(canvas, {
    x: [Math.min(...w1, 0) - 0.2, Math.max(...w1, 0) + 0.2],
    y: [Math.min(...w2, 0) - 0.2, Math.max(...w2, 0) + 0.2],
    xLabel: "w1", yLabel: "w2",
  });
  w.player(w.element.querySelector(".play"), slider, 150);

  function draw(colors) {
    const i = Number(slider.value);
    plot.begin(colors);
    plot.line(w1.slice(0, i + 1), w2.slice(0, i + 1), colors.train);
    plot.points([w1[i]], [w2[i]], colors.highlight, { radius: 5 });
    plot.end();
    readout.textContent = `Step ${data.step[i]}: w = (${w1[i].toFixed(3)}, ${w2[i].toFixed(3)}), ` +
      `loss ${formatLoss(data.loss[i])}.`;
    // A canvas with role="img" needs a name: say what it shows now.
    canvas.setAttribute("aria-label", `The weights of run ${data.run} on the (w1, w2) plane, up to step ${data.step[i]}.`);
    w.figure.dataset.step = String(data.step[i]);
  }
  return draw;
}
