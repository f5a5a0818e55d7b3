// Conversations kept in this browser: localStorage, one JSON document under one key.

const KEY = "g4f.conversations";

const newId = () =>
  (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).toString();

/** All conversations, most recently used first. */
export function load() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list.filter(valid) : [];
  } catch {
    return [];
  }
}

export function save(list) {
  list.sort((a, b) => b.updated - a.updated);
  localStorage.setItem(KEY, JSON.stringify(list));
}

/** A new empty conversation. */
export function create(model = "", system = "") {
  const now = Date.now();
  return { id: newId(), title: "New chat", created: now, updated: now, model, system,
    serverId: null, messages: [] };
}

function valid(c) {
  return c && typeof c.id === "string" && Array.isArray(c.messages) &&
    c.messages.every((m) => m && typeof m.role === "string" && typeof m.text === "string");
}

/** The JSON of an export. */
export const exportJson = (list) =>
  JSON.stringify({ format: "g4f-bing-chat", version: 1, conversations: list }, null, 2);

/** Conversations read from an export (ids already present get new ones); throws if invalid. */
export function importJson(text, existing) {
  const parsed = JSON.parse(text);
  const list = Array.isArray(parsed) ? parsed : parsed && parsed.conversations;
  if (!Array.isArray(list) || !list.every(valid)) {
    throw new Error("This file is not an export of conversations.");
  }
  const ids = new Set(existing.map((c) => c.id));
  return list.map((c) => {
    const copy = { ...create(), ...c, title: String(c.title || "Imported chat") };
    copy.updated = Number(c.updated) || Date.now();
    if (ids.has(copy.id)) copy.id = newId();
    return copy;
  });
}
