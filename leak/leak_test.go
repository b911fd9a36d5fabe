package leak

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A Secret never prints its raw value, whatever prints it.
func TestSecretRedactsEverywhere(t *testing.T) {
	t.Parallel()
	raw := "Zq8Lr2Vx7Kp4Nm9Tb3Wc6Yd1Hs5Jf0"
	s := NewSecret(raw)
	var logbuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logbuf, nil)).Info("found", "secret", s)
	js, err := json.Marshal(struct{ S Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%q": fmt.Sprintf("%q", s),
		"%x": fmt.Sprintf("%x", s), "%+v": fmt.Sprintf("%+v", struct{ S Secret }{s}),
		"%#v": fmt.Sprintf("%#v", s), "String": s.String(), "json": string(js), "slog": logbuf.String(),
		"error": fmt.Errorf("bad key %v", s).Error(),
	}
	for name, out := range outputs {
		if strings.Contains(out, raw[4:]) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "Zq8L****") {
			t.Errorf("%s does not show the redacted form: %s", name, out)
		}
	}
	if s.Reveal() != raw {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"":                     "****",
		"abc":                  "****",
		"abcdefgh":             "ab****",
		"ghp_0123456789abcdef": "ghp_****",
		"ééééé":                "é****", // never half a character
	} {
		if got := Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	a := Fingerprint("rule", "secret")
	if a != Fingerprint("rule", "secret") || len(a) != 64 {
		t.Fatalf("fingerprint not stable: %s", a)
	}
	if a == Fingerprint("rule2", "secret") || a == Fingerprint("rule", "secret2") || Fingerprint("ab", "c") == Fingerprint("a", "bc") {
		t.Error("fingerprints collide")
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	sec := NewSecret("p@ss/w:rd+Zq8Lr2")
	for _, in := range []string{
		"dial failed for postgres://u:p@ss/w:rd+Zq8Lr2@h/db",         // as written
		"GET /x?key=p%40ss%2Fw%3Ard%2BZq8Lr2 failed",                 // query string
		"GET /bot/p@ss%2Fw:rd+Zq8Lr2/getMe failed",                   // URL path
		"cannot connect to postgres://u:p%40ss%2Fw%3Ard+Zq8Lr2@h/db", // user info
	} {
		out := Scrub(in, sec, NewSecret("ab"))
		if strings.Contains(out, "Zq8Lr2") || !strings.Contains(out, sec.Redacted()) {
			t.Errorf("Scrub(%q) = %q", in, out)
		}
	}
	if got := Scrub("abc abc", NewSecret("abc")); got != "abc abc" {
		t.Errorf("a secret under 4 bytes was scrubbed: %q", got)
	}
}
