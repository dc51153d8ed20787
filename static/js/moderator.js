/* The moderator console: three columns fed by the moderation stream, actions through the
 * API with the question's version (a stale one comes back 409 with the current question),
 * keyboard shortcuts, session status and Q&A controls. User text via textContent only.
 * The labels and both transition tables (session, question) come from the server in the
 * page config; errors are told apart by their documented codes (docs/api.md). */
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
  var cards = new Map(); // id -> {node, sig}
  var selectedId = null;
  var COLUMNS = ["col-incoming", "col-screen", "col-done"];
  var editing = null;
  var translating = null; // {id, version}: the version the editor was opened on
  var merging = null;
  var picked = new Set(); // question ids ticked for a bulk action
  var lastPicked = null; // for shift-click ranges
  var screenSort = "votes"; // the "On screen" column: "votes" (the display's order) or "time"
  // Which buttons a card shows, in this order, is the console's choice; which moves a question
  // allows is the server's table (cfg.question_transitions: action -> {from: to}).
  var BUTTONS = ["approve", "pin", "unpin", "answer", "restore", "edit", "translate", "merge", "reject", "archive"];
  // docs/api.md: nobody signed in, a bad token, a refused CSRF check, not a moderator here.
  // ... or (organiser.forbidden) a moderator asking for what only an organiser may do.
  var NOT_ALLOWED = ["auth.required", "auth.failed", "auth.forbidden", "moderation.forbidden", "organiser.forbidden"];
  // What the role table lets this user do at this event (live.enums.ROLE_CAPABILITIES).
  function may(capability) {
    return (cfg.capabilities || []).indexOf(capability) !== -1;
  }

  /* ---- the API ------------------------------------------------------------------------ */

  function api(method, path, body) {
    return Live.apiRequest(cfg.api + path, method, body);
  }

  var flash = Live.flasher($("m-flash"));

  function errorCode(res) {
    return (res.body && res.body.code) || "";
  }

  function errorDetail(res) {
    return fmt(S.error, { detail: (res.body && res.body.detail) || res.status });
  }

  function upsert(q) {
    if (!q || typeof q.id !== "number") return;
    var held = store.questions.get(q.id);
    if (held && (q.version || 0) < (held.version || 0)) return;
    store.questions.set(q.id, q);
  }

  /** A question action; the card shows the server's answer: the question on success, the
   * question as it is now on `question.version_conflict`. */
  function act(id, action, extra) {
    var q = store.questions.get(id);
    if (!q) return Promise.resolve();
    var body = Object.assign({ version: q.version }, extra || {});
    // An edit and a translation are both a PATCH of the question (docs/api.md).
    var patch = action === "edit" || action === "translate";
    var method = patch ? "PATCH" : "POST";
    var path = patch ? "questions/" + id + "/" : "questions/" + id + "/" + action + "/";
    return api(method, path, body)
      .then(function (res) {
        var code = errorCode(res);
        if (res.ok) {
          upsert(res.body);
          flash(fmt(S.done_action, { action: S.actions[action] || S[action] || action, id: id }), "ok");
        } else if (code === "question.version_conflict") {
          // Newer than what we hold by definition: show it as it is now.
          store.questions.set(res.body.question.id, res.body.question);
          flash(S.conflict, "error");
          markConflict(id);
        } else if (NOT_ALLOWED.indexOf(code) !== -1) {
          flash(S.forbidden, "error");
        } else {
          flash(errorDetail(res), "error");
        }
        render();
      })
      .catch(function () {
        flash(S.network, "error");
      });
  }

  function markConflict(id) {
    var card = cards.get(id);
    if (!card) return;
    card.node.classList.add("conflict");
    window.setTimeout(function () {
      card.node.classList.remove("conflict");
    }, 4000);
  }

  /* ---- cards --------------------------------------------------------------------------- */

  function actionsFor(q) {
    var actions = BUTTONS.filter(function (action) {
      var moves = cfg.question_transitions[action];
      if (!moves || !Object.prototype.hasOwnProperty.call(moves, q.status)) return false;
      if (action === "pin") return !q.pinned;
      if (action === "unpin") return q.pinned;
      return true;
    });
    // The stage queue takes approved questions that are not pinned (docs/api.md); the server
    // says no (409) to anything else, with its code.
    if (q.status === "approved" && !q.pinned) {
      actions.splice(actions.indexOf("pin") + 1, 0, q.queue_position ? "unqueue" : "queue");
    }
    return actions;
  }

  function buttonLabel(action, q) {
    if (action === "queue") return [S.queue, fmt(S.queue_for, { id: q.id })];
    if (action === "unqueue") {
      return [S.unqueue + " (#" + q.queue_position + ")", fmt(S.unqueue_from, { id: q.id, n: q.queue_position })];
    }
    var label = S.actions[action] || action;
    return [label, label + " #" + q.id];
  }

  function column(q) {
    if (q.status === "pending") return "col-incoming";
    if (q.status === "approved") return "col-screen";
    return "col-done";
  }

  function votesText(n) {
    return n === 1 ? S.votes_one : fmt(S.votes_many, { n: n });
  }

  function signature(q) {
    var to = q.addressed_to ? q.addressed_to.id + ":" + q.addressed_to.name : "";
    return [
      q.version,
      q.votes,
      q.status,
      q.pinned,
      q.text,
      q.merged_into,
      q.queue_position,
      to,
      q.translation,
      q.translation_suggestion,
      q.translation_stale,
      q.author_muted,
      likeTargets(q).join(","),
    ].join("|");
  }

  /* ---- screening, muting, duplicates (issue 14) ------------------------------------------ */

  /** The questions this one repeats that it can still be merged into (open, in this store). */
  function likeTargets(q) {
    if (q.status === "archived" || q.status === "rejected") return [];
    return (q.similar_to || []).filter(function (id) {
      var other = store.questions.get(id);
      return other && other.status !== "archived" && other.status !== "rejected";
    });
  }

  /** "flagged: ..." (the listed words it holds), "author muted", and "like #12" with its
   * one-click merge; null when there is nothing to say. */
  function screeningLine(q) {
    var flags = q.flags || {};
    var line = el("p", "m-flags small");
    if (flags.words && flags.words.length) {
      line.append(el("span", "badge badge-flagged", fmt(S.flagged, { words: flags.words.join(", ") })));
    }
    if (q.author_muted || flags.muted) {
      line.append(el("span", "badge badge-muted", q.author_muted ? S.author_muted : S.asked_muted));
    }
    likeTargets(q).forEach(function (into) {
      var like = el("span", "m-like");
      like.append(el("span", "m-like-text", fmt(S.like, { id: into })));
      var b = el("button", "btn btn-small m-merge-like", fmt(S.merge_into, { id: into }));
      b.type = "button";
      b.dataset.mergeInto = into;
      b.setAttribute("aria-label", fmt(S.merge_like, { id: q.id, into: into }));
      like.append(b);
      line.append(like);
    });
    return line.childNodes.length ? line : null;
  }

  function fillCard(node, q) {
    var head = el("p", "m-card-head small");
    var box = el("input", "m-pick");
    box.type = "checkbox";
    box.checked = picked.has(q.id);
    box.dataset.pick = q.id;
    box.setAttribute("aria-label", fmt(S.pick, { id: q.id }));
    head.append(box);
    head.append(el("span", "m-id", "#" + q.id), el("span", "badge badge-q-" + q.status, S.question_statuses[q.status] || q.status));
    if (q.pinned) head.append(el("span", "badge badge-pinned", S.pinned));
    if (q.queue_position) head.append(el("span", "badge badge-queue", fmt(S.queued, { n: q.queue_position })));
    if (q.edited) head.append(el("span", "m-edited", S.edited));
    if (q.merged_into) head.append(el("span", "m-edited", fmt(S.merged_into, { id: q.merged_into })));
    var to = q.addressed_to ? el("p", "m-to small", fmt(S.addressed_to, { name: q.addressed_to.name })) : null;
    // Both languages (issue 14): the language it was asked in, and its translation under it.
    if (q.language) head.append(el("span", "badge badge-lang", S.languages[q.language] || q.language));
    var text = el("p", "m-text", q.text);
    if (q.language === "vi" || q.language === "en") text.lang = q.language;
    var translated = null;
    if (q.translation) {
      translated = el("p", "m-translation", q.translation);
      translated.lang = q.translation_language || "";
      if (q.translation_stale) {
        // The text was edited after the translation was saved: shown until it is saved again.
        translated.classList.add("is-stale");
        var stale = el("span", "badge badge-stale m-translation-stale", S.translation_stale);
        stale.lang = document.documentElement.lang;
        translated.prepend(stale, " ");
      }
    } else if (q.translation_suggestion) {
      translated = el("p", "m-translation m-suggested small muted", fmt(S.suggested, { text: q.translation_suggestion }));
    }
    var meta = el("p", "m-meta small muted", (q.author_name || S.anonymous) + " · " + votesText(q.votes) + " · ");
    var age = el("time", "m-age", ageText(q.created_at));
    age.dateTime = q.created_at;
    meta.append(age);
    var buttons = el("div", "m-actions");
    actionsFor(q).forEach(function (action) {
      var label = buttonLabel(action, q);
      var b = el("button", "btn btn-small m-" + action, label[0]);
      b.type = "button";
      b.dataset.action = action;
      b.setAttribute("aria-label", label[1]);
      buttons.append(b);
    });
    var history = el("button", "btn btn-small btn-link m-history-open");
    history.type = "button";
    history.dataset.history = q.id;
    history.textContent = S.history;
    history.setAttribute("aria-label", fmt(S.history_for, { id: q.id }));
    buttons.append(history);
    if (q.participant_id) {
      var mute = q.author_muted ? "unmute-author" : "mute-author";
      var m = el("button", "btn btn-small btn-link m-" + mute, S[mute]);
      m.type = "button";
      m.dataset.action = mute;
      m.setAttribute("aria-label", S[mute] + " #" + q.id);
      buttons.append(m);
    }
    Live.replaceChildren(node, [head, to, text, translated, screeningLine(q), meta, buttons].filter(Boolean));
    node.className = "m-card status-" + q.status + (q.pinned ? " is-pinned" : "") + (q.id === selectedId ? " selected" : "");
    node.setAttribute("aria-label", "#" + q.id + ": " + q.text);
  }

  /** How long ago a question came in ("3 min"), against the server's clock. */
  function ageText(iso) {
    var minutes = Math.floor((socket.serverNow() - Date.parse(iso)) / 60000);
    if (!(minutes >= 1)) return S.age_now;
    if (minutes < 60) return fmt(S.age_minutes, { n: minutes });
    return fmt(S.age_hours, { n: Math.floor(minutes / 60) });
  }

  function refreshAges() {
    document.querySelectorAll(".m-card .m-age").forEach(function (node) {
      node.textContent = ageText(node.dateTime);
    });
  }

  /* ---- search: text, author or #id, with or without Vietnamese tone marks ---------------- */

  /** Lower case without tone marks or other diacritics, đ as d: "Hà Nội" and "ha noi" meet. */
  function fold(text) {
    return String(text || "")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d")
      .toLowerCase();
  }

  function matches(q, query) {
    if (!query) return true;
    var id = query.match(/^#?(\d+)$/);
    if (id && q.id === Number(id[1])) return true;
    var words = fold(query).split(/\s+/).filter(Boolean);
    var haystack = fold(q.text + " " + (q.author_name || ""));
    return words.every(function (word) {
      return haystack.indexOf(word) !== -1;
    });
  }

  /** The speaker filter: "" any question, "everyone" those for everyone, else a speaker's id. */
  function addressedMatches(q, wanted) {
    if (!wanted) return true;
    if (wanted === "everyone") return !q.addressed_to;
    return !!q.addressed_to && String(q.addressed_to.id) === wanted;
  }

  function applySearch() {
    var query = $("m-search").value.trim();
    var speaker = $("m-speaker").value;
    var shown = 0;
    var total = 0;
    store.questions.forEach(function (q) {
      var card = cards.get(q.id);
      if (!card) return;
      total += 1;
      var hit = matches(q, query) && addressedMatches(q, speaker);
      card.node.hidden = !hit;
      if (hit) shown += 1;
    });
    $("m-search-count").textContent = query || speaker ? fmt(S.search_count, { shown: shown, total: total }) : "";
  }

  /** A select's speaker options after its first `data-fixed` ones (which stay), from the
   * session's speakers; a choice that is no longer there falls back to the first option. */
  function speakerOptions(select, speakers) {
    var fixed = Array.from(select.options).slice(0, Number(select.dataset.fixed));
    var chosen = select.value;
    var options = speakers.map(function (p) {
      var option = el("option", null, p.name);
      option.value = String(p.id);
      return option;
    });
    Live.replaceChildren(select, fixed.concat(options));
    var values = Array.from(select.options).map(function (o) {
      return o.value;
    });
    select.value = values.indexOf(chosen) !== -1 ? chosen : fixed[0].value;
  }

  function renderSpeakers(speakers) {
    speakerOptions($("m-speaker"), speakers);
    speakerOptions($("edit-to"), speakers);
    $("m-speaker-box").hidden = $("edit-to-row").hidden = speakers.length === 0;
  }

  function order(colId) {
    return function (a, b) {
      if (colId === "col-incoming") return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id;
      if (colId === "col-screen" && screenSort === "time") {
        return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.id - a.id;
      }
      if (colId === "col-screen") return LiveStore.publicOrder(a, b);
      var au = a.updated_at || a.created_at;
      var bu = b.updated_at || b.created_at;
      return au < bu ? 1 : au > bu ? -1 : b.id - a.id;
    };
  }

  function render() {
    var hadFocusInCards = document.activeElement && document.activeElement.closest && document.activeElement.closest(".m-card");
    var byCol = { "col-incoming": [], "col-screen": [], "col-done": [] };
    store.questions.forEach(function (q) {
      byCol[column(q)].push(q);
    });
    var keep = new Set();
    COLUMNS.forEach(function (colId) {
      var list = $(colId);
      var qs = byCol[colId].sort(order(colId));
      qs.forEach(function (q, index) {
        keep.add(q.id);
        var card = cards.get(q.id);
        if (!card) {
          var node = el("article", "m-card");
          node.tabIndex = -1;
          node.dataset.id = q.id;
          card = { node: node, sig: null };
          cards.set(q.id, card);
        }
        var sig = signature(q);
        if (card.sig !== sig) {
          fillCard(card.node, q);
          card.sig = sig;
        }
        card.node.classList.toggle("selected", q.id === selectedId);
        if (list.children[index] !== card.node) list.insertBefore(card.node, list.children[index] || null);
      });
      if (!qs.length) {
        if (!list.querySelector(".m-empty")) list.append(el("p", "m-empty muted", S.empty));
      } else {
        var empty = list.querySelector(".m-empty");
        if (empty) empty.remove();
      }
    });
    cards.forEach(function (card, id) {
      if (!keep.has(id)) {
        card.node.remove();
        cards.delete(id);
      }
    });
    applySearch();
    renderPicked();
    $("n-incoming").textContent = byCol["col-incoming"].length;
    $("n-screen").textContent = byCol["col-screen"].length;
    $("n-done").textContent = byCol["col-done"].length;
    renderCounters();
    if (selectedId !== null && !cards.has(selectedId)) selectedId = null;
    if (hadFocusInCards && document.activeElement === document.body && selectedId !== null) {
      cards.get(selectedId).node.focus();
    }
  }

  function renderCounters() {
    var total = 0;
    var pending = 0;
    var votes = 0;
    store.questions.forEach(function (q) {
      total += 1;
      if (q.status === "pending") pending += 1;
      votes += q.votes || 0;
    });
    $("c-questions").textContent = total;
    $("c-pending").textContent = pending;
    $("c-votes").textContent = votes;
    var presence = store.presence;
    if (presence) {
      $("c-phones").textContent = presence.phones || 0;
      $("c-displays").textContent = presence.displays || 0;
      $("c-moderators").textContent = presence.moderators || 0;
    }
    $("c-phones-box").hidden = $("c-displays-box").hidden = $("c-moderators-box").hidden = !presence;
  }

  function renderSession() {
    var s = store.session;
    if (!s) return;
    var badge = $("m-status");
    badge.textContent = S.statuses[s.status] || s.status;
    badge.className = "badge badge-" + s.status;
    $("m-title").textContent = Live.pick(s.title, cfg.lang);
    var box = $("m-status-buttons");
    // Only an organiser runs the session (the role table); a moderator sees the status.
    var moves = may("run_sessions") ? cfg.transitions[s.status] || [] : [];
    Live.replaceChildren(
      box,
      moves.map(function (status) {
        var b = el("button", "btn btn-small", S.statuses[status] || status);
        b.type = "button";
        b.dataset.status = status;
        b.setAttribute("aria-label", fmt(S.set_status, { status: S.statuses[status] || status }));
        return b;
      })
    );
    $("m-qa-state").textContent = s.qa_open ? S.qa_open : S.qa_closed;
    $("m-qa-toggle").textContent = s.qa_open ? S.close_qa : S.open_qa;
    var post = s.moderation === "post";
    $("m-mod-state").textContent = post ? S.moderation_post : S.moderation_pre;
    if ($("m-mod-toggle")) $("m-mod-toggle").textContent = post ? S.to_pre : S.to_post;
    renderSpeakers(s.speakers || []);
  }

  function patchSession(changes) {
    var s = store.session;
    if (!s) return;
    api("PATCH", "sessions/" + s.id + "/", Object.assign({ version: s.version }, changes))
      .then(function (res) {
        // The session on success; with `session.version_conflict`, the session as it is now.
        var code = errorCode(res);
        var fresh = res.ok ? res.body : code === "session.version_conflict" ? res.body.session : null;
        if (fresh && (fresh.version || 0) >= (store.session.version || 0)) store.session = fresh;
        if (code === "session.version_conflict") flash(S.conflict, "error");
        else if (NOT_ALLOWED.indexOf(code) !== -1) flash(S.forbidden, "error");
        else if (!res.ok) flash(errorDetail(res), "error");
        renderSession();
      })
      .catch(function () {
        flash(S.network, "error");
      });
  }

  /* ---- selection and keys --------------------------------------------------------------- */

  function orderedIds() {
    var ids = [];
    COLUMNS.forEach(function (colId) {
      Array.prototype.forEach.call($(colId).querySelectorAll(".m-card:not([hidden])"), function (node) {
        ids.push(Number(node.dataset.id));
      });
    });
    return ids;
  }

  function select(id) {
    if (selectedId !== null && cards.has(selectedId)) cards.get(selectedId).node.classList.remove("selected");
    selectedId = id;
    if (id === null || !cards.has(id)) return;
    var node = cards.get(id).node;
    node.classList.add("selected");
    node.focus();
    node.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var ids = orderedIds();
    if (!ids.length) return;
    var i = ids.indexOf(selectedId);
    i = i === -1 ? (step > 0 ? 0 : ids.length - 1) : Math.max(0, Math.min(ids.length - 1, i + step));
    select(ids[i]);
  }

  function openEdit(id) {
    var q = store.questions.get(id);
    if (!q) return;
    editing = id;
    $("edit-text").value = q.text;
    $("edit-original").textContent = q.original_text ? q.original_text : "";
    // A speaker who has left the session since is not among the options: the select then
    // shows "Everyone", and saving leaves the question's speaker alone unless it is changed.
    var to = $("edit-to");
    to.value = q.addressed_to ? String(q.addressed_to.id) : "";
    if (to.selectedIndex === -1) to.value = "";
    to.dataset.opened = to.value;
    $("edit").showModal();
    $("edit-text").focus();
  }

  /** The translation into the other language, prefilled with what there is: the moderators'
   * translation, else the translation server's suggestion (docs/api.md). */
  function openTranslate(id) {
    var q = store.questions.get(id);
    if (!q) return;
    translating = { id: id, version: q.version };
    var target = q.language === "vi" ? "en" : "vi";
    $("translate-original").textContent = q.text;
    $("translate-label").textContent = fmt(S.translate_into, { language: S.languages[target] || target });
    $("translate-text").value = q.translation || q.translation_suggestion || "";
    $("translate-text").lang = target;
    $("translate-hint").textContent = q.translation
      ? q.translation_stale ? S.translation_stale_hint : ""
      : q.translation_suggestion ? S.suggestion_prefilled : "";
    $("translate").showModal();
    $("translate-text").focus();
  }

  function openMerge(id) {
    var q = store.questions.get(id);
    if (!q) return;
    var targets = Array.from(store.questions.values()).filter(function (t) {
      return t.id !== id && (t.status === "approved" || t.status === "pending" || t.status === "answered");
    });
    if (!targets.length) {
      flash(S.merge_none, "error");
      return;
    }
    merging = id;
    $("merge-source").textContent = "#" + q.id + ": " + q.text;
    Live.replaceChildren(
      $("merge-into"),
      targets.sort(LiveStore.publicOrder).map(function (t) {
        var option = el("option", null, "#" + t.id + " (" + votesText(t.votes) + "): " + t.text.slice(0, 120));
        option.value = t.id;
        return option;
      })
    );
    $("merge").showModal();
  }

  function runAction(id, action) {
    if (action === "edit") return openEdit(id);
    if (action === "translate") return openTranslate(id);
    if (action === "merge") return openMerge(id);
    return act(id, action);
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (document.querySelector("dialog[open]")) return;
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      $("help").showModal();
      return;
    }
    if (key === "x" && selectedId !== null) {
      event.preventDefault();
      pick(selectedId, !picked.has(selectedId), event.shiftKey);
      return;
    }
    if (key === "h") {
      event.preventDefault();
      showHistory(selectedId);
      return;
    }
    if (key === "j" || key === "k") {
      event.preventDefault();
      move(key === "j" ? 1 : -1);
      return;
    }
    if (selectedId === null) return;
    var q = store.questions.get(selectedId);
    if (!q) return;
    var allowed = actionsFor(q);
    var action = {
      a: "approve",
      r: "reject",
      e: "edit",
      t: "translate",
      p: q.pinned ? "unpin" : "pin",
      q: q.queue_position ? "unqueue" : "queue",
    }[key];
    if (!action) return;
    event.preventDefault();
    if (allowed.indexOf(action) === -1) {
      flash(fmt(S.error, { detail: (S.actions[action] || S[action]) + " #" + q.id + " ✕" }), "error");
      return;
    }
    runAction(selectedId, action);
  }

  /* ---- several at once: tick cards (shift-click for a range, x for the focused card), then
   * one bulk action for all of them - all or nothing, as the endpoint is (docs/api.md) ------- */

  function renderPicked() {
    picked.forEach(function (id) {
      if (!store.questions.has(id)) picked.delete(id);
    });
    cards.forEach(function (card, id) {
      var box = card.node.querySelector("input[data-pick]");
      if (box) box.checked = picked.has(id);
      card.node.classList.toggle("picked", picked.has(id));
    });
    $("m-bulk").hidden = picked.size === 0;
    $("m-bulk-count").textContent = fmt(S.picked, { n: picked.size });
    document.querySelectorAll("input[data-pick-all]").forEach(function (all) {
      var ids = idsIn(all.dataset.pickAll);
      all.checked = ids.length > 0 && ids.every(function (id) {
        return picked.has(id);
      });
    });
  }

  function idsIn(colId) {
    return Array.prototype.map.call($(colId).querySelectorAll(".m-card:not([hidden])"), function (node) {
      return Number(node.dataset.id);
    });
  }

  function pick(id, on, range) {
    if (range && lastPicked !== null) {
      var ids = orderedIds();
      var from = ids.indexOf(lastPicked);
      var to = ids.indexOf(id);
      if (from !== -1 && to !== -1) {
        ids.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (each) {
          if (on) picked.add(each);
          else picked.delete(each);
        });
      }
    } else if (on) picked.add(id);
    else picked.delete(id);
    lastPicked = id;
    renderPicked();
  }

  function runBulk(action) {
    var ids = Array.from(picked);
    if (!ids.length) return;
    $("m-bulk").querySelectorAll("button").forEach(function (b) {
      b.disabled = true;
    });
    api("POST", "sessions/" + cfg.session + "/questions/bulk/", { action: action, ids: ids })
      .then(function (res) {
        if (res.ok) {
          res.body.forEach(upsert);
          picked.clear();
          render();
          flash(fmt(S.bulk_done, { n: ids.length, action: S.actions[action] || action }), "ok");
        } else if (NOT_ALLOWED.indexOf(errorCode(res)) !== -1) {
          flash(S.forbidden, "error");
        } else {
          flash(fmt(S.bulk_refused, { detail: (res.body && res.body.detail) || res.status }), "error");
        }
      })
      .catch(function () {
        flash(S.network, "error");
      })
      .then(function () {
        $("m-bulk").querySelectorAll("button").forEach(function (b) {
          b.disabled = false;
        });
      });
  }

  /* ---- history: the session's moderation log (GET .../audit/), or one question's --------- */

  // Seconds too: several moderators act within the same minute.
  var historyClock = new Intl.DateTimeFormat(cfg.lang === "en" ? "en-GB" : "vi-VN", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
    timeZone: cfg.timezone,
  });

  function historyEntry(entry) {
    var item = el("li", "m-history-item");
    var head = el("p", "small");
    head.append(
      el("time", "muted", historyClock.format(new Date(entry.at))),
      document.createTextNode(" "),
      el("strong", "", (S.logged[entry.action] || entry.action) + (entry.question_id ? " #" + entry.question_id : "")),
      document.createTextNode(" " + fmt(S.history_by, { who: entry.by || S.history_system }))
    );
    if (entry.from || entry.to) {
      var states = [entry.from, entry.to].map(function (state) {
        return S.question_statuses[state] || S.statuses[state] || state || "–";
      });
      head.append(el("span", "muted", " · " + states.join(" → ")));
    }
    item.append(head);
    var detail = entry.detail || {};
    if (detail.old_text !== undefined) {
      item.append(el("p", "m-history-old small", S.history_before + " " + detail.old_text));
      item.append(el("p", "m-history-new small", S.history_after + " " + detail.new_text));
    }
    if (detail.addressed_to) {
      var names = [detail.addressed_to.from, detail.addressed_to.to].map(function (p) {
        return p ? p.name : S.everyone;
      });
      item.append(el("p", "m-history-new small", fmt(S.history_to, { from: names[0], to: names[1] })));
    }
    return item;
  }

  /** Open the drawer with the session's log, or only question `questionId`'s. */
  function showHistory(questionId) {
    var title = questionId ? fmt(S.history_of, { id: questionId }) : S.history_title;
    $("history-title").textContent = title;
    Live.replaceChildren($("history-list"), [el("li", "muted", "…")]);
    $("history").showModal();
    api("GET", "sessions/" + cfg.session + "/audit/")
      .then(function (res) {
        if (!res.ok) {
          Live.replaceChildren($("history-list"), [el("li", "m-flash-error", errorDetail(res))]);
          return;
        }
        var entries = res.body.filter(function (entry) {
          return !questionId || entry.question_id === questionId;
        });
        Live.replaceChildren(
          $("history-list"),
          entries.length ? entries.map(historyEntry) : [el("li", "muted", S.history_none)]
        );
      })
      .catch(function () {
        Live.replaceChildren($("history-list"), [el("li", "m-flash-error", S.network)]);
      });
  }

  /* ---- the message to the stage ------------------------------------------------------- */

  var stageForm = $("stage-form");
  var stageClock = Live.clockFormat(cfg.lang, cfg.timezone);

  function renderStage(message) {
    $("stage-current").textContent = message.text
      ? fmt(S.stage_current, { time: stageClock.format(new Date(message.at)), text: message.text })
      : S.stage_none;
  }

  /** POST the hall's stage message ("" clears it); the answer is what the stage shows. */
  function sendStage(text) {
    var buttons = stageForm.querySelectorAll("button");
    buttons.forEach(function (b) {
      b.disabled = true;
    });
    api("POST", "halls/" + stageForm.dataset.hall + "/stage-message/", { text: text })
      .then(function (res) {
        if (res.ok) {
          renderStage(res.body);
          $("stage-text").value = "";
          flash(res.body.text ? fmt(S.stage_sent, { text: res.body.text }) : S.stage_cleared, "ok");
        } else if (NOT_ALLOWED.indexOf(errorCode(res)) !== -1) {
          flash(S.forbidden, "error");
        } else {
          var fields = (res.body && res.body.fields) || {};
          flash(fields.text ? fmt(S.error, { detail: [].concat(fields.text).join(" ") }) : errorDetail(res), "error");
        }
      })
      .catch(function () {
        flash(S.network, "error");
      })
      .then(function () {
        buttons.forEach(function (b) {
          b.disabled = false;
        });
      });
  }

  stageForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("stage-text").value.trim();
    if (text) sendStage(text);
  });
  $("stage-clear").addEventListener("click", function () {
    sendStage("");
  });
  renderStage({ text: stageForm.dataset.text, at: stageForm.dataset.at });

  /* ---- wiring --------------------------------------------------------------------------- */

  document.querySelector(".m-columns").addEventListener("click", function (event) {
    var all = event.target.closest("input[data-pick-all]");
    if (all) {
      idsIn(all.dataset.pickAll).forEach(function (each) {
        if (all.checked) picked.add(each);
        else picked.delete(each);
      });
      renderPicked();
      return;
    }
    var card = event.target.closest(".m-card");
    if (!card) return;
    var id = Number(card.dataset.id);
    var box = event.target.closest("input[data-pick]");
    if (box) {
      pick(id, box.checked, event.shiftKey);
      return;
    }
    if (selectedId !== id) select(id);
    var button = event.target.closest("button[data-action]");
    if (button) runAction(id, button.dataset.action);
    if (event.target.closest("button[data-history]")) showHistory(id);
    var like = event.target.closest("button[data-merge-into]");
    if (like) act(id, "merge", { into: Number(like.dataset.mergeInto) });
  });
  $("m-status-buttons").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-status]");
    if (button) patchSession({ status: button.dataset.status });
  });
  if ($("m-mod-toggle")) {
    $("m-mod-toggle").addEventListener("click", function () {
      if (store.session) patchSession({ moderation: store.session.moderation === "post" ? "pre" : "post" });
    });
  }
  $("m-search").addEventListener("input", applySearch);
  $("m-speaker").addEventListener("change", applySearch);
  $("m-bulk").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-bulk]");
    if (button) runBulk(button.dataset.bulk);
  });
  $("m-bulk-clear").addEventListener("click", function () {
    picked.clear();
    renderPicked();
  });
  function renderSort() {
    $("screen-sort").textContent = screenSort === "votes" ? S.sort_votes : S.sort_time;
  }
  renderSort();
  $("screen-sort").addEventListener("click", function () {
    screenSort = screenSort === "votes" ? "time" : "votes";
    renderSort();
    render();
  });
  window.setInterval(refreshAges, 30000);
  $("m-qa-toggle").addEventListener("click", function () {
    if (store.session) patchSession({ qa_open: !store.session.qa_open });
  });
  // An organiser's reset after the rehearsal (the button and dialog exist for organisers
  // only). The stream then starts a new epoch: the cards empty by themselves.
  if ($("m-reset")) {
    $("m-reset").addEventListener("click", function () {
      $("reset").showModal();
    });
    $("reset").addEventListener("close", function () {
      var s = store.session;
      if ($("reset").returnValue !== "reset" || !s) return;
      api("POST", "sessions/" + s.id + "/reset/")
        .then(function (res) {
          if (res.ok) flash(fmt(S.reset_done, res.body), "ok");
          else if (errorCode(res) === "session.reset_while_running") flash(S.reset_running, "error");
          else if (res.status === 403) flash(S.forbidden, "error");
          else flash(errorDetail(res), "error");
        })
        .catch(function () {
          flash(S.network, "error");
        });
    });
  }
  $("history-open").addEventListener("click", function () {
    showHistory(null);
  });
  $("help-open").addEventListener("click", function () {
    $("help").showModal();
  });
  $("switch-session").addEventListener("change", function () {
    $("switch-form").submit();
  });
  $("edit").addEventListener("close", function () {
    if ($("edit").returnValue === "save" && editing !== null) {
      var text = $("edit-text").value.trim();
      var to = $("edit-to");
      var change = text ? { text: text } : {};
      if (to.value !== to.dataset.opened) change.addressed_to = to.value ? Number(to.value) : null;
      if (text) act(editing, "edit", change);
    }
    if (editing !== null) select(editing);
    editing = null;
  });
  $("translate").addEventListener("close", function () {
    if ($("translate").returnValue === "save" && translating !== null) {
      // Empty removes the translation; the answer (or a 409) comes back like an edit's.
      // With the version the editor opened on: a translation another moderator saved
      // meanwhile is not overwritten unseen (409, and the card shows theirs).
      act(translating.id, "translate", {
        translation: $("translate-text").value.trim(),
        version: translating.version,
      });
    }
    if (translating !== null) select(translating.id);
    translating = null;
  });
  $("merge").addEventListener("close", function () {
    if ($("merge").returnValue === "merge" && merging !== null) {
      act(merging, "merge", { into: Number($("merge-into").value) });
    }
    merging = null;
  });
  document.addEventListener("keydown", onKey);

  function onFrame(type, data) {
    // Polls have their own panel (static/js/polls.js), fed from this socket.
    document.dispatchEvent(new CustomEvent("live:frame", { detail: { type: type, data: data } }));
    if (type.indexOf("poll.") === 0) return;
    // Another moderator's word to the stage of this hall: not part of the questions' store.
    if (type === "stage.message") {
      if (String(data.hall_id) === stageForm.dataset.hall) renderStage(data);
      return;
    }
    if (!store.apply(type, data)) return;
    if (type === "presence.updated") return renderCounters();
    if (type === "snapshot" || type === "session.updated") renderSession();
    render();
  }

  function onState(state) {
    var node = $("m-conn");
    node.className = "conn conn-" + state + " small";
    node.textContent = S[state] || state;
  }

  var socket = new LiveSocket(cfg.ws, {
    onFrame: onFrame,
    onState: onState,
    onDenied: function () {
      flash(S.forbidden, "error");
    },
  });
  window.hoithaoSocket = socket;
  socket.start();
})();
