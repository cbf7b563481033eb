"""What the series offers outside its pages: sitemap.xml, an Atom feed, social cards.

Input:  the Series, the site configuration (its absolute `site_url` and commit date) and
        each lesson's poster, already copied into the site folder.
Output: sitemap.xml and robots.txt naming it, feed.xml (one entry per lesson), and
        <lesson>/card.png: the lesson's poster cut to the 1200x630 shape link previews use.
        Search engines and feed readers need absolute URLs: without `site_url` none of
        these files is written.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

CARD_NAME = "card.png"
CARD_SIZE = (1200, 630)


def write_feeds(site: Path, series, config, thumbnails: dict[str, dict[str, str]]) -> None:
    if not config.site_url:
        return
    base = config.site_url
    updated = config.commit_date or "1970-01-01T00:00:00+00:00"
    urls = [base, *[f"{base}{lesson.slug}/" for lesson in series.lessons]]
    (site / "sitemap.xml").write_text(sitemap(urls, updated[:10]), encoding="utf-8")
    (site / "robots.txt").write_text(f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n", encoding="utf-8")
    (site / "feed.xml").write_text(atom(series, base, updated), encoding="utf-8")
    for lesson in series.lessons:
        if lesson.number in thumbnails:
            social_card(site / thumbnails[lesson.number]["light"], site / lesson.slug / CARD_NAME)


def sitemap(urls: list[str], lastmod: str) -> str:
    entries = "".join(f"  <url><loc>{escape(u)}</loc><lastmod>{lastmod}</lastmod></url>\n" for u in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n")


def atom(series, base: str, updated: str) -> str:
    """One entry per published lesson; dates are the build commit's, so a rebuild of the
    same commit writes the same feed."""
    entries = []
    for lesson in series.lessons:
        url = f"{base}{lesson.slug}/"
        entries.append(
            "  <entry>\n"
            f"    <title>{escape(lesson.number + ' · ' + lesson.title)}</title>\n"
            f"    <link rel=\"alternate\" type=\"text/html\" href={quoteattr(url)}/>\n"
            f"    <id>{escape(url)}</id>\n"
            f"    <updated>{updated}</updated>\n"
            f"    <summary>{escape(lesson.meta['summary'])}</summary>\n"
            "  </entry>\n")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f"  <title>{escape(series.title)}</title>\n"
            f"  <subtitle>{escape(series.tagline)}</subtitle>\n"
            f"  <link rel=\"alternate\" type=\"text/html\" href={quoteattr(base)}/>\n"
            f"  <link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(base + 'feed.xml')}/>\n"
            f"  <id>{escape(base)}</id>\n"
            f"  <updated>{updated}</updated>\n"
            f"  <author><name>{escape(series.title)}</name></author>\n"
            + "".join(entries) + "</feed>\n")


def social_card(poster: Path, target: Path) -> None:
    """The poster scaled to cover 1200x630 and cut at its centre, as a PNG (previews
    rarely accept WebP)."""
    from PIL import Image

    with Image.open(poster) as image:
        image = image.convert("RGB")
        width, height = CARD_SIZE
        scale = max(width / image.width, height / image.height)
        resized = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        left, top = (resized.width - width) // 2, (resized.height - height) // 2
        card = resized.crop((left, top, left + width, top + height))
        target.parent.mkdir(parents=True, exist_ok=True)
        card.save(target, "PNG", optimize=True)
