/* Keyboard triage and in-place moderation. Every shortcut of the dashboard lives in this file,
   in SHORTCUTS below, which is also the list that `?` shows.

   No inline script anywhere (a strict CSP): pages opt in with data- attributes.
     [data-row]              a comment j/k select; data-comment, -version, -status, -tagged
     [data-controls]         its moderation controls, swapped for the server's fresh copy
     form[data-async]        a plain form (it works without JS) sent with fetch instead;
                             data-action names it: approve, remove, escalate, pending, tag,
                             retract, bulk, undo
     [data-text-offset]      a comment's body_text exactly: a mouse selection in it becomes a
                             passage (character offsets) to tag
     [data-bulk-select]      a row's checkbox for the bulk form
     [data-live]             where outcomes are announced (aria-live)
     [data-keys-help]        a button that opens the list of keys (shown only with JS)
     body[data-csrf], body[data-queue-url], body[data-page]
   The server answers fetch requests (Accept: application/json) with {ok, message | error,
   kind, comment: {id, status, version, tagged, controls}, events, undo}. */
(function () {
  "use strict";

  const ALREADY = { approve: "approved", remove: "removed", escalate: "escalated" };
  const DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];

  const SHORTCUTS = [
    { keys: ["j"], help: "Next comment", run: () => move(1) },
    { keys: ["k"], help: "Previous comment", run: () => move(-1) },
    { keys: ["x"], help: "Select or unselect the comment for a bulk action", run: toggleBulk },
    { keys: ["a"], help: "Approve (a tagged comment asks for a note)", run: approve },
    {
      keys: ["r"],
      label: "r then 1 … 9",
      help: "Remove, for the category with that number",
      run: startRemoval,
    },
    {
      keys: DIGITS,
      label: "1 … 9",
      help: "Tag with the category with that number (the selected passage, if any)",
      run: tag,
    },
    { keys: ["e"], help: "Escalate", run: () => decide("escalate") },
    { keys: ["u"], help: "Undo your last action", run: undo },
    { keys: ["/"], help: "Go to the queue (on the queue: search its text)", run: goToQueue },
    { keys: ["?"], help: "Show these keys", run: showKeys },
    { keys: ["Escape"], label: "Esc", help: "Cancel “r”, forget a selected passage", run: cancel },
  ];

  let current = null; // the selected [data-row]
  let removing = false; // after `r`, waiting for a category digit
  let busy = false; // one request at a time

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // Announcements

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

  // Selection of a row

  function rows() {
    return $$("[data-row]");
  }

  function select(row, { focus = true } = {}) {
    if (!row) return;
    if (current && current !== row) {
      current.classList.remove("is-current");
      current.removeAttribute("aria-current");
    }
    current = row;
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    if (focus) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    let index = all.indexOf(current);
    if (index === -1) index = step > 0 ? 0 : all.length - 1;
    else index = Math.min(all.length - 1, Math.max(0, index + step));
    select(all[index]);
    // An error about the previous selection no longer applies.
    const live = $("[data-live]");
    if (live && live.classList.contains("error")) announce("");
  }

  function needRow() {
    if (!current || !current.isConnected) {
      announce("Select a comment first: j and k move between them.", true);
      return null;
    }
    return current;
  }

  function rowForm(row, action) {
    const form = $(`form[data-action="${action}"]`, row);
    if (!form) {
      const already = ALREADY[action] === row.dataset.status;
      announce(
        already
          ? `This comment is already ${row.dataset.status}.`
          : `You cannot ${action} this comment here.`,
        true,
      );
    }
    return form;
  }

  function chooseCategory(form, digit) {
    const select = $("select", form);
    const option = select && $$("option", select).find((o) => o.dataset.order === digit);
    if (!option) {
      announce(`This site has no category ${digit}.`, true);
      return false;
    }
    select.value = option.value;
    return true;
  }

  function categoryList(form) {
    return $$("option[data-order]", form)
      .map((o) => o.textContent.replace("·", "").replace(/\s+/g, " ").trim())
      .join(", ");
  }

  // Actions

  function approve() {
    decide("approve");
  }

  function decide(action) {
    const row = needRow();
    const form = row && rowForm(row, action);
    if (form) send(form);
  }

  function startRemoval() {
    const row = needRow();
    const form = row && rowForm(row, "remove");
    if (!form) return;
    removing = true;
    announce(`Remove for which category? ${categoryList(form)}. Esc cancels.`);
  }

  function finishRemoval(key) {
    removing = false;
    if (!DIGITS.includes(key)) {
      announce("Removal cancelled.");
      return;
    }
    const row = needRow();
    const form = row && rowForm(row, "remove");
    if (!form) return;
    if (chooseCategory(form, key)) {
      send(form);
    } else {
      // A wrong digit must not fall through to tagging: still waiting for a category.
      removing = true;
      announce(`No category ${key} here. Remove for which? ${categoryList(form)}. Esc cancels.`, true);
    }
  }

  function tag(key) {
    const row = needRow();
    const form = row && rowForm(row, "tag");
    if (form && chooseCategory(form, key)) send(form);
  }

  function toggleBulk() {
    const row = needRow();
    const box = row && $("[data-bulk-select]", row);
    if (!box) return;
    box.checked = !box.checked;
    const count = $$("[data-bulk-select]:checked").length;
    announce(`${count} comment${count === 1 ? "" : "s"} selected for a bulk action.`);
  }

  function undo() {
    const form = $("form[data-undo]");
    if (!form || form.hidden || !$("[data-undo-events]", form).value) {
      announce("Nothing to undo.", true);
      return;
    }
    send(form);
  }

  function goToQueue() {
    const search = document.body.dataset.page === "queue" && $("#id_q");
    if (search) {
      search.focus();
      search.select();
      return;
    }
    const link = $$(".topbar nav a").find((a) => new URL(a.href).pathname.endsWith("/queue/"));
    const url = document.body.dataset.queueUrl || (link && link.href);
    if (url) window.location.assign(url);
  }

  function cancel() {
    removing = false;
    if (current) clearPassage(current);
  }

  // Talking to the server

  function csrfToken(form) {
    const field = form && $("[name=csrfmiddlewaretoken]", form);
    if (field) return field.value;
    if (document.body.dataset.csrf) return document.body.dataset.csrf;
    const cookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return cookie ? decodeURIComponent(cookie[1]) : "";
  }

  const HTTP_PROBLEMS = {
    403: "You do not have permission to do that.",
    404: "That no longer exists; reload the page.",
  };

  async function post(form, data) {
    // getAttribute: the decide forms have a field named "action", which shadows form.action.
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      // URL-encoded rather than multipart: multipart turns "\n" in a quoted passage into
      // "\r\n", which would no longer match body_text.
      body: new URLSearchParams(data),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
    });
    let body = null;
    if ((response.headers.get("Content-Type") || "").includes("application/json")) {
      body = await response.json();
    }
    return {
      status: response.status,
      body: body || {
        ok: false,
        kind: "http",
        error:
          HTTP_PROBLEMS[response.status] ||
          `The server answered ${response.status}; nothing was changed.`,
      },
    };
  }

  async function send(form, submitter = null) {
    if (busy) {
      announce("Still working on the last action…");
      return;
    }
    busy = true;
    const row = form.closest("[data-row]");
    const data = new FormData(form, submitter);
    try {
      let { status, body } = await post(form, data);
      if (
        status === 400 &&
        form.dataset.action === "approve" &&
        row &&
        row.dataset.tagged === "true" &&
        !data.get("note")
      ) {
        // The policy: approving a tagged comment needs a note saying why it stays.
        const note = window.prompt(`${body.error}\n\nNote:`);
        if (note && note.trim()) {
          data.set("note", note.trim());
          ({ status, body } = await post(form, data));
        }
      }
      apply(body);
    } catch (error) {
      announce(`Could not reach the server (${error.message}); nothing was changed.`, true);
    } finally {
      busy = false;
    }
  }

  function apply(body) {
    const states = [];
    if (body.comment) states.push(body.comment);
    (body.results || []).forEach((result) => {
      if (result.comment) states.push(result.comment);
      if (result.ok) {
        const box = $(`[data-row][data-comment="${result.id}"] [data-bulk-select]`);
        if (box) box.checked = false;
      }
    });
    (body.comments || []).forEach((state) => states.push(state));
    states.forEach(update);
    if ("undo" in body) showUndo(body.undo);
    const errors = body.errors || [];
    if (body.ok) announce(body.message);
    else if (body.message) announce([body.message, ...errors].join(" "), true);
    else announce(body.error || "That did not work.", true);
  }

  function update(state) {
    const row = $(`[data-row][data-comment="${state.id}"]`);
    if (!row) return;
    row.dataset.version = state.version;
    row.dataset.status = state.status;
    row.dataset.tagged = state.tagged ? "true" : "false";
    const controls = $("[data-controls]", row);
    if (controls && state.controls) {
      const template = document.createElement("template");
      template.innerHTML = state.controls.trim();
      controls.replaceWith(template.content);
    }
    const box = $("[data-bulk-select]", row);
    if (box) box.value = `${state.id}:${state.version}`;
    markPassages(row);
    const focused = document.activeElement;
    if (row === current && (!focused || focused === document.body || !focused.isConnected)) {
      row.focus({ preventScroll: true });
    }
  }

  function showUndo(offer) {
    const form = $("form[data-undo]");
    if (!form) return;
    if (offer && offer.events && offer.events.length) {
      $("[data-undo-events]", form).value = offer.events.join(",");
      $("[data-undo-label]", form).textContent = offer.label;
      form.hidden = false;
    } else {
      $("[data-undo-events]", form).value = "";
      form.hidden = true;
    }
  }

  // Passages. A comment's body shows its sanitized HTML and carries its body_text (data-text);
  // the two differ only in whitespace (paragraphs, line breaks, collapsed spaces), so the
  // characters that are not whitespace line up one to one. A selection in the shown text is
  // mapped onto body_text that way, and sent as offsets the server checks against the quote.

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
    rows().forEach((other) => other !== row && clearPassage(other));
    select(row, { focus: false });
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

  // Tagged passages are marked in the shown text (the tag list quotes them too).
  function markPassages(row) {
    const container = $("[data-text-offset]", row);
    if (!container) return;
    $$("mark.passage", container).forEach((mark) => mark.replaceWith(...mark.childNodes));
    container.normalize();
    const source = container.dataset.text;
    const spans = $$(".tag[data-passage]", row).map((tag) => {
      const [start, end] = tag.dataset.passage.split(" ").map(Number);
      return [unitsOf(source, start), unitsOf(source, end)];
    });
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
        const mark = document.createElement("mark");
        mark.className = "passage";
        range.surroundContents(mark);
      });
      offset += length;
    });
  }

  // The list of keys

  function showKeys() {
    let dialog = $("#keys-help");
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.id = "keys-help";
      dialog.className = "keys-help";
      dialog.setAttribute("aria-labelledby", "keys-help-title");
      const title = document.createElement("h2");
      title.id = "keys-help-title";
      title.textContent = "Keyboard shortcuts";
      const list = document.createElement("dl");
      SHORTCUTS.forEach((shortcut) => {
        const term = document.createElement("dt");
        const kbd = document.createElement("kbd");
        kbd.textContent = shortcut.label || shortcut.keys.join(" ");
        term.append(kbd);
        const description = document.createElement("dd");
        description.textContent = shortcut.help;
        list.append(term, description);
      });
      const note = document.createElement("p");
      note.textContent = "Keys do nothing while you type in a field. Every action also has a button.";
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", () => dialog.close());
      dialog.append(title, list, note, close);
      document.body.append(dialog);
    }
    if (!dialog.open) dialog.showModal();
  }

  // Wiring

  function typing(element) {
    if (!element || !element.matches) return false;
    if (element.isContentEditable || element.matches("textarea, select")) return true;
    if (element.matches("input")) {
      return !["checkbox", "radio", "button", "submit", "reset"].includes(element.type);
    }
    return false;
  }

  const BY_KEY = new Map();
  SHORTCUTS.forEach((shortcut) => shortcut.keys.forEach((key) => BY_KEY.set(key, shortcut)));

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.isComposing || typing(event.target) || $("dialog[open]")) return;
    if (removing) {
      event.preventDefault();
      finishRemoval(event.key);
      return;
    }
    const shortcut = BY_KEY.get(event.key);
    if (!shortcut) return;
    event.preventDefault();
    shortcut.run(event.key);
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("form[data-async]")) return;
    event.preventDefault();
    if (form.dataset.action === "bulk" && !$$("[data-bulk-select]:checked").length) {
      announce("Select comments first: their checkboxes, or x.", true);
      return;
    }
    send(form, event.submitter || null);
  });

  document.addEventListener("focusin", (event) => {
    const row = event.target.closest && event.target.closest("[data-row]");
    if (row && row !== current) select(row, { focus: false });
  });

  document.addEventListener("mouseup", capturePassage);
  document.addEventListener("keyup", (event) => {
    if (event.shiftKey) capturePassage(); // a selection made with shift and the arrows
  });

  function start() {
    rows().forEach(markPassages);
    $$("[data-keys-help]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", showKeys);
    });
    const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && target.matches("[data-row]")) select(target);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
