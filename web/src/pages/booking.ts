// Booking: ZIP -> nearest offices -> day and time -> details -> review -> confirmation.
import { api, headers, newKey, problemOf, type Language, type Problem, type Slot } from "../api";
import { alert, button, checked, problemAlert, choices, field, formValues, h, link, page, readAloud, showProblem, submit } from "../dom";
import { formatDateTime, lang, t } from "../i18n";
import { go, state, type Applicant } from "../state";
import { giveBack, holdBox, takeHold } from "./hold";
import { loadSlots, slotPicker } from "./slots";
import { calendarLink } from "./calendar";

export const US_STATES = ["AL", "AK", "AS", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "GU", "HI", "ID", "IL",
  "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
  "ND", "MP", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VI", "VA", "WA", "WV", "WI", "WY",
  "AA", "AE", "AP"];

export function officeAddress(office: { name: string; address: { line1: string; line2?: string | null; city: string; state: string; zip: string } }): HTMLElement {
  const a = office.address;
  return h("address", {}, office.name, h("br"), a.line1, a.line2 ? [h("br"), a.line2] : [], h("br"), `${a.city}, ${a.state} ${a.zip}`);
}

// The API names what to bring by code; the texts are the confirmation notice's (same catalogs).
const BRING: Record<string, () => string> = {
  appointment_notice: () => t("This appointment notice (the original, printed or on your phone)"),
  photo_id: () => t("A government-issued photo ID, such as a passport or driver's license"),
  immigration_documents: () => t("Your immigration documents, such as a green card, work permit or I-94"),
  case_documents: () => t("Documents about your case, such as notices, receipts and evidence"),
  g28_if_attorney: () => t("A signed Form G-28 if an attorney or accredited representative comes with you"),
};

export function whatToBring(codes: string[]): HTMLElement {
  return h("ul", { class: "usa-list" }, codes.map((code) => h("li", {}, BRING[code]?.() || code)));
}

export function startPage(): void {
  const form = h("form", { class: "usa-form", novalidate: true },
    field({ name: "zip", label: t("ZIP code"), hint: t("5 digits, for example 02108"), value: state.zip, required: true,
      autocomplete: "postal-code", inputmode: "numeric", width: "medium" }),
    submit(t("Find offices")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const zip = formValues(form).zip;
    const { data, error, response } = await api().GET("/v1/offices", { params: { query: { zip, limit: 5 } }, headers: headers() });
    if (!data) {
      const problem = problemOf(error, response);
      showProblem(form, { ...problem, errors: [{ field: "zip", code: problem.code, message: problem.detail || problem.title }] });
      return;
    }
    state.zip = zip;
    state.offices = data.offices;
    go("offices");
  });
  page(t("Book a visit to a USCIS field office"),
    h("p", { class: "usa-intro" }, t("Enter your ZIP code to find the field offices nearest to you.")),
    form,
    h("h2", {}, t("Already have an appointment or a request?")),
    h("ul", { class: "usa-list" },
      h("li", {}, link(t("Manage an appointment"), "#/manage")),
      h("li", {}, link(t("Check a service request"), "#/request-status"))));
}

export function officesPage(): void {
  if (!state.offices.length) return go("");
  page(t("Offices near {zip}", { zip: state.zip }),
    h("ul", { class: "usa-card-group" }, state.offices.map((office) => h("li", { class: "usa-card tablet:grid-col-6" },
      h("div", { class: "usa-card__container" },
        h("div", { class: "usa-card__header" }, h("h2", { class: "usa-card__heading" }, office.name)),
        h("div", { class: "usa-card__body" },
          officeAddress(office),
          h("p", {}, t("{miles} miles away", { miles: Math.round(office.distance_miles || 0) })),
          h("p", {}, h("span", { class: "usa-tag" }, office.scheduling === "self_service"
            ? t("Book online") : t("By service request")), " ",
            office.scheduling === "self_service" ? ""
              : t("This office schedules visits after a call from an officer. Ask for a visit with a service request."))),
        h("div", { class: "usa-card__footer" }, office.scheduling === "self_service"
          ? button(t("Choose a time at {office}", { office: office.name }), () => { state.office = office; go("times"); })
          : button(t("Ask {office} for a visit", { office: office.name }), () => { state.office = office; go("request"); }, "usa-button--secondary")))))),
    link(t("Search another ZIP code"), "#/"));
}

export async function timesPage(): Promise<void> {
  const office = state.office;
  if (!office) return go("");
  page(t("Choose a time at {office}", { office: office.name }), h("p", {}, t("Loading…")));
  const slots = await loadSlots(office);
  if (typeof slots === "string") return void page(t("Choose a time at {office}", { office: office.name }), alert("error", slots));
  if (!slots.length) {
    return void page(t("Choose a time at {office}", { office: office.name }),
      alert("info", t("No times are open in the next two weeks"),
        t("You can join the waitlist: when a time opens, we keep it for you and tell you.")),
      button(t("Join the waitlist"), () => go("waitlist")), link(t("Search another ZIP code"), "#/"));
  }
  page(t("Choose a time at {office}", { office: office.name }),
    slotPicker(office, slots, t("Continue"), (slot) => chooseSlot(slot)),
    h("p", { class: "margin-top-4" }, t("None of these times work for you?"), " ", link(t("Join the waitlist"), "#/waitlist")));
}

