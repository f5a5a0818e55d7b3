// The chat page: conversations, the composer, streaming answers, the model picker.

import { ApiError, apiKey, chat, listModels, setApiKey } from "./api.js";
import { copyButton, renderMarkdown } from "./render.js";
import * as store from "./store.js";
import { ask, confirmAction } from "./dialog.js";

const $ = (id) => document.getElementById(id);
const state = { list: store.load(), current: null, models: [], running: null, images: [], left: false };
const MAX_IMAGE = 4 << 20;

// -- theme ------------------------------------------------------------------------------------

function applyTheme() {
  const chosen = localStorage.getItem("g4f.theme");
  if (chosen) document.documentElement.dataset.theme = chosen;
  else delete document.documentElement.dataset.theme;
}

function toggleTheme() {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === "dark"
    : matchMedia("(prefers-color-scheme: dark)").matches;
  localStorage.setItem("g4f.theme", dark ? "light" : "dark");
  applyTheme();
}

// -- conversations ----------------------------------------------------------------------------

const current = () => state.current;

function persist() {
  if (state.left) return; // see leave()
  store.save(state.list);
  drawList();
}

function select(conversation) {
  state.current = conversation;
  if (conversation.model && state.models.includes(conversation.model)) {
    $("model").value = conversation.model;
  }
  drawList();
  drawMessages();
  document.body.classList.remove("sidebar-open");
}

function newChat() {
  if (state.running) stop();
  const empty = state.list.find((c) => !c.messages.length);
  if (empty) return select(empty), $("input").focus();
  const conversation = store.create($("model").value, current() ? current().system : "");
  state.list.unshift(conversation);
  select(conversation);
  $("input").focus();
}

function drawList() {
  const ul = $("conversations");
  ul.replaceChildren();
  for (const conversation of state.list) {
    const li = document.createElement("li");
    li.className = conversation === current() ? "active" : "";
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open";
    open.textContent = conversation.title;
    open.setAttribute("aria-current", conversation === current() ? "true" : "false");
    open.addEventListener("click", () => select(conversation));
    const rename = smallButton("✎", `Rename “${conversation.title}”`, () => renameChat(conversation));
    const remove = smallButton("×", `Delete “${conversation.title}”`, () => deleteChat(conversation));
    li.append(open, rename, remove);
    ul.append(li);
  }
}

function smallButton(text, label, action) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon small";
  button.textContent = text;
  button.setAttribute("aria-label", label);
  button.addEventListener("click", action);
  return button;
}

async function renameChat(conversation) {
  const title = await ask("Rename the conversation", { value: conversation.title });
  if (title && title.trim()) {
    conversation.title = title.trim();
    persist();
  }
}

async function deleteChat(conversation) {
  if (!(await confirmAction(`Delete “${conversation.title}”?`))) return;
  state.list = state.list.filter((c) => c !== conversation);
  if (state.running && state.running.conversation === conversation) stop(); // its answer too
  persist();
  if (conversation === current()) state.list.length ? select(state.list[0]) : newChat();
}

async function clearAll() {
  if (!(await confirmAction("Delete every conversation kept in this browser?"))) return;
  state.list = [];
  persist();
  newChat();
}

