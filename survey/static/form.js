/* Progressive enhancement for questionnaires: every page works without this file.
   - shows a conditional question only while its condition holds;
   - saves each answer as it is given: one save in flight at a time, retried until the server
     has it, sent with keepalive so a reload or leaving the page does not cancel it; until the
     server answers, the page's answers wait in this tab's sessionStorage, so a reload puts them
     back (and sends them again) instead of losing them;
   - does not navigate (Next, Back, language, pause) while a save is on its way;
   - posts the page itself (Next, Back, language, pause) with fetch, the same body the form
     would send: on success it goes where the server's redirect says; when the server answers
     503 (the database is down) or cannot be reached, the page stays exactly as typed with a
     calm message, so the same tap sends it again (nothing of it is stored in the browser for
     this); any other answer (a page with errors, a refusal) is shown by posting the form the
     ordinary way;
   - on the citizen's tablet, locks the screen a little before the server would;
   - forms marked data-submit-once are sent once, however often they are tapped. */
(function () {
  "use strict";

  document.querySelectorAll("form[data-submit-once]").forEach(function (once) {
    once.addEventListener("submit", function (event) {
      if (once.dataset.sent) { event.preventDefault(); return; }
      once.dataset.sent = "1";
    });
  });

  var form = document.getElementById("questionnaire");
  var saver = null;

  if (form) {
    var blocks = form.querySelectorAll("[data-show-when]");
    var status = form.querySelector(".autosave-status");
    var storeKey = "survey-pending:" + form.dataset.autosaveUrl + ":" +
      (form.dataset.draft || "") + ":" + form.dataset.page;
    var CONTROL = { csrf_token: true, action: true, page: true, draft_key: true };

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

    var say = function (which) {
      if (status) { status.textContent = which ? status.dataset[which] || "" : ""; }
    };

    // What the page holds now, as [name, value] pairs of the answers only.
    var answers = function () {
      var pairs = [];
      new FormData(form).forEach(function (value, name) {
        if (!CONTROL[name]) { pairs.push([name, String(value)]); }
      });
      return pairs;
    };

    var remember = function () {
      try { window.sessionStorage.setItem(storeKey, JSON.stringify(answers())); } catch (e) { /* full or off */ }
    };
    var forget = function () {
      try { window.sessionStorage.removeItem(storeKey); } catch (e) { /* off */ }
    };

    // Answers a reload interrupted: put them back on the page, then save them (again).
    var restore = function () {
      var kept = null;
      try { kept = JSON.parse(window.sessionStorage.getItem(storeKey) || "null"); } catch (e) { kept = null; }
      if (!kept) { return false; }
      var byName = {};
      kept.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
      form.querySelectorAll("input, select, textarea").forEach(function (input) {
        if (!input.name || CONTROL[input.name]) { return; }
        var values = byName[input.name] || [];
        if (input.type === "radio" || input.type === "checkbox") {
          input.checked = values.indexOf(input.value) >= 0;
        } else if (input.tagName === "SELECT" && input.multiple) {
          Array.prototype.forEach.call(input.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
        } else {
          input.value = values.length ? values[0] : "";
        }
      });
      return true;
    };

    saver = (function () {
      var pending = false;   // answers changed since the last save was sent
      var inFlight = false;
      var stopped = false;   // the server will not take saves from this page any more
      var retry = 0;
      var timer = null;
      var waiters = [];

      var settle = function () {  // a page post waits only for a save already on its way
        if (!inFlight) {
          var done = waiters; waiters = [];
          done.forEach(function (fn) { fn(); });
        }
      };

      var send = function () {
        window.clearTimeout(timer);
        if (inFlight || !pending || stopped) { settle(); return; }
        pending = false;
        inFlight = true;
        remember();
        var data = new FormData(form);
        data.delete("action");
        var token = form.querySelector('[name="csrf_token"]');
        say("saving");
        fetch(form.dataset.autosaveUrl, {
          method: "POST", body: data, credentials: "same-origin", keepalive: true,
          headers: token ? { "X-CSRFToken": token.value } : {}
        }).then(function (response) {
          inFlight = false;
          if (response.ok) {
            retry = 0;
            if (!pending) { forget(); }
            say("saved");
          } else if (response.status === 423) {  // locked: nothing more is written from here
            stopped = true; forget(); window.location.reload(); return;
          } else if ([401, 403, 409].indexOf(response.status) >= 0) {
            stopped = true; say("");  // logged out or submitted: the page post says what next
          } else {
            pending = true; retry += 1; say("failed");
          }
          schedule();
        }, function () {
          inFlight = false; pending = true; retry += 1; say("failed"); schedule();
        });
      };

      var schedule = function (delay) {
        window.clearTimeout(timer);
        settle();
        if (stopped || !pending) { return; }
        var wait = delay !== undefined ? delay : Math.min(10000, retry ? 1000 * Math.pow(2, retry - 1) : 0);
        timer = window.setTimeout(send, wait);
      };

      return {
        changed: function (delay) { pending = true; remember(); schedule(delay); },
        flush: function () { if (pending) { send(); } },
        whenIdle: function (fn, limit) {
          if (!inFlight) { fn(); return; }
          var called = false;
          var once = function () { if (!called) { called = true; fn(); } };
          waiters.push(once);
          window.setTimeout(once, limit);  // never hold the citizen longer than this
        },
        cancel: function () { pending = false; stopped = true; window.clearTimeout(timer); forget(); },
        resume: function () { stopped = false; }  // the page post failed: the page is still here
      };
    }());

    var problem = form.querySelector(".save-problem");
    var showProblem = function (which) {
      if (!problem) { return; }
      problem.textContent = problem.dataset[which] || "";
      problem.hidden = false;
      problem.focus();
    };

    // The ordinary post, for the answers only the server's page can show (errors, refusals).
    var postNatively = function (submitter) {
      form.dataset.resubmit = "1";
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    };

    var failed = function (which) {
      delete form.dataset.going;  // the next tap sends the page again
      saver.resume();
      showProblem(which);
    };

    var postPage = function (submitter) {
      var data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
      if (problem) { problem.hidden = true; }
      fetch(form.getAttribute("action"), {  // form.action is its buttons named "action"
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Survey-Fetch": "1" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.ok && type.indexOf("application/json") === 0) {
          return response.json().then(function (reply) {
            if (reply.location) { window.location.assign(reply.location); } else { postNatively(submitter); }
          });
        }
        if (response.status === 503) { failed("unavailable"); return; }
        postNatively(submitter);
      }).catch(function () { failed("unreachable"); });
    };

    form.addEventListener("change", function () { applyConditions(); saver.changed(0); });
    form.addEventListener("input", function (event) {
      var t = event.target;
      if (t && (t.type === "text" || t.type === "number" || t.tagName === "TEXTAREA")) {
        saver.changed(700);
      }
    });
    form.addEventListener("submit", function (event) {
      if (form.dataset.resubmit) { delete form.dataset.resubmit; return; }  // our own, above
      event.preventDefault();
      if (form.dataset.going) { return; }  // a double tap: one post
      var submitter = event.submitter || null;
      form.dataset.going = "1";
      saver.whenIdle(function () {
        saver.cancel();  // the page post carries every answer on the page
        postPage(submitter);
      }, 4000);
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { delete form.dataset.going; }  // back from the browser's cache
    });
    window.addEventListener("pagehide", function () { saver.flush(); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { saver.flush(); }
    });
    applyConditions();
    if (restore()) { applyConditions(); saver.changed(0); }
  }

  // The server locks an idle tablet after data-idle-seconds; the page locks a little earlier,
  // posting the page itself so what is on the screen travels with the lock.
  var idle = Number(document.body.dataset.idleSeconds || 0);
  var lock = document.getElementById("idle-lock");
  if (idle > 0 && lock) {
    var lead = Math.min(30, idle / 10);
    var timer = null;
    var restart = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (form) {
          var action = document.createElement("input");
          action.type = "hidden"; action.name = "action"; action.value = "lock";
          form.appendChild(action);
          form.dataset.going = "1";
          if (saver) { saver.cancel(); }
          form.submit();
        } else {
          lock.submit();
        }
      }, (idle - lead) * 1000);
    };
    ["pointerdown", "keydown", "input", "touchstart", "scroll"].forEach(function (name) {
      document.addEventListener(name, restart, { passive: true });
    });
    restart();
  }
}());
