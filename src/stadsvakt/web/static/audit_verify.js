// The audit trail check's page while a run goes on: ask whether its outcome is written
// every two seconds and reload the page when it is (the page then shows the outcome).
// Without script the page's reload link does the same.
(function () {
  "use strict";

  const INTERVAL_MS = 2000;

  function poll(element) {
    const run = element.dataset.verifyRun;
    const url = "/audit/verify/status?run=" + encodeURIComponent(run);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { done: false }; })
      .then(function (body) {
        if (body.done) {
          window.location.reload();
        } else {
          window.setTimeout(function () { poll(element); }, INTERVAL_MS);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(element); }, INTERVAL_MS * 5); });
  }

  function start() {
    const element = document.querySelector("[data-verify-run]");
    if (element) {
      window.setTimeout(function () { poll(element); }, INTERVAL_MS);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
