// Theme-aware videos (templates/partials/video.html). Each <video data-src-light data-src-dark>
// comes with no src: we set the one for the current theme, so only that file is fetched, and
// on a theme change swap to the other, keeping the position and whether it was playing.
// We never start playback ourselves (and never loop), which also respects
// prefers-reduced-motion: motion starts only when the reader presses play.

const root = document.documentElement;

function currentTheme() {
  return root.dataset.theme === "dark" ? "dark" : "light";
}

function variant(element, kind, theme) {
  // data-src-light -> dataset.srcLight, data-poster-dark -> dataset.posterDark
  return element.dataset[kind + (theme === "dark" ? "Dark" : "Light")];
}

// Position to restore once the new file's metadata arrives. Kept per video so that two quick
// theme changes in a row restore the reader's position, not the half-loaded file's 0.
const resume = new WeakMap();

function show(video, theme) {
  if (video.dataset.theme === theme) return;
  const first = !video.dataset.theme;
  if (!first && !resume.has(video) && video.currentTime > 0) {
    resume.set(video, { time: video.currentTime, playing: !video.paused && !video.ended });
  }
  video.dataset.theme = theme;
  video.poster = variant(video, "poster", theme);
  const track = video.querySelector("track[data-src-light]");
  if (track && track.getAttribute("src") !== variant(track, "src", theme)) {
    track.src = variant(track, "src", theme);
  }
  video.src = variant(video, "src", theme);  // starts loading only this file
}

function restorePosition(video) {
  const state = resume.get(video);
  if (!state) return;
  resume.delete(video);
  video.currentTime = Math.min(state.time, video.duration || state.time);
  if (state.playing) {
    video.play().catch(() => { /* the browser refused; the reader can press play */ });
  }
}

export function setUpVideos() {
  const videos = [...document.querySelectorAll("video[data-src-light][data-src-dark]")];
  for (const video of videos) {
    video.loop = false;
    video.autoplay = false;
    video.addEventListener("loadedmetadata", () => restorePosition(video));
    show(video, currentTheme());
  }
  document.addEventListener("themechange", (event) => {
    const theme = event.detail?.theme === "dark" ? "dark" : event.detail?.theme === "light" ? "light" : currentTheme();
    for (const video of videos) show(video, theme);
  });
}
