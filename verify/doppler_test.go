package verify

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// dopplerFakeToken builds a random token: prefix + 43 alphanumerics.
func dopplerFakeToken(prefix string) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	b.WriteString(prefix)
	for range 43 {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		b.WriteByte(chars[n.Int64()])
	}
	return b.String()
}

func TestDoppler(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ rule, prefix string }{
		{"doppler-personal-token", "dp.pt."}, {"doppler-service-token", "dp.st.prd."},
		{"doppler-cli-token", "dp.ct."}, {"doppler-service-account-token", "dp.sa."},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			tok := dopplerFakeToken(tc.prefix)
			preview := tok[:10] + "..."
			cases := append([]providerCase{
				{name: "live", reply: answer{body: `{"workplace":{"slug":"f3a9c1","name":"Acme"},"type":"personal","token_preview":"` + preview + `","slug":"a1b2c3","created_at":"2024-01-01T00:00:00.000Z","last_seen_at":"2024-06-01T00:00:00.000Z","name":"laptop"}`},
					want: leak.Live, identity: "Doppler personal token laptop in workplace Acme"},
				{name: "live service", reply: answer{body: `{"workplace":{"name":"Acme"},"type":"service","name":"ci-deploy"}`},
					want: leak.Live, identity: "Doppler service token ci-deploy in workplace Acme"},
				{name: "revoked", reply: answer{status: 401, body: `{"messages":["Invalid Auth token"],"success":false}`}, want: leak.Dead},
				{name: "forbidden is not dead", reply: answer{status: 403, body: `{"messages":["Forbidden"],"success":false}`}, want: leak.Unknown, reason: "403"},
				{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
				{name: "empty object", reply: answer{body: `{}`}, want: leak.Unknown},
				{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
			}, standardFaults...)
			runProviderCases(t, newDoppler, testFinding(tc.rule, tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
				if r.Method != http.MethodGet || r.URL.Path != "/v3/me" || r.Header.Get("Authorization") != "Bearer "+tok {
					t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
				}
			})
		})
	}
}

func TestDopplerIdentityHidesPreview(t *testing.T) {
	t.Parallel()
	tok := dopplerFakeToken("dp.pt.")
	fake := newFakeProvider(t, func(*http.Request) answer {
		return answer{body: `{"workplace":{"name":"Acme"},"type":"personal","token_preview":"` + tok[:12] + `...","name":"laptop"}`}
	})
	v := newDoppler((&Options{}).withFake(fake.URL))
	res := v.Verify(t.Context(), Credential{Rule: "doppler-personal-token", Secret: leak.NewSecret(tok)})
	if res.Status != leak.Live || strings.Contains(res.Identity, tok[:12]) {
		t.Errorf("result %+v", res)
	}
}
