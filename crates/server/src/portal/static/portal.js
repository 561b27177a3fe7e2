// Latchkey portal: small enhancements. Every page works without this script.
"use strict";

document.addEventListener("submit", (event) => {
  const button = event.submitter || event.target.querySelector("[data-confirm]");
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});

// The schedule editor's preview follows the fields.
function previewSchedule(fieldset) {
  const form = fieldset.form || fieldset.closest("form");
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (["access", "day", "start", "end", "from", "until"].includes(name)) {
      params.append(name, value);
    }
  }
  fetch(fieldset.dataset.preview + "?" + params.toString(), { credentials: "same-origin" })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => {
      document.getElementById("schedule-preview").innerHTML = html;
    })
    .catch(() => {});
}

document.addEventListener("input", (event) => {
  const fieldset = event.target.closest("fieldset[data-preview]");
  if (fieldset) {
    previewSchedule(fieldset);
  }
});

// The unlock button: start the request, then show each status step as it comes.
function showSteps(list, status) {
  list.replaceChildren();
  for (const step of status.steps || []) {
    const item = document.createElement("li");
    item.textContent = step.statusName;
    list.append(item);
  }
  if (status.error) {
    const item = document.createElement("li");
    item.className = "failed";
    item.textContent = status.error;
    list.append(item);
  }
  list.dataset.state = status.done ? (status.success ? "success" : "failed") : "running";
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-unlock]") || event.defaultPrevented) {
    return;
  }
  event.preventDefault();
  const list = form.querySelector(".steps");
  const button = form.querySelector("button");
  button.disabled = true;
  const body = new URLSearchParams(new FormData(form));
  const finish = (status) => {
    showSteps(list, status);
    button.disabled = false;
  };
  const follow = (status) => {
    showSteps(list, status);
    if (status.done || !status.requestId) {
      finish(status);
      return;
    }
    setTimeout(() => {
      fetch("/portal/unlocks/" + encodeURIComponent(status.requestId), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((response) => response.json())
        .then(follow)
        .catch(() => finish({ error: "Lost contact with the server.", done: true }));
    }, 200);
  };
  fetch(form.action, {
    method: "POST",
    body,
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  })
    .then((response) => response.json())
    .then(follow)
    .catch(() => finish({ error: "Lost contact with the server.", done: true }));
});
