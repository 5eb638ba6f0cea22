// A few DOM builders: text always goes in as text nodes (never innerHTML), so API data and
// translations cannot inject markup, and the CSP needs no inline script or style.
import { t } from "./i18n";
import type { FieldError, Problem } from "./api";

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | number | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

const main = () => document.getElementById("main-content") as HTMLElement;

/** Replaces the page: a heading that takes focus (so screen readers start there) and the title. */
export function page(title: string, ...content: (Child | Child[])[]): HTMLElement {
  const heading = h("h1", { tabindex: "-1", id: "page-heading" }, title);
  const root = main();
  root.replaceChildren(heading, ...content.flat().filter((c): c is Node | string => !!c));
  document.title = `${title} | ${t("USCIS appointments")}`;
  heading.focus();
  return root;
}

export function alert(kind: "error" | "success" | "info" | "warning", heading: string, ...body: Child[]): HTMLElement {
  return h("div", { class: `usa-alert usa-alert--${kind}`, role: kind === "error" ? "alert" : "status" },
    h("div", { class: "usa-alert__body" },
      h("h2", { class: "usa-alert__heading" }, heading),
      ...body.map((b) => (typeof b === "string" ? h("p", { class: "usa-alert__text" }, b) : b))));
}

/** An API problem the person should see where they are (a role=alert box). */
export function problemAlert(problem: Problem): HTMLElement {
  return alert("error", problem.title || t("There is a problem"), problem.detail || "");
}

export function button(label: string, onclick: () => void, kind = ""): HTMLButtonElement {
  return h("button", { type: "button", class: `usa-button ${kind}`.trim(), onclick }, label);
}

export function submit(label: string): HTMLButtonElement {
  return h("button", { type: "submit", class: "usa-button" }, label);
}

export function link(label: string, href: string, kind = "usa-link"): HTMLAnchorElement {
  return h("a", { href, class: kind }, label);
}

const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_]/g, "-")}`;

interface FieldOptions {
  name: string; label: string; type?: string; hint?: string; value?: string; required?: boolean;
  autocomplete?: string; inputmode?: string; options?: { value: string; label: string }[]; width?: string;
  rows?: number; spellcheck?: boolean;
}

/** A labelled input, select or textarea with its hint and a place for its error message. */
export function field(o: FieldOptions): HTMLElement {
  const id = fieldId(o.name);
  const described = [o.hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
  const common = { id, name: o.name, "aria-describedby": described, required: !!o.required };
  let control: HTMLElement;
  if (o.options) {
    control = h("select", { ...common, class: "usa-select" },
      h("option", { value: "" }, t("Select one")),
      o.options.map((opt) => h("option", { value: opt.value, selected: opt.value === o.value }, opt.label)));
  } else if (o.rows) {
    control = h("textarea", { ...common, class: "usa-textarea", rows: o.rows }, o.value || "");
  } else {
    control = h("input", {
      ...common, class: `usa-input ${o.width ? `usa-input--${o.width}` : ""}`.trim(), type: o.type || "text",
      value: o.value || "", autocomplete: o.autocomplete, inputmode: o.inputmode,
      spellcheck: o.spellcheck === false ? "false" : undefined,
    });
  }
  return h("div", { class: "usa-form-group", "data-field": o.name },
    h("label", { class: "usa-label", for: id }, o.label, o.required ? "" : ` (${t("optional")})`),
    o.hint ? h("span", { class: "usa-hint", id: `${id}-hint` }, o.hint) : null,
    h("span", { class: "usa-error-message", id: `${id}-error`, hidden: true }),
    control);
}

/** Radio buttons or checkboxes in a fieldset; the fieldset carries the group's error. */
export function choices(name: string, legend: string, type: "radio" | "checkbox",
  options: { value: string; label: string }[], chosen: string[] = [], required = true): HTMLElement {
  const id = fieldId(name);
  return h("fieldset", { class: "usa-fieldset usa-form-group", "data-field": name, id, tabindex: "-1", "aria-describedby": `${id}-error` },
    h("legend", { class: "usa-legend" }, legend, required ? "" : ` (${t("optional")})`),
    h("span", { class: "usa-error-message", id: `${id}-error`, hidden: true }),
    options.map((opt, i) => h("div", { class: `usa-${type}` },
      h("input", { class: `usa-${type}__input`, type, id: `${id}-${i}`, name, value: opt.value, checked: chosen.includes(opt.value) }),
      h("label", { class: `usa-${type}__label`, for: `${id}-${i}` }, opt.label))));
}

export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  new FormData(form).forEach((value, key) => { if (!(key in out)) out[key] = String(value).trim(); });
  return out;
}

export function checked(form: HTMLFormElement, name: string): string[] {
  return new FormData(form).getAll(name).map(String);
}

/** Shows the API's problem+json on a form: each field's message beside it, and an error summary
 *  (links to the fields) that takes focus. Fields the form does not show are listed in the summary. */
export function showProblem(form: HTMLFormElement, problem: Problem): void {
  clearErrors(form);
  const items: HTMLElement[] = [];
  const errors: FieldError[] = problem.errors || [];
  for (const error of errors) {
    const group = findGroup(form, error.field);
    const message = error.message;
    if (group) {
      group.classList.add("usa-form-group--error");
      const slot = group.querySelector(".usa-error-message") as HTMLElement;
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
      slot.hidden = false;
      const control = group.querySelector("input, select, textarea") as HTMLElement | null;
      control?.setAttribute("aria-invalid", "true");
      const target = group.tagName === "FIELDSET" ? group.id : control?.id || "";
      items.push(h("li", {}, h("a", { href: `#${target}`, class: "usa-error-summary-link", onclick: (e: Event) => {
        e.preventDefault(); document.getElementById(target)?.focus();
      } }, `${labelOf(group)}: ${message}`)));
    } else {
      items.push(h("li", {}, message));
    }
  }
  const summary = h("div", { class: "usa-alert usa-alert--error error-summary", tabindex: "-1", id: "error-summary" },
    h("div", { class: "usa-alert__body" },
      h("h2", { class: "usa-alert__heading" }, problem.title || t("There is a problem")),
      errors.length ? h("ul", { class: "usa-list" }, items) : h("p", { class: "usa-alert__text" }, problem.detail || "")));
  form.prepend(summary);
  summary.focus();
}

export function clearErrors(form: HTMLFormElement): void {
  form.querySelector("#error-summary")?.remove();
  form.querySelectorAll(".usa-form-group--error").forEach((g) => g.classList.remove("usa-form-group--error"));
  form.querySelectorAll<HTMLElement>(".usa-error-message").forEach((m) => { m.textContent = ""; m.hidden = true; });
  form.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
}

function findGroup(form: HTMLFormElement, path: string): HTMLElement | null {
  // The API names the failing field by its dotted path; the nearest shown ancestor field takes it.
  for (let p = path; p; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
    const group = form.querySelector<HTMLElement>(`[data-field="${CSS.escape(p)}"]`);
    if (group) return group;
  }
  return null;
}

function labelOf(group: HTMLElement): string {
  const label = group.querySelector("label, legend");
  return (label?.firstChild?.textContent || "").trim();
}

/** A confirmation number as the API shows it (XXXX-XXXX-XXXX) and spelled out to read aloud. */
export function readAloud(number: string): string {
  return number.replace(/-/g, "").split("").join(" ").replace(/(\S \S \S \S) /g, "$1 — ");
}