async function chooseSlot(slot: Slot): Promise<void> {
  state.slot = slot;
  state.idempotencyKey = undefined;
  const gone = await takeHold(slot.slot_id);
  if (gone) { alternatives = gone.alternatives || []; return go("alternatives"); }
  go("details");
}

const CONTACT = () => [{ value: "email", label: t("Email") }, { value: "mail", label: t("Mail (a letter to your address)") }];
const ACCOMMODATIONS = () => [
  { value: "wheelchair_access", label: t("Wheelchair access") },
  { value: "sign_language_interpreter", label: t("Sign language interpreter") },
  { value: "language_interpreter", label: t("Language interpreter") },
  { value: "hearing_assistance", label: t("Hearing assistance") },
  { value: "visual_assistance", label: t("Visual assistance") },
  { value: "service_animal", label: t("Service animal") },
  { value: "seating", label: t("Seating while waiting") },
  { value: "other", label: t("Something else") }];

export function applicantFields(a: Partial<Applicant> = {}, prefix = "applicant"): HTMLElement[] {
  return [
    field({ name: `${prefix}.first_name`, label: t("First name"), value: a.first_name, required: true, autocomplete: "given-name" }),
    field({ name: `${prefix}.last_name`, label: t("Last name"), value: a.last_name, required: true, autocomplete: "family-name" }),
    field({ name: `${prefix}.date_of_birth`, label: t("Date of birth"), type: "date", value: a.date_of_birth, required: true, autocomplete: "bday" }),
    field({ name: `${prefix}.phone`, label: t("Phone number"), hint: t("For example: 617 555 0100"), value: a.phone, required: true, type: "tel", autocomplete: "tel" }),
    field({ name: `${prefix}.email`, label: t("Email address"), hint: t("Needed if we contact you by email"), value: a.email, type: "email", autocomplete: "email" }),
  ];
}

export function addressFields(a: Partial<Applicant> = {}, prefix = "applicant.address"): HTMLElement {
  return h("fieldset", { class: "usa-fieldset" }, h("legend", { class: "usa-legend usa-legend--large" }, t("Mailing address")),
    field({ name: `${prefix}.line1`, label: t("Street address"), value: a.line1, required: true, autocomplete: "address-line1" }),
    field({ name: `${prefix}.line2`, label: t("Apartment, suite or unit"), value: a.line2, autocomplete: "address-line2" }),
    field({ name: `${prefix}.city`, label: t("City"), value: a.city, required: true, autocomplete: "address-level2" }),
    field({ name: `${prefix}.state`, label: t("State or territory"), value: a.state, required: true, autocomplete: "address-level1",
      options: US_STATES.map((s) => ({ value: s, label: s })) }),
    field({ name: `${prefix}.zip`, label: t("ZIP code"), value: a.zip, required: true, autocomplete: "postal-code", inputmode: "numeric", width: "medium" }));
}

export function applicantFrom(v: Record<string, string>, prefix = "applicant"): Applicant {
  const get = (k: string) => v[`${prefix}.${k}`] || "";
  return { first_name: get("first_name"), last_name: get("last_name"), date_of_birth: get("date_of_birth"), email: get("email"),
    phone: get("phone"), line1: get("address.line1"), line2: get("address.line2"), city: get("address.city"),
    state: get("address.state"), zip: get("address.zip") };
}

export function applicantBody(a: Applicant) {
  return { first_name: a.first_name, last_name: a.last_name, date_of_birth: a.date_of_birth, email: a.email || null,
    phone: a.phone, address: { line1: a.line1, line2: a.line2 || null, city: a.city, state: a.state as never, zip: a.zip } };
}

let pendingProblem: Problem | undefined;

export async function detailsPage(): Promise<void> {
  const office = state.office, slot = state.slot;
  if (!office || !slot) return go("");
  const { data: reasons } = await api().GET("/v1/reasons", { headers: headers() });
  const d = state.details;
  const form = h("form", { class: "usa-form usa-form--large", novalidate: true },
    h("p", {}, t("Fields are required unless marked optional.")),
    applicantFields(d?.applicant),
    addressFields(d?.applicant),
    field({ name: "reason.category", label: t("Reason for your visit"), value: d?.reason, required: true,
      options: (reasons?.reasons || []).map((r) => ({ value: r.code, label: r.label })) }),
    field({ name: "reason.details", label: t("Tell us more"), value: d?.reason_details, rows: 3 }),
    field({ name: "a_number", label: t("A-Number"), hint: t("For example: A123456789"), value: d?.a_number, spellcheck: false }),
    field({ name: "receipt_number", label: t("Receipt number"), hint: t("For example: IOE1234567890"), value: d?.receipt_number, spellcheck: false }),
    choices("accommodations", t("Do you need an accommodation?"), "checkbox", ACCOMMODATIONS(), d?.accommodations, false),
    choices("contact_method", t("How should we send your confirmation?"), "radio", CONTACT(), [d?.contact_method || "email"]),
    submit(t("Continue")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    state.details = { applicant: applicantFrom(v), reason: v["reason.category"], reason_details: v["reason.details"],
      accommodations: checked(form, "accommodations"), contact_method: (v.contact_method || "email") as "email" | "mail",
      a_number: v.a_number, receipt_number: v.receipt_number };
    go("review");
  });
  page(t("Your details"), summaryOfTime(), holdBox(), form);
  if (pendingProblem) { showProblem(form, pendingProblem); pendingProblem = undefined; }
}

