/* The hall display: follows the hall's current session and shows what the hall's display
 * mode asks for (`hall.display_mode`, changed live by `hall.updated`): the pinned question
 * large and the top `hall.top_questions` others by votes, only the pinned question, the way
 * to join, or just the event and hall. It counts down to the session's end on the server's
 * clock. Every render replaces a bounded set of nodes, so it can run for days. */
(function () {
  "use strict";
  var cfg = Live.readConfig("page-config");
  var S = cfg.strings;
  var el = Live.el;
  var fmt = Live.format;
  var TOP = 5; // a hall without the setting
  // A long pinned question gets smaller type, down to this share of its own: with the list
  // no smaller than the list's (a 500-character question on a 4:3 projector); alone on the
  // screen, as large as fits.
  var MIN_PIN_SCALE = { questions: 0.8, pinned: 0.5 };
  // Of the questions area, what the pinned question may take while others are listed.
  var PIN_SHARE = 0.55;
  var $ = function (id) {
    return document.getElementById(id);
  };
  var store = new LiveStore();
  store.event = cfg.event_data;
  store.hall = cfg.hall_data;
  var stage = $("d-stage");
  var clock = Live.clockFormat(cfg.lang, cfg.timezone);

  function votesText(n) {
    return Live.votesText(S, n);
  }

  /** "→ Name" for a question addressed to a speaker, else "" (everyone). */
  function toText(q) {
    return q.addressed_to ? fmt(S.addressed_to, { name: q.addressed_to.name }) : "";
  }

  /** The `lang` attribute for a question's language: vi or en, else none ("other"). */
  function langOf(language) {
    return language === "vi" || language === "en" ? language : "";
  }

  function badgeText(session) {
    return Live.sessionBadge(S, session, clock);
  }

  /** What the screen is for: the hall's mode (an unknown one shows the questions). */
  function renderMode() {
    var hall = store.hall || {};
    var mode = hall.display_mode;
    stage.dataset.mode = ["questions", "pinned", "join", "blank"].indexOf(mode) >= 0 ? mode : "questions";
  }

  function renderSession() {
    var s = store.session;
    renderMode();
    $("d-event").textContent = Live.pick(store.event && store.event.name, cfg.lang);
    $("d-hall").textContent = Live.pick(store.hall && store.hall.name, cfg.lang);
    var badge = $("d-badge");
    if (!s) {
      badge.textContent = "";
      badge.className = "d-badge";
      $("d-title").textContent = S.no_session;
      $("d-title-alt").textContent = "";
      $("d-when").textContent = "";
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
    $("d-when").textContent =
      clock.format(new Date(s.starts_at)) + "\u2013" + clock.format(new Date(s.ends_at));
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
    stage.classList.toggle("has-pinned", !!pinned);
    if (pinned) {
      // In the language it was asked in, large; its translation under it, as the session's
      // title in the other language is under the title.
      $("d-pinned-text").textContent = pinned.text;
      $("d-pinned-to").textContent = toText(pinned);
      $("d-pinned-to").hidden = !pinned.addressed_to;
      $("d-pinned-text").lang = langOf(pinned.language);
      $("d-pinned-alt").textContent = pinned.translation || "";
      $("d-pinned-alt").lang = langOf(pinned.translation_language);
      $("d-pinned-meta").textContent = (pinned.author_name || "") + (pinned.author_name ? " · " : "") + votesText(pinned.votes);
    }
    var limit = store.hall && typeof store.hall.top_questions === "number" ? store.hall.top_questions : TOP;
    var top = all
      .filter(function (q) {
        return q.status === "approved" && q !== pinned;
      })
      .sort(LiveStore.publicOrder)
      .slice(0, limit);
    Live.replaceChildren(
      $("d-list"),
      top.map(function (q) {
        var li = el("li");
        li.dataset.id = q.id;
        var body = el("div", "d-q");
        if (q.addressed_to) body.append(el("p", "d-q-to", toText(q)));
        var text = el("p", "d-q-text", q.text);
        text.lang = langOf(q.language);
        body.append(text);
        if (q.author_name) body.append(el("p", "d-q-author", q.author_name));
        // Its translation under it, smaller (issue 14): part of the card, so fit() drops the
        // card whole when the two do not fit.
        if (q.translation) {
          var alt = el("p", "d-q-alt", q.translation);
          alt.lang = langOf(q.translation_language);
          body.append(alt);
        }
        li.append(el("span", "d-votes", String(q.votes)), body);
        li.firstChild.setAttribute("aria-label", votesText(q.votes));
        return li;
      })
    );
    $("d-empty").hidden = top.length > 0 || !!pinned || limit === 0;
    fit();
  }

  /** Questions are shown whole or not at all. The type is sized by the screen (display.css);
   * here the pinned question gets smaller type, if it must, until it leaves the list room
   * (or, alone on the screen, until it fits), and the cards that would reach past the
   * screen's bottom edge are dropped, the last first, so the order by votes stays true. */
  function fit() {
    var box = $("d-pinned");
    var list = $("d-list");
    var bottom = stage.getBoundingClientRect().bottom - parseFloat(getComputedStyle(stage).paddingBottom);
    var label = $("d-top-label");
    var scale = 1;
    label.hidden = !list.firstChild; // before measuring: it moves the cards down
    box.style.setProperty("--fit", "1");
    if (!box.hidden && box.offsetHeight > 0) {
      var alone = stage.dataset.mode === "pinned";
      var least = alone ? MIN_PIN_SCALE.pinned : MIN_PIN_SCALE.questions;
      var room = alone ? $("d-questions").clientHeight : (bottom - box.getBoundingClientRect().top) * PIN_SHARE;
      while (box.offsetHeight > room && scale > least) {
        scale = Math.max(least, scale - 0.05);
        box.style.setProperty("--fit", String(scale));
      }
    }
    while (list.lastChild && list.lastChild.getBoundingClientRect().bottom > bottom + 0.5) {
      list.removeChild(list.lastChild);
    }
    label.hidden = !list.firstChild;
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

  /** The poll a moderator put on screen, if any: it takes the questions' place; each option
   * with a bar and its count while the results are shown, the number of voters always. */
  function onScreenPoll() {
    return Array.from(store.polls.values()).find(function (p) {
      return p.on_screen;
    });
  }

  function renderPoll() {
    var poll = onScreenPoll();
    var box = $("d-poll");
    box.hidden = !poll;
    stage.classList.toggle("has-poll", !!poll);
    if (!poll) return false;
    var question = Live.pick(poll.question, cfg.lang);
    var other = Live.pick(poll.question, cfg.lang === "en" ? "vi" : "en");
    $("d-poll-question").textContent = question;
    $("d-poll-alt").textContent = other !== question ? other : "";
    var shown = poll.results_shown;
    var most = 0;
    poll.options.forEach(function (o) {
      most = Math.max(most, o.votes || 0);
    });
    box.classList.toggle("shows-results", shown);
    Live.replaceChildren(
      $("d-poll-options"),
      poll.options.map(function (o) {
        var li = el("li", "d-opt");
        li.dataset.id = o.id;
        var bar = el("span", "d-opt-bar");
        var share = shown && poll.voters ? (o.votes || 0) / poll.voters : 0;
        // The longest bar fills the row: read from the back of the hall, the order matters.
        bar.style.width = shown && most ? Math.round(((o.votes || 0) / most) * 100) + "%" : "0";
        li.append(bar, el("span", "d-opt-n", String(o.position)), el("span", "d-opt-text", Live.pick(o.text, cfg.lang)));
        if (shown) {
          li.append(el("span", "d-opt-count", String(o.votes || 0)), el("span", "d-opt-pct", Math.round(share * 100) + "%"));
          if (most && o.votes === most) li.classList.add("is-top");
        }
        return li;
      })
    );
    $("d-poll-voters").textContent = poll.voters === 1 ? S.voters_one : fmt(S.voters_many, { n: poll.voters });
    $("d-poll-state").textContent = poll.state === "closed" ? S.poll_closed : S.poll_open;
    fitPoll();
    return true;
  }

  /** A long question or ten options on a 4:3 projector: smaller type until the poll fits. */
  function fitPoll() {
    var box = $("d-poll");
    var bottom = stage.getBoundingClientRect().bottom - parseFloat(getComputedStyle(stage).paddingBottom);
    var scale = 1;
    box.style.setProperty("--fit", "1");
    while (box.getBoundingClientRect().bottom > bottom + 0.5 && scale > 0.5) {
      scale = Math.max(0.5, scale - 0.05);
      box.style.setProperty("--fit", String(scale));
    }
  }

  function render() {
    if (!renderPoll()) renderQuestions();
  }

  function onFrame(type, data) {
    if (!store.apply(type, data)) return;
    if (type !== "votes.updated" && type.indexOf("question.") !== 0 && type.indexOf("poll.") !== 0) renderSession();
    render();
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
  window.addEventListener("resize", render);
  if (document.fonts) document.fonts.ready.then(render);
})();
