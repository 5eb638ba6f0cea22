// Service requests (contact-center offices): submit, see the status and the expected callback
// date, appeal a denial.
import { api, headers, newKey, problemOf, type Language, type Schemas } from "../api";
import { alert, checked, choices, field, formValues, h, link, page, showProblem, submit } from "../dom";
import { formatDay, lang, t } from "../i18n";
import { go, state } from "../state";
import { applicantFields, applicantFrom } from "./booking";
import { proofFields } from "./manage";

let submitted: Schemas["Submitted"] | undefined;
let status: Schemas["RequestStatus"] | undefined;
let proof: { last_name: string; date_of_birth: string } | undefined;

export async function requestPage(): Promise<void> {
  const { data: codes } = await api().GET("/v1/triage/codes", { headers: headers() });
  const opts = (list?: { code: string; label: string }[]) => (list || []).map((c) => ({ value: c.code, label: c.label }));
  const form = h("form", { class: "usa-form usa-form--large", novalidate: true },
    h("p", {}, t("Fields are required unless marked optional.")),
    applicantFields({}),
    field({ name: "zip", label: t("ZIP code"), value: state.zip, required: true, inputmode: "numeric", width: "medium", autocomplete: "postal-code" }),
    field({ name: "inquiry_type", label: t("What do you need help with?"), required: true, options: opts(codes?.inquiry_types) }),
    field({ name: "description", label: t("Tell us more"), required: true, rows: 4 }),
    choices("circumstances", t("Does any of these apply to you?"), "checkbox", opts(codes?.circumstances), [], false),
    h("fieldset", { class: "usa-fieldset" }, h("legend", { class: "usa-legend" }, t("A deadline you have"), ` (${t("optional")})`),
      field({ name: "case_facts.deadlines.0.date", label: t("Date"), type: "date" }),
      field({ name: "case_facts.deadlines.0.kind", label: t("What happens on that date"), options: opts(codes?.deadline_kinds) })),
    choices("callback_period", t("When can an officer call you?"), "radio", opts(codes?.callback_periods)),
    choices("interpreter_needed", t("Interpreter"), "checkbox", [{ value: "yes", label: t("I need an interpreter on the call") }], [], false),
    choices("contact_method", t("How should we write to you?"), "radio",
      [{ value: "email", label: t("Email") }, { value: "mail", label: t("Mail (a letter to your address)") }], ["email"]),
    submit(t("Send my request")));
  const key = newKey();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const a = applicantFrom(v);
    const deadline = v["case_facts.deadlines.0.date"];
    const { data, error, response } = await api().POST("/v1/service-requests", {
      headers: headers({ "Idempotency-Key": key }),
      body: {
        applicant: { first_name: a.first_name, last_name: a.last_name, date_of_birth: a.date_of_birth, email: a.email || null, phone: a.phone },
        zip: v.zip, inquiry_type: v.inquiry_type as never, description: v.description,
        circumstances: checked(form, "circumstances") as never, callback_period: v.callback_period as never,
        interpreter_needed: v.interpreter_needed === "yes", contact_method: (v.contact_method || "email") as never,
        language: lang as Language,
        case_facts: deadline ? { deadlines: [{ date: deadline, kind: (v["case_facts.deadlines.0.kind"] || "other") as never }] } : undefined,
      } });
    if (!data) return showProblem(form, problemOf(error, response));
    submitted = data;
    go("request-sent");
  });
  page(t("Ask for a visit"), h("p", { class: "usa-intro" },
    state.office ? t("{office} schedules visits after an officer calls you.", { office: state.office.name }) : t("An officer will call you back.")), form);
}

export function requestSentPage(): void {
  const s = submitted;
  if (!s) return go("");
  page(t("We received your request"),
    alert("success", t("Your request number is {number}", { number: s.request_id }), t("Keep it: with your last name and date of birth it shows your request's status.")),
    h("dl", { class: "review" },
      h("dt", {}, t("Status")), h("dd", {}, s.status_label),
      h("dt", {}, t("Expected callback by")), h("dd", {}, formatDay(s.expected_callback_by)),
      h("dt", {}, t("Office")), h("dd", {}, s.office.name)),
    link(t("Check a service request"), "#/request-status"));
}

export function requestStatusPage(): void {
  const form = h("form", { class: "usa-form", novalidate: true },
    proofFields(t("Request number"), "request_id", ""), submit(t("Show status")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    proof = { last_name: v.last_name, date_of_birth: v.date_of_birth };
    const { data, error, response } = await api().POST("/v1/service-requests/{request_id}/status", {
      params: { path: { request_id: v.request_id.trim() || "-" } }, body: proof, headers: headers() });
    if (!data) return showProblem(form, problemOf(error, response));
    status = data;
    go("request-details");
  });
  page(t("Check a service request"), form);
}

export function requestDetailsPage(): void {
  const s = status;
  if (!s || !proof) return go("request-status");
  const appeal = h("form", { class: "usa-form", novalidate: true },
    h("h2", {}, t("Appeal this decision")),
    field({ name: "statement", label: t("Why should the decision change?"), required: true, rows: 4 }),
    submit(t("Send my appeal")));
  appeal.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { data, error, response } = await api().POST("/v1/service-requests/{request_id}/appeal", {
      params: { path: { request_id: s.request_id } }, body: { ...proof!, statement: formValues(appeal).statement }, headers: headers() });
    if (!data) return showProblem(appeal, problemOf(error, response));
    status = data;
    requestDetailsPage();
  });
  page(t("Your service request"),
    h("dl", { class: "review" },
      h("dt", {}, t("Request number")), h("dd", {}, s.request_id),
      h("dt", {}, t("Status")), h("dd", { id: "request-status" }, s.status_label),
      s.expected_by ? [h("dt", {}, s.expected_by.label), h("dd", { id: "expected-by" }, formatDay(s.expected_by.date))] : null,
      s.decision?.text ? [h("dt", {}, t("Decision")), h("dd", {}, s.decision.text)] : null,
      h("dt", {}, t("Office")), h("dd", {}, s.office.name),
    ),
    h("p", {}, t("Questions? Call the USCIS Contact Center at {phone}.", { phone: s.contact_center_phone })),
    s.appeal?.state === "available" ? appeal : null);
}
