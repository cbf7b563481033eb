// Mounts every widget on the page. A widget is a folder with its own widget.js (an ES
// module); this file does what all of them share, so a widget.js holds only what is
// particular to it.
//
// For each <figure data-widget data-src data-module> it loads the JSON and the module,
// then calls the module's `mount(w)` with one handle `w`:
//   w.data      the widget's JSON (only fields its widget.py declares in DATA)
//   w.element   the empty <div> to build the widget in
//   w.figure    the <figure>: its id is unique on the page, its dataset is free to use
//   w.id        that id, to prefix the ids of the widget's own controls
//   w.chart     the canvas plotting helpers of chart.js (Plot, formatLoss, formatNumber, ...)
//   w.colors()  the current theme's palette: token -> colour, read from the page's CSS
//   w.redraw()  repaints the legend swatches and calls the widget's draw(colors)
//   w.player(button, slider, ms)  a play/pause button stepping a range slider; returns { stop }
// `mount` returns its draw(colors) function (or { draw }). The helper calls it once
// mounted, on every theme change and whenever the widget's size changes.
import * as chart from "./chart.js";

// Palette token names come from the page's own style sheets (every --name set on :root),
// so no list of tokens is written here: a new colour in generator/theme.py just appears.
let tokenNames = null;

function paletteTokens() {
  if (tokenNames) return tokenNames;
  const names = new Set();
  const visit = (rules) => {
    for (const rule of rules) {
      if (rule.cssRules) visit(rule.cssRules);
      if (rule.style && rule.selectorText && rule.selectorText.includes(":root")) {
        for (const property of rule.style) if (property.startsWith("--")) names.add(property);
      }
    }
  };
  for (const sheet of document.styleSheets) {
    try { visit(sheet.cssRules); } catch { /* a sheet from elsewhere: not ours */ }
  }
  tokenNames = [...names];
  return tokenNames;
}

export function colors() {
  const style = getComputedStyle(document.documentElement);
  return Object.fromEntries(paletteTokens().map((name) => [name.slice(2).replaceAll("-", "_"),
    style.getPropertyValue(name).trim()]));
}

// Play/pause for a range slider: each tick moves it one notch and redraws; it stops at
// the end, and the reader dragging the slider stops it too. The button's text says what
// a press will do, so it carries no aria-pressed (that would announce the state twice).
function player(button, slider, redraw, intervalMs) {
  let timer = null;
  const atEnd = () => Number(slider.value) >= Number(slider.max);
  function stop() {
    clearInterval(timer);
    timer = null;
    button.textContent = "Play";
  }
  function play() {
    if (atEnd()) slider.value = slider.min;
    button.textContent = "Pause";
    timer = setInterval(() => {
      slider.value = String(Math.min(Number(slider.max), Number(slider.value) + 1));
      redraw();
      if (atEnd()) stop();
    }, intervalMs);
  }
  button.addEventListener("click", () => (timer ? stop() : play()));
  slider.addEventListener("input", () => { if (timer) stop(); redraw(); });
  return { stop };
}

// Long float arrays arrive packed (generator/export.py, pack): the differences between
// neighbouring values as integers in units of the last decimal. Summing them back gives
// exactly the numbers the widget's export() wrote, so a widget.js never sees the packing.
export function unpack(value) {
  if (Array.isArray(value)) return value.map(unpack);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value.$delta)) {
    const values = new Array(value.$delta.length);
    let total = 0;
    value.$delta.forEach((step, i) => { total += step; values[i] = total / value.scale; });
    if (value.rows === undefined) return values;
    const width = values.length / value.rows;
    return Array.from({ length: value.rows }, (_, row) => values.slice(row * width, (row + 1) * width));
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unpack(inner)]));
}

async function mountOne(figure) {
  const element = figure.querySelector(".widget-live");
  const [module, response] = await Promise.all([
    import(new URL(figure.dataset.module, document.baseURI).href),
    fetch(figure.dataset.src),
  ]);
  if (!response.ok) throw new Error(`${figure.dataset.src}: HTTP ${response.status}`);
  let draw = () => {};
  const w = {
    data: unpack(await response.json()),
    element,
    figure,
    id: figure.id,
    chart,
    colors,
    redraw() {
      const current = colors();
      for (const swatch of element.querySelectorAll(".swatch[data-token]")) {
        swatch.style.background = current[swatch.dataset.token];
      }
      draw(current);
    },
    player: (button, slider, intervalMs) => player(button, slider, () => w.redraw(), intervalMs),
  };
  const mounted = module.mount(w);
  draw = typeof mounted === "function" ? mounted : (mounted?.draw ?? draw);
  document.addEventListener("themechange", () => w.redraw());
  // One redraw per frame at most while the reader resizes the window. The observer also
  // reports the first size at once: that one is the first drawing below, not a second one.
  let pending = false, first = true;
  new ResizeObserver(() => {
    if (first) { first = false; return; }
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; w.redraw(); });
  }).observe(element);
  // The first drawing in a task of its own, after the page has laid the controls out: two
  // shorter tasks keep the page responsive while it loads.
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
  w.redraw();
  figure.dataset.ready = "true";
}

async function mountOrSayWhy(figure) {
  try {
    await mountOne(figure);
  } catch (error) {
    figure.dataset.ready = "failed";
    const note = document.createElement("p");
    note.textContent = "This interactive figure could not load; reload the page to try again.";
    figure.querySelector(".widget-live").append(note);
    console.error(`widget ${figure.dataset.widget}:`, error);
  }
}

// A widget's module and data are fetched, and it is drawn, only as it comes within half a
// screen of the viewport: opening the page costs nothing for the figures further down.
export function mountWidgets() {
  const near = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      near.unobserve(entry.target);
      mountOrSayWhy(entry.target);
    }
  }, { rootMargin: "50% 0px" });
  for (const figure of document.querySelectorAll("figure[data-widget]")) near.observe(figure);
}
