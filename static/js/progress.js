// An import's page while it runs: ask how far it is every second, show it, and reload the
// page (with the report) when it is finished. Without this script the page says to reload.
(function () {
  "use strict";
  var panel = document.getElementById("import-progress");
  if (!panel) return;
  var url = panel.getAttribute("data-status-url");
  var bar = panel.querySelector("progress");
  var text = document.getElementById("progress-text");
  var state = document.getElementById("import-state");

  function show(status) {
    // Finished (the report), or newly stalled (what can be done about it): the page says.
    if (status.finished || (status.stalled && !document.getElementById("import-stalled"))) {
      window.location.reload();
      return;
    }
    if (state) state.textContent = status.label;
    if (status.percent !== null && status.percent !== undefined) {
      bar.value = status.percent;
      text.textContent = status.text;
    } else if (status.state === "running") {
      bar.removeAttribute("value");
      text.textContent = "Reading the file…";
    }
    window.setTimeout(poll, 1000);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(show)
      .catch(function () {
        text.textContent = "Lost touch with the server; retrying…";
        window.setTimeout(poll, 3000);
      });
  }

  window.setTimeout(poll, 1000);
})();
