/* The hall display: follows the hall's current session, shows the pinned question large and
 * the top questions by votes, and counts down to the session's end on the server's clock.
 * Every render replaces a bounded set of nodes, so it can run for days. */
(function () {
  "use strict";
  var cfg = Live.readConfig("page-config");
  var S = cfg.strings;
  var el = Live.el;
  var fmt = Live.format;
  var TOP = 5;
  var $ = function (id) {
    return document.getElementById(id);
  };
  var store = new LiveStore();
  store.event = cfg.event_data;
  store.hall = cfg.hall_data;
  var clock = new Intl.DateTimeFormat(cfg.lang === "en" ? "en-GB" : "vi-VN", {
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
    timeZone: cfg.timezone,
  });

  function votesText(n) {
    return n === 1 ? S.votes_one : fmt(S.votes_many, { n: n });
  }

  function badgeText(session) {
    switch (session.status) {
      case "live":
        return S.live;
      case "qa":
        return S.qa;
      case "break":
        return S["break"];
      case "scheduled":
        return fmt(S.next, { time: clock.format(new Date(session.starts_at)) });
      default:
        return S.ended;
    }
  }

  function renderSession() {
    var s = store.session;
    $("d-event").textContent = Live.pick(store.event && store.event.name, cfg.lang);
    $("d-hall").textContent = Live.pick(store.hall && store.hall.name, cfg.lang);
    var badge = $("d-badge");
    if (!s) {
      badge.textContent = "";
      badge.className = "d-badge";
      $("d-title").textContent = S.no_session;
      $("d-title-alt").textContent = "";
      $("d-speakers").textContent = "";
      tick();
      return;
    }
    badge.textContent = badgeText(s);
    badge.className = "d-badge s-" + s.status;
    var title = Live.pick(s.title, cfg.lang);
    var other = Live.pick(s.title, cfg.lang === "en" ? "vi" : "en");
    $("d-title").textContent = title;
    $("d-title-alt").textContent = other !== title ? other : "";
    $("d-speakers").textContent = (s.speakers || [])
      .map(function (p) {
        return p.organisation ? p.name + " (" + p.organisation + ")" : p.name;
      })
      .join(" · ");
    tick();
  }

  function renderQuestions() {
    var all = Array.from(store.questions.values());
    var pinned = all.find(function (q) {
      return q.pinned && q.status === "approved";
    });
    var box = $("d-pinned");
    box.hidden = !pinned;
    if (pinned) {
      $("d-pinned-text").textContent = pinned.text;
      $("d-pinned-meta").textContent = (pinned.author_name || "") + (pinned.author_name ? " · " : "") + votesText(pinned.votes);
    }
    var top = all
      .filter(function (q) {
        return q.status === "approved" && q !== pinned;
      })
      .sort(LiveStore.publicOrder)
      .slice(0, pinned ? TOP - 1 : TOP);
    Live.replaceChildren(
      $("d-list"),
      top.map(function (q) {
        var li = el("li");
        li.dataset.id = q.id;
        var body = el("div", "d-q");
        body.append(el("p", "d-q-text", q.text));
        if (q.author_name) body.append(el("p", "d-q-author", q.author_name));
        li.append(el("span", "d-votes", String(q.votes)), body);
        li.firstChild.setAttribute("aria-label", votesText(q.votes));
        return li;
      })
    );
    $("d-empty").hidden = top.length > 0 || !!pinned;
    fit();
  }

  /** Drop the questions that would be cut off at the bottom: whole cards or none. */
  function fit() {
    var list = $("d-list");
    var bottom = list.getBoundingClientRect().bottom;
    while (list.lastChild && list.lastChild.getBoundingClientRect().bottom > bottom + 1) {
      list.removeChild(list.lastChild);
    }
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  /** The countdown to the session's end, on the server's clock (ping/pong offset). */
  function tick() {
    var s = store.session;
    var node = $("d-countdown");
    if (!s || (s.status !== "live" && s.status !== "qa")) {
      node.textContent = "";
      return;
    }
    var left = Math.round((Date.parse(s.ends_at) - socket.serverNow()) / 1000);
    if (left <= 0) {
      node.textContent = S.over;
      return;
    }
    var h = Math.floor(left / 3600);
    var m = Math.floor((left % 3600) / 60);
    var sec = left % 60;
    node.textContent = S.ends_in + " " + (h ? h + ":" + pad(m) : String(m)) + ":" + pad(sec);
  }

  function onFrame(type, data) {
    if (!store.apply(type, data)) return;
    if (type !== "votes.updated" && type.indexOf("question.") !== 0) renderSession();
    renderQuestions();
  }

  function onState(state) {
    var mark = $("d-conn");
    mark.hidden = state === "connected";
    mark.textContent = S[state] || S.reconnecting;
    document.body.classList.toggle("is-disconnected", state !== "connected");
  }

  var socket = new LiveSocket(cfg.ws, { onFrame: onFrame, onState: onState, onClock: tick });
  window.hoithaoSocket = socket;
  renderSession();
  socket.start();
  window.setInterval(tick, 1000);
  window.addEventListener("resize", renderQuestions);
})();
