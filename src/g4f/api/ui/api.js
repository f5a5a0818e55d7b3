// Talking to g4f api: the key, errors in OpenAI's shape, and the event stream of
// POST /v1/g4f/chat (Server-Sent Events named by the engine's event types).

const KEY = "g4f.apiKey";

/** The API key kept in this browser (localStorage), or "". */
export const apiKey = () => localStorage.getItem(KEY) || "";
export const setApiKey = (key) =>
  key ? localStorage.setItem(KEY, key) : localStorage.removeItem(KEY);

/** An error the API answered: its message, code and HTTP status. */
export class ApiError extends Error {
  constructor(message, code = null, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = apiKey();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

async function failure(response) {
  let message = `The server answered ${response.status} ${response.statusText}.`;
  let code = null;
  try {
    const body = await response.json();
    if (body && body.error) {
      message = body.error.message || message;
      code = body.error.code || null;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(message, code, response.status);
}

async function call(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { ...init, headers: headers() });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(`Cannot reach the server (${error.message}); is g4f api running?`);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** The model ids of GET /v1/models. */
export async function listModels() {
  const body = await (await call("/v1/models")).json();
  return body.data.map((m) => m.id);
}

/** Parse one SSE block into {event, data}; null for comments and empty blocks. */
export function parseBlock(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length ? { event, data: JSON.parse(data.join("\n")) } : null;
}

/**
 * Run one turn: POST /v1/g4f/chat, calling onEvent(name, data) for each event as it arrives.
 * `signal` aborts it (the server then stops the upstream turn).
 */
export async function chat(body, onEvent, signal) {
  const response = await call("/v1/g4f/chat", {
    method: "POST",
    body: JSON.stringify(body),
    signal,
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const parsed = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (parsed) onEvent(parsed.event, parsed.data);
    }
  }
}
