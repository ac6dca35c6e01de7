/* Keyboard triage. Every shortcut of the dashboard lives in this file, in SHORTCUTS below,
   which is also the list that `?` shows. Loaded on every page a moderator sees (base.html).

   No inline script anywhere (a strict CSP): pages opt in with data- attributes.
     [data-row]              a comment j/k select (marked .is-current, aria-current);
                             data-comment, -status, -position
     form[data-async]        a plain form; data-action names it (approve, remove, escalate,
                             pending, tag, undo); a key fills it and sends it
     [data-bulk-select]      a row's checkbox for the bulk form (x)
     [data-suggested]        a row's strongest screening suggestion (s): data-category,
                             data-span ("start end"), data-quote
     form[data-undo]         the undo offer (u), with [data-undo-events]
     [data-live]             where outcomes are announced (aria-live)
     [data-keys-help]        a button that opens the list of keys (shown only with JS)
     details[data-collapse-narrow]  folded on a phone unless its summary has a .hint (the
                             queue's filters, the main menu); opened again when wider
     body[data-queue-url], body[data-page]

   The other files, each optional, meet this one through DOM events (all bubble):
     moderation:send     keys.js → forms.js, on a form: "send this form". forms.js cancels the
                         event and posts the form with fetch; if nobody cancels it (no forms.js)
                         the form is submitted the ordinary way.
     moderation:updated  forms.js → here, on a [data-row] whose state and controls were just
                         replaced: once decided, the next row is selected; else the selected
                         row keeps the keyboard focus.
     moderation:passage  passages.js → here, on the [data-row] where a passage was selected:
                         it becomes the selected row, so a digit tags that passage.
     moderation:cancel   here → passages.js, on the selected row when Esc is pressed.
     moderation:dismiss  here → panel.js, on the document when Esc is pressed: close the panel.
     moderation:context  here → panel.js, on the selected row (c): show or hide its side panel
                         (the row's a[data-context]). panel.js cancels the event; if nobody
                         does (no panel.js) the link is followed.
     moderation:selected here → panel.js, on a row just selected: an open panel follows it.
     moderation:loaded   more.js → here, on the document, when the next stretch of a long
                         thread is in: `j` pressed at the last comment moves on into it. */
