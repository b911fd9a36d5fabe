package verify

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// doFakeToken builds a random token: prefix + 64 hex.
func doFakeToken(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func TestDigitalOcean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ rule, prefix string }{{"digitalocean-pat", "dop_v1_"}, {"digitalocean-oauth-token", "doo_v1_"}} {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			tok := doFakeToken(tc.prefix)
			cases := append([]providerCase{
				{name: "live", reply: answer{body: `{"account":{"droplet_limit":25,"floating_ip_limit":5,"volume_limit":100,"email":"sammy@example.com","name":"Sammy","uuid":"b6fr89dbf6d9156cace5f3c78dc9851d957381ef","email_verified":true,"status":"active","status_message":"","team":{"uuid":"5df3e3004a17e242b7c20ca6","name":"My Team"}}}`},
					want: leak.Live, identity: "DigitalOcean account sammy@example.com (active), team My Team"},
				{name: "live locked", reply: answer{body: `{"account":{"email":"sammy@example.com","status":"locked","status_message":"billing"}}`},
					want: leak.Live, identity: "DigitalOcean account sammy@example.com (locked)"},
				{name: "revoked", reply: answer{status: 401, body: `{"id":"Unauthorized","message":"Unable to authenticate you"}`}, want: leak.Dead},
				{name: "scoped token", reply: answer{status: 403, body: `{"id":"forbidden","message":"You are not authorized to perform this operation"}`},
					want: leak.Live, identity: "scopes"},
				{name: "other 403", reply: answer{status: 403, body: `<html>blocked</html>`}, want: leak.Unknown, reason: "403"},
				{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
				{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
			}, standardFaults...)
			runProviderCases(t, newDigitalOcean, testFinding(tc.rule, tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
				if r.Method != http.MethodGet || r.URL.Path != "/v2/account" || r.Header.Get("Authorization") != "Bearer "+tok {
					t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
				}
			})
		})
	}
}
