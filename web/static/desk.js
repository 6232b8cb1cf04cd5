// The agents' desk: live queue and ticket page. Every text from a shopper or agent is set with
// textContent, never as HTML.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var POLL_MS = 2000;
  var TICKET_STATES = { open: "待接入", assigned: "处理中", closed: "已关闭" };
  var PRIORITIES = { high: "高", normal: "普通" };

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function api(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) { window.location.href = "/desk/login"; throw new Error("signed out"); }
      return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
    });
  }

  // ---- queue ----
  var rows = document.getElementById("queue-rows");
  if (rows) {
    var renderQueue = function (tickets) {
      var body = document.createDocumentFragment();
      if (!tickets.length) {
        var empty = el("tr", null, "empty");
        var cell = el("td", "暂无待处理工单");
        cell.colSpan = 8;
        empty.appendChild(cell);
        body.appendChild(empty);
      }
      tickets.forEach(function (t) {
        var row = el("tr", null, "priority-" + t.priority);
        row.dataset.ticket = t.ticket_no;
        var link = el("a", t.ticket_no);
        link.href = "/desk/tickets/" + encodeURIComponent(t.ticket_no);
        var first = el("td");
        first.appendChild(link);
        row.appendChild(first);
        [PRIORITIES[t.priority] || t.priority, t.skill_group, t.topic, t.order_no || "-", t.customer_name || "匿名",
         Math.floor(t.waiting_seconds / 60) + " 分钟",
         (TICKET_STATES[t.status] || t.status) + (t.assignee ? "（" + t.assignee + "）" : "")
        ].forEach(function (value) { row.appendChild(el("td", value)); });
        body.appendChild(row);
      });
      rows.replaceChildren(body);
      document.getElementById("queue-updated").textContent = "更新于 " + new Date().toLocaleTimeString();
    };
    var pollQueue = function () {
      api("GET", "/desk/api/queue").then(function (r) { if (r.ok) renderQueue(r.data.tickets); })
        .catch(function () {}).finally(function () { setTimeout(pollQueue, POLL_MS); });
    };
    setTimeout(pollQueue, POLL_MS);
  }

  // ---- ticket ----
  var ticket = document.getElementById("ticket");
  if (!ticket) return;
  var ticketNo = ticket.dataset.ticket;
  var base = "/desk/api/tickets/" + encodeURIComponent(ticketNo);
  var transcript = document.getElementById("transcript");
  var notes = document.getElementById("notes");
  var message = document.getElementById("desk-message");
  var lastTranscript = "";
  var WHO = { shopper: "顾客", bot: "机器人", agent: "客服" };

  function say(text) { message.textContent = text; }

  function renderTranscript(lines) {
    var key = JSON.stringify(lines);
    if (key === lastTranscript) return;
    lastTranscript = key;
    var list = document.createDocumentFragment();
    lines.forEach(function (line) {
      var item = el("li", null, "line " + line.who);
      item.appendChild(el("span", line.who === "agent" ? "客服 " + line.agent : WHO[line.who], "who"));
      item.appendChild(el("span", line.text, "text"));
      if (line.buttons && line.buttons.length) item.appendChild(el("span", "［" + line.buttons.join(" / ") + "］", "buttons"));
      if (line.image && /^https?:\/\//.test(line.image)) {
        var link = el("a", "查看照片");
        link.href = line.image;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        item.appendChild(link);
      }
      list.appendChild(item);
    });
    transcript.replaceChildren(list);
    transcript.scrollTop = transcript.scrollHeight;
  }

  function renderNotes(items) {
    var list = document.createDocumentFragment();
    items.forEach(function (note) { list.appendChild(el("li", note.at + " " + note.author + "：" + note.text)); });
    notes.replaceChildren(list);
  }

  function refresh() {
    return api("GET", base).then(function (r) {
      if (!r.ok) return;
      renderTranscript(r.data.transcript);
      renderNotes(r.data.notes);
      document.getElementById("ticket-status").textContent =
        (TICKET_STATES[r.data.status] || r.data.status) + (r.data.assignee ? "（" + r.data.assignee + "）" : "");
      var mine = r.data.status === "assigned" && r.data.assignee === ticket.dataset.me;
      document.getElementById("claim").disabled = r.data.status !== "open";
      document.getElementById("close").disabled = !mine;
      document.getElementById("send-reply").disabled = !mine;
      if (r.data.transcript_error) say("暂时读取不到对话记录");
    });
  }

  function poll() { refresh().catch(function () {}).finally(function () { setTimeout(poll, POLL_MS); }); }
  poll();

  function post(path, body, done) {
    return api("POST", base + path, body).then(function (r) {
      if (r.ok) { say(done); } else {
        say({ 409: "工单已被其他客服接入，或尚未接入", 503: "助手暂时不可用，请稍后重试（工单仍由您处理）" }[r.status]
            || "操作失败（" + (r.data.error || r.status) + "）");
      }
      return refresh();
    });
  }

  document.getElementById("claim").addEventListener("click", function () { post("/claim", {}, "已接入"); });
  document.getElementById("close").addEventListener("click", function () {
    post("/close", {}, "已结束，对话已交还机器人");
  });
  document.getElementById("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = document.getElementById("reply-text");
    var text = box.value.trim();
    if (!text) return;
    post("/reply", { text: text }, "已发送").then(function () { box.value = ""; });
  });
  document.getElementById("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = document.getElementById("note-text");
    var text = box.value.trim();
    if (!text) return;
    post("/notes", { text: text }, "备注已保存").then(function () { box.value = ""; });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".canned-reply"), function (button) {
    button.addEventListener("click", function () {
      var box = document.getElementById("reply-text");
      box.value = button.dataset.text;
      box.focus();
    });
  });
})();
