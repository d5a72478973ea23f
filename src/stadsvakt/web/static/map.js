// The centre's map: units by status, sites with open activations and recent trails, from
// GET /api/v1/centre/map, refreshed every 15 s. Tiles come from the configured URL; when
// none load (offline, blocked) the markers still show on the plain background, and the
// tables under the map carry the same information.
(function () {
  "use strict";
  var REFRESH_MS = 15000;
  var element = document.getElementById("centre-map");
  if (!element || typeof window.L === "undefined") {
    return;
  }
  var L = window.L;
  var statusLabels = JSON.parse(element.dataset.statusLabels || "{}");
  var typeLabels = JSON.parse(element.dataset.typeLabels || "{}");
  L.Icon.Default.mergeOptions({
    iconUrl: element.dataset.markerIcon,
    iconRetinaUrl: element.dataset.markerIcon2x,
    shadowUrl: element.dataset.markerShadow
  });
  var map = L.map(element, { keyboard: true }).setView([59.33, 18.07], 11);
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: element.dataset.attribution || ""
    }).addTo(map);
  }
  var layer = L.layerGroup().addTo(map);
  var fitted = false;

  function dot(kind, label) {
    return L.divIcon({
      className: "map-dot map-dot-" + kind,
      iconSize: [16, 16],
      html: "",
      // The marker's accessible name.
      title: label
    });
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }

  function local(iso) {
    if (!iso) {
      return "";
    }
    return new Date(iso).toLocaleString("sv-SE", { timeZone: "Europe/Stockholm", timeZoneName: "short" });
  }

  function draw(data) {
    layer.clearLayers();
    var bounds = [];
    data.trails.forEach(function (trail) {
      var points = trail.points.map(function (p) { return [p.latitude, p.longitude]; });
      if (points.length > 1) {
        L.polyline(points, { color: "#7c3aed", weight: 3 }).addTo(layer);
      }
      trail.points.forEach(function (p) {
        L.circleMarker([p.latitude, p.longitude], { radius: 3, color: "#7c3aed" })
          .bindTooltip(text(trail.label) + " " + text(local(p.at)))
          .addTo(layer);
        bounds.push([p.latitude, p.longitude]);
      });
    });
    data.sites.forEach(function (site) {
      var titles = site.activations.map(function (a) {
        return '<a href="/centre/activations/' + encodeURIComponent(a.id) + '">' + text(a.title) + "</a>";
      });
      L.marker([site.latitude, site.longitude], { icon: dot("site", site.name), title: site.name, keyboard: true })
        .bindPopup("<strong>" + text(site.name) + "</strong><br>" + text(site.address) + "<br>" + titles.join("<br>"))
        .addTo(layer);
      bounds.push([site.latitude, site.longitude]);
    });
    data.units.forEach(function (unit) {
      if (unit.latitude === null || unit.longitude === null) {
        return;
      }
      var label = unit.call_sign + " – " + (statusLabels[unit.status] || unit.status);
      L.marker([unit.latitude, unit.longitude], { icon: dot(unit.status, label), title: label, keyboard: true })
        .bindPopup("<strong>" + text(unit.call_sign) + "</strong> " + text(typeLabels[unit.unit_type] || "") +
          "<br>" + text(statusLabels[unit.status] || unit.status) + "<br>" + text(local(unit.position_at)))
        .addTo(layer);
      bounds.push([unit.latitude, unit.longitude]);
    });
    if (!fitted && bounds.length) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 });
      fitted = true;
    }
    var updated = document.getElementById("map-updated");
    if (updated) {
      updated.textContent = (element.dataset.updatedText || "") + " " + local(data.generated_at);
    }
    element.dataset.loaded = "1";
  }

  function refresh() {
    fetch(element.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { draw(data); } })
      .catch(function () { /* offline: the last picture and the tables stay */ });
  }

  refresh();
  window.setInterval(refresh, REFRESH_MS);
})();
