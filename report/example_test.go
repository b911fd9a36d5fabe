package report_test

import (
	"os"
	"time"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
)

func ExampleWrite() {
	secret := "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"
	r := &report.Report{
		Tool: report.Tool{Name: "leakgate", Version: "v1.0.0"},
		Findings: []leak.Finding{{
			RuleID:      "github-pat",
			Description: "GitHub personal access token",
			Secret:      leak.NewSecret(secret),
			Fingerprint: leak.Fingerprint("github-pat", secret),
			Origin:      leak.Origin{Path: "config/deploy.yml", Line: 12, Column: 9},
		}},
		Summary: report.Summary{Complete: true, Files: 1, Bytes: 420, Duration: 3 * time.Millisecond},
	}
	if err := report.Write(os.Stdout, report.Text, r, report.Options{}); err != nil {
		panic(err)
	}
	if err := report.Write(os.Stdout, report.JSONL, r, report.Options{}); err != nil {
		panic(err)
	}
	// Output:
	// config/deploy.yml:12:9  github-pat  ghp_****
	//     GitHub personal access token
	//
	// 1 finding in 1 file (420 bytes) in 3ms
	// {"rule":"github-pat","description":"GitHub personal access token","secret":"ghp_****","fingerprint":"ddfb3a9d4ccc3c2c28dd35ab667451075f6deb0908e39c20d7cedeeaf39097ec","file":"config/deploy.yml","line":12,"column":9,"end_column":49,"status":"unchecked"}
	// {"findings":1,"complete":true,"errors":[],"files":1,"bytes":420,"duration_seconds":0.003}
}
