package settings

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	s, err := Parse("c.toml", []byte(`
disable = ["some-rule"]
[[rules]]
id = "x"
[verify]
timeout = "2s"
private-hosts = true
[verify.endpoints]
gitlab = "https://gitlab.example.com/api/v4"
[remediate]
apply = true
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Verify.Timeout.Duration != 2*time.Second || !s.Verify.PrivateHosts || s.Verify.Endpoints["gitlab"] != "https://gitlab.example.com/api/v4" {
		t.Errorf("verify = %+v", s.Verify)
	}
	var rem struct {
		Apply bool `toml:"apply"`
	}
	if err := s.DecodeRemediate(&rem); err != nil || !rem.Apply {
		t.Errorf("remediate = %+v, %v", rem, err)
	}
	s2, _ := Parse("c.toml", []byte("[remediate]\napply = true\n"))
	var strict struct{}
	if err := s2.DecodeRemediate(&strict); err == nil || !strings.Contains(err.Error(), "remediate.apply") {
		t.Errorf("unknown remediate key accepted: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"[verify]\ntimeout = \"soon\"", "soon"},
		{"[verify]\ntimeout = \"-1s\"", "negative"},
		{"[verify]\ntimout = \"1s\"", `unknown key "verify.timout"`},
		{"[verify\n", "c.toml:2"},
	} {
		if _, err := Parse("c.toml", []byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestNoRemediateTable(t *testing.T) {
	t.Parallel()
	s, err := Parse("c.toml", []byte("[verify]\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := struct{ X int }{X: 7}
	if err := s.DecodeRemediate(&v); err != nil || v.X != 7 {
		t.Errorf("DecodeRemediate without a table: %+v, %v", v, err)
	}
	var zero *Settings
	if err := zero.DecodeRemediate(&v); err != nil {
		t.Error(err)
	}
}
