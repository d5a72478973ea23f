// The field unit's phone page: "Use my location" fills the position form from the
// browser's geolocation and sends it. Without geolocation the form is typed in.
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
