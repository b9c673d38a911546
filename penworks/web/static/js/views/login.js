// #/login: the sign-in form (OAuth2 password flow against /api/auth/token); on a fresh
// install (GET /api/auth/setup says so), the form that makes the first administrator with
// the one-time setup token printed at first start.

import { h } from "../dom.js";

export async function render(ctx, { query, message }, root) {
  const next = query.get("next");
  const done = async () => {
    await ctx.signedIn();
    ctx.navigate(next && next.startsWith("#/") && !next.startsWith("#/login") ? next : "#/");
  };
  let setup = false;
  try {
    setup = (await ctx.api.get("/api/auth/setup", undefined, undefined)).needed === true;
  } catch {
    setup = false; // an older server, or none: the sign-in form says what is wrong
  }
  root.append(setup ? setupForm(ctx, done) : signInForm(ctx, message, done));
}

function field(id, label, attrs) {
  return [h("label", { for: id }, label), h("input", { id, name: id, testid: id, ...attrs })];
}

function signInForm(ctx, message, done) {
  const [userLabel, username] = field("login-username", "Username",
    { autocomplete: "username", required: true, autofocus: true, maxlength: 64 });
  const [passLabel, password] = field("login-password", "Password",
    { type: "password", autocomplete: "current-password", required: true });
  const problem = errorLine("login-error");
  const submit = h("button", { type: "submit", class: "primary", testid: "login-submit" },
    "Sign in");
  const form = h("form", { class: "login panel", testid: "login-form", novalidate: true },
    h("h1", {}, "Sign in to Penworks"),
    message ? h("p", { class: "notice", testid: "login-message" }, message) : null,
    userLabel, username, passLabel, password, problem, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      show(problem, "Enter your username and password.");
      return;
    }
    submit.disabled = true;
    problem.hidden = true;
    try {
      await ctx.session.signIn(username.value.trim(), password.value);
      password.value = "";
      await done();
    } catch (error) {
      const refused = error && error.status === 401;
      show(problem, refused ? "Wrong username or password." : describe(error));
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function setupForm(ctx, done) {
  const [tokenLabel, token] = field("setup-token",
    "Setup token (printed when Penworks first started)",
    { required: true, autocomplete: "off", autofocus: true, maxlength: 200 });
  const [userLabel, username] = field("setup-username", "Administrator username",
    { required: true, autocomplete: "username", maxlength: 64 });
  const [nameLabel, displayName] = field("setup-display-name", "Display name (optional)",
    { autocomplete: "name", maxlength: 100 });
  const [passLabel, password] = field("setup-password", "Password (at least 12 characters)",
    { type: "password", required: true, autocomplete: "new-password" });
  const [againLabel, again] = field("setup-password-again", "Password again",
    { type: "password", required: true, autocomplete: "new-password" });
  const problem = errorLine("setup-error");
  const submit = h("button", { type: "submit", class: "primary", testid: "setup-submit" },
    "Create administrator and sign in");
  const form = h("form", { class: "login panel", testid: "setup-form", novalidate: true },
    h("h1", {}, "Set up Penworks"),
    h("p", { class: "muted" }, "This install has no users yet. Make the first administrator."),
    tokenLabel, token, userLabel, username, nameLabel, displayName, passLabel, password,
    againLabel, again, problem, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!token.value.trim() || !username.value.trim() || !password.value) {
      show(problem, "Enter the setup token, a username and a password.");
      return;
    }
    if (password.value !== again.value) {
      show(problem, "The two passwords differ.");
      return;
    }
    submit.disabled = true;
    problem.hidden = true;
    try {
      await ctx.api.request("POST", "/api/auth/setup", { auth: false, json: {
        setup_token: token.value.trim(), username: username.value.trim(),
        password: password.value, display_name: displayName.value.trim(),
      } });
      await ctx.session.signIn(username.value.trim(), password.value);
      await done();
    } catch (error) {
      show(problem, describe(error));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function errorLine(testid) {
  return h("p", { class: "form-error", role: "alert", testid, hidden: true });
}

function show(el, text) {
  el.textContent = text;
  el.hidden = false;
}

function describe(error) {
  if (error && error.status === 429) return "Too many attempts; wait a moment and try again.";
  if (error && error.title) return `${error.title}${error.detail ? `: ${error.detail}` : ""}`;
  return "The server cannot be reached; try again.";
}
