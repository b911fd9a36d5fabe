package verify

import (
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func TestSendGrid(t *testing.T) {
	t.Parallel()
	key := "SG." + verifyBFake(verifyBURL, 22) + "." + verifyBFake(verifyBURL, 43)
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"scopes":["mail.send","alerts.read","api_keys.read"]}`}, want: leak.Live, identity: "SendGrid key with 3 scopes"},
		{name: "forbidden", reply: answer{status: 403, body: `{"errors":[{"field":null,"message":"access forbidden"}]}`}, want: leak.Live},
		{name: "invalid", reply: answer{status: 401, body: `{"errors":[{"field":null,"message":"authorization required"}]}`}, want: leak.Dead},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "no scopes field", reply: answer{body: `{}`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newSendGrid, testFinding("sendgrid-api-key", key), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/v3/scopes" || r.Header.Get("Authorization") != "Bearer "+key {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
}
