// The page's two DOM helpers, shared by every panel.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Shows `text` in the status line `id`, marked as an error or not. */
export function say(id, text, isError = false) {
  $(id).textContent = text;
  $(id).classList.toggle('error', isError);
}
