/* The stage screen: the lectern tablet of a hall. Shows the pinned question large, the
 * questions the moderator queued (in their order), the time left in the hall's current
 * session on the server's clock, and the moderator's last word to the speaker.
 *
 * It follows the hall's stage stream (docs/protocol.md) through LiveSocket, which resumes and
 * resyncs by itself after a drop; every render replaces a bounded set of nodes and inserts
 * user text with textContent only, so it can run all day. */
(function () {
  "use strict";
  var cfg = Live.readConfig("page-config");
  var S = cfg.strings;
  var el = Live.el;
  var fmt = Live.format;
  var $ = function (id) {
    return document.getElementById(id);
  };
  var store = new LiveStore();
  store.event = cfg.event_data;
  store.hall = cfg.hall_data;
  var message = null; // {hall_id, text, at} of the last stage.message (or the snapshot's)
  var shownMessageAt; // the time of the message on screen; undefined before the first snapshot
  var clock = Live.clockFormat(cfg.lang, cfg.timezone);

  function votesText(n) {
    return Live.votesText(S, n);
  }

  function badgeText(session) {
    return Live.sessionBadge(S, session, clock);
  }

  function renderHead() {
    $("s-event").textContent = Live.pick(store.event && store.event.name, cfg.lang);
    $("s-hall").textContent = Live.pick(store.hall && store.hall.name, cfg.lang);
    var s = store.session;
    var badge = $("s-badge");
    if (!s) {
      badge.textContent = "";
      badge.className = "s-badge";
      $("s-title").textContent = S.no_session;
      $("s-ends").textContent = "";
    } else {
      badge.textContent = badgeText(s);
      badge.className = "s-badge s-" + s.status;
      $("s-title").textContent = Live.pick(s.title, cfg.lang);
      $("s-ends").textContent =
        clock.format(new Date(s.starts_at)) + " – " + clock.format(new Date(s.ends_at));
    }
    tick();
  }

  function pinnedQuestion() {
    var found = null;
    store.questions.forEach(function (q) {
      if (q.pinned && q.status === "approved") found = q;
    });
    return found;
  }

  /** The moderator's queue, in order: approved, not pinned, with a place. */
  function queued() {
    return Array.from(store.questions.values())
      .filter(function (q) {
        return q.status === "approved" && !q.pinned && q.queue_position;
      })
      .sort(function (a, b) {
        return a.queue_position - b.queue_position || a.id - b.id;
      });
  }

  /** The `lang` attribute for a question's language: vi or en, else none ("other"). */
  function langOf(language) {
    return language === "vi" || language === "en" ? language : "";
  }

  /** "→ Name · author · n votes": the speaker the question is for first, if any. */
  function meta(q) {
    var to = q.addressed_to ? fmt(S.addressed_to, { name: q.addressed_to.name }) + " · " : "";
    return to + (q.author_name ? q.author_name + " · " : "") + votesText(q.votes);
  }

  function renderQuestions() {
    var pinned = pinnedQuestion();
    var text = $("s-pinned-text");
    text.textContent = pinned ? pinned.text : S.no_pinned;
    text.classList.toggle("is-empty", !pinned);
    text.classList.toggle("is-long", !!pinned && pinned.text.length > 180);
    // Its translation under it, smaller (issue 14), as on the hall display.
    var alt = $("s-pinned-alt");
    alt.textContent = pinned ? pinned.translation || "" : "";
    alt.lang = pinned ? langOf(pinned.translation_language) : "";
    alt.classList.toggle("is-long", !!pinned && (pinned.translation || "").length > 180);
    text.lang = pinned ? langOf(pinned.language) : "";
    $("s-pinned-meta").textContent = pinned ? meta(pinned) : "";

    var queue = queued();
    var list = $("s-list");
    Live.replaceChildren(
      list,
      queue.map(function (q, i) {
        var li = el("li");
        li.dataset.id = q.id;
        li.append(el("span", "s-place", String(i + 1)));
        var body = el("div", "s-q");
        var text = el("p", "s-q-text", q.text);
        text.lang = langOf(q.language);
        body.append(text);
        if (q.translation) {
          // Inside the card: fit() drops a card whole when its translation does not fit.
          var alt = el("p", "s-q-alt", q.translation);
          alt.lang = langOf(q.translation_language);
          body.append(alt);
        }
        body.append(el("p", "s-q-meta", meta(q)));
        li.append(body);
        return li;
      })
    );
    var empty = $("s-queue-empty");
    empty.hidden = queue.length > 0;
    empty.textContent = S.no_queue;
    fit(queue.length);
  }

  /** Whole cards or none: the ones that would be cut off at the bottom are counted instead. */
  function fit(total) {
    var list = $("s-list");
    var more = $("s-more");
    more.hidden = true;
    while (
      list.lastChild &&
      list.lastChild.getBoundingClientRect().bottom > list.getBoundingClientRect().bottom + 1
    ) {
      list.removeChild(list.lastChild);
      more.hidden = false;
      more.textContent = fmt(S.more, { n: total - list.children.length });
    }
  }

  function renderMessage() {
    var box = $("s-message");
    var has = !!(message && message.text);
    $("s-message-text").textContent = has ? message.text : "";
    $("s-message-time").textContent =
      has && message.at ? fmt(S.sent_at, { time: clock.format(new Date(message.at)) }) : "";
    $("s-message-none").hidden = has;
    box.classList.toggle("has-message", has);
    // A new message (not the one the first snapshot brought) flashes so the speaker looks up.
    if (has && shownMessageAt !== undefined && message.at !== shownMessageAt) {
      box.classList.remove("is-new");
      void box.offsetWidth; // restart the animation
      box.classList.add("is-new");
    }
    shownMessageAt = has ? message.at : "";
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function duration(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var sec = seconds % 60;
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(sec);
  }

  /** The time left to the session's end, on the server's clock (ping/pong offset). */
  function tick() {
    var s = store.session;
    var node = $("s-countdown");
    var box = node.parentNode;
    box.classList.remove("is-soon", "is-over", "is-text");
    if (!s || s.status === "ended") {
      node.textContent = "–";
      return;
    }
    var now = socket.serverNow();
    if (s.status === "scheduled") {
      var until = Math.round((Date.parse(s.starts_at) - now) / 1000);
      node.textContent = until > 0 ? fmt(S.starts_in, { time: duration(until) }) : "–";
      box.classList.toggle("is-text", until > 0);
      return;
    }
    var left = Math.round((Date.parse(s.ends_at) - now) / 1000);
    if (left <= 0) {
      node.textContent = left === 0 ? S.over : fmt(S.over_by, { time: duration(-left) });
      box.classList.add("is-over", "is-text");
      return;
    }
    node.textContent = duration(left);
    if (left <= 300) box.classList.add("is-soon");
  }

  function onFrame(type, data) {
    if (type === "snapshot" || type === "display.session_changed") {
      message = data.stage_message || null;
      renderMessage();
    } else if (type === "stage.message") {
      message = data;
      renderMessage();
      return;
    }
    if (!store.apply(type, data)) return;
    if (type !== "votes.updated" && type.indexOf("question.") !== 0) renderHead();
    renderQuestions();
  }

  function onState(state) {
    var mark = $("s-conn");
    mark.hidden = state === "connected";
    mark.textContent = S[state] || S.reconnecting;
    document.body.classList.toggle("is-disconnected", state !== "connected");
  }

  function onDenied() {
    $("s-denied-text").textContent = S.denied;
    $("s-denied").hidden = false;
    document.body.classList.add("is-denied");
  }

  var socket = new LiveSocket(cfg.ws, {
    onFrame: onFrame,
    onState: onState,
    onClock: tick,
    onDenied: onDenied,
  });
  // The stage path carries the key in its query: a resume position is added to it.
  socket.url = function () {
    return LiveSocket.prototype.url.call(this).replace("?epoch=", "&epoch=");
  };
  window.hoithaoSocket = socket;

  // A lectern tablet must not go dark in the middle of a talk.
  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").catch(function () {
        /* not allowed here (no HTTPS, battery saver): the tablet's own setting rules */
      });
    }
  }
  document.addEventListener("visibilitychange", keepAwake);
  keepAwake();

  renderHead();
  socket.start();
  window.setInterval(tick, 1000);
  window.addEventListener("resize", renderQuestions);
})();
