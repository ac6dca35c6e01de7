/* More of a long thread, in place. A thread page shows a stretch of comments and ends with a
   plain link to the next stretch (it works without JS: it opens that stretch); here the link
   fetches the stretch alone (`part=1`) and puts it where the link was.

     a[data-more]              the link to the next stretch, inside [data-more-container]
     [data-row]                each comment shown (for keys.js and passages.js)

   DOM events (all bubble; see keys.js):
     moderation:updated  fired here on each [data-row] that arrives (passages.js marks its
                         passages, as it does for a row whose controls were replaced).
     moderation:loaded   fired here on the document once a stretch is in (keys.js, when `j`
                         asked for more at the last comment, moves on into it). */
(function () {
  "use strict";

  let loading = false;

  async function load(link) {
    if (loading) return;
    loading = true;
    const container = link.closest("[data-more-container]") || link;
    link.textContent = "Loading more comments…";
    try {
      const url = new URL(link.href);
      url.searchParams.set("part", "1");
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      const rows = Array.from(template.content.querySelectorAll("[data-row]"));
      container.replaceWith(template.content);
      rows.forEach((row) =>
        row.dispatchEvent(new CustomEvent("moderation:updated", { bubbles: true })),
      );
      document.dispatchEvent(new CustomEvent("moderation:loaded", { detail: { rows } }));
    } catch (error) {
      // Fall back to the plain link: open the next stretch as a page.
      window.location.assign(link.href);
    } finally {
      loading = false;
    }
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-more]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    load(link);
  });
})();
