// A site's page: its doors' live states fetched again every 30 seconds (the server renders
// the table, /sites/{id}/doors; this only swaps it in). Not while the keyboard's focus is in
// the table, so a reader never loses their place. Without script the page shows the states
// as they were when it loaded.
(function () {
  "use strict";

  const INTERVAL_MS = 30000;

  function refresh(element) {
    if (element.contains(document.activeElement)) {
      window.setTimeout(function () { refresh(element); }, INTERVAL_MS);
      return;
    }
    fetch(element.dataset.refresh, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && !element.contains(document.activeElement)) {
          element.innerHTML = html;
        }
      })
      .catch(function () { /* the next round tries again */ })
      .finally(function () { window.setTimeout(function () { refresh(element); }, INTERVAL_MS); });
  }

  function start() {
    const element = document.getElementById("site-doors");
    if (element && element.dataset.refresh) {
      window.setTimeout(function () { refresh(element); }, INTERVAL_MS);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
