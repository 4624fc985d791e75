// The playground: an alert (a sample or pasted) through a route's policy or a pasted one,
// via POST /api/preview; the output beside the input with the changed places marked, the
// audit, a refusal explained and the contract's verdict. Nothing is stored anywhere.

import { ApiError, get, post } from "./api.js";
import { $, cell, problem, row, say } from "./dom.js";
import { diff, renderJson } from "./jsondiff.js";
import { describeRoute, routes } from "./routes.js";

let samples = [];

export async function loadSamples() {
  try {
    const answer = await get("/api/samples");
    samples = answer.samples ?? [];
  } catch (error) {
    say($("preview-error"), `Could not read the sample alerts: ${problem(error)}`, true);
    return;
  }
  const select = $("sample");
  select.replaceChildren(
    new Option("(paste your own)", ""),
    ...samples.map((sample, index) => new Option(sample.name, String(index))),
  );
  if (!$("alert-text").value.trim() && samples.length) {
    select.value = "0";
    pickSample();
  }
}

function pickSample() {
  const chosen = $("sample").value;
  const sample = chosen === "" ? undefined : samples[Number(chosen)];
  $("sample-description").textContent = sample?.description ?? "";
  if (sample === undefined) return;
  $("alert-text").value = JSON.stringify(sample.alert, null, 2);
  if (sample.route && routes.some((route) => route.name === sample.route)) {
    $("route").value = sample.route;
    describeRoute();
  }
}

function policySource() {
  return document.querySelector('input[name="policy-source"]:checked').value;
}

function switchSource() {
  const editing = policySource() === "edit";
  $("route-choice").hidden = editing;
  $("policy-choice").hidden = !editing;
}

const FIXES = [
  [
    (rule) => rule === "guard",
    "A detector of the policy's guard still finds something at this path in the finished " +
      "alert. Add a rule before the end that removes the place (drop, allow) or masks it " +
      "(scrub, redact, mask_ip, hash); if the match is expected there, leave that detector " +
      "out of guard:.",
  ],
  [
    (rule) => rule.startsWith("contract:"),
    "The receiver would not take this output. Make the policy produce what the receiver " +
      "needs at this path (keep or set the field, truncate a long text), or check the " +
      "route's upstream type.",
  ],
  [
    (rule) => rule === "split",
    "The body is not the list the policy's split: names. Check split: against how this " +
      "sender writes its alerts.",
  ],
  [
    () => true,
    "This rule failed on this alert. Change the rule (its select, when: or options, e.g. " +
      "an expect rule's type, or on_mismatch: drop), or send the alert in the shape the " +
      "rule expects.",
  ],
];

function showRefusal(refused) {
  const box = $("refusal");
  box.hidden = refused === null;
  if (refused === null) return;
  const rule = String(refused.rule ?? "");
  box.querySelector('[data-testid="refusal-rule"]').textContent = rule || "—";
  box.querySelector('[data-testid="refusal-path"]').textContent = refused.path || "—";
  box.querySelector('[data-testid="refusal-reason"]').textContent = refused.reason || "—";
  box.querySelector('[data-testid="refusal-fix"]').textContent = FIXES.find(([fits]) =>
    fits(rule),
  )[1];
}

function showContract(contract, refused) {
  const line = $("contract");
  line.className = "verdict";
  if (contract === null || contract === undefined) {
    line.textContent = refused
      ? "The receiver's contract was not reached: the policy refused the alert first."
      : "No receiver contract applies (no upstream type chosen, or webhook/capture).";
    return;
  }
  const reason = contract.reason ? `: ${contract.reason}` : ".";
  const texts = {
    ok: `Meets the ${contract.upstream} contract${reason}`,
    truncated: `The ${contract.upstream} contract would shorten a field${reason}`,
    refused: `The ${contract.upstream} contract refuses this output${reason}`,
  };
  line.textContent = texts[contract.verdict] ?? `${contract.upstream}: ${contract.verdict}${reason}`;
  line.classList.add(`verdict-${contract.verdict}`);
}

