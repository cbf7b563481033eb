// The search page (templates/search.html): Pagefind's index reader, loaded from the site's
// own pagefind/ folder, answers as the reader types. No request leaves the site.

const siteRoot = new URL("../../", import.meta.url);

// The section of a lesson where the words weigh most: Pagefind splits each page at its
// headings (sub_results, each with the heading's anchor); a result links there, not to the
// top of the lesson, with that section's excerpt.
function bestSection(data) {
  const weight = (sub) => (sub.weighted_locations || []).reduce((sum, l) => sum + (l.balanced_score ?? l.weight ?? 1), 0);
  const sections = (data.sub_results || []).filter((sub) => sub.url);
  if (!sections.length) return { url: data.url, title: "", excerpt: data.excerpt };
  const best = sections.reduce((a, b) => (weight(b) > weight(a) ? b : a));
  return { url: best.url, title: best.anchor ? best.title : "", excerpt: best.excerpt || data.excerpt };
}

function resultItem(data) {
  const section = bestSection(data);
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = section.url;
  link.textContent = data.meta?.title || data.url;
  item.append(link);
  if (section.title) {
    const where = document.createElement("span");
    where.className = "search-section";
    where.textContent = ` › ${section.title}`;
    link.append(where);
  }
  const excerpt = document.createElement("p");
  // Pagefind escapes the page text and marks the matches with <mark>.
  excerpt.innerHTML = section.excerpt;
  item.append(excerpt);
  return item;
}

// Pagefind answers an unknown word with the longest prefix of it that it has indexed, so
// "photosynthesis" would find a lone "p" from an equation. A result is kept only if a word
// it marks shares its first four letters (all of them, for a shorter word) with the query.
function closeMatch(query, excerpt) {
  const asked = query.toLowerCase().split(/\s+/).filter(Boolean);
  const marked = [...excerpt.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => m[1].toLowerCase());
  return asked.some((word) => {
    const head = word.slice(0, Math.min(4, word.length));
    return marked.some((mark) => mark.startsWith(head));
  });
}

export async function setUpSearch() {
  const form = document.querySelector(".search-form");
  const input = form.querySelector("input");
  const status = document.querySelector(".search-status");
  const list = document.querySelector(".search-results");
  const pagefind = await import(new URL("pagefind/pagefind.js", siteRoot).href);
  // Result URLs are relative to the site's root, wherever it is served from.
  // Lessons are long by nature: a page's length discounts its matches less than Pagefind's
  // default does, and repeated words count for more, so the lesson about a subject ranks
  // above one that mentions it (headings and titles weigh more through data-pagefind-weight).
  await pagefind.options({ baseUrl: siteRoot.pathname, ranking: { pageLength: 0.2, termSaturation: 2.0 } });
  pagefind.init();
  form.hidden = false;
  form.addEventListener("submit", (event) => event.preventDefault());
  let latest = 0;
  const run = async () => {
    const query = input.value.trim();
    const asked = ++latest;
    if (!query) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    const search = await pagefind.debouncedSearch(query, {}, 200);
    if (search === null || asked !== latest) return;  // a newer query replaced this one
    const loaded = await Promise.all(search.results.slice(0, 10).map((r) => r.data()));
    if (asked !== latest) return;
    const found = loaded.filter((data) => closeMatch(query, data.excerpt) || closeMatch(query, bestSection(data).excerpt));
    list.replaceChildren(...found.map(resultItem));
    status.textContent = found.length === 0 ? `No lesson mentions “${query}”.`
      : `${found.length} lesson${found.length === 1 ? "" : "s"} found.`;
  };
  input.addEventListener("input", run);
  const asked = new URLSearchParams(location.search).get("q");
  if (asked) {
    input.value = asked;
    run();
  }
  document.body.dataset.searchReady = "true";
}
