package detect

import (
	"bytes"
	"encoding/base64"
	"sync"
	"testing"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

var (
	fuzzDetectorOnce sync.Once
	fuzzDetector     *Detector
)

func defaultDetector(t testing.TB) *Detector {
	fuzzDetectorOnce.Do(func() {
		d, err := New(rules.Default(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		fuzzDetector = d
	})
	return fuzzDetector
}

func addDetectSeeds(f *testing.F) {
	gh := "ghp_" + "Zq8Lr2Vx7Kp4Nm9Tb3Wc6Yd1Hs5Jf0" + Base62CRC32("Zq8Lr2Vx7Kp4Nm9Tb3Wc6Yd1Hs5Jf0")
	for _, s := range []string{
		"",
		"\n",
		"token = " + gh + "\n",
		"AKIAQYLPMN5HHHFPZAM2",
		`password = "Tr0ub4dor&3xK9q"`,
		"aws_secret_access_key = " + base64.StdEncoding.EncodeToString([]byte("AKIAQYLPMN5HHHFPZAM2")),
		"u=%41KIAQYLPMN5HHHFPZAM2%20x%",
		"apiVersion: v1\nkind: Secret\ndata:\n  password: cTdWZDJSa0xtOVh3WjNwVDhzTmI=\n",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n",
		"é€ AKIAQYLPMN5HHHFPZAM2\xff\xfe\x00token=",
		"https://deploy:Wq8zLx2mN7vK@registry.internal.acme.io/v2/",
		"Authorization: Bearer q7Vd2RkLm9XwZ3pT8sNb4YcHu2Xb7Rk9",
		"%%%%%41%4",
		"token" + string(bytes.Repeat([]byte("="), 100)),
	} {
		f.Add([]byte(s), ".env")
	}
	f.Add([]byte("STRIPE_SECRET=sk_live_51Hc1WllKeGPBkiqcgz1Fc1DjysCuWssqkrfq5kaL4iUYtrbRjlc13"), "deploy/.env.production")
	f.Add([]byte("db.internal:5432:orders:orders:nA7kAYQOorR4B5SRh2dT"), "home/u/.pgpass")
}

// FuzzDetect runs random bytes through the full default detector: it must
// not panic, and every finding must lie within the input with a position
// of line 1, column 1 or later.
func FuzzDetect(f *testing.F) {
	addDetectSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		d := defaultDetector(t)
		for _, fd := range d.Detect(leak.Chunk{Data: data, Origin: leak.Origin{Path: path}}) {
			if fd.Offset < 0 || fd.End > len(data) || fd.Offset >= fd.End {
				t.Fatalf("finding %s span [%d,%d) outside input of %d bytes", fd.RuleID, fd.Offset, fd.End, len(data))
			}
			if fd.Origin.Line < 1 || fd.Origin.Column < 1 {
				t.Fatalf("finding %s at line %d column %d", fd.RuleID, fd.Origin.Line, fd.Origin.Column)
			}
			if fd.Secret.IsZero() {
				t.Fatalf("finding %s with an empty secret", fd.RuleID)
			}
			if want := bytes.Count(data[:fd.Offset], []byte("\n")) + 1; fd.Origin.Line != want {
				t.Fatalf("finding %s at offset %d: line %d, want %d", fd.RuleID, fd.Offset, fd.Origin.Line, want)
			}
		}
	})
}

// FuzzDecode checks the decoder on random input: segments lie within the
// input, in order and without overlap, and decode to something.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"",
		"cTdWZDJSa0xtOVh3WjNwVDhzTmI=",
		"x=" + base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte("aws: AKIAQYLPMN5HHHFPZAM2 end")))),
		"u=%41KIAQYLPMN5HHHFPZAM2%20x",
		"%%41%4%g%",
		"a-b_c+d/e==",
		base64.RawURLEncoding.EncodeToString([]byte("token = Zr8Nq2LpV6tXk4Wm9YbC3hDs?>>")),
		"AAAAAAAAAAAAAAAAAAAA%41====",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		prevEnd := 0
		for _, s := range findEncoded(data) {
			if s.start < 0 || s.end > len(data) || s.start >= s.end {
				t.Fatalf("segment [%d,%d) outside input of %d bytes", s.start, s.end, len(data))
			}
			if s.start < prevEnd {
				t.Fatalf("segment [%d,%d) overlaps the previous one ending at %d", s.start, s.end, prevEnd)
			}
			prevEnd = s.end
			if len(s.decoded) == 0 || s.layer != "base64" && s.layer != "percent" {
				t.Fatalf("segment [%d,%d): layer %q, %d decoded bytes", s.start, s.end, s.layer, len(s.decoded))
			}
		}
	})
}
