// Searchable pickers: every <select data-picker="doors|zones|profiles|people|units|sites">
// becomes a Tom Select (npm package tom-select, served from /static/vendor) that asks
// /ui/pick/<kind>?q=… as the user types, so no page renders thousands of options. The
// select keeps its name, so the form posts the chosen id as before; texts come from
// data- attributes written in the page's language.
(function () {
  "use strict";

  function escaped(text, escape) {
    return text ? escape(text) : "";
  }

  function attach(select) {
    const kind = select.dataset.picker;
    const texts = select.dataset;
    const picker = new TomSelect(select, {
      valueField: "value",
      labelField: "text",
      searchField: ["text", "detail"],
      maxOptions: 20,
      loadThrottle: 250,
      preload: "focus",
      openOnFocus: true,
      allowEmptyOption: !select.required,
      placeholder: texts.placeholder || "",
      load: function (query, callback) {
        const url = "/ui/pick/" + encodeURIComponent(kind) + "?q=" + encodeURIComponent(query);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { items: [] }; })
          .then(function (body) { callback(body.items); })
          .catch(function () { callback(); });
      },
      render: {
        option: function (data, escape) {
          return "<div>" + escaped(data.text, escape) +
            '<span class="picker-detail">' + escaped(data.detail, escape) + "</span></div>";
        },
        item: function (data, escape) {
          const detail = data.detail ? " – " + escape(data.detail) : "";
          return "<div>" + escaped(data.text, escape) + detail + "</div>";
        },
        no_results: function () {
          return '<div class="no-results">' + escaped(texts.noResults, function (t) { return t; }) + "</div>";
        },
        loading: function () {
          return '<div class="loading">' + (texts.loading || "") + "</div>";
        },
      },
    });
    // The search box Tom Select adds is named by the original label.
    const label = document.querySelector('label[for="' + select.id + '"]');
    if (label && picker.control_input) {
      picker.control_input.setAttribute("aria-label", label.textContent.trim());
    }
  }

  function start() {
    if (typeof TomSelect === "undefined") {
      return; // without the package the plain select still posts its chosen value
    }
    document.querySelectorAll("select[data-picker]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
