/* The organisers' control room: one row per hall of the event, fed by the control stream
 * (docs/protocol.md: snapshot, control.halls, session.updated, hall.updated). Actions go
 * through the API with the object's version; a 409 comes back with the object as it is now,
 * which the row shows at once. Alarms come from the server; the time since is counted here
 * against the server's clock. User text via textContent only. */
(function () {
  "use strict";
  var cfg = Live.readConfig("page-config");
  var S = cfg.strings;
  var el = Live.el;
  var fmt = Live.format;
  var $ = function (id) {
    return document.getElementById(id);
  };
  var ACTIVE = ["live", "qa", "break"];
  var MODES = Object.keys(S.display_modes);
  var NOT_ALLOWED = ["auth.required", "auth.failed", "auth.forbidden", "moderation.forbidden"];
  var ICONS = { "display.missing": "\u26a0", "questions.unmoderated": "\u2709", "session.overrun": "\u25f7" };
  var STATUS_ORDER = Object.keys(S.statuses);

  var state = { halls: [], stage: {}, sessions: {}, presence: {}, questions: {}, alarms: {} };
  var rows = new Map(); // hall id -> {node, parts}
  var busy = new Set(); // hall ids with a request in flight

  /* ---- time ----------------------------------------------------------------------------- */

  var timeFormat = Live.clockFormat(cfg.lang, cfg.timezone);

  function clock(iso) {
    return iso ? timeFormat.format(new Date(iso)) : "";
  }

  function ago(iso) {
    var seconds = Math.max(0, Math.round((socket.serverNow() - Date.parse(iso)) / 1000));
    if (seconds < 60) return fmt(S.seconds, { n: seconds });
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return fmt(S.minutes, { n: minutes });
    return fmt(S.hours, { h: Math.floor(minutes / 60), m: minutes % 60 });
  }

  /* ---- messages ------------------------------------------------------------------------- */

  var flash = Live.flasher($("m-flash"));

  function hallName(hallId) {
    var hall = state.halls.filter(function (h) {
      return h.id === hallId;
    })[0];
    return hall ? Live.pick(hall.name, cfg.lang) : "";
  }

  /* ---- the stream ----------------------------------------------------------------------- */

  function newer(held, fresh) {
    return !held || held.id !== fresh.id || (fresh.version || 0) >= (held.version || 0);
  }

  function takeSession(session) {
    var key = String(session.hall_id);
    if (!(key in state.sessions)) return;
    var held = state.sessions[key];
    if (held && held.id === session.id) {
      if (newer(held, session)) state.sessions[key] = session;
    } else if (ACTIVE.indexOf(session.status) >= 0 && (!held || ACTIVE.indexOf(held.status) < 0)) {
      // Another session of the hall went on stage: it is the hall's current one now (the next
      // control.halls confirms it).
      state.sessions[key] = session;
    }
  }

  function takeHall(hall) {
    state.halls = state.halls.map(function (held) {
      return held.id === hall.id && newer(held, hall) ? hall : held;
    });
  }

  function onFrame(type, data) {
    if (type === "snapshot") {
      state = data;
      rebuild();
      return;
    }
    if (type === "control.halls") {
      Object.keys(data.sessions || {}).forEach(function (key) {
        var held = state.sessions[key];
        var fresh = data.sessions[key];
        state.sessions[key] = fresh && held && !newer(held, fresh) ? held : fresh;
      });
      state.presence = data.presence || state.presence;
      state.questions = data.questions || state.questions;
      state.alarms = data.alarms || state.alarms;
      state.stage = data.stage || state.stage;
    } else if (type === "session.updated" && data.session) {
      takeSession(data.session);
    } else if (type === "hall.updated" && data.hall) {
      takeHall(data.hall);
    }
    renderAll();
  }

  var socket = new LiveSocket(cfg.ws, {
    onFrame: onFrame,
    onState: function (s) {
      var node = $("m-conn");
      node.className = "conn conn-" + s + " small";
      node.textContent = S[s] || s;
    },
    onDenied: function () {
      $("c-denied").hidden = false;
    },
  });

  /* ---- rendering ------------------------------------------------------------------------ */

  function rebuild() {
    var list = $("c-halls");
    var nodes = state.halls.map(function (hall) {
      var row = rows.get(hall.id) || makeRow(hall.id);
      rows.set(hall.id, row);
      return row.node;
    });
    Live.replaceChildren(list, nodes);
    renderAll();
  }

  function makeRow(hallId) {
    var node = $("c-row-template").content.firstElementChild.cloneNode(true);
    node.dataset.hall = String(hallId);
    node.id = "hall-" + hallId;
    var q = function (sel) {
      return node.querySelector(sel);
    };
    var parts = {
      alarms: q(".c-alarms"),
      name: q(".c-hall-name"),
      title: q(".c-session-title"),
      status: q(".c-status"),
      time: q(".c-time"),
      qa: q(".c-qa"),
      console: q(".c-console"),
      display: q(".c-display"),
      stage: q(".c-stage"),
      statusButtons: q(".c-status-buttons"),
      qaToggle: q(".c-qa-toggle"),
      renew: q(".c-renew"),
      mode: q(".c-mode"),
      counts: {},
    };
    ["pending", "recent", "votes", "phones", "displays", "moderators"].forEach(function (name) {
      parts.counts[name] = q(".c-n-" + name + " dd");
    });
    parts.name.id = "hall-" + hallId + "-name";
    node.setAttribute("aria-labelledby", parts.name.id);
    parts.statusButtons.setAttribute("aria-label", S.set_status);
    MODES.forEach(function (mode) {
      var option = el("option", null, S.display_modes_short[mode] || S.display_modes[mode]);
      option.value = mode;
      option.title = S.display_modes[mode];
      parts.mode.appendChild(option);
    });
    parts.mode.addEventListener("change", function () {
      setDisplayMode(hallId, parts.mode.value);
    });
    parts.qaToggle.addEventListener("click", function () {
      var session = state.sessions[String(hallId)];
      if (session) patchSession(hallId, { qa_open: !session.qa_open }, session.qa_open ? S.close_qa : S.open_qa);
    });
    parts.renew.addEventListener("click", function () {
      renewKey(hallId);
    });
    return { node: node, parts: parts };
  }

  function renderAll() {
    state.halls.forEach(function (hall) {
      var row = rows.get(hall.id);
      if (row) render(hall, row);
    });
    var alarms = 0;
    Object.keys(state.alarms || {}).forEach(function (key) {
      alarms += state.alarms[key].length;
    });
    var summary = $("c-summary");
    summary.textContent = alarms ? "\u26a0 " + fmt(S.alarms, { n: alarms }) : "\u2713 " + S.ok;
    summary.className = "c-summary small " + (alarms ? "c-summary-alarm" : "c-summary-ok");
  }

  function alarmText(alarm, key) {
    if (alarm.code === "display.missing") {
      return alarm.since
        ? fmt(S.alarm_display_since, { ago: ago(alarm.since), time: clock(alarm.since) })
        : S.alarm_display_never;
    }
    if (alarm.code === "questions.unmoderated") {
      var counts = state.questions[key] || {};
      return fmt(S.alarm_unmoderated, { n: counts.pending || 0, time: clock(alarm.since) });
    }
    if (alarm.code === "session.overrun") {
      return fmt(S.alarm_overrun, { ago: ago(alarm.since), time: clock(alarm.since) });
    }
    return alarm.code;
  }

  function render(hall, row) {
    var p = row.parts;
    var key = String(hall.id);
    var session = state.sessions[key];
    var presence = state.presence[key] || {};
    var counts = state.questions[key] || {};
    var alarms = state.alarms[key] || [];
    var locked = busy.has(hall.id);

    p.name.textContent = Live.pick(hall.name, cfg.lang);
    row.node.classList.toggle("c-alarmed", alarms.length > 0);
    Live.replaceChildren(
      p.alarms,
      alarms.map(function (alarm) {
        var item = el("li", "c-alarm c-alarm-" + alarm.code.replace(".", "-"));
        item.appendChild(el("span", "c-alarm-icon", ICONS[alarm.code] || "\u26a0")).setAttribute("aria-hidden", "true");
        item.appendChild(el("span", null, alarmText(alarm, key)));
        return item;
      })
    );
    p.alarms.hidden = alarms.length === 0;

    p.display.href = "/display/" + hall.id + "/";
    p.stage.href = state.stage[key] || "#";
    p.stage.hidden = !state.stage[key];
    p.renew.disabled = locked;
    p.mode.value = hall.display_mode;
    p.mode.disabled = locked;

    if (!session) {
      p.title.textContent = S.no_session;
      p.title.classList.add("muted");
      p.status.hidden = true;
      p.time.textContent = "";
      p.qa.textContent = "";
      p.console.hidden = true;
      p.qaToggle.hidden = true;
      Live.replaceChildren(p.statusButtons, []);
    } else {
      p.title.textContent = Live.pick(session.title, cfg.lang);
      p.title.classList.remove("muted");
      p.status.hidden = false;
      p.status.className = "badge c-status badge-" + session.status;
      p.status.textContent = S.statuses[session.status] || session.status;
      p.time.textContent = clock(session.starts_at) + "\u2013" + clock(session.ends_at);
      p.qa.textContent = "\u00b7 " + (session.qa_open ? S.qa_open : S.qa_closed);
      p.qa.className = "c-qa " + (session.qa_open ? "c-qa-open" : "c-qa-closed");
      p.console.hidden = false;
      p.console.href = "/moderate/sessions/" + session.id + "/";
      p.qaToggle.hidden = false;
      p.qaToggle.textContent = session.qa_open ? S.close_qa : S.open_qa;
      p.qaToggle.disabled = locked;
      var allowed = (cfg.transitions[session.status] || []).slice().sort(function (a, b) {
        return STATUS_ORDER.indexOf(a) - STATUS_ORDER.indexOf(b);
      });
      Live.replaceChildren(
        p.statusButtons,
        allowed.map(function (status) {
          var button = el("button", "btn btn-small c-to-" + status, S.statuses[status] || status);
          button.type = "button";
          button.disabled = locked;
          button.addEventListener("click", function () {
            patchSession(hall.id, { status: status }, S.statuses[status] || status);
          });
          return button;
        })
      );
    }
    p.counts.pending.textContent = counts.pending || 0;
    p.counts.recent.textContent = counts.recent || 0;
    p.counts.votes.textContent = counts.votes_recent || 0;
    p.counts.phones.textContent = presence.phones || 0;
    p.counts.displays.textContent = presence.displays || 0;
    p.counts.moderators.textContent = presence.moderators || 0;
    row.node.querySelector(".c-n-pending").classList.toggle("c-hot", (counts.pending || 0) > 0);
    row.node.querySelector(".c-n-displays").classList.toggle("c-cold", !presence.displays);
  }

  /* ---- actions -------------------------------------------------------------------------- */

  function refused(res) {
    var code = res.body && res.body.code;
    if (res.status === 401 || res.status === 403 || NOT_ALLOWED.indexOf(code) >= 0) {
      flash(S.forbidden, "error");
    } else {
      flash(fmt(S.error, { detail: (res.body && res.body.detail) || res.status }), "error");
    }
  }

  function send(hallId, method, path, body) {
    busy.add(hallId);
    renderAll();
    return Live.apiRequest(cfg.api + path, method, body)
      .catch(function () {
        flash(S.network, "error");
        return null;
      })
      .then(function (res) {
        busy.delete(hallId);
        return res;
      });
  }

  function patchSession(hallId, change, what) {
    var session = state.sessions[String(hallId)];
    if (!session) return;
    var body = Object.assign({ version: session.version }, change);
    send(hallId, "PATCH", "sessions/" + session.id + "/", body).then(function (res) {
      if (res) {
        var code = res.body && res.body.code;
        if (res.ok) {
          takeSession(res.body);
          flash(fmt(S.done, { what: hallName(hallId) + ": " + what }), "ok");
        } else if (code === "session.version_conflict" && res.body.session) {
          takeSession(res.body.session);
          flash(hallName(hallId) + ": " + S.conflict_session, "error");
        } else {
          refused(res);
        }
      }
      renderAll();
    });
  }

  function setDisplayMode(hallId, mode) {
    var hall = state.halls.filter(function (h) {
      return h.id === hallId;
    })[0];
    if (!hall || hall.display_mode === mode) return;
    var body = { display_mode: mode, version: hall.version };
    send(hallId, "PATCH", "halls/" + hallId + "/", body).then(function (res) {
      if (res) {
        var code = res.body && res.body.code;
        if (res.ok) {
          takeHall(res.body);
          flash(fmt(S.done, { what: hallName(hallId) + ": " + S.display_modes[mode] }), "ok");
        } else if (code === "hall.version_conflict" && res.body.hall) {
          takeHall(res.body.hall);
          flash(hallName(hallId) + ": " + S.conflict_hall, "error");
        } else {
          refused(res);
        }
      }
      renderAll();
    });
  }

  function renewKey(hallId) {
    if (!window.confirm(fmt(S.renew_confirm, { hall: hallName(hallId) }))) return;
    send(hallId, "POST", "halls/" + hallId + "/stage-key/", {}).then(function (res) {
      if (res && res.ok && res.body.stage_url) {
        state.stage[String(hallId)] = res.body.stage_url;
        flash(fmt(S.renewed, { hall: hallName(hallId) }), "ok");
      } else if (res) {
        refused(res);
      }
      renderAll();
    });
  }

  socket.start();
  // The time since each alarm began moves on between messages.
  window.setInterval(renderAll, 5000);
})();
