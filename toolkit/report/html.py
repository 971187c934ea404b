"""Markdown to one self-contained HTML file, for the subset of markdown the report writes.

Why a small converter instead of the ``markdown`` package: the report emits a fixed, small
set of constructs (below), so ~100 lines cover them exactly, tables included (``markdown``
needs its tables extension and its output would still need post-processing to inline
images); it keeps the dependency list unchanged and the output predictable in tests.

Supported: ``#``..``####`` headings (with ids for anchors), paragraphs, ``-`` bullet lists,
pipe tables (header row + ``|---|`` separator; ``\\|`` escapes a pipe in a cell), fenced code
blocks, images on their own line ``![alt](relative/path.png)`` (read from disk and inlined
as ``data:`` URIs), and inline ``code``, ``**bold**``, ``*italic*`` and ``[text](#anchor)``
links. Everything else is treated as text and HTML-escaped, so nothing in a segment name or
a rule can inject markup. Links to anything but an in-page anchor are rendered as plain text,
which keeps the file free of external references.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1080px;margin:2em auto;
padding:0 1.2em;color:#1a202c;line-height:1.45}
h1{border-bottom:2px solid #2b6cb0;padding-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #cbd5e0}
h3{margin-top:1.4em}table{border-collapse:collapse;margin:.8em 0;font-size:.88em}
th,td{border:1px solid #cbd5e0;padding:.3em .55em;vertical-align:top}th{background:#edf2f7;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr:nth-child(even) td{background:#f7fafc}
code{background:#edf2f7;padding:.05em .3em;border-radius:3px;font-size:.9em}
pre{background:#f7fafc;border:1px solid #e2e8f0;padding:.8em;overflow-x:auto;font-size:.82em}
pre code{background:none;padding:0}img{max-width:100%;height:auto;display:block;margin:.6em 0}
"""

_NUMERIC_CELL = re.compile(r"^[\s+\-−]?[$]?[\d.,]+\s*(%|x|×|s|min)?$")
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_IMAGE_LINE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)\s*$")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def slug(text: str) -> str:
    """The anchor id of a heading: lower case, words joined by '-' (GitHub's style)."""
    s = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    return re.sub(r"[\s]+", "-", s)


def inline(text: str) -> str:
    """Escape ``text`` and render the inline constructs (code spans are left verbatim)."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if len(part) >= 2 and part.startswith("`") and part.endswith("`"):
            out.append(f"<code>{html.escape(part[1:-1], quote=False)}</code>")
            continue
        s = html.escape(part, quote=False)
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", s)

        def link(m: re.Match) -> str:
            label, target = m.group(1), m.group(2)
            if target.startswith("#"):
                return f'<a href="{html.escape(target, quote=True)}">{label}</a>'
            return f"{label} ({target})"

        s = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", link, s)
        out.append(s)
    return "".join(out)


def split_row(line: str) -> list[str]:
    """Cells of a pipe-table row; ``\\|`` is a literal pipe inside a cell."""
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = re.split(r"(?<!\\)\|", line)
    return [c.strip().replace("\\|", "|") for c in cells]


def _image(alt: str, src: str, base_dir: Path | None) -> str:
    path = (base_dir / src) if base_dir is not None else Path(src)
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return f"<p>[image not found: {html.escape(src)}]</p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt, quote=True)}" src="data:{mime};base64,{data}">'


def markdown_to_html(text: str, *, title: str = "Report", base_dir: Path | None = None) -> str:
    """A complete HTML document for ``text`` (see the module docstring for what is supported).

    Images are read relative to ``base_dir`` and inlined, so the file needs nothing beside it.
    """
    lines = text.splitlines()
    body: list[str] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            body.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            flush()
            i += 1
            continue
        if stripped.startswith("```"):
            flush()
            lang = stripped[3:].strip()
            j = i + 1
            code: list[str] = []
            while j < len(lines) and not lines[j].strip().startswith("```"):
                code.append(lines[j])
                j += 1
            cls = f' class="language-{html.escape(lang, quote=True)}"' if lang else ""
            body.append(f"<pre><code{cls}>{html.escape(chr(10).join(code), quote=False)}</code></pre>")
            i = j + 1
            continue
        m = _HEADING.match(stripped)
        if m:
            flush()
            level, content = len(m.group(1)), m.group(2).strip()
            body.append(f'<h{level} id="{slug(content)}">{inline(content)}</h{level}>')
            i += 1
            continue
        m = _IMAGE_LINE.match(stripped)
        if m:
            flush()
            body.append(_image(m.group(1), m.group(2), base_dir))
            i += 1
            continue
        if stripped.startswith("|") and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1].strip()):
            flush()
            header = split_row(stripped)
            rows = []
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                rows.append(split_row(lines[j]))
                j += 1
            out = ["<table>", "<thead><tr>" + "".join(f"<th>{inline(h)}</th>" for h in header) + "</tr></thead>",
                   "<tbody>"]
            for row in rows:
                cells = []
                for c in row:
                    cls = ' class="num"' if _NUMERIC_CELL.match(c) else ""
                    cells.append(f"<td{cls}>{inline(c)}</td>")
                out.append("<tr>" + "".join(cells) + "</tr>")
            out.append("</tbody></table>")
            body.append("\n".join(out))
            i = j
            continue
        if stripped.startswith("- "):
            flush()
            items = []
            j = i
            while j < len(lines) and lines[j].strip().startswith("- "):
                item = lines[j].strip()[2:]
                j += 1
                # continuation lines: indented, non-empty, not a new item
                while j < len(lines) and lines[j].startswith("  ") and lines[j].strip() \
                        and not lines[j].strip().startswith("- "):
                    item += " " + lines[j].strip()
                    j += 1
                items.append(f"<li>{inline(item)}</li>")
            body.append("<ul>\n" + "\n".join(items) + "\n</ul>")
            i = j
            continue
        para.append(stripped)
        i += 1
    flush()
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
