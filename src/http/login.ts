/** The login page of a token-protected listener (no script; a plain form posting the token). */

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML of `GET /login`, with an optional message. */
export function loginPage(message?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ibkr-exec — log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/style.css"></head>
<body class="login"><main class="login-box"><h1>ibkr-exec</h1>
<p>Paste the dashboard token (the <code>http-token</code> secret: <code>IBKR_EXEC_HTTP_TOKEN</code>).</p>
${message ? `<p class="login-msg">${esc(message)}</p>` : ''}
<form method="post" action="/login"><input type="password" name="token" autocomplete="current-password" aria-label="token" required autofocus>
<button type="submit">Log in</button></form></main></body></html>`;
}
