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
  const label = button.querySelector(".theme-toggle-label");
  const show = () => {
    const dark = root.dataset.theme === "dark";
    button.setAttribute("aria-pressed", String(dark));
    label.textContent = "Dark theme";
    button.title = dark ? "Switch to the light theme" : "Switch to the dark theme";
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

function setUpCopyButtons() {
  for (const block of document.querySelectorAll(".highlight")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy this code");
    button.addEventListener("click", async () => {
      const text = block.querySelector("pre").innerText;
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
    block.append(button);
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

async function mountWidgets() {
  if (!document.querySelector("figure[data-widget]")) return;
  const module = await import(new URL("mount.js", import.meta.url).href);
  await module.mountWidgets();
}

async function mountVideos() {
  if (!document.querySelector("[data-video]")) return;
  const module = await import(new URL("video.js", import.meta.url).href);
  module.setUpVideos?.();
}

setUpThemeToggle();
setUpCopyButtons();
setUpThumbnails();
mountWidgets();
mountVideos();
