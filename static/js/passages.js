/* Passages: a selection of words in a comment becomes the span a tag quotes, and tagged
   passages are marked in the shown text. Loaded by the queue and the moderated thread, the
   pages whose comments carry their body_text: one implementation for both. A selection made
   with the mouse, the keyboard (shift and the arrows) or on a touch screen counts.

     [data-text-offset]      a comment's shown body; data-text is its body_text exactly
     [data-row]              the comment around it
     form[data-action=tag]   its tag form: [data-span-start], [data-span-end],
                             [data-quoted-text] are filled here, [data-span-note] says so
     .tag[data-passage]      a current tag with a span: "start end" in characters
     .suggestion[data-passages]  words screening found: "start end;start end" (marked)
     [data-live]             where outcomes are announced (aria-live)

   DOM events shared with the other files (all bubble; see keys.js):
     moderation:passage  fired here on the [data-row] where a passage was just selected
                         (keys.js makes it the selected row, so a digit tags the passage).
     moderation:updated  listened to here: a row's tags may have changed, mark them again.
     moderation:cancel   listened to here (Esc in keys.js): forget the row's passage. */
(function () {
  "use strict";

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  function announce(text, isError = false) {
    const live = $("[data-live]");
    if (!live) return;
    live.classList.toggle("error", isError);
    live.textContent = "";
    // A fresh text node, so a repeated message is read out again.
    window.requestAnimationFrame(() => {
      live.textContent = text;
    });
  }

  // A comment's body shows its sanitized HTML and carries its body_text (data-text); the two
  // differ only in whitespace (paragraphs, line breaks, collapsed spaces), so the characters
  // that are not whitespace line up one to one. A selection in the shown text is mapped onto
  // body_text that way, and sent as offsets the server checks against the quote.

  const SPACE = /\s/;

  function textNodes(container) {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  // For each character of `shown`, its index in `source` (null for whitespace), and `limit`:
  // the first character that did not line up (past it, nothing is mapped).
  function align(shown, source) {
    const map = new Array(shown.length).fill(null);
    let j = 0;
    for (let i = 0; i < shown.length; i++) {
      if (SPACE.test(shown[i])) continue;
      while (j < source.length && SPACE.test(source[j])) j++;
      if (source[j] !== shown[i]) return { map, limit: i };
      map[i] = j++;
    }
    return { map, limit: shown.length };
  }

  // Python counts characters (code points), JavaScript counts UTF-16 units.
  const codePoints = (text) => Array.from(text).length;
  function unitsOf(text, points) {
    let units = 0;
    for (const char of text) {
      if (points-- <= 0) break;
      units += char.length;
    }
    return units;
  }

  function passageOf(selection) {
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    const range = selection.getRangeAt(0);
    const node = range.commonAncestorContainer;
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    const container = element && element.closest("[data-text-offset]");
    if (!container) return null;
    const before = document.createRange();
    before.selectNodeContents(container);
    before.setEnd(range.startContainer, range.startOffset);
    const from = before.toString().length;
    const to = from + range.toString().length;
    const shown = textNodes(container).map((n) => n.data).join("");
    const source = container.dataset.text;
    const { map, limit } = align(shown, source);
    let first = from;
    while (first < to && map[first] === null && first < limit) first++;
    let last = to - 1;
    while (last >= first && map[last] === null && last < limit) last--;
    if (last < first) return null; // only whitespace
    if (last >= limit) return { container, error: true };
    const start = map[first];
    const end = map[last] + 1;
    const text = source.slice(start, end);
    return {
      container,
      text,
      start: codePoints(source.slice(0, start)),
      end: codePoints(source.slice(0, start)) + codePoints(text),
    };
  }

  function clearPassage(row) {
    const form = $('form[data-action="tag"]', row);
    if (!form) return;
    $("[data-span-start]", form).value = "";
    $("[data-span-end]", form).value = "";
    $("[data-quoted-text]", form).value = "";
    $("[data-span-note]", form).hidden = true;
  }

  function capturePassage() {
    const passage = passageOf(window.getSelection());
    if (!passage) return;
    const row = passage.container.closest("[data-row]");
    const form = row && $('form[data-action="tag"]', row);
    if (!form) return;
    $$("[data-row]").forEach((other) => other !== row && clearPassage(other));
    row.dispatchEvent(new CustomEvent("moderation:passage", { bubbles: true }));
    if (passage.error) {
      clearPassage(row);
      announce("That passage cannot be matched to the comment's text; tag the whole comment.", true);
      return;
    }
    $("[data-span-start]", form).value = passage.start;
    $("[data-span-end]", form).value = passage.end;
    $("[data-quoted-text]", form).value = passage.text;
    const shown = passage.text.length > 60 ? `${passage.text.slice(0, 57)}…` : passage.text;
    const note = $("[data-span-note]", form);
    note.textContent = `Passage “${shown}”: press its category's number, or choose it here.`;
    note.hidden = false;
    announce(`Passage selected in comment ${row.dataset.position}: press a category's number.`);
  }

  // Tagged passages are marked in the shown text (the tag list quotes them too), and so
  // are the words screening found (.suggestion[data-passages]: "start end;start end").
  function markPassages(row) {
    const container = $("[data-text-offset]", row);
    if (!container) return;
    $$("mark.passage, mark.suggested", container).forEach((mark) => mark.replaceWith(...mark.childNodes));
    container.normalize();
    const source = container.dataset.text;
    const toUnits = ([start, end]) => [unitsOf(source, start), unitsOf(source, end)];
    const tagged = $$(".tag[data-passage]", row).map((tag) =>
      toUnits(tag.dataset.passage.split(" ").map(Number)),
    );
    const suggested = $$(".suggestion[data-passages]", row).flatMap((item) =>
      item.dataset.passages
        .split(";")
        .filter(Boolean)
        .map((pair) => toUnits(pair.split(" ").map(Number))),
    );
    mark(container, source, tagged, "passage");
    mark(container, source, suggested, "suggested");
  }

  function mark(container, source, spans, className) {
    if (!spans.length) return;
    const nodes = textNodes(container);
    const { map, limit } = align(nodes.map((n) => n.data).join(""), source);
    const inside = (i) =>
      i < limit && map[i] !== null && spans.some(([a, b]) => a <= map[i] && map[i] < b);
    let offset = 0;
    nodes.forEach((node) => {
      const length = node.data.length;
      const runs = []; // [from, to) within this node, of marked non-space characters
      for (let i = 0; i < length; i++) {
        if (!inside(offset + i)) continue;
        const run = runs[runs.length - 1];
        // Spaces between two marked characters belong to the passage too.
        if (run && node.data.slice(run[1], i).trim() === "") run[1] = i + 1;
        else runs.push([i, i + 1]);
      }
      runs.reverse().forEach(([from, to]) => {
        const range = document.createRange();
        range.setStart(node, from);
        range.setEnd(node, to);
        const element = document.createElement("mark");
        element.className = className;
        range.surroundContents(element);
      });
      offset += length;
    });
  }

  // Wiring

  document.addEventListener("mouseup", capturePassage);
  // On a touch screen a selection is made with the handles, and no mouseup comes: take it
  // once it has stopped changing.
  let touching = false;
  let settle = null;
  document.addEventListener("pointerdown", (event) => {
    touching = event.pointerType === "touch" || event.pointerType === "pen";
  });
  document.addEventListener("selectionchange", () => {
    if (!touching) return;
    window.clearTimeout(settle);
    settle = window.setTimeout(capturePassage, 400);
  });
  document.addEventListener("keyup", (event) => {
    if (event.shiftKey) capturePassage(); // a selection made with shift and the arrows
  });
  document.addEventListener("moderation:updated", (event) => markPassages(event.target));
  document.addEventListener("moderation:cancel", (event) => clearPassage(event.target));

  function start() {
    $$("[data-row]").forEach(markPassages);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
