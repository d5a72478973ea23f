/* Charts of the statistics page, drawn with Chart.js (the vendor manifest's UMD build).
 *
 * Each <canvas data-chart='{...}'> carries its figures as JSON: labels, datasets
 * ({label, data}), valueTitle, stacked, horizontal. The same figures are in a table
 * beside every chart, so a reader without the chart (or without JavaScript) misses
 * nothing. A drawn canvas gets data-drawn="true".
 */
(function () {
  "use strict";

  // Distinct colours with at least 3:1 contrast against white (WCAG 1.4.11).
  var PALETTE = [
    "#0a58a6", "#a4161a", "#1d6b38", "#8a4b08", "#5b3a8c",
    "#00707a", "#b3306b", "#4f5b6b", "#6b6b00", "#2f4f4f"
  ];

  function locale() {
    return (document.documentElement.lang || "sv") === "sv" ? "sv-SE" : "en-GB";
  }

  function draw(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (err) {
      return;
    }
    if (!window.Chart || !spec || !Array.isArray(spec.labels)) {
      return;
    }
    var datasets = (spec.datasets || []).map(function (set, index) {
      var colour = PALETTE[index % PALETTE.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: 1
      };
    });
    var valueAxis = {
      beginAtZero: true,
      stacked: !!spec.stacked,
      ticks: spec.counts ? { precision: 0 } : {},
      title: { display: !!spec.valueTitle, text: spec.valueTitle || "" }
    };
    var labelAxis = { stacked: !!spec.stacked };
    var scales = spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        locale: locale(),
        animation: false,
        responsive: true,
        maintainAspectRatio: true,
        aspectRatio: spec.horizontal ? 1.8 : 2.6,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: scales,
        plugins: { legend: { display: datasets.length > 1 } }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }

  function drawAll() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i += 1) {
      draw(canvases[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