function exportAll() {
  const blob = new Blob([store.exportJson(state.list)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = "g4f-conversations.json";
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function importFile(file) {
  try {
    const added = store.importJson(await file.text(), state.list);
    state.list.push(...added);
    persist();
    if (added.length) select(added[0]);
  } catch (error) {
    showNotice(`Import failed: ${error.message}`);
  }
}

// -- messages ---------------------------------------------------------------------------------

function showNotice(text) {
  const div = document.createElement("div");
  div.className = "message error";
  div.setAttribute("role", "alert");
  div.textContent = text;
  $("messages").append(div);
}

function drawMessages() {
  const box = $("messages");
  box.replaceChildren();
  const messages = current().messages;
  if (!messages.length) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "Ask anything. Answers stream in; Stop keeps what arrived.";
    box.append(empty);
  }
  messages.forEach((message, index) => box.append(messageElement(message, index)));
  box.scrollTop = box.scrollHeight;
}

function messageElement(message, index) {
  const div = document.createElement("article");
  div.className = `message ${message.role}`;
  div.dataset.index = index;
  const who = message.role === "user" ? "You" : message.role === "error" ? "Error" : "Answer";
  div.setAttribute("aria-label", who);
  if (message.role === "error") div.setAttribute("role", "alert");
  const body = document.createElement("div");
  body.className = "body";
  div.append(progressElement(message), body, extrasElement(message), actionsElement(message, index));
  fillBody(body, message);
  return div;
}

function fillBody(body, message) {
  if (message.role === "assistant") renderMarkdown(body, message.text);
  else body.textContent = message.text;
  if (message.images && message.images.length) {
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = `Images: ${message.images.join(", ")}`;
    body.append(note);
  }
  if (message.stopped) {
    const note = document.createElement("p");
    note.className = "muted stopped";
    note.textContent = "(stopped)";
    body.append(note);
  }
}

function progressElement(message) {
  const ul = document.createElement("ul");
  ul.className = "progress";
  ul.setAttribute("aria-label", "Search progress");
  for (const line of message.progress || []) {
    const li = document.createElement("li");
    li.textContent = line;
    ul.append(li);
  }
  return ul;
}

function extrasElement(message) {
  const div = document.createElement("div");
  div.className = "extras";
  if (message.sources && message.sources.length) {
    const ol = document.createElement("ol");
    ol.className = "sources";
    ol.setAttribute("aria-label", "Sources");
    for (const source of message.sources) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      if (/^https?:/i.test(source.url)) a.href = source.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = source.title || source.url;
      li.append(a);
      ol.append(li);
    }
    div.append(ol);
  }
  const last = current().messages[current().messages.length - 1] === message;
  if (last && message.suggestions && message.suggestions.length && !state.running) {
    const nav = document.createElement("div");
    nav.className = "suggestions";
    nav.setAttribute("aria-label", "Suggested replies");
    for (const text of message.suggestions) {
      nav.append(smallText(text, `Send “${text}”`, () => send(text)));
    }
    div.append(nav);
  }
  return div;
}

function smallText(text, label, action) {
  const button = smallButton(text, label, action);
  button.className = "chip";
  return button;
}

function actionsElement(message, index) {
  const div = document.createElement("div");
  div.className = "actions";
  if (message.role === "error") return div;
  div.append(copyButton("Copy this message", () => message.text));
  // One turn at a time: while an answer runs, nothing here can start another.
  const isLast = index === current().messages.length - 1;
  if (message.role === "assistant" && isLast && !state.running) {
    div.append(smallText("Regenerate", "Regenerate the last answer", regenerate));
  }
  if (message.role === "user" && !state.running) {
    div.append(smallText("Edit", "Edit this question and resend", () => editQuestion(index)));
  }
  return div;
}

// -- sending ----------------------------------------------------------------------------------

/** The request's messages: the system prompt and every earlier message, for a new upstream
 * conversation; only the new question when the server keeps the history. */
function requestMessages(conversation, content) {
  if (conversation.serverId) return [{ role: "user", content }];
  const messages = conversation.system ? [{ role: "system", content: conversation.system }] : [];
  for (const m of conversation.messages.slice(0, -1)) {
    if ((m.role === "user" || m.role === "assistant") && m.text) {
      messages.push({ role: m.role, content: m.text });
    }
  }
  messages.push({ role: "user", content });
  return messages;
}

function userContent(text, images) {
  if (!images.length) return text;
  return [{ type: "text", text }, ...images.map((i) => ({ type: "image_url", image_url: { url: i.url } }))];
}

async function send(text) {
  const conversation = current();
  if (state.running || !text.trim()) return;
  const images = state.images;
  state.images = [];
  drawAttachments();
  if (conversation.title === "New chat") conversation.title = text.trim().slice(0, 48);
  conversation.messages.push({ role: "user", text, images: images.map((i) => i.name) });
  await runTurn(conversation, userContent(text, images));
}

async function runTurn(conversation, content, retried = false) {
  conversation.messages = conversation.messages.filter((m) => m.role !== "error");
  const answer = { role: "assistant", text: "", progress: [], sources: [], suggestions: [] };
  conversation.model = $("model").value;
  const body = { model: conversation.model, messages: requestMessages(conversation, content) };
  if (conversation.serverId) body.conversation_id = conversation.serverId;
  conversation.messages.push(answer);
  conversation.updated = Date.now();
  const controller = new AbortController();
  state.running = { controller, answer, conversation };
  setRunning(true);
  drawMessages();
  persist();
  try {
    await chat(body, (name, data) => onEvent(conversation, answer, name, data), controller.signal);
  } catch (error) {
    if (error.name === "AbortError") return; // stop() marked the answer and saved it
    if (!retried && error.code === "conversation_not_found") {
      // The server forgot it (expired): start anew with the history folded into the request.
      conversation.messages.pop();
      conversation.serverId = null;
      state.running = null;
      return await runTurn(conversation, content, true); // awaited: running until it ends
    }
    failTurn(conversation, answer, error);
  } finally {
    if (state.running && state.running.answer === answer) state.running = null;
    setRunning(false);
    persist();
    if (conversation === current()) drawMessages();
  }
}

function failTurn(conversation, answer, error) {
  if (!answer.text) conversation.messages.splice(conversation.messages.indexOf(answer), 1);
  else answer.stopped = true;
  const message = error instanceof ApiError ? error.message : `Error: ${error.message}`;
  conversation.messages.push({ role: "error", text: message });
  if (error.status === 401) askKey();
}

function onEvent(conversation, answer, name, data) {
  if (name === "start") {
    conversation.serverId = data.conversation_id;
    store.save(state.list); // kept at once: a reload mid-answer still continues this conversation
  } else if (name === "text_delta") answer.text += data.text;
  else if (name === "search_progress" || name === "reasoning_progress") answer.progress.push(data.text);
  else if (name === "sources") answer.sources = data.items;
  else if (name === "suggested_replies") answer.suggestions = data.items;
  else if (name === "retraction") answer.text = data.apology;
  else if (name === "final") answer.text = data.text || answer.text;
  else if (name === "error") throw new ApiError(data.error.message, data.error.code, data.error.status);
  if (conversation === current()) drawStreaming(answer);
}

let frame = 0;
function drawStreaming(answer) {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const box = $("messages");
    const element = box.querySelector("article.message.assistant:last-of-type");
    if (!element) return;
    const index = current().messages.indexOf(answer);
    element.replaceWith(messageElement(answer, index));
    box.scrollTop = box.scrollHeight;
  });
}

