// The field unit's phone page: "Use my location" fills the position form from the
// browser's geolocation and sends it. Without geolocation the form is typed in.
(function () {
  "use strict";
  // A new or withdrawn assignment shows at once: the page asks every 5 s and reloads
  // (with a buzz) unless the guard is typing, when it says so instead.
  var phone = document.querySelector(".unit-phone[data-state]");
  if (phone && window.fetch) {
    window.setInterval(function () {
      fetch(phone.dataset.state, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (!state || (state.job || "") === (phone.dataset.job || "")) { return; }
          var active = document.activeElement;
          var typing = active && (active.tagName === "INPUT" || active.tagName === "SELECT");
          if (navigator.vibrate) { navigator.vibrate(300); }
          if (typing) {
            document.getElementById("job-news").hidden = false;
          } else {
            window.location.reload();
          }
        })
        .catch(function () { /* offline for a moment: the next try may get through */ });
    }, 5000);
  }
})();

(function () {
  "use strict";
  var script = document.currentScript;
  var button = document.getElementById("use-gps");
  var form = document.getElementById("position-form");
  if (!button || !form || !("geolocation" in navigator)) {
    return;
  }
  var status = document.getElementById("gps-status");
  function say(key) {
    if (status && script) {
      status.textContent = script.dataset[key] || "";
    }
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    say("locating");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        document.getElementById("f-latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("f-longitude").value = position.coords.longitude.toFixed(6);
        document.getElementById("position-accuracy").value = Math.round(position.coords.accuracy || 0);
        document.getElementById("position-source").value = "phone";
        say("located");
        form.submit();
      },
      function () { say("failed"); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  });
})();
