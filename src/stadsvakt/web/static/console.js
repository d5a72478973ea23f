// The operator console's live queue (/centre).
//
// The page is rendered on the server and works without this script. Here it follows
// /api/v1/centre/stream (server-sent events): a new activation is inserted at its place
// (priority, then age), a claimed or updated one is redrawn, a closed one removed. The
// stream's event ids are the queue feed's numbers: EventSource sends the last one back as
// Last-Event-ID when it reconnects, so nothing is missed or shown twice; on `resync` the
// whole queue is fetched again. New priority 1-2 activations sound a short tone (WebAudio,
// mutable with `m`, remembered) and are announced in a polite live region.
(function () {
  "use strict";

  var table = document.getElementById("queue");
  if (!table || !window.EventSource) {
    return;
  }
  var body = document.getElementById("queue-rows");
  var template = document.getElementById("queue-row-template");
  var empty = document.getElementById("queue-empty");
  var count = document.getElementById("queue-count");
  var connection = document.getElementById("queue-connection");
  var announcer = document.getElementById("queue-announcer");
  var muteButton = document.getElementById("queue-mute");
  var dialog = document.getElementById("shortcuts-dialog");
  var OPEN = { open: true, claimed: true, on_hold: true };
  var LOUD_PRIORITY = 2;
  var MUTE_KEY = "stadsvakt.console.muted";
  var timeFormat = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Europe/Stockholm",
    timeZoneName: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });

  var seq = Number(table.dataset.seq || "0");
  var source = null;
  var reloading = false;
  var buffered = [];
  var reconnectTimer = null;
  var me = table.dataset.me || "";

  // -- rows ------------------------------------------------------------------------

  function localTime(iso) {
    return iso ? timeFormat.format(new Date(iso)) : "";
  }

  function rowOf(id) {
    return body.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
  }

  function setField(row, name, text) {
    var node = row.querySelector('[data-field="' + name + '"]');
    if (node) {
      node.textContent = text == null ? "" : String(text);
    }
    return node;
  }

  function showField(row, name, shown) {
    var node = row.querySelector('[data-field="' + name + '"]');
    if (node) {
      node.hidden = !shown;
    }
  }

  function fill(row, view) {
    row.className = "queue-row row-prio-" + view.priority + " state-" + view.state;
    row.dataset.id = view.id;
    row.dataset.priority = String(view.priority);
    row.dataset.opened = view.opened_at;
    row.dataset.version = String(view.version);
    var prio = setField(row, "priority", view.priority);
    if (prio) {
      prio.className = "prio prio-" + view.priority;
    }
    var link = setField(row, "title", view.title || view.category_label);
    if (link) {
      link.href = view.url;
    }
    setField(row, "category_label", view.category_label);
    setField(row, "code", view.code);
    setField(row, "kind_label", view.kind_label);
    showField(row, "kind_label", view.kind !== "alarm");
    showField(row, "confirmed", view.confirmed);
    showField(row, "restored", view.restored);
    showField(row, "offered", Boolean(view.offered_to) && view.offered_to === me);
    showField(row, "escalated", Boolean(view.escalated));
    setField(row, "site_name", view.site ? view.site.name : "–");
    setField(row, "site_address", view.site && view.site.address ? view.site.address : "");
    setField(row, "municipality", view.municipality);
    var time = setField(row, "opened_at", localTime(view.opened_at));
    if (time) {
      time.setAttribute("datetime", view.opened_at);
    }
    setField(row, "count", view.count);
    setField(row, "state_label", view.state_label);
  }

  function before(a, b) {
    // Queue order: priority, then age (opened first), then id, as the server orders it.
    var pa = Number(a.dataset.priority);
    var pb = Number(b.dataset.priority);
    if (pa !== pb) {
      return pa < pb;
    }
    var ta = Date.parse(a.dataset.opened);
    var tb = Date.parse(b.dataset.opened);
    if (ta !== tb) {
      return ta < tb;
    }
    return a.dataset.id < b.dataset.id;
  }

  function place(row) {
    var next = null;
    var rows = body.children;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i] !== row && before(row, rows[i])) {
        next = rows[i];
        break;
      }
    }
    if (row.nextElementSibling !== next || row.parentNode !== body) {
      var hadFocus = row.contains(document.activeElement);
      body.insertBefore(row, next);
      if (hadFocus) {
        row.querySelector(".queue-link").focus();
      }
    }
  }

  function removeRow(row) {
    if (!row) {
      return;
    }
    if (row.contains(document.activeElement)) {
      // Keep the keyboard in the list: the next row (or the previous) takes the focus.
      var other = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (other) {
        other.querySelector(".queue-link").focus();
      }
    } else {
      row.remove();
    }
  }

  function counted() {
    var n = body.children.length;
    count.textContent = String(n);
    empty.hidden = n > 0;
  }

  // Apply one activation's view; returns true when it is newly in the queue.
  function apply(view) {
    var row = rowOf(view.id);
    if (!OPEN[view.state]) {
      removeRow(row);
      return false;
    }
    if (row && Number(row.dataset.version) > view.version) {
      return false; // an older view than the one shown (a replayed change)
    }
    var added = !row;
    if (!row) {
      row = template.content.firstElementChild.cloneNode(true);
    }
    fill(row, view);
    place(row);
    return added;
  }

  // -- sound and announcements -------------------------------------------------------

  var audio = null;
  var muted = false;
  try {
    muted = window.localStorage.getItem(MUTE_KEY) === "1";
  } catch (e) {
    muted = false;
  }

  function showMute() {
    muteButton.setAttribute("aria-pressed", muted ? "true" : "false");
  }

  function toggleMute() {
    muted = !muted;
    try {
      window.localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
    } catch (e) {
      // private mode: the choice lasts as long as the page
    }
    showMute();
  }

  function unlockAudio() {
    // Browsers let a page make sound only after the user has touched it.
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      audio = new Context();
    }
    if (audio && audio.state === "suspended") {
      audio.resume();
    }
  }

  function tone() {
    if (muted || !audio || audio.state !== "running") {
      return;
    }
    var now = audio.currentTime;
    [880, 660, 880].forEach(function (frequency, i) {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      var start = now + i * 0.18;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.16);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.17);
    });
  }

  function announce(view) {
    var site = view.site && view.site.name ? view.site.name : view.municipality;
    var text = (table.dataset.announce || "")
      .replace("{priority}", String(view.priority))
      .replace("{title}", view.title || view.category_label)
      .replace("{site}", site);
    announcer.textContent = "";
    // A fresh node each time, so a screen reader reads a repeated text again.
    var line = document.createElement("span");
    line.textContent = text;
    announcer.appendChild(line);
  }

  // -- the stream ----------------------------------------------------------------------

  function status(text) {
    connection.textContent = text;
  }

  function handle(kind, event) {
    var id = Number(event.lastEventId);
    var data = JSON.parse(event.data);
    if (reloading) {
      buffered.push({ kind: kind, id: id, data: data });
      return;
    }
    if (id && id <= seq && kind !== "resync" && kind !== "ready") {
      return; // already applied (from the page or a reload)
    }
    if (kind === "removed") {
      removeRow(rowOf(data.id));
    } else {
      var added = apply(data);
      if (added && kind === "new" && data.priority <= LOUD_PRIORITY) {
        tone();
        announce(data);
      }
    }
    if (id) {
      seq = Math.max(seq, id);
    }
    counted();
  }

  function reload() {
    if (reloading) {
      return;
    }
    reloading = true;
    buffered = [];
    status(connection.dataset.reloading);
    fetch(table.dataset.list, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("queue " + response.status);
        }
        return response.json();
      })
      .then(function (queue) {
        var keep = {};
        queue.items.forEach(function (view) {
          keep[view.id] = true;
          var row = rowOf(view.id);
          if (row) {
            row.dataset.version = "0"; // the list is the truth now
          }
          apply(view);
        });
        Array.prototype.slice.call(body.children).forEach(function (row) {
          if (!keep[row.dataset.id]) {
            removeRow(row);
          }
        });
        seq = queue.seq;
        reloading = false;
        var waiting = buffered;
        buffered = [];
        waiting.forEach(function (item) {
          if (item.id > seq && item.kind !== "resync" && item.kind !== "ready") {
            handle(item.kind, { lastEventId: String(item.id), data: JSON.stringify(item.data) });
          }
        });
        counted();
        status(connection.dataset.live);
      })
      .catch(function () {
        reloading = false;
        status(connection.dataset.reconnecting);
        window.setTimeout(reload, 5000);
      });
  }

  function connect() {
    source = new EventSource(table.dataset.stream + "?after=" + encodeURIComponent(seq), {
      withCredentials: true,
    });
    ["new", "claimed", "updated", "closed", "removed"].forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        handle(kind, event);
      });
    });
    source.addEventListener("resync", function () {
      reload();
    });
    source.addEventListener("ready", function () {
      window.clearTimeout(reconnectTimer);
      if (!reloading) {
        status(connection.dataset.live);
      }
      table.dataset.live = "true";
    });
    source.addEventListener("error", function () {
      // EventSource reconnects by itself (resuming from the last id); a server that
      // ends a stream on purpose is back at once, so only a longer gap is shown.
      window.clearTimeout(reconnectTimer);
      reconnectTimer = window.setTimeout(function () {
        table.dataset.live = "false";
        status(connection.dataset.reconnecting);
      }, 3000);
      if (source.readyState === EventSource.CLOSED) {
        // Refused (logged out, or the server was away too long): start again later.
        window.setTimeout(connect, 10000);
      }
    });
  }

  // -- keyboard ------------------------------------------------------------------------

  function links() {
    return Array.prototype.slice.call(body.querySelectorAll(".queue-link"));
  }

  function move(step) {
    var all = links();
    if (!all.length) {
      return;
    }
    var at = all.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    all[next].focus();
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    unlockAudio();
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (dialog && dialog.open) {
      return; // the dialog's own keys (Escape closes it)
    }
    var onRow = event.target && event.target.classList && event.target.classList.contains("queue-link");
    switch (event.key) {
      case "j":
      case "ArrowDown":
        if (event.key === "j" || onRow) {
          move(1);
          event.preventDefault();
        }
        break;
      case "k":
      case "ArrowUp":
        if (event.key === "k" || onRow) {
          move(-1);
          event.preventDefault();
        }
        break;
      case "m":
        toggleMute();
        event.preventDefault();
        break;
      case "r":
        if (receivingForm) {
          receivingForm.requestSubmit();
          event.preventDefault();
        }
        break;
      case "?":
        if (dialog && dialog.showModal) {
          dialog.showModal();
          event.preventDefault();
        }
        break;
      default:
        break;
    }
  });
  document.addEventListener("pointerdown", unlockAudio);

  // -- receiving ---------------------------------------------------------------------
  // While the operator receives, the console tells the centre it is still open, so
  // offers stay with this operator (and move on when the console is closed).
  var receivingForm = document.getElementById("receiving-form");
  if (receivingForm && receivingForm.dataset.receiving === "true") {
    var every = Number(receivingForm.dataset.heartbeatS || "30") * 1000;
    window.setInterval(function () {
      fetch(receivingForm.dataset.heartbeat, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": receivingForm.dataset.csrf, Accept: "application/json" },
      }).catch(function () {
        // Missed beats only end the offers after a while; the next one may get through.
      });
    }, every);
  }

  muteButton.hidden = false;
  showMute();
  muteButton.addEventListener("click", function () {
    unlockAudio();
    toggleMute();
  });

  // Times as Swedish time, the same text the server wrote.
  links().forEach(function (link) {
    var row = link.closest("tr");
    var time = row.querySelector("time");
    if (time) {
      time.textContent = localTime(time.getAttribute("datetime"));
    }
  });
  connect();
})();