/** End the running answer: what arrived is kept, marked stopped, and saved at once (the page
 * may be going away: a reload or close mid-answer stops it too); the request is aborted, so the
 * server stops the upstream turn. */
function stop() {
  if (!state.running) return;
  state.running.answer.stopped = true;
  store.save(state.list);
  state.running.controller.abort();
}

/** The page is going away (reload, close, navigation) mid-answer: stop as the Stop button does,
 * then save nothing more — the cut request may still end in a network error that would be saved
 * over it — until the page is shown again (the back-forward cache keeps it alive). */
function leave() {
  if (!state.running) return;
  stop();
  state.left = true;
}

function setRunning(running) {
  $("send").hidden = running;
  $("stop").hidden = !running;
  $("app").setAttribute("aria-busy", running ? "true" : "false");
}

/** Send the last question again, as a new upstream conversation with the history folded in
 * (the server's copy already holds the answer being replaced). */
function regenerate() {
  if (state.running) return;
  const conversation = current();
  while (conversation.messages.length && conversation.messages.at(-1).role !== "user") {
    conversation.messages.pop();
  }
  const question = conversation.messages.at(-1);
  if (!question) return;
  conversation.serverId = null;
  runTurn(conversation, question.text);
}

async function editQuestion(index) {
  if (state.running) return;
  const conversation = current();
  const text = await ask("Edit the question", { value: conversation.messages[index].text, multiline: true });
  if (!text || !text.trim()) return;
  conversation.messages = conversation.messages.slice(0, index);
  conversation.serverId = null; // the history changed: a new upstream conversation
  send(text);
}

