// Dead letters: the alerts the upstream would not take after every retry (never their
// bodies); retry one, or purge it after a confirmation.

import { get, post } from "./api.js";
import { $, cell, problem, row, say, size, when } from "./dom.js";

let purgeTarget = null;

export async function loadDeadLetters() {
  const status = $("dead-status");
  try {
    const answer = await get("/api/dead-letters");
    const letters = answer.dead_letters ?? [];
    $("dead-body").replaceChildren(...letters.map(deadLetterRow));
    $("dead-empty").hidden = letters.length > 0;
    say(status, `${letters.length} dead letter${letters.length === 1 ? "" : "s"}.`);
  } catch (error) {
    say(status, `Could not read the dead letters: ${problem(error)}`, true);
  }
}

function deadLetterRow(letter) {
  const retry = document.createElement("button");
  retry.type = "button";
  retry.textContent = "Retry";
  retry.dataset.testid = "dead-letter-retry";
  retry.setAttribute("aria-label", `Retry dead letter ${letter.id}`);
  retry.addEventListener("click", () => retryDeadLetter(letter.id));
  const purge = document.createElement("button");
  purge.type = "button";
  purge.className = "danger";
  purge.textContent = "Purge";
  purge.dataset.testid = "dead-letter-purge";
  purge.setAttribute("aria-label", `Purge dead letter ${letter.id}`);
  purge.addEventListener("click", () => askPurge(letter));
  const actions = cell("", "nowrap");
  actions.append(retry, " ", purge);
  const tr = row(
    cell(String(letter.id)),
    cell(letter.route),
    cell(when(letter.created_at)),
    cell(when(letter.dead_at)),
    cell(String(letter.attempts ?? "")),
    cell(letter.reason, "reason"),
    cell(size(letter.size), "nowrap"),
    actions,
  );
  tr.dataset.id = String(letter.id);
  return tr;
}

async function retryDeadLetter(id) {
  try {
    await post(`/api/dead-letters/${encodeURIComponent(id)}/retry`);
    await loadDeadLetters();
    say($("dead-status"), `Dead letter ${id} is queued again.`);
  } catch (error) {
    say($("dead-status"), `Retry of ${id} failed: ${problem(error)}`, true);
  }
}

function askPurge(letter) {
  purgeTarget = letter.id;
  $("purge-text").textContent =
    `Dead letter ${letter.id} of route ${letter.route} is deleted for good; ` +
    "it can never be delivered after this.";
  $("purge-dialog").returnValue = "";
  $("purge-dialog").showModal();
}

async function purgeClosed() {
  const id = purgeTarget;
  purgeTarget = null;
  if ($("purge-dialog").returnValue !== "purge" || id === null) return;
  try {
    await post(`/api/dead-letters/${encodeURIComponent(id)}/purge`);
    await loadDeadLetters();
    say($("dead-status"), `Dead letter ${id} was purged.`);
  } catch (error) {
    say($("dead-status"), `Purge of ${id} failed: ${problem(error)}`, true);
  }
}

export function wireDeadLetters() {
  $("dead-refresh").addEventListener("click", loadDeadLetters);
  $("purge-dialog").addEventListener("close", purgeClosed);
}
