// Vouch: the browser side of enrolling a security key. Runs the JSON API's ceremony (the same one the CLI uses):
// ask the server for options, let the authenticator create a credential, send it back. No inline script: the CSP
// allows only this file. Paths are relative so that an issuer with a path (https://example.com/vouch) works.
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

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
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

  async function enroll(section, button, problem) {
    button.disabled = true;
    problem.hidden = true;
    try {
      const started = await postJson("api/v1/enroll/options", { invite: section.dataset.code });
      const credential = await navigator.credentials.create({ publicKey: creationOptions(started.options) });
      await postJson("api/v1/enroll", { ceremony: started.ceremony, credential: attestationJson(credential) });
      section.hidden = true;
      const enrolled = document.getElementById("enrolled");
      enrolled.hidden = false;
      enrolled.querySelector("h2").focus();
    } catch (error) {
      problem.textContent = explain(error);
      problem.hidden = false;
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const section = document.getElementById("enroll");
    if (!section) return;
    const button = document.getElementById("enroll-button");
    const problem = document.getElementById("enroll-problem");
    if (!window.PublicKeyCredential) {
      problem.textContent = "This browser cannot use security keys. Open the link in a current browser.";
      problem.hidden = false;
      button.disabled = true;
      return;
    }
    button.addEventListener("click", function () { enroll(section, button, problem); });
  });
})();
