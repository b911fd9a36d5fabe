package verify

import (
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// telegramFakeToken builds a random bot token: digits, ":AA", 33 chars.
func telegramFakeToken() string {
	return "5" + discordRandom("0123456789", 9) + ":AA" + discordRandom(discordB64URL, 33)
}

func TestTelegram(t *testing.T) {
	t.Parallel()
	tok := telegramFakeToken()
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"ok":true,"result":{"id":5123456789,"is_bot":true,"first_name":"Deploy Bot","username":"deploy_bot","can_join_groups":true,"can_read_all_group_messages":false,"supports_inline_queries":false,"can_connect_to_business":false,"has_main_web_app":false}}`},
			want: leak.Live, identity: "Telegram bot @deploy_bot"},
		{name: "revoked", reply: answer{status: 401, body: `{"ok":false,"error_code":401,"description":"Unauthorized"}`}, want: leak.Dead},
		{name: "not found", reply: answer{status: 404, body: `{"ok":false,"error_code":404,"description":"Not Found"}`}, want: leak.Dead},
		{name: "404 not telegram", reply: answer{status: 404, body: `<html>nginx</html>`}, want: leak.Unknown, reason: "404"},
		{name: "401 not telegram", reply: answer{status: 401, body: `Unauthorized`}, want: leak.Unknown, reason: "401"},
		{name: "ok false on 200", reply: answer{body: `{"ok":false}`}, want: leak.Unknown},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newTelegram, testFinding("telegram-bot-token", tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/bot"+tok+"/getMe" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
	})
}

func TestTelegramRejectsOddToken(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{status: 500} })
	v := newTelegram((&Options{}).withFake(fake.URL))
	res := v.Verify(t.Context(), Credential{Rule: "telegram-bot-token", Secret: leak.NewSecret("123456:AA/../../x?y")})
	if res.Status != leak.Unknown || len(fake.requests) != 0 {
		t.Errorf("result %+v, %d requests", res, len(fake.requests))
	}
}
