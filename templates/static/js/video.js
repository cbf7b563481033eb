// Theme-aware videos (templates/partials/video.html). Each <video data-src-light data-src-dark>
// comes with no src, poster or captions track: we set the ones for the current theme, so only
// those files are fetched, and on a theme change swap to the others, keeping the position and
// whether it was playing. Also: the chapter list seeks, the speed buttons set the rate.
// We never start playback ourselves (and never loop), which also respects
// prefers-reduced-motion: motion starts only when the reader presses play.
//
// Captions are drawn by the page, in the line under the video (.video-cue), following the
// track's cues: the browser's own caption box rises into the frame whenever the controls
// show and covers the figure. The track is rendered by the browser only in fullscreen.
// The player's captions button still works: turning captions off empties the line.

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
  // The poster is a full frame: fetched only once the video comes near the screen.
  if (video.dataset.near) video.poster = variant(video, "poster", theme);
  let track = video.querySelector("track");
  if (!track) {
    track = document.createElement("track");
    Object.assign(track, { kind: "captions", srclang: "en", label: "English", default: true });
    video.append(track);
  }
  track.src = variant(video, "captions", theme);
  keepCaptionsOffFrame(video);
  // A swap mid-video must load the new file's metadata to restore the position.
  if (resume.has(video)) video.preload = "metadata";
  video.src = variant(video, "src", theme);  // only this file; preload="none" waits for play
}

// "hidden": cues load and change without being drawn; "disabled": the reader turned them off.
const captionsOff = new WeakSet();

function inFullscreen(video) {
  return document.fullscreenElement === video || document.webkitFullscreenElement === video;
}

function keepCaptionsOffFrame(video) {
  const track = video.textTracks[0];
  if (!track) return;
  const wanted = captionsOff.has(video) ? "disabled" : inFullscreen(video) ? "showing" : "hidden";
  if (track.mode !== wanted) track.mode = wanted;
}

function showCue(video, line) {
  const track = video.textTracks[0];
  const cues = track && track.mode !== "disabled" ? [...(track.activeCues || [])] : [];
  line.textContent = cues.map((cue) => cue.text).join(" ");
}

function setUpCaptionLine(figure, video) {
  const line = figure.querySelector(".video-cue");
  if (!line) return;
  const update = () => showCue(video, line);
  video.textTracks.addEventListener("change", () => {
    const track = video.textTracks[0];
    if (!track) return;
    // The captions button asked for "showing" (on) or "disabled" (off); inline, "on" means our line.
    if (track.mode === "disabled") captionsOff.add(video);
    else if (track.mode === "showing" && !inFullscreen(video)) captionsOff.delete(video);
    keepCaptionsOffFrame(video);
    update();
  });
  video.textTracks.addEventListener("addtrack", (event) => {
    event.track.addEventListener("cuechange", update);
    keepCaptionsOffFrame(video);
  });
  for (const track of video.textTracks) track.addEventListener("cuechange", update);
  // The <track> is added once the video wakes; its load event does not bubble, so it is
  // caught on the way down.
  video.addEventListener("load", (event) => {
    if (event.target.localName === "track") { keepCaptionsOffFrame(video); update(); }
  }, true);
  video.addEventListener("seeked", update);
  for (const name of ["fullscreenchange", "webkitfullscreenchange"]) {
    document.addEventListener(name, () => keepCaptionsOffFrame(video));
  }
  keepCaptionsOffFrame(video);
}

// On a narrow screen a landscape film is small; playing it offers the whole screen, turned
// sideways where the browser allows it. Once per video, so a reader who leaves fullscreen
// can watch it in the page.
const narrowScreen = matchMedia("(max-width: 40rem) and (orientation: portrait)");

function offerFullscreen(figure, video) {
  const button = figure.querySelector(".video-fullscreen");
  if (!button || !(video.requestFullscreen || video.webkitEnterFullscreen)) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    wake(video);
    try {
      if (video.requestFullscreen) {
        await video.requestFullscreen({ navigationUI: "hide" });
        await screen.orientation?.lock?.("landscape").catch(() => { /* not allowed here: stays upright */ });
      } else {
        video.webkitEnterFullscreen();
      }
    } catch { /* refused: the video plays in the page */ }
    video.play().catch(() => { /* the browser refused; the reader can press play */ });
  });
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement) screen.orientation?.unlock?.();
  });
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

function seek(video, seconds) {
  wake(video);
  const go = () => {
    video.currentTime = seconds;
    video.play().catch(() => { /* the browser refused; the reader can press play */ });
  };
  if (video.readyState >= 1) go();
  else {
    video.addEventListener("loadedmetadata", go, { once: true });
    video.preload = "metadata";
    video.load();
  }
}

function setUpTools(figure, video) {
  for (const link of figure.querySelectorAll(".video-chapters a[data-start]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      seek(video, Number(link.dataset.start));
      video.focus();
    });
  }
  const speeds = [...figure.querySelectorAll(".video-speed button[data-rate]")];
  for (const button of speeds) {
    button.addEventListener("click", () => {
      wake(video);
      video.playbackRate = Number(button.dataset.rate);
    });
  }
  // The native controls can change the rate too: the buttons follow whatever set it.
  video.addEventListener("ratechange", () => {
    for (const b of speeds) b.setAttribute("aria-pressed", String(Number(b.dataset.rate) === video.playbackRate));
  });
  // Keep the chosen rate when a theme change loads the other file.
  video.addEventListener("loadedmetadata", () => {
    const chosen = speeds.find((b) => b.getAttribute("aria-pressed") === "true");
    if (chosen) video.playbackRate = Number(chosen.dataset.rate);
  });
}

// A video gets its file, poster and captions only as it comes near the screen (or is used):
// a player given a source at load makes the browser build and restyle its controls then,
// work that would hold up the page's first seconds for films far down the page.
function wake(video) {
  if (video.dataset.near) return;
  video.dataset.near = "true";
  show(video, currentTheme());  // with data-near set, this sets the poster too
}

const nearScreen = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    nearScreen.unobserve(entry.target);
    wake(entry.target);
  }
}, { rootMargin: "600px 0px" });

export function setUpVideos() {
  const videos = [...document.querySelectorAll("video[data-src-light][data-src-dark]")];
  for (const video of videos) {
    video.loop = false;
    video.autoplay = false;
    video.addEventListener("loadedmetadata", () => restorePosition(video));
    nearScreen.observe(video);
    for (const name of ["pointerdown", "focus", "keydown"]) video.addEventListener(name, () => wake(video));
    setUpTools(video.closest("figure"), video);
    setUpCaptionLine(video.closest("figure"), video);
    const print = video.closest("figure").querySelector("template.video-print-template");
    if (print) print.replaceWith(print.content.cloneNode(true));
    if (narrowScreen.matches) offerFullscreen(video.closest("figure"), video);
  }
  document.addEventListener("themechange", (event) => {
    const theme = event.detail?.theme === "dark" ? "dark" : event.detail?.theme === "light" ? "light" : currentTheme();
    for (const video of videos) if (video.dataset.near) show(video, theme);
  });
}
