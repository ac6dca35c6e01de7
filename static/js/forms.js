/* Moderation forms sent in place, with undo. Loaded by the pages that have such forms: the
   queue and the moderated thread.

   Every form[data-async] is a plain form that works without JS; here it is posted with fetch
   (Accept: application/json) and the page is updated from the answer instead of reloaded.
     form[data-async]        data-action names it: approve, remove, escalate, pending, tag,
                             retract, bulk, undo
     [data-row]              a comment: data-comment, -version, -status, -tagged are kept current
     [data-controls]         its moderation controls, swapped for the server's fresh copy
     [data-bulk-select]      a row's checkbox for the bulk form; unchecked once done
     form[data-undo]         the undo offer: [data-undo-events], [data-undo-label]
     [data-live]             where outcomes are announced (aria-live)
     body[data-csrf]         the CSRF token, when a form has none
   The server answers {ok, message | error, kind, comment: {id, status, version, tagged,
   controls}, results, comments, errors, undo}.

   DOM events shared with the other files (all bubble; see keys.js):
     moderation:send     listened to here, on a form[data-async]: it is posted as if submitted
                         (keys.js sends forms this way); cancelled, so the sender knows.
     moderation:updated  fired here on each [data-row] once its state and controls are
                         replaced (passages.js marks its passages again, keys.js keeps focus
                         or moves on); detail: {decided (the status changed), action}. */
(function () {
  "use strict";

  let busy = false; // one request at a time

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
      const noteField = $("input[name=note]", form);
      if (status === 400 && form.dataset.action === "approve" && noteField && !data.get("note")) {
        // The policy: approving a tagged comment needs a note saying why it stays. The note
        // is typed in the row's own field (Enter sends it), not in a browser prompt.
        noteField.focus();
        announce(`${body.error} Type it in the Note field, then press Enter.`, true);
        return;
      }
      apply(body, form.dataset.action);
    } catch (error) {
      announce(`Could not reach the server (${error.message}); nothing was changed.`, true);
    } finally {
      busy = false;
    }
  }

  // Applying the answer

  function apply(body, action) {
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
    states.forEach((state) => update(state, action));
    if ("undo" in body) showUndo(body.undo);
    const errors = body.errors || [];
    if (body.ok) announce(body.message);
    else if (body.message) announce([body.message, ...errors].join(" "), true);
    else announce(body.error || "That did not work.", true);
  }

  function update(state, action) {
    const row = $(`[data-row][data-comment="${state.id}"]`);
    if (!row) return;
    const decided = row.dataset.status !== state.status;
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
    // `decided`: the comment's status changed; `action`: the form's data-action.
    const detail = { decided, action };
    row.dispatchEvent(new CustomEvent("moderation:updated", { bubbles: true, detail }));
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

  // Wiring

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

  document.addEventListener("moderation:send", (event) => {
    const form = event.target;
    if (!form.matches || !form.matches("form[data-async]")) return;
    event.preventDefault();
    send(form);
  });
})();
