// Untrusted text (a model's answer) to safe DOM: markdown by marked with raw HTML shown as
// text, then DOMPurify, links opened apart (noopener noreferrer), no remote images; code blocks
// highlighted by highlight.js, each with a copy button.

import { Marked } from "./vendor/marked/marked.esm.js";
import DOMPurify from "./vendor/dompurify/purify.es.mjs";
import hljs from "./vendor/highlight/core.min.js";
import bash from "./vendor/highlight/languages/bash.min.js";
import c from "./vendor/highlight/languages/c.min.js";
import cpp from "./vendor/highlight/languages/cpp.min.js";
import css from "./vendor/highlight/languages/css.min.js";
import diff from "./vendor/highlight/languages/diff.min.js";
import go from "./vendor/highlight/languages/go.min.js";
import java from "./vendor/highlight/languages/java.min.js";
import javascript from "./vendor/highlight/languages/javascript.min.js";
import json from "./vendor/highlight/languages/json.min.js";
import markdown from "./vendor/highlight/languages/markdown.min.js";
import python from "./vendor/highlight/languages/python.min.js";
import rust from "./vendor/highlight/languages/rust.min.js";
import sql from "./vendor/highlight/languages/sql.min.js";
import typescript from "./vendor/highlight/languages/typescript.min.js";
import xml from "./vendor/highlight/languages/xml.min.js";
import yaml from "./vendor/highlight/languages/yaml.min.js";

const languages = { bash, c, cpp, css, diff, go, java, javascript, json, markdown, python,
  rust, sql, typescript, xml, yaml };
for (const [name, grammar] of Object.entries(languages)) hljs.registerLanguage(name, grammar);

const escapeHtml = (text) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");

const SAFE_URL = /^(https?:|mailto:|#)/i;

const marked = new Marked({ gfm: true, breaks: true });
marked.use({
  renderer: {
    // Raw HTML in the answer is shown as the text it is, never as markup.
    html: ({ text }) => escapeHtml(text),
    // No remote image is loaded (no request to another origin): a link to it instead.
    image: ({ href, text }) =>
      SAFE_URL.test(href || "")
        ? `<a href="${escapeHtml(href)}">image: ${escapeHtml(text || href)}</a>`
        : escapeHtml(`![${text}](${href})`),
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    const href = node.getAttribute("href") || "";
    if (!SAFE_URL.test(href)) node.removeAttribute("href");
    else if (!href.startsWith("#")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  }
});

const PURIFY = {
  FORBID_TAGS: ["style", "img", "svg", "math", "form", "input", "button", "textarea", "select",
    "iframe", "object", "embed", "video", "audio", "source", "picture"],
  FORBID_ATTR: ["style", "srcset"],
  ADD_ATTR: ["target"],
};

/** Copy `text` to the clipboard (with a fallback where the Clipboard API is not allowed). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

/** A small button that copies what `text()` gives and says so. */
export function copyButton(label, text) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.setAttribute("aria-label", label);
  button.addEventListener("click", async () => {
    await copyText(text());
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
  return button;
}

function highlight(code) {
  const match = /language-([\w-]+)/.exec(code.className);
  const language = match && hljs.getLanguage(match[1]) ? match[1] : null;
  const source = code.textContent;
  const result = language
    ? hljs.highlight(source, { language, ignoreIllegals: true })
    : hljs.highlightAuto(source);
  code.innerHTML = DOMPurify.sanitize(result.value); // hljs escapes; purified all the same
  code.classList.add("hljs");
}

/** Render markdown `text` into `element`, safely, with highlighted, copyable code blocks. */
export function renderMarkdown(element, text) {
  const html = DOMPurify.sanitize(marked.parse(text), PURIFY);
  element.innerHTML = html;
  for (const code of element.querySelectorAll("pre > code")) {
    highlight(code);
    const source = code.textContent;
    code.parentElement.classList.add("code");
    code.parentElement.prepend(copyButton("Copy this code", () => source));
  }
}
