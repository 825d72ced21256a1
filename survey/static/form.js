/* Progressive enhancement for questionnaires: every page works without this file.
   - shows a conditional question only while its condition holds;
   - saves the answers on the page every few seconds and when the page is left;
   - on the citizen's tablet, locks the screen after a while without activity. */
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  var dirty = false;

  function payload() {
    var data = new FormData(form);
    data.delete("action");
    return data;
  }

  function saveNow() {
    if (!form || !dirty || !navigator.sendBeacon) { return; }
    dirty = !navigator.sendBeacon(form.dataset.autosaveUrl, payload());
  }

  if (form) {
    var blocks = form.querySelectorAll("[data-show-when]");
    var status = form.querySelector(".autosave-status");

    var chosen = function (name) {
      var values = [];
      form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
        if ((input.type !== "radio" && input.type !== "checkbox") || input.checked) {
          values.push(input.value);
        }
      });
      return values;
    };

    var applyConditions = function () {
      blocks.forEach(function (block) {
        var wanted = block.dataset.showValues.split(",");
        var on = chosen(block.dataset.showWhen).some(function (v) { return wanted.indexOf(v) >= 0; });
        block.hidden = !on;
        block.querySelectorAll(".condition-hint").forEach(function (hint) { hint.hidden = true; });
      });
    };

    var autosave = function () {
      if (!dirty) { return; }
      dirty = false;
      var token = form.querySelector('[name="csrf_token"]');
      fetch(form.dataset.autosaveUrl, {
        method: "POST", body: payload(), credentials: "same-origin",
        headers: token ? { "X-CSRFToken": token.value } : {}
      }).then(function (response) {
        if (response.status === 423) { window.location.reload(); return; }
        if (!response.ok) { dirty = true; }
        if (status) { status.textContent = response.ok ? status.dataset.saved || "" : ""; }
      }).catch(function () { dirty = true; });
    };

    form.addEventListener("change", function () { applyConditions(); dirty = true; });
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    applyConditions();
    window.setInterval(autosave, 5000);
    window.addEventListener("pagehide", saveNow);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { saveNow(); }
    });
    document.querySelectorAll("form.language").forEach(function (other) {
      other.addEventListener("submit", saveNow);
    });
  }

  var idle = Number(document.body.dataset.idleSeconds || 0);
  var lock = document.getElementById("idle-lock");
  if (idle > 0 && lock && !/\/kiosk\/locked$/.test(window.location.pathname)) {
    var timer = null;
    var restart = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (form) {  // post the page itself, so what is on the screen is saved before the lock
          var action = document.createElement("input");
          action.type = "hidden"; action.name = "action"; action.value = "lock";
          form.appendChild(action);
          dirty = false;
          form.submit();
        } else {
          lock.submit();
        }
      }, idle * 1000);
    };
    ["pointerdown", "keydown", "input", "touchstart", "scroll"].forEach(function (name) {
      document.addEventListener(name, restart, { passive: true });
    });
    restart();
  }
}());
