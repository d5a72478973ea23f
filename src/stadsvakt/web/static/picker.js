// Searchable pickers: every <select data-picker="doors|zones|profiles|schedules|people|units|sites">
// becomes a Tom Select (npm package tom-select, served from /static/vendor) that asks
// /ui/pick/<kind>?q=… as the user types, so no page renders thousands of options. The
// select keeps its name, so the form posts the chosen id as before (a <select multiple>
// posts one field per choice); texts come from data- attributes written in the page's
// language.
(function () {
  "use strict";

  function escaped(text, escape) {
    return text ? escape(text) : "";
  }

  function settings(select) {
    const kind = select.dataset.picker;
    const texts = select.dataset;
    const multiple = select.multiple;
    const options = {
      valueField: "value",
      labelField: "text",
      searchField: ["text", "detail"],
      maxOptions: 20,
      loadThrottle: 250,
      preload: "focus",
      openOnFocus: true,
      allowEmptyOption: select.getAttribute("aria-required") !== "true" && !multiple,
      placeholder: texts.placeholder || "",
      // Keep what the server sent (it has searched names, codes and site names already);
      // the empty choice ("All sites", "No unit") only while nothing is typed.
      score: function (query) {
        return function (item) { return query && item.value === "" ? 0 : 1; };
      },
      load: function (query, callback) {
        // Only this answer's options are shown (the chosen ones are kept).
        this.clearOptions();
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
          const detail = data.detail ? " — " + escape(data.detail) : "";
          return "<div>" + escaped(data.text, escape) + detail + "</div>";
        },
        no_results: function () {
          return '<div class="no-results">' + escaped(texts.noResults, function (t) { return t; }) + "</div>";
        },
        loading: function () {
          return '<div class="loading">' + (texts.loading || "") + "</div>";
        },
      },
    };
    if (multiple) {
      // Choices stay open for the next one; each chosen item gets a remove button
      // (Backspace removes the last one from the keyboard).
      options.closeAfterSelect = false;
      options.plugins = {
        remove_button: {
          title: texts.remove || "",
          html: function (data) {
            const button = document.createElement("span");
            button.className = "remove";
            button.setAttribute("role", "button");
            button.setAttribute("aria-label", data.title);
            button.title = data.title;
            button.tabIndex = -1;
            button.textContent = "×";
            return button;
          },
        },
      };
    }
    return options;
  }

  function attach(select) {
    const picker = new TomSelect(select, settings(select));
    // Tom Select points the label at its search box, the one control a keyboard and a
    // screen reader use; the select it keeps (out of the tab order) only carries the
    // form's value, so it is hidden from assistive technology rather than met twice.
    select.setAttribute("aria-hidden", "true");
    const described = select.getAttribute("aria-describedby");
    if (described && picker.control_input) {
      picker.control_input.setAttribute("aria-describedby", described);
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
