// Passkeys in the browser: takes the server's WebAuthn options, asks the authenticator, sends the
// credential back. Buttons and fields opt in with data attributes, so the pages need no inline script:
//   [data-passkey="sign-in"]   sign in with any passkey of this site (no username)
//   input[autocomplete~=webauthn]   offers passkeys in the browser's autofill (conditional UI)
//   [data-passkey="register"]  adds a passkey named by #passkey-name (then goes to data-passkey-next)
//   [data-passkey-status]      where progress and errors are written
(() => {
  "use strict";
  if (!window.PublicKeyCredential) return;

  const bytes = (s) => {
    let b = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b.length % 4) b += "=";
    return Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
  };
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  const status = (text, isError) => {
    document.querySelectorAll("[data-passkey-status]").forEach((el) => {
      el.textContent = text;
      el.classList.toggle("note-error", !!isError);
      el.hidden = !text;
    });
  };

  // The server's error codes a passkey ceremony can meet, in the page's language (the rest of the
  // app translates codes in its wasm; this script runs beside it).
  const TEXTS = {
    passkey_rejected: ["La llave de acceso no fue aceptada.", "The passkey was not accepted."],
    passkey_not_started: ["No hay ninguna solicitud de llave de acceso en curso: empieza de nuevo.", "No passkey request is in progress: start again."],
    passkey_foreign: ["Esta solicitud de llave de acceso la empezó otra cuenta: empieza de nuevo.", "This passkey request was started by another account: start again."],
    passkey_expired: ["La solicitud de llave de acceso caducó: empieza de nuevo.", "The passkey request expired: start again."],
    passkey_not_found: ["Esa llave de acceso no está registrada.", "That passkey is not registered."],
    passkey_registered: ["Esa llave de acceso ya está registrada.", "That passkey is already registered."],
    unauthenticated: ["Tu sesión ha caducado. Entra de nuevo.", "Your session has ended. Please sign in again."],
    reauthentication_required: ["Por seguridad, vuelve a iniciar sesión para hacer esto.", "For safety, sign in again to do this."],
    rate_limited: ["Demasiadas solicitudes desde esta dirección. Espera un momento.", "Too many requests from this address. Wait a moment."],
  };
  const say = (code, fallback) => {
    const t = TEXTS[code];
    return t ? t[document.documentElement.lang === "en" ? 1 : 0] : fallback;
  };

  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body ?? {}),
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
    if (!res.ok) {
      const err = new Error(say(json?.error?.code, json?.error?.message || `HTTP ${res.status}`));
      err.status = res.status;
      throw err;
    }
    return json;
  }

  function creationOptions(o) {
    const pk = { ...o.publicKey };
    pk.challenge = bytes(pk.challenge);
    pk.user = { ...pk.user, id: bytes(pk.user.id) };
    pk.excludeCredentials = (pk.excludeCredentials || []).map((c) => ({ ...c, id: bytes(c.id) }));
    return pk;
  }

  function requestOptions(o) {
    const pk = { ...o.publicKey };
    pk.challenge = bytes(pk.challenge);
    pk.allowCredentials = (pk.allowCredentials || []).map((c) => ({ ...c, id: bytes(c.id) }));
    return pk;
  }

  function assertionJson(cred) {
    const r = cred.response;
    return {
      id: cred.id,
      rawId: b64(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: b64(r.authenticatorData),
        clientDataJSON: b64(r.clientDataJSON),
        signature: b64(r.signature),
        userHandle: r.userHandle ? b64(r.userHandle) : null,
      },
      extensions: cred.getClientExtensionResults(),
    };
  }

  // Only a path on this site, resolved the way the browser will resolve it.
  function localPath(next) {
    if (!next) return null;
    try {
      const url = new URL(next, location.origin);
      return url.origin === location.origin ? url.pathname + url.search : null;
    } catch (_) { return null; }
  }

  function after(user) {
    const next = localPath(new URLSearchParams(location.search).get("next"));
    location.href = user?.must_change_password ? "/account?change=1" : (next || "/datasets");
  }

  let autofill = null;

  async function signIn(conditional) {
    const options = await post("/api/v1/auth/passkeys/login/start");
    const publicKey = requestOptions(options);
    const request = { publicKey };
    if (conditional) {
      autofill = new AbortController();
      request.mediation = "conditional";
      request.signal = autofill.signal;
    }
    const cred = await navigator.credentials.get(request);
    if (!cred) return;
    status("…");
    try {
      after(await post("/api/v1/auth/passkeys/login/finish", assertionJson(cred)));
    } catch (e) {
      if (e.status === 404 && PublicKeyCredential.signalUnknownCredential) {
        // The server does not know this passkey (it was removed): let the authenticator forget it.
        PublicKeyCredential.signalUnknownCredential({ rpId: publicKey.rpId || location.hostname, credentialId: cred.id }).catch(() => {});
      }
      throw e;
    }
  }

  async function register(button) {
    const field = document.getElementById("passkey-name");
    const name = (field?.value || "").trim() || "Passkey";
    status("…");
    const options = await post("/api/v1/auth/passkeys/register/start", { name });
    const cred = await navigator.credentials.create({ publicKey: creationOptions(options) });
    const r = cred.response;
    await post("/api/v1/auth/passkeys/register/finish", {
      id: cred.id,
      rawId: b64(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: b64(r.attestationObject),
        clientDataJSON: b64(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : undefined,
      },
      extensions: cred.getClientExtensionResults(),
    });
    status("");
    // Where to go once added (the enrolment page); otherwise show the new list.
    if (button.dataset.passkeyNext) location.href = button.dataset.passkeyNext;
    else location.reload();
  }

  const failed = (e) => {
    if (e?.name === "AbortError") return;
    if (e?.name === "NotAllowedError") { status(document.documentElement.lang === "en" ? "Cancelled." : "Cancelado.", true); return; }
    status(e?.message || String(e), true);
  };

  document.addEventListener("click", (ev) => {
    const button = ev.target.closest?.("[data-passkey]");
    if (!button) return;
    ev.preventDefault();
    if (button.dataset.passkey === "sign-in") {
      autofill?.abort();
      signIn(false).catch(failed);
    } else if (button.dataset.passkey === "register") {
      register(button).catch(failed);
    }
  });

  // Autofill: offer passkeys in the username field's suggestions while the sign-in page is shown.
  let offered = null;
  const offerAutofill = async () => {
    const field = document.querySelector('input[autocomplete~="webauthn"]');
    if (!field || field === offered) return;
    offered = field;
    if (!(await PublicKeyCredential.isConditionalMediationAvailable?.())) return;
    // The autofill request waits in the background: only the server's answers are worth showing
    // (e.g. a passkey it no longer knows), not the browser ending or declining the request.
    signIn(true).catch((e) => { if (e?.status) failed(e); });
  };
  new MutationObserver(offerAutofill).observe(document.documentElement, { childList: true, subtree: true });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", offerAutofill);
  else offerAutofill();
})();