function summaryOfTime(): HTMLElement {
  const office = state.office!, slot = state.slot!;
  return h("p", { class: "usa-intro" }, t("{time} at {office}", { time: formatDateTime(slot.start, office.timezone), office: office.name }));
}

export function reviewPage(): void {
  const office = state.office, slot = state.slot, d = state.details;
  if (!office || !slot || !d) return go("");
  const a = d.applicant;
  const row = (term: string, value: string, change: string) => [h("dt", {}, term), h("dd", {}, value || "—", " ",
    link(t("Change"), change, "usa-link change-link"))];
  const problemBox = h("div", { id: "problem" });
  const confirm = h("button", { type: "button", class: "usa-button", id: "confirm" }, t("Confirm appointment"));
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    state.idempotencyKey ||= newKey(); // a retried confirm is the same booking, never a second one
    const { data, error, response } = await api().POST("/v1/appointments", {
      headers: headers({ "Idempotency-Key": state.idempotencyKey }),
      body: { slot_id: slot.slot_id, applicant: applicantBody(a), reason: { category: d.reason as never, details: d.reason_details },
        a_number: d.a_number || null, receipt_number: d.receipt_number || null, language: lang as Language,
        accommodations: d.accommodations as never, contact_method: d.contact_method,
        hold_id: state.hold?.status === "active" ? state.hold.hold_id : null },
    });
    confirm.disabled = false;
    if (data) {
      state.booking = data; state.hold = undefined; state.idempotencyKey = undefined;
      return go("confirmation");
    }
    const problem = problemOf(error, response);
    state.idempotencyKey = undefined;
    if (problem.code === "validation_failed") { pendingProblem = problem; return go("details"); }
    if (problem.code === "slot_unavailable") { alternatives = problem.alternatives || []; return go("alternatives"); }
    problemBox.replaceChildren(problemAlert(problem));
    (problemBox.firstChild as HTMLElement).setAttribute("tabindex", "-1");
    (problemBox.firstChild as HTMLElement).focus();
  });
  page(t("Check your appointment"), holdBox(), problemBox,
    h("dl", { class: "review" },
      row(t("Office"), office.name, "#/offices"),
      row(t("Time"), formatDateTime(slot.start, office.timezone), "#/times"),
      row(t("Name"), `${a.first_name} ${a.last_name}`, "#/details"),
      row(t("Date of birth"), a.date_of_birth, "#/details"),
      row(t("Phone number"), a.phone, "#/details"),
      row(t("Email address"), a.email, "#/details"),
      row(t("Mailing address"), [a.line1, a.line2, `${a.city}, ${a.state} ${a.zip}`].filter(Boolean).join(", "), "#/details"),
      row(t("Accommodations"), d.accommodations.map((c) => ACCOMMODATIONS().find((o) => o.value === c)?.label).join(", "), "#/details"),
      row(t("How should we send your confirmation?"), CONTACT().find((o) => o.value === d.contact_method)!.label, "#/details")),
    confirm);
}

let alternatives: Slot[] = [];

export function alternativesPage(): void {
  const office = state.office;
  if (!office) return go("");
  page(t("That time is no longer available"),
    alert("warning", t("Someone else booked the last seat at that time."), t("Choose another time. Your details are kept.")),
    alternatives.length
      ? slotPicker(office, alternatives, t("Use this time"), (slot) => void chooseSlot(slot))
      : link(t("See all open times"), "#/times"));
}

export function confirmationPage(): void {
  const b = state.booking;
  if (!b) return go("");
  void giveBack();
  page(t("Your appointment is booked"),
    alert("success", t("Your confirmation number is {number}", { number: b.confirmation_number }),
      h("p", { class: "usa-alert__text confirmation-number" }, t("To read it aloud:"), " ", h("span", { class: "read-aloud" }, readAloud(b.confirmation_number)))),
    h("p", {}, b.contact_method === "email" ? t("We sent a confirmation email.") : t("We will send you a confirmation letter.")),
    h("h2", {}, t("When")), h("p", {}, formatDateTime(b.start, b.timezone)),
    h("h2", {}, t("Where")), officeAddress(b.office),
    h("h2", {}, t("What to bring")), whatToBring(b.what_to_bring),
    h("p", {}, calendarLink(b)),
    h("p", {}, t("To change or cancel, use your confirmation number, last name and date of birth."), " ", link(t("Manage an appointment"), "#/manage")));
}
