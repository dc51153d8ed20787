/* The console's Polls panel (issue 16): the session's polls from the moderation stream
 * (moderator.js passes every frame on as a "live:frame" event), each with its tallies and the
 * buttons its state allows; a form for a new draft in both languages, which also edits a draft
 * (prefilled, saved with the version it was filled from: on `poll.version_conflict` it is filled
 * again with the poll as it is now). Every change goes through the API (docs/api.md, Polls) with
 * the version the card shows. */
(function () {
  "use strict";
  var cfg = Live.readConfig("page-config");
  var S = cfg.strings.polls;
  var el = Live.el;
  var fmt = Live.format;
  var flash = Live.flasher(document.getElementById("m-flash"));
  var store = new LiveStore();
  var $ = function (id) {
    return document.getElementById(id);
  };
  // The draft the form edits ({id, version}: the version it was filled from), or null: a new one.
  var editing = null;
  var createTitle = $("poll-form-title").textContent;
  var createLabel = $("poll-create").textContent;

  // The buttons each state offers: [action in the URL, label, shown when].
  var ACTIONS = [
    ["open", S.open, function (p) { return p.state === "draft"; }],
    ["close", S.close, function (p) { return p.state === "open"; }],
    ["show-results", S.show_results, function (p) { return !p.results_shown; }],
    ["hide-results", S.hide_results, function (p) { return p.results_shown; }],
    ["show", S.show, function (p) { return p.state !== "draft" && !p.on_screen; }],
    ["hide", S.hide, function (p) { return p.on_screen; }],
  ];

  function api(method, path, body) {
    return Live.apiRequest(cfg.api + path, method, body);
  }

  function voters(n) {
    return n === 1 ? S.voters_one : fmt(S.voters_many, { n: n });
  }

  function card(poll) {
    var node = el("article", "m-poll state-" + poll.state + (poll.on_screen ? " is-on-screen" : "") + (editing && editing.id === poll.id ? " is-editing" : ""));
    node.dataset.id = poll.id;
    var head = el("p", "m-poll-head small");
    head.append(el("span", "badge badge-poll-" + poll.state, S.states[poll.state] || poll.state));
    var kind = S.kinds[poll.kind] || poll.kind;
    if (poll.kind === "multiple") kind += " (" + fmt(S.max_choices, { n: poll.max_choices }) + ")";
    head.append(el("span", "muted", " " + kind + " · #" + poll.id));
    if (poll.on_screen) head.append(el("span", "badge badge-on-screen", S.on_screen));
    head.append(el("span", "muted", " · " + (poll.results_shown ? S.results_shown : S.results_hidden)));
    node.append(head, el("p", "m-poll-question", poll.question.vi));
    if (poll.question.en) node.append(el("p", "m-poll-question-en muted small", poll.question.en));
    var most = 0;
    poll.options.forEach(function (o) {
      most = Math.max(most, o.votes || 0);
    });
    var list = el("ol", "m-poll-options");
    poll.options.forEach(function (o) {
      var li = el("li", "m-poll-option");
      var bar = el("span", "m-poll-bar");
      bar.style.width = most ? Math.round(((o.votes || 0) / most) * 100) + "%" : "0";
      var text = o.text.vi + (o.text.en ? " / " + o.text.en : "");
      var share = poll.voters ? Math.round(((o.votes || 0) / poll.voters) * 100) : 0;
      li.append(bar, el("span", "m-poll-option-text", text), el("span", "m-poll-count", (o.votes || 0) + " · " + share + "%"));
      list.append(li);
    });
    node.append(list, el("p", "m-poll-voters small", voters(poll.voters)));
    var buttons = el("div", "m-buttons");
    ACTIONS.forEach(function (a) {
      if (!a[2](poll)) return;
      var b = el("button", "btn btn-small" + (a[0] === "open" || a[0] === "show" ? " btn-primary" : ""), a[1]);
      b.type = "button";
      b.dataset.action = a[0];
      buttons.append(b);
    });
    if (poll.state === "draft") {
      var edit = el("button", "btn btn-small", S.edit);
      edit.type = "button";
      edit.dataset.action = "edit";
      buttons.append(edit);
      var del = el("button", "btn btn-small btn-danger", S.delete);
      del.type = "button";
      del.dataset.action = "delete";
      buttons.append(del);
    }
    node.append(buttons);
    return node;
  }

  function render() {
    var polls = Array.from(store.polls.values()).sort(function (a, b) {
      return b.id - a.id; // the newest first: the one being prepared or run
    });
    Live.replaceChildren($("m-poll-list"), polls.length ? polls.map(card) : [el("p", "muted", S.none)]);
    $("n-polls").textContent = String(polls.length);
    if (editing) {
      var held = store.polls.get(editing.id);
      if (!held || held.state !== "draft") {
        var id = editing.id;
        stopEdit();
        status(fmt(S.edit_gone, { id: id }), "error");
      }
    }
  }

  function act(pollId, action, button) {
    var poll = store.polls.get(pollId);
    if (!poll) return;
    if (action === "delete" && !window.confirm(S.delete_confirm)) return;
    button.disabled = true;
    var request =
      action === "delete"
        ? api("DELETE", "polls/" + pollId + "/", { version: poll.version })
        : api("POST", "polls/" + pollId + "/" + action + "/", { version: poll.version });
    request
      .then(function (res) {
        if (res.ok) {
          if (action === "delete") store.polls.delete(pollId);
          else store.apply("poll.updated", res.body);
          render();
          flash(fmt(cfg.strings.done_action, { action: button.textContent, id: pollId }), "ok");
          return;
        }
        if (res.body && res.body.poll) store.apply("poll.updated", res.body.poll);
        render();
        var conflict = res.body && res.body.code === "poll.version_conflict";
        flash(conflict ? S.conflict : fmt(cfg.strings.error, { detail: (res.body && res.body.detail) || res.status }), "error");
      })
      .catch(function () {
        button.disabled = false;
        flash(cfg.strings.network, "error");
      });
  }

  function lines(id) {
    return $(id)
      .value.split("\n")
      .map(function (line) {
        return line.trim();
      })
      .filter(Boolean);
  }

  /** The English options line by line, in the Vietnamese ones' order: a blank line inside is an
   * option without English (as a prefilled poll may have); none at all is []. */
  function englishLines() {
    var en = $("poll-options-en")
      .value.split("\n")
      .map(function (line) {
        return line.trim();
      });
    while (en.length && !en[en.length - 1]) en.pop();
    return en.some(Boolean) ? en : [];
  }

  function status(text, kind) {
    var node = $("poll-form-status");
    node.textContent = text;
    node.className = "small m-poll-form-status" + (kind ? " m-flash-" + kind : "");
  }

  /** The form as the body of a POST (new draft) or PATCH (edit), or {problem: text}. */
  function formBody() {
    var question = $("poll-question-vi").value.trim();
    var vi = lines("poll-options-vi");
    var en = englishLines();
    var problem = !question ? S.need_question : vi.length < 2 || vi.length > 10 ? S.need_options : en.length && en.length !== vi.length ? S.en_mismatch : "";
    if (problem) return { problem: problem };
    var kind = $("poll-kind").value;
    var body = {
      question_vi: question,
      question_en: $("poll-question-en").value.trim(),
      kind: kind,
      options: vi.map(function (text, i) {
        return { text_vi: text, text_en: en[i] || "" };
      }),
    };
    if (kind === "multiple" && $("poll-max").value) body.max_choices = Number($("poll-max").value);
    // An edit says what it means: left empty, every option may be chosen (as when created).
    else if (kind === "multiple" && editing) body.max_choices = vi.length;
    return body;
  }

  /** The form shows `poll` as it is (an option without English: a blank line of its own). */
  function fillForm(poll) {
    $("poll-question-vi").value = poll.question.vi;
    $("poll-question-en").value = poll.question.en || "";
    $("poll-options-vi").value = poll.options
      .map(function (o) {
        return o.text.vi;
      })
      .join("\n");
    var en = poll.options.map(function (o) {
      return o.text.en || "";
    });
    $("poll-options-en").value = en.some(Boolean) ? en.join("\n") : "";
    $("poll-kind").value = poll.kind;
    $("poll-max").value = poll.kind === "multiple" ? String(poll.max_choices) : "";
    toggleMax();
  }

  function startEdit(poll) {
    editing = { id: poll.id, version: poll.version };
    fillForm(poll);
    $("poll-form-title").textContent = fmt(S.edit_title, { id: poll.id });
    $("poll-create").textContent = S.save;
    $("poll-edit-cancel").hidden = false;
    $("m-poll-form").classList.add("is-editing");
    status("");
    render();
    $("m-poll-form").scrollIntoView({ block: "nearest" });
    $("poll-question-vi").focus();
  }

  function stopEdit() {
    editing = null;
    $("m-poll-form").reset();
    toggleMax();
    $("poll-form-title").textContent = createTitle;
    $("poll-create").textContent = createLabel;
    $("poll-edit-cancel").hidden = true;
    $("m-poll-form").classList.remove("is-editing");
    status("");
    render();
  }

  function submit(event) {
    event.preventDefault();
    var body = formBody();
    if (body.problem) {
      status(body.problem, "error");
      return;
    }
    var edit = editing;
    var request = edit
      ? api("PATCH", "polls/" + edit.id + "/", Object.assign(body, { version: edit.version }))
      : api("POST", "sessions/" + cfg.session + "/polls/", body);
    var button = $("poll-create");
    button.disabled = true;
    request
      .then(function (res) {
        var code = res.body && res.body.code;
        if (res.ok) {
          store.apply("poll.updated", res.body);
          if (edit) {
            if (editing && editing.id === edit.id) stopEdit();
          } else {
            $("m-poll-form").reset();
            toggleMax();
            render();
          }
          status(edit ? S.saved : S.created, "ok");
          return;
        }
        if (edit && code === "poll.version_conflict" && res.body.poll) {
          // Another moderator changed it first: the form (and the card) show it as it is now.
          store.apply("poll.updated", res.body.poll);
          render();
          if (editing && editing.id === edit.id) {
            editing.version = res.body.poll.version;
            fillForm(res.body.poll);
            status(S.edit_conflict, "error");
          }
          flash(S.conflict, "error");
          return;
        }
        if (edit && (code === "poll.not_found" || code === "poll.cannot_edit")) {
          if (editing && editing.id === edit.id) stopEdit();
          status(fmt(S.edit_gone, { id: edit.id }), "error");
          return;
        }
        status(fmt(cfg.strings.error, { detail: (res.body && res.body.detail) || res.status }), "error");
      })
      .catch(function () {
        status(cfg.strings.network, "error");
      })
      .finally(function () {
        button.disabled = false;
      });
  }

  function toggleMax() {
    var several = $("poll-kind").value === "multiple";
    $("poll-max").hidden = !several;
    $("poll-max-label").hidden = !several;
  }

  document.addEventListener("live:frame", function (event) {
    var type = event.detail.type;
    if (type !== "snapshot" && type.indexOf("poll.") !== 0) return;
    if (store.apply(type, event.detail.data)) render();
  });
  $("m-poll-list").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var id = Number(button.closest(".m-poll").dataset.id);
    if (button.dataset.action === "edit") {
      if (store.polls.has(id)) startEdit(store.polls.get(id));
      return;
    }
    act(id, button.dataset.action, button);
  });
  $("m-poll-form").addEventListener("submit", submit);
  $("poll-edit-cancel").addEventListener("click", stopEdit);
  $("poll-kind").addEventListener("change", toggleMax);
  render();
})();
