// Four ways a first physics-informed network fails: choose the setting that was changed
// and compare that run's curve with the working run's and the exact solution.

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const uid = w.id;
  const works = data.works;
  const radios = data.fails.map((fail, i) => `<label><input type="radio" name="${uid}-setting" value="${i}"
    ${i === 0 ? "checked" : ""}> ${fail.setting}</label>`).join("");

  w.element.innerHTML = `
    <fieldset class="widget-controls failure-choice"><legend>Changed setting</legend>${radios}</fieldset>
    <canvas class="failure-canvas" role="img" width="640" height="300"></canvas>
    <ul class="legend">
      <li><span class="swatch" data-token="validation"></span>fails</li>
      <li><span class="swatch" data-token="model"></span>works</li>
      <li><span class="swatch" data-token="truth"></span>exact solution</li>
    </ul>
    <p class="widget-readout" aria-live="polite"></p>`;

  const canvas = w.element.querySelector(".failure-canvas");
  const readout = w.element.querySelector(".widget-readout");
  const plot = new Plot(canvas, { x: [0, 1], y: [-1.5, 1.5], xLabel: "t", yLabel: "u(t)" });
  const chosen = () => Number(w.element.querySelector("input[type=radio]:checked").value);

  function draw(colors) {
    const fail = data.fails[chosen()];
    plot.begin(colors);
    plot.line(data.grid, data.truth, colors.truth, { width: 1.5, dash: [6, 4] });
    plot.line(data.grid, works.prediction, colors.model, { width: 2 });
    plot.line(data.grid, fail.prediction, colors.validation, { width: 2.5 });
    plot.end();
    const flat = fail.variance_ratio < 0.01 ? " A flat line." : "";
    const text = `${fail.setting}: largest error ${fail.max_error.toFixed(2)}, output variance ` +
      `${fail.variance_ratio.toPrecision(2)} times the solution's.${flat} The working run (${works.setting}): ` +
      `largest error ${works.max_error.toFixed(4)}.`;
    readout.textContent = text;
    canvas.setAttribute("aria-label", text);
    w.figure.dataset.setting = fail.run;
  }

  for (const input of w.element.querySelectorAll("input[type=radio]")) input.addEventListener("change", w.redraw);
  return draw;
}
