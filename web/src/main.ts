import { configure } from "./api";
import { h } from "./dom";
import { lang, languages, loadLanguages, setLanguage, storedLanguage, t } from "./i18n";
import { alternativesPage, confirmationPage, detailsPage, officesPage, reviewPage, startPage, timesPage } from "./pages/booking";
import { appointmentPage, cancelPage, managePage, reschedulePage } from "./pages/manage";
import { requestDetailsPage, requestPage, requestSentPage, requestStatusPage } from "./pages/request";
import { waitlistedPage, waitlistPage } from "./pages/waitlist";

// Routes are fragments that never carry data (no names, numbers or ids in any URL).
const routes: Record<string, () => void | Promise<void>> = {
  "": startPage, offices: officesPage, times: timesPage, details: detailsPage, review: reviewPage,
  alternatives: alternativesPage, confirmation: confirmationPage,
  manage: managePage, appointment: appointmentPage, reschedule: reschedulePage, cancel: cancelPage,
  request: requestPage, "request-sent": requestSentPage, "request-status": requestStatusPage,
  "request-details": requestDetailsPage, waitlist: waitlistPage, waitlisted: waitlistedPage,
};

function render(): void {
  const route = location.hash.replace(/^#\/?/, "");
  void (routes[route] || startPage)();
}

function chrome(): void {
  const header = document.getElementById("site-header")!;
  header.replaceChildren(h("div", { class: "usa-nav-container" },
    h("div", { class: "usa-navbar" }, h("div", { class: "usa-logo" }, h("em", { class: "usa-logo__text" },
      h("a", { href: "#/", title: t("USCIS appointments") }, t("USCIS appointments"))))),
    h("nav", { class: "language-list", "aria-label": t("Choose your language") },
      h("ul", { class: "usa-button-group" }, languages.map((l) => h("li", { class: "usa-button-group__item" },
        h("button", { type: "button", class: "usa-button usa-button--unstyled", lang: l.code, "aria-current": l.code === lang ? "true" : undefined,
          onclick: async () => { await setLanguage(l.code); chrome(); render(); } }, l.name)))))));
  document.getElementById("skip-link")!.textContent = t("Skip to main content");
}

async function start(): Promise<void> {
  await Promise.all([configure(), loadLanguages()]);
  const wanted = storedLanguage() || navigator.languages.map((l) => languages.find((x) => x.code === l || x.code === l.split("-")[0])?.code).find(Boolean) || "en";
  await setLanguage(wanted);
  chrome();
  window.addEventListener("hashchange", render);
  render();
}

void start();
