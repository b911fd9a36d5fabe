package detect

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

const testRules = `
[[rules]]
id = "gh"
description = "GitHub token"
keywords = ["ghp_"]
regex = '''\b(ghp_[A-Za-z0-9]{36})\b'''
checksum = "github"
examples = ["ghp_x"]

[[rules]]
id = "aws"
description = "AWS key id"
keywords = ["akia"]
regex = '''\b(AKIA[A-Z2-7]{16})\b'''
examples = ["x"]

[[rules]]
id = "kw"
description = "keyword overlap"
keywords = ["key", "api_key"]
regex = '''api_key=(\w+)'''
examples = ["x"]

[[rules]]
id = "gen"
description = "generic"
generic = true
keywords = ["token"]
regex = '''(?i)token\s*=\s*"?([\w]{20,})'''
examples = ["x"]
`

func newTestDetector(t *testing.T, opts Options) *Detector {
	t.Helper()
	set, err := rules.ParseRules("test.toml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(set, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A GitHub-format token with a valid checksum and a random body.
var validGH = func() string {
	body := "Zq8Lr2Vx7Kp4Nm9Tb3Wc6Yd1Hs5Jf0"
	return "ghp_" + body + Base62CRC32(body)
}()

type pos struct {
	Rule      string
	Line, Col int
	Secret    string
	Decoded   string
}

func detectAll(d *Detector, path, text string) []pos {
	var out []pos
	for _, f := range d.Detect(leak.Chunk{Data: []byte(text), Origin: leak.Origin{Path: path}}) {
		out = append(out, pos{f.RuleID, f.Origin.Line, f.Origin.Column, f.Secret.Reveal(), strings.Join(f.Decoded, "/")})
	}
	return out
}

func TestDetect(t *testing.T) {
	t.Parallel()
	d := newTestDetector(t, Options{ReportExampleKeys: true})
	b64 := base64.StdEncoding.EncodeToString([]byte("token = " + validGH))
	b64b64 := base64.StdEncoding.EncodeToString([]byte("aws: AKIAQYLPMN5HHHFPZAM2 end"))
	tests := []struct {
		name, text string
		want       []pos
	}{
		{"plain", "x\n  tok: " + validGH + "\n", []pos{{"gh", 2, 8, validGH, ""}}},
		{"bad checksum", "ghp_Zq8Lr2Vx7Kp4Nm9Tb3Wc6Yd1Hs5Jf0AAAAAA", nil},
		{"case-insensitive keyword", "id=AKIAQYLPMN5HHHFPZAM2", []pos{{"aws", 1, 4, "AKIAQYLPMN5HHHFPZAM2", ""}}},
		{"example key allowed by option", "AKIAIOSFODNN7EXAMPLE", []pos{{"aws", 1, 1, "AKIAIOSFODNN7EXAMPLE", ""}}},
		{"overlapping keywords run the rule once", "api_key=Qx7", []pos{{"kw", 1, 9, "Qx7", ""}}},
		{"generic yields to specific", "token = " + validGH, []pos{{"gh", 1, 9, validGH, ""}}},
		{"generic alone", `token = "Nq2LpV6tXk4Wm9YbC3hDz"`, []pos{{"gen", 1, 10, "Nq2LpV6tXk4Wm9YbC3hDz", ""}}},
		{"reference", `token = "${{ secrets.TOKEN }}"`, nil},
		{"inline allow", "ghp: " + validGH + " # leakgate:allow", nil},
		{"base64 maps to encoded span", "a\nvalue: " + b64, []pos{{"gh", 2, 8, validGH, "base64"}}},
		{"base64 of base64", "x=" + base64.StdEncoding.EncodeToString([]byte(b64b64)), []pos{{"aws", 1, 3, "AKIAQYLPMN5HHHFPZAM2", "base64/base64"}}},
		{"percent", "u=%41KIAQYLPMN5HHHFPZAM2%20x", []pos{{"aws", 1, 1, "AKIAQYLPMN5HHHFPZAM2", "percent"}}},
		{"utf8 column", "é€ AKIAQYLPMN5HHHFPZAM2", []pos{{"aws", 1, 4, "AKIAQYLPMN5HHHFPZAM2", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := detectAll(d, "f.txt", tc.text)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Detect(%q) mismatch (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}

func TestExampleKeysDroppedByDefault(t *testing.T) {
	t.Parallel()
	d := newTestDetector(t, Options{})
	if got := detectAll(d, "f", "AKIAIOSFODNN7EXAMPLE"); len(got) != 0 {
		t.Errorf("documented example key reported: %v", got)
	}
}

func TestChunkLineBase(t *testing.T) {
	t.Parallel()
	d := newTestDetector(t, Options{})
	fs := d.Detect(leak.Chunk{Data: []byte("\n\nAKIAQYLPMN5HHHFPZAM2"), Origin: leak.Origin{Path: "p", Line: 100}})
	if len(fs) != 1 || fs[0].Origin.Line != 102 || fs[0].Origin.Path != "p" {
		t.Fatalf("got %+v", fs)
	}
	if fs[0].Fingerprint != leak.Fingerprint("aws", "AKIAQYLPMN5HHHFPZAM2") {
		t.Errorf("fingerprint %s", fs[0].Fingerprint)
	}
}

func TestChecksum(t *testing.T) {
	t.Parallel()
	if !ValidChecksum("github", validGH) {
		t.Errorf("valid token rejected: %s", validGH)
	}
	bad := validGH[:len(validGH)-1] + "x"
	if ValidChecksum("github", bad) {
		t.Errorf("bad checksum accepted: %s", bad)
	}
	// Documented vector shape: CRC32 of 30 zero digits, base62, 6 chars.
	if got := Base62CRC32("000000000000000000000000000000"); len(got) != 6 {
		t.Errorf("Base62CRC32 length %d", len(got))
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"${API_KEY}", "${{ secrets.X }}", "{{ .Values.token }}", "op://vault/item/field", "vault:secret/data/x#k", "arn:aws:secretsmanager:us-east-1:123:secret:x", "$API_TOKEN"} {
		if !IsReference(v) {
			t.Errorf("IsReference(%q) = false", v)
		}
	}
	for _, v := range []string{"changeme", "xxxxxxxxxxxx", "<your-key>", "aaaaaaaaaaaa", "your_api_key_here"} {
		if !IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = false", v)
		}
	}
	for _, v := range []string{validGH, "Nq2LpV6tXk4Wm9YbC3hD"} {
		if IsPlaceholder(v) || IsReference(v) {
			t.Errorf("%q treated as placeholder or reference", v)
		}
	}
}

func TestPathFilters(t *testing.T) {
	t.Parallel()
	set, err := rules.ParseRules("t.toml", []byte(`
[allowlist]
paths = ['''^vendor/''']
[[rules]]
id = "aws"
keywords = ["akia"]
regex = '''(AKIA[A-Z2-7]{16})'''
paths = ['''\.ya?ml$''']
[[rules]]
id = "nokw"
regex = '''(ZQ[A-Z2-7]{16})'''
paths = ['''\.ya?ml$''']
`))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := New(set, Options{})
	for path, want := range map[string]int{"a.yml": 1, "a.txt": 0, "vendor/a.yml": 0} {
		if got := len(detectAll(d, path, "AKIAQYLPMN5HHHFPZAM2 ZQYLPMN5HHHFPZAM2AB")); got != 2*want {
			t.Errorf("%s: %d findings, want %d", path, got, 2*want)
		}
	}
}

// TestMayFind checks MayFind against Detect on every built-in rule's
// examples and counterexamples at paths that rules filter on: whatever
// Detect finds at a path, MayFind must say may be there, unless OnlyAt
// says a rule for named paths applies there.
func TestMayFind(t *testing.T) {
	set := rules.Default()
	d, err := New(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"main.go", "config/app.yaml", ".env", "deploy/.env.production", "home/.pgpass",
		".edgerc", "datadog.yaml", "conf/datadog-agent/agent.yaml", "vendor/lib/x.go", "go.sum", "README.md", "package-lock.json"}
	checked, onlyAt := 0, 0
	for _, r := range set.Rules {
		texts := append(append([]string(nil), r.Examples...), r.Counterexamples...)
		for _, text := range texts {
			for _, p := range append(paths, r.ExamplePath) {
				if p == "" {
					continue
				}
				fs := d.Detect(leak.Chunk{Data: []byte(text), Origin: leak.Origin{Path: p}})
				if len(fs) == 0 {
					continue
				}
				if d.OnlyAt(p) {
					onlyAt++
					continue
				}
				checked++
				if !d.MayFind([]byte(text)) {
					t.Errorf("rule %s: Detect finds %s at %s, MayFind says nothing can be found in %q", r.ID, fs[0].RuleID, p, text)
				}
			}
		}
	}
	if checked < 1000 || onlyAt == 0 {
		t.Fatalf("checked %d texts with findings and %d at paths of named-path rules: too few", checked, onlyAt)
	}
	for _, p := range []string{".env", "a/.env.local", "x/.pgpass", ".edgerc", "datadog.yaml"} {
		if !d.OnlyAt(p) {
			t.Errorf("OnlyAt(%q) = false", p)
		}
	}
	for _, p := range []string{"main.go", "env.go", "README.md"} {
		if d.OnlyAt(p) {
			t.Errorf("OnlyAt(%q) = true", p)
		}
	}
	if d.MayFind([]byte("package main\n\nfunc main() {}\n")) {
		t.Error("MayFind on a file without secrets")
	}
}

// TestMayFindRejectedSpan: a match of a rule with a window that spans
// lines and is turned down counts for MayFind, since it may hide one
// that a scan of part of the data finds. Here a Datadog block's match
// runs to a placeholder key five lines below and hides the key on the
// line under its keyword: the whole text has no finding, its changed
// lines alone have one.
func TestMayFindRejectedSpan(t *testing.T) {
	d, err := New(rules.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := "3f9a1c27e4b85d06a1f2c9e8b7d4a3f2c1e0b9d8"
	text := "name: app\nport: 8080\ndatadog:\n  hook: datadog_app_key(" + key + ")\n  site: eu\n  tags: a\n  env: prod\n  app_key: 0000000000000000000000000000000000000000\nlevel: info\n"
	if fs := d.Detect(leak.Chunk{Data: []byte(text), Origin: leak.Origin{Path: "conf.yaml"}}); len(fs) != 0 {
		t.Fatalf("whole text: %d findings, want none (the block's match hides the key)", len(fs))
	}
	line := text[strings.Index(text, "  hook"):strings.Index(text, "  site")]
	if fs := d.Detect(leak.Chunk{Data: []byte(line), Origin: leak.Origin{Path: "conf.yaml"}}); len(fs) == 0 {
		t.Fatal("the key's line alone: no finding")
	}
	if !d.MayFind([]byte(text)) || !d.MayFindWindowed([]byte(text)) {
		t.Error("MayFind or MayFindWindowed: nothing may be found in the whole text")
	}
	// A match turned down on one line hides nothing a part could find.
	if one := "  hook: datadog_app_key(0000000000000000000000000000000000000000)\n"; d.MayFind([]byte(one)) {
		t.Errorf("MayFind(%q) = true", one)
	}
}
