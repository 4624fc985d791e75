// The operator console: log in, then the playground, dead letters, the live tap and the
// routes, one module each. Every value from the API or the user is written with textContent
// (never innerHTML), and nothing is inline: the Content-Security-Policy allows only this
// origin's files.

import { ApiError, get, post, setCsrf } from "./api.js";
import { loadDeadLetters, wireDeadLetters } from "./deadletters.js";
import { $, onSessionEnd, problem, say } from "./dom.js";
import { loadSamples, wirePlayground } from "./playground.js";
import { loadRoutes } from "./routes.js";
import { listening, startTap, stopTap, wireTap } from "./tap.js";

// ---------------------------------------------------------------------------- session

function showLogin(message = "") {
  stopTap();
  setCsrf(null);
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  say($("session-status"), "Not logged in.");
  $("login-error").textContent = message;
  $("token").focus();
}

async function showApp(csrf) {
  setCsrf(csrf);
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  say($("session-status"), "Logged in.");
  await loadRoutes(); // first: a sample picks its route from them
  await loadSamples();
}

async function logIn(event) {
  event.preventDefault();
  const field = $("token");
  $("login-error").textContent = "";
  try {
    const answer = await post("/api/login", { token: field.value });
    field.value = "";
    await showApp(answer.csrf);
  } catch (error) {
    const text =
      error instanceof ApiError && error.status === 401
        ? "That is not the admin token."
        : problem(error);
    $("login-error").textContent = text;
  }
}

async function logOut() {
  try {
    await post("/api/logout");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      say($("session-status"), `Logging out failed: ${problem(error)}`, true);
      return;
    }
  }
  showLogin("Logged out.");
}

async function resumeSession() {
  try {
    const answer = await get("/api/session");
    await showApp(answer.csrf);
  } catch (error) {
    showLogin(error instanceof ApiError && error.status === 401 ? "" : problem(error));
  }
}

// ---------------------------------------------------------------------------- tabs

const TABS = ["playground", "dead-letters", "tap", "routes"];
const ON_OPEN = {
  "dead-letters": () => loadDeadLetters(),
  tap: () => {
    if (!listening()) startTap();
  },
  routes: () => loadRoutes(),
};

function openTab(name, focus = false) {
  for (const other of TABS) {
    const tab = $(`tab-${other}`);
    const selected = other === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(other).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  ON_OPEN[name]?.();
}

function tabKeys(event) {
  const at = TABS.indexOf(event.target.getAttribute("aria-controls"));
  const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -at, End: TABS.length - 1 - at };
  if (at < 0 || !(event.key in moves)) return;
  event.preventDefault();
  openTab(TABS[(at + moves[event.key] + TABS.length) % TABS.length], true);
}

function wire() {
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", logOut);
  for (const name of TABS) {
    const tab = $(`tab-${name}`);
    tab.addEventListener("click", () => openTab(name));
    tab.addEventListener("keydown", tabKeys);
  }
  $("routes-refresh").addEventListener("click", loadRoutes);
  wirePlayground();
  wireDeadLetters();
  wireTap();
  onSessionEnd(showLogin);
}

wire();
resumeSession();
