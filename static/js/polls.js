/* The console's Polls panel (issue 16): the session's polls from the moderation stream
 * (moderator.js passes every frame on as a "live:frame" event), each with its tallies and the
 * buttons its state allows; a form for a new draft in both languages. Every change goes
 * through the API (docs/api.md, Polls) with the version the card shows. */
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
    var node = el("article", "m-poll state-" + poll.state + (poll.on_screen ? " is-on-screen" : ""));
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

  function create(event) {
    event.preventDefault();
    var status = $("poll-form-status");
    var question = $("poll-question-vi").value.trim();
    var vi = lines("poll-options-vi");
    var en = lines("poll-options-en");
    var problem = !question ? S.need_question : vi.length < 2 || vi.length > 10 ? S.need_options : en.length && en.length !== vi.length ? S.en_mismatch : "";
    if (problem) {
      status.textContent = problem;
      status.className = "small m-poll-form-status m-flash-error";
      return;
    }
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
    var button = $("poll-create");
    button.disabled = true;
    api("POST", "sessions/" + cfg.session + "/polls/", body)
      .then(function (res) {
        if (res.ok) {
          store.apply("poll.updated", res.body);
          render();
          $("m-poll-form").reset();
          toggleMax();
          status.textContent = S.created;
          status.className = "small m-poll-form-status m-flash-ok";
          return;
        }
        status.textContent = fmt(cfg.strings.error, { detail: (res.body && res.body.detail) || res.status });
        status.className = "small m-poll-form-status m-flash-error";
      })
      .catch(function () {
        status.textContent = cfg.strings.network;
        status.className = "small m-poll-form-status m-flash-error";
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
    act(Number(button.closest(".m-poll").dataset.id), button.dataset.action, button);
  });
  $("m-poll-form").addEventListener("submit", create);
  $("poll-kind").addEventListener("change", toggleMax);
  render();
})();
