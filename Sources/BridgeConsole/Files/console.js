// WalletBridge operator console (CONTRACT 8). Plain JavaScript, no framework, no build step: served by `serve`
// at /console/ from the binary. The page talks to two parties:
//   - the service (same origin): /operator/* with the session token in this page's memory only (no web storage, no
//     cookie), so a reload signs the operator out and another page cannot act with their session;
//   - the operator's local bridge (`walletbridge bridge`, default http://127.0.0.1:21335), which asks the device
//     for the address and signatures. The device shows and confirms what is signed; this page only displays it.
// Everything shown comes through textContent (never innerHTML): order fields come from the CRM.
"use strict";

(() => {
  const byTestID = (id) => document.querySelector(`[data-testid="${id}"]`);
  const byID = (id) => document.getElementById(id);
  const el = {
    bridgeURL: byTestID("bridge-url"), bridgeStatus: byTestID("bridge-status"), path: byTestID("path-input"),
    login: byTestID("login-button"), logout: byID("logout-button"), operatorName: byTestID("operator-name"),
    policyVersion: byTestID("policy-version"), live: byID("live-status"), error: byTestID("error-message"),
    prompt: byID("device-prompt"), pending: byTestID("pending-list"), noPending: byID("no-pending"),
    signedOutNote: byID("signed-out-note"), detail: byTestID("order-detail"), detailID: byID("detail-id"),
    status: byTestID("order-status"), timeLeft: byID("time-left"), fields: byID("device-fields"), heldBy: byID("held-by"),
    approvals: byID("approvals"), decide: byID("decide"), approve: byTestID("approve-button"),
    reject: byTestID("reject-button"), reason: byTestID("reject-reason"), policyPanel: byID("policy-panel"),
    policySummary: byID("policy-summary"), policyJSON: byID("policy-json"), admin: byID("admin-panel"),
    proposals: byID("proposals"), noProposals: byID("no-proposals"), audit: byID("audit"), ownOrigin: byID("own-origin"),
  };

  const state = {
    token: null, operator: null,
    orders: new Map(),      // order_id -> the operator API's order JSON, pending ones
    selected: null,         // { order, typedData } shown in the detail panel
    lastEventID: null, retryMS: 2000, stream: null,
    busy: false, reloadTimer: null,
  };

  // ---- Errors, in words, with what to do -------------------------------------------------------------------------

  /** An error with the CONTRACT code (device, bridge and service share the codes) and a hint. */
  class ConsoleError extends Error {
    constructor(message, code, hint) { super(message); this.code = code; this.hint = hint; }
  }

  // What the operator should read for each device and session code (CONTRACT section 1 and 5).
  const words = {
    "-1": ["The bridge found no device.", "Connect and unlock your device, open the Ethereum app, then try again."],
    "-2": ["The bridge sees several devices.", "Unplug the ones you are not using, or start the bridge with --device ID."],
    "-3": ["The device was unplugged or stopped answering.", "Reconnect it, unlock it, then try again."],
    "-4": ["The device is busy with another operation.", "Finish or cancel it on the device (or close Ledger Live / Trezor Suite), then try again."],
    "-5": ["The device is locked.", "Unlock it with its PIN, then try again."],
    "-6": ["The wrong app is open on the device.", "Open the Ethereum app on the device, then try again."],
    "-7": ["You rejected it on the device: nothing was signed and nothing changed.", "To go ahead, try again and confirm on the device."],
    "-8": ["The device was not confirmed in time.", "Try again and confirm on the device sooner."],
    "-12": ["The bridge may not open the device.", "Install the udev rules: sudo walletbridge udev install, then replug the device."],
    "-13": ["The device needs its PIN or passphrase.", "Unlock the device, then try again."],
    "-14": ["The device's settings refuse this signature.", "In the Ethereum app's settings, enable \"Raw messages\" (or blind signing), then try again."],
    "-15": ["The device is not set up.", "Set it up with its vendor's app first."],
    "-21": ["Your session has ended.", "Sign in again with your device."],
    "-22": ["You are not allowed to do this.", "Ask an admin: your role or the policy does not allow it."],
    "-23": ["This was already done.", "Reload the list: someone (maybe you) decided it already."],
    "-24": ["It has expired.", "It can no longer be approved."],
  };

  function showError(error) {
    const code = error && error.code !== undefined && error.code !== null ? String(error.code) : "";
    const known = words[code];
    const title = known ? known[0] : (error && error.message) || "Something went wrong.";
    const hint = known ? known[1] : (error && error.hint) || "";
    el.error.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = title;
    el.error.append(strong, document.createTextNode(hint));
    if (known && error.message && error.message !== title) {
      const detail = document.createElement("small");
      detail.textContent = ` (${error.message})`;
      el.error.append(detail);
    }
    el.error.dataset.code = code;
    el.error.hidden = false;
  }

  function clearError() {
    el.error.hidden = true;
    el.error.replaceChildren();
    delete el.error.dataset.code;
  }

  /** A `{error, code, hint}` answer (service or bridge) as a ConsoleError. */
  function errorFrom(answer, status, who) {
    if (answer && typeof answer === "object" && "error" in answer) {
      const message = typeof answer.error === "string" ? answer.error : (answer.type || `${who} error`);
      return new ConsoleError(message, answer.code, answer.hint);
    }
    return new ConsoleError(`The ${who} answered HTTP ${status}.`, "", "");
  }

  // ---- The bridge ------------------------------------------------------------------------------------------------

  function bridgeBase() { return el.bridgeURL.value.trim().replace(/\/+$/, ""); }

  function setBridgeState(stateName, text) {
    el.bridgeStatus.dataset.state = stateName;
    el.bridgeStatus.textContent = text;
  }

  async function checkBridge() {
    const base = bridgeBase();
    setBridgeState("checking", "Looking for the bridge…");
    try {
      const response = await fetch(base + "/", { cache: "no-store", credentials: "omit" });
      const body = await response.json();
      if (!response.ok || body.name !== "walletbridge-bridge") throw errorFrom(body, response.status, "bridge");
      setBridgeState("connected", `Bridge ${body.version} ready at ${base}`);
      return true;
    } catch (error) {
      setBridgeState("unreachable", error instanceof ConsoleError ? error.message
        : `No bridge answers at ${base} (or it does not allow this page's origin).`);
      return false;
    }
  }

  /** POST to the bridge; its answer is the CLI's JSON, or `{error, code, hint}`. */
  async function bridge(route, body) {
    const base = bridgeBase();
    let response;
    try {
      response = await fetch(base + route, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        cache: "no-store", credentials: "omit",
      });
    } catch (cause) {
      setBridgeState("unreachable", `No bridge answers at ${base}.`);
      throw new ConsoleError(`No bridge answers at ${base}, or it refuses this page's origin.`, "",
        `Start it on this computer: walletbridge bridge --allow-origin ${location.origin}`);
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw errorFrom(answer, response.status, "bridge");
    setBridgeState("connected", `Bridge ready at ${base}`);
    return answer;
  }

  // ---- The service -----------------------------------------------------------------------------------------------

  async function api(method, path, body) {
    const headers = {};
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store", credentials: "omit",
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const error = errorFrom(answer, response.status, "service");
      if (response.status === 401 && state.token) signOut(error);
      throw error;
    }
    return answer;
  }

  /** Runs one device operation at a time, with the prompt shown and the buttons off while it runs. */
  async function deviceOperation(prompt, work) {
    if (state.busy) return;
    state.busy = true;
    clearError();
    setButtons();
    el.prompt.textContent = prompt;
    el.prompt.hidden = false;
    try {
      return await work();
    } catch (error) {
      showError(error);
      return undefined;
    } finally {
      el.prompt.hidden = true;
      state.busy = false;
      setButtons();
    }
  }

  function setButtons() {
    el.login.disabled = state.busy;
    const pending = state.selected && state.selected.order.status === "pending_approval";
    el.approve.disabled = state.busy || !pending;
    el.reject.disabled = state.busy || !pending;
    el.reason.disabled = !pending;
    for (const button of el.proposals.querySelectorAll("button")) button.disabled = state.busy;
  }

  // ---- Signing in and out ----------------------------------------------------------------------------------------

  async function signIn() {
    await deviceOperation("Confirm the sign-in on your device…", async () => {
      const path = el.path.value.trim();
      const { address } = await bridge("/address", { path });
      const challenge = await api("POST", "/operator/challenge", { address });
      const { signature } = await bridge("/sign-typed-data", { path, typedData: challenge.typedData });
      const session = await api("POST", "/operator/session", { nonce: challenge.nonce, signature });
      state.token = session.token;
      state.operator = session.operator;
      el.operatorName.textContent = session.operator.name;
      el.operatorName.dataset.role = session.operator.role;
      el.operatorName.hidden = false;
      el.login.hidden = true;
      el.logout.hidden = false;
      el.signedOutNote.hidden = true;
      el.admin.hidden = session.operator.role !== "admin";
      await Promise.all([loadPending(), loadPolicy(), loadAdmin()]);
      startStream();
    });
  }

  /** Forgets the session (the token lived only in this page's memory). `reason`: why, shown as the error. */
  function signOut(reason) {
    const token = state.token;
    state.token = null;
    state.operator = null;
    state.lastEventID = null;
    if (state.stream) state.stream.abort();
    state.stream = null;
    state.orders.clear();
    closeDetail();
    renderPending();
    el.operatorName.hidden = true;
    el.operatorName.textContent = "";
    el.policyVersion.hidden = true;
    el.policyPanel.hidden = true;
    el.admin.hidden = true;
    el.live.hidden = true;
    document.documentElement.dataset.live = "false";
    el.login.hidden = false;
    el.logout.hidden = true;
    el.signedOutNote.hidden = false;
    if (reason) showError(reason);
    return token;
  }

  async function logout() {
    const token = signOut(null);
    if (token) {
      await fetch("/operator/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` }, credentials: "omit" })
        .catch(() => undefined);
    }
  }

  // ---- Pending transfers -----------------------------------------------------------------------------------------

  async function loadPending() {
    if (!state.token) return;
    const { transfers } = await api("GET", "/operator/transfers?status=pending");
    state.orders = new Map(transfers.map((order) => [order.order_id, order]));
    renderPending();
    if (state.selected) {
      const fresh = state.orders.get(state.selected.order.order_id);
      if (fresh) { state.selected.order = fresh; renderDetail(); }
    }
  }

  /** Coalesces the reloads a burst of events asks for. */
  function scheduleReload() {
    clearTimeout(state.reloadTimer);
    state.reloadTimer = setTimeout(() => { loadPending().catch(showError); }, 150);
  }

  function amountText(order) {
    return `${order.amount_text ?? order.amount} ${order.currency}`;
  }

  /** Updates the list in place: a row keeps its element while its order stays pending (no flicker, and a click
   *  that lands while the list refreshes still reaches the row). */
  function renderPending() {
    const existing = new Map([...el.pending.children].map((row) => [row.dataset.orderId, row]));
    const rows = [];
    for (const order of state.orders.values()) {
      let row = existing.get(order.order_id);
      if (!row) {
        row = document.createElement("li");
        row.dataset.testid = "order-row";
        row.dataset.orderId = order.order_id;
        row.tabIndex = 0;
        row.addEventListener("click", () => openOrder(row.dataset.orderId));
        row.addEventListener("keydown", (event) => { if (event.key === "Enter") openOrder(row.dataset.orderId); });
        const amount = document.createElement("div");
        amount.className = "amount";
        const meta = document.createElement("div");
        meta.className = "meta";
        row.append(amount, meta);
      }
      if (state.selected && state.selected.order.order_id === order.order_id) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
      row.children[0].textContent = `${order.direction === "debit" ? "Debit" : "Credit"} ${amountText(order)}`;
      row.children[1].textContent =
        `${order.external_user_id} · ${order.order_id} · ${order.approvals_counted} of ${order.approvals_required} approvals`;
      rows.push(row);
    }
    for (const [orderID, row] of existing) if (!state.orders.has(orderID)) row.remove();
    rows.forEach((row, index) => { if (el.pending.children[index] !== row) el.pending.insertBefore(row, el.pending.children[index] || null); });
    el.noPending.hidden = !state.token || rows.length > 0;
  }

  // ---- One order -------------------------------------------------------------------------------------------------

  async function openOrder(orderID) {
    const order = state.orders.get(orderID);
    if (!order) return;
    clearError();
    el.reason.value = "";
    try {
      // The document the device will be asked to sign, as the service builds it from the stored order.
      const typedData = await api("GET", `/operator/transfers/${encodeURIComponent(orderID)}/approval`);
      state.selected = { order, typedData };
      renderDetail();
      renderPending();
    } catch (error) {
      showError(error);
    }
  }

  function closeDetail() {
    state.selected = null;
    el.detail.hidden = true;
  }

  const statusWords = {
    pending_approval: "Waiting for approvals", completed: "Completed: the transfer was applied",
    rejected: "Rejected", expired: "Expired without enough approvals",
  };

  function renderDetail() {
    const selected = state.selected;
    if (!selected) { el.detail.hidden = true; return; }
    const { order, typedData } = selected;
    el.detail.hidden = false;
    el.detailID.textContent = order.order_id;
    el.status.dataset.status = order.status;
    let text = `${statusWords[order.status] || order.status} · ${order.approvals_counted} of ${order.approvals_required} approvals`;
    if (order.reason) text += ` · ${order.reason}`;
    el.status.textContent = text;

    // Exactly the fields the device shows for an EIP-712 message: the domain, then each message field in order.
    const rows = [];
    const addRow = (name, value) => {
      const row = document.createElement("tr");
      const head = document.createElement("th");
      head.textContent = name;
      const cell = document.createElement("td");
      cell.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
      row.append(head, cell);
      rows.push(row);
    };
    if (typedData && typedData.domain) {
      addRow("Domain", typedData.domain.name);
      if (typedData.domain.version !== undefined) addRow("Version", typedData.domain.version);
      if (typedData.domain.chainId !== undefined) addRow("Chain ID", typedData.domain.chainId);
    }
    if (typedData && typedData.primaryType) addRow("Message", typedData.primaryType);
    const members = (typedData && typedData.types && typedData.types[typedData.primaryType]) || [];
    for (const member of members) addRow(member.name, typedData.message[member.name]);
    el.fields.replaceChildren(...rows);

    el.heldBy.textContent = order.policy
      ? `Policy rule "${order.policy}" of policy version ${order.policy_version ?? "?"} requires ${order.approvals_required} approvals.`
      : `It needs ${order.approvals_required} approvals.`;
    const approvals = (order.approvals || []).map((approval) => {
      const item = document.createElement("li");
      const verb = approval.decision === "reject" ? "rejected" : "approved";
      const counted = approval.counts === false ? " (no longer counted: the operator was revoked)" : "";
      item.textContent = `${approval.operator} ${verb} at ${approval.at}${approval.reason ? ": " + approval.reason : ""}${counted}`;
      return item;
    });
    if (approvals.length === 0) {
      const none = document.createElement("li");
      none.textContent = "None yet.";
      approvals.push(none);
    }
    el.approvals.replaceChildren(...approvals);
    el.decide.hidden = order.status !== "pending_approval";
    renderTimeLeft();
    setButtons();
  }

  function renderTimeLeft() {
    const selected = state.selected;
    if (!selected || selected.order.status !== "pending_approval" || !selected.order.expires_at) {
      el.timeLeft.textContent = "";
      return;
    }
    const left = Math.max(0, Math.floor((Date.parse(selected.order.expires_at) - Date.now()) / 1000));
    const hours = Math.floor(left / 3600), minutes = Math.floor((left % 3600) / 60), seconds = left % 60;
    const parts = hours > 0 ? `${hours} h ${minutes} min` : minutes > 0 ? `${minutes} min ${seconds} s` : `${seconds} s`;
    el.timeLeft.textContent = left === 0 ? "Its approval window has closed."
      : `${parts} left to approve (until ${selected.order.expires_at})`;
  }

  async function decide(decision) {
    const selected = state.selected;
    if (!selected) return;
    const orderID = selected.order.order_id;
    const reason = el.reason.value.trim();
    const prompt = decision === "approve" ? "Check the transfer on your device and approve it there…"
      : "Check the rejection on your device and confirm it there…";
    await deviceOperation(prompt, async () => {
      const path = el.path.value.trim();
      const query = decision === "reject" ? `?decision=reject&reason=${encodeURIComponent(reason)}` : "";
      const typedData = await api("GET", `/operator/transfers/${encodeURIComponent(orderID)}/approval${query}`);
      const { signature } = await bridge("/sign-typed-data", { path, typedData });
      const body = decision === "reject" ? { signature, reason } : { signature };
      const order = await api("POST", `/operator/transfers/${encodeURIComponent(orderID)}/${decision}`, body);
      if (state.selected && state.selected.order.order_id === orderID) state.selected.order = order;
      if (order.status === "pending_approval") state.orders.set(orderID, order); else state.orders.delete(orderID);
      renderDetail();
      renderPending();
    });
  }

  // ---- Policy and admin views ------------------------------------------------------------------------------------

  async function loadPolicy() {
    if (!state.token) return;
    const policy = await api("GET", "/operator/policy");
    el.policyVersion.textContent = `Policy v${policy.version}`;
    el.policyVersion.dataset.version = String(policy.version);
    el.policyVersion.hidden = false;
    const approvedBy = policy.approved_by && policy.approved_by.length ? `approved by ${policy.approved_by.join(", ")}`
      : (policy.note || "from the configuration");
    el.policySummary.textContent = `Version ${policy.version}, ${approvedBy}` +
      (policy.effective_at ? `, in force since ${policy.effective_at}.` : ".");
    el.policyJSON.textContent = JSON.stringify(policy.policy, null, 2);
    el.policyPanel.hidden = false;
  }

  async function loadAdmin() {
    if (!state.token || !state.operator || state.operator.role !== "admin") return;
    const [{ proposals }, { events }] = await Promise.all([api("GET", "/operator/policy/proposals"), api("GET", "/operator/audit?limit=30")]);
    renderProposals(proposals);
    el.audit.replaceChildren();
    for (const event of events) prependAudit(event);
  }

  function renderProposals(proposals) {
    const items = proposals.map((proposal) => {
      const item = document.createElement("li");
      const text = document.createElement("span");
      text.textContent = `Version ${proposal.version} by ${proposal.proposed_by || "?"}: ${proposal.approvals} of ` +
        `${proposal.approvals_required} admin approvals (${(proposal.approved_by || []).join(", ") || "none"}), until ${proposal.expires_at}. `;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Approve on the device";
      button.addEventListener("click", () => approvePolicy(proposal.version));
      item.append(text, button);
      return item;
    });
    el.proposals.replaceChildren(...items);
    el.noProposals.hidden = items.length > 0;
    setButtons();
  }

  async function approvePolicy(version) {
    await deviceOperation(`Check policy version ${version} on your device and approve it there…`, async () => {
      const path = el.path.value.trim();
      const details = await api("GET", `/operator/policy/${version}`);
      const { signature } = await bridge("/sign-typed-data", { path, typedData: details.document });
      await api("POST", `/operator/policy/${version}/approve`, { signature });
      await Promise.all([loadPolicy(), loadAdmin()]);
    });
  }

  function prependAudit(event) {
    const item = document.createElement("li");
    item.value = event.sequence;
    item.textContent = `${event.time} ${event.kind} by ${event.actor}`;
    el.audit.prepend(item);
    while (el.audit.children.length > 100) el.audit.lastElementChild.remove();
  }

  // ---- Live events (Server-Sent Events read with fetch, so the token stays in a header) --------------------------

  function setLive(live) {
    el.live.hidden = !live;
    document.documentElement.dataset.live = live ? "true" : "false";
  }

  function startStream() {
    if (state.stream) state.stream.abort();
    const controller = new AbortController();
    state.stream = controller;
    runStream(controller).catch(() => undefined);
  }

  async function runStream(controller) {
    while (state.token && !controller.signal.aborted) {
      try {
        const headers = { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" };
        if (state.lastEventID !== null) headers["Last-Event-ID"] = state.lastEventID;
        const response = await fetch("/operator/events", { headers, signal: controller.signal, cache: "no-store", credentials: "omit" });
        if (response.status === 401) {
          signOut(errorFrom(await response.json().catch(() => null), 401, "service"));
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        setLive(true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            dispatch(parseEvent(block));
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
      }
      setLive(false);
      // The stream ended (server restart, network): come back after `retry`, asking for what was missed.
      await new Promise((resolve) => setTimeout(resolve, state.retryMS));
    }
  }

  /** One event block of the text/event-stream format (HTML standard, "Server-sent events"). */
  function parseEvent(block) {
    const event = { id: null, type: "message", data: [] };
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "id") event.id = value;
      else if (field === "event") event.type = value;
      else if (field === "data") event.data.push(value);
      else if (field === "retry" && /^\d+$/.test(value)) state.retryMS = Number(value);
    }
    return event;
  }

  function dispatch(event) {
    if (event.id !== null) state.lastEventID = event.id;
    if (event.data.length === 0 && event.type === "message") return;
    let data = null;
    try { data = JSON.parse(event.data.join("\n")); } catch (error) { data = null; }
    const kind = event.type;
    if (kind === "ready" || kind === "reset") {
      scheduleReload();
      if (kind === "reset") { loadPolicy().catch(showError); loadAdmin().catch(showError); }
      return;
    }
    if (kind === "session.ended") {
      signOut(errorFrom(data, 401, "service"));
      return;
    }
    if (data && state.operator && state.operator.role === "admin") prependAudit(data);
    const payload = (data && data.payload) || {};
    const orderID = payload.order_id;
    if (kind.startsWith("order.")) {
      const status = kind.slice("order.".length);
      if (state.selected && state.selected.order.order_id === orderID && status !== "pending_approval") {
        state.selected.order = { ...state.selected.order, status, reason: payload.reason || state.selected.order.reason };
        renderDetail();
      }
      if (status === "pending_approval" || state.orders.has(orderID)) scheduleReload();
    } else if (kind.startsWith("approval.")) {
      if (state.orders.has(orderID)) scheduleReload();
    } else if (kind.startsWith("policy.")) {
      loadPolicy().catch(showError);
      loadAdmin().catch(showError);
    }
  }

  // ---- Start -----------------------------------------------------------------------------------------------------

  el.ownOrigin.textContent = location.origin;
  el.login.addEventListener("click", signIn);
  el.logout.addEventListener("click", logout);
  el.approve.addEventListener("click", () => decide("approve"));
  el.reject.addEventListener("click", () => decide("reject"));
  el.bridgeURL.addEventListener("change", checkBridge);
  setInterval(renderTimeLeft, 1000);
  checkBridge();
  document.documentElement.dataset.interactiveMs = String(Math.round(performance.now()));
  document.documentElement.dataset.ready = "true";
})();
