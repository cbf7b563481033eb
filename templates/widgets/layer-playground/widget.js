// The layer playground: one neuron's forward pass. z = w·x + b, then an activation.
// Everything is computed here from the sliders; the JSON only sets ranges and which
// activations to offer. Mounted by static/js/mount.js, which hands it `w` (see there).

// How to compute and label each activation the JSON may name.
const ACTIVATIONS = {
  identity: { label: "identity", f: (z) => z, y: [-8, 8] },
  relu: { label: "ReLU", f: (z) => Math.max(0, z), y: [-1, 8] },
  sigmoid: { label: "sigmoid", f: (z) => 1 / (1 + Math.exp(-z)), y: [-0.1, 1.1] },
  tanh: { label: "tanh", f: (z) => Math.tanh(z), y: [-1.1, 1.1] },
};

const fixed = (v) => (Object.is(v, -0) ? 0 : v).toFixed(4);

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const container = w.element;
  const uid = w.id;
  const figure = w.figure;
  const names = data.activations;
  const unknown = names.filter((name) => !(name in ACTIVATIONS));
  if (unknown.length) throw new Error(`no formula for activation ${unknown.join(", ")}`);
  const sliders = Object.entries(data.sliders).map(([name, s]) => {
    return `<label for="${uid}-${name}">${name}</label>
      <input id="${uid}-${name}" class="${name}-slider" data-name="${name}" type="range"
        min="${s.min}" max="${s.max}" step="${s.step}" value="${s.value}">`;
  }).join("");
  const radios = names.map((name) => `<label><input type="radio" name="${uid}-activation" value="${name}"
    ${name === data.activation ? "checked" : ""}> ${ACTIVATIONS[name].label}</label>`).join("");

  container.innerHTML = `
    <canvas class="activation-canvas" role="img" width="640" height="320"></canvas>
    <ul class="legend">
      <li><span class="swatch" data-token="model"></span>activation f(z)</li>
      <li><span class="swatch" data-token="highlight"></span>this neuron: (z, f(z))</li>
    </ul>
    <div class="widget-controls">${sliders}</div>
    <fieldset class="widget-controls activation-choice">
      <legend>Activation</legend>${radios}
    </fieldset>
    <p class="widget-readout layer-equation" aria-live="polite"></p>`;

  const canvas = container.querySelector(".activation-canvas");
  // A wide, short canvas: set from script, since the page's policy forbids inline styles.
  Object.assign(canvas.style, { width: "100%", height: "auto", aspectRatio: "2 / 1", display: "block" });
  const inputs = [...container.querySelectorAll("input[type=range]")];
  const readout = container.querySelector(".layer-equation");
  const plot = new Plot(canvas, { x: data.z_range, y: [-1, 1], xLabel: "z = w·x + b", yLabel: "output" });

  function state() {
    const [x, weight, b] = inputs.map((input) => Number(input.value));
    const name = container.querySelector("input[type=radio]:checked")?.value || names[0];
    const z = weight * x + b;
    return { x, weight, b, name, z, out: ACTIVATIONS[name].f(z) };
  }

  function draw(colors) {
    const { x, weight, b, name, z, out } = state();
    const act = ACTIVATIONS[name];
    plot.y = act.y;
    plot.begin(colors);
    const zs = Array.from({ length: 161 }, (_, i) => data.z_range[0] + ((data.z_range[1] - data.z_range[0]) * i) / 160);
    plot.line(zs, zs.map(act.f), colors.model, { width: 2.5 });
    plot.vline(z, colors.highlight, { dash: [4, 3], width: 1 });
    plot.points([z], [out], colors.highlight, { radius: 6 });
    plot.label(z, out, `${act.label}(${z.toFixed(2)}) = ${out.toFixed(3)}`, colors.text,
      { align: z > 0 ? "right" : "left", dx: z > 0 ? -8 : 8 });
    plot.end();

    for (const input of inputs) {
      input.setAttribute("aria-valuetext", `${input.dataset.name} = ${Number(input.value)}`);
      input.previousElementSibling.textContent = `${input.dataset.name} = ${Number(input.value).toFixed(1)}`;
    }
    readout.textContent = `z = w·x + b = ${fixed(weight)} × ${fixed(x)} + ${fixed(b)} = ${fixed(z)};  ` +
      `output = ${act.label}(z) = ${fixed(out)}`;
    canvas.setAttribute("aria-label", `The ${act.label} activation for z from ${data.z_range[0]} to ` +
      `${data.z_range[1]}, with the point z = ${fixed(z)}, output ${fixed(out)} marked.`);
    // Exact values for tests and assistive tools: the page's numbers, unrounded.
    Object.assign(figure.dataset, { x, w: weight, b, activation: name, z, output: out });
  }

  for (const input of inputs) input.addEventListener("input", w.redraw);
  for (const radio of container.querySelectorAll("input[type=radio]")) radio.addEventListener("change", w.redraw);
  return draw;
}
