package verify

import (
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func mailgunCases() []providerCase {
	return append([]providerCase{
		{name: "live", reply: answer{body: `{"total_count":3,"items":[{"created_at":"Tue, 14 Jul 2020 18:12:07 GMT","id":"5f0df5f7b9b6d90b1f0b6c2e","is_disabled":false,"name":"mg.acme.example","require_tls":false,"skip_verification":false,"smtp_login":"postmaster@mg.acme.example","spam_action":"disabled","state":"active","type":"custom","web_prefix":"email","web_scheme":"https","wildcard":false}]}`},
			want: leak.Live, identity: "Mailgun account with 3 domains"},
		{name: "no domains", reply: answer{body: `{"total_count":0,"items":[]}`}, want: leak.Live, identity: "0 domains"},
		{name: "invalid", reply: answer{status: 401, body: `Forbidden`}, want: leak.Dead},
		{name: "forbidden", reply: answer{status: 403, body: `{"message":"Domain not found"}`}, want: leak.Unknown, reason: "403"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
	}, standardFaults...)
}

func TestMailgun(t *testing.T) {
	t.Parallel()
	for rule, key := range map[string]string{
		"mailgun-private-api-key": "key-" + verifyBFake(verifyBHex, 32),
		"mailgun-api-key":         verifyBFake(verifyBHex, 32) + "-" + verifyBFake(verifyBHex, 8) + "-" + verifyBFake(verifyBHex, 8),
	} {
		t.Run(rule, func(t *testing.T) {
			t.Parallel()
			runProviderCases(t, newMailgun, testFinding(rule, key), nil, mailgunCases(), func(t *testing.T, r *http.Request, _ string) {
				user, pass, ok := r.BasicAuth()
				if r.Method != http.MethodGet || r.URL.Path != "/v3/domains" || !ok || user != "api" || pass != key {
					t.Errorf("request %s %s basic auth user %q ok %v", r.Method, r.URL.Path, user, ok)
				}
			})
		})
	}
}
