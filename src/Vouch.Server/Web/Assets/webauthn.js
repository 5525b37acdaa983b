// Vouch: the browser side of the WebAuthn ceremonies. Enrolling and signing in run the JSON API's ceremonies (the
// same ones the CLI uses): ask the server for options, let the authenticator create a credential or sign, send it
// back. The pages' own POSTs carry the anti-forgery token in a header. No inline script: the CSP allows only this
// file. Paths are relative so that an issuer with a path (https://example.com/vouch) works.
"use strict";

(function () {
  function toBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const text = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The anti-forgery token the page rendered (a hidden input), for the page's own POSTs.
  function antiforgeryHeaders() {
    const input = document.querySelector("input[name=__RequestVerificationToken]");
    return input ? { RequestVerificationToken: input.value } : {};
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, antiforgeryHeaders()),
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(answer.error_description || "the server refused the request");
      error.code = answer.error || "server_error";
      throw error;
    }
    return answer;
  }

  function creationOptions(options) {
    const publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
    publicKey.excludeCredentials = (options.excludeCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: toBytes(c.id) });
    });
    return publicKey;
  }

  function attestationJson(credential) {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64url(response.attestationObject),
        clientDataJSON: toBase64url(response.clientDataJSON),
        transports: typeof response.getTransports === "function" ? response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function requestOptions(options) {
    const publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.allowCredentials = (options.allowCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: toBytes(c.id) });
    });
    return publicKey;
  }

  function assertionJson(credential) {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toBase64url(response.authenticatorData),
        clientDataJSON: toBase64url(response.clientDataJSON),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  // What a person should read for each way a sign-in can fail.
  function explainLogin(error) {
    if (error.name === "NotAllowedError")
      return "The security key did not sign you in: the request was cancelled or timed out, or this key holds no Vouch key for this site. Press the button to try again.";
    if (error.code === "webauthn_failed")
      return "This security key is not (or no longer) registered with Vouch: it may have been removed from your account. Use another of your keys, or ask your administrator for an invite.";
    if (error.code === "credential_locked")
      return "This security key is locked because it may have been copied. Ask your administrator.";
    if (error.code === "user_disabled")
      return "Your account is disabled. Ask your administrator.";
    if (error.code === "challenge_expired" || error.code === "invalid_ceremony")
      return "The request took too long. Press the button to try again.";
    if (error.code === "rate_limited")
      return "Too many attempts from this address. Wait a minute, then try again.";
    return "Signing in failed: " + (error.message || "unknown error") + ". Press the button to try again.";
  }

  async function login(section, button, problem) {
    button.disabled = true;
    problem.hidden = true;
    try {
      const started = await postJson("api/v1/login/options", {});
      const credential = await navigator.credentials.get({ publicKey: requestOptions(started.options) });
      const answer = await postJson("login?handler=Finish&returnUrl=" + encodeURIComponent(section.dataset.returnUrl),
        { ceremony: started.ceremony, assertion: assertionJson(credential) });
      window.location.assign(answer.redirect);
    } catch (error) {
      problem.textContent = explainLogin(error);
      problem.hidden = false;
      button.disabled = false;
    }
  }

  // A spare key for the signed-in user: the account page starts the enrollment (an invite for the user's own email,
  // never shown) and finishes it; the same enrollment service as the invite link's.
  async function addSpare(button, problem) {
    button.disabled = true;
    problem.hidden = true;
    try {
      const started = await postJson("account?handler=SpareOptions", {});
      const credential = await navigator.credentials.create({ publicKey: creationOptions(started.options) });
      await postJson("account?handler=SpareFinish", { ceremony: started.ceremony, credential: attestationJson(credential) });
      window.location.assign("account?added=1");
    } catch (error) {
      problem.textContent = explain(error);
      problem.hidden = false;
      button.disabled = false;
    }
  }

  // What a person should read for each way the ceremony can fail.
  function explain(error) {
    if (error.name === "NotAllowedError")
      return "The security key did not confirm: the request was cancelled or timed out. Press the button to try again.";
    if (error.name === "InvalidStateError")
      return "This security key is already enrolled for you. Use another key, or sign in with this one.";
    if (error.name === "NotSupportedError")
      return "This browser or security key cannot create the kind of key Vouch needs (a resident key with a PIN).";
    if (error.code === "invalid_invite")
      return "This invite link is unknown, already used or expired. Ask your administrator for a new one.";
    if (error.code === "attestation_refused" || error.code === "webauthn_failed")
      return "The server did not accept this security key. Use a key your organisation allows, or ask your administrator.";
    if (error.code === "challenge_expired" || error.code === "invalid_ceremony")
      return "The request took too long. Press the button to try again.";
    if (error.code === "user_disabled")
      return "Your account is disabled. Ask your administrator.";
    if (error.code === "rate_limited")
      return "Too many attempts from this address. Wait a minute, then try again.";
    return "Enrolling failed: " + (error.message || "unknown error") + ". Press the button to try again.";
  }

  async function enroll(code, email, section, button, problem) {
    button.disabled = true;
    problem.hidden = true;
    try {
      const started = await postJson("api/v1/enroll/options", { invite: code });
      const credential = await navigator.credentials.create({ publicKey: creationOptions(started.options) });
      await postJson("api/v1/enroll", { ceremony: started.ceremony, credential: attestationJson(credential) });
      section.hidden = true;
      const enrolled = document.getElementById("enrolled");
      say(document.getElementById("enrolled-for"), "The security key is now registered for ", email, ".");
      enrolled.hidden = false;
      enrolled.querySelector("h2").focus();
    } catch (error) {
      problem.textContent = explain(error);
      problem.hidden = false;
      button.disabled = false;
    }
  }

  // Fills element with before, email in bold, after (textContent only: the email is never parsed as HTML).
  function say(element, before, email, after, emailId) {
    const strong = document.createElement("strong");
    if (emailId) strong.id = emailId;
    strong.textContent = email;
    element.replaceChildren(document.createTextNode(before), strong, document.createTextNode(after));
  }

  // The invite link carries its code in the fragment (#code=...), which browsers never send: no server or proxy log
  // holds it. It is read once and cleared from the address bar and history entry at once.
  function takeCode() {
    const code = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("code") || "";
    if (window.location.hash) history.replaceState(null, "", window.location.pathname + window.location.search);
    return code;
  }

  // Asks the page whom the invite is for: shows the button, or the reason the invite cannot be used.
  async function startEnroll(section) {
    const code = takeCode();
    let answer;
    try {
      answer = await postJson("enroll?handler=Lookup", { invite: code });
    } catch (error) {
      answer = { refusal: "The invite could not be checked: " + (error.message || "unknown error") + ". Reload the link to try again." };
    }
    if (answer.refusal) {
      const refused = document.createElement("p");
      refused.className = "problem";
      refused.setAttribute("role", "alert");
      refused.id = "invite-problem";
      refused.textContent = answer.refusal;
      section.replaceWith(refused);
      return;
    }
    say(document.getElementById("invite-for"), "This invite is for ", answer.email, ".", "email");
    const button = document.getElementById("enroll-button");
    const problem = document.getElementById("enroll-problem");
    section.hidden = false;
    if (!window.PublicKeyCredential) {
      problem.textContent = "This browser cannot use security keys. Open the link in a current browser.";
      problem.hidden = false;
      button.disabled = true;
      return;
    }
    button.addEventListener("click", function () { enroll(code, answer.email, section, button, problem); });
  }

  function unsupported(button, problem) {
    problem.textContent = "This browser cannot use security keys. Open the page in a current browser.";
    problem.hidden = false;
    button.disabled = true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const loginSection = document.getElementById("login");
    if (loginSection) {
      const button = document.getElementById("login-button");
      const problem = document.getElementById("login-problem");
      if (!window.PublicKeyCredential) return unsupported(button, problem);
      button.addEventListener("click", function () { login(loginSection, button, problem); });
    }
    const spareButton = document.getElementById("spare-button");
    if (spareButton) {
      const problem = document.getElementById("spare-problem");
      if (!window.PublicKeyCredential) return unsupported(spareButton, problem);
      spareButton.addEventListener("click", function () { addSpare(spareButton, problem); });
    }
    const section = document.getElementById("enroll");
    if (section) {
      // Another invite link opened in this tab changes only the fragment, which reloads nothing by itself.
      window.addEventListener("hashchange", function () { window.location.reload(); });
      startEnroll(section);
    }
  });
})();
