// Per-site rules as data: where FactorCat looks for a code field, where a
// page shows who is signing in, and whether it may fill without the person
// asking. Loaded as a classic script by content scripts and imported for
// its side effect by the background and the popup, so it only assigns to
// the shared namespace.
//
// Host patterns: "example.com" is that host only; "*.example.com" is any
// host below it (not the bare domain). Only https pages ever match.
//
// What an AWS address means — partition, service, account or alias,
// region, Identity Center directory — and how a typed account is read are
// the host's rules (host/src/site/aws.rs); the background asks the host
// and uses its answer. The AWS host patterns here only say where the
// content scripts run, and tests keep them, the manifest and the host's
// table of AWS hosts equal.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.siteRules) return;

  const AWS_SIGNIN_HOSTS = [
    'signin.aws.amazon.com', '*.signin.aws.amazon.com',
    'signin.amazonaws-us-gov.com', '*.signin.amazonaws-us-gov.com',
    'signin.amazonaws.cn', '*.signin.amazonaws.cn',
    'signin.amazonaws-eusc.eu', '*.signin.amazonaws-eusc.eu',
    // IAM Identity Center: its sign-in and its access portals.
    '*.signin.aws', '*.awsapps.com', '*.portal.amazonaws.com', '*.app.aws',
  ];

  // A base32 secret as AWS shows it after "Show secret key": 64 characters
  // for an IAM virtual MFA device, 32 for IAM Identity Center; the range
  // and the multiple of 8 (whole bytes, no padding) are docs/extension.md's.
  const AWS_SECRET = '^(?:[A-Z2-7]{8}){4,8}$';

  const rules = [
    {
      id: 'aws-signin',
      label: 'AWS sign-in',
      hosts: AWS_SIGNIN_HOSTS,
      // Fill as soon as the field appears when the host says exactly one
      // token fits; otherwise offer a chooser anchored to the field.
      auto: true,
      fields: [
        'input#mfacode',                 // legacy AngularJS sign-in
        'input#mfaCode',                 // new React sign-in (2024)
        'input[name="mfaCode"]',
        'input#wdc_mfacode',             // Identity Center, older
        'input[autocomplete="one-time-code"]',
      ],
      // The legacy sign-in's second code, when AWS asks for two
      // consecutive codes to resynchronise the device: the next step's.
      second: ['input#next_mfacode', 'input[name="next_mfacode"]'],
      // Identity Center pages carry little markup of their own: fall back to
      // the generic heuristics there, still only for a field that looks
      // like a code field.
      generic: true,
      submit: [
        'a#submitMfa_button', 'button#submitMfa_button', 'button#mfa_submit_button',
        'button[data-testid="mfa-submit-button"]',
      ],
      // A user with MFA devices of several kinds is first asked which kind
      // to use: the authenticator app's radio button (its value, else its
      // label) and the button that goes on (its test id or the legacy
      // page's id, else its words). FactorCat chooses it only when a token
      // belongs to the page (docs/extension.md).
      mfaType: {
        values: ['SWHW'],
        labels: ['Authenticator app'],
        next: ['[data-testid="mfa-continue-button"]', 'a#next_multi', 'button#next_multi'],
        nextWords: ['Continue', 'Next'],
      },
      // Where the page shows who is signing in. Inputs are read by value,
      // text nodes by the pattern given.
      who: {
        account: ['input#account', 'input[name="account"]'],
        // IAM's user name box; Identity Center's ("Username": its own
        // autocomplete, or the older wrapper around a generic AWS-UI input).
        user: ['input#username', 'input[name="username"]', 'input[autocomplete="username"]',
          '#username-input input'],
        // The first step asks for an account id/alias (IAM) or an e-mail (root).
        accountOrEmail: ['input#resolving_input'],
        // Text shown with the MFA step, e.g. "Account ID: 1234-5678-9012".
        text: ['#mfa_container', '#mfa_form', 'form', 'main', '#__next'],
      },
      // Clicking these (or submitting the form) remembers what was typed, for
      // the MFA step that may come on another (regional) host.
      capture: ['#signin_button', '#next_button', 'button[type="submit"]'],
      // IAM Identity Center's "Register MFA device" (access portal, or the
      // sign-in when MFA must be registered first): "Set up the
      // authenticator app", one code. Bound to the page's instance.
      enroll: {
        codes: ['Authenticator code'],
        showSecret: 'Show secret key',
        secretPattern: AWS_SECRET,
      },
    },
    {
      id: 'aws-enroll',
      label: 'AWS console (assign MFA device)',
      // Any depth below: multi-session hosts
      // (<account>-<session>.<region>.console.aws.amazon.com) too.
      hosts: [
        'console.aws.amazon.com', '*.console.aws.amazon.com',
        'console.amazonaws-us-gov.com', '*.console.amazonaws-us-gov.com',
        'console.amazonaws.cn', '*.console.amazonaws.cn',
        'console.amazonaws-eusc.eu', '*.console.amazonaws-eusc.eu',
      ],
      auto: false,
      fields: [],
      // "Assign MFA device": device name, "Show secret key", two codes.
      enroll: {
        codes: ['MFA code 1', 'MFA code 2'],
        showSecret: 'Show secret key',
        deviceName: 'Device name',
        secretPattern: AWS_SECRET,
      },
      // "Resync MFA device": the same two codes for a device already
      // assigned, and a button of that name; no secret.
      resync: {
        codes: ['MFA code 1', 'MFA code 2'],
        action: 'Resync',
      },
    },
    { id: 'github', label: 'GitHub', hosts: ['github.com'], auto: false,
      fields: ['input#app_totp', 'input#otp[name="otp"]'] },
    { id: 'gitlab', label: 'GitLab', hosts: ['gitlab.com'], auto: false,
      fields: ['input#user_otp_attempt'] },
    { id: 'google', label: 'Google', hosts: ['accounts.google.com'], auto: false,
      fields: ['input#totpPin'] },
    { id: 'microsoft', label: 'Microsoft', hosts: ['login.microsoftonline.com', 'login.live.com'], auto: false,
      fields: ['input#idTxtBx_SAOTCC_OTC'] },
    { id: 'cloudflare', label: 'Cloudflare', hosts: ['dash.cloudflare.com'], auto: false,
      fields: ['input#twofactor_token'] },
    // Any other https page: only a field that says it wants a one-time code,
    // and only when the person asks (toolbar popup).
    { id: 'generic', label: 'This page', hosts: ['*'], auto: false,
      fields: ['input[autocomplete="one-time-code"]'], generic: true },
  ];

  // The content scripts that the manifest declares must cover the rules'
  // hosts; tests compare the two.
  function hostMatches(pattern, host) {
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) {
      const base = pattern.slice(2);
      return host.endsWith('.' + base) && host.length > base.length + 1;
    }
    return host === pattern;
  }

  // The rule for a URL, or null. Never for anything but https.
  function ruleFor(url) {
    let u;
    try { u = new URL(url); } catch { return null; }
    if (u.protocol !== 'https:') return null;
    const host = u.hostname.toLowerCase().replace(/\.$/, '');
    return rules.find((r) => r.hosts.some((p) => hostMatches(p, host))) ?? null;
  }

  FactorCat.siteRules = Object.freeze({ rules, ruleFor, hostMatches });
})();
