// The live tap: GET /api/tap as server-sent events (the session cookie goes along, same
// origin): the last alerts queued per route while listening, and every route's counts.

import { $, cell, row, say } from "./dom.js";

let open = null; // the EventSource while listening
const recent = new Map(); // route → newest-first list of {id, alert, at}
let counted = {}; // route → {queued, refused}, as the last `counts` event said

export const listening = () => open !== null;

function tapKeep() {
  const wanted = Number($("tap-keep").value);
  return Number.isInteger(wanted) && wanted > 0 ? Math.min(wanted, 500) : 20;
}

export function startTap() {
  stopTap();
  const route = $("tap-route").value;
  const url = route ? `/api/tap?route=${encodeURIComponent(route)}` : "/api/tap";
  const source = new EventSource(url);
  open = source;
  $("tap-toggle").textContent = "Stop";
  say($("tap-status"), "Connecting…");
  // The stream's first `counts` event says the server listens: every alert queued after it
  // comes through. Said again after a reconnection.
  let heard = false;
  source.addEventListener("error", () => {
    heard = false;
    if (open !== source) return;
    if (source.readyState === EventSource.CLOSED) {
      say($("tap-status"), "The tap closed (is the session still valid?).", true);
      $("tap-toggle").textContent = "Listen";
      open = null;
    } else {
      say($("tap-status"), "Connection lost; reconnecting…", true);
    }
  });
  source.addEventListener("alert", (event) => tapAlert(JSON.parse(event.data)));
  source.addEventListener("counts", (event) => {
    counted = JSON.parse(event.data).routes ?? {};
    showTapCounts();
    if (!heard) {
      heard = true;
      say($("tap-status"), route ? `Listening to ${route}.` : "Listening to every route.");
    }
  });
  source.addEventListener("dropped", (event) => {
    const lost = JSON.parse(event.data).dropped;
    say($("tap-status"), `This page fell behind: ${lost} alerts were not shown.`, true);
  });
}

export function stopTap() {
  if (open !== null) {
    open.close();
    open = null;
    say($("tap-status"), "Not listening.");
  }
  $("tap-toggle").textContent = "Listen";
}

function tapAlert(event) {
  // Counted here too until the next `counts` event brings the server's own figure.
  const counts = (counted[event.route] ??= { queued: 0, refused: 0 });
  counts.queued += 1;
  const seen = recent.get(event.route) ?? [];
  seen.unshift({ id: event.id, alert: event.alert, at: Date.now() / 1000 });
  seen.length = Math.min(seen.length, tapKeep());
  recent.set(event.route, seen);
  showTapAlerts();
  showTapCounts();
}

function showTapCounts() {
  const names = new Set([...Object.keys(counted), ...recent.keys()]);
  $("tap-counts-body").replaceChildren(
    ...[...names].sort().map((name) => {
      const counts = counted[name] ?? {};
      return row(
        cell(name),
        cell(String(counts.queued ?? "—")),
        cell(String(counts.refused ?? "—")),
        cell(String(recent.get(name)?.length ?? 0)),
      );
    }),
  );
}

function showTapAlerts() {
  const sections = [...recent.keys()].sort().map((name) => {
    const section = document.createElement("section");
    section.className = "tap-route";
    section.dataset.route = name;
    const heading = document.createElement("h3");
    heading.textContent = `${name}: the last ${recent.get(name).length}`;
    const list = document.createElement("ol");
    for (const entry of recent.get(name)) {
      const item = document.createElement("li");
      const label = document.createElement("p");
      label.className = "hint";
      label.textContent = `#${entry.id}, ${new Date(entry.at * 1000).toLocaleTimeString()}`;
      const pre = document.createElement("pre");
      pre.textContent = JSON.stringify(entry.alert, null, 2);
      item.append(label, pre);
      list.append(item);
    }
    section.append(heading, list);
    return section;
  });
  $("tap-alerts").replaceChildren(...sections);
}

export function wireTap() {
  $("tap-toggle").addEventListener("click", () => (listening() ? stopTap() : startTap()));
  $("tap-route").addEventListener("change", () => {
    if (listening()) startTap();
  });
  $("tap-keep").addEventListener("change", () => {
    for (const kept of recent.values()) kept.length = Math.min(kept.length, tapKeep());
    showTapAlerts();
    showTapCounts();
  });
}
