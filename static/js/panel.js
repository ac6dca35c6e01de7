/* The queue's side panel: the selected comment in its thread and its commenter's record,
   beside the list, so a moderator judges a row without leaving the queue.

   Each row links to its context page (a[data-context]); this file shows that page's panel
   markup (the same address with ?panel=1, rendered by the server) in an <aside> instead.
   It meets keys.js through DOM events (see the list at the top of keys.js):
     moderation:context   on a row (c, or a click on its Context link): show its panel, or
                          hide the panel if it already shows that row;
     moderation:selected  on a row: an open panel follows the selection (j / k);
     moderation:dismiss   on the document (Esc): hide the panel.
   The panel's forms (note, block, lift a block) are plain posts that come back to the row. */
(function () {
  "use strict";

  const $ = (selector, root = document) => root.querySelector(selector);

  let panel = null;
  let body = null;
  let shownFor = null; // the row whose context the panel shows
  let loading = null; // the AbortController of the request under way
  let follow = 0; // the timer of a panel following the selection

  function build() {
    panel = document.createElement("aside");
    panel.id = "context-panel";
    panel.className = "side-panel";
    panel.hidden = true;
    panel.setAttribute("aria-label", "Context of the selected comment");
    const head = document.createElement("div");
    head.className = "side-panel-head";
    const title = document.createElement("p");
    title.className = "side-panel-title";
    title.textContent = "Context";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "Close";
    close.setAttribute("aria-keyshortcuts", "Escape");
    close.addEventListener("click", hide);
    head.append(title, close);
    body = document.createElement("div");
    body.className = "side-panel-body";
    body.setAttribute("aria-live", "polite");
    panel.append(head, body);
    document.body.append(panel);
  }

  function addressFor(row) {
    const link = $("a[data-context]", row);
    if (!link) return null;
    const url = new URL(link.href, window.location.href);
    url.searchParams.set("panel", "1");
    // The panel's forms come back to this row of this page.
    url.searchParams.set("next", `${window.location.pathname}${window.location.search}#${row.id}`);
    return url;
  }

  async function load(row) {
    const url = addressFor(row);
    if (!url) return;
    if (loading) loading.abort();
    loading = new AbortController();
    shownFor = row;
    body.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        signal: loading.signal,
      });
      if (response.redirected) {
        // Sent to the login page: the session ended. Never show another page in the panel.
        body.textContent = "Your session has ended: reload the page to log in again.";
        return;
      }
      if (!response.ok) {
        body.textContent = `The context could not be loaded (HTTP ${response.status}). The row’s Context link opens it as a page.`;
        return;
      }
      // Markup rendered and escaped by the server's templates, from this site.
      body.innerHTML = await response.text();
      body.scrollTop = 0;
    } catch (error) {
      if (error.name !== "AbortError") {
        body.textContent = "The context could not be loaded: the connection failed.";
      }
    } finally {
      body.removeAttribute("aria-busy");
    }
  }

  function show(row) {
    if (!panel) build();
    panel.hidden = false;
    document.body.classList.add("has-panel");
    load(row);
  }

  function hide() {
    if (!panel || panel.hidden) return;
    if (loading) loading.abort();
    panel.hidden = true;
    document.body.classList.remove("has-panel");
    const row = shownFor;
    shownFor = null;
    // Back to the row, so j / k go on from where the panel was opened.
    if (row && row.isConnected && panel.contains(document.activeElement)) {
      row.focus({ preventScroll: true });
    }
  }

  const isOpen = () => panel && !panel.hidden;

  document.addEventListener("moderation:context", (event) => {
    event.preventDefault();
    if (isOpen() && shownFor === event.target) hide();
    else show(event.target);
  });

  document.addEventListener("moderation:selected", (event) => {
    if (!isOpen() || shownFor === event.target) return;
    const row = event.target;
    window.clearTimeout(follow);
    follow = window.setTimeout(() => load(row), 120); // j held down loads the last row only
  });

  document.addEventListener("moderation:dismiss", hide);

  // A click on a row's Context link opens the panel too (a new tab still opens the page).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-context]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    const row = link.closest("[data-row]");
    if (!row) return;
    event.preventDefault();
    row.focus({ preventScroll: true }); // selects it (keys.js listens to focusin)
    row.dispatchEvent(new CustomEvent("moderation:context", { bubbles: true, cancelable: true }));
  });
})();
