/* The activation page's keyboard shortcuts (stadsvakt). Every shortcut only moves focus
   or submits a form that Tab and Enter reach as well; the page works without this file.
   Single keys act only when no text field has focus and no modifier is held, and the
   operator can switch them off (WCAG 2.1.4); the choice is kept in this browser. */
(function () {
  "use strict";
  var page = document.querySelector("[data-activation-page]");
  if (!page) { return; }
  var STORE = "stadsvakt.shortcuts";
  var toggle = document.querySelector("[data-shortcuts-toggle]");

  function enabled() {
    try { return window.localStorage.getItem(STORE) !== "off"; } catch (e) { return true; }
  }
  if (toggle) {
    toggle.checked = enabled();
    toggle.addEventListener("change", function () {
      try { window.localStorage.setItem(STORE, toggle.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) { return true; }
    if (tag !== "input") { return false; }
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["radio", "checkbox", "button", "submit", "reset", "hidden"].indexOf(type) < 0;
  }

  function focus(id) {
    var field = document.getElementById(id);
    if (!field) { return false; }
    field.focus();
    if (field.scrollIntoView) { field.scrollIntoView({ block: "center" }); }
    return true;
  }

  function claim() {
    var button = document.getElementById("action-claim");
    if (!button) { return false; }
    button.form.requestSubmit ? button.form.requestSubmit(button) : button.form.submit();
    return true;
  }

  function closeCause() {
    var checked = document.querySelector("input[name=cause]:checked");
    var first = document.querySelector("input[name=cause]");
    var target = checked || first;
    if (!target) { return false; }
    target.focus();
    if (target.scrollIntoView) { target.scrollIntoView({ block: "center" }); }
    return true;
  }

  var KEYS = {
    c: claim,
    x: closeCause,
    h: function () { return focus("f-reason"); },
    o: function () { return focus("f-to"); },
    e: function () { return focus("f-escalate_note"); },
    n: function () { return focus("f-text"); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) { return; }
    var target = event.target;
    if (event.key === "Escape") {
      if (typing(target) || (target && target.name === "cause")) {
        target.blur();
        event.preventDefault();
        return;
      }
      if (!enabled()) { return; }
      var queue = document.querySelector("[data-queue-link]");
      if (queue) { event.preventDefault(); window.location.assign(queue.getAttribute("href")); }
      return;
    }
    if (!enabled() || typing(target) || event.shiftKey) { return; }
    var action = KEYS[event.key];
    if (action && action()) { event.preventDefault(); }
  });

  // After a refusal or a confirmation, start from the message so it is read first.
  var message = document.getElementById("refusal");
  if (message) { message.focus(); }

  // -- live: say when the activation changed elsewhere -----------------------------
  // The page is drawn once; a field unit accepting or arriving, or another operator,
  // changes the activation. The queue's stream tells of it, and the page says so (an
  // action sent from the old page would be refused as stale).
  var changed = document.getElementById("activation-changed");
  if (changed && window.EventSource && page.dataset.stream) {
    var shown = Number(page.dataset.version || "0");
    var source = new EventSource(page.dataset.stream, { withCredentials: true });
    ["claimed", "updated", "closed"].forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        var view;
        try { view = JSON.parse(event.data); } catch (e) { return; }
        if (view && view.id === page.dataset.activationId && Number(view.version) > shown) {
          changed.hidden = false;
        }
      });
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
}());
