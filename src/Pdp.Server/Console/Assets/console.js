// Pdp reviewer console. Plain script, loaded from this origin only (the CSP allows no inline script).
// It keeps times ticking, swaps in the queue when the live stream says it changed, and checks the form before it is
// sent; the server checks everything again, so nothing here is a security boundary.
"use strict";

(function () {
  const body = document.body;
  const skew = Number(body.dataset.serverNow || Date.now()) - Date.now();
  const now = () => Date.now() + skew;

  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min";
    const h = Math.floor(m / 60);
    if (h < 24) return h + " h " + (m % 60) + " min";
    return Math.floor(h / 24) + " d " + (h % 24) + " h";
  }

  function tick() {
    document.querySelectorAll("[data-since]").forEach(el => { el.textContent = duration(now() - Number(el.dataset.since)); });
    document.querySelectorAll("[data-until]").forEach(el => {
      const left = Number(el.dataset.until) - now();
      el.textContent = left > 0 ? duration(left) : "expired";
    });
    stampNotice();
  }

  // Rubber stamps: say, before anything is sent, whether an approval now would be flagged.
  function stampNotice() {
    const form = document.getElementById("decide");
    const notice = document.getElementById("stamp-notice");
    const open = document.getElementById("open-for");
    if (!form || !notice || !open) return;
    const min = Number(form.dataset.minSeconds || 0);
    const seconds = (now() - Number(open.dataset.since)) / 1000;
    const soon = seconds < min;
    notice.classList.toggle("warn", soon);
    notice.textContent = soon
      ? "Approving now will be flagged as a rubber stamp: this page was first shown to you " + Math.floor(seconds) + " s ago, and approvals sooner than " + min + " s are recorded as rubber stamps in the audit trail and the metrics."
      : "This page has been open long enough (" + min + " s) for an approval not to be flagged as a rubber stamp.";
  }

  function checkForm(event) {
    const form = event.target;
    const error = document.getElementById("form-error");
    const outcome = event.submitter ? event.submitter.value : "";
    const justification = form.elements.justification.value.trim();
    let problem = "";
    if ((outcome === "rejected" || outcome === "modified") && justification === "") {
      problem = "Write a justification: it is required to reject or modify an action.";
    } else if (outcome === "modified") {
      try {
        const parsed = JSON.parse(form.elements.parameters.value);
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          problem = "The parameters must be a JSON object, such as {\"amount\": 10}.";
        } else if (Object.keys(parsed).length === 0) {
          problem = "The parameters must not be empty: a modified action carries its parameters as you changed them.";
        }
      } catch (e) {
        problem = "The parameters are not valid JSON (" + e.message + ").";
      }
    }
    if (problem) {
      event.preventDefault();
      error.textContent = problem;
      error.hidden = false;
    } else {
      error.hidden = true;
    }
  }

  function liveQueue() {
    const rows = document.getElementById("queue-rows");
    const live = document.getElementById("live");
    if (!rows || !window.EventSource) return;
    let refreshing = false;
    let again = false;
    async function refresh() {
      if (refreshing) { again = true; return; }
      refreshing = true;
      try {
        const answer = await fetch(rows.dataset.rowsUrl, { credentials: "same-origin", cache: "no-store" });
        if (answer.ok) {
          // Server-rendered, HTML-encoded rows from this origin; scripts inside innerHTML never run.
          rows.innerHTML = await answer.text();
          tick();
        }
      } finally {
        refreshing = false;
        if (again) { again = false; refresh(); }
      }
    }
    let opened = false;
    const events = new EventSource(rows.dataset.eventsUrl);
    events.addEventListener("ready", () => {
      live.textContent = "Live: this list updates by itself.";
      live.classList.add("on");
      // After a reconnect, changes may have been missed while the stream was down.
      if (opened) refresh();
      opened = true;
    });
    events.addEventListener("queue", refresh);
    events.onerror = () => { live.textContent = "Live updates interrupted; reconnecting…"; live.classList.remove("on"); };
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("decide");
    if (form) form.addEventListener("submit", checkForm);
    liveQueue();
    tick();
    setInterval(tick, 1000);
  });
})();
