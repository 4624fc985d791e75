// Where two JSON documents differ, by path, and how to show one of them with those places
// marked. Pure functions over parsed JSON plus one DOM builder; no data ever goes through
// innerHTML.

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A path as the audit writes it: `alerts[0].host`, `"odd key".x`, `@` for the root. */
export function formatPath(steps) {
  if (steps.length === 0) return "@";
  let text = "";
  for (const step of steps) {
    if (typeof step === "number") {
      text += `[${step}]`;
    } else {
      const name = IDENTIFIER.test(step) ? step : JSON.stringify(step);
      text += text ? `.${name}` : name;
    }
  }
  return text;
}

function kindOf(value) {
  if (Array.isArray(value)) return "array";
  if (value !== null && typeof value === "object") return "object";
  return "scalar";
}

/** Every place of `doc` (containers and leaves): path text → {kind, value}. */
export function places(doc) {
  const found = new Map();
  const stack = [[doc, []]];
  while (stack.length) {
    const [node, steps] = stack.pop();
    const kind = kindOf(node);
    found.set(formatPath(steps), { kind, value: node });
    if (kind === "array") node.forEach((item, i) => stack.push([item, [...steps, i]]));
    if (kind === "object") {
      for (const [key, item] of Object.entries(node)) stack.push([item, [...steps, key]]);
    }
  }
  return found;
}

/**
 * What changed from `before` to `after`, as three sets of path texts: `removed` (only in
 * before), `added` (only in after) and `changed` (in both, with another value or kind).
 * A container that holds other things in both is not itself "changed": its children are.
 */
export function diff(before, after) {
  const old = places(before);
  const now = places(after);
  const removed = new Set();
  const changed = new Set();
  const added = new Set();
  for (const [path, place] of old) {
    const other = now.get(path);
    if (other === undefined) removed.add(path);
    else if (other.kind !== place.kind) changed.add(path);
    else if (place.kind === "scalar" && !Object.is(place.value, other.value)) changed.add(path);
  }
  for (const path of now.keys()) if (!old.has(path)) added.add(path);
  return { removed, changed, added };
}

const MARKS = [
  ["removed", "-", "removed"],
  ["changed", "~", "changed"],
  ["added", "+", "added"],
];

function markOf(path, marks) {
  for (const [name, symbol, words] of MARKS) {
    if (marks[name]?.has(path)) return { name, symbol, words };
  }
  return null;
}

function line(depth, path, marks, parts) {
  const row = document.createElement("span");
  row.className = "line";
  row.dataset.path = path;
  const mark = markOf(path, marks);
  const gutter = document.createElement("span");
  gutter.className = "gutter";
  gutter.setAttribute("aria-hidden", "true");
  gutter.textContent = mark ? mark.symbol : " ";
  row.append(gutter);
  if (mark) {
    row.classList.add(`diff-${mark.name}`);
    const said = document.createElement("span");
    said.className = "visually-hidden";
    said.textContent = `${mark.words}: `;
    row.append(said);
  }
  row.append("  ".repeat(depth));
  for (const [className, text] of parts) {
    if (className === null) {
      row.append(text);
    } else {
      const part = document.createElement("span");
      part.className = className;
      part.textContent = text;
      row.append(part);
    }
  }
  row.append("\n");
  return row;
}

function scalarClass(value) {
  if (value === null) return "json-null";
  return `json-${typeof value}`;
}

/**
 * `doc` pretty-printed as lines of text, each line holding a data-path attribute and, when
 * its path is in one of `marks` ({removed, changed, added} sets), a diff-<name> class and a
 * gutter symbol; returns a DocumentFragment.
 */
export function renderJson(doc, marks = {}) {
  const out = document.createDocumentFragment();
  const walk = (node, steps, depth, label, comma) => {
    const path = formatPath(steps);
    const head = label === null ? [] : [["json-key", JSON.stringify(label)], [null, ": "]];
    const tail = comma ? [[null, ","]] : [];
    const kind = kindOf(node);
    if (kind === "scalar") {
      out.append(line(depth, path, marks, [...head, [scalarClass(node), JSON.stringify(node)], ...tail]));
      return;
    }
    const entries = kind === "array" ? node.map((item, i) => [i, item]) : Object.entries(node);
    const [open, close] = kind === "array" ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) {
      out.append(line(depth, path, marks, [...head, [null, open + close], ...tail]));
      return;
    }
    out.append(line(depth, path, marks, [...head, [null, open]]));
    entries.forEach(([key, item], i) => {
      const more = i < entries.length - 1;
      walk(item, [...steps, key], depth + 1, kind === "array" ? null : key, more);
    });
    out.append(line(depth, path, marks, [[null, close], ...tail]));
  };
  walk(doc, [], 0, null, false);
  return out;
}
