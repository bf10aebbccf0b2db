// The ticket page, live: the server sends the ticket's status ("status" events) each time
// it changes; the page redraws the same elements the server rendered. No libraries.
(() => {
  "use strict";
  const root = document.getElementById("ticket");
  if (!root || typeof EventSource === "undefined") return;  // the page still refreshes itself
  const token = root.dataset.token;
  const FINAL = ["finished", "no_show", "cancelled"];
  const WAITING = ["waiting", "transferred"];
  const SHOW_OFFLINE_AFTER_MS = 3000;
  const RETRY_CLOSED_MS = 5000;
  const byId = (id) => document.getElementById(id);
  const hall = document.querySelector(".hall-name").textContent;
  let status = JSON.parse(root.dataset.status);
  let source = null;
  let offlineTimer = null;

  function hint(next) {
    if (WAITING.includes(next.state)) {
      return next.people_ahead === 0 ? "下一位就是您，请留意叫号。" : "请在大厅内等候，留意叫号屏和广播。";
    }
    return {
      held: "您的号码已挂起，工作人员会再次呼叫，请留在大厅。",
      finished: "业务已办结，感谢您的耐心等候。",
      no_show: "过号无效，请重新取号。",
      cancelled: "此号码已作废，如需办理请重新取号。",
    }[next.state] || "";
  }

  function callNote(next) {
    if (next.state === "called" && next.call_count > 1) return `第 ${next.call_count} 次呼叫，请尽快前往`;
    return next.window_name || "";
  }

  function apply(next) {
    const previous = status;
    status = next;
    const atWindow = (next.state === "called" || next.state === "serving") && next.window;
    root.dataset.state = next.state;
    byId("number").textContent = next.number;
    byId("service").textContent = next.service_name;
    byId("state").textContent = next.state_text;
    byId("state").dataset.state = next.state;
    byId("call").hidden = !atWindow;
    if (atWindow) {
      const text = byId("call-text");
      const windowNumber = document.createElement("strong");
      windowNumber.id = "call-window";
      windowNumber.textContent = String(next.window);
      text.replaceChildren(next.state === "serving" ? "正在 " : "请到 ", windowNumber, " 号窗口办理");
      byId("call-note").textContent = callNote(next);
    }
    byId("wait").hidden = !WAITING.includes(next.state);
    byId("ahead").textContent = String(next.people_ahead);
    byId("minutes").textContent = String(next.wait_minutes);
    byId("hint").textContent = hint(next);
    document.title = atWindow && next.state === "called"
      ? `请到${next.window}号窗口 · ${next.number} · ${hall}`
      : `${next.number} · ${next.state_text} · ${hall}`;
    const called = next.state === "called"
      && (previous.state !== "called" || next.call_count > previous.call_count);
    if (called && navigator.vibrate) navigator.vibrate([400, 200, 400]);
    if (FINAL.includes(next.state)) stop();
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
    current.onopen = () => { setOffline(false); refetch(); };
    current.onerror = () => {
      if (current !== source) return;
      setOffline(true);
      if (current.readyState === EventSource.CLOSED) {  // refused, not just dropped: retry later
        source = null;
        setTimeout(connect, RETRY_CLOSED_MS);
      }
    };
  }

  // Phones freeze background tabs: catch up as soon as the visitor looks again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !FINAL.includes(status.state)) refetch();
  });
  connect();
})();
