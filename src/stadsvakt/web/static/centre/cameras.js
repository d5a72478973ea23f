// The camera panel on an activation's page: fetch snapshots without leaving the page.
// The panel's form works without this script (it posts and comes back); with it, the
// form posts in the background and the panel is replaced by the answer, and a panel
// with no snapshots yet asks for them by itself once. A camera that hangs costs the
// server's time limit, never the page: it is drawn before any camera is asked.
(function () {
  "use strict";

  function busyText(panel) {
    return document.documentElement.lang === "en" ? "Fetching pictures…" : "Hämtar bilder…";
  }

  function fetchInto(panel, form) {
    var status = panel.querySelector("[data-camera-status]");
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    if (status) { status.textContent = busyText(panel); }
    panel.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Stadsvakt-Fragment": "panel" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    }).then(function (html) {
      panel.innerHTML = html;
      panel.removeAttribute("aria-busy");
      bind(panel);
      var done = panel.querySelector("[data-camera-status]");
      if (done) {
        done.textContent = document.documentElement.lang === "en" ? "Pictures fetched." : "Bilderna är hämtade.";
      }
    }).catch(function () {
      panel.removeAttribute("aria-busy");
      if (button) { button.disabled = false; }
      if (status) {
        status.textContent = document.documentElement.lang === "en" ? "The pictures could not be fetched." : "Bilderna kunde inte hämtas.";
      }
    });
  }

  function bind(panel) {
    var form = panel.querySelector("form[data-camera-fetch]");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetchInto(panel, form);
    });
    return form;
  }

  document.querySelectorAll("[data-camera-panel]").forEach(function (panel) {
    var form = bind(panel);
    if (form && panel.hasAttribute("data-autofetch")) {
      panel.removeAttribute("data-autofetch");
      fetchInto(panel, form);
    }
  });
})();
