// The ticket page, live: the server sends the ticket's status ("status" events) each time
// it changes; the page redraws the same elements the server rendered. Once the ticket is
// finished and not rated, it offers the rating. No libraries. Its words come from the page
// (data-texts), in the visitor's language.
(() => {
  "use strict";
  const root = document.getElementById("ticket");
  if (!root || typeof EventSource === "undefined") return;  // the page still refreshes itself
  const token = root.dataset.token;
  const FINAL = ["finished", "no_show", "cancelled"];
  const WAITING = ["waiting", "transferred"];
  const SHOW_OFFLINE_AFTER_MS = 3000;
  const RETRY_CLOSED_MS = 5000;  // first retry of a refused stream; doubles up to a minute
  const RETRY_CLOSED_MAX_MS = 60000;
  let refusals = 0;  // refused streams in a row (the server full: 503, restarting)
  const byId = (id) => document.getElementById(id);
  const hall = document.querySelector(".hall-name").textContent;
  let status = JSON.parse(root.dataset.status);
  const TEXTS = JSON.parse(root.dataset.texts);
  const english = root.dataset.lang === "en";
  const fill = (text, name, value) => text.split(`{${name}}`).join(String(value));
  let source = null;
  let offlineTimer = null;

  function hint(next) {
    if (WAITING.includes(next.state)) {
      return next.people_ahead === 0 ? TEXTS.next : TEXTS.wait;
    }
    return ["held", "finished", "no_show", "cancelled"].includes(next.state) ? TEXTS[next.state] : "";
  }

  function callNote(next) {
    if (next.state === "called" && next.call_count > 1) return fill(TEXTS.call_again, "count", next.call_count);
    return next.window_name || "";
  }

  function apply(next) {
    const previous = status;
    status = next;
    const atWindow = (next.state === "called" || next.state === "serving") && next.window;
    root.dataset.state = next.state;
    byId("number").textContent = next.number;
    byId("service").textContent = (english && next.service_name_en) || next.service_name;
    const stateText = TEXTS.states[next.state] || next.state_text;
    byId("state").textContent = stateText;
    byId("state").dataset.state = next.state;
    byId("call").hidden = !atWindow;
    if (atWindow) {
      const text = byId("call-text");
      const windowNumber = document.createElement("strong");
      windowNumber.id = "call-window";
      windowNumber.textContent = String(next.window);
      const [before, after] = (next.state === "serving" ? TEXTS.served_at : TEXTS.go_to).split("{window}");
      text.replaceChildren(before, windowNumber, after);
      byId("call-note").textContent = callNote(next);
    }
    byId("wait").hidden = !WAITING.includes(next.state);
    byId("ahead").textContent = String(next.people_ahead);
    byId("minutes").textContent = String(next.wait_minutes);
    byId("hint").textContent = hint(next);
    document.title = atWindow && next.state === "called"
      ? `${fill(TEXTS.title_called, "window", next.window)} · ${next.number} · ${hall}`
      : `${next.number} · ${stateText} · ${hall}`;
    const called = next.state === "called"
      && (previous.state !== "called" || next.call_count > previous.call_count);
    if (called && navigator.vibrate) navigator.vibrate([400, 200, 400]);
    if (FINAL.includes(next.state)) stop();
    offerRating();
  }

  function setOffline(offline) {
    clearTimeout(offlineTimer);
    byId("connection").hidden = !offline;
  }

  async function refetch() {
    try {
      const response = await fetch(`/t/${encodeURIComponent(token)}/status`,
                                   {cache: "no-store", headers: {Accept: "application/json"}});
      if (response.ok) apply(await response.json());
    } catch (error) {
      // Offline: the event stream's own reconnection brings the page back.
    }
  }

  function stop() {
    if (source) source.close();
    source = null;
    setOffline(false);
  }

  function connect() {
    if (FINAL.includes(status.state)) return;
    source = new EventSource(`/t/${encodeURIComponent(token)}/events`);
    const current = source;
    offlineTimer = setTimeout(() => { if (current.readyState !== EventSource.OPEN) setOffline(true); },
                              SHOW_OFFLINE_AFTER_MS);
    current.addEventListener("status", (event) => apply(JSON.parse(event.data)));
    // (Re)connected: anything missed while away is fetched in one go.
    current.onopen = () => { refusals = 0; setOffline(false); refetch(); };
    current.onerror = () => {
      if (current !== source) return;
      setOffline(true);
      if (current.readyState === EventSource.CLOSED) {  // refused, not just dropped: retry later
        source = null;  // growing and spread out, so a full server is not hit all at once
        const delay = Math.min(RETRY_CLOSED_MS * 2 ** refusals, RETRY_CLOSED_MAX_MS);
        refusals += 1;
        setTimeout(connect, delay * (1 + Math.random() / 2));
      }
    };
  }

  // -- the rating (好差评): offered once the ticket is finished, voluntary, once per ticket --
  const rate = byId("rate");
  const submitButton = byId("submit");
  const comment = byId("comment");
  const COMMENT_MAX = Number(rate.dataset.commentMax);
  const MESSAGES = TEXTS;
  let reasonsByLevel = null;  // level -> reasons offered, from /api/v1/ratings/levels
  let loadingLevels = null;
  let chosen = null;
  const picked = new Set();
  let skipped = false;
  let sending = false;

  function showError(message) {
    const notice = byId("rate-error");
    notice.textContent = message;
    notice.hidden = !message;
    if (message) notice.scrollIntoView({block: "nearest"});
  }

  function offerRating() {
    const open = status.state === "finished" && !status.rated;
    rate.hidden = !open || skipped;
    byId("later").hidden = !open || !skipped;
    byId("thanks").hidden = !status.rated;
    if (open && !reasonsByLevel) loadLevels();
  }

  function loadLevels() {
    loadingLevels = loadingLevels || (async () => {
      try {
        const response = await fetch("/api/v1/ratings/levels", {headers: {Accept: "application/json"}});
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.json();
        // Each reason as [what is sent (the Chinese), what the visitor reads].
        reasonsByLevel = new Map(body.levels.map((entry) => [entry.level, entry.reasons.map(
          (reason, index) => [reason, (english && (entry.reasons_en || [])[index]) || reason])]));
        showReasons();
      } catch (error) {
        if (chosen !== null) showError(MESSAGES.levels_failed);
      } finally {
        loadingLevels = null;
      }
    })();
    return loadingLevels;
  }

  function showReasons() {
    const reasons = (chosen !== null && reasonsByLevel && reasonsByLevel.get(chosen)) || [];
    byId("reasons").replaceChildren(...reasons.map(([reason, shown]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "reason";
      button.textContent = shown;
      button.setAttribute("aria-pressed", String(picked.has(reason)));
      button.addEventListener("click", () => {
        if (picked.has(reason)) picked.delete(reason); else picked.add(reason);
        button.setAttribute("aria-pressed", String(picked.has(reason)));
      });
      return button;
    }));
    byId("reasons-label").hidden = reasons.length === 0;
  }

  function choose(level) {
    chosen = level;
    picked.clear();
    showError("");
    for (const button of rate.querySelectorAll(".level")) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.level) === level));
    }
    byId("details").hidden = false;
    submitButton.hidden = false;
    showReasons();
    if (!reasonsByLevel) loadLevels();
    byId("details").scrollIntoView({block: "nearest"});
  }

  function countComment() {
    const length = [...comment.value].length;
    byId("counter").textContent = `${length}/${COMMENT_MAX}`;
    byId("counter").classList.toggle("over", length > COMMENT_MAX);
  }

  function refusal(statusCode, body) {
    const message = (english && body.message_en) || body.message;
    if (typeof message === "string" && message) return message;
    if (statusCode === 422 && Array.isArray(body.details)) {
      const fields = body.details.map((detail) => String(detail.field || ""));
      if (fields.some((name) => name.includes("comment"))) return MESSAGES.comment_too_long;
      if (fields.some((name) => name.includes("reasons"))) return MESSAGES.bad_reason;
      if (fields.some((name) => name.includes("level"))) return MESSAGES.bad_level;
      return MESSAGES.invalid;
    }
    return statusCode >= 500 ? MESSAGES.server : MESSAGES.invalid;
  }

  function thank(level, note) {
    status.rated = true;
    const name = level === null ? "" : rate.querySelector(`.level[data-level="${level}"] .level-name`).textContent;
    byId("thanks-text").textContent = note
      || fill(level <= 2 ? TEXTS.thanks_bad : TEXTS.thanks, "level", name);
    offerRating();
  }

  async function submit() {
    if (sending || chosen === null) return;
    if ([...comment.value].length > COMMENT_MAX) {
      showError(MESSAGES.comment_too_long);
      comment.focus();
      return;
    }
    sending = true;
    submitButton.disabled = true;
    submitButton.querySelector(".submit-label").textContent = TEXTS.sending;
    showError("");
    try {
      const response = await fetch(`/t/${encodeURIComponent(token)}/rating`, {
        method: "POST", cache: "no-store",
        headers: {"Content-Type": "application/json", Accept: "application/json"},
        body: JSON.stringify({level: chosen, reasons: [...picked], comment: comment.value}),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) thank(chosen, "");
      else if (body.error === "already_rated") thank(null, (english && body.message_en) || body.message);  // rated elsewhere
      else showError(refusal(response.status, body));
    } catch (error) {
      showError(MESSAGES.offline);  // nothing is lost: the choices stay on the page
    } finally {
      sending = false;
      submitButton.disabled = false;
      submitButton.querySelector(".submit-label").textContent = TEXTS.submit;
    }
  }

  for (const button of rate.querySelectorAll(".level")) {
    button.addEventListener("click", () => choose(Number(button.dataset.level)));
  }
  comment.addEventListener("input", countComment);
  submitButton.addEventListener("click", submit);
  byId("skip").addEventListener("click", () => { skipped = true; offerRating(); });
  byId("rate-again").addEventListener("click", () => { skipped = false; offerRating(); });

  // Phones freeze background tabs: catch up as soon as the visitor looks again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !FINAL.includes(status.state)) refetch();
  });
  offerRating();
  connect();
})();
