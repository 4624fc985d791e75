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
  const result = reload?.result ?? null;
  if (result === null) say($("reload-status"), "No reload since the proxy started.");
  else if (result === "ok") say($("reload-status"), `Last reload: ok, ${when(reload.at)}.`);
  else {
    const why = reload.message ? `: ${reload.message}` : "";
    say($("reload-status"), `Last reload failed, ${when(reload.at)}${why}`, true);
  }
  fillRouteChoices();
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