function showAudit(audit, alerts, refused) {
  const entries = audit ?? [];
  const split = alerts > 1;
  const details = entries.some((entry) => entry.detail !== undefined);
  $("audit-alert-column").hidden = !split;
  $("audit-detail-column").hidden = !details;
  $("audit-body").replaceChildren(
    ...entries.map((entry) =>
      row(
        ...(split ? [cell(String(entry.alert ?? ""))] : []),
        cell(entry.rule),
        cell(entry.action),
        cell(entry.path, "path"),
        cell(entry.count === undefined ? "" : String(entry.count)),
        ...(details ? [cell(entry.detail === undefined ? "" : String(entry.detail))] : []),
      ),
    ),
  );
  $("audit-empty").hidden = entries.length > 0;
  $("audit-empty").textContent = refused
    ? "No audit: a refused alert has no output to account for."
    : "No rule changed anything.";
}

function showOutputs(input, outputs) {
  const pane = $("output-view");
  const inputMarks = outputs && outputs.length === 1 ? diff(input, outputs[0]) : {};
  $("input-view").replaceChildren(renderJson(input, inputMarks));
  $("diff-legend").hidden = !outputs;
  if (!outputs) {
    $("output-caption").textContent = "Output";
    const nothing = document.createElement("p");
    nothing.className = "nothing";
    nothing.textContent = "Nothing: the alert was refused.";
    pane.replaceChildren(nothing);
    $("diff-summary").textContent = "";
    return;
  }
  $("output-caption").textContent =
    outputs.length === 1 ? "Output" : `Output: ${outputs.length} alerts (split)`;
  const counts = { removed: 0, changed: 0, added: 0 };
  pane.replaceChildren(
    ...outputs.map((output, index) => {
      const marks = diff(input, output);
      for (const name of Object.keys(counts)) counts[name] += marks[name].size;
      const pre = document.createElement("pre");
      pre.tabIndex = 0;
      pre.dataset.testid = `output-${index}`;
      pre.setAttribute("aria-label", `Output alert ${index + 1}`);
      pre.append(renderJson(output, marks));
      return pre;
    }),
  );
  $("diff-summary").textContent =
    `${counts.removed} places removed, ${counts.changed} changed, ${counts.added} added.`;
}

async function preview() {
  const error = $("preview-error");
  say(error, "");
  let alert;
  try {
    alert = JSON.parse($("alert-text").value);
  } catch (parseError) {
    say(error, `The alert is not valid JSON: ${parseError.message}`, true);
    return;
  }
  const body = { alert };
  if (policySource() === "edit") {
    body.policy = $("policy-text").value;
    if ($("policy-upstream").value) body.upstream = $("policy-upstream").value;
  } else {
    if (!$("route").value) {
      say(error, "Pick a route, or switch to editing a policy.", true);
      return;
    }
    body.route = $("route").value;
  }
  const button = $("preview");
  button.disabled = true;
  $("preview-busy").textContent = "Running the policy…";
  try {
    const answer = await post("/api/preview", body);
    $("result").hidden = false;
    const refused = answer.refused ?? null;
    showRefusal(refused);
    showContract(answer.contract, refused !== null);
    showOutputs(alert, answer.output ?? null);
    showAudit(answer.audit, answer.output?.length ?? 0, refused !== null);
    $("preview-note").textContent = answer.note ?? "";
  } catch (failure) {
    $("result").hidden = true;
    const prefix =
      failure instanceof ApiError && failure.code === "policy_invalid"
        ? "The policy is not valid: "
        : "Preview failed: ";
    say(error, prefix + problem(failure), true);
  } finally {
    button.disabled = false;
    $("preview-busy").textContent = "";
  }
}

export function wirePlayground() {
  $("sample").addEventListener("change", pickSample);
  $("route").addEventListener("change", describeRoute);
  for (const radio of document.querySelectorAll('input[name="policy-source"]')) {
    radio.addEventListener("change", switchSource);
  }
  $("preview").addEventListener("click", preview);
}
