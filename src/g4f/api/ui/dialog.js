// One <dialog> for the page's questions (the API key, a title, the system prompt, a confirm).

const $ = (id) => document.getElementById(id);

/** Ask for a text; resolves to it, or null when cancelled. */
export function ask(title, { text = "", value = "", multiline = false, password = false, input = true } = {}) {
  const dialog = $("dialog");
  $("dialog-title").textContent = title;
  $("dialog-text").textContent = text;
  $("dialog-text").hidden = !text;
  const field = multiline ? $("dialog-area") : $("dialog-input");
  $("dialog-input").hidden = !input || multiline;
  $("dialog-area").hidden = !input || !multiline;
  $("dialog-input").type = password ? "password" : "text";
  field.value = value;
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve(dialog.returnValue === "ok" ? (input ? field.value : "") : null),
      { once: true },
    );
    dialog.returnValue = "";
    dialog.showModal();
    if (input) field.focus();
  });
}

/** Ask yes or no; resolves to true for yes. */
export async function confirmAction(question) {
  return (await ask(question, { input: false })) !== null;
}
