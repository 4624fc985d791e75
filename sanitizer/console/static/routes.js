// The routes: their policies (name and digest), upstream types and the last reload; and the
// route pickers of the playground and the tap, filled from the same answer.

import { get } from "./api.js";
import { $, cell, problem, row, say, shortDigest, when } from "./dom.js";

/** The routes as GET /api/routes last answered (the same array, refilled). */
export const routes = [];

export async function loadRoutes() {
  try {
    const answer = await get("/api/routes");
    routes.splice(0, routes.length, ...(answer.routes ?? []));
    showRoutes(answer.reload);
  } catch (error) {
    say($("reload-status"), `Could not read the routes: ${problem(error)}`, true);
  }
}

/** The first 12 hex characters of a digest, the whole one as the cell's tooltip. */
function digestCell(digest) {
  const td = cell(shortDigest(digest), "digest");
  td.title = digest ?? "";
  return td;
}

function showRoutes(reload) {
  const body = $("routes-body");
  body.replaceChildren(
    ...routes.map((route) =>
      row(
        cell(route.name),
        cell(route.policy?.name),
        digestCell(route.policy?.digest),
        cell(route.upstream?.type),
        cell(route.on_refusal),
        cell(
          route.shadow_policy
            ? `${route.shadow_policy.name} (${shortDigest(route.shadow_policy.digest)})`
            : "—",
        ),
      ),
    ),
  );
  showShadows();
  const result = reload?.result ?? null;
  if (result === null) say($("reload-status"), "No reload since the proxy started.");
  else if (result === "ok") say($("reload-status"), `Last reload: ok, ${when(reload.at)}.`);
  else {
    const why = reload.message ? `: ${reload.message}` : "";
    say($("reload-status"), `Last reload failed, ${when(reload.at)}${why}`, true);
  }
  fillRouteChoices();
}

const KINDS = {
  kept_only_live: "kept by the live policy only",
  kept_only_shadow: "kept by the shadow only (it would let more through)",
  changed_differently: "changed differently",
  refused_only_live: "refused by the live policy only",
  refused_only_shadow: "refused by the shadow only",
};

function element(tag, text, testid) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (testid) node.dataset.testid = testid;
  return node;
}

function table(label, headings, rows) {
  const node = element("table");
  node.setAttribute("aria-label", label);
  const head = element("thead");
  head.append(row(...headings.map((text) => {
    const th = element("th", text);
    th.scope = "col";
    return th;
  })));
  const body = element("tbody");
  body.append(...rows.map((cells) => row(...cells.map((text) => cell(String(text))))));
  node.append(head, body);
  return node;
}

/** Each shadowed route's value-free comparison: counts by kind, refusals, the top places. */
function showShadows() {
  const shadowed = routes.filter((route) => route.shadow_policy);
  if (!shadowed.length) {
    $("shadow-body").replaceChildren(element("p", "No route has a shadow policy."));
    return;
  }
  $("shadow-body").replaceChildren(
    ...shadowed.map((route) => {
      const shadow = route.shadow_policy;
      const section = element("section");
      section.dataset.route = route.name;
      section.append(
        element("h3", `${route.name}: shadow ${shadow.name} (${shortDigest(shadow.digest)})`),
        element(
          "p",
          `${shadow.alerts ?? 0} alerts compared since ${when(shadow.since)}, ` +
            `${shadow.differing_alerts ?? 0} differed; ${shadow.skipped ?? 0} skipped ` +
            `under load, ${shadow.errors ?? 0} shadow errors.`,
          "shadow-totals",
        ),
        table(
          `Differences of ${route.name}`,
          ["Difference", "Count"],
          Object.entries(KINDS).map(([kind, words]) => [words, shadow.differences?.[kind] ?? 0]),
        ),
      );
      const refusals = Object.entries(shadow.refusals ?? {}).flatMap(([side, rules]) =>
        Object.entries(rules).map(([rule, count]) => [side, rule, count]),
      );
      if (refusals.length) {
        section.append(table(`Refusals of ${route.name}`, ["Side", "Rule", "Count"], refusals));
      }
      const places = (shadow.paths ?? []).map((item) => [
        item.path,
        KINDS[item.kind] ?? item.kind,
        item.count,
      ]);
      if (places.length) {
        section.append(table(`Places that differ in ${route.name}`, ["Place", "Difference", "Count"], places));
      }
      return section;
    }),
  );
}

function fillRouteChoices() {
  for (const [select, first] of [
    [$("route"), null],
    [$("tap-route"), "all routes"],
  ]) {
    const kept = select.value;
    const options = routes.map((route) => new Option(route.name, route.name));
    if (first !== null) options.unshift(new Option(first, ""));
    select.replaceChildren(...options);
    if ([...select.options].some((option) => option.value === kept)) select.value = kept;
  }
  describeRoute();
}

export function describeRoute() {
  const route = routes.find((item) => item.name === $("route").value);
  $("route-summary").textContent = route
    ? `Policy ${route.policy?.name} (${shortDigest(route.policy?.digest)}), ` +
      `upstream ${route.upstream?.type}, contract checked as the proxy would.`
    : "No route is configured.";
}
