// The dashboard: live figures every 15 s, the 7- or 30-day charts and lists. Text goes in with
// textContent only (a shopper's words are never HTML).
"use strict";

const charts = {};
const percent = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
const seconds = (v) => (v === null || v === undefined ? "—" : v < 120 ? v.toFixed(1) + " 秒" : (v / 60).toFixed(1) + " 分钟");
const score = (v) => (v === null || v === undefined ? "—" : v.toFixed(2));
const text = (v) => (v === null || v === undefined ? "—" : String(v));

async function getJson(url) {
  const response = await fetch(url, {credentials: "same-origin"});
  if (response.status === 401) { window.location = "/dashboard/login"; throw new Error("signed out"); }
  return [response.status, await response.json()];
}

function setText(id, value) { document.getElementById(id).textContent = value; }

async function refreshLive() {
  const [status, live] = await getJson("/dashboard/api/live");
  if (status !== 200) { setText("live-at", "还没有会话记录"); return; }
  setText("live-at", "更新于 " + live.at);
  setText("live-current", text(live.current_conversations));
  setText("live-waiting", text(live.waiting_tickets));
  setText("live-today", text(live.today_conversations));
  setText("live-resolution", percent(live.today_resolution));
  setText("live-satisfaction", live.today_satisfaction === null ? "—" : score(live.today_satisfaction) + "（" + live.today_ratings + " 条）");
  setText("live-response", seconds(live.today_response_seconds));
}

function fillTable(id, rows, cells) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (!rows.length) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 4; cell.className = "empty"; cell.textContent = "暂无";
    return;
  }
  for (const item of rows) {
    const row = body.insertRow();
    for (const value of cells(item)) row.insertCell().textContent = text(value);
  }
}

function figureCards(f) {
  const cards = [
    ["会话数", text(f.conversations)], ["顾客数", text(f.shoppers)], ["机器人独立解决率", percent(f.resolution)],
    ["转人工率", percent(f.handoff)], ["未识别率", percent(f.fallback)], ["首次响应", seconds(f.first_response)],
    ["人工等待", seconds(f.human_wait)], ["满意度", score(f.satisfaction) + "（" + f.ratings + " 条）"],
    ["愤怒消息", text(f.angry_messages)], ["每会话成本", "¥" + text(f.cost_per_conversation)], ["节省", "¥" + text(f.cost_saving)],
  ];
  const box = document.getElementById("figures");
  box.replaceChildren();
  for (const [label, value] of cards) {
    const card = document.createElement("div"); card.className = "card";
    const l = document.createElement("div"); l.className = "label"; l.textContent = label;
    const v = document.createElement("div"); v.className = "value"; v.textContent = value;
    card.append(l, v); box.append(card);
  }
}

async function loadPeriod(days) {
  const [status, data] = await getJson("/dashboard/api/overview?days=" + days);
  if (status !== 200) { setText("period-range", data.detail || "没有数据"); return; }
  setText("period-range", data.from + " 至 " + data.to);
  document.getElementById("export-link").href = "/dashboard/export/nlu.yml?days=" + days;
  figureCards(data.figures);
  for (const [id, option] of Object.entries(data.charts)) {
    const element = document.getElementById(id);
    if (!element) continue;
    charts[id] = charts[id] || echarts.init(element, null, {renderer: "svg"});
    charts[id].setOption(option, true);
    element.dataset.drawn = "1";
  }
  fillTable("list-unrecognised", data.unrecognised, (g) => [g.text, g.count, g.conversations, g.suggested_label]);
  fillTable("list-low-confidence", data.low_confidence, (g) => [g.text, g.count, g.suggested_label, g.confidence]);
  fillTable("list-hotspots", data.hotspots, (h) => [h.product, h.reason, h.count]);
  fillTable("list-after-sales", data.after_sale_reasons, (a) => [a.product, a.type, a.reason, a.count]);
  const asked = [];
  for (const [topic, items] of Object.entries(data.asked)) for (const item of items) asked.push([topic, item.product, item.count]);
  fillTable("list-asked", asked, (row) => row);
  fillTable("list-comments", data.comments, (c) => [c.rating, c.comment, c.at]);
  fillTable("list-angry", data.angry_unhelped, (a) => [a.conversation, a.at, a.text]);
  document.body.dataset.loaded = String(days);
}

for (const button of document.querySelectorAll(".period-switch button")) {
  button.addEventListener("click", () => {
    for (const other of document.querySelectorAll(".period-switch button")) other.classList.toggle("active", other === button);
    loadPeriod(button.dataset.days);
  });
}
window.addEventListener("resize", () => Object.values(charts).forEach((chart) => chart.resize()));
refreshLive();
setInterval(refreshLive, 15000);
loadPeriod(7);
