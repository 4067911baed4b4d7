// Answers as a small, safe subset of Markdown, built as DOM nodes: paragraphs, line
// breaks, headings, bullet and numbered lists, fenced and inline code, bold, italics,
// and citation chips. Every piece of model text becomes a text node; nothing is ever
// parsed as HTML, so "<script>" or "onerror=" in an answer shows as those characters.
"use strict";

(function () {
  const FENCE = /^\s{0,3}(```|~~~)/;
  const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
  const NUMBERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
  const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  // Alternatives, in order: `code`, **bold**, __bold__, *italics*, _italics_, [1] / [1, 2].
  const INLINE = new RegExp(
    [
      "`([^`\\n]+)`",
      "\\*\\*(?=\\S)([^\\n]*?\\S)\\*\\*",
      "(?<![\\w])__(?=\\S)([^\\n]*?\\S)__(?![\\w])",
      "\\*(?=[^\\s*])([^*\\n]*?[^\\s*])\\*",
      "(?<![\\w])_(?=[^\\s_])([^_\\n]*?[^\\s_])_(?![\\w])",
      "\\[\\s*(\\d{1,3}(?:\\s*,\\s*\\d{1,3})*)\\s*\\]",
    ].join("|"),
    "g"
  );

  function isBlockStart(line) {
    return FENCE.test(line) || HEADING.test(line) || BULLET.test(line) || NUMBERED.test(line);
  }

  // Text split into blocks: {type: "p"|"heading"|"code"|"ul"|"ol", ...}.
  function parseBlocks(source) {
    const lines = source.replace(/\r\n?/g, "\n").split("\n");
    const blocks = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (!line.trim()) { i += 1; continue; }
      const fence = FENCE.exec(line);
      if (fence) {
        const body = [];
        i += 1;
        while (i < lines.length && !lines[i].trim().startsWith(fence[1])) { body.push(lines[i]); i += 1; }
        i += 1; // the closing fence (or the end of an answer still streaming)
        blocks.push({ type: "code", text: body.join("\n") });
        continue;
      }
      const heading = HEADING.exec(line);
      if (heading) {
        blocks.push({ type: "heading", level: heading[1].length, text: heading[2] });
        i += 1;
        continue;
      }
      if (BULLET.test(line) || NUMBERED.test(line)) {
        const ordered = !BULLET.test(line);
        const pattern = ordered ? NUMBERED : BULLET;
        const items = [];
        const start = ordered ? parseInt(NUMBERED.exec(line)[1], 10) : 1;
        while (i < lines.length && lines[i].trim()) {
          const item = pattern.exec(lines[i]);
          if (item) items.push(ordered ? item[2] : item[1]);
          else if (items.length && /^\s+\S/.test(lines[i])) items[items.length - 1] += "\n" + lines[i].trim();
          else break;
          i += 1;
        }
        blocks.push({ type: ordered ? "ol" : "ul", items: items, start: start });
        continue;
      }
      const paragraph = [line];
      i += 1;
      while (i < lines.length && lines[i].trim() && !isBlockStart(lines[i])) { paragraph.push(lines[i]); i += 1; }
      blocks.push({ type: "p", text: paragraph.join("\n") });
    }
    return blocks;
  }

  function appendText(parent, value) {
    value.split("\n").forEach(function (part, index) {
      if (index) parent.append(document.createElement("br"));
      if (part) parent.append(document.createTextNode(part));
    });
  }

  // Inline markup of `value` into `parent`; chip(n) returns a node for a cited source or null.
  function renderInline(parent, value, chip) {
    const pattern = new RegExp(INLINE.source, "g");
    let position = 0;
    let match;
    while ((match = pattern.exec(value))) {
      let nodes = null;
      if (match[1] !== undefined) {
        const code = document.createElement("code");
        code.textContent = match[1];
        nodes = [code];
      } else if (match[2] !== undefined || match[3] !== undefined) {
        const strong = document.createElement("strong");
        renderInline(strong, match[2] !== undefined ? match[2] : match[3], chip);
        nodes = [strong];
      } else if (match[4] !== undefined || match[5] !== undefined) {
        const em = document.createElement("em");
        renderInline(em, match[4] !== undefined ? match[4] : match[5], chip);
        nodes = [em];
      } else if (match[6] !== undefined) {
        const chips = match[6].split(",").map(function (part) { return chip(parseInt(part, 10)); });
        // A marker of a number that was not cited stays as text.
        if (chips.every(Boolean)) nodes = chips;
      }
      if (!nodes) continue;
      appendText(parent, value.slice(position, match.index));
      nodes.forEach(function (node) { parent.append(node); });
      position = match.index + match[0].length;
    }
    appendText(parent, value.slice(position));
  }

  // Replace the children of `container` with `source` rendered as Markdown.
  function render(container, source, chip) {
    const makeChip = chip || function () { return null; };
    container.replaceChildren();
    parseBlocks(source || "").forEach(function (block) {
      let node;
      if (block.type === "code") {
        node = document.createElement("pre");
        const code = document.createElement("code");
        code.textContent = block.text;
        node.append(code);
      } else if (block.type === "ul" || block.type === "ol") {
        node = document.createElement(block.type);
        if (block.type === "ol" && block.start !== 1) node.start = block.start;
        block.items.forEach(function (item) {
          const li = document.createElement("li");
          renderInline(li, item, makeChip);
          node.append(li);
        });
      } else if (block.type === "heading") {
        // The answer sits under an h2: its headings start at h3.
        node = document.createElement("h" + Math.min(6, block.level + 2));
        renderInline(node, block.text, makeChip);
      } else {
        node = document.createElement("p");
        renderInline(node, block.text, makeChip);
      }
      container.append(node);
    });
  }

  window.EnclaveMarkdown = { render: render, parseBlocks: parseBlocks };
})();
