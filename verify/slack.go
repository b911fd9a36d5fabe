package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func init() { register("slack", newSlack) }

// slackVerifier checks Slack tokens with auth.test and incoming webhooks
// with an empty payload (PROVIDERS.md §6).
//
// Tokens: POST <base>/auth.test with Authorization: Bearer (base
// https://slack.com/api, [verify.endpoints] key "slack"). auth.test changes
// nothing and needs no scope. Slack answers HTTP 200 whatever the token, so
// the verdict is read from "ok": ok:true is live (identity: team, team id,
// user); the errors invalid_auth, token_revoked, token_expired,
// account_inactive and not_authed are dead; any other error is unknown, with its code.
//
// Covered token kinds: bot (xoxb), user (xoxp, xoxe-prefixed enterprise
// user tokens), rotating access tokens (xoxe.xoxb / xoxe.xoxp), legacy
// workspace access tokens (xoxa) and legacy test/session tokens (xoxo,
// xoxs). Not checked, and why:
//   - legacy refresh tokens (xoxr, found by the same rule as xoxa) and the
//     rotating refresh tokens (xoxe-1-…) are not bearer tokens: the only
//     thing they do is mint a new token, which is a change; xoxr answers
//     unknown without a call and slack-config-refresh-token is not claimed;
//   - web client tokens (xoxc) need the browser's d cookie; without it
//     auth.test would call a live token dead, so they are not claimed;
//   - workflow webhook triggers start a workflow when posted to, so they
//     are not claimed.
//
// App-level tokens (xapp) and the xoxe.xoxb / xoxe.xoxp tokens are
// UNCONFIRMED: Slack documents xapp for apps.connections.open, and the
// xoxe. prefix is shared by rotating access tokens (which auth.test
// accepts) and app configuration tokens (made for the apps.manifest
// methods); whether auth.test accepts those, or which error it gives for a
// revoked one, was not checked. So for them only ok:true counts (live);
// every error, invalid_auth included, is unknown. token_expired (an
// expired rotating token) is dead for the other kinds.
//
// Incoming webhooks (UNCONFIRMED): Slack offers no read-only check. The
// known trick is to POST an empty JSON object {}: there is no text and no
// blocks, so Slack can post nothing and answers 400 invalid_payload or
// no_text for a working webhook, 404 no_service / no_team or 403
// invalid_token for a dead one; 410 channel_is_archived and anything else
// are unknown. The body sent is always exactly {}. The URL's path is sent
// only to hooks.slack.com (or to the [verify.endpoints] key
// "slack-webhook", for tests and proxies), whatever host the finding names;
// a finding whose host is not hooks.slack.com is unknown without a call.
type slackVerifier struct {
	client  *http.Client
	base    string
	webhook string
}

var _ Verifier = (*slackVerifier)(nil)

func newSlack(o *Options) Verifier {
	return &slackVerifier{
		client:  o.HTTPClient(),
		base:    o.Endpoint("slack", "https://slack.com/api"),
		webhook: o.Endpoint("slack-webhook", "https://hooks.slack.com"),
	}
}

func (*slackVerifier) Provider() string { return "slack" }

func (*slackVerifier) Rules() []string {
	return []string{"slack-bot-token", "slack-user-token", "slack-app-token", "slack-config-access-token",
		"slack-legacy-workspace-token", "slack-legacy-token", "slack-webhook-url"}
}

func (v *slackVerifier) Verify(ctx context.Context, c Credential) Result {
	if c.Rule == "slack-webhook-url" {
		return v.verifyWebhook(ctx, c.Secret.Reveal())
	}
	tok := c.Secret.Reveal()
	if strings.HasPrefix(tok, "xoxr-") {
		return Unknown("Slack refresh tokens (xoxr) have no read-only check: using one mints a new token")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.base+"/auth.test", nil)
	if err != nil {
		return Unknown("building the request: " + err.Error())
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, fail := Send(v.client, req)
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return Unexpected(resp)
	}
	var at struct {
		OK     *bool  `json:"ok"`
		Error  string `json:"error"`
		Team   string `json:"team"`
		TeamID string `json:"team_id"`
		User   string `json:"user"`
	}
	if err := json.Unmarshal(resp.Body, &at); err != nil || at.OK == nil {
		return Unknown("Slack answered 200 without an ok field")
	}
	if *at.OK {
		return Live("Slack team " + at.Team + " (" + at.TeamID + "), user " + at.User)
	}
	code := providerErrorCode(at.Error)
	if strings.HasPrefix(tok, "xapp-") || strings.HasPrefix(tok, "xoxe.") {
		// UNCONFIRMED how auth.test treats app-level and configuration
		// tokens: an error is never taken as dead.
		return Unknown("Slack auth.test answered " + code + " (not trusted as dead for app-level and configuration tokens: unconfirmed whether auth.test accepts them)")
	}
	switch at.Error {
	case "invalid_auth", "token_revoked", "token_expired", "account_inactive", "not_authed":
		return Dead("Slack rejected the token (" + code + ")")
	}
	return Unknown("Slack auth.test answered " + code)
}

// verifyWebhook posts {} to the webhook's path on hooks.slack.com (see the
// type's comment; UNCONFIRMED mapping).
func (v *slackVerifier) verifyWebhook(ctx context.Context, raw string) Result {
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Hostname(), "hooks.slack.com") || u.Port() != "" {
		return Unknown("not a hooks.slack.com webhook URL; it is not sent anywhere")
	}
	if !strings.HasPrefix(u.EscapedPath(), "/services/") || u.RawQuery != "" {
		return Unknown("not a Slack incoming webhook path; it is not sent anywhere")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.webhook+u.EscapedPath(), strings.NewReader("{}"))
	if err != nil {
		return Unknown("building the request failed")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, fail := Send(v.client, req)
	if fail != nil {
		return *fail
	}
	code := providerErrorCode(strings.TrimSpace(string(resp.Body)))
	switch {
	case resp.Status == http.StatusBadRequest && (code == "invalid_payload" || code == "no_text" || code == "missing_text_or_fallback_or_attachments"):
		return Live("Slack incoming webhook (accepted the URL, refused the empty payload)")
	case resp.Status == http.StatusNotFound && (code == "no_service" || code == "no_team"):
		return Dead("Slack does not know this webhook (" + code + ")")
	case resp.Status == http.StatusForbidden && code == "invalid_token":
		return Dead("Slack rejected the webhook (" + code + ")")
	case resp.Status == http.StatusGone && code == "channel_is_archived":
		return Unknown("the webhook's channel is archived (" + code + ")")
	}
	return Unknown("unexpected answer from the webhook (HTTP " + strconv.Itoa(resp.Status) + ", " + code + ")")
}