// -- images -----------------------------------------------------------------------------------

function addImages(files) {
  for (const file of files) {
    if (!file.type.startsWith("image/")) continue;
    if (file.size > MAX_IMAGE) {
      showNotice(`${file.name} is larger than 4 MiB.`);
      continue;
    }
    const reader = new FileReader();
    reader.onload = () => {
      state.images.push({ name: file.name || "pasted image", url: reader.result });
      drawAttachments();
    };
    reader.readAsDataURL(file);
  }
}

function drawAttachments() {
  const box = $("attachments");
  box.replaceChildren();
  state.images.forEach((image, index) => {
    const chip = document.createElement("span");
    chip.className = "attachment";
    const img = document.createElement("img");
    img.src = image.url;
    img.alt = image.name;
    chip.append(img, smallButton("✕", `Remove ${image.name}`, () => {
      state.images.splice(index, 1);
      drawAttachments();
    }));
    box.append(chip);
  });
}

// -- models, key, system prompt ---------------------------------------------------------------

async function loadModels() {
  try {
    state.models = await listModels();
  } catch (error) {
    if (error.status === 401) return askKey();
    return showNotice(error.message);
  }
  drawModels("");
  $("model-search").hidden = state.models.length <= 8;
  if (current().model && state.models.includes(current().model)) $("model").value = current().model;
}

function drawModels(filter) {
  const select = $("model");
  const chosen = select.value;
  select.replaceChildren();
  for (const id of state.models.filter((m) => m.toLowerCase().includes(filter.toLowerCase()))) {
    const option = document.createElement("option");
    option.value = option.textContent = id;
    select.append(option);
  }
  if (state.models.includes(chosen)) select.value = chosen;
}

async function askKey() {
  const key = await ask("API key", {
    text: "This server needs its API key. It is kept in this browser (localStorage) and sent with every request.",
    value: apiKey(),
    password: true,
  });
  if (key === null) return;
  setApiKey(key.trim());
  loadModels();
}

async function editSystem() {
  const conversation = current();
  const text = await ask("System prompt", {
    text: "Sent at the start of a new upstream conversation.",
    value: conversation.system || "",
    multiline: true,
  });
  if (text === null) return;
  if (text !== conversation.system) conversation.serverId = null;
  conversation.system = text;
  persist();
}

// -- wiring -----------------------------------------------------------------------------------

function wire() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    // While an answer runs, Enter sends nothing and the text stays in the box for afterwards.
    if (state.running) return;
    const text = $("input").value;
    if (!text.trim()) return;
    $("input").value = "";
    send(text);
  });
  $("input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.running) stop();
  });
  $("stop").addEventListener("click", stop);
  window.addEventListener("pagehide", leave);
  window.addEventListener("pageshow", () => { state.left = false; });
  $("new-chat").addEventListener("click", newChat);
  $("export").addEventListener("click", exportAll);
  $("import").addEventListener("click", () => $("import-file").click());
  $("import-file").addEventListener("change", (e) => e.target.files[0] && importFile(e.target.files[0]));
  $("clear").addEventListener("click", clearAll);
  $("theme").addEventListener("click", toggleTheme);
  $("system").addEventListener("click", editSystem);
  $("model-search").addEventListener("input", (e) => drawModels(e.target.value));
  $("attach").addEventListener("click", () => $("attach-file").click());
  $("attach-file").addEventListener("change", (e) => { addImages(e.target.files); e.target.value = ""; });
  $("input").addEventListener("paste", (e) => addImages([...e.clipboardData.files]));
  const main = document.querySelector(".main");
  main.addEventListener("dragover", (e) => e.preventDefault());
  main.addEventListener("drop", (e) => { e.preventDefault(); addImages([...e.dataTransfer.files]); });
  $("open-sidebar").addEventListener("click", () => document.body.classList.add("sidebar-open"));
  $("close-sidebar").addEventListener("click", () => document.body.classList.remove("sidebar-open"));
}

applyTheme();
wire();
if (state.list.length) select(state.list[0]);
else newChat();
loadModels();
