// Site behaviour shared by every page: the theme toggle, copy buttons on code, and
// loading the widget mount helper (mount.js) on pages that have widgets. Plain ES modules, no framework.

const root = document.documentElement;
const systemDark = matchMedia("(prefers-color-scheme: dark)");

function storedTheme() {
  try { return localStorage.getItem("theme"); } catch { return null; }
}

function applyTheme(theme) {
  if (root.dataset.theme === theme) return;
  root.dataset.theme = theme;
  document.dispatchEvent(new CustomEvent("themechange", { detail: { theme } }));
}

function setUpThemeToggle() {
  const button = document.getElementById("theme-toggle");
  if (!button) return;
  // The switch reads "Dark", pressed or not; its knob (CSS, from data-theme) shows the same.
  const show = () => {
    const dark = root.dataset.theme === "dark";
    button.setAttribute("aria-pressed", String(dark));
    button.title = dark ? "Dark theme is on: switch to light" : "Light theme is on: switch to dark";
  };
  button.hidden = false;
  show();
  button.addEventListener("click", () => {
    const next = root.dataset.theme === "dark" ? "light" : "dark";
    try { localStorage.setItem("theme", next); } catch { /* private mode: not remembered */ }
    applyTheme(next);
    show();
  });
  // With no remembered choice, follow the system setting live.
  systemDark.addEventListener("change", (event) => {
    if (storedTheme() === "light" || storedTheme() === "dark") return;
    applyTheme(event.matches ? "dark" : "light");
    show();
  });
}

function setUpPrint() {
  // Printing shows each video's poster and transcript; the poster is lazy (never fetched on
  // screen), so it is asked for now.
  addEventListener("beforeprint", () => {
    for (const img of document.querySelectorAll("img.video-print, .widget-static img")) img.loading = "eager";
    for (const details of document.querySelectorAll("details.video-transcript")) details.open = true;
  });
}

function setUpCopyButtons() {
  // The button sits in a bar of its own above the code, so it never covers a line of it.
  for (const block of document.querySelectorAll(".highlight")) {
    const bar = document.createElement("div");
    bar.className = "code-bar";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy this code");
    button.addEventListener("click", async () => {
      // textContent: the alignment spaces phones hide are still copied.
      const text = block.querySelector("pre").textContent;
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
    // A code file's caption line has room for it; a bare block gets a bar of its own.
    const caption = block.closest("figure.code-snippet")?.querySelector("figcaption");
    if (caption) {
      const text = document.createElement("span");
      text.append(...caption.childNodes);
      caption.append(text, button);
    } else {
      bar.append(button);
      block.prepend(bar);
    }
  }
}

function setUpThumbnails() {
  // The <picture> follows the system setting by itself; only a toggled theme that differs
  // from it needs the dark source forced on or off.
  const match = () => {
    for (const source of document.querySelectorAll("source.thumb-dark")) {
      source.media = root.dataset.theme === "dark" ? "all" : "not all";
    }
  };
  if ((root.dataset.theme === "dark") !== systemDark.matches) match();
  document.addEventListener("themechange", match);
}

function setUpWideEquations() {
  // A display equation wider than its box scrolls; a keyboard user reaches it with Tab and
  // scrolls it with the arrow keys. One that fits is no tab stop. Checked again on resize.
  const boxes = [...document.querySelectorAll(".math-display")];
  if (!boxes.length) return;
  const check = () => {
    for (const box of boxes) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        box.setAttribute("role", "group");
        box.setAttribute("aria-label", "Equation, scrolls sideways");
      } else if (box.hasAttribute("tabindex")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  };
  // The observer reports each box's first size once the page is laid out: no layout is
  // forced while the page loads.
  const resized = new ResizeObserver(check);
  for (const box of boxes) resized.observe(box);
}

function mountWidgets() {
  // The mount helper (and the chart code it brings) is fetched only once a widget comes
  // within half a screen of the viewport; mount.js then mounts each widget as it nears.
  const figures = document.querySelectorAll("figure[data-widget]");
  if (!figures.length) return;
  const near = new IntersectionObserver(async (entries) => {
    if (!entries.some((entry) => entry.isIntersecting)) return;
    near.disconnect();
    const module = await import(new URL("mount.js", import.meta.url).href);
    module.mountWidgets();
  }, { rootMargin: "50% 0px" });
  for (const figure of figures) near.observe(figure);
}

async function mountSearch() {
  if (!document.querySelector(".search-form")) return;
  const module = await import(new URL("search.js", import.meta.url).href);
  module.setUpSearch();
}

async function mountVideos() {
  if (!document.querySelector("[data-video]")) return;
  const module = await import(new URL("video.js", import.meta.url).href);
  module.setUpVideos?.();
}

setUpThemeToggle();
setUpCopyButtons();
setUpThumbnails();
setUpPrint();
setUpWideEquations();
mountWidgets();
mountVideos();
mountSearch();
