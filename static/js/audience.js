/* The phone page: one session's public questions live, asking (with an offline outbox),
 * voting, and the caller's own questions with their status. User text goes in with
 * textContent only. */
(function () {
  "use strict";
  var cfg = Live.readConfig("page-config");
  var S = cfg.strings;
  var el = Live.el;
  var fmt = Live.format;
  var TOKEN_KEY = "hoithao.token." + cfg.event;
  var OUTBOX_KEY = "hoithao.outbox." + cfg.event;
  var ASKED_KEY = "hoithao.asked." + cfg.session;
  var VOTES_KEY = "hoithao.votes." + cfg.session;
  var BALLOTS_KEY = "hoithao.ballots." + cfg.session;
  var NAME_KEY = "hoithao.name";

  var $ = function (id) {
    return document.getElementById(id);
  };
  var store = new LiveStore();
  var mine = new Map(); // id -> question (own view)
  var COMMAND_TIMEOUT_MS = 8000; // no answer over the socket by then: send it over HTTP
  var NO_HEADERS = { get: function () { return null; } };
  var identifiedOn = null; // the socket this phone identified on: identify again after a reconnect
  var publicNodes = new Map(); // id -> <li>
  var myVotes = new Set(load(VOTES_KEY, []));
  var myBallots = load(BALLOTS_KEY, {}) || {}; // poll id -> option ids, as the server stored them
  var pollChoice = {}; // poll id -> option ids ticked but not sent yet
  var pollNotes = {}; // poll id -> [text, kind] under its button
  var knownPolls = null; // ids of the polls seen, to announce a new one
  var firstSnapshot = true;
  var retryTimer = null;
  var retryDelay = 2000;
  var flushing = false;

  /* ---- storage (private browsing may refuse it: the page still works) --------------- */

  function load(key, fallback) {
    try {
      var raw = localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* not persisted; kept in memory for this visit */
    }
  }

  function newClientId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) {
      crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  /* ---- the API ------------------------------------------------------------------------ */

  var tokenPromise = null;

  /** This phone's participant token: joined over the open socket (a frame, far cheaper for
   * the server than a request when a whole hall arrives), else over HTTP. */
  function token() {
    var held = load(TOKEN_KEY, null);
    if (held) return Promise.resolve(held);
    if (!tokenPromise) {
      tokenPromise = joinOverSocket()
        .catch(joinOverHttp)
        .finally(function () {
          tokenPromise = null;
        });
    }
    return tokenPromise;
  }

  function joinOverSocket() {
    var ws = socket.ws;
    if (socket.state !== "connected" || !ws) return Promise.reject(new Error("socket down"));
    return socket.request({ type: "join", lang: cfg.lang }, COMMAND_TIMEOUT_MS).then(function (frame) {
      if (frame.type !== "joined") throw new Error(frame.data.code);
      save(TOKEN_KEY, frame.data.participant_token);
      if (socket.ws === ws) identifiedOn = ws; // the join identified this socket
      return frame.data.participant_token;
    });
  }

  function joinOverHttp() {
    return request("POST", "events/" + cfg.event + "/join/", {}, null).then(function (res) {
      if (!res.ok) throw new Error("join " + res.status);
      save(TOKEN_KEY, res.body.participant_token);
      return res.body.participant_token;
    });
  }

  /** fetch as {ok, status, body, headers}; rejects only when the network fails. */
  function request(method, path, body, participantToken) {
    var headers = participantToken ? { "X-Participant-Token": participantToken } : {};
    return Live.apiRequest(cfg.api + path, method, body, headers);
  }

  /** An API call as this phone's participant; a token the server forgot is replaced once. */
  function call(method, path, body) {
    return token().then(function (t) {
      return request(method, path, body, t).then(function (res) {
        if (res.status !== 401) return res;
        save(TOKEN_KEY, null);
        return token().then(function (t2) {
          return request(method, path, body, t2);
        });
      });
    });
  }

  function listOf(body) {
    if (Array.isArray(body)) return body;
    return (body && (body.results || body.questions)) || [];
  }

  /* ---- announcements ------------------------------------------------------------------ */

  function announce(text) {
    var node = $("announcer");
    node.textContent = "";
    window.setTimeout(function () {
      node.textContent = text;
    }, 50);
  }

  function setAskStatus(text, kind) {
    var node = $("ask-status");
    node.textContent = text;
    node.className = "ask-status" + (kind ? " ask-" + kind : "");
  }

  /* ---- connection state ---------------------------------------------------------------- */

  function onState(state) {
    var node = $("conn");
    node.className = "conn conn-" + state;
    node.textContent = S[state] || state;
    document.body.classList.toggle("is-offline", state !== "connected");
    if (state === "connected") {
      // The first connection joins the event over this socket (see token()); a phone that
      // had joined identifies, and gets back its ballots (docs/protocol.md, identified).
      token()
        .then(identify)
        .then(function () {
          flushOutbox();
          refreshMine();
        })
        .catch(function () {
          /* no identity yet: the next vote or question tries again */
        });
    }
  }

  /* ---- public questions ---------------------------------------------------------------- */

  function votesText(n) {
    return n === 1 ? S.votes_one : fmt(S.votes_many, { n: n });
  }

  var showOriginal = new Set(); // ids of translated questions the reader switched back

  function buildPublic(q) {
    var li = el("li", "q");
    li.dataset.id = q.id;
    var body = el("div", "q-body");
    var badges = el("p", "q-badges small");
    var text = el("p", "q-text");
    var meta = el("p", "q-meta small muted");
    // Both languages (issue 14): the question in the reader's page language when the
    // moderators translated it, the original one tap away.
    var other = el("button", "btn btn-link btn-small q-lang-toggle");
    other.type = "button";
    other.addEventListener("click", function () {
      var id = Number(li.dataset.id);
      if (showOriginal.has(id)) showOriginal.delete(id);
      else showOriginal.add(id);
      updatePublic(li, store.questions.get(id));
    });
    body.append(badges, text, meta, other);
    var vote = el("button", "vote");
    vote.type = "button";
    var count = el("span", "vote-count");
    var icon = el("span", "vote-icon", "▲");
    icon.setAttribute("aria-hidden", "true");
    vote.append(icon, count);
    vote.addEventListener("click", function () {
      toggleVote(Number(li.dataset.id), vote);
    });
    li.append(body, vote);
    return li;
  }

  /** "→ Name" for a question addressed to a speaker, or null (everyone). */
  function toNode(q) {
    return q.addressed_to ? el("p", "q-to small", fmt(S.addressed_to, { name: q.addressed_to.name })) : null;
  }

  function updatePublic(li, q) {
    var body = li.firstChild;
    var badges = body.children[0];
    var to = body.querySelector(".q-to");
    if (q.addressed_to && to) to.textContent = fmt(S.addressed_to, { name: q.addressed_to.name });
    else if (q.addressed_to) body.insertBefore(toNode(q), body.querySelector(".q-text"));
    else if (to) to.remove();
    Live.replaceChildren(
      badges,
      [
        q.pinned ? el("span", "badge badge-pinned", S.pinned) : null,
        q.status === "answered" ? el("span", "badge badge-answered", S.question_statuses.answered) : null,
      ].filter(Boolean)
    );
    badges.hidden = !badges.firstChild;
    var translated = inReadersLanguage(q);
    var original = !translated || showOriginal.has(q.id);
    var text = body.querySelector(".q-text");
    text.textContent = original ? q.text : q.translation;
    text.lang = original ? (q.language === "vi" || q.language === "en" ? q.language : "") : cfg.lang;
    body.querySelector(".q-meta").textContent = q.author_name || S.anonymous;
    var toggle = body.querySelector(".q-lang-toggle");
    toggle.hidden = !translated;
    toggle.textContent = original ? S.show_translation : S.show_original;
    toggle.setAttribute("aria-pressed", original ? "true" : "false");
    li.classList.toggle("is-pinned", !!q.pinned);
    li.classList.toggle("is-answered", q.status === "answered");
    var vote = li.lastChild;
    var voted = myVotes.has(q.id);
    vote.setAttribute("aria-pressed", voted ? "true" : "false");
    vote.setAttribute("aria-label", (voted ? S.unvote : S.vote) + " (" + votesText(q.votes) + ")");
    vote.lastChild.textContent = String(q.votes);
    vote.disabled = q.status !== "approved";
  }

  /** A translation into the language this page is read in, of a question asked in another. */
  function inReadersLanguage(q) {
    return !!q.translation && q.translation_language === cfg.lang && q.language !== cfg.lang;
  }

  function renderPublic() {
    var list = $("public-list");
    var focusedId = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#public-list li") : null;
    focusedId = focusedId ? focusedId.dataset.id : null;
    var questions = Array.from(store.questions.values()).sort(LiveStore.publicOrder);
    var keep = new Set();
    questions.forEach(function (q, index) {
      keep.add(q.id);
      var li = publicNodes.get(q.id);
      if (!li) {
        li = buildPublic(q);
        publicNodes.set(q.id, li);
      }
      updatePublic(li, q);
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
    });
    publicNodes.forEach(function (li, id) {
      if (!keep.has(id)) {
        li.remove();
        publicNodes.delete(id);
      }
    });
    if (focusedId && publicNodes.has(Number(focusedId))) {
      var button = publicNodes.get(Number(focusedId)).lastChild;
      if (document.activeElement !== button && document.activeElement === document.body) button.focus();
    }
    var empty = $("public-empty");
    empty.hidden = questions.length > 0;
    empty.textContent = S.no_questions;
  }

  /** A command over the open socket (docs/protocol.md), answered like the HTTP call would
   * be ({ok, status, body, headers}); rejects when the socket cannot carry it, and the caller
   * uses HTTP instead. `errors` maps the error codes that are answers (not failures of the
   * socket) to the HTTP status the API would give. */
  function overSocket(message, answerType, toBody, errors) {
    return token().then(function (t) {
      if (socket.state !== "connected" || !socket.ws) throw new Error("socket down");
      if (identifiedOn !== socket.ws) {
        // Frames are handled in order: the command right behind it is already identified.
        if (!socket.send({ type: "identify", token: t, lang: cfg.lang })) throw new Error("socket down");
        identifiedOn = socket.ws;
      }
      return socket.request(message, COMMAND_TIMEOUT_MS).then(function (frame) {
        if (frame.type === answerType) return { ok: true, status: 200, body: toBody(frame.data), headers: NO_HEADERS };
        var status = errors[frame.data.code];
        if (!status) {
          identifiedOn = null; // unidentified, or not saved: HTTP answers for sure
          throw new Error(frame.data.code);
        }
        var body = { code: frame.data.code, detail: frame.data.message, fields: frame.data.fields };
        return { ok: false, status: status, body: body, headers: NO_HEADERS };
      });
    });
  }

  /** Identify this socket now (not lazily before a command): the answer carries the phone's
   * ballots in the session's polls, so a phone that reconnects shows what it chose. */
  function identify(t) {
    var ws = socket.ws;
    if (socket.state !== "connected" || !ws || identifiedOn === ws) return;
    return socket.request({ type: "identify", token: t, lang: cfg.lang }, COMMAND_TIMEOUT_MS).then(
      function (frame) {
        if (frame.type !== "identified") return;
        if (socket.ws === ws) identifiedOn = ws;
        myBallots = frame.data.ballots || {};
        save(BALLOTS_KEY, myBallots);
        renderPolls();
      },
      function () {
        /* no answer: the next command identifies */
      }
    );
  }

  var BALLOT_ERRORS = {
    "poll.not_found": 404,
    "poll.closed": 409,
    "poll.no_choice": 400,
    "poll.bad_option": 400,
    "poll.too_many_choices": 400,
    "vote.throttled": 429,
  };

  var VOTE_ERRORS = { "question.not_found": 404, "vote.not_public": 409, "vote.throttled": 429 };
  var ASK_ERRORS = {
    invalid: 400,
    "question.empty": 400,
    "question.too_long": 400,
    "question.author_too_long": 400,
    "question.addressed_to_invalid": 400,
    "qa.closed": 409,
    "question.throttled": 429,
  };

  function voteOverSocket(id, withdraw) {
    return overSocket({ type: withdraw ? "unvote" : "vote", question: id }, "vote.done", function (data) {
      return { votes: data.votes };
    }, VOTE_ERRORS);
  }

  function askOverSocket(item) {
    if (item.session !== cfg.session) return Promise.reject(new Error("another session's socket"));
    // The server closes a socket on a frame over 4 KiB; a text that long goes over HTTP.
    if ((item.text.length + (item.author_name || "").length) * 4 > 3500) return Promise.reject(new Error("too long"));
    var message = {
      type: "ask",
      text: item.text,
      author_name: item.author_name,
      anonymous: item.anonymous,
      client_id: item.client_id,
      addressed_to: item.addressed_to || null,
    };
    return overSocket(message, "asked", function (data) {
      return data.question;
    }, ASK_ERRORS);
  }

  function toggleVote(id, button) {
    var voted = myVotes.has(id);
    button.disabled = true;
    voteOverSocket(id, voted)
      .catch(function () {
        return call(voted ? "DELETE" : "POST", "questions/" + id + "/vote/");
      })
      .then(function (res) {
        if (res.ok) {
          if (voted) myVotes.delete(id);
          else myVotes.add(id);
          save(VOTES_KEY, Array.from(myVotes));
          var q = store.questions.get(id);
          if (q && typeof res.body.votes === "number") q.votes = res.body.votes;
          renderPublic();
        } else {
          announce(res.status === 429 ? S.throttled : (res.body && res.body.detail) || S.error);
        }
      })
      .catch(function () {
        announce(S.offline);
      })
      .finally(function () {
        var q = store.questions.get(id);
        button.disabled = !q || q.status !== "approved";
      });
  }

  /* ---- polls ----------------------------------------------------------------------------- */

  function votersText(n) {
    return n === 1 ? S.voters_one : fmt(S.voters_many, { n: n });
  }

  function listedPolls() {
    return Array.from(store.polls.values()).sort(function (a, b) {
      return a.id - b.id;
    });
  }

  /** One card per poll the phone holds: the options to tick while it is open, the bars once
   * the moderator shows the results. What the phone ticked but did not send survives a
   * re-render (a tally arrives twice a second while a hall votes). */
  function renderPolls() {
    var polls = listedPolls();
    var box = $("polls");
    var fresh = polls.filter(function (p) {
      return knownPolls && !knownPolls.has(p.id) && p.state === "open";
    });
    if (fresh.length) announce(S.poll_new);
    knownPolls = new Set(
      polls.map(function (p) {
        return p.id;
      })
    );
    var focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.id : null;
    Live.replaceChildren(box, polls.map(buildPoll));
    box.hidden = polls.length === 0;
    if (focused && $(focused)) $(focused).focus();
  }

  function buildPoll(poll) {
    var card = el("section", "card poll");
    card.dataset.id = poll.id;
    var titleId = "poll-" + poll.id + "-title";
    card.setAttribute("aria-labelledby", titleId);
    card.append(el("p", "poll-label small", S.poll));
    var title = el("h2", "poll-question", Live.pick(poll.question, cfg.lang));
    title.id = titleId;
    card.append(title);
    var open = poll.state === "open";
    var stored = myBallots[String(poll.id)] || [];
    var ticked = pollChoice[poll.id] || stored;
    var multiple = poll.kind === "multiple";
    var form = el("form", "poll-form");
    form.noValidate = true;
    var fieldset = el("fieldset", "poll-options");
    var hint = open ? (multiple ? fmt(S.poll_pick_many, { n: poll.max_choices }) : S.poll_pick_one) : S.poll_closed;
    fieldset.append(el("legend", "small muted", hint));
    var most = 0;
    poll.options.forEach(function (o) {
      most = Math.max(most, o.votes || 0);
    });
    poll.options.forEach(function (o) {
      var row = el("div", "poll-option");
      var input = el("input");
      input.type = multiple ? "checkbox" : "radio";
      input.name = "poll-" + poll.id;
      input.value = String(o.id);
      input.id = "poll-" + poll.id + "-option-" + o.id;
      input.checked = ticked.indexOf(o.id) >= 0;
      input.disabled = !open;
      input.addEventListener("change", function () {
        pollChoice[poll.id] = Array.from(form.querySelectorAll("input:checked")).map(function (i) {
          return Number(i.value);
        });
      });
      var label = el("label", "poll-option-label");
      label.htmlFor = input.id;
      label.append(el("span", "poll-option-text", Live.pick(o.text, cfg.lang)));
      if (o.votes !== null && o.votes !== undefined) {
        var share = poll.voters ? Math.round((o.votes / poll.voters) * 100) : 0;
        label.append(el("span", "poll-option-count", o.votes + " · " + share + "%"));
        var bar = el("span", "poll-bar");
        bar.style.width = most ? Math.round((o.votes / most) * 100) + "%" : "0";
        bar.setAttribute("aria-hidden", "true");
        row.append(bar);
      }
      if (stored.indexOf(o.id) >= 0) row.classList.add("is-mine");
      row.append(input, label);
      fieldset.append(row);
    });
    form.append(fieldset);
    if (open) {
      var button = el("button", "btn btn-primary btn-block poll-send", stored.length ? S.poll_change : S.poll_vote);
      button.type = "submit";
      button.id = "poll-" + poll.id + "-send";
      form.append(button);
    }
    var note = pollNotes[poll.id] || (stored.length && open ? [S.poll_voted, "ok"] : null);
    var status = el("p", "ask-status" + (note && note[1] ? " ask-" + note[1] : ""), note ? note[0] : "");
    status.setAttribute("role", "status");
    form.append(status);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sendBallot(poll, pollChoice[poll.id] || stored, form);
    });
    card.append(form, el("p", "poll-voters small muted", votersText(poll.voters)));
    return card;
  }

  function ballotOverSocket(pollId, options) {
    return overSocket({ type: "ballot", poll: pollId, options: options }, "ballot.done", function (data) {
      return { poll: data.poll, options: data.options };
    }, BALLOT_ERRORS);
  }

  function sendBallot(poll, options, form) {
    if (!options.length) {
      pollNotes[poll.id] = [S.poll_choose, "error"];
      renderPolls();
      return;
    }
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    ballotOverSocket(poll.id, options)
      .catch(function () {
        return call("POST", "polls/" + poll.id + "/ballot/", { options: options });
      })
      .then(function (res) {
        if (res.ok) {
          myBallots[String(poll.id)] = res.body.options;
          save(BALLOTS_KEY, myBallots);
          delete pollChoice[poll.id];
          pollNotes[poll.id] = [S.poll_voted, "ok"];
          announce(S.poll_voted);
        } else {
          var detail = res.status === 429 ? S.throttled : (res.body && res.body.detail) || S.error;
          pollNotes[poll.id] = [detail, "error"];
          announce(detail);
        }
      })
      .catch(function () {
        pollNotes[poll.id] = [S.offline, "error"];
      })
      .finally(renderPolls);
  }

  /* ---- the session ---------------------------------------------------------------------- */

  function renderSession() {
    var s = store.session;
    if (!s) return;
    var badge = $("session-status");
    badge.textContent = S.statuses[s.status] || s.status;
    badge.className = "badge badge-" + s.status;
    $("session-title").textContent = Live.pick(s.title, cfg.lang);
    var closed = !s.qa_open;
    var wasClosed = $("ask-form").hidden;
    $("ask-form").hidden = closed;
    $("qa-closed").hidden = !closed;
    renderSpeakers(s.speakers || []);
    if (!firstSnapshot && wasClosed !== closed) announce(closed ? S.qa_closed : S.qa_open);
  }

  /** The "To" picker: everyone, then each speaker of the session; hidden without speakers.
   * A chosen speaker who left the session falls back to everyone. */
  function renderSpeakers(speakers) {
    var select = $("q-to");
    var chosen = select.value;
    var options = [el("option", null, select.options[0].textContent)];
    options[0].value = "";
    speakers.forEach(function (p) {
      var option = el("option", null, p.name);
      option.value = String(p.id);
      options.push(option);
    });
    Live.replaceChildren(select, options);
    select.value = speakers.some(function (p) { return String(p.id) === chosen; }) ? chosen : "";
    $("to-row").hidden = speakers.length === 0;
  }

  function setToError(text) {
    var node = $("q-to-error");
    node.textContent = text || "";
    node.hidden = !text;
    $("q-to").setAttribute("aria-invalid", text ? "true" : "false");
  }

  /* ---- my questions and the outbox ----------------------------------------------------- */

  function outbox() {
    return load(OUTBOX_KEY, []);
  }

  function renderMine() {
    var list = $("mine-list");
    var nodes = [];
    outbox()
      .filter(function (item) {
        return item.session === cfg.session;
      })
      .forEach(function (item) {
        var li = el("li", "q q-queued");
        var body = el("div", "q-body");
        body.append(el("p", "q-badges small", S.queued_item));
        if (item.addressed_name) body.append(el("p", "q-to small", fmt(S.addressed_to, { name: item.addressed_name })));
        body.append(el("p", "q-text", item.text));
        li.append(body);
        nodes.push(li);
      });
    Array.from(mine.values())
      .sort(function (a, b) {
        return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.id - a.id;
      })
      .forEach(function (q) {
        var li = el("li", "q status-" + q.status);
        li.dataset.id = q.id;
        var body = el("div", "q-body");
        var badges = el("p", "q-badges small");
        badges.append(el("span", "badge badge-q-" + q.status, S.question_statuses[q.status] || q.status));
        body.append(badges);
        var to = toNode(q);
        if (to) body.append(to);
        body.append(el("p", "q-text", q.text));
        li.append(body);
        nodes.push(li);
      });
    Live.replaceChildren(list, nodes);
    $("mine-empty").hidden = nodes.length > 0;
  }

  function setMine(q) {
    var held = mine.get(q.id);
    if (held && (q.version || 0) < (held.version || 0)) return;
    if (held && held.status !== q.status) {
      announce(fmt(S.status_changed, { status: S.question_statuses[q.status] || q.status }));
    }
    mine.set(q.id, q);
  }

  var mineTimer = null;

  function refreshMine() {
    // Only a phone that asked here has questions to look up (not every phone of the hall).
    if (!load(TOKEN_KEY, null) || !load(ASKED_KEY, false)) {
      renderMine();
      return;
    }
    call("GET", "sessions/" + cfg.session + "/questions/?mine=1")
      .then(function (res) {
        if (!res.ok) return;
        listOf(res.body).forEach(setMine);
        renderMine();
        // A rejection never reaches the public stream: look again while any wait for review.
        window.clearTimeout(mineTimer);
        var waiting = Array.from(mine.values()).some(function (q) {
          return q.status === "pending";
        });
        if (waiting) mineTimer = window.setTimeout(refreshMine, 30000);
      })
      .catch(function () {
        /* offline: keep what is shown */
      });
  }

  function enqueue(item) {
    var items = outbox();
    items.push(item);
    save(OUTBOX_KEY, items);
  }

  function dequeue(clientId) {
    save(
      OUTBOX_KEY,
      outbox().filter(function (item) {
        return item.client_id !== clientId;
      })
    );
  }

  function scheduleRetry(ms) {
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(flushOutbox, ms || retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  /** Send the saved questions one by one, each with its own client_id, so that a retry of a
   * question that did arrive returns the same question instead of a copy. */
  function flushOutbox() {
    if (flushing) return;
    var items = outbox();
    if (!items.length) return;
    flushing = true;
    var item = items[0];
    askOverSocket(item)
      .catch(function () {
        return call("POST", "sessions/" + item.session + "/questions/", {
          text: item.text,
          author_name: item.author_name,
          anonymous: item.anonymous,
          client_id: item.client_id,
          addressed_to: item.addressed_to || null,
        });
      })
      .then(function (res) {
        flushing = false;
        if (res.ok) {
          retryDelay = 2000;
          dequeue(item.client_id);
          if (item.session === cfg.session) save(ASKED_KEY, true);
          if (res.body && res.body.id && res.body.session_id === cfg.session) setMine(res.body);
          renderMine();
          var pending = res.body && res.body.status === "pending";
          setAskStatus(pending ? S.sent_pending : S.sent, "ok");
          if (res.body && res.body.status === "pending") {
            window.clearTimeout(mineTimer);
            mineTimer = window.setTimeout(refreshMine, 30000);
          }
          flushOutbox();
          return;
        }
        if (res.status === 429) {
          var after = Number(res.headers.get("Retry-After")) || 10;
          setAskStatus(S.throttled, "error");
          scheduleRetry(after * 1000);
          return;
        }
        if (res.status >= 500) {
          scheduleRetry();
          return;
        }
        // Refused for good (closed, too long, not found): tell and drop it.
        dequeue(item.client_id);
        renderMine();
        var detail = res.body && res.body.code === "qa.closed" ? S.qa_closed : (res.body && res.body.detail) || S.error;
        setAskStatus(detail, "error");
        var fields = (res.body && res.body.fields) || {};
        if (fields.addressed_to) {
          // Refused for the speaker it was for: give the words back to send again.
          setToError([].concat(fields.addressed_to).join(" "));
          if (!$("q-text").value) $("q-text").value = item.text;
          updateCounter();
        }
        flushOutbox();
      })
      .catch(function () {
        flushing = false;
        setAskStatus(S.queued, "queued");
        scheduleRetry();
      });
  }

  /* ---- the form ------------------------------------------------------------------------ */

  function length(text) {
    return Array.from(text.normalize ? text.normalize("NFC") : text).length;
  }

  function updateCounter() {
    var left = cfg.max_length - length($("q-text").value);
    var node = $("q-count");
    node.textContent = left >= 0 ? fmt(S.chars_left, { n: left }) : fmt(S.too_long, { n: -left });
    node.classList.toggle("over", left < 0);
  }

  function bindForm() {
    var text = $("q-text");
    var name = $("q-name");
    var anon = $("q-anon");
    name.value = load(NAME_KEY, "") || "";
    text.addEventListener("input", updateCounter);
    $("q-to").addEventListener("change", function () {
      setToError("");
    });
    anon.addEventListener("change", function () {
      $("name-row").hidden = anon.checked;
    });
    $("ask-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var value = text.value.trim();
      if (!value) {
        setAskStatus(S.empty, "error");
        text.focus();
        return;
      }
      if (length(value) > cfg.max_length) {
        updateCounter();
        text.focus();
        return;
      }
      save(NAME_KEY, name.value.trim());
      var to = $("q-to");
      var speakerId = to.value ? Number(to.value) : null;
      setToError("");
      enqueue({
        client_id: newClientId(),
        session: cfg.session,
        text: value,
        author_name: anon.checked ? "" : name.value.trim(),
        anonymous: anon.checked,
        addressed_to: speakerId,
        addressed_name: speakerId ? to.options[to.selectedIndex].textContent : "",
      });
      text.value = "";
      updateCounter();
      renderMine();
      if (navigator.onLine === false) setAskStatus(S.queued, "queued");
      else setAskStatus(S.retrying, "");
      window.clearTimeout(retryTimer);
      retryDelay = 2000;
      flushOutbox();
    });
    updateCounter();
  }

  /* ---- the stream ---------------------------------------------------------------------- */

  function onFrame(type, data) {
    if (!store.apply(type, data)) return;
    if (type === "question.updated") {
      var q = data.question || data;
      if (mine.has(q.id)) {
        setMine(q);
        renderMine();
      }
    } else if (type === "question.removed" && mine.has(data.id)) {
      refreshMine();
    }
    if (type === "snapshot" || type === "session.updated") renderSession();
    if (type === "snapshot" || type.indexOf("poll.") === 0) {
      renderPolls();
      if (type.indexOf("poll.") === 0) return;
    }
    renderPublic();
    if (type === "snapshot") firstSnapshot = false;
  }

  bindForm();
  renderMine();
  window.addEventListener("online", flushOutbox);
  var socket = new LiveSocket(cfg.ws, { onFrame: onFrame, onState: onState });
  window.hoithaoSocket = socket;
  socket.start();
})();
