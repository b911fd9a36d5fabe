package verify

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func slackBotToken() string {
	return "xoxb-" + verifyBFake(verifyBDigit, 12) + "-" + verifyBFake(verifyBDigit, 13) + "-" + verifyBFake(verifyBAlnum, 24)
}

func TestSlackToken(t *testing.T) {
	t.Parallel()
	tok := slackBotToken()
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"deploybot","team_id":"T0ACME01","user_id":"U0BOT001","bot_id":"B0BOT001","is_enterprise_install":false}`},
			want: leak.Live, identity: "Slack team Acme (T0ACME01), user deploybot"},
		{name: "invalid auth", reply: answer{body: `{"ok":false,"error":"invalid_auth"}`}, want: leak.Dead, reason: "invalid_auth"},
		{name: "revoked", reply: answer{body: `{"ok":false,"error":"token_revoked"}`}, want: leak.Dead, reason: "token_revoked"},
		{name: "expired", reply: answer{body: `{"ok":false,"error":"token_expired"}`}, want: leak.Dead},
		{name: "inactive", reply: answer{body: `{"ok":false,"error":"account_inactive"}`}, want: leak.Dead},
		{name: "not authed", reply: answer{body: `{"ok":false,"error":"not_authed"}`}, want: leak.Dead},
		{name: "other error", reply: answer{body: `{"ok":false,"error":"ekm_access_denied"}`}, want: leak.Unknown, reason: "ekm_access_denied"},
		{name: "odd error text", reply: answer{body: `{"ok":false,"error":"<script>alert(1)</script>"}`}, want: leak.Unknown, reason: "unrecognised"},
		{name: "no ok field", reply: answer{body: `{"team":"Acme"}`}, want: leak.Unknown},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newSlack, testFinding("slack-bot-token", tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodPost || r.URL.Path != "/auth.test" || r.Header.Get("Authorization") != "Bearer "+tok {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
}

// App-level and configuration tokens: only ok:true counts; an error is
// never taken as dead (UNCONFIRMED whether auth.test accepts them).
func TestSlackAppToken(t *testing.T) {
	t.Parallel()
	for rule, tok := range map[string]string{
		"slack-app-token":           "xapp-1-A" + verifyBFake(verifyBUpper, 10) + "-" + verifyBFake(verifyBDigit, 13) + "-" + verifyBFake(verifyBHex, 64),
		"slack-config-access-token": "xoxe.xoxp-1-" + verifyBFake(verifyBAlnum, 164),
	} {
		t.Run(rule, func(t *testing.T) {
			t.Parallel()
			slackUncertainCases(t, rule, tok)
		})
	}
}

func slackUncertainCases(t *testing.T, rule, tok string) {
	cases := []providerCase{
		{name: "live", reply: answer{body: `{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"","team_id":"T0ACME01","app_id":"A0APP0001"}`},
			want: leak.Live, identity: "Slack team Acme (T0ACME01)"},
		{name: "invalid auth", reply: answer{body: `{"ok":false,"error":"invalid_auth"}`}, want: leak.Unknown, reason: "invalid_auth"},
		{name: "wrong token type", reply: answer{body: `{"ok":false,"error":"not_allowed_token_type"}`}, want: leak.Unknown, reason: "not_allowed_token_type"},
	}
	runProviderCases(t, newSlack, testFinding(rule, tok), nil, cases, nil)
}

// A legacy refresh token is never sent: using one mints a token.
func TestSlackRefreshTokenNotSent(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{body: `{"ok":true}`} })
	v := newSlack((&Options{}).withFake(fake.URL))
	res := v.Verify(t.Context(), Credential{Rule: "slack-legacy-workspace-token", Secret: leak.NewSecret("xoxr-" + verifyBFake(verifyBAlnum, 40))})
	if res.Status != leak.Unknown || len(fake.requests) != 0 {
		t.Errorf("got %s (%s) after %d requests, want unknown without a call", res.Status, res.Reason, len(fake.requests))
	}
}

func slackWebhookURL(host string) string {
	return "https://" + host + "/services/T" + verifyBFake(verifyBUpper, 9) + "/B" + verifyBFake(verifyBUpper, 10) + "/" + verifyBFake(verifyBAlnum, 24)
}

// withSlackWebhook points the webhook endpoint where withFake pointed the
// Slack API.
func withSlackWebhook(o *Options) Verifier {
	o.Endpoints["slack-webhook"] = o.Endpoints["slack"]
	return newSlack(o)
}

// Incoming webhooks: UNCONFIRMED mapping of the answers to an empty
// payload, pinned here.
func TestSlackWebhook(t *testing.T) {
	t.Parallel()
	hook := slackWebhookURL("hooks.slack.com")
	path := strings.TrimPrefix(hook, "https://hooks.slack.com")
	cases := append([]providerCase{
		{name: "live invalid payload", reply: answer{status: 400, body: `invalid_payload`}, want: leak.Live, identity: "Slack incoming webhook"},
		{name: "live no text", reply: answer{status: 400, body: "no_text\n"}, want: leak.Live},
		{name: "no service", reply: answer{status: 404, body: `no_service`}, want: leak.Dead, reason: "no_service"},
		{name: "no team", reply: answer{status: 404, body: `no_team`}, want: leak.Dead},
		{name: "invalid token", reply: answer{status: 403, body: `invalid_token`}, want: leak.Dead, reason: "invalid_token"},
		{name: "archived", reply: answer{status: 410, body: `channel_is_archived`}, want: leak.Unknown, reason: "archived"},
		{name: "posted?!", reply: answer{status: 200, body: `ok`}, want: leak.Unknown},
		{name: "html 404", reply: answer{status: 404, body: `<html>not found</html>`}, want: leak.Unknown},
		{name: "forbidden other", reply: answer{status: 403, body: `action_prohibited`}, want: leak.Unknown, reason: "action_prohibited"},
	}, standardFaults...)
	runProviderCases(t, withSlackWebhook, testFinding("slack-webhook-url", hook), nil, cases, func(t *testing.T, r *http.Request, body string) {
		if r.Method != http.MethodPost || r.URL.Path != path || body != "{}" || r.Header.Get("Authorization") != "" {
			t.Errorf("request %s %s body %q", r.Method, r.URL.Path, body)
		}
	})
}

// A webhook URL naming another host is never sent anywhere.
func TestSlackWebhookOtherHost(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{status: 400, body: `invalid_payload`} })
	o := (&Options{}).withFake(fake.URL)
	v := withSlackWebhook(o)
	for _, u := range []string{
		slackWebhookURL("hooks.slack.com.evil.example"),
		slackWebhookURL("evil.example"),
		slackWebhookURL("hooks.slack.com:8443"),
		"https://hooks.slack.com/workflows/T" + verifyBFake(verifyBUpper, 9) + "/123/" + verifyBFake(verifyBAlnum, 24),
		"://bad",
	} {
		res := v.Verify(t.Context(), Credential{Rule: "slack-webhook-url", Secret: leak.NewSecret(u)})
		if res.Status != leak.Unknown {
			t.Errorf("%s: %s, want unknown", u, res.Status)
		}
	}
	if len(fake.requests) != 0 {
		t.Errorf("%d requests sent for foreign webhook URLs", len(fake.requests))
	}
}