(function () {
  "use strict";

  const ALREADY = { approve: "approved", remove: "removed", escalate: "escalated" };
  const DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];

  const SHORTCUTS = [
    { keys: ["j"], help: "Next comment", run: () => move(1) },
    { keys: ["k"], help: "Previous comment", run: () => move(-1) },
    { keys: ["x"], help: "Select or unselect the comment for a bulk action", run: toggleBulk },
    { keys: ["a"], help: "Approve (a tagged comment: type why it stays in its Note field, then Enter)", run: approve },
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
    {
      keys: ["s"],
      help: "Tag the suggested passage with the suggested category (screening's suggestion)",
      run: acceptSuggestion,
    },
    { keys: ["o"], help: "Open or fold the comment’s whole text", run: toggleOpen },
    {
      keys: ["c"],
      help: "Context: the comment in its thread and its commenter’s record, beside the list (c again hides it)",
      run: showContext,
    },
    { keys: ["u"], help: "Undo your last action", run: undo },
    { keys: ["/"], help: "Go to the queue (on the queue: search its text)", run: goToQueue },
    { keys: ["?"], help: "Show these keys", run: showKeys },
    {
      keys: ["Escape"],
      label: "Esc",
      help: "Cancel “r”, forget a selected passage, close the context panel",
      run: cancel,
    },
  ];

  let current = null; // the selected [data-row]
  let removing = false; // after `r`, waiting for a category digit

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // Announcements (forms.js and passages.js have the same few lines: each works alone)

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
    row.dispatchEvent(new CustomEvent("moderation:selected", { bubbles: true }));
  }

  let moreWanted = false; // `j` at the last comment asked for the next stretch

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const more = $("a[data-more]");
    if (step > 0 && more && current === all[all.length - 1]) {
      // A long thread shows a stretch at a time: fetch the next one (more.js), then go on.
      moreWanted = true;
      more.click();
      return;
    }
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

  // Sending a form: forms.js posts it in place when it is there (see moderation:send above).
  // Without forms.js, requestSubmit() is a click on the form's button, browser checks included.
  function send(form) {
    const event = new CustomEvent("moderation:send", { bubbles: true, cancelable: true });
    if (form.dispatchEvent(event)) form.requestSubmit();
  }

  // Long comments are folded to their first lines in the queue (CSS): `o` or their
  // "Show all" button opens one.

  function toggleOpen() {
    const row = needRow();
    if (row) setOpen(row, !row.classList.contains("is-open"));
  }

  function setOpen(row, open) {
    row.classList.toggle("is-open", open);
    const button = $("[data-open]", row);
    if (button) {
      button.textContent = open ? "Show less" : "Show all";
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
  }

  function offerOpening() {
    $$("[data-row] .comment-body[data-foldable]").forEach((body) => {
      if (body.scrollHeight <= body.clientHeight + 1 || body.nextElementSibling?.matches("[data-open]")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.dataset.open = "";
      button.textContent = "Show all";
      button.setAttribute("aria-expanded", "false");
      button.addEventListener("click", () => {
        const row = body.closest("[data-row]");
        setOpen(row, !row.classList.contains("is-open"));
      });
      body.after(button);
    });
  }

  function showContext() {
    const row = needRow();
    const link = row && $("a[data-context]", row);
    if (!link) {
      if (row) announce("This comment has no context to show here.", true);
      return;
    }
    const event = new CustomEvent("moderation:context", { bubbles: true, cancelable: true });
    if (row.dispatchEvent(event)) window.location.assign(link.href);
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

  // Screening's strongest suggestion on a row ([data-suggested]: its category, the span of
  // its first word in characters of body_text, and that word) becomes a tag of that passage,
  // sent as the moderator's own: nothing is tagged until they press the key.
  function acceptSuggestion() {
    const row = needRow();
    if (!row) return;
    const suggestion = $("[data-suggested]", row);
    if (!suggestion) {
      announce("Nothing is suggested for this comment.", true);
      return;
    }
    const form = rowForm(row, "tag");
    if (!form) return;
    const select = $("select", form);
    select.value = suggestion.dataset.category;
    if (select.value !== suggestion.dataset.category) {
      announce("The suggested category can no longer be applied here.", true);
      return;
    }
    // A model's suggestion has no passage: the whole comment is tagged.
    const [start = "", end = ""] = suggestion.dataset.span ? suggestion.dataset.span.split(" ") : [];
    $("[data-span-start]", form).value = start;
    $("[data-span-end]", form).value = end;
    $("[data-quoted-text]", form).value = start ? suggestion.dataset.quote : "";
    send(form);
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
    if (current) current.dispatchEvent(new CustomEvent("moderation:cancel", { bubbles: true }));
    document.dispatchEvent(new CustomEvent("moderation:dismiss"));
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
      const categories = categoryDefinitions();
      const note = document.createElement("p");
      note.textContent = "Keys do nothing while you type in a field. Every action also has a button.";
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", () => dialog.close());
      dialog.append(title, list, ...categories, note, close);
      document.body.append(dialog);
    }
    if (!dialog.open) dialog.showModal();
  }

  // The categories of the comments on the page, with their definitions (from the <option>s
  // of their forms), and where the whole policy is.
  function categoryDefinitions() {
    const seen = new Map();
    $$("option[data-order]").forEach((option) => {
      const name = option.textContent.replace(/\s+/g, " ").trim();
      if (!seen.has(name)) seen.set(name, option.title);
    });
    const parts = [];
    if (seen.size) {
      const heading = document.createElement("h3");
      heading.textContent = "Categories";
      const list = document.createElement("dl");
      list.className = "definitions";
      seen.forEach((definition, name) => {
        const term = document.createElement("dt");
        term.textContent = name;
        const description = document.createElement("dd");
        description.textContent = definition || "(no definition)";
        list.append(term, description);
      });
      parts.push(heading, list);
    }
    const button = $("[data-keys-help]");
    if (button && button.dataset.policyUrl) {
      const policy = document.createElement("p");
      const link = document.createElement("a");
      link.href = button.dataset.policyUrl;
      link.textContent = "Each site’s policy and every category’s definition";
      policy.append(link);
      parts.push(policy);
    }
    return parts;
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

  document.addEventListener("moderation:loaded", () => {
    if (!moreWanted) return;
    moreWanted = false;
    move(1);
  });

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

  document.addEventListener("focusin", (event) => {
    const row = event.target.closest && event.target.closest("[data-row]");
    if (row && row !== current) select(row, { focus: false });
  });

  document.addEventListener("moderation:passage", (event) => {
    select(event.target, { focus: false });
  });

  // Once the selected comment is decided, the next one is selected: triage is a, r, e…
  // without a j after each. (Tags, retractions and bulk actions leave the selection where it
  // is.) Otherwise replacing a row's controls can take the focus with them: give it back.
  document.addEventListener("moderation:updated", (event) => {
    const row = event.target;
    if (row !== current) return;
    const detail = event.detail || {};
    if (detail.decided && detail.action !== "bulk" && detail.action !== "undo") {
      const all = rows();
      const next = all[all.indexOf(row) + 1];
      if (next) {
        select(next);
        return;
      }
    }
    const focused = document.activeElement;
    if (!focused || focused === document.body || !focused.isConnected) {
      row.focus({ preventScroll: true });
    }
  });

  // On a phone a long filter form would fill the first screen: it starts folded there
  // (its summary opens it), unless a filter is chosen. Without JS it stays open.
  function foldOnNarrowScreens() {
    const narrow = window.matchMedia("(max-width: 600px)");
    // Turned or widened past a phone's width: what was folded opens (its summary is hidden).
    narrow.addEventListener("change", (event) => {
      if (!event.matches) $$("details[data-collapse-narrow]").forEach((box) => (box.open = true));
    });
    if (!narrow.matches) return;
    $$("details[data-collapse-narrow]").forEach((box) => {
      if (!$(".hint", box.querySelector("summary") || box)) box.open = false;
    });
  }

  function start() {
    foldOnNarrowScreens();
    offerOpening();
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
