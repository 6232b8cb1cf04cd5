/*
 * 店小二 chat widget. Embed with one tag:
 *   <script src="https://WEB_APP/widget.js" data-server="https://RASA" data-token="JWT" data-lang="zh" defer></script>
 * It talks to Rasa's socket.io channel with the vendored socket.io-client, sends the shopper's JWT in each
 * message's metadata.customer_token (and the page's language, data-lang, in metadata.language), and renders
 * every text as text (textContent), never as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var config = window.XiaoerWidgetConfig || {};
  var data = (script && script.dataset) || {};
  var base = new URL(".", (script && script.src) || window.location.href).href.replace(/\/$/, "");
  var server = (config.server || data.server || "").replace(/\/$/, "");
  var token = config.token || data.token || "";
  var lang = (config.lang || data.lang || navigator.language || "zh").toLowerCase().indexOf("en") === 0 ? "en" : "zh";
  var MAX_PHOTO_BYTES = 5 * 1024 * 1024;
  var MAX_MESSAGE = 1000;
  var HISTORY_LIMIT = 200;
  var TYPING_TIMEOUT_MS = 20000;
  var URL_PATTERN = /(https?:\/\/[^\s<>"'，。；！？、）)]+)/g;

  var STRINGS = {
    zh: {
      launcher: "在线客服", title: "店小二 · 在线客服", close: "关闭对话窗口", input: "输入您的问题",
      placeholder: "请输入您的问题…", send: "发送", photo: "上传照片", photoShort: "照片", typing: "店小二正在输入…",
      you: "我", bot: "店小二", photoTooBig: "照片不能超过 5 MB", photoType: "只能上传 JPG、PNG、WebP 或 GIF 图片",
      photoFailed: "照片上传失败，请稍后再试", offline: "连接中断，正在重新连接…", photoAlt: "我上传的照片",
      botImage: "店小二发送的图片", log: "对话记录"
    },
    en: {
      launcher: "Chat with us", title: "Xiaoer · Customer service", close: "Close the chat", input: "Type your question",
      placeholder: "Type your question…", send: "Send", photo: "Upload a photo", photoShort: "Photo", typing: "Xiaoer is typing…",
      you: "Me", bot: "Xiaoer", photoTooBig: "The photo must be 5 MB or smaller", photoType: "Only JPG, PNG, WebP or GIF images",
      photoFailed: "The photo could not be uploaded, please try again", offline: "Connection lost, reconnecting…",
      photoAlt: "My photo", botImage: "Image from Xiaoer", log: "Conversation"
    }
  };
  var t = STRINGS[lang];

  // ---- session persistence: one conversation per shopper and server, kept across reloads ----
  function customerOf(jwt) {
    try {
      var part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return String(JSON.parse(atob(part)).sub || "anonymous");
    } catch (e) { return "anonymous"; }
  }
  var storeKey = "xiaoer-widget:" + server + ":" + customerOf(token);
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  var state = load();
  if (!state.sessionId) {
    state.sessionId = (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "")
      : String(Date.now()) + Math.random().toString(16).slice(2);
  }
  state.history = state.history || [];
  function save() {
    state.history = state.history.slice(-HISTORY_LIMIT);
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: no persistence */ }
  }

  // ---- DOM ----
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  var css = el("link");
  css.rel = "stylesheet";
  css.href = base + "/static/widget.css";
  document.head.appendChild(css);

  var root = el("div", "xiaoer-widget");
  root.lang = lang === "en" ? "en" : "zh-CN";
  var launcher = el("button", "xiaoer-launcher", t.launcher);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "xiaoer-panel");
  var panel = el("section", "xiaoer-panel");
  panel.id = "xiaoer-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "xiaoer-title");
  var header = el("header", "xiaoer-header");
  var title = el("h2", "xiaoer-title", t.title);
  title.id = "xiaoer-title";
  var closeButton = el("button", "xiaoer-close", "×");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", t.close);
  header.appendChild(title);
  header.appendChild(closeButton);
  var log = el("ol", "xiaoer-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", t.log);
  log.tabIndex = 0;
  var typing = el("p", "xiaoer-typing", t.typing);
  typing.hidden = true;
  typing.setAttribute("role", "status");
  var status = el("p", "xiaoer-status");
  status.setAttribute("role", "status");
  var form = el("form", "xiaoer-form");
  var label = el("label", "xiaoer-sr-only", t.input);
  label.htmlFor = "xiaoer-input";
  var input = el("input", "xiaoer-input");
  input.id = "xiaoer-input";
  input.type = "text";
  input.maxLength = MAX_MESSAGE;
  input.autocomplete = "off";
  input.placeholder = t.placeholder;
  var photoButton = el("button", "xiaoer-photo", t.photoShort);
  photoButton.type = "button";
  photoButton.setAttribute("aria-label", t.photo);
  photoButton.title = t.photo;
  photoButton.hidden = !token;  // photos are stored for signed-in shoppers only
  var fileInput = el("input", "xiaoer-file");
  fileInput.type = "file";
  fileInput.accept = "image/jpeg,image/png,image/webp,image/gif";
  fileInput.hidden = true;
  fileInput.tabIndex = -1;
  var sendButton = el("button", "xiaoer-send", t.send);
  sendButton.type = "submit";
  [label, photoButton, fileInput, input, sendButton].forEach(function (node) { form.appendChild(node); });
  [header, log, typing, status, form].forEach(function (node) { panel.appendChild(node); });
  root.appendChild(panel);
  root.appendChild(launcher);

  // ---- rendering ----
  function appendText(container, text) {
    // Links become <a> elements whose text and href are set as text: nothing is parsed as HTML.
    var last = 0;
    String(text).replace(URL_PATTERN, function (url, _m, offset) {
      container.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", null, url);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      container.appendChild(link);
      last = offset + url.length;
      return url;
    });
    container.appendChild(document.createTextNode(String(text).slice(last)));
  }

  function render(entry) {
    var item = el("li", "xiaoer-msg xiaoer-" + entry.from);
    var who = el("span", "xiaoer-sr-only", (entry.from === "user" ? t.you : t.bot) + "：");
    item.appendChild(who);
    if (entry.image && /^https?:\/\//.test(entry.image)) {
      var img = el("img", "xiaoer-image");
      img.src = entry.image;
      img.alt = entry.from === "user" ? t.photoAlt : t.botImage;
      item.appendChild(img);
    } else {
      var bubble = el("span", "xiaoer-text");
      appendText(bubble, entry.text || "");
      item.appendChild(bubble);
    }
    if (entry.buttons && entry.buttons.length) {
      var group = el("div", "xiaoer-buttons");
      group.setAttribute("role", "group");
      entry.buttons.forEach(function (button) {
        var choice = el("button", "xiaoer-choice", button.title);
        choice.type = "button";
        choice.disabled = !!entry.answered;
        choice.addEventListener("click", function () {
          entry.answered = true;
          Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
          send(button.payload, button.title);
        });
        group.appendChild(choice);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function add(entry) {
    state.history.push(entry);
    save();
    render(entry);
  }

  var typingTimer = null;
  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, TYPING_TIMEOUT_MS);
  }

  // ---- the socket ----
  var socket = null;
  var ready = false;
  var pending = [];

  function emit(message, metadata) {
    var meta = metadata || {};
    if (token) meta.customer_token = token;
    // The page's language: the assistant answers in it when a message has no language of its own (an
    // order number, a photo); a message in the other language still gets its answer in that one.
    meta.language = lang;
    var payload = { message: message, session_id: state.sessionId, metadata: meta };
    if (ready) socket.emit("user_uttered", payload); else pending.push(payload);
  }

  function send(message, shown, extra) {
    message = String(message || "").trim().slice(0, MAX_MESSAGE);
    if (!message) return;
    // Earlier choices are answered once the shopper says something (tapped or typed).
    state.history.forEach(function (entry) { if (entry.buttons) entry.answered = true; });
    Array.prototype.forEach.call(log.querySelectorAll(".xiaoer-choice"), function (b) { b.disabled = true; });
    add({ from: "user", text: shown || message, image: extra && extra.image_url });
    showTyping(true);
    emit(message, extra);
  }

  function onBotMessage(message) {
    if (!message) return;
    var entry = { from: "bot", text: message.text || "" };
    if (message.quick_replies && message.quick_replies.length) {
      entry.buttons = message.quick_replies.map(function (b) { return { title: String(b.title), payload: String(b.payload) }; });
    } else if (message.buttons && message.buttons.length) {
      entry.buttons = message.buttons.map(function (b) { return { title: String(b.title), payload: String(b.payload) }; });
    }
    var attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload && attachment.payload.src) {
      entry.image = String(attachment.payload.src);
    }
    if (!entry.text && !entry.image && !entry.buttons) return;
    showTyping(false);
    add(entry);
  }

  // ---- proactive notices: the shop learns which conversation is open (the monitor sends notices into it
  // live while it is), and notices still unread arrive now, worded by the assistant (README) ----
  var NOTICE_PULL_MS = 4 * 60 * 1000;
  var noticeTimer = null;
  function pullNotices() {
    if (!token) return;
    fetch(base + "/api/notices/pull", {
      method: "POST",
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: state.sessionId, channel: "socketio" })
    }).then(function (response) { return response.ok ? response.json() : { messages: [] }; })
      .then(function (result) { (result.messages || []).forEach(onBotMessage); })
      .catch(function () { /* the next pull brings them */ });
  }

  function connect() {
    socket = window.io(server, { path: "/socket.io", transports: ["websocket"] });
    socket.on("connect", function () {
      status.textContent = "";
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (confirmed) {
      // The server may replace an id it does not accept: messages go to the id it confirmed.
      if (typeof confirmed === "string" && confirmed && confirmed !== state.sessionId) {
        state.sessionId = confirmed;
        save();
      }
      ready = true;
      while (pending.length) socket.emit("user_uttered", pending.shift());
      pullNotices();
      clearInterval(noticeTimer);
      noticeTimer = setInterval(pullNotices, NOTICE_PULL_MS);
    });
    socket.on("bot_uttered", onBotMessage);
    socket.on("error", function () { showTyping(false); });  // a refused message gets no reply
    socket.on("disconnect", function () { ready = false; status.textContent = t.offline; });
  }

  function loadClient(done) {
    if (window.io) { done(); return; }
    var client = document.createElement("script");
    client.src = base + "/static/vendor/socket.io-client/socket.io.min.js";
    client.onload = done;
    document.head.appendChild(client);
  }

  // ---- photos ----
  function uploadPhoto(file) {
    if (!/^image\/(jpeg|png|webp|gif)$/.test(file.type)) { status.textContent = t.photoType; return; }
    if (file.size > MAX_PHOTO_BYTES) { status.textContent = t.photoTooBig; return; }
    var body = new FormData();
    body.append("photo", file);
    status.textContent = "";
    fetch(base + "/api/uploads", { method: "POST", body: body, headers: { Authorization: "Bearer " + token } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (result) { send(result.url, null, { image_url: result.url }); })
      .catch(function () { status.textContent = t.photoFailed; });
  }

  // ---- open / close, keyboard ----
  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    state.open = open;
    save();
    if (open) { input.focus(); log.scrollTop = log.scrollHeight; } else { launcher.focus(); }
  }
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") setOpen(false); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
  });
  photoButton.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    if (fileInput.files && fileInput.files[0]) uploadPhoto(fileInput.files[0]);
    fileInput.value = "";
  });

  function start() {
    document.body.appendChild(root);
    state.history.forEach(render);
    if (state.open) { panel.hidden = false; launcher.setAttribute("aria-expanded", "true"); }
    loadClient(connect);
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
