// The queue console (window staff, data-mode="console") and the supervisor's hall view
// (data-mode="hall"). Both draw the board JSON of GET /api/v1/queue/staff/board, follow the
// hall's feed with an EventSource and refetch the board after any change. Every action is
// a fetch() POST with the session's CSRF header; API refusals appear in the alert area.
(() => {
  "use strict";
  const app = document.getElementById("queue-app");
  if (!app) return;

  const API = "/api/v1/queue";
  const CSRF = app.dataset.csrf;
  const MODE = app.dataset.mode;
  // Feed entries are named by what happened; an EventSource only hears names it listens to.
  // protocol.enums.QueueEventKind (past tense), except notices_changed: the console shows none
  const EVENT_KINDS = ["issued", "called", "recalled", "resumed", "started", "finished", "no_show",
                       "no_show_undone", "held", "transferred", "registered", "window_changed", "day_closed",
                       "help_requested", "help_acknowledged"];
  const REFRESH_DEBOUNCE_MS = 100;
  const SAFETY_REFRESH_MS = 30000;  // wait estimates age, and a feed kind may be new to us
  const RETRY_REFUSED_MS = 5000;  // first retry of a refused stream; doubles up to a minute
  const RETRY_REFUSED_MAX_MS = 60000;
  const DONE_VISIBLE_MS = 6000;
  const UNDO_SECONDS = 10;  // 过号 can be taken back this long (the server allows a little more)
  const MAX_LISTED = 40;
  const WINDOW_KEY = "hallkiosk.queue.window";
  const STATE_WORDS = {waiting: "等候中", transferred: "转入等候", called: "已叫号",
                       serving: "正在办理", held: "已挂起", finished: "已办结",
                       no_show: "已过号", cancelled: "已作废"};
  const WINDOW_WORDS = {open: "开放", paused: "暂停服务", closed: "关闭"};
  const PRIORITY_WORDS = {green: "绿色通道", appointment: "预约"};
  const FIELD_WORDS = {name: "来访人姓名", phone: "联系方式", matter: "来访事项",
                       process: "办理过程", result: "办理结果", reason: "暂停原因",
                       number: "号码"};
  const LIVE_WORDS = {connecting: "正在连接…", open: "实时更新中",
                      lost: "连接中断，正在重新连接…"};
  const TIME = new Intl.DateTimeFormat("zh-CN", {timeZone: "Asia/Shanghai", hour: "2-digit",
                                                 minute: "2-digit", hour12: false});
  const WEEKDAY_TIME = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", weekday: "short", hour: "2-digit", minute: "2-digit",
    hour12: false});

  const byId = (id) => document.getElementById(id);
  let board = ordered(JSON.parse(byId("board-data").textContent));

  // Services in prefix order (A, B, C ...), as visitors know them from their tickets.
  function ordered(data) {
    data.services.sort((a, b) => a.prefix.localeCompare(b.prefix));
    return data;
  }

  // -- small helpers -------------------------------------------------------------------

  // An element with properties and children; text is always text, never parsed as HTML.
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "disabled" || key === "hidden") node[key] = true;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    node.append(...children.flat().filter((child) => child !== null && child !== undefined
                                          && child !== false));
    return node;
  }

  const clock = (iso) => (iso ? TIME.format(new Date(iso)) : "");
  const serviceName = (code) => (board.services.find((s) => s.code === code) || {name: code}).name;
  const windowNumberOfId = (id) => (board.windows.find((w) => w.id === id) || {}).number;

  function windowStateText(win) {
    if (win.state === "paused") return `暂停服务（${win.pause_reason || "未说明原因"}）`;
    return WINDOW_WORDS[win.state] || win.state;
  }

  function statePill(win) {
    return h("span", {class: `pill window-${win.state}`, dataset: {state: win.state}},
             windowStateText(win));
  }

  // -- messages ------------------------------------------------------------------------

  const alertBox = byId("queue-alert");
  const doneBox = byId("queue-done");
  let doneTimer = null;
  const openDialog = () => document.querySelector("dialog[open]");

  function showError(text) {
    const dialog = openDialog();
    const box = dialog ? dialog.querySelector(".dialog-alert") : alertBox;
    box.textContent = text;
    box.hidden = false;
    if (doneBox) doneBox.hidden = true;
  }

  function clearErrors() {
    for (const box of document.querySelectorAll("#queue-alert, .dialog-alert")) {
      box.hidden = true;
      box.textContent = "";
    }
  }

  function showDone(text, ...extra) {
    if (!doneBox) return;
    clearInterval(undoTimer);
    doneBox.replaceChildren(text, ...extra);
    doneBox.hidden = false;
    clearTimeout(doneTimer);
    doneTimer = setTimeout(() => { doneBox.hidden = true; }, DONE_VISIBLE_MS);
  }

  // After 过号: the message offers 撤销 for UNDO_SECONDS, counting down.
  let undoTimer = null;
  function offerUndo(win, ticket) {
    let left = UNDO_SECONDS;
    const button = h("button", {type: "button", class: "button small-button", id: "undo-no-show",
                                onclick: () => undoNoShow(win, ticket)}, `撤销（${left}）`);
    showDone(`${ticket.number} 已过号。`, button);
    clearTimeout(doneTimer);
    undoTimer = setInterval(() => {
      left -= 1;
      button.textContent = `撤销（${left}）`;
      if (left <= 0) {
        clearInterval(undoTimer);
        doneBox.textContent = `${ticket.number} 已过号，可在“今日过号”中回呼。`;
        doneTimer = setTimeout(() => { doneBox.hidden = true; }, DONE_VISIBLE_MS);
      }
    }, 1000);
  }

  async function undoNoShow(win, ticket) {
    clearInterval(undoTimer);
    const result = await act(win.number, `/tickets/${ticket.id}/undo_no_show`);
    if (result) showDone(`已撤销过号，${result.number} 仍在本窗口。`);
    app.querySelector(".window-panel").focus();  // the undo button is gone: back to the panel
  }

  function errorText(status, data) {
    if (data && data.message) {
      const about = data.about !== undefined ? data.about : data.detail;  // what it concerns
      const detail = typeof about === "string" ? about : "";
      if (data.error === "bad_visitor" && detail) {
        const fields = detail.split(", ").map((field) => FIELD_WORDS[field] || field);
        return `${data.message.replace(/。$/, "")}：${fields.join("、")}。`;
      }
      return /^[A-Z]{1,2}\d{3}$/.test(detail) ? `${data.message}（${detail}）` : data.message;
    }
    if (status === 401) return "登录已过期，请刷新页面后重新登录。";
    if (status === 403 && data && /CSRF/.test(String(data.detail))) {
      return "安全令牌已失效，请刷新页面后重试。";
    }
    if (status === 403) return "您的账号没有执行此操作的权限。";
    if (status === 422 && data && Array.isArray(data.details)) {
      const fields = data.details.map((d) => FIELD_WORDS[String(d.field).split(".").pop()])
        .filter(Boolean);
      return `提交的内容不完整或格式不对${fields.length ? `：${fields.join("、")}` : ""}。`;
    }
    return `操作没有完成（HTTP ${status}），请稍后重试。`;
  }

  let lastRefusal = null;  // the body of the last refused request, to point at fields

  async function post(path, body) {
    let response;
    try {
      response = await fetch(API + path, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: {"Content-Type": "application/json", Accept: "application/json",
                  "X-CSRF-Token": CSRF},
        body: JSON.stringify(body || {})});
    } catch (error) {
      showError("网络连接失败，操作没有完成，请稍后重试。");
      return null;
    }
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    lastRefusal = response.ok ? null : data;
    if (!response.ok) {
      showError(errorText(response.status, data));
      return null;
    }
    clearErrors();
    return data || {};
  }

  // -- the board, live -----------------------------------------------------------------

  let refreshTimer = null;
  let refreshing = false;
  let refreshAgain = false;
  let actionsDone = 0;  // counts finished actions, so a board fetched before one is not drawn

  function scheduleRefresh(delay = REFRESH_DEBOUNCE_MS) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, delay);
  }

  async function refresh() {
    if (refreshing) { refreshAgain = true; return; }  // one at a time, so answers stay in order
    refreshing = true;
    const startedAfter = actionsDone;
    try {
      const response = await fetch(`${API}/staff/board`, {
        cache: "no-store", credentials: "same-origin", headers: {Accept: "application/json"}});
      if (response.ok) {
        const fresh = ordered(await response.json());
        // The queue moved on: an old refusal ("nobody is waiting") no longer holds.
        if (fresh.last_event_id > board.last_event_id && !openDialog()) clearErrors();
        // Asked for before an action ended, it is older than what the page shows: ask again
        // (an action under way asks by itself when it ends).
        if (startedAfter !== actionsDone && !busy) refreshAgain = true;
        else if (!busy) {
          board = fresh;
          render();
        }
      } else if (response.status === 401 || response.status === 403) {
        let data = null;
        try { data = await response.json(); } catch (error) { data = null; }
        showError(errorText(response.status, data));
      }
    } catch (error) {
      // Offline: the connection indicator says so and the feed reconnects by itself.
    } finally {
      refreshing = false;
      if (refreshAgain) { refreshAgain = false; scheduleRefresh(0); }
    }
  }

  const live = byId("live");
  function setLive(state) {
    live.dataset.state = state;
    byId("live-text").textContent = LIVE_WORDS[state];
  }

  let source = null;
  let refusals = 0;  // refused streams in a row (signed out, restarting, server full: 503)
  function connect() {
    // ?after= picks up from the board the page drew; on its own reconnections the browser
    // sends Last-Event-ID instead, so nothing in between is lost.
    const current = new EventSource(`${API}/staff/events?after=${board.last_event_id}`);
    let dropped = false;
    source = current;
    setLive("connecting");
    current.onopen = () => {
      refusals = 0;
      setLive("open");
      if (dropped) scheduleRefresh();
    };
    current.onerror = () => {
      dropped = true;
      setLive("lost");
      if (current.readyState === EventSource.CLOSED && current === source) {
        source = null;  // refused (signed out, server restarting): try again ourselves
        refresh();
        // Growing and spread out, so a full server is not hit by every console at once.
        const delay = Math.min(RETRY_REFUSED_MS * 2 ** refusals, RETRY_REFUSED_MAX_MS);
        refusals += 1;
        setTimeout(connect, delay * (1 + Math.random() / 2));
      }
    };
    for (const kind of EVENT_KINDS) current.addEventListener(kind, () => scheduleRefresh());
    current.onmessage = () => scheduleRefresh();
  }

  function render() {
    renderHelp();
    if (MODE === "hall") renderHall();
    else renderConsole();
  }

  // -- 呼叫工作人员: visitors waiting for staff, on both pages ----------------------------

  function renderHelp() {
    const list = byId("help-alerts");
    const alerts = board.help || [];
    list.hidden = alerts.length === 0;
    list.replaceChildren(...alerts.map((alert) => h("li", {class: "help-alert",
                                                          dataset: {alert: alert.id}},
      h("p", {class: "help-text"}, `${alert.terminal}有访客需要帮助`),
      h("p", {class: "help-meta"},
        `所在页面：${alert.title || alert.screen} · ${clock(alert.at)} 呼叫`),
      h("button", {type: "button", class: "button good",
                   onclick: () => acknowledgeHelp(alert)}, "已处理"))));
  }

  async function acknowledgeHelp(alert) {
    const done = await post(`/help/${alert.id}/acknowledge`);
    if (done === null) return;
    board.help = (board.help || []).filter((item) => item.id !== alert.id);
    renderHelp();
    scheduleRefresh();
  }

  // -- the hall view (supervisor) ------------------------------------------------------

  function renderHall() {
    const windows = board.windows;
    const waitingTotal = board.services.reduce((sum, service) => sum + service.waiting, 0);
    const count = (state) => windows.filter((w) => w.state === state).length;
    byId("hall-summary").replaceChildren(
      h("li", {class: "good"}, h("strong", {}, String(count("open"))), "开放窗口"),
      h("li", {class: count("paused") ? "warn" : ""}, h("strong", {}, String(count("paused"))),
        "暂停服务"),
      h("li", {}, h("strong", {}, String(count("closed"))), "关闭"),
      h("li", {}, h("strong", {}, String(waitingTotal)), "等候人数"));

    byId("hall-windows").replaceChildren(...windows.map((win) => {
      const ticket = win.current;
      return h("tr", {dataset: {window: win.number}},
        h("td", {class: "window-number"}, `${win.number} 号`),
        h("td", {}, win.name),
        h("td", {class: "window-state"}, statePill(win)),
        h("td", {}, win.staff_name || win.staff || h("span", {class: "muted"}, "—")),
        h("td", {class: "window-current"}, ticket
          ? [h("strong", {class: "current-number-small"}, ticket.number), " ",
             h("span", {class: "muted small"}, STATE_WORDS[ticket.state] || ticket.state),
             ticket.call_count > 1 ? h("span", {class: "pill recall"}, "重呼") : null]
          : h("span", {class: "muted"}, "—")),
        h("td", {class: "small"}, win.services.map(serviceName).join("、")));
    }));

    byId("hall-services").replaceChildren(...board.services.map((service) => {
      const late = service.open && service.waiting > 0 && service.wait_minutes > service.target_wait;
      return h("tr", {dataset: {service: service.code}},
        h("td", {}, service.name, h("small", {}, service.prefix)),
        h("td", {class: "waiting-count"}, `${service.waiting} 人`),
        h("td", {class: late ? "late" : ""}, `约 ${service.wait_minutes} 分钟`,
          late ? h("span", {class: "pill late"}, "超出目标") : null),
        h("td", {}, `${service.target_wait} 分钟`),
        h("td", {class: "small"}, service.open ? "办理中"
          : `未到办理时间${service.opens_at ? `（${WEEKDAY_TIME.format(new Date(service.opens_at))} 开始）` : ""}`));
    }));

    const calls = board.recent_calls;
    byId("recent-empty").hidden = calls.length > 0;
    byId("recent-calls").replaceChildren(...calls.map((call) => h("li", {},
      h("strong", {}, call.number), ` → ${call.window} 号窗口`,
      call.recall ? h("span", {class: "pill recall"}, "重呼") : null,
      h("span", {class: "muted small call-time"}, clock(call.at)))));
  }

  // -- the window console (staff) ------------------------------------------------------

  let windowNumber = Number(sessionStorage.getItem(WINDOW_KEY)) || null;
  let choosing = false;  // the staff member asked to see the window list again
  let busy = false;
  let lastFinished = null;  // {id, number, window}: the ledger may still be filled in for it
  let ledgerTicketId = null;
  let ledgerDirty = false;  // typed into the 台账 since it was last saved or cleared

  const mine = (win) => Boolean(win) && win.staff === board.me.username && win.state !== "closed";
  const selectedWindow = () => {
    const win = board.windows.find((w) => w.number === windowNumber);
    return mine(win) ? win : null;
  };

  function selectWindow(number) {
    windowNumber = number;
    choosing = false;
    if (number === null) sessionStorage.removeItem(WINDOW_KEY);
    else sessionStorage.setItem(WINDOW_KEY, String(number));
  }

  function renderConsole() {
    let win = choosing ? null : selectedWindow();
    if (!win && !choosing && windowNumber === null) {
      const own = board.windows.filter(mine);  // signed in earlier, e.g. before a reload
      if (own.length === 1) { selectWindow(own[0].number); win = own[0]; }
    }
    byId("chooser").hidden = Boolean(win);
    byId("desk").hidden = !win;
    if (win) renderDesk(win);
    else renderChooser();
  }

  function renderChooser() {
    byId("window-cards").replaceChildren(...board.windows.map((win) => {
      const own = mine(win);
      const taken = !own && Boolean(win.staff) && win.state !== "closed";
      const label = own ? `进入 ${win.number} 号窗口` : taken ? "他人使用中"
        : `登录 ${win.number} 号窗口`;
      return h("li", {class: "window-card", dataset: {window: win.number}},
        h("h3", {}, `${win.number} 号窗口`, h("small", {}, win.name)),
        h("p", {class: "muted small"}, `办理：${win.services.map(serviceName).join("、")}`),
        h("p", {}, statePill(win), win.staff ? h("span", {class: "muted small"}, win.staff_name || win.staff) : null),
        h("button", {type: "button", class: own ? "button" : "button primary",
                     disabled: taken || busy, onclick: () => chooseWindow(win)}, label));
    }));
  }

  async function chooseWindow(win) {
    if (!mine(win)) {
      const result = await act(win.number, "/sign-in");
      if (!result) return;
      showDone(`已登录 ${win.number} 号窗口，开始服务。`);
    }
    selectWindow(win.number);
    render();
    app.querySelector(".window-panel").focus();  // the shortcuts work from here
  }

  // The tickets this window may call next: its services' queue and those sent to it.
  const callable = (win) => board.waiting.filter((t) =>
    (t.state === "waiting" || t.state === "transferred")
    && (t.target_window ? windowNumberOfId(t.target_window) === win.number
      : win.services.includes(t.service)));

  function currentMeta(win, ticket) {
    if (!ticket) {
      if (win.state === "paused") return "窗口暂停服务中，恢复后才能叫号。";
      return callable(win).length ? "当前没有号码，按“叫号”呼叫下一位。"
        : "当前没有等候的号码，有人取号后即可叫号。";
    }
    return [
      h("span", {class: "meta-service"}, ticket.service_name),
      h("span", {class: `pill ticket-${ticket.state}`}, STATE_WORDS[ticket.state] || ticket.state),
      h("span", {class: "pill", dataset: {calls: ticket.call_count}},
        ticket.call_count > 1 ? `第 ${ticket.call_count} 次呼叫 · 重呼` : "已呼叫 1 次"),
      PRIORITY_WORDS[ticket.priority] ? h("span", {class: "pill priority"},
                                          PRIORITY_WORDS[ticket.priority]) : null,
      ticket.visitor ? h("span", {class: "pill registered"}, "已登记台账") : null,
      ticket.called_at ? h("span", {class: "muted small"}, `叫号 ${clock(ticket.called_at)}`)
        : null,
    ];
  }

  function renderDesk(win) {
    const ticket = win.current;
    const open = win.state === "open";
    byId("window-title").textContent = `${win.number} 号窗口 · ${win.name}`;
    const pill = byId("window-state");
    pill.textContent = WINDOW_WORDS[win.state] || win.state;
    pill.className = `pill big window-${win.state}`;
    pill.dataset.state = win.state;
    byId("window-services").textContent = `办理业务：${win.services.map(serviceName).join("、")}`;
    const banner = byId("pause-banner");
    banner.hidden = win.state !== "paused";
    banner.textContent = `暂停服务：${win.pause_reason}`;
    byId("current").dataset.state = ticket ? ticket.state : "none";
    byId("current-number").textContent = ticket ? ticket.number : "—";
    byId("current-meta").replaceChildren(...[currentMeta(win, ticket)].flat().filter(Boolean));

    const allowed = {
      "call-next": open && !ticket && callable(win).length > 0, "call-number": open && !ticket,
      recall: ticket && ticket.state === "called", start: ticket && ticket.state === "called",
      finish: ticket, no_show: ticket, hold: ticket, transfer: ticket,
      pause: open, "resume-window": win.state === "paused", close: !ticket,
    };
    for (const button of byId("desk").querySelectorAll("[data-action]")) {
      button.disabled = busy || !allowed[button.dataset.action];
    }
    app.querySelector("[data-action='pause']").hidden = win.state === "paused";
    app.querySelector("[data-action='resume-window']").hidden = win.state !== "paused";

    const held = board.waiting.filter((t) => t.state === "held" && t.held_at_window === win.number);
    byId("held-empty").hidden = held.length > 0;
    byId("held-list").replaceChildren(...held.map((t) => h("li", {dataset: {ticket: t.number}},
      h("strong", {}, t.number), h("span", {class: "muted small"}, t.service_name),
      h("button", {type: "button", class: "button", disabled: busy || !open || Boolean(ticket),
                   onclick: () => recallHeld(win, t)}, "回呼"))));

    const skipped = (board.no_shows || []).filter((t) => t.skipped_at_window === win.number
      || win.services.includes(t.service));
    byId("skipped-empty").hidden = skipped.length > 0;
    byId("skipped-list").replaceChildren(...skipped.map((t) => h("li", {dataset: {ticket: t.number}},
      h("strong", {}, t.number), h("span", {class: "muted small"},
        `${t.service_name}${t.skipped_at ? ` · ${clock(t.skipped_at)} 过号` : ""}`),
      h("button", {type: "button", class: "button", disabled: busy || !open || Boolean(ticket),
                   onclick: () => callBack(win, t)}, "回呼"))));

    renderLedger(win, ticket);
    renderWaiting(win);
  }

  function renderLedger(win, ticket) {
    const target = ticket || (lastFinished && lastFinished.window === win.number ? lastFinished
      : null);
    const form = byId("ledger-form");
    if ((target && target.id) !== ledgerTicketId) {  // a new visitor: start a blank form
      form.reset();
      for (const field of form.elements) field.removeAttribute("aria-invalid");
      ledgerTicketId = target ? target.id : null;
      ledgerDirty = false;
    }
    for (const field of form.elements) field.disabled = !target || busy;
    byId("ledger-target").textContent = !target ? "当前没有可登记的号码"
      : `登记对象：${target.number}${ticket ? "" : "（已办结）"}`
        + (ticket && ticket.visitor ? " · 已登记" : "");
  }

  function renderWaiting(win) {
    const waiting = board.waiting.filter((t) => t.state === "waiting" || t.state === "transferred");
    byId("waiting-total").textContent = `共 ${waiting.length} 人`;
    const services = [...board.services].sort((a, b) =>
      Number(win.services.includes(b.code)) - Number(win.services.includes(a.code)));
    byId("waiting-groups").replaceChildren(...services.map((service) => {
      const here = win.services.includes(service.code);
      const tickets = waiting.filter((t) => t.service === service.code);
      const summary = service.open
        ? `等候 ${service.waiting} 人 · 预计约 ${service.wait_minutes} 分钟`
        : `未到办理时间${service.opens_at ? `，${WEEKDAY_TIME.format(new Date(service.opens_at))} 开始` : ""}`;
      return h("section", {class: here ? "waiting-group here" : "waiting-group",
                           dataset: {service: service.code}},
        h("h3", {}, service.name, h("small", {}, service.prefix),
          here ? h("span", {class: "pill here-pill"}, "本窗口") : null),
        h("p", {class: "muted small"}, summary),
        tickets.length
          ? h("ol", {class: "waiting-list"}, tickets.slice(0, MAX_LISTED).map((t) => {
            const target = t.target_window ? windowNumberOfId(t.target_window) : null;
            return h("li", {dataset: {ticket: t.number}},
              h("span", {class: "waiting-number"}, t.number),
              PRIORITY_WORDS[t.priority] ? h("span", {class: "pill priority"},
                                             PRIORITY_WORDS[t.priority]) : null,
              t.state === "transferred" ? h("span", {class: "pill"}, "转入") : null,
              target ? h("span", {class: "pill"}, `指定${target}号窗口`) : null);
          }))
          : h("p", {class: "muted small empty"}, "无人等候"),
        tickets.length > MAX_LISTED
          ? h("p", {class: "muted small"}, `另有 ${tickets.length - MAX_LISTED} 人`) : null);
    }));
  }

  // Put what an action answered into the board at once; the refetch that follows confirms it.
  function patch(number, result) {
    const win = board.windows.find((w) => w.number === number);
    if (!win || !result) return;
    if (result.id === undefined) {  // a window: {number, state, pause_reason}
      win.state = result.state;
      win.pause_reason = result.pause_reason;
      win.staff = result.state === "closed" ? null : board.me.username;
    } else if (result.state === "called" || result.state === "serving") {
      win.current = result;
    } else if (win.current && win.current.id === result.id) {
      win.current = null;
    }
  }

  async function act(number, path, body) {
    if (busy) return null;
    const panel = app.querySelector(".window-panel");
    const keysOn = Boolean(panel) && panel.contains(document.activeElement);
    busy = true;
    render();
    let result = null;
    try {
      result = await post(`/windows/${number}${path}`, body);
      patch(number, result);
    } finally {
      actionsDone += 1;
      busy = false;
      render();
      // A button disabled while busy drops the focus to the page: keep it in the panel.
      if (keysOn && !panel.contains(document.activeElement) && !openDialog()) panel.focus();
    }
    scheduleRefresh(0);
    return result;
  }

  async function callBack(win, ticket) {
    const result = await act(win.number, `/tickets/${ticket.id}/call_back`);
    if (result) showDone(`已回呼 ${result.number}，请到 ${win.number} 号窗口`);
  }

  async function recallHeld(win, ticket) {
    const result = await act(win.number, `/tickets/${ticket.id}/resume`);
    if (result) showDone(`已回呼 ${result.number}，请到 ${win.number} 号窗口`);
  }

  const DONE_WORDS = {
    recall: (t) => `已重呼 ${t.number}（第 ${t.call_count} 次）`, start: (t) => `${t.number} 开始办理`,
    finish: (t) => `${t.number} 已办结`,
    hold: (t) => `${t.number} 已挂起，可在“挂起的号码”中回呼`,
  };

  async function runAction(action) {
    const win = selectedWindow();
    if (!win) return;
    const ticket = win.current;
    if (action === "call-next") {
      const result = await act(win.number, "/call-next");
      if (result) showDone(`已叫号 ${result.number}`);
    } else if (action === "no_show") {
      const result = await act(win.number, `/tickets/${ticket.id}/no_show`);
      if (result) offerUndo(win, result);
    } else if (action in DONE_WORDS) {
      if (action === "finish" && !(await ledgerSettled(ticket))) return;
      const result = await act(win.number, `/tickets/${ticket.id}/${action}`);
      if (result && action === "finish") {
        lastFinished = {id: result.id, number: result.number, window: win.number};
        render();
      }
      if (result) showDone(DONE_WORDS[action](result));
    } else if (action === "transfer") {
      openTransfer(win, ticket);
    } else if (action === "pause") {
      openDialogById("pause-dialog");
    } else if (action === "resume-window") {
      if (await act(win.number, "/state", {state: "open"})) showDone("已恢复服务，可以叫号。");
    } else if (action === "call-number") {
      openDialogById("call-dialog");
    } else if (action === "close") {
      if (await act(win.number, "/state", {state: "closed"})) {
        selectWindow(null);
        render();
        showDone(`${win.number} 号窗口已关闭，您已退出该窗口。`);
      }
    }
  }

  // -- dialogs -------------------------------------------------------------------------

  function openDialogById(id) {
    const dialog = byId(id);
    dialog.querySelector("form").reset();
    clearErrors();
    dialog.showModal();
    const first = dialog.querySelector("input, select");
    if (first) first.focus();
  }

  function openTransfer(win, ticket) {
    byId("transfer-number").textContent = ticket.number;
    const option = (value, text) => h("option", {value}, text);
    byId("transfer-service").replaceChildren(
      option("", "（不改变业务）"),
      ...board.services.filter((s) => s.code !== ticket.service)
        .map((s) => option(s.code, `${s.name}（${s.prefix}）`)));
    byId("transfer-window").replaceChildren(
      option("", "（不指定窗口）"),
      ...board.windows.filter((w) => w.number !== win.number)
        .map((w) => option(String(w.number), `${w.number} 号窗口 · ${w.name}`)));
    openDialogById("transfer-dialog");
    byId("transfer-dialog").dataset.ticket = String(ticket.id);
  }

  async function submitDialog(kind, form) {
    const win = selectedWindow();
    if (!win) return;
    const data = new FormData(form);
    let result = null;
    if (kind === "transfer") {
      const ticketId = byId("transfer-dialog").dataset.ticket;
      const service = String(data.get("service") || "");
      const target = String(data.get("window") || "");
      result = await act(win.number, `/tickets/${ticketId}/transfer`,
                         {service, window: target ? Number(target) : null});
      if (result) {
        const where = [service ? serviceName(service) : "", target ? `${target} 号窗口` : ""]
          .filter(Boolean).join(" · ");
        showDone(`${result.number} 已转移到 ${where}`);
      }
    } else if (kind === "pause") {
      result = await act(win.number, "/state",
                         {state: "paused", reason: String(data.get("reason") || "").trim()});
      if (result) showDone(`已暂停服务：${result.pause_reason}`);
    } else if (kind === "call-number") {
      result = await act(win.number, "/call",
                         {number: String(data.get("number") || "").trim().toUpperCase()});
      if (result) showDone(`已叫号 ${result.number}`);
    }
    if (result) form.closest("dialog").close();
  }

  // Before 办结: an unsaved 台账 entry for this ticket is saved, dropped on purpose, or the
  // finish is cancelled. Whether to go on finishing.
  function ledgerSettled(ticket) {
    if (!ledgerDirty || ledgerTicketId !== ticket.id) return Promise.resolve(true);
    const dialog = byId("ledger-dialog");
    return new Promise((resolve) => {
      dialog.addEventListener("close", async () => {
        if (dialog.returnValue === "save") resolve(Boolean(await submitLedger(byId("ledger-form"))));
        else resolve(dialog.returnValue === "discard");
      }, {once: true});
      dialog.returnValue = "cancel";  // Esc closes it as 取消
      dialog.showModal();
    });
  }

  async function submitLedger(form) {
    const win = selectedWindow();
    const ticketId = ledgerTicketId;
    if (!win || !ticketId) return null;
    const body = {};
    for (const [key, value] of new FormData(form)) body[key] = String(value).trim();
    const result = await act(win.number, `/tickets/${ticketId}/visitor`, body);
    const refusal = lastRefusal || {};
    const about = String(refusal.about || refusal.detail || "");
    const bad = refusal.error === "bad_visitor" ? about.split(", ") : [];
    for (const field of form.elements) {
      if (field.name) field.setAttribute("aria-invalid", String(bad.includes(field.name)));
    }
    if (result) {
      ledgerDirty = false;
      showDone(`${result.number} 的服务台账已保存。`);
    }
    return result;
  }

  // -- keyboard ------------------------------------------------------------------------

  // Shortcuts work only while the window panel has the focus (a click in it gives it): a key
  // pressed with the focus anywhere else, even the page background, does nothing.
  function onKey(event) {
    if (byId("desk").hidden || event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.repeat || openDialog()) return;
    const target = event.target;
    if (target instanceof Element
        && target.closest("input, textarea, select, [contenteditable='true']")) return;
    const key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
    const button = [...byId("desk").querySelectorAll("[data-keys]")]
      .find((b) => !b.hidden && b.dataset.keys.split(" ").includes(key));
    if (!button) return;
    event.preventDefault();  // also keeps F1 from opening the browser's help
    if (!button.disabled) button.click();
  }

  function startConsole() {
    byId("desk").addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      if (button && !button.disabled) runAction(button.dataset.action);
    });
    byId("switch-window").addEventListener("click", () => { choosing = true; render(); });
    for (const form of app.querySelectorAll("form[data-dialog]")) {
      form.noValidate = true;  // the server's message says what is missing
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        submitDialog(form.dataset.dialog, form);
      });
    }
    for (const button of app.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => button.closest("dialog").close());
    }
    for (const dialog of app.querySelectorAll("dialog")) {
      dialog.addEventListener("close", clearErrors);
    }
    for (const button of app.querySelectorAll("[data-reason]")) {
      button.addEventListener("click", () => {
        const input = button.closest("form").elements.namedItem("reason");
        input.value = button.dataset.reason;
        input.focus();
      });
    }
    byId("ledger-form").addEventListener("input", () => { ledgerDirty = true; });
    byId("ledger-form").addEventListener("submit", (event) => {
      event.preventDefault();
      submitLedger(event.target);
    });
    const panel = app.querySelector(".window-panel");
    panel.addEventListener("keydown", onKey);
    panel.addEventListener("focusin", () => panel.classList.add("keys-on"));
    panel.addEventListener("focusout", (event) => {
      if (!panel.contains(event.relatedTarget)) panel.classList.remove("keys-on");
    });
  }

  if (MODE === "console") startConsole();
  render();
  connect();
  setInterval(() => scheduleRefresh(), SAFETY_REFRESH_MS);
  window.addEventListener("pagehide", () => { if (source) source.close(); });
})();
