// Small DOM and wording helpers every section of the console shares. Values are only ever
// written with textContent.

import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);

export function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

export function row(...cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

export function shortDigest(digest) {
  return typeof digest === "string" && digest ? digest.slice(0, 12) : "—";
}

export function when(seconds) {
  if (typeof seconds !== "number") return "—";
  const date = new Date(seconds * 1000);
  const ago = Math.round(Date.now() / 1000 - seconds);
  let relative;
  if (ago < 60) relative = "just now";
  else if (ago < 3600) relative = `${Math.floor(ago / 60)} min ago`;
  else if (ago < 86400) relative = `${Math.floor(ago / 3600)} h ago`;
  else relative = `${Math.floor(ago / 86400)} d ago`;
  return `${date.toLocaleString()} (${relative})`;
}

export function size(bytes) {
  if (typeof bytes !== "number") return "—";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}

let sessionEnded = () => {};

/** What to do when the API answers 401 to a logged-in page (show the login). */
export function onSessionEnd(handler) {
  sessionEnded = handler;
}

/** A failed call's message for a person; a 401 ends the session. */
export function problem(error) {
  if (error instanceof ApiError && error.status === 401) {
    sessionEnded("The session ended: log in again.");
  }
  if (error instanceof ApiError) return error.message;
  return `the console could not reach the proxy (${error.message})`;
}
