/* LiveSocket: one WebSocket following one stream (docs/protocol.md), shared by the three
 * screens. It reconnects with jittered exponential backoff, resumes from the last frame it
 * applied, asks for a fresh snapshot when it sees a gap, and measures the offset between
 * the server's clock and this device's with ping/pong.
 *
 * LiveStore keeps the state a stream describes (session, questions by id, event, hall) and
 * applies every message type the same way on every screen. Pages render from it.
 *
 * Nothing here touches the DOM: pages insert user text with textContent only. */
(function (root) {
  "use strict";

  var DELAYS = [1000, 2000, 4000, 8000, 16000];
  var PING_MS = 15000;
  // No pong for this long after a ping: the connection is dead even if the socket says not.
  var PONG_TIMEOUT_MS = 10000;

  function LiveSocket(path, handlers) {
    this.path = path;
    this.handlers = handlers || {};
    this.position = null; // {epoch, seq} of the last applied stream frame
    this.offset = 0; // server clock minus local clock, in ms
    this.rtt = null;
    this.state = "offline";
    this.attempt = 0;
    this.ws = null;
    this.awaitingSnapshot = false;
    this._timer = null;
    this._pinger = null;
    this._pongDeadline = null;
    this._pingSentAt = 0;
    this._stopped = false;
    this._refs = 0;
    this._waiting = {}; // ref -> {resolve, reject, timer} of a request awaiting its answer
    var self = this;
    root.addEventListener("online", function () {
      if (self.state !== "connected") self._reconnectNow();
    });
  }

  LiveSocket.prototype.url = function () {
    var scheme = root.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + root.location.host + this.path;
    if (this.position) {
      url += "?epoch=" + encodeURIComponent(this.position.epoch) + "&seq=" + this.position.seq;
    }
    return url;
  };

  LiveSocket.prototype.start = function () {
    this._stopped = false;
    this._connect();
    return this;
  };

  LiveSocket.prototype.stop = function () {
    this._stopped = true;
    this._clearTimers();
    if (this.ws) this.ws.close(1000);
  };

  /** The server's clock now, in ms since the epoch (for countdowns). */
  LiveSocket.prototype.serverNow = function () {
    return Date.now() + this.offset;
  };

  LiveSocket.prototype.send = function (message) {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  };

  /** Send a command that is answered (a vote): resolves with the answer frame carrying the
   * same ref (its type says done or error); rejects when the socket is not open, closes
   * first, or no answer comes within timeoutMs. The caller may then use HTTP instead. */
  LiveSocket.prototype.request = function (message, timeoutMs) {
    var self = this;
    var ref = "r" + ++this._refs;
    message.ref = ref;
    return new Promise(function (resolve, reject) {
      if (!self.send(message)) {
        reject(new Error("socket not open"));
        return;
      }
      var timer = root.setTimeout(function () {
        delete self._waiting[ref];
        reject(new Error("no answer"));
      }, timeoutMs || 5000);
      self._waiting[ref] = { resolve: resolve, reject: reject, timer: timer };
    });
  };

  LiveSocket.prototype._failWaiting = function () {
    var waiting = this._waiting;
    this._waiting = {};
    Object.keys(waiting).forEach(function (ref) {
      root.clearTimeout(waiting[ref].timer);
      waiting[ref].reject(new Error("socket closed"));
    });
  };

  LiveSocket.prototype._setState = function (state) {
    if (this.state === state) return;
    this.state = state;
    if (this.handlers.onState) this.handlers.onState(state);
  };

  LiveSocket.prototype._connect = function () {
    var self = this;
    var ws;
    try {
      ws = new root.WebSocket(this.url());
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      if (self.ws !== ws) return;
      self.attempt = 0;
      // A resync cut short by the drop: resuming from the last applied frame is just as good.
      self.awaitingSnapshot = false;
      self._setState("connected");
      self._ping();
      self._pinger = root.setInterval(function () {
        self._ping();
      }, PING_MS);
    };
    ws.onmessage = function (event) {
      if (self.ws !== ws) return;
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      self._receive(frame);
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) return;
      self.ws = null;
      self._clearTimers();
      self._failWaiting();
      if (self._stopped) return;
      // 4401/4403/4404: this socket is not allowed; retrying will not help. Every other code
      // (4408 too slow, 4500 server error, 4503 Redis or database unreachable, a drop) is
      // retried with backoff (docs/protocol.md, close codes).
      if (event.code === 4401 || event.code === 4403 || event.code === 4404) {
        self._setState("offline");
        if (self.handlers.onDenied) self.handlers.onDenied(event.code);
        return;
      }
      self._scheduleReconnect();
    };
    ws.onerror = function () {
      /* onclose follows and schedules the retry */
    };
  };

  LiveSocket.prototype._clearTimers = function () {
    root.clearInterval(this._pinger);
    root.clearTimeout(this._pongDeadline);
    root.clearTimeout(this._timer);
    this._pinger = this._pongDeadline = this._timer = null;
  };

  LiveSocket.prototype._scheduleReconnect = function () {
    var base = DELAYS[Math.min(this.attempt, DELAYS.length - 1)];
    this.attempt += 1;
    // Jitter (50-100 % of the step) so a hall of phones does not come back all at once.
    var delay = Math.round(base * (0.5 + Math.random() * 0.5));
    this._setState(root.navigator.onLine === false ? "offline" : "reconnecting");
    var self = this;
    this._timer = root.setTimeout(function () {
      self._timer = null;
      self._connect();
    }, delay);
  };

  LiveSocket.prototype._reconnectNow = function () {
    if (this._stopped || (this.ws && this.ws.readyState <= 1)) return;
    root.clearTimeout(this._timer);
    this._timer = null;
    this.attempt = 0;
    this._connect();
  };

  LiveSocket.prototype._ping = function () {
    this._pingSentAt = Date.now();
    if (!this.send({ type: "ping" })) return;
    var self = this;
    root.clearTimeout(this._pongDeadline);
    var ws = this.ws;
    this._pongDeadline = root.setTimeout(function () {
      // Half-open connection (Wi-Fi dropped without a FIN) or a server that stopped
      // answering: a close handshake could wait as long again, so give this socket up now
      // and reconnect; its onclose, whenever it comes, is ignored.
      if (self.ws !== ws) return;
      self.ws = null;
      self._clearTimers();
      self._failWaiting();
      try {
        ws.close(4000);
      } catch (e) {
        /* already closing */
      }
      self._scheduleReconnect();
    }, PONG_TIMEOUT_MS);
  };

  LiveSocket.prototype._receive = function (frame) {
    var type = frame.type;
    var data = frame.data || {};
    var waiting = typeof frame.seq !== "number" && data.ref ? this._waiting[data.ref] : null;
    if (waiting) {
      delete this._waiting[data.ref];
      root.clearTimeout(waiting.timer);
      waiting.resolve(frame);
      return;
    }
    if (type === "pong") {
      root.clearTimeout(this._pongDeadline);
      var now = Date.now();
      var rtt = now - this._pingSentAt;
      if (typeof data.server_time_ms === "number" && rtt >= 0) {
        // The server read its clock about half a round trip ago.
        this.rtt = rtt;
        this.offset = data.server_time_ms + rtt / 2 - now;
        if (this.handlers.onClock) this.handlers.onClock(this.offset);
      }
      return;
    }
    if (type === "error") {
      if (this.handlers.onError) this.handlers.onError(data);
      return;
    }
    if (typeof frame.seq !== "number") return;
    if (type === "snapshot") {
      this.awaitingSnapshot = false;
      this.position = { epoch: frame.epoch, seq: frame.seq };
      if (this.handlers.onFrame) this.handlers.onFrame(type, data);
      return;
    }
    if (this.awaitingSnapshot) return;
    var pos = this.position;
    if (pos && frame.epoch === pos.epoch && frame.seq <= pos.seq) return; // seen already
    if (!pos || frame.epoch !== pos.epoch || frame.seq !== pos.seq + 1) {
      // A gap: what we hold is no longer the stream's state. Start over from a snapshot.
      this.awaitingSnapshot = true;
      this.send({ type: "resync" });
      return;
    }
    this.position = { epoch: frame.epoch, seq: frame.seq };
    if (this.handlers.onFrame) this.handlers.onFrame(type, data);
  };

  /* ---- the state a stream describes ------------------------------------------------- */

  function LiveStore() {
    this.session = null;
    this.event = null;
    this.hall = null;
    this.presence = null;
    this.questions = new Map();
    this.polls = new Map();
  }

  LiveStore.prototype.replace = function (data) {
    this.questions = new Map();
    (data.questions || []).forEach(function (q) {
      this.questions.set(q.id, q);
    }, this);
    this.polls = new Map();
    (data.polls || []).forEach(function (p) {
      this.polls.set(p.id, p);
    }, this);
    if ("session" in data) this.session = data.session;
    if (data.event) this.event = data.event;
    if (data.hall) this.hall = data.hall;
    if (data.presence) this.presence = data.presence;
  };

  /** Apply one stream message; returns false for a type this store does not know. */
  LiveStore.prototype.apply = function (type, data) {
    switch (type) {
      case "snapshot":
      case "display.session_changed":
        this.replace(data);
        return true;
      case "session.updated":
        if (data.session && (!this.session || this.session.id === data.session.id)) {
          if (!this.session || (data.session.version || 0) >= (this.session.version || 0)) {
            this.session = data.session;
          }
        }
        return true;
      case "question.created":
      case "question.updated": {
        var q = data.question || data;
        var held = this.questions.get(q.id);
        if (held && (q.version || 0) < (held.version || 0)) return true;
        this.questions.set(q.id, q);
        return true;
      }
      case "question.removed":
        this.questions.delete(data.id);
        return true;
      case "votes.updated": {
        var votes = data.votes || {};
        Object.keys(votes).forEach(function (id) {
          var held = this.questions.get(Number(id));
          if (held) held.votes = votes[id];
        }, this);
        return true;
      }
      case "presence.updated":
        this.presence = data.presence || null;
        return true;
      case "poll.created":
      case "poll.updated": {
        var held = this.polls.get(data.id);
        if (held && (data.version || 0) < (held.version || 0)) return true;
        this.polls.set(data.id, data);
        return true;
      }
      case "poll.removed":
        this.polls.delete(data.id);
        return true;
      case "poll.results": {
        // Absolute tallies: set, don't add. `votes` is null while the results are hidden.
        var poll = this.polls.get(data.poll);
        if (poll) {
          poll.voters = data.voters;
          poll.options.forEach(function (option) {
            option.votes = data.votes ? data.votes[String(option.id)] || 0 : null;
          });
        }
        return true;
      }
      case "hall.updated": {
        // The hall's settings (display mode...): an older version arriving late is ignored.
        var hall = data.hall;
        if (hall && !(this.hall && (hall.version || 0) < (this.hall.version || 0))) this.hall = hall;
        return true;
      }
      default:
        return false;
    }
  };

  /** Public order: pinned first, open before answered, then votes, then oldest first. */
  LiveStore.publicOrder = function (a, b) {
    if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
    var aa = a.status === "answered" ? 1 : 0;
    var ba = b.status === "answered" ? 1 : 0;
    if (aa !== ba) return aa - ba;
    if (a.votes !== b.votes) return b.votes - a.votes;
    if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
    return a.id - b.id;
  };

  /* ---- small helpers the pages share ------------------------------------------------ */

  /** A string from the page's json_script block, with {name} placeholders filled in. */
  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, key) {
      return values && key in values ? String(values[key]) : m;
    });
  }

  /** The element with its children replaced by the given nodes (no innerHTML). */
  function replaceChildren(element, nodes) {
    while (element.firstChild) element.removeChild(element.firstChild);
    nodes.forEach(function (node) {
      element.appendChild(node);
    });
  }

  /** document.createElement with a class and text content. */
  function el(tag, className, text) {
    var node = root.document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function readConfig(id) {
    var node = root.document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function pick(texts, lang) {
    if (!texts) return "";
    if (typeof texts === "string") return texts;
    return (lang === "en" && texts.en) || texts.vi || texts.en || "";
  }

  function csrfToken() {
    var m = root.document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  /** A JSON API call as {ok, status, body, headers}; rejects only when the network fails.
   * `headers` adds to the defaults (JSON, the CSRF token for a signed-in moderator). */
  function apiRequest(url, method, body, headers) {
    var all = { Accept: "application/json" };
    if (body !== undefined && body !== null) all["Content-Type"] = "application/json";
    var csrf = csrfToken();
    if (csrf) all["X-CSRFToken"] = csrf;
    Object.keys(headers || {}).forEach(function (name) {
      all[name] = headers[name];
    });
    return root
      .fetch(url, {
        method: method,
        headers: all,
        credentials: "same-origin",
        body: body === undefined || body === null ? undefined : JSON.stringify(body),
      })
      .then(function (res) {
        return res
          .json()
          .catch(function () {
            return {};
          })
          .then(function (json) {
            return { ok: res.ok, status: res.status, body: json, headers: res.headers };
          });
      });
  }

  /** Hours and minutes in the event's time zone, as every screen shows them (24 h). */
  function clockFormat(lang, timeZone) {
    return new root.Intl.DateTimeFormat(lang === "en" ? "en-GB" : "vi-VN", {
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
      timeZone: timeZone,
    });
  }

  /** "1 vote" / "{n} votes" from the page's strings. */
  function votesText(strings, n) {
    return n === 1 ? strings.votes_one : format(strings.votes_many, { n: n });
  }

  /** The session's badge on the big screens: live, Q&A, break, "next at 14:00", ended. */
  function sessionBadge(strings, session, clock) {
    switch (session.status) {
      case "live":
        return strings.live;
      case "qa":
        return strings.qa;
      case "break":
        return strings["break"];
      case "scheduled":
        return format(strings.next, { time: clock.format(new Date(session.starts_at)) });
      default:
        return strings.ended;
    }
  }

  /** flash(text, kind) for the pages' message line (the element `node`): an error stays 12 s,
   * anything else 4 s. */
  function flasher(node) {
    var timer = null;
    return function flash(text, kind) {
      node.textContent = text;
      node.className = "m-flash m-flash-" + (kind || "info");
      node.hidden = false;
      root.clearTimeout(timer);
      timer = root.setTimeout(function () {
        node.hidden = true;
      }, kind === "error" ? 12000 : 4000);
    };
  }

  root.LiveSocket = LiveSocket;
  root.LiveStore = LiveStore;
  root.Live = {
    apiRequest: apiRequest,
    format: format,
    replaceChildren: replaceChildren,
    el: el,
    readConfig: readConfig,
    pick: pick,
    clockFormat: clockFormat,
    votesText: votesText,
    sessionBadge: sessionBadge,
    flasher: flasher,
  };
})(window);
